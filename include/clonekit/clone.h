/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit clone: clone() with glibc's contract and clone3() with a function
 * entry, both in per-architecture assembly (x86_64, i386, aarch64).
 */
#ifndef CLONEKIT_CLONE_H
#define CLONEKIT_CLONE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * glibc's clone(): creates a child that runs fn(arg) on stack (the highest
 * address of the child's stack; it is aligned down to 16 bytes) and exits
 * with fn's return value through the exit syscall (not exit_group, so a
 * CLONE_THREAD child ends only itself). flags is the CLONE_* set ORed with
 * the signal the parent receives at the child's exit. The variadic arguments
 * are pid_t *parent_tid, void *tls and pid_t *child_tid, in that order, read
 * only when flags need them (as glibc and musl do).
 *
 * Returns the child's TID in the parent; -1 with errno set on failure:
 * EINVAL for a NULL fn or a NULL stack (as glibc), otherwise the kernel's
 * errno. Unlike the rest of the library, this one follows glibc's contract,
 * so that `#define clone ck_clone` works unchanged.
 *
 * In a CLONE_VM child without CLONE_SETTLS, fn shares the caller's
 * thread-local storage (errno included), as with glibc's clone().
 */
CK_API int ck_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);

/* clone3()'s argument struct, as in <linux/sched.h>. */
#define CK_CLONE3_SIZE_VER0 64 /* up to tls */
#define CK_CLONE3_SIZE_VER1 80 /* up to set_tid_size */
#define CK_CLONE3_SIZE_VER2 88 /* up to cgroup: sizeof(struct ck_clone_args) */
struct ck_clone_args {
	uint64_t flags;
	uint64_t pidfd;       /* int *: where CLONE_PIDFD stores the pidfd */
	uint64_t child_tid;   /* pid_t *: CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID */
	uint64_t parent_tid;  /* pid_t *: CLONE_PARENT_SETTID */
	uint64_t exit_signal;
	uint64_t stack;       /* lowest address of the child's stack, or 0 */
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;     /* pid_t *: PIDs to ask for, innermost namespace first */
	uint64_t set_tid_size;
	uint64_t cgroup;      /* with CLONE_INTO_CGROUP: a cgroup v2 directory fd */
};

/*
 * clone3() with a function entry: the child runs fn(arg) — on the new stack
 * when args->stack is set, on its copy of the caller's stack otherwise — and
 * exits with fn's return value. A NULL fn makes it fork-like: the child
 * returns 0 from ck_clone3 instead, like fork().
 *
 * ck_clone3 returns what the kernel's clone3(args, size) returns, for any
 * args and size, with two exceptions (below). It reads only bytes of args
 * that the kernel reads too, and never faults on them: a struct that cannot
 * be read gives -EFAULT, as from the kernel.
 *
 * When clone3 answers ENOSYS (a kernel before 5.3, or a seccomp profile such
 * as Docker's), the call goes through legacy clone, after the checks clone3
 * itself makes, in its order (copy_clone_args_from_user, clone3_args_valid,
 * kernel_clone's pidfd check), so that the same struct fails the same way:
 * a size above a page or a nonzero byte past the 88 bytes of struct
 * ck_clone_args is E2BIG, an unreadable struct or set_tid array is EFAULT,
 * and so on. These checks are clone3's as of Linux 6.18 (CLONE_NEWTIME
 * accepted, as since 6.3).
 *
 * The exceptions, where ck_clone3 answers and the kernel might not:
 *   - clonekit's preconditions: CLONE_VM without a stack (parent and child
 *     would run on one stack) and a stack without fn (a fork-like child
 *     returns through frames that exist only on the caller's stack) give
 *     -EINVAL for structs that clone3's argument checks accept — where the
 *     kernel would have created a child, or failed later in copy_process
 *     with its own errno (EPERM for a namespace, for instance). A struct
 *     those checks refuse gets the kernel's errno first.
 *   - without clone3, a struct that passes clone3's argument checks but that
 *     legacy clone cannot express gives -ENOSYS, where the kernel's clone3
 *     would have gone on: CLONE_INTO_CGROUP, CLONE_CLEAR_SIGHAND,
 *     CLONE_NEWTIME, set_tid, CLONE_PIDFD with CLONE_PARENT_SETTID at two
 *     addresses, and in a 32-bit program a pointer or a stack end above
 *     4 GiB. ck_clone_args_need_clone3() names which.
 * And where the fallback can only approximate the kernel: the end of user
 * space, which bounds the stack, is read from /proc/cpuinfo (la57) on
 * x86_64 and assumed 2^48 on aarch64 (a tagged stack address is refused);
 * a 32-bit program does not know it, so on a 32-bit kernel a stack past
 * 3 GiB is not refused (its child faults). Memory another thread unmaps
 * during the call can still fault, and so can an unreadable struct under a
 * seccomp profile that refuses futex.
 *
 * Cost: with clone3 available, ck_clone3 asks the kernel once whether the
 * page holding args is readable (a futex call) before reading flags and
 * stack for its preconditions.
 *
 * Returns the child's TID in the parent (0 in a fork-like child), or a
 * negative errno:
 *   -EINVAL  size below 64; flags, exit_signal, stack, set_tid or cgroup
 *            clone3 refuses; clonekit's preconditions (above);
 *   -E2BIG   size above a page, or a nonzero byte past the 88 bytes clonekit
 *            knows (sizeof(struct ck_clone_args));
 *   -EFAULT  args (size bytes) or the set_tid array cannot be read;
 *   -ENOSYS  no clone3, and the arguments need it (above);
 *   any other errno the kernel returns.
 */
CK_API pid_t ck_clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg);

/*
 * Why these arguments cannot be expressed with legacy clone: a sentence such
 * as "CLONE_INTO_CGROUP exists only in clone3", or NULL when they can. It
 * reads min(size, 88) bytes of args (the rest counts as zero) and judges
 * them as they are: whether clone3 accepts them is ck_clone3's question.
 */
CK_API const char *ck_clone_args_need_clone3(const struct ck_clone_args *args, size_t size);

#ifdef __cplusplus
}
#endif

#endif
