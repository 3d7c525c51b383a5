/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Known process-creation patterns for tests that watch from outside
 * (tests/kernel/test_watch.c); built natively and as an i386 program. Each
 * argument is one step, run in order; every child exits at once and is
 * reaped before the next step:
 *   fork              fork()
 *   vfork             vfork()
 *   spawn             posix_spawn() of /bin/true
 *   clone3            clone3 with exit_signal SIGCHLD and nothing else
 *   clone3-cgroup=DIR clone3 with CLONE_INTO_CGROUP into DIR; prints "cgroup-fd N"
 *   unshare-uts       unshare(CLONE_NEWUTS) in this process
 *   setns-uts         setns() into this process's own UTS namespace
 *   forks=N           N fork()s
 *   wait              read stdin until it ends (the test looks at /proc meanwhile)
 *   chroot=DIR        chroot(DIR): its own executable is then outside its root
 *   flood=KIND        forever, as fast as it can, until killed: KIND fork (fork,
 *                     exit, reap), thread (pthread_create and join) or unshare
 *                     (unshare(0), the cheapest call the watch reports)
 * Exits 0 when every step worked, 1 naming the first that did not.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int reaped(pid_t p)
{
	int st;

	if (p < 0)
		return -1;
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int do_fork(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return reaped(p);
}

static int do_vfork(void)
{
	pid_t p = vfork();

	if (p == 0)
		_exit(0);
	return reaped(p);
}

static int do_spawn(void)
{
	char *argv[] = { "true", NULL };
	pid_t p;

	if (posix_spawn(&p, "/bin/true", NULL, NULL, argv, environ) != 0)
		return -1;
	return reaped(p);
}

/* Without CLONE_VM the child runs on its own copy of this stack, so the plain syscall() is safe. */
static int do_clone3(const char *cgroup)
{
	struct clone_args a;
	int fd = -1;
	long p;

	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	if (cgroup) {
		fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		a.flags = CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)fd;
		printf("cgroup-fd %d\n", fd);
		fflush(stdout);
	}
	p = syscall(SYS_clone3, &a, sizeof(a));
	if (p == 0)
		_exit(0);
	if (fd >= 0)
		close(fd);
	return reaped((pid_t)p);
}

static int do_setns_uts(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWUTS);
	close(fd);
	return r;
}

static void *no_op(void *arg)
{
	return arg;
}

static int flood(const char *kind)
{
	pthread_t t;

	for (;;) {
		if (strcmp(kind, "fork") == 0) {
			if (do_fork() < 0)
				return -1;
		} else if (strcmp(kind, "thread") == 0) {
			if (pthread_create(&t, NULL, no_op, NULL) != 0 || pthread_join(t, NULL) != 0)
				return -1;
		} else if (strcmp(kind, "unshare") == 0) {
			if (unshare(0) < 0)
				return -1;
		} else {
			errno = EINVAL;
			return -1;
		}
	}
}

static int step(const char *s)
{
	if (strcmp(s, "fork") == 0)
		return do_fork();
	if (strcmp(s, "vfork") == 0)
		return do_vfork();
	if (strcmp(s, "spawn") == 0)
		return do_spawn();
	if (strcmp(s, "clone3") == 0)
		return do_clone3(NULL);
	if (strncmp(s, "clone3-cgroup=", 14) == 0)
		return do_clone3(s + 14);
	if (strcmp(s, "unshare-uts") == 0)
		return unshare(CLONE_NEWUTS);
	if (strcmp(s, "setns-uts") == 0)
		return do_setns_uts();
	if (strcmp(s, "wait") == 0) {
		char c;
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	if (strncmp(s, "chroot=", 7) == 0)
		return chroot(s + 7) < 0 ? -1 : chdir("/");
	if (strncmp(s, "flood=", 6) == 0)
		return flood(s + 6);
	if (strncmp(s, "forks=", 6) == 0) {
		for (long i = atol(s + 6); i > 0; i--)
			if (do_fork() < 0)
				return -1;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (step(argv[i]) < 0) {
			fprintf(stderr, "ck-workload: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	return 0;
}
