/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The validator held against the running kernel: random calls to clone,
 * clone3 and unshare are executed for real in a disposable helper process and
 * the kernel's errno is compared with the one ck_validate() predicts for that
 * helper, from the context ck_context_current() reads. The helper runs as
 * root; as an unprivileged user (uid 65534, no capabilities); as PID 1 of a
 * new PID namespace; after unshare(CLONE_NEWPID); chrooted and unprivileged;
 * as root of a user namespace whose user, network, mount and time namespace
 * limits are 0; and in a user namespace without uid/gid maps. CLONEKIT_SEED fixes the seed, CLONEKIT_DIFF_N the count.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/clonekit.h>

#include "../support.h"
#include "internal/live.h"
#include "internal/util.h"
#include "rawcall.h"

#define DEFAULT_N 10000
#define SCENARIO_N 5000
#define BATCH 500
#define UNPRIV_ID 65534

/* One generated call and what came of it. */
struct dcase {
	enum ck_syscall sc;
	uint64_t flags;
	uint64_t exit_signal;
	uint64_t stack, stack_size, tls;
	uint64_t args_size;
	bool tail_nonzero;
	bool null_ptid, null_ctid, null_pidfd, pidfd_is_ptid;
	int32_t set_tid[4];
	uint64_t set_tid_size;
	bool has_set_tid, set_tid_null;
	int cgroup_kind;     /* enum cg_kind: which CLONE_INTO_CGROUP target */
	/* results */
	int kernel_err;      /* 0 success, else positive errno */
	int model_err;
	const char *model_rule; /* the first error rule, a string in the library */
	char model_msg[224];
};

enum scenario {
	AS_ROOT,
	AS_UNPRIVILEGED,
	AS_CONTAINER_INIT,
	AFTER_UNSHARE_NEWPID,
	CHROOTED_UNPRIVILEGED,
	IN_USERNS_WITH_LIMITS,
	IN_UNMAPPED_USERNS,
};

static const char *const scenario_names[] = {
	"root", "unprivileged uid 65534", "PID 1 of a new PID namespace",
	"after unshare(CLONE_NEWPID)", "chrooted, uid 65534",
	"root of a user namespace, user, net, mnt and time limits 0",
	"a user namespace without uid/gid maps",
};

/*
 * The CLONE_INTO_CGROUP targets: one per shape the kernel judges apart.
 * Below the test's cgroup T (root's, mode 0755), with the helper in
 * T/deleg/home, the subtree T/deleg delegated to uid 65534 and T/deleg/tr a
 * thread root; the controller shapes are siblings of T, made only where the
 * hierarchy's root hands the controllers down.
 */
enum cg_kind {
	CG_NONE,
	CG_TEST,         /* T: not writable for 65534 */
	CG_NOT_CGROUP2,  /* /tmp: EBADF */
	CG_CLOSED,       /* fd 900: EBADF */
	CG_ABOVE_INT,    /* 2^31: EINVAL */
	CG_OTHER,        /* T/other, 65534's, below T: 65534 may not write the common ancestor's cgroup.procs */
	CG_HOME,         /* T/deleg/home, the helper's own cgroup */
	CG_LEAF,         /* T/deleg/leaf: 65534 may write it and the common ancestor's */
	CG_THREADED,     /* T/deleg/tr/t, threaded: another resource domain than the helper's */
	CG_INVALID,      /* T/deleg/tr/d: "domain invalid" */
	CG_REMOVED,      /* T/gone, removed after it was opened: ENOENT */
	CG_THREAD_CTL,   /* a thread-capable controller for its children, one of which has a process */
	CG_DOMAIN_CTL,   /* a domain controller for its children */
	CG__COUNT
};

static const char *const cg_names[CG__COUNT] = {
	"none", "T", "/tmp", "closed fd", "2^31", "T/other", "T/deleg/home", "T/deleg/leaf",
	"T/deleg/tr/t (threaded)", "T/deleg/tr/d (domain invalid)", "T/gone (removed)",
	"thread-capable controller, populated child", "domain controller",
};

struct shared {
	enum scenario scenario;
	char chroot_dir[64];
	int cg_fd[CG__COUNT];
	char thread_ctl[32], domain_ctl[32]; /* the controllers enabled there, "" where none */
	uint64_t scratch_stack;
	struct dcase cases[];
};

static uint64_t rng_state;


static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static unsigned pct(void)
{
	return (unsigned)(rnd() % 100);
}

static uint64_t random_flags(enum ck_syscall sc)
{
	static const uint64_t bases[] = {
		0,
		CK_CLONE_CHILD_CLEARTID | CK_CLONE_CHILD_SETTID,             /* fork */
		CK_CLONE_VM | CK_CLONE_VFORK,                                /* vfork, posix_spawn */
		CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_FILES | CK_CLONE_SIGHAND | CK_CLONE_THREAD |
			CK_CLONE_SYSVSEM | CK_CLONE_SETTLS | CK_CLONE_PARENT_SETTID |
			CK_CLONE_CHILD_CLEARTID,                             /* pthread_create */
		CK_CLONE_NEWUSER | CK_CLONE_NEWNS | CK_CLONE_NEWPID | CK_CLONE_NEWNET |
			CK_CLONE_NEWUTS | CK_CLONE_NEWIPC,                   /* a container */
		CK_CLONE_NEWUSER,
		CK_CLONE_PIDFD,
	};
	uint64_t f = bases[rnd() % (sizeof(bases) / sizeof(bases[0]))];
	unsigned p = pct() < 50 ? 4 : 12;

	for (size_t i = 0; i < ck_flag_count(); i++)
		if (pct() < p)
			f ^= ck_flag_at(i)->value;
	if (pct() < 5)
		f |= UINT64_C(1) << (rnd() % 64);
	if (sc == CK_SYSCALL_CLONE)
		f &= ~CK_CSIGNAL | (pct() < 3 ? CK_CSIGNAL : 0);
	return f;
}

static unsigned random_legacy_signal(void)
{
	unsigned p = pct();
	if (p < 40)
		return SIGCHLD;
	if (p < 60)
		return 0;
	if (p < 85)
		return 1 + (unsigned)(rnd() % 64);
	return 65 + (unsigned)(rnd() % 191);
}

static void generate(struct dcase *c, const struct shared *sh, int pid_max)
{
	memset(c, 0, sizeof(*c));
	unsigned which = pct();
	c->sc = which < 40 ? CK_SYSCALL_CLONE : which < 85 ? CK_SYSCALL_CLONE3 : CK_SYSCALL_UNSHARE;
	c->flags = random_flags(c->sc);
	c->null_ptid = pct() < 8;
	c->null_ctid = pct() < 8;
	c->null_pidfd = pct() < 8;

	if (c->sc == CK_SYSCALL_CLONE) {
		c->flags = (c->flags & ~CK_CSIGNAL) | random_legacy_signal();
		if (pct() < 5)
			c->flags |= rnd() & CK_CSIGNAL;
	}
	if (c->sc == CK_SYSCALL_UNSHARE) {
		/* unshare's flags mostly come from its own repertoire */
		if (pct() < 70)
			c->flags &= ck_flags_known(CK_SYSCALL_UNSHARE) | (pct() < 10 ? ~UINT64_C(0) : 0);
		return;
	}
	if (c->flags & CK_CLONE_SETTLS) {
		static const uint64_t tls[] = { 0, 0x10000, UINT64_C(0x7ffffffff000),
						UINT64_C(0x7fffffffefff), UINT64_C(0xffff800000000000) };
		c->tls = tls[rnd() % 5];
	}
	if (c->sc == CK_SYSCALL_CLONE) {
		if (pct() < 20)
			c->stack = sh->scratch_stack;
		return;
	}

	/* clone3 */
	unsigned s = pct();
	c->exit_signal = s < 40 ? SIGCHLD : s < 70 ? 0 : s < 85 ? 1 + rnd() % 64
			 : s < 95 ? 65 + rnd() % 191 : (UINT64_C(1) << 32) | SIGCHLD;
	unsigned st = pct();
	if (st < 60) {
		c->stack = 0;
		c->stack_size = 0;
	} else if (st < 70) {
		c->stack = sh->scratch_stack;
		c->stack_size = 65536;
	} else if (st < 75) {
		c->stack = 0;
		c->stack_size = 4096;
	} else if (st < 80) {
		c->stack = sh->scratch_stack;
		c->stack_size = 0;
	} else if (st < 85) {
		c->stack = UINT64_C(0xffff800000000000);
		c->stack_size = 4096;
	} else if (st < 90) {
		c->stack = UINT64_C(0x7ffffffff000) - 8192;
		c->stack_size = 8192; /* ends exactly at TASK_SIZE_MAX */
	} else if (st < 95) {
		c->stack = UINT64_C(0x7ffffffff000) - 8192;
		c->stack_size = 8191;
	} else {
		c->stack = UINT64_MAX - 100;
		c->stack_size = 4096; /* wraps */
	}
	unsigned z = pct();
	c->args_size = z < 75 ? CK_CLONE_ARGS_SIZE_VER2 : z < 80 ? CK_CLONE_ARGS_SIZE_VER0
		       : z < 84 ? 72 : z < 88 ? CK_CLONE_ARGS_SIZE_VER1 : z < 92 ? 96
		       : z < 94 ? 4096 : z < 96 ? 4104 : z < 98 ? 56 : 104;
	c->tail_nonzero = c->args_size > 88 && pct() < 50;
	c->pidfd_is_ptid = pct() < 10;

	unsigned t = pct();
	if (t < 12) {
		/* set_tid: valid and invalid shapes */
		unsigned kind = (unsigned)(rnd() % 8);
		int free_pid = 20000 + (int)(rnd() % 10000);
		if (free_pid >= pid_max)
			free_pid = pid_max - 1;
		switch (kind) {
		case 0: c->set_tid[0] = 1; c->set_tid_size = 1; break;
		case 1: c->set_tid[0] = 2; c->set_tid_size = 1; break;
		case 2: c->set_tid[0] = 1; c->set_tid[1] = free_pid; c->set_tid_size = 2; break;
		case 3: c->set_tid[0] = free_pid; c->set_tid_size = 1; break;
		case 4: c->set_tid[0] = (int32_t)getpid(); c->set_tid_size = 1; break;
		case 5: c->set_tid[0] = pid_max; c->set_tid_size = 1; break;
		case 6: c->set_tid[0] = 0; c->set_tid_size = 1; break;
		default: c->set_tid[0] = 1; c->set_tid_size = 33; break;
		}
		c->has_set_tid = true;
		if (pct() < 15)
			c->set_tid_null = true;
		if (pct() < 10)
			c->set_tid_size = 0;
		if (pct() < 30)
			c->flags |= CK_CLONE_NEWPID;
	}
	if (c->flags & CK_CLONE_INTO_CGROUP || pct() < 10) {
		/* per cent of the CLONE_INTO_CGROUP calls for each target */
		static const unsigned share[CG__COUNT] = {
			[CG_TEST] = 20, [CG_NOT_CGROUP2] = 6, [CG_CLOSED] = 6, [CG_ABOVE_INT] = 5,
			[CG_OTHER] = 10, [CG_HOME] = 10, [CG_LEAF] = 10, [CG_THREADED] = 9,
			[CG_INVALID] = 8, [CG_REMOVED] = 6, [CG_THREAD_CTL] = 5, [CG_DOMAIN_CTL] = 5,
		};
		unsigned k = pct(), kind = CG_TEST;
		for (unsigned i = 1, sum = 0; i < CG__COUNT; i++) {
			sum += share[i];
			if (k < sum) {
				kind = i;
				break;
			}
		}
		if (sh->cg_fd[kind] < 0 && kind != CG_CLOSED && kind != CG_ABOVE_INT)
			kind = CG_TEST; /* a shape this machine cannot make */
		c->flags |= CK_CLONE_INTO_CGROUP;
		c->cgroup_kind = (int)kind;
		if (pct() < 40) {
			/* a call with nothing else wrong, so that it reaches the cgroup checks */
			bool thread = pct() < 30;
			c->flags = CK_CLONE_INTO_CGROUP |
				   (thread ? CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM : 0);
			c->exit_signal = thread ? 0 : SIGCHLD;
			c->stack = c->stack_size = c->tls = 0;
			c->args_size = CK_CLONE_ARGS_SIZE_VER2;
			c->tail_nonzero = false;
			c->has_set_tid = c->set_tid_null = false;
			c->set_tid_size = 0;
		}
	}
}

/* The request ck_validate sees: the same values the raw call passes. */
static void to_request(const struct dcase *c, const struct shared *sh, struct ck_clone_request *req,
		       uint64_t ptid, uint64_t ctid, uint64_t pidfd)
{
	ck_clone_request_init(req, c->sc, c->flags);
	req->stack = c->stack;
	req->stack_size = c->stack_size;
	req->tls = c->tls;
	req->parent_tid = ptid;
	req->child_tid = ctid;
	req->pidfd = c->sc == CK_SYSCALL_CLONE ? ptid : pidfd;
	if (c->sc != CK_SYSCALL_CLONE3)
		return;
	req->exit_signal = c->exit_signal;
	req->args_size = c->args_size;
	req->args_tail_nonzero = c->tail_nonzero;
	req->set_tid_size = c->set_tid_size;
	req->set_tid = c->has_set_tid && !c->set_tid_null ? (uint64_t)(uintptr_t)c->set_tid : 0;
	req->set_tid_values = c->set_tid;
	switch (c->cgroup_kind) {
	case CG_NONE: req->cgroup = 0; break;
	case CG_CLOSED: req->cgroup = 900; break;
	case CG_ABOVE_INT: req->cgroup = UINT64_C(1) << 31; break;
	default: req->cgroup = (uint64_t)sh->cg_fd[c->cgroup_kind];
	}
}

/* Executes one clone or clone3 in the calling process; 0 or a positive errno. */
static int execute(const struct ck_clone_request *req)
{
	long r;
	if (req->syscall == CK_SYSCALL_CLONE) {
		r = raw_clone_exit(req->flags, req->stack, req->parent_tid, req->child_tid, req->tls);
	} else {
		uint64_t buf[4096 / 8 + 2];
		struct clone_args *a = (struct clone_args *)buf;
		memset(buf, 0, sizeof(buf));
		a->flags = req->flags;
		a->pidfd = req->pidfd;
		a->child_tid = req->child_tid;
		a->parent_tid = req->parent_tid;
		a->exit_signal = req->exit_signal;
		a->stack = req->stack;
		a->stack_size = req->stack_size;
		a->tls = req->tls;
		a->set_tid = req->set_tid;
		a->set_tid_size = req->set_tid_size;
		a->cgroup = req->cgroup;
		if (req->args_tail_nonzero)
			buf[11] = 0x5a; /* the first byte past the 88 known ones */
		r = raw_clone3_exit(a, req->args_size);
	}
	return r < 0 ? (int)-r : 0;
}

/* What the child of a successful call signals its parent with. */
static unsigned delivered_signal(const struct ck_clone_request *req)
{
	uint64_t f = req->flags;
	if (f & (CK_CLONE_THREAD | CK_CLONE_PARENT))
		return 0;
	return req->syscall == CK_SYSCALL_CLONE ? (unsigned)(f & CK_CSIGNAL)
						: (unsigned)req->exit_signal;
}

static void block_all_signals(void)
{
	uint64_t all = ~UINT64_C(0);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
}

/* Records what ck_validate() predicts for req from ctx (NULL: this process now). */
static void predict(struct dcase *c, const struct ck_clone_request *req, const struct ck_context *ctx)
{
	struct ck_context now = { .size = sizeof(now) };
	if (!ctx) {
		if (ck_context_current(&now) < 0) {
			c->model_err = -1;
			return;
		}
		ctx = &now;
	}
	struct ck_verdict *v = ck_validate(req, ctx);
	c->model_err = v ? ck_verdict_errno(v) : -1;
	if (v && ck_verdict_errno(v)) {
		c->model_rule = ck_verdict_at(v, 0)->rule;
		snprintf(c->model_msg, sizeof(c->model_msg), "%s", ck_verdict_at(v, 0)->message);
	}
	ck_verdict_free(v);
}

/* Runs one case in this (helper) process; records both answers. */
static void run_case(struct dcase *c, struct shared *sh, const struct ck_context *hctx)
{
	int32_t ptid = 0, ctid = 0, pidfd = -1;
	struct ck_clone_request req;
	uint64_t pptr = c->null_ptid ? 0 : (uint64_t)(uintptr_t)&ptid;
	uint64_t cptr = c->null_ctid ? 0 : (uint64_t)(uintptr_t)&ctid;
	uint64_t fptr = c->null_pidfd ? 0 : c->pidfd_is_ptid ? pptr : (uint64_t)(uintptr_t)&pidfd;

	/*
	 * An earlier CLONE_SIGHAND|CLONE_NEWPID child sets SIGCHLD to SIG_IGN in
	 * the handler table it shared with this helper when it exits (the
	 * newpid-sighand-ignores-sigchld warning); restore it.
	 */
	signal(SIGCHLD, SIG_DFL);
	to_request(c, sh, &req, pptr, cptr, fptr);
	if (c->sc == CK_SYSCALL_UNSHARE) {
		/* unshare changes its caller: a fresh child predicts for itself, then calls */
		pid_t p = fork();
		if (p == 0) {
			predict(c, &req, NULL);
			long r = syscall(SYS_unshare, (unsigned long)req.flags);
			c->kernel_err = r < 0 ? errno : 0;
			_exit(0);
		}
		waitpid(p, NULL, 0);
		return;
	}
	unsigned sig = delivered_signal(&req);
	if (sig == SIGKILL || sig == SIGSTOP) {
		/* the child's exit would kill or stop this helper: call from a sub-helper */
		int st;
		c->kernel_err = -1;
		pid_t p = fork();
		if (p == 0) {
			predict(c, &req, NULL); /* this process makes the call */
			int e = execute(&req);
			c->kernel_err = e;
			/* after a success, wait here for the child's exit signal */
			while (e == 0)
				pause();
			_exit(0);
		}
		waitpid(p, &st, WUNTRACED);
		if (WIFSTOPPED(st)) {
			kill(p, SIGKILL);
			waitpid(p, &st, 0);
			st = SIGSTOP; /* stopped by the child's exit signal */
		}
		/* killed or stopped before it could write: only a created child signals */
		if (c->kernel_err == -1 && WIFSIGNALED(st))
			c->kernel_err = 0;
		while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
			;
		return;
	}
	predict(c, &req, hctx);
	c->kernel_err = execute(&req);
	if (c->kernel_err == 0 && (req.flags & CK_CLONE_PIDFD)) {
		int fd = (req.syscall == CK_SYSCALL_CLONE) ? ptid : c->pidfd_is_ptid ? ptid : pidfd;
		if (fd >= 0)
			close(fd);
	}
	while (waitpid(-1, NULL, __WALL) > 0)
		;
}

static bool drop_privileges(void)
{
	return setgroups(0, NULL) == 0 && setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) == 0 &&
	       setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) == 0;
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Waits for a child and exits with its status: the helper's own end. */
_Noreturn static void exit_like(pid_t p)
{
	int st;
	if (p < 0 || waitpid(p, &st, 0) < 0)
		_exit(6);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 7);
}

/* Puts this helper into its scenario; returns a PID to kill at the end, or 0. */
static pid_t enter_scenario(struct shared *sh)
{
	pid_t keeper = 0;

	switch (sh->scenario) {
	case AS_ROOT:
		break;
	case AS_UNPRIVILEGED:
		if (!drop_privileges())
			_exit(3);
		break;
	case AS_CONTAINER_INIT: {
		if (unshare(CLONE_NEWPID) < 0)
			_exit(8);
		pid_t p = fork();
		if (p != 0)
			exit_like(p); /* the child is PID 1 of the new namespace */
		break;
	}
	case AFTER_UNSHARE_NEWPID:
		if (unshare(CLONE_NEWPID) < 0)
			_exit(8);
		/*
		 * PID 1 of the new namespace keeps it alive for the children to come;
		 * CLONE_PARENT makes it the test's child, so that this helper's
		 * wait-for-every-child loops do not wait for it.
		 */
		keeper = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
		if (keeper == 0)
			for (;;)
				pause();
		break;
	case CHROOTED_UNPRIVILEGED: {
		char proc[96];
		snprintf(proc, sizeof(proc), "%s/proc", sh->chroot_dir);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("/proc", proc, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    chroot(sh->chroot_dir) < 0 || chdir("/") < 0 || !drop_privileges())
			_exit(9);
		break;
	}
	case IN_USERNS_WITH_LIMITS:
		if (unshare(CLONE_NEWUSER) < 0 || !write_file("/proc/self/setgroups", "deny") ||
		    !write_file("/proc/self/uid_map", "0 0 1") ||
		    !write_file("/proc/self/gid_map", "0 0 1") ||
		    !write_file("/proc/sys/user/max_user_namespaces", "0") ||
		    !write_file("/proc/sys/user/max_net_namespaces", "0") ||
		    !write_file("/proc/sys/user/max_mnt_namespaces", "0") ||
		    !write_file("/proc/sys/user/max_time_namespaces", "0"))
			_exit(10);
		break;
	case IN_UNMAPPED_USERNS:
		/* every capability inside, but euid and egid have no mapping */
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(11);
		break;
	}
	return keeper;
}

static void helper(struct shared *sh, size_t from, size_t to)
{
	struct ck_context ctx = { .size = sizeof(ctx) };

	block_all_signals();
	/* live in T/deleg/home, so that the targets relate to this cgroup as designed */
	int procs = openat(sh->cg_fd[CG_HOME], "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs < 0 || write(procs, "0", 1) != 1)
		_exit(12);
	close(procs);
	pid_t keeper = enter_scenario(sh);
	if (ck_context_current(&ctx) < 0)
		_exit(4);
	if ((sh->scenario == AS_UNPRIVILEGED || sh->scenario == CHROOTED_UNPRIVILEGED) &&
	    ctx.cap_effective != 0)
		_exit(5);
	for (size_t i = from; i < to; i++)
		run_case(&sh->cases[i], sh, &ctx);
	if (keeper > 0)
		kill(keeper, SIGKILL); /* the test reaps it */
	_exit(0);
}

static const char *errname(int e)
{
	return e == 0 ? "OK" : e < 0 ? "?" : ck_errno_name(e) ? ck_errno_name(e) : "E?";
}

static void describe_case(const struct dcase *c, char *buf, size_t len)
{
	char f[256];
	ck_flags_format(c->flags, c->sc, f, sizeof(f));
	snprintf(buf, len,
		 "%s flags=%s exit_signal=%" PRIu64 " stack=%#" PRIx64 "/%#" PRIx64 " tls=%#" PRIx64
		 " size=%" PRIu64 "%s set_tid=[%d,%d]x%" PRIu64 "%s cgroup=%s null(p,c,f)=%d%d%d%s",
		 ck_syscall_name(c->sc), f, c->exit_signal, c->stack, c->stack_size, c->tls,
		 c->args_size, c->tail_nonzero ? "+tail" : "", c->set_tid[0], c->set_tid[1],
		 c->set_tid_size, c->set_tid_null ? "(NULL)" : "", cg_names[c->cgroup_kind], c->null_ptid,
		 c->null_ctid, c->null_pidfd, c->pidfd_is_ptid ? " pidfd==ptid" : "");
}

/* The cgroup paths below T, in the order they are made (and removed in reverse). */
static const struct { enum cg_kind kind; const char *path; bool delegated; } cg_tree[] = {
	{ CG_OTHER, "other", true },
	{ CG_NONE, "deleg", true },
	{ CG_HOME, "deleg/home", true },
	{ CG_LEAF, "deleg/leaf", true },
	{ CG_NONE, "deleg/tr", true },
	{ CG_THREADED, "deleg/tr/t", true },
	{ CG_INVALID, "deleg/tr/d", true },
	{ CG_REMOVED, "gone", false },
};

/* Hands a cgroup to uid 65534 as a delegation does: the directory and the files that move processes. */
static void delegate(int dirfd)
{
	static const char *const files[] = { ".", "cgroup.procs", "cgroup.threads",
					     "cgroup.subtree_control" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		cr_assert_eq(fchownat(dirfd, files[i], UNPRIV_ID, UNPRIV_ID, AT_EMPTY_PATH), 0,
			     "chown %s: %s", files[i], strerror(errno));
}

static bool write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Makes <mnt>/<name> enable for its children the first controller of the
 * hierarchy's root that is (or is not) thread-capable; into *ctl, "" when
 * the root hands none down. Returns the O_PATH fd, or -1.
 */
static int controller_cgroup(const char *mnt, const char *name, bool thread_capable, char *ctl,
			     size_t len)
{
	char path[300], avail[512], *save = NULL;

	ctl[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(fd >= 0);
	if (ck__read_small_file_at(fd, "cgroup.controllers", avail, sizeof(avail)) >= 0) {
		for (char *w = strtok_r(avail, " ", &save); w && !ctl[0]; w = strtok_r(NULL, " ", &save)) {
			char plus[64];
			snprintf(plus, sizeof(plus), "+%s", w);
			if (ck__cgroup_controller_threaded(w) == thread_capable &&
			    write_at(fd, "cgroup.subtree_control", plus))
				snprintf(ctl, len, "%s", w);
		}
	}
	if (!ctl[0]) {
		close(fd);
		rmdir(path);
		return -1;
	}
	return fd;
}

struct cg_setup {
	char mnt[200], top[256];
	pid_t sleeper; /* the process in <thread-ctl>/busy */
};

static void cgroups_make(struct shared *sh, struct cg_setup *cs)
{
	char path[400];

	for (int i = 0; i < CG__COUNT; i++)
		sh->cg_fd[i] = -1;
	cs->sleeper = -1;
	cr_assert_eq(ck__cgroup2_mount(cs->mnt, sizeof(cs->mnt)), 0, "no cgroup v2 hierarchy mounted");
	snprintf(cs->top, sizeof(cs->top), "%s/clonekit-diff-%d", cs->mnt, getpid());
	cr_assert_eq(mkdir(cs->top, 0755), 0, "mkdir %s: %s", cs->top, strerror(errno));
	sh->cg_fd[CG_TEST] = open(cs->top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	sh->cg_fd[CG_NOT_CGROUP2] = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(sh->cg_fd[CG_TEST] >= 0 && sh->cg_fd[CG_NOT_CGROUP2] >= 0);
	for (size_t i = 0; i < sizeof(cg_tree) / sizeof(cg_tree[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cs->top, cg_tree[i].path);
		cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
		int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		cr_assert(fd >= 0);
		if (cg_tree[i].delegated)
			delegate(fd);
		if (cg_tree[i].kind == CG_THREADED)
			cr_assert(write_at(fd, "cgroup.type", "threaded"), "%s: %s", path, strerror(errno));
		if (cg_tree[i].kind == CG_NONE)
			close(fd);
		else
			sh->cg_fd[cg_tree[i].kind] = fd;
	}
	snprintf(path, sizeof(path), "%s/gone", cs->top);
	cr_assert_eq(rmdir(path), 0);

	/* the controller shapes, where the hierarchy's root hands controllers down */
	snprintf(path, sizeof(path), "clonekit-diff-%d-tc", getpid());
	sh->cg_fd[CG_THREAD_CTL] = controller_cgroup(cs->mnt, path, true, sh->thread_ctl,
						     sizeof(sh->thread_ctl));
	snprintf(path, sizeof(path), "clonekit-diff-%d-dc", getpid());
	sh->cg_fd[CG_DOMAIN_CTL] = controller_cgroup(cs->mnt, path, false, sh->domain_ctl,
						     sizeof(sh->domain_ctl));
	if (sh->cg_fd[CG_THREAD_CTL] >= 0) {
		snprintf(path, sizeof(path), "%s/clonekit-diff-%d-tc/busy", cs->mnt, getpid());
		cr_assert_eq(mkdir(path, 0755), 0);
		int busy = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		pid_t parent = getpid();
		cs->sleeper = fork();
		cr_assert(cs->sleeper >= 0);
		if (cs->sleeper == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			for (;;)
				pause();
		}
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", cs->sleeper);
		cr_assert(write_at(busy, "cgroup.procs", pid), "%s: %s", path, strerror(errno));
		close(busy);
	}
}

/* Removes a cgroup once its last processes have left: exited children linger briefly, more under load. */
static void rmdir_when_empty(const char *path)
{
	/* the cgroup empties a moment after its last task is reaped */
	ck_wait_until(rmdir(path) == 0 || errno != EBUSY, CK_PATIENCE_MS);
}

static void cgroups_remove(struct shared *sh, struct cg_setup *cs)
{
	char path[400];

	for (int i = 0; i < CG__COUNT; i++)
		if (sh->cg_fd[i] >= 0)
			close(sh->cg_fd[i]);
	if (cs->sleeper > 0) {
		kill(cs->sleeper, SIGKILL);
		waitpid(cs->sleeper, NULL, 0);
	}
	const char *extra[] = { "-tc/busy", "-tc", "-dc" };
	/* children before parents: a cgroup with child cgroups is EBUSY too */
	for (size_t i = sizeof(cg_tree) / sizeof(cg_tree[0]); i-- > 0;) {
		if (cg_tree[i].kind == CG_REMOVED)
			continue;
		snprintf(path, sizeof(path), "%s/%s", cs->top, cg_tree[i].path);
		rmdir_when_empty(path);
	}
	rmdir_when_empty(cs->top);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", cs->top, extra[i]);
		rmdir_when_empty(path);
	}
}

/* Which CLONE_INTO_CGROUP targets the calls used, and what each came to in the kernel. */
static void report_cgroup_shapes(const struct shared *sh, size_t n)
{
	size_t calls[CG__COUNT] = { 0 }, ok[CG__COUNT] = { 0 };
	for (size_t i = 0; i < n; i++) {
		const struct dcase *c = &sh->cases[i];
		if (c->sc == CK_SYSCALL_CLONE3 && c->cgroup_kind) {
			calls[c->cgroup_kind]++;
			ok[c->cgroup_kind] += c->kernel_err == 0;
		}
	}
	fprintf(stderr, "  CLONE_INTO_CGROUP targets (calls/accepted):");
	for (int k = 1; k < CG__COUNT; k++)
		if (calls[k])
			fprintf(stderr, " %s %zu/%zu;", cg_names[k], calls[k], ok[k]);
	if (sh->thread_ctl[0] || sh->domain_ctl[0])
		fprintf(stderr, " controllers used: %s %s", sh->thread_ctl, sh->domain_ctl);
	fprintf(stderr, "\n");
	if (!sh->thread_ctl[0] || !sh->domain_ctl[0])
		fprintf(stderr,
			"  not made here (the hierarchy's root hands down no such controller):%s%s\n",
			sh->thread_ctl[0] ? "" : " a thread-capable controller with a populated child;",
			sh->domain_ctl[0] ? "" : " a domain controller;");
}

static void differential(enum scenario scenario, size_t n)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct cg_setup cs;

	if (!CK_HAVE_RAWCALL)
		ck_skip_or_fail("the differential test executes raw clone only on x86_64");
	if (geteuid() != 0)
		ck_skip_or_fail("the differential test needs root (it drops to uid %d itself)", UNPRIV_ID);
	if (getenv("CLONEKIT_SEED"))
		seed = strtoull(getenv("CLONEKIT_SEED"), NULL, 0);
	rng_state = seed ? seed : 1;

	size_t bytes = sizeof(struct shared) + n * sizeof(struct dcase);
	struct shared *sh = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(sh, MAP_FAILED);

	cgroups_make(sh, &cs);
	sh->scenario = scenario;
	if (scenario == CHROOTED_UNPRIVILEGED) {
		char proc[96];
		snprintf(sh->chroot_dir, sizeof(sh->chroot_dir), "/tmp/clonekit-chroot-XXXXXX");
		cr_assert_not_null(mkdtemp(sh->chroot_dir));
		chmod(sh->chroot_dir, 0755);
		snprintf(proc, sizeof(proc), "%s/proc", sh->chroot_dir);
		cr_assert_eq(mkdir(proc, 0555), 0);
	}
	sh->scratch_stack = (uint64_t)(uintptr_t)mmap(NULL, 65536, PROT_READ | PROT_WRITE,
						      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	struct ck_context ctx = { .size = sizeof(ctx) };
	cr_assert_eq(ck_context_current(&ctx), 0);
	for (size_t i = 0; i < n; i++)
		generate(&sh->cases[i], sh, ctx.pid_max > 0 ? ctx.pid_max : 32768);

	/* children created with CLONE_PARENT by the helper become ours to reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (size_t from = 0; from < n; from += BATCH) {
		size_t to = from + BATCH < n ? from + BATCH : n;
		pid_t h = fork();
		cr_assert(h >= 0);
		if (h == 0)
			helper(sh, from, to);
		int st;
		while (waitpid(h, &st, 0) < 0 && errno == EINTR)
			;
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "helper failed: status %#x (seed %#" PRIx64 ")", st, seed);
		while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
			;
	}
	if (cs.sleeper > 0) {
		kill(cs.sleeper, SIGKILL);
		waitpid(cs.sleeper, NULL, 0);
		cs.sleeper = -1;
	}
	while (waitpid(-1, NULL, __WALL) > 0)
		;

	size_t agree = 0, ok = 0, per_sc[3] = { 0 }, agree_sc[3] = { 0 }, shown = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dcase *c = &sh->cases[i];
		per_sc[c->sc]++;
		ok += c->kernel_err == 0;
		if (c->kernel_err == c->model_err) {
			agree++;
			agree_sc[c->sc]++;
			continue;
		}
		if (shown++ < 25) {
			char d[640];
			describe_case(c, d, sizeof(d));
			fprintf(stderr, "DISAGREE #%zu kernel=%s model=%s (%s)\n    %s\n", i,
				errname(c->kernel_err), errname(c->model_err), c->model_msg, d);
		}
	}
	fprintf(stderr,
		"differential (%s): %zu of %zu sets agree (%.2f%%); clone %zu/%zu, clone3 %zu/%zu, unshare %zu/%zu; %zu accepted by the kernel; seed %#" PRIx64 "\n",
		scenario_names[scenario], agree, n, 100.0 * (double)agree / (double)n,
		agree_sc[0], per_sc[0], agree_sc[1], per_sc[1], agree_sc[2], per_sc[2], ok, seed);

	/* which kernel rules the agreeing calls exercised */
	const char *ids[64];
	size_t counts[64], nids = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dcase *c = &sh->cases[i];
		size_t k;
		if (!c->model_rule || c->kernel_err != c->model_err)
			continue;
		for (k = 0; k < nids && strcmp(ids[k], c->model_rule) != 0; k++)
			;
		if (k == nids && nids < 64) {
			ids[nids] = c->model_rule;
			counts[nids++] = 0;
		}
		if (k < nids)
			counts[k]++;
	}
	fprintf(stderr, "  %zu distinct error rules seen by the kernel:", nids);
	for (size_t k = 0; k < nids; k++)
		fprintf(stderr, " %s=%zu", ids[k], counts[k]);
	fprintf(stderr, "\n");
	report_cgroup_shapes(sh, n);

	cgroups_remove(sh, &cs);
	if (scenario == CHROOTED_UNPRIVILEGED) {
		char proc[96];
		snprintf(proc, sizeof(proc), "%s/proc", sh->chroot_dir);
		rmdir(proc);
		rmdir(sh->chroot_dir);
	}
	munmap(sh, bytes);
	cr_assert_eq(agree, n, "%zu of %zu calls disagree with the kernel (seed %#" PRIx64
		     "; rerun with CLONEKIT_SEED=%#" PRIx64 ")", n - agree, n, seed, seed);
}

static size_t count(size_t dflt)
{
	const char *n = getenv("CLONEKIT_DIFF_N");
	return n ? strtoull(n, NULL, 0) : dflt;
}

Test(differential, validator_predicts_kernel_errno_as_root, .timeout = 600)
{
	differential(AS_ROOT, count(DEFAULT_N));
}

Test(differential, validator_predicts_kernel_errno_unprivileged, .timeout = 600)
{
	differential(AS_UNPRIVILEGED, count(DEFAULT_N));
}

Test(differential, validator_predicts_kernel_errno_as_container_init, .timeout = 600)
{
	differential(AS_CONTAINER_INIT, count(SCENARIO_N));
}

Test(differential, validator_predicts_kernel_errno_after_unshare_newpid, .timeout = 600)
{
	differential(AFTER_UNSHARE_NEWPID, count(SCENARIO_N));
}

Test(differential, validator_predicts_kernel_errno_chrooted_unprivileged, .timeout = 600)
{
	differential(CHROOTED_UNPRIVILEGED, count(SCENARIO_N));
}

Test(differential, validator_predicts_kernel_errno_in_userns_with_limits, .timeout = 600)
{
	differential(IN_USERNS_WITH_LIMITS, count(SCENARIO_N));
}

Test(differential, validator_predicts_kernel_errno_in_unmapped_userns, .timeout = 600)
{
	differential(IN_UNMAPPED_USERNS, count(SCENARIO_N));
}

/* ck_cgroup_target_probe() on the same shapes, field by field, as root and as uid 65534. */
struct probed {
	struct ck_cgroup_target root[CG__COUNT], unpriv[CG__COUNT];
	struct ck_cgroup_target top, deleg, closed;
	bool done;
};

static void probe_all(const struct shared *sh, struct ck_cgroup_target *out)
{
	for (int k = 1; k < CG__COUNT; k++)
		if (sh->cg_fd[k] >= 0)
			ck_cgroup_target_probe(sh->cg_fd[k], &out[k]);
}

Test(cgroup_probe, reads_what_the_kernel_judges_in_each_shape, .timeout = 120)
{
	struct cg_setup cs;
	struct shared *sh;
	char path[400];

	if (geteuid() != 0)
		ck_skip_or_fail("making cgroups needs root");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct probed *p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	cr_assert(sh != MAP_FAILED && p != MAP_FAILED);
	cgroups_make(sh, &cs);
	snprintf(path, sizeof(path), "%s/deleg", cs.top);
	int deleg = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int top = open(cs.mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert(deleg >= 0 && top >= 0);

	pid_t child = fork();
	cr_assert(child >= 0);
	if (child == 0) {
		int procs = openat(sh->cg_fd[CG_HOME], "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(1);
		close(procs);
		probe_all(sh, p->root);
		ck_cgroup_target_probe(top, &p->top);
		ck_cgroup_target_probe(deleg, &p->deleg);
		ck_cgroup_target_probe(900, &p->closed);
		if (!drop_privileges())
			_exit(2);
		probe_all(sh, p->unpriv);
		p->done = true;
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	close(deleg);
	close(top);
	cgroups_remove(sh, &cs);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && p->done, "prober: status %#x", st);

	const struct ck_cgroup_target *r = p->root, *u = p->unpriv;
	cr_assert_eq(p->closed.state, CK_CGROUP_FD_CLOSED);
	cr_assert_eq(r[CG_NOT_CGROUP2].state, CK_CGROUP_FD_NOT_CGROUP2);
	cr_assert_eq(r[CG_REMOVED].state, CK_CGROUP_FD_REMOVED);
	cr_assert(p->top.is_root && !r[CG_TEST].is_root);
	/* root may write everything; its own cgroup is the only one in its domain */
	for (int k = CG_TEST; k < CG__COUNT; k++) {
		if (sh->cg_fd[k] < 0 || r[k].state != CK_CGROUP_FD_CGROUP2)
			continue;
		cr_assert_eq(r[k].size, sizeof(r[k]));
		cr_assert_eq(r[k].procs_writable, 1, "%s", cg_names[k]);
		cr_assert_eq(r[k].ancestor_procs_writable, 1, "%s", cg_names[k]);
		cr_assert_eq(r[k].outside_namespace, 0, "%s", cg_names[k]);
		cr_assert_eq(r[k].same_domain, k == CG_HOME, "%s", cg_names[k]);
	}
	cr_assert(r[CG_THREADED].threaded && !r[CG_THREADED].domain_invalid);
	cr_assert(r[CG_INVALID].domain_invalid && !r[CG_INVALID].threaded);
	cr_assert(!r[CG_LEAF].threaded && !r[CG_LEAF].domain_invalid);
	/* the prober's cgroup makes T/deleg (and so T) have a populated domain child; not T/deleg/leaf */
	cr_assert(p->deleg.populated_domain_child);
	cr_assert(r[CG_TEST].populated_domain_child);
	cr_assert(!r[CG_LEAF].populated_domain_child);
	/* uid 65534: the delegated subtree is writable, T and its cgroup.procs are not */
	cr_assert_eq(u[CG_TEST].procs_writable, 0);
	cr_assert_eq(u[CG_OTHER].procs_writable, 1);
	cr_assert_eq(u[CG_OTHER].ancestor_procs_writable, 0, "the common ancestor is T");
	cr_assert_eq(u[CG_LEAF].procs_writable, 1);
	cr_assert_eq(u[CG_LEAF].ancestor_procs_writable, 1, "the common ancestor is T/deleg");
	cr_assert_eq(u[CG_THREADED].ancestor_procs_writable, 1);
	cr_assert_eq(u[CG_HOME].ancestor_procs_writable, 1);
	/* the controller shapes, where this machine can make them */
	if (sh->cg_fd[CG_THREAD_CTL] >= 0)
		cr_assert(r[CG_THREAD_CTL].threaded_controllers && !r[CG_THREAD_CTL].domain_controllers &&
			  r[CG_THREAD_CTL].populated_domain_child);
	if (sh->cg_fd[CG_DOMAIN_CTL] >= 0)
		cr_assert(r[CG_DOMAIN_CTL].domain_controllers && !r[CG_DOMAIN_CTL].populated_domain_child);
	munmap(p, sizeof(*p));
	munmap(sh, sizeof(*sh));
}
