/*
 * test_http.c - known-answer tests for the parsers of http.c, and a small
 * command-line client for tests/test_http.sh.
 *
 *	test_http			run every built-in case
 *	test_http <name>...		run the cases whose names contain one
 *	test_http [options] <url>	GET the URL, write the body to stdout
 *
 * Options of the client:
 *	--ca <file>		trust the certificates in file
 *	--timeout <ms>		connect and stall timeout
 *	-H '<name>: <value>'	add a request header; may repeat
 *	-X <method>		send method instead of GET
 *	--repeat <n>		send the request n times on one client
 *
 * The client exits 0 after writing the whole body, or prints
 * "test_http: <reason>" and exits 1. Built-in cases print one
 * "ok N - name" or "not ok N - name" line each, then "N passed, N failed".
 * Each head goes to http_head_end whole and then one byte at a time.
 * Each chunked body goes to the decoder whole, one input byte at a time,
 * and with one byte of output space at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bocker.h"
#include "http.h"

static int passed, failed, number;

static void
report(int ok, const char *name, const char *detail)
{
	number++;
	if (ok) {
		passed++;
		printf("ok %d - %s\n", number, name);
	} else {
		failed++;
		printf("not ok %d - %s\n", number, name);
		if (detail != NULL)
			printf("#   %s\n", detail);
	}
}

/* ------------------------------------------------------------ heads */

struct head_case {
	const char *name;
	const char *method;
	const char *text;
	int ok;
	int status;
	enum http_framing framing;
	long long length;	/* content_length */
	int keep_alive;
	const char *field;	/* a field to look up, and its value */
	const char *value;
};

static const struct head_case head_cases[] = {
	{ "head content-length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 5, 1, "content-length", "5" },
	{ "head chunked", "GET",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
	  1, 200, HTTP_BODY_CHUNKED, -1, 1, NULL, NULL },
	{ "head close-delimited", "GET",
	  "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
	  1, 200, HTTP_BODY_CLOSE, -1, 0, NULL, NULL },
	{ "head no length keeps no alive", "GET",
	  "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n",
	  1, 200, HTTP_BODY_CLOSE, -1, 0, "Server", "x" },
	{ "head connection close token", "GET",
	  "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\n"
	  "Content-Length: 0\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 0, 0, NULL, NULL },
	{ "head http/1.0 closes", "GET",
	  "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 2, 0, NULL, NULL },
	{ "head http/1.0 keep-alive", "GET",
	  "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	  "Content-Length: 2\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 2, 1, NULL, NULL },
	{ "head bare LF lines", "GET",
	  "HTTP/1.1 404 Not Found\nContent-Length: 0\n\n",
	  1, 404, HTTP_BODY_LENGTH, 0, 1, NULL, NULL },
	{ "head empty reason", "GET", "HTTP/1.1 204 \r\n\r\n",
	  1, 204, HTTP_BODY_NONE, -1, 1, NULL, NULL },
	{ "head no reason", "GET", "HTTP/1.1 204\r\n\r\n",
	  1, 204, HTTP_BODY_NONE, -1, 1, NULL, NULL },
	{ "head response to HEAD", "HEAD",
	  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
	  1, 200, HTTP_BODY_NONE, 100, 1, NULL, NULL },
	{ "head 304 has no body", "GET",
	  "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
	  1, 304, HTTP_BODY_NONE, 9, 1, NULL, NULL },
	{ "head equal length list", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n"
	  "Content-Length: 7\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 7, 1, NULL, NULL },
	{ "head largest length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 9223372036854775807LL, 1, NULL, NULL },
	{ "head value whitespace trimmed", "GET",
	  "HTTP/1.1 200 OK\r\nX-A: \t a  b \t\r\nContent-Length: 0\r\n\r\n",
	  1, 200, HTTP_BODY_LENGTH, 0, 1, "x-a", "a  b" },
	{ "head empty value", "GET",
	  "HTTP/1.1 401 Unauthorized\r\nX-Empty:\r\n"
	  "Content-Length: 0\r\n\r\n",
	  1, 401, HTTP_BODY_LENGTH, 0, 1, "X-Empty", "" },
	{ "head location", "GET",
	  "HTTP/1.1 307 Temporary Redirect\r\n"
	  "Location: https://127.0.0.2/v2/x?a=b&c=d\r\n"
	  "Content-Length: 0\r\n\r\n",
	  1, 307, HTTP_BODY_LENGTH, 0, 1, "LOCATION",
	  "https://127.0.0.2/v2/x?a=b&c=d" },
	{ "reject obs-fold", "GET",
	  "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject space before colon", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject empty field name", "GET",
	  "HTTP/1.1 200 OK\r\n: x\r\n\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject length and chunked", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject negative length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject plus-signed length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject overflowing length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject huge length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n"
	  "\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject conflicting lengths", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
	  "\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject conflicting length list", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject length with junk", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject empty length", "GET",
	  "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject gzip coding", "GET",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject chunked twice", "GET",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject chunked in http/1.0", "GET",
	  "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject http/2 status line", "GET", "HTTP/2 200 OK\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject two-digit status", "GET", "HTTP/1.1 20 OK\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject status 600", "GET", "HTTP/1.1 600 X\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject status 099", "GET", "HTTP/1.1 099 X\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject lowercase version", "GET", "http/1.1 200 OK\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject ICY status line", "GET", "ICY 200 OK\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject leading empty line", "GET", "\r\nHTTP/1.1 200 OK\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject bare CR in value", "GET",
	  "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject control char in value", "GET",
	  "HTTP/1.1 200 OK\r\nX-A: a\001b\r\n\r\n",
	  0, 0, 0, 0, 0, NULL, NULL },
	{ "reject control char in reason", "GET",
	  "HTTP/1.1 200 O\033K\r\n\r\n", 0, 0, 0, 0, 0, NULL, NULL },
	{ "reject separator in name", "GET",
	  "HTTP/1.1 200 OK\r\nX(A): b\r\n\r\n", 0, 0, 0, 0, 0, NULL, NULL },
};

/* Feed the text to http_head_end one byte at a time and whole; both
 * must find the same end, at the end of the text. */
static const char *
find_end(const char *text, size_t len)
{
	size_t scanned = 0, whole, i, end = 0;

	whole = http_head_end(text, len, &scanned);
	scanned = 0;
	for (i = 1; i <= len && end == 0; i++)
		end = http_head_end(text, i, &scanned);
	if (whole != len)
		return "whole head: end not at the empty line";
	if (end != len)
		return "byte by byte: end not at the empty line";
	scanned = 0;
	if (http_head_end(text, len - 1, &scanned) != 0)
		return "end found before the last byte";
	return NULL;
}

static const char *
check_head(const struct head_case *t)
{
	static struct http_response r;
	size_t len = strlen(t->text);
	const char *why = NULL, *value;
	char *copy;
	int rc;

	if ((why = find_end(t->text, len)) != NULL)
		return why;
	copy = malloc(len + 1);
	if (copy == NULL)
		return "out of memory";
	memcpy(copy, t->text, len);
	memset(&r, 0, sizeof(r));
	r.method = t->method;
	rc = http_head_parse(&r, copy, len, &why);
	value = t->field ? http_header(&r, t->field) : NULL;
	if (t->field && t->ok && rc == 0 &&
	    (value == NULL || strcmp(value, t->value) != 0))
		why = "wrong field value";
	free(copy);
	if (!t->ok && (rc == 0 || errno != EPROTO || why == NULL))
		return "malformed head accepted";
	if (!t->ok)
		return NULL;
	if (rc < 0)
		return why;
	if (r.status != t->status)
		return "wrong status";
	if (r.framing != t->framing)
		return "wrong framing";
	if (r.content_length != t->length)
		return "wrong content length";
	if (r.keep_alive != t->keep_alive)
		return "wrong keep-alive";
	return why;
}

/* Repeated fields are found one after another. */
static const char *
check_repeated(void)
{
	static struct http_response r;
	char text[] = "HTTP/1.1 401 Unauthorized\r\n"
		      "WWW-Authenticate: Bearer realm=\"a\"\r\n"
		      "Content-Length: 0\r\n"
		      "www-authenticate: Basic realm=\"b\"\r\n\r\n";
	const char *why, *first, *second, *third;
	int pos = 0;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	if (http_head_parse(&r, text, strlen(text), &why) < 0)
		return why;
	first = http_header_next(&r, "Www-Authenticate", &pos);
	second = http_header_next(&r, "Www-Authenticate", &pos);
	third = http_header_next(&r, "Www-Authenticate", &pos);
	if (first == NULL || strcmp(first, "Bearer realm=\"a\"") != 0)
		return "first value wrong";
	if (second == NULL || strcmp(second, "Basic realm=\"b\"") != 0)
		return "second value wrong";
	if (third != NULL)
		return "third value found";
	if (http_header(&r, "WWW-AUTHENTICATE") != first)
		return "http_header not the first value";
	return NULL;
}

/* More fields than HTTP_FIELDS_MAX are rejected. */
static const char *
check_too_many_fields(void)
{
	static struct http_response r;
	static char text[HTTP_FIELDS_MAX * 16 + 64];
	const char *why = NULL;
	size_t n;
	int i;

	n = snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i <= HTTP_FIELDS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - n, "X-%d: v\r\n", i);
	n += snprintf(text + n, sizeof(text) - n, "\r\n");
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	if (http_head_parse(&r, text, n, &why) == 0)
		return "accepted";
	return why && strstr(why, "too many") ? NULL : "wrong reason";
}

/* --------------------------------------------------------- chunked */

struct chunk_case {
	const char *name;
	const char *input;
	const char *output;	/* NULL: the input must be rejected */
	int rest;		/* bytes after the body, left unread */
};

static const struct chunk_case chunk_cases[] = {
	{ "chunked one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0 },
	{ "chunked several chunks",
	  "5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n",
	  "hello world!", 0 },
	{ "chunked extensions",
	  "5;name=value\r\nhello\r\n6 ; a=\"b;c\" ;d\r\n world\r\n"
	  "0;last\r\n\r\n", "hello world", 0 },
	{ "chunked trailers",
	  "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nDigest: sha-256=x\r\n\r\n",
	  "abc", 0 },
	{ "chunked hex digits",
	  "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
	  "0123456789abcdefghijk", 0 },
	{ "chunked leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello",
	  0 },
	{ "chunked bare LF", "3\nabc\n0\n\n", "abc", 0 },
	{ "chunked empty body", "0\r\n\r\n", "", 0 },
	{ "chunked stops at its end", "1\r\nx\r\n0\r\n\r\nHTTP/1.1",
	  "x", 8 },
	{ "chunked sixteen digits",
	  "000000000000000001\r\nz\r\n0\r\n\r\n", "z", 0 },
	{ "reject chunk size letter", "x\r\nabc\r\n", NULL, 0 },
	{ "reject empty chunk size", "\r\nabc\r\n", NULL, 0 },
	{ "reject negative chunk size", "-5\r\nhello\r\n", NULL, 0 },
	{ "reject 0x chunk size", "0x5\r\nhello\r\n", NULL, 0 },
	{ "reject chunk size overflow",
	  "10000000000000000\r\nx\r\n", NULL, 0 },
	{ "reject data longer than size", "5\r\nhelloX\r\n0\r\n\r\n", NULL,
	  0 },
	{ "reject junk after size", "5 x\r\nhello\r\n", NULL, 0 },
	{ "reject CR without LF", "5\rXhello\r\n", NULL, 0 },
	{ "reject control char in extension", "5;a\001\r\nhello\r\n", NULL,
	  0 },
	{ "reject obs-fold in trailer", "0\r\nA: b\r\n c\r\n\r\n", NULL, 0 },
	{ "reject bad trailer name", "0\r\n(x): b\r\n\r\n", NULL, 0 },
};

/*
 * Decode input giving the decoder at most in_step input bytes and
 * out_step output bytes per call. Returns the decoder's last result;
 * *used is the input consumed.
 */
static int
decode(struct http_chunked *c, const char *input, size_t len,
       size_t in_step, size_t out_step, char *out, size_t *out_len,
       size_t *used)
{
	size_t pos = 0, o = 0, in_n, out_n;
	int rc = 0;

	http_chunked_init(c);
	while (pos < len) {
		in_n = len - pos < in_step ? len - pos : in_step;
		out_n = *out_len - o < out_step ? *out_len - o : out_step;
		rc = http_chunked_decode(c, (const unsigned char *)input + pos,
					 &in_n, (unsigned char *)out + o,
					 &out_n);
		pos += in_n;
		o += out_n;
		if (rc != 0 || (in_n == 0 && out_n == 0))
			break;
	}
	*out_len = o;
	*used = pos;
	return rc;
}

static const char *
check_chunked(const struct chunk_case *t)
{
	static const size_t steps[][2] = {
		{ (size_t)-1, (size_t)-1 }, { 1, (size_t)-1 },
		{ (size_t)-1, 1 }, { 3, 2 },
	};
	struct http_chunked c;
	char out[256];
	size_t len = strlen(t->input), out_len, used, i;
	int rc;

	for (i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		out_len = sizeof(out);
		rc = decode(&c, t->input, len, steps[i][0], steps[i][1], out,
			    &out_len, &used);
		if (t->output == NULL) {
			if (rc != -1 || c.error == NULL)
				return "malformed body accepted";
			continue;
		}
		if (rc != 1)
			return rc < 0 ? c.error : "end not found";
		if (out_len != strlen(t->output) ||
		    memcmp(out, t->output, out_len) != 0)
			return "wrong data";
		if (used != len - t->rest)
			return "wrong bytes consumed";
	}
	return NULL;
}

/* A chunk line longer than HTTP_LINE_MAX is rejected. */
static const char *
check_long_line(void)
{
	static char input[HTTP_LINE_MAX + 64];
	struct http_chunked c;
	char out[16];
	size_t out_len = sizeof(out), used;

	memset(input, 'a', sizeof(input));
	memcpy(input, "5;", 2);
	if (decode(&c, input, sizeof(input), (size_t)-1, 16, out, &out_len,
		   &used) != -1)
		return "accepted";
	return strstr(c.error, "too long") ? NULL : c.error;
}

static int
selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]) != NULL)
			return 1;
	return 0;
}

static int
run_cases(int argc, char **argv)
{
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(head_cases) / sizeof(*head_cases); i++)
		if (selected(argc, argv, head_cases[i].name)) {
			why = check_head(&head_cases[i]);
			report(why == NULL, head_cases[i].name, why);
		}
	if (selected(argc, argv, "head repeated fields")) {
		why = check_repeated();
		report(why == NULL, "head repeated fields", why);
	}
	if (selected(argc, argv, "reject too many fields")) {
		why = check_too_many_fields();
		report(why == NULL, "reject too many fields", why);
	}
	for (i = 0; i < sizeof(chunk_cases) / sizeof(*chunk_cases); i++)
		if (selected(argc, argv, chunk_cases[i].name)) {
			why = check_chunked(&chunk_cases[i]);
			report(why == NULL, chunk_cases[i].name, why);
		}
	if (selected(argc, argv, "reject long chunk line")) {
		why = check_long_line();
		report(why == NULL, "reject long chunk line", why);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}

/* ------------------------------------------------------------ client */

static int
usage(void)
{
	fprintf(stderr, "usage: test_http [<case>...]\n"
		"   or: test_http [--ca <file>] [--timeout <ms>] "
		"[-H '<name>: <value>']... [-X <method>] [--repeat <n>] "
		"<url>\n");
	return 2;
}

static int
fetch(struct http_client *hc, const char *method, const char *url,
      const char *const *headers)
{
	struct http_response r;
	char buf[65536];
	ssize_t n;

	if (http_request(hc, &r, method, url, headers) < 0)
		return -1;
	while ((n = http_read(&r, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n) {
			snprintf(hc->error, sizeof(hc->error),
				 "write output: %s", strerror(errno));
			n = -1;
			break;
		}
	(void)http_response_close(&r);
	return n < 0 ? -1 : 0;
}

static int
run_client(int argc, char **argv)
{
	const char *headers[64], *ca = NULL, *method = "GET";
	struct http_client hc;
	int i, nheaders = 0, repeat = 1, timeout = 0, rc = 0;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--ca") == 0)
			ca = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout = atoi(argv[++i]);
		else if (strcmp(argv[i], "--repeat") == 0)
			repeat = atoi(argv[++i]);
		else if (strcmp(argv[i], "-X") == 0)
			method = argv[++i];
		else if (strcmp(argv[i], "-H") == 0 && nheaders < 63)
			headers[nheaders++] = argv[++i];
		else
			return usage();
	}
	if (i != argc - 1)
		return usage();
	headers[nheaders] = NULL;
	if (http_client_init(&hc, ca) < 0) {
		fprintf(stderr, "test_http: %s\n", hc.error);
		return 1;
	}
	if (timeout > 0)
		hc.connect_timeout_ms = hc.io_timeout_ms = timeout;
	for (i = 0; i < repeat && rc == 0; i++)
		rc = fetch(&hc, method, argv[argc - 1], headers);
	if (rc < 0)
		fprintf(stderr, "test_http: %s\n", hc.error);
	if (fflush(stdout) != 0)
		rc = -1;
	http_client_free(&hc);
	return rc < 0;
}

int
main(int argc, char **argv)
{
	trace_init(getenv("BOCKER_TRACE") != NULL);
	if (argc > 1 && (strstr(argv[argc - 1], "://") != NULL ||
			 argv[1][0] == '-'))
		return run_client(argc, argv);
	return run_cases(argc, argv);
}
