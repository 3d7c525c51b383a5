/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A consumer's view: only <clonekit/clonekit.h>, linked against the shared
 * library with its hidden internals, as a program using pkg-config would be.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include <clonekit/clonekit.h>

Test(public_api, readme_example_reports_sighand_without_vm)
{
	struct ck_clone_request req;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE, CK_CLONE_SIGHAND | SIGCHLD);
	struct ck_verdict *v = ck_validate(&req, NULL);
	cr_assert_not_null(v);
	cr_assert_str_eq(ck_errno_name(ck_verdict_errno(v)), "EINVAL");
	cr_assert_str_eq(ck_verdict_at(v, 0)->message, "CLONE_SIGHAND requires CLONE_VM");
	ck_verdict_free(v);
}

Test(public_api, every_module_is_reachable_through_the_shared_library)
{
	char buf[128];
	uint64_t v;
	cr_assert_eq(ck_flag_count(), 27);
	cr_assert_eq(ck_flags_parse("vm,fs", CK_SYSCALL_CLONE3, &v, NULL), 0);
	cr_assert_gt(ck_flags_format(v, CK_SYSCALL_CLONE3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "CLONE_VM|CLONE_FS");
	cr_assert_eq(ck_sysno(CK_ARCH_AARCH64, CK_NR_CLONE), 220);
	cr_assert_not_null(ck_arch_native());
	struct ck_context ctx = { .size = sizeof(ctx) };
	cr_assert_eq(ck_context_current(&ctx), 0);
}
