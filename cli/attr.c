/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ck_spawn_attr options run and trace share: namespaces, id maps, the
 * hostname, /proc, clock offsets, the cgroup, the cwd, die-with-parent, the
 * exit signal and a seccomp policy; and what both print when the launch
 * fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clonekit/seccomp.h>

#include "cli.h"

/* unshare(1)'s names, in the order --new lists them and --json prints them. */
static const char *const ns_names[] = { "user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time" };

static int parse_namespaces(const char *cmd, const char *arg, uint64_t *out)
{
	char *copy = strdup(arg), *next;
	int r = 0;
	if (!copy)
		return -ENOMEM;
	/* not strtok_r: an empty element ("", "user,,pid") is a mistake to name, not to skip */
	for (char *t = copy; t; t = next) {
		const struct ck_flag *f;
		if ((next = strchr(t, ',')))
			*next++ = '\0';
		if (strcmp(t, "all") == 0) {
			*out |= CK_CLONE_NEWNS_ALL;
			continue;
		}
		f = ck_flag_by_name(t);
		if (!f || !(f->value & CK_CLONE_NEWNS_ALL)) {
			r = cli_usage_error(cmd, "--new '%s': expected user, pid, net, mnt, uts, ipc, cgroup, time or all",
					    t);
			break;
		}
		*out |= f->value;
	}
	free(copy);
	return r;
}

static int parse_share(const char *cmd, const char *arg, uint64_t *out)
{
	char *copy = strdup(arg), *next;
	int r = 0;
	if (!copy)
		return -ENOMEM;
	for (char *t = copy; t; t = next) {
		if ((next = strchr(t, ',')))
			*next++ = '\0';
		const struct ck_flag *f = ck_flag_by_name(t);
		uint64_t ok = CK_CLONE_VM | CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM;
		if (f && (f->value & (CK_CLONE_FILES | CK_CLONE_SIGHAND))) {
			r = cli_usage_error(cmd, "--share %s: execve gives the program its own %s, so nothing would stay shared",
					    t, f->value == CK_CLONE_FILES ? "file descriptor table" : "signal handlers");
			break;
		}
		if (!f || !(f->value & ok)) {
			r = cli_usage_error(cmd, "--share '%s': expected vm, fs, io or sysvsem", t);
			break;
		}
		*out |= f->value;
	}
	free(copy);
	return r;
}

static int parse_map(const char *cmd, const char *opt, const char *arg, uint32_t v[3])
{
	if (cli_parse_id_map(arg, v) < 0)
		return cli_usage_error(cmd, "%s '%s': expected INSIDE:OUTSIDE:COUNT", opt, arg);
	return 0;
}

static int parse_offset(const char *cmd, const char *opt, const char *arg, int64_t *sec, long *nsec)
{
	if (cli_parse_offset(arg, sec, nsec) < 0)
		return cli_usage_error(cmd, "%s '%s': expected seconds, e.g. 3600 or -1.5", opt, arg);
	return 0;
}

int attr_opts_init(struct attr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->attr = ck_spawn_attr_new();
	return o->attr ? 0 : -ENOMEM;
}

void attr_opts_release(struct attr_opts *o)
{
	ck_spawn_attr_free(o->attr);
	o->attr = NULL;
}

int attr_opts_apply(struct attr_opts *o, const char *cmd, int opt, const char *arg)
{
	struct ck_spawn_attr *attr = o->attr;
	uint32_t map[3] = { 0, 0, 0 };
	int64_t sec = 0;
	long nsec = 0;
	unsigned sig;
	int r = 0;

	switch (opt) {
	case ATTR_OPT_NEW: r = parse_namespaces(cmd, arg, &o->namespaces); break;
	case ATTR_OPT_SHARE: r = parse_share(cmd, arg, &o->share); break;
	case ATTR_OPT_MAP_ROOT: r = ck_spawn_attr_map_root(attr); o->namespaces |= CK_CLONE_NEWUSER; break;
	case ATTR_OPT_MAP_USER: r = ck_spawn_attr_map_user(attr); o->namespaces |= CK_CLONE_NEWUSER; break;
	case ATTR_OPT_UID_MAP:
	case ATTR_OPT_GID_MAP:
		r = parse_map(cmd, opt == ATTR_OPT_UID_MAP ? "--uid-map" : "--gid-map", arg, map);
		if (r == 0)
			r = (opt == ATTR_OPT_UID_MAP ? ck_spawn_attr_add_uid_map : ck_spawn_attr_add_gid_map)(
				attr, map[0], map[1], map[2]);
		if (r < 0)
			r = cli_usage_error(cmd, "%s '%s': a range that ends past 4294967294, or more than 340 ranges",
					    opt == ATTR_OPT_UID_MAP ? "--uid-map" : "--gid-map", arg);
		o->namespaces |= CK_CLONE_NEWUSER;
		break;
	case ATTR_OPT_HOSTNAME:
		if (ck_spawn_attr_set_hostname(attr, arg) < 0)
			r = cli_usage_error(cmd, "--hostname '%s': at most 64 bytes", arg);
		o->namespaces |= CK_CLONE_NEWUTS;
		break;
	case ATTR_OPT_MOUNT_PROC:
		r = ck_spawn_attr_set_mount_proc(attr, true);
		o->namespaces |= CK_CLONE_NEWNS;
		break;
	case ATTR_OPT_MONO:
	case ATTR_OPT_BOOT:
		r = parse_offset(cmd, opt == ATTR_OPT_MONO ? "--monotonic" : "--boottime", arg, &sec, &nsec);
		if (r == 0)
			r = ck_spawn_attr_set_time_offset(attr, opt == ATTR_OPT_MONO ? CLOCK_MONOTONIC : CLOCK_BOOTTIME,
							  sec, nsec);
		o->namespaces |= CK_CLONE_NEWTIME;
		break;
	case ATTR_OPT_CGROUP:
		if ((r = ck_spawn_attr_set_cgroup(attr, arg)) < 0)
			r = cli_usage_error(cmd, "--cgroup '%s': %s", arg, strerror(-r));
		break;
	case ATTR_OPT_CWD: r = ck_spawn_attr_set_cwd(attr, arg); break;
	case ATTR_OPT_DWP: r = ck_spawn_attr_set_die_with_parent(attr, SIGKILL); break;
	case ATTR_OPT_EXIT_SIGNAL:
		if (ck_signal_parse(arg, &sig) < 0 || sig > 64)
			r = cli_usage_error(cmd, "--exit-signal '%s': not a signal name or number 0-64", arg);
		else
			r = ck_spawn_attr_set_exit_signal(attr, (int)sig);
		break;
	case ATTR_OPT_SECCOMP: {
		struct ck_seccomp_policy *p = ck_seccomp_policy_named(arg);
		if (!p) {
			r = cli_usage_error(cmd, "--seccomp '%s': expected deny-namespaces, deny-userns or no-child-process",
					    arg);
			break;
		}
		r = ck_spawn_attr_set_seccomp(attr, p);
		ck_seccomp_policy_free(p);
		if (r < 0)
			fprintf(stderr, "clonekit %s: --seccomp %s: cannot compile the filter: %s\n", cmd, arg,
				strerror(-r));
		break;
	}
	default:
		r = -EINVAL;
	}
	return r;
}

int attr_opts_finish(struct attr_opts *o)
{
	int r = ck_spawn_attr_set_namespaces(o->attr, o->namespaces);
	return r < 0 ? r : ck_spawn_attr_set_share(o->attr, o->share);
}

void jw_namespaces(struct jw *w, const char *key, uint64_t namespaces)
{
	jw_arr_begin(w, key);
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (namespaces & ck_flag_by_name(ns_names[i])->value)
			jw_str(w, NULL, ns_names[i]);
	jw_arr_end(w);
}

/* What the user can change on this command line for a validator rule, if clonekit knows. */
static const struct {
	const char *rule;
	const char *fix;
} fixes[] = {
	{ "namespace-needs-cap-sys-admin",
	  "add --new user --map-root to create them inside a new user namespace, where you have CAP_SYS_ADMIN" },
};

void cli_spawn_error(const char *cmd, const struct ck_spawn_error *err, int r)
{
	if (!err->step) {
		fprintf(stderr, "clonekit %s: %s\n", cmd, strerror(-r));
		return;
	}
	fprintf(stderr, "clonekit %s: %s", cmd, err->message);
	for (size_t i = 0; err->rule && i < sizeof(fixes) / sizeof(fixes[0]); i++)
		if (strcmp(err->rule, fixes[i].rule) == 0)
			fprintf(stderr, "; %s", fixes[i].fix);
	fputc('\n', stderr);
}

int cli_spawn_exit_code(const struct ck_spawn_error *err)
{
	/* bash and env(1): not found is 127, any other execve failure 126 */
	if (err->step && strcmp(err->step, "execve") == 0)
		return err->err == ENOENT ? 127 : 126;
	return 125;
}
