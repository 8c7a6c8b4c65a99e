/* Opening and checking taps (tap.h); main thread, before any filter. */
#include "tap.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* Header size, no offloads yet, non-blocking. */
static int set_up(int fd, const char *what, char *why, size_t why_size)
{
	int header = VIRTIO_NET_HDR_BYTES, flags = fcntl(fd, F_GETFL);
	if (ioctl(fd, TUNSETVNETHDRSZ, &header) || ioctl(fd, TUNSETOFFLOAD, 0ul) || flags < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return snprintf(why, why_size, "tap %s: %s", what, strerror(errno)), -errno;
	return 0;
}

int tap_open(const char *name, char *why, size_t why_size)
{
	if (!*name || strlen(name) >= TAP_NAME_MAX)
		return snprintf(why, why_size, "tap name '%s': 1 to %d bytes", name, TAP_NAME_MAX - 1), -EINVAL;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return snprintf(why, why_size, "/dev/net/tun: %s", strerror(errno)), -errno;
	struct ifreq ifr = { .ifr_flags = TAP_FLAGS };
	memcpy(ifr.ifr_name, name, strlen(name));
	int err = ioctl(fd, TUNSETIFF, &ifr) ? -errno : 0;
	if (err)
		snprintf(why, why_size, "tap %s: %s", name, strerror(-err));
	else
		err = set_up(fd, name, why, why_size);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int tap_adopt(int fd, char *why, size_t why_size)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr))
		return snprintf(why, why_size, "tap-fd %d: not a tap (%s)", fd, strerror(errno)), -EINVAL;
	if ((ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS)
		return snprintf(why, why_size, "tap-fd %d (%.16s): needs IFF_TAP, IFF_NO_PI and IFF_VNET_HDR", fd,
				ifr.ifr_name), -EINVAL;
	char what[32];
	snprintf(what, sizeof(what), "fd %d", fd);
	int err = set_up(fd, what, why, why_size);
	if (!err && fcntl(fd, F_SETFD, FD_CLOEXEC))
		err = -errno;
	return err;
}
