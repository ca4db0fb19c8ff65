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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

/*
 * The extractor's process: read the tar stream from the pipe, extract
 * it, and on failure send the reason back before exiting non-zero.
 */
static _Noreturn void
extract_child(struct layer *l, int rootfd)
{
	unsigned char buf[65536];
	struct tar *t = l->tar;
	ssize_t n;
	int rc;

	rc = tar_init(t, rootfd);
	while (rc == 0 && (n = read(l->data[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(t->error, sizeof(t->error), "read the layer: "
				 "%s", strerror(errno));
			rc = -1;
			break;
		}
		rc = tar_feed(t, buf, n);
	}
	if (tar_finish(t) < 0 && rc == 0)
		rc = -1;
	if (rc < 0)
		(void)write(l->report[1], t->error, strlen(t->error));
	_exit(rc < 0 ? 1 : 0);
}

/*
 * Start the extractor in a child process, so that creating files (which
 * waits on the filesystem) overlaps with downloading, hashing and
 * inflating (which wait on the network and the CPU).
 */
static int
start_extractor(struct layer *l, int rootfd)
{
	int rc;

	if (pipe2(l->data, O_CLOEXEC) < 0 || pipe2(l->report, O_CLOEXEC) < 0)
		return fail(l, errno, "%s", "pipe");
	/* A bigger pipe lets the producer run ahead through a slow file. */
	(void)fcntl(l->data[1], F_SETPIPE_SZ, 1 << 20);
	l->child = fork();
	trace(l->child, "fork() # tar extractor");
	if (l->child < 0)
		return fail(l, errno, "%s", "fork");
	if (l->child == 0) {
		/* Dying with bocker frees the locks this copy of its
		 * descriptors holds, so cleanup can find the pull dead. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)close(l->data[1]);
		(void)close(l->report[0]);
		extract_child(l, rootfd);
	}
	(void)close(l->data[0]);
	(void)close(l->report[1]);
	l->data[0] = l->report[1] = -1;
	rc = 0;
	return rc;
}

/*
 * Wait for the extractor; on failure its reason becomes the layer's.
 * Closing the pipe first marks the end of the stream.
 */
static int
stop_extractor(struct layer *l)
{
	char why[sizeof(l->error)];
	int status;
	ssize_t n;

	if (l->data[1] >= 0)
		(void)close(l->data[1]);
	l->data[1] = -1;
	if (l->child <= 0)
		return 0;
	while (waitpid(l->child, &status, 0) < 0 && errno == EINTR)
		;
	l->child = 0;
	n = read(l->report[0], why, sizeof(why) - 1);
	(void)close(l->report[0]);
	l->report[0] = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	why[n > 0 ? n : 0] = '\0';
	/* A reason found first (bad gzip, a bomb) stays the reason. */
	return fail(l, EBADMSG, "%s", n > 0 ? why : "the extractor died");
}

/* Inflated bytes go on to the tar extractor, within the bomb guard. */
static int
to_tar(void *ctx, const unsigned char *p, size_t n)
{
	struct layer *l = ctx;
	ssize_t w;

	l->out += n;
	if (l->out > l->max_out ||
	    (l->out > LAYER_RATIO_FLOOR &&
	     l->out / LAYER_MAX_RATIO > l->in))
		return fail(l, EFBIG, "layer expands past %s (a "
			    "decompression bomb?)", "64 GiB or 1024 times "
			    "its compressed size");
	while (n > 0) {
		w = write(l->data[1], p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* EPIPE: the extractor stopped; its report gives
			 * the reason. */
			(void)stop_extractor(l);
			return fail(l, EBADMSG, "%s", "the extractor failed");
		}
		p += w;
		n -= w;
	}
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
	l->data[0] = l->data[1] = l->report[0] = l->report[1] = -1;
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
	if (start_extractor(l, rootfd) < 0)
		return -1;
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
	if (l->started && stop_extractor(l) < 0 && rc == 0)
		rc = -1;
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
	if (l->child > 0)
		(void)kill(l->child, SIGKILL);
	(void)stop_extractor(l);
	if (l->report[0] >= 0)
		(void)close(l->report[0]);
	free(l->tar);
	free(l->z);
	l->tar = NULL;
	l->z = NULL;
}
