#!/bin/sh
# test_tar.sh - run tar.c, through tests/test_tar, on trees archived by GNU
# tar, long names, base-256 and odd numeric fields, OCI layers with
# whiteouts, and hostile archives that must leave the host untouched.
#
# usage: tests/test_tar.sh <test_tar binary>
#
# Needs root (mknod, chown), GNU tar and python3. Every case runs twice:
# with openat2 and with the O_NOFOLLOW walk (TEST_TAR_WALK=1).
set -u
umask 022

if [ $# -ne 1 ]; then
	echo "usage: $0 <test_tar binary>" >&2
	exit 2
fi
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/test_tar.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$tmp/arc" "$tmp/w" "$tmp/host" "$tmp/host/dir"
printf 'decoy\n' > "$tmp/host/decoy"
printf 'inner\n' > "$tmp/host/dir/inner"
HOST=$tmp/host
export HOST
# The interpreter itself, not a wrapper script: it runs a few hundred times.
python=$(python3 -c 'import sys; print(sys.executable)')

# mk.py EXPR: evaluate EXPR with the helpers below and write the bytes.
cat > "$tmp/mk.py" <<'EOF'
import os, struct, sys

HOST = os.environ["HOST"]
FIELDS = dict(name=(0, 100), mode=(100, 8), uid=(108, 8), gid=(116, 8),
              size=(124, 12), mtime=(136, 12), chksum=(148, 8),
              typeflag=(156, 1), linkname=(157, 100), magic=(257, 6),
              version=(263, 2), devmajor=(329, 8), devminor=(337, 8),
              prefix=(345, 155))

def b(s):
    return s if isinstance(s, bytes) else s.encode()

def header(name, typeflag=b"0", size=0, mode=0o644, uid=0, gid=0,
           mtime=1600000000, linkname=b"", prefix=b"", magic=b"ustar\0",
           version=b"00", devmajor=0, devminor=0, raw=None, chksum=None):
    block = bytearray(512)
    values = dict(name=name, mode=b"%07o\0" % mode, uid=b"%07o\0" % uid,
                  gid=b"%07o\0" % gid, size=b"%011o\0" % size,
                  mtime=b"%011o\0" % mtime, typeflag=typeflag,
                  linkname=linkname, magic=magic, version=version,
                  devmajor=b"%07o\0" % devmajor,
                  devminor=b"%07o\0" % devminor, prefix=prefix)
    values.update(raw or {})
    for field, value in values.items():
        off, n = FIELDS[field]
        value = b(value)
        assert len(value) <= n, field
        block[off:off + n] = value.ljust(n, b"\0")
    block[148:156] = b" " * 8
    total = sum(block) if chksum is None else chksum
    block[148:156] = b"%06o\0 " % total
    return bytes(block)

def member(name, data=b"", **kw):
    data = b(data)
    kw.setdefault("size", len(data))
    return header(name, **kw) + data + b"\0" * (-len(data) % 512)

def reg(name, data=b"", **kw):
    return member(name, data, **kw)

def mkdir(name, mode=0o755, **kw):
    return member(name, typeflag=b"5", mode=mode, **kw)

def symlink(name, target, **kw):
    return member(name, typeflag=b"2", linkname=target, mode=0o777, **kw)

def hardlink(name, target, **kw):
    return member(name, typeflag=b"1", linkname=target, **kw)

def fifo(name, **kw):
    return member(name, typeflag=b"6", **kw)

def chardev(name, major, minor, **kw):
    return member(name, typeflag=b"3", devmajor=major, devminor=minor, **kw)

def record(key, value):
    body = b" " + b(key) + b"=" + b(value) + b"\n"
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return str(n).encode() + body

def pax(*records, typeflag=b"x"):
    data = b"".join(record(k, v) for k, v in records)
    return member("PaxHeaders/x", data, typeflag=typeflag)

def gnu_long(name, typeflag=b"L"):
    return member("././@LongLink", b(name) + b"\0", typeflag=typeflag,
                  magic=b"ustar ", version=b" \0")

def end():
    return b"\0" * 1024

sys.stdout.buffer.write(eval("(" + sys.argv[1] + ")"))
EOF

# dump.py [--no-dir-mtime] [--host EXCLUDE] DIR: one line per path with
# type, mode, owner, mtime, content, link target, device, hard link group
# and xattrs. --host adds inode, link count and ctime and skips EXCLUDE.
cat > "$tmp/dump.py" <<'EOF'
import hashlib, os, stat, sys

args = sys.argv[1:]
no_dir_mtime = "--no-dir-mtime" in args
exclude = args[args.index("--host") + 1] if "--host" in args else None
root = args[-1]
paths = ["."]
for top, dirs, files in os.walk(root):
    if exclude and top == exclude:
        dirs[:] = []
        continue
    for name in dirs + files:
        full = os.path.join(top, name)
        if full != exclude:
            paths.append(os.path.relpath(full, root))
groups = {}
for rel in sorted(paths):
    full = os.path.join(root, rel)
    st = os.lstat(full)
    kind = stat.filemode(st.st_mode)[0].replace("-", "f")
    line = "%s %s %04o %d:%d" % (rel, kind, stat.S_IMODE(st.st_mode),
                                 st.st_uid, st.st_gid)
    if not (kind == "d" and no_dir_mtime):
        line += " %d" % st.st_mtime_ns
    if kind == "f":
        data = open(full, "rb").read()
        if len(data) <= 40:
            line += " data=%r" % data
        else:
            line += " size=%d sha=%s" % (len(data),
                                         hashlib.sha256(data).hexdigest()[:16])
    if kind == "l":
        line += " -> " + os.readlink(full)
    if kind in "cb":
        line += " dev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    if kind != "d" and st.st_nlink > 1:
        group = groups.setdefault((st.st_dev, st.st_ino), len(groups) + 1)
        line += " link#%d" % group
    if exclude:
        line += " ino=%d nlink=%d ctime=%d" % (st.st_ino, st.st_nlink,
                                               st.st_ctime_ns)
    for name in sorted(os.listxattr(full, follow_symlinks=False)):
        value = os.getxattr(full, name, follow_symlinks=False)
        line += " xattr:%s=%s" % (name, value.hex())
    print(line)
EOF

passed=0
failed=0
count=0
suffix=

# result NAME STATUS [DETAIL]: print the TAP line for one case.
result() {
	count=$((count + 1))
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $count - $1$suffix"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $count - $1$suffix"
	if [ -n "${3:-}" ]; then
		printf '%s\n' "$3" | sed 's/^/# /'
	fi
}

mk() {
	"$python" "$tmp/mk.py" "$1"
}

dump() {
	"$python" "$tmp/dump.py" "$@"
}

# fresh_root: make an empty root under $tmp/w and set $root to it.
fresh_root() {
	root=$tmp/w/c$count.$$.$(date +%s%N)/root
	mkdir -p "$root"
}

# extract ARCHIVE: run test_tar into $root; sets $rc and $msg.
extract() {
	msg=$("$bin" "$root" < "$1" 2>&1)
	rc=$?
}

# same_tree NAME ARCHIVE: GNU tar and test_tar must give the same tree.
same_tree() {
	fresh_root
	ref=$root.ref
	mkdir "$ref"
	tar --xattrs --xattrs-include='*' --numeric-owner -xpf "$2" -C "$ref"
	extract "$2"
	if [ $rc -ne 0 ]; then
		result "$1" 1 "$msg"
		return
	fi
	want=$(dump "$ref")
	got=$(dump "$root")
	if [ "$want" = "$got" ]; then
		result "$1" 0
	else
		printf '%s\n' "$want" > "$ref.dump"
		result "$1" 1 "$(printf '%s\n' "$got" | diff "$ref.dump" -)"
	fi
}

# expect NAME EXPR [DUMP FLAGS] <<EOF ... : extracting the archive EXPR
# must succeed and the root must dump as standard input lists.
expect() {
	name=$1
	expr=$2
	shift 2
	want=$(cat)
	fresh_root
	mk "$expr" > "$tmp/arc/current.tar" || { result "$name" 1 "mk"; return; }
	extract "$tmp/arc/current.tar"
	if [ $rc -ne 0 ]; then
		result "$name" 1 "$msg"
		return
	fi
	got=$(dump "$@" "$root")
	if [ "$want" = "$got" ]; then
		result "$name" 0
	else
		result "$name" 1 "$(printf '%s\n' "$want" > "$root.want"
			printf '%s\n' "$got" | diff "$root.want" -)"
	fi
}

# hostile NAME ok|fail MESSAGE EXPR [CHECK]: extract EXPR; with fail it
# must exit 1 with MESSAGE in its error, with ok it must succeed and the
# shell command CHECK (run with $root set) must hold. Either way the
# files outside the root must be unchanged: content, inode, link count.
hostile() {
	name=$1
	want=$2
	text=$3
	fresh_root
	mk "$4" > "$tmp/arc/current.tar" || { result "$name" 1 "mk"; return; }
	before=$(dump --host "$root" "$tmp")
	extract "$tmp/arc/current.tar"
	after=$(dump --host "$root" "$tmp")
	if [ "$before" != "$after" ]; then
		result "$name" 1 "files outside the root changed: $(
			printf '%s\n' "$before" > "$root.before"
			printf '%s\n' "$after" | diff "$root.before" -)"
	elif [ "$want" = fail ] && [ $rc -ne 1 ]; then
		result "$name" 1 "exit status $rc, expected 1"
	elif [ "$want" = fail ] && ! printf '%s' "$msg" | grep -q "^test_tar: .*$text"; then
		result "$name" 1 "message '$msg' lacks '$text'"
	elif [ "$want" = ok ] && [ $rc -ne 0 ]; then
		result "$name" 1 "$msg"
	elif [ -n "${5:-}" ] && ! eval "$5"; then
		result "$name" 1 "check failed: $5"
	else
		result "$name" 0
	fi
}

# make_tree DIR: files, directories, symlinks, hard links, a fifo,
# devices, special modes, owners, mtimes and long names.
make_tree() {
	src=$1
	long100=$(printf 'n%.0s' $(seq 120))
	long_a=$(printf 'a%.0s' $(seq 100))
	long_b=$(printf 'b%.0s' $(seq 100))
	mkdir -p "$src/dir/sub" "$src/tmp" "$src/ro" "$src/$long_a/$long_b"
	printf 'hello\n' > "$src/dir/file"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 411)' \
		> "$src/dir/big"
	: > "$src/empty"
	printf 'deep\n' > "$src/$long_a/$long_b/$long100"
	ln -s file "$src/dir/rel"
	ln -s /etc/passwd "$src/abs"
	ln -s ../dir "$src/dir/sub/up"
	ln -s "$long_a/$long_b/$long100" "$src/longlink"
	ln "$src/dir/file" "$src/hard"
	ln "$src/dir/file" "$src/dir/sub/hard2"
	ln "$src/$long_a/$long_b/$long100" "$src/$long_a/hardlong"
	mkfifo "$src/fifo"
	mknod "$src/null" c 1 3
	mknod "$src/loop" b 7 200
	chown -R 1000:1000 "$src/dir"
	chown -h 1000:1000 "$src/fifo" "$src/abs"
	# chown clears setuid, so the modes come after the owners.
	chmod 4755 "$src/dir/file"
	chmod 2750 "$src/dir/sub"
	chmod 1777 "$src/tmp"
	chmod 0555 "$src/ro"
	chmod 0600 "$src/empty"
	find "$src" -depth -exec touch -h -d @1600000000 {} +
	touch -d @1234567890.5 "$src/dir/big"
	touch -h -d @1111111111 "$src/dir/rel"
	touch -d @1500000000 "$src/dir" "$src/$long_a"
}

make_ustar_tree() {
	src=$1
	long_a=$(printf "a%.0s" $(seq 60))
	long_b=$(printf "b%.0s" $(seq 60))
	mkdir -p "$src/$long_a/$long_b"
	printf 'split\n' > "$src/$long_a/$long_b/file-with-a-name"
	ln -s ../x "$src/sym"
	mkfifo "$src/fifo"
	chown -h 123:456 "$src/sym" "$src/$long_a"
	find "$src" -depth -exec touch -h -d @1400000000 {} +
}

build_archives() {
	make_tree "$tmp/tree"
	python3 -c 'import os, sys
os.setxattr(sys.argv[1], "user.bocker", b"\x00\x01value")' \
		"$tmp/tree/dir/big"
	tar --format=gnu -C "$tmp/tree" -cf "$tmp/arc/gnu.tar" .
	tar --format=posix --xattrs -C "$tmp/tree" -cf "$tmp/arc/pax.tar" .
	make_ustar_tree "$tmp/ustar"
	tar --format=ustar -C "$tmp/ustar" -cf "$tmp/arc/ustar.tar" .
}

# The three layers of the layer test; each one's expected tree follows.
layer1='mkdir("a") + reg("a/keep", "keep1") + reg("a/gone", "gone1")
	+ mkdir("b") + reg("b/old", "old") + mkdir("b/sub")
	+ reg("b/sub/deep", "deep") + reg("c", "c-file") + mkdir("d")
	+ reg("d/x", "x") + mkdir("e") + reg("e/lower", "lower")
	+ reg("f", "f") + mkdir("g") + reg("g/inner", "i")
	+ symlink("h", "a") + end()'
layer2='reg(".wh.f") + reg(".wh.g") + reg("a/.wh.gone")
	+ mkdir("b", mode=0o700) + reg("b/.wh..wh..opq") + reg("b/new", "new")
	+ mkdir("b/sub") + mkdir("c") + reg("c/inner", "inner")
	+ reg("d", "d-file") + reg("e/e-new", "e-new")
	+ reg("e/.wh..wh..opq") + end()'
layer3='mkdir("h") + reg("h/z", "z") + reg("a/keep", "keep3", mode=0o600)
	+ reg("c/.wh.inner") + reg("b/sub/.wh..wh..opq") + reg(".wh.d")
	+ reg("x/.wh.nothing") + end()'

layers() {
	fresh_root
	status=0
	detail=
	for layer in "$layer1" "$layer2" "$layer3"; do
		mk "$layer" > "$tmp/arc/layer.tar"
		extract "$tmp/arc/layer.tar"
		if [ $rc -ne 0 ]; then
			status=1
			detail=$msg
		fi
	done
	got=$(dump --no-dir-mtime "$root")
	want=". d 0755 0:0
a d 0755 0:0
a/keep f 0600 0:0 1600000000000000000 data=b'keep3'
b d 0700 0:0
b/new f 0644 0:0 1600000000000000000 data=b'new'
b/sub d 0755 0:0
c d 0755 0:0
e d 0755 0:0
e/e-new f 0644 0:0 1600000000000000000 data=b'e-new'
h d 0755 0:0
h/z f 0644 0:0 1600000000000000000 data=b'z'"
	if [ $status -eq 0 ] && [ "$want" != "$got" ]; then
		status=1
		detail=$(printf '%s\n' "$want" > "$root.want"
			printf '%s\n' "$got" | diff "$root.want" -)
	fi
	result "three layers with whiteouts" $status "$detail"
}

positive_cases() {
	same_tree "gnu format tree as GNU tar" "$tmp/arc/gnu.tar"
	same_tree "pax format tree as GNU tar" "$tmp/arc/pax.tar"
	same_tree "ustar format tree as GNU tar" "$tmp/arc/ustar.tar"
	export TEST_TAR_CHUNK=1
	same_tree "gnu tree fed byte by byte" "$tmp/arc/gnu.tar"
	unset TEST_TAR_CHUNK
	export TEST_TAR_SEED=7
	same_tree "pax tree other chunk sizes" "$tmp/arc/pax.tar"
	unset TEST_TAR_SEED
	layers

	expect "pax long names" 'pax(("path", "p/" + "x" * 150))
		+ reg("ignored-1") + pax(("path", "q/" + "y" * 200 + "/" + "z" * 100))
		+ reg("ignored-2", "two") + end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	p d 0755 0:0
	p/$(printf 'x%.0s' $(seq 150)) f 0644 0:0 1600000000000000000 data=b''
	q d 0755 0:0
	q/$(printf 'y%.0s' $(seq 200)) d 0755 0:0
	q/$(printf 'y%.0s' $(seq 200))/$(printf 'z%.0s' $(seq 100)) f 0644 0:0 1600000000000000000 data=b'two'
	EOF

	expect "gnu long name and link" 'gnu_long("L" * 180)
		+ reg("short", "long") + gnu_long("K" * 150, b"K")
		+ gnu_long("s" * 120) + symlink("s", "t") + end()' \
		--no-dir-mtime <<-EOF
	. d 0755 0:0
	$(printf 'L%.0s' $(seq 180)) f 0644 0:0 1600000000000000000 data=b'long'
	$(printf 's%.0s' $(seq 120)) l 0777 0:0 1600000000000000000 -> $(printf 'K%.0s' $(seq 150))
	EOF

	expect "base-256 uid and size" 'reg("big-uid", "u", uid=1,
		raw={"uid": b"\x80\0\0\0\0\x2d\xc6\xc0",
		     "gid": b"\x80\0\0\0\0\0\x10\x00"})
		+ reg("big-size", "hello", raw={"size":
		  b"\x80" + b"\0" * 10 + b"\x05"})
		+ reg("old-time", "t", raw={"mtime": b"\xff" * 11 + b"\xfe"})
		+ end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	big-size f 0644 0:0 1600000000000000000 data=b'hello'
	big-uid f 0644 3000000:4096 1600000000000000000 data=b'u'
	old-time f 0644 0:0 -2000000000 data=b't'
	EOF

	expect "octal fields with spaces and NULs" 'reg("odd", "abc",
		raw={"mode": b"   640 \0", "uid": b"  1750  ",
		     "size": b"3\0\0\0\0\0\0\0\0\0\0\0",
		     "mtime": b" 13727410000"}) + end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	odd f 0640 1000:0 1600000000000000000 data=b'abc'
	EOF

	expect "v7 header and old regular type" 'reg("v7dir/", typeflag=b"\0",
		magic=b"", version=b"")
		+ reg("v7dir/f", "v7", typeflag=b"\0", magic=b"", version=b"")
		+ reg("cont", "7", typeflag=b"7") + end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	cont f 0644 0:0 1600000000000000000 data=b'7'
	v7dir d 0644 0:0
	v7dir/f f 0644 0:0 1600000000000000000 data=b'v7'
	EOF

	expect "pax records override header" 'pax(("path", "g-bogus"),
		typeflag=b"g") + pax(("mtime", "1600000000.25"),
		("uid", "4242"), ("gid", "4343"), ("comment", "x=y"),
		("SCHILY.xattr.user.one", b"v\0\n1"),
		("SCHILY.xattr.trusted.overlay.opaque", "y"),
		("size", "4")) + reg("p", "data", size=99)
		+ pax(("linkpath", "/" + "t" * 120)) + symlink("ln", "ignored")
		+ end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	ln l 0777 0:0 1600000000000000000 -> /$(printf 't%.0s' $(seq 120))
	p f 0644 4242:4343 1600000000250000000 data=b'data' xattr:user.one=76000a31
	EOF

	# Capability v2: magic and effective flag, then CAP_NET_RAW permitted.
	expect "xattrs on file, symlink, fifo" 'pax(("SCHILY.xattr.security.capability",
		struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0)))
		+ reg("ping", "elf", mode=0o4755, uid=1000, gid=1000)
		+ pax(("SCHILY.xattr.trusted.s", "sym"), ("SCHILY.xattr.user.u", "x"))
		+ symlink("s", "ping")
		+ pax(("SCHILY.xattr.trusted.f", "fifo")) + fifo("p", mode=0o620)
		+ end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	p p 0620 0:0 1600000000000000000 xattr:trusted.f=6669666f
	ping f 4755 1000:1000 1600000000000000000 data=b'elf' xattr:security.capability=0100000200200000000000000000000000000000
	s l 0777 0:0 1600000000000000000 -> ping xattr:trusted.s=73796d
	EOF

	expect "hard link and replace" 'reg("f", "one") + hardlink("h", "f")
		+ reg("f", "two") + mkdir("d") + reg("d/x", "x")
		+ hardlink("d/y", "./d/x") + reg("d", "was a dir")
		+ symlink("s", "f") + hardlink("hs", "s") + end()' \
		--no-dir-mtime <<-EOF
	. d 0755 0:0
	d f 0644 0:0 1600000000000000000 data=b'was a dir'
	f f 0644 0:0 1600000000000000000 data=b'two'
	h f 0644 0:0 1600000000000000000 data=b'one'
	hs l 0777 0:0 1600000000000000000 -> f link#1
	s l 0777 0:0 1600000000000000000 -> f link#1
	EOF

	expect "directory kept with new metadata" 'mkdir("d", mode=0o700)
		+ reg("d/a", "a") + mkdir("d", mode=0o750, uid=7, gid=8)
		+ reg("d/b", "b") + mkdir("./", mode=0o711) + end()' <<-EOF
	. d 0711 0:0 1600000000000000000
	d d 0750 7:8 1600000000000000000
	d/a f 0644 0:0 1600000000000000000 data=b'a'
	d/b f 0644 0:0 1600000000000000000 data=b'b'
	EOF

	expect "whiteout spares the same layer" 'reg("k", "kept")
		+ reg(".wh.k") + mkdir("d") + reg("d/n", "n") + reg(".wh.d")
		+ reg(".wh..wh.plnk") + end()' --no-dir-mtime <<-EOF
	. d 0755 0:0
	d d 0755 0:0
	d/n f 0644 0:0 1600000000000000000 data=b'n'
	k f 0644 0:0 1600000000000000000 data=b'kept'
	EOF
}

hostile_cases() {
	hostile "dotdot escape" fail "entry '../escape': path escapes the root" \
		'reg("../escape", "x") + end()'
	hostile "dotdot after a directory" fail "path escapes the root" \
		'mkdir("a") + reg("a/../../escape", "x") + end()'
	hostile "pax path escape" fail "path escapes the root" \
		'pax(("path", "x/../../../escape")) + reg("fine") + end()'
	hostile "absolute name lands in root" ok "" \
		'reg(HOST + "/decoy", "abs") + reg("/etc/x", "etc") + end()' \
		'[ "$(cat "$root$HOST/decoy")" = abs ] && [ -f "$root/etc/x" ]'
	hostile "write through symlink to host dir" ok "" \
		'mkdir(HOST) + symlink("s", HOST) + reg("s/decoy", "evil")
		+ reg("s/dir/new", "n") + end()' \
		'[ "$(cat "$root$HOST/decoy")" = evil ] && [ -L "$root/s" ]'
	hostile "write through symlink up to /" ok "" \
		'symlink("s", "../../..") + reg("s/escape", "x") + mkdir("host")
		+ symlink("t", "../../../host") + reg("t/decoy", "y") + end()' \
		'[ -f "$root/escape" ] && [ -f "$root/host/decoy" ]'
	hostile "file replaces symlink to host file" ok "" \
		'symlink("s", HOST + "/decoy") + reg("s", "mine") + end()' \
		'[ ! -L "$root/s" ] && [ "$(cat "$root/s")" = mine ]'
	hostile "directory replaces symlink to host" ok "" \
		'symlink("s", HOST + "/dir") + mkdir("s") + reg("s/inner", "i")
		+ end()' '[ ! -L "$root/s" ] && [ -f "$root/s/inner" ]'
	hostile "device through symlink to host" ok "" \
		'mkdir(HOST) + symlink("s", HOST) + chardev("s/decoy", 1, 3)
		+ end()' \
		'[ -c "$root$HOST/decoy" ]'
	hostile "absolute symlink chain" ok "" \
		'mkdir(HOST + "/dir") + symlink("a", "/b")
		+ symlink("b", HOST + "/dir") + reg("a/inner", "x") + end()' \
		'[ -f "$root$HOST/dir/inner" ]'
	hostile "dangling symlink to host dir" fail "No such file" \
		'symlink("s", HOST) + reg("s/decoy", "evil") + end()'
	hostile "hard link to host path" fail "link target" \
		'hardlink("h", HOST + "/decoy") + end()'
	hostile "hard link to dotdot" fail "link target escapes the root" \
		'hardlink("h", "../decoy") + end()'
	hostile "hard link through symlink" fail "link target" \
		'symlink("s", HOST) + hardlink("h", "s/decoy") + end()'
	hostile "hard link via symlink dotdot" fail "escapes the root" \
		'symlink("s", HOST) + hardlink("h", "s/../../decoy") + end()'
	hostile "hard link to symlink to host" ok "" \
		'symlink("s", HOST + "/decoy") + hardlink("h", "s") + end()' \
		'[ -L "$root/h" ]'
	hostile "hard link then rewrite" ok "" \
		'symlink("s", HOST + "/decoy") + hardlink("h", "s")
		+ reg("h", "over") + end()' \
		'[ "$(cat "$root/h")" = over ]'
	hostile "whiteout .wh.." fail "invalid whiteout" \
		'reg(".wh..") + end()'
	hostile "whiteout .wh. alone" fail "invalid whiteout" \
		'reg("a/.wh.") + end()'
	hostile "whiteout .wh..." fail "invalid whiteout" \
		'reg(".wh...") + end()'
	hostile "whiteout above root" fail "path escapes the root" \
		'reg("../.wh.decoy") + end()'
	hostile "whiteout as directory" fail "whiteout as a directory" \
		'reg("a/.wh.b/c") + end()'
	hostile "whiteout through symlink" ok "" \
		'mkdir(HOST) + reg(HOST + "/decoy") + symlink("s", HOST)
		+ reg("s/.wh.decoy") + reg("s/.wh.dir") + end()' \
		'[ ! -e "$root$HOST/decoy" ]'
	hostile "opaque through symlink" ok "" \
		'symlink("s", HOST) + reg("s/.wh..wh..opq")
		+ symlink("t", HOST + "/dir") + reg("t/.wh..wh..opq")
		+ reg("t/x/.wh..wh..opq") + end()'
	hostile "opaque root keeps host" ok "" \
		'reg("f") + reg(".wh..wh..opq") + end()' '[ -f "$root/f" ]'
	hostile "symlink loop" fail "a/x.: open parent directory" \
		'symlink("a", "b") + symlink("b", "a") + reg("a/x") + end()'
	hostile "file replaces root" fail "replace the root" \
		'reg("./", "x") + end()'
	hostile "bad checksum" fail "invalid header checksum" \
		'reg("f", "x", chksum=1234) + end()'
	hostile "truncated data" fail "entry 'f': archive truncated" \
		'reg("f", "x" * 2000)[:1200]'
	hostile "truncated header" fail "archive truncated at byte" \
		'reg("f", "x") + reg("g")[:100]'
	hostile "no end marker" fail "no end-of-archive marker" \
		'reg("f", "x")'
	hostile "huge base-256 size" fail "archive truncated" \
		'reg("f", "x", raw={"size": b"\x80" + b"\0" * 4 + b"\x7f"
		+ b"\xff" * 6}) + end()'
	hostile "negative size" fail "out of range" \
		'reg("f", raw={"size": b"\xff" * 12}) + end()'
	hostile "pax header too big" fail "pax header too big" \
		'pax(("comment", "x" * (1 << 20))) + reg("f") + end()'
	hostile "gnu long name too long" fail "GNU long name too big" \
		'gnu_long("n" * 5000) + reg("f") + end()'
	hostile "malformed pax record" fail "invalid pax record" \
		'member("PaxHeaders/x", b"99 path=x\n", typeflag=b"x")
		+ reg("f") + end()'
	hostile "pax header without entry" fail "extended header without" \
		'pax(("path", "x")) + end()'
	hostile "sparse file rejected" fail "sparse" \
		'pax(("GNU.sparse.major", "1")) + reg("f") + end()'
	hostile "unknown type rejected" fail "unsupported entry type" \
		'reg("f", typeflag=b"S") + end()'
}

"$bin" --kat > "$tmp/kat.out" 2>&1
result "numeric field parser" $? "$(grep -v '^ok' "$tmp/kat.out")"
build_archives
for mode in openat2 walk; do
	if [ $mode = walk ]; then
		TEST_TAR_WALK=1
		suffix=" (walk)"
	else
		TEST_TAR_WALK=0
		suffix=
	fi
	export TEST_TAR_WALK
	positive_cases
	hostile_cases
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
