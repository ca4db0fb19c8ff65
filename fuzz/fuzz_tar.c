/*
 * fuzz_tar.c - libFuzzer target for the tar extractor (tar_feed()).
 *
 * Input layout:
 *
 *	byte 0	bit 0: resolve paths by the O_NOFOLLOW walk, not openat2
 *	byte 1	seed of the chunk sizes
 *	rest	the tar stream
 *
 * Once per process a work directory is made under $FUZZ_TAR_DIR, else
 * /dev/shm (a tmpfs), else /tmp. It contains a decoy file, a decoy
 * directory with a file in it, and, for each input, a fresh empty "root"
 * that the stream is extracted into and that is removed afterwards.
 * After each input the work directory must list exactly those names, and
 * the decoys must be unchanged (content, inode, link count, mode, owner,
 * times), so an entry that escapes the root by "..", a symlink or a hard
 * link is caught. No file descriptor may be left open either.
 *
 * NOTE: tar.c has no size limit of its own, so at most FEED_MAX bytes of
 * a stream are fed; keep -max_len far below that as well.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../tar.h"

#define FEED_MAX	(8u << 20)	/* bytes of a stream fed to tar.c */
#define DECOY_TEXT	"decoy: must stay unchanged\n"

/* What is compared of a decoy before and after each input. */
struct snapshot {
	struct stat st;
	char data[64];
	ssize_t len;		/* bytes of data read, -1 for a directory */
};

static char base_path[4096];
static int base_fd = -1;
static struct snapshot decoy_file, decoy_dir, decoy_inner;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_tar: %s: %s\n", what, strerror(errno));
	abort();
}

static void
take_snapshot(int dirfd, const char *name, struct snapshot *s)
{
	int fd;

	memset(s, 0, sizeof(*s));
	if (fstatat(dirfd, name, &s->st, AT_SYMLINK_NOFOLLOW) < 0)
		die(name);
	s->len = -1;
	if (!S_ISREG(s->st.st_mode))
		return;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die(name);
	s->len = read(fd, s->data, sizeof(s->data));
	close(fd);
}

static int
same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	return a->st.st_ino == b->st.st_ino && a->st.st_dev == b->st.st_dev &&
	       a->st.st_mode == b->st.st_mode &&
	       a->st.st_nlink == b->st.st_nlink &&
	       a->st.st_uid == b->st.st_uid && a->st.st_gid == b->st.st_gid &&
	       a->st.st_size == b->st.st_size &&
	       a->st.st_mtim.tv_sec == b->st.st_mtim.tv_sec &&
	       a->st.st_mtim.tv_nsec == b->st.st_mtim.tv_nsec &&
	       a->st.st_ctim.tv_sec == b->st.st_ctim.tv_sec &&
	       a->st.st_ctim.tv_nsec == b->st.st_ctim.tv_nsec &&
	       a->len == b->len &&
	       memcmp(a->data, b->data, sizeof(a->data)) == 0;
}

/*
 * Remove dirfd/name and everything below it without following a
 * symlink. It holds one directory open at a time and climbs back by
 * "..", which is safe because every directory on the way down was
 * opened with O_NOFOLLOW, so trees deeper than the descriptor limit are
 * removed too. Returns -1 with errno set on failure.
 */
static int
remove_tree(int dirfd, const char *name)
{
	char (*stack)[256] = NULL;
	size_t depth = 0, cap = 0;
	struct dirent *e;
	struct stat st;
	int cur, fd, descended;
	DIR *d;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	/* Without root, a directory of mode 000 could not be read. */
	(void)fchmodat(dirfd, name, 0700, 0);
	cur = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	if (cur < 0)
		return -1;
	for (;;) {
		fd = dup(cur);
		d = fd < 0 ? NULL : fdopendir(fd);
		if (d == NULL)
			goto fail;
		descended = 0;
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (fstatat(cur, e->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) < 0)
				goto fail_dir;
			if (!S_ISDIR(st.st_mode)) {
				if (unlinkat(cur, e->d_name, 0) < 0)
					goto fail_dir;
				continue;
			}
			if (depth == cap) {
				cap = cap ? 2 * cap : 64;
				stack = realloc(stack, cap * sizeof(*stack));
				if (stack == NULL)
					goto fail_dir;
			}
			snprintf(stack[depth++], sizeof(stack[0]), "%s",
				 e->d_name);
			(void)fchmodat(cur, e->d_name, 0700, 0);
			fd = openat(cur, e->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				goto fail_dir;
			close(cur);
			cur = fd;
			descended = 1;
			break;
		}
		closedir(d);
		if (descended)
			continue;
		/* cur is empty now: step up and remove it. */
		if (depth == 0)
			break;
		fd = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		close(cur);
		cur = fd;
		if (unlinkat(cur, stack[--depth], AT_REMOVEDIR) < 0)
			goto fail;
	}
	close(cur);
	free(stack);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
fail_dir:
	closedir(d);
fail:
	close(cur);
	free(stack);
	return -1;
}

static void
remove_base(void)
{
	if (base_fd < 0)
		return;
	close(base_fd);
	base_fd = -1;
	if (remove_tree(AT_FDCWD, base_path) < 0)
		fprintf(stderr, "fuzz_tar: remove '%s': %s\n", base_path,
			strerror(errno));
}

static void
make_base(void)
{
	const char *parent = getenv("FUZZ_TAR_DIR");
	struct stat st;
	int fd;

	if (parent == NULL)
		parent = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base_path, sizeof(base_path), "%s/fuzz_tar.XXXXXX", parent);
	if (mkdtemp(base_path) == NULL)
		die(base_path);
	base_fd = open(base_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		die(base_path);
	atexit(remove_base);
	fd = openat(base_fd, "decoy", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644);
	if (fd < 0 || write(fd, DECOY_TEXT, strlen(DECOY_TEXT)) < 0)
		die("decoy");
	close(fd);
	if (mkdirat(base_fd, "decoydir", 0755) < 0)
		die("decoydir");
	fd = openat(base_fd, "decoydir/inner", O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, DECOY_TEXT, strlen(DECOY_TEXT)) < 0)
		die("decoydir/inner");
	close(fd);
	take_snapshot(base_fd, "decoy", &decoy_file);
	take_snapshot(base_fd, "decoydir", &decoy_dir);
	take_snapshot(base_fd, "decoydir/inner", &decoy_inner);
}

/* The number of open descriptors, from /proc/self/fd. */
static int
count_fds(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/fd");
	if (d == NULL)
		die("/proc/self/fd");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Fail unless directory dirfd/name lists exactly the names given. */
static void
check_listing(int dirfd, const char *name, const char *const *want,
	      size_t count)
{
	struct dirent *e;
	size_t seen = 0, i;
	DIR *d;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		die(name);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (i = 0; i < count && strcmp(want[i], e->d_name); i++)
			;
		if (i == count) {
			fprintf(stderr, "fuzz_tar: '%s' created outside the "
				"root\n", e->d_name);
			abort();
		}
		seen++;
	}
	closedir(d);
	if (seen != count) {
		fprintf(stderr, "fuzz_tar: a name outside the root is gone\n");
		abort();
	}
}

static void
check_outside(void)
{
	static const char *const base_names[] = { "decoy", "decoydir", "root" };
	static const char *const dir_names[] = { "inner" };
	struct snapshot now;

	check_listing(base_fd, ".", base_names, 3);
	check_listing(base_fd, "decoydir", dir_names, 1);
	take_snapshot(base_fd, "decoy", &now);
	if (!same_snapshot(&now, &decoy_file))
		goto changed;
	take_snapshot(base_fd, "decoydir", &now);
	if (!same_snapshot(&now, &decoy_dir))
		goto changed;
	take_snapshot(base_fd, "decoydir/inner", &now);
	if (!same_snapshot(&now, &decoy_inner))
		goto changed;
	return;
changed:
	fprintf(stderr, "fuzz_tar: a decoy outside the root changed\n");
	abort();
}

/* Next chunk size: mostly small, so that headers split across calls. */
static size_t
chunk_size(uint32_t *state)
{
	*state = *state * 1103515245 + 12345;
	switch (*state >> 28 & 3) {
	case 0:
		return 1 + (*state >> 16 & 15);
	case 1:
		return 1 + (*state >> 16 & 1023);
	case 2:
		return TAR_BLOCK;
	default:
		return 1 + (*state >> 12 & 65535);
	}
}

static void
extract(int rootfd, int walk, uint32_t seed, const uint8_t *in, size_t len)
{
	static struct tar t;
	size_t pos = 0, n;
	int failed = 0;

	if (tar_init(&t, rootfd) < 0)
		die("tar_init");
	if (walk)
		t.flags |= TAR_NO_OPENAT2;
	if (len > FEED_MAX)
		len = FEED_MAX;
	while (pos < len && !failed) {
		n = chunk_size(&seed);
		if (n > len - pos)
			n = len - pos;
		failed = tar_feed(&t, in + pos, n) < 0;
		pos += n;
	}
	if (failed) {
		if (t.error[0] == '\0' || memchr(t.error, '\0',
						 sizeof(t.error)) == NULL)
			abort();
		/* The first failure is sticky. */
		if (tar_feed(&t, in, len ? 1 : 0) != -1)
			abort();
	}
	if (tar_finish(&t) == 0 && failed)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in;
	int rootfd, fds;

	if (base_fd < 0)
		make_base();
	if (size < 2)
		return 0;
	/* An exact-size copy, so that a read past the end is caught. */
	in = malloc(size - 2 ? size - 2 : 1);
	if (in == NULL)
		return 0;
	memcpy(in, data + 2, size - 2);
	if (mkdirat(base_fd, "root", 0755) < 0)
		die("mkdir root");
	rootfd = openat(base_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die("open root");
	fds = count_fds();
	extract(rootfd, data[0] & 1, 0x9e3779b9u * (data[1] + 1u), in,
		size - 2);
	if (count_fds() != fds) {
		fprintf(stderr, "fuzz_tar: descriptor leak: %d open, %d "
			"before\n", count_fds(), fds);
		abort();
	}
	close(rootfd);
	free(in);
	check_outside();
	if (remove_tree(base_fd, "root") < 0)
		die("remove root");
	return 0;
}
