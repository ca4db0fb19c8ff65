/*
 * layer.h - one layer's streaming application: digest check, blob
 * cache copy, gzip inflate and tar extraction (layer.c).
 */
#ifndef LAYER_H
#define LAYER_H

#include <stdint.h>
#include <sys/types.h>

#include <bearssl.h>

/* Largest uncompressed layer accepted. */
#define LAYER_MAX_BYTES (64ull << 30)

struct inflate;
struct tar;

struct layer {
	char error[600];	/* why the layer failed, one line */
	br_sha256_context sha;
	struct inflate *z;	/* NULL for an uncompressed layer */
	struct tar *tar;
	int gzip;
	int started;
	int cachefd;		/* copy of the blob, or -1 */
	int data[2];		/* pipe of the tar stream to the extractor */
	int report[2];		/* pipe of the extractor's error message */
	pid_t child;		/* the extractor process */
	uint64_t in;		/* blob bytes taken */
	uint64_t out;		/* tar bytes extracted */
	uint64_t max_out;
};

int layer_begin(struct layer *l, int rootfd, const char *media_type,
		int cachefd);
int layer_write(struct layer *l, const void *p, size_t n);
int layer_end(struct layer *l, const char *digest);
void layer_abort(struct layer *l);

#endif
