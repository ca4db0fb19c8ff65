#!/bin/bash
# e2e.sh - end-to-end tests of a bocker binary, as root.
#
#   tests/e2e.sh BOCKER [LABEL]
#
# Runs every case in a network namespace of its own, with BOCKER_ROOT on a
# loopback btrfs image (and later on a plain directory with the overlay
# driver) and the cgroups below this shell's own, under bocker-test-PID.
# All of it is removed on exit, also on failure. LABEL prefixes each case
# name. BOCKER_TEST_DEBIAN may name a debootstrap tree (tests/mkrootfs.sh
# debian DIR) for the Debian case; without it that case is skipped.
#
# The cases ask the container what it sees (its hostname, its /proc, its
# addresses) rather than trusting what bocker prints about it.
#
# "A && B || fail" below means "fail unless both hold", and the scripts in
# single quotes run inside the container, where their $ expands:
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
DEBIAN_ROOTFS=${BOCKER_TEST_DEBIAN:-}
tap_init

# Only what the test sets; the defaults are bocker's own.
unset BOCKER_CPU_SHARE BOCKER_MEM_LIMIT BOCKER_PIDS_LIMIT BOCKER_SUBNET \
	BOCKER_BRIDGE BOCKER_CGROUP_V2_ROOT BOCKER_TRACE BOCKER_STORAGE_DRIVER

# ------------------------------------------------------------------ setup

setup()
{
	lib_setup bocker-e2e
	CG_PARENT=bocker-test-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	[ "$(id -u)" = 0 ] || {
		echo "must run as root"
		return 1
	}
	[ -x "$BOCKER" ] || {
		echo "no executable $BOCKER"
		return 1
	}
	netns_create "bocker-test-$$" || {
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
	# A file the container cannot execute, for exit status 126.
	printf '#!/bin/sh\necho should not run\n' > "$ROOTFS/root/noexec.sh"
	chmod 644 "$ROOTFS/root/noexec.sh"
}

# ----------------------------------------------------- image and basic run

IMG=

need_image()
{
	[ -n "$IMG" ] && return 0
	skip "no image"
	return 1
}

case_init()
{
	bk_run init "$ROOTFS"
	IMG=$(created_id "$OUT")
	[ "$RC" -eq 0 ] || fail_cmd "init failed"
	[ -n "$IMG" ] || fail_cmd "last line is not 'Created: <id>'"
	printf '%s\n' "$IMG" | grep -q -x '[0-9a-f]\{12\}' ||
		fail_cmd "id '$IMG' is not 12 hex digits"
}

case_images()
{
	need_image || return
	bk_run images
	[ "$RC" -eq 0 ] || fail_cmd "images failed"
	printf '%s\n' "$OUT" | head -n 1 | grep -q '^IMAGE ID *SOURCE' ||
		fail_cmd "header is not 'IMAGE ID     SOURCE'"
	printf '%s\n' "$OUT" | grep -q "^$IMG  *$ROOTFS\$" ||
		fail_cmd "no row '$IMG $ROOTFS'"
}

case_info()
{
	local driver=$1

	bk_run info
	[ "$RC" -eq 0 ] || fail_cmd "info failed"
	printf '%s\n' "$OUT" | grep -q -x "Storage Driver: $driver" ||
		fail_cmd "no line 'Storage Driver: $driver'"
	printf '%s\n' "$OUT" | grep -q '^Cgroup Version: \(1\|2\|hybrid\)$' ||
		fail_cmd "no 'Cgroup Version:' line"
}

case_run_echo()
{
	need_image || return
	bk_run run "$IMG" echo foo
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC"
	[ "$OUT" = foo ] || fail_cmd "stdout is not 'foo'"
	[ -z "$ERR" ] || fail_cmd "stderr is not empty"
}

case_run_by_source()
{
	need_image || return
	bk_run run "$ROOTFS" echo by-source
	[ "$RC" -eq 0 ] && [ "$OUT" = by-source ] ||
		fail_cmd "run by the image's SOURCE string failed"
}

case_run_uname()
{
	need_image || return
	bk_run run "$IMG" uname -s
	[ "$RC" -eq 0 ] && [ "$OUT" = Linux ] || fail_cmd "expected 'Linux'"
}

case_run_pid_ns()
{
	local procs

	need_image || return
	bk_run run "$IMG" cat /proc/1/cmdline
	[ "$(tr '\0' ' ' < "$WORK/out")" = "cat /proc/1/cmdline " ] ||
		fail_cmd "PID 1 is not the command itself"
	bk_run run "$IMG" ps -o pid,comm
	procs=$(printf '%s\n' "$OUT" | tail -n +2)
	printf '%s\n' "$procs" | grep -q '^ *1 ps$' ||
		fail_cmd "ps does not show itself as PID 1"
	[ "$(printf '%s\n' "$procs" | wc -l)" -eq 1 ] ||
		fail_cmd "ps sees other processes than itself"
}

case_run_hostname()
{
	local id

	need_image || return
	bk_run run "$IMG" hostname
	id=$(newest_container)
	printf '%s\n' "$OUT" | grep -q -x '[0-9a-f]\{12\}' ||
		fail_cmd "hostname is not 12 hex digits"
	[ "$OUT" = "$id" ] ||
		fail_cmd "hostname is not the newest ps id '$id'"
}

case_run_eth0()
{
	need_image || return
	bk_run run "$IMG" ip addr
	[ "$RC" -eq 0 ] || fail_cmd "ip addr failed"
	printf '%s\n' "$OUT" | grep -q '^[0-9]*: eth0[:@]' ||
		fail_cmd "no eth0"
	printf '%s\n' "$OUT" |
		grep -q 'inet 10\.0\.0\.\([2-9]\|[1-9][0-9]\|1[0-9][0-9]\|2[0-4][0-9]\|25[0-4]\)/24 ' ||
		fail_cmd "no address 10.0.0.N/24 with N >= 2"
	printf '%s\n' "$OUT" | grep -q 'link/ether 02:42:' ||
		fail_cmd "no 02:42:... MAC address"
	bk_run run "$IMG" ip route
	printf '%s\n' "$OUT" | grep -q '^default via 10\.0\.0\.1 ' ||
		fail_cmd "no default route via 10.0.0.1"
}

case_run_ping()
{
	need_image || return
	bk_run run "$IMG" ping -c 1 -W 2 10.0.0.1
	[ "$RC" -eq 0 ] || fail_cmd "cannot ping the gateway"
}

case_run_dev()
{
	local dev missing=

	need_image || return
	bk_run run "$IMG" ls /dev
	for dev in null zero full random urandom tty pts shm fd stdin stdout \
		stderr; do
		printf '%s\n' "$OUT" | grep -q -x "$dev" || missing="$missing $dev"
	done
	[ -z "$missing" ] || fail_cmd "missing in /dev:$missing"
	bk_run run "$IMG" touch /sys/bocker-test
	[ "$RC" -ne 0 ] || fail_cmd "/sys is writable"
}

# A shell command that lists, on one line, the descriptors a background
# child of the container's shell inherits from it.
FD_PROBE='sleep 2 & sleep 0.3; ls /proc/$!/fd | tr "\n" " "'

case_run_hardening()
{
	need_image || return
	bk_run run "$IMG" grep CapBnd /proc/self/status
	printf '%s\n' "$OUT" | grep -q 'CapBnd:[[:space:]]*00000000a80425fb$' ||
		fail_cmd "bounding set is not Docker's default a80425fb"
	bk_run run "$IMG" sh -c 'echo 1 > /proc/sys/kernel/panic'
	[ "$RC" -ne 0 ] || fail_cmd "/proc/sys is writable"
	bk_run run "$IMG" sh -c 'wc -c < /proc/keys'
	[ "$OUT" = 0 ] || fail_cmd "/proc/keys is not masked"
	bk_run run "$IMG" ip link set lo down
	[ "$RC" -ne 0 ] || fail_cmd "CAP_NET_ADMIN was not dropped"
	bk_run run "$IMG" sh -c "$FD_PROBE"
	[ "$OUT" = "0 1 2 " ] || fail_cmd "descriptors beyond 0, 1, 2 leak"
}

# An image may plant symlinks where bocker writes the container's /etc
# files; bocker must replace them, never write through them to the host.
case_run_etc_symlinks()
{
	local planted=$WORK/planted decoy=$WORK/decoy img before after

	need_image || return
	cp -a "$ROOTFS" "$planted" || {
		fail "cannot copy the root filesystem"
		return
	}
	printf 'host file\n' > "$decoy"
	before=$(stat -c '%i %s %Y' "$decoy")
	rm -f "$planted/etc/resolv.conf" "$planted/etc/hosts" \
		"$planted/etc/hostname"
	ln -s "$decoy" "$planted/etc/resolv.conf"
	ln -s "../../../../../../../..$decoy" "$planted/etc/hosts"
	ln -s /proc/self/root/etc/passwd "$planted/etc/hostname"
	bk_run init "$planted"
	img=$(created_id "$OUT")
	rm -rf "$planted"
	[ -n "$img" ] || {
		fail_cmd "init of the planted image failed"
		return
	}
	bk_run run "$img" sh -c \
		'for f in resolv.conf hosts hostname; do
			[ -f /etc/$f ] && [ ! -L /etc/$f ] || echo "link $f"
		done; grep -c root /etc/passwd'
	[ "$RC" -eq 0 ] || fail_cmd "run of the planted image failed"
	printf '%s\n' "$OUT" | grep -q '^link' &&
		fail_cmd "an /etc file is still a symlink"
	after=$(stat -c '%i %s %Y' "$decoy")
	[ "$before" = "$after" ] && [ "$(cat "$decoy")" = "host file" ] ||
		fail "the host file behind the symlink changed"
	bk rm "$img" > /dev/null 2>&1
}

# ------------------------------------------------------------ exit status

# expect_error WANT_RC REGEX: check that the last command exited WANT_RC
# with one line on stderr, "bocker: ..." matching REGEX.
expect_error()
{
	[ "$RC" -eq "$1" ] || fail_cmd "exit status $RC, expected $1"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] ||
		fail_cmd "stderr is not one line"
	printf '%s\n' "$ERR" | grep -q "^bocker: .*$2" ||
		fail_cmd "stderr does not match 'bocker: .*$2'"
}

case_exit_status()
{
	need_image || return
	bk_run run "$IMG" sh -c 'exit 3'
	[ "$RC" -eq 3 ] || fail_cmd "exit status $RC, expected 3"
	bk_run run "$IMG" false
	[ "$RC" -eq 1 ] || fail_cmd "exit status $RC, expected 1"
}

case_exit_not_found()
{
	need_image || return
	bk_run run "$IMG" no-such-program
	expect_error 127 "no-such-program"
	bk_run run "$IMG" /bin/no-such-program
	expect_error 127 "no-such-program"
}

case_exit_not_executable()
{
	need_image || return
	bk_run run "$IMG" /root/noexec.sh
	expect_error 126 "noexec.sh"
	printf '%s\n' "$OUT" | grep -q 'should not run' &&
		fail_cmd "the 0644 file ran"
}

case_unknown_image()
{
	bk_run run deadbeef0000 true
	[ "$RC" -eq 125 ] || fail_cmd "exit status $RC, expected 125"
	[ "$ERR" = "bocker: run: no image named 'deadbeef0000' exists" ] ||
		fail_cmd "wrong message"
}

case_missing_command()
{
	need_image || return
	bk_run run "$IMG"
	[ "$RC" -eq 125 ] || fail_cmd "exit status $RC, expected 125"
	# The message may go on to say why, e.g. that the image has no
	# default command.
	case $ERR in
	"bocker: run: missing command" | "bocker: run: missing command "*) ;;
	*) fail_cmd "message does not start 'bocker: run: missing command'" ;;
	esac
}

# case_unknown_container COMMAND ARGS...; rm takes images too, so its
# message may say "no container or image named".
case_unknown_container()
{
	local cmd=$1 want

	shift
	bk_run "$cmd" deadbeef0000 "$@"
	[ "$RC" -eq 125 ] || fail_cmd "exit status $RC, expected 125"
	want="bocker: $cmd: no container named 'deadbeef0000' exists"
	if [ "$cmd" = rm ]; then
		[ "$ERR" = "$want" ] ||
			[ "$ERR" = "bocker: rm: no container or image named 'deadbeef0000' exists" ] ||
			fail_cmd "wrong message"
	else
		[ "$ERR" = "$want" ] || fail_cmd "wrong message"
	fi
}

# ------------------------------------------------------------- store state

# Entries two levels deep in the store, e.g. containers/<id>.
store_list()
{
	find "$BOCKER_ROOT" -mindepth 1 -maxdepth 2 -printf '%P\n' | sort
}

# check_nothing_left: no veth besides the bridge, no cgroup below the test
# parent, no mount below the store. Leftovers of a killed process take a
# moment to go, so this polls for up to 5 s.
check_nothing_left()
{
	local i links cgroups mounts

	for i in $(seq 50); do
		links=$(netns_extra_links)
		cgroups=$(cg_leftovers)
		mounts=$(mounts_under "$BOCKER_ROOT" | grep -v -x "$BOCKER_ROOT")
		[ -z "$links$cgroups$mounts" ] && return 0
		sleep 0.1
	done
	[ -z "$links" ] || fail "links left in the namespace: $(clip "$links")"
	[ -z "$cgroups" ] || fail "cgroups left: $(clip "$cgroups")"
	[ -z "$mounts" ] || fail "mounts left below the store: $(clip "$mounts")"
}

case_read_only_store()
{
	local ro=$WORK/ro before

	need_image || return
	mkdir -p "$ro"
	mount --bind "$BOCKER_ROOT" "$ro" &&
		mount -o remount,bind,ro "$ro" ||
		{
		skip "cannot make a read-only bind mount"
		return
	}
	before=$(store_list)
	BOCKER_ROOT=$ro bk_run run "$IMG" echo foo
	expect_error 125 '[Rr]ead-only'
	BOCKER_ROOT=$ro bk_run init "$ROOTFS"
	expect_error 125 '[Rr]ead-only'
	[ "$(store_list)" = "$before" ] || fail "the store changed:" \
		"$(diff <(echo "$before") <(store_list))"
	check_nothing_left
	umount "$ro"
}

# -------------------------------------------------------------------- exec

# While bocker exec joins a container, its process is briefly in the
# container's PID namespace, still running the host's bocker; it must be
# non-dumpable before the first setns, or the container could open the
# host binary through /proc/PID/exe. That window lasts microseconds, too
# short to race from inside, so the trace shows the order of the calls.
case_exec_nondumpable()
{
	local out=$WORK/nodump.out pid id first_setns dumpable

	need_image || return
	bk_bg "$out" run "$IMG" sleep 30
	pid=$BG_PID
	id=$(wait_running 'sleep 30') || id=
	if [ -z "$id" ]; then
		fail "no running 'sleep 30' in ps"
		kill -KILL "$pid" 2> /dev/null
		return
	fi
	bk_run --trace exec "$id" true
	dumpable=$(printf '%s\n' "$ERR" |
		grep -n 'prctl(PR_SET_DUMPABLE, 0) = 0' | cut -d: -f1 | head -1)
	first_setns=$(printf '%s\n' "$ERR" | grep -n 'setns(' |
		cut -d: -f1 | head -1)
	[ -n "$first_setns" ] || fail_cmd "no setns in the trace"
	[ -n "$dumpable" ] && [ "$dumpable" -lt "${first_setns:-0}" ] ||
		fail_cmd "not made non-dumpable before joining the namespaces"
	cg_kill_container "$id" > /dev/null 2>&1
	bg_wait "$pid" 10
}

case_exec()
{
	local out=$WORK/exec.out pid id

	need_image || return
	bk_bg "$out" run "$IMG" sleep 30
	pid=$BG_PID
	id=$(wait_running 'sleep 30') ||
		{
		fail "no running 'sleep 30' in ps"
		return
	}
	bk_run exec "$id" sh -c 'tr "\0" " " < /proc/1/cmdline'
	[ "$RC" -eq 0 ] && [ "$OUT" = "sleep 30 " ] ||
		fail_cmd "PID 1 seen by exec is not 'sleep 30'"
	bk_run exec "$id" hostname
	[ "$RC" -eq 0 ] && [ "$OUT" = "$id" ] ||
		fail_cmd "hostname seen by exec is not '$id'"
	bk_run exec "$id" sh -c 'exit 4'
	[ "$RC" -eq 4 ] || fail_cmd "exit status $RC, expected 4"
	bk_run exec "$id" no-such-program
	[ "$RC" -eq 127 ] || fail_cmd "exit status $RC, expected 127"
	bk_run exec "$id" sh -c "$FD_PROBE"
	[ "$OUT" = "0 1 2 " ] || fail_cmd "exec leaks descriptors beyond 0, 1, 2"
	bk_run exec "$id" grep CapBnd /proc/self/status
	printf '%s\n' "$OUT" | grep -q 'CapBnd:[[:space:]]*00000000a80425fb$' ||
		fail_cmd "exec keeps more than Docker's default capabilities"
	[ "$(ps_status "$id")" = running ] || fail "ps does not say running"
	cg_kill_container "$id" ||
		fail "no process in the container's cgroups to kill"
	bg_wait "$pid" 10
	[ "$RC" -eq 137 ] || fail "killed run exited $RC, expected 137"
	check_sanitizer "$(cat "$out")"
	[ "$(ps_status "$id")" = "exited (137)" ] ||
		fail "ps says '$(ps_status "$id")', expected 'exited (137)'"
	EXITED=$id
}

EXITED=

case_exec_not_running()
{
	[ -n "$EXITED" ] || {
		skip "no exited container"
		return
	}
	bk_run exec "$EXITED" true
	[ "$RC" -eq 125 ] || fail_cmd "exit status $RC, expected 125"
	[ "$ERR" = "bocker: exec: container '$EXITED' exists but is not running" ] ||
		fail_cmd "wrong message"
}

# -------------------------------------------------------------------- logs

case_logs()
{
	local id

	need_image || return
	bk_run run "$IMG" sh -c 'echo to-stdout; echo to-stderr >&2'
	id=$(newest_container)
	bk_run logs "$id"
	[ "$RC" -eq 0 ] || fail_cmd "logs failed"
	printf '%s\n' "$OUT" | grep -q -x to-stdout ||
		fail_cmd "log lacks the standard output"
	printf '%s\n' "$OUT$ERR" | grep -q -x to-stderr ||
		fail_cmd "log lacks the standard error"
}

# ------------------------------------------------------------------ commit

IMG2=

case_commit_new()
{
	local id name=bocker-test-commit-$$ new

	need_image || return
	bk_run run "$IMG" sh -c 'echo committed > /root/marker'
	[ "$RC" -eq 0 ] || fail_cmd "writing the marker failed"
	id=$(newest_container)
	bk_run commit "$id" "$name"
	new=$(created_id "$OUT")
	[ "$RC" -eq 0 ] && [ -n "$new" ] ||
		{
		fail_cmd "commit printed no 'Created: <id>'"
		return
	}
	[ "$new" != "$IMG" ] || fail_cmd "commit reused the base image id"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$new  *$name\$" ||
		fail_cmd "images has no row '$new $name'"
	bk_run run "$new" cat /root/marker
	[ "$RC" -eq 0 ] && [ "$OUT" = committed ] ||
		fail_cmd "the new image lacks the marker"
	bk_run run "$name" cat /root/marker
	[ "$OUT" = committed ] || fail_cmd "run by name '$name' failed"
	bk_run run "$IMG" cat /root/marker
	[ "$RC" -ne 0 ] || fail_cmd "the base image has the marker too"
}

case_commit_existing()
{
	local id count new

	bk_run init "$ROOTFS"
	IMG2=$(created_id "$OUT")
	[ -n "$IMG2" ] || {
		fail_cmd "init of a second image failed"
		return
	}
	count=$(bk images | wc -l)
	bk_run run "$IMG2" sh -c 'echo replaced > /root/marker2'
	id=$(newest_container)
	bk_run commit "$id" "$IMG2"
	new=$(created_id "$OUT")
	[ "$RC" -eq 0 ] || fail_cmd "commit failed"
	[ "$new" = "$IMG2" ] || fail_cmd "commit onto '$IMG2' made '$new'"
	[ "$(bk images | wc -l)" -eq "$count" ] ||
		fail "the number of images changed"
	bk_run run "$IMG2" cat /root/marker2
	[ "$RC" -eq 0 ] && [ "$OUT" = replaced ] ||
		fail_cmd "the replaced image lacks the marker"
}

# ---------------------------------------------------------------------- rm

case_rm_container()
{
	local id

	need_image || return
	bk_run run "$IMG" true
	id=$(newest_container)
	[ -n "$(ps_status "$id")" ] || fail "ps does not list '$id'"
	bk_run rm "$id"
	[ "$RC" -eq 0 ] || fail_cmd "rm failed"
	[ -z "$(ps_status "$id")" ] || fail "ps still lists '$id'"
	bk_run logs "$id"
	[ "$RC" -eq 125 ] || fail_cmd "logs of a removed container worked"
	bk_run rm "$id"
	[ "$RC" -eq 125 ] || fail_cmd "a second rm did not fail with 125"
}

# Containers made from IMAGE, from the IMAGE column of ps.
containers_of()
{
	ps_rows | awk -v img="$1" '$2 == img { print $1 }'
}

case_rm_image()
{
	local users id

	[ -n "$IMG2" ] || {
		skip "no second image"
		return
	}
	users=$(containers_of "$IMG2")
	[ -n "$users" ] || fail "ps shows no container of '$IMG2'"
	# An image that a container uses is kept, as docker rmi does.
	bk_run rm "$IMG2"
	[ "$RC" -eq 125 ] || fail_cmd "rm of an image in use did not fail"
	for id in $users; do
		bk_run rm "$id"
		[ "$RC" -eq 0 ] || fail_cmd "rm of container '$id' failed"
	done
	bk_run rm "$IMG2"
	[ "$RC" -eq 0 ] || fail_cmd "rm failed"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$IMG2" &&
		fail_cmd "images still lists '$IMG2'"
	bk_run run "$IMG2" true
	[ "$RC" -eq 125 ] || fail_cmd "run of a removed image did not fail"
}

# ----------------------------------------------------------------- cgroups

# check_cgroup_file CONTROLLER ID FILE VALUE
check_cgroup_file()
{
	local dir got

	dir=$(cg_container_dir "$1" "$2") ||
		{
		fail "no $1 cgroup for '$2' below $(cg_parent_dir "$1")"
		return
	}
	got=$(cat "$dir/$3" 2> /dev/null)
	[ "$got" = "$4" ] || fail "$dir/$3 is '$got', expected '$4'"
	[ -n "$(cat "$dir/cgroup.procs" 2> /dev/null)" ] ||
		fail "$dir/cgroup.procs is empty"
}

case_cgroup_limits()
{
	local out=$WORK/cgroup.out pid id ctrl

	need_image || return
	BOCKER_CPU_SHARE=256 BOCKER_MEM_LIMIT=64 BOCKER_PIDS_LIMIT=50 \
		bk_bg "$out" run "$IMG" sleep 31
	pid=$BG_PID
	id=$(wait_running 'sleep 31') ||
		{
		fail "no running 'sleep 31' in ps"
		return
	}
	check_cgroup_file cpu "$id" cpu.shares 256
	check_cgroup_file memory "$id" memory.limit_in_bytes 67108864
	check_cgroup_file pids "$id" pids.max 50
	cg_kill_container "$id"
	bg_wait "$pid" 10
	for ctrl in cpu memory pids; do
		if cg_container_dir "$ctrl" "$id" > /dev/null; then
			sleep 0.5
		fi
		if cg_container_dir "$ctrl" "$id" > /dev/null; then
			fail "$ctrl cgroup of '$id' left after the run"
		fi
	done
}

case_memory_limit()
{
	need_image || return
	# dd allocates one buffer of bs bytes and fills it from /dev/zero.
	bk_run run "$IMG" dd if=/dev/zero of=/dev/null bs=64M count=1
	[ "$RC" -eq 0 ] || fail_cmd "64 MiB under the default limit failed"
	BOCKER_MEM_LIMIT=32 bk_run run "$IMG" \
		dd if=/dev/zero of=/dev/null bs=64M count=1
	# The OOM killer's SIGKILL gives 137; a failed allocation in dd
	# would give 1, which also shows the limit at work.
	[ "$RC" -ne 0 ] || fail_cmd "64 MiB under a 32 MB limit succeeded"
}

case_pids_limit()
{
	local script='for i in $(seq 30); do sleep 1 & done; wait'

	need_image || return
	bk_run run "$IMG" sh -c "$script"
	printf '%s\n' "$OUT$ERR" | grep -q -i 'fork' &&
		fail_cmd "fork failed under the default limit"
	BOCKER_PIDS_LIMIT=10 bk_run run "$IMG" sh -c "$script"
	printf '%s\n' "$OUT$ERR" | grep -q -i "can't fork" ||
		fail_cmd "no fork failure under a limit of 10"
}

case_cgroup_v2()
{
	local v2=$WORK/cgroup2 out=$WORK/v2.out pid id dir i

	need_image || return
	mkdir -p "$v2"
	BOCKER_CGROUP_V2_ROOT=$v2 BOCKER_CPU_SHARE=256 BOCKER_MEM_LIMIT=48 \
		BOCKER_PIDS_LIMIT=33 bk_bg "$out" run "$IMG" sh -c \
		'echo v2-run; sleep 3; echo v2-done'
	pid=$BG_PID
	id=$(wait_running 'v2-run') ||
		{
		fail "no running container in ps"
		return
	}
	for i in $(seq 30); do
		dir=$(find "$v2" -type d -name "$id*" | head -n 1)
		[ -n "$dir" ] && [ -s "$dir/cgroup.procs" ] && break
		sleep 0.1
	done
	if [ -z "$dir" ]; then
		fail "no directory '$id*' below $v2:" "$(find "$v2")"
	else
		[ "$dir" = "$v2/$CG_PARENT/$(basename "$dir")" ] ||
			fail "cgroup at $dir, expected $v2/$CG_PARENT/<id>"
		grep -q -x '[0-9]\+' "$dir/cpu.weight" 2> /dev/null ||
			fail "cpu.weight is '$(cat "$dir/cpu.weight" 2>&1)'"
		[ "$(cat "$dir/memory.max" 2>&1)" = 50331648 ] ||
			fail "memory.max is '$(cat "$dir/memory.max" 2>&1)'"
		[ "$(cat "$dir/pids.max" 2>&1)" = 33 ] ||
			fail "pids.max is '$(cat "$dir/pids.max" 2>&1)'"
		grep -q -x '[0-9]\+' "$dir/cgroup.procs" 2> /dev/null ||
			fail "cgroup.procs is '$(cat "$dir/cgroup.procs" 2>&1)'"
	fi
	bg_wait "$pid" 20
	[ "$RC" -eq 0 ] || fail "the run exited $RC: $(cat "$out")"
	grep -q -x v2-done "$out" || fail "the run printed: $(cat "$out")"
	check_sanitizer "$(cat "$out")"
}

# -------------------------------------------------------------- parallel

PARALLEL_IDS=

# Each container prints its address and hostname and waits until the test
# writes a peer's address to /tmp/peer through exec. It then pings the
# gateway and the peer (three tries each: on a loaded machine a first ARP
# exchange can take longer than ping's wait) and stays up until the test
# creates /tmp/done, so
# that no peer exits before it was pinged. The waits are bounded, so a
# lost exec cannot hang the suite.
PARALLEL_SCRIPT='
await() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 300 ]; do
		usleep 100000
		i=$((i + 1))
	done
}
reach() {
	for try in 1 2 3; do
		ping -c 1 -W 2 "$1" > /dev/null && return 0
	done
	return 1
}
ip -4 addr show eth0
echo "host=$(hostname)"
await /tmp/peer
peer=$(cat /tmp/peer)
if reach 10.0.0.1; then echo gw=ok; else echo gw=fail; fi
if reach "$peer"; then
	echo "peer=ok $peer"
else
	echo "peer=fail $peer"
fi
await /tmp/done'

# wait_lines PATTERN FILE...: wait up to 30 s until each FILE has a line
# matching PATTERN.
wait_lines()
{
	local pattern=$1 file

	shift
	for file in "$@"; do
		for _ in $(seq 300); do
			grep -q "$pattern" "$file" && break
			sleep 0.1
		done
	done
}

case_parallel()
{
	local n=20 i j pids=() ids=() addrs=() out

	need_image || return
	for i in $(seq 0 $((n - 1))); do
		bk_bg "$WORK/par.$i" run "$IMG" sh -c "$PARALLEL_SCRIPT"
		pids[i]=$BG_PID
	done
	wait_lines '^host=' "$WORK"/par.*
	for i in $(seq 0 $((n - 1))); do
		ids[i]=$(sed -n 's/^host=//p' "$WORK/par.$i")
		addrs[i]=$(sed -n 's/^ *inet \([0-9.]*\)\/.*/\1/p' \
			"$WORK/par.$i")
	done
	for i in $(seq 0 $((n - 1))); do
		j=$(((i + 1) % n))
		[ -n "${ids[i]}" ] || continue
		bk_run exec "${ids[i]}" sh -c "echo ${addrs[j]} > /tmp/peer"
		[ "$RC" -eq 0 ] || fail_cmd "exec into container $i failed"
	done
	wait_lines '^peer=' "$WORK"/par.*
	for i in $(seq 0 $((n - 1))); do
		[ -n "${ids[i]}" ] || continue
		bk_run exec "${ids[i]}" touch /tmp/done
		[ "$RC" -eq 0 ] || fail_cmd "exec into container $i failed"
	done
	for i in $(seq 0 $((n - 1))); do
		bg_wait "${pids[i]}" 60
		out=$(cat "$WORK/par.$i")
		check_sanitizer "$out"
		[ "$RC" -eq 0 ] || fail "container $i exited $RC: $(clip "$out")"
		[ -n "${ids[i]}" ] || fail "container $i printed no hostname"
		[ -n "${addrs[i]}" ] || fail "container $i has no eth0 address"
		printf '%s\n' "$out" | grep -q '^gw=ok' ||
			fail "container $i (${addrs[i]}) cannot ping the gateway"
		printf '%s\n' "$out" | grep -q '^peer=ok' ||
			fail "container $i (${addrs[i]}) cannot ping ${addrs[(i + 1) % n]}"
	done
	[ "$(printf '%s\n' "${ids[@]}" | sort -u | grep -c .)" -eq $n ] ||
		fail "hostnames not distinct: ${ids[*]}"
	[ "$(printf '%s\n' "${addrs[@]}" | sort -u | grep -c .)" -eq $n ] ||
		fail "addresses not distinct: ${addrs[*]}"
	PARALLEL_IDS=${ids[*]}
}

case_parallel_cleanup()
{
	local id status

	[ -n "$PARALLEL_IDS" ] || {
		skip "no parallel run"
		return
	}
	check_nothing_left
	for id in $PARALLEL_IDS; do
		status=$(ps_status "$id")
		[ "$status" = "exited (0)" ] ||
			fail "ps shows '$id' as '$status', expected 'exited (0)'"
	done
}

# ----------------------------------------------------------------- SIGKILL

case_sigkill()
{
	local out=$WORK/kill.out pid id before extra

	need_image || return
	before=$(store_list)
	bk_bg "$out" run "$IMG" sleep 60
	pid=$BG_PID
	id=$(wait_running 'sleep 60') ||
		{
		fail "no running 'sleep 60' in ps"
		return
	}
	kill -KILL "$pid"
	wait "$pid" 2> /dev/null
	bk_run cleanup
	[ "$RC" -eq 0 ] || fail_cmd "cleanup failed"
	check_nothing_left
	# Anything new in the store must belong to the killed container.
	extra=$(comm -13 <(echo "$before") <(store_list) | grep -v "$id")
	[ -z "$extra" ] || fail "left in the store: $extra"
	if [ -n "$(cg_leftovers)" ]; then
		fail "processes still in the cgroups: $(cg_leftovers |
			while read -r d; do cat "$d/cgroup.procs"; done |
			sort -u -n | tr '\n' ' ')"
	fi
}

# ------------------------------------------------------------------ Debian

case_debian()
{
	local img id

	[ -n "$DEBIAN_ROOTFS" ] && [ -f "$DEBIAN_ROOTFS/etc/debian_version" ] ||
		{
		skip "no Debian tree; test.sh makes one with debootstrap"
		return
	}
	bk_run init "$DEBIAN_ROOTFS"
	img=$(created_id "$OUT")
	[ -n "$img" ] || {
		fail_cmd "init failed"
		return
	}
	bk_run run "$img" cat /etc/debian_version
	[ "$RC" -eq 0 ] || fail_cmd "cat failed"
	[ "$OUT" = "$(cat "$DEBIAN_ROOTFS/etc/debian_version")" ] ||
		fail_cmd "wrong /etc/debian_version"
	bk_run run "$img" apt-get --version
	[ "$RC" -eq 0 ] || fail_cmd "apt-get --version failed"
	printf '%s\n' "$OUT" | head -n 1 | grep -q '^apt [0-9]' ||
		fail_cmd "apt-get --version printed no 'apt N...'"
	for id in $(containers_of "$img"); do
		bk_run rm "$id"
		[ "$RC" -eq 0 ] || fail_cmd "rm of container '$id' failed"
	done
	bk_run rm "$img"
	[ "$RC" -eq 0 ] || fail_cmd "rm of the Debian image failed"
}

# ------------------------------------------------------------------- trace

case_trace()
{
	local call

	need_image || return
	bk_run --trace run "$IMG" true
	[ "$RC" -eq 0 ] || fail_cmd "run failed"
	printf '%s\n' "$ERR" | grep -q '^trace: ' || fail_cmd "no trace lines"
	for call in clone pivot_root 'mount('; do
		printf '%s\n' "$ERR" | grep '^trace: ' | grep -q -F "$call" ||
			fail_cmd "no trace line names $call"
	done
	printf '%s\n' "$ERR" | grep '^trace: ' | grep -q -i 'netlink\|RTM_' ||
		fail_cmd "no trace line names a netlink step"
	printf '%s\n' "$ERR" | grep -v -q '^trace: ' &&
		fail_cmd "stderr has lines other than trace lines"
	BOCKER_TRACE=1 bk_run images
	printf '%s\n' "$ERR" | grep -q '^trace: ' || [ -z "$ERR" ] ||
		fail_cmd "BOCKER_TRACE=1 printed something else"
}

# ---------------------------------------------------------------- overlay

case_overlay_setup()
{
	STORE=$WORK/plain
	store_plain "$STORE" || {
		fail "cannot make $STORE"
		return
	}
	export BOCKER_ROOT=$STORE BOCKER_STORAGE_DRIVER=overlay
	IMG=
	IMG2=
	EXITED=
}

case_overlay_clean()
{
	check_nothing_left
}

# ------------------------------------------------------------------- main

setup_log=$(mktemp /tmp/bocker-e2e-setup.XXXXXX) || exit 1
if ! setup > "$setup_log" 2>&1; then
	tap_not_ok "e2e setup" "$(cat "$setup_log")"
	rm -f "$setup_log"
	exit 1
fi
rm -f "$setup_log"

run_case "init busybox image" case_init
run_case "images lists source" case_images
run_case "info btrfs" case_info btrfs
run_case "run echo" case_run_echo
run_case "run by source" case_run_by_source
run_case "run uname" case_run_uname
run_case "run own pid namespace" case_run_pid_ns
run_case "run hostname is id" case_run_hostname
run_case "run eth0 address" case_run_eth0
run_case "run ping gateway" case_run_ping
run_case "run dev and sys" case_run_dev
run_case "run masks and capabilities" case_run_hardening
run_case "run replaces etc symlinks" case_run_etc_symlinks
run_case "exit status passed" case_exit_status
run_case "exit 127 not found" case_exit_not_found
run_case "exit 126 not executable" case_exit_not_executable
run_case "exit 125 unknown image" case_unknown_image
run_case "exit 125 missing command" case_missing_command
run_case "exec unknown container" case_unknown_container exec true
run_case "logs unknown container" case_unknown_container logs
run_case "rm unknown container" case_unknown_container rm
run_case "commit unknown container" case_unknown_container commit x
run_case "read-only store" case_read_only_store
run_case "exec running container" case_exec
run_case "exec non-dumpable first" case_exec_nondumpable
run_case "exec stopped container" case_exec_not_running
run_case "logs finished run" case_logs
run_case "commit new image" case_commit_new
run_case "commit existing image" case_commit_existing
run_case "rm container" case_rm_container
run_case "rm image" case_rm_image
run_case "cgroup v1 limits" case_cgroup_limits
run_case "memory limit enforced" case_memory_limit
run_case "pids limit enforced" case_pids_limit
run_case "cgroup v2 stand-in" case_cgroup_v2
run_case "20 parallel containers" case_parallel
run_case "20 parallel leave nothing" case_parallel_cleanup
run_case "sigkill then cleanup" case_sigkill
run_case "debian rootfs" case_debian
run_case "trace output" case_trace
run_case "nothing left (btrfs)" check_nothing_left

run_case "overlay setup" case_overlay_setup
run_case "overlay init" case_init
run_case "overlay info" case_info overlay
run_case "overlay run echo" case_run_echo
run_case "overlay commit new image" case_commit_new
run_case "overlay exec running" case_exec
run_case "overlay rm container" case_rm_container
run_case "overlay sigkill cleanup" case_sigkill
run_case "overlay nothing left" case_overlay_clean
