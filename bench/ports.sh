#!/bin/bash
# bench/ports.sh - TCP throughput through a `bocker run -p` port forward,
# beside the same transfer routed straight to the container, as root.
#
#   bench/ports.sh [ROUNDS [MIB]]     (default 9 rounds of 1024 MiB)
#
# The bocker binary is $BOCKER when set, else ./bocker.
#
# The sink is bench/tcpbench.c, built static here, run as
# `bocker run -d -p 9000:9000 <busybox image> /tcpbench -l 9000`; it
# counts what it reads and replies with the count at end of stream. The
# source is the same program in a second network namespace, "uplink",
# linked by a veth pair to the one bocker runs in:
#
#   uplink: eth0 10.99.0.2  <->  uplink0 10.99.0.1, bridge0, container
#
#   forwarded  to 10.99.0.1:9000, which bocker's nf_tables prerouting
#              rule rewrites (DNAT) to the container's address;
#   direct     to the container's address on port 9000, over a route in
#              the uplink namespace to bocker's subnet via 10.99.0.1, so
#              no NAT rule applies (conntrack still tracks it).
#
# Both cross the same two veth pairs and the bridge. Each round sends MIB
# MiB once each way, alternating which goes first. The report gives the
# median rate of each in MB/s (10^6 bytes per second) and the ratio of
# the medians. It also gives the median of each round's own ratio, which
# varies less when other load on the machine changes between rounds.
# Everything runs in the two namespaces and on a loopback btrfs made
# here, removed at exit.
set -u

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=bench/lib.sh
. bench/lib.sh

ROUNDS=${1:-9}
MIB=${2:-1024}
PORT=9000
UPLINK_HOST=10.99.0.1
UPLINK_PEER=10.99.0.2

in_uplink()
{
	nsenter --net="/run/netns/$UPLINK" "$@"
}

# make_uplink: the uplink namespace and its veth pair, with the route
# to bocker's subnet that the direct transfers take.
make_uplink()
{
	UPLINK=bocker-ports-uplink-$$
	ip netns add "$UPLINK" || return 1
	ip -n "$UPLINK" link set lo up || return 1
	ip link add uplink0 netns "$NETNS" type veth peer name eth0 \
		netns "$UPLINK" || return 1
	ip -n "$NETNS" addr add "$UPLINK_HOST/24" dev uplink0 || return 1
	ip -n "$NETNS" link set uplink0 up || return 1
	ip -n "$UPLINK" addr add "$UPLINK_PEER/24" dev eth0 || return 1
	ip -n "$UPLINK" link set eth0 up || return 1
	ip -n "$UPLINK" route add "$SUBNET" via "$UPLINK_HOST"
}

# container_address ID: the container's IPv4 address, from bocker inspect
# or, in builds without inspect, from busybox ip inside the container.
container_address()
{
	local address

	address=$(bk inspect "$1" 2> /dev/null |
		sed -n 's/.*"IPAddress": "\([0-9.]*\)".*/\1/p' | head -n 1)
	if [ -z "$address" ]; then
		address=$(bk exec "$1" ip -4 -o addr show dev eth0 |
			sed -n 's|.* inet \([0-9.]*\)/.*|\1|p')
	fi
	echo "$address"
}

# wait_sink ADDRESS: poll the sink at ADDRESS for up to 5 s.
wait_sink()
{
	for _ in $(seq 50); do
		if in_uplink "$WORK/tcpbench" "$1" "$PORT" 0 \
			> /dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# transfer ROUND NAME ADDRESS: send $MIB MiB, append "ROUND NAME MB/S"
# to $WORK/rates.
transfer()
{
	local out

	out=$(in_uplink "$WORK/tcpbench" "$3" "$PORT" "$MIB") || return 1
	echo "$out" | awk -v r="$1" -v n="$2" \
		'{ printf "%s %s %.1f\n", r, n, $1 / $2 * 1000 }' \
		>> "$WORK/rates"
}

# The median of the numbers on standard input.
median()
{
	sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (NR % 2)
				print v[(NR + 1) / 2]
			else
				print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# ---------------------------------------------------------------- setup

bench_setup bocker-ports
bench_rootfs
${CC:-musl-gcc} -static -O2 -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-o "$WORK/tcpbench" bench/tcpbench.c || die "cannot build tcpbench"
cp "$WORK/tcpbench" "$BUNDLE/rootfs/tcpbench" || die "cannot copy tcpbench"
bench_image
SUBNET=${BOCKER_SUBNET:-10.0.0.0/24}
make_uplink || die "cannot set up the uplink namespace"

ID=$(bk run -d -p "$PORT:$PORT" "$IMG" /tcpbench -l "$PORT") ||
	die "bocker run -d -p failed"
ADDRESS=$(container_address "$ID")
[ -n "$ADDRESS" ] || die "cannot find the address of container $ID"
wait_sink "$UPLINK_HOST" ||
	die "sink at $UPLINK_HOST:$PORT not reachable within 5 s"
wait_sink "$ADDRESS" || die "sink at $ADDRESS:$PORT not reachable within 5 s"

echo "bench: $ROUNDS rounds of $MIB MiB; bocker $BOCKER; container" \
	"$ADDRESS" >&2
: > "$WORK/rates"
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) = 1 ]; then
		transfer "$i" forwarded "$UPLINK_HOST" &&
			transfer "$i" direct "$ADDRESS"
	else
		transfer "$i" direct "$ADDRESS" &&
			transfer "$i" forwarded "$UPLINK_HOST"
	fi || die "transfer failed in round $i"
done

# ---------------------------------------------------------------- report

rates()
{
	awk -v n="$1" '$2 == n { print $3 }' "$WORK/rates"
}

# Each round's forwarded rate over its direct rate.
round_ratios()
{
	awk -v rounds="$ROUNDS" '
		{ rate[$1, $2] = $3 }
		END {
			for (i = 1; i <= rounds; i++) {
				ratio = rate[i, "forwarded"] / rate[i, "direct"]
				printf "%.3f\n", ratio
			}
		}' "$WORK/rates"
}

echo
echo "TCP, $MIB MiB a transfer, $ROUNDS rounds (MB/s): median, all rounds"
for name in forwarded direct; do
	printf '  %-10s %8s   %s\n' "$name" "$(rates "$name" | median)" \
		"$(rates "$name" | tr '\n' ' ')"
done
awk -v f="$(rates forwarded | median)" -v d="$(rates direct | median)" \
	'BEGIN { printf "  forwarded/direct, medians   %.3f\n", f / d }'
printf '  forwarded/direct, per round %.3f   %s\n' \
	"$(round_ratios | median)" "$(round_ratios | tr '\n' ' ')"
