/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the KACS supervisor costs the calls it intercepts (design §14, goals
 * 2 and 3), against a bare seccomp user-notification round trip measured in
 * the same rounds:
 *
 *   kacs-run-bench [--rounds R] [--calls N]
 *
 * Every round runs three children, in an order that rotates every round:
 *   bare         this program, its getppid trapped by a one-rule NOTIFY
 *                filter (ck_spawn's listener) that this process answers with
 *                CONTINUE at once: the round trip and nothing else; then the
 *                three calls below without a supervisor, for reference
 *   intercepted  `kacs-run-bench --inside intercepted N` under the supervisor
 *                (ck_kacs_supervisor_run, what `clonekit kacs run` runs):
 *                kill(child, 0), pidfd_open(child) (+ close) and
 *                sched_getaffinity(child) on a child of its own, each
 *                decided by the supervisor and CONTINUEd (the kill loop at
 *                1:1 is the design's "kill loop")
 *   emulated     `kacs-run-bench --inside emulated N` under the supervisor:
 *                kacs_open_self_token(0, TOKEN_QUERY), KACS_IOC_QUERY
 *                (TOKEN_CLASS_USER) and close, each timed alone
 * Each child reports µs per call; prints the median over rounds of each
 * figure, and of each intercepted call's ratio to the bare round trip of the
 * same round (goal <= 2x), and the emulated calls against 15 µs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/kacs.h>
#include <clonekit/kacs_abi.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "internal/seccomp.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "kacs-run-bench: %s: %s\n", what, strerror(err));
	exit(2);
}

/* ---- inside: the calls, timed, one "NAME US" line each ---- */

/* The three calls on a child of our own; suffix names the figures ("" supervised, "-plain" not). */
static int intercepted(long n, const char *suffix)
{
	int park[2];
	cpu_set_t set;
	pid_t child;
	double t0;

	if (pipe2(park, O_CLOEXEC) < 0)
		die("pipe2", errno);
	child = fork();
	if (child < 0)
		die("fork", errno);
	if (child == 0) {
		char c;
		close(park[1]);
		_exit(read(park[0], &c, 1) < 0);
	}
	close(park[0]);
	for (long i = 0; i < n / 10; i++)
		syscall(SYS_kill, child, 0);
	t0 = now_us();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_kill, child, 0) < 0)
			die("kill(child, 0)", errno);
	printf("kill%s %.3f\n", suffix, (now_us() - t0) / (double)n);
	t0 = now_us();
	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_pidfd_open, child, 0);
		if (fd < 0)
			die("pidfd_open(child)", errno);
		close((int)fd);
	}
	printf("pidfd_open%s %.3f\n", suffix, (now_us() - t0) / (double)n);
	t0 = now_us();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_sched_getaffinity, child, sizeof(set), &set) < 0)
			die("sched_getaffinity(child)", errno);
	printf("sched_getaffinity%s %.3f\n", suffix, (now_us() - t0) / (double)n);
	close(park[1]);
	while (waitpid(child, NULL, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno);
	return 0;
}

static int bare(long n)
{
	for (long i = 0; i < n / 10; i++) /* warm-up */
		syscall(SYS_getppid);
	double t0 = now_us();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("bare %.3f\n", (now_us() - t0) / (double)n);
	/* what the intercepted calls cost without the supervisor (not trapped here) */
	return intercepted(n, "-plain");
}

static int emulated(long n)
{
	double open_us = 0, query_us = 0, close_us = 0;
	uint8_t sid[68];

	for (long i = -n / 10; i < n; i++) {
		struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_USER, .buf_len = sizeof(sid),
						.buf_ptr = (uint64_t)(uintptr_t)sid };
		double t0 = now_us();
		long fd = syscall(CK_KACS_NR_OPEN_SELF_TOKEN, 0, CK_KACS_TOKEN_QUERY);
		double t1 = now_us();
		if (fd < 0)
			die("kacs_open_self_token (is this under clonekit kacs run?)", errno);
		if (ioctl((int)fd, CK_KACS_IOC_QUERY, &q) < 0)
			die("KACS_IOC_QUERY", errno);
		double t2 = now_us();
		close((int)fd);
		double t3 = now_us();
		if (i >= 0) {
			open_us += t1 - t0;
			query_us += t2 - t1;
			close_us += t3 - t2;
		}
	}
	printf("open_self_token %.3f\nquery %.3f\nclose %.3f\n", open_us / (double)n, query_us / (double)n,
	       close_us / (double)n);
	return 0;
}

/* ---- the driver ---- */

enum fig { F_BARE, F_KILL, F_PIDFD_OPEN, F_SCHED, F_OPEN, F_QUERY, F_CLOSE, F_KILL_PLAIN, F_PIDFD_PLAIN,
	   F_SCHED_PLAIN, F_COUNT };
static const char *const fig_names[F_COUNT] = { "bare", "kill", "pidfd_open", "sched_getaffinity",
						"open_self_token", "query", "close", "kill-plain",
						"pidfd_open-plain", "sched_getaffinity-plain" };

/* Reads the child's "NAME US" lines into fig. */
static void parse(const char *out, double fig[F_COUNT])
{
	char name[32];
	double v;
	int used;
	for (const char *p = out; sscanf(p, "%31s %lf%n", name, &v, &used) == 2; p += used)
		for (int f = 0; f < F_COUNT; f++)
			if (strcmp(name, fig_names[f]) == 0)
				fig[f] = v;
}

/* Answers every notification of listener with CONTINUE. */
static void answer(int listener)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return; /* ENOENT: the caller is gone */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Runs argv under a new supervisor (the system preset, no decision log); its output into out. */
static void run_supervised(char *const argv[], char *out, size_t outlen)
{
	struct ck_kacs_supervisor_opts o = { .size = sizeof(o), .decisions_fd = -1 };
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_kacs_supervisor *s = NULL;
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int pipefd[2], st = 0, r;
	size_t len = 0;
	ssize_t n;

	if (!a || pipe2(pipefd, O_CLOEXEC) < 0)
		die("setting up a child", errno);
	if ((r = ck_spawn_attr_add_fd(a, pipefd[1], 1)) != 0 || (r = ck_kacs_supervisor_new(&s, &o, &err)) != 0)
		die(err.message[0] ? err.message : "ck_kacs_supervisor_new", -r);
	/* the output is a few lines: the pipe holds it until the tree has ended */
	r = ck_kacs_supervisor_run(s, argv[0], argv, NULL, a, &st, &err);
	if (r) {
		fprintf(stderr, "kacs-run-bench: the supervisor: %s (%s)\n", err.message, strerror(-r));
		exit(2);
	}
	close(pipefd[1]);
	while (len + 1 < outlen && (n = read(pipefd[0], out + len, outlen - 1 - len)) != 0) {
		if (n < 0 && errno != EINTR)
			die("read", errno);
		if (n > 0)
			len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	ck_spawn_attr_free(a);
	ck_kacs_supervisor_free(s);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "kacs-run-bench: %s %s under the supervisor ended with status %#x: %s\n", argv[2],
			argv[3], st, out);
		exit(2);
	}
}

/* Runs argv with the one-rule listener filter, answering it; its output into out. */
static void run_bare(char *const argv[], char *out, size_t outlen)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_seccomp_policy *p = NULL;
	struct ck_child *c = NULL;
	struct ck__seccomp_rule rule = { .syscall = "getppid", .action = CK_SECCOMP_NOTIFY };
	int pipefd[2], listener, st, r;
	size_t len = 0;

	if (!a || pipe2(pipefd, O_CLOEXEC) < 0)
		die("setting up a child", errno);
	p = ck__seccomp_policy_new("bare-notify", "getppid waits for the listener");
	if (!p || ck__seccomp_policy_add(p, &rule) || ck_spawn_attr_set_seccomp_listener(a, p, NULL))
		die("the one-rule listener filter", errno ? errno : EINVAL);
	if ((r = ck_spawn_attr_add_fd(a, pipefd[1], 1)) != 0)
		die("ck_spawn_attr_add_fd", -r);
	if ((r = ck_spawn(&c, argv[0], argv, NULL, a, &err)) != 0) {
		fprintf(stderr, "kacs-run-bench: %s: %s\n", argv[0], err.message);
		exit(2);
	}
	ck_spawn_attr_free(a);
	ck_seccomp_policy_free(p);
	close(pipefd[1]);
	listener = ck_spawn_take_listener(c);
	if (listener < 0 || ck_spawn_release(c) != 0 || ck_spawn_wait_exec(c, &err) != 0)
		die("starting the bare child", listener < 0 ? -listener : EIO);
	for (bool hup = false;;) {
		/* once no task is left under the filter the listener hangs up: stop polling it */
		struct pollfd fds[2] = { { .fd = pipefd[0], .events = POLLIN }, { .fd = hup ? -1 : listener, .events = POLLIN } };
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", errno);
		}
		if (fds[1].revents & POLLIN)
			answer(listener);
		else if (fds[1].revents)
			hup = true;
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(pipefd[0], out + len, outlen - 1 - len);
			if (n < 0 && errno != EINTR)
				die("read", errno);
			if (n == 0 || len + 1 >= outlen)
				break;
			if (n > 0)
				len += (size_t)n;
		}
	}
	out[len] = '\0';
	close(pipefd[0]);
	close(listener);
	if ((r = ck_spawn_wait(c, &st)) != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "kacs-run-bench: %s ended with status %#x: %s\n", argv[0], st, out);
		exit(2);
	}
	ck_spawn_free(c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int rounds = 11, i = 1;
	long calls = 20000;
	char self[4096], n_text[32], out[4096];

	if (argc == 4 && strcmp(argv[1], "--inside") == 0) {
		long n = atol(argv[3]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (n > 0 && strcmp(argv[2], "bare") == 0)
			return bare(n);
		if (n > 0 && strcmp(argv[2], "intercepted") == 0)
			return intercepted(n, "");
		if (n > 0 && strcmp(argv[2], "emulated") == 0)
			return emulated(n);
		goto usage;
	}
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--calls") == 0)
			calls = atol(argv[i + 1]);
		else
			goto usage;
	}
	if (i != argc || rounds < 1 || calls < 10)
		goto usage;
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		die("/proc/self/exe", errno);
	self[sl] = '\0';
	snprintf(n_text, sizeof(n_text), "%ld", calls);

	char *const bare_argv[] = { self, "--inside", "bare", n_text, NULL };
	char *const icpt_argv[] = { self, "--inside", "intercepted", n_text, NULL };
	char *const emul_argv[] = { self, "--inside", "emulated", n_text, NULL };
	double *fig[F_COUNT], *ratio[F_COUNT];
	for (int f = 0; f < F_COUNT; f++) {
		fig[f] = calloc((size_t)rounds, sizeof(double));
		ratio[f] = calloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < rounds; r++) {
		double t[F_COUNT] = { 0 };
		for (int k = 0; k < 3; k++) {
			switch ((r + k) % 3) {
			case 0: run_bare(bare_argv, out, sizeof(out)); break;
			case 1: run_supervised(icpt_argv, out, sizeof(out)); break;
			case 2: run_supervised(emul_argv, out, sizeof(out)); break;
			}
			parse(out, t);
		}
		for (int f = 0; f < F_COUNT; f++) {
			if (t[f] <= 0) {
				fprintf(stderr, "kacs-run-bench: round %d has no figure for %s\n", r + 1, fig_names[f]);
				return 2;
			}
			fig[f][r] = t[f];
			ratio[f][r] = t[f] / t[F_BARE];
		}
	}
	printf("KACS supervisor: %d interleaved rounds of %ld calls each; medians, µs per call\n", rounds, calls);
	for (int f = 0; f < F_KILL_PLAIN; f++) {
		double m = median(fig[f], rounds), q = median(ratio[f], rounds);
		printf("%-18s %8.3f µs", fig_names[f], m);
		if (f == F_BARE)
			printf("   (user-notification round trip with CONTINUE)\n");
		else if (f <= F_SCHED)
			printf("   %.2fx the bare round trip (goal <= 2x: %s); %.3f µs without the supervisor\n", q,
			       q <= 2.0 ? "met" : "missed", median(fig[f + F_KILL_PLAIN - F_KILL], rounds));
		else if (f <= F_QUERY)
			printf("   (goal <= 15 µs: %s)\n", m <= 15.0 ? "met" : "missed");
		else
			printf("   (not trapped: the supervisor sees the handle's hang-up later)\n");
	}
	for (int f = 0; f < F_COUNT; f++) {
		free(fig[f]);
		free(ratio[f]);
	}
	return 0;

usage:
	fprintf(stderr, "usage: kacs-run-bench [--rounds R] [--calls N]\n"
			"       kacs-run-bench --inside bare|intercepted|emulated N\n");
	return 2;
}
