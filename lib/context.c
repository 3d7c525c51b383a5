/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ck_context_current(): what the kernel will see of the calling process. */
#include <clonekit/validate.h>

#include <errno.h>
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

/* The value of a "Key:\tvalue" line of /proc/self/status, or NULL. */
static const char *status_field(const char *status, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ':')
			return p + n + 1;
	return NULL;
}

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
	if (ck_read_small_file(map_path, map, sizeof(map)) < 0)
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

int ck_context_current(struct ck_context *ctx)
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

	if (!ctx)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->kernel = ck_kernel_version_running();
	if (!ctx->kernel)
		return -errno;

	ssize_t len = ck_read_small_file("/proc/self/status", status, sizeof(status));
	if (len < 0)
		return (int)len;
	v = status_field(status, "CapEff");
	if (!v)
		return -ENOTSUP;
	ctx->cap_effective = strtoull(v, NULL, 16);
	v = status_field(status, "Threads");
	ctx->multithreaded = v && strtol(v, NULL, 10) > 1;
	v = status_field(status, "NSpid");
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
			ck_pid_in_use_in_pidns("/proc/self/ns/pid_for_children", 0);
	same_inode("/proc/self/ns/time", "/proc/self/ns/time_for_children",
		   &ctx->timens_for_children_differs);
	ctx->sighand_shared = false;

	ctx->unprivileged_userns_clone =
		ck_read_ll("/proc/sys/kernel/unprivileged_userns_clone", &n) == 0 ? (int)n : -1;
	ctx->apparmor_restrict_userns =
		ck_read_ll("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &n) == 0
			? (int)n : -1;
	for (int i = 0; i < CK_NS__COUNT; i++)
		ctx->max_ns[i] = ck_read_ll(limit_files[i], &n) == 0 ? n : -1;
	ctx->pid_max = ck_read_ll("/proc/sys/kernel/pid_max", &n) == 0 ? (int)n : 0;
	ctx->live = true;
	return 0;
}
