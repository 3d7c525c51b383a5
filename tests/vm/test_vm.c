/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The validator and the clone trampolines on a second kernel: Debian 12's
 * own linux-image-6.1.0-N (tests/vm/fetch-kernel.sh downloads it on first
 * use), booted under qemu-system with TCG from an initramfs built here.
 *
 * - amd64: the differential (tests/kernel/test_differential, the very binary
 *   this build made, with the shared libraries ldd names) runs every test it
 *   holds (each scenario, the cgroup probe); each must end and pass.
 * - arm64: the clone cases built for aarch64 (tests/arch's ck-cases-aarch64-vm)
 *   run every case a real kernel can run, and ck_clone3 must be answered by
 *   the kernel's clone3, never fall back to clone, outside a seccomp filter.
 *
 * The guest's /init (guest_init.c) prints "ck-vm: " lines on the serial
 * console; the console is read here, copied to CK_VM_WORK/ARCH-console.log,
 * and a guest that does not boot, stops early, prints nothing or outlives
 * its deadline fails with the console's last lines shown.
 * CLONEKIT_VM_DIFF_N sets the differential's calls per scenario (default
 * DIFF_N), CLONEKIT_SEED its seed, CLONEKIT_VM_CACHE where kernels are kept,
 * CLONEKIT_VM_TIMEOUT a guest's deadline in seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../arch/cases_tap.h"
#include "../clone/cases.h"
#include "../run.h"
#include "../support.h"
#include "initramfs.h"

/* calls per scenario: 1.5-2 minutes of TCG here for the seven scenarios */
#define DIFF_N "2000"
#define CONSOLE_TAIL 40

struct guest {
	const char *label;        /* the Debian architecture, as in the kernel package's name */
	const char *qemu;         /* the qemu-system program */
	const char *qemu_package; /* the Debian package that has it */
	const char *machine[8];   /* qemu's machine, CPU and accelerator */
	const char *console;      /* the serial console the kernel writes to */
	const char *init_var;     /* the environment variable with the path of its static /init */
	unsigned timeout_s;
};

static const struct guest amd64 = {
	.label = "amd64",
	.qemu = "qemu-system-x86_64",
	.qemu_package = "qemu-system-x86",
	/* la57 off: a 47-bit user address space, as on the hosts the validator models by default */
	.machine = { "-machine", "pc", "-accel", "tcg", "-cpu", "max,la57=off" },
	.console = "ttyS0",
	.init_var = "CK_VM_INIT_AMD64",
	.timeout_s = 1500,
};

static const struct guest arm64 = {
	.label = "arm64",
	.qemu = "qemu-system-aarch64",
	.qemu_package = "qemu-system-arm",
	/* a plain ARMv8.0 core: -cpu max emulates pointer authentication and boots four times slower */
	.machine = { "-machine", "virt", "-accel", "tcg", "-cpu", "cortex-a72" },
	.console = "ttyAMA0",
	.init_var = "CK_VM_INIT_ARM64",
	.timeout_s = 600,
};

struct kernel {
	char release[128]; /* uname -r */
	char package[160]; /* name and version */
	char image[PATH_MAX];
	char from[128];
};

struct boot {
	const struct guest *g;
	struct ck_test_run run; /* run.out: the console as qemu wrote it */
	char *copy;
	char **lines; /* the console, line by line, without CR (pointers into copy) */
	size_t n;
	double seconds;
	unsigned timeout_s;
	char log[PATH_MAX];
};

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s is not set; run this test through meson test", name);
	return v;
}

/* A path from the build, or the reason there is none (NAME_MISSING), which skips loudly. */
static void built(const char *label, const char *name, const char **path)
{
	char var[64];
	const char *missing;

	snprintf(var, sizeof(var), "%s_MISSING", name);
	missing = env_or_empty(var);
	if (*missing)
		ck_skip_or_fail_printed("vm %s: not built: %s", label, missing);
	*path = need_env(name);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool find_in_path(const char *name, char *out, size_t len)
{
	char path[4096], *save = NULL, *dir;

	snprintf(path, sizeof(path), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Where kernels are kept between runs: outside the tree, and outside the build dir when root. */
static void cache_dir(char *out, size_t len)
{
	const char *c = getenv("CLONEKIT_VM_CACHE");

	if (c && *c)
		snprintf(out, len, "%s", c);
	else if (geteuid() == 0)
		snprintf(out, len, "/var/cache/clonekit/vm");
	else
		snprintf(out, len, "%s/cache", need_env("CK_VM_WORK"));
}

static void fetch_kernel(const struct guest *g, struct kernel *k)
{
	char cache[PATH_MAX], *argv[4], *save = NULL, *line;
	const struct ck_test_run_opts o = { .timeout_s = 900, .tee_fd = -1 };
	struct ck_test_run r;
	int err;

	cache_dir(cache, sizeof(cache));
	argv[0] = (char *)need_env("CK_VM_FETCH");
	argv[1] = (char *)g->label;
	argv[2] = cache;
	argv[3] = NULL;
	err = ck_test_run(argv, &o, &r);
	cr_assert_eq(err, 0, "vm %s: cannot run %s: %s", g->label, argv[0], strerror(err));
	if (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		ck_skip_or_fail_printed("vm %s: no Debian 6.1 kernel: %s %s %s failed (its message is above)", g->label,
				argv[0], g->label, cache);
	memset(k, 0, sizeof(*k));
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "release") == 0)
			snprintf(k->release, sizeof(k->release), "%s", v);
		else if (strcmp(line, "package") == 0)
			snprintf(k->package, sizeof(k->package), "%s", v);
		else if (strcmp(line, "image") == 0)
			snprintf(k->image, sizeof(k->image), "%s", v);
		else if (strcmp(line, "from") == 0)
			snprintf(k->from, sizeof(k->from), "%s", v);
	}
	ck_test_run_free(&r);
	cr_assert(*k->release && *k->package && *k->image, "vm %s: fetch-kernel.sh printed no release, package or image",
		  g->label);
	printf("vm %s: kernel %s (%s, from %s)\n", g->label, k->release, k->package, k->from);
}

static void initramfs_or_fail(const struct guest *g, struct initramfs *f, int r)
{
	cr_assert_geq(r, 0, "vm %s: building the initramfs: %s", g->label, f->why);
}

/* An initramfs with the console device, the guest's /init and the files added by add. */
static void start_initramfs(const struct guest *g, struct initramfs *f, char *path, size_t len)
{
	snprintf(path, len, "%s/%s-initramfs.cpio", need_env("CK_VM_WORK"), g->label);
	initramfs_or_fail(g, f, initramfs_create(f, path));
	/* the kernel opens it as init's stdin, stdout and stderr */
	initramfs_or_fail(g, f, initramfs_add_char_device(f, "/dev/console", 5, 1));
	const char *init;

	built(g->label, g->init_var, &init);
	initramfs_or_fail(g, f, initramfs_add_file(f, "/init", init, 0755));
}

static void split_lines(struct boot *b)
{
	char *save = NULL, *line;
	size_t cap = 0;

	b->copy = strdup(b->run.out);
	cr_assert_not_null(b->copy);
	for (line = strtok_r(b->copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (b->n == cap) {
			cap = cap ? 2 * cap : 256;
			b->lines = realloc(b->lines, cap * sizeof(*b->lines));
			cr_assert_not_null(b->lines);
		}
		b->lines[b->n++] = line;
	}
}

/* The console's last lines, then the failure. */
__attribute__((format(printf, 2, 3), noreturn)) static void fail_with_console(const struct boot *b,
									       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("vm %s: %s; the console's last lines (all of it in %s):\n", b->g->label, msg, b->log);
	for (size_t i = b->n > CONSOLE_TAIL ? b->n - CONSOLE_TAIL : 0; i < b->n; i++)
		printf("vm %s console| %s\n", b->g->label, b->lines[i]);
	if (b->n == 0)
		printf("vm %s console| (nothing)\n", b->g->label);
	fflush(stdout);
	cr_assert_fail("vm %s: %s", b->g->label, msg);
	abort(); /* not reached: cr_assert_fail ends the test */
}

static void boot(const struct guest *g, const struct kernel *k, const char *initramfs, const char *cmdline,
		 struct boot *b)
{
	char qemu[PATH_MAX], append[2048];
	const char *argv[40];
	size_t n = 0;
	double start;
	int log, err;

	memset(b, 0, sizeof(*b));
	b->g = g;
	if (!find_in_path(g->qemu, qemu, sizeof(qemu)))
		ck_skip_or_fail_printed("vm %s: %s not found in PATH (package %s, which scripts/deps.sh installs)", g->label,
				g->qemu, g->qemu_package);
	snprintf(append, sizeof(append), "console=%s panic=-1 %s", g->console, cmdline);
	argv[n++] = qemu;
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-no-reboot"; /* a panic (panic=-1 reboots) ends qemu too */
	for (size_t i = 0; i < sizeof(g->machine) / sizeof(g->machine[0]) && g->machine[i]; i++)
		argv[n++] = g->machine[i];
	argv[n++] = "-smp";
	argv[n++] = "2";
	argv[n++] = "-m";
	argv[n++] = "1024";
	argv[n++] = "-kernel";
	argv[n++] = k->image;
	argv[n++] = "-initrd";
	argv[n++] = initramfs;
	argv[n++] = "-append";
	argv[n++] = append;
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	argv[n] = NULL;

	printf("vm %s: %s", g->label, qemu);
	for (size_t i = 1; i < n; i++)
		printf(strchr(argv[i], ' ') ? " '%s'" : " %s", argv[i]);
	printf("\n");
	fflush(stdout);

	snprintf(b->log, sizeof(b->log), "%s/%s-console.log", need_env("CK_VM_WORK"), g->label);
	log = open(b->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(log, 0, "vm %s: creating %s: %s", g->label, b->log, strerror(errno));
	const char *t = getenv("CLONEKIT_VM_TIMEOUT");
	b->timeout_s = t ? (unsigned)strtoul(t, NULL, 10) : g->timeout_s;
	const struct ck_test_run_opts o = { .merge_stderr = true, .timeout_s = b->timeout_s, .tee_fd = log };
	start = now_s();
	err = ck_test_run((char *const *)argv, &o, &b->run);
	b->seconds = now_s() - start;
	close(log);
	cr_assert_eq(err, 0, "vm %s: running %s: %s", g->label, qemu, strerror(err));
	split_lines(b);
}

static const char *line_after(const struct boot *b, const char *prefix)
{
	size_t len = strlen(prefix);

	for (size_t i = 0; i < b->n; i++)
		if (strncmp(b->lines[i], prefix, len) == 0)
			return b->lines[i] + len;
	return NULL;
}

/*
 * The guest booted the expected kernel, ran its program to the end and
 * powered off in time; returns the program's wait status.
 */
static int guest_status(const struct boot *b, const struct kernel *k)
{
	const char *l;
	char release[128];
	int code;

	if (b->run.timed_out)
		fail_with_console(b, "the guest did not power off within %u s", b->timeout_s);
	if ((l = line_after(b, "ck-vm: setup failed: ")))
		fail_with_console(b, "the guest's /init failed before running anything: %s", l);
	l = line_after(b, "ck-vm: booted ");
	if (!l)
		fail_with_console(b, "no \"ck-vm: booted\" line: the kernel did not boot or its /init did not run");
	printf("vm %s: booted %s\n", b->g->label, l);
	if (sscanf(l, "Linux %127s", release) != 1 || strcmp(release, k->release) != 0)
		fail_with_console(b, "the guest runs \"%s\", not the kernel of %s", l, k->package);
	if ((l = line_after(b, "ck-vm: cgroup2 ")))
		printf("vm %s: cgroup2 %s\n", b->g->label, l);
	if (!WIFEXITED(b->run.status) || WEXITSTATUS(b->run.status) != 0)
		fail_with_console(b, "qemu ended with wait status %#x", (unsigned)b->run.status);
	if ((l = line_after(b, "ck-vm: killed by signal ")))
		return atoi(l) & 0x7f;
	l = line_after(b, "ck-vm: exit status ");
	if (!l)
		fail_with_console(b, "the guest powered off without its program's exit status");
	code = atoi(l);
	printf("vm %s: the guest's program exited %d; qemu ran %.1f s\n", b->g->label, code, b->seconds);
	fflush(stdout);
	return W_EXITCODE(code, 0);
}

static void boot_free(struct boot *b)
{
	free(b->lines);
	free(b->copy);
	ck_test_run_free(&b->run);
}

/* ---- the differential in the amd64 guest ---- */

extern char **environ;

/* The Criterion tests the host's copy of the binary holds: "differential::NAME", from --list. */
static size_t list_tests(const char *bin, char names[][160], size_t max)
{
	char *argv[] = { (char *)bin, "--list", NULL }, *env[256];
	char suite[64] = "", *save = NULL, *line;
	struct ck_test_run r;
	size_t n = 0, e = 0;
	int err;

	/* without BoxFort's variable, which would make it take itself for this test's worker */
	for (char **v = environ; *v && e + 1 < sizeof(env) / sizeof(env[0]); v++)
		if (strncmp(*v, "BXFI_", 5) != 0)
			env[e++] = *v;
	env[e] = NULL;
	const struct ck_test_run_opts o = { .timeout_s = 60, .tee_fd = -1, .envp = env };
	err = ck_test_run(argv, &o, &r);
	cr_assert_eq(err, 0, "running %s --list: %s", bin, strerror(err));
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s --list failed: %s", bin, r.out);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "SUITE: N tests", then "├── NAME" or "└── NAME" */
		char *tree = strstr(line, "── ");

		if (!tree) {
			sscanf(line, "%63[^:]:", suite);
			continue;
		}
		cr_assert_lt(n, max, "more than %zu tests in %s", max, bin);
		snprintf(names[n++], 160, "%s::%s", suite, tree + strlen("── "));
	}
	ck_test_run_free(&r);
	cr_assert_gt(n, 0, "%s --list names no test", bin);
	return n;
}

/*
 * Runs the Criterion binary the host built (env names it) as /NAME in the
 * amd64 guest, and asserts that every test --list names on the host passed
 * there. Lines starting with summary (and the disagreements) reach the check
 * output.
 */
static void criterion_in_amd64_guest(const char *env, const char *name, const char *summary)
{
	const char *bin;
	char names[32][160], initramfs[PATH_MAX], cmdline[1024], seed[96] = "", path[64];
	const char *n_calls = getenv("CLONEKIT_VM_DIFF_N") ? getenv("CLONEKIT_VM_DIFF_N") : DIFF_N;
	size_t n_tests, ok = 0;
	struct initramfs f;
	struct kernel k;
	struct boot b;
	int st;

	built("amd64", env, &bin);
	n_tests = list_tests(bin, names, 32);
	fetch_kernel(&amd64, &k);
	start_initramfs(&amd64, &f, initramfs, sizeof(initramfs));
	snprintf(path, sizeof(path), "/%s", name);
	initramfs_or_fail(&amd64, &f, initramfs_add_program(&f, path, bin));
	initramfs_or_fail(&amd64, &f, initramfs_finish(&f));

	if (getenv("CLONEKIT_SEED"))
		snprintf(seed, sizeof(seed), "CLONEKIT_SEED=%s ", getenv("CLONEKIT_SEED"));
	/* a skip inside the guest means this harness left something out: a failure */
	snprintf(cmdline, sizeof(cmdline), "CLONEKIT_NO_SKIP=1 CLONEKIT_DIFF_N=%s %s-- %s --tap=/dev/stdout",
		 n_calls, seed, path);
	boot(&amd64, &k, initramfs, cmdline, &b);
	st = guest_status(&b, &k);

	if (!line_after(&b, "TAP version "))
		fail_with_console(&b, "the test printed no TAP report (--tap=/dev/stdout)");
	for (size_t i = 0; i < b.n; i++) {
		const char *l = b.lines[i];

		/* the tests' results, and the summaries and disagreements, for the check output */
		if (strncmp(l, summary, strlen(summary)) == 0 || strncmp(l, "DISAGREE ", 9) == 0 ||
		    (i > 0 && strncmp(b.lines[i - 1], "DISAGREE ", 9) == 0) || strncmp(l, "  ", 2) == 0 ||
		    strncmp(l, "ok - ", 5) == 0 || strncmp(l, "not ok - ", 9) == 0)
			printf("vm amd64 %s: %s\n", k.release, l);
	}
	for (size_t t = 0; t < n_tests; t++) {
		bool found = false, passed = false;

		for (size_t i = 0; i < b.n && !found; i++) {
			const char *l = b.lines[i], *test = NULL;

			if (strncmp(l, "ok - ", 5) == 0)
				test = l + 5;
			else if (strncmp(l, "not ok - ", 9) == 0)
				test = l + 9;
			if (!test || strncmp(test, names[t], strlen(names[t])) != 0 || test[strlen(names[t])] != ' ')
				continue;
			found = true;
			passed = l[0] == 'o' && !strstr(test, "# SKIP");
		}
		ok += passed;
		cr_expect(found, "vm amd64: the guest reported no result for %s", names[t]);
		cr_expect(!found || passed, "vm amd64: %s failed in Linux %s", names[t], k.release);
	}
	printf("vm amd64: %zu of %zu tests of %s pass in Linux %s (%s calls per differential scenario)\n",
	       ok, n_tests, name, k.release, n_calls);
	fflush(stdout);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vm amd64: %s ended with wait status %#x", name,
		  (unsigned)st);
	cr_assert_eq(ok, n_tests, "vm amd64: %zu of %zu tests of %s pass in Linux %s", ok, n_tests, name,
		     k.release);
	boot_free(&b);
}

Test(vm, differential_agrees_with_the_kernel_in_debian_6_1_amd64, .timeout = 1800)
{
	criterion_in_amd64_guest("CK_VM_DIFFERENTIAL", "test_differential", "differential (");
}

Test(vm, clone3_differential_agrees_with_the_kernel_in_debian_6_1_amd64, .timeout = 900)
{
	criterion_in_amd64_guest("CK_VM_CLONE3_DIFFERENTIAL", "test_clone3_differential", "clone3 differential");
}

/* ---- the clone cases in the arm64 guest ---- */

Test(vm, clone_cases_pass_with_clone3_in_debian_6_1_arm64, .timeout = 900)
{
	const char *bin;
	char initramfs[PATH_MAX], label[192];
	struct initramfs f;
	struct kernel k;
	struct boot b;
	int st;

	built("arm64", "CK_VM_CASES_ARM64", &bin);
	fetch_kernel(&arm64, &k);
	start_initramfs(&arm64, &f, initramfs, sizeof(initramfs));
	initramfs_or_fail(&arm64, &f, initramfs_add_file(&f, "/ck-cases", bin, 0755));
	initramfs_or_fail(&arm64, &f, initramfs_finish(&f));

	boot(&arm64, &k, initramfs, "-- /ck-cases", &b);
	st = guest_status(&b, &k);
	if (!line_after(&b, "1.."))
		fail_with_console(&b, "the clone cases printed no plan");

	snprintf(label, sizeof(label), "aarch64 in Linux %s", k.release);
	const struct cases_run run = { label, CASE_AARCH64_VM, true };
	cases_tap_check(&run, b.run.out, st);
	boot_free(&b);
}
