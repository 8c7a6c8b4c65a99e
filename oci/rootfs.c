/* The bundle's root filesystem as the VM's disk (docs/oci.md): an ext4
 * image made by e2fsprogs' mke2fs -d, which copies a directory tree with
 * its owners, modes, links and special files into a new filesystem. The
 * image is sparse: its size is room to write, not disk used. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"
#include "spec.h"

static uint64_t tree_bytes, tree_entries;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path, (void)type, (void)ftw;
	tree_bytes += ((uint64_t)st->st_size + 4095) & ~(uint64_t)4095;
	tree_entries++;
	return 0;
}

/* What the tree takes, plus inodes and the journal, plus room for the
 * container to write (ROOTFS_FREE_MIB). */
static uint64_t image_size(const char *rootfs)
{
	tree_bytes = tree_entries = 0;
	nftw(rootfs, count_entry, 32, FTW_PHYS);
	uint64_t size = tree_bytes + tree_bytes / 8 + tree_entries * 512 + ((uint64_t)ROOTFS_FREE_MIB << 20);
	return (size + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
}

/* busybox's applet of that name has no -d. */
static bool is_busybox(const char *path)
{
	char target[PATH_MAX];
	if (!realpath(path, target))
		return false;
	const char *base = strrchr(target, '/');
	return base && !strcmp(base + 1, "busybox");
}

/* On PATH first (a staged copy), then where Debian puts it. */
static const char *find_mke2fs(void)
{
	static char path[PATH_MAX];
	const char *dirs = getenv("PATH");
	char list[4096];
	snprintf(list, sizeof(list), "%s:/usr/sbin:/sbin:/usr/local/sbin", dirs ? dirs : "");
	for (char *dir = strtok(list, ":"); dir; dir = strtok(NULL, ":")) {
		snprintf(path, sizeof(path), "%s/mke2fs", dir);
		if (dir[0] == '/' && !access(path, X_OK) && !is_busybox(path))
			return path;
	}
	return NULL;
}

int rootfs_make_image(const char *rootfs, const char *image, char *why)
{
	struct stat st;
	if (stat(rootfs, &st) || !S_ISDIR(st.st_mode))
		return snprintf(why, OCI_WHY_SIZE, "root.path %s: not a directory", rootfs), -ENOTDIR;
	const char *mke2fs = find_mke2fs();
	if (!mke2fs)
		return snprintf(why, OCI_WHY_SIZE, "mke2fs not found (install e2fsprogs; busybox's has no -d)"), -ENOENT;
	char size[32], log[PATH_MAX + 16];
	snprintf(size, sizeof(size), "%lluk", (unsigned long long)(image_size(rootfs) >> 10));
	snprintf(log, sizeof(log), "%s.log", image);
	pid_t pid = fork();
	if (pid < 0)
		return snprintf(why, OCI_WHY_SIZE, "fork: %s", strerror(errno)), -errno;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 1), dup2(fd, 2);
		/* Lazy inode tables and journal: only what the tree needs is written. */
		execl(mke2fs, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-E",
		      "lazy_itable_init=1,lazy_journal_init=1", "-d", rootfs, image, size, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		/* The log goes with the failed container: its last line here. */
		char last[300];
		oci_last_line(log, last, sizeof(last));
		snprintf(why, OCI_WHY_SIZE, "%.1000s -d %.2000s failed: %s", mke2fs, rootfs,
			 last[0] ? last : "it said nothing");
		return -EIO;
	}
	unlink(log);
	return 0;
}
