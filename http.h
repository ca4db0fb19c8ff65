/*
 * http.h - a small streaming HTTP/1.1 client over TCP and BearSSL TLS.
 *
 *	struct http_client hc;
 *	struct http_response r;
 *
 *	http_client_init(&hc, NULL);
 *	if (http_request(&hc, &r, "GET", url, headers) < 0)
 *		... hc.error contains the reason ...
 *	while ((n = http_read(&r, buf, sizeof(buf))) > 0)
 *		...
 *	http_response_close(&r);
 *	http_client_free(&hc);
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "certs.h"

#define HTTP_HEAD_MAX		65536	/* bytes in a response head */
#define HTTP_LINE_MAX		8192	/* bytes in a chunk-size line */
#define HTTP_FIELDS_MAX		128	/* field lines in a response head */
#define HTTP_URL_MAX		8192
#define HTTP_IDLE_MAX		4	/* idle keep-alive connections kept */
#define HTTP_REDIRECTS_MAX	10
#define HTTP_ERROR_MAX		1024

struct http_conn;

struct http_client {
	struct certs certs;
	int connect_timeout_ms;		/* default 30 s */
	int io_timeout_ms;		/* longest wait for one read or write */
	struct http_conn *idle[HTTP_IDLE_MAX];
	char error[HTTP_ERROR_MAX];	/* why the last call failed */
};

/* The framing of a response body (RFC 9112 section 6.3). */
enum http_framing {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,
	HTTP_BODY_CHUNKED,
	HTTP_BODY_CLOSE,
};

/* State of the chunked transfer coding decoder (RFC 9112 section 7.1). */
struct http_chunked {
	int state;
	uint64_t size;		/* data bytes left in the current chunk */
	size_t line;		/* bytes of the current size or trailer line */
	size_t trailer;		/* bytes of the trailer section */
	int digits;		/* hex digits of the chunk size */
	const char *error;	/* why decoding failed */
};

struct http_field {
	const char *name;
	const char *value;
};

struct http_response {
	struct http_client *client;
	struct http_conn *conn;
	const char *method;
	int status;
	int minor_version;		/* HTTP/1.minor_version */
	const char *reason;
	char *head;			/* the head; fields point into it */
	struct http_field fields[HTTP_FIELDS_MAX];
	int field_count;
	enum http_framing framing;
	int64_t content_length;		/* -1 when absent */
	uint64_t remaining;		/* body bytes left with a length */
	struct http_chunked chunked;
	int keep_alive;			/* the server allows reuse */
	int done;			/* the body was read to its end */
	char url[HTTP_URL_MAX];		/* the URL after redirects */
};

int http_client_init(struct http_client *hc, const char *ca_file);
void http_client_free(struct http_client *hc);
int http_request(struct http_client *hc, struct http_response *r,
		 const char *method, const char *url,
		 const char *const *headers);
const char *http_header(const struct http_response *r, const char *name);
const char *http_header_next(const struct http_response *r,
			     const char *name, int *pos);
ssize_t http_read(struct http_response *r, void *buf, size_t len);
int http_response_close(struct http_response *r);

/* The parsers, which http_request uses and the tests call directly. */
size_t http_head_end(const char *buf, size_t len, size_t *scanned);
int http_head_parse(struct http_response *r, char *head, size_t len,
		    const char **why);
void http_chunked_init(struct http_chunked *c);
int http_chunked_decode(struct http_chunked *c, const unsigned char *in,
			size_t *in_len, unsigned char *out, size_t *out_len);

#endif
