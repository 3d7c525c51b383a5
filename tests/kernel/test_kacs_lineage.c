/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's lineage (design §3) on the real kernel: the perf task
 * records of a held child's tree, opened by the test as the supervisor
 * opens them, name every fork, thread, grandchild, CLONE_PARENT child
 * (by its creator) and exec, as root and as uid 65534.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/spawn.h>

#include "kacs/supervisor.h"
#include "../support.h"

#define MAXREC 256

struct recs {
	struct ck__lin_rec r[MAXREC];
	size_t n;
};

static int collect(void *data, const struct ck__lin_rec *r)
{
	struct recs *rs = data;
	cr_assert_lt(rs->n, MAXREC);
	rs->r[rs->n++] = *r;
	return 0;
}

static const struct ck__lin_rec *find(const struct recs *rs, enum ck__lin_kind kind, pid_t tid)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].kind == kind && rs->r[i].tid == tid)
			return &rs->r[i];
	return NULL;
}

struct made {
	pid_t self, fork, thread, child, grandchild, clone_parent, exec;
};

static void become_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0, "setgroups: %s", strerror(errno));
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
	/* a change of uid made us non-dumpable, and the held child inherits that until execve */
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 1), 0);
}

/* Runs ck-lineage held, with the rings opened on it, and reads what it made and the records. */
static void run_helper(struct made *m, struct recs *rs)
{
	const char *helper = getenv("CK_LINEAGE_HELPER");
	cr_assert(helper && *helper, "CK_LINEAGE_HELPER is not set (meson sets it)");
	char *argv[] = { (char *)helper, NULL };
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	struct ck_child *c;
	struct ck_spawn_error e = { .size = sizeof(e) };
	cr_assert_eq(ck_spawn(&c, helper, argv, NULL, a, &e), 0, "%s", e.message);
	ck_spawn_attr_free(a);
	close(p[1]);

	struct ck__lineage *l;
	struct ck_kacs_error err = { .size = sizeof(err) };
	int rc = ck__lineage_open(ck_spawn_pid(c), 0, &l, &err);
	if (rc == -EACCES) {
		ck_spawn_free(c);
		close(p[0]);
		ck_skip_or_fail("%s", err.message);
	}
	cr_assert_eq(rc, 0, "%s", err.message);
	cr_assert_gt(ck__lineage_nfds(l), 0);
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &e), 0, "%s", e.message);

	char out[1024] = "";
	size_t len = 0;
	for (ssize_t n; (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0;)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	int st;
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "helper: status %#x, output:\n%s", st, out);
	ck_spawn_free(c);

	memset(m, 0, sizeof(*m));
	pid_t self_tid;
	cr_assert_eq(sscanf(out,
			    "self %d %d\nfork %d\nthread %d\nchild %d\ngrandchild %d\nclone_parent %d\nexec %d\n",
			    &m->self, &self_tid, &m->fork, &m->thread, &m->child, &m->grandchild,
			    &m->clone_parent, &m->exec),
		     8, "helper output:\n%s", out);
	/* the CLONE_PARENT child is ours to reap */
	cr_assert_eq(waitpid(m->clone_parent, &st, 0), m->clone_parent);

	rs->n = 0;
	cr_assert_geq(ck__lineage_drain(l, collect, rs), 0);
	ck__lineage_free(l);
}

static void check_records(const struct made *m, const struct recs *rs)
{
	const struct ck__lin_rec *r;

	for (size_t i = 0; i < rs->n; i++) {
		cr_assert_neq(rs->r[i].kind, CK__LIN_LOST, "a LOST record");
		if (i)
			cr_assert_geq(rs->r[i].time, rs->r[i - 1].time, "records merged by time");
	}
	/* the helper's own exec, then what it made */
	cr_assert_not_null(r = find(rs, CK__LIN_EXEC, m->self), "the helper's exec");
	cr_assert_str_eq(r->comm, "ck-lineage");
	cr_assert_not_null(r = find(rs, CK__LIN_FORK, m->fork), "fork");
	cr_assert(r->pid == m->fork && r->ppid == m->self && r->ptid == m->self);
	cr_assert_not_null(find(rs, CK__LIN_EXIT, m->fork), "fork's exit");

	cr_assert_not_null(r = find(rs, CK__LIN_FORK, m->thread), "thread");
	cr_assert(r->pid == m->self && r->ppid == m->self && r->ptid == m->self,
		  "a thread: pid == ppid, tid != ptid (pid %d ppid %d ptid %d)", r->pid, r->ppid, r->ptid);
	cr_assert_not_null(r = find(rs, CK__LIN_EXIT, m->thread), "thread's exit");
	cr_assert_eq(r->pid, m->self);

	cr_assert_not_null(r = find(rs, CK__LIN_FORK, m->grandchild), "grandchild");
	cr_assert(r->pid == m->grandchild && r->ppid == m->child && r->ptid == m->child);
	cr_assert_not_null(find(rs, CK__LIN_FORK, m->child));

	/* the creator, not the real parent, in FORK; the real parent in EXIT */
	cr_assert_not_null(r = find(rs, CK__LIN_FORK, m->clone_parent), "CLONE_PARENT child");
	cr_assert_eq(r->ppid, m->self);
	cr_assert_eq(r->ptid, m->self);
	cr_assert_not_null(r = find(rs, CK__LIN_EXIT, m->clone_parent));
	cr_assert_eq(r->ppid, getpid());

	cr_assert_not_null(r = find(rs, CK__LIN_EXEC, m->exec), "exec");
	cr_assert_str_eq(r->comm, "true");
	const struct ck__lin_rec *f = find(rs, CK__LIN_FORK, m->exec), *x = find(rs, CK__LIN_EXIT, m->exec);
	cr_assert(f && x && f->time <= r->time && r->time <= x->time, "fork, exec, exit in order");
}

Test(kacs_lineage, every_fork_thread_grandchild_clone_parent_and_exec_is_recorded_as_root)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root");
	struct made m;
	static struct recs rs;
	run_helper(&m, &rs);
	check_records(&m, &rs);
}

Test(kacs_lineage, every_fork_thread_grandchild_clone_parent_and_exec_is_recorded_as_uid_65534)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	become_nobody();
	struct made m;
	static struct recs rs;
	run_helper(&m, &rs);
	check_records(&m, &rs);
}

Test(kacs_lineage, a_pages_count_that_is_not_a_power_of_two_is_refused)
{
	struct ck__lineage *l = (void *)1;
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(ck__lineage_open(getpid(), 3, &l, &err), -EINVAL);
	cr_assert_null(l);
	cr_assert_str_eq(err.message, "perf pages 3: not a power of two");
}

Test(kacs_lineage, an_empty_drain_delivers_nothing)
{
	struct ck__lineage *l;
	struct ck_kacs_error err = { .size = sizeof(err) };
	int rc = ck__lineage_open(getpid(), 1, &l, &err);
	if (rc == -EACCES)
		ck_skip_or_fail("%s", err.message);
	cr_assert_eq(rc, 0, "%s", err.message);
	static struct recs rs;
	cr_assert_eq(ck__lineage_drain(l, collect, &rs), 0);
	cr_assert_eq(rs.n, 0);
	ck__lineage_free(l);
}
