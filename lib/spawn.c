/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_spawn: posix_spawn with namespaces, id maps, a hostname, /proc, time
 * offsets, a cgroup, a pidfd, die-with-parent, seccomp filters, a listener
 * and a hold before execve. This file holds the attribute set and the child
 * handle; the launch itself is lib/internal/launch.c, shared with
 * ck_trace_spawn, and what a failure says is lib/internal/launch_error.c.
 */
#include <clonekit/flags.h>
#include <clonekit/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/spawn.h"
#include "internal/util.h"
#include "sandbox/mount.h"
#include "sandbox/proc.h"
#include "sandbox/cgroup.h"

#define NSIG_KERNEL 64

#define NAMESPACES                                                                             \
	(CK_CLONE_NEWUSER | CK_CLONE_NEWPID | CK_CLONE_NEWNET | CK_CLONE_NEWNS | CK_CLONE_NEWUTS | \
	 CK_CLONE_NEWIPC | CK_CLONE_NEWCGROUP | CK_CLONE_NEWTIME)
#define SHAREABLE (CK_CLONE_FS | CK_CLONE_IO | CK_CLONE_SYSVSEM | CK_CLONE_VM)

/* ---- the attribute set ---- */

struct ck_spawn_attr *ck_spawn_attr_new(void)
{
	struct ck_spawn_attr *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cgroup_fd = -1;
	a->info_fd = a->json_status_fd = a->block_fd = a->userns_block_fd = -1;
	a->exit_signal = SIGCHLD;
	a->search_path = true;
	return a;
}

void ck_spawn_attr_free(struct ck_spawn_attr *a)
{
	if (!a)
		return;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	if (a->info_fd >= 0)
		close(a->info_fd);
	free(a->cgroup_path);
	free(a->cwd);
	free(a->filter.bpf);
	for (size_t i = 0; i < a->nfilters; i++)
		free(a->filters[i].bpf);
	free(a->filters);
	free(a->listener.bpf);
	ck__mount_ops_free(a);
	ck__envops_free(a);
	free(a);
}

int ck_spawn_attr_set_namespaces(struct ck_spawn_attr *a, uint64_t flags)
{
	if (!a || (flags & ~NAMESPACES))
		return -EINVAL;
	a->namespaces = flags;
	return 0;
}

int ck_spawn_attr_set_share(struct ck_spawn_attr *a, uint64_t flags)
{
	if (!a || (flags & ~SHAREABLE))
		return -EINVAL;
	a->share = flags;
	return 0;
}

static int add_map(struct ck__idmap *maps, size_t *n, uint32_t inside, uint32_t outside, uint32_t count)
{
	if (count == 0 || *n >= CK_SPAWN_MAX_MAPS || inside + (uint64_t)count - 1 > UINT32_MAX - 1 ||
	    outside + (uint64_t)count - 1 > UINT32_MAX - 1)
		return -EINVAL;
	maps[(*n)++] = (struct ck__idmap){ inside, outside, count };
	return 0;
}

int ck_spawn_attr_add_uid_map(struct ck_spawn_attr *a, uint32_t inside, uint32_t outside,
			      uint32_t count)
{
	return a ? add_map(a->uid, &a->nuid, inside, outside, count) : -EINVAL;
}

int ck_spawn_attr_add_gid_map(struct ck_spawn_attr *a, uint32_t inside, uint32_t outside,
			      uint32_t count)
{
	return a ? add_map(a->gid, &a->ngid, inside, outside, count) : -EINVAL;
}

int ck_spawn_attr_set_user(struct ck_spawn_attr *a, uid_t uid, gid_t gid)
{
	if (!a || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	a->set_user = true;
	a->user_uid = uid;
	a->user_gid = gid;
	return 0;
}

int ck_spawn_attr_map_root(struct ck_spawn_attr *a)
{
	return ck_spawn_attr_map_ids(a, 0, 0);
}

int ck_spawn_attr_map_user(struct ck_spawn_attr *a)
{
	int r = ck_spawn_attr_map_ids(a, 0, 0);
	if (r == 0)
		a->self_uid = a->self_gid = CK__SELF; /* the caller's own, read at spawn */
	return r;
}

int ck_spawn_attr_set_hostname(struct ck_spawn_attr *a, const char *name)
{
	if (!a || !name || strlen(name) >= sizeof(a->hostname))
		return -EINVAL;
	snprintf(a->hostname, sizeof(a->hostname), "%s", name);
	a->has_hostname = true;
	return 0;
}

int ck_spawn_attr_set_mount_proc(struct ck_spawn_attr *a, bool mount_proc)
{
	if (!a)
		return -EINVAL;
	a->mount_proc = mount_proc;
	return 0;
}

int ck_spawn_attr_set_time_offset(struct ck_spawn_attr *a, clockid_t clock, int64_t sec, long nsec)
{
	int i = clock == CLOCK_MONOTONIC ? 0 : clock == CLOCK_BOOTTIME ? 1 : -1;
	if (!a || i < 0 || nsec < 0 || nsec >= 1000000000L)
		return -EINVAL;
	a->has_offset[i] = true;
	a->offset_sec[i] = sec;
	a->offset_nsec[i] = nsec;
	return 0;
}

int ck_spawn_attr_set_cgroup(struct ck_spawn_attr *a, const char *dir)
{
	if (!a || !dir)
		return -EINVAL;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *copy = strdup(dir);
	if (!copy) {
		close(fd);
		return -ENOMEM;
	}
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	if (a->info_fd >= 0)
		close(a->info_fd);
	free(a->cgroup_path);
	a->cgroup_fd = fd;
	a->cgroup_path = copy;
	return 0;
}

/* cgroup limits (sbx-res) */
int ck_spawn_attr_set_cgroup_limits(struct ck_spawn_attr *a, const struct ck_cgroup_limits *l)
{
	struct ck_cgroup_limits c = { 0 };
	if (!a)
		return -EINVAL;
	if (l && ck__opts_copy_in(&c, sizeof(c), l, l->size, sizeof(size_t)) < 0)
		return -EINVAL;
	if ((c.memory_swap_max && !c.memory_max) || (c.cpu_period_us && !c.cpu_quota_us) ||
	    (c.cpu_quota_us && c.cpu_quota_us < 1000) ||
	    (c.cpu_period_us && (c.cpu_period_us < 1000 || c.cpu_period_us > 1000000)))
		return -EINVAL;
	c.size = sizeof(c);
	a->limits = c;
	return 0;
}

int ck_spawn_attr_set_cwd(struct ck_spawn_attr *a, const char *dir)
{
	if (!a || !dir)
		return -EINVAL;
	char *copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	free(a->cwd);
	a->cwd = copy;
	return 0;
}

int ck_spawn_attr_add_fd(struct ck_spawn_attr *a, int parent_fd, int child_fd)
{
	if (!a || parent_fd < 0 || child_fd < 0 || a->nfds >= CK_SPAWN_MAX_FDS)
		return -EINVAL;
	for (size_t i = 0; i < a->nfds; i++)
		if (a->fds[i].to == child_fd)
			return -EINVAL; /* two fds cannot become one */
	a->fds[a->nfds++] = (struct ck__fdmap){ parent_fd, child_fd };
	return 0;
}

int ck_spawn_attr_set_die_with_parent(struct ck_spawn_attr *a, int sig)
{
	if (!a || sig < 0 || sig > NSIG_KERNEL)
		return -EINVAL;
	a->pdeath_sig = sig;
	return 0;
}

int ck_spawn_attr_set_exit_signal(struct ck_spawn_attr *a, int sig)
{
	if (!a || sig < 0 || sig > NSIG_KERNEL)
		return -EINVAL;
	a->exit_signal = sig;
	return 0;
}

int ck_spawn_attr_set_search_path(struct ck_spawn_attr *a, bool search)
{
	if (!a)
		return -EINVAL;
	a->search_path = search;
	return 0;
}

static int take_filter(struct ck__filter *f, void *bpf, size_t len)
{
	if (bpf && (len == 0 || len % 8 || len / 8 > 4096)) {
		free(bpf);
		return -EINVAL;
	}
	free(f->bpf);
	f->bpf = bpf;
	f->len = bpf ? len : 0;
	return 0;
}

int ck__spawn_attr_take_filter(struct ck_spawn_attr *a, void *bpf, size_t len)
{
	if (!a) {
		free(bpf);
		return -EINVAL;
	}
	return take_filter(&a->filter, bpf, len);
}

int ck__spawn_attr_add_filter(struct ck_spawn_attr *a, void *bpf, size_t len)
{
	struct ck__filter *grown;
	if (!a || !bpf || len == 0 || len % sizeof(uint64_t) != 0 ||
	    !(grown = realloc(a->filters, (a->nfilters + 1) * sizeof(*grown)))) {
		free(bpf);
		return a && bpf && len && len % sizeof(uint64_t) == 0 ? -ENOMEM : -EINVAL;
	}
	a->filters = grown;
	a->filters[a->nfilters++] = (struct ck__filter){ bpf, len };
	return 0;
}

int ck__spawn_attr_set_pwd(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->set_pwd = on;
	return 0;
}

int ck__spawn_attr_take_listener(struct ck_spawn_attr *a, void *bpf, size_t len, unsigned flags)
{
	if (!a) {
		free(bpf);
		return -EINVAL;
	}
	int r = take_filter(&a->listener, bpf, len);
	if (r == 0)
		a->listener_flags = bpf ? flags : 0;
	return r;
}

int ck_spawn_attr_set_pre_exec(struct ck_spawn_attr *a, int (*hook)(void *), void *data)
{
	if (!a)
		return -EINVAL;
	a->hook = hook;
	a->hook_data = data;
	return 0;
}

int ck_spawn_attr_set_keep_fds(struct ck_spawn_attr *a, bool keep)
{
	if (!a)
		return -EINVAL;
	a->keep_fds = keep;
	return 0;
}

int ck_spawn_attr_set_hold(struct ck_spawn_attr *a, bool hold)
{
	if (!a)
		return -EINVAL;
	a->hold = hold;
	return 0;
}

/* ---- status for supervisors ---- */

/* fd -1 turns it off; any other negative fd is -EINVAL. The caller keeps the fd. */
static int set_status_fd(struct ck_spawn_attr *a, int *slot, int fd)
{
	if (!a || fd < -1)
		return -EINVAL;
	*slot = fd;
	return 0;
}

int ck_spawn_attr_set_info_fd(struct ck_spawn_attr *a, int fd)
{
	if (!a || fd < -1)
		return -EINVAL;
	if (a->info_fd >= 0)
		close(a->info_fd);
	a->info_fd = fd;
	return 0;
}

int ck_spawn_attr_set_json_status_fd(struct ck_spawn_attr *a, int fd)
{
	return a ? set_status_fd(a, &a->json_status_fd, fd) : -EINVAL;
}

int ck_spawn_attr_set_block_fd(struct ck_spawn_attr *a, int fd)
{
	return a ? set_status_fd(a, &a->block_fd, fd) : -EINVAL;
}

int ck_spawn_attr_set_userns_block_fd(struct ck_spawn_attr *a, int fd)
{
	return a ? set_status_fd(a, &a->userns_block_fd, fd) : -EINVAL;
}

/* ---- process state (sbx-proc); the rest is in lib/sandbox/ ---- */

int ck_spawn_attr_set_no_new_privs(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->no_new_privs = on;
	return 0;
}

int ck_spawn_attr_set_new_session(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->new_session = on;
	return 0;
}

/* ---- starting ---- */

int ck_spawn(struct ck_child **out, const char *file, char *const argv[], char *const envp[],
	     const struct ck_spawn_attr *attr, struct ck_spawn_error *err)
{
	struct ck_spawn_attr *fallback = NULL;
	int r;

	if (!out || !file || !argv) {
		struct ck__failure f = { .step = CK__STEP_ARGUMENTS, .err = EINVAL,
					 .why = !out ? "child is NULL" : !file ? "file is NULL" : "argv is NULL" };
		ck__spawn_error_set(err, &f);
		return -EINVAL;
	}
	*out = NULL;
	if (!attr) {
		fallback = ck_spawn_attr_new();
		if (!fallback) {
			struct ck__failure f = { .step = CK__STEP_PREPARE, .err = ENOMEM, .file = file };
			ck__spawn_error_set(err, &f);
			return -ENOMEM;
		}
		attr = fallback;
	}
	struct ck__launch l = { .attr = attr, .file = file, .argv = argv, .envp = envp };
	r = ck__launch(&l, out, err);
	ck_spawn_attr_free(fallback);
	return r;
}

int ck_spawn_release(struct ck_child *child)
{
	return ck__launch_release(child);
}

int ck_spawn_wait_exec(struct ck_child *child, struct ck_spawn_error *err)
{
	if (!child || child->state == CK__HELD)
		return -EINVAL;
	int r = ck__launch_outcome(child, err);
	if (r < 0 && !child->reaped)
		ck_spawn_wait(child, NULL); /* it exits after its report (execve's EINVAL too) */
	return r;
}

int ck_spawn_exec_fd(const struct ck_child *child)
{
	return child && child->state == CK__RELEASED ? child->ctl : -1;
}

int ck_spawn_take_listener(struct ck_child *child)
{
	if (!child || child->listener < 0)
		return -ENOENT;
	return ck__take_fd(&child->listener);
}

pid_t ck_spawn_pid(const struct ck_child *child)
{
	return child ? child->pid : -1;
}

int ck_spawn_pidfd(const struct ck_child *child)
{
	return child ? child->pidfd : -1;
}

bool ck_spawn_used_vfork(const struct ck_child *child)
{
	return child && child->vfork;
}

int ck_spawn_wait(struct ck_child *child, int *status)
{
	int st, r;

	if (!child)
		return -EINVAL;
	if (child->reaped)
		return -ECHILD;
	if (child->state == CK__HELD)
		return -EBUSY;
	r = ck__wait_child(child->pid, child->pidfd, &st);
	if (r < 0)
		return r;
	child->reaped = true;
	if (child->json_status_fd >= 0) {
		ck__status_exited(child->json_status_fd, st);
		close(child->json_status_fd);
		child->json_status_fd = -1;
	}
	/* the command has ended: so does its cgroup (what it left there is killed) */
	ck__cgroups_close(child->cgroups, true);
	child->cgroups = NULL;
	if (status)
		*status = st;
	return 0;
}

int ck_spawn_signal(struct ck_child *child, int sig)
{
	if (!child)
		return -EINVAL;
	if (child->reaped)
		return -ESRCH;
	return ck__signal_child(child->pid, child->pidfd, sig);
}

void ck_spawn_free(struct ck_child *child)
{
	if (!child)
		return;
	if (!child->reaped) {
		ck_spawn_signal(child, SIGKILL);
		child->state = CK__RUNNING; /* killed: it will end */
		ck_spawn_wait(child, NULL);
	}
	ck__spawn_child_forget(child);
}

void ck__spawn_child_reaped(struct ck_child *child)
{
	child->reaped = true;
	if (child->state == CK__HELD)
		child->state = CK__RUNNING; /* a report it sent after release stays readable */
}

void ck__spawn_child_forget(struct ck_child *child)
{
	if (!child)
		return;
	if (child->pidfd >= 0)
		close(child->pidfd);
	if (child->ctl >= 0)
		close(child->ctl);
	if (child->listener >= 0)
		close(child->listener);
	if (child->json_status_fd >= 0)
		close(child->json_status_fd);
	free(child->file);
	/* a child still running (a tracer's) keeps its groups */
	ck__cgroups_close(child->cgroups, child->reaped);
	free(child);
}
