#!/bin/bash
# bench/pull.sh - wall time and peak RSS of `bocker pull` of debian:bookworm
# from a local TLS registry, beside skopeo copy + umoci unpack, beside
# curl | gzip -d | tar -x of the same layer, and beside gzip -d alone.
# Run as root.
#
#   bench/pull.sh [DEBIAN_TREE]    (default build/rootfs-debian, made with
#                                   tests/mkrootfs.sh debian when missing)
#   BENCH_ROUNDS=N                 rounds of every tool (default 3)
#
# Setup: tests/registry.sh starts Debian's docker-registry over TLS with a
# test CA, in a network namespace made here, and tests/mkimages.sh pushes
# busybox:latest and debian:bookworm (one gzip layer) to its anonymous
# registry. Every client runs in that namespace (nsenter --net) and writes
# to one loopback btrfs made here. The registry's own storage stays in the
# work directory on the machine's disk.
#
# The tools, each run once a round; odd rounds run them in this order,
# even rounds in the reverse order:
#   bocker        bocker pull -q REG/debian:bookworm into an empty
#                 BOCKER_ROOT (btrfs driver: the image is a subvolume)
#   skopeo+umoci  skopeo copy docker://REG/debian:bookworm oci:DIR:bookworm,
#                 then umoci unpack --image DIR:bookworm BUNDLE; each is
#                 timed, the pair's wall time is the sum, its RSS the larger
#   floor         curl | gzip -d | tar -x of the layer blob: transfer, TLS,
#                 inflate and extraction with no digest check and no store
#   gunzip        gzip -d of the layer from a file on the btrfs, output
#                 discarded: the CPU cost of inflating alone
# Before each run, everything the previous one wrote is removed. Then the
# script waits for the btrfs cleaner (btrfs subvolume sync), writes back
# dirty data (sync) and drops the page cache of the whole machine, so
# every run starts cold from the same empty filesystem. After each run,
# one `sync` is timed: the writeback the tool left behind. It is shown
# apart and is not part of the wall time or the ratios.
#
# Wall time, peak RSS and CPU time (user + system) come from GNU time
# (-f '%e %M %U %S'). A pipeline runs under one bash, whose reaped
# children count towards its RSS and CPU time, so the RSS is that of the
# largest process in it and the CPU time that of all of them.
#
# ./bocker is copied into the work directory first, so a rebuild of the
# tree during the run does not change the binary being measured.
#
# Everything started here is stopped on exit, also on failure: the
# registries by reg_stop, then the mount, loop device, namespace and work
# directory by lib_cleanup.
set -u

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh
# shellcheck source=tests/registry.sh
. tests/registry.sh
# shellcheck source=tests/mkimages.sh
. tests/mkimages.sh

ROUNDS=${BENCH_ROUNDS:-3}
DEBIAN_TREE=${1:-$PWD/build/rootfs-debian}
TOOL_TIMEOUT=300
UNITS=(bocker skopeo+umoci floor gunzip)
BENCH_PACKAGES="skopeo umoci time btrfs-progs curl gzip tar"

die()
{
	echo "bench: $*" >&2
	exit 1
}

note()
{
	echo "bench: $*" >&2
}

bench_cleanup()
{
	local status=$?

	if [ -n "${REG_DIR:-}" ]; then
		reg_stop "$WORK"
	fi
	# lib_cleanup takes the exit status from $?.
	(exit "$status")
	lib_cleanup
}

install_missing()
{
	local pkg missing=

	for pkg in $BENCH_PACKAGES; do
		dpkg-query -W -f '${Status}\n' "$pkg" 2> /dev/null |
			grep -q 'install ok installed' ||
			missing="$missing $pkg"
	done
	if [ -n "$missing" ]; then
		note "installing:$missing"
		# shellcheck disable=SC2086 # one package a word
		DEBIAN_FRONTEND=noninteractive apt-get install -y $missing \
			> /dev/null || return 1
	fi
	reg_install_packages > /dev/null
}

# --------------------------------------------------------------- one run

# in_netns CMD...: CMD in the registries' namespace, stopped after
# TOOL_TIMEOUT seconds. --foreground lets Ctrl-C reach the tool. timed
# spells the same command out, because GNU time cannot run a function.
in_netns()
{
	timeout --foreground -k 10 "$TOOL_TIMEOUT" \
		nsenter --net="$NETNS_PATH" "$@"
}

# quiesce: wait for the btrfs cleaner to free deleted subvolumes, write
# back dirty data and drop the page cache, dentries and inodes.
quiesce()
{
	btrfs subvolume sync "$MNT" > /dev/null ||
		die "btrfs subvolume sync $MNT failed"
	sync
	echo 3 > /proc/sys/vm/drop_caches ||
		die "cannot drop the page cache"
}

# timed NAME ROUND CMD...: run CMD in the namespace under GNU time and
# append "NAME ROUND WALL_S RSS_KIB CPU_S" to $WORK/runs. Standard output
# is discarded, standard error kept in $WORK/err.NAME.
timed()
{
	local name=$1 round=$2 wall rss user sys

	shift 2
	if ! /usr/bin/time -f '%e %M %U %S' -o "$WORK/time.$name" \
		timeout --foreground -k 10 "$TOOL_TIMEOUT" \
		nsenter --net="$NETNS_PATH" "$@" \
		> /dev/null 2> "$WORK/err.$name"; then
		note "$name failed in round $round: $*"
		tail -n 20 "$WORK/err.$name" >&2
		return 1
	fi
	read -r wall rss user sys < "$WORK/time.$name"
	echo "$name $round $wall $rss $(awk -v u="$user" -v s="$sys" \
		'BEGIN { printf "%.2f", u + s }')" >> "$WORK/runs"
}

# writeback UNIT ROUND: time one sync right after UNIT's run.
writeback()
{
	local start end

	start=$(date +%s%N)
	sync
	end=$(date +%s%N)
	echo "sync:$1 $2 $(awk -v ns=$((end - start)) \
		'BEGIN { printf "%.2f", ns / 1e9 }') 0 0" >> "$WORK/runs"
}

# entries DIR: the number of names below DIR, to compare with the number
# of entries in the layer.
entries()
{
	find "$1" -mindepth 1 | wc -l
}

# check_tree UNIT DIR: fail unless DIR contains as many names as the layer
# has entries.
check_tree()
{
	local got

	[ -f "$2/etc/debian_version" ] ||
		die "$1: etc/debian_version missing in $2"
	got=$(entries "$2")
	[ "$got" = "$LAYER_ENTRIES" ] ||
		die "$1: $2 has $got entries, expected $LAYER_ENTRIES" \
			"as in the layer"
}

# remove_tree DIR: delete the btrfs subvolumes in DIR, deepest first, then
# DIR. The cleaner frees the subvolumes' extents later, so quiesce waits.
remove_tree()
{
	local sub

	[ -e "$1" ] || return 0
	btrfs subvolume list "$MNT" | awk '{ print $NF }' | sort -r |
		while read -r sub; do
			case $MNT/$sub in
			"$1"/*)
				btrfs subvolume delete "$MNT/$sub" \
					> /dev/null || exit 1
				;;
			esac
		done || return 1
	rm -rf "$1"
}

run_bocker()
{
	local round=$1 root=$MNT/bocker id

	mkdir -p "$root" || return 1
	timed bocker "$round" env BOCKER_ROOT="$root" \
		"$BOCKER" pull -q "$REG_ANON/debian:bookworm" || return 1
	writeback bocker "$round"
	id=$(ls "$root/images")
	[ "$(echo "$id" | wc -w)" = 1 ] ||
		die "bocker: expected one image in $root/images, found '$id'"
	check_tree bocker "$root/images/$id/rootfs"
	remove_tree "$root"
}

run_skopeo_umoci()
{
	local round=$1 layout=$MNT/oci bundle=$MNT/bundle

	mkdir -p "$MNT/tmp" || return 1
	timed skopeo "$round" env TMPDIR="$MNT/tmp" \
		skopeo --insecure-policy copy --quiet --src-no-creds \
		--src-cert-dir "$REG_CERT_DIR" \
		"docker://$REG_ANON/debian:bookworm" "oci:$layout:bookworm" &&
		timed umoci "$round" umoci unpack \
			--image "$layout:bookworm" "$bundle" || return 1
	writeback skopeo+umoci "$round"
	check_tree skopeo+umoci "$bundle/rootfs"
	remove_tree "$layout" && remove_tree "$bundle" &&
		remove_tree "$MNT/tmp"
}

run_floor()
{
	local round=$1 dir=$MNT/floor

	mkdir -p "$dir" || return 1
	# shellcheck disable=SC2016 # expanded by the inner bash
	timed floor "$round" bash -o pipefail -c \
		'curl -fsS --cacert "$1" "$2" | gzip -d | tar -x -C "$3"' \
		floor "$REG_CA" \
		"https://$REG_ANON/v2/debian/blobs/$LAYER_DIGEST" \
		"$dir" || return 1
	writeback floor "$round"
	check_tree floor "$dir"
	remove_tree "$dir"
}

run_gunzip()
{
	timed gunzip "$1" gzip -dc "$LAYER_FILE" || return 1
	writeback gunzip "$1"
}

run_unit()
{
	quiesce
	case $1 in
	bocker) run_bocker "$2" ;;
	skopeo+umoci) run_skopeo_umoci "$2" ;;
	floor) run_floor "$2" ;;
	gunzip) run_gunzip "$2" ;;
	esac
}

# ---------------------------------------------------------------- setup

# layer_info: the digest, blob and counts of debian:bookworm's one layer.
layer_info()
{
	local got

	reg_get_manifest "$REG_ANON" debian bookworm "" "$WORK/manifest" \
		"$WORK/manifest.headers" || die "GET debian manifest failed"
	read -r LAYER_COUNT LAYER_DIGEST LAYER_SIZE < <(python3 -c '
import json, sys
layers = json.load(open(sys.argv[1]))["layers"]
print(len(layers), layers[0]["digest"], layers[0]["size"])' "$WORK/manifest")
	[ "$LAYER_COUNT" = 1 ] ||
		die "debian:bookworm has $LAYER_COUNT layers, expected 1"
	LAYER_FILE=$MNT/layer.gz
	reg_curl -f -o "$LAYER_FILE" \
		"https://$REG_ANON/v2/debian/blobs/$LAYER_DIGEST" ||
		die "cannot download the layer $LAYER_DIGEST"
	got=sha256:$(sha256sum < "$LAYER_FILE" | cut -d' ' -f1)
	[ "$got" = "$LAYER_DIGEST" ] ||
		die "layer blob has digest $got, expected $LAYER_DIGEST"
	LAYER_RAW=$(gzip -dc "$LAYER_FILE" | wc -c)
	LAYER_ENTRIES=$(gzip -dc "$LAYER_FILE" | tar -t | wc -l)
}

# cipher_suite: pull busybox once with BOCKER_TRACE=1 and print the
# tls_handshake trace line, which names the negotiated cipher suite.
cipher_suite()
{
	local root=$MNT/trace

	mkdir -p "$root" || return 1
	BOCKER_ROOT=$root BOCKER_TRACE=1 in_netns "$BOCKER" pull -q \
		"$REG_ANON/busybox:latest" > /dev/null 2> "$WORK/trace" ||
		die "traced pull of busybox failed: $(tail -n 5 "$WORK/trace")"
	remove_tree "$root"
	grep -m 1 'tls_handshake' "$WORK/trace"
}

machine()
{
	echo "machine"
	echo "  nproc      $(nproc)"
	echo "  cpu        $(awk -F': ' '/^model name/ { print $2; exit }' \
		/proc/cpuinfo)"
	echo "  memory     $(awk '/^MemTotal/ {
		printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "  kernel     $(uname -r)"
	echo "  load avg   $LOAD_START at the start of the rounds," \
		"$(cut -d' ' -f1-3 /proc/loadavg) at the end (1, 5, 15 min)"
	echo "  storage    loopback btrfs, $(du -h --apparent-size \
		"$WORK/btrfs.img" | cut -f1) sparse image file on" \
		"$(df --output=source,fstype "$WORK" | tail -n 1 |
			awk '{ print $1 " (" $2 ")" }')"
	echo "  bocker     $BOCKER_ID"
	echo "  skopeo     $(skopeo --version | awk '{ print $3 }')"
	echo "  umoci      $(umoci --version | awk '{ print $3 }')"
	echo "  curl       $(curl --version | awk 'NR == 1 { print $2 }')"
	echo "  gzip       $(gzip --version | awk 'NR == 1 { print $2 }')"
	echo "  tar        $(tar --version | awk 'NR == 1 { print $4 }')"
	echo "  registry   docker-registry $(dpkg-query -W \
		-f '${Version}' docker-registry 2> /dev/null)"
}

# describe_bocker: the commit, size, hash and build time of $BOCKER. The
# binary may have been built from uncommitted changes.
describe_bocker()
{
	local built

	built=$(date -u -r ./bocker +%Y-%m-%dT%H:%MZ)
	echo "$(stat -c %s "$BOCKER") bytes, static," \
		"sha256 $(sha256sum < "$BOCKER" | cut -c 1-12)," \
		"built $built, tree at $(git rev-parse --short HEAD)" \
		"plus any uncommitted changes"
}

# ---------------------------------------------------------------- report

# report CIPHER_LINE: print every run, then per tool the mean and min wall
# time, the mean CPU time, the mean writeback and the max peak RSS over the
# rounds, then the ratios beside their targets. The skopeo+umoci row adds
# skopeo's and umoci's times of the same round and takes the larger RSS.
report()
{
	awk -v rounds="$ROUNDS" -v cipher="$1" '
	function add(u, r, w, k, c) {
		wall[u, r] += w
		cpu[u, r] += c
		if (k > peak[u, r])
			peak[u, r] = k
	}
	function mean(u) {
		return sum[u] / n[u]
	}
	function row(label, u,    writeback) {
		writeback = ""
		if (("sync:" u) in sum)
			writeback = sprintf("%.2f", mean("sync:" u))
		printf "  %-24s %6.2f %6.2f %6.2f %6s   %6.1f MiB (%d KiB)\n",
			label, mean(u), min[u], cpusum[u] / n[u], writeback,
			rss[u] / 1024, rss[u]
	}
	function ratio(label, num, den, target, ok) {
		printf "  %-26s %6.2f %6.2f   %-12s %s\n", label,
			mean(num) / mean(den), min[num] / min[den], target,
			ok ? "met" : "NOT met"
	}
	{
		add($1, $2, $3, $4, $5)
		if ($1 == "skopeo" || $1 == "umoci")
			add("skopeo+umoci", $2, $3, $4, $5)
		order[++runs] = $0
	}
	END {
		for (key in wall) {
			split(key, part, SUBSEP)
			u = part[1]
			w = wall[key]
			sum[u] += w
			cpusum[u] += cpu[key]
			n[u]++
			if (n[u] == 1 || w < min[u])
				min[u] = w
			if (peak[key] > rss[u])
				rss[u] = peak[key]
		}
		print "runs in the order they ran: tool round wall_s rss_kib" \
			" cpu_s"
		print "(sync:TOOL is the time of one sync right after TOOL)"
		for (i = 1; i <= runs; i++)
			print "  " order[i]
		print ""
		printf "%d rounds; seconds; peak RSS of the largest process\n",
			rounds
		printf "  %-24s %6s %6s %6s %6s   %s\n", "tool", "mean",
			"min", "cpu", "sync", "peak RSS"
		row("bocker pull", "bocker")
		row("skopeo + umoci", "skopeo+umoci")
		row("  skopeo copy", "skopeo")
		row("  umoci unpack", "umoci")
		row("curl | gzip -d | tar -x", "floor")
		row("gzip -d (CPU floor)", "gunzip")
		print ""
		printf "  %-26s %6s %6s   %-12s %s\n", "ratio of wall times",
			"mean", "min", "target", "(on the mean)"
		ratio("bocker / (skopeo + umoci)", "bocker", "skopeo+umoci",
			"<= 0.5", mean("bocker") / mean("skopeo+umoci") <= 0.5)
		ratio("bocker / floor", "bocker", "floor", "<= 1.0",
			mean("bocker") / mean("floor") <= 1.0)
		printf "  %-26s %13s   %-12s %s\n", "bocker peak RSS",
			rss["bocker"] " KiB", "< 4096 KiB",
			rss["bocker"] < 4096 ? "met" : "NOT met"
		print ""
		print "TLS (bocker, traced pull of busybox:latest)"
		print "  " cipher
	}' "$WORK/runs"
}

# ----------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root"
case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a positive integer" ;;
esac
[ -x ./bocker ] || die "no ./bocker; run 'make bocker' first"
install_missing || die "apt-get install failed"
if [ ! -f "$DEBIAN_TREE/etc/debian_version" ]; then
	note "no Debian tree in $DEBIAN_TREE; running debootstrap"
	bash tests/mkrootfs.sh debian "$DEBIAN_TREE" ||
		die "tests/mkrootfs.sh debian $DEBIAN_TREE failed"
fi
# Unset the variables that would change how bocker stores, traces or
# authenticates, or which CAs the tools trust.
unset BOCKER_TRACE BOCKER_STORAGE_DRIVER BOCKER_REGISTRY_AUTH \
	BOCKER_INSECURE_REGISTRIES BOCKER_ROOT REG_NETNS_PATH \
	SSL_CERT_FILE SSL_CERT_DIR REGISTRY_AUTH_FILE

lib_setup bocker-bench-pull
trap bench_cleanup EXIT
START=$SECONDS
BOCKER=$WORK/bocker
cp ./bocker "$BOCKER" || die "cannot copy ./bocker to $BOCKER"
BOCKER_ID=$(describe_bocker)
export HOME=$WORK/home
mkdir -p "$HOME" || die "cannot make $HOME"
netns_create "bocker-bench-pull-$$" || die "ip netns add failed"
REG_NETNS_PATH=$NETNS_PATH
MNT=$WORK/btrfs
store_btrfs "$MNT" 4G || die "cannot make the loopback btrfs"
[ "$(stat -f -c %T "$MNT")" = btrfs ] || die "$MNT is not btrfs"

reg_start "$WORK" > /dev/null || die "tests/registry.sh: reg_start failed"
export BOCKER_CA_FILE=$REG_CA
img_build_all "$DEBIAN_TREE" 2> "$WORK/mkimages.log" ||
	die "building the images failed: $(tail -n 5 "$WORK/mkimages.log")"
img_push busybox "$REG_ANON" busybox:latest v2s2 > /dev/null ||
	die "pushing busybox:latest failed"
img_push debian "$REG_ANON" debian:bookworm v2s2 > /dev/null ||
	die "pushing debian:bookworm failed"
note "registry $REG_ANON up, images pushed in $((SECONDS - START)) s"

layer_info
CIPHER=$(cipher_suite) || die "cannot read the negotiated cipher suite"

: > "$WORK/runs"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then
		order=("${UNITS[@]}")
	else
		order=()
		for ((i = ${#UNITS[@]} - 1; i >= 0; i--)); do
			order+=("${UNITS[i]}")
		done
	fi
	note "round $round of $ROUNDS: ${order[*]}"
	for unit in "${order[@]}"; do
		run_unit "$unit" "$round" || die "$unit failed in round $round"
	done
done

echo "bench/pull.sh: bocker pull of debian:bookworm from a local TLS" \
	"registry, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
machine
echo
echo "layer $LAYER_DIGEST"
awk -v c="$LAYER_SIZE" -v u="$LAYER_RAW" -v e="$LAYER_ENTRIES" 'BEGIN {
	printf "  compressed   %10d bytes (%.1f MiB)\n", c, c / 1048576
	printf "  uncompressed %10d bytes (%.1f MiB)\n", u, u / 1048576
	printf "  entries      %10d\n", e
}'
echo
report "$CIPHER" || die "awk failed to make the report from $WORK/runs"
echo
echo "total bench time $((SECONDS - START)) s"
