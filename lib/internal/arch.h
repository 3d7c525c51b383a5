/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-architecture trampolines in lib/arch/<arch>/clone.S. */
#ifndef CK_INTERNAL_ARCH_H
#define CK_INTERNAL_ARCH_H

#include <sys/types.h>

#include <clonekit/clone.h>

/* Raw clone: the child's TID or -errno; the child runs fn(arg), or returns 0 if fn is NULL. */
long ck__clone(int (*fn)(void *), void *stack, unsigned long flags, void *arg, pid_t *ptid,
	       void *tls, pid_t *ctid) __attribute__((visibility("hidden")));
/* Raw clone3 with the same child entry. */
long ck__clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg)
	__attribute__((visibility("hidden")));

#endif
