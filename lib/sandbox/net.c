/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loopback in a new network namespace, up with 127.0.0.1/8 and ::1 as
 * bwrap leaves it. Plain rtnetlink on the stack: it runs in a CLONE_VM
 * helper or in the child.
 */
#include <clonekit/spawn.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/proc.h"

/* lo is always the first device of a network namespace (LOOPBACK_IFINDEX) */
#define LOOPBACK_IFINDEX 1

int ck_spawn_attr_set_loopback(struct ck_spawn_attr *a, bool on)
{
	if (!a)
		return -EINVAL;
	a->no_loopback = !on;
	return 0;
}

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
	} u;
};

/* Sends r and reads the kernel's acknowledgement: 0 or its -errno. */
CK_CHILD_CODE static int talk(int fd, struct nl_req *r, unsigned seq)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[512];
	ssize_t n;

	r->h.nlmsg_seq = seq;
	do
		n = sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (;;) {
		do
			n = recv(fd, buf, sizeof(buf), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/*
 * lo up: the kernel gives a loopback device 127.0.0.1/8 (scope host) itself
 * when it comes up (devinet.c, NETDEV_UP), and ::1 with IPv6 on, so one
 * request does what bwrap's two (the address, then up) do.
 */
CK_CHILD_CODE int ck__loopback_up_on(int fd)
{
	struct nl_req r;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_NEWLINK;
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r.u.link.ifi_family = AF_UNSPEC;
	r.u.link.ifi_index = LOOPBACK_IFINDEX;
	r.u.link.ifi_flags = IFF_UP;
	r.u.link.ifi_change = IFF_UP;
	return talk(fd, &r, 1);
}

CK_CHILD_CODE int ck__loopback_up(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int e = ck__loopback_up_on(fd);
	close(fd);
	return e;
}
