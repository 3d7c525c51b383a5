/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes the calls the KACS supervisor's filter (lib/kacs/filter.c) sorts,
 * for a test that loads the filter and answers its listener itself. Each
 * argument names one call; one line per call on stdout:
 *   NAME ok          the call returned (a returned fd is closed)
 *   NAME ERRNAME     it failed with that errno (the test's listener answers
 *                    with one no call here makes itself)
 * "Other" targets are the parent (the test); the trapped calls never run, so
 * they change nothing. x32-* calls set the x32 bit on x86_64 numbers;
 * int80-* enter through int $0x80 with i386 numbers (from either build).
 * The same source is built as an i386 program (tests/arch).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if !defined(__x86_64__) && !defined(__i386__)
#error "ck-kacs-calls makes int $0x80 calls: x86_64 or i386 only"
#endif

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer's exit check clones and ptraces, which the filter traps. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return 1;
}
#endif

#define X32_BIT 0x40000000L
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define I386_KILL 37
#define I386_GETPPID 64

static pid_t other;        /* the parent: a process that is not the caller */
static int devnull = -1;

static long ret(long r)
{
	return r < 0 ? -errno : r;
}

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return ret(syscall(nr, a, b, c, d, e, f));
}

static long int80(long nr, long a, long b)
{
	long r;
#ifdef __x86_64__
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a), "c"(b) : "memory", "r8", "r9", "r10", "r11");
#else
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a), "c"(b) : "memory");
#endif
	return r;
}

static long tid(void)
{
	return syscall(SYS_gettid);
}

static long perf(long pid, long cpu, long group, long flags)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
				     .config = PERF_COUNT_SW_DUMMY, .disabled = 1 };
	return sys(SYS_perf_event_open, (long)&a, pid, cpu, group, flags, 0);
}

static long ns_fd(const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static long setns_self(const char *name, long nstype)
{
	long fd = ns_fd(name);
	long r = fd < 0 ? -errno : sys(SYS_setns, fd, nstype, 0, 0, 0, 0);
	if (fd >= 0)
		close((int)fd);
	return r;
}

static struct sock_filter allow_insn[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
static struct sock_fprog allow_prog = { 1, allow_insn };

/* A fork-like call that the filter let through: the child leaves at once. */
static int thread_main(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0); /* this thread only: nothing of libc's thread machinery */
	return 0;
}

/*
 * A thread made as libc's clone(3) wrapper makes one (the clone syscall with
 * CLONE_THREAD), waited for through CLONE_CHILD_CLEARTID. Not pthread_create:
 * a sanitizer's thread start calls sched_getaffinity(its tid), which this
 * filter test's listener answers with an error.
 */
static long thread_joins(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	static volatile pid_t ctid;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	pid_t tid = clone(thread_main, stack + sizeof(stack), flags, NULL, &ctid, NULL, &ctid);
	if (tid < 0)
		return -errno;
	for (pid_t v; (v = ctid) != 0;)
		syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
	return 0;
}

/*
 * libc's vfork (the vfork syscall on x86_64 and i386), whose child only
 * calls _exit: a child returning through syscall(2) on the parent's stack
 * smashed its return address (a SEGV at pc 0 under ASan once the frame
 * layout moved).
 */
static long vfork_exits(void)
{
	pid_t p = vfork();
	if (p == 0)
		_exit(0);
	return p < 0 ? -errno : p;
}

static long child_exits(long r)
{
	if (r == 0)
		_exit(0);
	return r;
}

static long call(const char *n)
{
	char buf[8];
	struct iovec l = { buf, sizeof(buf) }, rv = { buf, sizeof(buf) };
	struct rlimit rl;
	cpu_set_t set;
	struct sched_param sp;
	struct timespec ts;
	siginfo_t si = { .si_code = SI_QUEUE };
	char *const argv[] = { "true", NULL };
	long r;

#define IS(s) (strcmp(n, s) == 0)
	/* never trapped */
	if (IS("getppid"))
		return ret(getppid());
	if (IS("ptrace-peekdata"))
		return sys(SYS_ptrace, PTRACE_PEEKDATA, other, 0, 0, 0, 0);
	if (IS("prctl-get-name"))
		return ret(prctl(PR_GET_NAME, buf, 0, 0, 0));
	if (IS("ioctl-tcgets"))
		return sys(SYS_ioctl, devnull, TCGETS, (long)buf, 0, 0, 0);
	if (IS("ioctl-k11"))
		return sys(SYS_ioctl, devnull, _IOC(_IOC_READ | _IOC_WRITE, 'K', 11, 16), (long)buf, 0, 0, 0);
	if (IS("ioctl-k16"))
		return sys(SYS_ioctl, devnull, _IOC(_IOC_READ | _IOC_WRITE, 'K', 16, 16), (long)buf, 0, 0, 0);
	if (IS("ioctl-j0"))
		return sys(SYS_ioctl, devnull, _IOC(_IOC_READ | _IOC_WRITE, 'J', 0, 16), (long)buf, 0, 0, 0);
	/* signals */
	if (IS("kill"))
		return sys(SYS_kill, other, 0, 0, 0, 0, 0);
	if (IS("kill-self"))
		return sys(SYS_kill, getpid(), 0, 0, 0, 0, 0);
	if (IS("tkill"))
		return sys(SYS_tkill, tid(), 0, 0, 0, 0, 0);
	if (IS("tgkill"))
		return sys(SYS_tgkill, getpid(), tid(), 0, 0, 0, 0);
	if (IS("rt_sigqueueinfo"))
		return sys(SYS_rt_sigqueueinfo, other, SIGWINCH, (long)&si, 0, 0, 0);
	if (IS("rt_tgsigqueueinfo"))
		return sys(SYS_rt_tgsigqueueinfo, other, other, SIGWINCH, (long)&si, 0, 0);
	if (IS("pidfd_send_signal"))
		return sys(SYS_pidfd_send_signal, -1, 0, 0, 0, 0, 0);
	/* ptrace, memory, pidfds, kcmp */
	if (IS("ptrace-attach"))
		return sys(SYS_ptrace, PTRACE_ATTACH, other, 0, 0, 0, 0);
	if (IS("ptrace-seize"))
		return sys(SYS_ptrace, PTRACE_SEIZE, other, 0, 0, 0, 0);
	if (IS("ptrace-traceme"))
		return sys(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0);
	if (IS("process_vm_readv"))
		return sys(SYS_process_vm_readv, other, (long)&l, 1, (long)&rv, 1, 0);
	if (IS("process_vm_writev"))
		return sys(SYS_process_vm_writev, other, (long)&l, 1, (long)&rv, 1, 0);
	if (IS("pidfd_open"))
		return sys(SYS_pidfd_open, other, 0, 0, 0, 0, 0);
	if (IS("pidfd_getfd"))
		return sys(SYS_pidfd_getfd, -1, 0, 0, 0, 0, 0);
	if (IS("process_madvise"))
		return sys(SYS_process_madvise, -1, 0, 0, 0, 0, 0);
	if (IS("kcmp"))
		return sys(SYS_kcmp, getpid(), other, KCMP_VM, 0, 0, 0);
	/* creation and exec */
	if (IS("clone"))
		return child_exits(sys(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0));
	if (IS("clone-thread"))
		return thread_joins();
	if (IS("clone-newpid"))
		return child_exits(sys(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0, 0));
	if (IS("clone3"))
		return sys(SYS_clone3, 0, 0, 0, 0, 0, 0);
	if (IS("fork"))
#ifdef SYS_fork
		return child_exits(sys(SYS_fork, 0, 0, 0, 0, 0, 0));
#else
		return -ENOSYS;
#endif
	if (IS("vfork"))
		return vfork_exits();
	if (IS("execve"))
		return sys(SYS_execve, (long)"/nonexistent", (long)argv, 0, 0, 0, 0);
	if (IS("execveat"))
		return sys(SYS_execveat, AT_FDCWD, (long)"/nonexistent", (long)argv, 0, 0, 0);
	/* priority, scheduler, limits, groups, pages */
	if (IS("setpriority-self"))
		return ret(setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0)));
	if (IS("setpriority"))
		return sys(SYS_setpriority, PRIO_PROCESS, other, 0, 0, 0, 0);
	/*
	 * who 0 with a group or a user: every process of the caller's group or
	 * uid. Harmless should the trap be missing: the caller's own nice value,
	 * a read, and an I/O class the kernel refuses (EINVAL) before any process.
	 */
	if (IS("setpriority-own-group"))
		return sys(SYS_setpriority, PRIO_PGRP, 0, getpriority(PRIO_PROCESS, 0), 0, 0, 0);
	if (IS("ioprio_get-own-user"))
		return sys(SYS_ioprio_get, IOPRIO_WHO_USER, 0, 0, 0, 0, 0) >= 0 ? 0 : -errno;
	if (IS("ioprio_set-own-group"))
		return sys(SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, 7 << 13, 0, 0, 0);
	if (IS("ioprio_get-self"))
		return sys(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0, 0, 0, 0, 0) >= 0 ? 0 : -errno;
	if (IS("ioprio_get"))
		return sys(SYS_ioprio_get, IOPRIO_WHO_PROCESS, other, 0, 0, 0, 0);
	if (IS("ioprio_set"))
		return sys(SYS_ioprio_set, IOPRIO_WHO_PROCESS, other, 0, 0, 0, 0);
	if (IS("sched_getaffinity-self"))
		return sys(SYS_sched_getaffinity, 0, sizeof(set), (long)&set, 0, 0, 0) > 0 ? 0 : -errno;
	if (IS("sched_getaffinity"))
		return sys(SYS_sched_getaffinity, other, sizeof(set), (long)&set, 0, 0, 0);
	if (IS("sched_setaffinity"))
		return sys(SYS_sched_setaffinity, other, sizeof(set), (long)&set, 0, 0, 0);
	if (IS("sched_getscheduler-self"))
		return sys(SYS_sched_getscheduler, 0, 0, 0, 0, 0, 0);
	if (IS("sched_getscheduler"))
		return sys(SYS_sched_getscheduler, other, 0, 0, 0, 0, 0);
	if (IS("sched_setscheduler"))
		return sys(SYS_sched_setscheduler, other, SCHED_OTHER, (long)&sp, 0, 0, 0);
	if (IS("sched_getparam"))
		return sys(SYS_sched_getparam, other, (long)&sp, 0, 0, 0, 0);
	if (IS("sched_setparam"))
		return sys(SYS_sched_setparam, other, (long)&sp, 0, 0, 0, 0);
	if (IS("sched_getattr"))
		return sys(SYS_sched_getattr, other, (long)buf, sizeof(buf), 0, 0, 0);
	if (IS("sched_setattr"))
		return sys(SYS_sched_setattr, other, (long)buf, 0, 0, 0, 0);
	if (IS("sched_rr_get_interval-self"))
		return sys(SYS_sched_rr_get_interval, 0, (long)&ts, 0, 0, 0, 0);
	if (IS("sched_rr_get_interval"))
		return sys(SYS_sched_rr_get_interval, other, (long)&ts, 0, 0, 0, 0);
#ifdef SYS_sched_rr_get_interval_time64
	if (IS("sched_rr_get_interval_time64"))
		return sys(SYS_sched_rr_get_interval_time64, other, (long)&ts, 0, 0, 0, 0);
#endif
	if (IS("prlimit64-self"))
		return sys(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0, 0);
	if (IS("prlimit64"))
		return sys(SYS_prlimit64, other, RLIMIT_NOFILE, 0, (long)&rl, 0, 0);
	if (IS("setpgid-self"))
		return sys(SYS_setpgid, 0, 0, 0, 0, 0, 0);
	if (IS("setpgid"))
		return sys(SYS_setpgid, other, other, 0, 0, 0, 0);
	if (IS("getpgid-self"))
		return sys(SYS_getpgid, 0, 0, 0, 0, 0, 0) > 0 ? 0 : -errno;
	if (IS("getpgid"))
		return sys(SYS_getpgid, other, 0, 0, 0, 0, 0);
	if (IS("getsid-self"))
		return sys(SYS_getsid, 0, 0, 0, 0, 0, 0) > 0 ? 0 : -errno;
	if (IS("getsid"))
		return sys(SYS_getsid, other, 0, 0, 0, 0, 0);
	if (IS("migrate_pages"))
		return sys(SYS_migrate_pages, other, 0, 0, 0, 0, 0);
	if (IS("move_pages"))
		return sys(SYS_move_pages, other, 0, 0, 0, 0, 0);
	if (IS("move_pages-self"))
		return sys(SYS_move_pages, 0, 0, 0, 0, 0, 0);
	/* perf: pid -1 as a 32-bit int (zero-extended) and sign-extended; a cgroup */
	if (IS("perf-self"))
		return perf(0, -1, -1, 0);
	if (IS("perf-other"))
		return perf(other, -1, -1, 0);
	if (IS("perf-any-cpu0"))
		return perf((long)(uint32_t)-1, 0, -1, PERF_FLAG_FD_CLOEXEC);
#ifdef __x86_64__
	if (IS("perf-any-cpu0-sext"))
		return perf(-1L, 0, -1, PERF_FLAG_FD_CLOEXEC);
#endif
	/* "/" is no cgroup: the kernel's EBADF shows the filter let it by */
	if (IS("perf-cgroup")) {
		int cg = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = cg < 0 ? -errno : perf(cg, 0, -1, PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC);
		if (cg >= 0)
			close(cg);
		return r;
	}
	/* prctl: only dumpability */
	if (IS("prctl-set-dumpable"))
		return sys(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0, 0);
	if (IS("prctl-get-dumpable"))
		return sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0, 0);
#ifdef __x86_64__
	if (IS("prctl-get-dumpable-high"))
		return sys(SYS_prctl, (1L << 32) | PR_GET_DUMPABLE, 0, 0, 0, 0, 0);
	if (IS("ioctl-query-high"))
		return sys(SYS_ioctl, devnull, (1L << 32) | 0xC0104B00L, (long)buf, 0, 0, 0);
	if (IS("seccomp-listener-high"))
		return sys(SYS_seccomp, (1L << 32) | SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			   (long)&allow_prog, 0, 0, 0);
#endif
	/* namespaces and filters */
	if (IS("unshare-newpid"))
		return sys(SYS_unshare, CLONE_NEWPID, 0, 0, 0, 0, 0);
	if (IS("unshare-newuts"))
		return sys(SYS_unshare, CLONE_NEWUTS, 0, 0, 0, 0, 0);
	if (IS("setns-newpid"))
		return setns_self("pid", CLONE_NEWPID);
	if (IS("setns-0"))
		return setns_self("uts", 0);
	if (IS("setns-newuts"))
		return setns_self("uts", CLONE_NEWUTS);
	if (IS("seccomp-listener"))
		return sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			   (long)&allow_prog, 0, 0, 0);
	if (IS("seccomp-filter"))
		return sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&allow_prog, 0, 0, 0);
	if (IS("prctl-set-seccomp"))
		return sys(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)&allow_prog, 0, 0, 0);
	/* the ABIs: x32 numbers, i386 numbers through int $0x80 */
#ifdef __x86_64__
	if (IS("x32-kill"))
		return sys(X32_BIT | SYS_kill, other, 0, 0, 0, 0, 0);
	if (IS("x32-kacs-1000"))
		return sys(X32_BIT | 1000, 0, 0, 0, 0, 0, 0);
	if (IS("x32-kacs-1010"))
		return sys(X32_BIT | 1010, -1, 0, 0, 0, 0, 0);
#endif
	if (IS("int80-kill"))
		return int80(I386_KILL, other, 0);
	if (IS("int80-getppid"))
		return int80(I386_GETPPID, 0, 0) > 0 ? 0 : -EIO;
	if (IS("int80-kacs-1000"))
		return int80(1000, 0, 0);
	if (IS("int80-kacs-1010"))
		return int80(1010, -1, 0);
	/* KACS numbers (K20 6-abi-reference.md §1) and token ioctls (§2): "kacs-NNNN", "ioctl-0xHEX" */
	if (strncmp(n, "kacs-", 5) == 0)
		return sys(strtol(n + 5, NULL, 10), -1, 0, 0, 0, 0, 0);
	if (strncmp(n, "ioctl-0x", 8) == 0)
		return sys(SYS_ioctl, devnull, (long)strtoul(n + 6, NULL, 16), (long)buf, 0, 0, 0);
#undef IS
	fprintf(stderr, "ck-kacs-calls: unknown call '%s'\n", n);
	exit(2);
}

int main(int argc, char **argv)
{
	other = getppid();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("ck-kacs-calls: /dev/null");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		long r = call(argv[i]);
		if (r >= 0) {
			/* the calls that make an fd: perf, pidfd_open, pidfd_getfd */
			if (r > 2 && r != devnull && (strncmp(argv[i], "perf", 4) == 0 || strncmp(argv[i], "pidfd", 5) == 0))
				close((int)r);
			printf("%s ok\n", argv[i]);
		} else {
			const char *e = strerrorname_np((int)-r);
			printf("%s %s\n", argv[i], e ? e : "E?");
		}
	}
	return 0;
}
