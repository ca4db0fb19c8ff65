/*
 * fuzz_reference.c - libFuzzer target for reference_parse() and
 * reference_parse_challenge().
 *
 * The input, cut at its first NUL, is parsed both as an image reference
 * and as a WWW-Authenticate value. Invariants checked:
 *
 *	- a parsed reference has a domain, a path, and a tag or a digest,
 *	  each valid, and reference_format() gives text that parses back
 *	  to the same four fields;
 *	- the path, without the "library/" that Docker Hub names get, is
 *	  spelled out whole in the text, so nothing was cut off;
 *	- a parsed challenge, written back as scheme and quoted
 *	  parameters, parses back to the same fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reference.h"

/* Whether the field of size bytes is NUL-terminated inside itself. */
#define TERMINATED(field)	(memchr((field), '\0', sizeof(field)) != NULL)

static int
same_reference(const struct reference *a, const struct reference *b)
{
	return strcmp(a->domain, b->domain) == 0 &&
	       strcmp(a->path, b->path) == 0 &&
	       strcmp(a->tag, b->tag) == 0 &&
	       strcmp(a->digest, b->digest) == 0;
}

/* Whether text contains name as whole components, before a tag or end. */
static int
spells_name(const char *text, const char *name)
{
	const char *p;
	size_t len = strlen(name);

	for (p = strstr(text, name); p != NULL; p = strstr(p + 1, name))
		if ((p == text || p[-1] == '/') &&
		    (p[len] == '\0' || p[len] == ':' || p[len] == '@'))
			return 1;
	return 0;
}

static void
check_reference(const char *text)
{
	struct reference r, again;
	char formatted[1024], reformatted[1024];

	if (reference_parse(&r, text) < 0)
		return;
	if (!TERMINATED(r.domain) || !TERMINATED(r.path) ||
	    !TERMINATED(r.tag) || !TERMINATED(r.digest))
		abort();
	if (r.domain[0] == '\0' || r.path[0] == '\0' ||
	    (r.tag[0] == '\0' && r.digest[0] == '\0'))
		abort();
	if (r.digest[0] != '\0' && !reference_valid_digest(r.digest))
		abort();
	if (reference_host(&r) == NULL)
		abort();
	if (!spells_name(text, r.path) && (strncmp(r.path, "library/", 8) ||
					   !spells_name(text, r.path + 8))) {
		fprintf(stderr, "'%s' parses as path '%s', which it does "
			"not contain\n", text, r.path);
		abort();
	}
	reference_format(&r, formatted, sizeof(formatted));
	if (reference_parse(&again, formatted) < 0) {
		fprintf(stderr, "'%s' formats as '%s', which is rejected\n",
			text, formatted);
		abort();
	}
	if (!same_reference(&r, &again)) {
		fprintf(stderr, "'%s' formats as '%s', which parses as "
			"domain '%s' path '%s' tag '%s' digest '%s' instead "
			"of domain '%s' path '%s' tag '%s' digest '%s'\n",
			text, formatted, again.domain, again.path, again.tag,
			again.digest, r.domain, r.path, r.tag, r.digest);
		abort();
	}
	reference_format(&again, reformatted, sizeof(reformatted));
	if (strcmp(formatted, reformatted) != 0)
		abort();
}

/* Append name="value" with '"' and '\' escaped; return the new end. */
static char *
append_param(char *p, const char *name, const char *value)
{
	if (value[0] == '\0')
		return p;
	p += sprintf(p, ",%s=\"", name);
	for (; *value != '\0'; value++) {
		if (*value == '"' || *value == '\\')
			*p++ = '\\';
		*p++ = *value;
	}
	*p++ = '"';
	*p = '\0';
	return p;
}

static void
check_challenge(const char *text)
{
	static char header[8 * CHALLENGE_VALUE_MAX + 64];
	struct challenge c, again;
	char *p;

	if (reference_parse_challenge(&c, text) < 0)
		return;
	if (!TERMINATED(c.scheme) || !TERMINATED(c.realm) ||
	    !TERMINATED(c.service) || !TERMINATED(c.scope) ||
	    !TERMINATED(c.error) || c.scheme[0] == '\0')
		abort();
	p = header + sprintf(header, "%s ", c.scheme);
	p = append_param(p, "realm", c.realm);
	p = append_param(p, "service", c.service);
	p = append_param(p, "scope", c.scope);
	(void)append_param(p, "error", c.error);
	/* The first parameter has no comma before it. */
	if (header[strlen(c.scheme) + 1] == ',')
		header[strlen(c.scheme) + 1] = ' ';
	if (reference_parse_challenge(&again, header) < 0)
		abort();
	if (strcmp(c.scheme, again.scheme) != 0 ||
	    strcmp(c.realm, again.realm) != 0 ||
	    strcmp(c.service, again.service) != 0 ||
	    strcmp(c.scope, again.scope) != 0 ||
	    strcmp(c.error, again.error) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	/* An exact-size copy, so that a read past the end is caught. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_reference(text);
	check_challenge(text);
	free(text);
	return 0;
}
