/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_context_current(): what the kernel will see of the calling process. */
#include <clonekit/validate.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/live.h"
#include "internal/util.h"

/* Inode numbers of the initial namespaces (include/linux/proc_ns.h). */
#define CK_PROC_USER_INIT_INO 0xEFFFFFFDu
#define CK_PROC_PID_INIT_INO 0xEFFFFFFCu

static bool same_inode(const char *a, const char *b, bool *differs)
{
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return false;
	*differs = sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev;
	return true;
}

static ino_t ns_inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Is id inside one of the ranges of a uid_map/gid_map file? */
static bool id_mapped(const char *map_path, unsigned long id)
{
	char map[4096];
	if (ck__read_small_file(map_path, map, sizeof(map)) < 0)
		return true; /* no map file: not a user-namespace kernel */
	for (char *line = map; line && *line;) {
		unsigned long inside, outside, count;
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3 && id >= inside &&
		    id - inside < count)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* Does any line of /proc/self/mountinfo have "/" as its mount point? */
static bool root_is_a_mount_point(void)
{
	char line[4096], mnt[8];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %7s", mnt) == 1 && strcmp(mnt, "/") == 0;
	fclose(f);
	return found;
}

/*
 * The kernel's current_chrooted() compares the root with the mount
 * namespace's root. From user space: the root differs from PID 1's while both
 * share the mount namespace; where PID 1 cannot be inspected (unprivileged,
 * or another mount namespace), a root that is no mount point at all is a
 * chroot: mountinfo hides the mounts above the root. A chroot into a mount
 * point is then not seen.
 */
static bool chrooted(void)
{
	bool ns_differs = true, root_differs = false;
	if (same_inode("/proc/self/ns/mnt", "/proc/1/ns/mnt", &ns_differs) && !ns_differs &&
	    same_inode("/", "/proc/1/root/", &root_differs))
		return root_differs;
	return !root_is_a_mount_point();
}

static int context_fill(struct ck_context *ctx)
{
	static const char *const limit_files[CK_NS__COUNT] = {
		"/proc/sys/user/max_user_namespaces", "/proc/sys/user/max_pid_namespaces",
		"/proc/sys/user/max_net_namespaces", "/proc/sys/user/max_mnt_namespaces",
		"/proc/sys/user/max_uts_namespaces", "/proc/sys/user/max_ipc_namespaces",
		"/proc/sys/user/max_cgroup_namespaces", "/proc/sys/user/max_time_namespaces",
	};
	char status[8192];
	const char *v;
	long long n;

	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->kernel = ck_kernel_version_running();
	if (!ctx->kernel)
		return -errno;

	ssize_t len = ck__read_small_file("/proc/self/status", status, sizeof(status));
	if (len < 0)
		return (int)len;
	v = ck__status_field(status, "CapEff");
	if (!v)
		return -ENOTSUP;
	ctx->cap_effective = strtoull(v, NULL, 16);
	v = ck__status_field(status, "Threads");
	ctx->multithreaded = v && strtol(v, NULL, 10) > 1;
	v = ck__status_field(status, "NSpid");
	if (v) {
		unsigned entries = 0;
		for (const char *p = v; *p && *p != '\n';) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != '\n')
				entries++;
			while (*p && *p != '\n' && *p != ' ' && *p != '\t')
				p++;
		}
		if (entries > 1)
			ctx->pidns_level = entries - 1;
	}
	if (ctx->pidns_level == 0 && ns_inode("/proc/self/ns/pid") != CK_PROC_PID_INIT_INO)
		ctx->pidns_level = 1;
	/* the depth of a non-initial user namespace is not visible from inside it */
	ctx->userns_level = ns_inode("/proc/self/ns/user") != CK_PROC_USER_INIT_INO ? 1 : 0;

	ctx->ids_mapped = id_mapped("/proc/self/uid_map", (unsigned long)geteuid()) &&
			  id_mapped("/proc/self/gid_map", (unsigned long)getegid());
	ctx->chrooted = chrooted();
	ctx->is_init = getpid() == 1;
	same_inode("/proc/self/ns/pid", "/proc/self/ns/pid_for_children",
		   &ctx->pidns_for_children_differs);
	if (ctx->pidns_for_children_differs)
		ctx->pidns_for_children_has_init =
			ck__pid_in_use_in_pidns("/proc/self/ns/pid_for_children", 0);
	same_inode("/proc/self/ns/time", "/proc/self/ns/time_for_children",
		   &ctx->timens_for_children_differs);
	ctx->sighand_shared = false;

	ctx->unprivileged_userns_clone =
		ck__read_ll("/proc/sys/kernel/unprivileged_userns_clone", &n) == 0 ? (int)n : -1;
	ctx->apparmor_restrict_userns =
		ck__read_ll("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &n) == 0
			? (int)n : -1;
	for (int i = 0; i < CK_NS__COUNT; i++)
		ctx->max_ns[i] = ck__read_ll(limit_files[i], &n) == 0 ? n : -1;
	ctx->pid_max = ck__read_ll("/proc/sys/kernel/pid_max", &n) == 0 ? (int)n : 0;
	ctx->live = true;
	return 0;
}

int ck_context_current(struct ck_context *ctx)
{
	struct ck_context full;

	if (!ctx || ctx->size < offsetof(struct ck_context, live))
		return -EINVAL;
	int r = context_fill(&full);
	if (r < 0)
		return r;
	return ck__opts_copy_out(ctx, ctx->size, &full, sizeof(full), offsetof(struct ck_context, live));
}

/* ---- ck_cgroup_target_probe(): the CLONE_INTO_CGROUP target, as the kernel judges it ---- */

#define CK_PROC_CGROUP_INIT_INO 0xEFFFFFFBu
#define CK_CAP_DAC_OVERRIDE 1

/* Is gid the caller's effective or a supplementary group? */
static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(CK_ARRAY_SIZE(groups), groups);
	if (gid == getegid())
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * generic_permission(MAY_WRITE) for a cgroup file from its mode, owner and
 * the caller's credentials (kernfs has no ACLs). Used where faccessat()
 * answers EROFS: a read-only mount, which the kernel's check ignores.
 */
static int mode_allows_write(const struct stat *st)
{
	char status[8192];
	const char *cap;
	bool w;

	if (st->st_uid == geteuid())
		w = st->st_mode & S_IWUSR;
	else if (in_group(st->st_gid))
		w = st->st_mode & S_IWGRP;
	else
		w = st->st_mode & S_IWOTH;
	if (w)
		return 1;
	if (ck__read_small_file("/proc/thread-self/status", status, sizeof(status)) < 0 ||
	    !(cap = ck__status_field(status, "CapEff")))
		return -1;
	/* CAP_DAC_OVERRIDE counts only over files whose owner and group the namespace maps */
	return (strtoull(cap, NULL, 16) & (UINT64_C(1) << CK_CAP_DAC_OVERRIDE)) &&
	       id_mapped("/proc/self/uid_map", st->st_uid) &&
	       id_mapped("/proc/self/gid_map", st->st_gid);
}

/* May the caller write dirfd's cgroup.procs, as cgroup_may_write() decides? 1, 0, -1. */
static int procs_writable(int dirfd)
{
	struct stat st;

	if (faccessat(dirfd, "cgroup.procs", W_OK, AT_EACCESS) == 0)
		return 1;
	if (errno == EACCES || errno == EPERM)
		return 0;
	if (errno == EROFS && fstatat(dirfd, "cgroup.procs", &st, 0) == 0)
		return mode_allows_write(&st);
	return -1;
}

/* Classifies cgroup.subtree_control: domain and thread-capable controllers. */
static void subtree_controllers(int dirfd, struct ck_cgroup_target *t)
{
	char ctl[512], *save = NULL;

	if (ck__read_small_file_at(dirfd, "cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
		return;
	for (char *w = strtok_r(ctl, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (ck__cgroup_controller_threaded(w))
			t->threaded_controllers = true;
		else
			t->domain_controllers = true;
	}
}

/* Does a child cgroup that is not threaded hold processes (nr_populated_domain_children)? */
static bool populated_domain_child(int dirfd)
{
	char type[32], events[256];
	bool found = false;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		int child CK_AUTO_CLOSE = openat(fd, e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (child < 0 || ck__read_small_file_at(child, "cgroup.type", type, sizeof(type)) < 0 ||
		    strcmp(type, "threaded") == 0 ||
		    ck__read_small_file_at(child, "cgroup.events", events, sizeof(events)) < 0)
			continue;
		found = strncmp(events, "populated 1", 11) == 0 || strstr(events, "\npopulated 1");
	}
	closedir(d);
	return found;
}

/* Does the cgroup.threads file of dirfd list the calling thread? */
static bool lists_this_thread(int dirfd)
{
	char line[32];
	bool found = false;
	int fd = openat(dirfd, "cgroup.threads", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = strtol(line, NULL, 10) == (long)gettid();
	fclose(f);
	return found;
}

/*
 * The caller's own cgroup as a chain up the target's mount.
 * /proc/thread-self/cgroup names the cgroup relative to that root, which is
 * the mount's root in ordinary setups and some other ancestor of the target
 * when the namespace was made after the mount; each of the target's
 * ancestors is tried, and cgroup.threads listing the caller confirms it.
 * 0; -1 when not found; -2 when the cgroup lies above the namespace's root.
 */
static int own_chain(const struct ck__cgroup_chain *target, struct ck__cgroup_chain *own)
{
	char cg[4096];
	const char *path;
	size_t depth = 0;

	if (ck__read_small_file("/proc/thread-self/cgroup", cg, sizeof(cg)) < 0)
		return -1;
	path = strncmp(cg, "0::", 3) == 0 ? cg + 3 : strstr(cg, "\n0::");
	if (!path)
		return -1;
	if (path != cg + 3)
		path += 4;
	char *nl = strchr(path, '\n');
	if (nl)
		*nl = '\0';
	if (strncmp(path, "/..", 3) == 0)
		return -2;
	if (path[0] != '/')
		return -1;
	for (const char *p = path; *p; p++)
		depth += p[0] == '/' && p[1] && p[1] != '/';
	for (size_t k = target->n; k-- > 0;) {
		int fd CK_AUTO_CLOSE = openat(target->fd[k], path[1] ? path + 1 : ".",
					      O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !lists_this_thread(fd) || ck__cgroup_chain_open(fd, own) < 0)
			continue;
		/* the namespace's root, depth levels above, must be the ancestor tried */
		if (own->n > depth && ck__cgroup_chain_find(target, own->dev, own->ino[depth]) == (int)k)
			return 0;
		ck__cgroup_chain_close(own);
	}
	return -1;
}

/* How the target relates to the caller's cgroup: common ancestor, domains, namespace. */
static void relate_to_caller(const struct ck__cgroup_chain *tc, struct ck_cgroup_target *t)
{
	struct ck__cgroup_chain own;
	bool init_ns = ns_inode("/proc/thread-self/ns/cgroup") == CK_PROC_CGROUP_INIT_INO;
	/* only with nsdelegate must both cgroups lie inside the caller's namespace */
	int delegate = init_ns ? 0 : ck__cgroup2_nsdelegate(tc->dev);
	int found = own_chain(tc, &own);

	t->outside_namespace = delegate == 0 ? 0 : delegate == 1 && found == -2 ? 1 : -1;
	if (found < 0)
		return;
	if (delegate == 1)
		t->outside_namespace = 0; /* the namespace's root is an ancestor of both */
	/* the kernel walks up from the caller's cgroup until the target lies below */
	for (size_t i = 0; i < own.n; i++) {
		int at = ck__cgroup_chain_find(tc, own.dev, own.ino[i]);
		if (at >= 0) {
			t->ancestor_procs_writable = procs_writable(tc->fd[at]);
			break;
		}
	}
	size_t td = ck__cgroup_chain_domain(tc), od = ck__cgroup_chain_domain(&own);
	t->same_domain = tc->ino[td] == own.ino[od];
	ck__cgroup_chain_close(&own);
}

int ck_cgroup_target_probe(int fd, struct ck_cgroup_target *t)
{
	struct ck__cgroup_chain tc;
	char type[32];

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->procs_writable = t->ancestor_procs_writable = -1;
	t->outside_namespace = t->same_domain = -1;
	t->state = ck__cgroup_fd_state(fd);
	if (t->state != CK_CGROUP_FD_CGROUP2)
		return 0;

	t->procs_writable = procs_writable(fd);
	ssize_t n = ck__read_small_file_at(fd, "cgroup.type", type, sizeof(type));
	t->is_root = n == -ENOENT; /* only the root has no cgroup.type */
	t->threaded = n >= 0 && strcmp(type, "threaded") == 0;
	subtree_controllers(fd, t);
	t->populated_domain_child = populated_domain_child(fd);
	if (ck__cgroup_chain_open(fd, &tc) < 0)
		return 0;
	/* a threaded cgroup's domain is the root of its threaded subtree */
	size_t dom = ck__cgroup_chain_domain(&tc);
	t->domain_invalid = ck__read_small_file_at(tc.fd[dom], "cgroup.type", type, sizeof(type)) >= 0 &&
			    strcmp(type, "domain invalid") == 0;
	relate_to_caller(&tc, t);
	ck__cgroup_chain_close(&tc);
	return 0;
}
