/* The spec's mounts in a VM (mounts.h). runc makes each in the
 * container's mount namespace; a VM's root is its own kernel's, so: the
 * kernel filesystems are the guest's own, a tmpfs is made in the guest, a
 * bound file is copied in and bound there (an engine's /etc/hosts,
 * hostname, resolv.conf, .containerenv), and a bound directory, which
 * would need a filesystem shared with the host (virtio-fs), is refused
 * with that reason rather than silently left out. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../agent/protocol.h"

static bool under(const char *path, const char *top)
{
	size_t len = strlen(top);
	return !strncmp(path, top, len) && (path[len] == '/' || !path[len]);
}

int oci_mount_use(const struct oci_mount *m, unsigned index, enum oci_mount_use *use, char *why)
{
	const char *d = m->destination;
	if (under(d, "/proc") || under(d, "/sys") || under(d, "/dev")) {
		*use = OCI_MOUNT_GUEST;
		return 0;
	}
	bool bind = oci_mount_is_bind(m);
	if (!bind && !strcmp(m->type, "tmpfs")) {
		*use = OCI_MOUNT_TMPFS;
		return 0;
	}
	if (!bind)
		return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: type \"%.64s\": a VM makes tmpfs mounts and "
				"binds files, no other kind", index, d, m->type), -EINVAL;
	struct stat st;
	if (stat(m->source, &st)) {
		int err = -errno;
		return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: source %.1000s: %s", index, d, m->source,
				strerror(-err)), err;
	}
	if (S_ISDIR(st.st_mode))
		return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: a bind mount of a directory (%.1000s) needs a "
				"filesystem shared with the VM (virtio-fs), which sprig does not have", index, d,
				m->source), -EINVAL;
	if (!S_ISREG(st.st_mode))
		return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: %.1000s is not a regular file: a VM binds "
				"only files copied into it", index, d, m->source), -EINVAL;
	if (st.st_size > (off_t)AGENT_FILE_MAX)
		return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: %.1000s is over %u KiB: bound files are "
				"copied into the VM", index, d, m->source, AGENT_FILE_MAX >> 10), -EFBIG;
	*use = OCI_MOUNT_FILE;
	return 0;
}

int oci_mounts_check(const struct oci_spec *spec, char *why)
{
	unsigned made = 0;
	for (unsigned i = 0; i < spec->mount_count; i++) {
		enum oci_mount_use use;
		int err = oci_mount_use(&spec->mounts[i], i, &use, why);
		if (err)
			return err;
		if (use != OCI_MOUNT_GUEST && ++made > AGENT_MOUNTS_MAX)
			return snprintf(why, OCI_WHY_SIZE, "mounts: over %u tmpfs and file mounts", AGENT_MOUNTS_MAX),
			       -E2BIG;
	}
	return 0;
}

uint32_t oci_mount_flags(const struct oci_mount *m)
{
	static const struct {
		const char *option;
		uint32_t flag;
	} flags[] = { { "ro", AGENT_MOUNT_READONLY }, { "nosuid", AGENT_MOUNT_NOSUID },
		      { "nodev", AGENT_MOUNT_NODEV }, { "noexec", AGENT_MOUNT_NOEXEC } };
	uint32_t set = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		set |= oci_mount_has_option(m, flags[i].option) ? flags[i].flag : 0;
	return set;
}

int oci_mount_tmpfs_data(const struct oci_mount *m, char *out, size_t size)
{
	static const char *const kept[] = { "size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=", "gid=" };
	size_t len = 0;
	out[0] = 0;
	for (unsigned i = 0; i < m->option_count; i++) {
		const char *o = m->options[i];
		bool keep = false;
		for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
			keep = keep || !strncmp(o, kept[k], strlen(kept[k]));
		if (!keep || strchr(o, ','))
			continue;
		int n = snprintf(out + len, size - len, "%s%s", len ? "," : "", o);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return 0;
}

/* flags, [mode,] destination, NUL, rest: one message's payload. */
static size_t payload_head(uint8_t *out, const struct oci_mount *m, const uint32_t *mode)
{
	uint32_t flags = oci_mount_flags(m);
	size_t len = 0;
	memcpy(out, &flags, 4), len += 4;
	if (mode)
		memcpy(out + len, mode, 4), len += 4;
	size_t d = strlen(m->destination) + 1;
	memcpy(out + len, m->destination, d);
	return len + d;
}

/* The file's bytes, read now and checked again: it may have changed
 * since create looked (O_NONBLOCK: a fifo put there must not hang the
 * monitor; fstat then refuses it). */
static int read_file(const char *path, uint8_t *out, size_t room, size_t *len, uint32_t *mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	int err = !S_ISREG(st.st_mode) ? -EINVAL : st.st_size > (off_t)room ? -EFBIG : 0;
	*len = 0;
	while (!err && *len < (size_t)st.st_size) {
		ssize_t n = read(fd, out + *len, room - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	*mode = (uint32_t)st.st_mode & 07777;
	return err;
}

int oci_mounts_send(int fd, const struct oci_spec *spec, char *why)
{
	static uint8_t payload[AGENT_PAYLOAD_MAX];
	for (unsigned i = 0; i < spec->mount_count; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		enum oci_mount_use use;
		int err = oci_mount_use(m, i, &use, why);
		if (err)
			return err;
		size_t len = 0, got = 0;
		uint32_t mode = 0644;
		if (use == OCI_MOUNT_TMPFS) {
			len = payload_head(payload, m, NULL);
			err = oci_mount_tmpfs_data(m, (char *)payload + len, sizeof(payload) - len);
			len += strlen((char *)payload + len);
		} else if (use == OCI_MOUNT_FILE) {
			size_t head = 8 + strlen(m->destination) + 1;
			err = read_file(m->source, payload + head, AGENT_FILE_MAX, &got, &mode);
			len = payload_head(payload, m, &mode) + got;
		}
		if (!err && use != OCI_MOUNT_GUEST)
			err = agent_send(fd, use == OCI_MOUNT_TMPFS ? AGENT_TMPFS : AGENT_FILE, payload, (uint32_t)len);
		if (err)
			return snprintf(why, OCI_WHY_SIZE, "mounts[%u] %.1000s: %s", i, m->destination, strerror(-err)),
			       err;
	}
	return 0;
}
