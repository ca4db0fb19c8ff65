/*
 * json.h - a strict RFC 8259 JSON parser and a string writer.
 *
 * json_parse() builds a read-only tree from one complete document; the
 * lookups below walk it, and json_free() releases it. Every function that
 * can fail returns NULL or -1 with errno set, and none of them print.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Maximum nesting of arrays and objects; one level deeper is an error. */
#define JSON_MAX_DEPTH	256

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* A parsed value; its fields are private to json.c. */
struct json;

/* Parse failure: the byte offset in the text and a lower-case reason. */
struct json_error {
	size_t offset;
	const char *reason;	/* static string, e.g. "invalid escape" */
};

/*
 * Parse the len bytes at text as one JSON document (RFC 8259).
 *
 * The text need not be NUL-terminated. The parser rejects trailing data,
 * invalid UTF-8, a byte order mark, comments, NaN and Infinity, numbers
 * that overflow a double, nesting deeper than JSON_MAX_DEPTH and
 * duplicate keys in one object. On failure it returns NULL with errno set
 * to EINVAL (invalid text) or ENOMEM, and fills *err if err is not NULL.
 *
 * NOTE: by estimate, the tree can take up to about 32 times the input size
 * on 64-bit systems, so callers should cap the size of what they parse.
 * The worst case is a long array of one-digit numbers: each element takes
 * 32 bytes, and twice that just after the array's storage doubles.
 */
struct json *json_parse(const char *text, size_t len, struct json_error *err);

/* Free a tree from json_parse(); NULL is allowed. */
void json_free(struct json *root);

/*
 * The accessors below fail with EINVAL when v has the wrong type. They
 * accept NULL for v and then fail without changing errno, so that
 * json_string(json_get(obj, "key"), &len) fails with the ENOENT that
 * json_get() set for a missing key.
 */
enum json_type json_typeof(const struct json *v);	/* JSON_NULL for NULL */

/*
 * Find member key of object obj and return its value, or NULL with ENOENT.
 * A key that contains U+0000 can only be reached through json_key().
 */
const struct json *json_get(const struct json *obj, const char *key);

/*
 * Return element i of an array, or the value of member i of an object in
 * document order; NULL with ENOENT if i is out of range.
 */
const struct json *json_index(const struct json *v, size_t i);

/*
 * Return the key of member i of object obj, NUL-terminated. If len is not
 * NULL, *len receives its length in bytes, which counts any U+0000 in it.
 */
const char *json_key(const struct json *obj, size_t i, size_t *len);

/* Return the number of elements or members of v; 0 for other types. */
size_t json_len(const struct json *v);

/* Return the decoded UTF-8 bytes of a string, with len as for json_key(). */
const char *json_string(const struct json *v, size_t *len);

/* Store the value of a number in *out, as the nearest double. */
int json_number(const struct json *v, double *out);

/*
 * Store the value of a number in *out as an exact int64_t. It fails with
 * EINVAL when the number has a fraction or exponent (even "1.0" or "1e2")
 * and with ERANGE when it lies outside [INT64_MIN, INT64_MAX].
 */
int json_int64(const struct json *v, int64_t *out);

/* Store 1 for true or 0 for false in *out. */
int json_bool(const struct json *v, int *out);

/*
 * Write the len bytes at s to f as a quoted JSON string, escaping '"', '\'
 * and control characters. It fails with EINVAL, writing nothing, when s is
 * not valid UTF-8. After a write error, errno is what stdio set.
 */
/*
 * Return the length of the well-formed UTF-8 sequence at s, or 0 when it
 * is not one. avail is the number of bytes readable at s, at least 1.
 */
size_t json_utf8_length(const unsigned char *s, size_t avail);

int json_write_string(FILE *f, const char *s, size_t len);

#endif
