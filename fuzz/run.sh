#!/bin/sh
# run.sh - build every libFuzzer target with clang and run each for a
# bounded time on a copy of its seed corpus.
#
# usage: fuzz/run.sh [SECONDS_PER_TARGET]	(default 60)
#
# Prints "ok N - fuzz NAME (RUNS runs, SECONDS s)" per target, or
# "not ok N - fuzz NAME (crash: FILE)" with the input that crashed it,
# kept in $FUZZ_CRASH_DIR (default /tmp/bocker-fuzz-crashes), then
# "N passed, N failed". Exits 1 if any target crashed or failed to
# build. The seeds, which include every input that once crashed a
# target, run first; a fixed -seed makes runs repeatable as far as
# timing allows. Each target is one process, so it uses one core.
# Needs clang with libFuzzer, and the glibc BearSSL library of
# "make asan" for the http target. CC overrides the compiler.
set -u

seconds=${1:-60}
case $seconds in
''|*[!0-9]*)
	echo "usage: $0 [SECONDS_PER_TARGET]" >&2
	exit 2
	;;
esac
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-clang}
bearssl=build/bearssl-0.6+dfsg.1
crash_dir=${FUZZ_CRASH_DIR:-/tmp/bocker-fuzz-crashes}
# A tmpfs when there is one: fuzz_tar creates and removes files for
# every input.
parent=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && parent=/dev/shm
tmp=$(mktemp -d "$parent/bocker-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "run.sh: '$CC' not found; install clang" >&2
	exit 2
fi
cflags="-std=c11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer"
# inflate is checked against zlib when its header is installed.
zlib=
if printf '#include <zlib.h>\n' | $CC -E -x c - >/dev/null 2>&1; then
	zlib="-DFUZZ_ZLIB -lz"
fi

# sources NAME: the files a target links besides its own.
sources() {
	case $1 in
	json) echo "json.c -lm" ;;
	http) echo "http.c trace.c certs.c -I$bearssl/inc" \
		"$bearssl/build-glibc/libbearssl.a" ;;
	reference) echo "reference.c" ;;
	manifest) echo "manifest.c json.c reference.c -lm" ;;
	inflate) echo "inflate.c $zlib" ;;
	tar) echo "tar.c" ;;
	esac
}

# max_len NAME: the largest input libFuzzer makes for a target.
max_len() {
	case $1 in
	tar|inflate) echo 65536 ;;
	*) echo 16384 ;;
	esac
}

n=0
passed=0
failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - fuzz $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz $2"
	fi
}

for name in json http reference manifest inflate tar; do
	bin=$tmp/fuzz_$name
	# shellcheck disable=SC2046 # the source lists split on purpose
	if ! $CC $cflags -o "$bin" "fuzz/fuzz_$name.c" $(sources "$name") \
	    >"$tmp/$name.build" 2>&1; then
		result 1 "$name (build failed)"
		sed 's/^/# /' "$tmp/$name.build"
		continue
	fi
	mkdir -p "$tmp/corpus/$name" "$tmp/tar" "$tmp/out/$name"
	cp fuzz/corpus/"$name"/* "$tmp/corpus/$name/" 2>/dev/null
	FUZZ_TAR_DIR=$tmp/tar "$bin" -seed=1 -max_total_time="$seconds" \
	    -max_len="$(max_len "$name")" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$tmp/out/$name/" \
	    "$tmp/corpus/$name" \
	    >"$tmp/$name.log" 2>&1
	status=$?
	crash=$(ls "$tmp/out/$name/" 2>/dev/null | head -n 1)
	if [ $status -eq 0 ] && [ -z "$crash" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$tmp/$name.log")
		result 0 "$name (${runs:-?} runs, $seconds s)"
		continue
	fi
	if [ -n "$crash" ]; then
		mkdir -p "$crash_dir/$name"
		cp "$tmp/out/$name/$crash" "$crash_dir/$name/"
		result 1 "$name (crash: $crash_dir/$name/$crash)"
	else
		result 1 "$name (exit status $status)"
	fi
	# The sanitizer's report, with only the frames in our sources.
	grep -E "ERROR|SUMMARY|^fuzz_[a-z]+:|formats as| in .* $PWD/" \
	    "$tmp/$name.log" | head -n 30 | sed 's/^/# /'
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
