/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_spawn: posix_spawn with namespaces, id maps, a hostname, /proc, time
 * offsets, a cgroup, a pidfd and die-with-parent.
 *
 * Two paths. When nothing needs the child's own memory, the child is made
 * with CLONE_VM|CLONE_VFORK on a small private stack, runs only system calls
 * and reports a failure by writing into the parent's memory (the parent
 * sleeps until it execs or exits). A new user namespace needs the parent to
 * write the id maps while the child waits, so that child is a full copy and
 * reports through a close-on-exec pipe.
 */
#include <clonekit/clone.h>
#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"

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

#define MAX_MAPS 340     /* the kernel's limit on uid_map/gid_map lines */
#define MAX_FDS 256
#define CHILD_STACK (64 * 1024)
#define NSIG_KERNEL 64

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define NAMESPACES                                                                             \
	(CK_CLONE_NEWUSER | CK_CLONE_NEWPID | CK_CLONE_NEWNET | CK_CLONE_NEWNS | CK_CLONE_NEWUTS | \
	 CK_CLONE_NEWIPC | CK_CLONE_NEWCGROUP | CK_CLONE_NEWTIME)
#define SHAREABLE (CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM | CK_CLONE_VM)

struct idmap {
	uint32_t inside, outside, count;
};

struct fdmap {
	int from, to;
};

struct ck_spawn_attr {
	uint64_t namespaces, share;
	struct idmap uid[MAX_MAPS], gid[MAX_MAPS];
	size_t nuid, ngid;
	bool map_root, map_user;
	bool has_hostname;
	char hostname[65];
	bool mount_proc;
	bool has_offset[2];        /* CLOCK_MONOTONIC, CLOCK_BOOTTIME */
	int64_t offset_sec[2];
	long offset_nsec[2];
	int cgroup_fd;
	char *cwd;
	struct fdmap fds[MAX_FDS];
	size_t nfds;
	int pdeath_sig;
	int exit_signal;
	bool search_path;
	int (*hook)(void *);
	void *hook_data;
	void *filter;              /* struct sock_filter[], loaded last */
	size_t filter_len;         /* bytes */
};

struct ck_child {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool vfork;
};

/* The child's steps, in order; a failure names one. */
enum step {
	STEP_NONE,
	STEP_PDEATHSIG,
	STEP_PARENT_GONE,
	STEP_WAIT_MAPS,
	STEP_SIGNALS,
	STEP_HOSTNAME,
	STEP_MOUNTS_PRIVATE,
	STEP_MOUNT_PROC,
	STEP_UNSHARE_TIME,
	STEP_TIMENS_OFFSETS,
	STEP_CHDIR,
	STEP_FDS,
	STEP_SIGMASK,
	STEP_HOOK,
	STEP_SECCOMP,
	STEP_EXECVE,
	/* parent side */
	STEP_CLONE,
	STEP_SETGROUPS,
	STEP_UID_MAP,
	STEP_GID_MAP,
	STEP_RESUME,
	STEP_REPORT,
};

static const char *const step_names[] = {
	[STEP_NONE] = "none",
	[STEP_PDEATHSIG] = "die-with-parent (PR_SET_PDEATHSIG)",
	[STEP_PARENT_GONE] = "die-with-parent (the parent had already exited)",
	[STEP_WAIT_MAPS] = "wait for the id maps",
	[STEP_SIGNALS] = "reset signal handlers",
	[STEP_HOSTNAME] = "sethostname",
	[STEP_MOUNTS_PRIVATE] = "make mounts private",
	[STEP_MOUNT_PROC] = "mount /proc",
	[STEP_UNSHARE_TIME] = "unshare the time namespace",
	[STEP_TIMENS_OFFSETS] = "write timens_offsets",
	[STEP_CHDIR] = "chdir",
	[STEP_FDS] = "map file descriptors",
	[STEP_SIGMASK] = "restore the signal mask",
	[STEP_HOOK] = "pre-exec hook",
	[STEP_SECCOMP] = "seccomp filter",
	[STEP_EXECVE] = "execve",
	[STEP_CLONE] = "clone3",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_UID_MAP] = "uid_map",
	[STEP_GID_MAP] = "gid_map",
	[STEP_RESUME] = "resume the child",
	[STEP_REPORT] = "read the child's report",
};

struct report {
	int step;
	int err;
};

/* Everything the child needs, prepared by the parent (the child only makes system calls). */
struct child_ctx {
	const struct ck_spawn_attr *attr;
	const char *file;
	char *const *argv;
	char *const *envp;
	const char *path_env;
	uint64_t oldmask;
	bool own_memory;        /* a full copy (not CLONE_VM) */
	bool reset_handlers;    /* CLONE_CLEAR_SIGHAND was not available */
	int report_fd;          /* own_memory: the write end of the report pipe */
	int parent_end;         /* own_memory: the parent's end, closed in the child */
	int maps_fd;            /* own_memory with a user namespace: read end of the go-ahead */
	int maps_parent_end;
	int parent_pidfd;       /* die-with-parent: a pidfd of the parent, or -1 */
	pid_t parent_pid;
	char timens[96];
	volatile struct report rep; /* CLONE_VM: written by the child, read by the parent */
};

/* ---- the attribute set ---- */

struct ck_spawn_attr *ck_spawn_attr_new(void)
{
	struct ck_spawn_attr *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cgroup_fd = -1;
	a->exit_signal = SIGCHLD;
	a->search_path = true;
	return a;
}

void ck_spawn_attr_free(struct ck_spawn_attr *a)
{
	if (!a)
		return;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	free(a->cwd);
	free(a->filter);
	free(a);
}

int ck_spawn_attr_set_namespaces(struct ck_spawn_attr *a, uint64_t flags)
{
	if (!a || (flags & ~NAMESPACES))
		return -EINVAL;
	a->namespaces = flags;
	return 0;
}

int ck_spawn_attr_set_share(struct ck_spawn_attr *a, uint64_t flags)
{
	if (!a || (flags & ~SHAREABLE))
		return -EINVAL;
	a->share = flags;
	return 0;
}

static int add_map(struct idmap *maps, size_t *n, uint32_t inside, uint32_t outside, uint32_t count)
{
	if (count == 0 || *n >= MAX_MAPS || inside + (uint64_t)count - 1 > UINT32_MAX - 1 ||
	    outside + (uint64_t)count - 1 > UINT32_MAX - 1)
		return -EINVAL;
	maps[(*n)++] = (struct idmap){ inside, outside, count };
	return 0;
}

int ck_spawn_attr_add_uid_map(struct ck_spawn_attr *a, uint32_t inside, uint32_t outside,
			      uint32_t count)
{
	return a ? add_map(a->uid, &a->nuid, inside, outside, count) : -EINVAL;
}

int ck_spawn_attr_add_gid_map(struct ck_spawn_attr *a, uint32_t inside, uint32_t outside,
			      uint32_t count)
{
	return a ? add_map(a->gid, &a->ngid, inside, outside, count) : -EINVAL;
}

int ck_spawn_attr_map_root(struct ck_spawn_attr *a)
{
	if (!a)
		return -EINVAL;
	a->map_root = true;
	a->map_user = false;
	return 0;
}

int ck_spawn_attr_map_user(struct ck_spawn_attr *a)
{
	if (!a)
		return -EINVAL;
	a->map_user = true;
	a->map_root = false;
	return 0;
}

int ck_spawn_attr_set_hostname(struct ck_spawn_attr *a, const char *name)
{
	if (!a || !name || strlen(name) >= sizeof(a->hostname))
		return -EINVAL;
	snprintf(a->hostname, sizeof(a->hostname), "%s", name);
	a->has_hostname = true;
	return 0;
}

int ck_spawn_attr_set_mount_proc(struct ck_spawn_attr *a, bool mount_proc)
{
	if (!a)
		return -EINVAL;
	a->mount_proc = mount_proc;
	return 0;
}

int ck_spawn_attr_set_time_offset(struct ck_spawn_attr *a, clockid_t clock, int64_t sec, long nsec)
{
	int i = clock == CLOCK_MONOTONIC ? 0 : clock == CLOCK_BOOTTIME ? 1 : -1;
	if (!a || i < 0 || nsec < 0 || nsec >= 1000000000L)
		return -EINVAL;
	a->has_offset[i] = true;
	a->offset_sec[i] = sec;
	a->offset_nsec[i] = nsec;
	return 0;
}

int ck_spawn_attr_set_cgroup(struct ck_spawn_attr *a, const char *dir)
{
	if (!a || !dir)
		return -EINVAL;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	a->cgroup_fd = fd;
	return 0;
}

int ck_spawn_attr_set_cwd(struct ck_spawn_attr *a, const char *dir)
{
	if (!a || !dir)
		return -EINVAL;
	char *copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	free(a->cwd);
	a->cwd = copy;
	return 0;
}

int ck_spawn_attr_add_fd(struct ck_spawn_attr *a, int parent_fd, int child_fd)
{
	if (!a || parent_fd < 0 || child_fd < 0 || a->nfds >= MAX_FDS)
		return -EINVAL;
	for (size_t i = 0; i < a->nfds; i++)
		if (a->fds[i].to == child_fd)
			return -EINVAL; /* two fds cannot become one */
	a->fds[a->nfds++] = (struct fdmap){ parent_fd, child_fd };
	return 0;
}

int ck_spawn_attr_set_die_with_parent(struct ck_spawn_attr *a, int sig)
{
	if (!a || sig < 0 || sig > NSIG_KERNEL)
		return -EINVAL;
	a->pdeath_sig = sig;
	return 0;
}

int ck_spawn_attr_set_exit_signal(struct ck_spawn_attr *a, int sig)
{
	if (!a || sig < 0 || sig > NSIG_KERNEL)
		return -EINVAL;
	a->exit_signal = sig;
	return 0;
}

int ck_spawn_attr_set_search_path(struct ck_spawn_attr *a, bool search)
{
	if (!a)
		return -EINVAL;
	a->search_path = search;
	return 0;
}

int ck__spawn_attr_take_filter(struct ck_spawn_attr *a, void *bpf, size_t len)
{
	if (!a) {
		free(bpf);
		return -EINVAL;
	}
	if (bpf && (len == 0 || len % 8 || len / 8 > 4096)) {
		free(bpf);
		return -EINVAL;
	}
	free(a->filter);
	a->filter = bpf;
	a->filter_len = bpf ? len : 0;
	return 0;
}

int ck_spawn_attr_set_pre_exec(struct ck_spawn_attr *a, int (*hook)(void *), void *data)
{
	if (!a)
		return -EINVAL;
	a->hook = hook;
	a->hook_data = data;
	return 0;
}

/* ---- the child ---- */

/* The kernel's struct sigaction: the raw call reaches the signals glibc reserves. */
struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

CHILD_CODE static _Noreturn void child_fail(struct child_ctx *c, enum step step, int err)
{
	struct report r = { step, err };
	if (c->own_memory) {
		ssize_t n;
		do
			n = write(c->report_fd, &r, sizeof(r));
		while (n < 0 && errno == EINTR);
	} else {
		c->rep.step = step;
		c->rep.err = err;
	}
	_exit(127);
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
			child_fail(c, STEP_SIGNALS, errno);
	}
}

/* Parent fds are dup'd above every fd the mapping names, then dup2'd into place. */
CHILD_CODE static void child_fds(struct child_ctx *c)
{
	const struct ck_spawn_attr *a = c->attr;
	static const struct fdmap std_fds[] = { { 0, 0 }, { 1, 1 }, { 2, 2 } };
	const struct fdmap *maps = a->nfds ? a->fds : std_fds;
	size_t n = a->nfds ? a->nfds : 3;
	int tmp[MAX_FDS];
	int high = 3;

	for (size_t i = 0; i < n; i++) {
		if (maps[i].from >= high)
			high = maps[i].from + 1;
		if (maps[i].to >= high)
			high = maps[i].to + 1;
	}
	if (c->own_memory && c->report_fd < high) {
		int moved = fcntl(c->report_fd, F_DUPFD_CLOEXEC, high);
		if (moved < 0)
			child_fail(c, STEP_FDS, errno);
		c->report_fd = moved;
		high = moved + 1;
	}
	for (size_t i = 0; i < n; i++) {
		tmp[i] = -1;
		if (maps[i].from == maps[i].to)
			continue;
		tmp[i] = fcntl(maps[i].from, F_DUPFD_CLOEXEC, high);
		if (tmp[i] < 0 && (a->nfds || errno != EBADF))
			child_fail(c, STEP_FDS, errno);
	}
	/* every fd is closed at execve, except those mapped below */
	if (syscall(SYS_close_range, 0U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		struct rlimit rl;
		int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20)
				  ? (int)rl.rlim_cur : (1 << 20);
		for (int fd = 0; fd < max; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < n; i++) {
		if (maps[i].from == maps[i].to) {
			if (fcntl(maps[i].to, F_SETFD, 0) < 0 && (a->nfds || errno != EBADF))
				child_fail(c, STEP_FDS, errno);
		} else if (tmp[i] >= 0 && dup2(tmp[i], maps[i].to) < 0) {
			child_fail(c, STEP_FDS, errno);
		}
	}
}

CHILD_CODE static void child_exec(struct child_ctx *c)
{
	child_fail(c, STEP_EXECVE,
		   ck_exec_search(c->file, c->attr->search_path ? c->path_env : NULL, c->argv, c->envp));
}

CHILD_CODE static int child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct ck_spawn_attr *a = c->attr;

	if (c->own_memory) {
		close(c->parent_end);
		if (c->maps_parent_end >= 0)
			close(c->maps_parent_end);
	}
	child_signals(c);

	if (a->pdeath_sig) {
		if (prctl(PR_SET_PDEATHSIG, a->pdeath_sig) < 0)
			child_fail(c, STEP_PDEATHSIG, errno);
		/* the parent may have died before the signal was armed */
		if (c->parent_pidfd >= 0) {
			struct pollfd pfd = { c->parent_pidfd, POLLIN, 0 };
			if (poll(&pfd, 1, 0) > 0)
				child_fail(c, STEP_PARENT_GONE, ESRCH);
		} else if (!(a->namespaces & CK_CLONE_NEWPID) && getppid() != c->parent_pid) {
			child_fail(c, STEP_PARENT_GONE, ESRCH);
		}
	}
	if (c->parent_pidfd >= 0)
		close(c->parent_pidfd);

	if (c->maps_fd >= 0) {
		char go;
		ssize_t n;
		do
			n = read(c->maps_fd, &go, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			child_fail(c, STEP_WAIT_MAPS, n < 0 ? errno : EPIPE);
		close(c->maps_fd);
	}
	if (a->has_hostname && sethostname(a->hostname, strlen(a->hostname)) < 0)
		child_fail(c, STEP_HOSTNAME, errno);
	if (a->namespaces & CK_CLONE_NEWNS) {
		/* mounts made here must not propagate back to the caller's namespace */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(c, STEP_MOUNTS_PRIVATE, errno);
		if (a->mount_proc &&
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			child_fail(c, STEP_MOUNT_PROC, errno);
	}
	if (a->namespaces & CK_CLONE_NEWTIME) {
		/* offsets can only be written before a task enters; execve enters (6.2+) */
		if (unshare((int)CK_CLONE_NEWTIME) < 0)
			child_fail(c, STEP_UNSHARE_TIME, errno);
		if (c->timens[0]) {
			int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
			int r = fd < 0 ? -errno : write_all_fd(fd, c->timens);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				child_fail(c, STEP_TIMENS_OFFSETS, -r);
		}
	}
	if (a->cwd && chdir(a->cwd) < 0)
		child_fail(c, STEP_CHDIR, errno);
	child_fds(c);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &c->oldmask, NULL, sizeof(uint64_t)) < 0)
		child_fail(c, STEP_SIGMASK, errno);
	if (a->hook) {
		int r = a->hook(a->hook_data);
		if (r < 0)
			child_fail(c, STEP_HOOK, -r);
	}
	if (a->filter) {
		struct {
			unsigned short len;
			const void *filter;
		} prog = { (unsigned short)(a->filter_len / 8), a->filter };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &prog) < 0)
			child_fail(c, STEP_SECCOMP, errno);
	}
	child_exec(c);
	return 127;
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

static void set_error(struct ck_spawn_error *err, enum step step, int e, const char *file)
{
	if (!err || err->size < sizeof(*err))
		return;
	err->step = step_names[step];
	err->err = e;
	err->in_child = step < STEP_CLONE;
	if (step == STEP_EXECVE)
		snprintf(err->message, sizeof(err->message), "execve %s: %s", file, strerror(e));
	else
		snprintf(err->message, sizeof(err->message), "%s: %s", step_names[step], strerror(e));
}

static int check_attr(const struct ck_spawn_attr *a, struct ck_spawn_error *err)
{
	const char *why = NULL;
	if ((a->nuid || a->ngid || a->map_root || a->map_user) && !(a->namespaces & CK_CLONE_NEWUSER))
		why = "id maps need a new user namespace (CLONE_NEWUSER)";
	else if ((a->map_root || a->map_user) && (a->nuid || a->ngid))
		why = "map-root or map-user cannot be combined with explicit id maps";
	else if (a->has_hostname && !(a->namespaces & CK_CLONE_NEWUTS))
		why = "a hostname needs a new UTS namespace (CLONE_NEWUTS)";
	else if (a->mount_proc && (a->namespaces & (CK_CLONE_NEWPID | CK_CLONE_NEWNS)) !=
					  (CK_CLONE_NEWPID | CK_CLONE_NEWNS))
		why = "mounting /proc needs new PID and mount namespaces (CLONE_NEWPID|CLONE_NEWNS)";
	else if ((a->has_offset[0] || a->has_offset[1]) && !(a->namespaces & CK_CLONE_NEWTIME))
		why = "clock offsets need a new time namespace (CLONE_NEWTIME)";
	else if ((a->share & CK_CLONE_VM) && (a->namespaces & CK_CLONE_NEWUSER))
		why = "a new user namespace needs the parent to write id maps while the child waits, which CLONE_VM|CLONE_VFORK cannot do";
	else if ((a->namespaces & CK_CLONE_NEWTIME) && ck_kernel_version_running() < CK_KERNEL_VERSION(6, 2, 0))
		why = "a new time namespace is entered at execve only since Linux 6.2";
	if (!why)
		return 0;
	if (err && err->size >= sizeof(*err)) {
		err->step = "attributes";
		err->err = EINVAL;
		err->in_child = false;
		snprintf(err->message, sizeof(err->message), "%s", why);
	}
	return -EINVAL;
}

static int write_proc(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int fd CK_AUTO_CLOSE = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write_all_fd(fd, text);
}

static void format_maps(char *buf, size_t len, const struct idmap *m, size_t n)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		ck_buf_append(buf, len, &pos, "%u %u %u\n", m[i].inside, m[i].outside, m[i].count);
}

static bool have_cap(unsigned cap)
{
	char status[4096];
	if (ck_read_small_file("/proc/self/status", status, sizeof(status)) < 0)
		return false;
	const char *p = strstr(status, "\nCapEff:");
	return p && (strtoull(p + 8, NULL, 16) >> cap) & 1;
}

/* Writes setgroups, uid_map and gid_map for the child; the failing step in *step. */
static int write_maps(const struct ck_spawn_attr *a, pid_t pid, enum step *step)
{
	char buf[MAX_MAPS * 36];
	struct idmap one;
	int r;
	bool unprivileged_style = a->map_root || a->map_user || !have_cap(6 /* CAP_SETGID */);

	if (unprivileged_style || a->ngid) {
		/* an unprivileged writer must deny setgroups before writing gid_map */
		if (unprivileged_style) {
			*step = STEP_SETGROUPS;
			r = write_proc(pid, "setgroups", "deny");
			if (r < 0 && r != -ENOENT)
				return r;
		}
	}
	*step = STEP_UID_MAP;
	if (a->map_root || a->map_user) {
		one = (struct idmap){ a->map_root ? 0 : (uint32_t)geteuid(), (uint32_t)geteuid(), 1 };
		format_maps(buf, sizeof(buf), &one, 1);
	} else {
		format_maps(buf, sizeof(buf), a->uid, a->nuid);
	}
	if (buf[0] && (r = write_proc(pid, "uid_map", buf)) < 0)
		return r;
	*step = STEP_GID_MAP;
	if (a->map_root || a->map_user) {
		one = (struct idmap){ a->map_root ? 0 : (uint32_t)getegid(), (uint32_t)getegid(), 1 };
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
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	else
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

int ck_spawn(struct ck_child **out, const char *file, char *const argv[], char *const envp[],
	     const struct ck_spawn_attr *attr, struct ck_spawn_error *err)
{
	struct ck_spawn_attr *fallback = NULL;
	struct child_ctx c;
	int saved_errno = errno, r;
	uint64_t all = ~UINT64_C(0);
	int report[2] = { -1, -1 }, maps[2] = { -1, -1 };
	void *stack = MAP_FAILED;
	int pidfd = -1;
	pid_t pid;
	enum step fail_step = STEP_CLONE;

	if (!out || !file || !argv) {
		if (err && err->size >= sizeof(*err)) {
			err->step = "arguments";
			err->err = EINVAL;
			err->in_child = false;
			snprintf(err->message, sizeof(err->message), "%s is NULL",
				 !out ? "child" : !file ? "file" : "argv");
		}
		return -EINVAL;
	}
	*out = NULL;
	if (!attr) {
		fallback = ck_spawn_attr_new();
		if (!fallback)
			return -ENOMEM;
		attr = fallback;
	}
	if ((r = check_attr(attr, err)) < 0) {
		ck_spawn_attr_free(fallback);
		return r;
	}

	struct ck_child *child = calloc(1, sizeof(*child));
	if (!child) {
		ck_spawn_attr_free(fallback);
		return -ENOMEM;
	}

	memset(&c, 0, sizeof(c));
	c.attr = attr;
	c.file = file;
	c.argv = argv;
	c.envp = envp ? envp : environ;
	c.path_env = ck_path_env();
	c.report_fd = c.parent_end = c.maps_fd = c.maps_parent_end = c.parent_pidfd = -1;
	c.parent_pid = getpid();
	c.own_memory = (attr->namespaces & CK_CLONE_NEWUSER) != 0;
	if (attr->has_offset[0] || attr->has_offset[1]) {
		size_t pos = 0;
		for (int i = 0; i < 2; i++)
			if (attr->has_offset[i])
				ck_buf_append(c.timens, sizeof(c.timens), &pos, "%s %lld %ld\n",
					      i ? "boottime" : "monotonic",
					      (long long)attr->offset_sec[i], attr->offset_nsec[i]);
	}
	if (attr->pdeath_sig)
		c.parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (c.own_memory) {
		if (pipe2(report, O_CLOEXEC) < 0 || pipe2(maps, O_CLOEXEC) < 0) {
			r = -errno;
			fail_step = STEP_CLONE;
			goto fail;
		}
		c.report_fd = report[1];
		c.parent_end = report[0];
		c.maps_fd = maps[0];
		c.maps_parent_end = maps[1];
	} else {
		stack = stack_map();
		if (stack == MAP_FAILED) {
			r = -errno;
			goto fail;
		}
	}

	struct ck_clone_args args;
	memset(&args, 0, sizeof(args));
	args.flags = (attr->namespaces & ~CK_CLONE_NEWTIME) | attr->share | CK_CLONE_PIDFD |
		     CK_CLONE_CLEAR_SIGHAND;
	if (!c.own_memory) {
		args.flags |= CK_CLONE_VM | CK_CLONE_VFORK;
		args.stack = (uint64_t)(uintptr_t)stack;
		args.stack_size = CHILD_STACK;
	}
	if (attr->cgroup_fd >= 0) {
		args.flags |= CK_CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)attr->cgroup_fd;
	}
	args.exit_signal = (uint64_t)attr->exit_signal;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;

	/* no signal handler may run in a child that shares our memory */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &c.oldmask, sizeof(uint64_t));
	pid = ck_clone3(&args, sizeof(args), child_main, &c);
	if (pid == -ENOSYS && !(args.flags & CK_CLONE_INTO_CGROUP)) {
		/* without clone3 the child resets the handlers itself */
		args.flags &= ~CK_CLONE_CLEAR_SIGHAND;
		c.reset_handlers = true;
		pid = ck_clone3(&args, sizeof(args), child_main, &c);
	}
	if (pid < 0) {
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &c.oldmask, NULL, sizeof(uint64_t));
		r = pid;
		fail_step = STEP_CLONE;
		goto fail;
	}
	child->pid = pid;
	child->pidfd = pidfd;
	child->vfork = !c.own_memory;

	if (c.own_memory) {
		close(report[1]);
		report[1] = -1;
		close(maps[0]);
		maps[0] = -1;
		if (attr->namespaces & CK_CLONE_NEWUSER) {
			r = write_maps(attr, pid, &fail_step);
			if (r == 0) {
				fail_step = STEP_RESUME;
				r = write(maps[1], "", 1) == 1 ? 0 : -errno;
			}
			if (r < 0) {
				syscall(SYS_rt_sigprocmask, SIG_SETMASK, &c.oldmask, NULL, sizeof(uint64_t));
				kill_and_reap(pid, pidfd);
				goto fail;
			}
		}
		close(maps[1]);
		maps[1] = -1;
		struct report rep;
		ssize_t n;
		do
			n = read(report[0], &rep, sizeof(rep));
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof(rep)) {
			c.rep.step = rep.step;
			c.rep.err = rep.err;
		} else if (n != 0) {
			c.rep.step = STEP_REPORT;
			c.rep.err = n < 0 ? errno : EPROTO;
		}
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &c.oldmask, NULL, sizeof(uint64_t));

	if (c.rep.step != STEP_NONE) {
		/* the child exited (or is about to) without reaching its program */
		if (c.rep.step == STEP_REPORT)
			kill_and_reap(pid, pidfd);
		else
			reap(pid);
		fail_step = (enum step)c.rep.step;
		r = -c.rep.err;
		goto fail;
	}
	stack_unmap(stack);
	if (report[0] >= 0)
		close(report[0]);
	if (c.parent_pidfd >= 0)
		close(c.parent_pidfd);
	ck_spawn_attr_free(fallback);
	*out = child;
	errno = saved_errno;
	return 0;

fail:
	set_error(err, fail_step, -r, file);
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < 2; i++) {
		if (report[i] >= 0)
			close(report[i]);
		if (maps[i] >= 0)
			close(maps[i]);
	}
	stack_unmap(stack);
	if (c.parent_pidfd >= 0)
		close(c.parent_pidfd);
	free(child);
	ck_spawn_attr_free(fallback);
	errno = saved_errno;
	return r;
}

pid_t ck_spawn_pid(const struct ck_child *child)
{
	return child ? child->pid : -1;
}

int ck_spawn_pidfd(const struct ck_child *child)
{
	return child ? child->pidfd : -1;
}

bool ck_spawn_used_vfork(const struct ck_child *child)
{
	return child && child->vfork;
}

int ck_spawn_wait(struct ck_child *child, int *status)
{
	siginfo_t si;
	int st;

	if (!child)
		return -EINVAL;
	if (child->reaped)
		return -ECHILD;
	if (child->pidfd >= 0) {
		memset(&si, 0, sizeof(si));
		while (waitid((idtype_t)P_PIDFD, (id_t)child->pidfd, &si, WEXITED | __WALL) < 0)
			if (errno != EINTR)
				return -errno;
		if (si.si_code == CLD_EXITED)
			st = (si.si_status & 0xff) << 8;
		else
			st = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	} else {
		while (waitpid(child->pid, &st, __WALL) < 0)
			if (errno != EINTR)
				return -errno;
	}
	child->reaped = true;
	if (status)
		*status = st;
	return 0;
}

int ck_spawn_signal(struct ck_child *child, int sig)
{
	if (!child)
		return -EINVAL;
	if (child->reaped)
		return -ESRCH;
	if (child->pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, child->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	return kill(child->pid, sig) < 0 ? -errno : 0;
}

void ck_spawn_free(struct ck_child *child)
{
	if (!child)
		return;
	if (!child->reaped) {
		ck_spawn_signal(child, SIGKILL);
		ck_spawn_wait(child, NULL);
	}
	if (child->pidfd >= 0)
		close(child->pidfd);
	free(child);
}
