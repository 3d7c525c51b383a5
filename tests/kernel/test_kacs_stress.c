/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The KACS supervisor's lineage under load (design §3, §13 "Stress"),
 * driven in-process with ck_kacs_supervisor_start and _step: ck-kacs-stress
 * makes threads, processes and a /proc-scanning racer, and stops at quiet
 * points ("Q PID" on a pipe, then it waits for our byte), where the
 * supervisor's task table (ck_kacs_supervisor_tasks) must equal the tasks
 * /proc lists for the tree, exactly. No lineage record may be lost.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs.h>
#include <clonekit/spawn.h>

#include "../support.h"

#define MAX_TASKS 4096

struct stress {
	struct ck_kacs_supervisor *s;
	int quiet_r, ack_w;   /* our ends: the workload writes "Q PID", we answer one byte */
	unsigned quiet_points;
	char out[4096];       /* the workload's stdout */
	int out_r;
	size_t out_len;
	/* the racer's kills as the decision callback saw them */
	const char *tree_user;
	unsigned long kill_decisions, kill_unknown_target;
	char first_bad[256];
};

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* Every pid's parent, from /proc/PID/stat (0 where it has gone meanwhile). */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	int ppid = 0;
	return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? ppid : 0;
}

/* The tids /proc lists for root and its descendants, sorted. */
static size_t proc_tree_tasks(pid_t root, pid_t *out, size_t max)
{
	pid_t procs[MAX_TASKS];
	size_t np = 0, n = 0;
	DIR *d = opendir("/proc");
	cr_assert_not_null(d);
	procs[np++] = root;
	/* a child's pid may be below its parent's after a wrap: repeat until nothing is added */
	for (bool added = true; added;) {
		added = false;
		rewinddir(d);
		for (struct dirent *e; (e = readdir(d));) {
			pid_t p = (pid_t)atoi(e->d_name), pp;
			bool known = false;
			if (p <= 0)
				continue;
			for (size_t i = 0; i < np && !known; i++)
				known = procs[i] == p;
			if (known || !(pp = parent_of(p)))
				continue;
			for (size_t i = 0; i < np; i++) {
				if (procs[i] == pp && np < MAX_TASKS) {
					procs[np++] = p;
					added = true;
					break;
				}
			}
		}
	}
	closedir(d);
	for (size_t i = 0; i < np; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", (int)procs[i]);
		DIR *t = opendir(path);
		cr_assert_not_null(t, "%s: %s", path, strerror(errno));
		for (struct dirent *e; (e = readdir(t));)
			if (e->d_name[0] != '.' && n < max)
				out[n++] = (pid_t)atoi(e->d_name);
		closedir(t);
	}
	qsort(out, n, sizeof(*out), cmp_pid);
	return n;
}

/* A quiet point: the supervisor's table against /proc, then the workload goes on. */
static void at_quiet(struct stress *t, pid_t root)
{
	static pid_t have[MAX_TASKS], want[MAX_TASKS];
	size_t nh = ck_kacs_supervisor_tasks(t->s, have, MAX_TASKS);
	size_t nw = proc_tree_tasks(root, want, MAX_TASKS);

	cr_assert_leq(nh, (size_t)MAX_TASKS);
	qsort(have, nh, sizeof(*have), cmp_pid);
	for (size_t i = 0; i < nh || i < nw; i++) {
		pid_t h = i < nh ? have[i] : 0, w = i < nw ? want[i] : 0;
		cr_assert_eq(h, w,
			     "quiet point %u: the supervisor knows %zu tasks, /proc lists %zu for the tree of %d; "
			     "first difference at %zu: supervisor %d, /proc %d",
			     t->quiet_points + 1, nh, nw, (int)root, i, (int)h, (int)w);
	}
	t->quiet_points++;
	cr_assert_eq(write(t->ack_w, "A", 1), 1);
}

static void on_decision(const struct ck_kacs_decision *d, void *data)
{
	struct stress *t = data;
	if (strcmp(d->syscall, "kill") != 0)
		return;
	t->kill_decisions++;
	/* decided without the newborn's record, it would be external: no token, the external SD */
	if (d->target_pid <= 0 || !d->target_user || strcmp(d->target_user, t->tree_user) != 0 || d->verdict) {
		if (!t->kill_unknown_target++)
			snprintf(t->first_bad, sizeof(t->first_bad), "kill by %d of %d: target user %s, verdict %d",
				 (int)d->caller_tid, (int)d->target_pid, d->target_user ? d->target_user : "(none)",
				 d->verdict);
	}
}

/* Starts ck-kacs-stress ARGS under a supervisor whose root has the "user" preset. */
static void start(struct stress *t, char *const args[])
{
	const char *helper = getenv("CK_KACS_STRESS");
	struct ck_kacs_token *tok = NULL;
	struct ck_kacs_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	int q[2], ack[2], out[2], r;
	char *argv[8];
	size_t n = 0;
	static char user[64];

	if (geteuid() != 0)
		ck_skip_or_fail("the supervisor's lineage needs perf events (root, or perf_event_paranoid <= 2)");
	cr_assert_not_null(helper, "CK_KACS_STRESS is not set");
	memset(t, 0, sizeof(*t));
	argv[n++] = (char *)helper;
	for (; args[n - 1] && n < 7; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	cr_assert_eq(ck_kacs_token_preset("user", CK_KACS_V0_20, NULL, &tok), 0);
	ck_kacs_sid_format(&tok->user, user, sizeof(user));
	t->tree_user = user;
	struct ck_kacs_supervisor_opts o = { .size = sizeof(o), .token = tok, .on_decision = on_decision,
					     .data = t, .decisions_fd = -1 };
	r = ck_kacs_supervisor_new(&t->s, &o, &err);
	cr_assert_eq(r, 0, "ck_kacs_supervisor_new: %s", err.message);
	ck_kacs_token_free(tok);
	cr_assert_eq(pipe2(q, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ack, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, q[1], 3), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, ack[0], 4), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, out[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	r = ck_kacs_supervisor_start(t->s, helper, argv, NULL, a, &err);
	if (r == -EACCES)
		ck_skip_or_fail("perf events refused: %s", err.message);
	cr_assert_eq(r, 0, "ck_kacs_supervisor_start: %s (%s)", err.message, strerror(-r));
	ck_spawn_attr_free(a);
	close(q[1]);
	close(ack[0]);
	close(out[1]);
	t->quiet_r = q[0];
	t->ack_w = ack[1];
	t->out_r = out[0];
}

/* Serves the tree to its end, answering quiet points; the root's status. */
static int serve(struct stress *t)
{
	char buf[256];
	size_t have = 0;
	int r, status;

	for (;;) {
		struct pollfd fds[3] = { { .fd = ck_kacs_supervisor_fd(t->s), .events = POLLIN },
					 { .fd = t->quiet_r, .events = POLLIN },
					 { .fd = t->out_r, .events = POLLIN } };
		cr_assert_geq(poll(fds, 3, 100), 0);
		if (fds[1].revents & POLLIN) {
			ssize_t n = read(t->quiet_r, buf + have, sizeof(buf) - 1 - have);
			cr_assert_geq(n, 0);
			have += (size_t)n;
			buf[have] = '\0';
			for (char *nl; (nl = strchr(buf, '\n'));) {
				int pid = 0;
				cr_assert_eq(sscanf(buf, "Q %d", &pid), 1, "from the workload: %s", buf);
				at_quiet(t, pid);
				have -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, have + 1);
			}
		} else if (fds[1].revents) {
			fds[1].fd = -1;
		}
		if ((fds[2].revents & POLLIN) && t->out_len + 1 < sizeof(t->out)) {
			ssize_t n = read(t->out_r, t->out + t->out_len, sizeof(t->out) - 1 - t->out_len);
			if (n > 0)
				t->out_len += (size_t)n;
			t->out[t->out_len] = '\0';
		}
		r = ck_kacs_supervisor_step(t->s, 0);
		cr_assert_geq(r, 0, "ck_kacs_supervisor_step: %s (lineage lost?)", strerror(-r));
		if (r == 0)
			break;
	}
	for (ssize_t n; t->out_len + 1 < sizeof(t->out) &&
			(n = read(t->out_r, t->out + t->out_len, sizeof(t->out) - 1 - t->out_len)) > 0;)
		t->out_len += (size_t)n;
	t->out[t->out_len] = '\0';
	cr_assert_eq(ck_kacs_supervisor_status(t->s, &status), 0);
	return status;
}

static void finish(struct stress *t, struct ck_kacs_supervisor_stats *st)
{
	st->size = sizeof(*st);
	cr_assert_eq(ck_kacs_supervisor_stats(t->s, st), 0);
	cr_assert_eq(st->lost, 0, "%lu lineage records lost", (unsigned long)st->lost);
	close(t->quiet_r);
	close(t->ack_w);
	close(t->out_r);
	ck_kacs_supervisor_free(t->s);
}

/*
 * Runs the workload args to its end under the supervisor: it exits 0, the
 * task table met /proc at quiet_points quiet points, and S read at least
 * min_records lineage records; what is printed is named by what.
 */
static void run_exact(char *const args[], unsigned quiet_points, uint64_t min_records, const char *what)
{
	struct stress t;
	struct ck_kacs_supervisor_stats st;
	long t0 = ck_test_now_ms();

	start(&t, args);
	int status = serve(&t);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	finish(&t, &st);
	cr_assert_eq(t.quiet_points, quiet_points);
	cr_assert_geq(st.records, min_records);
	printf("%s: %lu records, %lu notifications, %u quiet points, %ld ms\n", what,
	       (unsigned long)st.records, (unsigned long)st.notifications, t.quiet_points,
	       ck_test_now_ms() - t0);
}

Test(kacs_stress, twenty_thousand_threads_sixteen_alive_keep_the_task_table_exact, .timeout = 120)
{
	char *const args[] = { "threads", "20000", "16", NULL };

	/* a batch of 16 held alive at each of 1250 quiet points, then the lone main thread; every
	   thread's FORK and EXIT, and the root's EXIT */
	run_exact(args, 1251, 2 * 20000, "20000 threads");
}

Test(kacs_stress, five_thousand_spawns_keep_the_task_table_exact, .timeout = 120)
{
	char *const args[] = { "spawn", "5000", "8", NULL };

	/* FORK, EXEC and EXIT of every child */
	run_exact(args, 626, 3 * 5000, "5000 spawns");
}

/*
 * A new process's first thread is not trapped: its FORK record may sit in
 * one CPU's ring while its process's, committed first, sits in another's
 * that S has just read. The pass must hold both, or S finds a thread of no
 * process and fails closed.
 */
Test(kacs_stress, five_thousand_new_processes_each_starting_a_thread_at_once, .timeout = 120)
{
	struct stress t;
	struct ck_kacs_supervisor_stats st;
	char *const args[] = { "fork-thread", "5000", "8", NULL };
	long t0 = ck_test_now_ms();

	start(&t, args);
	int status = serve(&t);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	finish(&t, &st);
	cr_assert_eq(t.quiet_points, 625);
	/* FORK and EXIT of every child and of its thread */
	cr_assert_geq(st.records, 4 * 5000);
	printf("5000 forks each starting a thread: %lu records, %lu notifications, %u quiet points, %ld ms\n",
	       (unsigned long)st.records, (unsigned long)st.notifications, t.quiet_points,
	       ck_test_now_ms() - t0);
}

Test(kacs_stress, a_racer_signalling_newborns_is_answered_only_with_their_records, .timeout = 120)
{
	struct stress t;
	struct ck_kacs_supervisor_stats st;
	char *const args[] = { "race", "3000", NULL };
	long kills = -1, ok = -1, esrch = -1, other = -1;
	long t0 = ck_test_now_ms();

	start(&t, args);
	int status = serve(&t);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x: %s", status, t.out);
	finish(&t, &st);
	cr_assert_eq(sscanf(t.out, "kills %ld ok %ld esrch %ld other %ld", &kills, &ok, &esrch, &other), 4,
		     "the workload said: %s", t.out);
	/* an answer decided without the newborn's record would be the external SD's EACCES */
	cr_assert_eq(other, 0, "the racer got %ld answers other than 0 and ESRCH: %s", other, t.out);
	cr_assert_eq(t.kill_unknown_target, 0, "%lu kill decisions named no tree process; first: %s",
		     t.kill_unknown_target, t.first_bad);
	cr_assert_gt(ok, 0, "the racer signalled no newborn: the race did not run (%s)", t.out);
	/* every kill that reached a live child was decided, and named it */
	cr_assert_geq(t.kill_decisions, (unsigned long)ok);
	printf("racer: %ld kills (%ld ok, %ld ESRCH), %lu decisions, %lu deferred for a newborn's record, %ld ms\n",
	       kills, ok, esrch, t.kill_decisions, (unsigned long)st.deferred, ck_test_now_ms() - t0);
}
