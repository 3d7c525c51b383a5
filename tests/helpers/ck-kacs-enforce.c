/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs as the root R of a `clonekit kacs run` tree and makes the calls of
 * the enforcement table (design §9) that the 25 cases of tests/kernel/
 * test_kacs.c leave out, natively and as an i386 program. R makes itself
 * a process-group leader, keeps a memfd "from-R" at fd 100 and forks C,
 * which runs one scenario against R (whose SD, from --sd, grants the tree's
 * user nothing but QUERY_LIMITED) and against D, its own child (the default
 * SD: everything). One line per call on stdout:
 *   LABEL ok | LABEL ERRNO-NAME | LABEL VALUE
 * Scenarios: signals groups all prio prio-user perf kcmp getfd getfd-race
 * targets dumpable; and made by R itself, for its PSB's gates: nochild, and
 * pie NONPIE PIE (execs of an ET_EXEC and an ET_DYN image, which run
 * `ck-kacs-enforce hello`), pie-race NONPIE PIE (the path flipped under
 * the exec; the images run `hello-checked`).
 * R exits with C's status; C kills and reaps D before it ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGET_FD 100

static pid_t R, D = -1;
static int d_hold = -1; /* C's end of the pipe D waits on */

static void say(const char *label, long r)
{
	if (r < 0)
		printf("%s %s\n", label, strerrorname_np(errno));
	else
		printf("%s ok\n", label);
	fflush(stdout);
}

static void say_text(const char *label, const char *text)
{
	printf("%s %s\n", label, text);
	fflush(stdout);
}

static int memfd_at(const char *name, int fd)
{
	int m = memfd_create(name, 0);
	if (m < 0 || dup2(m, fd) < 0)
		return -1;
	close(m);
	return 0;
}

/* D: a process of the tree with the default SD, SIGUSR1 blocked, "from-D" at fd 100, until C lets go. */
static void fork_d(void)
{
	int hold[2], ready[2];
	char c;
	if (pipe2(hold, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		exit(2);
	D = fork();
	if (D < 0) {
		perror("fork D");
		exit(2);
	}
	if (D == 0) {
		close(hold[1]);
		close(ready[0]);
		if (memfd_at("from-D", TARGET_FD) < 0)
			_exit(2);
		close(ready[1]); /* set up: C may go on */
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	close(ready[1]);
	while (read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	d_hold = hold[1];
}

static void end_d(void)
{
	if (D <= 0)
		return;
	close(d_hold);
	waitpid(D, NULL, 0);
	D = -1;
}

static bool usr1_pending(void)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, SIGUSR1);
}

static void take_usr1(void)
{
	sigset_t s;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigtimedwait(&s, NULL, &zero);
}

static long sigqueue_raw(pid_t tgid, pid_t tid, int sig)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE; /* negative: the kernel lets it go to another process */
	si.si_pid = getpid();
	si.si_uid = getuid();
	return tid ? syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &si) : syscall(SYS_rt_sigqueueinfo, tgid, sig, &si);
}

/* One process each, by every signal call. */
static void signals(void)
{
	fork_d();
	say("kill-R-TERM", kill(R, SIGTERM));
	say("kill-R-probe", kill(R, 0));
	say("kill-D-USR1", kill(D, SIGUSR1));
	say("tkill-R-TERM", syscall(SYS_tkill, R, SIGTERM));
	say("tgkill-R-TERM", syscall(SYS_tgkill, R, R, SIGTERM));
	say("tgkill-D-USR1", syscall(SYS_tgkill, D, D, SIGUSR1));
	say("tgkill-mismatch", syscall(SYS_tgkill, R, D, SIGUSR1));
	say("sigqueue-R-TERM", sigqueue_raw(R, 0, SIGTERM));
	say("sigqueue-D-USR1", sigqueue_raw(D, 0, SIGUSR1));
	say("tgsigqueue-R-USR1", sigqueue_raw(R, R, SIGUSR1));
	say("kill-bad-signal", kill(R, 65));
	end_d();
}

/* Process groups: all or nothing. */
static void groups(void)
{
	say("kill-0-USR1-with-R", kill(0, SIGUSR1));
	say_text("self-pending-after-refusal", usr1_pending() ? "yes" : "no");
	say("kill-0-probe-with-R", kill(0, 0));
	say("setpgid-self", setpgid(0, 0));
	fork_d();
	say("kill-0-USR1-own-group", kill(0, SIGUSR1));
	say_text("self-pending-after-delivery", usr1_pending() ? "yes" : "no");
	take_usr1();
	say("kill-R-group-USR1", kill(-R, SIGUSR1));
	say("kill-R-group-probe", kill(-R, 0));
	say("kill-own-group-by-number", kill(-getpid(), SIGUSR1));
	take_usr1();
	end_d();
}

/* kill(-1): S itself is reached by Linux (a root tree, or S of the tree's uid), and nothing dominates S. */
static void all(void)
{
	say("kill-all-probe", kill(-1, 0));
}

static void prio(void)
{
	const int be4 = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4);
	say("setpgid-self", setpgid(0, 0));
	fork_d();
	say("setpriority-own-group", setpriority(PRIO_PGRP, 0, 1));
	say("setpriority-R-group", setpriority(PRIO_PGRP, R, 1));
	say("setpriority-D", setpriority(PRIO_PROCESS, D, 2));
	say("setpriority-R", setpriority(PRIO_PROCESS, R, 2));
	say("ioprio_get-own-group", syscall(SYS_ioprio_get, IOPRIO_WHO_PGRP, 0));
	say("ioprio_get-R-group", syscall(SYS_ioprio_get, IOPRIO_WHO_PGRP, R));
	say("ioprio_get-R", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, R));
	say("ioprio_set-D", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, D, be4));
	say("ioprio_set-own-group", syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, be4));
	say("ioprio_set-R-group", syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, R, be4));
	end_d();
}

/*
 * Every process of the caller's uid: R is one, so each call is refused.
 * Run it only in a tree of its own uid (--uid), never as root: were the
 * check missing, it would renice the whole host.
 */
static void prio_user(void)
{
	const int be4 = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4);
	say("setpriority-own-user", setpriority(PRIO_USER, 0, 1));
	say("setpriority-user-by-number", setpriority(PRIO_USER, getuid(), 1));
	say("ioprio_get-own-user", syscall(SYS_ioprio_get, IOPRIO_WHO_USER, 0));
	say("ioprio_set-own-user", syscall(SYS_ioprio_set, IOPRIO_WHO_USER, 0, be4));
}

static long perf_open(pid_t pid)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	long fd = syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0)
		close((int)fd);
	return fd;
}

static void perf(void)
{
	fork_d();
	say("perf-self", perf_open(0));
	say("perf-D", perf_open(D));
	say("perf-R", perf_open(R));
	end_d();
}

static void kcmp(void)
{
	fork_d();
	pid_t me = getpid();
	say("kcmp-self-R", syscall(SYS_kcmp, me, R, KCMP_VM, 0, 0));
	say("kcmp-R-R", syscall(SYS_kcmp, R, R, KCMP_VM, 0, 0));
	say("kcmp-self-D", syscall(SYS_kcmp, me, D, KCMP_VM, 0, 0));
	say("kcmp-D-D", syscall(SYS_kcmp, D, D, KCMP_VM, 0, 0));
	end_d();
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static bool names(int fd, const char *what)
{
	char path[64], link[256];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strstr(link, what) != NULL;
}

static void getfd(void)
{
	fork_d();
	int pr = pidfd_of(R), pd = pidfd_of(D);
	say("pidfd_open-R", pr);
	say("pidfd_open-D", pd);
	say("getfd-R", syscall(SYS_pidfd_getfd, pr, TARGET_FD, 0));
	long got = syscall(SYS_pidfd_getfd, pd, TARGET_FD, 0);
	say("getfd-D", got);
	if (got >= 0) {
		say_text("getfd-D-names", names((int)got, "from-D") ? "from-D" : "other");
		say_text("getfd-D-cloexec", fcntl((int)got, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
		close((int)got);
	}
	say("getfd-not-a-pidfd", syscall(SYS_pidfd_getfd, 0, TARGET_FD, 0));
	say("getfd-bad-flags", syscall(SYS_pidfd_getfd, pd, TARGET_FD, 1));
	close(pr);
	close(pd);
	end_d();
}

/* The pidfd number swapped between R's (refused) and D's (allowed) while another thread takes fds through it. */
static int race_fd, race_r, race_d;
static volatile bool race_done;

static void *swapper(void *arg)
{
	while (!race_done) {
		dup2(race_r, race_fd);
		dup2(race_d, race_fd);
	}
	return NULL;
}

static void getfd_race(void)
{
	pthread_t t;
	long from_r = 0, from_d = 0, eperm = 0, other = 0;

	fork_d();
	race_r = pidfd_of(R);
	race_d = pidfd_of(D);
	race_fd = dup(race_d);
	if (race_r < 0 || race_d < 0 || race_fd < 0 || pthread_create(&t, NULL, swapper, NULL)) {
		say("getfd-race-setup", -1);
		end_d();
		return;
	}
	for (int i = 0; i < 20000; i++) {
		long got = syscall(SYS_pidfd_getfd, race_fd, TARGET_FD, 0);
		if (got >= 0) {
			if (names((int)got, "from-R"))
				from_r++;
			else if (names((int)got, "from-D"))
				from_d++;
			else
				other++;
			close((int)got);
		} else if (errno == EPERM) {
			eperm++;
		} else {
			other++;
		}
	}
	race_done = true;
	pthread_join(t, NULL);
	printf("getfd-race from-R %ld\n", from_r);
	printf("getfd-race saw-D %s\n", from_d ? "yes" : "no");
	printf("getfd-race saw-EPERM %s\n", eperm ? "yes" : "no");
	printf("getfd-race other %ld\n", other);
	fflush(stdout);
	end_d();
}

/* A tracee we got (the check failed open): stopped, waited for and let go. */
static void untrace(pid_t pid, bool seized)
{
	int st;
	if (seized)
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
	ptrace(PTRACE_DETACH, pid, 0, 0);
}

/* The single-target rows, once more (for the i386 build above all). */
static void targets(void)
{
	struct iovec local, remote;
	char byte;
	struct rlimit old;
	cpu_set_t set;
	fork_d();
	local = (struct iovec){ &byte, 1 };
	remote = (struct iovec){ &byte, 1 }; /* the same address in the forked D */
	long r = ptrace(PTRACE_ATTACH, R, 0, 0);
	say("ptrace-attach-R", r);
	if (r == 0) /* got through: let R go again rather than leave it stopped */
		untrace(R, false);
	r = ptrace(PTRACE_SEIZE, R, 0, 0);
	say("ptrace-seize-R", r);
	if (r == 0)
		untrace(R, true);
	r = ptrace(PTRACE_ATTACH, D, 0, 0);
	say("ptrace-attach-D", r);
	if (r == 0)
		untrace(D, false);
	say("vm_readv-R", process_vm_readv(R, &local, 1, &remote, 1, 0));
	say("vm_readv-D", process_vm_readv(D, &local, 1, &remote, 1, 0));
	say("vm_writev-R", process_vm_writev(R, &local, 1, &remote, 1, 0));
	say("sched_getaffinity-R", sched_getaffinity(R, sizeof(set), &set));
	say("sched_getaffinity-D", sched_getaffinity(D, sizeof(set), &set));
	say("sched_getscheduler-R", sched_getscheduler(R));
	say("prlimit-get-R", prlimit(R, RLIMIT_NOFILE, NULL, &old));
	say("prlimit-get-D", prlimit(D, RLIMIT_NOFILE, NULL, &old));
	say("getpgid-R", getpgid(R));
	say("getsid-R", getsid(R));
	say("setpgid-R", setpgid(R, R));
	say("prlimit-get-missing", prlimit(0x7ffffff0, RLIMIT_NOFILE, NULL, &old));
	end_d();
}

/* ---- Scenarios the root makes itself (its PSB's gates) ---------------------------------------- */

static char **args; /* what follows the scenario's name */

/* hello: what an exec that went through runs. */
static void hello(void)
{
	say_text("hello", "ran");
}

/* A child that makes one exec: its errno, or whatever the new image prints. */
static void exec_child(const char *label, int dirfd, const char *path, int flags)
{
	char *argv[] = { (char *)path, "hello", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		say(label, -1);
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* pie NONPIE PIE: ET_EXEC refused under the PIE mitigation, by absolute and relative path and by fd. */
static void pie(void)
{
	const char *nonpie = args[0], *pie_path = args[1];
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", nonpie);
	char *slash = strrchr(dir, '/');
	if (!slash)
		exit(2);
	*slash = '\0';
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = open(nonpie, O_PATH | O_CLOEXEC);
	exec_child("exec-nonpie", AT_FDCWD, nonpie, 0);
	exec_child("execveat-nonpie-fd", fd, "", AT_EMPTY_PATH);
	exec_child("execveat-nonpie-dirfd", dirfd, slash + 1, 0);
	if (chdir(dir) == 0) {
		char rel[4096];
		snprintf(rel, sizeof(rel), "./%s", slash + 1);
		exec_child("exec-nonpie-relative", AT_FDCWD, rel, 0);
	}
	exec_child("exec-pie", AT_FDCWD, pie_path, 0);
	close(fd);
	close(dirfd);
}

/* hello-checked: a trapped call first (S applies the exec's record before it answers), then which image this is. */
static void hello_checked(void)
{
	unsigned char h[EI_NIDENT + 2];
	kill(getpid(), 0);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		exit(2);
	close(fd);
	say_text("hello-checked", h[EI_NIDENT] == ET_EXEC ? "nonpie" : "pie");
}

/* pie-race NONPIE PIE: the exec path flipped between the two by another thread while S reads it. */
static char race_path[4096];
static const char *race_a, *race_b;

static void *flipper(void *arg)
{
	for (;;) {
		strcpy(race_path, race_a);
		strcpy(race_path, race_b);
	}
	return arg;
}

static void pie_race(void)
{
	int refused = 0, ran_pie = 0, killed = 0, other = 0;
	int out[2];
	static char buf[65536]; /* a pipe's worth: every line of the 200 children */
	size_t len = 0;
	ssize_t n;

	race_a = args[0];
	race_b = args[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		exit(2);
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t t;
			char *argv[] = { "ck-kacs-enforce", "hello-checked", NULL };
			dup2(out[1], 1);
			strcpy(race_path, race_b);
			if (pthread_create(&t, NULL, flipper, NULL))
				_exit(3);
			execve(race_path, argv, environ);
			_exit(errno == EACCES ? 10 : 11);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 10)
			refused++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ran_pie++;
		else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
		else
			other++;
	}
	close(out[1]);
	while (len < sizeof(buf) - 1 && (n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(out[0]);
	/* the one property: no ET_EXEC image ever gets past its first trapped call */
	printf("pie-race nonpie-ran %s\n", strstr(buf, "hello-checked nonpie") ? "yes" : "no");
	printf("pie-race pie-ran %s\n", ran_pie ? "yes" : "no");
	fflush(stdout);
	/* which side of the race S's path check lands on is timing (0 refusals happens): counted, not asserted */
	/* other: a path torn mid-copy names no file (ENOENT), which is no verdict of S's */
	fprintf(stderr, "pie-race: %d refused, %d ran the PIE image, %d killed after exec, %d other\n", refused,
		ran_pie, killed, other);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* nochild: no new process, by any call; threads still. */
static void nochild(void)
{
	pthread_t t;
	pid_t pid;
	char *argv[] = { "true", NULL };

	pid = fork();
	if (pid == 0)
		_exit(0);
	say("fork", pid);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	say("clone-process", pid);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	errno = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	say("posix_spawn", errno ? -1 : 0);
	if (!errno)
		waitpid(pid, NULL, 0);
	errno = pthread_create(&t, NULL, thread_fn, NULL);
	say("pthread_create", errno ? -1 : 0);
	if (!errno)
		pthread_join(t, NULL);
}

/* ---- dumpable: PR_SET/GET_DUMPABLE, and Linux's ptrace rule on a process that is not ---------- */

/* A child that takes its parent's stdout through pidfd_getfd. */
static void getfd_from_child(const char *label)
{
	pid_t pid = fork();
	if (pid == 0) {
		int pfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
		long r = pfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pfd, 1, 0);
		say(label, r);
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void dumpable(void)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", prctl(PR_GET_DUMPABLE));
	say_text("get-dumpable", v);
	say("set-dumpable-2", prctl(PR_SET_DUMPABLE, 2));
	say("set-dumpable-0", prctl(PR_SET_DUMPABLE, 0));
	snprintf(v, sizeof(v), "%d", prctl(PR_GET_DUMPABLE));
	say_text("get-dumpable", v);
	getfd_from_child("getfd-from-nondumpable");
	say("set-dumpable-1", prctl(PR_SET_DUMPABLE, 1));
	snprintf(v, sizeof(v), "%d", prctl(PR_GET_DUMPABLE));
	say_text("get-dumpable", v);
	getfd_from_child("getfd-from-dumpable");
}

static const struct {
	const char *name;
	void (*fn)(void);
	int nargs;
	bool solo; /* made by R itself, without C */
} scenarios[] = {
	{ "signals", signals, 0, false },   { "groups", groups, 0, false },
	{ "all", all, 0, false },           { "prio", prio, 0, false },
	{ "prio-user", prio_user, 0, false }, { "perf", perf, 0, false },
	{ "kcmp", kcmp, 0, false },         { "getfd", getfd, 0, false },
	{ "getfd-race", getfd_race, 0, false }, { "targets", targets, 0, false },
	{ "dumpable", dumpable, 0, false }, { "pie", pie, 2, true },
	{ "nochild", nochild, 0, true },    { "hello", hello, 0, true },
	{ "hello-checked", hello_checked, 0, true }, { "pie-race", pie_race, 2, true },
};

int main(int argc, char **argv)
{
	sigset_t usr1;
	int status;
	size_t i;

	for (i = 0; argc >= 2 && i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(argv[1], scenarios[i].name) == 0 && argc == 2 + scenarios[i].nargs)
			break;
	if (argc < 2 || i == sizeof(scenarios) / sizeof(scenarios[0])) {
		fprintf(stderr, "usage: ck-kacs-enforce signals|groups|all|prio|prio-user|perf|kcmp|getfd|getfd-race|"
				"targets|dumpable|nochild|hello|hello-checked, or pie|pie-race NONPIE PIE\n");
		return 2;
	}
	args = argv + 2;
	if (scenarios[i].solo) {
		scenarios[i].fn();
		return 0;
	}
	R = getpid();
	if (setpgid(0, 0) < 0 || memfd_at("from-R", TARGET_FD) < 0) {
		perror("ck-kacs-enforce: R");
		return 2;
	}
	pid_t c = fork();
	if (c < 0) {
		perror("ck-kacs-enforce: fork C");
		return 2;
	}
	if (c == 0) {
		/* C and D keep SIGUSR1 pending rather than die of it: a delivery is then visible */
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		close(TARGET_FD);
		scenarios[i].fn();
		return 0;
	}
	/* R itself dies of a SIGUSR1 or SIGTERM that got through: the test sees its status */
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
