#!/bin/bash
# docker.sh - end-to-end tests of Docker's run flags (-p and NAT, -it
# among them) and of start, stop, kill, wait, logs -f, rm -f, inspect,
# tag and version, as root.
#
#   tests/docker.sh BOCKER [LABEL]
#
# Set up as tests/e2e.sh is: a network namespace of its own (bocker runs
# there through nsenter --net), BOCKER_ROOT on a loopback btrfs image, the
# cgroups below this shell's own under bocker-docker-PID, and images made
# with `init` from tests/mkrootfs.sh's busybox tree. All of it is removed
# on exit, also on failure, together with the monitors of detached
# containers and anything a broken volume mount left on the host. LABEL
# prefixes each case name.
#
# The cases ask the container what it sees (its environment, mounts,
# uid, hostname, links) rather than trusting what bocker prints about it.
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
tap_init

# Only what the test sets; the defaults are bocker's own.
unset BOCKER_CPU_SHARE BOCKER_MEM_LIMIT BOCKER_PIDS_LIMIT BOCKER_SUBNET \
	BOCKER_BRIDGE BOCKER_CGROUP_V2_ROOT BOCKER_TRACE BOCKER_STORAGE_DRIVER

# Names that a volume mount escaping the container's root would create
# on the host. The cases check that none appears, and the cleanup removes
# any that did.
ESCAPE_NAME=bocker-escape-$$
ESCAPE_PATHS=("/$ESCAPE_NAME" "/etc/$ESCAPE_NAME" "/etc/$ESCAPE_NAME.file"
	"/etc/$ESCAPE_NAME.tmpfs")

# ------------------------------------------------------------------ setup

# Processes running $BOCKER with our BOCKER_ROOT: the monitors of
# detached containers, once no bk call is running.
monitor_pids()
{
	local dir exe

	for dir in /proc/[0-9]*; do
		exe=$(readlink "$dir/exe" 2> /dev/null) || continue
		[ "${exe% (deleted)}" = "$BOCKER" ] || continue
		tr '\0' '\n' < "$dir/environ" 2> /dev/null |
			grep -q -x -F "BOCKER_ROOT=$STORE" || continue
		echo "${dir#/proc/}"
	done
}

# The EXIT trap: the monitors go first (their containers die with them,
# by PR_SET_PDEATHSIG), then whatever lib_setup recorded.
docker_cleanup()
{
	local status=$? pid path

	if [ -n "${STORE:-}" ]; then
		for pid in $(monitor_pids); do
			kill -KILL "$pid" 2> /dev/null
		done
	fi
	if [ -n "${UPLINK:-}" ]; then
		ip netns del "$UPLINK" ||
			echo "# cleanup: ip netns del $UPLINK failed" >&2
	fi
	for path in "${ESCAPE_PATHS[@]}"; do
		if [ -d "$path" ]; then
			rmdir "$path" 2> /dev/null ||
				echo "# cleanup: $path left on the host" >&2
		elif [ -f "$path" ]; then
			rm -f "$path"
		fi
	done
	(exit "$status")
	lib_cleanup
}

setup()
{
	lib_setup bocker-docker
	trap docker_cleanup EXIT
	CG_PARENT=bocker-docker-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	[ "$(id -u)" = 0 ] || {
		echo "must run as root"
		return 1
	}
	[ -x "$BOCKER" ] || {
		echo "no executable $BOCKER"
		return 1
	}
	for path in "${ESCAPE_PATHS[@]}"; do
		[ ! -e "$path" ] || {
			echo "$path exists already"
			return 1
		}
	done
	netns_create "bocker-docker-$$" || {
		echo "ip netns add failed"
		return 1
	}
	STORE=$WORK/btrfs
	store_btrfs "$STORE" 2G || {
		echo "cannot make a loopback btrfs in $WORK"
		return 1
	}
	export BOCKER_ROOT=$STORE
	ROOTFS=$WORK/rootfs
	bash "$HERE/mkrootfs.sh" busybox "$ROOTFS" > /dev/null || {
		echo "mkrootfs.sh busybox failed"
		return 1
	}
	# A user and a group for -u by name.
	echo 'app:x:1234:2345:app:/home/app:/bin/sh' >> "$ROOTFS/etc/passwd"
	echo 'appgroup:x:2345:' >> "$ROOTFS/etc/group"
}

# -------------------------------------------------------------- helpers

now_ms()
{
	date +%s%3N
}

# expect_error WANT_RC REGEX: the last command exited WANT_RC with one
# line on stderr, which is "bocker: " followed by a match of REGEX.
expect_error()
{
	local err

	err=$(without_asan_warning "$ERR")
	[ "$RC" -eq "$1" ] || fail_cmd "exit status $RC, expected $1"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] ||
		fail_cmd "stderr is not one line"
	printf '%s\n' "$err" | grep -q "^bocker: $2" ||
		fail_cmd "stderr does not match 'bocker: $2'"
}

# Print TEXT without ASan's three-line warning about an unknown stack.
# bocker-asan prints it when the container's first process fails before
# it runs the command, because that process runs on the stack that bocker
# passed to clone(), which ASan does not know.
without_asan_warning()
{
	printf '%s\n' "$1" | awk '
		/^==[0-9]+==WARNING: ASan is ignoring requested __asan_handle/ {
			skip = 3
		}
		skip > 0 {
			skip--
			next
		}
		{ print }'
}

# expect_out TEXT: the last command exited 0 and printed exactly TEXT.
expect_out()
{
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC, expected 0"
	[ "$OUT" = "$1" ] || fail_cmd "stdout is not '$1'"
}

# run_detached ARGS...: bocker run -d ARGS; sets ID to the printed id,
# or fails the case and returns 1.
run_detached()
{
	ID=
	bk_run run -d "$@"
	if [ "$RC" -ne 0 ] || ! printf '%s\n' "$OUT" |
		grep -q -x '[0-9a-f]\{64\}'; then
		fail_cmd "run -d did not print a 64-hex id"
		return 1
	fi
	ID=$OUT
}

# wait_status ID STATUS: poll ps for up to 5 s until ID has STATUS, where
# "" means that ps no longer lists it. The case fails if that never comes.
wait_status()
{
	local got

	for _ in $(seq 50); do
		got=$(ps_status "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	fail "ps says '$got' for ${1:0:12}, expected '$2'"
	return 1
}

# wait_log ID LINE: poll the log of ID for up to 5 s until it has LINE.
wait_log()
{
	for _ in $(seq 50); do
		bk logs "$1" 2> /dev/null | grep -q -x -F "$2" && return 0
		sleep 0.1
	done
	fail "no line '$2' in the log of ${1:0:12}"
	return 1
}

# Remove containers, stopping them first, and print nothing.
remove_force()
{
	bk rm -f "$@" > /dev/null 2>&1
}

# Running containers in ps.
running_rows()
{
	ps_rows | awk '$3 == "running"'
}

# ps_count: the number of containers in ps.
ps_count()
{
	ps_rows | wc -l
}

# The full id of an image from the 12-digit one `init` prints.
image_dir()
{
	local dir

	for dir in "$BOCKER_ROOT/images/$1"*; do
		[ -d "$dir" ] && echo "$dir" && return 0
	done
	return 1
}

# init_image DIR: make an image of DIR and print its id.
init_image()
{
	bk_run init "$1"
	created_id "$OUT"
}

# ----------------------------------------------------------------- images

IMG=

need_image()
{
	[ -n "$IMG" ] && return 0
	skip "no image"
	return 1
}

case_init()
{
	IMG=$(init_image "$ROOTFS")
	[ -n "$IMG" ] || fail_cmd "init failed"
}

# Test scaffolding: `init` images carry no configuration, and the pull
# suite's registry is not part of this one, so these write an image's
# config.json straight into the store, in the shape that pull stores.
CFG_IMG=
EP_IMG=

case_config_images()
{
	local dir

	need_image || return
	CFG_IMG=$(init_image "$ROOTFS")
	dir=$(image_dir "$CFG_IMG") || {
		fail_cmd "init of the Env image failed"
		CFG_IMG=
		return
	}
	printf '%s\n' '{"config":{"Env":["A=image","B=image"],' \
		'"Cmd":["sh","-c","echo $A $B"]}}' > "$dir/config.json"
	EP_IMG=$(init_image "$ROOTFS")
	dir=$(image_dir "$EP_IMG") || {
		fail_cmd "init of the Entrypoint image failed"
		EP_IMG=
		return
	}
	printf '%s\n' '{"config":{"Entrypoint":["echo","image-ep"],' \
		'"Cmd":["image-cmd"]}}' > "$dir/config.json"
	bk_run run "$CFG_IMG"
	expect_out "image image"
	bk_run run "$EP_IMG"
	expect_out "image-ep image-cmd"
}

# -------------------------------------------------------------- detached

DETACHED=

case_detach_fast()
{
	local start elapsed

	need_image || return
	start=$(now_ms)
	run_detached "$IMG" sleep 30 || return
	elapsed=$(($(now_ms) - start))
	DETACHED=$ID
	[ -z "$ERR" ] || fail_cmd "stderr is not empty"
	[ "$elapsed" -lt 1000 ] || fail_cmd "run -d took $elapsed ms"
}

case_detach_ps()
{
	[ -n "$DETACHED" ] || {
		skip "no detached container"
		return
	}
	[ "$(ps_status "$DETACHED")" = running ] ||
		fail "ps says '$(ps_status "$DETACHED")', expected 'running'"
	bk_run exec "$DETACHED" sh -c 'tr "\0" " " < /proc/1/cmdline'
	expect_out "sleep 30 "
	remove_force "$DETACHED"
}

case_detach_exit()
{
	need_image || return
	run_detached "$IMG" sh -c 'exit 3' || return
	wait_status "$ID" "exited (3)"
}

case_wait()
{
	local start elapsed

	need_image || return
	run_detached "$IMG" sh -c 'sleep 1; exit 5' || return
	start=$(now_ms)
	bk_run wait "$ID"
	elapsed=$(($(now_ms) - start))
	expect_out 5
	[ "$elapsed" -ge 500 ] ||
		fail "wait returned after $elapsed ms, before the end"
	[ "$(ps_status "$ID")" = "exited (5)" ] ||
		fail "ps says '$(ps_status "$ID")', expected 'exited (5)'"
}

# wait on a --rm container prints its exit code, as docker wait does. It
# runs a few rounds because the removal races with the wait.
case_wait_rm()
{
	need_image || return
	for _ in 1 2 3 4; do
		run_detached --rm "$IMG" sh -c 'sleep 0.3; exit 4' || return
		bk_run wait "$ID"
		expect_out 4
	done
}

case_detach_logs()
{
	need_image || return
	run_detached "$IMG" sh -c 'echo out-line; echo err-line >&2' ||
		return
	bk wait "$ID" > /dev/null 2>&1
	bk_run logs "$ID"
	[ "$RC" -eq 0 ] || fail_cmd "logs failed"
	printf '%s\n' "$OUT$ERR" | grep -q -x out-line ||
		fail_cmd "log lacks the standard output"
	printf '%s\n' "$OUT$ERR" | grep -q -x err-line ||
		fail_cmd "log lacks the standard error"
}

case_logs_follow()
{
	local start elapsed

	need_image || return
	run_detached "$IMG" sh -c \
		'for i in 1 2 3 4 5; do echo line$i; sleep 0.5; done' || return
	start=$(now_ms)
	bk_run logs -f "$ID"
	elapsed=$(($(now_ms) - start))
	expect_out "$(printf 'line%s\n' 1 2 3 4 5)"
	[ "$elapsed" -ge 1500 ] ||
		fail "logs -f returned after $elapsed ms, before the end"
	[ "$elapsed" -lt 6000 ] ||
		fail "logs -f returned $elapsed ms after the start"
	[ "$(ps_status "$ID")" = "exited (0)" ] ||
		fail "ps says '$(ps_status "$ID")' after logs -f ended"
}

case_logs_tail()
{
	need_image || return
	bk_run run "$IMG" sh -c 'echo a; echo b; echo c; echo d'
	bk_run logs --tail 2 "$(newest_container)"
	expect_out "$(printf 'c\nd')"
	bk_run logs --tail 0 "$(newest_container)"
	expect_out ""
	bk_run logs --tail all "$(newest_container)"
	expect_out "$(printf 'a\nb\nc\nd')"
	bk_run logs --tail abc "$(newest_container)"
	[ "$RC" -eq 125 ] || fail_cmd "--tail abc: exit $RC, expected 125"
}

case_detach_not_found()
{
	local before

	need_image || return
	before=$(ps_count)
	bk_run run -d "$IMG" no-such-program
	expect_error 127 ".*no-such-program"
	[ -z "$OUT" ] || fail_cmd "stdout is not empty"
	[ -z "$(running_rows)" ] || fail "ps shows a running container"
	[ "$(ps_count)" -eq "$before" ] || fail "ps has a new container"
}

# ------------------------------------------------------------------ names

NAME=web-$$
NAMED=

case_name_run()
{
	need_image || return
	run_detached --name "$NAME" "$IMG" \
		sh -c 'echo hello-name; sleep 30' || return
	NAMED=$ID
	bk_run exec "$NAME" hostname
	expect_out "${NAMED:0:12}"
	wait_log "$NAMED" hello-name || return
	bk_run logs "$NAME"
	expect_out hello-name
}

need_named()
{
	[ -n "$NAMED" ] && return 0
	skip "no named container"
	return 1
}

case_name_in_use()
{
	local before

	need_named || return
	before=$(ps_count)
	bk_run run -d --name "$NAME" "$IMG" sleep 30
	expect_error 125 ".*already in use"
	bk_run run --name "$NAME" "$IMG" true
	expect_error 125 ".*already in use"
	[ "$(ps_count)" -eq "$before" ] || fail "ps has a new container"
}

case_name_stop_rm()
{
	need_named || return
	bk_run stop -t 1 "$NAME"
	expect_out "$NAME"
	[ "$(ps_status "$NAMED")" = "exited (137)" ] ||
		fail "ps says '$(ps_status "$NAMED")', expected 'exited (137)'"
	# A stopped container keeps its name until rm, as in Docker.
	bk_run run --name "$NAME" "$IMG" true
	expect_error 125 ".*already in use"
	bk_run rm "$NAME"
	expect_out "$NAME"
	[ -z "$(ps_status "$NAMED")" ] || fail "ps still lists ${NAMED:0:12}"
}

case_name_reuse()
{
	need_named || return
	bk_run run --name "$NAME" "$IMG" hostname
	[ "$RC" -eq 0 ] || fail_cmd "run with a freed name failed"
	bk_run exec "$NAME" true
	expect_error 125 ".*not running"
	bk_run logs "$NAME"
	[ "$RC" -eq 0 ] && [ -n "$OUT" ] ||
		fail_cmd "logs by the reused name printed nothing"
	bk_run rm "$NAME"
	expect_out "$NAME"
}

case_name_invalid()
{
	local name

	need_image || return
	for name in 'bad/name' '.dot' '-dash' 'two words' 'dollar$' ''; do
		bk_run run --name "$name" "$IMG" true
		expect_error 125 "run: invalid container name"
	done
}

# Of six runs started together with one name, one gets the name and the
# others fail with "already in use".
case_name_race()
{
	local name=race-$$ i won=0 out

	need_image || return
	for i in 1 2 3 4 5 6; do
		bk run -d --name "$name" "$IMG" sleep 30 \
			> "$WORK/race$i.out" 2> "$WORK/race$i.err" &
	done
	wait
	for i in 1 2 3 4 5 6; do
		out=$(cat "$WORK/race$i.out")
		if [ -n "$out" ]; then
			won=$((won + 1))
			remove_force "$out"
			continue
		fi
		grep -q "^bocker: run: .*already in use" "$WORK/race$i.err" ||
			fail "run $i: $(cat "$WORK/race$i.err")"
	done
	[ "$won" -eq 1 ] || fail "$won runs got the name, expected 1"
}

# ------------------------------------------------------------ environment

case_env_value()
{
	need_image || return
	bk_run run -e K1=v1 --env 'K2=a=b c' "$IMG" sh -c 'echo "$K1|$K2"'
	expect_out "v1|a=b c"
}

case_env_inherit()
{
	need_image || return
	BK_FROM_CALLER=caller-value bk_run run -e BK_FROM_CALLER "$IMG" \
		sh -c 'echo "${BK_FROM_CALLER-unset}"'
	expect_out caller-value
	unset BK_NOT_SET
	bk_run run -e BK_NOT_SET "$IMG" sh -c 'echo "${BK_NOT_SET-unset}"'
	expect_out unset
}

case_env_file()
{
	local file=$WORK/env.list

	need_image || return
	printf '%s\n' '# a comment' '' 'F_A=one' '#F_COMMENT=no' '' \
		'F_B=two words' 'F_EMPTY=' > "$file"
	bk_run run --env-file "$file" "$IMG" sh -c 'env | grep "^F_" | sort'
	expect_out "$(printf '%s\n' 'F_A=one' 'F_B=two words' 'F_EMPTY=')"
	bk_run run --env-file "$WORK/no-such-file" "$IMG" true
	expect_error 125 ".*env file"
}

case_env_override()
{
	[ -n "$CFG_IMG" ] || {
		skip "no image with a configuration"
		return
	}
	bk_run run -e A=flag "$CFG_IMG"
	expect_out "flag image"
}

# ---------------------------------------------------------------- volumes

case_volume_dir()
{
	local vol=$WORK/vol

	need_image || return
	mkdir -p "$vol" && echo from-host > "$vol/host.txt"
	bk_run run -v "$vol:/mnt/vol" "$IMG" sh -c \
		'cat /mnt/vol/host.txt; echo from-ctr > /mnt/vol/ctr.txt'
	expect_out from-host
	[ "$(cat "$vol/ctr.txt" 2> /dev/null)" = from-ctr ] ||
		fail "the container's write is not in $vol"
}

case_volume_create()
{
	local vol=$WORK/new/vol

	need_image || return
	bk_run run -v "$vol:/data/new" "$IMG" sh -c \
		'echo made > /data/new/f &&
		awk "\$5 == \"/data/new\"" /proc/self/mountinfo | wc -l'
	expect_out 1
	[ -d "$vol" ] || fail "$vol was not created"
	[ "$(cat "$vol/f" 2> /dev/null)" = made ] ||
		fail "the container's write is not in $vol"
}

case_volume_ro()
{
	local vol=$WORK/ro

	need_image || return
	mkdir -p "$vol" && echo ro-data > "$vol/data"
	bk_run run -v "$vol:/ro:ro" "$IMG" sh -c \
		'cat /ro/data; touch /ro/new 2> /dev/null && echo wrote'
	[ "$OUT" = ro-data ] || fail_cmd "expected only 'ro-data'"
	[ ! -e "$vol/new" ] || fail "a file appeared in the read-only volume"
	bk_run run -v "$vol:/rw:rw" "$IMG" touch /rw/new
	[ "$RC" -eq 0 ] && [ -e "$vol/new" ] || fail_cmd "the :rw volume"
}

case_volume_file()
{
	local file=$WORK/file.txt

	need_image || return
	echo file-volume > "$file"
	bk_run run -v "$file:/opt/conf/file.txt" "$IMG" sh -c \
		'[ -f /opt/conf/file.txt ] && cat /opt/conf/file.txt'
	expect_out file-volume
	bk_run run -v "$file:/etc/file.txt:ro" "$IMG" sh -c \
		'cat /etc/file.txt
		echo x 2> /dev/null > /etc/file.txt || echo denied'
	expect_out "$(printf 'file-volume\ndenied')"
	[ "$(cat "$file")" = file-volume ] || fail "the host file changed"
}

case_tmpfs()
{
	need_image || return
	bk_run run --tmpfs /scratch "$IMG" sh -c \
		'awk "\$2 == \"/scratch\" { print \$3 }" /proc/mounts;
		echo w > /scratch/f && cat /scratch/f'
	expect_out "$(printf 'tmpfs\nw')"
}

# The names and types of the entries of DIR, to see that none was added.
# Times are left out: other programs on the host write below / and /etc.
listing()
{
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f %y\n' 2> /dev/null | sort
}

SYM_IMG=

# An image whose /data leads to /etc, and /up and /deep lead above its
# root with "..": mounting there must stay inside the container.
case_volume_symlink_image()
{
	local planted=$WORK/planted

	need_image || return
	cp -a "$ROOTFS" "$planted" || {
		fail "cannot copy the root filesystem"
		return
	}
	ln -s /etc "$planted/data"
	ln -s ../../.. "$planted/up"
	ln -s ../../../../../../../../../../.. "$planted/deep"
	SYM_IMG=$(init_image "$planted")
	rm -rf "$planted"
	[ -n "$SYM_IMG" ] || fail_cmd "init of the planted image failed"
}

# check_host_unchanged BEFORE_ROOT BEFORE_ETC BEFORE_STORE
check_host_unchanged()
{
	local path

	for path in "${ESCAPE_PATHS[@]}" "$STORE/$ESCAPE_NAME"; do
		[ ! -e "$path" ] || fail "$path appeared on the host"
	done
	[ "$(listing /)" = "$1" ] ||
		fail "/ on the host changed:" \
			"$(diff <(echo "$1") <(listing /))"
	[ "$(listing /etc)" = "$2" ] || fail "/etc on the host changed:" \
		"$(diff <(echo "$2") <(listing /etc))"
	[ "$(listing "$STORE")" = "$3" ] || fail "the store's top changed:" \
		"$(diff <(echo "$3") <(listing "$STORE"))"
}

case_volume_symlink_etc()
{
	local vol=$WORK/symvol file=$WORK/symfile root etc store

	[ -n "$SYM_IMG" ] || {
		skip "no planted image"
		return
	}
	mkdir -p "$vol"
	echo sym-file > "$file"
	root=$(listing /)
	etc=$(listing /etc)
	store=$(listing "$STORE")
	bk_run run -v "$vol:/data/$ESCAPE_NAME" \
		-v "$file:/data/$ESCAPE_NAME.file" "$SYM_IMG" sh -c \
		"echo inside > /etc/$ESCAPE_NAME/w; cat /etc/$ESCAPE_NAME.file"
	expect_out sym-file
	[ "$(cat "$vol/w" 2> /dev/null)" = inside ] ||
		fail "the volume is not at the container's /etc/$ESCAPE_NAME"
	bk_run run --tmpfs "/data/$ESCAPE_NAME.tmpfs" "$SYM_IMG" sh -c \
		"awk '\$2 == \"/etc/$ESCAPE_NAME.tmpfs\" { print \$3 }' \
		/proc/mounts"
	expect_out tmpfs
	# Onto the symlink itself: the container's /etc becomes the volume.
	bk_run run -v "$vol:/data" "$SYM_IMG" cat /data/w
	expect_out inside
	check_host_unchanged "$root" "$etc" "$store"
}

case_volume_symlink_up()
{
	local vol=$WORK/upvol root etc store link

	[ -n "$SYM_IMG" ] || {
		skip "no planted image"
		return
	}
	mkdir -p "$vol"
	root=$(listing /)
	etc=$(listing /etc)
	store=$(listing "$STORE")
	for link in up deep; do
		rm -f "$vol/w"
		bk_run run -v "$vol:/$link/$ESCAPE_NAME" "$SYM_IMG" sh -c \
			"echo $link > /$ESCAPE_NAME/w"
		[ "$RC" -eq 0 ] ||
			fail_cmd "run with the volume on /$link failed"
		[ "$(cat "$vol/w" 2> /dev/null)" = "$link" ] ||
			fail "the volume on /$link is not at the container's" \
				"/$ESCAPE_NAME"
	done
	check_host_unchanged "$root" "$etc" "$store"
}

case_volume_dotdot()
{
	local vol=$WORK/dotvol root etc store target

	need_image || return
	mkdir -p "$vol"
	root=$(listing /)
	etc=$(listing /etc)
	store=$(listing "$STORE")
	for target in "/tmp/../$ESCAPE_NAME" "/../../$ESCAPE_NAME" \
		"/a/.."; do
		bk_run run -v "$vol:$target" "$IMG" true
		expect_error 125 "run: "
	done
	[ -z "$(running_rows)" ] || fail "ps shows a running container"
	check_host_unchanged "$root" "$etc" "$store"
}

# ----------------------------------------------------- process settings

case_workdir()
{
	need_image || return
	bk_run run -w /new/work/dir "$IMG" pwd
	expect_out /new/work/dir
	bk_run run --workdir=/tmp "$IMG" pwd
	expect_out /tmp
}

case_user_ids()
{
	need_image || return
	bk_run run -u 4321:4322 "$IMG" sh -c 'echo $(id -u):$(id -g)'
	expect_out 4321:4322
	bk_run run -u 4321 "$IMG" sh -c 'echo $(id -u):$(id -g)'
	expect_out 4321:0
}

case_user_name()
{
	need_image || return
	bk_run run -u app "$IMG" sh -c 'echo $(id -u):$(id -g) $HOME'
	expect_out "1234:2345 /home/app"
	bk_run run --user app:appgroup "$IMG" sh -c 'echo $(id -g)'
	expect_out 2345
	bk_run run -u no-such-user "$IMG" true
	expect_error 125 ".*no-such-user"
}

case_hostname()
{
	need_image || return
	bk_run run -h myhost "$IMG" sh -c \
		'hostname; cat /etc/hostname; grep -c -w myhost /etc/hosts;
		echo $HOSTNAME'
	expect_out "$(printf 'myhost\nmyhost\n1\nmyhost')"
}

case_entrypoint()
{
	[ -n "$EP_IMG" ] || {
		skip "no image with an Entrypoint"
		return
	}
	bk_run run --entrypoint echo "$EP_IMG"
	expect_out ""
	bk_run run --entrypoint echo "$EP_IMG" x y
	expect_out "x y"
	bk_run run --entrypoint=hostname -h ep-host "$EP_IMG"
	expect_out ep-host
}

# ---------------------------------------------------------------- cgroups

LIMITED=

case_limits_start()
{
	need_image || return
	run_detached -m 64m --cpu-shares 256 --cpus 0.5 --pids-limit 50 \
		"$IMG" sleep 30 || return
	LIMITED=$ID
}

# case_limit CONTROLLER FILE VALUE: a file in the limited container's
# cgroup, while it runs.
case_limit()
{
	[ -n "$LIMITED" ] || {
		skip "no container with limits"
		return
	}
	check_cgroup_file "$1" "$LIMITED" "$2" "$3"
}

# check_cgroup_file CONTROLLER ID FILE VALUE
check_cgroup_file()
{
	local dir got

	dir=$(cg_container_dir "$1" "$2") || {
		fail "no $1 cgroup for ${2:0:12} below $(cg_parent_dir "$1")"
		return
	}
	got=$(cat "$dir/$3" 2> /dev/null)
	[ "$got" = "$4" ] || fail "$dir/$3 is '$got', expected '$4'"
	[ -n "$(cat "$dir/cgroup.procs" 2> /dev/null)" ] ||
		fail "$dir/cgroup.procs is empty"
}

case_limits_gone()
{
	local ctrl

	[ -n "$LIMITED" ] || {
		skip "no container with limits"
		return
	}
	bk_run rm -f "$LIMITED"
	[ "$RC" -eq 0 ] || fail_cmd "rm -f failed"
	for ctrl in cpu memory pids; do
		if cg_container_dir "$ctrl" "$LIMITED" > /dev/null; then
			fail "$ctrl cgroup of ${LIMITED:0:12} left after rm -f"
		fi
	done
}

case_oom()
{
	need_image || return
	# dd allocates one buffer of bs bytes and fills it from /dev/zero.
	bk_run run -m 16m "$IMG" dd if=/dev/zero of=/dev/null bs=64M count=1
	[ "$RC" -eq 137 ] || fail_cmd "exit status $RC, expected 137 (OOM)"
	bk_run run -m 128m "$IMG" dd if=/dev/zero of=/dev/null bs=64M count=1
	[ "$RC" -eq 0 ] || fail_cmd "64 MiB under a 128 MiB limit failed"
}

case_pids_enforced()
{
	need_image || return
	bk_run run --pids-limit 10 "$IMG" sh -c \
		'for i in $(seq 30); do sleep 1 & done; wait'
	printf '%s\n' "$OUT$ERR" | grep -q -i "can't fork" ||
		fail_cmd "no fork failure under --pids-limit 10"
}

# ---------------------------------------------------------------- network

case_network_none()
{
	need_image || return
	bk_run run --network none "$IMG" sh -c \
		'ip -o link | awk -F": " "{ print \$2 }"
		ping -c 1 -W 2 127.0.0.1 > /dev/null && echo lo-up'
	expect_out "$(printf 'lo\nlo-up')"
}

# Link names, one a line, from `ip -o link` output, without the veths of
# other containers, which the kernel removes asynchronously.
LINK_NAMES='{ sub(/@.*/, "", $2); if ($2 !~ /^veth/) print $2 }'

case_network_host()
{
	local want

	need_image || return
	want=$(ip -n "$NETNS" -o link | awk -F': ' "$LINK_NAMES" | sort)
	bk_run run --network host "$IMG" ip -o link
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC"
	OUT=$(printf '%s\n' "$OUT" | awk -F': ' "$LINK_NAMES" | sort)
	printf '%s\n' "$OUT" | grep -q -x bridge0 || fail_cmd "no bridge0"
	[ "$OUT" = "$want" ] || fail_cmd "links differ from the test" \
		"namespace's: $(printf '%s\n' "$want" | tr '\n' ' ')"
}

# ------------------------------------------------------- NAT and ports

# The "uplink" namespace plays the outside world: linked to the
# test's namespace by a veth pair (uplink0 there, 10.99.0.1; eth0 here,
# 10.99.0.2), with no route back to the containers' subnet, so only NAT
# gets a container's packets answered. HOST_RULES is a table of the
# "host's" own that bocker must leave alone.
UPLINK_HOST=10.99.0.1
UPLINK_PEER=10.99.0.2
HOST_RULES='table inet hostfw {
	chain forward_filter {
		type filter hook forward priority filter; policy accept;
		ip daddr 192.0.2.1 drop
	}
}'

need_uplink()
{
	[ -n "${UPLINK:-}" ] && return 0
	UPLINK=bocker-uplink-$$
	ip netns add "$UPLINK" &&
		ip -n "$UPLINK" link set lo up &&
		ip link add uplink0 netns "$NETNS" type veth peer name eth0 \
			netns "$UPLINK" &&
		ip -n "$NETNS" addr add "$UPLINK_HOST/24" dev uplink0 &&
		ip -n "$NETNS" link set uplink0 up &&
		ip -n "$UPLINK" addr add "$UPLINK_PEER/24" dev eth0 &&
		ip -n "$UPLINK" link set eth0 up &&
		printf '%s\n' "$HOST_RULES" | in_netns nft -f - || {
		fail "cannot set up the uplink namespace"
		return 1
	}
}

# in_netns CMD...: CMD in the test's namespace; in_uplink: in the uplink.
in_netns()
{
	nsenter --net="$NETNS_PATH" "$@"
}

in_uplink()
{
	nsenter --net="/run/netns/$UPLINK" "$@"
}

# fetch_retry PORT ADDRESS WANT [IN]: connect with busybox nc from the
# uplink (or the namespace IN names) until the reply is WANT, for up
# to 5 s; the container's server may not be listening yet.
fetch_retry()
{
	local got

	for _ in $(seq 50); do
		got=$(${4:-in_uplink} timeout 2 busybox nc "$2" "$1" \
			< /dev/null 2> /dev/null)
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	fail "connecting to $2:$1 gave '$got', expected '$3'"
	return 1
}

# A server in the container: each connection to port 80 gets one line.
SERVE_80='while true; do echo "hello from $(hostname)" | nc -l -p 80; done'

case_nat_outbound()
{
	local pid

	need_image && need_uplink || return
	# Servers end by themselves, also if the case fails half-way.
	nsenter --net="/run/netns/$UPLINK" timeout 20 busybox nc -l -p 7000 \
		-e echo hello-from-uplink &
	pid=$!
	BG_PIDS+=("$pid")
	sleep 0.2
	bk_run run "$IMG" nc -w 3 "$UPLINK_PEER" 7000
	expect_out hello-from-uplink
	kill "$pid" 2> /dev/null
}

case_publish()
{
	need_image && need_uplink || return
	run_detached -p 8080:80 -h web "$IMG" sh -c "$SERVE_80" || return
	fetch_retry 8080 "$UPLINK_HOST" "hello from web" || return
	# From the host itself, on loopback and on its own address.
	fetch_retry 8080 127.0.0.1 "hello from web" in_netns || return
	fetch_retry 8080 "$UPLINK_HOST" "hello from web" in_netns
	PUBLISHED=$ID
}

# Another container reaches the published port through host addresses
# (hairpin NAT): the gateway's and the uplink's.
case_publish_hairpin()
{
	[ -n "${PUBLISHED:-}" ] || {
		skip "no published container"
		return
	}
	# The server takes one connection at a time: try each for 3 s.
	bk_run run "$IMG" sh -c 'for address in 10.0.0.1 "$1"; do
			for _ in $(seq 30); do
				out=$(nc -w 3 "$address" 8080 < /dev/null) &&
					[ -n "$out" ] && break
				sleep 0.1
			done
			echo "$out"
		done' sh "$UPLINK_HOST"
	expect_out "$(printf 'hello from web\nhello from web')"
}

case_publish_in_use()
{
	[ -n "${PUBLISHED:-}" ] || {
		skip "no published container"
		return
	}
	bk_run run -p 8080:80 "$IMG" true
	expect_error 125 "run: publish 0.0.0.0:8080/tcp: Address.* in use$"
}

# A port some other program of the host listens on is refused too.
case_publish_taken()
{
	local pid

	need_image && need_uplink || return
	nsenter --net="$NETNS_PATH" timeout 20 busybox nc -l -p 8181 \
		< /dev/null > /dev/null &
	pid=$!
	BG_PIDS+=("$pid")
	sleep 0.2
	bk_run run -p 8181:80 "$IMG" true
	expect_error 125 "run: publish 0.0.0.0:8181/tcp: Address.* in use$"
	kill "$pid" 2> /dev/null
}

case_publish_ruleset()
{
	local tables

	[ -n "${PUBLISHED:-}" ] || {
		skip "no published container"
		return
	}
	tables=$(in_netns nft list tables | sort)
	[ "$tables" = "$(printf 'table inet hostfw\ntable ip bocker-bridge0')" ] ||
		fail "tables: $(clip "$tables")"
	[ "$(in_netns nft list table inet hostfw)" = "$HOST_RULES" ] ||
		fail "the host's own table changed"
	in_netns nft list chain ip bocker-bridge0 prerouting |
		grep -q "tcp dport 8080 dnat to 10.0.0.[0-9]*:80 comment \"$PUBLISHED\"" ||
		fail "no DNAT rule for 8080 in prerouting"
}

# rm -f ends the container; its rules and host port go with it.
case_publish_released()
{
	[ -n "${PUBLISHED:-}" ] || {
		skip "no published container"
		return
	}
	bk_run rm -f "$PUBLISHED"
	[ "$RC" -eq 0 ] || fail_cmd "rm -f failed"
	in_netns nft list table ip bocker-bridge0 | grep -q "dnat to" &&
		fail "DNAT rules left: $(clip "$(in_netns nft list ruleset)")"
	run_detached -p 8080:80 -h again "$IMG" sh -c "$SERVE_80" || return
	fetch_retry 8080 "$UPLINK_HOST" "hello from again"
	remove_force "$ID"
}

# A kernel-chosen host port, and UDP.
case_publish_forms()
{
	local rules

	need_image && need_uplink || return
	run_detached -p 127.0.0.1::80 -p 5353:53/udp "$IMG" sleep 30 || return
	rules=$(in_netns nft list chain ip bocker-bridge0 output)
	printf '%s\n' "$rules" |
		grep -q "ip daddr 127.0.0.1 tcp dport [0-9]* dnat to .*:80 " ||
		fail "no rule for 127.0.0.1::80: $(clip "$rules")"
	printf '%s\n' "$rules" |
		grep -q "fib daddr type local udp dport 5353 dnat to .*:53 " ||
		fail "no rule for 5353:53/udp: $(clip "$rules")"
	remove_force "$ID"
}

# A monitor killed hard leaves its rules; the next run or cleanup takes
# them away, and cleanup the whole table once no container is left.
case_publish_cleanup()
{
	local monitor

	need_image && need_uplink || return
	run_detached -p 8282:80 "$IMG" sleep 60 || return
	for monitor in $(monitor_pids); do
		kill -KILL "$monitor"
	done
	wait_status "$ID" dead || return
	in_netns nft list ruleset | grep -q "dport 8282" ||
		fail "expected the killed monitor's rules to stay until cleanup"
	bk_run cleanup
	[ "$RC" -eq 0 ] || fail_cmd "cleanup failed"
	in_netns nft list ruleset | grep -q "dport 8282" &&
		fail "cleanup left the rules of a dead container"
	[ -z "$(running_rows)" ] || return
	in_netns nft list tables | grep -q bocker &&
		fail "cleanup left bocker's table with no container"
	[ "$(in_netns nft list table inet hostfw)" = "$HOST_RULES" ] ||
		fail "the host's own table changed"
}

# Containers reach each other by name through /etc/hosts.
case_hosts_by_name()
{
	local peer

	need_image || return
	run_detached --name "peer-$$" "$IMG" sleep 30 || return
	peer=$ID
	bk_run run "$IMG" sh -c "ping -c 1 -W 2 peer-$$ > /dev/null &&
		grep -c 'peer-$$ ${peer:0:12}\$' /etc/hosts"
	expect_out 1
	# A container started later appears in the running one's file,
	# and goes from it when it ends.
	run_detached --name "late-$$" "$IMG" sleep 30 || return
	bk_run exec "$peer" sh -c "ping -c 1 -W 2 late-$$ > /dev/null &&
		grep -c 'late-$$ ${ID:0:12}\$' /etc/hosts"
	expect_out 1
	remove_force "$ID"
	bk_run exec "$peer" grep -c "late-$$" /etc/hosts
	[ "$OUT" = 0 ] || fail_cmd "the ended container is still listed"
	# A container whose monitor is killed cannot take its line out;
	# cleanup does.
	run_detached --name "killed-$$" "$IMG" sleep 30 || return
	kill_monitor "$ID"
	wait_status "$ID" dead || return
	bk_run cleanup
	bk_run exec "$peer" grep -c "killed-$$" /etc/hosts
	[ "$OUT" = 0 ] || fail_cmd "cleanup left a killed container listed"
	bk_run exec "$peer" grep -c "^127.0.0.1" /etc/hosts
	[ "$OUT" = 1 ] || fail_cmd "cleanup took other lines out"
	remove_force "$ID" "$peer"
}

# kill_monitor ID: SIGKILL the monitor of detached container ID, the
# parent of its first process.
kill_monitor()
{
	local pid monitor

	pid=$(sed -n 's/^pid=//p' "$BOCKER_ROOT/containers/$1/state")
	monitor=$(awk '{ print $4 }' "/proc/$pid/stat")
	[ -n "$monitor" ] && [ "$monitor" -gt 1 ] && kill -KILL "$monitor"
}

# resolv_with TEXT: run cat /etc/resolv.conf with TEXT as the host's
# resolv.conf, bind-mounted in a mount namespace of the case's own.
resolv_with()
{
	printf '%s\n' "$1" > "$WORK/resolv.conf"
	LAST_CMD="bocker run IMG cat /etc/resolv.conf"
	OUT=$(unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
		exec nsenter --net="$2" "$3" run "$4" cat /etc/resolv.conf' \
		sh "$WORK/resolv.conf" "$NETNS_PATH" "$BOCKER" "$IMG" \
		< /dev/null 2> "$WORK/err")
	RC=$?
	ERR=$(cat "$WORK/err")
}

case_resolv_loopback()
{
	need_image || return
	resolv_with "$(printf 'nameserver 127.0.0.1\nnameserver 10.1.2.3\nsearch example.test')"
	expect_out "$(printf 'nameserver 10.1.2.3\nsearch example.test')"
	resolv_with "$(printf 'nameserver 127.0.0.53\noptions edns0')"
	expect_out "$(printf 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4')"
}

# ---------------------------------------------------------------- root fs

case_read_only()
{
	local vol=$WORK/rovol

	need_image || return
	mkdir -p "$vol"
	bk_run run --read-only --tmpfs /tmp -v "$vol:/vol" "$IMG" sh -c \
		'touch /root-file 2> /dev/null && echo root-rw
		touch /etc/file 2> /dev/null && echo etc-rw
		touch /tmp/f && echo tmp-rw
		touch /dev/shm/f && echo shm-rw
		touch /vol/f && echo vol-rw
		cat /etc/hostname > /dev/null && echo hostname'
	expect_out "$(printf '%s\n' tmp-rw shm-rw vol-rw hostname)"
}

# Docker creates the working directory on the container's root before
# runc mounts that root read-only (populateCommonSpec in moby's
# daemon/oci_linux.go), so -w works with --read-only.
case_read_only_workdir()
{
	need_image || return
	bk_run run --read-only -w /new/ro/dir "$IMG" pwd
	expect_out /new/ro/dir
}

case_rm_foreground()
{
	local before

	need_image || return
	before=$(ps_count)
	bk_run run --rm "$IMG" hostname
	[ "$RC" -eq 0 ] || fail_cmd "run --rm failed"
	[ -z "$(ps_status "$OUT")" ] || fail "ps still lists $OUT"
	[ "$(ps_count)" -eq "$before" ] || fail "ps has a new container"
	bk_run run --rm --name "rm-$$" "$IMG" true
	bk_run run --rm --name "rm-$$" "$IMG" true
	[ "$RC" -eq 0 ] || fail_cmd "--rm did not free the name"
}

case_rm_detached()
{
	need_image || return
	run_detached --rm "$IMG" sleep 1 || return
	[ "$(ps_status "$ID")" = running ] ||
		fail "ps says '$(ps_status "$ID")', expected 'running'"
	wait_status "$ID" ""
}

# ------------------------------------------------------------ stop, kill

case_stop_grace()
{
	local start elapsed

	need_image || return
	run_detached "$IMG" sleep 60 || return
	start=$(now_ms)
	bk_run stop -t 1 "$ID"
	elapsed=$(($(now_ms) - start))
	expect_out "$ID"
	[ "$elapsed" -ge 1000 ] && [ "$elapsed" -le 3000 ] ||
		fail "stop -t 1 took $elapsed ms, expected 1000 to 3000"
	[ "$(ps_status "$ID")" = "exited (137)" ] ||
		fail "ps says '$(ps_status "$ID")', expected 'exited (137)'"
}

# A first process that exits 7 on SIGTERM. Until the shell has set its
# trap, PID 1 ignores SIGTERM, so the cases wait for "trap-set" in the log.
TRAP_SCRIPT='trap "exit 7" TERM; echo trap-set; sleep 30 & wait'

# run_trapped: start TRAP_SCRIPT detached and wait until its trap is set.
run_trapped()
{
	run_detached "$IMG" sh -c "$TRAP_SCRIPT" || return 1
	wait_log "$ID" trap-set
}

case_stop_trap()
{
	local start elapsed

	need_image || return
	run_trapped || return
	start=$(now_ms)
	bk_run stop "$ID"
	elapsed=$(($(now_ms) - start))
	expect_out "$ID"
	[ "$elapsed" -lt 1000 ] || fail "stop took $elapsed ms"
	[ "$(ps_status "$ID")" = "exited (7)" ] ||
		fail "ps says '$(ps_status "$ID")', expected 'exited (7)'"
}

case_kill_term()
{
	need_image || return
	run_trapped || return
	bk_run kill -s TERM "$ID"
	expect_out "$ID"
	wait_status "$ID" "exited (7)"
}

case_kill()
{
	need_image || return
	run_detached "$IMG" sleep 30 || return
	bk_run kill "$ID"
	expect_out "$ID"
	wait_status "$ID" "exited (137)" || return
	bk_run kill "$ID"
	expect_error 125 ".*not running"
}

case_rm_running()
{
	need_image || return
	run_detached "$IMG" sleep 30 || return
	bk_run rm "$ID"
	expect_error 125 ".*rm -f"
	[ "$(ps_status "$ID")" = running ] ||
		fail "ps says '$(ps_status "$ID")', expected 'running'"
	bk_run rm -f "$ID"
	expect_out "$ID"
	[ -z "$(ps_status "$ID")" ] || fail "ps still lists ${ID:0:12}"
}

# start -a runs a stopped container again in its own root, with its
# name, environment and command, and returns its exit status.
case_start_attached()
{
	local name=start-$$ id created started

	need_image || return
	bk_run run --name "$name" -e X=again "$IMG" sh -c \
		'echo "$X" >> /runs; wc -l < /runs; exit 3'
	[ "$RC" -eq 3 ] && [ "$OUT" = 1 ] || fail_cmd "first run"
	id=$(newest_container)
	bk_run start -a "$name"
	[ "$RC" -eq 3 ] || fail_cmd "exit status $RC, expected 3"
	[ "$OUT" = 2 ] || fail_cmd "the second run did not see the first's file"
	[ "$(ps_status "$id")" = "exited (3)" ] ||
		fail "ps says '$(ps_status "$id")', expected 'exited (3)'"
	bk_run logs "$name"
	expect_out "$(printf '1\n2')"
	# inspect shows the second start after the creation.
	bk_run inspect "$name"
	created=$(inspect_field "$OUT" 'x[0]["Created"]')
	started=$(inspect_field "$OUT" 'x[0]["State"]["StartedAt"]')
	[[ $started > $created ]] ||
		fail_cmd "StartedAt '$started' is not after Created '$created'"
	remove_force "$name"
}

# start without -a: detached, the name printed; stop and start again.
case_start_detached()
{
	need_image || return
	run_detached --name "restart-$$" "$IMG" sleep 30 || return
	bk_run stop -t 1 "restart-$$"
	[ "$RC" -eq 0 ] || fail_cmd "stop failed"
	bk_run start "restart-$$"
	expect_out "restart-$$"
	wait_status "$ID" running || return
	bk_run start -a "restart-$$"
	expect_error 125 "start: container 'restart-$$' is running"
	bk_run start no-such-container
	expect_error 125 "start: no container named"
	remove_force "$ID"
}

case_version()
{
	bk_run version
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC"
	printf '%s\n' "$OUT" | grep -q '^bocker version [0-9]' ||
		fail_cmd "no 'bocker version N...'"
}

# ps lists running containers; ps -a all of them, with their names.
case_ps_all()
{
	local name=ps-$$ short

	need_image || return
	run_detached --name "$name" "$IMG" sleep 30 || return
	short=${ID:0:12}
	bk_run run "$IMG" true
	bk_run ps
	printf '%s\n' "$OUT" | grep -q "^$short .* running  *$name  *sleep 30" ||
		fail_cmd "ps does not list the running '$name' with its name"
	printf '%s\n' "$OUT" | tail -n +2 | grep -q -v ' running ' &&
		fail_cmd "ps lists a container that is not running"
	bk_run ps -a
	printf '%s\n' "$OUT" | head -n 1 |
		grep -q '^CONTAINER ID *IMAGE *STATUS *NAMES *COMMAND$' ||
		fail_cmd "ps -a header is not ID, IMAGE, STATUS, NAMES, COMMAND"
	printf '%s\n' "$OUT" | grep -q ' exited (0) ' ||
		fail_cmd "ps -a does not list the exited container"
	bk rm -f "$name" > /dev/null 2>&1
}

# prune removes every container that is not running, and only those.
case_prune()
{
	local keep=prune-$$

	need_image || return
	run_detached --name "$keep" "$IMG" sleep 30 || return
	bk_run run "$IMG" true
	bk_run prune
	[ "$RC" -eq 0 ] || fail_cmd "prune failed"
	bk_run ps -a
	[ "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" -eq 1 ] ||
		fail_cmd "prune left other containers than the running one"
	printf '%s\n' "$OUT" | grep -q " running  *$keep " ||
		fail_cmd "prune removed the running container"
	bk rm -f "$keep" > /dev/null 2>&1
}

# rmi removes images, and refuses containers and images in use.
case_rmi()
{
	local img

	need_image || return
	img=$(init_image "$ROOTFS")
	[ -n "$img" ] || {
		fail_cmd "init failed"
		return
	}
	bk_run rmi "$img"
	[ "$RC" -eq 0 ] || fail_cmd "rmi of an unused image failed"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$img " && fail_cmd "image still listed"
	bk_run rmi no-such-image
	[ "$RC" -eq 125 ] || fail_cmd "rmi of an unknown image: exit $RC"
	bk_run run --name rmi-$$ "$IMG" true
	bk_run rmi rmi-$$
	[ "$RC" -eq 125 ] || fail_cmd "rmi took a container name: exit $RC"
	bk rm rmi-$$ > /dev/null 2>&1
}

# -------------------------------------------------------- inspect and tag

# inspect_field JSON EXPR: print EXPR, a Python expression over the
# parsed output `x` of inspect (strings bare, the rest as JSON). Exits
# non-zero when the text is not valid JSON or EXPR does not apply.
inspect_field()
{
	printf '%s\n' "$1" | python3 -c '
import json, sys
x = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$2" 2> /dev/null
}

# expect_field EXPR WANT: the field EXPR of the last inspect output $OUT
# is WANT.
expect_field()
{
	local got

	got=$(inspect_field "$OUT" "$1") ||
		got="(invalid JSON or no such field)"
	[ "$got" = "$2" ] || fail_cmd "$1 is '$got', expected '$2'"
}

# expect_json: the last command printed valid JSON, as json.tool reads it.
expect_json()
{
	printf '%s\n' "$OUT" | python3 -m json.tool > /dev/null 2>&1 ||
		fail_cmd "stdout is not valid JSON"
}

need_config()
{
	[ -n "$CFG_IMG" ] && return 0
	skip "no image with a configuration"
	return 1
}

TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'

# A running container: inspect shows what the container has.
case_inspect_running()
{
	local name=insp-$$ pid address created

	need_image || return
	run_detached --name "$name" -e INSP=v1 -m 64m --pids-limit 50 \
		"$IMG" sleep 30 || return
	bk_run inspect "$name"
	[ "$RC" -eq 0 ] || fail_cmd "inspect failed"
	expect_json
	expect_field 'len(x)' 1
	expect_field 'x[0]["Id"]' "$ID"
	expect_field 'x[0]["Name"]' "/$name"
	expect_field 'x[0]["State"]["Status"]' running
	expect_field 'x[0]["State"]["Running"]' true
	expect_field 'x[0]["Path"]' sleep
	expect_field 'x[0]["Args"]' '["30"]'
	expect_field 'x[0]["Config"]["Cmd"]' '["sleep", "30"]'
	expect_field 'x[0]["Config"]["Hostname"]' "${ID:0:12}"
	expect_field '"INSP=v1" in x[0]["Config"]["Env"]' true
	expect_field 'x[0]["HostConfig"]["Memory"]' 67108864
	expect_field 'x[0]["HostConfig"]["PidsLimit"]' 50
	expect_field 'x[0]["HostConfig"]["NetworkMode"]' bridge
	expect_field 'x[0]["GraphDriver"]["Name"]' btrfs
	created=$(inspect_field "$OUT" 'x[0]["Created"]')
	[[ $created =~ $TIME_RE ]] ||
		fail_cmd "Created '$created' is not RFC 3339"
	# The Pid is the container's first process on the host.
	pid=$(inspect_field "$OUT" 'x[0]["State"]["Pid"]')
	tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -q -x INSP=v1 ||
		fail_cmd "process $pid has no INSP=v1 in its environment"
	address=$(inspect_field "$OUT" 'x[0]["NetworkSettings"]["IPAddress"]')
	bk_run exec "$name" ip -4 -o addr show eth0
	printf '%s\n' "$OUT" | grep -q " inet $address/" ||
		fail_cmd "eth0 does not have the IPAddress '$address'"
	remove_force "$name"
}

# An exited container: its exit code and times.
case_inspect_exited()
{
	local name=insp-exit-$$ started finished

	need_image || return
	bk_run run --name "$name" "$IMG" sh -c 'exit 3'
	bk_run inspect --type container "$name"
	[ "$RC" -eq 0 ] || fail_cmd "inspect failed"
	expect_json
	expect_field 'x[0]["State"]["Status"]' exited
	expect_field 'x[0]["State"]["Running"]' false
	expect_field 'x[0]["State"]["ExitCode"]' 3
	expect_field 'x[0]["State"]["Pid"]' 0
	expect_field 'x[0]["NetworkSettings"]["IPAddress"]' ""
	started=$(inspect_field "$OUT" 'x[0]["State"]["StartedAt"]')
	finished=$(inspect_field "$OUT" 'x[0]["State"]["FinishedAt"]')
	[[ $finished =~ $TIME_RE ]] ||
		fail_cmd "FinishedAt '$finished' is not RFC 3339"
	[[ $finished > $started ]] ||
		fail_cmd "FinishedAt '$finished' is not after '$started'"
	bk rm "$name" > /dev/null 2>&1
}

# -p 8080:80 shows as Docker's PortBindings.
case_inspect_ports()
{
	need_image || return
	bk_run run -d -p 8080:80 -p 127.0.0.1:8081:81/udp "$IMG" sleep 30
	if [ "$RC" -ne 0 ]; then
		skip "run -p is not supported: $(clip "$ERR")"
		return
	fi
	ID=$OUT
	bk_run inspect "$ID"
	expect_json
	expect_field 'x[0]["HostConfig"]["PortBindings"]["80/tcp"]' \
		'[{"HostIp": "", "HostPort": "8080"}]'
	expect_field 'x[0]["HostConfig"]["PortBindings"]["81/udp"]' \
		'[{"HostIp": "127.0.0.1", "HostPort": "8081"}]'
	expect_field 'len(x[0]["HostConfig"]["PortBindings"])' 2
	expect_field 'x[0]["NetworkSettings"]["Ports"]["80/tcp"]' \
		'[{"HostIp": "0.0.0.0", "HostPort": "8080"}]'
	remove_force "$ID"
}

# Unknown names: one line each on stderr, exit 1, the others printed.
case_inspect_missing()
{
	need_image || return
	bk_run inspect "$IMG" no-such-$$
	[ "$RC" -eq 1 ] || fail_cmd "exit status $RC, expected 1"
	expect_json
	expect_field 'len(x)' 1
	[ "$(without_asan_warning "$ERR")" = \
		"bocker: inspect: no such object: no-such-$$" ] ||
		fail_cmd "stderr is not 'bocker: inspect: no such object: ...'"
	bk_run inspect --type container "$IMG"
	[ "$RC" -eq 1 ] || fail_cmd "--type container of an image: exit $RC"
	expect_field 'x' '[]'
	bk_run inspect --type volume "$IMG"
	expect_error 125 "inspect: invalid --type"
}

# An image: its configuration, as pull stores it.
case_inspect_image()
{
	need_config || return
	bk_run inspect "$CFG_IMG"
	[ "$RC" -eq 0 ] || fail_cmd "inspect failed"
	expect_json
	expect_field 'x[0]["Id"][:12]' "$CFG_IMG"
	expect_field 'x[0]["Config"]["Env"]' '["A=image", "B=image"]'
	expect_field 'x[0]["Config"]["Cmd"]' '["sh", "-c", "echo $A $B"]'
	expect_field 'x[0]["Config"]["Entrypoint"]' null
	expect_field 'x[0]["RepoTags"]' "[\"$ROOTFS\"]"
}

# tag: run by the new name, images lists it, inspect names it.
case_tag_run()
{
	need_config || return
	bk_run tag "$CFG_IMG" "tagged-$$:v1"
	expect_out ""
	bk_run run "tagged-$$:v1" sh -c 'echo $A'
	expect_out image
	bk_run tag "$CFG_IMG" "plain-$$"
	bk_run run "plain-$$" sh -c 'echo $B'
	expect_out image
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$CFG_IMG  *tagged-$$:v1\$" ||
		fail_cmd "images has no row '$CFG_IMG tagged-$$:v1'"
	printf '%s\n' "$OUT" | grep -q "^$CFG_IMG  *plain-$$:latest\$" ||
		fail_cmd "images has no row '$CFG_IMG plain-$$:latest'"
	bk_run inspect "plain-$$"
	expect_field 'x[0]["RepoTags"]' \
		"[\"$ROOTFS\", \"tagged-$$:v1\", \"plain-$$:latest\"]"
	bk_run tag "$CFG_IMG" 'Bad:Name'
	expect_error 125 "tag: invalid reference format"
	bk_run tag no-such-$$ "x-$$"
	expect_error 125 "tag: no image named"
}

# Tagging moves a name from the image that had it.
case_tag_move()
{
	local first

	need_config || return
	first=$(init_image "$ROOTFS")
	bk_run tag "$first" "moving-$$"
	bk_run run "moving-$$" sh -c 'echo "[$A]"'
	expect_out "[]"
	bk_run tag "$CFG_IMG" "moving-$$"
	bk_run run "moving-$$" sh -c 'echo "[$A]"'
	expect_out "[image]"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$first  *moving-$$:latest\$" &&
		fail_cmd "the name is still listed for the first image"
	printf '%s\n' "$OUT" | grep -q "^$CFG_IMG  *moving-$$:latest\$" ||
		fail_cmd "the name is not listed for the second image"
	bk rmi "$first" > /dev/null 2>&1
}

# Of three tags of one name given together, one wins and the name is on
# that image alone.
case_tag_race()
{
	local name=race-tag-$$ img i rows

	need_config || return
	i=0
	for img in "$IMG" "$CFG_IMG" "$EP_IMG"; do
		i=$((i + 1))
		bk tag "$img" "$name" > "$WORK/tag$i.out" 2>&1 &
	done
	wait
	for i in 1 2 3; do
		[ -s "$WORK/tag$i.out" ] &&
			fail "tag $i printed: $(cat "$WORK/tag$i.out")"
	done
	bk_run images
	rows=$(printf '%s\n' "$OUT" | grep -c " $name:latest\$")
	[ "$rows" -eq 1 ] || fail_cmd "$rows images have '$name', expected 1"
	bk_run inspect --type image "$name"
	expect_field 'x[0]["RepoTags"][-1]' "$name:latest"
}

# rmi of one name of several only removes the name; of the last, the
# image.
case_rmi_tag()
{
	local img

	need_image || return
	img=$(init_image "$ROOTFS")
	bk_run tag "$img" "gone-$$"
	bk_run tag "$img" "kept-$$"
	bk_run rmi "gone-$$"
	expect_out "Untagged: gone-$$:latest"
	bk_run run "gone-$$" true
	expect_error 125 "run: no image named"
	bk_run run --rm "kept-$$" true
	[ "$RC" -eq 0 ] || fail_cmd "run by the other name failed"
	# The source is a name too: taking it leaves the tag.
	bk_run rmi "$ROOTFS"
	expect_out "Untagged: $ROOTFS"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$img  *kept-$$:latest\$" ||
		fail_cmd "images has no row '$img kept-$$:latest'"
	printf '%s\n' "$OUT" | grep -q "^$img  *$ROOTFS\$" &&
		fail_cmd "images still lists the source of '$img'"
	bk_run rmi "kept-$$"
	expect_out "kept-$$"
	bk_run images
	printf '%s\n' "$OUT" | grep -q "^$img " &&
		fail_cmd "the image is still listed after its last name went"
}

# --------------------------------------------------------------- terminal

# in_pty COMMAND CHUNK...: run the shell COMMAND in a new terminal that
# script(1) makes, 33 rows by 101 columns, and type each CHUNK into that
# terminal a second after the one before. In COMMAND, $B is bocker in
# the test namespace and $PTY_DIR a directory for files. Sets RC to the
# status of COMMAND, OUT to what the terminal showed (without carriage
# returns), and STTY_BEFORE and STTY_AFTER to the terminal's settings
# (stty -g) before and after COMMAND.
in_pty()
{
	local command=$1 chunk

	shift
	LAST_CMD="in a terminal: $command"
	export B="nsenter --net=$NETNS_PATH $BOCKER" PTY_DIR=$WORK
	rm -f "$WORK/stty.before" "$WORK/stty.after"
	{
		for chunk in "$@"; do
			sleep 1
			printf '%s' "$chunk"
		done
	} | timeout -k 5 60 script -q -e -c "stty rows 33 cols 101
		stty -g > \"\$PTY_DIR/stty.before\"
		$command
		rc=\$?
		stty -g > \"\$PTY_DIR/stty.after\"
		exit \$rc" /dev/null > "$WORK/tty.out" 2>&1
	RC=$?
	OUT=$(tr -d '\r' < "$WORK/tty.out")
	ERR=
	STTY_BEFORE=$(cat "$WORK/stty.before" 2> /dev/null)
	STTY_AFTER=$(cat "$WORK/stty.after" 2> /dev/null)
	check_sanitizer "$OUT"
}

# bk_pipe INPUT ARGS...: bk_run with INPUT on bocker's standard input,
# a pipe, and carriage returns removed from OUT.
bk_pipe()
{
	local input=$1

	shift
	LAST_CMD="printf '%s' '$input' | bocker $*"
	printf '%s' "$input" | timeout -k 10 60 \
		nsenter --net="$NETNS_PATH" "$BOCKER" "$@" \
		> "$WORK/out" 2> "$WORK/err"
	RC=$?
	OUT=$(tr -d '\r' < "$WORK/out")
	ERR=$(cat "$WORK/err")
	check_sanitizer "$ERR"
}

# has_line LINE: the last command's OUT has LINE as one whole line.
has_line()
{
	printf '%s\n' "$OUT" | grep -q -x -F -e "$1" ||
		fail_cmd "no line '$1' in the output"
}

# expect_stty_kept: the terminal's settings are back as they were.
expect_stty_kept()
{
	[ -n "$STTY_BEFORE" ] || fail_cmd "stty -g printed nothing before"
	[ "$STTY_BEFORE" = "$STTY_AFTER" ] ||
		fail_cmd "terminal settings changed: '$STTY_BEFORE' before," \
			"'$STTY_AFTER' after"
}

# An interactive shell on a terminal of its own, sized like bocker's,
# with TERM set, a controlling terminal, and the shell's exit status.
case_tty_shell()
{
	local keys='tty; stty size; echo "term=$TERM"'

	need_image || return
	keys="$keys; : < /dev/tty && echo ctty-ok; exit 3"
	in_pty "\$B run -it $IMG sh" "$keys"$'\n'
	[ "$RC" -eq 3 ] || fail_cmd "exit status $RC, expected 3"
	has_line /dev/pts/0
	has_line "33 101"
	has_line term=xterm
	has_line ctty-ok
	expect_stty_kept
}

# ^C is a key for the container's terminal, which sends SIGINT to the
# shell's foreground job; bocker itself goes on.
case_tty_interrupt()
{
	local start elapsed

	need_image || return
	start=$(now_ms)
	in_pty "\$B run -it $IMG sh" $'sleep 30\n' $'\003' \
		'echo "status=$?"; exit 0'$'\n'
	elapsed=$(($(now_ms) - start))
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC, expected 0"
	has_line status=130
	[ "$elapsed" -lt 20000 ] || fail "^C did not stop sleep 30"
	expect_stty_kept
}

# bocker passes a change of its terminal's size on (SIGWINCH).
case_tty_resize()
{
	need_image || return
	in_pty "(sleep 2.5; stty rows 40 cols 120 < /dev/tty) &
		\$B run -it $IMG sh" $'stty size\n' '' $'stty size; exit 0\n'
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC, expected 0"
	has_line "33 101"
	has_line "40 120"
}

# What the commands of run -it do, in the trace.
case_tty_trace()
{
	local trace=$WORK/tty.trace step

	need_image || return
	in_pty "\$B --trace run -it $IMG true 2> \"\$PTY_DIR/tty.trace\""
	[ "$RC" -eq 0 ] || fail_cmd "exit status $RC, expected 0"
	for step in 'openat(AT_FDCWD, "/dev/ptmx"' 'TIOCGPTPEER' \
		'setsid()' 'TIOCSCTTY' '{SCM_RIGHTS, [' \
		'TIOCSWINSZ, {ws_row=33, ws_col=101}' \
		'tcsetattr(0, TCSANOW, {raw}) = 0' \
		'tcsetattr(0, TCSANOW, {saved}) = 0'; do
		grep -q -F -e "$step" "$trace" ||
			fail "no '$step' in the trace:" \
				"$(clip "$(cat "$trace")")"
	done
}

# -t with a pipe as stdin: no raw mode, one output stream, and the
# container's stdin is the terminal, which bocker does not feed.
case_tty_pipe()
{
	need_image || return
	bk_pipe $'not for the container\n' run -t "$IMG" \
		sh -c 'tty; echo out; echo err >&2; exit 4'
	[ "$RC" -eq 4 ] || fail_cmd "exit status $RC, expected 4"
	[ "$OUT" = "$(printf '/dev/pts/0\nout\nerr')" ] ||
		fail_cmd "stdout is not tty, out and err"
	[ -z "$ERR" ] || fail_cmd "stderr is not empty"
}

# The end of a piped stdin arrives as ^D, also after a partial line.
case_tty_eof()
{
	need_image || return
	bk_pipe $'abc\n' run -it "$IMG" cat
	expect_out "$(printf 'abc\nabc')"
	bk_pipe 'abc' run -it "$IMG" cat
	expect_out abcabc
}

# Without a terminal, -i passes stdin on, and without -i the container
# reads an empty stdin.
case_stdin_interactive()
{
	need_image || return
	bk_pipe $'abc\n' run -i "$IMG" cat
	expect_out abc
	bk_pipe $'abc\n' run --interactive "$IMG" cat
	expect_out abc
	bk_pipe $'abc\n' run "$IMG" cat
	expect_out ""
}

# A detached container's terminal output goes to its log.
case_tty_detached_logs()
{
	need_image || return
	run_detached --tty "$IMG" sh -c 'tty; echo "$TERM"; exit 6' || return
	bk_run wait "$ID"
	expect_out 6
	bk_run logs "$ID"
	OUT=$(printf '%s' "$OUT" | tr -d '\r')
	expect_out "$(printf '/dev/pts/0\nxterm')"
}

# run -dit keeps a shell waiting for input rather than ending it.
case_tty_detached_shell()
{
	need_image || return
	run_detached -it "$IMG" sh || return
	sleep 1
	[ "$(ps_status "$ID")" = running ] ||
		fail "ps says '$(ps_status "$ID")', expected 'running'"
	bk_run exec "$ID" sh -c 'readlink /proc/1/fd/0'
	expect_out /dev/pts/0
	remove_force "$ID"
}

case_exec_tty()
{
	need_image || return
	run_detached "$IMG" sleep 60 || return
	in_pty "\$B exec -it $ID sh" \
		'tty; stty size; echo "term=$TERM"; exit 5'$'\n'
	[ "$RC" -eq 5 ] || fail_cmd "exit status $RC, expected 5"
	has_line /dev/pts/0
	has_line "33 101"
	has_line term=xterm
	expect_stty_kept
	bk_run exec -t "$ID" sh -c 'tty; echo err >&2; exit 2'
	OUT=$(printf '%s' "$OUT" | tr -d '\r')
	[ "$RC" -eq 2 ] || fail_cmd "exec -t: exit status $RC, expected 2"
	printf '%s\n' "$OUT" | head -n 1 | grep -q -x '/dev/pts/[0-9]*' ||
		fail_cmd "exec -t: tty did not print a /dev/pts path"
	printf '%s\n' "$OUT" | grep -q -x err ||
		fail_cmd "exec -t: stderr is not on the terminal"
	bk_pipe $'xyz\n' exec -i "$ID" cat
	expect_out xyz
	bk_pipe $'xyz\n' exec "$ID" cat
	expect_out ""
	bk_run exec -x "$ID" true
	expect_error 125 "exec: unknown option '-x'"
	remove_force "$ID"
}

# ---------------------------------------------------------- bad values

# case_bad_value ARGS...: `run ARGS IMAGE true` must exit 125 with one
# line "bocker: run: ..." and add no container.
case_bad_value()
{
	local before

	need_image || return
	before=$(ps_count)
	bk_run run "$@" "$IMG" true
	expect_error 125 "run: "
	[ "$(ps_count)" -eq "$before" ] || fail "ps has a new container"
}

# ------------------------------------------------------------ at the end

# Nothing of ours may be left: no running container, no monitor, no veth
# besides the bridge, no cgroup, no mount below the store. Namespaces and
# cgroups go asynchronously, so this polls for up to 5 s.
case_nothing_left()
{
	local running monitors links cgroups mounts

	for _ in $(seq 50); do
		running=$(running_rows)
		monitors=$(monitor_pids)
		links=$(netns_extra_links)
		cgroups=$(cg_leftovers)
		mounts=$(mounts_under "$BOCKER_ROOT" |
			grep -v -x "$BOCKER_ROOT")
		[ -z "$running$monitors$links$cgroups$mounts" ] && return 0
		sleep 0.1
	done
	[ -z "$running" ] || fail "running containers: $(clip "$running")"
	[ -z "$monitors" ] || fail "bocker processes left:" \
		"$(printf '%s\n' "$monitors" | tr '\n' ' ')"
	[ -z "$links" ] || fail "links left in the namespace: $(clip "$links")"
	[ -z "$cgroups" ] || fail "cgroups left: $(clip "$cgroups")"
	[ -z "$mounts" ] ||
		fail "mounts left below the store: $(clip "$mounts")"
}

# Remove every container, so that the last check finds none running.
case_rm_all()
{
	local ids

	ids=$(ps_rows | awk '{ print $1 }')
	[ -n "$ids" ] || return
	# shellcheck disable=SC2086 # one id a word
	bk_run rm -f $ids
	[ "$RC" -eq 0 ] || fail_cmd "rm -f of all containers failed"
	[ "$(ps_count)" -eq 0 ] || fail "ps still lists containers"
}

# ------------------------------------------------------------------- main

setup_log=$(mktemp /tmp/bocker-docker-setup.XXXXXX) || exit 1
if ! setup > "$setup_log" 2>&1; then
	tap_not_ok "docker setup" "$(cat "$setup_log")"
	rm -f "$setup_log"
	exit 1
fi
rm -f "$setup_log"

run_case "init busybox image" case_init
run_case "images with config" case_config_images
run_case "run -d returns at once" case_detach_fast
run_case "run -d ps running" case_detach_ps
run_case "run -d exit in ps" case_detach_exit
run_case "wait prints exit code" case_wait
run_case "wait on --rm container" case_wait_rm
run_case "logs of -d container" case_detach_logs
run_case "logs -f follows" case_logs_follow
run_case "logs --tail 2" case_logs_tail
run_case "run -d not found 127" case_detach_not_found
run_case "name run exec logs" case_name_run
run_case "name already in use" case_name_in_use
run_case "name stop and rm" case_name_stop_rm
run_case "name reused after rm" case_name_reuse
run_case "name invalid" case_name_invalid
run_case "name claimed once" case_name_race
run_case "env -e KEY=VAL" case_env_value
run_case "env -e KEY inherited" case_env_inherit
run_case "env --env-file" case_env_file
run_case "env overrides image" case_env_override
run_case "volume directory" case_volume_dir
run_case "volume host dir created" case_volume_create
run_case "volume read-only" case_volume_ro
run_case "volume file" case_volume_file
run_case "tmpfs mount" case_tmpfs
run_case "volume planted image" case_volume_symlink_image
run_case "volume via /etc symlink" case_volume_symlink_etc
run_case "volume via .. symlink" case_volume_symlink_up
run_case "volume target with .." case_volume_dotdot
run_case "workdir -w" case_workdir
run_case "user uid:gid" case_user_ids
run_case "user by name" case_user_name
run_case "hostname -h" case_hostname
run_case "entrypoint replaces" case_entrypoint
run_case "limits container" case_limits_start
run_case "memory -m" case_limit memory memory.limit_in_bytes 67108864
run_case "cpu-shares" case_limit cpu cpu.shares 256
run_case "cpus quota" case_limit cpu cpu.cfs_quota_us 50000
run_case "cpus period" case_limit cpu cpu.cfs_period_us 100000
run_case "pids-limit" case_limit pids pids.max 50
run_case "limits gone after rm -f" case_limits_gone
run_case "memory OOM 137" case_oom
run_case "pids-limit enforced" case_pids_enforced
run_case "network none" case_network_none
run_case "network host" case_network_host
run_case "NAT to the uplink" case_nat_outbound
run_case "publish -p 8080:80" case_publish
run_case "publish hairpin" case_publish_hairpin
run_case "publish port in use" case_publish_in_use
run_case "publish port taken" case_publish_taken
run_case "publish nft ruleset" case_publish_ruleset
run_case "publish released" case_publish_released
run_case "publish ip::port, udp" case_publish_forms
run_case "publish cleanup" case_publish_cleanup
run_case "hosts: peers by name" case_hosts_by_name
run_case "resolv.conf loopback" case_resolv_loopback
run_case "read-only root" case_read_only
run_case "read-only with -w" case_read_only_workdir
run_case "rm foreground" case_rm_foreground
run_case "rm detached" case_rm_detached
run_case "stop after grace" case_stop_grace
run_case "stop TERM trap" case_stop_trap
run_case "kill -s TERM" case_kill_term
run_case "kill and not running" case_kill
run_case "rm running needs -f" case_rm_running
run_case "start -a again" case_start_attached
run_case "start detached" case_start_detached
run_case "version" case_version
run_case "ps and ps -a" case_ps_all
run_case "prune stopped" case_prune
run_case "rmi images" case_rmi
run_case "inspect running container" case_inspect_running
run_case "inspect exited container" case_inspect_exited
run_case "inspect -p PortBindings" case_inspect_ports
run_case "inspect unknown object" case_inspect_missing
run_case "inspect image config" case_inspect_image
run_case "tag then run by name" case_tag_run
run_case "tag moves the name" case_tag_move
run_case "tag race one winner" case_tag_race
run_case "rmi of a tag" case_rmi_tag
run_case "run -it shell" case_tty_shell
run_case "run -it ^C interrupts" case_tty_interrupt
run_case "run -it follows resize" case_tty_resize
run_case "run -it trace" case_tty_trace
run_case "run -t stdin a pipe" case_tty_pipe
run_case "run -it pipe EOF" case_tty_eof
run_case "run -i stdin" case_stdin_interactive
run_case "run -dt logs" case_tty_detached_logs
run_case "run -dit shell waits" case_tty_detached_shell
run_case "exec -it shell" case_exec_tty
run_case "bad -m 1x" case_bad_value -m 1x
run_case "bad -m 1k" case_bad_value -m 1k
run_case "bad --cpus abc" case_bad_value --cpus abc
run_case "bad --cpus 0.5x" case_bad_value --cpus 0.5x
run_case "bad -m overflow" case_bad_value -m 9999999999999g
run_case "bad --cpu-shares 1" case_bad_value --cpu-shares 1
run_case "bad --pids-limit 0" case_bad_value --pids-limit 0
run_case "bad --network foo" case_bad_value --network foo
run_case "bad -p 70000:80" case_bad_value -p 70000:80
run_case "bad -p abc" case_bad_value -p abc
run_case "bad -p 1.2.3:80:80" case_bad_value -p 1.2.3:80:80
run_case "bad -p 80/sctp" case_bad_value -p 80/sctp
run_case "bad -p, network none" case_bad_value -p 80:80 --network none
run_case "bad -v relative" case_bad_value -v relative:/path
run_case "bad -v no target" case_bad_value -v /a
run_case "bad --tmpfs rel" case_bad_value --tmpfs rel
run_case "bad -w rel" case_bad_value -w rel
run_case "bad --name" case_bad_value --name bad/name
run_case "bad --bogus" case_bad_value --bogus
run_case "rm all containers" case_rm_all
run_case "nothing left" case_nothing_left
