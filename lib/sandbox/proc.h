/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process state in the launcher (issue 14, sbx-proc): the child-side steps
 * (system calls only: they run in a child that may share the caller's
 * memory) and the parent-side preparation that ck__launch calls.
 */
#ifndef CK_SANDBOX_PROC_H
#define CK_SANDBOX_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal/spawn.h"
#include "internal/util.h"

/* ---- capabilities (caps.c) ---- */

/* The running kernel's last capability (/proc/sys/kernel/cap_last_cap), CAP_LAST_CAP if unreadable. */
int ck__cap_last(void) CK_HIDDEN;
/*
 * In the child: cuts the bounding set to bounding (when cut_bounding), then
 * sets effective, permitted and inheritable to keep and raises keep in the
 * ambient set (when set_sets). 0 or -errno.
 */
CK_CHILD_CODE int ck__caps_apply(bool cut_bounding, uint64_t bounding, bool set_sets, uint64_t keep,
				 int last_cap) CK_HIDDEN;
/* In the child: every set empty (the init keeps nothing). 0 or -errno. */
CK_CHILD_CODE int ck__caps_clear(void) CK_HIDDEN;

/* ---- PID 1 (init.c) ---- */

/*
 * In the child: forks the program's process. 0 in the program's process,
 * its pid in the caller's (which is to become the init), -errno when the
 * fork fails.
 */
CK_CHILD_CODE pid_t ck__init_fork(void) CK_HIDDEN;
/*
 * In the child: the program's process with CLONE_VM|CLONE_VFORK, running
 * fn(arg) on [stack, stack+size), which must end in execve or _exit (it
 * shares the caller's memory); the caller sleeps until then. Its pid in
 * the caller, or -errno.
 */
CK_CHILD_CODE pid_t ck__init_vfork(int (*fn)(void *), void *arg, void *stack, size_t size) CK_HIDDEN;
/*
 * The init's loop in the caller of ck__init_fork or ck__init_vfork: closes ctl (the
 * control socket, or -1) and every fd above 2 but report (kept as fd 3),
 * then reaps, forwards signals to program and exits with its status, after
 * writing it (an int) to report (or -1): the parent need not wait for the
 * init's exit to learn it. The caller has dropped what the init must not
 * keep (capabilities) and loaded its filters.
 */
CK_CHILD_CODE _Noreturn void ck__init_run(pid_t program, int ctl, int report) CK_HIDDEN;

/* ---- network (net.c) ---- */

/* In the child: lo up (and 127.0.0.1/8 on it) in the new network namespace. 0 or -errno. */
CK_CHILD_CODE int ck__loopback_up(void) CK_HIDDEN;
/* The same over fd, a NETLINK_ROUTE socket of the namespace's: 0 or -errno. */
CK_CHILD_CODE int ck__loopback_up_on(int fd) CK_HIDDEN;

/* ---- user namespaces (idmap.c) ---- */

/* Opened before the mounts change /proc: what disabling user namespaces writes through. */
struct ck__userns_fds {
	int sysctl;   /* /proc/sys/user/max_user_namespaces, O_WRONLY */
	int self;     /* /proc/self, O_PATH */
};
CK_CHILD_CODE int ck__userns_fds_open(struct ck__userns_fds *f) CK_HIDDEN;
/* Limits user namespaces to one more, enters it with the same ids; closes f. 0 or -errno. */
CK_CHILD_CODE int ck__userns_disable(struct ck__userns_fds *f) CK_HIDDEN;
/* Whether the child can still create a user namespace (it then sits in it). */
CK_CHILD_CODE bool ck__userns_still_allowed(void) CK_HIDDEN;
/*
 * In the parent: writes pid's uid_map (uid) or gid_map through newuidmap /
 * newgidmap. 0, or -errno with the helper's message in why.
 */
int ck__idmap_helper(pid_t pid, bool uid, const struct ck__idmap *m, size_t n, char *why,
		     size_t why_len) CK_HIDDEN;
/* The id inside that the caller's own maps to (map_root, map_user, map_ids). */
uint32_t ck__self_inside(const struct ck_spawn_attr *a, bool uid) CK_HIDDEN;

/* ---- resource limits (rlimit.c) ---- */

/* In the child: every limit of a; the failing one's resource in *failed. 0 or -errno. */
CK_CHILD_CODE int ck__rlimits_apply(const struct ck_spawn_attr *a, int *failed) CK_HIDDEN;

/* ---- environment (env.c) ---- */

/*
 * In the parent: base changed by a's operations, as a NULL-terminated array
 * (one allocation: free() it). NULL with errno ENOMEM.
 */
char **ck__env_build(const struct ck_spawn_attr *a, char *const *base) CK_HIDDEN;
void ck__envops_free(struct ck_spawn_attr *a) CK_HIDDEN;

#endif
