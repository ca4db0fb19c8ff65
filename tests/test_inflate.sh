#!/bin/sh
# test_inflate.sh - inflate.c against gzip(1) on real files.
#
# Compresses random bytes, text, binaries from /usr/bin, a tar of
# /usr/share/doc, an empty file and a large repetitive file with gzip -1,
# -6 and -9, then decompresses each with tests/test_inflate, fed in chunks
# of random size, and compares with the original. Broken copies (cut
# short, corrupted, with trailing garbage) must fail. Prints one ok/not ok
# line per case, then "N passed, N failed".
#
# Usage: tests/test_inflate.sh [path/to/test_inflate]
# INFLATE_BENCH=1 adds MB/s of test_inflate --bench and of gzip -dc.

prog=${1:-build/test_inflate}
passed=0
failed=0
n=0

if [ ! -x "$prog" ]; then
	echo "test_inflate.sh: '$prog' not found; build it first" >&2
	exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

report() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# Expects FILE.gz to decompress to EXPECTED.
expect_same() {
	out=$("$prog" "$1" "$2" 2>&1)
	status=$?
	[ $status -ne 0 ] && printf '%s\n' "$out" | grep '^#'
	report $status "$3"
}

# Expects FILE.gz, a broken copy of a file that decompresses to
# EXPECTED, to be rejected for the given reason.
expect_reject() {
	out=$("$prog" "$1" "$2" 2>&1)
	status=$?
	if [ $status -ne 0 ] && printf '%s\n' "$out" | grep -q -- "$3"; then
		report 0 "$4"
	else
		printf '%s\n' "$out" | grep '^#'
		report 1 "$4"
	fi
}

make_data() {
	: >"$tmp/empty"
	head -c 1048576 /dev/urandom >"$tmp/random"
	find /usr/share/doc /usr/share/common-licenses -type f \
	    -name 'copyright' 2>/dev/null | head -n 400 |
	    xargs cat >"$tmp/text" 2>/dev/null
	# The four largest programs of 1 to 7 MiB: some 20 MB of machine code.
	find /usr/bin -maxdepth 1 -type f -size +1M -size -8M |
	    xargs ls -S | head -n 4 | xargs cat >"$tmp/binaries"
	tar -cf "$tmp/doc.tar" -C /usr/share doc 2>/dev/null
	yes 'bocker layer line' | head -c 67108864 >"$tmp/repetitive"
}

make_data
for name in empty random text binaries doc.tar repetitive; do
	for level in 1 6 9; do
		gzip -"$level" -c "$tmp/$name" >"$tmp/$name.$level.gz"
		expect_same "$tmp/$name.$level.gz" "$tmp/$name" \
		    "$name gzip -$level"
	done
done

# gzip -n leaves the name and time out of the header; plain gzip
# stores FNAME.
gzip -n -6 -c "$tmp/text" >"$tmp/text.n.gz"
expect_same "$tmp/text.n.gz" "$tmp/text" "text gzip -n"
cp "$tmp/text" "$tmp/named"
gzip -6 "$tmp/named"
expect_same "$tmp/named.gz" "$tmp/text" "text gzip with name"

# Members of a concatenation decompress one after another.
cat "$tmp/text.6.gz" "$tmp/empty.6.gz" "$tmp/binaries.1.gz" \
    >"$tmp/members.gz"
cat "$tmp/text" "$tmp/binaries" >"$tmp/members"
expect_same "$tmp/members.gz" "$tmp/members" "concatenated members"

size=$(wc -c <"$tmp/binaries.6.gz")
for cut in 1 10 100 $((size / 2)) $((size - 8)) $((size - 1)); do
	head -c "$cut" "$tmp/binaries.6.gz" >"$tmp/cut.gz"
	expect_reject "$tmp/cut.gz" "$tmp/binaries" truncated "cut after $cut bytes"
done
cat "$tmp/text" "$tmp/text" >"$tmp/members2"
cat "$tmp/text.6.gz" "$tmp/text.6.gz" | head -c $(($(wc -c \
    <"$tmp/text.6.gz") + 20)) >"$tmp/cut.gz"
expect_reject "$tmp/cut.gz" "$tmp/members2" truncated "cut in second member"

cp "$tmp/text.6.gz" "$tmp/garbage.gz"
printf 'x' >>"$tmp/garbage.gz"
expect_reject "$tmp/garbage.gz" "$tmp/text" "trailing garbage" \
    "trailing garbage"
cp "$tmp/text.6.gz" "$tmp/garbage.gz"
head -c 1024 /dev/zero >>"$tmp/garbage.gz"
expect_reject "$tmp/garbage.gz" "$tmp/text" "trailing garbage" \
    "trailing zeros"

size=$(wc -c <"$tmp/text.6.gz")
cp "$tmp/text.6.gz" "$tmp/bad.gz"
printf '\377' | dd of="$tmp/bad.gz" bs=1 seek=$((size - 6)) \
    conv=notrunc 2>/dev/null
expect_reject "$tmp/bad.gz" "$tmp/text" "crc mismatch" "corrupt crc"
cp "$tmp/text.6.gz" "$tmp/bad.gz"
printf '\377' | dd of="$tmp/bad.gz" bs=1 seek=$((size - 2)) \
    conv=notrunc 2>/dev/null
expect_reject "$tmp/bad.gz" "$tmp/text" "length mismatch" "corrupt isize"
expect_reject "$tmp/empty" "$tmp/empty" "empty input" "empty input"

if [ -n "$INFLATE_BENCH" ]; then
	for f in doc.tar.6.gz binaries.6.gz text.9.gz; do
		mb=$(($(gzip -dc "$tmp/$f" | wc -c) / 1000000))
		start=$(date +%s%N)
		gzip -dc "$tmp/$f" >/dev/null
		end=$(date +%s%N)
		echo "# $f: inflate $("$prog" --bench "$tmp/$f")," \
		    "gzip -dc $((mb * 1000000000 / (end - start + 1))) MB/s"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
