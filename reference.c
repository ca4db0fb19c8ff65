/*
 * reference.c - image references and auth challenges, as registries
 * and Docker write them. Parsers only: nothing here touches the network.
 *
 * References follow the grammar of the distribution project's
 * reference package (docs: "distribution/reference" grammar), with
 * Docker's rules for the default registry: a first component is a
 * registry host only if it contains '.' or ':' or is "localhost";
 * otherwise the image is on Docker Hub, and a one-component name there
 * lives under "library/".
 *
 * Challenges are the WWW-Authenticate header of RFC 9110 section 11.6.1
 * (auth-scheme, then auth-params with optionally quoted values), as the
 * Docker token authentication specification uses it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reference.h"

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * One path component: runs of [a-z0-9] joined by a separator, which is
 * one '.', one or two '_', or any number of '-'.
 */
static int
valid_component(const char *s, size_t len)
{
	size_t i;
	size_t run;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		run = 0;
		while (i + run < len && !is_lower_alnum(s[i + run]))
			run++;
		if (!(run == 1 && (s[i] == '.' || s[i] == '_')) &&
		    !(run == 2 && s[i] == '_' && s[i + 1] == '_') &&
		    strspn(s + i, "-") < run)
			return 0;
		i += run - 1;
	}
	return 1;
}

/* A registry host: letters, digits, '-', '.', and an optional port. */
static int
valid_domain(const char *s, size_t len)
{
	size_t i;
	const char *colon;

	if (len == 0 || len > REFERENCE_DOMAIN_MAX)
		return 0;
	colon = memchr(s, ':', len);
	for (i = 0; i < (colon ? (size_t)(colon - s) : len); i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	if (colon == NULL)
		return 1;
	if (colon == s || (size_t)(colon - s) + 1 == len)
		return 0;
	for (i = colon - s + 1; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int
valid_tag(const char *s)
{
	size_t len;
	size_t i;

	len = strlen(s);
	if (len == 0 || len > REFERENCE_TAG_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

/* digest: sha256 followed by 64 lower-case hex digits. */
int
reference_valid_digest(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) || strlen(s) != 7 + 64)
		return 0;
	for (i = 7; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' &&
						       s[i] <= 'f'))
			return 0;
	return 1;
}

/* Is the first component of a name a registry host (Docker's rule)? */
static int
is_domain(const char *s, size_t len)
{
	size_t i;

	if (len == 9 && !strncmp(s, "localhost", 9))
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
			return 1;
	return 0;
}

static int
split_name(struct reference *r, const char *name)
{
	const char *slash;
	const char *p;
	const char *end;
	int library;
	size_t len;

	slash = strchr(name, '/');
	if (slash != NULL && is_domain(name, slash - name)) {
		if (!valid_domain(name, slash - name))
			return -1;
		snprintf(r->domain, sizeof(r->domain), "%.*s",
			 (int)(slash - name), name);
		name = slash + 1;
	} else {
		snprintf(r->domain, sizeof(r->domain), "%s",
			 REFERENCE_DEFAULT_DOMAIN);
	}
	for (p = name;; p = end + 1) {
		end = strchr(p, '/');
		if (!valid_component(p, end ? (size_t)(end - p) : strlen(p)))
			return -1;
		if (end == NULL)
			break;
	}
	library = !strcmp(r->domain, REFERENCE_DEFAULT_DOMAIN) &&
		  strchr(name, '/') == NULL;
	if ((library ? 8 : 0) + strlen(name) + strlen(r->domain) + 1 >
	    REFERENCE_NAME_MAX)
		return -1;
	/* The length check above makes room for the whole name. */
	len = strlen(name);
	if (library)
		memcpy(r->path, "library/", 8);
	memcpy(r->path + (library ? 8 : 0), name, len + 1);
	return 0;
}

/*
 * Parse text ("alpine", "alpine:3.19", "docker.io/library/alpine:3.19",
 * "registry.example:5000/team/app:1.2", "name@sha256:<hex>") into r.
 * Without tag or digest the tag is "latest". Fails with EINVAL.
 */
int
reference_parse(struct reference *r, const char *text)
{
	char name[REFERENCE_NAME_MAX + 1];
	const char *at;
	const char *colon;
	const char *slash;
	size_t len;

	memset(r, 0, sizeof(*r));
	at = strchr(text, '@');
	len = at ? (size_t)(at - text) : strlen(text);
	if (at != NULL) {
		if (!reference_valid_digest(at + 1))
			goto invalid;
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
	}
	if (len == 0 || len > REFERENCE_NAME_MAX + 1 + REFERENCE_TAG_MAX)
		goto invalid;
	/* A tag's colon comes after the last slash (a port's before it). */
	slash = memrchr(text, '/', len);
	colon = memrchr(slash ? slash : text, ':',
			len - (slash ? (size_t)(slash - text) : 0));
	if (colon != NULL) {
		snprintf(r->tag, sizeof(r->tag), "%.*s",
			 (int)(len - (colon - text) - 1), colon + 1);
		if (!valid_tag(r->tag))
			goto invalid;
		len = colon - text;
	}
	if (len > REFERENCE_NAME_MAX)
		goto invalid;
	snprintf(name, sizeof(name), "%.*s", (int)len, text);
	if (split_name(r, name) < 0)
		goto invalid;
	if (r->tag[0] == '\0' && r->digest[0] == '\0')
		snprintf(r->tag, sizeof(r->tag), "latest");
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

/* The host to connect to: Docker Hub's registry is not docker.io itself. */
const char *
reference_host(const struct reference *r)
{
	if (!strcmp(r->domain, REFERENCE_DEFAULT_DOMAIN))
		return REFERENCE_DEFAULT_HOST;
	return r->domain;
}

/*
 * The familiar form Docker prints: "busybox:latest" for Docker Hub's
 * library images, "user/app:tag" for other Docker Hub images,
 * "domain/path:tag" otherwise, "@digest" when pinned. Docker Hub keeps
 * its "docker.io/" where the path's first component would read as a
 * registry host, and "library/" where more components follow, so that
 * the familiar form parses back to the same reference.
 */
void
reference_format(const struct reference *r, char *buf, size_t size)
{
	const char *path;
	const char *slash;
	int show_domain;

	path = r->path;
	show_domain = strcmp(r->domain, REFERENCE_DEFAULT_DOMAIN) != 0;
	if (!show_domain && !strncmp(path, "library/", 8) &&
	    strchr(path + 8, '/') == NULL)
		path += 8;
	slash = strchr(path, '/');
	if (!show_domain && slash != NULL && is_domain(path, slash - path))
		show_domain = 1;
	snprintf(buf, size, "%s%s%s%s%s%s%s", show_domain ? r->domain : "",
		 show_domain ? "/" : "", path, r->tag[0] ? ":" : "", r->tag,
		 r->digest[0] ? "@" : "", r->digest);
}

/* Skip optional white space (OWS in RFC 9110). */
static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token: the characters RFC 9110 section 5.6.2 allows (tchar). */
static size_t
token_length(const char *p)
{
	return strspn(p, "!#$%&'*+-.^_`|~0123456789"
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

/* Read a token or quoted-string value into out; return what follows. */
static const char *
parse_value(const char *p, char *out, size_t size)
{
	size_t n;
	size_t len;

	if (*p != '"') {
		len = token_length(p);
		if (len == 0 || len >= size)
			return NULL;
		memcpy(out, p, len);
		out[len] = '\0';
		return p + len;
	}
	for (p++, n = 0; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0' || n + 1 >= size)
			return NULL;
		out[n++] = *p;
	}
	out[n] = '\0';
	return p + 1;
}

static void
store_param(struct challenge *c, const char *name, const char *value)
{
	if (!strcasecmp(name, "realm"))
		snprintf(c->realm, sizeof(c->realm), "%s", value);
	else if (!strcasecmp(name, "service"))
		snprintf(c->service, sizeof(c->service), "%s", value);
	else if (!strcasecmp(name, "scope"))
		snprintf(c->scope, sizeof(c->scope), "%s", value);
	else if (!strcasecmp(name, "error"))
		snprintf(c->error, sizeof(c->error), "%s", value);
}

/*
 * Parse the first challenge of a WWW-Authenticate value, such as
 *	Bearer realm="https://auth.example/token",service="reg",scope="a,b"
 * Parameters other than realm, service, scope and error are skipped.
 * Fails with EINVAL.
 */
int
reference_parse_challenge(struct challenge *c, const char *header)
{
	char name[64];
	char value[CHALLENGE_VALUE_MAX];
	const char *p;
	size_t len;

	memset(c, 0, sizeof(*c));
	p = skip_ows(header);
	len = token_length(p);
	if (len == 0 || len >= sizeof(c->scheme))
		goto invalid;
	memcpy(c->scheme, p, len);
	p = skip_ows(p + len);
	while (*p != '\0') {
		len = token_length(p);
		if (len == 0 || len >= sizeof(name))
			goto invalid;
		memcpy(name, p, len);
		name[len] = '\0';
		p = skip_ows(p + len);
		if (*p != '=')
			break;	/* the start of a second challenge */
		p = parse_value(skip_ows(p + 1), value, sizeof(value));
		if (p == NULL)
			goto invalid;
		store_param(c, name, value);
		p = skip_ows(p);
		if (*p == ',')
			p = skip_ows(p + 1);
		else if (*p != '\0')
			goto invalid;
	}
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}
