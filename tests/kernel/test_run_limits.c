/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit run's cgroup limits and seccomp options (cli/sandbox_opts.c),
 * driven as a user drives them: the real binary, its output (stdout and
 * stderr merged) and exit status asserted exactly. The escapes of issue 14
 * from inside the fresh cgroup, with the errno the kernel gives in each
 * mode, and no group left behind after a run or a failed one.
 * CLONEKIT_BIN names the binary, CK_CGROUP_PROBE tests/helpers/ck-cgroup-probe.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <clonekit/spawn.h>

#include "../run.h"
#include "../support.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	cr_assert(v && *v, "%s is not set: run this test through meson test", name);
	return v;
}

/* Runs clonekit with args (NULL-terminated); stdout and stderr merged into r->out. */
static void ck(struct ck_test_run *r, char *const args[])
{
	char *argv[32] = { (char *)env("CLONEKIT_BIN") };
	size_t n = 1;
	for (; args[n - 1]; n++) {
		cr_assert_lt(n, 31);
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;
	/* messages in the C locale: plain quotes */
	static char *const envp[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct ck_test_run_opts o = { .merge_stderr = true, .timeout_s = 120, .tee_fd = -1, .envp = envp };
	cr_assert_eq(ck_test_run(argv, &o, r), 0);
	cr_assert(!r->timed_out, "clonekit %s: timed out", args[0]);
}

#define CK(r, ...) ck((r), (char *const[]){ __VA_ARGS__, NULL })

static int code(const struct ck_test_run *r)
{
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

#define expect(r, st, text)                                                                        \
	do {                                                                                       \
		cr_assert_eq(code(r), (st), "exit %d, expected %d; output:\n%s", code(r), (st), (r)->out); \
		cr_assert_str_eq((r)->out, (text));                                                \
		ck_test_run_free(r);                                                               \
	} while (0)

#define USAGE(msg) "clonekit run: " msg "\nTry 'clonekit run --help'.\n"

static void require_root(void)
{
	if (geteuid() != 0)
		ck_skip_or_fail_printed("the limits are made in the host's cgroup hierarchies: run as root");
}

/* The directory of the caller's group of controller ("memory", "pids") in its hierarchy. */
static void own_dir(const char *controller, char *buf, size_t len)
{
	char text[4096], want[32];
	FILE *f = fopen("/proc/self/cgroup", "re");
	cr_assert_not_null(f);
	snprintf(want, sizeof(want), ":%s:", controller);
	buf[0] = '\0';
	while (fgets(text, sizeof(text), f)) {
		char *at = strstr(text, want);
		if (!at)
			continue;
		text[strcspn(text, "\n")] = '\0';
		const char *path = at + strlen(want);
		snprintf(buf, len, "/sys/fs/cgroup/%s%s", controller, strcmp(path, "/") ? path : "");
	}
	fclose(f);
	if (!buf[0])
		ck_skip_or_fail_printed("no cgroup v1 %s hierarchy for this process", controller);
}

/* clonekit-spawn-* groups in the caller's own group of controller. */
static int groups_left(const char *controller)
{
	char dir[1200];
	own_dir(controller, dir, sizeof(dir));
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "clonekit-spawn-", 15) == 0;
	closedir(d);
	return n;
}

static void require_v1(const char *controller)
{
	if (ck_cgroup_mode(controller, NULL) != CK_CGROUP_V1)
		ck_skip_or_fail_printed("the %s controller is not on cgroup v1 here", controller);
}

/* ---- the options: bad values are named, in run's spelling; bwrap's front end refuses them ---- */

Test(run_limits, bad_values_name_the_option_and_the_value)
{
	struct ck_test_run r;
	const char *bytes = "expected a positive number of bytes (suffixes K, M, G, T: powers of 1024), or max";
	char want[512];

	static char *const bad_bytes[][2] = {
		{ "--memory-max", "0" }, { "--memory-max", "12Q" }, { "--memory-max", "16E" },
	};
	for (size_t i = 0; i < sizeof(bad_bytes) / sizeof(bad_bytes[0]); i++) {
		CK(&r, "run", bad_bytes[i][0], bad_bytes[i][1], "--", "true");
		snprintf(want, sizeof(want), USAGE("%s '%s': %s"), bad_bytes[i][0], bad_bytes[i][1], bytes);
		expect(&r, 125, want);
	}
	CK(&r, "run", "--pids-max", "4K", "--", "true");
	expect(&r, 125, USAGE("--pids-max '4K': expected a positive number of tasks, or max"));
	CK(&r, "run", "--cpu-max", "500", "--", "true");
	expect(&r, 125, USAGE("--cpu-max '500': the quota must be at least 1000 us and the period 1000 to 1000000 us"));
	CK(&r, "run", "--cpu-max", "50000/2000000", "--", "true");
	expect(&r, 125, USAGE("--cpu-max '50000/2000000': the quota must be at least 1000 us and the period 1000 to 1000000 us"));
	CK(&r, "run", "--cpu-max", "max/100000", "--", "true");
	expect(&r, 125, USAGE("--cpu-max 'max/100000': expected QUOTA[/PERIOD] in microseconds (cgroup cpu.max; period 100000 by default), or max"));
	CK(&r, "run", "--memory-swap-max", "-1", "--", "true");
	expect(&r, 125, USAGE("--memory-swap-max '-1': expected a number of bytes (suffixes K, M, G, T: powers of 1024), 0 for no swap, or max"));
	/* after --memory-swap-max, --memory-max's own message */
	CK(&r, "run", "--memory-swap-max", "1M", "--memory-max", "0", "--", "true");
	snprintf(want, sizeof(want), USAGE("--memory-max '0': %s"), bytes);
	expect(&r, 125, want);
	static const char *const swaps[] = { "1M", "0", "max" };
	for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
		CK(&r, "run", "--memory-swap-max", (char *)swaps[i], "--", "true");
		expect(&r, 125, "clonekit run: --memory-swap-max: needs --memory-max (swap is limited on top of memory)\n");
	}
	CK(&r, "run", "--seccomp-profile", "/nonexistent/profile.json", "--", "true");
	expect(&r, 125, USAGE("--seccomp-profile '/nonexistent/profile.json': reading /nonexistent/profile.json: No such file or directory"));
	CK(&r, "run", "--seccomp-deny", "newusr", "--", "true");
	expect(&r, 125, USAGE("--seccomp-deny 'newusr': unknown flag 'newusr' (did you mean 'newuser'?)"));
	CK(&r, "run", "--seccomp-deny", "newuser:abort", "--", "true");
	expect(&r, 125, USAGE("--seccomp-deny 'newuser:abort': after ':' expected an errno name or number (EPERM by default), or kill, kill-thread, trap or log"));
}

Test(run_limits, clonekit_bwrap_refuses_them_as_not_bwrap_options)
{
	struct ck_test_run r;
	/* bwrap's own message and status (1), with what the name is */
	CK(&r, "bwrap", "--pids-max", "4", "true");
	expect(&r, 1, "bwrap: Unknown option --pids-max (a clonekit run option; clonekit bwrap takes bubblewrap's options only)\n");
	CK(&r, "bwrap", "--seccomp-profile", "p.json", "true");
	expect(&r, 1, "bwrap: Unknown option --seccomp-profile (a clonekit run option; clonekit bwrap takes bubblewrap's options only)\n");
	CK(&r, "bwrap", "--seccomp-fd", "3", "true");
	expect(&r, 1, "bwrap: Unknown option --seccomp-fd (clonekit run's name for bwrap's --seccomp)\n");
	CK(&r, "bwrap", "--no-such-option", "true");
	expect(&r, 1, "bwrap: Unknown option --no-such-option\n");
}

Test(run_limits, help_names_the_path_this_host_gets)
{
	struct ck_test_run r;
	static const char *const ctl[] = { "memory", "pids", "cpu" };
	CK(&r, "run", "--help");
	cr_assert_eq(code(&r), 0);
	for (size_t i = 0; i < 3; i++) {
		int m = ck_cgroup_mode(ctl[i], NULL);
		char line[200];
		snprintf(line, sizeof(line), "    %-7s %s\n", ctl[i],
			 m == CK_CGROUP_V2 ? "cgroup v2, entered at birth with CLONE_INTO_CGROUP"
			 : m == CK_CGROUP_V1 ? "cgroup v1 fallback: the child joins its group before execve"
					     : "no hierarchy holds it here: its limit fails the launch");
		cr_assert(strstr(r.out, line), "--help lacks '%s'", line);
	}
	ck_test_run_free(&r);
}

/* ---- the limits bite; the groups go ---- */

Test(run_limits, pids_max_makes_fork_fail_with_eagain_and_the_group_goes)
{
	struct ck_test_run r;
	require_root();
	require_v1("pids");
	int before = groups_left("pids");
	CK(&r, "run", "--pids-max", "4", "--", (char *)env("CK_CGROUP_PROBE"), "fork", "10");
	/* the probe is one task of four: three forks, then EAGAIN; its children are killed with the group */
	expect(&r, 0, "forked=3 errno=EAGAIN\n");
	cr_assert_eq(groups_left("pids"), before, "the group is removed after the command ends");
}

Test(run_limits, memory_max_kills_with_sigkill_and_spares_what_fits)
{
	struct ck_test_run r;
	require_root();
	require_v1("memory");
	int before = groups_left("memory");
	CK(&r, "run", "--memory-max", "32M", "--", (char *)env("CK_CGROUP_PROBE"), "mem", "268435456");
	expect(&r, 128 + SIGKILL, "");
	CK(&r, "run", "--memory-max", "32m", "--", (char *)env("CK_CGROUP_PROBE"), "mem", "8388608");
	expect(&r, 0, "touched\n");
	cr_assert_eq(groups_left("memory"), before);
}

/*
 * The swap a command may use on top of --memory-max, as cgroup v1 holds it
 * (memory.memsw.limit_in_bytes bounds memory and swap together): none by
 * default and with 0, the sum with a size, no bound of its own with max.
 */
Test(run_limits, swap_is_none_by_default_a_size_or_max)
{
	static const struct {
		const char *swap; /* NULL: no --memory-swap-max */
		const char *memsw;
	} cases[] = {
		{ NULL, "33554432" }, { "0", "33554432" }, { "16M", "50331648" },
		/* -1 reads back as the largest page count's bytes */
		{ "max", "9223372036854771712" },
	};
	require_root();
	require_v1("memory");
	if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) < 0)
		ck_skip_or_fail_printed("this kernel does not account swap in cgroup v1 (swapaccount)");
	int before = groups_left("memory");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_test_run r;
		char want[64];
		char *argv[] = { "run", "--memory-max", "32M", "--memory-swap-max", (char *)cases[i].swap, "--", "/bin/sh", "-c",
				 "cat /sys/fs/cgroup/memory$(grep :memory: /proc/self/cgroup | cut -d: -f3)/memory.memsw.limit_in_bytes",
				 NULL };
		if (!cases[i].swap)
			memmove(&argv[3], &argv[5], 5 * sizeof(char *));
		ck(&r, argv);
		snprintf(want, sizeof(want), "%s\n", cases[i].memsw);
		expect(&r, 0, want);
	}
	cr_assert_eq(groups_left("memory"), before);
}

Test(run_limits, a_failed_launch_leaves_no_group)
{
	struct ck_test_run r;
	require_root();
	require_v1("pids");
	require_v1("memory");
	int pids = groups_left("pids"), mem = groups_left("memory");
	CK(&r, "run", "--pids-max", "8", "--memory-max", "64M", "--cpu-max", "50000", "--", "/nonexistent/cmd");
	cr_assert_eq(code(&r), 127, "%s", r.out);
	ck_test_run_free(&r);
	cr_assert_eq(groups_left("pids"), pids);
	cr_assert_eq(groups_left("memory"), mem);
}

/* ---- leaving the group from inside ---- */

/*
 * The probe writes "0" (itself) to the hierarchy root's and to the caller's
 * own group's cgroup.procs. A sandbox that is root outside may move (the
 * kernel lets uid 0 write cgroup.procs in v1, cgroup namespace or not); one
 * whose ids are mapped to uid 65534 gets EACCES for both.
 */
static void escape(const char *const *opts, const char *outcome)
{
	char pids_own[1200], root[64] = "/sys/fs/cgroup/pids/cgroup.procs", own[1300], want[4000];
	char *argv[24];
	size_t n = 0;
	struct ck_test_run r;

	own_dir("pids", pids_own, sizeof(pids_own));
	snprintf(own, sizeof(own), "%s/cgroup.procs", pids_own);
	argv[n++] = "run";
	argv[n++] = "--pids-max";
	argv[n++] = "16";
	for (size_t i = 0; opts[i]; i++)
		argv[n++] = (char *)opts[i];
	argv[n++] = "--";
	argv[n++] = (char *)env("CK_CGROUP_PROBE");
	argv[n++] = "escape";
	argv[n++] = root;
	argv[n++] = own;
	argv[n] = NULL;
	ck(&r, argv);
	snprintf(want, sizeof(want), "%s=%s\n%s=%s\n", root, outcome, own, outcome);
	expect(&r, 0, want);
}

Test(run_limits, a_sandbox_mapped_to_65534_cannot_leave_its_group)
{
	require_root();
	require_v1("pids");
	int before = groups_left("pids");
	/* before the fix the child kept kuid 0 under these maps: "=ok" (it left its group) */
	escape((const char *[]){ "--uid-map", "0:65534:1", "--gid-map", "0:65534:1", NULL }, "EACCES");
	escape((const char *[]){ "--new", "cgroup", "--uid-map", "0:65534:1", "--gid-map", "0:65534:1", NULL },
	       "EACCES");
	cr_assert_eq(groups_left("pids"), before);
}

Test(run_limits, a_sandbox_that_is_root_outside_can_leave_on_v1)
{
	require_root();
	require_v1("pids");
	/* the kernel's rule, stated so a change shows: confinement needs a user namespace not mapped to root */
	escape((const char *[]){ "--cap-drop", "ALL", NULL }, "ok");
	escape((const char *[]){ "--new", "cgroup", NULL }, "ok");
}

/* A root caller's maps without its own ids: the command is uid 65534 outside, not root. */
Test(run_limits, uid_map_without_the_callers_id_does_not_leave_the_command_root)
{
	char path[] = "/tmp/ck-run-limits-XXXXXX", script[200];
	struct ck_test_run r;
	require_root();
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "orig\n", 5), 5);
	fchmod(fd, 0644);
	close(fd);
	snprintf(script, sizeof(script), "echo changed > %s", path);
	CK(&r, "run", "--uid-map", "0:65534:1", "--gid-map", "0:65534:1", "--", "/bin/sh", "-c", script);
	char want[300];
	snprintf(want, sizeof(want), "/bin/sh: 1: cannot create %s: Permission denied\n", path);
	expect(&r, 2, want);
	char text[16] = "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_eq(read(fd, text, sizeof(text) - 1), 5);
	close(fd);
	unlink(path);
	cr_assert_str_eq(text, "orig\n");
}

/* ---- seccomp from the command line ---- */

Test(run_limits, seccomp_deny_refuses_the_flags_with_the_errno_or_action)
{
	struct ck_test_run r;
	CK(&r, "run", "--seccomp-deny", "newuser", "--", "/usr/bin/unshare", "-U", "true");
	expect(&r, 1, "unshare: unshare failed: Operation not permitted\n");
	CK(&r, "run", "--seccomp-deny", "newuser|newnet:EACCES", "--", "/usr/bin/unshare", "-n", "true");
	expect(&r, 1, "unshare: unshare failed: Permission denied\n");
	CK(&r, "run", "--seccomp-deny", "newuser:kill", "--", "/usr/bin/unshare", "-U", "true");
	expect(&r, 128 + SIGSYS, "");
	/* a flag not in the list passes */
	CK(&r, "run", "--seccomp-deny", "newnet", "--", "/usr/bin/unshare", "-U", "true");
	expect(&r, 0, "");
}

Test(run_limits, seccomp_profile_loads_an_oci_profile)
{
	char dir[] = "/tmp/ck-run-profile-XXXXXX", profile[100], target[100], want[300];
	struct ck_test_run r;
	static const char doc[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(profile, sizeof(profile), "%s/p.json", dir);
	snprintf(target, sizeof(target), "%s/d", dir);
	int fd = open(profile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	CK(&r, "run", "--seccomp-profile", profile, "--", "/bin/mkdir", target);
	snprintf(want, sizeof(want), "/bin/mkdir: cannot create directory '%s': Permission denied\n", target);
	expect(&r, 1, want);
	cr_assert_eq(access(target, F_OK), -1, "no directory was made");
	/* a bad document is named with its field */
	fd = open(profile, O_WRONLY | O_TRUNC | O_CLOEXEC);
	cr_assert_eq(write(fd, "{\"syscalls\":[]}", 15), 15);
	close(fd);
	CK(&r, "run", "--seccomp-profile", profile, "--", "true");
	snprintf(want, sizeof(want), USAGE("--seccomp-profile '%s': the profile: no \"defaultAction\""), profile);
	expect(&r, 125, want);
	unlink(profile);
	rmdir(dir);
}

/* ---- rootless: a caller (uid 65534) in a delegated subtree, as a service manager makes one ---- */

#define UNPRIV 65534

/*
 * Runs clonekit args... as uid 65534 from inside a v1 pids and memory group
 * delegated to it (made and chowned here, removed after): what it printed
 * and its exit code, or -1 when the caller could not be set up.
 */
static int rootless(char *out, size_t len, char *const args[])
{
	char deleg[2][1300], own[1200], cmd[2800];
	static const char *const ctl[2] = { "pids", "memory" };
	int p[2], st;

	for (int i = 0; i < 2; i++) {
		own_dir(ctl[i], own, sizeof(own));
		snprintf(deleg[i], sizeof(deleg[i]), "%s/ck-run-limits-%d", own, (int)getpid());
		cr_assert_eq(mkdir(deleg[i], 0755), 0, "mkdir %s: %s", deleg[i], strerror(errno));
		snprintf(cmd, sizeof(cmd), "chown -R %d:%d %s", UNPRIV, UNPRIV, deleg[i]);
		cr_assert_eq(system(cmd), 0);
	}
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char me[32], procs[2700];
		snprintf(me, sizeof(me), "%d", (int)getpid());
		for (int i = 0; i < 2; i++) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", deleg[i]);
			int fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, me, strlen(me)) < 0)
				_exit(120);
			close(fd);
		}
		if (setgroups(0, NULL) || setgid(UNPRIV) || setuid(UNPRIV))
			_exit(121);
		dup2(p[1], 1);
		dup2(p[1], 2);
		char *argv[24] = { (char *)env("CLONEKIT_BIN") };
		for (int i = 0; args[i] && i < 22; i++)
			argv[i + 1] = args[i];
		char *envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
		execve(argv[0], argv, envp);
		_exit(122);
	}
	close(p[1]);
	ck_test_read_all(p[0], out, len);
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(rmdir(deleg[i]), 0, "rmdir %s: %s (clonekit's group should be gone)", deleg[i],
			     strerror(errno));
	int c = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert(c < 120 || c > 122, "the rootless caller could not be set up: %d", c);
	return c;
}

Test(run_limits, rootless_in_a_delegated_subtree_the_limits_bite_and_the_group_goes)
{
	char out[4096];
	require_root();
	require_v1("pids");
	require_v1("memory");
	int c = rootless(out, sizeof(out), (char *const[]){ "run", "--pids-max", "4", "--",
				(char *)env("CK_CGROUP_PROBE"), "fork", "10", NULL });
	cr_assert_eq(c, 0, "%s", out);
	cr_assert_str_eq(out, "forked=3 errno=EAGAIN\n");
	c = rootless(out, sizeof(out), (char *const[]){ "run", "--memory-max", "32M", "--",
			 (char *)env("CK_CGROUP_PROBE"), "mem", "268435456", NULL });
	cr_assert_eq(c, 128 + SIGKILL, "%s", out);
	cr_assert_str_eq(out, "");
}
