/*
 * pty.c - the pseudo-terminal of `run -t` and `exec -t`.
 *
 * The container's side opens a new pty in the container's own devpts
 * instance (pts(4)). It makes the slave its controlling terminal and its
 * standard input, output and error (ioctl_tty(2)), and sends the master
 * to bocker as SCM_RIGHTS over an AF_UNIX socket (unix(7)). bocker sets
 * the pty's size from its own terminal, lets the command start, and
 * copies bytes between its standard streams and the master. With -i and
 * a terminal on stdin, bocker puts that terminal in raw mode
 * (termios(3)) during the copy, so every key, ^C and ^Z included,
 * reaches the container's line discipline rather than bocker's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "bocker.h"

/* How long the copy waits for the last output of a command that ended. */
#define DRAIN_QUIET_MS	50
#define DRAIN_MAX_NS	(1000LL * 1000 * 1000)

/* A control message buffer aligned for struct cmsghdr. */
union fd_message {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* Signals that would end bocker with its terminal left in raw mode. */
static const int fatal_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };

#define NFATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/* The copy between bocker's standard streams and the master. */
struct relay {
	int master;
	int logfd;		/* the container's log, or -1 */
	int input;		/* 1 while stdin is copied to the master */
	int line_open;		/* the last input byte was no newline */
	int raw;		/* stdin's terminal is in raw mode */
	int resize;		/* stdin is a terminal to follow in size */
	struct termios saved;	/* stdin's settings before raw mode */
	char pending[4096];	/* input the master has not taken yet */
	size_t start;
	size_t end;
	sigset_t mask;		/* the signal mask before the copy */
	struct sigaction old_pipe;
	struct sigaction old_winch;
	struct sigaction old_fatal[NFATAL];
	int caught_fatal[NFATAL];	/* 1 where on_fatal replaced SIG_DFL */
};

static volatile sig_atomic_t window_changed;
static volatile sig_atomic_t fatal_signal;

static void
on_winch(int sig)
{
	(void)sig;
	window_changed = 1;
}

static void
on_fatal(int sig)
{
	fatal_signal = sig;
}

/*
 * Open a new pty master through /dev/ptmx, which links to pts/ptmx of
 * the container's own devpts instance, so the pty is numbered there and
 * is visible only inside the container. A new pty starts locked.
 */
static int
open_master(void)
{
	int unlock;
	int fd;
	int rc;

	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	trace(fd, "openat(AT_FDCWD, \"/dev/ptmx\", "
	      "O_RDWR|O_NOCTTY|O_CLOEXEC)");
	if (fd < 0)
		return error_set("open '/dev/ptmx'");

	unlock = 0;
	rc = ioctl(fd, TIOCSPTLCK, &unlock);
	trace(rc, "ioctl(%d, TIOCSPTLCK, [0])", fd);
	if (rc < 0) {
		(void)error_set("unlock the pseudo-terminal");
		goto fail;
	}
	return fd;

fail:
	(void)close(fd);
	return -1;
}

/*
 * Make the slave of master this process's controlling terminal and its
 * standard input, output and error. TIOCGPTPEER opens the slave from
 * the master itself, so no path under /dev/pts is looked up and a
 * planted one cannot be opened instead.
 */
static int
take_slave(int master)
{
	int slave;
	int fd;
	int rc;

	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	trace(slave, "ioctl(%d, TIOCGPTPEER, O_RDWR|O_NOCTTY|O_CLOEXEC)",
	      master);
	if (slave < 0)
		return error_set("open the pseudo-terminal's slave");

	/* Only the leader of a session without a terminal may take one;
	 * the command then leads the session and gets job control. */
	rc = setsid();
	trace(rc, "setsid()");
	if (rc < 0) {
		(void)error_set("setsid");
		goto fail;
	}

	rc = ioctl(slave, TIOCSCTTY, 0);
	trace(rc, "ioctl(%d, TIOCSCTTY, 0)", slave);
	if (rc < 0) {
		(void)error_set("make the pseudo-terminal the controlling "
				"terminal");
		goto fail;
	}

	for (fd = 0; fd < 3; fd++) {
		rc = dup2(slave, fd);
		trace(rc, "dup2(%d, %d)", slave, fd);
		if (rc < 0) {
			(void)error_set("redirect to the pseudo-terminal");
			goto fail;
		}
	}
	(void)close(slave);
	return 0;

fail:
	(void)close(slave);
	return -1;
}

/* Send fd over the AF_UNIX socket sock, with one byte of data. */
static int
send_fd(int sock, int fd)
{
	union fd_message control;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	char byte;
	ssize_t n;

	byte = 'm';
	iov.iov_base = &byte;
	iov.iov_len = 1;
	memset(&control, 0, sizeof(control));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	trace(n, "sendmsg(%d, {SCM_RIGHTS, [%d]}, MSG_NOSIGNAL)", sock, fd);
	if (n != 1)
		return error_set("send the pseudo-terminal's master");
	return 0;
}

/*
 * Receive the fd that send_fd() sent into *fd. *fd is -1 when the other
 * side closed the socket without sending one.
 */
static int
receive_fd(int sock, int *fd)
{
	union fd_message control;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	char byte;
	ssize_t n;

	*fd = -1;
	iov.iov_base = &byte;
	iov.iov_len = 1;
	memset(&control, 0, sizeof(control));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	trace(n, "recvmsg(%d, {SCM_RIGHTS, [%d]}, MSG_CMSG_CLOEXEC)", sock,
	      *fd);
	if (n < 0)
		return error_set("receive the pseudo-terminal's master");
	if (n > 0 && *fd < 0) {
		errno = EPROTO;
		return error_set("receive the pseudo-terminal's master");
	}
	return 0;
}

/* Give the pty behind master the size of the terminal on stdin, if any. */
static int
copy_window_size(int master)
{
	struct winsize size;
	int rc;

	rc = ioctl(STDIN_FILENO, TIOCGWINSZ, &size);
	if (rc < 0) {
		trace(rc, "ioctl(0, TIOCGWINSZ, ...)");
		return -1;
	}
	rc = ioctl(master, TIOCSWINSZ, &size);
	trace(rc, "ioctl(%d, TIOCSWINSZ, {ws_row=%u, ws_col=%u})", master,
	      size.ws_row, size.ws_col);
	return 0;
}

/*
 * Put the terminal on stdin in raw mode, as cfmakeraw(3) describes it:
 * no line editing, echo, signal keys or character translation, 8-bit
 * bytes, each read returning as soon as one byte is there. TCSANOW
 * rather than TCSAFLUSH keeps what the user typed ahead.
 */
static int
make_raw(struct termios *saved)
{
	struct termios raw;
	int rc;

	rc = tcgetattr(STDIN_FILENO, saved);
	trace(rc, "tcgetattr(0, ...)");
	if (rc < 0)
		return -1;

	raw = *saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_oflag &= ~OPOST;
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	rc = tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	trace(rc, "tcsetattr(0, TCSANOW, {raw})");
	return rc;
}

static void
restore_terminal(const struct termios *saved)
{
	int rc;

	rc = tcsetattr(STDIN_FILENO, TCSANOW, saved);
	trace(rc, "tcsetattr(0, TCSANOW, {saved})");
}

/*
 * Catch the signals the copy must react to. They stay blocked except
 * inside ppoll(), so they never interrupt a write half-way. Handlers
 * installed before are kept, such as run's, which forward SIGINT,
 * SIGTERM and SIGHUP to the container. In raw mode, a signal that would
 * kill bocker takes effect only after the terminal is restored.
 */
static void
catch_signals(struct relay *r)
{
	struct sigaction sa;
	sigset_t blocked;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	(void)sigemptyset(&blocked);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, &r->old_pipe);
	sa.sa_handler = on_winch;
	(void)sigaction(SIGWINCH, &sa, &r->old_winch);
	(void)sigaddset(&blocked, SIGWINCH);
	sa.sa_handler = on_fatal;
	for (i = 0; i < NFATAL; i++) {
		(void)sigaction(fatal_signals[i], NULL, &r->old_fatal[i]);
		(void)sigaddset(&blocked, fatal_signals[i]);
		r->caught_fatal[i] = r->raw &&
			r->old_fatal[i].sa_handler == SIG_DFL;
		if (r->caught_fatal[i])
			(void)sigaction(fatal_signals[i], &sa, NULL);
	}
	window_changed = 0;
	fatal_signal = 0;
	(void)sigprocmask(SIG_BLOCK, &blocked, &r->mask);
}

/* Undo catch_signals(); a signal that arrived meanwhile acts now. */
static void
release_signals(struct relay *r)
{
	size_t i;

	(void)sigaction(SIGPIPE, &r->old_pipe, NULL);
	(void)sigaction(SIGWINCH, &r->old_winch, NULL);
	for (i = 0; i < NFATAL; i++)
		if (r->caught_fatal[i])
			(void)sigaction(fatal_signals[i], &r->old_fatal[i],
					NULL);
	(void)sigprocmask(SIG_SETMASK, &r->mask, NULL);
	if (fatal_signal != 0)
		(void)raise(fatal_signal);
}

static void
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/*
 * Copy what the master has to stdout and the log. Returns 0 once every
 * slave is closed (the master then reads EIO), else 1.
 */
static int
copy_output(struct relay *r)
{
	char buf[65536];
	ssize_t n;

	n = read(r->master, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	write_all(STDOUT_FILENO, buf, n);
	if (r->logfd >= 0)
		write_all(r->logfd, buf, n);
	return 1;
}

/*
 * stdin ended: send the terminal's end-of-file character (VEOF, ^D)
 * rather than closing the master, which would hang the terminal up.
 * In canonical mode a ^D after a partial line only ends that line, so
 * a second one follows it then.
 */
static void
queue_eof(struct relay *r)
{
	struct termios t;
	int rc;

	r->input = 0;
	r->start = r->end = 0;
	rc = tcgetattr(r->master, &t);
	trace(rc, "tcgetattr(%d, ...) # stdin ended, sending VEOF", r->master);
	if (rc < 0 || t.c_cc[VEOF] == _POSIX_VDISABLE)
		return;
	if (r->line_open)
		r->pending[r->end++] = t.c_cc[VEOF];
	r->pending[r->end++] = t.c_cc[VEOF];
}

/* Read stdin into the pending buffer, which is empty. */
static void
read_input(struct relay *r)
{
	ssize_t n;

	n = read(STDIN_FILENO, r->pending, sizeof(r->pending));
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		queue_eof(r);
		return;
	}
	r->start = 0;
	r->end = n;
	r->line_open = r->pending[n - 1] != '\n';
}

/* Write pending input to the master, as much as it takes now. */
static void
write_input(struct relay *r)
{
	ssize_t n;

	n = write(r->master, r->pending + r->start, r->end - r->start);
	if (n > 0)
		r->start += n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		r->start = r->end;	/* the terminal is gone */
	if (r->start == r->end)
		r->start = r->end = 0;
}

/*
 * Copy what is left once the command has ended. Its last output may
 * still be on its way through the kernel's buffers to the master, so
 * this waits up to DRAIN_QUIET_MS for each next piece and stops when
 * every slave is closed. It gives up after DRAIN_MAX_NS, because a
 * process left in the background may keep the terminal open and busy.
 */
static void
drain(struct relay *r)
{
	struct pollfd p;
	long long deadline;

	deadline = now_ns() + DRAIN_MAX_NS;
	p.fd = r->master;
	p.events = POLLIN;
	while (now_ns() < deadline && poll(&p, 1, DRAIN_QUIET_MS) > 0)
		if (copy_output(r) == 0)
			break;
}

/* The copy itself, until the terminal closes or the command ends. */
static int
relay_loop(struct relay *r, int pidfd)
{
	struct pollfd fds[3];
	int n;

	for (;;) {
		fds[0].fd = r->master;
		fds[0].events = POLLIN | (r->end > 0 ? POLLOUT : 0);
		fds[1].fd = r->input && r->end == 0 ? STDIN_FILENO : -1;
		fds[1].events = POLLIN;
		fds[2].fd = pidfd;
		fds[2].events = POLLIN;
		n = ppoll(fds, 3, NULL, &r->mask);
		if (n < 0 && errno != EINTR)
			return error_set("poll the pseudo-terminal");
		if (fatal_signal != 0)
			return 0;
		if (window_changed) {
			window_changed = 0;
			if (r->resize)
				(void)copy_window_size(r->master);
		}
		if (n <= 0)
			continue;
		if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    copy_output(r) == 0)
			return 0;
		if (fds[0].revents & POLLOUT)
			write_input(r);
		if (fds[1].revents != 0)
			read_input(r);
		if (fds[2].revents != 0) {
			drain(r);
			return 0;
		}
	}
}

/*
 * The container's side, after it entered its root: open a pty, make it
 * this process's controlling terminal and standard streams, send the
 * master over sock, and wait for the parent's go, which comes once the
 * pty has its size. Returns 0, or -1 with errno and the step set.
 */
int
pty_attach(int sock)
{
	ssize_t n;
	char go;
	int master;
	int rc;

	master = open_master();
	if (master < 0)
		return -1;
	rc = take_slave(master);
	if (rc == 0)
		rc = send_fd(sock, master);
	/* From here the parent has the only master, so the terminal hangs
	 * up when bocker ends. */
	(void)close(master);
	if (rc < 0)
		return -1;

	do
		n = read(sock, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n == 0)
			errno = ECONNRESET;
		return error_set("wait for the terminal's size");
	}
	return 0;
}

/*
 * The parent's side of pty_attach(): receive the master into *master,
 * give it the size of the terminal on stdin, and send the go. *master
 * is -1 when the container's side failed before it sent one, and its
 * report then gives the reason.
 */
int
pty_accept(int sock, int *master)
{
	ssize_t n;

	if (receive_fd(sock, master) < 0)
		return -1;
	if (*master < 0)
		return 0;
	(void)copy_window_size(*master);

	n = send(sock, "g", 1, MSG_NOSIGNAL);
	trace(n, "sendto(%d, \"g\", 1, MSG_NOSIGNAL)", sock);
	if (n != 1) {
		(void)error_set("start the command");
		(void)close(*master);
		*master = -1;
		return -1;
	}
	return 0;
}

/* The AF_UNIX socket pair that pty_attach() and pty_accept() talk over. */
int
pty_socketpair(int sv[2])
{
	int rc;

	rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	trace(rc, "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [%d, %d])",
	      sv[0], sv[1]);
	if (rc < 0)
		return error_set("socketpair");
	return 0;
}

/*
 * Copy between bocker's standard streams and master until the command
 * pid has ended and its output is copied, or every slave is closed.
 * Output goes to stdout and, if logfd >= 0, to logfd. stdin goes to the
 * master only when input is set. A terminal on stdin passes its size
 * changes on and, with input, is in raw mode during the copy. Its
 * settings are restored on every return, and before a fatal signal
 * that came during the copy takes effect.
 */
int
pty_relay(int master, int logfd, pid_t pid, int input)
{
	struct relay r;
	int pidfd;
	int flags;
	int rc;

	memset(&r, 0, sizeof(r));
	r.master = master;
	r.logfd = logfd;
	r.input = input;
	r.resize = isatty(STDIN_FILENO);
	r.raw = input && r.resize && make_raw(&r.saved) == 0;
	catch_signals(&r);

	/* A pidfd becomes readable when the command ends, even if
	 * something it started keeps the terminal open. Without one (before
	 * Linux 5.3), the copy ends when the last slave closes. */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	trace(pidfd, "pidfd_open(%d, 0)", (int)pid);

	/* Input waits in r.pending while the terminal's buffer is full, so
	 * a full buffer never stops the output copy. */
	flags = fcntl(master, F_GETFL);
	rc = flags < 0 ? -1 : fcntl(master, F_SETFL, flags | O_NONBLOCK);
	trace(rc, "fcntl(%d, F_SETFL, O_RDWR|O_NONBLOCK)", master);
	if (rc < 0)
		rc = error_set("make the pseudo-terminal non-blocking");
	else
		rc = relay_loop(&r, pidfd);

	if (pidfd >= 0)
		(void)close(pidfd);
	if (r.raw)
		restore_terminal(&r.saved);
	release_signals(&r);
	return rc;
}
