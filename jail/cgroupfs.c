/* cgroup v2's files (cgroupfs.h). */
#include "cgroupfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_SUPER_MAGIC 0x63677270

bool cgroupfs_is_v2(void)
{
	struct statfs fs;
	return !statfs(CGROUPFS_ROOT, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroupfs_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return err;
}

int cgroupfs_own(char *out, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];
	int err = -ENOENT;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "0::", 3))
			err = snprintf(out, size, "%s", line + 3) < (int)size ? 0 : -ENAMETOOLONG;
	}
	if (f)
		fclose(f);
	return err;
}
