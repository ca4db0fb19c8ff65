# shellcheck shell=bash
# lib.sh - helpers sourced by test.sh, tests/e2e.sh, try.sh and
# bench/run.sh: result lines, a private network namespace, a loopback btrfs
# store, the cgroups below our own, and the removal of all of them on exit.
#
# Nothing here touches the root network namespace or a cgroup outside the
# one this shell runs in; every mount, loop device, namespace and cgroup it
# makes is recorded and undone by lib_cleanup, which lib_setup installs as
# the EXIT trap.

# ---------------------------------------------------------------- results

# Results are numbered across all the suites of one test.sh run: each one
# is appended to $TAP_FILE, which the first suite creates and exports and
# the later ones (separate processes) append to.
# TAP_OWNER is set in the process that created the file: it prints the
# closing count and removes the file.
tap_init()
{
	TAP_OWNER=
	if [ -z "${TAP_FILE:-}" ]; then
		TAP_FILE=$(mktemp /tmp/bocker-results.XXXXXX) || exit 1
		TAP_OWNER=1
		export TAP_FILE
	fi
}

tap_next()
{
	echo $(($(wc -l < "$TAP_FILE") + 1))
}

tap_ok()
{
	local n

	n=$(tap_next)
	echo ok >> "$TAP_FILE"
	echo "ok $n - ${TAP_PREFIX:-}$1"
}

# tap_not_ok NAME [DETAIL...]: each DETAIL may span lines; all are printed
# below the result as "# " comments.
tap_not_ok()
{
	local n name=$1

	shift
	n=$(tap_next)
	echo fail >> "$TAP_FILE"
	echo "not ok $n - ${TAP_PREFIX:-}$name"
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | sed 's/^/#   /'
	fi
}

tap_skip()
{
	local n

	n=$(tap_next)
	echo skip >> "$TAP_FILE"
	echo "ok $n - ${TAP_PREFIX:-}$1 # skip $2"
}

# Print the closing count; fail if a case failed or none ran at all.
tap_summary()
{
	local passed failed skipped

	passed=$(grep -c '^ok$' "$TAP_FILE")
	failed=$(grep -c '^fail$' "$TAP_FILE")
	skipped=$(grep -c '^skip$' "$TAP_FILE")
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ $((passed + failed + skipped)) -gt 0 ]
}

# ------------------------------------------------------------------ cases

# run_case NAME COMMAND [ARGS...]: the command reports problems with fail
# or fail_cmd, or gives up with skip; the case passes if it did neither.
# It runs in this shell, so it may set variables that later cases use.
run_case()
{
	local name=$1

	shift
	CASE_FAILS=()
	CASE_SKIP=
	CASE_SHOWN=
	"$@"
	if [ -n "$CASE_SKIP" ]; then
		tap_skip "$name" "$CASE_SKIP"
	elif [ ${#CASE_FAILS[@]} -gt 0 ]; then
		tap_not_ok "$name" "${CASE_FAILS[@]}"
	else
		tap_ok "$name"
	fi
}

fail()
{
	CASE_FAILS+=("$*")
}

# fail_cmd MESSAGE: fail, showing the last bk_run command and its output
# unless an earlier failure of this case already showed them.
fail_cmd()
{
	CASE_FAILS+=("$*")
	if [ "$CASE_SHOWN" != "$LAST_CMD" ]; then
		CASE_FAILS+=("  command: $LAST_CMD" "  exit status: $RC"
			"  stdout: $(clip "$OUT")" "  stderr: $(clip "$ERR")")
		CASE_SHOWN=$LAST_CMD
	fi
}

skip()
{
	CASE_SKIP=$*
}

# The first 15 lines of a text, for failure messages.
clip()
{
	local lines

	lines=$(printf '%s\n' "$1" | wc -l)
	printf '%s\n' "$1" | head -n 15
	if [ "$lines" -gt 15 ]; then
		echo "  ... ($lines lines)"
	fi
}

# ----------------------------------------------------------- bocker calls

# bk ARGS...: run $BOCKER in the test's network namespace, with no input
# and a time limit, so a hung bocker fails its case instead of the suite.
bk()
{
	timeout -k 10 "${BK_TIMEOUT:-120}" \
		nsenter --net="$NETNS_PATH" "$BOCKER" "$@" < /dev/null
}

# bk_run ARGS...: bk, setting RC, OUT and ERR; the raw stdout stays in
# $WORK/out for output that contains NUL bytes. A sanitizer report in
# the output fails the current case.
bk_run()
{
	LAST_CMD="bocker $*"
	bk "$@" > "$WORK/out" 2> "$WORK/err"
	RC=$?
	OUT=$(tr -d '\0' < "$WORK/out")
	ERR=$(cat "$WORK/err")
	check_sanitizer "$ERR"
}

check_sanitizer()
{
	if printf '%s\n' "$1" |
		grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
			-e 'ERROR: LeakSanitizer'; then
		fail "sanitizer report from '$LAST_CMD':" "$(clip "$1")"
	fi
}

# bk_bg OUTFILE ARGS...: start bocker in the background, stdout and
# stderr in OUTFILE. nsenter execs bocker, so BG_PID is bocker's own PID.
bk_bg()
{
	local out=$1

	shift
	LAST_CMD="bocker $*"
	nsenter --net="$NETNS_PATH" "$BOCKER" "$@" < /dev/null > "$out" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_wait PID SECONDS: wait for a bk_bg bocker, SIGKILL it after SECONDS;
# sets RC to its exit status.
bg_wait()
{
	local pid=$1 tenths=$(($2 * 10))

	while kill -0 "$pid" 2> /dev/null && [ "$tenths" -gt 0 ]; do
		sleep 0.1
		tenths=$((tenths - 1))
	done
	if kill -0 "$pid" 2> /dev/null; then
		kill -KILL "$pid" 2> /dev/null
	fi
	# Bash reports a job killed by a signal on the standard error of wait.
	wait "$pid" 2> /dev/null
	RC=$?
}

# The id from a `Created: <id>` last line.
created_id()
{
	printf '%s\n' "$1" | tail -n 1 | sed -n 's/^Created: \([0-9a-f]*\)$/\1/p'
}

# ps rows without the header: "<id> <image> <status...> <command...>".
ps_rows()
{
	bk ps -a 2> /dev/null | tail -n +2
}

# The newest container: ps lists it first.
newest_container()
{
	ps_rows | awk 'NR == 1 { print $1 }'
}

# ps_status ID: "running", "exited (N)", or nothing when ps lacks ID.
ps_status()
{
	ps_rows | awk -v id="$1" '
		index($1, id) == 1 || index(id, $1) == 1 {
			if ($3 == "exited")
				print $3 " " $4
			else
				print $3
		}'
}

# wait_running TEXT: poll ps for up to 10 s for a running container whose
# row contains TEXT and print its id.
wait_running()
{
	local id

	for _ in $(seq 100); do
		id=$(ps_rows | awk -v text="$1" '
			$3 == "running" && index($0, text) { print $1; exit }')
		if [ -n "$id" ]; then
			echo "$id"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# --------------------------------------------------------- setup, cleanup

# lib_setup NAME: a work directory /tmp/NAME.XXXXXX and the EXIT trap.
lib_setup()
{
	BG_PIDS=()
	LOOP_DEVS=()
	NETNS=
	NETNS_PATH=
	CG_PARENT=
	WORK=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	trap lib_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# netns_create NAME: a network namespace with loopback up.
netns_create()
{
	ip netns add "$1" || return 1
	NETNS=$1
	NETNS_PATH=/run/netns/$1
	ip -n "$1" link set lo up
}

# Link names in the test namespace other than loopback and the bridge.
netns_extra_links()
{
	ip -n "$NETNS" -o link show |
		awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -v -x -e lo -e "${BOCKER_BRIDGE:-bridge0}" -e uplink0
}

# store_btrfs DIR SIZE: a btrfs image file in $WORK, attached to a loop
# device and mounted on DIR.
store_btrfs()
{
	local dir=$1 size=$2 img dev

	img=$WORK/$(basename "$dir").img
	truncate -s "$size" "$img" || return 1
	mkfs.btrfs -q -f "$img" > /dev/null || return 1
	dev=$(losetup -f --show "$img") || return 1
	LOOP_DEVS+=("$dev")
	mkdir -p "$dir" || return 1
	mount "$dev" "$dir"
}

# store_plain DIR: a directory that is not btrfs, for the overlay driver.
# overlayfs rejects an upper directory on overlayfs, so where /tmp is
# overlayfs or btrfs the directory gets a tmpfs of its own.
store_plain()
{
	mkdir -p "$1" || return 1
	case $(stat -f -c %T "$1") in
	overlayfs | btrfs)
		mount -t tmpfs -o size=1g bocker-test "$1"
		;;
	esac
}

# Mount points at or below DIR, deepest first.
mounts_under()
{
	awk -v dir="$1" '
		$5 == dir || index($5, dir "/") == 1 { print $5 }
	' /proc/self/mountinfo | sort -r
}

# cg_hierarchies: "CONTROLLERS DIR" for each cgroup hierarchy this shell is
# in, DIR being its own cgroup there, e.g. "memory /sys/fs/cgroup/memory/a"
# (CONTROLLERS is empty for cgroup v2).
cg_hierarchies()
{
	local ctrls path mnt

	while IFS=: read -r _ ctrls path; do
		mnt=$(awk -v ctrls="$ctrls" '
			{
				for (i = 7; $i != "-"; i++)
					;
				fstype = $(i + 1)
				nopts = split($(i + 3), opts, ",")
				if (ctrls == "") {
					if (fstype == "cgroup2") {
						print $5
						exit
					}
					next
				}
				if (fstype != "cgroup")
					next
				n = split(ctrls, want, ",")
				found = 0
				for (j = 1; j <= n; j++)
					for (k = 1; k <= nopts; k++)
						if (want[j] == opts[k])
							found++
				if (found == n) {
					print $5
					exit
				}
			}' /proc/self/mountinfo)
		[ -n "$mnt" ] || continue
		[ "$path" = / ] && path=
		echo "$ctrls $mnt$path"
	done < /proc/self/cgroup
}

# cg_parent_dir CONTROLLER: the test's cgroup parent in that controller.
cg_parent_dir()
{
	cg_hierarchies | awk -v c="$1" -v p="$CG_PARENT" '
		{
			n = split($1, ctrls, ",")
			for (i = 1; i <= n; i++)
				if (ctrls[i] == c) {
					print $2 "/" p
					exit
				}
		}'
}

# cg_container_dir CONTROLLER ID: the container's cgroup, named by its
# full id or by the prefix ID.
cg_container_dir()
{
	local base dir

	base=$(cg_parent_dir "$1")
	[ -n "$base" ] || return 1
	for dir in "$base/$2"*; do
		if [ -d "$dir" ]; then
			echo "$dir"
			return 0
		fi
	done
	return 1
}

# Cgroups below the test's parent, in every hierarchy.
cg_leftovers()
{
	local ctrls dir

	[ -n "$CG_PARENT" ] || return 0
	cg_hierarchies | while read -r ctrls dir; do
		[ -d "$dir/$CG_PARENT" ] || continue
		find "$dir/$CG_PARENT" -mindepth 1 -type d
	done
}

# cg_kill_container ID: SIGKILL the processes in the container's cgroups
# (bocker started them for us); fail if there were none.
cg_kill_container()
{
	local ctrl dir pids killed=1

	for ctrl in pids memory cpu; do
		dir=$(cg_container_dir "$ctrl" "$1") || continue
		pids=$(cat "$dir/cgroup.procs" 2> /dev/null)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086 # one PID a word
			kill -KILL $pids 2> /dev/null && killed=0
		fi
	done
	return $killed
}

# Kill what is left in the test's cgroups, then remove them, deepest
# first; a killed process leaves its cgroup a moment after the signal.
cg_remove_all()
{
	local ctrls dir

	[ -n "$CG_PARENT" ] || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		cg_hierarchies | while read -r ctrls dir; do
			[ -d "$dir/$CG_PARENT" ] || continue
			# shellcheck disable=SC2038 # the files hold PIDs
			find "$dir/$CG_PARENT" -name cgroup.procs \
				-exec cat {} + 2> /dev/null |
				xargs -r kill -KILL 2> /dev/null
			find "$dir/$CG_PARENT" -depth -type d \
				-exec rmdir {} + 2> /dev/null
		done
		[ -z "$(cg_remaining)" ] && return 0
		sleep 0.2
	done
	echo "# cleanup: cgroups left: $(cg_remaining)" >&2
}

cg_remaining()
{
	local ctrls dir

	cg_hierarchies | while read -r ctrls dir; do
		if [ -d "$dir/$CG_PARENT" ]; then
			echo "$dir/$CG_PARENT"
		fi
	done
}

# The EXIT trap: undo everything lib_setup and the helpers above made,
# in the reverse order, reporting but not stopping at what fails.
lib_cleanup()
{
	local pid mnt dev status=$?

	trap - EXIT INT TERM
	if [ -n "${TAP_OWNER:-}" ]; then
		tap_summary || status=1
		rm -f "$TAP_FILE"
	fi
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2> /dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2> /dev/null
	done
	cg_remove_all
	if [ -n "${WORK:-}" ]; then
		for mnt in $(mounts_under "$WORK"); do
			umount "$mnt" 2> /dev/null || umount -l "$mnt" ||
				echo "# cleanup: cannot unmount $mnt" >&2
		done
	fi
	for dev in "${LOOP_DEVS[@]}"; do
		losetup -d "$dev" || echo "# cleanup: losetup -d $dev failed" >&2
	done
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" ||
			echo "# cleanup: ip netns del $NETNS failed" >&2
	fi
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ -z "$(mounts_under "$WORK")" ]; then
			rm -rf --one-file-system "$WORK"
		else
			echo "# cleanup: $WORK kept, still mounted" >&2
		fi
	fi
	exit "$status"
}
