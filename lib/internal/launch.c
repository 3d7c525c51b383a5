/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one launcher under ck_spawn and ck_trace_spawn: prepare, clone, hold
 * before execve, release.
 *
 * Two paths. When nothing needs the child's own memory, the child is made
 * with CLONE_VM|CLONE_VFORK on a small private stack, runs only system calls
 * and reports a failure by writing into the parent's memory (the parent
 * sleeps until it execs or exits). A child that must wait for the parent —
 * for its id maps (a new user namespace) or before execve (a hold, a seccomp
 * listener, a tracer) — is a full copy and talks to the parent over a
 * close-on-exec socket pair: the parent sends 'm' once the maps are written
 * and 'g' to release it; the child sends a report when a step fails, a
 * "held" report (with the listener fd) when it waits before execve, and
 * nothing when execve succeeds, which closes its end.
 */
#include <clonekit/clone.h>
#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"
#include "sandbox/mount.h"
#include "sandbox/proc.h"
#include "sandbox/cgroup.h"

#if defined(__SANITIZE_ADDRESS__)
#define CK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CK_ASAN 1
#endif
#endif
#ifdef CK_ASAN
#include <sanitizer/asan_interface.h>
#endif
/* the CLONE_VM child runs on a stack AddressSanitizer does not know */
#define CHILD_CODE CK_CHILD_CODE

#define CHILD_STACK (64 * 1024)
#define NSIG_KERNEL 64

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What the parent sends on the control socket. */
#define MSG_MAPS 'm'
#define MSG_GO 'g'
#define MSG_NET 'n' /* with the network namespace's fd, or none: the child makes its own */

/* Everything the child needs, prepared by the parent (the child only makes system calls). */
struct child_ctx {
	const struct ck_spawn_attr *attr;
	const struct ck__filter *extra;
	const char *file;
	char *const *argv;
	char *const *envp;
	const char *path_env;
	uint64_t oldmask;
	bool own_memory;        /* a full copy (not CLONE_VM) */
	bool await_parent;      /* wait for MSG_MAPS: id maps, or status fds written first */
	bool hold;              /* wait before execve for MSG_GO */
	bool reset_handlers;    /* CLONE_CLEAR_SIGHAND was not available */
	bool net_join;          /* CLONE_NEWNET left out of the clone: the parent sends MSG_NET (launch_net) */
	int ctl;                /* own_memory: the child's end of the control socket */
	int ctl_parent;         /* own_memory: the parent's end, closed in the child */
	int init_report[2];     /* an init: [0] the parent's end (closed in the child), [1] the init's */
	int parent_pidfd;       /* die-with-parent: a pidfd of the parent, or -1 */
	pid_t parent_pid;
	char timens[96];
	/* one-line maps of our own ids: the child writes them itself, as bwrap's does ("" none) */
	char self_uid_map[40], self_gid_map[40];
	struct ck__mount_plan *mounts; /* a new root: what the child builds, or NULL */
	/* process state (sbx-proc) */
	int cap_last;           /* the kernel's last capability */
	struct ck__userns_fds userns; /* --disable-userns: opened before the mounts */
	int cg_procs[CK__CG_GROUPS]; /* cgroup limits (sbx-res): v1 cgroup.procs to join, -1 */
	/* maps that leave out the caller's ids: the inside ids the child takes, else -1 (sbx-res2) */
	int64_t take_uid, take_gid;
	struct ck__report rep;  /* CLONE_VM: written by the child, read by the parent */
	/* PWD for the directory the child starts in (bwrap's): the envp slot the child fills */
	char pwd[PATH_MAX + 4];
	bool set_pwd;
};

/* ---- the child ---- */

/* The kernel's struct sigaction: the raw call reaches the signals glibc reserves. */
struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* Tells the parent, and ends: the program never runs. */
CHILD_CODE static _Noreturn void child_report(struct child_ctx *c, const struct ck__report *r)
{
	if (c->own_memory) {
		ssize_t n;
		do
			n = send(c->ctl, r, sizeof(*r), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	} else {
		c->rep = *r;
	}
	_exit(127);
}

CHILD_CODE static _Noreturn void child_fail_arg(struct child_ctx *c, enum ck__step step, int err,
						int arg)
{
	struct ck__report r;
	r.kind = CK__REPORT_FAILED;
	r.step = (int)step;
	r.err = err;
	r.cause = CK__EXEC_PLAIN;
	r.arg = arg;
	r.path[0] = r.interp[0] = '\0';
	child_report(c, &r);
}

CHILD_CODE static _Noreturn void child_fail(struct child_ctx *c, enum ck__step step, int err)
{
	child_fail_arg(c, step, err, -1);
}

CHILD_CODE static int write_all_fd(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One write of text to /proc/self/NAME; 0 or -errno. */
CHILD_CODE static int write_self_proc(const char *name, const char *text)
{
	char path[32] = "/proc/self/";
	size_t k = strlen(path);
	for (size_t i = 0; name[i] && k + 1 < sizeof(path); i++)
		path[k++] = name[i];
	path[k] = '\0';
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write_all_fd(fd, text);
	close(fd);
	return r;
}

/*
 * A map of the caller's own ids, which the new namespace's creator may
 * write itself (user_namespaces(7)): written here, it spares the parent a
 * round trip the child would wait for. setgroups is denied first, as the
 * parent does for such a map.
 */
CHILD_CODE static void child_self_maps(struct child_ctx *c)
{
	int r = write_self_proc("setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		child_fail(c, CK__STEP_SETGROUPS, -r);
	if ((r = write_self_proc("uid_map", c->self_uid_map)) < 0)
		child_fail(c, CK__STEP_UID_MAP, -r);
	if ((r = write_self_proc("gid_map", c->self_gid_map)) < 0)
		child_fail(c, CK__STEP_GID_MAP, -r);
}

/* Waits for the parent's message; the parent gone (EOF) ends the child at step. */
CHILD_CODE static void child_await(struct child_ctx *c, char want, enum ck__step step)
{
	char got;
	ssize_t n;
	do
		n = recv(c->ctl, &got, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || got != want)
		child_fail(c, step, n < 0 ? errno : n == 0 ? EPIPE : EPROTO);
}

CHILD_CODE static void child_signals(struct child_ctx *c)
{
	if (!c->reset_handlers)
		return;
	for (int sig = 1; sig <= NSIG_KERNEL; sig++) {
		struct k_sigaction cur, dfl = { SIG_DFL, 0, NULL, 0 };
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, NULL, &cur, sizeof(uint64_t)) < 0)
			continue;
		if (cur.handler == SIG_DFL || cur.handler == SIG_IGN)
			continue;
		if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t)) < 0)
			child_fail_arg(c, CK__STEP_SIGNALS, errno, sig);
	}
}

/* cgroup limits (sbx-res): enter the v1 groups before anything else runs */
CHILD_CODE static void child_cgroups(struct child_ctx *c)
{
	for (size_t i = 0; i < CK__CG_GROUPS; i++) {
		if (c->cg_procs[i] < 0)
			continue;
		ssize_t n;
		do
			n = write(c->cg_procs[i], "0", 1); /* "0": the writer itself */
		while (n < 0 && errno == EINTR);
		if (n != 1)
			child_fail(c, CK__STEP_CGROUP_JOIN, n < 0 ? errno : EIO);
		close(c->cg_procs[i]);
	}
}

/*
 * A root caller's explicit maps that leave out its own ids (--uid-map
 * 0:65534:1) would leave the child real root outside (kuid 0, unmapped):
 * it takes the mapped ids, and drops the caller's groups where it may.
 */
CHILD_CODE static void child_take_ids(struct child_ctx *c)
{
	if (c->take_gid >= 0) {
		/* EPERM: setgroups is denied in the namespace, and the kernel keeps the groups */
		if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
			child_fail(c, CK__STEP_USER, errno);
		if (syscall(SYS_setresgid, c->take_gid, c->take_gid, c->take_gid) < 0)
			child_fail(c, CK__STEP_USER, errno);
	}
	if (c->take_uid >= 0 && syscall(SYS_setresuid, c->take_uid, c->take_uid, c->take_uid) < 0)
		child_fail(c, CK__STEP_USER, errno);
}

CHILD_CODE static void child_pdeath(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	if (a->pdeath_sig) {
		if (prctl(PR_SET_PDEATHSIG, a->pdeath_sig) < 0)
			child_fail(c, CK__STEP_PDEATHSIG, errno);
		/* the parent may have died before the signal was armed */
		if (c->parent_pidfd >= 0) {
			struct pollfd pfd = { c->parent_pidfd, POLLIN, 0 };
			if (poll(&pfd, 1, 0) > 0)
				child_fail(c, CK__STEP_PARENT_GONE, ESRCH);
		} else if (!(a->namespaces & CK_CLONE_NEWPID) && getppid() != c->parent_pid) {
			child_fail(c, CK__STEP_PARENT_GONE, ESRCH);
		}
	}
	if (c->parent_pidfd >= 0)
		close(c->parent_pidfd);
}

CHILD_CODE static void child_namespaces(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;

	if (a->has_hostname && sethostname(a->hostname, strlen(a->hostname)) < 0)
		child_fail(c, CK__STEP_HOSTNAME, errno);
	if ((a->namespaces & CK_CLONE_NEWNS) && !c->mounts) {
		/* mounts made here must not propagate back to the caller's namespace */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(c, CK__STEP_MOUNTS_PRIVATE, errno);
		if (a->mount_proc &&
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			child_fail(c, CK__STEP_MOUNT_PROC, errno);
	}
	if (a->namespaces & CK_CLONE_NEWTIME) {
		/* offsets can only be written before a task enters; execve enters (6.2+) */
		if (unshare((int)CK_CLONE_NEWTIME) < 0)
			child_fail(c, CK__STEP_UNSHARE_TIME, errno);
		if (c->timens[0]) {
			int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
			int r = fd < 0 ? -errno : write_all_fd(fd, c->timens);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				child_fail(c, CK__STEP_TIMENS_OFFSETS, -r);
		}
	}
}

/* mounts: the new root, built and entered (lib/sandbox/mount.c). */
CHILD_CODE static void child_mounts(struct child_ctx *c)
{
	struct ck__mount_fail f;
	struct ck__report r;
	size_t n;

	if (!c->mounts || ck__mount_child(c->mounts, &f) == 0)
		return;
	r.kind = CK__REPORT_FAILED;
	r.step = CK__STEP_MOUNTS;
	r.err = f.err;
	r.cause = f.act;
	r.arg = f.op;
	n = strlen(f.path);
	memcpy(r.path, f.path, n + 1 < sizeof(r.path) ? n + 1 : sizeof(r.path));
	r.path[sizeof(r.path) - 1] = '\0';
	r.interp[0] = '\0';
	child_report(c, &r);
}

/* PWD=the working directory, into the envp slot the parent left for it (a getcwd failure leaves "PWD=/"). */
CHILD_CODE static void child_pwd(struct child_ctx *c)
{
	if (!c->set_pwd)
		return;
	memcpy(c->pwd, "PWD=", 4);
	if (!getcwd(c->pwd + 4, sizeof(c->pwd) - 4))
		memcpy(c->pwd + 4, "/", 2);
}

CHILD_CODE static void child_cwd(struct child_ctx *c)
{
	if (c->attr->cwd && chdir(c->attr->cwd) < 0)
		child_fail(c, CK__STEP_CHDIR, errno);
}

/* Parent fds are dup'd above every fd the mapping names, then dup2'd into place. */
CHILD_CODE static void child_fds(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	static const struct ck__fdmap std_fds[] = { { 0, 0 }, { 1, 1 }, { 2, 2 } };
	const struct ck__fdmap *maps = a->nfds ? a->fds : std_fds;
	size_t n = a->nfds ? a->nfds : 3;
	int tmp[CK_SPAWN_MAX_FDS];
	int high = 3;

	for (size_t i = 0; i < n; i++) {
		if (maps[i].from >= high)
			high = maps[i].from + 1;
		if (maps[i].to >= high)
			high = maps[i].to + 1;
	}
	if (c->own_memory && c->ctl < high) {
		int moved = fcntl(c->ctl, F_DUPFD_CLOEXEC, high);
		if (moved < 0)
			child_fail(c, CK__STEP_FDS, errno);
		c->ctl = moved; /* the old number closes at execve, or becomes a mapped fd */
		high = moved + 1;
	}
	for (size_t i = 0; i < n; i++) {
		tmp[i] = -1;
		if (maps[i].from == maps[i].to)
			continue;
		tmp[i] = fcntl(maps[i].from, F_DUPFD_CLOEXEC, high);
		if (tmp[i] < 0 && (a->nfds || errno != EBADF))
			child_fail_arg(c, CK__STEP_FDS, errno, (int)i);
	}
	/* every fd is closed at execve, except those mapped below */
	if (!a->keep_fds && syscall(SYS_close_range, 0U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		struct rlimit rl;
		int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20)
				  ? (int)rl.rlim_cur : (1 << 20);
		for (int fd = 0; fd < max; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < n; i++) {
		if (maps[i].from == maps[i].to) {
			if (fcntl(maps[i].to, F_SETFD, 0) < 0 && (a->nfds || errno != EBADF))
				child_fail_arg(c, CK__STEP_FDS, errno, (int)i);
		} else if (tmp[i] >= 0 && dup2(tmp[i], maps[i].to) < 0) {
			child_fail_arg(c, CK__STEP_FDS, errno, (int)i);
		}
	}
}

/* Loads one filter with no_new_privs: its result (a listener fd with NEW_LISTENER), or -errno. */
CHILD_CODE static int child_seccomp(const struct ck__filter *f, unsigned flags)
{
	struct sock_fprog prog = { (unsigned short)(f->len / sizeof(struct sock_filter)), f->bpf };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* prctl for a plain filter, as bwrap: a stacked allowlist may allow prctl and not seccomp(2) */
	long r = flags ? syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog)
		       : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
	return r < 0 ? -errno : (int)r;
}

/* Waits for one byte (or EOF) on fd, then closes it, as bwrap's --block-fd. */
CHILD_CODE static void child_block(struct child_ctx *c, int fd)
{
	char b;
	ssize_t n;
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		child_fail(c, CK__STEP_BLOCK_FD, errno);
	close(fd);
}

/* One message on a SEQPACKET socket, with fd (SCM_RIGHTS) unless it is -1: the bytes sent, or -1 with errno. */
CHILD_CODE static ssize_t send_with_fd(int sock, void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Says "held" (handing over the listener, if any) and waits for the release. */
CHILD_CODE static void child_hold(struct child_ctx *c, int listener)
{
	struct ck__report r;

	memset(&r, 0, sizeof(r));
	r.kind = CK__REPORT_HELD;
	if (send_with_fd(c->ctl, &r, sizeof(r), listener) < 0)
		child_fail(c, listener >= 0 ? CK__STEP_SEND_LISTENER : CK__STEP_HOLD, errno);
	if (listener >= 0)
		close(listener);
	child_await(c, MSG_GO, CK__STEP_HOLD);
}

CHILD_CODE static _Noreturn void child_exec(struct child_ctx *c)
{
	struct ck__report r;
	int err = c->file[0] ? ck__exec_search(c->file, c->attr->search_path ? c->path_env : NULL,
					      c->argv, c->envp)
			     : ENOENT; /* as execvp: an empty name is not searched for */
	r.kind = CK__REPORT_FAILED;
	r.step = CK__STEP_EXECVE;
	r.err = err;
	r.cause = CK__EXEC_PLAIN;
	r.arg = -1;
	r.path[0] = r.interp[0] = '\0';
	ck__exec_explain(c->file, c->attr->search_path ? c->path_env : NULL, err, &r);
	child_report(c, &r);
}

/* ---- process state (sbx-proc) ---- */

/* Before the mounts: what disabling user namespaces needs of the caller's /proc. */
CHILD_CODE static void child_userns_prepare(struct child_ctx *c)
{
	int r;
	if (c->attr->disable_userns && (r = ck__userns_fds_open(&c->userns)) < 0)
		child_fail(c, CK__STEP_DISABLE_USERNS, -r);
}

/*
 * The network namespace the parent's helper made while this child built its
 * root (launch_net): joined, loopback already up. Without one (the helper
 * could not), the child makes its own, as the clone would have: false, and
 * loopback is still to bring up.
 */
CHILD_CODE static bool child_net_join(struct child_ctx *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	char m = 0;
	struct iovec iov = { &m, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	int fd = -1;
	ssize_t n;

	do
		n = recvmsg(c->ctl, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
	    h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	if (n != 1 || m != MSG_NET) {
		if (fd >= 0)
			close(fd);
		child_fail(c, CK__STEP_NETNS, n < 0 ? errno : n == 0 ? EPIPE : EPROTO);
	}
	if (fd >= 0) {
		int r = (int)syscall(SYS_setns, fd, CK_CLONE_NEWNET);
		int e = errno;
		close(fd);
		if (r < 0)
			child_fail(c, CK__STEP_NETNS, e);
		return true;
	}
	if (unshare((int)CK_CLONE_NEWNET) < 0)
		child_fail(c, CK__STEP_NETNS, errno);
	return false;
}

/* After the namespace and mount steps, before fds move: the network namespace, loopback, --disable-userns. */
CHILD_CODE static void child_namespaces_late(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	bool lo_done = c->net_join && child_net_join(c);
	int r;

	if ((a->namespaces & CK_CLONE_NEWNET) && !a->no_loopback && !lo_done && (r = ck__loopback_up()) < 0)
		child_fail(c, CK__STEP_LOOPBACK, -r);
	if (a->disable_userns && (r = ck__userns_disable(&c->userns)) < 0)
		child_fail(c, CK__STEP_DISABLE_USERNS, -r);
	if ((a->disable_userns || a->assert_userns_disabled) && ck__userns_still_allowed())
		child_fail(c, CK__STEP_ASSERT_USERNS, EEXIST);
}

/* Just before the seccomp filters: the capability sets kept, no_new_privs. */
CHILD_CODE static void child_privileges(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	int r;

	/* the bounding set was cut before the ids step (child_privileges_early) */
	if (a->set_caps && (r = ck__caps_apply(false, 0, true, a->caps, c->cap_last)) < 0)
		child_fail(c, CK__STEP_CAPS, -r);
	if (a->set_user && a->set_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		child_fail(c, CK__STEP_CAPS, errno);
	if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(c, CK__STEP_NO_NEW_PRIVS, errno);
}

/* After the fds: a new session (the init, forked later, leads it). */
CHILD_CODE static void child_session(struct child_ctx *c)
{
	if (c->attr->new_session && setsid() < 0)
		child_fail(c, CK__STEP_SETSID, errno);
}

/*
 * Before the ids step, while the child still holds what it was born with:
 * rlimits (raising a hard one needs CAP_SYS_RESOURCE), the bounding set
 * (dropping needs CAP_SETPCAP), and PR_SET_KEEPCAPS when the capabilities
 * kept must survive the uid switch (set_user with set_caps).
 */
CHILD_CODE static void child_privileges_early(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	bool new_userns = (a->namespaces & CK_CLONE_NEWUSER) || a->disable_userns;
	int r, failed = -1;

	if (a->nrlimits && (r = ck__rlimits_apply(a, &failed)) < 0)
		child_fail_arg(c, CK__STEP_RLIMIT, -r, failed);
	if ((a->set_bounding || (a->set_caps && new_userns)) &&
	    (r = ck__caps_apply(true, a->set_bounding ? a->bounding : a->caps, false, 0,
				c->cap_last)) < 0)
		child_fail(c, CK__STEP_CAPS, -r);
	if (a->set_user && a->set_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		child_fail(c, CK__STEP_CAPS, errno);
}

/* The ids step: the uid/gid asked for, before the init makes the program so that it too runs as them. */
CHILD_CODE static void child_user(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	if (a->set_user && (syscall(SYS_setgroups, 0, NULL) < 0 ||
			    syscall(SYS_setresgid, a->user_gid, a->user_gid, a->user_gid) < 0 ||
			    syscall(SYS_setresuid, a->user_uid, a->user_uid, a->user_uid) < 0))
		child_fail(c, CK__STEP_USER, errno);
}

/* The caller's filters in order (its policy, then bwrap's --seccomp / --add-seccomp-fd): CK__STEP_NONE or the failed step. */
CHILD_CODE static enum ck__step child_user_filters(struct child_ctx *c, int *err, int *index)
{
	const struct ck_spawn_attr *a = c->attr;
	int r;
	*index = -1;
	if (a->filter.bpf && (r = child_seccomp(&a->filter, 0)) < 0) {
		*err = -r;
		return CK__STEP_SECCOMP;
	}
	for (size_t i = 0; i < a->nfilters; i++) {
		if ((r = child_seccomp(&a->filters[i], 0)) < 0) {
			*err = -r;
			*index = (int)i;
			return CK__STEP_SECCOMP;
		}
	}
	return CK__STEP_NONE;
}

CHILD_CODE static _Noreturn void child_program(struct child_ctx *c);
static void *stack_map(void);

/* The program's process made by the init with CLONE_VM: its own stack, never the init's frames. */
CHILD_CODE static int program_main(void *arg)
{
	child_program(arg);
}

/*
 * Whether the init may make the program's process with CLONE_VM|CLONE_VFORK
 * (no copy of its memory): it then sleeps until the program execs or exits,
 * so nothing on the program's way may wait for long. The full fork stays
 * for a hold or a seccomp listener (the program waits for the caller's
 * release), a block fd (it waits for the caller's byte) and a pre-exec hook
 * (the caller's code, which may block): meanwhile the init must forward
 * signals (a SIGTERM to a held sandbox's init ends it) -- and for a stack
 * that cannot be mapped. A tracer never has an init (attr_inconsistent).
 */
CHILD_CODE static bool init_may_vfork(const struct child_ctx *c)
{
	return !c->hold && c->attr->block_fd < 0 && !c->attr->hook;
}

/*
 * The init makes the program's process -- PID 2, the first of the
 * namespace -- and, once it has exec'd (or exited: vfork's contract), keeps
 * no capability and loads the caller's filters, as bwrap's init does
 * (do_init applies them before its wait loop), so that they confine every
 * process of the namespace but not the program, which loads its own. A
 * failure there kills the program and is the init's report.
 */
CHILD_CODE static void child_init(struct child_ctx *c)
{
	enum ck__step step = CK__STEP_NONE;
	int err = 0, index = -1;
	pid_t program;

	if (!c->attr->init)
		return;
	/* a stack of its own, in the init's memory (which never frees it), or the fork */
	void *stack = init_may_vfork(c) ? stack_map() : MAP_FAILED;
	program = stack != MAP_FAILED ? ck__init_vfork(program_main, c, stack, CHILD_STACK)
				      : ck__init_fork();
	if (program < 0)
		child_fail(c, CK__STEP_INIT, -program);
	if (program == 0)
		return; /* the fork: the program's process goes on in child_main */
	if (ck__caps_clear() < 0) {
		err = errno;
		step = CK__STEP_INIT;
	} else if (child_user_filters(c, &err, &index) != CK__STEP_NONE) {
		step = CK__STEP_INIT_SECCOMP;
	}
	if (step != CK__STEP_NONE) {
		syscall(SYS_kill, program, SIGKILL);
		child_fail_arg(c, step, err, index);
	}
	ck__init_run(program, c->own_memory ? c->ctl : -1, c->init_report[1]);
}

/*
 * The last steps, in the program's process: with an init, after it made
 * the process (by fork, or on a stack of its own with CLONE_VM, where only
 * system calls may run and a failure goes to the parent over ctl as from
 * the fork).
 */
CHILD_CODE static _Noreturn void child_program(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	int listener = -1, r;

	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &c->oldmask, NULL, sizeof(uint64_t)) < 0)
		child_fail(c, CK__STEP_SIGMASK, errno);
	if (a->hook && (r = a->hook(a->hook_data)) < 0)
		child_fail(c, CK__STEP_HOOK, -r);
	child_privileges(c);         /* process state (sbx-proc) */
	/* status for supervisors: bwrap's --block-fd, once every setup step is done */
	if (a->block_fd >= 0)
		child_block(c, a->block_fd);
	/* the caller's policy, the launcher's own, then the listener: it must be last */
	int err = 0, index;
	enum ck__step step = child_user_filters(c, &err, &index);
	if (step != CK__STEP_NONE)
		child_fail_arg(c, step, err, index);
	if (c->extra->bpf && (r = child_seccomp(c->extra, 0)) < 0)
		child_fail(c, CK__STEP_SECCOMP, -r);
	if (a->listener.bpf) {
		listener = child_seccomp(&a->listener,
					 SECCOMP_FILTER_FLAG_NEW_LISTENER | a->listener_flags);
		if (listener < 0)
			child_fail(c, CK__STEP_LISTENER, -listener);
	}
	if (c->hold)
		child_hold(c, listener);
	child_exec(c);
}

CHILD_CODE static int child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct ck_spawn_attr *a = c->attr;

	if (c->own_memory)
		close(c->ctl_parent);
	if (c->init_report[0] >= 0)
		close(c->init_report[0]);
	/* status for supervisors: their readers see EOF from the parent's end alone */
	if (a->info_fd >= 0)
		close(a->info_fd);
	if (a->json_status_fd >= 0)
		close(a->json_status_fd);
	child_cgroups(c);
	child_signals(c);
	child_pdeath(c);
	if (c->self_uid_map[0])
		child_self_maps(c);
	if (c->await_parent)
		child_await(c, MSG_MAPS, CK__STEP_WAIT_MAPS);
	child_take_ids(c);           /* sbx-res2 */
	child_userns_prepare(c);     /* process state (sbx-proc) */
	child_namespaces(c);
	child_mounts(c);
	child_cwd(c);
	child_pwd(c);
	child_namespaces_late(c);    /* process state (sbx-proc) */
	child_fds(c);
	child_session(c);            /* process state (sbx-proc) */
	child_privileges_early(c);   /* rlimits, bounding set, keep-caps: before the ids step */
	child_user(c);               /* the ids step */
	child_init(c);               /* the init runs as those ids, under the caller's filters */
	child_program(c);
}

/* ---- the parent ---- */

/*
 * The CLONE_VM child's stack. Under AddressSanitizer its shadow is cleared
 * both ways: the child leaves its frames' redzones poisoned (it never
 * returns), and a new mapping at a reused address would inherit them.
 */
static void *stack_map(void)
{
	void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
#ifdef CK_ASAN
	if (stack != MAP_FAILED)
		__asan_unpoison_memory_region(stack, CHILD_STACK);
#endif
	return stack;
}

static void stack_unmap(void *stack)
{
	if (stack == MAP_FAILED)
		return;
#ifdef CK_ASAN
	__asan_unpoison_memory_region(stack, CHILD_STACK);
#endif
	munmap(stack, CHILD_STACK);
}

static bool holds(const struct ck__launch *l)
{
	return l->hold || l->attr->hold || l->attr->listener.bpf;
}

/* Two ranges [a, a+n) and [b, b+m) share an id; the first shared one in *first. */
static bool ranges_overlap(uint32_t a, uint32_t n, uint32_t b, uint32_t m, uint64_t *first)
{
	uint64_t lo = a > b ? a : b;
	uint64_t hi = (uint64_t)a + n < (uint64_t)b + m ? (uint64_t)a + n : (uint64_t)b + m;
	*first = lo;
	return lo < hi;
}

/* The kernel refuses maps whose ranges overlap inside or outside (mappings_overlap()). */
static bool maps_overlap(const char *what, const struct ck__idmap *m, size_t n, char *why,
			 size_t len)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			uint64_t first;
			bool in = ranges_overlap(m[i].inside, m[i].count, m[j].inside, m[j].count, &first);
			if (!in && !ranges_overlap(m[i].outside, m[i].count, m[j].outside, m[j].count, &first))
				continue;
			snprintf(why, len,
				 "%s map ranges %u:%u:%u and %u:%u:%u overlap %s the namespace (at id %llu): the kernel refuses overlapping ranges; make them disjoint",
				 what, m[i].inside, m[i].outside, m[i].count, m[j].inside, m[j].outside,
				 m[j].count, in ? "inside" : "outside", (unsigned long long)first);
			return true;
		}
	}
	return false;
}

/* Attributes that cannot work together: a sentence into why, or false. */
static bool attr_inconsistent(const struct ck__launch *l, char *why, size_t len)
{
	const struct ck_spawn_attr *a = l->attr;
	const char *w = NULL;

	if ((a->nuid || a->ngid || a->map_self) && !(a->namespaces & CK_CLONE_NEWUSER))
		w = "id maps need a new user namespace (CLONE_NEWUSER)";
	else if (a->map_self && (a->nuid || a->ngid))
		w = "map-root, map-user or map-ids cannot be combined with explicit id maps";
	/* process state (sbx-proc) */
	else if (a->init && !(a->namespaces & CK_CLONE_NEWPID))
		w = "an init as PID 1 needs a new PID namespace (CLONE_NEWPID)";
	else if (a->init && l->hold)
		w = "the tracer follows the child clonekit starts, which with an init is the init and not the command: trace with the command as PID 1";
	else if (a->init && (a->share & CK_CLONE_VM))
		w = "an init as PID 1 forks in the child, which needs its own memory: do not share CLONE_VM";
	else if (a->disable_userns && !(a->namespaces & CK_CLONE_NEWUSER))
		w = "disabling user namespaces needs a new user namespace (CLONE_NEWUSER)";
	else if (a->has_hostname && !(a->namespaces & CK_CLONE_NEWUTS))
		w = "a hostname needs a new UTS namespace (CLONE_NEWUTS)";
	else if (a->new_root && !(a->namespaces & CK_CLONE_NEWNS))
		w = "a new root and mount operations need a new mount namespace (CLONE_NEWNS)";
	else if (a->new_root && (a->share & CK_CLONE_FS))
		w = "a new root cannot be shared with the caller: do not share CLONE_FS";
	else if (a->mount_proc && !a->new_root &&
		 (a->namespaces & (CK_CLONE_NEWPID | CK_CLONE_NEWNS)) != (CK_CLONE_NEWPID | CK_CLONE_NEWNS))
		w = "mounting /proc needs new PID and mount namespaces (CLONE_NEWPID|CLONE_NEWNS)";
	else if ((a->has_offset[0] || a->has_offset[1]) && !(a->namespaces & CK_CLONE_NEWTIME))
		w = "clock offsets need a new time namespace (CLONE_NEWTIME)";
	else if ((a->share & CK_CLONE_VM) && (a->namespaces & CK_CLONE_NEWUSER))
		w = "a new user namespace needs the parent to write id maps while the child waits, which CLONE_VM|CLONE_VFORK cannot do";
	else if ((a->share & CK_CLONE_VM) && a->new_root)
		w = "a new root is built by a child with its own memory, which CLONE_VM|CLONE_VFORK is not: do not share CLONE_VM";
	else if ((a->share & CK_CLONE_VM) && holds(l))
		w = "holding the child before execve (a hold, a seccomp listener or a tracer) needs the caller to run while the child waits, which CLONE_VM|CLONE_VFORK cannot do: do not share CLONE_VM";
	else if (a->userns_block_fd >= 0 && !(a->namespaces & CK_CLONE_NEWUSER))
		w = "a userns block fd needs a new user namespace (CLONE_NEWUSER)";
	else if (a->userns_block_fd >= 0 && a->info_fd < 0)
		w = "a userns block fd needs an info fd, which tells its writer the child's PID";
	else if (a->userns_block_fd >= 0 && (a->nuid || a->ngid || a->map_self || a->id_helper))
		w = "with a userns block fd the id maps are written by whoever unblocks it, not by the launcher";
	else if ((a->share & CK_CLONE_VM) && ck__status_wanted(a))
		w = "status fds are written while the child waits, which CLONE_VM|CLONE_VFORK cannot do: do not share CLONE_VM";
	else if ((a->namespaces & CK_CLONE_NEWTIME) && ck_kernel_version_running() < CK_KERNEL_VERSION(6, 2, 0))
		w = "a new time namespace is entered at execve only since Linux 6.2";
	if (w) {
		snprintf(why, len, "%s", w);
		return true;
	}
	return maps_overlap("uid", a->uid, a->nuid, why, len) ||
	       maps_overlap("gid", a->gid, a->ngid, why, len);
}

static int write_proc(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int fd CK_AUTO_CLOSE = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	if (n < 0)
		return -errno;
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

static void format_maps(char *buf, size_t len, const struct ck__idmap *m, size_t n)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		ck__buf_append(buf, len, &pos, "%u %u %u\n", m[i].inside, m[i].outside, m[i].count);
}

static bool have_cap(unsigned cap)
{
	char status[4096];
	if (ck__read_small_file("/proc/self/status", status, sizeof(status)) < 0)
		return false;
	const char *p = strstr(status, "\nCapEff:");
	return p && (strtoull(p + 8, NULL, 16) >> cap) & 1;
}

/* Writes setgroups, uid_map and gid_map for the child; the failing step in *step. */
static int write_maps(const struct ck_spawn_attr *a, pid_t pid, enum ck__step *step, char *why,
		      size_t why_len)
{
	char buf[CK_SPAWN_MAX_MAPS * 36];
	struct ck__idmap one;
	int r;
	/* subordinate ranges go through the setuid helpers when we cannot write them (sbx-proc) */
	bool uid_helper = a->id_helper && !have_cap(CAP_SETUID);
	bool gid_helper = a->id_helper && !have_cap(CAP_SETGID);
	bool unprivileged_style = (a->map_self || !have_cap(CAP_SETGID)) && !gid_helper;

	/* an unprivileged writer must deny setgroups before writing gid_map */
	if (unprivileged_style) {
		*step = CK__STEP_SETGROUPS;
		r = write_proc(pid, "setgroups", "deny");
		if (r < 0 && r != -ENOENT)
			return r;
	}
	*step = CK__STEP_UID_MAP;
	if (uid_helper) {
		*step = CK__STEP_ID_HELPER;
		if ((r = ck__idmap_helper(pid, true, a->uid, a->nuid, why, why_len)) < 0)
			return r;
		buf[0] = '\0';
	} else if (a->map_self) {
		one = (struct ck__idmap){ ck__self_inside(a, true), (uint32_t)geteuid(), 1 };
		format_maps(buf, sizeof(buf), &one, 1);
	} else {
		format_maps(buf, sizeof(buf), a->uid, a->nuid);
	}
	if (buf[0] && (r = write_proc(pid, "uid_map", buf)) < 0)
		return r;
	*step = CK__STEP_GID_MAP;
	if (gid_helper) {
		*step = CK__STEP_ID_HELPER;
		if ((r = ck__idmap_helper(pid, false, a->gid, a->ngid, why, why_len)) < 0)
			return r;
		buf[0] = '\0';
	} else if (a->map_self) {
		one = (struct ck__idmap){ ck__self_inside(a, false), (uint32_t)getegid(), 1 };
		format_maps(buf, sizeof(buf), &one, 1);
	} else {
		format_maps(buf, sizeof(buf), a->gid, a->ngid);
	}
	if (buf[0] && (r = write_proc(pid, "gid_map", buf)) < 0)
		return r;
	return 0;
}

static void kill_and_reap(pid_t pid, int pidfd)
{
	ck__signal_child(pid, pidfd, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static int send_msg(int fd, char m)
{
	ssize_t n;
	do
		n = send(fd, &m, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -errno;
}

/*
 * Reads the child's next report: 1 with *rep (and *listener when it hands
 * one over), 0 at EOF (execve succeeded), or -errno.
 */
static int read_report(int fd, struct ck__report *rep, int *listener, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	/*
	 * A child that exits with our message unread leaves ECONNRESET pending,
	 * which the next recvmsg returns before the report it queued.
	 */
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && (errno == EINTR || errno == ECONNRESET));
	if (n < 0)
		return -errno;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int))) {
			int got;
			memcpy(&got, CMSG_DATA(h), sizeof(got));
			if (listener && *listener < 0)
				*listener = got;
			else
				close(got);
		}
	}
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*rep) || (msg.msg_flags & MSG_CTRUNC))
		return (msg.msg_flags & MSG_CTRUNC) ? -EMFILE : -EPROTO;
	return 1;
}

/*
 * A new network namespace is the costliest part of the clone (~400 µs of a
 * ~2 ms sandbox launch here: every pernet subsystem, then lo). A child that
 * writes its own maps and does not wait for the parent gets it from a helper
 * instead, made on the parent's CPU while the child builds its root: the
 * helper (CLONE_VM|CLONE_VFORK|CLONE_FILES, so the parent sleeps until it is
 * done, and it writes on the parent's end of the control socket) enters the
 * child's user namespace through the child's pidfd (the parent's euid owns
 * it, so it may), unshares a network namespace (owned by that user
 * namespace, counted against the same uid, as the child's own would be),
 * brings lo up, and sends an fd of it (SIOCGSKNS) to the child as MSG_NET;
 * the child setns()es to it. When the helper could not, the parent sends
 * MSG_NET alone and the child makes its own, so a failure is reported as
 * before, by the child, with its errno.
 */
struct net_job {
	int pidfd;              /* the child's */
	int sock;               /* the parent's end of the control socket: the helper sends MSG_NET itself */
	bool loopback;
	bool sent;              /* MSG_NET with the namespace went out */
};

/* The child as the launch leaves it, and what a failure needs to be told. */
struct launch_state {
	struct child_ctx c;
	struct ck_clone_args args;
	int ctl[2];             /* [0] the parent's end, [1] the child's */
	void *stack;
	int pidfd;
	pid_t pid;
	int listener;
	char **env;             /* the attribute set's environment operations applied (sbx-proc) */
	char **pwd_env;         /* status for supervisors' sibling, bwrap's PWD: env without PWD, plus its slot */
	struct ck__cgroups *cgroups; /* cgroup limits (sbx-res) */
	struct net_job net;     /* c.net_join: the network namespace made beside the child */
};

/* With maps that leave out id: the inside id to take (0 if mapped, else the first map's); else -1. */
static int64_t unmapped_caller(const struct ck__idmap *maps, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= maps[i].outside && id - maps[i].outside < maps[i].count)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (maps[i].inside == 0)
			return 0;
	return n ? (int64_t)maps[0].inside : -1;
}

static void state_init(struct launch_state *s, const struct ck__launch *l)
{
	const struct ck_spawn_attr *a = l->attr;
	struct child_ctx *c = &s->c;

	memset(s, 0, sizeof(*s));
	s->ctl[0] = s->ctl[1] = s->pidfd = s->listener = -1;
	s->pid = -1;
	s->stack = MAP_FAILED;
	c->attr = a;
	c->extra = &l->extra;
	c->file = l->file;
	c->argv = l->argv;
	c->envp = l->envp ? l->envp : environ;
	c->path_env = ck__path_env();
	c->ctl = c->ctl_parent = c->parent_pidfd = -1;
	for (size_t i = 0; i < CK__CG_GROUPS; i++)
		c->cg_procs[i] = -1;
	c->parent_pid = getpid();
	c->hold = holds(l);
	c->take_uid = c->take_gid = -1;
	if ((a->namespaces & CK_CLONE_NEWUSER) && !a->map_self) {
		c->take_uid = unmapped_caller(a->uid, a->nuid, (uint32_t)geteuid());
		c->take_gid = unmapped_caller(a->gid, a->ngid, (uint32_t)getegid());
	}
	c->init_report[0] = c->init_report[1] = -1;
	/* maps of our own ids alone (no helper, nobody else unblocking the child) it writes itself */
	bool self_maps = (a->namespaces & CK_CLONE_NEWUSER) && a->map_self && !a->id_helper &&
			 a->userns_block_fd < 0;
	if (self_maps) {
		snprintf(c->self_uid_map, sizeof(c->self_uid_map), "%u %u 1\n", ck__self_inside(a, true),
			 (unsigned)geteuid());
		snprintf(c->self_gid_map, sizeof(c->self_gid_map), "%u %u 1\n", ck__self_inside(a, false),
			 (unsigned)getegid());
	}
	c->await_parent = ((a->namespaces & CK_CLONE_NEWUSER) && !self_maps) || ck__status_wanted(a);
	/* a new root takes more stack and time than a CLONE_VM child should hold the caller */
	c->own_memory = c->await_parent || self_maps || c->hold || a->new_root || a->init;
	/* the network namespace made beside the child (struct net_job); a child that waits for
	 * the parent would wait for it too, and the status documents name it before it is joined */
	c->net_join = (a->namespaces & (CK_CLONE_NEWNET | CK_CLONE_NEWUSER)) ==
			      (CK_CLONE_NEWNET | CK_CLONE_NEWUSER) &&
		      c->own_memory && !c->await_parent;
	c->cap_last = a->set_caps || a->set_bounding ? ck__cap_last() : 0;
	c->userns.sysctl = c->userns.self = -1;
	if (a->has_offset[0] || a->has_offset[1]) {
		size_t pos = 0;
		for (int i = 0; i < 2; i++)
			if (a->has_offset[i])
				ck__buf_append(c->timens, sizeof(c->timens), &pos, "%s %lld %ld\n",
					      i ? "boottime" : "monotonic",
					      (long long)a->offset_sec[i], a->offset_nsec[i]);
	}
}

static void state_release(struct launch_state *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->ctl[i] >= 0)
			close(s->ctl[i]);
		if (s->c.init_report[i] >= 0)
			close(s->c.init_report[i]);
	}
	stack_unmap(s->stack);
	if (s->c.parent_pidfd >= 0)
		close(s->c.parent_pidfd);
	ck__mount_plan_free(s->c.mounts);
	free(s->env);
	free(s->pwd_env);
	ck__cgroups_launched(s->cgroups);
}

/* The new root's plan (sources resolved); a failure reported as the child's would be. 0 or errno. */
static int launch_plan_mounts(struct launch_state *s)
{
	struct ck__mount_fail mf;
	int e = -ck__mount_plan_new(s->c.attr, &s->c.mounts, &mf);
	if (e) {
		s->c.rep = (struct ck__report){ .kind = CK__REPORT_FAILED, .step = CK__STEP_MOUNTS,
						.err = e, .cause = mf.act, .arg = mf.op };
		snprintf(s->c.rep.path, sizeof(s->c.rep.path), "%s", mf.path);
	}
	return e;
}

/* clone3 with every signal blocked (no handler may run in a child that shares our memory). */
static pid_t launch_clone(struct launch_state *s)
{
	const struct ck_spawn_attr *a = s->c.attr;
	struct ck_clone_args *args = &s->args;
	uint64_t all = ~UINT64_C(0);

	memset(args, 0, sizeof(*args));
	args->flags = (a->namespaces & ~CK_CLONE_NEWTIME) | a->share | CK_CLONE_PIDFD |
		      CK_CLONE_CLEAR_SIGHAND;
	if (s->c.net_join)
		args->flags &= ~CK_CLONE_NEWNET;
	if (!s->c.own_memory) {
		args->flags |= CK_CLONE_VM | CK_CLONE_VFORK;
		args->stack = (uint64_t)(uintptr_t)s->stack;
		args->stack_size = CHILD_STACK;
	}
	int cgroup_fd = ck__cgroups_v2_fd(s->cgroups);
	if (cgroup_fd < 0)
		cgroup_fd = a->cgroup_fd;
	if (cgroup_fd >= 0) {
		args->flags |= CK_CLONE_INTO_CGROUP;
		args->cgroup = (uint64_t)cgroup_fd;
	}
	args->exit_signal = (uint64_t)a->exit_signal;
	args->pidfd = (uint64_t)(uintptr_t)&s->pidfd;

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &s->c.oldmask, sizeof(uint64_t));
	pid_t pid = ck_clone3(args, sizeof(*args), child_main, &s->c);
	if (pid == -ENOSYS && !(args->flags & CK_CLONE_INTO_CGROUP)) {
		/* without clone3 the child resets the handlers itself */
		args->flags &= ~CK_CLONE_CLEAR_SIGHAND;
		s->c.reset_handlers = true;
		pid = ck_clone3(args, sizeof(*args), child_main, &s->c);
	}
	/* the CLONE_VM child wrote s->c.rep before it exec'd or exited */
	__asm__ __volatile__("" ::: "memory");
	return pid;
}

/* The helper of struct net_job: what it could not do is left to the child. */
CHILD_CODE static int net_helper(void *arg)
{
	struct net_job *j = arg;

	if (syscall(SYS_setns, j->pidfd, CK_CLONE_NEWUSER) < 0 || unshare((int)CK_CLONE_NEWNET) < 0)
		_exit(1);
	/* one socket of the new namespace brings lo up and names the namespace */
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		_exit(1);
	/* the fd table is the parent's (CLONE_FILES): every fd opened here is closed here */
	int fd = j->loopback && ck__loopback_up_on(sock) < 0 ? -1 : ioctl(sock, SIOCGSKNS);
	close(sock);
	/* straight to the child, which waits for it: the parent's wake-up is not on its way */
	char m = MSG_NET;
	if (fd >= 0) {
		j->sent = send_with_fd(j->sock, &m, 1, fd) == 1;
		close(fd);
	}
	_exit(0);
}

/* Runs the helper of struct net_job (the parent sleeps until it ends); s->net.sent if it sent MSG_NET. */
static void launch_net(struct launch_state *s)
{
	struct ck_clone_args args;
	void *stack = stack_map();

	s->net.pidfd = s->pidfd;
	s->net.sock = s->ctl[0];
	s->net.loopback = !s->c.attr->no_loopback;
	s->net.sent = false;
	if (stack == MAP_FAILED)
		return;
	memset(&args, 0, sizeof(args));
	/*
	 * No exit signal: nothing reaches a SIGCHLD handler of the caller's. No
	 * handler of the caller's runs in the helper either: it starts with every
	 * signal blocked (launch_clone's mask), and a signal the kernel forces
	 * then (a filter's SIGSYS) takes the default action and ends it; the
	 * child redoes the work.
	 */
	args.flags = CK_CLONE_VM | CK_CLONE_VFORK | CK_CLONE_FILES;
	args.stack = (uint64_t)(uintptr_t)stack;
	args.stack_size = CHILD_STACK;
	pid_t pid = ck_clone3(&args, sizeof(args), net_helper, &s->net);
	/* the helper wrote s->net before it exited */
	__asm__ __volatile__("" ::: "memory");
	if (pid > 0)
		reap(pid);
	stack_unmap(stack);
}

/* MSG_NET without a namespace when the helper sent none: the child makes its own; a child gone says why in its report. */
static void send_net(struct launch_state *s)
{
	char m = MSG_NET;
	if (!s->net.sent)
		send_with_fd(s->ctl[0], &m, 1, -1);
}

static void restore_mask(const struct launch_state *s)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &s->c.oldmask, NULL, sizeof(uint64_t));
}

/*
 * The own-memory child after clone: its maps, then its first report. 0
 * when it has executed or is held (s->c.rep.kind says), or the failed step
 * with *e.
 */
static enum ck__step launch_talk(struct launch_state *s, int *e, char *why, size_t why_len)
{
	const struct ck_spawn_attr *a = s->c.attr;
	enum ck__step step = CK__STEP_NONE;
	int r;

	close(s->ctl[1]);
	s->ctl[1] = -1;
	if (s->c.net_join)
		send_net(s);
	if (s->c.await_parent) {
		/* the one attribute a launch changes: the info fd it has written and closed */
		r = ck__status_started((struct ck_spawn_attr *)a, s->pid, &step);
		/* with a userns block fd, whoever unblocked it wrote the maps */
		if (r == 0 && (a->namespaces & CK_CLONE_NEWUSER) && a->userns_block_fd < 0 &&
		    !s->c.self_uid_map[0])
			r = write_maps(a, s->pid, &step, why, why_len);
		if (r == 0) {
			step = CK__STEP_RESUME;
			r = send_msg(s->ctl[0], MSG_MAPS);
		}
		if (r < 0) {
			/* a child that failed first (and so went away) says why */
			if (read_report(s->ctl[0], &s->c.rep, NULL, MSG_DONTWAIT) == 1 &&
			    s->c.rep.kind == CK__REPORT_FAILED)
				return CK__STEP_NONE;
			*e = -r;
			return step;
		}
	}
	r = read_report(s->ctl[0], &s->c.rep, &s->listener, 0);
	if (r < 0) {
		*e = -r;
		return CK__STEP_REPORT;
	}
	if (r == 0)
		s->c.rep.kind = CK__REPORT_NONE;
	else if (s->c.rep.kind == CK__REPORT_HELD && a->listener.bpf && s->listener < 0)
		s->c.rep = (struct ck__report){ .kind = CK__REPORT_FAILED, .step = CK__STEP_REPORT,
						.err = EPROTO };
	return CK__STEP_NONE;
}

int ck__launch(const struct ck__launch *l, struct ck_child **out, struct ck_spawn_error *err)
{
	struct launch_state s;
	struct ck__failure f = { .file = l->file, .attr = l->attr };
	char why[512];
	int saved_errno = errno, e = 0;

	*out = NULL;
	if (attr_inconsistent(l, why, sizeof(why))) {
		f.why = why;
		f.err = EINVAL;
		f.step = CK__STEP_ATTRIBUTES;
		ck__spawn_error_set(err, &f);
		return -EINVAL;
	}
	struct ck_child *child = calloc(1, sizeof(*child));
	if (!child) {
		f.err = ENOMEM;
		f.step = CK__STEP_PREPARE;
		ck__spawn_error_set(err, &f);
		return -ENOMEM;
	}
	child->ctl = child->listener = child->json_status_fd = child->init_report = -1;

	state_init(&s, l);
	if ((e = launch_plan_mounts(&s)) != 0) {
		f.step = CK__STEP_MOUNTS;
		f.report = &s.c.rep;
		goto fail;
	}
	if (l->attr->nenvops) {
		/* process state (sbx-proc): the program's environment, made before the clone */
		if (!(s.env = ck__env_build(l->attr, s.c.envp))) {
			f.step = CK__STEP_PREPARE;
			e = ENOMEM;
			goto fail;
		}
		s.c.envp = s.env;
	}
	if (l->attr->set_pwd) {
		/* bwrap sets PWD to where the command starts: the child fills the last slot */
		size_t n = 0, k = 0;
		while (s.c.envp[n])
			n++;
		if (!(s.pwd_env = calloc(n + 2, sizeof(char *)))) {
			f.step = CK__STEP_PREPARE;
			e = ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			if (strncmp(s.c.envp[i], "PWD=", 4) != 0)
				s.pwd_env[k++] = s.c.envp[i];
		s.pwd_env[k] = s.c.pwd;
		s.c.set_pwd = true;
		s.c.envp = s.pwd_env;
	}
	/* cgroup limits (sbx-res): the groups exist, limits written, before the child does */
	if (ck__cgroup_wanted(l->attr)) {
		int r = ck__cgroups_create(l->attr, &s.cgroups, why, sizeof(why));
		if (r < 0) {
			f.why = why;
			f.step = CK__STEP_CGROUP;
			e = -r;
			goto fail;
		}
		for (size_t i = 0; i < s.cgroups->n; i++)
			s.c.cg_procs[i] = s.cgroups->g[i].procs_fd;
	}
	if (l->attr->pdeath_sig)
		s.c.parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	f.step = CK__STEP_CLONE;
	if (s.c.own_memory) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s.ctl) < 0) {
			e = errno;
			goto fail;
		}
		s.c.ctl_parent = s.ctl[0];
		s.c.ctl = s.ctl[1];
		/* an init reports the program's code before its exit tears the namespaces down */
		if (l->attr->init && pipe2(s.c.init_report, O_CLOEXEC) < 0) {
			e = errno;
			goto fail;
		}
	} else if ((s.stack = stack_map()) == MAP_FAILED) {
		e = errno;
		goto fail;
	}

	s.pid = launch_clone(&s);
	if (s.pid < 0) {
		restore_mask(&s);
		e = -s.pid;
		f.args = &s.args;
		goto fail;
	}
	child->pid = s.pid;
	child->pidfd = s.pidfd;
	child->vfork = !s.c.own_memory;
	if (s.c.init_report[1] >= 0) {
		/* only the init may hold the write end, or a read never sees its end */
		close(s.c.init_report[1]);
		s.c.init_report[1] = -1;
	}
	f.pid = s.pid;
	if (s.c.net_join)
		launch_net(&s);
	if (s.c.own_memory) {
		why[0] = '\0';
		f.step = launch_talk(&s, &e, why, sizeof(why));
		if (f.step == CK__STEP_ID_HELPER)
			f.why = why;
		if (f.step != CK__STEP_NONE) {
			restore_mask(&s);
			kill_and_reap(s.pid, s.pidfd);
			goto fail;
		}
	}
	restore_mask(&s);

	if (s.c.hold && s.c.rep.kind == CK__REPORT_NONE) {
		/* no report and no hold: something killed it on its way (execve is after the hold) */
		int st = 0;
		char sig[16];
		while (waitpid(s.pid, &st, __WALL) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(st))
			snprintf(why, sizeof(why), "the child was killed by %s before it was held",
				 ck_signal_name((unsigned)WTERMSIG(st), sig, sizeof(sig)));
		else
			snprintf(why, sizeof(why), "the child exited with %d before it was held",
				 WEXITSTATUS(st));
		f.why = why;
		f.step = CK__STEP_REPORT;
		e = ECHILD;
		goto fail;
	}
	if (s.c.rep.kind == CK__REPORT_FAILED) {
		/* the child exited (or is about to) without reaching its program */
		if (s.c.rep.step == CK__STEP_REPORT)
			kill_and_reap(s.pid, s.pidfd);
		else
			reap(s.pid);
		f.step = (enum ck__step)s.c.rep.step;
		e = s.c.rep.err;
		f.report = &s.c.rep;
		goto fail;
	}
	/* status for supervisors: the end's document is written when the child is waited for */
	if (l->attr->json_status_fd >= 0 &&
	    (child->json_status_fd = fcntl(l->attr->json_status_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		e = errno;
		kill_and_reap(s.pid, s.pidfd);
		f.step = CK__STEP_JSON_STATUS_FD;
		goto fail;
	}
	if (s.c.rep.kind == CK__REPORT_HELD) {
		child->file = strdup(l->file);
		if (!child->file) {
			kill_and_reap(s.pid, s.pidfd);
			f.step = CK__STEP_REPORT;
			e = ENOMEM;
			goto fail;
		}
		child->state = CK__HELD;
		child->ctl = ck__take_fd(&s.ctl[0]);
		child->listener = ck__take_fd(&s.listener);
	}
	child->init_report = ck__take_fd(&s.c.init_report[0]);
	state_release(&s);
	child->cgroups = s.cgroups;
	*out = child;
	errno = saved_errno;
	return 0;

fail:
	f.err = e;
	ck__spawn_error_set(err, &f);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.listener >= 0)
		close(s.listener);
	if (child->json_status_fd >= 0)
		close(child->json_status_fd);
	state_release(&s);
	ck__cgroups_close(s.cgroups, true); /* the child, if any, is reaped by now */
	free(child);
	errno = saved_errno;
	return -e;
}

int ck__launch_release(struct ck_child *c)
{
	if (!c || c->state != CK__HELD)
		return -EINVAL;
	int r = send_msg(c->ctl, MSG_GO);
	if (r < 0)
		return r == -EPIPE || r == -ECONNRESET ? -ESRCH : r;
	c->state = CK__RELEASED;
	return 0;
}

int ck__launch_outcome(struct ck_child *c, struct ck_spawn_error *err)
{
	struct ck__report rep;
	struct ck__failure f = { .file = c->file, .pid = c->pid };
	int r;

	if (c->state == CK__HELD)
		return -EINVAL;
	if (c->state == CK__RUNNING)
		return 0;
	r = read_report(c->ctl, &rep, NULL, 0);
	close(c->ctl);
	c->ctl = -1;
	c->state = CK__RUNNING;
	if (r == 0)
		return 0;
	if (r < 0) {
		f.step = CK__STEP_REPORT;
		f.err = -r;
	} else {
		f.step = (enum ck__step)rep.step;
		f.err = rep.err;
		f.report = &rep;
	}
	ck__spawn_error_set(err, &f);
	return -f.err;
}
