/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policies the library builds for its own use. */
#ifndef CK_INTERNAL_SECCOMP_H
#define CK_INTERNAL_SECCOMP_H

#include <clonekit/seccomp.h>

#include <stdbool.h>
#include <stdint.h>

/*
 * SECCOMP_RET_TRACE for clone, clone3, fork, vfork, unshare and setns on
 * every ABI the host runs, ALLOW for the rest: the tracer's filter. NULL
 * with errno ENOMEM.
 */
struct ck_seccomp_policy *ck__seccomp_policy_trace(void) __attribute__((visibility("hidden")));

/* ---- building a policy from outside (lib/seccomp_oci.c; sbx-res) ---- */

#define CK__SECCOMP_MAX_CMP 6

/* One comparison on a syscall argument, as libseccomp's struct scmp_arg_cmp. */
struct ck__seccomp_cmp {
	unsigned arg;
	int op;                  /* enum scmp_compare */
	uint64_t value, value_two;
};

#define CK__SECCOMP_HIDDEN __attribute__((visibility("hidden")))
/* An empty policy whose unmatched calls get def (with def_err for ERRNO and TRACE). */
struct ck_seccomp_policy *ck__seccomp_policy_new(const char *name, enum ck_seccomp_action def,
						 int def_err) CK__SECCOMP_HIDDEN;
/* A rule: syscall, when every cmp holds, gets action. optional: an unknown name is left out. */
int ck__seccomp_policy_add(struct ck_seccomp_policy *p, const char *syscall,
			   const struct ck__seccomp_cmp *cmp, unsigned ncmp,
			   enum ck_seccomp_action action, int err, bool optional) CK__SECCOMP_HIDDEN;
/* An ABI the filter is for (none added: the host's). */
int ck__seccomp_policy_add_arch(struct ck_seccomp_policy *p, enum ck_arch arch) CK__SECCOMP_HIDDEN;
/* The policy's summary buffer and its size, to write into. */
char *ck__seccomp_policy_summary(struct ck_seccomp_policy *p, size_t *len) CK__SECCOMP_HIDDEN;
/* OCI spellings: SCMP_CMP_*, SCMP_ACT_*, SCMP_ARCH_*. */
const char *ck__seccomp_op_name(int op) CK__SECCOMP_HIDDEN;
int ck__seccomp_op_parse(const char *name) CK__SECCOMP_HIDDEN;
int ck__seccomp_action_parse_oci(const char *name, enum ck_seccomp_action *out) CK__SECCOMP_HIDDEN;
int ck__seccomp_arch_parse_oci(const char *name, enum ck_arch *out) CK__SECCOMP_HIDDEN;

#endif
