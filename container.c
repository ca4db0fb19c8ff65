/*
 * container.c - run a command in new namespaces, and enter running ones.
 *
 * `run` clones the container's first process into new PID, mount, UTS,
 * IPC and network namespaces (clone(2), namespaces(7)). The child joins
 * its cgroups and waits on a pipe while the parent snapshots the image
 * and gives it a veth; then the child builds its filesystem, pivots into
 * it and executes the command. `exec` joins the namespaces of a running
 * container with setns(2). A container's files, under
 * ROOT/containers/<id>/:
 *
 *	image, command, created	what was run, written before it starts
 *	config.json		its flags and command, as `inspect` shows them
 *	hosts			its /etc/hosts, bind-mounted (see hosts.c)
 *	name			its --name, if it has one
 *	state			pid and status, replaced atomically
 *	log			everything it wrote to stdout and stderr
 *	lock			flocked by the bocker process running it; holds
 *				the exit status once it ended
 *	rootfs/			btrfs snapshot (or overlay mount point)
 *	upper/, work/		overlay only: the container's changes
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
		     "/sbin:/bin"
#define STACK_SIZE (256 * 1024)

/* The report the container's side of a clone sends when a step fails. */
struct failure {
	int err;		/* errno of the failed step */
	int exec;		/* 1 when executing the command failed */
	char step[256];		/* error_context() of that step */
};

struct run {
	struct store *store;
	const struct run_options *options;
	char id[ID_LEN + 1];
	char image[ID_LEN + 1];
	char hostname[64];
	char **argv;		/* the command, after the image's defaults */
	char **envp;		/* built inside, once the user is known */
	struct image_config config;
	int tmplock;		/* tmp/<id>.lock, until published */
	int runlock;		/* containers/<id>/lock, while running */
	int dirfd;
	int logfd;
	struct network net;
	struct port_spec *ports;	/* -p, host ports filled in */
	int *portfds;		/* the sockets holding the host ports */
	size_t nports;
	int published;		/* the DNAT rules are in place */
	int restart;		/* `start`: the container exists already */
	long long started;	/* when it started, in ns since the epoch */
	struct mount_spec *mounts;	/* the hosts file, then -v, --tmpfs */
	struct cgroup cg;
	struct limits limits;
	struct rootfs rootfs;
	int sync[2];		/* parent to child: set-up done, go on */
	int report[2];		/* child to parent: struct failure, or EOF */
	int console[2];		/* -t: the pty master goes up this pair */
	int master;		/* -t: the pty master, once received */
	int out[2];
	int err[2];
	pid_t pid;
};

static volatile pid_t forward_to;

/* Pass the signals a terminal or supervisor sends on to the container. */
static void
forward(int sig)
{
	if (forward_to > 0)
		(void)kill(forward_to, sig);
}

/* Send this process's failure to the parent and end. */
static _Noreturn void
child_fail(int fd, int exec)
{
	struct failure f;

	memset(&f, 0, sizeof(f));
	f.err = errno;
	f.exec = exec;
	snprintf(f.step, sizeof(f.step), "%s", error_context());
	(void)write(fd, &f, sizeof(f));
	_exit(EXIT_ENGINE);
}

/*
 * Execute argv with the container's environment, searching its PATH
 * inside the container's root, as execvp(3) would. EACCES from one
 * directory is kept in case no later directory has the command.
 */
static void
exec_command(char **argv, char **envp)
{
	const char *path;
	const char *end;
	char file[4096];
	int saw_eacces;
	size_t i;

	if (strchr(argv[0], '/') != NULL) {
		(void)execve(argv[0], argv, envp);
		(void)error_set("exec '%s'", argv[0]);
		return;
	}
	path = DEFAULT_PATH;
	for (i = 0; envp[i] != NULL; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	saw_eacces = 0;
	for (; *path; path = *end ? end + 1 : end) {
		end = strchrnul(path, ':');
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - path),
			 path, argv[0]);
		(void)execve(file, argv, envp);
		if (errno == EACCES)
			saw_eacces = 1;
		else if (errno != ENOENT && errno != ENOTDIR)
			break;
	}
	if (saw_eacces)
		errno = EACCES;
	(void)error_set("exec '%s'", argv[0]);
}

/*
 * Hide every inherited descriptor but 0, 1 and 2 from the command:
 * CLOSE_RANGE_CLOEXEC marks them all close-on-exec in one call, so the
 * report pipe still works if the exec fails. No host descriptor can leak
 * into the container this way (the runc CVE-2024-21626 class).
 */
static void
seal_fds(void)
{
	int rc;

	rc = syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	trace(rc, "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
}

/* Is NAME= set in the vector env? */
static int
has_variable(char **env, const char *name)
{
	size_t len;
	size_t i;

	len = strlen(name);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (!strncmp(env[i], name, len) && env[i][len] == '=')
			return 1;
	return 0;
}

/*
 * The command's environment, as Docker makes it: the image's Env, then
 * PATH, HOSTNAME and HOME where the image does not set them.
 */
static int
environment(struct run *r, const char *home)
{
	static char path[] = "PATH=" DEFAULT_PATH;
	static char hostname[9 + 64];
	static char home_var[4096 + 5];
	static char term[] = "TERM=xterm";
	char **image = r->config.env;
	size_t n;
	size_t i;

	n = 0;
	while (image != NULL && image[n] != NULL)
		n++;
	r->envp = calloc(n + 5, sizeof(*r->envp));
	if (r->envp == NULL)
		return error_set("build the environment");
	for (i = 0; i < n; i++)
		r->envp[i] = image[i];
	snprintf(hostname, sizeof(hostname), "HOSTNAME=%s", r->hostname);
	snprintf(home_var, sizeof(home_var), "HOME=%s", home);
	if (!has_variable(image, "PATH"))
		r->envp[n++] = path;
	if (!has_variable(image, "HOSTNAME"))
		r->envp[n++] = hostname;
	if (!has_variable(image, "HOME"))
		r->envp[n++] = home_var;
	/* Docker sets TERM when it gives the command a terminal. */
	if (r->options->tty && !has_variable(image, "TERM"))
		r->envp[n++] = term;
	return 0;
}

/*
 * The capabilities a container keeps: Docker's default set (moby,
 * oci/caps/defaults.go). Everything else, CAP_SYS_ADMIN and
 * CAP_NET_ADMIN among them, leaves the bounding set, so no later exec,
 * setuid binary or file capability can bring it back (capabilities(7)).
 */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
	CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

static int
drop_capabilities(void)
{
	struct __user_cap_header_struct header;
	struct __user_cap_data_struct data[2];
	uint64_t keep;
	size_t i;
	int cap;
	int rc;

	keep = 0;
	for (i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		keep |= 1ull << kept_caps[i];
	/* EINVAL past the kernel's last capability ends the loop. */
	for (cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return error_set("drop capability %d", cap);
		}
	}
	trace(0, "prctl(PR_CAPBSET_DROP, ...) # bounding set %#llx",
	      (unsigned long long)keep);
	memset(&header, 0, sizeof(header));
	memset(data, 0, sizeof(data));
	header.version = _LINUX_CAPABILITY_VERSION_3;
	for (i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = data[i].inheritable =
			(uint32_t)(keep >> (32 * i));
	rc = syscall(SYS_capset, &header, data);
	trace(rc, "capset({_LINUX_CAPABILITY_VERSION_3}, {%#llx})",
	      (unsigned long long)keep);
	if (rc < 0)
		return error_set("capset");
	return 0;
}

/*
 * Become the image's user in its working directory, the last steps
 * before the command: names are looked up in the container's own files,
 * and the working directory is created if missing, as Docker does.
 */
static int
become_user(struct run *r)
{
	char home[4096];
	uid_t uid;
	gid_t gid;
	int rc;

	uid = 0;
	gid = 0;
	snprintf(home, sizeof(home), "/root");
	if (r->config.user[0] != '\0' &&
	    config_user(r->config.user, &uid, &gid, home, sizeof(home)) < 0)
		return -1;
	if (environment(r, home) < 0)
		return -1;
	if (r->config.workdir[0] != '\0') {
		(void)make_path(r->config.workdir);
		rc = chdir(r->config.workdir);
		trace(rc, "chdir(\"%s\")", r->config.workdir);
		if (rc < 0)
			return error_set("chdir '%s'", r->config.workdir);
	}
	if (drop_capabilities() < 0)
		return -1;
	if (uid == 0 && gid == 0)
		return 0;
	rc = setgroups(1, &gid);
	trace(rc, "setgroups(1, [%d])", (int)gid);
	if (rc == 0)
		rc = setgid(gid);
	trace(rc, "setgid(%d)", (int)gid);
	if (rc == 0)
		rc = setuid(uid);
	trace(rc, "setuid(%d)", (int)uid);
	if (rc < 0)
		return error_set("become user '%s'", r->config.user);
	return 0;
}

/*
 * The command's standard streams, as Docker sets them. With -t all
 * three are the slave of a new pty. Otherwise stdin is bocker's with -i
 * and /dev/null without, and stdout and stderr are the pipes that run
 * copies to the log (exec has none and leaves its own).
 */
static int
standard_streams(struct run *r)
{
	int fd;
	int rc;

	if (r->options->tty)
		return pty_attach(r->console[1]);
	if (!r->options->interactive) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		trace(fd, "openat(AT_FDCWD, \"/dev/null\", "
		      "O_RDONLY|O_CLOEXEC)");
		if (fd < 0)
			return error_set("open '/dev/null'");
		rc = dup2(fd, STDIN_FILENO);
		trace(rc, "dup2(%d, 0)", fd);
		if (fd != STDIN_FILENO)
			(void)close(fd);
		if (rc < 0)
			return error_set("redirect stdin");
	}
	if (r->out[1] < 0)
		return 0;
	if (dup2(r->out[1], STDOUT_FILENO) < 0 ||
	    dup2(r->err[1], STDERR_FILENO) < 0)
		return error_set("redirect output");
	return 0;
}

/* The container's first process, PID 1 of its new PID namespace. */
static int
child_main(void *arg)
{
	struct run *r = arg;
	char go;
	int rc;

	/* If bocker dies, so does the container; nothing would reap it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)close(r->sync[1]);
	(void)close(r->report[0]);
	if (r->options->tty)
		(void)close(r->console[0]);
	/*
	 * Joining a v1 cgroup waits for an RCU grace period of several
	 * milliseconds. The child joins while the parent snapshots the
	 * image, so the two waits overlap on different CPUs.
	 */
	if (cgroup_attach(&r->cg, 0) < 0)
		child_fail(r->report[1], 0);
	if (read(r->sync[0], &go, 1) != 1)
		_exit(EXIT_ENGINE);
	/* The new cgroup namespace takes the cgroups joined above as its
	 * root, so /proc/self/cgroup shows "/" inside the container. */
	rc = unshare(CLONE_NEWCGROUP);
	trace(rc, "unshare(CLONE_NEWCGROUP)");
	if (rc < 0 && errno != EINVAL) {
		error_set("unshare(CLONE_NEWCGROUP)");
		child_fail(r->report[1], 0);
	}
	if ((r->options->network == NETWORK_BRIDGE &&
	     network_inside(&r->net) < 0) ||
	    (r->options->network == NETWORK_NONE && network_loopback() < 0))
		child_fail(r->report[1], 0);
	rc = sethostname(r->hostname, strlen(r->hostname));
	trace(rc, "sethostname(\"%s\")", r->hostname);
	if (rc < 0) {
		error_set("sethostname");
		child_fail(r->report[1], 0);
	}
	if (rootfs_enter(&r->rootfs) < 0)
		child_fail(r->report[1], 0);
	if (become_user(r) < 0)
		child_fail(r->report[1], 0);
	/* After become_user(), so that the pty's slave belongs to the
	 * user, as a terminal someone logs in on does. */
	if (standard_streams(r) < 0)
		child_fail(r->report[1], 0);
	seal_fds();
	trace_note("execve(\"%s\", ...) follows", r->argv[0]);
	exec_command(r->argv, r->envp);
	child_fail(r->report[1], 1);
}

/*
 * The host's resolver settings, never a resolver of our own. A
 * nameserver on the host's loopback cannot be reached from the
 * container's network namespace, so such lines are left out, and
 * Docker's public defaults stand in when none is left, as in Docker.
 */
static void
resolv_conf(struct run *r, char *out, size_t size)
{
	char host[4096];
	const char *line;
	const char *end;
	const char *a;
	size_t len;
	int servers;
	ssize_t n;

	out[0] = '\0';
	n = file_read(AT_FDCWD, "/etc/resolv.conf", host, sizeof(host));
	if (n < 0)
		return;
	if (r->options->network == NETWORK_HOST) {
		snprintf(out, size, "%s", host);
		return;
	}
	len = 0;
	servers = 0;
	for (line = host; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (!strncmp(line, "nameserver", 10) &&
		    (line[10] == ' ' || line[10] == '\t')) {
			a = line + 10 + strspn(line + 10, " \t");
			if (!strncmp(a, "127.", 4) || !strncmp(a, "::1", 3))
				continue;
			servers++;
		}
		if (len + (end - line) + 2 > size)
			break;
		memcpy(out + len, line, end - line);
		len += end - line;
		out[len++] = '\n';
	}
	out[len] = '\0';
	if (servers == 0)
		snprintf(out + len, size - len,
			 "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

/* Contents of /etc/hostname and /etc/resolv.conf for the container. */
static void
etc_files(struct run *r)
{
	struct rootfs *fs = &r->rootfs;

	snprintf(fs->hostname_file, sizeof(fs->hostname_file), "%s\n",
		 r->hostname);
	resolv_conf(r, fs->resolv, sizeof(fs->resolv));
}

static long
env_long(const char *name, long fallback)
{
	const char *v;
	char *end;
	long n;

	v = getenv(name);
	if (v == NULL || *v == '\0')
		return fallback;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	return n;
}

/* A positive number from the environment in [min, max], or fallback. */
static int
env_number(const char *name, long fallback, long min, long max, long *out)
{
	const char *v;

	v = getenv(name);
	*out = env_long(name, fallback);
	if (*out >= min && *out <= max)
		return 0;
	errno = 0;
	return error_set("invalid %s '%s' (expected %ld to %ld)", name,
			 v ? v : "", min, max);
}

/* Limits from BOCKER_CPU_SHARE, BOCKER_MEM_LIMIT (MiB), BOCKER_PIDS_LIMIT. */
static int
limits(struct limits *l)
{
	long mb;

	if (env_number("BOCKER_CPU_SHARE", 512, 2, 262144,
		       &l->cpu_shares) < 0 ||
	    env_number("BOCKER_MEM_LIMIT", 512, 6, 1L << 30, &mb) < 0 ||
	    env_number("BOCKER_PIDS_LIMIT", 1024, 1, 1L << 22, &l->pids) < 0)
		return -1;
	l->memory_bytes = (long long)mb * 1024 * 1024;
	return 0;
}

/* The flags of run override the environment's limits. */
static int
run_limits(struct run *r)
{
	const struct run_options *o = r->options;

	if (limits(&r->limits) < 0)
		return -1;
	if (o->memory_bytes > 0)
		r->limits.memory_bytes = o->memory_bytes;
	if (o->cpu_shares > 0)
		r->limits.cpu_shares = o->cpu_shares;
	if (o->pids > 0)
		r->limits.pids = o->pids;
	r->limits.cpu_quota_us = o->cpu_quota_us;
	return 0;
}

/* Write the files that describe the container, in tmp/<id>. */
static int
describe(struct run *r)
{
	char command[8192];
	char created[32];
	size_t len;
	int i;

	/* ps shows the command joined by spaces, cut to fit the buffer. */
	len = 0;
	command[0] = '\0';
	for (i = 0; r->argv[i] != NULL && len < sizeof(command) - 2; i++)
		len += snprintf(command + len, sizeof(command) - 1 - len,
				"%s%s", i ? " " : "", r->argv[i]);
	if (len > sizeof(command) - 2)
		len = sizeof(command) - 2;
	/* One line for ps: newlines and tabs of a script become spaces. */
	for (i = 0; i < (int)len; i++)
		if ((unsigned char)command[i] < ' ')
			command[i] = ' ';
	command[len] = '\n';
	command[len + 1] = '\0';
	snprintf(created, sizeof(created), "%lld\n", now_ns());
	if (r->options->name != NULL &&
	    file_write(r->dirfd, "name", r->options->name, O_CREAT | O_EXCL) < 0)
		return -1;
	if (file_write(r->dirfd, "image", r->image, O_CREAT | O_EXCL) < 0 ||
	    file_write(r->dirfd, "command", command, O_CREAT | O_EXCL) < 0 ||
	    file_write(r->dirfd, "created", created, O_CREAT | O_EXCL) < 0 ||
	    inspect_record(r->dirfd, r->options, &r->config, r->argv,
			   r->hostname) < 0)
		return -1;
	r->logfd = openat(r->dirfd, "log", O_WRONLY | O_CREAT | O_EXCL |
			  O_APPEND | O_CLOEXEC, 0600);
	if (r->logfd < 0)
		return error_set("create log");
	r->runlock = openat(r->dirfd, "lock", O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC, 0600);
	if (r->runlock < 0 || flock(r->runlock, LOCK_EX) < 0)
		return error_set("lock container");
	return 0;
}

/*
 * The container's mounts. Its hosts file from the store comes first, as
 * Docker binds its own, so that bocker can edit it from outside. The -v
 * and --tmpfs ones follow, so that a -v of /etc/hosts wins.
 */
static int
bind_hosts(struct run *r)
{
	const struct run_options *o = r->options;
	struct mount_spec *m;

	r->mounts = calloc(o->nmounts + 1, sizeof(*r->mounts));
	if (r->mounts == NULL)
		return error_set("allocate mounts");
	m = &r->mounts[0];
	snprintf(m->source, sizeof(m->source), "%s/%s/%s/hosts",
		 r->store->root, r->restart ? "containers" : "tmp", r->id);
	snprintf(m->target, sizeof(m->target), "/etc/hosts");
	m->replace = 1;
	if (o->nmounts > 0)
		memcpy(r->mounts + 1, o->mounts,
		       o->nmounts * sizeof(*r->mounts));
	return 0;
}

/* Where the container's root will be, and its overlay directories. */
static void
root_paths(struct run *r)
{
	struct rootfs *fs = &r->rootfs;
	const char *root = r->store->root;
	const char *dir = r->restart ? "containers" : "tmp";

	snprintf(fs->root, sizeof(fs->root), "%s/%s/%s/rootfs", root, dir,
		 r->id);
	fs->mounts = r->mounts;
	fs->nmounts = r->options->nmounts + 1;
	fs->read_only = r->options->read_only;
	fs->workdir = r->config.workdir;
	if (r->store->driver != DRIVER_OVERLAY)
		return;
	snprintf(fs->lower, sizeof(fs->lower), "%s/images/%s/rootfs", root,
		 r->image);
	snprintf(fs->upper, sizeof(fs->upper), "%s/%s/%s/upper", root, dir,
		 r->id);
	snprintf(fs->work, sizeof(fs->work), "%s/%s/%s/work", root, dir,
		 r->id);
}

/* The container's root: a snapshot of the image, or overlay dirs. */
static int
make_root(struct run *r)
{
	char image[ID_LEN + 16];
	int src;
	int rc;

	if (r->store->driver == DRIVER_OVERLAY) {
		if (mkdirat(r->dirfd, "rootfs", 0755) < 0 ||
		    mkdirat(r->dirfd, "upper", 0755) < 0 ||
		    mkdirat(r->dirfd, "work", 0700) < 0)
			return error_set("create overlay directories");
		return 0;
	}
	snprintf(image, sizeof(image), "images/%s/rootfs", r->image);
	src = openat(r->store->rootfd, image, O_RDONLY | O_DIRECTORY |
		     O_CLOEXEC);
	if (src < 0)
		return error_set("open '%s'", image);
	rc = btrfs_snapshot(src, r->dirfd, "rootfs");
	(void)close(src);
	return rc;
}

/*
 * Record the container's pid or its exit, atomically, with the times it
 * started and ended (nanoseconds since the epoch, for inspect).
 */
static int
record_state(struct run *r, int dirfd, const char *status, int code)
{
	char state[256];
	long long now;

	now = now_ns();
	if (r->started == 0)
		r->started = now;
	snprintf(state, sizeof(state), "pid=%d\nstatus=%s\nexit=%d\n"
		 "address=%s\nstarted=%lld\nfinished=%lld\n", (int)r->pid,
		 status, code, network_address(&r->net), r->started,
		 strcmp(status, "running") ? now : 0);
	return store_write_atomic(dirfd, "state", state);
}

static int
open_pipes(struct run *r)
{
	if (pipe2(r->sync, O_CLOEXEC) < 0 || pipe2(r->report, O_CLOEXEC) < 0 ||
	    pipe2(r->out, O_CLOEXEC) < 0 || pipe2(r->err, O_CLOEXEC) < 0)
		return error_set("pipe");
	if (r->options->tty && pty_socketpair(r->console) < 0)
		return -1;
	return 0;
}

/*
 * Clone the container's first process into its new namespaces. The
 * cgroup namespace comes later, from the child itself, once the parent
 * has moved it into its cgroups.
 */
static int
clone_child(struct run *r)
{
	int flags;
	char *stack;

	stack = malloc(STACK_SIZE);
	if (stack == NULL)
		return error_set("allocate a stack");
	flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
		SIGCHLD;
	/* --network host shares bocker's own network namespace. */
	if (r->options->network != NETWORK_HOST)
		flags |= CLONE_NEWNET;
	r->pid = clone(child_main, stack + STACK_SIZE, flags, r);
	trace(r->pid, "clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|"
	      "CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD)");
	free(stack);
	if (r->pid < 0)
		return error_set("clone");
	/* From here a closed pipe is an error to report, not a reason to
	 * die; the child, cloned before this, keeps the default. */
	(void)signal(SIGPIPE, SIG_IGN);
	(void)close(r->sync[0]);
	(void)close(r->report[1]);
	(void)close(r->out[1]);
	(void)close(r->err[1]);
	r->sync[0] = r->report[1] = r->out[1] = r->err[1] = -1;
	if (r->console[1] >= 0)
		(void)close(r->console[1]);
	r->console[1] = -1;
	return 0;
}

/*
 * The container's veth pair. The kernel removes the pair of an ended
 * container only once its network namespace is gone, which may take a
 * moment. So `start` removes a leftover of the same name, which is no
 * running container's, because `start` holds the container's lock.
 */
static int
make_veth(struct run *r)
{
	if (network_veth(&r->net, r->id, r->pid) == 0)
		return 0;
	if (!r->restart || errno != EEXIST)
		return -1;
	if (netlink_link_delete(r->net.veth) < 0 && errno != ENODEV)
		return -1;
	return network_veth(&r->net, r->id, r->pid);
}

/* Forward the -p host ports to the container, in the kernel. */
static int
publish(struct run *r)
{
	if (r->nports == 0)
		return 0;
	if (network_publish(&r->net, r->id, r->ports, r->nports,
			    r->portfds) < 0)
		return -1;
	r->published = 1;
	return 0;
}

static void
unpublish(struct run *r)
{
	if (r->published)
		network_unpublish(&r->net, r->id, r->portfds, r->nports);
	r->published = 0;
}

/*
 * The parent's half of the start: cgroups and veth for the waiting
 * child, then "go", then the child's report: EOF means the command was
 * executed (the pipe closed on exec), a struct failure means it was not.
 */
static int
start_child(struct run *r, int *status)
{
	struct failure f;
	ssize_t n;

	if (!r->restart && (make_root(r) < 0 || describe(r) < 0))
		return -1;
	if (r->options->network == NETWORK_BRIDGE &&
	    (network_bridge(&r->net) < 0 ||
	     nft_prune(&r->net, container_live, r->store) < 0 ||
	     make_veth(r) < 0 || publish(r) < 0))
		return -1;
	if (hosts_publish(r->store, r->dirfd, r->id, network_address(&r->net),
			  r->hostname,
			  r->options->network == NETWORK_BRIDGE) < 0)
		return -1;
	if (record_state(r, r->dirfd, "running", 0) < 0)
		return -1;
	/* A child that failed has closed its end already, so the write
	 * fails with EPIPE and the report read below gives the reason. */
	if (write(r->sync[1], "g", 1) != 1 && errno != EPIPE)
		return error_set("start container");
	/* With -t the child waits once more, for the pty's size; a child
	 * that failed before it sent the master reports as usual. */
	if (r->options->tty && pty_accept(r->console[0], &r->master) < 0)
		return -1;
	n = read(r->report[0], &f, sizeof(f));
	if (n == 0)
		return 0;
	if (n != sizeof(f)) {
		errno = EPROTO;
		return error_set("read the container's report");
	}
	errno = f.err;
	(void)error_set("%s", f.step);
	if (f.exec)
		*status = (f.err == ENOENT || f.err == ENOTDIR)
			  ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	return -1;
}

/* Copy what the container writes to our stdout/stderr and to its log. */
static void
pump_output(struct run *r)
{
	struct pollfd fds[2] = {
		{ .fd = r->out[0], .events = POLLIN },
		{ .fd = r->err[0], .events = POLLIN },
	};
	char buf[65536];
	ssize_t n;
	int open;
	int i;

	open = 2;
	while (open > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				fds[i].fd = -1;
				open--;
				continue;
			}
			(void)write(i ? STDERR_FILENO : STDOUT_FILENO, buf, n);
			(void)write(r->logfd, buf, n);
		}
	}
}

/* Reap the child; return its status as a shell would: 128+N for signals. */
static int
reap(pid_t pid)
{
	int wstatus;
	pid_t rc;

	do
		rc = waitpid(pid, &wstatus, 0);
	while (rc < 0 && errno == EINTR);
	trace(rc, "wait4(%d, {%s %d})", (int)pid,
	      WIFSIGNALED(wstatus) ? "signal" : "exit",
	      WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
				   : WEXITSTATUS(wstatus));
	if (rc < 0)
		return EXIT_ENGINE;
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

static void
release(struct run *r)
{
	int *fds[] = {
		&r->sync[0], &r->sync[1], &r->report[0], &r->report[1],
		&r->out[0], &r->out[1], &r->err[0], &r->err[1], &r->logfd,
		&r->runlock, &r->dirfd, &r->console[0], &r->console[1],
		&r->master,
	};
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close_fd(fds[i]);
	unpublish(r);
	network_release(&r->net);
	free(r->ports);
	free(r->portfds);
	free(r->mounts);
	r->mounts = NULL;
	r->ports = NULL;
	r->portfds = NULL;
	r->nports = 0;
}

static void
run_init(struct run *r, struct store *s, const struct run_options *o)
{
	static const struct run_options defaults;

	memset(r, 0, sizeof(*r));
	r->store = s;
	r->options = o ? o : &defaults;
	r->tmplock = r->runlock = r->dirfd = r->logfd = -1;
	r->sync[0] = r->sync[1] = r->report[0] = r->report[1] = -1;
	r->out[0] = r->out[1] = r->err[0] = r->err[1] = -1;
	r->console[0] = r->console[1] = r->master = -1;
	r->net.leasefd = -1;
}

/* Load the image's configuration into r->config. */
static int
load_config(struct run *r)
{
	char path[ID_LEN + 16];
	int dirfd;
	int rc;

	snprintf(path, sizeof(path), "images/%s", r->image);
	dirfd = openat(r->store->rootfd, path, O_RDONLY | O_DIRECTORY |
		       O_CLOEXEC);
	if (dirfd < 0)
		return error_set("open '%s'", path);
	rc = config_load(dirfd, &r->config);
	(void)close(dirfd);
	return rc;
}

/* Replace "NAME=..." in the image's Env, or add it. */
static int
set_env(struct image_config *c, const char *entry)
{
	size_t name_len;
	char **grown;
	char *copy;
	size_t n;

	name_len = strcspn(entry, "=");
	copy = strdup(entry);
	if (copy == NULL)
		return -1;
	for (n = 0; c->env != NULL && c->env[n] != NULL; n++) {
		if (!strncmp(c->env[n], entry, name_len + 1)) {
			free(c->env[n]);
			c->env[n] = copy;
			return 0;
		}
	}
	grown = realloc(c->env, (n + 2) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	c->env = grown;
	return 0;
}

/* The flags of run override the image's configuration, as in Docker. */
static int
apply_options(struct run *r)
{
	const struct run_options *o = r->options;
	struct image_config *c = &r->config;
	size_t i;

	if (o->entrypoint != NULL) {
		config_free_vector(c->entrypoint);
		c->entrypoint = NULL;
		/* --entrypoint "" clears it; so does it clear Cmd. */
		if (*o->entrypoint != '\0') {
			c->entrypoint = calloc(2, sizeof(char *));
			if (c->entrypoint == NULL ||
			    (c->entrypoint[0] = strdup(o->entrypoint)) == NULL)
				return error_set("--entrypoint");
		}
		config_free_vector(c->cmd);
		c->cmd = NULL;
	}
	if (o->user != NULL)
		snprintf(c->user, sizeof(c->user), "%s", o->user);
	if (o->workdir != NULL)
		snprintf(c->workdir, sizeof(c->workdir), "%s", o->workdir);
	for (i = 0; i < o->nenv; i++)
		if (set_env(c, o->env[i]) < 0)
			return error_set("environment");
	return 0;
}

/*
 * Claim the container's --name: names/<name> is a symlink to its id,
 * made with one symlink(2), so two runs cannot both take a name.
 */
static int
claim_name(struct run *r)
{
	char path[300];
	int rc;

	if (r->options->name == NULL)
		return 0;
	snprintf(path, sizeof(path), "names/%s", r->options->name);
	rc = symlinkat(r->id, r->store->rootfd, path);
	trace(rc, "symlinkat(\"%s\", \"%s\")", r->id, path);
	if (rc == 0)
		return 0;
	if (errno != EEXIST)
		return error_set("claim the name '%s'", r->options->name);
	if (store_name_stale(r->store, r->options->name))
		return claim_name(r);
	errno = 0;
	return error_set("the container name '%s' is already in use",
			 r->options->name);
}

/* A copy of the -p ports, whose host port 0 becomes a real one. */
static int
copy_ports(struct run *r)
{
	size_t n = r->options->nports;

	if (n == 0)
		return 0;
	r->ports = calloc(n, sizeof(*r->ports));
	r->portfds = calloc(n, sizeof(*r->portfds));
	if (r->ports == NULL || r->portfds == NULL)
		return error_set("allocate ports");
	memcpy(r->ports, r->options->ports, n * sizeof(*r->ports));
	r->nports = n;
	return 0;
}

/*
 * `start`: open the stopped container's directory, take its lock (one
 * start wins, and a running container is refused) and its log.
 */
static int
reopen(struct run *r)
{
	char path[ID_LEN + 16];

	snprintf(path, sizeof(path), "containers/%s", r->id);
	r->dirfd = openat(r->store->rootfd, path, O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC);
	if (r->dirfd < 0)
		return error_set("open '%s'", path);
	r->runlock = openat(r->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
			    0600);
	if (r->runlock < 0)
		return error_set("open '%s/lock'", path);
	if (flock(r->runlock, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			errno = EBUSY;
		/* Not ours: abandon() must not touch a running container. */
		close_fd(&r->runlock);
		return error_set("lock the container");
	}
	trace(0, "flock(%d<%s/lock>, LOCK_EX|LOCK_NB)", r->runlock, path);
	/* The exit status of the last run goes; `wait` reads the next. */
	if (ftruncate(r->runlock, 0) < 0)
		return error_set("truncate '%s/lock'", path);
	r->logfd = openat(r->dirfd, "log", O_WRONLY | O_CREAT | O_APPEND |
			  O_CLOEXEC, 0600);
	if (r->logfd < 0)
		return error_set("open '%s/log'", path);
	return 0;
}

/* Everything the container needs before its first process exists. */
static int
prepare(struct run *r)
{
	char path[ID_LEN + 8];

	if (run_limits(r) < 0 || network_config(&r->net) < 0)
		return -1;
	if (r->restart) {
		if (reopen(r) < 0)
			return -1;
	} else {
		r->tmplock = store_tmp_create(r->store, r->id);
		if (r->tmplock < 0)
			return -1;
	}
	snprintf(r->hostname, sizeof(r->hostname), "%.*s", SHORT_ID_LEN,
		 r->id);
	if (r->options->hostname != NULL)
		snprintf(r->hostname, sizeof(r->hostname), "%s",
			 r->options->hostname);
	if (!r->restart) {
		if (claim_name(r) < 0)
			return -1;
		snprintf(path, sizeof(path), "tmp/%s", r->id);
		r->dirfd = openat(r->store->rootfd, path, O_RDONLY |
				  O_DIRECTORY | O_CLOEXEC);
		if (r->dirfd < 0)
			return error_set("open '%s'", path);
	}
	if (bind_hosts(r) < 0)
		return -1;
	root_paths(r);
	if (r->options->network == NETWORK_BRIDGE &&
	    network_lease(&r->net, r->store, r->id) < 0)
		return -1;
	if (copy_ports(r) < 0)
		return -1;
	if (cgroup_open(&r->cg, r->id) < 0 ||
	    cgroup_create(&r->cg, &r->limits) < 0)
		return -1;
	etc_files(r);
	return open_pipes(r);
}

/* The message a detached run's monitor sends to the command that
 * started it. */
struct started {
	int status;		/* 0, or the exit code of the failure */
	int err;		/* errno of the failure */
	char step[256];		/* error_context() of the failure */
	char id[ID_LEN + 1];	/* the container, when it started */
};

/* Tell a detached run's parent, if any, how the start went. */
static void
notify(int fd, const char *id, int status)
{
	struct started msg;

	if (fd < 0)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.status = status;
	msg.err = errno;
	snprintf(msg.step, sizeof(msg.step), "%s", error_context());
	snprintf(msg.id, sizeof(msg.id), "%s", id);
	(void)write(fd, &msg, sizeof(msg));
	(void)close(fd);
}

/* Undo a start that failed: the child, cgroups, name, tmp/<id>. */
static void
abandon(struct run *r)
{
	char step[512];
	int saved;

	/* Clean-up failures must not replace the reason for the abandon. */
	saved = errno;
	snprintf(step, sizeof(step), "%s", error_context());
	if (r->pid > 0) {
		(void)kill(r->pid, SIGKILL);
		(void)reap(r->pid);
	}
	unpublish(r);
	if (r->net.leasefd >= 0)
		hosts_withdraw(r->store, r->id);
	if (r->cg.ndirs > 0)
		(void)cgroup_destroy(&r->cg);
	if (r->restart && r->runlock >= 0 && r->dirfd >= 0)
		(void)record_state(r, r->dirfd, "exited", EXIT_ENGINE);
	else if (!r->restart)
		store_release_name(r->store, r->options->name, r->id);
	release(r);
	if (r->tmplock >= 0)
		(void)store_destroy_tmp(r->store, r->id, r->tmplock);
	errno = saved;
	(void)error_set("%s", step);
}

/* From a started container to its end: output, exit status, clean-up. */
static int
supervise(struct run *r, int notify_fd, int *status)
{
	struct sigaction sa;
	char code[16];
	int rc;

	rc = 0;
	if (!r->restart)
		rc = store_publish(r->store, r->id, "containers", r->tmplock);
	r->tmplock = -1;
	notify(notify_fd, r->id, rc < 0 ? EXIT_ENGINE : 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	forward_to = r->pid;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	/* A detached container's monitor reads /dev/null: Docker's -dit
	 * keeps a shell waiting for input rather than giving it EOF. */
	if (r->master >= 0)
		(void)pty_relay(r->master, r->logfd, r->pid,
				r->options->interactive && !r->options->detach);
	else
		pump_output(r);
	*status = reap(r->pid);
	forward_to = 0;
	/* Before the address lease goes: no rule may outlive it, and no
	 * other container's hosts file may name its address. */
	unpublish(r);
	if (r->options->network == NETWORK_BRIDGE)
		hosts_withdraw(r->store, r->id);
	(void)cgroup_destroy(&r->cg);
	if (rc == 0)
		(void)record_state(r, r->dirfd, "exited", *status);
	/* `wait` reads the status from the lock file it waited on, which
	 * works even after --rm has removed the container. */
	snprintf(code, sizeof(code), "%d\n", *status);
	(void)pwrite(r->runlock, code, strlen(code), 0);
	release(r);
	if (rc == 0 && r->options->remove) {
		store_release_name(r->store, r->options->name, r->id);
		(void)store_remove(r->store, "containers", r->id);
	}
	return rc;
}

/*
 * Run a container: a new one, or with restart the stopped container of
 * that id again, in its own root.
 */
static int
run_container(struct store *s, const char *image, char **argv,
	      const struct run_options *o, const char *restart,
	      int notify_fd, int *status)
{
	struct run r;
	int rc;

	run_init(&r, s, o);
	*status = EXIT_ENGINE;
	memcpy(r.image, image, ID_LEN + 1);
	if (restart != NULL) {
		r.restart = 1;
		memcpy(r.id, restart, ID_LEN + 1);
	}
	rc = load_config(&r);
	if (rc == 0)
		rc = apply_options(&r);
	if (rc == 0 && (r.argv = config_argv(&r.config, argv)) == NULL) {
		errno = 0;	/* the message says it all */
		rc = error_set("missing command (the image has no default "
			       "command)");
	}
	if (rc == 0)
		rc = prepare(&r);
	if (rc == 0)
		rc = clone_child(&r);
	if (rc == 0)
		rc = start_child(&r, status);
	if (rc < 0) {
		abandon(&r);
		notify(notify_fd, "", *status);
	} else {
		rc = supervise(&r, notify_fd, status);
	}
	free(r.argv);
	config_free(&r.config);
	return rc;
}

/*
 * Start the container under a monitor process of its own, which stays
 * to collect its output and exit status, and return once it is running
 * (docker run -d). The container's id goes to standard output.
 */
static int
run_detached(struct store *s, const char *image, char **argv,
	     const struct run_options *o, const char *restart, int *status)
{
	struct started msg;
	int pipefd[2];
	pid_t pid;
	int null;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_set("pipe");
	fflush(stdout);
	pid = fork();
	trace(pid, "fork() # monitor of a detached container");
	if (pid < 0)
		return error_set("fork");
	if (pid == 0) {
		(void)close(pipefd[0]);
		(void)setsid();
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
		(void)run_container(s, image, argv, o, restart, pipefd[1],
				    status);
		_exit(*status);
	}
	(void)close(pipefd[1]);
	if (read(pipefd[0], &msg, sizeof(msg)) != sizeof(msg)) {
		(void)close(pipefd[0]);
		*status = EXIT_ENGINE;
		errno = EPROTO;
		return error_set("start the container's monitor");
	}
	(void)close(pipefd[0]);
	*status = msg.status;
	if (msg.status != 0) {
		errno = msg.err;
		return error_set("%s", msg.step);
	}
	if (restart == NULL)
		printf("%s\n", msg.id);
	return 0;
}

/*
 * Run argv in a new container from image: the `run` command. Returns 0
 * with *status set to the container's exit status (0 once a detached
 * one started), or -1 when it could not start, with *status 125, 126
 * or 127.
 */
int
container_run(struct store *s, const char *image, char **argv,
	      const struct run_options *o, int *status)
{
	if (o->detach)
		return run_detached(s, image, argv, o, NULL, status);
	return run_container(s, image, argv, o, NULL, -1, status);
}

/*
 * Start the stopped container id again (docker start): the command and
 * options it was created with, from its config.json, in its own root,
 * with a new address. Detached, unless attach: then as `run` in the
 * foreground, with *status the container's exit status.
 */
int
container_start(struct store *s, const char *id, int attach, int *status)
{
	struct run_options o;
	char image[ID_LEN + 2];
	char path[ID_LEN + 16];
	char **argv;
	int dirfd;
	int rc;

	*status = EXIT_ENGINE;
	snprintf(path, sizeof(path), "containers/%s", id);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_set("open '%s'", path);
	rc = inspect_load(dirfd, &o, &argv);
	(void)close(dirfd);
	if (rc < 0)
		return -1;
	if (store_read(s, "containers", id, "image", image,
		       sizeof(image)) < 0) {
		inspect_free(&o, argv);
		return -1;
	}
	image[strcspn(image, "\n")] = '\0';
	o.detach = !attach;
	/* Docker's start gives no input unless asked with -i. */
	o.interactive = o.interactive && attach;
	if (attach)
		rc = run_container(s, image, argv, &o, id, -1, status);
	else
		rc = run_detached(s, image, argv, &o, id, status);
	inspect_free(&o, argv);
	return rc;
}

/* Is the container running? Its bocker holds containers/<id>/lock. */
int
container_running(struct store *s, const char *id)
{
	char path[ID_LEN + 32];

	snprintf(path, sizeof(path), "containers/%s/lock", id);
	return store_lock_is_free(s->rootfd, path) == 0;
}

/*
 * Is the container id alive: starting (its lock under tmp/ held) or
 * running? The rename that publishes it moves the lock from tmp/ to
 * containers/, so tmp/ is looked at first.
 */
int
container_live(const char *id, void *store)
{
	struct store *s = store;
	char path[ID_LEN + 16];

	snprintf(path, sizeof(path), "tmp/%s/lock", id);
	if (store_lock_is_free(s->rootfd, path) == 0)
		return 1;
	return container_running(s, id);
}

/* The pid recorded in the container's state file. */
pid_t
container_pid(struct store *s, const char *id)
{
	char state[256];
	char *p;

	if (store_read(s, "containers", id, "state", state,
		       sizeof(state)) < 0)
		return -1;
	p = strstr(state, "pid=");
	if (p == NULL) {
		errno = ESRCH;
		return error_set("find the container's pid");
	}
	return (pid_t)strtol(p + 4, NULL, 10);
}

static const char *const namespaces[] = {
	"cgroup", "ipc", "uts", "net", "pid", "mnt",
};

#define NNAMESPACES (sizeof(namespaces) / sizeof(namespaces[0]))

/*
 * Join each namespace of pid. All are opened first, because joining the
 * mount namespace changes what /proc/<pid> resolves to; the mount
 * namespace goes last and makes the container's root ours.
 */
static int
join_namespaces(pid_t pid)
{
	char path[64];
	int fds[NNAMESPACES];
	size_t i;
	int rc;

	for (i = 0; i < NNAMESPACES; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
			 namespaces[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		trace(fds[i], "open(\"%s\", O_RDONLY|O_CLOEXEC)", path);
		if (fds[i] < 0) {
			error_set("open '%s'", path);
			while (i-- > 0)
				(void)close(fds[i]);
			return -1;
		}
	}
	rc = 0;
	for (i = 0; i < NNAMESPACES; i++) {
		if (rc == 0) {
			rc = setns(fds[i], 0);
			trace(rc, "setns(%d</proc/%d/ns/%s>, 0)", fds[i],
			      (int)pid, namespaces[i]);
			if (rc < 0)
				error_set("join the %s namespace",
					  namespaces[i]);
		}
		(void)close(fds[i]);
	}
	return rc;
}

/* The child of `exec`, inside the container: execute argv. */
static _Noreturn void
exec_child(struct run *r)
{
	int rc;

	(void)close(r->report[0]);
	if (r->options->tty)
		(void)close(r->console[0]);
	rc = chdir("/");
	trace(rc, "chdir(\"/\")");
	if (become_user(r) < 0 || standard_streams(r) < 0)
		child_fail(r->report[1], 0);
	seal_fds();
	exec_command(r->argv, r->envp);
	child_fail(r->report[1], 1);
}

/*
 * Run argv inside the running container id: the `exec` command. The
 * process is made non-dumpable before it joins, so nothing in the
 * container can open this host binary through /proc/<pid>/exe (the runc
 * CVE-2019-5736 class); the command itself is a fresh exec.
 */
int
container_exec(struct store *s, const char *id, char **argv,
	       const struct run_options *o, int *status)
{
	struct failure f;
	struct run r;
	ssize_t n;
	pid_t pid;
	int rc;

	run_init(&r, s, o);
	r.argv = argv;
	*status = EXIT_ENGINE;
	memcpy(r.id, id, ID_LEN + 1);
	if (store_read(s, "containers", id, "image", r.image,
		       sizeof(r.image)) < 0 || load_config(&r) < 0)
		return -1;
	pid = container_pid(s, id);
	if (pid <= 0)
		return -1;
	rc = prctl(PR_SET_DUMPABLE, 0);
	trace(rc, "prctl(PR_SET_DUMPABLE, 0)");
	if (cgroup_open(&r.cg, id) < 0 || cgroup_attach(&r.cg, getpid()) < 0)
		return -1;
	if (join_namespaces(pid) < 0 || pipe2(r.report, O_CLOEXEC) < 0)
		return -1;
	if (r.options->tty && pty_socketpair(r.console) < 0)
		return -1;
	/* setns(CLONE_NEWPID) applies to children: fork to be inside. */
	r.pid = fork();
	trace(r.pid, "fork()");
	if (r.pid < 0)
		return error_set("fork");
	if (r.pid == 0)
		exec_child(&r);
	(void)close(r.report[1]);
	close_fd(&r.console[1]);
	if (r.options->tty && pty_accept(r.console[0], &r.master) < 0) {
		(void)kill(r.pid, SIGKILL);
		(void)reap(r.pid);
		close_fd(&r.console[0]);
		(void)close(r.report[0]);
		return -1;
	}
	close_fd(&r.console[0]);
	n = read(r.report[0], &f, sizeof(f));
	(void)close(r.report[0]);
	if (n == sizeof(f)) {
		(void)reap(r.pid);
		close_fd(&r.master);
		errno = f.err;
		*status = (f.err == ENOENT || f.err == ENOTDIR)
			  ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
		return error_set("%s", f.step);
	}
	if (r.master >= 0)
		(void)pty_relay(r.master, -1, r.pid, r.options->interactive);
	close_fd(&r.master);
	*status = reap(r.pid);
	return 0;
}

/*
 * Wait until the container stops and return its exit status, which its
 * bocker writes into the lock file just before letting go of it; -1 when
 * there is none (a bocker killed hard, or an older container).
 */
int
container_wait_exit(struct store *s, const char *id)
{
	char path[ID_LEN + 32];
	char code[16];
	ssize_t n;
	int fd;
	int rc;

	snprintf(path, sizeof(path), "containers/%s/lock", id);
	fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = flock(fd, LOCK_SH);
	trace(rc, "flock(%d<%s>, LOCK_SH)", fd, path);
	n = rc == 0 ? pread(fd, code, sizeof(code) - 1, 0) : -1;
	(void)close(fd);
	if (n <= 0)
		return -1;
	code[n] = '\0';
	return atoi(code);
}

/*
 * Wait until the container is not running, at most timeout_ms (or for
 * ever when negative): its bocker gives up the lock when it has reaped
 * the container and removed its cgroups. Returns 0 once it is stopped.
 */
int
container_wait(struct store *s, const char *id, int timeout_ms)
{
	struct timespec pause = { 0, 1000 * 1000 };
	char path[ID_LEN + 32];
	int fd;
	int rc;

	if (timeout_ms < 0) {
		snprintf(path, sizeof(path), "containers/%s/lock", id);
		fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		rc = flock(fd, LOCK_SH);
		trace(rc, "flock(%d<%s>, LOCK_SH)", fd, path);
		(void)close(fd);
		return rc;
	}
	/* Most containers end within milliseconds of the signal: look
	 * again after 1 ms, then 2, 4... up to every 20 ms. */
	while (timeout_ms > 0) {
		if (!container_running(s, id))
			return 0;
		(void)nanosleep(&pause, NULL);
		timeout_ms -= pause.tv_nsec / 1000000;
		pause.tv_nsec *= 2;
		if (pause.tv_nsec > 20 * 1000 * 1000)
			pause.tv_nsec = 20 * 1000 * 1000;
	}
	errno = ETIMEDOUT;
	return container_running(s, id) ? -1 : 0;
}
