/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The validator on synthetic callers and kernels: the version-dependent and
 * context-dependent rules the running machine cannot show (the differential
 * test holds the rest against the real kernel).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <clonekit/validate.h>

#define V CK_KERNEL_VERSION
#define CAP_SYS_ADMIN_BIT (UINT64_C(1) << 21)
#define ALL_CAPS UINT64_C(0x1ffffffffff)

static struct ck_context ctx_for(uint32_t kernel, uint64_t caps)
{
	struct ck_context c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.kernel = kernel;
	c.cap_effective = caps;
	c.ids_mapped = true;
	c.unprivileged_userns_clone = -1;
	c.apparmor_restrict_userns = -1;
	for (int i = 0; i < CK_NS__COUNT; i++)
		c.max_ns[i] = 10000;
	c.pid_max = 32768;
	return c;
}

static struct ck_context root(uint32_t kernel) { return ctx_for(kernel, ALL_CAPS); }
static struct ck_context user(uint32_t kernel) { return ctx_for(kernel, 0); }

/* The errno the model predicts for sc(flags) by c; the first finding's rule in *rule. */
static int judge_full(enum ck_syscall sc, uint64_t flags, uint64_t exit_signal,
		      const struct ck_context *c, const char **rule)
{
	struct ck_clone_request req;
	ck_clone_request_init(&req, sc, flags);
	req.exit_signal = exit_signal;
	struct ck_verdict *v = ck_validate(&req, c);
	cr_assert_not_null(v);
	int err = ck_verdict_errno(v);
	if (rule)
		*rule = err ? ck_verdict_at(v, 0)->rule : NULL;
	ck_verdict_free(v);
	return err;
}

static int judge(enum ck_syscall sc, uint64_t flags, const struct ck_context *c)
{
	return judge_full(sc, flags, 0, c, NULL);
}

/* Whether the verdict holds a finding with this rule id. */
static bool has_rule(enum ck_syscall sc, uint64_t flags, const struct ck_context *c, const char *id)
{
	struct ck_clone_request req;
	bool found = false;
	ck_clone_request_init(&req, sc, flags);
	struct ck_verdict *v = ck_validate(&req, c);
	for (size_t i = 0; i < ck_verdict_count(v); i++)
		found |= strcmp(ck_verdict_at(v, i)->rule, id) == 0;
	ck_verdict_free(v);
	return found;
}

Test(validate, sighand_without_vm_is_einval_with_the_documented_message)
{
	struct ck_context c = root(V(6, 18, 0));
	struct ck_clone_request req;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE, CK_CLONE_SIGHAND | 17);
	struct ck_verdict *v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	cr_assert_str_eq(ck_verdict_at(v, 0)->message, "CLONE_SIGHAND requires CLONE_VM");
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "sighand-requires-vm");
	cr_assert_str_eq(ck_errno_name(ck_verdict_errno(v)), "EINVAL");
	ck_verdict_free(v);
}

Test(validate, thread_is_checked_before_sighand_as_in_copy_process)
{
	const char *rule;
	struct ck_context c = root(V(6, 18, 0));
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE, CK_CLONE_THREAD, 0, &c, &rule), EINVAL);
	cr_assert_str_eq(rule, "thread-requires-sighand");
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE, CK_CLONE_THREAD | CK_CLONE_NEWNS | CK_CLONE_FS, 0,
				&c, &rule), EINVAL);
	cr_assert_str_eq(rule, "newns-with-fs");
	cr_assert_eq(judge(CK_SYSCALL_CLONE, 0x3d0f00, &c), 0); /* pthread_create */
	cr_assert_eq(judge(CK_SYSCALL_CLONE, 0x1200011, &c), 0); /* fork */
}

Test(validate, every_broken_rule_is_listed_in_kernel_order)
{
	struct ck_context c = user(V(6, 18, 0));
	struct ck_clone_request req;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE,
			      CK_CLONE_THREAD | CK_CLONE_NEWNS | CK_CLONE_FS | CK_CLONE_NEWNET | 17);
	struct ck_verdict *v = ck_validate(&req, &c);
	static const char *const order[] = { "newns-with-fs", "thread-requires-sighand",
					     "namespace-needs-cap-sys-admin" };
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(ck_verdict_at(v, i)->severity, CK_SEVERITY_ERROR);
		cr_assert_str_eq(ck_verdict_at(v, i)->rule, order[i]);
	}
	cr_assert_eq(ck_verdict_at(v, 2)->err, EPERM);
	cr_assert_neq(ck_verdict_at(v, 3)->severity, CK_SEVERITY_ERROR);
	ck_verdict_free(v);
}

Test(validate, pidfd_with_thread_is_allowed_from_6_9)
{
	uint64_t f = CK_CLONE_PIDFD | CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM;
	struct ck_context old = root(V(6, 8, 0)), now = root(V(6, 9, 0));
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, f, &old), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, f, &now), 0);
}

Test(validate, pidfd_with_parent_settid_depends_on_pointers_and_version)
{
	struct ck_context c = root(V(6, 18, 0)), c58 = root(V(5, 8, 0));
	uint64_t f = CK_CLONE_PIDFD | CK_CLONE_PARENT_SETTID;
	struct ck_clone_request req;
	/* legacy clone returns the pidfd through parent_tid: always EINVAL */
	cr_assert_eq(judge(CK_SYSCALL_CLONE, f | 17, &c), EINVAL);
	/* clone3 with distinct pointers is fine; the same pointer is EINVAL since 5.9 */
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, f, &c), 0);
	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, f);
	req.pidfd = req.parent_tid;
	struct ck_verdict *v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	ck_verdict_free(v);
	v = ck_validate(&req, &c58);
	cr_assert_eq(ck_verdict_errno(v), 0);
	ck_verdict_free(v);
}

Test(validate, clone3_history)
{
	struct ck_context c52 = root(V(5, 2, 0)), c54 = root(V(5, 4, 0)), c55 = root(V(5, 5, 0));
	struct ck_context c62 = root(V(6, 2, 0)), c63 = root(V(6, 3, 0));
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, 0, &c52), ENOSYS);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_CLEAR_SIGHAND, &c54), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_CLEAR_SIGHAND, &c55), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_NEWTIME, &c62), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_NEWTIME, &c63), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_DETACHED, &c63), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_SIGHAND | CK_CLONE_VM | CK_CLONE_CLEAR_SIGHAND, &c63),
		     EINVAL);
}

Test(validate, clone3_struct_size_rules)
{
	struct ck_context c = root(V(6, 18, 0)), c54 = root(V(5, 4, 0));
	struct ck_clone_request req;
	struct ck_verdict *v;
	int32_t tids[1] = { 1 };

	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, CK_CLONE_NEWPID);
	req.args_size = 4097;
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), E2BIG);
	ck_verdict_free(v);
	req.args_size = 63;
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	ck_verdict_free(v);
	req.args_size = 96;
	req.args_tail_nonzero = true;
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), E2BIG);
	ck_verdict_free(v);
	/* set_tid on a kernel whose struct ends at 64 bytes */
	req.args_size = 88;
	req.args_tail_nonzero = false;
	req.set_tid = (uint64_t)(uintptr_t)tids;
	req.set_tid_values = tids;
	req.set_tid_size = 1;
	v = ck_validate(&req, &c54);
	cr_assert_eq(ck_verdict_errno(v), E2BIG);
	ck_verdict_free(v);
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), 0);
	ck_verdict_free(v);
	/* a size of 72 passes set_tid but not set_tid_size */
	req.args_size = 72;
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "set-tid-array-without-size");
	ck_verdict_free(v);
}

Test(validate, set_tid_rules)
{
	struct ck_context r = root(V(6, 18, 0)), u = user(V(6, 18, 0));
	struct ck_clone_request req;
	int32_t two[1] = { 2 }, one[1] = { 1 };
	const char *rule;
	struct ck_verdict *v;

	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, CK_CLONE_NEWPID);
	req.set_tid = (uint64_t)(uintptr_t)two;
	req.set_tid_values = two;
	req.set_tid_size = 1;
	v = ck_validate(&req, &r);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "set-tid-needs-init");
	ck_verdict_free(v);
	/* unprivileged, but the new PID namespace belongs to a new user namespace */
	req.flags = CK_CLONE_NEWPID | CK_CLONE_NEWUSER;
	req.set_tid = (uint64_t)(uintptr_t)one;
	req.set_tid_values = one;
	v = ck_validate(&req, &u);
	cr_assert_eq(ck_verdict_errno(v), 0);
	ck_verdict_free(v);
	req.flags = 0;
	v = ck_validate(&req, &u);
	cr_assert_eq(ck_verdict_errno(v), EPERM);
	rule = ck_verdict_at(v, 0)->rule;
	cr_assert_str_eq(rule, "set-tid-needs-capability");
	ck_verdict_free(v);
	req.set_tid_size = 33;
	v = ck_validate(&req, &r);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "set-tid-size-too-big");
	ck_verdict_free(v);
	req.set_tid_size = 2; /* the caller's namespace is the only level */
	v = ck_validate(&req, &r);
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "set-tid-beyond-levels");
	ck_verdict_free(v);
}

Test(validate, namespaces_need_cap_sys_admin_unless_a_user_namespace_comes_too)
{
	struct ck_context u = user(V(6, 18, 0)), u37 = user(V(3, 7, 0));
	struct ck_context admin_only = ctx_for(V(6, 18, 0), CAP_SYS_ADMIN_BIT);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWNET | 17, &u), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWNET | CK_CLONE_NEWUSER | 17, &u), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | 17, &u), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWNET | 17, &admin_only), 0);
	/* before 3.8 a user namespace needed CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID */
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | 17, &u37), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWNS, &u), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWNS | CK_CLONE_NEWUSER, &u), 0);
}

Test(validate, user_namespace_creation_limits)
{
	struct ck_context deep48 = root(V(4, 8, 0)), deep = root(V(6, 18, 0));
	struct ck_context chroot = user(V(6, 18, 0)), chroot38 = user(V(3, 8, 0));
	struct ck_context nomap = user(V(6, 18, 0)), limit = user(V(6, 18, 0));
	struct ck_context debian = user(V(6, 1, 0)), debian_root = root(V(6, 1, 0));
	deep48.userns_level = deep.userns_level = 33;
	chroot.chrooted = chroot38.chrooted = true;
	nomap.ids_mapped = false;
	limit.max_ns[CK_NS_USER] = 0;
	debian.unprivileged_userns_clone = debian_root.unprivileged_userns_clone = 0;
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &deep48), EUSERS);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &deep), ENOSPC);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &chroot), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &chroot38), 0);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWUSER, &nomap), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_NEWUSER, &limit), ENOSPC);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &debian), EPERM);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER, &debian_root), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS, &chroot), EINVAL);
}

Test(validate, newuser_with_fs_is_refused_from_3_9)
{
	struct ck_context c38 = root(V(3, 8, 0)), c39 = root(V(3, 9, 0));
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS, &c38), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS, &c39), EINVAL);
}

Test(validate, caller_state_rules)
{
	struct ck_context init = root(V(6, 18, 0)), after = root(V(6, 18, 0));
	struct ck_context tns61 = root(V(6, 1, 0)), tns62 = root(V(6, 2, 0));
	struct ck_context limit = root(V(6, 18, 0)), deep = root(V(6, 18, 0));
	init.is_init = true;
	after.pidns_for_children_differs = true;
	tns61.timens_for_children_differs = tns62.timens_for_children_differs = true;
	limit.max_ns[CK_NS_NET] = 0;
	deep.pidns_level = 32;
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_PARENT, &init), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWPID | 17, &after), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, 0x3d0f00, &after), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_VM | CK_CLONE_VFORK | 17, &tns61), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_VM | CK_CLONE_VFORK | 17, &tns62), 0);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWNET | 17, &limit), ENOSPC);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWPID | 17, &deep), ENOSPC);
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWIPC | CK_CLONE_SYSVSEM, &limit), EINVAL);
}

Test(validate, exit_signal_rules_differ_between_clone_and_clone3)
{
	struct ck_context c = root(V(6, 18, 0));
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE3, 0, 65, &c, NULL), EINVAL);
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE3, 0, (UINT64_C(1) << 32) | 17, &c, NULL), EINVAL);
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE3, 0x3d0f00, 17, &c, NULL), EINVAL);
	cr_assert_eq(judge_full(CK_SYSCALL_CLONE3, 0x3d0f00, 0, &c, NULL), 0);
	/* legacy clone takes any low byte and warns */
	cr_assert_eq(judge(CK_SYSCALL_CLONE, 100, &c), 0);
	cr_assert(has_rule(CK_SYSCALL_CLONE, 100, &c, "exit-signal-not-a-signal"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, 0x3d0f00 | 17, &c, "thread-exit-signal-ignored"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_PARENT | 17, &c, "parent-exit-signal-replaced"));
}

Test(validate, unshare_rules)
{
	struct ck_context c = root(V(6, 18, 0)), c45 = root(V(4, 5, 0)), mt = root(V(6, 18, 0));
	mt.multithreaded = true;
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_PIDFD, &c), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_IO, &c), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, UINT64_C(1) << 40, &c), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWCGROUP, &c45), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWCGROUP, &c), 0);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWUSER, &mt), EINVAL);
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWNET, &mt), 0);
	/* no NEWIPC|SYSVSEM rule for unshare, unlike clone */
	cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWIPC | CK_CLONE_SYSVSEM, &c), 0);
	cr_assert(has_rule(CK_SYSCALL_UNSHARE, CK_CLONE_NEWUSER, &c, "unshare-implied"));
}

Test(validate, warnings_for_accepted_but_ignored_arguments)
{
	struct ck_context c = root(V(6, 18, 0)), c51 = root(V(5, 1, 0)), c45 = root(V(4, 5, 0));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_INTO_CGROUP | 17, &c, "clone-high-bits-ignored"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_PIDFD | 17, &c51, "clone-unknown-bits-ignored"));
	cr_assert(!has_rule(CK_SYSCALL_CLONE, CK_CLONE_PIDFD | 17, &c, "clone-unknown-bits-ignored"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_NEWCGROUP | 17, &c45, "clone-unknown-bits-ignored"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_DETACHED | 17, &c, "detached-ignored"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_PTRACE | CK_CLONE_UNTRACED | 17, &c,
			   "ptrace-beats-untraced"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_VM | 17, &c, "vm-without-stack"));
	cr_assert(has_rule(CK_SYSCALL_CLONE, CK_CLONE_VM | CK_CLONE_SIGHAND | CK_CLONE_NEWPID | 17, &c,
			   "newpid-sighand-ignores-sigchld"));
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_DETACHED | CK_CLONE_PIDFD | 17, &c), EINVAL);
}

Test(validate, request_and_context_sizes_are_checked)
{
	struct ck_clone_request req;
	struct ck_context c = root(V(6, 18, 0));
	ck_clone_request_init(&req, CK_SYSCALL_CLONE, 17);
	req.size = 8;
	errno = 0;
	cr_assert_null(ck_validate(&req, &c));
	cr_assert_eq(errno, EINVAL);
	req.size = sizeof(req);
	req.syscall = CK_SYSCALL__COUNT;
	cr_assert_null(ck_validate(&req, &c));
	/* an older, shorter request: the missing fields are zero */
	ck_clone_request_init(&req, CK_SYSCALL_CLONE, 17);
	req.size = offsetof(struct ck_clone_request, set_tid);
	struct ck_verdict *v = ck_validate(&req, &c);
	cr_assert_not_null(v);
	cr_assert_eq(ck_verdict_errno(v), 0);
	ck_verdict_free(v);
	c.size = 4;
	cr_assert_null(ck_validate(&req, &c));
}

Test(validate, current_context_describes_this_process)
{
	struct ck_context c = { .size = sizeof(c) };
	cr_assert_eq(ck_context_current(&c), 0);
	cr_assert_eq(c.size, sizeof(c));
	cr_assert_eq(c.kernel, ck_kernel_version_running());
	cr_assert(c.live);
	cr_assert(c.ids_mapped);
	cr_assert_eq(c.is_init, getpid() == 1);
	cr_assert_eq(ck_context_current(NULL), -EINVAL);
}

/* ---- kernel versions: every real release, as distributions ship them ---- */

Test(kernel_version, patch_levels_above_255_keep_their_number_and_order)
{
	static const struct { const char *text; unsigned a, b, c; } releases[] = {
		{ "5.4.280", 5, 4, 280 }, { "4.19.325", 4, 19, 325 }, { "6.1.192", 6, 1, 192 },
		{ "4.9.337", 4, 9, 337 },  { "4.14.336", 4, 14, 336 }, { "2.6.24", 2, 6, 24 },
	};
	uint32_t v;
	char buf[32];
	for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++) {
		cr_assert_eq(ck_kernel_version_parse(releases[i].text, &v), 0, "%s", releases[i].text);
		cr_assert_eq(v, V(releases[i].a, releases[i].b, releases[i].c), "%s", releases[i].text);
		cr_assert_eq(CK_KERNEL_VERSION_MAJOR(v), releases[i].a);
		cr_assert_eq(CK_KERNEL_VERSION_MINOR(v), releases[i].b);
		cr_assert_eq(CK_KERNEL_VERSION_PATCH(v), releases[i].c);
		cr_assert_str_eq(ck_kernel_version_format(v, buf, sizeof(buf)), releases[i].text);
	}
	/* plain integer order across patch levels, minors and majors */
	cr_assert_gt(V(4, 19, 325), V(4, 19, 255));
	cr_assert_gt(V(4, 19, 256), V(4, 19, 255));
	cr_assert_lt(V(4, 19, 325), V(4, 20, 0));
	cr_assert_lt(V(6, 1, 192), V(6, 2, 0));
	cr_assert_lt(V(5, 255, 65535), V(6, 0, 0));
	cr_assert_eq(ck_kernel_version_parse("6.1.65535", &v), 0);
	cr_assert_eq(v, V(6, 1, 65535));
	cr_assert_eq(ck_kernel_version_parse("6.1.65536", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("256.1", &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_parse("6.256", &v), -EINVAL);
}

Test(kernel_version, release_strings_as_uname_prints_them)
{
	static const struct { const char *text; uint32_t v; } ok[] = {
		{ "6.1.0-57-amd64", V(6, 1, 0) },          /* Debian: the upstream level is elsewhere */
		{ "5.15.0-91-generic", V(5, 15, 0) },      /* Ubuntu: likewise */
		{ "6.8.9-300.fc40.x86_64", V(6, 8, 9) },   /* Fedora */
		{ "6.8.9-arch1-1", V(6, 8, 9) },           /* Arch */
		{ "6.18.0+", V(6, 18, 0) },                /* a local build with changes */
		{ "6.18.44-fc-v1252", V(6, 18, 44) },
		{ "6.19-rc3", V(6, 19, 0) },               /* a release candidate is its release */
		{ "6.19.0-rc3-00042-gdeadbeef", V(6, 19, 0) },
		{ "6.12.12+bpo-amd64", V(6, 12, 12) },
		{ "2.6.32.71", V(2, 6, 32) },              /* the 2.6 era's stable fourth number */
		{ "4.4.0_1", V(4, 4, 0) },
	};
	uint32_t v;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(ck_kernel_version_parse(ok[i].text, &v), 0, "%s", ok[i].text);
		cr_assert_eq(v, ok[i].v, "%s: %#x", ok[i].text, v);
	}
	static const char *const bad[] = { "6", "six.1", "6.x", "6.1.2.3", "6.300", "v6.1", "6.1 ",
					   "6.1.", "", "-6.1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ck_kernel_version_parse(bad[i], &v), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(ck_kernel_version_parse(NULL, &v), -EINVAL);
}

Test(kernel_version, the_upstream_release_a_distribution_kernel_carries)
{
	static const struct { const char *release, *version, *signature; uint32_t v; } cases[] = {
		/* Debian 12: only uname -v names the upstream release */
		{ "6.1.0-57-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-01-10)", NULL,
		  V(6, 1, 192) },
		{ "4.19.0-27-amd64", "#1 SMP Debian 4.19.325-1 (2025-01-02)", NULL, V(4, 19, 325) },
		{ "6.12.12+bpo-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.12-1~bpo12+1 (2025-02-23)",
		  NULL, V(6, 12, 12) },
		/* Ubuntu: /proc/version_signature's last field */
		{ "5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
		  "Ubuntu 5.15.0-91.101-generic 5.15.131", V(5, 15, 131) },
		{ "5.4.0-200-generic", "#220-Ubuntu SMP Fri Sep 27 13:19:16 UTC 2024",
		  "Ubuntu 5.4.0-200.220-generic 5.4.280", V(5, 4, 280) },
		/* Fedora, Arch and plain builds: uname -r already has it */
		{ "6.8.9-300.fc40.x86_64", "#1 SMP PREEMPT_DYNAMIC Thu May  2 18:44:19 UTC 2024", NULL,
		  V(6, 8, 9) },
		{ "6.18.0+", "#1 SMP PREEMPT_DYNAMIC @0", NULL, V(6, 18, 0) },
		{ "6.19.0-rc3", "#3 SMP PREEMPT_DYNAMIC Sun Jan  4 10:00:00 UTC 2026", NULL, V(6, 19, 0) },
		/* another branch's number, a compiler's, or a date is not this kernel's release */
		{ "6.1.0-57-amd64", "#1 SMP Debian 6.2.5 gcc 12.2.0 (2026-01-10)", NULL, V(6, 1, 0) },
		{ "6.1.0-57-amd64", NULL, "Ubuntu 6.2.0-1.1-generic 6.2.16", V(6, 1, 0) },
		{ "6.1.0-57-amd64", "#1 SMP 16.1.192", NULL, V(6, 1, 0) },
	};
	uint32_t v;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(ck_kernel_version_upstream(cases[i].release, cases[i].version,
							cases[i].signature, &v), 0, "#%zu", i);
		cr_assert_eq(v, cases[i].v, "#%zu %s: %#x", i, cases[i].release, v);
	}
	cr_assert_eq(ck_kernel_version_upstream("Linux", "#1 Debian 6.1.192-3", NULL, &v), -EINVAL);
	cr_assert_eq(ck_kernel_version_upstream(NULL, NULL, NULL, &v), -EINVAL);
}

Test(kernel_version, the_running_kernel_is_read_from_uname_and_the_signature)
{
	struct utsname u;
	char sig[256] = "";
	uint32_t want;
	cr_assert_eq(uname(&u), 0);
	FILE *f = fopen("/proc/version_signature", "re");
	if (f) {
		if (!fgets(sig, sizeof(sig), f))
			sig[0] = '\0';
		fclose(f);
	}
	cr_assert_eq(ck_kernel_version_upstream(u.release, u.version, f ? sig : NULL, &want), 0,
		     "uname -r '%s' does not parse", u.release);
	cr_assert_eq(ck_kernel_version_running(), want);
}

/* ---- rules that stable branches changed ---- */

static int judge_on(const char *kernel, enum ck_syscall sc, uint64_t flags, const char **rule)
{
	uint32_t kv;
	cr_assert_eq(ck_kernel_version_parse(kernel, &kv), 0, "%s", kernel);
	struct ck_context c = root(kv);
	return judge_full(sc, flags, 0, &c, rule);
}

Test(backports, clone3_takes_clone_newtime_from_6_3_and_its_stable_backports)
{
	static const struct { const char *kernel; int err; } cases[] = {
		{ "5.6", EINVAL },       { "5.10.174", EINVAL }, { "5.10.175", 0 }, { "5.10.240", 0 },
		{ "5.11.22", EINVAL },   { "5.14.21", EINVAL },  { "5.15.102", EINVAL },
		{ "5.15.103", 0 },       { "6.0.19", EINVAL },   { "6.1.0", EINVAL },
		{ "6.1.19", EINVAL },    { "6.1.20", 0 },        { "6.1.192", 0 }, { "6.2.6", EINVAL },
		{ "6.2.7", 0 },          { "6.3", 0 },           { "6.18.44", 0 },
	};
	const char *rule;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(judge_on(cases[i].kernel, CK_SYSCALL_CLONE3, CK_CLONE_NEWTIME, &rule),
			     cases[i].err, "clone3(CLONE_NEWTIME) on %s", cases[i].kernel);
		if (cases[i].err)
			cr_assert_str_eq(rule, "clone3-csignal-bits");
	}
	/* the other CSIGNAL bits stay refused everywhere */
	cr_assert_eq(judge_on("6.1.192", CK_SYSCALL_CLONE3, 0x11, NULL), EINVAL);
	/* Debian 12's kernel as it reports itself */
	uint32_t kv;
	cr_assert_eq(ck_kernel_version_upstream("6.1.0-57-amd64",
						"#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-01-10)",
						NULL, &kv), 0);
	struct ck_context debian = root(kv);
	cr_assert_eq(judge(CK_SYSCALL_CLONE3, CK_CLONE_NEWTIME, &debian), 0);
}

Test(backports, clone3_stack_checks_from_5_4_and_5_3_11)
{
	static const struct { const char *kernel; int err; } cases[] = {
		{ "5.3", 0 }, { "5.3.10", 0 }, { "5.3.11", EINVAL }, { "5.3.18", EINVAL },
		{ "5.4", EINVAL }, { "6.1.192", EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t kv;
		cr_assert_eq(ck_kernel_version_parse(cases[i].kernel, &kv), 0);
		struct ck_context c = root(kv);
		struct ck_clone_request req;
		ck_clone_request_init(&req, CK_SYSCALL_CLONE3, 0);
		req.args_size = CK_CLONE_ARGS_SIZE_VER0;
		req.stack_size = 4096; /* without a stack */
		struct ck_verdict *v = ck_validate(&req, &c);
		cr_assert_eq(ck_verdict_errno(v), cases[i].err, "%s", cases[i].kernel);
		if (cases[i].err)
			cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "stack-size-without-stack");
		ck_verdict_free(v);
	}
}

Test(backports, user_namespace_fixes_of_3_9_in_3_8_stable)
{
	const char *rule;
	/* CVE-2013-1858: CLONE_NEWUSER|CLONE_FS, refused from 3.8.3 */
	cr_assert_eq(judge_on("3.8.2", CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS | 17, NULL), 0);
	cr_assert_eq(judge_on("3.8.3", CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS | 17, &rule),
		     EINVAL);
	cr_assert_str_eq(rule, "newuser-with-fs");
	cr_assert_eq(judge_on("3.9", CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | CK_CLONE_FS | 17, NULL),
		     EINVAL);
	/* CVE-2013-1956: a user namespace from a chroot, refused from 3.8.6 */
	static const struct { const char *kernel; int err; } chroot_cases[] = {
		{ "3.8", 0 }, { "3.8.5", 0 }, { "3.8.6", EPERM }, { "3.9", EPERM }, { "6.1.192", EPERM },
	};
	for (size_t i = 0; i < sizeof(chroot_cases) / sizeof(chroot_cases[0]); i++) {
		uint32_t kv;
		cr_assert_eq(ck_kernel_version_parse(chroot_cases[i].kernel, &kv), 0);
		struct ck_context c = user(kv);
		c.chrooted = true;
		cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_NEWUSER | 17, &c), chroot_cases[i].err,
			     "%s", chroot_cases[i].kernel);
		cr_assert_eq(judge(CK_SYSCALL_UNSHARE, CK_CLONE_NEWUSER, &c), chroot_cases[i].err,
			     "unshare on %s", chroot_cases[i].kernel);
	}
}

Test(backports, changes_without_stable_backports_keep_their_mainline_boundary)
{
	uint64_t thread_pidfd = CK_CLONE_PIDFD | CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM;
	cr_assert_eq(judge_on("6.6.100", CK_SYSCALL_CLONE3, thread_pidfd, NULL), EINVAL);
	cr_assert_eq(judge_on("6.8.12", CK_SYSCALL_CLONE3, thread_pidfd, NULL), EINVAL);
	cr_assert_eq(judge_on("6.9", CK_SYSCALL_CLONE3, thread_pidfd, NULL), 0);
	struct ck_context tns = root(V(6, 1, 192));
	tns.timens_for_children_differs = true;
	cr_assert_eq(judge(CK_SYSCALL_CLONE, CK_CLONE_VM | CK_CLONE_VFORK | 17, &tns), EINVAL);
}

/* ---- CLONE_INTO_CGROUP: the kernel's checks on a described target ---- */

static struct ck_cgroup_target cg_ok(void)
{
	struct ck_cgroup_target t;
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.state = CK_CGROUP_FD_CGROUP2;
	t.procs_writable = t.ancestor_procs_writable = 1;
	t.outside_namespace = 0;
	t.same_domain = 1;
	return t;
}

/* The errno and first rule for clone3(flags | CLONE_INTO_CGROUP) into t, on 6.1.192. */
static int judge_cg(const struct ck_cgroup_target *t, uint64_t flags, const char **rule)
{
	struct ck_context c = user(V(6, 1, 192));
	struct ck_clone_request req;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, flags | CK_CLONE_INTO_CGROUP);
	req.cgroup = 3;
	req.cgroup_target = t;
	struct ck_verdict *v = ck_validate(&req, &c);
	cr_assert_not_null(v);
	int err = ck_verdict_errno(v);
	if (rule)
		*rule = err ? ck_verdict_at(v, 0)->rule : NULL;
	ck_verdict_free(v);
	return err;
}

Test(cgroup_rules, thread_capable_controllers_are_ebusy_once_a_domain_child_has_processes)
{
	struct ck_cgroup_target t = cg_ok();
	const char *rule;
	t.threaded_controllers = true; /* pids, cpu, cpuset, perf_event */
	cr_assert_eq(judge_cg(&t, 0, NULL), 0, "it can still become a thread root");
	t.populated_domain_child = true;
	cr_assert_eq(judge_cg(&t, 0, &rule), EBUSY);
	cr_assert_str_eq(rule, "cgroup-internal-process");
	/* a threaded target, or the root, takes processes all the same */
	t.threaded = true;
	t.same_domain = 0;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
	t.threaded = false;
	t.is_root = true;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
	/* a domain controller: EBUSY with or without a populated child */
	t = cg_ok();
	t.domain_controllers = true;
	cr_assert_eq(judge_cg(&t, 0, &rule), EBUSY);
	cr_assert_str_eq(rule, "cgroup-internal-process");
	t.is_root = true;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
	/* no controllers: children with processes do not matter */
	t = cg_ok();
	t.populated_domain_child = true;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
}

Test(cgroup_rules, the_common_ancestors_cgroup_procs_must_be_writable_too)
{
	struct ck_cgroup_target t = cg_ok();
	const char *rule;
	t.ancestor_procs_writable = 0;
	cr_assert_eq(judge_cg(&t, 0, &rule), EACCES);
	cr_assert_str_eq(rule, "cgroup-ancestor-not-writable");
	/* the target's own cgroup.procs comes first */
	t.procs_writable = 0;
	cr_assert_eq(judge_cg(&t, 0, &rule), EACCES);
	cr_assert_str_eq(rule, "cgroup-not-writable");
	/* unknown is not a prediction, and a note says what was not predicted */
	t = cg_ok();
	t.ancestor_procs_writable = -1;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
	struct ck_context c = user(V(6, 1, 192));
	struct ck_clone_request req;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, CK_CLONE_INTO_CGROUP);
	req.cgroup = 3;
	req.cgroup_target = &t;
	struct ck_verdict *v = ck_validate(&req, &c);
	bool noted = false;
	for (size_t i = 0; i < ck_verdict_count(v); i++)
		noted |= strcmp(ck_verdict_at(v, i)->rule, "into-cgroup-partly-probed") == 0;
	cr_assert(noted);
	ck_verdict_free(v);
}

Test(cgroup_rules, checks_come_in_the_kernels_order)
{
	struct ck_cgroup_target t = cg_ok();
	const char *rule;
	/* EACCES (ancestor) before ENOENT (nsdelegate) before EOPNOTSUPP before EBUSY */
	t.ancestor_procs_writable = 0;
	t.outside_namespace = 1;
	t.domain_invalid = true;
	t.domain_controllers = true;
	t.same_domain = 0;
	cr_assert_eq(judge_cg(&t, CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM, &rule), EACCES);
	t.ancestor_procs_writable = 1;
	cr_assert_eq(judge_cg(&t, 0, &rule), ENOENT);
	cr_assert_str_eq(rule, "cgroup-outside-namespace");
	t.outside_namespace = 0;
	cr_assert_eq(judge_cg(&t, 0, &rule), EOPNOTSUPP);
	cr_assert_str_eq(rule, "cgroup-domain-invalid");
	t.domain_invalid = false;
	cr_assert_eq(judge_cg(&t, 0, &rule), EBUSY);
	t.domain_controllers = false;
	cr_assert_eq(judge_cg(&t, 0, NULL), 0);
	cr_assert_eq(judge_cg(&t, CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM, &rule),
		     EOPNOTSUPP);
	cr_assert_str_eq(rule, "cgroup-thread-elsewhere");
	t.same_domain = 1;
	cr_assert_eq(judge_cg(&t, CK_CLONE_THREAD | CK_CLONE_SIGHAND | CK_CLONE_VM, NULL), 0);
}

Test(cgroup_rules, what_the_fd_is_comes_first)
{
	static const struct { enum ck_cgroup_fd_state state; int err; const char *rule; } cases[] = {
		{ CK_CGROUP_FD_CLOSED, EBADF, "cgroup-fd-bad" },
		{ CK_CGROUP_FD_NOT_CGROUP2, EBADF, "cgroup-fd-not-cgroup2" },
		{ CK_CGROUP_FD_REMOVED, ENOENT, "cgroup-removed" },
	};
	const char *rule;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_cgroup_target t = cg_ok();
		t.state = cases[i].state;
		t.procs_writable = 0;
		cr_assert_eq(judge_cg(&t, 0, &rule), cases[i].err);
		cr_assert_str_eq(rule, cases[i].rule);
	}
}

Test(cgroup_rules, a_description_is_checked_and_its_absence_noted)
{
	struct ck_context c = user(V(6, 18, 0));
	struct ck_clone_request req;
	unsigned char bigger[sizeof(struct ck_cgroup_target) + 8];
	struct ck_cgroup_target t = cg_ok();

	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, CK_CLONE_INTO_CGROUP);
	req.cgroup = 3;
	/* not live, not described: a note, no prediction */
	cr_assert(has_rule(CK_SYSCALL_CLONE3, CK_CLONE_INTO_CGROUP, &c, "into-cgroup-not-probed"));
	req.cgroup_target = &t;
	t.size = sizeof(t) - 1;
	errno = 0;
	cr_assert_null(ck_validate(&req, &c));
	cr_assert_eq(errno, EINVAL);
	/* a newer caller's larger description: accepted while its tail is zero */
	memset(bigger, 0, sizeof(bigger));
	t.size = sizeof(bigger);
	memcpy(bigger, &t, sizeof(t));
	req.cgroup_target = (const struct ck_cgroup_target *)bigger;
	struct ck_verdict *v = ck_validate(&req, &c);
	cr_assert_not_null(v);
	cr_assert_eq(ck_verdict_errno(v), 0);
	ck_verdict_free(v);
	bigger[sizeof(t) + 3] = 1;
	cr_assert_null(ck_validate(&req, &c));
	/* the cgroup field unread (size 64): no target is looked at */
	req.cgroup_target = NULL;
	req.args_size = CK_CLONE_ARGS_SIZE_VER0;
	v = ck_validate(&req, &c);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	cr_assert_str_eq(ck_verdict_at(v, 0)->rule, "cgroup-fd-invalid");
	ck_verdict_free(v);
}

/* Size-first structs, one rule: an older caller's struct gets (and gives) the fields that fit; a newer one's unknown tail must be zero. */
Test(validate, an_older_callers_context_is_written_only_as_far_as_its_size)
{
	unsigned char buf[sizeof(struct ck_context) + 16];
	struct ck_context *c = (struct ck_context *)buf;
	size_t older = offsetof(struct ck_context, live);

	memset(buf, 0xa5, sizeof(buf));
	c->size = older;
	cr_assert_eq(ck_context_current(c), 0);
	cr_assert_eq(c->size, older, "the caller's size is kept");
	cr_assert_eq(c->kernel, ck_kernel_version_running());
	for (size_t i = older; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0xa5, "byte %zu past the caller's struct was written", i);

	/* a newer caller's larger struct: the bytes past ours are zeroed, up to its size */
	memset(buf, 0xa5, sizeof(buf));
	c->size = sizeof(struct ck_context) + 8;
	cr_assert_eq(ck_context_current(c), 0);
	for (size_t i = sizeof(struct ck_context); i < sizeof(struct ck_context) + 8; i++)
		cr_assert_eq(buf[i], 0, "byte %zu of the newer caller's struct", i);
	cr_assert_eq(buf[sizeof(struct ck_context) + 8], 0xa5);

	c->size = older - 1;
	cr_assert_eq(ck_context_current(c), -EINVAL);
}

Test(validate, a_context_or_request_with_unknown_nonzero_fields_is_refused)
{
	unsigned char cbuf[sizeof(struct ck_context) + 8] = { 0 }, rbuf[sizeof(struct ck_clone_request) + 8] = { 0 };
	struct ck_context *c = (struct ck_context *)cbuf;
	struct ck_clone_request *req = (struct ck_clone_request *)rbuf;
	struct ck_verdict *v;

	*c = root(V(6, 18, 0));
	ck_clone_request_init(req, CK_SYSCALL_CLONE, CK_CLONE_SIGHAND);
	c->size = sizeof(cbuf);
	req->size = sizeof(rbuf);
	/* zero tails: accepted, the same verdict as without them */
	v = ck_validate(req, c);
	cr_assert_not_null(v);
	cr_assert_eq(ck_verdict_errno(v), EINVAL);
	ck_verdict_free(v);
	cbuf[sizeof(struct ck_context) + 3] = 1;
	errno = 0;
	cr_assert_null(ck_validate(req, c));
	cr_assert_eq(errno, EINVAL);
	cbuf[sizeof(struct ck_context) + 3] = 0;
	rbuf[sizeof(struct ck_clone_request) + 7] = 1;
	errno = 0;
	cr_assert_null(ck_validate(req, c));
	cr_assert_eq(errno, EINVAL);

	/*
	 * An older caller's context ends before live: the model must not read
	 * live past its end (true there), or it would probe the fd (a
	 * directory that is no cgroup: EBADF).
	 */
	int fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ck_clone_request_init(req, CK_SYSCALL_CLONE3, CK_CLONE_INTO_CGROUP);
	req->cgroup = (uint64_t)fd;
	c->live = true;
	v = ck_validate(req, c);
	cr_assert_not_null(v);
	cr_assert_eq(ck_verdict_errno(v), EBADF, "a live context probes the fd");
	ck_verdict_free(v);
	c->size = offsetof(struct ck_context, live);
	v = ck_validate(req, c);
	cr_assert_not_null(v);
	cr_assert_eq(ck_verdict_errno(v), 0, "live lies past this caller's context");
	ck_verdict_free(v);
	close(fd);
}
