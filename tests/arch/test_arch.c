/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The clone cases as an i386 binary run natively and a static aarch64 binary
 * run under qemu-aarch64: every case the table marks for the architecture
 * runs, in table order, and passes. The expected list is this build's own
 * copy of clone_cases[], so a case lost from a cross build is caught.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../clone/cases.h"
#include "../support.h"

extern char **environ;

/* Said on stdout as well, so the test log shows what did not run and why. */
#define arch_skip_or_fail(fmt, ...)                           \
	do {                                                  \
		printf(fmt "\n", __VA_ARGS__);                \
		fflush(stdout);                               \
		ck_skip_or_fail(fmt, __VA_ARGS__);            \
	} while (0)

struct arch {
	const char *label;
	unsigned where;
	const char *bin_var;
	const char *qemu_var; /* NULL when the binary runs natively */
};

struct tally {
	size_t seen, pass, skip, fail, not_ok;
};

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

/* The runner's stdout and its wait status; returns 0 or the errno of the spawn. */
static int run_capture(char *const argv[], char **out, int *status)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 4096;
	int fd[2], err;
	pid_t pid;
	ssize_t n;

	cr_assert_eq(pipe2(fd, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (err) {
		close(fd[0]);
		return err;
	}

	*out = malloc(cap);
	cr_assert_not_null(*out);
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			*out = realloc(*out, cap);
			cr_assert_not_null(*out);
		}
		n = read(fd[0], *out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_geq(n, 0, "reading the runner's output: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(*out)[len] = '\0';
	close(fd[0]);
	while (waitpid(pid, status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	return 0;
}

/* One TAP result line against the case expected at that position. */
static void check_line(const struct arch *a, char *line, const struct clone_case *want, struct tally *t,
		       bool no_skip)
{
	bool ok = strncmp(line, "ok ", 3) == 0;
	char *p = line + (ok ? 3 : 7), *end, *name, *directive;
	unsigned long num = strtoul(p, &end, 10);

	t->seen++;
	if (!ok)
		t->not_ok++;
	cr_expect_eq(num, t->seen, "arch %s: result %zu is numbered %lu: %s", a->label, t->seen, num, line);
	name = strncmp(end, " - ", 3) == 0 ? end + 3 : end;
	directive = strstr(name, " # ");
	if (directive) {
		*directive = '\0';
		directive += 3;
	}
	if (!want) {
		cr_expect_fail("arch %s: result %zu (%s) is beyond the %s cases expected", a->label, t->seen, name,
			       a->label);
		t->fail++;
		return;
	}
	if (strcmp(name, want->name) != 0) {
		cr_expect_fail("arch %s: result %zu is %s, expected %s", a->label, t->seen, name, want->name);
		t->fail++;
		return;
	}
	if (!ok) {
		cr_expect_fail("arch %s: %s failed: %s", a->label, name, directive ? directive : "no reason given");
		t->fail++;
	} else if (directive && strncmp(directive, "SKIP", 4) == 0) {
		if (no_skip) {
			cr_expect_fail("arch %s: %s skipped under CLONEKIT_NO_SKIP:%s", a->label, name, directive + 4);
			t->fail++;
		} else {
			cr_log_warn("arch %s: %s skipped:%s", a->label, name, directive + 4);
			t->skip++;
		}
	} else {
		t->pass++;
	}
}

static void run_arch(const struct arch *a)
{
	char var[64], *out = NULL, *save = NULL, *line;
	const char *bin, *qemu = NULL, *missing;
	const struct clone_case **want;
	bool no_skip = getenv("CLONEKIT_NO_SKIP") != NULL;
	size_t n_want = 0, i;
	struct tally t = { 0 };
	long plan = -1;
	int status, err;

	snprintf(var, sizeof(var), "%s_MISSING", a->bin_var);
	missing = env_or_empty(var);
	if (*missing)
		arch_skip_or_fail("arch %s: not built: %s", a->label, missing);
	bin = env_or_empty(a->bin_var);
	cr_assert(*bin, "arch %s: %s is not set; run through meson test", a->label, a->bin_var);
	if (a->qemu_var) {
		snprintf(var, sizeof(var), "%s_MISSING", a->qemu_var);
		missing = env_or_empty(var);
		if (*missing)
			arch_skip_or_fail("arch %s: cannot run: %s", a->label, missing);
		qemu = env_or_empty(a->qemu_var);
		cr_assert(*qemu, "arch %s: %s is not set; run through meson test", a->label, a->qemu_var);
	}

	char *argv_native[] = { (char *)bin, NULL };
	char *argv_qemu[] = { (char *)qemu, (char *)bin, NULL };
	err = run_capture(qemu ? argv_qemu : argv_native, &out, &status);
	if (err == ENOEXEC && !qemu)
		arch_skip_or_fail("arch %s: this kernel does not run %s binaries (no IA32 emulation)", a->label,
				  a->label);
	cr_assert_eq(err, 0, "arch %s: cannot start %s: %s", a->label, qemu ? qemu : bin, strerror(err));
	fputs(out, stdout);

	want = calloc(clone_case_count, sizeof(*want));
	cr_assert_not_null(want);
	for (i = 0; i < clone_case_count; i++)
		if (clone_cases[i].where & a->where)
			want[n_want++] = &clone_cases[i];
	cr_assert_gt(n_want, 0, "arch %s: tests/clone/cases.c marks no case for %s", a->label, a->label);

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "1..", 3) == 0) {
			cr_expect_eq(plan, -1, "arch %s: a second plan line: %s", a->label, line);
			plan = strtol(line + 3, NULL, 10);
		} else if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
			check_line(a, line, t.seen < n_want ? want[t.seen] : NULL, &t, no_skip);
		} else if (line[0] != '#') {
			cr_log_warn("arch %s: output that is not TAP: %s", a->label, line);
		}
	}

	printf("arch %s: %zu of %zu clone cases pass", a->label, t.pass, n_want);
	if (t.skip)
		printf(", %zu skipped", t.skip);
	printf("\n");
	fflush(stdout);

	cr_expect_eq(plan, (long)n_want, "arch %s: the runner plans %ld cases, the table marks %zu", a->label,
		     plan, n_want);
	cr_expect_eq(t.seen, n_want, "arch %s: %zu results for %zu cases (the runner stopped early?)", a->label,
		     t.seen, n_want);
	cr_expect(WIFEXITED(status), "arch %s: the runner was killed by signal %d", a->label,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (WIFEXITED(status))
		cr_expect_eq(WEXITSTATUS(status) == 0, t.not_ok == 0,
			     "arch %s: the runner exited %d after %zu cases not ok", a->label, WEXITSTATUS(status),
			     t.not_ok);
	cr_assert_eq(t.pass + t.skip, n_want, "arch %s: %zu of %zu clone cases pass", a->label, t.pass, n_want);
	free(want);
	free(out);
}

Test(arch, i386_cases_pass_natively, .timeout = 600)
{
	const struct arch a = { "i386", CASE_I386, "CK_ARCH_I386", NULL };

	run_arch(&a);
}

Test(arch, aarch64_cases_pass_under_qemu, .timeout = 600)
{
	const struct arch a = { "aarch64", CASE_AARCH64_QEMU, "CK_ARCH_AARCH64", "CK_QEMU_AARCH64" };

	run_arch(&a);
}
