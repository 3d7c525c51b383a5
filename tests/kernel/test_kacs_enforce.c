/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The enforcement table (design §9) end to end, for what the 25 cases of
 * test_kacs.c leave out: group kills and kill(-1) all or nothing, the
 * PRIO_PGRP / PRIO_USER / IOPRIO_WHO_* sets, perf_event_open, kcmp,
 * pidfd_getfd (with its pidfd number swapped under it), every signal call,
 * and all of it again from an i386 program. `clonekit kacs run` starts
 * ck-kacs-enforce as the tree's root R with the "user" token and an SD that
 * leaves the user nothing on R but QUERY_LIMITED; R's child C makes the
 * calls against R and against its own child D (the default SD). Each
 * scenario runs with the tree as root and as uid 65534 (--uid), so that a
 * refusal is KACS's and not Linux's; the exact output is asserted.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "support.h"

/* R's SD: SYSTEM everything, Everyone QUERY_LIMITED (pidfd_open, kill(pid, 0)), the tree's user nothing else. */
#define SD_R "O:SYG:SYD:(A;;GA;;;SY)(A;;0x1000;;;WD)"

enum tree { AS_ROOT = 1, AS_NOBODY = 2, BOTH = 3 };

struct enf_case {
	const char *scenario;
	const char *token;
	enum tree trees;
	const char *expect;
};

static const struct enf_case cases[] = {
	{ "signals", "user", BOTH,
	  "kill-R-TERM EACCES\n"
	  "kill-R-probe ok\n"
	  "kill-D-USR1 ok\n"
	  "tkill-R-TERM EACCES\n"
	  "tgkill-R-TERM EACCES\n"
	  "tgkill-D-USR1 ok\n"
	  "tgkill-mismatch ESRCH\n"
	  "sigqueue-R-TERM EACCES\n"
	  "sigqueue-D-USR1 ok\n"
	  "tgsigqueue-R-USR1 EACCES\n"
	  "kill-bad-signal EINVAL\n" },
	/* R in the group refuses the whole kill: C, which Linux would have reached, gets nothing */
	{ "groups", "user", BOTH,
	  "kill-0-USR1-with-R EACCES\n"
	  "self-pending-after-refusal no\n"
	  "kill-0-probe-with-R ok\n"
	  "setpgid-self ok\n"
	  "kill-0-USR1-own-group ok\n"
	  "self-pending-after-delivery yes\n"
	  "kill-R-group-USR1 EACCES\n"
	  "kill-R-group-probe ok\n"
	  "kill-own-group-by-number ok\n" },
	/* root's tree reaches S and every outside process; nothing dominates S, the outside SD is SYSTEM's */
	{ "all", "user", AS_ROOT, "kill-all-probe EACCES\n" },
	{ "prio", "user", BOTH,
	  "setpgid-self ok\n"
	  "setpriority-own-group ok\n"
	  "setpriority-R-group EACCES\n"
	  "setpriority-D ok\n"
	  "setpriority-R EACCES\n"
	  "ioprio_get-own-group ok\n"
	  "ioprio_get-R-group EACCES\n"
	  "ioprio_get-R EACCES\n"
	  "ioprio_set-D ok\n"
	  "ioprio_set-own-group ok\n"
	  "ioprio_set-R-group EACCES\n" },
	{ "prio-user", "user", AS_NOBODY,
	  "setpriority-own-user EACCES\n"
	  "setpriority-user-by-number EACCES\n"
	  "ioprio_get-own-user EACCES\n"
	  "ioprio_set-own-user EACCES\n" },
	/* SeProfileSingleProcessPrivilege first, for the caller itself too: EPERM */
	{ "perf", "user", BOTH,
	  "perf-self EPERM\n"
	  "perf-D EPERM\n"
	  "perf-R EPERM\n" },
	{ "perf", "system", BOTH,
	  "perf-self ok\n"
	  "perf-D ok\n"
	  "perf-R ok\n" },
	/* kcmp's refusal is EPERM: Linux answers ptrace_may_access's failure so (the model's rule) */
	{ "kcmp", "user", BOTH,
	  "kcmp-self-R EPERM\n"
	  "kcmp-R-R EPERM\n"
	  "kcmp-self-D ok\n"
	  "kcmp-D-D ok\n" },
	{ "getfd", "user", BOTH,
	  "pidfd_open-R ok\n"
	  "pidfd_open-D ok\n"
	  "getfd-R EPERM\n"
	  "getfd-D ok\n"
	  "getfd-D-names from-D\n"
	  "getfd-D-cloexec yes\n"
	  "getfd-not-a-pidfd EBADF\n"
	  "getfd-bad-flags EINVAL\n" },
	/* S resolves the pidfd once: no fd of R's ever comes through, whichever pidfd the number held */
	{ "getfd-race", "user", BOTH,
	  "getfd-race from-R 0\n"
	  "getfd-race saw-D yes\n"
	  "getfd-race saw-EPERM yes\n"
	  "getfd-race other 0\n" },
	/* KACS before Linux: setpgid on a non-child is EACCES, not ESRCH */
	{ "targets", "user", BOTH,
	  "ptrace-attach-R EACCES\n"
	  "ptrace-seize-R EACCES\n"
	  "ptrace-attach-D ok\n"
	  "vm_readv-R EPERM\n"
	  "vm_readv-D ok\n"
	  "vm_writev-R EPERM\n"
	  "sched_getaffinity-R EACCES\n"
	  "sched_getaffinity-D ok\n"
	  "sched_getscheduler-R EACCES\n"
	  "prlimit-get-R EACCES\n"
	  "prlimit-get-D ok\n"
	  "getpgid-R ok\n"
	  "getsid-R ok\n"
	  "setpgid-R EACCES\n"
	  "prlimit-get-missing ESRCH\n" },
};

static const char *need_env(const char *name)
{
	const char *v = getenv(name);
	if (!v)
		cr_assert_fail("%s is not set: run this test through 'meson test'", name);
	return v;
}

static void run_case(const char *helper, const struct enf_case *k, enum tree tree)
{
	char *argv[16];
	size_t n = 0;
	struct ck_test_run r;
	struct ck_test_run_opts o = { .timeout_s = 120, .tee_fd = -1 };

	argv[n++] = (char *)need_env("CLONEKIT_BIN");
	argv[n++] = "kacs";
	argv[n++] = "run";
	argv[n++] = "--token";
	argv[n++] = (char *)k->token;
	argv[n++] = "--sd";
	argv[n++] = SD_R;
	if (tree == AS_NOBODY) {
		argv[n++] = "--uid";
		argv[n++] = "65534";
	}
	argv[n++] = "--";
	argv[n++] = (char *)helper;
	argv[n++] = (char *)k->scenario;
	argv[n] = NULL;
	cr_assert_eq(ck_test_run(argv, &o, &r), 0);
	const char *who = tree == AS_NOBODY ? "uid 65534" : "root";
	cr_expect_not(r.timed_out, "%s %s (%s, %s): timed out", helper, k->scenario, k->token, who);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		  "%s %s (%s, %s): status %#x (R dies of a signal that got through)", helper, k->scenario, k->token,
		  who, r.status);
	cr_expect_str_eq(r.out, k->expect, "%s %s (%s, %s)", helper, k->scenario, k->token, who);
	ck_test_run_free(&r);
}

static void run_scenario(const char *helper, const char *scenario)
{
	bool any = false;
	if (geteuid() != 0)
		ck_skip_or_fail("the tree runs as root and as uid 65534: needs root");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].scenario, scenario) != 0)
			continue;
		any = true;
		if (cases[i].trees & AS_ROOT)
			run_case(helper, &cases[i], AS_ROOT);
		if (cases[i].trees & AS_NOBODY)
			run_case(helper, &cases[i], AS_NOBODY);
	}
	cr_assert(any, "no case for %s", scenario);
}

static const char *native(void)
{
	return need_env("CK_KACS_ENFORCE");
}

static const char *i386(void)
{
	const char *p = getenv("CK_KACS_ENFORCE_I386");
	return p && *p ? p : NULL;
}

#define SCENARIO(test, name)                                                                             \
	Test(kacs_enforce, test)                                                                         \
	{                                                                                                \
		run_scenario(native(), name);                                                            \
	}                                                                                                \
	Test(kacs_enforce, test##_from_i386)                                                             \
	{                                                                                                \
		if (!i386())                                                                             \
			ck_skip_or_fail("no i386 build of ck-kacs-enforce: %s",                          \
					getenv("CK_KACS_ENFORCE_I386_MISSING"));                         \
		run_scenario(i386(), name);                                                              \
	}

SCENARIO(every_signal_call_decides_by_signal_number, "signals")
SCENARIO(group_kill_is_all_or_nothing, "groups")
SCENARIO(kill_all_is_refused_while_s_is_reached, "all")
SCENARIO(priority_of_a_group_needs_every_member, "prio")
SCENARIO(priority_of_a_user_needs_every_process_of_it, "prio-user")
SCENARIO(perf_event_open_needs_the_profile_privilege_first, "perf")
SCENARIO(kcmp_needs_vm_read_on_each_other_process, "kcmp")
SCENARIO(pidfd_getfd_is_emulated_with_dup_handle, "getfd")
SCENARIO(pidfd_getfd_resolves_its_pidfd_once, "getfd-race")
SCENARIO(single_target_rows, "targets")
