/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Looks at the live system for the validator: PIDs, cgroup fds, address limits. */
#ifndef CK_INTERNAL_LIVE_H
#define CK_INTERNAL_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first address above user space on this architecture (TASK_SIZE_MAX), 0 if unknown. */
uint64_t ck_user_addr_max(void);
bool ck_arch_native_is_x86_64(void);

/* Whether a PID in the caller's PID namespace belongs to a task (zombies too). */
bool ck_pid_in_use(int pid);
/*
 * Whether a PID is taken in the PID namespace ns_link names (a /proc/.../ns
 * link): some visible task of that namespace has it as its innermost PID.
 * pid 0 asks whether the namespace has any visible task at all.
 */
bool ck_pid_in_use_in_pidns(const char *ns_link, int pid);

enum ck_cgroup_fd_kind {
	CK_CGROUP_FD_OK,          /* an open cgroup v2 directory */
	CK_CGROUP_FD_BAD,         /* not an open fd */
	CK_CGROUP_FD_NOT_CGROUP2, /* open, but not a cgroup v2 directory */
};
enum ck_cgroup_fd_kind ck_cgroup_fd_probe(int fd);
/* May the caller write the cgroup's cgroup.procs? */
bool ck_cgroup_fd_writable(int fd);
/* cgroup.type reads "domain invalid". */
bool ck_cgroup_fd_domain_invalid(int fd);
/* A non-root domain cgroup enabling a domain (non-threaded) controller for its children. */
bool ck_cgroup_fd_has_domain_controllers(int fd);
/* The fd is the cgroup the caller itself is in. */
bool ck_cgroup_fd_is_own(int fd);

/* The mount point of the cgroup v2 hierarchy into buf; 0 or -errno. */
int ck_cgroup2_mount(char *buf, size_t len);

#endif
