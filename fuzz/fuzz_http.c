/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.1 response parsers:
 * http_head_end(), http_head_parse() and the chunked decoder.
 *
 * Input layout:
 *
 *	byte 0	flags: bit 0 HEAD instead of GET, bit 1 treat the whole
 *		stream as a chunked body, bits 2-3 the output buffer size
 *	byte 1	separator: the stream is cut into pieces just after each
 *		byte with this value, as a socket might deliver it
 *	rest	the bytes the server sends
 *
 * The head is searched for as it grows, piece by piece, and must end
 * where a single search over the same bytes finds it. The bytes after the
 * head go through the chunked decoder, piece by piece and into a small
 * output buffer; the result must equal one call over the whole body.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../http.h"

/* Output buffer sizes; small ones split chunk data across calls. */
static const size_t out_sizes[] = { 1, 7, 512, 65536 };

/* Cut [p, end) just after the next separator byte, or at end. */
static size_t
next_piece(const uint8_t *p, const uint8_t *end, uint8_t separator)
{
	const uint8_t *s = memchr(p, separator, end - p);

	return s ? (size_t)(s - p) + 1 : (size_t)(end - p);
}

/* Find the head piece by piece; return its length or 0. */
static size_t
find_head(const uint8_t *stream, size_t len, uint8_t separator)
{
	size_t have = 0, scanned = 0, end = 0, once;

	while (have < len && end == 0) {
		have += next_piece(stream + have, stream + len, separator);
		end = http_head_end((const char *)stream, have, &scanned);
		if (end > have || (end == 0 && scanned != have))
			abort();
	}
	once = 0;
	once = http_head_end((const char *)stream, have, &once);
	if (once != end)
		abort();
	return end;
}

static void
check_response(const struct http_response *r)
{
	int i;

	if (r->status < 100 || r->status > 599 || r->minor_version < 0 ||
	    r->minor_version > 9 || r->reason == NULL)
		abort();
	if (r->field_count < 0 || r->field_count > HTTP_FIELDS_MAX)
		abort();
	for (i = 0; i < r->field_count; i++)
		if (r->fields[i].name[0] == '\0' ||
		    strchr(r->fields[i].name, ':') != NULL ||
		    strchr(r->fields[i].value, '\n') != NULL ||
		    strchr(r->fields[i].value, '\r') != NULL)
			abort();
	if (r->content_length < -1)
		abort();
	if (r->framing == HTTP_BODY_LENGTH &&
	    (r->content_length < 0 ||
	     r->remaining != (uint64_t)r->content_length))
		abort();
	if (r->framing == HTTP_BODY_CHUNKED && r->content_length != -1)
		abort();
	(void)http_header(r, "Content-Type");
	(void)http_header(r, "Docker-Content-Digest");
	(void)http_header(r, "WWW-Authenticate");
}

static void
parse_head(const uint8_t *stream, size_t len, const char *method)
{
	struct http_response *r;
	const char *why = NULL;
	char *head;

	r = calloc(1, sizeof(*r));
	head = malloc(len + 1);	/* the parser writes head[len] */
	if (r == NULL || head == NULL)
		abort();
	memcpy(head, stream, len);
	r->method = method;
	if (http_head_parse(r, head, len, &why) == 0)
		check_response(r);
	else if (why == NULL || errno != EPROTO)
		abort();
	free(head);
	free(r);
}

/*
 * Decode body piece by piece into an output buffer of out_size bytes.
 * Returns the decoder's last result; *consumed and *produced count the
 * bytes, and the output goes to result (at least len bytes).
 */
static int
decode_pieces(const uint8_t *body, size_t len, uint8_t separator,
	      size_t out_size, uint8_t *result, size_t *consumed,
	      size_t *produced)
{
	struct http_chunked c;
	size_t pos = 0, piece, off, in, out;
	uint8_t *buf;
	int rc = 0;

	buf = malloc(out_size);
	if (buf == NULL)
		abort();
	http_chunked_init(&c);
	*produced = 0;
	while (pos < len && rc == 0) {
		piece = next_piece(body + pos, body + len, separator);
		for (off = 0; off < piece && rc == 0;) {
			in = piece - off;
			out = out_size;
			rc = http_chunked_decode(&c, body + pos + off, &in,
						 buf, &out);
			if (in > piece - off || out > out_size)
				abort();
			if (rc < 0 && c.error == NULL)
				abort();
			/* Stopping early is only allowed with a full buffer. */
			if (rc == 0 && off + in < piece && out < out_size)
				abort();
			memcpy(result + *produced, buf, out);
			*produced += out;
			off += in;
		}
		pos += off;
	}
	free(buf);
	*consumed = pos;
	return rc;
}

static void
decode_body(const uint8_t *body, size_t len, uint8_t separator,
	    size_t out_size)
{
	struct http_chunked c;
	size_t consumed, produced, in, out;
	uint8_t *pieces, *whole;
	int rc, rc_whole;

	/* The decoded body is never longer than its encoding. */
	pieces = malloc(len + 1);
	whole = malloc(len + 1);
	if (pieces == NULL || whole == NULL)
		abort();
	rc = decode_pieces(body, len, separator, out_size, pieces,
			   &consumed, &produced);
	if (produced > len || consumed > len)
		abort();

	http_chunked_init(&c);
	in = len;
	out = len + 1;
	rc_whole = http_chunked_decode(&c, body, &in, whole, &out);
	if (rc_whole != rc || in != consumed || out != produced ||
	    memcmp(whole, pieces, produced) != 0)
		abort();
	free(pieces);
	free(whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *stream;
	uint8_t flags, separator;
	size_t len, head;

	if (size < 2)
		return 0;
	flags = data[0];
	separator = data[1];
	len = size - 2;
	/* An exact-size copy, so that a read past the end is caught. */
	stream = malloc(len ? len : 1);
	if (stream == NULL)
		return 0;
	memcpy((uint8_t *)stream, data + 2, len);
	head = 0;
	if (!(flags & 2)) {
		head = find_head(stream, len, separator);
		if (head > 0)
			parse_head(stream, head, flags & 1 ? "HEAD" : "GET");
	}
	decode_body(stream + head, len - head, separator,
		    out_sizes[(flags >> 2) & 3]);
	free((void *)stream);
	return 0;
}
