/*
 * reference.h - image references ("alpine:3.19") and WWW-Authenticate
 * challenges: the parsers in reference.c.
 */
#ifndef REFERENCE_H
#define REFERENCE_H

#include <stddef.h>

#define REFERENCE_DEFAULT_DOMAIN	"docker.io"
#define REFERENCE_DEFAULT_HOST		"registry-1.docker.io"
#define REFERENCE_NAME_MAX		255	/* domain/path, as Docker */
#define REFERENCE_DOMAIN_MAX		253
#define REFERENCE_TAG_MAX		128

struct reference {
	char domain[REFERENCE_DOMAIN_MAX + 1];	/* "docker.io" by default */
	char path[REFERENCE_NAME_MAX + 1];	/* "library/alpine" */
	char tag[REFERENCE_TAG_MAX + 1];	/* "latest" unless pinned */
	char digest[7 + 64 + 1];		/* "sha256:<hex>" or "" */
};

#define CHALLENGE_VALUE_MAX 1024

struct challenge {
	char scheme[16];			/* "Bearer" or "Basic" */
	char realm[CHALLENGE_VALUE_MAX];
	char service[CHALLENGE_VALUE_MAX];
	char scope[CHALLENGE_VALUE_MAX];
	char error[CHALLENGE_VALUE_MAX];
};

int reference_parse(struct reference *r, const char *text);
int reference_valid_digest(const char *s);
const char *reference_host(const struct reference *r);
void reference_format(const struct reference *r, char *buf, size_t size);
int reference_parse_challenge(struct challenge *c, const char *header);

#endif
