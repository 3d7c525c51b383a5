/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small init as PID 1 of a new PID namespace: the program is its child;
 * it reaps every process that ends in the namespace, forwards the signals it
 * gets to the program, and exits with the program's status (128+N for a
 * signal N) as soon as the program ends, after writing that status to the
 * parent's report pipe: a caller that wants only the program's status need
 * not wait for the namespaces' teardown in the init's exit. System calls only: it is a copy of
 * a process that may have had other threads.
 */
#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/arch.h"
#include "sandbox/proc.h"

#define NSIG_KERNEL 64

int ck_spawn_attr_set_init(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->init = on;
	return 0;
}

/* The status a shell gives for a waitpid() status: the exit code, or 128+signal. */
CK_CHILD_CODE static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reaps whatever has ended; 1 with *code once the program has. */
CK_CHILD_CODE static int reap(pid_t program, int *code)
{
	int st, done = 0;
	pid_t p;
	while ((p = (pid_t)syscall(SYS_wait4, -1, &st, WNOHANG | __WALL, NULL)) > 0 ||
	       (p < 0 && errno == EINTR)) {
		if (p == program) {
			*code = exit_code(st);
			done = 1;
		}
	}
	return done;
}

/* The code to the parent first (lib/spawn.c ck__spawn_wait_program), then the exit. */
CK_CHILD_CODE static _Noreturn void init_exit(int report, int code)
{
	if (report >= 0)
		while (write(report, &code, sizeof(code)) < 0 && errno == EINTR)
			;
	_exit(code);
}

CK_CHILD_CODE static _Noreturn void init_loop(pid_t program, int report)
{
	/* every signal stays blocked (as the launcher cloned us) and arrives through the fd */
	uint64_t all = ~UINT64_C(0);
	struct signalfd_siginfo si;
	int code = 0;
	int fd = (int)syscall(SYS_signalfd4, -1, &all, sizeof(all), SFD_CLOEXEC);

	if (fd < 0) {
		/* without the fd only reaping is left: wait for the program alone */
		int st;
		while (syscall(SYS_wait4, program, &st, __WALL, NULL) < 0 && errno == EINTR)
			;
		init_exit(report, exit_code(st));
	}
	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si) || si.ssi_signo == SIGCHLD) {
			if (reap(program, &code))
				init_exit(report, code);
			continue;
		}
		syscall(SYS_kill, program, (int)si.ssi_signo);
	}
}

CK_CHILD_CODE pid_t ck__init_fork(void)
{
	/* a raw fork: glibc's would take locks another thread of the caller may have held */
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	return pid < 0 ? -errno : pid;
}

CK_CHILD_CODE pid_t ck__init_vfork(int (*fn)(void *), void *arg, void *stack, size_t size)
{
	/* the stack's top: it grows down on every architecture clonekit builds for */
	long pid = ck__clone(fn, (char *)stack + size, CK_CLONE_VM | CK_CLONE_VFORK | SIGCHLD, arg, NULL, NULL,
			     NULL);
	return (pid_t)pid;
}

CK_CHILD_CODE _Noreturn void ck__init_run(pid_t program, int ctl, int report)
{
	if (ctl >= 0)
		close(ctl); /* the program's execve must close the last end the parent waits on */
	/* the report end alone stays open, as fd 3 */
	if (report >= 0 && report != 3 && (report = (int)syscall(SYS_dup3, report, 3, O_CLOEXEC)) < 0)
		report = -1;
	syscall(SYS_close_range, report >= 0 ? 4U : 3U, ~0U, 0U);
	init_loop(program, report);
}
