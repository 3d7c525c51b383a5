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
	int cgroup_kind;     /* 0 none, 1 test cgroup, 2 non-cgroup dir, 3 closed fd, 4 > INT_MAX */
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

struct shared {
	enum scenario scenario;
	char chroot_dir[64];
	int cgroup_fd, notcg_fd;
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
	if (c->flags & CK_CLONE_INTO_CGROUP || pct() < 8) {
		c->flags |= CK_CLONE_INTO_CGROUP;
		unsigned k = pct();
		c->cgroup_kind = k < 70 ? 1 : k < 80 ? 2 : k < 90 ? 3 : 4;
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
	case 1: req->cgroup = (uint64_t)sh->cgroup_fd; break;
	case 2: req->cgroup = (uint64_t)sh->notcg_fd; break;
	case 3: req->cgroup = 900; break;
	case 4: req->cgroup = UINT64_C(1) << 31; break;
	default: req->cgroup = 0;
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
	struct ck_context now;
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
	struct ck_context ctx;

	block_all_signals();
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
		 " size=%" PRIu64 "%s set_tid=[%d,%d]x%" PRIu64 "%s cgroup=%d null(p,c,f)=%d%d%d%s",
		 ck_syscall_name(c->sc), f, c->exit_signal, c->stack, c->stack_size, c->tls,
		 c->args_size, c->tail_nonzero ? "+tail" : "", c->set_tid[0], c->set_tid[1],
		 c->set_tid_size, c->set_tid_null ? "(NULL)" : "", c->cgroup_kind, c->null_ptid,
		 c->null_ctid, c->null_pidfd, c->pidfd_is_ptid ? " pidfd==ptid" : "");
}

static void differential(enum scenario scenario, size_t n)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	char cgdir[256], mnt[200];

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

	cr_assert_eq(ck_cgroup2_mount(mnt, sizeof(mnt)), 0, "no cgroup v2 hierarchy mounted");
	snprintf(cgdir, sizeof(cgdir), "%s/clonekit-diff-%d", mnt, getpid());
	cr_assert_eq(mkdir(cgdir, 0755), 0, "mkdir %s: %s", cgdir, strerror(errno));
	sh->scenario = scenario;
	if (scenario == CHROOTED_UNPRIVILEGED) {
		char proc[96];
		snprintf(sh->chroot_dir, sizeof(sh->chroot_dir), "/tmp/clonekit-chroot-XXXXXX");
		cr_assert_not_null(mkdtemp(sh->chroot_dir));
		chmod(sh->chroot_dir, 0755);
		snprintf(proc, sizeof(proc), "%s/proc", sh->chroot_dir);
		cr_assert_eq(mkdir(proc, 0555), 0);
	}
	sh->cgroup_fd = open(cgdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	sh->notcg_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	sh->scratch_stack = (uint64_t)(uintptr_t)mmap(NULL, 65536, PROT_READ | PROT_WRITE,
						      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(sh->cgroup_fd >= 0 && sh->notcg_fd >= 0);

	struct ck_context ctx;
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

	close(sh->cgroup_fd);
	close(sh->notcg_fd);
	/* the cgroup empties a moment after its last task is reaped */
	ck_wait_until(rmdir(cgdir) == 0 || errno != EBUSY, CK_PATIENCE_MS);
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
