/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports what a spawned program sees, one line on stdout per request, in
 * the order asked:
 *   uid  gid  pid  ppid  hostname  cwd  procs  fds
 *   ns TYPE              inode of /proc/self/ns/TYPE
 *   clock monotonic|boottime|realtime    seconds.nanoseconds
 *   cgroup               the path of the cgroup v2 line of /proc/self/cgroup
 *   sigmask  sigign  sigcgt              SigBlk, SigIgn, SigCgt in hex
 *   timens_offsets       /proc/self/timens_offsets
 *   file PATH            a file's lines, blanks squeezed, joined by '|'
 *   env NAME             the variable's value, or "(unset)"
 *   chdir DIR            changes directory, prints "ok"
 *   wait                 reads stdin to its end, prints "eof"
 *   to FD                sends the following lines to FD instead
 *   exit N               exits with N at once
 * procs counts the numeric entries of /proc; fds lists the open fds,
 * ascending, without the one reading /proc/self/fd. A failing request prints
 * "error REQUEST: reason" and exits 2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int out_fd = 1;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	for (ssize_t w, off = 0; off < n; off += w)
		if ((w = write(out_fd, buf + off, (size_t)(n - off))) <= 0)
			break;
}

static _Noreturn void fail(const char *what)
{
	say("error %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Prints a file with runs of blanks squeezed and lines joined by '|'. */
static void print_file(const char *path)
{
	char buf[8192], out[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path);
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	size_t o = 0;
	bool blank = true;
	for (size_t i = 0; i < len && o < sizeof(out) - 1; i++) {
		char ch = buf[i];
		if (ch == ' ' || ch == '\t') {
			if (!blank)
				out[o++] = ' ';
			blank = true;
			continue;
		}
		if (ch == '\n') {
			if (o && out[o - 1] == ' ')
				o--;
			if (i + 1 < len)
				out[o++] = '|';
			blank = true;
			continue;
		}
		out[o++] = ch;
		blank = false;
	}
	if (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	say("%s\n", out);
}

static void print_status_field(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		fail("/proc/self/status");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			char *v = line + flen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			say("%s\n", v);
			fclose(f);
			return;
		}
	}
	fclose(f);
	errno = ENOENT;
	fail(field);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void print_fds(void)
{
	int fds[1024];
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		fail("fds");
	struct dirent *e;
	while ((e = readdir(d)) && n < 1024) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, n, sizeof(fds[0]), cmp_int);
	char line[8192];
	size_t pos = 0;
	line[0] = '\0';
	for (size_t i = 0; i < n && pos < sizeof(line); i++)
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "%s%d", i ? " " : "", fds[i]);
	say("%s\n", line);
}

static void print_procs(void)
{
	unsigned count = 0;
	DIR *d = opendir("/proc");
	if (!d)
		fail("procs");
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    strspn(e->d_name, "0123456789") == strlen(e->d_name))
			count++;
	closedir(d);
	say("%u\n", count);
}

static void print_cgroup(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		fail("cgroup");
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			say("%s\n", line + 3);
			fclose(f);
			return;
		}
	}
	fclose(f);
	errno = ENOENT;
	fail("cgroup");
}

int main(int argc, char **argv)
{
	char buf[4096];

	for (int i = 1; i < argc; i++) {
		const char *req = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(req, "uid")) {
			say("%u\n", (unsigned)getuid());
		} else if (!strcmp(req, "gid")) {
			say("%u\n", (unsigned)getgid());
		} else if (!strcmp(req, "pid")) {
			say("%d\n", (int)getpid());
		} else if (!strcmp(req, "ppid")) {
			say("%d\n", (int)getppid());
		} else if (!strcmp(req, "hostname")) {
			if (gethostname(buf, sizeof(buf)) < 0)
				fail(req);
			say("%s\n", buf);
		} else if (!strcmp(req, "cwd")) {
			if (!getcwd(buf, sizeof(buf)))
				fail(req);
			say("%s\n", buf);
		} else if (!strcmp(req, "procs")) {
			print_procs();
		} else if (!strcmp(req, "fds")) {
			print_fds();
		} else if (!strcmp(req, "cgroup")) {
			print_cgroup();
		} else if (!strcmp(req, "sigmask")) {
			print_status_field("SigBlk");
		} else if (!strcmp(req, "sigign")) {
			print_status_field("SigIgn");
		} else if (!strcmp(req, "sigcgt")) {
			print_status_field("SigCgt");
		} else if (!strcmp(req, "timens_offsets")) {
			print_file("/proc/self/timens_offsets");
		} else if (!strcmp(req, "wait")) {
			while (read(0, buf, sizeof(buf)) > 0)
				;
			say("eof\n");
		} else if (arg && !strcmp(req, "ns")) {
			struct stat st;
			snprintf(buf, sizeof(buf), "/proc/self/ns/%s", arg);
			if (stat(buf, &st) < 0)
				fail(buf);
			say("%llu\n", (unsigned long long)st.st_ino);
			i++;
		} else if (arg && !strcmp(req, "clock")) {
			struct timespec ts;
			clockid_t id = !strcmp(arg, "monotonic") ? CLOCK_MONOTONIC
				     : !strcmp(arg, "boottime")  ? CLOCK_BOOTTIME
								 : CLOCK_REALTIME;
			if (clock_gettime(id, &ts) < 0)
				fail(req);
			say("%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
			i++;
		} else if (arg && !strcmp(req, "file")) {
			print_file(arg);
			i++;
		} else if (arg && !strcmp(req, "env")) {
			const char *v = getenv(arg);
			say("%s\n", v ? v : "(unset)");
			i++;
		} else if (arg && !strcmp(req, "chdir")) {
			if (chdir(arg) < 0)
				fail(arg);
			say("ok\n");
			i++;
		} else if (arg && !strcmp(req, "to")) {
			out_fd = atoi(arg);
			i++;
		} else if (arg && !strcmp(req, "exit")) {
			exit(atoi(arg));
		} else {
			errno = EINVAL;
			fail(req);
		}
	}
	return 0;
}
