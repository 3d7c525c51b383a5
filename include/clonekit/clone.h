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
 * returns 0 from ck_clone3 instead, like fork() (then args->flags must not
 * contain CLONE_VM, which would let parent and child share one stack).
 *
 * When the kernel or a seccomp filter answers ENOSYS and the arguments fit
 * legacy clone, it falls back to clone transparently; arguments clone3 itself
 * refuses (CLONE_DETACHED, an exit signal above 64, an exit signal with
 * CLONE_THREAD or CLONE_PARENT, ...) fail with -EINVAL either way.
 *
 * Returns the child's TID in the parent (0 in a fork-like child), or a
 * negative errno:
 *   -EINVAL  size is below 64; CLONE_VM without a stack; a stack without
 *            a size; the kernel's own EINVAL;
 *   -ENOSYS  no clone3, and the arguments need it (CLONE_INTO_CGROUP,
 *            set_tid, CLONE_CLEAR_SIGHAND, CLONE_NEWTIME, flags above bit 31,
 *            an exit signal above 255, or CLONE_PIDFD with
 *            CLONE_PARENT_SETTID); ck_clone_args_need_clone3() names which;
 *   any other errno the kernel returns.
 */
CK_API pid_t ck_clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg);

/*
 * Why these arguments cannot be expressed with legacy clone: a sentence such
 * as "CLONE_INTO_CGROUP exists only in clone3", or NULL when they can.
 */
CK_API const char *ck_clone_args_need_clone3(const struct ck_clone_args *args, size_t size);

#ifdef __cplusplus
}
#endif

#endif
