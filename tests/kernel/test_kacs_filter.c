/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS supervisor's seccomp filter (lib/kacs/filter.c) loaded for real:
 * ck-kacs-calls runs under it with a listener this test answers, natively
 * and as an i386 program. Every trapped call is answered with EXFULL, an
 * errno none of the calls makes itself, so a line "NAME EXFULL" says the
 * call reached the listener and any other errno came from the filter or
 * the kernel without it. The listener also records what it was sent
 * (architecture, number) so the two accounts are held against each other.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "../support.h"
#include "internal/seccomp.h"
#include "kacs/supervisor.h"

#define TRAP "EXFULL"
#define X32_BIT 0x40000000

struct seen {
	uint32_t arch;
	int nr;
};

struct listener {
	int fd;
	pthread_t th;
	bool exec_continued; /* the helper's own execve (ck_spawn's) goes on */
	size_t n;
	struct seen seen[256];
};

static void *listen_loop(void *arg)
{
	struct listener *l = arg;
	for (;;) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(p.revents & POLLIN))
			break; /* POLLHUP: no task is left under the filter */
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		memset(&resp, 0, sizeof(resp));
		if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		resp.id = req.id;
		if (!l->exec_continued && req.data.arch == AUDIT_ARCH_X86_64 && req.data.nr == SYS_execve) {
			l->exec_continued = true;
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		} else {
			if (l->n < sizeof(l->seen) / sizeof(l->seen[0]))
				l->seen[l->n] = (struct seen){ req.data.arch, req.data.nr };
			l->n++;
			resp.error = -EXFULL;
		}
		(void)ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp); /* ENOENT: the caller was killed */
	}
	return NULL;
}

/* Runs helper with the calls under the supervisor's filter; its output into out. */
static void run_calls(const char *helper, char *const calls[], size_t ncalls, struct listener *l, char *out,
		      size_t outlen)
{
	struct ck_seccomp_policy *p = ck__kacs_filter_policy();
	struct ck_seccomp_listener_opts o = { .size = sizeof(o), .flags = CK_SECCOMP_LISTENER_WAIT_KILLABLE };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	char *argv[128];
	int pipefd[2], st, r;
	size_t len = 0;

	cr_assert_not_null(p, "ck__kacs_filter_policy: %s", strerror(errno));
	cr_assert_lt(ncalls + 2, sizeof(argv) / sizeof(argv[0]));
	argv[0] = (char *)helper;
	for (size_t i = 0; i < ncalls; i++)
		argv[i + 1] = calls[i];
	argv[ncalls + 1] = NULL;
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, &o), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, pipefd[1], 1), 0);
	r = ck_spawn(&c, helper, argv, NULL, a, &err);
	cr_assert_eq(r, 0, "ck_spawn %s: %s", helper, err.message);
	ck_spawn_attr_free(a);
	ck_seccomp_policy_free(p);
	close(pipefd[1]);

	memset(l, 0, sizeof(*l));
	l->fd = ck_spawn_take_listener(c);
	cr_assert_geq(l->fd, 0);
	cr_assert_eq(pthread_create(&l->th, NULL, listen_loop, l), 0);
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), 0, "%s", err.message);
	for (ssize_t n; len + 1 < outlen && (n = read(pipefd[0], out + len, outlen - 1 - len)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_gt(n, 0, "read: %s", strerror(errno));
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x:\n%s", st, out);
	ck_spawn_free(c);
	cr_assert_eq(pthread_join(l->th, NULL), 0);
	close(l->fd);
	cr_assert(l->exec_continued);
}

struct expect {
	const char *call;
	const char *result; /* TRAP: reached the listener */
	uint32_t arch;      /* with TRAP: what the listener was sent (0: the program's own ABI, nr by name) */
	int nr;
};

/* Holds the helper's lines to want, and the listener's record to the TRAP rows, in order. */
static void check(const char *helper, const struct expect *want, size_t n, uint32_t own_arch)
{
	char *calls[128];
	char out[16384], line[128];
	struct listener l;
	size_t traps = 0, pos = 0;

	cr_assert_lt(n, sizeof(calls) / sizeof(calls[0]));
	for (size_t i = 0; i < n; i++)
		calls[i] = (char *)want[i].call;
	run_calls(helper, calls, n, &l, out, sizeof(out));
	for (size_t i = 0; i < n; i++) {
		size_t e = strcspn(out + pos, "\n");
		cr_assert_lt(e, sizeof(line));
		memcpy(line, out + pos, e);
		line[e] = '\0';
		pos += e + (out[pos + e] == '\n');
		char expected[128];
		snprintf(expected, sizeof(expected), "%s %s", want[i].call, want[i].result);
		cr_expect_str_eq(line, expected, "%s: %s, want %s", helper, line, expected);
		if (strcmp(want[i].result, TRAP) != 0)
			continue;
		if (traps < l.n && want[i].nr) {
			uint32_t arch = want[i].arch ? want[i].arch : own_arch;
			cr_expect(l.seen[traps].arch == arch && l.seen[traps].nr == want[i].nr,
				  "%s: the listener saw arch 0x%x nr %d, want 0x%x nr %d", want[i].call,
				  l.seen[traps].arch, l.seen[traps].nr, arch, want[i].nr);
		}
		traps++;
	}
	cr_expect_eq(out[pos], '\0', "more output than calls: %s", out + pos);
	cr_expect_eq(l.n, traps, "%s: the listener was sent %zu calls, the helper saw %zu trapped", helper, l.n, traps);
}

#define T(c) { c, TRAP, 0, 0 }
#define TN(c, a, nr) { c, TRAP, a, nr }
#define R(c, r) { c, r, 0, 0 }

/* The token-handle ioctls (design §5.2), both ADJUST_GROUPS encodings. */
#define TOKEN_IOCTLS                                                                       \
	"ioctl-0xC0104B00", "ioctl-0x40184B01", "ioctl-0xC0104B02", "ioctl-0x00004B03",    \
		"ioctl-0xC0284B04", "ioctl-0x40104B05", "ioctl-0xC0044B06", "ioctl-0x40184B07", \
		"ioctl-0x40904B07", "ioctl-0x00004B08", "ioctl-0x40104B09", "ioctl-0x40044B0A"

/* What both ABIs get alike. */
static const struct expect common[] = {
	R("getppid", "ok"),
	R("ptrace-peekdata", "ESRCH"),
	R("prctl-get-name", "ok"),
	R("ioctl-tcgets", "ENOTTY"),
	R("ioctl-k16", "ENOTTY"), R("ioctl-j0", "ENOTTY"),
	T("kill"), T("kill-self"), T("tkill"), T("tgkill"), T("rt_sigqueueinfo"), T("rt_tgsigqueueinfo"),
	R("pidfd_send_signal", "ENOSYS"),
	T("ptrace-attach"), T("ptrace-seize"), T("ptrace-traceme"),
	T("process_vm_readv"), T("process_vm_writev"), T("pidfd_open"), T("pidfd_getfd"),
	R("process_madvise", "ENOSYS"),
	T("kcmp"),
	T("clone"), R("clone-newpid", "EPERM"), R("clone3", "ENOSYS"), T("fork"), T("vfork"),
	R("clone-thread", "ok"), /* a thread's clone is not trapped: its FORK record is enough (§3) */
	T("execve"), T("execveat"),
	R("setpriority-self", "ok"), T("setpriority"), T("setpriority-own-group"),
	R("ioprio_get-self", "ok"), T("ioprio_get"), T("ioprio_set"), T("ioprio_get-own-user"),
	T("ioprio_set-own-group"),
	R("sched_getaffinity-self", "ok"), T("sched_getaffinity"), T("sched_setaffinity"),
	R("sched_getscheduler-self", "ok"), T("sched_getscheduler"), T("sched_setscheduler"),
	T("sched_getparam"), T("sched_setparam"), T("sched_getattr"), T("sched_setattr"),
	R("sched_rr_get_interval-self", "ok"), T("sched_rr_get_interval"),
	R("prlimit64-self", "ok"), T("prlimit64"),
	R("setpgid-self", "ok"), T("setpgid"),
	R("getpgid-self", "ok"), T("getpgid"),
	R("getsid-self", "ok"), T("getsid"),
	T("migrate_pages"), T("move_pages"), R("move_pages-self", "ok"),
	T("perf-self"), T("perf-other"), R("perf-any-cpu0", "ok"), R("perf-cgroup", "EBADF"),
	T("prctl-set-dumpable"), T("prctl-get-dumpable"),
	R("unshare-newpid", "EPERM"), R("unshare-newuts", "ok"),
	R("setns-newpid", "EPERM"), R("setns-0", "EPERM"), R("setns-newuts", "ok"),
	R("seccomp-listener", "EPERM"),
	R("int80-getppid", "ok"),
	TN("int80-kill", AUDIT_ARCH_I386, 37),
	R("int80-kacs-1000", "ENOSYS"), R("int80-kacs-1010", "ENOSYS"),
	/* last: each adds an allow-all filter (no listener) */
	R("seccomp-filter", "ok"), R("prctl-set-seccomp", "ok"),
};

Test(kacs_filter, native_calls_reach_the_listener_or_get_their_errno_without_it)
{
	static const struct expect native_only[] = {
		TN("kill", AUDIT_ARCH_X86_64, SYS_kill),
		TN("clone", AUDIT_ARCH_X86_64, SYS_clone),
		TN("execve", AUDIT_ARCH_X86_64, SYS_execve),
		T("prctl-get-dumpable-high"), T("ioctl-query-high"),
		T("ioctl-k11"), /* 'K' 0-15 all reach S (one masked compare), which CONTINUEs the rest */
		R("seccomp-listener-high", "EPERM"),
		T("perf-any-cpu0-sext"), /* a sign-extended -1 traps; S lets it go */
		TN("x32-kill", AUDIT_ARCH_X86_64, X32_BIT | SYS_kill),
		R("x32-kacs-1000", "ENOSYS"), R("x32-kacs-1010", "ENOSYS"),
		TN("kacs-1000", AUDIT_ARCH_X86_64, 1000), T("kacs-1001"), T("kacs-1002"), T("kacs-1003"),
		T("kacs-1004"), T("kacs-1005"), T("kacs-1006"),
		R("kacs-1007", "ENOSYS"), R("kacs-1009", "ENOSYS"),
		R("kacs-1010", "EACCES"), R("kacs-1011", "EACCES"),
		T("kacs-1012"), T("kacs-1013"),
		R("kacs-1014", "ENOSYS"), R("kacs-1020", "ENOSYS"),
		T("kacs-1021"), T("kacs-1022"),
		R("kacs-1023", "ENOSYS"), R("kacs-1024", "ENOSYS"), R("kacs-1027", "ENOSYS"),
		R("kacs-1099", "ENOSYS"),
	};
	static const char *const ioctls[] = { TOKEN_IOCTLS };
	struct expect all[128];
	size_t n = 0;
	const char *helper = getenv("CK_KACS_CALLS");

	if (geteuid() != 0)
		ck_skip_or_fail("the filter's calls are held to root's answers (unshare, setns, perf)");
	cr_assert_not_null(helper, "CK_KACS_CALLS is not set");
	for (size_t i = 0; i < sizeof(native_only) / sizeof(native_only[0]); i++)
		all[n++] = native_only[i];
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		all[n++] = (struct expect)T(ioctls[i]);
	/* the common rows last: they end with the calls that add filters */
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcmp(common[i].call, "kill") && strcmp(common[i].call, "clone") && strcmp(common[i].call, "execve"))
			all[n++] = common[i];
	check(helper, all, n, AUDIT_ARCH_X86_64);
}

Test(kacs_filter, an_i386_program_is_trapped_alike_but_has_no_kacs_abi)
{
	static const struct expect i386_only[] = {
		TN("kill", AUDIT_ARCH_I386, 37),
		TN("clone", AUDIT_ARCH_I386, 120),
		TN("sched_rr_get_interval_time64", AUDIT_ARCH_I386, 423),
		R("ioctl-k11", "ENOTTY"),
		/* the KACS numbers and the token ioctls are x86_64's (design §5.1): the kernel's answers */
		R("kacs-1000", "ENOSYS"), R("kacs-1003", "ENOSYS"), R("kacs-1010", "ENOSYS"),
		R("kacs-1011", "ENOSYS"), R("kacs-1022", "ENOSYS"),
	};
	static const char *const ioctls[] = { TOKEN_IOCTLS };
	struct expect all[128];
	size_t n = 0;
	const char *helper = getenv("CK_KACS_CALLS_I386");
	const char *missing = getenv("CK_KACS_CALLS_I386_MISSING");

	if (!helper || !*helper)
		ck_skip_or_fail("no i386 build of ck-kacs-calls: %s", missing && *missing ? missing : "?");
	if (geteuid() != 0)
		ck_skip_or_fail("the filter's calls are held to root's answers (unshare, setns, perf)");
	for (size_t i = 0; i < sizeof(i386_only) / sizeof(i386_only[0]); i++)
		all[n++] = i386_only[i];
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		all[n++] = (struct expect)R(ioctls[i], "ENOTTY");
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcmp(common[i].call, "kill") && strcmp(common[i].call, "clone"))
			all[n++] = common[i];
	check(helper, all, n, AUDIT_ARCH_I386);
}

Test(kacs_filter, its_bpf_is_counted_per_abi)
{
	struct ck_seccomp_policy *p = ck__kacs_filter_policy();
	enum ck_arch arches[] = { CK_ARCH_X86_64, CK_ARCH_I386, CK_ARCH_X32 };
	int total = 0;
	void *buf;
	size_t len;

	cr_assert_not_null(p);
	for (size_t i = 0; i < 3; i++) {
		int c = ck_seccomp_instruction_count(p, arches[i]);
		cr_assert_gt(c, 0, "%s: %d", ck_arch_at(arches[i])->name, c);
		/* the kernel's limit is BPF_MAXINSNS (4096) per filter */
		cr_assert_lt(c, 400, "%s: %d instructions", ck_arch_at(arches[i])->name, c);
		printf("kacs filter, %s alone: %d BPF instructions\n", ck_arch_at(arches[i])->name, c);
		total += c;
	}
	cr_assert_eq(ck_seccomp_export_bpf(p, &buf, &len), 0);
	printf("kacs filter, all three ABIs: %zu BPF instructions\n", len / 8);
	cr_assert_lt(len / 8, (size_t)total, "the merged filter shares its ABI dispatch");
	free(buf);
	/* a policy with x86_64-only rules has no OCI form */
	cr_assert_eq(ck_seccomp_export_oci(p, 1), -EOPNOTSUPP);
	ck_seccomp_policy_free(p);
}

/*
 * §14 goal 1: the calls the filter reads arguments of but lets through miss
 * the kernel's action cache and run it every time; their x86_64 paths stay
 * short (they were 24 instructions for ioctl, 16 for prctl, at 1.07x).
 */
Test(kacs_filter, the_allowed_calls_it_reads_run_few_instructions)
{
	static const struct {
		const char *name;
		int nr;
		uint64_t args[2];
		long most;
	} calls[] = {
		{ "ioctl(TCGETS)", SYS_ioctl, { 0, TCGETS }, 12 },
		{ "prctl(PR_GET_NO_NEW_PRIVS)", SYS_prctl, { PR_GET_NO_NEW_PRIVS, 0 }, 13 },
		{ "prlimit64(0)", SYS_prlimit64, { 0, RLIMIT_NOFILE }, 24 },
		{ "sched_getaffinity(0)", SYS_sched_getaffinity, { 0, 128 }, 24 },
	};
	struct ck_seccomp_policy *p = ck__kacs_filter_policy();
	void *buf;
	size_t len;

	if (!ck_arch_native() || ck_arch_native()->arch != CK_ARCH_X86_64)
		ck_skip_or_fail("the paths counted are x86_64's");
	cr_assert_not_null(p);
	cr_assert_eq(ck_seccomp_export_bpf(p, &buf, &len), 0);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct seccomp_data sd = { .nr = calls[i].nr, .arch = AUDIT_ARCH_X86_64,
					   .args = { calls[i].args[0], calls[i].args[1] } };
		bool cacheable = true;
		long n = ck__seccomp_bpf_path(buf, len / sizeof(struct sock_filter), &sd, &cacheable);
		printf("kacs filter, x86_64 %s: %ld instructions\n", calls[i].name, n);
		cr_expect(n > 0 && n <= calls[i].most, "%s: %ld instructions, at most %ld", calls[i].name, n,
			  calls[i].most);
		cr_expect(!cacheable, "%s reads an argument", calls[i].name);
	}
	free(buf);
	ck_seccomp_policy_free(p);
}
