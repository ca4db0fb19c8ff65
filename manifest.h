/*
 * manifest.h - choosing an image from an OCI image index or a Docker
 * manifest list by platform (manifest.c).
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include "json.h"

/* A platform as the OCI image index names it: "linux", "arm64", "v8". */
struct platform {
	char os[64];
	char arch[64];
	char variant[64];	/* "" when it has none */
};

void manifest_host_platform(struct platform *p);
int manifest_parse_platform(struct platform *p, const char *text);
int manifest_select(const struct json *index, const struct platform *p,
		    char *digest);

#endif
