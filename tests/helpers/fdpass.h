/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One fd over a unix socket (SCM_RIGHTS), for the tests and the programs they run. */
#ifndef CK_TEST_FDPASS_H
#define CK_TEST_FDPASS_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

union ck_test_cmsg_fd {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* Sends fd with one byte; 0, or -errno (never SIGPIPE). */
static inline int ck_test_send_fd(int sock, int fd)
{
	char b = 'f';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	union ck_test_cmsg_fd u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t r = sendmsg(sock, &m, MSG_NOSIGNAL);
	return r < 0 ? -errno : r == 1 ? 0 : -EIO;
}

/*
 * Receives one fd (close-on-exec) with its byte; flags are recvmsg's (MSG_DONTWAIT).
 * The fd, or -errno; -EBADMSG when the message carried no fd.
 */
static inline int ck_test_recv_fd(int sock, int flags)
{
	char b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	union ck_test_cmsg_fd u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	int fd;

	ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
	if (r < 0)
		return -errno;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (r != 1 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

#endif
