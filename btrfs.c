/*
 * btrfs.c - subvolumes and snapshots through btrfs ioctls, no btrfs-progs.
 *
 * The ioctls are described in the kernel's include/uapi/linux/btrfs.h and
 * in ioctl_btrfs(2) from btrfs-progs: each takes a file descriptor of the
 * parent directory and the new entry's name in a fixed-size buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bocker.h"

int
btrfs_is_btrfs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -1;
	return st.f_type == BTRFS_SUPER_MAGIC;
}

/* Copy a name into an ioctl's buffer; names longer than it are rejected. */
static int
set_name(char *dst, size_t size, const char *name)
{
	if (strlen(name) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(dst, name);
	return 0;
}

/* Create an empty subvolume dirfd/name. */
int
btrfs_subvol_create(int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args args;
	int rc;

	memset(&args, 0, sizeof(args));
	if (set_name(args.name, sizeof(args.name), name) < 0)
		return error_set("create subvolume '%s'", name);
	rc = ioctl(dirfd, BTRFS_IOC_SUBVOL_CREATE, &args);
	trace(rc, "ioctl(%d, BTRFS_IOC_SUBVOL_CREATE, {name=\"%s\"})",
	      dirfd, name);
	if (rc < 0)
		return error_set("create subvolume '%s'", name);
	return 0;
}

/*
 * Make dirfd/name a writable snapshot of the subvolume open as srcfd.
 * The snapshot shares every extent with its source until either side
 * writes, which is what makes a container's root cost nothing to create.
 */
int
btrfs_snapshot(int srcfd, int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args_v2 args;
	int rc;

	memset(&args, 0, sizeof(args));
	args.fd = srcfd;
	if (set_name(args.name, sizeof(args.name), name) < 0)
		return error_set("snapshot into '%s'", name);
	rc = ioctl(dirfd, BTRFS_IOC_SNAP_CREATE_V2, &args);
	trace(rc, "ioctl(%d, BTRFS_IOC_SNAP_CREATE_V2, {fd=%d, name=\"%s\"})",
	      dirfd, srcfd, name);
	if (rc < 0)
		return error_set("snapshot into '%s'", name);
	return 0;
}

/*
 * Delete the subvolume dirfd/name with everything in it. The kernel frees
 * its extents in the background; the name is gone when this returns.
 */
int
btrfs_subvol_destroy(int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args args;
	int rc;

	memset(&args, 0, sizeof(args));
	if (set_name(args.name, sizeof(args.name), name) < 0)
		return error_set("delete subvolume '%s'", name);
	rc = ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY, &args);
	trace(rc, "ioctl(%d, BTRFS_IOC_SNAP_DESTROY, {name=\"%s\"})",
	      dirfd, name);
	if (rc < 0)
		return error_set("delete subvolume '%s'", name);
	return 0;
}
