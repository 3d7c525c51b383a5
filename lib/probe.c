/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_probe(): which process-creation features work here, found by trying each one. */
#include <clonekit/probe.h>
#include <clonekit/abi.h>
#include <clonekit/clone.h>
#include <clonekit/flags.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/live.h"
#include "internal/util.h"

/* The unprivileged user the probe drops to: the kernel's overflow uid, nobody. */
#define UNPRIV_ID 65534

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* The 32-bit-id calls where the plain names are the 16-bit ones (i386). */
#if defined(SYS_setresuid32)
#define NR_SETRESUID SYS_setresuid32
#define NR_SETRESGID SYS_setresgid32
#define NR_SETGROUPS SYS_setgroups32
#else
#define NR_SETRESUID SYS_setresuid
#define NR_SETRESGID SYS_setresgid
#define NR_SETGROUPS SYS_setgroups
#endif

/*
 * Shared (MAP_SHARED) between the parent and its children: the parent sets
 * flags, a child records the step that failed. Children run one at a time.
 */
struct child_page {
	uint64_t flags;
	int err;
	const char *step;
};

/* The children's stack: each child runs on its own copy. */
#define PROBE_STACK_SIZE (64 * 1024)

struct probe_run {
	struct ck_probe all;       /* every answer, copied out at the end */
	struct child_page *page;
	char *stack;
	struct ck_context ctx;
	bool ctx_ok;
};

struct probe_entry {
	struct ck_probe_feature pub;
	void (*try)(struct probe_run *run, const struct probe_entry *e, struct ck_probe_answer *a);
	uint64_t flag;             /* the CLONE_* flag tried, or the seccomp filter flags */
	enum ck_ns_type ns;        /* namespaces: which /proc/sys/user limit applies */
	const char *sysctl;        /* namespaces: that limit's sysctl name */
};

__attribute__((format(printf, 2, 3)))
static void set_why(struct ck_probe_answer *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
}

/* The usual reading of an errno; tries with other readings override it. */
static enum ck_probe_result classify(int err)
{
	switch (err) {
	case 0:
		return CK_PROBE_YES;
	case ENOSYS:
	case EINVAL:
	case E2BIG:
		return CK_PROBE_NO;
	case EPERM:
	case EACCES:
	case ENOSPC:
	case EUSERS:
	case EBUSY:
		return CK_PROBE_DENIED;
	default:
		return CK_PROBE_UNKNOWN;
	}
}

static void set_answer(struct ck_probe_answer *a, int err)
{
	a->result = classify(err);
	a->err = err;
	a->why[0] = '\0';
	if (a->result == CK_PROBE_UNKNOWN)
		set_why(a, "could not try: %s", strerrordesc_np(err));
}

static bool has_cap(const struct probe_run *run, int cap)
{
	return run->ctx_ok && (run->ctx.cap_effective & CAP_BIT(cap));
}

static int child_fail(struct child_page *pg, const char *step)
{
	pg->err = errno;
	pg->step = step;
	return 1;
}

static int child_exit_at_once(void *arg)
{
	return 0;
}

static int child_unshare(void *arg)
{
	struct child_page *pg = arg;

	if (unshare((int)pg->flags) < 0)
		return child_fail(pg, "unshare");
	return 0;
}

/* Raw syscalls only: glibc's set*id would signal the parent's other threads. */
static int child_drop_then_unshare(void *arg)
{
	struct child_page *pg = arg;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	memset(none, 0, sizeof(none));
	if (syscall(NR_SETGROUPS, 0, NULL) < 0)
		return child_fail(pg, "setgroups");
	if (syscall(NR_SETRESGID, UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0)
		return child_fail(pg, "setresgid");
	if (syscall(NR_SETRESUID, UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0)
		return child_fail(pg, "setresuid");
	if (syscall(SYS_capset, &hdr, none) < 0)
		return child_fail(pg, "capset");
	if (unshare((int)pg->flags) < 0)
		return child_fail(pg, "unshare");
	return 0;
}

/* Installs an allow-everything filter; pg->flags are the seccomp filter flags. */
static int child_seccomp(void *arg)
{
	struct child_page *pg = arg;
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return child_fail(pg, "prctl");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)pg->flags, &prog) < 0)
		return child_fail(pg, "seccomp");
	return 0;
}

/* 0 when the child exited, the signal that killed it, or -errno when it cannot be reaped. */
static int reap_child(pid_t pid, int pidfd)
{
	int st, r = ck__wait_child(pid, pidfd, &st);

	if (r < 0)
		return r;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* How a disposable child ended. */
struct child_end {
	pid_t pid;        /* its TID, or -errno when it could not be made */
	int err;          /* the errno it reported, 0 if none */
	int signal;       /* the signal that killed it, 0 when it exited */
	int reap_err;     /* errno of the wait that failed: someone else reaped it */
	int pidfd_flags;  /* with CLONE_PIDFD: F_GETFD of the pidfd, -1 when none came back */
};

static int end_errno(const struct child_end *end)
{
	return end->pid < 0 ? -end->pid : end->err;
}

/*
 * Makes a disposable child that runs fn and reaps it. It has no exit signal,
 * so the caller's SIGCHLD handler never hears of it and only __WALL waits see
 * it. What only clone3 can express goes through ck_clone3, the rest through
 * legacy clone, which seccomp profiles that refuse clone3 still allow.
 * Without own_memory the child borrows the caller's memory (CLONE_VM |
 * CLONE_VFORK, on the probe's stack, every signal blocked), so its cost does
 * not grow with the caller's size.
 */
static void child_run(struct probe_run *run, const struct ck_clone_args *in, int (*fn)(void *),
		      bool own_memory, struct child_end *end)
{
	struct ck_clone_args args = *in;
	sigset_t all, old;
	int pidfd = -1, r;

	memset(end, 0, sizeof(*end));
	end->pidfd_flags = -1;
	run->page->err = 0;
	run->page->step = NULL;
	args.exit_signal = 0;
	if (args.flags & CK_CLONE_PIDFD)
		args.pidfd = (uintptr_t)&pidfd;
	if (!own_memory) {
		args.flags |= CK_CLONE_VM | CK_CLONE_VFORK;
		args.stack = (uintptr_t)run->stack;
		args.stack_size = PROBE_STACK_SIZE;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
	}
	if (ck_clone_args_need_clone3(&args, sizeof(args))) {
		end->pid = ck_clone3(&args, sizeof(args), fn, run->page);
	} else {
		r = ck_clone(fn, run->stack + PROBE_STACK_SIZE, (int)args.flags, run->page,
			     (pid_t *)(uintptr_t)args.pidfd);
		end->pid = r < 0 ? -errno : r;
	}
	if (!own_memory)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (end->pid < 0)
		return;
	if (pidfd >= 0)
		end->pidfd_flags = fcntl(pidfd, F_GETFD);
	r = reap_child(end->pid, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	if (r < 0)
		end->reap_err = -r;
	else
		end->signal = r;
	end->err = run->page->err;
}

/*
 * The child that borrows the caller's memory first; an EINVAL is asked again
 * of a child with its own, since the kernel refuses CLONE_VM in some states
 * (after unshare(CLONE_NEWTIME) before 6.2).
 */
static void child_try(struct probe_run *run, const struct ck_clone_args *args, int (*fn)(void *),
		      struct child_end *end)
{
	child_run(run, args, fn, false, end);
	if (end_errno(end) == EINVAL)
		child_run(run, args, fn, true, end);
}

static void answer_from_end(struct ck_probe_answer *a, const struct child_end *end)
{
	if (end->pid < 0) {
		set_answer(a, -end->pid);
	} else if (end->reap_err) {
		set_answer(a, end->reap_err);
		a->result = CK_PROBE_UNKNOWN;
		set_why(a, "the child was reaped by someone else");
	} else if (end->signal) {
		set_answer(a, 0);
		a->result = CK_PROBE_UNKNOWN;
		set_why(a, "the child was killed by signal %d (%s)", end->signal,
			sigabbrev_np(end->signal));
	} else {
		set_answer(a, end->err);
	}
}

/* Runs fn in a disposable child and answers from what it reports. */
static void answer_from_child(struct probe_run *run, const struct ck_clone_args *args,
			      int (*fn)(void *), struct ck_probe_answer *a)
{
	struct child_end end;

	child_try(run, args, fn, &end);
	answer_from_end(a, &end);
}

static const char *seccomp_hint(void)
{
	char status[8192];
	const char *p;

	if (ck__read_small_file("/proc/self/status", status, sizeof(status)) < 0)
		return "";
	p = strstr(status, "\nSeccomp:");
	return p && strtol(p + 9, NULL, 10) == 2 ? " (this process runs under a seccomp filter)" : "";
}

/* Why a clone3-only feature failed with ENOSYS or E2BIG. */
static bool explain_missing_clone3(struct ck_probe_answer *a,
				   const char *what, const char *since)
{
	if (a->err == ENOSYS) {
		set_why(a, "%s needs clone3, which answers ENOSYS%s", what, seccomp_hint());
		return true;
	}
	if (a->err == E2BIG) {
		set_why(a, "%s needs a larger clone_args than this kernel takes (before %s)", what, since);
		return true;
	}
	return false;
}

static void try_clone3(struct probe_run *run, const struct probe_entry *e,
		       struct ck_probe_answer *a)
{
	const struct ck_arch_info *arch = ck_arch_native();
	int nr = arch ? ck_sysno(arch->arch, CK_NR_CLONE3) : -ENOSYS;

	if (nr < 0) {
		set_answer(a, ENOSYS);
		set_why(a, "this architecture has no clone3 number in the ABI table");
		return;
	}
	/* size 0 is below CLONE_ARGS_SIZE_VER0: EINVAL before any process is made */
	long r = syscall(nr, NULL, 0);
	int err = r < 0 ? errno : 0;

	set_answer(a, err);
	if (err == EINVAL) {
		a->result = CK_PROBE_YES;
	} else if (err == ENOSYS) {
		if (*seccomp_hint())
			set_why(a, "ENOSYS under a seccomp filter: the kernel may have clone3, the filter hides it");
		else
			set_why(a, "the kernel has no clone3 (before 5.3)");
	} else if (a->result == CK_PROBE_DENIED) {
		set_why(a, "refused by a seccomp filter or security module");
	} else if (err == 0) {
		a->result = CK_PROBE_UNKNOWN;
		set_why(a, "clone3(NULL, 0) returned %ld", r);
	}
}

static void try_clone_pidfd(struct probe_run *run, const struct probe_entry *e,
			    struct ck_probe_answer *a)
{
	struct ck_clone_args args = { .flags = CK_CLONE_PIDFD };
	struct child_end end;

	child_try(run, &args, child_exit_at_once, &end);
	answer_from_end(a, &end);
	if (a->err == EINVAL)
		set_why(a, "the kernel knows no CLONE_PIDFD (before 5.2)");
	else if (a->result == CK_PROBE_YES && !(end.pidfd_flags >= 0 && (end.pidfd_flags & FD_CLOEXEC)))
		set_why(a, "the child was made but no close-on-exec pidfd came back");
	if (a->result == CK_PROBE_YES && a->why[0])
		a->result = CK_PROBE_UNKNOWN;
}

static void try_clear_sighand(struct probe_run *run, const struct probe_entry *e,
			      struct ck_probe_answer *a)
{
	struct ck_clone_args args = { .flags = CK_CLONE_CLEAR_SIGHAND };

	answer_from_child(run, &args, child_exit_at_once, a);
	if (!explain_missing_clone3(a, "CLONE_CLEAR_SIGHAND", "5.5") && a->err == EINVAL)
		set_why(a, "the kernel knows no CLONE_CLEAR_SIGHAND (before 5.5)");
}

/* A PID that no task has now, in the caller's PID namespace, at or above 300. */
static pid_t free_pid(unsigned attempt)
{
	long long last, max;

	if (ck__read_ll("/proc/sys/kernel/ns_last_pid", &last) < 0)
		last = getpid();
	if (ck__read_ll("/proc/sys/kernel/pid_max", &max) < 0 || max <= 1000)
		max = 32768;
	for (unsigned i = 0; i < 64; i++) {
		/* ahead of the allocator, where it will not hand the PID out first */
		long long want = last + 1000 + (long long)(attempt * 64 + i) * 97;
		want = 300 + (want - 300) % (max - 300);
		if (!ck__pid_in_use((int)want))
			return (pid_t)want;
	}
	return -1;
}

static void try_set_tid(struct probe_run *run, const struct probe_entry *e,
			struct ck_probe_answer *a)
{
	struct child_end end;

	for (unsigned attempt = 0; attempt < 4; attempt++) {
		pid_t want = free_pid(attempt);
		if (want < 0)
			break;
		struct ck_clone_args args = { .set_tid = (uintptr_t)&want, .set_tid_size = 1 };
		child_try(run, &args, child_exit_at_once, &end);
		/* another task took the PID first */
		if (end.pid == -EEXIST)
			continue;
		answer_from_end(a, &end);
		if (explain_missing_clone3(a, "set_tid", "5.5"))
			return;
		if (a->err == EPERM)
			set_why(a, "needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN over the PID namespace");
		else if (a->result == CK_PROBE_YES && end.pid != want) {
			a->result = CK_PROBE_UNKNOWN;
			set_why(a, "asked for PID %d, the child got %d", (int)want, (int)end.pid);
		}
		return;
	}
	set_answer(a, EEXIST);
	set_why(a, "found no free PID to ask for");
}

/* The caller's own cgroup v2 directory, always a valid target if writable. */
static int open_own_cgroup(char *path, size_t len)
{
	char mnt[1024], self[4096];
	int r = ck__cgroup2_mount(mnt, sizeof(mnt));

	if (r < 0)
		return r;
	r = (int)ck__read_small_file("/proc/self/cgroup", self, sizeof(self));
	if (r < 0)
		return r;
	char *p = strncmp(self, "0::", 3) == 0 ? self + 3 : strstr(self, "\n0::");
	if (!p)
		return -ENOENT;
	if (p != self + 3)
		p += 4;
	p[strcspn(p, "\n")] = '\0';
	r = snprintf(path, len, "%s%s", mnt, strcmp(p, "/") == 0 ? "" : p);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void try_into_cgroup(struct probe_run *run, const struct probe_entry *e,
			    struct ck_probe_answer *a)
{
	char path[2048] = "";
	int fd CK_AUTO_CLOSE = open_own_cgroup(path, sizeof(path));

	if (fd < 0) {
		set_answer(a, -fd);
		a->result = CK_PROBE_UNKNOWN;
		if (fd == -ENOENT && !path[0])
			set_why(a, "no cgroup v2 hierarchy is mounted to find this process's cgroup in");
		else
			set_why(a, "cannot open this process's cgroup %s: %s", path, strerrordesc_np(-fd));
		return;
	}
	struct ck_clone_args args = { .flags = CK_CLONE_INTO_CGROUP, .cgroup = (uint64_t)fd };
	answer_from_child(run, &args, child_exit_at_once, a);
	if (explain_missing_clone3(a, "CLONE_INTO_CGROUP", "5.7"))
		return;
	switch (a->err) {
	case EINVAL:
		set_why(a, "the kernel knows no CLONE_INTO_CGROUP (before 5.7)");
		break;
	case EACCES:
	case EPERM:
		set_why(a, "%s/cgroup.procs is not writable by this process", path);
		break;
	case EOPNOTSUPP:
		a->result = CK_PROBE_DENIED;
		set_why(a, "%s is threaded or of type domain invalid", path);
		break;
	}
}

/*
 * Why creating a namespace failed, from the sysctls and the caller's state.
 * unprivileged: the try ran as UNPRIV_ID without capabilities.
 */
static void explain_ns(const struct probe_run *run, const struct probe_entry *e,
		       struct ck_probe_answer *a, bool unprivileged)
{
	const struct ck_context *ctx = &run->ctx;
	bool user = e->flag == CK_CLONE_NEWUSER;
	bool admin = !unprivileged && has_cap(run, CAP_SYS_ADMIN);
	long long limit = run->ctx_ok ? ctx->max_ns[e->ns] : -1;

	switch (a->err) {
	case EINVAL:
		set_why(a, "the kernel cannot make a %s (not built in, or too old)", e->pub.title);
		return;
	case ENOSPC:
		if (limit == 0)
			set_why(a, "%s = 0", e->sysctl);
		else
			set_why(a, "%s = %lld, all in use", e->sysctl, limit);
		return;
	case EUSERS:
		set_why(a, "32 nested user namespaces already");
		return;
	case EPERM:
	case EACCES:
		break;
	default:
		return;
	}
	if (!run->ctx_ok) {
		set_why(a, "refused; the caller's context could not be read");
	} else if (user && ctx->chrooted) {
		set_why(a, "a chrooted process may not create user namespaces");
	} else if (user && !admin && ctx->unprivileged_userns_clone == 0) {
		set_why(a, "kernel.unprivileged_userns_clone = 0");
	} else if (user && !admin && ctx->apparmor_restrict_userns == 1) {
		set_why(a, "kernel.apparmor_restrict_unprivileged_userns = 1");
	} else if (user && !ctx->ids_mapped) {
		set_why(a, "this process's uid or gid has no mapping in its user namespace");
	} else if (!user && !admin) {
		set_why(a, "needs CAP_SYS_ADMIN in this process's user namespace");
	} else {
		set_why(a, "refused by a seccomp filter or security module%s", seccomp_hint());
	}
}

static void try_newtime(struct probe_run *run, const struct probe_entry *e,
			struct ck_probe_answer *a)
{
	struct ck_clone_args args = { .flags = CK_CLONE_NEWTIME };

	answer_from_child(run, &args, child_exit_at_once, a);
	if (explain_missing_clone3(a, "CLONE_NEWTIME", "5.6"))
		return;
	if (a->err == EINVAL)
		set_why(a, "clone3 refuses CLONE_NEWTIME before 6.3, or the kernel has no time namespaces");
	else
		explain_ns(run, e, a, false);
}

static void try_namespace(struct probe_run *run, const struct probe_entry *e,
			  struct ck_probe_answer *a)
{
	struct ck_clone_args args = { 0 };

	run->page->flags = e->flag;
	answer_from_child(run, &args, child_unshare, a);
	explain_ns(run, e, a, false);
}

static void try_unprivileged_userns(struct probe_run *run, const struct probe_entry *e,
				    struct ck_probe_answer *a)
{
	struct ck_clone_args args = { 0 };
	struct child_end end;

	if (!has_cap(run, CAP_SETUID) || !has_cap(run, CAP_SETGID)) {
		if (!run->ctx_ok || has_cap(run, CAP_SYS_ADMIN)) {
			set_answer(a, EPERM);
			a->result = CK_PROBE_UNKNOWN;
			set_why(a, "cannot drop to an unprivileged uid without CAP_SETUID and CAP_SETGID");
			return;
		}
		/* already unprivileged: the user namespace try said it all */
		*a = run->all.user_namespace;
		return;
	}
	run->page->flags = CK_CLONE_NEWUSER;
	/* new credentials in a CLONE_VM child would make the shared mm undumpable */
	child_run(run, &args, child_drop_then_unshare, true, &end);
	answer_from_end(a, &end);
	if (a->result == CK_PROBE_YES || a->why[0])
		return;
	if (run->page->step && strcmp(run->page->step, "unshare") != 0) {
		a->result = CK_PROBE_UNKNOWN;
		set_why(a, "could not become uid %d: %s failed", UNPRIV_ID, run->page->step);
		return;
	}
	explain_ns(run, e, a, true);
}

static void try_seccomp(struct probe_run *run, const struct probe_entry *e,
			struct ck_probe_answer *a)
{
	struct ck_clone_args args = { 0 };
	bool notif = e->flag != 0;

	run->page->flags = e->flag;
	answer_from_child(run, &args, child_seccomp, a);
	switch (a->err) {
	case EINVAL:
		set_why(a, notif ? "the kernel knows no SECCOMP_FILTER_FLAG_NEW_LISTENER (before 5.0)"
				 : "the kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)");
		break;
	case ENOSYS:
		set_why(a, "no seccomp syscall%s", seccomp_hint());
		break;
	case EBUSY:
		set_why(a, "a filter with a listener is already installed on this process");
		break;
	case EPERM:
	case EACCES:
		set_why(a, "refused by a seccomp filter or security module%s", seccomp_hint());
		break;
	}
}

static void try_no_new_privs(struct probe_run *run, const struct probe_entry *e,
			     struct ck_probe_answer *a)
{
	int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	set_answer(a, r < 0 ? errno : 0);
	if (r < 0) {
		if (a->err == EINVAL)
			set_why(a, "the kernel has no no_new_privs (before 3.5)");
	} else if (r == 0) {
		a->result = CK_PROBE_NO;
		set_why(a, "not set: execve may still gain privileges");
	}
}

/* What ck_watcher_open() needs of the kernel, each tried the cheapest way. */
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

static int bpf_call(int cmd, union bpf_attr *attr)
{
	int fd = (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* r0 = 0; exit: the smallest program, of the type of the watcher's sched_process_fork one. */
static int load_tracepoint_program(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = CK_ARRAY_SIZE(prog);
	attr.license = (uintptr_t)"GPL";
	return bpf_call(BPF_PROG_LOAD, &attr);
}

static int create_ring_buffer(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_RINGBUF;
	attr.max_entries = (uint32_t)sysconf(_SC_PAGESIZE);
	return bpf_call(BPF_MAP_CREATE, &attr);
}

static void try_watcher(struct probe_run *run, const struct probe_entry *e,
			struct ck_probe_answer *a)
{
	int r;

	if (!CK_HAVE_WATCHER) {
		set_answer(a, ENOSYS);
		set_why(a, "this libclonekit was built without the eBPF watcher");
		return;
	}
	/* CO-RE: the programs are fitted to the running kernel by its BTF */
	int btf = open(BTF_VMLINUX, O_RDONLY | O_CLOEXEC);
	if (btf < 0) {
		set_answer(a, errno);
		if (a->err == ENOENT) {
			a->result = CK_PROBE_NO;
			set_why(a, "no kernel BTF at " BTF_VMLINUX " (CONFIG_DEBUG_INFO_BTF)");
		} else {
			set_why(a, "cannot read " BTF_VMLINUX ": %s", strerrordesc_np(a->err));
		}
		return;
	}
	close(btf);
	r = load_tracepoint_program();
	if (r == 0)
		r = create_ring_buffer();
	set_answer(a, -r);
	switch (-r) {
	case EPERM:
	case EACCES:
		set_why(a, "needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN%s", seccomp_hint());
		break;
	case ENOSYS:
		set_why(a, "no bpf() system call (CONFIG_BPF_SYSCALL)%s", seccomp_hint());
		break;
	case EINVAL:
		set_why(a, "the kernel has no BPF ring buffer (before 5.8) or tracepoint programs");
		break;
	}
}

#define FEATURE(field, title, tries) \
	.pub = { #field, title, tries, offsetof(struct ck_probe, field) }
#define NAMESPACE(field, title, nsflag, nstype, limit)                               \
	{ FEATURE(field, title, "unshare(" #nsflag ") in a forked child"), .try = try_namespace, \
	  .flag = CK_##nsflag, .ns = nstype, .sysctl = "user." limit }

static const struct probe_entry table[] = {
	{ FEATURE(clone3, "clone3 syscall", "clone3(NULL, 0), no child: EINVAL if it exists"),
	  .try = try_clone3 },
	{ FEATURE(clone_pidfd, "CLONE_PIDFD", "a child with CLONE_PIDFD, reaped via the pidfd"),
	  .try = try_clone_pidfd },
	{ FEATURE(clone_clear_sighand, "CLONE_CLEAR_SIGHAND", "a child with CLONE_CLEAR_SIGHAND"),
	  .try = try_clear_sighand },
	{ FEATURE(set_tid, "clone3 set_tid", "a child asking set_tid for a free PID"),
	  .try = try_set_tid },
	{ FEATURE(clone_into_cgroup, "CLONE_INTO_CGROUP", "a child put into this process's own cgroup"),
	  .try = try_into_cgroup },
	{ FEATURE(clone_newtime, "CLONE_NEWTIME", "a child with clone3(CLONE_NEWTIME)"),
	  .try = try_newtime, .flag = CK_CLONE_NEWTIME, .ns = CK_NS_TIME,
	  .sysctl = "user.max_time_namespaces" },
	NAMESPACE(user_namespace, "user namespace", CLONE_NEWUSER, CK_NS_USER, "max_user_namespaces"),
	NAMESPACE(pid_namespace, "PID namespace", CLONE_NEWPID, CK_NS_PID, "max_pid_namespaces"),
	NAMESPACE(net_namespace, "network namespace", CLONE_NEWNET, CK_NS_NET, "max_net_namespaces"),
	NAMESPACE(mount_namespace, "mount namespace", CLONE_NEWNS, CK_NS_MNT, "max_mnt_namespaces"),
	NAMESPACE(uts_namespace, "UTS namespace", CLONE_NEWUTS, CK_NS_UTS, "max_uts_namespaces"),
	NAMESPACE(ipc_namespace, "IPC namespace", CLONE_NEWIPC, CK_NS_IPC, "max_ipc_namespaces"),
	NAMESPACE(cgroup_namespace, "cgroup namespace", CLONE_NEWCGROUP, CK_NS_CGROUP,
		  "max_cgroup_namespaces"),
	NAMESPACE(time_namespace, "time namespace", CLONE_NEWTIME, CK_NS_TIME, "max_time_namespaces"),
	{ FEATURE(unprivileged_user_namespace, "unprivileged user namespaces",
		  "unshare(CLONE_NEWUSER) as uid 65534, no caps"),
	  .try = try_unprivileged_userns, .flag = CK_CLONE_NEWUSER, .ns = CK_NS_USER,
	  .sysctl = "user.max_user_namespaces" },
	{ FEATURE(seccomp_filter, "seccomp filter", "a child sets no_new_privs, installs a filter"),
	  .try = try_seccomp },
	{ FEATURE(seccomp_user_notif, "seccomp user notification",
		  "a child's filter with FILTER_FLAG_NEW_LISTENER"),
	  .try = try_seccomp, .flag = SECCOMP_FILTER_FLAG_NEW_LISTENER },
	{ FEATURE(no_new_privs, "no_new_privs set", "prctl(PR_GET_NO_NEW_PRIVS) on this process"),
	  .try = try_no_new_privs },
	{ FEATURE(watcher, "eBPF watcher", "kernel BTF read, a tracepoint program and a ring buffer made"),
	  .try = try_watcher },
};

static struct ck_probe_answer *answer_at(struct ck_probe *p, size_t offset)
{
	return (struct ck_probe_answer *)((char *)p + offset);
}

int ck_probe(struct ck_probe *out)
{
	struct probe_run run;
	size_t size;

	if (!out || out->size < offsetof(struct ck_probe, clone3) + sizeof(struct ck_probe_answer))
		return -EINVAL;
	size = out->size;

	memset(&run, 0, sizeof(run));
	run.page = mmap(NULL, sizeof(*run.page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	if (run.page == MAP_FAILED)
		return -ENOMEM;
	run.stack = mmap(NULL, PROBE_STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (run.stack == MAP_FAILED) {
		munmap(run.page, sizeof(*run.page));
		return -ENOMEM;
	}
	run.ctx.size = sizeof(run.ctx);
	run.ctx_ok = ck_context_current(&run.ctx) == 0;

	for (size_t i = 0; i < CK_ARRAY_SIZE(table); i++) {
		const struct probe_entry *e = &table[i];
		struct ck_probe_answer *a = answer_at(&run.all, e->pub.offset);
		if (e->pub.offset + sizeof(struct ck_probe_answer) > size)
			continue;
		e->try(&run, e, a);
		if (a->why[0])
			continue;
		if (a->result == CK_PROBE_DENIED)
			set_why(a, "refused by a seccomp filter or security module%s", seccomp_hint());
		else if (a->result == CK_PROBE_NO)
			set_why(a, "the kernel does not know it");
	}
	munmap(run.stack, PROBE_STACK_SIZE);
	munmap(run.page, sizeof(*run.page));

	size_t known = size < sizeof(run.all) ? size : sizeof(run.all);
	memcpy((char *)out + sizeof(out->size), (char *)&run.all + sizeof(out->size),
	       known - sizeof(out->size));
	memset((char *)out + known, 0, size - known);
	return 0;
}

const char *ck_probe_result_name(enum ck_probe_result r)
{
	switch (r) {
	case CK_PROBE_UNKNOWN: return "unknown";
	case CK_PROBE_YES: return "yes";
	case CK_PROBE_NO: return "no";
	case CK_PROBE_DENIED: return "denied";
	}
	return "?";
}

size_t ck_probe_feature_count(void)
{
	return CK_ARRAY_SIZE(table);
}

const struct ck_probe_feature *ck_probe_feature_at(size_t i)
{
	return i < CK_ARRAY_SIZE(table) ? &table[i].pub : NULL;
}

const struct ck_probe_feature *ck_probe_feature_by_name(const char *name)
{
	for (size_t i = 0; name && i < CK_ARRAY_SIZE(table); i++)
		if (strcmp(table[i].pub.name, name) == 0)
			return &table[i].pub;
	errno = ENOENT;
	return NULL;
}

const struct ck_probe_answer *ck_probe_answer_of(const struct ck_probe *p,
						 const struct ck_probe_feature *f)
{
	if (!p || !f || f->offset + sizeof(struct ck_probe_answer) > p->size) {
		errno = EINVAL;
		return NULL;
	}
	return (const struct ck_probe_answer *)((const char *)p + f->offset);
}
