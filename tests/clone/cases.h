/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-flag proofs of ck_clone and ck_clone3, as plain C with no test
 * framework, so that the same cases run under Criterion on x86_64 and as
 * i386 and aarch64 binaries (tests/arch).
 */
#ifndef CK_TEST_CLONE_CASES_H
#define CK_TEST_CLONE_CASES_H

#include <stddef.h>

enum case_result { CASE_PASS = 0, CASE_FAIL = 1, CASE_SKIP = 77 };

/* Where a case can run. */
#define CASE_NATIVE 1u        /* the host's own build (x86_64 here) */
#define CASE_I386 2u          /* a -m32 build, run natively */
#define CASE_AARCH64_QEMU 4u  /* a static aarch64 build under qemu-aarch64 */
#define CASE_AARCH64_VM 8u    /* a static aarch64 build in an arm64 guest (tests/vm) */

struct clone_case {
	const char *name;                    /* what it proves: clone_vm_write_in_child_is_seen_by_parent */
	int (*run)(char *why, size_t len);   /* a case_result; why says what failed or is missing */
	unsigned where;
};

extern const struct clone_case clone_cases[];
extern const size_t clone_case_count;

#endif
