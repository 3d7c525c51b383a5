/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tries process-creation calls, for tests that load a seccomp filter and
 * hold it to what it lets through. One line per attempt on stdout:
 *   NAME created [ns=new]   the process, thread or namespace was made
 *   NAME joined ns=same     setns(fd, 0) and setns(fd, CLONE_NEW*) into the
 *                           helper's own namespace both worked
 *   NAME EPERM [ns=same]    the call failed with this errno
 *   NAME A/B ns=...         setns(fd, 0) gave A, setns(fd, CLONE_NEW*) gave B
 *   NAME same-ns ns=same    the call worked but no new namespace appeared
 *   NAME SIGSYS             the forked child making the call was killed
 *   NAME fork:EPERM         the forked child that was to make the call was refused
 * ns= is the namespace check: the /proc/PID/ns inode of the new process, or
 * of the caller after unshare and setns (pid_for_children and
 * time_for_children there), against the helper's at start; after a failed
 * clone, the helper's own inode and the absence of any child. A new PID
 * namespace has an inode only once its init exists, so one is forked;
 * ns=new-no-init when that fork is refused (the kernel's ENOENT for
 * pid_for_children is then the evidence). A call the filter kills in the
 * helper itself kills the helper: run those one per helper.
 *
 * Attempts: fork vfork pthread_create posix_spawn raw-fork int80-fork, and
 * for each NS of newns newuts newipc newuser newpid newnet newcgroup newtime:
 * clone-NS clone3-NS unshare-NS setns-NS int80-clone-NS int80-unshare-NS
 * (no clone-newtime or int80-clone-newtime: CLONE_NEWTIME lies in clone's
 * exit signal byte). int80-* enter through int $0x80 with i386 numbers, from
 * the 64-bit build too; in the i386 build they are its native calls.
 * --in-place makes unshare-*, int80-unshare-* and setns-* in the helper
 * itself rather than in a forked child.
 */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__x86_64__) && !defined(__i386__)
#error "ck-attempt makes int $0x80 calls: x86_64 or i386 only"
#endif

extern char **environ;

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer's check at exit clones a tracer, which the filters under
 * test refuse and a PID namespace whose init has exited cannot host.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return 1;
}
#endif

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
enum {
	I386_EXIT = 1,
	I386_FORK = 2,
	I386_READ = 3,
	I386_CLONE = 120,
	I386_UNSHARE = 310,
	I386_CLONE3 = 435,
};

static const struct ns {
	const char *name;
	uint32_t flag;
	const char *file;    /* where a new process shows it */
	const char *caller;  /* where unshare and setns show it in the caller */
} nss[] = {
	{ "newns", CLONE_NEWNS, "mnt", "mnt" },
	{ "newuts", CLONE_NEWUTS, "uts", "uts" },
	{ "newipc", CLONE_NEWIPC, "ipc", "ipc" },
	{ "newuser", CLONE_NEWUSER, "user", "user" },
	{ "newpid", CLONE_NEWPID, "pid", "pid_for_children" },
	{ "newnet", CLONE_NEWNET, "net", "net" },
	{ "newcgroup", CLONE_NEWCGROUP, "cgroup", "cgroup" },
	{ "newtime", CLONE_NEWTIME, "time", "time_for_children" },
};
#define NNS (sizeof(nss) / sizeof(nss[0]))

enum kind {
	K_FORK, K_VFORK, K_PTHREAD, K_SPAWN, K_RAW_FORK, K_INT80_FORK,
	K_CLONE, K_CLONE3, K_UNSHARE, K_SETNS, K_INT80_CLONE, K_INT80_UNSHARE,
};

static const struct {
	const char *name;
	enum kind kind;
} plain[] = {
	{ "fork", K_FORK }, { "vfork", K_VFORK }, { "pthread_create", K_PTHREAD },
	{ "posix_spawn", K_SPAWN }, { "raw-fork", K_RAW_FORK }, { "int80-fork", K_INT80_FORK },
};

static const struct {
	const char *prefix;
	enum kind kind;
} per_ns[] = {
	{ "clone-", K_CLONE }, { "clone3-", K_CLONE3 }, { "unshare-", K_UNSHARE },
	{ "setns-", K_SETNS }, { "int80-clone-", K_INT80_CLONE }, { "int80-unshare-", K_INT80_UNSHARE },
};

struct attempt {
	const char *name;
	enum kind kind;
	const struct ns *ns;
};

/* The helper's inodes at start, per namespace: [0] file, [1] caller. */
static uint64_t start_ino[NNS][2];
/* One byte a parked child reads into; below 4 GiB for the int $0x80 calls. */
static uint32_t low_buf;

#ifdef __x86_64__
/* int $0x80 from 64-bit code preserves r8-r11 since Linux 4.17; older kernels cleared them. */
#define INT80_CLOBBERS "memory", "r8", "r9", "r10", "r11"
#else
#define INT80_CLOBBERS "memory"
#endif

/*
 * clone or clone3 through int $0x80 (nr, a1, a2 in ebx, ecx); the child
 * blocks reading one byte from fd into buf and exits through the i386 exit
 * call. esi and edi carry buf and fd: clone reads them only with
 * CLONE_SETTLS and CLONE_CHILD_*, clone3 not at all.
 */
static int int80_parked(int nr, uint32_t a1, uint32_t a2, int fd, uint32_t buf)
{
	int ret;
	__asm__ volatile("int $0x80\n\t"
			 "test %%eax, %%eax\n\t"
			 "jnz 1f\n\t"
			 "mov %%edi, %%ebx\n\t"
			 "mov %%esi, %%ecx\n\t"
			 "mov $1, %%edx\n\t"
			 "mov %[nr_read], %%eax\n\t"
			 "int $0x80\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "xor %%ebx, %%ebx\n\t"
			 "int $0x80\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"(nr), "b"(a1), "c"(a2), "d"(0), "S"(buf), "D"(fd),
			   [nr_read] "i"(I386_READ), [nr_exit] "i"(I386_EXIT)
			 : INT80_CLOBBERS);
	return ret;
}

static int int80_unshare(uint32_t flags)
{
	int ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "0"(I386_UNSHARE), "b"(flags) : INT80_CLOBBERS);
	return ret;
}

/* i386 fork; the child exits at once (ebx is its status, 0). */
static int int80_fork(void)
{
	int ret;
	__asm__ volatile("int $0x80\n\t"
			 "test %%eax, %%eax\n\t"
			 "jnz 1f\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "int $0x80\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"(I386_FORK), "b"(0), [nr_exit] "i"(I386_EXIT)
			 : INT80_CLOBBERS);
	return ret;
}

#ifdef __x86_64__
/* The parked child: read(fd, buf, 1), then exit(0). */
#define PARK_X86_64                  \
	"mov %%r12, %%rdi\n\t"       \
	"mov %%r13, %%rsi\n\t"       \
	"mov $1, %%edx\n\t"          \
	"xor %%eax, %%eax\n\t"       \
	"syscall\n\t"                \
	"mov $60, %%eax\n\t"         \
	"xor %%edi, %%edi\n\t"       \
	"syscall\n\t"

static long clone_parked(uint32_t flags, int fd, uint32_t buf)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	register long r12 __asm__("r12") = fd;
	register long r13 __asm__("r13") = buf;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 PARK_X86_64
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone), "D"((unsigned long)flags), "S"(0L), "d"(0L),
			   "r"(r10), "r"(r8), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return ret;
}

static long clone3_parked(struct clone_args *args, int fd, uint32_t buf)
{
	register long r12 __asm__("r12") = fd;
	register long r13 __asm__("r13") = buf;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 PARK_X86_64
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13)
			 : "rcx", "r11", "rdx", "memory");
	return ret;
}
#else
static long clone_parked(uint32_t flags, int fd, uint32_t buf)
{
	return int80_parked(I386_CLONE, flags, 0, fd, buf);
}

static long clone3_parked(struct clone_args *args, int fd, uint32_t buf)
{
	return int80_parked(I386_CLONE3, (uint32_t)(uintptr_t)args, sizeof(*args), fd, buf);
}
#endif

static int ns_ino(const char *pid, const char *file, uint64_t *ino)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, file);
	if (stat(path, &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static const char *err_name(int err)
{
	static char buf[16];
	const char *n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static void say(const char *name, const char *outcome, const char *ns)
{
	if (ns)
		printf("%s %s ns=%s\n", name, outcome, ns);
	else
		printf("%s %s\n", name, outcome);
	fflush(stdout);
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* "created" for a child that exited 0; otherwise what became of it. */
static const char *status_outcome(int st, char *buf, size_t len)
{
	if (st < 0)
		snprintf(buf, len, "waitpid:%s", err_name(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		snprintf(buf, len, "created");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit:%d", WEXITSTATUS(st));
	else
		snprintf(buf, len, "SIG%s", sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
	return buf;
}

static void *thread_main(void *arg)
{
	return arg;
}

static void try_process(const struct attempt *a)
{
	char buf[32];
	pid_t pid;
	int err;

	switch (a->kind) {
	case K_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		break;
	case K_VFORK:
		pid = vfork();
		if (pid == 0)
			_exit(0);
		break;
	case K_RAW_FORK:
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0)
			_exit(0);
		break;
	case K_INT80_FORK:
		pid = int80_fork();
		if (pid < 0) {
			errno = -pid;
			pid = -1;
		}
		break;
	case K_SPAWN: {
		char *argv[] = { "true", NULL };
		err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
		if (err) {
			errno = err;
			pid = -1;
		}
		break;
	}
	case K_PTHREAD: {
		pthread_t t;
		err = pthread_create(&t, NULL, thread_main, NULL);
		if (err) {
			say(a->name, err_name(err), NULL);
		} else {
			err = pthread_join(t, NULL);
			say(a->name, err ? err_name(err) : "created", NULL);
		}
		return;
	}
	default:
		abort();
	}
	if (pid < 0)
		say(a->name, err_name(errno), NULL);
	else
		say(a->name, status_outcome(reap(pid), buf, sizeof(buf)), NULL);
}

/* After a refused clone: the helper's namespace is as it was and no child exists. */
static const char *no_child_check(const struct ns *ns)
{
	uint64_t ino = 0;
	if (ns_ino("self", ns->file, &ino) < 0)
		return "stat-failed";
	if (ino != start_ino[ns - nss][0])
		return "new";
	errno = 0;
	if (waitpid(-1, NULL, WNOHANG | __WALL) != -1 || errno != ECHILD)
		return "child-left";
	return "same";
}

static void try_clone(const struct attempt *a)
{
	const struct ns *ns = a->ns;
	char buf[32], pidname[24];
	int p[2];
	long pid;
	uint64_t ino = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		say(a->name, "pipe2-failed", NULL);
		return;
	}
	if (a->kind == K_CLONE) {
		pid = clone_parked(ns->flag | SIGCHLD, p[0], low_buf);
	} else if (a->kind == K_INT80_CLONE) {
		pid = int80_parked(I386_CLONE, ns->flag | SIGCHLD, 0, p[0], low_buf);
	} else {
		struct clone_args args;
		memset(&args, 0, sizeof(args));
		args.flags = ns->flag;
		args.exit_signal = SIGCHLD;
		pid = clone3_parked(&args, p[0], low_buf);
	}
	if (pid < 0) {
		say(a->name, err_name((int)-pid), no_child_check(ns));
	} else {
		snprintf(pidname, sizeof(pidname), "%ld", pid);
		int r = ns_ino(pidname, ns->file, &ino);
		char go = 1;
		while (write(p[1], &go, 1) < 0 && errno == EINTR)
			;
		const char *out = status_outcome(reap((pid_t)pid), buf, sizeof(buf));
		if (r < 0)
			say(a->name, "stat-failed", NULL);
		else if (ino == start_ino[ns - nss][0])
			say(a->name, strcmp(out, "created") ? out : "same-ns", "same");
		else
			say(a->name, out, "new");
	}
	close(p[0]);
	close(p[1]);
}

/* What an unshare or setns did in the process that made it. */
struct verdict {
	int err[2];      /* unshare: both; setns: nstype 0, then CLONE_NEW* */
	enum {
		NS_UNCHECKED,
		NS_SAME,
		NS_NEW,          /* the caller's inode differs from the helper's at start */
		NS_NEW_NO_INIT,  /* a PID namespace whose init could not be made */
	} ns;
};

static const char *const ns_state[] = {
	[NS_UNCHECKED] = "stat-failed",
	[NS_SAME] = "same",
	[NS_NEW] = "new",
	[NS_NEW_NO_INIT] = "new-no-init",
};

static struct verdict in_caller(const struct attempt *a)
{
	const struct ns *ns = a->ns;
	struct verdict v = { { 0, 0 }, NS_UNCHECKED };
	uint64_t ino = 0;
	int r;

	if (a->kind == K_SETNS) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns->file);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			v.err[0] = v.err[1] = errno;
		} else {
			v.err[0] = setns(fd, 0) < 0 ? errno : 0;
			v.err[1] = setns(fd, (int)ns->flag) < 0 ? errno : 0;
			close(fd);
		}
	} else {
		r = a->kind == K_INT80_UNSHARE ? int80_unshare(ns->flag)
					       : (unshare((int)ns->flag) < 0 ? -errno : 0);
		v.err[0] = v.err[1] = -r;
	}
	r = ns_ino("self", ns->caller, &ino);
	/* pid_for_children has no inode (ENOENT) until the new namespace's init exists */
	if (r == -ENOENT && ns->flag == CLONE_NEWPID) {
		pid_t init = fork();
		if (init < 0)
			v.ns = NS_NEW_NO_INIT;
		if (init == 0)
			_exit(0);
		if (init > 0 && reap(init) >= 0)
			r = ns_ino("self", ns->caller, &ino);
	}
	if (r == 0)
		v.ns = ino != start_ino[ns - nss][1] ? NS_NEW : NS_SAME;
	return v;
}

static void say_verdict(const struct attempt *a, const struct verdict *v)
{
	char out[64];
	if (v->err[0] != v->err[1])
		snprintf(out, sizeof(out), "%s/%s", v->err[0] ? err_name(v->err[0]) : "joined",
			 v->err[1] ? err_name(v->err[1]) : "joined");
	else if (v->err[0])
		snprintf(out, sizeof(out), "%s", err_name(v->err[0]));
	else if (a->kind == K_SETNS)
		snprintf(out, sizeof(out), "joined");
	else
		snprintf(out, sizeof(out), v->ns == NS_NEW || v->ns == NS_NEW_NO_INIT ? "created" : "same-ns");
	say(a->name, out, ns_state[v->ns]);
}

static void try_in_child(const struct attempt *a)
{
	char buf[32];
	struct verdict v;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		say(a->name, "pipe2-failed", NULL);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(buf, sizeof(buf), "fork:%s", err_name(errno));
		say(a->name, buf, NULL);
	} else if (pid == 0) {
		v = in_caller(a);
		_exit(write(p[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	} else {
		close(p[1]);
		p[1] = -1;
		ssize_t n;
		do
			n = read(p[0], &v, sizeof(v));
		while (n < 0 && errno == EINTR);
		int st = reap(pid);
		if (n == sizeof(v) && st == 0)
			say_verdict(a, &v);
		else
			say(a->name, status_outcome(st, buf, sizeof(buf)), NULL);
	}
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

static bool parse(const char *name, struct attempt *a)
{
	a->name = name;
	a->ns = NULL;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(name, plain[i].name) == 0) {
			a->kind = plain[i].kind;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(per_ns) / sizeof(per_ns[0]); i++) {
		size_t len = strlen(per_ns[i].prefix);
		if (strncmp(name, per_ns[i].prefix, len) != 0)
			continue;
		for (size_t k = 0; k < NNS; k++) {
			if (strcmp(name + len, nss[k].name) != 0)
				continue;
			if (nss[k].flag == CLONE_NEWTIME &&
			    (per_ns[i].kind == K_CLONE || per_ns[i].kind == K_INT80_CLONE))
				return false;
			a->kind = per_ns[i].kind;
			a->ns = &nss[k];
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	/* a filter's kill dumps core into the working directory otherwise */
	struct rlimit no_core = { 0, 0 };
	bool in_place = false;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--in-place") == 0) {
		in_place = true;
		first = 2;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: ck-attempt [--in-place] ATTEMPT...\n");
		return 2;
	}
	struct attempt *as = calloc((size_t)argc, sizeof(*as));
	if (!as)
		return 2;
	for (int i = first; i < argc; i++) {
		if (!parse(argv[i], &as[i])) {
			fprintf(stderr, "ck-attempt: unknown attempt '%s'\n", argv[i]);
			return 2;
		}
	}
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGCHLD, SIG_DFL);
#ifdef __x86_64__
	void *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
#else
	void *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
	if (low == MAP_FAILED) {
		perror("ck-attempt: mmap");
		return 2;
	}
	low_buf = (uint32_t)(uintptr_t)low;
	for (size_t k = 0; k < NNS; k++) {
		if (ns_ino("self", nss[k].file, &start_ino[k][0]) < 0 ||
		    ns_ino("self", nss[k].caller, &start_ino[k][1]) < 0) {
			fprintf(stderr, "ck-attempt: /proc/self/ns/%s: %s\n", nss[k].file, strerror(errno));
			return 2;
		}
	}
	for (int i = first; i < argc; i++) {
		const struct attempt *a = &as[i];
		switch (a->kind) {
		case K_CLONE:
		case K_CLONE3:
		case K_INT80_CLONE:
			try_clone(a);
			break;
		case K_UNSHARE:
		case K_SETNS:
		case K_INT80_UNSHARE:
			if (in_place) {
				struct verdict v = in_caller(a);
				say_verdict(a, &v);
			} else {
				try_in_child(a);
			}
			break;
		default:
			try_process(a);
			break;
		}
	}
	munmap(low, 4096);
	free(as);
	return 0;
}
