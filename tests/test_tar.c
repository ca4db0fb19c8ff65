/*
 * test_tar.c - feed the tar stream on standard input to tar.c in chunks
 * of random size, so that tests/test_tar.sh can run real archives.
 *
 * usage: test_tar <rootdir> < stream.tar
 *        test_tar --kat
 *
 * On failure it prints "test_tar: <reason>" and exits 1. --kat runs the
 * known-answer cases of the numeric field parser. Environment:
 * TEST_TAR_WALK=1 resolves paths by the O_NOFOLLOW walk instead of
 * openat2, TEST_TAR_CHUNK=<n> feeds exactly n bytes at a time, and
 * TEST_TAR_SEED=<n> seeds the chunk sizes (default 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar.h"

struct number_case {
	const char *name;
	const char *field;
	size_t len;
	int ok;			/* 1 if the parser accepts the field */
	int64_t want;
};

static const struct number_case number_cases[] = {
	{ "octal mode with NUL", "0000644\0", 8, 1, 0644 },
	{ "octal with spaces", "     12 ", 8, 1, 012 },
	{ "all NULs", "\0\0\0\0\0\0\0\0", 8, 1, 0 },
	{ "all spaces", "        ", 8, 1, 0 },
	{ "size field full", "77777777777\0", 12, 1, 077777777777 },
	{ "no terminator", "12345670", 8, 1, 012345670 },
	{ "digit after space", "12 3\0\0\0\0", 8, 0, 0 },
	{ "digit 8", "0000008\0", 8, 0, 0 },
	{ "letter", "00x0644\0", 8, 0, 0 },
	{ "octal overflow", "7777777777777777777777", 22, 0, 0 },
	{ "base-256 small", "\x80\0\0\0\0\0\0\0\0\0\0\x05", 12, 1, 5 },
	{ "base-256 2^32", "\x80\0\0\0\0\0\0\x01\0\0\0\0", 12, 1,
	  INT64_C(1) << 32 },
	{ "base-256 uid", "\x80\0\0\0\0\x2d\xc6\xc0", 8, 1, 3000000 },
	{ "base-256 minus one", "\xff\xff\xff\xff\xff\xff\xff\xff", 8, 1,
	  -1 },
	{ "base-256 minus two", "\xff\xff\xff\xff\xff\xff\xff\xfe", 8, 1,
	  -2 },
	{ "base-256 max", "\x80\0\0\0\x7f\xff\xff\xff\xff\xff\xff\xff", 12,
	  1, INT64_MAX },
	{ "base-256 overflow", "\x80\0\0\0\x80\0\0\0\0\0\0\0", 12, 0, 0 },
	{ "empty field", "", 0, 0, 0 },
};

static int
run_kat(void)
{
	const struct number_case *c;
	size_t i, n = sizeof(number_cases) / sizeof(number_cases[0]);
	int64_t got;
	int failed = 0, ok;

	for (i = 0; i < n; i++) {
		c = &number_cases[i];
		got = -12345;
		ok = tar_parse_number(c->field, c->len, &got) == 0;
		if (ok == c->ok && (!ok || got == c->want)) {
			printf("ok %zu - number %s\n", i + 1, c->name);
			continue;
		}
		printf("not ok %zu - number %s: returned %s, value %lld\n",
		       i + 1, c->name, ok ? "0" : "-1", (long long)got);
		failed++;
	}
	printf("%zu passed, %d failed\n", n - (size_t)failed, failed);
	return failed ? 1 : 0;
}

/* Mostly small chunks, to split headers and records; some large ones. */
static size_t
chunk_size(size_t fixed)
{
	if (fixed > 0)
		return fixed;
	switch (rand() % 4) {
	case 0:
		return 1 + (size_t)(rand() % 16);
	case 1:
		return 1 + (size_t)(rand() % 1100);
	case 2:
		return 512;
	default:
		return 1 + (size_t)(rand() % 65536);
	}
}

static int
extract(struct tar *t, size_t fixed)
{
	static unsigned char buf[65536];
	size_t have = 0, off = 0, n;
	ssize_t r;

	for (;;) {
		if (off == have) {
			r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				fprintf(stderr, "test_tar: read stdin: %s\n",
					strerror(errno));
				return -2;
			}
			if (r == 0)
				return 0;
			have = (size_t)r;
			off = 0;
		}
		n = chunk_size(fixed);
		if (n > have - off)
			n = have - off;
		if (tar_feed(t, buf + off, n) < 0)
			return -1;
		off += n;
	}
}

int
main(int argc, char **argv)
{
	static struct tar t;
	const char *env;
	size_t fixed = 0;
	int rootfd, r;

	if (argc == 2 && strcmp(argv[1], "--kat") == 0)
		return run_kat();
	if (argc != 2) {
		fprintf(stderr, "usage: test_tar <rootdir> < stream.tar\n"
			"       test_tar --kat\n");
		return 2;
	}
	env = getenv("TEST_TAR_SEED");
	srand(env ? (unsigned)strtoul(env, NULL, 10) : 1);
	env = getenv("TEST_TAR_CHUNK");
	if (env)
		fixed = strtoul(env, NULL, 10);
	rootfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "test_tar: open '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	if (tar_init(&t, rootfd) < 0) {
		fprintf(stderr, "test_tar: %s\n", t.error);
		return 1;
	}
	env = getenv("TEST_TAR_WALK");
	if (env && strcmp(env, "1") == 0)
		t.flags |= TAR_NO_OPENAT2;
	r = extract(&t, fixed);
	/* tar_finish frees the state, so it runs after a failure too. */
	if (tar_finish(&t) < 0 && r == 0)
		r = -1;
	close(rootfd);
	if (r == -2)
		return 1;
	if (r < 0) {
		fprintf(stderr, "test_tar: %s\n", t.error);
		return 1;
	}
	return 0;
}
