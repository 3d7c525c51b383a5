/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The codec held against strace itself: real clone, clone3 and unshare calls
 * are traced with strace, and the flags text strace prints must equal
 * ck_flags_format() for the same value; `clonekit explain` must print seed
 * 000's two fingerprints (a shell's fork, pthread_create) as strace does;
 * and the text escapes of untrusted bytes must be strace's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/clonekit.h>

#include "../support.h"
#include "internal/escape.h"

#define STRACE "/usr/bin/strace"
#define PER_SYSCALL 1500

static const char *env_path(const char *name)
{
	const char *p = getenv(name);
	if (!p)
		cr_assert_fail("%s is not set (meson sets it)", name);
	return p;
}

/*
 * Runs argv with stdin from in_path (or /dev/null), stdout to out_path (or
 * /dev/null). Under strace, a sanitizer build's leak checker cannot work
 * (it needs ptrace itself), so traced runs turn it off.
 */
static int run(char *const argv[], const char *in_path, const char *out_path)
{
	bool traced = strcmp(argv[0], STRACE) == 0;
	pid_t p = fork();
	cr_assert(p >= 0);
	if (p == 0) {
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		if (traced)
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(p, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* The text after key up to the earliest terminator, copied into out. */
static bool field(const char *line, const char *key, char *out, size_t len)
{
	static const char *const ends[] = { ", ", ")", "}", " <unfinished" };
	const char *p = strstr(line, key);
	if (!p)
		return false;
	p += strlen(key);
	size_t n = strlen(p);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		const char *e = strstr(p, ends[i]);
		if (e && (size_t)(e - p) < n)
			n = (size_t)(e - p);
	}
	if (n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t random_flags(void)
{
	uint64_t v = 0;
	unsigned p = 1 + (unsigned)(next() % 6);
	for (size_t i = 0; i < ck_flag_count(); i++)
		if (next() % 16 < p)
			v |= ck_flag_at(i)->value;
	if (next() % 8 == 0)
		v |= UINT64_C(1) << (next() % 64);
	return v;
}

struct value {
	uint64_t flags;
	unsigned sig;
};

static void compare_with_strace(enum ck_syscall sc)
{
	const char *helper = env_path("CLONEKIT_HELPER");
	const char *name = ck_syscall_name(sc);
	char in[] = "/tmp/ck-strace-in-XXXXXX", out[] = "/tmp/ck-strace-out-XXXXXX";
	static struct value values[PER_SYSCALL];
	char expr[32], opening[32];

	if (access(STRACE, X_OK) != 0)
		ck_skip_or_fail("strace is not installed at " STRACE);
	if (sc != CK_SYSCALL_UNSHARE && geteuid() != 0)
		ck_skip_or_fail("the strace comparison makes namespace clones: run as root");
	int fd = mkstemp(in);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < PER_SYSCALL; i++) {
		struct value *v = &values[i];
		v->flags = random_flags();
		v->sig = (unsigned)(next() % 256);
		if (sc == CK_SYSCALL_CLONE) {
			/* every low byte at least once, then random ones */
			v->flags = (v->flags & ~CK_CSIGNAL) | (i < 256 ? i : v->sig);
			unsigned s = v->flags & CK_CSIGNAL;
			if (s == SIGKILL || s == SIGSTOP)
				v->flags = (v->flags | CK_CLONE_SIGHAND) & ~CK_CLONE_VM;
			fprintf(f, "clone %" PRIx64 "\n", v->flags);
		} else if (sc == CK_SYSCALL_CLONE3) {
			fprintf(f, "clone3 %" PRIx64 " %u\n", v->flags, v->sig);
		} else {
			fprintf(f, "unshare %" PRIx64 "\n", v->flags);
		}
	}
	fclose(f);
	int ofd = mkstemp(out);
	cr_assert(ofd >= 0);
	close(ofd);

	snprintf(expr, sizeof(expr), "trace=%s", name);
	char *argv[] = { STRACE, "-f", "-qq", "-e", expr, "-e", "signal=none", "-o", out,
			 (char *)helper, "values", NULL };
	cr_assert_eq(run(argv, in, NULL), 0, "strace or the helper failed");

	char *text = slurp(out);
	snprintf(opening, sizeof(opening), " %s(", name);
	size_t seen = 0, agree = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char got[512], want[512], sig[64], wsig[16];
		if (!strstr(line, opening) || strstr(line, "resumed>"))
			continue;
		cr_assert_lt(seen, (size_t)PER_SYSCALL, "more %s lines than calls", name);
		const struct value *v = &values[seen++];
		const char *key = sc == CK_SYSCALL_CLONE ? "flags=" : sc == CK_SYSCALL_CLONE3 ? "{flags=" : opening;
		cr_assert(field(line, key, got, sizeof(got)), "no flags in: %s", line);
		ck_flags_format(v->flags, sc, want, sizeof(want));
		cr_assert_str_eq(got, want, "%s %#" PRIx64 ": strace printed '%s'", name, v->flags, line);
		if (sc == CK_SYSCALL_CLONE3) {
			cr_assert(field(line, "exit_signal=", sig, sizeof(sig)), "%s", line);
			cr_assert_str_eq(sig, ck_signal_name(v->sig, wsig, sizeof(wsig)), "%s", line);
		}
		agree++;
	}
	cr_assert_eq(seen, (size_t)PER_SYSCALL, "strace printed %zu %s calls, %d were made", seen, name,
		     PER_SYSCALL);
	fprintf(stderr, "strace comparison: %zu of %d %s flag words print exactly as strace prints them\n",
		agree, PER_SYSCALL, name);
	free(text);
	unlink(in);
	unlink(out);
}

Test(strace, clone_flags_print_exactly_as_strace_prints_them, .timeout = 300)
{
	compare_with_strace(CK_SYSCALL_CLONE);
}

Test(strace, clone3_flags_and_exit_signal_print_exactly_as_strace_prints_them, .timeout = 300)
{
	compare_with_strace(CK_SYSCALL_CLONE3);
}

Test(strace, unshare_flags_print_exactly_as_strace_prints_them, .timeout = 300)
{
	compare_with_strace(CK_SYSCALL_UNSHARE);
}

/*
 * The text escapes held against strace's own: random bytes (every byte
 * value, controls before octal digits, quotes, backslashes) written with
 * write(2) under strace, whose quoted buffer must equal ck__escape()'s text.
 */
Test(strace, untrusted_bytes_are_escaped_exactly_as_strace_escapes_them)
{
	enum { COUNT = 2000, MAX = 48 };
	static const char script[] =
		"import os,sys\n"
		"os.dup2(os.open('/dev/null', os.O_WRONLY), 99)\n"
		"for h in sys.stdin.read().split('\\n')[:-1]: os.write(99, bytes.fromhex(h))\n";
	static unsigned char bytes[COUNT][MAX];
	static size_t len[COUNT];
	char in[] = "/tmp/ck-strace-in-XXXXXX", out[] = "/tmp/ck-strace-out-XXXXXX";
	char *const argv[] = { STRACE, "-qq", "-e", "trace=write", "-s", "4096", "-o", out,
			       "/usr/bin/python3", "-c", (char *)script, NULL };
	int fd = mkstemp(in);

	if (access(STRACE, X_OK) != 0 || access("/usr/bin/python3", X_OK) != 0)
		ck_skip_or_fail("strace or python3 is not installed");
	cr_assert(fd >= 0);
	close(mkstemp(out));
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < COUNT; i++) {
		len[i] = next() % MAX;
		for (size_t k = 0; k < len[i]; k++) {
			uint64_t r = next();
			/* half the bytes from the tricky ones: controls, octal digits, quotes, 0x7f-0xff */
			static const char tricky[] = "\0\1\a\b\t\n\v\f\r\x1b\"\\'07 8[]\x7f";
			bytes[i][k] = r % 2 ? (unsigned char)tricky[(r >> 8) % (sizeof(tricky) - 1)]
					    : (unsigned char)(r >> 8);
			fprintf(f, "%02x", bytes[i][k]);
		}
		fputc('\n', f);
	}
	fclose(f);
	cr_assert_eq(run(argv, in, NULL), 0);

	char *text = slurp(out), *line = text, want[4 * MAX + 1];
	size_t i = 0;
	for (char *end; (end = strchr(line, '\n')); line = end + 1) {
		*end = '\0';
		if (strncmp(line, "write(99, \"", 11) != 0)
			continue;
		cr_assert_lt(i, (size_t)COUNT, "more writes than strings: %s", line);
		char *close = strrchr(line, ',');
		cr_assert(close && close - line >= 12 && close[-1] == '"', "%s", line);
		*--close = '\0';
		ck__escape(want, sizeof(want), (const char *)bytes[i], len[i], NULL);
		cr_assert_str_eq(line + 11, want, "string %zu", i);
		i++;
	}
	cr_assert_eq(i, (size_t)COUNT, "strace showed %zu writes of %d", i, COUNT);
	free(text);
	unlink(in);
	unlink(out);
}

/* The first line of `clonekit explain ARGS...`. */
static void explain_line(const char *const args[], char *line, size_t len)
{
	char out[] = "/tmp/ck-explain-XXXXXX";
	char *argv[8];
	size_t n = 0;
	int fd = mkstemp(out);
	cr_assert(fd >= 0);
	close(fd);
	argv[n++] = (char *)env_path("CLONEKIT_BIN");
	argv[n++] = "explain";
	for (size_t i = 0; args[i] && n < 7; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	run(argv, NULL, out);
	char *text = slurp(out);
	snprintf(line, len, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	unlink(out);
}

/* The first traced line of the syscall `name` from strace's run of argv. */
static void strace_line(char *const cmd[], const char *name, char *line, size_t len)
{
	char out[] = "/tmp/ck-strace-fp-XXXXXX", opening[32];
	char *argv[16];
	size_t n = 0;
	int fd = mkstemp(out);
	cr_assert(fd >= 0);
	close(fd);
	argv[n++] = STRACE;
	argv[n++] = "-f";
	argv[n++] = "-qq";
	argv[n++] = "-e";
	argv[n++] = "trace=clone,clone3";
	argv[n++] = "-e";
	argv[n++] = "signal=none";
	argv[n++] = "-o";
	argv[n++] = out;
	for (size_t i = 0; cmd[i] && n < 15; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	cr_assert_eq(run(argv, NULL, NULL), 0);
	char *text = slurp(out);
	snprintf(opening, sizeof(opening), " %s(", name);
	line[0] = '\0';
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *p = strstr(l, opening);
		if (p) {
			snprintf(line, len, "%s", p + 1);
			break;
		}
	}
	free(text);
	unlink(out);
	cr_assert_neq(line[0], '\0', "strace printed no %s call", name);
}

Test(strace, explain_prints_a_shells_fork_as_strace_does)
{
	char traced[1024], explained[512];
	/* seed 000 traces /bin/sh; Debian's sh (dash) uses vfork, bash forks through glibc's fork() */
	char *cmd[] = { "/bin/bash", "-c", "/bin/true; /bin/true", NULL };

	if (access(STRACE, X_OK) != 0)
		ck_skip_or_fail("strace is not installed at " STRACE);
	strace_line(cmd, "clone", traced, sizeof(traced));
	explain_line((const char *const[]){ "0x1200011", NULL }, explained, sizeof(explained));
	cr_assert_str_eq(explained,
			 "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)");
	/* strace adds the pointer arguments after the flags */
	size_t n = strlen(explained) - 1;
	cr_assert(strncmp(traced, explained, n) == 0 && traced[n] == ',',
		  "strace: %s\nexplain: %s", traced, explained);
}

Test(strace, explain_prints_pthread_create_as_strace_does)
{
	char traced[1024], explained[512], got[512], want[512];
	char *cmd[] = { (char *)env_path("CLONEKIT_HELPER"), "pthread", NULL };

	if (access(STRACE, X_OK) != 0)
		ck_skip_or_fail("strace is not installed at " STRACE);
	strace_line(cmd, "clone3", traced, sizeof(traced));
	cr_assert(field(traced, "{flags=", got, sizeof(got)), "%s", traced);
	explain_line((const char *const[]){ "--syscall", "clone3", "0x3d0f00", NULL }, explained,
		     sizeof(explained));
	cr_assert(field(explained, "{flags=", want, sizeof(want)), "%s", explained);
	cr_assert_str_eq(got, want, "strace: %s\nexplain: %s", traced, explained);
	cr_assert_str_eq(want, "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
			       "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
	cr_assert(field(traced, "exit_signal=", got, sizeof(got)));
	cr_assert(field(explained, "exit_signal=", want, sizeof(want)));
	cr_assert_str_eq(got, want);
}
