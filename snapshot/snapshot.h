/* Snapshots (docs/snapshot.md): a paused VM to a folder (a state file and
 * guest memory) and back, in a new sprig process, as often as wanted. */
#ifndef SPRIG_SNAPSHOT_H
#define SPRIG_SNAPSHOT_H

#include "../config.h"
#include "../cpu/cpu.h"
#include "../devices/devices.h"
#include "../virtio_setup.h"
#include "format.h"

#define SNAPSHOT_STATE_FILE "state"
#define SNAPSHOT_MEMORY_FILE "memory"

/* The memory section: where guest RAM is and how big. */
struct snapshot_memory {
	uint64_t size;
	uint32_t backend;          /* enum mem_backend of the saved VM */
	uint32_t in_folder;        /* 1: DIR/memory; 0: the file mem-path names (mem-backend = file) */
};

/* What a snapshot is taken of: the running VM's parts. */
struct snapshot_source {
	struct vm *vm;
	struct devices *devices;
	struct virtio_setup *virtio;
	const struct config *config;
};

/* Before any filter is loaded: the folder relative paths in the config
 * are relative to (the snapshot keeps them absolute). */
void snapshot_init(void);

/* Main thread, the VM paused (-EBUSY otherwise): DIR made if missing
 * (mode 0700), DIR/memory (sparse; not for mem-backend = file, whose
 * file is the memory) and DIR/state written, each to a temporary name,
 * synced and renamed, so a folder never holds half a snapshot under the
 * final names. 0 or -errno with `why`. */
int snapshot_save(const struct snapshot_source *source, const char *dir, char *why);

/* A snapshot being restored: its state file read and checked whole
 * (snapshot/restore.c). */
struct snapshot_image {
	char dir[CONFIG_PATH_MAX];
	uint8_t *bytes;
	size_t len;
	struct snapshot_view view;
	struct snapshot_memory memory;
};

/* DIR/state read and checked (magic, version, length, checksum, every
 * section inside): 0, or -errno with one line in `why`. */
int snapshot_open(struct snapshot_image *img, const char *dir, char *why);
void snapshot_close(struct snapshot_image *img);
/* The saved VM's config (defaults, then its text). */
int snapshot_config(struct snapshot_image *img, struct config *config, char *why);
/* Guest RAM from the memory file (DIR/memory, or mem-path for a
 * file-backed VM), which must be the snapshot's size: mapped
 * copy-on-write, or read whole with `copy`. */
int snapshot_memory_map(struct snapshot_image *img, const struct config *config, struct guest_mem *mem, bool copy,
			char *why);
/* Every CPU feature the snapshot's model had must be in `model`, the same
 * model built on this host (as cpu-check = enforce refuses). */
int snapshot_check_cpu(struct snapshot_image *img, const struct cpu_template *model, char *why);
/* vCPU `index`'s sections, each checked for its size, gathered into
 * `state` (whose arrays point into the state file). */
int snapshot_vcpu_sections(struct snapshot_image *img, unsigned index, struct vcpu_state *state, char *why);
/* The VM's and every vCPU's KVM state (vCPUs made, threads not started). */
int snapshot_load_vm(struct snapshot_image *img, struct vm *vm, char *why);
/* COM1, the i8042 and every virtio transport (before the I/O thread). */
int snapshot_load_devices(struct snapshot_image *img, struct devices *devices, char *why);

/* `sprig restore DIR [--copy-memory] [--KEY VALUE]...`: the snapshot
 * opened and checked, its config with the command line's --control,
 * --paused, --timings, --seccomp, --vsock.path, --block.path and
 * --net.tap (lists of the same length) over it; any other key is
 * refused. 0, or -errno with one line in `why`. */
int snapshot_restore_args(int argc, char **argv, struct config *config, struct snapshot_image *img,
			  bool *copy_memory, char *why);

/* `sprig snapshot --control SOCKET DIR [--resume|--quit]`: through a
 * running sprig's control socket, stop the VM, save it, then leave it
 * paused (default), resume it or end it. Exit status 0 or 1/2. */
int snapshot_command(int argc, char **argv);

#endif
