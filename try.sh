#!/bin/bash
# try.sh - a first look at bocker on a fresh Debian 12, as root.
#
# Installs the build packages, builds ./bocker, makes a busybox root
# filesystem, then runs a few bocker commands in a network namespace of its
# own, with the store on a loopback btrfs image and the cgroups below this
# shell's own. Needs no network apart from apt (and the Makefile's BearSSL
# download); everything it makes is removed when it ends.
set -u

cd "$(dirname "$0")" || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh

PACKAGES="make gcc libc6-dev musl-tools xz-utils ca-certificates
	busybox-static btrfs-progs iproute2 util-linux"

say()
{
	printf '\n== %s\n' "$*"
}

# show COMMAND...: print the command, run it, stop on failure.
show()
{
	echo "+ $*"
	"$@" || {
		echo "try.sh: '$*' failed (exit status $?)" >&2
		exit 1
	}
}

# quiet LOG COMMAND...: like show, with the output in LOG; on failure
# the end of LOG is printed.
quiet()
{
	local log=$1 status

	shift
	echo "+ $* > $log"
	"$@" > "$log" 2>&1 && return 0
	status=$?
	tail -n 20 "$log"
	echo "try.sh: '$*' failed (exit status $status), see $log" >&2
	exit 1
}

# bocker ARGS...: run ./bocker in the namespace, printing the command.
bocker()
{
	echo "+ bocker $*"
	nsenter --net="$NETNS_PATH" "$BOCKER" "$@" < /dev/null
}

[ "$(id -u)" = 0 ] || {
	echo "try.sh: run as root (it makes a netns, mounts and cgroups)" >&2
	exit 1
}

mkdir -p build/logs
say "installing build packages"
export DEBIAN_FRONTEND=noninteractive
quiet build/logs/try-apt-update.log apt-get update -q
# shellcheck disable=SC2086 # one package a word
quiet build/logs/try-apt-install.log apt-get install -q -y $PACKAGES

say "building ./bocker (BearSSL is fetched and built the first time)"
quiet build/logs/try-make.log make bocker
BOCKER=$PWD/bocker

lib_setup bocker-try
CG_PARENT=bocker-try-$$
export BOCKER_CGROUP_PARENT=$CG_PARENT

say "making a busybox root filesystem"
show bash tests/mkrootfs.sh busybox "$WORK/rootfs"

say "making network namespace bocker-try-$$ (removed at exit)"
show netns_create "bocker-try-$$"

say "making a loopback btrfs store in $WORK/store (removed at exit)"
show store_btrfs "$WORK/store" 1G
export BOCKER_ROOT=$WORK/store
echo "BOCKER_ROOT=$BOCKER_ROOT"
echo "BOCKER_CGROUP_PARENT=$BOCKER_CGROUP_PARENT (below this shell's cgroup)"

say "bocker"
out=$(bocker init "$WORK/rootfs") || {
	echo "$out"
	exit 1
}
echo "$out"
img=$(created_id "$out")
bocker images
bocker run "$img" echo 'hello from a container'
hello=$(newest_container)
bocker run "$img" ip addr
bocker ps -a
bocker logs "$hello"

say "a detached web server with a published port"
serve='while true; do echo "hello from $(hostname)" | nc -l -p 80; done'
echo "+ bocker run -d --name web -p 8080:80 $img sh -c '$serve'"
web=$(nsenter --net="$NETNS_PATH" "$BOCKER" run -d --name web \
	-p 8080:80 "$img" sh -c "$serve" < /dev/null) || exit 1
echo "$web"
# The server may need a moment before it listens.
for _ in $(seq 50); do
	answer=$(nsenter --net="$NETNS_PATH" timeout 2 busybox nc 127.0.0.1 \
		8080 < /dev/null 2> /dev/null) && [ -n "$answer" ] && break
	sleep 0.1
done
echo "+ busybox nc 127.0.0.1 8080 (in the namespace)"
echo "$answer"
bocker ps
bocker stop web

say "removing the namespace, the store and the cgroups"
echo "(the exit trap does it, also when a step above failed)"
