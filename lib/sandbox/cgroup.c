/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup limits for ck_spawn: a fresh group per hierarchy under the
 * caller's cgroup (or the one ck_spawn_attr_set_cgroup names), its limits
 * written before the child exists, removed once the command has ended.
 * Controllers cgroup v2 holds get one v2 group, entered at birth with
 * CLONE_INTO_CGROUP; the others (a hybrid host's v1 hierarchies) get a v1
 * group each, whose cgroup.procs the child writes as its first step.
 */
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal/live.h"
#include "internal/util.h"
#include "sandbox/cgroup.h"

static const struct {
	const char *name;
	unsigned bit;
} controllers[] = {
	{ "memory", CK__CG_MEMORY },
	{ "pids", CK__CG_PIDS },
	{ "cpu", CK__CG_CPU },
};
#define NCONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

static unsigned controller_bit(const char *name)
{
	for (size_t i = 0; name && i < NCONTROLLERS; i++)
		if (strcmp(controllers[i].name, name) == 0)
			return controllers[i].bit;
	return 0;
}

/* A v1 hierarchy's mount of its whole tree that holds the controller arg. */
static bool holds_controller(const struct ck__cgroup_mount *m, const void *controller)
{
	return strcmp(m->root, "/") == 0 && ck__has_token(m->super, controller, ",");
}

/* The mount point of the v1 hierarchy that holds controller (its root mounted). */
static int v1_mount(const char *controller, char *buf, size_t len)
{
	struct ck__cgroup_mount m;
	int r = ck__cgroup_mount_find("cgroup", holds_controller, controller, &m);
	if (r == 0)
		snprintf(buf, len, "%s", m.mnt);
	return r;
}

/* The caller's cgroup path in the hierarchy of controller (NULL: the v2 one). */
static int own_path(const char *controller, char *buf, size_t len)
{
	char text[8192];
	ssize_t n = ck__read_small_file("/proc/self/cgroup", text, sizeof(text));
	if (n < 0)
		return (int)n;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (controller ? ck__has_token(c1 + 1, controller, ",") : (c1 == line + 1 && line[0] == '0' && c1[1] == '\0')) {
			snprintf(buf, len, "%s", c2 + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* Opens the v2 directory groups are made under: v2_parent, else the caller's. */
static int v2_parent_open(const char *v2_parent, int given_fd, char *dir, size_t len)
{
	char mnt[1024], path[2048];
	int r;

	if (given_fd >= 0) {
		snprintf(dir, len, "%s", v2_parent);
		r = fcntl(given_fd, F_DUPFD_CLOEXEC, 3);
		return r < 0 ? -errno : r;
	}
	if (v2_parent) {
		snprintf(dir, len, "%s", v2_parent);
	} else {
		if ((r = ck__cgroup2_mount(mnt, sizeof(mnt))) < 0 || (r = own_path(NULL, path, sizeof(path))) < 0)
			return r;
		if ((size_t)snprintf(dir, len, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path) >= len)
			return -ENAMETOOLONG;
	}
	r = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

static bool v2_has(int parent_fd, const char *file, const char *controller)
{
	char text[1024];
	return ck__read_small_file_at(parent_fd, file, text, sizeof(text)) >= 0 &&
	       ck__has_token(text, controller, " \n");
}

int ck_cgroup_mode(const char *controller, const char *v2_parent)
{
	char dir[2048], mnt[1024];
	if (!controller_bit(controller))
		return -EINVAL;
	int fd CK_AUTO_CLOSE = v2_parent_open(v2_parent, -1, dir, sizeof(dir));
	if (fd >= 0 && v2_has(fd, "cgroup.controllers", controller))
		return CK_CGROUP_V2;
	return v1_mount(controller, mnt, sizeof(mnt)) == 0 ? CK_CGROUP_V1 : -ENOENT;
}

bool ck__cgroup_wanted(const struct ck_spawn_attr *a)
{
	const struct ck_cgroup_limits *l = &a->limits;
	return l->memory_max || l->memory_swap_max || l->pids_max || l->cpu_quota_us;
}

static unsigned wanted_mask(const struct ck_cgroup_limits *l)
{
	return (l->memory_max || l->memory_swap_max ? CK__CG_MEMORY : 0) |
	       (l->pids_max ? CK__CG_PIDS : 0) | (l->cpu_quota_us ? CK__CG_CPU : 0);
}

static int put(int dirfd, const char *dir, const char *file, const char *value, char *why,
	       size_t len)
{
	int fd CK_AUTO_CLOSE = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, value, strlen(value));
	if (n == (ssize_t)strlen(value))
		return 0;
	int e = n < 0 ? errno : EIO;
	snprintf(why, len, "cgroup limits: writing '%s' to %s/%s: %s", value, dir, file, strerror(e));
	return -e;
}

/* Writes the limits of g's controllers, in the names of its version. */
static int put_limits(const struct ck__cgroup_group *g, int fd, const struct ck_cgroup_limits *l,
		      char *why, size_t len)
{
	char v[64];
	uint64_t period = l->cpu_period_us ? l->cpu_period_us : 100000;
	int r = 0;

	if ((g->controllers & CK__CG_MEMORY) && l->memory_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		r = put(fd, g->dir, g->v2 ? "memory.max" : "memory.limit_in_bytes", v, why, len);
		bool unlimited = l->memory_swap_max == CK_CGROUP_UNLIMITED ||
				 l->memory_swap_max > UINT64_MAX - l->memory_max;
		if (r == 0 && g->v2) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_swap_max);
			r = put(fd, g->dir, "memory.swap.max", unlimited ? "max" : v, why, len);
		} else if (r == 0) {
			/* v1 bounds memory+swap together: no swap allowed unless asked for; -1 no bound */
			snprintf(v, sizeof(v), "%llu", (unsigned long long)(l->memory_max + l->memory_swap_max));
			if (unlimited)
				snprintf(v, sizeof(v), "-1");
			int fd2 CK_AUTO_CLOSE = openat(fd, "memory.memsw.limit_in_bytes", O_WRONLY | O_CLOEXEC);
			if (fd2 >= 0 || l->memory_swap_max)
				r = put(fd, g->dir, "memory.memsw.limit_in_bytes", v, why, len);
		}
	}
	if (r == 0 && (g->controllers & CK__CG_PIDS)) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids_max);
		r = put(fd, g->dir, "pids.max", v, why, len);
	}
	if (r == 0 && (g->controllers & CK__CG_CPU) && g->v2) {
		snprintf(v, sizeof(v), "%llu %llu", (unsigned long long)l->cpu_quota_us,
			 (unsigned long long)period);
		r = put(fd, g->dir, "cpu.max", v, why, len);
	} else if (r == 0 && (g->controllers & CK__CG_CPU)) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)period);
		r = put(fd, g->dir, "cpu.cfs_period_us", v, why, len);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_quota_us);
		if (r == 0)
			r = put(fd, g->dir, "cpu.cfs_quota_us", v, why, len);
	}
	return r;
}

static void group_init(struct ck__cgroup_group *g)
{
	memset(g, 0, sizeof(*g));
	g->parent_fd = g->procs_fd = g->dir_fd = -1;
}

/* Makes g (parent_fd, dir's parent in pdir, controllers and v2 set) and writes its limits. */
static int group_make(struct ck__cgroup_group *g, const char *pdir, const struct ck_cgroup_limits *l,
		      char *why, size_t len)
{
	static atomic_uint counter;
	char dir[4096];
	int r;

	snprintf(g->name, sizeof(g->name), "clonekit-spawn-%d-%u", (int)getpid(),
		 atomic_fetch_add(&counter, 1));
	snprintf(dir, sizeof(dir), "%s/%s", pdir, g->name);
	if (!(g->dir = strdup(dir)))
		return -ENOMEM;
	if (mkdirat(g->parent_fd, g->name, 0755) < 0) {
		r = -errno;
		snprintf(why, len, "cgroup limits: mkdir %s: %s%s", dir, strerror(-r),
			 r == -EACCES || r == -EPERM ? " (the caller needs a delegated cgroup subtree there)" : "");
		g->name[0] = '\0';
		return r;
	}
	int fd CK_AUTO_CLOSE = openat(g->parent_fd, g->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(why, len, "cgroup limits: open %s: %s", dir, strerror(-r));
		return r;
	}
	if ((r = put_limits(g, fd, l, why, len)) < 0)
		return r;
	if (g->v2) {
		g->dir_fd = ck__take_fd(&fd);
		return 0;
	}
	g->procs_fd = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (g->procs_fd < 0) {
		r = -errno;
		snprintf(why, len, "cgroup limits: open %s/cgroup.procs: %s", dir, strerror(-r));
		return r;
	}
	return 0;
}

/* Enables the v2 controllers of mask in the parent's subtree_control where they are not yet. */
static int v2_enable(int parent_fd, const char *pdir, unsigned mask, char *why, size_t len)
{
	for (size_t i = 0; i < NCONTROLLERS; i++) {
		char plus[16];
		int r;
		if (!(mask & controllers[i].bit) ||
		    v2_has(parent_fd, "cgroup.subtree_control", controllers[i].name))
			continue;
		snprintf(plus, sizeof(plus), "+%s", controllers[i].name);
		if ((r = put(parent_fd, pdir, "cgroup.subtree_control", plus, why, len)) < 0)
			return r;
	}
	return 0;
}

static int make_v2(struct ck__cgroups *cg, const struct ck_spawn_attr *a, unsigned *left,
		   char *why, size_t len)
{
	char pdir[2048];
	unsigned mask = 0;
	int pfd = v2_parent_open(a->cgroup_path, a->cgroup_fd, pdir, sizeof(pdir));
	int r;

	if (pfd < 0)
		return 0; /* no v2 hierarchy to use: every controller goes to v1 */
	for (size_t i = 0; i < NCONTROLLERS; i++)
		if ((*left & controllers[i].bit) && v2_has(pfd, "cgroup.controllers", controllers[i].name))
			mask |= controllers[i].bit;
	if (!mask) {
		close(pfd);
		return 0;
	}
	struct ck__cgroup_group *g = &cg->g[cg->n++];
	g->parent_fd = pfd;
	g->v2 = true;
	g->controllers = mask;
	*left &= ~mask;
	if ((r = v2_enable(pfd, pdir, mask, why, len)) < 0)
		return r;
	return group_make(g, pdir, &a->limits, why, len);
}

static int make_v1(struct ck__cgroups *cg, const struct ck_spawn_attr *a, unsigned *left,
		   char *why, size_t len)
{
	for (size_t i = 0; i < NCONTROLLERS; i++) {
		char mnt[1024], path[2048], pdir[4096];
		const char *name = controllers[i].name;
		int r;
		if (!(*left & controllers[i].bit))
			continue;
		if (v1_mount(name, mnt, sizeof(mnt)) < 0 || own_path(name, path, sizeof(path)) < 0) {
			snprintf(why, len,
				 "cgroup limits: the %s controller is neither on cgroup v2 under the parent cgroup nor mounted as a cgroup v1 hierarchy",
				 name);
			return -ENOENT;
		}
		if ((size_t)snprintf(pdir, sizeof(pdir), "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path) >= sizeof(pdir))
			return -ENAMETOOLONG;
		struct ck__cgroup_group *g = &cg->g[cg->n++];
		g->controllers = controllers[i].bit;
		/* co-mounted controllers of the same hierarchy share one group */
		for (size_t j = i + 1; j < NCONTROLLERS; j++) {
			char other[1024];
			if ((*left & controllers[j].bit) && v1_mount(controllers[j].name, other, sizeof(other)) == 0 &&
			    strcmp(other, mnt) == 0)
				g->controllers |= controllers[j].bit;
		}
		*left &= ~g->controllers;
		g->parent_fd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (g->parent_fd < 0) {
			r = -errno;
			snprintf(why, len, "cgroup limits: open %s: %s", pdir, strerror(-r));
			return r;
		}
		if ((r = group_make(g, pdir, &a->limits, why, len)) < 0)
			return r;
	}
	return 0;
}

int ck__cgroups_create(const struct ck_spawn_attr *a, struct ck__cgroups **out, char *why,
		       size_t len)
{
	struct ck__cgroups *cg = calloc(1, sizeof(*cg));
	unsigned left = wanted_mask(&a->limits);
	int r;

	*out = NULL;
	if (!cg) {
		snprintf(why, len, "cgroup limits: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < CK__CG_GROUPS; i++)
		group_init(&cg->g[i]);
	r = make_v2(cg, a, &left, why, len);
	if (r == 0)
		r = make_v1(cg, a, &left, why, len);
	if (r < 0) {
		ck__cgroups_close(cg, true);
		return r;
	}
	*out = cg;
	return 0;
}

int ck__cgroups_v2_fd(const struct ck__cgroups *cg)
{
	for (size_t i = 0; cg && i < cg->n; i++)
		if (cg->g[i].v2)
			return cg->g[i].dir_fd;
	return -1;
}

void ck__cgroups_launched(struct ck__cgroups *cg)
{
	for (size_t i = 0; cg && i < cg->n; i++)
		if (cg->g[i].procs_fd >= 0) {
			close(cg->g[i].procs_fd);
			cg->g[i].procs_fd = -1;
		}
}

/* SIGKILL to every process the group still holds; whether it held any. */
static bool kill_members(const struct ck__cgroup_group *g)
{
	char text[16384];
	bool any = false;
	int fd CK_AUTO_CLOSE = openat(g->parent_fd, g->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* v2 kills the whole group at once, forks racing with it included (5.14+) */
	if (g->v2) {
		int kfd CK_AUTO_CLOSE = openat(fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (kfd >= 0 && write(kfd, "1", 1) == 1)
			return true;
	}
	if (ck__read_small_file_at(fd, "cgroup.procs", text, sizeof(text)) < 0)
		return false;
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			any = true;
		p = end + strspn(end, "\n");
	}
	return any;
}

/* rmdir, killing what is left first; gives up after about two seconds (the directory stays). */
static void group_remove(struct ck__cgroup_group *g)
{
	for (int i = 0; i < 200; i++) {
		if (unlinkat(g->parent_fd, g->name, AT_REMOVEDIR) == 0 || errno != EBUSY)
			return;
		kill_members(g);
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
}

void ck__cgroups_close(struct ck__cgroups *cg, bool remove)
{
	if (!cg)
		return;
	ck__cgroups_launched(cg);
	for (size_t i = 0; i < cg->n; i++) {
		struct ck__cgroup_group *g = &cg->g[i];
		if (g->dir_fd >= 0)
			close(g->dir_fd);
		if (remove && g->name[0] && g->parent_fd >= 0)
			group_remove(g);
		if (g->parent_fd >= 0)
			close(g->parent_fd);
		free(g->dir);
	}
	free(cg);
}

int ck_spawn_cgroup_dir(const struct ck_child *child, const char *controller, char *buf,
			size_t len)
{
	unsigned bit = controller_bit(controller);
	if (!child || !bit || !buf)
		return -EINVAL;
	for (size_t i = 0; child->cgroups && i < child->cgroups->n; i++) {
		const struct ck__cgroup_group *g = &child->cgroups->g[i];
		if (!(g->controllers & bit) || !g->name[0])
			continue;
		if (strlen(g->dir) >= len)
			return -ERANGE;
		snprintf(buf, len, "%s", g->dir);
		return 0;
	}
	return -ENOENT;
}
