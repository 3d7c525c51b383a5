/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loopback in a new network namespace, as bwrap brings it up: 127.0.0.1/8
 * on lo, then lo up (the kernel adds ::1 itself when IPv6 is on). Plain
 * rtnetlink on the stack: it runs in the child.
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
		struct ifaddrmsg addr;
		struct ifinfomsg link;
	} u;
	char attrs[64];
};

CK_CHILD_CODE static void add_attr(struct nl_req *r, unsigned short type, const void *data,
				   unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

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

CK_CHILD_CODE int ck__loopback_up(void)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	struct nl_req r;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int e;

	if (fd < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r.u.addr.ifa_family = AF_INET;
	r.u.addr.ifa_prefixlen = 8;
	r.u.addr.ifa_flags = IFA_F_PERMANENT;
	r.u.addr.ifa_scope = RT_SCOPE_HOST;
	r.u.addr.ifa_index = LOOPBACK_IFINDEX;
	add_attr(&r, IFA_LOCAL, &lo, sizeof(lo));
	add_attr(&r, IFA_ADDRESS, &lo, sizeof(lo));
	e = talk(fd, &r, 1);
	if (e == 0 || e == -EEXIST) {
		memset(&r, 0, sizeof(r));
		r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		r.h.nlmsg_type = RTM_NEWLINK;
		r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		r.u.link.ifi_family = AF_UNSPEC;
		r.u.link.ifi_index = LOOPBACK_IFINDEX;
		r.u.link.ifi_flags = IFF_UP;
		r.u.link.ifi_change = IFF_UP;
		e = talk(fd, &r, 2);
	}
	close(fd);
	return e;
}
