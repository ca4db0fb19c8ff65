/*
 * tar.h - streaming extraction of image layers (tar streams) into a root.
 *
 * The caller opens the root directory, calls tar_init, feeds the
 * decompressed stream with tar_feed in chunks of any size, and calls
 * tar_finish exactly once, also after a failure, to release memory.
 * Every function returns -1 with errno set on failure, and t->error then
 * contains one line naming the entry and the reason:
 *
 *	entry '../x': path escapes the root
 */
#ifndef TAR_H
#define TAR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#define TAR_BLOCK	512
#define TAR_PATH_MAX	4096		/* longest name or link name + NUL */
#define TAR_PAX_MAX	(1 << 20)	/* largest pax extended header */
#define TAR_SEEN_MAX	(256u << 20)	/* memory for the names of a layer */

/* Flag for t->flags: resolve paths by the O_NOFOLLOW walk, not openat2. */
#define TAR_NO_OPENAT2	0x1

/* A path this layer created, for opaque whiteouts and directory mtimes. */
struct tar_seen {
	char *path;
	struct timespec mtime;
	int dir_mtime;		/* 1 if mtime is set when the layer ends */
};

/* The entry whose header was read last, with pax and GNU overrides. */
struct tar_entry {
	char name[TAR_PATH_MAX];	/* as the archive spells it */
	char link[TAR_PATH_MAX];	/* symlink or hard link target */
	char path[TAR_PATH_MAX];	/* name cleaned, relative to the root */
	char type;			/* ustar typeflag, '0' for regular */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t size;
	unsigned int devmajor;
	unsigned int devminor;
};

struct tar {
	char error[512];	/* the reason for the first failure */
	int flags;		/* TAR_NO_OPENAT2, set after tar_init */

	/* The rest is the extractor's own state. */
	int rootfd;
	int failed;		/* errno of the first failure, 0 if none */
	int state;		/* reading a header, data, padding, or done */
	int sink;		/* where the data of the current member goes */
	int in_entry;		/* 1 once t->entry.name names the entry */
	int zero_blocks;	/* consecutive all-zero header blocks */
	int fd;			/* regular file being written, or -1 */
	uint64_t offset;	/* bytes consumed so far */
	uint64_t header_offset;	/* where the current header starts */
	uint64_t remaining;	/* data bytes left in the current member */
	size_t padding;		/* bytes to the next block boundary */
	size_t block_len;
	unsigned char block[TAR_BLOCK];

	/* Extended headers ('x', 'L', 'K') for the next entry. */
	unsigned char *meta;	/* data of the header being read */
	size_t meta_len;
	char *pax;		/* records of the 'x' header, for xattrs */
	size_t pax_len;
	int name_rank;		/* 0 ustar name, 1 GNU 'L', 2 pax path */
	int link_rank;		/* the same for the link name */
	int pax_has;		/* which of size, mtime, uid, gid pax set */
	uint64_t pax_size;
	struct timespec pax_mtime;
	uid_t pax_uid;
	gid_t pax_gid;
	struct tar_entry entry;

	/* Hash set of the paths this layer created. */
	struct tar_seen *seen;
	size_t seen_cap;
	size_t seen_count;
	size_t seen_bytes;
};

int tar_init(struct tar *t, int rootfd);
int tar_feed(struct tar *t, const unsigned char *p, size_t n);
int tar_finish(struct tar *t);

/* Parse an octal or base-256 numeric header field; exported for tests. */
int tar_parse_number(const char *field, size_t len, int64_t *out);

#endif
