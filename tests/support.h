/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the tests: loud skips that CI turns into failures, and patient waits. */
#ifndef CK_TEST_SUPPORT_H
#define CK_TEST_SUPPORT_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

/* How long a test waits for what must happen: long enough that only a hang reaches it. */
#define CK_PATIENCE_MS 60000

static inline long ck_test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Evaluates cond every 10 ms until it holds or ms milliseconds have passed;
 * its last value. For what has no event to wait on (a cgroup that empties
 * after its last task is reaped, a file another process fills), never as a
 * guess at how long something takes.
 */
#define ck_wait_until(cond, ms)                                              \
	({                                                                   \
		long deadline_ = ck_test_now_ms() + (ms);                    \
		bool ok_;                                                    \
		while (!(ok_ = (cond)) && ck_test_now_ms() < deadline_)      \
			usleep(10000);                                       \
		ok_;                                                         \
	})

#endif
