/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes process-creation calls in known patterns, for the tracer tests
 * (tests/kernel/test_trace.c), natively and as an i386 program:
 *   fork, vfork, spawn (posix_spawn /bin/true), pthread
 *   clone        libc clone() with CLONE_PARENT_SETTID|CLONE_CHILD_SETTID|SIGCHLD,
 *                printing "ptid=ADDR ctid=ADDR"
 *   untraced     libc clone() with CLONE_UNTRACED|SIGCHLD
 *   untraced-fork   libc clone() with CLONE_UNTRACED|SIGCHLD, whose child forks
 *                and prints "fork=ok" (exit 0) or "fork=ERRNO" (exit 3)
 *   untraced-fork3  the same through ck_clone3()
 *   untraced-seize  a CLONE_UNTRACED child that its parent tries to PTRACE_SEIZE,
 *                as a debugger would ("seize=ok" or "seize=ERRNO"); it then forks
 *                as above
 *   untraced-regs   raw clone and clone3 with CLONE_UNTRACED, each printing
 *                "CASE ok" only if caller and child find their argument
 *                registers (the unused sixth holding a marker) and the clone3
 *                struct as they passed them: through syscall and int $0x80,
 *                with CLONE_VM|CLONE_VFORK and a stack, and on a stack with no
 *                room below it
 *   ids          prints "uid=N euid=N"
 *   newuts       libc clone() with CLONE_NEWUTS|SIGCHLD
 *   setns        setns() into its own UTS namespace, printing "fd=N"
 *   int80        fork through int $0x80 (the i386 entry) from 64-bit code
 *   cgroup DIR   ck_clone3() with CLONE_INTO_CGROUP into DIR, printing "fd=N"
 *   thread-exec  a second thread calls execve(/bin/true)
 *   stopcont     a child stops itself with SIGSTOP and is continued
 *   threads N    N threads that return at once, 16 at a time, each batch joined
 *   forkloop MS [THREADS]  forks every MS milliseconds forever, printing "ok"
 *                or the errno name of each fork, and "ready PID" first; with
 *                THREADS sleeping threads beside it
 * Every child exits at once and is reaped.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/clone.h>
#include <clonekit/flags.h>

#define STACK_SIZE (64 * 1024)

extern char **environ;

static char stack[STACK_SIZE] __attribute__((aligned(16)));

static int child_exits(void *arg)
{
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

static void *thread_exec(void *arg)
{
	char *argv[] = { "/bin/true", NULL };
	execve(argv[0], argv, environ);
	_exit(126);
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* The child's exit status, 128+N when signal N killed it. */
static int reap_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case ESRCH: return "ESRCH";
	case EAGAIN: return "EAGAIN";
	default: return strerror(e);
	}
}

/* Writes line at once (a child's stdio buffer would be lost or doubled). */
static int say(const char *line)
{
	return write(1, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : 1;
}

/* Forks a child that exits at once: "fork=ok" (0) or "fork=ERRNO" (3). */
static int fork_and_say(void)
{
	char line[64];
	int r = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		snprintf(line, sizeof(line), "fork=%s\n", errno_name(errno));
		r = 3;
	} else {
		snprintf(line, sizeof(line), "fork=%s\n", reap(pid) == 0 ? "ok" : "its child failed");
	}
	return say(line) ? 1 : r;
}

static int child_forks(void *arg)
{
	return fork_and_say();
}

static int untraced_fork(void)
{
	pid_t pid = clone(child_forks, stack + STACK_SIZE, CLONE_UNTRACED | SIGCHLD, NULL);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	return reap_status(pid);
}

static int untraced_fork3(void)
{
	struct ck_clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CK_CLONE_UNTRACED;
	a.exit_signal = SIGCHLD;
	pid_t pid = ck_clone3(&a, sizeof(a), NULL, NULL);
	if (pid == 0)
		_exit(fork_and_say());
	if (pid < 0) {
		fprintf(stderr, "ck_clone3: %s\n", strerror(-pid));
		return 1;
	}
	return reap_status(pid);
}

static int child_waits_and_forks(void *arg)
{
	char c;
	if (read(*(int *)arg, &c, 1) != 1)
		return 1;
	return fork_and_say();
}

static int untraced_seize(void)
{
	int go[2], st;
	char line[64];
	if (pipe(go) < 0)
		return 1;
	pid_t pid = clone(child_waits_and_forks, stack + STACK_SIZE, CLONE_UNTRACED | SIGCHLD, &go[0]);
	if (pid < 0)
		return 1;
	int r = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
	snprintf(line, sizeof(line), "seize=%s\n", r == 0 ? "ok" : errno_name(errno));
	if (say(line) || write(go[1], "x", 1) != 1)
		return 1;
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (!WIFSTOPPED(st))
			break;
		/* seized, it stops for each signal it gets (its own child's SIGCHLD) */
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#if defined(__x86_64__)
#define RAW_MARK 0x5a5a5a5a12345678L
/* i386's numbers, for int $0x80 from 64-bit code */
#define I386_NR_CLONE 120
#define I386_NR_CLONE3 435

/*
 * long raw_syscall_clone(long nr, long a0, long a1, unsigned long sp,
 *                        const uint64_t *mem, uint64_t flags, long after[2]);
 * long raw_int80_clone(long nr, long a0, long a1, unsigned long unused,
 *                      const uint64_t *mem, uint64_t flags, long after[2]);
 * A raw clone or clone3 with a0 and a1 as its first two arguments, zeros
 * after them and RAW_MARK in the sixth (r9; ebp through int $0x80), made on
 * the stack sp when sp is not 0. The child checks that those registers (rdi
 * and r9; rbx and rbp) are as passed and that *mem (when mem is not NULL)
 * still holds flags, and exits with 0, 4 (a register) or 5 (memory) without
 * touching its stack; the caller gets the two registers back in after[].
 */
__asm__(
	"	.text\n"
	"	.type raw_syscall_clone, @function\n"
	"raw_syscall_clone:\n"
	"	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n	push %rbp\n"
	"	mov 56(%rsp), %rbp\n"               /* after[] */
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rsi, %r12\n"
	"	mov %rdx, %rsi\n"
	"	mov %r8, %r14\n"
	"	mov %r9, %r15\n"
	"	movabs $0x5a5a5a5a12345678, %r13\n"
	"	mov %r13, %r9\n"
	"	xor %edx, %edx\n	xor %r10d, %r10d\n	xor %r8d, %r8d\n"
	"	mov %rsp, %rbx\n"
	"	test %rcx, %rcx\n"
	"	cmovnz %rcx, %rsp\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	cmp %r12, %rdi\n	jne 4f\n"
	"	cmp %r13, %r9\n	jne 4f\n"
	"	test %r14, %r14\n	jz 0f\n"
	"	cmp (%r14), %r15\n	jne 5f\n"
	"0:	xor %edi, %edi\n	jmp 9f\n"
	"4:	mov $4, %edi\n	jmp 9f\n"
	"5:	mov $5, %edi\n"
	"9:	mov $60, %eax\n	syscall\n"
	"1:	mov %rbx, %rsp\n"
	"	mov %rdi, 0(%rbp)\n"
	"	mov %r9, 8(%rbp)\n"
	"	pop %rbp\n	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n"
	"	ret\n"
	"	.size raw_syscall_clone, .-raw_syscall_clone\n"
	"	.type raw_int80_clone, @function\n"
	"raw_int80_clone:\n"
	"	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n	push %rbp\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rbx\n"
	"	mov %rsi, %r12\n"
	"	mov %rdx, %rcx\n"
	"	mov %r8, %r14\n"
	"	mov %r9, %r15\n"
	"	movabs $0x5a5a5a5a12345678, %r13\n"
	"	mov %r13, %rbp\n"
	"	xor %edx, %edx\n	xor %esi, %esi\n	xor %edi, %edi\n"
	"	int $0x80\n"
	"	test %eax, %eax\n"
	"	jnz 1f\n"
	"	cmp %r12, %rbx\n	jne 4f\n"
	"	cmp %r13, %rbp\n	jne 4f\n"
	"	test %r14, %r14\n	jz 0f\n"
	"	cmp (%r14), %r15\n	jne 5f\n"
	"0:	xor %edi, %edi\n	jmp 9f\n"
	"4:	mov $4, %edi\n	jmp 9f\n"
	"5:	mov $5, %edi\n"
	"9:	mov $60, %eax\n	syscall\n"
	"1:	movslq %eax, %rax\n"
	"	mov 56(%rsp), %rdi\n"
	"	mov %rbx, 0(%rdi)\n"
	"	mov %rbp, 8(%rdi)\n"
	"	pop %rbp\n	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n"
	"	ret\n"
	"	.size raw_int80_clone, .-raw_int80_clone\n");

long raw_syscall_clone(long nr, long a0, long a1, unsigned long sp, const uint64_t *mem, uint64_t flags,
		       long after[2]);
long raw_int80_clone(long nr, long a0, long a1, unsigned long unused, const uint64_t *mem, uint64_t flags,
		     long after[2]);

/* One case of untraced-regs: the call, then the caller's registers, memory and the child's status. */
static int regs_case(const char *name, bool int80, long nr, long a0, long a1, unsigned long sp,
		     const uint64_t *mem)
{
	char line[128];
	long after[2] = { 0, 0 };
	uint64_t flags = mem ? *mem : 0;
	const char *what = "ok";
	long pid = (int80 ? raw_int80_clone : raw_syscall_clone)(nr, a0, a1, sp, mem, flags, after);
	if (pid < 0) {
		snprintf(line, sizeof(line), "%s: %s\n", name, errno_name((int)-pid));
		say(line);
		return 1;
	}
	int st = reap_status((pid_t)pid);
	if (after[0] != a0 || after[1] != RAW_MARK)
		what = "caller's registers changed";
	else if (mem && *mem != flags)
		what = "caller's clone3 struct changed";
	else if (st == 4)
		what = "child's registers changed";
	else if (st == 5)
		what = "child's clone3 struct changed";
	else if (st != 0)
		what = "child failed";
	snprintf(line, sizeof(line), "%s %s\n", name, what);
	say(line);
	return strcmp(what, "ok") != 0;
}

static int untraced_regs(void)
{
	long page = sysconf(_SC_PAGESIZE);
	/* clone3's struct for int $0x80 must have a 32-bit address */
	struct ck_clone_args *a = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	/* a stack whose page below is not mapped */
	char *low = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int bad = 0;

	if (a == MAP_FAILED || low == MAP_FAILED || munmap(low, (size_t)page) < 0)
		return 1;
	memset(a, 0, sizeof(*a));
	a->flags = CK_CLONE_UNTRACED;
	a->exit_signal = SIGCHLD;
	bad |= regs_case("clone", false, SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, NULL);
	bad |= regs_case("clone3", false, SYS_clone3, (long)a, sizeof(*a), 0, &a->flags);
	bad |= regs_case("clone3-no-room-below", false, SYS_clone3, (long)a, sizeof(*a),
			 (unsigned long)(low + page + 64), &a->flags);
	bad |= regs_case("int80-clone", true, I386_NR_CLONE, CLONE_UNTRACED | SIGCHLD, 0, 0, NULL);
	bad |= regs_case("int80-clone3", true, I386_NR_CLONE3, (long)a, sizeof(*a), 0, &a->flags);
	a->flags = CK_CLONE_UNTRACED | CK_CLONE_VM | CK_CLONE_VFORK;
	a->stack = (uint64_t)(uintptr_t)stack;
	a->stack_size = STACK_SIZE;
	bad |= regs_case("clone3-vm-vfork", false, SYS_clone3, (long)a, sizeof(*a), 0, &a->flags);
	return bad;
}
#endif

static int libc_clone(int flags)
{
	pid_t ptid = 0, ctid = 0;
	pid_t pid = clone(child_exits, stack + STACK_SIZE, flags, NULL, &ptid, NULL, &ctid);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	if (flags & CLONE_PARENT_SETTID)
		printf("ptid=%#lx ctid=%#lx\n", (unsigned long)(uintptr_t)&ptid,
		       (unsigned long)(uintptr_t)&ctid);
	return reap(pid);
}

static void *thread_sleeps(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static int forkloop(long ms, long threads)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	for (long i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_sleeps, NULL) != 0)
			return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	for (;;) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			printf("%s\n", errno == ENOSYS ? "ENOSYS" : strerror(errno));
		} else {
			reap(pid);
			printf("ok\n");
		}
		nanosleep(&ts, NULL);
	}
}

static int threads(long n)
{
	pthread_t t[16];
	for (long done = 0; done < n;) {
		int k = n - done < 16 ? (int)(n - done) : 16;
		for (int i = 0; i < k; i++)
			if (pthread_create(&t[i], NULL, thread_main, NULL) != 0)
				return 1;
		for (int i = 0; i < k; i++)
			pthread_join(t[i], NULL);
		done += k;
	}
	return 0;
}

static int stopcont(void)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		return 1;
	kill(pid, SIGCONT);
	return reap(pid);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		return reap(pid);
	}
	if (strcmp(mode, "vfork") == 0) {
		pid_t pid = vfork();
		if (pid == 0)
			_exit(0);
		return reap(pid);
	}
	if (strcmp(mode, "spawn") == 0) {
		char *args[] = { "/bin/true", NULL };
		pid_t pid;
		if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0)
			return 1;
		return reap(pid);
	}
	if (strcmp(mode, "pthread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_main, NULL) != 0)
			return 1;
		return pthread_join(t, NULL) != 0;
	}
	if (strcmp(mode, "clone") == 0)
		return libc_clone(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD);
	if (strcmp(mode, "untraced") == 0)
		return libc_clone(CLONE_UNTRACED | SIGCHLD);
	if (strcmp(mode, "untraced-fork") == 0)
		return untraced_fork();
	if (strcmp(mode, "untraced-fork3") == 0)
		return untraced_fork3();
	if (strcmp(mode, "untraced-seize") == 0)
		return untraced_seize();
#if defined(__x86_64__)
	if (strcmp(mode, "untraced-regs") == 0)
		return untraced_regs();
#endif
	if (strcmp(mode, "ids") == 0) {
		printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
		return 0;
	}
	if (strcmp(mode, "newuts") == 0)
		return libc_clone(CLONE_NEWUTS | SIGCHLD);
	if (strcmp(mode, "setns") == 0) {
		int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUTS) < 0)
			return 1;
		printf("fd=%d\n", fd);
		return 0;
	}
#if defined(__x86_64__)
	if (strcmp(mode, "int80") == 0) {
		long r;
		/* i386's fork is 2; the compat entry clobbers r8-r11 */
		__asm__ volatile("int $0x80" : "=a"(r) : "0"(2L) : "r8", "r9", "r10", "r11", "memory");
		if (r == 0)
			_exit(0);
		return r < 0 ? 1 : reap((pid_t)r);
	}
#endif
	if (strcmp(mode, "cgroup") == 0 && argc == 3) {
		struct ck_clone_args a;
		int fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		memset(&a, 0, sizeof(a));
		a.flags = CK_CLONE_INTO_CGROUP;
		a.exit_signal = SIGCHLD;
		a.cgroup = (uint64_t)fd;
		pid_t pid = ck_clone3(&a, sizeof(a), NULL, NULL);
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			return 1;
		printf("fd=%d\n", fd);
		return reap(pid);
	}
	if (strcmp(mode, "thread-exec") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_exec, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
		return 1; /* never reached: the exec ends this thread group */
	}
	if (strcmp(mode, "threads") == 0 && argc == 3)
		return threads(strtol(argv[2], NULL, 10));
	if (strcmp(mode, "stopcont") == 0)
		return stopcont();
	if (strcmp(mode, "forkloop") == 0 && (argc == 3 || argc == 4))
		return forkloop(strtol(argv[2], NULL, 10), argc == 4 ? strtol(argv[3], NULL, 10) : 0);
	fprintf(stderr, "usage: ck-patterns fork|vfork|spawn|pthread|clone|untraced|untraced-fork|"
			"untraced-fork3|untraced-seize|untraced-regs|ids|newuts|setns|int80|cgroup DIR|"
			"thread-exec|stopcont|forkloop MS [THREADS]\n");
	return 2;
}
