/*
 * fuzz_manifest.c - libFuzzer target for choosing an image from an image
 * index: manifest_parse_platform on the input's first line, then
 * manifest_select on the rest parsed as JSON, for that platform and for
 * a few fixed ones.
 *
 * Invariants: a chosen digest is a valid sha256 digest that appears in
 * the index text, and a parsed platform formats back to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../manifest.h"
#include "../reference.h"

static void
check_select(const struct json *index, const struct platform *p,
	     const char *text, size_t len)
{
	char digest[7 + 65];

	if (manifest_select(index, p, digest) < 0)
		return;
	if (!reference_valid_digest(digest) ||
	    memmem(text, len, digest, strlen(digest)) == NULL)
		abort();
}

static void
check_platform(const char *line)
{
	struct platform p;
	char back[256];

	if (manifest_parse_platform(&p, line) < 0)
		return;
	snprintf(back, sizeof(back), "%s/%s%s%s", p.os, p.arch,
		 p.variant[0] ? "/" : "", p.variant);
	if (strcmp(back, line))
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const fixed[] = {
		"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64",
	};
	struct platform p;
	struct json *index;
	const char *text = (const char *)data;
	const char *nl;
	char line[256];
	size_t i;

	nl = memchr(text, '\n', size);
	if (nl == NULL || (size_t)(nl - text) >= sizeof(line))
		return 0;
	memcpy(line, text, nl - text);
	line[nl - text] = '\0';
	check_platform(line);
	index = json_parse(nl + 1, size - (nl + 1 - text), NULL);
	if (index == NULL)
		return 0;
	if (manifest_parse_platform(&p, line) == 0)
		check_select(index, &p, nl + 1, size - (nl + 1 - text));
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		(void)manifest_parse_platform(&p, fixed[i]);
		check_select(index, &p, nl + 1, size - (nl + 1 - text));
	}
	json_free(index);
	return 0;
}
