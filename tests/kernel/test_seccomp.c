/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp policies on the real kernel. ck-attempt (CK_ATTEMPT, and its
 * -m32 build CK_ATTEMPT_I386) is spawned under each policy with ck_spawn,
 * as `clonekit run --seccomp` does, and every process-creation call it makes
 * is held to the table below: the errno, a namespace that really appeared
 * (an inode that differs) or did not, or a process killed with SIGSYS.
 * Filters cannot be removed, so each is loaded in a child: ck_spawn's, or a
 * forked one for ck_seccomp_load and for the seed's inverted rule.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "../run.h"
#include "../support.h"

#define OUT_MAX 8192
#define MAX_ATTEMPTS 64
#define NAME_MAX_LEN 32
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The helper itself is killed: such an attempt runs in a helper of its own. */
#define DIES "dies:SIGSYS"

/* ---- the table ---- */

static const char *const plain[] = {
	"fork", "vfork", "pthread_create", "posix_spawn", "raw-fork", "int80-fork",
};
static const char *const namespaces[] = {
	"newns", "newuts", "newipc", "newuser", "newpid", "newnet", "newcgroup", "newtime",
};
static const char *const per_ns[] = {
	"clone-", "clone3-", "unshare-", "setns-", "int80-clone-", "int80-unshare-",
};
/* What ck-attempt --in-place makes in the helper itself. */
static const char *const per_ns_in_place[] = { "unshare-", "int80-unshare-", "setns-" };

struct expect {
	const char *pattern;  /* fnmatch(3) over attempt names; the first match wins */
	const char *outcome;  /* ck-attempt's word; one with a space is the whole line's tail */
};

enum policy {
	POL_NONE,
	POL_DENY_NAMESPACES,
	POL_DENY_USERNS,
	POL_NO_CHILD_PROCESS,
	POL_KILL_NEWNET,
	POL__COUNT,
};

#define PROCESSES_CREATED                                                          \
	{ "fork", "created" }, { "vfork", "created" }, { "pthread_create", "created" }, \
	{ "posix_spawn", "created" }, { "raw-fork", "created" }, { "int80-fork", "created" }

/*
 * setns into the helper's own user namespace is EINVAL whatever the filter
 * (the kernel refuses to re-enter one's own: userns_install). int80-* are
 * i386 calls, judged by the filter's i386 part, from both helpers.
 */
static const struct {
	const char *name;
	struct expect forked[16];    /* unshare and setns in a forked child */
	struct expect in_place[8];   /* unshare and setns in the helper itself */
} table[POL__COUNT] = {
	[POL_NONE] = {
		"no filter",
		{ { "setns-newuser", "EINVAL" }, { "setns-*", "joined" }, { "*", "created" } },
		{ { "setns-newuser", "EINVAL" }, { "setns-*", "joined" }, { "*", "created" } },
	},
	[POL_DENY_NAMESPACES] = {
		"deny-namespaces",
		{ PROCESSES_CREATED, { "clone3-*", "ENOSYS" }, { "clone-*", "EPERM" },
		  { "unshare-*", "EPERM" }, { "setns-*", "EPERM" }, { "int80-clone-*", "EPERM" },
		  { "int80-unshare-*", "EPERM" } },
		{ { "unshare-*", "EPERM" }, { "int80-unshare-*", "EPERM" }, { "setns-*", "EPERM" } },
	},
	[POL_DENY_USERNS] = {
		"deny-userns",
		{ PROCESSES_CREATED, { "clone3-*", "ENOSYS" }, { "setns-*", "EPERM" },
		  { "*-newuser", "EPERM" }, { "*-new*", "created" } },
		{ { "setns-*", "EPERM" }, { "*-newuser", "EPERM" }, { "*-new*", "created" } },
	},
	[POL_NO_CHILD_PROCESS] = {
		"no-child-process",
		{ { "fork", "EPERM" }, { "vfork", "EPERM" }, { "pthread_create", "created" },
		  { "posix_spawn", "EPERM" }, { "raw-fork", "EPERM" }, { "int80-fork", "EPERM" },
		  { "clone3-*", "ENOSYS" }, { "clone-*", "EPERM" }, { "int80-clone-*", "EPERM" },
		  { "unshare-*", "fork:EPERM" }, { "int80-unshare-*", "fork:EPERM" },
		  { "setns-*", "fork:EPERM" } },
		/* unshare makes no process; a new PID namespace's init is refused */
		{ { "setns-newuser", "EINVAL" }, { "setns-*", "joined" },
		  { "*-newpid", "created ns=new-no-init" }, { "*", "created" } },
	},
	[POL_KILL_NEWNET] = {
		"custom (CLONE_NEWNET, kill)",
		{ PROCESSES_CREATED, { "clone3-*", "ENOSYS" }, { "clone-newnet", DIES },
		  { "int80-clone-newnet", DIES }, { "unshare-newnet", "SIGSYS" },
		  { "int80-unshare-newnet", "SIGSYS" }, { "setns-*", "SIGSYS" }, { "*-new*", "created" } },
		{ { "unshare-newnet", DIES }, { "int80-unshare-newnet", DIES }, { "setns-*", DIES },
		  { "*-new*", "created" } },
	},
};

static struct ck_seccomp_policy *policy_make(enum policy p)
{
	struct ck_seccomp_policy *pol = NULL;
	switch (p) {
	case POL_NONE:
		return NULL;
	case POL_DENY_NAMESPACES:
		pol = ck_seccomp_policy_named("deny-namespaces");
		break;
	case POL_DENY_USERNS:
		pol = ck_seccomp_policy_named("deny-userns");
		break;
	case POL_NO_CHILD_PROCESS:
		pol = ck_seccomp_policy_named("no-child-process");
		break;
	case POL_KILL_NEWNET:
		pol = ck_seccomp_policy_deny(CK_CLONE_NEWNET, CK_SECCOMP_KILL, 0);
		break;
	case POL__COUNT:
		break;
	}
	cr_assert_not_null(pol, "policy %s: %s", table[p].name, strerror(errno));
	return pol;
}

struct attempts {
	char name[MAX_ATTEMPTS][NAME_MAX_LEN];
	size_t n;
};

static void attempts_add(struct attempts *as, const char *prefix, const char *ns)
{
	cr_assert_lt(as->n, MAX_ATTEMPTS);
	snprintf(as->name[as->n++], NAME_MAX_LEN, "%s%s", prefix, ns);
}

static void attempts_build(struct attempts *as, bool in_place)
{
	const char *const *prefixes = in_place ? per_ns_in_place : per_ns;
	size_t np = in_place ? COUNT(per_ns_in_place) : COUNT(per_ns);

	as->n = 0;
	for (size_t i = 0; !in_place && i < COUNT(plain); i++)
		attempts_add(as, plain[i], "");
	for (size_t i = 0; i < np; i++) {
		for (size_t k = 0; k < COUNT(namespaces); k++) {
			/* CLONE_NEWTIME lies in clone's exit signal byte: only clone3 and unshare have it */
			if (strcmp(namespaces[k], "newtime") == 0 &&
			    (strcmp(prefixes[i], "clone-") == 0 || strcmp(prefixes[i], "int80-clone-") == 0))
				continue;
			attempts_add(as, prefixes[i], namespaces[k]);
		}
	}
}

static const char *expected(const struct expect *rules, size_t n, const char *name)
{
	for (size_t i = 0; i < n && rules[i].pattern; i++)
		if (fnmatch(rules[i].pattern, name, 0) == 0)
			return rules[i].outcome;
	return NULL;
}

/*
 * The line ck-attempt prints: a namespace attempt carries its inode check,
 * ns=new when it made one, ns=same when it failed or joined its own.
 */
static void expected_line(char *buf, size_t len, const char *name, const char *outcome)
{
	bool ns_attempt = strstr(name, "-new") != NULL;
	const char *ns = "";

	if (ns_attempt && !strchr(outcome, ' ')) {
		if (strcmp(outcome, "created") == 0)
			ns = " ns=new";
		else if (strcmp(outcome, "joined") == 0 || outcome[0] == 'E')
			ns = " ns=same";
	}
	snprintf(buf, len, "%s %s%s", name, outcome, ns);
}

/* ---- running the helper ---- */

static int count_fds(void)
{
	int n = ck_test_fd_count();
	cr_assert_geq(n, 0, "/proc/self/fd: %s", strerror(errno));
	return n;
}

struct run {
	char out[OUT_MAX];
	int status;
};

static void argv_build(char **argv, const char *helper, bool in_place, const char *const *names,
		       size_t n)
{
	size_t k = 0;
	argv[k++] = (char *)helper;
	if (in_place)
		argv[k++] = "--in-place";
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)names[i];
	argv[k] = NULL;
}

/* ck-attempt under pol (none: NULL) through ck_spawn, as `clonekit run --seccomp` runs it. */
static void spawn_helper(struct run *r, const char *helper, const struct ck_seccomp_policy *pol,
			 bool in_place, const char *const *names, size_t n)
{
	char *argv[MAX_ATTEMPTS + 3];
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *c = NULL;
	int p[2];

	argv_build(argv, helper, in_place, names, n);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_not_null(a);
	if (pol)
		cr_assert_eq(ck_spawn_attr_set_seccomp(a, pol), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_add_fd(a, 2, 2), 0);
	int rc = ck_spawn(&c, helper, argv, NULL, a, &err);
	close(p[1]);
	ck_spawn_attr_free(a);
	cr_assert_eq(rc, 0, "ck_spawn %s: %s, step %s: %s", helper, strerrorname_np(-rc),
		     err.step ? err.step : "-", err.message);
	ck_test_read_all(p[0], r->out, sizeof(r->out));
	close(p[0]);
	cr_assert_eq(ck_spawn_wait(c, &r->status), 0);
	ck_spawn_free(c);
}

/* The helper ran every attempt and printed exactly the expected lines, in order. */
static void check_lines(const char *ctx, const struct run *r, const char *const *names,
			const char *const *wants, size_t n)
{
	char want[128], got[128];
	const char *line = r->out;

	cr_expect(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		  "%s: ck-attempt status 0x%x, output:\n%s", ctx, r->status, r->out);
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(line, '\n');
		expected_line(want, sizeof(want), names[i], wants[i]);
		if (!end) {
			cr_expect_fail("%s: no line for %s (want '%s'), output:\n%s", ctx, names[i], want,
				       r->out);
			return;
		}
		snprintf(got, sizeof(got), "%.*s", (int)(end - line), line);
		cr_expect_str_eq(got, want, "%s: got '%s', want '%s'", ctx, got, want);
		line = end + 1;
	}
	cr_expect_str_empty(line, "%s: output past the last attempt: %s", ctx, line);
}

static void check_dies(const char *ctx, const struct run *r, const char *name)
{
	cr_expect(WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGSYS,
		  "%s: %s should kill the helper with SIGSYS; status 0x%x, output '%s'", ctx, name,
		  r->status, r->out);
	cr_expect_str_empty(r->out, "%s: %s printed before its kill: %s", ctx, name, r->out);
}

/* Every attempt of one policy: those the helper survives in one run, the others one by one. */
static void check_policy(enum policy p, const char *helper, const char *arch)
{
	struct ck_seccomp_policy *pol;
	struct attempts as;
	const char *names[MAX_ATTEMPTS], *wants[MAX_ATTEMPTS];
	char ctx[128];
	struct run r;
	size_t n;
	int fds;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	fds = count_fds();
	pol = policy_make(p);

	snprintf(ctx, sizeof(ctx), "%s, %s helper", table[p].name, arch);
	attempts_build(&as, false);
	n = 0;
	for (size_t i = 0; i < as.n; i++) {
		const char *w = expected(table[p].forked, COUNT(table[p].forked), as.name[i]);
		cr_assert_not_null(w, "%s: the table has no outcome for %s", ctx, as.name[i]);
		if (strcmp(w, DIES) == 0) {
			const char *one = as.name[i];
			spawn_helper(&r, helper, pol, false, &one, 1);
			check_dies(ctx, &r, one);
			ck_test_assert_no_children();
			continue;
		}
		names[n] = as.name[i];
		wants[n++] = w;
	}
	spawn_helper(&r, helper, pol, false, names, n);
	check_lines(ctx, &r, names, wants, n);
	ck_test_assert_no_children();

	/* in place, one per helper: namespaces the helper joins must not meet the next attempt */
	snprintf(ctx, sizeof(ctx), "%s, %s helper, in place", table[p].name, arch);
	attempts_build(&as, true);
	for (size_t i = 0; i < as.n; i++) {
		const char *one = as.name[i];
		const char *w = expected(table[p].in_place, COUNT(table[p].in_place), one);
		cr_assert_not_null(w, "%s: the table has no outcome for %s", ctx, one);
		spawn_helper(&r, helper, pol, true, &one, 1);
		if (strcmp(w, DIES) == 0)
			check_dies(ctx, &r, one);
		else
			check_lines(ctx, &r, &one, &w, 1);
		ck_test_assert_no_children();
	}

	ck_seccomp_policy_free(pol);
	cr_assert_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the test process itself got a filter");
	cr_assert_eq(count_fds(), fds, "fds leaked");
}

static const char *helper_native(void)
{
	const char *h = getenv("CK_ATTEMPT");
	cr_assert(h && *h, "CK_ATTEMPT names the ck-attempt helper");
	return h;
}

#define I386_HELPER_OR_SKIP(h)                                                          \
	const char *h = getenv("CK_ATTEMPT_I386");                                      \
	if (!h || !*h)                                                                  \
		ck_skip_or_fail("no i386 ck-attempt: %s",                               \
				getenv("CK_ATTEMPT_I386_MISSING") ? getenv("CK_ATTEMPT_I386_MISSING") \
								  : "CK_ATTEMPT_I386 unset")

/* ---- the policies ---- */

Test(seccomp, without_a_filter_every_attempt_makes_its_process_thread_or_namespace)
{
	check_policy(POL_NONE, helper_native(), "x86_64");
}

Test(seccomp, without_a_filter_every_i386_attempt_makes_its_process_thread_or_namespace)
{
	I386_HELPER_OR_SKIP(h);
	check_policy(POL_NONE, h, "i386");
}

Test(seccomp, deny_namespaces_refuses_every_namespace_call_and_no_process_or_thread)
{
	check_policy(POL_DENY_NAMESPACES, helper_native(), "x86_64");
}

Test(seccomp, deny_namespaces_refuses_every_namespace_call_of_an_i386_program)
{
	I386_HELPER_OR_SKIP(h);
	check_policy(POL_DENY_NAMESPACES, h, "i386");
}

Test(seccomp, deny_userns_refuses_user_namespaces_and_every_setns_only)
{
	check_policy(POL_DENY_USERNS, helper_native(), "x86_64");
}

Test(seccomp, deny_userns_refuses_user_namespaces_and_every_setns_of_an_i386_program)
{
	I386_HELPER_OR_SKIP(h);
	check_policy(POL_DENY_USERNS, h, "i386");
}

Test(seccomp, no_child_process_refuses_processes_and_still_makes_threads)
{
	check_policy(POL_NO_CHILD_PROCESS, helper_native(), "x86_64");
}

Test(seccomp, no_child_process_refuses_processes_of_an_i386_program_and_still_makes_threads)
{
	I386_HELPER_OR_SKIP(h);
	check_policy(POL_NO_CHILD_PROCESS, h, "i386");
}

Test(seccomp, custom_kill_on_newnet_kills_with_sigsys_and_lets_newuts_through)
{
	check_policy(POL_KILL_NEWNET, helper_native(), "x86_64");
}

Test(seccomp, custom_kill_on_newnet_kills_an_i386_program_with_sigsys)
{
	I386_HELPER_OR_SKIP(h);
	check_policy(POL_KILL_NEWNET, h, "i386");
}

/* ---- loading in-process ---- */

/*
 * A forked child loads the filter itself (libseccomp's own load, not
 * ck_spawn's), then executes ck-attempt: the filter outlives execve.
 * Without pol, the filter is the seed's rule.
 */
static void run_forked(struct run *r, const char *helper, const struct ck_seccomp_policy *pol,
		       const char *const *names, size_t n)
{
	char *argv[MAX_ATTEMPTS + 3];
	int p[2], st;

	argv_build(argv, helper, false, names, n);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int rc;
		if (pol) {
			rc = ck_seccomp_load(pol);
		} else {
			/* the seed's rule, verbatim */
			scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
			rc = ctx ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
						    SCMP_A0(SCMP_CMP_MASKED_EQ,
							    CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID |
								    CLONE_NEWNS,
							    0))
				 : -ENOMEM;
			if (rc == 0)
				rc = seccomp_load(ctx);
			seccomp_release(ctx);
		}
		if (rc < 0) {
			dprintf(p[1], "load: %s\n", strerrorname_np(-rc));
			_exit(126);
		}
		if (dup2(p[1], 1) < 0)
			_exit(126);
		execv(helper, argv);
		_exit(127);
	}
	close(p[1]);
	ck_test_read_all(p[0], r->out, sizeof(r->out));
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = st;
}

Test(seccomp, ck_seccomp_load_in_a_forked_child_holds_across_execve)
{
	const char *helper = helper_native();
	const char *names[MAX_ATTEMPTS], *wants[MAX_ATTEMPTS];
	struct attempts as;
	struct run r;
	int fds = count_fds();

	struct ck_seccomp_policy *pol = policy_make(POL_DENY_NAMESPACES);
	attempts_build(&as, false);
	for (size_t i = 0; i < as.n; i++) {
		names[i] = as.name[i];
		wants[i] = expected(table[POL_DENY_NAMESPACES].forked,
				    COUNT(table[POL_DENY_NAMESPACES].forked), names[i]);
		cr_assert_not_null(wants[i]);
	}
	run_forked(&r, helper, pol, names, as.n);
	check_lines("ck_seccomp_load(deny-namespaces), x86_64 helper", &r, names, wants, as.n);
	ck_seccomp_policy_free(pol);
	ck_test_assert_no_children();
	cr_assert_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the test process itself got a filter");
	cr_assert_eq(count_fds(), fds, "fds leaked");
}

/*
 * STYLE.md's trap, measured: the seed's ERRNO rule on (flags & NS_MASK) == 0
 * refuses every ordinary fork (glibc's fork is clone without those flags)
 * and lets CLONE_NEWUSER through; clone3 and vfork it never sees.
 * deny-namespaces is the opposite on the same calls.
 */
Test(seccomp, seed_snippet_refuses_fork_and_allows_newuser_and_deny_namespaces_is_the_opposite)
{
	const char *helper = helper_native();
	const char *names[] = { "fork", "clone-newuser", "vfork", "clone3-newuser" };
	const char *seed[] = { "EPERM", "created", "created", "created" };
	const char *ours[] = { "created", "EPERM", "created", "ENOSYS" };
	const size_t n = COUNT(names);
	struct run r;
	int fds = count_fds();

	run_forked(&r, helper, NULL, names, n);
	check_lines("the seed's libseccomp rule", &r, names, seed, n);
	ck_test_assert_no_children();

	struct ck_seccomp_policy *pol = policy_make(POL_DENY_NAMESPACES);
	spawn_helper(&r, helper, pol, false, names, n);
	check_lines("deny-namespaces", &r, names, ours, n);
	ck_seccomp_policy_free(pol);
	ck_test_assert_no_children();
	cr_assert_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the test process itself got a filter");
	cr_assert_eq(count_fds(), fds, "fds leaked");
}

Test(seccomp, policies_compile_for_the_hosts_abis_and_no_others)
{
	enum ck_arch a[4];
	size_t n = ck_seccomp_arches(a, 4);
	struct ck_seccomp_policy *p = ck_seccomp_policy_named("deny-namespaces");

	cr_assert_not_null(p);
#if defined(__x86_64__) && !defined(__ILP32__)
	cr_assert_eq(n, 3);
	cr_assert(a[0] == CK_ARCH_X86_64 && a[1] == CK_ARCH_I386 && a[2] == CK_ARCH_X32);
#endif
	for (size_t i = 0; i < n; i++)
		cr_assert_gt(ck_seccomp_instruction_count(p, a[i]), 0, "%s", ck_arch_at(a[i])->name);
	for (int arch = 0; arch < CK_ARCH__COUNT; arch++) {
		bool host = false;
		for (size_t i = 0; i < n; i++)
			host |= a[i] == (enum ck_arch)arch;
		if (!host)
			cr_assert_eq(ck_seccomp_instruction_count(p, (enum ck_arch)arch), 0, "%s",
				     ck_arch_at((size_t)arch)->name);
	}
	ck_seccomp_policy_free(p);
}

Test(seccomp, custom_policy_refuses_flags_no_filter_can_see)
{
	errno = 0;
	cr_assert_null(ck_seccomp_policy_deny(CK_CLONE_CLEAR_SIGHAND, CK_SECCOMP_ERRNO, EPERM));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(ck_seccomp_policy_deny(0x11, CK_SECCOMP_ERRNO, EPERM));
	cr_assert_null(ck_seccomp_policy_deny(CK_CLONE_NEWNET, CK_SECCOMP_ERRNO, 0));
	cr_assert_null(ck_seccomp_policy_named("deny-everything"));
	cr_assert_eq(errno, ENOENT);
}

/*
 * libseccomp loads a policy with a notify rule with a listener it keeps to
 * itself, which nobody answers: a matching call would wait for ever. In a
 * forked child, so that a filter loaded by mistake stays there.
 */
Test(seccomp, ck_seccomp_load_refuses_a_notify_policy_it_has_no_listener_for)
{
	struct ck_seccomp_policy *p = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	int st;

	cr_assert_not_null(p);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fds = count_fds();
		int rc = ck_seccomp_load(p);
		/* 0: refused; 1: loaded; 2: refused but a filter or an fd was left behind */
		if (rc == 0)
			_exit(1);
		_exit(rc == -EINVAL && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 && count_fds() == fds ? 0 : 2);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	ck_seccomp_policy_free(p);
	cr_assert(WIFEXITED(st), "the child was killed by signal %d", WTERMSIG(st));
	cr_assert_eq(WEXITSTATUS(st), 0, "%s", WEXITSTATUS(st) == 1
		     ? "ck_seccomp_load loaded a notify policy that has no listener"
		     : "ck_seccomp_load refused it, but not with -EINVAL, or left a filter or an fd behind");
}
