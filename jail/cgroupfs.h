/* cgroup v2's files, for the jail's cgroup (cgroup.c) and an OCI
 * container's (oci/cgroup*.c). */
#ifndef SPRIG_JAIL_CGROUPFS_H
#define SPRIG_JAIL_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>

#define CGROUPFS_ROOT "/sys/fs/cgroup"

/* Is CGROUPFS_ROOT cgroup v2 (not a v1 or hybrid hierarchy)? */
bool cgroupfs_is_v2(void);

/* TEXT written whole to DIR/NAME: 0 or -errno. */
int cgroupfs_write(const char *dir, const char *name, const char *text);

/* Our cgroup, "/a/b" ("/" at the root), from /proc/self/cgroup's v2 line:
 * 0, -ENOENT when there is none, -ENAMETOOLONG. */
int cgroupfs_own(char *out, size_t size);

#endif
