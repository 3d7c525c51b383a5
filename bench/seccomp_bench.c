/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The price a seccomp filter puts on a system call it does not stop:
 * getppid in a tight loop (syscall(2), so libc cannot cache it), under no
 * filter, a one-rule libseccomp filter (native ABI, and x86_64+x86+x32 as
 * clonekit compiles), clonekit's named policies loaded with ck_seccomp_load,
 * a Docker-like default profile (docker_profile.c), and the KACS
 * supervisor's filter (lib/kacs/filter.c, loaded with a listener no one
 * answers: none of these calls reaches it).
 *
 *   seccomp-bench [--uncached] [--call C] [--rounds R] [--iterations N] [--slices S]
 *
 * --call picks the call instead of getppid: the fast paths of the KACS
 * filter, which reads their arguments and answers without its listener:
 * ioctl (TCGETS on /dev/null), prctl (PR_GET_NO_NEW_PRIVS), sched_yield,
 * sched_getaffinity (pid 0, the caller).
 *
 * A filter cannot be removed, so every round forks a new child per
 * condition; each loads its filter, warms up, and times its N calls in S
 * slices, the children taking turns slice by slice and sending ns/call back
 * through a pipe. A condition's figure in a round is the median of its
 * slices. Prints the median over rounds of each condition's ns/call (and the
 * quartiles), of its ratio to none, one-rule and one-rule-3abi in the same
 * round, and each filter's BPF instruction count per ABI, as loaded (all
 * ABIs), and executed for an x86_64 getppid, with whether the kernel's action
 * cache answers getppid without running the filter at all.
 *
 * --uncached first loads a two-instruction filter that reads an argument,
 * which keeps getppid out of the cache: every filter then runs on every call,
 * as before Linux 5.11.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/seccomp.h>

#include "docker_profile.h"
#include "internal/seccomp.h"
#include "kacs/supervisor.h"

enum cond { C_NONE, C_ONE, C_ONE3, C_DENY_NS, C_DENY_USERNS, C_NO_CHILD, C_DOCKER, C_KACS, C_COUNT };

static const char *const cond_names[C_COUNT] = {
	"none", "one-rule", "one-rule-3abi", "deny-namespaces", "deny-userns",
	"no-child-process", "docker-default", "kacs-supervisor",
};

/* The call timed, with the arguments it is made with. */
enum call { CALL_GETPPID, CALL_IOCTL, CALL_PRCTL, CALL_SCHED_YIELD, CALL_SCHED_GETAFFINITY, CALL_COUNT };
static const char *const call_names[CALL_COUNT] = { "getppid", "ioctl", "prctl", "sched_yield",
						    "sched_getaffinity" };
static enum call the_call;
static int devnull = -1;
static unsigned long affinity[16];

static const struct call_args {
	long nr;
	uint64_t args[3]; /* ioctl's fd is filled in at run time */
} call_args[CALL_COUNT] = {
	[CALL_GETPPID] = { SYS_getppid, { 0 } },
	[CALL_IOCTL] = { SYS_ioctl, { 0, TCGETS, 0 } },
	[CALL_PRCTL] = { SYS_prctl, { PR_GET_NO_NEW_PRIVS, 0, 0 } },
	[CALL_SCHED_YIELD] = { SYS_sched_yield, { 0 } },
	[CALL_SCHED_GETAFFINITY] = { SYS_sched_getaffinity, { 0, sizeof(affinity), 0 } },
};

static inline void make_call(void)
{
	const struct call_args *c = &call_args[the_call];
	switch (the_call) {
	case CALL_IOCTL:
		syscall(c->nr, devnull, c->args[1], affinity);
		break;
	case CALL_SCHED_GETAFFINITY:
		syscall(c->nr, 0, sizeof(affinity), affinity);
		break;
	default:
		syscall(c->nr, c->args[0], c->args[1], c->args[2]);
		break;
	}
}

static const struct {
	enum ck_arch ck;
	uint32_t scmp;
} abis[] = {
	{ CK_ARCH_X86_64, SCMP_ARCH_X86_64 },
	{ CK_ARCH_I386, SCMP_ARCH_X86 },
	{ CK_ARCH_X32, SCMP_ARCH_X32 },
};
#define NABI (sizeof(abis) / sizeof(abis[0]))

static struct ck_seccomp_policy *policies[C_COUNT];
static scmp_filter_ctx filters[C_COUNT];
static size_t docker_unknown;
static bool uncached;

static void die(const char *what, int err)
{
	fprintf(stderr, "seccomp-bench: %s: %s\n", what, strerror(err));
	exit(2);
}

/* Filters built here get clonekit's settings: bad arch kills, binary tree, no_new_privs. */
static scmp_filter_ctx new_filter(uint32_t def, const uint32_t *arches, size_t n)
{
	scmp_filter_ctx ctx = seccomp_init(def);
	int r = ctx ? 0 : -ENOMEM;

	if (!r && arches[0] != SCMP_ARCH_X86_64)
		r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	for (size_t i = 0; !r && i < n; i++)
		if (seccomp_arch_exist(ctx, arches[i]) != 0)
			r = seccomp_arch_add(ctx, arches[i]);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (r)
		die("libseccomp filter", -r);
	return ctx;
}

static scmp_filter_ctx one_rule(const uint32_t *arches, size_t n)
{
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW, arches, n);
	/* acct: a call this process never makes */
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(acct), 0);
	if (r)
		die("one-rule", -r);
	return ctx;
}

static scmp_filter_ctx docker_default(const uint32_t *arches, size_t n)
{
	scmp_filter_ctx ctx = new_filter(docker_default_action, arches, n);
	int r = 0;

	docker_unknown = 0;
	for (size_t i = 0; i < docker_allow_count; i++) {
		int nr = seccomp_syscall_resolve_name(docker_allow[i]);
		if (nr == __NR_SCMP_ERROR) {
			docker_unknown++;
			continue;
		}
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r)
			die(docker_allow[i], -r);
	}
	for (size_t i = 0; i < docker_rules_count; i++) {
		const struct docker_rule *d = &docker_rules[i];
		int nr = seccomp_syscall_resolve_name(d->syscall);
		if (nr == __NR_SCMP_ERROR) {
			docker_unknown++;
			continue;
		}
		if (d->nargs)
			r = seccomp_rule_add(ctx, d->action, nr, 1, d->arg);
		else
			r = seccomp_rule_add(ctx, d->action, nr, 0);
		if (r)
			die(d->syscall, -r);
	}
	return ctx;
}

static scmp_filter_ctx build(enum cond c, const uint32_t *arches, size_t n)
{
	return c == C_DOCKER ? docker_default(arches, n) : one_rule(arches, n);
}

/* A libseccomp filter's BPF, through a memfd (libseccomp 2.5 writes only to fds). */
static void export_bpf(scmp_filter_ctx ctx, void **buf, size_t *len)
{
	int fd = memfd_create("seccomp-bench", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create", errno);
	int r = seccomp_export_bpf(ctx, fd);
	if (r)
		die("seccomp_export_bpf", -r);
	off_t size = lseek(fd, 0, SEEK_END);
	*buf = malloc((size_t)size);
	if (!*buf || pread(fd, *buf, (size_t)size, 0) != size)
		die("reading the exported filter", EIO);
	*len = (size_t)size;
	close(fd);
}

/* The path of the call timed, with the arguments it is made with (pointers as 0). */
static long call_path(const void *buf, size_t len, bool *cacheable)
{
	struct seccomp_data sd = { .nr = (int)call_args[the_call].nr, .arch = AUDIT_ARCH_X86_64 };
	for (int i = 0; i < 3; i++)
		sd.args[i] = call_args[the_call].args[i];
	if (the_call == CALL_IOCTL)
		sd.args[0] = (uint64_t)devnull;
	return ck__seccomp_bpf_path(buf, len / sizeof(struct sock_filter), &sd, cacheable);
}

static int cond_abis(enum cond c)
{
	return c == C_ONE ? 1 : (int)NABI;
}

/*
 * Instructions per ABI, then in the whole filter as loaded, then executed by
 * it for an x86_64 getppid; -1 where the ABI is not in the filter.
 */
static void instruction_counts(enum cond c, long out[NABI + 2], bool *cacheable)
{
	void *buf;
	size_t len;

	for (size_t a = 0; a < NABI; a++) {
		if ((int)a >= cond_abis(c)) {
			out[a] = -1;
		} else if (policies[c]) {
			out[a] = ck_seccomp_instruction_count(policies[c], abis[a].ck);
			if (out[a] < 0)
				die("ck_seccomp_instruction_count", (int)-out[a]);
		} else {
			scmp_filter_ctx ctx = build(c, &abis[a].scmp, 1);
			export_bpf(ctx, &buf, &len);
			out[a] = (long)(len / sizeof(struct sock_filter));
			free(buf);
			seccomp_release(ctx);
		}
	}
	if (policies[c]) {
		int r = ck_seccomp_export_bpf(policies[c], &buf, &len);
		if (r)
			die("ck_seccomp_export_bpf", -r);
	} else {
		export_bpf(filters[c], &buf, &len);
	}
	out[NABI] = (long)(len / sizeof(struct sock_filter));
	out[NABI + 1] = call_path(buf, len, cacheable);
	free(buf);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * A filter that reads an argument: the kernel cannot prove it allows getppid
 * whatever the arguments, so getppid gets no bit in the action cache and every
 * filter of the process runs on every call, as before Linux 5.11.
 */
static int load_cache_breaker(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}

/*
 * The KACS filter notifies: loaded with a listener of its own, kept open and
 * never read (the calls timed never reach it).
 */
static int load_with_listener(const struct ck_seccomp_policy *p)
{
	void *buf;
	size_t len;
	int r = ck_seccomp_export_bpf(p, &buf, &len);
	if (r)
		return r;
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = buf };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog) < 0)
		r = -errno;
	free(buf);
	return r;
}

/* What a child sends: first whether its filter loaded, then ns/call per slice. */
struct report {
	int err;
	double ns;
};

static void send_report(int fd, struct report r)
{
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
}

/* Loads the filter, warms up, then times one slice of calls per byte read until EOF. */
static __attribute__((noreturn)) void child(enum cond c, long calls, int cmd, int out)
{
	struct report r = { 0, 0 };
	char go;

	if (uncached)
		r.err = load_cache_breaker();
	if (!r.err && c == C_KACS)
		r.err = load_with_listener(policies[c]);
	else if (!r.err && policies[c])
		r.err = ck_seccomp_load(policies[c]);
	else if (!r.err && filters[c])
		r.err = seccomp_load(filters[c]);
	send_report(out, r);
	if (r.err)
		_exit(0);
	for (long i = 0; i < calls; i++)
		make_call();
	while (read(cmd, &go, 1) == 1) {
		double t0 = now_ns();
		for (long i = 0; i < calls; i++)
			make_call();
		r.ns = (now_ns() - t0) / (double)calls;
		send_report(out, r);
	}
	_exit(0);
}

struct kid {
	pid_t pid;
	int cmd, out;
};

static struct report get_report(const struct kid *k, enum cond c)
{
	struct report r;
	if (read(k->out, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
		fprintf(stderr, "seccomp-bench: the %s child stopped answering\n", cond_names[c]);
		exit(2);
	}
	return r;
}

/* others: the children already started, whose pipes the new one must not hold open. */
static struct kid start_child(enum cond c, long calls, const struct kid others[C_COUNT])
{
	int cmd[2], out[2];
	struct kid k;

	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe2", errno);
	k.pid = fork();
	if (k.pid < 0)
		die("fork", errno);
	if (k.pid == 0) {
		for (int o = 0; o < C_COUNT; o++) {
			if (others[o].cmd >= 0)
				close(others[o].cmd);
			if (others[o].out >= 0)
				close(others[o].out);
		}
		close(cmd[1]);
		close(out[0]);
		child(c, calls, cmd[0], out[1]);
	}
	close(cmd[0]);
	close(out[1]);
	k.cmd = cmd[1];
	k.out = out[0];
	struct report r = get_report(&k, c);
	if (r.err)
		die(cond_names[c], -r.err);
	return k;
}

static void end_child(struct kid *k, enum cond c)
{
	int st;
	close(k->cmd);
	close(k->out);
	while (waitpid(k->pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "seccomp-bench: %s child failed (status %#x)\n", cond_names[c], st);
		exit(2);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v. */
static double quantile(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	double pos = q * (n - 1);
	int i = (int)pos;
	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
}

/*
 * One round: a new child per condition, all alive at once, taking turns one
 * slice at a time so that drift on a shared machine lands on every condition
 * alike. Each condition's figure is the median of its slices.
 */
static void round_once(int round, long iterations, int slices, double out[C_COUNT])
{
	struct kid kids[C_COUNT];
	double *ns[C_COUNT];
	const long calls = iterations / slices;

	for (int c = 0; c < C_COUNT; c++)
		kids[c] = (struct kid){ -1, -1, -1 };
	for (int k = 0; k < C_COUNT; k++) {
		int c = (round + k) % C_COUNT;
		kids[c] = start_child((enum cond)c, calls, kids);
		ns[c] = calloc((size_t)slices, sizeof(double));
	}
	for (int s = 0; s < slices; s++) {
		for (int k = 0; k < C_COUNT; k++) {
			int c = (round + s + k) % C_COUNT;
			if (write(kids[c].cmd, "", 1) != 1)
				die("write", errno);
			ns[c][s] = get_report(&kids[c], (enum cond)c).ns;
		}
	}
	for (int c = 0; c < C_COUNT; c++) {
		end_child(&kids[c], (enum cond)c);
		out[c] = quantile(ns[c], slices, 0.5);
		free(ns[c]);
	}
}

static void print_count(long v)
{
	if (v < 0)
		printf(" %7s", "-");
	else
		printf(" %7ld", v);
}

int main(int argc, char **argv)
{
	int rounds = 21, slices = 40;
	long iterations = 2000000;
	int i = 1;

	for (; i < argc && strcmp(argv[i], "--uncached") == 0; i++)
		uncached = true;
	for (; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--call") == 0) {
			int k = 0;
			while (k < CALL_COUNT && strcmp(argv[i + 1], call_names[k]) != 0)
				k++;
			if (k == CALL_COUNT)
				goto usage;
			the_call = (enum call)k;
		} else if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--iterations") == 0)
			iterations = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--slices") == 0)
			slices = atoi(argv[i + 1]);
		else
			goto usage;
	}
	if (i != argc || rounds < 1 || slices < 1 || iterations < slices)
		goto usage;

	const uint32_t native[] = { SCMP_ARCH_X86_64 };
	const uint32_t three[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
	filters[C_ONE] = one_rule(native, 1);
	filters[C_ONE3] = one_rule(three, 3);
	filters[C_DOCKER] = docker_default(three, 3);
	policies[C_KACS] = ck__kacs_filter_policy();
	if (!policies[C_KACS])
		die("the KACS supervisor's filter", errno);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null", errno);
	for (int c = C_DENY_NS; c <= C_NO_CHILD; c++) {
		policies[c] = ck_seccomp_policy_named(cond_names[c]);
		if (!policies[c])
			die(cond_names[c], errno);
	}

	const enum cond base[3] = { C_NONE, C_ONE, C_ONE3 };
	double *ns[C_COUNT], *ratio[C_COUNT][3];
	double *ns_vs_docker = calloc((size_t)rounds, sizeof(double));
	for (int c = 0; c < C_COUNT; c++) {
		ns[c] = calloc((size_t)rounds, sizeof(double));
		for (int b = 0; b < 3; b++)
			ratio[c][b] = calloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < rounds; r++) {
		double t[C_COUNT];
		round_once(r, iterations, slices, t);
		for (int c = 0; c < C_COUNT; c++) {
			ns[c][r] = t[c];
			for (int b = 0; b < 3; b++)
				ratio[c][b][r] = t[c] / t[base[b]];
		}
		ns_vs_docker[r] = t[C_DENY_NS] / t[C_DOCKER];
	}

	printf("%s under each filter%s: %d rounds, %ld calls per child in %d slices; medians\n",
	       call_names[the_call], uncached ? ", action cache defeated" : "", rounds, iterations - iterations % slices,
	       slices);
	printf("%-17s %8s %8s %8s %8s %9s %9s   %s\n", "condition", "ns/call", "q1", "q3", "/none",
	       "/one-rule", "/one-3abi", "BPF insns: x86_64    i386     x32  loaded    path cached");
	for (int c = 0; c < C_COUNT; c++) {
		double q1 = quantile(ns[c], rounds, 0.25), q3 = quantile(ns[c], rounds, 0.75);
		printf("%-17s %8.2f %8.2f %8.2f %8.3f %9.3f %9.3f", cond_names[c],
		       quantile(ns[c], rounds, 0.5), q1, q3, quantile(ratio[c][0], rounds, 0.5),
		       quantile(ratio[c][1], rounds, 0.5), quantile(ratio[c][2], rounds, 0.5));
		if (c == C_NONE) {
			printf("\n");
			continue;
		}
		long counts[NABI + 2];
		bool cacheable = false;
		instruction_counts((enum cond)c, counts, &cacheable);
		printf("   %10s", "");
		for (size_t a = 0; a < NABI + 2; a++)
			print_count(counts[a]);
		printf(" %6s\n", !uncached && cacheable ? "yes" : "no");
	}
	const struct scmp_version *v = seccomp_version();
	printf("docker-default: %zu names allowed outright, %zu argument rules; %zu names unknown to libseccomp %u.%u.%u skipped\n",
	       docker_allow_count, docker_rules_count, docker_unknown, v->major, v->minor, v->micro);
	/* the spread of the per-round ratios says whether a verdict is above the noise */
	double vs_one3 = quantile(ratio[C_DENY_NS][2], rounds, 0.5);
	printf("deny-namespaces / one-rule-3abi  %.3fx  q1-q3 %.3f-%.3f  (goal <= 1.05x: %s)\n",
	       vs_one3, quantile(ratio[C_DENY_NS][2], rounds, 0.25),
	       quantile(ratio[C_DENY_NS][2], rounds, 0.75), vs_one3 <= 1.05 ? "met" : "missed");
	double vs_kacs = quantile(ratio[C_KACS][2], rounds, 0.5);
	printf("kacs-supervisor / one-rule-3abi  %.3fx  q1-q3 %.3f-%.3f  (goal <= 1.05x: %s)\n",
	       vs_kacs, quantile(ratio[C_KACS][2], rounds, 0.25),
	       quantile(ratio[C_KACS][2], rounds, 0.75), vs_kacs <= 1.05 ? "met" : "missed");
	double vs_docker = quantile(ns_vs_docker, rounds, 0.5);
	double docker_q1 = quantile(ns_vs_docker, rounds, 0.25);
	double docker_q3 = quantile(ns_vs_docker, rounds, 0.75);
	printf("deny-namespaces / docker-default %.3fx  q1-q3 %.3f-%.3f  (goal < 1: %s)\n",
	       vs_docker, docker_q1, docker_q3,
	       docker_q3 < 1.0 ? "met" : docker_q1 > 1.0 ? "missed" : "equal within the noise");

	for (int c = 0; c < C_COUNT; c++) {
		free(ns[c]);
		for (int b = 0; b < 3; b++)
			free(ratio[c][b]);
		if (filters[c])
			seccomp_release(filters[c]);
		ck_seccomp_policy_free(policies[c]);
	}
	free(ns_vs_docker);
	return 0;

usage:
	fprintf(stderr, "usage: seccomp-bench [--uncached] [--call getppid|ioctl|prctl|sched_yield|sched_getaffinity]"
			" [--rounds R] [--iterations N] [--slices S]\n");
	return 2;
}
