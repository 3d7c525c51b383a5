/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_clone (glibc's contract) and ck_clone3 (clone3 with a function entry and a clone fallback). */
#include <clonekit/clone.h>
#include <clonekit/flags.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/arch.h"

int ck_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	const unsigned f = (unsigned)flags;
	pid_t *ptid = NULL, *ctid = NULL;
	void *tls = NULL;
	va_list ap;

	if (!fn || !stack) {
		errno = EINVAL;
		return -1;
	}
	/* the variadic arguments are read only when the flags say they are there */
	va_start(ap, arg);
	if (f & (CK_CLONE_PARENT_SETTID | CK_CLONE_PIDFD | CK_CLONE_SETTLS | CK_CLONE_CHILD_SETTID |
		 CK_CLONE_CHILD_CLEARTID))
		ptid = va_arg(ap, pid_t *);
	if (f & (CK_CLONE_SETTLS | CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID))
		tls = va_arg(ap, void *);
	if (f & (CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID))
		ctid = va_arg(ap, pid_t *);
	va_end(ap);

	long r = ck__clone(fn, stack, f, arg, ptid, tls, ctid);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

/* ---- the address space as the kernel sees it ---- */

#if defined(__x86_64__) && !defined(__ILP32__)
/* True when /proc/cpuinfo lists la57 (5-level paging), which the kernel clears when it does not use it. */
static bool cpu_has_la57(void)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	/* the first "flags" line speaks for every CPU */
	char *line = strncmp(buf, "flags", 5) == 0 ? buf : strstr(buf, "\nflags");
	if (!line)
		return false;
	char *end = strchr(line + 1, '\n');
	if (end)
		*end = '\0';
	return strstr(line, " la57") != NULL;
}
#endif

uint64_t ck__user_addr_max(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	static uint64_t cached;
	uint64_t max = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (!max) {
		max = cpu_has_la57() ? UINT64_C(0x00fffffffffff000) : UINT64_C(0x7ffffffff000);
		__atomic_store_n(&cached, max, __ATOMIC_RELAXED);
	}
	return max;
#elif defined(__aarch64__)
	return UINT64_C(1) << 48;
#else
	return 0;
#endif
}

static uint64_t page_size(void)
{
	unsigned long p = getauxval(AT_PAGESZ);
	return p ? p : 4096;
}

/*
 * Whether the kernel can read the page holding addr. FUTEX_CMP_REQUEUE reads
 * one word with get_user(), as copy_from_user() would, wakes and moves no
 * waiter, never blocks, and is allowed by any seccomp profile that lets
 * threads run, where process_vm_readv may not be. Any answer but EFAULT
 * (EAGAIN, or a filter's own errno) is taken to mean readable.
 */
static bool page_readable(uint64_t addr, uint64_t page)
{
	if (addr > UINTPTR_MAX)
		return false; /* past what a 32-bit process can map */
	uint32_t *word = (uint32_t *)(uintptr_t)(addr & ~(page - 1));
	int saved = errno;
	long r = syscall(SYS_futex, word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)0, word, 0);
	bool readable = r >= 0 || errno != EFAULT;
	errno = saved;
	return readable;
}

/* Whether the kernel can read all of [addr, addr + len). */
static bool user_readable(uint64_t addr, uint64_t len, uint64_t page)
{
	if (!len)
		return true;
	uint64_t last = addr + len - 1;
	if (last < addr)
		return false;
	for (uint64_t p = addr & ~(page - 1);; p += page) {
		if (!page_readable(p, page))
			return false;
		if (p == (last & ~(page - 1)))
			return true;
	}
}

/*
 * Reads memory user_readable() vouched for, byte by byte: the caller's struct
 * may be unaligned and may reach past any object AddressSanitizer knows (the
 * kernel reads size bytes, whatever the caller allocated).
 */
__attribute__((no_sanitize("address"))) static void copy_user(void *dst, uint64_t src, size_t len)
{
	const volatile unsigned char *s = (const volatile unsigned char *)(uintptr_t)src;
	unsigned char *d = dst;

	for (size_t i = 0; i < len; i++)
		d[i] = s[i];
}

__attribute__((no_sanitize("address"))) static bool any_nonzero(uint64_t src, size_t len)
{
	const volatile unsigned char *s = (const volatile unsigned char *)(uintptr_t)src;

	for (size_t i = 0; i < len; i++)
		if (s[i])
			return true;
	return false;
}

/* ---- clone3's own checks, in the kernel's order ---- */

/* The highest signal number (_NSIG on x86 and arm64): valid_signal() refuses more. */
#define KERNEL_NSIG 64
/* Bytes clonekit's preconditions read: flags up to and including stack. */
#define PRECONDITION_BYTES offsetof(struct ck_clone_args, stack_size)

/*
 * check_zeroed_user() on the bytes past the struct clonekit knows: whichever
 * the kernel meets first of an unreadable page (-EFAULT) and a nonzero byte
 * (-E2BIG), after access_ok() on the whole range; 0 when all are zero.
 */
static long tail_refusal(uint64_t from, uint64_t len, uint64_t page)
{
	uint64_t end = from + len, max = ck__user_addr_max();

	if (end < from || (max && end > max))
		return -EFAULT;
	for (uint64_t at = from; at < end;) {
		uint64_t stop = (at | (page - 1)) + 1;
		if (stop > end || stop == 0)
			stop = end;
		if (!page_readable(at, page))
			return -EFAULT;
		if (any_nonzero(at, (size_t)(stop - at)))
			return -E2BIG;
		at = stop;
	}
	return 0;
}

/* clone3_stack_valid(): both or neither of stack and stack_size, inside user space. */
static bool stack_valid(const struct ck_clone_args *k)
{
	if (!k->stack)
		return k->stack_size == 0;
	if (!k->stack_size)
		return false;
	uint64_t end = k->stack + k->stack_size, max = ck__user_addr_max();
	return end > k->stack && (!max || end <= max);
}

/*
 * What clone3 refuses before it creates anything, in the kernel's order:
 * copy_clone_args_from_user() (size, unknown tail, the struct's copy, set_tid,
 * exit_signal, cgroup, the set_tid array's copy), clone3_args_valid() and
 * kernel_clone()'s pidfd check. Returns 0 or -errno; *k is the struct as the
 * kernel read it (zero past size).
 */
static long clone3_refusal(uint64_t args, size_t size, uint64_t page, struct ck_clone_args *k)
{
	const size_t known = size < sizeof(*k) ? size : sizeof(*k);
	const uint64_t accepted = UINT64_C(0xffffffff) | CK_CLONE_CLEAR_SIGHAND | CK_CLONE_INTO_CGROUP;

	memset(k, 0, sizeof(*k));
	if (size > page)
		return -E2BIG;
	if (size < CK_CLONE3_SIZE_VER0)
		return -EINVAL;
	if (size > sizeof(*k)) {
		long e = tail_refusal(args + sizeof(*k), size - sizeof(*k), page);
		if (e)
			return e;
	}
	if (!user_readable(args, known, page))
		return -EFAULT;
	copy_user(k, args, known);

	if (k->set_tid_size > CK_SET_TID_MAX || (!k->set_tid && k->set_tid_size) ||
	    (k->set_tid && !k->set_tid_size))
		return -EINVAL;
	if (k->exit_signal > KERNEL_NSIG)
		return -EINVAL;
	if ((k->flags & CK_CLONE_INTO_CGROUP) && (k->cgroup > INT_MAX || size < CK_CLONE3_SIZE_VER2))
		return -EINVAL;
	if (k->set_tid && !user_readable(k->set_tid, k->set_tid_size * sizeof(pid_t), page))
		return -EFAULT;

	if (k->flags & ~accepted)
		return -EINVAL;
	if (k->flags & (CK_CLONE_DETACHED | (CK_CSIGNAL & ~CK_CLONE_NEWTIME)))
		return -EINVAL;
	if ((k->flags & (CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND)) ==
	    (CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((k->flags & (CK_CLONE_THREAD | CK_CLONE_PARENT)) && k->exit_signal)
		return -EINVAL;
	if (!stack_valid(k))
		return -EINVAL;

	if ((k->flags & CK_CLONE_PIDFD) && (k->flags & CK_CLONE_PARENT_SETTID) && k->pidfd == k->parent_tid)
		return -EINVAL;
	return 0;
}

/*
 * clonekit's own rules: a CLONE_VM child without a stack of its own would run
 * on the caller's, and a fork-like child (no fn) returns through the caller's
 * frames, which exist only on its copy of the caller's stack.
 */
static bool preconditions_hold(const struct ck_clone_args *k, int (*fn)(void *))
{
	if ((k->flags & CK_CLONE_VM) && !k->stack)
		return false;
	return fn || !k->stack;
}

/* Why a struct clone3 accepts cannot go through legacy clone; NULL when it can. */
static const char *need_clone3(const struct ck_clone_args *k)
{
	if (k->flags & CK_CLONE_INTO_CGROUP)
		return "CLONE_INTO_CGROUP exists only in clone3";
	if (k->flags & CK_CLONE_CLEAR_SIGHAND)
		return "CLONE_CLEAR_SIGHAND exists only in clone3";
	if (k->flags >> 32)
		return "flags above bit 31 exist only in clone3";
	if (k->flags & CK_CLONE_NEWTIME)
		return "CLONE_NEWTIME exists only in clone3 (its bit is the exit signal's in clone)";
	if (k->flags & CK_CSIGNAL)
		return "flag bits 0-7 are the exit signal in clone";
	if (k->exit_signal > CK_CSIGNAL)
		return "an exit signal above 255 does not fit clone's signal byte";
	if (k->set_tid || k->set_tid_size)
		return "set_tid exists only in clone3";
	if ((k->flags & CK_CLONE_PIDFD) && (k->flags & CK_CLONE_PARENT_SETTID) && k->pidfd != k->parent_tid)
		return "clone returns the pidfd through parent_tid, so CLONE_PIDFD and CLONE_PARENT_SETTID cannot point to different places";
#if UINTPTR_MAX < UINT64_MAX
	/* legacy clone takes pointers, which hold 32 bits here */
	if ((k->flags & CK_CLONE_PARENT_SETTID) && k->parent_tid > UINTPTR_MAX)
		return "parent_tid is above 4 GiB, which clone's 32-bit pointer cannot reach";
	if ((k->flags & CK_CLONE_PIDFD) && k->pidfd > UINTPTR_MAX)
		return "pidfd is above 4 GiB, which clone's 32-bit pointer cannot reach";
	if ((k->flags & (CK_CLONE_CHILD_SETTID | CK_CLONE_CHILD_CLEARTID)) && k->child_tid > UINTPTR_MAX)
		return "child_tid is above 4 GiB, which clone's 32-bit pointer cannot reach";
	if ((k->flags & CK_CLONE_SETTLS) && k->tls > UINTPTR_MAX)
		return "tls is above 4 GiB, which clone's 32-bit pointer cannot reach";
	if (k->stack + k->stack_size > UINTPTR_MAX)
		return "the stack ends above 4 GiB, which clone's 32-bit stack pointer cannot reach";
#endif
	return NULL;
}

const char *ck_clone_args_need_clone3(const struct ck_clone_args *args, size_t size)
{
	struct ck_clone_args k;

	if (!args)
		return "no arguments";
	memset(&k, 0, sizeof(k));
	memcpy(&k, args, size < sizeof(k) ? size : sizeof(k));
	return need_clone3(&k);
}

/* clone3 is missing: the same call through legacy clone, after clone3's own checks. */
static pid_t clone_fallback(uint64_t args, size_t size, uint64_t page, int (*fn)(void *), void *arg)
{
	struct ck_clone_args k;
	long e = clone3_refusal(args, size, page, &k);

	if (e)
		return (pid_t)e;
	if (!preconditions_hold(&k, fn))
		return -EINVAL;
	if (need_clone3(&k))
		return -ENOSYS;
	/* clone's stack argument is the top; it returns the pidfd through parent_tid */
	void *top = k.stack ? (void *)(uintptr_t)(k.stack + k.stack_size) : NULL;
	pid_t *ptid = (pid_t *)(uintptr_t)((k.flags & CK_CLONE_PIDFD) ? k.pidfd : k.parent_tid);
	return (pid_t)ck__clone(fn, top, (unsigned long)(k.flags | k.exit_signal), arg, ptid,
				(void *)(uintptr_t)k.tls, (pid_t *)(uintptr_t)k.child_tid);
}

pid_t ck_clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg)
{
	const uint64_t at = (uintptr_t)args, page = page_size();
	struct ck_clone_args k;

	/*
	 * The preconditions read flags and stack only where the kernel will read
	 * them; a struct it cannot read goes to the kernel, which refuses it.
	 * When they fail, the kernel's own refusal of the struct comes first.
	 */
	if (size >= CK_CLONE3_SIZE_VER0 && size <= page && user_readable(at, PRECONDITION_BYTES, page)) {
		memset(&k, 0, sizeof(k));
		copy_user(&k, at, PRECONDITION_BYTES);
		if (!preconditions_hold(&k, fn)) {
			long e = clone3_refusal(at, size, page, &k);
			return (pid_t)(e ? e : -EINVAL);
		}
	}
	long r = ck__clone3(args, size, fn, arg);
	if (r != -ENOSYS)
		return (pid_t)r;
	return clone_fallback(at, size, page, fn, arg);
}
