/*
 * inspect.c - a container's recorded configuration, and what `inspect`
 * prints about containers and images.
 *
 * The output has the field names of `docker inspect`: ContainerInspect
 * and ImageInspect in the Docker Engine API reference (v1.43), for the
 * fields bocker has. Times are RFC 3339 in UTC with nanoseconds.
 *
 * Each container gets containers/<id>/config.json when it is created,
 * written once: its Name, Path, Args, Config and HostConfig in Docker's
 * shape. `inspect` prints those parts as they are and adds the parts that
 * change (State, NetworkSettings). inspect_load reads them back into the
 * options of `run`, so that the container can run again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bocker.h"
#include "json.h"

#define RECORD_MAX	(1024 * 1024)	/* largest config.json read */
#define ZERO_TIME	"0001-01-01T00:00:00Z"	/* Docker's "not yet" */

/*
 * A JSON writer that indents as `docker inspect` does, four spaces a
 * level. Write errors stay in the stream (ferror); err keeps ENOMEM.
 */
struct writer {
	FILE *f;
	int depth;
	int empty;	/* nothing in the current object or array yet */
	int err;
};

static void
indent(struct writer *w)
{
	int i;

	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("    ", w->f);
}

static void
begin(struct writer *w, int bracket)
{
	fputc(bracket, w->f);
	w->depth++;
	w->empty = 1;
}

static void
end(struct writer *w, int bracket)
{
	w->depth--;
	if (!w->empty)
		indent(w);
	fputc(bracket, w->f);
	w->empty = 0;
}

/* Start the next element of an array. */
static void
item(struct writer *w)
{
	if (!w->empty)
		fputc(',', w->f);
	indent(w);
	w->empty = 0;
}

/*
 * Write s as a JSON string. Arguments and variables are bytes to the
 * kernel but JSON text is UTF-8, so each byte of an invalid sequence
 * becomes U+FFFD, as Docker's encoder does; NULL becomes null.
 */
static void
put_string(struct writer *w, const char *s)
{
	const unsigned char *p;
	size_t len;
	size_t n;
	char *copy;
	char *out;

	if (s == NULL) {
		fputs("null", w->f);
		return;
	}
	len = strlen(s);
	if (json_write_string(w->f, s, len) == 0 || errno != EINVAL)
		return;
	copy = malloc(3 * len + 1);
	if (copy == NULL) {
		w->err = ENOMEM;
		return;
	}
	out = copy;
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = json_utf8_length(p, len - (p - (const unsigned char *)s));
		if (n == 0) {
			memcpy(out, "\xef\xbf\xbd", 3);
			out += 3;
			n = 1;
			continue;
		}
		memcpy(out, p, n);
		out += n;
	}
	(void)json_write_string(w->f, copy, out - copy);
	free(copy);
}

/* Start member name of the current object. */
static void
key(struct writer *w, const char *name)
{
	item(w);
	put_string(w, name);
	fputs(": ", w->f);
}

static void
put_text(struct writer *w, const char *name, const char *value)
{
	key(w, name);
	put_string(w, value);
}

static void
put_number(struct writer *w, const char *name, long long value)
{
	key(w, name);
	fprintf(w->f, "%lld", value);
}

static void
put_bool(struct writer *w, const char *name, int value)
{
	key(w, name);
	fputs(value ? "true" : "false", w->f);
}

/* A NULL-terminated vector as an array of strings; NULL as null. */
static void
put_vector(struct writer *w, const char *name, char *const *v)
{
	size_t i;

	key(w, name);
	if (v == NULL) {
		fputs("null", w->f);
		return;
	}
	begin(w, '[');
	for (i = 0; v[i] != NULL; i++) {
		item(w);
		put_string(w, v[i]);
	}
	end(w, ']');
}

/* Copy a parsed value; config.json holds only what this file wrote. */
static void
put_tree(struct writer *w, const struct json *v)
{
	const char *s;
	int64_t whole;
	double real;
	size_t len;
	size_t i;
	int yes;

	switch (json_typeof(v)) {
	case JSON_NULL:
		fputs("null", w->f);
		break;
	case JSON_BOOL:
		(void)json_bool(v, &yes);
		fputs(yes ? "true" : "false", w->f);
		break;
	case JSON_NUMBER:
		if (json_int64(v, &whole) == 0)
			fprintf(w->f, "%lld", (long long)whole);
		else if (json_number(v, &real) == 0)
			fprintf(w->f, "%.17g", real);
		break;
	case JSON_STRING:
		s = json_string(v, &len);
		(void)json_write_string(w->f, s, len);
		break;
	case JSON_ARRAY:
		begin(w, '[');
		for (i = 0; i < json_len(v); i++) {
			item(w);
			put_tree(w, json_index(v, i));
		}
		end(w, ']');
		break;
	case JSON_OBJECT:
		begin(w, '{');
		for (i = 0; i < json_len(v); i++) {
			s = json_key(v, i, &len);
			item(w);
			(void)json_write_string(w->f, s, len);
			fputs(": ", w->f);
			put_tree(w, json_index(v, i));
		}
		end(w, '}');
		break;
	}
}

/* The members of object v, written into the object being written. */
static void
put_members(struct writer *w, const struct json *v)
{
	const char *name;
	size_t len;
	size_t i;

	for (i = 0; i < json_len(v); i++) {
		name = json_key(v, i, &len);
		item(w);
		(void)json_write_string(w->f, name, len);
		fputs(": ", w->f);
		put_tree(w, json_index(v, i));
	}
}


/* ns since the epoch as "2006-01-02T15:04:05.000000000Z". */
static void
format_time(long long ns, char *buf, size_t size)
{
	struct tm tm;
	time_t sec;
	size_t n;

	sec = (time_t)(ns / 1000000000LL);
	if (ns <= 0 || gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, size, "%s", ZERO_TIME);
		return;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09lldZ", ns % 1000000000LL);
}

static void
put_time(struct writer *w, const char *name, long long ns)
{
	char text[64];

	format_time(ns, text, sizeof(text));
	put_text(w, name, text);
}

/*
 * Write with fn into a memory stream and return the text, which the
 * caller frees; NULL with errno set on failure. depth is the indentation
 * level the text starts at.
 */
static char *
render(void (*fn)(struct writer *w, const void *arg), const void *arg,
       int depth)
{
	struct writer w;
	size_t size;
	char *text;
	int failed;
	int i;

	memset(&w, 0, sizeof(w));
	text = NULL;
	w.f = open_memstream(&text, &size);
	if (w.f == NULL) {
		error_set("open a memory stream");
		return NULL;
	}
	w.depth = depth;
	for (i = 0; i < depth; i++)
		fputs("    ", w.f);
	fn(&w, arg);
	failed = ferror(w.f);
	if (fclose(w.f) != 0 || failed || w.err != 0) {
		free(text);
		errno = w.err != 0 ? w.err : ENOMEM;
		error_set("format JSON");
		return NULL;
	}
	return text;
}

/* Parse file below dirfd as a JSON object. */
static struct json *
read_json(int dirfd, const char *file)
{
	struct json_error err;
	struct json *root;
	char *text;
	ssize_t n;

	text = malloc(RECORD_MAX);
	if (text == NULL) {
		error_set("read '%s'", file);
		return NULL;
	}
	n = file_read(dirfd, file, text, RECORD_MAX);
	if (n < 0) {
		free(text);
		return NULL;
	}
	root = json_parse(text, n, &err);
	free(text);
	if (root == NULL) {
		error_set("parse '%s': %s at byte %zu", file, err.reason,
			  err.offset);
		return NULL;
	}
	if (json_typeof(root) != JSON_OBJECT) {
		json_free(root);
		errno = EINVAL;
		error_set("parse '%s': not an object", file);
		return NULL;
	}
	return root;
}

/* -------------------------------------------------------------- record */

/* The arguments of inspect_record: the container as it is created. */
struct record {
	const struct run_options *o;
	const struct image_config *c;
	char **argv;
	const char *hostname;
};

static const char *
network_mode(enum network_mode mode)
{
	switch (mode) {
	case NETWORK_NONE:
		return "none";
	case NETWORK_HOST:
		return "host";
	default:
		return "bridge";
	}
}

/* Docker's "80/tcp", the key of a port in PortBindings and Ports. */
static void
port_key(const struct port_spec *p, char *buf, size_t size)
{
	snprintf(buf, size, "%u/%s", (unsigned)p->container_port,
		 p->protocol == IPPROTO_UDP ? "udp" : "tcp");
}

/* The host ports bound to the container port of ports[first]. */
static void
put_port_group(struct writer *w, const struct port_spec *ports, size_t n,
	       size_t first, const char *any_ip)
{
	char want[32];
	char have[32];
	char ip[INET_ADDRSTRLEN];
	char port[8];
	size_t i;

	port_key(&ports[first], want, sizeof(want));
	key(w, want);
	begin(w, '[');
	for (i = first; i < n; i++) {
		port_key(&ports[i], have, sizeof(have));
		if (strcmp(want, have))
			continue;
		snprintf(ip, sizeof(ip), "%s", any_ip);
		if (ports[i].host_ip != 0)
			(void)inet_ntop(AF_INET, &ports[i].host_ip, ip,
					sizeof(ip));
		snprintf(port, sizeof(port), "%u",
			 (unsigned)ports[i].host_port);
		item(w);
		begin(w, '{');
		put_text(w, "HostIp", ip);
		put_text(w, "HostPort", ports[i].host_port ? port : "");
		end(w, '}');
	}
	end(w, ']');
}

/*
 * PortBindings: one member a container port, holding every host port
 * bound to it. any_ip is the HostIp written for "every address": "" in
 * PortBindings, "0.0.0.0" in NetworkSettings.Ports, as Docker has them.
 */
static void
put_ports(struct writer *w, const char *name,
	  const struct port_spec *ports, size_t n, const char *any_ip)
{
	char this_key[32];
	char other_key[32];
	size_t i;
	size_t j;

	key(w, name);
	begin(w, '{');
	for (i = 0; i < n; i++) {
		/* JSON keys are unique: a port's group goes out once. */
		port_key(&ports[i], this_key, sizeof(this_key));
		for (j = 0; j < i; j++) {
			port_key(&ports[j], other_key, sizeof(other_key));
			if (!strcmp(this_key, other_key))
				break;
		}
		if (j == i)
			put_port_group(w, ports, n, i, any_ip);
	}
	end(w, '}');
}

/* Binds ("/host:/path[:ro]"), or null when there is none. */
static void
put_binds(struct writer *w, const struct run_options *o)
{
	const struct mount_spec *m;
	char bind[2 * sizeof(m->source) + 4];
	int any;
	size_t i;

	key(w, "Binds");
	any = 0;
	for (i = 0; i < o->nmounts; i++) {
		m = &o->mounts[i];
		if (m->source[0] == '\0')
			continue;
		if (!any)
			begin(w, '[');
		any = 1;
		snprintf(bind, sizeof(bind), "%s:%s%s", m->source, m->target,
			 m->read_only ? ":ro" : "");
		item(w);
		put_string(w, bind);
	}
	if (any)
		end(w, ']');
	else
		fputs("null", w->f);
}

/* Tmpfs ({"/path": ""}), or null when there is none. */
static void
put_tmpfs(struct writer *w, const struct run_options *o)
{
	const struct mount_spec *m;
	int any;
	size_t i;
	size_t j;

	key(w, "Tmpfs");
	any = 0;
	for (i = 0; i < o->nmounts; i++) {
		m = &o->mounts[i];
		if (m->source[0] != '\0')
			continue;
		/* JSON keys are unique: a path given twice goes out once. */
		for (j = 0; j < i; j++)
			if (o->mounts[j].source[0] == '\0' &&
			    !strcmp(o->mounts[j].target, m->target))
				break;
		if (j < i)
			continue;
		if (!any)
			begin(w, '{');
		any = 1;
		key(w, m->target);
		put_string(w, "");
	}
	if (any)
		end(w, '}');
	else
		fputs("null", w->f);
}

/*
 * The Config object, without Image. Cmd is what follows the Entrypoint
 * in the command: the arguments of run, or else the image's Cmd.
 */
static void
put_config(struct writer *w, const struct record *r)
{
	char **cmd;
	size_t skip;
	size_t n;

	skip = 0;
	while (r->c->entrypoint != NULL && r->c->entrypoint[skip] != NULL)
		skip++;
	for (n = 0; r->argv[n] != NULL; n++)
		;
	cmd = r->argv + (skip < n ? skip : n);
	key(w, "Config");
	begin(w, '{');
	put_text(w, "Hostname", r->hostname);
	put_text(w, "User", r->c->user);
	put_bool(w, "Tty", r->o->tty);
	put_bool(w, "OpenStdin", r->o->interactive);
	put_vector(w, "Env", r->c->env);
	put_vector(w, "Cmd", cmd[0] != NULL ? cmd : NULL);
	put_text(w, "WorkingDir", r->c->workdir);
	put_vector(w, "Entrypoint", r->c->entrypoint);
	end(w, '}');
}

static void
put_host_config(struct writer *w, const struct run_options *o)
{
	key(w, "HostConfig");
	begin(w, '{');
	put_binds(w, o);
	put_tmpfs(w, o);
	put_number(w, "Memory", o->memory_bytes);
	put_number(w, "CpuShares", o->cpu_shares);
	/* --cpus is kept as CPU time per 100 ms; Docker counts 1e-9 CPUs. */
	put_number(w, "NanoCpus", (long long)o->cpu_quota_us * 10000);
	key(w, "PidsLimit");
	if (o->pids > 0)
		fprintf(w->f, "%ld", o->pids);
	else
		fputs("null", w->f);
	put_text(w, "NetworkMode", network_mode(o->network));
	put_bool(w, "ReadonlyRootfs", o->read_only);
	put_bool(w, "AutoRemove", o->remove);
	put_ports(w, "PortBindings", o->ports, o->nports, "");
	end(w, '}');
}

/* Docker's container name starts with "/": "/web"; "" for none. */
static void
put_name(struct writer *w, const char *name)
{
	char *slashed;

	key(w, "Name");
	if (name == NULL || *name == '\0') {
		put_string(w, "");
		return;
	}
	slashed = malloc(strlen(name) + 2);
	if (slashed == NULL) {
		w->err = ENOMEM;
		return;
	}
	slashed[0] = '/';
	strcpy(slashed + 1, name);
	put_string(w, slashed);
	free(slashed);
}

static void
put_record(struct writer *w, const void *arg)
{
	const struct record *r = arg;

	begin(w, '{');
	put_name(w, r->o->name);
	put_text(w, "Path", r->argv[0]);
	put_vector(w, "Args", r->argv + 1);
	put_config(w, r);
	put_host_config(w, r->o);
	end(w, '}');
	fputc('\n', w->f);
}

/*
 * Write config.json below dirfd, the container's directory: what it was
 * created with, as `docker inspect` shows it. o contains the flags of run,
 * c the image's configuration with those flags applied, argv the whole
 * command (Entrypoint first) and hostname the container's.
 */
int
inspect_record(int dirfd, const struct run_options *o,
	       const struct image_config *c, char **argv,
	       const char *hostname)
{
	struct record r;
	char *text;
	int rc;

	if (argv == NULL || argv[0] == NULL) {
		errno = EINVAL;
		return error_set("record the configuration: no command");
	}
	r.o = o;
	r.c = c;
	r.argv = argv;
	r.hostname = hostname;
	text = render(put_record, &r, 0);
	if (text == NULL)
		return -1;
	rc = store_write_atomic(dirfd, "config.json", text);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------- load */

/* A copy of string member name of obj; NULL when it is missing or "". */
static int
load_string(const struct json *obj, const char *name, const char **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	s = json_string(json_get(obj, name), &len);
	if (s == NULL || len == 0)
		return 0;
	/* A C string cannot carry U+0000. */
	if (strlen(s) != len) {
		errno = EINVAL;
		return error_set("config.json: '%s' holds a NUL", name);
	}
	*out = strdup(s);
	return *out != NULL ? 0 : error_set("config.json: '%s'", name);
}

/* An array of strings as a NULL-terminated vector; empty when missing. */
static char **
load_vector(const struct json *array, size_t *count)
{
	const char *s;
	size_t len;
	size_t n;
	size_t i;
	char **v;

	n = json_typeof(array) == JSON_ARRAY ? json_len(array) : 0;
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL) {
		error_set("config.json: allocate a vector");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		s = json_string(json_index(array, i), &len);
		if (s == NULL || strlen(s) != len) {
			config_free_vector(v);
			errno = EINVAL;
			error_set("config.json: an array holds a non-string");
			return NULL;
		}
		v[i] = strdup(s);
		if (v[i] == NULL) {
			config_free_vector(v);
			error_set("config.json: allocate a string");
			return NULL;
		}
	}
	if (count != NULL)
		*count = n;
	return v;
}

static long long
load_number(const struct json *obj, const char *name)
{
	int64_t n;

	if (json_int64(json_get(obj, name), &n) < 0)
		return 0;
	return n;
}

static int
load_bool(const struct json *obj, const char *name)
{
	int yes;

	if (json_bool(json_get(obj, name), &yes) < 0)
		return 0;
	return yes;
}

/* "/host:/path[:ro]" of Binds into m, split as run's -v splits it. */
static int
parse_bind(const char *bind, struct mount_spec *m)
{
	const char *target;
	const char *mode;
	size_t target_len;

	target = strchr(bind, ':');
	if (target == NULL)
		goto invalid;
	target++;
	mode = strchr(target, ':');
	target_len = mode != NULL ? (size_t)(mode - target) : strlen(target);
	if ((size_t)(target - 1 - bind) >= sizeof(m->source) ||
	    target_len >= sizeof(m->target))
		goto invalid;
	snprintf(m->source, sizeof(m->source), "%.*s",
		 (int)(target - 1 - bind), bind);
	snprintf(m->target, sizeof(m->target), "%.*s", (int)target_len,
		 target);
	m->read_only = mode != NULL && !strcmp(mode, ":ro");
	return 0;
invalid:
	errno = EINVAL;
	return error_set("config.json: invalid bind '%s'", bind);
}

/* Binds, then Tmpfs, into o->mounts. */
static int
load_mounts(const struct json *host, struct run_options *o)
{
	const struct json *binds;
	const struct json *tmpfs;
	const char *s;
	size_t len;
	size_t n;
	size_t i;

	binds = json_get(host, "Binds");
	tmpfs = json_get(host, "Tmpfs");
	n = json_len(binds) + json_len(tmpfs);
	if (n == 0)
		return 0;
	o->mounts = calloc(n, sizeof(*o->mounts));
	if (o->mounts == NULL)
		return error_set("config.json: allocate mounts");
	for (i = 0; i < json_len(binds); i++) {
		s = json_string(json_index(binds, i), &len);
		if (s == NULL || strlen(s) != len) {
			errno = EINVAL;
			return error_set("config.json: invalid Binds");
		}
		if (parse_bind(s, &o->mounts[o->nmounts++]) < 0)
			return -1;
	}
	for (i = 0; i < json_len(tmpfs); i++) {
		s = json_key(tmpfs, i, &len);
		if (strlen(s) != len || len >= sizeof(o->mounts->target)) {
			errno = EINVAL;
			return error_set("config.json: invalid Tmpfs");
		}
		memcpy(o->mounts[o->nmounts++].target, s, len + 1);
	}
	return 0;
}

/* One {"HostIp": "", "HostPort": "8080"} of PortBindings into p. */
static int
parse_binding(const struct json *binding, struct port_spec *p)
{
	struct in_addr address;
	const char *ip;
	const char *port;
	char *end;
	unsigned long n;

	ip = json_string(json_get(binding, "HostIp"), NULL);
	port = json_string(json_get(binding, "HostPort"), NULL);
	if (ip == NULL || port == NULL)
		return -1;
	p->host_ip = 0;
	if (*ip != '\0' && strcmp(ip, "0.0.0.0")) {
		if (inet_pton(AF_INET, ip, &address) != 1)
			return -1;
		p->host_ip = address.s_addr;
	}
	n = 0;
	if (*port != '\0') {
		errno = 0;
		n = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || n > 65535)
			return -1;
	}
	p->host_port = (uint16_t)n;
	return 0;
}

/* PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}). */
static int
load_ports(const struct json *bindings, struct run_options *o)
{
	const struct json *list;
	struct port_spec *p;
	const char *name;
	unsigned long port;
	char *end;
	size_t n;
	size_t i;
	size_t j;

	n = 0;
	for (i = 0; i < json_len(bindings); i++)
		n += json_len(json_index(bindings, i));
	if (n == 0)
		return 0;
	o->ports = calloc(n, sizeof(*o->ports));
	if (o->ports == NULL)
		return error_set("config.json: allocate ports");
	for (i = 0; i < json_len(bindings); i++) {
		name = json_key(bindings, i, NULL);
		list = json_index(bindings, i);
		errno = 0;
		port = strtoul(name, &end, 10);
		if (errno != 0 || port == 0 || port > 65535 ||
		    (strcmp(end, "/tcp") && strcmp(end, "/udp")))
			goto invalid;
		for (j = 0; j < json_len(list); j++) {
			p = &o->ports[o->nports++];
			p->container_port = (uint16_t)port;
			p->protocol = strcmp(end, "/udp") ? IPPROTO_TCP
							  : IPPROTO_UDP;
			if (parse_binding(json_index(list, j), p) < 0)
				goto invalid;
		}
	}
	return 0;
invalid:
	errno = EINVAL;
	return error_set("config.json: invalid PortBindings");
}

static enum network_mode
load_network(const struct json *host)
{
	const char *mode;

	mode = json_string(json_get(host, "NetworkMode"), NULL);
	if (mode != NULL && !strcmp(mode, "none"))
		return NETWORK_NONE;
	if (mode != NULL && !strcmp(mode, "host"))
		return NETWORK_HOST;
	return NETWORK_BRIDGE;
}

/* The strings of o, from Name and Config; Path goes to entrypoint. */
static int
load_strings(const struct json *root, struct run_options *o)
{
	const struct json *config;
	const char *name;

	config = json_get(root, "Config");
	if (load_string(root, "Name", &name) < 0)
		return -1;
	/* Drop the "/" that Docker's names start with. */
	if (name != NULL && name[0] == '/') {
		memmove((char *)name, name + 1, strlen(name));
		if (name[0] == '\0') {
			free((char *)name);
			name = NULL;
		}
	}
	o->name = name;
	if (load_string(config, "Hostname", &o->hostname) < 0 ||
	    load_string(config, "WorkingDir", &o->workdir) < 0 ||
	    load_string(config, "User", &o->user) < 0 ||
	    load_string(root, "Path", &o->entrypoint) < 0)
		return -1;
	if (o->entrypoint == NULL) {
		errno = EINVAL;
		return error_set("config.json: no Path");
	}
	return 0;
}

/*
 * Free what inspect_load allocated: the strings, vectors and arrays of
 * o, and argv. o is zeroed.
 */
void
inspect_free(struct run_options *o, char **argv)
{
	free((char *)o->name);
	free((char *)o->hostname);
	free((char *)o->workdir);
	free((char *)o->user);
	free((char *)o->entrypoint);
	config_free_vector(o->env);
	free(o->mounts);
	free(o->ports);
	config_free_vector(argv);
	memset(o, 0, sizeof(*o));
}

/*
 * Read config.json below dirfd, a container's directory, into o and
 * *argv, so that container_run(s, image, *argv, o, ...) runs the same
 * command with the same options again. The command comes back as
 * entrypoint = Path and argv = Args, which gives Path and Args again
 * whatever the image's Entrypoint and Cmd are by then. Env is the whole
 * environment the container had, the image's included. detach is not
 * recorded and stays 0. inspect_free() frees o and *argv.
 */
int
inspect_load(int dirfd, struct run_options *o, char ***argv)
{
	const struct json *config;
	const struct json *host;
	struct json *root;

	memset(o, 0, sizeof(*o));
	*argv = NULL;
	root = read_json(dirfd, "config.json");
	if (root == NULL)
		return -1;
	config = json_get(root, "Config");
	host = json_get(root, "HostConfig");
	if (load_strings(root, o) < 0)
		goto fail;
	o->env = load_vector(json_get(config, "Env"), &o->nenv);
	*argv = load_vector(json_get(root, "Args"), NULL);
	if (o->env == NULL || *argv == NULL ||
	    load_mounts(host, o) < 0 ||
	    load_ports(json_get(host, "PortBindings"), o) < 0)
		goto fail;
	o->memory_bytes = load_number(host, "Memory");
	o->cpu_shares = load_number(host, "CpuShares");
	o->pids = load_number(host, "PidsLimit");
	o->cpu_quota_us = load_number(host, "NanoCpus") / 10000;
	o->network = load_network(host);
	o->read_only = load_bool(host, "ReadonlyRootfs");
	o->remove = load_bool(host, "AutoRemove");
	o->tty = load_bool(config, "Tty");
	o->interactive = load_bool(config, "OpenStdin");
	json_free(root);
	return 0;
fail:
	inspect_free(o, *argv);
	*argv = NULL;
	json_free(root);
	return -1;
}

/* -------------------------------------------------------------- output */

/* The parts of a container that `inspect` shows, all read first. */
struct container_view {
	const char *id;
	const char *driver;
	struct json *record;	/* config.json; NULL for an older container */
	char image[ID_LEN + 2];
	char image_name[4096];	/* the image's first name, or its id */
	char name[300];
	char created[32];
	char state[256];
	long long started;	/* from the state file, or Created */
	long long finished;	/* when the state file said "exited" */
	int running;
	struct network net;
	int have_net;		/* net holds BOCKER_SUBNET's settings */
	struct run_options ports;	/* only the PortBindings */
};

/* The value of "name=" in a state file, into buf; "" when missing. */
static void
state_field(const char *state, const char *name, char *buf, size_t size)
{
	const char *line;
	size_t len;

	len = strlen(name);
	buf[0] = '\0';
	for (line = state; line != NULL && *line != '\0';) {
		if (!strncmp(line, name, len) && line[len] == '=') {
			snprintf(buf, size, "%.*s",
				 (int)strcspn(line + len + 1, "\n"),
				 line + len + 1);
			return;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

/* The MAC address network.c gives a container: 02:42 and its IPv4. */
static void
format_mac(const char *address, char *buf, size_t size)
{
	struct in_addr a;
	unsigned char *b;

	buf[0] = '\0';
	if (inet_pton(AF_INET, address, &a) != 1)
		return;
	b = (unsigned char *)&a.s_addr;
	snprintf(buf, size, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
		 b[3]);
}

/*
 * State. A container whose bocker no longer holds its lock, but whose
 * state file never recorded "exited", is "dead" because its bocker was
 * killed. Its exit code and end are not known, so they are left out.
 */
static void
put_state(struct writer *w, const struct container_view *v)
{
	char status[32];
	char pid[32];
	char code[32];
	const char *text;

	state_field(v->state, "status", status, sizeof(status));
	state_field(v->state, "pid", pid, sizeof(pid));
	state_field(v->state, "exit", code, sizeof(code));
	text = "dead";
	if (v->running)
		text = "running";
	else if (!strcmp(status, "exited"))
		text = "exited";
	key(w, "State");
	begin(w, '{');
	put_text(w, "Status", text);
	put_bool(w, "Running", v->running);
	put_bool(w, "Dead", !strcmp(text, "dead"));
	put_number(w, "Pid", v->running ? atoll(pid) : 0);
	if (strcmp(text, "dead"))
		put_number(w, "ExitCode", v->running ? 0 : atoll(code));
	/* bocker creates and starts a container in one step. */
	put_time(w, "StartedAt", v->started);
	if (v->running)
		put_text(w, "FinishedAt", ZERO_TIME);
	else if (strcmp(text, "dead"))
		put_time(w, "FinishedAt", v->finished);
	end(w, '}');
}

/*
 * NetworkSettings. The address is the container's only while it runs,
 * as in Docker; gateway and prefix come from BOCKER_SUBNET as it is now.
 */
static void
put_network(struct writer *w, const struct container_view *v)
{
	const struct network *n = &v->net;
	char address[32];
	char gateway[INET_ADDRSTRLEN];
	char mac[32];
	struct in_addr a;
	int bridge;

	bridge = load_network(json_get(v->record, "HostConfig")) ==
		 NETWORK_BRIDGE;
	address[0] = '\0';
	if (v->running && bridge && v->have_net)
		state_field(v->state, "address", address, sizeof(address));
	gateway[0] = '\0';
	a.s_addr = htonl(n->gateway);
	if (address[0] != '\0')
		(void)inet_ntop(AF_INET, &a, gateway, sizeof(gateway));
	format_mac(address, mac, sizeof(mac));
	key(w, "NetworkSettings");
	begin(w, '{');
	put_text(w, "Bridge", bridge && v->have_net ? n->bridge : "");
	put_text(w, "Gateway", gateway);
	put_text(w, "IPAddress", address);
	put_number(w, "IPPrefixLen", address[0] != '\0' ? n->prefix : 0);
	put_text(w, "MacAddress", mac);
	put_ports(w, "Ports", v->ports.ports, v->running ? v->ports.nports : 0,
		  "0.0.0.0");
	end(w, '}');
}

/* The member name of v->record, or fallback (JSON text) without one. */
static void
put_recorded(struct writer *w, const struct container_view *v,
	     const char *name, const char *fallback)
{
	const struct json *value;

	key(w, name);
	value = json_get(v->record, name);
	if (value != NULL)
		put_tree(w, value);
	else
		fputs(fallback, w->f);
}

static void
put_container(struct writer *w, const void *arg)
{
	const struct container_view *v = arg;

	begin(w, '{');
	put_text(w, "Id", v->id);
	put_time(w, "Created", atoll(v->created));
	put_recorded(w, v, "Path", "\"\"");
	put_recorded(w, v, "Args", "[]");
	put_state(w, v);
	put_text(w, "Image", v->image);
	put_name(w, v->name);
	put_text(w, "Driver", v->driver);
	put_recorded(w, v, "HostConfig", "{}");
	key(w, "GraphDriver");
	begin(w, '{');
	put_text(w, "Name", v->driver);
	end(w, '}');
	key(w, "Config");
	begin(w, '{');
	put_members(w, json_get(v->record, "Config"));
	put_text(w, "Image", v->image_name);
	end(w, '}');
	put_network(w, v);
	end(w, '}');
}

/* Read what put_container shows. A file that is missing reads as "". */
static int
view_container(struct store *s, const char *id, struct container_view *v)
{
	char path[ID_LEN + 32];
	char names[4096];
	char text[32];
	struct stat st;
	int dirfd;

	v->id = id;
	v->driver = store_driver_name(s);
	if (store_read(s, "containers", id, "image", v->image,
		       sizeof(v->image)) < 0 ||
	    store_read(s, "containers", id, "name", v->name,
		       sizeof(v->name)) < 0 ||
	    store_read(s, "containers", id, "created", v->created,
		       sizeof(v->created)) < 0 ||
	    store_read(s, "containers", id, "state", v->state,
		       sizeof(v->state)) < 0)
		return -1;
	v->image[strcspn(v->image, "\n")] = '\0';
	v->name[strcspn(v->name, "\n")] = '\0';
	v->running = container_running(s, id);
	/* The times the state file records; an older one has none, so
	 * the creation and the file's last change stand in. */
	state_field(v->state, "started", text, sizeof(text));
	v->started = atoll(text) > 0 ? atoll(text) : atoll(v->created);
	state_field(v->state, "finished", text, sizeof(text));
	v->finished = atoll(text);
	snprintf(path, sizeof(path), "containers/%s/state", id);
	if (v->finished == 0 && fstatat(s->rootfd, path, &st, 0) == 0)
		v->finished = (long long)st.st_mtim.tv_sec * 1000000000LL +
			      st.st_mtim.tv_nsec;
	snprintf(v->image_name, sizeof(v->image_name), "%s", v->image);
	if (store_names(s, v->image, names, sizeof(names)) == 0 &&
	    names[0] != '\0')
		snprintf(v->image_name, sizeof(v->image_name), "%.*s",
			 (int)strcspn(names, "\n"), names);
	v->have_net = network_config(&v->net) == 0;
	snprintf(path, sizeof(path), "containers/%s", id);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_set("open '%s'", path);
	v->record = read_json(dirfd, "config.json");
	(void)close(dirfd);
	if (v->record == NULL && errno != ENOENT)
		return -1;
	return load_ports(json_get(json_get(v->record, "HostConfig"),
				   "PortBindings"), &v->ports);
}

/*
 * The `inspect` text of container id: one JSON object, indented to sit
 * in the array that `inspect` prints. The caller frees it.
 */
char *
inspect_container(struct store *s, const char *id)
{
	struct container_view v;
	char *text;

	memset(&v, 0, sizeof(v));
	text = NULL;
	if (view_container(s, id, &v) == 0)
		text = render(put_container, &v, 1);
	free(v.ports.ports);
	json_free(v.record);
	return text;
}

/* The parts of an image that `inspect` shows. */
struct image_view {
	const char *id;
	const char *driver;
	struct json *config;	/* config.json of a pulled image, or NULL */
	char names[4096 + 16384];
	char created[32];
};

/* Member name of the image's "config", or fallback (JSON text). */
static void
put_image_setting(struct writer *w, const struct image_view *v,
		  const char *name, const char *fallback)
{
	const struct json *value;

	key(w, name);
	value = json_get(json_get(v->config, "config"), name);
	if (value != NULL)
		put_tree(w, value);
	else
		fputs(fallback, w->f);
}

static void
put_image(struct writer *w, const void *arg)
{
	const struct image_view *v = arg;
	const struct json *value;
	const char *line;
	char name[4096];
	size_t len;

	begin(w, '{');
	put_text(w, "Id", v->id);
	/* Every name `images` lists: the source, then the tags. */
	key(w, "RepoTags");
	begin(w, '[');
	for (line = v->names; *line != '\0'; line += len + 1) {
		len = strcspn(line, "\n");
		snprintf(name, sizeof(name), "%.*s", (int)len, line);
		item(w);
		put_string(w, name);
		if (line[len] == '\0')
			break;
	}
	end(w, ']');
	/* The image's own creation time, else when bocker made it. */
	value = json_get(v->config, "created");
	if (json_typeof(value) == JSON_STRING)
		put_text(w, "Created", json_string(value, NULL));
	else
		put_time(w, "Created", atoll(v->created));
	key(w, "Config");
	begin(w, '{');
	put_image_setting(w, v, "Env", "null");
	put_image_setting(w, v, "Cmd", "null");
	put_image_setting(w, v, "Entrypoint", "null");
	put_image_setting(w, v, "WorkingDir", "\"\"");
	put_image_setting(w, v, "User", "\"\"");
	end(w, '}');
	value = json_get(v->config, "os");
	if (json_typeof(value) == JSON_STRING)
		put_text(w, "Os", json_string(value, NULL));
	value = json_get(v->config, "architecture");
	if (json_typeof(value) == JSON_STRING)
		put_text(w, "Architecture", json_string(value, NULL));
	key(w, "GraphDriver");
	begin(w, '{');
	put_text(w, "Name", v->driver);
	end(w, '}');
	end(w, '}');
}

/* The `inspect` text of image id, as inspect_container's. */
char *
inspect_image(struct store *s, const char *id)
{
	struct image_view *v;
	char path[ID_LEN + 16];
	char *text;
	int dirfd;

	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		error_set("inspect image");
		return NULL;
	}
	text = NULL;
	v->id = id;
	v->driver = store_driver_name(s);
	snprintf(path, sizeof(path), "images/%s", id);
	dirfd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		error_set("open '%s'", path);
		goto out;
	}
	/* Images made by init or commit have no config.json. */
	v->config = read_json(dirfd, "config.json");
	(void)close(dirfd);
	if (v->config == NULL && errno != ENOENT)
		goto out;
	if (store_names(s, id, v->names, sizeof(v->names)) < 0 ||
	    store_read(s, "images", id, "created", v->created,
		       sizeof(v->created)) < 0)
		goto out;
	text = render(put_image, v, 1);
out:
	json_free(v->config);
	free(v);
	return text;
}
