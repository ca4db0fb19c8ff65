/*
 * fuzz_json.c - libFuzzer target for json_parse() and the accessors.
 *
 * Each input is parsed as one document. A tree that parses is walked
 * with every accessor, and these invariants are checked:
 *
 *	- json_get() on a member's key finds that same member (keys are
 *	  unique, because duplicates are rejected);
 *	- a string or key written by json_write_string() parses back to
 *	  the same bytes;
 *	- json_int64() agrees with json_number() when both succeed.
 *
 * A rejected document must come with an offset inside the text and a
 * reason. Build: see fuzz/run.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"

/* Write s as a JSON string, parse it back and compare the bytes. */
static void
check_string_round_trip(const char *s, size_t len)
{
	struct json *copy;
	const char *back;
	size_t back_len;
	char *text = NULL;
	size_t text_len = 0;
	FILE *f;

	f = open_memstream(&text, &text_len);
	if (f == NULL)
		abort();
	if (json_write_string(f, s, len) < 0)
		abort();	/* the parser only produces valid UTF-8 */
	if (fclose(f) != 0)
		abort();
	copy = json_parse(text, text_len, NULL);
	if (copy == NULL)
		abort();
	back = json_string(copy, &back_len);
	if (back == NULL || back_len != len || memcmp(back, s, len) != 0)
		abort();
	json_free(copy);
	free(text);
}

static void
check_number(const struct json *v)
{
	double d;
	int64_t i;

	if (json_number(v, &d) < 0)
		abort();
	if (json_int64(v, &i) == 0 && (double)i != d)
		abort();
}

static void
walk(const struct json *v, int depth)
{
	const struct json *member;
	const char *key;
	size_t i, n, len;
	int b;

	if (depth > JSON_MAX_DEPTH + 1)
		abort();
	n = json_len(v);
	switch (json_typeof(v)) {
	case JSON_NULL:
		break;
	case JSON_BOOL:
		if (json_bool(v, &b) < 0 || (b != 0 && b != 1))
			abort();
		break;
	case JSON_NUMBER:
		check_number(v);
		break;
	case JSON_STRING:
		key = json_string(v, &len);
		if (key == NULL || key[len] != '\0')
			abort();
		check_string_round_trip(key, len);
		break;
	case JSON_ARRAY:
		for (i = 0; i < n; i++)
			walk(json_index(v, i), depth + 1);
		if (json_index(v, n) != NULL)
			abort();
		break;
	case JSON_OBJECT:
		for (i = 0; i < n; i++) {
			key = json_key(v, i, &len);
			member = json_index(v, i);
			if (key == NULL || member == NULL || key[len] != '\0')
				abort();
			/* A key with U+0000 is reachable only by index. */
			if (strlen(key) == len && json_get(v, key) != member)
				abort();
			check_string_round_trip(key, len);
			walk(member, depth + 1);
		}
		if (json_key(v, n, NULL) != NULL)
			abort();
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_error err = { 0, NULL };
	struct json *root;
	char *text;

	/* An exact-size copy, so that a read past the end is caught. */
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	root = json_parse(text, size, &err);
	if (root == NULL) {
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (errno == EINVAL && (err.reason == NULL ||
					err.offset > size))
			abort();
	} else {
		walk(root, 0);
		json_free(root);
	}
	free(text);
	return 0;
}
