/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS supervisor's private contract (design: KACS-SUPERVISOR.md §2-§10).
 * One single-threaded supervisor S keeps the Peios state of every task of one
 * tree and answers the tree's trapped calls. The modules and who owns what:
 *
 *   supervisor.c  the public ck_kacs_supervisor_* API, the epoll loop, the
 *                 spawn through ck_spawn (listener + hold), signal forwarding,
 *                 deferred notifications, the decision log
 *   tasks.c       the task table: processes, threads, token references, and
 *                 what a FORK / EXIT / COMM_EXEC record does to them (§10.1)
 *   call.c        one notification: reading and writing the caller's memory,
 *                 its fds, installing fds (ADDFD), replies, target lookup
 *   lineage.c     perf side-band task records (§3)
 *   filter.c      the seccomp filter (§8)
 *   enforce.c     the enforcement table (§9): kill ... prctl
 *   handle.c      token handles as socketpairs (§6)
 *   emulate.c     the KACS syscalls 1000-1027 and the token ioctls (§5)
 *   token_query.c QUERY's classes and the ioctl argument layouts (pure)
 *
 * Everything here runs on S's one thread: no locks. Functions return 0 or
 * -errno unless they say otherwise.
 */
#ifndef CK_KACS_SUPERVISOR_H
#define CK_KACS_SUPERVISOR_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clonekit/kacs.h>

/* ---- lineage.c: perf task records (§3) ------------------------------------ */

enum ck__lin_kind {
	CK__LIN_FORK, /* a new task: pid/tid its ids, ppid/ptid its creator (current at copy_process) */
	CK__LIN_EXIT, /* a task ended: pid/tid its ids, ppid/ptid its real parent */
	CK__LIN_EXEC, /* PERF_RECORD_COMM with PERF_RECORD_MISC_COMM_EXEC: pid/tid committed an exec */
	CK__LIN_LOST, /* PERF_RECORD_LOST: lost records were dropped (fail closed) */
};

struct ck__lin_rec {
	enum ck__lin_kind kind;
	pid_t pid, ppid, tid, ptid; /* as perf gives them (ppid/ptid 0 for EXEC) */
	uint64_t time;              /* perf_clock ns, the merge key */
	uint64_t lost;              /* CK__LIN_LOST: how many */
	char comm[16];              /* CK__LIN_EXEC: the new comm, NUL-terminated */
};

struct ck__lineage;

/*
 * One PERF_COUNT_SW_DUMMY event per possible CPU on pid (inherit=1,
 * task/comm/comm_exec, exclude_kernel, sample_id_all, TID|TIME|CPU), each
 * with a ring of 1 + pages pages (pages a power of two). S owns them, so the
 * tree cannot disable them. -EACCES (with err naming
 * kernel.perf_event_paranoid) when perf refuses, -errno otherwise.
 */
int ck__lineage_open(pid_t pid, unsigned pages, struct ck__lineage **out, struct ck_kacs_error *err);
void ck__lineage_free(struct ck__lineage *l);
/*
 * Reads every record now in every ring, merged by time, calling cb for each
 * in order (cb returns 0 to go on, -errno to stop: drain returns it).
 * Returns the number of records delivered. A LOST record is delivered like
 * any other; the caller fails closed.
 */
int ck__lineage_drain(struct ck__lineage *l, int (*cb)(void *data, const struct ck__lin_rec *r), void *data);
/*
 * How many records the rings had no room for so far (PERF_FORMAT_LOST, one
 * read per CPU: not for the hot path), or -EIO. A PERF_RECORD_LOST reaches
 * a ring only with the next record after the loss; this sees it at once.
 */
int64_t ck__lineage_lost(const struct ck__lineage *l);
/*
 * A gen (lineage.c): the per-CPU events opened again on pid, writing into
 * the rings, for a task whose inherited ones the kernel removed (its exec
 * of a non-dumpable image, §3); its descendants inherit them. One
 * reference; -errno of perf_event_open (-EACCES: S may not trace pid) or
 * of PERF_EVENT_IOC_SET_OUTPUT. The last put closes it (its children go).
 */
struct ck__lin_gen;
int ck__lineage_attach(struct ck__lineage *l, pid_t pid, struct ck__lin_gen **out);
struct ck__lin_gen *ck__lineage_gen_get(struct ck__lin_gen *g);
void ck__lineage_gen_put(struct ck__lineage *l, struct ck__lin_gen *g);
/* The event fds, for epoll (readable when a ring passes its wakeup mark). */
size_t ck__lineage_nfds(const struct ck__lineage *l);
int ck__lineage_fd(const struct ck__lineage *l, size_t i);

/* ---- filter.c: the seccomp filter (§8) ------------------------------------ */

struct ck_seccomp_policy;
/*
 * The supervisor's filter for every ABI the host runs: NOTIFY on the rows of
 * §9 (with the register conditions that skip calls aimed at the caller
 * itself) and on the KACS numbers of the native x86_64 ABI, ERRNO for what
 * §8 refuses outright (clone3 and pidfd_send_signal and process_madvise
 * ENOSYS, CLONE_NEWPID and setns(NEWPID|0) EPERM, a new listener EPERM, 1010
 * and 1011 EACCES), ALLOW for everything else. NULL with errno.
 */
struct ck_seccomp_policy *ck__kacs_filter_policy(void);

/* ---- tasks.c: the state (§4) --------------------------------------------- */

/* A token object shared by reference: processes, impersonating threads and handles hold it. */
struct ck__kacs_tok {
	struct ck_kacs_token *t; /* owned */
	unsigned refs;
};
/* Takes ownership of t: a new object with one reference, or NULL (ENOMEM; t is freed). */
struct ck__kacs_tok *ck__kacs_tok_new(struct ck_kacs_token *t);
struct ck__kacs_tok *ck__kacs_tok_get(struct ck__kacs_tok *k);
void ck__kacs_tok_put(struct ck__kacs_tok *k);

struct ck__kacs_process {
	pid_t tgid;
	uint64_t birth;              /* the FORK record's time (0 for the root): pid reuse is told by it */
	struct ck__kacs_tok *primary;
	struct ck_kacs_psb psb;
	struct ck_kacs_sd *sd;       /* the process SD (owned) */
	uint8_t dumpable;            /* the virtual flag PR_GET_DUMPABLE reads when S is unprivileged: SUID_DUMP_* */
	bool external;               /* not of the tree: --external-sd, PIP None (never in the table) */
	pid_t creator_tid;           /* the thread that created it (FORK ptid) */
	bool clone_parent;           /* created with CLONE_PARENT: its parent is not its creator */
	int exec_pidfd;              /* its thread group at its last execve call, or -1: tells an exec's EXIT record (§3) */
	struct ck__lin_gen *gen;     /* the events its tasks inherited: NULL the rings', else a gen (lineage.c) */
	bool blind;                  /* a non-dumpable exec took its events and S could not open them again */
	unsigned threads;            /* live threads in the table */
	struct ck__kacs_thread *thread_list; /* those threads (tasks.c's) */
};

struct ck__kacs_thread {
	pid_t tid;
	struct ck__kacs_process *proc;
	struct ck__kacs_tok *imp;             /* the impersonation token, or NULL */
	enum ck_kacs_imp_level imp_level;     /* the effective level while imp is set */
	uint64_t clone_flags;                 /* the flags of the clone it is inside (trapped), for its FORK record */
	bool in_clone;
	uint64_t birth;                       /* its FORK (or exec) record's time: older EXIT records are not its */
	struct ck__kacs_thread *prev, *next;  /* in proc->thread_list */
};

struct ck__kacs_sup; /* S: defined in supervisor.c, reached through the functions below */

struct ck__kacs_thread *ck__kacs_thread_find(struct ck__kacs_sup *s, pid_t tid);
struct ck__kacs_process *ck__kacs_process_find(struct ck__kacs_sup *s, pid_t tgid);
/* The token a thread acts with: its impersonation token, else its process's primary. */
struct ck__kacs_tok *ck__kacs_effective(const struct ck__kacs_thread *t);
/* Calls fn for every process of the table (fn returns nonzero to stop; that value is returned). */
int ck__kacs_process_each(struct ck__kacs_sup *s, int (*fn)(struct ck__kacs_process *p, void *data), void *data);
/* Applies one lineage record to the table (§10.1). -ENOMEM, or -EIO for a LOST record (fail closed). */
int ck__kacs_tasks_apply(struct ck__kacs_sup *s, const struct ck__lin_rec *r);
/* Every tid in the table into out (up to max): the count. */
size_t ck__kacs_tasks_list(struct ck__kacs_sup *s, pid_t *out, size_t max);
struct ck__kacs_call;
/*
 * At an execve/execveat call: the caller's thread group as a pidfd in
 * proc->exec_pidfd, so that an EXIT record after the exec can be told from
 * an exit (§3, tasks.c). Best effort: without it such a record is an exit.
 */
void ck__kacs_exec_pidfd(struct ck__kacs_sup *s, struct ck__kacs_call *c);
/*
 * The caller's clone, fork, vfork or exec when its process is blind (its
 * events gone, S unprivileged, supervisor.c): S tries to open them again
 * (the process may be dumpable again); 1 to go on, else the call was
 * refused with EPERM and logged (op "no_lineage", reason "lineage"): 0.
 */
int ck__kacs_blind_gate(struct ck__kacs_sup *s, struct ck__kacs_call *c);
/* Replaces p's primary token (INSTALL, NEW_PROCESS_MIN); regenerates the SD when the user SID changes. */
int ck__kacs_process_set_primary(struct ck__kacs_sup *s, struct ck__kacs_process *p, struct ck__kacs_tok *k);

/* What the supervisor was configured with (read-only for the modules). */
struct ck__kacs_config {
	enum ck_kacs_profile profile;
	const struct ck_kacs_pip_key *pip_keys;
	size_t n_pip_keys;
	const struct ck_kacs_sd *external_sd; /* §7.4 */
	bool privileged;                      /* S can act on the tree as CAP_SYS_PTRACE does (root) */
};
const struct ck__kacs_config *ck__kacs_config(const struct ck__kacs_sup *s);
/* The next token id (K20: a 64-bit counter from CK_KACS_TOKEN_ID_FIRST). */
uint64_t *ck__kacs_next_token_id(struct ck__kacs_sup *s);
struct ck_kacs_sessions *ck__kacs_sessions(struct ck__kacs_sup *s);

/* ---- call.c: one notification --------------------------------------------- */

struct ck__kacs_call {
	struct seccomp_notif *req;        /* as received: id, pid (the caller's tid), data.nr/arch/args */
	struct seccomp_notif_resp *resp;  /* what will be sent */
	struct ck__kacs_thread *caller;   /* the calling thread (always known: §3) */
	int caller_pidfd;                 /* opened on demand by the helpers below, closed by the loop; -1 */
	const char *syscall;              /* the name, for the decision log */
	bool replied;                     /* a reply helper set resp */
	bool sent;                        /* answered already (ADDFD with SECCOMP_ADDFD_FLAG_SEND) */
	struct ck__kacs_process ext;      /* the external target ck__kacs_target_* returned, if any */
};

/* Answers: let the call go on to the kernel, or return val / -err to it. */
void ck__kacs_reply_continue(struct ck__kacs_call *c);
void ck__kacs_reply_value(struct ck__kacs_call *c, int64_t val);
void ck__kacs_reply_error(struct ck__kacs_call *c, int err); /* err positive (EACCES) */

/*
 * The caller's memory, read into S's own copy once (then
 * SECCOMP_IOCTL_NOTIF_ID_VALID) or written with process_vm_writev: 0,
 * -EFAULT as the kernel would give it, -ESRCH when the call is gone.
 */
int ck__kacs_mem_read(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, void *buf, size_t len);
int ck__kacs_mem_write(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, const void *buf, size_t len);
/* a then b in one process_vm_writev after one ID_VALID: 0, or a's failure (!*a_done) or b's (*a_done) */
int ck__kacs_mem_write2(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr_a, const void *a,
			size_t len_a, uint64_t addr_b, const void *b, size_t len_b, bool *a_done);
/* A copy in S of the caller's fd (pidfd_getfd, O_CLOEXEC): the new fd or -errno (-EBADF). */
int ck__kacs_fd_get(struct ck__kacs_sup *s, struct ck__kacs_call *c, int fd);
/*
 * Installs S's fd in the caller (SECCOMP_IOCTL_NOTIF_ADDFD, O_CLOEXEC). With
 * as_return the fd becomes the call's return value atomically
 * (SECCOMP_ADDFD_FLAG_SEND) and the call is answered; otherwise the number
 * is returned and the call still needs an answer. The fd number or -errno.
 */
int ck__kacs_fd_install(struct ck__kacs_sup *s, struct ck__kacs_call *c, int fd, bool as_return);

/*
 * The process a pid argument names, seen from the caller (§3 "Unknown
 * pids"): a tree process, or an external one (p->external, the
 * --external-sd SD, S itself with PIP 0xFFFFFFFF/0xFFFFFFFF). Returns 0
 * and *out; -ESRCH when no such process; 1 when the pid is being born into
 * the tree and the call must wait for its FORK record (the loop defers it).
 * An external *out is owned by the call (valid until the reply).
 */
int ck__kacs_target_pid(struct ck__kacs_sup *s, struct ck__kacs_call *c, pid_t pid, struct ck__kacs_process **out);
/* The same for a pidfd of the caller's (resolved once; -EBADF for another kind of fd). */
int ck__kacs_target_pidfd(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, struct ck__kacs_process **out);
/*
 * The same, keeping S's copy of the pidfd in *sfd (O_CLOEXEC, the caller
 * closes it) when it returns 0: to act on the very process decided on
 * (pidfd_getfd), which a pid could not pin.
 */
int ck__kacs_target_pidfd_keep(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd,
				struct ck__kacs_process **out, int *sfd);

/* ---- decisions (supervisor.c): the log and the callback ------------------- */

/*
 * Records a decision of the two-check rule or of a privilege or mitigation
 * gate: to the library callback and to --decisions. op is the operation,
 * right what was asked, res AccessCheck's result (may be NULL), verdict 0 or
 * a positive errno, reason one of "sd", "pip", "privilege", "mitigation" (or
 * NULL when allowed).
 */
void ck__kacs_decided(struct ck__kacs_sup *s, const struct ck__kacs_call *c, const char *op,
		      const struct ck__kacs_process *target, uint32_t right,
		      const struct ck_kacs_access_result *res, int verdict, const char *reason);

/* ---- enforce.c and emulate.c: the handlers the loop dispatches to --------- */

/*
 * Handle one notification whose nr is a §9 row (enforce) or a KACS number
 * or a token ioctl (emulate): each sets the answer with the reply helpers
 * and returns 0, or returns 1 to defer it (the loop calls the handler again
 * with the same call when a drain brought new records, or answers ESRCH
 * after 1 s), or -errno for a failure of S itself (the loop answers EIO).
 */
int ck__kacs_enforce(struct ck__kacs_sup *s, struct ck__kacs_call *c);
int ck__kacs_emulate(struct ck__kacs_sup *s, struct ck__kacs_call *c);
/* Whether nr (native ABI) is one emulate.c handles (KACS numbers and ioctl). */
bool ck__kacs_emulated(int nr);

/* ---- handle.c: token handles (§6) ------------------------------------------ */

struct ck__kacs_handle {
	ino_t ino;              /* the inode of the end installed in the tree: the key */
	int sfd;                /* S's end (SHUT_RD), in the loop's epoll set for HUP */
	struct ck__kacs_tok *tok;
	uint32_t granted;       /* the mask granted at open, shared by every dup of the description */
};
/*
 * A new handle to k with granted: makes the socketpair, registers S's end
 * with the loop (ck__kacs_watch_fd) and returns the tree's end in *tree_fd
 * (for ck__kacs_fd_install; the caller closes it after).
 */
int ck__kacs_handle_new(struct ck__kacs_sup *s, struct ck__kacs_tok *k, uint32_t granted, int *tree_fd,
			struct ck__kacs_handle **out);
/*
 * ck__kacs_handle_new in two halves, so that a handle given as a call's
 * return value reaches the caller before S's bookkeeping: the socketpair
 * with S's end shut for reading (*sfd, *tree_fd), then, once installed,
 * the entry and the watch. On failure _add closes sfd: the tree's end is
 * then no handle S knows (its token ioctls are CONTINUEd: ENOTTY).
 */
int ck__kacs_handle_pair(int *sfd, int *tree_fd);
int ck__kacs_handle_add(struct ck__kacs_sup *s, struct ck__kacs_tok *k, uint32_t granted, int sfd, int tree_fd,
			struct ck__kacs_handle **out);
/* The handle S's copy of a caller's fd is, or NULL (not a token handle). */
struct ck__kacs_handle *ck__kacs_handle_of_fd(struct ck__kacs_sup *s, int sfd_copy);
/* The loop saw HUP on S's end: drops the handle, closing sfd (epoll forgets it); false: sfd is none. */
bool ck__kacs_handle_hup(struct ck__kacs_sup *s, int sfd);
/* Adds fd to the loop's epoll set (EPOLLHUP only); the handle module is told through ck__kacs_handle_hup. */
int ck__kacs_watch_fd(struct ck__kacs_sup *s, int fd);
/* Drops a handle at once (an install that failed): closes S's end, puts the token. */
void ck__kacs_handle_drop(struct ck__kacs_sup *s, struct ck__kacs_handle *h);

struct ck__kacs_handles; /* handle.c's table of one S */
/* The field of S that holds its table (supervisor.c: `return &s->handles;`, NULL at start). */
struct ck__kacs_handles **ck__kacs_handles_slot(struct ck__kacs_sup *s);
/* S's teardown: every handle dropped, the table freed. */
void ck__kacs_handles_free(struct ck__kacs_sup *s);
/* Live handles (the stats' `handles`). */
size_t ck__kacs_handles_count(struct ck__kacs_sup *s);

#endif
