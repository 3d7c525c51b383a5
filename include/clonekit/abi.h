/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit abi: per-architecture facts about process creation — the
 * AUDIT_ARCH value seccomp filters match, the syscall numbers of clone,
 * clone3, fork, vfork, unshare and setns, and the order in which the raw
 * clone syscall takes its arguments.
 */
#ifndef CLONEKIT_ABI_H
#define CLONEKIT_ABI_H

#include <stddef.h>
#include <stdint.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ck_arch {
	CK_ARCH_X86_64,
	CK_ARCH_I386,
	CK_ARCH_X32,
	CK_ARCH_AARCH64,
	CK_ARCH_ARM,        /* 32-bit ARM, EABI */
	CK_ARCH_RISCV64,
	CK_ARCH_S390X,
	CK_ARCH_PPC64LE,
	CK_ARCH_MIPS64_N64, /* little-endian mips64el, n64 ABI */
	CK_ARCH__COUNT
};

/* The process-creation syscalls the ABI table numbers. */
enum ck_nr {
	CK_NR_CLONE,
	CK_NR_CLONE3,
	CK_NR_FORK,
	CK_NR_VFORK,
	CK_NR_UNSHARE,
	CK_NR_SETNS,
	CK_NR__COUNT
};

/* How the raw clone syscall orders its arguments (kernel/fork.c). */
enum ck_clone_order {
	CK_CLONE_ORDER_DEFAULT,    /* flags, stack, parent_tid, child_tid, tls */
	CK_CLONE_ORDER_BACKWARDS,  /* flags, stack, parent_tid, tls, child_tid */
	CK_CLONE_ORDER_BACKWARDS2, /* stack, flags, parent_tid, child_tid, tls */
};

/* The five arguments of the raw clone syscall, by meaning. */
enum ck_clone_arg {
	CK_CLONE_ARG_FLAGS,
	CK_CLONE_ARG_STACK,
	CK_CLONE_ARG_PARENT_TID,
	CK_CLONE_ARG_CHILD_TID,
	CK_CLONE_ARG_TLS,
	CK_CLONE_ARG__COUNT
};

struct ck_arch_info {
	enum ck_arch arch;
	const char *name;            /* "x86_64" */
	const char *audit_arch_name; /* "AUDIT_ARCH_X86_64" */
	uint32_t audit_arch;         /* 0xc000003e */
	uint32_t syscall_bit;        /* ORed into every number: 0x40000000 on x32 */
	int nr[CK_NR__COUNT];        /* full syscall number (with syscall_bit); -1 where absent */
	enum ck_clone_order clone_order;
	unsigned bits;               /* 32 or 64 */
	const char *note;            /* one line on the ABI's peculiarities */
};

CK_API size_t ck_arch_count(void);
/* The i-th architecture (enum ck_arch order), NULL past the end. */
CK_API const struct ck_arch_info *ck_arch_at(size_t i);
/*
 * By name, case-insensitive, including common aliases ("amd64", "i686",
 * "x86", "arm64", "armhf", "armel", "riscv", "s390", "ppc64el",
 * "mips64el"). NULL (errno ENOENT) when unknown.
 */
CK_API const struct ck_arch_info *ck_arch_by_name(const char *name);
/* By AUDIT_ARCH value; NULL (errno ENOENT) when none matches. */
CK_API const struct ck_arch_info *ck_arch_by_audit(uint32_t audit_arch);
/* The architecture this library was compiled for; NULL if not in the table. */
CK_API const struct ck_arch_info *ck_arch_native(void);

/* "clone", "clone3", "fork", "vfork", "unshare", "setns". */
CK_API const char *ck_nr_name(enum ck_nr nr);
/* The inverse of ck_nr_name; -EINVAL when unknown. */
CK_API int ck_nr_parse(const char *name, enum ck_nr *out);
/* The syscall number, or -ENOSYS where the architecture has no such call. */
CK_API int ck_sysno(enum ck_arch arch, enum ck_nr nr);
/*
 * Which syscall a number is on an architecture: 0 and *out set, or
 * -ENOENT when the number is none of the calls this table knows.
 */
CK_API int ck_sysno_lookup(enum ck_arch arch, long number, enum ck_nr *out);

/* The position (0-based) of a clone argument in the raw syscall. */
CK_API int ck_clone_arg_index(enum ck_clone_order order, enum ck_clone_arg arg);
/* "default", "CLONE_BACKWARDS", "CLONE_BACKWARDS2". */
CK_API const char *ck_clone_order_name(enum ck_clone_order order);
/* "flags", "stack", "parent_tid", "child_tid", "tls". */
CK_API const char *ck_clone_arg_name(enum ck_clone_arg arg);

#ifdef __cplusplus
}
#endif

#endif
