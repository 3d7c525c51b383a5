/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the registers of a trapped call say (design §9), apart from the
 * supervisor's state: which row of the enforcement table a (ABI, number)
 * is, the arguments decoded as that ABI's kernel entry reads them, the set
 * of processes a group or user argument names, and the few facts read from
 * /proc and from an ELF header that the rows need. Pure, so that unit tests
 * reach it without a supervisor; lib/kacs/enforce.c acts on it.
 */
#ifndef CK_KACS_ENFORCE_H
#define CK_KACS_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/kacs.h>

/* The rows of design §9 that reach the supervisor (D rows never do). */
enum ck__kacs_row {
	CK__ROW_NONE,
	CK__ROW_KILL,
	CK__ROW_TKILL,
	CK__ROW_TGKILL,
	CK__ROW_RT_SIGQUEUEINFO,
	CK__ROW_RT_TGSIGQUEUEINFO,
	CK__ROW_PTRACE,
	CK__ROW_PROCESS_VM_READV,
	CK__ROW_PROCESS_VM_WRITEV,
	CK__ROW_PIDFD_OPEN,
	CK__ROW_PIDFD_GETFD,
	CK__ROW_CLONE,
	CK__ROW_FORK,
	CK__ROW_VFORK,
	CK__ROW_EXECVE,
	CK__ROW_EXECVEAT,
	CK__ROW_SETPRIORITY,
	CK__ROW_IOPRIO_SET,
	CK__ROW_IOPRIO_GET,
	CK__ROW_SCHED_SETSCHEDULER,
	CK__ROW_SCHED_SETPARAM,
	CK__ROW_SCHED_SETATTR,
	CK__ROW_SCHED_SETAFFINITY,
	CK__ROW_SCHED_GETSCHEDULER,
	CK__ROW_SCHED_GETPARAM,
	CK__ROW_SCHED_GETATTR,
	CK__ROW_SCHED_GETAFFINITY,
	CK__ROW_SCHED_RR_GET_INTERVAL,
	CK__ROW_SCHED_RR_GET_INTERVAL_TIME64, /* i386's 64-bit-time variant of the same call */
	CK__ROW_PRLIMIT64,
	CK__ROW_SETPGID,
	CK__ROW_GETPGID,
	CK__ROW_GETSID,
	CK__ROW_PERF_EVENT_OPEN,
	CK__ROW_MIGRATE_PAGES,
	CK__ROW_MOVE_PAGES,
	CK__ROW_KCMP,
	CK__ROW_PRCTL,
	CK__ROW__COUNT
};

/* The syscall's name as libseccomp spells it ("kill"); NULL for NONE and past the table. */
const char *ck__kacs_row_syscall(enum ck__kacs_row row);

/* One trapped call, decoded. */
struct ck__kacs_trap {
	enum ck__kacs_row row;
	bool compat;              /* the kernel entry reads long and pointer arguments as 32-bit (i386, x32's 512+) */
	unsigned clone_flags_arg; /* which argument holds clone's flags on this ABI */
	uint64_t args[6];
};

/*
 * The row of syscall nr on the ABI audit_arch (seccomp_data.arch), with the
 * numbers of every ABI the host runs resolved by libseccomp once: 0 and *out,
 * -ENOENT for a call that is no row (or an ABI the host does not run).
 */
int ck__kacs_trap_decode(uint32_t audit_arch, int nr, const uint64_t args[6], struct ck__kacs_trap *out);

/* Argument i as the kernel's C types take it: int and pid_t are the low 32 bits on every ABI. */
static inline int ck__kacs_trap_int(const struct ck__kacs_trap *t, unsigned i)
{
	return (int)(uint32_t)t->args[i];
}
/* long: 64 bits natively, the low 32 bits sign-extended through a compat entry. */
static inline long ck__kacs_trap_long(const struct ck__kacs_trap *t, unsigned i)
{
	return t->compat ? (long)(int32_t)(uint32_t)t->args[i] : (long)t->args[i];
}
/* unsigned long and pointers: 64 bits natively, the low 32 bits through a compat entry. */
static inline uint64_t ck__kacs_trap_ulong(const struct ck__kacs_trap *t, unsigned i)
{
	return t->compat ? (uint32_t)t->args[i] : t->args[i];
}

/* ---- Target sets ------------------------------------------------------------------ */

enum ck__kacs_sel_kind {
	CK__SEL_NONE, /* the kernel refuses the arguments before it looks at any process: nothing to decide */
	CK__SEL_ONE,  /* the process of one pid or tid (id) */
	CK__SEL_PGRP, /* every process of process group id (0: the caller's) */
	CK__SEL_ALL,  /* kill(-1): every process but pid 1 and the caller's */
	CK__SEL_UID,  /* every process whose real uid is id (own_uid: the caller's real uid) */
};

struct ck__kacs_sel {
	enum ck__kacs_sel_kind kind;
	pid_t id;
	bool own; /* PGRP with id 0, UID with who 0: the caller's own group or real uid */
};

/* kill's pid argument (kernel/signal.c kill_something_info). */
void ck__kacs_sel_kill(pid_t pid, struct ck__kacs_sel *out);
/*
 * setpriority's (ioprio false: PRIO_PROCESS 0, PGRP 1, USER 2) or
 * ioprio_set/get's (true: IOPRIO_WHO_PROCESS 1, PGRP 2, USER 3) which and
 * who; who 0 is the caller itself, its group or its real uid.
 */
void ck__kacs_sel_prio(int which, int who, bool ioprio, struct ck__kacs_sel *out);

/* What /proc says of a process: its status and stat lines S reads for target sets and Linux's checks. */
struct ck__kacs_procinfo {
	pid_t pid, ppid, pgrp;
	uid_t uid[4]; /* real, effective, saved, fs */
	gid_t gid[4];
	uint64_t cap_eff;
	bool have_status, have_stat;
};

/* The pgrp of a /proc/PID/stat line (after the last ')', which a comm may contain): 0 or -EINVAL. */
int ck__kacs_parse_stat(const char *text, struct ck__kacs_procinfo *out);
/* Tgid/Pid, PPid, Uid, Gid and CapEff of a /proc/PID/status text: 0 or -EINVAL when one is missing. */
int ck__kacs_parse_status(const char *text, struct ck__kacs_procinfo *out);

/*
 * Whether p belongs to sel, seen from the caller (its process caller_tgid,
 * own_pgrp and own_uid resolving PGRP 0 and UID 0). For ONE, p->pid == id.
 */
bool ck__kacs_sel_member(const struct ck__kacs_sel *sel, pid_t caller_tgid, pid_t own_pgrp, uid_t own_uid,
			 const struct ck__kacs_procinfo *p);

/*
 * Whether Linux would let caller act on an outside process target at all
 * (so that it is one of the members whose verdict counts): cap in the
 * caller's CapEff, or one of the caller's real and effective uids equal to
 * one of the target's real, effective and saved uids. A superset of
 * kill_ok_by_cred and set_one_prio_perm: more members, never fewer.
 */
bool ck__kacs_linux_reaches(const struct ck__kacs_procinfo *caller, const struct ck__kacs_procinfo *target, int cap);

/*
 * Linux's PTRACE_MODE_ATTACH_REALCREDS for another process (kernel/ptrace.c
 * __ptrace_may_access, without an LSM): the caller's real uid and gid equal
 * to each of the target's real, effective and saved ones, or CAP_SYS_PTRACE;
 * then a dumpable target, or CAP_SYS_PTRACE. 0 or -EPERM.
 */
int ck__kacs_ptrace_realcreds(const struct ck__kacs_procinfo *caller, const struct ck__kacs_procinfo *target,
			      bool target_dumpable);

/* The e_type (ET_EXEC, ET_DYN, ...) of an ELF header in buf: it, or -ENOEXEC when buf is no ELF header. */
int ck__kacs_elf_type(const void *buf, size_t len);

/*
 * The reason of a refusal for the decision log: "pip" when PIP dominance or
 * a trust label decided, "privilege" when the rule's privilege was missing,
 * "sd" otherwise; NULL when res allows.
 */
const char *ck__kacs_reason(const struct ck_kacs_access_result *res, const struct ck_kacs_op_rule *rule);

#endif
