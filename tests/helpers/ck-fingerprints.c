/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes process-creation calls for tests that watch them from outside
 * (strace, later ptrace and eBPF tracers):
 *   fork                 fork() and wait, as a shell does
 *   pthread              pthread_create() and join
 *   values               read "clone HEX", "clone3 HEX SIG" or "unshare HEX"
 *                        lines from stdin and make each call for real
 *   hostile NAME [wait]  name itself NAME (PR_SET_NAME), unshare a user and a
 *                        network namespace, and with "wait" stay until stdin
 *                        ends (so that its /proc/PID/exe outlives the call)
 * A child made by "values" exits at once; calls whose child would kill or
 * stop this process with its exit signal are made to fail instead.
 */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kernel/rawcall.h"

static void *thread_main(void *arg)
{
	return arg;
}

static void reap(void)
{
	while (waitpid(-1, NULL, __WALL) > 0)
		;
}

static int do_values(void)
{
	char line[256];
	uint64_t all = ~UINT64_C(0);

	/* exit signals of the children must not disturb this process */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
	while (fgets(line, sizeof(line), stdin)) {
		char call[16];
		unsigned long long v, sig = 0;
		int32_t ptid = -1, ctid = 0, pidfd = -1;
		if (sscanf(line, "%15s %llx %llu", call, &v, &sig) < 2)
			continue;
		/* a CLONE_SIGHAND|CLONE_NEWPID child leaves SIGCHLD ignored here */
		signal(SIGCHLD, SIG_DFL);
		if (strcmp(call, "clone") == 0) {
			if (!CK_HAVE_RAWCALL)
				return 2;
			unsigned s = v & 0xff;
			if (s == SIGKILL || s == SIGSTOP)
				v = (v | CLONE_SIGHAND) & ~(unsigned long long)CLONE_VM; /* EINVAL */
			long r = raw_clone_exit(v, 0, (uint64_t)(uintptr_t)&ptid,
						(uint64_t)(uintptr_t)&ctid, 0);
			if (r > 0 && (v & CLONE_PIDFD) && ptid >= 0)
				close(ptid);
		} else if (strcmp(call, "clone3") == 0) {
			struct clone_args a;
			if (!CK_HAVE_RAWCALL)
				return 2;
			memset(&a, 0, sizeof(a));
			a.flags = v;
			a.exit_signal = sig;
			a.pidfd = (uint64_t)(uintptr_t)&pidfd;
			a.child_tid = (uint64_t)(uintptr_t)&ctid;
			a.parent_tid = (uint64_t)(uintptr_t)&ptid;
			if (sig == SIGKILL || sig == SIGSTOP)
				a.stack_size = 1; /* EINVAL: a size without a stack */
			long r = raw_clone3_exit(&a, sizeof(a));
			if (r > 0 && (v & CLONE_PIDFD) && pidfd >= 0)
				close(pidfd);
		} else if (strcmp(call, "unshare") == 0) {
			pid_t p = fork();
			if (p == 0) {
				syscall(SYS_unshare, (unsigned long)v);
				_exit(0);
			}
		}
		reap();
	}
	return 0;
}

/* A process that chose its own name to forge output lines, and does what the default rules flag. */
static int do_hostile(const char *name, bool wait)
{
	char c;

	if (prctl(PR_SET_NAME, name) < 0 || syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		perror("ck-fingerprints hostile");
		return 1;
	}
	while (wait && read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "hostile") == 0)
		return do_hostile(argv[2], argc > 3 && strcmp(argv[3], "wait") == 0);
	if (argc != 2) {
		fprintf(stderr, "usage: ck-fingerprints fork|pthread|values|hostile NAME [wait]\n");
		return 2;
	}
	if (strcmp(argv[1], "fork") == 0) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
		return 0;
	}
	if (strcmp(argv[1], "pthread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_main, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
		return 0;
	}
	if (strcmp(argv[1], "values") == 0)
		return do_values();
	fprintf(stderr, "ck-fingerprints: unknown mode '%s'\n", argv[1]);
	return 2;
}
