/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's seccomp filter (KACS-SUPERVISOR.md §8, the "Trap when"
 * column of §9), as a table of rules for lib/seccomp.c's one compiler.
 *
 * Arguments the kernel reads as 32-bit ints (ioctl's cmd, prctl's option,
 * setns' nstype, seccomp's op) are matched on their low 32 bits only, so a
 * caller cannot slip past a trap with garbage in a register's upper half;
 * "pid != 0" tests all 64 bits, which can only trap more, never less.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>

#include <clonekit/kacs_abi.h>

#include "internal/seccomp.h"
#include "internal/util.h"
#include "kacs/supervisor.h"

#define LOW32 UINT64_C(0xffffffff)

/* The KACS numbers S emulates (design §5.1); the others of 1000-1099 get the kernel's ENOSYS. */
static const int kacs_emulated[] = {
	CK_KACS_NR_OPEN_SELF_TOKEN, CK_KACS_NR_OPEN_PROCESS_TOKEN, CK_KACS_NR_OPEN_THREAD_TOKEN,
	CK_KACS_NR_CREATE_TOKEN, CK_KACS_NR_CREATE_SESSION, CK_KACS_NR_SET_PSB,
	CK_KACS_NR_DESTROY_EMPTY_SESSION, CK_KACS_NR_REVERT, CK_KACS_NR_SET_IMPERSONATION_LEVEL,
	CK_KACS_NR_GET_SD, CK_KACS_NR_SET_SD,
};
/* No captured peer token (design §5.1): EACCES without a trap. */
static const int kacs_no_peer[] = { CK_KACS_NR_OPEN_PEER_TOKEN, CK_KACS_NR_IMPERSONATE_PEER };

/*
 * The token-handle ioctls (design §5.2) are all of type 'K' with numbers
 * 0-10: one masked compare of the type byte and the number's high nibble
 * sends them to S, where twelve exact compares made every other ioctl pay
 * 24 instructions (§14's goal 1). Other requests it catches ('K' 0-15:
 * none in linux/kd.h today) are CONTINUEd by S, which polices no such call.
 */
#define TOKEN_IOCTL_MASK 0xfff0u
#define TOKEN_IOCTL_VALUE ((unsigned)CK_KACS_IOC_MAGIC << 8)
#define IS_TOKEN_IOCTL(req) (((req) & TOKEN_IOCTL_MASK) == TOKEN_IOCTL_VALUE)
_Static_assert(IS_TOKEN_IOCTL(CK_KACS_IOC_QUERY) && IS_TOKEN_IOCTL(CK_KACS_IOC_ADJUST_PRIVS) &&
		       IS_TOKEN_IOCTL(CK_KACS_IOC_DUPLICATE) && IS_TOKEN_IOCTL(CK_KACS_IOC_INSTALL) &&
		       IS_TOKEN_IOCTL(CK_KACS_IOC_RESTRICT) && IS_TOKEN_IOCTL(CK_KACS_IOC_LINK_TOKENS) &&
		       IS_TOKEN_IOCTL(CK_KACS_IOC_GET_LINKED_TOKEN) && IS_TOKEN_IOCTL(CK_KACS_IOC_ADJUST_GROUPS) &&
		       IS_TOKEN_IOCTL(CK_KACS_IOC_ADJUST_GROUPS_PKM) && IS_TOKEN_IOCTL(CK_KACS_IOC_IMPERSONATE) &&
		       IS_TOKEN_IOCTL(CK_KACS_IOC_ADJUST_DEFAULT) && IS_TOKEN_IOCTL(CK_KACS_IOC_ADJUST_SESSIONID),
	       "a token ioctl the filter's masked compare would let through");

/*
 * The calls whose arguments the filter reads and that it mostly allows: the
 * kernel's action cache cannot answer them, so they run the filter every
 * time, and are tested first, the hottest first (§14's goal 1). Everything
 * else is cached as allowed, or trapped, or refused, where order costs nothing.
 */
static const struct {
	const char *syscall;
	uint8_t priority;
} hot[] = {
	{ "ioctl", 255 }, { "prctl", 250 }, { "prlimit64", 240 }, { "sched_getaffinity", 230 },
	{ "getpgid", 200 }, { "getsid", 200 }, { "setpgid", 200 }, { "ptrace", 200 },
};

/* Signals, memory, pidfds, kcmp, exec: trapped on every call. */
static const char *const always[] = {
	"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	"process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
	"fork", "vfork", "execve", "execveat", "kcmp",
};

/* Trapped when the pid in argument 0 is not 0 (the caller itself). */
static const char *const pid_arg0[] = {
	"sched_setscheduler", "sched_setparam", "sched_setattr", "sched_setaffinity",
	"sched_getscheduler", "sched_getparam", "sched_getattr", "sched_getaffinity",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", /* the second: 32-bit ABIs only */
	"prlimit64", "setpgid", "getpgid", "getsid", "migrate_pages", "move_pages",
};

/*
 * Trapped when "who" (argument 1) is not 0, or "which" (argument 0) is not
 * the one-process kind: who 0 is the caller's own process, but also its own
 * process group or its own uid, every process of which is a target.
 */
static const struct {
	const char *syscall;
	uint64_t process; /* PRIO_PROCESS, IOPRIO_WHO_PROCESS */
} who_arg1[] = { { "setpriority", 0 }, { "ioprio_set", 1 }, { "ioprio_get", 1 } };

#define NOTIFY CK_SECCOMP_NOTIFY

#define CMP(a, o, v) { .arg = (a), .op = CK__SECCOMP_##o, .value = (v) }
#define CMP_LOW32(a, v) { .arg = (a), .op = CK__SECCOMP_MASKED_EQ, .value = (v), .mask = LOW32 }
#define CMP_BIT(a, bit, on) { .arg = (a), .op = CK__SECCOMP_MASKED_EQ, .value = (on) ? (bit) : 0, .mask = (bit) }

/* The KACS ABI exists on x86_64 hosts, for their native ABI. */
static bool kacs_abi_here(void)
{
	const struct ck_arch_info *n = ck_arch_native();
	return n && n->arch == CK_ARCH_X86_64;
}

static int add(struct ck_seccomp_policy *p, struct ck__seccomp_rule r)
{
	for (size_t i = 0; r.syscall && i < CK_ARRAY_SIZE(hot); i++)
		if (strcmp(r.syscall, hot[i].syscall) == 0)
			r.priority = hot[i].priority;
	return ck__seccomp_policy_add(p, &r);
}

static int add_traps(struct ck_seccomp_policy *p)
{
	const unsigned cf = ck__seccomp_clone_flags_arg();
	int r = 0;

	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(always); i++)
		r = add(p, (struct ck__seccomp_rule){ .syscall = always[i], .action = NOTIFY });
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(pid_arg0); i++)
		r = add(p, (struct ck__seccomp_rule){ .syscall = pid_arg0[i], .action = NOTIFY, .ncmp = 1,
						      .cmp = { CMP(0, NE, 0) } });
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(who_arg1); i++) {
		r = add(p, (struct ck__seccomp_rule){ .syscall = who_arg1[i].syscall, .action = NOTIFY, .ncmp = 1,
						      .cmp = { CMP(1, NE, 0) } });
		if (!r)
			r = add(p, (struct ck__seccomp_rule){ .syscall = who_arg1[i].syscall, .action = NOTIFY,
							      .ncmp = 1, .cmp = { CMP(0, NE, who_arg1[i].process) } });
	}
	/* ptrace's request is a long: all 64 bits */
	static const uint64_t ptrace_req[] = { PTRACE_ATTACH, PTRACE_SEIZE, PTRACE_TRACEME };
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(ptrace_req); i++)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "ptrace", .action = NOTIFY, .ncmp = 1,
						      .cmp = { CMP(0, EQ, ptrace_req[i]) } });
	static const uint64_t prctl_opt[] = { PR_SET_DUMPABLE, PR_GET_DUMPABLE };
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(prctl_opt); i++)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "prctl", .action = NOTIFY, .ncmp = 1,
						      .cmp = { CMP_LOW32(0, prctl_opt[i]) } });
	/*
	 * perf_event_open: pid (an int) other than -1, unless it names a cgroup.
	 * One comparison per argument: below 0xffffffff, or anything with its
	 * upper half set (a sign-extended -1 is trapped too, and S lets it go).
	 */
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "perf_event_open", .action = NOTIFY, .ncmp = 2,
						      .cmp = { CMP(1, LT, LOW32), CMP_BIT(4, PERF_FLAG_PID_CGROUP, false) } });
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "perf_event_open", .action = NOTIFY, .ncmp = 2,
						      .cmp = { CMP(1, GT, LOW32), CMP_BIT(4, PERF_FLAG_PID_CGROUP, false) } });
	/*
	 * clone: a new process (no CLONE_THREAD; CLONE_NEWPID is refused below).
	 * A thread is not trapped: S decides nothing at its clone (it shares the
	 * process's token, starts without impersonation) and its FORK record,
	 * written before it runs, is drained before any call from or about it.
	 */
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "clone", .action = NOTIFY, .ncmp = 1,
						      .cmp = { { .arg = cf, .op = CK__SECCOMP_MASKED_EQ, .value = 0,
								 .mask = CLONE_NEWPID | CLONE_THREAD } } });
	/* the token-handle ioctls and the KACS syscalls: x86_64's only (§5.1), as PKM registers them */
	if (!kacs_abi_here())
		return r;
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "ioctl", .native_only = true, .action = NOTIFY,
						      .ncmp = 1,
						      .cmp = { { .arg = 1, .op = CK__SECCOMP_MASKED_EQ,
								 .value = TOKEN_IOCTL_VALUE, .mask = TOKEN_IOCTL_MASK } } });
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(kacs_emulated); i++)
		r = add(p, (struct ck__seccomp_rule){ .nr = kacs_emulated[i], .native_only = true, .action = NOTIFY });
	return r;
}

static int add_refusals(struct ck_seccomp_policy *p)
{
	const unsigned cf = ck__seccomp_clone_flags_arg();
	const enum ck_seccomp_action E = CK_SECCOMP_ERRNO;
	int r = 0;

	/* memory or fds the caller can swap decide these: refused whole so that libc falls back */
	static const char *const nosys[] = { "clone3", "pidfd_send_signal", "process_madvise" };
	for (size_t i = 0; !r && i < CK_ARRAY_SIZE(nosys); i++)
		r = add(p, (struct ck__seccomp_rule){ .syscall = nosys[i], .action = E, .err = ENOSYS });
	/* pid arguments are read in the caller's PID namespace, which must stay S's (§3) */
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "clone", .action = E, .err = EPERM, .ncmp = 1,
						      .cmp = { CMP_BIT(cf, CLONE_NEWPID, true) } });
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "unshare", .action = E, .err = EPERM, .ncmp = 1,
						      .cmp = { CMP_BIT(0, CLONE_NEWPID, true) } });
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "setns", .action = E, .err = EPERM, .ncmp = 1,
						      .cmp = { CMP_BIT(1, CLONE_NEWPID, true) } });
	/* nstype 0 joins whatever kind of namespace the fd is */
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "setns", .action = E, .err = EPERM, .ncmp = 1,
						      .cmp = { CMP_LOW32(1, 0) } });
	/*
	 * A listener of the tree's own would get its calls before S (§8). Only
	 * seccomp(2) makes one: prctl(PR_SET_SECCOMP) passes flags 0.
	 */
	if (!r)
		r = add(p, (struct ck__seccomp_rule){ .syscall = "seccomp", .action = E, .err = EPERM, .ncmp = 2,
						      .cmp = { CMP_LOW32(0, SECCOMP_SET_MODE_FILTER),
							       CMP_BIT(1, SECCOMP_FILTER_FLAG_NEW_LISTENER, true) } });
	for (size_t i = 0; !r && kacs_abi_here() && i < CK_ARRAY_SIZE(kacs_no_peer); i++)
		r = add(p, (struct ck__seccomp_rule){ .nr = kacs_no_peer[i], .native_only = true, .action = E,
						      .err = EACCES });
	return r;
}

struct ck_seccomp_policy *ck__kacs_filter_policy(void)
{
	struct ck_seccomp_policy *p = ck__seccomp_policy_new(
		"kacs-supervisor",
		"the KACS supervisor's calls (§9) wait for it; clone3, pidfd_send_signal and process_madvise fail with ENOSYS; "
		"new PID namespaces and seccomp listeners with EPERM; the KACS syscalls are the x86_64 ABI's");
	int r;

	if (!p)
		return NULL;
	r = add_traps(p);
	if (!r)
		r = add_refusals(p);
	if (r) {
		ck_seccomp_policy_free(p);
		errno = r == -ENOSPC ? E2BIG : -r;
		return NULL;
	}
	return p;
}
