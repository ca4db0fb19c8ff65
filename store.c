/*
 * store.c - images and containers under BOCKER_ROOT, changed atomically.
 *
 *	ROOT/lock			flock(2): shared while creating, exclusive
 *					for cleanup
 *	ROOT/images/<id>/rootfs		btrfs subvolume, or a plain directory
 *	ROOT/images/<id>/source		where the image came from
 *	ROOT/images/<id>/tags		names given by `tag`, with when
 *	ROOT/tags.lock			flock(2): held by whoever changes tags
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
#include "reference.h"

#define TAGS_MAX	16384	/* largest tags file */
#define NAME_TEXT_MAX	1024	/* a reference as text, with room to spare */

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

/* flock(2) ROOT/tags.lock: one bocker at a time changes tags. */
static int
lock_tags(struct store *s)
{
	int fd;
	int rc;

	fd = openat(s->rootfd, "tags.lock", O_RDWR | O_CREAT | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return error_set("open '%s/tags.lock'", s->root);
	rc = flock(fd, LOCK_EX);
	trace(rc, "flock(%d</tags.lock>, LOCK_EX)", fd);
	if (rc < 0) {
		error_set("lock '%s/tags.lock'", s->root);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Copy the tags of images/<id> into tmp/<name>, which is to replace it. */
static int
carry_tags(struct store *s, const char *name, const char *id)
{
	char tags[TAGS_MAX];
	char path[ID_LEN + 16];

	if (store_read(s, "images", id, "tags", tags, sizeof(tags)) < 0)
		return -1;
	if (tags[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "tmp/%s/tags", name);
	return file_write(s->rootfd, path, tags, O_CREAT | O_TRUNC |
			  O_NOFOLLOW);
}

/*
 * Swap tmp/<name> with the existing <kind>/<id>, so the old content is
 * the one under tmp/ afterwards, and destroy it. An image keeps its tags:
 * they are copied over with tags.lock held, so no tag given meanwhile is
 * lost.
 */
int
store_replace(struct store *s, const char *name, const char *kind,
	      const char *id, int lockfd)
{
	char from[ID_LEN + 8];
	char to[ID_LEN + 16];
	int tags;
	int rc;

	tags = -1;
	if (!strcmp(kind, "images")) {
		tags = lock_tags(s);
		if (tags < 0 || carry_tags(s, name, id) < 0) {
			store_unlock(tags);
			return -1;
		}
	}
	snprintf(from, sizeof(from), "tmp/%s", name);
	snprintf(to, sizeof(to), "%s/%s", kind, id);
	rc = rename_flags(s->rootfd, from, to, RENAME_EXCHANGE);
	trace(rc, "renameat2(\"%s\", \"%s\", RENAME_EXCHANGE)", from, to);
	store_unlock(tags);
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

/*
 * The form `pull` records a reference in ("busybox" is "busybox:latest"),
 * or text itself when it is no image reference, such as a directory.
 */
static void
familiar_name(const char *text, char *buf, size_t size)
{
	struct reference r;

	if (reference_parse(&r, text) < 0) {
		snprintf(buf, size, "%s", text);
		return;
	}
	reference_format(&r, buf, size);
}

/*
 * When name was given, in the text of a tags file: one "<name>\t<ns>\n"
 * line a name, ns in nanoseconds since the epoch. -1 if it was not.
 */
static long long
tag_time(const char *tags, const char *name)
{
	const char *line;
	const char *next;
	const char *tab;
	size_t len;

	len = strlen(name);
	for (line = tags; *line != '\0'; line = next) {
		next = strchrnul(line, '\n');
		tab = memchr(line, '\t', next - line);
		if (*next == '\n')
			next++;
		if (tab != NULL && (size_t)(tab - line) == len &&
		    !memcmp(line, name, len))
			return atoll(tab + 1);
	}
	return -1;
}

struct match {
	const char *kind;
	const char *ref;
	char familiar[NAME_TEXT_MAX];	/* ref as `pull` records it */
	char prefix_id[ID_LEN + 1];	/* last id that starts with ref */
	int prefixes;			/* how many ids start with ref */
	char named_id[ID_LEN + 1];	/* image that got the name ref last */
	long long named_at;		/* when, in ns since the epoch */
};

/*
 * A name can be an image's source (given when it was made) and a tag of
 * others. The image that got it last has it, as in Docker, where pull,
 * commit and tag all move a name. Ties go to the lower id, so that
 * every bocker picks the same.
 */
static void
consider(struct match *m, const char *id, long long when)
{
	if (m->named_id[0] != '\0' && (when < m->named_at ||
	    (when == m->named_at && strcmp(id, m->named_id) > 0)))
		return;
	snprintf(m->named_id, sizeof(m->named_id), "%s", id);
	m->named_at = when;
}

static int
match_one(struct store *s, const char *id, void *arg)
{
	struct match *m;
	char tags[TAGS_MAX];
	char source[4096];
	char created[32];
	long long when;

	m = arg;
	if (!strncmp(id, m->ref, strlen(m->ref))) {
		snprintf(m->prefix_id, sizeof(m->prefix_id), "%s", id);
		m->prefixes++;
	}
	if (strcmp(m->kind, "images"))
		return 0;
	if (store_read(s, "images", id, "source", source,
		       sizeof(source)) == 0) {
		source[strcspn(source, "\n")] = '\0';
		if (source[0] != '\0' && (!strcmp(source, m->ref) ||
					  !strcmp(source, m->familiar))) {
			(void)store_read(s, "images", id, "created", created,
					 sizeof(created));
			consider(m, id, atoll(created));
		}
	}
	if (store_read(s, "images", id, "tags", tags, sizeof(tags)) < 0)
		return 0;
	when = tag_time(tags, m->familiar);
	if (when >= 0)
		consider(m, id, when);
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
 * images, the image that got the name ref last, as its source or as a
 * tag (see consider). errno is ENOENT when none matches, EEXIST when the
 * prefix is ambiguous.
 */
int
store_resolve(struct store *s, const char *kind, const char *ref, char *id)
{
	struct match m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.ref = ref;
	if (!strcmp(kind, "images"))
		familiar_name(ref, m.familiar, sizeof(m.familiar));
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
	if (m.named_id[0] != '\0') {
		memcpy(id, m.named_id, ID_LEN + 1);
		return 0;
	}
	errno = m.prefixes > 1 ? EEXIST : ENOENT;
	return -1;
}

/*
 * Rewrite images/<id>/tags without the line of name and, when when is
 * not negative, with name given at that time as its last line. The
 * caller holds tags.lock, so the file's temporary name is free.
 */
static int
rewrite_tags(struct store *s, const char *id, const char *name,
	     long long when)
{
	char old[TAGS_MAX];
	char new[TAGS_MAX];
	char path[ID_LEN + 16];
	const char *line;
	const char *next;
	size_t len;
	size_t n;
	int dirfd;
	int rc;

	snprintf(path, sizeof(path), "images/%s", id);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_set("open '%s'", path);
	rc = store_read(s, "images", id, "tags", old, sizeof(old));
	len = strlen(name);
	n = 0;
	for (line = old; rc == 0 && *line != '\0'; line = next) {
		next = strchrnul(line, '\n');
		if (*next == '\n')
			next++;
		if (!strncmp(line, name, len) && line[len] == '\t')
			continue;
		memcpy(new + n, line, next - line);
		n += next - line;
	}
	new[n] = '\0';
	if (rc == 0 && when >= 0 &&
	    snprintf(new + n, sizeof(new) - n, "%s\t%lld\n", name, when) >=
	    (int)(sizeof(new) - n)) {
		errno = EFBIG;
		rc = error_set("add a tag to '%s/tags'", path);
	}
	if (rc == 0 && strcmp(old, new))
		rc = store_write_atomic(dirfd, "tags", new);
	(void)close(dirfd);
	return rc;
}

struct retag {
	const char *keep;	/* the image that is to have the name */
	const char *name;
};

static int
drop_elsewhere(struct store *s, const char *id, void *arg)
{
	struct retag *r = arg;
	char tags[TAGS_MAX];

	if (!strcmp(id, r->keep) ||
	    store_read(s, "images", id, "tags", tags, sizeof(tags)) < 0 ||
	    tag_time(tags, r->name) < 0)
		return 0;
	/* An image removed meanwhile has lost the name already. */
	if (rewrite_tags(s, id, r->name, -1) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * Give image id the name (a familiar reference, see familiar_name) and
 * take it from every other image, as `docker tag` does. The new line is
 * written before the old ones go, so a lookup in between finds the name
 * on both images and picks the newer tag: never none, never the old one.
 */
int
store_tag(struct store *s, const char *id, const char *name)
{
	struct retag r;
	int lock;
	int rc;

	if (*name == '\0' || strlen(name) >= NAME_TEXT_MAX ||
	    strpbrk(name, "\t\n") != NULL) {
		errno = EINVAL;
		return error_set("tag '%s'", name);
	}
	lock = lock_tags(s);
	if (lock < 0)
		return -1;
	rc = rewrite_tags(s, id, name, now_ns());
	if (rc == 0) {
		r.keep = id;
		r.name = name;
		rc = store_each(s, "images", drop_elsewhere, &r);
	}
	store_unlock(lock);
	return rc;
}

/* Append line and a newline to the list in buf; ERANGE if it is full. */
static int
add_line(char *buf, size_t size, const char *line)
{
	size_t n;

	n = strlen(buf);
	if (snprintf(buf + n, size - n, "%s\n", line) >= (int)(size - n)) {
		buf[n] = '\0';
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/*
 * Write the names of image id into buf, one a line: its source, then
 * each tag that it still has (a later pull, commit or tag of the same
 * name on another image takes a tag away). "" when it has none.
 */
int
store_names(struct store *s, const char *id, char *buf, size_t size)
{
	char tags[TAGS_MAX];
	char source[4096];
	char other[ID_LEN + 1];
	char *line;
	char *next;
	char *tab;

	buf[0] = '\0';
	if (store_read(s, "images", id, "source", source,
		       sizeof(source)) < 0 ||
	    store_read(s, "images", id, "tags", tags, sizeof(tags)) < 0)
		return -1;
	source[strcspn(source, "\n")] = '\0';
	if (source[0] != '\0' && add_line(buf, size, source) < 0)
		return -1;
	for (line = tags; *line != '\0'; line = next) {
		next = strchrnul(line, '\n');
		if (*next == '\n')
			*next++ = '\0';
		tab = strchr(line, '\t');
		if (tab == NULL)
			continue;
		*tab = '\0';
		if (store_resolve(s, "images", line, other) < 0 ||
		    strcmp(other, id))
			continue;
		if (add_line(buf, size, line) < 0)
			return -1;
	}
	return 0;
}

/*
 * The line of the list names that ref names (the name as typed, or in
 * its familiar form) into name, and how many lines name something else.
 * -1 when no line matches.
 */
static int
other_names(const char *names, const char *ref, char *name, size_t size)
{
	char familiar[NAME_TEXT_MAX];
	const char *line;
	const char *next;
	int others;
	int len;

	familiar_name(ref, familiar, sizeof(familiar));
	name[0] = '\0';
	for (line = names; *line != '\0'; line = next + 1) {
		next = strchrnul(line, '\n');
		len = (int)(next - line);
		if ((!strncmp(line, ref, len) && ref[len] == '\0') ||
		    (!strncmp(line, familiar, len) && familiar[len] == '\0'))
			snprintf(name, size, "%.*s", len, line);
		if (*next == '\0')
			break;
	}
	if (name[0] == '\0')
		return -1;
	others = 0;
	for (line = names; *line != '\0'; line = next + 1) {
		next = strchrnul(line, '\n');
		len = (int)(next - line);
		if (strncmp(line, name, len) || name[len] != '\0')
			others++;
		if (*next == '\0')
			break;
	}
	return others;
}

/* Empty the source file of image id: the image loses that name. */
static int
clear_source(struct store *s, const char *id)
{
	char path[ID_LEN + 16];
	int dirfd;
	int rc;

	snprintf(path, sizeof(path), "images/%s", id);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_set("open '%s'", path);
	rc = store_write_atomic(dirfd, "source", "\n");
	(void)close(dirfd);
	return rc;
}

/*
 * Take the name ref from image id if the image keeps another name: what
 * `rmi` does to an image with several names. name receives the name as
 * stored. Returns 1 when it was taken; 0 when ref is not a name of id,
 * or its last one, so that the image itself is to go. A source is taken
 * by emptying the source file, which leaves the rest of the image as it
 * was.
 */
int
store_untag(struct store *s, const char *id, const char *ref, char *name,
	    size_t size)
{
	char names[4096 + TAGS_MAX];
	char tags[TAGS_MAX];
	char source[4096];
	int lock;
	int rc;

	lock = lock_tags(s);
	if (lock < 0)
		return -1;
	rc = store_names(s, id, names, sizeof(names));
	if (rc < 0)
		goto out;
	if (other_names(names, ref, name, size) <= 0)
		goto out;
	rc = store_read(s, "images", id, "tags", tags, sizeof(tags));
	if (rc == 0 && tag_time(tags, name) >= 0)
		rc = rewrite_tags(s, id, name, -1);
	if (rc == 0)
		rc = store_read(s, "images", id, "source", source,
				sizeof(source));
	/* A pulled image may have the same name as source and as tag. */
	if (rc == 0 && !strncmp(source, name, strcspn(source, "\n")) &&
	    name[strcspn(source, "\n")] == '\0')
		rc = clear_source(s, id);
	if (rc == 0)
		rc = 1;
out:
	store_unlock(lock);
	return rc;
}
