/*
 * config.c - an image's run-time defaults, and user names inside it.
 *
 * Pulled images carry an image configuration (OCI image-spec
 * config.md, "config" object): Env, Entrypoint, Cmd, WorkingDir and
 * User. `run` uses them as Docker does: the command line replaces Cmd,
 * and Entrypoint, when set, comes before either.
 *
 * User names are looked up in the container's own /etc/passwd and
 * /etc/group (formats in passwd(5) and group(5)) by this file's parser,
 * never through libc's name service, which could load code from the
 * container into this privileged process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bocker.h"
#include "json.h"

#define CONFIG_MAX (1024 * 1024)	/* largest config.json read */

/* Copy a JSON array of strings into a NULL-terminated vector. */
static char **
string_vector(const struct json *array)
{
	const char *s;
	char **v;
	size_t n;
	size_t len;
	size_t i;

	if (array == NULL || json_typeof(array) == JSON_NULL)
		return NULL;
	n = json_len(array);
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s = json_string(json_index(array, i), &len);
		/* An argv string cannot carry U+0000. */
		if (s == NULL || strlen(s) != len ||
		    (v[i] = strdup(s)) == NULL) {
			config_free_vector(v);
			errno = EINVAL;
			return NULL;
		}
	}
	return v;
}

void
config_free_vector(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct image_config *c)
{
	config_free_vector(c->env);
	config_free_vector(c->entrypoint);
	config_free_vector(c->cmd);
	memset(c, 0, sizeof(*c));
}

static void
copy_string(const struct json *v, char *out, size_t size)
{
	const char *s;
	size_t len;

	s = json_string(v, &len);
	if (s != NULL && strlen(s) == len && len < size)
		memcpy(out, s, len + 1);
}

/*
 * Read config.json of an image directory into c. An image made by
 * `init` has none, which leaves c empty.
 */
int
config_load(int dirfd, struct image_config *c)
{
	const struct json *config;
	struct json_error err;
	struct json *root;
	char *text;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	text = malloc(CONFIG_MAX);
	if (text == NULL)
		return -1;
	n = file_read(dirfd, "config.json", text, CONFIG_MAX);
	if (n < 0) {
		free(text);
		return errno == ENOENT ? 0 : -1;
	}
	root = json_parse(text, n, &err);
	free(text);
	if (root == NULL)
		return error_set("image config: %s at byte %zu", err.reason,
				 err.offset);
	config = json_get(root, "config");
	c->env = string_vector(json_get(config, "Env"));
	c->entrypoint = string_vector(json_get(config, "Entrypoint"));
	c->cmd = string_vector(json_get(config, "Cmd"));
	copy_string(json_get(config, "WorkingDir"), c->workdir,
		    sizeof(c->workdir));
	copy_string(json_get(config, "User"), c->user, sizeof(c->user));
	json_free(root);
	return 0;
}

/*
 * The command to run: Entrypoint, then the command line's arguments or
 * else Cmd. NULL with EINVAL when that leaves nothing to run.
 */
char **
config_argv(const struct image_config *c, char **args)
{
	char **tail;
	char **v;
	size_t n;
	size_t i;

	tail = args != NULL && args[0] != NULL ? args : c->cmd;
	n = 0;
	for (i = 0; c->entrypoint && c->entrypoint[i]; i++)
		n++;
	for (i = 0; tail && tail[i]; i++)
		n++;
	if (n == 0) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	n = 0;
	for (i = 0; c->entrypoint && c->entrypoint[i]; i++)
		v[n++] = c->entrypoint[i];
	for (i = 0; tail && tail[i]; i++)
		v[n++] = tail[i];
	return v;
}

/*
 * Find the line of a passwd(5) or group(5) file whose first field is
 * name, or whose third field (the id) is name when by_id; split it into
 * fields. Returns the number of fields, 0 when there is no such line.
 */
static int
find_entry(const char *file, const char *name, int by_id, char *line,
	   size_t size, char **fields, int max)
{
	FILE *f;
	int n;
	char *p;

	f = fopen(file, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, size, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (n = 0, p = line; n < max && p != NULL; n++) {
			fields[n] = p;
			p = strchr(p, ':');
			if (p != NULL)
				*p++ = '\0';
		}
		if (n >= 4 && !strcmp(fields[by_id ? 2 : 0], name)) {
			(void)fclose(f);
			return n;
		}
	}
	(void)fclose(f);
	return 0;
}

static int
parse_id(const char *s, long *id)
{
	char *end;

	errno = 0;
	*id = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *id >= 0 &&
	       *id < 0x7fffffffL;
}

/*
 * Resolve a User value ("name", "uid", "name:group", "uid:gid") in the
 * current root. A numeric uid need not exist in /etc/passwd, as in
 * Docker; a name must. home gets the user's home directory, or "/".
 */
int
config_user(const char *spec, uid_t *uid, gid_t *gid, char *home,
	    size_t size)
{
	char user[256];
	char line[1024];
	char *fields[7];
	char *group;
	long id;
	int n;

	snprintf(user, sizeof(user), "%s", spec);
	group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	snprintf(home, size, "/");
	n = find_entry("/etc/passwd", user, parse_id(user, &id), line,
		       sizeof(line), fields, 7);
	if (n == 0 && !parse_id(user, &id)) {
		errno = ENOENT;
		return error_set("find user '%s' in the image", user);
	}
	*uid = n ? (uid_t)atol(fields[2]) : (uid_t)id;
	*gid = n ? (gid_t)atol(fields[3]) : 0;
	if (n >= 6)
		snprintf(home, size, "%s", fields[5]);
	if (group == NULL)
		return 0;
	if (parse_id(group, &id)) {
		*gid = id;
		return 0;
	}
	if (find_entry("/etc/group", group, 0, line, sizeof(line), fields,
		       4) == 0) {
		errno = ENOENT;
		return error_set("find group '%s' in the image", group);
	}
	*gid = (gid_t)atol(fields[2]);
	return 0;
}
