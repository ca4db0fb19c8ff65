/*
 * cgroup.c - cpu, memory and pids limits through cgroupfs, v1 and v2.
 *
 * The kernel documents both versions in Documentation/admin-guide/
 * cgroup-v1/ and cgroup-v2.rst; cgroups(7) gives the overview. Hosts mix
 * them: each controller is looked up on its own, first as a v1 hierarchy
 * (a "cgroup" mount with the controller in its options), then in the
 * unified v2 hierarchy (a "cgroup2" mount listing it in
 * cgroup.controllers). A container's cgroup is <hierarchy>/<parent>/<id>.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"

static const char *const controllers[] = { "cpu", "memory", "pids" };

#define NCONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

/* Does the comma-separated list contain word? */
static int
has_word(const char *list, const char *word)
{
	size_t len;

	len = strlen(word);
	while (list != NULL && *list) {
		if (!strncmp(list, word, len) &&
		    (list[len] == ',' || list[len] == '\0' ||
		     list[len] == ' ' || list[len] == '\n'))
			return 1;
		list = strpbrk(list, ", ");
		if (list != NULL)
			list++;
	}
	return 0;
}

/*
 * Find the mount point of the hierarchy holding controller (or the
 * unified one when controller is NULL) in /proc/self/mountinfo, whose
 * fields are described in proc(5).
 */
static int
find_mount(const char *controller, char *mnt, size_t size)
{
	char line[4096];
	char point[1024];
	char fstype[64];
	char options[1024];
	char *sep;
	FILE *f;
	int found;

	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return -1;
	found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		sep = strstr(line, " - ");
		if (sep == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %1023s", point) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, options) != 2)
			continue;
		if (controller == NULL)
			found = !strcmp(fstype, "cgroup2");
		else
			found = !strcmp(fstype, "cgroup") &&
				has_word(options, controller);
	}
	(void)fclose(f);
	if (!found)
		return -1;
	snprintf(mnt, size, "%s", point);
	return 0;
}

/*
 * The cgroup this process is in for controller, from /proc/self/cgroup
 * ("ID:controllers:path" lines; v2 is "0::path").
 */
static int
own_path(const char *controller, char *path, size_t size)
{
	char line[4096];
	char *names;
	char *p;
	FILE *f;
	int found;

	f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return -1;
	found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		names = strchr(line, ':');
		p = names ? strchr(names + 1, ':') : NULL;
		if (p == NULL)
			continue;
		*p++ = '\0';
		names++;
		if (controller == NULL ? *names == '\0'
				       : has_word(names, controller)) {
			snprintf(path, size, "%s", p);
			found = 1;
		}
	}
	(void)fclose(f);
	return found ? 0 : -1;
}

/* Join the hierarchy's mount, this process's path and the parent. */
static void
parent_dir(const char *mnt, const char *self, char *dir, size_t size)
{
	const char *parent;

	parent = getenv("BOCKER_CGROUP_PARENT");
	if (parent == NULL || *parent == '\0')
		parent = "/bocker";
	if (parent[0] == '/')
		snprintf(dir, size, "%s%s", mnt, parent);
	else
		snprintf(dir, size, "%s%s%s%s", mnt, self,
			 strcmp(self, "/") ? "/" : "", parent);
}

/* Is controller available in the v2 hierarchy at mnt? */
static int
v2_has(const char *mnt, const char *controller)
{
	char path[4200];
	char list[1024];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (file_read(AT_FDCWD, path, list, sizeof(list)) < 0)
		return 0;
	return has_word(list, controller);
}

/* Add the directory for one controller, sharing it when already there. */
static void
add_dir(struct cgroup *cg, const char *dir, int v2, int controller)
{
	int i;

	for (i = 0; i < cg->ndirs; i++)
		if (!strcmp(cg->dirs[i].path, dir))
			break;
	if (i == cg->ndirs) {
		snprintf(cg->dirs[i].path, sizeof(cg->dirs[i].path), "%s",
			 dir);
		cg->dirs[i].v2 = v2;
		cg->dirs[i].controllers = 0;
		cg->ndirs++;
	}
	cg->dirs[i].controllers |= 1u << controller;
}

/*
 * Work out where the cgroups of container id live, one directory per
 * hierarchy. BOCKER_CGROUP_V2_ROOT names a directory to use as a v2
 * hierarchy for every controller (for tests, or a cgroup2 mounted
 * elsewhere).
 */
int
cgroup_open(struct cgroup *cg, const char *id)
{
	char mnt[1024];
	char self[1024];
	char dir[CGROUP_PATH_MAX];
	const char *forced;
	size_t i;
	int v2;

	memset(cg, 0, sizeof(*cg));
	forced = getenv("BOCKER_CGROUP_V2_ROOT");
	for (i = 0; i < NCONTROLLERS; i++) {
		v2 = 0;
		if (forced != NULL && *forced != '\0') {
			snprintf(mnt, sizeof(mnt), "%s", forced);
			snprintf(self, sizeof(self), "/");
			v2 = 1;
		} else if (find_mount(controllers[i], mnt, sizeof(mnt)) < 0 ||
			   own_path(controllers[i], self, sizeof(self)) < 0) {
			if (find_mount(NULL, mnt, sizeof(mnt)) < 0 ||
			    !v2_has(mnt, controllers[i]) ||
			    own_path(NULL, self, sizeof(self)) < 0)
				continue;
			v2 = 1;
		}
		parent_dir(mnt, self, dir, sizeof(dir) - ID_LEN - 2);
		strcat(dir, "/");
		strcat(dir, id);
		add_dir(cg, dir, v2, i);
		cg->v1 |= !v2;
		cg->v2 |= v2;
	}
	return 0;
}

/*
 * Which versions hold this host's cpu, memory and pids controllers: "1",
 * "2", or "hybrid" when some are on each.
 */
const char *
cgroup_version(void)
{
	struct cgroup cg;

	(void)cgroup_open(&cg, "x");
	if (cg.v1 && cg.v2)
		return "hybrid";
	if (cg.v2)
		return "2";
	if (cg.v1)
		return "1";
	return "none";
}

/* Where the unified (v2) hierarchy is mounted, if it is. */
int
cgroup_unified_mount(char *mnt, size_t size)
{
	return find_mount(NULL, mnt, size);
}

static int
write_value(const char *dir, const char *file, const char *value)
{
	char path[CGROUP_PATH_MAX + 64];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	rc = file_write(AT_FDCWD, path, value, getenv("BOCKER_CGROUP_V2_ROOT")
			? O_CREAT | O_TRUNC : 0);
	trace(rc, "write(\"%s\", \"%s\")", path, value);
	return rc;
}

/*
 * On v2 a controller's files appear in a cgroup only when its parent
 * lists the controller in cgroup.subtree_control, from the root down.
 */
static void
v2_enable(const char *dir)
{
	char parent[CGROUP_PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	if (write_value(parent, "cgroup.subtree_control",
			"+cpu +memory +pids") < 0)
		trace_note("cgroup.subtree_control of '%s' unchanged, "
			   "ignoring", parent);
}

/*
 * --cpus: a quota of CPU time per 100 ms period, cpu.max "quota period"
 * on v2, cpu.cfs_period_us and cpu.cfs_quota_us on v1.
 */
static int
cpu_quota(const char *dir, int v2, const struct limits *l)
{
	char value[64];

	if (v2) {
		snprintf(value, sizeof(value), "%ld 100000", l->cpu_quota_us);
		return write_value(dir, "cpu.max", value);
	}
	if (write_value(dir, "cpu.cfs_period_us", "100000") < 0)
		return -1;
	snprintf(value, sizeof(value), "%ld", l->cpu_quota_us);
	return write_value(dir, "cpu.cfs_quota_us", value);
}

/* Create the container's cgroups and set the limits. */
int
cgroup_create(struct cgroup *cg, const struct limits *l)
{
	char value[64];
	long weight;
	int i;

	for (i = 0; i < cg->ndirs; i++) {
		if (make_path(cg->dirs[i].path) < 0)
			return error_set("create cgroup '%s'",
					 cg->dirs[i].path);
		if (cg->dirs[i].v2)
			v2_enable(cg->dirs[i].path);
	}
	for (i = 0; i < cg->ndirs; i++) {
		const char *d = cg->dirs[i].path;
		unsigned c = cg->dirs[i].controllers;
		int v2 = cg->dirs[i].v2;

		if (c & 1) {
			/* cpu.shares 2..262144 maps onto cpu.weight 1..10000,
			 * the conversion runc and crun use. */
			weight = 1 + ((l->cpu_shares - 2) * 9999) / 262142;
			snprintf(value, sizeof(value), "%ld",
				 v2 ? weight : l->cpu_shares);
			if (write_value(d, v2 ? "cpu.weight" : "cpu.shares",
					value) < 0)
				return -1;
			if (l->cpu_quota_us > 0 && cpu_quota(d, v2, l) < 0)
				return -1;
		}
		if (c & 2) {
			snprintf(value, sizeof(value), "%lld",
				 l->memory_bytes);
			if (write_value(d, v2 ? "memory.max"
					      : "memory.limit_in_bytes",
					value) < 0)
				return -1;
		}
		if (c & 4) {
			snprintf(value, sizeof(value), "%ld", l->pids);
			if (write_value(d, "pids.max", value) < 0)
				return -1;
		}
	}
	return 0;
}

/* Move pid into every cgroup of the container. */
int
cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char value[32];
	int i;

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (i = 0; i < cg->ndirs; i++)
		if (write_value(cg->dirs[i].path, "cgroup.procs", value) < 0)
			return -1;
	return 0;
}

/*
 * Remove the container's cgroups. A cgroup can be removed only once its
 * last process has been reaped, which may lag the container's exit by a
 * moment, so EBUSY is retried for up to a second.
 */
int
cgroup_destroy(struct cgroup *cg)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int tries;
	int rc;
	int i;

	for (i = 0; i < cg->ndirs; i++) {
		const char *d = cg->dirs[i].path;

		if (getenv("BOCKER_CGROUP_V2_ROOT") != NULL) {
			rc = remove_tree(AT_FDCWD, d);
			trace(rc, "rmdir(\"%s\")", d);
			continue;
		}
		for (tries = 0; tries < 100; tries++) {
			rc = rmdir(d);
			if (rc == 0 || errno != EBUSY)
				break;
			(void)nanosleep(&pause, NULL);
		}
		trace(rc, "rmdir(\"%s\")", d);
		if (rc < 0 && errno != ENOENT)
			return error_set("remove cgroup '%s'", d);
	}
	return 0;
}

/*
 * Remove every container cgroup below the parent whose container is not
 * running by live(): the cgroups a killed bocker left behind.
 */
int
cgroup_prune(int (*live)(const char *id, void *arg), void *arg)
{
	struct cgroup parent;
	struct cgroup one;
	struct dirent *d;
	char *slash;
	DIR *dir;
	int i;

	(void)cgroup_open(&parent, "x");
	for (i = 0; i < parent.ndirs; i++) {
		slash = strrchr(parent.dirs[i].path, '/');
		*slash = '\0';
		dir = opendir(parent.dirs[i].path);
		if (dir == NULL)
			continue;
		while ((d = readdir(dir)) != NULL) {
			if (strlen(d->d_name) != ID_LEN || live(d->d_name, arg))
				continue;
			(void)cgroup_open(&one, d->d_name);
			(void)cgroup_destroy(&one);
		}
		(void)closedir(dir);
	}
	return 0;
}
