/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one policy representation and its builder (lib/seccomp.c compiles it):
 * the named policies, ck_seccomp_policy_deny, the tracer's filter, the KACS
 * supervisor's filter (lib/kacs/filter.c) and imported OCI profiles
 * (lib/seccomp_oci.c) are all rules added here.
 */
#ifndef CK_INTERNAL_SECCOMP_H
#define CK_INTERNAL_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/abi.h>
#include <clonekit/seccomp.h>

#ifndef CK_HIDDEN
#define CK_HIDDEN __attribute__((visibility("hidden")))
#endif

/*
 * SECCOMP_RET_TRACE for clone, clone3, fork, vfork, unshare and setns on
 * every ABI the host runs, ALLOW for the rest: the tracer's filter. NULL
 * with errno ENOMEM.
 */
struct ck_seccomp_policy *ck__seccomp_policy_trace(void) CK_HIDDEN;

/* ---- building a policy rule by rule ---- */

/* How a condition compares an argument (unsigned, all 64 bits on 64-bit ABIs, the low 32 on others). */
enum ck__seccomp_op {
	CK__SECCOMP_EQ,        /* arg == value */
	CK__SECCOMP_NE,        /* arg != value */
	CK__SECCOMP_LT,        /* arg < value */
	CK__SECCOMP_GT,        /* arg > value */
	CK__SECCOMP_MASKED_EQ, /* (arg & mask) == value */
	CK__SECCOMP_LE,        /* arg <= value */
	CK__SECCOMP_GE,        /* arg >= value */
	CK__SECCOMP_OP__COUNT,
};

struct ck__seccomp_cmp {
	unsigned arg; /* 0-5 */
	enum ck__seccomp_op op;
	uint64_t value;
	uint64_t mask; /* MASKED_EQ only */
};

/* One comparison per argument (libseccomp's rule): six at most. */
#define CK__SECCOMP_MAX_CMP 6

/*
 * A rule: when the syscall's conditions all hold (none: always), the action.
 * Rules of one syscall are alternatives; where two match, libseccomp keeps
 * the one without conditions, so give each rule of a syscall its own case.
 * A rule whose action is the policy's default is left out (it changes nothing).
 */
struct ck__seccomp_rule {
	const char *syscall;  /* a name libseccomp knows: every ABI that has it (copied); NULL: nr */
	int nr;               /* with syscall NULL: a number of the native ABI (native_only required) */
	bool native_only;     /* only the host's native ABI gets this rule (others keep the default) */
	enum ck_seccomp_action action;
	int err;              /* CK_SECCOMP_ERRNO's errno (1-4095), CK_SECCOMP_TRACE's message */
	unsigned ncmp;        /* at most CK__SECCOMP_MAX_CMP, each on its own argument */
	struct ck__seccomp_cmp cmp[CK__SECCOMP_MAX_CMP];
	/*
	 * 1-255: the syscall is tested before those of lower priority (the
	 * highest first), for a hot call whose arguments the filter reads; a
	 * policy with any then dispatches by priority instead of a binary tree.
	 * 0: none. A syscall's rules share the highest of theirs.
	 */
	uint8_t priority;
	bool optional;        /* a name this libseccomp does not know is left out (OCI profiles) */
};

/*
 * An empty policy (every call allowed) named name (a string that outlives
 * it), its summary copied. NULL with errno ENOMEM.
 */
struct ck_seccomp_policy *ck__seccomp_policy_new(const char *name, const char *summary) CK_HIDDEN;
/* The action of calls no rule matches (CK_SECCOMP_ALLOW when never set): 0 or -EINVAL. */
int ck__seccomp_policy_set_default(struct ck_seccomp_policy *p, enum ck_seccomp_action action,
				   int err) CK_HIDDEN;
/*
 * Appends a rule: 0, -EINVAL (a number without native_only, two conditions
 * on one argument, a bad op, action, errno or name), -ENOSPC (more rules
 * than a BPF program has instructions) or -ENOMEM; after these two the
 * policy refuses to compile (-E2BIG, -ENOMEM) rather than lose the rule.
 * A policy with native-only rules has no OCI form (-EOPNOTSUPP).
 */
int ck__seccomp_policy_add(struct ck_seccomp_policy *p, const struct ck__seccomp_rule *r) CK_HIDDEN;
struct sock_filter;
struct seccomp_data;
/*
 * How many instructions a classic BPF program executes for one call (the
 * work the kernel does per call when its action cache cannot answer), and
 * in *cacheable whether it can: the cache (Linux 5.11) holds a syscall a
 * filter allows reading nothing but nr and arch. Knows the instructions
 * libseccomp emits; anything else is -1.
 */
long ck__seccomp_bpf_path(const struct sock_filter *f, size_t len, const struct seccomp_data *sd,
			  bool *cacheable) CK_HIDDEN;
/* An ABI the filter is for, in order (none added: the host's): 0, -E2BIG, -EINVAL. */
int ck__seccomp_policy_add_arch(struct ck_seccomp_policy *p, enum ck_arch arch) CK_HIDDEN;
/* Replaces the policy's summary sentence. */
void ck__seccomp_policy_set_summary(struct ck_seccomp_policy *p, const char *fmt, ...) CK_HIDDEN
	__attribute__((format(printf, 2, 3)));
/* The argument that holds clone's flags on the native ABI (1 on s390's CLONE_BACKWARDS2, else 0). */
unsigned ck__seccomp_clone_flags_arg(void) CK_HIDDEN;

/* OCI spellings: SCMP_CMP_*, SCMP_ACT_*, SCMP_ARCH_*; parse: 0 or -EINVAL. */
int ck__seccomp_op_parse_oci(const char *name, enum ck__seccomp_op *out) CK_HIDDEN;
int ck__seccomp_action_parse_oci(const char *name, enum ck_seccomp_action *out) CK_HIDDEN;
int ck__seccomp_arch_parse_oci(const char *name, enum ck_arch *out) CK_HIDDEN;

#endif
