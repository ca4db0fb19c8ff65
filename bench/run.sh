#!/bin/bash
# bench/run.sh - start-to-exit time, peak RSS and binary size of bocker,
# beside crun and a bare unshare + chroot, as root.
#
#   bench/run.sh [RUNS]     (default 50 runs of each command)
#
# The bocker binary is $BOCKER when set, else ./bocker.
#
# Each command starts /bin/true from the same busybox root filesystem:
#   bocker   bocker run <image> /bin/true: btrfs snapshot, veth pair and
#            bridge, cgroups (v1 cpu, memory, pids), mount/uts/ipc/pid/net
#            namespaces, pivot_root;
#   crun     crun run of an OCI bundle from `crun spec`: new pid, network,
#            ipc, uts, mount and cgroup namespaces, no network device, and
#            --cgroup-manager=disabled. An OCI cgroupsPath is one path for
#            every controller, but this shell's own cgroup may differ
#            between controllers, so no cgroupsPath is sure to stay below
#            it;
#   floor    unshare -fmuipn --mount-proc chroot ROOTFS /bin/true.
# So crun and the floor do less work than bocker; the ratios are an upper
# bound on bocker's own overhead, not a like-for-like comparison.
#
# Everything runs in a network namespace made here, in a private mount
# namespace without the cgroup2 mount at /sys/fs/cgroup/unified (crun
# rejects the hybrid layout otherwise), with bocker's store on a loopback
# btrfs image; all of it is removed at exit. hyperfine is used when
# installed, else a loop timed with date +%s%N.
set -u

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=bench/lib.sh
. bench/lib.sh

RUNS=${1:-50}

# ------------------------------------------------------ inside the namespaces

# Time each command; writes "NAME MEAN_MS" lines to $WORK/times.
measure_times()
{
	local name start end total i

	if command -v hyperfine > /dev/null; then
		hyperfine -N --warmup 3 --runs "$RUNS" \
			--export-csv "$WORK/hyperfine.csv" \
			-n bocker "$BOCKER run $IMG /bin/true" \
			-n crun "$CRUN_CMD" \
			-n floor "$FLOOR_CMD" >&2 || return 1
		awk -F, 'NR > 1 { printf "%s %.2f\n", $1, $2 * 1000 }' \
			"$WORK/hyperfine.csv" > "$WORK/times"
		return 0
	fi
	: > "$WORK/times"
	for name in bocker crun floor; do
		total=0
		for i in $(seq "$RUNS"); do
			start=$(date +%s%N)
			run_named "$name" > /dev/null 2>&1 ||
				die "$name failed on run $i"
			end=$(date +%s%N)
			total=$((total + end - start))
		done
		echo "$name $(awk -v t="$total" -v n="$RUNS" \
			'BEGIN { printf "%.2f", t / n / 1e6 }')" >> "$WORK/times"
	done
}

# The commands are word lists, split on purpose.
# shellcheck disable=SC2086
run_named()
{
	case $1 in
	bocker) "$BOCKER" run "$IMG" /bin/true ;;
	crun) $CRUN_CMD ;;
	floor) $FLOOR_CMD ;;
	esac
}

# Peak RSS of the largest process each command waits for, in KiB, from
# /usr/bin/time -v; writes "NAME KIB" lines to $WORK/rss.
measure_rss()
{
	local name cmd kib

	: > "$WORK/rss"
	[ -x /usr/bin/time ] || return 0
	for name in bocker crun floor; do
		case $name in
		bocker) cmd="$BOCKER run $IMG /bin/true" ;;
		crun) cmd=$CRUN_CMD ;;
		floor) cmd=$FLOOR_CMD ;;
		esac
		# shellcheck disable=SC2086 # the commands are word lists
		/usr/bin/time -v -o "$WORK/time.$name" $cmd > /dev/null 2>&1
		kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
			"$WORK/time.$name")
		echo "$name ${kib:-?}" >> "$WORK/rss"
	done
}

if [ "${1:-}" = --inner ]; then
	bench_drop_unified
	RUNS=$2
	measure_times || die "timing failed"
	measure_rss
	exit 0
fi

# ---------------------------------------------------------------- setup

bench_setup bocker-bench
bench_rootfs
bench_bundle /bin/true
bench_image
CRUN_CMD="crun --cgroup-manager=disabled run --bundle $BUNDLE bench-$$"
FLOOR_CMD="unshare -fmuipn --mount-proc chroot $BUNDLE/rootfs /bin/true"
export CRUN_CMD FLOOR_CMD

# Check each command once before timing it.
for cmd in "$BOCKER run $IMG /bin/true" "$CRUN_CMD" "$FLOOR_CMD"; do
	# shellcheck disable=SC2086
	nsenter --net="$NETNS_PATH" unshare -m sh -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh $cmd ||
		die "'$cmd' failed"
done

echo "bench: $RUNS runs each; bocker image $IMG; bundle $BUNDLE" >&2
bench_inner "$RUNS" ||
	die "measurement failed"

# ---------------------------------------------------------------- report

mean()
{
	awk -v n="$1" '$1 == n { print $2 }' "$WORK/times"
}

rss()
{
	awk -v n="$1" '$1 == n { print $2 }' "$WORK/rss"
}

stripped_size()
{
	strip -o "$WORK/stripped" "$1" 2> /dev/null ||
		cp "$1" "$WORK/stripped"
	stat -c %s "$WORK/stripped"
}

echo
echo "start to exit of /bin/true, mean of $RUNS runs (ms); peak RSS (KiB)"
for name in bocker crun floor; do
	printf '  %-7s %8s ms  %8s KiB\n' "$name" "$(mean "$name")" \
		"$(rss "$name")"
done
awk -v b="$(mean bocker)" -v c="$(mean crun)" -v f="$(mean floor)" \
	'BEGIN { printf "  bocker/crun  %.2f\n  bocker/floor %.2f\n",
		b / c, b / f }'
echo
echo "stripped size (bytes)"
printf '  %-26s %9s\n' "bocker (static)" "$(stripped_size "$BOCKER")"
printf '  %-26s %9s\n' "crun (dynamic, own file)" \
	"$(stripped_size "$(command -v crun)")"
for bb in /bin/busybox /usr/bin/busybox; do
	if [ -x "$bb" ]; then
		printf '  %-26s %9s\n' "busybox (static)" \
			"$(stripped_size "$bb")"
		break
	fi
done
