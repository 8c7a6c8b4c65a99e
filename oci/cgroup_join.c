/* Making, limiting, joining and removing the container's cgroup (cgroup.h). */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* In dir, enable for its children the controllers we use that it has.
 * A refusal (a parent holding processes) is left for the limit's write to
 * report, naming the file: a container without limits still runs. */
static void enable_controllers(const char *dir)
{
	static const char *const wanted[] = { "cpu", "cpuset", "memory", "pids" };
	char path[PATH_MAX + 32], have[512] = " ";
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	FILE *f = fopen(path, "re");
	if (f && !fgets(have + 1, sizeof(have) - 2, f))
		have[1] = 0;
	if (f)
		fclose(f);
	have[strcspn(have, "\n")] = 0;
	strcat(have, " ");
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char word[16];
		snprintf(word, sizeof(word), " %s ", wanted[i]);
		if (strstr(have, word)) {
			word[0] = '+';
			word[strlen(word) - 1] = 0;
			cgroupfs_write(dir, "cgroup.subtree_control", word);
		}
	}
}

/* mkdir -p below the root, enabling controllers in each parent. */
static int make_folders(const char *dir, char *why)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + strlen(OCI_CGROUP_ROOT) + 1;; s++) {
		s = strchr(s, '/');
		if (s)
			*s = 0;
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", path);
		*strrchr(parent, '/') = 0;
		enable_controllers(parent);
		if (mkdir(path, 0755) && errno != EEXIST) {
			int err = -errno;
			snprintf(why, OCI_WHY_SIZE, "cgroup %.2000s: %s", path, strerror(-err));
			return err;
		}
		if (!s)
			return 0;
		*s = '/';
	}
}

static int write_limit(const char *dir, const char *file, const char *value, char *why)
{
	int err = cgroupfs_write(dir, file, value);
	if (err)
		snprintf(why, OCI_WHY_SIZE, "cgroup %.2000s/%s = %s: %s", dir, file, value, strerror(-err));
	return err;
}

bool oci_cgroup_has_limits(const struct oci_spec *spec)
{
	return spec->memory_limit || spec->cpu_quota > 0 || spec->cpu_shares || spec->cpuset[0];
}

static int write_limits(const char *dir, const struct oci_spec *spec, char *why)
{
	char value[64];
	int err = 0;
	if (spec->memory_limit) {
		snprintf(value, sizeof(value), "%llu",
			 ((unsigned long long)oci_spec_vm_mem_mib(spec) + OCI_CGROUP_OVERHEAD_MIB) << 20);
		err = write_limit(dir, "memory.max", value, why);
	}
	if (!err && spec->cpu_quota > 0) {
		snprintf(value, sizeof(value), "%lld %llu", (long long)spec->cpu_quota,
			 (unsigned long long)(spec->cpu_period ? spec->cpu_period : 100000));
		err = write_limit(dir, "cpu.max", value, why);
	}
	if (!err && spec->cpu_shares) {
		snprintf(value, sizeof(value), "%u", oci_cgroup_weight(spec->cpu_shares));
		err = write_limit(dir, "cpu.weight", value, why);
	}
	if (!err && spec->cpuset[0])
		err = write_limit(dir, "cpuset.cpus", spec->cpuset, why);
	return err;
}

/* runc's rule: a container never joins a cgroup that holds processes -
 * its removal kills what is in it. */
static int check_empty(const char *dir, char *why)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	int c = f ? fgetc(f) : EOF;
	if (f)
		fclose(f);
	if (c == EOF)
		return 0;
	return snprintf(why, OCI_WHY_SIZE, "cgroup %.2000s is not empty: it holds processes", dir), -EBUSY;
}

int oci_cgroup_join(const char *dir, const struct oci_spec *spec, char *why)
{
	if (!cgroupfs_is_v2())
		return snprintf(why, OCI_WHY_SIZE, "no cgroup v2 at " OCI_CGROUP_ROOT ": the container's limits "
			       "size its VM only"), -ENOTSUP;
	int err = make_folders(dir, why);
	if (!err && (err = check_empty(dir, why)))
		return err;
	if (!err)
		err = write_limits(dir, spec, why);
	if (!err && (err = cgroupfs_write(dir, "cgroup.procs", "0")))
		snprintf(why, OCI_WHY_SIZE, "joining cgroup %.2000s: %s", dir, strerror(-err));
	if (err)
		rmdir(dir);
	return err;
}

void oci_cgroup_remove(const char *dir)
{
	if (strncmp(dir, OCI_CGROUP_ROOT "/", strlen(OCI_CGROUP_ROOT) + 1))
		return;
	cgroupfs_write(dir, "cgroup.kill", "1");
	for (int i = 0; i < 200 && rmdir(dir) && errno == EBUSY; i++) {
		struct timespec t = { 0, 10 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
}

int oci_cgroup_record(const char *container_dir, const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/" OCI_CGROUP_FILE, container_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int err = write(fd, dir, strlen(dir)) == (ssize_t)strlen(dir) ? 0 : -EIO;
	close(fd);
	return err;
}

void oci_cgroup_remove_recorded(const char *container_dir)
{
	char path[PATH_MAX + 16], dir[PATH_MAX];
	snprintf(path, sizeof(path), "%s/" OCI_CGROUP_FILE, container_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, dir, sizeof(dir) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	dir[n] = 0;
	/* Written by our monitor from a resolved path; still, never a folder
	 * above the one named. */
	size_t len = strlen(dir);
	if (!strstr(dir, "/../") && !(len >= 3 && !strcmp(dir + len - 3, "/..")))
		oci_cgroup_remove(dir);
}
