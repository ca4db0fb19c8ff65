/*
 * store.c - images and containers under BOCKER_ROOT, changed atomically.
 *
 *	ROOT/lock			flock(2): shared while creating, exclusive
 *					for cleanup
 *	ROOT/images/<id>/rootfs		btrfs subvolume, or a plain directory
 *	ROOT/images/<id>/source		where the image came from
 *	ROOT/containers/<id>/...	see container.c
 *	ROOT/tmp/<name>, <name>.lock	objects being built or removed
 *	ROOT/net/<address>		address leases, flocked while in use
 *	ROOT/names/<name>		symlink to the id of a named container
 *
 * Every new object is built under tmp/ and appears with one rename(2);
 * every removal starts with a rename into tmp/. A tmp entry whose .lock is
 * not flocked belongs to a bocker that died, and cleanup removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bocker.h"

static const char *const store_dirs[] = {
	"images", "containers", "tmp", "net", "names",
};

/* renameat2(2), which musl 1.2.3 does not wrap. */
static int
rename_flags(int fd, const char *from, const char *to, unsigned flags)
{
	return syscall(SYS_renameat2, fd, from, fd, to, flags);
}

const char *
store_driver_name(const struct store *s)
{
	return s->driver == DRIVER_BTRFS ? "btrfs" : "overlay";
}

static int
pick_driver(struct store *s)
{
	const char *forced;
	int btrfs;

	btrfs = btrfs_is_btrfs(s->root);
	if (btrfs < 0)
		return error_set("statfs '%s'", s->root);
	forced = getenv("BOCKER_STORAGE_DRIVER");
	if (forced == NULL || *forced == '\0') {
		s->driver = btrfs ? DRIVER_BTRFS : DRIVER_OVERLAY;
		return 0;
	}
	if (!strcmp(forced, "overlay")) {
		s->driver = DRIVER_OVERLAY;
		return 0;
	}
	if (!strcmp(forced, "btrfs") && btrfs) {
		s->driver = DRIVER_BTRFS;
		return 0;
	}
	errno = EINVAL;
	return error_set("storage driver '%s' for '%s'", forced, s->root);
}

/* Open (creating if needed) the store named by BOCKER_ROOT. */
int
store_open(struct store *s)
{
	const char *root;
	size_t i;

	root = getenv("BOCKER_ROOT");
	if (root == NULL || *root == '\0')
		root = "/var/bocker";
	if (strlen(root) >= sizeof(s->root) || root[0] != '/') {
		errno = root[0] != '/' ? EINVAL : ENAMETOOLONG;
		return error_set("store '%s' (BOCKER_ROOT must be an absolute "
				 "path)", root);
	}
	snprintf(s->root, sizeof(s->root), "%s", root);
	if (mkdir(s->root, 0700) < 0 && errno != EEXIST)
		return error_set("create store '%s'", s->root);
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return error_set("open store '%s'", s->root);
	for (i = 0; i < sizeof(store_dirs) / sizeof(store_dirs[0]); i++)
		if (mkdirat(s->rootfd, store_dirs[i], 0700) < 0 &&
		    errno != EEXIST)
			return error_set("create '%s/%s'", s->root,
					 store_dirs[i]);
	if (faccessat(s->rootfd, "tmp", W_OK, AT_EACCESS) < 0)
		return error_set("write to store '%s'", s->root);
	return pick_driver(s);
}

/* flock(2) the store: LOCK_SH to create objects, LOCK_EX for cleanup. */
int
store_lock(struct store *s, int how)
{
	int fd;
	int rc;

	fd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set("open '%s/lock'", s->root);
	rc = flock(fd, how);
	trace(rc, "flock(%d</lock>, %s)", fd,
	      how == LOCK_EX ? "LOCK_EX" : "LOCK_SH");
	if (rc < 0) {
		error_set("lock '%s/lock'", s->root);
		(void)close(fd);
		return -1;
	}
	return fd;
}

void
store_unlock(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

/*
 * Return 1 when the lock file dirfd/path is free (its creator is gone),
 * 0 when a process holds it, -1 on error.
 */
int
store_lock_is_free(int dirfd, const char *path)
{
	int fd;
	int rc;

	fd = openat(dirfd, path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	rc = flock(fd, LOCK_EX | LOCK_NB);
	(void)close(fd);
	if (rc == 0)
		return 1;
	return errno == EWOULDBLOCK ? 0 : -1;
}

/*
 * Make tmp/<name> for a new object, name = a fresh id, and hold
 * tmp/<name>.lock until the object is published or the process dies.
 * Returns the lock's descriptor.
 */
int
store_tmp_create(struct store *s, char *name)
{
	char path[ID_LEN + 16];
	int store;
	int fd;

	if (random_hex(name, ID_LEN) < 0)
		return -1;
	store = store_lock(s, LOCK_SH);
	if (store < 0)
		return -1;
	snprintf(path, sizeof(path), "tmp/%s.lock", name);
	fd = openat(s->rootfd, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		error_set("create '%s/%s'", s->root, path);
		goto fail;
	}
	snprintf(path, sizeof(path), "tmp/%s", name);
	if (mkdirat(s->rootfd, path, 0700) < 0) {
		error_set("create '%s/%s'", s->root, path);
		goto fail;
	}
	store_unlock(store);
	return fd;
fail:
	if (fd >= 0)
		(void)close(fd);
	store_unlock(store);
	return -1;
}

/* Remove a tmp entry's lock file once the entry itself is gone. */
static void
drop_tmp_lock(struct store *s, const char *name, int lockfd)
{
	char path[ID_LEN + 16];

	snprintf(path, sizeof(path), "tmp/%s.lock", name);
	(void)unlinkat(s->rootfd, path, 0);
	if (lockfd >= 0)
		(void)close(lockfd);
}

/* Move tmp/<name> to <kind>/<name> in one step; it must not exist yet. */
int
store_publish(struct store *s, const char *name, const char *kind,
	      int lockfd)
{
	char from[ID_LEN + 8];
	char to[ID_LEN + 16];
	int rc;

	snprintf(from, sizeof(from), "tmp/%s", name);
	snprintf(to, sizeof(to), "%s/%s", kind, name);
	rc = rename_flags(s->rootfd, from, to, RENAME_NOREPLACE);
	trace(rc, "renameat2(\"%s\", \"%s\", RENAME_NOREPLACE)", from, to);
	if (rc < 0)
		return error_set("publish '%s'", to);
	drop_tmp_lock(s, name, lockfd);
	return 0;
}

/*
 * Swap tmp/<name> with the existing <kind>/<id>, so the old content is
 * the one under tmp/ afterwards, and destroy it.
 */
int
store_replace(struct store *s, const char *name, const char *kind,
	      const char *id, int lockfd)
{
	char from[ID_LEN + 8];
	char to[ID_LEN + 16];
	int rc;

	snprintf(from, sizeof(from), "tmp/%s", name);
	snprintf(to, sizeof(to), "%s/%s", kind, id);
	rc = rename_flags(s->rootfd, from, to, RENAME_EXCHANGE);
	trace(rc, "renameat2(\"%s\", \"%s\", RENAME_EXCHANGE)", from, to);
	if (rc < 0)
		return error_set("replace '%s'", to);
	return store_destroy_tmp(s, name, lockfd);
}

/* Destroy tmp/<name>: its btrfs subvolume if any, then the tree. */
int
store_destroy_tmp(struct store *s, const char *name, int lockfd)
{
	char path[ID_LEN + 16];
	int dirfd;
	int rc;

	snprintf(path, sizeof(path), "tmp/%s", name);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		       O_NOFOLLOW);
	if (dirfd >= 0) {
		if (btrfs_is_btrfs(s->root) == 1)
			(void)btrfs_subvol_destroy(dirfd, "rootfs");
		(void)close(dirfd);
	}
	rc = remove_tree(s->rootfd, path);
	if (rc == 0)
		drop_tmp_lock(s, name, lockfd);
	else if (lockfd >= 0)
		(void)close(lockfd);
	return rc;
}

/* Take <kind>/<id> away in one rename, then destroy it. */
int
store_remove(struct store *s, const char *kind, const char *id)
{
	char name[ID_LEN + 1];
	char from[ID_LEN + 16];
	char to[ID_LEN + 8];
	int lockfd;
	int rc;

	lockfd = store_tmp_create(s, name);
	if (lockfd < 0)
		return -1;
	snprintf(from, sizeof(from), "%s/%s", kind, id);
	snprintf(to, sizeof(to), "tmp/%s", name);
	/* rename(2) replaces the empty directory store_tmp_create made. */
	rc = renameat(s->rootfd, from, s->rootfd, to);
	trace(rc, "renameat(\"%s\", \"%s\")", from, to);
	if (rc < 0) {
		error_set("remove '%s'", from);
		(void)store_destroy_tmp(s, name, lockfd);
		return -1;
	}
	return store_destroy_tmp(s, name, lockfd);
}

/* Call fn for each entry of <kind>/, in directory order. */
int
store_each(struct store *s, const char *kind,
	   int (*fn)(struct store *s, const char *id, void *arg), void *arg)
{
	struct dirent *d;
	DIR *dir;
	int fd;
	int rc;

	fd = openat(s->rootfd, kind, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return error_set("open '%s/%s'", s->root, kind);
	}
	rc = 0;
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		rc = fn(s, d->d_name, arg);
	}
	(void)closedir(dir);
	return rc;
}

/* Read <kind>/<id>/<file> into buf; "" when it does not exist. */
int
store_read(struct store *s, const char *kind, const char *id,
	   const char *file, char *buf, size_t size)
{
	char path[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", kind, id, file);
	n = file_read(s->rootfd, path, buf, size);
	if (n < 0 && errno == ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return n < 0 ? -1 : 0;
}

/* Write dirfd/file through a temporary name, so readers never see half. */
int
store_write_atomic(int dirfd, const char *file, const char *data)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), ".%s.new", file);
	if (file_write(dirfd, tmp, data, O_CREAT | O_TRUNC | O_NOFOLLOW) < 0)
		return -1;
	if (renameat(dirfd, tmp, dirfd, file) < 0)
		return error_set("rename '%s'", file);
	return 0;
}

struct match {
	const char *kind;
	const char *ref;
	char prefix_id[ID_LEN + 1];	/* last id that starts with ref */
	int prefixes;			/* how many ids start with ref */
	char source_id[ID_LEN + 1];	/* newest image whose source is ref */
	char newest[32];
};

static int
match_one(struct store *s, const char *id, void *arg)
{
	struct match *m;
	char source[4096];
	char created[32];

	m = arg;
	if (!strncmp(id, m->ref, strlen(m->ref))) {
		snprintf(m->prefix_id, sizeof(m->prefix_id), "%s", id);
		m->prefixes++;
	}
	if (strcmp(m->kind, "images"))
		return 0;
	if (store_read(s, "images", id, "source", source,
		       sizeof(source)) < 0)
		return 0;
	source[strcspn(source, "\n")] = '\0';
	if (strcmp(source, m->ref))
		return 0;
	(void)store_read(s, "images", id, "created", created,
			 sizeof(created));
	/* Several images with the same source: the newest one wins. */
	if (m->source_id[0] == '\0' || strcmp(created, m->newest) > 0) {
		snprintf(m->source_id, sizeof(m->source_id), "%s", id);
		snprintf(m->newest, sizeof(m->newest), "%s", created);
	}
	return 0;
}

/* The container id that names/<name> points to, into id. */
static int
read_name(struct store *s, const char *name, char *id)
{
	char path[300];
	ssize_t n;

	if (strlen(name) > 255 || strchr(name, '/') != NULL) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "names/%s", name);
	n = readlinkat(s->rootfd, path, id, ID_LEN + 1);
	if (n != ID_LEN) {
		errno = ENOENT;
		return -1;
	}
	id[ID_LEN] = '\0';
	return 0;
}

/*
 * Remove names/<name> if its container is gone (neither published nor
 * being built); return 1 when it did.
 */
int
store_name_stale(struct store *s, const char *name)
{
	char id[ID_LEN + 1];
	char path[ID_LEN + 32];
	struct stat st;

	if (read_name(s, name, id) < 0)
		return 0;
	/* tmp/ before containers/: a publish between the two looks is then
	 * still seen, in containers/. */
	snprintf(path, sizeof(path), "tmp/%s", id);
	if (fstatat(s->rootfd, path, &st, 0) == 0)
		return 0;
	snprintf(path, sizeof(path), "containers/%s", id);
	if (fstatat(s->rootfd, path, &st, 0) == 0)
		return 0;
	snprintf(path, sizeof(path), "names/%s", name);
	return unlinkat(s->rootfd, path, 0) == 0;
}

/* Drop names/<name> if it still points at container id. */
void
store_release_name(struct store *s, const char *name, const char *id)
{
	char current[ID_LEN + 1];
	char path[300];

	if (name == NULL || name[0] == '\0' ||
	    read_name(s, name, current) < 0 || strcmp(current, id))
		return;
	snprintf(path, sizeof(path), "names/%s", name);
	(void)unlinkat(s->rootfd, path, 0);
}

/*
 * Find the one <kind> whose id starts with ref or, failing that, for
 * images, the newest image whose source is ref. errno is ENOENT when none
 * matches, EEXIST when the prefix is ambiguous.
 */
int
store_resolve(struct store *s, const char *kind, const char *ref, char *id)
{
	struct match m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.ref = ref;
	if (*ref == '\0') {
		errno = ENOENT;
		return -1;
	}
	/* A container's name wins over an id prefix, as in Docker. */
	if (!strcmp(kind, "containers") && read_name(s, ref, id) == 0 &&
	    !store_name_stale(s, ref))
		return 0;
	if (store_each(s, kind, match_one, &m) < 0)
		return -1;
	if (m.prefixes == 1) {
		memcpy(id, m.prefix_id, ID_LEN + 1);
		return 0;
	}
	if (m.source_id[0] != '\0') {
		memcpy(id, m.source_id, ID_LEN + 1);
		return 0;
	}
	errno = m.prefixes > 1 ? EEXIST : ENOENT;
	return -1;
}
