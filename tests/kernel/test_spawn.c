/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_spawn on the real kernel: exit statuses, exec failures with their step
 * and errno, fd mapping, each namespace, id maps as root and as uid 65534,
 * time offsets, CLONE_INTO_CGROUP, the pidfd, die-with-parent, shared
 * fs_struct, exit signals, the pre-exec hook and signal dispositions. Most
 * tests run twice: on the CLONE_VM|CLONE_VFORK path and on the path a new
 * user namespace takes. The spawned program is usually ck-observe
 * (CLONEKIT_OBSERVE), which prints what it sees.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include "../run.h"
#include "../support.h"
#include "../clone/deny_clone3.h"
#include "../deny.h"
#include "internal/live.h"

#define UNPRIV_ID 65534
#define OUT_MAX 8192

/* ---- helpers ---- */

static char *observe_path(void)
{
	char *p = getenv("CLONEKIT_OBSERVE");
	cr_assert_not_null(p, "CLONEKIT_OBSERVE names the ck-observe helper");
	return p;
}

/* The two ways ck_spawn makes a child; a new user namespace forces the second. */
static struct ck_spawn_attr *attr_for(bool userns, uint64_t namespaces)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_not_null(a);
	if (userns) {
		namespaces |= CK_CLONE_NEWUSER;
		cr_assert_eq(ck_spawn_attr_map_root(a), 0);
	}
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, namespaces), 0);
	return a;
}

static int count_fds(void)
{
	int n = ck_test_fd_count();
	cr_assert_geq(n, 0, "/proc/self/fd: %s", strerror(errno));
	return n;
}

static void spawn_checked(struct ck_child **c, char *const argv[], char *const envp[],
			  struct ck_spawn_attr *a)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	int r = ck_spawn(c, argv[0], argv, envp, a, &err);
	cr_assert_eq(r, 0, "ck_spawn %s: %d (%s), step %s: %s", argv[0], r, strerror(-r),
		     err.step ? err.step : "-", err.message);
	cr_assert_not_null(*c);
}

/*
 * Runs argv with a pipe as fd 1 (and the caller's fd 2 as 2), collects what
 * it writes into out, waits, and returns the wait status. The attribute set
 * gains those two fd mappings.
 */
static int run_output(struct ck_spawn_attr *a, char *const argv[], char *const envp[], char *out,
		      size_t len)
{
	struct ck_child *c;
	int p[2], st;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	spawn_checked(&c, argv, envp, a);
	close(p[1]);
	ck_test_read_all(p[0], out, len);
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	ck_spawn_free(c);
	return st;
}

/* Runs ck-observe with the requests in args (NULL-terminated) and expects exit 0. */
static void observe(struct ck_spawn_attr *a, char *out, size_t len, ...)
{
	char *argv[32] = { observe_path() };
	size_t n = 1;
	va_list ap;
	va_start(ap, len);
	for (char *s; n < 31 && (s = va_arg(ap, char *));)
		argv[n++] = s;
	va_end(ap);
	argv[n] = NULL;
	int st = run_output(a, argv, NULL, out, len);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ck-observe: status 0x%x, output: %s", st,
		  out);
}

/*
 * Expects ck_spawn to fail at step with errno e, leaving no child and no fd
 * behind; with message, the exact sentence and the validator's rule (NULL:
 * none) too.
 */
static void expect_explained(struct ck_spawn_attr *a, char *const argv[], const char *step, int e,
			     bool in_child, const char *rule, const char *message)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = (struct ck_child *)&err;
	int fds = count_fds();
	int r = ck_spawn(&c, argv[0], argv, NULL, a, &err);

	cr_assert_eq(r, -e, "ck_spawn %s: %d (%s), want -%s; step %s: %s", argv[0], r,
		     strerror(-r), strerrorname_np(e), err.step ? err.step : "-", err.message);
	cr_assert_null(c);
	cr_assert_str_eq(err.step, step);
	cr_assert_eq(err.err, e);
	cr_assert_eq(err.in_child, in_child, "in_child for step %s", step);
	if (message) {
		cr_assert_str_eq(err.message, message);
		if (rule)
			cr_assert_str_eq(err.rule, rule);
		else
			cr_assert_null(err.rule, "rule %s", err.rule);
	}
	ck_test_assert_no_children();
	cr_assert_eq(count_fds(), fds, "ck_spawn leaked an fd");
}

static void expect_failure(struct ck_spawn_attr *a, char *const argv[], const char *step, int e,
			   bool in_child)
{
	expect_explained(a, argv, step, e, in_child, NULL, NULL);
}

static unsigned long long ns_inode(const char *type)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return (unsigned long long)st.st_ino;
}

/* What a test made outside itself, removed after it whether it passed or not. */
static char tmp_dir[64];
static char cgroup_dir[1200];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* A test that failed midway may leave a child running; none outlives it. */
static void kill_children(void)
{
	char path[64], list[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, list, sizeof(list) - 1);
		close(fd);
		list[n > 0 ? n : 0] = '\0';
		char *p = list, *end;
		for (long pid; (pid = strtol(p, &end, 10)) > 0; p = end)
			kill((pid_t)pid, SIGKILL);
	}
	while (waitpid(-1, NULL, __WALL) > 0)
		;
}

static void cleanup(void)
{
	kill_children();
	if (tmp_dir[0])
		nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (cgroup_dir[0])
		rmdir(cgroup_dir);
}

TestSuite(spawn, .fini = cleanup);

static char *make_tmpdir(char *buf)
{
	strcpy(buf, "/tmp/ck-spawn-XXXXXX");
	cr_assert_not_null(mkdtemp(buf));
	cr_assert_eq(chmod(buf, 0755), 0);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", buf);
	return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
}

static double now(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void status_field(const char *field, char *buf, size_t len)
{
	char text[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ck_test_read_all(fd, text, sizeof(text));
	close(fd);
	char *p = strstr(text, field);
	cr_assert_not_null(p);
	p += strlen(field) + 1;
	p += strspn(p, " \t");
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/*
 * Runs fn in a forked child of a process group of its own, under deny.h's
 * filter for the syscalls named (none: NULL), as uid and gid 65534 with no
 * capabilities when unprivileged (dumpable, as a process started by such a
 * user is), and returns what fn wrote to the fd it is given. A child still
 * running after CK_PATIENCE_MS is killed with its group and the test fails:
 * only a hang takes that long.
 */
static void in_child(void (*fn)(int out), char *const deny[], bool unprivileged, char *out,
		     size_t len)
{
	int p[2], st = 0;
	size_t n = 0;
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		setpgid(0, 0);
		if (unprivileged &&
		    (setgroups(0, NULL) < 0 || setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
		     setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
		     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)) {
			dprintf(p[1], "drop privileges: %s\n", strerror(errno));
			_exit(1);
		}
		int r = deny ? ck_test_deny(deny, false) : 0;
		if (r < 0) {
			dprintf(p[1], "filter: %s\n", strerror(-r));
			_exit(1);
		}
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	setpgid(pid, pid);
	long deadline = ck_test_now_ms() + CK_PATIENCE_MS;
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		long left = deadline - ck_test_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			break;
		ssize_t k = read(p[0], out + n, len - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (n += (size_t)k) == len - 1)
			break;
	}
	out[n] = '\0';
	close(p[0]);
	bool ended = ck_wait_until(waitpid(pid, &st, WNOHANG) == pid, deadline - ck_test_now_ms());
	if (!ended) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	cr_assert(ended, "the child hung for %d ms; it wrote: %s", CK_PATIENCE_MS, out);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status 0x%x: %s", st, out);
}

/* fn run as uid 65534 (in_child). */
static void as_unprivileged(void (*fn)(int out), char *out, size_t len)
{
	in_child(fn, NULL, true, out, len);
}

/* In a forked child without the test framework: runs ck-observe and copies its output to out. */
static void child_observe(int out, struct ck_spawn_attr *a, char *const argv[])
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	char buf[OUT_MAX];
	int p[2], st;

	if (pipe2(p, O_CLOEXEC) < 0 || ck_spawn_attr_add_fd(a, p[1], 1) < 0 ||
	    ck_spawn_attr_add_fd(a, 2, 2) < 0)
		_exit(3);
	int r = ck_spawn(&c, argv[0], argv, NULL, a, &err);
	close(p[1]);
	if (r < 0) {
		dprintf(out, "ck_spawn: %s (%s): %s\n", strerrorname_np(-r), err.step, err.message);
		_exit(4);
	}
	ck_test_read_all(p[0], buf, sizeof(buf));
	if (ck_spawn_wait(c, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		dprintf(out, "ck-observe status 0x%x: %s", st, buf);
		_exit(5);
	}
	ck_spawn_free(c);
	dprintf(out, "%s", buf);
}

/* ---- exit statuses ---- */

static void check_exit_statuses(bool userns)
{
	static char *const progs[][4] = {
		{ "true", NULL },
		{ "false", NULL },
		{ "sh", "-c", "exit 7", NULL },
	};
	static const int want[] = { 0, 1, 7 };

	for (size_t i = 0; i < 3; i++) {
		struct ck_spawn_attr *a = attr_for(userns, 0);
		struct ck_child *c;
		int st;
		spawn_checked(&c, progs[i], NULL, a);
		cr_assert_eq(ck_spawn_used_vfork(c), !userns);
		cr_assert_gt(ck_spawn_pid(c), 0);
		cr_assert_eq(ck_spawn_wait(c, &st), 0);
		cr_assert(WIFEXITED(st), "%s: status 0x%x", progs[i][0], st);
		cr_assert_eq(WEXITSTATUS(st), want[i], "%s", progs[i][0]);
		cr_assert_eq(ck_spawn_wait(c, &st), -ECHILD);
		ck_spawn_free(c);
		ck_spawn_attr_free(a);
	}
	ck_test_assert_no_children();
}

Test(spawn, exit_statuses_are_exact_on_the_vfork_path)
{
	check_exit_statuses(false);
}

Test(spawn, exit_statuses_are_exact_in_a_user_namespace)
{
	check_exit_statuses(true);
}

static void check_signal_death(bool userns)
{
	char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	struct ck_child *c;
	int st;
	spawn_checked(&c, argv, NULL, a);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFSIGNALED(st), "status 0x%x", st);
	cr_assert_eq(WTERMSIG(st), SIGTERM);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
}

Test(spawn, a_signal_death_reports_sigterm_on_the_vfork_path)
{
	check_signal_death(false);
}

Test(spawn, a_signal_death_reports_sigterm_in_a_user_namespace)
{
	check_signal_death(true);
}

Test(spawn, a_null_attribute_set_is_the_default)
{
	char *argv[] = { "false", NULL };
	struct ck_child *c;
	int st;
	cr_assert_eq(ck_spawn(&c, "false", argv, NULL, NULL, NULL), 0);
	cr_assert(ck_spawn_used_vfork(c));
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_spawn_free(c);
}

/* ---- PATH search and exec failures ---- */

Test(spawn, path_search_finds_echo)
{
	char *argv[] = { "echo", "found", "on", "PATH", NULL };
	char out[OUT_MAX];
	struct ck_spawn_attr *a = attr_for(false, 0);
	int st = run_output(a, argv, NULL, out, sizeof(out));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(out, "found on PATH\n");
	ck_spawn_attr_free(a);
}

Test(spawn, a_name_with_a_slash_is_not_searched)
{
	char dir[64], path[128], pathenv[256], out[OUT_MAX];
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/sub", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/prog", dir);
	write_file(path, "#!/bin/sh\necho searched\n", 0755);
	snprintf(path, sizeof(path), "%s/prog", dir);
	write_file(path, "#!/bin/sh\necho found\n", 0755);
	snprintf(pathenv, sizeof(pathenv), "%s:/usr/bin:/bin", dir);
	cr_assert_eq(setenv("PATH", pathenv, 1), 0);

	/* the same PATH finds a plain name ... */
	char *plain[] = { "prog", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/"), 0);
	int st = run_output(a, plain, NULL, out, sizeof(out));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(out, "found\n");
	ck_spawn_attr_free(a);

	/* ... but "sub/prog" is looked up from the cwd (/) only */
	char *slashed[] = { "sub/prog", NULL };
	a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/"), 0);
	expect_failure(a, slashed, "execve", ENOENT, true);
	ck_spawn_attr_free(a);
}

Test(spawn, with_search_off_a_plain_name_is_enoent)
{
	char *argv[] = { "echo", "x", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_search_path(a, false), 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/"), 0);
	expect_failure(a, argv, "execve", ENOENT, true);
	ck_spawn_attr_free(a);
}

static void check_enoent(bool userns)
{
	char *argv[] = { "/nonexistent/ck-no-such-program", NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;

	expect_failure(a, argv, "execve", ENOENT, true);
	cr_assert_eq(ck_spawn(&c, argv[0], argv, NULL, a, &err), -ENOENT);
	cr_assert_str_eq(err.message,
			 "execve /nonexistent/ck-no-such-program: No such file or directory");
	ck_spawn_attr_free(a);
}

Test(spawn, exec_enoent_is_reported_on_the_vfork_path)
{
	check_enoent(false);
}

Test(spawn, exec_enoent_is_reported_in_a_user_namespace)
{
	check_enoent(true);
}

static void check_eacces(bool userns)
{
	char dir[64], path[128];
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/not-executable", dir);
	write_file(path, "#!/bin/sh\nexit 0\n", 0644);
	char *argv[] = { path, NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	expect_failure(a, argv, "execve", EACCES, true);
	ck_spawn_attr_free(a);

	/* PATH search reports EACCES too when the only match is not executable */
	char *plain[] = { "not-executable", NULL };
	cr_assert_eq(setenv("PATH", dir, 1), 0);
	a = attr_for(userns, 0);
	expect_failure(a, plain, "execve", EACCES, true);
	ck_spawn_attr_free(a);
}

Test(spawn, exec_eacces_is_reported_on_the_vfork_path)
{
	check_eacces(false);
}

Test(spawn, exec_eacces_is_reported_in_a_user_namespace)
{
	check_eacces(true);
}

/* ---- file descriptors ---- */

static void check_only_mapped_fds(bool userns)
{
	char out[OUT_MAX], to[16];
	int p[2], st;
	struct ck_child *c;

	/* an fd the caller left open across exec must still not reach the program */
	int stray = open("/dev/null", O_RDONLY);
	cr_assert_geq(stray, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_neq(p[1], 5);

	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 5), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 1, 1), 0);
	snprintf(to, sizeof(to), "%d", 5);
	char *argv[] = { observe_path(), "to", to, "fds", NULL };
	spawn_checked(&c, argv, NULL, a);
	close(p[1]);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, out);
	cr_assert_str_eq(out, "1 5\n", "stray fd %d", stray);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
	close(stray);
}

Test(spawn, only_mapped_fds_reach_the_program_on_the_vfork_path)
{
	check_only_mapped_fds(false);
}

Test(spawn, only_mapped_fds_reach_the_program_in_a_user_namespace)
{
	check_only_mapped_fds(true);
}

Test(spawn, without_mappings_fds_0_1_2_reach_the_program)
{
	char out[OUT_MAX], want[16] = "";
	int p[2], st, saved;
	struct ck_child *c;

	int stray = open("/dev/null", O_RDONLY);
	cr_assert_geq(stray, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	saved = fcntl(1, F_DUPFD_CLOEXEC, 10);
	cr_assert_geq(saved, 0);
	/* the child inherits fd 1, so fd 1 is the pipe while it starts */
	cr_assert_eq(dup2(p[1], 1), 1);
	close(p[1]);
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%d",
				 want[0] ? " " : "", fd);
	strcat(want, "\n");

	struct ck_spawn_attr *a = attr_for(false, 0);
	char *argv[] = { observe_path(), "fds", NULL };
	int r = ck_spawn(&c, argv[0], argv, NULL, a, NULL);
	dup2(saved, 1);
	close(saved);
	cr_assert_eq(r, 0);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, out);
	cr_assert_str_eq(out, want, "stray fd %d", stray);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
	close(stray);
}

static void check_swap(bool userns)
{
	char out_a[OUT_MAX], out_b[OUT_MAX], fa[16], fb[16];
	int pa[2], pb[2], st;
	struct ck_child *c;
	char *envp[] = { "A=one", "B=two", NULL };

	cr_assert_eq(pipe2(pa, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pb, O_CLOEXEC), 0);
	snprintf(fa, sizeof(fa), "%d", pa[1]);
	snprintf(fb, sizeof(fb), "%d", pb[1]);

	/* the program writes A to its fd pa[1], which is the caller's pb[1], and B the other way */
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, pa[1], pb[1]), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, pb[1], pa[1]), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	char *argv[] = { observe_path(), "to", fa, "env", "A", "to", fb, "env", "B", NULL };
	spawn_checked(&c, argv, envp, a);
	close(pa[1]);
	close(pb[1]);
	ck_test_read_all(pa[0], out_a, sizeof(out_a));
	ck_test_read_all(pb[0], out_b, sizeof(out_b));
	close(pa[0]);
	close(pb[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	cr_assert_str_eq(out_b, "one\n");
	cr_assert_str_eq(out_a, "two\n");
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
}

Test(spawn, mapping_two_fds_onto_each_other_swaps_them_on_the_vfork_path)
{
	check_swap(false);
}

Test(spawn, mapping_two_fds_onto_each_other_swaps_them_in_a_user_namespace)
{
	check_swap(true);
}

static void check_closed_fd(bool userns)
{
	char *argv[] = { "true", NULL };
	int closed = 200;
	while (fcntl(closed, F_GETFD) >= 0)
		closed++;
	char want[128];
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 1, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, closed, 5), 0);
	snprintf(want, sizeof(want), "map fd %d to 5: Bad file descriptor: fd %d is not open in the caller",
		 closed, closed);
	expect_explained(a, argv, "map file descriptors", EBADF, true, NULL, want);
	ck_spawn_attr_free(a);

	/* a closed fd mapped onto its own number fails the same way */
	a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, closed, closed), 0);
	expect_failure(a, argv, "map file descriptors", EBADF, true);
	ck_spawn_attr_free(a);
}

Test(spawn, mapping_a_closed_fd_is_ebadf_on_the_vfork_path)
{
	check_closed_fd(false);
}

Test(spawn, mapping_a_closed_fd_is_ebadf_in_a_user_namespace)
{
	check_closed_fd(true);
}

/* ---- cwd and environment ---- */

static void check_cwd(bool userns)
{
	char dir[64], out[OUT_MAX], want[128];
	make_tmpdir(dir);
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, dir), 0);
	observe(a, out, sizeof(out), "cwd", NULL);
	snprintf(want, sizeof(want), "%s\n", dir);
	cr_assert_str_eq(out, want);
	ck_spawn_attr_free(a);

	a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/nonexistent/ck-dir"), 0);
	char *argv[] = { "true", NULL };
	expect_failure(a, argv, "chdir", ENOENT, true);
	ck_spawn_attr_free(a);
}

Test(spawn, cwd_is_the_directory_asked_for_on_the_vfork_path)
{
	check_cwd(false);
}

Test(spawn, cwd_is_the_directory_asked_for_in_a_user_namespace)
{
	check_cwd(true);
}

static void check_envp(bool userns)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *envp[] = { "X=1", "Y=two words", "EMPTY=", NULL };
	char out[OUT_MAX];
	struct ck_spawn_attr *a = attr_for(userns, 0);
	int st = run_output(a, argv, envp, out, sizeof(out));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(out, "X=1\nY=two words\nEMPTY=\n");
	ck_spawn_attr_free(a);

	/* NULL is the caller's environ */
	char *argv2[] = { observe_path(), "env", "CK_SPAWN_MARK", NULL };
	cr_assert_eq(setenv("CK_SPAWN_MARK", "inherited", 1), 0);
	a = attr_for(userns, 0);
	st = run_output(a, argv2, NULL, out, sizeof(out));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(out, "inherited\n");
	ck_spawn_attr_free(a);
}

Test(spawn, envp_is_passed_exactly_on_the_vfork_path)
{
	check_envp(false);
}

Test(spawn, envp_is_passed_exactly_in_a_user_namespace)
{
	check_envp(true);
}

/* ---- namespaces ---- */

static const struct {
	uint64_t flag;
	const char *name;
} ns_types[] = {
	{ CK_CLONE_NEWUSER, "user" },     { CK_CLONE_NEWPID, "pid" },
	{ CK_CLONE_NEWNET, "net" },       { CK_CLONE_NEWNS, "mnt" },
	{ CK_CLONE_NEWUTS, "uts" },       { CK_CLONE_NEWIPC, "ipc" },
	{ CK_CLONE_NEWCGROUP, "cgroup" }, { CK_CLONE_NEWTIME, "time" },
};

/* Only the namespace asked for differs from the caller's. */
static void check_new_namespace(uint64_t flag)
{
	char out[OUT_MAX], want[1024];
	size_t pos = 0;
	struct ck_spawn_attr *a = attr_for(flag == CK_CLONE_NEWUSER, flag);
	observe(a, out, sizeof(out), "ns", "user", "ns", "pid", "ns", "net", "ns", "mnt", "ns",
		"uts", "ns", "ipc", "ns", "cgroup", "ns", "time", NULL);
	ck_spawn_attr_free(a);

	char *line = out;
	for (size_t i = 0; i < 8; i++) {
		unsigned long long parent = ns_inode(ns_types[i].name);
		unsigned long long child = strtoull(line, &line, 10);
		cr_assert_eq(*line, '\n', "output: %s", out);
		line++;
		if (ns_types[i].flag == flag)
			cr_assert_neq(child, parent, "the %s namespace is the caller's", ns_types[i].name);
		else
			cr_assert_eq(child, parent, "the %s namespace changed too", ns_types[i].name);
		pos += (size_t)snprintf(want + pos, sizeof(want) - pos, "%llu\n", child);
	}
	cr_assert_str_eq(out, want);
}

Test(spawn, new_user_namespace)
{
	check_new_namespace(CK_CLONE_NEWUSER);
}

Test(spawn, new_pid_namespace)
{
	check_new_namespace(CK_CLONE_NEWPID);
}

Test(spawn, new_net_namespace)
{
	check_new_namespace(CK_CLONE_NEWNET);
}

Test(spawn, new_mount_namespace)
{
	check_new_namespace(CK_CLONE_NEWNS);
}

Test(spawn, new_uts_namespace)
{
	check_new_namespace(CK_CLONE_NEWUTS);
}

Test(spawn, new_ipc_namespace)
{
	check_new_namespace(CK_CLONE_NEWIPC);
}

Test(spawn, new_cgroup_namespace)
{
	check_new_namespace(CK_CLONE_NEWCGROUP);
}

Test(spawn, new_time_namespace)
{
	check_new_namespace(CK_CLONE_NEWTIME);
}

static void check_pid_1(bool userns)
{
	char out[OUT_MAX];
	struct ck_spawn_attr *a = attr_for(userns, CK_CLONE_NEWPID);
	observe(a, out, sizeof(out), "pid", "ppid", NULL);
	cr_assert_str_eq(out, "1\n0\n");
	ck_spawn_attr_free(a);
}

Test(spawn, the_child_is_pid_1_of_a_new_pid_namespace_on_the_vfork_path)
{
	check_pid_1(false);
}

Test(spawn, the_child_is_pid_1_of_a_new_pid_namespace_in_a_user_namespace)
{
	check_pid_1(true);
}

static void check_hostname(bool userns)
{
	char before[256], after[256], out[OUT_MAX];
	cr_assert_eq(gethostname(before, sizeof(before)), 0);
	struct ck_spawn_attr *a = attr_for(userns, CK_CLONE_NEWUTS);
	cr_assert_eq(ck_spawn_attr_set_hostname(a, "ck-spawn-uts"), 0);
	observe(a, out, sizeof(out), "hostname", NULL);
	cr_assert_str_eq(out, "ck-spawn-uts\n");
	cr_assert_eq(gethostname(after, sizeof(after)), 0);
	cr_assert_str_eq(after, before);
	cr_assert_str_neq(before, "ck-spawn-uts");
	ck_spawn_attr_free(a);
}

Test(spawn, hostname_is_set_in_a_new_uts_namespace_on_the_vfork_path)
{
	check_hostname(false);
}

Test(spawn, hostname_is_set_in_a_new_uts_namespace_in_a_user_namespace)
{
	check_hostname(true);
}

Test(spawn, a_hostname_longer_than_64_bytes_is_einval)
{
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWUTS);
	char name[66];
	memset(name, 'h', 65);
	name[65] = '\0';
	cr_assert_eq(ck_spawn_attr_set_hostname(a, name), -EINVAL);
	name[64] = '\0';
	cr_assert_eq(ck_spawn_attr_set_hostname(a, name), 0);
	ck_spawn_attr_free(a);
}

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	ck_test_read_all(fd, buf, len);
	close(fd);
}

static void check_mount_proc(bool userns)
{
	static char before[65536], after[65536];
	char out[OUT_MAX], self[32], want[32];

	read_text("/proc/self/mountinfo", before, sizeof(before));
	struct ck_spawn_attr *a = attr_for(userns, CK_CLONE_NEWPID | CK_CLONE_NEWNS);
	cr_assert_eq(ck_spawn_attr_set_mount_proc(a, true), 0);
	observe(a, out, sizeof(out), "pid", "procs", "file", "/proc/1/comm", "file",
		"/proc/self/stat", NULL);
	ck_spawn_attr_free(a);

	/* pid 1, the only process in /proc, and /proc/1 is ck-observe itself (comm: 15 bytes) */
	char want_start[128];
	const char *base = strrchr(observe_path(), '/');
	base = base ? base + 1 : observe_path();
	snprintf(want_start, sizeof(want_start), "1\n1\n%.15s\n1 (%.15s) R 0 ", base, base);
	cr_assert_eq(strncmp(out, want_start, strlen(want_start)), 0, "output: %s", out);

	/* the caller's /proc is still its own */
	read_text("/proc/self/mountinfo", after, sizeof(after));
	cr_assert_str_eq(after, before, "a mount leaked into the caller's namespace");
	cr_assert_gt(readlink("/proc/self", self, sizeof(self) - 1), 0);
	self[strcspn(self, "\n")] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	cr_assert_str_eq(self, want);
}

Test(spawn, mount_proc_shows_only_the_child_on_the_vfork_path)
{
	check_mount_proc(false);
}

Test(spawn, mount_proc_shows_only_the_child_in_a_user_namespace)
{
	check_mount_proc(true);
}

/* ---- user-namespace id maps ---- */

Test(spawn, map_root_makes_the_caller_root_inside)
{
	char out[OUT_MAX], want[256];
	struct ck_spawn_attr *a = attr_for(true, 0);
	observe(a, out, sizeof(out), "uid", "gid", "file", "/proc/self/uid_map", "file",
		"/proc/self/gid_map", "file", "/proc/self/setgroups", NULL);
	snprintf(want, sizeof(want), "0\n0\n0 %u 1\n0 %u 1\ndeny\n", (unsigned)geteuid(),
		 (unsigned)getegid());
	cr_assert_str_eq(out, want);
	ck_spawn_attr_free(a);
}

Test(spawn, map_user_keeps_the_callers_ids)
{
	char out[OUT_MAX], want[256];
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWUSER);
	cr_assert_eq(ck_spawn_attr_map_user(a), 0);
	observe(a, out, sizeof(out), "uid", "gid", "file", "/proc/self/uid_map", "file",
		"/proc/self/gid_map", NULL);
	snprintf(want, sizeof(want), "%u\n%u\n%u %u 1\n%u %u 1\n", (unsigned)geteuid(),
		 (unsigned)getegid(), (unsigned)geteuid(), (unsigned)geteuid(),
		 (unsigned)getegid(), (unsigned)getegid());
	cr_assert_str_eq(out, want);
	ck_spawn_attr_free(a);
}

Test(spawn, explicit_multi_range_maps_as_root)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("multi-range id maps need root");
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWUSER);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 0, 100000, 65536), 0);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 65536, 0, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 0, 200000, 65536), 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 65536, 0, 1), 0);
	observe(a, out, sizeof(out), "uid", "gid", "file", "/proc/self/uid_map", "file",
		"/proc/self/gid_map", "file", "/proc/self/setgroups", NULL);
	/* root outside is 65536 inside; a privileged writer leaves setgroups allowed */
	cr_assert_str_eq(out, "65536\n65536\n0 100000 65536|65536 0 1\n0 200000 65536|65536 0 1\n"
			      "allow\n");
	ck_spawn_attr_free(a);
}

Test(spawn, map_root_combined_with_explicit_maps_is_einval)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(true, 0);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 1, 100000, 10), 0);
	expect_failure(a, argv, "attributes", EINVAL, false);
	ck_spawn_attr_free(a);
}

Test(spawn, id_map_ranges_are_validated)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 0, 0, 0), -EINVAL);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, UINT32_MAX, 0, 1), -EINVAL);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 0, UINT32_MAX - 1, 2), -EINVAL);
	for (int i = 0; i < 340; i++)
		cr_assert_eq(ck_spawn_attr_add_uid_map(a, (uint32_t)i, (uint32_t)i, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 400, 400, 1), -EINVAL);
	ck_spawn_attr_free(a);
}

static void unpriv_map_root(int out)
{
	char *argv[] = { getenv("CLONEKIT_OBSERVE"), "uid", "gid", "file", "/proc/self/uid_map",
			 "file", "/proc/self/gid_map", "file", "/proc/self/setgroups", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
	ck_spawn_attr_map_root(a);
	child_observe(out, a, argv);
	ck_spawn_attr_free(a);
}

static void unpriv_map_user(int out)
{
	char *argv[] = { getenv("CLONEKIT_OBSERVE"), "uid", "gid", "file", "/proc/self/uid_map",
			 "file", "/proc/self/gid_map", "file", "/proc/self/setgroups", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
	ck_spawn_attr_map_user(a);
	child_observe(out, a, argv);
	ck_spawn_attr_free(a);
}

static void unpriv_multi_range(int out)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
	ck_spawn_attr_add_uid_map(a, 0, 100000, 65536);
	int before = ck_test_fd_count();
	int r = ck_spawn(&c, "true", argv, NULL, a, &err);
	int after = ck_test_fd_count();
	errno = 0;
	pid_t w = waitpid(-1, NULL, WNOHANG | __WALL);
	dprintf(out, "%s %s %s in_child=%d children=%s fds=%s\n%s\n", strerrorname_np(-r),
		err.step ? err.step : "-", strerrorname_np(err.err), err.in_child,
		w == -1 && errno == ECHILD ? "none" : "left", before == after ? "same" : "leaked",
		err.message);
	ck_spawn_attr_free(a);
}

Test(spawn, unprivileged_map_root_denies_setgroups)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("becoming uid %d needs root", UNPRIV_ID);
	as_unprivileged(unpriv_map_root, out, sizeof(out));
	cr_assert_str_eq(out, "0\n0\n0 65534 1\n0 65534 1\ndeny\n");
}

Test(spawn, unprivileged_map_user_keeps_uid_65534)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("becoming uid %d needs root", UNPRIV_ID);
	as_unprivileged(unpriv_map_user, out, sizeof(out));
	cr_assert_str_eq(out, "65534\n65534\n65534 65534 1\n65534 65534 1\ndeny\n");
}

Test(spawn, unprivileged_multi_range_map_fails_at_uid_map_with_eperm)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("becoming uid %d needs root", UNPRIV_ID);
	as_unprivileged(unpriv_multi_range, out, sizeof(out));
	cr_assert_str_eq(out, "EPERM uid_map EPERM in_child=0 children=none fds=same\n"
			      "uid_map: writing 0 100000 65536: Operation not permitted: mapping ids other "
			      "than the caller's own needs CAP_SETUID over the new user namespace; without it "
			      "map only your own uid (map-root or map-user)\n");
}

/* ---- time namespace offsets ---- */

static void check_time_offset(bool userns, clockid_t clock, const char *name, const char *offsets)
{
	char out[OUT_MAX], want[128];
	struct ck_spawn_attr *a = attr_for(userns, CK_CLONE_NEWTIME);
	cr_assert_eq(ck_spawn_attr_set_time_offset(a, clock, 86400, 0), 0);
	double t0 = now(clock);
	observe(a, out, sizeof(out), "clock", name, "timens_offsets", NULL);
	double t1 = now(clock);
	ck_spawn_attr_free(a);

	char *rest;
	double child = strtod(out, &rest);
	cr_assert_eq(*rest, '\n', "output: %s", out);
	/* the child read its clock between t0 and t1, a day ahead */
	cr_assert(child >= t0 + 86400 && child <= t1 + 86400,
		  "child %s %.9f, caller %.9f..%.9f", name, child, t0, t1);
	snprintf(want, sizeof(want), "%s\n", offsets);
	cr_assert_str_eq(rest + 1, want);
}

Test(spawn, a_monotonic_offset_moves_the_childs_clock_on_the_vfork_path)
{
	check_time_offset(false, CLOCK_MONOTONIC, "monotonic", "monotonic 86400 0|boottime 0 0");
}

Test(spawn, a_monotonic_offset_moves_the_childs_clock_in_a_user_namespace)
{
	check_time_offset(true, CLOCK_MONOTONIC, "monotonic", "monotonic 86400 0|boottime 0 0");
}

Test(spawn, a_boottime_offset_moves_the_childs_clock_on_the_vfork_path)
{
	check_time_offset(false, CLOCK_BOOTTIME, "boottime", "monotonic 0 0|boottime 86400 0");
}

Test(spawn, a_boottime_offset_moves_the_childs_clock_in_a_user_namespace)
{
	check_time_offset(true, CLOCK_BOOTTIME, "boottime", "monotonic 0 0|boottime 86400 0");
}

Test(spawn, only_monotonic_and_boottime_take_offsets)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_time_offset(a, CLOCK_REALTIME, 1, 0), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_time_offset(a, CLOCK_MONOTONIC, 1, 1000000000L), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_time_offset(a, CLOCK_MONOTONIC, 1, -1), -EINVAL);
	ck_spawn_attr_free(a);
}

/* ---- CLONE_INTO_CGROUP ---- */

static void check_cgroup(bool userns)
{
	char mnt[1024], dir[1200], procs_path[1300], procs[256], out[OUT_MAX], want[256];
	int in[2], p[2], st;
	struct ck_child *c;

	if (ck__cgroup2_mount(mnt, sizeof(mnt)) < 0)
		ck_skip_or_fail("no cgroup v2 hierarchy is mounted");
	snprintf(dir, sizeof(dir), "%s/ck-spawn-%d", mnt, (int)getpid());
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %s", dir, strerror(errno));
	snprintf(cgroup_dir, sizeof(cgroup_dir), "%s", dir);

	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_cgroup(a, dir), 0);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, in[0], 0), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	char *argv[] = { observe_path(), "cgroup", "wait", NULL };
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	close(in[0]);
	close(p[1]);

	/* while it runs, the cgroup holds exactly the child */
	char line[256];
	size_t n = 0;
	while (n < sizeof(line) - 1 && read(p[0], line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	snprintf(want, sizeof(want), "/ck-spawn-%d", (int)getpid());
	cr_assert_str_eq(line, want);
	snprintf(procs_path, sizeof(procs_path), "%s/cgroup.procs", dir);
	read_text(procs_path, procs, sizeof(procs));
	snprintf(want, sizeof(want), "%d\n", (int)ck_spawn_pid(c));
	cr_assert_str_eq(procs, want);

	close(in[1]);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_str_eq(out, "eof\n");
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_spawn_free(c);

	/* the cgroup empties a moment after its last task is reaped */
	int r = -1;
	ck_wait_until((r = rmdir(dir)) == 0 || errno != EBUSY, CK_PATIENCE_MS);
	cr_assert_eq(r, 0, "rmdir %s: %s", dir, strerror(errno));
	cgroup_dir[0] = '\0';
}

Test(spawn, into_cgroup_starts_the_child_there_on_the_vfork_path)
{
	check_cgroup(false);
}

Test(spawn, into_cgroup_starts_the_child_there_in_a_user_namespace)
{
	check_cgroup(true);
}

Test(spawn, a_cgroup_that_does_not_exist_is_enoent)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_cgroup(a, "/nonexistent/ck-cgroup"), -ENOENT);
	ck_spawn_attr_free(a);
}

/* The sentence for a CLONE_INTO_CGROUP target outside cgroup v2. */
static void not_cgroup2_message(const char *dir, char *buf, size_t len)
{
	char mnt[256];
	cr_assert_eq(ck__cgroup2_mount(mnt, sizeof(mnt)), 0, "no cgroup v2 mount found");
	snprintf(buf, len,
		 "clone3 into cgroup %s: CLONE_INTO_CGROUP: the cgroup fd is not a cgroup v2 directory; "
		 "cgroup v2 is mounted at %s: give a directory under it", dir, mnt);
}

Test(spawn, a_directory_outside_cgroup2_fails_at_clone3_with_ebadf_naming_it)
{
	char *argv[] = { "true", NULL };
	char want[1024];
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_cgroup(a, "/tmp"), 0);
	not_cgroup2_message("/tmp", want, sizeof(want));
	expect_explained(a, argv, "clone3", EBADF, false, "cgroup-fd-not-cgroup2", want);
	ck_spawn_attr_free(a);
}

Test(spawn, a_cgroup_v1_directory_fails_at_clone3_with_ebadf_naming_it)
{
	char *argv[] = { "true", NULL };
	char line[1024], v1[256] = "", want[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	cr_assert_not_null(f);
	while (!v1[0] && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup ") && sscanf(line, "%*s %*s %*s %*s %255s", v1) != 1)
			v1[0] = '\0';
	fclose(f);
	if (!v1[0])
		ck_skip_or_fail("no cgroup v1 hierarchy is mounted here");
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_cgroup(a, v1), 0);
	not_cgroup2_message(v1, want, sizeof(want));
	expect_explained(a, argv, "clone3", EBADF, false, "cgroup-fd-not-cgroup2", want);
	ck_spawn_attr_free(a);
}

/* ---- pidfd, signals, free ---- */

Test(spawn, the_pidfd_becomes_readable_when_the_child_exits)
{
	int in[2], st;
	struct ck_child *c;
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, in[0], 0), 0);
	char *argv[] = { observe_path(), "wait", NULL };
	spawn_checked(&c, argv, NULL, a);
	close(in[0]);
	ck_spawn_attr_free(a);

	int pidfd = ck_spawn_pidfd(c);
	cr_assert_geq(pidfd, 0);
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 100), 0, "the pidfd is readable while the child runs");
	close(in[1]);
	cr_assert_eq(poll(&pfd, 1, 10000), 1);
	cr_assert(pfd.revents & POLLIN);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_spawn_free(c);
	ck_test_assert_no_children();
}

static void check_signal_kill(bool userns)
{
	char *argv[] = { "sleep", "100", NULL };
	struct ck_child *c;
	int st;
	struct ck_spawn_attr *a = attr_for(userns, 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	cr_assert_eq(ck_spawn_signal(c, SIGKILL), 0);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFSIGNALED(st), "status 0x%x", st);
	cr_assert_eq(WTERMSIG(st), SIGKILL);
	cr_assert_eq(ck_spawn_signal(c, SIGKILL), -ESRCH);
	cr_assert_eq(ck_spawn_wait(c, &st), -ECHILD);
	ck_spawn_free(c);
	ck_test_assert_no_children();
}

Test(spawn, signal_kills_the_child_through_its_pidfd_on_the_vfork_path)
{
	check_signal_kill(false);
}

Test(spawn, signal_kills_the_child_through_its_pidfd_in_a_user_namespace)
{
	check_signal_kill(true);
}

static void check_free_kills(bool userns)
{
	char *argv[] = { "sleep", "100", NULL };
	struct ck_child *c;
	int fds = count_fds();
	struct ck_spawn_attr *a = attr_for(userns, 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	pid_t pid = ck_spawn_pid(c);
	cr_assert_eq(kill(pid, 0), 0);
	ck_spawn_free(c);
	errno = 0;
	cr_assert_eq(kill(pid, 0), -1);
	cr_assert_eq(errno, ESRCH);
	ck_test_assert_no_children();
	cr_assert_eq(count_fds(), fds, "the pidfd was not closed");
}

Test(spawn, free_kills_and_reaps_an_unwaited_child_on_the_vfork_path)
{
	check_free_kills(false);
}

Test(spawn, free_kills_and_reaps_an_unwaited_child_in_a_user_namespace)
{
	check_free_kills(true);
}

/* ---- die-with-parent ---- */

/*
 * An intermediate process spawns `sleep 100` with die-with-parent and waits
 * for a byte before it exits. This process is a subreaper, so the orphaned
 * sleep becomes its child and its death can be read exactly.
 */
static void check_die_with_parent(bool userns)
{
	int pid_pipe[2], go[2], st;
	pid_t sleeper;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	cr_assert_eq(pipe2(pid_pipe, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t mid = fork();
	cr_assert_geq(mid, 0);
	if (mid == 0) {
		char *argv[] = { "sleep", "100", NULL };
		struct ck_spawn_attr *a = ck_spawn_attr_new();
		struct ck_child *c;
		char b;
		if (userns) {
			ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
			ck_spawn_attr_map_root(a);
		}
		ck_spawn_attr_set_die_with_parent(a, SIGKILL);
		int r = ck_spawn(&c, "sleep", argv, NULL, a, NULL);
		pid_t pid = r < 0 ? r : ck_spawn_pid(c);
		if (write(pid_pipe[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(3);
		if (read(go[0], &b, 1) != 1)
			_exit(4);
		_exit(0); /* without ck_spawn_free, which would kill the sleep itself */
	}
	close(pid_pipe[1]);
	close(go[0]);
	cr_assert_eq(read(pid_pipe[0], &sleeper, sizeof(sleeper)), (ssize_t)sizeof(sleeper));
	close(pid_pipe[0]);
	cr_assert_gt(sleeper, 0, "ck_spawn in the intermediate process: %s",
		     strerrorname_np(-sleeper));

	int pidfd = (int)syscall(SYS_pidfd_open, sleeper, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open: %s", strerror(errno));
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	/* alive as long as its parent lives */
	cr_assert_eq(poll(&pfd, 1, 300), 0, "the child died while its parent lived");

	cr_assert_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	cr_assert_eq(waitpid(mid, &st, 0), mid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "intermediate: status 0x%x", st);

	cr_assert_eq(poll(&pfd, 1, 10000), 1, "the child outlived its parent");
	close(pidfd);
	cr_assert_eq(waitpid(sleeper, &st, __WALL), sleeper);
	cr_assert(WIFSIGNALED(st), "status 0x%x", st);
	cr_assert_eq(WTERMSIG(st), SIGKILL);
	ck_test_assert_no_children();
}

Test(spawn, die_with_parent_kills_the_child_when_the_parent_exits_on_the_vfork_path)
{
	check_die_with_parent(false);
}

Test(spawn, die_with_parent_kills_the_child_when_the_parent_exits_in_a_user_namespace)
{
	check_die_with_parent(true);
}

Test(spawn, die_with_parent_takes_signals_1_to_64)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_die_with_parent(a, 65), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_die_with_parent(a, -1), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_die_with_parent(a, 0), 0);
	ck_spawn_attr_free(a);
}

/* ---- sharing ---- */

static void check_fs_sharing(bool share)
{
	char dir[64], cwd[PATH_MAX], out[OUT_MAX];
	int saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(saved, 0);
	make_tmpdir(dir);
	cr_assert_eq(chdir("/"), 0);

	struct ck_spawn_attr *a = attr_for(false, 0);
	if (share)
		cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FS), 0);
	observe(a, out, sizeof(out), "chdir", dir, "cwd", NULL);
	ck_spawn_attr_free(a);

	char want[128];
	snprintf(want, sizeof(want), "ok\n%s\n", dir);
	cr_assert_str_eq(out, want);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(fchdir(saved), 0);
	close(saved);
	/* the program's chdir after execve moved the caller only when fs_struct is shared */
	cr_assert_str_eq(cwd, share ? dir : "/");
}

Test(spawn, shared_fs_carries_the_programs_chdir_back_to_the_caller)
{
	check_fs_sharing(true);
}

Test(spawn, without_shared_fs_the_programs_chdir_stays_in_the_child)
{
	check_fs_sharing(false);
}

Test(spawn, sharing_what_execve_ends_is_einval)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FILES), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_SIGHAND), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FS | CK_CLONE_FILES), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM), 0);
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_FS), -EINVAL);
	ck_spawn_attr_free(a);
}

/* The kernel refuses to share fs_struct across a new mount or user namespace. */
Test(spawn, sharing_fs_with_a_new_mount_namespace_fails_at_clone3_with_einval)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWNS);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FS), 0);
	expect_failure(a, argv, "clone3", EINVAL, false);
	ck_spawn_attr_free(a);
	a = attr_for(true, 0);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_FS), 0);
	expect_failure(a, argv, "clone3", EINVAL, false);
	ck_spawn_attr_free(a);
}

Test(spawn, sharing_vm_with_a_user_namespace_is_einval)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(true, 0);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_VM), 0);
	expect_failure(a, argv, "attributes", EINVAL, false);
	ck_spawn_attr_free(a);
}

/* ---- exit signal ---- */

/*
 * execve resets the exit signal to SIGCHLD (fs/exec.c, de_thread(): "we have
 * changed execution domain"), so the attribute holds only until then: for a
 * child that dies before it reaches its program.
 */
static int hook_die(void *data)
{
	kill(getpid(), SIGKILL);
	return -EIO;
}

/* Spawns true with SIGUSR1 as the exit signal and returns the signal that came, in si. */
static int exit_signal_of(bool userns, int (*hook)(void *), siginfo_t *si, struct ck_child **c)
{
	char *argv[] = { "true", NULL };
	struct timespec limit = { 10, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_exit_signal(a, SIGUSR1), 0);
	cr_assert_eq(ck_spawn_attr_set_pre_exec(a, hook, NULL), 0);
	spawn_checked(c, argv, NULL, a);
	ck_spawn_attr_free(a);
	int sig = sigtimedwait(&set, si, &limit);
	cr_assert_gt(sig, 0, "no signal at the child's exit: %s", strerror(errno));
	cr_assert_eq(si->si_pid, ck_spawn_pid(*c));
	return sig;
}

static void check_exit_signal_before_execve(bool userns)
{
	struct ck_child *c;
	siginfo_t si;
	int st;

	cr_assert_eq(exit_signal_of(userns, hook_die, &si, &c), SIGUSR1);
	cr_assert_eq(si.si_code, CLD_KILLED);
	cr_assert_eq(si.si_status, SIGKILL);
	/* a child killed before execve still counts as started, as with posix_spawn */
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status 0x%x", st);
	ck_spawn_free(c);
	ck_test_assert_no_children();
}

Test(spawn, the_exit_signal_reaches_the_caller_before_execve_on_the_vfork_path)
{
	check_exit_signal_before_execve(false);
}

Test(spawn, the_exit_signal_reaches_the_caller_before_execve_in_a_user_namespace)
{
	check_exit_signal_before_execve(true);
}

static void check_execve_resets_exit_signal(bool userns)
{
	struct ck_child *c;
	siginfo_t si;
	sigset_t pending;
	int st;

	cr_assert_eq(exit_signal_of(userns, NULL, &si, &c), SIGCHLD);
	cr_assert_eq(si.si_code, CLD_EXITED);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_spawn_free(c);
	ck_test_assert_no_children();
	cr_assert_eq(sigpending(&pending), 0);
	cr_assert(!sigismember(&pending, SIGUSR1), "SIGUSR1 came as well");
}

Test(spawn, execve_resets_the_exit_signal_to_sigchld_on_the_vfork_path)
{
	check_execve_resets_exit_signal(false);
}

Test(spawn, execve_resets_the_exit_signal_to_sigchld_in_a_user_namespace)
{
	check_execve_resets_exit_signal(true);
}

Test(spawn, exit_signals_above_64_are_einval)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_exit_signal(a, 65), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_exit_signal(a, -1), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_exit_signal(a, 0), 0);
	ck_spawn_attr_free(a);
}

/* ---- pre-exec hook ---- */

static int hook_eperm(void *data)
{
	return -EPERM;
}

static void check_hook_failure(bool userns)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_pre_exec(a, hook_eperm, NULL), 0);
	expect_failure(a, argv, "pre-exec hook", EPERM, true);
	ck_spawn_attr_free(a);
}

Test(spawn, a_failing_hook_fails_the_spawn_on_the_vfork_path)
{
	check_hook_failure(false);
}

Test(spawn, a_failing_hook_fails_the_spawn_in_a_user_namespace)
{
	check_hook_failure(true);
}

static int hook_marker(void *data)
{
	int fd = *(int *)data;
	return write(fd, "hook\n", 5) == 5 ? 0 : -EIO;
}

static void check_hook_runs_first(bool userns)
{
	char out[OUT_MAX];
	int p[2], st;
	struct ck_child *c;
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);

	/* the hook writes to the caller's fd number, still open until execve */
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_pre_exec(a, hook_marker, &p[1]), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	char *argv[] = { "echo", "program", NULL };
	spawn_checked(&c, argv, NULL, a);
	close(p[1]);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_str_eq(out, "hook\nprogram\n");
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
}

Test(spawn, the_hook_runs_just_before_execve_on_the_vfork_path)
{
	check_hook_runs_first(false);
}

Test(spawn, the_hook_runs_just_before_execve_in_a_user_namespace)
{
	check_hook_runs_first(true);
}

/* ---- attribute validation ---- */

static void check_invalid(struct ck_spawn_attr *a, const char *names)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	expect_failure(a, argv, "attributes", EINVAL, false);
	cr_assert_eq(ck_spawn(&c, "true", argv, NULL, a, &err), -EINVAL);
	cr_assert_not_null(strstr(err.message, names), "message \"%s\" does not name %s",
			   err.message, names);
	ck_spawn_attr_free(a);
}

Test(spawn, a_hostname_without_a_uts_namespace_is_einval)
{
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWNET);
	cr_assert_eq(ck_spawn_attr_set_hostname(a, "h"), 0);
	check_invalid(a, "CLONE_NEWUTS");
}

Test(spawn, mount_proc_without_pid_and_mount_namespaces_is_einval)
{
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWPID);
	cr_assert_eq(ck_spawn_attr_set_mount_proc(a, true), 0);
	check_invalid(a, "CLONE_NEWPID|CLONE_NEWNS");
	a = attr_for(false, CK_CLONE_NEWNS);
	cr_assert_eq(ck_spawn_attr_set_mount_proc(a, true), 0);
	check_invalid(a, "CLONE_NEWPID|CLONE_NEWNS");
}

Test(spawn, offsets_without_a_time_namespace_are_einval)
{
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWPID);
	cr_assert_eq(ck_spawn_attr_set_time_offset(a, CLOCK_MONOTONIC, 10, 0), 0);
	check_invalid(a, "CLONE_NEWTIME");
}

Test(spawn, id_maps_without_a_user_namespace_are_einval)
{
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWNS);
	cr_assert_eq(ck_spawn_attr_map_root(a), 0);
	check_invalid(a, "CLONE_NEWUSER");
	a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 0, 100000, 1), 0);
	check_invalid(a, "CLONE_NEWUSER");
}

Test(spawn, namespaces_outside_the_eight_are_einval)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS | CK_CLONE_VM), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNS_ALL), 0);
	ck_spawn_attr_free(a);
}

Test(spawn, null_arguments_are_einval)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	cr_assert_eq(ck_spawn(NULL, "true", argv, NULL, NULL, &err), -EINVAL);
	cr_assert_str_eq(err.step, "arguments");
	cr_assert_eq(ck_spawn(&c, NULL, argv, NULL, NULL, &err), -EINVAL);
	cr_assert_eq(ck_spawn(&c, "true", NULL, NULL, NULL, &err), -EINVAL);
	cr_assert_str_eq(err.message, "argv is NULL");
	ck_test_assert_no_children();
}

/* ---- signal dispositions ---- */

static void on_sigusr2(int sig)
{
}

/* Writes the child's SIGUSR2 disposition between clone and execve. */
static int hook_disposition(void *data)
{
	struct sigaction sa;
	int fd = *(int *)data;
	if (sigaction(SIGUSR2, NULL, &sa) < 0)
		return -errno;
	const char *s = sa.sa_handler == SIG_DFL ? "SIG_DFL\n"
		      : sa.sa_handler == SIG_IGN ? "SIG_IGN\n"
						 : "handler\n";
	return write(fd, s, strlen(s)) > 0 ? 0 : -EIO;
}

/*
 * SIGUSR2 has a handler and SIGUSR1 is ignored and blocked in the caller:
 * before execve the handler is gone, and the program gets the caller's mask
 * and ignored set.
 */
static void spawn_dispositions(bool userns, char *out, size_t len, char *mask, char *ign)
{
	struct sigaction sa = { .sa_handler = on_sigusr2 };
	sigset_t set;
	int p[2], st;
	struct ck_child *c;
	char *argv[] = { observe_path(), "sigmask", "sigign", "sigcgt", NULL };

	cr_assert_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	cr_assert_neq(signal(SIGUSR1, SIG_IGN), SIG_ERR);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	status_field("SigBlk", mask, 32);
	status_field("SigIgn", ign, 32);

	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_set_pre_exec(a, hook_disposition, &p[1]), 0);
	spawn_checked(&c, argv, NULL, a);
	close(p[1]);
	ck_test_read_all(p[0], out, len);
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, out);
	ck_spawn_free(c);
	ck_spawn_attr_free(a);
}

static void check_dispositions(bool userns)
{
	char out[OUT_MAX], mask[32], ign[32], want[256];
	spawn_dispositions(userns, out, sizeof(out), mask, ign);
	cr_assert(strtoull(mask, NULL, 16) & (1ULL << (SIGUSR1 - 1)));
	cr_assert(strtoull(ign, NULL, 16) & (1ULL << (SIGUSR1 - 1)));
	snprintf(want, sizeof(want), "SIG_DFL\n%s\n%s\n", mask, ign);
	cr_assert_eq(strncmp(out, want, strlen(want)), 0, "output: %s, want %s...", out, want);
	/* a sanitizer runtime may catch signals of its own, never SIGUSR2 */
	unsigned long long caught = strtoull(out + strlen(want), NULL, 16);
	cr_assert_eq(caught & (1ULL << (SIGUSR2 - 1)), 0, "output: %s", out);
}

Test(spawn, a_callers_handler_is_sig_dfl_in_the_child_on_the_vfork_path)
{
	check_dispositions(false);
}

Test(spawn, a_callers_handler_is_sig_dfl_in_the_child_in_a_user_namespace)
{
	check_dispositions(true);
}


/*
 * Where clone3 is missing (here: a seccomp filter answering ENOSYS), the
 * spawn falls back to clone and the child resets the handlers itself.
 */
static void check_dispositions_without_clone3(bool userns)
{
#ifdef DENY_CLONE3_AUDIT_ARCH
	/* the filter ends with this test's process */
	cr_assert_eq(deny_clone3(), 0, "seccomp: %s", strerror(errno));
	errno = 0;
	cr_assert_eq(syscall(SYS_clone3, NULL, 0), -1);
	cr_assert_eq(errno, ENOSYS);
	check_dispositions(userns);
#else
	ck_skip_or_fail("no seccomp architecture value for this build");
#endif
}

Test(spawn, without_clone3_a_callers_handler_is_sig_dfl_on_the_vfork_path)
{
	check_dispositions_without_clone3(false);
}

Test(spawn, without_clone3_a_callers_handler_is_sig_dfl_in_a_user_namespace)
{
	check_dispositions_without_clone3(true);
}


/* ---- a handler the child cannot reset ---- */

static void on_sigusr1(int sig)
{
}

/*
 * Under a filter that makes clone3 ENOSYS (so the child resets handlers
 * itself) and refuses to install handlers, the reset fails: the spawn must
 * fail with it, never start the program with the caller's handler table.
 */
static void check_handler_reset_failure(bool userns)
{
#ifdef DENY_CLONE3_AUDIT_ARCH
	int p[2], st;
	char out[OUT_MAX];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *argv[] = { "true", NULL };
		struct ck_spawn_error err = { .size = sizeof(err) };
		struct ck_child *c;
		struct sigaction sa = { .sa_handler = on_sigusr1 };
		struct ck_spawn_attr *a = ck_spawn_attr_new();
		if (userns) {
			ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
			ck_spawn_attr_map_root(a);
		}
		sigaction(SIGUSR1, &sa, NULL);
		if (deny_clone3_and(true) < 0)
			_exit(90);
		int r = ck_spawn(&c, "true", argv, NULL, a, &err);
		dprintf(p[1], "%s %s %s in_child=%d\n%s\n", strerrorname_np(-r), err.step,
			strerrorname_np(err.err), err.in_child, err.message);
		_exit(0);
	}
	close(p[1]);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	/* SIGUSR1, or first a signal a sanitizer runtime caught for itself (SIGBUS) */
	char sig[16];
	cr_assert_eq(sscanf(out, "EPERM reset signal handlers EPERM in_child=1\n"
				 "reset the handler of %15s to SIG_DFL: Operation not permitted\n", sig), 1,
		     "%s", out);
	cr_assert(strncmp(sig, "SIG", 3) == 0, "%s", out);
	cr_assert(strstr(out, " to SIG_DFL: Operation not permitted\n"), "%s", out);
#else
	ck_skip_or_fail("no seccomp architecture value for this build");
#endif
}

Test(spawn, a_handler_reset_failure_fails_the_spawn_on_the_vfork_path)
{
	check_handler_reset_failure(false);
}

Test(spawn, a_handler_reset_failure_fails_the_spawn_in_a_user_namespace)
{
	check_handler_reset_failure(true);
}

/* ---- errors that explain ---- */

static void unpriv_new_net(int out)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWNET);
	int r = ck_spawn(&c, "true", argv, NULL, a, &err);
	dprintf(out, "%s %s %s %s\n%s\n", strerrorname_np(-r), err.step, strerrorname_np(err.err),
		err.rule ? err.rule : "(none)", err.message);
	ck_spawn_attr_free(a);
}

Test(spawn, an_unprivileged_new_net_namespace_is_explained_by_the_validator)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("becoming uid %d needs root", UNPRIV_ID);
	as_unprivileged(unpriv_new_net, out, sizeof(out));
	cr_assert_str_eq(out, "EPERM clone3 EPERM namespace-needs-cap-sys-admin\n"
			      "clone3: creating namespaces needs CAP_SYS_ADMIN (or CLONE_NEWUSER with "
			      "them): CLONE_NEWNET\n");
}

static void check_chdir_message(bool userns)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	cr_assert_eq(ck_spawn_attr_set_cwd(a, "/nonexistent/ck-dir"), 0);
	expect_explained(a, argv, "chdir", ENOENT, true, NULL,
			 "chdir /nonexistent/ck-dir: No such file or directory");
	ck_spawn_attr_free(a);
}

Test(spawn, a_chdir_failure_names_the_directory_on_the_vfork_path)
{
	check_chdir_message(false);
}

Test(spawn, a_chdir_failure_names_the_directory_in_a_user_namespace)
{
	check_chdir_message(true);
}

Test(spawn, overlapping_id_map_ranges_are_einval_naming_both)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(false, CK_CLONE_NEWUSER);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 0, 100000, 10), 0);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 5, 200000, 10), 0);
	expect_explained(a, argv, "attributes", EINVAL, false, NULL,
			 "uid map ranges 0:100000:10 and 5:200000:10 overlap inside the namespace "
			 "(at id 5): the kernel refuses overlapping ranges; make them disjoint");
	ck_spawn_attr_free(a);

	/* outside, for gids: two ranges onto the same host ids */
	a = attr_for(false, CK_CLONE_NEWUSER);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 0, 100000, 10), 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 0, 300000, 100), 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 1000, 300050, 100), 0);
	expect_explained(a, argv, "attributes", EINVAL, false, NULL,
			 "gid map ranges 0:300000:100 and 1000:300050:100 overlap outside the namespace "
			 "(at id 300050): the kernel refuses overlapping ranges; make them disjoint");
	ck_spawn_attr_free(a);

	/* adjacent ranges are fine: the kernel takes them */
	char out[OUT_MAX];
	a = attr_for(false, CK_CLONE_NEWUSER);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 0, 100000, 10), 0);
	cr_assert_eq(ck_spawn_attr_add_uid_map(a, 10, 200000, 10), 0);
	cr_assert_eq(ck_spawn_attr_add_gid_map(a, 0, 100000, 20), 0);
	observe(a, out, sizeof(out), "file", "/proc/self/uid_map", NULL);
	cr_assert_str_eq(out, "0 100000 10|10 200000 10\n");
	ck_spawn_attr_free(a);
}

static void check_missing_interpreter(bool userns)
{
	char dir[64], path[128], want[512];
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/script", dir);
	write_file(path, "#!/nonexistent/ck-interp -x\necho hi\n", 0755);
	char *argv[] = { path, NULL };
	struct ck_spawn_attr *a = attr_for(userns, 0);
	snprintf(want, sizeof(want),
		 "execve %s: its interpreter /nonexistent/ck-interp (the #! line) does not exist", path);
	expect_explained(a, argv, "execve", ENOENT, true, NULL, want);

	/* found through PATH: the message gives the file it found */
	char *plain[] = { "script", NULL };
	cr_assert_eq(setenv("PATH", dir, 1), 0);
	snprintf(want, sizeof(want),
		 "execve script (%s): its interpreter /nonexistent/ck-interp (the #! line) does not exist",
		 path);
	expect_explained(a, plain, "execve", ENOENT, true, NULL, want);

	/* an interpreter that exists but cannot be executed is EACCES */
	write_file(path, "#!/etc/passwd\necho hi\n", 0755);
	snprintf(want, sizeof(want),
		 "execve %s: its interpreter /etc/passwd (the #! line) is not an executable file", path);
	expect_explained(a, argv, "execve", EACCES, true, NULL, want);
	ck_spawn_attr_free(a);
}

Test(spawn, a_script_with_a_missing_interpreter_names_it_on_the_vfork_path)
{
	check_missing_interpreter(false);
}

Test(spawn, a_script_with_a_missing_interpreter_names_it_in_a_user_namespace)
{
	check_missing_interpreter(true);
}

/* A copy of /bin/true whose PT_INTERP names a loader that does not exist. */
static void write_true_with_missing_loader(const char *path, char *loader, size_t len)
{
	static char image[4 << 20];
	int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, image, sizeof(image));
	close(fd);
	cr_assert_gt(n, (ssize_t)sizeof(Elf64_Ehdr));
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	cr_assert_eq(eh->e_ident[EI_CLASS], ELFCLASS64, "a 64-bit /bin/true is expected");
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff + i * eh->e_phentsize);
		if (ph->p_type != PT_INTERP)
			continue;
		char *interp = image + ph->p_offset;
		interp[strlen(interp) - 1] = 'X';
		snprintf(loader, len, "%s", interp);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, image, (size_t)n), n);
		close(fd);
		return;
	}
	cr_assert_fail("/bin/true has no PT_INTERP");
}

Test(spawn, a_program_whose_loader_is_missing_names_it)
{
	char dir[64], path[128], loader[256], want[512];
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/true-x", dir);
	write_true_with_missing_loader(path, loader, sizeof(loader));
	char *argv[] = { path, NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	snprintf(want, sizeof(want),
		 "execve %s: its program interpreter %s (the dynamic loader it was linked for) does not exist",
		 path, loader);
	expect_explained(a, argv, "execve", ENOENT, true, NULL, want);
	ck_spawn_attr_free(a);
}

Test(spawn, an_empty_file_name_is_enoent_as_execvp_says)
{
	char *argv[] = { "", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	expect_explained(a, argv, "execve", ENOENT, true, NULL,
			 "execve: the command name is empty: No such file or directory");
	ck_spawn_attr_free(a);
}

Test(spawn, eacces_and_enoexec_say_what_is_wrong_with_the_file)
{
	char dir[64], path[128], want[512];
	make_tmpdir(dir);
	struct ck_spawn_attr *a = attr_for(false, 0);

	char *directory[] = { dir, NULL };
	snprintf(want, sizeof(want), "execve %s: Permission denied: it is a directory", dir);
	expect_explained(a, directory, "execve", EACCES, true, NULL, want);

	snprintf(path, sizeof(path), "%s/data", dir);
	write_file(path, "not a program\n", 0644);
	char *data[] = { path, NULL };
	snprintf(want, sizeof(want), "execve %s: Permission denied: the file has no execute permission",
		 path);
	expect_explained(a, data, "execve", EACCES, true, NULL, want);

	cr_assert_eq(chmod(path, 0755), 0);
	snprintf(want, sizeof(want),
		 "execve %s: Exec format error: neither a program for this machine nor a script starting with #!",
		 path);
	expect_explained(a, data, "execve", ENOEXEC, true, NULL, want);
	ck_spawn_attr_free(a);
}

Test(spawn, an_older_smaller_error_struct_gets_what_fits)
{
	char *argv[] = { "/nonexistent/ck-no-such-program", NULL };
	struct ck_child *c;
	/* a caller built when the struct ended with a 16-byte message */
	union {
		struct ck_spawn_error e;
		unsigned char bytes[sizeof(struct ck_spawn_error)];
	} u;
	memset(&u, 0xa5, sizeof(u));
	u.e.size = offsetof(struct ck_spawn_error, message) + 16;
	cr_assert_eq(ck_spawn(&c, argv[0], argv, NULL, NULL, &u.e), -ENOENT);
	cr_assert_str_eq(u.e.step, "execve");
	cr_assert_eq(u.e.err, ENOENT);
	cr_assert_str_eq(u.e.message, "execve /nonexis");
	/* nothing past its size is touched */
	for (size_t i = u.e.size; i < sizeof(u); i++)
		cr_assert_eq(u.bytes[i], 0xa5, "byte %zu written", i);
}

/* ---- keeping inherited fds ---- */

Test(spawn, keep_fds_passes_the_callers_inherited_fds)
{
	char out[OUT_MAX], want[64];
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: inherited */
	int cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert(fd > 2 && cloexec > 2);
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_keep_fds(a, true), 0);
	observe(a, out, sizeof(out), "fds", NULL);
	snprintf(want, sizeof(want), " %d ", fd);
	char padded[OUT_MAX + 2];
	snprintf(padded, sizeof(padded), " %.*s ", (int)strcspn(out, "\n"), out);
	cr_assert_not_null(strstr(padded, want), "fd %d missing from %s", fd, out);
	snprintf(want, sizeof(want), " %d ", cloexec);
	cr_assert_null(strstr(padded, want), "close-on-exec fd %d reached the program: %s", cloexec, out);
	ck_spawn_attr_free(a);

	/* without it, the same fd does not */
	a = attr_for(false, 0);
	observe(a, out, sizeof(out), "fds", NULL);
	snprintf(padded, sizeof(padded), " %.*s ", (int)strcspn(out, "\n"), out);
	snprintf(want, sizeof(want), " %d ", fd);
	cr_assert_null(strstr(padded, want), "fd %d reached the program: %s", fd, out);
	ck_spawn_attr_free(a);
	close(fd);
	close(cloexec);
}

/* ---- the hold before execve ---- */

static bool same_exe(pid_t pid)
{
	char path[64], a[PATH_MAX], b[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, a, sizeof(a) - 1), m = readlink("/proc/self/exe", b, sizeof(b) - 1);
	cr_assert(n > 0 && m > 0, "readlink: %s", strerror(errno));
	a[n] = b[m] = '\0';
	return strcmp(a, b) == 0;
}

static bool readable_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 1;
}

Test(spawn, a_held_child_has_not_executed_until_released)
{
	int p[2], st;
	char out[OUT_MAX];
	struct ck_child *c;
	struct ck_spawn_error err = { .size = sizeof(err) };
	char *argv[] = { "echo", "ran", NULL };

	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	close(p[1]);

	/* held: still our program, nothing written, and it would never end */
	cr_assert(same_exe(ck_spawn_pid(c)), "the held child has executed something");
	cr_assert_not(readable_within(p[0], 200), "the held child ran the program");
	cr_assert_eq(ck_spawn_wait(c, &st), -EBUSY);
	cr_assert_eq(ck_spawn_exec_fd(c), -1);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), -EINVAL);

	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_release(c), -EINVAL);
	int efd = ck_spawn_exec_fd(c);
	cr_assert_geq(efd, 0);
	cr_assert(readable_within(efd, 5000), "no outcome of execve within 5 s");
	cr_assert_eq(ck_spawn_wait_exec(c, &err), 0, "%s", err.message);
	cr_assert_eq(ck_spawn_exec_fd(c), -1);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_str_eq(out, "ran\n");
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_spawn_free(c);
	ck_test_assert_no_children();
}

Test(spawn, a_held_child_in_new_namespaces_gets_its_maps_and_is_held)
{
	int p[2], st;
	char out[OUT_MAX];
	struct ck_child *c;
	struct ck_spawn_error err = { .size = sizeof(err) };
	char *argv[] = { observe_path(), "uid", "pid", "hostname", NULL };

	struct ck_spawn_attr *a = attr_for(true, CK_CLONE_NEWPID | CK_CLONE_NEWUTS);
	cr_assert_eq(ck_spawn_attr_set_hostname(a, "held"), 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	close(p[1]);
	cr_assert(same_exe(ck_spawn_pid(c)));
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), 0, "%s", err.message);
	ck_test_read_all(p[0], out, sizeof(out));
	close(p[0]);
	cr_assert_str_eq(out, "0\n1\nheld\n");
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_spawn_free(c);
}

Test(spawn, freeing_a_held_child_kills_it_before_the_program_runs)
{
	char dir[64], marker[128], script[256];
	struct ck_child *c;
	make_tmpdir(dir);
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	snprintf(script, sizeof(script), "echo > %s", marker);
	char *argv[] = { "sh", "-c", script, NULL };

	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	int fds = count_fds();
	pid_t pid = ck_spawn_pid(c);
	ck_spawn_free(c);
	ck_test_assert_no_children();
	cr_assert_eq(kill(pid, 0), -1);
	cr_assert_eq(access(marker, F_OK), -1, "the program ran");
	cr_assert_lt(count_fds(), fds, "the handle's fds were not closed");
}

Test(spawn, a_released_child_whose_execve_fails_reports_it_and_is_reaped)
{
	struct ck_child *c;
	struct ck_spawn_error err = { .size = sizeof(err) };
	char *argv[] = { "/nonexistent/ck-no-such-program", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	spawn_checked(&c, argv, NULL, a); /* held: execve has not been tried */
	ck_spawn_attr_free(a);
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), -ENOENT);
	cr_assert_str_eq(err.step, "execve");
	cr_assert(err.in_child);
	cr_assert_str_eq(err.message, "execve /nonexistent/ck-no-such-program: No such file or directory");
	cr_assert_eq(ck_spawn_wait(c, NULL), -ECHILD);
	ck_spawn_free(c);
	ck_test_assert_no_children();
}

Test(spawn, releasing_a_held_child_that_was_killed_is_esrch)
{
	struct ck_child *c;
	char *argv[] = { "true", NULL };
	int st;
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	cr_assert_eq(ck_spawn_signal(c, SIGKILL), 0);
	siginfo_t si;
	cr_assert_eq(waitid(P_PID, (id_t)ck_spawn_pid(c), &si, WEXITED | WNOWAIT), 0);
	cr_assert_eq(ck_spawn_release(c), -ESRCH);
	ck_spawn_free(c);
	(void)st;
	ck_test_assert_no_children();
}

static int hook_sigkill(void *data)
{
	return (int)syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
}

Test(spawn, a_child_killed_before_it_is_held_fails_the_spawn)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	cr_assert_eq(ck_spawn_attr_set_pre_exec(a, hook_sigkill, NULL), 0);
	expect_explained(a, argv, "read the child's report", ECHILD, false, NULL,
			 "the child was killed by SIGKILL before it was held");
	ck_spawn_attr_free(a);
}

Test(spawn, a_hold_with_shared_vm_is_einval)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	cr_assert_eq(ck_spawn_attr_set_share(a, CK_CLONE_VM), 0);
	cr_assert_eq(ck_spawn_attr_set_hold(a, true), 0);
	expect_explained(a, argv, "attributes", EINVAL, false, NULL,
			 "holding the child before execve (a hold, a seccomp listener or a tracer) needs "
			 "the caller to run while the child waits, which CLONE_VM|CLONE_VFORK cannot do: "
			 "do not share CLONE_VM");
	ck_spawn_attr_free(a);
}

/*
 * The caller that spawned a held child dies without releasing it: the
 * child sees its control socket close and exits without running the
 * program. This test is the subreaper that inherits it.
 */
Test(spawn, a_held_child_whose_parent_dies_exits_without_running_the_program)
{
	char dir[64], marker[128], script[256];
	int p[2], st;
	pid_t held = 0;
	make_tmpdir(dir);
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	snprintf(script, sizeof(script), "echo > %s", marker);

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t parent = fork();
	cr_assert_geq(parent, 0);
	if (parent == 0) {
		char *argv[] = { "sh", "-c", script, NULL };
		struct ck_child *c;
		struct ck_spawn_attr *a = ck_spawn_attr_new();
		ck_spawn_attr_set_hold(a, true);
		if (ck_spawn(&c, "sh", argv, NULL, a, NULL) < 0)
			_exit(1);
		pid_t pid = ck_spawn_pid(c);
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(2);
		_exit(0); /* dies holding it */
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &held, sizeof(held)), (ssize_t)sizeof(held));
	close(p[0]);
	cr_assert_eq(waitpid(parent, &st, 0), parent);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	int pidfd = (int)syscall(SYS_pidfd_open, held, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open %d: %s", (int)held, strerror(errno));
	bool ended = readable_within(pidfd, 5000);
	close(pidfd);
	if (!ended)
		kill(held, SIGKILL);
	cr_assert(ended, "the held child outlived its parent by 5 s");
	cr_assert_eq(waitpid(held, &st, 0), held);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 127, "status 0x%x", st);
	cr_assert_eq(access(marker, F_OK), -1, "the program ran");
	ck_test_assert_no_children();
}

/* ---- the seccomp listener ---- */

#include <clonekit/seccomp.h>
#include <sys/ioctl.h>

/* Starts `unshare --uts true` with a listener for CLONE_NEWUTS (and policy, if any), held. */
static struct ck_child *spawn_with_listener(const struct ck_seccomp_listener_opts *opts,
					    const char *policy, int err_pipe[2])
{
	struct ck_child *c;
	char *argv[] = { "unshare", "--uts", "true", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	struct ck_seccomp_policy *p = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	cr_assert_not_null(p);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, opts), 0);
	ck_seccomp_policy_free(p);
	if (policy) {
		p = ck_seccomp_policy_named(policy);
		cr_assert_eq(ck_spawn_attr_set_seccomp(a, p), 0);
		ck_seccomp_policy_free(p);
	}
	cr_assert_eq(pipe2(err_pipe, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 1, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, err_pipe[1], 2), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	close(err_pipe[1]);
	return c;
}

/* Receives one notification and answers it with -answer. */
static void answer_one(int listener, pid_t pid, long nr, uint64_t arg0, int answer)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	cr_assert(readable_within(listener, 5000), "no notification within 5 s");
	memset(&req, 0, sizeof(req));
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0, "NOTIF_RECV: %s",
		     strerror(errno));
	if (pid > 0)
		cr_assert_eq(req.pid, (uint32_t)pid);
	cr_assert_eq(req.data.nr, nr);
	cr_assert_eq(req.data.args[0], arg0);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -answer;
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "NOTIF_SEND: %s",
		     strerror(errno));
}

static void check_listener(const struct ck_seccomp_listener_opts *opts)
{
	int errp[2], st;
	char out[OUT_MAX];
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = spawn_with_listener(opts, NULL, errp);

	/* held until the caller has the listener and lets it go */
	cr_assert(same_exe(ck_spawn_pid(c)));
	int listener = ck_spawn_take_listener(c);
	cr_assert_geq(listener, 0, "ck_spawn_take_listener: %s", strerror(-listener));
	cr_assert_eq(ck_spawn_take_listener(c), -ENOENT);
	cr_assert_eq(fcntl(listener, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	cr_assert_eq(ck_spawn_release(c), 0);
	cr_assert_eq(ck_spawn_wait_exec(c, &err), 0, "%s", err.message);

	/* the program's unshare(CLONE_NEWUTS) waits for our answer: EACCES */
	answer_one(listener, ck_spawn_pid(c), SYS_unshare, CK_CLONE_NEWUTS, EACCES);
	ck_test_read_all(errp[0], out, sizeof(out));
	close(errp[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x: %s", st, out);
	cr_assert_str_eq(out, "unshare: unshare failed: Permission denied\n");
	ck_spawn_free(c);
	close(listener);
}

Test(spawn, the_seccomp_listener_reaches_the_parent_and_answers_the_childs_call)
{
	check_listener(NULL);
}

Test(spawn, the_seccomp_listener_waits_killably_when_asked)
{
	struct ck_seccomp_listener_opts opts = { .size = sizeof(opts),
						 .flags = CK_SECCOMP_LISTENER_WAIT_KILLABLE };
	if (ck_kernel_version_running() < CK_KERNEL_VERSION(5, 19, 0))
		ck_skip_or_fail("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs Linux 5.19");
	check_listener(&opts);
}

Test(spawn, the_listener_comes_after_the_callers_own_policy)
{
	int errp[2], st;
	char out[OUT_MAX];
	struct ck_child *c;
	char *argv[] = { "sh", "-c", "unshare --user true; unshare --uts true", NULL };
	struct ck_spawn_attr *a = attr_for(false, 0);
	struct ck_seccomp_policy *p = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, NULL), 0);
	ck_seccomp_policy_free(p);
	p = ck_seccomp_policy_named("deny-userns");
	cr_assert_eq(ck_spawn_attr_set_seccomp(a, p), 0);
	ck_seccomp_policy_free(p);
	cr_assert_eq(pipe2(errp, O_CLOEXEC), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 1, 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, errp[1], 2), 0);
	spawn_checked(&c, argv, NULL, a);
	ck_spawn_attr_free(a);
	close(errp[1]);

	int listener = ck_spawn_take_listener(c);
	cr_assert_geq(listener, 0);
	cr_assert_eq(ck_spawn_release(c), 0);
	/* both filters hold: the policy refuses the user namespace, the listener is asked for UTS */
	answer_one(listener, 0, SYS_unshare, CK_CLONE_NEWUTS, ENOTSUP);
	ck_test_read_all(errp[0], out, sizeof(out));
	close(errp[0]);
	cr_assert_eq(ck_spawn_wait(c, &st), 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
	cr_assert_str_eq(out, "unshare: unshare failed: Operation not permitted\n"
			      "unshare: unshare failed: Operation not supported\n");
	ck_spawn_free(c);
	close(listener);
}

Test(spawn, listener_options_are_checked)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_seccomp_policy *p = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	struct {
		struct ck_seccomp_listener_opts o;
		uint64_t newer;
	} big = { { sizeof(big), 0 }, 0 };
	struct ck_seccomp_listener_opts bad = { sizeof(bad), 1u << 7 };
	struct ck_seccomp_listener_opts tiny = { sizeof(size_t), 0 };

	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, &bad), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, &tiny), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, &big.o), 0);
	big.newer = 1; /* a newer caller's field this library would ignore */
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, p, &big.o), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(NULL, p, NULL), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, NULL, NULL), 0);
	ck_seccomp_policy_free(p);
	ck_spawn_attr_free(a);
}

/* ---- children are killed and reaped when pidfd_send_signal is refused ---- */

/* As a container profile, valgrind or a kernel before 5.1 has it. */
static char *const no_pidfd_signals[] = { "pidfd_send_signal", "pidfd_open", NULL };

/* Whether the calling process has a child left, as "none" or "left". */
static const char *children_left(void)
{
	errno = 0;
	pid_t w = waitpid(-1, NULL, WNOHANG | __WALL);
	return w == -1 && errno == ECHILD ? "none" : "left";
}

Test(spawn, a_spawn_that_fails_after_the_child_exists_reaps_it_when_pidfd_send_signal_is_refused)
{
	char out[OUT_MAX];
	if (geteuid() != 0)
		ck_skip_or_fail("becoming uid %d needs root", UNPRIV_ID);
	/* the child waits on the id-map socket when writing uid_map fails: only a kill ends it */
	in_child(unpriv_multi_range, no_pidfd_signals, true, out, sizeof(out));
	cr_assert_str_eq(out, "EPERM uid_map EPERM in_child=0 children=none fds=same\n"
			      "uid_map: writing 0 100000 65536: Operation not permitted: mapping ids other "
			      "than the caller's own needs CAP_SETUID over the new user namespace; without it "
			      "map only your own uid (map-root or map-user)\n");
}

static void free_held(int out)
{
	char *argv[] = { "true", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c;

	ck_spawn_attr_set_hold(a, true);
	int r = ck_spawn(&c, "true", argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r < 0) {
		dprintf(out, "ck_spawn: %s\n", strerror(-r));
		return;
	}
	/* held before execve, it waits for a release that never comes */
	ck_spawn_free(c);
	dprintf(out, "children=%s\n", children_left());
}

Test(spawn, free_kills_and_reaps_a_held_child_when_pidfd_send_signal_is_refused)
{
	char out[OUT_MAX];
	in_child(free_held, no_pidfd_signals, false, out, sizeof(out));
	cr_assert_str_eq(out, "children=none\n");
}

static bool userns_path;

static void signal_and_free(int out)
{
	char *argv[] = { "sleep", "600", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	struct ck_child *c, *d;
	char sig[16];
	int st = 0;

	if (userns_path) {
		ck_spawn_attr_set_namespaces(a, CK_CLONE_NEWUSER);
		ck_spawn_attr_map_root(a);
	}
	int r = ck_spawn(&c, "sleep", argv, NULL, a, &err);
	int r2 = r < 0 ? r : ck_spawn(&d, "sleep", argv, NULL, a, &err);
	ck_spawn_attr_free(a);
	if (r2 < 0) {
		dprintf(out, "ck_spawn: %s (%s)\n", strerror(-r2), err.message);
		return;
	}
	r = ck_spawn_signal(c, SIGTERM);
	int w = ck_spawn_wait(c, &st);
	dprintf(out, "signal %d, wait %d: %s\n", r, w,
		WIFSIGNALED(st) ? ck_signal_name((unsigned)WTERMSIG(st), sig, sizeof(sig)) : "not signaled");
	/* one never waited for: ck_spawn_free kills it */
	ck_spawn_free(d);
	ck_spawn_free(c);
	dprintf(out, "children=%s\n", children_left());
}

static void check_signal_without_pidfd_signals(bool userns)
{
	char out[OUT_MAX];
	userns_path = userns;
	in_child(signal_and_free, no_pidfd_signals, false, out, sizeof(out));
	cr_assert_str_eq(out, "signal 0, wait 0: SIGTERM\nchildren=none\n");
}

Test(spawn, signal_and_free_reach_the_child_when_pidfd_send_signal_is_refused_on_the_vfork_path)
{
	check_signal_without_pidfd_signals(false);
}

Test(spawn, signal_and_free_reach_the_child_when_pidfd_send_signal_is_refused_in_a_user_namespace)
{
	check_signal_without_pidfd_signals(true);
}

static void wait_without_waitid(int out)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c;
	int st = 0;

	int r = ck_spawn(&c, "sh", argv, NULL, NULL, &err);
	if (r < 0) {
		dprintf(out, "ck_spawn: %s (%s)\n", strerror(-r), err.message);
		return;
	}
	r = ck_spawn_wait(c, &st);
	dprintf(out, "wait %d: exited %d, children=%s\n", r, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		children_left());
	ck_spawn_free(c);
}

Test(spawn, wait_reaps_the_child_with_waitpid_when_waitid_is_refused)
{
	static char *const no_waitid[] = { "waitid", NULL };
	char out[OUT_MAX];
	in_child(wait_without_waitid, no_waitid, false, out, sizeof(out));
	cr_assert_str_eq(out, "wait 0: exited 7, children=none\n");
}

Test(spawn, set_user_makes_the_child_that_uid_and_gid_with_no_supplementary_groups)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root (CAP_SETUID)");
	char out[256];
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_user(a, 65534, 65533), 0);
	observe(a, out, sizeof(out), "uid", "gid", "file", "/proc/self/status", NULL);
	ck_spawn_attr_free(a);
	cr_assert(!strncmp(out, "65534\n65533\n", 12), "%s", out);
	/* ck-observe prints the file on one line: '|' for newlines, spaces for tabs */
	cr_assert(strstr(out, "|Uid: 65534 65534 65534 65534|"), "%s", out);
	cr_assert(strstr(out, "|Gid: 65533 65533 65533 65533|"), "%s", out);
	cr_assert(strstr(out, "|Groups:|"), "supplementary groups left: %s", out);
}

Test(spawn, set_user_without_cap_setuid_fails_at_its_step_with_eperm)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
	char *argv[] = { "/bin/true", NULL };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_user(a, 0, 0), 0);
	expect_failure(a, argv, "set the user", EPERM, true);
	ck_spawn_attr_free(a);
}

Test(spawn, set_user_refuses_minus_one)
{
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_set_user(a, (uid_t)-1, 0), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_user(a, 0, (gid_t)-1), -EINVAL);
	cr_assert_eq(ck_spawn_attr_set_user(NULL, 0, 0), -EINVAL);
	ck_spawn_attr_free(a);
}
