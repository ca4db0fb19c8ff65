/* json.c - a strict JSON parser for registry documents, and a string writer.
 *
 * Spec: RFC 8259, "The JavaScript Object Notation (JSON) Data Interchange
 * Format", with UTF-8 as RFC 3629 defines it. Where RFC 8259 lets a parser
 * choose (section 9), this one takes the strict side, because manifests
 * come from registries we do not control:
 *
 *	- the text must be UTF-8 without a byte order mark (section 8.1);
 *	- a \u escape of an unpaired UTF-16 surrogate is an error (8.2);
 *	- a number that overflows a double is an error (section 6);
 *	- nesting deeper than JSON_MAX_DEPTH is an error (section 9);
 *	- a key that appears twice in one object is an error (section 4).
 *	  Two readers that pick different duplicates could otherwise see two
 *	  different manifests behind one digest.
 *
 * The tree is built from plain malloc'd arrays: an array's elements and an
 * object's members are stored by value, so a value costs one struct json
 * and only strings, arrays and objects allocate.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct json {
	enum json_type type;
	union {
		int boolean;
		struct {
			double value;
			int64_t integer;
			int integral;	/* no fraction or exponent */
			int fits;	/* integer holds the value exactly */
		} number;
		struct {
			char *bytes;	/* decoded UTF-8, NUL-terminated */
			size_t len;
		} string;
		struct {
			struct json *items;
			size_t len;
		} array;
		struct {
			struct member *members;	/* in document order */
			struct member **sorted;	/* by key, for json_get() */
			size_t len;
		} object;
	} u;
};

struct member {
	char *key;		/* decoded UTF-8, NUL-terminated */
	size_t keylen;
	size_t offset;		/* of the key's opening quote, for errors */
	struct json value;
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;		/* next byte to read */
	int errnum;		/* errno for json_parse() to return */
	struct json_error *err;
};

/* Record a failure at offset and return -1, for callers to return. */
static int
fail(struct parser *p, size_t offset, const char *reason, int errnum)
{
	if (p->err != NULL) {
		p->err->offset = offset;
		p->err->reason = reason;
	}
	p->errnum = errnum;
	return -1;
}

static int
invalid(struct parser *p, size_t offset, const char *reason)
{
	return fail(p, offset, reason, EINVAL);
}

/* Fail at p->pos, or with "unexpected end of input" if the text ran out. */
static int
expected(struct parser *p, const char *reason)
{
	if (p->pos >= p->len)
		return invalid(p, p->pos, "unexpected end of input");
	return invalid(p, p->pos, reason);
}

static int
nomem(struct parser *p)
{
	return fail(p, p->pos, "out of memory", ENOMEM);
}

/* The byte at p->pos, or -1 at the end of the text. */
static int
peek(const struct parser *p)
{
	if (p->pos >= p->len)
		return -1;
	return (unsigned char)p->text[p->pos];
}

/* Skip the four whitespace bytes RFC 8259 allows, and no others. */
static void
skip_space(struct parser *p)
{
	int c;

	for (;;) {
		c = peek(p);
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Double the capacity of a malloc'd array; NULL on failure. */
static void *
grow(struct parser *p, void *array, size_t *cap, size_t size)
{
	size_t n;
	void *bigger;

	n = *cap > 0 ? *cap * 2 : 4;
	if (n > SIZE_MAX / size) {
		nomem(p);
		return NULL;
	}
	bigger = realloc(array, n * size);
	if (bigger == NULL) {
		nomem(p);
		return NULL;
	}
	*cap = n;
	return bigger;
}

/* Free what v owns, but not v itself, which may sit inside an array. */
static void
free_value(struct json *v)
{
	size_t i;

	switch (v->type) {
	case JSON_STRING:
		free(v->u.string.bytes);
		break;
	case JSON_ARRAY:
		for (i = 0; i < v->u.array.len; i++)
			free_value(&v->u.array.items[i]);
		free(v->u.array.items);
		break;
	case JSON_OBJECT:
		for (i = 0; i < v->u.object.len; i++) {
			free(v->u.object.members[i].key);
			free_value(&v->u.object.members[i].value);
		}
		free(v->u.object.members);
		free(v->u.object.sorted);
		break;
	default:
		break;
	}
}

/* Number of elements or members of v, which is an array or object. */
static size_t
container_len(const struct json *v)
{
	if (v->type == JSON_ARRAY)
		return v->u.array.len;
	return v->u.object.len;
}

/*
 * Return the length of the well-formed UTF-8 sequence at s, or 0 if it is
 * truncated, overlong, an encoded surrogate or above U+10FFFF (RFC 3629,
 * section 4). avail is the number of bytes readable at s, at least 1.
 */
size_t
json_utf8_length(const unsigned char *s, size_t avail)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)	/* a continuation byte, or overlong C0, C1 */
		return 0;
	if (s[0] < 0xe0) {
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Encode code point cp, at most U+10FFFF, as UTF-8 and return its length. */
static size_t
utf8_encode(char *out, uint32_t cp)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n, i;

	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800)
		n = 2;
	else if (cp < 0x10000)
		n = 3;
	else
		n = 4;
	for (i = n - 1; i > 0; i--) {
		out[i] = (char)(0x80 | (cp & 0x3f));
		cp >>= 6;
	}
	out[0] = (char)(lead[n] | cp);
	return n;
}

/* Read the four hex digits of the \uXXXX at p->pos, before end. */
static int
read_hex4(struct parser *p, size_t end, uint32_t *cp)
{
	size_t i;
	int c;

	if (end - p->pos < 6)
		return invalid(p, p->pos, "invalid unicode escape");
	*cp = 0;
	for (i = 2; i < 6; i++) {
		c = (unsigned char)p->text[p->pos + i];
		if (is_digit(c))
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return invalid(p, p->pos, "invalid unicode escape");
		*cp = *cp << 4 | (uint32_t)c;
	}
	p->pos += 6;
	return 0;
}

/*
 * Decode the \u escape at p->pos into out and return the bytes written,
 * or -1. RFC 8259, section 7, escapes a character outside the Basic
 * Multilingual Plane as a UTF-16 pair: a high surrogate, then a low one.
 * The pair decodes to one code point, and either half alone is an error.
 */
static int
decode_unicode(struct parser *p, size_t end, char *out)
{
	size_t start;
	uint32_t cp, low;

	start = p->pos;
	if (read_hex4(p, end, &cp) == -1)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return invalid(p, start, "unpaired surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - p->pos < 2 || p->text[p->pos] != '\\' ||
		    p->text[p->pos + 1] != 'u')
			return invalid(p, start, "unpaired surrogate");
		if (read_hex4(p, end, &low) == -1)
			return -1;
		if (low < 0xdc00 || low > 0xdfff)
			return invalid(p, start, "unpaired surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	return (int)utf8_encode(out, cp);
}

/* Decode the escape at p->pos into out and return the bytes written. */
static int
decode_escape(struct parser *p, size_t end, char *out)
{
	static const char names[] = "\"\\/bfnrt";
	static const char bytes[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	char c;

	c = p->text[p->pos + 1];
	if (c == 'u')
		return decode_unicode(p, end, out);
	hit = c != '\0' ? strchr(names, c) : NULL;
	if (hit == NULL)
		return invalid(p, p->pos, "invalid escape");
	*out = bytes[hit - names];
	p->pos += 2;
	return 1;
}

/*
 * Find the closing quote of the string that opens at p->pos. Every
 * backslash has a byte after it before the quote, so the decoder can read
 * p->text[pos + 1] without a bounds check.
 */
static int
find_string_end(struct parser *p, size_t *end)
{
	size_t i;

	for (i = p->pos + 1; i < p->len; i++) {
		if (p->text[i] == '"') {
			*end = i;
			return 0;
		}
		if (p->text[i] == '\\')
			i++;
	}
	return invalid(p, p->len, "unterminated string");
}

/*
 * Decode the string at p->pos into a malloc'd, NUL-terminated buffer. No
 * escape decodes to more bytes than it takes in the text, so the raw
 * length bounds the decoded one.
 */
static int
parse_string(struct parser *p, char **bytes, size_t *len)
{
	size_t end, n, k;
	char *out;
	int c, r;

	if (find_string_end(p, &end) == -1)
		return -1;
	out = malloc(end - p->pos);
	if (out == NULL)
		return nomem(p);
	p->pos++;
	for (n = 0; p->pos < end; n += k) {
		c = (unsigned char)p->text[p->pos];
		if (c == '\\') {
			r = decode_escape(p, end, out + n);
			if (r == -1)
				goto fail;
			k = (size_t)r;
			continue;
		}
		if (c < 0x20) {
			invalid(p, p->pos, "control character in string");
			goto fail;
		}
		k = json_utf8_length((const unsigned char *)p->text + p->pos,
				end - p->pos);
		if (k == 0) {
			invalid(p, p->pos, "invalid utf-8");
			goto fail;
		}
		memcpy(out + n, p->text + p->pos, k);
		p->pos += k;
	}
	out[n] = '\0';
	p->pos = end + 1;
	*bytes = out;
	*len = n;
	return 0;
fail:
	free(out);
	return -1;
}

static size_t
skip_digits(struct parser *p)
{
	size_t start;

	start = p->pos;
	while (is_digit(peek(p)))
		p->pos++;
	return p->pos - start;
}

/*
 * Convert the n digits at s, with an optional leading '-', to an int64_t
 * and return 1, or return 0 if the value lies outside its range.
 */
static int
exact_int64(const char *s, size_t n, int64_t *out)
{
	uint64_t limit, u;
	size_t i;
	unsigned d;
	int negative;

	negative = s[0] == '-';
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	u = 0;
	for (i = negative; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (u > (limit - d) / 10)
			return 0;
		u = u * 10 + d;
	}
	if (!negative)
		*out = (int64_t)u;
	else if (u == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)u;
	return 1;
}

/*
 * Store the number text[start..p->pos), already checked against the
 * grammar, in v. strtod() needs a NUL-terminated copy.
 * NOTE: strtod() takes the decimal point from LC_NUMERIC, so a program
 * that sets a locale with a ',' decimal point misreads fractions.
 */
static int
store_number(struct parser *p, size_t start, int integral, struct json *v)
{
	char small[64];
	char *copy;
	size_t n;
	double value;

	n = p->pos - start;
	copy = small;
	if (n >= sizeof(small)) {
		copy = malloc(n + 1);
		if (copy == NULL)
			return nomem(p);
	}
	memcpy(copy, p->text + start, n);
	copy[n] = '\0';
	value = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	if (isinf(value))
		return invalid(p, start, "number out of range");
	v->type = JSON_NUMBER;
	v->u.number.value = value;
	v->u.number.integral = integral;
	if (integral)
		v->u.number.fits = exact_int64(p->text + start, n,
					       &v->u.number.integer);
	return 0;
}

/* Parse -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (section 6). */
static int
parse_number(struct parser *p, struct json *v)
{
	size_t start;
	int integral;

	start = p->pos;
	integral = 1;
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
		if (is_digit(peek(p)))
			return invalid(p, start, "leading zero in number");
	} else if (skip_digits(p) == 0) {
		return invalid(p, p->pos, "invalid number");
	}
	if (peek(p) == '.') {
		integral = 0;
		p->pos++;
		if (skip_digits(p) == 0)
			return invalid(p, p->pos, "invalid number");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		integral = 0;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (skip_digits(p) == 0)
			return invalid(p, p->pos, "invalid number");
	}
	return store_number(p, start, integral, v);
}

static int
parse_literal(struct parser *p, struct json *v)
{
	static const struct {
		const char *word;
		enum json_type type;
		int boolean;
	} literals[] = {
		{ "true", JSON_BOOL, 1 },
		{ "false", JSON_BOOL, 0 },
		{ "null", JSON_NULL, 0 },
	};
	size_t i, n;

	for (i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		n = strlen(literals[i].word);
		if (p->len - p->pos < n ||
		    memcmp(p->text + p->pos, literals[i].word, n) != 0)
			continue;
		v->type = literals[i].type;
		v->u.boolean = literals[i].boolean;
		p->pos += n;
		return 0;
	}
	return invalid(p, p->pos, "invalid literal");
}

/* Parse a string, number or literal into v, which the caller zeroed. */
static int
parse_scalar(struct parser *p, struct json *v)
{
	int c;

	c = peek(p);
	if (c == '"') {
		if (parse_string(p, &v->u.string.bytes, &v->u.string.len) == -1)
			return -1;
		v->type = JSON_STRING;
		return 0;
	}
	if (c == '-' || is_digit(c))
		return parse_number(p, v);
	if (c == 't' || c == 'f' || c == 'n')
		return parse_literal(p, v);
	return expected(p, "unexpected character");
}

static int
compare_keys(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	r = memcmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

/*
 * qsort() comparator for an array of struct member pointers: by key, then
 * by position, so that equal keys stay in document order.
 */
static int
compare_members(const void *a, const void *b)
{
	const struct member *x = *(const struct member *const *)a;
	const struct member *y = *(const struct member *const *)b;
	int r;

	r = compare_keys(x->key, x->keylen, y->key, y->keylen);
	if (r != 0)
		return r;
	return (x->offset > y->offset) - (x->offset < y->offset);
}

/*
 * Sort pointers to obj's members by key, so that json_get() can search
 * them and duplicates sit side by side. Sorting keeps the check at
 * O(n log n) for an object with many members. The error points at the
 * first key in the document that repeats an earlier one.
 */
static int
index_members(struct parser *p, struct json *obj)
{
	struct member **sorted;
	size_t i, n, first;

	n = obj->u.object.len;
	if (n == 0)
		return 0;
	/* n * sizeof(*sorted) cannot overflow: the members took more. */
	sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL)
		return nomem(p);
	for (i = 0; i < n; i++)
		sorted[i] = &obj->u.object.members[i];
	qsort(sorted, n, sizeof(*sorted), compare_members);
	obj->u.object.sorted = sorted;
	first = SIZE_MAX;
	for (i = 1; i < n; i++) {
		if (compare_keys(sorted[i - 1]->key, sorted[i - 1]->keylen,
				 sorted[i]->key, sorted[i]->keylen) == 0 &&
		    sorted[i]->offset < first)
			first = sorted[i]->offset;
	}
	if (first != SIZE_MAX)
		return invalid(p, first, "duplicate key");
	return 0;
}

/*
 * An array or object whose closing bracket has not been read yet. It owns
 * its elements [0, len) by value, so freeing value frees them. The last
 * one may still be zeroed while a nested container is open.
 */
struct frame {
	struct json value;
	size_t cap;
	struct json *slot;	/* where value goes once it is closed */
};

/* Append a zeroed element to an open array and return it. */
static struct json *
add_element(struct parser *p, struct frame *f)
{
	struct json *items;

	items = f->value.u.array.items;
	if (f->value.u.array.len == f->cap) {
		items = grow(p, items, &f->cap, sizeof(*items));
		if (items == NULL)
			return NULL;
		f->value.u.array.items = items;
	}
	items += f->value.u.array.len++;
	memset(items, 0, sizeof(*items));
	return items;
}

/* Read `"key" :` into a new member of an open object and return its value. */
static struct json *
add_member(struct parser *p, struct frame *f)
{
	struct member *m;

	skip_space(p);
	if (peek(p) != '"') {
		expected(p, "expected string key");
		return NULL;
	}
	m = f->value.u.object.members;
	if (f->value.u.object.len == f->cap) {
		m = grow(p, m, &f->cap, sizeof(*m));
		if (m == NULL)
			return NULL;
		f->value.u.object.members = m;
	}
	m += f->value.u.object.len;
	memset(m, 0, sizeof(*m));
	m->offset = p->pos;
	if (parse_string(p, &m->key, &m->keylen) == -1)
		return NULL;
	/* Count the member now so that a failure below frees its key. */
	f->value.u.object.len++;
	skip_space(p);
	if (peek(p) != ':') {
		expected(p, "expected ':'");
		return NULL;
	}
	p->pos++;
	return &m->value;
}

/*
 * After a value: close the containers that end here, then read the ','
 * (or object key) before the next value and return 0 with *slot set to
 * where that value goes. Returns 1 once the outermost value is complete.
 */
static int
next_slot(struct parser *p, struct frame *stack, int *depth,
	  struct json **slot)
{
	struct frame *top;
	int array, c;

	while (*depth > 0) {
		top = &stack[*depth - 1];
		array = top->value.type == JSON_ARRAY;
		skip_space(p);
		c = peek(p);
		if (c == (array ? ']' : '}')) {
			p->pos++;
			if (!array && index_members(p, &top->value) == -1)
				return -1;
			*top->slot = top->value;
			(*depth)--;
			continue;
		}
		if (container_len(&top->value) > 0) {
			if (c != ',')
				return expected(p, array ? "expected ',' or ']'"
						: "expected ',' or '}'");
			p->pos++;
		}
		*slot = array ? add_element(p, top) : add_member(p, top);
		return *slot == NULL ? -1 : 0;
	}
	return 1;
}

/*
 * Parse one value into root, which the caller zeroed. Open containers live
 * on an explicit stack rather than the C stack, so hostile nesting costs
 * a bounded array here and the depth check is a plain comparison.
 */
static int
parse_tree(struct parser *p, struct json *root)
{
	struct frame stack[JSON_MAX_DEPTH];
	struct json *slot;
	int depth, c, r;

	depth = 0;
	slot = root;
	for (;;) {
		skip_space(p);
		c = peek(p);
		if (c == '[' || c == '{') {
			if (depth == JSON_MAX_DEPTH) {
				invalid(p, p->pos, "nesting too deep");
				goto fail;
			}
			memset(&stack[depth], 0, sizeof(stack[depth]));
			stack[depth].value.type =
				c == '[' ? JSON_ARRAY : JSON_OBJECT;
			stack[depth].slot = slot;
			depth++;
			p->pos++;
		} else if (parse_scalar(p, slot) == -1) {
			goto fail;
		}
		r = next_slot(p, stack, &depth, &slot);
		if (r == -1)
			goto fail;
		if (r == 1)
			return 0;
	}
fail:
	while (depth > 0)
		free_value(&stack[--depth].value);
	return -1;
}

void
json_free(struct json *root)
{
	if (root == NULL)
		return;
	free_value(root);
	free(root);
}

struct json *
json_parse(const char *text, size_t len, struct json_error *err)
{
	struct parser p = { text, len, 0, 0, err };
	struct json *root;

	root = NULL;
	if (text == NULL && len > 0) {
		invalid(&p, 0, "missing text");
		goto fail;
	}
	root = calloc(1, sizeof(*root));
	if (root == NULL) {
		nomem(&p);
		goto fail;
	}
	if (parse_tree(&p, root) == -1)
		goto fail;
	skip_space(&p);
	if (p.pos < p.len) {
		invalid(&p, p.pos, "trailing data");
		goto fail;
	}
	return root;
fail:
	json_free(root);
	errno = p.errnum;
	return NULL;
}

enum json_type
json_typeof(const struct json *v)
{
	if (v == NULL)
		return JSON_NULL;
	return v->type;
}

/* Fail with EINVAL unless v has type. A NULL v fails leaving errno. */
static int
check_type(const struct json *v, enum json_type type)
{
	if (v == NULL)
		return -1;
	if (v->type != type) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	const struct member *m;
	size_t lo, hi, mid, keylen;
	int r;

	if (check_type(obj, JSON_OBJECT) == -1)
		return NULL;
	keylen = strlen(key);
	lo = 0;
	hi = obj->u.object.len;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		m = obj->u.object.sorted[mid];
		r = compare_keys(key, keylen, m->key, m->keylen);
		if (r == 0)
			return &m->value;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	errno = ENOENT;
	return NULL;
}

const struct json *
json_index(const struct json *v, size_t i)
{
	if (v == NULL)
		return NULL;
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT) {
		errno = EINVAL;
		return NULL;
	}
	if (i >= container_len(v)) {
		errno = ENOENT;
		return NULL;
	}
	if (v->type == JSON_ARRAY)
		return &v->u.array.items[i];
	return &v->u.object.members[i].value;
}

const char *
json_key(const struct json *obj, size_t i, size_t *len)
{
	if (check_type(obj, JSON_OBJECT) == -1)
		return NULL;
	if (i >= obj->u.object.len) {
		errno = ENOENT;
		return NULL;
	}
	if (len != NULL)
		*len = obj->u.object.members[i].keylen;
	return obj->u.object.members[i].key;
}

size_t
json_len(const struct json *v)
{
	if (v == NULL || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
		return 0;
	return container_len(v);
}

const char *
json_string(const struct json *v, size_t *len)
{
	if (check_type(v, JSON_STRING) == -1)
		return NULL;
	if (len != NULL)
		*len = v->u.string.len;
	return v->u.string.bytes;
}

int
json_number(const struct json *v, double *out)
{
	if (check_type(v, JSON_NUMBER) == -1)
		return -1;
	*out = v->u.number.value;
	return 0;
}

int
json_int64(const struct json *v, int64_t *out)
{
	if (check_type(v, JSON_NUMBER) == -1)
		return -1;
	if (!v->u.number.integral) {
		errno = EINVAL;
		return -1;
	}
	if (!v->u.number.fits) {
		errno = ERANGE;
		return -1;
	}
	*out = v->u.number.integer;
	return 0;
}

int
json_bool(const struct json *v, int *out)
{
	if (check_type(v, JSON_BOOL) == -1)
		return -1;
	*out = v->u.boolean;
	return 0;
}

/*
 * Write byte c of a string as JSON needs it. RFC 8259 requires escapes
 * only for '"', '\' and U+0000 to U+001F; the rest, '/' and DEL included,
 * goes out as it is.
 */
static int
write_byte(FILE *f, unsigned char c)
{
	static const char bytes[] = "\"\\\b\f\n\r\t";
	static const char names[] = "\"\\bfnrt";
	const char *hit;

	hit = c != '\0' ? strchr(bytes, c) : NULL;
	if (hit != NULL)
		return fprintf(f, "\\%c", names[hit - bytes]) < 0 ? -1 : 0;
	if (c < 0x20)
		return fprintf(f, "\\u%04x", c) < 0 ? -1 : 0;
	return putc(c, f) == EOF ? -1 : 0;
}

int
json_write_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = json_utf8_length(u + i, len - i);
		if (n == 0) {
			errno = EINVAL;
			return -1;
		}
	}
	if (putc('"', f) == EOF)
		return -1;
	for (i = 0; i < len; i++)
		if (write_byte(f, u[i]) == -1)
			return -1;
	if (putc('"', f) == EOF)
		return -1;
	return 0;
}

