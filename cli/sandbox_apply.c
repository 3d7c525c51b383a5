/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the sandbox options ask for (struct sbx, cli/sandbox_opts.c), as a
 * ck_spawn attribute set; and bwrap's run of a command over it. An option
 * this build cannot honour fails the launch, naming the option: it is never
 * ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "../lib/internal/spawn.h"
#include "../lib/internal/util.h"

static int refuse(const struct sbx *s, const char *option, const char *why)
{
	if (s->dialect == SBX_BWRAP)
		fprintf(stderr, "bwrap: %s: %s\n", option, why);
	else
		fprintf(stderr, "clonekit %s: %s: %s\n", s->cmd, option, why);
	return -1;
}

static int failed(const struct sbx *s, const char *what, int err)
{
	if (s->dialect == SBX_BWRAP)
		fprintf(stderr, "bwrap: %s: %s\n", what, strerror(err));
	else
		fprintf(stderr, "clonekit %s: %s: %s\n", s->cmd, what, strerror(err));
	return -1;
}

int sbx_cap_from_name(const char *name)
{
	/* capability names come with the process state (sbx-proc's ck_cap_from_name) */
	(void)name;
	return -ENOSYS;
}

bool sbx_userns_available(void)
{
	struct stat st;
	char buf[16];

	if (stat("/proc/self/ns/user", &st) < 0)
		return false;
	/* RHEL 7's switch, and a limit of 0, as bwrap reads them */
	if (ck__read_small_file("/sys/module/user_namespace/parameters/enable", buf, sizeof(buf)) >= 0 &&
	    buf[0] == 'N')
		return false;
	if (ck__read_small_file("/proc/sys/user/max_user_namespaces", buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, "0\n") == 0)
		return false;
	return true;
}

uint64_t sbx_namespaces(const struct sbx *s)
{
	struct stat st;
	uint64_t ns = 0;

	if (s->dialect == SBX_BWRAP || s->nops)
		ns |= CK_CLONE_NEWNS; /* bwrap always builds a new root */
	if (s->dialect == SBX_OWN && (s->uid != -1 || s->gid != -1))
		ns |= CK_CLONE_NEWUSER; /* --uid/--gid name ids inside a new user namespace */
	if (s->unshare_user)
		ns |= CK_CLONE_NEWUSER;
	if (s->unshare_pid)
		ns |= CK_CLONE_NEWPID;
	if (s->unshare_net)
		ns |= CK_CLONE_NEWNET;
	if (s->unshare_ipc)
		ns |= CK_CLONE_NEWIPC;
	if (s->unshare_uts)
		ns |= CK_CLONE_NEWUTS;
	if (s->unshare_cgroup || (s->unshare_cgroup_try && stat("/proc/self/ns/cgroup", &st) == 0))
		ns |= CK_CLONE_NEWCGROUP;
	return ns;
}

/* The environment edits, on clonekit's own environment (as bwrap edits its own), which the command inherits. */
static int apply_env(const struct sbx *s)
{
	for (size_t i = 0; i < s->nenv; i++) {
		const struct sbx_env *e = &s->env[i];
		int r = !e->name ? clearenv() : e->value ? setenv(e->name, e->value, 1) : unsetenv(e->name);
		if (r != 0)
			return failed(s, !e->name ? "clearenv" : e->value ? "setenv" : "unsetenv", errno ? errno : EINVAL);
	}
	return 0;
}

/* bwrap's --seccomp (read now) or --add-seccomp-fd programs (read as parsed), loaded last before execve. */
static int apply_seccomp(struct sbx *s, struct ck_spawn_attr *attr)
{
	int r;
	if (s->seccomp_fd >= 0) {
		if (sbx_read_bpf(s, s->seccomp_fd, &s->progs[0]) < 0)
			return -1;
		s->nprogs = 1;
		s->seccomp_fd = -1;
	}
	if (s->nprogs == 0)
		return 0;
	if (s->nprogs > 1)
		return refuse(s, "--add-seccomp-fd",
			      "more than one program per sandbox is not supported by this clonekit yet");
	if ((r = ck__spawn_attr_take_filter(attr, s->progs[0].bpf, s->progs[0].len)) < 0)
		return failed(s, "seccomp", -r);
	s->progs[0].bpf = NULL; /* the attribute set owns it now */
	s->nprogs = 0;
	return 0;
}

/* What this build cannot do yet, refused by name before anything starts. */
static int refuse_missing(const struct sbx *s)
{
	static const char mounts[] = "the mount list of ck_spawn is not in this clonekit yet";
	static const char proc[] = "process state (capabilities, init, session) is not in this clonekit yet";

	if (s->nops)
		return refuse(s, s->ops[0].option, mounts);
	if (s->dialect == SBX_BWRAP)
		return refuse(s, "new root", "bwrap builds a new root file system, and the mount list of ck_spawn is not in this clonekit yet");
	if (s->caps_used)
		return refuse(s, "--cap-add/--cap-drop", proc);
	if (s->new_session)
		return refuse(s, "--new-session", proc);
	if (s->as_pid_1)
		return refuse(s, "--as-pid-1", proc);
	if (s->disable_userns || s->assert_userns_disabled)
		return refuse(s, s->disable_userns ? "--disable-userns" : "--assert-userns-disabled", proc);
	if (s->nlock_files)
		return refuse(s, "--lock-file", "needs the sandbox's init (process state), not in this clonekit yet");
	if (s->sync_fd >= 0)
		return refuse(s, "--sync-fd", "needs the sandbox's init (process state), not in this clonekit yet");
	if (s->userns_fd >= 0 || s->userns2_fd >= 0)
		return refuse(s, s->userns_fd >= 0 ? "--userns" : "--userns2", "joining a user namespace is not supported by this clonekit yet");
	if (s->pidns_fd >= 0)
		return refuse(s, "--pidns", "joining a PID namespace is not supported by this clonekit yet");
	return 0;
}

int sbx_apply(struct sbx *s, struct ck_spawn_attr *attr)
{
	uint64_t ns = sbx_namespaces(s);
	int r = 0;

	if (refuse_missing(s) < 0)
		return -1;
	if (s->dialect == SBX_BWRAP) {
		/* the command gets every fd clonekit has that is not close-on-exec, as with bwrap */
		ck_spawn_attr_set_keep_fds(attr, true);
		if ((r = ck_spawn_attr_set_namespaces(attr, ns)) < 0)
			return failed(s, "namespaces", -r);
		if (s->hostname && (r = ck_spawn_attr_set_hostname(attr, s->hostname)) < 0)
			return refuse(s, "--hostname", "at most 64 bytes");
		if (s->die_with_parent)
			ck_spawn_attr_set_die_with_parent(attr, SIGKILL);
		if (s->chdir && (r = ck_spawn_attr_set_cwd(attr, s->chdir)) < 0)
			return failed(s, "--chdir", -r);
	}
	if ((s->dialect == SBX_BWRAP && (ns & CK_CLONE_NEWUSER) && s->userns_block_fd < 0) ||
	    (s->dialect == SBX_OWN && (s->uid != -1 || s->gid != -1))) {
		/* the caller's ids appear as --uid/--gid (default: the same) */
		uid_t uid = s->uid != -1 ? (uid_t)s->uid : getuid();
		gid_t gid = s->gid != -1 ? (gid_t)s->gid : getgid();
		if ((r = ck_spawn_attr_add_uid_map(attr, uid, getuid(), 1)) < 0 ||
		    (r = ck_spawn_attr_add_gid_map(attr, gid, getgid(), 1)) < 0)
			return failed(s, "id maps", -r);
	}
	if ((r = ck_spawn_attr_set_info_fd(attr, s->info_fd)) < 0 ||
	    (r = ck_spawn_attr_set_json_status_fd(attr, s->json_status_fd)) < 0 ||
	    (r = ck_spawn_attr_set_block_fd(attr, s->block_fd)) < 0 ||
	    (r = ck_spawn_attr_set_userns_block_fd(attr, s->userns_block_fd)) < 0)
		return failed(s, "status fds", -r);
	if (apply_seccomp(s, attr) < 0 || apply_env(s) < 0)
		return -1;
	return 0;
}

void sbx_close_status_fds(struct sbx *s)
{
	/* the info fd was the attribute set's (closed once written); the json-status fd lives on in the child handle */
	if (s->json_status_fd >= 0)
		close(s->json_status_fd);
	s->info_fd = s->json_status_fd = -1;
}

int sbx_run(struct sbx *s, int argc, char **argv, int *status)
{
	struct ck_spawn_error err = { .size = sizeof(err) };
	struct ck_child *child = NULL;
	struct ck_spawn_attr *attr = ck_spawn_attr_new();
	int r;

	if (!attr)
		return failed(s, "prepare", ENOMEM) < 0 ? 1 : 1;
	if (sbx_apply(s, attr) < 0) {
		ck_spawn_attr_free(attr);
		return 1;
	}
	r = ck_spawn(&child, argv[0], argv, NULL, attr, &err);
	ck_spawn_attr_free(attr);
	sbx_close_status_fds(s);
	if (r < 0) {
		if (err.step && strcmp(err.step, "execve") == 0)
			fprintf(stderr, "bwrap: execvp %s: %s\n", argv[0], strerror(err.err));
		else
			fprintf(stderr, "bwrap: %s\n", err.step ? err.message : strerror(-r));
		return 1;
	}
	r = ck_spawn_wait(child, status);
	ck_spawn_free(child);
	if (r < 0)
		return failed(s, "wait", -r) < 0 ? 1 : 1;
	return WIFEXITED(*status) ? WEXITSTATUS(*status) : WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : 255;
}
