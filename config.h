/* The tiny config: one table of keys shared by the config file
 * (`mem = 64M`) and the command line (`--mem 64M`). */
#ifndef SPRIG_CONFIG_H
#define SPRIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_PATH_MAX 4096
#define CONFIG_CMDLINE_MAX 4096  /* including the NUL: boot/'s limit */
#define CONFIG_CPUS_MAX 8192     /* KVM's own, lower limit is checked at VM creation */
#define CONFIG_ERROR_SIZE 512
#define CONFIG_BLOCKS_MAX 8      /* [block] sections */
#define CONFIG_VIRTIO_MAX 8      /* virtio devices of all kinds: the windows (docs/virtio.md) */

#define CONFIG_NETS_MAX 8        /* [net] sections */
#define CONFIG_TAP_MAX 32

/* One [net] section: a virtio-net device on a tap. */
struct config_net {
	char tap[CONFIG_TAP_MAX];       /* an interface name, or fd:N for one a shim passed */
	uint8_t mac[6];                 /* all zero: sprig picks a locally administered one */
	uint64_t rx_rate, rx_ops, tx_rate, tx_ops;  /* bytes and frames per second; 0: no limit */
};

/* One [block] section: a virtio-blk disk. */
struct config_block {
	char path[CONFIG_PATH_MAX];     /* the raw image; every item has one */
	bool read_only;
	bool cache_none;                /* cache = none: O_DIRECT */
	char serial[21];                /* VIRTIO_BLK_ID_BYTES and a NUL */
	uint64_t rate, ops;             /* data bytes and requests per second; 0: no limit */
};

struct config {
	char kernel[CONFIG_PATH_MAX];   /* empty: the embedded hello guest */
	char initrd[CONFIG_PATH_MAX];
	char cmdline[CONFIG_CMDLINE_MAX];
	uint64_t mem;
	unsigned mem_backend;           /* enum mem_backend: anon, memfd, file */
	char mem_path[CONFIG_PATH_MAX]; /* mem-backend = file: the file */
	uint64_t cpus;
	uint64_t threads_per_core;      /* 0: not given (1) */
	uint64_t cores;                 /* per package; 0: not given (all in one) */
	char cpu[1024];                 /* CPU model string, checked when set */
	bool cpu_enforce;               /* cpu-check = enforce */
	bool timings;
	bool paused;                    /* start with every vCPU paused (QEMU's -S) */
	char control[CONFIG_PATH_MAX];  /* QMP socket path; empty: none */
	bool on_reboot_restart;         /* on-reboot = restart */
	unsigned seccomp;               /* enum filter_mode: kill, trap, log, off */
	struct config_block blocks[CONFIG_BLOCKS_MAX];  /* in the order given */
	unsigned block_count;
	struct config_net nets[CONFIG_NETS_MAX];
	unsigned net_count;
	char vsock_path[CONFIG_PATH_MAX];  /* [vsock] path: its unix socket; empty: no vsock */
	uint64_t vsock_cid;             /* the guest's CID; 0: not given (3) */
	bool rng;                       /* a virtio-rng device */
	uint64_t rng_rate;              /* its bytes per second; 0: no limit */
	char jail[CONFIG_PATH_MAX];     /* jail = DIR: run confined there (jail/); empty: not */
	uint64_t jail_uid, jail_gid;    /* the ids dropped to; 0: not given (65534) */
	bool jail_netns;                /* a network namespace of its own too */
	uint64_t jail_memory, jail_cpus, jail_pids;  /* cgroup v2 limits; 0: none */
	uint64_t jail_nofile;           /* RLIMIT_NOFILE; 0: not given (2048) */
};

/* What the command line asked for besides a VM to run. */
enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION };

#define CONFIG_CPU_DEFAULT "host"

void config_defaults(struct config *config);

/* Apply a config file's text; `name` is used in messages and to resolve
 * relative paths. Returns 0 or -EINVAL with `error` set to
 * "name:line: problem". */
int config_parse_text(struct config *config, const char *name, const char *text,
		      size_t len, char *error);

/* Read and apply a config file. */
int config_parse_file(struct config *config, const char *path, char *error);

/* Parse argv: `[run FILE] [--key value|--key=value]...`. A file named by
 * `run` is applied first, flags after it, so flags win. */
int config_parse_args(struct config *config, int argc, char **argv,
		      enum config_action *action, char *error);

/* Set `name` (in `section`, "" for the top level) from its text: the one
 * way both front ends store a value. `where` prefixes messages; `base` is a
 * config file that relative paths are resolved against, or NULL. Stores the
 * key's table index in *key_index when that is not NULL. */
int config_set(struct config *config, const char *section, const char *name, size_t name_len,
	       const char *value, const char *base, const char *where, char *error, int *key_index);

/* Does any key live in [name]? */
bool config_section_known(const char *name, size_t len);

/* A config file's [name] header: for a section that may come more than
 * once ([block]), a new item starts, so 1 is returned; 0 for others;
 * -EINVAL with `error` when there are too many. */
int config_section_open(struct config *config, const char *name, const char *where, char *error);

/* The key that every item of a repeatable section must have (`path` for
 * [block]): its table index and name, or -1 when `name` is not such a
 * section. */
int config_section_required_key(const char *name, const char **key_name);

/* What no single key can check: the number of virtio devices. 0 or
 * -EINVAL with `error`. */
int config_check(const struct config *config, char *error);

/* The config as config-file text that config_parse_text reads back to
 * the same config: every key not at its default, paths and strings
 * quoted. Returns the length, or -E2BIG when `size` is too small. */
int config_write(const struct config *config, char *buf, size_t size);

#define CONFIG_KEYS_MAX 64

/* --help text: usage and every key, from the one table. */
void config_print_help(FILE *out);

#endif
