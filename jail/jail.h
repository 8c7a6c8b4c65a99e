/* sprig confined as Firecracker's jailer confines Firecracker (jail.c,
 * docs/security.md): `jail = DIR` before anything of the VM is opened. */
#ifndef SPRIG_JAIL_H
#define SPRIG_JAIL_H

#include "../config.h"

#define JAIL_WHY_SIZE (CONFIG_PATH_MAX + 256)

/* Enter the jail c->jail asks for. Returns 0 in the jailed sprig (PID 1 of
 * its pid namespace, DIR as its root, running as the jail's uid and gid);
 * the process that called it waits outside and never returns from here.
 * -errno with one line in `why` when a step fails. */
int jail_enter(const struct config *c, char *why);

/* cgroup.c: with jail-memory, jail-cpus or jail-pids, move this process
 * into a new cgroup v2 leaf with those limits; 0 when none are asked. */
int jail_cgroup(const struct config *c, char *why);
void jail_cgroup_remove(void);

#endif
