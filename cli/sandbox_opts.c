/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sandbox options, one table for every front end: `clonekit bwrap` and
 * a clonekit called "bwrap" read them with bubblewrap 0.8's names, ordering
 * rules (--perms and --size apply to the next operation), messages and exit
 * status (1); `clonekit run` and `clonekit trace` read the same options with
 * clonekit's names. Parsing only records what was asked (struct sbx);
 * cli/sandbox_apply.c turns it into a ck_spawn attribute set.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../lib/internal/util.h"

/* bubblewrap's limits: parse_args_recurse's MAX_ARGS and MAX_TMPFS_BYTES */
#define SBX_MAX_ARGS 9000u
#define SBX_MAX_TMPFS_BYTES ((uint64_t)(SIZE_MAX >> 1))

enum sbx_kind {
	K_FLAG,      /* sets a bool */
	K_FD,        /* an fd in an int; given twice: "Only the last ... will take effect" */
	K_OP,        /* one operation of the mount list */
	K_CALL,      /* its own function */
};

/* Operations that take --perms, and --size. */
#define F_PERMS 0x1u
#define F_SIZE 0x2u
#define F_TRY 0x4u      /* the -try form of a bind */
#define F_FD_SRC 0x8u   /* the first argument is an fd */
#define F_MODIFIER 0x10u /* --perms, --size: do not end the pending modifier */

struct sbx_opt;
typedef int (*sbx_call)(struct sbx *s, const struct sbx_opt *o, char **args);

struct sbx_opt {
	const char *bwrap;       /* bubblewrap's name; NULL: clonekit's only */
	const char *own;         /* clonekit run/trace's name; NULL: bwrap's only */
	unsigned char nargs;
	unsigned char kind;      /* enum sbx_kind */
	unsigned char flags;     /* F_* */
	int op;                  /* K_OP: enum sbx_op_type */
	size_t field;            /* K_FLAG, K_FD: offsetof(struct sbx, ...) */
	sbx_call call;           /* K_CALL */
	const char *too_few;     /* bwrap's message when arguments are missing, NULL: "%s takes an argument" */
	const char *metavar;     /* for --help */
	const char *help;
};

static int fail(struct sbx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *read_all(int fd, size_t *len);

/* bwrap's die(): "bwrap: message"; clonekit's usage error otherwise. Returns -1. */
static int fail(struct sbx *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->dialect == SBX_BWRAP)
		fprintf(stderr, "bwrap: %s\n", msg);
	else
		cli_usage_error(s->cmd, "%s", msg);
	return -1;
}

static void warn(const struct sbx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(const struct sbx *s, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, s->dialect == SBX_BWRAP ? "bwrap: " : "clonekit %s: ", s->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The option's name as the user typed it. */
static const char *name_of(const struct sbx *s, const struct sbx_opt *o)
{
	return s->dialect == SBX_BWRAP ? o->bwrap : o->own;
}

/* bwrap's fd syntax: strtol in base 10, the whole word, not negative. */
static int parse_fd(struct sbx *s, const char *text, int *fd)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || v < 0 || v > INT_MAX || errno)
		return fail(s, "Invalid fd: %s", text);
	*fd = (int)v;
	return 0;
}

static int add_op(struct sbx *s, const struct sbx_opt *o, const char *source, const char *dest, int fd)
{
	struct sbx_op *grown = realloc(s->ops, (s->nops + 1) * sizeof(*s->ops));
	if (!grown)
		return fail(s, "%s", strerror(ENOMEM));
	s->ops = grown;
	struct sbx_op *op = &s->ops[s->nops++];
	memset(op, 0, sizeof(*op));
	op->type = (enum sbx_op_type)o->op;
	op->option = name_of(s, o);
	op->source = source;
	op->dest = dest;
	op->fd = fd;
	op->try_ = o->flags & F_TRY;
	op->perms = -1;
	if (o->flags & F_PERMS) {
		op->perms = s->next_perms;
		s->next_perms = -1;
	}
	if (o->flags & F_SIZE) {
		op->size = s->next_size;
		s->next_size = 0;
	}
	return 0;
}

static int do_op(struct sbx *s, const struct sbx_opt *o, char **args)
{
	int fd = -1;
	if ((o->flags & F_FD_SRC) && parse_fd(s, args[0], &fd) < 0)
		return -1;
	if (o->nargs == 2)
		return add_op(s, o, (o->flags & F_FD_SRC) ? NULL : args[0], args[1], fd);
	return add_op(s, o, NULL, args[0], -1);
}

static int do_unshare_all(struct sbx *s, const struct sbx_opt *o, char **args)
{
	/* as bwrap: the -try forms of user and cgroup, for kernels without them */
	s->unshare_user_try = s->unshare_ipc = s->unshare_pid = s->unshare_uts = s->unshare_cgroup_try =
		s->unshare_net = true;
	return 0;
}

static int do_share_net(struct sbx *s, const struct sbx_opt *o, char **args)
{
	s->unshare_net = false;
	return 0;
}

static int do_string_once(struct sbx *s, const struct sbx_opt *o, const char **slot, const char *v)
{
	if (*slot)
		warn(s, "Only the last %s option will take effect", name_of(s, o));
	*slot = v;
	return 0;
}

static int do_chdir(struct sbx *s, const struct sbx_opt *o, char **args)
{
	return do_string_once(s, o, &s->chdir, args[0]);
}

static int do_hostname(struct sbx *s, const struct sbx_opt *o, char **args)
{
	return do_string_once(s, o, &s->hostname, args[0]);
}

static int do_label(struct sbx *s, const struct sbx_opt *o, char **args)
{
	/* bwrap without SELinux enabled, as on this Debian: labels cannot be applied */
	do_string_once(s, o, strcmp(o->bwrap, "--exec-label") == 0 ? &s->exec_label : &s->file_label, args[0]);
	return fail(s, "labeling not supported on this system");
}

static int do_id(struct sbx *s, const struct sbx_opt *o, char **args)
{
	bool uid = strcmp(o->bwrap, "--uid") == 0;
	long *slot = uid ? &s->uid : &s->gid;
	char *end;
	long v;

	if (*slot != -1)
		warn(s, "Only the last %s option will take effect", name_of(s, o));
	errno = 0;
	v = strtol(args[0], &end, 10);
	if (args[0][0] == '\0' || *end != '\0' || v < 0 || v > INT_MAX || errno)
		return fail(s, "Invalid %s: %s", uid ? "uid" : "gid", args[0]);
	*slot = v;
	return 0;
}

static int do_env(struct sbx *s, const struct sbx_opt *o, char **args)
{
	struct sbx_env *grown = realloc(s->env, (s->nenv + 1) * sizeof(*s->env));
	if (!grown)
		return fail(s, "%s", strerror(ENOMEM));
	s->env = grown;
	struct sbx_env *e = &s->env[s->nenv++];
	e->name = o->nargs ? args[0] : NULL;          /* NULL: clear */
	e->value = o->nargs == 2 ? args[1] : NULL;    /* NULL with a name: unset */
	return 0;
}

static int do_lock_file(struct sbx *s, const struct sbx_opt *o, char **args)
{
	const char **grown = realloc(s->lock_files, (s->nlock_files + 1) * sizeof(*s->lock_files));
	if (!grown)
		return fail(s, "%s", strerror(ENOMEM));
	s->lock_files = grown;
	s->lock_files[s->nlock_files++] = args[0];
	return 0;
}

static int do_seccomp(struct sbx *s, const struct sbx_opt *o, char **args)
{
	int fd;
	if (s->nprogs > 0)
		return fail(s, "%s cannot be combined with %s", name_of(s, o),
			    s->dialect == SBX_BWRAP ? "--add-seccomp-fd" : "--add-seccomp-fd");
	if (s->seccomp_fd != -1)
		warn(s, "Only the last %s option will take effect", name_of(s, o));
	if (parse_fd(s, args[0], &fd) < 0)
		return -1;
	s->seccomp_fd = fd;
	return 0;
}

static int do_add_seccomp(struct sbx *s, const struct sbx_opt *o, char **args)
{
	int fd;
	if (s->seccomp_fd != -1)
		return fail(s, "%s cannot be combined with %s", name_of(s, o),
			    s->dialect == SBX_BWRAP ? "--seccomp" : "--seccomp-fd");
	if (parse_fd(s, args[0], &fd) < 0)
		return -1;
	if (s->nprogs >= SBX_MAX_SECCOMP)
		return fail(s, "%s: at most %d programs", name_of(s, o), SBX_MAX_SECCOMP);
	if (sbx_read_bpf(s, fd, &s->progs[s->nprogs]) < 0)
		return -1;
	s->nprogs++;
	return 0;
}

static int do_cap(struct sbx *s, const struct sbx_opt *o, char **args)
{
	bool add = strcmp(o->bwrap, "--cap-add") == 0;
	s->caps_used = true;
	if (strcasecmp(args[0], "ALL") == 0) {
		s->caps = add ? UINT64_MAX : 0;
		return 0;
	}
	int cap = sbx_cap_from_name(args[0]);
	if (cap < 0)
		return fail(s, "unknown cap: %s", args[0]);
	if (add)
		s->caps |= UINT64_C(1) << cap;
	else
		s->caps &= ~(UINT64_C(1) << cap);
	return 0;
}

/* strtoul in base 8 of the whole word, at most 07777: bwrap's --perms and --chmod. */
static bool parse_octal(const char *text, int *out)
{
	char *end = NULL;
	unsigned long v = strtoul(text, &end, 8);
	if (text[0] == '\0' || !end || *end != '\0' || v > 07777)
		return false;
	*out = (int)v;
	return true;
}

static int do_perms(struct sbx *s, const struct sbx_opt *o, char **args)
{
	int perms;
	if (s->next_perms != -1)
		return fail(s, "%s given twice for the same action", name_of(s, o));
	if (!parse_octal(args[0], &perms))
		return fail(s, "%s takes an octal argument <= 07777", name_of(s, o));
	s->next_perms = perms;
	return 0;
}

static int do_size(struct sbx *s, const struct sbx_opt *o, char **args)
{
	char *end = NULL;
	unsigned long long v;
	if (s->next_size != 0)
		return fail(s, "%s given twice for the same action", name_of(s, o));
	errno = 0;
	v = strtoull(args[0], &end, 0);
	/* a digit first: no sign, no space */
	if (errno || !(args[0][0] >= '0' && args[0][0] <= '9') || !end || *end != '\0' || v == 0)
		return fail(s, "%s takes a non-zero number of bytes", name_of(s, o));
	if (v > SBX_MAX_TMPFS_BYTES)
		return fail(s, "%s (for tmpfs) is limited to %llu", name_of(s, o),
			    (unsigned long long)SBX_MAX_TMPFS_BYTES);
	s->next_size = v;
	return 0;
}

static int do_chmod(struct sbx *s, const struct sbx_opt *o, char **args)
{
	int perms;
	if (!parse_octal(args[0], &perms))
		return fail(s, "%s takes an octal argument <= 07777", name_of(s, o));
	if (add_op(s, o, NULL, args[1], -1) < 0)
		return -1;
	s->ops[s->nops - 1].type = SBX_CHMOD; /* a K_CALL entry carries no operation type */
	s->ops[s->nops - 1].perms = perms;
	return 0;
}

/* ---- cgroup limits and seccomp from outside: clonekit run's and trace's own (sbx-res2) ---- */

/* "max" (0: no limit), or a positive decimal with, for bytes, K, M, G or T (powers of 1024). */
static bool parse_amount(const char *text, bool bytes, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned shift = 0;
	char *end;

	if (strcmp(text, "max") == 0) {
		*out = 0;
		return true;
	}
	if (!(text[0] >= '0' && text[0] <= '9'))
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno)
		return false;
	if (bytes && *end && strchr(units, toupper((unsigned char)*end))) {
		shift = 10 * (unsigned)(strchr(units, toupper((unsigned char)*end)) - units + 1);
		end++;
	}
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

/* Whether the library takes this cpu.max (its range, said once, in ck_spawn_attr_set_cgroup_limits). */
static bool cpu_max_valid(uint64_t quota, uint64_t period)
{
	struct ck_cgroup_limits l = { .size = sizeof(l), .cpu_quota_us = quota, .cpu_period_us = period };
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	bool ok = a && ck_spawn_attr_set_cgroup_limits(a, &l) == 0;
	ck_spawn_attr_free(a);
	return ok;
}

static int do_limit(struct sbx *s, const struct sbx_opt *o, char **args)
{
	const char *name = name_of(s, o), *arg = args[0];
	uint64_t v, period = 0;

	s->limits.size = sizeof(s->limits);
	s->limits_used = true;
	if (strcmp(name, "--cpu-max") == 0) {
		char quota[32];
		const char *slash = strchr(arg, '/');
		size_t qlen = slash ? (size_t)(slash - arg) : strlen(arg);
		bool ok = qlen < sizeof(quota);
		if (ok) {
			memcpy(quota, arg, qlen);
			quota[qlen] = '\0';
			ok = parse_amount(quota, false, &v) && (!slash || (v && parse_amount(slash + 1, false, &period) && period));
		}
		if (ok && v && !cpu_max_valid(v, period))
			return fail(s, "%s '%s': the quota must be at least 1000 us and the period 1000 to 1000000 us", name, arg);
		if (!ok)
			return fail(s, "%s '%s': expected QUOTA[/PERIOD] in microseconds (cgroup cpu.max; period 100000 by default), or max",
				    name, arg);
		s->limits.cpu_quota_us = v;
		s->limits.cpu_period_us = period;
		return 0;
	}
	bool bytes = strcmp(name, "--pids-max") != 0, swap = strcmp(name, "--memory-swap-max") == 0;
	if (swap) {
		/* 0: no swap (as without the option); max: no limit of its own */
		s->swap_given = true;
		if (strcmp(arg, "0") == 0 || strcmp(arg, "max") == 0) {
			s->limits.memory_swap_max = arg[0] == '0' ? 0 : CK_CGROUP_UNLIMITED;
			return 0;
		}
	}
	if (swap && !parse_amount(arg, true, &v))
		return fail(s, "%s '%s': expected a number of bytes (suffixes K, M, G, T: powers of 1024), 0 for no swap, or max",
			    name, arg);
	if (!parse_amount(arg, bytes, &v))
		return fail(s, bytes ? "%s '%s': expected a positive number of bytes (suffixes K, M, G, T: powers of 1024), or max"
				     : "%s '%s': expected a positive number of tasks, or max", name, arg);
	if (strcmp(name, "--memory-max") == 0)
		s->limits.memory_max = v;
	else if (swap)
		s->limits.memory_swap_max = v;
	else
		s->limits.pids_max = v;
	return 0;
}

/* A policy's BPF into *slot (replacing what an earlier option put there); p is freed. */
static int take_policy(struct sbx *s, const struct sbx_opt *o, const char *arg, struct ck_seccomp_policy *p,
		       struct sbx_bpf *slot)
{
	void *bpf;
	size_t len;
	int r = ck_seccomp_export_bpf(p, &bpf, &len);
	ck_seccomp_policy_free(p);
	if (r < 0)
		return fail(s, "%s '%s': cannot compile the filter: %s", name_of(s, o), arg, strerror(-r));
	if (slot->bpf)
		warn(s, "Only the last %s option will take effect", name_of(s, o));
	free(slot->bpf);
	slot->bpf = bpf;
	slot->len = len;
	return 0;
}

static int do_seccomp_profile(struct sbx *s, const struct sbx_opt *o, char **args)
{
	char why[512] = "";
	struct ck_seccomp_policy *p = ck_seccomp_policy_from_oci(args[0], -1, why, sizeof(why));
	if (!p)
		return fail(s, "%s '%s': %s", name_of(s, o), args[0], why[0] ? why : strerror(errno));
	return take_policy(s, o, args[0], p, &s->profile_bpf);
}

/* FLAGS[:HOW]: clone and unshare with any of FLAGS fail with errno HOW (EPERM), or get action HOW. */
static int do_seccomp_deny(struct sbx *s, const struct sbx_opt *o, char **args)
{
	const char *name = name_of(s, o), *arg = args[0], *colon = strrchr(arg, ':');
	enum ck_seccomp_action action = CK_SECCOMP_ERRNO;
	struct ck_parse_error perr;
	char flags_text[512];
	uint64_t flags;
	int err = EPERM;

	if (strlen(arg) >= sizeof(flags_text))
		return fail(s, "%s: the argument is longer than %zu bytes", name, sizeof(flags_text) - 1);
	snprintf(flags_text, sizeof(flags_text), "%.*s", colon ? (int)(colon - arg) : (int)strlen(arg), arg);
	if (colon && !(err = cli_parse_errno(colon + 1))) {
		err = 0;
		if (ck_seccomp_action_parse(colon + 1, &action) < 0 ||
		    (action != CK_SECCOMP_KILL && action != CK_SECCOMP_KILL_THREAD && action != CK_SECCOMP_TRAP &&
		     action != CK_SECCOMP_LOG))
			return fail(s, "%s '%s': after ':' expected an errno name or number (EPERM by default), or kill, kill-thread, trap or log",
				    name, arg);
	}
	if (ck_flags_parse(flags_text, CK_SYSCALL_UNSHARE, &flags, &perr) < 0)
		return fail(s, "%s '%s': %s", name, arg, perr.message);
	if (flags >> 32)
		return fail(s, "%s '%s': flags above bit 31 are clone3-only, and a filter cannot read clone3's flags (they are in memory)",
			    name, arg);
	struct ck_seccomp_policy *p = ck_seccomp_policy_deny(flags, action, err);
	if (!p)
		return fail(s, errno == EINVAL ? "%s '%s': no flag a filter can see in clone or unshare" : "%s '%s': %s",
			    name, arg, strerror(errno));
	return take_policy(s, o, arg, p, &s->deny_bpf);
}

#define FLAG(b, own, field, help) { b, own, 0, K_FLAG, 0, 0, offsetof(struct sbx, field), NULL, NULL, NULL, help }
#define FD(b, own, field, help) { b, own, 1, K_FD, 0, 0, offsetof(struct sbx, field), NULL, NULL, "FD", help }
#define OP(b, own, n, op, fl, too_few, mv, help) { b, own, n, K_OP, fl, op, 0, do_op, too_few, mv, help }
#define CALL(b, own, n, fn, fl, too_few, mv, help) { b, own, n, K_CALL, fl, 0, 0, fn, too_few, mv, help }

/* In bwrap --help's order; --help, --version and --args are the front ends' own. */
static const struct sbx_opt table[] = {
	CALL("--unshare-all", NULL, 0, do_unshare_all, 0, NULL, NULL, "Unshare every namespace we support by default"),
	CALL("--share-net", NULL, 0, do_share_net, 0, NULL, NULL, "Retain the network namespace (can only combine with --unshare-all)"),
	FLAG("--unshare-user", NULL, unshare_user, "Create new user namespace (may be automatically implied if not setuid)"),
	FLAG("--unshare-user-try", NULL, unshare_user_try, "Create new user namespace if possible else continue by skipping it"),
	FLAG("--unshare-ipc", NULL, unshare_ipc, "Create new ipc namespace"),
	FLAG("--unshare-pid", NULL, unshare_pid, "Create new pid namespace"),
	FLAG("--unshare-net", NULL, unshare_net, "Create new network namespace"),
	FLAG("--unshare-uts", NULL, unshare_uts, "Create new uts namespace"),
	FLAG("--unshare-cgroup", NULL, unshare_cgroup, "Create new cgroup namespace"),
	FLAG("--unshare-cgroup-try", NULL, unshare_cgroup_try, "Create new cgroup namespace if possible else continue by skipping it"),
	FD("--userns", "--userns", userns_fd, "Use this user namespace (cannot combine with --unshare-user)"),
	FD("--userns2", "--userns2", userns2_fd, "After setup switch to this user namespace, only useful with --userns"),
	FLAG("--disable-userns", "--disable-userns", disable_userns, "Disable further use of user namespaces inside sandbox"),
	FLAG("--assert-userns-disabled", "--assert-userns-disabled", assert_userns_disabled, "Fail unless further use of user namespace inside sandbox is disabled"),
	FD("--pidns", "--pidns", pidns_fd, "Use this pid namespace (as parent namespace if using --unshare-pid)"),
	CALL("--uid", "--uid", 1, do_id, 0, NULL, "UID", "Custom uid in the sandbox (requires --unshare-user or --userns)"),
	CALL("--gid", "--gid", 1, do_id, 0, NULL, "GID", "Custom gid in the sandbox (requires --unshare-user or --userns)"),
	CALL("--hostname", NULL, 1, do_hostname, 0, NULL, "NAME", "Custom hostname in the sandbox (requires --unshare-uts)"),
	CALL("--chdir", NULL, 1, do_chdir, 0, "--chdir takes one argument", "DIR", "Change directory to DIR"),
	CALL("--clearenv", "--clear-env", 0, do_env, 0, NULL, NULL, "Unset all environment variables"),
	CALL("--setenv", "--setenv", 2, do_env, 0, NULL, "VAR VALUE", "Set an environment variable"),
	CALL("--unsetenv", "--unsetenv", 1, do_env, 0, NULL, "VAR", "Unset an environment variable"),
	CALL("--lock-file", "--lock-file", 1, do_lock_file, 0, NULL, "DEST", "Take a lock on DEST while sandbox is running"),
	FD("--sync-fd", "--sync-fd", sync_fd, "Keep this fd open while sandbox is running"),
	OP("--bind", "--bind", 2, SBX_BIND, 0, NULL, "SRC DEST", "Bind mount the host path SRC on DEST"),
	OP("--bind-try", "--bind-try", 2, SBX_BIND, F_TRY, NULL, "SRC DEST", "Equal to --bind but ignores non-existent SRC"),
	OP("--dev-bind", "--dev-bind", 2, SBX_DEV_BIND, 0, NULL, "SRC DEST", "Bind mount the host path SRC on DEST, allowing device access"),
	OP("--dev-bind-try", "--dev-bind-try", 2, SBX_DEV_BIND, F_TRY, NULL, "SRC DEST", "Equal to --dev-bind but ignores non-existent SRC"),
	OP("--ro-bind", "--ro-bind", 2, SBX_RO_BIND, 0, NULL, "SRC DEST", "Bind mount the host path SRC readonly on DEST"),
	OP("--ro-bind-try", "--ro-bind-try", 2, SBX_RO_BIND, F_TRY, NULL, "SRC DEST", "Equal to --ro-bind but ignores non-existent SRC"),
	/* Debian's 0.8.0-2+deb12u1 carries these from 0.9, message included */
	OP("--bind-fd", "--bind-fd", 2, SBX_BIND_FD, F_FD_SRC, "--bind-fd takes two arguments", "FD DEST", "Bind open directory or path fd on DEST"),
	OP("--ro-bind-fd", "--ro-bind-fd", 2, SBX_RO_BIND_FD, F_FD_SRC, "--bind-fd takes two arguments", "FD DEST", "Bind open directory or path fd read-only on DEST"),
	OP("--remount-ro", "--remount-ro", 1, SBX_REMOUNT_RO, 0, "--remount-ro takes one argument", "DEST", "Remount DEST as readonly; does not recursively remount"),
	CALL("--exec-label", NULL, 1, do_label, 0, NULL, "LABEL", "Exec label for the sandbox"),
	CALL("--file-label", NULL, 1, do_label, 0, NULL, "LABEL", "File label for temporary sandbox content"),
	OP("--proc", "--proc", 1, SBX_PROC, 0, NULL, "DEST", "Mount new procfs on DEST"),
	OP("--dev", "--dev", 1, SBX_DEV, 0, NULL, "DEST", "Mount new dev on DEST"),
	OP("--tmpfs", "--tmpfs", 1, SBX_TMPFS, F_PERMS | F_SIZE, NULL, "DEST", "Mount new tmpfs on DEST"),
	OP("--mqueue", "--mqueue", 1, SBX_MQUEUE, 0, NULL, "DEST", "Mount new mqueue on DEST"),
	OP("--dir", "--dir", 1, SBX_DIR, F_PERMS, NULL, "DEST", "Create dir at DEST"),
	OP("--file", "--file", 2, SBX_FILE, F_PERMS | F_FD_SRC, NULL, "FD DEST", "Copy from FD to destination DEST"),
	OP("--bind-data", "--bind-data", 2, SBX_BIND_DATA, F_PERMS | F_FD_SRC, NULL, "FD DEST", "Copy from FD to file which is bind-mounted on DEST"),
	OP("--ro-bind-data", "--ro-bind-data", 2, SBX_RO_BIND_DATA, F_PERMS | F_FD_SRC, NULL, "FD DEST", "Copy from FD to file which is readonly bind-mounted on DEST"),
	OP("--symlink", "--symlink", 2, SBX_SYMLINK, 0, NULL, "SRC DEST", "Create symlink at DEST with target SRC"),
	CALL("--seccomp", "--seccomp-fd", 1, do_seccomp, 0, NULL, "FD", "Load and use seccomp rules from FD (not repeatable)"),
	CALL("--add-seccomp-fd", "--add-seccomp-fd", 1, do_add_seccomp, 0, NULL, "FD", "Load and use seccomp rules from FD (repeatable)"),
	FD("--block-fd", "--block-fd", block_fd, "Block on FD until some data to read is available"),
	FD("--userns-block-fd", "--userns-block-fd", userns_block_fd, "Block on FD until the user namespace is ready"),
	FD("--info-fd", "--info-fd", info_fd, "Write information about the running container to FD"),
	FD("--json-status-fd", "--json-status-fd", json_status_fd, "Write container status to FD as multiple JSON documents"),
	FLAG("--new-session", "--new-session", new_session, "Create a new terminal session"),
	FLAG("--die-with-parent", NULL, die_with_parent, "Kills with SIGKILL child process (COMMAND) when bwrap or bwrap's parent dies."),
	FLAG("--as-pid-1", NULL, as_pid_1, "Do not install a reaper process with PID=1"),
	FLAG(NULL, "--init", init, "A small init as PID 1 of the new PID namespace, the command its child"),
	CALL("--cap-add", "--cap-add", 1, do_cap, 0, NULL, "CAP", "Add cap CAP when running as privileged user"),
	CALL("--cap-drop", "--cap-drop", 1, do_cap, 0, NULL, "CAP", "Drop cap CAP when running as privileged user"),
	CALL("--perms", "--perms", 1, do_perms, F_MODIFIER, NULL, "OCTAL", "Set permissions of next argument (--bind-data, --file, etc.)"),
	CALL("--size", "--size", 1, do_size, F_MODIFIER, NULL, "BYTES", "Set size of next argument (only for --tmpfs)"),
	CALL("--chmod", "--chmod", 2, do_chmod, 0, NULL, "OCTAL PATH", "Change permissions of PATH (must already exist)"),
	/* cgroup limits and seccomp from outside: clonekit's own (sbx-res2); not bwrap options */
	CALL(NULL, "--memory-max", 1, do_limit, 0, NULL, "BYTES", "Limit the sandbox's memory (cgroup memory.max; K, M, G, T; max)"),
	CALL(NULL, "--memory-swap-max", 1, do_limit, 0, NULL, "BYTES", "Limit its swap on top of --memory-max (memory.swap.max): 0 none, as without it; max no limit of its own"),
	CALL(NULL, "--pids-max", 1, do_limit, 0, NULL, "N", "Limit its tasks: fork fails with EAGAIN past N (pids.max)"),
	CALL(NULL, "--cpu-max", 1, do_limit, 0, NULL, "QUOTA[/PERIOD]", "Limit its CPU time: QUOTA us per PERIOD us (cpu.max)"),
	CALL(NULL, "--seccomp-profile", 1, do_seccomp_profile, 0, NULL, "FILE", "Load an OCI/Docker seccomp profile (JSON) before execve"),
	CALL(NULL, "--seccomp-deny", 1, do_seccomp_deny, 0, NULL, "FLAGS[:HOW]", "Refuse clone/unshare with FLAGS (and setns): errno HOW or kill|kill-thread|trap|log"),
};

static const struct sbx_opt *lookup(const struct sbx *s, const char *arg)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(table); i++) {
		const char *n = s->dialect == SBX_BWRAP ? table[i].bwrap : table[i].own;
		if (n && strcmp(n, arg) == 0)
			return &table[i];
	}
	return NULL;
}

bool sbx_is_bwrap_option(const char *arg)
{
	const struct sbx probe = { .dialect = SBX_BWRAP };
	return strcmp(arg, "--args") == 0 || lookup(&probe, arg) != NULL;
}

void sbx_init(struct sbx *s, enum sbx_dialect dialect, const char *cmd)
{
	memset(s, 0, sizeof(*s));
	s->dialect = dialect;
	s->cmd = cmd;
	s->uid = s->gid = -1;
	s->userns_fd = s->userns2_fd = s->pidns_fd = s->sync_fd = -1;
	s->block_fd = s->userns_block_fd = s->info_fd = s->json_status_fd = s->seccomp_fd = -1;
	s->next_perms = -1;
	/* bwrap as root starts from its own effective set; --cap-drop and --cap-add edit it (acquire_privs) */
	if (getuid() == 0)
		ck_caps_effective(&s->caps);
}

void sbx_release(struct sbx *s)
{
	free(s->ops);
	free(s->env);
	free(s->lock_files);
	for (size_t i = 0; i < s->nprogs; i++)
		free(s->progs[i].bpf);
	free(s->profile_bpf.bpf);
	free(s->deny_bpf.bpf);
	for (size_t i = 0; i < s->nargs_data; i++)
		free(s->args_data[i]);
	free(s->args_data);
	memset(s, 0, sizeof(*s));
}

bool sbx_used(const struct sbx *s)
{
	return s->nops || s->nenv || s->nlock_files || s->nprogs || s->seccomp_fd >= 0 || s->uid != -1 || s->gid != -1 ||
	       s->userns_fd >= 0 || s->userns2_fd >= 0 || s->pidns_fd >= 0 || s->sync_fd >= 0 ||
	       s->block_fd >= 0 || s->userns_block_fd >= 0 || s->info_fd >= 0 || s->json_status_fd >= 0 ||
	       s->new_session || s->as_pid_1 || s->init || s->caps_used || s->disable_userns ||
	       s->assert_userns_disabled || s->limits_used || s->profile_bpf.bpf || s->deny_bpf.bpf;
}

int sbx_option(struct sbx *s, int argc, char **argv)
{
	const struct sbx_opt *o = lookup(s, argv[0]);
	int r = 0;

	if (!o)
		return 0;
	if (argc < 1 + o->nargs) {
		if (o->too_few)
			fail(s, "%s", o->too_few);
		else if (o->nargs == 2)
			fail(s, "%s takes two arguments", argv[0]);
		else
			fail(s, "%s takes an argument", argv[0]);
		return -1;
	}
	switch (o->kind) {
	case K_FLAG:
		*(bool *)((char *)s + o->field) = true;
		break;
	case K_FD: {
		int *slot = (int *)((char *)s + o->field);
		if (*slot != -1)
			warn(s, "Only the last %s option will take effect", argv[0]);
		r = parse_fd(s, argv[1], slot);
		break;
	}
	case K_OP:
	case K_CALL:
		r = o->call(s, o, argv + 1);
		break;
	}
	if (r < 0)
		return -1;
	/* a modifier the operation did not take was meant for something that takes none */
	if (!(o->flags & F_MODIFIER) && s->next_perms >= 0)
		return fail(s, "%s must be followed by an option that creates a file",
			    s->dialect == SBX_BWRAP ? "--perms" : "--perms");
	if (!(o->flags & F_MODIFIER) && s->next_size != 0)
		return fail(s, "%s must be followed by %s", "--size", "--tmpfs");
	return 1 + o->nargs;
}

/* Reads all of fd (bwrap's load_file_data): a NUL-terminated buffer, or NULL with errno. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *grown = realloc(buf, cap *= 2);
			if (!grown) {
				free(buf);
				return NULL;
			}
			buf = grown;
		}
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

int sbx_read_bpf(struct sbx *s, int fd, struct sbx_bpf *out)
{
	size_t len;
	char *data = read_all(fd, &len);
	if (!data) {
		if (s->dialect == SBX_BWRAP)
			fprintf(stderr, "bwrap: Can't read seccomp data: %s\n", strerror(errno));
		else
			fail(s, "seccomp fd %d: %s", fd, strerror(errno));
		return -1;
	}
	close(fd);
	if (len % 8 != 0) {
		free(data);
		return fail(s, "Invalid seccomp data, must be multiple of 8");
	}
	out->bpf = data;
	out->len = len;
	return 0;
}

/* bwrap's --args FD: NUL-separated arguments, parsed as if they stood here; not nested. */
static int args_from_fd(struct sbx *s, int argc, char **argv, unsigned *total)
{
	int fd;
	size_t len, n = 0;
	char *data, **words;

	if (s->in_args_file)
		return fail(s, "%s not supported in arguments file", argv[0]);
	if (argc < 2)
		return fail(s, "%s takes an argument", argv[0]);
	if (parse_fd(s, argv[1], &fd) < 0)
		return -1;
	if (!(data = read_all(fd, &len))) {
		if (s->dialect == SBX_BWRAP)
			fprintf(stderr, "bwrap: Can't read --args data: %s\n", strerror(errno));
		else
			fail(s, "--args %d: %s", fd, strerror(errno));
		return -1;
	}
	close(fd);
	char **kept = realloc(s->args_data, (s->nargs_data + 1) * sizeof(*kept));
	if (!kept) {
		free(data);
		return fail(s, "%s", strerror(ENOMEM));
	}
	s->args_data = kept;
	s->args_data[s->nargs_data++] = data; /* the words point into it until sbx_release */
	for (char *p = data; p < data + len; p += strlen(p) + 1) {
		n++;
		if (++*total > SBX_MAX_ARGS)
			return fail(s, "Exceeded maximum number of arguments %u", SBX_MAX_ARGS);
	}
	if (!(words = calloc(n + 1, sizeof(*words))))
		return fail(s, "%s", strerror(ENOMEM));
	n = 0;
	for (char *p = data; p < data + len; p += strlen(p) + 1)
		words[n++] = p;
	s->in_args_file = true;
	int r = sbx_parse_bwrap_words(s, (int)n, words, total, NULL);
	s->in_args_file = false;
	free(words);
	return r;
}

/* bwrap's message; a name clonekit run knows says so (clonekit bwrap takes bwrap's options only). */
static int unknown_bwrap_option(struct sbx *s, const char *arg)
{
	const struct sbx own = { .dialect = SBX_OWN };
	const struct sbx_opt *o = lookup(&own, arg);
	if (!o || strcmp(arg, "--help") == 0)
		return fail(s, "Unknown option %s", arg);
	if (o->bwrap)
		return fail(s, "Unknown option %s (clonekit run's name for bwrap's %s)", arg, o->bwrap);
	return fail(s, "Unknown option %s (a clonekit run option; clonekit bwrap takes bubblewrap's options only)", arg);
}

int sbx_parse_bwrap_words(struct sbx *s, int argc, char **argv, unsigned *total, int *consumed)
{
	int i = 0;

	if (*total > SBX_MAX_ARGS)
		return fail(s, "Exceeded maximum number of arguments %u", SBX_MAX_ARGS);
	while (i < argc) {
		const char *arg = argv[i];
		int n;

		if (strcmp(arg, "--help") == 0) {
			s->want_help = true;
			return 1;
		}
		if (strcmp(arg, "--version") == 0) {
			s->want_version = true;
			return 1;
		}
		if (strcmp(arg, "--args") == 0) {
			if (args_from_fd(s, argc - i, argv + i, total) < 0)
				return -1;
			if (s->want_help || s->want_version)
				return 1;
			i += 2;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		n = sbx_option(s, argc - i, argv + i);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (arg[0] == '-')
				return unknown_bwrap_option(s, arg);
			break;
		}
		i += n;
	}
	if (consumed)
		*consumed = i;
	return 0;
}

void sbx_bwrap_usage(FILE *f, const char *argv0)
{
	fprintf(f, "usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n\n", argv0);
	fprintf(f, "    %-28s %s\n", "--help", "Print this help");
	fprintf(f, "    %-28s %s\n", "--version", "Print version");
	fprintf(f, "    %-28s %s\n", "--args FD", "Parse NUL-separated args from FD");
	for (size_t i = 0; i < CK_ARRAY_SIZE(table); i++) {
		char left[64];
		if (!table[i].bwrap)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", table[i].bwrap, table[i].metavar ? " " : "",
			 table[i].metavar ? table[i].metavar : "");
		fprintf(f, "    %-28s %s\n", left, table[i].help);
	}
}

void sbx_own_usage(FILE *f)
{
	for (size_t i = 0; i < CK_ARRAY_SIZE(table); i++) {
		char left[64];
		if (!table[i].own)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", table[i].own, table[i].metavar ? " " : "",
			 table[i].metavar ? table[i].metavar : "");
		fprintf(f, "  %-26s %s\n", left, table[i].help);
	}
	fprintf(f, "  %-26s %s\n", "--args FD", "Parse NUL-separated args from FD (bwrap's syntax)");
	/* which path this host's limits take (ck_cgroup_mode), for the caller's own cgroup */
	fprintf(f, "\n  cgroup limits on this host (a fresh group under --cgroup DIR or clonekit's own):\n");
	static const char *const ctl[] = { "memory", "pids", "cpu" };
	for (size_t i = 0; i < CK_ARRAY_SIZE(ctl); i++) {
		int m = ck_cgroup_mode(ctl[i], NULL);
		fprintf(f, "    %-7s %s\n", ctl[i],
			m == CK_CGROUP_V2 ? "cgroup v2, entered at birth with CLONE_INTO_CGROUP"
			: m == CK_CGROUP_V1 ? "cgroup v1 fallback: the child joins its group before execve"
					    : "no hierarchy holds it here: its limit fails the launch");
	}
}

int sbx_own_option(struct sbx *s, int argc, char **argv, unsigned *total)
{
	if (strcmp(argv[0], "--args") == 0) {
		if (args_from_fd(s, argc, argv, total) < 0)
			return -1;
		return 2;
	}
	return sbx_option(s, argc, argv);
}
