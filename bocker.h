/*
 * bocker.h - what the files of bocker call in one another.
 *
 * Conventions for the whole tree: a function that can fail returns -1 (or
 * NULL) with errno set, and never prints or exits; bocker.c reports the
 * error once and picks the exit code. Every kernel- and network-facing
 * step goes through trace().
 */
#ifndef BOCKER_H
#define BOCKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit codes, as Docker uses them. */
#define EXIT_ENGINE	125	/* bocker itself failed */
#define EXIT_CANNOT_RUN	126	/* the command was found but cannot run */
#define EXIT_NOT_FOUND	127	/* the command was not found */

#define BOCKER_VERSION	"0.1"

#define ID_LEN		64	/* hex digits in a full id */
#define SHORT_ID_LEN	12	/* hex digits shown by images and ps */

/* trace.c */
void trace_init(int enabled);
int trace_enabled(void);
void trace(long ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void trace_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
const char *errno_name(int err);

/*
 * util.c: the error context and small file helpers.
 *
 * error_set() records what failed ("mount '/proc'") beside errno, so the
 * message bocker.c prints names the step: "bocker: run: mount '/proc':
 * Permission denied". It returns -1, so a helper can `return error_set(..)`.
 */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *error_context(void);
int file_write(int dirfd, const char *path, const char *data, int flags);
ssize_t file_read(int dirfd, const char *path, char *buf, size_t size);
int random_hex(char *buf, size_t digits);
long long now_ns(void);
int make_path(const char *path);

/* btrfs.c: subvolumes through ioctls on the btrfs control files. */
int btrfs_is_btrfs(const char *path);
int btrfs_subvol_create(int dirfd, const char *name);
int btrfs_snapshot(int srcfd, int dirfd, const char *name);
int btrfs_subvol_destroy(int dirfd, const char *name);

/* copy.c: copy a tree, with reflinks where the filesystem has them. */
int copy_tree(const char *src, const char *dst);
int remove_tree(int dirfd, const char *name);

/* store.c: images and containers under BOCKER_ROOT. */
enum driver { DRIVER_BTRFS, DRIVER_OVERLAY };

#define STORE_ROOT_MAX 1024

struct store {
	char root[STORE_ROOT_MAX];
	int rootfd;
	enum driver driver;
};

int store_open(struct store *s);
const char *store_driver_name(const struct store *s);
int store_lock(struct store *s, int how);
void store_unlock(int fd);
int store_lock_is_free(int dirfd, const char *path);
int store_tmp_create(struct store *s, char *name);
int store_publish(struct store *s, const char *name, const char *kind,
		  int lockfd);
int store_replace(struct store *s, const char *name, const char *kind,
		  const char *id, int lockfd);
int store_destroy_tmp(struct store *s, const char *name, int lockfd);
int store_remove(struct store *s, const char *kind, const char *id);
int store_each(struct store *s, const char *kind,
	       int (*fn)(struct store *s, const char *id, void *arg),
	       void *arg);
int store_read(struct store *s, const char *kind, const char *id,
	       const char *file, char *buf, size_t size);
int store_write_atomic(int dirfd, const char *file, const char *data);
int store_resolve(struct store *s, const char *kind, const char *ref,
		  char *id);
int store_name_stale(struct store *s, const char *name);
void store_release_name(struct store *s, const char *name, const char *id);
int store_tag(struct store *s, const char *id, const char *name);
int store_names(struct store *s, const char *id, char *buf, size_t size);
int store_untag(struct store *s, const char *id, const char *ref, char *name,
		size_t size);

/* cgroup.c */
#define CGROUP_PATH_MAX 4096

struct limits {
	long cpu_shares;	/* relative weight, 2..262144 */
	long long memory_bytes;
	long pids;
	long cpu_quota_us;	/* CPU time per 100 ms period; 0: no limit */
};

struct cgroup {
	struct {
		char path[CGROUP_PATH_MAX];
		int v2;			/* a cgroup v2 directory */
		unsigned controllers;	/* bit i: controllers[i] lives here */
	} dirs[3];
	int ndirs;
	int v1;				/* some controller is on v1 */
	int v2;				/* some controller is on v2 */
};

int cgroup_open(struct cgroup *cg, const char *id);
const char *cgroup_version(void);
int cgroup_unified_mount(char *mnt, size_t size);
int cgroup_create(struct cgroup *cg, const struct limits *l);
int cgroup_attach(struct cgroup *cg, pid_t pid);
int cgroup_destroy(struct cgroup *cg);
int cgroup_prune(int (*live)(const char *id, void *arg), void *arg);

/* netlink.c */
int netlink_ifindex(const char *name);
int netlink_bridge_create(const char *name);
int netlink_link_up(int ifindex);
int netlink_addr_add(int ifindex, uint32_t address, int prefix);
int netlink_route_default(uint32_t gateway);
int netlink_veth_create(const char *host, int master, const char *peer,
			pid_t pid, const unsigned char mac[6]);
int netlink_link_delete(const char *name);
int netlink_each_link(int (*fn)(const char *name, void *arg), void *arg);

/* network.c */
/* A -p of `run`: [ip:]hostPort:containerPort[/tcp|udp]. */
struct port_spec {
	uint32_t host_ip;	/* network byte order; 0 for every address */
	uint16_t host_port;
	uint16_t container_port;
	int protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
};

struct network {
	char bridge[16];
	char subnet_text[32];
	char address_text[16];
	char veth[16];
	uint32_t network;	/* host byte order, like the two below */
	uint32_t gateway;
	uint32_t address;
	int prefix;
	int bridge_index;
	int leasefd;		/* flocked net/<address> in the store */
};

int network_config(struct network *n);
int network_lease(struct network *n, struct store *s, const char *id);
void network_release(struct network *n);
int network_bridge(struct network *n);
int network_veth(struct network *n, const char *id, pid_t pid);
int network_loopback(void);
int network_inside(struct network *n);
const char *network_address(const struct network *n);
int network_publish(struct network *n, const char *id,
		    struct port_spec *ports, size_t nports, int *fds);
void network_unpublish(struct network *n, const char *id, int *fds,
		       size_t nports);

/* nft.c: the NAT rules of a bridge's containers, in a table of ours. */
int nft_masquerade(const struct network *n);
int nft_publish(const struct network *n, const char *id,
		const struct port_spec *ports, size_t nports);
int nft_unpublish(const struct network *n, const char *id);
int nft_prune(const struct network *n,
	      int (*live)(const char *id, void *arg), void *arg);
int nft_remove(const struct network *n);

/* hosts.c */
int hosts_publish(struct store *s, int dirfd, const char *id,
		  const char *address, const char *hostname, int bridge);
void hosts_withdraw(struct store *s, const char *id);
void hosts_prune(struct store *s);

/* mount.c */
/* A -v (bind) or --tmpfs mount of `run`. */
struct mount_spec {
	char source[4096];	/* host path; "" for a tmpfs */
	char target[4096];	/* absolute path in the container */
	int read_only;
	int replace;		/* replace a planted symlink at target */
};

struct rootfs {
	char root[4096];	/* where the container's root is mounted */
	char lower[4096];	/* overlay only: the image's tree */
	char upper[4096];	/* overlay only: the container's changes */
	char work[4096];	/* overlay only: its work directory */
	const struct mount_spec *mounts;	/* -v and --tmpfs */
	size_t nmounts;
	int read_only;				/* --read-only */
	const char *workdir;			/* made before read-only */
	char hostname_file[80];
	char resolv[4096];
};

int rootfs_enter(const struct rootfs *r);

/* pty.c: the pseudo-terminal of run -t and exec -t. */
int pty_socketpair(int sv[2]);
int pty_attach(int sock);
int pty_accept(int sock, int *master);
int pty_relay(int master, int logfd, pid_t pid, int input);

/* container.c */
enum network_mode { NETWORK_BRIDGE, NETWORK_NONE, NETWORK_HOST };

/* The flags of `run`; zero values mean "the image's or the default". */
struct run_options {
	const char *name;
	const char *hostname;
	const char *workdir;
	const char *user;
	const char *entrypoint;
	char **env;		/* extra "NAME=value" strings */
	size_t nenv;
	struct mount_spec *mounts;
	size_t nmounts;
	long long memory_bytes;
	long cpu_shares;
	long pids;
	long cpu_quota_us;	/* per 100 ms period, from --cpus */
	struct port_spec *ports;	/* -p */
	size_t nports;
	enum network_mode network;
	int detach;
	int interactive;	/* -i: the container reads bocker's stdin */
	int tty;		/* -t: a pseudo-terminal for the container */
	int remove;		/* --rm */
	int read_only;
};

int container_run(struct store *s, const char *image, char **argv,
		  const struct run_options *o, int *status);
int container_start(struct store *s, const char *id, int attach,
		    int *status);
int container_running(struct store *s, const char *id);
int container_live(const char *id, void *store);
pid_t container_pid(struct store *s, const char *id);
int container_wait(struct store *s, const char *id, int timeout_ms);
int container_wait_exit(struct store *s, const char *id);
int container_exec(struct store *s, const char *id, char **argv,
		   const struct run_options *o, int *status);

/* image.c: images are built in tmp/<id> and published by rename. */
struct build {
	struct store *store;
	char id[ID_LEN + 1];
	char root[STORE_ROOT_MAX + ID_LEN + 16];	/* tmp/<id>/rootfs */
	int lockfd;
	int dirfd;				/* tmp/<id> */
};

int image_build_start(struct build *b, struct store *s);
int image_build_empty_root(struct build *b);
int image_build_describe(struct build *b, const char *source);
int image_build_finish(struct build *b, const char *replace, char *id);
int image_build_abort(struct build *b);
int image_init(struct store *s, const char *dir, char *id);
int image_user(struct store *s, const char *image, const char *except,
	       char *user);
int image_commit(struct store *s, const char *container, const char *target,
		 char *id);

/* config.c */
struct image_config {
	char **env;		/* "NAME=value" strings, or NULL */
	char **entrypoint;
	char **cmd;
	char workdir[4096];
	char user[256];
};

int config_load(int dirfd, struct image_config *c);
void config_free(struct image_config *c);
void config_free_vector(char **v);
char **config_argv(const struct image_config *c, char **args);
int config_user(const char *spec, uid_t *uid, gid_t *gid, char *home,
		size_t size);

/*
 * inspect.c: containers/<id>/config.json, written when a container is
 * created and read back to run it again; the text of `inspect`.
 */
int inspect_record(int dirfd, const struct run_options *o,
		   const struct image_config *c, char **argv,
		   const char *hostname);
int inspect_load(int dirfd, struct run_options *o, char ***argv);
void inspect_free(struct run_options *o, char **argv);
char *inspect_container(struct store *s, const char *id);
char *inspect_image(struct store *s, const char *id);

/* pull.c */
struct pull_options {
	const char *platform;	/* "os/arch[/variant]", or NULL: the host's */
	const char *ca_file;	/* extra trust anchors, or NULL */
	int quiet;		/* no progress output */
	int insecure;		/* plain HTTP to this registry */
};

int pull_image(struct store *s, const char *name,
	       const struct pull_options *o, char *id);

#endif
