/*
 * copy.c - copy and remove directory trees, as `init` and `commit` need.
 *
 * A copy keeps what a root filesystem depends on: file types, modes with
 * setuid bits, owners, timestamps, extended attributes (file capabilities
 * live in security.capability) and hard links. File data is shared with
 * FICLONE (ioctl_ficlone(2)) where the filesystem can reflink, and copied
 * with copy_file_range(2) where it cannot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bocker.h"

/* A file with more than one link, remembered to link its later names. */
struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copy {
	struct link *links;
	size_t nlinks;
	size_t cap;
	int srcroot;		/* directory being copied */
	int dstroot;		/* directory receiving the copy */
	char src[4096];		/* path of srcroot, for the xattr calls */
	char dst[4096];		/* path of dstroot, likewise */
	char path[4096];	/* current entry, relative to both roots */
	int reflink;		/* 1 until FICLONE fails once */
};

static const char *
find_link(struct copy *c, const struct stat *st)
{
	size_t i;

	for (i = 0; i < c->nlinks; i++)
		if (c->links[i].dev == st->st_dev &&
		    c->links[i].ino == st->st_ino)
			return c->links[i].path;
	return NULL;
}

static int
remember_link(struct copy *c, const struct stat *st)
{
	struct link *grown;
	char *path;

	if (c->nlinks == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		grown = realloc(c->links, c->cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		c->links = grown;
	}
	path = strdup(c->path);
	if (path == NULL)
		return -1;
	c->links[c->nlinks].dev = st->st_dev;
	c->links[c->nlinks].ino = st->st_ino;
	c->links[c->nlinks].path = path;
	c->nlinks++;
	return 0;
}

/* Copy the extended attributes of c->path; unsupported ones are skipped. */
static int
copy_xattrs(struct copy *c)
{
	char src[8192 + 2];
	char dst[8192 + 2];
	char names[8192];
	char value[8192];
	ssize_t len;
	ssize_t vlen;
	char *key;

	snprintf(src, sizeof(src), "%s/%s", c->src, c->path);
	snprintf(dst, sizeof(dst), "%s/%s", c->dst, c->path);
	len = llistxattr(src, names, sizeof(names));
	if (len <= 0)
		return 0;
	for (key = names; key < names + len; key += strlen(key) + 1) {
		vlen = lgetxattr(src, key, value, sizeof(value));
		if (vlen < 0)
			continue;
		if (lsetxattr(dst, key, value, vlen, 0) < 0 &&
		    errno != ENOTSUP && errno != EPERM)
			return error_set("set xattr '%s' on '%s'", key, c->path);
	}
	return 0;
}

/* Owner, then mode (chown clears setuid bits), then times. */
static int
copy_metadata(struct copy *c, const struct stat *st)
{
	struct timespec times[2];

	if (fchownat(c->dstroot, c->path, st->st_uid, st->st_gid,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return error_set("chown '%s'", c->path);
	if (!S_ISLNK(st->st_mode) &&
	    fchmodat(c->dstroot, c->path, st->st_mode & 07777, 0) < 0)
		return error_set("chmod '%s'", c->path);
	if (copy_xattrs(c) < 0)
		return -1;
	times[0] = st->st_atim;
	times[1] = st->st_mtim;
	if (utimensat(c->dstroot, c->path, times, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set("set times of '%s'", c->path);
	return 0;
}

/* The portable way, for when copy_file_range(2) cannot cross devices. */
static int
copy_by_read(struct copy *c, int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, n) != n)
			return error_set("copy '%s'", c->path);
	}
	return 0;
}

static int
copy_data(struct copy *c, int in, int out, off_t size)
{
	ssize_t n;

	if (c->reflink && ioctl(out, FICLONE, in) == 0)
		return 0;
	c->reflink = 0;
	while (size > 0) {
		n = copy_file_range(in, NULL, out, NULL, size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == EINVAL ||
			      errno == ENOSYS || errno == EOPNOTSUPP))
			return copy_by_read(c, in, out);
		if (n < 0)
			return error_set("copy '%s'", c->path);
		if (n == 0)
			break;
		size -= n;
	}
	return 0;
}

static int
copy_file(struct copy *c, const struct stat *st)
{
	int in;
	int out;
	int rc;

	in = openat(c->srcroot, c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return error_set("open '%s'", c->path);
	out = openat(c->dstroot, c->path,
		     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (out < 0) {
		error_set("create '%s'", c->path);
		(void)close(in);
		return -1;
	}
	rc = copy_data(c, in, out, st->st_size);
	(void)close(in);
	(void)close(out);
	return rc;
}

static int
copy_symlink(struct copy *c)
{
	char target[4096];
	ssize_t n;

	n = readlinkat(c->srcroot, c->path, target, sizeof(target) - 1);
	if (n < 0)
		return error_set("read link '%s'", c->path);
	target[n] = '\0';
	if (symlinkat(target, c->dstroot, c->path) < 0)
		return error_set("create link '%s'", c->path);
	return 0;
}

static int copy_dir(struct copy *c);

/* Copy the entry c->path of any type, then its metadata. */
static int
copy_entry(struct copy *c)
{
	const char *first;
	struct stat st;
	int rc;

	if (fstatat(c->srcroot, c->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set("stat '%s'", c->path);
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		first = find_link(c, &st);
		if (first != NULL) {
			if (linkat(c->dstroot, first, c->dstroot, c->path,
				   0) < 0)
				return error_set("link '%s'", c->path);
			return 0;
		}
		if (remember_link(c, &st) < 0)
			return error_set("copy '%s'", c->path);
	}
	if (S_ISDIR(st.st_mode))
		rc = copy_dir(c);
	else if (S_ISREG(st.st_mode))
		rc = copy_file(c, &st);
	else if (S_ISLNK(st.st_mode))
		rc = copy_symlink(c);
	else if (S_ISSOCK(st.st_mode))
		return 0;
	else if (mknodat(c->dstroot, c->path, st.st_mode, st.st_rdev) < 0)
		rc = error_set("create node '%s'", c->path);
	else
		rc = 0;
	if (rc < 0)
		return -1;
	return copy_metadata(c, &st);
}

/* Create c->path as a directory and copy every entry in it. */
static int
copy_dir(struct copy *c)
{
	struct dirent *d;
	size_t len;
	DIR *dir;
	int fd;
	int rc;

	if (c->path[0] != '\0' && mkdirat(c->dstroot, c->path, 0700) < 0)
		return error_set("create directory '%s'", c->path);
	fd = openat(c->srcroot, c->path[0] ? c->path : ".",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set("open '%s'", c->path);
	dir = fdopendir(fd);
	if (dir == NULL) {
		(void)close(fd);
		return error_set("open '%s'", c->path);
	}
	len = strlen(c->path);
	rc = 0;
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len + strlen(d->d_name) + 2 > sizeof(c->path)) {
			errno = ENAMETOOLONG;
			rc = error_set("copy '%s/%s'", c->path, d->d_name);
			break;
		}
		snprintf(c->path + len, sizeof(c->path) - len, "%s%s",
			 len ? "/" : "", d->d_name);
		rc = copy_entry(c);
		c->path[len] = '\0';
	}
	(void)closedir(dir);
	return rc;
}

/*
 * Copy the contents of the directory src into the empty directory dst,
 * and give dst the metadata of src.
 */
int
copy_tree(const char *src, const char *dst)
{
	struct stat st;
	struct copy c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.reflink = 1;
	snprintf(c.src, sizeof(c.src), "%s", src);
	snprintf(c.dst, sizeof(c.dst), "%s", dst);
	c.srcroot = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.srcroot < 0)
		return error_set("open '%s'", src);
	c.dstroot = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dstroot < 0) {
		error_set("open '%s'", dst);
		(void)close(c.srcroot);
		return -1;
	}
	rc = copy_dir(&c);
	if (rc == 0 && fstat(c.srcroot, &st) == 0) {
		(void)fchown(c.dstroot, st.st_uid, st.st_gid);
		(void)fchmod(c.dstroot, st.st_mode & 07777);
	}
	trace(rc, "copy_tree(\"%s\", \"%s\") # %s", src, dst,
	      c.reflink ? "FICLONE" : "copy_file_range");
	for (i = 0; i < c.nlinks; i++)
		free(c.links[i].path);
	free(c.links);
	(void)close(c.srcroot);
	(void)close(c.dstroot);
	return rc;
}

/*
 * Remove dirfd/name and everything below it. Entries on another device
 * (a mount, or a btrfs subvolume) are not entered; removing their parent
 * then fails with EBUSY or ENOTEMPTY, which is reported.
 */
int
remove_tree(int dirfd, const char *name)
{
	struct stat parent;
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return error_set("remove '%s'", name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return error_set("open '%s'", name);
	if (fstat(fd, &parent) < 0 || (dir = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return error_set("open '%s'", name);
	}
	while ((d = readdir(dir)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_dev != parent.st_dev)
			continue;
		if (remove_tree(fd, d->d_name) < 0) {
			(void)closedir(dir);
			return -1;
		}
	}
	(void)closedir(dir);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return error_set("remove '%s'", name);
	return 0;
}
