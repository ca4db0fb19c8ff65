/*
 * hosts.c - each container's /etc/hosts, naming the others on the bridge.
 *
 * As Docker does, a container's /etc/hosts is a file of the store,
 * containers/<id>/hosts, bind-mounted into the container, so bocker
 * edits it from outside without resolving any path inside the container.
 * It lists the container itself and every container running on the
 * bridge, one line each:
 *
 *	10.0.0.3	web 3f2a9c81d0e4
 *
 * A starting container gets the lines of the running ones, and its own
 * line is appended to theirs. When a container ends, its line is taken
 * out of theirs. The address leases under net/ name the running
 * containers (each lease is flocked by its container's bocker and holds
 * its id). All of it happens under net/.hosts.lock, so two containers
 * starting at once each see the other.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bocker.h"

#define HOSTS_MAX 65536

/* One container on the bridge, as its lease names it. */
struct peer {
	char address[16];
	char id[ID_LEN + 1];
};

/* Call fn for each running container on the bridge but self. */
static void
each_peer(struct store *s, const char *self,
	  void (*fn)(struct store *s, const struct peer *p, void *arg),
	  void *arg)
{
	struct dirent *d;
	struct peer p;
	char path[300];
	ssize_t got;
	DIR *dir;
	int fd;

	fd = openat(s->rootfd, "net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' ||
		    strlen(d->d_name) >= sizeof(p.address))
			continue;
		snprintf(path, sizeof(path), "net/%s", d->d_name);
		fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC |
			    O_NOFOLLOW);
		if (fd < 0)
			continue;
		got = -1;
		/* A lease that cannot be shared is held: its container runs. */
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			got = pread(fd, p.id, ID_LEN, 0);
		(void)close(fd);
		if (got != ID_LEN)
			continue;
		p.id[ID_LEN] = '\0';
		if (!strcmp(p.id, self))
			continue;
		snprintf(p.address, sizeof(p.address), "%.15s", d->d_name);
		fn(s, &p, arg);
	}
	(void)closedir(dir);
}

/* The /etc/hosts line of container id: "<address>\t[<name> ]<short id>". */
static void
line_of(struct store *s, const char *address, const char *id, char *buf,
	size_t size)
{
	char name[256];

	name[0] = '\0';
	(void)store_read(s, "containers", id, "name", name, sizeof(name));
	if (name[0] == '\0')
		(void)store_read(s, "tmp", id, "name", name, sizeof(name));
	name[strcspn(name, "\n")] = '\0';
	snprintf(buf, size, "%s\t%s%s%.*s\n", address, name,
		 name[0] ? " " : "", SHORT_ID_LEN, id);
}

/* Open the hosts file of a peer, started (containers/) or starting. */
static int
open_peer_file(struct store *s, const char *id, int flags)
{
	char path[ID_LEN + 32];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "containers/%s/hosts", id);
	fd = openat(s->rootfd, path, flags | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "tmp/%s/hosts", id);
		fd = openat(s->rootfd, path, flags | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
	}
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

struct text {
	char *buf;
	size_t size;
	size_t len;
};

static void
append(struct text *t, const char *line)
{
	size_t n;

	n = strlen(line);
	/* A line that does not fit is left out whole. */
	if (t->len + n < t->size) {
		memcpy(t->buf + t->len, line, n + 1);
		t->len += n;
	}
}

static void
add_peer(struct store *s, const struct peer *p, void *arg)
{
	char line[512];

	line_of(s, p->address, p->id, line, sizeof(line));
	append(arg, line);
}

/* Append the starting container's line to a running one's file. */
static void
tell_peer(struct store *s, const struct peer *p, void *arg)
{
	const char *line = arg;
	ssize_t n;
	int fd;

	fd = open_peer_file(s, p->id, O_WRONLY | O_APPEND);
	if (fd < 0)
		return;
	n = write(fd, line, strlen(line));
	trace(n, "write(<containers/%.12s/hosts>, \"%.*s\\n\", O_APPEND)",
	      p->id, (int)strcspn(line, "\n"), line);
	(void)close(fd);
}

static int
lock_hosts(struct store *s)
{
	int fd;
	int rc;

	fd = openat(s->rootfd, "net/.hosts.lock", O_RDWR | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set("open 'net/.hosts.lock'");
	rc = flock(fd, LOCK_EX);
	trace(rc, "flock(%d<net/.hosts.lock>, LOCK_EX)", fd);
	return fd;
}

/*
 * Write the hosts file of container id in dirfd, its directory: the
 * loopback names, its own address (or 127.0.1.1) with its hostname and,
 * on the bridge, a line for each running container, to whose files its
 * own line is added.
 */
int
hosts_publish(struct store *s, int dirfd, const char *id,
	      const char *address, const char *hostname, int bridge)
{
	static char buf[HOSTS_MAX];
	struct text t = { buf, sizeof(buf), 0 };
	char line[512];
	int lock;
	int rc;

	lock = lock_hosts(s);
	if (lock < 0)
		return -1;
	snprintf(line, sizeof(line), "127.0.0.1\tlocalhost\n"
		 "::1\tlocalhost ip6-localhost ip6-loopback\n"
		 "%s\t%s\n", address[0] ? address : "127.0.1.1", hostname);
	buf[0] = '\0';
	append(&t, line);
	if (bridge)
		each_peer(s, id, add_peer, &t);
	rc = file_write(dirfd, "hosts", buf, O_CREAT | O_TRUNC | O_NOFOLLOW);
	trace(rc, "write(\"hosts\", ...) # %zu bytes", t.len);
	if (rc == 0 && bridge) {
		line_of(s, address, id, line, sizeof(line));
		each_peer(s, id, tell_peer, line);
	}
	(void)close(lock);
	if (rc < 0)
		return error_set("write the hosts file");
	return 0;
}

/*
 * The short id a container's line ends in ("\t[<name> ]<short id>"),
 * or NULL for any other line: localhost, the container's own hostname,
 * or one its processes wrote.
 */
static const char *
line_id(const char *line, size_t len)
{
	const char *id;

	if (len <= SHORT_ID_LEN)
		return NULL;
	id = line + len - SHORT_ID_LEN;
	if ((id[-1] != ' ' && id[-1] != '\t') ||
	    strspn(id, "0123456789abcdef") < SHORT_ID_LEN)
		return NULL;
	return id;
}

/* Is line "<p's address>\t...", the line of p itself? */
static int
own_line(const char *line, const struct peer *p)
{
	size_t len = strlen(p->address);

	return !strncmp(line, p->address, len) && line[len] == '\t';
}

/*
 * Rewrite the hosts file of peer p in place (it is bound into the
 * container, so it keeps its inode) without the container lines that
 * drop(short id, arg) rejects.
 */
static void
filter_peer(struct store *s, const struct peer *p,
	    int (*drop)(const char *id, void *arg), void *arg)
{
	static char text[HOSTS_MAX];
	const char *line;
	const char *end;
	const char *id;
	size_t keep;
	size_t len;
	ssize_t n;
	int fd;
	int rc;

	fd = open_peer_file(s, p->id, O_RDWR);
	if (fd < 0)
		return;
	n = pread(fd, text, sizeof(text) - 1, 0);
	if (n < 0 || n == (ssize_t)sizeof(text) - 1) {
		(void)close(fd);
		return;
	}
	text[n] = '\0';
	keep = 0;
	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		len = end - line;
		/* The container's own line is never another's. */
		id = own_line(line, p) ? NULL : line_id(line, len);
		if (id != NULL && drop(id, arg))
			continue;
		memmove(text + keep, line, len);
		keep += len;
		if (*end)
			text[keep++] = '\n';
	}
	if (keep != (size_t)n) {
		rc = pwrite(fd, text, keep, 0);
		if (rc >= 0)
			rc = ftruncate(fd, keep);
		trace(rc, "pwrite(<containers/%.12s/hosts>, ...) # %zu of %zu "
		      "bytes kept", p->id, keep, (size_t)n);
	}
	(void)close(fd);
}

static int
is_ending(const char *id, void *arg)
{
	return !strncmp(id, arg, SHORT_ID_LEN);
}

static void
forget_peer(struct store *s, const struct peer *p, void *arg)
{
	filter_peer(s, p, is_ending, arg);
}

/* Take container id's line out of the running containers' files. */
void
hosts_withdraw(struct store *s, const char *id)
{
	int lock;

	lock = lock_hosts(s);
	if (lock < 0)
		return;
	each_peer(s, id, forget_peer, (void *)id);
	(void)close(lock);
}

/* The running containers on the bridge, for hosts_prune(). */
struct live {
	char (*ids)[ID_LEN + 1];
	size_t n;
	size_t size;
};

static void
add_live(struct store *s, const struct peer *p, void *arg)
{
	struct live *l = arg;
	void *grown;

	(void)s;
	if (l->n == l->size) {
		grown = realloc(l->ids, (l->size * 2 + 16) * sizeof(*l->ids));
		if (grown == NULL)
			return;
		l->ids = grown;
		l->size = l->size * 2 + 16;
	}
	memcpy(l->ids[l->n++], p->id, ID_LEN + 1);
}

static int
is_gone(const char *id, void *arg)
{
	struct live *l = arg;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strncmp(l->ids[i], id, SHORT_ID_LEN))
			return 0;
	return 1;
}

static void
prune_peer(struct store *s, const struct peer *p, void *arg)
{
	filter_peer(s, p, is_gone, arg);
}

/*
 * Take the lines of containers that are not running out of the running
 * containers' files: those a bocker killed hard could not withdraw.
 */
void
hosts_prune(struct store *s)
{
	struct live l = { NULL, 0, 0 };
	int lock;

	lock = lock_hosts(s);
	if (lock < 0)
		return;
	each_peer(s, "", add_live, &l);
	each_peer(s, "", prune_peer, &l);
	(void)close(lock);
	free(l.ids);
}
