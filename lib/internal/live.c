/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal/live.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal/arch.h"
#include "internal/util.h"

#define CK_CGROUP2_SUPER_MAGIC 0x63677270

bool ck__arch_native_is_x86_64(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return true;
#else
	return false;
#endif
}

bool ck__pid_in_use(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The last (innermost) PID of an NSpid line in a status file, 0 if none. */
static int innermost_pid(const char *status_path)
{
	char buf[4096];
	if (ck__read_small_file(status_path, buf, sizeof(buf)) < 0)
		return 0;
	char *line = strstr(buf, "\nNSpid:");
	if (!line)
		return 0;
	line += 7;
	char *end = strchr(line, '\n');
	if (end)
		*end = '\0';
	char *last = strrchr(line, '\t');
	return last ? atoi(last + 1) : atoi(line + 1);
}

bool ck__pid_in_use_in_pidns(const char *ns_link, int pid)
{
	struct stat want, st;
	char path[300];
	bool found = false;

	if (pid < 0 || stat(ns_link, &want) < 0)
		return false;
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		if (stat(path, &st) < 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		found = pid == 0 || innermost_pid(path) == pid;
	}
	closedir(d);
	return found;
}

bool ck__cgroup_controller_threaded(const char *name)
{
	static const char *const threaded[] = { "cpu", "cpuset", "perf_event", "pids" };
	for (size_t i = 0; i < CK_ARRAY_SIZE(threaded); i++)
		if (strcmp(name, threaded[i]) == 0)
			return true;
	return false;
}

enum ck_cgroup_fd_state ck__cgroup_fd_state(int fd)
{
	struct statfs sfs;
	struct stat st;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return CK_CGROUP_FD_CLOSED;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != CK_CGROUP2_SUPER_MAGIC)
		return CK_CGROUP_FD_NOT_CGROUP2;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return CK_CGROUP_FD_NOT_CGROUP2;
	/* a removed cgroup's directory stays open, but its files are gone */
	if (faccessat(fd, "cgroup.procs", F_OK, AT_EACCESS) < 0 && errno == ENOENT)
		return CK_CGROUP_FD_REMOVED;
	return CK_CGROUP_FD_CGROUP2;
}

void ck__cgroup_chain_close(struct ck__cgroup_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		close(c->fd[i]);
	c->n = 0;
}

int ck__cgroup_chain_open(int dirfd, struct ck__cgroup_chain *c)
{
	struct stat st;
	int fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	c->n = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	c->dev = st.st_dev;
	for (;;) {
		c->fd[c->n] = fd;
		c->ino[c->n++] = st.st_ino;
		/* ".." leaves the mount at its root (another device) or stays put at "/" */
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &st) < 0) {
			int err = -errno;
			if (up >= 0)
				close(up);
			ck__cgroup_chain_close(c);
			return err;
		}
		if (st.st_dev != c->dev || st.st_ino == c->ino[c->n - 1]) {
			close(up);
			return 0;
		}
		if (c->n == CK_CGROUP_CHAIN_MAX) {
			close(up);
			ck__cgroup_chain_close(c);
			return -ELOOP;
		}
		fd = up;
	}
}

int ck__cgroup_chain_find(const struct ck__cgroup_chain *c, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->dev == dev && c->ino[i] == ino)
			return (int)i;
	return -1;
}

size_t ck__cgroup_chain_domain(const struct ck__cgroup_chain *c)
{
	char type[32];
	size_t i = 0;
	while (i + 1 < c->n && ck__read_small_file_at(c->fd[i], "cgroup.type", type, sizeof(type)) >= 0 &&
	       strcmp(type, "threaded") == 0)
		i++;
	return i;
}

bool ck__has_token(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, seps);
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

int ck__cgroup_mount_find(const char *fstype, bool (*match)(const struct ck__cgroup_mount *m, const void *arg),
			  const void *arg, struct ck__cgroup_mount *out)
{
	char line[4096];
	size_t flen = strlen(fstype);
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (ret < 0 && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		unsigned maj, min;
		char *dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, fstype, flen) != 0 || dash[3 + flen] != ' ' ||
		    sscanf(line, "%*s %*s %u:%u %1023s %1023s", &maj, &min, out->root, out->mnt) != 4 ||
		    sscanf(dash + 3, "%*s %*s %1023s", out->super) != 1)
			continue;
		out->dev = makedev(maj, min);
		if (!match || match(out, arg))
			ret = 0;
	}
	fclose(f);
	return ret;
}

static bool same_dev(const struct ck__cgroup_mount *m, const void *dev)
{
	return m->dev == *(const dev_t *)dev;
}

int ck__cgroup2_nsdelegate(dev_t dev)
{
	struct ck__cgroup_mount m;
	if (ck__cgroup_mount_find("cgroup2", same_dev, &dev, &m) < 0)
		return -1;
	return ck__has_token(m.super, "nsdelegate", ",");
}

int ck__cgroup2_mount(char *buf, size_t len)
{
	struct ck__cgroup_mount m;
	int r = ck__cgroup_mount_find("cgroup2", NULL, NULL, &m);
	if (r == 0)
		snprintf(buf, len, "%s", m.mnt);
	return r;
}
