# shellcheck shell=bash
# bench/lib.sh - set-up shared by bench/run.sh, bench/detach.sh and
# bench/ports.sh, on top of tests/lib.sh. It makes a network namespace,
# bocker's store on a loopback btrfs, a busybox root filesystem made into
# a bocker image and a crun bundle, and a private mount namespace to
# measure in.
# The EXIT trap, bench_cleanup, removes all of it, also on failure.
#
# The bocker binary is $BOCKER when set, else ./bocker at the top of the
# repository.

# shellcheck source=tests/lib.sh
. tests/lib.sh

die()
{
	echo "bench: $*" >&2
	exit 1
}

# bench_setup NAME: check the tools, then make the work directory, the
# network namespace and the store. BOCKER_CGROUP_PARENT is relative, so
# container cgroups stay below this shell's own cgroup.
bench_setup()
{
	[ "$(id -u)" = 0 ] || die "run as root"
	BOCKER=${BOCKER:-$PWD/bocker}
	[ -x "$BOCKER" ] ||
		die "no bocker at '$BOCKER'; run 'make bocker' or set BOCKER"
	lib_setup "$1"
	trap bench_cleanup EXIT
	CG_PARENT=$1-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	netns_create "$1-$$" || die "ip netns add failed"
	store_btrfs "$WORK/store" 1G || die "cannot create a loopback btrfs"
	export BOCKER_ROOT=$WORK/store
	export BOCKER WORK
}

# bench_rootfs: Debian's static busybox in $WORK/bundle/rootfs.
bench_rootfs()
{
	BUNDLE=$WORK/bundle
	bash tests/mkrootfs.sh busybox "$BUNDLE/rootfs" > /dev/null ||
		die "mkrootfs.sh failed"
	export BUNDLE
}

# bench_bundle PROGRAM: an OCI config.json from `crun spec` for the
# rootfs, without a terminal, running PROGRAM (a path in the rootfs, no
# arguments) in new namespaces including a network one.
bench_bundle()
{
	command -v crun > /dev/null ||
		die "crun not found (apt-get install crun)"
	(cd "$BUNDLE" && crun spec) || die "crun spec failed"
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's|^\([[:space:]]*\)"sh"$|\1"'"$1"'"|' "$BUNDLE/config.json"
	grep -q "\"$1\"" "$BUNDLE/config.json" ||
		die "cannot set process.args in config.json"
	grep -q '"type": "network"' "$BUNDLE/config.json" ||
		die "config.json from crun spec has no network namespace"
}

# bench_image: make the rootfs into a bocker image, its id in IMG.
bench_image()
{
	IMG=$(created_id "$(bk init "$BUNDLE/rootfs")")
	[ -n "$IMG" ] || die "bocker init failed"
	export IMG
}

# bench_inner ARGS...: run this script again as "$0 --inner ARGS..." in
# the network namespace and a private mount namespace.
bench_inner()
{
	nsenter --net="$NETNS_PATH" unshare -m "$0" --inner "$@"
}

# In the private mount namespace: drop the cgroup2 mount at
# /sys/fs/cgroup/unified, because crun rejects the hybrid layout with it.
bench_drop_unified()
{
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified || die "cannot unmount unified"
	fi
}

# bench_running_ids: the ids of bocker's running containers.
bench_running_ids()
{
	ps_rows | awk '$3 == "running" { print $1 }'
}

# The EXIT trap: stop the bocker containers still running, delete the
# crun containers under $WORK/crun and the namespace in $UPLINK, then
# let lib_cleanup remove the rest.
bench_cleanup()
{
	local status=$? id

	if [ -n "${NETNS_PATH:-}" ] && [ -n "${BOCKER_ROOT:-}" ]; then
		for id in $(bench_running_ids 2> /dev/null); do
			bk stop -t 0 "$id" > /dev/null 2>&1 ||
				echo "# cleanup: cannot stop $id" >&2
		done
	fi
	if [ -d "${WORK:-}/crun" ]; then
		for id in $(crun --root "$WORK/crun" list -q 2> /dev/null); do
			crun --root "$WORK/crun" delete -f "$id" ||
				echo "# cleanup: cannot delete $id" >&2
		done
	fi
	if [ -n "${UPLINK:-}" ]; then
		ip netns del "$UPLINK" ||
			echo "# cleanup: ip netns del $UPLINK failed" >&2
	fi
	(exit "$status")
	lib_cleanup
}
