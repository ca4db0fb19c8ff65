/*
 * tcpbench.c - a TCP sink and source for bench/ports.sh, built static so
 * that it also runs inside a busybox container.
 *
 *   tcpbench -l <port>                  sink: accept one connection at a
 *                                       time, read it to end of stream,
 *                                       reply with the byte count, close
 *   tcpbench <address> <port> <MiB>     source: send <MiB> mebibytes of
 *                                       zeros to an IPv4 address, print
 *                                       "<bytes> <nanoseconds>"
 *
 * The source's clock runs from connect(2) until the sink's reply arrives,
 * so the time covers every byte reaching the sink process, not only the
 * local socket buffer. shutdown(2) with SHUT_WR ends the stream (tcp(7)),
 * and the sink replies only after read(2) has returned 0. busybox nc
 * (Debian's busybox-static 1.35) moved about 170 MB/s through loopback
 * on the benchmark VM, too slow to show what a DNAT rule costs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_SIZE	(1024 * 1024)
#define MIB		(1024 * 1024)

static char buffer[BUFFER_SIZE];

static long long
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A decimal number in [0, max], or -1. */
static long long
parse_number(const char *text, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || end == text || *end || n < 0 || n > max)
		return -1;
	return n;
}

static int
write_all(int fd, const char *data, size_t size)
{
	ssize_t n;

	while (size > 0) {
		n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Read fd to end of stream, counting the bytes into *count. */
static int
drain(int fd, uint64_t *count)
{
	ssize_t n;

	*count = 0;
	for (;;) {
		n = read(fd, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*count += (uint64_t)n;
	}
}

/* Serve one connection: drain it, then reply with the count. */
static void
serve(int fd)
{
	char reply[32];
	uint64_t count;
	int len;

	if (drain(fd, &count) < 0)
		return;
	len = snprintf(reply, sizeof(reply), "%" PRIu64 "\n", count);
	(void)write_all(fd, reply, (size_t)len);
}

static int
sink(int port)
{
	struct sockaddr_in addr;
	int one = 1;
	int lfd;
	int fd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	/* A restarted sink must not wait for TIME_WAIT to end. */
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto fail;
	if (listen(lfd, 16) < 0)
		goto fail;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			goto fail;
		serve(fd);
		(void)close(fd);
	}

fail:
	(void)close(lfd);
	return -1;
}

/*
 * Send mib mebibytes to address:port and wait for the sink's count.
 * Returns the time taken in nanoseconds, or -1 with errno set (EPROTO
 * when the count is not what was sent).
 */
static long long
source(const char *address, int port, long long mib)
{
	struct sockaddr_in addr;
	char reply[32];
	char *newline;
	long long start;
	long long i;
	size_t got;
	ssize_t n;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	start = now_ns();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto fail;
	for (i = 0; i < mib; i++)
		if (write_all(fd, buffer, MIB) < 0)
			goto fail;
	if (shutdown(fd, SHUT_WR) < 0)
		goto fail;
	got = 0;
	do {
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		got += (size_t)n;
	} while (n > 0 && got < sizeof(reply) - 1);
	reply[got] = '\0';

	newline = strchr(reply, '\n');
	if (newline != NULL)
		*newline = '\0';
	if (newline == NULL || parse_number(reply, LLONG_MAX) != mib * MIB) {
		errno = EPROTO;
		goto fail;
	}
	(void)close(fd);
	return now_ns() - start;

fail:
	(void)close(fd);
	return -1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: tcpbench -l <port>\n"
		"       tcpbench <address> <port> <MiB>\n");
	return 2;
}

int
main(int argc, char **argv)
{
	long long port;
	long long mib;
	long long ns;

	/* A client that goes away mid-reply must not end the sink. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "-l")) {
		port = parse_number(argv[2], 65535);
		if (port <= 0)
			return usage();
		(void)sink((int)port);
		fprintf(stderr, "tcpbench: listen on port %lld: %s\n", port,
			strerror(errno));
		return 1;
	}
	if (argc != 4)
		return usage();
	port = parse_number(argv[2], 65535);
	mib = parse_number(argv[3], 1024 * 1024);
	if (port <= 0 || mib < 0)
		return usage();
	ns = source(argv[1], (int)port, mib);
	if (ns < 0) {
		fprintf(stderr, "tcpbench: send %lld MiB to '%s:%lld': %s\n",
			mib, argv[1], port, strerror(errno));
		return 1;
	}
	printf("%lld %lld\n", mib * MIB, ns);
	return 0;
}
