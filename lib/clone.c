/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_clone (glibc's contract) and ck_clone3 (clone3 with a function entry and a clone fallback). */
#include <clonekit/clone.h>
#include <clonekit/flags.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

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

const char *ck_clone_args_need_clone3(const struct ck_clone_args *args, size_t size)
{
	if (!args)
		return "no arguments";
	if (args->flags & CK_CLONE_INTO_CGROUP)
		return "CLONE_INTO_CGROUP exists only in clone3";
	if (args->flags & CK_CLONE_CLEAR_SIGHAND)
		return "CLONE_CLEAR_SIGHAND exists only in clone3";
	if (args->flags >> 32)
		return "flags above bit 31 exist only in clone3";
	if (args->flags & CK_CLONE_NEWTIME)
		return "CLONE_NEWTIME exists only in clone3 (its bit is the exit signal's in clone)";
	if (args->flags & CK_CSIGNAL)
		return "flag bits 0-7 are the exit signal in clone";
	if (args->exit_signal > CK_CSIGNAL)
		return "an exit signal above 255 does not fit clone's signal byte";
	if (size >= offsetof(struct ck_clone_args, set_tid_size) + sizeof(uint64_t) &&
	    (args->set_tid || args->set_tid_size))
		return "set_tid exists only in clone3";
	if ((args->flags & CK_CLONE_PIDFD) && (args->flags & CK_CLONE_PARENT_SETTID))
		return "clone returns the pidfd through parent_tid, so CLONE_PIDFD and CLONE_PARENT_SETTID cannot both be used";
	return NULL;
}

/*
 * What clone3_args_valid() and copy_clone_args_from_user() refuse with EINVAL,
 * checked before falling back to clone, which would accept some of it: the
 * same arguments must fail the same way with and without clone3.
 */
static bool clone3_would_refuse(const struct ck_clone_args *args)
{
	const uint64_t known = UINT64_C(0xffffffff) | CK_CLONE_CLEAR_SIGHAND | CK_CLONE_INTO_CGROUP;
	if (args->flags & ~known)
		return false; /* unknown to this library: let need_clone3 say so */
	if (args->flags & (CK_CLONE_DETACHED | (CK_CSIGNAL & ~CK_CLONE_NEWTIME)))
		return true;
	if ((args->flags & (CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND)) ==
	    (CK_CLONE_SIGHAND | CK_CLONE_CLEAR_SIGHAND))
		return true;
	if ((args->flags & (CK_CLONE_THREAD | CK_CLONE_PARENT)) && args->exit_signal)
		return true;
	return args->exit_signal > 64;
}

pid_t ck_clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg)
{
	if (!args || size < CK_CLONE3_SIZE_VER0)
		return -EINVAL;
	/* parent and child would run on one stack */
	if ((args->flags & CK_CLONE_VM) && !args->stack)
		return -EINVAL;
	/* a fork-like child returns through the caller's frames: it needs their copy */
	if (!fn && args->stack)
		return -EINVAL;
	if (args->stack && !args->stack_size)
		return -EINVAL;

	long r = ck__clone3(args, size, fn, arg);
	if (r != -ENOSYS)
		return (pid_t)r;
	if (clone3_would_refuse(args))
		return -EINVAL;
	if (ck_clone_args_need_clone3(args, size))
		return -ENOSYS;

	/* the same call through legacy clone, whose stack argument is the top */
	void *top = args->stack ? (void *)(uintptr_t)(args->stack + args->stack_size) : NULL;
	pid_t *ptid = (pid_t *)(uintptr_t)((args->flags & CK_CLONE_PIDFD) ? args->pidfd : args->parent_tid);
	r = ck__clone(fn, top, args->flags | args->exit_signal, arg, ptid,
		      (void *)(uintptr_t)args->tls, (pid_t *)(uintptr_t)args->child_tid);
	return (pid_t)r;
}
