/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The task table (lib/kacs/tasks.c) and what each lineage record does to it
 * (design §10.1): a process gets a deep copy of its creator's primary token
 * and the default SD of it, a thread shares its process's token and starts
 * without impersonation, an exit drops the task unless the record is older
 * than the task that now has the tid, and an exec keeps one thread without
 * impersonation, keeps the SD and mitigations, applies NEW_PROCESS_MIN and
 * kills a non-PIE image under the PIE mitigation. Exec records are applied
 * to real processes (ck-sleeper built PIE and non-PIE).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/spawn.h>

#include "kacs/sup_internal.h"
#include "../support.h"

static struct ck__kacs_sup s;

/* A pretend S whose root (pid) has the given token. */
static void setup(pid_t root, const char *preset)
{
	memset(&s, 0, sizeof(s));
	s.cfg.profile = CK_KACS_V0_20;
	s.next_token_id = CK_KACS_TOKEN_ID_FIRST;
	s.sessions = ck_kacs_sessions_new();
	cr_assert_not_null(s.sessions);
	cr_assert_eq(ck_kacs_token_preset(preset, CK_KACS_V0_20, &s.next_token_id, &s.root_token), 0);
	uint64_t id;
	struct ck_kacs_session_info info = { .size = sizeof(info) };
	if (ck_kacs_session_get(s.sessions, s.root_token->auth_id, &info))
		cr_assert_eq(ck_kacs_session_add(s.sessions, CK_KACS_LOGON_INTERACTIVE, "Negotiate", 9,
						 &s.root_token->user, &id), 0);
	ck__kacs_set_current(&s);
	cr_assert_eq(ck__kacs_tasks_root(&s, root), 0);
}

static void teardown(void)
{
	ck__kacs_tasks_clear(&s);
	ck__kacs_set_current(NULL);
	ck_kacs_token_free(s.root_token);
	ck_kacs_sessions_free(s.sessions);
}

static struct ck__lin_rec rec(enum ck__lin_kind k, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid, uint64_t time)
{
	struct ck__lin_rec r = { .kind = k, .pid = pid, .ppid = ppid, .tid = tid, .ptid = ptid, .time = time };
	return r;
}

static int apply(struct ck__lin_rec r)
{
	return ck__kacs_tasks_apply(&s, &r);
}

Test(kacs_tasks, a_fork_gets_a_deep_copy_of_the_creators_token_and_a_thread_shares_it)
{
	setup(100, "user");
	struct ck__kacs_process *root = ck__kacs_process_find(&s, 100);
	cr_assert_not_null(root);
	/* the creator's token as of the record: a change before the fork is inherited */
	root->primary->t->privileges_enabled |= CK_KACS_PRIV(CK_KACS_SE_DEBUG);
	cr_assert_eq(apply(rec(CK__LIN_FORK, 200, 100, 200, 100, 10)), 0);
	struct ck__kacs_process *p = ck__kacs_process_find(&s, 200);
	cr_assert_not_null(p);
	cr_assert_neq(p->primary, root->primary);
	cr_assert_neq(p->primary->t->token_id, root->primary->t->token_id);
	cr_assert(p->primary->t->privileges_enabled & CK_KACS_PRIV(CK_KACS_SE_DEBUG));
	/* and a change after it is not */
	root->primary->t->privileges_enabled &= ~CK_KACS_PRIV(CK_KACS_SE_DEBUG);
	cr_assert(p->primary->t->privileges_enabled & CK_KACS_PRIV(CK_KACS_SE_DEBUG));
	cr_assert_eq(p->birth, 10);
	cr_assert_eq(p->creator_tid, 100);

	/* a thread of 200 made by 200, while 200's main thread impersonates */
	struct ck__kacs_thread *main = ck__kacs_thread_find(&s, 200);
	main->imp = ck__kacs_tok_get(root->primary);
	cr_assert_eq(apply(rec(CK__LIN_FORK, 200, 200, 201, 200, 11)), 0);
	struct ck__kacs_thread *t = ck__kacs_thread_find(&s, 201);
	cr_assert_not_null(t);
	cr_assert_eq(t->proc, p);
	cr_assert_null(t->imp, "a new thread starts without impersonation");
	cr_assert_eq(ck__kacs_effective(t), p->primary, "and acts with its process's token");
	cr_assert_eq(ck__kacs_effective(main), root->primary);
	cr_assert_eq(p->threads, 2);

	/* a process made by an impersonating thread gets its creator's primary token, not the impersonation */
	cr_assert_eq(apply(rec(CK__LIN_FORK, 300, 200, 300, 200, 12)), 0);
	struct ck__kacs_process *q = ck__kacs_process_find(&s, 300);
	cr_assert(q->primary->t->privileges_enabled & CK_KACS_PRIV(CK_KACS_SE_DEBUG));
	cr_assert_null(ck__kacs_thread_find(&s, 300)->imp);

	/* exits: the thread, then the process with its last thread */
	cr_assert_eq(apply(rec(CK__LIN_EXIT, 200, 200, 201, 200, 20)), 0);
	cr_assert_null(ck__kacs_thread_find(&s, 201));
	cr_assert_eq(p->threads, 1);
	cr_assert_eq(apply(rec(CK__LIN_EXIT, 300, 200, 300, 200, 21)), 0);
	cr_assert_null(ck__kacs_process_find(&s, 300));
	size_t procs;
	cr_assert_eq(ck__kacs_tasks_count(&s, &procs), 2);
	cr_assert_eq(procs, 2);
	teardown();
}

Test(kacs_tasks, clone_parent_is_noted_from_the_creators_trapped_flags)
{
	setup(100, "user");
	struct ck__kacs_thread *t = ck__kacs_thread_find(&s, 100);
	t->in_clone = true;
	t->clone_flags = CLONE_PARENT | SIGCHLD;
	cr_assert_eq(apply(rec(CK__LIN_FORK, 200, 100, 200, 100, 10)), 0);
	cr_assert(ck__kacs_process_find(&s, 200)->clone_parent);
	cr_assert(!t->in_clone, "the record ends the clone");
	cr_assert_eq(apply(rec(CK__LIN_FORK, 201, 100, 201, 100, 11)), 0);
	cr_assert(!ck__kacs_process_find(&s, 201)->clone_parent);
	teardown();
}

Test(kacs_tasks, a_reused_pid_is_told_apart_by_its_birth)
{
	setup(100, "user");
	cr_assert_eq(apply(rec(CK__LIN_FORK, 200, 100, 200, 100, 10)), 0);
	uint64_t first = ck__kacs_process_find(&s, 200)->primary->t->token_id;
	/* 200 ended and the pid came back before its EXIT record was read */
	cr_assert_eq(apply(rec(CK__LIN_FORK, 200, 100, 200, 100, 30)), 0);
	struct ck__kacs_process *p = ck__kacs_process_find(&s, 200);
	cr_assert_neq(p->primary->t->token_id, first);
	cr_assert_eq(apply(rec(CK__LIN_EXIT, 200, 100, 200, 100, 20)), 0, "the old task's exit");
	cr_assert_eq(ck__kacs_process_find(&s, 200), p, "removes nothing");
	cr_assert_eq(apply(rec(CK__LIN_EXIT, 200, 100, 200, 100, 40)), 0);
	cr_assert_null(ck__kacs_process_find(&s, 200));
	teardown();
}

Test(kacs_tasks, a_record_whose_creator_is_unknown_waits_and_a_lost_one_fails_closed)
{
	setup(100, "user");
	cr_assert_eq(apply(rec(CK__LIN_FORK, 300, 200, 300, 200, 10)), -EAGAIN);
	cr_assert_eq(apply(rec(CK__LIN_FORK, 250, 250, 251, 250, 10)), -EAGAIN, "a thread of an unknown process");
	cr_assert_eq(apply(rec(CK__LIN_EXIT, 999, 1, 999, 1, 10)), 0, "the exit of a task S never knew");
	struct ck__lin_rec lost = { .kind = CK__LIN_LOST, .lost = 3 };
	cr_assert_eq(ck__kacs_tasks_apply(&s, &lost), -EIO);
	teardown();
}

/* A real process running helper, in the table as the root's child with psb and the root's token. */
static struct ck_child *run_as(const char *helper, pid_t *pid)
{
	char *argv[] = { (char *)helper, NULL };
	struct ck_child *c;
	struct ck_spawn_error e = { .size = sizeof(e) };
	cr_assert_eq(ck_spawn(&c, helper, argv, NULL, NULL, &e), 0, "%s", e.message);
	*pid = ck_spawn_pid(c);
	return c;
}

static int end(struct ck_child *c)
{
	int st;
	ck_spawn_signal(c, SIGTERM);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	ck_spawn_free(c);
	return st;
}

Test(kacs_tasks, exec_keeps_one_thread_without_impersonation_the_sd_and_the_mitigations)
{
	pid_t pid;
	struct ck_child *c = run_as(getenv("CK_SLEEPER_PIE"), &pid);
	setup(pid, "admin");
	struct ck__kacs_process *p = ck__kacs_process_find(&s, pid);
	p->psb.mitigations = CK_KACS_PSB_NO_CHILD;
	struct ck_kacs_sd *sd = p->sd;
	cr_assert_eq(apply(rec(CK__LIN_FORK, pid, pid, pid + 100000, pid, 10)), 0);
	ck__kacs_thread_find(&s, pid)->imp = ck__kacs_tok_get(p->primary);
	uint64_t id = p->primary->t->token_id;
	cr_assert_eq(apply(rec(CK__LIN_EXEC, pid, 0, pid, 0, 20)), 0);
	cr_assert_eq(ck__kacs_process_find(&s, pid), p);
	cr_assert_eq(p->threads, 1);
	cr_assert_null(ck__kacs_thread_find(&s, pid + 100000));
	cr_assert_null(ck__kacs_thread_find(&s, pid)->imp);
	cr_assert_eq(p->sd, sd, "the SD stays");
	cr_assert_eq(p->psb.mitigations, CK_KACS_PSB_NO_CHILD);
	cr_assert_eq(p->psb.pip_type, 0, "no key table: PIP None");
	/* admin (High) has no NEW_PROCESS_MIN: the token stays */
	cr_assert_eq(p->primary->t->token_id, id);
	teardown();
	int st = end(c);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the PIE image was not killed: %#x", st);
}

Test(kacs_tasks, exec_of_an_unlabelled_file_lowers_a_new_process_min_token_to_medium)
{
	pid_t pid;
	struct ck_child *c = run_as(getenv("CK_SLEEPER_PIE"), &pid);
	setup(pid, "admin");
	struct ck__kacs_process *p = ck__kacs_process_find(&s, pid);
	p->primary->t->mandatory_policy |= CK_KACS_POLICY_NEW_PROCESS_MIN;
	cr_assert_eq(p->primary->t->integrity_rid, CK_KACS_IL_HIGH);
	uint64_t id = p->primary->t->token_id;
	cr_assert_eq(apply(rec(CK__LIN_EXEC, pid, 0, pid, 0, 20)), 0);
	cr_assert_eq(p->primary->t->integrity_rid, CK_KACS_IL_MEDIUM);
	cr_assert_neq(p->primary->t->token_id, id, "a new token");
	cr_assert(ck_kacs_sid_equal(&p->primary->t->user, &s.root_token->user));
	teardown();
	end(c);
}

Test(kacs_tasks, a_non_pie_image_under_the_pie_mitigation_is_killed_at_its_exec_record)
{
	pid_t pid;
	struct ck_child *c = run_as(getenv("CK_SLEEPER_NOPIE"), &pid);
	setup(pid, "user");
	ck__kacs_process_find(&s, pid)->psb.mitigations = CK_KACS_PSB_PIE;
	cr_assert_eq(apply(rec(CK__LIN_EXEC, pid, 0, pid, 0, 20)), 0);
	teardown();
	int st;
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	ck_spawn_free(c);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
}

Test(kacs_tasks, a_non_pie_image_without_the_mitigation_runs_on)
{
	pid_t pid;
	struct ck_child *c = run_as(getenv("CK_SLEEPER_NOPIE"), &pid);
	setup(pid, "user");
	cr_assert_eq(apply(rec(CK__LIN_EXEC, pid, 0, pid, 0, 20)), 0);
	teardown();
	int st = end(c);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
}
