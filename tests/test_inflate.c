/*
 * test_inflate.c - known-answer and broken-stream tests for inflate.c.
 *
 *	test_inflate			run every built-in case
 *	test_inflate <name>...		run the named cases
 *	test_inflate <file.gz> <expected>
 *					decompress a file, fed in chunks of
 *					random size, and compare the output
 *	test_inflate --bench <file.gz>	print the decompression speed
 *
 * Output is one "ok N - name" or "not ok N - name" line per case, then
 * "N passed, N failed". INFLATE_SEED sets the seed of the chunk sizes.
 * Broken streams are built bit by bit with a small DEFLATE writer below,
 * and CRCs are computed bit by bit, independently of inflate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inflate.h"

#define MAX_STREAM	(1 << 17)

static int passed, failed;
static uint64_t rng_seed = 0x9e3779b97f4a7c15ull, rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t
crc32_bitwise(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffff;
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/* A DEFLATE bit writer: fields go least significant bit first. */
struct writer {
	unsigned char buf[MAX_STREAM];
	size_t len;
	unsigned bit;		/* bits used of buf[len] */
};

static void
put_bits(struct writer *w, unsigned value, unsigned n)
{
	while (n-- > 0) {
		if (w->bit == 0)
			w->buf[w->len] = 0;
		w->buf[w->len] |= (value & 1) << w->bit;
		value >>= 1;
		if (++w->bit == 8) {
			w->bit = 0;
			w->len++;
		}
	}
}

/* Huffman codes go most significant bit first (RFC 1951 3.1.1). */
static void
put_code(struct writer *w, unsigned code, unsigned len)
{
	while (len-- > 0)
		put_bits(w, code >> len, 1);
}

static void
put_align(struct writer *w)
{
	if (w->bit != 0)
		put_bits(w, 0, 8 - w->bit);
}

static void
put_bytes(struct writer *w, const void *p, size_t n)
{
	put_align(w);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* Canonical codes for the given lengths (RFC 1951 3.2.2). */
struct code {
	unsigned code[320];
	unsigned char len[320];
};

static void
make_code(struct code *c, const unsigned char *lens, unsigned n)
{
	unsigned count[16] = { 0 }, next[16] = { 0 }, i;

	for (i = 0; i < n; i++)
		count[lens[i]]++;
	count[0] = 0;
	for (i = 1; i < 16; i++)
		next[i] = (next[i - 1] + count[i - 1]) << 1;
	for (i = 0; i < n; i++) {
		c->len[i] = lens[i];
		if (lens[i] != 0)
			c->code[i] = next[lens[i]]++;
	}
}

static void
put_symbol(struct writer *w, const struct code *c, unsigned sym)
{
	put_code(w, c->code[sym], c->len[sym]);
}

static void
put_fixed_literal(struct writer *w, unsigned sym)
{
	if (sym < 144)
		put_code(w, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(w, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(w, sym - 256, 7);
	else
		put_code(w, 0xc0 + sym - 280, 8);
}

/* Writes a match in the fixed code: any length 3..258, any distance. */
static void
put_fixed_match(struct writer *w, unsigned len, unsigned dist)
{
	static const unsigned lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13,
	    15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
	    163, 195, 227, 258 };
	static const unsigned dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25,
	    33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
	    3073, 4097, 6145, 8193, 12289, 16385, 24577 };
	unsigned l = 28, d = 29;

	while (lbase[l] > len)
		l--;
	while (dbase[d] > dist)
		d--;
	put_fixed_literal(w, 257 + l);
	put_bits(w, len - lbase[l], l < 8 || l == 28 ? 0 : (l - 4) / 4);
	put_code(w, d, 5);
	put_bits(w, dist - dbase[d], d < 4 ? 0 : (d - 2) / 2);
}

static void
put_stored(struct writer *w, int final, const void *p, unsigned n)
{
	unsigned char len[4] = { n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff };

	put_bits(w, final, 1);
	put_bits(w, 0, 2);
	put_bytes(w, len, 4);
	put_bytes(w, p, n);
}

/* Writes a dynamic block header with all 19 code length code lengths. */
static void
put_dynamic_start(struct writer *w, unsigned hlit, unsigned hdist,
    const unsigned char cl_lens[19], int final)
{
	static const unsigned char order[19] = { 16, 17, 18, 0, 8, 7, 9, 6,
	    10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
	int i;

	put_bits(w, final, 1);
	put_bits(w, 2, 2);
	put_bits(w, hlit - 257, 5);
	put_bits(w, hdist - 1, 5);
	put_bits(w, 19 - 4, 4);
	for (i = 0; i < 19; i++)
		put_bits(w, cl_lens[order[i]], 3);
}

/*
 * Writes a dynamic block header whose code length code gives the lengths
 * 0..15 four bits each, and sends every length as one symbol.
 */
static void
put_dynamic_block(struct writer *w, const unsigned char *lens,
    unsigned hlit, unsigned hdist, int final)
{
	unsigned char cl_lens[19] = { 0 };
	unsigned i;

	memset(cl_lens, 4, 16);
	put_dynamic_start(w, hlit, hdist, cl_lens, final);
	for (i = 0; i < hlit + hdist; i++)
		put_code(w, lens[i], 4);
}

static void
put_dynamic(struct writer *w, const unsigned char *lens, unsigned hlit,
    unsigned hdist)
{
	put_dynamic_block(w, lens, hlit, hdist, 1);
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Wraps raw DEFLATE data into a gzip member with a plain header. */
static size_t
wrap_gzip(unsigned char *dst, const unsigned char *raw, size_t raw_len,
    const void *data, size_t data_len)
{
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0,
	    0, 0, 3 };

	memcpy(dst, header, 10);
	memcpy(dst + 10, raw, raw_len);
	put_le32(dst + 10 + raw_len, crc32_bitwise(data, data_len));
	put_le32(dst + 14 + raw_len, data_len);
	return raw_len + 18;
}

/* The outcome of decoding one stream. */
struct result {
	int rc;			/* 0, or -1 if a call failed */
	int err;		/* errno after the failure */
	const char *why;
	int end;		/* last return value of a successful feed */
	unsigned char *out;
	size_t out_len, out_cap;
	int fail_after;		/* callback fails once out_len exceeds this */
};

static int
collect(void *ctx, const unsigned char *p, size_t n)
{
	struct result *r = ctx;

	if (r->fail_after >= 0 && r->out_len + n > (size_t)r->fail_after) {
		errno = ENOSPC;
		return -1;
	}
	if (r->out_len + n > r->out_cap) {
		r->out_cap = (r->out_len + n) * 2;
		r->out = realloc(r->out, r->out_cap);
		if (r->out == NULL)
			abort();
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	return 0;
}

/* Decodes a stream fed in chunks of the given size, 0 for random. */
static void
run_stream(struct result *r, int raw, const unsigned char *in, size_t len,
    size_t chunk, int fail_after)
{
	static struct inflate z;
	size_t pos = 0, n;
	int ret = 0;

	free(r->out);
	memset(r, 0, sizeof(*r));
	r->fail_after = fail_after;
	inflate_init(&z);
	do {
		n = chunk != 0 ? chunk : 1 + rng() % 50;
		if (n > len - pos)
			n = len - pos;
		ret = raw ? inflate_raw(&z, in + pos, n, collect, r) :
		    inflate_gzip(&z, in + pos, n, collect, r);
		if (ret < 0)
			break;
		r->end = ret;
		pos += n;
	} while (pos < len);
	if (ret >= 0)
		ret = inflate_finish(&z);
	r->rc = ret < 0 ? -1 : 0;
	r->err = ret < 0 ? errno : 0;
	r->why = z.error;
	if (ret >= 0 && (z.total_in != len || z.total_out != r->out_len))
		r->rc = -2;
}

static struct result res;

static int
check(int cond, const char *what)
{
	if (!cond)
		printf("# failed: %s\n", what);
	return cond ? 0 : 1;
}

/* Expects a stream to decode to want, whole, bytewise and in chunks. */
static int
expect_data(int raw, const unsigned char *in, size_t len, const void *want,
    size_t want_len)
{
	static const size_t chunks[] = { MAX_STREAM, 1, 3, 0 };
	unsigned i;
	int bad = 0;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run_stream(&res, raw, in, len, chunks[i], -1);
		if (res.rc != 0)
			printf("# chunk %zu: error '%s'\n", chunks[i],
			    res.why ? res.why : "(none)");
		bad |= check(res.rc == 0, "decodes without error");
		bad |= check(res.end == 1, "last call returns 1");
		bad |= check(res.out_len == want_len, "output length");
		bad |= check(res.out_len == want_len &&
		    (want_len == 0 || memcmp(res.out, want, want_len) == 0),
		    "output bytes");
		if (bad)
			break;
	}
	return bad;
}

/* Expects a stream to fail with the given reason, whole and bytewise. */
static int
expect_error(int raw, const unsigned char *in, size_t len, const char *why)
{
	static const size_t chunks[] = { MAX_STREAM, 1, 0 };
	unsigned i;
	int bad = 0;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run_stream(&res, raw, in, len, chunks[i], -1);
		if (res.why == NULL || strcmp(res.why, why) != 0)
			printf("# expected '%s', got '%s'\n", why,
			    res.why ? res.why : "(none)");
		bad |= check(res.rc == -1, "decoding fails");
		bad |= check(res.err == EBADMSG, "errno is EBADMSG");
		bad |= check(res.why != NULL && strcmp(res.why, why) == 0,
		    "reason");
		if (bad)
			break;
	}
	return bad;
}

static const unsigned char gzip_hello[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48,
	0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00,
	0x00
};

/* text as raw DEFLATE from Python's zlib at level 9: one dynamic block */
static const char text[] = "bocker pulls image layers from a registry, "
    "checks each digest, and unpacks every tar.gz into a fresh btrfs "
    "subvolume or overlay directory. Layers arrive as gzip members; we "
    "inflate them in a stream, with a fixed window, and never trust a "
    "length field.\n";
static const unsigned char raw_text[] = {
	0x25, 0x8e, 0xcb, 0x91, 0xc3, 0x30, 0x0c, 0x43, 0xef, 0x5b, 0x05, 0x0a,
	0xf0, 0xb8, 0x81, 0x6d, 0x21, 0x4d, 0xd0, 0x12, 0x25, 0x6b, 0xa2, 0x8f,
	0x87, 0xa4, 0xec, 0x38, 0xd5, 0x2f, 0xb3, 0x39, 0x82, 0x00, 0xf1, 0xb0,
	0x8d, 0xf0, 0x64, 0xc1, 0x31, 0x6b, 0x55, 0x94, 0x46, 0x99, 0x51, 0xe9,
	0x66, 0x51, 0x24, 0x19, 0x0d, 0x04, 0xe1, 0x5c, 0xd4, 0xe4, 0x5e, 0x10,
	0x76, 0x0e, 0x4f, 0x05, 0x53, 0xd8, 0x11, 0x4b, 0x66, 0xb5, 0x05, 0xd4,
	0x23, 0x66, 0x3f, 0xe8, 0xdf, 0x38, 0x59, 0x6e, 0x18, 0xc9, 0x9a, 0xdf,
	0x28, 0xdd, 0x86, 0x7f, 0x27, 0x61, 0xdd, 0xb1, 0x99, 0x24, 0x85, 0xce,
	0xed, 0x1c, 0x75, 0x36, 0xc6, 0x10, 0x0c, 0x0f, 0x3b, 0xc8, 0x8b, 0x84,
	0x83, 0x0d, 0xb9, 0x57, 0x3c, 0xbe, 0x5c, 0x12, 0x29, 0x27, 0x83, 0x14,
	0xf9, 0x5d, 0x0e, 0x34, 0x6e, 0x9b, 0x9f, 0x7f, 0x71, 0xb1, 0x97, 0xa6,
	0x4a, 0xc6, 0xb0, 0x9d, 0x9b, 0x0b, 0xef, 0xf7, 0x65, 0x4c, 0x6d, 0xc1,
	0x55, 0x6c, 0xff, 0xe0, 0xca, 0x8b, 0xa3, 0x8b, 0x1e, 0xc7, 0xf5, 0x1d,
	0xd7, 0x3f, 0xab, 0x60, 0x32, 0xd5, 0xdc, 0xaf, 0xdc, 0xb3, 0x07, 0x53,
	0xe1, 0x1a, 0xd7, 0x9f, 0x3f
};

static struct writer w;
static unsigned char buf[MAX_STREAM], buf2[MAX_STREAM];

/* A gzip member of text, with every optional header field. */
static size_t
make_full_member(unsigned char *dst)
{
	static const unsigned char header[] = { 0x1f, 0x8b, 8,
	    0x02 | 0x04 | 0x08 | 0x10, 1, 2, 3, 4, 0, 3,
	    5, 0, 'a', 'b', 2, 0, 'x',		/* FEXTRA */
	    'l', 'a', 'y', 'e', 'r', 0,		/* FNAME */
	    'n', 'o', 't', 'e', 0 };		/* FCOMMENT */
	size_t n = sizeof(header);
	uint32_t crc;

	memcpy(dst, header, n);
	crc = crc32_bitwise(dst, n);
	dst[n++] = crc;
	dst[n++] = crc >> 8;
	memcpy(dst + n, raw_text, sizeof(raw_text));
	n += sizeof(raw_text);
	put_le32(dst + n, crc32_bitwise((const void *)text, strlen(text)));
	put_le32(dst + n + 4, strlen(text));
	return n + 8;
}

static int
test_gzip_hello(void)
{
	return expect_data(0, gzip_hello, sizeof(gzip_hello), "hello", 5);
}

static int
test_gzip_empty_member(void)
{
	static const unsigned char empty[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0,
	    0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

	return expect_data(0, empty, sizeof(empty), "", 0);
}

static int
test_dynamic_block(void)
{
	return expect_data(1, raw_text, sizeof(raw_text), text, strlen(text));
}

static int
test_header_fields(void)
{
	size_t n = make_full_member(buf);

	return expect_data(0, buf, n, text, strlen(text));
}

static int
test_header_crc_bad(void)
{
	size_t n = make_full_member(buf);

	buf[28] ^= 1;
	return expect_error(0, buf, n, "header crc mismatch");
}

static int
test_concatenated_members(void)
{
	size_t n = make_full_member(buf);
	char want[2 * sizeof(text) + 10];

	memcpy(buf + n, gzip_hello, sizeof(gzip_hello));
	n += sizeof(gzip_hello);
	memcpy(buf + n, buf, n);
	snprintf(want, sizeof(want), "%shello%shello", text, text);
	return expect_data(0, buf, 2 * n, want, strlen(want));
}

static int
test_stored_blocks(void)
{
	memset(&w, 0, sizeof(w));
	put_stored(&w, 0, "", 0);
	put_stored(&w, 0, "abc", 3);
	put_bits(&w, 0, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'd');
	put_fixed_literal(&w, 256);
	put_stored(&w, 1, "ef", 2);
	return expect_data(1, w.buf, w.len, "abcdef", 6);
}

static int
test_overlapping_match(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'a');
	put_fixed_match(&w, 4, 1);
	put_fixed_literal(&w, 'b');
	put_fixed_match(&w, 7, 2);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_data(1, w.buf, w.len, "aaaaababababa", 13);
}

/* A match of 258 bytes from 32768 back, the farthest DEFLATE allows. */
static int
test_distance_32768(void)
{
	unsigned i;

	for (i = 0; i < 32768; i++)
		buf2[i] = rng();
	memcpy(buf2 + 32768, buf2, 258);
	memset(&w, 0, sizeof(w));
	put_stored(&w, 0, buf2, 32768);
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_match(&w, 258, 32768);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_data(1, w.buf, w.len, buf2, 32768 + 258);
}

/*
 * Random literals and matches in fixed blocks, about 100 KiB of output,
 * so matches cross the end of the window at every distance class.
 */
static int
test_random_matches(void)
{
	size_t out = 0;
	unsigned len, dist, i;

	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	while (out < 100000) {
		if (out == 0 || rng() % 3 == 0) {
			buf2[out] = rng() % 4 == 0 ? rng() : 'a' + rng() % 3;
			put_fixed_literal(&w, buf2[out++]);
			continue;
		}
		len = 3 + rng() % (rng() % 2 ? 10 : 256);
		dist = 1 + rng() % (out < 32768 ? out : 32768);
		if (rng() % 2)
			dist = 1 + rng() % (dist < 40 ? dist : 40);
		for (i = 0; i < len; i++, out++)
			buf2[out] = buf2[out - dist];
		put_fixed_match(&w, len, dist);
	}
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_data(1, w.buf, w.len, buf2, out);
}

/* RFC 1951 3.2.7 allows a single distance code of one bit. */
static int
test_single_distance_code(void)
{
	unsigned char lens[258 + 1] = { 0 };
	struct code lit, dist;

	memset(lens, 9, 256);	/* half the code space in 9-bit codes */
	lens[256] = 2;		/* and half in two 2-bit codes */
	lens[257] = 2;
	lens[258] = 1;		/* the one distance code */
	make_code(&lit, lens, 258);
	make_code(&dist, lens + 258, 1);
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 258, 1);
	put_symbol(&w, &lit, 'z');
	put_symbol(&w, &lit, 257);
	put_symbol(&w, &dist, 0);
	put_symbol(&w, &lit, 256);
	put_align(&w);
	return expect_data(1, w.buf, w.len, "zzzz", 4);
}

/* Fixed codes must be rebuilt after a dynamic block replaced them. */
static int
test_fixed_after_dynamic(void)
{
	unsigned char lens[258 + 1] = { 0 };
	struct code lit, dist;

	memset(lens, 9, 256);
	lens[256] = 2;
	lens[257] = 2;
	lens[258] = 1;
	make_code(&lit, lens, 258);
	make_code(&dist, lens + 258, 1);
	memset(&w, 0, sizeof(w));
	put_bits(&w, 0, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'a');
	put_fixed_literal(&w, 256);
	put_dynamic_block(&w, lens, 258, 1, 0);
	put_symbol(&w, &lit, 'b');
	put_symbol(&w, &lit, 257);
	put_symbol(&w, &dist, 0);
	put_symbol(&w, &lit, 256);
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'c');
	put_fixed_match(&w, 3, 4);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_data(1, w.buf, w.len, "abbbbcbbb", 9);
}

static int
test_too_far_back(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'a');
	put_fixed_match(&w, 3, 2);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_error(1, w.buf, w.len, "invalid distance too far back");
}

/* A member may not refer to the output of the member before it. */
static int
test_too_far_back_member(void)
{
	size_t n;

	memcpy(buf, gzip_hello, sizeof(gzip_hello));
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'o');
	put_fixed_match(&w, 3, 3);
	put_fixed_literal(&w, 256);
	put_align(&w);
	n = wrap_gzip(buf + sizeof(gzip_hello), w.buf, w.len, "olol", 4);
	return expect_error(0, buf, sizeof(gzip_hello) + n,
	    "invalid distance too far back");
}

static int
test_block_type_3(void)
{
	static const unsigned char raw[] = { 0x07, 0x00 };
	size_t n = wrap_gzip(buf, raw, sizeof(raw), "", 0);

	return expect_error(1, raw, sizeof(raw), "invalid block type") |
	    expect_error(0, buf, n, "invalid block type");
}

static int
test_stored_length_mismatch(void)
{
	static const unsigned char raw[] = { 0x01, 0x03, 0x00, 0xfc, 0xfe,
	    'a', 'b', 'c' };

	return expect_error(1, raw, sizeof(raw),
	    "invalid stored block length");
}

static int
test_invalid_length_code(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'a');
	put_fixed_literal(&w, 286);
	put_code(&w, 0, 5);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_error(1, w.buf, w.len, "invalid literal/length code");
}

static int
test_invalid_distance_code(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 1, 2);
	put_fixed_literal(&w, 'a');
	put_fixed_literal(&w, 257);
	put_code(&w, 30, 5);
	put_fixed_literal(&w, 256);
	put_align(&w);
	return expect_error(1, w.buf, w.len, "invalid distance code");
}

static int
test_oversubscribed_code_length_code(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 2, 2);
	put_bits(&w, 0, 5);
	put_bits(&w, 0, 5);
	put_bits(&w, 0, 4);	/* HCLEN 4: symbols 16, 17, 18, 0 */
	put_bits(&w, 1, 3);
	put_bits(&w, 1, 3);
	put_bits(&w, 1, 3);
	put_bits(&w, 1, 3);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len,
	    "over-subscribed code length code");
}

static int
test_incomplete_code_length_code(void)
{
	unsigned char cl_lens[19] = { 0 };

	cl_lens[8] = 1;		/* one code of one bit */
	memset(&w, 0, sizeof(w));
	put_dynamic_start(&w, 257, 1, cl_lens, 1);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "incomplete code length code");
}

static int
test_oversubscribed_literal_code(void)
{
	unsigned char lens[258] = { 0 };

	memset(lens, 8, 257);	/* 257 codes of 8 bits */
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 257, 1);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len,
	    "over-subscribed literal/length code");
}

static int
test_incomplete_literal_code(void)
{
	unsigned char lens[258] = { 0 };

	memset(lens, 8, 255);	/* 255 of 256 codes of 8 bits */
	lens[256] = 8;
	lens[255] = 0;
	lens[254] = 0;
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 257, 1);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "incomplete literal/length code");
}

static int
test_incomplete_distance_code(void)
{
	unsigned char lens[257 + 2] = { 0 };

	memset(lens, 8, 256);
	lens[256] = 8;		/* over by one: drop a literal */
	lens[0] = 0;
	lens[257] = 2;		/* two distance codes of 2 bits */
	lens[258] = 2;
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 257, 2);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "incomplete distance code");
}

/* With no distance codes at all, a block may hold only literals. */
static int
test_no_distance_codes(void)
{
	unsigned char lens[258 + 1] = { 0 };
	struct code lit;
	int bad;

	memset(lens, 8, 256);
	lens[0] = 0;
	lens[256] = 8;
	lens[257] = 0;
	make_code(&lit, lens, 257);
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 257, 1);
	put_symbol(&w, &lit, 'n');
	put_symbol(&w, &lit, 256);
	put_align(&w);
	bad = expect_data(1, w.buf, w.len, "n", 1);

	/* A length symbol with no distance code to follow is invalid. */
	lens[256] = 9;
	lens[257] = 9;
	lens[258] = 0;
	make_code(&lit, lens, 258);
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 258, 1);
	put_symbol(&w, &lit, 'n');
	put_symbol(&w, &lit, 257);
	put_bits(&w, 0xffff, 16);
	return bad | expect_error(1, w.buf, w.len, "invalid distance code");
}

static int
test_missing_end_of_block(void)
{
	unsigned char lens[258] = { 0 };

	memset(lens, 8, 256);
	memset(&w, 0, sizeof(w));
	put_dynamic(&w, lens, 257, 1);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "missing end-of-block code");
}

static int
test_too_many_codes(void)
{
	memset(&w, 0, sizeof(w));
	put_bits(&w, 1, 1);
	put_bits(&w, 2, 2);
	put_bits(&w, 30, 5);	/* HLIT 287 */
	put_bits(&w, 0, 9);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len,
	    "too many length or distance codes");
}

static int
test_repeat_without_first(void)
{
	unsigned char cl_lens[19] = { 0 };

	memset(cl_lens, 5, 16);	/* symbols 0..15: codes 10000..11111 */
	cl_lens[16] = 1;	/* symbol 16: code 0 */
	memset(&w, 0, sizeof(w));
	put_dynamic_start(&w, 257, 1, cl_lens, 1);
	put_code(&w, 0, 1);
	put_bits(&w, 0, 2);
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "repeated length with no first");
}

static int
test_too_many_lengths(void)
{
	unsigned char cl_lens[19] = { 0 };

	memset(cl_lens, 5, 16);
	cl_lens[18] = 1;	/* symbol 18: 11..138 zeros, code 0 */
	memset(&w, 0, sizeof(w));
	put_dynamic_start(&w, 257, 1, cl_lens, 1);
	put_code(&w, 0, 1);
	put_bits(&w, 127, 7);	/* 138 */
	put_code(&w, 0, 1);
	put_bits(&w, 127, 7);	/* 276 of 258 */
	put_bits(&w, 0, 16);
	return expect_error(1, w.buf, w.len, "too many code lengths");
}

static int
test_bad_crc(void)
{
	memcpy(buf, gzip_hello, sizeof(gzip_hello));
	buf[sizeof(gzip_hello) - 8] ^= 0x80;
	return expect_error(0, buf, sizeof(gzip_hello), "crc mismatch");
}

static int
test_bad_isize(void)
{
	memcpy(buf, gzip_hello, sizeof(gzip_hello));
	buf[sizeof(gzip_hello) - 1] ^= 0x01;
	return expect_error(0, buf, sizeof(gzip_hello), "length mismatch");
}

/* Every cut of two members fails, except the one between them. */
static int
test_truncated(void)
{
	size_t first = make_full_member(buf), len, cut;
	int bad = 0;

	memcpy(buf + first, buf, first);
	len = 2 * first;
	for (cut = 0; cut < len && !bad; cut++) {
		run_stream(&res, 0, buf, cut, 0, -1);
		if (cut == first) {
			bad |= check(res.rc == 0, "cut between members");
			continue;
		}
		bad |= check(res.rc == -1 && res.err == EBADMSG, "cut fails");
		bad |= check(res.why != NULL && strcmp(res.why, cut == 0 ?
		    "empty input" : "truncated") == 0, "cut reason");
		if (bad)
			printf("# cut at %zu of %zu: '%s'\n", cut, len,
			    res.why ? res.why : "(none)");
	}
	return bad;
}

static int
test_trailing_garbage(void)
{
	int bad;

	memcpy(buf, gzip_hello, sizeof(gzip_hello));
	buf[sizeof(gzip_hello)] = 'x';
	bad = expect_error(0, buf, sizeof(gzip_hello) + 1, "trailing garbage");
	memset(buf + sizeof(gzip_hello), 0, 512);
	bad |= expect_error(0, buf, sizeof(gzip_hello) + 512,
	    "trailing garbage");
	buf[sizeof(gzip_hello)] = 0x1f;
	bad |= expect_error(0, buf, sizeof(gzip_hello) + 2,
	    "trailing garbage");
	memcpy(buf, raw_text, sizeof(raw_text));
	buf[sizeof(raw_text)] = 0;
	return bad | expect_error(1, buf, sizeof(raw_text) + 1,
	    "trailing garbage");
}

static int
test_empty_input(void)
{
	return expect_error(0, buf, 0, "empty input") |
	    expect_error(1, buf, 0, "empty input");
}

static int
test_bad_header(void)
{
	int bad;

	bad = expect_error(0, (const void *)"hello", 5, "not in gzip format");
	memcpy(buf, gzip_hello, sizeof(gzip_hello));
	buf[2] = 7;
	bad |= expect_error(0, buf, sizeof(gzip_hello),
	    "unknown compression method");
	buf[2] = 8;
	buf[3] = 0x20;
	return bad | expect_error(0, buf, sizeof(gzip_hello),
	    "reserved flag set");
}

/* A failing callback stops decoding with its errno, for good. */
static int
test_callback_error(void)
{
	static struct inflate z;
	int bad = 0, ret;

	run_stream(&res, 1, raw_text, sizeof(raw_text), 1, 100);
	bad |= check(res.rc == -1 && res.err == ENOSPC, "errno ENOSPC");
	bad |= check(res.why != NULL &&
	    strcmp(res.why, "output callback failed") == 0, "reason");
	bad |= check(res.out_len <= 100, "no output after the failure");

	inflate_init(&z);
	res.fail_after = 0;
	ret = inflate_gzip(&z, gzip_hello, sizeof(gzip_hello), collect, &res);
	bad |= check(ret == -1 && errno == ENOSPC, "whole stream fails");
	ret = inflate_gzip(&z, gzip_hello, 1, collect, &res);
	bad |= check(ret == -1 && errno == ENOSPC, "error is sticky");
	bad |= check(inflate_finish(&z) == -1, "finish fails");
	return bad;
}

static int
test_counters(void)
{
	static struct inflate z;
	int bad = 0;

	free(res.out);
	memset(&res, 0, sizeof(res));
	res.fail_after = -1;
	inflate_init(&z);
	bad |= check(inflate_gzip(&z, gzip_hello, 10, collect, &res) == 0,
	    "header alone needs more");
	bad |= check(inflate_gzip(&z, gzip_hello + 10,
	    sizeof(gzip_hello) - 10, collect, &res) == 1, "member ends");
	bad |= check(z.total_in == sizeof(gzip_hello), "total_in");
	bad |= check(z.total_out == 5, "total_out");
	bad |= check(z.members == 1, "members");
	bad |= check(inflate_raw(&z, raw_text, 1, collect, &res) == -1 &&
	    errno == EINVAL, "format switch is EINVAL");
	bad |= check(inflate_finish(&z) == 0, "finish");
	return bad;
}

static const struct test {
	const char *name;
	int (*run)(void);
} tests[] = {
	{ "gzip_hello", test_gzip_hello },
	{ "gzip_empty_member", test_gzip_empty_member },
	{ "dynamic_block", test_dynamic_block },
	{ "header_fields", test_header_fields },
	{ "header_crc_bad", test_header_crc_bad },
	{ "concatenated_members", test_concatenated_members },
	{ "stored_blocks", test_stored_blocks },
	{ "overlapping_match", test_overlapping_match },
	{ "distance_32768", test_distance_32768 },
	{ "random_matches", test_random_matches },
	{ "single_distance_code", test_single_distance_code },
	{ "no_distance_codes", test_no_distance_codes },
	{ "fixed_after_dynamic", test_fixed_after_dynamic },
	{ "too_far_back", test_too_far_back },
	{ "too_far_back_member", test_too_far_back_member },
	{ "block_type_3", test_block_type_3 },
	{ "stored_length_mismatch", test_stored_length_mismatch },
	{ "invalid_length_code", test_invalid_length_code },
	{ "invalid_distance_code", test_invalid_distance_code },
	{ "oversubscribed_code_length_code",
	    test_oversubscribed_code_length_code },
	{ "incomplete_code_length_code", test_incomplete_code_length_code },
	{ "oversubscribed_literal_code", test_oversubscribed_literal_code },
	{ "incomplete_literal_code", test_incomplete_literal_code },
	{ "incomplete_distance_code", test_incomplete_distance_code },
	{ "missing_end_of_block", test_missing_end_of_block },
	{ "too_many_codes", test_too_many_codes },
	{ "repeat_without_first", test_repeat_without_first },
	{ "too_many_lengths", test_too_many_lengths },
	{ "bad_crc", test_bad_crc },
	{ "bad_isize", test_bad_isize },
	{ "truncated", test_truncated },
	{ "trailing_garbage", test_trailing_garbage },
	{ "empty_input", test_empty_input },
	{ "bad_header", test_bad_header },
	{ "callback_error", test_callback_error },
	{ "counters", test_counters },
};

static void
report(const char *name, int bad)
{
	if (bad)
		failed++;
	else
		passed++;
	printf("%s %d - %s\n", bad ? "not ok" : "ok", passed + failed, name);
}

/* Compares decompressed bytes with the expected file as they arrive. */
static int
compare_file(void *ctx, const unsigned char *p, size_t n)
{
	static unsigned char want[INFLATE_WINDOW];

	if (fread(want, 1, n, ctx) != n || memcmp(want, p, n) != 0) {
		errno = EILSEQ;
		return -1;
	}
	return 0;
}

static int
run_file(const char *gz_path, const char *want_path)
{
	static struct inflate z;
	static unsigned char in[65536];
	FILE *gz = fopen(gz_path, "rb"), *want = fopen(want_path, "rb");
	size_t n, size;
	int ret = 0, bad = 1;

	if (gz == NULL || want == NULL) {
		printf("# cannot open '%s' or '%s': %s\n", gz_path, want_path,
		    strerror(errno));
		goto out;
	}
	inflate_init(&z);
	for (;;) {
		size = 1 + rng() % (1u << (rng() % 17));
		n = fread(in, 1, size, gz);
		if (n == 0)
			break;
		ret = inflate_gzip(&z, in, n, compare_file, want);
		if (ret < 0)
			break;
	}
	if (ret >= 0)
		ret = inflate_finish(&z);
	if (ret < 0)
		printf("# %s: %s: %s\n", gz_path, z.error, strerror(errno));
	else if (getc(want) != EOF)
		printf("# %s: output is shorter than expected\n", gz_path);
	else
		bad = 0;
	if (bad)
		printf("# INFLATE_SEED=%#llx to repeat the chunk sizes\n",
		    (unsigned long long)rng_seed);
out:
	if (gz != NULL)
		fclose(gz);
	if (want != NULL)
		fclose(want);
	return bad;
}

static int
discard(void *ctx, const unsigned char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

/* Decompresses a file held in memory, 64 KiB per call, for a second. */
static int
bench(const char *path)
{
	static struct inflate z;
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, pos, n;
	struct timespec t0, t1;
	double seconds = 0, bytes = 0;
	long got;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (got = ftell(f)) < 0) {
		printf("# cannot read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	len = got;
	data = malloc(len + 1);
	rewind(f);
	if (data == NULL || fread(data, 1, len, f) != len)
		return 1;
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seconds < 1) {
		inflate_init(&z);
		for (pos = 0; pos < len; pos += n) {
			n = len - pos < 65536 ? len - pos : 65536;
			if (inflate_gzip(&z, data + pos, n, discard, NULL) < 0)
				break;
		}
		if (inflate_finish(&z) < 0) {
			printf("# %s: %s\n", path, z.error);
			return 1;
		}
		bytes += z.total_out;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		seconds = (t1.tv_sec - t0.tv_sec) +
		    (t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	printf("%.1f MB/s\n", bytes / seconds / 1e6);
	free(data);
	return 0;
}

static const struct test *
find_test(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(name, tests[i].name) == 0)
			return &tests[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *seed = getenv("INFLATE_SEED");
	const struct test *t;
	size_t i;
	int j;

	if (seed != NULL)
		rng_seed = strtoull(seed, NULL, 0) | 1;
	rng_state = rng_seed;
	if (argc == 3 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2]);
	if (argc == 3 && find_test(argv[1]) == NULL) {
		report(argv[1], run_file(argv[1], argv[2]));
	} else if (argc == 1) {
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			report(tests[i].name, tests[i].run());
	} else {
		for (j = 1; j < argc; j++) {
			t = find_test(argv[j]);
			if (t != NULL)
				report(t->name, t->run());
			else
				report(argv[j], check(0, "no such test"));
		}
	}
	free(res.out);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
