# bocker: one static binary built with musl-gcc, linking only BearSSL.
#
# Settings; override on the command line (make CC=... BUILD=...).
CC       = musl-gcc
CFLAGS   = -std=c11 -Os -Wall -Wextra -Werror -D_GNU_SOURCE \
           -ffunction-sections -fdata-sections
LDFLAGS  = -static -Wl,--gc-sections -s
BUILD    = build
BIN      = bocker
ASAN_BIN = bocker-asan

# Sanitizer build: glibc, AddressSanitizer and UBSan, for the tests.
ASAN_CC     = gcc
ASAN_CFLAGS = -std=c11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
              -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all

SRC = \
	bocker.c \
	btrfs.c \
	certs.c \
	cgroup.c \
	config.c \
	container.c \
	copy.c \
	hosts.c \
	http.c \
	image.c \
	inflate.c \
	inspect.c \
	json.c \
	layer.c \
	manifest.c \
	mount.c \
	netlink.c \
	network.c \
	nft.c \
	pty.c \
	pull.c \
	reference.c \
	store.c \
	tar.c \
	trace.c \
	util.c

HDR = bocker.h certs.h http.h inflate.h json.h layer.h manifest.h \
      reference.h tar.h

# BearSSL 0.6 from Debian's source package, fetched at build time
# into $(BUILD) with a private apt configuration: a deb-src list of
# our own, so the system's apt sources are neither read nor changed.
# The library is then compiled from that source with $(CC).
BEARSSL_VERSION = 0.6+dfsg.1
BEARSSL_DIR     = $(BUILD)/bearssl-$(BEARSSL_VERSION)
BEARSSL_LIB     = $(BEARSSL_DIR)/build/libbearssl.a
BEARSSL_GLIBC   = $(BEARSSL_DIR)/build-glibc/libbearssl.a
BEARSSL_MIRROR  = http://deb.debian.org/debian
APT_DIR         = $(BUILD)/apt
APT_OPTS        = -o Dir::Etc::SourceList=$(CURDIR)/$(APT_DIR)/sources.list \
                  -o Dir::Etc::SourceParts=/nonexistent \
                  -o Dir::State::Lists=$(CURDIR)/$(APT_DIR)/lists \
                  -o Dir::Cache=$(CURDIR)/$(APT_DIR)/cache \
                  -o APT::Sandbox::User=root

# musl-gcc searches only musl's own headers; the kernel's uapi headers
# (linux-libc-dev) are reached through a directory of links, the usual way
# to build against them with musl.
KINC = $(BUILD)/kernel-include

all: $(BIN)

$(KINC)/linux:
	mkdir -p $(KINC)
	ln -sfn /usr/include/linux $(KINC)/linux
	ln -sfn /usr/include/asm-generic $(KINC)/asm-generic
	ln -sfn /usr/include/$$(gcc -print-multiarch)/asm $(KINC)/asm

$(BIN): $(SRC) $(HDR) $(BEARSSL_LIB) $(KINC)/linux
	$(CC) $(CFLAGS) -isystem $(KINC) -I$(BEARSSL_DIR)/inc -o $@ $(SRC) \
		$(BEARSSL_LIB) $(LDFLAGS)

$(ASAN_BIN): $(SRC) $(HDR) $(BEARSSL_GLIBC)
	$(ASAN_CC) $(ASAN_CFLAGS) -I$(BEARSSL_DIR)/inc -o $@ $(SRC) \
		$(BEARSSL_GLIBC)

asan: $(ASAN_BIN)

$(BEARSSL_DIR)/Makefile:
	mkdir -p $(APT_DIR)/lists/partial $(APT_DIR)/cache/archives/partial
	echo 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(BEARSSL_MIRROR) bookworm main' \
		> $(APT_DIR)/sources.list
	apt-get -q $(APT_OPTS) update
	cd $(BUILD) && apt-get -q $(APT_OPTS) source --download-only \
		bearssl=$(BEARSSL_VERSION)-3
	tar -C $(BUILD) -xJf $(BUILD)/bearssl_$(BEARSSL_VERSION).orig.tar.xz
	test -d $(BEARSSL_DIR) || mv $(BUILD)/bearssl-0.6 $(BEARSSL_DIR)
	touch $@

# BearSSL's own Makefile builds the library: with musl-gcc for the
# static binary, and with glibc's gcc (in build-glibc/) for the sanitizer
# build, which cannot link musl objects.
$(BEARSSL_LIB): $(BEARSSL_DIR)/Makefile
	$(MAKE) -C $(BEARSSL_DIR) CC=$(CC) LD=$(CC) lib

$(BEARSSL_GLIBC): $(BEARSSL_DIR)/Makefile
	$(MAKE) -C $(BEARSSL_DIR) CC=$(ASAN_CC) LD=$(ASAN_CC) \
		BUILD=build-glibc lib

test: bocker bocker-asan
	./test.sh

# Coverage-guided fuzzing of the parsers with clang's libFuzzer, 60 s a
# target (test.sh runs 10 s a target).
fuzz: $(BEARSSL_GLIBC)
	fuzz/run.sh 60

# The long versions of the crash and load suites.
stress: bocker
	CRASH_ROUNDS=200 bash tests/crash.sh ./bocker "crash: " \
		$(BUILD)/rootfs-debian
	LOAD_PARALLEL=100 LOAD_SEQUENTIAL=1000 bash tests/load.sh ./bocker \
		"load: "

clean:
	rm -f bocker bocker-asan

distclean: clean
	rm -rf $(BUILD)

.PHONY: all asan test fuzz stress clean distclean
