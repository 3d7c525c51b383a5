/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs the clone cases marked for this build (CASE_WHERE) and prints TAP.
 * Each case runs in a process of its own, as it does under Criterion, so a
 * crash or a hang is that case's failure and the others still run.
 *
 * Linked with -Wl,--wrap=ck__clone3, it counts the raw clone3 calls that
 * ck_clone3 makes, so that a run says whether the kernel's clone3 answered
 * them or ck_clone3 fell back to clone. After a case that made any:
 *   # clone3 calls: kernel=K filtered=F enosys=E
 * K answered by clone3 (a child or an errno other than ENOSYS), F ENOSYS
 * while a seccomp filter was installed, E ENOSYS without one: a kernel (or
 * qemu-user) without clone3.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../clone/cases.h"
#include <clonekit/clone.h>

#ifndef CASE_WHERE
#error "build with -DCASE_WHERE=CASE_I386, CASE_AARCH64_QEMU or CASE_AARCH64_VM"
#endif

#ifndef CASE_TIMEOUT_MS
#define CASE_TIMEOUT_MS 60000
#endif

/* Shared with the case's process, so a partial reason survives its crash. */
struct outcome {
	int result;
	char why[1024];
	unsigned long clone3_kernel, clone3_filtered, clone3_enosys;
};

/* the shared page, for the counting wrapper in every process of a case */
static struct outcome *shared;

long __real_ck__clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg);
long __wrap_ck__clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg);

/* Only atomics and a syscall: it may run in a CLONE_VM child. */
long __wrap_ck__clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg)
{
	long r = __real_ck__clone3(args, size, fn, arg);
	unsigned long *n;

	if (r == 0)
		return 0; /* a fork-like child; its parent counts the call */
	if (r != -ENOSYS)
		n = &shared->clone3_kernel;
	else if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER)
		n = &shared->clone3_filtered;
	else
		n = &shared->clone3_enosys;
	__atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
	return r;
}

static long elapsed_ms(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - from->tv_sec) * 1000 + (now.tv_nsec - from->tv_nsec) / 1000000;
}

/* Adds to what the case said before it failed, rather than replacing it. */
__attribute__((format(printf, 2, 3))) static void add_why(struct outcome *out, const char *fmt, ...)
{
	size_t len = strnlen(out->why, sizeof(out->why) - 1);
	va_list ap;

	if (len && len < sizeof(out->why) - 3) {
		memcpy(out->why + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->why + len, sizeof(out->why) - len, fmt, ap);
	va_end(ap);
}

static int run_one(const struct clone_case *c, struct outcome *out)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct timespec start;
	int status = 0;
	pid_t pid;

	out->result = -1;
	out->why[0] = '\0';
	out->clone3_kernel = out->clone3_filtered = out->clone3_enosys = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		add_why(out, "fork: %s", strerror(errno));
		return CASE_FAIL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		out->result = c->run(out->why, sizeof(out->why));
		_exit(0);
	}
	/* its own group, so whatever it leaves behind can be killed with it */
	setpgid(pid, pid);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		siginfo_t si = { 0 };

		/* not reaped yet, so the group's id cannot be reused before the kill below */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR) {
			add_why(out, "waitid: %s", strerror(errno));
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return CASE_FAIL;
		}
		if (si.si_pid == pid)
			break;
		if (elapsed_ms(&start) > CASE_TIMEOUT_MS) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			add_why(out, "no result after %d s, killed", CASE_TIMEOUT_MS / 1000);
			return CASE_FAIL;
		}
		nanosleep(&tick, NULL);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* CLONE_PARENT children of the case are ours to reap */
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;

	if (WIFSIGNALED(status)) {
		add_why(out, "the case's process was killed by signal %d (%s)", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
		return CASE_FAIL;
	}
	if (WEXITSTATUS(status) != 0) {
		add_why(out, "the case's process exited with %d before reporting", WEXITSTATUS(status));
		return CASE_FAIL;
	}
	switch (out->result) {
	case CASE_PASS:
	case CASE_FAIL:
	case CASE_SKIP:
		return out->result;
	}
	add_why(out, "the case returned %d, not a case_result", out->result);
	return CASE_FAIL;
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int main(void)
{
	struct outcome *out;
	size_t i, n = 0, k = 0, failed = 0;

	out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	shared = out;
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < clone_case_count; i++)
		if (clone_cases[i].where & CASE_WHERE)
			n++;
	printf("1..%zu\n", n);

	for (i = 0; i < clone_case_count; i++) {
		const struct clone_case *c = &clone_cases[i];

		if (!(c->where & CASE_WHERE))
			continue;
		k++;
		int r = run_one(c, out);

		one_line(out->why);
		if (r == CASE_PASS) {
			printf("ok %zu - %s\n", k, c->name);
		} else if (r == CASE_SKIP) {
			printf("ok %zu - %s # SKIP %s\n", k, c->name, out->why[0] ? out->why : "no reason given");
		} else {
			printf("not ok %zu - %s # %s\n", k, c->name, out->why[0] ? out->why : "no reason given");
			failed++;
		}
		if (out->clone3_kernel || out->clone3_filtered || out->clone3_enosys)
			printf("# clone3 calls: kernel=%lu filtered=%lu enosys=%lu\n", out->clone3_kernel,
			       out->clone3_filtered, out->clone3_enosys);
	}
	return failed ? 1 : 0;
}
