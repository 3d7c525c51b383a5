/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_audit() held against this machine: every value is compared with an
 * independent read of the same setting (the sysctl file, prctl(), statfs(),
 * securityfs mounted in a private mount namespace, ck_probe() called
 * directly), in this process and in forked children that load seccomp
 * filters, lower a namespace limit or rearrange the cgroup mounts. The
 * clonekit command's exit status is held against the report it prints.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/clonekit.h>

#include "../support.h"

#define CAP_SYS_ADMIN_BIT (1ULL << 21)
#define MAX_ITEMS 64

extern char **environ;

/* One item as a forked child saw it (the report's strings do not cross fork). */
struct child_item {
	char id[64];
	char value[256];
	enum ck_audit_status status;
	bool has_rec;
	char rec[256];
};

struct child_audit {
	int setup_err;
	const char *setup_step;
	int ret;
	size_t count;
	size_t unmet;
	struct child_item items[MAX_ITEMS];
};

static unsigned long long cap_effective(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	cr_assert_not_null(f, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		sscanf(line, "CapEff: %llx", &eff);
	fclose(f);
	return eff;
}

static void require_root(void)
{
	if (geteuid() != 0 || !(cap_effective() & CAP_SYS_ADMIN_BIT))
		ck_skip_or_fail("needs root with CAP_SYS_ADMIN");
}

/* A file's text without its trailing newline; false (errno set) when it cannot be read. */
static bool read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return true;
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool setup_fail(struct child_audit *ca, const char *step)
{
	ca->setup_err = errno ? errno : -1;
	ca->setup_step = step;
	return false;
}

static struct ck_audit_report *audit_here(void)
{
	struct ck_audit_report *r = NULL;
	int ret = ck_audit(&r);

	cr_assert_eq(ret, 0, "ck_audit: %s", strerror(-ret));
	cr_assert_not_null(r);
	return r;
}

static const struct ck_audit_item *item(const struct ck_audit_report *r, const char *id)
{
	const struct ck_audit_item *it = ck_audit_report_find(r, id);

	cr_assert_not_null(it, "no item '%s' in the report", id);
	return it;
}

#define assert_item(it, want_value, want_status)                                             \
	cr_assert((it)->status == (want_status) && strcmp((it)->value, (want_value)) == 0,        \
		  "%s: '%s' %s, expected '%s' %s", (it)->id, (it)->value,                         \
		  ck_audit_status_name((it)->status), (want_value), ck_audit_status_name(want_status))

/*
 * Runs ck_audit() in a forked child after setup(ca, arg) put it in the
 * scenario and copies every item out; fails the test when the setup or the
 * child fails.
 */
static void audit_in_child(bool (*setup)(struct child_audit *, const void *), const void *arg,
			   struct child_audit *out)
{
	struct child_audit *ca = mmap(NULL, sizeof(*ca), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;

	cr_assert_neq(ca, MAP_FAILED, "mmap: %s", strerror(errno));
	memset(ca, 0, sizeof(*ca));
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct ck_audit_report *r;

		if (setup && !setup(ca, arg))
			_exit(1);
		ca->ret = ck_audit(&r);
		if (ca->ret < 0)
			_exit(0);
		ca->count = ck_audit_report_count(r);
		ca->unmet = ck_audit_report_unmet(r);
		for (size_t i = 0; i < ca->count && i < MAX_ITEMS; i++) {
			const struct ck_audit_item *it = ck_audit_report_at(r, i);
			struct child_item *ci = &ca->items[i];
			snprintf(ci->id, sizeof(ci->id), "%s", it->id);
			snprintf(ci->value, sizeof(ci->value), "%s", it->value);
			ci->status = it->status;
			ci->has_rec = it->recommendation != NULL;
			if (it->recommendation)
				snprintf(ci->rec, sizeof(ci->rec), "%s", it->recommendation);
		}
		ck_audit_report_free(r);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid, "waitpid: %s", strerror(errno));
	*out = *ca;
	munmap(ca, sizeof(*ca));
	cr_assert_eq(out->setup_err, 0, "setup step %s failed: %s", out->setup_step,
		     strerror(out->setup_err));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the auditing child ended with status %#x",
		  st);
	cr_assert_eq(out->ret, 0, "ck_audit: %s", strerror(-out->ret));
	cr_assert_eq(out->count, ck_audit_check_count());
}

static const struct child_item *child_item(const struct child_audit *ca, const char *id)
{
	for (size_t i = 0; i < ca->count; i++)
		if (strcmp(ca->items[i].id, id) == 0)
			return &ca->items[i];
	cr_assert_fail("no item '%s' in the child's report", id);
	return NULL;
}

/* ---- the API ---- */

Test(audit, rejects_null_and_getters_answer_null_for_what_is_not_there)
{
	struct ck_audit_report *r = audit_here();

	cr_assert_eq(ck_audit(NULL), -EINVAL);
	errno = 0;
	cr_assert_null(ck_audit_report_at(r, ck_audit_report_count(r)));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(ck_audit_report_find(r, "dmesg_restrict"));
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(ck_audit_report_at(NULL, 0));
	cr_assert_eq(ck_audit_report_count(NULL), 0);
	cr_assert_eq(ck_audit_report_unmet(NULL), 0);
	cr_assert_null(ck_audit_check_at(ck_audit_check_count()));
	cr_assert_str_eq(ck_audit_status_name(CK_AUDIT_OK), "ok");
	cr_assert_str_eq(ck_audit_status_name(CK_AUDIT_WARN), "warn");
	cr_assert_str_eq(ck_audit_status_name(CK_AUDIT_INFO), "info");
	cr_assert_str_eq(ck_audit_status_name(CK_AUDIT_UNKNOWN), "unknown");
	cr_assert_str_eq(ck_audit_status_name((enum ck_audit_status)42), "?");
	ck_audit_report_free(r);
	ck_audit_report_free(NULL);
}

Test(audit, report_follows_the_check_table_and_only_its_four_warnable_checks_can_warn)
{
	static const char *const warnable[] = {
		"unprivileged_user_namespace", "yama_ptrace_scope", "seccomp_filter",
		"unprivileged_bpf_disabled",
	};
	struct ck_audit_report *r = audit_here();
	size_t warns = 0, can_warn = 0;

	cr_assert_eq(ck_audit_report_count(r), ck_audit_check_count());
	for (size_t i = 0; i < ck_audit_report_count(r); i++) {
		const struct ck_audit_item *it = ck_audit_report_at(r, i);
		const struct ck_audit_check *c = ck_audit_check_at(i);
		bool listed = false;

		cr_assert_str_eq(it->id, c->id);
		cr_assert_str_eq(it->title, c->title);
		cr_assert_str_eq(it->why, c->why);
		cr_assert_eq(ck_audit_report_find(r, c->id), it, "%s is not unique", c->id);
		cr_assert(it->value && it->value[0], "%s has no value", it->id);
		for (size_t j = 0; j < sizeof(warnable) / sizeof(warnable[0]); j++)
			listed |= strcmp(warnable[j], c->id) == 0;
		cr_assert_eq(c->can_warn, listed, "%s: can_warn %d", c->id, c->can_warn);
		can_warn += c->can_warn;
		if (it->status == CK_AUDIT_WARN) {
			cr_assert(c->can_warn, "%s warns but is not a warnable check", it->id);
			cr_assert_not_null(it->recommendation, "%s warns with no recommendation",
					   it->id);
			warns++;
		}
		if (it->status == CK_AUDIT_OK)
			cr_assert_null(it->recommendation, "%s is met but recommends '%s'", it->id,
				       it->recommendation);
		/* one sentence each */
		size_t wl = strlen(it->why);
		cr_assert(wl > 0 && it->why[wl - 1] == '.' && !strstr(it->why, ". "), "%s: why '%s'",
			  it->id, it->why);
		if (it->recommendation) {
			size_t rl = strlen(it->recommendation);
			cr_assert(it->recommendation[rl - 1] == '.' && !strstr(it->recommendation, ". "),
				  "%s: recommendation '%s'", it->id, it->recommendation);
		}
	}
	cr_assert_eq(can_warn, 4);
	cr_assert_eq(ck_audit_report_unmet(r), warns);
	ck_audit_report_free(r);
}

Test(audit, leaves_no_child_and_no_fd_behind)
{
	DIR *d;
	int before = 0, after = 0;

	d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while (readdir(d))
		before++;
	closedir(d);
	for (int i = 0; i < 3; i++)
		ck_audit_report_free(audit_here());
	d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while (readdir(d))
		after++;
	closedir(d);
	cr_assert_eq(after, before, "fds before: %d, after: %d", before, after);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child was left behind");
	cr_assert_eq(errno, ECHILD);
}

/* ---- sysctls, against the files ---- */

Test(audit, every_namespace_limit_is_the_text_of_its_sysctl_file)
{
	static const char *const kinds[] = { "user", "pid", "net", "mnt", "uts", "ipc", "cgroup",
					     "time" };
	struct ck_audit_report *r = audit_here();

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char id[64], path[128], text[64];

		snprintf(id, sizeof(id), "max_%s_namespaces", kinds[i]);
		snprintf(path, sizeof(path), "/proc/sys/user/%s", id);
		cr_assert(read_text(path, text, sizeof(text)), "%s: %s", path, strerror(errno));
		const struct ck_audit_item *it = item(r, id);
		cr_assert_str_eq(it->value, text, "%s", id);
		if (strcmp(kinds[i], "user") == 0 && strcmp(text, "0") == 0)
			cr_assert_eq(it->status, CK_AUDIT_OK, "%s", id);
		else
			cr_assert_eq(it->status, CK_AUDIT_INFO, "%s", id);
		cr_assert_null(it->recommendation, "%s", id);
	}
	ck_audit_report_free(r);
}

Test(audit, pid_max_and_threads_max_are_the_text_of_their_files)
{
	struct ck_audit_report *r = audit_here();
	char text[64];

	cr_assert(read_text("/proc/sys/kernel/pid_max", text, sizeof(text)));
	assert_item(item(r, "pid_max"), text, CK_AUDIT_INFO);
	cr_assert(read_text("/proc/sys/kernel/threads-max", text, sizeof(text)));
	assert_item(item(r, "threads_max"), text, CK_AUDIT_INFO);
	ck_audit_report_free(r);
}

Test(audit, unprivileged_bpf_disabled_warns_only_at_0_and_then_says_set_it_to_2)
{
	struct ck_audit_report *r = audit_here();
	const struct ck_audit_item *it = item(r, "unprivileged_bpf_disabled");
	char text[64];

	if (!read_text("/proc/sys/kernel/unprivileged_bpf_disabled", text, sizeof(text))) {
		cr_assert_eq(errno, ENOENT);
		assert_item(it, "absent", CK_AUDIT_OK);
	} else if (strcmp(text, "0") == 0) {
		assert_item(it, "0", CK_AUDIT_WARN);
		cr_assert(strstr(it->recommendation, "kernel.unprivileged_bpf_disabled=2"), "%s",
			  it->recommendation);
	} else {
		assert_item(it, text, CK_AUDIT_OK);
	}
	ck_audit_report_free(r);
}

Test(audit, yama_absent_or_0_warns_with_the_sysctl_to_set)
{
	struct ck_audit_report *r = audit_here();
	const struct ck_audit_item *it = item(r, "yama_ptrace_scope");
	char text[64];

	if (!read_text("/proc/sys/kernel/yama/ptrace_scope", text, sizeof(text))) {
		cr_assert_eq(errno, ENOENT);
		assert_item(it, "absent", CK_AUDIT_WARN);
		cr_assert_str_eq(it->recommendation,
				 "Boot a kernel with Yama (CONFIG_SECURITY_YAMA=y, yama in lsm=) and "
				 "set kernel.yama.ptrace_scope=1.");
	} else if (strcmp(text, "0") == 0) {
		assert_item(it, "0", CK_AUDIT_WARN);
		cr_assert(strstr(it->recommendation, "kernel.yama.ptrace_scope=1"), "%s",
			  it->recommendation);
	} else {
		assert_item(it, text, CK_AUDIT_OK);
		cr_assert_null(it->recommendation);
	}
	ck_audit_report_free(r);
}

Test(audit, userns_switches_are_their_files_text_or_absent)
{
	static const struct { const char *id, *path, *allows; } knobs[] = {
		{ "unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone", "1" },
		{ "apparmor_restrict_unprivileged_userns",
		  "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0" },
	};
	struct ck_audit_report *r = audit_here();

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		const struct ck_audit_item *it = item(r, knobs[i].id);
		char text[64];

		if (!read_text(knobs[i].path, text, sizeof(text))) {
			cr_assert_eq(errno, ENOENT, "%s: %s", knobs[i].path, strerror(errno));
			assert_item(it, "absent", CK_AUDIT_INFO);
			cr_assert_null(it->recommendation);
		} else if (strcmp(text, knobs[i].allows) == 0) {
			assert_item(it, text, CK_AUDIT_INFO);
			cr_assert(strstr(it->recommendation, knobs[i].id), "%s", it->recommendation);
		} else {
			assert_item(it, text, CK_AUDIT_OK);
		}
	}
	ck_audit_report_free(r);
}

/* ---- what ck_probe finds ---- */

Test(audit, unprivileged_userns_is_warn_exactly_when_the_probe_creates_one)
{
	struct ck_probe p = { .size = sizeof(p) };
	struct ck_audit_report *r;
	const struct ck_audit_item *it;

	cr_assert_eq(ck_probe(&p), 0);
	r = audit_here();
	it = item(r, "unprivileged_user_namespace");
	switch (p.unprivileged_user_namespace.result) {
	case CK_PROBE_YES:
		assert_item(it, "yes", CK_AUDIT_WARN);
		if (access("/proc/sys/kernel/unprivileged_userns_clone", F_OK) == 0)
			cr_assert(strstr(it->recommendation, "kernel.unprivileged_userns_clone=0"));
		else if (access("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", F_OK) == 0)
			cr_assert(strstr(it->recommendation,
					 "kernel.apparmor_restrict_unprivileged_userns=1"));
		else
			cr_assert(strstr(it->recommendation, "user.max_user_namespaces=0"), "%s",
				  it->recommendation);
		break;
	case CK_PROBE_NO:
	case CK_PROBE_DENIED:
		cr_assert_eq(it->status, CK_AUDIT_OK, "%s: %s", it->value,
			     ck_audit_status_name(it->status));
		cr_assert_null(it->recommendation);
		break;
	case CK_PROBE_UNKNOWN:
		cr_assert_eq(it->status, CK_AUDIT_UNKNOWN);
		break;
	}
	ck_audit_report_free(r);
}

/*
 * Root of a new user namespace whose user namespaces are capped at 0, with
 * 65536 ids mapped so that the probe can become uid 65534 in it. A map of
 * more than the writer's own id must be written from the parent namespace,
 * so a helper forked before unshare() writes it.
 */
static bool userns_without_user_namespaces(struct child_audit *ca, const void *arg)
{
	int go[2], st;
	char c = 0;
	pid_t helper;

	if (pipe2(go, O_CLOEXEC) < 0)
		return setup_fail(ca, "pipe2");
	helper = fork();
	if (helper < 0)
		return setup_fail(ca, "fork");
	if (helper == 0) {
		char uid_map[64], gid_map[64];
		close(go[1]);
		snprintf(uid_map, sizeof(uid_map), "/proc/%d/uid_map", (int)getppid());
		snprintf(gid_map, sizeof(gid_map), "/proc/%d/gid_map", (int)getppid());
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(write_file(uid_map, "0 0 65536") && write_file(gid_map, "0 0 65536") ? 0 : 1);
	}
	close(go[0]);
	if (unshare(CLONE_NEWUSER) < 0)
		return setup_fail(ca, "unshare");
	if (write(go[1], &c, 1) != 1)
		return setup_fail(ca, "write");
	close(go[1]);
	if (waitpid(helper, &st, 0) != helper || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = EPERM;
		return setup_fail(ca, "id maps");
	}
	if (!write_file("/proc/sys/user/max_user_namespaces", "0"))
		return setup_fail(ca, "max_user_namespaces");
	return true;
}

Test(audit, with_user_namespaces_capped_at_0_unprivileged_userns_is_met)
{
	struct child_audit ca;
	const struct child_item *ci;

	require_root();
	audit_in_child(userns_without_user_namespaces, NULL, &ca);
	ci = child_item(&ca, "unprivileged_user_namespace");
	cr_assert_eq(ci->status, CK_AUDIT_OK, "'%s' %s", ci->value, ck_audit_status_name(ci->status));
	cr_assert_str_eq(ci->value, "denied ENOSPC (user.max_user_namespaces = 0)");
	cr_assert(!ci->has_rec);
	ci = child_item(&ca, "max_user_namespaces");
	cr_assert_eq(ci->status, CK_AUDIT_OK);
	cr_assert_str_eq(ci->value, "0");
}

Test(audit, seccomp_support_and_clone3_follow_the_probe)
{
	struct ck_probe p = { .size = sizeof(p) };
	struct ck_audit_report *r;

	cr_assert_eq(ck_probe(&p), 0);
	r = audit_here();
	cr_assert_eq(p.seccomp_filter.result, CK_PROBE_YES, "%s", p.seccomp_filter.why);
	assert_item(item(r, "seccomp_filter"), "yes", CK_AUDIT_OK);
	cr_assert_eq(p.seccomp_user_notif.result, CK_PROBE_YES, "%s", p.seccomp_user_notif.why);
	assert_item(item(r, "seccomp_user_notif"), "yes", CK_AUDIT_OK);
	cr_assert_eq(p.clone3.result, CK_PROBE_YES, "%s", p.clone3.why);
	assert_item(item(r, "clone3"), "yes", CK_AUDIT_OK);
	ck_audit_report_free(r);
}

/* ---- this process: seccomp and no_new_privs ---- */

Test(audit, this_test_process_has_seccomp_disabled_and_no_new_privs_unset)
{
	struct ck_audit_report *r;

	cr_assert_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the test runs under seccomp");
	cr_assert_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0, "the test runs with no_new_privs");
	r = audit_here();
	assert_item(item(r, "self_seccomp"), "mode 0 (disabled), 0 filters", CK_AUDIT_INFO);
	assert_item(item(r, "self_no_new_privs"), "0 (not set)", CK_AUDIT_INFO);
	ck_audit_report_free(r);
}

/* no_new_privs, then *(int *)arg allow-everything filters, each by seccomp(2). */
static bool load_allow_filters(struct child_audit *ca, const void *arg)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return setup_fail(ca, "prctl");
	for (int i = 0; i < *(const int *)arg; i++)
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			return setup_fail(ca, "seccomp");
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return setup_fail(ca, "PR_GET_SECCOMP");
	return true;
}

Test(audit, a_child_with_one_filter_reports_mode_2_with_1_filter_and_no_new_privs)
{
	struct child_audit ca;
	const struct child_item *ci;
	int filters = 1;

	audit_in_child(load_allow_filters, &filters, &ca);
	ci = child_item(&ca, "self_seccomp");
	cr_assert_str_eq(ci->value, "mode 2 (filter), 1 filter");
	cr_assert_eq(ci->status, CK_AUDIT_INFO);
	ci = child_item(&ca, "self_no_new_privs");
	cr_assert_str_eq(ci->value, "1 (set)");
	/* the filter allows everything, so the probe's own filter still loads */
	ci = child_item(&ca, "seccomp_filter");
	cr_assert_str_eq(ci->value, "yes");
	cr_assert_eq(ci->status, CK_AUDIT_OK);
}

Test(audit, a_child_with_three_filters_counts_three)
{
	struct child_audit ca;
	int filters = 3;

	audit_in_child(load_allow_filters, &filters, &ca);
	cr_assert_str_eq(child_item(&ca, "self_seccomp")->value, "mode 2 (filter), 3 filters");
}

/* ---- security modules ---- */

/* A private mount namespace with securityfs mounted where it belongs. */
static bool with_securityfs(struct child_audit *ca, const void *arg)
{
	if (unshare(CLONE_NEWNS) < 0)
		return setup_fail(ca, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_fail(ca, "make-rprivate");
	if (mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) < 0)
		return setup_fail(ca, "mount securityfs");
	return true;
}

Test(audit, lsm_list_is_securityfs_text_whichever_route_the_audit_takes)
{
	struct child_audit ca;
	struct ck_audit_report *r;
	const struct ck_audit_item *it;
	char lsm[256];
	pid_t pid;
	int pfd[2], st;
	ssize_t n;

	require_root();
	/* the independent read: securityfs, mounted in a throwaway mount namespace */
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct child_audit dummy;
		char text[256];
		if (!with_securityfs(&dummy, NULL) ||
		    !read_text("/sys/kernel/security/lsm", text, sizeof(text)))
			_exit(1);
		_exit(write(pfd[1], text, strlen(text)) == (ssize_t)strlen(text) ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], lsm, sizeof(lsm) - 1);
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0, "cannot read securityfs");
	lsm[n] = '\0';

	/* here securityfs may be unmounted: then lsm_list_modules(2) answers */
	r = audit_here();
	it = item(r, "lsm");
	assert_item(it, lsm, CK_AUDIT_INFO);
	if (strstr(lsm, "bpf"))
		assert_item(item(r, "bpf_lsm"), "yes", CK_AUDIT_OK);
	else
		assert_item(item(r, "bpf_lsm"), "no", CK_AUDIT_INFO);
	ck_audit_report_free(r);

	audit_in_child(with_securityfs, NULL, &ca);
	cr_assert_str_eq(child_item(&ca, "lsm")->value, lsm);
}

/* ---- cgroup layout ---- */

/* Counts the v1 hierarchies mounted under /sys/fs/cgroup, one per superblock. */
static size_t v1_hierarchies_by_statfs(void)
{
	dev_t devs[64];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir("/sys/fs/cgroup");

	cr_assert_not_null(d, "/sys/fs/cgroup: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[512];
		struct statfs sf;
		struct stat sb;
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", de->d_name);
		if (statfs(path, &sf) < 0 || sf.f_type != CGROUP_SUPER_MAGIC || lstat(path, &sb) < 0)
			continue;
		for (i = 0; i < n && devs[i] != sb.st_dev; i++)
			;
		if (i == n && n < 64)
			devs[n++] = sb.st_dev;
	}
	closedir(d);
	return n;
}

Test(audit, cgroup_layout_is_what_statfs_of_sys_fs_cgroup_says)
{
	struct ck_audit_report *r = audit_here();
	const struct ck_audit_item *it = item(r, "cgroup_layout");
	struct statfs top, unified;
	char want[256];

	cr_assert_eq(statfs("/sys/fs/cgroup", &top), 0, "/sys/fs/cgroup: %s", strerror(errno));
	if (top.f_type == CGROUP2_SUPER_MAGIC) {
		assert_item(it, "unified: cgroup2 at /sys/fs/cgroup", CK_AUDIT_OK);
		cr_assert_null(it->recommendation);
	} else if (statfs("/sys/fs/cgroup/unified", &unified) == 0 &&
		   unified.f_type == CGROUP2_SUPER_MAGIC) {
		size_t v1 = v1_hierarchies_by_statfs();
		snprintf(want, sizeof(want),
			 "hybrid: cgroup2 at /sys/fs/cgroup/unified, %zu v1 hierarch%s", v1,
			 v1 == 1 ? "y" : "ies");
		assert_item(it, want, CK_AUDIT_INFO);
		cr_assert(strstr(it->recommendation, "cgroup_no_v1=all"), "%s", it->recommendation);
	} else {
		size_t v1 = v1_hierarchies_by_statfs();
		snprintf(want, sizeof(want), "legacy: %zu v1 hierarch%s, no cgroup2", v1,
			 v1 == 1 ? "y" : "ies");
		assert_item(it, want, CK_AUDIT_INFO);
	}
	ck_audit_report_free(r);
}

/* A private mount namespace in which /sys/fs/cgroup is cgroup2 and nothing else. */
static bool cgroup2_only(struct child_audit *ca, const void *arg)
{
	if (unshare(CLONE_NEWNS) < 0)
		return setup_fail(ca, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_fail(ca, "make-rprivate");
	if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0 && errno != EINVAL)
		return setup_fail(ca, "umount /sys/fs/cgroup");
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
		return setup_fail(ca, "mount cgroup2");
	return true;
}

/* A private mount namespace with only the v1 pids hierarchy, on a tmpfs at /sys/fs/cgroup. */
static bool pids_v1_only(struct child_audit *ca, const void *arg)
{
	if (unshare(CLONE_NEWNS) < 0)
		return setup_fail(ca, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_fail(ca, "make-rprivate");
	if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0 && errno != EINVAL)
		return setup_fail(ca, "umount /sys/fs/cgroup");
	if (mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") < 0)
		return setup_fail(ca, "mount tmpfs");
	if (mkdir("/sys/fs/cgroup/pids", 0755) < 0)
		return setup_fail(ca, "mkdir");
	if (mount("cgroup", "/sys/fs/cgroup/pids", "cgroup", 0, "pids") < 0)
		return setup_fail(ca, "mount cgroup pids");
	return true;
}

static bool only_mounts_under_sys_fs_cgroup(void)
{
	char line[4096];
	bool only = true;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");
		char mnt[1024];
		if (dash && (strncmp(dash + 3, "cgroup ", 7) == 0 ||
			     strncmp(dash + 3, "cgroup2 ", 8) == 0) &&
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1 &&
		    strncmp(mnt, "/sys/fs/cgroup", 14) != 0)
			only = false;
	}
	fclose(f);
	return only;
}

Test(audit, cgroup2_alone_is_unified_and_met_and_v1_alone_is_legacy)
{
	struct child_audit ca;
	const struct child_item *ci;
	char self[4096];

	require_root();
	if (!only_mounts_under_sys_fs_cgroup())
		ck_skip_or_fail("cgroup hierarchies are mounted outside /sys/fs/cgroup here");
	cr_assert(read_text("/proc/self/cgroup", self, sizeof(self)));
	if (!strstr(self, ":pids:"))
		ck_skip_or_fail("no v1 pids hierarchy here (pids is bound to cgroup2)");
	audit_in_child(cgroup2_only, NULL, &ca);
	ci = child_item(&ca, "cgroup_layout");
	cr_assert_str_eq(ci->value, "unified: cgroup2 at /sys/fs/cgroup");
	cr_assert_eq(ci->status, CK_AUDIT_OK);
	cr_assert(!ci->has_rec);

	audit_in_child(pids_v1_only, NULL, &ca);
	ci = child_item(&ca, "cgroup_layout");
	cr_assert_str_eq(ci->value, "legacy: 1 v1 hierarchy, no cgroup2");
	cr_assert_eq(ci->status, CK_AUDIT_INFO);
	cr_assert(ci->has_rec);
}

/* ---- the command ---- */

/* Runs argv with stdout captured into out (NUL-terminated); returns the exit status. */
static int run_capture(char *const argv[], char *out, size_t len)
{
	posix_spawn_file_actions_t fa;
	int o[2], st;
	size_t got = 0;
	pid_t pid;

	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0, "cannot run %s",
		     argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(o[1]);
	for (;;) {
		ssize_t n = read(o[0], out + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_geq(n, 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
		cr_assert_lt(got, len - 1, "%s printed more than %zu bytes", argv[0], len);
	}
	close(o[0]);
	out[got] = '\0';
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
	cr_assert(WIFEXITED(st), "%s was killed by signal %d", argv[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

Test(audit, the_command_exits_1_exactly_when_an_item_warns)
{
	const char *bin = getenv("CLONEKIT_BIN");
	static char out[65536];
	char want[64];
	struct ck_audit_report *r;
	size_t warns = 0;
	int status;

	if (!bin || !*bin)
		cr_assert_fail("CLONEKIT_BIN is not set: run this test through 'meson test'");
	status = run_capture((char *const[]){ (char *)bin, "audit", "--json", NULL }, out,
			     sizeof(out));
	for (const char *p = strstr(out, "\"status\":\""); p; p = strstr(p + 1, "\"status\":\""))
		warns += strncmp(p + 10, "warn\"", 5) == 0;
	snprintf(want, sizeof(want), ",\"unmet\":%zu}\n", warns);
	cr_assert(strstr(out, want), "no '%s' in:\n%s", want, out);
	cr_assert_eq(status, warns ? 1 : 0, "exit %d with %zu warns:\n%s", status, warns, out);

	/* the library, asked here, finds the same unmet recommendations */
	r = audit_here();
	cr_assert_eq(ck_audit_report_unmet(r), warns);
	for (size_t i = 0; i < ck_audit_report_count(r); i++) {
		const struct ck_audit_item *it = ck_audit_report_at(r, i);
		char entry[256];
		snprintf(entry, sizeof(entry), "{\"id\":\"%s\",", it->id);
		const char *at = strstr(out, entry);
		cr_assert_not_null(at, "no item %s in:\n%s", it->id, out);
		snprintf(entry, sizeof(entry), "\"status\":\"%s\"", ck_audit_status_name(it->status));
		const char *found = strstr(at, "\"status\":\"");
		cr_assert(found && strncmp(found, entry, strlen(entry)) == 0,
			  "%s: %s in the library, %.24s in the command", it->id,
			  ck_audit_status_name(it->status), found);
	}
	ck_audit_report_free(r);

	status = run_capture((char *const[]){ (char *)bin, "audit", NULL }, out, sizeof(out));
	cr_assert_eq(status, warns ? 1 : 0, "text: exit %d with %zu warns", status, warns);
}
