/*
 * nft.c - NAT for containers through nf_tables, spoken over netlink.
 *
 * This is what nft(8) sends, without the tool: messages of the
 * NFNL_SUBSYS_NFTABLES subsystem (linux/netfilter/nf_tables.h) on a
 * NETLINK_NETFILTER socket. Changes travel in a batch framed by
 * NFNL_MSG_BATCH_BEGIN and NFNL_MSG_BATCH_END, which the kernel applies
 * as one transaction: all of it or nothing.
 *
 * bocker keeps one table of its own per bridge, so no rule of the host's
 * is flushed, reordered or touched. In nft(8)'s notation:
 *
 *	table ip bocker-bridge0 {
 *		chain postrouting {
 *			type nat hook postrouting priority srcnat;
 *			ip saddr 10.0.0.0/24 oifname != "bridge0" masquerade
 *			ip saddr 127.0.0.0/8 oifname "bridge0" masquerade
 *			ip saddr 10.0.0.0/24 oifname "bridge0" ct status dnat
 *				masquerade
 *		}
 *		chain prerouting {
 *			type nat hook prerouting priority dstnat;
 *			fib daddr type local tcp dport 8080 dnat to 10.0.0.2:80
 *				comment "<container id>"
 *		}
 *		chain output {
 *			type nat hook output priority dstnat;
 *			(the same -p rules, for connections made on this host)
 *		}
 *	}
 *
 * The first postrouting rule gives containers the outside world. The
 * second, together with route_localnet on the bridge, lets this host
 * reach a published port on 127.0.0.1. The third lets a container reach
 * a published port through a host address (hairpin NAT): the reply
 * must return through the host, not straight across the bridge. A -p rule carries its container's
 * id as its comment, so the container's bocker deletes its own rules when
 * the container ends, and a later run or `cleanup` deletes those a
 * killed bocker left.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bocker.h"

#define BATCH_MAX 32768
#define WHAT_MAX 8192
#define COMMENT_MAX 128		/* what nft(8) allows in a comment */

/* A batch of nf_tables messages being built, and its text for trace. */
struct batch {
	char buf[BATCH_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	struct nlmsghdr *msg;	/* the message being built */
	uint32_t seq;		/* of the last message */
	int nacks;		/* messages that ask for an acknowledgement */
	int full;		/* an attribute did not fit */
	char what[WHAT_MAX];	/* the batch in nft(8)'s words, for trace */
	size_t what_len;
};

/* Append to the trace text of the batch. */
static void
say(struct batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct batch *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->what_len >= sizeof(b->what))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->what + b->what_len, sizeof(b->what) - b->what_len,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		b->what_len += n;
}

/* Start a message: header, then the nfgenmsg every nfnetlink one has. */
static void
message(struct batch *b, int type, int flags, int family, int res_id)
{
	struct nfgenmsg *g;

	b->len = NLMSG_ALIGN(b->len);
	if (b->len + NLMSG_SPACE(sizeof(*g)) > sizeof(b->buf)) {
		b->full = 1;
		return;
	}
	b->msg = (struct nlmsghdr *)(b->buf + b->len);
	memset(b->msg, 0, NLMSG_SPACE(sizeof(*g)));
	b->msg->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	b->msg->nlmsg_type = type;
	b->msg->nlmsg_flags = NLM_F_REQUEST | flags;
	b->msg->nlmsg_seq = ++b->seq;
	if (flags & NLM_F_ACK)
		b->nacks++;
	g = NLMSG_DATA(b->msg);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	b->len += b->msg->nlmsg_len;
}

/* Start an nf_tables request about the ip family inside the batch. */
static void
request(struct batch *b, int type, int flags)
{
	message(b, (NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_ACK | flags,
		NFPROTO_IPV4, 0);
}

/* Append an attribute to the current message; a nest is closed later. */
static struct nlattr *
put(struct batch *b, int type, const void *data, size_t len)
{
	struct nlattr *a;
	size_t at;

	at = NLMSG_ALIGN(b->len);
	if (b->full || at + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(b->buf)) {
		b->full = 1;
		return NULL;
	}
	a = (struct nlattr *)(b->buf + at);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memset((char *)a + NLA_HDRLEN, 0, NLA_ALIGN(len));
	if (len > 0)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	b->len = at + NLA_ALIGN(a->nla_len);
	b->msg->nlmsg_len = b->len - ((char *)b->msg - b->buf);
	return a;
}

static void
put_string(struct batch *b, int type, const char *s)
{
	(void)put(b, type, s, strlen(s) + 1);
}

/* nf_tables takes its numbers in network byte order. */
static void
put_be32(struct batch *b, int type, uint32_t v)
{
	v = htonl(v);
	(void)put(b, type, &v, sizeof(v));
}

static struct nlattr *
nest(struct batch *b, int type)
{
	return put(b, type | NLA_F_NESTED, NULL, 0);
}

static void
end(struct batch *b, struct nlattr *a)
{
	if (a != NULL)
		a->nla_len = b->buf + b->len - (char *)a;
}

/* A value wrapped as nft_data: { NFTA_DATA_VALUE }. */
static void
put_data(struct batch *b, int type, const void *data, size_t len)
{
	struct nlattr *n;

	n = nest(b, type);
	(void)put(b, NFTA_DATA_VALUE, data, len);
	end(b, n);
}

/* Open one expression of a rule; end() closes what this returns. */
static struct nlattr *
expression(struct batch *b, const char *name, struct nlattr **data)
{
	struct nlattr *elem;

	elem = nest(b, NFTA_LIST_ELEM);
	put_string(b, NFTA_EXPR_NAME, name);
	*data = nest(b, NFTA_EXPR_DATA);
	return elem;
}

static void
close_expression(struct batch *b, struct nlattr *elem, struct nlattr *data)
{
	end(b, data);
	end(b, elem);
}

/* payload load LEN bytes at OFFSET of a header => reg 1 */
static void
expr_payload(struct batch *b, int base, int offset, int len)
{
	struct nlattr *e, *d;

	e = expression(b, "payload", &d);
	put_be32(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
	put_be32(b, NFTA_PAYLOAD_BASE, base);
	put_be32(b, NFTA_PAYLOAD_OFFSET, offset);
	put_be32(b, NFTA_PAYLOAD_LEN, len);
	close_expression(b, e, d);
}

/* cmp OP reg 1 DATA */
static void
expr_cmp(struct batch *b, int op, const void *data, size_t len)
{
	struct nlattr *e, *d;

	e = expression(b, "cmp", &d);
	put_be32(b, NFTA_CMP_SREG, NFT_REG_1);
	put_be32(b, NFTA_CMP_OP, op);
	put_data(b, NFTA_CMP_DATA, data, len);
	close_expression(b, e, d);
}

/* reg 1 = reg 1 & MASK, 4 bytes as they are in the register */
static void
expr_and(struct batch *b, uint32_t mask)
{
	struct nlattr *e, *d;
	uint32_t zero = 0;

	e = expression(b, "bitwise", &d);
	put_be32(b, NFTA_BITWISE_SREG, NFT_REG_1);
	put_be32(b, NFTA_BITWISE_DREG, NFT_REG_1);
	put_be32(b, NFTA_BITWISE_LEN, 4);
	put_data(b, NFTA_BITWISE_MASK, &mask, 4);
	put_data(b, NFTA_BITWISE_XOR, &zero, 4);
	close_expression(b, e, d);
}

/* meta load KEY => reg 1 */
static void
expr_meta(struct batch *b, int key)
{
	struct nlattr *e, *d;

	e = expression(b, "meta", &d);
	put_be32(b, NFTA_META_DREG, NFT_REG_1);
	put_be32(b, NFTA_META_KEY, key);
	close_expression(b, e, d);
}

/* ip saddr (or daddr) NETWORK/PREFIX, addresses in host byte order */
static void
match_address(struct batch *b, int offset, uint32_t network, int prefix)
{
	uint32_t mask;
	uint32_t value;

	mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
	value = htonl(network & mask);
	expr_payload(b, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
	if (prefix < 32)
		expr_and(b, htonl(mask));
	expr_cmp(b, NFT_CMP_EQ, &value, 4);
}

/* oifname (!=) NAME, compared as the kernel's IFNAMSIZ buffer */
static void
match_oifname(struct batch *b, int op, const char *name)
{
	char padded[IFNAMSIZ];

	memset(padded, 0, sizeof(padded));
	snprintf(padded, sizeof(padded), "%s", name);
	expr_meta(b, NFT_META_OIFNAME);
	expr_cmp(b, op, padded, sizeof(padded));
}

/* ct status dnat: the connection's destination was translated */
static void
match_dnat(struct batch *b)
{
	struct nlattr *e, *d;
	uint32_t zero = 0;

	e = expression(b, "ct", &d);
	put_be32(b, NFTA_CT_DREG, NFT_REG_1);
	put_be32(b, NFTA_CT_KEY, NFT_CT_STATUS);
	close_expression(b, e, d);
	expr_and(b, IPS_DST_NAT);
	expr_cmp(b, NFT_CMP_NEQ, &zero, 4);
}

static void
expr_masquerade(struct batch *b)
{
	struct nlattr *e, *d;

	e = expression(b, "masq", &d);
	close_expression(b, e, d);
}

/* The table's name: bocker-<bridge>, one table for each bridge. */
static void
table_name(const struct network *n, char *name, size_t size)
{
	snprintf(name, size, "bocker-%s", n->bridge);
}

/* Start a rule appended to chain; the expressions follow. */
static struct nlattr *
rule(struct batch *b, const char *table, const char *chain)
{
	request(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	put_string(b, NFTA_RULE_TABLE, table);
	put_string(b, NFTA_RULE_CHAIN, chain);
	return nest(b, NFTA_RULE_EXPRESSIONS);
}

/* A base chain of type nat on hook, accepting what no rule takes. */
static void
nat_chain(struct batch *b, const char *table, const char *name, int hook,
	  int priority)
{
	struct nlattr *h;

	request(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	put_string(b, NFTA_CHAIN_TABLE, table);
	put_string(b, NFTA_CHAIN_NAME, name);
	h = nest(b, NFTA_CHAIN_HOOK);
	put_be32(b, NFTA_HOOK_HOOKNUM, hook);
	put_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)priority);
	end(b, h);
	put_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
	put_string(b, NFTA_CHAIN_TYPE, "nat");
	say(b, ", NFT_MSG_NEWCHAIN {%s: type nat hook %s priority %d}",
	    name, name, priority);
}

/* Is err the error of a kernel without nfnetlink or nf_tables? */
static int
unsupported(int err)
{
	return err == EPROTONOSUPPORT || err == EOPNOTSUPP;
}

static int
open_socket(void)
{
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	trace(fd, "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, "
	      "NETLINK_NETFILTER)");
	return fd;
}

/*
 * Read acknowledgements until every message that requested one is
 * acknowledged. Returns 0, or -1 with the errno of the first message
 * that failed, in which case the kernel abandons the whole batch.
 */
static int
read_acks(int fd, int nacks)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsgerr *err;
	struct nlmsghdr *nh;
	ssize_t n;

	while (nacks > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type != NLMSG_ERROR)
				continue;
			err = NLMSG_DATA(nh);
			if (err->error != 0) {
				errno = -err->error;
				return -1;
			}
			nacks--;
		}
	}
	if (nacks > 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Frame the messages added since batch_start() and send them as one. */
static int
batch_send(struct batch *b, const char *step)
{
	int fd;
	int rc;

	message(b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	if (b->full) {
		errno = E2BIG;
		return error_set("%s: too many rules for one batch", step);
	}
	fd = open_socket();
	if (fd < 0)
		return error_set("netlink socket");
	rc = send(fd, b->buf, b->len, 0);
	if (rc >= 0)
		rc = read_acks(fd, b->nacks);
	trace(rc, "sendmsg(NETLINK_NETFILTER, {NFNL_MSG_BATCH_BEGIN%s, "
	      "NFNL_MSG_BATCH_END})", b->what);
	(void)close(fd);
	if (rc < 0)
		return error_set("%s", step);
	return 0;
}

/* A batch with its opening message; the caller adds requests. */
static struct batch *
batch_start(void)
{
	struct batch *b;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	message(b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	return b;
}

/*
 * Create the table, its three chains and the three masquerade rules, in
 * one transaction that fails with EEXIST when the table is there: then
 * an earlier run made all of it, and nothing changes.
 */
static int
create_table(const struct network *n, const char *table)
{
	struct batch *b;
	struct nlattr *exprs;
	int rc;

	b = batch_start();
	if (b == NULL)
		return error_set("allocate a netlink batch");
	request(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
	put_string(b, NFTA_TABLE_NAME, table);
	say(b, ", NFT_MSG_NEWTABLE {ip %s}", table);
	nat_chain(b, table, "postrouting", NF_INET_POST_ROUTING, 100);
	nat_chain(b, table, "prerouting", NF_INET_PRE_ROUTING, -100);
	nat_chain(b, table, "output", NF_INET_LOCAL_OUT, -100);

	exprs = rule(b, table, "postrouting");
	match_address(b, 12, n->network, n->prefix);
	match_oifname(b, NFT_CMP_NEQ, n->bridge);
	expr_masquerade(b);
	end(b, exprs);
	say(b, ", NFT_MSG_NEWRULE {postrouting: ip saddr %s oifname != "
	    "\"%s\" masquerade}", n->subnet_text, n->bridge);

	exprs = rule(b, table, "postrouting");
	match_address(b, 12, 0x7f000000, 8);
	match_oifname(b, NFT_CMP_EQ, n->bridge);
	expr_masquerade(b);
	end(b, exprs);
	say(b, ", NFT_MSG_NEWRULE {postrouting: ip saddr 127.0.0.0/8 "
	    "oifname \"%s\" masquerade}", n->bridge);

	exprs = rule(b, table, "postrouting");
	match_address(b, 12, n->network, n->prefix);
	match_oifname(b, NFT_CMP_EQ, n->bridge);
	match_dnat(b);
	expr_masquerade(b);
	end(b, exprs);
	say(b, ", NFT_MSG_NEWRULE {postrouting: ip saddr %s oifname \"%s\" "
	    "ct status dnat masquerade}", n->subnet_text, n->bridge);

	rc = batch_send(b, "create the nf_tables table");
	free(b);
	return rc;
}

/*
 * Is the table there? A plain NFT_MSG_GETTABLE: cheap, where a batch
 * that fails has the kernel undo its chains' hooks, which takes
 * milliseconds.
 */
static int
table_exists(const char *table)
{
	struct batch *b;
	int fd;
	int rc;

	b = batch_start();
	if (b == NULL)
		return error_set("allocate a netlink batch");
	b->len = 0;
	b->nacks = 0;
	request(b, NFT_MSG_GETTABLE, 0);
	put_string(b, NFTA_TABLE_NAME, table);
	fd = open_socket();
	rc = fd < 0 ? -1 : send(fd, b->buf, b->len, 0);
	if (rc >= 0)
		rc = read_acks(fd, 1);
	trace(rc, "sendmsg(NETLINK_NETFILTER, NFT_MSG_GETTABLE {ip %s})",
	      table);
	if (fd >= 0)
		(void)close(fd);
	free(b);
	if (rc == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return error_set("look for the nf_tables table '%s'", table);
}

/*
 * Give containers on the bridge the outside world: masquerade what
 * leaves through any other link. Returns 1 when the table was made now,
 * 0 when it was there.
 */
int
nft_masquerade(const struct network *n)
{
	char table[64];
	int rc;

	table_name(n, table, sizeof(table));
	rc = table_exists(table);
	/* EINVAL too: nfnetlink returns it for a subsystem it lacks. */
	if (rc < 0 && (unsupported(errno) || errno == EINVAL)) {
		trace_note("no nf_tables in this kernel: no NAT, no -p");
		return 0;
	}
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (create_table(n, table) == 0)
		return 1;
	/* Another bocker made it meanwhile. */
	return errno == EEXIST ? 0 : -1;
}

/* Rule user data: one TLV, type 0 (comment), as nft(8) writes it. */
static void
put_comment(struct batch *b, const char *text)
{
	unsigned char udata[2 + COMMENT_MAX];
	size_t len;

	len = strlen(text) + 1;
	if (len > COMMENT_MAX)
		len = COMMENT_MAX;
	udata[0] = 0;
	udata[1] = len;
	memcpy(udata + 2, text, len - 1);
	udata[1 + len] = '\0';
	(void)put(b, NFTA_RULE_USERDATA, udata, 2 + len);
}

static const char *
protocol_name(int protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

/*
 * One -p rule in chain: traffic for the host port (on every local
 * address, or on the one given) goes to the container's port.
 */
static void
publish_rule(struct batch *b, const char *table, const char *chain,
	     const struct network *n, const char *id,
	     const struct port_spec *p)
{
	struct nlattr *exprs, *e, *d;
	uint32_t local = RTN_LOCAL;
	uint32_t address;
	uint16_t port;
	uint8_t protocol;
	char host[32];

	exprs = rule(b, table, chain);
	if (p->host_ip == 0) {
		e = expression(b, "fib", &d);
		put_be32(b, NFTA_FIB_DREG, NFT_REG_1);
		put_be32(b, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		put_be32(b, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
		close_expression(b, e, d);
		expr_cmp(b, NFT_CMP_EQ, &local, sizeof(local));
	} else {
		expr_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
		expr_cmp(b, NFT_CMP_EQ, &p->host_ip, 4);
	}
	protocol = p->protocol;
	expr_meta(b, NFT_META_L4PROTO);
	expr_cmp(b, NFT_CMP_EQ, &protocol, 1);
	port = htons(p->host_port);
	expr_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	expr_cmp(b, NFT_CMP_EQ, &port, 2);

	e = expression(b, "immediate", &d);
	put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_1);
	address = htonl(n->address);
	put_data(b, NFTA_IMMEDIATE_DATA, &address, 4);
	close_expression(b, e, d);
	e = expression(b, "immediate", &d);
	put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_2);
	port = htons(p->container_port);
	put_data(b, NFTA_IMMEDIATE_DATA, &port, 2);
	close_expression(b, e, d);
	e = expression(b, "nat", &d);
	put_be32(b, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	put_be32(b, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	put_be32(b, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	put_be32(b, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	put_be32(b, NFTA_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS |
		 NF_NAT_RANGE_PROTO_SPECIFIED);
	close_expression(b, e, d);
	end(b, exprs);
	put_comment(b, id);

	if (p->host_ip == 0)
		snprintf(host, sizeof(host), "fib daddr type local");
	else
		(void)inet_ntop(AF_INET, &p->host_ip, host, sizeof(host));
	say(b, ", NFT_MSG_NEWRULE {%s: %s%s %s dport %u dnat to %s:%u "
	    "comment \"%.12s\"}", chain, p->host_ip ? "ip daddr " : "",
	    host, protocol_name(p->protocol), p->host_port,
	    network_address(n), p->container_port, id);
}

/*
 * Forward each host port of ports to the container's address, from
 * outside (prerouting) and from this host (output), in one transaction.
 */
int
nft_publish(const struct network *n, const char *id,
	    const struct port_spec *ports, size_t nports)
{
	char table[64];
	struct batch *b;
	size_t i;
	int rc;

	if (nports == 0)
		return 0;
	table_name(n, table, sizeof(table));
	b = batch_start();
	if (b == NULL)
		return error_set("allocate a netlink batch");
	for (i = 0; i < nports; i++) {
		publish_rule(b, table, "prerouting", n, id, &ports[i]);
		publish_rule(b, table, "output", n, id, &ports[i]);
	}
	rc = batch_send(b, "add the port forwarding rules");
	free(b);
	return rc;
}

/* A rule of our table as a dump describes it. */
struct rule_info {
	char chain[64];
	uint64_t handle;	/* network byte order, as the kernel gave it */
	char comment[COMMENT_MAX + 1];
};

static void
parse_comment(const unsigned char *udata, size_t len, char *out)
{
	size_t at;
	size_t n;

	out[0] = '\0';
	for (at = 0; at + 2 <= len; at += 2 + udata[at + 1]) {
		n = udata[at + 1];
		if (at + 2 + n > len)
			return;
		if (udata[at] == 0 && n > 0 && n <= COMMENT_MAX) {
			memcpy(out, udata + at + 2, n);
			out[n - 1] = '\0';
			return;
		}
	}
}

static void
parse_rule(struct nlmsghdr *nh, struct rule_info *r)
{
	struct nlattr *a;
	size_t left;
	size_t len;
	char *p;

	memset(r, 0, sizeof(*r));
	p = (char *)NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	left = nh->nlmsg_len - (p - (char *)nh);
	while (left >= NLA_HDRLEN) {
		a = (struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > left)
			return;
		len = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NFTA_RULE_CHAIN:
			snprintf(r->chain, sizeof(r->chain), "%.*s",
				 (int)len, p + NLA_HDRLEN);
			break;
		case NFTA_RULE_HANDLE:
			if (len == sizeof(r->handle))
				memcpy(&r->handle, p + NLA_HDRLEN, len);
			break;
		case NFTA_RULE_USERDATA:
			parse_comment((unsigned char *)p + NLA_HDRLEN, len,
				      r->comment);
			break;
		}
		if ((size_t)NLA_ALIGN(a->nla_len) >= left)
			break;
		left -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Delete every -p rule of the table whose comment is a container id
 * that doomed() accepts, in one transaction.
 */
static int
delete_rules(const struct network *n,
	     int (*doomed)(const char *id, void *arg), void *arg)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct rule_info info;
	struct nlmsghdr *nh;
	struct batch *dump;
	struct batch *b;
	char table[64];
	ssize_t len;
	int deleted;
	int fd;
	int rc;

	table_name(n, table, sizeof(table));
	dump = batch_start();
	b = batch_start();
	if (dump == NULL || b == NULL) {
		free(dump);
		free(b);
		return error_set("allocate a netlink batch");
	}
	/* A dump is a plain request, outside any batch. */
	dump->len = 0;
	message(dump, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE,
		NLM_F_DUMP, NFPROTO_IPV4, 0);
	put_string(dump, NFTA_RULE_TABLE, table);
	deleted = 0;
	fd = open_socket();
	if (fd < 0 && unsupported(errno)) {
		/* Without nf_tables there are no rules to delete. */
		free(dump);
		free(b);
		return 0;
	}
	rc = fd < 0 ? -1 : send(fd, dump->buf, dump->len, 0);
	trace(rc, "sendmsg(NETLINK_NETFILTER, NFT_MSG_GETRULE "
	      "{table=\"%s\", NLM_F_DUMP})", table);
	while (rc >= 0 && (len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				goto done;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				/* No table: nothing to delete. */
				goto done;
			}
			if (nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) |
					       NFT_MSG_NEWRULE))
				continue;
			parse_rule(nh, &info);
			if (strlen(info.comment) != ID_LEN ||
			    !doomed(info.comment, arg))
				continue;
			request(b, NFT_MSG_DELRULE, 0);
			put_string(b, NFTA_RULE_TABLE, table);
			put_string(b, NFTA_RULE_CHAIN, info.chain);
			(void)put(b, NFTA_RULE_HANDLE, &info.handle,
				  sizeof(info.handle));
			say(b, ", NFT_MSG_DELRULE {%s: handle %llu, comment "
			    "\"%.12s\"}", info.chain, (unsigned long long)
			    be64toh(info.handle), info.comment);
			deleted++;
		}
	}
	rc = -1;
done:
	if (fd >= 0)
		(void)close(fd);
	free(dump);
	if (rc < 0) {
		free(b);
		return error_set("list the rules of '%s'", table);
	}
	rc = 0;
	if (deleted > 0) {
		rc = batch_send(b, "delete port forwarding rules");
		/* A rule another bocker deleted meanwhile is gone anyway. */
		if (rc < 0 && errno == ENOENT)
			rc = 0;
	}
	free(b);
	return rc;
}

static int
is_id(const char *id, void *arg)
{
	return !strcmp(id, arg);
}

/* Delete the -p rules of container id. */
int
nft_unpublish(const struct network *n, const char *id)
{
	return delete_rules(n, is_id, (void *)id);
}

struct prune {
	int (*live)(const char *id, void *arg);
	void *arg;
};

static int
is_dead(const char *id, void *arg)
{
	struct prune *p = arg;

	return !p->live(id, p->arg);
}

/* Delete the -p rules of every container that live() finds ended. */
int
nft_prune(const struct network *n, int (*live)(const char *id, void *arg),
	  void *arg)
{
	struct prune p = { live, arg };

	return delete_rules(n, is_dead, &p);
}

/* Delete the whole table; 0 also when there is none. */
int
nft_remove(const struct network *n)
{
	char table[64];
	struct batch *b;
	int rc;

	table_name(n, table, sizeof(table));
	b = batch_start();
	if (b == NULL)
		return error_set("allocate a netlink batch");
	request(b, NFT_MSG_DELTABLE, 0);
	put_string(b, NFTA_TABLE_NAME, table);
	say(b, ", NFT_MSG_DELTABLE {ip %s}", table);
	rc = batch_send(b, "delete the nf_tables table");
	free(b);
	if (rc < 0 && (errno == ENOENT || unsupported(errno)))
		return 0;
	return rc;
}
