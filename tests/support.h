/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tests: loud skips that CI turns into failures. */
#ifndef CK_TEST_SUPPORT_H
#define CK_TEST_SUPPORT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A test that needs something this machine lacks skips with the reason; with
 * CLONEKIT_NO_SKIP=1 (set by CI) the skip is a failure instead.
 */
#define ck_skip_or_fail(...)                                  \
	do {                                                  \
		if (getenv("CLONEKIT_NO_SKIP"))               \
			cr_assert_fail(__VA_ARGS__);          \
		else                                          \
			cr_skip_test(__VA_ARGS__);            \
		return;                                       \
	} while (0)

/* The same, said on stdout as well, so the test log shows what did not run and why. */
#define ck_skip_or_fail_printed(...)                          \
	do {                                                  \
		printf(__VA_ARGS__);                          \
		printf("\n");                                 \
		fflush(stdout);                               \
		ck_skip_or_fail(__VA_ARGS__);                 \
	} while (0)

#endif
