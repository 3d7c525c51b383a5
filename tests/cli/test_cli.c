/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The clonekit command driven as a user drives it: the real binary is
 * spawned with its stdin, stdout, stderr and exit status captured, and each
 * outcome is asserted exactly. CLONEKIT_BIN, CLONEKIT_LIB and CLONEKIT_SRC
 * (set by meson) name the binary, the shared library and the source tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../support.h"

extern char **environ;

/* What one run of a program left behind. */
struct result {
	int status;      /* the exit code, or 128 + the signal that killed it */
	char *out;       /* stdout, NUL-terminated */
	size_t out_len;
	char *err;       /* stderr, NUL-terminated */
	size_t err_len;
};

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static const char *env_path(const char *name)
{
	const char *p = getenv(name);
	if (!p || !*p)
		cr_assert_fail("%s is not set: run this test through 'meson test', which sets "
			       "CLONEKIT_BIN, CLONEKIT_LIB and CLONEKIT_SRC", name);
	return p;
}

static void append(char **buf, size_t *len, const char *src, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);
	cr_assert_not_null(p, "out of memory");
	memcpy(p + *len, src, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads what is there; false once the writer has closed its end. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	cr_assert_geq(n, 0, "read: %s", strerror(errno));
	if (n == 0)
		return false;
	append(buf, len, chunk, (size_t)n);
	return true;
}

/*
 * Runs argv (argv[0] is searched in PATH unless it holds a slash) with
 * stdin_text on its stdin (NULL: an empty stdin); returns with the child
 * reaped and every pipe closed.
 */
static void run(const char *stdin_text, char *const argv[], struct result *out)
{
	int in[2], o[2], e[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	pid_t pid;
	size_t left = stdin_text ? strlen(stdin_text) : 0;
	int rc, st;

	memset(out, 0, sizeof(*out));
	append(&out->out, &out->out_len, "", 0);
	append(&out->err, &out->err_len, "", 0);
	/* A child that exits without reading its stdin must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close_fd(&in[0]);
	close_fd(&o[1]);
	close_fd(&e[1]);
	if (rc) {
		close_fd(&in[1]);
		close_fd(&o[0]);
		close_fd(&e[0]);
		cr_assert_fail("cannot run %s: %s", argv[0], strerror(rc));
	}

	if (left == 0)
		close_fd(&in[1]);
	else
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (in[1] >= 0 || o[0] >= 0 || e[0] >= 0) {
		struct pollfd p[3] = {
			{ .fd = in[1], .events = POLLOUT },
			{ .fd = o[0], .events = POLLIN },
			{ .fd = e[0], .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
			continue;
		}
		if (p[0].revents & (POLLERR | POLLHUP)) {
			close_fd(&in[1]);
		} else if (p[0].revents & POLLOUT) {
			ssize_t n = write(in[1], stdin_text, left);
			if (n < 0 && errno == EPIPE) {
				close_fd(&in[1]);
			} else if (n > 0) {
				stdin_text += n;
				left -= (size_t)n;
				if (left == 0)
					close_fd(&in[1]);
			}
		}
		if (p[1].revents && !drain(o[0], &out->out, &out->out_len))
			close_fd(&o[0]);
		if (p[2].revents && !drain(e[0], &out->err, &out->err_len))
			close_fd(&e[0]);
	}

	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	out->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs clonekit with the given arguments. */
#define CK(res, stdin_text, ...) \
	run((stdin_text), (char *const[]){ (char *)env_path("CLONEKIT_BIN"), __VA_ARGS__, NULL }, (res))

#define assert_status(r, code)                                                          \
	cr_assert_eq((r)->status, (code), "exit status %d, expected %d\n--- stdout:\n%s--- stderr:\n%s", \
		     (r)->status, (code), (r)->out, (r)->err)

#define assert_out_eq(r, text) \
	cr_assert_str_eq((r)->out, (text), "stdout:\n%s\n--- stderr:\n%s", (r)->out, (r)->err)

#define assert_err_empty(r) cr_assert_str_empty((r)->err, "stderr is not empty:\n%s", (r)->err)

/* The first line of s, without its newline, in a static buffer. */
static const char *first_line(const char *s)
{
	static char buf[1024];
	size_t n = strcspn(s, "\n");

	cr_assert_lt(n, sizeof(buf), "first line too long");
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* The n-th line (from 0) of s, without its newline; "" past the end. */
static const char *nth_line(const char *s, int n)
{
	while (n-- > 0) {
		s = strchr(s, '\n');
		if (!s)
			return "";
		s++;
	}
	return first_line(s);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t lines_starting(const char *s, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += strncmp(l, prefix, plen) == 0;
	return n;
}

static size_t occurrences(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* stdout holds exactly docs non-empty lines, each a JSON object. */
static void assert_json_lines(const struct result *r, size_t docs)
{
	struct result py;
	char *const argv[] = {
		"python3", "-c",
		"import json,sys; [json.loads(l).keys() for l in sys.stdin if l.strip()]",
		NULL,
	};

	cr_assert_eq(count_lines(r->out), docs, "expected %zu JSON lines, got:\n%s", docs, r->out);
	cr_assert(r->out_len > 0 && r->out[r->out_len - 1] == '\n', "JSON output does not end a line");
	run(r->out, argv, &py);
	cr_assert_eq(py.status, 0, "not one JSON object per line:\n%s\n--- python3:\n%s", r->out,
		     py.err);
	result_free(&py);
}

/* CAP_SYS_ADMIN in this process, and room for new user, net and time namespaces. */
static bool can_create_namespaces(void)
{
	static const char *const limits[] = {
		"/proc/sys/user/max_user_namespaces",
		"/proc/sys/user/max_net_namespaces",
		"/proc/sys/user/max_time_namespaces",
	};
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			found = true;
	fclose(f);
	if (!found || !(eff & (1ULL << 21)))
		return false;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		long long v = 0;
		f = fopen(limits[i], "re");
		if (!f)
			return false;
		found = fscanf(f, "%lld", &v) == 1;
		fclose(f);
		if (!found || v <= 0)
			return false;
	}
	return true;
}

/* A user without capabilities may create a user namespace here. */
static bool unprivileged_userns_allowed(void)
{
	static const struct { const char *path; long long allowed; } knobs[] = {
		{ "/proc/sys/kernel/unprivileged_userns_clone", 1 },
		{ "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0 },
	};
	long long v;
	FILE *f;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		f = fopen(knobs[i].path, "re");
		if (!f)
			continue;
		bool ok = fscanf(f, "%lld", &v) == 1 && v == knobs[i].allowed;
		fclose(f);
		if (!ok)
			return false;
	}
	f = fopen("/proc/sys/user/max_user_namespaces", "re");
	if (!f)
		return false;
	bool ok = fscanf(f, "%lld", &v) == 1 && v > 0;
	fclose(f);
	return ok;
}

/* ---- the harness itself ---- */

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d, "/proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

Test(cli, run_reaps_every_child_and_closes_every_fd)
{
	struct result r;
	int before = open_fds();

	for (int i = 0; i < 3; i++) {
		CK(&r, "clone vm|sighand SIGCHLD\n", "check", "-");
		assert_status(&r, 0);
		result_free(&r);
		CK(&r, NULL, "flags");
		assert_status(&r, 0);
		result_free(&r);
	}
	cr_assert_eq(open_fds(), before, "fds open before: %d, after: %d", before, open_fds());
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left unreaped");
	cr_assert_eq(errno, ECHILD);
}

/* ---- check ---- */

Test(cli, check_sighand_without_vm_prints_einval_first_and_exits_1)
{
	struct result r;

	CK(&r, NULL, "check", "CLONE_SIGHAND");
	assert_status(&r, 1);
	cr_assert_str_eq(first_line(r.out), "EINVAL: CLONE_SIGHAND requires CLONE_VM");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_sighand_with_exit_signal_still_needs_vm)
{
	struct result r;

	CK(&r, NULL, "check", "CLONE_SIGHAND|SIGCHLD");
	assert_status(&r, 1);
	assert_out_eq(&r, "EINVAL: CLONE_SIGHAND requires CLONE_VM\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_fork_fingerprint_prints_ok_and_exits_0)
{
	struct result r;

	CK(&r, NULL, "check", "0x1200011");
	assert_status(&r, 0);
	assert_out_eq(&r, "OK\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_joins_separate_flag_words_as_one_set)
{
	struct result r;

	CK(&r, NULL, "check", "vm", "sighand", "SIGCHLD");
	assert_status(&r, 0);
	cr_assert_str_eq(first_line(r.out), "OK");
	cr_assert_str_eq(nth_line(r.out, 1),
			 "warning: CLONE_VM without CLONE_VFORK or a stack: the child runs on the "
			 "caller's stack, which both will corrupt");
	result_free(&r);
}

Test(cli, check_pidfd_with_thread_is_einval_before_6_9)
{
	struct result r;

	CK(&r, NULL, "check", "--syscall", "clone3", "--kernel", "6.8", "pidfd,thread,sighand,vm");
	assert_status(&r, 1);
	cr_assert_str_eq(first_line(r.out),
			 "EINVAL: CLONE_PIDFD cannot be combined with CLONE_THREAD before Linux 6.9");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_pidfd_with_thread_is_accepted_from_6_9)
{
	struct result r;

	CK(&r, NULL, "check", "--syscall", "clone3", "--kernel", "6.9", "pidfd,thread,sighand,vm");
	assert_status(&r, 0);
	cr_assert_str_eq(first_line(r.out), "OK");
	cr_assert_eq(lines_starting(r.out, "EINVAL"), 0, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_unprivileged_new_net_namespace_is_eperm)
{
	struct result r;

	CK(&r, NULL, "check", "--unprivileged", "newnet");
	assert_status(&r, 1);
	cr_assert(starts_with(r.out, "EPERM: "), "stdout:\n%s", r.out);
	cr_assert_str_eq(first_line(r.out),
			 "EPERM: creating namespaces needs CAP_SYS_ADMIN (or CLONE_NEWUSER with "
			 "them): CLONE_NEWNET");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_unprivileged_new_net_inside_new_user_namespace_is_ok)
{
	struct result r;

	if (!unprivileged_userns_allowed())
		ck_skip_or_fail("this host forbids unprivileged user namespaces");
	CK(&r, NULL, "check", "--unprivileged", "newnet,newuser");
	assert_status(&r, 0);
	cr_assert_str_eq(first_line(r.out), "OK");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_clone3_exit_signal_65_is_einval)
{
	struct result r;

	CK(&r, NULL, "check", "--syscall", "clone3", "--exit-signal", "65", "0");
	assert_status(&r, 1);
	cr_assert_str_eq(first_line(r.out),
			 "EINVAL: exit_signal 65 is not a valid signal (1-64, or 0 for none)");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_several_errors_print_the_kernels_first_then_also_lines)
{
	struct result r;

	CK(&r, NULL, "check", "thread|newns|fs");
	assert_status(&r, 1);
	cr_assert(starts_with(r.out, "EINVAL: CLONE_NEWNS cannot be combined with CLONE_FS"),
		  "stdout:\n%s", r.out);
	cr_assert_str_eq(nth_line(r.out, 1), "also EINVAL: CLONE_THREAD requires CLONE_SIGHAND");
	cr_assert_eq(lines_starting(r.out, "EINVAL: "), 1, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

/* ---- check - ---- */

Test(cli, check_stdin_prints_one_line_per_input_line_and_exits_2_on_an_invalid_line)
{
	struct result r;

	if (!can_create_namespaces())
		ck_skip_or_fail("needs CAP_SYS_ADMIN and room for user, net and time namespaces");
	CK(&r, "clone vm|sighand SIGCHLD\nclone sighand\nunshare user,net\nbogus line here x\n"
	       "clone3 newtime 17\n", "check", "-");
	assert_status(&r, 2);
	assert_out_eq(&r, "OK\n"
			  "EINVAL: CLONE_SIGHAND requires CLONE_VM\n"
			  "OK\n"
			  "invalid: line 4: expected SYSCALL FLAGS [EXIT_SIGNAL]\n"
			  "OK\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_stdin_skips_empty_lines_and_exits_1_when_a_call_fails)
{
	struct result r;

	CK(&r, "clone vm|sighand SIGCHLD\n\nclone sighand\n \t \nclone 0x1200011\n", "check", "-");
	assert_status(&r, 1);
	assert_out_eq(&r, "OK\nEINVAL: CLONE_SIGHAND requires CLONE_VM\nOK\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_stdin_all_ok_exits_0_even_without_a_final_newline)
{
	struct result r;

	CK(&r, "\nclone vm|sighand SIGCHLD\r\nclone3 0 SIGCHLD\nclone 0x1200011", "check", "-");
	assert_status(&r, 0);
	assert_out_eq(&r, "OK\nOK\nOK\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_stdin_counts_lines_and_names_each_invalid_one)
{
	struct result r;

	CK(&r, "clone vm,newusr\nfork 0\nclone 0 SIGBOGUS\nunshare user SIGCHLD\nclone\n", "check", "-");
	assert_status(&r, 2);
	assert_out_eq(&r, "invalid: line 1: unknown flag 'newusr' (did you mean 'newuser'?)\n"
			  "invalid: line 2: SYSCALL must be clone, clone3 or unshare\n"
			  "invalid: line 3: EXIT_SIGNAL is not a signal name or a number 0-255\n"
			  "invalid: line 4: unshare takes no exit signal\n"
			  "invalid: line 5: expected SYSCALL FLAGS [EXIT_SIGNAL]\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_stdin_sends_a_call_error_to_stderr_and_keeps_one_line_per_input)
{
	struct result r;

	CK(&r, "clone 0x11 SIGUSR1\nclone 0x1200011\n", "check", "-");
	assert_status(&r, 2);
	assert_out_eq(&r, "invalid: line 1: see the message above\nOK\n");
	cr_assert(strstr(r.err, "--exit-signal 10 conflicts with exit signal 17 in FLAGS"),
		  "stderr:\n%s", r.err);
	result_free(&r);
}

Test(cli, check_stdin_with_no_input_prints_nothing_and_exits_0)
{
	struct result r;

	CK(&r, NULL, "check", "-");
	assert_status(&r, 0);
	assert_out_eq(&r, "");
	assert_err_empty(&r);
	result_free(&r);
}

/* ---- usage errors ---- */

/* Exit 2, nothing on stdout, and stderr names what was wrong. */
static void assert_usage_error(struct result *r, const char *needle)
{
	assert_status(r, 2);
	assert_out_eq(r, "");
	cr_assert(strstr(r->err, needle), "stderr does not contain \"%s\":\n%s", needle, r->err);
	result_free(r);
}

Test(cli, check_unknown_flag_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "check", "CLONE_BOGUS");
	assert_usage_error(&r, "unknown flag 'CLONE_BOGUS'");
}

Test(cli, check_misspelt_flag_exits_2_and_suggests_the_nearest)
{
	struct result r;

	CK(&r, NULL, "check", "vm,newusr");
	assert_usage_error(&r, "did you mean 'newuser'");
}

Test(cli, check_unknown_syscall_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "check", "--syscall", "fork", "vm");
	assert_usage_error(&r, "--syscall 'fork'");
}

Test(cli, check_unreadable_kernel_version_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "check", "--kernel", "six", "vm");
	assert_usage_error(&r, "--kernel 'six'");
}

Test(cli, check_without_flags_exits_2)
{
	struct result r;

	CK(&r, NULL, "check");
	assert_usage_error(&r, "no FLAGS given");
}

Test(cli, check_conflicting_exit_signals_exit_2)
{
	struct result r;

	CK(&r, NULL, "check", "--exit-signal", "SIGUSR1", "0x11");
	assert_usage_error(&r, "--exit-signal 10 conflicts with exit signal 17 in FLAGS");
}

Test(cli, check_newtime_for_legacy_clone_exits_2_and_says_why)
{
	struct result r;

	CK(&r, NULL, "check", "newtime");
	assert_usage_error(&r, "CLONE_NEWTIME cannot be passed to clone");
}

Test(cli, explain_without_flags_exits_2)
{
	struct result r;

	CK(&r, NULL, "explain");
	assert_usage_error(&r, "clonekit explain: no FLAGS given (write 0 for none)");
}

Test(cli, unknown_command_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "frobnicate");
	assert_usage_error(&r, "clonekit: unknown command 'frobnicate'");
}

Test(cli, no_arguments_exits_2_with_the_usage_on_stderr)
{
	struct result r;

	run(NULL, (char *const[]){ (char *)env_path("CLONEKIT_BIN"), NULL }, &r);
	cr_assert(starts_with(r.err, "Usage: clonekit COMMAND"), "stderr:\n%s", r.err);
	assert_usage_error(&r, "Usage: clonekit");
}

Test(cli, option_missing_its_argument_is_named_as_missing_not_unknown)
{
	struct result r;

	CK(&r, NULL, "check", "--kernel");
	cr_assert_str_eq(first_line(r.err), "clonekit check: option '--kernel' needs an argument");
	assert_usage_error(&r, "Try 'clonekit check --help'.");
	CK(&r, NULL, "explain", "--syscall");
	cr_assert_str_eq(first_line(r.err), "clonekit explain: option '--syscall' needs an argument");
	assert_usage_error(&r, "Try 'clonekit explain --help'.");
	CK(&r, NULL, "flags", "--group");
	cr_assert_str_eq(first_line(r.err), "clonekit flags: option '--group' needs an argument");
	assert_usage_error(&r, "Try 'clonekit flags --help'.");
	CK(&r, NULL, "sysno", "clone", "--arch");
	cr_assert_str_eq(first_line(r.err), "clonekit sysno: option '--arch' needs an argument");
	assert_usage_error(&r, "Try 'clonekit sysno --help'.");
}

Test(cli, unknown_option_is_named_even_inside_a_cluster)
{
	struct result r;

	CK(&r, NULL, "check", "-vx", "vm");
	cr_assert_str_eq(first_line(r.err), "clonekit check: unknown option '-v'");
	assert_usage_error(&r, "Try 'clonekit check --help'.");
	CK(&r, NULL, "explain", "--bogus", "vm");
	cr_assert_str_eq(first_line(r.err), "clonekit explain: unknown option '--bogus'");
	assert_usage_error(&r, "Try 'clonekit explain --help'.");
	CK(&r, NULL, "flags", "-vq");
	cr_assert_str_eq(first_line(r.err), "clonekit flags: unknown option '-q'");
	assert_usage_error(&r, "Try 'clonekit flags --help'.");
	CK(&r, NULL, "sysno", "-qa", "x86_64", "clone");
	cr_assert_str_eq(first_line(r.err), "clonekit sysno: unknown option '-q'");
	assert_usage_error(&r, "Try 'clonekit sysno --help'.");
}

/* ---- explain ---- */

Test(cli, explain_fork_fingerprint_prints_strace_line_flags_peios_note_and_verdict)
{
	struct result r;

	CK(&r, NULL, "explain", "0x1200011");
	assert_status(&r, 0);
	cr_assert_str_eq(first_line(r.out),
			 "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)");
	cr_assert_eq(lines_starting(r.out, "CLONE_CHILD_CLEARTID "), 1, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "CLONE_CHILD_SETTID "), 1, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "CLONE_"), 2, "%s", r.out);
	cr_assert(strstr(r.out, "The mechanism behind robust pthread thread-exit notification"),
		  "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "SIGCHLD "), 1, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "verdict: accepted"), 1, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, explain_clone3_pthread_fingerprint_prints_the_struct_as_strace_does)
{
	struct result r;

	CK(&r, NULL, "explain", "--syscall", "clone3", "0x3d0f00");
	assert_status(&r, 0);
	cr_assert_str_eq(first_line(r.out),
			 "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
			 "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
			 "exit_signal=0, stack=NULL, stack_size=0}, 88)");
	cr_assert_eq(lines_starting(r.out, "CLONE_"), 9, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "verdict: accepted"), 1, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, explain_rejected_call_exits_1_with_the_errno_in_the_verdict)
{
	struct result r;

	CK(&r, NULL, "explain", "sighand");
	assert_status(&r, 1);
	cr_assert_str_eq(first_line(r.out), "clone(child_stack=NULL, flags=CLONE_SIGHAND)");
	cr_assert_eq(lines_starting(r.out, "verdict: EINVAL"), 1, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "  EINVAL: CLONE_SIGHAND requires CLONE_VM"), 1, "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "verdict: accepted"), 0, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

/* ---- flags ---- */

Test(cli, flags_lists_27_flags_under_one_header)
{
	struct result r;

	CK(&r, NULL, "flags");
	assert_status(&r, 0);
	cr_assert(starts_with(r.out, "FLAG "), "stdout:\n%s", r.out);
	cr_assert_eq(lines_starting(r.out, "CLONE_"), 27, "%s", r.out);
	cr_assert_eq(count_lines(r.out), 28, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, flags_group_namespace_lists_the_8_namespace_flags)
{
	struct result r;

	CK(&r, NULL, "flags", "--group", "namespace");
	assert_status(&r, 0);
	cr_assert_eq(lines_starting(r.out, "CLONE_"), 8, "%s", r.out);
	cr_assert_eq(count_lines(r.out), 9, "%s", r.out);
	result_free(&r);
}

Test(cli, flags_syscall_unshare_lists_the_14_it_accepts)
{
	struct result r;

	CK(&r, NULL, "flags", "--syscall", "unshare");
	assert_status(&r, 0);
	cr_assert_eq(lines_starting(r.out, "CLONE_"), 14, "%s", r.out);
	cr_assert_eq(count_lines(r.out), 15, "%s", r.out);
	result_free(&r);
}

Test(cli, flags_unknown_group_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "flags", "--group", "bogus");
	assert_usage_error(&r, "--group 'bogus'");
}

Test(cli, flags_stray_argument_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "flags", "vm");
	assert_usage_error(&r, "unexpected argument 'vm'");
}

/* ---- sysno ---- */

Test(cli, sysno_clone_on_aarch64_is_220)
{
	struct result r;

	CK(&r, NULL, "sysno", "clone", "--arch", "aarch64");
	assert_status(&r, 0);
	assert_out_eq(&r, "220\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, sysno_435_is_clone3)
{
	struct result r;

	CK(&r, NULL, "sysno", "435");
	assert_status(&r, 0);
	assert_out_eq(&r, "clone3\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, sysno_fork_on_aarch64_exits_1_and_points_to_clone)
{
	struct result r;

	CK(&r, NULL, "sysno", "fork", "--arch", "aarch64");
	assert_status(&r, 1);
	assert_out_eq(&r, "");
	cr_assert_str_eq(r.err, "clonekit sysno: aarch64 has no fork syscall (use clone with SIGCHLD)\n");
	result_free(&r);
}

Test(cli, sysno_unknown_arch_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "sysno", "clone", "--arch", "sparc");
	assert_usage_error(&r, "unknown architecture 'sparc'");
}

Test(cli, sysno_x32_number_without_its_bit_exits_1_with_the_hint)
{
	struct result r;

	CK(&r, NULL, "sysno", "--arch", "x32", "435");
	assert_status(&r, 1);
	assert_out_eq(&r, "");
	cr_assert(strstr(r.err, "(x32 numbers include 0x40000000: clone3 is 1073742259)"), "%s", r.err);
	result_free(&r);
}

/* ---- --json ---- */

Test(cli, flags_json_is_one_document_with_27_flags)
{
	struct result r;

	CK(&r, NULL, "flags", "--json");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	cr_assert_eq(occurrences(r.out, "\"name\":"), 27, "%s", r.out);
	cr_assert(strstr(r.out, "{\"name\":\"CLONE_VM\",\"value\":\"0x100\",\"short_name\":\"vm\","),
		  "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);

	CK(&r, NULL, "flags", "--json", "--group", "namespace");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	cr_assert_eq(occurrences(r.out, "\"name\":"), 8, "%s", r.out);
	result_free(&r);
}

Test(cli, explain_json_is_one_document_with_the_strace_line_and_verdict)
{
	struct result r;

	CK(&r, NULL, "explain", "--json", "0x1200011");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"strace\":\"clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|"
				"CLONE_CHILD_SETTID|SIGCHLD)\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"value\":\"0x1200011\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"exit_signal\":17"), "%s", r.out);
	cr_assert(strstr(r.out, "\"accepted\":true,\"errno\":null"), "%s", r.out);
	cr_assert_eq(occurrences(r.out, "\"name\":"), 2, "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);

	CK(&r, NULL, "explain", "--json", "sighand");
	assert_status(&r, 1);
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"accepted\":false,\"errno\":\"EINVAL\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"rule\":\"sighand-requires-vm\""), "%s", r.out);
	result_free(&r);
}

Test(cli, check_json_reports_the_errno_and_every_finding)
{
	struct result r;

	CK(&r, NULL, "check", "--json", "CLONE_SIGHAND");
	assert_status(&r, 1);
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"accepted\":false"), "%s", r.out);
	cr_assert(strstr(r.out, "\"errno\":\"EINVAL\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"message\":\"CLONE_SIGHAND requires CLONE_VM\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"decoded\":\"CLONE_SIGHAND\""), "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);

	CK(&r, NULL, "check", "--json", "0x1200011");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"accepted\":true,\"errno\":null"), "%s", r.out);
	result_free(&r);
}

Test(cli, check_stdin_json_is_one_valid_document_per_line_even_with_quotes)
{
	struct result r;

	CK(&r, "clone vm|sighand SIGCHLD\nclone sighand\n\nclone3 \"x\nbogus\nclone vm,newusr\n",
	   "check", "--json", "-");
	assert_status(&r, 2);
	assert_json_lines(&r, 5);
	cr_assert(starts_with(nth_line(r.out, 0), "{\"syscall\":\"clone\",\"flags\":\"0x911\","),
		  "%s", r.out);
	cr_assert(strstr(nth_line(r.out, 1), "\"accepted\":false,\"errno\":\"EINVAL\""), "%s", r.out);
	cr_assert(starts_with(nth_line(r.out, 2), "{\"line\":4,\"invalid\":\"unknown flag '\\\"x'"),
		  "%s", r.out);
	cr_assert_str_eq(nth_line(r.out, 3),
			 "{\"line\":5,\"invalid\":\"expected SYSCALL FLAGS [EXIT_SIGNAL]\"}");
	cr_assert_str_eq(nth_line(r.out, 4),
			 "{\"line\":6,\"invalid\":\"unknown flag 'newusr' (did you mean 'newuser'?)\"}");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, sysno_json_gives_arch_call_and_number)
{
	struct result r;

	CK(&r, NULL, "sysno", "--json", "clone", "--arch", "aarch64");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	assert_out_eq(&r, "{\"arch\":\"aarch64\",\"call\":\"clone\",\"nr\":220}\n");
	assert_err_empty(&r);
	result_free(&r);

	CK(&r, NULL, "sysno", "--json", "fork", "--arch", "aarch64");
	assert_status(&r, 1);
	assert_json_lines(&r, 1);
	assert_out_eq(&r, "{\"arch\":\"aarch64\",\"call\":\"fork\",\"nr\":null}\n");
	result_free(&r);

	CK(&r, NULL, "sysno", "--json", "--arch", "x86_64", "435");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	assert_out_eq(&r, "{\"arch\":\"x86_64\",\"nr\":435,\"call\":\"clone3\"}\n");
	result_free(&r);
}

Test(cli, sysno_all_json_covers_every_architecture)
{
	static const char *const forms[][2] = {
		{ "--all", NULL },
		{ "--all", "clone" },
		{ "--all", "435" },
	};
	struct result r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (forms[i][1])
			CK(&r, NULL, "sysno", "--json", (char *)forms[i][0], (char *)forms[i][1]);
		else
			CK(&r, NULL, "sysno", "--json", (char *)forms[i][0]);
		assert_status(&r, 0);
		assert_json_lines(&r, 1);
		cr_assert_eq(occurrences(r.out, "\"arch\":"), 9, "%s", r.out);
		cr_assert(strstr(r.out, "\"arch\":\"mips64el\""), "%s", r.out);
		assert_err_empty(&r);
		result_free(&r);
	}
}

/* ---- --help ---- */

Test(cli, help_on_every_command_exits_0_with_its_usage_on_stdout)
{
	static const char *const commands[] = { "flags", "explain", "check", "sysno" };
	struct result r;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "Usage: clonekit %s ", commands[i]);
		CK(&r, NULL, (char *)commands[i], "--help");
		assert_status(&r, 0);
		cr_assert(starts_with(r.out, want), "%s --help:\n%s", commands[i], r.out);
		assert_err_empty(&r);
		result_free(&r);
		CK(&r, NULL, (char *)commands[i], "-h");
		assert_status(&r, 0);
		cr_assert(starts_with(r.out, want), "%s -h:\n%s", commands[i], r.out);
		result_free(&r);
	}
	CK(&r, NULL, "--help");
	assert_status(&r, 0);
	cr_assert(starts_with(r.out, "Usage: clonekit COMMAND"), "%s", r.out);
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, version_prints_the_library_version)
{
	struct result r;

	CK(&r, NULL, "--version");
	assert_status(&r, 0);
	assert_out_eq(&r, "clonekit 0.1.0\n");
	result_free(&r);
}

/* ---- the shared library and the man pages ---- */

Test(cli, library_exports_only_ck_symbols)
{
	struct result r;
	char *lib = (char *)env_path("CLONEKIT_LIB");
	char *const argv[] = { "nm", "-D", "--defined-only", lib, NULL };
	bool validate = false, format = false, sysno = false;
	size_t defined = 0;

	run(NULL, argv, &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	for (char *l = r.out, *next; l && *l; l = next) {
		char type, name[256];

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		cr_assert_eq(sscanf(l, "%*s %c %255s", &type, name), 2, "nm line: '%s'", l);
		/* version nodes from the version script, not symbols */
		if (type == 'A' && starts_with(name, "CLONEKIT_"))
			continue;
		name[strcspn(name, "@")] = '\0';
		cr_assert(starts_with(name, "ck_"), "%s exports '%s' (type %c)", lib, name, type);
		defined++;
		validate |= strcmp(name, "ck_validate") == 0;
		format |= strcmp(name, "ck_flags_format") == 0;
		sysno |= strcmp(name, "ck_sysno") == 0;
	}
	cr_assert(validate && format && sysno,
		  "ck_validate %d, ck_flags_format %d, ck_sysno %d among %zu exported symbols",
		  validate, format, sysno, defined);
	result_free(&r);
}

static void assert_man_renders_cleanly(const char *page, const char *name)
{
	struct result r;
	char path[4096];

	snprintf(path, sizeof(path), "%s/docs/%s", env_path("CLONEKIT_SRC"), page);
	cr_assert_eq(access(path, R_OK), 0, "%s: %s", path, strerror(errno));
	run(NULL, (char *const[]){ "man", "--warnings", "-l", path, NULL }, &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert(strstr(r.out, name), "man %s rendered without naming %s:\n%s", page, name, r.out);
	result_free(&r);
}

Test(cli, man_pages_render_without_warnings)
{
	assert_man_renders_cleanly("clonekit.1", "clonekit");
	assert_man_renders_cleanly("libclonekit.3", "libclonekit");
}

/* ---- probe ---- */

/* The probe table, so that the expected line count is the library's own. */
#include <clonekit/probe.h>

Test(cli, probe_prints_one_line_per_feature_and_exits_0)
{
	struct result r;

	CK(&r, NULL, "probe");
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert_eq(count_lines(r.out), ck_probe_feature_count(), "%s", r.out);
	cr_assert_str_eq(first_line(r.out), "clone3 syscall                yes");
	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		char want[64];
		snprintf(want, sizeof(want), "%-29s ", ck_probe_feature_at(i)->title);
		cr_assert_eq(lines_starting(r.out, want), 1, "no line '%s':\n%s", want, r.out);
	}
	result_free(&r);
}

Test(cli, probe_as_uid_65534_prints_denied_with_the_errno_and_why)
{
	struct result r;

	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				   "--inh-caps=-all", (char *)env_path("CLONEKIT_BIN"), "probe", NULL },
	    &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert(strstr(r.out, "\nnetwork namespace             denied  EPERM (needs CAP_SYS_ADMIN "
				"in this process's user namespace)\n"), "%s", r.out);
	cr_assert(strstr(r.out, "\nclone3 set_tid                denied  EPERM (needs "
				"CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN over the PID namespace)\n"),
		  "%s", r.out);
	cr_assert_str_eq(first_line(r.out), "clone3 syscall                yes");
	result_free(&r);
}

Test(cli, probe_json_is_one_document_with_a_features_array)
{
	struct result r, py;
	char *const check[] = {
		"python3", "-c",
		"import json,sys\n"
		"d = json.load(sys.stdin)\n"
		"f = {x['name']: x for x in d['features']}\n"
		"assert list(d) == ['features'], list(d)\n"
		"assert f['clone3'] == {'name': 'clone3', 'title': 'clone3 syscall', 'result': 'yes',"
		" 'errno': 'EINVAL', 'why': None}, f['clone3']\n"
		"assert all(x['result'] in ('yes', 'no', 'denied', 'unknown') for x in f.values())\n"
		"print(len(f))\n",
		NULL,
	};
	char count[32];

	CK(&r, NULL, "probe", "--json");
	assert_status(&r, 0);
	assert_json_lines(&r, 1);
	assert_err_empty(&r);
	cr_assert(starts_with(r.out, "{\"features\":[{\"name\":\"clone3\","), "%s", r.out);
	run(r.out, check, &py);
	cr_assert_eq(py.status, 0, "%s\n--- python3:\n%s", r.out, py.err);
	snprintf(count, sizeof(count), "%zu\n", ck_probe_feature_count());
	cr_assert_str_eq(py.out, count, "features in the JSON: %s", py.out);
	result_free(&py);
	result_free(&r);
}

Test(cli, probe_help_lists_every_feature_and_what_it_tries)
{
	struct result r;

	CK(&r, NULL, "probe", "--help");
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert(starts_with(r.out, "Usage: clonekit probe [--json]\n"), "%s", r.out);
	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		const struct ck_probe_feature *f = ck_probe_feature_at(i);
		char want[256];
		snprintf(want, sizeof(want), "\n  %-28s %s\n", f->title, f->tries);
		cr_assert(strstr(r.out, want), "no '%s' in:\n%s", want, r.out);
	}
	result_free(&r);

	CK(&r, NULL, "probe", "-h");
	assert_status(&r, 0);
	cr_assert(starts_with(r.out, "Usage: clonekit probe [--json]\n"), "%s", r.out);
	result_free(&r);

	CK(&r, NULL, "--help");
	assert_status(&r, 0);
	cr_assert_eq(lines_starting(r.out, "  probe     "), 1, "%s", r.out);
	result_free(&r);
}

Test(cli, probe_stray_argument_exits_2_and_names_it)
{
	struct result r;

	CK(&r, NULL, "probe", "clone3");
	assert_status(&r, 2);
	cr_assert_str_empty(r.out, "%s", r.out);
	cr_assert_str_eq(first_line(r.err), "clonekit probe: unexpected argument 'clone3'");
	result_free(&r);

	CK(&r, NULL, "probe", "--jsn");
	assert_status(&r, 2);
	cr_assert_str_eq(first_line(r.err), "clonekit probe: unknown option '--jsn'");
	result_free(&r);
}

/* ---- clonekit run ---- */

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

/* A namespaced run needs root here (CAP_SYS_ADMIN and room for namespaces). */
#define NEED_NAMESPACES()                                                               \
	do {                                                                            \
		if (!can_create_namespaces())                                           \
			ck_skip_or_fail("clonekit run with new namespaces needs CAP_SYS_ADMIN"); \
	} while (0)

Test(cli, run_exits_with_the_commands_status)
{
	struct result r;

	CK(&r, NULL, "run", "--", "true");
	assert_status(&r, 0);
	assert_err_empty(&r);
	result_free(&r);
	CK(&r, NULL, "run", "--", "sh", "-c", "exit 7");
	assert_status(&r, 7);
	result_free(&r);
	CK(&r, NULL, "run", "--", "sh", "-c", "kill -TERM $$");
	assert_status(&r, 128 + SIGTERM);
	result_free(&r);
}

Test(cli, run_reports_not_found_127_and_not_executable_126_with_the_step)
{
	struct result r;

	CK(&r, NULL, "run", "--", "clonekit-no-such-command");
	assert_status(&r, 127);
	cr_assert_str_eq(first_line(r.err),
			 "clonekit run: execve clonekit-no-such-command: No such file or directory");
	result_free(&r);
	CK(&r, NULL, "run", "--", "/etc/passwd");
	assert_status(&r, 126);
	cr_assert_str_eq(first_line(r.err), "clonekit run: execve /etc/passwd: Permission denied");
	result_free(&r);
}

Test(cli, run_own_failures_exit_125_and_say_why)
{
	struct result r;

	CK(&r, NULL, "run", "--share", "files", "--", "true");
	assert_status(&r, 125);
	cr_assert(strstr(r.err, "--share files: execve gives the program its own file descriptor table"),
		  "%s", r.err);
	result_free(&r);
	CK(&r, NULL, "run");
	assert_status(&r, 125);
	cr_assert(strstr(r.err, "no command given"), "%s", r.err);
	result_free(&r);
	CK(&r, NULL, "run", "--new", "nett", "--", "true");
	assert_status(&r, 125);
	cr_assert(strstr(r.err, "--new 'nett'"), "%s", r.err);
	result_free(&r);
	CK(&r, NULL, "run", "--uid-map", "0:1000", "--", "true");
	assert_status(&r, 125);
	cr_assert(strstr(r.err, "--uid-map '0:1000': expected INSIDE:OUTSIDE:COUNT"), "%s", r.err);
	result_free(&r);
	CK(&r, NULL, "run", "--monotonic", "soon", "--", "true");
	assert_status(&r, 125);
	result_free(&r);
	CK(&r, NULL, "run", "--cgroup", "/nonexistent/cgroup", "--", "true");
	assert_status(&r, 125);
	cr_assert(strstr(r.err, "--cgroup '/nonexistent/cgroup'"), "%s", r.err);
	result_free(&r);
}

Test(cli, run_in_new_namespaces_is_root_pid_1_with_its_hostname_and_own_proc)
{
	struct result r;

	NEED_NAMESPACES();
	CK(&r, NULL, "run", "--new", "all", "--map-root", "--hostname", "box", "--mount-proc", "--",
	   "sh", "-c", "id -u; id -g; hostname; echo $$; cat /proc/1/comm; cat /proc/self/uid_map");
	assert_status(&r, 0);
	cr_assert_str_eq(nth_line(r.out, 0), "0");
	cr_assert_str_eq(nth_line(r.out, 1), "0");
	cr_assert_str_eq(nth_line(r.out, 2), "box");
	cr_assert_str_eq(nth_line(r.out, 3), "1");
	cr_assert_str_eq(nth_line(r.out, 4), "sh");
	unsigned long in, out, n;
	cr_assert_eq(sscanf(nth_line(r.out, 5), "%lu %lu %lu", &in, &out, &n), 3, "%s", r.out);
	cr_assert(in == 0 && out == (unsigned long)geteuid() && n == 1, "%s", r.out);
	result_free(&r);
}

Test(cli, run_new_network_namespace_has_another_inode)
{
	struct result r;
	char self[64], mine[80];
	ssize_t n;

	NEED_NAMESPACES();
	n = readlink("/proc/self/ns/net", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	snprintf(mine, sizeof(mine), "%s\n", self);
	CK(&r, NULL, "run", "--new", "net", "--", "readlink", "/proc/self/ns/net");
	assert_status(&r, 0);
	cr_assert(starts_with(r.out, "net:["), "%s", r.out);
	cr_assert_str_neq(r.out, mine, "the child is in the caller's network namespace");
	result_free(&r);
	CK(&r, NULL, "run", "--", "readlink", "/proc/self/ns/net");
	cr_assert_str_eq(r.out, mine, "without --new net the child should share it");
	result_free(&r);
}

Test(cli, run_time_offsets_are_in_the_childs_time_namespace)
{
	struct result r;

	NEED_NAMESPACES();
	CK(&r, NULL, "run", "--monotonic", "86400", "--boottime", "-1.5", "--", "cat",
	   "/proc/self/timens_offsets");
	assert_status(&r, 0);
	long long s1, n1, s2, n2;
	char c1[16], c2[16];
	cr_assert_eq(sscanf(r.out, "%15s %lld %lld %15s %lld %lld", c1, &s1, &n1, c2, &s2, &n2), 6,
		     "%s", r.out);
	cr_assert_str_eq(c1, "monotonic");
	cr_assert(s1 == 86400 && n1 == 0, "%s", r.out);
	cr_assert_str_eq(c2, "boottime");
	cr_assert(s2 == -2 && n2 == 500000000, "%s", r.out);
	result_free(&r);
}

Test(cli, run_explicit_id_maps_are_written_as_given)
{
	struct result r;

	NEED_NAMESPACES();
	CK(&r, NULL, "run", "--uid-map", "0:100000:65536", "--gid-map", "0:200000:1000", "--", "sh", "-c",
	   "cat /proc/self/uid_map /proc/self/gid_map");
	assert_status(&r, 0);
	unsigned long a, b, c, d, e, f;
	cr_assert_eq(sscanf(r.out, "%lu %lu %lu %lu %lu %lu", &a, &b, &c, &d, &e, &f), 6, "%s", r.out);
	cr_assert(a == 0 && b == 100000 && c == 65536 && d == 0 && e == 200000 && f == 1000, "%s", r.out);
	result_free(&r);
}

Test(cli, run_cwd_and_cgroup_place_the_child)
{
	struct result r;
	char mnt[256] = "", dir[320], want[400];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];

	NEED_NAMESPACES();
	CK(&r, NULL, "run", "--cwd", "/tmp", "--", "pwd");
	assert_out_eq(&r, "/tmp\n");
	result_free(&r);

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - cgroup2 ");
		if (dash && sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1)
			break;
		mnt[0] = '\0';
	}
	fclose(f);
	if (!mnt[0])
		ck_skip_or_fail("no cgroup v2 hierarchy is mounted");
	snprintf(dir, sizeof(dir), "%s/clonekit-run-%d", mnt, (int)getpid());
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %s", dir, strerror(errno));
	CK(&r, NULL, "run", "--cgroup", dir, "--", "cat", "/proc/self/cgroup");
	snprintf(want, sizeof(want), "0::/clonekit-run-%d\n", (int)getpid());
	bool found = strstr(r.out, want) != NULL;
	int status = r.status;
	result_free(&r);
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
	cr_assert_eq(status, 0);
	cr_assert(found, "the child was not in %s", dir);
}

Test(cli, run_json_status_says_how_it_ended_or_failed)
{
	struct result r, py;
	char path[] = "/tmp/ck-json-status-XXXXXX";
	int fd = mkstemp(path);
	char *const check[] = {
		"python3", "-c",
		"import json,sys; d=json.load(open(sys.argv[1])); print(d['exit_code'], d.get('exited'), d.get('signal'), d.get('error', {}).get('step'), d.get('error', {}).get('errno'))",
		path, NULL,
	};

	cr_assert(fd >= 0);
	close(fd);
	CK(&r, NULL, "run", "--json-status", path, "--", "sh", "-c", "exit 3");
	assert_status(&r, 3);
	result_free(&r);
	run(NULL, check, &py);
	cr_assert_str_eq(py.out, "3 True None None None\n", "%s%s", py.out, py.err);
	result_free(&py);

	CK(&r, NULL, "run", "--json-status", path, "--", "sh", "-c", "kill -KILL $$");
	assert_status(&r, 137);
	result_free(&r);
	run(NULL, check, &py);
	cr_assert_str_eq(py.out, "137 False SIGKILL None None\n", "%s%s", py.out, py.err);
	result_free(&py);

	CK(&r, NULL, "run", "--json-status", path, "--", "clonekit-no-such-command");
	assert_status(&r, 127);
	result_free(&r);
	run(NULL, check, &py);
	cr_assert_str_eq(py.out, "127 None None execve ENOENT\n", "%s%s", py.out, py.err);
	result_free(&py);
	unlink(path);
}

/* Starts clonekit with argv in the background; its pid. */
static pid_t start_clonekit(char *const argv[])
{
	pid_t p = fork();
	cr_assert(p >= 0);
	if (p == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

/* The only child of pid, waiting up to a second for it to appear; 0 if none. */
static pid_t only_child(pid_t pid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(path, "re");
		int c = 0;
		if (f) {
			if (fgets(buf, sizeof(buf), f))
				c = atoi(buf);
			fclose(f);
		}
		if (c > 0)
			return c;
		usleep(10000);
	}
	return 0;
}

/* Waits for pid with a deadline; its exit code (128+signal), or -1 on timeout. */
static int wait_within(pid_t pid, int ms)
{
	int st;
	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	return -1;
}

Test(cli, run_forwards_sigint_and_exits_with_the_childs_signal_status)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--", "sleep", "30", NULL };
	pid_t ck = start_clonekit(argv);
	pid_t child = only_child(ck);

	cr_assert_gt(child, 0, "clonekit started no child");
	kill(ck, SIGINT);
	int code = wait_within(ck, 5000);
	if (code < 0) {
		kill(ck, SIGKILL);
		kill(child, SIGKILL);
		waitpid(ck, NULL, 0);
	}
	cr_assert_eq(code, 128 + SIGINT, "clonekit exited %d, expected 130", code);
	cr_assert_eq(kill(child, 0), -1, "the child %d still runs", (int)child);
}

Test(cli, run_second_sigterm_kills_a_pid_1_that_ignores_the_first)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--new", "pid,user",
			       "--map-root", "--", "sleep", "30", NULL };
	NEED_NAMESPACES();
	pid_t ck = start_clonekit(argv);
	pid_t child = only_child(ck);

	cr_assert_gt(child, 0, "clonekit started no child");
	kill(ck, SIGTERM);
	/* PID 1 of its namespace has no handler for SIGTERM: it keeps running */
	int code = wait_within(ck, 300);
	cr_assert_eq(code, -1, "clonekit ended (%d) after one SIGTERM to a PID 1 without handler", code);
	kill(ck, SIGTERM);
	code = wait_within(ck, 5000);
	if (code < 0) {
		kill(child, SIGKILL);
		kill(ck, SIGKILL);
		waitpid(ck, NULL, 0);
	}
	cr_assert_eq(code, 128 + SIGKILL, "clonekit exited %d after the second SIGTERM, expected 137", code);
}

Test(cli, run_die_with_parent_kills_the_command_when_clonekit_dies)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--die-with-parent", "--",
			       "sleep", "30", NULL };
	pid_t ck = start_clonekit(argv);
	pid_t child = only_child(ck);

	cr_assert_gt(child, 0, "clonekit started no child");
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open: %s", strerror(errno));
	kill(ck, SIGKILL);
	waitpid(ck, NULL, 0);
	struct pollfd p = { pidfd, POLLIN, 0 };
	int n = poll(&p, 1, 5000);
	if (n != 1)
		kill(child, SIGKILL);
	close(pidfd);
	cr_assert_eq(n, 1, "the command outlived clonekit");
}
