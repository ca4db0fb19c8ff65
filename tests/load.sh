#!/bin/bash
# load.sh - many containers at once and one after another: every one gets
# its own id and address, runs stay as fast at the end as at the start,
# and nothing of them is left on the system.
#
#   tests/load.sh BOCKER [LABEL]
#
# The cases:
#   parallel     LOAD_PARALLEL containers (30 by default) started at once,
#                each printing its eth0 address and hostname and sleeping
#                2 s: all exit 0, with distinct ids and addresses.
#   sequential   LOAD_SEQUENTIAL cycles (100 by default) of `run /bin/true`
#                and `rm`: each run is timed, and the mean of the last 10%
#                may be at most 1.5 times the mean of the first 10%.
#   resources    counted before and after the two cases: mounts, named
#                network namespaces, links in the test namespace, cgroups
#                below the test's parent, btrfs subvolumes, entries in
#                BOCKER_ROOT/tmp and net/, held leases, loop devices and
#                bocker processes. None may grow. Lease files under net/
#                outlive their runs by design (`cleanup` removes them), so
#                they are compared after a `bocker cleanup`.
# The figures are printed as "# " comment lines.
#
# Setup as tests/e2e.sh: a network namespace, a loopback btrfs store and
# cgroups below this shell's own as bocker-load-PID, all removed on exit,
# also on failure. The mount, namespace and loop device counts are
# system-wide, so other work on the machine can move them; the test fails
# only on the ones that involve its own store and namespace, and prints
# the others.
#
# "A && B || fail" below means "fail unless both hold":
# shellcheck disable=SC2015,SC2016
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"

[ $# -ge 1 ] || {
	echo "usage: $0 BOCKER [LABEL]" >&2
	exit 2
}
BOCKER=$(realpath "$1")
TAP_PREFIX=${2:-}
PARALLEL=${LOAD_PARALLEL:-30}
SEQUENTIAL=${LOAD_SEQUENTIAL:-100}
tap_init

unset BOCKER_CPU_SHARE BOCKER_MEM_LIMIT BOCKER_PIDS_LIMIT BOCKER_SUBNET \
	BOCKER_BRIDGE BOCKER_CGROUP_V2_ROOT BOCKER_TRACE BOCKER_STORAGE_DRIVER

# ------------------------------------------------------------------ setup

setup()
{
	lib_setup bocker-load
	CG_PARENT=bocker-load-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	[ "$(id -u)" = 0 ] || {
		echo "must run as root"
		return 1
	}
	[ -x "$BOCKER" ] || {
		echo "no executable $BOCKER"
		return 1
	}
	netns_create "bocker-load-$$" || {
		echo "ip netns add failed"
		return 1
	}
	STORE=$WORK/btrfs
	store_btrfs "$STORE" 3G || {
		echo "cannot make a loopback btrfs in $WORK"
		return 1
	}
	export BOCKER_ROOT=$STORE
	ROOTFS=$WORK/rootfs
	bash "$HERE/mkrootfs.sh" busybox "$ROOTFS" > /dev/null || {
		echo "mkrootfs.sh busybox failed"
		return 1
	}
}

# The image, and one run so that the bridge and the store's directories
# exist before the first count.
case_image()
{
	bk_run init "$ROOTFS"
	IMG=$(created_id "$OUT")
	[ "$RC" -eq 0 ] && [ -n "$IMG" ] || {
		fail_cmd "init failed"
		return
	}
	bk_run run "$IMG" true
	[ "$RC" -eq 0 ] || fail_cmd "first run failed"
	bk_run rm "$(newest_container)"
	[ "$RC" -eq 0 ] || fail_cmd "rm of the first container failed"
}

need_image()
{
	[ -n "${IMG:-}" ] && return 0
	skip "no image"
	return 1
}

# -------------------------------------------------------------- resources

# count_resources FILE: one "NAME COUNT" line per resource. The names
# starting with "system" are machine-wide and only reported.
count_resources()
{
	local ctrl dir leases=0 held=0 lease procs=0 exe pid

	for lease in "$BOCKER_ROOT"/net/*; do
		[ -f "$lease" ] || continue
		leases=$((leases + 1))
		flock -n "$lease" true || held=$((held + 1))
	done
	for pid in /proc/[0-9]*; do
		exe=$(readlink "$pid/exe" 2> /dev/null)
		[ "$exe" = "$BOCKER" ] && procs=$((procs + 1))
	done
	{
		echo "store-mounts $(grep -c -F "$BOCKER_ROOT" /proc/self/mountinfo)"
		echo "netns-links $(ip -n "$NETNS" -o link show | wc -l)"
		echo "cgroups $(for ctrl in cpu memory pids; do
			dir=$(cg_parent_dir "$ctrl")
			[ -n "$dir" ] && [ -d "$dir" ] &&
				find "$dir" -mindepth 1 -type d
		done | wc -l)"
		echo "subvolumes $(btrfs subvolume list "$BOCKER_ROOT" | wc -l)"
		echo "store-tmp $(find "$BOCKER_ROOT/tmp" -mindepth 1 | wc -l)"
		echo "leases-held $held"
		echo "bocker-processes $procs"
		echo "loop-devices-ours $(losetup -j "$WORK/btrfs.img" | wc -l)"
		echo "system-mounts $(wc -l < /proc/self/mountinfo)"
		echo "system-netns $(ip netns list | wc -l)"
		echo "system-loop-devices $(losetup -n -l | wc -l)"
		echo "lease-files $leases"
	} > "$1"
}

# compare_resources BEFORE AFTER: fail for each resource of ours that grew.
compare_resources()
{
	local name before after

	while read -r name before; do
		after=$(awk -v n="$name" '$1 == n { print $2 }' "$2")
		echo "# $name: before $before, after $after"
		case $name in
		system-* | lease-files) continue ;;
		esac
		[ "$after" -le "$before" ] ||
			fail "$name grew from $before to $after"
	done < "$1"
}

case_resources_before()
{
	count_resources "$WORK/before"
}

case_resources_after()
{
	local files

	# Kernel teardown of the containers' namespaces is asynchronous.
	for _ in $(seq 50); do
		[ -z "$(netns_extra_links)$(cg_leftovers)" ] && break
		sleep 0.1
	done
	count_resources "$WORK/after"
	compare_resources "$WORK/before" "$WORK/after"
	bk_run cleanup
	[ "$RC" -eq 0 ] || fail_cmd "cleanup failed"
	files=$(find "$BOCKER_ROOT/net" -type f | wc -l)
	echo "# lease files: before $(awk '$1 == "lease-files" { print $2 }' \
		"$WORK/before"), after the cases $(awk \
		'$1 == "lease-files" { print $2 }' "$WORK/after"), after" \
		"cleanup $files"
	[ "$files" -le "$(awk '$1 == "lease-files" { print $2 }' \
		"$WORK/before")" ] ||
		fail "$files lease files under net/ after cleanup"
}

# --------------------------------------------------------------- parallel

PARALLEL_SCRIPT='ip -4 addr show eth0; hostname; sleep 2'

case_parallel()
{
	local i pids=() ids=() addrs=() out start ms bad=0

	need_image || return
	start=$(date +%s%N)
	for i in $(seq 0 $((PARALLEL - 1))); do
		bk_bg "$WORK/par.$i" run "$IMG" sh -c "$PARALLEL_SCRIPT"
		pids[i]=$BG_PID
	done
	for i in $(seq 0 $((PARALLEL - 1))); do
		bg_wait "${pids[i]}" 120
		out=$(cat "$WORK/par.$i")
		check_sanitizer "$out"
		ids[i]=$(printf '%s\n' "$out" | grep -x '[0-9a-f]\{12\}')
		addrs[i]=$(printf '%s\n' "$out" |
			sed -n 's/^ *inet \([0-9.]*\)\/.*/\1/p')
		if [ "$RC" -ne 0 ] || [ -z "${ids[i]}" ] ||
			[ -z "${addrs[i]}" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 5 ] &&
				fail "container $i exited $RC: $(clip "$out")"
		fi
	done
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "# parallel: $PARALLEL containers of 2 s each in $ms ms"
	[ "$bad" -eq 0 ] || fail "$bad of $PARALLEL containers failed"
	[ "$(printf '%s\n' "${ids[@]}" | grep -c .)" -eq "$PARALLEL" ] &&
		[ "$(printf '%s\n' "${ids[@]}" | sort -u | grep -c .)" -eq \
			"$PARALLEL" ] || fail "ids not distinct: ${ids[*]}"
	[ "$(printf '%s\n' "${addrs[@]}" | grep -c .)" -eq "$PARALLEL" ] &&
		[ "$(printf '%s\n' "${addrs[@]}" | sort -u | grep -c .)" -eq \
			"$PARALLEL" ] || fail "addresses not distinct: ${addrs[*]}"
	PARALLEL_IDS=${ids[*]}
}

PARALLEL_IDS=

case_parallel_status()
{
	local id status

	[ -n "$PARALLEL_IDS" ] || {
		skip "no parallel run"
		return
	}
	for id in $PARALLEL_IDS; do
		status=$(ps_status "$id")
		[ "$status" = "exited (0)" ] ||
			fail "ps shows '$id' as '$status', expected 'exited (0)'"
	done
	# shellcheck disable=SC2086 # one id a word
	bk_run rm $PARALLEL_IDS
	[ "$RC" -eq 0 ] || fail_cmd "rm of the parallel containers failed"
}

# ------------------------------------------------------------- sequential

# The mean of the lines FROM..TO (1-based) of the file of times.
mean_of()
{
	sed -n "$2,$3p" "$1" | awk '{ s += $1 } END { printf "%d", s / NR }'
}

case_sequential()
{
	local i start ms id tenth first last times=$WORK/times bad=0

	need_image || return
	: > "$times"
	for i in $(seq "$SEQUENTIAL"); do
		start=$(date +%s%N)
		bk_run run "$IMG" /bin/true
		ms=$((($(date +%s%N) - start) / 1000000))
		echo "$ms" >> "$times"
		if [ "$RC" -ne 0 ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && fail_cmd "run $i failed"
		fi
		id=$(newest_container)
		bk_run rm "$id"
		if [ "$RC" -ne 0 ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && fail_cmd "rm $i failed"
		fi
	done
	[ "$bad" -eq 0 ] || fail "$bad of $SEQUENTIAL cycles failed"
	tenth=$((SEQUENTIAL / 10))
	[ "$tenth" -ge 1 ] || tenth=1
	first=$(mean_of "$times" 1 "$tenth")
	last=$(mean_of "$times" $((SEQUENTIAL - tenth + 1)) "$SEQUENTIAL")
	echo "# sequential: $SEQUENTIAL runs, mean $(mean_of "$times" 1 \
		"$SEQUENTIAL") ms, min $(sort -n "$times" | head -n 1) ms," \
		"max $(sort -n "$times" | tail -n 1) ms, median $(sort -n \
		"$times" | sed -n "$(((SEQUENTIAL + 1) / 2))p") ms"
	echo "# sequential: mean of the first $tenth runs $first ms," \
		"of the last $tenth runs $last ms"
	[ $((last * 2)) -le $((first * 3)) ] ||
		fail "the last runs took $last ms on average, the first" \
			"$first ms: more than 1.5 times"
	[ -z "$(ps_rows)" ] || fail "ps still lists containers:" \
		"$(clip "$(ps_rows)")"
}

# ------------------------------------------------------------------- main

setup_log=$(mktemp /tmp/bocker-load-setup.XXXXXX) || exit 1
if ! setup > "$setup_log" 2>&1; then
	tap_not_ok "load setup" "$(cat "$setup_log")"
	rm -f "$setup_log"
	exit 1
fi
rm -f "$setup_log"
echo "# load: $PARALLEL parallel (LOAD_PARALLEL), $SEQUENTIAL sequential" \
	"(LOAD_SEQUENTIAL)"

run_case "load image" case_image
run_case "load resources counted" case_resources_before
run_case "$PARALLEL parallel containers" case_parallel
run_case "parallel containers exited 0" case_parallel_status
run_case "$SEQUENTIAL run and rm cycles" case_sequential
run_case "nothing grew" case_resources_after
