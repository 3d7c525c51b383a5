/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the sandbox options ask for (struct sbx, cli/sandbox_opts.c), as a
 * ck_spawn attribute set; and bwrap's run of a command over it. An option
 * this build cannot honour fails the launch, naming the option: it is never
 * ignored.
 */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <strings.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
	/* libcap's cap_from_name, as bwrap uses it: "cap_" in any case, or a number up to 63 */
	bool number = name[0] >= '0' && name[0] <= '9';
	if (!number && strncasecmp(name, "cap_", 4) != 0)
		return -EINVAL;
	return ck_cap_from_name(name);
}

int sbx_ns_stat(const char *path)
{
	struct stat st;
	/*
	 * bwrap stat()s the link, which makes an nsfs inode for it; whether the
	 * entry exists is the same question (its own links always resolve) at
	 * half the cost.
	 */
	return lstat(path, &st);
}

bool sbx_userns_available(void)
{
	char buf[16];

	if (sbx_ns_stat("/proc/self/ns/user") < 0)
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
	if (s->unshare_cgroup || (s->unshare_cgroup_try && sbx_ns_stat("/proc/self/ns/cgroup") == 0))
		ns |= CK_CLONE_NEWCGROUP;
	return ns;
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
	/* in the order given, as bwrap applies them */
	for (size_t i = 0; i < s->nprogs; i++) {
		r = ck__spawn_attr_add_filter(attr, s->progs[i].bpf, s->progs[i].len);
		s->progs[i].bpf = NULL; /* the attribute set's now, even on failure */
		if (r < 0)
			return failed(s, "seccomp", -r);
	}
	s->nprogs = 0;
	/* run's and trace's own: --seccomp-profile, then --seccomp-deny (filters stack: each must allow a call) */
	struct sbx_bpf *own[] = { &s->profile_bpf, &s->deny_bpf };
	for (size_t i = 0; i < CK_ARRAY_SIZE(own); i++) {
		if (!own[i]->bpf)
			continue;
		r = ck__spawn_attr_add_filter(attr, own[i]->bpf, own[i]->len);
		own[i]->bpf = NULL;
		if (r < 0)
			return failed(s, i ? "--seccomp-deny" : "--seccomp-profile", -r);
	}
	return 0;
}

/* --memory-max, --memory-swap-max, --pids-max, --cpu-max (each checked as parsed). */
static int apply_limits(struct sbx *s, struct ck_spawn_attr *attr)
{
	if (!s->limits_used)
		return 0;
	if (s->swap_given && !s->limits.memory_max)
		return refuse(s, "--memory-swap-max", "needs --memory-max (swap is limited on top of memory)");
	int r = ck_spawn_attr_set_cgroup_limits(attr, &s->limits);
	return r < 0 ? failed(s, "cgroup limits", -r) : 0;
}

/* What this build cannot do, refused by name before anything starts. */
static int refuse_missing(const struct sbx *s)
{
	if (s->userns2_fd >= 0)
		return refuse(s, "--userns2", "switching user namespace after the setup is not supported by clonekit's launcher");
	if ((s->userns_fd >= 0 || s->pidns_fd >= 0) && s->dialect != SBX_BWRAP)
		return refuse(s, s->userns_fd >= 0 ? "--userns" : "--pidns", "joining a namespace is bwrap's only (clonekit bwrap)");
	if (s->pidns_fd >= 0 && s->unshare_pid)
		return refuse(s, "--pidns", "a new PID namespace inside the one joined is not supported by clonekit's launcher");
	if ((s->nlock_files || s->sync_fd >= 0) && s->dialect != SBX_BWRAP)
		return refuse(s, s->nlock_files ? "--lock-file" : "--sync-fd", "held by clonekit bwrap only");
	return 0;
}

static const enum ck_mount_type mount_types[] = {
	[SBX_BIND] = CK_MOUNT_BIND,         [SBX_RO_BIND] = CK_MOUNT_RO_BIND,
	[SBX_DEV_BIND] = CK_MOUNT_DEV_BIND, [SBX_BIND_FD] = CK_MOUNT_BIND_FD,
	[SBX_RO_BIND_FD] = CK_MOUNT_RO_BIND_FD, [SBX_REMOUNT_RO] = CK_MOUNT_REMOUNT_RO,
	[SBX_PROC] = CK_MOUNT_PROC,         [SBX_DEV] = CK_MOUNT_DEV,
	[SBX_TMPFS] = CK_MOUNT_TMPFS,       [SBX_MQUEUE] = CK_MOUNT_MQUEUE,
	[SBX_DIR] = CK_MOUNT_DIR,           [SBX_FILE] = CK_MOUNT_FILE,
	[SBX_BIND_DATA] = CK_MOUNT_BIND_DATA, [SBX_RO_BIND_DATA] = CK_MOUNT_RO_BIND_DATA,
	[SBX_SYMLINK] = CK_MOUNT_SYMLINK,   [SBX_CHMOD] = CK_MOUNT_CHMOD,
};

/*
 * bwrap's first setup step, with its message: every bind source resolved
 * (realpath), a missing one skipped only by a -try form. The launcher
 * resolves them again, the same way; this is for bwrap's words.
 */
static int bwrap_resolve_sources(const struct sbx *s)
{
	for (size_t i = 0; i < s->nops; i++) {
		const struct sbx_op *op = &s->ops[i];
		if (op->type != SBX_BIND && op->type != SBX_RO_BIND && op->type != SBX_DEV_BIND)
			continue;
		char *real = realpath(op->source, NULL);
		if (!real && !(op->try_ && errno == ENOENT)) {
			fprintf(stderr, "bwrap: Can't find source path %s: %s\n", op->source, strerror(errno));
			return -1;
		}
		free(real);
	}
	return 0;
}

/* The mount list, in order; the fds it names are the launcher's copies, ours are closed (bwrap closes them). */
static int apply_mounts(const struct sbx *s, struct ck_spawn_attr *attr)
{
	int r;
	if (s->dialect == SBX_BWRAP && bwrap_resolve_sources(s) < 0)
		return -1;
	if (s->dialect == SBX_BWRAP && (r = ck_spawn_attr_set_new_root(attr, true)) < 0)
		return failed(s, "new root", -r);
	for (size_t i = 0; i < s->nops; i++) {
		const struct sbx_op *op = &s->ops[i];
		struct ck_mount m = {
			.size = sizeof(m),
			.type = mount_types[op->type],
			.flags = (op->try_ ? CK_MOUNT_TRY : 0) | (op->perms >= 0 ? CK_MOUNT_PERMS : 0),
			.source = op->source,
			.dest = op->dest,
			.fd = op->fd,
			.perms = op->perms >= 0 ? op->perms : 0,
			.tmpfs_size = op->size,
		};
		if ((r = ck_spawn_attr_add_mount(attr, &m)) < 0) {
			char what[PATH_MAX + 64];
			snprintf(what, sizeof(what), "%s %s", op->option, op->dest);
			return failed(s, what, -r);
		}
	}
	for (size_t i = 0; i < s->nops; i++)
		if (s->ops[i].fd >= 0)
			close(s->ops[i].fd);
	return 0;
}

/*
 * bwrap's capabilities: as root the command keeps clonekit's effective set
 * (bwrap's requested_caps start there) less --cap-drop plus --cap-add, and
 * without either option only the bounding set is cut in a new user
 * namespace; for anyone else it gets exactly --cap-add's (none by default).
 */
static int apply_caps(const struct sbx *s, struct ck_spawn_attr *attr, uint64_t ns)
{
	uint64_t eff = 0;
	int r = 0;
	bool root = getuid() == 0;

	if (s->dialect == SBX_OWN && !s->caps_used)
		return 0;
	if (root && !s->caps_used) {
		if (ns & CK_CLONE_NEWUSER) {
			ck_caps_effective(&eff);
			r = ck_spawn_attr_set_cap_bounding(attr, eff);
		}
	} else {
		r = ck_spawn_attr_set_caps(attr, s->caps);
	}
	return r < 0 ? failed(s, "capabilities", -r) : 0;
}

/*
 * clonekit run --uid/--gid as root: bwrap's one-line map would make the
 * command's uid N the caller's kuid 0, the owner of the host's files and
 * cgroups. Instead 0 and N map to themselves, the child sets up as 0 and
 * becomes N (the ids step) before execve, with no_new_privs so that no
 * setuid-root program brings 0 back.
 */
static int apply_root_ids(const struct sbx *s, struct ck_spawn_attr *attr)
{
	uid_t uid = s->uid != -1 ? (uid_t)s->uid : 0;
	gid_t gid = s->gid != -1 ? (gid_t)s->gid : 0;
	int r = ck_spawn_attr_add_uid_map(attr, 0, 0, 1);
	if (r == 0 && uid != 0)
		r = ck_spawn_attr_add_uid_map(attr, uid, uid, 1);
	if (r == 0)
		r = ck_spawn_attr_add_gid_map(attr, 0, 0, 1);
	if (r == 0 && gid != 0)
		r = ck_spawn_attr_add_gid_map(attr, gid, gid, 1);
	if (r == 0)
		r = ck_spawn_attr_set_user(attr, uid, gid);
	if (r == 0)
		r = ck_spawn_attr_set_no_new_privs(attr, true);
	return r;
}

static int apply_process(const struct sbx *s, struct ck_spawn_attr *attr, uint64_t ns)
{
	int r = 0;
	if (s->dialect == SBX_BWRAP)
		r = ck_spawn_attr_set_no_new_privs(attr, true); /* bwrap always sets it */
	if (r == 0 && s->new_session)
		r = ck_spawn_attr_set_new_session(attr, true);
	/* bwrap: an init as PID 1 of a new PID namespace unless --as-pid-1 */
	if (r == 0 && (s->dialect == SBX_BWRAP ? (ns & CK_CLONE_NEWPID) && !s->as_pid_1 : s->init))
		r = ck_spawn_attr_set_init(attr, true);
	if (r == 0 && s->disable_userns)
		r = ck_spawn_attr_set_disable_userns(attr, true);
	if (r == 0 && s->assert_userns_disabled)
		r = ck_spawn_attr_set_assert_userns_disabled(attr, true);
	for (size_t i = 0; r == 0 && i < s->nenv; i++) {
		const struct sbx_env *e = &s->env[i];
		r = !e->name ? ck_spawn_attr_clear_env(attr)
		    : e->value ? ck_spawn_attr_setenv(attr, e->name, e->value)
			       : ck_spawn_attr_unsetenv(attr, e->name);
		if (r < 0)
			return failed(s, e->name ? e->name : "--clearenv", -r);
	}
	if (r == 0 && s->dialect == SBX_OWN && (s->uid != -1 || s->gid != -1) && getuid() == 0)
		r = apply_root_ids(s, attr);
	else if (r == 0 && ((s->dialect == SBX_BWRAP && (ns & CK_CLONE_NEWUSER) && s->userns_block_fd < 0) ||
			    (s->dialect == SBX_OWN && (s->uid != -1 || s->gid != -1))))
		/* the caller's ids appear as --uid/--gid (default: the same) */
		r = ck_spawn_attr_map_ids(attr, s->uid != -1 ? (uid_t)s->uid : getuid(),
					  s->gid != -1 ? (gid_t)s->gid : getgid());
	return r < 0 ? failed(s, "process state", -r) : apply_caps(s, attr, ns);
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
		ck__spawn_attr_set_pwd(attr, true);
		if ((r = ck_spawn_attr_set_namespaces(attr, ns)) < 0)
			return failed(s, "namespaces", -r);
		if (s->hostname && (r = ck_spawn_attr_set_hostname(attr, s->hostname)) < 0)
			return refuse(s, "--hostname", "at most 64 bytes");
		if (s->die_with_parent)
			ck_spawn_attr_set_die_with_parent(attr, SIGKILL);
		if (s->chdir && (r = ck_spawn_attr_set_cwd(attr, s->chdir)) < 0)
			return failed(s, "--chdir", -r);
	}
	if (apply_mounts(s, attr) < 0 || apply_process(s, attr, ns) < 0)
		return -1;
	if ((r = ck_spawn_attr_set_info_fd(attr, s->info_fd)) < 0 ||
	    (r = ck_spawn_attr_set_json_status_fd(attr, s->json_status_fd)) < 0 ||
	    (r = ck_spawn_attr_set_block_fd(attr, s->block_fd)) < 0 ||
	    (r = ck_spawn_attr_set_userns_block_fd(attr, s->userns_block_fd)) < 0)
		return failed(s, "status fds", -r);
	if (apply_limits(s, attr) < 0)
		return -1;
	return apply_seccomp(s, attr);
}

void sbx_close_status_fds(struct sbx *s)
{
	/* the info fd was the attribute set's (closed once written); the json-status fd lives on in the child handle */
	if (s->json_status_fd >= 0)
		close(s->json_status_fd);
	s->info_fd = s->json_status_fd = -1;
}

/*
 * bwrap's --userns and --pidns: clonekit joins them itself before it starts
 * the child (one thread, so setns allows it), so that the child is created
 * in them. 0, or -1 once said why not, in bwrap's words.
 */
static int join_namespaces(const struct sbx *s)
{
	if (s->userns_fd >= 0 && setns(s->userns_fd, CLONE_NEWUSER) != 0) {
		if (errno == EINVAL)
			fprintf(stderr, "bwrap: Joining the specified user namespace failed, it might not be a descendant of the current user namespace.\n");
		else
			fprintf(stderr, "bwrap: Joining specified user namespace failed: %s\n", strerror(errno));
		return -1;
	}
	if (s->pidns_fd >= 0 && setns(s->pidns_fd, CLONE_NEWPID) != 0) {
		fprintf(stderr, "bwrap: Setting pidns failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * bwrap's --lock-file and --sync-fd: held for as long as the sandbox runs.
 * bwrap's init holds them inside; clonekit holds them outside, in the
 * process that waits for the sandbox, so a lock file's path is the
 * caller's view of it, not the sandbox's. Neither reaches the command.
 * Returns 0, or -1 once said why not, in bwrap's words.
 */
static int hold_locks(const struct sbx *s)
{
	for (size_t i = 0; i < s->nlock_files; i++) {
		int fd = open(s->lock_files[i], O_RDONLY | O_CLOEXEC);
		struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
		if (fd < 0) {
			fprintf(stderr, "bwrap: Unable to open lock file %s: %s\n", s->lock_files[i], strerror(errno));
			return -1;
		}
		if (fcntl(fd, F_SETLK, &l) < 0) {
			fprintf(stderr, "bwrap: Unable to lock file %s: %s\n", s->lock_files[i], strerror(errno));
			close(fd);
			return -1;
		}
		/* kept open (close-on-exec) until clonekit exits with the sandbox */
	}
	if (s->sync_fd >= 0 && fcntl(s->sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "bwrap: --sync-fd %d: %s\n", s->sync_fd, strerror(errno));
		return -1;
	}
	return 0;
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
	/* as bwrap: --die-with-parent binds bwrap itself to its parent too, and with it what it holds */
	if (s->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		ck_spawn_attr_free(attr);
		return failed(s, "prctl(PR_SET_PDEATHSIG)", errno) < 0 ? 1 : 1;
	}
	if (hold_locks(s) < 0 || join_namespaces(s) < 0) {
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
	/*
	 * As bwrap's parent: return with the program's status once the init has
	 * it, not after the init's exit has torn the namespaces down (the mount
	 * tree's unmount waits for an RCU grace period). The init, already
	 * exiting, is reaped by whoever reaps our orphans. --lock-file and
	 * --sync-fd are held until the sandbox is gone, so they wait for it.
	 */
	bool reaped = true;
	if (s->nlock_files || s->sync_fd >= 0)
		r = ck_spawn_wait(child, status);
	else
		r = ck__spawn_wait_program(child, status, &reaped);
	if (reaped)
		ck_spawn_free(child);
	else
		ck__spawn_child_forget(child);
	if (r < 0)
		return failed(s, "wait", -r) < 0 ? 1 : 1;
	return WIFEXITED(*status) ? WEXITSTATUS(*status) : WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : 255;
}
