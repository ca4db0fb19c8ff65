#!/bin/bash
# mkrootfs.sh - build a root filesystem for bocker to `init` from.
#
#   tests/mkrootfs.sh busybox DIR   Debian's static busybox, one symlink per
#                                   applet, a minimal /etc; takes a second.
#   tests/mkrootfs.sh debian DIR    debootstrap --variant=minbase bookworm;
#                                   needs the Debian mirror and a few minutes.
#                                   A finished tree is kept and reused, so a
#                                   cache under build/ makes re-runs fast.
#
# Both need root, so that the files belong to uid 0 as in a real image.
set -u

MIRROR=${BOCKER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

usage()
{
	echo "usage: $0 busybox|debian DIR" >&2
	exit 2
}

die()
{
	echo "mkrootfs: $*" >&2
	exit 1
}

# The busybox binary must be static: the image has no libc of its own.
find_busybox()
{
	local bb

	for bb in /bin/busybox /usr/bin/busybox; do
		[ -x "$bb" ] || continue
		if ldd "$bb" >/dev/null 2>&1; then
			continue
		fi
		echo "$bb"
		return 0
	done
	return 1
}

make_busybox()
{
	local dir=$1 bb applet

	bb=$(find_busybox) ||
		die "no static busybox found (apt-get install busybox-static)"
	rm -rf "$dir"
	mkdir -p "$dir" || die "cannot create '$dir'"
	(
		cd "$dir" || exit 1
		mkdir -p bin sbin usr/bin usr/sbin etc root proc sys dev tmp \
			var/log || exit 1
		chmod 1777 tmp
		chmod 700 root
		cp "$bb" bin/busybox || exit 1
		# --list-full prints each applet's usual path, e.g. sbin/ip,
		# so PATH lookups inside the container find it where a
		# distribution would put it.
		for applet in $(bin/busybox --list-full); do
			case $applet in
			bin/busybox | linuxrc) continue ;;
			esac
			[ -e "$applet" ] && continue
			ln -s /bin/busybox "$applet" || exit 1
		done
		printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
			'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
			> etc/passwd
		printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > etc/group
		echo 'hosts: files' > etc/nsswitch.conf
	) || die "cannot fill '$dir'"
	echo "mkrootfs: busybox root filesystem in $dir" \
		"($(find "$dir" -type l | wc -l) applets)"
}

# debootstrap writes into DIR.tmp and renames it when it finished, so an
# interrupted run never leaves a half tree that later runs would reuse.
make_debian()
{
	local dir=$1

	if [ -f "$dir/etc/debian_version" ] && [ -x "$dir/usr/bin/apt-get" ]
	then
		echo "mkrootfs: reusing Debian root filesystem in $dir"
		return 0
	fi
	command -v debootstrap >/dev/null ||
		die "debootstrap not found (apt-get install debootstrap)"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$(dirname "$dir")" || die "cannot create parent of '$dir'"
	echo "mkrootfs: debootstrap --variant=minbase $SUITE $dir $MIRROR"
	if ! debootstrap --variant=minbase "$SUITE" "$dir.tmp" "$MIRROR" \
		> "$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		rm -rf "$dir.tmp"
		die "debootstrap failed; full log in $dir.log"
	fi
	mv "$dir.tmp" "$dir" || die "cannot rename '$dir.tmp'"
}

[ $# -eq 2 ] || usage
[ "$(id -u)" = 0 ] || die "must run as root"
case $1 in
busybox) make_busybox "$2" ;;
debian) make_debian "$2" ;;
*) usage ;;
esac
