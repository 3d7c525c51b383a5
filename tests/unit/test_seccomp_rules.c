/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/seccomp.c's rule table through its internal builder (lib/internal/seccomp.h): what it refuses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <clonekit/seccomp.h>

#include "../support.h"
#include "internal/seccomp.h"

static struct ck_seccomp_policy *fresh(void)
{
	struct ck_seccomp_policy *p = ck__seccomp_policy_new("test", "a test policy");
	cr_assert_not_null(p);
	return p;
}

Test(seccomp_rules, a_rule_that_libseccomp_cannot_take_is_refused)
{
	struct ck_seccomp_policy *p = fresh();
	struct ck__seccomp_rule two_on_one_arg = {
		.syscall = "perf_event_open", .action = CK_SECCOMP_NOTIFY, .ncmp = 2,
		.cmp = { { 1, CK__SECCOMP_NE, 0, 0 }, { 1, CK__SECCOMP_LT, 5, 0 } },
	};
	struct ck__seccomp_rule number_everywhere = { .nr = 1000, .action = CK_SECCOMP_NOTIFY };
	struct ck__seccomp_rule no_errno = { .syscall = "kill", .action = CK_SECCOMP_ERRNO };
	struct ck__seccomp_rule arg6 = { .syscall = "kill", .action = CK_SECCOMP_NOTIFY, .ncmp = 1,
					 .cmp = { { 6, CK__SECCOMP_EQ, 0, 0 } } };
	struct ck__seccomp_rule too_many = { .syscall = "kill", .action = CK_SECCOMP_NOTIFY,
					     .ncmp = CK__SECCOMP_MAX_CMP + 1 };

	cr_assert_eq(ck__seccomp_policy_add(p, &two_on_one_arg), -EINVAL);
	cr_assert_eq(ck__seccomp_policy_add(p, &number_everywhere), -EINVAL);
	cr_assert_eq(ck__seccomp_policy_add(p, &no_errno), -EINVAL);
	cr_assert_eq(ck__seccomp_policy_add(p, &arg6), -EINVAL);
	cr_assert_eq(ck__seccomp_policy_add(p, &too_many), -EINVAL);
	/* nothing was added: the empty policy compiles */
	cr_assert_gt(ck_seccomp_instruction_count(p, CK_ARCH_X86_64), 0);
	ck_seccomp_policy_free(p);
}

Test(seccomp_rules, a_full_table_refuses_to_compile_rather_than_lose_a_rule)
{
	struct ck_seccomp_policy *p = fresh();
	struct ck__seccomp_rule r = { .syscall = "acct", .action = CK_SECCOMP_ERRNO, .err = EPERM, .ncmp = 1 };
	int rc = 0;
	void *buf = NULL;
	size_t len = 0;

	for (uint64_t i = 0; rc == 0; i++) {
		r.cmp[0] = (struct ck__seccomp_cmp){ 0, CK__SECCOMP_EQ, i, 0 };
		rc = ck__seccomp_policy_add(p, &r);
	}
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(ck_seccomp_export_bpf(p, &buf, &len), -E2BIG);
	cr_assert_eq(ck_seccomp_instruction_count(p, CK_ARCH_X86_64), -E2BIG);
	ck_seccomp_policy_free(p);
}

Test(seccomp_rules, a_native_rule_stays_out_of_the_other_abis_and_has_no_oci_form)
{
	struct ck_seccomp_policy *p = fresh();
	struct ck__seccomp_rule r = { .nr = 1000, .native_only = true, .action = CK_SECCOMP_ERRNO, .err = EACCES };
	int native, i386, with;

	if (!ck_arch_native() || ck_arch_native()->arch != CK_ARCH_X86_64)
		ck_skip_or_fail("the rule's number is an x86_64 one");
	native = ck_seccomp_instruction_count(p, CK_ARCH_X86_64);
	i386 = ck_seccomp_instruction_count(p, CK_ARCH_I386);
	cr_assert_eq(ck__seccomp_policy_add(p, &r), 0);
	with = ck_seccomp_instruction_count(p, CK_ARCH_X86_64);
	cr_assert_gt(with, native, "x86_64 has the rule: %d instructions, %d without", with, native);
	cr_assert_eq(ck_seccomp_instruction_count(p, CK_ARCH_I386), i386, "i386 has no rule");
	cr_assert_eq(ck_seccomp_export_oci(p, 1), -EOPNOTSUPP);
	ck_seccomp_policy_free(p);
}

/* The first syscall number x86_64's part of p's filter tests, or -1. */
static long first_tested_nr(struct ck_seccomp_policy *p)
{
	struct sock_filter *f;
	void *buf;
	size_t len;
	long nr = -1;

	cr_assert_eq(ck_seccomp_export_bpf(p, &buf, &len), 0);
	f = buf;
	for (size_t i = 0; i + 1 < len / sizeof(*f); i++) {
		if (f[i].code == (BPF_LD | BPF_W | BPF_ABS) && f[i].k == offsetof(struct seccomp_data, nr)) {
			if (BPF_CLASS(f[i + 1].code) == BPF_JMP && BPF_OP(f[i + 1].code) == BPF_JEQ)
				nr = (long)f[i + 1].k;
			break;
		}
	}
	free(buf);
	return nr;
}

Test(seccomp_rules, a_hot_syscall_is_tested_first)
{
	static const char *const others[] = { "kill", "tkill", "tgkill", "getpgid", "getsid", "setpgid",
					      "prlimit64", "kcmp", "pidfd_open", "sched_getaffinity" };
	struct ck_seccomp_policy *p = fresh();
	struct ck__seccomp_rule r = { .syscall = "ioctl", .native_only = true, .action = CK_SECCOMP_NOTIFY, .ncmp = 1,
				      .cmp = { { 1, CK__SECCOMP_MASKED_EQ, 0x4b00, 0xfff0 } } };

	if (!ck_arch_native() || ck_arch_native()->arch != CK_ARCH_X86_64)
		ck_skip_or_fail("the filter's first part is x86_64's");
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct ck__seccomp_rule o = { .syscall = others[i], .action = CK_SECCOMP_NOTIFY, .ncmp = 1,
					      .cmp = { { 0, CK__SECCOMP_NE, 0, 0 } } };
		cr_assert_eq(ck__seccomp_policy_add(p, &o), 0);
	}
	cr_assert_eq(ck__seccomp_policy_add(p, &r), 0);
	/* a binary tree: the first test splits the numbers, ioctl (the lowest) is tested last */
	cr_assert_neq(first_tested_nr(p), (long)SYS_ioctl);
	r.priority = 255;
	r.cmp[0].value = 0x4c00; /* another case, or libseccomp would merge it with the first */
	cr_assert_eq(ck__seccomp_policy_add(p, &r), 0);
	cr_assert_eq(first_tested_nr(p), (long)SYS_ioctl, "ioctl's rules share the highest priority of theirs");
	/* a hot call of every ABI: x86_64's is tested before x32's, which shares its part of the filter */
	struct ck__seccomp_rule prctl = { .syscall = "prctl", .action = CK_SECCOMP_NOTIFY, .ncmp = 1,
					  .cmp = { { 0, CK__SECCOMP_EQ, 4, 0 } }, .priority = 255 };
	r.priority = 0;
	ck_seccomp_policy_free(p);
	p = fresh();
	cr_assert_eq(ck__seccomp_policy_add(p, &r), 0);
	cr_assert_eq(ck__seccomp_policy_add(p, &prctl), 0);
	cr_assert_eq(first_tested_nr(p), (long)SYS_prctl);
	ck_seccomp_policy_free(p);
}

/* One representation: a builder policy with a default action and LE/GE conditions reads back from its OCI form. */
Test(seccomp_rules, a_built_policy_reads_back_from_its_oci_form)
{
	struct ck_seccomp_policy *p = fresh(), *back;
	struct ck__seccomp_rule allow_low = { .syscall = "personality", .action = CK_SECCOMP_ALLOW, .ncmp = 1,
					      .cmp = { { 0, CK__SECCOMP_LE, 8, 0 } } };
	struct ck__seccomp_rule allow_high = { .syscall = "personality", .action = CK_SECCOMP_ALLOW, .ncmp = 1,
					       .cmp = { { 0, CK__SECCOMP_GE, 0xffffffff, 0 } } };
	struct ck__seccomp_rule allow_all = { .syscall = "getpid", .action = CK_SECCOMP_ALLOW };
	struct ck__seccomp_rule masked = { .syscall = "clone", .action = CK_SECCOMP_ALLOW, .ncmp = 1,
					   .cmp = { { 0, CK__SECCOMP_MASKED_EQ, 0, 0x10000000 } } };
	void *a, *b;
	size_t alen, blen;
	char why[256];

	cr_assert_eq(ck__seccomp_policy_set_default(p, CK_SECCOMP_ERRNO, EPERM), 0);
	cr_assert_eq(ck__seccomp_policy_set_default(p, CK_SECCOMP_NOTIFY, 0), -EINVAL);
	cr_assert_eq(ck__seccomp_policy_add(p, &allow_low), 0);
	cr_assert_eq(ck__seccomp_policy_add(p, &allow_high), 0);
	cr_assert_eq(ck__seccomp_policy_add(p, &allow_all), 0);
	cr_assert_eq(ck__seccomp_policy_add(p, &masked), 0);
	int fd = memfd_create("oci", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ck_seccomp_export_oci(p, fd), 0);
	lseek(fd, 0, SEEK_SET);
	back = ck_seccomp_policy_from_oci(NULL, fd, why, sizeof(why));
	cr_assert_not_null(back, "%s", why);
	close(fd);
	cr_assert_eq(ck_seccomp_export_bpf(p, &a, &alen), 0);
	cr_assert_eq(ck_seccomp_export_bpf(back, &b, &blen), 0);
	cr_assert_eq(alen, blen);
	cr_assert(memcmp(a, b, alen) == 0, "the same BPF both ways");
	free(a);
	free(b);
	ck_seccomp_policy_free(back);
	ck_seccomp_policy_free(p);
}
