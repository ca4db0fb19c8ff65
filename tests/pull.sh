#!/bin/bash
# pull.sh - end-to-end tests of `bocker pull`, as root, against real
# registries and against a hostile one.
#
#   tests/pull.sh BOCKER [DEBIAN_TREE [LABEL]]
#
# Setup: a network namespace of its own, holding the registries of
# tests/registry.sh filled by tests/mkimages.sh. They are Debian's
# docker-registry over TLS, with a token server, with Basic auth, and with
# a wrong-name and an unknown-CA certificate. tests/evil_registry.py runs
# there too, serving crafted manifests and blobs that a real registry
# would reject. The store is a plain directory (overlay driver). The
# cgroups go below this shell's own, under bocker-pulltest-PID. HOME is an
# empty directory, so no ~/.docker/config.json of the machine is read.
# Everything, including the decoy files in /tmp, is removed on exit, also
# on failure.
#
# DEBIAN_TREE, a debootstrap tree (test.sh keeps one in
# build/rootfs-debian), adds the debian:bookworm image; without it that
# case is skipped. LABEL prefixes each case name. PULL_SHOW_ERRORS=1
# prints every error message the failing pulls give.
#
# Each hostile pull must fail with exit status 125 and one line
# "bocker: pull: ..." naming the problem (or, where noted, succeed with
# the content inside the image), and leave `bocker images`, BOCKER_ROOT/tmp,
# the blob cache and the decoy files outside the store as they were.
#
# "A && B || fail" below means "fail unless both hold":
# shellcheck disable=SC2015
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/registry.sh
. "$HERE/registry.sh"
# shellcheck source=tests/mkimages.sh
. "$HERE/mkimages.sh"

[ $# -ge 1 ] || {
	echo "usage: $0 BOCKER [DEBIAN_TREE [LABEL]]" >&2
	exit 2
}
BOCKER=$(realpath "$1")
DEBIAN_TREE=${2:-}
TAP_PREFIX=${3:-}
tap_init

unset BOCKER_TRACE BOCKER_STORAGE_DRIVER BOCKER_REGISTRY_AUTH \
	BOCKER_INSECURE_REGISTRIES BOCKER_CA_FILE BOCKER_CGROUP_V2_ROOT \
	REG_NETNS_PATH

EVIL_PID=
DECOY_FILE=/tmp/bocker-decoy-$$
DECOY_DIR=/tmp/bocker-decoy-dir-$$
ESCAPE_FILE=/tmp/bocker-escape-$$
# Where a naive extractor would put the hostile entries.
HOST_TARGETS=("$ESCAPE_FILE" /etc/evil /escape "$DECOY_DIR/file")

# ------------------------------------------------------------------ setup

pull_cleanup()
{
	local status=$?

	if [ -n "$EVIL_PID" ]; then
		kill -TERM "$EVIL_PID" 2> /dev/null
		wait "$EVIL_PID" 2> /dev/null
	fi
	if [ -n "${REG_DIR:-}" ]; then
		reg_stop "$WORK"
	fi
	rm -rf "$DECOY_FILE" "$DECOY_DIR"
	# lib_cleanup takes the exit status from $?.
	(exit "$status")
	lib_cleanup
}

setup()
{
	lib_setup bocker-pull
	trap pull_cleanup EXIT
	CG_PARENT=bocker-pulltest-$$
	export BOCKER_CGROUP_PARENT=$CG_PARENT
	[ "$(id -u)" = 0 ] || {
		echo "must run as root"
		return 1
	}
	[ -x "$BOCKER" ] || {
		echo "no executable $BOCKER"
		return 1
	}
	netns_create "bocker-pull-$$" || {
		echo "ip netns add failed"
		return 1
	}
	REG_NETNS_PATH=$NETNS_PATH
	STORE=$WORK/store
	store_plain "$STORE" || {
		echo "cannot make the store $STORE"
		return 1
	}
	export BOCKER_ROOT=$STORE
	export HOME=$WORK/home
	mkdir -p "$HOME" || return 1
	reg_start "$WORK" || {
		echo "reg_start failed"
		return 1
	}
	img_build_all "$DEBIAN_TREE" && img_push_all || {
		echo "building or pushing the test images failed"
		return 1
	}
	export BOCKER_CA_FILE=$REG_CA
	decoys_make || return 1
	evil_build "$WORK/evil" || {
		echo "building the hostile content failed"
		return 1
	}
	evil_start "$WORK/evil" || return 1
}

decoys_make()
{
	mkdir -p "$WORK/decoy/sub" "$DECOY_DIR" || return 1
	echo "decoy" > "$WORK/decoy/file"
	echo "decoy sub" > "$WORK/decoy/sub/file"
	ln -s file "$WORK/decoy/link"
	echo "decoy in /tmp" > "$DECOY_FILE"
	chmod 600 "$DECOY_FILE"
}

# ------------------------------------------------------ the hostile server

# Host platform in OCI terms, as bocker picks it by default.
host_arch()
{
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# evil_build DIR: the crafted manifests and blobs, see evil_py.
evil_build()
{
	mkdir -p "$1" && evil_py "$1" "$(host_arch)" "$ESCAPE_FILE" "$DECOY_DIR"
}

# evil_py DIR ARCH ESCAPE_FILE DECOY_DIR: write one repository per hostile
# case into DIR in the layout tests/evil_registry.py serves. A repository
# whose pull must not cache a blob lists that blob's digest in DIR/NAME/bad.
evil_py()
{
	python3 - "$@" << 'PY'
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

root, arch, escape_file, decoy_dir = sys.argv[1:5]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
MTIME = 1700000000


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(data, digest=None):
    digest = digest or digest_of(data)
    os.makedirs(os.path.join(root, "blobs"), exist_ok=True)
    with open(os.path.join(root, "blobs", digest), "wb") as f:
        f.write(data)
    return digest


def put_manifest(name, ref, body, headers=None):
    d = os.path.join(root, name, "manifests")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ref), "wb") as f:
        f.write(body)
    if headers is not None:
        with open(os.path.join(d, ref + ".headers"), "w") as f:
            json.dump(headers, f)


def mark_bad(name, *digests):
    os.makedirs(os.path.join(root, name), exist_ok=True)
    with open(os.path.join(root, name, "bad"), "a") as f:
        for d in digests:
            f.write(d + "\n")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Zeros:
    """A file of n zero bytes, read without holding them in memory."""

    def __init__(self, n):
        self.left = n

    def read(self, size=-1):
        if size < 0 or size > self.left:
            size = self.left
        self.left -= size
        return bytes(size)


def entry(name, kind="file", data=b"", mode=0o644, link="", uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.mtime = MTIME
    info.mode = mode
    info.uid, info.gid = uid, gid
    if kind == "dir":
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = link
    elif kind == "hardlink":
        info.type = tarfile.LNKTYPE
        info.linkname = link
    elif kind == "zeros":
        info.size = data
        return info, Zeros(data)
    else:
        info.size = len(data)
        return info, io.BytesIO(data)
    return info, None


def make_tar(entries, out=None):
    buf = out or io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) \
            as tar:
        for info, data in entries:
            tar.addfile(info, data)
    return buf


def tgz(entries, level=6):
    raw = make_tar(entries).getvalue()
    return gzip.compress(raw, compresslevel=level, mtime=0)


def config_blob(layers_raw=()):
    config = {"architecture": arch, "os": "linux",
              "config": {"Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": [
                  digest_of(r) for r in layers_raw]}}
    data = canonical(config)
    return put_blob(data), len(data)


def manifest(layers, media=DOCKER_MANIFEST, config=None):
    """layers: (media type, digest, size) tuples."""
    cdigest, csize = config or config_blob()
    body = {"schemaVersion": 2, "mediaType": media,
            "config": {"mediaType": DOCKER_CONFIG if media ==
                       DOCKER_MANIFEST else
                       "application/vnd.oci.image.config.v1+json",
                       "digest": cdigest, "size": csize},
            "layers": [{"mediaType": t, "digest": d, "size": s}
                       for t, d, s in layers]}
    return canonical(body)


def image(name, blobs, media=DOCKER_MANIFEST, layer_type=DOCKER_LAYER,
          ref="latest"):
    """An image whose layers are the given blobs, served as they are."""
    layers = []
    for data in blobs:
        layers.append((layer_type, put_blob(data), len(data)))
    body = manifest(layers, media)
    put_manifest(name, ref, body)
    return body


# A good image, for the cases that break only the manifest.
good_layer = tgz([entry("hello", data=b"hello\n")])
good_body = image("good", [good_layer])

# badblob: the blob served is a valid layer, but not the one named.
named = tgz([entry("x", data=b"the layer the manifest names\n")])
served = tgz([entry("x", data=b"another layer\n")])
d = digest_of(named)
put_blob(served, d)
put_manifest("badblob", "latest",
             manifest([(DOCKER_LAYER, d, len(served))]))
mark_bad("badblob", d)

# badconfig: the config blob does not match its digest.
cdigest, csize = config_blob()
bad_config = canonical({"architecture": arch, "os": "linux",
                        "config": {"Cmd": ["evil"]}})
fake = digest_of(b"not the config")
put_blob(bad_config, fake)
put_manifest("badconfig", "latest",
             manifest([(DOCKER_LAYER, digest_of(good_layer),
                        len(good_layer))], config=(fake, len(bad_config))))
mark_bad("badconfig", fake)

# badheader: Docker-Content-Digest names another manifest.
put_manifest("badheader", "latest", good_body,
             {"Content-Type": DOCKER_MANIFEST,
              "Docker-Content-Digest": digest_of(good_body + b" ")})

# bydigest: asked for by digest, the registry sends another manifest and
# no Docker-Content-Digest, so only the digest asked for can catch it.
other = manifest([(DOCKER_LAYER, digest_of(good_layer), len(good_layer)),
                  (DOCKER_LAYER, digest_of(good_layer), len(good_layer))])
with open(os.path.join(root, "bydigest.ref"), "w") as f:
    f.write(digest_of(other) + "\n")
put_manifest("bydigest", digest_of(other), good_body,
             {"Content-Type": DOCKER_MANIFEST})

# truncated: the first half of a gzip layer, under its own digest.
big = os.urandom(256 << 10)
whole = tgz([entry("random", data=big)])
cut = whole[:len(whole) // 2]
image("truncated", [cut])
mark_bad("truncated", digest_of(cut))

# badcrc: a complete gzip layer whose CRC-32 trailer is wrong.
crc = bytearray(tgz([entry("file", data=b"crc check\n" * 100)]))
crc[-8] ^= 0xff
crc = bytes(crc)
image("badcrc", [crc])
mark_bad("badcrc", digest_of(crc))

# escape, escape-deep: names that climb out of the root.
esc = tgz([entry("../escape", data=b"escaped\n")])
image("escape", [esc])
mark_bad("escape", digest_of(esc))
deep = tgz([entry("../" * 12 + escape_file.lstrip("/"),
                  data=b"escaped\n")])
image("escape-deep", [deep])
mark_bad("escape-deep", digest_of(deep))

# absolute: /etc/evil must land in the image's /etc.
image("absolute", [tgz([entry("/etc", "dir"),
                         entry("/etc/evil", data=b"inside the image\n")])])

# symlink, symlink-rel: a link to a host directory, then a file through it.
for name, target in (("symlink", decoy_dir),
                     ("symlink-rel", "../" * 12 + decoy_dir.lstrip("/"))):
    layer = tgz([entry("link", "symlink", link=target),
                 entry("link/file", data=b"written through the link\n")])
    image(name, [layer])

# hardlink: a hard link to /etc/shadow, with the image's own /etc/shadow
# in the layer. hardlink-host: the same without one, so only the host's
# could be linked. hardlink-climb: the same target reached with "..".
image("hardlink", [tgz([
    entry("etc", "dir"),
    entry("etc/shadow", data=b"the image's own shadow\n", mode=0o640),
    entry("stolen", "hardlink", link="/etc/shadow")])])
for name, target in (("hardlink-host", "/etc/shadow"),
                     ("hardlink-climb", "../" * 12 + "etc/shadow")):
    layer = tgz([entry("stolen", "hardlink", link=target)])
    image(name, [layer])
    mark_bad(name, digest_of(layer))

# bomb: 300 MiB of zeros gzip to about 300 KB, past the 1024x guard.
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
    make_tar([entry("zeros", "zeros", data=300 << 20)], gz)
bomb = buf.getvalue()
image("bomb", [bomb])
mark_bad("bomb", digest_of(bomb))

# badjson: a manifest cut short, with a correct digest header.
broken = good_body[:len(good_body) // 2]
put_manifest("badjson", "latest", broken,
             {"Content-Type": DOCKER_MANIFEST,
              "Docker-Content-Digest": digest_of(broken)})

# schema1: a Docker schema 1 manifest, which bocker does not read.
s1 = json.dumps({"schemaVersion": 1, "name": "schema1", "tag": "latest",
                 "architecture": arch,
                 "fsLayers": [{"blobSum": digest_of(good_layer)}],
                 "history": [{"v1Compatibility": "{}"}],
                 "signatures": []}, indent=3).encode()
put_manifest("schema1", "latest", s1,
             {"Content-Type": SCHEMA1, "Docker-Content-Digest":
              digest_of(s1)})

# zstd: an OCI manifest with a zstd layer.
zstd = b"\x28\xb5\x2f\xfd" + os.urandom(64)
image("zstd", [zstd], media=OCI_MANIFEST, layer_type=OCI_LAYER_ZSTD)
mark_bad("zstd", digest_of(zstd))


def descriptor(body, media, os_name="linux", architecture=arch):
    return {"mediaType": media, "digest": digest_of(body),
            "size": len(body),
            "platform": {"os": os_name, "architecture": architecture}}


def index(entries):
    return canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                      "manifests": entries})


# noplatform: an index without the host's platform.
put_manifest("noplatform", digest_of(good_body), good_body)
put_manifest("noplatform", "latest", index([
    descriptor(good_body, DOCKER_MANIFEST, architecture="s390x"),
    descriptor(good_body, DOCKER_MANIFEST, os_name="windows")]))

# selfindex: every reference returns the same index, which names a
# manifest for the host, and fetching that one returns the index again.
target = digest_of(b"a manifest never served")
put_manifest("selfindex", "_any", index([{
    "mediaType": OCI_INDEX, "digest": target, "size": 100,
    "platform": {"os": "linux", "architecture": arch}}]))

# deepindex: six indexes, each naming the next, then a good manifest.
put_manifest("deepindex", digest_of(good_body), good_body)
body, media = good_body, DOCKER_MANIFEST
for level in range(6):
    nxt = index([descriptor(body, media)])
    put_manifest("deepindex", digest_of(nxt), nxt)
    body, media = nxt, OCI_INDEX
put_manifest("deepindex", "latest", body)

# slow: a 4 MiB layer that does not compress, sent slowly until the test
# removes its .rate file.
slow = tgz([entry("big", data=os.urandom(4 << 20)),
            entry("done", data=b"complete\n")], level=1)
image("slow", [slow])
mark_bad("slow", digest_of(slow))
with open(os.path.join(root, "blobs", digest_of(slow) + ".rate"), "w") as f:
    f.write("262144\n")
PY
}

# evil_start DIR: start tests/evil_registry.py on DIR with the test CA's
# server certificate; sets EVIL to its HOST:PORT.
evil_start()
{
	local dir=$1 tenths=100 port

	nsenter --net="$NETNS_PATH" python3 "$HERE/evil_registry.py" \
		--dir "$dir" --cert "$REG_DIR/certs/server.pem" \
		--key "$REG_DIR/certs/server.key" \
		--port-file "$WORK/evil.port" --log "$WORK/evil.log" \
		< /dev/null > "$WORK/evil.stderr" 2>&1 &
	EVIL_PID=$!
	while [ ! -s "$WORK/evil.port" ] && [ "$tenths" -gt 0 ] &&
		kill -0 "$EVIL_PID" 2> /dev/null; do
		sleep 0.1
		tenths=$((tenths - 1))
	done
	port=$(cat "$WORK/evil.port" 2> /dev/null)
	[ -n "$port" ] || {
		echo "evil_registry.py did not start:"
		cat "$WORK/evil.stderr"
		return 1
	}
	EVIL=127.0.0.1:$port
	reg_wait_http evil_registry "$EVIL_PID" "$WORK/evil.stderr" \
		"https://$EVIL/v2/" --cacert "$REG_CA"
}

# The digests of blobs a hostile pull of NAME must not leave in the cache.
evil_bad()
{
	cat "$WORK/evil/$1/bad" 2> /dev/null
}

# ----------------------------------------------------------------- checks

# expect_error WANT_RC REGEX: the last command exited WANT_RC with one line
# on stderr, "bocker: pull: ..." matching REGEX. PULL_SHOW_ERRORS=1 prints
# each such message as a comment line, to review their wording.
expect_error()
{
	if [ -n "${PULL_SHOW_ERRORS:-}" ]; then
		printf '%s\n' "$LAST_CMD" "$ERR" | sed 's/^/# /'
	fi
	[ "$RC" -eq "$1" ] || fail_cmd "exit status $RC, expected $1"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] ||
		fail_cmd "stderr is not one line"
	printf '%s\n' "$ERR" | grep -q "^bocker: pull: .*$2" ||
		fail_cmd "stderr does not match 'bocker: pull: .*$2'"
}

# pull_ok ARGS...: bocker pull ARGS succeeds; sets PULLED to the id.
pull_ok()
{
	bk_run pull "$@"
	PULLED=$(created_id "$OUT")
	[ "$RC" -eq 0 ] || fail_cmd "pull failed"
	[ -n "$PULLED" ] || fail_cmd "last line is not 'Created: <id>'"
	[ -z "$ERR" ] || fail_cmd "stderr is not empty"
}

# The directory of image ID (any unique prefix) in the store.
image_dir()
{
	local dir

	for dir in "$STORE/images/$1"*; do
		[ -d "$dir" ] && echo "$dir" && return 0
	done
	return 1
}

image_rows()
{
	bk images 2> /dev/null | tail -n +2
}

# has_image ID SOURCE: `bocker images` lists ID with SOURCE.
has_image()
{
	image_rows | awk -v id="$1" -v src="$2" '
		$1 == id && $2 == src { found = 1 }
		END { exit !found }'
}

containers_of()
{
	ps_rows | awk -v img="$1" '$2 == img { print $1 }'
}

tmp_entries()
{
	ls -A "$STORE/tmp" 2> /dev/null
}

# What must not change: the decoys (names, inodes, link counts, modes,
# sizes, link targets, contents), the store's parent, the host's
# /etc/shadow, and the absence of the files a naive extractor makes.
outside_state()
{
	local path

	find "$WORK/decoy" "$DECOY_FILE" "$DECOY_DIR" \
		-printf '%p %i %n %m %u:%g %s %l\n' 2> /dev/null | sort
	find "$WORK/decoy" "$DECOY_FILE" -type f -exec sha256sum {} + | sort
	ls -A "$WORK"
	stat -c '/etc/shadow %i %h %s %Y' /etc/shadow 2> /dev/null
	for path in "${HOST_TARGETS[@]}"; do
		if [ -e "$path" ] || [ -L "$path" ]; then
			echo "exists: $path"
		fi
	done
}

hostile_before()
{
	IMAGES_BEFORE=$(image_rows)
	OUTSIDE_BEFORE=$(outside_state)
}

# hostile_after [BAD_DIGEST...]: nothing outside the store changed since
# hostile_before, tmp/ is empty, and no BAD_DIGEST is in the blob cache.
hostile_after()
{
	local digest now

	now=$(outside_state)
	[ "$now" = "$OUTSIDE_BEFORE" ] ||
		fail "files outside the store changed:" \
			"$(diff <(echo "$OUTSIDE_BEFORE") <(echo "$now"))"
	[ -z "$(tmp_entries)" ] ||
		fail "left in $STORE/tmp: $(tmp_entries | tr '\n' ' ')"
	for digest in "$@"; do
		[ ! -e "$STORE/blobs/sha256/${digest#sha256:}" ] ||
			fail "bad blob $digest is in the blob cache"
	done
}

images_unchanged()
{
	local now

	now=$(image_rows)
	[ "$now" = "$IMAGES_BEFORE" ] || fail "bocker images changed:" \
		"$(diff <(echo "$IMAGES_BEFORE") <(echo "$now"))"
}

# evil_rejected NAME[@REF] REGEX: a pull from the hostile registry that
# must fail, leaving everything as it was.
evil_rejected()
{
	local ref=$1 regex=$2 name=${1%%[:@]*}

	hostile_before
	bk_run pull "$EVIL/$ref"
	expect_error 125 "$regex"
	images_unchanged
	# shellcheck disable=SC2046 # one digest a word
	hostile_after $(evil_bad "$name")
}

# ------------------------------------------------------- real registries

BUSYBOX=

need_busybox()
{
	[ -n "$BUSYBOX" ] && return 0
	skip "busybox was not pulled"
	return 1
}

case_pull_busybox()
{
	local dir

	pull_ok "$REG_ANON/busybox"
	BUSYBOX=$PULLED
	[ -n "$BUSYBOX" ] || return
	has_image "$BUSYBOX" "$REG_ANON/busybox:latest" ||
		fail "images has no row '$BUSYBOX $REG_ANON/busybox:latest'"
	dir=$(image_dir "$BUSYBOX") || {
		fail "no $STORE/images/$BUSYBOX*"
		return
	}
	[ -x "$dir/rootfs/bin/busybox" ] || fail "no rootfs/bin/busybox"
	[ -s "$dir/config.json" ] || fail "no config.json"
	[ "$(cat "$dir/digest" 2> /dev/null)" = "${IMG_DIGEST_busybox:-}" ] ||
		fail "digest file is not ${IMG_DIGEST_busybox:-}"
	[ "$(cat "$dir/source" 2> /dev/null)" = "$REG_ANON/busybox:latest" ] ||
		fail "source file is not $REG_ANON/busybox:latest"
	[ -z "$(tmp_entries)" ] || fail "tmp/ not empty after a pull"
}

case_run_cmd()
{
	need_busybox || return
	bk_run run "$BUSYBOX"
	[ "$RC" -eq 0 ] && [ "$OUT" = "hello from /srv" ] ||
		fail_cmd "the image's Cmd did not print 'hello from /srv'"
}

case_run_override()
{
	need_busybox || return
	bk_run run "$BUSYBOX" echo override
	[ "$RC" -eq 0 ] && [ "$OUT" = override ] ||
		fail_cmd "a command given to run did not replace Cmd"
}

case_run_env_workdir()
{
	need_busybox || return
	bk_run run "$BUSYBOX" env
	printf '%s\n' "$OUT" | grep -q -x GREETING=hello ||
		fail_cmd "no GREETING=hello in env"
	printf '%s\n' "$OUT" | grep -q -x "$IMG_PATH_ENV" ||
		fail_cmd "no $IMG_PATH_ENV in env"
	bk_run run "$BUSYBOX" pwd
	[ "$OUT" = /srv ] || fail_cmd "pwd is not /srv"
}

case_run_by_name()
{
	need_busybox || return
	bk_run run "$REG_ANON/busybox:latest" echo by-name
	[ "$RC" -eq 0 ] && [ "$OUT" = by-name ] ||
		fail_cmd "run by the pulled name failed"
	bk_run run "$REG_ANON/busybox" echo short
	[ "$RC" -eq 0 ] && [ "$OUT" = short ] ||
		fail_cmd "run by the name without a tag failed"
}

case_pull_oci()
{
	need_busybox || return
	pull_ok "$REG_ANON/oci"
	[ -n "$PULLED" ] || return
	[ "$PULLED" != "$BUSYBOX" ] || fail "oci got busybox's id"
	# skopeo copies the busybox layer unchanged to both repositories.
	printf '%s\n' "$OUT" | grep -q '^[0-9a-f]\{12\}: already pulled$' ||
		fail_cmd "the layer busybox shares was not taken from the cache"
	bk_run run "$PULLED"
	[ "$OUT" = "hello from /srv" ] || fail_cmd "oci image did not run"
}

case_pull_plain()
{
	local dir

	pull_ok "$REG_ANON/plain"
	[ -n "$PULLED" ] || return
	dir=$(image_dir "$PULLED") && [ -x "$dir/rootfs/bin/busybox" ] ||
		fail "no rootfs/bin/busybox"
	bk_run run "$PULLED"
	[ "$OUT" = "hello from /srv" ] || fail_cmd "plain image did not run"
}

case_pull_digest()
{
	local ref=$REG_ANON/busybox@${IMG_DIGEST_busybox:-}

	pull_ok "$ref"
	[ -n "$PULLED" ] || return
	has_image "$PULLED" "$ref" || fail "images has no row '$PULLED $ref'"
	bk_run run "$PULLED" echo by-digest
	[ "$OUT" = by-digest ] || fail_cmd "image pulled by digest did not run"
	bk_run pull "$REG_ANON/busybox@sha256:$(printf '%064d' 0)"
	expect_error 125 '404\|not found\|unknown'
}

LAYERS=

case_pull_two_args()
{
	pull_ok "$REG_ANON/layers" latest
	LAYERS=$PULLED
	[ -n "$PULLED" ] || return
	has_image "$PULLED" "$REG_ANON/layers:latest" ||
		fail "images has no row '$PULLED $REG_ANON/layers:latest'"
}

# See img_build_layers in tests/mkimages.sh for the expected tree.
case_layers_tree()
{
	local r

	[ -n "$LAYERS" ] || {
		skip "layers was not pulled"
		return
	}
	r=$(image_dir "$LAYERS")/rootfs
	[ -d "$r/data" ] || {
		fail "no $r/data"
		return
	}
	[ ! -e "$r/data/a" ] || fail "/data/a is there despite its whiteout"
	[ ! -e "$r/data/.wh.a" ] || fail "the whiteout file was extracted"
	[ "$(ls -A "$r/data/opq")" = new ] ||
		fail "/data/opq holds '$(ls -A "$r/data/opq" | tr '\n' ' ')'," \
			"expected only 'new'"
	[ "$(cat "$r/data/opq/new" 2> /dev/null)" = new ] ||
		fail "/data/opq/new is not 'new'"
	[ -d "$r/data/f2d" ] && [ ! -L "$r/data/f2d" ] ||
		fail "/data/f2d is not a directory"
	[ "$(cat "$r/data/f2d/inside" 2> /dev/null)" = inside ] ||
		fail "/data/f2d/inside is not 'inside'"
	[ "$(stat -c '%a %u:%g %F' "$r/data/suid")" = \
		"4755 0:0 regular file" ] ||
		fail "/data/suid is '$(stat -c '%a %u:%g %F' "$r/data/suid")'"
	[ "$(stat -c '%a %u:%g %F' "$r/data/user")" = \
		"640 1000:1000 regular file" ] ||
		fail "/data/user is '$(stat -c '%a %u:%g %F' "$r/data/user")'"
	[ -L "$r/data/sym" ] && [ "$(readlink "$r/data/sym")" = dir/x ] ||
		fail "/data/sym is not a symlink to dir/x"
	[ "$(stat -c %i "$r/data/hard")" = "$(stat -c %i "$r/data/dir/x")" ] ||
		fail "/data/hard and /data/dir/x are not one inode"
	[ "$(stat -c %h "$r/data/dir/x")" = 2 ] ||
		fail "/data/dir/x has $(stat -c %h "$r/data/dir/x") links, not 2"
	[ "$(cat "$r/data/sym" 2> /dev/null)" = x ] ||
		fail "/data/sym does not lead to 'x'"
}

MULTI=

case_multi_default()
{
	local dir

	[ "$(host_arch)" = amd64 ] || {
		skip "the host is $(uname -m), the index has amd64 and arm64"
		return
	}
	pull_ok "$REG_ANON/multi"
	MULTI=$PULLED
	[ -n "$PULLED" ] || return
	dir=$(image_dir "$PULLED")
	[ "$(cat "$dir/rootfs/arch" 2> /dev/null)" = amd64 ] ||
		fail "/arch on disk is not amd64"
	bk_run run "$PULLED"
	[ "$RC" -eq 0 ] && [ "$OUT" = amd64 ] || fail_cmd "Cmd did not print amd64"
}

case_multi_arm64()
{
	local dir

	pull_ok --platform linux/arm64 "$REG_ANON/multi"
	[ -n "$PULLED" ] || return
	[ "$PULLED" != "$MULTI" ] || fail "arm64 got the amd64 image's id"
	dir=$(image_dir "$PULLED")
	[ "$(cat "$dir/rootfs/arch" 2> /dev/null)" = arm64 ] ||
		fail "/arch on disk is not arm64"
	[ ! -e "$dir/rootfs/bin/busybox" ] ||
		fail "the arm64 image has the amd64 image's busybox"
}

case_platform_missing()
{
	hostile_before
	bk_run pull --platform linux/s390x "$REG_ANON/multi"
	expect_error 125 'linux/s390x'
	images_unchanged
	hostile_after
}

# token_log_has USER SCOPE: the token server granted a token for SCOPE to
# USER ("" for an anonymous request).
token_log_has()
{
	python3 - "$REG_TOKEN_LOG" "$1" "$2" << 'PY'
import json, sys
log, user, scope = sys.argv[1:]
for line in open(log):
    e = json.loads(line)
    if e.get("status") == 200 and (e.get("user") or "") == user and \
            scope in e.get("scope", []):
        sys.exit(0)
sys.exit(1)
PY
}

case_token_anon()
{
	pull_ok "$REG_TOKEN/busybox"
	[ -n "$PULLED" ] || return
	has_image "$PULLED" "$REG_TOKEN/busybox:latest" ||
		fail "images has no row '$PULLED $REG_TOKEN/busybox:latest'"
	token_log_has "" repository:busybox:pull ||
		fail "the token server logged no anonymous token for busybox:" \
			"$(tail -n 3 "$REG_TOKEN_LOG")"
}

case_token_private_denied()
{
	hostile_before
	bk_run pull "$REG_TOKEN/private"
	expect_error 125 '401\|denied\|unauthori[sz]ed\|credentials'
	images_unchanged
	hostile_after
}

case_token_private_auth()
{
	BOCKER_REGISTRY_AUTH=$REG_USER:$REG_PASS pull_ok "$REG_TOKEN/private"
	[ -n "$PULLED" ] || return
	has_image "$PULLED" "$REG_TOKEN/private:latest" ||
		fail "images has no row '$PULLED $REG_TOKEN/private:latest'"
	token_log_has "$REG_USER" repository:private:pull ||
		fail "the token server logged no token for '$REG_USER' and" \
			"private:" "$(tail -n 3 "$REG_TOKEN_LOG")"
}

case_basic_denied()
{
	hostile_before
	bk_run pull "$REG_BASIC/busybox"
	expect_error 125 'credentials'
	BOCKER_REGISTRY_AUTH=$REG_USER:wrong-password \
		bk_run pull "$REG_BASIC/busybox"
	expect_error 125 '401'
	images_unchanged
	hostile_after
}

case_basic_auth()
{
	BOCKER_REGISTRY_AUTH=$REG_USER:$REG_PASS pull_ok "$REG_BASIC/busybox"
	[ -n "$PULLED" ] || return
	has_image "$PULLED" "$REG_BASIC/busybox:latest" ||
		fail "images has no row '$PULLED $REG_BASIC/busybox:latest'"
}

case_docker_config()
{
	local home=$WORK/home-config auth

	mkdir -p "$home/.docker"
	auth=$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w 0)
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_BASIC" "$auth" \
		> "$home/.docker/config.json"
	# Pulled already with BOCKER_REGISTRY_AUTH: a 401 still fails here.
	HOME=$home bk_run pull "$REG_BASIC/busybox"
	[ "$RC" -eq 0 ] || fail_cmd "pull with ~/.docker/config.json failed"
	printf '%s\n' "$OUT" | grep -q 'up to date' ||
		fail_cmd "no 'up to date' line"
	HOME=$home BOCKER_REGISTRY_AUTH=$REG_USER:wrong bk_run pull \
		"$REG_BASIC/busybox"
	[ "$RC" -eq 125 ] ||
		fail_cmd "BOCKER_REGISTRY_AUTH did not win over config.json"
}

case_cert_bad_name()
{
	hostile_before
	bk_run pull "$REG_BADNAME/busybox"
	expect_error 125 'name'
	images_unchanged
	hostile_after
}

case_cert_unknown_ca()
{
	hostile_before
	bk_run pull "$REG_BADCA/busybox"
	expect_error 125 'trusted'
	images_unchanged
	hostile_after
}

case_ca_file_option()
{
	# Without the test CA, only the system's roots are trusted.
	unset BOCKER_CA_FILE
	bk_run pull "$REG_ANON/busybox"
	expect_error 125 'trusted'
	pull_ok --ca-file "$REG_CA" "$REG_ANON/busybox"
	[ "$PULLED" = "$BUSYBOX" ] || fail_cmd "not busybox's id '$BUSYBOX'"
	BOCKER_CA_FILE=$REG_OTHER_CA pull_ok --ca-file "$REG_CA" \
		"$REG_ANON/busybox"
	BOCKER_CA_FILE=$REG_OTHER_CA bk_run pull "$REG_ANON/busybox"
	expect_error 125 'trusted'
	bk_run pull --ca-file "$WORK/no-such-ca.pem" "$REG_ANON/busybox"
	expect_error 125 'no-such-ca.pem'
	export BOCKER_CA_FILE=$REG_CA
}

case_manifest_404()
{
	hostile_before
	bk_run pull "$REG_ANON/nosuch:latest"
	expect_error 125 '404'
	bk_run pull "$REG_ANON/busybox:nosuchtag"
	expect_error 125 '404'
	images_unchanged
	hostile_after
}

case_repull()
{
	need_busybox || return
	IMAGES_BEFORE=$(image_rows)
	bk_run pull "$REG_ANON/busybox"
	[ "$RC" -eq 0 ] || fail_cmd "pull failed"
	printf '%s\n' "$OUT" | grep -q "up to date for $REG_ANON/busybox:latest" ||
		fail_cmd "no 'up to date' line"
	[ "$(created_id "$OUT")" = "$BUSYBOX" ] ||
		fail_cmd "not the same id '$BUSYBOX'"
	images_unchanged
	bk_run pull -q "$REG_ANON/busybox"
	[ "$OUT" = "Created: $BUSYBOX" ] ||
		fail_cmd "pull -q printed more than 'Created: $BUSYBOX'"
}

# Remove the plain image (its layer is only its own) and pull it again:
# the layer comes from the cache, and the image is the same.
case_blob_cache()
{
	local img id blobs

	bk_run pull -q "$REG_ANON/plain"
	img=$(created_id "$OUT")
	[ -n "$img" ] || {
		fail_cmd "plain is not pulled"
		return
	}
	for id in $(containers_of "$img"); do
		bk_run rm "$id"
	done
	bk_run rm "$img"
	[ "$RC" -eq 0 ] || fail_cmd "rm of the plain image failed"
	blobs=$(ls "$STORE/blobs/sha256")
	pull_ok "$REG_ANON/plain"
	printf '%s\n' "$OUT" | grep -q '^[0-9a-f]\{12\}: already pulled$' ||
		fail_cmd "the layer was downloaded again"
	[ "$(ls "$STORE/blobs/sha256")" = "$blobs" ] ||
		fail "the blob cache changed"
	bk_run run "$PULLED"
	[ "$OUT" = "hello from /srv" ] ||
		fail_cmd "the image from the cache did not run"
}

case_debian()
{
	local want

	[ -n "$DEBIAN_TREE" ] && [ -f "$DEBIAN_TREE/etc/debian_version" ] || {
		skip "no Debian tree given"
		return
	}
	want=$(cat "$DEBIAN_TREE/etc/debian_version")
	pull_ok "$REG_ANON/debian:bookworm"
	[ -n "$PULLED" ] || return
	bk_run run "$PULLED" cat /etc/debian_version
	[ "$RC" -eq 0 ] && [ "$OUT" = "$want" ] ||
		fail_cmd "/etc/debian_version is not '$want'"
}

# ---------------------------------------------------------------- hostile

case_evil_good()
{
	hostile_before
	pull_ok "$EVIL/good"
	hostile_after
}

case_evil_abs()
{
	local dir

	hostile_before
	pull_ok "$EVIL/absolute"
	hostile_after
	[ -n "$PULLED" ] || return
	dir=$(image_dir "$PULLED")
	[ "$(cat "$dir/rootfs/etc/evil" 2> /dev/null)" = "inside the image" ] ||
		fail "the image has no /etc/evil"
}

# A link out of the root resolves inside it: the pull either fails or
# writes the file below the image's root, never into the host directory.
case_evil_symlink()
{
	local name dir

	for name in symlink symlink-rel; do
		hostile_before
		bk_run pull "$EVIL/$name"
		if [ "$RC" -eq 0 ]; then
			images_unchanged_but_one
			dir=$(image_dir "$(created_id "$OUT")")
			[ -L "$dir/rootfs/link" ] || fail "$name: no /link"
		else
			expect_error 125 'link'
			images_unchanged
		fi
		hostile_after
		[ -z "$(ls -A "$DECOY_DIR")" ] ||
			fail "$name: wrote into $DECOY_DIR"
	done
}

images_unchanged_but_one()
{
	local now

	now=$(image_rows)
	[ "$(printf '%s\n' "$now" | grep -v -x -F -f <(echo "$IMAGES_BEFORE") |
		grep -c .)" -eq 1 ] || fail "bocker images did not gain one row"
}

case_evil_hardlink()
{
	local dir r nlink

	nlink=$(stat -c %h /etc/shadow)
	hostile_before
	bk_run pull "$EVIL/hardlink"
	if [ "$RC" -eq 0 ]; then
		r=$(image_dir "$(created_id "$OUT")")/rootfs
		[ "$(stat -c %i "$r/stolen")" = "$(stat -c %i "$r/etc/shadow")" ] ||
			fail "/stolen is not the image's /etc/shadow"
		[ "$(cat "$r/stolen")" = "the image's own shadow" ] ||
			fail "/stolen has the wrong content"
	else
		expect_error 125 'stolen\|link'
	fi
	hostile_after
	for dir in hardlink-host hardlink-climb; do
		evil_rejected "$dir" 'stolen'
	done
	[ "$(stat -c %h /etc/shadow)" = "$nlink" ] ||
		fail "the host's /etc/shadow has $(stat -c %h /etc/shadow)" \
			"links, had $nlink"
}

case_evil_bydigest()
{
	evil_rejected "bydigest@$(cat "$WORK/evil/bydigest.ref")" \
		'digest mismatch'
}

case_evil_depth()
{
	local start

	start=$SECONDS
	BK_TIMEOUT=30 evil_rejected selfindex 'digest mismatch\|nested'
	BK_TIMEOUT=30 evil_rejected deepindex 'nested too deeply'
	[ $((SECONDS - start)) -lt 20 ] ||
		fail "took $((SECONDS - start)) s"
}

case_evil_bomb()
{
	local start

	start=$SECONDS
	evil_rejected bomb 'bomb\|expands'
	[ $((SECONDS - start)) -lt 30 ] || fail "took $((SECONDS - start)) s"
}

# A pull killed in the middle of a slow download leaves nothing that
# images shows; cleanup empties tmp/, and the same pull then works.
case_sigkill()
{
	local out=$WORK/sigkill.out pid tenths=100 blob digest dir

	digest=$(evil_bad slow)
	: > "$out"
	hostile_before
	bk_bg "$out" pull "$EVIL/slow"
	pid=$BG_PID
	# Kill it once the download has started: its blob file grows.
	while [ "$tenths" -gt 0 ]; do
		blob=$(find "$STORE/tmp" -name blob -size +0 2> /dev/null)
		[ -n "$blob" ] && break
		sleep 0.1
		tenths=$((tenths - 1))
	done
	[ -n "$blob" ] || fail "no download started within 10 s:" \
		"$(cat "$out")"
	sleep 1
	kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	images_unchanged
	[ ! -e "$STORE/blobs/sha256/${digest#sha256:}" ] ||
		fail "the half-downloaded blob is in the cache"
	bk_run cleanup
	[ "$RC" -eq 0 ] || fail_cmd "cleanup failed"
	hostile_after "$digest"
	rm -f "$WORK/evil/blobs/$digest.rate"
	pull_ok "$EVIL/slow"
	[ -n "$PULLED" ] || return
	dir=$(image_dir "$PULLED")
	[ "$(cat "$dir/rootfs/done" 2> /dev/null)" = complete ] ||
		fail "the image pulled after the kill is incomplete"
	[ -e "$STORE/blobs/sha256/${digest#sha256:}" ] ||
		fail "the blob is not in the cache after the pull"
}

case_nothing_left()
{
	local mounts

	[ -z "$(tmp_entries)" ] ||
		fail "left in $STORE/tmp: $(tmp_entries | tr '\n' ' ')"
	mounts=$(mounts_under "$STORE" | grep -v -x "$STORE")
	[ -z "$mounts" ] || fail "mounts below the store: $(clip "$mounts")"
	[ -z "$(cg_leftovers)" ] || fail "cgroups left: $(cg_leftovers)"
}

# ------------------------------------------------------------------- main

setup_log=$(mktemp /tmp/bocker-pull-setup.XXXXXX) || exit 1
if ! setup > "$setup_log" 2>&1; then
	tap_not_ok "pull setup" "$(tail -n 30 "$setup_log")"
	rm -f "$setup_log"
	exit 1
fi
rm -f "$setup_log"

run_case "pull busybox" case_pull_busybox
run_case "run image Cmd" case_run_cmd
run_case "run command overrides Cmd" case_run_override
run_case "run sees Env and WorkingDir" case_run_env_workdir
run_case "run by pulled name" case_run_by_name
run_case "pull oci manifest" case_pull_oci
run_case "pull uncompressed layer" case_pull_plain
run_case "pull by digest" case_pull_digest
run_case "pull NAME TAG form" case_pull_two_args
run_case "layers tree on disk" case_layers_tree
run_case "index picks host platform" case_multi_default
run_case "index --platform arm64" case_multi_arm64
run_case "index lacks platform" case_platform_missing
run_case "token anonymous pull" case_token_anon
run_case "token private denied" case_token_private_denied
run_case "token private with auth" case_token_private_auth
run_case "basic auth denied" case_basic_denied
run_case "basic auth pull" case_basic_auth
run_case "docker config.json auth" case_docker_config
run_case "cert wrong host name" case_cert_bad_name
run_case "cert unknown CA" case_cert_unknown_ca
run_case "--ca-file option" case_ca_file_option
run_case "manifest 404" case_manifest_404
run_case "re-pull up to date" case_repull
run_case "layer from blob cache" case_blob_cache
run_case "debian image" case_debian

run_case "evil: control image" case_evil_good
run_case "evil: blob digest mismatch" evil_rejected badblob 'digest mismatch'
run_case "evil: config digest mismatch" evil_rejected badconfig \
	'config.*digest mismatch'
run_case "evil: Docker-Content-Digest lie" evil_rejected badheader \
	'digest mismatch'
run_case "evil: manifest by wrong digest" case_evil_bydigest
run_case "evil: truncated gzip" evil_rejected truncated 'truncated'
run_case "evil: gzip bad CRC" evil_rejected badcrc 'gzip.*crc'
run_case "evil: tar ../escape" evil_rejected escape 'escape'
run_case "evil: tar deep ../ escape" evil_rejected escape-deep 'escape'
run_case "evil: absolute /etc/evil" case_evil_abs
run_case "evil: write through symlink" case_evil_symlink
run_case "evil: hard link /etc/shadow" case_evil_hardlink
run_case "evil: gzip bomb" case_evil_bomb
run_case "evil: malformed JSON" evil_rejected badjson "manifest 'latest'"
run_case "evil: schema 1 manifest" evil_rejected schema1 'schema 1'
run_case "evil: zstd layer" evil_rejected zstd \
	'unsupported layer media type'
run_case "evil: index lacks platform" evil_rejected noplatform \
	"platform linux/$(host_arch)"
run_case "evil: index loop and depth" case_evil_depth
run_case "pull killed mid-download" case_sigkill
run_case "nothing left" case_nothing_left
