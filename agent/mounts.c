/* The spec's mounts in the guest (agent.h): tmpfs where it asks, and
 * files the host copied in, bound where it asks. The host refuses what
 * the VM cannot give (a directory shared with the host) before the VM
 * starts; what reaches here is made, or the container fails with why. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES_DIR "/files"

static unsigned long mount_flags(uint32_t flags)
{
	return ((flags & AGENT_MOUNT_READONLY) ? MS_RDONLY : 0) | ((flags & AGENT_MOUNT_NOSUID) ? MS_NOSUID : 0) |
	       ((flags & AGENT_MOUNT_NODEV) ? MS_NODEV : 0) | ((flags & AGENT_MOUNT_NOEXEC) ? MS_NOEXEC : 0);
}

/* Outside the container's root, where it cannot reach them: each file as
 * FILES_DIR/N, kept open (O_PATH) to be bound from after the chroot. */
int agent_mounts_stage(struct agent_spec *spec, char *why)
{
	for (unsigned i = 0; i < spec->mount_count; i++) {
		struct agent_mount *m = &spec->mounts[i];
		if (m->kind != AGENT_FILE)
			continue;
		char path[64];
		snprintf(path, sizeof(path), FILES_DIR "/%u", i);
		mkdir(FILES_DIR, 0700);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, m->mode);
		int err = fd < 0 ? -errno : agent_write_all(fd, m->data, m->data_len);
		if (fd >= 0 && !err && fchmod(fd, m->mode))
			err = -errno;
		if (fd >= 0)
			close(fd);
		if (!err && (m->fd = open(path, O_PATH | O_CLOEXEC)) < 0)
			err = -errno;
		if (err)
			return snprintf(why, AGENT_WHY_SIZE, "mount %s: its copy: %s", m->destination, strerror(-err)), err;
	}
	return 0;
}

/* A file bound over DESTINATION, made (with its folders) when missing,
 * as runc makes a file mount's target. A symlink there (Debian's
 * /etc/resolv.conf) is followed inside the container's root, and a
 * missing target made. */
static int bind_file(const struct agent_mount *m)
{
	char parent[4096], source[64];
	snprintf(parent, sizeof(parent), "%s", m->destination);
	int err = agent_make_path(dirname(parent), 0755);
	if (err)
		return err;
	int fd = open(m->destination, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EISDIR && errno != EROFS)
		return -errno;
	if (fd >= 0)
		close(fd);
	snprintf(source, sizeof(source), "/proc/self/fd/%d", m->fd);
	if (mount(source, m->destination, NULL, MS_BIND, NULL))
		return -errno;
	unsigned long flags = mount_flags(m->flags);
	if (flags && mount(NULL, m->destination, NULL, MS_REMOUNT | MS_BIND | flags, NULL))
		return -errno;
	return 0;
}

int agent_mounts_apply(struct agent_spec *spec, char *why)
{
	for (unsigned i = 0; i < spec->mount_count; i++) {
		struct agent_mount *m = &spec->mounts[i];
		int err;
		if (m->kind == AGENT_TMPFS) {
			err = agent_make_path(m->destination, 0755);
			if (!err && mount("tmpfs", m->destination, "tmpfs", mount_flags(m->flags), m->data))
				err = -errno;
		} else {
			err = bind_file(m);
			close(m->fd);
			m->fd = -1;
		}
		if (err)
			return snprintf(why, AGENT_WHY_SIZE, "mount %s %s: %s", m->kind == AGENT_TMPFS ? "tmpfs on" : "of a file on",
					m->destination, strerror(-err)), err;
	}
	return 0;
}
