/*
 * netlink.c - links, addresses and routes through rtnetlink, no iproute2.
 *
 * Messages follow rtnetlink(7) and netlink(7): an nlmsghdr, a fixed
 * header (ifinfomsg, ifaddrmsg or rtmsg), then rtattr attributes, which
 * may nest. Every request sets NLM_F_ACK to get an acknowledgement, and
 * the kernel's nlmsgerr reply carries the errno of the operation.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bocker.h"

#define MSG_MAX 4096

struct request {
	struct nlmsghdr *nh;
	char buf[MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	char what[512];		/* the request in trace notation */
};

static void
start(struct request *r, int type, int flags, const void *hdr, size_t len)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->nh = (struct nlmsghdr *)r->buf;
	r->nh->nlmsg_len = NLMSG_LENGTH(len);
	r->nh->nlmsg_type = type;
	r->nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(r->nh), hdr, len);
}

/* Append one attribute; returns it so that a nest can be closed later. */
static struct rtattr *
put(struct request *r, int type, const void *data, size_t len)
{
	struct rtattr *rta;
	size_t at;

	at = NLMSG_ALIGN(r->nh->nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof(r->buf))
		return NULL;
	rta = (struct rtattr *)(r->buf + at);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(rta), data, len);
	r->nh->nlmsg_len = at + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void
put_string(struct request *r, int type, const char *s)
{
	(void)put(r, type, s, strlen(s) + 1);
}

static void
put_u32(struct request *r, int type, uint32_t v)
{
	(void)put(r, type, &v, sizeof(v));
}

/* Close a nest opened by put(r, type, NULL, 0): it spans to the end. */
static void
end_nest(struct request *r, struct rtattr *nest)
{
	nest->rta_len = r->buf + r->nh->nlmsg_len - (char *)nest;
}

static int
open_socket(void)
{
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	trace(fd, "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)");
	return fd;
}

/* Read the kernel's acknowledgement: 0, or -1 with its errno. */
static int
read_ack(int fd)
{
	char buf[MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsgerr *err;
	struct nlmsghdr *nh;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
	     nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type != NLMSG_ERROR)
			continue;
		err = NLMSG_DATA(nh);
		if (err->error == 0)
			return 0;
		errno = -err->error;
		return -1;
	}
	errno = EPROTO;
	return -1;
}

/* Send r on a fresh socket in the caller's network namespace. */
static int
send_request(struct request *r)
{
	int fd;
	int rc;

	fd = open_socket();
	if (fd < 0)
		return error_set("netlink socket");
	rc = send(fd, r->buf, r->nh->nlmsg_len, 0);
	if (rc >= 0)
		rc = read_ack(fd);
	trace(rc, "sendmsg(NETLINK_ROUTE, %s)", r->what);
	(void)close(fd);
	if (rc < 0)
		return error_set("netlink %s", r->what);
	return 0;
}

int
netlink_ifindex(const char *name)
{
	unsigned index;

	index = if_nametoindex(name);
	trace(index ? (long)index : -1,
	      "ioctl(SIOCGIFINDEX, {ifr_name=\"%s\"})", name);
	if (index == 0)
		return error_set("find interface '%s'", name);
	return index;
}

/* Create a bridge; EEXIST when it is there already. */
int
netlink_bridge_create(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info;
	struct request r;

	start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	put_string(&r, IFLA_IFNAME, name);
	info = put(&r, IFLA_LINKINFO, NULL, 0);
	put_string(&r, IFLA_INFO_KIND, "bridge");
	end_nest(&r, info);
	snprintf(r.what, sizeof(r.what),
		 "RTM_NEWLINK {ifname=\"%s\", kind=\"bridge\"}", name);
	return send_request(&r);
}

/* Bring a link up (IFF_UP), as `ip link set NAME up` does. */
int
netlink_link_up(int ifindex)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct request r;

	start(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	snprintf(r.what, sizeof(r.what),
		 "RTM_NEWLINK {index=%d, flags=IFF_UP}", ifindex);
	return send_request(&r);
}

/* Add address/prefix (network byte order) to a link; EEXIST if there. */
int
netlink_addr_add(int ifindex, uint32_t address, int prefix)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = prefix,
		.ifa_index = ifindex,
	};
	unsigned char *a;
	struct request r;

	start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	(void)put(&r, IFA_LOCAL, &address, sizeof(address));
	(void)put(&r, IFA_ADDRESS, &address, sizeof(address));
	a = (unsigned char *)&address;
	snprintf(r.what, sizeof(r.what),
		 "RTM_NEWADDR {index=%d, local=%u.%u.%u.%u/%d}", ifindex,
		 a[0], a[1], a[2], a[3], prefix);
	return send_request(&r);
}

/* Add the default route via gateway (network byte order). */
int
netlink_route_default(uint32_t gateway)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	unsigned char *a;
	struct request r;

	start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
	(void)put(&r, RTA_GATEWAY, &gateway, sizeof(gateway));
	a = (unsigned char *)&gateway;
	snprintf(r.what, sizeof(r.what),
		 "RTM_NEWROUTE {dst=0.0.0.0/0, gateway=%u.%u.%u.%u}",
		 a[0], a[1], a[2], a[3]);
	return send_request(&r);
}

/*
 * Create a veth pair: `host` stays here, up and enslaved to the bridge
 * `master`; its peer is created directly inside the network namespace of
 * process `pid`, named `peer`, with the MAC address `mac`. Creating the
 * peer in place saves the slow move between namespaces, and when that
 * namespace dies the kernel removes both ends.
 */
int
netlink_veth_create(const char *host, int master, const char *peer,
		    pid_t pid, const unsigned char mac[6])
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info;
	struct rtattr *data;
	struct rtattr *nest;
	struct request r;

	start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	put_string(&r, IFLA_IFNAME, host);
	put_u32(&r, IFLA_MASTER, master);
	info = put(&r, IFLA_LINKINFO, NULL, 0);
	put_string(&r, IFLA_INFO_KIND, "veth");
	data = put(&r, IFLA_INFO_DATA, NULL, 0);
	nest = put(&r, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	put_string(&r, IFLA_IFNAME, peer);
	put_u32(&r, IFLA_NET_NS_PID, pid);
	(void)put(&r, IFLA_ADDRESS, mac, 6);
	end_nest(&r, nest);
	end_nest(&r, data);
	end_nest(&r, info);
	snprintf(r.what, sizeof(r.what),
		 "RTM_NEWLINK {ifname=\"%s\", master=%d, flags=IFF_UP, "
		 "kind=\"veth\", peer={ifname=\"%s\", net_ns_pid=%d, "
		 "address=%02x:%02x:%02x:%02x:%02x:%02x}}", host, master,
		 peer, (int)pid, mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return send_request(&r);
}

int
netlink_link_delete(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct request r;

	start(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	put_string(&r, IFLA_IFNAME, name);
	snprintf(r.what, sizeof(r.what), "RTM_DELLINK {ifname=\"%s\"}",
		 name);
	return send_request(&r);
}

/* Call fn with the name of every link in this network namespace. */
int
netlink_each_link(int (*fn)(const char *name, void *arg), void *arg)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct ifinfomsg *msg;
	struct nlmsghdr *nh;
	struct request r;
	struct rtattr *rta;
	size_t len;
	ssize_t n;
	int fd;
	int rc;

	start(&r, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	r.nh->nlmsg_flags &= ~NLM_F_ACK;
	fd = open_socket();
	if (fd < 0)
		return error_set("netlink socket");
	rc = send(fd, r.buf, r.nh->nlmsg_len, 0);
	trace(rc, "sendmsg(NETLINK_ROUTE, RTM_GETLINK {NLM_F_DUMP})");
	while (rc >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				goto done;
			if (nh->nlmsg_type != RTM_NEWLINK)
				continue;
			msg = NLMSG_DATA(nh);
			len = IFLA_PAYLOAD(nh);
			for (rta = IFLA_RTA(msg); RTA_OK(rta, len);
			     rta = RTA_NEXT(rta, len))
				if (rta->rta_type == IFLA_IFNAME)
					(void)fn(RTA_DATA(rta), arg);
		}
	}
	rc = -1;
done:
	(void)close(fd);
	if (rc < 0)
		return error_set("list links");
	return 0;
}
