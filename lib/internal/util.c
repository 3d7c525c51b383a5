/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

void ck__buf_append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = *pos < len ? len - *pos : 0;
	int n = vsnprintf(room ? buf + *pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

int ck__parse_u64n(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (base == 0) {
		base = 10;
		if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			i = 2;
		}
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d;
		char c = (char)tolower((unsigned char)s[i]);
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		if (d > max || v > (max - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

bool ck__strn_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] == '\0' ||
		    tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	}
	return a[n] == '\0';
}

unsigned ck__edit_distance(const char *a, const char *b, unsigned cap)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (lb >= CK_ARRAY_SIZE(row) || la >= 64)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0], best;
		row[0] = (unsigned)i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned v = diag + cost;
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

ssize_t ck__read_small_file(const char *path, char *buf, size_t len)
{
	return ck__read_small_file_at(AT_FDCWD, path, buf, len);
}

ssize_t ck__read_small_file_at(int dirfd, const char *path, char *buf, size_t len)
{
	int fd CK_AUTO_CLOSE = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (len == 0)
		return -EINVAL;
	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	while (got > 0 && buf[got - 1] == '\n')
		buf[--got] = '\0';
	return (ssize_t)got;
}

int ck__read_ll(const char *path, long long *out)
{
	char buf[64], *end;
	ssize_t n = ck__read_small_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *ck__status_field(const char *status, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ':')
			return p + n + 1;
	return NULL;
}

const char *ck__path_env(void)
{
	const char *p = getenv("PATH");
	return p ? p : "/usr/local/bin:/bin:/usr/bin";
}

CK_CHILD_CODE int ck__exec_search(const char *file, const char *path_env, char *const argv[],
				 char *const envp[])
{
	char buf[PATH_MAX];
	int err = ENOENT;
	bool saw_eacces = false;

	if (!path_env || strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	size_t flen = strlen(file);
	for (const char *p = path_env;;) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen + 1 + flen + 1 <= sizeof(buf)) {
			if (dlen == 0) {
				memcpy(buf, file, flen + 1); /* an empty entry is the cwd */
			} else {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
			}
			execve(buf, argv, envp);
			err = errno;
			if (err == EACCES)
				saw_eacces = true;
			else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
				 err != ETIMEDOUT)
				return err;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return saw_eacces ? EACCES : err;
}

int ck__signal_child(pid_t pid, int pidfd, int sig)
{
	int saved = errno, r;
	siginfo_t si;

	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0) {
		r = 0;
	} else if (pid <= 0) {
		r = pidfd >= 0 ? -errno : -ESRCH;
	} else {
		/* ECHILD: reaped already, so the pid may name another process by now */
		si.si_pid = 0;
		if (syscall(SYS_waitid, P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL,
			    NULL) < 0 && errno == ECHILD)
			r = -ESRCH;
		else
			r = kill(pid, sig) < 0 ? -errno : 0;
	}
	errno = saved;
	return r;
}

int ck__wait_child(pid_t pid, int pidfd, int *status)
{
	siginfo_t si;
	int r;

	if (pidfd >= 0) {
		memset(&si, 0, sizeof(si));
		while ((r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL)) < 0 &&
		       errno == EINTR)
			;
		if (r == 0) {
			if (si.si_code == CLD_EXITED)
				*status = (si.si_status & 0xff) << 8;
			else
				*status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
			return 0;
		}
		if (errno == ECHILD)
			return -ECHILD;
	}
	while (waitpid(pid, status, __WALL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}
