/*
 * inflate.c - streaming gzip and DEFLATE decoder for image layers.
 *
 * Specs: RFC 1951 (DEFLATE Compressed Data Format Specification 1.3) and
 * RFC 1952 (GZIP File Format Specification 4.3).
 *
 * The caller pushes input in chunks of any size and every call consumes
 * all of it. Input goes through a 64-bit bit buffer. Each step first
 * checks that all the bits it needs are in the buffer and only then
 * consumes them, so a step that runs out of input runs again, from its
 * start, on the next call. The largest step, a length with its distance,
 * needs 48 bits, and a refill leaves 56 or more unless the input has run
 * out. Output goes into the 32 KiB window, which is also the output
 * buffer: it goes to the callback whenever it fills up and at the end of
 * every call.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "inflate.h"

#define WINDOW_MASK	(INFLATE_WINDOW - 1)
#define FAST_MASK	((1u << INFLATE_FAST_BITS) - 1)
#define MAX_BITS	15	/* longest Huffman code */

/* gzip FLG bits (RFC 1952 2.3.1) */
#define FHCRC		0x02
#define FEXTRA		0x04
#define FNAME		0x08
#define FCOMMENT	0x10
#define FRESERVED	0xe0

enum { FORMAT_NONE, FORMAT_GZIP, FORMAT_RAW };

enum {
	MODE_HEADER,		/* gzip: the fixed 10 bytes of a header */
	MODE_EXTRA_LEN,		/* gzip: XLEN of FEXTRA */
	MODE_EXTRA,
	MODE_NAME,
	MODE_COMMENT,
	MODE_HCRC,
	MODE_BLOCK,		/* BFINAL and BTYPE of a block */
	MODE_STORED_LEN,	/* LEN and NLEN of a stored block */
	MODE_STORED,
	MODE_TABLE,		/* HLIT, HDIST and HCLEN of a dynamic block */
	MODE_CODE_LENS,		/* the code length code */
	MODE_LENS,		/* literal/length and distance code lengths */
	MODE_CODES,		/* compressed data */
	MODE_TRAILER,		/* gzip: CRC32 and ISIZE */
	MODE_DONE,		/* raw: after the final block */
	MODE_ERROR
};

/* RFC 1951 3.2.5: lengths and distances of the symbols, and extra bits */
static const uint16_t length_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258
};
static const uint8_t length_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
};
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
	8193, 12289, 16385, 24577
};
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13
};

/* RFC 1951 3.2.7: the order in which code length code lengths arrive */
static const uint8_t code_length_order[19] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
};

static int
fail(struct inflate *z, const char *why)
{
	z->mode = MODE_ERROR;
	z->error = why;
	z->saved_errno = EBADMSG;
	errno = EBADMSG;
	return -1;
}

/*
 * Fills the tables that compute CRC-32 (RFC 1952 8) four bytes at a
 * time. table[k][n] is the CRC of byte n followed by k zero bytes.
 */
static void
crc_init(uint32_t table[4][256])
{
	uint32_t c;
	unsigned n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
		table[0][n] = c;
	}
	for (n = 0; n < 256; n++)
		for (k = 1; k < 4; k++)
			table[k][n] = (table[k - 1][n] >> 8) ^
			    table[0][table[k - 1][n] & 0xff];
}

static uint32_t
crc_update(const uint32_t table[4][256], uint32_t crc,
    const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n >= 4) {
		crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		crc = table[3][crc & 0xff] ^ table[2][(crc >> 8) & 0xff] ^
		    table[1][(crc >> 16) & 0xff] ^ table[0][crc >> 24];
		p += 4;
		n -= 4;
	}
	while (n-- > 0)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * Passes the window bytes not yet seen to the callback, and starts the
 * window over once it is full. Older bytes stay in place, because later
 * matches may still refer to them.
 */
static int
flush_window(struct inflate *z)
{
	const unsigned char *p = z->window + z->flushed;
	size_t n = z->window_pos - z->flushed;
	int saved;

	if (n == 0)
		return 0;
	if (z->format == FORMAT_GZIP)
		z->crc = crc_update(z->crc_table, z->crc, p, n);
	z->flushed = z->window_pos;
	if (z->window_pos == INFLATE_WINDOW)
		z->window_pos = z->flushed = 0;

	errno = 0;
	if (z->out(z->ctx, p, n) != 0) {
		saved = errno != 0 ? errno : EIO;
		(void)fail(z, "output callback failed");
		z->saved_errno = errno = saved;
		return -1;
	}
	z->total_out += n;
	return 0;
}

/* Moves whole input bytes into the bit buffer while they fit. */
static void
refill(struct inflate *z)
{
	while (z->bit_count <= 56 && z->avail_in > 0) {
		z->bits |= (uint64_t)*z->next_in++ << z->bit_count;
		z->avail_in--;
		z->bit_count += 8;
	}
}

/* Returns whether n bits are in the buffer. If not, all input is used. */
static int
need_bits(struct inflate *z, unsigned n)
{
	if (z->bit_count < n)
		refill(z);
	return z->bit_count >= n;
}

static unsigned
take_bits(struct inflate *z, unsigned n)
{
	unsigned value = z->bits & ((1u << n) - 1);

	z->bits >>= n;
	z->bit_count -= n;
	return value;
}

/* Returns the next byte through the bit buffer, or -1 at end of input. */
static int
next_byte(struct inflate *z)
{
	if (!need_bits(z, 8))
		return -1;
	return take_bits(z, 8);
}

/* Reads a gzip header byte and adds it to the header CRC for FHCRC. */
static int
header_byte(struct inflate *z)
{
	int c = next_byte(z);
	unsigned char b = c;

	if (c >= 0)
		z->header_crc = crc_update(z->crc_table, z->header_crc, &b, 1);
	return c;
}

/*
 * Builds the tables of the canonical Huffman code with the given code
 * lengths (RFC 1951 3.2.2). Returns 0 for a complete code, 1 for an
 * incomplete one and -1 for an over-subscribed one.
 */
static int
build_code(struct inflate_huffman *h, const unsigned char *lens, unsigned n)
{
	unsigned offset[MAX_BITS + 1], next[MAX_BITS + 1];
	unsigned len, sym, code, reversed, i;
	int left = 1;

	memset(h->count, 0, sizeof(h->count));
	for (sym = 0; sym < n; sym++)
		h->count[lens[sym]]++;
	h->codes = n - h->count[0];
	h->count[0] = 0;
	h->max_len = 0;
	for (len = 1; len <= MAX_BITS; len++) {
		if (h->count[len] != 0)
			h->max_len = len;
		left = (left << 1) - h->count[len];
		if (left < 0)
			return -1;
	}

	offset[1] = next[1] = 0;
	for (len = 1; len < MAX_BITS; len++) {
		offset[len + 1] = offset[len] + h->count[len];
		next[len + 1] = (next[len] + h->count[len]) << 1;
	}

	/*
	 * DEFLATE sends a code from its most significant bit, but the bit
	 * buffer returns bits least significant first. So fast[] is indexed
	 * by the reversed code, once for every value of the bits after it.
	 */
	memset(h->fast, 0, sizeof(h->fast));
	for (sym = 0; sym < n; sym++) {
		len = lens[sym];
		if (len == 0)
			continue;
		h->symbol[offset[len]++] = sym;
		code = next[len]++;
		if (len > INFLATE_FAST_BITS)
			continue;
		reversed = 0;
		for (i = 0; i < len; i++)
			reversed = reversed << 1 | ((code >> i) & 1);
		for (i = reversed; i <= FAST_MASK; i += 1u << len)
			h->fast[i] = sym << 4 | len;
	}
	return left > 0;
}

/*
 * Decodes a code longer than the fast table, one bit at a time through
 * the canonical code. first is the first code of length n, and index is
 * the place of its symbol in symbol[].
 */
static int
decode_slow(const struct inflate_huffman *h, uint64_t bits, unsigned avail,
    unsigned *len)
{
	int code = 0, first = 0, index = 0, count;
	unsigned n;

	for (n = 1; n <= h->max_len; n++) {
		if (n > avail)
			return -1;
		code |= bits & 1;
		bits >>= 1;
		count = h->count[n];
		if (code - count < first) {
			*len = n;
			return h->symbol[index + (code - first)];
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -2;
}

/*
 * Decodes the symbol at the bottom of bits, of which avail are valid,
 * without consuming it. Returns the symbol and stores its code length in
 * *len, or returns -1 when more bits are needed or -2 for no code.
 */
static inline int
decode(const struct inflate_huffman *h, uint64_t bits, unsigned avail,
    unsigned *len)
{
	unsigned entry = h->fast[bits & FAST_MASK];

	if (entry == 0)
		return decode_slow(h, bits, avail, len);
	if ((entry & 15) > avail)
		return -1;
	*len = entry & 15;
	return entry >> 4;
}

/*
 * Copies n bytes forward from s to d, which is dist bytes after s or
 * anywhere before it. Overlapping copies (dist < n) repeat the bytes they
 * have just written, as RFC 1951 3.2.3 requires. Eight bytes move at a
 * time while the source trails by eight or more. A shorter distance gets
 * there by copying one period of its pattern byte by byte and then
 * reading from period bytes back, a multiple of dist that is at least 8.
 */
static void
copy_bytes(unsigned char *d, const unsigned char *s, unsigned n,
    unsigned dist)
{
	unsigned char chunk[8];
	unsigned period = dist, i;

	if (d > s && dist < 8) {
		while (period < 8)
			period += dist;
		for (i = 0; i < period - dist && n > 0; i++, n--)
			*d++ = *s++;
		if (n == 0)
			return;
		s = d - period;
	}
	while (n >= 8) {
		memcpy(chunk, s, 8);
		memcpy(d, chunk, 8);
		d += 8;
		s += 8;
		n -= 8;
	}
	while (n-- > 0)
		*d++ = *s++;
}

/* Copies a match, split where it crosses the end of the window. */
static int
copy_match(struct inflate *z, unsigned dist, unsigned len)
{
	unsigned from, n;

	z->member_out += len;
	while (len > 0) {
		from = (z->window_pos - dist) & WINDOW_MASK;
		n = len;
		if (n > INFLATE_WINDOW - z->window_pos)
			n = INFLATE_WINDOW - z->window_pos;
		if (n > INFLATE_WINDOW - from)
			n = INFLATE_WINDOW - from;

		/*
		 * A source after the destination contains bytes from 32 KiB
		 * back, which this copy reads before it overwrites them.
		 */
		copy_bytes(z->window + z->window_pos, z->window + from, n,
		    dist);
		z->window_pos += n;
		len -= n;
		if (z->window_pos == INFLATE_WINDOW && flush_window(z) < 0)
			return -1;
	}
	return 0;
}

/* Ends a block. After the final one come the gzip trailer or the end. */
static int
end_block(struct inflate *z)
{
	if (!z->last_block) {
		z->mode = MODE_BLOCK;
		return 1;
	}
	(void)take_bits(z, z->bit_count & 7);
	z->header_pos = 0;
	z->mode = z->format == FORMAT_GZIP ? MODE_TRAILER : MODE_DONE;
	if (flush_window(z) < 0)
		return -1;
	return 1;
}

/*
 * Tops up the bit buffer of decode_codes(). With eight input bytes left,
 * one load does it: it counts only the whole bytes that fit, and leaves
 * the rest of the eighth byte above count. Those bits are the true next
 * input bits, so ORing them in again on the next refill changes nothing.
 */
static inline void
fill_bits(struct inflate *z, uint64_t *bits, unsigned *count)
{
	uint64_t word;
	unsigned n;

	if (z->avail_in >= 8) {
		memcpy(&word, z->next_in, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		word = __builtin_bswap64(word);
#endif
		*bits |= word << *count;
		n = (63 - *count) >> 3;
		z->next_in += n;
		z->avail_in -= n;
		*count |= 56;
		return;
	}
	while (*count <= 56 && z->avail_in > 0) {
		*bits |= (uint64_t)*z->next_in++ << *count;
		z->avail_in--;
		*count += 8;
	}
}

/*
 * Decodes literal/length and distance symbols up to the end of the block
 * (RFC 1951 3.2.5). This is where the time goes, so the bit buffer and
 * the window position live in locals.
 */
static int
decode_codes(struct inflate *z)
{
	uint64_t bits = z->bits;
	unsigned count = z->bit_count, pos = z->window_pos;
	unsigned n, used, length, dist;
	int sym, result = 0;

	for (;;) {
		fill_bits(z, &bits, &count);
		sym = decode(&z->lit, bits, count, &n);
		if (sym >= 0 && sym <= 256) {
			bits >>= n;
			count -= n;
			if (sym == 256) {
				result = 1;
				break;
			}
			z->window[pos++] = sym;
			z->member_out++;
			if (pos < INFLATE_WINDOW)
				continue;
			z->window_pos = pos;
			if (flush_window(z) < 0)
				return -1;
			pos = z->window_pos;
			continue;
		}
		if (sym == -1)
			break;
		if (sym < 0 || sym >= 257 + 29)
			return fail(z, "invalid literal/length code");

		/* A length, its extra bits, a distance and its extra bits */
		sym -= 257;
		used = n + length_extra[sym];
		if (used > count)
			break;
		length = length_base[sym] +
		    ((bits >> n) & ((1u << length_extra[sym]) - 1));
		sym = decode(&z->dist, bits >> used, count - used, &n);
		if (sym == -1)
			break;
		if (sym < 0 || sym >= 30)
			return fail(z, "invalid distance code");
		if (used + n + dist_extra[sym] > count)
			break;
		dist = dist_base[sym] +
		    ((bits >> (used + n)) & ((1u << dist_extra[sym]) - 1));
		if (dist > z->member_out)
			return fail(z, "invalid distance too far back");
		used += n + dist_extra[sym];
		bits >>= used;
		count -= used;
		z->window_pos = pos;
		if (copy_match(z, dist, length) < 0)
			return -1;
		pos = z->window_pos;
	}

	z->window_pos = pos;
	z->bits = bits;
	z->bit_count = count;
	if (result == 1)
		return end_block(z);
	return 0;
}

/* Copies a stored block (RFC 1951 3.2.4), first from the bit buffer. */
static int
copy_stored(struct inflate *z)
{
	unsigned n;

	while (z->stored_left > 0) {
		if (z->bit_count >= 8) {
			z->window[z->window_pos] = take_bits(z, 8);
			n = 1;
		} else {
			/* Drop what a fast refill left above bit_count. */
			z->bits = 0;
			if (z->avail_in == 0)
				return 0;
			n = INFLATE_WINDOW - z->window_pos;
			if (n > z->stored_left)
				n = z->stored_left;
			if (n > z->avail_in)
				n = z->avail_in;
			memcpy(z->window + z->window_pos, z->next_in, n);
			z->next_in += n;
			z->avail_in -= n;
		}
		z->window_pos += n;
		z->stored_left -= n;
		z->member_out += n;
		if (z->window_pos == INFLATE_WINDOW && flush_window(z) < 0)
			return -1;
	}
	return end_block(z);
}

/*
 * Builds the fixed codes (RFC 1951 3.2.6), in which symbols 286, 287, 30
 * and 31 are invalid. They stay until a dynamic block replaces them, so
 * a run of tiny fixed blocks cannot make us rebuild them for each one.
 */
static void
build_fixed(struct inflate *z)
{
	if (z->fixed_codes)
		return;
	z->fixed_codes = 1;
	memset(z->lens, 8, 144);
	memset(z->lens + 144, 9, 112);
	memset(z->lens + 256, 7, 24);
	memset(z->lens + 280, 8, 8);
	(void)build_code(&z->lit, z->lens, 288);
	memset(z->lens, 5, 30);
	(void)build_code(&z->dist, z->lens, 30);
}

static int
read_block_header(struct inflate *z)
{
	unsigned type;

	if (!need_bits(z, 3))
		return 0;
	z->last_block = take_bits(z, 1);
	type = take_bits(z, 2);
	switch (type) {
	case 0:
		(void)take_bits(z, z->bit_count & 7);
		z->mode = MODE_STORED_LEN;
		return 1;
	case 1:
		build_fixed(z);
		z->mode = MODE_CODES;
		return 1;
	case 2:
		z->mode = MODE_TABLE;
		return 1;
	default:
		return fail(z, "invalid block type");
	}
}

static int
read_stored_length(struct inflate *z)
{
	unsigned len, nlen;

	if (!need_bits(z, 32))
		return 0;
	len = take_bits(z, 16);
	nlen = take_bits(z, 16);
	if (len != (~nlen & 0xffff))
		return fail(z, "invalid stored block length");
	z->stored_left = len;
	z->mode = MODE_STORED;
	return 1;
}

static int
read_table_header(struct inflate *z)
{
	if (!need_bits(z, 14))
		return 0;
	z->hlit = take_bits(z, 5) + 257;
	z->hdist = take_bits(z, 5) + 1;
	z->hclen = take_bits(z, 4) + 4;
	if (z->hlit > 286 || z->hdist > 30)
		return fail(z, "too many length or distance codes");
	memset(z->lens, 0, 19);
	z->fixed_codes = 0;
	z->index = 0;
	z->mode = MODE_CODE_LENS;
	return 1;
}

/*
 * Reads the code length code. Its table goes into dist, which is unused
 * until the distance code of this block is built.
 */
static int
read_code_lengths(struct inflate *z)
{
	int r;

	while (z->index < z->hclen) {
		if (!need_bits(z, 3))
			return 0;
		z->lens[code_length_order[z->index++]] = take_bits(z, 3);
	}
	r = build_code(&z->dist, z->lens, 19);
	if (r < 0)
		return fail(z, "over-subscribed code length code");
	if (r > 0)
		return fail(z, "incomplete code length code");
	z->index = 0;
	z->mode = MODE_LENS;
	return 1;
}

/*
 * Builds the literal/length and distance codes of a dynamic block. Both
 * must be complete, except for what RFC 1951 3.2.7 allows: one distance
 * code of one bit, or none at all for a block of literals. A lone
 * literal/length code of one bit, which can only be end-of-block, passes
 * too, as it does in zlib's inftrees.c.
 */
static int
build_dynamic(struct inflate *z)
{
	int r;

	if (z->lens[256] == 0)
		return fail(z, "missing end-of-block code");
	r = build_code(&z->lit, z->lens, z->hlit);
	if (r < 0)
		return fail(z, "over-subscribed literal/length code");
	if (r > 0 && (z->lit.codes != 1 || z->lit.count[1] != 1))
		return fail(z, "incomplete literal/length code");
	r = build_code(&z->dist, z->lens + z->hlit, z->hdist);
	if (r < 0)
		return fail(z, "over-subscribed distance code");
	if (r > 0 && z->dist.codes != 0 &&
	    (z->dist.codes != 1 || z->dist.count[1] != 1))
		return fail(z, "incomplete distance code");
	z->mode = MODE_CODES;
	return 1;
}

/* Reads the code lengths, whose repeats may span both codes (3.2.7). */
static int
read_lengths(struct inflate *z)
{
	unsigned total = z->hlit + z->hdist, n, extra, repeat;
	unsigned char value;
	int sym;

	while (z->index < total) {
		refill(z);
		sym = decode(&z->dist, z->bits, z->bit_count, &n);
		if (sym == -1)
			return 0;
		if (sym < 0)
			return fail(z, "invalid code length");
		if (sym < 16) {
			(void)take_bits(z, n);
			z->lens[z->index++] = sym;
			continue;
		}
		extra = 7;
		if (sym == 16)
			extra = 2;
		else if (sym == 17)
			extra = 3;
		if (z->bit_count < n + extra)
			return 0;
		(void)take_bits(z, n);
		repeat = take_bits(z, extra) + (sym == 18 ? 11 : 3);
		value = 0;
		if (sym == 16) {
			if (z->index == 0)
				return fail(z, "repeated length with no first");
			value = z->lens[z->index - 1];
		}
		if (repeat > total - z->index)
			return fail(z, "too many code lengths");
		memset(z->lens + z->index, value, repeat);
		z->index += repeat;
	}
	return build_dynamic(z);
}

/* Checks the magic, method and flags of a gzip header (RFC 1952 2.3). */
static int
check_header_byte(struct inflate *z, unsigned pos, unsigned c)
{
	static const unsigned char magic[2] = { 0x1f, 0x8b };

	if (pos < 2 && c != magic[pos])
		return fail(z, z->members > 0 ? "trailing garbage" :
		    "not in gzip format");
	if (pos == 2 && c != 8)
		return fail(z, "unknown compression method");
	if (pos == 3 && (c & FRESERVED) != 0)
		return fail(z, "reserved flag set");
	return 0;
}

/* Moves past the optional header fields that are absent or complete. */
static void
skip_fields(struct inflate *z)
{
	unsigned flags = z->header_flags;

	if (z->mode == MODE_EXTRA_LEN && !(flags & FEXTRA))
		z->mode = MODE_NAME;
	if (z->mode == MODE_EXTRA && z->extra_left == 0)
		z->mode = MODE_NAME;
	if (z->mode == MODE_NAME && !(flags & FNAME))
		z->mode = MODE_COMMENT;
	if (z->mode == MODE_COMMENT && !(flags & FCOMMENT))
		z->mode = MODE_HCRC;
}

/*
 * Reads a gzip header (RFC 1952 2.3) byte by byte: the fixed part, then
 * the optional fields in the order of their flags. The name and comment
 * end at a zero byte, and FHCRC covers all the bytes before it.
 */
static int
read_gzip_header(struct inflate *z)
{
	int c;

	for (;;) {
		skip_fields(z);
		if (z->mode == MODE_HCRC)
			break;
		c = header_byte(z);
		if (c < 0)
			return 0;
		switch (z->mode) {
		case MODE_HEADER:
			if (check_header_byte(z, z->header_pos, c) < 0)
				return -1;
			z->field[z->header_pos++] = c;
			if (z->header_pos < 10)
				break;
			z->header_flags = z->field[3];
			z->header_pos = 0;
			z->mode = MODE_EXTRA_LEN;
			break;
		case MODE_EXTRA_LEN:
			z->field[z->header_pos++] = c;
			if (z->header_pos < 2)
				break;
			z->extra_left = z->field[0] | z->field[1] << 8;
			z->mode = MODE_EXTRA;
			break;
		case MODE_EXTRA:
			z->extra_left--;
			break;
		default:
			/* MODE_NAME or MODE_COMMENT */
			if (c == 0)
				z->mode++;
			break;
		}
	}

	if (z->header_flags & FHCRC) {
		if (!need_bits(z, 16))
			return 0;
		if (take_bits(z, 16) != (z->header_crc & 0xffff))
			return fail(z, "header crc mismatch");
	}
	z->mode = MODE_BLOCK;
	return 1;
}

static void
start_member(struct inflate *z)
{
	z->mode = MODE_HEADER;
	z->header_pos = 0;
	z->header_crc = 0;
	z->crc = 0;
	z->member_out = 0;
}

/* Checks CRC32 and ISIZE (RFC 1952 2.3.1), then expects another member. */
static int
read_gzip_trailer(struct inflate *z)
{
	uint32_t crc, size;
	int c;

	while (z->header_pos < 8) {
		c = next_byte(z);
		if (c < 0)
			return 0;
		z->field[z->header_pos++] = c;
	}
	crc = (uint32_t)z->field[0] | (uint32_t)z->field[1] << 8 |
	    (uint32_t)z->field[2] << 16 | (uint32_t)z->field[3] << 24;
	size = (uint32_t)z->field[4] | (uint32_t)z->field[5] << 8 |
	    (uint32_t)z->field[6] << 16 | (uint32_t)z->field[7] << 24;
	if (crc != z->crc)
		return fail(z, "crc mismatch");
	if (size != (uint32_t)z->member_out)
		return fail(z, "length mismatch");
	z->members++;
	start_member(z);
	return 1;
}

/* Fails again with the error that ended decoding. */
static int
stay_failed(struct inflate *z)
{
	errno = z->saved_errno;
	return -1;
}

static int
check_done(struct inflate *z)
{
	if (z->bit_count > 0 || z->avail_in > 0)
		return fail(z, "trailing garbage");
	return 0;
}

/*
 * The step for each mode. A step returns 1 when it has moved on to
 * another mode, 0 when it needs more input, and -1 on error.
 */
static int (*const steps[])(struct inflate *) = {
	[MODE_HEADER] = read_gzip_header,
	[MODE_EXTRA_LEN] = read_gzip_header,
	[MODE_EXTRA] = read_gzip_header,
	[MODE_NAME] = read_gzip_header,
	[MODE_COMMENT] = read_gzip_header,
	[MODE_HCRC] = read_gzip_header,
	[MODE_BLOCK] = read_block_header,
	[MODE_STORED_LEN] = read_stored_length,
	[MODE_STORED] = copy_stored,
	[MODE_TABLE] = read_table_header,
	[MODE_CODE_LENS] = read_code_lengths,
	[MODE_LENS] = read_lengths,
	[MODE_CODES] = decode_codes,
	[MODE_TRAILER] = read_gzip_trailer,
	[MODE_DONE] = check_done,
	[MODE_ERROR] = stay_failed,
};

/* Runs the steps until one needs more input (0) or fails (-1). */
static int
run(struct inflate *z)
{
	int r;

	do
		r = steps[z->mode](z);
	while (r > 0);
	return r;
}

/* Returns whether the input so far ends a gzip member or raw stream. */
static int
at_end(const struct inflate *z)
{
	if (z->format == FORMAT_GZIP)
		return z->mode == MODE_HEADER && z->header_pos == 0 &&
		    z->members > 0;
	return z->mode == MODE_DONE;
}

static int
feed(struct inflate *z, int format, const unsigned char *in, size_t len,
    inflate_output *out, void *ctx)
{
	if (z->mode == MODE_ERROR)
		return stay_failed(z);
	if (z->format == FORMAT_NONE) {
		z->format = format;
		if (format == FORMAT_GZIP)
			start_member(z);
		else
			z->mode = MODE_BLOCK;
	}
	if (z->format != format || out == NULL || (in == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}

	z->next_in = in;
	z->avail_in = len;
	z->out = out;
	z->ctx = ctx;
	z->total_in += len;
	if (run(z) < 0 || flush_window(z) < 0)
		return -1;
	z->next_in = NULL;
	return at_end(z);
}

void
inflate_init(struct inflate *z)
{
	memset(z, 0, offsetof(struct inflate, window));
	crc_init(z->crc_table);
}

int
inflate_gzip(struct inflate *z, const unsigned char *in, size_t len,
    inflate_output *out, void *ctx)
{
	return feed(z, FORMAT_GZIP, in, len, out, ctx);
}

int
inflate_raw(struct inflate *z, const unsigned char *in, size_t len,
    inflate_output *out, void *ctx)
{
	return feed(z, FORMAT_RAW, in, len, out, ctx);
}

int
inflate_finish(struct inflate *z)
{
	if (z->mode == MODE_ERROR)
		return stay_failed(z);
	if (z->format != FORMAT_NONE && at_end(z))
		return 0;
	return fail(z, z->total_in == 0 ? "empty input" : "truncated");
}
