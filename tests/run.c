/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "run.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void copy_to(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the copy is a convenience; the run goes on without it */
		buf += w;
		n -= (size_t)w;
	}
}

/* One stream read from the program: its pipe and the buffer it fills. */
struct sink {
	int fd; /* -1 once at EOF, or never opened */
	char **buf;
	size_t *len, cap;
};

static int append(struct sink *k, const char *buf, size_t n)
{
	if (*k->len + n + 1 > k->cap) {
		size_t want = k->cap ? k->cap : 4096;
		char *p;

		while (*k->len + n + 1 > want)
			want *= 2;
		p = realloc(*k->buf, want);
		if (!p)
			return -ENOMEM;
		*k->buf = p;
		k->cap = want;
	}
	memcpy(*k->buf + *k->len, buf, n);
	*k->len += n;
	(*k->buf)[*k->len] = '\0';
	return 0;
}

/* Reads both streams until EOF or the deadline; returns 0, or -errno when reading or memory failed. */
static int collect(struct sink *k, size_t nk, pid_t pid, const struct ck_test_run_opts *o, struct ck_test_run *r)
{
	int64_t deadline = o->timeout_s ? now_ms() + (int64_t)o->timeout_s * 1000 : 0;
	char buf[65536];

	for (;;) {
		struct pollfd p[2];
		int wait_ms = -1;

		for (size_t i = 0; i < nk; i++)
			p[i] = (struct pollfd){ .fd = k[i].fd, .events = POLLIN };
		if (k[0].fd < 0 && (nk < 2 || k[1].fd < 0))
			return 0;
		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				kill(-pid, SIGKILL);
				r->timed_out = true;
				return 0;
			}
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		int n = poll(p, (nfds_t)nk, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (size_t i = 0; i < nk; i++) {
			if (k[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t got = read(k[i].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return -errno;
			if (got == 0) {
				close(k[i].fd);
				k[i].fd = -1;
				continue;
			}
			if (o->tee_fd >= 0)
				copy_to(o->tee_fd, buf, (size_t)got);
			if (append(&k[i], buf, (size_t)got) < 0)
				return -ENOMEM;
		}
	}
}

/* In the forked child: its process group, stdio and identity; 0 or -errno. */
static int child_setup(int in, int out, int err, const struct ck_test_run_opts *o)
{
	if ((o->new_session ? setsid() : setpgid(0, 0)) < 0 || dup2(in, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0)
		return -errno;
	if ((o->merge_stderr || o->capture_stderr) && dup2(o->merge_stderr ? out : err, STDERR_FILENO) < 0)
		return -errno;
	if (o->as_nobody &&
	    (setgroups(0, NULL) < 0 || setresgid(CK_TEST_NOBODY, CK_TEST_NOBODY, CK_TEST_NOBODY) < 0 ||
	     setresuid(CK_TEST_NOBODY, CK_TEST_NOBODY, CK_TEST_NOBODY) < 0 ||
	     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)) /* the tests read its /proc files as root */
		return -errno;
	return 0;
}

static void tell_and_exit(int fd, int e)
{
	ssize_t w = write(fd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* stdin for the program: /dev/null, or a memfd holding text. */
static int stdin_fd(const char *text)
{
	if (!text)
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fd = memfd_create("ck-test-stdin", MFD_CLOEXEC);
	size_t n = strlen(text), done = 0;

	if (fd < 0)
		return -1;
	while (done < n) {
		ssize_t w = write(fd, text + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* argv (fn NULL) or fn(arg) in a forked child; the one mechanism behind both entry points. */
static int run_child(char *const argv[], int (*fn)(void *), void *arg, const struct ck_test_run_opts *opts,
		     struct ck_test_run *r)
{
	const struct ck_test_run_opts none = { .tee_fd = -1 };
	const struct ck_test_run_opts *o = opts ? opts : &none;
	int out[2], err[2] = { -1, -1 }, report[2], in, e = 0, rerr;
	struct sink k[2];
	size_t nk = 1;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	in = stdin_fd(o->stdin_text);
	if (in < 0)
		return errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		e = errno;
		close(in);
		return e;
	}
	if ((o->capture_stderr && !o->merge_stderr && pipe2(err, O_CLOEXEC) < 0) || pipe2(report, O_CLOEXEC) < 0) {
		e = errno;
		close(in);
		close(out[0]);
		close(out[1]);
		if (err[0] >= 0) {
			close(err[0]);
			close(err[1]);
		}
		return e;
	}
	fflush(stdout); /* else the child's copy of unwritten output would be written twice */
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(report[0]);
		int s = child_setup(in, out[1], err[1], o);
		if (s < 0)
			tell_and_exit(report[1], -s);
		if (fn) {
			close(report[1]);
			int code = fn(arg);
			fflush(stdout);
			fflush(stderr);
			_exit(code);
		}
		execve(argv[0], argv, o->envp ? o->envp : environ);
		tell_and_exit(report[1], errno);
	}
	if (pid < 0)
		e = errno;
	close(in);
	close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	close(report[1]);
	/* nothing (or EOF) on report: the program runs (exec'd, or fn called) in its own group */
	while (pid > 0 && read(report[0], &e, sizeof(e)) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (e) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		close(out[0]);
		if (err[0] >= 0)
			close(err[0]);
		return e;
	}

	k[0] = (struct sink){ .fd = out[0], .buf = &r->out, .len = &r->len };
	if (err[0] >= 0)
		k[nk++] = (struct sink){ .fd = err[0], .buf = &r->err, .len = &r->err_len };
	rerr = collect(k, nk, pid, o, r);
	for (size_t i = 0; i < nk; i++)
		if (k[i].fd >= 0)
			close(k[i].fd);
	if (rerr < 0)
		kill(-pid, SIGKILL); /* nothing more can be read: stop it rather than wait forever */
	/* what the group left behind dies with it, while the unreaped leader keeps its id */
	while (waitid(P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < nk; i++)
		if (!*k[i].buf && append(&k[i], "", 0) < 0)
			rerr = -ENOMEM;
	return rerr < 0 ? -rerr : 0;
}

int ck_test_run(char *const argv[], const struct ck_test_run_opts *opts, struct ck_test_run *r)
{
	return run_child(argv, NULL, NULL, opts, r);
}

int ck_test_run_fn(int (*fn)(void *), void *arg, const struct ck_test_run_opts *opts, struct ck_test_run *r)
{
	return run_child(NULL, fn, arg, opts, r);
}

void ck_test_run_free(struct ck_test_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->len = r->err_len = 0;
}

void ck_test_assert_exit(const struct ck_test_run *r, int code, const char *what)
{
	const char *err = r->err ? r->err : "";

	cr_assert_not(r->timed_out, "%s did not end before its deadline; it printed:\n%s%s", what,
		      r->out ? r->out : "", err);
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == code,
		  "%s ended with status 0x%x (exit %d, want %d); it printed:\n%s%s", what, r->status,
		  WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1, code, r->out ? r->out : "", err);
}

char *ck_test_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof(cmd), "a shell command of %d bytes is longer than %zu", n, sizeof(cmd));
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct ck_test_run_opts o = { .timeout_s = 60, .tee_fd = -1 };
	struct ck_test_run r;
	int e = ck_test_run(argv, &o, &r);
	cr_assert_eq(e, 0, "%s: %s", cmd, strerror(e));
	ck_test_assert_exit(&r, 0, cmd);
	return r.out;
}

size_t ck_test_read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

int ck_test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

void ck_test_assert_no_children(void)
{
	errno = 0;
	pid_t r = waitpid(-1, NULL, WNOHANG | __WALL);
	cr_assert(r == -1 && errno == ECHILD, "a child is left behind (waitpid: %d, %s)", (int)r, strerror(errno));
}
