/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The clone cases of tests/clone/cases.c under Criterion: one Test per case
 * that runs natively, named as the case, so that a failure reads as the
 * behaviour that broke. A last test holds this list against the table.
 */
#include <stdbool.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../support.h"
#include "../clone/cases.h"

#define NATIVE_CASES(X)                                                     \
	X(ck_clone_fork_like_child_runs_fn_on_the_given_stack)              \
	X(ck_clone3_fork_like_child_runs_fn_on_the_given_stack)             \
	X(ck_clone3_without_fn_returns_zero_in_the_child_like_fork)         \
	X(ck_clone_thread_like_pattern_runs_a_joinable_thread)              \
	X(ck_clone3_thread_like_pattern_runs_a_joinable_thread)             \
	X(clone_vm_write_in_child_is_seen_by_parent)                        \
	X(clone_files_close_in_child_closes_in_parent)                      \
	X(clone_fs_chdir_and_umask_in_child_are_seen_by_parent)             \
	X(without_clone_fs_chdir_and_umask_stay_in_child)                   \
	X(clone_sighand_handler_installed_by_child_is_parents)              \
	X(without_clone_sighand_handler_installed_by_child_stays_in_child)  \
	X(clone_thread_shares_tgid_and_is_joined_by_cleartid_futex)         \
	X(clone_parent_settid_and_child_settid_store_the_tid)               \
	X(child_settid_without_clone_vm_writes_only_the_childs_memory)      \
	X(clone_child_cleartid_zeroes_the_tid_and_wakes_the_futex)          \
	X(clone_parent_child_is_a_sibling_reaped_by_the_grandparent)        \
	X(clone_vfork_suspends_the_parent_until_the_child_exits)            \
	X(clone_detached_is_ignored_and_exit_status_is_collected)           \
	X(clone_settls_sets_the_childs_thread_pointer)                      \
	X(clone_pidfd_in_parent_tid_polls_readable_when_child_exits)        \
	X(clone_pidfd_in_parent_tid_sends_sigkill)                          \
	X(clone3_pidfd_field_polls_readable_when_child_exits)               \
	X(clone3_pidfd_field_sends_sigkill)                                 \
	X(clone_into_cgroup_places_child_in_the_given_cgroup)               \
	X(clone_newns_child_is_in_a_new_mount_namespace)                    \
	X(clone_newuts_hostname_set_in_child_is_not_seen_by_parent)         \
	X(clone_newipc_child_does_not_see_the_parents_message_queue)        \
	X(clone_newnet_child_has_only_loopback)                             \
	X(clone_newuser_child_is_unmapped_in_a_new_user_namespace)          \
	X(clone_newpid_child_is_pid_1_with_no_parent_in_its_namespace)      \
	X(clone_newcgroup_child_is_in_a_new_cgroup_namespace)               \
	X(clone3_newtime_child_is_in_a_new_time_namespace)                  \
	X(newtime_offsets_shift_clock_monotonic_of_a_clone3_child)          \
	X(clone3_clear_sighand_resets_handlers_but_keeps_ignored_signals)   \
	X(clone3_set_tid_1_in_a_new_pid_namespace_gives_pid_1)              \
	X(clone3_set_tid_2_in_a_new_pid_namespace_is_einval)                \
	X(clone3_set_tid_chooses_the_pid_in_the_parent_namespace)           \
	X(clone_ptrace_child_of_a_tracee_is_traced_from_birth)              \
	X(clone_untraced_child_escapes_ptrace_o_traceclone)                 \
	X(clone_thread_without_sighand_and_vm_is_einval)                    \
	X(ck_clone_rejects_a_null_fn_or_stack_with_einval)                  \
	X(clone3_falls_back_to_clone_when_seccomp_answers_enosys)           \
	X(ck_clone3_refuses_what_clone3_refuses_with_the_same_errno)        \
	X(ck_clone3_without_clone3_refuses_what_clone3_refuses_with_the_same_errno)

static const struct clone_case *find_case(const char *name)
{
	for (size_t i = 0; i < clone_case_count; i++)
		if (!strcmp(clone_cases[i].name, name))
			return &clone_cases[i];
	return NULL;
}

static void run_case(const char *name)
{
	const struct clone_case *c = find_case(name);
	char why[1024] = "";
	int r;

	if (!c)
		cr_assert_fail("no case named %s in tests/clone/cases.c", name);
	if (!(c->where & CASE_NATIVE))
		cr_assert_fail("case %s is not marked CASE_NATIVE", name);
	r = c->run(why, sizeof why);
	if (r == CASE_SKIP)
		ck_skip_or_fail("%s", why);
	if (r != CASE_PASS)
		cr_assert_fail("%s", why[0] ? why : "failed without a reason");
}

#define CLONE_TEST(name)                                                    \
	Test(clone, name, .timeout = 120)                                   \
	{                                                                   \
		run_case(#name);                                            \
	}

NATIVE_CASES(CLONE_TEST)

#define CASE_NAME(name) #name,
static const char *const tested[] = { NATIVE_CASES(CASE_NAME) };

Test(clone, every_native_case_has_a_test)
{
	size_t n = sizeof tested / sizeof tested[0];

	for (size_t i = 0; i < clone_case_count; i++) {
		bool listed = false;

		if (!(clone_cases[i].where & CASE_NATIVE))
			continue;
		for (size_t j = 0; j < n; j++)
			listed |= !strcmp(tested[j], clone_cases[i].name);
		cr_expect(listed, "case %s has no Test in tests/kernel/test_clone.c", clone_cases[i].name);
	}
	for (size_t j = 0; j < n; j++)
		cr_expect(find_case(tested[j]), "Test %s names no case in tests/clone/cases.c", tested[j]);
}
