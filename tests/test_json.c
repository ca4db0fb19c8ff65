/*
 * test_json.c - known-answer tests for json.c.
 *
 * Usage: test_json [<name>...]
 *
 * With no names every case runs; otherwise only the named ones. Each case
 * prints "ok N - name" or "not ok N - name", a failed check prints a "#"
 * line before it, and the last line counts the cases that passed and
 * failed. The exit status is 1 if any case failed and 2 if a name matched
 * no case.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A string literal as a pointer and a length, so it may contain NULs. */
#define T(s)	s, sizeof(s) - 1

static int case_failed;

static void
check(int ok, const char *expression, int line)
{
	if (ok)
		return;
	printf("# line %d: check failed: %s\n", line, expression);
	case_failed = 1;
}

#define CHECK(cond)	check((cond) != 0, #cond, __LINE__)

/*
 * Parse a copy of text in a buffer of exactly len bytes, so that the
 * address sanitizer catches a read past the end, and the tree is shown to
 * keep no pointer into the text.
 */
static struct json *
parse_copy(const char *text, size_t len, struct json_error *err)
{
	struct json *root;
	char *copy;
	int saved;

	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, text, len);
	root = json_parse(copy, len, err);
	saved = errno;
	memset(copy, 'x', len);
	free(copy);
	errno = saved;
	return root;
}

/* Documents that must be rejected, with the reason and byte offset. */
struct reject_case {
	const char *name;
	const char *text;
	size_t len;
	const char *reason;
	size_t offset;
};

static const struct reject_case reject_cases[] = {
	{ "empty-input", T(""), "unexpected end of input", 0 },
	{ "only-whitespace", T(" \t\r\n"), "unexpected end of input", 4 },
	{ "trailing-garbage", T("{} x"), "trailing data", 3 },
	{ "trailing-second-value", T("1 2"), "trailing data", 2 },
	{ "trailing-nul", T("1\0"), "trailing data", 1 },
	{ "trailing-bracket", T("[]]"), "trailing data", 2 },
	{ "byte-order-mark", T("\xef\xbb\xbf{}"), "unexpected character", 0 },
	{ "comment-line", T("// c\n1"), "unexpected character", 0 },
	{ "comment-block", T("[1/*c*/]"), "expected ',' or ']'", 2 },
	{ "nan", T("NaN"), "unexpected character", 0 },
	{ "infinity", T("Infinity"), "unexpected character", 0 },
	{ "negative-infinity", T("-Infinity"), "invalid number", 1 },
	{ "number-leading-zero", T("01"), "leading zero in number", 0 },
	{ "number-leading-zeros", T("[-007]"), "leading zero in number", 1 },
	{ "number-trailing-dot", T("1."), "invalid number", 2 },
	{ "number-dot-exponent", T("1.e5"), "invalid number", 2 },
	{ "number-leading-dot", T(".5"), "unexpected character", 0 },
	{ "number-plus-sign", T("+1"), "unexpected character", 0 },
	{ "number-bare-exponent", T("1e"), "invalid number", 2 },
	{ "number-exponent-sign", T("1e+"), "invalid number", 3 },
	{ "number-minus-alone", T("-"), "invalid number", 1 },
	{ "number-minus-space", T("- 1"), "invalid number", 1 },
	{ "number-hex", T("0x10"), "trailing data", 1 },
	{ "number-overflow", T("1e400"), "number out of range", 0 },
	{ "number-negative-overflow", T("[-1e309]"), "number out of range", 1 },
	{ "literal-truncated", T("tru"), "invalid literal", 0 },
	{ "literal-capital", T("True"), "unexpected character", 0 },
	{ "literal-misspelt", T("nul1"), "invalid literal", 0 },
	{ "literal-extra", T("nulll"), "trailing data", 4 },
	{ "string-unterminated", T("\"abc"), "unterminated string", 4 },
	{ "string-escaped-quote-end", T("\"\\\""), "unterminated string", 3 },
	{ "string-single-quotes", T("'a'"), "unexpected character", 0 },
	{ "string-bare-newline", T("\"a\nb\""),
	  "control character in string", 2 },
	{ "string-bare-tab", T("\"\t\""), "control character in string", 1 },
	{ "string-bare-nul", T("\"\0\""), "control character in string", 1 },
	{ "string-bare-unit-separator", T("\"ab\x1f\""),
	  "control character in string", 3 },
	{ "escape-x", T("\"\\x41\""), "invalid escape", 1 },
	{ "escape-single-quote", T("\"\\'\""), "invalid escape", 1 },
	{ "escape-nul", T("\"\\\0\""), "invalid escape", 1 },
	{ "escape-capital-u", T("\"\\U0041\""), "invalid escape", 1 },
	{ "escape-zero", T("\"a\\0\""), "invalid escape", 2 },
	{ "escape-unicode-short", T("\"\\u12\""),
	  "invalid unicode escape", 1 },
	{ "escape-unicode-bad-hex", T("\"\\u12g4\""),
	  "invalid unicode escape", 1 },
	{ "escape-unicode-sign", T("\"\\u+123\""),
	  "invalid unicode escape", 1 },
	{ "surrogate-lone-low", T("\"\\udc00\""), "unpaired surrogate", 1 },
	{ "surrogate-lone-high", T("\"\\ud800\""), "unpaired surrogate", 1 },
	{ "surrogate-high-text", T("\"x\\uD800abcdef\""),
	  "unpaired surrogate", 2 },
	{ "surrogate-high-high", T("\"\\ud800\\ud800\""),
	  "unpaired surrogate", 1 },
	{ "surrogate-high-ascii", T("\"\\ud800\\u0041\""),
	  "unpaired surrogate", 1 },
	{ "surrogate-high-escape", T("\"\\ud800\\n\""),
	  "unpaired surrogate", 1 },
	{ "surrogate-reversed", T("\"\\udc00\\ud800\""),
	  "unpaired surrogate", 1 },
	{ "surrogate-high-bad-hex", T("\"\\ud800\\uzzzz\""),
	  "invalid unicode escape", 7 },
	{ "surrogate-high-at-end", T("\"\\udbff\\"),
	  "unterminated string", 8 },
	{ "utf8-lone-continuation", T("\"\x80\""), "invalid utf-8", 1 },
	{ "utf8-overlong-2", T("\"\xc0\xaf\""), "invalid utf-8", 1 },
	{ "utf8-overlong-c1", T("\"\xc1\xbf\""), "invalid utf-8", 1 },
	{ "utf8-overlong-3", T("\"\xe0\x80\xaf\""), "invalid utf-8", 1 },
	{ "utf8-overlong-3-max", T("\"\xe0\x9f\xbf\""), "invalid utf-8", 1 },
	{ "utf8-overlong-4", T("\"\xf0\x80\x80\xaf\""), "invalid utf-8", 1 },
	{ "utf8-overlong-4-max", T("\"\xf0\x8f\xbf\xbf\""),
	  "invalid utf-8", 1 },
	{ "utf8-surrogate-high", T("\"\xed\xa0\x80\""), "invalid utf-8", 1 },
	{ "utf8-surrogate-low", T("\"\xed\xbf\xbf\""), "invalid utf-8", 1 },
	{ "utf8-surrogate-pair", T("\"\xed\xa0\xbd\xed\xb8\x80\""),
	  "invalid utf-8", 1 },
	{ "utf8-above-max", T("\"\xf4\x90\x80\x80\""), "invalid utf-8", 1 },
	{ "utf8-lead-f5", T("\"\xf5\x80\x80\x80\""), "invalid utf-8", 1 },
	{ "utf8-lead-f8", T("\"\xf8\x88\x80\x80\x80\""), "invalid utf-8", 1 },
	{ "utf8-byte-fe", T("\"\xfe\""), "invalid utf-8", 1 },
	{ "utf8-byte-ff", T("\"a\xff\""), "invalid utf-8", 2 },
	{ "utf8-truncated-2", T("\"\xc3\""), "invalid utf-8", 1 },
	{ "utf8-truncated-3", T("\"\xe2\x82\""), "invalid utf-8", 1 },
	{ "utf8-truncated-4", T("\"\xf0\x9f\x98\""), "invalid utf-8", 1 },
	{ "utf8-truncated-end", T("\"\xf0\x9f\x98"), "unterminated string", 4 },
	{ "utf8-bad-continuation", T("\"\xc3\x28\""), "invalid utf-8", 1 },
	{ "utf8-extra-continuation", T("\"\xc3\xa9\xa9\""),
	  "invalid utf-8", 3 },
	{ "utf8-outside-string", T("\xc3\xa9"), "unexpected character", 0 },
	{ "utf8-invalid-key", T("{\"\xc0\x80\":1}"), "invalid utf-8", 2 },
	{ "array-trailing-comma", T("[1,]"), "unexpected character", 3 },
	{ "array-leading-comma", T("[,1]"), "unexpected character", 1 },
	{ "array-double-comma", T("[1,,2]"), "unexpected character", 3 },
	{ "array-missing-comma", T("[1 2]"), "expected ',' or ']'", 3 },
	{ "array-unclosed", T("[1"), "unexpected end of input", 2 },
	{ "array-unclosed-empty", T("["), "unexpected end of input", 1 },
	{ "array-after-comma-end", T("[1,"), "unexpected end of input", 3 },
	{ "array-closed-by-brace", T("[1}"), "expected ',' or ']'", 2 },
	{ "array-bare-close", T("]"), "unexpected character", 0 },
	{ "object-trailing-comma", T("{\"a\":1,}"), "expected string key", 7 },
	{ "object-missing-colon", T("{\"a\" 1}"), "expected ':'", 5 },
	{ "object-equals", T("{\"a\"=1}"), "expected ':'", 4 },
	{ "object-number-key", T("{1:2}"), "expected string key", 1 },
	{ "object-single-quoted-key", T("{'a':1}"), "expected string key", 1 },
	{ "object-bare-key", T("{a:1}"), "expected string key", 1 },
	{ "object-unclosed", T("{\"a\":1"), "unexpected end of input", 6 },
	{ "object-unclosed-key", T("{\"a\""), "unexpected end of input", 4 },
	{ "object-missing-value", T("{\"a\":}"), "unexpected character", 5 },
	{ "object-closed-by-bracket", T("{\"a\":1]"),
	  "expected ',' or '}'", 6 },
	{ "object-missing-comma", T("{\"a\":1 \"b\":2}"),
	  "expected ',' or '}'", 7 },
	{ "duplicate-key", T("{\"a\":1,\"b\":2,\"a\":3}"),
	  "duplicate key", 13 },
	{ "duplicate-key-escaped", T("{\"a\":1,\"\\u0061\":2}"),
	  "duplicate key", 7 },
	{ "duplicate-key-empty", T("{\"\":1,\"\":1}"), "duplicate key", 6 },
	{ "duplicate-key-nested", T("[{\"x\":{\"k\":1,\"k\":2}}]"),
	  "duplicate key", 13 },
	{ "duplicate-key-thrice", T("{\"k\":1,\"k\":2,\"k\":3}"),
	  "duplicate key", 7 },
	{ "duplicate-key-first-reported",
	  T("{\"b\":1,\"a\":1,\"b\":2,\"a\":2}"), "duplicate key", 13 },
	{ "whitespace-vertical-tab", T("\v1"), "unexpected character", 0 },
	{ "whitespace-form-feed", T("[\f1]"), "unexpected character", 1 },
	{ "whitespace-nbsp", T("\xc2\xa0" "1"), "unexpected character", 0 },
};

static void
run_reject(const void *arg)
{
	const struct reject_case *c = arg;
	struct json_error err = { 12345, NULL };
	struct json *root;

	errno = 0;
	root = parse_copy(c->text, c->len, &err);
	CHECK(root == NULL);
	CHECK(errno == EINVAL);
	CHECK(err.reason != NULL && strcmp(err.reason, c->reason) == 0);
	CHECK(err.offset == c->offset);
	if (case_failed)
		printf("# got \"%s\" at offset %zu\n",
		       err.reason != NULL ? err.reason : "(null)", err.offset);
	json_free(root);
}

/* Strings and the bytes they decode to. */
struct string_case {
	const char *name;
	const char *text;
	size_t len;
	const char *bytes;
	size_t bytes_len;
};

static const struct string_case string_cases[] = {
	{ "string-empty", T("\"\""), T("") },
	{ "string-plain", T("\"hello\""), T("hello") },
	{ "escape-quote", T("\"\\\"\""), T("\"") },
	{ "escape-backslash", T("\"\\\\\""), T("\\") },
	{ "escape-solidus", T("\"\\/\""), T("/") },
	{ "escape-backspace", T("\"\\b\""), T("\b") },
	{ "escape-form-feed", T("\"\\f\""), T("\f") },
	{ "escape-newline", T("\"\\n\""), T("\n") },
	{ "escape-return", T("\"\\r\""), T("\r") },
	{ "escape-tab", T("\"\\t\""), T("\t") },
	{ "escape-all", T("\"<\\\"\\\\\\/\\b\\f\\n\\r\\t>\""),
	  T("<\"\\/\b\f\n\r\t>") },
	{ "escape-unicode-ascii", T("\"\\u0041\""), T("A") },
	{ "escape-unicode-two-byte", T("\"\\u00e9\""), T("\xc3\xa9") },
	{ "escape-unicode-three-byte", T("\"\\u20AC\""), T("\xe2\x82\xac") },
	{ "escape-unicode-mixed-case", T("\"\\uAbCd\""), T("\xea\xaf\x8d") },
	{ "escape-unicode-ffff", T("\"\\uffff\""), T("\xef\xbf\xbf") },
	{ "escape-unicode-control", T("\"\\u001f\""), T("\x1f") },
	{ "escape-unicode-nul", T("\"a\\u0000b\""), T("a\0b") },
	{ "escape-unicode-nul-only", T("\"\\u0000\""), T("\0") },
	{ "surrogate-pair-emoji", T("\"\\ud83d\\ude00\""),
	  T("\xf0\x9f\x98\x80") },
	{ "surrogate-pair-min", T("\"\\uD800\\uDC00\""),
	  T("\xf0\x90\x80\x80") },
	{ "surrogate-pair-max", T("\"\\udbff\\udfff\""),
	  T("\xf4\x8f\xbf\xbf") },
	{ "surrogate-pair-in-text", T("\"a\\uD834\\uDD1Eb\""),
	  T("a\xf0\x9d\x84\x9e" "b") },
	{ "utf8-valid-all-lengths",
	  T("\"\xc2\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
	  T("\xc2\xa9\xe2\x82\xac\xf0\x9f\x98\x80") },
	{ "utf8-valid-edges",
	  T("\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
	    "\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\""),
	  T("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
	    "\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf") },
	{ "string-del-raw", T("\"\x7f\""), T("\x7f") },
	{ "string-slash-raw", T("\"a/b\""), T("a/b") },
};

static void
run_string(const void *arg)
{
	const struct string_case *c = arg;
	struct json_error err = { 0, NULL };
	struct json *root;
	const char *bytes;
	size_t len;

	root = parse_copy(c->text, c->len, &err);
	CHECK(root != NULL);
	if (root == NULL) {
		printf("# error \"%s\" at offset %zu\n", err.reason,
		       err.offset);
		return;
	}
	CHECK(json_typeof(root) == JSON_STRING);
	len = 99;
	bytes = json_string(root, &len);
	CHECK(bytes != NULL);
	CHECK(len == c->bytes_len);
	CHECK(bytes != NULL && memcmp(bytes, c->bytes, c->bytes_len) == 0);
	CHECK(bytes != NULL && bytes[len] == '\0');
	json_free(root);
}

/*
 * Numbers, their double, and what json_int64() does: int_errno 0 means it
 * succeeds with integer.
 */
struct number_case {
	const char *name;
	const char *text;
	size_t len;
	double value;
	int int_errno;
	int64_t integer;
};

static const struct number_case number_cases[] = {
	{ "number-zero", T("0"), 0.0, 0, 0 },
	{ "number-negative-zero", T("-0"), -0.0, 0, 0 },
	{ "number-integer", T("123"), 123.0, 0, 123 },
	{ "number-negative", T("-45"), -45.0, 0, -45 },
	{ "number-fraction", T("1.5"), 1.5, EINVAL, 0 },
	{ "number-fraction-zero", T("1.0"), 1.0, EINVAL, 0 },
	{ "number-exponent", T("1e2"), 100.0, EINVAL, 0 },
	{ "number-exponent-plus", T("2E+3"), 2000.0, EINVAL, 0 },
	{ "number-exponent-minus", T("5e-1"), 0.5, EINVAL, 0 },
	{ "number-negative-exponent", T("-1.25e-3"), -1.25e-3, EINVAL, 0 },
	{ "number-zero-exponent", T("0e0"), 0.0, EINVAL, 0 },
	{ "number-tenth", T("0.1"), 0.1, EINVAL, 0 },
	{ "number-int64-max", T("9223372036854775807"),
	  9223372036854775807.0, 0, INT64_MAX },
	{ "number-int64-min", T("-9223372036854775808"),
	  -9223372036854775808.0, 0, INT64_MIN },
	{ "number-int64-max-plus-one", T("9223372036854775808"),
	  9223372036854775808.0, ERANGE, 0 },
	{ "number-int64-min-minus-one", T("-9223372036854775809"),
	  -9223372036854775809.0, ERANGE, 0 },
	{ "number-uint64-max-plus-one", T("18446744073709551616"),
	  18446744073709551616.0, ERANGE, 0 },
	{ "number-double-max", T("1.7976931348623157e308"),
	  1.7976931348623157e308, EINVAL, 0 },
	{ "number-underflow", T("1e-400"), 0.0, EINVAL, 0 },
	{ "number-long-fraction",
	  T("0.00000000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000000000000000001"),
	  1e-121, EINVAL, 0 },
	{ "number-long-integer",
	  T("100000000000000000000000000000000000000000000000000000000000"
	    "0000000000"),
	  1e69, ERANGE, 0 },
};

static void
run_number(const void *arg)
{
	const struct number_case *c = arg;
	struct json *root;
	double value;
	int64_t integer;
	int r;

	root = parse_copy(c->text, c->len, NULL);
	CHECK(root != NULL);
	if (root == NULL)
		return;
	CHECK(json_typeof(root) == JSON_NUMBER);
	CHECK(json_number(root, &value) == 0);
	CHECK(value == c->value);
	CHECK(signbit(value) == signbit(c->value));
	integer = 7;
	errno = 0;
	r = json_int64(root, &integer);
	if (c->int_errno == 0) {
		CHECK(r == 0);
		CHECK(integer == c->integer);
	} else {
		CHECK(r == -1);
		CHECK(errno == c->int_errno);
		CHECK(integer == 7);
	}
	json_free(root);
}

/* Return a malloc'd string: depth opens, middle, then depth closes. */
static char *
nested(const char *open, const char *middle, const char *close,
       size_t depth, size_t *len)
{
	size_t olen, mlen, clen, i;
	char *s, *p;

	olen = strlen(open);
	mlen = strlen(middle);
	clen = strlen(close);
	*len = depth * (olen + clen) + mlen;
	s = malloc(*len + 1);
	if (s == NULL)
		abort();
	p = s;
	for (i = 0; i < depth; i++, p += olen)
		memcpy(p, open, olen);
	memcpy(p, middle, mlen);
	p += mlen;
	for (i = 0; i < depth; i++, p += clen)
		memcpy(p, close, clen);
	*p = '\0';
	return s;
}

static void
test_nesting_max_arrays(const void *arg)
{
	const struct json *v;
	struct json *root;
	char *text;
	size_t len, depth;

	(void)arg;
	text = nested("[", "", "]", JSON_MAX_DEPTH, &len);
	root = parse_copy(text, len, NULL);
	CHECK(root != NULL);
	depth = 0;
	for (v = root; json_typeof(v) == JSON_ARRAY; v = json_index(v, 0))
		depth++;
	CHECK(depth == JSON_MAX_DEPTH);
	json_free(root);
	free(text);
}

static void
test_nesting_max_objects(const void *arg)
{
	const struct json *v;
	struct json *root;
	char *text;
	size_t len, depth;

	(void)arg;
	/* The innermost value, an empty object, is the last level. */
	text = nested("{\"a\":", "{}", "}", JSON_MAX_DEPTH - 1, &len);
	root = parse_copy(text, len, NULL);
	CHECK(root != NULL);
	depth = 0;
	for (v = root; json_typeof(v) == JSON_OBJECT; v = json_get(v, "a"))
		depth++;
	CHECK(depth == JSON_MAX_DEPTH);
	json_free(root);
	free(text);
}

static void
expect_too_deep(const char *text, size_t len, size_t offset)
{
	struct json_error err = { 0, NULL };
	struct json *root;

	errno = 0;
	root = parse_copy(text, len, &err);
	CHECK(root == NULL);
	CHECK(errno == EINVAL);
	CHECK(err.reason != NULL);
	CHECK(err.reason != NULL &&
	      strcmp(err.reason, "nesting too deep") == 0);
	CHECK(err.offset == offset);
	json_free(root);
}

static void
test_nesting_too_deep_arrays(const void *arg)
{
	char *text;
	size_t len;

	(void)arg;
	text = nested("[", "", "]", JSON_MAX_DEPTH + 1, &len);
	expect_too_deep(text, len, JSON_MAX_DEPTH);
	free(text);
}

static void
test_nesting_too_deep_objects(const void *arg)
{
	char *text;
	size_t len;

	(void)arg;
	text = nested("{\"\":", "{}", "}", JSON_MAX_DEPTH, &len);
	expect_too_deep(text, len, 4 * JSON_MAX_DEPTH);
	free(text);
}

/* 100000 opening brackets and nothing else: an error, not a crash. */
static void
test_nesting_100000_opens(const void *arg)
{
	char *text;

	(void)arg;
	text = malloc(100000);
	if (text == NULL)
		abort();
	memset(text, '[', 100000);
	expect_too_deep(text, 100000, JSON_MAX_DEPTH);
	free(text);
}

static void
test_whitespace_all_kinds(const void *arg)
{
	static const char text[] =
		" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n\"k\" \t\r\n: \t\r\n"
		"true \t\r\n} \t\r\n] \t\r\n";
	struct json *root;
	int b;

	(void)arg;
	root = parse_copy(T(text), NULL);
	CHECK(root != NULL);
	CHECK(json_len(root) == 2);
	CHECK(json_bool(json_get(json_index(root, 1), "k"), &b) == 0);
	CHECK(b == 1);
	json_free(root);
}

static void
test_scalars_top_level(const void *arg)
{
	struct json *root;
	int b;

	(void)arg;
	root = parse_copy(T("true"), NULL);
	CHECK(json_typeof(root) == JSON_BOOL);
	CHECK(json_bool(root, &b) == 0);
	CHECK(b == 1);
	json_free(root);
	root = parse_copy(T(" false "), NULL);
	CHECK(json_bool(root, &b) == 0);
	CHECK(b == 0);
	json_free(root);
	root = parse_copy(T("null"), NULL);
	CHECK(root != NULL);
	CHECK(json_typeof(root) == JSON_NULL);
	errno = 0;
	CHECK(json_bool(root, &b) == -1);
	CHECK(errno == EINVAL);
	json_free(root);
	root = parse_copy(T("[]"), NULL);
	CHECK(json_typeof(root) == JSON_ARRAY);
	CHECK(json_len(root) == 0);
	json_free(root);
	root = parse_copy(T("{}"), NULL);
	CHECK(json_typeof(root) == JSON_OBJECT);
	CHECK(json_len(root) == 0);
	errno = 0;
	CHECK(json_get(root, "a") == NULL);
	CHECK(errno == ENOENT);
	json_free(root);
}

/* The bytes of string v, or "<none>" when v is missing or no string. */
static const char *
text_of(const struct json *v)
{
	const char *s;

	s = json_string(v, NULL);
	return s != NULL ? s : "<none>";
}

/* The key of member i of obj, or "<none>" when there is none. */
static const char *
key_of(const struct json *obj, size_t i)
{
	const char *key;

	key = json_key(obj, i, NULL);
	return key != NULL ? key : "<none>";
}

/* A Docker image manifest, schema 2, as a registry serves it. */
static const char docker_manifest[] =
	"{\n"
	"   \"schemaVersion\": 2,\n"
	"   \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"   \"config\": {\n"
	"      \"mediaType\": "
	"\"application/vnd.docker.container.image.v1+json\",\n"
	"      \"size\": 1472,\n"
	"      \"digest\": \"sha256:a4c123b1612dd272d1371c17149d4395"
	"36b3216fdaeeb975729fae923d5a4fd1\"\n"
	"   },\n"
	"   \"layers\": [\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"         \"size\": 3408729,\n"
	"         \"digest\": \"sha256:2aabfe228f219e9cb0eb53f16947ccf2"
	"5ec84d8dbc74254770f58904dba41ecc\"\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"         \"size\": 28577153,\n"
	"         \"digest\": \"sha256:cc3fc1626e53a13043b026c48bbf33fe"
	"ff9243a8f506b40928b5b7a767c76fb0\"\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"         \"size\": 32,\n"
	"         \"digest\": \"sha256:08f86bebb2737f6a6f0fb23c6f5da2ce"
	"c255404e4fb440034d6608697a8d41be\"\n"
	"      }\n"
	"   ]\n"
	"}\n";

static void
test_docker_manifest(const void *arg)
{
	const struct json *config, *layers;
	struct json_error err = { 0, NULL };
	struct json *root;
	int64_t n;
	size_t len;

	(void)arg;
	root = parse_copy(T(docker_manifest), &err);
	CHECK(root != NULL);
	if (root == NULL)
		return;
	CHECK(json_int64(json_get(root, "schemaVersion"), &n) == 0);
	CHECK(n == 2);
	CHECK(strcmp(text_of(json_get(root, "mediaType")),
		     "application/vnd.docker.distribution.manifest.v2+json")
	      == 0);
	config = json_get(root, "config");
	CHECK(json_len(config) == 3);
	CHECK(json_int64(json_get(config, "size"), &n) == 0);
	CHECK(n == 1472);
	CHECK(strcmp(text_of(json_get(config, "digest")),
		     "sha256:a4c123b1612dd272d1371c17149d4395"
		     "36b3216fdaeeb975729fae923d5a4fd1") == 0);
	len = 0;
	CHECK(json_string(json_get(config, "digest"), &len) != NULL);
	CHECK(len == 71);
	layers = json_get(root, "layers");
	CHECK(json_typeof(layers) == JSON_ARRAY);
	CHECK(json_len(layers) == 3);
	CHECK(json_int64(json_get(json_index(layers, 1), "size"), &n) == 0);
	CHECK(n == 28577153);
	CHECK(strncmp(text_of(json_get(json_index(layers, 2), "digest")),
		      "sha256:08f86beb", 15) == 0);
	errno = 0;
	CHECK(json_index(layers, 3) == NULL);
	CHECK(errno == ENOENT);
	json_free(root);
}

/* An OCI image index for two platforms and an attestation. */
static const char oci_index[] =
	"{\"schemaVersion\":2,"
	"\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"size\":1022,"
	"\"digest\":\"sha256:d440e50454f31af3176813e02ea68ef786e4d3cea27d2693"
	"4b484e73cf575dca\","
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"size\":1022,"
	"\"digest\":\"sha256:d6ba2b0aee0ca923732881584d8c4fa2815d2802827283e0"
	"ad84173581569969\","
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
	"\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"size\":566,"
	"\"digest\":\"sha256:e58b081006f7e3dfc967a64cb14028d512c9791e558e08ba"
	"a7196b50ac2f8670\","
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
	"\"annotations\":{"
	"\"vnd.docker.reference.digest\":\"sha256:d440e50454f31af3176813e02e"
	"a68ef786e4d3cea27d26934b484e73cf575dca\","
	"\"vnd.docker.reference.type\":\"attestation-manifest\"}}],"
	"\"annotations\":{\"org.opencontainers.image.created\":"
	"\"2024-05-01T12:00:00Z\",\"org.opencontainers.image.title\":"
	"\"caf\\u00e9 \\ud83d\\ude80\"}}";

static void
test_oci_index(const void *arg)
{
	const struct json *manifests, *platform, *annotations;
	struct json *root;
	const char *key;
	size_t len;
	int64_t n;

	(void)arg;
	root = parse_copy(T(oci_index), NULL);
	CHECK(root != NULL);
	if (root == NULL)
		return;
	manifests = json_get(root, "manifests");
	CHECK(json_len(manifests) == 3);
	platform = json_get(json_index(manifests, 1), "platform");
	CHECK(strcmp(text_of(json_get(platform, "architecture")), "arm64")
	      == 0);
	CHECK(strcmp(text_of(json_get(platform, "variant")), "v8") == 0);
	errno = 0;
	CHECK(json_get(json_get(json_index(manifests, 0), "platform"),
		       "variant") == NULL && errno == ENOENT);
	CHECK(json_int64(json_get(json_index(manifests, 2), "size"), &n) == 0);
	CHECK(n == 566);
	/* Members come back in document order, not sorted order. */
	annotations = json_get(json_index(manifests, 2), "annotations");
	len = 0;
	key = json_key(annotations, 0, &len);
	CHECK(key != NULL && strcmp(key, "vnd.docker.reference.digest") == 0);
	CHECK(len == 27);
	CHECK(strcmp(key_of(annotations, 1), "vnd.docker.reference.type")
	      == 0);
	CHECK(strcmp(text_of(json_index(annotations, 1)),
		     "attestation-manifest") == 0);
	CHECK(strcmp(key_of(root, 0), "schemaVersion") == 0);
	CHECK(strcmp(key_of(root, 3), "annotations") == 0);
	CHECK(strcmp(text_of(json_get(json_get(root, "annotations"),
				      "org.opencontainers.image.title")),
		     "caf\xc3\xa9 \xf0\x9f\x9a\x80") == 0);
	json_free(root);
}

/* Equal keys in different objects are not duplicates. */
static void
test_duplicate_keys_apart(const void *arg)
{
	struct json *root;
	int64_t n;

	(void)arg;
	root = parse_copy(T("[{\"a\":1},{\"a\":2,\"b\":{\"a\":3}}]"), NULL);
	CHECK(root != NULL);
	CHECK(json_int64(json_get(json_index(root, 1), "a"), &n) == 0);
	CHECK(n == 2);
	CHECK(json_int64(json_get(json_get(json_index(root, 1), "b"), "a"),
			 &n) == 0);
	CHECK(n == 3);
	json_free(root);
}

/* Keys that are prefixes of one another, or differ only after a NUL. */
static void
test_keys_with_nul(const void *arg)
{
	struct json *root;
	const char *key;
	size_t len;
	int64_t n;

	(void)arg;
	root = parse_copy(T("{\"a\\u0000b\":1,\"a\":2,\"ab\":3,\"\":4,"
			    "\"a\\u0000\":5}"), NULL);
	CHECK(root != NULL);
	CHECK(json_len(root) == 5);
	CHECK(json_int64(json_get(root, "a"), &n) == 0);
	CHECK(n == 2);
	CHECK(json_int64(json_get(root, "ab"), &n) == 0);
	CHECK(n == 3);
	CHECK(json_int64(json_get(root, ""), &n) == 0);
	CHECK(n == 4);
	len = 0;
	key = json_key(root, 0, &len);
	CHECK(key != NULL && len == 3 && memcmp(key, "a\0b", 4) == 0);
	len = 0;
	key = json_key(root, 4, &len);
	CHECK(key != NULL && len == 2 && memcmp(key, "a\0", 3) == 0);
	CHECK(json_int64(json_index(root, 0), &n) == 0);
	CHECK(n == 1);
	json_free(root);
}

/* Append text to a growing buffer that the test owns. */
static void
append(char **buf, size_t *len, const char *text)
{
	size_t n;

	n = strlen(text);
	*buf = realloc(*buf, *len + n + 1);
	if (*buf == NULL)
		abort();
	memcpy(*buf + *len, text, n + 1);
	*len += n;
}

/* Many members: every lookup must find its own value. */
static void
test_many_members(const void *arg)
{
	struct json_error err = { 0, NULL };
	struct json *root;
	char member[64], key[32];
	char *text;
	size_t len;
	int64_t n;
	int i, found;

	(void)arg;
	text = NULL;
	len = 0;
	append(&text, &len, "{");
	for (i = 0; i < 5000; i++) {
		snprintf(member, sizeof(member), "%s\"k%d\":%d",
			 i > 0 ? "," : "", (i * 7919) % 5000, i);
		append(&text, &len, member);
	}
	append(&text, &len, "}");
	root = parse_copy(text, len, NULL);
	CHECK(root != NULL);
	CHECK(json_len(root) == 5000);
	found = 0;
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", (i * 7919) % 5000);
		if (json_int64(json_get(root, key), &n) == 0 && n == i)
			found++;
	}
	CHECK(found == 5000);
	json_free(root);

	/* The same object with one key repeated at the end. */
	text[len - 1] = '\0';
	len--;
	append(&text, &len, ",\"k0\":0}");
	root = parse_copy(text, len, &err);
	CHECK(root == NULL);
	CHECK(err.reason != NULL && strcmp(err.reason, "duplicate key") == 0);
	CHECK(err.offset == len - 7);
	free(text);
}

static void
test_large_array(const void *arg)
{
	struct json *root;
	char *text;
	size_t len, i;
	int64_t n;
	int ok;

	(void)arg;
	len = 2 * 100000 + 1;
	text = malloc(len);
	if (text == NULL)
		abort();
	for (i = 0; i < 100000; i++) {
		text[2 * i] = i == 0 ? '[' : ',';
		text[2 * i + 1] = (char)('0' + i % 10);
	}
	text[len - 1] = ']';
	root = parse_copy(text, len, NULL);
	CHECK(json_len(root) == 100000);
	ok = 1;
	for (i = 0; i < 100000; i++)
		if (json_int64(json_index(root, i), &n) == -1 ||
		    n != (int64_t)(i % 10))
			ok = 0;
	CHECK(ok);
	json_free(root);
	free(text);
}

static void
test_lookup_errors(const void *arg)
{
	struct json *root;
	const struct json *missing;
	size_t len;
	double d;
	int64_t n;

	(void)arg;
	root = parse_copy(T("{\"a\":[1,\"s\"],\"o\":{}}"), NULL);
	CHECK(root != NULL);
	errno = 0;
	CHECK(json_get(json_get(root, "a"), "x") == NULL);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(json_index(json_index(json_get(root, "a"), 0), 0) == NULL);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(json_string(json_index(json_get(root, "a"), 0), &len) == NULL);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(json_number(json_index(json_get(root, "a"), 1), &d) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(json_key(json_get(root, "a"), 0, NULL) == NULL);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(json_key(root, 2, NULL) == NULL);
	CHECK(errno == ENOENT);
	CHECK(json_len(json_index(json_get(root, "a"), 1)) == 0);
	CHECK(json_len(json_get(root, "o")) == 0);

	/* A missing key's ENOENT survives the accessors chained on it. */
	errno = 0;
	missing = json_get(root, "nope");
	CHECK(missing == NULL);
	CHECK(errno == ENOENT);
	CHECK(json_string(missing, &len) == NULL);
	CHECK(errno == ENOENT);
	CHECK(json_int64(missing, &n) == -1);
	CHECK(errno == ENOENT);
	CHECK(json_get(missing, "x") == NULL);
	CHECK(errno == ENOENT);
	CHECK(json_index(missing, 0) == NULL);
	CHECK(errno == ENOENT);
	CHECK(json_typeof(missing) == JSON_NULL);
	CHECK(json_len(missing) == 0);
	json_free(root);
	json_free(NULL);
}

static void
test_parse_arguments(const void *arg)
{
	struct json_error err = { 7, NULL };
	struct json *root;

	(void)arg;
	errno = 0;
	root = json_parse(NULL, 0, &err);
	CHECK(root == NULL);
	CHECK(errno == EINVAL);
	CHECK(err.offset == 0);
	CHECK(err.reason != NULL &&
	      strcmp(err.reason, "unexpected end of input") == 0);
	errno = 0;
	CHECK(json_parse("[1,", 3, NULL) == NULL);
	CHECK(errno == EINVAL);
	/* The length bounds the text, whatever follows it in memory. */
	root = json_parse("[1]garbage", 3, NULL);
	CHECK(root != NULL && json_len(root) == 1);
	json_free(root);
	root = json_parse("12345", 2, NULL);
	CHECK(root != NULL);
	CHECK(root != NULL && json_number(root, &(double){ 0 }) == 0);
	json_free(root);
}

/* Write s with json_write_string() into a malloc'd buffer. */
static char *
write_to_buffer(const char *s, size_t len, int *result, size_t *size)
{
	char *buf;
	FILE *f;

	buf = NULL;
	f = open_memstream(&buf, size);
	if (f == NULL)
		abort();
	*result = json_write_string(f, s, len);
	if (fclose(f) != 0)
		abort();
	return buf;
}

static void
test_write_escapes(const void *arg)
{
	static const char expected[] =
		"\"a\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u0000z"
		"\xc3\xa9\xf0\x9f\x98\x80\"";
	char *out;
	size_t size;
	int r;

	(void)arg;
	out = write_to_buffer(T("a\"\\/\b\f\n\r\t\x01\x1f\x7f\0z"
				"\xc3\xa9\xf0\x9f\x98\x80"), &r, &size);
	CHECK(r == 0);
	CHECK(size == sizeof(expected) - 1);
	CHECK(size == sizeof(expected) - 1 &&
	      memcmp(out, expected, sizeof(expected) - 1) == 0);
	if (case_failed)
		printf("# wrote %s\n", out);
	free(out);
	out = write_to_buffer(T(""), &r, &size);
	CHECK(r == 0);
	CHECK(size == 2);
	CHECK(strcmp(out, "\"\"") == 0);
	free(out);
}

static void
test_write_invalid_utf8(const void *arg)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		{ T("\xc0\xaf") },
		{ T("ok\xed\xa0\x80") },
		{ T("\xf4\x90\x80\x80") },
		{ T("trailing\xe2\x82") },
		{ T("\xff") },
	};
	char *out;
	size_t i, size;
	int r;

	(void)arg;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		out = write_to_buffer(bad[i].s, bad[i].len, &r, &size);
		CHECK(r == -1);
		CHECK(errno == EINVAL);
		CHECK(size == 0);
		free(out);
	}
}

/* Write a string, parse what was written, and compare the bytes. */
static void
round_trip(const char *s, size_t len)
{
	struct json *root;
	const char *back;
	char *out;
	size_t size, back_len;
	int r;

	out = write_to_buffer(s, len, &r, &size);
	CHECK(r == 0);
	root = json_parse(out, size, NULL);
	CHECK(root != NULL);
	back = json_string(root, &back_len);
	CHECK(back != NULL && back_len == len);
	CHECK(back != NULL && memcmp(back, s, len) == 0);
	json_free(root);
	free(out);
}

static void
test_write_round_trip(const void *arg)
{
	char ascii[128];
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(ascii); i++)
		ascii[i] = (char)i;
	round_trip(ascii, sizeof(ascii));
	for (i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++)
		round_trip(string_cases[i].bytes, string_cases[i].bytes_len);
	round_trip(T("{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo \\\"hi\\\"\"]}"));
}

static const struct {
	const char *name;
	void (*run)(const void *arg);
} function_cases[] = {
	{ "nesting-max-arrays", test_nesting_max_arrays },
	{ "nesting-max-objects", test_nesting_max_objects },
	{ "nesting-too-deep-arrays", test_nesting_too_deep_arrays },
	{ "nesting-too-deep-objects", test_nesting_too_deep_objects },
	{ "nesting-100000-opens", test_nesting_100000_opens },
	{ "whitespace-all-kinds", test_whitespace_all_kinds },
	{ "scalars-top-level", test_scalars_top_level },
	{ "docker-manifest", test_docker_manifest },
	{ "oci-index", test_oci_index },
	{ "duplicate-keys-apart", test_duplicate_keys_apart },
	{ "keys-with-nul", test_keys_with_nul },
	{ "many-members", test_many_members },
	{ "large-array", test_large_array },
	{ "lookup-errors", test_lookup_errors },
	{ "parse-arguments", test_parse_arguments },
	{ "write-escapes", test_write_escapes },
	{ "write-invalid-utf8", test_write_invalid_utf8 },
	{ "write-round-trip", test_write_round_trip },
};

static int argc_names;
static char **names;
static int *names_used;
static int passed, failed;

/* Run one case if it was selected, and print its result line. */
static void
run(const char *name, void (*fn)(const void *arg), const void *arg)
{
	int i, selected;

	selected = argc_names == 0;
	for (i = 0; i < argc_names; i++) {
		if (strcmp(names[i], name) == 0) {
			names_used[i] = 1;
			selected = 1;
		}
	}
	if (!selected)
		return;
	case_failed = 0;
	fn(arg);
	if (case_failed)
		failed++;
	else
		passed++;
	printf("%s %d - %s\n", case_failed ? "not ok" : "ok",
	       passed + failed, name);
	fflush(stdout);
}

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))

int
main(int argc, char **argv)
{
	size_t i;
	int j, unknown;

	argc_names = argc - 1;
	names = argv + 1;
	names_used = calloc((size_t)argc, sizeof(*names_used));
	if (names_used == NULL)
		return 2;
	for (i = 0; i < COUNT(reject_cases); i++)
		run(reject_cases[i].name, run_reject, &reject_cases[i]);
	for (i = 0; i < COUNT(string_cases); i++)
		run(string_cases[i].name, run_string, &string_cases[i]);
	for (i = 0; i < COUNT(number_cases); i++)
		run(number_cases[i].name, run_number, &number_cases[i]);
	for (i = 0; i < COUNT(function_cases); i++)
		run(function_cases[i].name, function_cases[i].run, NULL);
	unknown = 0;
	for (j = 0; j < argc_names; j++) {
		if (!names_used[j]) {
			fprintf(stderr, "test_json: no case named '%s'\n",
				names[j]);
			unknown = 1;
		}
	}
	free(names_used);
	printf("%d passed, %d failed\n", passed, failed);
	if (unknown)
		return 2;
	return failed > 0;
}
