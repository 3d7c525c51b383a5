/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The child's fresh cgroup(s) with limits (lib/sandbox/cgroup.c): one v2
 * group entered with CLONE_INTO_CGROUP for the controllers cgroup v2 holds,
 * one v1 group per hierarchy for the others, joined by the child itself.
 */
#ifndef CK_SANDBOX_CGROUP_H
#define CK_SANDBOX_CGROUP_H

#include <stddef.h>

#include "internal/spawn.h"

#define CK__CG_MEMORY 1u
#define CK__CG_PIDS 2u
#define CK__CG_CPU 4u
#define CK__CG_GROUPS 4 /* v2 and up to three v1 hierarchies */

struct ck__cgroup_group {
	char *dir;          /* for messages and ck_spawn_cgroup_dir */
	int parent_fd;      /* the directory it was made in */
	char name[48];
	unsigned controllers;
	bool v2;
	int procs_fd;       /* v1: its cgroup.procs, written "0" by the child; else -1 */
	int dir_fd;         /* v2: for CLONE_INTO_CGROUP; else -1 */
};

struct ck__cgroups {
	struct ck__cgroup_group g[CK__CG_GROUPS];
	size_t n;
};

/* Whether the attribute set asks for limits. */
bool ck__cgroup_wanted(const struct ck_spawn_attr *a) CK_HIDDEN;
/*
 * Makes the groups and writes the limits: 0 with *out (heap), or -errno with
 * a sentence in why naming the file and what failed; nothing left behind.
 */
int ck__cgroups_create(const struct ck_spawn_attr *a, struct ck__cgroups **out, char *why,
		       size_t len) CK_HIDDEN;
/* The v2 group's fd for CLONE_INTO_CGROUP, or -1. */
int ck__cgroups_v2_fd(const struct ck__cgroups *cg) CK_HIDDEN;
/* Closes the fds only the launch needs (the v1 cgroup.procs). */
void ck__cgroups_launched(struct ck__cgroups *cg) CK_HIDDEN;
/*
 * Frees cg (NULL is fine); with remove, first kills what is left in the
 * groups and removes them, else leaves the directories as they are.
 */
void ck__cgroups_close(struct ck__cgroups *cg, bool remove) CK_HIDDEN;

#endif
