/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static int append(struct ck_test_run *r, size_t *cap, const char *buf, size_t n)
{
	if (r->len + n + 1 > *cap) {
		size_t want = *cap ? *cap : 4096;
		char *p;

		while (r->len + n + 1 > want)
			want *= 2;
		p = realloc(r->out, want);
		if (!p)
			return -ENOMEM;
		r->out = p;
		*cap = want;
	}
	memcpy(r->out + r->len, buf, n);
	r->len += n;
	r->out[r->len] = '\0';
	return 0;
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

/* Reads until EOF or the deadline; returns 0, or -errno when reading or memory failed. */
static int collect(int fd, pid_t pid, const struct ck_test_run_opts *o, struct ck_test_run *r)
{
	int64_t deadline = o->timeout_s ? now_ms() + (int64_t)o->timeout_s * 1000 : 0;
	size_t cap = 0;
	char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait_ms = -1;

		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				kill(-pid, SIGKILL);
				r->timed_out = true;
				return 0;
			}
			wait_ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		int n = poll(&p, 1, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			continue;
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		if (o->tee_fd >= 0)
			copy_to(o->tee_fd, buf, (size_t)got);
		if (append(r, &cap, buf, (size_t)got) < 0)
			return -ENOMEM;
	}
}

int ck_test_run(char *const argv[], const struct ck_test_run_opts *opts, struct ck_test_run *r)
{
	const struct ck_test_run_opts none = { .tee_fd = -1 };
	const struct ck_test_run_opts *o = opts ? opts : &none;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fd[2], err, rerr;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(fd, O_CLOEXEC) < 0)
		return errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	if (o->merge_stderr)
		posix_spawn_file_actions_adddup2(&fa, fd[1], STDERR_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	err = posix_spawn(&pid, argv[0], &fa, &attr, argv, o->envp ? o->envp : environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (err) {
		close(fd[0]);
		return err;
	}

	rerr = collect(fd[0], pid, o, r);
	close(fd[0]);
	if (rerr < 0)
		kill(-pid, SIGKILL); /* nothing more can be read: stop it rather than wait forever */
	/* what the group left behind dies with it, while the unreaped leader keeps its id */
	while (waitid(P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	if (!r->out && append(r, &(size_t){ 0 }, "", 0) < 0)
		rerr = -ENOMEM;
	return rerr < 0 ? -rerr : 0;
}

void ck_test_run_free(struct ck_test_run *r)
{
	free(r->out);
	r->out = NULL;
	r->len = 0;
}
