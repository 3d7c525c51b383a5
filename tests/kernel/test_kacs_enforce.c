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
 * scenario runs with the tree as root, as uid 65534 (--uid), and with S
 * itself as uid 65534 (unprivileged, design §2), so that a refusal is
 * KACS's and not Linux's; the exact output is asserted. Also: the root's
 * own gates (no_child_process, PIE) and PR_SET/GET_DUMPABLE.
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
#define SETPRIV "/usr/bin/setpriv"

/*
 * Who runs what: S and the tree as root; S as root and the tree as uid
 * 65534 (--uid); S itself as uid 65534 (setpriv), the unprivileged mode of
 * design §2, with the tree of its uid.
 */
enum tree { AS_ROOT = 1, AS_NOBODY = 2, S_NOBODY = 4, NOBODY = AS_NOBODY | S_NOBODY, ALL = 7 };

struct enf_case {
	const char *scenario;
	const char *token;
	enum tree trees;
	const char *expect;
	const char *psb; /* --psb, or NULL */
};

static const struct enf_case cases[] = {
	{ "signals", "user", ALL,
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
	  "kill-bad-signal EINVAL\n", NULL },
	/* R in the group refuses the whole kill: C, which Linux would have reached, gets nothing */
	{ "groups", "user", ALL,
	  "kill-0-USR1-with-R EACCES\n"
	  "self-pending-after-refusal no\n"
	  "kill-0-probe-with-R ok\n"
	  "setpgid-self ok\n"
	  "kill-0-USR1-own-group ok\n"
	  "self-pending-after-delivery yes\n"
	  "kill-R-group-USR1 EACCES\n"
	  "kill-R-group-probe ok\n"
	  "kill-own-group-by-number ok\n", NULL },
	/*
	 * Linux lets a root tree reach S and every outside process, and a tree of
	 * S's own uid reach S: nothing dominates S, the outside SD is SYSTEM's.
	 * (A tree of another uid than S's reaches only what shares its uid.)
	 */
	{ "all", "user", AS_ROOT | S_NOBODY, "kill-all-probe EACCES\n", NULL },
	{ "prio", "user", ALL,
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
	  "ioprio_set-R-group EACCES\n", NULL },
	{ "prio-user", "user", NOBODY,
	  "setpriority-own-user EACCES\n"
	  "setpriority-user-by-number EACCES\n"
	  "ioprio_get-own-user EACCES\n"
	  "ioprio_set-own-user EACCES\n", NULL },
	/* SeProfileSingleProcessPrivilege first, for the caller itself too: EPERM */
	{ "perf", "user", ALL,
	  "perf-self EPERM\n"
	  "perf-D EPERM\n"
	  "perf-R EPERM\n", NULL },
	{ "perf", "system", ALL,
	  "perf-self ok\n"
	  "perf-D ok\n"
	  "perf-R ok\n", NULL },
	/* kcmp's refusal is EPERM: Linux answers ptrace_may_access's failure so (the model's rule) */
	{ "kcmp", "user", ALL,
	  "kcmp-self-R EPERM\n"
	  "kcmp-R-R EPERM\n"
	  "kcmp-self-D ok\n"
	  "kcmp-D-D ok\n", NULL },
	{ "getfd", "user", ALL,
	  "pidfd_open-R ok\n"
	  "pidfd_open-D ok\n"
	  "getfd-R EPERM\n"
	  "getfd-D ok\n"
	  "getfd-D-names from-D\n"
	  "getfd-D-cloexec yes\n"
	  "getfd-not-a-pidfd EBADF\n"
	  "getfd-bad-flags EINVAL\n", NULL },
	/* S resolves the pidfd once: no fd of R's ever comes through, whichever pidfd the number held */
	{ "getfd-race", "user", ALL,
	  "getfd-race from-R 0\n"
	  "getfd-race saw-D yes\n"
	  "getfd-race saw-EPERM yes\n"
	  "getfd-race other 0\n", NULL },
	/* KACS before Linux: setpgid on a non-child is EACCES, not ESRCH */
	{ "targets", "user", ALL,
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
	  "prlimit-get-missing ESRCH\n", NULL },
	/*
	 * Linux's PTRACE_MODE_ATTACH_REALCREDS, reproduced for pidfd_getfd: a
	 * root tree has CAP_SYS_PTRACE; otherwise a process that is not dumpable
	 * keeps its fds, the flag being virtual when S is unprivileged.
	 */
	{ "dumpable", "user", AS_ROOT,
	  "get-dumpable 1\n"
	  "set-dumpable-2 EINVAL\n"
	  "set-dumpable-0 ok\n"
	  "get-dumpable 0\n"
	  "getfd-from-nondumpable ok\n"
	  "set-dumpable-1 ok\n"
	  "get-dumpable 1\n"
	  "getfd-from-dumpable ok\n", NULL },
	{ "dumpable", "user", NOBODY,
	  "get-dumpable 1\n"
	  "set-dumpable-2 EINVAL\n"
	  "set-dumpable-0 ok\n"
	  "get-dumpable 0\n"
	  "getfd-from-nondumpable EPERM\n"
	  "set-dumpable-1 ok\n"
	  "get-dumpable 1\n"
	  "getfd-from-dumpable ok\n", NULL },
	/* no_child_process: fork, clone, posix_spawn refused; a thread is not a child (R makes these itself) */
	{ "nochild", "user", ALL,
	  "fork EACCES\n"
	  "clone-process EACCES\n"
	  "posix_spawn EACCES\n"
	  "pthread_create ok\n", "nochild" },
	/* PIE: an ET_EXEC image by path, by fd, by dirfd and relative path; an ET_DYN one runs */
	{ "pie", "user", ALL,
	  "exec-nonpie EACCES\n"
	  "execveat-nonpie-fd EACCES\n"
	  "execveat-nonpie-dirfd EACCES\n"
	  "exec-nonpie-relative EACCES\n"
	  "hello ran\n", "pie" },
	/*
	 * The exec path flipped between the two images while S reads it: S's
	 * check refuses some, and an ET_EXEC image that slips past it is killed
	 * at its exec record, before its first trapped call (tasks.c) — it never
	 * prints.
	 */
	{ "pie-race", "user", ALL,
	  "pie-race nonpie-ran no\n"
	  "pie-race pie-ran yes\n", "pie" },
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
	char *argv[24];
	size_t n = 0;
	struct ck_test_run r;
	struct ck_test_run_opts o = { .timeout_s = 120, .tee_fd = -1 };

	if (tree == S_NOBODY) {
		if (access(SETPRIV, X_OK) != 0)
			ck_skip_or_fail("no %s to run the supervisor as uid 65534 (package util-linux)", SETPRIV);
		argv[n++] = SETPRIV;
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = (char *)need_env("CLONEKIT_BIN");
	argv[n++] = "kacs";
	argv[n++] = "run";
	argv[n++] = "--token";
	argv[n++] = (char *)k->token;
	argv[n++] = "--sd";
	argv[n++] = SD_R;
	if (k->psb) {
		argv[n++] = "--psb";
		argv[n++] = (char *)k->psb;
	}
	if (tree == AS_NOBODY) {
		argv[n++] = "--uid";
		argv[n++] = "65534";
	}
	argv[n++] = "--";
	argv[n++] = (char *)helper;
	argv[n++] = (char *)k->scenario;
	if (strncmp(k->scenario, "pie", 3) == 0) {
		argv[n++] = (char *)need_env("CK_KACS_ENFORCE_NOPIE");
		argv[n++] = (char *)helper;
	}
	argv[n] = NULL;
	cr_assert_eq(ck_test_run(argv, &o, &r), 0);
	const char *who = tree == AS_ROOT ? "root" : tree == AS_NOBODY ? "tree uid 65534" : "S uid 65534";
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
		for (enum tree t = AS_ROOT; t <= S_NOBODY; t <<= 1)
			if (cases[i].trees & t)
				run_case(helper, &cases[i], t);
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
SCENARIO(pidfd_getfd_keeps_linux_ptrace_rule_for_non_dumpable_processes, "dumpable")
SCENARIO(no_child_process_refuses_every_process_creation_but_threads, "nochild")
SCENARIO(pie_refuses_an_et_exec_image_however_it_is_named, "pie")
SCENARIO(pie_holds_when_the_exec_path_is_swapped_under_it, "pie-race")
