/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One notification (design §2 "Reading and writing the caller's memory",
 * §3 "Unknown pids", §7.4): the answers, the caller's memory and fds, fds
 * installed into it, and the process a pid or pidfd argument names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kacs/sup_internal.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

uint64_t ck__kacs_now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ck__kacs_call_init(struct ck__kacs_call *c, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	memset(c, 0, sizeof(*c));
	memset(resp, 0, sizeof(*resp));
	c->req = req;
	c->resp = resp;
	c->caller_pidfd = -1;
	resp->id = req->id;
}

void ck__kacs_call_done(struct ck__kacs_call *c)
{
	if (c->caller_pidfd >= 0)
		close(c->caller_pidfd);
	c->caller_pidfd = -1;
}

void ck__kacs_reply_continue(struct ck__kacs_call *c)
{
	c->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	c->resp->error = 0;
	c->resp->val = 0;
	c->replied = true;
}

void ck__kacs_reply_value(struct ck__kacs_call *c, int64_t val)
{
	c->resp->flags = 0;
	c->resp->error = 0;
	c->resp->val = val;
	c->replied = true;
}

void ck__kacs_reply_error(struct ck__kacs_call *c, int err)
{
	c->resp->flags = 0;
	c->resp->error = -err;
	c->resp->val = 0;
	c->replied = true;
}

int ck__kacs_call_send(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	if (c->sent)
		return 0;
	if (!c->replied)
		ck__kacs_reply_error(c, EIO); /* a handler that set nothing: never let the call through */
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, c->resp) < 0)
		return -errno; /* ENOENT: the caller was killed meanwhile */
	c->sent = true;
	return 0;
}

static int id_valid(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	uint64_t id = c->req->id;
	return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -ESRCH : 0;
}

/* What a failure of process_vm_* means to the caller. */
static int vm_errno(int e)
{
	if (e == EFAULT)
		return -EFAULT;
	if (e == ESRCH)
		return -ESRCH;
	/* a task unprivileged S may not trace (non-dumpable): design §2 */
	if (e == EPERM || e == EACCES)
		return -EACCES;
	return -e;
}

int ck__kacs_mem_read(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return id_valid(s, c);
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(c->req->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return vm_errno(errno);
	if ((size_t)n != len)
		return -EFAULT; /* a page past the first faulted */
	/* the pid still names the caller: what was read is its memory */
	return id_valid(s, c);
}

/* The caller's memory written from cnt pieces, in order, after one ID_VALID: 0 or -errno; *done bytes written. */
static int mem_writev(struct ck__kacs_sup *s, struct ck__kacs_call *c, const struct iovec *local,
		      const struct iovec *remote, unsigned long cnt, size_t total, size_t *done)
{
	*done = 0;
	int rc = id_valid(s, c);
	if (rc || total == 0)
		return rc;
	ssize_t n = process_vm_writev(c->req->pid, local, cnt, remote, cnt, 0);
	if (n < 0)
		return vm_errno(errno);
	*done = (size_t)n;
	return (size_t)n == total ? 0 : -EFAULT;
}

int ck__kacs_mem_write(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr, const void *buf, size_t len)
{
	size_t done;
	struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)addr, len };
	return mem_writev(s, c, &local, &remote, 1, len, &done);
}

int ck__kacs_mem_write2(struct ck__kacs_sup *s, struct ck__kacs_call *c, uint64_t addr_a, const void *a,
			size_t len_a, uint64_t addr_b, const void *b, size_t len_b, bool *a_done)
{
	size_t done;
	struct iovec local[2] = { { (void *)a, len_a }, { (void *)b, len_b } };
	struct iovec remote[2] = { { (void *)(uintptr_t)addr_a, len_a }, { (void *)(uintptr_t)addr_b, len_b } };
	int rc = mem_writev(s, c, local, remote, 2, len_a + len_b, &done);
	*a_done = rc == 0 || (done >= len_a && rc != -ESRCH);
	return rc;
}

/*
 * A pidfd of the calling thread (its own fd table, even without CLONE_FILES).
 * A thread pidfd once proven (ID_VALID) to be tid N's task is kept for N's
 * next calls: while that task is unreaped no other task holds N, and the
 * kernel refuses a reaped task's pidfd (ESRCH), so pidfd_getfd on it reaches
 * the caller or fails; fd_get then opens and proves a fresh one.
 */
static int caller_pidfd(struct ck__kacs_sup *s, struct ck__kacs_call *c)
{
	if (c->caller_pidfd >= 0)
		return c->caller_pidfd;
	if (s->thread_pidfd >= 0 && s->thread_pidfd_tid == (pid_t)c->req->pid)
		return s->thread_pidfd;
	bool thread = true;
	long fd = syscall(SYS_pidfd_open, c->req->pid, PIDFD_THREAD);
	if (fd < 0 && errno == EINVAL && c->caller) {
		fd = syscall(SYS_pidfd_open, c->caller->proc->tgid, 0); /* before Linux 6.9 */
		thread = false;
	}
	if (fd < 0)
		return -errno;
	c->caller_pidfd = (int)fd;
	int rc = id_valid(s, c);
	if (rc)
		return rc;
	if (thread) { /* proven: the supervisor keeps it, the call no longer owns it */
		if (s->thread_pidfd >= 0)
			close(s->thread_pidfd);
		s->thread_pidfd = c->caller_pidfd;
		s->thread_pidfd_tid = (pid_t)c->req->pid;
		c->caller_pidfd = -1;
	}
	return (int)fd;
}

int ck__kacs_fd_get(struct ck__kacs_sup *s, struct ck__kacs_call *c, int fd)
{
	if (fd < 0)
		return -EBADF;
	int pfd = caller_pidfd(s, c);
	if (pfd < 0)
		return pfd;
	long r = syscall(SYS_pidfd_getfd, pfd, fd, 0);
	if (r < 0 && errno == ESRCH && pfd == s->thread_pidfd && c->caller_pidfd < 0) {
		/* the kept pidfd's task was reaped: tid N is a new task now, proven afresh */
		close(s->thread_pidfd);
		s->thread_pidfd = -1;
		if ((pfd = caller_pidfd(s, c)) < 0)
			return pfd;
		r = syscall(SYS_pidfd_getfd, pfd, fd, 0);
	}
	if (r < 0)
		return errno == EPERM ? -EACCES : -errno;
	return (int)r; /* pidfd_getfd sets O_CLOEXEC */
}

int ck__kacs_fd_install(struct ck__kacs_sup *s, struct ck__kacs_call *c, int fd, bool as_return)
{
	struct seccomp_notif_addfd a = {
		.id = c->req->id,
		.flags = as_return ? SECCOMP_ADDFD_FLAG_SEND : 0,
		.srcfd = (uint32_t)fd,
		.newfd = 0,
		.newfd_flags = O_CLOEXEC,
	};
	int r = ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (r < 0)
		return -errno;
	if (as_return) {
		/* the fd is the call's return value: answered */
		c->resp->val = r;
		c->replied = true;
		c->sent = true;
	}
	return r;
}

/* ---- targets (§3 "Unknown pids", §7.4) -------------------------------------- */

/* Tgid and PPid of pid from /proc (the slow path only): 0, or -ESRCH. */
static int proc_status(pid_t pid, pid_t *tgid, pid_t *ppid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	*tgid = *ppid = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5))
			*tgid = (pid_t)atoi(line + 5);
		else if (!strncmp(line, "PPid:", 5))
			*ppid = (pid_t)atoi(line + 5);
	}
	fclose(f);
	return *tgid > 0 ? 0 : -ESRCH;
}

static struct ck__kacs_process *external(struct ck__kacs_sup *s, struct ck__kacs_call *c, pid_t tgid)
{
	struct ck__kacs_process *e = &c->ext;
	memset(e, 0, sizeof(*e));
	e->tgid = tgid;
	e->external = true;
	e->sd = s->external_sd; /* not owned by the call: never freed through it */
	return e;
}

int ck__kacs_target_pid(struct ck__kacs_sup *s, struct ck__kacs_call *c, pid_t pid, struct ck__kacs_process **out)
{
	struct ck__kacs_thread *t = ck__kacs_thread_find(s, pid);
	*out = NULL;
	if (t) {
		*out = t->proc;
		return 0;
	}
	if (pid <= 0)
		return -ESRCH;
	if (pid == s->self_pid) {
		*out = &s->self;
		return 0;
	}
	/* the slow path: a pid S has no record of */
	pid_t tgid, ppid;
	if (proc_status(pid, &tgid, &ppid))
		return -ESRCH;
	if (tgid == s->self_pid) {
		*out = &s->self;
		return 0;
	}
	if (ck__kacs_process_find(s, tgid) || ppid == s->self_pid || ck__kacs_process_find(s, ppid))
		return 1; /* being born into the tree: wait for its FORK record */
	*out = external(s, c, tgid);
	return 0;
}

/* The pid a pidfd (S's copy) names from its fdinfo: > 0, -ESRCH once it has exited, -EBADF if not a pidfd. */
static pid_t pidfd_pid(int fd)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "re");
	pid_t pid = 0;
	bool found = false;
	if (!f)
		return -EBADF;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Pid:", 4)) {
			pid = (pid_t)atoi(line + 4);
			found = true;
		}
	}
	fclose(f);
	if (!found)
		return -EBADF;
	return pid > 0 ? pid : -ESRCH;
}

int ck__kacs_target_pidfd_keep(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd,
				struct ck__kacs_process **out, int *sfd)
{
	*out = NULL;
	if (sfd)
		*sfd = -1;
	int fd = ck__kacs_fd_get(s, c, pidfd);
	if (fd < 0)
		return fd; /* -EACCES: S may not reach the caller (not dumpable, design §2) */
	pid_t pid = pidfd_pid(fd);
	int rc = pid < 0 ? pid : ck__kacs_target_pid(s, c, pid, out);
	/* the process was alive after the lookup, so the number was not reused meanwhile */
	if (rc == 0 && pidfd_pid(fd) != pid) {
		*out = NULL;
		rc = -ESRCH;
	}
	if (rc == 0 && sfd)
		*sfd = fd;
	else
		close(fd);
	return rc;
}

int ck__kacs_target_pidfd(struct ck__kacs_sup *s, struct ck__kacs_call *c, int pidfd, struct ck__kacs_process **out)
{
	return ck__kacs_target_pidfd_keep(s, c, pidfd, out, NULL);
}
