/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_probe() held against this machine: each answer is checked against what
 * an independent route says (a raw syscall, a sysctl, the caller's ids), as
 * root, as uid 65534 without capabilities, under a seccomp filter that hides
 * clone3, in user namespaces with limits or without id maps, and with
 * SIGCHLD ignored. The probe must leave no child and no fd behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clonekit/clonekit.h>

#include "../support.h"
#include "internal/live.h"
#include "internal/util.h"

#define UNPRIV_ID 65534
#define CAP_SYS_ADMIN_BIT (1ULL << 21)

/* What a probe run in a forked child sends back. */
struct child_probe {
	int setup_err;       /* errno of the setup step that failed, 0 if none */
	const char *setup_step;
	int ret;             /* ck_probe's return */
	int leftover_wait;   /* errno of waitpid(-1, WNOHANG | __WALL) afterwards */
	struct ck_probe p;
	bool open_watcher;   /* set by a setup: also try ck_watcher_open() after the probe */
	int watcher_open;    /* what it returned */
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

static bool setup_fail(struct child_probe *cp, const char *step)
{
	cp->setup_err = errno ? errno : -1;
	cp->setup_step = step;
	return false;
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* ck_watcher_open() and close: the watcher's own answer, which the probe's must match. */
static int open_watcher(void)
{
#if CK_HAVE_WATCHER
	struct ck_watch_opts opts = { .size = sizeof(opts), .no_exe = true, .no_compat = true };
	struct ck_watcher *w;
	int r = ck_watcher_open(&w, &opts, NULL);

	if (r == 0)
		ck_watcher_close(w);
	return r;
#else
	return -ENOSYS;
#endif
}

/*
 * Runs ck_probe() in a forked child after setup(cp, arg) put it in the
 * scenario; fails the test when the setup or the child fails.
 */
static void probe_in_child(bool (*setup)(struct child_probe *, const void *), const void *arg,
			   struct child_probe *out)
{
	struct child_probe *cp = mmap(NULL, sizeof(*cp), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;

	cr_assert_neq(cp, MAP_FAILED, "mmap: %s", strerror(errno));
	memset(cp, 0, sizeof(*cp));
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (setup && !setup(cp, arg))
			_exit(1);
		cp->p.size = sizeof(cp->p);
		cp->ret = ck_probe(&cp->p);
		cp->leftover_wait = waitpid(-1, NULL, WNOHANG | __WALL) < 0 ? errno : 0;
		if (cp->open_watcher)
			cp->watcher_open = open_watcher();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid, "waitpid: %s", strerror(errno));
	*out = *cp;
	munmap(cp, sizeof(*cp));
	cr_assert_eq(out->setup_err, 0, "setup step %s failed: %s", out->setup_step,
		     strerror(out->setup_err));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the probing child ended with status %#x", st);
	cr_assert_eq(out->ret, 0, "ck_probe: %s", strerror(-out->ret));
	cr_assert_eq(out->leftover_wait, ECHILD, "ck_probe left a child behind in the probing child");
}

#define assert_answer(p, field, want, want_err)                                                \
	cr_assert((p)->field.result == (want) && (p)->field.err == (want_err),                   \
		  #field ": %s %s (%s), expected %s %s", ck_probe_result_name((p)->field.result), \
		  (p)->field.err ? ck_errno_name((p)->field.err) : "0", (p)->field.why,           \
		  ck_probe_result_name(want), (want_err) ? ck_errno_name(want_err) : "0")

#define assert_why(p, field, text) \
	cr_assert_str_eq((p)->field.why, (text), #field ": why is '%s'", (p)->field.why)

/* The namespaces a process without CAP_SYS_ADMIN may not create. */
#define FOR_PRIVILEGED_NAMESPACES(p, X)                                  \
	X(p, pid_namespace) X(p, net_namespace) X(p, mount_namespace)     \
	X(p, uts_namespace) X(p, ipc_namespace) X(p, cgroup_namespace)   \
	X(p, time_namespace)

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d, "/proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* sysctl knobs of Debian, Ubuntu and AppArmor that forbid unprivileged user namespaces. */
static bool unprivileged_userns_allowed(void)
{
	long long v;

	if (ck__read_ll("/proc/sys/kernel/unprivileged_userns_clone", &v) == 0 && v != 1)
		return false;
	if (ck__read_ll("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &v) == 0 && v != 0)
		return false;
	return ck__read_ll("/proc/sys/user/max_user_namespaces", &v) == 0 && v > 0;
}

/* The cgroup.procs of this process's cgroup v2 directory, or false without cgroup v2. */
static bool own_cgroup_procs(char *path, size_t len)
{
	char mnt[1024], self[4096];

	if (ck__cgroup2_mount(mnt, sizeof(mnt)) < 0 ||
	    ck__read_small_file("/proc/self/cgroup", self, sizeof(self)) < 0)
		return false;
	char *p = strncmp(self, "0::", 3) == 0 ? self + 3 : strstr(self, "\n0::");
	if (!p)
		return false;
	if (p != self + 3)
		p += 4;
	p[strcspn(p, "\n")] = '\0';
	int n = snprintf(path, len, "%s%s/cgroup.procs", mnt, strcmp(p, "/") == 0 ? "" : p);
	return n > 0 && (size_t)n < len;
}

/* ---- the API ---- */

Test(probe, rejects_null_and_a_size_that_holds_no_answer)
{
	struct ck_probe p = { .size = sizeof(size_t) };

	cr_assert_eq(ck_probe(NULL), -EINVAL);
	cr_assert_eq(ck_probe(&p), -EINVAL);
	p.size = offsetof(struct ck_probe, clone3) + sizeof(struct ck_probe_answer) - 1;
	cr_assert_eq(ck_probe(&p), -EINVAL);
}

Test(probe, table_covers_every_answer_of_the_struct_once_in_order)
{
	size_t n = ck_probe_feature_count();
	size_t answers = (sizeof(struct ck_probe) - offsetof(struct ck_probe, clone3)) /
			 sizeof(struct ck_probe_answer);

	cr_assert_eq(n, answers, "%zu features for %zu answers", n, answers);
	for (size_t i = 0; i < n; i++) {
		const struct ck_probe_feature *f = ck_probe_feature_at(i);
		cr_assert_eq(f->offset, offsetof(struct ck_probe, clone3) +
					i * sizeof(struct ck_probe_answer),
			     "%s is not answer %zu", f->name, i);
		cr_assert_eq(ck_probe_feature_by_name(f->name), f, "%s", f->name);
		cr_assert(f->title && *f->title && f->tries && *f->tries, "%s", f->name);
	}
	cr_assert_null(ck_probe_feature_at(n));
	cr_assert_eq(ck_probe_feature_by_name("clone3")->offset, offsetof(struct ck_probe, clone3));
	cr_assert_eq(ck_probe_feature_by_name("unprivileged_user_namespace")->offset,
		     offsetof(struct ck_probe, unprivileged_user_namespace));
	errno = 0;
	cr_assert_null(ck_probe_feature_by_name("clone4"));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(ck_probe_result_name(CK_PROBE_YES), "yes");
	cr_assert_str_eq(ck_probe_result_name(CK_PROBE_NO), "no");
	cr_assert_str_eq(ck_probe_result_name(CK_PROBE_DENIED), "denied");
	cr_assert_str_eq(ck_probe_result_name(CK_PROBE_UNKNOWN), "unknown");
	cr_assert_str_eq(ck_probe_result_name((enum ck_probe_result)42), "?");
}

Test(probe, an_older_caller_gets_only_the_answers_its_size_holds)
{
	struct {
		struct ck_probe p;
		unsigned char after[64];
	} buf;
	size_t size = offsetof(struct ck_probe, clone_pidfd) + sizeof(struct ck_probe_answer);

	memset(&buf, 0xa5, sizeof(buf));
	buf.p.size = size;
	cr_assert_eq(ck_probe(&buf.p), 0);
	assert_answer(&buf.p, clone3, CK_PROBE_YES, EINVAL);
	assert_answer(&buf.p, clone_pidfd, CK_PROBE_YES, 0);
	for (size_t i = size; i < sizeof(buf); i++)
		cr_assert_eq(((unsigned char *)&buf)[i], 0xa5, "byte %zu past the caller's size was written", i);
	cr_assert_null(ck_probe_answer_of(&buf.p, ck_probe_feature_by_name("set_tid")));
	cr_assert_eq(ck_probe_answer_of(&buf.p, ck_probe_feature_by_name("clone_pidfd")),
		     &buf.p.clone_pidfd);
}

Test(probe, a_newer_callers_unknown_answers_read_unknown)
{
	struct {
		struct ck_probe p;
		struct ck_probe_answer later[2];
	} buf;

	memset(&buf, 0xa5, sizeof(buf));
	buf.p.size = sizeof(buf);
	cr_assert_eq(ck_probe(&buf.p), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(buf.later[i].result, CK_PROBE_UNKNOWN);
		cr_assert_eq(buf.later[i].err, 0);
		cr_assert_str_empty(buf.later[i].why);
	}
	cr_assert_eq(buf.p.size, sizeof(buf));
}

/* ---- as root ---- */

Test(probe, as_root_every_feature_of_this_kernel_is_yes)
{
	struct ck_probe p = { .size = sizeof(p) };
	char procs[4096];

	require_root();
	if (!own_cgroup_procs(procs, sizeof(procs)))
		ck_skip_or_fail("no cgroup v2 hierarchy to put a child into");
	/* the independent route: size 0 is refused by a kernel that has clone3 */
	errno = 0;
	cr_assert_eq(syscall(SYS_clone3, NULL, 0), -1);
	cr_assert_eq(errno, EINVAL, "clone3(NULL, 0): %s", strerror(errno));

	cr_assert_eq(ck_probe(&p), 0);
	assert_answer(&p, clone3, CK_PROBE_YES, EINVAL);
	assert_answer(&p, clone_pidfd, CK_PROBE_YES, 0);
	assert_answer(&p, clone_clear_sighand, CK_PROBE_YES, 0);
	assert_answer(&p, set_tid, CK_PROBE_YES, 0);
	assert_answer(&p, clone_into_cgroup, CK_PROBE_YES, 0);
	assert_answer(&p, clone_newtime, CK_PROBE_YES, 0);
	assert_answer(&p, user_namespace, CK_PROBE_YES, 0);
#define YES(p, f) assert_answer(p, f, CK_PROBE_YES, 0);
	FOR_PRIVILEGED_NAMESPACES(&p, YES)
#undef YES
	assert_answer(&p, seccomp_filter, CK_PROBE_YES, 0);
	assert_answer(&p, seccomp_user_notif, CK_PROBE_YES, 0);
	if (unprivileged_userns_allowed())
		assert_answer(&p, unprivileged_user_namespace, CK_PROBE_YES, 0);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		assert_answer(&p, no_new_privs, CK_PROBE_YES, 0);
	else
		assert_answer(&p, no_new_privs, CK_PROBE_NO, 0);
	for (size_t i = 0; i < ck_probe_feature_count(); i++) {
		const struct ck_probe_answer *a = ck_probe_answer_of(&p, ck_probe_feature_at(i));
		if (a->result == CK_PROBE_YES)
			cr_assert_str_empty(a->why, "%s: %s", ck_probe_feature_at(i)->name, a->why);
	}
}

Test(probe, leaves_no_child_and_no_fd_behind)
{
	struct ck_probe p = { .size = sizeof(p) };
	int before = count_fds();

	for (int i = 0; i < 3; i++)
		cr_assert_eq(ck_probe(&p), 0);
	cr_assert_eq(count_fds(), before, "fds before: %d, after: %d", before, count_fds());
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child was left behind");
	cr_assert_eq(errno, ECHILD);
}

/* The children borrow the caller's memory: nothing of theirs may stick to it. */
Test(probe, leaves_the_callers_signal_mask_dumpable_flag_and_seccomp_state_as_they_were)
{
	struct ck_probe p = { .size = sizeof(p) };
	sigset_t before, after, some;
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);

	cr_assert_eq(dumpable, 1, "this test needs a dumpable process");
	sigemptyset(&some);
	sigaddset(&some, SIGUSR2);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &some, &before), 0);
	cr_assert_eq(sigprocmask(SIG_BLOCK, NULL, &before), 0);
	cr_assert_eq(ck_probe(&p), 0);
	cr_assert_eq(sigprocmask(SIG_BLOCK, NULL, &after), 0);
	sigprocmask(SIG_UNBLOCK, &some, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		cr_assert_eq(sigismember(&after, sig), sigismember(&before, sig), "signal %d", sig);
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), dumpable);
	cr_assert_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), nnp);
	cr_assert_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), mode);
	assert_answer(&p, seccomp_filter, CK_PROBE_YES, 0);
}

static bool ignore_sigchld(struct child_probe *cp, const void *arg)
{
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		return setup_fail(cp, "signal");
	return true;
}

Test(probe, with_sigchld_ignored_every_child_is_still_waited_for)
{
	struct child_probe cp;

	require_root();
	probe_in_child(ignore_sigchld, NULL, &cp);
	assert_answer(&cp.p, clone_pidfd, CK_PROBE_YES, 0);
	assert_answer(&cp.p, clone_clear_sighand, CK_PROBE_YES, 0);
	assert_answer(&cp.p, user_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, net_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, seccomp_filter, CK_PROBE_YES, 0);
}

/* The fastest of five runs is the probe's own cost, whatever else the machine does. */
Test(probe, takes_well_under_100_ms)
{
	struct ck_probe p = { .size = sizeof(p) };
	double ms[5];

	for (int i = 0; i < 5; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		cr_assert_eq(ck_probe(&p), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
			double t = ms[j];
			ms[j] = ms[j - 1];
			ms[j - 1] = t;
		}
	}
	cr_log_info("ck_probe: min %.2f ms, median %.2f ms, max %.2f ms", ms[0], ms[2], ms[4]);
	cr_assert_lt(ms[0], 100.0, "ck_probe took at least %.1f ms in five runs", ms[0]);
}

/* ---- as uid 65534 without capabilities ---- */

static bool drop_to_nobody(struct child_probe *cp, const void *arg)
{
	if (setgroups(0, NULL) < 0)
		return setup_fail(cp, "setgroups");
	if (setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0)
		return setup_fail(cp, "setresgid");
	if (setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0)
		return setup_fail(cp, "setresuid");
	if (cap_effective() != 0) {
		errno = EPERM;
		return setup_fail(cp, "capabilities left after setresuid");
	}
	return true;
}

Test(probe, as_uid_65534_namespaces_are_denied_but_user_namespaces_are_not)
{
	struct child_probe cp;
	char procs[4096];

	require_root();
	if (!unprivileged_userns_allowed())
		ck_skip_or_fail("a sysctl forbids unprivileged user namespaces here");
	if (!own_cgroup_procs(procs, sizeof(procs)))
		ck_skip_or_fail("no cgroup v2 hierarchy to put a child into");
	probe_in_child(drop_to_nobody, NULL, &cp);

	assert_answer(&cp.p, clone3, CK_PROBE_YES, EINVAL);
	assert_answer(&cp.p, clone_pidfd, CK_PROBE_YES, 0);
	assert_answer(&cp.p, clone_clear_sighand, CK_PROBE_YES, 0);
	assert_answer(&cp.p, user_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, unprivileged_user_namespace, CK_PROBE_YES, 0);
#define DENIED(p, f)                                         \
	assert_answer(p, f, CK_PROBE_DENIED, EPERM);         \
	assert_why(p, f, "needs CAP_SYS_ADMIN in this process's user namespace");
	FOR_PRIVILEGED_NAMESPACES(&cp.p, DENIED)
	DENIED(&cp.p, clone_newtime)
#undef DENIED
	assert_answer(&cp.p, set_tid, CK_PROBE_DENIED, EPERM);
	/* the root-owned cgroup.procs, checked as the same user by another route */
	assert_answer(&cp.p, clone_into_cgroup, CK_PROBE_DENIED, EACCES);
	procs[strlen(procs) - strlen("/cgroup.procs")] = '\0';
	char want[300];
	snprintf(want, sizeof(want), "%s/cgroup.procs is not writable by this process", procs);
	assert_why(&cp.p, clone_into_cgroup, want);
	assert_answer(&cp.p, seccomp_filter, CK_PROBE_YES, 0);
	assert_answer(&cp.p, seccomp_user_notif, CK_PROBE_YES, 0);
}

/* Whether uid 65534 is refused write access to path (EACCES), asked through access(2). */
static bool nobody_cannot_write(const char *path)
{
	int *res = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;

	cr_assert_neq(res, MAP_FAILED, "mmap: %s", strerror(errno));
	*res = -1;
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct child_probe scratch;
		if (drop_to_nobody(&scratch, NULL))
			*res = access(path, W_OK) < 0 ? errno : 0;
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	bool denied = *res == EACCES;
	munmap(res, sizeof(int));
	return denied;
}

Test(probe, the_cgroup_denial_matches_access_as_the_same_user)
{
	char procs[4096];

	require_root();
	if (!own_cgroup_procs(procs, sizeof(procs)))
		ck_skip_or_fail("no cgroup v2 hierarchy to put a child into");
	cr_assert(nobody_cannot_write(procs), "uid 65534 may write %s: the denial above is moot",
		  procs);
}

/* ---- under a seccomp filter that refuses clone3 ---- */

/* Classic BPF: the native arch first, then clone3 answers *errp; everything else is allowed. */
static bool refuse_clone3(struct child_probe *cp, const void *errp)
{
	const struct ck_arch_info *arch = ck_arch_native();
	int nr = arch ? ck_sysno(arch->arch, CK_NR_CLONE3) : -1;
	unsigned err = *(const unsigned *)errp;

	if (!arch || nr < 0) {
		errno = ENOSYS;
		return setup_fail(cp, "native clone3 number");
	}
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch->audit_arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return setup_fail(cp, "PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return setup_fail(cp, "seccomp");
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != (int)err)
		return setup_fail(cp, "the filter does not answer clone3");
	return true;
}

Test(probe, clone3_hidden_by_seccomp_enosys_is_no_and_clone3_only_features_follow)
{
	static const unsigned enosys = ENOSYS;
	struct child_probe cp;

	require_root();
	probe_in_child(refuse_clone3, &enosys, &cp);
	assert_answer(&cp.p, clone3, CK_PROBE_NO, ENOSYS);
	assert_why(&cp.p, clone3,
		   "ENOSYS under a seccomp filter: the kernel may have clone3, the filter hides it");
	/* ck_clone3 falls back to clone, which has CLONE_PIDFD */
	assert_answer(&cp.p, clone_pidfd, CK_PROBE_YES, 0);
	assert_answer(&cp.p, clone_clear_sighand, CK_PROBE_NO, ENOSYS);
	assert_answer(&cp.p, set_tid, CK_PROBE_NO, ENOSYS);
	assert_answer(&cp.p, clone_into_cgroup, CK_PROBE_NO, ENOSYS);
	assert_answer(&cp.p, clone_newtime, CK_PROBE_NO, ENOSYS);
	assert_why(&cp.p, clone_newtime,
		   "CLONE_NEWTIME needs clone3, which answers ENOSYS (this process runs under a "
		   "seccomp filter)");
	/* unshare is not clone3 */
	assert_answer(&cp.p, user_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, time_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, seccomp_filter, CK_PROBE_YES, 0);
	assert_answer(&cp.p, no_new_privs, CK_PROBE_YES, 0);
}

Test(probe, clone3_refused_by_seccomp_eperm_is_denied)
{
	static const unsigned eperm = EPERM;
	struct child_probe cp;

	require_root();
	probe_in_child(refuse_clone3, &eperm, &cp);
	assert_answer(&cp.p, clone3, CK_PROBE_DENIED, EPERM);
	assert_why(&cp.p, clone3, "refused by a seccomp filter or security module");
	/* EPERM is no reason for ck_clone3 to fall back to clone */
	assert_answer(&cp.p, clone_clear_sighand, CK_PROBE_DENIED, EPERM);
	assert_why(&cp.p, clone_clear_sighand,
		   "refused by a seccomp filter or security module (this process runs under a "
		   "seccomp filter)");
	/* the probe's own children and CLONE_PIDFD take legacy clone */
	assert_answer(&cp.p, clone_pidfd, CK_PROBE_YES, 0);
	assert_answer(&cp.p, net_namespace, CK_PROBE_YES, 0);
	assert_answer(&cp.p, seccomp_user_notif, CK_PROBE_YES, 0);
}

/* ---- in user namespaces ---- */

static bool userns_without_net_namespaces(struct child_probe *cp, const void *arg)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return setup_fail(cp, "unshare");
	if (!write_file("/proc/self/setgroups", "deny") || !write_file("/proc/self/uid_map", "0 0 1") ||
	    !write_file("/proc/self/gid_map", "0 0 1"))
		return setup_fail(cp, "id maps");
	if (!write_file("/proc/sys/user/max_net_namespaces", "0"))
		return setup_fail(cp, "max_net_namespaces");
	return true;
}

Test(probe, a_namespace_limit_of_0_is_denied_with_enospc_and_names_the_sysctl)
{
	struct child_probe cp;

	require_root();
	probe_in_child(userns_without_net_namespaces, NULL, &cp);
	assert_answer(&cp.p, net_namespace, CK_PROBE_DENIED, ENOSPC);
	assert_why(&cp.p, net_namespace, "user.max_net_namespaces = 0");
	assert_answer(&cp.p, mount_namespace, CK_PROBE_YES, 0);
	/* the PID namespace the caller lives in belongs to the initial user namespace */
	assert_answer(&cp.p, set_tid, CK_PROBE_DENIED, EPERM);
}

static bool unmapped_userns(struct child_probe *cp, const void *arg)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return setup_fail(cp, "unshare");
	return true;
}

Test(probe, in_a_user_namespace_without_id_maps_user_namespaces_are_denied)
{
	struct child_probe cp;

	require_root();
	probe_in_child(unmapped_userns, NULL, &cp);
	assert_answer(&cp.p, user_namespace, CK_PROBE_DENIED, EPERM);
	assert_why(&cp.p, user_namespace,
		   "this process's uid or gid has no mapping in its user namespace");
	/* every capability inside, so the others still work */
	assert_answer(&cp.p, uts_namespace, CK_PROBE_YES, 0);
}

/* ---- the eBPF watcher ---- */

static bool then_open_the_watcher(struct child_probe *cp, const void *arg)
{
	cp->open_watcher = true;
	return true;
}

#if CK_HAVE_WATCHER
Test(probe, watcher_as_root_is_yes_and_the_watcher_opens)
{
	struct child_probe cp;

	require_root();
	probe_in_child(then_open_the_watcher, NULL, &cp);
	assert_answer(&cp.p, watcher, CK_PROBE_YES, 0);
	cr_assert_str_empty(cp.p.watcher.why);
	cr_assert_eq(cp.watcher_open, 0, "ck_watcher_open: %s", strerror(-cp.watcher_open));
}

static bool nobody_then_open_the_watcher(struct child_probe *cp, const void *arg)
{
	return drop_to_nobody(cp, arg) && then_open_the_watcher(cp, arg);
}

Test(probe, watcher_as_uid_65534_is_denied_eperm_as_the_watcher_is)
{
	struct child_probe cp;

	require_root();
	probe_in_child(nobody_then_open_the_watcher, NULL, &cp);
	assert_answer(&cp.p, watcher, CK_PROBE_DENIED, EPERM);
	assert_why(&cp.p, watcher, "needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN");
	cr_assert_eq(cp.watcher_open, -EPERM, "ck_watcher_open: %d", cp.watcher_open);
}

/* A private mount namespace where an empty tmpfs covers /sys/kernel/btf. */
static bool hide_kernel_btf_then_open_the_watcher(struct child_probe *cp, const void *arg)
{
	if (unshare(CLONE_NEWNS) < 0)
		return setup_fail(cp, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_fail(cp, "mount --make-rprivate /");
	if (mount("tmpfs", "/sys/kernel/btf", "tmpfs", 0, NULL) < 0)
		return setup_fail(cp, "mount tmpfs /sys/kernel/btf");
	return then_open_the_watcher(cp, arg);
}

Test(probe, watcher_without_kernel_btf_is_no_enoent_and_the_watcher_fails)
{
	struct child_probe cp;

	require_root();
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		ck_skip_or_fail("this kernel has no BTF to hide (/sys/kernel/btf/vmlinux)");
	probe_in_child(hide_kernel_btf_then_open_the_watcher, NULL, &cp);
	assert_answer(&cp.p, watcher, CK_PROBE_NO, ENOENT);
	assert_why(&cp.p, watcher, "no kernel BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)");
	/* libbpf's answer when it finds no kernel BTF to relocate against */
	cr_assert_eq(cp.watcher_open, -ESRCH, "ck_watcher_open: %d", cp.watcher_open);
}
#else
Test(probe, watcher_not_built_in_is_no_enosys)
{
	struct child_probe cp;

	probe_in_child(then_open_the_watcher, NULL, &cp);
	assert_answer(&cp.p, watcher, CK_PROBE_NO, ENOSYS);
	assert_why(&cp.p, watcher, "this libclonekit was built without the eBPF watcher");
}
#endif
