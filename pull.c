/*
 * pull.c - fetch an image from a Docker Registry v2 / OCI distribution
 * registry and publish it in the store.
 *
 * Follows the OCI distribution specification (spec.md: pulling
 * manifests and blobs), Docker's token authentication specification
 * (after a 401 with "WWW-Authenticate: Bearer realm=...,service=...,
 * scope=...", the request is retried with a token from the realm), and
 * the OCI image-spec for manifests, image indexes and platform
 * selection. Every byte is checked against its digest before the image
 * is published.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "bocker.h"
#include "http.h"
#include "json.h"
#include "layer.h"
#include "manifest.h"
#include "reference.h"

#define MANIFEST_MAX	(4 << 20)	/* largest manifest or config read */
#define TOKEN_MAX	(64 << 10)	/* largest token response read */

#define TYPE_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define TYPE_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define TYPE_SCHEMA1 "application/vnd.docker.distribution.manifest.v1"

struct registry {
	struct http_client http;
	struct reference ref;
	const struct pull_options *options;
	char base[600];		/* "https://host/v2/path" */
	char auth[8192];	/* "Authorization: ..." or "" */
	char basic[1024];	/* base64 "user:password", or "" */
	int tried_auth;		/* authenticated once for this request */
};

/* A manifest, an index or a config, as fetched. */
struct document {
	char *body;
	size_t len;
	char type[256];
	char digest[7 + 65];
};

static void
hex_digest(const unsigned char sum[32], char *out)
{
	int i;

	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", sum[i]);
}

static void
base64(const unsigned char *in, size_t len, char *out, size_t size)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v;
	size_t i;
	size_t n;

	for (i = 0, n = 0; i < len && n + 5 < size; i += 3) {
		v = in[i] << 16;
		if (i + 1 < len)
			v |= in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = digits[v >> 18 & 63];
		out[n++] = digits[v >> 12 & 63];
		out[n++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? digits[v & 63] : '=';
	}
	out[n] = '\0';
}

/* Percent-encode a query value (RFC 3986 unreserved characters stay). */
static void
url_encode(const char *in, char *out, size_t size)
{
	size_t n;

	for (n = 0; *in && n + 4 < size; in++) {
		if (strchr("-._~", *in) || (*in >= 'a' && *in <= 'z') ||
		    (*in >= 'A' && *in <= 'Z') || (*in >= '0' && *in <= '9'))
			out[n++] = *in;
		else
			n += snprintf(out + n, size - n, "%%%02X",
				      (unsigned char)*in);
	}
	out[n] = '\0';
}

/* Read a whole (small) body into a new buffer, at most max bytes. */
static int
read_body(struct http_response *resp, size_t max, char **body, size_t *len)
{
	char *buf;
	size_t n;
	ssize_t got;

	buf = malloc(max + 1);
	if (buf == NULL)
		return -1;
	n = 0;
	while ((got = http_read(resp, buf + n, max - n)) > 0) {
		n += got;
		if (n == max) {
			free(buf);
			errno = EFBIG;
			return error_set("response larger than %zu bytes", max);
		}
	}
	if (got < 0) {
		free(buf);
		return error_set("read response: %s", resp->client->error);
	}
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return 0;
}

/*
 * Report a request that failed below HTTP: the client's message names
 * the method, the URL and the cause, so errno adds nothing.
 */
static int
http_failed(struct registry *reg)
{
	errno = 0;
	return error_set("%s", reg->http.error);
}

/*
 * Report an HTTP error status, with the registry's own message from
 * its error body ({"errors": [{"code": ..., "message": ...}]}, in the
 * OCI distribution specification) when there is one.
 */
static int
status_failed(struct http_response *resp, const char *url)
{
	const struct json *first;
	struct json *root;
	const char *message;
	char reason[128];
	char *body;
	size_t len;
	int status;

	status = resp->status;
	snprintf(reason, sizeof(reason), "%s", resp->reason ? resp->reason :
		 "");
	root = NULL;
	message = NULL;
	if (read_body(resp, TOKEN_MAX, &body, &len) == 0) {
		root = json_parse(body, len, NULL);
		free(body);
		first = json_index(json_get(root, "errors"), 0);
		message = json_string(json_get(first, "message"), NULL);
	}
	(void)http_response_close(resp);
	errno = 0;
	error_set("GET %s: %d %s%s%s%s%s", url, status, reason,
		  message ? " (" : "", message ? message : "",
		  message ? ")" : "", status == 401 || status == 403 ?
		  "; for a private image, set BOCKER_REGISTRY_AUTH="
		  "user:password" : "");
	json_free(root);
	return -1;
}

/*
 * Credentials for the registry: BOCKER_REGISTRY_AUTH ("user:password"),
 * else the "auth" entry for the host in ~/.docker/config.json, which is
 * already base64("user:password").
 */
static void
find_credentials(struct registry *reg)
{
	const struct json *entry;
	struct json *root;
	const char *auth;
	const char *env;
	const char *home;
	char path[4096];
	char *text;
	ssize_t n;
	const char *key;

	env = getenv("BOCKER_REGISTRY_AUTH");
	if (env != NULL && *env != '\0') {
		base64((const unsigned char *)env, strlen(env), reg->basic,
		       sizeof(reg->basic));
		return;
	}
	home = getenv("HOME");
	if (home == NULL)
		return;
	snprintf(path, sizeof(path), "%s/.docker/config.json", home);
	text = malloc(MANIFEST_MAX);
	if (text == NULL)
		return;
	n = file_read(AT_FDCWD, path, text, MANIFEST_MAX);
	root = n > 0 ? json_parse(text, n, NULL) : NULL;
	key = strcmp(reg->ref.domain, REFERENCE_DEFAULT_DOMAIN)
	      ? reg->ref.domain : "https://index.docker.io/v1/";
	entry = json_get(json_get(root, "auths"), key);
	auth = json_string(json_get(entry, "auth"), NULL);
	if (auth != NULL && strlen(auth) < sizeof(reg->basic))
		snprintf(reg->basic, sizeof(reg->basic), "%s", auth);
	json_free(root);
	free(text);
}

/* Get a bearer token from the challenge's realm. */
static int
fetch_token(struct registry *reg, const struct challenge *c)
{
	char url[4096];
	char service[1024];
	char scope[1024];
	char basic[1100];
	const char *headers[2];
	struct http_response resp;
	struct json *root;
	const char *token;
	char *body;
	size_t len;

	url_encode(c->service, service, sizeof(service));
	snprintf(scope, sizeof(scope), "repository:%s:pull", reg->ref.path);
	if (c->scope[0] != '\0')
		snprintf(scope, sizeof(scope), "%s", c->scope);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=", c->realm,
		 strchr(c->realm, '?') ? "&" : "?", service);
	url_encode(scope, url + strlen(url), sizeof(url) - strlen(url));
	headers[0] = NULL;
	if (reg->basic[0] != '\0') {
		snprintf(basic, sizeof(basic), "Authorization: Basic %s",
			 reg->basic);
		headers[0] = basic;
	}
	headers[1] = NULL;
	if (http_request(&reg->http, &resp, "GET", url, headers) < 0)
		return http_failed(reg);
	if (resp.status != 200)
		return status_failed(&resp, c->realm);
	if (read_body(&resp, TOKEN_MAX, &body, &len) < 0) {
		(void)http_response_close(&resp);
		return -1;
	}
	(void)http_response_close(&resp);
	root = json_parse(body, len, NULL);
	token = json_string(json_get(root, "token"), NULL);
	if (token == NULL)
		token = json_string(json_get(root, "access_token"), NULL);
	if (token != NULL && strlen(token) + 32 < sizeof(reg->auth))
		snprintf(reg->auth, sizeof(reg->auth),
			 "Authorization: Bearer %s", token);
	json_free(root);
	free(body);
	if (token == NULL) {
		errno = EPROTO;
		return error_set("no token in the answer from '%s'", c->realm);
	}
	return 0;
}

/* Handle a 401: get a bearer token, or use the Basic credentials. */
static int
authenticate(struct registry *reg, const char *header)
{
	struct challenge c;

	if (header[0] == '\0' || reference_parse_challenge(&c, header) < 0) {
		errno = EACCES;
		return error_set("registry '%s' refused access without a "
				 "usable challenge", reg->ref.domain);
	}
	if (!strcasecmp(c.scheme, "Bearer"))
		return fetch_token(reg, &c);
	if (!strcasecmp(c.scheme, "Basic") && reg->basic[0] != '\0') {
		snprintf(reg->auth, sizeof(reg->auth),
			 "Authorization: Basic %s", reg->basic);
		return 0;
	}
	errno = 0;
	return error_set("registry '%s' needs credentials (set "
			 "BOCKER_REGISTRY_AUTH=user:password)",
			 reg->ref.domain);
}

/*
 * GET base/what with the current authorization; on 401 authenticate
 * once and try again. The response is left open for the body.
 */
static int
registry_get(struct registry *reg, struct http_response *resp,
	     const char *what, const char *accept)
{
	const char *headers[3];
	const char *challenge;
	char header[4096];
	char url[1024];
	int tries;

	snprintf(url, sizeof(url), "%s/%s", reg->base, what);
	for (tries = 0; tries < 2; tries++) {
		headers[0] = accept;
		headers[1] = reg->auth[0] ? reg->auth : NULL;
		headers[2] = NULL;
		if (accept == NULL) {
			headers[0] = headers[1];
			headers[1] = NULL;
		}
		if (http_request(&reg->http, resp, "GET", url, headers) < 0)
			return http_failed(reg);
		if (resp->status != 401 || tries == 1)
			break;
		challenge = http_header(resp, "WWW-Authenticate");
		snprintf(header, sizeof(header), "%s", challenge ?
			 challenge : "");
		(void)http_response_close(resp);
		if (authenticate(reg, header) < 0)
			return -1;
	}
	if (resp->status == 200)
		return 0;
	return status_failed(resp, url);
}

/*
 * Fetch a manifest or index by tag or digest, check its digest against
 * Docker-Content-Digest and against the digest asked for, if any.
 */
static int
fetch_manifest(struct registry *reg, const char *name, const char *want,
	       struct document *doc)
{
	static const char accept[] = "Accept: " TYPE_OCI_INDEX ", "
		TYPE_DOCKER_LIST ", " TYPE_OCI_MANIFEST ", "
		TYPE_DOCKER_MANIFEST;
	struct http_response resp;
	unsigned char sum[32];
	br_sha256_context sha;
	const char *header;
	char what[512];
	int rc;

	memset(doc, 0, sizeof(*doc));
	snprintf(what, sizeof(what), "manifests/%s", name);
	if (registry_get(reg, &resp, what, accept) < 0)
		return -1;
	header = http_header(&resp, "Content-Type");
	snprintf(doc->type, sizeof(doc->type), "%s", header ? header : "");
	doc->type[strcspn(doc->type, "; ")] = '\0';
	rc = read_body(&resp, MANIFEST_MAX, &doc->body, &doc->len);
	header = http_header(&resp, "Docker-Content-Digest");
	if (rc == 0) {
		br_sha256_init(&sha);
		br_sha256_update(&sha, doc->body, doc->len);
		br_sha256_out(&sha, sum);
		hex_digest(sum, doc->digest);
		if ((header != NULL && strcmp(header, doc->digest)) ||
		    (want != NULL && strcmp(want, doc->digest))) {
			errno = 0;
			rc = error_set("manifest '%s': digest mismatch: got "
				       "%s", name, doc->digest);
		}
	}
	(void)http_response_close(&resp);
	return rc;
}

/* Pick the manifest for our platform from an index or manifest list. */
static int
select_platform(struct registry *reg, const struct json *index,
		char *digest)
{
	struct platform p;

	manifest_host_platform(&p);
	if (reg->options->platform != NULL &&
	    manifest_parse_platform(&p, reg->options->platform) < 0) {
		errno = 0;
		return error_set("invalid platform '%s' (expected "
				 "os/arch[/variant])", reg->options->platform);
	}
	if (manifest_select(index, &p, digest) == 0) {
		trace_note("index: %s/%s%s%s is %s", p.os, p.arch,
			   p.variant[0] ? "/" : "", p.variant, digest);
		return 0;
	}
	errno = 0;
	return error_set("no image for platform %s/%s%s%s in '%s'", p.os,
			 p.arch, p.variant[0] ? "/" : "", p.variant,
			 reg->ref.path);
}

/* The media type of a document: its Content-Type, else its mediaType. */
static const char *
media_type(const struct document *doc, const struct json *root)
{
	const char *t;

	t = json_string(json_get(root, "mediaType"), NULL);
	if (doc->type[0] != '\0' && strcmp(doc->type, "application/json"))
		return doc->type;
	return t ? t : "";
}

/* Follow an index to the image manifest for this platform. */
static int
resolve_manifest(struct registry *reg, struct document *doc,
		 struct json **root)
{
	char digest[7 + 65];
	const char *type;
	const char *want;
	const char *name;
	struct json_error err;
	int depth;

	want = reg->ref.digest[0] ? reg->ref.digest : NULL;
	name = want ? want : reg->ref.tag;
	/* An index may point at an index; a few levels are plenty. */
	for (depth = 0; depth < 4; depth++) {
		if (fetch_manifest(reg, name, want, doc) < 0)
			return -1;
		*root = json_parse(doc->body, doc->len, &err);
		if (*root == NULL) {
			errno = 0;
			return error_set("manifest '%s': %s at byte %zu", name,
					 err.reason, err.offset);
		}
		type = media_type(doc, *root);
		if (!strncmp(type, TYPE_SCHEMA1, strlen(TYPE_SCHEMA1))) {
			errno = 0;
			return error_set("manifest '%s': schema 1 manifests "
					 "are not supported", name);
		}
		if (!strcmp(type, TYPE_OCI_MANIFEST) ||
		    !strcmp(type, TYPE_DOCKER_MANIFEST))
			return 0;
		if (strcmp(type, TYPE_OCI_INDEX) &&
		    strcmp(type, TYPE_DOCKER_LIST)) {
			errno = 0;
			return error_set("manifest '%s': unsupported media "
					 "type '%s'", name, type);
		}
		if (select_platform(reg, *root, digest) < 0)
			return -1;
		json_free(*root);
		free(doc->body);
		doc->body = NULL;
		*root = NULL;
		want = name = digest;
	}
	errno = 0;
	return error_set("manifest '%s': image indexes nested too deeply "
			 "(more than 4 levels)", name);
}

/* Print progress: one line per layer, or a changing one on a terminal. */
static void
progress(const struct pull_options *o, const char *digest, uint64_t bytes,
	 double seconds, const char *what, int done)
{
	double mb;

	if (o->quiet)
		return;
	mb = bytes / 1e6;
	if (isatty(STDOUT_FILENO))
		printf("\r%.12s: %s %.1f MB (%.1f MB/s)%s", digest + 7, what,
		       mb, seconds > 0 ? mb / seconds : 0.0, done ? "\n" : "");
	else if (done)
		printf("%.12s: %s %.1f MB in %.2f s\n", digest + 7, what, mb,
		       seconds);
	fflush(stdout);
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Report a failed layer with its reason alone: errno would repeat it. */
static int
layer_failed(const struct layer *l, const char *digest)
{
	errno = 0;
	return error_set("layer %.19s: %s", digest, l->error);
}

/* Apply a blob already in the cache: its digest is checked again. */
static int
apply_cached(struct build *b, int rootfd, int blobfd, const char *type,
	     const char *digest)
{
	unsigned char buf[65536];
	struct layer l;
	ssize_t n;

	(void)b;
	if (layer_begin(&l, rootfd, type, -1) < 0)
		goto fail;
	while ((n = read(blobfd, buf, sizeof(buf))) > 0)
		if (layer_write(&l, buf, n) < 0)
			goto fail;
	if (n < 0) {
		snprintf(l.error, sizeof(l.error), "read the cached blob");
		goto fail;
	}
	if (layer_end(&l, digest) < 0)
		return layer_failed(&l, digest);
	return 0;
fail:
	layer_abort(&l);
	return layer_failed(&l, digest);
}

/*
 * Download a layer and apply it as it arrives; the blob is written to
 * tmp/<image>/blob and moved into the cache only once its digest
 * checked out.
 */
static int
download_layer(struct registry *reg, struct build *b, int rootfd,
	       const char *type, const char *digest)
{
	struct http_response resp;
	struct timespec start;
	unsigned char buf[65536];
	char what[128];
	char cached[128];
	struct layer l;
	ssize_t n;
	int cachefd;
	int rc;

	snprintf(what, sizeof(what), "blobs/%s", digest);
	if (registry_get(reg, &resp, what, NULL) < 0)
		return -1;
	cachefd = openat(b->dirfd, "blob", O_WRONLY | O_CREAT | O_TRUNC |
			 O_CLOEXEC, 0600);
	if (cachefd < 0) {
		(void)http_response_close(&resp);
		return error_set("create '%s/blob'", b->root);
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	rc = layer_begin(&l, rootfd, type, cachefd);
	while (rc == 0 && (n = http_read(&resp, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			snprintf(l.error, sizeof(l.error), "download: %.500s",
				 resp.client->error);
			rc = -1;
			break;
		}
		rc = layer_write(&l, buf, n);
		progress(reg->options, digest, l.in, seconds_since(&start),
			 "downloading", 0);
	}
	(void)http_response_close(&resp);
	(void)close(cachefd);
	if (rc < 0) {
		layer_abort(&l);
		return layer_failed(&l, digest);
	}
	if (layer_end(&l, digest) < 0)
		return layer_failed(&l, digest);
	progress(reg->options, digest, l.in, seconds_since(&start),
		 "pulled", 1);
	snprintf(cached, sizeof(cached), "blobs/sha256/%s", digest + 7);
	(void)renameat(b->dirfd, "blob", b->store->rootfd, cached);
	return 0;
}

/* Apply one layer descriptor of the manifest, from the cache if there. */
static int
apply_layer(struct registry *reg, struct build *b, int rootfd,
	    const struct json *desc)
{
	const char *digest;
	const char *type;
	char path[128];
	int blobfd;
	int rc;

	digest = json_string(json_get(desc, "digest"), NULL);
	type = json_string(json_get(desc, "mediaType"), NULL);
	if (digest == NULL || !reference_valid_digest(digest) ||
	    type == NULL) {
		errno = EBADMSG;
		return error_set("manifest: a layer has no valid digest or "
				 "media type");
	}
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	blobfd = openat(b->store->rootfd, path, O_RDONLY | O_CLOEXEC |
			O_NOFOLLOW);
	if (blobfd < 0)
		return download_layer(reg, b, rootfd, type, digest);
	trace_note("%s is in the blob cache", digest);
	rc = apply_cached(b, rootfd, blobfd, type, digest);
	(void)close(blobfd);
	if (rc == 0 && !reg->options->quiet)
		printf("%.12s: already pulled\n", digest + 7);
	return rc;
}

/* Fetch the image config, check its digest, keep it as config.json. */
static int
fetch_config(struct registry *reg, struct build *b, const struct json *m)
{
	const struct json *desc;
	struct http_response resp;
	unsigned char sum[32];
	br_sha256_context sha;
	const char *digest;
	char got[7 + 65];
	char what[128];
	char *body;
	size_t len;
	int fd;
	int rc;

	desc = json_get(m, "config");
	digest = json_string(json_get(desc, "digest"), NULL);
	if (digest == NULL || !reference_valid_digest(digest)) {
		errno = EBADMSG;
		return error_set("manifest: no valid config digest");
	}
	snprintf(what, sizeof(what), "blobs/%s", digest);
	if (registry_get(reg, &resp, what, NULL) < 0)
		return -1;
	rc = read_body(&resp, MANIFEST_MAX, &body, &len);
	(void)http_response_close(&resp);
	if (rc < 0)
		return -1;
	br_sha256_init(&sha);
	br_sha256_update(&sha, body, len);
	br_sha256_out(&sha, sum);
	hex_digest(sum, got);
	fd = -1;
	if (strcmp(got, digest)) {
		errno = 0;
		rc = error_set("config %.19s: digest mismatch: got %s",
			       digest, got);
	} else {
		fd = openat(b->dirfd, "config.json", O_WRONLY | O_CREAT |
			    O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, body, len) != (ssize_t)len)
			rc = error_set("write '%s/config.json'", b->root);
	}
	if (fd >= 0)
		(void)close(fd);
	free(body);
	return rc;
}

/* Make blobs/sha256/ for the layer cache. */
static int
make_cache(struct store *s)
{
	if (mkdirat(s->rootfd, "blobs", 0700) < 0 && errno != EEXIST)
		return error_set("create '%s/blobs'", s->root);
	if (mkdirat(s->rootfd, "blobs/sha256", 0700) < 0 && errno != EEXIST)
		return error_set("create '%s/blobs/sha256'", s->root);
	return 0;
}

/* Build the image of manifest m in b: config, then layers in order. */
static int
build_image(struct registry *reg, struct build *b, const struct json *m,
	    const struct document *doc)
{
	const struct json *layers;
	const struct json *desc;
	char source[600];
	char digest[128];
	size_t i;
	int rootfd;
	int rc;

	if (make_cache(b->store) < 0 || image_build_empty_root(b) < 0 ||
	    fetch_config(reg, b, m) < 0)
		return -1;
	rootfd = openat(b->dirfd, "rootfs", O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
	if (rootfd < 0)
		return error_set("open '%s'", b->root);
	layers = json_get(m, "layers");
	rc = json_typeof(layers) == JSON_ARRAY ? 0 : -1;
	if (rc < 0) {
		errno = EBADMSG;
		error_set("manifest: no layers");
	}
	for (i = 0; rc == 0 && (desc = json_index(layers, i)) != NULL; i++)
		rc = apply_layer(reg, b, rootfd, desc);
	(void)close(rootfd);
	if (rc < 0)
		return -1;
	reference_format(&reg->ref, source, sizeof(source));
	snprintf(digest, sizeof(digest), "%s\n", doc->digest);
	if (file_write(b->dirfd, "digest", digest, O_CREAT | O_EXCL) < 0)
		return -1;
	return image_build_describe(b, source);
}

/* Is item one of the comma-separated entries of list? */
static int
has_item(const char *list, const char *item)
{
	size_t len;
	const char *end;

	len = strlen(item);
	for (; *list; list = *end ? end + 1 : end) {
		end = strchrnul(list, ',');
		if ((size_t)(end - list) == len && !strncmp(list, item, len))
			return 1;
	}
	return 0;
}

static int
open_registry(struct registry *reg, const char *name,
	      const struct pull_options *o)
{
	const char *insecure;
	const char *host;
	int plain;

	memset(reg, 0, sizeof(*reg));
	reg->options = o;
	if (reference_parse(&reg->ref, name) < 0) {
		errno = 0;
		return error_set("invalid reference format '%s'", name);
	}
	host = reference_host(&reg->ref);
	insecure = getenv("BOCKER_INSECURE_REGISTRIES");
	plain = o->insecure || (insecure != NULL &&
				has_item(insecure, reg->ref.domain));
	snprintf(reg->base, sizeof(reg->base), "%s://%s/v2/%s",
		 plain ? "http" : "https", host, reg->ref.path);
	find_credentials(reg);
	if (http_client_init(&reg->http, o->ca_file) < 0) {
		errno = 0;
		return error_set("TLS set-up: %s", reg->http.error);
	}
	return 0;
}

struct same_image {
	const char *source;
	const char *digest;
	char id[ID_LEN + 1];
};

static int
same_image(struct store *s, const char *id, void *arg)
{
	struct same_image *same = arg;
	char source[600];
	char digest[128];

	if (store_read(s, "images", id, "source", source, sizeof(source)) < 0 ||
	    store_read(s, "images", id, "digest", digest, sizeof(digest)) < 0)
		return 0;
	source[strcspn(source, "\n")] = '\0';
	digest[strcspn(digest, "\n")] = '\0';
	if (strcmp(source, same->source) || strcmp(digest, same->digest))
		return 0;
	memcpy(same->id, id, ID_LEN + 1);
	return 1;
}

/* Is the image of this reference and manifest digest here already? */
static int
find_pulled(struct store *s, const struct registry *reg,
	    const struct document *doc, char *id)
{
	struct same_image same;
	char source[600];

	reference_format(&reg->ref, source, sizeof(source));
	same.source = source;
	same.digest = doc->digest;
	if (store_each(s, "images", same_image, &same) != 1)
		return 0;
	memcpy(id, same.id, ID_LEN + 1);
	if (!reg->options->quiet)
		printf("Status: Image is up to date for %s\n", source);
	return 1;
}

/*
 * Pull name (any reference Docker accepts) into a new image: the `pull`
 * command. The image is built under tmp/ and published only when every
 * digest checked out; id receives its id.
 */
int
pull_image(struct store *s, const char *name, const struct pull_options *o,
	   char *id)
{
	struct registry reg;
	struct document doc;
	struct json *m;
	struct build b;
	int rc;

	memset(&doc, 0, sizeof(doc));
	m = NULL;
	/* A failed extractor or server shows as EPIPE, not as a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (open_registry(&reg, name, o) < 0)
		return -1;
	rc = resolve_manifest(&reg, &doc, &m);
	if (rc == 0 && find_pulled(s, &reg, &doc, id)) {
		json_free(m);
		free(doc.body);
		http_client_free(&reg.http);
		return 0;
	}
	if (rc == 0) {
		rc = image_build_start(&b, s);
		if (rc == 0 && build_image(&reg, &b, m, &doc) < 0)
			rc = image_build_abort(&b);
		else if (rc == 0)
			rc = image_build_finish(&b, NULL, id);
	}
	if (rc == 0 && !o->quiet)
		printf("Digest: %s\n", doc.digest);
	json_free(m);
	free(doc.body);
	http_client_free(&reg.http);
	return rc;
}
