/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's own state, shared by supervisor.c, tasks.c and call.c
 * only (the other modules reach it through supervisor.h's functions).
 */
#ifndef CK_KACS_SUP_INTERNAL_H
#define CK_KACS_SUP_INTERNAL_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "kacs/pip_cache.h"
#include "kacs/supervisor.h"

struct ck_child;
struct ck_seccomp_policy;

/* pid -> pointer, open addressing (linear probing, tombstones): O(1) on the hot path. */
struct ck__pidmap {
	pid_t *keys; /* 0 empty, -1 tombstone */
	void **vals;
	size_t cap, n, used; /* used: n + tombstones */
};
void *ck__pidmap_get(const struct ck__pidmap *m, pid_t k);
int ck__pidmap_put(struct ck__pidmap *m, pid_t k, void *v);
void *ck__pidmap_del(struct ck__pidmap *m, pid_t k);
void ck__pidmap_free(struct ck__pidmap *m);

/* A notification waiting for a newborn's FORK record (design §3 "Unknown pids"). */
struct ck__kacs_deferred {
	struct seccomp_notif req;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC: then ESRCH */
	struct ck__kacs_deferred *next;
};

/* A lineage record that named a creator not yet applied: retried at the end of the pass. */
struct ck__kacs_retry {
	struct ck__lin_rec rec;
	struct ck__kacs_retry *next;
};

struct ck__kacs_sup {
	struct ck__kacs_config cfg;
	struct ck_kacs_pip_key *keys;   /* owned copy */
	struct ck_kacs_sd *external_sd; /* owned */
	struct ck_kacs_token *root_token;
	struct ck_kacs_sd *root_sd;
	uint32_t root_psb;
	unsigned perf_pages;
	ck_kacs_decision_fn on_decision;
	void *data;
	int decisions_fd;

	uint64_t next_token_id;
	struct ck_kacs_sessions *sessions;
	struct ck__pip_cache *pip;
	struct ck__pidmap threads, procs;
	struct ck__kacs_handles *handles; /* handle.c's table (ck__kacs_handles_slot) */
	struct ck__kacs_process self; /* S itself as a target: PIP 0xFFFFFFFF (design §7.4) */
	const struct ck_seccomp_policy *policy_override; /* tests: a filter other than §8's */

	/* the tree */
	struct ck__lineage *lin;
	struct ck_child *root;
	pid_t root_pid, self_pid;
	int listener, epfd, sigfd, root_pidfd, exec_fd;
	/* the last caller's thread pidfd, proven to be tid thread_pidfd_tid's task (call.c); -1 */
	int thread_pidfd;
	pid_t thread_pidfd_tid;
	bool started, root_done, lost, exec_pending, ended, killed;
	int root_status, exec_err;
	struct ck__kacs_deferred *deferred;
	struct ck__kacs_retry *retry;
	bool need_reap; /* a SIGCHLD came: reap() at the end of the step */
	uint64_t records_pass; /* records applied in the current drain */
	struct ck_kacs_supervisor_stats st;
	sigset_t old_mask;
	bool mask_set;
	bool forward; /* run(): SIGINT, SIGTERM, SIGHUP forwarded to the root */
	char message[600]; /* why the tree was ended (lineage lost, ...) or execve failed */
};

/* tasks.c */
int ck__kacs_tasks_root(struct ck__kacs_sup *s, pid_t pid); /* the root's state from the options */
void ck__kacs_tasks_clear(struct ck__kacs_sup *s);
size_t ck__kacs_tasks_count(const struct ck__kacs_sup *s, size_t *procs);
/* The supervisor whose tokens tok_new/tok_put count in sessions (set by the loop on its thread). */
void ck__kacs_set_current(struct ck__kacs_sup *s);

/*
 * supervisor.c: p's events were removed by its exec of a non-dumpable image
 * (its EXIT record came while it lives). A root S opens them again (a gen);
 * otherwise p is blind: its clone, fork, vfork and exec are refused (EPERM)
 * and its exit is watched through its pidfd. Logged either way. 0 (p stays),
 * 1 (p ended meanwhile: drop it), or -ENOMEM.
 */
int ck__kacs_lineage_exec_lost(struct ck__kacs_sup *s, struct ck__kacs_process *p);
/* tasks.c: p and its threads out of the table (a blind process whose pidfd says it ended). */
void ck__kacs_process_gone(struct ck__kacs_sup *s, struct ck__kacs_process *p);

/* call.c */
void ck__kacs_call_init(struct ck__kacs_call *c, struct seccomp_notif *req, struct seccomp_notif_resp *resp);
/* Sends the answer (unless ADDFD_FLAG_SEND already did): 0 or -errno (-ENOENT: the caller is gone). */
int ck__kacs_call_send(struct ck__kacs_sup *s, struct ck__kacs_call *c);
void ck__kacs_call_done(struct ck__kacs_call *c);

uint64_t ck__kacs_now_ns(clockid_t clk);

/* supervisor.c: a filter other than §8's (tests of the loop; NULL: ck__kacs_filter_policy). */
struct ck_kacs_supervisor;
void ck__kacs_supervisor_set_policy(struct ck_kacs_supervisor *sv, const struct ck_seccomp_policy *p);

#endif
