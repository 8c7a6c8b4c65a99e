/* The host end of a virtio-net device: a Linux tap with a vnet header
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, header size 12), non-blocking,
 * offloads off until a driver asks for them. */
#ifndef SPRIG_VIRTIO_TAP_H
#define SPRIG_VIRTIO_TAP_H

#include <stddef.h>

#define TAP_NAME_MAX 16  /* IFNAMSIZ */

/* Attach to the tap `name` (made if it does not exist; that needs
 * CAP_NET_ADMIN): its fd, or -errno with `why` saying what failed. */
int tap_open(const char *name, char *why, size_t why_size);

/* A tap a shim opened and passed as fd `fd`: checked to be one, set up
 * the same way. 0 or -errno with `why`. */
int tap_adopt(int fd, char *why, size_t why_size);

#endif
