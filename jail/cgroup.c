/* The jail's cgroup v2 limits (jail.h): a leaf `sprig-jail-PID` beside
 * sprig's own cgroup, the controllers enabled in the parent, the limits
 * written, then this process moved in; the threads it starts later follow. */
#include "jail.h"
#include "cgroupfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Our cgroup's folder. */
static int own_cgroup(char *dir, size_t size)
{
	char own[CONFIG_PATH_MAX];
	int err = cgroupfs_own(own, sizeof(own));
	if (!err)
		snprintf(dir, size, "%s%.3000s", CGROUPFS_ROOT, strcmp(own, "/") ? own : "");
	return err;
}

static char made[CONFIG_PATH_MAX + 32], parent_dir[CONFIG_PATH_MAX];

/* Outside, once the jailed sprig has ended: back to the parent, and the
 * leaf goes. */
void jail_cgroup_remove(void)
{
	if (!made[0])
		return;
	cgroupfs_write(parent_dir, "cgroup.procs", "0");
	rmdir(made);
}

int jail_cgroup(const struct config *c, char *why)
{
	if (!c->jail_memory && !c->jail_cpus && !c->jail_pids)
		return 0;
	if (!cgroupfs_is_v2())
		return snprintf(why, JAIL_WHY_SIZE, "jail-memory, jail-cpus and jail-pids need cgroup v2 at "
			       CGROUPFS_ROOT " (this host has another hierarchy there)"), -ENOTSUP;
	char parent[CONFIG_PATH_MAX], leaf[CONFIG_PATH_MAX + 32], value[64];
	if (own_cgroup(parent, sizeof(parent)))
		return snprintf(why, JAIL_WHY_SIZE, "jail: no cgroup v2 line in /proc/self/cgroup"), -ENOENT;
	snprintf(leaf, sizeof(leaf), "%s/sprig-jail-%d", parent, (int)getpid());
	const char *step = "enabling cpu, memory and pids in the parent's cgroup.subtree_control";
	int err = cgroupfs_write(parent, "cgroup.subtree_control", "+cpu +memory +pids");
	if (!err && (step = "making the cgroup") && mkdir(leaf, 0755))
		err = -errno;
	if (!err && c->jail_memory && (step = "memory.max")) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)c->jail_memory);
		err = cgroupfs_write(leaf, "memory.max", value);
	}
	if (!err && c->jail_cpus && (step = "cpu.max")) {
		snprintf(value, sizeof(value), "%llu 100000", (unsigned long long)c->jail_cpus * 100000);
		err = cgroupfs_write(leaf, "cpu.max", value);
	}
	if (!err && c->jail_pids && (step = "pids.max")) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)c->jail_pids);
		err = cgroupfs_write(leaf, "pids.max", value);
	}
	if (!err && (step = "joining the cgroup"))
		err = cgroupfs_write(leaf, "cgroup.procs", "0");
	if (err) {
		snprintf(why, JAIL_WHY_SIZE, "jail: cgroup %s: %s: %s", leaf, step, strerror(-err));
		rmdir(leaf);
		return err;
	}
	snprintf(made, sizeof(made), "%s", leaf);
	snprintf(parent_dir, sizeof(parent_dir), "%s", parent);
	return 0;
}
