/*
 * image.c - make images: `init` from a directory, `commit` from a
 * container.
 *
 * An image is ROOT/images/<id>/ with its root filesystem in rootfs/ (a
 * btrfs subvolume, or a plain directory for the overlay driver), where it
 * came from in source/, and its creation time in created/. It is built
 * under tmp/ and published with one rename, so `images` never lists a
 * half-made one.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"

/* Start tmp/<id> for a new image. */
int
image_build_start(struct build *b, struct store *s)
{
	char path[ID_LEN + 8];

	memset(b, 0, sizeof(*b));
	b->store = s;
	b->dirfd = -1;
	b->lockfd = store_tmp_create(s, b->id);
	if (b->lockfd < 0)
		return -1;
	snprintf(path, sizeof(path), "tmp/%s", b->id);
	snprintf(b->root, sizeof(b->root), "%s/%s/rootfs", s->root, path);
	b->dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC);
	if (b->dirfd < 0)
		return error_set("open '%s'", path);
	return 0;
}

/* Record where the image came from and when. */
int
image_build_describe(struct build *b, const char *source)
{
	char text[4200];

	snprintf(text, sizeof(text), "%s\n", source);
	if (file_write(b->dirfd, "source", text, O_CREAT | O_TRUNC) < 0)
		return -1;
	snprintf(text, sizeof(text), "%lld\n", now_ns());
	return file_write(b->dirfd, "created", text, O_CREAT | O_TRUNC);
}

/* Give up the build: nothing of it stays. */
int
image_build_abort(struct build *b)
{
	int saved;

	saved = errno;
	if (b->dirfd >= 0)
		(void)close(b->dirfd);
	if (b->lockfd >= 0)
		(void)store_destroy_tmp(b->store, b->id, b->lockfd);
	errno = saved;
	return -1;
}

int
image_build_empty_root(struct build *b)
{
	if (b->store->driver == DRIVER_BTRFS)
		return btrfs_subvol_create(b->dirfd, "rootfs");
	if (mkdirat(b->dirfd, "rootfs", 0755) < 0)
		return error_set("create '%s'", b->root);
	return 0;
}

/* Publish the build as images/<id>, or replace images/<replace>. */
int
image_build_finish(struct build *b, const char *replace, char *id)
{
	int rc;

	(void)close(b->dirfd);
	b->dirfd = -1;
	if (replace != NULL) {
		rc = store_replace(b->store, b->id, "images", replace,
				   b->lockfd);
		memcpy(id, replace, ID_LEN + 1);
	} else {
		rc = store_publish(b->store, b->id, "images", b->lockfd);
		memcpy(id, b->id, ID_LEN + 1);
	}
	b->lockfd = -1;
	return rc;
}

/* Copy the directory dir into a new image: the `init` command. */
int
image_init(struct store *s, const char *dir, char *id)
{
	char source[4096];
	struct build b;
	struct stat st;

	if (realpath(dir, source) == NULL || stat(source, &st) < 0)
		return error_set("'%s'", dir);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return error_set("'%s'", dir);
	}
	if (image_build_start(&b, s) < 0 || image_build_empty_root(&b) < 0 ||
	    copy_tree(source, b.root) < 0 ||
	    image_build_describe(&b, source) < 0)
		return image_build_abort(&b);
	return image_build_finish(&b, NULL, id);
}

/*
 * The overlay driver keeps a container as changes over its image, so a
 * commit copies the merged view. It is mounted read-only, with the
 * container's upper directory as the top lower layer (which a running
 * container's mount allows), in a mount namespace of this process only.
 */
static int
copy_merged(struct build *b, const char *container, const char *image)
{
	char options[3 * STORE_ROOT_MAX + 4 * ID_LEN];
	char target[STORE_ROOT_MAX + ID_LEN + 32];
	const char *root = b->store->root;
	int rc;

	rc = unshare(CLONE_NEWNS);
	trace(rc, "unshare(CLONE_NEWNS)");
	if (rc < 0)
		return error_set("unshare(CLONE_NEWNS)");
	rc = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	trace(rc, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)");
	if (rc < 0)
		return error_set("make mounts private");
	snprintf(target, sizeof(target), "%s/containers/%s/rootfs", root,
		 container);
	snprintf(options, sizeof(options),
		 "lowerdir=%s/containers/%s/upper:%s/images/%s/rootfs", root,
		 container, root, image);
	rc = mount("overlay", target, "overlay", MS_RDONLY, options);
	trace(rc, "mount(\"overlay\", \"%s\", \"overlay\", MS_RDONLY, "
	      "\"%s\")", target, options);
	if (rc < 0)
		return error_set("mount '%s'", target);
	rc = copy_tree(target, b->root);
	(void)umount2(target, MNT_DETACH);
	return rc;
}

static int
build_from_container(struct build *b, const char *container)
{
	char image[ID_LEN + 2];
	char path[ID_LEN + 32];
	int src;
	int rc;

	if (b->store->driver == DRIVER_OVERLAY) {
		if (store_read(b->store, "containers", container, "image",
			       image, sizeof(image)) < 0 ||
		    image_build_empty_root(b) < 0)
			return -1;
		image[strcspn(image, "\n")] = '\0';
		return copy_merged(b, container, image);
	}
	snprintf(path, sizeof(path), "containers/%s/rootfs", container);
	src = openat(b->store->rootfd, path, O_RDONLY | O_DIRECTORY |
		     O_CLOEXEC);
	if (src < 0)
		return error_set("open '%s'", path);
	rc = btrfs_snapshot(src, b->dirfd, "rootfs");
	(void)close(src);
	return rc;
}

struct user_check {
	const char *image;
	const char *except;
	char user[ID_LEN + 1];
};

static int
uses_image(struct store *s, const char *id, void *arg)
{
	struct user_check *c = arg;
	char image[ID_LEN + 2];

	if (c->except != NULL && !strcmp(id, c->except))
		return 0;
	if (store_read(s, "containers", id, "image", image,
		       sizeof(image)) < 0)
		return 0;
	if (strncmp(image, c->image, ID_LEN))
		return 0;
	memcpy(c->user, id, ID_LEN + 1);
	return 1;
}

/*
 * Find a container other than except that was made from image; its id
 * goes to user. Returns 1 when there is one.
 */
int
image_user(struct store *s, const char *image, const char *except,
	   char *user)
{
	struct user_check c;

	memset(&c, 0, sizeof(c));
	c.image = image;
	c.except = except;
	if (store_each(s, "containers", uses_image, &c) <= 0)
		return 0;
	memcpy(user, c.user, ID_LEN + 1);
	return 1;
}

/*
 * Does target name an existing image for commit to replace? Only its
 * source, or an id prefix as long as the ids `images` shows: a short
 * word such as "cafe" is a new image's name, not a prefix of some id.
 */
static int
names_image(struct store *s, const char *target, char *id)
{
	char source[4096];

	if (store_resolve(s, "images", target, id) < 0)
		return 0;
	if (strlen(target) >= SHORT_ID_LEN && !strncmp(id, target,
							 strlen(target)))
		return 1;
	if (store_read(s, "images", id, "source", source, sizeof(source)) < 0)
		return 0;
	source[strcspn(source, "\n")] = '\0';
	return !strcmp(source, target);
}

/*
 * Make an image of container: the `commit` command. When target names
 * an image (see names_image), that image's content is replaced and it
 * keeps its id; else a new image is made with target as its source.
 */
int
image_commit(struct store *s, const char *container, const char *target,
	     char *id)
{
	char existing[ID_LEN + 1];
	char source[4096];
	char user[ID_LEN + 1];
	const char *replace;
	struct build b;

	replace = NULL;
	snprintf(source, sizeof(source), "%s", target);
	if (names_image(s, target, existing)) {
		replace = existing;
		if (store_read(s, "images", existing, "source", source,
			       sizeof(source)) < 0)
			return -1;
		source[strcspn(source, "\n")] = '\0';
		/* Overlay containers read their image's files in place. */
		if (s->driver == DRIVER_OVERLAY &&
		    image_user(s, existing, container, user)) {
			errno = EBUSY;
			return error_set("replace image '%.*s' used by "
					 "container '%.*s'", SHORT_ID_LEN,
					 existing, SHORT_ID_LEN, user);
		}
	}
	if (image_build_start(&b, s) < 0 ||
	    build_from_container(&b, container) < 0 ||
	    image_build_describe(&b, source) < 0)
		return image_build_abort(&b);
	return image_build_finish(&b, replace, id);
}
