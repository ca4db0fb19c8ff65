/*
 * layer.c - apply one image layer: check its digest, keep a copy in the
 * blob cache, decompress it and extract it, all in one streaming pass.
 *
 * Layer media types are those of the OCI image-spec (layer.md) and
 * Docker's image manifest v2 schema 2: tar, or tar compressed with gzip.
 * The digest is the SHA-256 of the blob as stored in the registry, so it
 * is computed over the compressed bytes, before they are inflated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "bocker.h"
#include "inflate.h"
#include "layer.h"
#include "tar.h"

/*
 * Decompression bomb guard: a layer may expand to at most
 * LAYER_MAX_RATIO times its compressed size, once it has grown past
 * LAYER_RATIO_FLOOR (small files of zeros compress better than that).
 */
#define LAYER_MAX_RATIO		1024
#define LAYER_RATIO_FLOOR	(256ull << 20)

static const char *const gzip_types[] = {
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static const char *const tar_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
};

static int
listed(const char *type, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(type, list[i]))
			return 1;
	return 0;
}

static int
fail(struct layer *l, int err, const char *fmt, const char *what)
{
	if (l->error[0] == '\0')
		snprintf(l->error, sizeof(l->error), fmt, what);
	errno = err;
	return -1;
}

/* Inflated bytes go on to the tar extractor, within the bomb guard. */
static int
to_tar(void *ctx, const unsigned char *p, size_t n)
{
	struct layer *l = ctx;

	l->out += n;
	if (l->out > l->max_out ||
	    (l->out > LAYER_RATIO_FLOOR &&
	     l->out / LAYER_MAX_RATIO > l->in))
		return fail(l, EFBIG, "layer expands past %s (a "
			    "decompression bomb?)", "64 GiB or 1024 times "
			    "its compressed size");
	if (tar_feed(l->tar, p, n) < 0)
		return fail(l, errno, "%s", l->tar->error);
	return 0;
}

/*
 * Start applying a layer of media_type into rootfd. The compressed
 * bytes are copied to cachefd unless it is -1.
 */
int
layer_begin(struct layer *l, int rootfd, const char *media_type,
	    int cachefd)
{
	memset(l, 0, sizeof(*l));
	l->cachefd = cachefd;
	l->max_out = LAYER_MAX_BYTES;
	if (listed(media_type, gzip_types, sizeof(gzip_types) /
		   sizeof(gzip_types[0])))
		l->gzip = 1;
	else if (!listed(media_type, tar_types, sizeof(tar_types) /
			 sizeof(tar_types[0])))
		return fail(l, ENOTSUP, "unsupported layer media type '%s'",
			    media_type);
	br_sha256_init(&l->sha);
	l->tar = malloc(sizeof(*l->tar));
	if (l->gzip)
		l->z = malloc(sizeof(*l->z));
	if (l->tar == NULL || (l->gzip && l->z == NULL))
		return fail(l, ENOMEM, "%s", "out of memory");
	if (l->gzip)
		inflate_init(l->z);
	if (tar_init(l->tar, rootfd) < 0)
		return fail(l, errno, "%s", l->tar->error);
	l->started = 1;
	return 0;
}

/* Take the next n bytes of the blob. */
int
layer_write(struct layer *l, const void *p, size_t n)
{
	ssize_t w;

	br_sha256_update(&l->sha, p, n);
	l->in += n;
	if (l->cachefd >= 0) {
		w = write(l->cachefd, p, n);
		if (w < 0 || (size_t)w != n)
			return fail(l, w < 0 ? errno : EIO, "%s",
				    "write to the blob cache");
	}
	if (!l->gzip)
		return to_tar(l, p, n);
	if (inflate_gzip(l->z, p, n, to_tar, l) < 0)
		return fail(l, errno, "gzip: %s",
			    l->z->error ? l->z->error : "invalid data");
	return 0;
}

/*
 * Finish the layer and compare the blob's SHA-256 with digest
 * ("sha256:<hex>"). Always releases the layer's memory.
 */
int
layer_end(struct layer *l, const char *digest)
{
	unsigned char sum[32];
	char hex[7 + 65];
	int rc;
	int i;

	rc = 0;
	if (l->gzip && l->started && inflate_finish(l->z) < 0)
		rc = fail(l, errno, "gzip: %s",
			  l->z->error ? l->z->error : "truncated");
	if (l->started && tar_finish(l->tar) < 0 && rc == 0)
		rc = fail(l, errno, "%s", l->tar->error);
	free(l->tar);
	free(l->z);
	l->tar = NULL;
	l->z = NULL;
	if (rc < 0)
		return rc;
	br_sha256_out(&l->sha, sum);
	memcpy(hex, "sha256:", 7);
	for (i = 0; i < 32; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", sum[i]);
	if (strcmp(hex, digest))
		return fail(l, EBADMSG, "digest mismatch: got %s", hex);
	return 0;
}

/* Free a layer abandoned before layer_end. */
void
layer_abort(struct layer *l)
{
	if (l->started)
		(void)tar_finish(l->tar);
	free(l->tar);
	free(l->z);
	l->tar = NULL;
	l->z = NULL;
}
