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
#include <ftw.h>
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
 * Runs argv (argv[0] is searched in PATH unless it holds a slash) with the
 * len bytes at stdin_text on its stdin; returns with the child reaped and
 * every pipe closed.
 */
static void run_bytes(const char *stdin_text, size_t len, char *const argv[], struct result *out)
{
	int in[2], o[2], e[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	pid_t pid;
	size_t left = len;
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

/* run_bytes with a string on stdin (NULL: an empty stdin). */
static void run(const char *stdin_text, char *const argv[], struct result *out)
{
	run_bytes(stdin_text, stdin_text ? strlen(stdin_text) : 0, argv, out);
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

/*
 * Runs tests/json_lines.py over r's stdout: every line strict UTF-8 and one
 * RFC 8259 object; *py gets, per path, "LINE PATH HEX" of the bytes the
 * documented escaping gives back.
 */
static void json_oracle(const struct result *r, const char *const paths[], struct result *py)
{
	char script[4096], *argv[16] = { "python3", script };
	size_t n = 2;

	snprintf(script, sizeof(script), "%s/tests/json_lines.py", env_path("CLONEKIT_SRC"));
	for (size_t i = 0; paths && paths[i] && n < 15; i++)
		argv[n++] = (char *)paths[i];
	argv[n] = NULL;
	run_bytes(r->out, r->out_len, argv, py);
	cr_assert_eq(py->status, 0, "not one JSON object per line:\n%s\n--- json_lines.py:\n%s", r->out,
		     py->err);
}

/* stdout holds exactly docs non-empty lines, each a JSON object. */
static void assert_json_lines(const struct result *r, size_t docs)
{
	struct result py;

	cr_assert_eq(count_lines(r->out), docs, "expected %zu JSON lines, got:\n%s", docs, r->out);
	cr_assert(r->out_len > 0 && r->out[r->out_len - 1] == '\n', "JSON output does not end a line");
	json_oracle(r, NULL, &py);
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

/* ---- tables: one row per command line, every outcome exact ---- */

/* One run of clonekit: what it proves, its arguments and stdin, and exactly what it gives. */
struct cli_case {
	const char *what;
	const char *argv[12];   /* after "clonekit", up to the first NULL */
	const char *in;         /* stdin; NULL: empty */
	int status;
	const char *out;
	const char *err;
};

/* What a usage error of CMD prints on stderr. */
#define USAGE(cmd, msg) "clonekit " cmd ": " msg "\nTry 'clonekit " cmd " --help'.\n"
/* The same for the command itself. */
#define TOP_USAGE(msg) "clonekit: " msg "\nTry 'clonekit --help'.\n"

static void expect_case(const struct cli_case *c)
{
	char *argv[16], line[1024] = "clonekit";
	size_t n = 0, pos = strlen(line);
	struct result r;

	argv[n++] = (char *)env_path("CLONEKIT_BIN");
	for (size_t i = 0; c->argv[i]; i++) {
		argv[n++] = (char *)c->argv[i];
		pos += (size_t)snprintf(line + pos, pos < sizeof(line) ? sizeof(line) - pos : 0, " '%s'",
					c->argv[i]);
	}
	argv[n] = NULL;
	run(c->in, argv, &r);
	cr_expect(r.status == c->status && strcmp(r.out, c->out) == 0 && strcmp(r.err, c->err) == 0,
		  "%s\n  %s\n  exit %d (expected %d)\n--- stdout:\n%s--- expected:\n%s--- stderr:\n%s"
		  "--- expected:\n%s", c->what, line, r.status, c->status, r.out, c->out, r.err, c->err);
	result_free(&r);
}

#define EXPECT_CASES(table)                                                \
	for (size_t i_ = 0; i_ < sizeof(table) / sizeof(table[0]); i_++) \
	expect_case(&(table)[i_])

/* ---- check ---- */

#define NO_EXIT_SIGNAL "note: no exit signal: the parent is not signalled, and must wait with __WALL or __WCLONE\n"
#define VM_NO_STACK                                                                              \
	"warning: CLONE_VM without CLONE_VFORK or a stack: the child runs on the caller's stack, " \
	"which both will corrupt\n"

static const struct cli_case check_cases[] = {
	{ "the kernel's first error leads, then the notes", { "check", "CLONE_SIGHAND" }, NULL, 1,
	  "EINVAL: CLONE_SIGHAND requires CLONE_VM\n" NO_EXIT_SIGNAL, "" },
	{ "an exit signal does not make up for a missing CLONE_VM", { "check", "CLONE_SIGHAND|SIGCHLD" },
	  NULL, 1, "EINVAL: CLONE_SIGHAND requires CLONE_VM\n", "" },
	{ "fork's flags are accepted", { "check", "0x1200011" }, NULL, 0, "OK\n", "" },
	{ "separate words are one flag set", { "check", "vm", "sighand", "SIGCHLD" }, NULL, 0,
	  "OK\n" VM_NO_STACK, "" },
	{ "CLONE_PIDFD with CLONE_THREAD is EINVAL before 6.9",
	  { "check", "--syscall", "clone3", "--kernel", "6.8", "pidfd,thread,sighand,vm" }, NULL, 1,
	  "EINVAL: CLONE_PIDFD cannot be combined with CLONE_THREAD before Linux 6.9\n" VM_NO_STACK, "" },
	{ "CLONE_PIDFD with CLONE_THREAD is accepted from 6.9, options written with '='",
	  { "check", "--syscall=clone3", "--kernel=6.9", "pidfd,thread,sighand,vm" }, NULL, 0,
	  "OK\n" VM_NO_STACK, "" },
	{ "a new network namespace needs CAP_SYS_ADMIN", { "check", "--unprivileged", "newnet" }, NULL, 1,
	  "EPERM: creating namespaces needs CAP_SYS_ADMIN (or CLONE_NEWUSER with them): CLONE_NEWNET\n"
	  NO_EXIT_SIGNAL, "" },
	{ "clone3's exit signal 65 is EINVAL", { "check", "--syscall", "clone3", "--exit-signal", "65", "0" },
	  NULL, 1, "EINVAL: exit_signal 65 is not a valid signal (1-64, or 0 for none)\n", "" },
	{ "further errors follow as 'also' lines", { "check", "thread|newns|fs" }, NULL, 1,
	  "EINVAL: CLONE_NEWNS cannot be combined with CLONE_FS: a shared root cannot live in two mount "
	  "namespaces\nalso EINVAL: CLONE_THREAD requires CLONE_SIGHAND\n", "" },
	{ "options may follow the flags", { "check", "0x1200011", "--kernel", "6.1" }, NULL, 0, "OK\n", "" },
	{ "after '--' everything is flags", { "check", "--", "0x1200011" }, NULL, 0, "OK\n", "" },
	{ "'--' is no option's argument", { "check", "--kernel", "--", "vm" }, NULL, 2, "",
	  USAGE("check", "option '--kernel' needs an argument") },

	/* the flag words */
	{ "an unknown flag is named", { "check", "CLONE_BOGUS" }, NULL, 2, "",
	  USAGE("check", "unknown flag 'CLONE_BOGUS' (in 'CLONE_BOGUS' for clone)") },
	{ "a misspelt flag gets the nearest", { "check", "vm,newusr" }, NULL, 2, "",
	  USAGE("check", "unknown flag 'newusr' (did you mean 'newuser'?) (in 'vm,newusr' for clone)") },
	{ "no flags at all", { "check" }, NULL, 2, "", USAGE("check", "no FLAGS given (write 0 for none)") },
	{ "CLONE_NEWTIME is the exit-signal byte of clone", { "check", "newtime" }, NULL, 2, "",
	  USAGE("check", "CLONE_NEWTIME cannot be passed to clone: bit 0x80 is the exit signal there; use "
		"clone3 (in 'newtime' for clone)") },
	{ "a number in the exit-signal byte after a signal name is refused",
	  { "check", "SIGCHLD|2" }, NULL, 2, "",
	  USAGE("check", "'2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17: write "
		"one exit signal (in 'SIGCHLD|2' for clone)") },
	{ "the same before the signal name", { "check", "2|SIGCHLD" }, NULL, 2, "",
	  USAGE("check", "'2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17: write "
		"one exit signal (in '2|SIGCHLD' for clone)") },
	{ "a number whose exit signal is the one named agrees", { "check", "SIGCHLD|0x1200011" }, NULL, 0,
	  "OK\n", "" },
	{ "the same in the other order", { "check", "0x1200011|SIGCHLD" }, NULL, 0, "OK\n", "" },
	{ "two signal names are refused", { "check", "SIGCHLD|SIGINT" }, NULL, 2, "",
	  USAGE("check", "'SIGINT': a second exit signal ('SIGCHLD' names one) (in 'SIGCHLD|SIGINT' for clone)") },
	{ "--exit-signal against the exit signal in the flags", { "check", "--exit-signal", "SIGUSR1", "0x11" },
	  NULL, 2, "", USAGE("check", "--exit-signal 10 conflicts with exit signal 17 in FLAGS") },

	/* the options */
	{ "an unknown syscall is named", { "check", "--syscall", "fork", "vm" }, NULL, 2, "",
	  USAGE("check", "--syscall 'fork': expected clone, clone3 or unshare") },
	{ "an unreadable kernel version is named", { "check", "--kernel", "six", "vm" }, NULL, 2, "",
	  USAGE("check", "--kernel 'six': expected a version such as 5.10 or 6.18.2") },
	{ "an option's missing argument is named as missing", { "check", "--kernel" }, NULL, 2, "",
	  USAGE("check", "option '--kernel' needs an argument") },
	{ "an abbreviated option is refused with its full name", { "check", "--unpriv", "newnet" }, NULL, 2,
	  "", USAGE("check", "unknown option '--unpriv'; did you mean '--unprivileged'?") },
	{ "an abbreviation of several options lists them all", { "check", "--s", "vm" }, NULL, 2, "",
	  USAGE("check", "unknown option '--s'; did you mean '--syscall', '--stack', '--stack-size', "
		"'--size' or '--set-tid'?") },
	{ "a misspelt option gets the nearest", { "check", "--jsn", "vm" }, NULL, 2, "",
	  USAGE("check", "unknown option '--jsn'; did you mean '--json'?") },
	{ "an argument to an option that takes none is refused", { "check", "--json=yes", "vm" }, NULL, 2,
	  "", USAGE("check", "option '--json' takes no argument (given 'yes')") },
	{ "an unknown option inside a cluster is named alone", { "check", "-vx", "vm" }, NULL, 2, "",
	  USAGE("check", "unknown option '-v'") },
	{ "a long option with one dash gets its two", { "check", "-json", "vm" }, NULL, 2, "",
	  USAGE("check", "unknown option '-j'; did you mean '--json'?") },
};

Test(cli, check_answers_and_refuses_exactly_as_its_table_says)
{
	EXPECT_CASES(check_cases);
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

/* ---- check - ---- */

static const struct cli_case check_stdin_cases[] = {
	{ "blank lines are skipped; a failing call exits 1", { "check", "-" },
	  "clone vm|sighand SIGCHLD\n\nclone sighand\n \t \nclone 0x1200011\n", 1,
	  "OK\nEINVAL: CLONE_SIGHAND requires CLONE_VM\nOK\n", "" },
	{ "CRLF ends a line as LF does, and the last line needs no newline", { "check", "-" },
	  "\nclone vm|sighand SIGCHLD\r\nclone3 0 SIGCHLD\nclone 0x1200011", 0, "OK\nOK\nOK\n", "" },
	{ "each invalid line is named by its number", { "check", "-" },
	  "clone vm,newusr\nfork 0\nclone 0 SIGBOGUS\nunshare user SIGCHLD\nclone\n", 2,
	  "invalid: line 1: unknown flag 'newusr' (did you mean 'newuser'?)\n"
	  "invalid: line 2: SYSCALL must be clone, clone3 or unshare\n"
	  "invalid: line 3: EXIT_SIGNAL is not a signal name or a number 0-255\n"
	  "invalid: line 4: unshare takes no exit signal\n"
	  "invalid: line 5: expected SYSCALL FLAGS [EXIT_SIGNAL]\n", "" },
	{ "a call error goes to stderr and stdout keeps one line per input", { "check", "-" },
	  "clone 0x11 SIGUSR1\nclone 0x1200011\n", 2, "invalid: line 1: see the message above\nOK\n",
	  USAGE("check", "--exit-signal 10 conflicts with exit signal 17 in FLAGS") },
	{ "no input, no output", { "check", "-" }, NULL, 0, "", "" },
	{ "a number and a signal name in one exit-signal byte are refused in either order",
	  { "check", "-" }, "clone SIGCHLD|2\nclone 2|SIGCHLD\n", 2,
	  "invalid: line 1: '2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17: write "
	  "one exit signal\n"
	  "invalid: line 2: '2' sets the exit signal byte to 2, but 'SIGCHLD' names exit signal 17: write "
	  "one exit signal\n", "" },
	{ "a carriage return inside a line is refused, not taken as its end", { "check", "-" },
	  "clone vm\r|sighand\nclone 0x1200011\n", 2,
	  "invalid: line 1: control character 0x0d at byte 9\nOK\n", "" },
	{ "an escape sequence never reaches the terminal", { "check", "-" }, "clone \x1b[31mvm\n", 2,
	  "invalid: line 1: control character 0x1b at byte 7\n", "" },
	{ "the options apply to every line", { "check", "--kernel", "6.8", "-" },
	  "clone3 pidfd,thread,sighand,vm\n", 1,
	  "EINVAL: CLONE_PIDFD cannot be combined with CLONE_THREAD before Linux 6.9\n", "" },
};

Test(cli, check_stdin_judges_each_line_exactly_as_its_table_says)
{
	EXPECT_CASES(check_stdin_cases);
}

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

/* The table's stdin is a C string; these lines hold what a C string cannot. */
Test(cli, check_stdin_names_the_line_with_a_nul_byte_instead_of_cutting_it_short)
{
	static const char input[] = "clone 0x1200011\nclone vm\0|sighand SIGCHLD\nclone sighand\n";
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "check", "-", NULL };
	struct result r;

	run_bytes(input, sizeof(input) - 1, argv, &r);
	assert_status(&r, 2);
	assert_out_eq(&r, "OK\ninvalid: line 2: a NUL byte at byte 9\nEINVAL: CLONE_SIGHAND requires CLONE_VM\n");
	assert_err_empty(&r);
	result_free(&r);
}

Test(cli, check_stdin_judges_a_line_of_a_mebibyte_whole)
{
	const char *head = "clone ", *tail = "sighand SIGCHLD\n";
	size_t reps = (1 << 20) / 3, len = strlen(head) + reps * 3 + strlen(tail);
	char *input = malloc(len + 1), *p = input;
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "check", "-", NULL };
	struct result r;

	cr_assert_not_null(input);
	p = stpcpy(p, head);
	for (size_t i = 0; i < reps; i++)
		p = stpcpy(p, "fs|");
	strcpy(p, tail);
	/* CLONE_SIGHAND without CLONE_VM: the answer comes from the very end of the line */
	run_bytes(input, len, argv, &r);
	free(input);
	assert_status(&r, 1);
	assert_out_eq(&r, "EINVAL: CLONE_SIGHAND requires CLONE_VM\n");
	assert_err_empty(&r);
	result_free(&r);
}

/* ---- the command itself, and help ---- */

static const struct cli_case command_cases[] = {
	{ "an unknown command is named", { "frobnicate" }, NULL, 2, "",
	  TOP_USAGE("unknown command 'frobnicate'") },
	{ "a misspelt command gets the nearest", { "tarce" }, NULL, 2, "",
	  TOP_USAGE("unknown command 'tarce'; did you mean 'trace'?") },
	{ "a misspelt option of the command itself gets the nearest", { "--verison" }, NULL, 2, "",
	  TOP_USAGE("unknown option '--verison'; did you mean '--version'?") },
	{ "the command's own options are exact too", { "--vers" }, NULL, 2, "",
	  TOP_USAGE("unknown option '--vers'; did you mean '--version'?") },
	{ "help names an unknown command and suggests the nearest", { "help", "tarce" }, NULL, 2, "",
	  USAGE("help", "unknown command 'tarce'; did you mean 'trace'?") },
	{ "help takes one command", { "help", "check", "run" }, NULL, 2, "",
	  USAGE("help", "one COMMAND at a time, got 'check' and 'run'") },
	{ "help's options are checked as any command's", { "help", "--hlp" }, NULL, 2, "",
	  USAGE("help", "unknown option '--hlp'; did you mean '--help'?") },
};

Test(cli, the_command_and_help_refuse_exactly_as_their_table_says)
{
	EXPECT_CASES(command_cases);
}

Test(cli, no_arguments_exits_2_with_the_usage_on_stderr)
{
	struct result r, help;

	run(NULL, (char *const[]){ (char *)env_path("CLONEKIT_BIN"), NULL }, &r);
	CK(&help, NULL, "--help");
	assert_status(&r, 2);
	assert_out_eq(&r, "");
	cr_assert(starts_with(r.err, "Usage: clonekit COMMAND"), "stderr:\n%s", r.err);
	cr_assert_str_eq(r.err, help.out);
	result_free(&r);
	result_free(&help);
}

/* stdout of clonekit argv..., which must exit 0 and print nothing on stderr. */
static char *help_text(char *const argv[])
{
	struct result r;
	char *bin_argv[8];
	size_t n = 0;

	bin_argv[n++] = (char *)env_path("CLONEKIT_BIN");
	for (size_t i = 0; argv[i] && n < 7; i++)
		bin_argv[n++] = argv[i];
	bin_argv[n] = NULL;
	run(NULL, bin_argv, &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	free(r.err);
	return r.out;
}

Test(cli, help_command_and_command_help_and_h_print_the_same_usage_for_every_command)
{
	static const char *const commands[] = { "flags", "explain", "check", "sysno", "probe", "run",
						"audit", "seccomp", "trace", "watch", "kacs" };
	char *top = help_text((char *const[]){ "--help", NULL });

	cr_assert(starts_with(top, "Usage: clonekit COMMAND"), "%s", top);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char *cmd = (char *)commands[i], want[64], line[64];
		char *help = help_text((char *const[]){ "help", cmd, NULL });
		char *long_opt = help_text((char *const[]){ cmd, "--help", NULL });
		char *short_opt = help_text((char *const[]){ cmd, "-h", NULL });

		snprintf(want, sizeof(want), "Usage: clonekit %s ", cmd);
		cr_assert(starts_with(help, want), "help %s:\n%s", cmd, help);
		cr_assert_str_eq(long_opt, help, "%s --help differs from help %s", cmd, cmd);
		cr_assert_str_eq(short_opt, help, "%s -h differs from help %s", cmd, cmd);
		/* and the command list names it once */
		snprintf(line, sizeof(line), "  %-9s ", cmd);
		cr_assert_eq(lines_starting(top, line), 1, "%s", top);
		free(help);
		free(long_opt);
		free(short_opt);
	}
	char *help = help_text((char *const[]){ "help", NULL });
	char *help_help = help_text((char *const[]){ "help", "help", NULL });
	char *h = help_text((char *const[]){ "-h", NULL });
	cr_assert_str_eq(help, top);
	cr_assert_str_eq(help_help, top);
	cr_assert_str_eq(h, top);
	free(help);
	free(help_help);
	free(h);
	free(top);
}

/* ---- every subcommand's options: exact names, or a clear refusal ---- */

static const struct cli_case option_cases[] = {
	/* explain */
	{ "explain: no flags", { "explain" }, NULL, 2, "", USAGE("explain", "no FLAGS given (write 0 for none)") },
	{ "explain: an unknown option far from every name", { "explain", "--bogus", "vm" }, NULL, 2, "",
	  USAGE("explain", "unknown option '--bogus'") },
	{ "explain: a missing argument", { "explain", "--syscall" }, NULL, 2, "",
	  USAGE("explain", "option '--syscall' needs an argument") },
	{ "explain: an abbreviation", { "explain", "--stack-siz", "1", "vm" }, NULL, 2, "",
	  USAGE("explain", "unknown option '--stack-siz'; did you mean '--stack-size'?") },

	/* flags */
	{ "flags: an unknown group is named", { "flags", "--group", "bogus" }, NULL, 2, "",
	  USAGE("flags", "--group 'bogus': expected sharing, namespace, tracking, structure, tracing or "
		"historical") },
	{ "flags: a stray argument is named", { "flags", "vm" }, NULL, 2, "",
	  USAGE("flags", "unexpected argument 'vm'") },
	{ "flags: a missing argument", { "flags", "--group" }, NULL, 2, "",
	  USAGE("flags", "option '--group' needs an argument") },
	{ "flags: the unknown letter of a cluster", { "flags", "-vq" }, NULL, 2, "",
	  USAGE("flags", "unknown option '-q'") },
	{ "flags: an abbreviation", { "flags", "--verb" }, NULL, 2, "",
	  USAGE("flags", "unknown option '--verb'; did you mean '--verbose'?") },
	{ "flags: an abbreviation with '='", { "flags", "--grou=namespace" }, NULL, 2, "",
	  USAGE("flags", "unknown option '--grou'; did you mean '--group'?") },

	/* sysno */
	{ "sysno: clone on aarch64", { "sysno", "clone", "--arch", "aarch64" }, NULL, 0, "220\n", "" },
	{ "sysno: a number names the call", { "sysno", "435" }, NULL, 0, "clone3\n", "" },
	{ "sysno: '--arch=' and an attached '-a' argument", { "sysno", "--arch=x86_64", "clone" }, NULL, 0,
	  "56\n", "" },
	{ "sysno: '-aARCH'", { "sysno", "-ax86_64", "clone" }, NULL, 0, "56\n", "" },
	{ "sysno: aarch64 has no fork", { "sysno", "fork", "--arch", "aarch64" }, NULL, 1, "",
	  "clonekit sysno: aarch64 has no fork syscall (use clone with SIGCHLD)\n" },
	{ "sysno: an unknown architecture is named", { "sysno", "clone", "--arch", "sparc" }, NULL, 2, "",
	  USAGE("sysno", "unknown architecture 'sparc'; choose from x86_64, i386, x32, aarch64, arm, "
		"riscv64, s390x, ppc64le, mips64el") },
	{ "sysno: an x32 number without its bit", { "sysno", "--arch", "x32", "435" }, NULL, 1, "",
	  "clonekit sysno: 435 is not clone, clone3, fork, vfork, unshare or setns on x32 (x32 numbers "
	  "include 0x40000000: clone3 is 1073742259)\n" },
	{ "sysno: a missing argument after the operand", { "sysno", "clone", "--arch" }, NULL, 2, "",
	  USAGE("sysno", "option '--arch' needs an argument") },
	{ "sysno: the unknown letter of a cluster", { "sysno", "-qa", "x86_64", "clone" }, NULL, 2, "",
	  USAGE("sysno", "unknown option '-q'") },
	{ "sysno: an abbreviation of two options names both", { "sysno", "--a", "clone" }, NULL, 2, "",
	  USAGE("sysno", "unknown option '--a'; did you mean '--arch' or '--all'?") },

	/* probe */
	{ "probe: a stray argument", { "probe", "clone3" }, NULL, 2, "",
	  USAGE("probe", "unexpected argument 'clone3'") },
	{ "probe: a misspelt option", { "probe", "--jsn" }, NULL, 2, "",
	  USAGE("probe", "unknown option '--jsn'; did you mean '--json'?") },

	/* audit */
	{ "audit: a stray argument", { "audit", "yama" }, NULL, 2, "",
	  USAGE("audit", "unexpected argument 'yama'") },
	{ "audit: a misspelt option", { "audit", "--jsn" }, NULL, 2, "",
	  USAGE("audit", "unknown option '--jsn'; did you mean '--json'?") },
	{ "audit: an abbreviation", { "audit", "--verb" }, NULL, 2, "",
	  USAGE("audit", "unknown option '--verb'; did you mean '--verbose'?") },
	{ "audit: a long option with one dash", { "audit", "-verbose" }, NULL, 2, "",
	  USAGE("audit", "unknown option '-e'; did you mean '--verbose'?") },

	/* seccomp */
	{ "seccomp: an unknown policy", { "seccomp", "--policy", "deny-everything", "--format", "oci" },
	  NULL, 2, "", USAGE("seccomp", "--policy 'deny-everything': expected deny-namespaces, deny-userns "
			     "or no-child-process") },
	{ "seccomp: an unknown format", { "seccomp", "--policy", "deny-userns", "--format", "json" }, NULL, 2,
	  "", USAGE("seccomp", "--format 'json': expected bpf, pfc or oci") },
	{ "seccomp: an unknown action",
	  { "seccomp", "--deny", "newuser", "--action", "abort", "--format", "oci" }, NULL, 2, "",
	  USAGE("seccomp", "--action 'abort': expected errno, kill, kill-thread, trap, log, trace or notify") },
	{ "seccomp: allow is no deny action",
	  { "seccomp", "--deny", "newuser", "--action", "allow", "--format", "oci" }, NULL, 2, "",
	  USAGE("seccomp", "--action 'allow': expected errno, kill, kill-thread, trap, log, trace or notify") },
	{ "seccomp: an unknown errno",
	  { "seccomp", "--deny", "newuser", "--errno", "EWHATEVER", "--format", "oci" }, NULL, 2, "",
	  USAGE("seccomp", "--errno 'EWHATEVER': expected an errno name such as EPERM or EACCES, or a "
		"number 1-4095") },
	{ "seccomp: a misspelt flag", { "seccomp", "--deny", "newusr", "--format", "oci" }, NULL, 2, "",
	  USAGE("seccomp", "--deny 'newusr': unknown flag 'newusr' (did you mean 'newuser'?)") },
	{ "seccomp: a clone3-only flag", { "seccomp", "--deny", "clear_sighand", "--format", "oci" }, NULL,
	  2, "", USAGE("seccomp", "--deny 'clear_sighand': flags above bit 31 are clone3-only, and a filter "
		       "cannot read clone3's flags (they are in memory)") },
	{ "seccomp: no format", { "seccomp", "--policy", "deny-userns" }, NULL, 2, "",
	  USAGE("seccomp", "--format bpf, pfc or oci is required") },
	{ "seccomp: --json with an export", { "seccomp", "--policy", "deny-userns", "--format", "oci", "--json" },
	  NULL, 2, "", USAGE("seccomp", "--json goes with --list; the exports are their own formats") },
	{ "seccomp: --policy and --deny",
	  { "seccomp", "--policy", "deny-userns", "--deny", "newnet", "--format", "oci" }, NULL, 2, "",
	  USAGE("seccomp", "--policy and --deny exclude each other") },
	{ "seccomp: --errno with --action kill",
	  { "seccomp", "--deny", "newnet", "--action", "kill", "--errno", "EPERM", "--format", "oci" }, NULL,
	  2, "", USAGE("seccomp", "--errno has no meaning with --action kill") },
	{ "seccomp: nothing asked", { "seccomp" }, NULL, 2, "",
	  USAGE("seccomp", "expected --list, --policy NAME or --deny FLAGS") },
	{ "seccomp: an abbreviation", { "seccomp", "--lis" }, NULL, 2, "",
	  USAGE("seccomp", "unknown option '--lis'; did you mean '--list'?") },
	{ "seccomp: an abbreviation with '='", { "seccomp", "--form=oci", "--policy", "deny-userns" }, NULL,
	  2, "", USAGE("seccomp", "unknown option '--form'; did you mean '--format'?") },
	{ "seccomp: -o without its file", { "seccomp", "-o" }, NULL, 2, "",
	  USAGE("seccomp", "option '-o' needs an argument") },

	/* trace */
	{ "trace: an abbreviation", { "trace", "--no", "--", "true" }, NULL, 2, "",
	  USAGE("trace", "unknown option '--no'; did you mean '--no-seccomp'?") },
	{ "trace: another abbreviation", { "trace", "--out", "x", "--", "true" }, NULL, 2, "",
	  USAGE("trace", "unknown option '--out'; did you mean '--output'?") },
	{ "trace: an unreadable PID", { "trace", "-p", "x1" }, NULL, 2, "",
	  USAGE("trace", "-p 'x1': expected a process ID") },
	{ "trace: no command", { "trace" }, NULL, 2, "",
	  USAGE("trace", "no command given (clonekit trace [OPTIONS] -- CMD [ARGS], or -p PID)") },
	{ "trace: a PID and a command", { "trace", "-p", "1", "--", "true" }, NULL, 2, "",
	  USAGE("trace", "-p and a command exclude each other") },

	/* watch */
	{ "watch: an abbreviation", { "watch", "--dur", "1" }, NULL, 2, "",
	  USAGE("watch", "unknown option '--dur'; did you mean '--duration'?") },
	{ "watch: another abbreviation", { "watch", "--no" }, NULL, 2, "",
	  USAGE("watch", "unknown option '--no'; did you mean '--no-compat'?") },
	{ "watch: a stray argument", { "watch", "x" }, NULL, 2, "", USAGE("watch", "unexpected argument 'x'") },
	{ "watch: a duration of 0", { "watch", "--duration", "0" }, NULL, 2, "",
	  USAGE("watch", "--duration '0': expected seconds above 0, e.g. 10 or 0.5") },

	/* run: its own failures exit 125, as env(1)'s do */
	{ "run: an abbreviation is no longer --mount-proc", { "run", "--mount", "--", "true" }, NULL, 125, "",
	  USAGE("run", "unknown option '--mount'; did you mean '--mount-proc'?") },
	{ "run: an abbreviation is no longer --json-status", { "run", "--json-stat", "f", "--", "true" }, NULL,
	  125, "", USAGE("run", "unknown option '--json-stat'; did you mean '--json-status'?") },
	{ "run: '--' is not taken for --json-status's FILE", { "run", "--json-status", "--", "true" }, NULL,
	  125, "", USAGE("run", "option '--json-status' needs an argument") },
	{ "run: an option written with '='", { "run", "--cwd=/", "--", "pwd" }, NULL, 0, "/\n", "" },
	{ "run: options stop at the command, whose own options it keeps", { "run", "echo", "--mount" }, NULL,
	  0, "--mount\n", "" },
};

Test(cli, every_subcommand_takes_exact_options_and_names_what_it_refuses)
{
	EXPECT_CASES(option_cases);
	/* no file named after the marker that ended run's options */
	cr_assert_eq(access("--", F_OK), -1, "run wrote a status file named '--'");
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

/* Bytes that are not UTF-8 on a line: valid JSON, and the line's exact bytes come back. */
Test(cli, check_stdin_json_keeps_bytes_that_are_not_utf8)
{
	static const char in[] = "clone \xff\xfevm\nclone \xc3\xa9\\xff\n";
	static const char *const paths[] = { "invalid", NULL };
	struct result r, py;

	run_bytes(in, sizeof(in) - 1,
		  (char *const[]){ (char *)env_path("CLONEKIT_BIN"), "check", "--json", "-", NULL }, &r);
	assert_status(&r, 2);
	cr_assert_eq(count_lines(r.out), 2, "%s", r.out);
	json_oracle(&r, paths, &py);
	/* "unknown flag '\xff\xfevm' (did you mean 'vm'?)", byte for byte */
	cr_assert(strstr(py.out, "1 invalid 756e6b6e6f776e20666c61672027fffe766d27"), "%s", py.out);
	/* valid UTF-8 that looks like an escape is kept as it is, with no _hex field */
	cr_assert(strstr(py.out, "2 invalid "), "%s", py.out);
	cr_assert_null(strstr(nth_line(r.out, 1), "_hex"), "%s", r.out);
	cr_assert(strstr(nth_line(r.out, 1), "\xc3\xa9\\\\xff"), "%s", r.out);
	cr_assert(strstr(nth_line(r.out, 0), "\"invalid\":\"unknown flag '\xef\xbf\xbd\xef\xbf\xbdvm'"),
		  "%s", r.out);
	assert_err_empty(&r);
	result_free(&py);
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

/* Files under tests/ that skip a test without ck_skip_or_fail, which CLONEKIT_NO_SKIP obeys. */
static char direct_skips[4096];

static int find_direct_skip(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len = strlen(path), pos = strlen(direct_skips);

	if (type != FTW_F || len < 2 || path[len - 2] != '.' || (path[len - 1] != 'c' && path[len - 1] != 'h'))
		return 0;
	if (strcmp(path + ftw->base, "support.h") == 0)
		return 0;
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *text = malloc((size_t)st->st_size + 1);
	cr_assert_not_null(text);
	size_t n = fread(text, 1, (size_t)st->st_size, f);
	text[n] = '\0';
	fclose(f);
	/* split so that this file does not match itself */
	if (strstr(text, "cr_" "skip_test(") || strstr(text, "cr_" "skip("))
		snprintf(direct_skips + pos, sizeof(direct_skips) - pos, " %s", path);
	free(text);
	return 0;
}

Test(cli, every_skip_in_the_tests_goes_through_ck_skip_or_fail)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests", env_path("CLONEKIT_SRC"));
	direct_skips[0] = '\0';
	cr_assert_eq(nftw(dir, find_direct_skip, 16, FTW_PHYS), 0, "%s: %s", dir, strerror(errno));
	cr_assert_str_empty(direct_skips, "cr_skip_test called directly in:%s", direct_skips);
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
	cr_assert_str_eq(first_line(r.err),
			 "clonekit run: execve /etc/passwd: Permission denied: the file has no execute permission");
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
	/* the cgroup empties a moment after its last task is reaped */
	ck_wait_until(rmdir(dir) == 0 || errno != EBUSY, CK_PATIENCE_MS);
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
		"import json,sys; d=json.load(open(sys.argv[1])); e=d.get('error') or {}; print(d['exit_code'], d.get('exited'), d.get('signal'), e.get('step'), e.get('errno'))",
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

/* ---- clonekit run: errors that explain, and --json ---- */

/* The files the execve cases run, in a fresh directory (removed by remove_exec_files). */
static char exec_dir[64];

static void write_exec_file(const char *name, const char *text, size_t len, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", exec_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
}

static void make_exec_files(void)
{
	strcpy(exec_dir, "/tmp/ck-run-exec-XXXXXX");
	cr_assert_not_null(mkdtemp(exec_dir));
	cr_assert_eq(chmod(exec_dir, 0755), 0);
	static const char binary[] = "\x01\x02\0 no program, no #! line\n";
	write_exec_file("missing-interp", "#!/nonexistent/sh\necho hi\n", 26, 0755);
	write_exec_file("bad-interp", "#!/etc/passwd\necho hi\n", 22, 0755);
	/* a NUL byte in the first line: bash and dash refuse a binary file instead of running it as a script */
	write_exec_file("data", binary, sizeof(binary) - 1, 0755);
	write_exec_file("not-executable", "#!/bin/sh\necho hi\n", 18, 0644);
}

static void remove_exec_files(void)
{
	static const char *const names[] = { "missing-interp", "bad-interp", "data", "not-executable" };
	char path[128];
	if (!exec_dir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", exec_dir, names[i]);
		unlink(path);
	}
	rmdir(exec_dir);
	exec_dir[0] = '\0';
}

/* text with @DIR@ replaced by exec_dir and @CG2@ by the cgroup v2 mount point. */
static void subst(const char *text, const char *cg2, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = text; *p && o + 1 < len;) {
		const char *with = NULL;
		size_t skip = 0;
		if (strncmp(p, "@DIR@", 5) == 0)
			with = exec_dir, skip = 5;
		else if (strncmp(p, "@CG2@", 5) == 0)
			with = cg2, skip = 5;
		if (with) {
			o += (size_t)snprintf(out + o, len - o, "%s", with);
			p += skip;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

static void cgroup2_mount(char *mnt, size_t len)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	mnt[0] = '\0';
	cr_assert_not_null(f);
	while (!mnt[0] && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			mnt[0] = '\0';
	fclose(f);
	(void)len;
}

struct run_case {
	bool unprivileged;          /* as uid 65534 */
	const char *args[8];        /* after "run"; @DIR@ is the directory of the files above */
	int status;
	const char *err;            /* the whole of stderr, one line */
};

static const struct run_case run_cases[] = {
	{ true, { "--new", "net", "--", "true" }, 125,
	  "clonekit run: clone3: creating namespaces needs CAP_SYS_ADMIN (or CLONE_NEWUSER with them): "
	  "CLONE_NEWNET; add --new user --map-root to create them inside a new user namespace, where "
	  "you have CAP_SYS_ADMIN" },
	{ false, { "--cgroup", "/tmp", "--", "true" }, 125,
	  "clonekit run: clone3 into cgroup /tmp: CLONE_INTO_CGROUP: the cgroup fd is not a cgroup v2 "
	  "directory; cgroup v2 is mounted at @CG2@: give a directory under it" },
	{ false, { "--cwd", "/nonexistent", "--", "true" }, 125,
	  "clonekit run: chdir /nonexistent: No such file or directory" },
	{ false, { "--uid-map", "0:100000:10", "--uid-map", "5:200000:10", "--", "true" }, 125,
	  "clonekit run: uid map ranges 0:100000:10 and 5:200000:10 overlap inside the namespace "
	  "(at id 5): the kernel refuses overlapping ranges; make them disjoint" },
	{ false, { "--", "@DIR@/missing-interp" }, 127,
	  "clonekit run: execve @DIR@/missing-interp: its interpreter /nonexistent/sh (the #! line) "
	  "does not exist" },
	{ false, { "--", "@DIR@/bad-interp" }, 126,
	  "clonekit run: execve @DIR@/bad-interp: its interpreter /etc/passwd (the #! line) is not an "
	  "executable file" },
	{ false, { "--", "" }, 127, "clonekit run: execve: the command name is empty: No such file or directory" },
	{ false, { "--", "/etc/passwd/x" }, 126, "clonekit run: execve /etc/passwd/x: Not a directory" },
	{ false, { "--", "@DIR@" }, 126, "clonekit run: execve @DIR@: Permission denied: it is a directory" },
	{ false, { "--", "@DIR@/not-executable" }, 126,
	  "clonekit run: execve @DIR@/not-executable: Permission denied: the file has no execute permission" },
	{ false, { "--", "@DIR@/data" }, 126,
	  "clonekit run: execve @DIR@/data: Exec format error: neither a program for this machine nor a "
	  "script starting with #!" },
};

Test(cli, run_explains_each_failure_with_the_input_and_the_fix, .fini = remove_exec_files)
{
	char cg2[256], args[8][256], want[1024];
	make_exec_files();
	cgroup2_mount(cg2, sizeof(cg2));
	if (!cg2[0])
		ck_skip_or_fail("no cgroup v2 hierarchy is mounted");
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		const struct run_case *c = &run_cases[i];
		char *argv[16];
		size_t n = 0;
		struct result r;
		if (c->unprivileged) {
			argv[n++] = "setpriv";
			argv[n++] = "--reuid=65534";
			argv[n++] = "--regid=65534";
			argv[n++] = "--clear-groups";
			argv[n++] = "--inh-caps=-all";
		}
		argv[n++] = (char *)env_path("CLONEKIT_BIN");
		argv[n++] = "run";
		for (size_t k = 0; c->args[k]; k++) {
			subst(c->args[k], cg2, args[k], sizeof(args[k]));
			argv[n++] = args[k];
		}
		argv[n] = NULL;
		subst(c->err, cg2, want, sizeof(want));
		strcat(want, "\n");
		run(NULL, argv, &r);
		cr_assert_eq(r.status, c->status, "case %zu (%s): status %d, want %d: %s", i, want, r.status,
			     c->status, r.err);
		cr_assert_str_eq(r.err, want, "case %zu", i);
		assert_out_eq(&r, "");
		result_free(&r);
	}
}

/* The exit code of running file through prog (sh -c FILE or env FILE). */
static int exit_code_of(const char *prog, const char *file)
{
	struct result r;
	if (strcmp(prog, "env") == 0)
		run(NULL, (char *const[]){ "env", (char *)file, NULL }, &r);
	else
		run(NULL, (char *const[]){ (char *)prog, "-c", (char *)file, NULL }, &r);
	result_free(&r);
	return r.status;
}

Test(cli, run_exits_127_or_126_for_an_execve_failure_as_bash_and_env_do, .fini = remove_exec_files)
{
	char path[256];
	make_exec_files();
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		const struct run_case *c = &run_cases[i];
		struct result r;
		if (strcmp(c->args[0], "--") != 0 || !c->args[1][0])
			continue; /* not an execve case, or "" which no shell can be asked for */
		subst(c->args[1], "", path, sizeof(path));
		CK(&r, NULL, "run", "--", path);
		result_free(&r);
		cr_assert_eq(r.status, exit_code_of("bash", path), "%s: clonekit %d, bash otherwise", path,
			     r.status);
		/* env(1) runs a file without #! through sh (execvp's ENOEXEC fallback): sh's status */
		if (strstr(path, "/data") == NULL)
			cr_assert_eq(r.status, exit_code_of("env", path), "%s: env differs", path);
	}
	/* "" is not found for execvp: env says 127 */
	struct result r;
	CK(&r, NULL, "run", "--", "");
	result_free(&r);
	cr_assert_eq(r.status, 127);
	cr_assert_eq(exit_code_of("env", ""), 127);
}

/* python3 checks the JSON document text with script (it reads sys.stdin); exit 0 or the failure. */
static void check_json(const char *text, const char *script)
{
	struct result py;
	run(text, (char *const[]){ "python3", "-c", (char *)script, NULL }, &py);
	cr_assert_eq(py.status, 0, "%s\n--- python3:\n%s%s", text, py.out, py.err);
	result_free(&py);
}

Test(cli, run_json_is_its_own_status_on_stderr_and_stdout_stays_the_commands)
{
	struct result r;
	CK(&r, NULL, "run", "--json", "--", "sh", "-c", "echo out; exit 3");
	assert_status(&r, 3);
	assert_out_eq(&r, "out\n");
	check_json(r.err,
		   "import json,sys; t=sys.stdin.read(); assert t.count('\\n')==1, t; d=json.loads(t)\n"
		   "assert d['pid']>0 and d['namespaces']==[] and d['vfork'] is True, d\n"
		   "assert d['exited'] is True and d['exit_code']==3 and d['status']==768, d\n"
		   "assert d['signal'] is None and d['error'] is None and d['elapsed_us']>0, d\n");
	result_free(&r);

	CK(&r, NULL, "run", "--json", "--", "sh", "-c", "kill -KILL $$");
	assert_status(&r, 137);
	check_json(r.err, "import json,sys; d=json.load(sys.stdin)\n"
			  "assert d['exited'] is False and d['exit_code']==137 and d['signal']=='SIGKILL', d\n"
			  "assert d['core_dumped'] is False, d\n");
	result_free(&r);
}

Test(cli, run_json_reports_the_namespaces_made_and_the_path)
{
	struct result r;
	NEED_NAMESPACES();
	CK(&r, NULL, "run", "--json", "--new", "pid,net", "--map-root", "--", "true");
	assert_status(&r, 0);
	assert_out_eq(&r, "");
	check_json(r.err, "import json,sys; d=json.load(sys.stdin)\n"
			  "assert d['namespaces']==['user','pid','net'] and d['vfork'] is False, d\n"
			  "assert d['exit_code']==0 and d['error'] is None, d\n");
	result_free(&r);
}

Test(cli, run_json_reports_a_failed_spawn_with_step_errno_message_and_rule)
{
	struct result r;
	CK(&r, NULL, "run", "--json", "--", "clonekit-no-such-command");
	assert_status(&r, 127);
	assert_out_eq(&r, "");
	check_json(r.err,
		   "import json,sys; d=json.load(sys.stdin)\n"
		   "assert d['pid'] is None and d['exit_code']==127, d\n"
		   "e=d['error']; assert e['step']=='execve' and e['errno']=='ENOENT' and e['in_child'] is True, e\n"
		   "assert e['message']=='execve clonekit-no-such-command: No such file or directory', e\n"
		   "assert e['rule'] is None, e\n");
	result_free(&r);

	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				   "--inh-caps=-all", (char *)env_path("CLONEKIT_BIN"), "run", "--json",
				   "--new", "uts", "--", "true", NULL },
	    &r);
	assert_status(&r, 125);
	check_json(r.err,
		   "import json,sys; d=json.load(sys.stdin)\n"
		   "assert d['namespaces']==['uts'] and d['exit_code']==125, d\n"
		   "e=d['error']; assert e['step']=='clone3' and e['errno']=='EPERM' and e['in_child'] is False, e\n"
		   "assert e['rule']=='namespace-needs-cap-sys-admin', e\n");
	result_free(&r);
}

Test(cli, run_json_status_file_holds_the_same_line_as_json)
{
	struct result r;
	char path[] = "/tmp/ck-json-same-XXXXXX", text[4096];
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	CK(&r, NULL, "run", "--json", "--json-status", path, "--", "clonekit-no-such-command");
	assert_status(&r, 127);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(path);
	text[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(text, r.err);
	result_free(&r);
}

/* ---- clonekit trace: the launch options and errors it shares with run ---- */

Test(cli, trace_launch_options_start_the_command_in_new_namespaces)
{
	struct result r;
	char path[] = "/tmp/ck-trace-ns-XXXXXX", text[4096];
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	NEED_NAMESPACES();
	CK(&r, NULL, "trace", "-o", path, "--new", "user,pid,uts", "--map-root", "--hostname", "traced",
	   "--", "sh", "-c", "id -u; hostname; echo $$");
	assert_status(&r, 0);
	assert_out_eq(&r, "0\ntraced\n1\n");
	result_free(&r);
	/* by name: the log replaces the file that was there (clonekit(1), FILES) */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(path);
	text[n > 0 ? n : 0] = '\0';
	/* dash vforks id and hostname: PIDs 2 and 3 of the new PID namespace, as the shell sees them */
	cr_assert_str_eq(text, "vfork() = 2\nvfork() = 3\n");
}

Test(cli, trace_passes_the_callers_inherited_fds_as_strace_does)
{
	struct result r;
	char *cmd = "exec 5</dev/null; exec \"$0\" trace -o /dev/null -- readlink /proc/self/fd/5";
	run(NULL, (char *const[]){ "sh", "-c", cmd, (char *)env_path("CLONEKIT_BIN"), NULL }, &r);
	assert_status(&r, 0);
	assert_out_eq(&r, "/dev/null\n");
	result_free(&r);
}

Test(cli, trace_explains_a_failed_start_and_exits_as_run_does)
{
	struct result r;
	CK(&r, NULL, "trace", "--", "");
	assert_status(&r, 127);
	cr_assert_str_eq(r.err, "clonekit trace: execve: the command name is empty: No such file or directory\n");
	result_free(&r);
	CK(&r, NULL, "trace", "--", "/etc/passwd");
	assert_status(&r, 126);
	cr_assert_str_eq(r.err, "clonekit trace: execve /etc/passwd: Permission denied: the file has no "
				"execute permission\n");
	result_free(&r);
	CK(&r, NULL, "trace", "--new", "net", "-p", "1");
	assert_status(&r, 2);
	cr_assert_str_eq(first_line(r.err),
			 "clonekit trace: launch options (--new, --map-root, ...) go with a command, not -p");
	result_free(&r);

	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				   "--inh-caps=-all", (char *)env_path("CLONEKIT_BIN"), "trace", "--new",
				   "net", "--", "true", NULL },
	    &r);
	assert_status(&r, 125);
	cr_assert_str_eq(r.err, "clonekit trace: clone3: creating namespaces needs CAP_SYS_ADMIN (or "
				"CLONE_NEWUSER with them): CLONE_NEWNET; add --new user --map-root to create "
				"them inside a new user namespace, where you have CAP_SYS_ADMIN\n");
	result_free(&r);
}

Test(cli, trace_with_a_policy_sees_the_calls_it_refuses)
{
	struct result r;
	CK(&r, NULL, "trace", "--seccomp", "deny-namespaces", "--", "unshare", "--uts", "true");
	assert_status(&r, 1);
	assert_out_eq(&r, "unshare(CLONE_NEWUTS) = -1 EPERM (Operation not permitted)\n");
	cr_assert_str_eq(r.err, "unshare: unshare failed: Operation not permitted\n");
	result_free(&r);
}

/* The command the signal tests run: it says when it runs, then becomes a sleep. */
#define READY_THEN_SLEEP "sh", "-c", "echo ready; exec sleep 30"

/*
 * Starts clonekit with argv, whose command is READY_THEN_SLEEP, in the
 * background; returns its pid once the command runs, and that command's pid
 * in *child.
 */
static pid_t start_clonekit(char *const argv[], pid_t *child)
{
	char path[64], buf[64] = "";
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t ck = fork();
	cr_assert(ck >= 0);
	if (ck == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(p[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	cr_assert_str_eq(n > 0 ? buf : "", "ready\n", "clonekit's command did not start");
	/* the command runs, so it is clonekit's child now */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)ck, (int)ck);
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert(fgets(buf, sizeof(buf), f), "%s is empty", path);
	fclose(f);
	*child = atoi(buf);
	cr_assert_gt(*child, 0, "%s: '%s'", path, buf);
	return ck;
}

/* Waits for pid for at most ms; its exit code (128+signal), or -1 when it still runs. */
static int wait_within(pid_t pid, int ms)
{
	int st = 0;
	if (!ck_wait_until(waitpid(pid, &st, WNOHANG) == pid, ms))
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Sends sig to clonekit (started by start_clonekit with argv); it must exit 128+sig, its command gone. */
static void check_forwarded(char *const argv[], int sig)
{
	pid_t child, ck = start_clonekit(argv, &child);

	kill(ck, sig);
	int code = wait_within(ck, CK_PATIENCE_MS);
	if (code < 0) {
		kill(ck, SIGKILL);
		kill(child, SIGKILL);
		waitpid(ck, NULL, 0);
	}
	cr_assert_eq(code, 128 + sig, "clonekit exited %d, expected %d", code, 128 + sig);
	cr_assert_eq(kill(child, 0), -1, "the child %d still runs", (int)child);
}

/* argv starts clonekit run with a PID 1 in a new PID namespace: one SIGTERM is ignored, two kill it. */
static void check_second_sigterm(char *const argv[])
{
	pid_t child, ck = start_clonekit(argv, &child);

	kill(ck, SIGTERM);
	/* PID 1 of its namespace has no handler for SIGTERM: it keeps running */
	int code = wait_within(ck, 300);
	cr_assert_eq(code, -1, "clonekit ended (%d) after one SIGTERM to a PID 1 without handler", code);
	kill(ck, SIGTERM);
	code = wait_within(ck, CK_PATIENCE_MS);
	if (code < 0) {
		kill(child, SIGKILL);
		kill(ck, SIGKILL);
		waitpid(ck, NULL, 0);
	}
	cr_assert_eq(code, 128 + SIGKILL, "clonekit exited %d after the second SIGTERM, expected 137", code);
}

Test(cli, run_forwards_sigint_and_exits_with_the_childs_signal_status)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--", READY_THEN_SLEEP, NULL };
	check_forwarded(argv, SIGINT);
}

Test(cli, run_second_sigterm_kills_a_pid_1_that_ignores_the_first)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--new", "pid,user",
			       "--map-root", "--", READY_THEN_SLEEP, NULL };
	NEED_NAMESPACES();
	check_second_sigterm(argv);
}

/* As a container profile, valgrind or a kernel before 5.1 has it: pidfd_send_signal and pidfd_open fail. */
#define WITHOUT_PIDFD_SIGNALS (char *)env_path("CLONEKIT_DENY"), "pidfd_send_signal", "pidfd_open", "--"

Test(cli, run_forwards_sigterm_with_kill_when_pidfd_send_signal_is_refused)
{
	char *const argv[] = { WITHOUT_PIDFD_SIGNALS, (char *)env_path("CLONEKIT_BIN"), "run", "--",
			       READY_THEN_SLEEP, NULL };
	check_forwarded(argv, SIGTERM);
}

Test(cli, run_second_sigterm_kills_a_pid_1_when_pidfd_send_signal_is_refused)
{
	char *const argv[] = { WITHOUT_PIDFD_SIGNALS, (char *)env_path("CLONEKIT_BIN"), "run", "--new",
			       "pid,user", "--map-root", "--", READY_THEN_SLEEP, NULL };
	NEED_NAMESPACES();
	check_second_sigterm(argv);
}

Test(cli, run_die_with_parent_kills_the_command_when_clonekit_dies)
{
	char *const argv[] = { (char *)env_path("CLONEKIT_BIN"), "run", "--die-with-parent", "--",
			       READY_THEN_SLEEP, NULL };
	pid_t child, ck = start_clonekit(argv, &child);

	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open: %s", strerror(errno));
	kill(ck, SIGKILL);
	waitpid(ck, NULL, 0);
	struct pollfd p = { pidfd, POLLIN, 0 };
	int n = poll(&p, 1, CK_PATIENCE_MS);
	if (n != 1)
		kill(child, SIGKILL);
	close(pidfd);
	cr_assert_eq(n, 1, "the command outlived clonekit");
}

/* ---- seccomp ---- */

/* python3 runs script with input on its stdin and must exit 0. */
static void assert_python(const char *input, const char *script, const char *what)
{
	struct result py;

	run(input, (char *const[]){ "python3", "-c", (char *)script, NULL }, &py);
	cr_assert_eq(py.status, 0, "%s:\n%s\n--- python3:\n%s", what, input, py.err);
	result_free(&py);
}

Test(cli, seccomp_list_names_the_3_policies_each_with_a_summary_line)
{
	static const char *const names[] = { "deny-namespaces", "deny-userns", "no-child-process" };
	struct result r;

	CK(&r, NULL, "seccomp", "--list");
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert_eq(count_lines(r.out), 6, "expected a name line and a summary line per policy:\n%s", r.out);
	cr_assert_eq(lines_starting(r.out, "    "), 3, "%s", r.out);
	for (int i = 0; i < 3; i++) {
		const char *line = nth_line(r.out, 2 * i);

		cr_assert(starts_with(line, names[i]), "line %d is '%s', expected %s", 2 * i, line, names[i]);
#ifdef __x86_64__
		unsigned a, b, c;
		const char *counts = strstr(line, "instructions: ");
		cr_assert_not_null(counts, "%s", line);
		cr_assert_eq(sscanf(counts, "instructions: x86_64 %u, i386 %u, x32 %u", &a, &b, &c), 3,
			     "%s", line);
		cr_assert(a > 0 && b > 0 && c > 0, "%s", line);
#endif
		const char *summary = nth_line(r.out, 2 * i + 1);
		cr_assert(starts_with(summary, "    ") && strlen(summary) > 40, "summary of %s: '%s'",
			  names[i], summary);
	}
	cr_assert(strstr(r.out, "    fork, vfork and clone without CLONE_THREAD fail with EPERM"), "%s", r.out);
	result_free(&r);
}

Test(cli, seccomp_list_json_is_one_document_with_counts_per_abi)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--list", "--json");
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_json_lines(&r, 1);
	assert_python(r.out,
		      "import json, platform, sys\n"
		      "d = json.load(sys.stdin)\n"
		      "p = d['policies']\n"
		      "assert [x['name'] for x in p] == ['deny-namespaces', 'deny-userns', 'no-child-process'], p\n"
		      "for x in p:\n"
		      "    assert len(x['summary']) > 40, x\n"
		      "    assert all(type(n) is int and n > 0 for n in x['instructions'].values()), x\n"
		      "    if platform.machine() == 'x86_64':\n"
		      "        assert list(x['instructions']) == ['x86_64', 'i386', 'x32'], x\n",
		      "seccomp --list --json");
	result_free(&r);
}

Test(cli, seccomp_oci_deny_namespaces_has_15_clone_unshare_rules_setns_and_clone3)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--policy", "deny-namespaces", "--format", "oci");
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_json_lines(&r, 1);
	assert_python(r.out,
		      "import json, platform, sys\n"
		      "d = json.load(sys.stdin)\n"
		      "assert d['defaultAction'] == 'SCMP_ACT_ALLOW', d\n"
		      "if platform.machine() == 'x86_64':\n"
		      "    assert d['architectures'] == ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], d\n"
		      "s = d['syscalls']\n"
		      "flagged = [e for e in s if e['names'] in (['clone'], ['unshare'])]\n"
		      "assert len(flagged) == 15, len(flagged)\n"
		      "for e in flagged:\n"
		      "    assert e['action'] == 'SCMP_ACT_ERRNO' and e['errnoRet'] == 1, e\n"
		      "    [a] = e['args']\n"
		      "    assert a['op'] == 'SCMP_CMP_MASKED_EQ' and a['value'] == a['valueTwo'], a\n"
		      "ns = {0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000}\n"
		      "bits = lambda n: sorted(e['args'][0]['value'] for e in flagged if e['names'] == [n])\n"
		      "assert bits('clone') == sorted(ns), bits('clone')\n"
		      "assert bits('unshare') == sorted(ns | {0x80}), bits('unshare')\n"
		      "[setns] = [e for e in s if e['names'] == ['setns']]\n"
		      "assert setns['errnoRet'] == 1 and 'args' not in setns, setns\n"
		      "[clone3] = [e for e in s if e['names'] == ['clone3']]\n"
		      "assert clone3['errnoRet'] == 38 and 'args' not in clone3, clone3\n"
		      "assert len(s) == 17, len(s)\n",
		      "seccomp --policy deny-namespaces --format oci");
	result_free(&r);
}

Test(cli, seccomp_custom_deny_with_eacces_sets_errnoret_13)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--deny", "newuser,newnet", "--errno", "EACCES", "--format", "oci");
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_python(r.out,
		      "import json, sys\n"
		      "s = json.load(sys.stdin)['syscalls']\n"
		      "got = sorted((e['names'][0], e.get('args', [{}])[0].get('value'), e['errnoRet']) for e in s)\n"
		      "want = sorted([('clone', 0x10000000, 13), ('clone', 0x40000000, 13),\n"
		      "               ('unshare', 0x10000000, 13), ('unshare', 0x40000000, 13),\n"
		      "               ('setns', None, 13), ('clone3', None, 38)])\n"
		      "assert got == want, got\n",
		      "seccomp --deny newuser,newnet --errno EACCES --format oci");
	result_free(&r);
}

Test(cli, seccomp_custom_notify_is_scmp_act_notify_without_errnoret_and_clone3_still_enosys)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--deny", "newuts", "--action", "notify", "--format", "oci");
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_python(r.out,
		      "import json, sys\n"
		      "d = json.load(sys.stdin)\n"
		      "assert 'listenerPath' not in d, d\n"
		      "got = sorted((e['names'][0], e['action'], e.get('errnoRet')) for e in d['syscalls'])\n"
		      "want = sorted([('clone', 'SCMP_ACT_NOTIFY', None), ('unshare', 'SCMP_ACT_NOTIFY', None),\n"
		      "               ('setns', 'SCMP_ACT_NOTIFY', None), ('clone3', 'SCMP_ACT_ERRNO', 38)])\n"
		      "assert got == want, got\n",
		      "seccomp --deny newuts --action notify --format oci");
	result_free(&r);
}

Test(cli, seccomp_pfc_has_a_filter_per_host_abi)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "pfc");
	assert_status(&r, 0);
	assert_err_empty(&r);
#ifdef __x86_64__
	cr_assert(strstr(r.out, "# filter for arch x86_64 "), "%s", r.out);
	cr_assert(strstr(r.out, "# filter for arch x86 "), "%s", r.out);
	cr_assert(strstr(r.out, "# filter for arch x32 "), "%s", r.out);
#endif
	cr_assert(strstr(r.out, "action ERRNO(1);"), "%s", r.out);
	cr_assert(strstr(r.out, "action ERRNO(38);"), "%s", r.out);
	result_free(&r);
}

/* The bytes of path; *len gets the size. */
static char *read_whole(const char *path, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &sb), 0, "%s: %s", path, strerror(errno));
	buf = malloc((size_t)sb.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size, "%s: short read", path);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

Test(cli, seccomp_bpf_to_a_file_is_whole_sock_filters_mode_0644_and_equals_stdout)
{
	char dir[] = "/tmp/clonekit-cli-bpf-XXXXXX", path[4096], tmp[4200];
	struct result r, piped;
	struct stat sb;
	mode_t old = umask(077);
	size_t len;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/filter.bpf", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CK(&r, NULL, "seccomp", "--policy", "deny-namespaces", "--format", "bpf", "-o", path);
	umask(old);
	assert_status(&r, 0);
	assert_out_eq(&r, "");
	assert_err_empty(&r);
	cr_assert_eq(stat(path, &sb), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(sb.st_mode & 07777, 0644, "mode %o under umask 077", sb.st_mode & 07777);
	cr_assert(sb.st_size > 0 && sb.st_size % 8 == 0, "%lld bytes", (long long)sb.st_size);
	cr_assert_neq(access(tmp, F_OK), 0, "%s was left behind", tmp);

	char *bytes = read_whole(path, &len);
	CK(&piped, NULL, "seccomp", "--policy", "deny-namespaces", "--format", "bpf");
	assert_status(&piped, 0);
	cr_assert_eq(piped.out_len, len, "stdout has %zu bytes, the file %zu", piped.out_len, len);
	cr_assert_eq(memcmp(piped.out, bytes, len), 0, "stdout and the file differ");
	free(bytes);
	unlink(path);
	rmdir(dir);
	result_free(&r);
	result_free(&piped);
}

Test(cli, seccomp_output_into_a_missing_directory_exits_1_with_the_errno)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o",
	   "/nonexistent-clonekit-dir/p.json");
	assert_status(&r, 1);
	assert_out_eq(&r, "");
	cr_assert(strstr(r.err, "/nonexistent-clonekit-dir/p.json") &&
		  strstr(r.err, "ENOENT (No such file or directory)"), "%s", r.err);
	result_free(&r);
}

Test(cli, seccomp_errno_takes_a_number_and_the_help_describes_the_formats)
{
	struct result r;

	CK(&r, NULL, "seccomp", "--deny", "newuser", "--errno", "95", "--format", "oci");
	assert_status(&r, 0);
	cr_assert(strstr(r.out, "\"errnoRet\":95"), "%s", r.out);
	result_free(&r);
	CK(&r, NULL, "seccomp", "--help");
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert(starts_with(r.out, "Usage: clonekit seccomp "), "%s", r.out);
	cr_assert(strstr(r.out, "bwrap --seccomp FD"), "%s", r.out);
	result_free(&r);
}

/* Runs clonekit with stdout on a pseudo-terminal; returns the exit status, stderr into err. */
static int run_on_a_tty(char *const argv[], char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int master, slave, e[2], st;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(master, 0, "posix_openpt: %s", strerror(errno));
	cr_assert(grantpt(master) == 0 && unlockpt(master) == 0, "pty: %s", strerror(errno));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(slave, 0, "%s: %s", ptsname(master), strerror(errno));
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, slave, 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0, "posix_spawn");
	posix_spawn_file_actions_destroy(&fa);
	close(slave);
	close(e[1]);
	while (n + 1 < errlen && (k = read(e[0], err + n, errlen - 1 - n)) > 0)
		n += (size_t)k;
	err[n] = '\0';
	close(e[0]);
	waitpid(pid, &st, 0);
	close(master);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(cli, seccomp_bpf_to_a_terminal_is_refused_unless_o_is_given)
{
	char dir[] = "/tmp/clonekit-cli-tty-XXXXXX", path[4096], err[4096];
	char *bin = (char *)env_path("CLONEKIT_BIN");
	int status;

	status = run_on_a_tty((char *const[]){ bin, "seccomp", "--policy", "deny-userns", "--format",
					       "bpf", NULL }, err, sizeof(err));
	cr_assert_eq(status, 2, "exit %d: %s", status, err);
	cr_assert(strstr(err, "refusing to write binary BPF to a terminal"), "%s", err);

	status = run_on_a_tty((char *const[]){ bin, "seccomp", "--policy", "deny-userns", "--format",
					       "pfc", NULL }, err, sizeof(err));
	cr_assert_eq(status, 0, "pfc to a terminal: exit %d: %s", status, err);

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/f.bpf", dir);
	status = run_on_a_tty((char *const[]){ bin, "seccomp", "--policy", "deny-userns", "--format",
					       "bpf", "-o", path, NULL }, err, sizeof(err));
	cr_assert_eq(status, 0, "bpf -o on a terminal: exit %d: %s", status, err);
	cr_assert_eq(access(path, R_OK), 0, "%s: %s", path, strerror(errno));
	unlink(path);
	rmdir(dir);
}

/* ---- audit ---- */

#include <clonekit/audit.h>

Test(cli, audit_exit_status_is_1_exactly_when_the_json_counts_an_unmet_recommendation)
{
	struct result r, py;
	char *const check[] = {
		"python3", "-c",
		"import json,sys\n"
		"d = json.load(sys.stdin)\n"
		"assert list(d) == ['items', 'unmet'], list(d)\n"
		"keys = ['id', 'title', 'value', 'status', 'why', 'recommendation']\n"
		"for x in d['items']:\n"
		"    assert list(x) == keys, x\n"
		"    assert x['status'] in ('ok', 'warn', 'info', 'unknown'), x\n"
		"    assert isinstance(x['value'], str) and x['value'], x\n"
		"    assert x['status'] != 'ok' or x['recommendation'] is None, x\n"
		"    assert x['status'] != 'warn' or x['recommendation'], x\n"
		"assert d['unmet'] == sum(x['status'] == 'warn' for x in d['items']), d['unmet']\n"
		"print(len(d['items']), d['unmet'])\n",
		NULL,
	};
	char want[64];
	size_t items, unmet;

	CK(&r, NULL, "audit", "--json");
	assert_json_lines(&r, 1);
	assert_err_empty(&r);
	cr_assert(starts_with(r.out, "{\"items\":[{\"id\":\"unprivileged_user_namespace\","), "%s",
		  r.out);
	run(r.out, check, &py);
	cr_assert_eq(py.status, 0, "%s\n--- python3:\n%s", r.out, py.err);
	cr_assert_eq(sscanf(py.out, "%zu %zu", &items, &unmet), 2, "%s", py.out);
	cr_assert_eq(items, ck_audit_check_count());
	assert_status(&r, unmet ? 1 : 0);
	result_free(&py);
	result_free(&r);

	/* the text report: one line per check (why and fix indented under it), then the count */
	CK(&r, NULL, "audit");
	assert_status(&r, unmet ? 1 : 0);
	assert_err_empty(&r);
	cr_assert_eq(count_lines(r.out) - lines_starting(r.out, "        "),
		     ck_audit_check_count() + 1, "%s", r.out);
	if (unmet)
		snprintf(want, sizeof(want), "%zu recommendation%s unmet: ", unmet, unmet == 1 ? "" : "s");
	else
		snprintf(want, sizeof(want), "every recommendation is met");
	cr_assert(starts_with(nth_line(r.out, (int)count_lines(r.out) - 1), want), "%s", r.out);
	cr_assert_eq(lines_starting(r.out, "warn    "), unmet, "%s", r.out);
	for (int i = 0; i < (int)count_lines(r.out); i++) {
		if (!starts_with(nth_line(r.out, i), "warn    "))
			continue;
		cr_assert(starts_with(nth_line(r.out, i + 1), "        why: "), "%s", r.out);
		cr_assert(starts_with(nth_line(r.out, i + 2), "        fix: "), "%s", r.out);
	}
	result_free(&r);
}

Test(cli, audit_help_lists_every_check_and_marks_the_ones_that_can_be_unmet)
{
	struct result r;

	CK(&r, NULL, "audit", "--help");
	assert_status(&r, 0);
	assert_err_empty(&r);
	cr_assert(starts_with(r.out, "Usage: clonekit audit [--json] [-v]\n"), "%s", r.out);
	for (size_t i = 0; i < ck_audit_check_count(); i++) {
		const struct ck_audit_check *c = ck_audit_check_at(i);
		char want[256];
		snprintf(want, sizeof(want), "\n  %c %-38s %s\n", c->can_warn ? '*' : ' ', c->id,
			 c->title);
		cr_assert(strstr(r.out, want), "no '%s' in:\n%s", want, r.out);
	}
	cr_assert_eq(lines_starting(r.out, "  * "), 4, "%s", r.out);
	result_free(&r);

	CK(&r, NULL, "audit", "-h");
	assert_status(&r, 0);
	cr_assert(starts_with(r.out, "Usage: clonekit audit [--json] [-v]\n"), "%s", r.out);
	result_free(&r);

	CK(&r, NULL, "--help");
	assert_status(&r, 0);
	cr_assert_eq(lines_starting(r.out, "  audit     "), 1, "%s", r.out);
	result_free(&r);
}

Test(cli, audit_verbose_prints_why_under_every_item)
{
	struct result r;

	CK(&r, NULL, "audit", "-v");
	cr_assert(r.status == 0 || r.status == 1, "exit %d", r.status);
	cr_assert_eq(lines_starting(r.out, "        why: "), ck_audit_check_count(), "%s", r.out);
	result_free(&r);
}

Test(cli, seccomp_a_full_disk_is_an_export_failure_exit_1_with_enospc_in_every_format)
{
	static const char *const formats[] = { "bpf", "pfc", "oci" };
	struct result r;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		run(NULL, (char *const[]){ "sh", "-c", "exec \"$0\" seccomp --policy deny-userns --format \"$1\" >/dev/full",
					   (char *)env_path("CLONEKIT_BIN"), (char *)formats[i], NULL }, &r);
		assert_status(&r, 1);
		cr_assert(strstr(r.err, "ENOSPC (No space left on device)"), "%s: %s", formats[i], r.err);
		result_free(&r);
	}
}

/* ---- files clonekit writes: seccomp -o, run --json-status, trace -o ---- */

#define NEED_ROOT(why)                                                      \
	do {                                                                \
		if (geteuid() != 0)                                         \
			ck_skip_or_fail("%s needs root", why);              \
	} while (0)

/* The names in dir, sorted, joined by spaces. */
static char *listing(const char *dir)
{
	struct dirent **names;
	char *out = NULL;
	size_t len = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	cr_assert_geq(n, 0, "scandir %s: %s", dir, strerror(errno));
	append(&out, &len, "", 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (len)
				append(&out, &len, " ", 1);
			append(&out, &len, names[i]->d_name, strlen(names[i]->d_name));
		}
		free(names[i]);
	}
	free(names);
	return out;
}

#define assert_listing(dir, want)                                                       \
	do {                                                                            \
		char *got_ = listing(dir);                                              \
		cr_assert_str_eq(got_, (want), "%s holds '%s', expected '%s'", (dir), got_, \
				 (want));                                               \
		free(got_);                                                             \
	} while (0)

/* Runs sh -c script as uid and gid 65534 without capabilities; it must exit 0. */
static void as_nobody(const char *script)
{
	struct result r;
	run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				   "--inh-caps=-all", "sh", "-c", (char *)script, NULL }, &r);
	cr_assert_eq(r.status, 0, "as uid 65534: %s: exit %d: %s%s", script, r.status, r.out, r.err);
	result_free(&r);
}

/* A new directory under /tmp with the mode of /tmp itself: sticky and world-writable. */
static void sticky_dir(char *dir)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(dir, 01777), 0, "chmod %s: %s", dir, strerror(errno));
}

static void remove_tree(const char *dir)
{
	struct result r;
	run(NULL, (char *const[]){ "rm", "-rf", (char *)dir, NULL }, &r);
	result_free(&r);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_file(const char *path, const char *text, mode_t mode, uid_t uid)
{
	struct stat sb;
	size_t len;

	cr_assert_eq(lstat(path, &sb), 0, "%s: %s", path, strerror(errno));
	cr_assert(S_ISREG(sb.st_mode), "%s is no longer a regular file (mode %o)", path, sb.st_mode);
	cr_assert_eq(sb.st_mode & 07777, mode, "%s: mode %o, expected %o", path, sb.st_mode & 07777, mode);
	cr_assert_eq(sb.st_uid, uid, "%s: owner %u, expected %u", path, (unsigned)sb.st_uid, (unsigned)uid);
	char *got = read_whole(path, &len);
	got = realloc(got, len + 1);
	got[len] = '\0';
	cr_assert_str_eq(got, text, "%s holds '%s'", path, got);
	free(got);
}

static void assert_symlink(const char *path, const char *target, uid_t uid)
{
	char buf[4096];
	struct stat sb;
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	cr_assert_gt(n, 0, "%s is no longer a symlink: %s", path, strerror(errno));
	buf[n] = '\0';
	cr_assert_str_eq(buf, target, "%s now points to %s", path, buf);
	cr_assert_eq(lstat(path, &sb), 0);
	cr_assert_eq(sb.st_uid, uid, "%s: owner %u", path, (unsigned)sb.st_uid);
}

/* What `clonekit seccomp --policy deny-userns --format F` prints on stdout. */
static char *export_text(const char *format)
{
	struct result r;
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", (char *)format);
	assert_status(&r, 0);
	free(r.err);
	return r.out;
}

Test(cli, files_a_symlink_planted_at_the_old_temporary_name_changes_no_other_file)
{
	char dir[] = "/tmp/ck-files-tmp-XXXXXX", out[256], victim[256], planted[256], script[1024];

	NEED_ROOT("planting a symlink as uid 65534");
	sticky_dir(dir);
	snprintf(out, sizeof(out), "%s/policy.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(planted, sizeof(planted), "%s/policy.json.tmp", dir);
	write_text(victim, "secret\n", 0600);
	/* the name the command used to write through, with O_CREAT|O_TRUNC, then chmod 0644 */
	snprintf(script, sizeof(script), "ln -s %s %s", victim, planted);
	as_nobody(script);

	struct result r;
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", out);
	assert_status(&r, 0);
	assert_err_empty(&r);
	result_free(&r);
	assert_file(victim, "secret\n", 0600, 0);
	assert_symlink(planted, victim, 65534);
	char *want = export_text("oci");
	assert_file(out, want, 0644, 0);
	free(want);
	assert_listing(dir, "policy.json policy.json.tmp victim");
	remove_tree(dir);
}

Test(cli, files_a_symlink_another_user_planted_as_the_target_is_refused_by_every_writer)
{
	char dir[] = "/tmp/ck-files-link-XXXXXX", out[256], victim[256], script[1024], want[2048];
	struct result r;

	NEED_ROOT("planting a symlink as uid 65534");
	sticky_dir(dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_text(victim, "secret\n", 0600);
	snprintf(script, sizeof(script), "ln -s %s %s", victim, out);
	as_nobody(script);
	char refusal[1024];
	snprintf(refusal, sizeof(refusal),
		 "refusing to follow the symlink %s: uid 65534 owns it, in the sticky world-writable "
		 "directory %s that uid 0 owns (the rule of fs.protected_symlinks): EACCES (Permission "
		 "denied)\n", out, dir);

	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", out);
	assert_status(&r, 1);
	snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: %s", out, refusal);
	cr_assert_str_eq(r.err, want);
	result_free(&r);

	/* the command runs: the status file is a side output, its failure is said */
	CK(&r, NULL, "run", "--json-status", out, "--", "true");
	assert_status(&r, 0);
	snprintf(want, sizeof(want), "clonekit run: --json-status %s: %s", out, refusal);
	cr_assert_str_eq(r.err, want);
	result_free(&r);

	/* nothing is traced without its log */
	CK(&r, NULL, "trace", "-o", out, "--", "true");
	assert_status(&r, 125);
	snprintf(want, sizeof(want), "clonekit trace: -o %s: %s", out, refusal);
	cr_assert_str_eq(r.err, want);
	result_free(&r);

	assert_file(victim, "secret\n", 0600, 0);
	assert_symlink(out, victim, 65534);
	assert_listing(dir, "out victim");
	remove_tree(dir);
}

Test(cli, files_a_symlink_of_the_callers_own_is_followed_and_the_file_it_names_replaced)
{
	char dir[] = "/tmp/ck-files-own-XXXXXX", link[256], real[256], sdir[] = "/tmp/ck-files-own-sticky-XXXXXX";
	struct result r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(link, sizeof(link), "%s/current.pfc", dir);
	snprintf(real, sizeof(real), "%s/v2.pfc", dir);
	write_text(real, "old\n", 0640);
	cr_assert_eq(symlink("v2.pfc", link), 0, "symlink: %s", strerror(errno));
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "pfc", "-o", link);
	assert_status(&r, 0);
	assert_err_empty(&r);
	result_free(&r);
	char *want = export_text("pfc");
	assert_symlink(link, "v2.pfc", geteuid());
	assert_file(real, want, 0640, geteuid());
	assert_listing(dir, "current.pfc v2.pfc");

	/* in a sticky directory too, when the link is the caller's */
	sticky_dir(sdir);
	snprintf(link, sizeof(link), "%s/current.pfc", sdir);
	cr_assert_eq(symlink(real, link), 0, "symlink: %s", strerror(errno));
	write_text(real, "old\n", 0600);
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "pfc", "-o", link);
	assert_status(&r, 0);
	assert_err_empty(&r);
	result_free(&r);
	assert_symlink(link, real, geteuid());
	assert_file(real, want, 0600, geteuid());
	assert_listing(sdir, "current.pfc");
	free(want);
	remove_tree(dir);
	remove_tree(sdir);
}

/*
 * Runs script with sh in a mount namespace of its own whose /dev is a new
 * tmpfs with the real full and null devices and the usual links to
 * /proc/self/fd: what a writer does to /dev/full or /dev/stdout there (an
 * older clonekit renamed files over both) cannot reach the host's /dev. $0
 * is clonekit, $1 ck-deny; stderr goes where stdout goes.
 */
static void in_private_dev(const char *script, struct result *r)
{
	static const char prelude[] =
		"mount -t tmpfs -o mode=0755 ck-dev /dev && mknod -m 666 /dev/full c 1 7 && "
		"mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && ln -s /proc/self/fd /dev/fd && "
		"ln -s /proc/self/fd/0 /dev/stdin && ln -s /proc/self/fd/1 /dev/stdout && "
		"ln -s /proc/self/fd/2 /dev/stderr || exit 99\n"
		"exec 2>&1\n";
	char *text;

	cr_assert_gt(asprintf(&text, "%s%s", prelude, script), 0);
	run(NULL, (char *const[]){ "unshare", "--mount", "--propagation", "private", "sh", "-c", text,
				   (char *)env_path("CLONEKIT_BIN"), (char *)env_path("CLONEKIT_DENY"), NULL }, r);
	free(text);
}

Test(cli, files_dev_full_is_written_into_and_its_enospc_named_by_every_writer)
{
	struct result r;

	NEED_ROOT("a private /dev");
	in_private_dev("\"$0\" seccomp --policy deny-userns --format oci -o /dev/full; echo \"seccomp $?\"\n"
		       "\"$0\" run --json-status /dev/full -- true; echo \"run $?\"\n"
		       "\"$0\" trace -o /dev/full -- sh -c '/bin/true; true'; echo \"trace $?\"\n"
		       "stat -c '%n: %F %t:%T' /dev/full; ls -A /dev | tr '\\n' ' '\n", &r);
	assert_status(&r, 0);
	assert_out_eq(&r, "clonekit seccomp: writing /dev/full as oci: export: ENOSPC (No space left on device)\n"
			  "seccomp 1\n"
			  "clonekit run: --json-status /dev/full: write: ENOSPC (No space left on device)\n"
			  "run 0\n"
			  "clonekit trace: -o /dev/full: write: ENOSPC (No space left on device)\n"
			  "trace 125\n"
			  "/dev/full: character special file 1:7\n"
			  "fd full null stderr stdin stdout zero ");
	result_free(&r);
}

Test(cli, files_dev_stdout_into_a_pipe_or_a_file_gets_the_output_and_stays_a_symlink)
{
	struct result r;

	NEED_ROOT("a private /dev");
	in_private_dev("\"$0\" seccomp --policy deny-userns --format pfc -o /dev/stdout | md5sum\n"
		       "\"$0\" seccomp --policy deny-userns --format pfc | md5sum\n"
		       "\"$0\" run --json-status /dev/stdout -- true | grep -c '\"exit_code\":0'\n"
		       "\"$0\" trace -o /dev/stdout -- sh -c '/bin/true; true' | grep -c ' = '\n"
		       /* a file the shell opened: written at its offset, not truncated */
		       "mkdir /dev/t && { echo header; \"$0\" seccomp --policy deny-userns --format oci "
		       "-o /dev/stdout; echo; echo footer; } > /dev/t/out\n"
		       "head -n 1 /dev/t/out; tail -n 1 /dev/t/out; wc -l < /dev/t/out\n"
		       "stat -c '%n: %F' /dev/stdout; ls -A /dev | tr '\\n' ' '\n", &r);
	assert_status(&r, 0);
	char *pfc = export_text("pfc"), want[4096], sum[256];
	struct result md5;
	run(pfc, (char *const[]){ "md5sum", NULL }, &md5);
	snprintf(sum, sizeof(sum), "%s", md5.out);
	result_free(&md5);
	snprintf(want, sizeof(want), "%s%s1\n1\nheader\nfooter\n4\n/dev/stdout: symbolic link\n"
		 "fd full null stderr stdin stdout t zero ", sum, sum);
	assert_out_eq(&r, want);
	free(pfc);
	result_free(&r);
}

Test(cli, files_a_fifo_is_written_into_and_stays_a_fifo)
{
	char dir[] = "/tmp/ck-files-fifo-XXXXXX";
	struct result r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	/* timeout ends only a reader no writer ever reaches (an older clonekit renamed over the FIFO) */
	run(NULL, (char *const[]){ "sh", "-c",
				   "mkfifo \"$1/p\" && { timeout 60 cat \"$1/p\" > \"$1/got\" & }\n"
				   "\"$0\" seccomp --policy deny-userns --format oci -o \"$1/p\"; echo \"seccomp $?\"\n"
				   "wait; \"$0\" seccomp --policy deny-userns --format oci | cmp - \"$1/got\" && echo same\n"
				   "{ timeout 60 cat \"$1/p\" > \"$1/got\" & }\n"
				   "\"$0\" run --json-status \"$1/p\" -- true; echo \"run $?\"; wait\n"
				   "grep -c '\"exit_code\":0' \"$1/got\"; stat -c %F \"$1/p\"",
				   (char *)env_path("CLONEKIT_BIN"), dir, NULL }, &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_out_eq(&r, "seccomp 0\nsame\nrun 0\n1\nfifo\n");
	assert_listing(dir, "got p");
	result_free(&r);
	remove_tree(dir);
}

Test(cli, files_a_fifo_another_user_planted_in_a_sticky_directory_is_refused)
{
	char dir[] = "/tmp/ck-files-pfifo-XXXXXX", p[256], script[512], want[2048], refusal[1024];
	struct result r;

	NEED_ROOT("planting a FIFO as uid 65534");
	sticky_dir(dir);
	snprintf(p, sizeof(p), "%s/p", dir);
	snprintf(script, sizeof(script), "mkfifo -m 666 %s", p);
	as_nobody(script);
	snprintf(refusal, sizeof(refusal),
		 "refusing to write into the FIFO %s: uid 65534 owns it, in the sticky world-writable "
		 "directory %s that uid 0 owns (the rule of fs.protected_fifos): EACCES (Permission "
		 "denied)\n", p, dir);
	/* timeout ends a writer that waits for a reader: one that opened the FIFO */
	run(NULL, (char *const[]){ "timeout", "60", (char *)env_path("CLONEKIT_BIN"), "seccomp",
				   "--policy", "deny-userns", "--format", "oci", "-o", p, NULL }, &r);
	assert_status(&r, 1);
	snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: %s", p, refusal);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	run(NULL, (char *const[]){ "timeout", "60", (char *)env_path("CLONEKIT_BIN"), "run",
				   "--json-status", p, "--", "true", NULL }, &r);
	assert_status(&r, 0);
	snprintf(want, sizeof(want), "clonekit run: --json-status %s: %s", p, refusal);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	struct stat sb;
	cr_assert(lstat(p, &sb) == 0 && S_ISFIFO(sb.st_mode) && sb.st_uid == 65534);
	assert_listing(dir, "p");
	remove_tree(dir);
}

Test(cli, files_a_replaced_file_keeps_the_mode_it_had_only_when_it_was_the_callers)
{
	char dir[] = "/tmp/ck-files-mode-XXXXXX", mine[256], theirs[256], st[256], tr[256];
	struct result r;

	NEED_ROOT("a file of uid 65534's");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(mine, sizeof(mine), "%s/mine.json", dir);
	snprintf(theirs, sizeof(theirs), "%s/theirs.json", dir);
	snprintf(st, sizeof(st), "%s/status.json", dir);
	snprintf(tr, sizeof(tr), "%s/trace.log", dir);
	write_text(mine, "old\n", 0600);
	write_text(theirs, "old\n", 0666);
	cr_assert_eq(chown(theirs, 65534, 65534), 0);
	mode_t old = umask(027);
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", mine);
	assert_status(&r, 0);
	result_free(&r);
	/* the file becomes the caller's: the old owner must not be able to change it */
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", theirs);
	assert_status(&r, 0);
	result_free(&r);
	/* new files: run and trace follow the umask as the shell's '>' does */
	CK(&r, NULL, "run", "--json-status", st, "--", "true");
	assert_status(&r, 0);
	result_free(&r);
	CK(&r, NULL, "trace", "-o", tr, "--", "true");
	assert_status(&r, 0);
	result_free(&r);
	umask(old);
	char *want = export_text("oci");
	assert_file(mine, want, 0600, 0);
	assert_file(theirs, want, 0644, 0);
	free(want);
	struct stat sb;
	cr_assert_eq(stat(st, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0640, "status file mode %o under umask 027", sb.st_mode & 07777);
	cr_assert_eq(stat(tr, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0640, "trace log mode %o under umask 027", sb.st_mode & 07777);
	assert_listing(dir, "mine.json status.json theirs.json trace.log");
	remove_tree(dir);
}

Test(cli, files_trace_output_is_in_place_while_the_command_runs)
{
	char dir[] = "/tmp/ck-files-log-XXXXXX", log[256], script[512];
	struct result r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(log, sizeof(log), "%s/trace.log", dir);
	write_text(log, "an older log\n", 0644);
	/* a reader can follow the log by name while the command runs */
	snprintf(script, sizeof(script), "/bin/true; ! grep -q older %s && ls -A %s", log, dir);
	CK(&r, NULL, "trace", "-o", log, "--", "sh", "-c", script);
	assert_status(&r, 0);
	assert_out_eq(&r, "trace.log\n");
	result_free(&r);
	size_t len;
	char *text = read_whole(log, &len);
	cr_assert(len > 0 && memmem(text, len, " = ", 3), "the log holds '%.*s'", (int)len, text);
	free(text);
	assert_listing(dir, "trace.log");
	remove_tree(dir);
}

Test(cli, files_are_synced_before_they_are_renamed_into_place)
{
	char dir[] = "/tmp/ck-files-sync-XXXXXX", path[256];
	struct result r;
	int fsync_fd = -1, link_fd = -1, dir_fd = -1, rename_from = -1, rename_to = -1;
	char tmp[64] = "", moved[64] = "", target[64] = "";

	if (access("/usr/bin/strace", X_OK) != 0)
		ck_skip_or_fail("/usr/bin/strace is missing (scripts/deps.sh installs it)");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/f.json", dir);
	/* LeakSanitizer cannot run under ptrace: an ASan build's leak check is left out here */
	run(NULL, (char *const[]){ "/usr/bin/strace", "-qq", "-E", "ASAN_OPTIONS=detect_leaks=0", "-e",
				   "trace=fsync,fdatasync,linkat,rename,renameat,renameat2",
				   (char *)env_path("CLONEKIT_BIN"), "seccomp", "--policy", "deny-userns",
				   "--format", "oci", "-o", path, NULL }, &r);
	assert_status(&r, 0);
	/* fsync(N), then linkat(N, "", D, T, AT_EMPTY_PATH), then renameat(D, T, D, "f.json"), nothing else */
	cr_assert_eq(count_lines(r.err), 3, "%s", r.err);
	cr_assert_eq(sscanf(nth_line(r.err, 0), "fsync(%d) = 0", &fsync_fd), 1, "%s", r.err);
	cr_assert_eq(sscanf(nth_line(r.err, 1), "linkat(%d, \"\", %d, \"%63[^\"]\", AT_EMPTY_PATH) = 0",
			    &link_fd, &dir_fd, tmp), 3, "%s", r.err);
	cr_assert(sscanf(nth_line(r.err, 2), "renameat(%d, \"%63[^\"]\", %d, \"%63[^\"]\") = 0",
			 &rename_from, moved, &rename_to, target) == 4 ||
		  sscanf(nth_line(r.err, 2), "renameat2(%d, \"%63[^\"]\", %d, \"%63[^\"]\", 0) = 0",
			 &rename_from, moved, &rename_to, target) == 4, "%s", r.err);
	cr_assert_eq(fsync_fd, link_fd, "%s", r.err);
	cr_assert(rename_from == dir_fd && rename_to == dir_fd, "%s", r.err);
	cr_assert_str_eq(moved, tmp);
	cr_assert_str_eq(target, "f.json");
	cr_assert(starts_with(tmp, ".clonekit-") && strlen(tmp) == 26, "temporary '%s'", tmp);
	result_free(&r);
	assert_listing(dir, "f.json");
	remove_tree(dir);
}

Test(cli, files_a_directory_the_caller_cannot_write_is_an_error_naming_it_and_nothing_changes)
{
	char dir[] = "/tmp/ck-files-ro-XXXXXX", f[256], fresh[256], want[2048];
	struct result r;

	NEED_ROOT("becoming uid 65534");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(f, sizeof(f), "%s/f.json", dir);
	snprintf(fresh, sizeof(fresh), "%s/new.json", dir);
	/* writable by uid 65534, in a directory it cannot write: it is not replaced in place */
	write_text(f, "old\n", 0666);
	for (int i = 0; i < 2; i++) {
		const char *path = i ? fresh : f;
		run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
					   "--inh-caps=-all", (char *)env_path("CLONEKIT_BIN"), "seccomp",
					   "--policy", "deny-userns", "--format", "oci", "-o", (char *)path, NULL },
		    &r);
		assert_status(&r, 1);
		assert_out_eq(&r, "");
		snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: creating a temporary in "
			 "%s (the new file is written beside the old one and renamed over it): EACCES "
			 "(Permission denied)\n", path, dir);
		cr_assert_str_eq(r.err, want);
		result_free(&r);
	}
	assert_file(f, "old\n", 0666, 0);
	assert_listing(dir, "f.json");
	remove_tree(dir);
}

/* A full tmpfs of its own, in a private mount namespace, for the script after it. */
#define FULL_FS "mkdir /dev/small && mount -t tmpfs -o size=16k ck-small /dev/small && " \
		"echo old > /dev/small/f.json && " \
		"{ dd if=/dev/zero of=/dev/small/fill bs=4k 2>/dev/null; true; } && "

Test(cli, files_a_full_filesystem_fails_with_enospc_and_leaves_the_old_file_whole_and_no_temporary)
{
	struct result r;

	NEED_ROOT("a tmpfs of its own");
	/* the second time without O_TMPFILE: through a named temporary, which must go too */
	in_private_dev(FULL_FS
		       "\"$0\" seccomp --policy deny-namespaces --format oci -o /dev/small/f.json; echo \"seccomp $?\"\n"
		       "\"$1\" --tmpfile -- \"$0\" seccomp --policy deny-namespaces --format oci -o /dev/small/f.json; echo \"named $?\"\n"
		       "\"$0\" run --json-status /dev/small/f.json -- true; echo \"run $?\"\n"
		       "cat /dev/small/f.json; ls -A /dev/small | tr '\\n' ' '\n", &r);
	assert_status(&r, 0);
	assert_out_eq(&r, "clonekit seccomp: writing /dev/small/f.json as oci: export: ENOSPC (No space left on device)\n"
			  "seccomp 1\n"
			  "clonekit seccomp: writing /dev/small/f.json as oci: export: ENOSPC (No space left on device)\n"
			  "named 1\n"
			  "clonekit run: --json-status /dev/small/f.json: write: ENOSPC (No space left on device)\n"
			  "run 0\n"
			  "old\n"
			  "f.json fill ");
	result_free(&r);
}

Test(cli, files_without_o_tmpfile_a_named_temporary_is_used_and_none_is_left)
{
	char dir[] = "/tmp/ck-files-named-XXXXXX", path[256];
	struct result r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/f.json", dir);
	run(NULL, (char *const[]){ (char *)env_path("CLONEKIT_DENY"), "--tmpfile", "--",
				   (char *)env_path("CLONEKIT_BIN"), "seccomp", "--policy", "deny-userns",
				   "--format", "oci", "-o", path, NULL }, &r);
	assert_status(&r, 0);
	assert_err_empty(&r);
	result_free(&r);
	char *want = export_text("oci");
	assert_file(path, want, 0644, geteuid());
	free(want);
	assert_listing(dir, "f.json");
	remove_tree(dir);
}

Test(cli, files_a_user_writes_into_a_sticky_directory_but_replaces_no_other_users_file_there)
{
	char dir[] = "/tmp/ck-files-user-XXXXXX", mine[256], roots[256], want[2048];
	struct result r;

	NEED_ROOT("becoming uid 65534");
	sticky_dir(dir);
	snprintf(mine, sizeof(mine), "%s/mine.json", dir);
	snprintf(roots, sizeof(roots), "%s/roots.json", dir);
	write_text(roots, "root's\n", 0666);
	for (int i = 0; i < 2; i++) {
		const char *path = i ? roots : mine;
		run(NULL, (char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
					   "--inh-caps=-all", (char *)env_path("CLONEKIT_BIN"), "seccomp",
					   "--policy", "deny-userns", "--format", "oci", "-o", (char *)path, NULL },
		    &r);
		if (i == 0) {
			/* without CAP_DAC_READ_SEARCH the unnamed file is linked through /proc/self/fd */
			assert_status(&r, 0);
			assert_err_empty(&r);
		} else {
			assert_status(&r, 1);
			snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: replacing %s (in a "
				 "sticky directory only the file's owner, the directory's or root may): EPERM "
				 "(Operation not permitted)\n", path, path);
			cr_assert_str_eq(r.err, want);
		}
		result_free(&r);
	}
	char *text = export_text("oci");
	assert_file(mine, text, 0644, 65534);
	free(text);
	assert_file(roots, "root's\n", 0666, 0);
	assert_listing(dir, "mine.json roots.json");
	remove_tree(dir);
}

Test(cli, files_a_symlink_planted_as_a_directory_of_the_path_is_refused_and_a_loop_is_eloop)
{
	char dir[] = "/tmp/ck-files-dirlink-XXXXXX", victims[] = "/tmp/ck-files-victims-XXXXXX";
	char script[1024], out[256], loop[256], want[2048];
	struct result r;

	NEED_ROOT("planting a symlink as uid 65534");
	sticky_dir(dir);
	cr_assert_not_null(mkdtemp(victims), "mkdtemp: %s", strerror(errno));
	/* dir/evil -> victims: -o dir/evil/passwd would replace victims/passwd */
	snprintf(script, sizeof(script), "ln -s %s %s/evil", victims, dir);
	as_nobody(script);
	snprintf(out, sizeof(out), "%s/evil/passwd", dir);
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", out);
	assert_status(&r, 1);
	snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: refusing to follow the symlink "
		 "%s/evil: uid 65534 owns it, in the sticky world-writable directory %s that uid 0 owns "
		 "(the rule of fs.protected_symlinks): EACCES (Permission denied)\n", out, dir, dir);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	assert_listing(victims, "");

	/* links of the caller's own that lead round in a circle */
	char mine[] = "/tmp/ck-files-loop-XXXXXX";
	cr_assert_not_null(mkdtemp(mine), "mkdtemp: %s", strerror(errno));
	snprintf(loop, sizeof(loop), "%s/a", mine);
	cr_assert_eq(symlink("b", loop), 0);
	snprintf(loop, sizeof(loop), "%s/b", mine);
	cr_assert_eq(symlink("a", loop), 0);
	CK(&r, NULL, "seccomp", "--policy", "deny-userns", "--format", "oci", "-o", loop);
	assert_status(&r, 1);
	snprintf(want, sizeof(want), "clonekit seccomp: writing %s as oci: following the symlinks of %s: "
		 "ELOOP (Too many levels of symbolic links)\n", loop, loop);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	assert_listing(mine, "a b");
	remove_tree(dir);
	remove_tree(victims);
	remove_tree(mine);
}

/* ---- kacs ---- */

/* The default process SD of SYSTEM's token (K20 5-psb/3-process-sd.md) as SDDL. */
#define KACS_SYSTEM_SD_SDDL "O:SYG:SYD:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;SY)(A;;0x1000;;;WD)C:OD|GD|DD"

static const struct cli_case kacs_cases[] = {
	{ "kacs --json lists the subcommands", { "kacs", "--json" }, NULL, 0,
	  "{\"subcommands\":[{\"name\":\"sddl\",\"summary\":\"SDDL to a binary security descriptor "
	  "(hex or a file), and back\"},{\"name\":\"token\",\"summary\":\"a token (a preset "
	  "or a v2 wire spec) as a person reads it, or its spec\"},{\"name\":\"check\",\"summary\":\"AccessCheck "
	  "or the process two-check rule, granted or why not\"},{\"name\":\"sign\",\"summary\":\"sign "
	  "a file for PIP: its .peios.sig section, or its security.peios.sig xattr\"},{\"name\":\"verify\",\"summary\":\"the "
	  "PIP type and trust a file would get at exec, or unsigned and why\"},{\"name\":\"run\",\"summary\":\"run "
	  "a command under the supervisor: tokens, SDs and PIP enforced on its tree\"}]}\n", "" },
	{ "kacs: a misspelt subcommand gets the nearest", { "kacs", "sdl" }, NULL, 2, "",
	  USAGE("kacs", "unknown subcommand 'sdl'; did you mean 'sddl'?") },
	{ "kacs: an unknown subcommand is named", { "kacs", "frobnicate" }, NULL, 2, "",
	  USAGE("kacs", "unknown subcommand 'frobnicate'") },
	{ "kacs: its own options are exact", { "kacs", "--jsn" }, NULL, 2, "",
	  USAGE("kacs", "unknown option '--jsn'; did you mean '--json'?") },
	{ "sddl: SDDL to the hex of the SD", { "kacs", "sddl", "D:(A;;GA;;;SY)" }, NULL, 0,
	  "010004800000000000000000000000001400000002001c00010000000000140000000010010100000000000512000000\n", "" },
	{ "sddl: the empty SDDL is a bare header (no DACL: the NULL DACL)", { "kacs", "sddl", "" }, NULL, 0,
	  "0100008000000000000000000000000000000000\n", "" },
	{ "sddl --json: the SDDL as format writes it, the size and the hex", { "kacs", "sddl", "--json", "G:BAO:SYD:P(A;;GA;;;S-1-5-18)" },
	  NULL, 0,
	  "{\"sddl\":\"O:SYG:BAD:P(A;;GA;;;SY)\",\"size\":76,\"hex\":\"01000490140000002000000000000000"
	  "300000000101000000000005120000000102000000000005200000002002000002001c000100000000001400000000100101"
	  "00000000000512000000\"}\n", "" },
	{ "sddl -: the text from stdin, its newline taken off", { "kacs", "sddl", "-" }, "S:(ML;;NW;;;ME)\r\n", 0,
	  "010010800000000000000000140000000000000002001c00010000001100140002000000010100000000001000200000\n", "" },
	{ "sddl --decode HEX: back to SDDL", { "kacs", "sddl", "--decode",
	  "010004800000000000000000000000001400000002001c00010000000000140000000010010100000000000512000000" }, NULL, 0,
	  "D:(A;;GA;;;SY)\n", "" },
	{ "sddl --decode --json: a non-canonical SD (4 trailing bytes) says so", { "kacs", "sddl", "--decode", "--json",
	  "010004800000000000000000000000001400000002001c0001000000000014000000001001010000000000051200000000000000" },
	  NULL, 0,
	  "{\"sddl\":\"D:(A;;GA;;;SY)\",\"size\":52,\"hex\":\"010004800000000000000000000000001400000002001c00"
	  "01000000000014000000001001010000000000051200000000000000\",\"canonical\":false}\n", "" },
	{ "sddl: a bad right is named by its column, under the text", { "kacs", "sddl", "D:(A;;GZ;;;SY)" }, NULL, 2, "",
	  "clonekit kacs sddl: SDDL: EINVAL: column 6: 'GZ' is no right (GA GR GW GX RC SD WD WO, or 0x hex)\n"
	  "  D:(A;;GZ;;;SY)\n"
	  "        ^\n" },
	{ "sddl --json: an error is a JSON line", { "kacs", "sddl", "--json", "D:(A;;0x2000000;;;SY)" }, NULL, 2,
	  "{\"error\":\"EINVAL\",\"column\":6,\"message\":\"column 6: DACL ACE 0: mask 0x02000000 holds MAXIMUM_ALLOWED, "
	  "which no ACE may\"}\n", "" },
	{ "sddl: an object ACE is valid but not kept: exit 1", { "kacs", "sddl", "D:(OA;;GA;;;SY)" }, NULL, 1, "",
	  "clonekit kacs sddl: SDDL: EOPNOTSUPP: column 3: ACE type 'OA' (object, callback, resource-attribute or "
	  "scoped-policy) is not one this library keeps\n  D:(OA;;GA;;;SY)\n     ^\n" },
	{ "sddl --decode: a malformed SD is named by its offset", { "kacs", "sddl", "--decode",
	  "020004800000000000000000000000001400000002001c00010000000000140000000010010100000000000512000000" }, NULL, 2, "",
	  "clonekit kacs sddl: HEX: EINVAL: offset 0: SD revision 2, must be 1\n" },
	{ "sddl --decode: an object ACE in binary: exit 1", { "kacs", "sddl", "--decode",
	  "010004800000000000000000000000001400000002001c00010000000500140000000010010100000000000512000000" }, NULL, 1, "",
	  "clonekit kacs sddl: HEX: EOPNOTSUPP: offset 28: DACL ACE 0: type 0x05 is an object ACE (GUID-scoped), which "
	  "this library does not keep\n" },
	{ "sddl --decode: odd hex", { "kacs", "sddl", "--decode", "012" }, NULL, 2, "",
	  USAGE("kacs sddl", "HEX has an odd number of digits (3)") },
	{ "sddl --decode: a missing file", { "kacs", "sddl", "--decode", "/nonexistent/sd" }, NULL, 2, "",
	  "clonekit kacs sddl: /nonexistent/sd: No such file or directory\n" },
	{ "sddl: no text", { "kacs", "sddl" }, NULL, 2, "", USAGE("kacs sddl", "no SDDL TEXT or - given") },
	{ "sddl --decode: nothing", { "kacs", "sddl", "--decode" }, NULL, 2, "", USAGE("kacs sddl", "no FILE, HEX or - given") },
	{ "sddl: one text", { "kacs", "sddl", "D:", "S:" }, NULL, 2, "",
	  USAGE("kacs sddl", "one TEXT at a time, got 'D:' and 'S:'") },
	{ "sddl: -o and --decode", { "kacs", "sddl", "--decode", "-o", "x", "00" }, NULL, 2, "",
	  USAGE("kacs sddl", "-o writes the binary SD; --decode prints SDDL") },
	{ "sddl: options are exact", { "kacs", "sddl", "--decod", "00" }, NULL, 2, "",
	  USAGE("kacs sddl", "unknown option '--decod'; did you mean '--decode'?") },
};

Test(cli, kacs_converts_and_refuses_exactly_as_its_table_says)
{
	EXPECT_CASES(kacs_cases);
}

Test(cli, kacs_without_a_subcommand_exits_2_with_its_usage_on_stderr)
{
	struct result r, help;
	CK(&r, NULL, "kacs");
	CK(&help, NULL, "kacs", "--help");
	assert_status(&r, 2);
	assert_out_eq(&r, "");
	cr_assert(starts_with(r.err, "Usage: clonekit kacs SUBCOMMAND"), "%s", r.err);
	cr_assert_str_eq(r.err, help.out);
	result_free(&r);
	result_free(&help);
}

Test(cli, kacs_sddl_writes_the_sd_to_a_file_and_decodes_it_from_the_file_and_stdin)
{
	char dir[] = "/tmp/ck-kacs-XXXXXX", path[64];
	struct result r;
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/sd.bin", dir);
	CK(&r, NULL, "kacs", "sddl", "-o", path, "--json", KACS_SYSTEM_SD_SDDL);
	assert_status(&r, 0);
	assert_err_empty(&r);
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"file\":\""), "%s", r.out);
	result_free(&r);

	uint8_t bytes[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, bytes, sizeof(bytes));
	close(fd);
	/* 20 header + 2 * 12 SIDs + 8 + 20 + 24 + 20 + 20 */
	cr_assert_eq(n, 136);
	cr_assert_eq(bytes[0], 1);
	cr_assert_eq(bytes[2], 0x0f);
	cr_assert_eq(bytes[3], 0x80);

	CK(&r, NULL, "kacs", "sddl", "--decode", path);
	assert_status(&r, 0);
	assert_out_eq(&r, KACS_SYSTEM_SD_SDDL "\n");
	result_free(&r);
	/* the bytes on stdin, NULs and all */
	run_bytes((const char *)bytes, (size_t)n,
		  (char *const[]){ (char *)env_path("CLONEKIT_BIN"), "kacs", "sddl", "--decode", "-", NULL }, &r);
	assert_status(&r, 0);
	assert_out_eq(&r, KACS_SYSTEM_SD_SDDL "\n");
	result_free(&r);
	/* cut short */
	run_bytes((const char *)bytes, 100,
		  (char *const[]){ (char *)env_path("CLONEKIT_BIN"), "kacs", "sddl", "--decode", "-", NULL }, &r);
	assert_status(&r, 2);
	cr_assert_str_eq(r.err, "clonekit kacs sddl: standard input: EINVAL: offset 46: DACL AclSize 92 runs past the end "
				"of the input (56 bytes left)\n");
	result_free(&r);
	unlink(path);
	rmdir(dir);
}

Test(cli, kacs_sddl_names_a_nul_byte_on_stdin_instead_of_cutting_the_text)
{
	static const char input[] = "D:(A;;GA;;;SY)\0(A;;GA;;;BA)\n";
	struct result r;
	run_bytes(input, sizeof(input) - 1,
		  (char *const[]){ (char *)env_path("CLONEKIT_BIN"), "kacs", "sddl", "-", NULL }, &r);
	assert_status(&r, 2);
	assert_out_eq(&r, "");
	cr_assert_str_eq(r.err, "clonekit kacs sddl: standard input: a NUL byte at offset 14\n");
	result_free(&r);
}

Test(cli, kacs_sddl_refuses_an_sd_file_over_65535_bytes)
{
	char dir[] = "/tmp/ck-kacs-XXXXXX", path[64];
	struct result r;
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 70000), 0);
	close(fd);
	CK(&r, NULL, "kacs", "sddl", "--decode", path);
	assert_status(&r, 2);
	char want[256];
	snprintf(want, sizeof(want), "clonekit kacs sddl: %s: longer than 65536 bytes\n", path);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	unlink(path);
	rmdir(dir);
}

/* ---- kacs check ---- */

#include <clonekit/kacs.h>

/* The default process SD of the `user` preset's process (K20 5-psb/3-process-sd.md). */
#define USER_SID "S-1-5-21-1-2-3-1001"
#define USER_PROCESS_SD "O:" USER_SID "G:" USER_SID "D:(A;;GA;;;" USER_SID ")(A;;GA;;;BA)(A;;GA;;;SY)(A;;0x1000;;;WD)"

static const struct cli_case kacs_check_cases[] = {
	{ "check: a Low process is granted TERMINATE and QUERY_LIMITED by its user's process SD (v0.20)",
	  { "kacs", "check", "--token", "low", "--sd", USER_PROCESS_SD, "--desired", "TERMINATE,QUERY_LIMITED" }, NULL, 0,
	  "granted 0x1001 (TERMINATE,QUERY_LIMITED): TERMINATE,QUERY_LIMITED by DACL ACE 0 (allow GA to " USER_SID ")\n",
	  "" },
	{ "check: but never SIGNAL or VM_WRITE: EACCES and why, exit 1",
	  { "kacs", "check", "--token", "low", "--sd", USER_PROCESS_SD, "--desired", "SIGNAL,VM_WRITE" }, NULL, 1,
	  "EACCES: SIGNAL,VM_WRITE refused: the caller's integrity (Low) is below the default label of an unlabelled "
	  "object (Medium, NO_WRITE_UP)\n", "" },
	{ "check: GA as hex is the whole mapping; the owner's implicit rights are named",
	  { "kacs", "check", "--token", "user", "--sd", "O:" USER_SID "D:(A;;0x1;;;WD)", "--desired", "0x60001" }, NULL, 0,
	  "granted 0x60001 (TERMINATE,READ_CONTROL,WRITE_DAC): TERMINATE by DACL ACE 0 (allow TERMINATE to WD); "
	  "READ_CONTROL,WRITE_DAC as the owner's implicit right\n", "" },
	{ "check --target-pip: the two-check rule; PIP refuses what the SD grants",
	  { "kacs", "check", "--token", "user", "--sd", USER_PROCESS_SD, "--desired", "VM_WRITE", "--target-pip",
	    "protected:8192" }, NULL, 1,
	  "EACCES: VM_WRITE refused: the caller's PIP (None/0) does not dominate the target's (Protected/8192)\n", "" },
	{ "check --target-pip: a dominating caller passes",
	  { "kacs", "check", "--token", "user", "--sd", USER_PROCESS_SD, "--desired=VM_WRITE", "--pip", "512:8192",
	    "--target-pip", "protected:8192" }, NULL, 0,
	  "granted 0x20 (VM_WRITE): VM_WRITE by DACL ACE 0 (allow GA to " USER_SID ")\n", "" },
	{ "check --target-pip: SeDebugPrivilege waives the SD",
	  { "kacs", "check", "--token", "system", "--sd", "O:BAD:", "--desired", "VM_WRITE", "--target-pip", "none:0" },
	  NULL, 0, "granted 0x20 (VM_WRITE): VM_WRITE by SeDebugPrivilege over the process SD\n", "" },
	{ "check --target-pip: but never PIP",
	  { "kacs", "check", "--token", "system", "--sd", "O:BAD:", "--desired", "VM_WRITE", "--target-pip", "isolated:1" },
	  NULL, 1, "EACCES: VM_WRITE refused: the caller's PIP (None/0) does not dominate the target's (Isolated/1)\n", "" },
	{ "check: without --target-pip SeDebugPrivilege does nothing (plain AccessCheck)",
	  { "kacs", "check", "--token", "system", "--sd", "O:BAD:", "--desired", "VM_WRITE" }, NULL, 1,
	  "EACCES: VM_WRITE refused: no ACE grants it\n", "" },
	{ "check --profile v0.22: the Low process's own SD carries its label",
	  { "kacs", "check", "--token", "low", "--sd", "O:" USER_SID "D:(A;;GA;;;" USER_SID ")S:(ML;;NW;;;LW)", "--desired",
	    "SIGNAL", "--profile", "v0.22" }, NULL, 0,
	  "granted 0x2 (SIGNAL): SIGNAL by DACL ACE 0 (allow GA to " USER_SID ")\n", "" },
	{ "check --pip: an object's trust label", { "kacs", "check", "--token", "user", "--sd",
	  "O:SYD:(A;;GA;;;WD)S:(TL;;0x1000;;;S-1-19-512-8192)", "--desired", "TERMINATE" }, NULL, 1,
	  "EACCES: TERMINATE refused: the caller's PIP (None/0) does not dominate the object's trust label "
	  "(Protected/8192, SACL ACE 0, which allows QUERY_LIMITED)\n", "" },
	{ "check --intent: SeRestorePrivilege counts with restore intent",
	  { "kacs", "check", "--token", "system", "--sd", "O:BAD:", "--desired", "WRITE_OWNER", "--intent", "restore" },
	  NULL, 0, "granted 0x80000 (WRITE_OWNER): WRITE_OWNER by SeRestorePrivilege\n", "" },
	{ "check --object token: the token mapping", { "kacs", "check", "--token", "user", "--sd",
	  "O:SYD:(A;;0xE8;;;" USER_SID ")", "--desired", "GR", "--object", "token" }, NULL, 1,
	  "EACCES: READ_CONTROL refused: no ACE grants it\n", "" },
	{ "check: MAXIMUM_ALLOWED with nothing granted still succeeds (K20 2-dacl-walk.md)",
	  { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired", "MAXIMUM_ALLOWED" }, NULL, 0,
	  "granted 0 (nothing)\n", "" },
	{ "check: an SD without an owner is EINVAL, exit 1", { "kacs", "check", "--token", "user", "--sd", "D:",
	  "--desired", "QUERY_LIMITED" }, NULL, 1,
	  "EINVAL: invalid: the security descriptor has no owner, a label SID is not S-1-16-X or S-1-19-TYPE-TRUST, or "
	  "the token or request is out of range\n", "" },
	{ "check --json: one line", { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired", "QUERY_LIMITED",
	  "--json" }, NULL, 1,
	  "{\"check\":\"access\",\"granted\":false,\"errno\":\"EACCES\",\"desired\":\"0x1000\",\"mask\":\"0\",\"rights\":\"\","
	  "\"privileges_used\":[],\"bits\":[{\"right\":\"QUERY_LIMITED\",\"granted\":false,\"why\":\"none\"}],"
	  "\"explain\":\"QUERY_LIMITED refused: no ACE grants it\"}\n", "" },
	{ "check --json: the two-check rule, SeDebugPrivilege used", { "kacs", "check", "--token", "system", "--sd",
	  "O:BAD:", "--desired", "VM_WRITE", "--target-pip", "none:0", "--json" }, NULL, 0,
	  "{\"check\":\"two-check\",\"granted\":true,\"errno\":null,\"desired\":\"0x20\",\"mask\":\"0x20\",\"rights\":"
	  "\"VM_WRITE\",\"privileges_used\":[\"SeDebugPrivilege\"],\"bits\":[{\"right\":\"VM_WRITE\",\"granted\":true,"
	  "\"why\":\"debug\"}],\"explain\":\"granted 0x20 (VM_WRITE): VM_WRITE by SeDebugPrivilege over the process SD\"}\n",
	  "" },
	{ "check: an unknown preset", { "kacs", "check", "--token", "nobody", "--sd", "O:SYD:", "--desired", "GA" }, NULL, 2,
	  "", USAGE("kacs check", "--token 'nobody' is no preset (system, admin, user, low) nor @FILE") },
	{ "check: a bad SD is named by its column", { "kacs", "check", "--token", "user", "--sd", "O:SYD:(A;;GZ;;;WD)",
	  "--desired", "GA" }, NULL, 2, "",
	  USAGE("kacs check", "--sd: column 10: 'GZ' is no right (GA GR GW GX RC SD WD WO, or 0x hex)") },
	{ "check: a bad right", { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired", "TERMINATE,FROB" },
	  NULL, 2, "", USAGE("kacs check", "--desired: column 10: 'FROB' is no process right (names, GA GR GW GX, RC SD WD "
				 "WO, MAXIMUM_ALLOWED, or a number)") },
	{ "check: --enable needs a privilege the token holds", { "kacs", "check", "--token", "user", "--sd", "O:SYD:",
	  "--desired", "GA", "--enable", "SeDebugPrivilege" }, NULL, 2, "",
	  USAGE("kacs check", "--enable: entry 0: SeDebugPrivilege (luid 20) is not present on the token: it cannot be "
			      "enabled") },
	{ "check: --enable takes catalog names only", { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired",
	  "GA", "--enable", "SeFrobPrivilege" }, NULL, 2, "",
	  USAGE("kacs check", "--enable: 'SeFrobPrivilege' is no privilege of the catalog") },
	{ "check: a bad PIP", { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired", "GA", "--pip", "512" },
	  NULL, 2, "", USAGE("kacs check", "--pip '512': TYPE:TRUST, TYPE none, protected, isolated or a number") },
	{ "check: a missing option is named", { "kacs", "check", "--token", "user", "--desired", "GA" }, NULL, 2, "",
	  USAGE("kacs check", "--token, --sd and --desired are needed (missing --sd)") },
	{ "check: a bad profile", { "kacs", "check", "--token", "user", "--sd", "O:SYD:", "--desired", "GA", "--profile",
	  "v0.21" }, NULL, 2, "", USAGE("kacs check", "--profile 'v0.21': v0.20 or v0.22") },
	{ "check: options are exact", { "kacs", "check", "--tokens", "user" }, NULL, 2, "",
	  USAGE("kacs check", "unknown option '--tokens'; did you mean '--token'?") },
};

Test(cli, kacs_check_answers_and_explains_exactly_as_its_table_says)
{
	EXPECT_CASES(kacs_check_cases);
}

Test(cli, kacs_check_reads_a_token_spec_from_a_file)
{
	char dir[] = "/tmp/ck-kacs-check-XXXXXX", path[64], arg[80];
	struct ck_kacs_token *t = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	struct result r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/low.tok", dir);
	snprintf(arg, sizeof(arg), "@%s", path);
	/* the low preset as its kacs_create_token spec */
	cr_assert_eq(ck_kacs_token_preset("low", CK_KACS_V0_20, NULL, &t), 0);
	cr_assert_eq(ck_kacs_token_to_wire(t, &wire, &len), 0);
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(wire, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	CK(&r, NULL, "kacs", "check", "--token", arg, "--sd", USER_PROCESS_SD, "--desired", "VM_WRITE");
	assert_status(&r, 1);
	cr_assert_str_eq(r.out, "EACCES: VM_WRITE refused: the caller's integrity (Low) is below the default label of an "
				"unlabelled object (Medium, NO_WRITE_UP)\n");
	assert_err_empty(&r);
	result_free(&r);
	/* a spec cut short is refused with the offset and the rule */
	f = fopen(path, "we");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(wire, 1, 100, f), 100);
	cr_assert_eq(fclose(f), 0);
	CK(&r, NULL, "kacs", "check", "--token", arg, "--sd", USER_PROCESS_SD, "--desired", "VM_WRITE");
	assert_status(&r, 2);
	assert_out_eq(&r, "");
	char want[256];
	snprintf(want, sizeof(want), "clonekit kacs check: --token %s: EINVAL: ", arg);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0 && strstr(r.err, "offset "), "%s", r.err);
	result_free(&r);
	CK(&r, NULL, "kacs", "check", "--token", "@/nonexistent/tok", "--sd", USER_PROCESS_SD, "--desired", "GA");
	assert_status(&r, 2);
	cr_assert_str_eq(r.err, "clonekit kacs check: /nonexistent/tok: No such file or directory\n");
	result_free(&r);
	free(wire);
	ck_kacs_token_free(t);
	unlink(path);
	rmdir(dir);
}

Test(cli, explain_says_what_the_kacs_model_does_for_the_four_flags_of_seed_002)
{
	struct result r;

	CK(&r, NULL, "explain", "untraced");
	assert_status(&r, 0);
	cr_assert(strstr(r.out, "\n    KACS: only the tracer's auto-attach is stopped; a later PTRACE_ATTACH needs VM_WRITE "
				"on the child's process SD plus PIP dominance (EACCES otherwise), and SeDebugPrivilege "
				"waives only the SD half\n"), "%s", r.out);
	result_free(&r);
	CK(&r, NULL, "explain", "thread|sighand|vm|pidfd|parent");
	cr_assert_eq(lines_starting(r.out, "    KACS: "), 3, "%s", r.out);
	cr_assert(strstr(r.out, "\n    KACS: the pidfd is issued without an AccessCheck, while pidfd_open of the same "
				"child would need QUERY_LIMITED on the child's process SD plus PIP dominance (EACCES "
				"otherwise)\n"), "%s", r.out);
	result_free(&r);
	/* a flag the model says nothing about has no such line; --json gives null */
	CK(&r, NULL, "explain", "vm");
	cr_assert_eq(lines_starting(r.out, "    KACS: "), 0, "%s", r.out);
	result_free(&r);
	CK(&r, NULL, "explain", "--json", "vm|parent");
	assert_json_lines(&r, 1);
	cr_assert(strstr(r.out, "\"name\":\"CLONE_VM\"") && strstr(r.out, "\"kacs\":null"), "%s", r.out);
	cr_assert(strstr(r.out, "\"kacs\":\"the child's process SD is built from the creating thread's primary token"),
		  "%s", r.out);
	result_free(&r);
}

/* ---- kacs token ---- */

static const struct cli_case kacs_token_cases[] = {
	{ "kacs token: an unknown preset", { "kacs", "token", "root" }, NULL, 2, "",
	  USAGE("kacs token", "unknown token preset 'root'; choose from system, admin, user, low, or @FILE for a v2 spec") },
	{ "kacs token: nothing given", { "kacs", "token" }, NULL, 2, "", USAGE("kacs token", "a PRESET or @FILE is needed") },
	{ "kacs token: one token at a time", { "kacs", "token", "user", "low" }, NULL, 2, "",
	  USAGE("kacs token", "one token at a time, got 'user' and 'low'") },
	{ "kacs token: --wire needs -o", { "kacs", "token", "--wire", "user" }, NULL, 2, "",
	  USAGE("kacs token", "--wire writes to -o FILE") },
	{ "kacs token: -o needs --wire", { "kacs", "token", "-o", "x", "user" }, NULL, 2, "",
	  USAGE("kacs token", "-o goes with --wire") },
	{ "kacs token: --wire and --json", { "kacs", "token", "--wire", "-o", "x", "--json", "user" }, NULL, 2, "",
	  USAGE("kacs token", "--wire and --json exclude each other") },
	{ "kacs token: an unknown profile", { "kacs", "token", "--profile", "v0.21", "user" }, NULL, 2, "",
	  USAGE("kacs token", "unknown profile 'v0.21'; choose v0.20 or v0.22") },
	{ "kacs token: options are exact", { "kacs", "token", "--jso", "user" }, NULL, 2, "",
	  USAGE("kacs token", "unknown option '--jso'; did you mean '--json'?") },
	{ "kacs token: a missing file", { "kacs", "token", "@/nonexistent/spec" }, NULL, 2, "",
	  "clonekit kacs token: /nonexistent/spec: No such file or directory\n" },
	{ "kacs token: a spec too short is refused with its rule (K20 6-abi-reference.md §5)", { "kacs", "token", "@-" },
	  "abc", 1, "",
	  "clonekit kacs token: standard input: EINVAL: offset 0: a token spec is 192 to 65536 bytes, this one 3 "
	  "(K20 6-abi-reference.md §5)\n" },
	{ "kacs token --json: a refusal is also a JSON line", { "kacs", "token", "--json", "@-" }, "abc", 1,
	  "{\"input\":\"@-\",\"error\":\"EINVAL\",\"offset\":0,\"message\":\"offset 0: a token spec is 192 to 65536 "
	  "bytes, this one 3 (K20 6-abi-reference.md §5)\"}\n",
	  "clonekit kacs token: standard input: EINVAL: offset 0: a token spec is 192 to 65536 bytes, this one 3 "
	  "(K20 6-abi-reference.md §5)\n" },
};

Test(cli, kacs_token_refuses_exactly_as_its_table_says)
{
	EXPECT_CASES(kacs_token_cases);
}

/* out without its "created" line, whose time changes. */
static void drop_created_line(char *out)
{
	char *c = strstr(out, "\ncreated ");
	cr_assert_not_null(c, "%s", out);
	char *end = strchr(c + 1, '\n');
	memmove(c, end, strlen(end) + 1);
}

Test(cli, kacs_token_prints_the_user_preset_as_a_person_reads_it)
{
	struct result r;
	CK(&r, NULL, "kacs", "token", "user");
	assert_status(&r, 0);
	assert_err_empty(&r);
	drop_created_line(r.out);
	assert_out_eq(&r,
		      "user             S-1-5-21-1-2-3-1001\n"
		      "groups           S-1-1-0 (WD)                         MANDATORY,ENABLED_BY_DEFAULT,ENABLED\n"
		      "                 S-1-5-11 (AU)                        MANDATORY,ENABLED_BY_DEFAULT,ENABLED\n"
		      "                 S-1-5-32-545 (BU)                    MANDATORY,ENABLED_BY_DEFAULT,ENABLED\n"
		      "                 S-1-5-5-0-1000 (logon SID)           MANDATORY,ENABLED_BY_DEFAULT,ENABLED,LOGON_ID\n"
		      "restricted SIDs  none (not a restricted token)\n"
		      "privileges       SeChangeNotifyPrivilege           present, enabled, enabled by default\n"
		      "                 SeCreateSymbolicLinkPrivilege     present, enabled, enabled by default\n"
		      "type             Primary, impersonation level Anonymous\n"
		      "integrity        Medium (S-1-16-8192), mandatory policy NO_WRITE_UP\n"
		      "elevation        Default\n"
		      "ids              token 0x10000, modified 0x10000, logon session 1000, origin 0\n"
		      "source           clonekit (luid 0)\n"
		      "session id       0\n"
		      "owner            S-1-5-21-1-2-3-1001 (index 0, the user)\n"
		      "primary group    S-1-5-21-1-2-3-1001 (index 0, the user)\n"
		      "default DACL     D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;SY)\n"
		      "token SD         O:SYG:SYD:(A;;0xe8;;;S-1-5-21-1-2-3-1001)(A;;0xf01ff;;;SY)(A;;0xf01ff;;;SY)"
		      "C:OD|GD|DD\n"
		      "                   allow S-1-5-21-1-2-3-1001            QUERY,ADJUST_PRIVILEGES,ADJUST_GROUPS,"
		      "ADJUST_DEFAULT\n"
		      "                   allow S-1-5-18 (SY)                  TOKEN_ALL_ACCESS\n"
		      "                   allow S-1-5-18 (SY)                  TOKEN_ALL_ACCESS\n"
		      "projected        uid 65534, gid 65534, supplementary none\n"
		      "audit policy     0\n");
	result_free(&r);
}

Test(cli, kacs_token_json_is_one_document_per_preset)
{
	static const char *const presets[] = { "system", "admin", "user", "low" };
	static const char *const want[] = {
		"\"user\":{\"sid\":\"S-1-5-18\",\"alias\":\"SY\",\"deny_only\":false}",
		"{\"sid\":\"S-1-5-32-544\",\"alias\":\"BA\",\"attributes\":\"0xf\",\"flags\":[\"MANDATORY\","
		"\"ENABLED_BY_DEFAULT\",\"ENABLED\",\"OWNER\"]}",
		"\"integrity\":{\"rid\":8192,\"name\":\"Medium\",\"sid\":\"S-1-16-8192\"}",
		"\"integrity\":{\"rid\":4096,\"name\":\"Low\",\"sid\":\"S-1-16-4096\"}",
	};
	for (size_t i = 0; i < 4; i++) {
		struct result r;
		CK(&r, NULL, "kacs", "token", "--json", (char *)presets[i]);
		assert_status(&r, 0);
		assert_err_empty(&r);
		assert_json_lines(&r, 1);
		cr_assert(strstr(r.out, want[i]), "%s: %s", presets[i], r.out);
		cr_assert(strstr(r.out, "\"mandatory_policy\":{\"value\":\"0x1\",\"no_write_up\":true,"
					"\"new_process_min\":false}"), "%s", r.out);
		result_free(&r);
	}
}

/* The spec of a preset, written by --wire -o, read back by @FILE: the same token. */
Test(cli, kacs_token_wire_writes_a_spec_that_reads_back_to_the_same_token)
{
	char dir[] = "/tmp/ck-kacs-token-XXXXXX", path[80], corpus[4096];
	static const char *const presets[] = { "system", "admin", "user", "low" };
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	for (size_t i = 0; i < 4; i++) {
		struct result w, a, b;
		snprintf(path, sizeof(path), "%s/%s.spec", dir, presets[i]);
		CK(&w, NULL, "kacs", "token", "--wire", "-o", path, (char *)presets[i]);
		assert_status(&w, 0);
		assert_out_eq(&w, "");
		assert_err_empty(&w);
		result_free(&w);
		/* the same bytes as the corpus seed made from the preset (fuzz/corpus/kacs_token) */
		snprintf(corpus, sizeof(corpus), "%s/fuzz/corpus/kacs_token/preset-%s", env_path("CLONEKIT_SRC"),
			 presets[i]);
		uint8_t x[1024], y[1024];
		int fx = open(path, O_RDONLY | O_CLOEXEC), fy = open(corpus, O_RDONLY | O_CLOEXEC);
		cr_assert(fx >= 0 && fy >= 0, "%s, %s", path, corpus);
		ssize_t nx = read(fx, x, sizeof(x)), ny = read(fy, y, sizeof(y));
		close(fx);
		close(fy);
		cr_assert(nx > 192 && nx == ny && memcmp(x, y, (size_t)nx) == 0, "%s: the spec changed", presets[i]);
		char at[90];
		snprintf(at, sizeof(at), "@%s", path);
		CK(&a, NULL, "kacs", "token", (char *)presets[i]);
		CK(&b, NULL, "kacs", "token", at);
		assert_status(&b, 0);
		drop_created_line(a.out);
		drop_created_line(b.out);
		/*
		 * Minted through kacs_create_token, a token gets the default token SD
		 * (K20 4-tokens/8-access-rights.md); the boot SYSTEM token has its own
		 * (5-boot.md): for system only those lines differ.
		 */
		if (strcmp(presets[i], "system") == 0) {
			cr_assert(strstr(b.out, "token SD         O:SYG:SYD:(A;;RC;;;OW)(A;;0xe8;;;SY)(A;;0xf01ff;;;SY)"
						"C:OD|GD|DD\n"), "%s", b.out);
			cr_assert(strstr(a.out, "(A;;0xf01ff;;;BA)"), "%s", a.out);
			char *sa = strstr(a.out, "token SD"), *sb = strstr(b.out, "token SD");
			memmove(sa, strstr(sa, "projected"), strlen(strstr(sa, "projected")) + 1);
			memmove(sb, strstr(sb, "projected"), strlen(strstr(sb, "projected")) + 1);
		}
		cr_assert_str_eq(b.out, a.out, "%s: the token read from its spec differs", presets[i]);
		result_free(&a);
		result_free(&b);
		unlink(path);
	}
	rmdir(dir);
}

Test(cli, kacs_token_names_what_a_refused_spec_breaks)
{
	static const struct {
		const char *seed;
		int status;
		const char *err;
	} v[] = {
		{ "bad-groups-64", 1, "EINVAL: offset 96: groups_count 64 is more than 63: with the logon SID the kernel "
				      "appends, a token holds 64 groups (K20 4-tokens/4-creation.md rule 10)\n" },
		{ "bad-write-restricted-alone", 1,
		  "EINVAL: offset 157: write_restricted without user_deny_only (K20 4-tokens/4-creation.md rule 7)\n" },
		{ "unsupported-confinement-sid", 1, "EOPNOTSUPP: offset 140: the spec has confinement, which clonekit does "
						    "not implement: refused, not ignored\n" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char path[4096], at[4100], want[4600];
		struct result r;
		snprintf(path, sizeof(path), "%s/fuzz/corpus/kacs_token/%s", env_path("CLONEKIT_SRC"), v[i].seed);
		snprintf(at, sizeof(at), "@%s", path);
		CK(&r, NULL, "kacs", "token", at);
		assert_status(&r, v[i].status);
		assert_out_eq(&r, "");
		snprintf(want, sizeof(want), "clonekit kacs token: %s: %s", path, v[i].err);
		cr_assert_str_eq(r.err, want);
		result_free(&r);
	}
	/* longer than a spec may be: the reader says so (exit 2) */
	char dir[] = "/tmp/ck-kacs-token-XXXXXX", big[80], at[90], want[200];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(big, sizeof(big), "%s/big", dir);
	int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 65537), 0);
	close(fd);
	snprintf(at, sizeof(at), "@%s", big);
	struct result r;
	CK(&r, NULL, "kacs", "token", at);
	assert_status(&r, 2);
	snprintf(want, sizeof(want), "clonekit kacs token: %s: longer than 65536 bytes\n", big);
	cr_assert_str_eq(r.err, want);
	result_free(&r);
	unlink(big);
	rmdir(dir);
}

/*
 * libcrypto is for PIP alone (dlopen'ed on first use, lib/kacs/crypto.c): a
 * command that signs and verifies nothing never opens it (test_kacs_pip signs
 * and verifies through the same binary). strace lists every file opened: by
 * the dynamic loader, which a static clonekit has not, or by dlopen.
 */
Test(cli, libcrypto_is_loaded_by_pip_alone)
{
	const char *bin = env_path("CLONEKIT_BIN");
	bool is_static = strcmp(env_path("CLONEKIT_STATIC"), "1") == 0;
	struct result r;

	/* LeakSanitizer (the ASan build) cannot run under ptrace: leaks are not the question here */
	run(NULL, (char *const[]){ "env", "ASAN_OPTIONS=detect_leaks=0", "strace", "-f", "-e", "trace=open,openat",
				   (char *)bin, "--version", NULL }, &r);
	assert_status(&r, 0);
	cr_assert_not_null(strstr(r.err, "+++ exited with 0 +++"), "strace did not follow it to its end:\n%s", r.err);
	if (is_static)
		cr_assert_null(strstr(r.err, "libc.so.6"), "a static clonekit opened libc.so.6:\n%s", r.err);
	else
		cr_assert_not_null(strstr(r.err, "libc.so.6"), "the dynamic loader opened no libc.so.6:\n%s", r.err);
	cr_assert_null(strstr(r.err, "libcrypto"), "--version loaded libcrypto:\n%s", r.err);
	result_free(&r);
}

/* --version: the version, then how the command is linked (meson's static_cli), which meson tells the test. */
Test(cli, version_prints_the_version_and_the_linking)
{
	char want[512];
	struct result r;

	snprintf(want, sizeof(want), "clonekit 0.1.0\n%s\n", env_path("CLONEKIT_LINKAGE"));
	run(NULL, (char *const[]){ (char *)env_path("CLONEKIT_BIN"), "--version", NULL }, &r);
	assert_status(&r, 0);
	cr_assert_str_eq(r.out, want);
	assert_err_empty(&r);
	result_free(&r);
}
