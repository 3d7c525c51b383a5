/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cases_tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../clone/cases.h"
#include "../support.h"

struct tally {
	size_t seen, pass, skip, fail, not_ok;
	/* run_cases.c's "# clone3 calls:" lines, summed */
	unsigned long clone3_kernel, clone3_filtered, clone3_enosys;
	size_t clone3_cases;
};

/* One TAP result line against the case expected at that position. */
static void check_line(const struct cases_run *a, char *line, const struct clone_case *want, struct tally *t,
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

/* "# clone3 calls: kernel=K filtered=F enosys=E", after the result of the case that made them */
static void count_clone3(const struct cases_run *a, const char *line, const struct clone_case *after,
			 struct tally *t)
{
	unsigned long k, f, e;

	if (sscanf(line, "# clone3 calls: kernel=%lu filtered=%lu enosys=%lu", &k, &f, &e) != 3)
		return;
	t->clone3_kernel += k;
	t->clone3_filtered += f;
	t->clone3_enosys += e;
	t->clone3_cases++;
	if (a->kernel_has_clone3)
		cr_expect_eq(e, 0,
			     "arch %s: in %s, %lu clone3 calls got ENOSYS without a seccomp filter and ck_clone3 fell back to clone, on a kernel that has clone3",
			     a->label, after ? after->name : "(before any case)", e);
}

void cases_tap_check(const struct cases_run *a, char *out, int status)
{
	const struct clone_case **want, *last = NULL;
	bool no_skip = getenv("CLONEKIT_NO_SKIP") != NULL;
	size_t n_want = 0, i;
	struct tally t = { 0 };
	char *save = NULL, *line;
	long plan = -1;

	want = calloc(clone_case_count, sizeof(*want));
	cr_assert_not_null(want);
	for (i = 0; i < clone_case_count; i++)
		if (clone_cases[i].where & a->where)
			want[n_want++] = &clone_cases[i];
	cr_assert_gt(n_want, 0, "arch %s: tests/clone/cases.c marks no case for %s", a->label, a->label);

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0'; /* a serial console ends its lines with CR LF */
		if (strncmp(line, "1..", 3) == 0) {
			cr_expect_eq(plan, -1, "arch %s: a second plan line: %s", a->label, line);
			plan = strtol(line + 3, NULL, 10);
		} else if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
			last = t.seen < n_want ? want[t.seen] : NULL;
			check_line(a, line, last, &t, no_skip);
		} else if (strncmp(line, "# clone3 calls:", 15) == 0) {
			count_clone3(a, line, last, &t);
		}
	}

	printf("arch %s: %zu of %zu clone cases pass", a->label, t.pass, n_want);
	if (t.skip)
		printf(", %zu skipped", t.skip);
	printf("; ck_clone3 in %zu cases: %lu calls answered by the kernel's clone3, %lu ENOSYS from a seccomp filter, %lu ENOSYS without one (fell back to clone)\n",
	       t.clone3_cases, t.clone3_kernel, t.clone3_filtered, t.clone3_enosys);
	fflush(stdout);

	cr_expect_eq(plan, (long)n_want, "arch %s: the runner plans %ld cases, the table marks %zu", a->label,
		     plan, n_want);
	cr_expect_eq(t.seen, n_want, "arch %s: %zu results for %zu cases (the runner stopped early?)", a->label,
		     t.seen, n_want);
	if (a->kernel_has_clone3)
		cr_expect_gt(t.clone3_kernel, 0, "arch %s: no ck_clone3 call was answered by the kernel's clone3",
			     a->label);
	cr_expect(WIFEXITED(status), "arch %s: the runner was killed by signal %d", a->label,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (WIFEXITED(status))
		cr_expect_eq(WEXITSTATUS(status) == 0, t.not_ok == 0,
			     "arch %s: the runner exited %d after %zu cases not ok", a->label, WEXITSTATUS(status),
			     t.not_ok);
	free(want);
	cr_assert_eq(t.pass + t.skip, n_want, "arch %s: %zu of %zu clone cases pass", a->label, t.pass, n_want);
}
