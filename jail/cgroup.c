/* The jail's cgroup v2 limits (jail.h): a leaf `sprig-jail-PID` beside
 * sprig's own cgroup, the controllers enabled in the parent, the limits
 * written, then this process moved in; the threads it starts later follow. */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP2_SUPER_MAGIC 0x63677270

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[CONFIG_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return err;
}

/* Our cgroup's folder, from /proc/self/cgroup's "0::/PATH" line. */
static int own_cgroup(char *dir, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[CONFIG_PATH_MAX];
	int err = -ENOENT;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(dir, size, "%s%.3000s", CGROUP_ROOT, strcmp(line + 3, "/") ? line + 3 : "");
		err = 0;
	}
	if (f)
		fclose(f);
	return err;
}

static char made[CONFIG_PATH_MAX + 32], parent_dir[CONFIG_PATH_MAX];

/* Outside, once the jailed sprig has ended: back to the parent, and the
 * leaf goes. */
void jail_cgroup_remove(void)
{
	if (!made[0])
		return;
	write_file(parent_dir, "cgroup.procs", "0");
	rmdir(made);
}

int jail_cgroup(const struct config *c, char *why)
{
	if (!c->jail_memory && !c->jail_cpus && !c->jail_pids)
		return 0;
	struct statfs fs;
	if (statfs(CGROUP_ROOT, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return snprintf(why, JAIL_WHY_SIZE, "jail-memory, jail-cpus and jail-pids need cgroup v2 at "
			       CGROUP_ROOT " (this host has another hierarchy there)"), -ENOTSUP;
	char parent[CONFIG_PATH_MAX], leaf[CONFIG_PATH_MAX + 32], value[64];
	if (own_cgroup(parent, sizeof(parent)))
		return snprintf(why, JAIL_WHY_SIZE, "jail: no cgroup v2 line in /proc/self/cgroup"), -ENOENT;
	snprintf(leaf, sizeof(leaf), "%s/sprig-jail-%d", parent, (int)getpid());
	const char *step = "enabling cpu, memory and pids in the parent's cgroup.subtree_control";
	int err = write_file(parent, "cgroup.subtree_control", "+cpu +memory +pids");
	if (!err && (step = "making the cgroup") && mkdir(leaf, 0755))
		err = -errno;
	if (!err && c->jail_memory && (step = "memory.max")) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)c->jail_memory);
		err = write_file(leaf, "memory.max", value);
	}
	if (!err && c->jail_cpus && (step = "cpu.max")) {
		snprintf(value, sizeof(value), "%llu 100000", (unsigned long long)c->jail_cpus * 100000);
		err = write_file(leaf, "cpu.max", value);
	}
	if (!err && c->jail_pids && (step = "pids.max")) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)c->jail_pids);
		err = write_file(leaf, "pids.max", value);
	}
	if (!err && (step = "joining the cgroup"))
		err = write_file(leaf, "cgroup.procs", "0");
	if (err) {
		snprintf(why, JAIL_WHY_SIZE, "jail: cgroup %s: %s: %s", leaf, step, strerror(-err));
		rmdir(leaf);
		return err;
	}
	snprintf(made, sizeof(made), "%s", leaf);
	snprintf(parent_dir, sizeof(parent_dir), "%s", parent);
	return 0;
}
