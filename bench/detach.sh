#!/bin/bash
# bench/detach.sh - latency of `bocker run -d` and `bocker stop` beside
# `crun create` + `crun start` and `crun kill` + `crun delete`, as root.
#
#   bench/detach.sh [ROUNDS]     (default 30 rounds)
#
# The bocker binary is $BOCKER when set, else ./bocker.
#
# Both start /bench-init from the same busybox root filesystem: a busybox
# sh script that waits for a background `sleep 1000` and exits 0 on
# SIGTERM. A plain sleep would not do: as PID 1 of its pid namespace it
# gets no SIGTERM from outside, because it has no handler, so both stop
# commands would wait for SIGKILL.
#   start  bocker run -d <image> /bench-init, from the command's start
#          until it exits, having printed the id; against crun create
#          followed by crun start.
#   stop   bocker stop -t 10 <id>, which returns once the container's
#          monitor has reaped it and removed its cgroups; against crun
#          kill <id> TERM, a busy wait until the container's process has
#          exited, and crun delete <id>.
# Each container runs 0.2 s between the two (not timed), so that its
# shell has installed the trap. bocker rm of the stopped container is not
# timed: crun delete leaves nothing comparable, because crun runs in the
# bundle's directory instead of a snapshot. Rounds alternate which of the
# two goes first, after one warm-up round of each.
#
# The caveats of bench/run.sh apply: crun runs with
# --cgroup-manager=disabled and without a network device, so it does less
# work than bocker, which makes a veth pair and three v1 cgroups.
# Everything runs in a network namespace and on a loopback btrfs made
# here, removed at exit; crun keeps its state under the work directory.
set -u

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=bench/lib.sh
. bench/lib.sh

ROUNDS=${1:-30}

# ------------------------------------------------------ inside the namespaces

crun_bench()
{
	crun --root "$WORK/crun" --cgroup-manager=disabled "$@"
}

# Is PID a process that has not exited? A zombie has exited, and stays
# a zombie when no subreaper collects it.
alive()
{
	local stat

	read -r stat 2> /dev/null < "/proc/$1/stat" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# bocker_round: append "bocker START_US STOP_US" to $WORK/rounds.
bocker_round()
{
	local t0 t1 t2 t3 id

	t0=${EPOCHREALTIME/./}
	id=$("$BOCKER" run -d "$IMG" /bench-init) || return 1
	t1=${EPOCHREALTIME/./}
	sleep 0.2
	t2=${EPOCHREALTIME/./}
	"$BOCKER" stop -t 10 "$id" > /dev/null || return 1
	t3=${EPOCHREALTIME/./}
	"$BOCKER" rm "$id" > /dev/null || return 1
	echo "bocker $((t1 - t0)) $((t3 - t2))" >> "$WORK/rounds"
}

# crun_round NAME: append "crun START_US STOP_US" to $WORK/rounds.
crun_round()
{
	local t0 t1 t2 t3 pid tries

	t0=${EPOCHREALTIME/./}
	crun_bench create --bundle "$BUNDLE" "$1" < /dev/null > /dev/null ||
		return 1
	crun_bench start "$1" || return 1
	t1=${EPOCHREALTIME/./}
	pid=$(crun_bench state "$1" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
	[ -n "$pid" ] || return 1
	sleep 0.2
	t2=${EPOCHREALTIME/./}
	crun_bench kill "$1" TERM || return 1
	tries=0
	while alive "$pid"; do
		tries=$((tries + 1))
		[ "$tries" -lt 1000000 ] || return 1
	done
	crun_bench delete "$1" || return 1
	t3=${EPOCHREALTIME/./}
	echo "crun $((t1 - t0)) $((t3 - t2))" >> "$WORK/rounds"
}

measure()
{
	local i

	bocker_round || die "bocker warm-up round failed"
	crun_round "bench-$$-0" || die "crun warm-up round failed"
	: > "$WORK/rounds"
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) = 1 ]; then
			bocker_round || die "bocker round $i failed"
			crun_round "bench-$$-$i" || die "crun round $i failed"
		else
			crun_round "bench-$$-$i" || die "crun round $i failed"
			bocker_round || die "bocker round $i failed"
		fi
	done
}

if [ "${1:-}" = --inner ]; then
	bench_drop_unified
	ROUNDS=$2
	measure
	exit 0
fi

# ---------------------------------------------------------------- setup

bench_setup bocker-detach
bench_rootfs
printf '%s\n' '#!/bin/sh' "trap 'exit 0' TERM" 'sleep 1000 &' 'wait' \
	> "$BUNDLE/rootfs/bench-init" || die "cannot write bench-init"
chmod 755 "$BUNDLE/rootfs/bench-init"
bench_bundle /bench-init
bench_image
mkdir -p "$WORK/crun" || die "cannot create $WORK/crun"

echo "bench: $ROUNDS rounds; bocker $BOCKER, image $IMG; bundle $BUNDLE" >&2
bench_inner "$ROUNDS" || die "measurement failed"

# ---------------------------------------------------------------- report

# stats NAME COLUMN: "MEAN MEDIAN MIN" in ms of that column of the rounds.
stats()
{
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$WORK/rounds" |
		sort -n | awk '
			{ v[NR] = $1; sum += $1 }
			END {
				if (NR % 2)
					median = v[(NR + 1) / 2]
				else
					median = (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "%.2f %.2f %.2f\n", sum / NR / 1000,
					median / 1000, v[1] / 1000
			}'
}

report()
{
	local what=$1 column=$2 b c

	b=$(stats bocker "$column")
	c=$(stats crun "$column")
	echo "$what, $ROUNDS rounds (ms): mean median min"
	# shellcheck disable=SC2086 # three numbers, one a column
	printf '  %-7s %8s %8s %8s\n' bocker $b
	# shellcheck disable=SC2086
	printf '  %-7s %8s %8s %8s\n' crun $c
	awk -v b="${b%% *}" -v c="${c%% *}" \
		'BEGIN { printf "  bocker/crun (means) %.2f\n", b / c }'
}

echo
report "start: bocker run -d | crun create + start" 2
report "stop: bocker stop -t 10 | crun kill TERM + wait + delete" 3
