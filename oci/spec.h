/* An OCI bundle's config.json (runtime-spec 1.x), the parts a VM runtime
 * honours: the root filesystem, the process (args, env, cwd, user,
 * rlimits, terminal), the hostname, the cgroup and its memory, CPU and
 * pids limits, the mounts. Parsed
 * from hostile text: every length and count is checked; the rest of the
 * document (namespaces, a seccomp profile...) is read past. */
#ifndef SPRIG_OCI_SPEC_H
#define SPRIG_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_WHY_SIZE 4352  /* a path and what is wrong with it */
#define OCI_CONFIG_MAX (16u << 20)  /* bytes of config.json */
#define OCI_ARGS_MAX 4096           /* args, env entries, gids each */
#define OCI_RLIMITS_MAX 16
#define OCI_HOSTNAME_MAX 64
#define OCI_MOUNTS_MAX 128
#define OCI_MOUNT_OPTIONS_MAX 64
#define OCI_MOUNT_PATH_MAX 1024     /* a destination's bytes */

struct oci_rlimit {
	int resource;  /* RLIMIT_* */
	uint64_t soft, hard;
};

struct oci_process {
	char **args, **env;  /* NULL-terminated */
	unsigned arg_count, env_count;
	char *cwd;
	uint32_t uid, gid;
	uint32_t *additional_gids;
	unsigned additional_gid_count;
	uint32_t umask;
	bool has_umask;
	bool terminal, no_new_privileges;
	uint16_t console_rows, console_columns;  /* process.consoleSize; 0: not given */
	struct oci_rlimit rlimits[OCI_RLIMITS_MAX];
	unsigned rlimit_count;
};

/* One of `mounts`, as given (what the VM makes of it: oci/mounts.c). */
struct oci_mount {
	char *destination;  /* absolute, no ".." component */
	char *type, *source;  /* "" when not given; a bind's source absolute */
	char **options;       /* NULL-terminated */
	unsigned option_count;
};

struct oci_spec {
	char version[32];         /* ociVersion */
	char *root_path;          /* absolute: relative ones are the bundle's */
	bool root_readonly;
	char hostname[OCI_HOSTNAME_MAX + 1];
	bool has_process;
	struct oci_process process;
	int64_t memory_limit;     /* bytes; 0 when not set */
	int64_t cpu_quota;        /* microseconds per period; 0 when not set */
	uint64_t cpu_period;      /* microseconds; 0 when not set */
	unsigned cpuset_count;    /* CPUs named by linux.resources.cpu.cpus */
	char cpuset[256];         /* that list as given; "" when not set */
	uint64_t cpu_shares;      /* linux.resources.cpu.shares; 0 when not set */
	int64_t pids_limit;       /* linux.resources.pids.limit; 0 when not set or unlimited */
	char *cgroups_path;       /* linux.cgroupsPath; NULL when not given */
	struct oci_mount *mounts; /* in the spec's order */
	unsigned mount_count;
};

/* Parse text[0, len) as the config.json of the bundle at `bundle` (an
 * absolute path). Returns 0, or -EINVAL (bad JSON, a wrong type, an
 * unsupported ociVersion, a value out of range) or -E2BIG with one line
 * in `why` naming the field. Free with oci_spec_free, also after an error. */
int oci_spec_parse(struct oci_spec *spec, const char *bundle, const char *text, size_t len, char *why);

/* Read BUNDLE/config.json and parse it; the same, plus -ENOENT and other
 * errors of reading the file. */
int oci_spec_load(struct oci_spec *spec, const char *bundle, char *why);

void oci_spec_free(struct oci_spec *spec);

/* One of the mount's options is NAME exactly. */
bool oci_mount_has_option(const struct oci_mount *m, const char *name);
/* type "bind", or a "bind" or "rbind" option (runc's reading). */
bool oci_mount_is_bind(const struct oci_mount *m);

/* The VM's size from the limits: memory in MiB (the limit rounded up,
 * never below what the guest kernel and agent need), and vCPUs (the CPU
 * quota over its period rounded up, else the cpuset's size, else 1). */
unsigned oci_spec_vm_mem_mib(const struct oci_spec *spec);
unsigned oci_spec_vm_cpus(const struct oci_spec *spec);

#endif
