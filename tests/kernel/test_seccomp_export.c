/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exported filters read by their real consumers: bubblewrap loads the
 * BPF export through --seccomp FD, crun compiles the OCI export from a
 * bundle's config.json. Every refusal is paired with the same command run
 * without the filter, which must succeed, and with a harmless command under
 * the filter, which must succeed too: the failure is then the filter's, not
 * a missing capability or a configuration the consumer refused.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support.h"

extern char **environ;

#define COUNT_ARGS(a) (sizeof(a) / sizeof((a)[0]))

/* The fd number a consumer is told to read the filter from. */
#define FILTER_FD 10

struct result {
	int status;     /* the exit code, or 128 + the signal that killed it */
	char out[65536];
	char err[65536];
};

static const char *clonekit_bin(void)
{
	const char *p = getenv("CLONEKIT_BIN");
	if (!p || !*p)
		cr_assert_fail("CLONEKIT_BIN is not set: run this test through 'meson test'");
	return p;
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

#define require(cond, ...)                            \
	do {                                          \
		if (!(cond))                          \
			ck_skip_or_fail(__VA_ARGS__); \
	} while (0)

#define require_tool(name) \
	require(in_path(name), "%s is not installed (scripts/deps.sh installs it)", name)

#define require_root() require(geteuid() == 0, "needs root: the consumers are run as root")

/* Reads what is there into buf; past cap, the rest is read and dropped so the writer never blocks. */
static void slurp(int fd, char *buf, size_t cap, size_t *len, bool *open)
{
	char scratch[4096];
	bool full = *len == cap - 1;
	ssize_t n = full ? read(fd, scratch, sizeof(scratch)) : read(fd, buf + *len, cap - 1 - *len);

	if (n < 0 && errno == EINTR)
		return;
	cr_assert_geq(n, 0, "read: %s", strerror(errno));
	if (n == 0)
		*open = false;
	if (!full)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/*
 * Runs argv (searched in PATH) with an empty stdin, stdout and stderr
 * captured; filter_fd >= 0 is given to it as FILTER_FD, without CLOEXEC.
 */
static void run(int filter_fd, char *const argv[], struct result *r)
{
	posix_spawn_file_actions_t fa;
	int o[2], e[2], st, rc;
	size_t olen = 0, elen = 0;
	bool oopen = true, eopen = true;
	pid_t pid;

	r->out[0] = r->err[0] = '\0';
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	if (filter_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, filter_fd, FILTER_FD);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(o[1]);
	close(e[1]);
	if (rc) {
		close(o[0]);
		close(e[0]);
		cr_assert_fail("cannot run %s: %s", argv[0], strerror(rc));
	}
	while (oopen || eopen) {
		struct pollfd p[2] = {
			{ .fd = oopen ? o[0] : -1, .events = POLLIN },
			{ .fd = eopen ? e[0] : -1, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
			continue;
		}
		if (p[0].revents)
			slurp(o[0], r->out, sizeof(r->out), &olen, &oopen);
		if (p[1].revents)
			slurp(e[0], r->err, sizeof(r->err), &elen, &eopen);
	}
	close(o[0]);
	close(e[0]);
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RUN(r, fd, ...) run((fd), (char *const[]){ __VA_ARGS__, NULL }, (r))

#define assert_status(r, code, what)                                                       \
	cr_assert_eq((r)->status, (code), "%s: exit status %d, expected %d\n--- stdout:\n%s--- stderr:\n%s", \
		     (what), (r)->status, (code), (r)->out, (r)->err)

#define assert_err_has(r, text, what)                                                     \
	cr_assert_not_null(strstr((r)->err, (text)), "%s: stderr lacks \"%s\":\n%s", (what), \
			   (text), (r)->err)

static char workdir[] = "/tmp/clonekit-seccomp-export-XXXXXX";
static bool have_workdir;

static void workdir_make(void)
{
	cr_assert_not_null(mkdtemp(workdir), "mkdtemp: %s", strerror(errno));
	have_workdir = true;
}

static void workdir_remove(void)
{
	struct result r;

	if (!have_workdir)
		return;
	RUN(&r, -1, "rm", "-rf", "--one-file-system", workdir);
	have_workdir = false;
}

/* workdir/name, in a static ring so a test can hold several. */
static const char *at(const char *name)
{
	static char bufs[4][4096];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", workdir, name);
	return b;
}

/*
 * Exports the policy `clonekit seccomp` builds from spec (its options before
 * --format) as BPF with -o and opens it; the size is checked against the
 * format.
 */
static int export_bpf_spec(const char *const spec[], const char *name)
{
	const char *path = at(name);
	char *argv[16];
	size_t n = 0;
	struct result r;
	struct stat sb;
	int fd;

	argv[n++] = (char *)clonekit_bin();
	argv[n++] = "seccomp";
	while (*spec && n < COUNT_ARGS(argv) - 5)
		argv[n++] = (char *)*spec++;
	argv[n++] = "--format";
	argv[n++] = "bpf";
	argv[n++] = "-o";
	argv[n++] = (char *)path;
	argv[n] = NULL;
	run(-1, argv, &r);
	assert_status(&r, 0, "clonekit seccomp --format bpf -o");
	cr_assert_eq(stat(path, &sb), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(sb.st_mode & 07777, 0644, "%s has mode %o", path, sb.st_mode & 07777);
	cr_assert(sb.st_size > 0 && sb.st_size % 8 == 0, "%s: %lld bytes is not a sock_filter array",
		  path, (long long)sb.st_size);
	/* above FILTER_FD, so the dup2 in run() is a real one and clears CLOEXEC */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	int high = fcntl(fd, F_DUPFD_CLOEXEC, FILTER_FD + 1);
	cr_assert_geq(high, 0, "F_DUPFD_CLOEXEC: %s", strerror(errno));
	close(fd);
	return high;
}

/* A named policy as BPF (export_bpf_spec). */
static int export_bpf(const char *policy, const char *name)
{
	return export_bpf_spec((const char *const[]){ "--policy", policy, NULL }, name);
}

/* bwrap with the host's root, a fresh /dev and /proc, and the filter from FILTER_FD. */
#define BWRAP(r, fd, ...)                                                                   \
	RUN(r, fd, "bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--seccomp", \
	    "10", "--", __VA_ARGS__)
#define BWRAP_PLAIN(r, ...) \
	RUN(r, -1, "bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", __VA_ARGS__)

static void require_bwrap(void)
{
	require_root();
	require_tool("bwrap");
	require_tool("unshare");
}

Test(bwrap, deny_namespaces_bpf_makes_unshare_net_fail_with_eperm, .init = workdir_make,
     .fini = workdir_remove)
{
	struct result r;

	require_bwrap();
	BWRAP_PLAIN(&r, "unshare", "-n", "true");
	if (r.status != 0)
		ck_skip_or_fail("unshare -n fails in bwrap even without a filter (%s)", r.err);

	int fd = export_bpf("deny-namespaces", "deny-namespaces.bpf");
	BWRAP(&r, fd, "unshare", "-n", "true");
	close(fd);
	assert_status(&r, 1, "unshare -n under deny-namespaces");
	assert_err_has(&r, "unshare failed: Operation not permitted", "unshare -n under deny-namespaces");
}

/* bwrap loads a filter without asking for a listener: a notify rule then has no one to ask. */
Test(bwrap, notify_bpf_without_a_listener_makes_unshare_uts_fail_with_enosys, .init = workdir_make,
     .fini = workdir_remove)
{
	struct result r;

	require_bwrap();
	BWRAP_PLAIN(&r, "unshare", "-u", "true");
	if (r.status != 0)
		ck_skip_or_fail("unshare -u fails in bwrap even without a filter (%s)", r.err);

	const char *const spec[] = { "--deny", "newuts", "--action", "notify", NULL };
	int fd = export_bpf_spec(spec, "notify-newuts.bpf");
	BWRAP(&r, fd, "unshare", "-u", "true");
	close(fd);
	assert_status(&r, 1, "unshare -u under a notify rule and no listener");
	assert_err_has(&r, "unshare failed: Function not implemented",
		       "unshare -u under a notify rule and no listener");
	/* bwrap read the file to its end through the shared offset: a fresh one */
	fd = export_bpf_spec(spec, "notify-newuts.bpf");
	BWRAP(&r, fd, "unshare", "-i", "true");
	close(fd);
	assert_status(&r, 0, "unshare -i, which the notify rule does not name");
}

Test(bwrap, deny_namespaces_bpf_still_lets_the_sandbox_fork, .init = workdir_make,
     .fini = workdir_remove)
{
	struct result r;

	require_bwrap();
	int fd = export_bpf("deny-namespaces", "deny-namespaces.bpf");
	BWRAP(&r, fd, "sh", "-c", "true & wait");
	close(fd);
	assert_status(&r, 0, "fork under deny-namespaces");
	cr_assert_str_empty(r.err, "stderr: %s", r.err);
}

Test(bwrap, no_child_process_bpf_makes_the_shell_unable_to_fork_but_exec_works,
     .init = workdir_make, .fini = workdir_remove)
{
	/* two commands, so that no shell can exec the first in place of forking */
	char script[] = "/bin/true; /bin/true";
	struct result r;

	require_bwrap();
	BWRAP_PLAIN(&r, "sh", "-c", script);
	assert_status(&r, 0, "sh without a filter");

	int fd = export_bpf("no-child-process", "no-child-process.bpf");
	BWRAP(&r, fd, "sh", "-c", script);
	assert_status(&r, 2, "sh under no-child-process");
	assert_err_has(&r, "Cannot fork", "sh under no-child-process");
	close(fd);

	fd = export_bpf("no-child-process", "no-child-process.bpf");
	BWRAP(&r, fd, "true");
	close(fd);
	assert_status(&r, 0, "exec of true under no-child-process");
}

/* ---- crun ---- */

static char container_id[64];

/* Whether an executable has no program interpreter (a static busybox runs in an empty rootfs). */
static bool is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	bool dynamic = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return false;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			dynamic = true;
	}
	close(fd);
	return !dynamic;
}

/*
 * crun refuses a hybrid cgroup host whose cgroup2 half has controllers
 * ("cgroups in hybrid mode not supported"); in a private mount namespace
 * without that half it sees a legacy host and runs. The filter under test
 * is the same either way.
 */
static bool hybrid_with_v2_controllers(void)
{
	struct statfs sf;
	char buf[256];
	ssize_t n;
	int fd;

	if (statfs("/sys/fs/cgroup", &sf) || sf.f_type != TMPFS_MAGIC)
		return false;
	fd = open("/sys/fs/cgroup/unified/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 1;
}

static void crun(struct result *r, const char *verb, bool with_bundle)
{
	char *bundle = (char *)at("bundle");

	if (hybrid_with_v2_controllers()) {
		char script[] = "umount -l /sys/fs/cgroup/unified && exec crun \"$@\"";
		if (with_bundle)
			RUN(r, -1, "unshare", "--mount", "--propagation", "private", "sh", "-c", script,
			    "crun", (char *)verb, "--bundle", bundle, container_id);
		else
			RUN(r, -1, "unshare", "--mount", "--propagation", "private", "sh", "-c", script,
			    "crun", (char *)verb, "-f", container_id);
	} else if (with_bundle) {
		RUN(r, -1, "crun", (char *)verb, "--bundle", bundle, container_id);
	} else {
		RUN(r, -1, "crun", (char *)verb, "-f", container_id);
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len, "%s: %s", path, strerror(errno));
	close(fd);
}

/* The bundle: a static busybox as sh, unshare and true, and crun's own default spec. */
static void bundle_make(void)
{
	struct result r;

	workdir_make();
	snprintf(container_id, sizeof(container_id), "clonekit-test-%d", (int)getpid());
	cr_assert_eq(mkdir(at("bundle"), 0755), 0, "mkdir: %s", strerror(errno));
	cr_assert_eq(mkdir(at("bundle/rootfs"), 0755), 0, "mkdir: %s", strerror(errno));
	cr_assert_eq(mkdir(at("bundle/rootfs/bin"), 0755), 0, "mkdir: %s", strerror(errno));
	if (!is_static_elf("/bin/busybox"))
		return;
	RUN(&r, -1, "cp", "/bin/busybox", (char *)at("bundle/rootfs/bin/busybox"));
	assert_status(&r, 0, "cp /bin/busybox");
	cr_assert_eq(symlink("busybox", at("bundle/rootfs/bin/sh")), 0, "symlink: %s", strerror(errno));
	cr_assert_eq(symlink("busybox", at("bundle/rootfs/bin/unshare")), 0, "symlink: %s", strerror(errno));
	cr_assert_eq(symlink("busybox", at("bundle/rootfs/bin/true")), 0, "symlink: %s", strerror(errno));
	if (in_path("crun")) {
		RUN(&r, -1, "crun", "spec", "--bundle", (char *)at("bundle"), "--file",
		    (char *)at("spec.json"));
		assert_status(&r, 0, "crun spec");
	}
}

static void bundle_remove(void)
{
	struct result r;

	if (have_workdir && container_id[0] && in_path("crun"))
		crun(&r, "delete", false);
	workdir_remove();
}

static void require_crun(void)
{
	require_root();
	require_tool("crun");
	require_tool("python3");
	require_tool("unshare");
	require(is_static_elf("/bin/busybox"), "/bin/busybox is missing or not static (install busybox-static)");
}

/*
 * config.json from crun's spec: no terminal, the command, CAP_SYS_ADMIN (so
 * that unshare -n works without a filter), and seccomp.json as
 * linux.seccomp unless seccomp is NULL.
 */
static void configure(const char *seccomp, char *const cmd[])
{
	static const char edit[] =
		"import json, sys\n"
		"spec, out, seccomp = sys.argv[1:4]\n"
		"d = json.load(open(spec))\n"
		"p = d['process']\n"
		"p['terminal'] = False\n"
		"p['args'] = sys.argv[4:]\n"
		"d['root']['path'] = 'rootfs'\n"
		"for k in ('bounding', 'effective', 'permitted'):\n"
		"    p['capabilities'][k].append('CAP_SYS_ADMIN')\n"
		"if seccomp != '-':\n"
		"    d['linux']['seccomp'] = json.load(open(seccomp))\n"
		"json.dump(d, open(out, 'w'), indent=1)\n";
	char *argv[16] = { "python3", "-c", (char *)edit, (char *)at("spec.json"),
			   (char *)at("bundle/config.json"), seccomp ? (char *)seccomp : "-" };
	struct result r;
	size_t n = 6;

	for (size_t i = 0; cmd[i]; i++) {
		cr_assert_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = cmd[i];
	}
	argv[n] = NULL;
	run(-1, argv, &r);
	assert_status(&r, 0, "editing config.json");
}

/* Saves what clonekit seccomp ARGS --format oci prints as workdir/name, whose path goes to path. */
static void export_oci(char path[4096], const char *name, char *const args[])
{
	char *argv[16] = { (char *)clonekit_bin(), "seccomp" };
	struct result r;
	size_t n = 2;

	for (size_t i = 0; args[i]; i++) {
		cr_assert_lt(n, sizeof(argv) / sizeof(argv[0]) - 3);
		argv[n++] = args[i];
	}
	argv[n++] = "--format";
	argv[n++] = "oci";
	argv[n] = NULL;
	run(-1, argv, &r);
	assert_status(&r, 0, "clonekit seccomp --format oci");
	cr_assert_str_empty(r.err, "stderr: %s", r.err);
	snprintf(path, 4096, "%s", at(name));
	write_file(path, r.out);
}

#define CMD(...) ((char *const[]){ __VA_ARGS__, NULL })

/* Runs cmd in the bundle under the filter (NULL: none). */
static void crun_run(struct result *r, const char *seccomp, char *const cmd[])
{
	configure(seccomp, cmd);
	crun(r, "run", true);
}

Test(crun, deny_namespaces_oci_makes_unshare_net_fail_with_eperm, .init = bundle_make,
     .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	crun_run(&r, NULL, CMD("unshare", "-n", "true"));
	assert_status(&r, 0, "unshare -n without a filter");

	export_oci(oci, "deny-namespaces.json", CMD("--policy", "deny-namespaces"));
	/* crun compiles the profile itself: a field it refuses fails here, before any command */
	crun_run(&r, oci, CMD("sh", "-c", "true"));
	assert_status(&r, 0, "crun with the deny-namespaces profile, sh -c true");
	cr_assert_str_empty(r.err, "crun printed: %s", r.err);

	crun_run(&r, oci, CMD("unshare", "-n", "true"));
	assert_status(&r, 1, "unshare -n under deny-namespaces");
	assert_err_has(&r, "Operation not permitted", "unshare -n under deny-namespaces");
}

Test(crun, deny_namespaces_oci_still_lets_the_container_fork, .init = bundle_make,
     .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	export_oci(oci, "deny-namespaces.json", CMD("--policy", "deny-namespaces"));
	crun_run(&r, oci, CMD("sh", "-c", "true & wait"));
	assert_status(&r, 0, "fork under deny-namespaces");
	cr_assert_str_empty(r.err, "crun printed: %s", r.err);
}

Test(crun, custom_policy_errno_eacces_is_what_unshare_gets, .init = bundle_make,
     .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	export_oci(oci, "eacces.json", CMD("--deny", "newuser,newnet", "--errno", "EACCES"));
	crun_run(&r, oci, CMD("sh", "-c", "true"));
	assert_status(&r, 0, "crun with the custom profile, sh -c true");
	crun_run(&r, oci, CMD("unshare", "-n", "true"));
	assert_status(&r, 1, "unshare -n under --deny newuser,newnet --errno EACCES");
	assert_err_has(&r, "Permission denied", "unshare -n under --errno EACCES");
}

Test(crun, custom_policy_action_kill_ends_unshare_with_sigsys, .init = bundle_make,
     .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	export_oci(oci, "kill.json", CMD("--deny", "newnet", "--action", "kill"));
	crun_run(&r, oci, CMD("sh", "-c", "true"));
	assert_status(&r, 0, "crun with the kill profile, sh -c true");
	crun_run(&r, oci, CMD("unshare", "-n", "true"));
	assert_status(&r, 128 + SIGSYS, "unshare -n under --action kill");
}

/* The export names no listenerPath: crun loads the filter with no listener to ask. */
Test(crun, custom_policy_action_notify_without_a_listener_makes_unshare_fail_with_enosys,
     .init = bundle_make, .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	export_oci(oci, "notify.json", CMD("--deny", "newnet", "--action", "notify"));
	crun_run(&r, oci, CMD("sh", "-c", "true"));
	assert_status(&r, 0, "crun with the notify profile, sh -c true");
	crun_run(&r, oci, CMD("unshare", "-n", "true"));
	assert_status(&r, 1, "unshare -n under --action notify and no listener");
	assert_err_has(&r, "Function not implemented", "unshare -n under --action notify");
}

Test(crun, no_child_process_oci_makes_the_shell_unable_to_fork, .init = bundle_make,
     .fini = bundle_remove)
{
	char oci[4096];
	struct result r;

	require_crun();
	export_oci(oci, "no-child.json", CMD("--policy", "no-child-process"));
	crun_run(&r, oci, CMD("true"));
	assert_status(&r, 0, "crun with the no-child-process profile, true");
	crun_run(&r, NULL, CMD("sh", "-c", "/bin/true; /bin/true"));
	assert_status(&r, 0, "sh without a filter");
	crun_run(&r, oci, CMD("sh", "-c", "/bin/true; /bin/true"));
	assert_status(&r, 2, "sh under no-child-process");
	assert_err_has(&r, "can't fork: Operation not permitted", "sh under no-child-process");
}
