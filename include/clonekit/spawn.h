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
 * Maps without the caller's euid/egid (a privileged caller's): the child
 * takes inside 0 (or the first map's id) once they are written, so that it
 * is not left with the caller's ids outside (sbx-res2).
 */
CK_API int ck_spawn_attr_add_uid_map(struct ck_spawn_attr *attr, uint32_t inside, uint32_t outside,
				     uint32_t count);
CK_API int ck_spawn_attr_add_gid_map(struct ck_spawn_attr *attr, uint32_t inside, uint32_t outside,
				     uint32_t count);
CK_API int ck_spawn_attr_map_root(struct ck_spawn_attr *attr);
/*
 * The child becomes uid and gid, with no supplementary groups (setgroups,
 * setresgid, setresuid as raw calls, in the namespaces it ends up in),
 * after every namespace and fd step and the rlimits and bounding set, and
 * before the init (which runs as them too), the pre-exec hook, the
 * capability sets (ck_spawn_attr_set_caps keeps its set across the switch)
 * and the seccomp filters. It needs CAP_SETUID and CAP_SETGID there: the spawn
 * fails at step "set the user" with their errno otherwise (EPERM).
 * -EINVAL for (uid_t)-1 or (gid_t)-1.
 */
CK_API int ck_spawn_attr_set_user(struct ck_spawn_attr *attr, uid_t uid, gid_t gid);
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

/* ---- mounts: a new root built in the child, as bubblewrap 0.8 builds it ---- */

/*
 * One operation of the mount list. The child, in its new mount namespace
 * (CK_CLONE_NEWNS is required), makes / a slave of the caller's mounts
 * (mounts propagate in, never out), mounts a tmpfs as the new root, applies
 * the operations in the order they were added — host paths (source) are
 * read in the caller's tree, dest is a path in the new root, its missing
 * parent directories are made 0755 (less for a mode of CK_MOUNT_PERMS that
 * denies group or others) — then pivot_roots into the new root and detaches
 * the caller's tree. Every bind is recursive and nosuid, nodev unless
 * CK_MOUNT_DEV_BIND; other mount flags (noexec, atime) are kept from the
 * source mounts.
 */
enum ck_mount_type {
	CK_MOUNT_BIND = 1,     /* source on dest (bwrap --bind) */
	CK_MOUNT_RO_BIND,      /* the same, read-only (--ro-bind) */
	CK_MOUNT_DEV_BIND,     /* the same, devices usable (--dev-bind) */
	CK_MOUNT_BIND_FD,      /* the file or directory open as fd on dest (--bind-fd) */
	CK_MOUNT_RO_BIND_FD,   /* the same, read-only (--ro-bind-fd) */
	CK_MOUNT_REMOUNT_RO,   /* the mount at dest read-only, nosuid, nodev; not its submounts (--remount-ro) */
	CK_MOUNT_PROC,         /* a new proc (the caller's, bound, without CK_CLONE_NEWPID); sys,
				  sysrq-trigger, irq and bus covered read-only where writable (--proc) */
	CK_MOUNT_DEV,          /* a tmpfs with null zero full random urandom tty bound from the host,
				  stdin stdout stderr fd core symlinks, shm/, pts/ (a new devpts
				  instance), ptmx -> pts/ptmx, console when fd 1 is a tty (--dev) */
	CK_MOUNT_TMPFS,        /* a tmpfs, mode perms (0755), size tmpfs_size (0: the default) (--tmpfs) */
	CK_MOUNT_MQUEUE,       /* a POSIX message queue file system (--mqueue) */
	CK_MOUNT_DIR,          /* a directory, mode perms (0755) unless it exists (--dir) */
	CK_MOUNT_FILE,         /* a file with fd's data, mode perms (0666) (--file) */
	CK_MOUNT_BIND_DATA,    /* a file with fd's data bound on dest, mode perms (0600) (--bind-data) */
	CK_MOUNT_RO_BIND_DATA, /* the same, read-only (--ro-bind-data) */
	CK_MOUNT_SYMLINK,      /* a symlink at dest whose target is source (--symlink) */
	CK_MOUNT_CHMOD,        /* chmod of an existing dest to perms; CK_MOUNT_PERMS required (--chmod) */
};

#define CK_MOUNT_TRY   0x1u /* binds by path: a source that does not exist is skipped (--*-bind-try) */
#define CK_MOUNT_PERMS 0x2u /* perms is given (--perms): tmpfs, dir, file, bind-data, chmod */

/* Extensible: set size to sizeof(struct ck_mount); bytes past what this version knows must be 0. */
struct ck_mount {
	size_t size;
	enum ck_mount_type type;
	unsigned flags;        /* CK_MOUNT_TRY, CK_MOUNT_PERMS */
	const char *source;    /* binds: a host path; symlink: the link's target */
	const char *dest;      /* the path in the new root */
	int fd;                /* bind-fd, file, bind-data: the caller's fd (duplicated now) */
	int perms;             /* with CK_MOUNT_PERMS: a mode up to 07777 */
	uint64_t tmpfs_size;   /* tmpfs: its size in bytes, 0 for the kernel's default */
};

/*
 * Appends an operation to the mount list (which asks for a new root). The
 * strings are copied and fd is duplicated (close-on-exec; the child reads
 * the data from the fd's position at each spawn). 0; -EINVAL for a NULL or
 * empty dest, a missing source or fd, a flag or size the type does not
 * take, perms above 07777, an unknown type, a bad size; -EBADF for an fd
 * that is not open; -ENAMETOOLONG for a path of PATH_MAX bytes or more;
 * -ENOMEM. A failure in the child fails the spawn at step "mounts", its
 * message naming the operation, the call, the path and the errno; the
 * caller's mount table is left as it was.
 */
CK_API int ck_spawn_attr_add_mount(struct ck_spawn_attr *attr, const struct ck_mount *mount);
/*
 * A new root even with no operation (an empty tmpfs: bwrap with no mount
 * option). false drops the list. With a new root, ck_spawn_attr_set_mount_proc
 * mounts /proc in it after the list, and the child starts in the caller's
 * cwd if the new root has it, else in $HOME (the caller's), else in /,
 * unless ck_spawn_attr_set_cwd names a directory (in the new root).
 */
CK_API int ck_spawn_attr_set_new_root(struct ck_spawn_attr *attr, bool new_root);

/* ---- status for supervisors (bubblewrap's --info-fd, --json-status-fd, --block-fd, --userns-block-fd) ---- */
/*
 * Once the child exists, before it runs any other step, the launcher writes
 * to fd bwrap's info document: {"child-pid": N} and the inode of each of the
 * child's namespaces as "cgroup-namespace", "ipc-namespace", "mnt-namespace",
 * "net-namespace", "pid-namespace", "uts-namespace" (mnt always, the others
 * when new), one member a line as bwrap 0.8 writes it — then closes fd, as
 * bwrap does, so that a reader sees the document end before the child goes
 * on. The attribute set takes fd (ck_spawn_attr_free closes it if no spawn
 * did); it serves one spawn: the next fails with -EBADF (step "write the
 * info fd") unless a new fd is set. -1 turns it off; -EINVAL for another
 * negative fd. A failed write fails the spawn.
 */
CK_API int ck_spawn_attr_set_info_fd(struct ck_spawn_attr *attr, int fd);
/*
 * The same document on one line to fd (bwrap's --json-status-fd), and once
 * the program has run and ck_spawn_wait() has seen it end, a second one:
 * {"exit-code": N}, N the exit status or 128+signal. A dup of fd stays open
 * in the child handle until then; the caller keeps fd.
 */
CK_API int ck_spawn_attr_set_json_status_fd(struct ck_spawn_attr *attr, int fd);
/*
 * After every other setup step, just before the seccomp filters, the child
 * reads one byte from fd (the fd as the child has it, after the fd
 * mappings) and closes it; data or EOF let it go on (bwrap's --block-fd).
 */
CK_API int ck_spawn_attr_set_block_fd(struct ck_spawn_attr *attr, int fd);
/*
 * After writing the info document, the launcher reads one byte from fd
 * before the child goes on, and writes no id maps: whoever writes to fd
 * writes them (bwrap's --userns-block-fd). Needs CK_CLONE_NEWUSER, an info
 * fd and no maps set here (ck_spawn() fails with -EINVAL otherwise).
 */
CK_API int ck_spawn_attr_set_userns_block_fd(struct ck_spawn_attr *attr, int fd);
/* ---- process state (issue 14, sbx-proc): capabilities, privileges, ids, environment, session, PID 1, network, limits ---- */

/*
 * Capabilities as bubblewrap leaves them: the program runs with exactly
 * keep (bit n is capability n, CAP_CHOWN = bit 0) as its effective,
 * permitted, inheritable and ambient sets, so they survive execve for any
 * uid. In a new user namespace, where the child starts with a full bounding
 * set, the bounding set is cut to keep too; outside one it is left as it is
 * (no_new_privs keeps execve from regaining what was dropped). Bits above
 * the running kernel's last capability are ignored (UINT64_MAX: all, which
 * a child in a new user namespace holds).
 * For uid 0 execve recomputes the sets from the bounding set unless
 * no_new_privs is on (bwrap always sets it: ck_spawn_attr_set_no_new_privs).
 * Without this call the child keeps what the kernel gives it. A capability
 * the child does not hold cannot be kept: the spawn fails at step
 * "capabilities" with EPERM (bwrap as root ignores that EPERM and leaves
 * every capability in place; clonekit refuses).
 */
CK_API int ck_spawn_attr_set_caps(struct ck_spawn_attr *attr, uint64_t keep);
/*
 * Cut the bounding set to bounding, in any namespace, and leave the other
 * sets alone unless ck_spawn_attr_set_caps asks too (bwrap as root in a new
 * user namespace without --cap-add/--cap-drop does just this).
 */
CK_API int ck_spawn_attr_set_cap_bounding(struct ck_spawn_attr *attr, uint64_t bounding);
/*
 * The capability named name: "CAP_SYS_ADMIN", "cap_sys_admin", "SYS_ADMIN"
 * or a number up to 63. -EINVAL for anything else.
 */
CK_API int ck_cap_from_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; NULL for a number without a name. */
CK_API const char *ck_cap_name(int cap);
/* The caller's effective set into *caps (capget): 0 or -errno. */
CK_API int ck_caps_effective(uint64_t *caps);

/* PR_SET_NO_NEW_PRIVS in the child before execve (default off; bwrap always sets it). */
CK_API int ck_spawn_attr_set_no_new_privs(struct ck_spawn_attr *attr, bool on);

/*
 * In the new user namespace the caller's euid and egid appear as uid and
 * gid (one-line maps "uid EUID 1" and "gid EGID 1", setgroups denied): the
 * program runs as uid/gid there, as bwrap's --uid/--gid. map_root is
 * map_ids(0, 0), map_user the caller's own ids. -EINVAL for (uid_t)-1 or
 * (gid_t)-1.
 */
CK_API int ck_spawn_attr_map_ids(struct ck_spawn_attr *attr, uid_t uid, gid_t gid);
/*
 * Maps as podman and unshare --map-auto --map-root-user make them: 0 is the
 * caller, 1 onwards its subordinate ranges from /etc/subuid and
 * /etc/subgid (by user name or number), in file order. Maps with more than
 * the caller's own id are written through newuidmap(1) and newgidmap(1)
 * (Debian's uidmap package) when the caller lacks CAP_SETUID / CAP_SETGID;
 * setgroups stays allowed then. -ENOENT when the caller has no range in a
 * file (or the file is missing), -E2BIG for more than 339 ranges, -errno
 * of reading the files; -ELIBACC in a static clonekit whose libc.so.6 is not
 * the build it was linked with (glibc's NSS modules cannot be loaded).
 */
CK_API int ck_spawn_attr_map_subids(struct ck_spawn_attr *attr);

/*
 * The program's environment, made from the envp ck_spawn is given (or the
 * caller's environ) by these operations in the order they were added:
 * clear_env empties it, setenv sets name (replacing it), unsetenv removes
 * it. -EINVAL for a NULL or empty name or one with '=', -ENOMEM.
 */
CK_API int ck_spawn_attr_clear_env(struct ck_spawn_attr *attr);
CK_API int ck_spawn_attr_setenv(struct ck_spawn_attr *attr, const char *name, const char *value);
CK_API int ck_spawn_attr_unsetenv(struct ck_spawn_attr *attr, const char *name);

/*
 * setsid() in the child: a new session without a controlling terminal, so
 * the program cannot push input into the caller's (TIOCSTI). With an init
 * (below), init leads the session and the program is in it, as in bwrap.
 */
CK_API int ck_spawn_attr_set_new_session(struct ck_spawn_attr *attr, bool on);

/*
 * A small init as PID 1 of the new PID namespace (needs CK_CLONE_NEWPID),
 * with the program as its child (PID 2): it reaps every process that ends
 * in the namespace, forwards every signal it gets (except SIGCHLD, and
 * SIGKILL/SIGSTOP, which cannot be caught) to the program, and when the
 * program ends exits with its exit code, or 128+N when signal N killed it
 * (the namespace's other processes are then killed by the kernel). It keeps
 * fds 0-2 only and drops every capability. ck_spawn_pid() is the init's.
 * Default off: the program itself is PID 1 (bwrap's --as-pid-1).
 */
CK_API int ck_spawn_attr_set_init(struct ck_spawn_attr *attr, bool on);

/*
 * In a new network namespace, loopback is brought up with 127.0.0.1/8 and
 * ::1 (rtnetlink) before the program starts, as bwrap does. Default on;
 * off leaves lo down as the kernel creates it.
 */
CK_API int ck_spawn_attr_set_loopback(struct ck_spawn_attr *attr, bool on);

/*
 * bwrap's --disable-userns (needs CK_CLONE_NEWUSER): the child sets
 * user.max_user_namespaces to 1 in its user namespace and enters a nested
 * one (mapping its uid and gid to themselves), so neither the program nor
 * anything it starts can create a user namespace, and it cannot lift the
 * limit. assert: the spawn fails at step "assert user namespaces disabled"
 * with EEXIST if the child can still create one.
 */
CK_API int ck_spawn_attr_set_disable_userns(struct ck_spawn_attr *attr, bool on);
CK_API int ck_spawn_attr_set_assert_userns_disabled(struct ck_spawn_attr *attr, bool on);

/*
 * A resource limit for the child (RLIMIT_NOFILE, ...; CK_RLIM_INFINITY for
 * none), set before capabilities are dropped. Raising a hard limit needs
 * CAP_SYS_RESOURCE in the initial user namespace: step "rlimit", EPERM.
 * -EINVAL for an unknown resource or soft above hard. Setting a resource
 * again replaces it.
 */
#define CK_RLIM_INFINITY UINT64_MAX
CK_API int ck_spawn_attr_set_rlimit(struct ck_spawn_attr *attr, int resource, uint64_t soft,
				    uint64_t hard);
/*
 * Parses "NAME=SOFT[:HARD]" (NAME as in RLIMIT_NAME, with or without the
 * prefix, any case; a value is a number or "unlimited"/"infinity"; HARD
 * defaults to SOFT, as prlimit(1)). 0, or -EINVAL with a sentence in why
 * (if not NULL) naming the part that is wrong.
 */
CK_API int ck_rlimit_parse(const char *text, int *resource, uint64_t *soft, uint64_t *hard,
			   char *why, size_t why_len);
/* "NOFILE" for RLIMIT_NOFILE; NULL for an unknown resource. */
CK_API const char *ck_rlimit_name(int resource);
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
	uint64_t memory_swap_max; /* bytes of swap: memory.swap.max (v1: memsw = memory_max + this);
				   * with memory_max, 0 is no swap and CK_CGROUP_UNLIMITED none of its own limit */
	uint64_t pids_max;        /* tasks: pids.max */
	uint64_t cpu_quota_us;    /* cpu.max's quota per period (v1: cpu.cfs_quota_us) */
	uint64_t cpu_period_us;   /* cpu.max's period; 0 with a quota: 100000 */
};

/* memory_swap_max: swap without a limit of its own ("max"); memory_max still bounds memory */
#define CK_CGROUP_UNLIMITED UINT64_MAX

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
