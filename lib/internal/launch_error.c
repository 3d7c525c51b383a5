/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a failed launch says: the step, its errno, and one sentence naming
 * the input at fault and, where clonekit knows it, the fix. A clone3
 * failure is explained by the validator's rule for this caller; execve by
 * what the child found (the interpreter a script or program names); the
 * parent's map writes by the capability they lack.
 */
#include <clonekit/flags.h>
#include <clonekit/spawn.h>
#include <clonekit/validate.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal/live.h"
#include "internal/spawn.h"
#include "internal/util.h"
#include "sandbox/mount.h"
#include "sandbox/proc.h"

static const char *const step_names[CK__STEP__COUNT] = {
	[CK__STEP_NONE] = "none",
	[CK__STEP_PDEATHSIG] = "die-with-parent (PR_SET_PDEATHSIG)",
	[CK__STEP_PARENT_GONE] = "die-with-parent (the parent had already exited)",
	[CK__STEP_WAIT_MAPS] = "wait for the id maps",
	[CK__STEP_SIGNALS] = "reset signal handlers",
	[CK__STEP_HOSTNAME] = "sethostname",
	[CK__STEP_MOUNTS_PRIVATE] = "make mounts private",
	[CK__STEP_MOUNT_PROC] = "mount /proc",
	[CK__STEP_UNSHARE_TIME] = "unshare the time namespace",
	[CK__STEP_TIMENS_OFFSETS] = "write timens_offsets",
	[CK__STEP_MOUNTS] = "mounts",
	[CK__STEP_CHDIR] = "chdir",
	[CK__STEP_FDS] = "map file descriptors",
	[CK__STEP_SIGMASK] = "restore the signal mask",
	[CK__STEP_USER] = "set the user",
	/* process state (sbx-proc) */
	[CK__STEP_SETSID] = "setsid",
	[CK__STEP_INIT] = "start the init (PID 1)",
	[CK__STEP_NETNS] = "network namespace",
	[CK__STEP_LOOPBACK] = "bring up loopback",
	[CK__STEP_DISABLE_USERNS] = "disable user namespaces",
	[CK__STEP_ASSERT_USERNS] = "assert user namespaces disabled",
	[CK__STEP_RLIMIT] = "rlimit",
	[CK__STEP_CAPS] = "capabilities",
	[CK__STEP_NO_NEW_PRIVS] = "no_new_privs",
	[CK__STEP_HOOK] = "pre-exec hook",
	[CK__STEP_BLOCK_FD] = "read the block fd",
	[CK__STEP_SECCOMP] = "seccomp filter",
	[CK__STEP_LISTENER] = "seccomp listener",
	[CK__STEP_SEND_LISTENER] = "hand over the seccomp listener",
	[CK__STEP_HOLD] = "wait for the release",
	[CK__STEP_EXECVE] = "execve",
	[CK__STEP_CLONE] = "clone3",
	[CK__STEP_SETGROUPS] = "setgroups",
	[CK__STEP_UID_MAP] = "uid_map",
	[CK__STEP_GID_MAP] = "gid_map",
	[CK__STEP_RESUME] = "resume the child",
	[CK__STEP_INFO_FD] = "write the info fd",
	[CK__STEP_JSON_STATUS_FD] = "write the json-status fd",
	[CK__STEP_REPORT] = "read the child's report",
	[CK__STEP_RELEASE] = "release the child",
	[CK__STEP_TRACER] = "start the tracer",
	[CK__STEP_SEIZE] = "ptrace seize",
	[CK__STEP_WAIT_EXEC] = "wait for the command",
	[CK__STEP_ATTRIBUTES] = "attributes",
	[CK__STEP_ARGUMENTS] = "arguments",
	[CK__STEP_PREPARE] = "prepare",
	[CK__STEP_ID_HELPER] = "newuidmap/newgidmap",
	/* the init's own copy of the caller's seccomp filters (sbx-fix) */
	[CK__STEP_INIT_SECCOMP] = "seccomp filter in the init (PID 1)",
	[CK__STEP_CGROUP] = "cgroup limits",
	[CK__STEP_CGROUP_JOIN] = "join cgroup",
};

const char *ck__step_name(enum ck__step step)
{
	return (unsigned)step < CK__STEP__COUNT && step_names[step] ? step_names[step] : "?";
}

struct text {
	char *buf;
	size_t len, pos;
};

static void say(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = t->pos < t->len ? t->len - t->pos : 0;
	int n = vsnprintf(room ? t->buf + t->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->pos += (size_t)n;
}

/* "execve NAME" and, when PATH search found it elsewhere, the file it found. */
static void say_file(struct text *t, const struct ck__failure *f)
{
	const struct ck__report *r = f->report;
	say(t, "execve %s", f->file);
	if (r && r->path[0] && strcmp(r->path, f->file) != 0)
		say(t, " (%s)", r->path);
}

static void explain_execve(struct text *t, const struct ck__failure *f)
{
	const struct ck__report *r = f->report;
	int cause = r ? r->cause : CK__EXEC_PLAIN;

	switch (cause) {
	case CK__EXEC_EMPTY_NAME:
		say(t, "execve: the command name is empty: %s", strerror(f->err));
		return;
	case CK__EXEC_INTERP_MISSING:
		say_file(t, f);
		say(t, ": its interpreter %s (the #! line) does not exist", r->interp);
		return;
	case CK__EXEC_INTERP_DENIED:
		say_file(t, f);
		say(t, ": its interpreter %s (the #! line) is not an executable file", r->interp);
		return;
	case CK__EXEC_ELF_INTERP_MISSING:
		say_file(t, f);
		say(t, ": its program interpreter %s (the dynamic loader it was linked for) does not exist",
		    r->interp);
		return;
	case CK__EXEC_DIRECTORY:
		say_file(t, f);
		say(t, ": %s: it is a directory", strerror(f->err));
		return;
	case CK__EXEC_NO_PERMISSION:
		say_file(t, f);
		say(t, ": %s: the file has no execute permission", strerror(f->err));
		return;
	case CK__EXEC_NOEXEC_MOUNT:
		say_file(t, f);
		say(t, ": %s: its file system is mounted noexec", strerror(f->err));
		return;
	case CK__EXEC_FORMAT:
		say_file(t, f);
		say(t, ": %s: neither a program for this machine nor a script starting with #!",
		    strerror(f->err));
		return;
	default:
		say_file(t, f);
		say(t, ": %s", strerror(f->err));
	}
}

/* The validator's first refusal of what clone3 was given, if it is the errno seen. */
static const struct ck_finding *clone_finding(const struct ck__failure *f, struct ck_verdict **v)
{
	const struct ck_clone_args *a = f->args;
	struct ck_clone_request req;

	*v = NULL;
	if (!a)
		return NULL;
	ck_clone_request_init(&req, CK_SYSCALL_CLONE3, a->flags);
	req.exit_signal = a->exit_signal;
	req.stack = a->stack;
	req.stack_size = a->stack_size;
	req.pidfd = a->pidfd;
	req.cgroup = a->cgroup;
	req.args_size = sizeof(*a);
	*v = ck_validate(&req, NULL);
	if (!*v || ck_verdict_count(*v) == 0)
		return NULL;
	const struct ck_finding *fi = ck_verdict_at(*v, 0);
	return fi->severity == CK_SEVERITY_ERROR && fi->err == f->err ? fi : NULL;
}

static const char *explain_clone(struct text *t, const struct ck__failure *f)
{
	struct ck_verdict *v;
	const struct ck_finding *fi = clone_finding(f, &v);
	const char *cgroup = f->attr ? f->attr->cgroup_path : NULL;
	const char *out = NULL;

	if (!fi) {
		say(t, "clone3: %s", strerror(f->err));
	} else if (cgroup && (fi->flags & CK_CLONE_INTO_CGROUP)) {
		char mnt[256];
		say(t, "clone3 into cgroup %s: %s", cgroup, fi->message);
		if (strcmp(fi->rule, "cgroup-fd-not-cgroup2") == 0 &&
		    ck__cgroup2_mount(mnt, sizeof(mnt)) == 0)
			say(t, "; cgroup v2 is mounted at %s: give a directory under it", mnt);
	} else {
		say(t, "clone3: %s", fi->message);
	}
	if (fi)
		out = fi->rule; /* a literal of the validator's rule table: it outlives v */
	ck_verdict_free(v);
	return out;
}

static void say_map(struct text *t, const struct ck_spawn_attr *a, bool uid)
{
	const struct ck__idmap *m = uid ? a->uid : a->gid;
	size_t n = uid ? a->nuid : a->ngid;
	if (a->map_self) {
		say(t, "%u %u 1", (unsigned)ck__self_inside(a, uid), (unsigned)(uid ? geteuid() : getegid()));
		return;
	}
	for (size_t i = 0; i < n; i++)
		say(t, "%s%u %u %u", i ? ", " : "", m[i].inside, m[i].outside, m[i].count);
}

static void explain_map(struct text *t, const struct ck__failure *f, bool uid)
{
	say(t, "%s: writing ", uid ? "uid_map" : "gid_map");
	say_map(t, f->attr, uid);
	if (f->err == EPERM)
		say(t, ": %s: mapping ids other than the caller's own needs %s over the new user namespace; without it map only your own %s (map-root or map-user)",
		    strerror(f->err), uid ? "CAP_SETUID" : "CAP_SETGID", uid ? "uid" : "gid");
	else
		say(t, ": %s", strerror(f->err));
}

/* A path of the mount step as the caller knows it: in the new root, or on the host. */
static void say_mount_path(struct text *t, const char *path)
{
	static const struct {
		const char *prefix, *where;
	} roots[] = { { "/newroot", "" }, { "/oldroot", " on the host" } };
	for (size_t i = 0; i < CK_ARRAY_SIZE(roots); i++) {
		size_t n = strlen(roots[i].prefix);
		if (strncmp(path, roots[i].prefix, n) == 0 && (path[n] == '/' || !path[n])) {
			say(t, "%s%s", path[n] ? path + n : "/", roots[i].where);
			return;
		}
	}
	say(t, "%s", path);
}

/* "mounts: ro-bind /usr on /usr: open_tree /usr: Operation not permitted" */
static void explain_mounts(struct text *t, const struct ck__failure *f)
{
	const struct ck_spawn_attr *a = f->attr;
	const struct ck__report *r = f->report;
	char op[PATH_MAX + 64];

	say(t, "mounts: ");
	if (r && a && r->arg >= 0 && (size_t)r->arg < a->nmounts) {
		ck__mount_op_describe(&a->mounts[r->arg], op, sizeof(op));
		say(t, "%s: ", op);
	} else if (r && a && r->arg >= 0) {
		say(t, "proc /proc (mount-proc): ");
	} else {
		say(t, "the new root: ");
	}
	if (r) {
		say(t, "%s ", ck__mount_act_name(r->cause));
		say_mount_path(t, r->path);
	}
	say(t, ": %s", strerror(f->err));
	if (r && r->cause == CK__MACT_SETATTR && f->err == EINVAL && a && r->arg >= 0 &&
	    (size_t)r->arg < a->nmounts && a->mounts[r->arg].type == CK_MOUNT_REMOUNT_RO)
		say(t, " (it is not a mount point)");
}

static void explain(struct text *t, const struct ck__failure *f, const char **rule)
{
	const struct ck_spawn_attr *a = f->attr;
	const struct ck__report *r = f->report;
	const char *name = ck__step_name(f->step);

	*rule = NULL;
	if (f->why) {
		say(t, "%s", f->why);
		return;
	}
	switch (f->step) {
	case CK__STEP_EXECVE:
		explain_execve(t, f);
		return;
	case CK__STEP_CLONE:
		*rule = explain_clone(t, f);
		return;
	case CK__STEP_MOUNTS:
		explain_mounts(t, f);
		return;
	case CK__STEP_CHDIR:
		say(t, "chdir %s: %s", a && a->cwd ? a->cwd : "?", strerror(f->err));
		return;
	case CK__STEP_HOSTNAME:
		say(t, "sethostname %s: %s", a ? a->hostname : "?", strerror(f->err));
		return;
	case CK__STEP_FDS:
		if (a && a->nfds && r && r->arg >= 0 && (size_t)r->arg < a->nfds) {
			const struct ck__fdmap *m = &a->fds[r->arg];
			say(t, "map fd %d to %d: %s", m->from, m->to, strerror(f->err));
			if (f->err == EBADF)
				say(t, ": fd %d is not open in the caller", m->from);
			return;
		}
		break;
	case CK__STEP_SIGNALS:
		if (r && r->arg > 0) {
			char sig[16];
			say(t, "reset the handler of %s to SIG_DFL: %s",
			    ck_signal_name((unsigned)r->arg, sig, sizeof(sig)), strerror(f->err));
			return;
		}
		break;
	case CK__STEP_UID_MAP:
	case CK__STEP_GID_MAP:
		if (a) {
			explain_map(t, f, f->step == CK__STEP_UID_MAP);
			return;
		}
		break;
	case CK__STEP_SETGROUPS:
		if (f->err == EACCES && prctl(PR_GET_DUMPABLE) == 0) {
			say(t, "setgroups: /proc/%d/setgroups: %s: this process is not dumpable (it changed ids), so /proc/PID of its children belongs to root",
			    (int)f->pid, strerror(f->err));
			return;
		}
		break;
	/* process state (sbx-proc) */
	case CK__STEP_RLIMIT:
		if (r && r->arg >= 0) {
			const char *res = ck_rlimit_name(r->arg);
			say(t, "setrlimit RLIMIT_%s: %s", res ? res : "?", strerror(f->err));
			if (f->err == EPERM)
				say(t, ": raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace");
			return;
		}
		break;
	case CK__STEP_CAPS:
		if (f->err == EPERM) {
			say(t, "capabilities: %s: the child cannot keep a capability it does not hold (in a new user namespace it holds all of them)",
			    strerror(f->err));
			return;
		}
		break;
	case CK__STEP_ASSERT_USERNS:
		if (f->err == EEXIST) {
			say(t, "creation of new user namespaces was not disabled as requested: the child could still create one");
			return;
		}
		break;
	case CK__STEP_DISABLE_USERNS:
		say(t, "disable user namespaces (user.max_user_namespaces = 1, then a nested user namespace): %s",
		    strerror(f->err));
		return;
	case CK__STEP_NETNS:
		if (f->err == ENOSPC) {
			say(t, "unshare CLONE_NEWNET: %s: the user's network namespaces reached user.max_net_namespaces (here or in an enclosing user namespace)",
			    strerror(f->err));
			return;
		}
		say(t, "a new network namespace (unshare CLONE_NEWNET, or setns to the one made beside the child): %s",
		    strerror(f->err));
		return;
	case CK__STEP_LOOPBACK:
		say(t, "bring up loopback (rtnetlink, lo): %s", strerror(f->err));
		return;
	case CK__STEP_HOLD:
		if (f->err == EPIPE) {
			say(t, "%s: the parent went away before releasing the child", name);
			return;
		}
		break;
	default:
		break;
	}
	say(t, "%s: %s", name, strerror(f->err));
}

/* Whether err's caller-given size holds the field that ends at end. */
#define FITS(err, field) \
	((err)->size >= offsetof(struct ck_spawn_error, field) + sizeof((err)->field))

void ck__spawn_error_set(struct ck_spawn_error *err, const struct ck__failure *f)
{
	char buf[sizeof(err->message)];
	struct text t = { buf, sizeof(buf), 0 };
	const char *rule;

	if (!err)
		return;
	buf[0] = '\0';
	explain(&t, f, &rule);
	if (FITS(err, step))
		err->step = ck__step_name(f->step);
	if (FITS(err, err))
		err->err = f->err;
	if (FITS(err, in_child))
		err->in_child = f->step > CK__STEP_NONE && f->step < CK__STEP_CLONE &&
				!(f->step == CK__STEP_MOUNTS && f->report &&
				  f->report->cause == CK__MACT_RESOLVE); /* resolved by the caller */
	/* an older, smaller message buffer gets the sentence's beginning */
	if (err->size > offsetof(struct ck_spawn_error, message)) {
		size_t room = err->size - offsetof(struct ck_spawn_error, message);
		if (room > sizeof(err->message))
			room = sizeof(err->message);
		snprintf(err->message, room, "%s", buf);
	}
	if (FITS(err, rule))
		err->rule = rule;
}
