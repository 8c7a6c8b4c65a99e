/* The guest agent's parts (README.md): the spec it is sent, the process
 * it launches. */
#ifndef SPRIG_AGENT_H
#define SPRIG_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

#define AGENT_ARGS_MAX 4096
#define AGENT_GROUPS_MAX 256
#define AGENT_RLIMITS_MAX 16
#define AGENT_WHY_SIZE 512

struct agent_rlimit {
	uint32_t resource;
	uint64_t soft, hard;
};

/* A mount the host asked for (AGENT_TMPFS or AGENT_FILE). */
struct agent_mount {
	uint32_t kind, flags, mode;
	char *destination;
	char *data;         /* tmpfs options, or the file's content */
	uint32_t data_len;
	int fd;             /* the file's copy in the guest (O_PATH), else -1 */
};

struct agent_spec {
	char *args[AGENT_ARGS_MAX + 1], *env[AGENT_ARGS_MAX + 1];
	unsigned arg_count, env_count;
	char *cwd, *hostname;
	uint32_t uid, gid, umask;
	uint32_t groups[AGENT_GROUPS_MAX];
	unsigned group_count;
	struct agent_rlimit rlimits[AGENT_RLIMITS_MAX];
	unsigned rlimit_count;
	uint32_t flags;
	uint16_t rows, columns;  /* the terminal's size, with AGENT_FLAG_TERMINAL */
	uint64_t pids_limit;     /* 0: none */
	int cgroup_procs;        /* the process's cgroup.procs to join, else -1 */
	struct agent_mount mounts[AGENT_MOUNTS_MAX];
	unsigned mount_count;
	char executable[4096];  /* args[0] found through PATH */
};

/* Read the spec from the control connection up to SPEC_END: 0, or -errno
 * with `why`. */
int agent_spec_receive(int control, struct agent_spec *spec, char *why);
void agent_spec_free(struct agent_spec *spec);

/* mounts.c: each file's content into the agent's own tmpfs (before the
 * chroot), then, inside the container's root, each mount at its place
 * (symlinks resolve in that root). 0 or -errno with `why`. */
int agent_mounts_stage(struct agent_spec *spec, char *why);
int agent_mounts_apply(struct agent_spec *spec, char *why);
/* A folder and its parents, as runc makes a missing cwd (launch.c). */
int agent_make_path(const char *path, mode_t mode);

/* args[0] as execvp would find it, with the process's PATH, inside the
 * root the agent has entered: 0 or -ENOENT/-EACCES with runc's line. */
int agent_find_executable(struct agent_spec *spec, char *why);

/* Fork the process with stdio on the three fds (a terminal's slave three
 * times, which becomes its controlling terminal); its pid, or -errno with
 * `why` (also when its exec fails: the child reports it). */
pid_t agent_launch(const struct agent_spec *spec, const int stdio[3], bool terminal, char *why);

/* terminal.c: a pseudo-terminal of the spec's size, resized later, and the
 * relays between its master and the host's connections. */
int agent_terminal_open(const struct agent_spec *spec, int *master, int *slave);
void agent_terminal_resize(int master, uint16_t rows, uint16_t columns);
pid_t agent_relay(int from, int to);

#endif
