/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree process that execs a non-dumpable image (design §3): Linux's
 * begin_new_exec calls perf_event_exit_task, so an EXIT record arrives while
 * the process lives on and its children carry no event. The supervisor used
 * to kill the whole tree ("lineage lost ... try a larger --perf-pages") at
 * that process's next call. Now a root S opens the events again (the
 * process's fork is followed, its child decided), and an unprivileged S,
 * which perf refuses (EACCES), serves the process's own calls and refuses
 * its task creation and exec with EPERM; the rest of the tree runs on either
 * way, and the decision log says what happened. The §8 filter, on the real
 * kernel, as root and as uid 65534.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs.h>
#include <clonekit/spawn.h>

#include "../support.h"

#define NOBODY 65534

/* What the decision callback saw: the op, result and reason of each decision about the probe. */
struct seen {
	char op[32];
	int verdict;
	char reason[16];
	char syscall[32];
};
static struct seen seen[64];
static size_t nseen;

static void on_decision(const struct ck_kacs_decision *d, void *data)
{
	(void)data;
	/* the signals of the shell and the probe's kill(self) are decisions too: keep those of this test */
	if (strcmp(d->op, "reattach") && strcmp(d->op, "no_lineage"))
		return;
	if (nseen == sizeof(seen) / sizeof(seen[0]))
		return;
	struct seen *s = &seen[nseen++];
	snprintf(s->op, sizeof(s->op), "%s", d->op);
	snprintf(s->syscall, sizeof(s->syscall), "%s", d->syscall);
	s->verdict = d->verdict;
	snprintf(s->reason, sizeof(s->reason), "%s", d->reason ? d->reason : "");
}

static char dir[64];

/* dir/name: a copy of the helper with mode (0711: executable, not readable but by root), owned by root. */
static void copy_helper(const char *name, mode_t mode)
{
	const char *helper = getenv("CK_KACS_NONDUMP");
	cr_assert(helper && *helper, "CK_KACS_NONDUMP is not set");
	char path[128], cmd[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", helper, path);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(chown(path, 0, 0), 0, "%s", strerror(errno));
	cr_assert_eq(chmod(path, mode), 0, "%s", strerror(errno));
}

static void setup_dir(void)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root: a binary uid %d may run but not read", NOBODY);
	snprintf(dir, sizeof(dir), "/tmp/ck-nondump.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(chown(dir, NOBODY, NOBODY), 0); /* so that a test become uid 65534 can clean it up */
	copy_helper("unreadable", 0711);
	copy_helper("readable", 0755);
	copy_helper("setuid", 04755);
	nseen = 0;
}

static void cleanup_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0])
		system(cmd);
	dir[0] = '\0';
}

static void become_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0, "setgroups: %s", strerror(errno));
	cr_assert_eq(setresgid(NOBODY, NOBODY, NOBODY), 0);
	cr_assert_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
}

struct outcome {
	int rc, status;
	int fds_start, fds_max; /* S's open fds after the start, and the most while it served */
	char out[4096];
	char message[600];
	struct ck_kacs_supervisor_stats st;
};

/*
 * Runs `sh -c SCRIPT` as a tree (as uid `uid` when >= 0, else as S's),
 * with a sibling started before the probe and checked after it: the
 * script exits 40 when the sibling did not survive, else with the probe's
 * status. The probe's stdout is collected.
 */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ., .. and the DIR's own */
}

static void run_tree(const char *probe_cmd, int uid, struct outcome *o)
{
	char script[1024];
	snprintf(script, sizeof(script),
		 "sleep 60 & s=$!; %s; r=$?; kill -0 $s || exit 40; kill -0 $$ || exit 41; kill $s; exit $r", probe_cmd);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct ck_kacs_supervisor_opts opts = { .size = sizeof(opts), .decisions_fd = -1, .on_decision = on_decision };
	struct ck_kacs_supervisor *sv;
	struct ck_kacs_error err = { .size = sizeof(err) };
	cr_assert_eq(ck_kacs_supervisor_new(&sv, &opts, &err), 0, "%s", err.message);
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_not_null(a);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	if (uid >= 0)
		cr_assert_eq(ck_spawn_attr_set_user(a, (uid_t)uid, (gid_t)uid), 0);
	memset(o, 0, sizeof(*o));
	o->status = -1;
	int rc = ck_kacs_supervisor_start(sv, argv[0], argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	close(p[1]);
	if (rc == -EACCES && strstr(err.message, "perf_event_paranoid")) {
		ck_kacs_supervisor_free(sv);
		close(p[0]);
		ck_skip_or_fail("%s", err.message);
	}
	cr_assert_eq(rc, 0, "%s", err.message);
	o->fds_start = o->fds_max = open_fds();
	while ((rc = ck_kacs_supervisor_step(sv, -1)) == 1) {
		int n = open_fds();
		if (n > o->fds_max)
			o->fds_max = n;
	}
	o->rc = rc;
	ck_kacs_supervisor_status(sv, &o->status);
	snprintf(o->message, sizeof(o->message), "%s", ck_kacs_supervisor_message(sv));
	o->st.size = sizeof(o->st);
	cr_assert_eq(ck_kacs_supervisor_stats(sv, &o->st), 0);
	ck_kacs_supervisor_free(sv);
	size_t n = 0;
	for (ssize_t r; n + 1 < sizeof(o->out) && (r = read(p[0], o->out + n, sizeof(o->out) - 1 - n)) > 0;)
		n += (size_t)r;
	o->out[n] = '\0';
	close(p[0]);
}

static void assert_ran(const struct outcome *o, int status, const char *out)
{
	cr_assert_eq(o->rc, 0, "step: %s (%s)", strerror(-o->rc), o->message);
	cr_assert_str_eq(o->message, "");
	cr_assert(WIFEXITED(o->status) && WEXITSTATUS(o->status) == status, "status %#x, want exit %d; output: %s",
		  o->status, status, o->out);
	cr_assert_str_eq(o->out, out);
	cr_assert_eq(o->st.lost, 0);
	cr_assert_eq(o->st.tasks, 0, "tasks left in the table: %llu", (unsigned long long)o->st.tasks);
}

static void assert_seen(size_t i, const char *op, const char *syscall, int verdict, const char *reason)
{
	cr_assert_lt(i, nseen, "decision %zu of %s missing (%zu seen)", i, op, nseen);
	cr_assert_str_eq(seen[i].op, op);
	cr_assert_str_eq(seen[i].syscall, syscall);
	cr_assert_eq(seen[i].verdict, verdict, "%s: verdict %d", op, seen[i].verdict);
	cr_assert_str_eq(seen[i].reason, reason);
}

/* ---- a root supervisor opens the events again -------------------------------------------- */

Test(kacs_nondump, root_s_follows_an_unreadable_image_and_its_child, .init = setup_dir, .fini = cleanup_dir)
{
	char cmd[256];
	struct outcome o;
	snprintf(cmd, sizeof(cmd), "%s/unreadable probe", dir);
	run_tree(cmd, NOBODY, &o);
	/* before: exit 125-like end, "lineage lost: a call from tid N, which no record named" */
	assert_ran(&o, 0, "euid=65534 kill=0 dumpable=0 fork=0 child=0\n");
	cr_assert_eq(o.st.reattached, 1);
	cr_assert_eq(o.st.blind, 0);
	cr_assert_eq(nseen, 1);
	assert_seen(0, "reattach", "execve", 0, "");
}

Test(kacs_nondump, root_s_closes_the_events_it_opened_again_with_their_last_process, .init = setup_dir,
     .fini = cleanup_dir)
{
	char cmd[256], want[64 * 20 + 1] = "";
	struct outcome o;
	enum { N = 20 };
	snprintf(cmd, sizeof(cmd), "for i in $(seq %d); do %s/unreadable probe || exit 9; done", N, dir);
	run_tree(cmd, NOBODY, &o);
	for (int i = 0; i < N; i++)
		strcat(want, "euid=65534 kill=0 dumpable=0 fork=0 child=0\n");
	assert_ran(&o, 0, want);
	cr_assert_eq(o.st.reattached, N);
	/* one event per CPU per exec would stay open without it: N * CPUs */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cr_assert_lt(o.fds_max - o.fds_start, 4 * cpus + 8, "S's fds grew from %d to %d over %d execs (%ld CPUs)",
		     o.fds_start, o.fds_max, N, cpus);
}

Test(kacs_nondump, root_s_follows_an_exec_with_euid_not_uid, .init = setup_dir, .fini = cleanup_dir)
{
	char cmd[256];
	struct outcome o;
	/* a root tree: euid 65534 with uid 0 at exec makes the image non-dumpable (begin_new_exec) */
	snprintf(cmd, sizeof(cmd), "%s/readable euid %d %s/readable", dir, NOBODY, dir);
	run_tree(cmd, -1, &o);
	assert_ran(&o, 0, "euid=65534 kill=0 dumpable=0 fork=0 child=0\n");
	cr_assert_eq(o.st.reattached, 1);
	cr_assert_eq(nseen, 1);
	assert_seen(0, "reattach", "execve", 0, "");
}

Test(kacs_nondump, a_setuid_root_image_runs_as_the_tree_under_no_new_privs, .init = setup_dir, .fini = cleanup_dir)
{
	char cmd[256];
	struct outcome o;
	/* the tree runs with no_new_privs (the seccomp listener): the set-user-ID bit is ignored, the image stays dumpable */
	snprintf(cmd, sizeof(cmd), "%s/setuid probe", dir);
	run_tree(cmd, NOBODY, &o);
	assert_ran(&o, 0, "euid=65534 kill=0 dumpable=1 fork=0 child=0\n");
	cr_assert_eq(o.st.reattached, 0);
	cr_assert_eq(o.st.blind, 0);
	cr_assert_eq(nseen, 0);
}

/* ---- an unprivileged supervisor cannot: the process alone is restricted ------------------- */

Test(kacs_nondump, uid_65534_s_serves_the_process_and_refuses_its_children, .init = setup_dir, .fini = cleanup_dir)
{
	char cmd[256];
	struct outcome o;
	snprintf(cmd, sizeof(cmd), "%s/unreadable probe", dir);
	become_nobody();
	run_tree(cmd, -1, &o);
	/* its own kill(self) decided; the virtual dumpable flag says what the kernel's does; fork and exec EPERM */
	assert_ran(&o, 3, "euid=65534 kill=0 dumpable=0 fork=EPERM child=-\nexec=EPERM\n");
	cr_assert_eq(o.st.reattached, 0);
	cr_assert_eq(o.st.blind, 1);
	cr_assert_eq(nseen, 3);
	assert_seen(0, "reattach", "execve", EACCES, "lineage");
	assert_seen(1, "no_lineage", "clone", EPERM, "lineage");
	assert_seen(2, "no_lineage", "execve", EPERM, "lineage");
}

Test(kacs_nondump, uid_65534_s_follows_the_process_again_once_it_is_dumpable, .init = setup_dir,
     .fini = cleanup_dir)
{
	char cmd[256];
	struct outcome o;
	snprintf(cmd, sizeof(cmd), "%s/unreadable probe redump", dir);
	become_nobody();
	run_tree(cmd, -1, &o);
	/* PR_SET_DUMPABLE(1) let perf in again: its fork is followed, its child decided, its exec allowed */
	assert_ran(&o, 0, "euid=65534 kill=0 dumpable=1 fork=0 child=0\n");
	cr_assert_eq(o.st.reattached, 1);
	cr_assert_eq(o.st.blind, 1);
	cr_assert_eq(nseen, 2);
	assert_seen(0, "reattach", "execve", EACCES, "lineage");
	assert_seen(1, "reattach", "clone", 0, ""); /* at its fork, the first call that needed it */
}
