/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes process-creation calls in known patterns, for the tracer tests
 * (tests/kernel/test_trace.c), natively and as an i386 program:
 *   fork, vfork, spawn (posix_spawn /bin/true), pthread
 *   clone        libc clone() with CLONE_PARENT_SETTID|CLONE_CHILD_SETTID|SIGCHLD,
 *                printing "ptid=ADDR ctid=ADDR"
 *   untraced     libc clone() with CLONE_UNTRACED|SIGCHLD
 *   newuts       libc clone() with CLONE_NEWUTS|SIGCHLD
 *   setns        setns() into its own UTS namespace, printing "fd=N"
 *   int80        fork through int $0x80 (the i386 entry) from 64-bit code
 *   cgroup DIR   ck_clone3() with CLONE_INTO_CGROUP into DIR, printing "fd=N"
 *   thread-exec  a second thread calls execve(/bin/true)
 *   stopcont     a child stops itself with SIGSTOP and is continued
 *   threads N    N threads that return at once, 16 at a time, each batch joined
 *   forkloop MS [THREADS]  forks every MS milliseconds forever, printing "ok"
 *                or the errno name of each fork, and "ready PID" first; with
 *                THREADS sleeping threads beside it
 * Every child exits at once and is reaped.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

#include <clonekit/clone.h>
#include <clonekit/flags.h>

#define STACK_SIZE (64 * 1024)

extern char **environ;

static char stack[STACK_SIZE] __attribute__((aligned(16)));

static int child_exits(void *arg)
{
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

static void *thread_exec(void *arg)
{
	char *argv[] = { "/bin/true", NULL };
	execve(argv[0], argv, environ);
	_exit(126);
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int libc_clone(int flags)
{
	pid_t ptid = 0, ctid = 0;
	pid_t pid = clone(child_exits, stack + STACK_SIZE, flags, NULL, &ptid, NULL, &ctid);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	if (flags & CLONE_PARENT_SETTID)
		printf("ptid=%#lx ctid=%#lx\n", (unsigned long)(uintptr_t)&ptid,
		       (unsigned long)(uintptr_t)&ctid);
	return reap(pid);
}

static void *thread_sleeps(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static int forkloop(long ms, long threads)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	for (long i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_sleeps, NULL) != 0)
			return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	for (;;) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			printf("%s\n", errno == ENOSYS ? "ENOSYS" : strerror(errno));
		} else {
			reap(pid);
			printf("ok\n");
		}
		nanosleep(&ts, NULL);
	}
}

static int threads(long n)
{
	pthread_t t[16];
	for (long done = 0; done < n;) {
		int k = n - done < 16 ? (int)(n - done) : 16;
		for (int i = 0; i < k; i++)
			if (pthread_create(&t[i], NULL, thread_main, NULL) != 0)
				return 1;
		for (int i = 0; i < k; i++)
			pthread_join(t[i], NULL);
		done += k;
	}
	return 0;
}

static int stopcont(void)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		return 1;
	kill(pid, SIGCONT);
	return reap(pid);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		return reap(pid);
	}
	if (strcmp(mode, "vfork") == 0) {
		pid_t pid = vfork();
		if (pid == 0)
			_exit(0);
		return reap(pid);
	}
	if (strcmp(mode, "spawn") == 0) {
		char *args[] = { "/bin/true", NULL };
		pid_t pid;
		if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0)
			return 1;
		return reap(pid);
	}
	if (strcmp(mode, "pthread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_main, NULL) != 0)
			return 1;
		return pthread_join(t, NULL) != 0;
	}
	if (strcmp(mode, "clone") == 0)
		return libc_clone(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD);
	if (strcmp(mode, "untraced") == 0)
		return libc_clone(CLONE_UNTRACED | SIGCHLD);
	if (strcmp(mode, "newuts") == 0)
		return libc_clone(CLONE_NEWUTS | SIGCHLD);
	if (strcmp(mode, "setns") == 0) {
		int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUTS) < 0)
			return 1;
		printf("fd=%d\n", fd);
		return 0;
	}
#if defined(__x86_64__)
	if (strcmp(mode, "int80") == 0) {
		long r;
		/* i386's fork is 2; the compat entry clobbers r8-r11 */
		__asm__ volatile("int $0x80" : "=a"(r) : "0"(2L) : "r8", "r9", "r10", "r11", "memory");
		if (r == 0)
			_exit(0);
		return r < 0 ? 1 : reap((pid_t)r);
	}
#endif
	if (strcmp(mode, "cgroup") == 0 && argc == 3) {
		struct ck_clone_args a;
		int fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		memset(&a, 0, sizeof(a));
		a.flags = CK_CLONE_INTO_CGROUP;
		a.exit_signal = SIGCHLD;
		a.cgroup = (uint64_t)fd;
		pid_t pid = ck_clone3(&a, sizeof(a), NULL, NULL);
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			return 1;
		printf("fd=%d\n", fd);
		return reap(pid);
	}
	if (strcmp(mode, "thread-exec") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_exec, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
		return 1; /* never reached: the exec ends this thread group */
	}
	if (strcmp(mode, "threads") == 0 && argc == 3)
		return threads(strtol(argv[2], NULL, 10));
	if (strcmp(mode, "stopcont") == 0)
		return stopcont();
	if (strcmp(mode, "forkloop") == 0 && (argc == 3 || argc == 4))
		return forkloop(strtol(argv[2], NULL, 10), argc == 4 ? strtol(argv[3], NULL, 10) : 0);
	fprintf(stderr, "usage: ck-patterns fork|vfork|spawn|pthread|clone|untraced|newuts|setns|"
			"int80|cgroup DIR|thread-exec|stopcont|forkloop MS [THREADS]\n");
	return 2;
}
