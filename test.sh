#!/bin/bash
# test.sh - install what the tests need, build bocker, run every suite.
#
# Run as root on Debian 12 from the repository root; CI runs it through
# .ci/run. Prints one line per case ("ok N - name", "not ok N - name",
# "ok N - name # skip why"), then "N passed, N failed, N skipped", and
# exits non-zero if a case failed. Build and apt logs go to build/logs/.
#
# The suites, in order:
#   unit    tests/test_X.c compiled with X.c twice: statically with musl,
#           and with gcc's AddressSanitizer and UBSan. Each program runs
#           once without arguments and, where tests/test_X.sh exists, once
#           more through that script, which gets the program's path as $1.
#           A tests/test_*.sh without a .c beside it gets ./bocker as $1.
#   e2e     tests/e2e.sh, once with ./bocker and once with ./bocker-asan.
#   pull    tests/pull.sh the same way, where that file exists.
#
# The Debian root filesystem for the e2e suite is made with debootstrap
# once and kept in build/rootfs-debian.
set -u

cd "$(dirname "$0")" || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh

PACKAGES="make gcc libc6-dev musl-tools xz-utils ca-certificates
	busybox-static debootstrap btrfs-progs iproute2 iputils-ping
	util-linux mount coreutils findutils procps tar gzip python3
	crun hyperfine time clang libclang-rt-14-dev nftables"
UNIT_CFLAGS="-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I."
LOGS=build/logs

mkdir -p "$LOGS" || exit 1
TAP_FILE=$(mktemp /tmp/bocker-results.XXXXXX) || exit 1
export TAP_FILE
trap 'rm -f "$TAP_FILE"' EXIT

# step NAME LOG COMMAND...: run COMMAND with its output in LOG, as one
# case; on failure show the end of the log.
step()
{
	local name=$1 log=$2

	shift 2
	"$@" > "$log" 2>&1
	report "$name" $? "$log" "$*"
}

# report NAME STATUS LOG COMMAND: one case from a finished command.
report()
{
	if [ "$2" -eq 0 ]; then
		tap_ok "$1"
		return 0
	fi
	tap_not_ok "$1" "command: $4" "exit status: $2" \
		"last lines of $3:" "$(tail -n 20 "$3" | cut -c 1-300)"
	return 1
}

# Install only what is missing, so that re-runs need no network.
install_packages()
{
	local missing=

	for pkg in $PACKAGES; do
		# test_tar.sh needs a python3, which may not come from apt.
		if [ "$pkg" = python3 ] && command -v python3 > /dev/null; then
			continue
		fi
		dpkg-query -W -f '${Status}\n' "$pkg" 2> /dev/null |
			grep -q 'install ok installed' || missing="$missing $pkg"
	done
	if [ -z "$missing" ]; then
		echo "all packages present"
		return 0
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update || return 1
	# shellcheck disable=SC2086 # one package a word
	apt-get install -y $missing
}

# unit_build VARIANT OUTPUT NAME: compile tests/NAME.c for VARIANT (musl
# or asan). The first try links only the file under test. A test of a file
# that calls into others (http.c calls trace.c, certs.c and BearSSL) gets a
# second try with every source but bocker.c, which has main().
unit_build()
{
	local variant=$1 out=$2 name=$3 cc flags srcs src lib inc

	if [ "$variant" = musl ]; then
		cc="musl-gcc -static"
		lib=$(ls build/bearssl-*/build/libbearssl.a 2> /dev/null)
	else
		cc="gcc -g -fsanitize=address,undefined -fno-sanitize-recover=all"
		lib=$(ls build/bearssl-*/build-glibc/libbearssl.a 2> /dev/null)
	fi
	flags=$UNIT_CFLAGS
	for inc in build/bearssl-*/inc build/kernel-include; do
		[ -d "$inc" ] && flags="$flags -isystem $inc"
	done
	srcs=$(unit_sources "$name")
	echo "+ $cc $flags -o $out $srcs $lib -lm"
	# shellcheck disable=SC2086 # one file or flag a word
	$cc $flags -o "$out" $srcs $lib -lm && return 0
	srcs=tests/$name.c
	for src in *.c; do
		[ "$src" = bocker.c ] || srcs="$srcs $src"
	done
	echo "+ $cc $flags -o $out $srcs $lib -lm"
	# shellcheck disable=SC2086
	$cc $flags -o "$out" $srcs $lib -lm
}

# unit_test NAME: build tests/NAME.c both ways and run each build. Without
# arguments a program runs its own cases, unless it needs arguments: then
# it prints "usage:" and exits 2, and only tests/NAME.sh runs it.
unit_test()
{
	local name=$1 variant bin log status

	for variant in musl asan; do
		bin=build/$name
		[ "$variant" = asan ] && bin=build/$name-asan
		log=$LOGS/$(basename "$bin").log
		step "unit: build $name ($variant)" "$log.build" \
			unit_build "$variant" "$bin" "$name" || continue
		"$bin" < /dev/null > "$log" 2>&1
		status=$?
		if [ $status -eq 2 ] && grep -q '^usage:' "$log"; then
			[ -f "tests/$name.sh" ] ||
				tap_skip "unit: $name ($variant)" \
					"needs arguments and has no tests/$name.sh"
		else
			report "unit: $name ($variant)" $status "$log" "$bin"
		fi
		if [ -f "tests/$name.sh" ]; then
			step "unit: $name.sh ($variant)" "$log.sh" \
				bash "tests/$name.sh" "$(realpath "$bin")"
		fi
	done
}

# The sources of a unit test: tests/NAME.c and the file it tests, NAME
# without "test_" (test_json.c tests json.c). A header line that spells
# out the build command naming "-o build/NAME" overrides that guess.
unit_sources()
{
	local name=$1 line

	line=$(head -n 40 "tests/$name.c" | grep -e "-o build/$name " | head -n 1)
	if [ -n "$line" ]; then
		printf '%s\n' "$line" | tr -s ' \t' '\n' | grep '\.c$' |
			tr '\n' ' '
		return
	fi
	printf 'tests/%s.c' "$name"
	if [ -f "${name#test_}.c" ]; then
		printf ' %s.c' "${name#test_}"
	fi
}

run_unit_suites()
{
	local src name script

	for src in tests/test_*.c; do
		[ -f "$src" ] || continue
		name=$(basename "$src" .c)
		if [ ! -f "${name#test_}.c" ]; then
			tap_skip "unit: $name" "${name#test_}.c is not in the tree"
			continue
		fi
		unit_test "$name"
	done
	for script in tests/test_*.sh; do
		[ -f "$script" ] || continue
		[ -f "${script%.sh}.c" ] && continue
		if is_built ./bocker; then
			step "unit: $(basename "$script" .sh)" \
				"$LOGS/$(basename "$script" .sh).log" \
				bash "$script" "$(realpath ./bocker)"
		else
			tap_skip "unit: $(basename "$script" .sh)" "no ./bocker"
		fi
	done
}

is_built()
{
	case " $BUILT " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# run_suite SCRIPT BIN ARGS...: one end-to-end suite with one binary,
# unless that binary failed to build; ARGS follow BIN as the suite
# takes them.
run_suite()
{
	local script=$1 bin=$2

	shift 2
	if ! is_built "$bin"; then
		tap_skip "$(basename "$script" .sh) $bin" "$bin was not built"
		return
	fi
	BOCKER_TEST_DEBIAN=$DEBIAN_TREE ASAN_OPTIONS=detect_leaks=0 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		bash "$script" "$bin" "$@"
}

if [ "$(id -u)" != 0 ]; then
	tap_not_ok "run as root" "test.sh needs root: netns, mounts, cgroups"
	tap_summary
	exit 1
fi

step "install packages" "$LOGS/apt.log" install_packages
# A failed build may leave an older binary behind: test none of those.
BUILT=
step "build bocker" "$LOGS/make-bocker.log" \
	make -j"$(nproc)" bocker && BUILT="$BUILT ./bocker"
step "build bocker-asan" "$LOGS/make-bocker-asan.log" \
	make -j"$(nproc)" bocker-asan && BUILT="$BUILT ./bocker-asan"

run_unit_suites

DEBIAN_TREE=$PWD/build/rootfs-debian
step "debootstrap debian tree" "$LOGS/rootfs-debian.log" \
	bash tests/mkrootfs.sh debian "$DEBIAN_TREE" || DEBIAN_TREE=

for bin in ./bocker ./bocker-asan; do
	label=
	[ "$bin" = ./bocker-asan ] && label=" asan"
	run_suite tests/e2e.sh "$bin" "e2e$label: "
	run_suite tests/docker.sh "$bin" "docker$label: "
	run_suite tests/load.sh "$bin" "load$label: "
done

# The suites that pull run registries, whose packages come first.
step "install registry packages" "$LOGS/apt-registry.log" \
	bash tests/registry.sh install
for bin in ./bocker ./bocker-asan; do
	label=
	[ "$bin" = ./bocker-asan ] && label=" asan"
	run_suite tests/pull.sh "$bin" "$DEBIAN_TREE" "pull$label: "
	# crash.sh names its cases "crash: ..." itself.
	run_suite tests/crash.sh "$bin" "${label:+asan: }" "$DEBIAN_TREE"
done

# The parsers under libFuzzer, briefly: 10 s a target (make fuzz: 60 s).
step "fuzz parsers" "$LOGS/fuzz.log" bash fuzz/run.sh 10

tap_summary
