/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-architecture layer: the trampolines in lib/arch/<arch>/clone.S, and the user address limit. */
#ifndef CK_INTERNAL_ARCH_H
#define CK_INTERNAL_ARCH_H

#include <stdint.h>
#include <sys/types.h>

#include <clonekit/clone.h>

/* Raw clone: the child's TID or -errno; the child runs fn(arg), or returns 0 if fn is NULL. */
long ck__clone(int (*fn)(void *), void *stack, unsigned long flags, void *arg, pid_t *ptid,
	       void *tls, pid_t *ctid) __attribute__((visibility("hidden")));
/* Raw clone3 with the same child entry. */
long ck__clone3(struct ck_clone_args *args, size_t size, int (*fn)(void *), void *arg)
	__attribute__((visibility("hidden")));

/*
 * The first address above user space (TASK_SIZE_MAX), which the kernel's
 * access_ok() takes as the limit: 2^47 - 4096 on x86_64 (2^56 - 4096 with
 * 5-level paging), 2^48 on aarch64; 0 when unknown (32-bit builds).
 */
uint64_t ck__user_addr_max(void) __attribute__((visibility("hidden")));

#endif
