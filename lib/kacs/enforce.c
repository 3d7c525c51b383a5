/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The enforcement table (design §9): one small function per trapped
 * syscall, reached through the row lib/kacs/enforce_args.c decodes from the
 * notification's ABI and number. Each row names its target(s) from register
 * arguments only, asks the model (ck_kacs_op_authorize: rights, errnos, the
 * same-process exemption, privilege order) and then lets the call go on
 * (CONTINUE) or answers it; pidfd_getfd alone is emulated, because its
 * target is behind an fd the caller could swap.
 *
 * Choices the design leaves open, made here:
 * - A target pid S finds no process for is answered ESRCH by S (not
 *   CONTINUEd), so that a process born after S looked cannot be acted on
 *   undecided. Arguments the kernel refuses before it looks at any process
 *   (a negative pid, bad flags, an unknown signal) are CONTINUEd: the kernel
 *   gives its own errno and touches nothing.
 * - A pid that is a thread stands for its process (kill and the others
 *   accept any tid of a process; ck__kacs_target_pid resolves it).
 * - Group kills, kill(-1), PRIO_PGRP and PRIO_USER are all-or-nothing over
 *   the members (design §16); a process outside the tree counts as a member
 *   only when Linux's own uid/capability rule would let the caller reach it.
 *   An empty set is CONTINUEd (the kernel answers ESRCH or EPERM).
 * - PTRACE_TRACEME's subject: see traceme().
 */
#include "kacs/enforce.h"
#include "kacs/supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* include/uapi/linux/pidfd.h, Linux 6.9 */
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
/* kernel/events/core.c's PERF_FLAG_ALL: perf_event_open refuses other bits before it looks at pid */
#define PERF_FLAGS_KNOWN (PERF_FLAG_FD_NO_GROUP | PERF_FLAG_FD_OUTPUT | PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC)

typedef int row_fn(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t);

/* ---- Answers ---------------------------------------------------------------------------- */

/* verdict 0: the kernel goes on; a positive errno: the caller gets it. The handler's return. */
static int answer(struct ck__kacs_call *c, int verdict)
{
	if (verdict < 0)
		return verdict; /* S itself failed: the loop answers EIO */
	if (verdict)
		ck__kacs_reply_error(c, verdict);
	else
		ck__kacs_reply_continue(c);
	return 0;
}

/* What a failed target lookup means for the call: wait for a newborn's record, ESRCH, or S's failure. */
static int lookup_failed(struct ck__kacs_call *c, int r)
{
	if (r == 1)
		return 1;
	if (r == -ESRCH)
		return answer(c, ESRCH);
	return r;
}

/* ---- Targets and the two-check rule ------------------------------------------------------ */

/*
 * op by subject (acting for subject_proc, whose PSB is the caller's side of
 * PIP) on target: the model's verdict (0 or the rule's positive errno), the
 * privileges it used marked on the token, the decision logged. A verdict
 * the rule does not name (a malformed SD) fails closed with EACCES.
 */
static int authorize(struct ck__kacs_sup *s, struct ck__kacs_call *c, enum ck_kacs_process_op op, long arg,
		     struct ck__kacs_tok *subject, const struct ck__kacs_process *subject_proc,
		     const struct ck__kacs_process *target)
{
	struct ck_kacs_op_rule rule = { .size = sizeof(rule) };
	struct ck_kacs_access_result res = { .size = sizeof(res) };

	if (ck_kacs_op_right(op, arg, &rule))
		return -EINVAL;
	int r = ck_kacs_op_authorize(op, arg, subject->t, &subject_proc->psb, target->sd, &target->psb,
				     subject_proc == target, ck__kacs_config(s)->profile, &res);
	int verdict = -r;
	if (r && verdict != rule.deny_errno && verdict != rule.privilege_errno)
		verdict = EACCES;
	subject->t->privileges_used |= res.privileges_used;
	ck__kacs_decided(s, c, rule.name, target, rule.right, &res, verdict, ck__kacs_reason(&res, &rule));
	return verdict;
}

/* op by the caller (its effective token) on the process id names: the call's answer. */
static int check_one(struct ck__kacs_sup *s, struct ck__kacs_call *c, enum ck_kacs_process_op op, long arg,
		     pid_t id)
{
	struct ck__kacs_process *p;
	int r = ck__kacs_target_pid(s, c, id, &p);
	if (r)
		return lookup_failed(c, r);
	return answer(c, authorize(s, c, op, arg, ck__kacs_effective(c->caller), c->caller->proc, p));
}

/* /proc/PID/stat and/or status into pi (pid: a tgid or a tid): 0 or -errno. */
static int procinfo_read(pid_t pid, bool stat, bool status, struct ck__kacs_procinfo *pi)
{
	char path[64], buf[4096];
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	if (stat) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		ssize_t n = ck__read_small_file(path, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (ck__kacs_parse_stat(buf, pi))
			return -EIO;
	}
	if (status) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		ssize_t n = ck__read_small_file(path, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (ck__kacs_parse_status(buf, pi))
			return -EIO;
		pi->pid = pid;
	}
	return 0;
}

/* The pids of the processes sel names, from /proc (tgids only: /proc lists thread groups). */
struct members {
	pid_t *pid;
	size_t n, cap;
};

static int members_add(struct members *m, pid_t pid)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		pid_t *p = realloc(m->pid, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		m->pid = p;
		m->cap = cap;
	}
	m->pid[m->n++] = pid;
	return 0;
}

static int members_scan(const struct ck__kacs_sel *sel, pid_t caller_tgid, const struct ck__kacs_procinfo *me,
			struct members *m)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int r = 0;

	if (!d)
		return -errno;
	while (!r && (e = readdir(d))) {
		struct ck__kacs_procinfo pi;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		/* a process gone between readdir and the read is no member */
		if (procinfo_read(pid, sel->kind == CK__SEL_PGRP, sel->kind == CK__SEL_UID, &pi))
			continue;
		if (ck__kacs_sel_member(sel, caller_tgid, me->pgrp, me->uid[0], &pi))
			r = members_add(m, pid);
	}
	closedir(d);
	return r;
}

/*
 * op on every member of sel, all or nothing (design §16): the first refusal
 * is the answer. cap is the capability with which Linux reaches any process
 * (CAP_KILL, CAP_SYS_NICE): outside processes it would not reach are not
 * members.
 */
static int check_set(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_sel *sel,
		     enum ck_kacs_process_op op, long arg, int cap)
{
	struct ck__kacs_procinfo me;
	struct members m = { 0 };
	pid_t caller_tgid = c->caller->proc->tgid;
	int r;

	/* the calling thread's credentials and its process's group */
	r = procinfo_read((pid_t)c->req->pid, true, true, &me);
	if (!r)
		r = members_scan(sel, caller_tgid, &me, &m);
	/* first every member known (a newborn's record may be on its way), then the decisions */
	for (size_t i = 0; !r && i < m.n; i++) {
		struct ck__kacs_process *p;
		r = ck__kacs_target_pid(s, c, m.pid[i], &p);
		if (r == -ESRCH) /* ended since the scan: no longer a member */
			r = 0;
	}
	int verdict = 0;
	for (size_t i = 0; !r && !verdict && i < m.n; i++) {
		struct ck__kacs_process *p;
		struct ck__kacs_procinfo pi;
		if (ck__kacs_target_pid(s, c, m.pid[i], &p))
			continue;
		if (p->external && (procinfo_read(m.pid[i], false, true, &pi) || !ck__kacs_linux_reaches(&me, &pi, cap)))
			continue;
		verdict = authorize(s, c, op, arg, ck__kacs_effective(c->caller), c->caller->proc, p);
	}
	free(m.pid);
	if (r)
		return r == 1 ? 1 : r;
	return answer(c, verdict);
}

/* ---- Signals ------------------------------------------------------------------------------ */

static bool signal_known(int sig)
{
	return sig >= 0 && sig < _NSIG;
}

static int row_kill(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	struct ck__kacs_sel sel;
	int sig = ck__kacs_trap_int(t, 1);

	ck__kacs_sel_kill(ck__kacs_trap_int(t, 0), &sel);
	if (!signal_known(sig) || sel.kind == CK__SEL_NONE)
		return answer(c, 0); /* EINVAL or ESRCH from the kernel, nothing delivered */
	if (sel.kind == CK__SEL_ONE)
		return check_one(s, c, CK_KACS_OP_SIGNAL, sig, sel.id);
	return check_set(s, c, &sel, CK_KACS_OP_SIGNAL, sig, CAP_KILL);
}

/* tkill(tid, sig), rt_sigqueueinfo(pid, sig, info): one process, no groups. */
static int row_tkill(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t id = ck__kacs_trap_int(t, 0);
	int sig = ck__kacs_trap_int(t, 1);
	if (id <= 0 || !signal_known(sig))
		return answer(c, 0);
	return check_one(s, c, CK_KACS_OP_SIGNAL, sig, id);
}

/* tgkill(tgid, tid, sig), rt_tgsigqueueinfo(tgid, tid, sig, info): the thread must be of tgid. */
static int row_tgkill(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t tgid = ck__kacs_trap_int(t, 0), tid = ck__kacs_trap_int(t, 1);
	int sig = ck__kacs_trap_int(t, 2);
	struct ck__kacs_process *p;

	if (tgid <= 0 || tid <= 0 || !signal_known(sig))
		return answer(c, 0);
	int r = ck__kacs_target_pid(s, c, tid, &p);
	if (r)
		return lookup_failed(c, r);
	if (p->tgid != tgid)
		return answer(c, ESRCH); /* do_tkill: a tid of another thread group is no such process */
	return answer(c, authorize(s, c, CK_KACS_OP_SIGNAL, sig, ck__kacs_effective(c->caller), c->caller->proc, p));
}

/* ---- ptrace ------------------------------------------------------------------------------- */

/*
 * PTRACE_TRACEME: the subject is the tracer it nominates, the real parent;
 * the target is the caller. The token is the parent's *effective* one, as
 * design §9 says (PKM takes the primary; K20 8-pip/2-enforcement-points.md
 * only says "the nominated tracer"): the creator thread's, when it is alive,
 * still of the parent process and the child was not made with CLONE_PARENT,
 * since that thread is the one acting as tracer; otherwise the parent
 * process's primary token. A parent outside the tree (S itself, for the
 * tree's root) has no token: refused.
 */
static int traceme(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	struct ck__kacs_process *me = c->caller->proc, *parent;
	struct ck__kacs_procinfo pi;
	struct ck__kacs_tok *subject;

	int r = procinfo_read((pid_t)c->req->pid, false, true, &pi);
	if (r)
		return r;
	parent = ck__kacs_process_find(s, pi.ppid);
	if (!parent) {
		ck__kacs_decided(s, c, ck_kacs_op_name(CK_KACS_OP_PTRACE_TRACEME), me, CK_KACS_PROCESS_VM_WRITE, NULL,
				 EACCES, "sd");
		return answer(c, EACCES);
	}
	struct ck__kacs_thread *creator = me->creator_tid ? ck__kacs_thread_find(s, me->creator_tid) : NULL;
	if (creator && creator->proc == parent && !me->clone_parent)
		subject = ck__kacs_effective(creator);
	else
		subject = parent->primary;
	return answer(c, authorize(s, c, CK_KACS_OP_PTRACE_TRACEME, 0, subject, parent, me));
}

static int row_ptrace(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	long request = ck__kacs_trap_long(t, 0);
	pid_t pid = ck__kacs_trap_int(t, 1);

	switch (request) {
	case PTRACE_TRACEME:
		return traceme(s, c);
	case PTRACE_ATTACH:
		return pid <= 0 ? answer(c, 0) : check_one(s, c, CK_KACS_OP_PTRACE_ATTACH, 0, pid);
	case PTRACE_SEIZE:
		return pid <= 0 ? answer(c, 0) : check_one(s, c, CK_KACS_OP_PTRACE_SEIZE, 0, pid);
	}
	return answer(c, 0); /* other requests need an attachment already made */
}

/* ---- Memory, pidfds ------------------------------------------------------------------------- */

static int row_vm(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t pid = ck__kacs_trap_int(t, 0);
	if (ck__kacs_trap_ulong(t, 5) != 0 || pid <= 0)
		return answer(c, 0); /* EINVAL for flags, ESRCH for pid, before any process */
	return check_one(s, c, t->row == CK__ROW_PROCESS_VM_READV ? CK_KACS_OP_VM_READV : CK_KACS_OP_VM_WRITEV, 0,
			 pid);
}

static int row_pidfd_open(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t pid = ck__kacs_trap_int(t, 0);
	unsigned flags = (unsigned)ck__kacs_trap_int(t, 1);
	if ((flags & ~(unsigned)(PIDFD_NONBLOCK | PIDFD_THREAD)) || pid <= 0)
		return answer(c, 0); /* pidfd_open's EINVAL */
	return check_one(s, c, CK_KACS_OP_PIDFD_OPEN, 0, pid);
}

/*
 * Whether the kernel would call p dumpable: its private /proc files belong
 * to root when it is not (task_dump_owner; the design's "/proc/T" is the one
 * directory exempt from that rule, owned by the euid either way).
 */
static bool dumpable(struct ck__kacs_sup *s, const struct ck__kacs_process *p, const struct ck__kacs_procinfo *pi)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)p->tgid);
	if (stat(path, &st) == 0 && st.st_uid != pi->uid[1])
		return false;
	/* an unprivileged S keeps PR_SET_DUMPABLE(0) as a virtual flag (§2): honour it as Linux would */
	return ck__kacs_config(s)->privileged || p->external || p->dumpable == 1; /* SUID_DUMP_USER */
}

/*
 * pidfd_getfd (E): S resolves the pidfd once into its own copy, decides
 * DUP_HANDLE on that process, reproduces Linux's PTRACE_MODE_ATTACH_REALCREDS
 * check for the caller, then takes the fd through its copy (the very process
 * decided on: were it gone, the take fails ESRCH) and installs it as the
 * call's result, O_CLOEXEC as pidfd_getfd makes it.
 */
static int row_pidfd_getfd(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	int pidfd = ck__kacs_trap_int(t, 0), fd = ck__kacs_trap_int(t, 1);
	struct ck__kacs_process *p;
	struct ck__kacs_procinfo me, them;
	int sfd CK_AUTO_CLOSE = -1;

	if (ck__kacs_trap_int(t, 2) != 0)
		return answer(c, 0); /* flags: EINVAL before anything */
	int r = ck__kacs_target_pidfd_keep(s, c, pidfd, &p, &sfd);
	/* not open or no pidfd; or a caller an unprivileged S cannot read the fds of (design §2) */
	if (r == -EBADF || r == -EACCES)
		return answer(c, -r);
	if (r)
		return lookup_failed(c, r);
	int verdict = authorize(s, c, CK_KACS_OP_PIDFD_GETFD, 0, ck__kacs_effective(c->caller), c->caller->proc, p);
	if (verdict)
		return answer(c, verdict);
	if (p != c->caller->proc) {
		r = procinfo_read((pid_t)c->req->pid, false, true, &me);
		if (!r)
			r = procinfo_read(p->tgid, false, true, &them);
		if (r)
			return answer(c, r == -ENOENT ? ESRCH : EPERM);
		r = ck__kacs_ptrace_realcreds(&me, &them, dumpable(s, p, &them));
		if (r)
			return answer(c, -r);
	}
	int got CK_AUTO_CLOSE = (int)syscall(SYS_pidfd_getfd, sfd, fd, 0);
	if (got < 0)
		return answer(c, errno);
	r = ck__kacs_fd_install(s, c, got, true);
	return r < 0 ? answer(c, -r) : 0;
}

/* ---- Creation and exec: the PSB's gates -------------------------------------------------------- */

/* A gate of the caller's own PSB (no_child_process, pie): logged while the bit is set. */
static int gate(struct ck__kacs_sup *s, struct ck__kacs_call *c, const char *name, bool refuse)
{
	ck__kacs_decided(s, c, name, c->caller->proc, 0, NULL, refuse ? EACCES : 0, refuse ? "mitigation" : NULL);
	return answer(c, refuse ? EACCES : 0);
}

/* no_child_process: a new process (no CLONE_THREAD) is refused; threads are allowed (K20 5-psb/2-fields.md). */
static int no_child(struct ck__kacs_sup *s, struct ck__kacs_call *c, bool thread)
{
	if (!(c->caller->proc->psb.mitigations & CK_KACS_PSB_NO_CHILD))
		return answer(c, 0);
	return gate(s, c, "no_child_process", !thread);
}

static int row_clone(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if (!ck__kacs_blind_gate(s, c))
		return 0;
	return no_child(s, c, ck__kacs_trap_ulong(t, t->clone_flags_arg) & CLONE_THREAD);
}

static int row_fork(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if (!ck__kacs_blind_gate(s, c))
		return 0;
	return no_child(s, c, false);
}

/* A NUL-terminated string of the caller's at addr, read page by page (a string may end before a hole). */
static int read_string(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, char *buf, size_t max)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t got = 0;
	while (got < max) {
		size_t n = page - (size_t)((addr + got) % page);
		if (n > max - got)
			n = max - got;
		int r = ck__kacs_mem_read(s, c, addr + got, buf + got, n);
		if (r)
			return r;
		if (memchr(buf + got, '\0', n))
			return 0;
		got += n;
	}
	return -ENAMETOOLONG;
}

/*
 * The file an exec names, opened by S as the caller would find it: an
 * absolute path inside the caller's root, a relative one from its cwd or
 * dirfd (execveat), the dirfd itself for AT_EMPTY_PATH. Only for the errno:
 * the post-exec check at COMM_EXEC (tasks.c) is the guard.
 */
static int exec_open(struct ck__kacs_sup *s, struct ck__kacs_call *c, int dirfd, const char *path, int flags)
{
	char base[64];
	int dir CK_AUTO_CLOSE = -1;

	if (path[0] == '/') {
		snprintf(base, sizeof(base), "/proc/%d/root", (int)c->req->pid);
		dir = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		if (flags & AT_SYMLINK_NOFOLLOW)
			how.flags |= O_NOFOLLOW;
		return dir < 0 ? -errno : (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
	}
	if (dirfd == AT_FDCWD) {
		snprintf(base, sizeof(base), "/proc/%d/cwd", (int)c->req->pid);
		dir = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		dir = ck__kacs_fd_get(s, c, dirfd);
	}
	if (dir < 0)
		return dir;
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		snprintf(base, sizeof(base), "/proc/self/fd/%d", dir); /* reopened: the fd may be O_PATH */
		return open(base, O_RDONLY | O_CLOEXEC);
	}
	return openat(dir, path, O_RDONLY | O_CLOEXEC | (flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
}

/* PIE (K20 5-psb/2-fields.md): an exec of an ET_EXEC image by a process whose PSB has PIE is refused. */
static int pie(struct ck__kacs_sup *s, struct ck__kacs_call *c, int dirfd, uint64_t path_addr, int flags)
{
	char path[PATH_MAX];
	unsigned char hdr[EI_NIDENT + 2];

	if (!(c->caller->proc->psb.mitigations & CK_KACS_PSB_PIE))
		return answer(c, 0);
	if (read_string(s, c, path_addr, path, sizeof(path)))
		return answer(c, 0); /* the kernel gives EFAULT or ENAMETOOLONG */
	int fd CK_AUTO_CLOSE = exec_open(s, c, dirfd, path, flags);
	if (fd < 0 || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return answer(c, 0); /* the kernel finds its own errno; COMM_EXEC checks what did run */
	return gate(s, c, "pie", ck__kacs_elf_type(hdr, sizeof(hdr)) == ET_EXEC);
}

static int row_execve(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if (!ck__kacs_blind_gate(s, c))
		return 0;
	ck__kacs_exec_pidfd(s, c);
	return pie(s, c, AT_FDCWD, ck__kacs_trap_ulong(t, 0), 0);
}

static int row_execveat(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if (!ck__kacs_blind_gate(s, c))
		return 0;
	ck__kacs_exec_pidfd(s, c);
	return pie(s, c, ck__kacs_trap_int(t, 0), ck__kacs_trap_ulong(t, 1), ck__kacs_trap_int(t, 4));
}

/* ---- Priority, scheduler, limits, groups ----------------------------------------------------------- */

/* setpriority / ioprio_set / ioprio_get (which, who): one process, a group or a user, all must pass. */
static int prio(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t, bool ioprio,
		enum ck_kacs_process_op op)
{
	struct ck__kacs_sel sel;
	ck__kacs_sel_prio(ck__kacs_trap_int(t, 0), ck__kacs_trap_int(t, 1), ioprio, &sel);
	if (sel.kind == CK__SEL_NONE || (sel.kind == CK__SEL_ONE && sel.own))
		return answer(c, 0); /* EINVAL from the kernel, or the caller itself */
	if (sel.kind == CK__SEL_ONE)
		return sel.id < 0 ? answer(c, 0) : check_one(s, c, op, 0, sel.id);
	return check_set(s, c, &sel, op, 0, CAP_SYS_NICE);
}

static int row_setpriority(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return prio(s, c, t, false, CK_KACS_OP_SCHED_SET);
}

static int row_ioprio_set(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return prio(s, c, t, true, CK_KACS_OP_SCHED_SET);
}

static int row_ioprio_get(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return prio(s, c, t, true, CK_KACS_OP_SCHED_GET);
}

/* Rows whose first argument is a pid, 0 being the caller (exempt) and a negative one naming no process. */
static int pid_row(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t,
		   enum ck_kacs_process_op op)
{
	pid_t pid = ck__kacs_trap_int(t, 0);
	if (pid <= 0)
		return answer(c, 0);
	return check_one(s, c, op, 0, pid);
}

static int row_sched_set(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return pid_row(s, c, t, CK_KACS_OP_SCHED_SET);
}

static int row_sched_get(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return pid_row(s, c, t, CK_KACS_OP_SCHED_GET);
}

static int row_setaffinity(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return pid_row(s, c, t, CK_KACS_OP_SETAFFINITY);
}

static int row_prlimit(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if ((unsigned)ck__kacs_trap_int(t, 1) >= RLIM_NLIMITS)
		return answer(c, 0); /* prlimit64's EINVAL comes first */
	/* the new limit's NULL-ness is a register value: no TOCTOU */
	return pid_row(s, c, t, ck__kacs_trap_ulong(t, 2) ? CK_KACS_OP_PRLIMIT_SET : CK_KACS_OP_PRLIMIT_GET);
}

static int row_setpgid(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	if (ck__kacs_trap_int(t, 1) < 0)
		return answer(c, 0); /* setpgid's EINVAL for a negative pgid */
	return pid_row(s, c, t, CK_KACS_OP_SETPGID);
}

static int row_getpgid(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return pid_row(s, c, t, CK_KACS_OP_GETPGID);
}

static int row_getsid(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	return pid_row(s, c, t, CK_KACS_OP_GETSID);
}

/* perf_event_open(attr, pid, cpu, group_fd, flags): pid -1 is CPU-wide and a cgroup fd is no process. */
static int row_perf(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t pid = ck__kacs_trap_int(t, 1);
	uint64_t flags = ck__kacs_trap_ulong(t, 4);
	if ((flags & ~(uint64_t)PERF_FLAGS_KNOWN) || (flags & PERF_FLAG_PID_CGROUP) || pid < 0)
		return answer(c, 0);
	if (pid > 0)
		return check_one(s, c, CK_KACS_OP_PERF_EVENT_OPEN, 0, pid);
	/* pid 0 is the caller: the privilege is still owed (the model checks it first) */
	return answer(c, authorize(s, c, CK_KACS_OP_PERF_EVENT_OPEN, 0, ck__kacs_effective(c->caller),
				   c->caller->proc, c->caller->proc));
}

/* kcmp(pid1, pid2, ...): VM_READ on each process that is not the caller's; both known before either is decided. */
static int row_kcmp(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	pid_t pid[2] = { ck__kacs_trap_int(t, 0), ck__kacs_trap_int(t, 1) };
	struct ck__kacs_process *p;
	int verdict = 0;

	for (int i = 0; i < 2; i++) {
		if (pid[i] <= 0)
			return answer(c, 0); /* find_task_by_vpid finds nothing: ESRCH */
		int r = ck__kacs_target_pid(s, c, pid[i], &p);
		if (r)
			return lookup_failed(c, r);
	}
	/* looked up again one at a time: an outside process is the call's only until the next lookup */
	for (int i = 0; i < 2 && !verdict && !(i == 1 && pid[1] == pid[0]); i++) {
		int r = ck__kacs_target_pid(s, c, pid[i], &p);
		if (r)
			return lookup_failed(c, r == 1 ? -ESRCH : r);
		verdict = authorize(s, c, CK_KACS_OP_KCMP, 0, ck__kacs_effective(c->caller), c->caller->proc, p);
	}
	return answer(c, verdict);
}

/*
 * PR_SET_DUMPABLE / PR_GET_DUMPABLE: a PIP-protected process cannot make
 * itself dumpable (EPERM, K20 8-pip/1-process-protection.md); an
 * unprivileged S keeps the flag virtual (§2), since a non-dumpable task is
 * one it can no longer serve.
 */
static int row_prctl(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct ck__kacs_trap *t)
{
	struct ck__kacs_process *me = c->caller->proc;
	bool virtual = !ck__kacs_config(s)->privileged;
	uint64_t arg2 = ck__kacs_trap_ulong(t, 1);

	switch (ck__kacs_trap_int(t, 0)) {
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return answer(c, 0); /* SUID_DUMP_DISABLE or SUID_DUMP_USER only: EINVAL */
		if (arg2 == 1 && me->psb.pip_type != CK_KACS_PIP_NONE) {
			ck__kacs_decided(s, c, "set_dumpable", me, 0, NULL, EPERM, "pip");
			return answer(c, EPERM);
		}
		if (!virtual)
			return answer(c, 0);
		me->dumpable = (uint8_t)arg2;
		if (arg2 == 1)
			return answer(c, 0); /* the real flag may have been cleared by the kernel: setting it is harmless */
		ck__kacs_reply_value(c, 0);
		return 0;
	case PR_GET_DUMPABLE:
		if (!virtual)
			return answer(c, 0);
		ck__kacs_reply_value(c, me->dumpable);
		return 0;
	}
	return answer(c, 0);
}

/* ---- The table ------------------------------------------------------------------------------------ */

static row_fn *const rows[CK__ROW__COUNT] = {
	[CK__ROW_KILL] = row_kill,
	[CK__ROW_TKILL] = row_tkill,
	[CK__ROW_RT_SIGQUEUEINFO] = row_tkill,
	[CK__ROW_TGKILL] = row_tgkill,
	[CK__ROW_RT_TGSIGQUEUEINFO] = row_tgkill,
	[CK__ROW_PTRACE] = row_ptrace,
	[CK__ROW_PROCESS_VM_READV] = row_vm,
	[CK__ROW_PROCESS_VM_WRITEV] = row_vm,
	[CK__ROW_PIDFD_OPEN] = row_pidfd_open,
	[CK__ROW_PIDFD_GETFD] = row_pidfd_getfd,
	[CK__ROW_CLONE] = row_clone,
	[CK__ROW_FORK] = row_fork,
	[CK__ROW_VFORK] = row_fork,
	[CK__ROW_EXECVE] = row_execve,
	[CK__ROW_EXECVEAT] = row_execveat,
	[CK__ROW_SETPRIORITY] = row_setpriority,
	[CK__ROW_IOPRIO_SET] = row_ioprio_set,
	[CK__ROW_IOPRIO_GET] = row_ioprio_get,
	[CK__ROW_SCHED_SETSCHEDULER] = row_sched_set,
	[CK__ROW_SCHED_SETPARAM] = row_sched_set,
	[CK__ROW_SCHED_SETATTR] = row_sched_set,
	[CK__ROW_SCHED_SETAFFINITY] = row_setaffinity,
	[CK__ROW_SCHED_GETSCHEDULER] = row_sched_get,
	[CK__ROW_SCHED_GETPARAM] = row_sched_get,
	[CK__ROW_SCHED_GETATTR] = row_sched_get,
	[CK__ROW_SCHED_GETAFFINITY] = row_sched_get,
	[CK__ROW_SCHED_RR_GET_INTERVAL] = row_sched_get,
	[CK__ROW_SCHED_RR_GET_INTERVAL_TIME64] = row_sched_get,
	[CK__ROW_PRLIMIT64] = row_prlimit,
	[CK__ROW_SETPGID] = row_setpgid,
	[CK__ROW_GETPGID] = row_getpgid,
	[CK__ROW_GETSID] = row_getsid,
	[CK__ROW_PERF_EVENT_OPEN] = row_perf,
	[CK__ROW_MIGRATE_PAGES] = row_sched_set,
	[CK__ROW_MOVE_PAGES] = row_sched_set,
	[CK__ROW_KCMP] = row_kcmp,
	[CK__ROW_PRCTL] = row_prctl,
};

int ck__kacs_enforce(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	struct ck__kacs_trap t;
	uint64_t args[6];

	for (int i = 0; i < 6; i++)
		args[i] = c->req->data.args[i];
	if (ck__kacs_trap_decode(c->req->data.arch, c->req->data.nr, args, &t) || !rows[t.row])
		return -ENOSYS; /* the filter sent a call that is no row: S fails closed (EIO) */
	return rows[t.row](s, c, &t);
}
