/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A seccomp filter that refuses what a container profile, valgrind or an old
 * kernel refuses: the named syscalls fail with EPERM, and with tmpfile an
 * open of O_TMPFILE fails with EOPNOTSUPP, as on a filesystem without it.
 * Built with libseccomp and loaded (no_new_privs too) on the calling process
 * for good: tests load it in a child, or ck-deny before it execs a program.
 */
#ifndef CK_TEST_DENY_H
#define CK_TEST_DENY_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

#include <seccomp.h>

/* 0, or -errno (-EINVAL for a syscall name libseccomp does not know). */
static inline int ck_test_deny(char *const names[], bool tmpfile)
{
	const unsigned long tmpfile_bit = O_TMPFILE & ~O_DIRECTORY;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; names && names[i] && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		r = nr == __NR_SCMP_ERROR ? -EINVAL : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (r == 0 && tmpfile)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, tmpfile_bit, tmpfile_bit));
	if (r == 0 && tmpfile)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), SCMP_SYS(open), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, tmpfile_bit, tmpfile_bit));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

#endif
