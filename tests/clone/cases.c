/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-flag proofs of ck_clone and ck_clone3: each case creates children
 * and observes what the flag changed (memory, descriptors, handlers, tracer,
 * cgroup, namespaces), asserting exact errnos, signals and wait statuses.
 *
 * Every case runs in its own forked process, the leader of its process group
 * and a child subreaper: what a case changes (cwd, umask, handlers, a seccomp
 * filter) dies with it, and a child it failed to reap is found and reported.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>

#if defined(__x86_64__)
#include <asm/prctl.h>
#elif defined(__i386__)
#include <asm/ldt.h>
#endif

#include <clonekit/clone.h>
#include <clonekit/flags.h>

#include "cases.h"
#include "deny_clone3.h"

#define PORTABLE (CASE_NATIVE | CASE_I386 | CASE_AARCH64_QEMU | CASE_AARCH64_VM)
/* a real kernel of the build's own architecture: everything but qemu-user */
#define HOSTED (CASE_NATIVE | CASE_I386 | CASE_AARCH64_VM)

enum {
	STACK_SIZE = 256 * 1024,
	WHY_MAX = 1024,
	/* below the runners' own limits, so the case's process group is killed here first */
	CASE_TIMEOUT_MS = 30000,
	WAIT_MS = 10000,
};

/* ck_clone takes the legacy flag word as an int, exit signal in the low byte. */
#define CLONE_WORD(f) ((int)(uint32_t)(f))
#define PTR(p) ((uint64_t)(uintptr_t)(p))

/*
 * Children that share the caller's memory run on stacks ASan never saw and
 * with the caller's thread state (its fake stack included), so every child
 * entry is uninstrumented and keeps to plain stores and syscalls.
 */
#define CHILD __attribute__((no_sanitize("address"), noinline))

/* ---- reporting ---- */

__attribute__((format(printf, 4, 5)))
static int say(char *why, size_t len, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return result;
}

#define FAIL(...) say(why, len, CASE_FAIL, __VA_ARGS__)
#define SKIP(...) say(why, len, CASE_SKIP, __VA_ARGS__)

struct text {
	char s[80];
};

struct name {
	char s[24];
};

/* "EINVAL", from a positive or negative errno */
static struct text en(long e)
{
	struct text t;
	const char *s;

	if (e < 0)
		e = -e;
	s = e ? strerrorname_np((int)e) : "no error";
	if (s)
		snprintf(t.s, sizeof t.s, "%s", s);
	else
		snprintf(t.s, sizeof t.s, "errno %ld", e);
	return t;
}

static struct name sn(int sig)
{
	struct name t;
	const char *s = sigabbrev_np(sig);

	if (s)
		snprintf(t.s, sizeof t.s, "SIG%s", s);
	else
		snprintf(t.s, sizeof t.s, "signal %d", sig);
	return t;
}

static struct text ws(int st)
{
	struct text t;

	if (WIFEXITED(st))
		snprintf(t.s, sizeof t.s, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(t.s, sizeof t.s, "killed by %s%s", sn(WTERMSIG(st)).s,
			 WCOREDUMP(st) ? " (core dumped)" : "");
	else if (WIFSTOPPED(st))
		snprintf(t.s, sizeof t.s, "stopped by %s, event %d", sn(WSTOPSIG(st)).s, st >> 16);
	else
		snprintf(t.s, sizeof t.s, "wait status 0x%x", (unsigned)st);
	return t;
}

/* CASE_PASS when st is a normal exit with code, else a failure naming who */
static int want_exit(char *why, size_t len, const char *who, int st, int code)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == code)
		return CASE_PASS;
	return FAIL("%s %s, expected exited %d", who, ws(st).s, code);
}

/* ---- owned resources ---- */

struct stack {
	void *base;
	size_t size;
};

static int stack_alloc(struct stack *s)
{
	s->size = STACK_SIZE;
	s->base = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		return -errno;
	}
	return 0;
}

static void *stack_top(const struct stack *s)
{
	return (char *)s->base + s->size;
}

static void stack_release(struct stack *s)
{
	if (s->base)
		munmap(s->base, s->size);
	s->base = NULL;
}

/* memory that fork-like children and their parent both see */
static void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct shared {
	void *p;
	size_t n;
};

static void shared_release(struct shared *m)
{
	if (m->p)
		munmap(m->p, m->n);
	m->p = NULL;
}

static void fd_release(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pipe_release(int (*p)[2])
{
	fd_release(&(*p)[0]);
	fd_release(&(*p)[1]);
}

/* a child this case must not leave behind: killed and reaped at scope end */
static void child_release(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	*pid = 0;
}

/* Declare children after their stacks: cleanups run in reverse, the child dies first. */
#define owned_stack __attribute__((cleanup(stack_release))) struct stack
#define owned_shared __attribute__((cleanup(shared_release))) struct shared
#define owned_fd __attribute__((cleanup(fd_release))) int
#define owned_pipe __attribute__((cleanup(pipe_release))) int
#define owned_pid __attribute__((cleanup(child_release))) pid_t

#define STACK_OR_FAIL(s)                                                   \
	do {                                                               \
		int e_ = stack_alloc(&(s));                                \
		if (e_)                                                    \
			return FAIL("mmap of a %d-byte stack: %s", STACK_SIZE, en(e_).s); \
	} while (0)

#define SHARED_OR_FAIL(m, type)                                            \
	do {                                                               \
		(m).n = sizeof(type);                                      \
		(m).p = shared_alloc((m).n);                               \
		if (!(m).p)                                                \
			return FAIL("mmap of shared memory: %s", en(errno).s); \
	} while (0)

/* waitpid(__WALL) that owns the pid: on success *pid becomes 0 */
static int reap(pid_t *pid, int *st)
{
	for (;;) {
		if (waitpid(*pid, st, __WALL) == *pid) {
			*pid = 0;
			return 0;
		}
		if (errno != EINTR)
			return -errno;
	}
}

#define REAP_OR_FAIL(pid, st)                                              \
	do {                                                               \
		pid_t p_ = (pid);                                          \
		int e_ = reap(&(pid), &(st));                              \
		if (e_)                                                    \
			return FAIL("waitpid(%d, __WALL): %s", (int)p_, en(e_).s); \
	} while (0)

/* ---- small system helpers ---- */

CHILD static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

CHILD static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

CHILD static pid_t tid_now(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* FUTEX_WAIT, shared: the kernel's CLONE_CHILD_CLEARTID wake is not private */
static long futex_wait(int32_t *word, int32_t val, int64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
	long r;

#ifdef SYS_futex_time64
	if (sizeof(ts.tv_sec) > sizeof(long))
		r = syscall(SYS_futex_time64, word, FUTEX_WAIT, val, &ts, NULL, 0);
	else
#endif
		r = syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0);
	return r < 0 ? -errno : 0;
}

/* Waits until the kernel clears *word (CLONE_CHILD_CLEARTID): 0 or -ETIMEDOUT. */
static int join_cleartid(int32_t *word, long ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	int32_t v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != 0) {
		int64_t left = end - now_ns(CLOCK_MONOTONIC);
		long r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = futex_wait(word, v, left);
		if (r && r != -EAGAIN && r != -EINTR && r != -ETIMEDOUT)
			return (int)r;
	}
	return 0;
}

/* the whole of a small file, NUL-terminated: its length or -errno */
static ssize_t read_text(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < n && (r = read(fd, buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	if (r < 0)
		r = -errno;
	close(fd);
	buf[got] = '\0';
	return r < 0 ? r : (ssize_t)got;
}

/* "TracerPid" of /proc/<pid>/status: the value or -errno */
static long proc_status_field(pid_t pid, const char *field)
{
	char path[64], buf[4096];
	size_t flen = strlen(field);
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	n = read_text(path, buf, sizeof buf);
	if (n < 0)
		return (long)n;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, field, flen) && line[flen] == ':')
			return strtol(line + flen + 1, NULL, 10);
	return -ENOENT;
}

static long read_long(const char *path)
{
	char buf[64];
	ssize_t n = read_text(path, buf, sizeof buf);

	return n < 0 ? (long)n : strtol(buf, NULL, 10);
}

/* the inode of /proc/self/ns/<ns>, or -errno */
static int64_t ns_inode(const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
	if (stat(path, &st))
		return -errno;
	return (int64_t)st.st_ino;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- the case runner: one forked process per case ---- */

/* Kills and reaps what the case left; returns how many children were left. */
static int reap_leftovers(void)
{
	char path[64], buf[1024];
	int left = 0;

	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	for (int round = 0; round < 500; round++) {
		pid_t w = waitpid(-1, NULL, __WALL | WNOHANG);

		if (w > 0) {
			left++;
			continue;
		}
		if (w < 0 && errno != EINTR)
			break;
		if (read_text(path, buf, sizeof buf) > 0)
			for (char *p = buf, *end; *p; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				kill((pid_t)pid, SIGKILL);
			}
		sleep_ms(10);
	}
	return left;
}

static int isolated(int (*body)(char *why, size_t len), char *why, size_t len)
{
	owned_shared box = { .n = WHY_MAX };
	int64_t end;
	siginfo_t si;
	pid_t pid;
	int st;

	box.p = shared_alloc(box.n);
	if (!box.p)
		return FAIL("mmap of shared memory: %s", en(errno).s);
	pid = fork();
	if (pid < 0)
		return FAIL("fork of the case process: %s", en(errno).s);
	if (pid == 0) {
		char *text = box.p;
		int r;

		setpgid(0, 0);
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		r = body(text, WHY_MAX);
		int left = reap_leftovers();
		if (left && r != CASE_FAIL)
			r = say(text, WHY_MAX, CASE_FAIL, "the case left %d child process(es) unreaped", left);
		_exit(r);
	}
	end = now_ns(CLOCK_MONOTONIC) + (int64_t)CASE_TIMEOUT_MS * 1000000;
	for (;;) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			break;
		if (now_ns(CLOCK_MONOTONIC) > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return FAIL("the case did not finish in %d ms; its process group was killed (%s)",
				    CASE_TIMEOUT_MS, (char *)box.p);
		}
		sleep_ms(2);
	}
	/* the zombie leader still holds the group: nothing the case forked survives it */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == CASE_PASS || WEXITSTATUS(st) == CASE_FAIL ||
			      WEXITSTATUS(st) == CASE_SKIP)) {
		snprintf(why, len, "%s", (char *)box.p);
		return WEXITSTATUS(st);
	}
	return FAIL("the case process %s (%s)", ws(st).s, (char *)box.p);
}

#define CASE(name)                                                         \
	static int name##_body(char *why, size_t len);                     \
	static int name(char *why, size_t len)                             \
	{                                                                  \
		return isolated(name##_body, why, len);                    \
	}                                                                  \
	static int name##_body(char *why, size_t len)

/* ---- children ---- */

CHILD static int store_42(void *arg)
{
	*(volatile int *)arg = 42;
	return 0;
}

CHILD static int return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

CHILD static int close_fd(void *arg)
{
	return syscall(SYS_close, *(int *)arg) == 0 ? 0 : 1;
}

/* blocks until a byte arrives on the pipe whose read end arg points to */
CHILD static int wait_for_byte(void *arg)
{
	char c;

	return syscall(SYS_read, *(int *)arg, &c, 1) == 1 ? 0 : 1;
}

CHILD static int sleep_forever(void *arg __attribute__((unused)))
{
	for (;;)
		pause();
	return 0;
}

/* ---- sharing: CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_SIGHAND ---- */

CASE(clone_vm_write_in_child_is_seen_by_parent)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	int value = 0, st;

	STACK_OR_FAIL(s);
	pid = ck_clone(store_42, stack_top(&s), CLONE_WORD(CK_CLONE_VM | SIGCHLD), &value);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_VM|SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the CLONE_VM child", st, 0))
		return CASE_FAIL;
	if (value != 42)
		return FAIL("parent saw %d after the CLONE_VM child stored 42", value);

	value = 0;
	pid = ck_clone(store_42, stack_top(&s), SIGCHLD, &value);
	if (pid < 0)
		return FAIL("ck_clone(SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child without CLONE_VM", st, 0))
		return CASE_FAIL;
	if (value != 0)
		return FAIL("without CLONE_VM the parent saw the child's store: %d, expected 0", value);
	return CASE_PASS;
}

CASE(clone_files_close_in_child_closes_in_parent)
{
	owned_stack s = { 0 };
	owned_fd shared_fd = -1;
	owned_fd copied_fd = -1;
	owned_pid pid = 0;
	int st, r;

	STACK_OR_FAIL(s);
	shared_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	copied_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (shared_fd < 0 || copied_fd < 0)
		return FAIL("open /dev/null: %s", en(errno).s);

	pid = ck_clone(close_fd, stack_top(&s), CLONE_WORD(CK_CLONE_FILES | SIGCHLD), &shared_fd);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_FILES|SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the CLONE_FILES child closing the fd", st, 0))
		return CASE_FAIL;
	errno = 0;
	r = fcntl(shared_fd, F_GETFD);
	if (r != -1 || errno != EBADF)
		return FAIL("after the CLONE_FILES child closed fd %d, fcntl(F_GETFD) in the parent gave %d (%s), expected -1 EBADF",
			    shared_fd, r, en(errno).s);
	shared_fd = -1;

	pid = ck_clone(close_fd, stack_top(&s), SIGCHLD, &copied_fd);
	if (pid < 0)
		return FAIL("ck_clone(SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child closing its copy of the fd", st, 0))
		return CASE_FAIL;
	r = fcntl(copied_fd, F_GETFD);
	if (r != FD_CLOEXEC)
		return FAIL("without CLONE_FILES, after the child closed its copy of fd %d, fcntl(F_GETFD) in the parent gave %d (%s), expected FD_CLOEXEC",
			    copied_fd, r, en(errno).s);
	return CASE_PASS;
}

CHILD static int chdir_root_umask_027(void *arg __attribute__((unused)))
{
	if (syscall(SYS_chdir, "/"))
		return 1;
	syscall(SYS_umask, 027);
	return 0;
}

/* The parent starts in /proc with umask 022; the child moves to / with 027. */
static int fs_case(char *why, size_t len, uint64_t flags, const char *want_cwd, mode_t want_mask)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	char cwd[PATH_MAX];
	mode_t mask;
	int st;

	STACK_OR_FAIL(s);
	if (chdir("/proc"))
		return FAIL("chdir /proc: %s", en(errno).s);
	umask(022);
	pid = ck_clone(chdir_root_umask_027, stack_top(&s), CLONE_WORD(flags | SIGCHLD), NULL);
	if (pid < 0)
		return FAIL("ck_clone: %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child doing chdir(\"/\") and umask(027)", st, 0))
		return CASE_FAIL;
	if (!getcwd(cwd, sizeof cwd))
		return FAIL("getcwd: %s", en(errno).s);
	mask = umask(022);
	if (strcmp(cwd, want_cwd) || mask != want_mask)
		return FAIL("parent's cwd is %s and umask %03o after the child's chdir(\"/\") and umask(027), expected %s and %03o",
			    cwd, (unsigned)mask, want_cwd, (unsigned)want_mask);
	return CASE_PASS;
}

CASE(clone_fs_chdir_and_umask_in_child_are_seen_by_parent)
{
	return fs_case(why, len, CK_CLONE_FS, "/", 027);
}

CASE(without_clone_fs_chdir_and_umask_stay_in_child)
{
	return fs_case(why, len, 0, "/proc", 022);
}

static volatile sig_atomic_t usr1_hits;

static void on_usr1(int sig __attribute__((unused)))
{
	usr1_hits++;
}

CHILD static int install_usr1_handler(void *arg __attribute__((unused)))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	return sigaction(SIGUSR1, &sa, NULL) ? 1 : 0;
}

static int sighand_case(char *why, size_t len, uint64_t flags, void (*want)(int))
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct sigaction sa;
	int st;

	STACK_OR_FAIL(s);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	pid = ck_clone(install_usr1_handler, stack_top(&s), CLONE_WORD(flags | SIGCHLD), NULL);
	if (pid < 0)
		return FAIL("ck_clone: %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child installing a SIGUSR1 handler", st, 0))
		return CASE_FAIL;
	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != want)
		return FAIL("parent's SIGUSR1 handler is %s after the child installed one, expected %s",
			    sa.sa_handler == on_usr1 ? "the child's" :
			    sa.sa_handler == SIG_DFL ? "SIG_DFL" : "something else",
			    want == on_usr1 ? "the child's" : "SIG_DFL");
	if (want == on_usr1) {
		usr1_hits = 0;
		raise(SIGUSR1);
		if (usr1_hits != 1)
			return FAIL("raise(SIGUSR1) in the parent ran the child's handler %d times, expected 1",
				    (int)usr1_hits);
	}
	return CASE_PASS;
}

CASE(clone_sighand_handler_installed_by_child_is_parents)
{
	return sighand_case(why, len, CK_CLONE_VM | CK_CLONE_SIGHAND, on_usr1);
}

CASE(without_clone_sighand_handler_installed_by_child_stays_in_child)
{
	return sighand_case(why, len, CK_CLONE_VM, SIG_DFL);
}

/* ---- threads and TID write-backs ---- */

struct ids {
	int32_t word;   /* the futex the kernel sets (PARENT_SETTID) and clears (CHILD_CLEARTID) */
	pid_t pid;
	pid_t tid;
	pid_t ctid_seen;
	pid_t ptid_seen;
	pid_t ctid;
	pid_t ptid;
};

CHILD static int record_ids(void *arg)
{
	struct ids *b = arg;

	b->pid = (pid_t)syscall(SYS_getpid);
	b->tid = tid_now();
	b->ctid_seen = *(volatile pid_t *)&b->ctid;
	b->ptid_seen = *(volatile pid_t *)&b->ptid;
	return 0;
}

#define THREAD_LIKE                                                        \
	(CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_FILES | CK_CLONE_SIGHAND |   \
	 CK_CLONE_THREAD | CK_CLONE_SYSVSEM | CK_CLONE_PARENT_SETTID |     \
	 CK_CLONE_CHILD_CLEARTID)

/* Checks a thread that ran record_ids and was joined through b->word. */
static int check_thread(char *why, size_t len, const char *how, pid_t tid, struct ids *b)
{
	int st;

	if (b->pid != getpid())
		return FAIL("%s: getpid() in the thread is %d, the parent's is %d", how, (int)b->pid, (int)getpid());
	if (b->tid != tid)
		return FAIL("%s: gettid() in the thread is %d, the call returned %d", how, (int)b->tid, (int)tid);
	if (b->tid == tid_now())
		return FAIL("%s: the thread's TID %d is the caller's", how, (int)b->tid);
	if (b->word != 0)
		return FAIL("%s: the CLEARTID word is %d after the join, expected 0", how, (int)b->word);
	errno = 0;
	if (waitpid(tid, &st, __WALL | WNOHANG) != -1 || errno != ECHILD)
		return FAIL("%s: waitpid on the thread gave %s, expected ECHILD (a thread is not a child)",
			    how, en(errno).s);
	return CASE_PASS;
}

CASE(clone_thread_shares_tgid_and_is_joined_by_cleartid_futex)
{
	struct stack s = { 0 };
	struct ids b = { 0 };
	pid_t tid;
	int e;

	STACK_OR_FAIL(s);
	tid = ck_clone(record_ids, stack_top(&s),
		       CLONE_WORD(CK_CLONE_VM | CK_CLONE_SIGHAND | CK_CLONE_THREAD |
				  CK_CLONE_PARENT_SETTID | CK_CLONE_CHILD_CLEARTID),
		       &b, &b.word, NULL, &b.word);
	if (tid < 0)
		return FAIL("ck_clone(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|...): %s", en(errno).s);
	e = join_cleartid(&b.word, WAIT_MS);
	/* a thread that was not joined may still run on the stack: leave it mapped */
	if (e)
		return FAIL("the thread's CLEARTID futex was not cleared: %s (word %d)", en(e).s, (int)b.word);
	stack_release(&s);
	return check_thread(why, len, "CLONE_THREAD", tid, &b);
}

CASE(ck_clone_thread_like_pattern_runs_a_joinable_thread)
{
	struct stack s = { 0 };
	struct ids b = { 0 };
	pid_t tid;
	int e;

	STACK_OR_FAIL(s);
	tid = ck_clone(record_ids, stack_top(&s), CLONE_WORD(THREAD_LIKE), &b, &b.word, NULL, &b.word);
	if (tid < 0)
		return FAIL("ck_clone(pthread's flags): %s", en(errno).s);
	e = join_cleartid(&b.word, WAIT_MS);
	if (e)
		return FAIL("the thread's CLEARTID futex was not cleared: %s (word %d)", en(e).s, (int)b.word);
	stack_release(&s);
	return check_thread(why, len, "ck_clone thread-like", tid, &b);
}

CASE(ck_clone3_thread_like_pattern_runs_a_joinable_thread)
{
	struct stack s = { 0 };
	struct ids b = { 0 };
	struct ck_clone_args a;
	pid_t tid;
	int e;

	STACK_OR_FAIL(s);
	memset(&a, 0, sizeof a);
	a.flags = THREAD_LIKE;
	a.parent_tid = PTR(&b.word);
	a.child_tid = PTR(&b.word);
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	tid = ck_clone3(&a, sizeof a, record_ids, &b);
	if (tid < 0)
		return FAIL("ck_clone3(pthread's flags): %s", en(tid).s);
	e = join_cleartid(&b.word, WAIT_MS);
	if (e)
		return FAIL("the thread's CLEARTID futex was not cleared: %s (word %d)", en(e).s, (int)b.word);
	stack_release(&s);
	return check_thread(why, len, "ck_clone3 thread-like", tid, &b);
}

CASE(clone_parent_settid_and_child_settid_store_the_tid)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct ids b = { 0 };
	int st;

	STACK_OR_FAIL(s);
	pid = ck_clone(record_ids, stack_top(&s),
		       CLONE_WORD(CK_CLONE_VM | CK_CLONE_PARENT_SETTID | CK_CLONE_CHILD_SETTID | SIGCHLD),
		       &b, &b.ptid, NULL, &b.ctid);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_VM|CLONE_PARENT_SETTID|CLONE_CHILD_SETTID): %s", en(errno).s);
	if (b.ptid != pid)
		return FAIL("ptid is %d when ck_clone returns %d, expected the TID", (int)b.ptid, (int)pid);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (b.tid != b.ptid)
		return FAIL("the child's gettid() is %d, ptid is %d", (int)b.tid, (int)b.ptid);
	if (b.ctid_seen != b.tid || b.ctid != b.tid)
		return FAIL("ctid was %d in the child and is %d now, expected the child's TID %d",
			    (int)b.ctid_seen, (int)b.ctid, (int)b.tid);
	return CASE_PASS;
}

/* fork-like: exits 0 when its own ctid holds its TID and its ptid copy is still 0 */
CHILD static int check_own_settid(void *arg)
{
	struct ids *b = arg;
	pid_t me = tid_now();

	if (b->ctid != me)
		return 1;
	return b->ptid == 0 ? 0 : 2;
}

CASE(child_settid_without_clone_vm_writes_only_the_childs_memory)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct ids b = { 0 };
	pid_t tid;
	int st;

	STACK_OR_FAIL(s);
	pid = ck_clone(check_own_settid, stack_top(&s),
		       CLONE_WORD(CK_CLONE_PARENT_SETTID | CK_CLONE_CHILD_SETTID | SIGCHLD),
		       &b, &b.ptid, NULL, &b.ctid);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_PARENT_SETTID|CLONE_CHILD_SETTID|SIGCHLD): %s", en(errno).s);
	tid = pid;
	REAP_OR_FAIL(pid, st);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return FAIL("the child's own ctid did not hold its TID");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
		return FAIL("the child's copy of ptid was written: PARENT_SETTID should write only the parent's memory");
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (b.ptid != tid)
		return FAIL("the parent's ptid is %d, expected the TID %d", (int)b.ptid, (int)tid);
	if (b.ctid != 0)
		return FAIL("the parent's ctid is %d, expected 0: CHILD_SETTID writes the child's copy", (int)b.ctid);
	return CASE_PASS;
}

CHILD static int nap_then_exit(void *arg)
{
	sleep_ms((long)(intptr_t)arg);
	return 0;
}

CASE(clone_child_cleartid_zeroes_the_tid_and_wakes_the_futex)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	int32_t word = 0;
	long nap = 50, r = -EAGAIN;
	int st;

	STACK_OR_FAIL(s);
	/* the parent must be asleep in FUTEX_WAIT when the child exits; nap longer if it was not */
	for (int attempt = 0; attempt < 5 && r == -EAGAIN; attempt++, nap *= 2) {
		word = 0;
		pid = ck_clone(nap_then_exit, stack_top(&s),
			       CLONE_WORD(CK_CLONE_VM | CK_CLONE_PARENT_SETTID | CK_CLONE_CHILD_CLEARTID | SIGCHLD),
			       (void *)(intptr_t)nap, &word, NULL, &word);
		if (pid < 0)
			return FAIL("ck_clone(CLONE_VM|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID): %s", en(errno).s);
		if (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != pid)
			return FAIL("the futex word is %d when ck_clone returns %d", (int)word, (int)pid);
		r = futex_wait(&word, pid, (int64_t)WAIT_MS * 1000000);
		REAP_OR_FAIL(pid, st);
		if (want_exit(why, len, "the child", st, 0))
			return CASE_FAIL;
	}
	if (r == -EAGAIN)
		return FAIL("the child always exited before the parent reached FUTEX_WAIT (last nap %ld ms)", nap / 2);
	if (r)
		return FAIL("FUTEX_WAIT on the CLEARTID word gave %s, expected a wake-up (0)", en(r).s);
	if (word != 0)
		return FAIL("woken with the CLEARTID word still %d, expected 0", (int)word);
	return CASE_PASS;
}

/* ---- structure: CLONE_PARENT, CLONE_VFORK, CLONE_DETACHED ---- */

struct parent_box {
	pid_t sibling;
	int err;
	int own_wait_errno;   /* waitpid on the sibling in the caller */
	pid_t seen_ppid;
};

CHILD static int record_ppid(void *arg)
{
	struct parent_box *b = arg;

	b->seen_ppid = (pid_t)syscall(SYS_getppid);
	return 0;
}

CASE(clone_parent_child_is_a_sibling_reaped_by_the_grandparent)
{
	owned_shared m = { 0 };
	owned_pid mid = 0;
	owned_pid sibling = 0;
	struct parent_box *b;
	int st;

	SHARED_OR_FAIL(m, struct parent_box);
	b = m.p;
	mid = fork();
	if (mid < 0)
		return FAIL("fork: %s", en(errno).s);
	if (mid == 0) {
		struct stack s;
		pid_t p;

		if (stack_alloc(&s))
			_exit(2);
		p = ck_clone(record_ppid, stack_top(&s), CLONE_WORD(CK_CLONE_PARENT | SIGCHLD), b);
		if (p < 0) {
			b->err = errno;
			_exit(1);
		}
		b->sibling = p;
		errno = 0;
		waitpid(p, NULL, __WALL | WNOHANG);
		b->own_wait_errno = errno;
		_exit(0);
	}
	REAP_OR_FAIL(mid, st);
	if (b->err)
		return FAIL("ck_clone(CLONE_PARENT|SIGCHLD) in the intermediate: %s", en(b->err).s);
	if (want_exit(why, len, "the intermediate", st, 0))
		return CASE_FAIL;
	sibling = b->sibling;
	if (b->own_wait_errno != ECHILD)
		return FAIL("waitpid on the CLONE_PARENT child in its caller gave %s, expected ECHILD",
			    en(b->own_wait_errno).s);
	{
		pid_t p = sibling;
		int e = reap(&sibling, &st);

		if (e)
			return FAIL("waitpid(%d) in the caller's parent: %s, expected to reap the sibling",
				    (int)p, en(e).s);
	}
	if (want_exit(why, len, "the CLONE_PARENT child", st, 0))
		return CASE_FAIL;
	if (b->seen_ppid != getpid())
		return FAIL("the CLONE_PARENT child's getppid() is %d, expected the caller's parent %d",
			    (int)b->seen_ppid, (int)getpid());
	return CASE_PASS;
}

struct vfork_box {
	int64_t done_ns;
	int done;
};

CHILD static int nap_then_mark(void *arg)
{
	struct vfork_box *b = arg;

	sleep_ms(100);
	b->done_ns = now_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return 0;
}

CASE(clone_vfork_suspends_the_parent_until_the_child_exits)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct vfork_box b = { 0 };
	int64_t t0, t1;
	int done, st;

	STACK_OR_FAIL(s);
	t0 = now_ns(CLOCK_MONOTONIC);
	pid = ck_clone(nap_then_mark, stack_top(&s), CLONE_WORD(CK_CLONE_VM | CK_CLONE_VFORK | SIGCHLD), &b);
	t1 = now_ns(CLOCK_MONOTONIC);
	done = __atomic_load_n(&b.done, __ATOMIC_ACQUIRE);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_VM|CLONE_VFORK|SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the vfork child", st, 0))
		return CASE_FAIL;
	if (!done)
		return FAIL("ck_clone returned after %lld ms, before the vfork child (napping 100 ms) had set its flag",
			    (long long)((t1 - t0) / 1000000));
	if (t1 < b.done_ns || t1 - t0 < 100000000)
		return FAIL("ck_clone returned %lld ns after the child's mark and %lld ms after the call, expected after the mark and >= 100 ms",
			    (long long)(t1 - b.done_ns), (long long)((t1 - t0) / 1000000));
	return CASE_PASS;
}

CASE(clone_detached_is_ignored_and_exit_status_is_collected)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	int st;

	STACK_OR_FAIL(s);
	pid = ck_clone(return_arg, stack_top(&s), CLONE_WORD(CK_CLONE_DETACHED | SIGCHLD), (void *)(intptr_t)7);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_DETACHED|SIGCHLD): %s", en(errno).s);
	/* no __WALL: only a SIGCHLD child is found this way */
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return FAIL("waitpid(%d, 0) on the CLONE_DETACHED child: %s, expected a SIGCHLD child",
				    (int)pid, en(errno).s);
	}
	pid = 0;
	return want_exit(why, len, "the CLONE_DETACHED child", st, 7);
}

/* ---- TLS ---- */

struct tls_box {
	uintptr_t base;    /* the thread pointer the kernel gave the child */
	uintptr_t self;    /* the word at the thread pointer, read through it */
	long err;
	int entry;         /* i386: the GDT TLS entry */
};

#if defined(__x86_64__)
CHILD static int read_tls(void *arg)
{
	struct tls_box *b = arg;
	unsigned long base = 0;
	uintptr_t self;
	long r;

	/* no libc: its errno lives behind the thread pointer being tested */
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)SYS_arch_prctl), "D"((long)ARCH_GET_FS), "S"(&base)
			 : "rcx", "r11", "memory");
	__asm__ volatile("movq %%fs:0, %0" : "=r"(self));
	b->err = r;
	b->base = base;
	b->self = self;
	return 0;
}
#elif defined(__i386__)
CHILD static int read_tls(void *arg)
{
	struct tls_box *b = arg;
	struct user_desc ud;
	uintptr_t self;
	long r;

	memset(&ud, 0, sizeof ud);
	ud.entry_number = (unsigned)b->entry;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"((long)SYS_get_thread_area), "b"(&ud) : "memory");
	__asm__ volatile("movl %%gs:0, %0" : "=r"(self));
	b->err = r;
	b->base = ud.base_addr;
	b->self = self;
	return 0;
}
#elif defined(__aarch64__)
CHILD static int read_tls(void *arg)
{
	struct tls_box *b = arg;
	uintptr_t tp;

	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	b->err = 0;
	b->base = tp;
	b->self = *(volatile uintptr_t *)tp;
	return 0;
}
#endif

CASE(clone_settls_sets_the_childs_thread_pointer)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
	owned_stack s = { 0 };
	owned_shared m = { 0 };
	owned_shared area = { 0 };
	owned_pid pid = 0;
	struct tls_box *b;
	uintptr_t tp;
	void *tls;
	int st;

	STACK_OR_FAIL(s);
	SHARED_OR_FAIL(m, struct tls_box);
	b = m.p;
	/* a zeroed TCB-sized area, the thread pointer in its middle pointing at itself */
	area.n = 8192;
	area.p = shared_alloc(area.n);
	if (!area.p)
		return FAIL("mmap of the TLS area: %s", en(errno).s);
	tp = (uintptr_t)area.p + area.n / 2;
	*(uintptr_t *)tp = tp;
#if defined(__i386__)
	struct user_desc desc;
	unsigned short gs;

	__asm__ volatile("movw %%gs, %0" : "=r"(gs));
	memset(&desc, 0, sizeof desc);
	desc.entry_number = gs >> 3;
	desc.base_addr = (unsigned)tp;
	desc.limit = 0xfffff;
	desc.seg_32bit = 1;
	desc.limit_in_pages = 1;
	desc.useable = 1;
	b->entry = gs >> 3;
	tls = &desc;
#else
	tls = (void *)tp;
#endif
	pid = ck_clone(read_tls, stack_top(&s), CLONE_WORD(CK_CLONE_SETTLS | SIGCHLD), b, NULL, tls);
	if (pid < 0)
		return FAIL("ck_clone(CLONE_SETTLS|SIGCHLD): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the CLONE_SETTLS child", st, 0))
		return CASE_FAIL;
	if (b->err)
		return FAIL("reading the thread pointer in the child: %s", en(b->err).s);
	if (b->base != tp)
		return FAIL("the child's thread pointer is %#lx, expected the given tls %#lx",
			    (unsigned long)b->base, (unsigned long)tp);
	if (b->self != tp)
		return FAIL("the word at the child's thread pointer is %#lx, expected %#lx",
			    (unsigned long)b->self, (unsigned long)tp);
	return CASE_PASS;
#else
	return SKIP("no TLS register reader for this architecture");
#endif
}

/* ---- pidfd ---- */

struct pidfd_child {
	pid_t pid;
	int pidfd;
};

/* a fork-like child through ck_clone (pidfd in parent_tid) or ck_clone3 (pidfd field) */
static int spawn_with_pidfd(char *why, size_t len, bool clone3, struct stack *s,
			    int (*fn)(void *), void *arg, struct pidfd_child *c)
{
	c->pidfd = -1;
	if (clone3) {
		struct ck_clone_args a;

		memset(&a, 0, sizeof a);
		a.flags = CK_CLONE_PIDFD;
		a.pidfd = PTR(&c->pidfd);
		a.exit_signal = SIGCHLD;
		a.stack = PTR(s->base);
		a.stack_size = s->size;
		c->pid = ck_clone3(&a, sizeof a, fn, arg);
		if (c->pid < 0)
			return FAIL("ck_clone3(CLONE_PIDFD, SIGCHLD): %s", en(c->pid).s);
	} else {
		c->pid = ck_clone(fn, stack_top(s), CLONE_WORD(CK_CLONE_PIDFD | SIGCHLD), arg, &c->pidfd);
		if (c->pid < 0)
			return FAIL("ck_clone(CLONE_PIDFD|SIGCHLD): %s", en(errno).s);
	}
	if (c->pidfd < 0)
		return FAIL("the pidfd is %d after a successful clone", c->pidfd);
	if (fcntl(c->pidfd, F_GETFD) != FD_CLOEXEC)
		return FAIL("the pidfd %d is not close-on-exec", c->pidfd);
	return CASE_PASS;
}

static int pidfd_poll_case(char *why, size_t len, bool clone3)
{
	owned_stack s = { 0 };
	owned_pipe p[2] = { -1, -1 };
	owned_fd pidfd = -1;
	owned_pid pid = 0;
	struct pidfd_child c;
	struct pollfd pfd;
	int st, n, r;

	STACK_OR_FAIL(s);
	if (pipe2(p, O_CLOEXEC))
		return FAIL("pipe2: %s", en(errno).s);
	r = spawn_with_pidfd(why, len, clone3, &s, wait_for_byte, &p[0], &c);
	pid = c.pid > 0 ? c.pid : 0;
	pidfd = c.pidfd;
	if (r)
		return r;
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	n = poll(&pfd, 1, 0);
	if (n != 0)
		return FAIL("poll on the pidfd of a living child gave %d (revents %#x), expected 0", n, pfd.revents);
	if (write_all(p[1], "x", 1))
		return FAIL("write to the child's pipe: %s", en(errno).s);
	pfd.revents = 0;
	n = poll(&pfd, 1, WAIT_MS);
	if (n != 1 || !(pfd.revents & POLLIN))
		return FAIL("poll on the pidfd after the child was told to exit gave %d (revents %#x), expected POLLIN",
			    n, pfd.revents);
	REAP_OR_FAIL(pid, st);
	return want_exit(why, len, "the child", st, 0);
}

static int pidfd_kill_case(char *why, size_t len, bool clone3)
{
	owned_stack s = { 0 };
	owned_fd pidfd = -1;
	owned_pid pid = 0;
	struct pidfd_child c;
	int st, r;

	STACK_OR_FAIL(s);
	r = spawn_with_pidfd(why, len, clone3, &s, sleep_forever, NULL, &c);
	pid = c.pid > 0 ? c.pid : 0;
	pidfd = c.pidfd;
	if (r)
		return r;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0))
		return FAIL("pidfd_send_signal(SIGKILL): %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return FAIL("the child %s after pidfd_send_signal(SIGKILL), expected killed by SIGKILL", ws(st).s);
	return CASE_PASS;
}

CASE(clone_pidfd_in_parent_tid_polls_readable_when_child_exits)
{
	return pidfd_poll_case(why, len, false);
}

CASE(clone_pidfd_in_parent_tid_sends_sigkill)
{
	return pidfd_kill_case(why, len, false);
}

CASE(clone3_pidfd_field_polls_readable_when_child_exits)
{
	return pidfd_poll_case(why, len, true);
}

CASE(clone3_pidfd_field_sends_sigkill)
{
	return pidfd_kill_case(why, len, true);
}

/* ---- CLONE_INTO_CGROUP ---- */

/* The cgroup2 mount point and the cgroup path of its root, from mountinfo. */
static int find_cgroup2(char *mnt, size_t mlen, char *root, size_t rlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (found && fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - "), *save = NULL, *tok;
		char fstype[64] = "";
		int i = 0;

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
			if (i == 3)
				snprintf(root, rlen, "%s", tok);
			else if (i == 4)
				snprintf(mnt, mlen, "%s", tok);
		}
		found = 0;
	}
	fclose(f);
	return found;
}

struct cgroup_box {
	int fd;          /* the read end the child waits on */
	int err;
	char line[512];  /* the child's "0::" line of /proc/self/cgroup */
};

CHILD static int report_cgroup_then_wait(void *arg)
{
	struct cgroup_box *b = arg;
	char buf[4096];
	ssize_t n = read_text("/proc/self/cgroup", buf, sizeof buf);

	if (n < 0) {
		b->err = (int)-n;
	} else {
		char *v2 = strstr(buf, "0::");

		if (v2 && (v2 == buf || v2[-1] == '\n')) {
			char *nl = strchr(v2, '\n');

			if (nl)
				*nl = '\0';
			snprintf(b->line, sizeof b->line, "%s", v2);
		}
	}
	return wait_for_byte(&b->fd);
}

struct cgroup_dir {
	char path[PATH_MAX + 64];
	bool made;
};

static void cgroup_dir_release(struct cgroup_dir *d)
{
	if (d->made)
		rmdir(d->path);
	d->made = false;
}

CASE(clone_into_cgroup_places_child_in_the_given_cgroup)
{
	__attribute__((cleanup(cgroup_dir_release))) struct cgroup_dir dir = { .made = false };
	owned_stack s = { 0 };
	owned_shared m = { 0 };
	owned_fd cgfd = -1;
	owned_pipe p[2] = { -1, -1 };
	owned_pid pid = 0;
	char mnt[PATH_MAX], root[PATH_MAX], want[2 * PATH_MAX + 80], procs[PATH_MAX + 96], buf[4096];
	struct ck_clone_args a;
	struct cgroup_box *b;
	bool listed = false;
	ssize_t n;
	int e, st;

	e = find_cgroup2(mnt, sizeof mnt, root, sizeof root);
	if (e)
		return SKIP("no cgroup2 mount in /proc/self/mountinfo (%s)", en(e).s);
	STACK_OR_FAIL(s);
	SHARED_OR_FAIL(m, struct cgroup_box);
	b = m.p;
	snprintf(dir.path, sizeof dir.path, "%s/clonekit-clone-%d", mnt, (int)getpid());
	if (mkdir(dir.path, 0755)) {
		e = errno;
		if (e == EROFS || e == EACCES || e == EPERM)
			return SKIP("cannot create a cgroup under %s: %s", mnt, en(e).s);
		return FAIL("mkdir %s: %s", dir.path, en(e).s);
	}
	dir.made = true;
	snprintf(want, sizeof want, "0::%s%s", strcmp(root, "/") ? root : "", strrchr(dir.path, '/'));
	cgfd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return FAIL("open %s: %s", dir.path, en(errno).s);
	if (pipe2(p, O_CLOEXEC))
		return FAIL("pipe2: %s", en(errno).s);
	b->fd = p[0];

	memset(&a, 0, sizeof a);
	a.flags = CK_CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	a.cgroup = (uint64_t)cgfd;
	pid = ck_clone3(&a, sizeof a, report_cgroup_then_wait, b);
	if (pid < 0) {
		e = -pid;
		pid = 0;
		return FAIL("ck_clone3(CLONE_INTO_CGROUP, cgroup=%s): %s", dir.path, en(e).s);
	}
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir.path);
	n = read_text(procs, buf, sizeof buf);
	if (n < 0)
		return FAIL("read %s: %s", procs, en(n).s);
	for (char *q = buf, *end; *q; q = end) {
		long v = strtol(q, &end, 10);

		if (end == q)
			break;
		listed |= v == pid;
	}
	if (write_all(p[1], "x", 1))
		return FAIL("write to the child's pipe: %s", en(errno).s);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (!listed)
		return FAIL("%s did not list the child while it lived there; it held: %s", procs, buf);
	if (b->err)
		return FAIL("the child could not read /proc/self/cgroup: %s", en(b->err).s);
	if (strcmp(b->line, want))
		return FAIL("the child's /proc/self/cgroup says \"%s\", expected \"%s\"", b->line, want);
	if (rmdir(dir.path))
		return FAIL("rmdir %s after the child was reaped: %s", dir.path, en(errno).s);
	dir.made = false;
	return CASE_PASS;
}

/* ---- namespaces ---- */

struct ns_box {
	char ns[24];       /* the /proc/self/ns entry */
	int64_t ino;       /* its inode in the child, or -errno */
	int err;
	char step[48];     /* what failed in the child */
	long a, b;         /* what the child observed, per namespace */
	char text[256];
};

static void count_interfaces(struct ns_box *b)
{
	char buf[8192], *line, *save = NULL;
	ssize_t n = read_text("/proc/self/net/dev", buf, sizeof buf);
	int i = 0;

	if (n < 0) {
		b->err = (int)-n;
		snprintf(b->step, sizeof b->step, "read /proc/self/net/dev");
		return;
	}
	/* two header lines, then "  name: counters" per interface */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char *colon = strchr(line, ':');

		if (i < 2 || !colon)
			continue;
		*colon = '\0';
		line += strspn(line, " ");
		b->a++;
		snprintf(b->text + strlen(b->text), sizeof b->text - strlen(b->text), "%s%s",
			 b->a > 1 ? "," : "", line);
	}
}

CHILD static int observe_ns(void *arg)
{
	struct ns_box *b = arg;

	b->ino = ns_inode(b->ns);
	if (!strcmp(b->ns, "uts")) {
		if (sethostname("clonekit-uts", strlen("clonekit-uts"))) {
			b->err = errno;
			snprintf(b->step, sizeof b->step, "sethostname");
		} else if (gethostname(b->text, sizeof b->text)) {
			b->err = errno;
			snprintf(b->step, sizeof b->step, "gethostname");
		}
	} else if (!strcmp(b->ns, "pid")) {
		b->a = getpid();
		b->b = getppid();
	} else if (!strcmp(b->ns, "user")) {
		b->a = (long)getuid();
	} else if (!strcmp(b->ns, "net")) {
		count_interfaces(b);
	} else if (!strcmp(b->ns, "ipc")) {
		struct msqid_ds ds;

		errno = 0;
		b->b = msgctl((int)b->a, IPC_STAT, &ds) ? errno : 0;
	}
	return 0;
}

/*
 * Runs observe_ns in a child made with flag (through ck_clone3 when clone3
 * is set) and checks its /proc/self/ns/<ns> inode differs from the caller's.
 */
static int ns_case(char *why, size_t len, uint64_t flag, const char *flag_name, bool clone3,
		   struct ns_box *b)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	int64_t mine = ns_inode(b->ns);
	int st;

	if (mine < 0)
		return SKIP("/proc/self/ns/%s: %s (no such namespace type here)", b->ns, en(mine).s);
	STACK_OR_FAIL(s);
	if (clone3) {
		struct ck_clone_args a;

		memset(&a, 0, sizeof a);
		a.flags = flag;
		a.exit_signal = SIGCHLD;
		a.stack = PTR(s.base);
		a.stack_size = s.size;
		pid = ck_clone3(&a, sizeof a, observe_ns, b);
		if (pid < 0) {
			int e = -pid;

			pid = 0;
			return FAIL("ck_clone3(%s, SIGCHLD): %s", flag_name, en(e).s);
		}
	} else {
		pid = ck_clone(observe_ns, stack_top(&s), CLONE_WORD(flag | SIGCHLD), b);
		if (pid < 0)
			return FAIL("ck_clone(%s|SIGCHLD): %s", flag_name, en(errno).s);
	}
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (b->ino < 0)
		return FAIL("the child could not stat /proc/self/ns/%s: %s", b->ns, en(b->ino).s);
	if (b->err)
		return FAIL("in the %s child, %s: %s", flag_name, b->step, en(b->err).s);
	if (b->ino == mine)
		return FAIL("the %s child's /proc/self/ns/%s inode is %lld, the parent's too",
			    flag_name, b->ns, (long long)mine);
	return CASE_PASS;
}

#define NS_BOX(m, name)                                                    \
	do {                                                               \
		SHARED_OR_FAIL(m, struct ns_box);                          \
		snprintf(((struct ns_box *)(m).p)->ns, sizeof(((struct ns_box *)(m).p)->ns), "%s", name); \
	} while (0)

CASE(clone_newns_child_is_in_a_new_mount_namespace)
{
	owned_shared m = { 0 };

	NS_BOX(m, "mnt");
	return ns_case(why, len, CK_CLONE_NEWNS, "CLONE_NEWNS", false, m.p);
}

CASE(clone_newuts_hostname_set_in_child_is_not_seen_by_parent)
{
	owned_shared m = { 0 };
	char before[256], after[256];
	struct ns_box *b;
	int r;

	NS_BOX(m, "uts");
	b = m.p;
	if (gethostname(before, sizeof before))
		return FAIL("gethostname: %s", en(errno).s);
	r = ns_case(why, len, CK_CLONE_NEWUTS, "CLONE_NEWUTS", false, b);
	if (r)
		return r;
	if (strcmp(b->text, "clonekit-uts"))
		return FAIL("the child's hostname after sethostname(\"clonekit-uts\") is \"%s\"", b->text);
	if (gethostname(after, sizeof after))
		return FAIL("gethostname: %s", en(errno).s);
	if (strcmp(before, after)) {
		/* the child renamed the host: give it its name back before failing */
		sethostname(before, strlen(before));
		return FAIL("the parent's hostname changed from \"%s\" to \"%s\" (restored)", before, after);
	}
	return CASE_PASS;
}

CASE(clone_newipc_child_does_not_see_the_parents_message_queue)
{
	owned_shared m = { 0 };
	struct msqid_ds ds;
	struct ns_box *b;
	int id, r, seen;

	NS_BOX(m, "ipc");
	b = m.p;
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0)
		return FAIL("msgget(IPC_PRIVATE): %s", en(errno).s);
	b->a = id;
	r = ns_case(why, len, CK_CLONE_NEWIPC, "CLONE_NEWIPC", false, b);
	seen = msgctl(id, IPC_STAT, &ds) ? errno : 0;
	msgctl(id, IPC_RMID, NULL);
	if (r)
		return r;
	if (seen)
		return FAIL("msgctl(IPC_STAT) on the parent's own queue %d: %s", id, en(seen).s);
	if (b->b != EINVAL)
		return FAIL("msgctl(IPC_STAT) on the parent's queue %d in the CLONE_NEWIPC child gave %s, expected EINVAL",
			    id, en(b->b).s);
	return CASE_PASS;
}

CASE(clone_newnet_child_has_only_loopback)
{
	owned_shared m = { 0 };
	struct ns_box *b;
	int r;

	NS_BOX(m, "net");
	b = m.p;
	r = ns_case(why, len, CK_CLONE_NEWNET, "CLONE_NEWNET", false, b);
	if (r)
		return r;
	if (b->a != 1 || strcmp(b->text, "lo"))
		return FAIL("the CLONE_NEWNET child sees %ld interface(s) \"%s\", expected only \"lo\"", b->a, b->text);
	return CASE_PASS;
}

CASE(clone_newuser_child_is_unmapped_in_a_new_user_namespace)
{
	owned_shared m = { 0 };
	struct ns_box *b;
	long overflow = read_long("/proc/sys/kernel/overflowuid");
	int r;

	NS_BOX(m, "user");
	b = m.p;
	if (overflow < 0)
		return FAIL("read /proc/sys/kernel/overflowuid: %s", en(overflow).s);
	r = ns_case(why, len, CK_CLONE_NEWUSER, "CLONE_NEWUSER", false, b);
	if (r)
		return r;
	if (b->a != overflow)
		return FAIL("getuid() in the CLONE_NEWUSER child (no uid map) is %ld, expected the overflow uid %ld",
			    b->a, overflow);
	return CASE_PASS;
}

CASE(clone_newpid_child_is_pid_1_with_no_parent_in_its_namespace)
{
	owned_shared m = { 0 };
	struct ns_box *b;
	int r;

	NS_BOX(m, "pid");
	b = m.p;
	r = ns_case(why, len, CK_CLONE_NEWPID, "CLONE_NEWPID", false, b);
	if (r)
		return r;
	if (b->a != 1 || b->b != 0)
		return FAIL("the CLONE_NEWPID child has getpid() %ld and getppid() %ld, expected 1 and 0", b->a, b->b);
	return CASE_PASS;
}

CASE(clone_newcgroup_child_is_in_a_new_cgroup_namespace)
{
	owned_shared m = { 0 };

	NS_BOX(m, "cgroup");
	return ns_case(why, len, CK_CLONE_NEWCGROUP, "CLONE_NEWCGROUP", false, m.p);
}

CASE(clone3_newtime_child_is_in_a_new_time_namespace)
{
	owned_shared m = { 0 };

	NS_BOX(m, "time");
	return ns_case(why, len, CK_CLONE_NEWTIME, "CLONE_NEWTIME", true, m.p);
}

struct timens_box {
	int err;
	char step[64];
	int64_t own_ns, for_children_ns, child_ns;
	int64_t before, after, child_mono;
	int child_status;
};

CHILD static int read_monotonic(void *arg)
{
	struct timens_box *b = arg;

	b->child_ns = ns_inode("time");
	b->child_mono = now_ns(CLOCK_MONOTONIC);
	return 0;
}

static __attribute__((noreturn)) void timens_parent(struct timens_box *b, int64_t offset_s)
{
	struct ck_clone_args a;
	struct stack s;
	char line[64];
	pid_t pid;
	int fd, st;

	if (unshare(CLONE_WORD(CK_CLONE_NEWTIME))) {
		b->err = errno;
		snprintf(b->step, sizeof b->step, "unshare(CLONE_NEWTIME)");
		_exit(1);
	}
	snprintf(line, sizeof line, "%d %lld 0\n", CLOCK_MONOTONIC, (long long)offset_s);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, line, strlen(line))) {
		b->err = errno;
		snprintf(b->step, sizeof b->step, "write \"%.*s\" to /proc/self/timens_offsets",
			 (int)strlen(line) - 1, line);
		_exit(1);
	}
	close(fd);
	b->own_ns = ns_inode("time");
	b->for_children_ns = ns_inode("time_for_children");
	if (stack_alloc(&s)) {
		b->err = errno;
		snprintf(b->step, sizeof b->step, "mmap of a stack");
		_exit(1);
	}
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	b->before = now_ns(CLOCK_MONOTONIC);
	pid = ck_clone3(&a, sizeof a, read_monotonic, b);
	if (pid < 0) {
		b->err = -pid;
		snprintf(b->step, sizeof b->step, "ck_clone3(SIGCHLD)");
		_exit(1);
	}
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			_exit(2);
	b->after = now_ns(CLOCK_MONOTONIC);
	b->child_status = st;
	_exit(0);
}

CASE(newtime_offsets_shift_clock_monotonic_of_a_clone3_child)
{
	const int64_t offset_s = 86400;
	owned_shared m = { 0 };
	owned_pid mid = 0;
	struct timens_box *b;
	int64_t shifted;
	int st;

	if (ns_inode("time") < 0)
		return SKIP("/proc/self/ns/time is missing: no time namespaces here");
	SHARED_OR_FAIL(m, struct timens_box);
	b = m.p;
	mid = fork();
	if (mid < 0)
		return FAIL("fork: %s", en(errno).s);
	if (mid == 0)
		timens_parent(b, offset_s);
	REAP_OR_FAIL(mid, st);
	if (b->err)
		return FAIL("in the forked parent, %s: %s", b->step, en(b->err).s);
	if (want_exit(why, len, "the forked parent", st, 0) ||
	    want_exit(why, len, "the ck_clone3 child", b->child_status, 0))
		return CASE_FAIL;
	if (b->child_ns != b->for_children_ns || b->child_ns == b->own_ns)
		return FAIL("the child's time namespace is %lld; its parent's is %lld and time_for_children %lld",
			    (long long)b->child_ns, (long long)b->own_ns, (long long)b->for_children_ns);
	shifted = b->child_mono - offset_s * 1000000000;
	if (shifted < b->before || shifted > b->after)
		return FAIL("the child's CLOCK_MONOTONIC minus %lld s is %lld ns, outside the parent's [%lld, %lld]",
			    (long long)offset_s, (long long)shifted, (long long)b->before, (long long)b->after);
	return CASE_PASS;
}

/* ---- CLONE_CLEAR_SIGHAND ---- */

struct handlers {
	uintptr_t usr1, usr2;
};

CHILD static int report_handlers(void *arg)
{
	struct handlers *h = arg;
	struct sigaction sa;

	sigaction(SIGUSR1, NULL, &sa);
	h->usr1 = (uintptr_t)sa.sa_handler;
	sigaction(SIGUSR2, NULL, &sa);
	h->usr2 = (uintptr_t)sa.sa_handler;
	return 0;
}

static const char *handler_name(uintptr_t h)
{
	if (h == (uintptr_t)SIG_DFL)
		return "SIG_DFL";
	if (h == (uintptr_t)SIG_IGN)
		return "SIG_IGN";
	if (h == (uintptr_t)on_usr1)
		return "the parent's handler";
	return "an unknown handler";
}

static int report_handlers_after(char *why, size_t len, uint64_t flags, struct handlers *h)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct ck_clone_args a;
	int st;

	STACK_OR_FAIL(s);
	memset(&a, 0, sizeof a);
	a.flags = flags;
	a.exit_signal = SIGCHLD;
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	pid = ck_clone3(&a, sizeof a, report_handlers, h);
	if (pid < 0) {
		int e = -pid;

		pid = 0;
		return FAIL("ck_clone3(%s): %s", flags ? "CLONE_CLEAR_SIGHAND" : "0", en(e).s);
	}
	REAP_OR_FAIL(pid, st);
	return want_exit(why, len, "the child", st, 0);
}

CASE(clone3_clear_sighand_resets_handlers_but_keeps_ignored_signals)
{
	owned_shared m = { 0 };
	struct sigaction sa;
	struct handlers *h;

	SHARED_OR_FAIL(m, struct handlers);
	h = m.p;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);

	if (report_handlers_after(why, len, CK_CLONE_CLEAR_SIGHAND, h))
		return CASE_FAIL;
	if (h->usr1 != (uintptr_t)SIG_DFL || h->usr2 != (uintptr_t)SIG_IGN)
		return FAIL("with CLONE_CLEAR_SIGHAND the child sees %s for SIGUSR1 and %s for SIGUSR2, expected SIG_DFL and SIG_IGN",
			    handler_name(h->usr1), handler_name(h->usr2));
	if (report_handlers_after(why, len, 0, h))
		return CASE_FAIL;
	if (h->usr1 != (uintptr_t)on_usr1 || h->usr2 != (uintptr_t)SIG_IGN)
		return FAIL("without CLONE_CLEAR_SIGHAND the child sees %s for SIGUSR1 and %s for SIGUSR2, expected the parent's handler and SIG_IGN",
			    handler_name(h->usr1), handler_name(h->usr2));
	return CASE_PASS;
}

/* ---- set_tid ---- */

CHILD static int report_pid(void *arg)
{
	pid_t *ids = arg;

	ids[0] = getpid();
	ids[1] = getppid();
	return 0;
}

/* a fork-like child in a new PID namespace with the PIDs set_tid asks for */
static pid_t clone3_with_set_tid(struct stack *s, pid_t *set_tid, size_t n, pid_t *ids)
{
	struct ck_clone_args a;

	memset(&a, 0, sizeof a);
	a.flags = CK_CLONE_NEWPID;
	a.exit_signal = SIGCHLD;
	a.stack = PTR(s->base);
	a.stack_size = s->size;
	a.set_tid = PTR(set_tid);
	a.set_tid_size = n;
	return ck_clone3(&a, sizeof a, report_pid, ids);
}

/* a PID no task holds now, away from where the allocator usually is */
static pid_t unused_pid(unsigned salt)
{
	long max = read_long("/proc/sys/kernel/pid_max");
	struct stat st;
	char path[32];

	if (max <= 1000)
		max = 32768;
	for (unsigned i = 0; i < 1000; i++) {
		unsigned long h = ((unsigned long)getpid() + salt * 7919u + i) * 2654435761u;
		pid_t cand = (pid_t)(max / 2 + (long)(h % (unsigned long)(max / 2 - 1)));

		snprintf(path, sizeof path, "/proc/%d", (int)cand);
		if (stat(path, &st) && errno == ENOENT)
			return cand;
	}
	return -1;
}

CASE(clone3_set_tid_1_in_a_new_pid_namespace_gives_pid_1)
{
	owned_stack s = { 0 };
	owned_shared m = { 0 };
	owned_pid pid = 0;
	pid_t want[1] = { 1 }, *ids;
	int st;

	STACK_OR_FAIL(s);
	m.n = 2 * sizeof(pid_t);
	m.p = shared_alloc(m.n);
	if (!m.p)
		return FAIL("mmap of shared memory: %s", en(errno).s);
	ids = m.p;
	pid = clone3_with_set_tid(&s, want, 1, ids);
	if (pid < 0) {
		int e = -pid;

		pid = 0;
		return FAIL("ck_clone3(CLONE_NEWPID, set_tid={1}): %s", en(e).s);
	}
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (ids[0] != 1)
		return FAIL("the child's getpid() is %d with set_tid={1}, expected 1", (int)ids[0]);
	return CASE_PASS;
}

CASE(clone3_set_tid_2_in_a_new_pid_namespace_is_einval)
{
	owned_stack s = { 0 };
	owned_shared m = { 0 };
	pid_t want[1] = { 2 };
	pid_t r;
	int st;

	STACK_OR_FAIL(s);
	SHARED_OR_FAIL(m, pid_t[2]);
	r = clone3_with_set_tid(&s, want, 1, m.p);
	if (r >= 0) {
		pid_t p = r;

		reap(&p, &st);
		return FAIL("ck_clone3(CLONE_NEWPID, set_tid={2}) created child %d, expected -EINVAL", (int)r);
	}
	if (r != -EINVAL)
		return FAIL("ck_clone3(CLONE_NEWPID, set_tid={2}) returned %s, expected -EINVAL", en(r).s);
	return CASE_PASS;
}

CASE(clone3_set_tid_chooses_the_pid_in_the_parent_namespace)
{
	owned_stack s = { 0 };
	owned_shared m = { 0 };
	owned_pid pid = 0;
	pid_t want[2] = { 1, 0 }, *ids;
	int st;

	STACK_OR_FAIL(s);
	SHARED_OR_FAIL(m, pid_t[2]);
	ids = m.p;
	/* another task may take the PID between the look and the call */
	for (unsigned attempt = 0; attempt < 10; attempt++) {
		want[1] = unused_pid(attempt);
		if (want[1] < 0)
			return FAIL("found no unused PID below pid_max");
		pid = clone3_with_set_tid(&s, want, 2, ids);
		if (pid != -EEXIST)
			break;
	}
	if (pid < 0) {
		int e = -pid;

		pid = 0;
		return FAIL("ck_clone3(CLONE_NEWPID, set_tid={1, %d}): %s", (int)want[1], en(e).s);
	}
	if (pid != want[1])
		return FAIL("ck_clone3 with set_tid={1, %d} returned PID %d", (int)want[1], (int)pid);
	REAP_OR_FAIL(pid, st);
	if (want_exit(why, len, "the child", st, 0))
		return CASE_FAIL;
	if (ids[0] != 1)
		return FAIL("the child's getpid() is %d in its namespace, expected 1", (int)ids[0]);
	return CASE_PASS;
}

/* ---- ptrace: CLONE_PTRACE and CLONE_UNTRACED ---- */

struct trace_box {
	pid_t child;        /* what the tracee's ck_clone returned */
	int clone_err;
	int child_status;   /* as the tracee, its real parent, reaped it */
};

struct trace_seen {
	pid_t child;
	long child_tracer;        /* TracerPid of the child, read while it could be attached */
	int child_stop;           /* the child's first stop as the tracer saw it; 0 if none */
	int event;                /* the tracee's clone event stop; 0 if none */
	unsigned long event_msg;  /* PTRACE_GETEVENTMSG at that stop */
	int tracee_status;
	int child_status;
};

CHILD static int exit_7_after_byte(void *arg)
{
	return wait_for_byte(arg) ? 1 : 7;
}

static __attribute__((noreturn)) void tracee_main(struct trace_box *b, int go, int rel, uint64_t flags)
{
	struct stack s;
	pid_t pid;
	char c;
	int st;

	if (read(go, &c, 1) != 1 || stack_alloc(&s))
		_exit(3);
	pid = ck_clone(exit_7_after_byte, stack_top(&s), CLONE_WORD(flags), &rel);
	if (pid < 0) {
		b->clone_err = errno;
		_exit(2);
	}
	__atomic_store_n(&b->child, pid, __ATOMIC_RELEASE);
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			_exit(4);
	b->child_status = st;
	_exit(0);
}

/*
 * This process seizes a forked tracee with options; the tracee calls
 * ck_clone(flags) and reaps its child. The tracer records whether the child
 * was attached (TracerPid, its first stop) and whether the tracee reported a
 * clone event, detaches the child and drives the tracee to its exit.
 */
static int trace_clone(char *why, size_t len, uint64_t flags, unsigned options, struct trace_seen *out)
{
	owned_shared m = { 0 };
	owned_pipe go[2] = { -1, -1 };
	owned_pipe rel[2] = { -1, -1 };
	owned_pid tracee = 0;
	bool released = false, tracer_read = false;
	struct trace_box *b;
	int64_t end;

	memset(out, 0, sizeof *out);
	out->child_tracer = -1;
	SHARED_OR_FAIL(m, struct trace_box);
	b = m.p;
	if (pipe2(go, O_CLOEXEC) || pipe2(rel, O_CLOEXEC))
		return FAIL("pipe2: %s", en(errno).s);
	tracee = fork();
	if (tracee < 0)
		return FAIL("fork: %s", en(errno).s);
	if (tracee == 0) {
		close(go[1]);
		close(rel[1]);
		tracee_main(b, go[0], rel[0], flags);
	}
	fd_release(&go[0]);
	fd_release(&rel[0]);
	if (ptrace(PTRACE_SEIZE, tracee, NULL, (void *)(uintptr_t)(options | PTRACE_O_EXITKILL))) {
		int e = errno;

		if (e == EPERM)
			return SKIP("PTRACE_SEIZE of this process's own child: EPERM (ptrace is restricted here)");
		return FAIL("PTRACE_SEIZE: %s", en(e).s);
	}
	if (write_all(go[1], "g", 1))
		return FAIL("write to the tracee's pipe: %s", en(errno).s);

	end = now_ns(CLOCK_MONOTONIC) + (int64_t)WAIT_MS * 1000000;
	for (;;) {
		pid_t c = __atomic_load_n(&b->child, __ATOMIC_ACQUIRE);
		pid_t w;
		int st;

		if (c > 0 && !out->child)
			out->child = c;
		if (c > 0 && !tracer_read) {
			out->child_tracer = proc_status_field(c, "TracerPid");
			tracer_read = true;
		}
		if (tracer_read && !released && (out->child_tracer == 0 || out->child_stop)) {
			if (write_all(rel[1], "r", 1))
				return FAIL("write to the child's pipe: %s", en(errno).s);
			released = true;
		}
		w = waitpid(-1, &st, __WALL | WNOHANG);
		if (w == 0 || (w < 0 && errno == EINTR)) {
			if (now_ns(CLOCK_MONOTONIC) > end) {
				if (out->child > 0)
					kill(out->child, SIGKILL);
				return FAIL("timed out: child %d, its TracerPid %ld, its stop %s, released %d",
					    (int)out->child, out->child_tracer,
					    out->child_stop ? ws(out->child_stop).s : "none", released);
			}
			sleep_ms(1);
			continue;
		}
		if (w < 0)
			return FAIL("waitpid(-1, __WALL) in the tracer: %s", en(errno).s);
		if (w == tracee) {
			int ev = st >> 16, sig = 0;

			if (!WIFSTOPPED(st)) {
				out->tracee_status = st;
				tracee = 0;
				break;
			}
			if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK || ev == PTRACE_EVENT_CLONE) {
				out->event = ev;
				ptrace(PTRACE_GETEVENTMSG, w, NULL, &out->event_msg);
			} else if (ev == 0) {
				sig = WSTOPSIG(st);
			}
			ptrace(PTRACE_CONT, w, NULL, (void *)(intptr_t)sig);
			continue;
		}
		/* besides the tracee, only an attached child can be waited for here */
		if (!WIFSTOPPED(st) || out->child_stop) {
			kill(w, SIGKILL);
			return FAIL("the tracer saw task %d %s, expected one stop of the tracee's child", (int)w, ws(st).s);
		}
		out->child_stop = st;
		if (!out->child)
			out->child = w;
		if (!tracer_read) {
			out->child_tracer = proc_status_field(w, "TracerPid");
			tracer_read = true;
		}
		ptrace(PTRACE_DETACH, w, NULL, NULL);
	}
	if (b->clone_err)
		return FAIL("ck_clone(%#llx) in the tracee: %s", (unsigned long long)flags, en(b->clone_err).s);
	if (b->child != out->child)
		return FAIL("the tracee's ck_clone returned %d but the tracer saw child %d", (int)b->child, (int)out->child);
	out->child_status = b->child_status;
	if (want_exit(why, len, "the tracee", out->tracee_status, 0) ||
	    want_exit(why, len, "the tracee's child", out->child_status, 7))
		return CASE_FAIL;
	return CASE_PASS;
}

/* the stop of a child auto-attached to a seizing tracer: PTRACE_EVENT_STOP with SIGTRAP */
static bool seized_birth_stop(int st)
{
	return WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_STOP << 8));
}

CASE(clone_ptrace_child_of_a_tracee_is_traced_from_birth)
{
	struct trace_seen t;

	if (trace_clone(why, len, CK_CLONE_PTRACE | SIGCHLD, 0, &t))
		return CASE_FAIL;
	if (t.child_tracer != getpid())
		return FAIL("the CLONE_PTRACE child's TracerPid is %ld, expected the tracer %d",
			    t.child_tracer, (int)getpid());
	if (!seized_birth_stop(t.child_stop))
		return FAIL("the CLONE_PTRACE child's first stop is %s, expected SIGTRAP with PTRACE_EVENT_STOP",
			    t.child_stop ? ws(t.child_stop).s : "none");
	if (t.event)
		return FAIL("the tracee reported clone event %d without trace options", t.event);
	return CASE_PASS;
}

CASE(clone_untraced_child_escapes_ptrace_o_traceclone)
{
	struct trace_seen t;

	/* exit signal 0, not SIGCHLD: PTRACE_O_TRACECLONE covers it, TRACEFORK would not */
	if (trace_clone(why, len, 0, PTRACE_O_TRACECLONE, &t))
		return CASE_FAIL;
	if (t.event != PTRACE_EVENT_CLONE || t.event_msg != (unsigned long)t.child)
		return FAIL("without CLONE_UNTRACED the tracee's clone event is %d with message %lu, expected PTRACE_EVENT_CLONE with %d",
			    t.event, t.event_msg, (int)t.child);
	if (t.child_tracer != getpid() || !seized_birth_stop(t.child_stop))
		return FAIL("without CLONE_UNTRACED the child's TracerPid is %ld and first stop %s, expected %d and PTRACE_EVENT_STOP",
			    t.child_tracer, t.child_stop ? ws(t.child_stop).s : "none", (int)getpid());

	if (trace_clone(why, len, CK_CLONE_UNTRACED, PTRACE_O_TRACECLONE, &t))
		return CASE_FAIL;
	if (t.event)
		return FAIL("with CLONE_UNTRACED the tracee still reported clone event %d", t.event);
	if (t.child_tracer != 0 || t.child_stop)
		return FAIL("with CLONE_UNTRACED the child's TracerPid is %ld and first stop %s, expected 0 and none",
			    t.child_tracer, t.child_stop ? ws(t.child_stop).s : "none");
	return CASE_PASS;
}

/* ---- errors ---- */

CASE(clone_thread_without_sighand_and_vm_is_einval)
{
	struct stack s = { 0 };
	struct ck_clone_args a;
	pid_t r;
	int e;

	STACK_OR_FAIL(s);
	errno = 0;
	r = ck_clone(return_arg, stack_top(&s), CLONE_WORD(CK_CLONE_THREAD), NULL);
	e = errno;
	/* a thread created by mistake may still run on the stack: leave it mapped */
	if (r != -1 || e != EINVAL)
		return FAIL("ck_clone(CLONE_THREAD) returned %d with errno %s, expected -1 EINVAL", (int)r, en(e).s);
	memset(&a, 0, sizeof a);
	a.flags = CK_CLONE_THREAD;
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	r = ck_clone3(&a, sizeof a, return_arg, NULL);
	if (r != -EINVAL)
		return FAIL("ck_clone3(CLONE_THREAD) returned %d (%s), expected -EINVAL", (int)r, r < 0 ? en(r).s : "a TID");
	stack_release(&s);
	return CASE_PASS;
}

CASE(ck_clone_rejects_a_null_fn_or_stack_with_einval)
{
	owned_stack s = { 0 };
	int r, e, st;

	STACK_OR_FAIL(s);
	errno = 0;
	r = ck_clone(NULL, stack_top(&s), SIGCHLD, NULL);
	e = errno;
	if (r != -1 || e != EINVAL)
		return FAIL("ck_clone(NULL fn) returned %d with errno %s, expected -1 EINVAL", r, en(e).s);
	errno = 0;
	r = ck_clone(return_arg, NULL, SIGCHLD, NULL);
	e = errno;
	if (r != -1 || e != EINVAL)
		return FAIL("ck_clone(NULL stack) returned %d with errno %s, expected -1 EINVAL", r, en(e).s);
	errno = 0;
	if (waitpid(-1, &st, __WALL | WNOHANG) != -1 || errno != ECHILD)
		return FAIL("a child exists after the rejected calls (waitpid: %s)", en(errno).s);
	return CASE_PASS;
}

/* ---- clone3 -> clone fallback ---- */

CASE(clone3_falls_back_to_clone_when_seccomp_answers_enosys)
{
#ifdef DENY_CLONE3_AUDIT_ARCH
	owned_stack s = { 0 };
	owned_pid pid = 0;
	struct ck_clone_args a;
	struct timespec zero = { 0 };
	struct ids b = { 0 };
	const char *need;
	sigset_t usr1;
	siginfo_t si;
	pid_t r;
	int e, st;

	STACK_OR_FAIL(s);
	/* the filter stays in this case's own forked process */
	e = deny_clone3();
	if (e)
		return FAIL("installing the seccomp filter: %s", en(e).s);
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return FAIL("raw clone3(NULL, 0) under the filter gave %s, expected ENOSYS", en(errno).s);

	/* the exit signal is SIGUSR1: held pending here, then collected */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	memset(&a, 0, sizeof a);
	a.flags = CK_CLONE_VM | CK_CLONE_PARENT_SETTID | CK_CLONE_CHILD_SETTID;
	a.exit_signal = SIGUSR1;
	a.parent_tid = PTR(&b.ptid);
	a.child_tid = PTR(&b.ctid);
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	pid = ck_clone3(&a, sizeof a, record_ids, &b);
	if (pid < 0) {
		e = -pid;
		pid = 0;
		return FAIL("ck_clone3(CLONE_VM|CLONE_PARENT_SETTID|CLONE_CHILD_SETTID, SIGUSR1) with clone3 denied: %s",
			    en(e).s);
	}
	if (b.ptid != pid)
		return FAIL("through the fallback ptid is %d, expected the TID %d", (int)b.ptid, (int)pid);
	errno = 0;
	if (waitpid(pid, &st, WNOHANG) != -1 || errno != ECHILD)
		return FAIL("waitpid without __WCLONE found the child (%s): its exit signal is not SIGUSR1",
			    en(errno).s);
	while ((r = waitpid(pid, &st, __WCLONE)) < 0 && errno == EINTR)
		;
	if (r != pid)
		return FAIL("waitpid(%d, __WCLONE): %s", (int)pid, en(errno).s);
	pid = 0;
	if (want_exit(why, len, "the fallback child", st, 0))
		return CASE_FAIL;
	if (b.tid != r || b.ctid != r || b.ctid_seen != r)
		return FAIL("through the fallback the child's gettid() is %d and its ctid %d (%d in the child), expected %d",
			    (int)b.tid, (int)b.ctid, (int)b.ctid_seen, (int)r);
	if (sigtimedwait(&usr1, &si, &zero) != SIGUSR1 || si.si_pid != r || si.si_code != CLD_EXITED)
		return FAIL("no SIGUSR1 with si_pid %d and CLD_EXITED pending after the child's exit (got si_pid %d, si_code %d)",
			    (int)r, (int)si.si_pid, si.si_code);

	memset(&a, 0, sizeof a);
	a.flags = CK_CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.stack = PTR(s.base);
	a.stack_size = s.size;
	r = ck_clone3(&a, sizeof a, return_arg, NULL);
	if (r != -ENOSYS) {
		if (r > 0)
			reap(&r, &st);
		return FAIL("ck_clone3(CLONE_INTO_CGROUP) with clone3 denied returned %d (%s), expected -ENOSYS",
			    (int)r, r < 0 ? en(r).s : "a TID");
	}
	need = ck_clone_args_need_clone3(&a, sizeof a);
	if (!need || !strstr(need, "CLONE_INTO_CGROUP"))
		return FAIL("ck_clone_args_need_clone3 says \"%s\", expected it to name CLONE_INTO_CGROUP",
			    need ? need : "(NULL)");

	/* what clone3 refuses is refused through the fallback too, though clone would take it */
	static const struct { uint64_t flags, exit_signal; } refused[] = {
		{ CK_CLONE_DETACHED, SIGCHLD },
		{ 0, 100 },
		{ CK_CLONE_PARENT, SIGCHLD },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&a, 0, sizeof a);
		a.flags = refused[i].flags;
		a.exit_signal = refused[i].exit_signal;
		a.stack = PTR(s.base);
		a.stack_size = s.size;
		r = ck_clone3(&a, sizeof a, return_arg, NULL);
		if (r != -EINVAL) {
			if (r > 0)
				reap(&r, &st);
			return FAIL("ck_clone3(flags %#llx, exit_signal %llu) with clone3 denied returned %d, expected -EINVAL as clone3 gives",
				    (unsigned long long)a.flags, (unsigned long long)a.exit_signal, (int)r);
		}
	}
	return CASE_PASS;
#else
	return SKIP("no audit architecture known for this build");
#endif
}

/* ---- what clone3 refuses, with clone3 and through the fallback ---- */

/* Where a refusal's struct lies, in a page that is readable followed by a PROT_NONE one. */
enum place {
	AT_START,                 /* in the readable page */
	AT_NULL,                  /* args is NULL */
	IN_PROT_NONE,             /* wholly in the PROT_NONE page */
	CROSSING_INTO_PROT_NONE,  /* flags readable, stack_size onwards not */
	TAIL_INTO_PROT_NONE,      /* the 88 known bytes readable, the bytes past them run on into it */
};

#define NONZERO_TAIL 1u       /* byte 88 is 1 */
#define SET_TID_ARRAY 2u      /* set_tid points to a readable array of set_tid_size PIDs */
#define SET_TID_PROT_NONE 4u  /* set_tid points into the PROT_NONE page */
#define PIDFD_IS_PTID 8u      /* pidfd and parent_tid point to one int */
#define NO_FN 16u             /* ck_clone3 gets no fn (fork-like) */
#define OWN_STACK 32u         /* stack is a real stack (stack_size as given) */
#define NOT_RAW 64u           /* clonekit's own rule: the kernel alone would create a child */

#define SIZE_PAGE_PLUS_8 ((size_t)-1)

struct refusal {
	const char *what;
	enum place place;
	size_t size; /* 0: sizeof(struct ck_clone_args) */
	uint64_t flags, exit_signal, stack_size, set_tid_size, cgroup;
	unsigned extra;
	int err;
};

static const struct refusal refusals[] = {
	{ "size 56, below CLONE_ARGS_SIZE_VER0", AT_START, 56, 0, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "size of a page + 8", AT_START, SIZE_PAGE_PLUS_8, 0, SIGCHLD, 0, 0, 0, 0, E2BIG },
	{ "size 96 with byte 88 nonzero", AT_START, 96, 0, SIGCHLD, 0, 0, 0, NONZERO_TAIL, E2BIG },
	{ "NULL args, size 64", AT_NULL, 64, 0, 0, 0, 0, 0, 0, EFAULT },
	{ "NULL args, size 1", AT_NULL, 1, 0, 0, 0, 0, 0, 0, EINVAL },
	{ "NULL args, size of a page + 8", AT_NULL, SIZE_PAGE_PLUS_8, 0, 0, 0, 0, 0, 0, E2BIG },
	{ "a struct in a PROT_NONE page", IN_PROT_NONE, 0, 0, 0, 0, 0, 0, 0, EFAULT },
	{ "a struct running into a PROT_NONE page", CROSSING_INTO_PROT_NONE, 0, 0, SIGCHLD, 0, 0, 0, 0, EFAULT },
	{ "zero bytes past the struct running into a PROT_NONE page", TAIL_INTO_PROT_NONE, 200, 0, SIGCHLD, 0, 0, 0, 0, EFAULT },
	{ "a nonzero byte past the struct before a PROT_NONE page", TAIL_INTO_PROT_NONE, 200, 0, SIGCHLD, 0, 0, 0, NONZERO_TAIL, E2BIG },
	{ "stack_size without stack", AT_START, 0, 0, SIGCHLD, 4096, 0, 0, 0, EINVAL },
	{ "stack without stack_size", AT_START, 0, 0, SIGCHLD, 0, 0, 0, OWN_STACK, EINVAL },
	{ "set_tid_size 33", AT_START, 0, 0, SIGCHLD, 0, 33, 0, SET_TID_ARRAY, EINVAL },
	{ "set_tid_size 1 without set_tid", AT_START, 0, 0, SIGCHLD, 0, 1, 0, 0, EINVAL },
	{ "set_tid in a PROT_NONE page", AT_START, 0, 0, SIGCHLD, 0, 1, 0, SET_TID_PROT_NONE, EFAULT },
	{ "exit_signal 65", AT_START, 0, 0, 65, 0, 0, 0, 0, EINVAL },
	{ "exit_signal with bit 32 set", AT_START, 0, 0, (UINT64_C(1) << 32) | SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "CLONE_INTO_CGROUP with size 80", AT_START, 80, CK_CLONE_INTO_CGROUP, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "CLONE_INTO_CGROUP with a cgroup above INT_MAX", AT_START, 0, CK_CLONE_INTO_CGROUP, SIGCHLD, 0, 0, UINT64_C(1) << 31, 0, EINVAL },
	{ "CLONE_DETACHED", AT_START, 0, CK_CLONE_DETACHED, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "flag bit 40, unknown", AT_START, 0, UINT64_C(1) << 40, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "SIGCHLD in flags", AT_START, 0, SIGCHLD, 0, 0, 0, 0, 0, EINVAL },
	{ "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND", AT_START, 0, CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "CLONE_PARENT with an exit signal", AT_START, 0, CK_CLONE_PARENT, SIGCHLD, 0, 0, 0, 0, EINVAL },
	{ "CLONE_PIDFD and CLONE_PARENT_SETTID at one address", AT_START, 0, CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID, SIGCHLD, 0, 0, 0, PIDFD_IS_PTID, EINVAL },
	/* clonekit's preconditions come after the kernel's own refusals */
	{ "CLONE_VM without a stack, and byte 88 nonzero", AT_START, 96, CK_CLONE_VM, SIGCHLD, 0, 0, 0, NONZERO_TAIL, E2BIG },
	{ "CLONE_VM without a stack, the struct running into PROT_NONE", CROSSING_INTO_PROT_NONE, 0, CK_CLONE_VM, SIGCHLD, 0, 0, 0, 0, EFAULT },
	{ "CLONE_VM without a stack, and set_tid in a PROT_NONE page", AT_START, 0, CK_CLONE_VM, SIGCHLD, 0, 1, 0, SET_TID_PROT_NONE, EFAULT },
	{ "no fn but a stack, and exit_signal 65", AT_START, 0, 0, 65, 4096, 0, 0, NO_FN | OWN_STACK, EINVAL },
	{ "no fn but a stack, and a size of a page + 8", AT_START, SIZE_PAGE_PLUS_8, 0, SIGCHLD, 4096, 0, 0, NO_FN | OWN_STACK, E2BIG },
	{ "CLONE_VM without a stack (clonekit's rule)", AT_START, 0, CK_CLONE_VM, SIGCHLD, 0, 0, 0, NOT_RAW, EINVAL },
	{ "no fn but a stack (clonekit's rule)", AT_START, 0, 0, SIGCHLD, 4096, 0, 0, NO_FN | OWN_STACK | NOT_RAW, EINVAL },
};

/* Builds r's struct in area (a readable page, then a PROT_NONE one); returns where it starts. */
static void *place_refusal(const struct refusal *r, char *area, size_t page, const struct stack *s,
			   int32_t *tids, size_t *size)
{
	struct ck_clone_args a;
	char *p = area + 8; /* AT_START */

	*size = r->size == SIZE_PAGE_PLUS_8 ? page + 8 : r->size ? r->size : sizeof a;
	memset(area, 0, page);
	memset(&a, 0, sizeof a);
	a.flags = r->flags;
	a.exit_signal = r->exit_signal;
	a.stack_size = r->stack_size;
	a.set_tid_size = r->set_tid_size;
	a.cgroup = r->cgroup;
	if (r->extra & OWN_STACK)
		a.stack = PTR(s->base);
	if (r->extra & SET_TID_ARRAY)
		a.set_tid = PTR(tids);
	if (r->extra & SET_TID_PROT_NONE)
		a.set_tid = PTR(area + page);
	a.parent_tid = PTR(&tids[0]);
	a.pidfd = (r->extra & PIDFD_IS_PTID) ? a.parent_tid : PTR(&tids[1]);
	switch (r->place) {
	case AT_NULL:
		return NULL;
	case IN_PROT_NONE:
		return area + page;
	case CROSSING_INTO_PROT_NONE:
		p = area + page - offsetof(struct ck_clone_args, stack_size);
		memcpy(p, &a, offsetof(struct ck_clone_args, stack_size));
		return p;
	case TAIL_INTO_PROT_NONE:
		p = area + page - sizeof a - 8;
		break;
	case AT_START:
		break;
	}
	memcpy(p, &a, sizeof a);
	if (r->extra & NONZERO_TAIL)
		p[sizeof a] = 1;
	return p;
}

/*
 * Every refusal of the table, from the kernel's clone3 (where it has one)
 * and from ck_clone3, with the errno the kernel gives.
 */
static int refusals_case(char *why, size_t len, bool without_clone3)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	owned_stack s = { 0 };
	int32_t tids[40] = { 0 };
	char *area;
	int st;

	STACK_OR_FAIL(s);
	area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return FAIL("mmap of two pages: %s", en(errno).s);
	if (mprotect(area + page, page, PROT_NONE))
		return FAIL("mprotect PROT_NONE: %s", en(errno).s);
#ifdef DENY_CLONE3_AUDIT_ARCH
	if (without_clone3) {
		int e = deny_clone3();
		if (e)
			return FAIL("installing the seccomp filter: %s", en(e).s);
	}
#else
	if (without_clone3)
		return SKIP("no audit architecture known for this build");
#endif
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		const struct refusal *r = &refusals[i];
		size_t size;
		void *p = place_refusal(r, area, page, &s, tids, &size);
		long raw;
		pid_t pid;

		if (!(r->extra & NOT_RAW) && !(r->flags & CK_CLONE_VM)) {
			raw = syscall(SYS_clone3, p, size);
			if (raw == 0)
				_exit(0); /* a child the kernel was expected to refuse */
			if (raw > 0) {
				pid = (pid_t)raw;
				reap(&pid, &st);
				return FAIL("%s: the kernel's clone3 created child %ld, expected %s", r->what, raw,
					    en(r->err).s);
			}
			if (errno != ENOSYS && errno != r->err)
				return FAIL("%s: the kernel's clone3 gives %s, expected %s", r->what, en(errno).s,
					    en(r->err).s);
			if (without_clone3 && errno != ENOSYS)
				return FAIL("%s: clone3 gives %s under the filter, expected ENOSYS", r->what, en(errno).s);
		}
		p = place_refusal(r, area, page, &s, tids, &size);
		pid = ck_clone3(p, size, (r->extra & NO_FN) ? NULL : return_arg, NULL);
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			pid_t child = pid;

			reap(&pid, &st);
			return FAIL("%s: ck_clone3%s created child %d, expected %s", r->what,
				    without_clone3 ? " without clone3" : "", (int)child, en(r->err).s);
		}
		if (pid != -r->err)
			return FAIL("%s: ck_clone3%s gives %s, expected %s", r->what,
				    without_clone3 ? " without clone3" : "", en(pid).s, en(r->err).s);
	}
	munmap(area, 2 * page);
	return CASE_PASS;
}

CASE(ck_clone3_refuses_what_clone3_refuses_with_the_same_errno)
{
	return refusals_case(why, len, false);
}

CASE(ck_clone3_without_clone3_refuses_what_clone3_refuses_with_the_same_errno)
{
	return refusals_case(why, len, true);
}

/* ---- fork-like patterns ---- */

static int fork_probe;

/* exits 42 when running on the stack it was given, and scribbles on its copy of memory */
CHILD static int on_given_stack(void *arg)
{
	const struct stack *s = arg;
	volatile char here = 0;
	uintptr_t at = (uintptr_t)&here;

	fork_probe = 1;
	return at > (uintptr_t)s->base && at < (uintptr_t)s->base + s->size ? 42 : 1;
}

static int fork_like_case(char *why, size_t len, bool clone3)
{
	owned_stack s = { 0 };
	owned_pid pid = 0;
	int st;

	STACK_OR_FAIL(s);
	fork_probe = 0;
	if (clone3) {
		struct ck_clone_args a;

		memset(&a, 0, sizeof a);
		a.exit_signal = SIGCHLD;
		a.stack = PTR(s.base);
		a.stack_size = s.size;
		pid = ck_clone3(&a, sizeof a, on_given_stack, &s);
		if (pid < 0) {
			int e = -pid;

			pid = 0;
			return FAIL("ck_clone3(SIGCHLD): %s", en(e).s);
		}
	} else {
		pid = ck_clone(on_given_stack, stack_top(&s), SIGCHLD, &s);
		if (pid < 0)
			return FAIL("ck_clone(SIGCHLD): %s", en(errno).s);
	}
	REAP_OR_FAIL(pid, st);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return FAIL("fn ran outside the stack it was given");
	if (want_exit(why, len, "the fork-like child", st, 42))
		return CASE_FAIL;
	if (fork_probe)
		return FAIL("the fork-like child's store reached the parent's memory");
	return CASE_PASS;
}

CASE(ck_clone_fork_like_child_runs_fn_on_the_given_stack)
{
	return fork_like_case(why, len, false);
}

CASE(ck_clone3_fork_like_child_runs_fn_on_the_given_stack)
{
	return fork_like_case(why, len, true);
}

CASE(ck_clone3_without_fn_returns_zero_in_the_child_like_fork)
{
	owned_pid pid = 0;
	struct ck_clone_args a;
	pid_t parent = getpid();
	int st;

	fork_probe = 0;
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	pid = ck_clone3(&a, sizeof a, NULL, NULL);
	if (pid == 0) {
		fork_probe = 1;
		_exit(getppid() == parent ? 42 : 1);
	}
	if (pid < 0) {
		int e = -pid;

		pid = 0;
		return FAIL("ck_clone3(SIGCHLD) without fn: %s", en(e).s);
	}
	REAP_OR_FAIL(pid, st);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return FAIL("the child's getppid() is not the caller");
	if (want_exit(why, len, "the child", st, 42))
		return CASE_FAIL;
	if (fork_probe)
		return FAIL("the child's store reached the parent's memory");
	return CASE_PASS;
}

/* ---- the table ---- */

#define ENTRY(name, where) { #name, name, where }

const struct clone_case clone_cases[] = {
	ENTRY(ck_clone_fork_like_child_runs_fn_on_the_given_stack, PORTABLE),
	ENTRY(ck_clone3_fork_like_child_runs_fn_on_the_given_stack, PORTABLE),
	ENTRY(ck_clone3_without_fn_returns_zero_in_the_child_like_fork, PORTABLE),
	ENTRY(ck_clone_thread_like_pattern_runs_a_joinable_thread, PORTABLE),
	ENTRY(ck_clone3_thread_like_pattern_runs_a_joinable_thread, PORTABLE),
	ENTRY(clone_vm_write_in_child_is_seen_by_parent, HOSTED),
	ENTRY(clone_files_close_in_child_closes_in_parent, HOSTED),
	ENTRY(clone_fs_chdir_and_umask_in_child_are_seen_by_parent, HOSTED),
	ENTRY(without_clone_fs_chdir_and_umask_stay_in_child, PORTABLE),
	ENTRY(clone_sighand_handler_installed_by_child_is_parents, HOSTED),
	ENTRY(without_clone_sighand_handler_installed_by_child_stays_in_child, HOSTED),
	ENTRY(clone_thread_shares_tgid_and_is_joined_by_cleartid_futex, HOSTED),
	ENTRY(clone_parent_settid_and_child_settid_store_the_tid, HOSTED),
	ENTRY(child_settid_without_clone_vm_writes_only_the_childs_memory, HOSTED),
	ENTRY(clone_child_cleartid_zeroes_the_tid_and_wakes_the_futex, HOSTED),
	ENTRY(clone_parent_child_is_a_sibling_reaped_by_the_grandparent, HOSTED),
	ENTRY(clone_vfork_suspends_the_parent_until_the_child_exits, HOSTED),
	ENTRY(clone_detached_is_ignored_and_exit_status_is_collected, PORTABLE),
	ENTRY(clone_settls_sets_the_childs_thread_pointer, PORTABLE),
	ENTRY(clone_pidfd_in_parent_tid_polls_readable_when_child_exits, HOSTED),
	ENTRY(clone_pidfd_in_parent_tid_sends_sigkill, HOSTED),
	ENTRY(clone3_pidfd_field_polls_readable_when_child_exits, HOSTED),
	ENTRY(clone3_pidfd_field_sends_sigkill, HOSTED),
	ENTRY(clone_into_cgroup_places_child_in_the_given_cgroup, HOSTED),
	ENTRY(clone_newns_child_is_in_a_new_mount_namespace, HOSTED),
	ENTRY(clone_newuts_hostname_set_in_child_is_not_seen_by_parent, HOSTED),
	ENTRY(clone_newipc_child_does_not_see_the_parents_message_queue, HOSTED),
	ENTRY(clone_newnet_child_has_only_loopback, HOSTED),
	ENTRY(clone_newuser_child_is_unmapped_in_a_new_user_namespace, HOSTED),
	ENTRY(clone_newpid_child_is_pid_1_with_no_parent_in_its_namespace, HOSTED),
	ENTRY(clone_newcgroup_child_is_in_a_new_cgroup_namespace, HOSTED),
	ENTRY(clone3_newtime_child_is_in_a_new_time_namespace, HOSTED),
	ENTRY(newtime_offsets_shift_clock_monotonic_of_a_clone3_child, PORTABLE),
	ENTRY(clone3_clear_sighand_resets_handlers_but_keeps_ignored_signals, HOSTED),
	ENTRY(clone3_set_tid_1_in_a_new_pid_namespace_gives_pid_1, HOSTED),
	ENTRY(clone3_set_tid_2_in_a_new_pid_namespace_is_einval, HOSTED),
	ENTRY(clone3_set_tid_chooses_the_pid_in_the_parent_namespace, HOSTED),
	ENTRY(clone_ptrace_child_of_a_tracee_is_traced_from_birth, HOSTED),
	ENTRY(clone_untraced_child_escapes_ptrace_o_traceclone, HOSTED),
	ENTRY(clone_thread_without_sighand_and_vm_is_einval, HOSTED),
	ENTRY(ck_clone_rejects_a_null_fn_or_stack_with_einval, PORTABLE),
	ENTRY(clone3_falls_back_to_clone_when_seccomp_answers_enosys, HOSTED),
	ENTRY(ck_clone3_refuses_what_clone3_refuses_with_the_same_errno, PORTABLE),
	ENTRY(ck_clone3_without_clone3_refuses_what_clone3_refuses_with_the_same_errno, HOSTED),
};

const size_t clone_case_count = sizeof clone_cases / sizeof clone_cases[0];
