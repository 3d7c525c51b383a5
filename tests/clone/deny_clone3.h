/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A seccomp filter that answers clone3 with ENOSYS, as a kernel before 5.3
 * or Docker's default profile does, and allows everything else: what
 * ck_clone3's fallback to clone is tested under.
 */
#ifndef CK_TEST_DENY_CLONE3_H
#define CK_TEST_DENY_CLONE3_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define DENY_CLONE3_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define DENY_CLONE3_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define DENY_CLONE3_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef DENY_CLONE3_AUDIT_ARCH
/*
 * Installs the filter on the calling process for good (no_new_privs too): 0
 * or -errno. With deny_handler_installs, rt_sigaction that installs a
 * handler (act != NULL) fails with EPERM too: a child that must reset its
 * handlers itself (no CLONE_CLEAR_SIGHAND without clone3) cannot.
 */
static inline int deny_clone3_and(bool deny_handler_installs)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DENY_CLONE3_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigaction, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };

	if (!deny_handler_installs)
		insns[6] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -errno;
	return 0;
}

/* clone3 answers ENOSYS, everything else is allowed. */
static inline int deny_clone3(void)
{
	return deny_clone3_and(false);
}
#endif

#endif
