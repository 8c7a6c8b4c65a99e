/* A container's cgroup on the host (docs/oci.md): the monitor and its VM
 * join linux.cgroupsPath, as runc's container process does, so an
 * engine's stats and the host's limits cover the whole VM. cgroup v2
 * only; the pids limit is the guest's business (the agent's cgroup). */
#ifndef SPRIG_OCI_CGROUP_H
#define SPRIG_OCI_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "../jail/cgroupfs.h"
#include "spec.h"

#define OCI_CGROUP_FILE "cgroup"  /* ROOT/ID/cgroup: the folder the container joined */
#define OCI_CGROUP_ROOT CGROUPFS_ROOT
/* memory.max is the VM's RAM plus this: sprig's own pages, KVM's page
 * tables and the disk image's page cache are charged to the cgroup too. */
#define OCI_CGROUP_OVERHEAD_MIB 64

/* linux.cgroupsPath read as runc reads it, into a folder under
 * OCI_CGROUP_ROOT: an absolute path is under the root; a relative one is
 * beside `own` (our cgroup, "/a/b" from /proc/self/cgroup); with
 * --systemd-cgroup it is "slice:prefix:name", i.e. the slice's folders and
 * prefix-name.scope; absent, it is `id` beside `own`. 0, or -EINVAL with
 * one line in `why` (a ".." component, a bad slice, too long). */
int oci_cgroup_resolve(const char *cgroups_path, bool systemd, const char *id, const char *own, char *out,
		       size_t size, char *why);

/* Make the folder with its parents, enable cpu, cpuset, memory and pids
 * on the way, write the spec's limits, then move this process in (its
 * children follow). -ENOTSUP (and nothing done) when OCI_CGROUP_ROOT is
 * not cgroup v2; other -errno with `why` naming the file. */
int oci_cgroup_join(const char *dir, const struct oci_spec *spec, char *why);

/* Does the spec ask for a limit on the host's cgroup (memory, CPU)? */
bool oci_cgroup_has_limits(const struct oci_spec *spec);

/* Once the container has ended: kill what is left in it, remove it. */
void oci_cgroup_remove(const char *dir);

/* The folder kept in CONTAINER_DIR/cgroup for delete: write it (0 or
 * -errno), and remove the cgroup it names (nothing when there is none). */
int oci_cgroup_record(const char *container_dir, const char *dir);
void oci_cgroup_remove_recorded(const char *container_dir);

/* runc's mapping of cpu.shares (2..262144) to cpu.weight (1..10000). */
unsigned oci_cgroup_weight(unsigned long long shares);

#endif
