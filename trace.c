/*
 * trace.c - the one place every kernel- and network-facing step reports to.
 *
 * With --trace or BOCKER_TRACE=1, each step prints one line to the
 * original standard error in strace notation, so a reader can lay bocker's
 * output beside `strace -f -r` (strace(1)): milliseconds since bocker
 * started tracing, the pid as this process sees it (1 inside a new PID
 * namespace), the call, and its result.
 *
 *	trace:    4.051  5120 mount("proc", "/proc", "proc", 0xe, NULL) = 0
 *	trace:    4.102  5120 open("/x", O_RDONLY) = -1 ENOENT (No such ...)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"

/*
 * A copy of the standard error bocker started with, close-on-exec, so that
 * trace lines from the container's side of a clone still reach the user
 * after its standard error has been pointed at the container's log.
 */
static int trace_fd = -1;

/* When tracing started: each line shows the milliseconds since then. */
static struct timespec trace_start;

static double
elapsed_ms(void)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - trace_start.tv_sec) * 1e3 +
	       (now.tv_nsec - trace_start.tv_nsec) / 1e6;
}

void
trace_init(int enabled)
{
	if (!enabled)
		return;
	trace_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	(void)clock_gettime(CLOCK_MONOTONIC, &trace_start);
}

int
trace_enabled(void)
{
	return trace_fd >= 0;
}

/* Print "trace: <call> = <ret>"; errno is left as the step set it. */
void
trace(long ret, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int saved;
	int n;

	if (trace_fd < 0)
		return;
	saved = errno;
	n = snprintf(line, sizeof(line), "trace: %8.3f %5d ", elapsed_ms(),
		     (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 64)
		n = sizeof(line) - 64;
	if (ret < 0)
		n += snprintf(line + n, sizeof(line) - n, " = -1 %s (%s)\n",
			      errno_name(saved), strerror(saved));
	else
		n += snprintf(line + n, sizeof(line) - n, " = %ld\n", ret);
	(void)write(trace_fd, line, n);
	errno = saved;
}

/* Print a trace line that is a remark rather than a call. */
void
trace_note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;
	int saved;

	if (trace_fd < 0)
		return;
	saved = errno;
	n = snprintf(line, sizeof(line), "trace: %8.3f %5d # ", elapsed_ms(),
		     (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)write(trace_fd, line, n);
	errno = saved;
}

/* The symbolic name strace prints for an errno value. */
const char *
errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" },
		{ ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" },
		{ ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ EXDEV, "EXDEV" }, { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { EMFILE, "EMFILE" },
		{ ENOSPC, "ENOSPC" }, { EROFS, "EROFS" }, { ELOOP, "ELOOP" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EADDRINUSE, "EADDRINUSE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOTTY, "ENOTTY" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { ENETUNREACH, "ENETUNREACH" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { ETIMEDOUT, "ETIMEDOUT" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return "E?";
}
