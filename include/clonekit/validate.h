/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit validate: a model of the kernel's own checks on clone(),
 * clone3() and unshare(). Given the arguments, a kernel version and a caller
 * context, it returns every rule the kernel would break, in the order the
 * kernel checks them (so the first error is the errno the kernel returns),
 * followed by warnings about arguments the kernel accepts but ignores or
 * silently changes.
 */
#ifndef CLONEKIT_VALIDATE_H
#define CLONEKIT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clonekit/common.h>
#include <clonekit/flags.h>

#ifdef __cplusplus
extern "C" {
#endif

/* clone3's struct clone_args sizes, by the kernel that introduced them. */
#define CK_CLONE_ARGS_SIZE_VER0 64 /* 5.3 */
#define CK_CLONE_ARGS_SIZE_VER1 80 /* 5.5: set_tid, set_tid_size */
#define CK_CLONE_ARGS_SIZE_VER2 88 /* 5.7: cgroup */

/* The most set_tid entries clone3 takes (MAX_PID_NS_LEVEL). */
#define CK_SET_TID_MAX 32

/* What an fd passed as clone3's cgroup field is, as cgroup_css_set_fork() finds it. */
enum ck_cgroup_fd_state {
	CK_CGROUP_FD_CGROUP2 = 0, /* an open directory of the cgroup v2 hierarchy */
	CK_CGROUP_FD_CLOSED,      /* not an open file descriptor: EBADF */
	CK_CGROUP_FD_NOT_CGROUP2, /* open, but not a cgroup v2 directory: EBADF */
	CK_CGROUP_FD_REMOVED,     /* a cgroup v2 directory whose cgroup was removed: ENOENT */
};

/*
 * The target of CLONE_INTO_CGROUP as the kernel judges it for one caller
 * (kernel/cgroup/cgroup.c: cgroup_css_set_fork(), cgroup_attach_permissions(),
 * cgroup_procs_write_permission(), cgroup_migrate_vet_dst()).
 * ck_cgroup_target_probe() reads it for the calling thread; a caller judging
 * a call for another process describes it itself. Extensible: set size to
 * sizeof(struct ck_cgroup_target). The int fields are 1, 0, or -1 when the
 * prober could not tell (then no rule is predicted from them).
 */
struct ck_cgroup_target {
	size_t size;
	enum ck_cgroup_fd_state state;
	int procs_writable;          /* the caller may write the target's cgroup.procs */
	int ancestor_procs_writable; /* ... and that of the nearest common ancestor of the
				      * caller's own cgroup and the target */
	int outside_namespace;       /* the hierarchy is mounted with nsdelegate and the caller's or
				      * the target's cgroup lies outside the caller's cgroup namespace */
	int same_domain;             /* the target's resource domain (itself, or the root of its
				      * threaded subtree) is the caller's */
	bool is_root;                /* the hierarchy's root: exempt from the no-internal-process rule */
	bool threaded;               /* cgroup.type is "threaded" */
	bool domain_invalid;         /* its resource domain cannot hold processes ("domain invalid") */
	bool domain_controllers;     /* cgroup.subtree_control enables a domain controller
				      * (memory, io, hugetlb, ...) */
	bool threaded_controllers;   /* ... enables a thread-capable one (cpu, cpuset, perf_event, pids) */
	bool populated_domain_child; /* a child cgroup that is not threaded holds processes */
};

/*
 * Describes the cgroup fd names for the calling thread: what it is, whether
 * the caller may write the cgroup.procs files the kernel checks, its type,
 * the controllers it enables for its children, whether a child holds
 * processes, and how it relates to the caller's own cgroup (read from
 * /proc/thread-self/cgroup, looked up from the hierarchy's root as the fd
 * reaches it). Fills all of *target and sets its size. 0, or -EINVAL for a
 * NULL target; what cannot be read is -1 in the int fields.
 */
CK_API int ck_cgroup_target_probe(int fd, struct ck_cgroup_target *target);

/*
 * A process-creation call to judge. Extensible: set size to
 * sizeof(struct ck_clone_request); ck_clone_request_init() fills the rest
 * with what an ordinary caller passes.
 *
 * Pointer fields hold addresses: the model never reads through them, it only
 * compares them with each other and with 0 (NULL).
 */
struct ck_clone_request {
	size_t size;
	enum ck_syscall syscall;
	uint64_t flags;          /* clone: the whole word, exit signal in the low byte */
	uint64_t exit_signal;    /* clone3 */
	uint64_t stack;          /* clone3: lowest address of the stack; clone: stack pointer */
	uint64_t stack_size;     /* clone3 */
	uint64_t tls;
	uint64_t pidfd;          /* clone3; legacy clone writes the pidfd to parent_tid */
	uint64_t parent_tid;
	uint64_t child_tid;
	uint64_t set_tid;        /* clone3: address of the PID array, 0 for none */
	uint64_t set_tid_size;   /* clone3: entries in set_tid */
	const int32_t *set_tid_values; /* the PIDs, innermost namespace first (may be NULL) */
	uint64_t cgroup;         /* clone3 with CLONE_INTO_CGROUP: a cgroup2 directory fd */
	uint64_t args_size;      /* clone3: the size argument */
	bool args_tail_nonzero;  /* clone3: a byte past the 88 known ones is nonzero */
	/*
	 * clone3 with CLONE_INTO_CGROUP: the target as described by the caller.
	 * NULL: on a live context the cgroup fd is probed
	 * (ck_cgroup_target_probe()); otherwise the cgroup rules are not
	 * predicted and a note says so.
	 */
	const struct ck_cgroup_target *cgroup_target;
};

/*
 * Fills req for sc with the given flags: distinct non-NULL pointers for
 * pidfd, parent_tid and child_tid (equal pidfd and parent_tid for legacy
 * clone, as the kernel sees them), no stack, args_size 88, exit_signal 0.
 */
CK_API void ck_clone_request_init(struct ck_clone_request *req, enum ck_syscall sc,
				  uint64_t flags);

/* How many of each namespace the per-user limits in /proc/sys/user allow. */
enum ck_ns_type {
	CK_NS_USER, CK_NS_PID, CK_NS_NET, CK_NS_MNT, CK_NS_UTS, CK_NS_IPC,
	CK_NS_CGROUP, CK_NS_TIME, CK_NS__COUNT
};

/*
 * Who calls, on which kernel. Extensible: set size to
 * sizeof(struct ck_context). ck_context_current() describes the calling
 * process on the running kernel.
 */
struct ck_context {
	size_t size;
	uint32_t kernel;              /* CK_KERNEL_VERSION of the kernel to predict: its upstream
				       * release (ck_kernel_version_running()); rules follow it,
				       * stable-branch backports included */
	uint64_t cap_effective;       /* effective capabilities in the caller's user namespace */
	unsigned userns_level;        /* 0 in the initial user namespace */
	unsigned pidns_level;         /* 0 in the initial PID namespace */
	bool ids_mapped;              /* euid and egid have mappings in the caller's user namespace */
	bool chrooted;                /* root directory is not the mount namespace's root */
	bool is_init;                 /* PID 1 of its PID namespace (global or container init) */
	bool pidns_for_children_differs;  /* after unshare(CLONE_NEWPID) */
	bool timens_for_children_differs; /* after unshare(CLONE_NEWTIME) */
	bool multithreaded;           /* more than one thread in the thread group */
	bool sighand_shared;          /* signal handlers shared with another process */
	int unprivileged_userns_clone;    /* Debian/Ubuntu sysctl: 0 or 1; -1 where absent */
	int apparmor_restrict_userns;     /* AppArmor sysctl: 0 or 1; -1 where absent */
	long long max_ns[CK_NS__COUNT];   /* /proc/sys/user/max_*_namespaces; -1 unknown */
	int pid_max;                  /* /proc/sys/kernel/pid_max of the caller's PID namespace; 0 unknown */
	bool live;                    /* describes the calling process now: fds and PIDs may be probed */
	bool pidns_for_children_has_init; /* after unshare(CLONE_NEWPID): its PID 1 exists */
};

/*
 * Describes the calling process on the running kernel, in as much of ctx as
 * the caller's ctx->size (set first) holds. 0 or -errno (-EINVAL for a NULL
 * ctx or a size that does not reach live).
 */
CK_API int ck_context_current(struct ck_context *ctx);

enum ck_severity {
	CK_SEVERITY_ERROR,   /* the kernel refuses the call with err */
	CK_SEVERITY_WARNING, /* accepted, but not what the caller probably meant */
	CK_SEVERITY_NOTE,    /* accepted; worth knowing */
};

/* One rule the call breaks or touches. */
struct ck_finding {
	enum ck_severity severity;
	int err;               /* positive errno for errors, 0 otherwise */
	const char *rule;      /* stable identifier: "sighand-requires-vm" */
	const char *source;    /* where the kernel checks it: "kernel/fork.c copy_process()" */
	uint64_t flags;        /* the flags the rule is about */
	char message[224];     /* "CLONE_SIGHAND requires CLONE_VM" */
};

struct ck_verdict;

/*
 * Judges req on ctx (NULL: the calling process on the running kernel).
 * Returns a verdict to free with ck_verdict_free, or NULL with errno:
 * EINVAL for a request whose size or syscall is not understood, a context
 * whose size does not reach live, a request, context or cgroup_target
 * larger than this library's with a nonzero byte past the fields it knows,
 * or a cgroup_target smaller than this library's; ENOMEM; with a NULL ctx, the errno of
 * ck_context_current().
 */
CK_API struct ck_verdict *ck_validate(const struct ck_clone_request *req,
				      const struct ck_context *ctx);
/* The errno the kernel returns (the first error), 0 when it accepts. */
CK_API int ck_verdict_errno(const struct ck_verdict *v);
CK_API size_t ck_verdict_count(const struct ck_verdict *v);
/* Errors first, in the kernel's order; then warnings and notes. */
CK_API const struct ck_finding *ck_verdict_at(const struct ck_verdict *v, size_t i);
CK_API void ck_verdict_free(struct ck_verdict *v);

/* "EINVAL" for EINVAL; NULL for a number this table does not name. */
CK_API const char *ck_errno_name(int err);
/* "warning" ... */
CK_API const char *ck_severity_name(enum ck_severity s);

#ifdef __cplusplus
}
#endif

#endif
