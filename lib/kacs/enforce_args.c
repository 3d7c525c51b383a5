/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registers of a trapped call, read as the kernel reads them (design §9):
 * the row of each (ABI, number), arguments per ABI, the processes a group
 * names, and the /proc and ELF facts the rows need. Pure: lib/kacs/enforce.c
 * acts on what this decides.
 */
#include "kacs/enforce.h"

#include <clonekit/abi.h>
#include <clonekit/seccomp.h>

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/util.h"

static const char *const row_names[CK__ROW__COUNT] = {
	[CK__ROW_KILL] = "kill",
	[CK__ROW_TKILL] = "tkill",
	[CK__ROW_TGKILL] = "tgkill",
	[CK__ROW_RT_SIGQUEUEINFO] = "rt_sigqueueinfo",
	[CK__ROW_RT_TGSIGQUEUEINFO] = "rt_tgsigqueueinfo",
	[CK__ROW_PTRACE] = "ptrace",
	[CK__ROW_PROCESS_VM_READV] = "process_vm_readv",
	[CK__ROW_PROCESS_VM_WRITEV] = "process_vm_writev",
	[CK__ROW_PIDFD_OPEN] = "pidfd_open",
	[CK__ROW_PIDFD_GETFD] = "pidfd_getfd",
	[CK__ROW_CLONE] = "clone",
	[CK__ROW_FORK] = "fork",
	[CK__ROW_VFORK] = "vfork",
	[CK__ROW_EXECVE] = "execve",
	[CK__ROW_EXECVEAT] = "execveat",
	[CK__ROW_SETPRIORITY] = "setpriority",
	[CK__ROW_IOPRIO_SET] = "ioprio_set",
	[CK__ROW_IOPRIO_GET] = "ioprio_get",
	[CK__ROW_SCHED_SETSCHEDULER] = "sched_setscheduler",
	[CK__ROW_SCHED_SETPARAM] = "sched_setparam",
	[CK__ROW_SCHED_SETATTR] = "sched_setattr",
	[CK__ROW_SCHED_SETAFFINITY] = "sched_setaffinity",
	[CK__ROW_SCHED_GETSCHEDULER] = "sched_getscheduler",
	[CK__ROW_SCHED_GETPARAM] = "sched_getparam",
	[CK__ROW_SCHED_GETATTR] = "sched_getattr",
	[CK__ROW_SCHED_GETAFFINITY] = "sched_getaffinity",
	[CK__ROW_SCHED_RR_GET_INTERVAL] = "sched_rr_get_interval",
	[CK__ROW_SCHED_RR_GET_INTERVAL_TIME64] = "sched_rr_get_interval_time64",
	[CK__ROW_PRLIMIT64] = "prlimit64",
	[CK__ROW_SETPGID] = "setpgid",
	[CK__ROW_GETPGID] = "getpgid",
	[CK__ROW_GETSID] = "getsid",
	[CK__ROW_PERF_EVENT_OPEN] = "perf_event_open",
	[CK__ROW_MIGRATE_PAGES] = "migrate_pages",
	[CK__ROW_MOVE_PAGES] = "move_pages",
	[CK__ROW_KCMP] = "kcmp",
	[CK__ROW_PRCTL] = "prctl",
};

const char *ck__kacs_row_syscall(enum ck__kacs_row row)
{
	return (unsigned)row < CK__ROW__COUNT ? row_names[row] : NULL;
}

/* ---- (ABI, number) -> row ------------------------------------------------------------ */

#define MAX_ABIS 4
#define MAX_NR 1024          /* past every number of every ABI here, once the x32 bit is off */
#define X32_COMPAT_FIRST 512 /* x32's own entries (compat_sys_*) are 512-547 (arch/x86/entry/syscalls/syscall_64.tbl) */

static struct {
	size_t n;
	const struct ck_arch_info *abi[MAX_ABIS];
	uint8_t row[MAX_ABIS][MAX_NR];
} tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* libseccomp's name of an ABI: its AUDIT_ARCH, but for x32, which shares x86_64's and has a token of its own. */
static uint32_t scmp_token(const struct ck_arch_info *info)
{
	return info->arch == CK_ARCH_X32 ? SCMP_ARCH_X32 : info->audit_arch;
}

/* Every ABI the host runs (the filter's, lib/seccomp.c), each row's number there from libseccomp. */
static void tables_build(void)
{
	enum ck_arch arches[MAX_ABIS];
	size_t n = ck_seccomp_arches(arches, MAX_ABIS);

	for (size_t a = 0; a < n && a < MAX_ABIS; a++) {
		const struct ck_arch_info *info = ck_arch_at(arches[a]);
		if (!info)
			continue;
		size_t k = tables.n++;
		tables.abi[k] = info;
		for (unsigned r = 1; r < CK__ROW__COUNT; r++) {
			int nr = seccomp_syscall_resolve_name_arch(scmp_token(info), row_names[r]);
			if (nr < 0) /* __NR_SCMP_ERROR, or a pseudo-number: the ABI has no such call */
				continue;
			unsigned idx = (unsigned)nr & ~info->syscall_bit;
			if (idx < MAX_NR)
				tables.row[k][idx] = (uint8_t)r;
		}
	}
}

/* The ABI a notification came from: x32 shares AUDIT_ARCH_X86_64 and is told by its number's bit. */
static int abi_of(uint32_t audit_arch, int nr)
{
	int plain = -1;
	for (size_t k = 0; k < tables.n; k++) {
		const struct ck_arch_info *info = tables.abi[k];
		if (info->audit_arch != audit_arch)
			continue;
		if (info->syscall_bit && ((unsigned)nr & info->syscall_bit))
			return (int)k;
		if (!info->syscall_bit && !((unsigned)nr & 0x40000000u))
			plain = (int)k;
	}
	return plain;
}

int ck__kacs_trap_decode(uint32_t audit_arch, int nr, const uint64_t args[6], struct ck__kacs_trap *out)
{
	pthread_once(&tables_once, tables_build);
	int k = abi_of(audit_arch, nr);
	if (k < 0 || nr < 0)
		return -ENOENT;
	const struct ck_arch_info *info = tables.abi[k];
	unsigned idx = (unsigned)nr & ~info->syscall_bit;
	if (idx >= MAX_NR || !tables.row[k][idx])
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->row = tables.row[k][idx];
	out->compat = info->syscall_bit ? idx >= X32_COMPAT_FIRST : info->bits == 32;
	out->clone_flags_arg = (unsigned)ck_clone_arg_index(info->clone_order, CK_CLONE_ARG_FLAGS);
	memcpy(out->args, args, sizeof(out->args));
	return 0;
}

/* ---- Target sets ------------------------------------------------------------------------ */

void ck__kacs_sel_kill(pid_t pid, struct ck__kacs_sel *out)
{
	memset(out, 0, sizeof(*out));
	if (pid > 0) {
		out->kind = CK__SEL_ONE;
		out->id = pid;
	} else if (pid == 0) {
		out->kind = CK__SEL_PGRP;
		out->own = true;
	} else if (pid == -1) {
		out->kind = CK__SEL_ALL;
	} else if (pid != INT32_MIN) { /* the kernel answers ESRCH for INT_MIN, whose negation overflows */
		out->kind = CK__SEL_PGRP;
		out->id = -pid;
	}
}

void ck__kacs_sel_prio(int which, int who, bool ioprio, struct ck__kacs_sel *out)
{
	/* setpriority: PRIO_PROCESS 0, PRIO_PGRP 1, PRIO_USER 2; ioprio: IOPRIO_WHO_PROCESS 1, PGRP 2, USER 3 */
	int kind = ioprio ? which - 1 : which;
	static const enum ck__kacs_sel_kind kinds[] = { CK__SEL_ONE, CK__SEL_PGRP, CK__SEL_UID };

	memset(out, 0, sizeof(*out));
	if (kind < 0 || kind >= (int)CK_ARRAY_SIZE(kinds))
		return; /* EINVAL from the kernel before any process */
	out->kind = kinds[kind];
	out->id = who;
	out->own = who == 0;
}

bool ck__kacs_sel_member(const struct ck__kacs_sel *sel, pid_t caller_tgid, pid_t own_pgrp, uid_t own_uid,
			 const struct ck__kacs_procinfo *p)
{
	switch (sel->kind) {
	case CK__SEL_ONE:
		return p->pid == (sel->own ? caller_tgid : sel->id);
	case CK__SEL_PGRP:
		return p->have_stat && p->pgrp == (sel->own ? own_pgrp : sel->id);
	case CK__SEL_ALL: /* kill(-1) skips pid 1 and the caller's own thread group */
		return p->pid > 1 && p->pid != caller_tgid;
	case CK__SEL_UID:
		return p->have_status && p->uid[0] == (sel->own ? own_uid : (uid_t)sel->id);
	case CK__SEL_NONE:
		break;
	}
	return false;
}

/* ---- /proc ------------------------------------------------------------------------------ */

int ck__kacs_parse_stat(const char *text, struct ck__kacs_procinfo *out)
{
	const char *close = text ? strrchr(text, ')') : NULL;
	char state;
	int ppid, pgrp;

	/* "pid (comm) state ppid pgrp ...": comm may hold spaces and ')' */
	if (!close || sscanf(close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
		return -EINVAL;
	out->ppid = ppid;
	out->pgrp = pgrp;
	out->have_stat = true;
	return 0;
}

static int ids4(const char *v, unsigned out[4])
{
	return v && sscanf(v, " %u %u %u %u", &out[0], &out[1], &out[2], &out[3]) == 4 ? 0 : -EINVAL;
}

int ck__kacs_parse_status(const char *text, struct ck__kacs_procinfo *out)
{
	const char *tgid = text ? ck__status_field(text, "Tgid") : NULL;
	const char *ppid = text ? ck__status_field(text, "PPid") : NULL;
	const char *cap = text ? ck__status_field(text, "CapEff") : NULL;
	unsigned u[4], g[4];
	int t, pp;

	if (!tgid || !ppid || !cap || sscanf(tgid, " %d", &t) != 1 || sscanf(ppid, " %d", &pp) != 1 ||
	    sscanf(cap, " %" SCNx64, &out->cap_eff) != 1 || ids4(ck__status_field(text, "Uid"), u) ||
	    ids4(ck__status_field(text, "Gid"), g))
		return -EINVAL;
	out->pid = t;
	out->ppid = pp;
	for (int i = 0; i < 4; i++) {
		out->uid[i] = u[i];
		out->gid[i] = g[i];
	}
	out->have_status = true;
	return 0;
}

static bool has_cap(const struct ck__kacs_procinfo *p, int cap)
{
	return cap >= 0 && cap < 64 && (p->cap_eff & (UINT64_C(1) << cap));
}

bool ck__kacs_linux_reaches(const struct ck__kacs_procinfo *caller, const struct ck__kacs_procinfo *target, int cap)
{
	if (has_cap(caller, cap))
		return true;
	for (int i = 0; i < 2; i++)     /* the caller's real and effective uid */
		for (int j = 0; j < 3; j++) /* the target's real, effective and saved uid */
			if (caller->uid[i] == target->uid[j])
				return true;
	return false;
}

int ck__kacs_ptrace_realcreds(const struct ck__kacs_procinfo *caller, const struct ck__kacs_procinfo *target,
			      bool target_dumpable)
{
	bool same = true, cap = has_cap(caller, CAP_SYS_PTRACE);
	for (int j = 0; j < 3; j++) /* REALCREDS: the caller's real ids against the target's real, effective, saved */
		same = same && caller->uid[0] == target->uid[j] && caller->gid[0] == target->gid[j];
	if (!same && !cap)
		return -EPERM;
	if (!target_dumpable && !cap)
		return -EPERM;
	return 0;
}

/* ---- ELF ----------------------------------------------------------------------------------- */

int ck__kacs_elf_type(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	if (!buf || len < EI_NIDENT + 2 || memcmp(b, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	/* e_type follows e_ident in both classes, in the file's byte order */
	if (b[EI_DATA] == ELFDATA2LSB)
		return b[EI_NIDENT] | b[EI_NIDENT + 1] << 8;
	if (b[EI_DATA] == ELFDATA2MSB)
		return b[EI_NIDENT] << 8 | b[EI_NIDENT + 1];
	return -ENOEXEC;
}

/* ---- The decision log's reason -------------------------------------------------------------- */

const char *ck__kacs_reason(const struct ck_kacs_access_result *res, const struct ck_kacs_op_rule *rule)
{
	bool privilege = false;

	if (!res->error)
		return NULL;
	for (unsigned b = 0; b < 32; b++) {
		uint8_t why = res->bit[b].why;
		if (!(res->desired & (1u << b)))
			continue;
		if (why == CK_KACS_WHY_PIP || why == CK_KACS_WHY_TRUST_LABEL)
			return "pip";
		if (why == CK_KACS_WHY_NONE && rule->privilege && res->bit[b].privilege == rule->privilege)
			privilege = true;
	}
	return privilege ? "privilege" : "sd";
}
