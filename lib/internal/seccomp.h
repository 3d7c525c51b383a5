/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policies the library builds for its own use. */
#ifndef CK_INTERNAL_SECCOMP_H
#define CK_INTERNAL_SECCOMP_H

#include <clonekit/seccomp.h>

/*
 * SECCOMP_RET_TRACE for clone, clone3, fork, vfork, unshare and setns on
 * every ABI the host runs, ALLOW for the rest: the tracer's filter. NULL
 * with errno ENOMEM.
 */
struct ck_seccomp_policy *ck__seccomp_policy_trace(void) __attribute__((visibility("hidden")));

#endif
