/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A model of the kernel's checks on clone(), clone3() and unshare().
 *
 * The rules are one table, in the order the kernel evaluates them, so the
 * first broken error rule is the errno the kernel returns. Each rule names
 * the kernel versions it applies to; history is from kernel/fork.c,
 * kernel/nsproxy.c, kernel/user_namespace.c, kernel/pid.c,
 * kernel/pid_namespace.c and kernel/cgroup/cgroup.c, and man-pages clone(2)
 * and unshare(2).
 */
#include <clonekit/validate.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal/util.h"
#include "internal/arch.h"
#include "internal/live.h"

#define V CK_KERNEL_VERSION
#define SC_C  CK_SYSCALL_BIT(CK_SYSCALL_CLONE)
#define SC_C3 CK_SYSCALL_BIT(CK_SYSCALL_CLONE3)
#define SC_U  CK_SYSCALL_BIT(CK_SYSCALL_UNSHARE)
#define SC_CLONES (SC_C | SC_C3)
#define SC_ALL (SC_C | SC_C3 | SC_U)

#define CAP_BIT(n) (UINT64_C(1) << (n))
#define CK_CAP_SETGID 6
#define CK_CAP_SETUID 7
#define CK_CAP_SYS_ADMIN 21
#define CK_CAP_CHECKPOINT_RESTORE 40

#define CK_PAGE_SIZE 4096u
#define CK_MAX_SIGNAL 64u
#define CK_MAX_NS_LEVEL 32u
#define CK_CLONE_LEGACY_FLAGS UINT64_C(0xffffffff)
#define CK_CGROUP2_SUPER_MAGIC 0x63677270

/* Namespace flags other than CLONE_NEWUSER: they need CAP_SYS_ADMIN in the target user namespace. */
#define NS_NEEDS_ADMIN (CK_CLONE_NEWNS_ALL & ~CK_CLONE_NEWUSER)

/* What the kernel sees of a request, after its own conversions. */
struct eval {
	const struct ck_clone_request *req;
	const struct ck_context *ctx;
	enum ck_syscall sc;
	uint32_t kv;
	uint64_t raw;          /* flags as passed */
	uint64_t flags;        /* flags the kernel acts on */
	uint64_t implied;      /* unshare: flags the kernel added */
	uint64_t exit_signal;
	uint64_t set_tid, set_tid_size, cgroup; /* clone3: zero when past args_size */
	uint64_t args_size;
	uint64_t pidfd_ptr, parent_tid_ptr;
	bool admin;            /* CAP_SYS_ADMIN in the caller's user namespace */
	bool cg_known;         /* cg describes the CLONE_INTO_CGROUP target */
	struct ck_cgroup_target cg;
};

struct rule {
	const char *id;
	unsigned syscalls;
	uint32_t since, until;      /* [since, until) in mainline; 0 means unbounded */
	enum ck_severity severity;
	int err;
	uint64_t about;             /* flags shown with the finding */
	const char *source;
	int arg;                    /* a parameter for shared predicates */
	bool (*broken)(const struct eval *e, const struct rule *r);
	const char *message;        /* printf format; describe() may use it */
	void (*describe)(const struct eval *e, const struct rule *r, char *buf, size_t len);
	/* stable releases that took the change at since / at until (see kernel_has()) */
	const uint32_t *since_stable, *until_stable;
};

struct ck_verdict {
	size_t count;
	struct ck_finding findings[96];
};

static bool has(const struct eval *e, uint64_t f)
{
	return (e->flags & f) != 0;
}

static bool has_all(const struct eval *e, uint64_t f)
{
	return (e->flags & f) == f;
}

static bool cap(const struct eval *e, unsigned c)
{
	return (e->ctx->cap_effective & CAP_BIT(c)) != 0;
}

/*
 * Does kernel kv carry a change that mainline made in release mainline?
 * Yes from that release on, and on an older branch from the stable release
 * that took it: stable lists such releases, one per branch, 0-terminated.
 */
static bool kernel_has(uint32_t kv, uint32_t mainline, const uint32_t *stable)
{
	if (mainline && kv >= mainline)
		return true;
	for (; stable && *stable; stable++)
		if ((kv >> 16) == (*stable >> 16) && kv >= *stable) /* same MAJOR.MINOR */
			return true;
	return false;
}

/*
 * Changes that stable branches took, each with its evidence: the stable
 * release announcements on stable@vger.kernel.org (their shortlogs name the
 * patch), or the CVE record. Checked and not backported: CLONE_PIDFD with
 * CLONE_THREAD (6.9, 83b290c9e3b5), the time namespace switch at execve
 * (6.2, 2b5f9dad32ed "fs/exec: switch timens when a task gets a new mm"),
 * clone3's pidfd == parent_tid check (5.9, fork-v5.9 "fork: fold
 * legacy_clone_args_valid() into _do_fork()").
 */
/* "fork: allow CLONE_NEWTIME in clone3 flags" (6.3-rc2, Cc stable): Linux 5.10.175,
 * 5.15.103, 6.1.20 and 6.2.7, all announced 2023-03-17; 5.11-5.14 were no longer maintained. */
static const uint32_t newtime_in_clone3[] = { V(5, 10, 175), V(5, 15, 103), V(6, 1, 20),
					      V(6, 2, 7), 0 };
/* "clone3: validate stack arguments" (fa729c4df558, 5.4-rc): "[PATCH 5.3 063/193]", Linux 5.3.11. */
static const uint32_t clone3_stack_checks[] = { V(5, 3, 11), 0 };
/* "userns: Don't allow CLONE_NEWUSER | CLONE_FS" (e66eded8309e, 3.9; CVE-2013-1858:
 * "before 3.8.3"): Linux 3.8.3. */
static const uint32_t newuser_fs_refused[] = { V(3, 8, 3), 0 };
/* "userns: Don't allow creation if the user is chrooted" (3151527ee007, 3.9;
 * CVE-2013-1956): in the Linux 3.8.6 changelog. */
static const uint32_t userns_chroot_refused[] = { V(3, 8, 6), 0 };

/* ---- clone3 argument copy (copy_clone_args_from_user) ---- */

static uint32_t clone3_known_size(uint32_t kv)
{
	if (kv >= V(5, 7, 0))
		return CK_CLONE_ARGS_SIZE_VER2;
	if (kv >= V(5, 5, 0))
		return CK_CLONE_ARGS_SIZE_VER1;
	return CK_CLONE_ARGS_SIZE_VER0;
}

static bool always(const struct eval *e, const struct rule *r)
{
	return true;
}

static bool size_too_big(const struct eval *e, const struct rule *r)
{
	return e->args_size > CK_PAGE_SIZE;
}

static bool size_too_small(const struct eval *e, const struct rule *r)
{
	return e->args_size < CK_CLONE_ARGS_SIZE_VER0;
}

/* Which fields the caller set that this kernel's struct does not have. */
static uint64_t unknown_field_bytes(const struct eval *e, const char **what)
{
	uint32_t known = clone3_known_size(e->kv);
	const struct ck_clone_request *q = e->req;

	*what = NULL;
	if (e->args_size <= known)
		return 0;
	if (known < CK_CLONE_ARGS_SIZE_VER1 && (e->set_tid || e->set_tid_size)) {
		*what = "set_tid/set_tid_size (Linux 5.5)";
		return 1;
	}
	if (known < CK_CLONE_ARGS_SIZE_VER2 && e->cgroup) {
		*what = "cgroup (Linux 5.7)";
		return 1;
	}
	if (e->args_size > CK_CLONE_ARGS_SIZE_VER2 && q->args_tail_nonzero) {
		*what = "bytes past the cgroup field";
		return 1;
	}
	return 0;
}

static bool unknown_fields(const struct eval *e, const struct rule *r)
{
	const char *what;
	return unknown_field_bytes(e, &what) != 0;
}

static void describe_unknown_fields(const struct eval *e, const struct rule *r, char *buf,
				    size_t len)
{
	const char *what;
	unknown_field_bytes(e, &what);
	snprintf(buf, len,
		 "clone3 size %" PRIu64 " is larger than the %u bytes this kernel knows, and %s are not zero",
		 e->args_size, clone3_known_size(e->kv), what ? what : "the extra bytes");
}

static bool set_tid_size_too_big(const struct eval *e, const struct rule *r)
{
	return e->set_tid_size > CK_SET_TID_MAX;
}

static bool set_tid_size_without_array(const struct eval *e, const struct rule *r)
{
	return !e->set_tid && e->set_tid_size > 0;
}

static bool set_tid_array_without_size(const struct eval *e, const struct rule *r)
{
	return e->set_tid && e->set_tid_size == 0;
}

static bool exit_signal_invalid(const struct eval *e, const struct rule *r)
{
	return e->exit_signal > CK_MAX_SIGNAL;
}

static void describe_exit_signal(const struct eval *e, const struct rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "exit_signal %" PRIu64 " is not a valid signal (1-64, or 0 for none)",
		 e->exit_signal);
}

static bool cgroup_fd_invalid(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_INTO_CGROUP) &&
	       (e->cgroup > INT32_MAX || e->args_size < CK_CLONE_ARGS_SIZE_VER2);
}

static void describe_cgroup_fd(const struct eval *e, const struct rule *r, char *buf, size_t len)
{
	if (e->args_size < CK_CLONE_ARGS_SIZE_VER2)
		snprintf(buf, len,
			 "CLONE_INTO_CGROUP needs the cgroup field: size %" PRIu64 " is below 88",
			 e->args_size);
	else
		snprintf(buf, len, "CLONE_INTO_CGROUP: cgroup %" PRIu64 " is not a file descriptor (above INT_MAX)",
			 e->cgroup);
}

/* ---- clone3_args_valid ---- */

static uint64_t clone3_accepted(uint32_t kv)
{
	uint64_t ok = CK_CLONE_LEGACY_FLAGS;
	if (kv >= V(5, 5, 0))
		ok |= CK_CLONE_CLEAR_SIGHAND;
	if (kv >= V(5, 7, 0))
		ok |= CK_CLONE_INTO_CGROUP;
	return ok;
}

static bool clone3_unknown_flags(const struct eval *e, const struct rule *r)
{
	return e->flags & ~clone3_accepted(e->kv);
}

/* Names the unknown bits, and which kernel introduced them where known. */
static void describe_unknown_bits(const struct eval *e, uint64_t bits, const char *what,
				  char *buf, size_t len)
{
	size_t pos = 0;
	char vb[16];

	ck__buf_append(buf, len, &pos, "%s", what);
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		if (!(bits & f->value))
			continue;
		bits &= ~f->value;
		if (f->since > e->kv)
			ck__buf_append(buf, len, &pos, " %s (needs Linux %s)", f->name,
				      ck_kernel_version_format(f->since, vb, sizeof(vb)));
		else
			ck__buf_append(buf, len, &pos, " %s", f->name);
	}
	if (bits)
		ck__buf_append(buf, len, &pos, " %#" PRIx64 " (no such flag)", bits);
}

static void describe_clone3_unknown(const struct eval *e, const struct rule *r, char *buf,
				    size_t len)
{
	describe_unknown_bits(e, e->flags & ~clone3_accepted(e->kv),
			      "clone3 refuses flags it does not know:", buf, len);
}

static bool clone3_detached(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_DETACHED);
}

static uint64_t clone3_csignal_refused(const struct eval *e)
{
	uint64_t refused = CK_CSIGNAL;
	if (kernel_has(e->kv, V(6, 3, 0), newtime_in_clone3))
		refused &= ~CK_CLONE_NEWTIME;
	return e->flags & refused;
}

static bool clone3_csignal(const struct eval *e, const struct rule *r)
{
	return clone3_csignal_refused(e) != 0;
}

static void describe_clone3_csignal(const struct eval *e, const struct rule *r, char *buf,
				    size_t len)
{
	uint64_t bits = clone3_csignal_refused(e);
	if (bits == CK_CLONE_NEWTIME)
		snprintf(buf, len,
			 "clone3 refuses CLONE_NEWTIME (it lies in the CSIGNAL byte) before Linux 6.3, 6.2.7, 6.1.20, 5.15.103 and 5.10.175");
	else
		snprintf(buf, len,
			 "flag bits %#" PRIx64 " are the exit-signal byte of legacy clone; clone3 takes exit_signal separately",
			 bits);
}

static bool clear_sighand_with_sighand(const struct eval *e, const struct rule *r)
{
	return has_all(e, CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND);
}

static bool exit_signal_with_thread_or_parent(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_THREAD | CK_CLONE_PARENT) && e->exit_signal;
}

static bool stack_size_without_stack(const struct eval *e, const struct rule *r)
{
	return e->req->stack == 0 && e->req->stack_size > 0;
}

static bool stack_without_size(const struct eval *e, const struct rule *r)
{
	return e->req->stack != 0 && e->req->stack_size == 0;
}

static bool stack_outside_user_memory(const struct eval *e, const struct rule *r)
{
	uint64_t stack = e->req->stack, size = e->req->stack_size;
	uint64_t max = ck__user_addr_max();

	if (stack == 0 || size == 0 || max == 0)
		return false;
	return stack + size < stack || stack + size > max;
}

/* ---- kernel_clone ---- */

static bool pidfd_with_parent_settid_legacy(const struct eval *e, const struct rule *r)
{
	return has_all(e, CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID);
}

static bool pidfd_with_parent_settid_same_ptr(const struct eval *e, const struct rule *r)
{
	return has_all(e, CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID) &&
	       e->pidfd_ptr == e->parent_tid_ptr;
}

/* ---- copy_process ---- */

static bool both(const struct eval *e, const struct rule *r)
{
	return has_all(e, r->about);
}

static bool first_without_second(const struct eval *e, uint64_t first, uint64_t second)
{
	return has(e, first) && !has(e, second);
}

static bool thread_without_sighand(const struct eval *e, const struct rule *r)
{
	return first_without_second(e, CK_CLONE_THREAD, CK_CLONE_SIGHAND);
}

static bool sighand_without_vm(const struct eval *e, const struct rule *r)
{
	return first_without_second(e, CK_CLONE_SIGHAND, CK_CLONE_VM);
}

static bool parent_from_init(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_PARENT) && e->ctx->is_init;
}

static bool old_ns_with_thread_or_parent(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER | CK_CLONE_NEWPID) &&
	       has(e, CK_CLONE_THREAD | CK_CLONE_PARENT);
}

/* r->about is the flag (SIGHAND in 3.12-5.1, THREAD since) that may not leave the pid/user namespace. */
static bool shared_across_ns(const struct eval *e, const struct rule *r)
{
	return has(e, r->about) &&
	       (has(e, CK_CLONE_NEWUSER | CK_CLONE_NEWPID) || e->ctx->pidns_for_children_differs);
}

static void describe_shared_across_ns(const struct eval *e, const struct rule *r, char *buf,
				      size_t len)
{
	const struct ck_flag *f = ck_flag_by_value(r->about);
	if (has(e, CK_CLONE_NEWUSER | CK_CLONE_NEWPID))
		snprintf(buf, len, "%s cannot be combined with %s: the child would share with a task in another namespace",
			 f->name, has(e, CK_CLONE_NEWUSER) ? "CLONE_NEWUSER" : "CLONE_NEWPID");
	else
		snprintf(buf, len, "%s after unshare(CLONE_NEWPID): the child would be in another PID namespace than its thread group",
			 f->name);
}

static bool timens_shared_vm(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_THREAD | CK_CLONE_VM) && e->ctx->timens_for_children_differs;
}

static bool debian_userns_sysctl(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER) && e->ctx->unprivileged_userns_clone == 0 &&
	       !e->admin;
}

static bool old_userns_needs_caps(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER) &&
	       !(e->admin && cap(e, CK_CAP_SETUID) && cap(e, CK_CAP_SETGID));
}

static bool userns_too_deep(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER) && e->ctx->userns_level > CK_MAX_NS_LEVEL;
}

static bool ns_limit_zero(const struct eval *e, const struct rule *r)
{
	const struct ck_flag *f = ck_flag_by_value(r->about);
	return has(e, r->about) && e->ctx->max_ns[r->arg] == 0 && f;
}

static void describe_ns_limit(const struct eval *e, const struct rule *r, char *buf, size_t len)
{
	static const char *const files[CK_NS__COUNT] = {
		"max_user_namespaces", "max_pid_namespaces", "max_net_namespaces",
		"max_mnt_namespaces", "max_uts_namespaces", "max_ipc_namespaces",
		"max_cgroup_namespaces", "max_time_namespaces",
	};
	snprintf(buf, len, "%s: /proc/sys/user/%s is 0, so no such namespace can be created",
		 ck_flag_by_value(r->about)->name, files[r->arg]);
}

static bool userns_from_chroot(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER) && e->ctx->chrooted;
}

static bool userns_unmapped_ids(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWUSER) && !e->ctx->ids_mapped;
}

static bool ns_without_admin(const struct eval *e, const struct rule *r)
{
	if (!has(e, NS_NEEDS_ADMIN))
		return false;
	/* a new user namespace gives the child every capability inside it */
	if (has(e, CK_CLONE_NEWUSER) && e->kv >= V(3, 8, 0))
		return false;
	return !e->admin;
}

static void describe_ns_without_admin(const struct eval *e, const struct rule *r, char *buf,
				      size_t len)
{
	size_t pos = 0;
	ck__buf_append(buf, len, &pos, "creating namespaces needs CAP_SYS_ADMIN (or CLONE_NEWUSER with them):");
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		if ((f->value & NS_NEEDS_ADMIN) && has(e, f->value))
			ck__buf_append(buf, len, &pos, " %s", f->name);
	}
}

static bool newpid_after_unshare(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWPID) && e->ctx->pidns_for_children_differs;
}

static bool pidns_too_deep(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_NEWPID) && e->ctx->pidns_level + 1 > CK_MAX_NS_LEVEL;
}

static bool settls_not_user_address(const struct eval *e, const struct rule *r)
{
	uint64_t max = ck__user_addr_max();
	return has(e, CK_CLONE_SETTLS) && ck__arch_native_is_x86_64() && max && e->req->tls >= max;
}

/* ---- alloc_pid() with set_tid ---- */

/* The level of the PID namespace the child's PID is allocated in. */
static unsigned child_pidns_level(const struct eval *e)
{
	unsigned lvl = e->ctx->pidns_level;
	if (has(e, CK_CLONE_NEWPID) || e->ctx->pidns_for_children_differs)
		lvl++;
	return lvl;
}

static bool set_tid_beyond_levels(const struct eval *e, const struct rule *r)
{
	return e->set_tid_size && e->set_tid_size <= CK_SET_TID_MAX &&
	       e->set_tid_size > child_pidns_level(e) + 1;
}

static void describe_set_tid_levels(const struct eval *e, const struct rule *r, char *buf,
				    size_t len)
{
	snprintf(buf, len, "set_tid_size %" PRIu64 " exceeds the %u PID namespace level(s) the child lives in",
		 e->set_tid_size, child_pidns_level(e) + 1);
}

/* Index of the first set_tid entry breaking the rule kind r->arg, or -1. */
enum { TID_RANGE, TID_NO_REAPER, TID_PERM, TID_IN_USE };

/* PID_MAX_LIMIT on 64-bit: a new PID namespace's pid_max since Linux 6.14. */
#define CK_PID_MAX_LIMIT 4194304

static int set_tid_offender(const struct eval *e, int kind)
{
	const int32_t *tids = e->req->set_tid_values;
	bool new_ns = has(e, CK_CLONE_NEWPID) || e->ctx->pidns_for_children_differs;
	/* a PID namespace made by this call, or unshared and still without its PID 1 */
	bool no_reaper = has(e, CK_CLONE_NEWPID) ||
			 (e->ctx->pidns_for_children_differs && !e->ctx->pidns_for_children_has_init);
	int caller_max = e->ctx->pid_max > 0 ? e->ctx->pid_max : CK_PID_MAX_LIMIT;

	if (!tids || !e->set_tid_size || e->set_tid_size > child_pidns_level(e) + 1 ||
	    e->set_tid_size > CK_SET_TID_MAX)
		return -1;
	for (int i = 0; i < (int)e->set_tid_size; i++) {
		int32_t tid = tids[i];
		bool innermost_new = i == 0 && new_ns;
		/* pid_max is per PID namespace since 6.14, and a new one starts at the limit */
		int pid_max = innermost_new && e->kv >= V(6, 14, 0) ? CK_PID_MAX_LIMIT : caller_max;
		switch (kind) {
		case TID_RANGE:
			if (tid < 1 || tid >= pid_max)
				return i;
			break;
		case TID_NO_REAPER:
			if (tid != 1 && innermost_new && no_reaper)
				return i;
			break;
		case TID_PERM: {
			bool ok;
			bool may = cap(e, CK_CAP_SYS_ADMIN) ||
				   (e->kv >= V(5, 9, 0) && cap(e, CK_CAP_CHECKPOINT_RESTORE));
			int own = new_ns ? 1 : 0; /* index of the caller's own PID namespace */
			if (innermost_new && has(e, CK_CLONE_NEWUSER))
				ok = true; /* owned by the new user namespace */
			else if (innermost_new)
				ok = may;
			else if (i == own)
				/* owned by the caller's user namespace, unless the caller
				 * entered a user namespace and kept the initial PID one */
				ok = may && (e->ctx->userns_level == 0 || e->ctx->pidns_level > 0);
			else
				/* an ancestor: only the initial user namespace owns them all */
				ok = may && e->ctx->userns_level == 0;
			if (!ok)
				return i;
			break;
		}
		case TID_IN_USE:
			/* the caller's own PID namespace can be probed; an unshared one
			 * that has its PID 1 has at least that PID taken */
			if (i == (new_ns ? 1 : 0) && e->ctx->live && tid > 0 &&
			    ck__pid_in_use(tid))
				return i;
			if (innermost_new && !has(e, CK_CLONE_NEWPID) && e->ctx->live &&
			    ck__pid_in_use_in_pidns("/proc/self/ns/pid_for_children", tid))
				return i;
			break;
		}
	}
	return -1;
}

static bool set_tid_rule(const struct eval *e, const struct rule *r)
{
	return set_tid_offender(e, r->arg) >= 0;
}

static void describe_set_tid(const struct eval *e, const struct rule *r, char *buf, size_t len)
{
	int i = set_tid_offender(e, r->arg);
	snprintf(buf, len, "set_tid[%d] = %d %s", i, i >= 0 ? e->req->set_tid_values[i] : 0,
		 r->message);
}

static bool pidfd_null(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_PIDFD) && e->pidfd_ptr == 0;
}

/* ---- cgroup_css_set_fork() for CLONE_INTO_CGROUP: the target, described or probed ---- */

static const struct ck_cgroup_target *cg_target(const struct eval *e)
{
	return e->cg_known && has(e, CK_CLONE_INTO_CGROUP) ? &e->cg : NULL;
}

static bool cg_usable(const struct eval *e)
{
	const struct ck_cgroup_target *t = cg_target(e);
	return t && t->state == CK_CGROUP_FD_CGROUP2;
}

static bool cgroup_fd_state_is(const struct eval *e, const struct rule *r)
{
	const struct ck_cgroup_target *t = cg_target(e);
	return t && (int)t->state == r->arg;
}

static bool cgroup_not_writable(const struct eval *e, const struct rule *r)
{
	return cg_usable(e) && e->cg.procs_writable == 0;
}

static bool cgroup_ancestor_not_writable(const struct eval *e, const struct rule *r)
{
	return cg_usable(e) && e->cg.procs_writable != 0 && e->cg.ancestor_procs_writable == 0;
}

static bool cgroup_outside_namespace(const struct eval *e, const struct rule *r)
{
	return cg_usable(e) && e->cg.outside_namespace == 1;
}

static bool cgroup_domain_invalid(const struct eval *e, const struct rule *r)
{
	return cg_usable(e) && e->cg.domain_invalid;
}

/*
 * cgroup_migrate_vet_dst(): the root, a threaded cgroup and one that is or
 * can become a thread root (only thread-capable controllers, no populated
 * domain child: cgroup_can_be_thread_root()) may take processes; any other
 * cgroup that enables controllers for its children may not.
 */
static bool cgroup_internal_process(const struct eval *e, const struct rule *r)
{
	const struct ck_cgroup_target *t = &e->cg;
	if (!cg_usable(e) || t->is_root || t->threaded)
		return false;
	return t->domain_controllers || (t->threaded_controllers && t->populated_domain_child);
}

static void describe_cgroup_internal_process(const struct eval *e, const struct rule *r,
					     char *buf, size_t len)
{
	if (e->cg.domain_controllers)
		snprintf(buf, len, "%s", r->message);
	else
		snprintf(buf, len,
			 "CLONE_INTO_CGROUP: the target enables controllers for its children and a child cgroup holds processes (no internal processes; it cannot become a thread root)");
}

static bool cgroup_thread_elsewhere(const struct eval *e, const struct rule *r)
{
	return cg_usable(e) && has(e, CK_CLONE_THREAD) && e->cg.same_domain == 0;
}

/* ---- unshare ---- */

static uint64_t unshare_accepted(uint32_t kv)
{
	uint64_t ok = 0;
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		if (f->unshare_since && f->unshare_since <= kv)
			ok |= f->value;
	}
	return ok;
}

static bool unshare_unknown_flags(const struct eval *e, const struct rule *r)
{
	return e->flags & ~unshare_accepted(e->kv);
}

static void describe_unshare_unknown(const struct eval *e, const struct rule *r, char *buf,
				     size_t len)
{
	describe_unknown_bits(e, e->flags & ~unshare_accepted(e->kv),
			      "unshare refuses flags it does not take:", buf, len);
}

static bool unshare_multithreaded(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM) && e->ctx->multithreaded;
}

static bool unshare_sighand_shared(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_SIGHAND | CK_CLONE_VM) && e->ctx->sighand_shared;
}

/* ---- warnings and notes ---- */

static bool clone_high_bits(const struct eval *e, const struct rule *r)
{
	return e->raw >> 32;
}

static void describe_clone_high_bits(const struct eval *e, const struct rule *r, char *buf,
				     size_t len)
{
	snprintf(buf, len,
		 "clone reads only the low 32 bits of flags: %#" PRIx64 " is dropped (CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP need clone3)",
		 e->raw & ~CK_CLONE_LEGACY_FLAGS);
}

static uint64_t clone_ignored_bits(const struct eval *e)
{
	uint64_t known = 0;
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		if ((f->accepted_by & SC_C) && f->since <= e->kv &&
		    f->value != CK_CLONE_DETACHED)
			known |= f->value;
	}
	return e->flags & ~known & ~CK_CLONE_DETACHED;
}

static bool clone_unknown_bits(const struct eval *e, const struct rule *r)
{
	return clone_ignored_bits(e) != 0;
}

static void describe_clone_unknown(const struct eval *e, const struct rule *r, char *buf,
				   size_t len)
{
	describe_unknown_bits(e, clone_ignored_bits(e),
			      "clone ignores, without an error, bits this kernel does not know:", buf,
			      len);
}

static bool detached_ignored(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_DETACHED) && !has(e, CK_CLONE_PIDFD);
}

static bool exit_signal_out_of_range(const struct eval *e, const struct rule *r)
{
	return e->exit_signal > CK_MAX_SIGNAL;
}

static void describe_exit_signal_range(const struct eval *e, const struct rule *r, char *buf,
				       size_t len)
{
	snprintf(buf, len,
		 "exit signal %" PRIu64 " is not a signal: clone accepts it, and the parent is never notified",
		 e->exit_signal);
}

static bool exit_signal_not_sigchld(const struct eval *e, const struct rule *r)
{
	return e->exit_signal && e->exit_signal != SIGCHLD && e->exit_signal <= CK_MAX_SIGNAL &&
	       !has(e, CK_CLONE_THREAD | CK_CLONE_PARENT);
}

static bool no_exit_signal(const struct eval *e, const struct rule *r)
{
	return e->exit_signal == 0 && !has(e, CK_CLONE_THREAD | CK_CLONE_PARENT);
}

static bool thread_exit_signal_ignored(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_THREAD) && e->exit_signal;
}

static bool parent_exit_signal_replaced(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_PARENT) && !has(e, CK_CLONE_THREAD) && e->exit_signal;
}

static bool vm_without_stack(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_VM) && !has(e, CK_CLONE_VFORK) && e->req->stack == 0;
}

static bool flag_set(const struct eval *e, const struct rule *r)
{
	return has_all(e, r->about);
}

static bool child_tid_null(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID) && e->req->child_tid == 0;
}

static bool parent_tid_null(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_PARENT_SETTID) && e->parent_tid_ptr == 0;
}

static bool unshare_implied(const struct eval *e, const struct rule *r)
{
	return e->implied != 0;
}

static void describe_unshare_implied(const struct eval *e, const struct rule *r, char *buf,
				     size_t len)
{
	char names[160];
	ck_flags_format(e->implied, CK_SYSCALL_UNSHARE, names, sizeof(names));
	snprintf(buf, len, "unshare also acts on %s, implied by the flags given", names);
}

static bool cgroup_not_probed(const struct eval *e, const struct rule *r)
{
	return has(e, CK_CLONE_INTO_CGROUP) && !cgroup_fd_invalid(e, r) && !e->cg_known;
}

/* Which of the target's relations to the caller's cgroup the checks need but nobody could tell. */
static bool cgroup_relation_unknown(const struct eval *e, const struct rule *r)
{
	const struct ck_cgroup_target *t = &e->cg;
	return cg_usable(e) && (t->procs_writable == -1 || t->ancestor_procs_writable == -1 ||
				t->outside_namespace == -1 ||
				(has(e, CK_CLONE_THREAD) && t->same_domain == -1));
}

static bool newtime_vm(const struct eval *e, const struct rule *r)
{
	return has_all(e, CK_CLONE_NEWTIME | CK_CLONE_VM);
}

static const char FORK[] = "kernel/fork.c copy_process()";
static const char KCLONE[] = "kernel/fork.c kernel_clone()";
static const char ARGS[] = "kernel/fork.c copy_clone_args_from_user()";
static const char ARGSV[] = "kernel/fork.c clone3_args_valid()";
static const char USERNS[] = "kernel/user_namespace.c create_user_ns()";
static const char NSPROXY[] = "kernel/nsproxy.c copy_namespaces()";
static const char PIDNS[] = "kernel/pid_namespace.c create_pid_namespace()";
static const char PID[] = "kernel/pid.c alloc_pid()";
static const char CGROUP[] = "kernel/cgroup/cgroup.c cgroup_css_set_fork()";
static const char UNSHARE[] = "kernel/fork.c ksys_unshare()";

/* Each may end with .since_stable = ... and .until_stable = ... for backported changes. */
#define RULE(id_, sc_, since_, until_, sev_, err_, about_, src_, arg_, fn_, msg_, desc_, ...)    \
	{ .id = id_, .syscalls = sc_, .since = since_, .until = until_, .severity = sev_,       \
	  .err = err_, .about = about_, .source = src_, .arg = arg_, .broken = fn_,              \
	  .message = msg_, .describe = desc_, __VA_ARGS__ }
#define ERR(id_, sc_, since_, until_, err_, about_, src_, fn_, msg_, ...) \
	RULE(id_, sc_, since_, until_, CK_SEVERITY_ERROR, err_, about_, src_, 0, fn_, msg_, NULL, __VA_ARGS__)
#define ERRD(id_, sc_, since_, until_, err_, about_, src_, arg_, fn_, msg_, desc_, ...) \
	RULE(id_, sc_, since_, until_, CK_SEVERITY_ERROR, err_, about_, src_, arg_, fn_, msg_, desc_, __VA_ARGS__)
#define WARN(id_, sc_, since_, until_, about_, src_, fn_, msg_, desc_, ...) \
	RULE(id_, sc_, since_, until_, CK_SEVERITY_WARNING, 0, about_, src_, 0, fn_, msg_, desc_, __VA_ARGS__)
#define NOTE(id_, sc_, since_, until_, about_, src_, fn_, msg_, desc_, ...) \
	RULE(id_, sc_, since_, until_, CK_SEVERITY_NOTE, 0, about_, src_, 0, fn_, msg_, desc_, __VA_ARGS__)

/* The namespaces in the order create_new_namespaces() builds them, with their limit files. */
#define NS_LIMIT(id_, flag_, type_)                                                      \
	ERRD(id_, SC_CLONES, V(4, 9, 0), 0, ENOSPC, flag_, NSPROXY, type_, ns_limit_zero, \
	     NULL, describe_ns_limit)

static const struct rule rules[] = {
	/* clone3: the syscall, then copy_clone_args_from_user() */
	ERR("clone3-missing", SC_C3, 0, V(5, 3, 0), ENOSYS, 0, "arch/*/syscalls", always,
	    "clone3 does not exist before Linux 5.3; callers fall back to clone"),
	ERR("clone3-size-too-big", SC_C3, 0, 0, E2BIG, 0, ARGS, size_too_big,
	    "clone3 size is larger than a page (4096)"),
	ERR("clone3-size-too-small", SC_C3, 0, 0, EINVAL, 0, ARGS, size_too_small,
	    "clone3 size is smaller than CLONE_ARGS_SIZE_VER0 (64)"),
	ERRD("clone3-unknown-fields", SC_C3, 0, 0, E2BIG, 0, ARGS, 0, unknown_fields, NULL,
	     describe_unknown_fields),
	ERR("set-tid-size-too-big", SC_C3, V(5, 5, 0), 0, EINVAL, 0, ARGS, set_tid_size_too_big,
	    "set_tid_size is larger than 32 (MAX_PID_NS_LEVEL)"),
	ERR("set-tid-size-without-array", SC_C3, V(5, 5, 0), 0, EINVAL, 0, ARGS,
	    set_tid_size_without_array, "set_tid_size is set but set_tid is NULL"),
	ERR("set-tid-array-without-size", SC_C3, V(5, 5, 0), 0, EINVAL, 0, ARGS,
	    set_tid_array_without_size, "set_tid is set but set_tid_size is 0"),
	ERRD("exit-signal-invalid", SC_C3, 0, 0, EINVAL, 0, ARGS, 0, exit_signal_invalid, NULL,
	     describe_exit_signal),
	ERRD("cgroup-fd-invalid", SC_C3, V(5, 7, 0), 0, EINVAL, CK_CLONE_INTO_CGROUP, ARGS, 0,
	     cgroup_fd_invalid, NULL, describe_cgroup_fd),

	/* clone3_args_valid() */
	ERRD("clone3-unknown-flags", SC_C3, 0, 0, EINVAL, 0, ARGSV, 0, clone3_unknown_flags, NULL,
	     describe_clone3_unknown),
	ERR("clone3-detached", SC_C3, 0, 0, EINVAL, CK_CLONE_DETACHED, ARGSV, clone3_detached,
	    "clone3 refuses CLONE_DETACHED (the bit is kept for reuse)"),
	ERRD("clone3-csignal-bits", SC_C3, 0, 0, EINVAL, 0, ARGSV, 0, clone3_csignal, NULL,
	     describe_clone3_csignal),
	ERR("clear-sighand-with-sighand", SC_C3, V(5, 5, 0), 0, EINVAL,
	    CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND, ARGSV, clear_sighand_with_sighand,
	    "CLONE_CLEAR_SIGHAND cannot be combined with CLONE_SIGHAND: shared handlers cannot be reset for one side"),
	ERR("exit-signal-with-thread-or-parent", SC_C3, 0, 0, EINVAL,
	    CK_CLONE_THREAD | CK_CLONE_PARENT, ARGSV, exit_signal_with_thread_or_parent,
	    "clone3 with CLONE_THREAD or CLONE_PARENT needs exit_signal 0"),
	/* clone3_stack_valid(): 5.4, and 5.3.11 */
	ERR("stack-size-without-stack", SC_C3, V(5, 4, 0), 0, EINVAL, 0, ARGSV,
	    stack_size_without_stack, "stack_size is set but stack is NULL",
	    .since_stable = clone3_stack_checks),
	ERR("stack-without-size", SC_C3, V(5, 4, 0), 0, EINVAL, 0, ARGSV, stack_without_size,
	    "stack is set but stack_size is 0", .since_stable = clone3_stack_checks),
	ERR("stack-outside-user-memory", SC_C3, V(5, 4, 0), 0, EINVAL, 0, ARGSV,
	    stack_outside_user_memory, "stack .. stack + stack_size is not user memory",
	    .since_stable = clone3_stack_checks),

	/* kernel_clone(); in 5.3-5.8 legacy_clone_args_valid(), in 5.2 copy_process() */
	ERR("pidfd-with-parent-settid", SC_C, V(5, 2, 0), 0, EINVAL,
	    CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID, KCLONE, pidfd_with_parent_settid_legacy,
	    "CLONE_PIDFD cannot be combined with CLONE_PARENT_SETTID in clone: both use parent_tid"),
	ERR("pidfd-with-parent-settid", SC_C3, V(5, 9, 0), 0, EINVAL,
	    CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID, KCLONE, pidfd_with_parent_settid_same_ptr,
	    "CLONE_PIDFD and CLONE_PARENT_SETTID point pidfd and parent_tid at the same memory"),

	/* copy_process() */
	ERR("newns-with-fs", SC_CLONES, 0, 0, EINVAL, CK_CLONE_NEWNS | CK_CLONE_FS, FORK, both,
	    "CLONE_NEWNS cannot be combined with CLONE_FS: a shared root cannot live in two mount namespaces"),
	ERR("newuser-with-fs", SC_CLONES, V(3, 9, 0), 0, EINVAL, CK_CLONE_NEWUSER | CK_CLONE_FS,
	    FORK, both,
	    "CLONE_NEWUSER cannot be combined with CLONE_FS: a shared root and cwd would cross user namespaces",
	    .since_stable = newuser_fs_refused),
	ERR("thread-requires-sighand", SC_CLONES, 0, 0, EINVAL, CK_CLONE_THREAD, FORK,
	    thread_without_sighand, "CLONE_THREAD requires CLONE_SIGHAND"),
	ERR("sighand-requires-vm", SC_CLONES, 0, 0, EINVAL, CK_CLONE_SIGHAND, FORK,
	    sighand_without_vm, "CLONE_SIGHAND requires CLONE_VM"),
	ERR("parent-from-init", SC_CLONES, V(2, 6, 32), 0, EINVAL, CK_CLONE_PARENT, FORK,
	    parent_from_init,
	    "CLONE_PARENT from an init process (PID 1 of its namespace): its siblings would have no reaper"),
	ERR("ns-with-thread-or-parent", SC_CLONES, 0, V(3, 12, 0), EINVAL,
	    CK_CLONE_NEWUSER | CK_CLONE_NEWPID, "kernel/fork.c do_fork()",
	    old_ns_with_thread_or_parent,
	    "before Linux 3.12, CLONE_NEWUSER and CLONE_NEWPID cannot be combined with CLONE_THREAD or CLONE_PARENT"),
	/* 3.12-5.1 keyed on CLONE_SIGHAND; the exact release of the narrowing to THREAD is not documented */
	ERRD("shared-across-pidns", SC_CLONES, V(3, 12, 0), V(5, 2, 0), EINVAL, CK_CLONE_SIGHAND,
	     FORK, 0, shared_across_ns, NULL, describe_shared_across_ns),
	ERRD("shared-across-pidns", SC_CLONES, V(5, 2, 0), 0, EINVAL, CK_CLONE_THREAD, FORK, 0,
	     shared_across_ns, NULL, describe_shared_across_ns),
	ERR("vm-across-timens", SC_CLONES, V(5, 6, 0), V(6, 2, 0), EINVAL,
	    CK_CLONE_THREAD | CK_CLONE_VM, FORK, timens_shared_vm,
	    "CLONE_VM or CLONE_THREAD after unshare(CLONE_NEWTIME): until 6.2 a child sharing memory cannot change time namespace"),
	ERR("pidfd-with-detached", SC_CLONES, V(5, 2, 0), 0, EINVAL,
	    CK_CLONE_PIDFD | CK_CLONE_DETACHED, FORK, both,
	    "CLONE_PIDFD cannot be combined with CLONE_DETACHED (the bit is reserved for pidfd use)"),
	ERR("pidfd-with-thread", SC_CLONES, V(5, 2, 0), V(6, 9, 0), EINVAL,
	    CK_CLONE_PIDFD | CK_CLONE_THREAD, FORK, both,
	    "CLONE_PIDFD cannot be combined with CLONE_THREAD before Linux 6.9"),
	ERR("userns-sysctl-disabled", SC_CLONES, 0, 0, EPERM, CK_CLONE_NEWUSER,
	    "Debian/Ubuntu kernel patch, kernel.unprivileged_userns_clone", debian_userns_sysctl,
	    "CLONE_NEWUSER without CAP_SYS_ADMIN while kernel.unprivileged_userns_clone is 0"),
	ERR("userns-needs-caps", SC_CLONES, 0, V(3, 8, 0), EPERM, CK_CLONE_NEWUSER,
	    "kernel/fork.c do_fork()", old_userns_needs_caps,
	    "before Linux 3.8, CLONE_NEWUSER needs CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID"),

	/* copy_creds() -> create_user_ns() */
	ERR("userns-too-deep", SC_CLONES, V(3, 11, 0), V(4, 9, 0), EUSERS, CK_CLONE_NEWUSER,
	    USERNS, userns_too_deep, "CLONE_NEWUSER would nest user namespaces more than 32 deep"),
	ERR("userns-too-deep", SC_CLONES, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWUSER, USERNS,
	    userns_too_deep, "CLONE_NEWUSER would nest user namespaces more than 32 deep"),
	NS_LIMIT("userns-limit", CK_CLONE_NEWUSER, CK_NS_USER),
	ERR("userns-from-chroot", SC_CLONES, V(3, 9, 0), 0, EPERM, CK_CLONE_NEWUSER, USERNS,
	    userns_from_chroot,
	    "CLONE_NEWUSER from a chrooted process: the new namespace could escape the chroot",
	    .since_stable = userns_chroot_refused),
	ERR("userns-unmapped-ids", SC_CLONES, V(3, 8, 0), 0, EPERM, CK_CLONE_NEWUSER, USERNS,
	    userns_unmapped_ids,
	    "CLONE_NEWUSER: the caller's euid or egid has no mapping in its user namespace"),

	/* copy_namespaces() */
	ERRD("namespace-needs-cap-sys-admin", SC_CLONES, 0, 0, EPERM, NS_NEEDS_ADMIN, NSPROXY, 0,
	     ns_without_admin, NULL, describe_ns_without_admin),
	ERR("newipc-with-sysvsem", SC_CLONES, 0, 0, EINVAL, CK_CLONE_NEWIPC | CK_CLONE_SYSVSEM,
	    NSPROXY, both,
	    "CLONE_NEWIPC cannot be combined with CLONE_SYSVSEM: the undo list would point into the old IPC namespace"),
	NS_LIMIT("mntns-limit", CK_CLONE_NEWNS, CK_NS_MNT),
	NS_LIMIT("utsns-limit", CK_CLONE_NEWUTS, CK_NS_UTS),
	NS_LIMIT("ipcns-limit", CK_CLONE_NEWIPC, CK_NS_IPC),
	ERR("newpid-after-unshare-newpid", SC_CLONES, 0, 0, EINVAL, CK_CLONE_NEWPID,
	    "kernel/pid_namespace.c copy_pid_ns()", newpid_after_unshare,
	    "CLONE_NEWPID after unshare(CLONE_NEWPID): the caller's children already go to a new PID namespace"),
	ERR("pidns-too-deep", SC_CLONES, V(3, 7, 0), 0, ENOSPC, CK_CLONE_NEWPID, PIDNS,
	    pidns_too_deep, "CLONE_NEWPID would nest PID namespaces more than 32 deep"),
	NS_LIMIT("pidns-limit", CK_CLONE_NEWPID, CK_NS_PID),
	NS_LIMIT("cgroupns-limit", CK_CLONE_NEWCGROUP, CK_NS_CGROUP),
	NS_LIMIT("netns-limit", CK_CLONE_NEWNET, CK_NS_NET),
	NS_LIMIT("timens-limit", CK_CLONE_NEWTIME, CK_NS_TIME),

	/* copy_thread() */
	ERR("settls-not-user-address", SC_CLONES, 0, 0, EPERM, CK_CLONE_SETTLS,
	    "arch/x86/kernel/process_64.c do_arch_prctl_64()", settls_not_user_address,
	    "CLONE_SETTLS: tls is not a user-space address (x86-64 refuses an fs base at or above TASK_SIZE_MAX)"),

	/* alloc_pid(): every level is validated before any PID is allocated */
	ERRD("set-tid-beyond-levels", SC_C3, V(5, 5, 0), 0, EINVAL, 0, PID, 0,
	     set_tid_beyond_levels, NULL, describe_set_tid_levels),
	ERRD("set-tid-out-of-range", SC_C3, V(5, 5, 0), 0, EINVAL, 0, PID, TID_RANGE, set_tid_rule,
	     "is outside 1 .. pid_max - 1", describe_set_tid),
	ERRD("set-tid-needs-init", SC_C3, V(5, 5, 0), 0, EINVAL, CK_CLONE_NEWPID, PID,
	     TID_NO_REAPER, set_tid_rule,
	     "in a new PID namespace: it has no PID 1 yet, so its first PID must be 1",
	     describe_set_tid),
	ERRD("set-tid-needs-capability", SC_C3, V(5, 5, 0), 0, EPERM, 0, PID, TID_PERM, set_tid_rule,
	     "needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (5.9+) over that PID namespace",
	     describe_set_tid),
	ERRD("set-tid-in-use", SC_C3, V(5, 5, 0), 0, EEXIST, 0, PID, TID_IN_USE, set_tid_rule,
	     "is already in use", describe_set_tid),

	/* the pidfd is installed after alloc_pid() */
	ERR("pidfd-pointer-null", SC_CLONES, V(5, 2, 0), 0, EFAULT, CK_CLONE_PIDFD, FORK, pidfd_null,
	    "CLONE_PIDFD with a NULL pidfd pointer (parent_tid for clone): the kernel cannot store the pidfd"),

	/*
	 * cgroup_can_fork() -> cgroup_css_set_fork(), on the described or probed
	 * target: fget_raw() (EBADF), cgroup_get_from_file() (EBADF for what is
	 * not a cgroup v2 directory, ENOENT once the cgroup is removed),
	 * cgroup_may_write() on the target, then cgroup_attach_permissions():
	 * cgroup_procs_write_permission() (the common ancestor's cgroup.procs,
	 * then nsdelegate's namespace boundary), cgroup_migrate_vet_dst(), and
	 * the thread's domain. The same order on every kernel since 5.7 (the
	 * namespace argument of 5.16 and its stable backports changes nothing
	 * for clone3, which always used the caller's). ENODEV from
	 * cgroup_is_dead() needs an rmdir racing the call: not predicted.
	 */
	ERRD("cgroup-fd-bad", SC_C3, V(5, 7, 0), 0, EBADF, CK_CLONE_INTO_CGROUP, CGROUP,
	     CK_CGROUP_FD_CLOSED, cgroup_fd_state_is,
	     "CLONE_INTO_CGROUP: the cgroup field is not an open file descriptor", NULL),
	ERRD("cgroup-fd-not-cgroup2", SC_C3, V(5, 7, 0), 0, EBADF, CK_CLONE_INTO_CGROUP, CGROUP,
	     CK_CGROUP_FD_NOT_CGROUP2, cgroup_fd_state_is,
	     "CLONE_INTO_CGROUP: the cgroup fd is not a cgroup v2 directory", NULL),
	ERRD("cgroup-removed", SC_C3, V(5, 7, 0), 0, ENOENT, CK_CLONE_INTO_CGROUP,
	     "kernel/cgroup/cgroup.c css_tryget_online_from_dir()", CK_CGROUP_FD_REMOVED,
	     cgroup_fd_state_is, "CLONE_INTO_CGROUP: the target cgroup has been removed", NULL),
	ERR("cgroup-not-writable", SC_C3, V(5, 7, 0), 0, EACCES, CK_CLONE_INTO_CGROUP,
	    "kernel/cgroup/cgroup.c cgroup_may_write()", cgroup_not_writable,
	    "CLONE_INTO_CGROUP: the caller may not write the target's cgroup.procs"),
	ERR("cgroup-ancestor-not-writable", SC_C3, V(5, 7, 0), 0, EACCES, CK_CLONE_INTO_CGROUP,
	    "kernel/cgroup/cgroup.c cgroup_procs_write_permission()", cgroup_ancestor_not_writable,
	    "CLONE_INTO_CGROUP: the caller may not write cgroup.procs of the common ancestor of its own cgroup and the target"),
	ERR("cgroup-outside-namespace", SC_C3, V(5, 7, 0), 0, ENOENT, CK_CLONE_INTO_CGROUP,
	    "kernel/cgroup/cgroup.c cgroup_procs_write_permission()", cgroup_outside_namespace,
	    "CLONE_INTO_CGROUP: with nsdelegate, the caller's cgroup or the target lies outside the caller's cgroup namespace"),
	ERR("cgroup-domain-invalid", SC_C3, V(5, 7, 0), 0, EOPNOTSUPP, CK_CLONE_INTO_CGROUP,
	    "kernel/cgroup/cgroup.c cgroup_migrate_vet_dst()", cgroup_domain_invalid,
	    "CLONE_INTO_CGROUP: the target cgroup is in the 'domain invalid' state"),
	ERRD("cgroup-internal-process", SC_C3, V(5, 7, 0), 0, EBUSY, CK_CLONE_INTO_CGROUP,
	     "kernel/cgroup/cgroup.c cgroup_migrate_vet_dst()", 0, cgroup_internal_process,
	     "CLONE_INTO_CGROUP: the target enables domain controllers for its children (no internal processes)",
	     describe_cgroup_internal_process),
	ERR("cgroup-thread-elsewhere", SC_C3, V(5, 7, 0), 0, EOPNOTSUPP,
	    CK_CLONE_INTO_CGROUP | CK_CLONE_THREAD,
	    "kernel/cgroup/cgroup.c cgroup_attach_permissions()", cgroup_thread_elsewhere,
	    "CLONE_INTO_CGROUP with CLONE_THREAD: a thread cannot start in another cgroup domain than its process"),

	/* unshare(): ksys_unshare() -> check_unshare_flags() ... */
	ERR("unshare-missing", SC_U, 0, V(2, 6, 16), ENOSYS, 0, "arch/*/syscalls", always,
	    "unshare does not exist before Linux 2.6.16"),
	ERRD("unshare-unknown-flags", SC_U, 0, 0, EINVAL, 0, "kernel/fork.c check_unshare_flags()",
	     0, unshare_unknown_flags, NULL, describe_unshare_unknown),
	ERR("unshare-multithreaded", SC_U, 0, 0, EINVAL,
	    CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM,
	    "kernel/fork.c check_unshare_flags()", unshare_multithreaded,
	    "unshare of CLONE_THREAD, CLONE_SIGHAND or CLONE_VM (CLONE_NEWUSER implies CLONE_THREAD) in a multithreaded process"),
	ERR("unshare-sighand-shared", SC_U, 0, 0, EINVAL, CK_CLONE_SIGHAND | CK_CLONE_VM,
	    "kernel/fork.c check_unshare_flags()", unshare_sighand_shared,
	    "unshare of CLONE_SIGHAND or CLONE_VM while signal handlers are shared with another process"),
	ERR("userns-sysctl-disabled", SC_U, 0, 0, EPERM, CK_CLONE_NEWUSER,
	    "Debian/Ubuntu kernel patch, kernel.unprivileged_userns_clone", debian_userns_sysctl,
	    "CLONE_NEWUSER without CAP_SYS_ADMIN while kernel.unprivileged_userns_clone is 0"),
	ERR("userns-too-deep", SC_U, V(3, 11, 0), V(4, 9, 0), EUSERS, CK_CLONE_NEWUSER, USERNS,
	    userns_too_deep, "CLONE_NEWUSER would nest user namespaces more than 32 deep"),
	ERR("userns-too-deep", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWUSER, USERNS,
	    userns_too_deep, "CLONE_NEWUSER would nest user namespaces more than 32 deep"),
	ERRD("userns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWUSER, USERNS, CK_NS_USER,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERR("userns-from-chroot", SC_U, V(3, 9, 0), 0, EPERM, CK_CLONE_NEWUSER, USERNS,
	    userns_from_chroot,
	    "CLONE_NEWUSER from a chrooted process: the new namespace could escape the chroot",
	    .since_stable = userns_chroot_refused),
	ERR("userns-unmapped-ids", SC_U, V(3, 8, 0), 0, EPERM, CK_CLONE_NEWUSER, USERNS,
	    userns_unmapped_ids,
	    "CLONE_NEWUSER: the caller's euid or egid has no mapping in its user namespace"),
	ERRD("namespace-needs-cap-sys-admin", SC_U, 0, 0, EPERM, NS_NEEDS_ADMIN,
	     "kernel/nsproxy.c unshare_nsproxy_namespaces()", 0, ns_without_admin, NULL,
	     describe_ns_without_admin),
	/* create_new_namespaces() via unshare: the same order as for clone */
	ERRD("mntns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWNS, NSPROXY, CK_NS_MNT,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERRD("utsns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWUTS, NSPROXY, CK_NS_UTS,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERRD("ipcns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWIPC, NSPROXY, CK_NS_IPC,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERR("newpid-after-unshare-newpid", SC_U, 0, 0, EINVAL, CK_CLONE_NEWPID,
	    "kernel/pid_namespace.c copy_pid_ns()", newpid_after_unshare,
	    "CLONE_NEWPID after unshare(CLONE_NEWPID): the caller's children already go to a new PID namespace"),
	ERR("pidns-too-deep", SC_U, V(3, 7, 0), 0, ENOSPC, CK_CLONE_NEWPID, PIDNS, pidns_too_deep,
	    "CLONE_NEWPID would nest PID namespaces more than 32 deep"),
	ERRD("pidns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWPID, NSPROXY, CK_NS_PID,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERRD("cgroupns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWCGROUP, NSPROXY,
	     CK_NS_CGROUP, ns_limit_zero, NULL, describe_ns_limit),
	ERRD("netns-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWNET, NSPROXY, CK_NS_NET,
	     ns_limit_zero, NULL, describe_ns_limit),
	ERRD("timens-limit", SC_U, V(4, 9, 0), 0, ENOSPC, CK_CLONE_NEWTIME, NSPROXY, CK_NS_TIME,
	     ns_limit_zero, NULL, describe_ns_limit),

	/* accepted, but probably not what was meant */
	WARN("clone-high-bits-ignored", SC_C, 0, 0, 0, "kernel/fork.c sys_clone (lower_32_bits)",
	     clone_high_bits, NULL, describe_clone_high_bits),
	WARN("clone-unknown-bits-ignored", SC_C, 0, 0, 0, "kernel/fork.c sys_clone",
	     clone_unknown_bits, NULL, describe_clone_unknown),
	WARN("exit-signal-not-a-signal", SC_C, 0, 0, 0, "kernel/signal.c do_notify_parent()",
	     exit_signal_out_of_range, NULL, describe_exit_signal_range),
	WARN("thread-exit-signal-ignored", SC_C, 0, 0, CK_CLONE_THREAD, FORK,
	     thread_exit_signal_ignored,
	     "a thread never sends an exit signal: the signal in the low byte is ignored", NULL),
	WARN("parent-exit-signal-replaced", SC_C, 0, 0, CK_CLONE_PARENT, FORK,
	     parent_exit_signal_replaced,
	     "with CLONE_PARENT the child takes the caller's own exit signal, not the one given", NULL),
	WARN("vm-without-stack", SC_CLONES, 0, 0, CK_CLONE_VM, FORK, vm_without_stack,
	     "CLONE_VM without CLONE_VFORK or a stack: the child runs on the caller's stack, which both will corrupt",
	     NULL),
	WARN("ptrace-beats-untraced", SC_CLONES, 0, 0, CK_CLONE_PTRACE | CK_CLONE_UNTRACED,
	     "include/linux/ptrace.h ptrace_init_task()", flag_set,
	     "CLONE_PTRACE wins over CLONE_UNTRACED: a traced caller's tracer is still attached to the child",
	     NULL),
	WARN("child-tid-null", SC_CLONES, 0, 0, CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID, FORK,
	     child_tid_null, "CLONE_CHILD_SETTID/CLEARTID with a NULL child_tid: nothing is written", NULL),
	WARN("parent-tid-null", SC_CLONES, 0, 0, CK_CLONE_PARENT_SETTID, KCLONE, parent_tid_null,
	     "CLONE_PARENT_SETTID with a NULL parent_tid: nothing is written, and no error says so", NULL),
	WARN("newpid-sighand-ignores-sigchld", SC_CLONES, V(5, 2, 0), 0,
	     CK_CLONE_NEWPID | CK_CLONE_SIGHAND, "kernel/pid_namespace.c zap_pid_ns_processes()",
	     flag_set,
	     "CLONE_SIGHAND with CLONE_NEWPID: when the child (PID 1) exits, the kernel sets SIGCHLD to SIG_IGN in the shared handler table, so the caller's children are reaped automatically and waitpid() fails with ECHILD",
	     NULL),
	NOTE("exit-signal-reset-by-execve", SC_CLONES, 0, 0, 0, "fs/exec.c de_thread()",
	     exit_signal_not_sigchld,
	     "the exit signal lasts only until the child calls execve, which resets it to SIGCHLD", NULL),
	NOTE("detached-ignored", SC_C, 0, 0, CK_CLONE_DETACHED, FORK, detached_ignored,
	     "CLONE_DETACHED has no effect (ignored since Linux 2.6.2)", NULL),
	NOTE("no-exit-signal", SC_CLONES, 0, 0, 0, FORK, no_exit_signal,
	     "no exit signal: the parent is not signalled, and must wait with __WALL or __WCLONE", NULL),
	NOTE("ptrace-needs-tracer", SC_CLONES, 0, 0, CK_CLONE_PTRACE, FORK, flag_set,
	     "CLONE_PTRACE only matters when the caller is itself being traced", NULL),
	NOTE("newpid-child-is-init", SC_CLONES, 0, 0, CK_CLONE_NEWPID, PIDNS, flag_set,
	     "the child is PID 1 of the new namespace: when it exits, every process in it is killed", NULL),
	NOTE("newtime-vm-keeps-timens", SC_C3, V(6, 2, 0), 0, CK_CLONE_NEWTIME | CK_CLONE_VM,
	     NSPROXY, newtime_vm,
	     "a CLONE_VM child stays in the caller's time namespace until it calls execve", NULL),
	NOTE("into-cgroup-not-probed", SC_C3, V(5, 7, 0), 0, CK_CLONE_INTO_CGROUP, CGROUP,
	     cgroup_not_probed,
	     "the cgroup target was neither described nor probed (not a live context): EBADF, ENOENT, EACCES, EBUSY and EOPNOTSUPP are not predicted",
	     NULL),
	NOTE("into-cgroup-partly-probed", SC_C3, V(5, 7, 0), 0, CK_CLONE_INTO_CGROUP, CGROUP,
	     cgroup_relation_unknown,
	     "how the target relates to the caller's cgroup could not be read (its cgroup is not below the target's mount as /proc/thread-self/cgroup names it): EACCES, ENOENT or EOPNOTSUPP from those checks is not predicted",
	     NULL),
	NOTE("unshare-implied", SC_U, 0, 0, 0, UNSHARE, unshare_implied, NULL,
	     describe_unshare_implied),
	NOTE("unshare-newpid-children", SC_U, 0, 0, CK_CLONE_NEWPID, UNSHARE, flag_set,
	     "the caller stays in its PID namespace; its next child becomes PID 1 of the new one", NULL),
	NOTE("unshare-newtime-children", SC_U, 0, 0, CK_CLONE_NEWTIME, UNSHARE, flag_set,
	     "the caller keeps its clocks; its children (and itself after execve) use the new time namespace",
	     NULL),
};

/* The flags unshare() adds to the ones given, by kernel version. */
static uint64_t unshare_implications(uint64_t f, uint32_t kv)
{
	if ((f & CK_CLONE_NEWUSER) && kv >= V(3, 8, 0))
		f |= CK_CLONE_THREAD;
	if ((f & CK_CLONE_NEWUSER) && kv >= V(3, 9, 0))
		f |= CK_CLONE_FS;
	if ((f & CK_CLONE_NEWPID) && kv >= V(3, 8, 0) && kv < V(3, 12, 0))
		f |= CK_CLONE_THREAD;
	if (f & CK_CLONE_VM)
		f |= CK_CLONE_SIGHAND;
	if (f & CK_CLONE_SIGHAND)
		f |= CK_CLONE_THREAD;
	if (f & CK_CLONE_NEWNS)
		f |= CK_CLONE_FS;
	return f;
}

static void eval_init(struct eval *e, const struct ck_clone_request *req,
		      const struct ck_context *ctx)
{
	memset(e, 0, sizeof(*e));
	e->req = req;
	e->ctx = ctx;
	e->sc = req->syscall;
	e->kv = ctx->kernel;
	e->raw = req->flags;
	e->admin = (ctx->cap_effective & CAP_BIT(CK_CAP_SYS_ADMIN)) != 0;
	e->pidfd_ptr = req->pidfd;
	e->parent_tid_ptr = req->parent_tid;

	switch (e->sc) {
	case CK_SYSCALL_CLONE:
		e->flags = req->flags & CK_CLONE_LEGACY_FLAGS & ~CK_CSIGNAL;
		e->exit_signal = req->flags & CK_CSIGNAL;
		e->pidfd_ptr = req->parent_tid; /* clone() returns the pidfd through parent_tid */
		break;
	case CK_SYSCALL_CLONE3:
		e->flags = req->flags;
		e->exit_signal = req->exit_signal;
		e->args_size = req->args_size ? req->args_size : CK_CLONE_ARGS_SIZE_VER2;
		/* fields past the size passed are zero to the kernel (each is 8 bytes) */
		if (e->args_size >= CK_CLONE_ARGS_SIZE_VER0 + 8)
			e->set_tid = req->set_tid;
		if (e->args_size >= CK_CLONE_ARGS_SIZE_VER1)
			e->set_tid_size = req->set_tid_size;
		if (e->args_size >= CK_CLONE_ARGS_SIZE_VER2)
			e->cgroup = req->cgroup;
		break;
	case CK_SYSCALL_UNSHARE:
		e->flags = unshare_implications(req->flags, e->kv);
		e->implied = e->flags & ~req->flags;
		break;
	default:
		break;
	}
}

/*
 * The CLONE_INTO_CGROUP target of a clone3 call whose cgroup field the
 * kernel reads: as the caller describes it, else probed on a live context.
 * -EINVAL for a description of a size this library cannot read.
 */
static int cgroup_target_init(struct eval *e, const struct ck_cgroup_target *given)
{
	if (e->sc != CK_SYSCALL_CLONE3 || !has(e, CK_CLONE_INTO_CGROUP) ||
	    e->cgroup > INT32_MAX || e->args_size < CK_CLONE_ARGS_SIZE_VER2)
		return 0;
	if (given) {
		if (ck__opts_copy_in(&e->cg, sizeof(e->cg), given, given->size, sizeof(*given)) < 0)
			return -EINVAL;
		e->cg_known = true;
	} else if (e->ctx->live) {
		e->cg_known = ck_cgroup_target_probe((int)e->cgroup, &e->cg) == 0;
	}
	return 0;
}

static bool rule_applies(const struct rule *r, const struct eval *e)
{
	if (!(r->syscalls & CK_SYSCALL_BIT(e->sc)))
		return false;
	if (r->since && !kernel_has(e->kv, r->since, r->since_stable))
		return false;
	if (r->until && kernel_has(e->kv, r->until, r->until_stable))
		return false;
	return r->broken(e, r);
}

static void add_finding(struct ck_verdict *v, const struct rule *r, const struct eval *e)
{
	if (v->count >= CK_ARRAY_SIZE(v->findings))
		return;
	struct ck_finding *f = &v->findings[v->count++];
	f->severity = r->severity;
	f->err = r->err;
	f->rule = r->id;
	f->source = r->source;
	f->flags = (r->about & e->flags) ? (r->about & e->flags) : r->about;
	if (r->describe)
		r->describe(e, r, f->message, sizeof(f->message));
	else
		snprintf(f->message, sizeof(f->message), "%s", r->message);
}

void ck_clone_request_init(struct ck_clone_request *req, enum ck_syscall sc, uint64_t flags)
{
	/* never dereferenced: only compared, as the kernel compares them */
	static int32_t placeholder[3];

	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->syscall = sc;
	req->flags = flags;
	req->pidfd = (uint64_t)(uintptr_t)&placeholder[0];
	req->parent_tid = sc == CK_SYSCALL_CLONE ? req->pidfd : (uint64_t)(uintptr_t)&placeholder[1];
	req->child_tid = (uint64_t)(uintptr_t)&placeholder[2];
	req->args_size = CK_CLONE_ARGS_SIZE_VER2;
}

struct ck_verdict *ck_validate(const struct ck_clone_request *req, const struct ck_context *ctx)
{
	struct ck_context c;
	struct ck_clone_request q;
	struct eval e;

	/* older callers' structs: missing fields are zero; newer ones: unknown fields must be */
	if (!req || (unsigned)req->syscall >= CK_SYSCALL__COUNT ||
	    ck__opts_copy_in(&q, sizeof(q), req, req->size, offsetof(struct ck_clone_request, set_tid)) < 0 ||
	    (ctx && ck__opts_copy_in(&c, sizeof(c), ctx, ctx->size, offsetof(struct ck_context, live)) < 0)) {
		errno = EINVAL;
		return NULL;
	}
	if (!ctx) {
		c.size = sizeof(c);
		int r = ck_context_current(&c);
		if (r < 0) {
			errno = -r;
			return NULL;
		}
	}
	ctx = &c;

	struct ck_verdict *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	eval_init(&e, &q, ctx);
	if (cgroup_target_init(&e, q.cgroup_target) < 0) {
		free(v);
		errno = EINVAL;
		return NULL;
	}
	/* errors, in the kernel's order, then warnings, then notes */
	for (int sev = CK_SEVERITY_ERROR; sev <= CK_SEVERITY_NOTE; sev++)
		for (size_t i = 0; i < CK_ARRAY_SIZE(rules); i++)
			if ((int)rules[i].severity == sev && rule_applies(&rules[i], &e))
				add_finding(v, &rules[i], &e);
	return v;
}

int ck_verdict_errno(const struct ck_verdict *v)
{
	if (v && v->count && v->findings[0].severity == CK_SEVERITY_ERROR)
		return v->findings[0].err;
	return 0;
}

size_t ck_verdict_count(const struct ck_verdict *v)
{
	return v ? v->count : 0;
}

const struct ck_finding *ck_verdict_at(const struct ck_verdict *v, size_t i)
{
	return v && i < v->count ? &v->findings[i] : NULL;
}

void ck_verdict_free(struct ck_verdict *v)
{
	free(v);
}

const char *ck_errno_name(int err)
{
	if (err <= 0)
		return NULL;
	return strerrorname_np(err);
}

int ck__errno_parse(const char *name)
{
	for (int e = 1; name && e <= CK_ERRNO_MAX; e++) {
		const char *n = ck_errno_name(e);
		if (n && strcasecmp(n, name) == 0)
			return e;
	}
	return 0;
}

const char *ck_severity_name(enum ck_severity s)
{
	switch (s) {
	case CK_SEVERITY_ERROR: return "error";
	case CK_SEVERITY_WARNING: return "warning";
	case CK_SEVERITY_NOTE: return "note";
	}
	return "?";
}
