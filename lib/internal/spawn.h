/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What other modules may set on a ck_spawn_attr. */
#ifndef CK_INTERNAL_SPAWN_H
#define CK_INTERNAL_SPAWN_H

#include <stddef.h>

#include <clonekit/spawn.h>

/*
 * Gives attr a compiled seccomp filter (struct sock_filter[], len bytes; the
 * attribute set takes ownership, NULL removes it): the child loads it with
 * no_new_privs as its last step before execve.
 */
int ck__spawn_attr_take_filter(struct ck_spawn_attr *attr, void *bpf, size_t len)
	__attribute__((visibility("hidden")));

#endif
