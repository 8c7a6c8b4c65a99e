/* virtio-net (virtio 1.x, section 5.1) on a tap device: one receive and
 * one transmit queue, the 12-byte virtio_net_hdr passed to and from the
 * tap as its vnet header (IFF_VNET_HDR), so checksum and segmentation
 * offloads cost sprig nothing; mergeable receive buffers; a token-bucket
 * rate limiter per direction (bytes/s and frames/s), as Firecracker's.
 * All queue work runs on the I/O thread. */
#ifndef SPRIG_VIRTIO_NET_H
#define SPRIG_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "io_thread.h"
#include "mmio.h"
#include "rate_limit.h"

#define VIRTIO_ID_NET 1u
#define VIRTIO_NET_QUEUE_SIZE 256u
#define VIRTIO_NET_RX 0u
#define VIRTIO_NET_TX 1u
#define VIRTIO_NET_HDR_BYTES 12u         /* virtio_net_hdr_v1, num_buffers included */
/* The largest frame a tap hands over or takes with offloads on: a 64 KiB
 * IP packet behind an Ethernet header with a VLAN tag. */
#define VIRTIO_NET_FRAME_MAX (65535u + 18u)
#define VIRTIO_NET_CONFIG_BYTES 12u      /* mac, status, max_virtqueue_pairs, mtu */

struct virtio_net_limits {
	uint64_t rx_bytes, rx_frames, tx_bytes, tx_frames;  /* per second; 0: no limit */
};

struct virtio_net {
	struct virtio_mmio transport;
	uint8_t config[VIRTIO_NET_CONFIG_BYTES];
	int tap_fd;                      /* the caller's (tap.c), closed by virtio_net_close */
	int rx_kick_fd, tx_kick_fd, timer_fd, irq_fd;
	struct rate_limit rx_bytes, rx_frames, tx_bytes, tx_frames;
	bool timer_armed;
	/* The tap's offloads follow what the driver took (GUEST_CSUM, TSO):
	 * set by the I/O thread, the one allowed that ioctl. */
	bool offloads_pending;
	unsigned offloads;               /* TUN_F_* wanted */
	/* A received frame (vnet header first) waiting for buffers or tokens. */
	uint8_t *frame;
	uint32_t frame_len;
	bool frame_held;
	uint64_t rx_frames_count, rx_dropped, tx_frames_count, tx_dropped;
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_CHAIN_MAX];
};

/* `tap_fd` is a tap opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
 * (tap_open); `mac` the guest's address. 0 or -errno. */
int virtio_net_init(struct virtio_net *net, const struct guest_mem *mem, int tap_fd,
		    const uint8_t mac[6], const struct virtio_net_limits *limits, int irq_fd);

int virtio_net_watch(struct virtio_net *net, struct io_thread *io);

/* What the I/O thread does on a kick, a tap event or the limiter's timer:
 * frames from the tap into the receive queue while there are buffers
 * and tokens, then the transmit queue's frames to the tap. With the
 * transport's lock held and the device live; tests and the fuzzer call
 * it directly. */
void virtio_net_serve(struct virtio_net *net);

void virtio_net_close(struct virtio_net *net);

#endif
