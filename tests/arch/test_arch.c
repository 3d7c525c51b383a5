/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The clone cases as an i386 binary run natively and a static aarch64 binary
 * run under qemu-aarch64: every case the table marks for the architecture
 * runs, in table order, and passes. The expected list is this build's own
 * copy of clone_cases[], so a case lost from a cross build is caught.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../clone/cases.h"
#include "../run.h"
#include "../support.h"
#include "cases_tap.h"

struct arch {
	struct cases_run run;
	const char *bin_var;
	const char *qemu_var; /* NULL when the binary runs natively */
};

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static void run_arch(const struct arch *a)
{
	/* printed whole once it ends: the two architectures run side by side */
	const struct ck_test_run_opts opts = { .tee_fd = -1 };
	const char *bin, *qemu = NULL, *missing, *label = a->run.label;
	struct ck_test_run r;
	char var[64];
	int err;

	snprintf(var, sizeof(var), "%s_MISSING", a->bin_var);
	missing = env_or_empty(var);
	if (*missing)
		ck_skip_or_fail_printed("arch %s: not built: %s", label, missing);
	bin = env_or_empty(a->bin_var);
	cr_assert(*bin, "arch %s: %s is not set; run through meson test", label, a->bin_var);
	if (a->qemu_var) {
		snprintf(var, sizeof(var), "%s_MISSING", a->qemu_var);
		missing = env_or_empty(var);
		if (*missing)
			ck_skip_or_fail_printed("arch %s: cannot run: %s", label, missing);
		qemu = env_or_empty(a->qemu_var);
		cr_assert(*qemu, "arch %s: %s is not set; run through meson test", label, a->qemu_var);
	}

	char *argv_native[] = { (char *)bin, NULL };
	char *argv_qemu[] = { (char *)qemu, (char *)bin, NULL };
	fflush(stdout);
	err = ck_test_run(qemu ? argv_qemu : argv_native, &opts, &r);
	if (err == ENOEXEC && !qemu)
		ck_skip_or_fail_printed("arch %s: this kernel does not run %s binaries (no IA32 emulation)", label, label);
	cr_assert_eq(err, 0, "arch %s: cannot start %s: %s", label, qemu ? qemu : bin, strerror(err));
	fputs(r.out, stdout);
	cases_tap_check(&a->run, r.out, r.status);
	ck_test_run_free(&r);
}

Test(arch, i386_cases_pass_natively, .timeout = 600)
{
	/* this kernel has clone3, so nothing may fall back to clone without a filter */
	const struct arch a = { { "i386", CASE_I386, true }, "CK_ARCH_I386", NULL };

	run_arch(&a);
}

Test(arch, aarch64_cases_pass_under_qemu, .timeout = 600)
{
	/* qemu-user 7.2 answers clone3 with ENOSYS: ck_clone3 falls back to clone there (tests/vm runs clone3) */
	const struct arch a = { { "aarch64 under qemu-user", CASE_AARCH64_QEMU, false }, "CK_ARCH_AARCH64", "CK_QEMU_AARCH64" };

	run_arch(&a);
}
