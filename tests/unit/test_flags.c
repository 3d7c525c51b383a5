/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The flag table, names, signals and kernel versions: pure logic. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <clonekit/flags.h>

#define CLONE_BIT CK_SYSCALL_BIT(CK_SYSCALL_CLONE)
#define CLONE3_BIT CK_SYSCALL_BIT(CK_SYSCALL_CLONE3)
#define UNSHARE_BIT CK_SYSCALL_BIT(CK_SYSCALL_UNSHARE)

/* The flags the issue and both seeds name, and the values <linux/sched.h> gives them. */
static const struct {
	const char *name;
	uint64_t value;
} expected[] = {
	{ "CLONE_NEWTIME", 0x80 },           { "CLONE_VM", 0x100 },
	{ "CLONE_FS", 0x200 },               { "CLONE_FILES", 0x400 },
	{ "CLONE_SIGHAND", 0x800 },          { "CLONE_PIDFD", 0x1000 },
	{ "CLONE_PTRACE", 0x2000 },          { "CLONE_VFORK", 0x4000 },
	{ "CLONE_PARENT", 0x8000 },          { "CLONE_THREAD", 0x10000 },
	{ "CLONE_NEWNS", 0x20000 },          { "CLONE_SYSVSEM", 0x40000 },
	{ "CLONE_SETTLS", 0x80000 },         { "CLONE_PARENT_SETTID", 0x100000 },
	{ "CLONE_CHILD_CLEARTID", 0x200000 }, { "CLONE_DETACHED", 0x400000 },
	{ "CLONE_UNTRACED", 0x800000 },      { "CLONE_CHILD_SETTID", 0x1000000 },
	{ "CLONE_NEWCGROUP", 0x2000000 },    { "CLONE_NEWUTS", 0x4000000 },
	{ "CLONE_NEWIPC", 0x8000000 },       { "CLONE_NEWUSER", 0x10000000 },
	{ "CLONE_NEWPID", 0x20000000 },      { "CLONE_NEWNET", 0x40000000 },
	{ "CLONE_IO", 0x80000000 },          { "CLONE_CLEAR_SIGHAND", 0x100000000 },
	{ "CLONE_INTO_CGROUP", 0x200000000 },
};

Test(flags, table_holds_exactly_the_kernel_flags_in_ascending_order)
{
	cr_assert_eq(ck_flag_count(), sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		cr_assert_str_eq(f->name, expected[i].name);
		cr_assert_eq(f->value, expected[i].value, "%s", f->name);
		cr_assert_eq(__builtin_popcountll(f->value), 1, "%s is not one bit", f->name);
		if (i > 0)
			cr_assert_gt(f->value, ck_flag_at(i - 1)->value);
	}
	cr_assert_null(ck_flag_at(ck_flag_count()));
}

Test(flags, every_flag_is_fully_described)
{
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		char upper[32];
		size_t n = strlen(f->short_name);
		for (size_t k = 0; k <= n; k++)
			upper[k] = (char)toupper((unsigned char)f->short_name[k]);
		cr_assert_str_eq(f->name + 6, upper, "%s short name %s", f->name, f->short_name);
		cr_assert_lt((int)f->group, CK_GROUP__COUNT);
		cr_assert_gt(strlen(f->purpose), 20, "%s", f->name);
		cr_assert_neq(f->since, 0, "%s", f->name);
		cr_assert_neq(f->accepted_by, 0, "%s", f->name);
	}
}

Test(flags, peios_notes_come_from_seed_002_where_it_has_them)
{
	for (size_t i = 0; i < ck_flag_count(); i++) {
		const struct ck_flag *f = ck_flag_at(i);
		bool seed_has_note = f->value != 0x2000 && f->value != 0x100000000;
		cr_assert_eq(f->peios != NULL, seed_has_note, "%s", f->name);
	}
	cr_assert_str_eq(ck_flag_by_value(0x1000)->peios,
			 "See Process Lifecycle. The pidfd is issued without a separate AccessCheck "
			 "\xe2\x80\x94 the parent always has authority over its newly-created child.");
	cr_assert_str_eq(ck_flag_by_value(0x10000)->peios,
			 "Branch point: shared primary token, independent impersonation per thread. "
			 "See Understanding the Thread Model.");
}

Test(flags, groups_follow_seed_002)
{
	cr_assert_eq(ck_flag_by_name("vm")->group, CK_GROUP_SHARING);
	cr_assert_eq(ck_flag_by_name("io")->group, CK_GROUP_SHARING);
	cr_assert_eq(ck_flag_by_name("newtime")->group, CK_GROUP_NAMESPACE);
	cr_assert_eq(ck_flag_by_name("pidfd")->group, CK_GROUP_TRACKING);
	cr_assert_eq(ck_flag_by_name("settls")->group, CK_GROUP_TRACKING);
	cr_assert_eq(ck_flag_by_name("vfork")->group, CK_GROUP_STRUCTURE);
	cr_assert_eq(ck_flag_by_name("into_cgroup")->group, CK_GROUP_STRUCTURE);
	cr_assert_eq(ck_flag_by_name("untraced")->group, CK_GROUP_TRACING);
	cr_assert_eq(ck_flag_by_name("detached")->group, CK_GROUP_HISTORICAL);
}

Test(flags, which_syscalls_accept_each_flag)
{
	/* kernel/fork.c: check_unshare_flags() */
	cr_assert_eq(ck_flags_known(CK_SYSCALL_UNSHARE),
		     0x10000 | 0x200 | 0x20000 | 0x800 | 0x100 | 0x400 | 0x40000 | 0x4000000 |
			     0x8000000 | 0x40000000 | 0x10000000 | 0x20000000 | 0x2000000 | 0x80);
	/* every bit of the low word above the signal byte */
	cr_assert_eq(ck_flags_known(CK_SYSCALL_CLONE), 0xffffff00);
	/* clone3_args_valid(): legacy flags minus DETACHED and CSIGNAL (but NEWTIME), plus two */
	cr_assert_eq(ck_flags_known(CK_SYSCALL_CLONE3), 0x3ffbfff80);
	cr_assert_eq(ck_flag_by_name("newtime")->accepted_by, CLONE3_BIT | UNSHARE_BIT);
	cr_assert_eq(ck_flag_by_name("detached")->accepted_by, CLONE_BIT);
	cr_assert_eq(ck_flag_by_name("into_cgroup")->accepted_by, CLONE3_BIT);
}

Test(flags, versions_follow_man_pages_history)
{
	static const struct { const char *n; uint32_t v; } since[] = {
		{ "vm", CK_KERNEL_VERSION(2, 0, 0) },        { "ptrace", CK_KERNEL_VERSION(2, 2, 0) },
		{ "parent", CK_KERNEL_VERSION(2, 3, 12) },   { "thread", CK_KERNEL_VERSION(2, 4, 0) },
		{ "newns", CK_KERNEL_VERSION(2, 4, 19) },    { "sysvsem", CK_KERNEL_VERSION(2, 5, 10) },
		{ "settls", CK_KERNEL_VERSION(2, 5, 32) },   { "untraced", CK_KERNEL_VERSION(2, 5, 46) },
		{ "child_settid", CK_KERNEL_VERSION(2, 5, 49) },
		{ "newuts", CK_KERNEL_VERSION(2, 6, 19) },   { "newuser", CK_KERNEL_VERSION(2, 6, 23) },
		{ "newpid", CK_KERNEL_VERSION(2, 6, 24) },   { "newnet", CK_KERNEL_VERSION(2, 6, 24) },
		{ "io", CK_KERNEL_VERSION(2, 6, 25) },       { "newcgroup", CK_KERNEL_VERSION(4, 6, 0) },
		{ "pidfd", CK_KERNEL_VERSION(5, 2, 0) },     { "clear_sighand", CK_KERNEL_VERSION(5, 5, 0) },
		{ "newtime", CK_KERNEL_VERSION(5, 6, 0) },   { "into_cgroup", CK_KERNEL_VERSION(5, 7, 0) },
	};
	for (size_t i = 0; i < sizeof(since) / sizeof(since[0]); i++)
		cr_assert_eq(ck_flag_by_name(since[i].n)->since, since[i].v, "%s", since[i].n);
	cr_assert_eq(ck_flag_by_name("newuser")->unshare_since, CK_KERNEL_VERSION(3, 8, 0));
	cr_assert_eq(ck_flag_by_name("sysvsem")->unshare_since, CK_KERNEL_VERSION(2, 6, 26));
	cr_assert_eq(ck_flag_by_name("pidfd")->unshare_since, 0);
}

Test(flags, lookup_by_any_spelling)
{
	cr_assert_eq(ck_flag_by_name("CLONE_NEWUSER")->value, 0x10000000);
	cr_assert_eq(ck_flag_by_name("clone_newuser")->value, 0x10000000);
	cr_assert_eq(ck_flag_by_name("NewUser")->value, 0x10000000);
	cr_assert_eq(ck_flag_by_name("user")->value, 0x10000000);
	cr_assert_eq(ck_flag_by_name("mnt")->value, 0x20000);
	cr_assert_eq(ck_flag_by_name("pid")->value, 0x20000000);
	cr_assert_eq(ck_flag_by_name("pidfd")->value, 0x1000);
	errno = 0;
	cr_assert_null(ck_flag_by_name("CLONE_"));
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(ck_flag_by_name("newusr"));
	cr_assert_null(ck_flag_by_name(NULL));
	cr_assert_null(ck_flag_by_value(0x3));
	cr_assert_eq(ck_flag_by_value(0x800)->value, 0x800);
}

Test(flags, signal_names_as_strace_prints_them)
{
	char b[16];
	cr_assert_str_eq(ck_signal_name(17, b, sizeof(b)), "SIGCHLD");
	cr_assert_str_eq(ck_signal_name(9, b, sizeof(b)), "SIGKILL");
	cr_assert_str_eq(ck_signal_name(29, b, sizeof(b)), "SIGIO");
	cr_assert_str_eq(ck_signal_name(31, b, sizeof(b)), "SIGSYS");
	cr_assert_str_eq(ck_signal_name(32, b, sizeof(b)), "SIGRTMIN");
	cr_assert_str_eq(ck_signal_name(33, b, sizeof(b)), "SIGRT_1");
	cr_assert_str_eq(ck_signal_name(64, b, sizeof(b)), "SIGRT_32");
	cr_assert_str_eq(ck_signal_name(65, b, sizeof(b)), "65");
	cr_assert_str_eq(ck_signal_name(0, b, sizeof(b)), "0");
}

Test(flags, signal_parse_accepts_names_aliases_and_numbers)
{
	static const struct { const char *s; unsigned v; } ok[] = {
		{ "SIGCHLD", 17 }, { "sigchld", 17 }, { "CHLD", 17 }, { "SIGCLD", 17 },
		{ "SIGIOT", 6 },   { "SIGRTMIN", 32 }, { "SIGRTMIN+3", 35 }, { "SIGRTMAX", 64 },
		{ "SIGRTMAX-1", 63 }, { "SIGRT_5", 37 }, { "17", 17 }, { "0", 0 }, { "255", 255 },
	};
	unsigned v;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(ck_signal_parse(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_assert_eq(v, ok[i].v, "%s", ok[i].s);
	}
	cr_assert_eq(ck_signal_parse("SIGFOO", &v), -EINVAL);
	cr_assert_eq(ck_signal_parse("256", &v), -EINVAL);
	cr_assert_eq(ck_signal_parse("SIGRTMIN+40", &v), -EINVAL);
	cr_assert_eq(ck_signal_parse("", &v), -EINVAL);
	cr_assert_eq(ck_signal_parse(NULL, &v), -EINVAL);
}

Test(flags, kernel_versions_parse_and_format)
{
	uint32_t v;
	char b[16];
	cr_assert_eq(ck_kernel_version_parse("6.18.44-fc-v669", &v), 0);
	cr_assert_eq(v, CK_KERNEL_VERSION(6, 18, 44));
	cr_assert_eq(ck_kernel_version_parse("5.3", &v), 0);
	cr_assert_eq(v, CK_KERNEL_VERSION(5, 3, 0));
	cr_assert_eq(ck_kernel_version_parse("2.6.24", &v), 0);
	cr_assert_str_eq(ck_kernel_version_format(v, b, sizeof(b)), "2.6.24");
	cr_assert_str_eq(ck_kernel_version_format(CK_KERNEL_VERSION(6, 9, 0), b, sizeof(b)), "6.9");
	cr_assert_eq(ck_kernel_version_parse("6", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("six.1", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("6.x", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("6.1.2.3", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("6.300", &v), -EINVAL);
	cr_assert_gt(ck_kernel_version_running(), CK_KERNEL_VERSION(2, 6, 0));
}

Test(flags, syscall_and_group_names)
{
	enum ck_syscall sc;
	cr_assert_str_eq(ck_syscall_name(CK_SYSCALL_CLONE3), "clone3");
	cr_assert_eq(ck_syscall_parse("unshare", &sc), 0);
	cr_assert_eq(sc, CK_SYSCALL_UNSHARE);
	cr_assert_eq(ck_syscall_parse("fork", &sc), -EINVAL);
	cr_assert_str_eq(ck_flag_group_name(CK_GROUP_HISTORICAL), "historical");
}
