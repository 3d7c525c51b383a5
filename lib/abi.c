/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ABI table: per architecture, the AUDIT_ARCH value, the numbers of the
 * process-creation syscalls and the order of the raw clone arguments.
 */
#include <clonekit/abi.h>

#include <errno.h>
#include <string.h>

#include "internal/util.h"

#define X32_SYSCALL_BIT 0x40000000u

#define NR(clone, clone3, fork, vfork, unshare, setns) {		\
	[CK_NR_CLONE] = (clone), [CK_NR_CLONE3] = (clone3),		\
	[CK_NR_FORK] = (fork), [CK_NR_VFORK] = (vfork),		\
	[CK_NR_UNSHARE] = (unshare), [CK_NR_SETNS] = (setns) }

#define X32(n) ((int)(X32_SYSCALL_BIT | (n)))

/*
 * Every value below was read from the kernel sources (torvalds/linux):
 *   numbers   arch/x86/entry/syscalls/syscall_64.tbl (x86_64, and x32 with
 *             __X32_SYSCALL_BIT), syscall_32.tbl (i386),
 *             arch/arm/tools/syscall.tbl, arch/s390/kernel/syscalls/syscall.tbl,
 *             arch/powerpc/kernel/syscalls/syscall.tbl,
 *             arch/mips/kernel/syscalls/syscall_n64.tbl plus __NR_Linux 5000
 *             from arch/mips/include/uapi/asm/unistd.h,
 *             include/uapi/asm-generic/unistd.h (aarch64, riscv64);
 *   audit     include/uapi/linux/audit.h with include/uapi/linux/elf-em.h;
 *   order     "select CLONE_BACKWARDS[2]" in arch/{x86,arm,arm64,riscv,s390,
 *             powerpc,mips}/Kconfig, the clone definitions in kernel/fork.c,
 *             and ia32_clone in arch/x86/kernel/sys_ia32.c for i386 on x86_64.
 */
static const struct ck_arch_info arch_table[] = {
	[CK_ARCH_X86_64] = {
		.arch = CK_ARCH_X86_64,
		.name = "x86_64",
		.audit_arch_name = "AUDIT_ARCH_X86_64",
		.audit_arch = 0xc000003e,
		.syscall_bit = 0,
		.nr = NR(56, 435, 57, 58, 272, 308),
		.clone_order = CK_CLONE_ORDER_DEFAULT,
		.bits = 64,
		.note = "Default clone order, shared only with x32; fork and vfork are real syscalls.",
	},
	[CK_ARCH_I386] = {
		.arch = CK_ARCH_I386,
		.name = "i386",
		.audit_arch_name = "AUDIT_ARCH_I386",
		.audit_arch = 0x40000003,
		.syscall_bit = 0,
		.nr = NR(120, 435, 2, 190, 310, 346),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 32,
		.note = "CLONE_BACKWARDS, also through the ia32 compat entry of an x86_64 kernel.",
	},
	[CK_ARCH_X32] = {
		.arch = CK_ARCH_X32,
		.name = "x32",
		.audit_arch_name = "AUDIT_ARCH_X86_64",
		.audit_arch = 0xc000003e,
		.syscall_bit = X32_SYSCALL_BIT,
		.nr = NR(X32(56), X32(435), X32(57), X32(58), X32(272), X32(308)),
		.clone_order = CK_CLONE_ORDER_DEFAULT,
		.bits = 32,
		.note = "Shares AUDIT_ARCH_X86_64: a seccomp filter tells x32 apart only by the 0x40000000 bit in the number.",
	},
	[CK_ARCH_AARCH64] = {
		.arch = CK_ARCH_AARCH64,
		.name = "aarch64",
		.audit_arch_name = "AUDIT_ARCH_AARCH64",
		.audit_arch = 0xc00000b7,
		.syscall_bit = 0,
		.nr = NR(220, 435, -1, -1, 97, 268),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 64,
		.note = "asm-generic table: no fork or vfork, libc builds both from clone; CLONE_BACKWARDS.",
	},
	[CK_ARCH_ARM] = {
		.arch = CK_ARCH_ARM,
		.name = "arm",
		.audit_arch_name = "AUDIT_ARCH_ARM",
		.audit_arch = 0x40000028,
		.syscall_bit = 0,
		.nr = NR(120, 435, 2, 190, 337, 375),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 32,
		.note = "EABI numbering (little-endian); CLONE_BACKWARDS.",
	},
	[CK_ARCH_RISCV64] = {
		.arch = CK_ARCH_RISCV64,
		.name = "riscv64",
		.audit_arch_name = "AUDIT_ARCH_RISCV64",
		.audit_arch = 0xc00000f3,
		.syscall_bit = 0,
		.nr = NR(220, 435, -1, -1, 97, 268),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 64,
		.note = "asm-generic table like aarch64: no fork or vfork; CLONE_BACKWARDS.",
	},
	[CK_ARCH_S390X] = {
		.arch = CK_ARCH_S390X,
		.name = "s390x",
		.audit_arch_name = "AUDIT_ARCH_S390X",
		.audit_arch = 0x80000016,
		.syscall_bit = 0,
		.nr = NR(120, 435, 2, 190, 303, 339),
		.clone_order = CK_CLONE_ORDER_BACKWARDS2,
		.bits = 64,
		.note = "CLONE_BACKWARDS2: the stack comes before the flags; big-endian.",
	},
	[CK_ARCH_PPC64LE] = {
		.arch = CK_ARCH_PPC64LE,
		.name = "ppc64le",
		.audit_arch_name = "AUDIT_ARCH_PPC64LE",
		.audit_arch = 0xc0000015,
		.syscall_bit = 0,
		.nr = NR(120, 435, 2, 189, 282, 350),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 64,
		.note = "vfork is 189, not 190 as on i386 and arm; CLONE_BACKWARDS.",
	},
	[CK_ARCH_MIPS64_N64] = {
		.arch = CK_ARCH_MIPS64_N64,
		.name = "mips64el",
		.audit_arch_name = "AUDIT_ARCH_MIPSEL64",
		.audit_arch = 0xc0000008,
		.syscall_bit = 0,
		.nr = NR(5055, 5435, 5056, -1, 5262, 5303),
		.clone_order = CK_CLONE_ORDER_BACKWARDS,
		.bits = 64,
		.note = "n64 numbers start at 5000 (n32 and o32 differ); no vfork; CLONE_BACKWARDS.",
	},
};

_Static_assert(CK_ARRAY_SIZE(arch_table) == CK_ARCH__COUNT,
	       "one arch_table row per enum ck_arch");

static const struct {
	const char *alias;
	enum ck_arch arch;
} arch_aliases[] = {
	{ "amd64", CK_ARCH_X86_64 },
	{ "x86-64", CK_ARCH_X86_64 },
	{ "i486", CK_ARCH_I386 },
	{ "i586", CK_ARCH_I386 },
	{ "i686", CK_ARCH_I386 },
	{ "x86", CK_ARCH_I386 },
	{ "arm64", CK_ARCH_AARCH64 },
	{ "armhf", CK_ARCH_ARM },
	{ "armel", CK_ARCH_ARM },
	{ "armv7", CK_ARCH_ARM },
	{ "armv7l", CK_ARCH_ARM },
	{ "riscv", CK_ARCH_RISCV64 },
	{ "s390", CK_ARCH_S390X },
	{ "ppc64el", CK_ARCH_PPC64LE },
	{ "powerpc64le", CK_ARCH_PPC64LE },
	{ "mips64", CK_ARCH_MIPS64_N64 },
	{ "mipsel64", CK_ARCH_MIPS64_N64 },
};

static const char *const nr_names[] = {
	[CK_NR_CLONE] = "clone",
	[CK_NR_CLONE3] = "clone3",
	[CK_NR_FORK] = "fork",
	[CK_NR_VFORK] = "vfork",
	[CK_NR_UNSHARE] = "unshare",
	[CK_NR_SETNS] = "setns",
};

_Static_assert(CK_ARRAY_SIZE(nr_names) == CK_NR__COUNT, "one name per enum ck_nr");

static const char *const order_names[] = {
	[CK_CLONE_ORDER_DEFAULT] = "default",
	[CK_CLONE_ORDER_BACKWARDS] = "CLONE_BACKWARDS",
	[CK_CLONE_ORDER_BACKWARDS2] = "CLONE_BACKWARDS2",
};

static const char *const arg_names[] = {
	[CK_CLONE_ARG_FLAGS] = "flags",
	[CK_CLONE_ARG_STACK] = "stack",
	[CK_CLONE_ARG_PARENT_TID] = "parent_tid",
	[CK_CLONE_ARG_CHILD_TID] = "child_tid",
	[CK_CLONE_ARG_TLS] = "tls",
};

_Static_assert(CK_ARRAY_SIZE(arg_names) == CK_CLONE_ARG__COUNT, "one name per enum ck_clone_arg");

/* The SYSCALL_DEFINE5(clone, ...) variants of kernel/fork.c. */
static const unsigned char clone_arg_pos[][CK_CLONE_ARG__COUNT] = {
	[CK_CLONE_ORDER_DEFAULT] = {
		[CK_CLONE_ARG_FLAGS] = 0, [CK_CLONE_ARG_STACK] = 1,
		[CK_CLONE_ARG_PARENT_TID] = 2, [CK_CLONE_ARG_CHILD_TID] = 3,
		[CK_CLONE_ARG_TLS] = 4,
	},
	[CK_CLONE_ORDER_BACKWARDS] = {
		[CK_CLONE_ARG_FLAGS] = 0, [CK_CLONE_ARG_STACK] = 1,
		[CK_CLONE_ARG_PARENT_TID] = 2, [CK_CLONE_ARG_TLS] = 3,
		[CK_CLONE_ARG_CHILD_TID] = 4,
	},
	[CK_CLONE_ORDER_BACKWARDS2] = {
		[CK_CLONE_ARG_STACK] = 0, [CK_CLONE_ARG_FLAGS] = 1,
		[CK_CLONE_ARG_PARENT_TID] = 2, [CK_CLONE_ARG_CHILD_TID] = 3,
		[CK_CLONE_ARG_TLS] = 4,
	},
};

_Static_assert(CK_ARRAY_SIZE(clone_arg_pos) == CK_ARRAY_SIZE(order_names),
	       "one argument layout per clone order");

static bool name_is(const char *input, const char *name)
{
	return ck__strn_ieq(input, name, strlen(name));
}

size_t ck_arch_count(void)
{
	return CK_ARRAY_SIZE(arch_table);
}

const struct ck_arch_info *ck_arch_at(size_t i)
{
	if (i >= CK_ARRAY_SIZE(arch_table)) {
		errno = ENOENT;
		return NULL;
	}
	return &arch_table[i];
}

const struct ck_arch_info *ck_arch_by_name(const char *name)
{
	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < CK_ARRAY_SIZE(arch_table); i++)
		if (name_is(name, arch_table[i].name))
			return &arch_table[i];
	for (size_t i = 0; i < CK_ARRAY_SIZE(arch_aliases); i++)
		if (name_is(name, arch_aliases[i].alias))
			return &arch_table[arch_aliases[i].arch];
	errno = ENOENT;
	return NULL;
}

const struct ck_arch_info *ck_arch_by_audit(uint32_t audit_arch)
{
	/* x32 shares AUDIT_ARCH_X86_64; table order makes x86_64 the answer. */
	for (size_t i = 0; i < CK_ARRAY_SIZE(arch_table); i++)
		if (arch_table[i].audit_arch == audit_arch)
			return &arch_table[i];
	errno = ENOENT;
	return NULL;
}

const struct ck_arch_info *ck_arch_native(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
	return &arch_table[CK_ARCH_X32];
#elif defined(__x86_64__)
	return &arch_table[CK_ARCH_X86_64];
#elif defined(__i386__)
	return &arch_table[CK_ARCH_I386];
#elif defined(__aarch64__) && !defined(__AARCH64EB__) && !defined(__ILP32__)
	return &arch_table[CK_ARCH_AARCH64];
#elif defined(__arm__) && defined(__ARM_EABI__) && !defined(__ARMEB__)
	return &arch_table[CK_ARCH_ARM];
#elif defined(__riscv) && __riscv_xlen == 64
	return &arch_table[CK_ARCH_RISCV64];
#elif defined(__s390x__)
	return &arch_table[CK_ARCH_S390X];
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return &arch_table[CK_ARCH_PPC64LE];
#elif defined(__mips__) && defined(_MIPS_SIM) && _MIPS_SIM == _ABI64 && defined(__MIPSEL__)
	return &arch_table[CK_ARCH_MIPS64_N64];
#else
	/* Big-endian variants and other ABIs have their own AUDIT_ARCH values. */
	errno = ENOENT;
	return NULL;
#endif
}

const char *ck_nr_name(enum ck_nr nr)
{
	if ((unsigned)nr >= CK_NR__COUNT) {
		errno = EINVAL;
		return NULL;
	}
	return nr_names[nr];
}

int ck_nr_parse(const char *name, enum ck_nr *out)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < CK_ARRAY_SIZE(nr_names); i++) {
		if (name_is(name, nr_names[i])) {
			if (out)
				*out = (enum ck_nr)i;
			return 0;
		}
	}
	return -EINVAL;
}

int ck_sysno(enum ck_arch arch, enum ck_nr nr)
{
	if ((unsigned)arch >= CK_ARCH__COUNT || (unsigned)nr >= CK_NR__COUNT)
		return -EINVAL;
	if (arch_table[arch].nr[nr] < 0)
		return -ENOSYS;
	return arch_table[arch].nr[nr];
}

int ck_sysno_lookup(enum ck_arch arch, long number, enum ck_nr *out)
{
	if ((unsigned)arch >= CK_ARCH__COUNT)
		return -EINVAL;
	for (size_t i = 0; i < CK_NR__COUNT; i++) {
		int n = arch_table[arch].nr[i];
		if (n >= 0 && n == number) {
			if (out)
				*out = (enum ck_nr)i;
			return 0;
		}
	}
	return -ENOENT;
}

int ck_clone_arg_index(enum ck_clone_order order, enum ck_clone_arg arg)
{
	if ((unsigned)order >= CK_ARRAY_SIZE(clone_arg_pos) ||
	    (unsigned)arg >= CK_CLONE_ARG__COUNT)
		return -EINVAL;
	return clone_arg_pos[order][arg];
}

const char *ck_clone_order_name(enum ck_clone_order order)
{
	if ((unsigned)order >= CK_ARRAY_SIZE(order_names)) {
		errno = EINVAL;
		return NULL;
	}
	return order_names[order];
}

const char *ck_clone_arg_name(enum ck_clone_arg arg)
{
	if ((unsigned)arg >= CK_CLONE_ARG__COUNT) {
		errno = EINVAL;
		return NULL;
	}
	return arg_names[arg];
}
