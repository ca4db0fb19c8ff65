/*
 * mount.c - the container's filesystem: its root, /proc, /sys, /dev, and
 * the switch into it with pivot_root(2).
 *
 * Runs in the container's first process, inside its new mount namespace
 * (mount_namespaces(7)), before the command is executed. The order
 * matters, and the comment of each step gives the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bocker.h"

static int
do_mount(const char *source, const char *target, const char *type,
	 unsigned long flags, const char *data)
{
	int rc;

	rc = mount(source, target, type, flags, data);
	trace(rc, "mount(\"%s\", \"%s\", \"%s\", %#lx, %s%s%s)",
	      source ? source : "NULL", target, type ? type : "NULL", flags,
	      data ? "\"" : "", data ? data : "NULL", data ? "\"" : "");
	if (rc < 0)
		return error_set("mount '%s'", target);
	return 0;
}

/*
 * Make root/name a directory to mount on. An image may ship it as a
 * symlink, and mount(2) would follow that link out of the container's
 * root, so a symlink is rejected.
 */
static int
mount_point(const char *root, const char *name, char *path, size_t size)
{
	struct stat st;

	snprintf(path, size, "%s/%s", root, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return error_set("create mount point '/%s'", name);
	if (lstat(path, &st) < 0)
		return error_set("stat mount point '/%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return error_set("mount point '/%s' in the image", name);
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned major;
	unsigned minor;
} devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name;
	const char *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

/*
 * A fresh tmpfs on /dev with only the harmless devices, as Docker gives:
 * the host's /dev is never visible inside.
 */
static int
mount_dev(const char *root)
{
	char dev[4096];
	char path[4200];
	size_t i;
	int rc;

	if (mount_point(root, "dev", dev, sizeof(dev)) < 0 ||
	    do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME,
		     "mode=755,size=65536k") < 0)
		return -1;
	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, devices[i].name);
		rc = mknod(path, S_IFCHR | 0666,
			   makedev(devices[i].major, devices[i].minor));
		trace(rc, "mknod(\"%s\", S_IFCHR|0666, makedev(%u, %u))",
		      path, devices[i].major, devices[i].minor);
		if (rc < 0 || chmod(path, 0666) < 0)
			return error_set("create '/dev/%s'", devices[i].name);
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, dev_links[i].name);
		if (symlink(dev_links[i].target, path) < 0)
			return error_set("create '/dev/%s'",
					 dev_links[i].name);
	}
	if (mount_point(dev, "pts", path, sizeof(path)) < 0 ||
	    do_mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -1;
	if (mount_point(dev, "shm", path, sizeof(path)) < 0 ||
	    do_mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k") < 0)
		return -1;
	return 0;
}

/*
 * The paths of /proc and /sys that Docker hides (masked: /dev/null or an
 * empty read-only tmpfs on top) or makes read-only, because they reach
 * the host's kernel: its memory (kcore), its keys, a reboot trigger.
 */
static const char *const masked[] = {
	"proc/acpi", "proc/asound", "proc/interrupts", "proc/kcore",
	"proc/keys", "proc/latency_stats", "proc/sched_debug", "proc/scsi",
	"proc/timer_list", "proc/timer_stats", "sys/firmware",
	"sys/devices/virtual/powercap",
};

static const char *const read_only[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

/* Hide or freeze the paths above; those this kernel lacks are skipped. */
static int
mask_paths(const char *root)
{
	char path[4200];
	char null[4200];
	struct stat st;
	size_t i;

	snprintf(null, sizeof(null), "%s/dev/null", root);
	for (i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, masked[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) ? do_mount("tmpfs", path, "tmpfs",
						   MS_RDONLY, NULL)
					: do_mount(null, path, NULL, MS_BIND,
						   NULL))
			return -1;
	}
	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, read_only[i]);
		if (lstat(path, &st) < 0)
			continue;
		/* A bind mount takes MS_RDONLY only on a remount. */
		if (do_mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    do_mount(path, path, NULL, MS_BIND | MS_REMOUNT |
			     MS_RDONLY | MS_REC, NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * Open path inside the container's root as if that root were "/":
 * openat2(2) with RESOLVE_IN_ROOT keeps every symlink and ".." of the
 * image within it, so a volume cannot be mounted onto a host path.
 */
static int
open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = flags | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	return syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/*
 * Create the mount point target inside the root, one component at a
 * time, each directory made below a parent opened inside the root (a
 * file last, when a file is to be bound onto it). With replace, a last
 * component that is no regular file, such as a symlink the image
 * planted, is removed first. Returns an O_PATH descriptor of it.
 */
static int
make_target(int rootfd, const char *target, int file, int replace)
{
	struct stat st;

	char path[4096];
	const char *name;
	char *slash;
	int parent;

	snprintf(path, sizeof(path), "%s", target + strspn(target, "/"));
	if (path[0] == '\0' || strstr(path, "..") != NULL) {
		errno = EINVAL;
		return -1;
	}
	parent = open_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
	for (name = path; parent >= 0; name = slash + 1) {
		slash = strchr(name, '/');
		if (slash != NULL)
			*slash = '\0';
		if (slash == NULL && replace &&
		    fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode))
			(void)unlinkat(parent, name, S_ISDIR(st.st_mode) ?
				       AT_REMOVEDIR : 0);
		if (slash == NULL && file)
			(void)close(openat(parent, name, O_CREAT | O_WRONLY |
					   O_NOFOLLOW | O_CLOEXEC, 0644));
		else
			(void)mkdirat(parent, name, 0755);
		(void)close(parent);
		/* Whatever the image has there is resolved inside the root. */
		parent = open_in_root(rootfd, path, O_PATH);
		if (slash == NULL)
			return parent;
		*slash = '/';
	}
	return -1;
}

/*
 * Mount the -v and --tmpfs mounts. The target is reached through
 * /proc/self/fd/N of a descriptor opened inside the root, never through
 * a path that the image's symlinks could redirect.
 */
static int
mount_volumes(const struct rootfs *r)
{
	const struct mount_spec *m;
	char fdpath[64];
	struct stat st;
	size_t i;
	int rootfd;
	int fd;
	int rc;

	rootfd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_set("open '%s'", r->root);
	rc = 0;
	for (i = 0; rc == 0 && i < r->nmounts; i++) {
		m = &r->mounts[i];
		st.st_mode = S_IFDIR;
		if (m->source[0] != '\0' && stat(m->source, &st) < 0) {
			rc = error_set("volume '%s'", m->source);
			break;
		}
		fd = make_target(rootfd, m->target, !S_ISDIR(st.st_mode),
				 m->replace);
		if (fd < 0) {
			rc = error_set("mount point '%s'", m->target);
			break;
		}
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (m->source[0] == '\0')
			rc = do_mount("tmpfs", fdpath, "tmpfs", MS_NOSUID |
				      MS_NODEV, "mode=1777");
		else
			rc = do_mount(m->source, fdpath, NULL, MS_BIND | MS_REC,
				      NULL);
		(void)close(fd);
		if (rc == 0 && m->read_only) {
			/* The new mount, reopened, takes MS_RDONLY. */
			fd = open_in_root(rootfd, m->target, O_PATH);
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d",
				 fd);
			rc = fd < 0 ? error_set("reopen '%s'", m->target) :
			     do_mount(NULL, fdpath, NULL, MS_BIND | MS_REMOUNT |
				      MS_RDONLY | MS_REC, NULL);
			if (fd >= 0)
				(void)close(fd);
		}
	}
	(void)close(rootfd);
	return rc;
}

/* Mount the container's root at root, from the image by the driver. */
static int
mount_root(const struct rootfs *r)
{
	char options[3 * 4096 + 64];

	if (r->lower[0] == '\0')
		return do_mount(r->root, r->root, NULL, MS_BIND | MS_REC,
				NULL);
	snprintf(options, sizeof(options),
		 "lowerdir=%s,upperdir=%s,workdir=%s", r->lower, r->upper,
		 r->work);
	return do_mount("overlay", r->root, "overlay", 0, options);
}

/*
 * Switch the root with pivot_root(".", "."), which stacks the old root
 * under the new one at the same place, then detach the old root: no path
 * from inside leads back to the host's filesystem afterwards.
 */
static int
pivot(const char *root)
{
	int rc;

	rc = chdir(root);
	trace(rc, "chdir(\"%s\")", root);
	if (rc < 0)
		return error_set("chdir '%s'", root);
	rc = syscall(SYS_pivot_root, ".", ".");
	trace(rc, "pivot_root(\".\", \".\")");
	if (rc < 0)
		return error_set("pivot_root '%s'", root);
	rc = umount2(".", MNT_DETACH);
	trace(rc, "umount2(\".\", MNT_DETACH)");
	if (rc < 0)
		return error_set("detach the old root");
	rc = chdir("/");
	if (rc < 0)
		return error_set("chdir '/'");
	return 0;
}

/*
 * Write an /etc file inside the new root. A symlink planted there by the
 * image is replaced rather than followed, and since this runs after
 * pivot_root, even a followed path could not leave the container.
 */
static int
write_etc(const char *name, const char *content)
{
	char path[64];
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "/etc/%s", name);
	if (mkdir("/etc", 0755) < 0 && errno != EEXIST)
		return error_set("create '/etc'");
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    unlink(path) < 0)
		return error_set("replace '%s'", path);
	rc = file_write(AT_FDCWD, path, content,
			O_CREAT | O_TRUNC | O_NOFOLLOW);
	trace(rc, "write(\"%s\", ...)", path);
	return rc;
}

/* --read-only: the root becomes read-only once bocker has written it. */
static int
read_only_root(void)
{
	return do_mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
			NULL);
}

/*
 * Build the container's filesystem and enter it, in this order. Mounts
 * made before MS_PRIVATE would propagate to the host. /proc shows the new
 * PID namespace only when mounted from inside it. pivot_root needs the
 * new root to be a mount point. The /etc files are written last, inside
 * the new root.
 */
int
rootfs_enter(const struct rootfs *r)
{
	char path[4200];

	if (do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	if (mount_root(r) < 0)
		return -1;
	if (mount_point(r->root, "proc", path, sizeof(path)) < 0 ||
	    do_mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL) < 0)
		return -1;
	if (mount_point(r->root, "sys", path, sizeof(path)) < 0 ||
	    do_mount("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID |
		     MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	if (mount_dev(r->root) < 0 || mask_paths(r->root) < 0 ||
	    mount_volumes(r) < 0)
		return -1;
	if (pivot(r->root) < 0)
		return -1;
	if (write_etc("hostname", r->hostname_file) < 0 ||
	    write_etc("resolv.conf", r->resolv) < 0)
		return -1;
	if (!r->read_only)
		return 0;
	/* Docker makes the working directory before the root turns
	 * read-only, so -w works with --read-only. */
	if (r->workdir != NULL && r->workdir[0] != '\0')
		(void)make_path(r->workdir);
	return read_only_root();
}
