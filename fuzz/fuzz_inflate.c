/*
 * fuzz_inflate.c - libFuzzer target for inflate_gzip() and inflate_raw().
 *
 * Input layout:
 *
 *	byte 0	bit 0: raw DEFLATE instead of gzip
 *	byte 1	seed of the chunk sizes
 *	rest	the compressed stream
 *
 * Each input is decoded twice, once in chunks of pseudo-random size and
 * once in one call, and both must give the same result and the same
 * bytes. Output stops at OUTPUT_MAX through the callback, so a small
 * input cannot expand into gigabytes. Built with -DFUZZ_ZLIB (fuzz/run.sh
 * does so when zlib.h is installed), raw streams are also decoded by
 * zlib, and the two decoders must agree on every complete stream.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_ZLIB
#include <zlib.h>
#endif

#include "../inflate.h"

#define OUTPUT_MAX	(4u << 20)	/* output bytes kept per decode */

struct sink {
	unsigned char *data;	/* OUTPUT_MAX bytes */
	size_t len;
	int capped;		/* stopped at OUTPUT_MAX */
};

struct result {
	int rc;			/* what the last call returned */
	int err;		/* errno when rc < 0 */
	const char *error;
};

static int
collect(void *ctx, const unsigned char *p, size_t n)
{
	struct sink *s = ctx;

	if (n == 0 || n > INFLATE_WINDOW)
		abort();
	if (n > OUTPUT_MAX - s->len) {
		s->capped = 1;
		errno = EFBIG;
		return -1;
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	return 0;
}

/* Next chunk size: mostly small, so that codes split across calls. */
static size_t
chunk_size(uint32_t *state)
{
	*state = *state * 1103515245 + 12345;
	switch (*state >> 28 & 3) {
	case 0:
		return 1;
	case 1:
		return 1 + (*state >> 16 & 15);
	case 2:
		return 1 + (*state >> 16 & 511);
	default:
		return 1 + (*state >> 12 & 16383);
	}
}

static struct result
decode(struct inflate *z, int raw, const uint8_t *in, size_t len,
       uint32_t seed, struct sink *s)
{
	struct result res = { 0, 0, NULL };
	size_t pos = 0, n;

	inflate_init(z);
	s->len = 0;
	s->capped = 0;
	while (pos < len) {
		n = seed == 0 ? len - pos : chunk_size(&seed);
		if (n > len - pos)
			n = len - pos;
		res.rc = raw ? inflate_raw(z, in + pos, n, collect, s) :
			       inflate_gzip(z, in + pos, n, collect, s);
		if (res.rc < 0)
			break;
		if (res.rc > 1)
			abort();
		pos += n;
	}
	if (res.rc >= 0) {
		res.rc = inflate_finish(z);
		if (res.rc != 0 && res.rc != -1)
			abort();
	}
	if (res.rc < 0) {
		res.err = errno;
		res.error = z->error;
		if (res.err == EBADMSG && res.error == NULL)
			abort();
		/* Errors other than EINVAL are sticky. */
		if ((raw ? inflate_raw(z, in, len, collect, s) :
			   inflate_gzip(z, in, len, collect, s)) != -1 ||
		    errno != res.err)
			abort();
	}
	if (z->total_out != s->len || z->total_in > len)
		abort();
	return res;
}

#ifdef FUZZ_ZLIB
/*
 * Decode a raw stream with zlib. Returns 1 if it ends exactly at the end
 * of the input, 0 if zlib rejects or truncates it, -1 if the output does
 * not fit or there are bytes after the end.
 */
static int
zlib_raw(const uint8_t *in, size_t len, struct sink *s)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		abort();
	zs.next_in = (unsigned char *)in;
	zs.avail_in = len;
	zs.next_out = s->data;
	zs.avail_out = OUTPUT_MAX;
	rc = inflate(&zs, Z_FINISH);
	s->len = OUTPUT_MAX - zs.avail_out;
	inflateEnd(&zs);
	if (rc == Z_STREAM_END)
		return zs.avail_in == 0 ? 1 : -1;
	if (rc == Z_BUF_ERROR && zs.avail_out == 0)
		return -1;
	return 0;
}

static void
compare_zlib(const uint8_t *in, size_t len, const struct result *res,
	     const struct sink *s, struct sink *zs)
{
	int zrc = zlib_raw(in, len, zs);

	if (zrc < 0 || s->capped)
		return;
	if (zrc != (res->rc == 0))
		abort();
	if (zrc == 1 && (zs->len != s->len ||
			 memcmp(zs->data, s->data, s->len) != 0))
		abort();
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sink chunked, whole;
	static struct inflate z;
	struct result a, b;
	const uint8_t *in;
	size_t len, n;
	int raw;

	if (chunked.data == NULL) {
		chunked.data = malloc(OUTPUT_MAX);
		whole.data = malloc(OUTPUT_MAX);
		if (chunked.data == NULL || whole.data == NULL)
			abort();
	}
	if (size < 2)
		return 0;
	raw = data[0] & 1;
	len = size - 2;
	/* An exact-size copy, so that a read past the end is caught. */
	in = malloc(len ? len : 1);
	if (in == NULL)
		return 0;
	memcpy((uint8_t *)in, data + 2, len);

	a = decode(&z, raw, in, len, 0x9e3779b9u * (data[1] + 1u), &chunked);
	b = decode(&z, raw, in, len, 0, &whole);
	n = chunked.len < whole.len ? chunked.len : whole.len;
	if (memcmp(chunked.data, whole.data, n) != 0)
		abort();
	/*
	 * The cap stops the two runs at different points, so only uncapped
	 * runs must agree. Output decoded before an error is passed on only
	 * when its call ends, so after an error the lengths may differ.
	 */
	if (!chunked.capped && !whole.capped &&
	    (a.rc != b.rc || a.err != b.err ||
	     (a.rc >= 0 && chunked.len != whole.len) ||
	     (a.error == NULL) != (b.error == NULL) ||
	     (a.error != NULL && strcmp(a.error, b.error) != 0)))
		abort();
#ifdef FUZZ_ZLIB
	if (raw)
		compare_zlib(in, len, &b, &whole, &chunked);
#endif
	free((void *)in);
	return 0;
}
