#!/bin/bash
# shellcheck shell=bash
# mkimages.sh - build the test images from Debian packages and push them to
# the test registries of tests/registry.sh.
#
# Sourced by tests (after registry.sh, whose reg_start set REG_*):
#   img_build_all [DEBIAN_TREE]    build every image into $REG_DIR/images
#   img_push_all                   push them as listed below
#   img_push REF REGISTRY NAME:TAG [FORMAT]
#                                  push the layout's image REF to one
#                                  registry as NAME:TAG
# or run by hand after `tests/registry.sh start DIR`:
#   tests/mkimages.sh DIR [DEBIAN_TREE]
#
# Each image is first written by hand into an OCI image layout
# ($REG_DIR/images/oci, one tag per image), with layer tars made by Python's
# tarfile from a staging tree: entries sorted by name, every mtime
# $IMG_EPOCH, owners and modes as staged, hard links as tar hard links,
# gzip with mtime 0. The same inputs give the same digests on every run.
# skopeo then copies the layout to the registry.
#
# The images (manifest format on the registry in brackets):
#   busybox:latest  [Docker v2 schema 2, gzip] Debian's static busybox, one
#                   symlink per applet, /etc/passwd and /etc/group; Env
#                   PATH and GREETING=hello, Cmd sh -c 'echo $GREETING from
#                   $(pwd)', WorkingDir /srv, so it prints "hello from /srv".
#   debian:bookworm [Docker v2 schema 2, gzip] the debootstrap tree given,
#                   without the contents of /dev, /proc and /sys; Cmd bash.
#   layers:latest   [Docker v2 schema 2, gzip] busybox plus two layers that
#                   exercise whiteouts; see img_build_layers for the result.
#   oci:latest      [OCI manifest, gzip] the busybox image.
#   multi:latest    [OCI image index] linux/amd64: busybox plus /arch
#                   containing "amd64"; linux/arm64/v8: only /arch
#                   containing "arm64". Cmd cat /arch on both.
#   plain:latest    [OCI manifest, uncompressed layer
#                   application/vnd.oci.image.layer.v1.tar] busybox.
#   private:latest  [Docker v2 schema 2] busybox, on the token registry only,
#                   where only $REG_USER may pull it.
# img_push_all puts busybox:latest also on the token registry (anonymous
# pull) and on the Basic auth registry.
#
# After each push the manifest digest is printed, checked against the
# registry's own answer to a curl GET of the manifest, and recorded in
# $REG_DIR/images/digests as "REGISTRY/NAME:TAG DIGEST MEDIATYPE", and in
# the variable IMG_DIGEST_<NAME> for pushes to $REG_ANON.

IMG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! declare -F reg_start > /dev/null; then
	# shellcheck source=tests/registry.sh
	. "$IMG_HERE/registry.sh"
fi

# 2023-11-14T22:13:20Z: the mtime of every file in every layer.
IMG_EPOCH=1700000000
IMG_CREATED=2023-11-14T22:13:20Z
IMG_PATH_ENV=PATH=/usr/sbin:/usr/bin:/sbin:/bin

img_log()
{
	echo "mkimages: $*" >&2
}

# img_py ARGS...: the layout writer below, a Python program read from the
# here-document. Subcommands:
#   tar SRC OUT.tar [EXCLUDED...]
#       Write the tree SRC as a layer tar. An EXCLUDED directory (relative
#       to SRC) is kept but its contents are left out.
#   image LAYOUT REF CONFIG_JSON ARCH[/VARIANT] TAR:gzip|TAR:plain...
#       Add an image to LAYOUT. Each TAR becomes a layer blob, gzip or
#       uncompressed. CONFIG_JSON is the "config" object of the image
#       configuration, which also gets the layers' diff ids. The manifest
#       is tagged REF in index.json, and its digest printed.
#   index LAYOUT REF REF...
#       Tag REF an image index of the manifests tagged REF... (with their
#       platforms). Prints the index digest.
img_py()
{
	python3 - "$@" << 'PY'
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile

EPOCH = int(os.environ["IMG_EPOCH"])
CREATED = os.environ["IMG_CREATED"]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
REF_NAME = "org.opencontainers.image.ref.name"


def make_tar(src, out, excluded):
    excluded = {e.strip("/") for e in excluded}
    with open(out, "wb") as f:
        tar = tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT)

        def add(rel):
            path = os.path.join(src, rel)
            info = tar.gettarinfo(path, arcname=rel)
            info.mtime = EPOCH
            info.uname = ""
            info.gname = ""
            if info.isreg():
                with open(path, "rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info)
            if info.isdir() and rel not in excluded:
                for name in sorted(os.listdir(path)):
                    add(os.path.join(rel, name))

        for name in sorted(os.listdir(src)):
            add(name)
        tar.close()


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])


def put_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
    return digest, len(data)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def open_layout(layout):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    try:
        with open(os.path.join(layout, "index.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}


def tag(layout, index, ref, descriptor):
    descriptor = dict(descriptor)
    descriptor["annotations"] = {REF_NAME: ref}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get(REF_NAME) != ref]
    index["manifests"].append(descriptor)
    index["manifests"].sort(key=lambda m: m["annotations"][REF_NAME])
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(canonical(index))


def platform(text):
    parts = text.split("/")
    p = {"architecture": parts[0], "os": "linux"}
    if len(parts) > 1:
        p["variant"] = parts[1]
    return p


def make_image(layout, ref, config_json, plat, layers):
    index = open_layout(layout)
    layer_descs = []
    diff_ids = []
    history = []
    for spec in layers:
        path, kind = spec.rsplit(":", 1)
        with open(path, "rb") as f:
            raw = f.read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        if kind == "gzip":
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf,
                               mtime=0, compresslevel=6) as gz:
                gz.write(raw)
            data, media = buf.getvalue(), OCI_LAYER + "+gzip"
        elif kind == "plain":
            data, media = raw, OCI_LAYER
        else:
            sys.exit("unknown layer kind " + kind)
        digest, size = put_blob(layout, data)
        layer_descs.append({"mediaType": media, "digest": digest,
                            "size": size})
        history.append({"created": CREATED,
                        "created_by": "mkimages.sh: " +
                        os.path.basename(path)})
    config = platform(plat)
    config.update({
        "created": CREATED,
        "config": json.loads(config_json),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    })
    cdigest, csize = put_blob(layout, canonical(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cdigest,
                   "size": csize},
        "layers": layer_descs,
    }
    mdigest, msize = put_blob(layout, canonical(manifest))
    tag(layout, index, ref, {"mediaType": OCI_MANIFEST, "digest": mdigest,
                             "size": msize, "platform": platform(plat)})
    print(mdigest)


def make_index(layout, ref, refs):
    index = open_layout(layout)
    by_ref = {m["annotations"][REF_NAME]: m for m in index["manifests"]}
    entries = []
    for r in refs:
        m = dict(by_ref[r])
        del m["annotations"]
        entries.append(m)
    image_index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                   "manifests": entries}
    digest, size = put_blob(layout, canonical(image_index))
    tag(layout, index, ref, {"mediaType": OCI_INDEX, "digest": digest,
                             "size": size})
    print(digest)


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "tar":
    make_tar(args[0], args[1], args[2:])
elif cmd == "image":
    make_image(args[0], args[1], args[2], args[3], args[4:])
elif cmd == "index":
    make_index(args[0], args[1], args[2:])
else:
    sys.exit("unknown subcommand " + cmd)
PY
}

# The image configuration's "config" object: Env PATH plus the extra
# variables, the Cmd and the WorkingDir given as JSON text.
img_config()
{
	local cmd=$1 workdir=$2

	shift 2
	python3 -c '
import json, sys
env = [sys.argv[1]] + sys.argv[4:]
conf = {"Env": env, "Cmd": json.loads(sys.argv[2])}
if sys.argv[3]:
    conf["WorkingDir"] = sys.argv[3]
print(json.dumps(conf))' "$IMG_PATH_ENV" "$cmd" "$workdir" "$@"
}

# Debian's busybox-static, checked to be static: the image has no libc.
img_find_busybox()
{
	local bb

	for bb in /bin/busybox /usr/bin/busybox; do
		[ -x "$bb" ] || continue
		ldd "$bb" > /dev/null 2>&1 && continue
		echo "$bb"
		return 0
	done
	img_log "no static busybox (apt-get install busybox-static)"
	return 1
}

# img_stage_busybox DIR: the busybox tree. Applets are absolute symlinks
# to /bin/busybox at the path `busybox --list-full` gives, except
# bin/busybox itself (a symlink onto itself) and linuxrc.
img_stage_busybox()
{
	local dir=$1 bb applet

	bb=$(img_find_busybox) || return 1
	rm -rf "$dir"
	mkdir -p "$dir" || return 1
	(
		cd "$dir" || exit 1
		umask 022
		mkdir -p bin sbin usr/bin usr/sbin etc root tmp srv proc sys \
			dev || exit 1
		chmod 1777 tmp && chmod 700 root || exit 1
		cp "$bb" bin/busybox && chmod 755 bin/busybox || exit 1
		for applet in $(bin/busybox --list-full); do
			case $applet in
			bin/busybox | linuxrc) continue ;;
			esac
			[ -e "$applet" ] || [ -L "$applet" ] && continue
			ln -s /bin/busybox "$applet" || exit 1
		done
		printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
			'user:x:1000:1000:user:/srv:/bin/sh' \
			'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
			> etc/passwd
		printf '%s\n' 'root:x:0:' 'user:x:1000:' 'nogroup:x:65534:' \
			> etc/group
		chmod 644 etc/passwd etc/group
		chown -R 0:0 .
	)
}

# img_image REF CONFIG ARCH LAYER...: img_py image into the shared layout.
img_image()
{
	local ref=$1 digest

	shift
	digest=$(img_py image "$IMG_LAYOUT" "$ref" "$@") || {
		img_log "cannot write image $ref into $IMG_LAYOUT"
		return 1
	}
	img_log "built $ref: $digest"
}

img_build_busybox()
{
	local config

	img_stage_busybox "$IMG_DIR/trees/busybox" || return 1
	img_py tar "$IMG_DIR/trees/busybox" "$IMG_DIR/busybox.tar" || return 1
	# shellcheck disable=SC2016 # expanded by the image's shell
	config=$(img_config '["sh","-c","echo $GREETING from $(pwd)"]' /srv \
		GREETING=hello) || return 1
	img_image busybox "$config" amd64 "$IMG_DIR/busybox.tar:gzip" &&
		img_image plain "$config" amd64 "$IMG_DIR/busybox.tar:plain"
}

# img_build_layers: busybox, then layer 2 and layer 3. The root
# filesystem they make has:
#   /data/a             absent (layer 3 has the whiteout /data/.wh.a)
#   /data/dir/x         "x", 0644 0:0, 2 links: /data/hard is a hard link
#   /data/sym           symlink to dir/x
#   /data/opq/old       absent (layer 3 makes /data/opq opaque)
#   /data/opq/new       "new"
#   /data/f2d           a directory (a file in layer 2) holding "inside"
#   /data/suid          4755 0:0, a shell script
#   /data/user          0640 1000:1000
layers_stage()
{
	local two=$1 three=$2

	rm -rf "$two" "$three"
	mkdir -p "$two/data/dir" "$two/data/opq" "$three/data/opq" \
		"$three/data/f2d" || return 1
	(
		umask 022
		cd "$two/data" || exit 1
		echo a > a
		echo x > dir/x
		echo old > opq/old
		echo file > f2d
		printf '#!/bin/sh\necho suid\n' > suid
		echo user > user
		ln -s dir/x sym || exit 1
		ln dir/x hard || exit 1
		chown -R 0:0 "$two" || exit 1
		chmod 4755 suid
		chown 1000:1000 user && chmod 640 user || exit 1

		cd "$three/data" || exit 1
		: > .wh.a
		: > opq/.wh..wh..opq
		echo new > opq/new
		echo inside > f2d/inside
		chown -R 0:0 "$three"
	)
}

img_build_layers()
{
	local config

	layers_stage "$IMG_DIR/trees/layer2" "$IMG_DIR/trees/layer3" ||
		return 1
	img_py tar "$IMG_DIR/trees/layer2" "$IMG_DIR/layer2.tar" &&
		img_py tar "$IMG_DIR/trees/layer3" "$IMG_DIR/layer3.tar" ||
		return 1
	config=$(img_config '["sh"]' /) || return 1
	img_image layers "$config" amd64 "$IMG_DIR/busybox.tar:gzip" \
		"$IMG_DIR/layer2.tar:gzip" "$IMG_DIR/layer3.tar:gzip"
}

img_build_multi()
{
	local tree=$IMG_DIR/trees config digest

	rm -rf "$tree/multi-amd64" "$tree/multi-arm64"
	cp -a "$tree/busybox" "$tree/multi-amd64" || return 1
	mkdir -p "$tree/multi-arm64" || return 1
	echo amd64 > "$tree/multi-amd64/arch"
	echo arm64 > "$tree/multi-arm64/arch"
	chmod 644 "$tree/multi-amd64/arch" "$tree/multi-arm64/arch"
	img_py tar "$tree/multi-amd64" "$IMG_DIR/multi-amd64.tar" &&
		img_py tar "$tree/multi-arm64" "$IMG_DIR/multi-arm64.tar" ||
		return 1
	config=$(img_config '["cat","/arch"]' /) || return 1
	img_image multi-amd64 "$config" amd64 \
		"$IMG_DIR/multi-amd64.tar:gzip" &&
		img_image multi-arm64 "$config" arm64/v8 \
			"$IMG_DIR/multi-arm64.tar:gzip" || return 1
	digest=$(img_py index "$IMG_LAYOUT" multi multi-amd64 multi-arm64) ||
		return 1
	img_log "built multi: $digest"
}

img_build_debian()
{
	local tree=$1 config

	[ -f "$tree/etc/debian_version" ] || {
		img_log "$tree is not a Debian tree (no etc/debian_version)"
		return 1
	}
	img_py tar "$tree" "$IMG_DIR/debian.tar" dev proc sys || return 1
	config=$(img_config '["bash"]' /) || return 1
	img_image debian "$config" amd64 "$IMG_DIR/debian.tar:gzip"
}

# img_build_all [DEBIAN_TREE]: every image into $IMG_LAYOUT; without a
# tree, no debian image (img_push_all then skips it).
img_build_all()
{
	local tree=${1:-}

	[ -n "${REG_DIR:-}" ] || {
		img_log "REG_DIR is not set: run reg_start first"
		return 1
	}
	IMG_DIR=$REG_DIR/images
	IMG_LAYOUT=$IMG_DIR/oci
	export IMG_EPOCH IMG_CREATED
	rm -rf "$IMG_LAYOUT"
	mkdir -p "$IMG_DIR/trees" "$IMG_DIR/tmp" || return 1
	: > "$IMG_DIR/digests"
	img_build_busybox && img_build_layers && img_build_multi || return 1
	IMG_HAVE_DEBIAN=
	if [ -n "$tree" ]; then
		img_build_debian "$tree" || return 1
		IMG_HAVE_DEBIAN=1
	fi
}

img_skopeo()
{
	TMPDIR=$IMG_DIR/tmp REGISTRY_AUTH_FILE=$REG_DIR/auth.json \
		reg_exec skopeo --insecure-policy "$@"
}

# img_push REF REGISTRY NAME:TAG [FORMAT]: copy the layout's REF to
# docker://REGISTRY/NAME:TAG. FORMAT is v2s2, oci, or "all" for an index.
# Credentials are sent to the token and Basic auth registries only.
img_push()
{
	local ref=$1 reg=$2 dest=$3 format=${4:-v2s2} creds digest
	local -a opts

	case $reg in
	"$REG_TOKEN" | "$REG_BASIC")
		opts=(--dest-creds "$REG_USER:$REG_PASS")
		;;
	*) opts=(--dest-no-creds) ;;
	esac
	# skopeo 1.9 gzips uncompressed layers on their way to a registry
	# unless told --preserve-digests, which plain:latest needs. That flag
	# also stops the conversion of an OCI manifest to schema 2, so v2s2
	# copies go without it; their gzip layers are copied unchanged.
	case $format in
	all) opts+=(--all --preserve-digests) ;;
	oci) opts+=(--format oci --preserve-digests) ;;
	*) opts+=(--format "$format") ;;
	esac
	if ! img_skopeo copy --quiet --dest-cert-dir "$REG_CERT_DIR" \
		"${opts[@]}" "oci:$IMG_LAYOUT:$ref" "docker://$reg/$dest" \
		> "$IMG_DIR/skopeo.log" 2>&1; then
		img_log "skopeo copy oci:$ref docker://$reg/$dest failed:"
		cat "$IMG_DIR/skopeo.log" >&2
		return 1
	fi
	creds=
	[ "${opts[0]}" = --dest-creds ] && creds=$REG_USER:$REG_PASS
	img_verify "$reg" "$dest" "$creds"
}

# img_verify REGISTRY NAME:TAG [USER:PASS]: check that the digest of
# skopeo inspect --raw, the sha256 of the manifest curl gets and the
# registry's Docker-Content-Digest header agree, and record the digest.
img_verify()
{
	local reg=$1 dest=$2 creds=${3:-} name=${2%:*} tag=${2##*:}
	local -a cred_opts=(--no-creds)
	local raw_digest body_digest header_digest media var

	[ -n "$creds" ] && cred_opts=(--creds "$creds")
	raw_digest=sha256:$(img_skopeo inspect --raw \
		--cert-dir "$REG_CERT_DIR" "${cred_opts[@]}" \
		"docker://$reg/$dest" | sha256sum | cut -d' ' -f1) || return 1
	reg_get_manifest "$reg" "$name" "$tag" "$creds" \
		"$IMG_DIR/manifest" "$IMG_DIR/manifest.headers" || {
		img_log "GET manifest $reg/$dest failed"
		return 1
	}
	body_digest=sha256:$(sha256sum < "$IMG_DIR/manifest" | cut -d' ' -f1)
	header_digest=$(reg_header Docker-Content-Digest \
		< "$IMG_DIR/manifest.headers")
	media=$(reg_header Content-Type < "$IMG_DIR/manifest.headers")
	if [ "$raw_digest" != "$body_digest" ] ||
		[ "$body_digest" != "$header_digest" ]; then
		img_log "digest mismatch for $reg/$dest: skopeo $raw_digest," \
			"curl body $body_digest, header $header_digest"
		return 1
	fi
	echo "$reg/$dest $body_digest $media" >> "$IMG_DIR/digests"
	echo "pushed $reg/$dest $body_digest $media"
	if [ "$reg" = "$REG_ANON" ]; then
		var=IMG_DIGEST_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)
		printf -v "$var" '%s' "$body_digest"
		export "${var?}"
	fi
}

# Uncompressed layers are what plain:latest is for: fail if the registry
# got anything else.
img_check_plain()
{
	local media

	media=$(python3 -c '
import json, sys
print(" ".join(l["mediaType"] for l in json.load(sys.stdin)["layers"]))
' < "$IMG_DIR/manifest")
	if [ "$media" != application/vnd.oci.image.layer.v1.tar ]; then
		img_log "plain:latest has layer media types '$media'"
		return 1
	fi
}

img_push_all()
{
	img_push busybox "$REG_ANON" busybox:latest v2s2 &&
		img_push layers "$REG_ANON" layers:latest v2s2 &&
		img_push busybox "$REG_ANON" oci:latest oci &&
		img_push multi "$REG_ANON" multi:latest all &&
		img_push plain "$REG_ANON" plain:latest oci &&
		img_check_plain &&
		img_push busybox "$REG_TOKEN" busybox:latest v2s2 &&
		img_push busybox "$REG_TOKEN" private:latest v2s2 &&
		img_push busybox "$REG_BASIC" busybox:latest v2s2 || return 1
	if [ -n "${IMG_HAVE_DEBIAN:-}" ]; then
		img_push debian "$REG_ANON" debian:bookworm v2s2 || return 1
	else
		img_log "no Debian tree given: debian:bookworm not pushed"
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	[ $# -ge 1 ] || {
		echo "usage: $0 REGISTRY_DIR [DEBIAN_TREE]" >&2
		echo "  (REGISTRY_DIR as given to tests/registry.sh start)" >&2
		exit 2
	}
	[ -f "$1/registry/env" ] || {
		echo "mkimages: no $1/registry/env: run" \
			"tests/registry.sh start $1 first" >&2
		exit 1
	}
	# shellcheck disable=SC1091 # written by reg_start
	. "$1/registry/env"
	img_build_all "${2:-}" && img_push_all
fi
