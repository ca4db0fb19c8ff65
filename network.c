/*
 * network.c - a container's network: address lease, bridge, veth, routes.
 *
 * The host side keeps a bridge (BOCKER_BRIDGE, default bridge0) holding
 * the subnet's gateway address; each container gets a veth pair whose
 * host end is enslaved to that bridge and whose other end is eth0 in the
 * container's own network namespace (network_namespaces(7), veth(4)).
 * Addresses come from BOCKER_SUBNET (default 10.0.0.0/24, gateway .1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bocker.h"

/* Parse BOCKER_SUBNET ("a.b.c.d/len", 16 <= len <= 30). */
int
network_config(struct network *n)
{
	const char *subnet;
	const char *bridge;
	char text[32];
	char *slash;
	struct in_addr a;
	long prefix;

	memset(n, 0, sizeof(*n));
	n->leasefd = -1;
	subnet = getenv("BOCKER_SUBNET");
	if (subnet == NULL || *subnet == '\0')
		subnet = "10.0.0.0/24";
	bridge = getenv("BOCKER_BRIDGE");
	if (bridge == NULL || *bridge == '\0')
		bridge = "bridge0";
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge);
	snprintf(n->subnet_text, sizeof(n->subnet_text), "%s", subnet);
	snprintf(text, sizeof(text), "%s", subnet);
	slash = strchr(text, '/');
	prefix = slash ? strtol(slash + 1, NULL, 10) : -1;
	if (slash != NULL)
		*slash = '\0';
	if (strlen(bridge) >= 16) {
		errno = 0;
		return error_set("invalid BOCKER_BRIDGE '%s' (at most 15 "
				 "characters)", bridge);
	}
	if (prefix < 16 || prefix > 30 || inet_pton(AF_INET, text, &a) != 1) {
		errno = 0;
		return error_set("invalid BOCKER_SUBNET '%s' (expected an IPv4 "
				 "a.b.c.d/16 to /30)", subnet);
	}
	n->prefix = prefix;
	n->network = ntohl(a.s_addr) & (0xffffffffu << (32 - prefix));
	n->gateway = n->network + 1;
	return 0;
}

static void
format_address(uint32_t host_order, char *buf, size_t size)
{
	struct in_addr a;

	a.s_addr = htonl(host_order);
	(void)inet_ntop(AF_INET, &a, buf, size);
}

/*
 * Lease the lowest free address: net/<address> in the store, flocked for
 * as long as the container runs, holding the container's id. A lease
 * dies with the process holding it, so a container killed hard never
 * keeps its address. The store lock is held shared, so cleanup cannot
 * remove a lease file being taken.
 */
int
network_lease(struct network *n, struct store *s, const char *id)
{
	char path[64];
	uint32_t last;
	uint32_t a;
	int store;
	int fd;
	int rc;

	store = store_lock(s, LOCK_SH);
	if (store < 0)
		return -1;
	last = n->network + (1u << (32 - n->prefix)) - 2;
	for (a = n->gateway + 1; a <= last; a++) {
		format_address(a, n->address_text,
			       sizeof(n->address_text));
		snprintf(path, sizeof(path), "net/%s", n->address_text);
		fd = openat(s->rootfd, path, O_RDWR | O_CREAT | O_CLOEXEC |
			    O_NOFOLLOW, 0600);
		if (fd < 0)
			break;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			trace(fd, "flock(%d<%s>, LOCK_EX|LOCK_NB)", fd, path);
			n->address = a;
			n->leasefd = fd;
			store_unlock(store);
			rc = ftruncate(fd, 0);
			if (rc == 0)
				rc = pwrite(fd, id, strlen(id), 0);
			trace(rc, "pwrite(%d<%s>, \"%.12s...\", 0)", fd, path,
			      id);
			if (rc < 0)
				return error_set("write '%s'", path);
			return 0;
		}
		(void)close(fd);
	}
	store_unlock(store);
	if (a > last)
		errno = EADDRNOTAVAIL;
	return error_set("lease an address in '%s'", n->subnet_text);
}

void
network_release(struct network *n)
{
	if (n->leasefd >= 0)
		(void)close(n->leasefd);
	n->leasefd = -1;
}

/*
 * Make sure the bridge exists, has the gateway address and is up, and
 * that this namespace forwards IPv4. Each step tolerates "already done",
 * so parallel runs may race through it.
 */
int
network_bridge(struct network *n)
{
	int index;
	int rc;

	rc = netlink_bridge_create(n->bridge);
	if (rc < 0 && errno != EEXIST)
		return -1;
	index = netlink_ifindex(n->bridge);
	if (index < 0)
		return -1;
	rc = netlink_addr_add(index, htonl(n->gateway), n->prefix);
	if (rc < 0 && errno != EEXIST)
		return -1;
	if (netlink_link_up(index) < 0)
		return -1;
	n->bridge_index = index;
	rc = file_write(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1", 0);
	trace(rc, "write(\"/proc/sys/net/ipv4/ip_forward\", \"1\")");
	if (rc < 0)
		return error_set("enable IPv4 forwarding");
	return nft_masquerade(n) < 0 ? -1 : 0;
}

/*
 * Create the veth pair for container id, whose first process is pid.
 * The MAC address embeds the IPv4 address, as Docker's 02:42:... ones do.
 */
int
network_veth(struct network *n, const char *id, pid_t pid)
{
	unsigned char mac[6];

	snprintf(n->veth, sizeof(n->veth), "veth%.11s", id);
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = n->address >> 24;
	mac[3] = n->address >> 16;
	mac[4] = n->address >> 8;
	mac[5] = n->address;
	return netlink_veth_create(n->veth, n->bridge_index, "eth0", pid,
				   mac);
}

/* Bring up loopback, all a container on --network none gets. */
int
network_loopback(void)
{
	int lo;

	lo = netlink_ifindex("lo");
	if (lo < 0)
		return -1;
	return netlink_link_up(lo);
}

/*
 * Inside the container's namespace: loopback and eth0 up, the address,
 * and the default route through the bridge.
 */
int
network_inside(struct network *n)
{
	int eth;

	if (network_loopback() < 0)
		return -1;
	eth = netlink_ifindex("eth0");
	if (eth < 0)
		return -1;
	if (netlink_addr_add(eth, htonl(n->address), n->prefix) < 0)
		return -1;
	if (netlink_link_up(eth) < 0)
		return -1;
	return netlink_route_default(htonl(n->gateway));
}

/* The address as text, for state files and /etc/hosts. */
const char *
network_address(const struct network *n)
{
	return n->address_text;
}

/*
 * Hold host port p for as long as the container runs, as docker-proxy
 * does: a bound socket in this namespace (listening, for TCP), so a port
 * some program uses already is refused, and no program can take it
 * meanwhile. Host port 0 lets the kernel pick a free one. Nothing is ever
 * accepted: the DNAT rules send the traffic on before it could arrive.
 */
static int
reserve_port(struct port_spec *p)
{
	struct sockaddr_in a;
	socklen_t len;
	char host[INET_ADDRSTRLEN];
	int one = 1;
	int type;
	int fd;
	int rc;

	type = p->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	trace(fd, "socket(AF_INET, %s|SOCK_CLOEXEC, 0)",
	      type == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_STREAM");
	if (fd < 0)
		return error_set("socket");
	/* Connections that ended on the port moments ago do not count.
	 * The listen() below still keeps every other program off it. */
	if (type == SOCK_STREAM) {
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one));
		trace(rc, "setsockopt(%d, SOL_SOCKET, SO_REUSEADDR, [1])", fd);
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = p->host_ip;
	a.sin_port = htons(p->host_port);
	(void)inet_ntop(AF_INET, &a.sin_addr, host, sizeof(host));
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	trace(rc, "bind(%d, {%s:%u})", fd, host, p->host_port);
	if (rc == 0 && type == SOCK_STREAM) {
		rc = listen(fd, 1);
		trace(rc, "listen(%d, 1)", fd);
	}
	if (rc < 0) {
		error_set("publish %s:%u/%s", host, p->host_port,
			  p->protocol == IPPROTO_UDP ? "udp" : "tcp");
		(void)close(fd);
		return -1;
	}
	len = sizeof(a);
	if (p->host_port == 0) {
		rc = getsockname(fd, (struct sockaddr *)&a, &len);
		trace(rc, "getsockname(%d, {%s:%u})", fd, host,
		      ntohs(a.sin_port));
		if (rc == 0)
			p->host_port = ntohs(a.sin_port);
	}
	return fd;
}

/*
 * Publish the container's ports: reserve each host port (fds[i] keeps
 * it), let this host reach them on 127.0.0.1 too, and add the DNAT rules.
 */
int
network_publish(struct network *n, const char *id, struct port_spec *ports,
		size_t nports, int *fds)
{
	char path[80];
	size_t i;
	int rc;

	for (i = 0; i < nports; i++)
		fds[i] = -1;
	for (i = 0; i < nports; i++) {
		fds[i] = reserve_port(&ports[i]);
		if (fds[i] < 0)
			goto fail;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/"
		 "route_localnet", n->bridge);
	rc = file_write(AT_FDCWD, path, "1", 0);
	trace(rc, "write(\"%s\", \"1\")", path);
	if (rc < 0) {
		error_set("enable route_localnet on '%s'", n->bridge);
		goto fail;
	}
	if (nft_publish(n, id, ports, nports) == 0)
		return 0;
fail:
	for (i = 0; i < nports; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
	return -1;
}

/* Delete the container's DNAT rules, then give its host ports back. */
void
network_unpublish(struct network *n, const char *id, int *fds,
		  size_t nports)
{
	size_t i;

	if (nports == 0)
		return;
	(void)nft_unpublish(n, id);
	for (i = 0; i < nports; i++) {
		if (fds[i] >= 0)
			(void)close(fds[i]);
		fds[i] = -1;
	}
}
