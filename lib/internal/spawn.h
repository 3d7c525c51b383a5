/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The launcher's insides, shared by lib/spawn.c (the attribute set and the
 * child handle), lib/internal/launch.c (the engine: prepare, clone, hold
 * before execve, release), lib/internal/exec_explain.c (what the child
 * finds about a failed execve), lib/internal/launch_error.c (what a
 * failure says) and the modules that launch through it (seccomp, trace).
 */
#ifndef CK_INTERNAL_SPAWN_H
#define CK_INTERNAL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/clone.h>
#include <clonekit/spawn.h>

#define CK_HIDDEN __attribute__((visibility("hidden")))

#define CK_SPAWN_MAX_MAPS 340 /* the kernel's limit on uid_map/gid_map lines */
#define CK_SPAWN_MAX_FDS 256

struct ck__idmap {
	uint32_t inside, outside, count;
};

#define CK__SELF UINT32_MAX
#define CK__RLIMIT_MAX 16 /* RLIM_NLIMITS */

struct ck__rlimit {
	int resource;
	uint64_t soft, hard;
};

/* One environment operation (ck_spawn_attr_clear_env, _setenv, _unsetenv). */
struct ck__envop {
	enum { CK__ENV_CLEAR, CK__ENV_SET, CK__ENV_UNSET } kind;
	char *name, *value;
};

struct ck__fdmap {
	int from, to;
};

/* A compiled filter (struct sock_filter[], len bytes), loaded with no_new_privs. */
struct ck__mount_op;
struct ck__cgroups;

struct ck__filter {
	void *bpf;
	size_t len;
};

struct ck_spawn_attr {
	uint64_t namespaces, share;
	struct ck__idmap uid[CK_SPAWN_MAX_MAPS], gid[CK_SPAWN_MAX_MAPS];
	size_t nuid, ngid;
	bool map_self;             /* one-line maps of the caller's ids (map_root, map_user, map_ids) */
	uint32_t self_uid, self_gid; /* the ids inside; CK__SELF: the caller's own */
	bool has_hostname;
	char hostname[65];
	bool mount_proc;
	bool has_offset[2];        /* CLOCK_MONOTONIC, CLOCK_BOOTTIME */
	int64_t offset_sec[2];
	long offset_nsec[2];
	int cgroup_fd;
	char *cgroup_path;         /* as given, for messages */
	char *cwd;
	struct ck__fdmap fds[CK_SPAWN_MAX_FDS];
	size_t nfds;
	int pdeath_sig;
	int exit_signal;
	bool search_path;
	bool keep_fds;             /* fds without close-on-exec reach the program too */
	bool hold;                 /* wait before execve for ck_spawn_release() */
	bool set_user;             /* become uid/gid (no supplementary groups) before the hook */
	uid_t user_uid;
	gid_t user_gid;
	int (*hook)(void *);
	void *hook_data;
	struct ck__filter filter;  /* the caller's policy */
	struct ck__filter listener;/* loaded last with SECCOMP_FILTER_FLAG_NEW_LISTENER */
	unsigned listener_flags;   /* other SECCOMP_FILTER_FLAG_* for it */
	/* mounts: the list and the new root (lib/sandbox/mount.c) */
	struct ck__mount_op *mounts;
	size_t nmounts, mounts_cap;
	bool new_root;
	/* status for supervisors (bwrap's --info-fd, --json-status-fd, --block-fd, --userns-block-fd); -1 none */
	int info_fd, json_status_fd, block_fd, userns_block_fd;
	/* stacked filters (bwrap's --add-seccomp-fd): loaded in order after filter, before the launcher's own */
	struct ck__filter *filters;
	size_t nfilters;
	bool set_pwd;              /* PWD in the program's environment is the directory it starts in (bwrap) */
	/* process state (sbx-proc): lib/sandbox/{caps,init,net,rlimit,idmap,env}.c */
	bool set_caps;             /* cap the program's sets at caps */
	uint64_t caps;
	bool set_bounding;         /* cut the bounding set at bounding */
	uint64_t bounding;
	bool id_helper;            /* maps through newuidmap/newgidmap when unprivileged */
	bool no_new_privs;
	bool new_session;
	bool init;                 /* a small init is PID 1, the program its child */
	bool no_loopback;          /* leave lo down in a new network namespace */
	bool disable_userns, assert_userns_disabled;
	struct ck__rlimit rlimits[CK__RLIMIT_MAX];
	size_t nrlimits;
	struct ck__envop *envops;
	size_t nenvops;
	/* cgroup limits (sbx-res): a fresh group made at each spawn (lib/sandbox/cgroup.c) */
	struct ck_cgroup_limits limits;
};

/* Where a started child is on its way to the program. */
enum ck__child_state {
	CK__RUNNING,    /* it has executed the program (or ck_spawn returned as it did) */
	CK__HELD,       /* waiting before execve for ck_spawn_release() */
	CK__RELEASED,   /* released; execve's outcome not yet collected */
};

struct ck_child {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool vfork;
	enum ck__child_state state;
	int ctl;          /* held or released: the parent's end of the control socket */
	int listener;     /* the seccomp listener, until taken; -1 none */
	char *file;       /* held or released: for execve's message */
	/* status for supervisors: a dup of the json-status fd for the exit document; -1 none */
	int json_status_fd;
	/* cgroup limits (sbx-res): the fresh groups, removed once the child is waited for */
	struct ck__cgroups *cgroups;
	int init_report;  /* an init: the read end of its report of the program's exit code; -1 none */
};

/*
 * One launch. ck_spawn asks for attr alone; ck_trace_spawn adds its own
 * filter and holds the child until it has seized it.
 */
struct ck__launch {
	const struct ck_spawn_attr *attr;
	const char *file;
	char *const *argv;
	char *const *envp;         /* NULL: environ */
	struct ck__filter extra;   /* loaded after attr's filter, before its listener */
	bool hold;                 /* hold even when attr does not ask */
};

/*
 * Starts the child. 0 with *out — running its program, or held before
 * execve when l or its attribute asks — or -errno with *err; a failure
 * leaves no child and no fd behind.
 */
int ck__launch(const struct ck__launch *l, struct ck_child **out, struct ck_spawn_error *err)
	CK_HIDDEN;
/* Lets a held child go on to execve (not waiting for its outcome). 0, -EINVAL, -ESRCH. */
int ck__launch_release(struct ck_child *c) CK_HIDDEN;
/*
 * The outcome of a released child's execve: 0 once it runs the program, or
 * -errno with *err once it has failed (the child exits; it is not reaped).
 * Blocks until one is known.
 */
int ck__launch_outcome(struct ck_child *c, struct ck_spawn_error *err) CK_HIDDEN;

/* The child's end was seen by someone else's waitpid (the tracer's). */
void ck__spawn_child_reaped(struct ck_child *c) CK_HIDDEN;
/* Frees the handle without killing or reaping the child (it stays the caller's child). */
void ck__spawn_child_forget(struct ck_child *c) CK_HIDDEN;
/*
 * For a caller about to exit (`clonekit bwrap`, as bwrap's own parent does):
 * with an init, the program's status as the init reports it just before it
 * exits, *reaped false -- the init is not waited for, so neither is the
 * teardown of the namespaces in its exit; without an init, or when the init
 * ended without a report, ck_spawn_wait's status, *reaped true. The status
 * is the one ck_spawn_wait would give (the init exits with the code it
 * reports), and a json-status document is written alike. 0 or its -errno.
 */
int ck__spawn_wait_program(struct ck_child *c, int *status, bool *reaped) CK_HIDDEN;

/*
 * Gives attr a compiled seccomp filter (the attribute set takes ownership of
 * bpf, NULL removes it): the child loads it with no_new_privs as its last
 * step before execve.
 */
int ck__spawn_attr_take_filter(struct ck_spawn_attr *attr, void *bpf, size_t len) CK_HIDDEN;
/* Appends a filter loaded after that one, in order (the set takes bpf, even on failure): 0, -EINVAL, -ENOMEM. */
int ck__spawn_attr_add_filter(struct ck_spawn_attr *attr, void *bpf, size_t len) CK_HIDDEN;
/* Sets PWD in the program's environment to the directory it starts in, as bwrap does. */
int ck__spawn_attr_set_pwd(struct ck_spawn_attr *attr, bool on) CK_HIDDEN;
/* The same for the listener filter, loaded after it with NEW_LISTENER and flags. */
int ck__spawn_attr_take_listener(struct ck_spawn_attr *attr, void *bpf, size_t len,
				 unsigned flags) CK_HIDDEN;

/* ---- what a failure says (lib/internal/launch_error.c) ---- */

/* The steps, in the order they run; a failure names one. */
enum ck__step {
	CK__STEP_NONE,
	/* in the child */
	CK__STEP_CGROUP_JOIN,       /* cgroup limits (sbx-res): the child enters its v1 groups */
	CK__STEP_PDEATHSIG,
	CK__STEP_PARENT_GONE,
	CK__STEP_WAIT_MAPS,
	CK__STEP_SIGNALS,
	CK__STEP_HOSTNAME,
	CK__STEP_MOUNTS_PRIVATE,
	CK__STEP_MOUNT_PROC,
	CK__STEP_UNSHARE_TIME,
	CK__STEP_TIMENS_OFFSETS,
	/* mounts: the new root (lib/sandbox/mount.c; cause: enum ck__mount_act, arg: the op) */
	CK__STEP_MOUNTS,
	CK__STEP_CHDIR,
	CK__STEP_FDS,
	CK__STEP_SIGMASK,
	CK__STEP_USER,
	/* process state (sbx-proc) */
	CK__STEP_SETSID,
	CK__STEP_INIT,
	CK__STEP_INIT_SECCOMP,      /* the init's own copy of the caller's seccomp filters (sbx-fix) */
	CK__STEP_NETNS,             /* the network namespace: joined from the parent's helper, or made */
	CK__STEP_LOOPBACK,
	CK__STEP_DISABLE_USERNS,
	CK__STEP_ASSERT_USERNS,
	CK__STEP_RLIMIT,
	CK__STEP_CAPS,
	CK__STEP_NO_NEW_PRIVS,
	CK__STEP_HOOK,
	/* status for supervisors */
	CK__STEP_BLOCK_FD,
	CK__STEP_SECCOMP,
	CK__STEP_LISTENER,
	CK__STEP_SEND_LISTENER,
	CK__STEP_HOLD,
	CK__STEP_EXECVE,
	/* in the parent */
	CK__STEP_CLONE,
	CK__STEP_SETGROUPS,
	CK__STEP_UID_MAP,
	CK__STEP_GID_MAP,
	CK__STEP_RESUME,
	/* status for supervisors */
	CK__STEP_INFO_FD,
	CK__STEP_JSON_STATUS_FD,
	CK__STEP_REPORT,
	CK__STEP_RELEASE,
	CK__STEP_TRACER,            /* ck_trace_spawn: set up the tracer */
	CK__STEP_SEIZE,             /* ck_trace_spawn: PTRACE_SEIZE of the held child */
	CK__STEP_WAIT_EXEC,         /* ck_trace_spawn: wait for the child's execve */
	CK__STEP_ATTRIBUTES,        /* the attribute set is inconsistent */
	CK__STEP_ARGUMENTS,         /* a NULL argument */
	CK__STEP_PREPARE,           /* the parent's own memory for the launch */
	CK__STEP_ID_HELPER,         /* newuidmap / newgidmap (sbx-proc) */
	CK__STEP_CGROUP,            /* cgroup limits (sbx-res): making the groups */
	CK__STEP__COUNT,
};

/* Why execve failed, found by the child in its own view of the files. */
enum ck__exec_cause {
	CK__EXEC_PLAIN,              /* nothing more to say than the errno */
	CK__EXEC_EMPTY_NAME,         /* the file name is "" */
	CK__EXEC_INTERP_MISSING,     /* the #! interpreter does not exist */
	CK__EXEC_INTERP_DENIED,      /* the #! interpreter is not executable */
	CK__EXEC_ELF_INTERP_MISSING, /* the ELF program interpreter (PT_INTERP) does not exist */
	CK__EXEC_DIRECTORY,          /* the file is a directory */
	CK__EXEC_NO_PERMISSION,      /* no execute permission for the caller */
	CK__EXEC_NOEXEC_MOUNT,       /* on a file system mounted noexec */
	CK__EXEC_FORMAT,             /* neither a program for this machine nor a #! script */
};

#define CK__REPORT_PATH 256

/* What the child tells the parent (in its memory, or through the control socket). */
struct ck__report {
	int kind;                    /* CK__REPORT_* */
	int step;                    /* enum ck__step */
	int err;
	int cause;                   /* enum ck__exec_cause */
	int arg;                     /* fds: the mapping's index; signals: the signal; else -1 */
	char path[CK__REPORT_PATH];  /* execve: the file as found (PATH searched) */
	char interp[CK__REPORT_PATH];/* execve: the interpreter it names */
};
enum { CK__REPORT_NONE, CK__REPORT_FAILED, CK__REPORT_HELD };

/*
 * After execve of file (searched in path_env unless NULL) failed with err:
 * fills r->cause, r->path and r->interp (lib/internal/exec_explain.c).
 * System calls only, for a CLONE_VM child.
 */
void ck__exec_explain(const char *file, const char *path_env, int err, struct ck__report *r)
	CK_HIDDEN;

/* What the message of a failure may name. */
struct ck__failure {
	enum ck__step step;
	int err;                             /* positive errno */
	const char *file;                    /* the program asked for */
	const struct ck_spawn_attr *attr;    /* NULL once the child was released */
	const struct ck_clone_args *args;    /* CK__STEP_CLONE: what clone3 was given */
	const struct ck__report *report;     /* a child-side step's report, or NULL */
	pid_t pid;                           /* the child, for the map steps */
	const char *why;                     /* a sentence that replaces the default */
};

/* Fills err (as much of it as its size holds) for f. */
void ck__spawn_error_set(struct ck_spawn_error *err, const struct ck__failure *f) CK_HIDDEN;
/* The step's name, as ck_spawn_error.step gives it. */
const char *ck__step_name(enum ck__step step) CK_HIDDEN;

/* ---- status for supervisors (lib/internal/launch_status.c) ---- */

/* Whether attr asks for a status fd that the parent writes before the child goes on. */
bool ck__status_wanted(const struct ck_spawn_attr *a) CK_HIDDEN;
/*
 * After clone, before the child goes on: bwrap's info document to
 * a->info_fd and the first json-status document to a->json_status_fd.
 * 0, or -errno with *step.
 */
int ck__status_started(struct ck_spawn_attr *a, pid_t pid, enum ck__step *step) CK_HIDDEN;
/* info_fd once a spawn has written and closed it */
#define CK__INFO_FD_USED (-2)
/* The json-status document of the end, {"exit-code": N}, for a waitpid() status. */
void ck__status_exited(int fd, int status) CK_HIDDEN;

#endif
