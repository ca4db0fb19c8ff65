#!/bin/bash
# crash.sh - SIGKILL bocker at random points and check that the store
# keeps only whole objects and that `cleanup` removes every leftover.
#
#   tests/crash.sh BOCKER [LABEL [DEBIAN_TREE]]
#
# For each of pull, commit, run, init and rm, CRASH_ROUNDS times (15 by
# default): start the command, SIGKILL that bocker after a random delay
# between 0 and the command's usual duration (measured once before the
# rounds), then check that
#   - `images` lists only whole images (rootfs, source, created; for pulled
#     ones config.json and digest) with their content. `ps` lists only
#     containers with all their files whose status is `exited (N)` or
#     `dead`. The blob cache contains only blobs whose sha256 is their name;
#   - after `bocker cleanup`: tmp/ is empty, no lease under net/ is free, no
#     btrfs subvolume is outside images/*/rootfs and containers/*/rootfs,
#     no mount mentions BOCKER_ROOT, the test namespace has no link but lo
#     and the bridge, and no cgroup is left below the test's parent in the
#     cpu, memory and pids hierarchies (the last two polled for 5 s, since
#     the kernel tears down namespaces and cgroups asynchronously), and no
#     port forwarding rule is left (the run case publishes a port);
#   - the same command, run again to completion, succeeds.
# Then a shorter series (a third of the rounds, at least 3) of run and
# commit on the overlay driver, with the store on a plain directory.
#
# The delay counts from the moment nsenter has executed bocker. Before the
# SIGKILL the bocker is stopped with SIGSTOP, so that the
# children it has (the tar extractor of pull, the container of run) can be
# listed; the checks wait up to 5 s for them to exit, and one still alive
# then is a failure of its own.
#
# Setup: as tests/e2e.sh (network namespace, loopback btrfs, cgroups below
# this shell's own as bocker-crash-PID), plus the registries of
# tests/registry.sh in the same namespace, holding busybox:latest and
# big:latest (busybox and a layer of 20 MB of random bytes), or
# debian:bookworm when DEBIAN_TREE is given. Everything is removed on
# exit, also on failure. CRASH_SEED fixes the random delays; the seed used
# is printed either way. CRASH_VERBOSE=1 prints a comment for each round.
#
# "A && B || fail" below means "fail unless both hold":
# shellcheck disable=SC2015,SC2016
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/registry.sh
. "$HERE/registry.sh"
# shellcheck source=tests/mkimages.sh
. "$HERE/mkimages.sh"

[ $# -ge 1 ] || {
	echo "usage: $0 BOCKER [LABEL [DEBIAN_TREE]]" >&2
	exit 2
}
BOCKER=$(realpath "$1")
TAP_PREFIX=${2:-}
DEBIAN_TREE=${3:-}
ROUNDS=${CRASH_ROUNDS:-15}
OVERLAY_ROUNDS=$((ROUNDS / 3))
[ "$OVERLAY_ROUNDS" -ge 3 ] || OVERLAY_ROUNDS=3
SEED=${CRASH_SEED:-$(($(date +%s) % 32768))}
RANDOM=$SEED
tap_init

unset BOCKER_CPU_SHARE BOCKER_MEM_LIMIT BOCKER_PIDS_LIMIT BOCKER_SUBNET \
	BOCKER_BRIDGE BOCKER_CGROUP_V2_ROOT BOCKER_TRACE BOCKER_STORAGE_DRIVER \
	BOCKER_REGISTRY_AUTH BOCKER_INSECURE_REGISTRIES BOCKER_CA_FILE \
	REG_NETNS_PATH

# The big layer's random file, and what the commit and run cases write.
BIG_BYTES=$((20 * 1024 * 1024))
PAYLOAD_MB=4
MANY_FILES=2000
# Failing rounds shown as their own result line, per command.
MAX_SHOWN=5

# ------------------------------------------------------------------ setup

crash_cleanup()
{
	local status=$?

	if [ -n "${REG_DIR:-}" ]; then
		reg_stop "$WORK"
	fi
	(exit "$status")
	lib_cleanup
}

# A directory of MANY_FILES small files in 20 subdirectories, for init.
make_many()
{
	local dir=$1 d i

	for d in $(seq 20); do
		mkdir -p "$dir/d$d" || return 1
		for i in $(seq $((MANY_FILES / 20))); do
			echo "file $d/$i" > "$dir/d$d/f$i"
		done
	done
}

# The images on the test registry: busybox, and a bigger one so that a
# pull takes long enough to be killed in the middle of a layer.
push_images()
{
	local config

	IMG_DIR=$REG_DIR/images
	IMG_LAYOUT=$IMG_DIR/oci
	export IMG_EPOCH IMG_CREATED
	mkdir -p "$IMG_DIR/trees/big/data" "$IMG_DIR/tmp" || return 1
	: > "$IMG_DIR/digests"
	img_build_busybox || return 1
	img_push busybox "$REG_ANON" busybox:latest v2s2 || return 1
	if [ -n "$DEBIAN_TREE" ]; then
		img_build_debian "$DEBIAN_TREE" &&
			img_push debian "$REG_ANON" debian:bookworm v2s2 ||
			return 1
		BIG_REF=$REG_ANON/debian:bookworm
		return 0
	fi
	head -c "$BIG_BYTES" /dev/urandom > "$IMG_DIR/trees/big/data/random" &&
		chmod 644 "$IMG_DIR/trees/big/data/random" || return 1
	img_py tar "$IMG_DIR/trees/big" "$IMG_DIR/big.tar" || return 1
	config=$(img_config '["sh"]' /) || return 1
	img_image big "$config" amd64 "$IMG_DIR/busybox.tar:gzip" \
		"$IMG_DIR/big.tar:gzip" &&
		img_push big "$REG_ANON" big:latest v2s2 || return 1
	BIG_REF=$REG_ANON/big:latest
}

setup()
{
	lib_setup bocker-crash
	trap crash_cleanup EXIT
	CG_PARENT=bocker-crash-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	[ "$(id -u)" = 0 ] || {
		echo "must run as root"
		return 1
	}
	[ -x "$BOCKER" ] || {
		echo "no executable $BOCKER"
		return 1
	}
	netns_create "bocker-crash-$$" || {
		echo "ip netns add failed"
		return 1
	}
	STORE=$WORK/btrfs
	store_btrfs "$STORE" 4G || {
		echo "cannot make a loopback btrfs in $WORK"
		return 1
	}
	export BOCKER_ROOT=$STORE
	export HOME=$WORK/home
	mkdir -p "$HOME" || return 1
	ROOTFS=$WORK/rootfs
	bash "$HERE/mkrootfs.sh" busybox "$ROOTFS" > /dev/null || {
		echo "mkrootfs.sh busybox failed"
		return 1
	}
	# The rm case makes its image from a copy, so that its images can
	# be found by their source.
	RMSRC=$WORK/rmsrc
	cp -a "$ROOTFS" "$RMSRC" || return 1
	MANY=$WORK/many
	make_many "$MANY" || {
		echo "cannot fill $MANY"
		return 1
	}
	# init records the real path as the image's source.
	ROOTFS=$(realpath "$ROOTFS")
	RMSRC=$(realpath "$RMSRC")
	MANY=$(realpath "$MANY")
	reg_start "$WORK" || {
		echo "reg_start failed"
		return 1
	}
	push_images || {
		echo "building or pushing the test images failed"
		return 1
	}
	export BOCKER_CA_FILE=$REG_CA
	SMALL_REF=$REG_ANON/busybox:latest
	mkfifo "$WORK/never" && exec {NEVER_FD}<> "$WORK/never"
}

# --------------------------------------------------------- store helpers

# The directory of an object listed by its 12-digit id: KIND is images or
# containers. Prints nothing unless exactly one matches.
object_dir()
{
	local found

	found=$(find "$BOCKER_ROOT/$1" -mindepth 1 -maxdepth 1 \
		-name "$2*" 2> /dev/null)
	[ "$(printf '%s\n' "$found" | grep -c .)" -eq 1 ] && echo "$found"
}

# Full ids of the images whose source file is SOURCE.
images_of_source()
{
	local dir

	for dir in "$BOCKER_ROOT"/images/*; do
		[ -f "$dir/source" ] || continue
		[ "$(cat "$dir/source")" = "$1" ] && basename "$dir"
	done
}

# rm_quiet ID...: remove objects between rounds. A failure here shows in
# the next round's checks.
rm_quiet()
{
	[ $# -gt 0 ] || return 0
	bk rm "$@" > /dev/null 2>&1
}

# check_rootfs SOURCE DIR: check that DIR contains the whole tree that an
# image of SOURCE must have.
check_rootfs()
{
	local source=$1 root=$2 count size

	case $source in
	"$MANY")
		count=$(find "$root" -type f | wc -l)
		[ "$count" -eq "$MANY_FILES" ] ||
			fail "$root has $count files, expected $MANY_FILES"
		;;
	"$ROOTFS" | "$RMSRC" | "$SMALL_REF")
		[ -s "$root/bin/busybox" ] || fail "$root lacks bin/busybox"
		;;
	"$BIG_REF")
		if [ -n "$DEBIAN_TREE" ]; then
			[ -x "$root/usr/bin/apt-get" ] ||
				fail "$root lacks usr/bin/apt-get"
		else
			size=$(stat -c %s "$root/data/random" 2> /dev/null)
			[ "${size:-0}" -eq "$BIG_BYTES" ] ||
				fail "$root/data/random has '$size' bytes," \
					"expected $BIG_BYTES"
		fi
		;;
	crash-commit-*)
		size=$(stat -c %s "$root/root/payload" 2> /dev/null)
		[ "${size:-0}" -eq $((PAYLOAD_MB * 1024 * 1024)) ] ||
			fail "$root/root/payload has '$size' bytes"
		;;
	esac
}

# check_images: every image `images` lists is whole.
check_images()
{
	local id dir source file

	bk_run images
	[ "$RC" -eq 0 ] || {
		fail_cmd "images failed"
		return
	}
	for id in $(printf '%s\n' "$OUT" | tail -n +2 | awk '{ print $1 }'); do
		dir=$(object_dir images "$id") || {
			fail "image '$id' is listed but has no one directory"
			continue
		}
		for file in rootfs source created; do
			[ -e "$dir/$file" ] || fail "image '$id' has no $file"
		done
		source=$(cat "$dir/source" 2> /dev/null)
		case $source in
		"$REG_ANON"/*)
			[ -s "$dir/config.json" ] ||
				fail "pulled image '$id' has no config.json"
			grep -q -x 'sha256:[0-9a-f]\{64\}' "$dir/digest" \
				2> /dev/null ||
				fail "pulled image '$id' has no digest"
			;;
		esac
		if [ "$DRIVER" = btrfs ] &&
			[ "$(stat -c %i "$dir/rootfs" 2> /dev/null)" != 256 ]; then
			fail "image '$id' rootfs is not a btrfs subvolume"
		fi
		check_rootfs "$source" "$dir/rootfs"
	done
}

# check_containers: every container `ps` lists has all its files and has
# exited or died.
check_containers()
{
	local id status dir file files

	files="image command created state log lock rootfs"
	[ "$DRIVER" = overlay ] && files="$files upper work"
	bk_run ps -a
	[ "$RC" -eq 0 ] || {
		fail_cmd "ps failed"
		return
	}
	while read -r id _ status; do
		status=${status%% [!(]*}
		case $status in
		"exited ("*")"* | dead*) ;;
		*) fail "container '$id' has status '$status'" ;;
		esac
		dir=$(object_dir containers "$id") || {
			fail "container '$id' is listed but has no one directory"
			continue
		}
		for file in $files; do
			[ -e "$dir/$file" ] || fail "container '$id' has no $file"
		done
	done < <(printf '%s\n' "$OUT" | tail -n +2)
}

# Check that every blob in the cache has the sha256 that is its name.
check_blobs()
{
	local blob sum

	for blob in "$BOCKER_ROOT"/blobs/sha256/*; do
		[ -f "$blob" ] || continue
		sum=$(sha256sum < "$blob" | cut -d' ' -f1)
		[ "$sum" = "$(basename "$blob")" ] ||
			fail "blob cache: $(basename "$blob") has sha256 $sum" \
				"($(stat -c %s "$blob") bytes)"
	done
}

check_listings()
{
	check_images
	check_containers
	check_blobs
}

# ------------------------------------------------- leftovers after cleanup

# Container cgroups below the test's parent in cpu, memory and pids.
cg_children()
{
	local ctrl dir

	for ctrl in cpu memory pids; do
		dir=$(cg_parent_dir "$ctrl")
		[ -n "$dir" ] && [ -d "$dir" ] || continue
		find "$dir" -mindepth 1 -type d
	done
}

# Subvolumes other than images/<id>/rootfs and containers/<id>/rootfs.
stray_subvolumes()
{
	btrfs subvolume list "$BOCKER_ROOT" | awk '{ print $NF }' |
		grep -v -x '\(images\|containers\)/[0-9a-f]\{64\}/rootfs'
}

# Lease files under net/ that no process holds.
free_leases()
{
	local lease

	for lease in "$BOCKER_ROOT"/net/*; do
		[ -f "$lease" ] || continue
		flock -n "$lease" true && basename "$lease"
	done
}

# Mounts that mention the store, other than the store's own.
store_mounts()
{
	grep -F "$BOCKER_ROOT" /proc/self/mountinfo |
		awk -v root="$BOCKER_ROOT" '$5 != root'
}

check_leftovers()
{
	local tmp leases subvols mounts links cgroups rules

	tmp=$(ls -A "$BOCKER_ROOT/tmp")
	[ -z "$tmp" ] || fail "tmp/ not empty after cleanup: $(clip "$tmp")"
	leases=$(free_leases)
	[ -z "$leases" ] || fail "free leases in net/: $leases"
	if [ "$DRIVER" = btrfs ]; then
		subvols=$(stray_subvolumes)
		[ -z "$subvols" ] || fail "stray subvolumes: $(clip "$subvols")"
	fi
	mounts=$(store_mounts)
	[ -z "$mounts" ] || fail "mounts of the store: $(clip "$mounts")"
	rules=$(nsenter --net="$NETNS_PATH" nft list ruleset | grep "dnat to")
	[ -z "$rules" ] || fail "port forwarding rules: $(clip "$rules")"
	for _ in $(seq 50); do
		links=$(netns_extra_links)
		cgroups=$(cg_children)
		[ -z "$links$cgroups" ] && break
		sleep 0.1
	done
	[ -z "$links" ] || fail "links in the namespace: $(clip "$links")"
	[ -z "$cgroups" ] || fail "cgroups left: $(clip "$cgroups")"
}

# --------------------------------------------------------- the kill itself

# Microseconds since the epoch, without a fork.
now_us()
{
	echo "${EPOCHREALTIME/./}"
}

# start_bocker OUTFILE ARGS...: start bocker ARGS in the test namespace
# and return once nsenter has executed it (at most 2 s later), so that a
# delay counts from bocker's start. Sets BOCKER_PID, and IN_BOCKER when
# the exec was seen. The test's -ef is a builtin, so the loop forks
# nothing and notices the exec within microseconds.
start_bocker()
{
	local out=$1 limit

	shift
	LAST_CMD="bocker $*"
	nsenter --net="$NETNS_PATH" "$BOCKER" "$@" < /dev/null > "$out" 2>&1 \
		{NEVER_FD}>&- &
	BOCKER_PID=$!
	BG_PIDS+=("$BOCKER_PID")
	IN_BOCKER=
	limit=$(($(now_us) + 2000000))
	while [ "$(now_us)" -lt "$limit" ]; do
		if [ "/proc/$BOCKER_PID/exe" -ef "$BOCKER" ]; then
			IN_BOCKER=1
			return
		fi
	done
}

# pause_us US: sleep without a fork, reading a FIFO that gets no data.
pause_us()
{
	[ "$1" -gt 0 ] || return 0
	read -r -t "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" \
		-u "$NEVER_FD"
}

# Microseconds as milliseconds with one decimal.
us_to_ms()
{
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# kill_after US ARGS...: start bocker ARGS, stop it US microseconds after
# its exec and SIGKILL it. Sets KILL_RC to its exit status (137 when the
# kill hit it) and KILL_OUT to its output, and waits up to 5 s for the
# children it had to exit; ORPHANS lists those that did not.
kill_after()
{
	local us=$1 pid children child

	shift
	start_bocker "$WORK/kill.out" "$@"
	pid=$BOCKER_PID
	pause_us "$us"
	kill -STOP "$pid" 2> /dev/null
	children=$(ps -o pid= --ppid "$pid" 2> /dev/null)
	kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	KILL_RC=$?
	KILL_OUT=$(cat "$WORK/kill.out")
	ORPHANS=
	for _ in $(seq 50); do
		ORPHANS=
		for child in $children; do
			[ -d "/proc/$child" ] &&
				ORPHANS="$ORPHANS $child($(tr '\0' ' ' \
					2> /dev/null < "/proc/$child/cmdline"))"
		done
		[ -z "$ORPHANS" ] && break
		sleep 0.1
	done
}

# ------------------------------------------------------ the command kinds
#
# Each kind has four functions, called with the round number:
#   KIND_prepare   make what the command needs
#   KIND_args      print the command's arguments, each ended by a NUL
#   KIND_complete  run the command to completion and check its result
#   KIND_tidy      remove what the round made, so rounds stay alike

pull_ref()
{
	# One round in four pulls the small image, the others the big one.
	if [ $(($1 % 4)) -eq 0 ]; then
		echo "$SMALL_REF"
	else
		echo "$BIG_REF"
	fi
}

pull_prepare()
{
	local ref

	ref=$(pull_ref "$1")
	# shellcheck disable=SC2046 # one id a word
	rm_quiet $(images_of_source "$ref")
	# Odd rounds download every layer; even ones find them in the
	# cache, where one is there already.
	if [ $(($1 % 2)) -eq 1 ]; then
		rm -f "$BOCKER_ROOT"/blobs/sha256/*
	fi
}

pull_args()
{
	printf '%s\0' pull "$(pull_ref "$1")"
}

pull_complete()
{
	local ref id

	ref=$(pull_ref "$1")
	bk_run pull "$ref"
	id=$(created_id "$OUT")
	[ "$RC" -eq 0 ] && [ -n "$id" ] || {
		fail_cmd "pull after the kill failed"
		return
	}
	images_of_source "$ref" | grep -q "^$id" ||
		fail_cmd "image '$id' of '$ref' is not in the store"
}

pull_tidy()
{
	:
}

# Odd rounds commit to a new image, even ones replace an existing one.
commit_target()
{
	if [ $(($1 % 2)) -eq 0 ]; then
		echo crash-commit-replace
	else
		echo "crash-commit-$1"
	fi
}

commit_prepare()
{
	[ $(($1 % 2)) -eq 0 ] || return 0
	[ -n "$(images_of_source crash-commit-replace)" ] && return 0
	bk_run commit "$CHANGED" crash-commit-replace
	[ "$RC" -eq 0 ] || fail_cmd "commit of the image to replace failed"
}

commit_args()
{
	printf '%s\0' commit "$CHANGED" "$(commit_target "$1")"
}

commit_complete()
{
	local target id

	target=$(commit_target "$1")
	bk_run commit "$CHANGED" "$target"
	id=$(created_id "$OUT")
	[ "$RC" -eq 0 ] && [ -n "$id" ] || {
		fail_cmd "commit after the kill failed"
		return
	}
	images_of_source "$target" | grep -q "^$id" ||
		fail_cmd "image '$id' named $target is not in the store"
	[ "$(images_of_source "$target" | wc -l)" -eq 1 ] ||
		fail_cmd "more than one image named $target:" \
			"$(images_of_source "$target")"
}

commit_tidy()
{
	[ $(($1 % 2)) -eq 1 ] || return 0
	# shellcheck disable=SC2046 # one id a word
	rm_quiet $(images_of_source "crash-commit-$1")
}

# What the run case's container does: a few MB and a hundred small files.
# ps shows the command's first line only, so the script is one line.
RUN_SCRIPT='dd if=/dev/urandom of=/root/out bs=1M count=2 2> /dev/null; \
for i in $(seq 100); do echo $i > /tmp/f$i; done; echo crash-run-done'

run_prepare()
{
	:
}

run_args()
{
	printf '%s\0' run -p 8099:80 "$IMG" sh -c "$RUN_SCRIPT"
}

run_complete()
{
	bk_run run -p 8099:80 "$IMG" sh -c "$RUN_SCRIPT"
	[ "$RC" -eq 0 ] && [ "$OUT" = crash-run-done ] ||
		fail_cmd "run after the kill failed"
}

# Containers of the run case: their command names crash-run-done.
run_tidy()
{
	local ids

	ids=$(ps_rows | awk 'index($0, "crash-run-done") { print $1 }')
	# shellcheck disable=SC2086 # one id a word
	rm_quiet $ids
}

init_prepare()
{
	:
}

init_args()
{
	printf '%s\0' init "$MANY"
}

init_complete()
{
	local id

	bk_run init "$MANY"
	id=$(created_id "$OUT")
	[ "$RC" -eq 0 ] && [ -n "$id" ] ||
		fail_cmd "init after the kill failed"
}

init_tidy()
{
	# shellcheck disable=SC2046 # one id a word
	rm_quiet $(images_of_source "$MANY")
}

RM_IMAGE=
RM_CONTAINER=

# An image and a container of it, both removed by one `rm`.
rm_prepare()
{
	bk_run init "$RMSRC"
	RM_IMAGE=$(created_id "$OUT")
	[ -n "$RM_IMAGE" ] || fail_cmd "init for rm failed"
	bk_run run "$RM_IMAGE" sh -c \
		'dd if=/dev/urandom of=/root/junk bs=1M count=1 2> /dev/null'
	[ "$RC" -eq 0 ] || fail_cmd "run for rm failed"
	RM_CONTAINER=$(newest_container)
}

rm_args()
{
	printf '%s\0' rm "$RM_CONTAINER" "$RM_IMAGE"
}

# Remove what the killed rm left, then check both are gone.
rm_complete()
{
	local left=

	[ -n "$(ps_status "$RM_CONTAINER")" ] && left=$RM_CONTAINER
	bk images 2> /dev/null | grep -q "^$RM_IMAGE" &&
		left="$left $RM_IMAGE"
	if [ -n "$left" ]; then
		# shellcheck disable=SC2086 # one id a word
		bk_run rm $left
		[ "$RC" -eq 0 ] || fail_cmd "rm after the kill failed"
	fi
	[ -z "$(ps_status "$RM_CONTAINER")" ] ||
		fail "container '$RM_CONTAINER' still listed after rm"
	bk images 2> /dev/null | grep -q "^$RM_IMAGE" &&
		fail "image '$RM_IMAGE' still listed after rm"
}

rm_tidy()
{
	# shellcheck disable=SC2046 # one id a word
	rm_quiet $(images_of_source "$RMSRC")
}

# --------------------------------------------------------------- a series

# calibrate KIND: the command's duration in microseconds, CAL_US, from a
# full run.
calibrate()
{
	local kind=$1 start args

	# Round 1 is a typical one: pull then takes the big image, with
	# nothing in the blob cache. The first run warms the page cache,
	# so the second one is timed, from bocker's exec to its exit.
	CASE_FAILS=()
	for _ in 1 2; do
		"${kind}_prepare" 1
		mapfile -d '' -t args < <("${kind}_args" 1)
		start_bocker "$WORK/calibrate.out" "${args[@]}"
		start=$(now_us)
		wait "$BOCKER_PID"
		CAL_RC=$?
		CAL_US=$(($(now_us) - start))
		"${kind}_tidy" 1
	done
}

# one_round KIND ROUND MAX_US: prepare, kill, check, cleanup, check,
# complete. Failures collect in CASE_FAILS.
one_round()
{
	local kind=$1 r=$2 max=$3 us args

	CASE_FAILS=()
	CASE_SHOWN=
	"${kind}_prepare" "$r"
	mapfile -d '' -t args < <("${kind}_args" "$r")
	us=$((RANDOM * 32768 + RANDOM))
	us=$((us % (max + 1)))
	kill_after "$us" "${args[@]}"
	ROUND_NOTE="killed $(us_to_ms "$us") ms after its start"
	case $KILL_RC in
	137)
		if [ -n "$IN_BOCKER" ]; then
			KILLED=$((KILLED + 1))
		else
			ROUND_NOTE="$ROUND_NOTE, before bocker started"
		fi
		;;
	0) ROUND_NOTE="$ROUND_NOTE, but it had finished" ;;
	*)
		# Any other status is the command failing by itself.
		fail "the command exited $KILL_RC before the kill:" \
			"$(clip "$KILL_OUT")"
		;;
	esac
	check_sanitizer "$KILL_OUT"
	[ -z "$ORPHANS" ] ||
		fail "children alive 5 s after the kill:$ORPHANS"
	check_listings
	bk_run cleanup
	[ "$RC" -eq 0 ] || fail_cmd "cleanup failed"
	check_leftovers
	"${kind}_complete" "$r"
	check_listings
	"${kind}_tidy" "$r"
}

# series KIND ROUNDS: calibrate, then the rounds; one result per failing
# round (the first MAX_SHOWN of them) and one for the series.
series()
{
	local kind=$1 rounds=$2 r max failed=0 hidden=0 name

	name="crash $kind${SERIES_SUFFIX:-}"
	KILLED=0
	calibrate "$kind"
	if [ "$CAL_RC" -ne 0 ]; then
		tap_not_ok "$name" "the command failed when run in full" \
			"(exit status $CAL_RC): ${kind}_args"
		return
	fi
	# Kill anywhere from the start to the end of a usual run.
	max=$((CAL_US + CAL_US / 10))
	for r in $(seq "$rounds"); do
		one_round "$kind" "$r" "$max"
		if [ -n "${CRASH_VERBOSE:-}" ]; then
			echo "# $name round $r: $ROUND_NOTE"
		fi
		[ ${#CASE_FAILS[@]} -eq 0 ] && continue
		failed=$((failed + 1))
		if [ "$failed" -le "$MAX_SHOWN" ]; then
			tap_not_ok "$name round $r ($ROUND_NOTE)" \
				"command: $LAST_CMD" "${CASE_FAILS[@]}"
		else
			hidden=$((hidden + 1))
		fi
	done
	echo "# $name: full run $(us_to_ms "$CAL_US") ms, kills at" \
		"0-$(us_to_ms "$max") ms," \
		"$KILLED of $rounds rounds killed mid-way"
	if [ "$failed" -eq 0 ]; then
		tap_ok "$name: $rounds rounds"
	else
		tap_not_ok "$name: $rounds rounds" \
			"$failed rounds failed ($hidden not shown above)"
	fi
}

# ---------------------------------------------------------- the two stores

# init_base: the busybox image and a container with a few MB of changes,
# for run and commit.
init_base()
{
	bk_run init "$ROOTFS"
	IMG=$(created_id "$OUT")
	[ -n "$IMG" ] || {
		fail_cmd "init of the busybox tree failed"
		return 1
	}
	bk_run run "$IMG" sh -c "dd if=/dev/urandom of=/root/payload bs=1M \
count=$PAYLOAD_MB 2> /dev/null && mkdir /root/many && \
for i in \$(seq 200); do echo \$i > /root/many/\$i; done"
	[ "$RC" -eq 0 ] || {
		fail_cmd "the container to commit failed"
		return 1
	}
	CHANGED=$(newest_container)
}

case_base()
{
	CASE_FAILS=()
	init_base
	if [ ${#CASE_FAILS[@]} -eq 0 ]; then
		tap_ok "crash: base image and container${SERIES_SUFFIX:-}"
		return 0
	fi
	tap_not_ok "crash: base image and container${SERIES_SUFFIX:-}" \
		"${CASE_FAILS[@]}"
	return 1
}

overlay_store()
{
	STORE=$WORK/plain
	store_plain "$STORE" || return 1
	export BOCKER_ROOT=$STORE BOCKER_STORAGE_DRIVER=overlay
	DRIVER=overlay
	SERIES_SUFFIX=" (overlay)"
}

# ------------------------------------------------------------------- main

setup_log=$(mktemp /tmp/bocker-crash-setup.XXXXXX) || exit 1
if ! setup > "$setup_log" 2>&1; then
	tap_not_ok "crash setup" "$(cat "$setup_log")"
	rm -f "$setup_log"
	exit 1
fi
rm -f "$setup_log"
echo "# crash: seed $SEED (CRASH_SEED), $ROUNDS rounds (CRASH_ROUNDS)," \
	"$OVERLAY_ROUNDS on overlay"

DRIVER=btrfs
SERIES_SUFFIX=
if case_base; then
	series pull "$ROUNDS"
	series commit "$ROUNDS"
	series run "$ROUNDS"
	series init "$ROUNDS"
	series rm "$ROUNDS"
fi

if overlay_store; then
	if case_base; then
		series run "$OVERLAY_ROUNDS"
		series commit "$OVERLAY_ROUNDS"
	fi
else
	tap_not_ok "crash: overlay store" "cannot make $WORK/plain"
fi
