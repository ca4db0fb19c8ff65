/*
 * bocker.c - the command line: parse, dispatch, report errors once.
 *
 * Each command is one function below, listed in the table at the end.
 * The functions they call return -1 with errno and an error context set.
 * This file prints "bocker: <command>: <context>: <reason>" and picks the
 * exit code: 125 for bocker's own failures, 126 and 127 when the
 * container's command cannot be run or is not found, else the
 * container's own status.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/file.h>
#include <unistd.h>

#include "bocker.h"
#include "reference.h"

static const char *command_name;	/* NULL before one is known */

static const char usage_text[] =
	"usage: bocker [--trace] <command> [<args>...]\n"
	"\n"
	"  pull [-q] [--platform <os/arch>] [--ca-file <file>] "
	"[--insecure]\n"
	"       <name>[:<tag>|@<digest>] [<tag>]\n"
	"                                 fetch an image from a registry\n"
	"  init <directory>               make an image from a directory\n"
	"  images                         list images\n"
	"  ps [-a]                        list running (-a: all) "
	"containers\n"
	"  run [<option>...] <image> [<command> [<arg>...]]\n"
	"                                 run a command in a new container\n"
	"      -d, --detach               run in the background, print the "
	"id\n"
	"      -i, --interactive          copy stdin to the container\n"
	"      -t, --tty                  give the container a "
	"pseudo-terminal\n"
	"      --name <name>              name the container\n"
	"      -e, --env <name>[=<value>] set a variable; --env-file <file>\n"
	"      -v, --volume /host:/path[:ro]   bind a host directory or file\n"
	"      --tmpfs /path              mount an empty tmpfs\n"
	"      -w, --workdir /path        -u, --user <user>[:<group>]\n"
	"      -h, --hostname <name>      --entrypoint <program>\n"
	"      -m, --memory <size>[k|m|g] --cpu-shares <n>  --cpus <n>\n"
	"      --pids-limit <n>           --read-only  --rm\n"
	"      -p, --publish [<ip>:][<host port>:]<port>[/tcp|/udp]\n"
	"                                 forward a host port\n"
	"      --network bridge|none|host\n"
	"  exec [-i] [-t] <container> <command> [<arg>...]\n"
	"                                 run a command in a running "
	"container\n"
	"  start [-a] <container>...      run stopped containers again "
	"(-a: attached)\n"
	"  logs [-f] [--tail <n>] <container>\n"
	"                                 print a container's output\n"
	"  stop [-t <seconds>] <container>...\n"
	"                                 SIGTERM, then SIGKILL\n"
	"  kill [-s <signal>] <container>...\n"
	"                                 send a signal (SIGKILL)\n"
	"  wait <container>...            wait for the end, print the exit "
	"code\n"
	"  commit <container> <image>     make an image of a container\n"
	"  rm [-f] <id>...                remove containers or images\n"
	"  rmi <image>...                 remove images, or one name of "
	"several\n"
	"  tag <image> <name>[:<tag>]     give an image another name\n"
	"  inspect [--type container|image] <name|id>...\n"
	"                                 show details as JSON\n"
	"  prune                          remove containers that are not "
	"running\n"
	"  cleanup                        remove what killed runs left\n"
	"  info                           show the store and network "
	"settings\n"
	"  version                        show bocker's version\n"
	"  help                           show this text\n"
	"\n"
	"Environment: BOCKER_ROOT, BOCKER_TRACE, BOCKER_CPU_SHARE,\n"
	"BOCKER_MEM_LIMIT (MiB), BOCKER_PIDS_LIMIT, BOCKER_SUBNET,\n"
	"BOCKER_BRIDGE, BOCKER_CGROUP_PARENT, BOCKER_CGROUP_V2_ROOT,\n"
	"BOCKER_STORAGE_DRIVER,\n"
	"BOCKER_CA_FILE, BOCKER_REGISTRY_AUTH (user:password),\n"
	"BOCKER_INSECURE_REGISTRIES (host:port,...).\n";

/* Print "bocker: <command>: <fmt>" and, if err, ": <strerror(err)>". */
static void
report(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bocker: ");
	if (command_name != NULL)
		fprintf(stderr, "%s: ", command_name);
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

/* Resolve ref to an image id without reporting; errno as store_resolve. */
static int
resolve_image(struct store *s, const char *ref, char *id)
{
	struct reference r;
	char familiar[600];

	int err;

	if (store_resolve(s, "images", ref, id) == 0)
		return 0;
	err = errno;
	/* "busybox" names what `pull busybox` recorded: busybox:latest. */
	if (err == ENOENT && reference_parse(&r, ref) == 0) {
		reference_format(&r, familiar, sizeof(familiar));
		if (store_resolve(s, "images", familiar, id) == 0)
			return 0;
		err = errno;
	}
	errno = err;
	return -1;
}

static int
find_image(struct store *s, const char *ref, char *id)
{
	if (resolve_image(s, ref, id) == 0)
		return 0;
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
	/* qsort(3) must not get the NULL of an empty list. */
	if (rows->n > 1)
		qsort(rows->row, rows->n, sizeof(struct row), newest_first);
	return 0;
}

/*
 * images: one row a name, as Docker lists one row a tag. The names are
 * the source the image was made from, then those that `tag` gave it. An
 * image with no name left shows "<none>".
 */
static int
cmd_images(struct store *s, int argc, char **argv)
{
	char names[4096 + 16384];
	struct rows rows;
	const char *line;
	size_t len;
	size_t i;

	(void)argv;
	if (argc != 1)
		return usage_error("takes no arguments");
	if (list(s, "images", &rows) < 0)
		return fail();
	printf("%-14s %s\n", "IMAGE ID", "SOURCE/TAG");
	for (i = 0; i < rows.n; i++) {
		if (store_names(s, rows.row[i].id, names, sizeof(names)) < 0 ||
		    names[0] == '\0')
			snprintf(names, sizeof(names), "<none>\n");
		for (line = names; *line != '\0'; line += len + 1) {
			len = strcspn(line, "\n");
			printf("%-14.*s %.*s\n", SHORT_ID_LEN, rows.row[i].id,
			       (int)len, line);
			if (line[len] == '\0')
				break;
		}
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

/* ps [-a]: running containers, or all of them with -a, newest first. */
static int
cmd_ps(struct store *s, int argc, char **argv)
{
	char command[4096];
	char image[ID_LEN + 2];
	char name[300];
	char status[32];
	struct rows rows;
	int all;
	size_t i;

	all = argc == 2 &&
	      (!strcmp(argv[1], "-a") || !strcmp(argv[1], "--all"));
	if (argc != 1 + all)
		return usage_error("expected no argument but -a");
	if (list(s, "containers", &rows) < 0)
		return fail();
	printf("%-14s %-14s %-14s %-14s %s\n", "CONTAINER ID", "IMAGE",
	       "STATUS", "NAMES", "COMMAND");
	for (i = 0; i < rows.n; i++) {
		const char *id = rows.row[i].id;

		if (!all && !container_running(s, id))
			continue;
		(void)store_read(s, "containers", id, "name", name,
				 sizeof(name));
		(void)store_read(s, "containers", id, "image", image,
				 sizeof(image));
		(void)store_read(s, "containers", id, "command", command,
				 sizeof(command));
		command[strcspn(command, "\n")] = '\0';
		status_text(s, id, status, sizeof(status));
		printf("%-14.*s %-14.*s %-14s %-14s %s\n", SHORT_ID_LEN, id,
		       SHORT_ID_LEN, image, status, name, command);
	}
	free(rows.row);
	return 0;
}

/*
 * The value of option `name` at argv[*i]: "--name value", "--name=value"
 * or, for a short option, "-n value". NULL when argv[*i] is another
 * option; a missing value is reported and gives "".
 */
static const char *
option_value(int argc, char **argv, int *i, const char *name,
	     const char *short_name)
{
	const char *arg = argv[*i];
	size_t len = strlen(name);

	if (!strncmp(arg, name, len) && arg[len] == '=')
		return arg + len + 1;
	if (strcmp(arg, name) &&
	    (short_name == NULL || strcmp(arg, short_name)))
		return NULL;
	if (*i + 1 >= argc) {
		report(0, "option '%s' needs a value", arg);
		return "";
	}
	return argv[++*i];
}

/* A size with an optional b, k, m or g suffix (binary units), as -m. */
static long long
parse_size(const char *text)
{
	long long n;
	char *end;

	errno = 0;
	n = strtoll(text, &end, 10);
	/* No size needs more than 2^40 of its unit (a terabyte of GiB). */
	if (errno != 0 || end == text || n <= 0 || n > (1LL << 40))
		return -1;
	switch (*end == '\0' ? 'b' : *end | 0x20) {
	case 'b':
		break;
	case 'k':
		n <<= 10;
		break;
	case 'm':
		n <<= 20;
		break;
	case 'g':
		n <<= 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "b") &&
	    strcmp(end + 1, "B"))
		return -1;
	return n;
}

static long
parse_count(const char *text, long min, long max)
{
	long n;
	char *end;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n < min || n > max)
		return -1;
	return n;
}

/* Add "NAME=value", or "NAME" with the value from bocker's environment. */
static int
add_env(struct run_options *o, const char *spec)
{
	char **grown;
	const char *value;
	char *entry;

	if (*spec == '\0' || *spec == '=') {
		report(0, "invalid environment variable '%s'", spec);
		return -1;
	}
	if (strchr(spec, '=') != NULL) {
		entry = strdup(spec);
	} else {
		value = getenv(spec);
		if (value == NULL)
			return 0;	/* Docker drops an unset NAME */
		entry = malloc(strlen(spec) + strlen(value) + 2);
		if (entry != NULL)
			sprintf(entry, "%s=%s", spec, value);
	}
	grown = realloc(o->env, (o->nenv + 2) * sizeof(*grown));
	if (entry == NULL || grown == NULL) {
		free(entry);
		report(ENOMEM, "environment");
		return -1;
	}
	o->env = grown;
	o->env[o->nenv++] = entry;
	o->env[o->nenv] = NULL;
	return 0;
}

/* Read an --env-file: NAME=value lines; blank lines and # comments. */
static int
add_env_file(struct run_options *o, const char *path)
{
	char line[8192];
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (f == NULL) {
		report(errno, "open env file '%s'", path);
		return -1;
	}
	rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		rc = add_env(o, line);
	}
	(void)fclose(f);
	return rc;
}

static struct mount_spec *
add_mount(struct run_options *o)
{
	struct mount_spec *grown;

	grown = realloc(o->mounts, (o->nmounts + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	o->mounts = grown;
	memset(&grown[o->nmounts], 0, sizeof(*grown));
	return &grown[o->nmounts++];
}

/* -v HOST:CONTAINER[:ro|:rw]; a missing HOST directory is created. */
static int
add_volume(struct run_options *o, const char *spec)
{
	struct mount_spec *m = NULL;
	char copy[8192];
	char *target;
	char *mode;

	snprintf(copy, sizeof(copy), "%s", spec);
	target = strchr(copy, ':');
	if (target != NULL)
		*target++ = '\0';
	mode = target ? strchr(target, ':') : NULL;
	if (mode != NULL)
		*mode++ = '\0';
	if (target == NULL || copy[0] != '/' || target[0] != '/' ||
	    strlen(copy) >= sizeof(m->source) ||
	    strlen(target) >= sizeof(m->target) ||
	    (mode != NULL && strcmp(mode, "ro") && strcmp(mode, "rw"))) {
		report(0, "invalid volume '%s' (expected /host/path:/path"
		       "[:ro]; named volumes are not supported)", spec);
		return -1;
	}
	if (make_path(copy) < 0) {
		report(errno, "create volume directory '%s'", copy);
		return -1;
	}
	m = add_mount(o);
	if (m == NULL)
		return -1;
	snprintf(m->source, sizeof(m->source), "%.4095s", copy);
	snprintf(m->target, sizeof(m->target), "%.4095s", target);
	m->read_only = mode != NULL && !strcmp(mode, "ro");
	return 0;
}

static int
add_tmpfs(struct run_options *o, const char *target)
{
	struct mount_spec *m;

	if (target[0] != '/') {
		report(0, "invalid tmpfs path '%s' (must be absolute)", target);
		return -1;
	}
	m = add_mount(o);
	if (m == NULL)
		return -1;
	snprintf(m->target, sizeof(m->target), "%.*s", (int)strcspn(target,
		 ":"), target);
	return 0;
}

/* Report an invalid option value; returns -1 for run_option. */
static int
invalid(const char *what, const char *value, const char *expected)
{
	report(0, "invalid %s '%s'%s%s%s", what, value,
	       expected ? " (" : "", expected ? expected : "",
	       expected ? ")" : "");
	return -1;
}

/* A port number 1..65535 at text; "" is 0 when empty is allowed. */
static long
parse_port(const char *text, int empty_ok)
{
	if (*text == '\0')
		return empty_ok ? 0 : -1;
	return parse_count(text, 1, 65535);
}

/*
 * -p [ip:][hostPort:]containerPort[/tcp|/udp]. No host port (or an empty
 * one) lets the kernel pick a free one, as Docker does.
 */
static int
add_port(struct run_options *o, const char *spec)
{
	struct port_spec p;
	struct port_spec *grown;
	char copy[128];
	char *field[3];
	char *proto;
	size_t n;
	long host;
	long port;
	struct in_addr a;

	memset(&p, 0, sizeof(p));
	n = 0;
	if (strlen(spec) >= sizeof(copy))
		goto bad;
	snprintf(copy, sizeof(copy), "%s", spec);
	p.protocol = IPPROTO_TCP;
	proto = strchr(copy, '/');
	if (proto != NULL) {
		*proto++ = '\0';
		if (!strcmp(proto, "udp"))
			p.protocol = IPPROTO_UDP;
		else if (strcmp(proto, "tcp"))
			goto bad;
	}
	field[n++] = copy;
	while (n < 3 && (field[n] = strchr(field[n - 1], ':')) != NULL)
		*field[n++]++ = '\0';
	if (strchr(field[n - 1], ':') != NULL)
		goto bad;
	port = parse_port(field[n - 1], 0);
	host = n >= 2 ? parse_port(field[n - 2], 1) : 0;
	if (port < 0 || host < 0)
		goto bad;
	if (n == 3 && field[0][0] != '\0') {
		if (inet_pton(AF_INET, field[0], &a) != 1)
			goto bad;
		p.host_ip = a.s_addr;
	}
	p.host_port = host;
	p.container_port = port;
	grown = realloc(o->ports, (o->nports + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	o->ports = grown;
	o->ports[o->nports++] = p;
	return 0;
bad:
	return invalid("port", spec, "expected [ip:]hostPort:containerPort"
		       "[/tcp|/udp]");
}

/* Boolean short options, alone or clustered as in "-dit". */
static int
short_flags(struct run_options *o, const char *arg)
{
	const char *p;

	for (p = arg + 1; *p; p++) {
		if (*p == 'd')
			o->detach = 1;
		else if (*p == 'i')
			o->interactive = 1;
		else if (*p == 't')
			o->tty = 1;
		else
			return 1;
	}
	return 0;
}

static int
valid_name(const char *v)
{
	return isalnum((unsigned char)v[0]) &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") == strlen(v);
}

/* --cpus: a decimal number of CPUs, as CPU time per 100 ms period. */
static long
parse_cpus(const char *v)
{
	double cpus;
	char *end;

	cpus = strtod(v, &end);
	if (end == v || *end != '\0' || strpbrk(v, "xXpP") != NULL ||
	    cpus < 0.01 || cpus > 1024)
		return -1;
	return (long)(cpus * 100000);
}

static int
parse_network(const char *v, enum network_mode *mode)
{
	if (!strcmp(v, "bridge") || !strcmp(v, "default"))
		*mode = NETWORK_BRIDGE;
	else if (!strcmp(v, "none"))
		*mode = NETWORK_NONE;
	else if (!strcmp(v, "host"))
		*mode = NETWORK_HOST;
	else
		return -1;
	return 0;
}

/* The options of run that take no value. */
static int
run_flag(struct run_options *o, const char *arg)
{
	if (!strcmp(arg, "--detach"))
		o->detach = 1;
	else if (!strcmp(arg, "--rm"))
		o->remove = 1;
	else if (!strcmp(arg, "--read-only"))
		o->read_only = 1;
	else if (!strcmp(arg, "--interactive"))
		o->interactive = 1;
	else if (!strcmp(arg, "--tty"))
		o->tty = 1;
	else if (arg[1] != '-' && strspn(arg + 1, "dit") == strlen(arg + 1))
		return short_flags(o, arg);
	else
		return 1;
	return 0;
}

/*
 * One option of `run` at argv[*i]: 0 when taken, -1 after reporting a
 * bad value, 1 when it is no option of run's. Flat dispatch, one option
 * a paragraph.
 */
static int
run_option(struct run_options *o, int argc, char **argv, int *i)
{
	const char *v;
	int rc;

	rc = run_flag(o, argv[*i]);
	if (rc <= 0)
		return rc;
	if ((v = option_value(argc, argv, i, "--name", NULL)) != NULL) {
		o->name = v;
		return valid_name(v) ? 0 : invalid("container name", v, NULL);
	}
	if ((v = option_value(argc, argv, i, "--env", "-e")) != NULL)
		return add_env(o, v);
	if ((v = option_value(argc, argv, i, "--env-file", NULL)) != NULL)
		return add_env_file(o, v);
	if ((v = option_value(argc, argv, i, "--volume", "-v")) != NULL)
		return add_volume(o, v);
	if ((v = option_value(argc, argv, i, "--tmpfs", NULL)) != NULL)
		return add_tmpfs(o, v);
	if ((v = option_value(argc, argv, i, "--workdir", "-w")) != NULL) {
		o->workdir = v;
		return *v == '/' ? 0 :
			invalid("workdir", v, "must be absolute");
	}
	if ((v = option_value(argc, argv, i, "--user", "-u")) != NULL) {
		o->user = v;
		return 0;
	}
	if ((v = option_value(argc, argv, i, "--hostname", "-h")) != NULL) {
		o->hostname = v;
		return *v && strlen(v) < 64 ? 0 : invalid("hostname", v, NULL);
	}
	if ((v = option_value(argc, argv, i, "--entrypoint", NULL)) != NULL) {
		o->entrypoint = v;
		return 0;
	}
	if ((v = option_value(argc, argv, i, "--memory", "-m")) != NULL) {
		o->memory_bytes = parse_size(v);
		return o->memory_bytes >= (6 << 20) ? 0 :
			invalid("memory limit", v, "at least 6m");
	}
	if ((v = option_value(argc, argv, i, "--cpu-shares", "-c")) != NULL) {
		o->cpu_shares = parse_count(v, 2, 262144);
		return o->cpu_shares > 0 ? 0 :
			invalid("cpu shares", v, "2 to 262144");
	}
	if ((v = option_value(argc, argv, i, "--pids-limit", NULL)) != NULL) {
		o->pids = parse_count(v, 1, 1L << 22);
		return o->pids > 0 ? 0 : invalid("pids limit", v, NULL);
	}
	if ((v = option_value(argc, argv, i, "--cpus", NULL)) != NULL) {
		o->cpu_quota_us = parse_cpus(v);
		return o->cpu_quota_us > 0 ? 0 :
			invalid("number of cpus", v, "0.01 to 1024");
	}
	if ((v = option_value(argc, argv, i, "--publish", "-p")) != NULL)
		return add_port(o, v);
	if ((v = option_value(argc, argv, i, "--network", "--net")) != NULL)
		return parse_network(v, &o->network) == 0 ? 0 :
			invalid("network", v, "bridge, none or host");
	return 1;
}

static void
free_options(struct run_options *o)
{
	size_t i;

	for (i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	free(o->mounts);
	free(o->ports);
}

/*
 * run [<option>...] <image> [<command> [<arg>...]]: options end at the
 * image name, and everything after it goes to the container unchanged.
 */
static int
cmd_run(struct store *s, int argc, char **argv)
{
	struct run_options o;
	char image[ID_LEN + 1];
	int status;
	int rc;
	int i;

	memset(&o, 0, sizeof(o));
	status = EXIT_ENGINE;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0';
	     i++) {
		rc = run_option(&o, argc, argv, &i);
		if (rc > 0)
			report(0, "unknown option '%s' (see 'bocker help')",
			       argv[i]);
		if (rc != 0)
			goto out;
	}
	if (i >= argc) {
		status = usage_error("missing image");
		goto out;
	}
	if (o.nports > 0 && o.network == NETWORK_NONE) {
		report(0, "conflicting options: -p and --network none");
		goto out;
	}
	/* Docker's behaviour: the host's ports are the container's own. */
	if (o.nports > 0 && o.network == NETWORK_HOST) {
		report(0, "warning: published ports are discarded with "
		       "--network host");
		o.nports = 0;
	}
	if (find_image(s, argv[i], image) < 0)
		goto out;
	if (container_run(s, image, argv + i + 1, &o, &status) < 0)
		(void)fail();
out:
	free_options(&o);
	return status;
}

/*
 * The options of exec, before the container: -i and -t, alone, as "-it"
 * or long. Returns the index of the container, or -1 after reporting.
 */
static int
exec_options(struct run_options *o, int argc, char **argv)
{
	const char *arg;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0';
	     i++) {
		arg = argv[i];
		if (!strcmp(arg, "--interactive")) {
			o->interactive = 1;
		} else if (!strcmp(arg, "--tty")) {
			o->tty = 1;
		} else if (arg[1] != '-' &&
			   strspn(arg + 1, "it") == strlen(arg + 1)) {
			o->interactive |= strchr(arg, 'i') != NULL;
			o->tty |= strchr(arg, 't') != NULL;
		} else {
			report(0, "unknown option '%s' (see 'bocker help')",
			       arg);
			return -1;
		}
	}
	return i;
}

/*
 * start [-a] <container>...: run stopped containers again, detached, or
 * with -a in the foreground, as `run` would. A running container is left
 * as it is, as Docker does.
 */
static int
cmd_start(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	int attach;
	int status;
	int rc;
	int i;

	i = 1;
	attach = i < argc && (!strcmp(argv[i], "-a") ||
			      !strcmp(argv[i], "--attach"));
	i += attach;
	if (i >= argc)
		return usage_error("expected a container");
	if (attach && argc - i != 1)
		return usage_error("-a takes one container");
	rc = 0;
	for (; i < argc; i++) {
		if (find_container(s, argv[i], id) < 0) {
			rc = EXIT_ENGINE;
			continue;
		}
		if (container_running(s, id) && !attach) {
			printf("%s\n", argv[i]);
			continue;
		}
		if (container_running(s, id)) {
			report(0, "container '%s' is running, and bocker has "
			       "no attach", argv[i]);
			return EXIT_ENGINE;
		}
		if (container_start(s, id, attach, &status) < 0) {
			(void)fail();
			rc = status;
			continue;
		}
		if (attach)
			return status;
		printf("%s\n", argv[i]);
	}
	return rc;
}

/* exec [-i] [-t] <container> <command> [<arg>...] */
static int
cmd_exec(struct store *s, int argc, char **argv)
{
	struct run_options o;
	char id[ID_LEN + 1];
	int status;
	int i;

	memset(&o, 0, sizeof(o));
	i = exec_options(&o, argc, argv);
	if (i < 0)
		return EXIT_ENGINE;
	if (argc - i < 2)
		return usage_error("expected a container and a command");
	if (find_container(s, argv[i], id) < 0)
		return EXIT_ENGINE;
	if (!container_running(s, id)) {
		report(0, "container '%s' exists but is not running",
		       argv[i]);
		return EXIT_ENGINE;
	}
	if (container_exec(s, id, argv + i + 1, &o, &status) < 0) {
		(void)fail();
		return status;
	}
	return status;
}

/* Where the last n lines of the open file fd begin. */
static off_t
tail_offset(int fd, long n)
{
	char buf[4096];
	off_t end;
	off_t at;
	ssize_t got;
	long lines;

	end = lseek(fd, 0, SEEK_END);
	if (n == 0)
		return end;
	lines = 0;
	for (at = end; at > 0;) {
		got = at < (off_t)sizeof(buf) ? at : (off_t)sizeof(buf);
		at -= got;
		if (pread(fd, buf, got, at) != got)
			return 0;
		while (got-- > 0) {
			/* The newline ending the last line does not count. */
			if (buf[got] == '\n' && at + got != end - 1 &&
			    ++lines == n)
				return at + got + 1;
		}
	}
	return 0;
}

/* Copy fd from its offset to the end onto stdout. */
static void
copy_out(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			break;
	fflush(stdout);
}

/*
 * logs [-f] [--tail <n>] <container>: what it wrote to stdout and
 * stderr; -f follows the log until the container stops.
 */
static int
cmd_logs(struct store *s, int argc, char **argv)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	char id[ID_LEN + 1];
	char path[ID_LEN + 32];
	const char *v;
	int follow;
	long tail;
	int fd;
	int i;

	follow = 0;
	tail = -1;
	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow = 1;
		else if ((v = option_value(argc, argv, &i, "--tail", "-n"))) {
			if (strcmp(v, "all") == 0)
				continue;
			tail = parse_count(v, 0, 1L << 30);
			if (tail < 0) {
				report(0, "invalid --tail '%s' (a number of "
				       "lines, or all)", v);
				return EXIT_ENGINE;
			}
		} else {
			report(0, "unknown option '%s' of logs", argv[i]);
			return EXIT_ENGINE;
		}
	}
	if (i != argc - 1)
		return usage_error("expected one container");
	if (find_container(s, argv[i], id) < 0)
		return EXIT_ENGINE;
	snprintf(path, sizeof(path), "containers/%s/log", id);
	fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		error_set("open '%s'", path);
		return fail();
	}
	if (tail >= 0)
		(void)lseek(fd, tail_offset(fd, tail), SEEK_SET);
	copy_out(fd);
	/* One more read after it stopped catches its last words. */
	while (follow && container_running(s, id)) {
		(void)nanosleep(&pause, NULL);
		copy_out(fd);
	}
	if (follow)
		copy_out(fd);
	(void)close(fd);
	return 0;
}

/* A signal by number or name, with or without "SIG": 9, KILL, SIGKILL. */
static int
parse_signal(const char *text)
{
	static const struct {
		const char *name;
		int number;
	} names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "WINCH", SIGWINCH }, { "ALRM", SIGALRM },
	};
	size_t i;

	if (!strncasecmp(text, "SIG", 3))
		text += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(text, names[i].name))
			return names[i].number;
	return (int)parse_count(text, 1, 64);
}

/* Send sig to the running container id's first process. */
static int
signal_container(struct store *s, const char *ref, const char *id, int sig)
{
	pid_t pid;
	int rc;

	if (!container_running(s, id)) {
		report(0, "container '%s' is not running", ref);
		return -1;
	}
	pid = container_pid(s, id);
	rc = pid > 0 ? kill(pid, sig) : -1;
	trace(rc, "kill(%d, %d)", (int)pid, sig);
	if (rc < 0) {
		report(errno, "signal container '%s'", ref);
		return -1;
	}
	return 0;
}

/* kill [-s <signal>] <container>...: SIGKILL by default. */
static int
cmd_kill(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	int status;
	int sig;
	int i;

	sig = SIGKILL;
	i = 1;
	if (i + 1 < argc && (!strcmp(argv[i], "-s") ||
			     !strcmp(argv[i], "--signal"))) {
		sig = parse_signal(argv[i + 1]);
		if (sig <= 0)
			return usage_error("invalid signal");
		i += 2;
	}
	if (i >= argc)
		return usage_error("expected a container");
	for (status = 0; i < argc; i++) {
		if (find_container(s, argv[i], id) < 0 ||
		    signal_container(s, argv[i], id, sig) < 0)
			status = EXIT_ENGINE;
		else
			printf("%s\n", argv[i]);
	}
	return status;
}

/* SIGTERM, up to grace seconds, then SIGKILL; 0 once it stopped. */
static int
stop_container(struct store *s, const char *id, long grace)
{
	pid_t pid;
	int rc;

	if (!container_running(s, id))
		return 0;
	pid = container_pid(s, id);
	rc = kill(pid, SIGTERM);
	trace(rc, "kill(%d, SIGTERM)", (int)pid);
	if (container_wait(s, id, grace * 1000) == 0)
		return 0;
	rc = kill(pid, SIGKILL);
	trace(rc, "kill(%d, SIGKILL)", (int)pid);
	return container_wait(s, id, 10000);
}

/*
 * stop [-t <seconds>] <container>...: SIGTERM, then SIGKILL after the
 * grace period (10 s), as docker stop does. A container that runs its
 * command as PID 1 without a SIGTERM handler ignores SIGTERM, which is
 * why the SIGKILL is needed.
 */
static int
cmd_stop(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	long grace;
	int status;
	int i;

	grace = 10;
	i = 1;
	if (i + 1 < argc && (!strcmp(argv[i], "-t") ||
			     !strcmp(argv[i], "--time"))) {
		grace = parse_count(argv[i + 1], 0, 86400);
		if (grace < 0 && strcmp(argv[i + 1], "0"))
			return usage_error("invalid grace period");
		grace = grace < 0 ? 0 : grace;
		i += 2;
	}
	if (i >= argc)
		return usage_error("expected a container");
	for (status = 0; i < argc; i++) {
		if (find_container(s, argv[i], id) < 0) {
			status = EXIT_ENGINE;
			continue;
		}
		if (stop_container(s, id, grace) < 0) {
			report(errno, "stop container '%s'", argv[i]);
			status = EXIT_ENGINE;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

/* The exit code in a container's state file, or -1. */
static int
exit_code(struct store *s, const char *id)
{
	char state[256];
	char *p;

	if (store_read(s, "containers", id, "state", state,
		       sizeof(state)) < 0)
		return -1;
	p = strstr(state, "status=exited");
	if (p == NULL || (p = strstr(state, "exit=")) == NULL)
		return -1;
	return atoi(p + 5);
}

/* wait <container>...: block until each stops, print its exit code. */
static int
cmd_wait(struct store *s, int argc, char **argv)
{
	char id[ID_LEN + 1];
	int status;
	int code;
	int i;

	if (argc < 2)
		return usage_error("expected a container");
	for (status = 0, i = 1; i < argc; i++) {
		if (find_container(s, argv[i], id) < 0) {
			status = EXIT_ENGINE;
			continue;
		}
		code = container_wait_exit(s, id);
		if (code < 0)
			code = exit_code(s, id);
		printf("%d\n", code);
		fflush(stdout);
	}
	return status;
}

static int
cmd_version(struct store *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	printf("bocker version %s (musl libc, BearSSL 0.6)\n", BOCKER_VERSION);
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
remove_container(struct store *s, const char *ref, const char *id,
		 int force)
{
	struct cgroup cg;
	char name[300];

	if (force && container_running(s, id) &&
	    stop_container(s, id, 0) < 0) {
		report(errno, "stop container '%s'", ref);
		return -1;
	}
	if (container_running(s, id)) {
		report(0, "cannot remove running container '%s' (stop it "
		       "first, or use rm -f)", ref);
		return -1;
	}
	if (store_read(s, "containers", id, "name", name, sizeof(name)) == 0)
		store_release_name(s, name, id);
	if (cgroup_open(&cg, id) == 0)
		(void)cgroup_destroy(&cg);
	if (store_remove(s, "containers", id) < 0) {
		(void)fail();
		return -1;
	}
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
	if (store_remove(s, "images", id) < 0) {
		(void)fail();
		return -1;
	}
	return 0;
}

/* Remove the container or, if none matches, the image named ref. */
static int
remove_one(struct store *s, const char *ref, int force)
{
	char id[ID_LEN + 1];

	if (store_resolve(s, "containers", ref, id) == 0)
		return remove_container(s, ref, id, force);
	if (errno == EEXIST) {
		report(0, "container id '%s' is ambiguous", ref);
		return -1;
	}
	if (store_resolve(s, "images", ref, id) == 0)
		return remove_image(s, ref, id);
	if (errno == EEXIST)
		report(0, "image id '%s' is ambiguous", ref);
	else
		report(0, "no container or image named '%s' exists", ref);
	return -1;
}

/*
 * Remove the image named ref, or only the name when the image has
 * another one, as docker rmi does with one tag of several.
 */
static int
remove_image_name(struct store *s, const char *ref)
{
	char id[ID_LEN + 1];
	char name[4096];
	int rc;

	if (find_image(s, ref, id) < 0)
		return -1;
	rc = store_untag(s, id, ref, name, sizeof(name));
	if (rc < 0) {
		(void)fail();
		return -1;
	}
	if (rc == 1) {
		printf("Untagged: %s\n", name);
		return 0;
	}
	if (remove_image(s, ref, id) < 0)
		return -1;
	printf("%s\n", ref);
	return 0;
}

/* rmi <image>...: images only, as docker rmi. */
static int
cmd_rmi(struct store *s, int argc, char **argv)
{
	int status;
	int i;

	if (argc < 2)
		return usage_error("expected at least one image");
	for (status = 0, i = 1; i < argc; i++)
		if (remove_image_name(s, argv[i]) < 0)
			status = EXIT_ENGINE;
	return status;
}

/*
 * tag <source-image> <target>: another name for an image, taken from
 * any image that had it, as docker tag. Names are kept in the form pull
 * records them: "busybox" is "busybox:latest".
 */
static int
cmd_tag(struct store *s, int argc, char **argv)
{
	struct reference r;
	char id[ID_LEN + 1];
	char name[600];

	if (argc != 3)
		return usage_error("expected an image and a new name");
	if (reference_parse(&r, argv[2]) < 0 || r.digest[0] != '\0') {
		report(0, "invalid reference format '%s' (expected "
		       "<name>[:<tag>])", argv[2]);
		return EXIT_ENGINE;
	}
	reference_format(&r, name, sizeof(name));
	if (find_image(s, argv[1], id) < 0)
		return EXIT_ENGINE;
	if (store_tag(s, id, name) < 0)
		return fail();
	return 0;
}

/*
 * One argument of inspect: its text into *text. Returns 0 with *text
 * NULL when nothing of the kinds asked for has that name, 1 when an id
 * prefix is ambiguous, and -1 on failure.
 */
static int
inspect_one(struct store *s, const char *ref, const char *type, char **text)
{
	char id[ID_LEN + 1];
	int ambiguous;

	*text = NULL;
	ambiguous = 0;
	if (strcmp(type, "image")) {
		if (store_resolve(s, "containers", ref, id) == 0) {
			*text = inspect_container(s, id);
			return *text != NULL ? 0 : -1;
		}
		if (errno != ENOENT && errno != EEXIST)
			return -1;
		ambiguous = errno == EEXIST;
	}
	if (strcmp(type, "container")) {
		if (resolve_image(s, ref, id) == 0) {
			*text = inspect_image(s, id);
			return *text != NULL ? 0 : -1;
		}
		if (errno != ENOENT && errno != EEXIST)
			return -1;
		ambiguous |= errno == EEXIST;
	}
	return ambiguous;
}

/*
 * inspect [--type container|image] <name|id>...: a JSON array with one
 * object an argument that names something; a line on stderr and exit
 * status 1 for each that does not, as docker inspect.
 */
static int
cmd_inspect(struct store *s, int argc, char **argv)
{
	const char *type;
	char *text;
	int status;
	int found;
	int rc;
	int i;

	type = "";
	i = 1;
	if (i < argc && !strncmp(argv[i], "--type=", 7))
		type = argv[i++] + 7;
	else if (i + 1 < argc && !strcmp(argv[i], "--type")) {
		type = argv[i + 1];
		i += 2;
	}
	if (strcmp(type, "") && strcmp(type, "container") &&
	    strcmp(type, "image")) {
		report(0, "invalid --type '%s' (container or image)", type);
		return EXIT_ENGINE;
	}
	if (i >= argc)
		return usage_error("expected a container or an image");
	if (argv[i][0] == '-') {
		report(0, "unknown option '%s' (see 'bocker help')", argv[i]);
		return EXIT_ENGINE;
	}
	status = 0;
	found = 0;
	printf("[");
	for (; i < argc; i++) {
		rc = inspect_one(s, argv[i], type, &text);
		if (rc < 0) {
			(void)fail();
			status = EXIT_ENGINE;
			continue;
		}
		if (rc == 1) {
			report(0, "id '%s' is ambiguous", argv[i]);
			if (status == 0)
				status = 1;
			continue;
		}
		if (text == NULL) {
			report(0, "no such object: %s", argv[i]);
			if (status == 0)
				status = 1;
			continue;
		}
		printf("%s%s", found ? ",\n" : "\n", text);
		free(text);
		found = 1;
	}
	printf(found ? "\n]\n" : "]\n");
	return status;
}

static int
prune_one(struct store *s, const char *id, void *arg)
{
	char name[300];
	int *count = arg;

	if (container_running(s, id))
		return 0;
	if (store_read(s, "containers", id, "name", name, sizeof(name)) == 0)
		store_release_name(s, name, id);
	if (store_remove(s, "containers", id) < 0) {
		report(errno, "%s, ignoring", error_context());
		return 0;
	}
	printf("%s\n", id);
	(*count)++;
	return 0;
}

/* prune: remove every container that is not running. */
static int
cmd_prune(struct store *s, int argc, char **argv)
{
	int count;

	(void)argv;
	if (argc != 1)
		return usage_error("takes no arguments");
	count = 0;
	if (store_each(s, "containers", prune_one, &count) < 0)
		return fail();
	return 0;
}

/* rm [-f] <id>...: containers (-f stops running ones) or images. */
static int
cmd_rm(struct store *s, int argc, char **argv)
{
	int status;
	int force;
	int i;

	force = argc > 1 && (!strcmp(argv[1], "-f") ||
			     !strcmp(argv[1], "--force"));
	if (argc < 2 + force)
		return usage_error("expected at least one id");
	status = 0;
	for (i = 1 + force; i < argc; i++) {
		if (remove_one(s, argv[i], force) < 0)
			status = EXIT_ENGINE;
		else
			printf("%s\n", argv[i]);
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

static int
count_entry(struct store *s, const char *name, void *arg)
{
	(void)s;
	(void)name;
	++*(int *)arg;
	return 0;
}

/*
 * The NAT rules: those of containers that are gone, and the whole table
 * once no address is leased, so no container on the bridge is left.
 */
static void
clean_nat(struct store *s)
{
	struct network n;
	int leases;

	if (network_config(&n) < 0)
		return;
	leases = 0;
	(void)store_each(s, "net", count_entry, &leases);
	if ((leases > 0 ? nft_prune(&n, container_live, s) : nft_remove(&n))
	    < 0)
		report(errno, "%s, ignoring", error_context());
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
 * are not running, veth ends without a running container, NAT rules
 * (all of bocker's table when no container is left), and the /etc/hosts
 * lines of containers that are gone. The store
 * is locked exclusively, so no other bocker is between steps meanwhile.
 */
static int
cmd_cleanup(struct store *s, int argc, char **argv)
{
	int lock;

	(void)argv;
	if (argc != 1)
		return usage_error("takes no arguments");
	lock = store_lock(s, LOCK_EX);
	if (lock < 0)
		return fail();
	(void)store_each(s, "tmp", clean_tmp_entry, NULL);
	(void)store_each(s, "net", clean_lease, NULL);
	(void)cgroup_prune(is_live, s);
	if (netlink_each_link(clean_veth, s) < 0)
		report(errno, "%s, ignoring", error_context());
	clean_nat(s);
	hosts_prune(s);
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
		return usage_error("takes no arguments");
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
	{ "start", cmd_start, 1 },
	{ "exec", cmd_exec, 1 },
	{ "logs", cmd_logs, 1 },
	{ "commit", cmd_commit, 1 },
	{ "rm", cmd_rm, 1 },
	{ "rmi", cmd_rmi, 1 },
	{ "tag", cmd_tag, 1 },
	{ "inspect", cmd_inspect, 1 },
	{ "prune", cmd_prune, 1 },
	{ "stop", cmd_stop, 1 },
	{ "kill", cmd_kill, 1 },
	{ "wait", cmd_wait, 1 },
	{ "cleanup", cmd_cleanup, 1 },
	{ "info", cmd_info, 1 },
	{ "version", cmd_version, 0 },
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
		else {
			report(0, "unknown option '%s' (see 'bocker help')",
			       argv[0]);
			return EXIT_ENGINE;
		}
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
