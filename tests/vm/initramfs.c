/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../run.h"

#define LDD "/usr/bin/ldd"

__attribute__((format(printf, 3, 4))) static int fail(struct initramfs *f, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(f->why))
		snprintf(f->why + n, sizeof(f->why) - (size_t)n, ": %s", strerror(err));
	return -(err ? err : EINVAL);
}

static int write_all(struct initramfs *f, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(f->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail(f, errno, "writing the archive");
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* newc pads the header+name and the data each to a multiple of 4 bytes */
static int pad4(struct initramfs *f, size_t written)
{
	static const char zeros[4];

	return written % 4 ? write_all(f, zeros, 4 - written % 4) : 0;
}

static int header(struct initramfs *f, const char *name, mode_t mode, size_t size, unsigned rmajor,
		  unsigned rminor)
{
	char h[111];
	size_t namesize = strlen(name) + 1;
	int r;

	/* magic, ino, mode, uid, gid, nlink, mtime, filesize, dev major/minor, rdev major/minor, namesize, check */
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", f->next_ino++,
		 (unsigned)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)size, 0u, 0u, rmajor, rminor,
		 (unsigned)namesize, 0u);
	if ((r = write_all(f, h, 110)) < 0 || (r = write_all(f, name, namesize)) < 0)
		return r;
	return pad4(f, 110 + namesize);
}

/* The archive's names are relative ("bin/x"); callers give guest paths ("/bin/x"). */
static const char *relative(const char *guest_path)
{
	while (*guest_path == '/')
		guest_path++;
	return guest_path;
}

static bool have_dir(const struct initramfs *f, const char *name)
{
	for (size_t i = 0; i < f->ndirs; i++)
		if (strcmp(f->dirs[i], name) == 0)
			return true;
	return false;
}

static int add_dir_entry(struct initramfs *f, const char *name)
{
	char **dirs;
	int r;

	if (have_dir(f, name))
		return 0;
	dirs = realloc(f->dirs, (f->ndirs + 1) * sizeof(*dirs));
	if (!dirs)
		return fail(f, ENOMEM, "adding directory %s", name);
	f->dirs = dirs;
	if (!(f->dirs[f->ndirs] = strdup(name)))
		return fail(f, ENOMEM, "adding directory %s", name);
	f->ndirs++;
	if ((r = header(f, name, S_IFDIR | 0755, 0, 0, 0)) < 0)
		return r;
	return 0;
}

/* Every directory above name, outermost first. */
static int add_parents(struct initramfs *f, const char *name)
{
	char path[4096];
	int r;

	if (snprintf(path, sizeof(path), "%s", name) >= (int)sizeof(path))
		return fail(f, ENAMETOOLONG, "%s", name);
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		r = add_dir_entry(f, path);
		*s = '/';
		if (r < 0)
			return r;
	}
	return 0;
}

int initramfs_create(struct initramfs *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->next_ino = 1;
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return fail(f, errno, "creating %s", path);
	return 0;
}

int initramfs_add_dir(struct initramfs *f, const char *guest_path)
{
	const char *name = relative(guest_path);
	int r = add_parents(f, name);

	return r < 0 ? r : add_dir_entry(f, name);
}

int initramfs_add_char_device(struct initramfs *f, const char *guest_path, unsigned major, unsigned minor)
{
	const char *name = relative(guest_path);
	int r = add_parents(f, name);

	return r < 0 ? r : header(f, name, S_IFCHR | 0600, 0, major, minor);
}

int initramfs_add_file(struct initramfs *f, const char *guest_path, const char *host_path, mode_t mode)
{
	const char *name = relative(guest_path);
	char buf[65536];
	struct stat st;
	size_t left;
	int fd, r;

	if ((r = add_parents(f, name)) < 0)
		return r;
	fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(f, errno, "opening %s", host_path);
	if (fstat(fd, &st) < 0) {
		r = fail(f, errno, "fstat %s", host_path);
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > UINT32_MAX) {
		close(fd);
		return fail(f, EINVAL, "%s is not a regular file under 4 GiB", host_path);
	}
	r = header(f, name, S_IFREG | (mode & 07777), (size_t)st.st_size, 0, 0);
	for (left = (size_t)st.st_size; r == 0 && left > 0;) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = fail(f, n < 0 ? errno : EIO, "reading %s", host_path);
			break;
		}
		r = write_all(f, buf, (size_t)n);
		left -= (size_t)n;
	}
	close(fd);
	return r < 0 ? r : pad4(f, (size_t)st.st_size);
}

/* The library path on one line of ldd's output: "lib => /path (0x...)" or "/path (0x...)". */
static char *ldd_path(char *line)
{
	char *arrow = strstr(line, "=> "), *p = arrow ? arrow + 3 : line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '/')
		return NULL; /* the vDSO, which the kernel provides */
	end = strstr(p, " (");
	if (end)
		*end = '\0';
	return p;
}

int initramfs_add_program(struct initramfs *f, const char *guest_path, const char *host_path)
{
	char *argv[] = { LDD, (char *)host_path, NULL };
	struct ck_test_run_opts o = { .merge_stderr = true, .timeout_s = 60, .tee_fd = -1 };
	struct ck_test_run run;
	char *save = NULL, *line;
	int r, err;

	if ((r = initramfs_add_file(f, guest_path, host_path, 0755)) < 0)
		return r;
	err = ck_test_run(argv, &o, &run);
	if (err)
		return fail(f, err, "running %s %s", LDD, host_path);
	if (strstr(run.out, "not a dynamic executable") || strstr(run.out, "statically linked")) {
		ck_test_run_free(&run);
		return 0;
	}
	if (run.timed_out || !WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0 || strstr(run.out, "not found")) {
		r = fail(f, 0, "%s %s failed: %s", LDD, host_path, run.out);
		ck_test_run_free(&run);
		return r;
	}
	for (line = strtok_r(run.out, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		char *lib = ldd_path(line);

		if (lib)
			r = initramfs_add_file(f, lib, lib, 0755);
	}
	ck_test_run_free(&run);
	return r;
}

int initramfs_finish(struct initramfs *f)
{
	int r = f->fd >= 0 ? header(f, "TRAILER!!!", 0, 0, 0, 0) : -EBADF;

	if (f->fd >= 0 && close(f->fd) < 0 && r == 0)
		r = fail(f, errno, "closing the archive");
	f->fd = -1;
	for (size_t i = 0; i < f->ndirs; i++)
		free(f->dirs[i]);
	free(f->dirs);
	f->dirs = NULL;
	f->ndirs = 0;
	return r;
}
