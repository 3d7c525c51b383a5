/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process that tries to forge or break the observers' output: it names
 * itself HOSTILE_COMM (a newline, then what looks like an alert) and runs
 * from a file whose name holds a newline, quotes, backslashes, brackets,
 * spaces and bytes that are not UTF-8 (ck-fingerprints' "hostile" mode,
 * copied there). Shared by test_trace and test_watch.
 */
#ifndef CK_TEST_HOSTILE_H
#define CK_TEST_HOSTILE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOSTILE_COMM "x\nALERT info z"
#define HOSTILE_NAME "bad\xff\xfe \"q' \\ [x]\nALERT info z\x80\xc3\xa9"
/* The two as text prints them: strace's escapes, and the space and brackets in octal too. */
#define HOSTILE_COMM_TEXT "x\\nALERT\\40info\\40z"
#define HOSTILE_NAME_TEXT "bad\\377\\376\\40\\\"q'\\40\\\\\\40\\133x\\135\\nALERT\\40info\\40z\\200\\303\\251"

/* A rule that prints both names, so that exe is in the text output too. */
#define HOSTILE_RULES                                      \
	"rule hostile-names\n"                             \
	"  priority info\n"                                \
	"  when syscall in (unshare)\n"                    \
	"  message \"pid={pid} comm={comm} exe={exe}\"\n" \
	"end\n"

struct hostile {
	char dir[32];
	char exe[128];
	char rules[40];
};

static inline void hostile_copy(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(to, buf, (size_t)n), n, "write: %s", strerror(errno));
	cr_assert_eq(n, 0, "read: %s", strerror(errno));
}

/* The executable (a copy of CLONEKIT_HELPER, runnable by uid 65534) and the rules file. */
static inline void hostile_make(struct hostile *h)
{
	const char *helper = getenv("CLONEKIT_HELPER");
	int from, to;

	cr_assert(helper && *helper, "CLONEKIT_HELPER is not set (meson sets it)");
	strcpy(h->dir, "/tmp/ck-hostile-XXXXXX");
	cr_assert_not_null(mkdtemp(h->dir));
	cr_assert_eq(chmod(h->dir, 0755), 0);
	snprintf(h->exe, sizeof(h->exe), "%s/%s", h->dir, HOSTILE_NAME);
	from = open(helper, O_RDONLY | O_CLOEXEC);
	to = open(h->exe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert(from >= 0 && to >= 0, "%s: %s", helper, strerror(errno));
	hostile_copy(from, to);
	close(from);
	cr_assert_eq(close(to), 0);
	snprintf(h->rules, sizeof(h->rules), "%s/rules", h->dir);
	to = open(h->rules, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert(to >= 0);
	cr_assert_eq(write(to, HOSTILE_RULES, strlen(HOSTILE_RULES)), (ssize_t)strlen(HOSTILE_RULES));
	close(to);
}

static inline void hostile_remove(const struct hostile *h)
{
	unlink(h->exe);
	unlink(h->rules);
	rmdir(h->dir);
}

/* The bytes of s in lowercase hex, as tests/json_lines.py prints them (static buffer). */
static inline const char *hostile_hex(const char *s)
{
	static char buf[2][512];
	static int which;
	char *out = buf[which ^= 1];

	for (size_t i = 0; s[i] && 2 * i + 2 < sizeof(buf[0]); i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned char)s[i]);
	return out;
}

/*
 * Runs tests/json_lines.py (CK_JSON_LINES) on the file json with the given
 * paths: every line must be strict UTF-8 and one RFC 8259 object. Returns
 * its output, "LINE PATH HEX" per path found (malloc'd).
 */
static inline char *hostile_json_oracle(const char *json, const char *const paths[])
{
	const char *script = getenv("CK_JSON_LINES");
	char out[] = "/tmp/ck-oracle-XXXXXX", err[] = "/tmp/ck-oracle-e-XXXXXX", *argv[16];
	size_t n = 0;
	int st, o, e;
	struct stat sb;

	cr_assert(script && *script, "CK_JSON_LINES is not set (meson sets it)");
	argv[n++] = "python3";
	argv[n++] = (char *)script;
	for (size_t i = 0; paths[i] && n < 15; i++)
		argv[n++] = (char *)paths[i];
	argv[n] = NULL;
	o = mkstemp(out);
	e = mkstemp(err);
	cr_assert(o >= 0 && e >= 0);
	pid_t p = fork();
	cr_assert(p >= 0);
	if (p == 0) {
		int in = open(json, O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(99);
		execvp(argv[0], argv);
		_exit(98);
	}
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert_eq(fstat(o, &sb), 0);
	char *text = calloc(1, (size_t)sb.st_size + 4096);
	cr_assert_not_null(text);
	cr_assert_eq(pread(o, text, (size_t)sb.st_size, 0), sb.st_size);
	if (st != 0) {
		ssize_t k = pread(e, text, 4095, 0);
		text[k > 0 ? k : 0] = '\0';
		cr_assert_fail("json_lines.py (status %#x) refuses the output: %s", st, text);
	}
	close(o);
	close(e);
	unlink(out);
	unlink(err);
	return text;
}

/* Whether the oracle's output line l reads "N text" exactly; N in *no. */
static inline bool hostile_line_is(const char *l, const char *text, unsigned long *no)
{
	char *rest;
	size_t len = strlen(text);

	*no = strtoul(l, &rest, 10);
	return rest[0] == ' ' && strncmp(rest + 1, text, len) == 0 && (rest[1 + len] == '\n' || !rest[1 + len]);
}

/*
 * How many lines of the oracle's output give these bytes at path, among the
 * lines whose pid_path is pid (a host-wide watch sees other processes too;
 * NULL: all lines).
 */
static inline int hostile_found(const char *oracle, const char *path, const char *bytes,
				const char *pid_path, int pid)
{
	char want[600], pid_want[64];
	unsigned long lines[64], no;
	size_t nlines = 0;
	int n = 0;

	snprintf(want, sizeof(want), "%s %s", path, hostile_hex(bytes));
	snprintf(pid_want, sizeof(pid_want), "%s =%d", pid_path ? pid_path : "", pid);
	for (const char *l = oracle; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (pid_path && hostile_line_is(l, pid_want, &no) && nlines < 64)
			lines[nlines++] = no;
	for (const char *l = oracle; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!hostile_line_is(l, want, &no))
			continue;
		bool mine = !pid_path;
		for (size_t i = 0; i < nlines; i++)
			mine |= lines[i] == no;
		n += mine;
	}
	return n;
}

#endif
