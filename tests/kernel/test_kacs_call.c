/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One notification's helpers (lib/kacs/call.c) against a real caller: its
 * memory read and written as the kernel would (EFAULT where it would), its
 * fds copied, fds installed into it with and without
 * SECCOMP_ADDFD_FLAG_SEND, answers, and the process a pid or pidfd
 * argument names (a tree process, S itself, an external one, a newborn, none).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/flags.h>
#include <clonekit/seccomp.h>
#include <clonekit/spawn.h>

#include "kacs/sup_internal.h"
#include "../support.h"

struct caller {
	struct ck_child *c;
	FILE *out;
	int listener;
	uint64_t rw, ro;
	pid_t pid;
};

/* ck-kacs-call, its unshare(CLONE_NEWUTS) notified to us. */
static void start_caller(struct caller *k)
{
	const char *helper = getenv("CK_KACS_CALL_HELPER");
	cr_assert(helper && *helper, "CK_KACS_CALL_HELPER is not set (meson sets it)");
	char *argv[] = { (char *)helper, NULL };
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	struct ck_seccomp_policy *pol = ck_seccomp_policy_deny(CK_CLONE_NEWUTS, CK_SECCOMP_NOTIFY, 0);
	struct ck_spawn_attr *a = ck_spawn_attr_new();
	cr_assert_eq(ck_spawn_attr_add_fd(a, p[1], 1), 0);
	cr_assert_eq(ck_spawn_attr_set_seccomp_listener(a, pol, NULL), 0);
	struct ck_spawn_error e = { .size = sizeof(e) };
	cr_assert_eq(ck_spawn(&k->c, helper, argv, NULL, a, &e), 0, "%s", e.message);
	ck_spawn_attr_free(a);
	ck_seccomp_policy_free(pol);
	close(p[1]);
	k->listener = ck_spawn_take_listener(k->c);
	cr_assert_geq(k->listener, 0);
	cr_assert_eq(ck_spawn_release(k->c), 0);
	cr_assert_eq(ck_spawn_wait_exec(k->c, &e), 0, "%s", e.message);
	k->out = fdopen(p[0], "r");
	void *rw, *ro;
	int pid;
	cr_assert_eq(fscanf(k->out, "rw %p ro %p pid %d", &rw, &ro, &pid), 3);
	cr_assert_eq(fgetc(k->out), (int)'\n');
	k->rw = (uint64_t)(uintptr_t)rw;
	k->ro = (uint64_t)(uintptr_t)ro;
	k->pid = pid;
}

static void recv_call(struct caller *k, struct seccomp_notif *req, struct seccomp_notif_resp *resp,
		      struct ck__kacs_call *c)
{
	memset(req, 0, sizeof(*req));
	cr_assert_eq(ioctl(k->listener, SECCOMP_IOCTL_NOTIF_RECV, req), 0, "RECV: %s", strerror(errno));
	cr_assert_eq(req->pid, (uint32_t)k->pid);
	ck__kacs_call_init(c, req, resp);
}

/* The caller's report of the call just answered. */
static void read_report(struct caller *k, char *line, size_t len)
{
	cr_assert_not_null(fgets(line, (int)len, k->out));
}

static void end_caller(struct caller *k, int want_status)
{
	int st;
	cr_assert_eq(ck_spawn_wait(k->c, &st), 0);
	cr_assert_eq(st, want_status, "status %#x", st);
	ck_spawn_free(k->c);
	fclose(k->out);
	close(k->listener);
}

static void become_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 1), 0);
}

static void memory_fds_and_answers(void)
{
	static struct ck__kacs_sup s;
	struct caller k;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct ck__kacs_call c;
	char buf[32], line[256];

	start_caller(&k);
	s.listener = k.listener;

	/* 1: memory, a copy of an fd, an fd installed without SEND, then a value */
	recv_call(&k, &req, &resp, &c);
	cr_assert_eq(ck__kacs_mem_read(&s, &c, k.rw, buf, 11), 0);
	cr_assert_str_eq(buf, "hello call");
	cr_assert_eq(ck__kacs_mem_read(&s, &c, 16, buf, 4), -EFAULT, "page 0 is not mapped");
	cr_assert_eq(ck__kacs_mem_write(&s, &c, k.rw, "written", 8), 0);
	cr_assert_eq(ck__kacs_mem_write(&s, &c, k.ro, "x", 1), -EFAULT, "process_vm_writev keeps page protections");
	int copy = ck__kacs_fd_get(&s, &c, 1);
	cr_assert_geq(copy, 0);
	struct stat a, b;
	cr_assert_eq(fstat(copy, &a), 0);
	cr_assert_eq(fstat(fileno(k.out), &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino, "the caller's stdout is our pipe");
	cr_assert(fcntl(copy, F_GETFD) & FD_CLOEXEC);
	close(copy);
	cr_assert_eq(ck__kacs_fd_get(&s, &c, 999), -EBADF);
	int mfd = memfd_create("ck-kacs-call", MFD_CLOEXEC);
	struct stat m;
	cr_assert_eq(fstat(mfd, &m), 0);
	int n = ck__kacs_fd_install(&s, &c, mfd, false);
	cr_assert_geq(n, 0);
	cr_assert(!c.sent);
	ck__kacs_reply_value(&c, n);
	cr_assert_eq(ck__kacs_call_send(&s, &c), 0);
	ck__kacs_call_done(&c);
	read_report(&k, line, sizeof(line));
	char want[128];
	snprintf(want, sizeof(want), "ret %d rw written ino %llu cloexec 1\n", n, (unsigned long long)m.st_ino);
	cr_assert_str_eq(line, want);

	/* 2: the fd as the call's return value (SECCOMP_ADDFD_FLAG_SEND) */
	recv_call(&k, &req, &resp, &c);
	n = ck__kacs_fd_install(&s, &c, mfd, true);
	cr_assert_geq(n, 0);
	cr_assert(c.sent, "answered by the ADDFD itself");
	cr_assert_eq(ck__kacs_call_send(&s, &c), 0, "nothing more to send");
	ck__kacs_call_done(&c);
	read_report(&k, line, sizeof(line));
	snprintf(want, sizeof(want), "ret %d rw written ino %llu cloexec 1\n", n, (unsigned long long)m.st_ino);
	cr_assert_str_eq(line, want);
	close(mfd);

	/* 3: an error; a handler that set nothing gets EIO, never CONTINUE */
	recv_call(&k, &req, &resp, &c);
	cr_assert_eq(ck__kacs_call_send(&s, &c), 0);
	read_report(&k, line, sizeof(line));
	snprintf(want, sizeof(want), "ret -1 rw written\n");
	cr_assert_str_eq(line, want);
	end_caller(&k, 0);
}

Test(kacs_call, memory_fds_and_answers_as_root)
{
	memory_fds_and_answers();
}

Test(kacs_call, memory_fds_and_answers_as_uid_65534)
{
	if (geteuid() != 0)
		ck_skip_or_fail("needs root to become uid 65534");
	become_nobody();
	memory_fds_and_answers();
}

Test(kacs_call, a_call_whose_caller_was_killed_reads_esrch)
{
	static struct ck__kacs_sup s;
	struct caller k;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct ck__kacs_call c;
	char buf[8];

	start_caller(&k);
	s.listener = k.listener;
	recv_call(&k, &req, &resp, &c);
	cr_assert_eq(ck_spawn_signal(k.c, SIGKILL), 0);
	int st;
	cr_assert_eq(ck_spawn_wait(k.c, &st), 0);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	cr_assert_eq(ck__kacs_mem_read(&s, &c, k.rw, buf, 4), -ESRCH);
	cr_assert_eq(ck__kacs_call_send(&s, &c), -ENOENT, "the call is gone");
	ck__kacs_call_done(&c);
	ck_spawn_free(k.c);
	fclose(k.out);
	close(k.listener);
}

/* The table of a pretend S with the caller as its one process. */
static struct ck__kacs_process *one_process(struct ck__kacs_sup *s, pid_t pid)
{
	static struct ck__kacs_process p;
	static struct ck__kacs_thread t;
	memset(&p, 0, sizeof(p));
	memset(&t, 0, sizeof(t));
	p.tgid = pid;
	t.tid = pid;
	t.proc = &p;
	cr_assert_eq(ck__pidmap_put(&s->procs, pid, &p), 0);
	cr_assert_eq(ck__pidmap_put(&s->threads, pid, &t), 0);
	return &p;
}

Test(kacs_call, targets_by_pid_and_pidfd)
{
	static struct ck__kacs_sup s;
	struct caller k;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct ck__kacs_call c;
	struct ck__kacs_process *out;
	static struct ck_kacs_sd ext;

	s.self_pid = getpid();
	s.external_sd = &ext;
	s.self.external = true;
	s.self.psb.pip_type = s.self.psb.pip_trust = 0xFFFFFFFFu;
	start_caller(&k);
	s.listener = k.listener;
	struct ck__kacs_process *p = one_process(&s, k.pid);
	recv_call(&k, &req, &resp, &c);

	cr_assert_eq(ck__kacs_target_pid(&s, &c, k.pid, &out), 0);
	cr_assert_eq(out, p, "a tree process, from the table");
	cr_assert_eq(ck__kacs_target_pid(&s, &c, getpid(), &out), 0);
	cr_assert_eq(out, &s.self, "S itself");
	cr_assert_eq(out->psb.pip_type, 0xFFFFFFFFu);
	cr_assert_eq(ck__kacs_target_pid(&s, &c, 1, &out), 0);
	cr_assert(out->external && out->tgid == 1 && out->sd == &ext && out->psb.pip_type == 0,
		  "init is outside the tree: the external SD, PIP None");
	cr_assert_eq(ck__kacs_target_pid(&s, &c, 0x7ffffff0, &out), -ESRCH);
	/* a child of S that no record named yet is being born into the tree */
	pid_t kid = fork();
	if (kid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(ck__kacs_target_pid(&s, &c, kid, &out), 1);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);

	cr_assert_eq(ck__kacs_target_pidfd(&s, &c, 7, &out), 0, "the caller's pidfd of itself");
	cr_assert_eq(out, p);
	cr_assert_eq(ck__kacs_target_pidfd(&s, &c, 1, &out), -EBADF, "a pipe is not a pidfd");
	cr_assert_eq(ck__kacs_target_pidfd(&s, &c, 999, &out), -EBADF);

	ck__kacs_reply_error(&c, EPERM);
	cr_assert_eq(ck__kacs_call_send(&s, &c), 0);
	ck__kacs_call_done(&c);
	char line[128];
	read_report(&k, line, sizeof(line));
	cr_assert_str_eq(line, "ret -1 rw hello call\n");
	ck_spawn_signal(k.c, SIGKILL);
	end_caller(&k, SIGKILL);
	ck__pidmap_free(&s.procs);
	ck__pidmap_free(&s.threads);
}
