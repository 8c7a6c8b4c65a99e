/* The spec's mounts in a VM (mounts.c, docs/oci.md "Mounts"). */
#ifndef SPRIG_OCI_MOUNTS_H
#define SPRIG_OCI_MOUNTS_H

#include <stdint.h>

#include "spec.h"

enum oci_mount_use {
	OCI_MOUNT_GUEST,  /* /proc, /sys, /dev and below: the guest kernel's own */
	OCI_MOUNT_TMPFS,  /* a tmpfs made in the guest */
	OCI_MOUNT_FILE,   /* a host file, copied in and bound there */
};

/* What the VM makes of `m` (mounts[index]), its source looked at on the
 * host: 0, or -EINVAL / -EFBIG / -errno with one line in `why` naming the
 * mount, for what a VM without a shared filesystem cannot give. */
int oci_mount_use(const struct oci_mount *m, unsigned index, enum oci_mount_use *use, char *why);

/* Every mount checked (create refuses the bundle on the first bad one). */
int oci_mounts_check(const struct oci_spec *spec, char *why);

/* AGENT_MOUNT_* from the options (ro, nosuid, nodev, noexec). */
uint32_t oci_mount_flags(const struct oci_mount *m);

/* A tmpfs's options that mean something to tmpfs (size, mode, nr_inodes,
 * nr_blocks, uid, gid), comma-separated, in out. 0, or -E2BIG. */
int oci_mount_tmpfs_data(const struct oci_mount *m, char *out, size_t size);

/* The mounts to the agent, as AGENT_TMPFS and AGENT_FILE messages (each
 * file read now: a snapshot of it at create). 0 or -errno with `why`. */
int oci_mounts_send(int fd, const struct oci_spec *spec, char *why);

#endif
