/* tar.c - extract an image layer, a tar stream, into a root directory.
 *
 * Formats: ustar and pax extended headers as POSIX.1-2017 defines them in
 * the pax utility (XCU "pax", "ustar Interchange Format" and "pax
 * Interchange Format"). GNU long names and long link names (typeflags 'L'
 * and 'K') and base-256 numbers follow the GNU tar manual, "Basic Tar
 * Format". Whiteouts follow the OCI image spec, layer.md, "Whiteouts".
 *
 * Layers come from the network, so every path is resolved inside the
 * root: with openat2(2) and RESOLVE_IN_ROOT, or on kernels without
 * openat2 by a walk that opens one component at a time with O_NOFOLLOW
 * and expands symlinks by hand, "/" and ".." stopping at the root. A
 * symlink in the image thus leads where it would inside the container,
 * never to the host. The last component of an entry is never followed:
 * whatever is there is removed and the new file created with O_EXCL.
 * Names whose ".." climb above the root are rejected, as Docker and
 * containerd reject them; a leading "/" is dropped, as tar does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "tar.h"

#ifndef SYS_openat2
#define SYS_openat2		437
#endif

/* The argument of openat2(2), for C libraries whose headers lack it. */
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS	0x02
#define RESOLVE_IN_ROOT		0x10
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#endif

#define MAX_SYMLINKS		40	/* the kernel's limit per lookup */
#define NAME_LEN_MAX		255	/* NAME_MAX, one path component */
#define XATTR_NAME_LEN_MAX	255	/* XATTR_NAME_MAX */
#define XATTR_VALUE_MAX		65536	/* XATTR_SIZE_MAX */
#define XATTR_PAX_PREFIX	"SCHILY.xattr."

/* t->state */
enum { STATE_HEADER, STATE_DATA, STATE_PADDING, STATE_END };

/* t->sink: where the data of the member being read goes. */
enum {
	SINK_SKIP,	/* data of an entry that creates no regular file */
	SINK_GLOBAL,	/* a pax global header, ignored */
	SINK_FILE,	/* a regular file, written to t->fd */
	SINK_PAX,	/* a pax extended header, into t->meta */
	SINK_LONGNAME,	/* a GNU 'L' long name, into t->meta */
	SINK_LONGLINK	/* a GNU 'K' long link name, into t->meta */
};

/* t->pax_has */
enum { PAX_SIZE = 1, PAX_MTIME = 2, PAX_UID = 4, PAX_GID = 8 };

/* The header block, field by field as POSIX lists them for ustar. */
struct ustar {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};

_Static_assert(sizeof(struct ustar) == TAR_BLOCK, "a header is one block");

/* One "<length> <keyword>=<value>\n" record of a pax extended header. */
struct pax_record {
	const char *key;
	size_t keylen;
	const char *value;
	size_t len;
};

/* Copy name for a message, control bytes as '?', a long one cut to "...". */
static void
show_name(const char *name, char *out, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 4 < size; i++)
		out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ?
			 '?' : name[i];
	if (name[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* Record the first failure as errno err and a one-line reason. */
__attribute__((format(printf, 3, 4)))
static int
fail(struct tar *t, int err, const char *fmt, ...)
{
	va_list ap;

	if (!t->failed) {
		va_start(ap, fmt);
		vsnprintf(t->error, sizeof(t->error), fmt, ap);
		va_end(ap);
		t->failed = err ? err : EIO;
	}
	errno = t->failed;
	return -1;
}

static int
header_error(struct tar *t, const char *why)
{
	return fail(t, EINVAL, "header at byte %llu: %s",
		    (unsigned long long)t->header_offset, why);
}

static int
entry_error(struct tar *t, int err, const char *why)
{
	char shown[200];

	show_name(t->entry.name, shown, sizeof(shown));
	return fail(t, err, "entry '%s': %s", shown, why);
}

/* Report that step failed on path, with the errno it left. */
static int
path_syserr(struct tar *t, const char *path, const char *step)
{
	char shown[200];
	int err = errno;

	show_name(path, shown, sizeof(shown));
	return fail(t, err, "entry '%s': %s: %s", shown, step, strerror(err));
}

static int
entry_syserr(struct tar *t, const char *step)
{
	return path_syserr(t, t->entry.name, step);
}

static void
close_saving_errno(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
}

static int
parse_octal(const char *field, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	/* Writers pad with leading spaces or NULs and end with either. */
	while (i < len && (field[i] == ' ' || field[i] == '\0'))
		i++;
	for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) {
		if (v > (uint64_t)INT64_MAX >> 3) {
			errno = ERANGE;
			return -1;
		}
		v = v << 3 | (uint64_t)(field[i] - '0');
	}
	for (; i < len; i++) {
		if (field[i] != ' ' && field[i] != '\0') {
			errno = EINVAL;
			return -1;
		}
	}
	*out = (int64_t)v;
	return 0;
}

/*
 * Parse GNU base-256: bit 7 of the first byte marks the form, bit 6 is
 * the sign, and the rest of the field is a big-endian two's complement.
 */
static int
parse_base256(const unsigned char *field, size_t len, int64_t *out)
{
	unsigned char invert = field[0] & 0x40 ? 0xff : 0;
	uint64_t v = (field[0] ^ invert) & 0x3f;
	size_t i;

	for (i = 1; i < len; i++) {
		if (v >> 55) {
			errno = ERANGE;
			return -1;
		}
		v = v << 8 | (unsigned char)(field[i] ^ invert);
	}
	*out = invert ? -(int64_t)v - 1 : (int64_t)v;
	return 0;
}

int
tar_parse_number(const char *field, size_t len, int64_t *out)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((unsigned char)field[0] & 0x80)
		return parse_base256((const unsigned char *)field, len, out);
	return parse_octal(field, len, out);
}

/* Parse a non-negative decimal pax value. */
static int
parse_decimal(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Parse a pax time, "[-]<seconds>[.<fraction>]". */
static int
parse_time(const char *s, size_t len, struct timespec *out)
{
	const char *dot;
	int64_t sec;
	long nsec = 0, scale = 100000000;
	int negative = len > 0 && s[0] == '-';
	size_t i;

	s += negative;
	len -= negative;
	dot = memchr(s, '.', len);
	if (parse_decimal(s, dot ? (size_t)(dot - s) : len, &sec) < 0)
		return -1;
	for (i = dot ? (size_t)(dot - s) + 1 : len; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		nsec += (s[i] - '0') * scale;
		scale /= 10;
	}
	if (negative && nsec > 0) {
		sec += 1;
		nsec = 1000000000 - nsec;
	}
	out->tv_sec = negative ? -sec : sec;
	out->tv_nsec = nsec;
	return 0;
}

/*
 * Split the record at buf[*off] into keyword and value. Returns 1 and
 * advances *off, 0 at the end (trailing NULs included), -1 if malformed.
 */
static int
next_record(const char *buf, size_t len, size_t *off, struct pax_record *r)
{
	size_t start = *off, i = start, n = 0, end;
	const char *eq;

	/* Some writers pad the header with NULs after the last record. */
	if (start < len && buf[start] == '\0') {
		while (i < len && buf[i] == '\0')
			i++;
		return i == len ? 0 : -1;
	}
	if (start == len)
		return 0;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > len)
			return -1;
	}
	/* The length counts itself, a space, "k=" and the newline. */
	if (i == start || i == len || buf[i] != ' ' ||
	    n < i - start + 4 || n > len - start)
		return -1;
	end = start + n;
	if (buf[end - 1] != '\n')
		return -1;
	r->key = buf + i + 1;
	eq = memchr(r->key, '=', buf + end - 1 - r->key);
	if (eq == NULL || eq == r->key)
		return -1;
	r->keylen = (size_t)(eq - r->key);
	r->value = eq + 1;
	r->len = (size_t)(buf + end - 1 - r->value);
	*off = end;
	return 1;
}

static int
key_is(const struct pax_record *r, const char *key)
{
	return r->keylen == strlen(key) && memcmp(r->key, key, r->keylen) == 0;
}

static int
key_has_prefix(const struct pax_record *r, const char *prefix)
{
	size_t n = strlen(prefix);

	return r->keylen > n && memcmp(r->key, prefix, n) == 0;
}

/*
 * Clean name lexically into out, as Docker does before it joins a name to
 * the root: leading and repeated slashes and "." go, and ".." removes the
 * component before it. Returns -1 when a ".." would climb above the root.
 */
static int
clean_path(const char *name, char *out)
{
	const char *p = name, *end;
	size_t len = 0, n;

	while (*p != '\0') {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return -1;
			while (len > 0 && out[len - 1] != '/')
				len--;
			len -= len > 0;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = end;
	}
	out[len] = '\0';
	return 0;
}

/* FNV-1a, to place paths in the seen set. */
static size_t
hash_path(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return (size_t)h;
}

static struct tar_seen *
seen_slot(struct tar_seen *slots, size_t cap, const char *path)
{
	size_t i = hash_path(path) & (cap - 1);

	while (slots[i].path != NULL && strcmp(slots[i].path, path) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static struct tar_seen *
seen_find(const struct tar *t, const char *path)
{
	struct tar_seen *s;

	if (t->seen_cap == 0)
		return NULL;
	s = seen_slot(t->seen, t->seen_cap, path);
	return s->path != NULL ? s : NULL;
}

static int
seen_grow(struct tar *t)
{
	size_t cap = t->seen_cap ? t->seen_cap * 2 : 1024, i;
	struct tar_seen *slots;

	if (t->seen_bytes + cap * sizeof(*slots) > TAR_SEEN_MAX) {
		errno = ENOMEM;
		return -1;
	}
	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (i = 0; i < t->seen_cap; i++)
		if (t->seen[i].path != NULL)
			*seen_slot(slots, cap, t->seen[i].path) = t->seen[i];
	free(t->seen);
	t->seen = slots;
	t->seen_cap = cap;
	return 0;
}

/*
 * Remember that this layer created path; a directory's mtime, if given,
 * is set at the end, after its contents have been written.
 */
static int
seen_add(struct tar *t, const char *path, const struct timespec *dir_mtime)
{
	struct tar_seen *s = seen_find(t, path);
	size_t len = strlen(path) + 1;

	if (s == NULL) {
		if ((t->seen_count + 1) * 2 > t->seen_cap && seen_grow(t) < 0)
			return -1;
		if (t->seen_bytes + len + t->seen_cap * sizeof(*s) >
		    TAR_SEEN_MAX) {
			errno = ENOMEM;
			return -1;
		}
		s = seen_slot(t->seen, t->seen_cap, path);
		s->path = strdup(path);
		if (s->path == NULL)
			return -1;
		t->seen_count++;
		t->seen_bytes += len;
	}
	s->dir_mtime = dir_mtime != NULL;
	if (dir_mtime != NULL)
		s->mtime = *dir_mtime;
	return 0;
}

/*
 * Move the next component of *rest into name. Returns its length, 0 at
 * the end, -1 if it is longer than NAME_MAX.
 */
static int
take_component(const char **rest, char *name)
{
	const char *p = *rest, *end;
	size_t n;

	while (*p == '/')
		p++;
	end = strchrnul(p, '/');
	n = (size_t)(end - p);
	if (n > NAME_LEN_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	while (*end == '/')
		end++;
	*rest = end;
	return (int)n;
}

/*
 * Replace todo with the target of the symlink linkfd followed by rest.
 * Returns 1 for an absolute target, which restarts at the root, else 0.
 */
static int
expand_link(int linkfd, const char *rest, char *todo)
{
	char target[TAR_PATH_MAX], joined[TAR_PATH_MAX];
	ssize_t n;
	int len;

	n = readlinkat(linkfd, "", target, sizeof(target));
	if (n < 0)
		return -1;
	if (n == 0 || (size_t)n == sizeof(target)) {
		errno = n == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	target[n] = '\0';
	len = snprintf(joined, sizeof(joined), "%s/%s", target, rest);
	if (len < 0 || (size_t)len >= sizeof(joined)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(todo, joined, (size_t)len + 1);
	return target[0] == '/';
}

/* The state of a walk_dir lookup. */
struct walk {
	int fd;			/* the directory reached so far */
	int depth;		/* how many directories below the root */
	int links;		/* symlinks followed so far */
	const char *rest;	/* what is left to look up, inside todo */
	char todo[TAR_PATH_MAX];
};

static int
walk_restart(struct tar *t, struct walk *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = openat(t->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	w->depth = 0;
	return w->fd < 0 ? -1 : 0;
}

/*
 * Look up one component from w->fd. Every fd the walk keeps is a real
 * directory reached from the root through real directories, so ".." of
 * one at depth 1 or more stays inside; at depth 0, ".." stays at the
 * root, as it does for the kernel's RESOLVE_IN_ROOT.
 */
static int
walk_step(struct tar *t, struct walk *w, const char *name, int follow)
{
	int dotdot = strcmp(name, "..") == 0, next, absolute;
	struct stat st;

	if (strcmp(name, ".") == 0 || (dotdot && w->depth == 0))
		return 0;
	next = openat(w->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0)
		return -1;
	if (fstat(next, &st) < 0)
		goto fail;
	if (S_ISLNK(st.st_mode) && follow) {
		errno = ELOOP;
		if (++w->links > MAX_SYMLINKS)
			goto fail;
		absolute = expand_link(next, w->rest, w->todo);
		if (absolute < 0)
			goto fail;
		close(next);
		w->rest = w->todo;
		return absolute ? walk_restart(t, w) : 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		goto fail;
	}
	w->depth += dotdot ? -1 : 1;
	close(w->fd);
	w->fd = next;
	return 0;
fail:
	close_saving_errno(next);
	return -1;
}

/*
 * Open directory path as openat2 with RESOLVE_IN_ROOT would, for kernels
 * before Linux 5.6: one component at a time with O_NOFOLLOW, symlinks
 * expanded by hand, an absolute target restarting at the root. With
 * O_NOFOLLOW in flags a final symlink fails instead of being followed.
 */
static int
walk_dir(struct tar *t, const char *path, int flags)
{
	char name[NAME_LEN_MAX + 1];
	struct walk w;
	int len, follow, fd = -1;

	w.fd = -1;
	w.links = 0;
	snprintf(w.todo, sizeof(w.todo), "%s", path);
	w.rest = w.todo;
	if (walk_restart(t, &w) < 0)
		return -1;
	while ((len = take_component(&w.rest, name)) > 0) {
		follow = *w.rest != '\0' || !(flags & O_NOFOLLOW);
		if (walk_step(t, &w, name, follow) < 0) {
			len = -1;
			break;
		}
	}
	if (len == 0)
		fd = openat(w.fd, ".", (flags & ~O_NOFOLLOW) | O_DIRECTORY |
			    O_CLOEXEC);
	if (w.fd >= 0)
		close_saving_errno(w.fd);
	return fd;
}

/* Open the directory at path inside the root, following symlinks there. */
static int
open_dir(struct tar *t, const char *path, int flags)
{
	struct open_how how;
	long fd = -1;
	int tries;

	if (!(t->flags & TAR_NO_OPENAT2)) {
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)(flags | O_DIRECTORY | O_CLOEXEC);
		how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
		/* EAGAIN: a rename raced with a "..", and a retry is safe. */
		for (tries = 0; tries < 16; tries++) {
			fd = syscall(SYS_openat2, t->rootfd,
				     *path ? path : ".", &how, sizeof(how));
			if (fd >= 0 || errno != EAGAIN)
				break;
		}
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		t->flags |= TAR_NO_OPENAT2;
	}
	return walk_dir(t, path, flags);
}

/* Make the missing directory dirfd/name (path from the root), mode 0755. */
static int
make_missing(struct tar *t, int dirfd, const char *path, const char *name)
{
	if (mkdirat(dirfd, name, 0755) == 0) {
		/* Set the mode exactly, whatever the umask. */
		if (fchmodat(dirfd, name, 0755, 0) < 0)
			return -1;
		if (seen_add(t, path, NULL) < 0)
			return -1;
	} else if (errno != EEXIST) {
		return -1;
	}
	return open_dir(t, path, O_PATH);
}

/* Open directory dir, creating what is missing of it as Docker does. */
static int
make_parents(struct tar *t, char *dir)
{
	char *name = dir, *end, saved;
	int fd, next;

	fd = open_dir(t, "", O_PATH);
	while (fd >= 0 && *name != '\0') {
		end = strchrnul(name, '/');
		saved = *end;
		*end = '\0';
		next = open_dir(t, dir, O_PATH);
		if (next < 0 && errno == ENOENT)
			next = make_missing(t, fd, dir, name);
		*end = saved;
		name = saved ? end + 1 : end;
		close_saving_errno(fd);
		fd = next;
	}
	return fd;
}

/*
 * Open the directory that contains path, inside the root, and point
 * *last at the final component. With create, missing directories are
 * made, mode 0755, as Docker does.
 */
static int
open_parent(struct tar *t, const char *path, int create, const char **last)
{
	char dir[TAR_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	int fd;

	memcpy(dir, path, len);
	dir[len] = '\0';
	*last = slash ? slash + 1 : path;
	fd = open_dir(t, dir, O_PATH);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	return make_parents(t, dir);
}

static int
is_dot_or_dotdot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Remove dirfd/name, with everything under it, never following a symlink. */
static int
remove_all(int dirfd, const char *name)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close_saving_errno(fd);
		return -1;
	}
	while (r == 0) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			r = errno ? -1 : 1;
		else if (!is_dot_or_dotdot(de->d_name))
			r = remove_all(fd, de->d_name);
	}
	closedir(dir);
	if (r < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Append "/name" to the path of len bytes; returns the new length, or 0. */
static size_t
join_path(char *path, size_t len, const char *name)
{
	size_t n = strlen(name), total = len ? len + 1 + n : n;

	if (total >= TAR_PATH_MAX)
		return 0;
	if (len > 0)
		path[len++] = '/';
	memcpy(path + len, name, n + 1);
	return total;
}

/*
 * Remove from directory dirfd/name, whose path from the root is path,
 * everything this layer did not create, and do the same in the
 * subdirectories this layer kept: an opaque directory hides all of the
 * lower layers' files, however deep. A name that is no directory stays.
 */
static int
prune(struct tar *t, int dirfd, const char *name, char *path, size_t len)
{
	struct dirent *de;
	struct stat st;
	size_t sublen;
	DIR *dir;
	int fd, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close_saving_errno(fd);
		return -1;
	}
	while (r == 0) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			r = errno ? -1 : 1;
			continue;
		}
		if (is_dot_or_dotdot(de->d_name))
			continue;
		sublen = join_path(path, len, de->d_name);
		if (sublen == 0 || seen_find(t, path) == NULL)
			r = remove_all(fd, de->d_name);
		else
			r = prune(t, fd, de->d_name, path, sublen);
		path[len] = '\0';
	}
	closedir(dir);
	return r < 0 ? -1 : 0;
}

/*
 * Extended attributes that overlayfs reads from its layers (opaque
 * markers, redirects, file handles) are dropped, so that a layer cannot
 * steer an overlay mount that later stacks it.
 */
static int
is_overlay_xattr(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

/*
 * Apply the entry's SCHILY.xattr pax records to fd, or to dirfd/name when
 * fd is -1. ENOTSUP and EPERM are ignored as Docker ignores them, because
 * not every filesystem takes every namespace.
 */
static int
set_xattrs(struct tar *t, int fd, int dirfd, const char *name)
{
	char attr[XATTR_NAME_LEN_MAX + 1], proc[64 + NAME_LEN_MAX];
	size_t off = 0, n = strlen(XATTR_PAX_PREFIX);
	struct pax_record r;
	int rc;

	if (t->pax == NULL)
		return 0;
	while (next_record(t->pax, t->pax_len, &off, &r) > 0) {
		if (!key_has_prefix(&r, XATTR_PAX_PREFIX))
			continue;
		memcpy(attr, r.key + n, r.keylen - n);
		attr[r.keylen - n] = '\0';
		if (is_overlay_xattr(attr))
			continue;
		if (fd >= 0) {
			rc = fsetxattr(fd, attr, r.value, r.len, 0);
		} else {
			/*
			 * setxattrat(2) is new in Linux 6.13, so the path
			 * goes through the directory's fd in /proc.
			 * NOTE: without /proc mounted this fails (ENOENT).
			 */
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s",
				 dirfd, name);
			rc = lsetxattr(proc, attr, r.value, r.len, 0);
		}
		if (rc < 0 && errno != ENOTSUP && errno != EPERM)
			return entry_syserr(t, "setxattr");
	}
	return 0;
}

/*
 * Apply owner, mode, xattrs and (with times) mtime to the open fd. The
 * order matters: chown clears setuid, setgid and file capabilities, so
 * chmod and the xattrs come after it.
 */
static int
set_meta_fd(struct tar *t, int fd, int times)
{
	struct tar_entry *e = &t->entry;
	struct timespec ts[2];

	if (fchown(fd, e->uid, e->gid) < 0)
		return entry_syserr(t, "chown");
	if (fchmod(fd, e->mode) < 0)
		return entry_syserr(t, "chmod");
	if (set_xattrs(t, fd, -1, NULL) < 0)
		return -1;
	if (!times)
		return 0;
	ts[0] = e->mtime;
	ts[1] = e->mtime;
	if (futimens(fd, ts) < 0)
		return entry_syserr(t, "utimensat");
	return 0;
}

/* The same for dirfd/name, which this entry has just created. */
static int
set_meta_at(struct tar *t, int dirfd, const char *name, int symlink)
{
	struct tar_entry *e = &t->entry;
	struct timespec ts[2];

	if (fchownat(dirfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_syserr(t, "chown");
	/* A symlink has no mode of its own on Linux. */
	if (!symlink && fchmodat(dirfd, name, e->mode, 0) < 0)
		return entry_syserr(t, "chmod");
	if (set_xattrs(t, -1, dirfd, name) < 0)
		return -1;
	ts[0] = e->mtime;
	ts[1] = e->mtime;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_syserr(t, "utimensat");
	return 0;
}

/*
 * Make room for the entry at dirfd/name: whatever is there goes, a
 * directory with everything under it, except that a directory stays when
 * the entry is one too. Returns 1 if it stays, 0 if the name is free.
 */
static int
make_room(struct tar *t, int dirfd, const char *name, int dir)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : entry_syserr(t, "stat");
	if (S_ISDIR(st.st_mode) && dir)
		return 1;
	if (remove_all(dirfd, name) < 0)
		return entry_syserr(t, "remove old file");
	return 0;
}

static int
make_file(struct tar *t, int dirfd, const char *name)
{
	if (make_room(t, dirfd, name, 0) < 0)
		return -1;
	t->fd = openat(dirfd, name,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (t->fd < 0)
		return entry_syserr(t, "create file");
	return 0;
}

/* Apply the metadata once a regular file's data is written. */
static int
finish_file(struct tar *t)
{
	int fd = t->fd;

	t->fd = -1;
	if (set_meta_fd(t, fd, 1) < 0) {
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return entry_syserr(t, "close");
	return 0;
}

static int
make_dir(struct tar *t, int dirfd, const char *name)
{
	int exists, fd, r;

	exists = make_room(t, dirfd, name, 1);
	if (exists < 0)
		return -1;
	/* Mode 0700 until the entry's own mode is set. */
	if (!exists && mkdirat(dirfd, name, 0700) < 0)
		return entry_syserr(t, "mkdir");
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return entry_syserr(t, "open directory");
	r = set_meta_fd(t, fd, 0);
	close(fd);
	return r;
}

/* The target is data, stored as it is; lookups through it stay inside. */
static int
make_symlink(struct tar *t, int dirfd, const char *name)
{
	if (t->entry.link[0] == '\0')
		return entry_error(t, EINVAL, "symlink has an empty target");
	if (make_room(t, dirfd, name, 0) < 0)
		return -1;
	if (symlinkat(t->entry.link, dirfd, name) < 0)
		return entry_syserr(t, "symlink");
	return set_meta_at(t, dirfd, name, 1);
}

/*
 * Link to a file earlier in the root. The target's directory is resolved
 * inside the root and its last component is not followed, so the link
 * can only name a file of the image (a symlink links as itself).
 */
static int
make_hardlink(struct tar *t, int dirfd, const char *name)
{
	char target[TAR_PATH_MAX];
	const char *last;
	struct stat st;
	int fd, r;

	if (clean_path(t->entry.link, target) < 0)
		return entry_error(t, EPERM, "link target escapes the root");
	if (target[0] == '\0' || strcmp(target, t->entry.path) == 0)
		return entry_error(t, EINVAL, "invalid hard link target");
	fd = open_parent(t, target, 0, &last);
	if (fd < 0)
		return entry_syserr(t, "link target");
	r = fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		r = entry_syserr(t, "link target");
	else if (S_ISDIR(st.st_mode))
		r = entry_error(t, EPERM, "hard link to a directory");
	else
		r = make_room(t, dirfd, name, 0);
	if (r == 0 && linkat(fd, last, dirfd, name, 0) < 0)
		r = entry_syserr(t, "link");
	close(fd);
	return r;
}

static int
make_node(struct tar *t, int dirfd, const char *name)
{
	struct tar_entry *e = &t->entry;
	mode_t kind = e->type == '3' ? S_IFCHR :
		      e->type == '4' ? S_IFBLK : S_IFIFO;
	dev_t dev = kind == S_IFIFO ? 0 : makedev(e->devmajor, e->devminor);

	if (make_room(t, dirfd, name, 0) < 0)
		return -1;
	if (mknodat(dirfd, name, kind | 0600, dev) < 0)
		return entry_syserr(t, "mknod");
	return set_meta_at(t, dirfd, name, 0);
}

/*
 * Hide what the lower layers have at path (a cleaned name): remove it,
 * or with opaque everything in it. The OCI layer spec lets a whiteout
 * hide only lower layers, so what this layer created stays.
 */
static int
hide_lower(struct tar *t, char *path, int opaque)
{
	const char *last;
	int fd, r;

	fd = open_parent(t, path, 0, &last);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0)
		return entry_syserr(t, "open whiteout directory");
	if (*last == '\0')
		last = ".";
	if (opaque || seen_find(t, path) != NULL)
		r = prune(t, fd, last, path, strlen(path));
	else
		r = remove_all(fd, last);
	close_saving_errno(fd);
	if (r < 0)
		return entry_syserr(t, "apply whiteout");
	return 0;
}

/*
 * ".wh.<name>" removes <name> from the entry's directory and
 * ".wh..wh..opq" makes the directory opaque; neither creates a file.
 * Other ".wh..wh." names are AUFS metadata, which Docker skips too.
 */
static int
apply_whiteout(struct tar *t, const char *base)
{
	char path[TAR_PATH_MAX];
	const char *name = base + 4;
	size_t dirlen = (size_t)(base - t->entry.path);

	memcpy(path, t->entry.path, dirlen);
	if (strcmp(base, ".wh..wh..opq") == 0) {
		path[dirlen - (dirlen > 0)] = '\0';
		return hide_lower(t, path, 1);
	}
	if (strncmp(name, ".wh.", 4) == 0)
		return 0;
	if (*name == '\0' || is_dot_or_dotdot(name))
		return entry_error(t, EINVAL, "invalid whiteout name");
	strcpy(path + dirlen, name);
	return hide_lower(t, path, 0);
}

/* A whiteout name as a directory ("a/.wh.b/c") has no meaning. */
static int
whiteout_in_dir(const char *path, const char *base)
{
	const char *p;

	for (p = path; p < base; p = strchr(p, '/') + 1)
		if (strncmp(p, ".wh.", 4) == 0)
			return 1;
	return 0;
}

static int
create_entry(struct tar *t)
{
	struct tar_entry *e = &t->entry;
	const char *base = strrchr(e->path, '/'), *last;
	int dirfd, r;

	base = base ? base + 1 : e->path;
	if (whiteout_in_dir(e->path, base))
		return entry_error(t, EINVAL, "whiteout as a directory name");
	if (strncmp(base, ".wh.", 4) == 0)
		return apply_whiteout(t, base);
	if (e->path[0] == '\0' && e->type != '5')
		return entry_error(t, EPERM, "entry would replace the root");
	dirfd = open_parent(t, e->path, 1, &last);
	if (dirfd < 0)
		return entry_syserr(t, "open parent directory");
	if (*last == '\0')
		last = ".";
	switch (e->type) {
	case '0': r = make_file(t, dirfd, last); break;
	case '1': r = make_hardlink(t, dirfd, last); break;
	case '2': r = make_symlink(t, dirfd, last); break;
	case '5': r = make_dir(t, dirfd, last); break;
	default: r = make_node(t, dirfd, last); break;
	}
	close(dirfd);
	if (r < 0)
		return -1;
	if (seen_add(t, e->path, e->type == '5' ? &e->mtime : NULL) < 0)
		return entry_syserr(t, "record path");
	return 0;
}

/* Store a pax path or linkpath in dst; a NUL byte in it is an error. */
static int
pax_name(struct tar *t, const struct pax_record *r, char *dst, int *rank)
{
	if (memchr(r->value, '\0', r->len) != NULL)
		return header_error(t, "pax name contains a NUL byte");
	if (r->len >= TAR_PATH_MAX)
		return fail(t, ENAMETOOLONG, "header at byte %llu: pax name "
			    "too long: %zu bytes, max %d",
			    (unsigned long long)t->header_offset, r->len,
			    TAR_PATH_MAX - 1);
	memcpy(dst, r->value, r->len);
	dst[r->len] = '\0';
	*rank = 2;
	return 0;
}

static int
pax_id(struct tar *t, const struct pax_record *r, int flag)
{
	int64_t v;

	/* (uid_t)-1 would mean "leave unchanged" to chown. */
	if (parse_decimal(r->value, r->len, &v) < 0 || v >= UINT32_MAX)
		return header_error(t, "invalid pax uid or gid");
	if (flag == PAX_UID)
		t->pax_uid = (uid_t)v;
	else
		t->pax_gid = (gid_t)v;
	t->pax_has |= flag;
	return 0;
}

static int
pax_xattr(struct tar *t, const struct pax_record *r)
{
	size_t n = r->keylen - strlen(XATTR_PAX_PREFIX);

	if (n > XATTR_NAME_LEN_MAX || r->len > XATTR_VALUE_MAX ||
	    memchr(r->key, '\0', r->keylen) != NULL)
		return header_error(t, "invalid pax xattr record");
	return 0;
}

/* Use one record; an empty value, or a keyword not listed, changes nothing. */
static int
use_record(struct tar *t, const struct pax_record *r)
{
	int64_t size;

	if (r->len == 0)
		return 0;
	if (key_is(r, "path"))
		return pax_name(t, r, t->entry.name, &t->name_rank);
	if (key_is(r, "linkpath"))
		return pax_name(t, r, t->entry.link, &t->link_rank);
	if (key_is(r, "uid"))
		return pax_id(t, r, PAX_UID);
	if (key_is(r, "gid"))
		return pax_id(t, r, PAX_GID);
	if (key_has_prefix(r, XATTR_PAX_PREFIX))
		return pax_xattr(t, r);
	if (key_has_prefix(r, "GNU.sparse."))
		return header_error(t, "sparse files are not supported");
	if (key_is(r, "size")) {
		if (parse_decimal(r->value, r->len, &size) < 0)
			return header_error(t, "invalid pax size");
		t->pax_size = (uint64_t)size;
		t->pax_has |= PAX_SIZE;
	}
	if (key_is(r, "mtime")) {
		if (parse_time(r->value, r->len, &t->pax_mtime) < 0)
			return header_error(t, "invalid pax mtime");
		t->pax_has |= PAX_MTIME;
	}
	return 0;
}

/* Take the records of an 'x' header; t->pax keeps them for the xattrs. */
static int
read_pax(struct tar *t)
{
	struct pax_record r;
	size_t off = 0;
	int k;

	while ((k = next_record(t->pax, t->pax_len, &off, &r)) > 0)
		if (use_record(t, &r) < 0)
			return -1;
	if (k < 0)
		return header_error(t, "invalid pax record");
	return 0;
}

/* Take a GNU 'L' or 'K' name, unless a pax record already gave one. */
static int
read_long_name(struct tar *t, const unsigned char *data, size_t len)
{
	const unsigned char *nul = memchr(data, '\0', len);
	size_t n = nul ? (size_t)(nul - data) : len;
	int link = t->sink == SINK_LONGLINK;
	char *dst = link ? t->entry.link : t->entry.name;
	int *rank = link ? &t->link_rank : &t->name_rank;

	if (n >= TAR_PATH_MAX)
		return fail(t, ENAMETOOLONG, "header at byte %llu: GNU long "
			    "name too long",
			    (unsigned long long)t->header_offset);
	if (*rank < 2) {
		memcpy(dst, data, n);
		dst[n] = '\0';
		*rank = 1;
	}
	return 0;
}

static int
finish_meta(struct tar *t)
{
	unsigned char *data = t->meta;
	int r;

	t->meta = NULL;
	if (t->sink == SINK_PAX) {
		t->pax = (char *)data;
		t->pax_len = t->meta_len;
		return read_pax(t);
	}
	r = read_long_name(t, data, t->meta_len);
	free(data);
	return r;
}

/* Forget the extended headers once their entry is done. */
static void
end_entry(struct tar *t)
{
	free(t->pax);
	t->pax = NULL;
	t->pax_len = 0;
	t->name_rank = 0;
	t->link_rank = 0;
	t->pax_has = 0;
	t->in_entry = 0;
}

static int
end_data(struct tar *t)
{
	int r = 0;

	if (t->sink == SINK_FILE)
		r = finish_file(t);
	else if (t->sink == SINK_PAX || t->sink == SINK_LONGNAME ||
		 t->sink == SINK_LONGLINK)
		r = finish_meta(t);
	if (r == 0 && (t->sink == SINK_FILE || t->sink == SINK_SKIP))
		end_entry(t);
	t->state = t->padding ? STATE_PADDING : STATE_HEADER;
	return r;
}

static int
start_data(struct tar *t, int sink, uint64_t size)
{
	t->sink = sink;
	t->remaining = size;
	t->padding = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	t->state = STATE_DATA;
	if (size == 0)
		return end_data(t);
	return 0;
}

/* Start reading an 'x', 'L' or 'K' header's data, which has a size cap. */
static int
start_meta(struct tar *t, const struct ustar *h, int sink)
{
	size_t max = sink == SINK_PAX ? TAR_PAX_MAX : TAR_PATH_MAX;
	int64_t size;

	if (tar_parse_number(h->size, sizeof(h->size), &size) < 0 || size < 0)
		return header_error(t, "invalid size field");
	if ((uint64_t)size > max)
		return fail(t, EINVAL, "header at byte %llu: %s too big: "
			    "%lld bytes, max %zu",
			    (unsigned long long)t->header_offset,
			    sink == SINK_PAX ? "pax header" : "GNU long name",
			    (long long)size, max);
	if (sink == SINK_PAX && t->pax != NULL)
		return header_error(t, "second pax header for one entry");
	t->meta = malloc((size_t)size + 1);
	if (t->meta == NULL)
		return fail(t, ENOMEM, "header at byte %llu: out of memory",
			    (unsigned long long)t->header_offset);
	t->meta_len = 0;
	return start_data(t, sink, (uint64_t)size);
}

/* Fill name and link from the header unless a long name replaced them. */
static void
read_names(struct tar *t, const struct ustar *h)
{
	struct tar_entry *e = &t->entry;
	size_t n = strnlen(h->name, sizeof(h->name)), p = 0;

	if (t->name_rank == 0) {
		/* Only POSIX ustar has a prefix; GNU keeps times there. */
		if (memcmp(h->magic, "ustar\0", 6) == 0)
			p = strnlen(h->prefix, sizeof(h->prefix));
		memcpy(e->name, h->prefix, p);
		if (p > 0)
			e->name[p++] = '/';
		memcpy(e->name + p, h->name, n);
		e->name[p + n] = '\0';
	}
	if (t->link_rank == 0) {
		n = strnlen(h->linkname, sizeof(h->linkname));
		memcpy(e->link, h->linkname, n);
		e->link[n] = '\0';
	}
}

static int
read_devices(struct tar *t, const struct ustar *h)
{
	int64_t major, minor;

	if (tar_parse_number(h->devmajor, sizeof(h->devmajor), &major) < 0 ||
	    tar_parse_number(h->devminor, sizeof(h->devminor), &minor) < 0)
		return entry_error(t, EINVAL, "invalid device number field");
	if (major < 0 || major > UINT32_MAX || minor < 0 ||
	    minor > UINT32_MAX)
		return entry_error(t, EINVAL, "device number out of range");
	t->entry.devmajor = (unsigned int)major;
	t->entry.devminor = (unsigned int)minor;
	return 0;
}

/* Read the numeric fields; pax records take precedence over them. */
static int
read_fields(struct tar *t, const struct ustar *h)
{
	struct tar_entry *e = &t->entry;
	int64_t mode, uid, gid, mtime, size;

	if (tar_parse_number(h->mode, sizeof(h->mode), &mode) < 0 ||
	    tar_parse_number(h->uid, sizeof(h->uid), &uid) < 0 ||
	    tar_parse_number(h->gid, sizeof(h->gid), &gid) < 0 ||
	    tar_parse_number(h->mtime, sizeof(h->mtime), &mtime) < 0 ||
	    tar_parse_number(h->size, sizeof(h->size), &size) < 0)
		return entry_error(t, EINVAL, "invalid numeric field");
	if (size < 0 || uid < 0 || uid >= UINT32_MAX || gid < 0 ||
	    gid >= UINT32_MAX)
		return entry_error(t, EINVAL, "numeric field out of range");
	/* Some writers put the file type bits in mode; keep permissions. */
	e->mode = (mode_t)(mode & 07777);
	e->uid = t->pax_has & PAX_UID ? t->pax_uid : (uid_t)uid;
	e->gid = t->pax_has & PAX_GID ? t->pax_gid : (gid_t)gid;
	e->size = t->pax_has & PAX_SIZE ? t->pax_size : (uint64_t)size;
	e->mtime.tv_sec = mtime;
	e->mtime.tv_nsec = 0;
	if (t->pax_has & PAX_MTIME)
		e->mtime = t->pax_mtime;
	if (e->type == '3' || e->type == '4')
		return read_devices(t, h);
	return 0;
}

/* Map the typeflag to one of "0123456"; others are rejected, as Docker does. */
static int
read_type(struct tar *t, const struct ustar *h)
{
	struct tar_entry *e = &t->entry;
	size_t n = strlen(e->name);
	char type = h->typeflag;

	/* Before ustar, a name ending in '/' was how a directory looked. */
	if (type == '\0' && n > 0 && e->name[n - 1] == '/')
		type = '5';
	/* POSIX allows reading a contiguous file ('7') as a regular one. */
	if (type == '\0' || type == '7')
		type = '0';
	if (strchr("0123456", type) == NULL) {
		char why[64];

		if (type > ' ' && type < 0x7f)
			snprintf(why, sizeof(why),
				 "unsupported entry type '%c'", type);
		else
			snprintf(why, sizeof(why),
				 "unsupported entry type 0x%02x",
				 (unsigned char)type);
		return entry_error(t, EINVAL, why);
	}
	e->type = type;
	return 0;
}

static int
start_entry(struct tar *t, const struct ustar *h)
{
	struct tar_entry *e = &t->entry;

	read_names(t, h);
	if (e->name[0] == '\0')
		return header_error(t, "entry has an empty name");
	t->in_entry = 1;
	if (read_type(t, h) < 0 || read_fields(t, h) < 0)
		return -1;
	if (clean_path(e->name, e->path) < 0)
		return entry_error(t, EPERM, "path escapes the root");
	if (create_entry(t) < 0)
		return -1;
	/*
	 * Links, directories, devices and fifos carry no data whatever the
	 * size says, as in Go's archive/tar, which Docker uses.
	 */
	if (t->fd >= 0)
		return start_data(t, SINK_FILE, e->size);
	return start_data(t, SINK_SKIP, e->type == '0' ? e->size : 0);
}

/*
 * POSIX sums the header as unsigned bytes with the chksum field read as
 * spaces; some old writers summed signed chars, which is accepted too.
 */
static int
checksum_ok(const unsigned char *block)
{
	const struct ustar *h = (const struct ustar *)block;
	int64_t want, usum = 0, ssum = 0;
	size_t i;

	if (tar_parse_number(h->chksum, sizeof(h->chksum), &want) < 0)
		return 0;
	for (i = 0; i < TAR_BLOCK; i++) {
		int in_field = i >= 148 && i < 156;

		usum += in_field ? ' ' : block[i];
		ssum += in_field ? ' ' : (signed char)block[i];
	}
	return want == usum || want == ssum;
}

static int
read_zero_block(struct tar *t)
{
	if (t->name_rank || t->link_rank || t->pax_has || t->pax != NULL)
		return header_error(t, "extended header without an entry");
	if (++t->zero_blocks == 2)
		t->state = STATE_END;
	return 0;
}

static int
read_header(struct tar *t)
{
	const struct ustar *h = (const struct ustar *)t->block;
	int64_t size;
	size_t i;

	t->block_len = 0;
	for (i = 0; i < TAR_BLOCK && t->block[i] == 0; i++)
		;
	if (i == TAR_BLOCK)
		return read_zero_block(t);
	if (t->zero_blocks > 0)
		return header_error(t, "header after a zero block");
	if (!checksum_ok(t->block))
		return header_error(t, "invalid header checksum");
	switch (h->typeflag) {
	case 'x':
		return start_meta(t, h, SINK_PAX);
	case 'L':
		return start_meta(t, h, SINK_LONGNAME);
	case 'K':
		return start_meta(t, h, SINK_LONGLINK);
	case 'g':
		/* Global pax records are not used, so they are skipped. */
		if (tar_parse_number(h->size, sizeof(h->size), &size) < 0 ||
		    size < 0)
			return header_error(t, "invalid size field");
		return start_data(t, SINK_GLOBAL, (uint64_t)size);
	}
	return start_entry(t, h);
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
feed_header(struct tar *t, const unsigned char *p, size_t n, size_t *used)
{
	size_t room = TAR_BLOCK - t->block_len;

	*used = n < room ? n : room;
	if (t->block_len == 0)
		t->header_offset = t->offset;
	memcpy(t->block + t->block_len, p, *used);
	t->block_len += *used;
	if (t->block_len < TAR_BLOCK)
		return 0;
	return read_header(t);
}

static int
feed_data(struct tar *t, const unsigned char *p, size_t n, size_t *used)
{
	*used = n < t->remaining ? n : (size_t)t->remaining;
	if (t->sink == SINK_FILE && write_all(t->fd, p, *used) < 0)
		return entry_syserr(t, "write");
	if (t->sink == SINK_PAX || t->sink == SINK_LONGNAME ||
	    t->sink == SINK_LONGLINK) {
		memcpy(t->meta + t->meta_len, p, *used);
		t->meta_len += *used;
	}
	t->remaining -= *used;
	if (t->remaining > 0)
		return 0;
	return end_data(t);
}

static int
feed_padding(struct tar *t, size_t n, size_t *used)
{
	*used = n < t->padding ? n : t->padding;
	t->padding -= *used;
	if (t->padding == 0)
		t->state = STATE_HEADER;
	return 0;
}

/* Set the mtimes of this layer's directories, now that all is written. */
static int
set_dir_times(struct tar *t)
{
	struct timespec ts[2];
	struct tar_seen *s;
	size_t i;
	int fd, r;

	for (i = 0; i < t->seen_cap; i++) {
		s = &t->seen[i];
		if (s->path == NULL || !s->dir_mtime)
			continue;
		/* A later entry of this layer may have replaced it. */
		fd = open_dir(t, s->path, O_RDONLY | O_NOFOLLOW);
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR ||
			       errno == ELOOP))
			continue;
		if (fd < 0)
			return path_syserr(t, s->path, "open directory");
		ts[0] = s->mtime;
		ts[1] = s->mtime;
		r = futimens(fd, ts);
		close_saving_errno(fd);
		if (r < 0)
			return path_syserr(t, s->path, "utimensat");
	}
	return 0;
}

/*
 * The end-of-archive marker is two zero blocks; one, then the end of the
 * stream, is accepted as GNU tar and Go's archive/tar accept it. Without
 * any, a stream cut at an entry boundary could not be told from a whole
 * one, so that is an error.
 */
static int
check_end(struct tar *t)
{
	if (t->state == STATE_END)
		return 0;
	if (t->state == STATE_HEADER && t->block_len == 0 &&
	    t->zero_blocks == 1)
		return 0;
	if (t->in_entry)
		return entry_error(t, EINVAL, "archive truncated");
	if (t->state == STATE_HEADER && t->block_len == 0 &&
	    !t->name_rank && !t->link_rank && !t->pax_has && !t->pax)
		return fail(t, EINVAL, "archive truncated: no end-of-archive "
			    "marker at byte %llu",
			    (unsigned long long)t->offset);
	return fail(t, EINVAL, "archive truncated at byte %llu",
		    (unsigned long long)t->offset);
}

static void
release(struct tar *t)
{
	size_t i;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->meta);
	t->meta = NULL;
	free(t->pax);
	t->pax = NULL;
	for (i = 0; i < t->seen_cap; i++)
		free(t->seen[i].path);
	free(t->seen);
	t->seen = NULL;
	t->seen_cap = 0;
	t->seen_count = 0;
}

int
tar_init(struct tar *t, int rootfd)
{
	struct open_how how;
	struct stat st;
	long fd;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->rootfd = rootfd;
	if (fstat(rootfd, &st) < 0)
		return fail(t, errno, "root: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(t, ENOTDIR, "root: %s", strerror(ENOTDIR));

	/*
	 * Probe openat2 on the root itself: ENOSYS before Linux 5.6, EPERM
	 * from a seccomp filter written before openat2 existed. Either way
	 * the O_NOFOLLOW walk resolves paths instead.
	 */
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rootfd, ".", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	else if (errno == ENOSYS || errno == EPERM)
		t->flags |= TAR_NO_OPENAT2;
	return 0;
}

/* Take the next n bytes of the stream; bytes after the end are ignored. */
int
tar_feed(struct tar *t, const unsigned char *p, size_t n)
{
	size_t used = 0;
	int r = 0;

	if (t->failed) {
		errno = t->failed;
		return -1;
	}
	while (n > 0 && r == 0 && t->state != STATE_END) {
		if (t->state == STATE_HEADER)
			r = feed_header(t, p, n, &used);
		else if (t->state == STATE_DATA)
			r = feed_data(t, p, n, &used);
		else
			r = feed_padding(t, n, &used);
		t->offset += used;
		p += used;
		n -= used;
	}
	return r;
}

/* Check the end of the stream, set directory mtimes, free everything. */
int
tar_finish(struct tar *t)
{
	if (!t->failed && check_end(t) == 0)
		(void)set_dir_times(t);
	release(t);
	if (t->failed) {
		errno = t->failed;
		return -1;
	}
	return 0;
}
