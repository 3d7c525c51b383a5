/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS ABI as a program sees it under `clonekit kacs run` (design §5,
 * §6; lib/kacs/emulate.c, handle.c): token handles through dup, fork and
 * SCM_RIGHTS keep their granted mask; a socketpair the tree makes, /dev/null
 * and a pty are not handles and get the kernel's own answer; QUERY's size
 * query, ERANGE with the needed size, overlap and faults; returned fds are
 * the lowest free number, O_CLOEXEC, and a failure leaves none behind;
 * kacs_get_sd on a token handle and a pidfd only. Each scenario of
 * ck-kacs-abi runs as root (the system token) and as uid 65534, and its
 * lines are compared exactly. The 25 cases of design §13 are test_kacs.c's.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../run.h"
#include "../support.h"

static void run_scenario(const char *scenario, bool nobody, const char *want)
{
	const char *bin = getenv("CLONEKIT_BIN"), *helper = getenv("CK_KACS_ABI_HELPER");
	cr_assert(bin && helper, "CLONEKIT_BIN and CK_KACS_ABI_HELPER are set by meson");
	if (nobody && geteuid() != 0)
		ck_skip_or_fail("running the tree as uid 65534 needs root (--uid)");
	char *argv[10];
	int n = 0;
	argv[n++] = (char *)bin;
	argv[n++] = (char *)"kacs";
	argv[n++] = (char *)"run";
	if (nobody) {
		argv[n++] = (char *)"--uid";
		argv[n++] = (char *)"65534";
	}
	argv[n++] = (char *)"--";
	argv[n++] = (char *)helper;
	argv[n++] = (char *)scenario;
	argv[n] = NULL;
	struct ck_test_run_opts o = { .timeout_s = 60, .tee_fd = -1 };
	struct ck_test_run r;
	cr_assert_eq(ck_test_run(argv + 0, &o, &r), 0);
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 125 && strstr(r.out, "perf_event_paranoid"))
		ck_skip_or_fail("kacs run needs perf: %s", r.out);
	cr_assert(!r.timed_out, "%s timed out: %s", scenario, r.out);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: status %#x\n%s", scenario, r.status, r.out);
	cr_assert_str_eq(r.out, want, "%s as %s", scenario, nobody ? "uid 65534" : "root");
	ck_test_run_free(&r);
}

/* Handles keep their mask through every copy; what is not a handle gets the kernel's answer. */
static const char handles[] =
	"query_on_query_handle 1\n"
	"adjust_on_query_handle EACCES\n"
	"adjust_on_adjust_handle 0\n"
	"dup_query 1\n"
	"dup_adjust EACCES\n"
	"scm_query 1\n"
	"scm_adjust EACCES\n"
	"scm_adjust_handle_adjust 0\n"
	"fork_query 1\n"
	"fork_adjust EACCES\n"
	"fork_adjust_handle_adjust 0\n"
	"forged_socketpair ENOTTY\n"
	"dev_null ENOTTY\n"
	"pty ENOTTY\n"
	"pty_install ENOTTY\n"
	"closed_fd EBADF\n"
	"other_request_on_handle ENOTTY\n"
	"k11_on_handle ENOTTY\n"
	"k11_dev_null ENOTTY\n"
	"open_mask_0 EINVAL\n"
	"open_mask_bit9 EINVAL\n"
	"open_flags_2 EINVAL\n"
	"maximum_allowed_adjust 0\n";

Test(kacs_abi, handles_keep_their_mask_and_cannot_be_forged_as_root)
{
	run_scenario("handles", false, handles);
}

Test(kacs_abi, handles_keep_their_mask_and_cannot_be_forged_as_uid_65534)
{
	run_scenario("handles", true, handles);
}

/* The system token's user S-1-5-18 is 12 bytes; PRIVILEGES is 32 (K20 6-abi-reference.md §3). */
static const char query[] =
	"size_query 0\n"
	"size_query_len 12\n"
	"small_buffer ERANGE\n"
	"small_buffer_len 12 untouched 1\n"
	"fits 0\n"
	"fits_len 12 revision 1 subs 1\n"
	"overlap EINVAL\n"
	"overlap_len 64\n"
	"bad_class EINVAL\n"
	"fault EFAULT\n"
	"fault_len 32\n"
	"args_fault EFAULT\n"
	"fault_partial EFAULT\n"
	"fault_partial_len 32\n";

Test(kacs_abi, query_sizes_erange_overlap_and_faults_as_root)
{
	run_scenario("query", false, query);
}

Test(kacs_abi, query_sizes_erange_overlap_and_faults_as_uid_65534)
{
	run_scenario("query", true, query);
}

static const char fds[] =
	"lowest_free 1\n"
	"cloexec 1\n"
	"one_more 1\n"
	"duplicate_readonly_args EFAULT\n"
	"failures_leave 0\n"
	"duplicate 0\n"
	"duplicate_result_cloexec 1\n"
	"duplicate_type 2\n"
	"duplicate_level 2\n"
	"duplicate_adjust EACCES\n";

Test(kacs_abi, returned_fds_are_installed_whole_or_not_at_all_as_root)
{
	run_scenario("fds", false, fds);
}

Test(kacs_abi, returned_fds_are_installed_whole_or_not_at_all_as_uid_65534)
{
	run_scenario("fds", true, fds);
}

/* The token SD (SR|DP|DD|OD: 0x800d) and the process SD's owner S-1-5-18 (20 + 12 bytes). */
static const char sd[] =
	"token_sd_probe_positive 0\n"
	"token_sd_same_size 1 revision 1 control 0x800d\n"
	"token_sd_small_buffer 0\n"
	"process_sd_owner 32 1 5 18\n"
	"no_empty_path EOPNOTSUPP\n"
	"a_path EOPNOTSUPP\n"
	"null_path EFAULT\n"
	"a_file EOPNOTSUPP\n"
	"sacl_and_label EINVAL\n"
	/* a token's own SD through its handle: 20 + an ACL of 8 + two ACEs of 20 */
	"token_set_sd_dacl 0\n"
	"token_set_sd_modified 1\n"
	"token_get_sd_dacl 68 aces 2 mask2 0x8\n"
	"set_sd_len_0 EINVAL\n"
	"set_sd_malformed EINVAL\n"
	"set_sd_owner_missing EINVAL\n";

Test(kacs_abi, get_sd_on_token_handles_and_pidfds_only_as_root)
{
	run_scenario("sd", false, sd);
}

Test(kacs_abi, get_sd_on_token_handles_and_pidfds_only_as_uid_65534)
{
	run_scenario("sd", true, sd);
}

/*
 * The peinit pattern and every token ioctl on a token minted by the system
 * token: session 1000 (the first dynamic), create_token, both ADJUST_GROUPS
 * encodings (WD made non-mandatory; previous_state 0b1110 with WD off), the
 * session id, the default DACL cleared, RESTRICT with the source handle's
 * mask, IMPERSONATE at level 2 and REVERT, the thread and process tokens,
 * PSB bits, the unregistered numbers, then INSTALL: the owner of the
 * regenerated process SD is ...-1001, whose token holds none of SeCreateToken,
 * SeTcb or SeAssignPrimaryToken.
 */
static const char tokens[] =
	"create_session 1000\n"
	"create_token_short EINVAL\n"
	"create_token_null EINVAL\n"
	"create_token_user 1001\n"
	"destroy_session_with_a_token EBUSY\n"
	"destroy_unknown_session ENOENT\n"
	"adjust_groups_k20 0\n"
	"adjust_groups_k20_previous_bit0 1 attrs 2\n"
	"adjust_groups_pkm 0\n"
	"adjust_groups_pkm_previous 14 0 attrs 6\n"
	"adjust_groups_mandatory EINVAL\n"
	"adjust_groups_count_0 EINVAL\n"
	"adjust_sessionid 0\n"
	"session_id 5\n"
	"adjust_default_bad_owner EINVAL\n"
	"adjust_default_clear_dacl 0\n"
	"default_dacl_len 0\n"
	"link_tokens EOPNOTSUPP\n"
	"get_linked_token ENOENT\n"
	"restrict 0\n"
	"restricted_sids_size_query 0\n"
	"restricted_count 1\n"
	"restricted_handle_adjust 0\n"
	"restrict_bad_flags EINVAL\n"
	"impersonate_primary EINVAL\n"
	"duplicate_impersonation 0\n"
	"impersonate 0\n"
	"effective_user 1001\n"
	"effective_level 2\n"
	"real_token_while_impersonating EACCES\n"
	"revert 0\n"
	"revert_again 0\n"
	"thread_token_after_revert 18\n"
	"thread_token_tid_0 EINVAL\n"
	"thread_token_other_tid ESRCH\n"
	"process_token 18\n"
	"process_token_not_a_pidfd EBADF\n"
	"set_impersonation_level_4 EINVAL\n"
	"set_impersonation_level_2 0\n"
	"set_psb_unknown EINVAL\n"
	"set_psb_lsv ENODEV\n"
	"set_psb_ui_access 0\n"
	"set_psb_self_pidfd 0\n"
	"nr_1007 ENOSYS\n"
	"nr_1020 ENOSYS\n"
	"nr_1023 ENOSYS\n"
	"nr_1099 ENOSYS\n"
	"install 0\n"
	"owner_after_install 48 1001\n"
	"primary_after_install 1001\n"
	"create_token_after_install EPERM\n"
	"create_session_after_install EPERM\n"
	"install_again_without_privilege EACCES\n"
	"adjust_sessionid_without_tcb EACCES\n"
	/* …-1001 impersonating SYSTEM (Delegation): capped to Identification by both gates */
	"duplicate_system_as_1001 0\n"
	"impersonate_system_capped 0\n"
	"handle_level_unchanged 3\n"
	"open_self_at_identification EACCES\n"
	"other_thread_sees_user 18\n"
	"other_thread_sees_level 1\n"
	"revert_identification 0\n";

Test(kacs_abi, every_token_call_on_a_minted_token_as_root)
{
	run_scenario("tokens", false, tokens);
}

Test(kacs_abi, every_token_call_on_a_minted_token_as_uid_65534)
{
	run_scenario("tokens", true, tokens);
}
