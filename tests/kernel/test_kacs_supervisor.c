/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's loop on the real kernel (design §2-§4, §10.1): a tree is
 * started held, followed through its lineage records and served until it
 * ends, with the command's status; a process gets a deep copy of its
 * creator's token; a lost lineage record kills the tree; as root and as
 * uid 65534. These tests install a small filter of their own (unshare of a
 * UTS namespace is notified), so that only the loop's own work is tested.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "kacs/sup_internal.h"
#include "../run.h"
#include "../support.h"

struct ck_kacs_supervisor {
	struct ck__kacs_sup s;
};

static void become_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0, "setgroups: %s", strerror(errno));
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
}

static struct ck_seccomp_policy *test_policy;

static struct ck_kacs_supervisor *new_sup(unsigned pages)
{
	struct ck_kacs_supervisor_opts o = { .size = sizeof(o), .decisions_fd = -1, .perf_pages = pages };
	struct ck_kacs_supervisor *sv;
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(ck_kacs_supervisor_new(&sv, &o, &err), 0, "%s", err.message);
	test_policy = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	cr_assert_not_null(test_policy);
	ck__kacs_supervisor_set_policy(sv, test_policy);
	return sv;
}

static void free_sup(struct ck_kacs_supervisor *sv)
{
	ck_kacs_supervisor_free(sv);
	ck_seccomp_policy_free(test_policy);
	test_policy = NULL;
}

static void start(struct ck_kacs_supervisor *sv, char **argv, struct ck_spawn_attr *a)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	int rc = ck_kacs_supervisor_start(sv, argv[0], argv, NULL, a, &err);
	if (rc == -EACCES && strstr(err.message, "perf_event_paranoid"))
		ck_skip_or_fail("%s", err.message);
	cr_assert_eq(rc, 0, "%s", err.message);
}

/* Starts argv with its stdout a pipe (*out: the read end) and, when in is not NULL, its stdin one (*in: the write end). */
static void start_piped(struct ck_kacs_supervisor *sv, char **argv, int *in, int *out)
{
	int o[2], i[2] = { -1, -1 };
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	if (in)
		cr_assert_eq(pipe2(i, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	if (in)
		cr_assert_eq(ck_spawn_attr_add_fd(a, i[0], 0), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, o[1], 1), 0);
	start(sv, argv, a);
	ck_spawn_attr_free(a);
	close(o[1]);
	*out = o[0];
	if (in) {
		close(i[0]);
		*in = i[1];
	}
}

/* Reads from fd up to a newline (NUL-terminated into line) while the supervisor serves the tree. */
static void read_line_serving(struct ck_kacs_supervisor *sv, int fd, char *line, size_t size)
{
	size_t len = 0;
	line[0] = '\0';
	while (!strchr(line, '\n')) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 0) == 1) {
			ssize_t n = read(fd, line + len, size - 1 - len);
			cr_assert_gt(n, 0);
			len += (size_t)n;
			line[len] = '\0';
			continue;
		}
		cr_assert_eq(ck_kacs_supervisor_step(sv, 50), 1);
	}
}

static int serve(struct ck_kacs_supervisor *sv)
{
	int rc;
	while ((rc = ck_kacs_supervisor_step(sv, -1)) == 1)
		;
	return rc;
}

/* No child of this process is left (every one was reaped). */
static void serves_a_tree_to_its_end(void)
{
	const char *helper = getenv("CK_LINEAGE_HELPER");
	cr_assert(helper && *helper);
	struct ck_kacs_supervisor *sv = new_sup(0);
	char *argv[] = { (char *)helper, NULL };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_add_fd(a, devnull, 1), 0);
	start(sv, argv, a);
	ck_spawn_attr_free(a);
	close(devnull);
	cr_assert_eq(serve(sv), 0);
	int st;
	cr_assert_eq(ck_kacs_supervisor_status(sv, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	struct ck_kacs_supervisor_stats stats = { .size = sizeof(stats) };
	cr_assert_eq(ck_kacs_supervisor_stats(sv, &stats), 0);
	/* exec of the root; 5 processes and a thread: FORK, EXIT each; the exec of /bin/true */
	cr_assert_geq(stats.records, 14, "records %llu", (unsigned long long)stats.records);
	cr_assert_eq(stats.lost, 0);
	cr_assert_eq(stats.tasks, 0);
	cr_assert_eq(stats.processes, 0);
	free_sup(sv);
	/* the CLONE_PARENT child's parent was S: the loop reaped it too */
	ck_test_assert_no_children();
}

Test(kacs_supervisor, a_tree_is_served_until_its_last_task_ends_as_root)
{
	serves_a_tree_to_its_end();
}

Test(kacs_supervisor, a_tree_is_served_until_its_last_task_ends_as_uid_65534)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	become_nobody();
	serves_a_tree_to_its_end();
}

static void status_of(char **argv, struct ck_kacs_error *err, int *out)
{
	struct ck_kacs_supervisor *sv = new_sup(0);
	int st = -1;
	int rc = ck_kacs_supervisor_run(sv, argv[0], argv, NULL, NULL, &st, err);
	free_sup(sv);
	if (rc == -EACCES && strstr(err->message, "perf_event_paranoid"))
		ck_skip_or_fail("%s", err->message);
	ck_test_assert_no_children();
	*out = rc ? rc : st;
}

Test(kacs_supervisor, the_status_of_the_command_is_its_exit_code_or_its_signal)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	char *exit7[] = { "/bin/sh", "-c", "exit 7", NULL };
	char *term[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
	int st;
	status_of(exit7, &err, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %#x", st);
	status_of(term, &err, &st);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
}

Test(kacs_supervisor, a_missing_command_fails_the_start_with_enoent_and_leaves_nothing)
{
	struct ck_kacs_error err = { .size = sizeof(err) };
	char *argv[] = { "/nonexistent/ck-kacs", NULL };
	int st;
	status_of(argv, &err, &st);
	cr_assert_eq(st, -ENOENT, "%s", err.message);
	cr_assert(strstr(err.message, "/nonexistent/ck-kacs"), "%s", err.message);
}

/* The root's state, and a child's made at its FORK record: a deep copy of the token, the PSB, the default SD. */
static void a_child_gets_a_copy_of_its_creators_token(void)
{
	struct ck_kacs_supervisor *sv = new_sup(0);
	char *argv[] = { "/bin/sh", "-c", "sleep 30 & echo $!; read x; kill $!", NULL };
	int in, out;
	start_piped(sv, argv, &in, &out);
	char line[32];
	read_line_serving(sv, out, line, sizeof(line));
	pid_t child = atoi(line);
	struct rlimit nofile;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &nofile), 0);
	cr_assert_eq(nofile.rlim_cur, nofile.rlim_max, "S raises its fd limit for token handles (design §6)");
	cr_assert_eq(prctl(PR_GET_DUMPABLE), 0, "S is not dumpable");
	/* the FORK record is in a ring before the child runs; a step drains it */
	cr_assert_eq(ck_kacs_supervisor_step(sv, 0), 1);
	struct ck__kacs_sup *s = &sv->s;
	struct ck__kacs_process *root = ck__kacs_process_find(s, s->root_pid);
	struct ck__kacs_process *p = ck__kacs_process_find(s, child);
	cr_assert_not_null(root);
	cr_assert_not_null(p, "child %d is not in the table", (int)child);
	cr_assert_neq(p->primary, root->primary, "a process has its own token object");
	cr_assert_gt(p->primary->t->token_id, root->primary->t->token_id);
	cr_assert(ck_kacs_sid_equal(&p->primary->t->user, &root->primary->t->user));
	cr_assert_eq(p->primary->t->privileges_enabled, root->primary->t->privileges_enabled);
	cr_assert_eq(p->psb.mitigations, root->psb.mitigations);
	struct ck_kacs_sd *def = ck_kacs_process_sd_default(root->primary->t, CK_KACS_V0_20);
	cr_assert(ck_kacs_sd_equal(p->sd, def), "the default process SD of the creator's token");
	ck_kacs_sd_free(def);
	cr_assert_eq(p->creator_tid, s->root_pid);
	cr_assert_eq(p->threads, 1);
	cr_assert_null(ck__kacs_thread_find(s, child)->imp);

	close(in); /* read x ends, the shell kills the sleep */
	close(out);
	cr_assert_eq(serve(sv), 0);
	int st;
	cr_assert_eq(ck_kacs_supervisor_status(sv, &st), 0);
	cr_assert(WIFEXITED(st), "status %#x", st);
	free_sup(sv);
	ck_test_assert_no_children();
}

Test(kacs_supervisor, a_child_gets_a_deep_copy_of_its_creators_token_as_root)
{
	a_child_gets_a_copy_of_its_creators_token();
}

Test(kacs_supervisor, a_child_gets_a_deep_copy_of_its_creators_token_as_uid_65534)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	become_nobody();
	a_child_gets_a_copy_of_its_creators_token();
}

/* Records the ring had no room for end the tree: never a guess (§3). */
Test(kacs_supervisor, a_lost_lineage_record_kills_the_tree_and_fails_with_eio)
{
	struct ck_kacs_supervisor *sv = new_sup(1); /* one page: about 80 records */
	char *argv[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; "
					  "echo burst; read x; sleep 30", NULL };
	int in, out;
	start_piped(sv, argv, &in, &out);
	/* the supervisor does not drain while the burst runs: the ring overflows */
	char buf[16];
	cr_assert_eq(read(out, buf, sizeof(buf)), 6);
	/* the first drain sees a full ring and asks perf how many records it dropped */
	cr_assert_eq(ck_kacs_supervisor_step(sv, 0), -EIO);
	cr_assert(strstr(ck_kacs_supervisor_message(sv), "lineage lost"), "%s", ck_kacs_supervisor_message(sv));
	struct ck_kacs_supervisor_stats stats = { .size = sizeof(stats) };
	cr_assert_eq(ck_kacs_supervisor_stats(sv, &stats), 0);
	cr_assert_gt(stats.lost, 0);
	int st;
	cr_assert_eq(ck_kacs_supervisor_status(sv, &st), 0);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	if (in >= 0)
		close(in);
	close(out);
	free_sup(sv);
	ck_test_assert_no_children();
}

/* ---- clonekit kacs run -------------------------------------------------------------- */

struct cli_run {
	int code;
	char out[4096], err[4096];
};

/* clonekit ARGS..., as root or as uid 65534: its exit code, stdout and stderr. */
static void cli(struct cli_run *r, bool nobody, ...)
{
	const char *bin = getenv("CLONEKIT_BIN");
	cr_assert(bin && *bin, "CLONEKIT_BIN is not set (meson sets it)");
	char *argv[32] = { (char *)bin };
	size_t n = 1;
	va_list ap;
	va_start(ap, nobody);
	for (char *s; n < 31 && (s = va_arg(ap, char *));)
		argv[n++] = s;
	va_end(ap);
	argv[n] = NULL;
	struct ck_test_run_opts o = { .capture_stderr = true, .tee_fd = -1, .as_nobody = nobody };
	struct ck_test_run run;
	int e = ck_test_run(argv, &o, &run);
	cr_assert_eq(e, 0, "running %s: %s", bin, strerror(e));
	snprintf(r->out, sizeof(r->out), "%s", run.out);
	snprintf(r->err, sizeof(r->err), "%s", run.err);
	int st = run.status;
	ck_test_run_free(&run);
	cr_assert(WIFEXITED(st), "clonekit: status %#x", st);
	r->code = WEXITSTATUS(st);
	if (r->code == 125 && strstr(r->err, "perf_event_paranoid"))
		ck_skip_or_fail("%s", r->err);
}

static void cli_exit_codes(bool nobody)
{
	static struct cli_run r;
	cli(&r, nobody, "kacs", "run", "--", "/bin/sh", "-c", "echo out; exit 3", NULL);
	cr_assert_eq(r.code, 3, "%s", r.err);
	cr_assert_str_eq(r.out, "out\n");
	cr_assert_str_eq(r.err, "");
	cli(&r, nobody, "kacs", "run", "--", "/nonexistent/cmd", NULL);
	cr_assert_eq(r.code, 127, "%s", r.err);
	cr_assert(strstr(r.err, "clonekit kacs run: ") && strstr(r.err, "/nonexistent/cmd"), "%s", r.err);
	cli(&r, nobody, "kacs", "run", "--", "/bin/sh", "-c", "kill -KILL $$", NULL);
	cr_assert_eq(r.code, 128 + SIGKILL, "%s", r.err);
	cli(&r, nobody, "kacs", "run", "--", "/etc/passwd", NULL);
	cr_assert_eq(r.code, 126, "%s", r.err);
	cli(&r, nobody, "kacs", "run", "--psb", "tlp", "--", "true", NULL);
	cr_assert_eq(r.code, 125);
	cr_assert_str_eq(r.err, "clonekit kacs run: psb 0x2: the supervisor cannot activate 0x2 "
				"(only nochild, pie, ui_access)\n");
	cli(&r, nobody, "kacs", "run", "--perf-pages", "3", "--", "true", NULL);
	cr_assert_eq(r.code, 125);
	cr_assert(strstr(r.err, "--perf-pages 3: a power of two"), "%s", r.err);
	cli(&r, nobody, "kacs", "run", NULL);
	cr_assert_eq(r.code, 125);
	cr_assert(strstr(r.err, "no command given"), "%s", r.err);
}

Test(kacs_supervisor, kacs_run_exits_as_clonekit_run_does_as_root)
{
	cli_exit_codes(false);
}

Test(kacs_supervisor, kacs_run_exits_as_clonekit_run_does_as_uid_65534)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	cli_exit_codes(true);
}

Test(kacs_supervisor, kacs_run_uid_runs_the_tree_as_that_user)
{
	if (geteuid() != 0)
		ck_skip_or_fail("--uid needs root");
	static struct cli_run r;
	cli(&r, false, "kacs", "run", "--uid", "65534", "--", "/bin/sh", "-c", "id -u; id -G", NULL);
	cr_assert_eq(r.code, 0, "%s", r.err);
	char want[64];
	struct group *g = getgrgid(getpwuid(65534) ? getpwuid(65534)->pw_gid : 65534);
	snprintf(want, sizeof(want), "65534\n%u\n", g ? (unsigned)g->gr_gid : 65534u);
	cr_assert_str_eq(r.out, want);
}

Test(kacs_supervisor, kacs_run_logs_each_decision_as_a_json_line)
{
	char path[] = "/tmp/ck-kacs-decisions-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	static struct cli_run r;
	/* user may not signal init (outside the tree: O:SYG:SYD:(A;;GA;;;SY)); may signal its own child */
	cli(&r, false, "kacs", "run", "--token", "user", "--decisions", path, "--json", "--", "/bin/sh", "-c",
	    "sleep 30 & kill -0 1 2>/dev/null && exit 9; kill $!; wait", NULL);
	int dfd = open(path, O_RDONLY | O_CLOEXEC);
	static char text[4096];
	ck_test_read_all(dfd, text, sizeof(text));
	close(dfd);
	unlink(path);
	cr_assert_eq(r.code, 0, "%s", r.err);
	char *first = strstr(text, "\"op\":\"signal\",\"right\":\"0x1000\"");
	cr_assert_not_null(first, "%s", text);
	cr_assert(strstr(text, "\"target_pid\":1,\"target_user\":null,\"syscall\":\"kill\",\"op\":\"signal\","
			       "\"right\":\"0x1000\",\"granted\":\"0x0\",\"result\":-13,\"error\":\"EACCES\","
			       "\"reason\":\"sd\""),
		  "%s", text);
	cr_assert(strstr(text, "\"caller_user\":\"S-1-5-21-1-2-3-1001\""), "%s", text);
	cr_assert(strstr(text, "\"op\":\"signal\",\"right\":\"0x1\",\"granted\":\"0x1\",\"result\":0,\"error\":null,"
			       "\"reason\":null"),
		  "%s", text);
	size_t lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	cr_assert_eq(lines, 2, "one line per decision: %s", text);
	cr_assert(strstr(r.err, "\"exit_code\":0,\"error\":null,\"supervisor\":{\"records\":"), "%s", r.err);
	cr_assert(strstr(r.err, "\"lost\":0,"), "%s", r.err);
	cr_assert(strstr(r.err, "\"decisions\":2}"), "%s", r.err);
}

/*
 * A target found in /proc whose parent is S but that no record named is
 * taken for a task being born into the tree (§3): the call waits for its
 * FORK record, and without one is answered ESRCH after 1 s. A child of the
 * test outside the tree is such a pid.
 */
Test(kacs_supervisor, a_call_on_a_newborn_without_a_record_waits_one_second_then_gets_esrch)
{
	struct ck_kacs_supervisor *sv;
	struct ck_kacs_supervisor_opts o = { .size = sizeof(o), .decisions_fd = -1 };
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(ck_kacs_supervisor_new(&sv, &o, &err), 0, "%s", err.message);
	pid_t outsider = fork();
	cr_assert_geq(outsider, 0);
	if (outsider == 0) {
		pause();
		_exit(0);
	}
	char script[128];
	snprintf(script, sizeof(script), "read x; kill -0 %d 2>/dev/null; echo $?", (int)outsider);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	int go, out; /* after the fork: the outsider must not hold the pipes' ends */
	start_piped(sv, argv, &go, &out);
	uint64_t t0 = ck__kacs_now_ns(CLOCK_MONOTONIC);
	close(go);
	char line[16];
	read_line_serving(sv, out, line, sizeof(line));
	uint64_t waited = ck__kacs_now_ns(CLOCK_MONOTONIC) - t0;
	cr_assert_str_eq(line, "1\n", "kill -0 failed (ESRCH)");
	cr_assert_geq(waited, 1000000000ull, "answered after %llu ns", (unsigned long long)waited);
	struct ck_kacs_supervisor_stats st = { .size = sizeof(st) };
	cr_assert_eq(ck_kacs_supervisor_stats(sv, &st), 0);
	cr_assert_eq(st.deferred, 1);
	/* the outsider is a child of S too: the tree ends once it is gone */
	kill(outsider, SIGKILL);
	cr_assert_eq(serve(sv), 0);
	close(out);
	ck_kacs_supervisor_free(sv);
	ck_test_assert_no_children();
}

/* A child of parent running comm, from /proc (0 while there is none yet). */
static pid_t child_named(pid_t parent, const char *comm)
{
	DIR *d = opendir("/proc");
	pid_t found = 0;
	cr_assert_not_null(d);
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[64], line[256];
		int pid = atoi(e->d_name), ppid;
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		char *rp;
		if (fgets(line, sizeof(line), f) && (rp = strrchr(line, ')')) && sscanf(rp + 1, " %*c %d", &ppid) == 1 &&
		    ppid == parent && strstr(line, comm))
			found = pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

Test(kacs_supervisor, kacs_run_forwards_sigterm_to_the_command)
{
	const char *bin = getenv("CLONEKIT_BIN");
	cr_assert(bin && *bin);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(bin, bin, "kacs", "run", "--", "/bin/sleep", "30", (char *)NULL);
		_exit(98);
	}
	/* once sleep runs, kacs run blocks SIGTERM and forwards it */
	for (int i = 0; i < 500 && !child_named(pid, "(sleep)"); i++)
		usleep(10000);
	cr_assert_neq(child_named(pid, "(sleep)"), 0, "sleep did not start under kacs run");
	cr_assert_eq(kill(pid, SIGTERM), 0);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %#x", st);
}

/* Freeing a supervisor whose tree still runs kills and reaps the whole tree. */
Test(kacs_supervisor, free_kills_and_reaps_a_running_tree)
{
	struct ck_kacs_supervisor *sv = new_sup(0);
	/* a grandchild that outlives its parent comes back to S, the subreaper */
	char *argv[] = { "/bin/sh", "-c", "(sleep 60 & echo $!) ; sleep 60", NULL };
	int out;
	start_piped(sv, argv, NULL, &out);
	char line[32];
	read_line_serving(sv, out, line, sizeof(line));
	pid_t orphan = atoi(line);
	cr_assert_gt(orphan, 0);
	free_sup(sv);
	close(out);
	cr_assert_eq(kill(orphan, 0), -1, "the orphaned sleep %d still runs", (int)orphan);
	cr_assert_eq(errno, ESRCH);
	ck_test_assert_no_children();
}
