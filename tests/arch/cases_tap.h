/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output of a clone-case runner (tests/arch/run_cases.c) held against
 * this build's own copy of the case table: every case marked for the runner's
 * build ran, in table order, and passed. Shared by tests/arch (i386 natively,
 * aarch64 under qemu-user) and tests/vm (aarch64 in an arm64 guest).
 */
#ifndef CK_TEST_CASES_TAP_H
#define CK_TEST_CASES_TAP_H

#include <stdbool.h>

struct cases_run {
	const char *label;    /* "i386", "aarch64 under qemu-user", ... */
	unsigned where;       /* the CASE_* the runner was built with */
	/*
	 * The kernel has clone3: every clone3 ck_clone3 makes outside a seccomp
	 * filter must be answered by it, never fall back to clone with ENOSYS,
	 * and at least one must be made.
	 */
	bool kernel_has_clone3;
};

/*
 * Checks the runner's TAP in out (changed in place; lines that are not TAP
 * are ignored) and its wait status, with Criterion assertions, and prints a
 * summary line beginning "arch LABEL: " on stdout.
 */
void cases_tap_check(const struct cases_run *a, char *out, int status);

#endif
