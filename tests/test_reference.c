/*
 * test_reference.c - known answers for image references and
 * WWW-Authenticate challenges. `test_reference [NAME]` runs every case
 * or the one named; each prints "ok N - name" or "not ok N - name".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reference.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"

static const struct {
	const char *text;
	const char *domain;	/* NULL: the text must be rejected */
	const char *path;
	const char *tag;
	const char *digest;
	const char *familiar;
} refs[] = {
	{ "alpine", "docker.io", "library/alpine", "latest", "",
	  "alpine:latest" },
	{ "alpine:3.19", "docker.io", "library/alpine", "3.19", "",
	  "alpine:3.19" },
	{ "library/alpine", "docker.io", "library/alpine", "latest", "",
	  "alpine:latest" },
	{ "docker.io/library/alpine:3.19", "docker.io", "library/alpine",
	  "3.19", "", "alpine:3.19" },
	{ "user/app", "docker.io", "user/app", "latest", "",
	  "user/app:latest" },
	{ "registry.example:5000/team/app/api:1.2", "registry.example:5000",
	  "team/app/api", "1.2", "", "registry.example:5000/team/app/api:1.2" },
	{ "localhost/app", "localhost", "app", "latest", "",
	  "localhost/app:latest" },
	{ "localhost:5000/app", "localhost:5000", "app", "latest", "",
	  "localhost:5000/app:latest" },
	{ "127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest",
	  "", "127.0.0.1:5000/busybox:latest" },
	{ "alpine@sha256:" HEX64, "docker.io", "library/alpine", "",
	  "sha256:" HEX64, "alpine@sha256:" HEX64 },
	{ "alpine:3@sha256:" HEX64, "docker.io", "library/alpine", "3",
	  "sha256:" HEX64, "alpine:3@sha256:" HEX64 },
	{ "a_b/c__d/e-f/g---h/i.j", "docker.io", "a_b/c__d/e-f/g---h/i.j",
	  "latest", "", "a_b/c__d/e-f/g---h/i.j:latest" },
	{ "library/a/b", "docker.io", "library/a/b", "latest", "",
	  "library/a/b:latest" },
	{ "docker.io/er.io/xx", "docker.io", "er.io/xx", "latest", "",
	  "docker.io/er.io/xx:latest" },
	{ "", NULL, NULL, NULL, NULL, NULL },
	{ "Alpine", NULL, NULL, NULL, NULL, NULL },
	{ "alpine:", NULL, NULL, NULL, NULL, NULL },
	{ "alpine:-x", NULL, NULL, NULL, NULL, NULL },
	{ "alpine@sha256:abc", NULL, NULL, NULL, NULL, NULL },
	{ "alpine@md5:" HEX64, NULL, NULL, NULL, NULL, NULL },
	{ "a..b", NULL, NULL, NULL, NULL, NULL },
	{ "a___b", NULL, NULL, NULL, NULL, NULL },
	{ "-a", NULL, NULL, NULL, NULL, NULL },
	{ "a/", NULL, NULL, NULL, NULL, NULL },
	{ "/a", NULL, NULL, NULL, NULL, NULL },
	{ "a//b", NULL, NULL, NULL, NULL, NULL },
	{ "host:port/a", NULL, NULL, NULL, NULL, NULL },
	{ "host:/a", NULL, NULL, NULL, NULL, NULL },
	{ "ex ample/a", NULL, NULL, NULL, NULL, NULL },
	{ "a:b:c", NULL, NULL, NULL, NULL, NULL },
};

static const struct {
	const char *header;
	const char *scheme;	/* NULL: the header must be rejected */
	const char *realm;
	const char *service;
	const char *scope;
} challenges[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\","
	  "service=\"registry.docker.io\","
	  "scope=\"repository:library/alpine:pull\"", "Bearer",
	  "https://auth.docker.io/token", "registry.docker.io",
	  "repository:library/alpine:pull" },
	{ "Bearer realm=\"https://a/t\", scope=\"repository:x:pull,push\" ,"
	  " service=reg", "Bearer", "https://a/t", "reg",
	  "repository:x:pull,push" },
	{ "Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", "", "" },
	{ "Bearer realm=\"a\\\"b\"", "Bearer", "a\"b", "", "" },
	{ "Bearer realm=\"x\", error=\"invalid_token\"", "Bearer", "x", "",
	  "" },
	{ "Bearer realm=\"a\" Basic realm=\"b\"", NULL, NULL, NULL, NULL },
	{ "Bearer realm=\"unterminated", NULL, NULL, NULL, NULL },
	{ "Bearer realm=", NULL, NULL, NULL, NULL },
	{ "", NULL, NULL, NULL, NULL },
};

static int passed;
static int failed;
static int number;

static void
result(int ok, const char *name)
{
	number++;
	printf("%sok %d - %s\n", ok ? "" : "not ", number, name);
	if (ok)
		passed++;
	else
		failed++;
}

static int
check_reference(size_t i)
{
	struct reference r;
	char familiar[600];
	int rc;

	rc = reference_parse(&r, refs[i].text);
	if (refs[i].domain == NULL)
		return rc < 0 && errno == EINVAL;
	if (rc < 0)
		return 0;
	reference_format(&r, familiar, sizeof(familiar));
	return !strcmp(r.domain, refs[i].domain) &&
	       !strcmp(r.path, refs[i].path) && !strcmp(r.tag, refs[i].tag) &&
	       !strcmp(r.digest, refs[i].digest) &&
	       !strcmp(familiar, refs[i].familiar);
}

static int
check_challenge(size_t i)
{
	struct challenge c;
	int rc;

	rc = reference_parse_challenge(&c, challenges[i].header);
	if (challenges[i].scheme == NULL)
		return rc < 0 && errno == EINVAL;
	return rc == 0 && !strcmp(c.scheme, challenges[i].scheme) &&
	       !strcmp(c.realm, challenges[i].realm) &&
	       !strcmp(c.service, challenges[i].service) &&
	       !strcmp(c.scope, challenges[i].scope);
}

int
main(int argc, char **argv)
{
	char name[256];
	size_t i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		snprintf(name, sizeof(name), "reference '%s'", refs[i].text);
		if (argc < 2 || strstr(name, argv[1]) != NULL)
			result(check_reference(i), name);
	}
	for (i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
		snprintf(name, sizeof(name), "challenge %zu", i + 1);
		if (argc < 2 || strstr(name, argv[1]) != NULL)
			result(check_challenge(i), name);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
