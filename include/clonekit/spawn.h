/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit spawn: start a program the way posix_spawn does, with what
 * containers and sandboxes need around it — new namespaces, user-namespace
 * id maps, a hostname, a fresh /proc, time offsets, a cgroup, a pidfd,
 * die-with-parent, seccomp filters and a listener handed to the caller, a
 * hold before execve, and failures reported with the step that failed, its
 * errno and a sentence that explains it.
 */
#ifndef CLONEKIT_SPAWN_H
#define CLONEKIT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <clonekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How to start the child; built with the setters below, reusable for many spawns. */
struct ck_spawn_attr;

/* A new attribute set: no namespaces, fds 0-2 inherited, SIGCHLD at exit, PATH searched. */
CK_API struct ck_spawn_attr *ck_spawn_attr_new(void);
CK_API void ck_spawn_attr_free(struct ck_spawn_attr *attr);

/*
 * The namespaces the child gets: any of CK_CLONE_NEWUSER, NEWPID, NEWNET,
 * NEWNS, NEWUTS, NEWIPC, NEWCGROUP, NEWTIME. -EINVAL for any other bit.
 */
CK_API int ck_spawn_attr_set_namespaces(struct ck_spawn_attr *attr, uint64_t clone_flags);
/*
 * What parent and child keep sharing after execve: CK_CLONE_FS (root, cwd,
 * umask), CK_CLONE_IO, CK_CLONE_SYSVSEM; CK_CLONE_VM asks for the
 * CLONE_VM|CLONE_VFORK path (it is taken anyway when nothing needs the
 * child's own memory). -EINVAL for CK_CLONE_FILES and CK_CLONE_SIGHAND, which
 * execve ends, and for anything else.
 */
CK_API int ck_spawn_attr_set_share(struct ck_spawn_attr *attr, uint64_t clone_flags);

/*
 * User-namespace id maps, written by the parent (setgroups "deny" first
 * when the gid map needs it). Up to 340 ranges each, as the kernel allows.
 * map_root maps the caller's uid and gid to 0 inside; map_user to themselves.
 */
CK_API int ck_spawn_attr_add_uid_map(struct ck_spawn_attr *attr, uint32_t inside, uint32_t outside,
				     uint32_t count);
CK_API int ck_spawn_attr_add_gid_map(struct ck_spawn_attr *attr, uint32_t inside, uint32_t outside,
				     uint32_t count);
CK_API int ck_spawn_attr_map_root(struct ck_spawn_attr *attr);
CK_API int ck_spawn_attr_map_user(struct ck_spawn_attr *attr);

/* The hostname in a new UTS namespace (-EINVAL when longer than 64 bytes). */
CK_API int ck_spawn_attr_set_hostname(struct ck_spawn_attr *attr, const char *name);
/* Mount a fresh /proc (needs CK_CLONE_NEWPID and CK_CLONE_NEWNS). */
CK_API int ck_spawn_attr_set_mount_proc(struct ck_spawn_attr *attr, bool mount_proc);
/*
 * A clock offset in the new time namespace (needs CK_CLONE_NEWTIME):
 * clock is CLOCK_MONOTONIC or CLOCK_BOOTTIME. The child unshares the time
 * namespace, writes the offsets and enters it at execve (Linux 6.2+).
 */
CK_API int ck_spawn_attr_set_time_offset(struct ck_spawn_attr *attr, clockid_t clock, int64_t sec,
					 long nsec);
/* Start the child in this cgroup v2 directory (CLONE_INTO_CGROUP; opened now). */
CK_API int ck_spawn_attr_set_cgroup(struct ck_spawn_attr *attr, const char *dir);
/* The child's working directory. */
CK_API int ck_spawn_attr_set_cwd(struct ck_spawn_attr *attr, const char *dir);
/*
 * Give the child parent_fd as child_fd. Once any mapping is added, only the
 * mapped fds reach the program; without one, fds 0, 1 and 2 do. Every other
 * fd of the caller is closed at execve, whether or not it was O_CLOEXEC.
 */
CK_API int ck_spawn_attr_add_fd(struct ck_spawn_attr *attr, int parent_fd, int child_fd);
/*
 * Kill the child with sig when the caller's thread that spawned it dies
 * (PR_SET_PDEATHSIG), re-checking after setting it so a parent that died
 * meanwhile is not missed. 0 turns it off.
 */
CK_API int ck_spawn_attr_set_die_with_parent(struct ck_spawn_attr *attr, int sig);
/*
 * The exit signal the child is created with (default SIGCHLD; 0 for none).
 * It holds only until execve, which resets it to SIGCHLD (fs/exec.c
 * de_thread()): a program that started always signals SIGCHLD; a child that
 * ends before execve signals sig.
 */
CK_API int ck_spawn_attr_set_exit_signal(struct ck_spawn_attr *attr, int sig);
/* Search PATH for a file without '/' (default true). */
CK_API int ck_spawn_attr_set_search_path(struct ck_spawn_attr *attr, bool search);
/*
 * A hook run in the child after every namespace, fd and signal step, just
 * before the seccomp filters and execve. It must be async-signal-safe and
 * return 0 or a negative errno, which fails the spawn at step "pre-exec
 * hook".
 */
CK_API int ck_spawn_attr_set_pre_exec(struct ck_spawn_attr *attr, int (*hook)(void *data),
				      void *data);
/*
 * Every fd of the caller that is not close-on-exec reaches the program too,
 * as with posix_spawn (fd mappings still apply). Default false: only the
 * mapped fds, or 0, 1 and 2, reach it.
 */
CK_API int ck_spawn_attr_set_keep_fds(struct ck_spawn_attr *attr, bool keep);
/*
 * Hold the child just before execve — after every step, the seccomp filters
 * and the listener hand-off included — until ck_spawn_release(). ck_spawn()
 * then returns as soon as the child is held, so the caller can act on it
 * (ptrace, perf events, its cgroup, ...) before the program's first
 * instruction. A held child needs its own memory: not with CK_CLONE_VM
 * shared. If the caller frees the handle or exits while the child is held,
 * the child exits without executing the program.
 */
CK_API int ck_spawn_attr_set_hold(struct ck_spawn_attr *attr, bool hold);

/* ---- cgroup limits (sbx-res) ---- */

struct ck_child;

/*
 * Limits on a fresh cgroup clonekit makes for the child, under the cgroup
 * given by ck_spawn_attr_set_cgroup() or else the caller's own. 0 leaves a
 * limit unset (no limit). The cgroup is removed when the command ends
 * (ck_spawn_wait(), or ck_spawn_free()), after any process left in it is
 * killed. Extensible: set size to sizeof(struct ck_cgroup_limits).
 */
struct ck_cgroup_limits {
	size_t size;
	uint64_t memory_max;      /* bytes: memory.max (v1: memory.limit_in_bytes) */
	uint64_t memory_swap_max; /* bytes of swap: memory.swap.max (v1: memsw = memory_max + this) */
	uint64_t pids_max;        /* tasks: pids.max */
	uint64_t cpu_quota_us;    /* cpu.max's quota per period (v1: cpu.cfs_quota_us) */
	uint64_t cpu_period_us;   /* cpu.max's period; 0 with a quota: 100000 */
};

/* How a controller's limits reach the child on this host. */
enum ck_cgroup_mode {
	CK_CGROUP_V2 = 2, /* a cgroup v2 group, entered at birth with CLONE_INTO_CGROUP */
	CK_CGROUP_V1 = 1, /* a cgroup v1 group the child joins as its first step, before execve */
};

/*
 * Sets the limits (NULL or all 0: none). -EINVAL for an unknown nonzero
 * tail of a larger struct, a swap limit without a memory limit, a period
 * without a quota, or a quota or period out of the kernel's range
 * (1000..1000000 us for the period, quota >= 1000 us).
 */
CK_API int ck_spawn_attr_set_cgroup_limits(struct ck_spawn_attr *attr,
					   const struct ck_cgroup_limits *limits);
/*
 * The mode a limit of controller ("memory", "pids" or "cpu") gets on this
 * host for a group made under v2_parent (NULL: the caller's own cgroup):
 * CK_CGROUP_V2 where the controller is available there on cgroup v2, else
 * CK_CGROUP_V1 where a v1 hierarchy holds it; -ENOENT where neither does,
 * -EINVAL for another name.
 */
CK_API int ck_cgroup_mode(const char *controller, const char *v2_parent);
/*
 * The directory of the child's fresh cgroup that holds controller, into buf.
 * 0; -ENOENT when the spawn made none for it (or it was removed); -ERANGE
 * when buf is too small.
 */
CK_API int ck_spawn_cgroup_dir(const struct ck_child *child, const char *controller, char *buf,
			       size_t len);

/*
 * Why a spawn failed: the step, its errno, and a sentence naming the input
 * at fault and, where clonekit knows one, the fix. Extensible: set size to
 * sizeof(struct ck_spawn_error); a smaller (older) struct gets the fields
 * that fit it.
 */
struct ck_spawn_error {
	size_t size;          /* sizeof(struct ck_spawn_error), set by the caller */
	const char *step;     /* "clone3", "uid_map", "mount /proc", "execve", ... */
	int err;              /* the step's errno */
	bool in_child;        /* the step ran in the child */
	char message[512];    /* "execve ./run.sh: its interpreter /usr/bin/python4 (#! line) does not exist" */
	const char *rule;     /* the validator's rule that explains a clone3 failure
				 ("namespace-needs-cap-sys-admin"), else NULL */
};

/* A started child: its PID, its pidfd, and its end. */
struct ck_child;

/*
 * Starts file with argv and envp (NULL: the caller's environ). Returns 0 and
 * *child once the program runs — or, with ck_spawn_attr_set_hold() or a
 * seccomp listener, once the child is held before execve — or a negative
 * errno with *err (if not NULL) saying which step failed and why. A failure
 * leaves nothing behind: the child is killed and reaped, every fd the spawn
 * opened is closed.
 *   -EINVAL  inconsistent attributes (a hostname without CK_CLONE_NEWUTS,
 *            /proc without a new PID and mount namespace, overlapping id
 *            map ranges, a hold with CK_CLONE_VM shared, ...);
 *   -ENOENT, -EACCES, -ENOEXEC, ...  execve's errno (step "execve"); the
 *            message names a missing or unexecutable #! or ELF interpreter;
 *   any errno of the failing step; a clone3 failure carries the
 *            validator's explanation (err->rule).
 */
CK_API int ck_spawn(struct ck_child **child, const char *file, char *const argv[],
		    char *const envp[], const struct ck_spawn_attr *attr, struct ck_spawn_error *err);

/*
 * Lets a held child go on to execve; returns without waiting for execve's
 * outcome (ck_spawn_wait_exec). 0; -EINVAL when the child is not held;
 * -ESRCH when it has died meanwhile (killed while held).
 */
CK_API int ck_spawn_release(struct ck_child *child);
/*
 * After ck_spawn_release(): waits until the program runs (0) or execve has
 * failed (its negative errno, with *err, the child reaped). 0 at once for a
 * child that was never held. -EINVAL for a held child.
 */
CK_API int ck_spawn_wait_exec(struct ck_child *child, struct ck_spawn_error *err);
/*
 * After ck_spawn_release(): an fd that becomes readable once execve's
 * outcome is known (for poll or epoll; then ck_spawn_wait_exec() does not
 * block). -1 when there is nothing to wait for. Owned by child.
 */
CK_API int ck_spawn_exec_fd(const struct ck_child *child);
/*
 * The seccomp user-notification fd of the listener policy
 * (ck_spawn_attr_set_seccomp_listener), handed to the caller, who owns it
 * from then on (O_CLOEXEC). -ENOENT when there is none or it was taken.
 */
CK_API int ck_spawn_take_listener(struct ck_child *child);

CK_API pid_t ck_spawn_pid(const struct ck_child *child);
/* The child's pidfd, or -1 on kernels without CLONE_PIDFD. Owned by child. */
CK_API int ck_spawn_pidfd(const struct ck_child *child);
/* Whether the spawn took the CLONE_VM|CLONE_VFORK path. */
CK_API bool ck_spawn_used_vfork(const struct ck_child *child);
/*
 * Waits for the child to end; *status as waitpid() gives it. Through the
 * pidfd, or by PID where waitid(P_PIDFD) fails (before Linux 5.4, or refused
 * by a seccomp filter). 0, -ECHILD if it was already waited for, -EBUSY while
 * it is held (it would never end), or another negative errno.
 */
CK_API int ck_spawn_wait(struct ck_child *child, int *status);
/*
 * Sends sig through the pidfd (to the right process even after PID reuse),
 * or with kill() where pidfd_send_signal fails (a seccomp profile that
 * refuses it, valgrind, a kernel before 5.1): the PID names the child until
 * it is reaped, which is checked first. 0, -ESRCH once waited for, or
 * another negative errno (kill()'s when the pidfd was refused).
 */
CK_API int ck_spawn_signal(struct ck_child *child, int sig);
/* Releases the handle; a child not yet waited for (held or not) is killed and reaped. */
CK_API void ck_spawn_free(struct ck_child *child);

#ifdef __cplusplus
}
#endif

#endif
