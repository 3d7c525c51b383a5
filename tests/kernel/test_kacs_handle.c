/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Token handles as socketpairs (lib/kacs/handle.c, design §6) on the real
 * kernel, without the supervisor's loop: this file stands in for S (its
 * epoll set, the handle table's slot, token references). A handle is the
 * same handle through dup, fork and SCM_RIGHTS and through S's pidfd_getfd
 * copy; a socketpair the tree makes is not one; S's end hangs up only when
 * the last copy in the tree is gone.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clonekit/kacs_abi.h>

#include "kacs/supervisor.h"
#include "../helpers/fdpass.h"

/* ---- S, as far as handle.c needs it ------------------------------------------ */

struct ck__kacs_sup {
	struct ck__kacs_handles *handles;
	int ep;
};

struct ck__kacs_handles **ck__kacs_handles_slot(struct ck__kacs_sup *s)
{
	return &s->handles;
}

int ck__kacs_watch_fd(struct ck__kacs_sup *s, int fd)
{
	struct epoll_event ev = { .events = 0, .data.fd = fd }; /* HUP and ERR are always reported */
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

struct ck__kacs_tok *ck__kacs_tok_get(struct ck__kacs_tok *k)
{
	k->refs++;
	return k;
}

void ck__kacs_tok_put(struct ck__kacs_tok *k)
{
	k->refs--;
}

static struct ck__kacs_sup sup;
static struct ck__kacs_tok tok = { .refs = 1 };

static void setup(void)
{
	sup.handles = NULL;
	sup.ep = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(sup.ep, 0);
	tok.refs = 1;
	signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
	ck__kacs_handles_free(&sup);
	close(sup.ep);
}

/* The handles S's end reported hung up within ms, passed to handle.c as the loop does: how many. */
static int serve_hups(int ms)
{
	struct epoll_event ev[8];
	int n = epoll_wait(sup.ep, ev, 8, ms);
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		cr_assert(ev[i].events & EPOLLHUP, "events %#x", ev[i].events);
		ck__kacs_handle_hup(&sup, ev[i].data.fd);
	}
	return n;
}

/* S's copy of fd as S makes it (pidfd_getfd of the holder, here ourselves or a child). */
static int s_copy(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	cr_assert_geq(pidfd, 0, "pidfd_open: %s", strerror(errno));
	int c = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	cr_assert_geq(c, 0, "pidfd_getfd: %s", strerror(errno));
	close(pidfd);
	return c;
}

static struct ck__kacs_handle *resolve(pid_t pid, int fd)
{
	int c = s_copy(pid, fd);
	struct ck__kacs_handle *h = ck__kacs_handle_of_fd(&sup, c);
	close(c);
	return h;
}

TestSuite(kacs_handle, .init = setup, .fini = teardown);

Test(kacs_handle, a_new_handle_holds_the_token_and_its_mask)
{
	struct ck__kacs_handle *h;
	int fd;
	cr_assert_eq(ck__kacs_handle_new(&sup, &tok, CK_KACS_TOKEN_QUERY, &fd, &h), 0);
	cr_assert_eq(tok.refs, 2);
	cr_assert_eq(h->granted, CK_KACS_TOKEN_QUERY);
	cr_assert_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	cr_assert_eq(resolve(getpid(), fd), h);
	cr_assert_eq(ck__kacs_handles_count(&sup), 1);
	close(fd);
	cr_assert_eq(serve_hups(5000), 1, "the last copy closed: S's end hangs up");
	cr_assert_eq(ck__kacs_handles_count(&sup), 0);
	cr_assert_eq(tok.refs, 1, "the handle's reference is put");
}

Test(kacs_handle, dup_fork_and_scm_rights_are_the_same_handle)
{
	struct ck__kacs_handle *h;
	int fd, sv[2];
	cr_assert_eq(ck__kacs_handle_new(&sup, &tok, 0x28, &fd, &h), 0);
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	cr_assert_eq(resolve(getpid(), d), h, "dup");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* the fork child passes its inherited copy back over SCM_RIGHTS, then waits */
		close(sv[0]);
		char b;
		_exit(ck_test_send_fd(sv[1], fd) == 0 && read(sv[1], &b, 1) >= 0 ? 0 : 1);
	}
	cr_assert_eq(resolve(pid, fd), h, "the fork child's inherited copy");
	int got = ck_test_recv_fd(sv[0], 0);
	cr_assert_geq(got, 0, "recvmsg: %s", strerror(-got));
	cr_assert_eq(resolve(getpid(), got), h, "received over SCM_RIGHTS");
	cr_assert_eq(h->granted, 0x28, "one description, one mask");

	/* every copy but the child's closed: no hang-up yet */
	close(fd);
	close(d);
	close(got);
	cr_assert_eq(serve_hups(100), 0, "a copy is still open in the child");
	cr_assert_eq(ck__kacs_handles_count(&sup), 1);
	close(sv[0]); /* the child reads EOF and exits, closing the last copy */
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sv[1]);
	cr_assert_eq(serve_hups(5000), 1);
	cr_assert_eq(ck__kacs_handles_count(&sup), 0);
}

Test(kacs_handle, a_socketpair_the_tree_makes_is_not_a_handle)
{
	struct ck__kacs_handle *h;
	int fd, sv[2];
	cr_assert_eq(ck__kacs_handle_new(&sup, &tok, CK_KACS_TOKEN_ALL_ACCESS, &fd, &h), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_null(resolve(getpid(), sv[0]));
	cr_assert_null(resolve(getpid(), sv[1]));
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_null(resolve(getpid(), null));
	/* the ioctl on a forged one goes to the kernel, which knows no such request */
	struct ck_kacs_query_args q = { .token_class = CK_KACS_TOKEN_CLASS_USER };
	cr_assert_eq(ioctl(sv[0], CK_KACS_IOC_QUERY, &q), -1);
	cr_assert_eq(errno, ENOTTY);
	close(null);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

Test(kacs_handle, the_tree_end_is_inert)
{
	struct ck__kacs_handle *h;
	int fd;
	char b = 0;
	cr_assert_eq(ck__kacs_handle_new(&sup, &tok, CK_KACS_TOKEN_QUERY, &fd, &h), 0);
	/* S's end is shut for reading: the tree cannot queue bytes into S */
	cr_assert_eq(send(fd, &b, 1, MSG_NOSIGNAL), -1);
	cr_assert_eq(errno, EPIPE);
	/* S never writes: nothing to read (and no EOF, which would mean S's end hung up) */
	cr_assert_eq(recv(fd, &b, 1, MSG_DONTWAIT), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(serve_hups(0), 0, "S's own SHUT_RD does not hang its end up");
	close(fd);
}

Test(kacs_handle, drop_and_teardown_release_everything)
{
	struct ck__kacs_handle *h[3];
	int fd[3];
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ck__kacs_handle_new(&sup, &tok, CK_KACS_TOKEN_QUERY, &fd[i], &h[i]), 0);
	cr_assert_eq(tok.refs, 4);
	ck__kacs_handle_drop(&sup, h[1]);
	cr_assert_eq(tok.refs, 3);
	cr_assert_null(resolve(getpid(), fd[1]), "a dropped handle resolves to nothing");
	cr_assert_eq(resolve(getpid(), fd[2]), h[2]);
	ck__kacs_handles_free(&sup);
	cr_assert_eq(tok.refs, 1);
	cr_assert_eq(ck__kacs_handles_count(&sup), 0);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
}

Test(kacs_handle, many_handles_grow_the_table)
{
	enum { N = 300 };
	static int fd[N];
	static struct ck__kacs_handle *h[N];
	for (int i = 0; i < N; i++)
		cr_assert_eq(ck__kacs_handle_new(&sup, &tok, (uint32_t)i + 1, &fd[i], &h[i]), 0);
	for (int i = 0; i < N; i++) {
		struct ck__kacs_handle *r = resolve(getpid(), fd[i]);
		cr_assert_eq(r, h[i], "handle %d", i);
		cr_assert_eq(r->granted, (uint32_t)i + 1);
	}
	for (int i = 0; i < N; i++)
		close(fd[i]);
	for (int rounds = 0; ck__kacs_handles_count(&sup) && rounds < N; rounds++)
		serve_hups(5000);
	cr_assert_eq(ck__kacs_handles_count(&sup), 0);
	cr_assert_eq(tok.refs, 1);
}
