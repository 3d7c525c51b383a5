/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes one of each kind of task the supervisor's lineage must see, and
 * prints what it made, one "KIND PID" line each: a fork, a thread, a child
 * and its grandchild, a CLONE_PARENT child (whose real parent is our
 * parent), and a child that execs /bin/true. Used by test_kacs_lineage.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

static pid_t fork_ok(void)
{
	pid_t p = fork();
	if (p < 0) {
		perror("fork");
		exit(1);
	}
	return p;
}

static void reap(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "child %d failed\n", (int)p);
		exit(1);
	}
}

int main(void)
{
	pthread_t th;
	pid_t tid = 0, p;
	int fds[2];

	printf("self %d %d\n", (int)getpid(), (int)gettid());
	if ((p = fork_ok()) == 0)
		_exit(0);
	reap(p);
	printf("fork %d\n", (int)p);

	if (pthread_create(&th, NULL, thread_main, &tid) || pthread_join(th, NULL))
		return 1;
	printf("thread %d\n", (int)tid);

	if (pipe(fds))
		return 1;
	if ((p = fork_ok()) == 0) {
		pid_t g = fork_ok();
		if (g == 0)
			_exit(0);
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		reap(g);
		_exit(0);
	}
	pid_t g = 0;
	if (read(fds[0], &g, sizeof(g)) != sizeof(g))
		return 1;
	reap(p);
	printf("child %d\ngrandchild %d\n", (int)p, (int)g);

	/* its parent is ours: our parent reaps it */
	long cp = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
	if (cp == 0)
		_exit(0);
	if (cp < 0)
		return 1;
	printf("clone_parent %ld\n", cp);

	if ((p = fork_ok()) == 0) {
		char *argv[] = { "true", NULL };
		execv("/bin/true", argv);
		_exit(127);
	}
	reap(p);
	printf("exec %d\n", (int)p);
	fflush(stdout);
	return 0;
}
