/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure half of the enforcement table (lib/kacs/enforce_args.c): which
 * row a trapped (ABI, number) is, its arguments as each ABI's kernel entry
 * reads them, the processes a group or user argument names, the /proc and
 * ELF facts the rows read, Linux's own checks S reproduces, and the reason
 * the decision log gives.
 */
#include <criterion/criterion.h>

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/util.h"
#include "kacs/enforce.h"

static const uint64_t no_args[6];

static struct ck__kacs_trap decode_ok(uint32_t arch, int nr)
{
	struct ck__kacs_trap t;
	cr_assert_eq(ck__kacs_trap_decode(arch, nr, no_args, &t), 0, "arch %#x nr %d is no row", arch, nr);
	return t;
}

/* ---- Rows per ABI --------------------------------------------------------------------------- */

Test(kacs_enforce, native_numbers_are_those_of_sys_syscall_h)
{
	static const struct {
		int nr;
		enum ck__kacs_row row;
	} native[] = {
		{ SYS_kill, CK__ROW_KILL },
		{ SYS_tkill, CK__ROW_TKILL },
		{ SYS_tgkill, CK__ROW_TGKILL },
		{ SYS_rt_sigqueueinfo, CK__ROW_RT_SIGQUEUEINFO },
		{ SYS_rt_tgsigqueueinfo, CK__ROW_RT_TGSIGQUEUEINFO },
		{ SYS_ptrace, CK__ROW_PTRACE },
		{ SYS_process_vm_readv, CK__ROW_PROCESS_VM_READV },
		{ SYS_process_vm_writev, CK__ROW_PROCESS_VM_WRITEV },
		{ SYS_pidfd_open, CK__ROW_PIDFD_OPEN },
		{ SYS_pidfd_getfd, CK__ROW_PIDFD_GETFD },
		{ SYS_clone, CK__ROW_CLONE },
		{ SYS_fork, CK__ROW_FORK },
		{ SYS_vfork, CK__ROW_VFORK },
		{ SYS_execve, CK__ROW_EXECVE },
		{ SYS_execveat, CK__ROW_EXECVEAT },
		{ SYS_setpriority, CK__ROW_SETPRIORITY },
		{ SYS_ioprio_set, CK__ROW_IOPRIO_SET },
		{ SYS_ioprio_get, CK__ROW_IOPRIO_GET },
		{ SYS_sched_setscheduler, CK__ROW_SCHED_SETSCHEDULER },
		{ SYS_sched_setparam, CK__ROW_SCHED_SETPARAM },
		{ SYS_sched_setattr, CK__ROW_SCHED_SETATTR },
		{ SYS_sched_setaffinity, CK__ROW_SCHED_SETAFFINITY },
		{ SYS_sched_getscheduler, CK__ROW_SCHED_GETSCHEDULER },
		{ SYS_sched_getparam, CK__ROW_SCHED_GETPARAM },
		{ SYS_sched_getattr, CK__ROW_SCHED_GETATTR },
		{ SYS_sched_getaffinity, CK__ROW_SCHED_GETAFFINITY },
		{ SYS_sched_rr_get_interval, CK__ROW_SCHED_RR_GET_INTERVAL },
		{ SYS_prlimit64, CK__ROW_PRLIMIT64 },
		{ SYS_setpgid, CK__ROW_SETPGID },
		{ SYS_getpgid, CK__ROW_GETPGID },
		{ SYS_getsid, CK__ROW_GETSID },
		{ SYS_perf_event_open, CK__ROW_PERF_EVENT_OPEN },
		{ SYS_migrate_pages, CK__ROW_MIGRATE_PAGES },
		{ SYS_move_pages, CK__ROW_MOVE_PAGES },
		{ SYS_kcmp, CK__ROW_KCMP },
		{ SYS_prctl, CK__ROW_PRCTL },
	};
	bool seen[CK__ROW__COUNT] = { false };
	for (size_t i = 0; i < CK_ARRAY_SIZE(native); i++) {
		struct ck__kacs_trap t = decode_ok(AUDIT_ARCH_X86_64, native[i].nr);
		cr_expect_eq(t.row, native[i].row, "%s: row %d", ck__kacs_row_syscall(native[i].row), t.row);
		cr_expect_not(t.compat, "%s is a native entry", ck__kacs_row_syscall(native[i].row));
		cr_expect_eq(t.clone_flags_arg, 0);
		seen[native[i].row] = true;
	}
	/* every row but i386's time64 variant exists natively */
	for (unsigned r = 1; r < CK__ROW__COUNT; r++)
		cr_expect(seen[r] || r == CK__ROW_SCHED_RR_GET_INTERVAL_TIME64, "row %s has no native number here",
			  ck__kacs_row_syscall(r));
	struct ck__kacs_trap t;
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, SYS_getpid, no_args, &t), -ENOENT);
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, 1000, no_args, &t), -ENOENT, "KACS numbers are emulate.c's");
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, -1, no_args, &t), -ENOENT);
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_AARCH64, 129, no_args, &t), -ENOENT, "not an ABI of this host");
}

/* <asm/unistd_32.h> and <asm/unistd_x32.h> (which cannot share a file with <sys/syscall.h>). */
#define X32(n) (0x40000000 | (n))

Test(kacs_enforce, i386_and_x32_callers_reach_their_rows)
{
	static const struct {
		uint32_t arch;
		int nr;
		enum ck__kacs_row row;
		bool compat;
	} cases[] = {
		{ AUDIT_ARCH_I386, 37, CK__ROW_KILL, true },
		{ AUDIT_ARCH_I386, 238, CK__ROW_TKILL, true },
		{ AUDIT_ARCH_I386, 270, CK__ROW_TGKILL, true },
		{ AUDIT_ARCH_I386, 26, CK__ROW_PTRACE, true },
		{ AUDIT_ARCH_I386, 120, CK__ROW_CLONE, true },
		{ AUDIT_ARCH_I386, 2, CK__ROW_FORK, true },
		{ AUDIT_ARCH_I386, 190, CK__ROW_VFORK, true },
		{ AUDIT_ARCH_I386, 11, CK__ROW_EXECVE, true },
		{ AUDIT_ARCH_I386, 358, CK__ROW_EXECVEAT, true },
		{ AUDIT_ARCH_I386, 340, CK__ROW_PRLIMIT64, true },
		{ AUDIT_ARCH_I386, 161, CK__ROW_SCHED_RR_GET_INTERVAL, true },
		{ AUDIT_ARCH_I386, 423, CK__ROW_SCHED_RR_GET_INTERVAL_TIME64, true },
		{ AUDIT_ARCH_I386, 349, CK__ROW_KCMP, true },
		{ AUDIT_ARCH_I386, 336, CK__ROW_PERF_EVENT_OPEN, true },
		{ AUDIT_ARCH_I386, 172, CK__ROW_PRCTL, true },
		{ AUDIT_ARCH_I386, 434, CK__ROW_PIDFD_OPEN, true },
		{ AUDIT_ARCH_X86_64, X32(62), CK__ROW_KILL, false },
		{ AUDIT_ARCH_X86_64, X32(56), CK__ROW_CLONE, false },
		{ AUDIT_ARCH_X86_64, X32(302), CK__ROW_PRLIMIT64, false },
		{ AUDIT_ARCH_X86_64, X32(521), CK__ROW_PTRACE, true },
		{ AUDIT_ARCH_X86_64, X32(524), CK__ROW_RT_SIGQUEUEINFO, true },
		{ AUDIT_ARCH_X86_64, X32(536), CK__ROW_RT_TGSIGQUEUEINFO, true },
		{ AUDIT_ARCH_X86_64, X32(539), CK__ROW_PROCESS_VM_READV, true },
		{ AUDIT_ARCH_X86_64, X32(540), CK__ROW_PROCESS_VM_WRITEV, true },
		{ AUDIT_ARCH_X86_64, X32(533), CK__ROW_MOVE_PAGES, true },
		{ AUDIT_ARCH_X86_64, X32(520), CK__ROW_EXECVE, true },
		{ AUDIT_ARCH_X86_64, X32(545), CK__ROW_EXECVEAT, true },
	};
	for (size_t i = 0; i < CK_ARRAY_SIZE(cases); i++) {
		struct ck__kacs_trap t = decode_ok(cases[i].arch, cases[i].nr);
		cr_expect_eq(t.row, cases[i].row, "arch %#x nr %#x: row %s, not %s", cases[i].arch, cases[i].nr,
			     ck__kacs_row_syscall(t.row), ck__kacs_row_syscall(cases[i].row));
		cr_expect_eq(t.compat, cases[i].compat, "arch %#x nr %#x", cases[i].arch, cases[i].nr);
		cr_expect_eq(t.clone_flags_arg, 0, "CLONE_BACKWARDS keeps flags first");
	}
	struct ck__kacs_trap t;
	/* the 64-bit-only entries are none on x32: its ptrace is 521 */
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, X32(101), no_args, &t), -ENOENT);
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, X32(129), no_args, &t), -ENOENT);
	/* i386's 62 is ustat, not kill */
	cr_expect_eq(ck__kacs_trap_decode(AUDIT_ARCH_I386, 62, no_args, &t), -ENOENT);
}

Test(kacs_enforce, arguments_are_read_as_each_entry_reads_them)
{
	const uint64_t args[6] = { 0xffffffffu, UINT64_C(0x100000010), UINT64_C(0xdeadbeef00000000), 0x4206, 0, 0 };
	struct ck__kacs_trap native, i386, x32c;

	cr_assert_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, SYS_ptrace, args, &native), 0);
	cr_assert_eq(ck__kacs_trap_decode(AUDIT_ARCH_I386, 26, args, &i386), 0);
	cr_assert_eq(ck__kacs_trap_decode(AUDIT_ARCH_X86_64, X32(521), args, &x32c), 0);
	/* int and pid_t: the low 32 bits, signed, everywhere (kill(-1) as 0x00000000ffffffff from ia32) */
	cr_expect_eq(ck__kacs_trap_int(&native, 0), -1);
	cr_expect_eq(ck__kacs_trap_int(&i386, 0), -1);
	cr_expect_eq(ck__kacs_trap_int(&native, 1), 16);
	/* long: 64 bits natively (0x100000010 is no PTRACE_ATTACH), 32 through compat_sys_ptrace (it is) */
	cr_expect_eq(ck__kacs_trap_long(&native, 1), (long)UINT64_C(0x100000010));
	cr_expect_eq(ck__kacs_trap_long(&x32c, 1), 16);
	cr_expect_eq(ck__kacs_trap_long(&i386, 0), -1);
	cr_expect_eq(ck__kacs_trap_long(&native, 0), 0xffffffffL);
	/* pointers: a compat NULL is the low 32 bits; natively every bit counts */
	cr_expect_eq(ck__kacs_trap_ulong(&native, 2), UINT64_C(0xdeadbeef00000000));
	cr_expect_eq(ck__kacs_trap_ulong(&i386, 2), 0);
	cr_expect_eq(ck__kacs_trap_ulong(&x32c, 2), 0);
}

/* ---- Target sets --------------------------------------------------------------------------------- */

Test(kacs_enforce, kill_pid_names_one_a_group_or_all)
{
	struct ck__kacs_sel s;
	ck__kacs_sel_kill(1234, &s);
	cr_expect(s.kind == CK__SEL_ONE && s.id == 1234 && !s.own);
	ck__kacs_sel_kill(0, &s);
	cr_expect(s.kind == CK__SEL_PGRP && s.own);
	ck__kacs_sel_kill(-1, &s);
	cr_expect_eq(s.kind, CK__SEL_ALL);
	ck__kacs_sel_kill(-77, &s);
	cr_expect(s.kind == CK__SEL_PGRP && s.id == 77 && !s.own);
	ck__kacs_sel_kill(INT_MIN, &s);
	cr_expect_eq(s.kind, CK__SEL_NONE, "kill(INT_MIN) is ESRCH before any process");
}

Test(kacs_enforce, priority_which_and_who_per_call)
{
	static const struct {
		int which, who;
		bool ioprio;
		enum ck__kacs_sel_kind kind;
		bool own;
	} cases[] = {
		{ 0, 42, false, CK__SEL_ONE, false },  /* PRIO_PROCESS */
		{ 0, 0, false, CK__SEL_ONE, true },
		{ 1, 9, false, CK__SEL_PGRP, false },  /* PRIO_PGRP */
		{ 1, 0, false, CK__SEL_PGRP, true },   /* the caller's own group: trapped too */
		{ 2, 1000, false, CK__SEL_UID, false }, /* PRIO_USER */
		{ 2, 0, false, CK__SEL_UID, true },
		{ 3, 1, false, CK__SEL_NONE, false },
		{ -1, 1, false, CK__SEL_NONE, false },
		{ 1, 42, true, CK__SEL_ONE, false },   /* IOPRIO_WHO_PROCESS */
		{ 2, 9, true, CK__SEL_PGRP, false },   /* IOPRIO_WHO_PGRP */
		{ 3, 0, true, CK__SEL_UID, true },     /* IOPRIO_WHO_USER */
		{ 0, 1, true, CK__SEL_NONE, false },
		{ 4, 1, true, CK__SEL_NONE, false },
	};
	for (size_t i = 0; i < CK_ARRAY_SIZE(cases); i++) {
		struct ck__kacs_sel s;
		ck__kacs_sel_prio(cases[i].which, cases[i].who, cases[i].ioprio, &s);
		cr_expect_eq(s.kind, cases[i].kind, "case %zu", i);
		if (s.kind != CK__SEL_NONE) {
			cr_expect_eq(s.own, cases[i].own, "case %zu", i);
			cr_expect_eq(s.id, cases[i].who, "case %zu", i);
		}
	}
}

Test(kacs_enforce, members_of_each_kind)
{
	struct ck__kacs_procinfo init = { .pid = 1, .pgrp = 1, .uid = { 0, 0, 0, 0 }, .have_stat = true, .have_status = true };
	struct ck__kacs_procinfo me = { .pid = 100, .pgrp = 100, .uid = { 1000, 1000, 1000, 1000 }, .have_stat = true, .have_status = true };
	struct ck__kacs_procinfo sib = { .pid = 101, .pgrp = 100, .uid = { 1000, 0, 0, 0 }, .have_stat = true, .have_status = true };
	struct ck__kacs_procinfo other = { .pid = 200, .pgrp = 200, .uid = { 0, 1000, 1000, 0 }, .have_stat = true, .have_status = true };
	struct ck__kacs_sel s;

	ck__kacs_sel_kill(-1, &s);
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &init), "kill(-1) spares pid 1");
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &me), "and the caller's own process");
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &sib));
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &other));
	ck__kacs_sel_kill(0, &s);
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &me), "kill(0) reaches the caller too");
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &sib));
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &other));
	ck__kacs_sel_kill(-200, &s);
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &other));
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &me));
	ck__kacs_sel_prio(2, 0, false, &s); /* PRIO_USER, the caller's real uid */
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &sib), "real uid 1000");
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &other), "effective 1000 but real 0");
	ck__kacs_sel_prio(2, 0, false, &s);
	struct ck__kacs_procinfo no_status = sib;
	no_status.have_status = false;
	cr_expect_not(ck__kacs_sel_member(&s, 100, 100, 1000, &no_status), "a uid never read matches nothing");
	ck__kacs_sel_kill(4321, &s);
	struct ck__kacs_procinfo one = { .pid = 4321 };
	cr_expect(ck__kacs_sel_member(&s, 100, 100, 1000, &one));
}

/* ---- /proc --------------------------------------------------------------------------------------- */

Test(kacs_enforce, stat_pgrp_after_a_comm_with_parens_and_spaces)
{
	struct ck__kacs_procinfo pi = { 0 };
	cr_assert_eq(ck__kacs_parse_stat("4242 (a) b (c) S 17 4200 4200 0 -1 4194560 ...", &pi), 0);
	cr_expect_eq(pi.ppid, 17);
	cr_expect_eq(pi.pgrp, 4200);
	cr_expect(pi.have_stat);
	cr_expect_eq(ck__kacs_parse_stat("4242 (nothing after", &pi), -EINVAL);
	cr_expect_eq(ck__kacs_parse_stat("4242 (x) S 1", &pi), -EINVAL);
	cr_expect_eq(ck__kacs_parse_stat(NULL, &pi), -EINVAL);

	char buf[4096];
	cr_assert_geq(ck__read_small_file("/proc/self/stat", buf, sizeof(buf)), 0);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(ck__kacs_parse_stat(buf, &pi), 0);
	cr_expect_eq(pi.pgrp, getpgrp());
	cr_expect_eq(pi.ppid, getppid());
}

Test(kacs_enforce, status_ids_and_capabilities)
{
	struct ck__kacs_procinfo pi = { 0 };
	const char *text = "Name:\tx\nTgid:\t77\nPid:\t78\nPPid:\t5\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n"
			   "CapEff:\t0000000000080000\n";
	cr_assert_eq(ck__kacs_parse_status(text, &pi), 0);
	cr_expect_eq(pi.pid, 77, "the thread group, not the thread");
	cr_expect_eq(pi.ppid, 5);
	cr_expect(pi.uid[0] == 1 && pi.uid[1] == 2 && pi.uid[2] == 3 && pi.uid[3] == 4);
	cr_expect(pi.gid[0] == 5 && pi.gid[1] == 6 && pi.gid[2] == 7 && pi.gid[3] == 8);
	cr_expect_eq(pi.cap_eff, UINT64_C(1) << CAP_SYS_PTRACE);
	cr_expect_eq(ck__kacs_parse_status("Tgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\n", &pi), -EINVAL, "no Gid, no CapEff");

	char buf[4096];
	cr_assert_geq(ck__read_small_file("/proc/self/status", buf, sizeof(buf)), 0);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(ck__kacs_parse_status(buf, &pi), 0);
	cr_expect_eq(pi.pid, getpid());
	cr_expect_eq(pi.ppid, getppid());
	cr_expect_eq(pi.uid[0], getuid());
	cr_expect_eq(pi.uid[1], geteuid());
	cr_expect_eq(pi.gid[0], getgid());
}

/* ---- Linux's own checks ------------------------------------------------------------------------------ */

Test(kacs_enforce, linux_reach_by_uid_or_capability)
{
	struct ck__kacs_procinfo caller = { .uid = { 1000, 1000, 1000 } };
	struct ck__kacs_procinfo saved = { .uid = { 0, 0, 1000 } };
	struct ck__kacs_procinfo root = { .uid = { 0, 0, 0 } };
	struct ck__kacs_procinfo setuid_caller = { .uid = { 1000, 0, 0 } };
	cr_expect(ck__kacs_linux_reaches(&caller, &saved, CAP_KILL), "the target's saved uid");
	cr_expect_not(ck__kacs_linux_reaches(&caller, &root, CAP_KILL));
	cr_expect(ck__kacs_linux_reaches(&setuid_caller, &root, CAP_KILL), "the caller's effective uid");
	caller.cap_eff = UINT64_C(1) << CAP_KILL;
	cr_expect(ck__kacs_linux_reaches(&caller, &root, CAP_KILL));
	cr_expect_not(ck__kacs_linux_reaches(&caller, &root, CAP_SYS_NICE), "another capability");
}

Test(kacs_enforce, ptrace_attach_realcreds)
{
	struct ck__kacs_procinfo me = { .uid = { 1000, 1000, 1000 }, .gid = { 100, 100, 100 } };
	struct ck__kacs_procinfo same = me;
	struct ck__kacs_procinfo setgid = { .uid = { 1000, 1000, 1000 }, .gid = { 100, 100, 5 } };
	struct ck__kacs_procinfo elevated = { .uid = { 1000, 0, 0 }, .gid = { 100, 100, 100 } };

	cr_expect_eq(ck__kacs_ptrace_realcreds(&me, &same, true), 0);
	cr_expect_eq(ck__kacs_ptrace_realcreds(&me, &same, false), -EPERM, "a non-dumpable target");
	cr_expect_eq(ck__kacs_ptrace_realcreds(&me, &setgid, true), -EPERM, "a saved gid apart");
	cr_expect_eq(ck__kacs_ptrace_realcreds(&me, &elevated, true), -EPERM, "an effective uid apart");
	/* REALCREDS: the caller's effective uid does not count, its real one does */
	struct ck__kacs_procinfo seteuid_me = { .uid = { 1000, 0, 0 }, .gid = { 100, 100, 100 } };
	cr_expect_eq(ck__kacs_ptrace_realcreds(&seteuid_me, &same, true), 0);
	me.cap_eff = UINT64_C(1) << CAP_SYS_PTRACE;
	cr_expect_eq(ck__kacs_ptrace_realcreds(&me, &elevated, false), 0, "CAP_SYS_PTRACE overrides both");
}

/* ---- ELF ------------------------------------------------------------------------------------------------ */

Test(kacs_enforce, elf_type_in_either_byte_order)
{
	unsigned char h[EI_NIDENT + 2] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT };
	h[EI_NIDENT] = ET_EXEC;
	cr_expect_eq(ck__kacs_elf_type(h, sizeof(h)), ET_EXEC);
	h[EI_NIDENT] = ET_DYN;
	cr_expect_eq(ck__kacs_elf_type(h, sizeof(h)), ET_DYN);
	h[EI_DATA] = ELFDATA2MSB;
	h[EI_NIDENT] = 0;
	h[EI_NIDENT + 1] = ET_EXEC;
	cr_expect_eq(ck__kacs_elf_type(h, sizeof(h)), ET_EXEC);
	h[EI_DATA] = 7;
	cr_expect_eq(ck__kacs_elf_type(h, sizeof(h)), -ENOEXEC, "no byte order");
	cr_expect_eq(ck__kacs_elf_type(h, EI_NIDENT + 1), -ENOEXEC, "too short");
	cr_expect_eq(ck__kacs_elf_type("#!/bin/sh\n echo hello", 20), -ENOEXEC);

	/* this test program itself, as the build made it */
	unsigned char self[EI_NIDENT + 2];
	FILE *f = fopen("/proc/self/exe", "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(self, 1, sizeof(self), f), sizeof(self));
	fclose(f);
	int t = ck__kacs_elf_type(self, sizeof(self));
	cr_expect(t == ET_EXEC || t == ET_DYN, "e_type %d", t);
}

/* ---- The reason the log gives, over the model's own verdicts -------------------------------------------- */

static const char *reason_of(enum ck_kacs_process_op op, long arg, const char *subject, const char *owner,
			     uint32_t target_pip, bool same)
{
	struct ck_kacs_token *s = NULL, *o = NULL;
	struct ck_kacs_psb none = { 0 }, prot = { .pip_type = target_pip, .pip_trust = 8192 };
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	struct ck_kacs_access_result res = { .size = sizeof(res) };

	cr_assert_eq(ck_kacs_token_preset(subject, CK_KACS_V0_20, NULL, &s), 0);
	cr_assert_eq(ck_kacs_token_preset(owner, CK_KACS_V0_20, NULL, &o), 0);
	struct ck_kacs_sd *sd = ck_kacs_process_sd_default(o, CK_KACS_V0_20);
	cr_assert_not_null(sd);
	cr_assert_eq(ck_kacs_op_right(op, arg, &rule), 0);
	ck_kacs_op_authorize(op, arg, s, &none, sd, &prot, same, CK_KACS_V0_20, &res);
	ck_kacs_sd_free(sd);
	ck_kacs_token_free(s);
	ck_kacs_token_free(o);
	return ck__kacs_reason(&res, &rule);
}

Test(kacs_enforce, reason_names_what_refused)
{
	cr_expect_null(reason_of(CK_KACS_OP_SIGNAL, SIGTERM, "system", "user", 0, false));
	cr_expect_str_eq(reason_of(CK_KACS_OP_SIGNAL, SIGWINCH, "low", "user", 0, false), "sd",
			 "SIGNAL is outside GE: the label refuses it");
	cr_expect_str_eq(reason_of(CK_KACS_OP_PTRACE_ATTACH, 0, "user", "user", CK_KACS_PIP_PROTECTED, false), "pip");
	cr_expect_str_eq(reason_of(CK_KACS_OP_SETAFFINITY, 0, "user", "user", 0, false), "privilege",
			 "the SD grants SET_INFORMATION, SeIncreaseBasePriority is missing");
	cr_expect_str_eq(reason_of(CK_KACS_OP_PERF_EVENT_OPEN, 0, "user", "user", 0, true), "privilege",
			 "owed for the same process too");
	cr_expect_null(reason_of(CK_KACS_OP_PERF_EVENT_OPEN, 0, "system", "user", 0, false));
	cr_expect_str_eq(reason_of(CK_KACS_OP_SCHED_GET, 0, "user", "system", 0, false), "sd");
}
