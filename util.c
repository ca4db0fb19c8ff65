/*
 * util.c - the error context shared by every file, and small file helpers.
 *
 * Helpers below the command layer return -1 with errno set (the musl
 * convention). Where errno alone would not tell the user which step
 * failed, error_set() records that step, and bocker.c prints
 * "bocker: <command>: <step>: <strerror>".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"

static char error_step[512];

int
error_set(const char *fmt, ...)
{
	va_list ap;
	int saved;

	saved = errno;
	va_start(ap, fmt);
	vsnprintf(error_step, sizeof(error_step), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

const char *
error_context(void)
{
	return error_step;
}

/*
 * Write a string to path below dirfd. flags adds to O_WRONLY|O_CLOEXEC:
 * callers pass O_CREAT|O_TRUNC|O_NOFOLLOW for state files, or 0 for
 * cgroupfs and procfs files, which exist already.
 */
int
file_write(int dirfd, const char *path, const char *data, int flags)
{
	size_t len;
	ssize_t n;
	int fd;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | flags, 0644);
	if (fd < 0)
		return error_set("open '%s'", path);
	len = strlen(data);
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		if (n >= 0)
			errno = EIO;
		error_set("write '%s'", path);
		(void)close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return error_set("close '%s'", path);
	return 0;
}

/*
 * Read at most size - 1 bytes of path below dirfd into buf and terminate
 * it; return the length.
 */
ssize_t
file_read(int dirfd, const char *path, char *buf, size_t size)
{
	size_t len;
	ssize_t n;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_set("open '%s'", path);
	len = 0;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set("read '%s'", path);
			(void)close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	(void)close(fd);
	return len;
}

/* Fill buf with digits random hex digits from getrandom(2), and a NUL. */
int
random_hex(char *buf, size_t digits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[ID_LEN / 2];
	size_t i;
	ssize_t n;

	if (digits > ID_LEN) {
		errno = EINVAL;
		return -1;
	}
	n = getrandom(bytes, (digits + 1) / 2, 0);
	if (n < (ssize_t)((digits + 1) / 2))
		return error_set("getrandom");
	for (i = 0; i < digits; i++)
		buf[i] = hex[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	buf[digits] = '\0';
	return 0;
}

/* Wall-clock time in nanoseconds: creation stamps that sort by order. */
long long
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* mkdir -p: create path and its missing parents, tracing each one made. */
int
make_path(const char *path)
{
	char copy[4096];
	char *slash;
	int rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (slash = strchr(copy + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		rc = mkdir(copy, 0755);
		if (rc == 0)
			trace(rc, "mkdir(\"%s\", 0755)", copy);
		if (rc < 0 && errno != EEXIST)
			return -1;
		if (slash == NULL)
			return 0;
		*slash = '/';
	}
}
