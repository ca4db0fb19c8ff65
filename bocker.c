/*
 * bocker.c - the command line: parse, dispatch, report errors once.
 *
 * Each command is one function below, listed in the table at the end.
 * The functions they call return -1 with errno and an error context set;
 * this file prints "bocker: <command>: <context>: <reason>" and picks the
 * exit code (125 for bocker's own failures, 126 and 127 when the
 * container's command cannot be run or found, else the container's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bocker.h"
#include "reference.h"

static const char *command_name = "bocker";

static const char usage_text[] =
	"usage: bocker [--trace] <command> [<args>...]\n"
	"\n"
	"  pull [-q] [--platform <os/arch>] [--ca-file <file>] "
	"[--insecure]\n"
	"       <name>[:<tag>|@<digest>] [<tag>]\n"
	"                                 fetch an image from a registry\n"
	"  init <directory>               make an image from a directory\n"
	"  images                         list images\n"
	"  ps                             list containers\n"
	"  run <image> [<command> [<arg>...]]\n"
	"                                 run a command in a new container\n"
	"  exec <container> <command> [<arg>...]\n"
	"                                 run a command in a running "
	"container\n"
	"  logs <container>               print a container's output\n"
	"  commit <container> <image>     make an image of a container\n"
	"  rm <id>...                     remove containers or images\n"
	"  cleanup                        remove what killed runs left\n"
	"  info                           show the store and network "
	"settings\n"
	"  help                           show this text\n"
	"\n"
	"Environment: BOCKER_ROOT, BOCKER_TRACE, BOCKER_CPU_SHARE,\n"
	"BOCKER_MEM_LIMIT (MB), BOCKER_PIDS_LIMIT, BOCKER_SUBNET,\n"
	"BOCKER_BRIDGE, BOCKER_CGROUP_PARENT, BOCKER_STORAGE_DRIVER,\n"
	"BOCKER_CA_FILE, BOCKER_REGISTRY_AUTH (user:password),\n"
	"BOCKER_INSECURE_REGISTRIES (host:port,...).\n";

/* Print "bocker: <command>: <fmt>" and, if err, ": <strerror(err)>". */
static void
report(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bocker: %s: ", command_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err != 0)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

/* Report the failed step recorded by error_set() and return 125. */
static int
fail(void)
{
	int err;

	err = errno;
	if (*error_context() != '\0')
		report(err, "%s", error_context());
	else
		report(err, "failed");
	return EXIT_ENGINE;
}

static int
usage_error(const char *what)
{
	report(0, "%s (see 'bocker help')", what);
	return EXIT_ENGINE;
}

/* Resolve ref to a container id, or report it missing and return -1. */
static int
find_container(struct store *s, const char *ref, char *id)
{
	if (store_resolve(s, "containers", ref, id) == 0)
		return 0;
	if (errno == EEXIST)
		report(0, "container id '%s' is ambiguous", ref);
	else if (errno == ENOENT)
		report(0, "no container named '%s' exists", ref);
	else
		(void)fail();
	return -1;
}

static int
find_image(struct store *s, const char *ref, char *id)
{
	struct reference r;
	char familiar[600];

	if (store_resolve(s, "images", ref, id) == 0)
		return 0;
	/* "busybox" names what `pull busybox` recorded: busybox:latest. */
	if (errno == ENOENT && reference_parse(&r, ref) == 0) {
		reference_format(&r, familiar, sizeof(familiar));
		if (store_resolve(s, "images", familiar, id) == 0)
			return 0;
	}
	if (errno == EEXIST)
		report(0, "image id '%s' is ambiguous", ref);
	else if (errno == ENOENT)
		report(0, "no image named '%s' exists", ref);
	else
		(void)fail();
	return -1;
}

/*
 * pull [-q] [--platform <os/arch>] [--ca-file <file>] [--insecure]
 *      <name>[:<tag>|@<digest>] [<tag>]
 * The second form, name then tag, is the original bocker's.
 */
static int
cmd_pull(struct store *s, int argc, char **argv)
{
	struct pull_options o;
	char name[1024];
	char id[ID_LEN + 1];
	int i;

	memset(&o, 0, sizeof(o));
	o.ca_file = getenv("BOCKER_CA_FILE");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			o.quiet = 1;
		else if (!strcmp(argv[i], "--insecure"))
			o.insecure = 1;
		else if (!strcmp(argv[i], "--platform") && i + 1 < argc)
			o.platform = argv[++i];
		else if (!strcmp(argv[i], "--ca-file") && i + 1 < argc)
			o.ca_file = argv[++i];
		else
			return usage_error("unknown pull option");
	}
	if (argc - i == 2)
		snprintf(name, sizeof(name), "%s:%s", argv[i], argv[i + 1]);
	else if (argc - i == 1)
		snprintf(name, sizeof(name), "%s", argv[i]);
	else
		return usage_error("expected an image name");
	if (pull_image(s, name, &o, id) < 0)
		return fail();
	printf("Created: %.*s\n", SHORT_ID_LEN, id);
	return 0;
}

static int
cmd_init(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];

	if (argc != 2)
		return usage_error("expected one directory");
	if (image_init(s, argv[1], id) < 0)
		return fail();
	printf("Created: %.*s\n", SHORT_ID_LEN, id);
	return 0;
}

/* An image or container and its creation time, for sorted listings. */
struct row {
	char id[ID_LEN + 1];
	long long created;
};

struct rows {
	struct row *row;
	size_t n;
	const char *kind;
};

static int
collect(struct store *s, const char *id, void *arg)
{
	struct rows *rows = arg;
	struct row *grown;
	char created[32];

	grown = realloc(rows->row, (rows->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return error_set("list %s", rows->kind);
	rows->row = grown;
	(void)store_read(s, rows->kind, id, "created", created,
			 sizeof(created));
	snprintf(grown[rows->n].id, ID_LEN + 1, "%s", id);
	grown[rows->n].created = atoll(created);
	rows->n++;
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const struct row *x = a;
	const struct row *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int
list(struct store *s, const char *kind, struct rows *rows)
{
	memset(rows, 0, sizeof(*rows));
	rows->kind = kind;
	if (store_each(s, kind, collect, rows) < 0) {
		free(rows->row);
		return -1;
	}
	qsort(rows->row, rows->n, sizeof(struct row), newest_first);
	return 0;
}

static int
cmd_images(struct store *s, int argc, char **argv)
{
	char source[4096];
	struct rows rows;
	size_t i;

	(void)argv;
	if (argc != 1)
		return usage_error("images takes no arguments");
	if (list(s, "images", &rows) < 0)
		return fail();
	printf("%-14s %s\n", "IMAGE ID", "SOURCE");
	for (i = 0; i < rows.n; i++) {
		(void)store_read(s, "images", rows.row[i].id, "source", source,
				 sizeof(source));
		source[strcspn(source, "\n")] = '\0';
		printf("%-14.*s %s\n", SHORT_ID_LEN, rows.row[i].id, source);
	}
	free(rows.row);
	return 0;
}

/* "running", "exited (N)", or "dead" when its bocker was killed. */
static void
status_text(struct store *s, const char *id, char *buf, size_t size)
{
	char state[256];
	char *exit_code;

	if (container_running(s, id)) {
		snprintf(buf, size, "running");
		return;
	}
	(void)store_read(s, "containers", id, "state", state, sizeof(state));
	exit_code = strstr(state, "exit=");
	if (strstr(state, "status=exited") != NULL && exit_code != NULL)
		snprintf(buf, size, "exited (%d)", atoi(exit_code + 5));
	else
		snprintf(buf, size, "dead");
}

static int
cmd_ps(struct store *s, int argc, char **argv)
{
	char command[4096];
	char image[ID_LEN + 2];
	char status[32];
	struct rows rows;
	size_t i;

	(void)argv;
	if (argc != 1)
		return usage_error("ps takes no arguments");
	if (list(s, "containers", &rows) < 0)
		return fail();
	printf("%-14s %-14s %-14s %s\n", "CONTAINER ID", "IMAGE", "STATUS",
	       "COMMAND");
	for (i = 0; i < rows.n; i++) {
		const char *id = rows.row[i].id;

		(void)store_read(s, "containers", id, "image", image,
				 sizeof(image));
		(void)store_read(s, "containers", id, "command", command,
				 sizeof(command));
		command[strcspn(command, "\n")] = '\0';
		status_text(s, id, status, sizeof(status));
		printf("%-14.*s %-14.*s %-14s %s\n", SHORT_ID_LEN, id,
		       SHORT_ID_LEN, image, status, command);
	}
	free(rows.row);
	return 0;
}

static int
cmd_run(struct store *s, int argc, char **argv)
{
	char image[ID_LEN + 1];
	int status;

	if (argc < 2)
		return usage_error("missing image");
	if (find_image(s, argv[1], image) < 0)
		return EXIT_ENGINE;
	if (container_run(s, image, argv + 2, &status) < 0) {
		(void)fail();
		return status;
	}
	return status;
}

static int
cmd_exec(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	int status;

	if (argc < 3)
		return usage_error("expected a container and a command");
	if (find_container(s, argv[1], id) < 0)
		return EXIT_ENGINE;
	if (!container_running(s, id)) {
		report(0, "container '%s' exists but is not running",
		       argv[1]);
		return EXIT_ENGINE;
	}
	if (container_exec(s, id, argv + 2, &status) < 0) {
		(void)fail();
		return status;
	}
	return status;
}

static int
cmd_logs(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	char path[ID_LEN + 32];
	char buf[65536];
	ssize_t n;
	int fd;

	if (argc != 2)
		return usage_error("expected one container");
	if (find_container(s, argv[1], id) < 0)
		return EXIT_ENGINE;
	snprintf(path, sizeof(path), "containers/%s/log", id);
	fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		error_set("open '%s'", path);
		return fail();
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			break;
	(void)close(fd);
	return 0;
}

static int
cmd_commit(struct store *s, int argc, char **argv)
{
	char container[ID_LEN + 1];
	char id[ID_LEN + 1];

	if (argc != 3)
		return usage_error("expected a container and an image");
	if (find_container(s, argv[1], container) < 0)
		return EXIT_ENGINE;
	if (image_commit(s, container, argv[2], id) < 0)
		return fail();
	printf("Created: %.*s\n", SHORT_ID_LEN, id);
	return 0;
}

static int
remove_container(struct store *s, const char *ref, const char *id)
{
	struct cgroup cg;

	if (container_running(s, id)) {
		report(0, "cannot remove running container '%s'", ref);
		return -1;
	}
	if (cgroup_open(&cg, id) == 0)
		(void)cgroup_destroy(&cg);
	if (store_remove(s, "containers", id) < 0)
		return fail(), -1;
	return 0;
}

static int
remove_image(struct store *s, const char *ref, const char *id)
{
	char user[ID_LEN + 1];

	if (image_user(s, id, NULL, user)) {
		report(0, "cannot remove image '%s': container '%.*s' uses it",
		       ref, SHORT_ID_LEN, user);
		return -1;
	}
	if (store_remove(s, "images", id) < 0)
		return fail(), -1;
	return 0;
}

static int
cmd_rm(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	int status;
	int i;

	if (argc < 2)
		return usage_error("expected at least one id");
	status = 0;
	for (i = 1; i < argc; i++) {
		if (store_resolve(s, "containers", argv[i], id) == 0) {
			if (remove_container(s, argv[i], id) < 0)
				status = EXIT_ENGINE;
			else
				printf("%s\n", argv[i]);
		} else if (store_resolve(s, "images", argv[i], id) == 0) {
			if (remove_image(s, argv[i], id) < 0)
				status = EXIT_ENGINE;
			else
				printf("%s\n", argv[i]);
		} else {
			report(0, "no container or image named '%s' exists",
			       argv[i]);
			status = EXIT_ENGINE;
		}
	}
	return status;
}

/* Remove tmp/ entries whose lock is free: builds of bockers that died. */
static int
clean_tmp_entry(struct store *s, const char *name, void *arg)
{
	char lock[ID_LEN + 16];
	char base[ID_LEN + 1];
	size_t len;

	(void)arg;
	len = strcspn(name, ".");
	if (len != ID_LEN)
		return 0;
	memcpy(base, name, ID_LEN);
	base[ID_LEN] = '\0';
	snprintf(lock, sizeof(lock), "tmp/%s.lock", base);
	if (store_lock_is_free(s->rootfd, lock) != 1)
		return 0;
	trace_note("tmp/%s was left by a bocker that died", base);
	if (store_destroy_tmp(s, base, -1) < 0)
		report(errno, "%s, ignoring", error_context());
	return 0;
}

/* Remove address leases whose lock is free. */
static int
clean_lease(struct store *s, const char *name, void *arg)
{
	char path[64];

	(void)arg;
	snprintf(path, sizeof(path), "net/%s", name);
	if (store_lock_is_free(s->rootfd, path) == 1)
		(void)unlinkat(s->rootfd, path, 0);
	return 0;
}

static int
is_live(const char *id, void *arg)
{
	return container_running(arg, id);
}

/* Is some running container's id the 11 hex digits of "veth<hex>"? */
static int
veth_owner_running(struct store *s, const char *name)
{
	char id[ID_LEN + 1];

	if (store_resolve(s, "containers", name + 4, id) < 0)
		return 0;
	return container_running(s, id);
}

static int
clean_veth(const char *name, void *arg)
{
	if (strncmp(name, "veth", 4) || strlen(name) != 15 ||
	    strspn(name + 4, "0123456789abcdef") != 11)
		return 0;
	if (veth_owner_running(arg, name))
		return 0;
	if (netlink_link_delete(name) < 0 && errno != ENODEV)
		report(errno, "%s, ignoring", error_context());
	return 0;
}

/*
 * Remove what bockers killed hard left behind: unfinished builds and
 * removals under tmp/, stale address leases, cgroups of containers that
 * are not running, and veth ends without a running container. The store
 * is locked exclusively, so no other bocker is between steps meanwhile.
 */
static int
cmd_cleanup(struct store *s, int argc, char **argv)
{
	int lock;

	(void)argv;
	if (argc != 1)
		return usage_error("cleanup takes no arguments");
	lock = store_lock(s, LOCK_EX);
	if (lock < 0)
		return fail();
	(void)store_each(s, "tmp", clean_tmp_entry, NULL);
	(void)store_each(s, "net", clean_lease, NULL);
	(void)cgroup_prune(is_live, s);
	if (netlink_each_link(clean_veth, s) < 0)
		report(errno, "%s, ignoring", error_context());
	store_unlock(lock);
	return 0;
}

static int
cmd_info(struct store *s, int argc, char **argv)
{
	struct network n;
	char mnt[1024];

	(void)argv;
	if (argc != 1)
		return usage_error("info takes no arguments");
	if (network_config(&n) < 0)
		return fail();
	printf("Root: %s\n", s->root);
	printf("Storage Driver: %s\n", store_driver_name(s));
	printf("Cgroup Version: %s\n", cgroup_version());
	/* On a hybrid host the controllers stay on v1 beside this mount. */
	if (cgroup_unified_mount(mnt, sizeof(mnt)) == 0)
		printf("Cgroup2 Mount: %s\n", mnt);
	printf("Bridge: %s\n", n.bridge);
	printf("Subnet: %s\n", n.subnet_text);
	return 0;
}

static int
cmd_help(struct store *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	fputs(usage_text, stdout);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(struct store *s, int argc, char **argv);
	int needs_store;
} commands[] = {
	{ "pull", cmd_pull, 1 },
	{ "init", cmd_init, 1 },
	{ "images", cmd_images, 1 },
	{ "ps", cmd_ps, 1 },
	{ "run", cmd_run, 1 },
	{ "exec", cmd_exec, 1 },
	{ "logs", cmd_logs, 1 },
	{ "commit", cmd_commit, 1 },
	{ "rm", cmd_rm, 1 },
	{ "cleanup", cmd_cleanup, 1 },
	{ "info", cmd_info, 1 },
	{ "help", cmd_help, 0 },
};

int
main(int argc, char **argv)
{
	const struct command *c;
	const char *env;
	struct store s;
	int tracing;
	size_t i;
	int rc;

	env = getenv("BOCKER_TRACE");
	tracing = env != NULL && *env != '\0' && strcmp(env, "0");
	argv++;
	argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--trace"))
			tracing = 1;
		else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
			return cmd_help(NULL, 0, NULL);
		else
			return usage_error("unknown option");
		argv++;
		argc--;
	}
	if (argc == 0) {
		fputs(usage_text, stderr);
		return EXIT_ENGINE;
	}
	trace_init(tracing);
	c = NULL;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			c = &commands[i];
	if (c == NULL) {
		report(0, "unknown command '%s'", argv[0]);
		return EXIT_ENGINE;
	}
	command_name = c->name;
	if (c->needs_store && store_open(&s) < 0)
		return fail();
	rc = c->fn(&s, argc, argv);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_ENGINE;
	return rc;
}
