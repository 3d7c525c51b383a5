/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>

#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>

#include <clonekit/abi.h>

#include "../support.h"

static const struct ck_arch_info *arch(enum ck_arch a)
{
	const struct ck_arch_info *info = ck_arch_at((size_t)a);
	cr_assert_not_null(info);
	cr_assert_eq(info->arch, a);
	return info;
}

Test(abi, table_has_one_row_per_arch_in_enum_order)
{
	cr_assert_eq(ck_arch_count(), (size_t)CK_ARCH__COUNT);
	for (size_t i = 0; i < ck_arch_count(); i++)
		cr_assert_eq(ck_arch_at(i)->arch, (enum ck_arch)i);
	errno = 0;
	cr_assert_null(ck_arch_at(ck_arch_count()));
	cr_assert_eq(errno, ENOENT);
}

Test(abi, every_number_is_positive_or_absent)
{
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);
		for (int n = 0; n < CK_NR__COUNT; n++)
			cr_assert(a->nr[n] == -1 || a->nr[n] > 0, "%s %s = %d",
				  a->name, ck_nr_name(n), a->nr[n]);
	}
}

Test(abi, aarch64_clone_is_220)
{
	cr_assert_eq(ck_sysno(CK_ARCH_AARCH64, CK_NR_CLONE), 220);
}

Test(abi, i386_clone_is_120)
{
	cr_assert_eq(ck_sysno(CK_ARCH_I386, CK_NR_CLONE), 120);
}

Test(abi, x86_64_clone3_is_435)
{
	cr_assert_eq(ck_sysno(CK_ARCH_X86_64, CK_NR_CLONE3), 435);
}

Test(abi, x32_numbers_carry_the_x32_bit)
{
	cr_assert_eq(arch(CK_ARCH_X32)->syscall_bit, 0x40000000u);
	cr_assert_eq(ck_sysno(CK_ARCH_X32, CK_NR_CLONE), 0x40000000 | 56);
	cr_assert_eq(ck_sysno(CK_ARCH_X32, CK_NR_CLONE3), 0x40000000 | 435);
	for (int n = 0; n < CK_NR__COUNT; n++)
		cr_assert_eq(ck_sysno(CK_ARCH_X32, n),
			     0x40000000 | ck_sysno(CK_ARCH_X86_64, n));
}

Test(abi, exact_numbers_of_every_arch)
{
	static const struct {
		enum ck_arch arch;
		int nr[CK_NR__COUNT]; /* clone, clone3, fork, vfork, unshare, setns */
	} want[] = {
		{ CK_ARCH_X86_64, { 56, 435, 57, 58, 272, 308 } },
		{ CK_ARCH_I386, { 120, 435, 2, 190, 310, 346 } },
		{ CK_ARCH_X32, { 0x40000038, 0x400001b3, 0x40000039, 0x4000003a, 0x40000110, 0x40000134 } },
		{ CK_ARCH_AARCH64, { 220, 435, -ENOSYS, -ENOSYS, 97, 268 } },
		{ CK_ARCH_ARM, { 120, 435, 2, 190, 337, 375 } },
		{ CK_ARCH_RISCV64, { 220, 435, -ENOSYS, -ENOSYS, 97, 268 } },
		{ CK_ARCH_S390X, { 120, 435, 2, 190, 303, 339 } },
		{ CK_ARCH_PPC64LE, { 120, 435, 2, 189, 282, 350 } },
		{ CK_ARCH_MIPS64_N64, { 5055, 5435, 5056, -ENOSYS, 5262, 5303 } },
	};

	cr_assert_eq(sizeof(want) / sizeof(want[0]), (size_t)CK_ARCH__COUNT);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (int n = 0; n < CK_NR__COUNT; n++)
			cr_assert_eq(ck_sysno(want[i].arch, n), want[i].nr[n], "%s %s: %d, want %d",
				     arch(want[i].arch)->name, ck_nr_name(n),
				     ck_sysno(want[i].arch, n), want[i].nr[n]);
}

Test(abi, aarch64_has_no_fork)
{
	cr_assert_eq(ck_sysno(CK_ARCH_AARCH64, CK_NR_FORK), -ENOSYS);
	cr_assert_eq(ck_sysno(CK_ARCH_AARCH64, CK_NR_VFORK), -ENOSYS);
	cr_assert_eq(arch(CK_ARCH_AARCH64)->nr[CK_NR_FORK], -1);
}

Test(abi, riscv64_has_no_fork)
{
	cr_assert_eq(ck_sysno(CK_ARCH_RISCV64, CK_NR_FORK), -ENOSYS);
	cr_assert_eq(ck_sysno(CK_ARCH_RISCV64, CK_NR_VFORK), -ENOSYS);
}

Test(abi, mips64_n64_has_fork_but_no_vfork)
{
	cr_assert_eq(ck_sysno(CK_ARCH_MIPS64_N64, CK_NR_FORK), 5056);
	cr_assert_eq(ck_sysno(CK_ARCH_MIPS64_N64, CK_NR_VFORK), -ENOSYS);
}

Test(abi, sysno_rejects_out_of_range_arguments)
{
	cr_assert_eq(ck_sysno(CK_ARCH__COUNT, CK_NR_CLONE), -EINVAL);
	cr_assert_eq(ck_sysno(CK_ARCH_X86_64, CK_NR__COUNT), -EINVAL);
	cr_assert_eq(ck_sysno((enum ck_arch)-1, CK_NR_CLONE), -EINVAL);
	cr_assert_eq(ck_sysno_lookup(CK_ARCH__COUNT, 56, NULL), -EINVAL);
}

Test(abi, audit_arch_values_match_linux_audit_h)
{
	static const struct {
		enum ck_arch arch;
		uint32_t value;
		const char *name;
	} want[] = {
		{ CK_ARCH_X86_64, AUDIT_ARCH_X86_64, "AUDIT_ARCH_X86_64" },
		{ CK_ARCH_I386, AUDIT_ARCH_I386, "AUDIT_ARCH_I386" },
		{ CK_ARCH_X32, AUDIT_ARCH_X86_64, "AUDIT_ARCH_X86_64" },
		{ CK_ARCH_AARCH64, AUDIT_ARCH_AARCH64, "AUDIT_ARCH_AARCH64" },
		{ CK_ARCH_ARM, AUDIT_ARCH_ARM, "AUDIT_ARCH_ARM" },
		{ CK_ARCH_RISCV64, AUDIT_ARCH_RISCV64, "AUDIT_ARCH_RISCV64" },
		{ CK_ARCH_S390X, AUDIT_ARCH_S390X, "AUDIT_ARCH_S390X" },
		{ CK_ARCH_PPC64LE, AUDIT_ARCH_PPC64LE, "AUDIT_ARCH_PPC64LE" },
		{ CK_ARCH_MIPS64_N64, AUDIT_ARCH_MIPSEL64, "AUDIT_ARCH_MIPSEL64" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ck_arch_info *a = arch(want[i].arch);
		cr_assert_eq(a->audit_arch, want[i].value, "%s: %#x", a->name, a->audit_arch);
		cr_assert_str_eq(a->audit_arch_name, want[i].name);
	}
	cr_assert_eq(arch(CK_ARCH_X86_64)->audit_arch, 0xc000003e);
	cr_assert_eq(arch(CK_ARCH_AARCH64)->audit_arch, 0xc00000b7);
	cr_assert_eq(arch(CK_ARCH_MIPS64_N64)->audit_arch, 0xc0000008);
}

Test(abi, bits_follow_the_abi)
{
	cr_assert_eq(arch(CK_ARCH_X86_64)->bits, 64);
	cr_assert_eq(arch(CK_ARCH_I386)->bits, 32);
	cr_assert_eq(arch(CK_ARCH_X32)->bits, 32);
	cr_assert_eq(arch(CK_ARCH_ARM)->bits, 32);
	cr_assert_eq(arch(CK_ARCH_S390X)->bits, 64);
	for (size_t i = 0; i < ck_arch_count(); i++)
		cr_assert(ck_arch_at(i)->note && ck_arch_at(i)->note[0]);
}

Test(abi, clone_order_of_every_arch)
{
	static const enum ck_clone_order want[CK_ARCH__COUNT] = {
		[CK_ARCH_X86_64] = CK_CLONE_ORDER_DEFAULT,
		[CK_ARCH_I386] = CK_CLONE_ORDER_BACKWARDS,
		[CK_ARCH_X32] = CK_CLONE_ORDER_DEFAULT,
		[CK_ARCH_AARCH64] = CK_CLONE_ORDER_BACKWARDS,
		[CK_ARCH_ARM] = CK_CLONE_ORDER_BACKWARDS,
		[CK_ARCH_RISCV64] = CK_CLONE_ORDER_BACKWARDS,
		[CK_ARCH_S390X] = CK_CLONE_ORDER_BACKWARDS2,
		[CK_ARCH_PPC64LE] = CK_CLONE_ORDER_BACKWARDS,
		[CK_ARCH_MIPS64_N64] = CK_CLONE_ORDER_BACKWARDS,
	};

	for (int a = 0; a < CK_ARCH__COUNT; a++)
		cr_assert_eq(arch(a)->clone_order, want[a], "%s", arch(a)->name);
}

Test(abi, s390x_takes_the_stack_first_and_flags_second)
{
	enum ck_clone_order o = arch(CK_ARCH_S390X)->clone_order;

	cr_assert_eq(o, CK_CLONE_ORDER_BACKWARDS2);
	cr_assert_eq(ck_clone_arg_index(o, CK_CLONE_ARG_FLAGS), 1);
	cr_assert_eq(ck_clone_arg_index(o, CK_CLONE_ARG_STACK), 0);
	cr_assert_eq(ck_clone_arg_index(o, CK_CLONE_ARG_PARENT_TID), 2);
	cr_assert_eq(ck_clone_arg_index(o, CK_CLONE_ARG_CHILD_TID), 3);
	cr_assert_eq(ck_clone_arg_index(o, CK_CLONE_ARG_TLS), 4);
}

Test(abi, backwards_swaps_tls_and_child_tid)
{
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_BACKWARDS, CK_CLONE_ARG_TLS), 3);
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_BACKWARDS, CK_CLONE_ARG_CHILD_TID), 4);
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_BACKWARDS, CK_CLONE_ARG_FLAGS), 0);
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_DEFAULT, CK_CLONE_ARG_CHILD_TID), 3);
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_DEFAULT, CK_CLONE_ARG_TLS), 4);
}

Test(abi, every_clone_order_is_a_permutation_of_five_positions)
{
	static const enum ck_clone_order orders[] = {
		CK_CLONE_ORDER_DEFAULT, CK_CLONE_ORDER_BACKWARDS, CK_CLONE_ORDER_BACKWARDS2,
	};

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		unsigned seen = 0;
		for (int arg = 0; arg < CK_CLONE_ARG__COUNT; arg++) {
			int pos = ck_clone_arg_index(orders[i], arg);
			cr_assert(pos >= 0 && pos < CK_CLONE_ARG__COUNT);
			seen |= 1u << pos;
		}
		cr_assert_eq(seen, 0x1fu);
	}
	cr_assert_eq(ck_clone_arg_index(CK_CLONE_ORDER_DEFAULT, CK_CLONE_ARG__COUNT), -EINVAL);
	cr_assert_eq(ck_clone_arg_index((enum ck_clone_order)3, CK_CLONE_ARG_FLAGS), -EINVAL);
}

Test(abi, order_and_argument_names)
{
	cr_assert_str_eq(ck_clone_order_name(CK_CLONE_ORDER_DEFAULT), "default");
	cr_assert_str_eq(ck_clone_order_name(CK_CLONE_ORDER_BACKWARDS), "CLONE_BACKWARDS");
	cr_assert_str_eq(ck_clone_order_name(CK_CLONE_ORDER_BACKWARDS2), "CLONE_BACKWARDS2");
	cr_assert_null(ck_clone_order_name((enum ck_clone_order)3));
	cr_assert_str_eq(ck_clone_arg_name(CK_CLONE_ARG_FLAGS), "flags");
	cr_assert_str_eq(ck_clone_arg_name(CK_CLONE_ARG_STACK), "stack");
	cr_assert_str_eq(ck_clone_arg_name(CK_CLONE_ARG_PARENT_TID), "parent_tid");
	cr_assert_str_eq(ck_clone_arg_name(CK_CLONE_ARG_CHILD_TID), "child_tid");
	cr_assert_str_eq(ck_clone_arg_name(CK_CLONE_ARG_TLS), "tls");
	cr_assert_null(ck_clone_arg_name(CK_CLONE_ARG__COUNT));
}

Test(abi, names_and_aliases_find_their_arch)
{
	static const struct {
		const char *name;
		enum ck_arch arch;
	} want[] = {
		{ "x86_64", CK_ARCH_X86_64 }, { "amd64", CK_ARCH_X86_64 },
		{ "x86-64", CK_ARCH_X86_64 }, { "AMD64", CK_ARCH_X86_64 },
		{ "i386", CK_ARCH_I386 }, { "i486", CK_ARCH_I386 },
		{ "i586", CK_ARCH_I386 }, { "i686", CK_ARCH_I386 },
		{ "x86", CK_ARCH_I386 }, { "x32", CK_ARCH_X32 },
		{ "aarch64", CK_ARCH_AARCH64 }, { "arm64", CK_ARCH_AARCH64 },
		{ "ARM64", CK_ARCH_AARCH64 }, { "arm", CK_ARCH_ARM },
		{ "armhf", CK_ARCH_ARM }, { "armel", CK_ARCH_ARM },
		{ "armv7", CK_ARCH_ARM }, { "armv7l", CK_ARCH_ARM },
		{ "riscv64", CK_ARCH_RISCV64 }, { "riscv", CK_ARCH_RISCV64 },
		{ "s390x", CK_ARCH_S390X }, { "s390", CK_ARCH_S390X },
		{ "ppc64le", CK_ARCH_PPC64LE }, { "ppc64el", CK_ARCH_PPC64LE },
		{ "powerpc64le", CK_ARCH_PPC64LE }, { "mips64el", CK_ARCH_MIPS64_N64 },
		{ "mips64", CK_ARCH_MIPS64_N64 }, { "mipsel64", CK_ARCH_MIPS64_N64 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ck_arch_info *a = ck_arch_by_name(want[i].name);
		cr_assert_not_null(a, "%s", want[i].name);
		cr_assert_eq(a->arch, want[i].arch, "%s -> %s", want[i].name, a->name);
	}
	for (size_t i = 0; i < ck_arch_count(); i++)
		cr_assert_eq(ck_arch_by_name(ck_arch_at(i)->name), ck_arch_at(i));
}

Test(abi, unknown_or_partial_arch_names_are_enoent)
{
	static const char *const bad[] = { "", "x86_6", "x86_644", "sparc64", "mips", "ppc64", "arm6" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		cr_assert_null(ck_arch_by_name(bad[i]), "'%s'", bad[i]);
		cr_assert_eq(errno, ENOENT);
	}
	errno = 0;
	cr_assert_null(ck_arch_by_name(NULL));
	cr_assert_eq(errno, EINVAL);
}

Test(abi, audit_lookup_finds_each_arch_and_prefers_x86_64_over_x32)
{
	for (size_t i = 0; i < ck_arch_count(); i++) {
		const struct ck_arch_info *a = ck_arch_at(i);
		const struct ck_arch_info *b = ck_arch_by_audit(a->audit_arch);
		cr_assert_not_null(b);
		if (a->arch == CK_ARCH_X32)
			cr_assert_eq(b->arch, CK_ARCH_X86_64);
		else
			cr_assert_eq(b, a, "%s", a->name);
	}
	errno = 0;
	cr_assert_null(ck_arch_by_audit(AUDIT_ARCH_MIPS64));
	cr_assert_eq(errno, ENOENT);
	errno = 0;
	cr_assert_null(ck_arch_by_audit(0));
	cr_assert_eq(errno, ENOENT);
}

Test(abi, nr_names_round_trip)
{
	static const char *const want[CK_NR__COUNT] = {
		"clone", "clone3", "fork", "vfork", "unshare", "setns",
	};

	for (int n = 0; n < CK_NR__COUNT; n++) {
		enum ck_nr got = CK_NR__COUNT;
		cr_assert_str_eq(ck_nr_name(n), want[n]);
		cr_assert_eq(ck_nr_parse(want[n], &got), 0);
		cr_assert_eq(got, (enum ck_nr)n);
	}
	cr_assert_null(ck_nr_name(CK_NR__COUNT));
	cr_assert_eq(ck_nr_parse("clone2", NULL), -EINVAL);
	cr_assert_eq(ck_nr_parse("clon", NULL), -EINVAL);
	cr_assert_eq(ck_nr_parse("", NULL), -EINVAL);
	cr_assert_eq(ck_nr_parse(NULL, NULL), -EINVAL);
}

Test(abi, sysno_lookup_round_trips_every_arch_and_call)
{
	for (int a = 0; a < CK_ARCH__COUNT; a++) {
		for (int n = 0; n < CK_NR__COUNT; n++) {
			int nr = ck_sysno(a, n);
			if (nr == -ENOSYS)
				continue;
			cr_assert_gt(nr, 0);
			enum ck_nr got = CK_NR__COUNT;
			cr_assert_eq(ck_sysno_lookup(a, nr, &got), 0, "%s %d", arch(a)->name, nr);
			cr_assert_eq(got, (enum ck_nr)n, "%s %d is %s, want %s", arch(a)->name,
				     nr, ck_nr_name(got), ck_nr_name(n));
		}
	}
}

Test(abi, sysno_lookup_of_other_numbers_is_enoent)
{
	enum ck_nr got = CK_NR_SETNS;

	cr_assert_eq(ck_sysno_lookup(CK_ARCH_X86_64, 0, &got), -ENOENT);
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_X86_64, -1, &got), -ENOENT);
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_X86_64, 59, &got), -ENOENT);
	cr_assert_eq(got, CK_NR_SETNS);
	/* x32 numbers are only the ones with the bit. */
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_X32, 56, NULL), -ENOENT);
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_X32, 0x40000000L | 56, &got), 0);
	cr_assert_eq(got, CK_NR_CLONE);
	/* mips n64 numbers are offset by 5000. */
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_MIPS64_N64, 55, NULL), -ENOENT);
	/* -1 marks an absent call and must never match. */
	cr_assert_eq(ck_sysno_lookup(CK_ARCH_AARCH64, -1, NULL), -ENOENT);
}

Test(abi, native_arch_matches_the_compiler)
{
	const struct ck_arch_info *n = ck_arch_native();

#if defined(__x86_64__) && !defined(__ILP32__)
	cr_assert_not_null(n);
	cr_assert_str_eq(n->name, "x86_64");
#elif defined(__x86_64__)
	cr_assert_str_eq(n->name, "x32");
#elif defined(__i386__)
	cr_assert_str_eq(n->name, "i386");
#elif defined(__aarch64__)
	cr_assert_str_eq(n->name, "aarch64");
#else
	if (n)
		cr_assert_eq(n->bits, sizeof(void *) * 8);
#endif
}

/*
 * The host's kernel headers are a second, independent copy of the x86
 * tables. They are parsed as text because unistd_32.h, unistd_64.h and
 * unistd_x32.h all define the same __NR_* names.
 */
static const char *find_header(const char *leaf, char *buf, size_t len)
{
	static const char *const dirs[] = {
		"/usr/include/x86_64-linux-gnu/asm",
		"/usr/include/i386-linux-gnu/asm",
		"/usr/include/x86_64-linux-gnux32/asm",
		"/usr/include/asm",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], leaf);
		FILE *f = fopen(buf, "re");
		if (f) {
			fclose(f);
			return buf;
		}
	}
	return NULL;
}

/* The value of __NR_<name> in a unistd_*.h, or -1 when it is not defined. */
static long header_nr(const char *path, const char *name)
{
	char line[256], want[64];
	long found = -1;
	FILE *f = fopen(path, "re");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	snprintf(want, sizeof(want), "__NR_%s", name);
	while (fgets(line, sizeof(line), f)) {
		char macro[64], rest[128];
		long v;

		if (sscanf(line, "#define %63s %127[^\n]", macro, rest) != 2 || strcmp(macro, want))
			continue;
		if (sscanf(rest, "(__X32_SYSCALL_BIT + %ld)", &v) == 1)
			found = 0x40000000L | v;
		else if (sscanf(rest, "%ld", &v) == 1)
			found = v;
		else
			cr_assert_fail("%s: cannot read '%s'", path, line);
		break;
	}
	fclose(f);
	return found;
}

static void cross_check(enum ck_arch a, const char *leaf)
{
	char path[256];

	if (!find_header(leaf, path, sizeof(path)))
		ck_skip_or_fail("no %s on this host (install linux-libc-dev)", leaf);
	for (int n = 0; n < CK_NR__COUNT; n++) {
		long want = header_nr(path, ck_nr_name(n));
		int got = ck_sysno(a, n);
		cr_assert_eq(got < 0 ? -1L : (long)got, want, "%s %s: table %d, %s %ld",
			     arch(a)->name, ck_nr_name(n), got, path, want);
	}
}

Test(abi, x86_64_numbers_match_host_unistd_64_h)
{
	cross_check(CK_ARCH_X86_64, "unistd_64.h");
}

Test(abi, i386_numbers_match_host_unistd_32_h)
{
	cross_check(CK_ARCH_I386, "unistd_32.h");
}

Test(abi, x32_numbers_match_host_unistd_x32_h)
{
	cross_check(CK_ARCH_X32, "unistd_x32.h");
}
