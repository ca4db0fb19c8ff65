/*
 * inflate.h - streaming gzip and raw DEFLATE decoder (RFC 1951, RFC 1952).
 *
 * The caller allocates one struct inflate (42 KiB on x86-64: the 32 KiB
 * window, the Huffman tables and a CRC-32 table), calls inflate_init(),
 * then pushes compressed bytes in chunks of any size. Decompressed bytes
 * come back through the output callback, in pieces of at most 32 KiB. The
 * decoder never allocates memory, and its memory use does not depend on
 * the input.
 *
 *	struct inflate z;
 *
 *	inflate_init(&z);
 *	while ((n = read(fd, buf, sizeof(buf))) > 0)
 *		if (inflate_gzip(&z, buf, n, write_out, ctx) < 0)
 *			goto fail;
 *	if (n < 0 || inflate_finish(&z) < 0)
 *		goto fail;
 *
 * On failure errno is EBADMSG for invalid or truncated input (z.error
 * names the cause, such as "invalid distance too far back"), EINVAL for
 * misuse, or what the output callback left in errno. Errors other than
 * EINVAL are sticky: every later call fails the same way.
 */
#ifndef INFLATE_H
#define INFLATE_H

#include <stddef.h>
#include <stdint.h>

#define INFLATE_WINDOW		32768	/* RFC 1951: maximum distance */
#define INFLATE_FAST_BITS	10	/* codes this short decode in one step */

/*
 * A canonical Huffman code. fast[] maps the next INFLATE_FAST_BITS input
 * bits to (symbol << 4 | code length), or to 0 for a code that is longer
 * (or absent); count[] and symbol[] decode those bit by bit.
 */
struct inflate_huffman {
	uint16_t fast[1 << INFLATE_FAST_BITS];
	uint16_t count[16];	/* number of codes of each length */
	unsigned codes;		/* number of symbols with a code */
	unsigned max_len;	/* longest code, 0 for an empty code */
	uint16_t symbol[288];	/* symbols ordered by code */
};

/*
 * Output callback: receives n > 0 decompressed bytes. It returns 0 to go
 * on, or -1 with errno set to stop decoding with that error.
 */
typedef int inflate_output(void *ctx, const unsigned char *p, size_t n);

struct inflate {
	/* Public and read-only: counters, for a decompression bomb guard. */
	uint64_t total_in;	/* compressed bytes accepted */
	uint64_t total_out;	/* decompressed bytes passed to the callback */
	unsigned members;	/* gzip members checked so far */
	const char *error;	/* cause of the last failure, or NULL */

	/* Private: the decoder's state between calls. */
	int mode;
	int format;
	int saved_errno;
	const unsigned char *next_in;
	size_t avail_in;
	inflate_output *out;
	void *ctx;

	uint64_t bits;		/* input bits not yet used, LSB first */
	unsigned bit_count;
	int last_block;		/* BFINAL of the current block */
	int fixed_codes;	/* lit and dist contain the fixed codes */
	unsigned stored_left;	/* bytes left in a stored block */
	unsigned hlit, hdist, hclen, index;
	unsigned char lens[288 + 32];

	unsigned header_pos;	/* bytes of the gzip header or trailer read */
	unsigned header_flags;	/* FLG of the gzip header */
	unsigned extra_left;	/* bytes left of FEXTRA */
	uint32_t header_crc;	/* CRC-32 of the header, for FHCRC */
	unsigned char field[10];

	uint32_t crc;		/* CRC-32 of this member's output */
	uint64_t member_out;	/* bytes output by this member */
	unsigned window_pos;	/* next byte of window[] to write */
	unsigned flushed;	/* window[] before this went to the callback */

	struct inflate_huffman lit;	/* literal/length code */
	struct inflate_huffman dist;	/* distance code, or code length code */
	uint32_t crc_table[4][256];
	unsigned char window[INFLATE_WINDOW];
};

void inflate_init(struct inflate *z);

/*
 * Decodes len bytes of a gzip file: one member or several concatenated,
 * as gzip(1) writes them. All of in is consumed. Returns 1 when the input
 * so far ends exactly after a member's trailer, 0 when more input is
 * needed, and -1 on error. Anything after the last member but another
 * member is rejected as "trailing garbage".
 *
 * NOTE: output reaches the callback before the member's CRC-32 is
 * checked, so a caller keeps it provisional until inflate_finish()
 * returns 0.
 */
int inflate_gzip(struct inflate *z, const unsigned char *in, size_t len,
    inflate_output *out, void *ctx);

/* Decodes raw DEFLATE data (RFC 1951), returning 1 after its last block. */
int inflate_raw(struct inflate *z, const unsigned char *in, size_t len,
    inflate_output *out, void *ctx);

/*
 * Checks that the input ended at the end of a gzip member (or raw stream).
 * Returns 0, or -1 with EBADMSG and z->error "truncated" or "empty input".
 */
int inflate_finish(struct inflate *z);

#endif
