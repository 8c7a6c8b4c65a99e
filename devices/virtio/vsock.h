/* virtio-vsock (virtio 1.x, section 5.10), stream sockets only, with
 * Firecracker's host side: guest ports map to AF_UNIX sockets. A host
 * program connects to `path` and writes "CONNECT <port>\n"; once the
 * guest accepts it reads "OK <host port>\n" and then the stream. A guest
 * that connects to the host (CID 2) port P is connected to the socket
 * `path`_P a host program listens on. Flow control is the protocol's
 * credit: sprig forwards no more than the guest has room for, and takes
 * no more than it offered. All of it runs on the I/O thread. */
#ifndef SPRIG_VIRTIO_VSOCK_H
#define SPRIG_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "io_thread.h"
#include "mmio.h"

#define VIRTIO_ID_VSOCK 19u
#define VSOCK_HOST_CID 2u
#define VSOCK_QUEUE_SIZE 256u
#define VSOCK_HEADER_BYTES 44u
#define VSOCK_CONNECTIONS_MAX 64u
#define VSOCK_BUF_ALLOC (64u * 1024u)    /* what each connection may have in flight to the host */
#define VSOCK_PACKET_MAX (64u * 1024u)   /* data in one packet, either way */
#define VSOCK_PATH_MAX 108u              /* sun_path, with room for _<port> */

struct vsock_connection {
	int fd;                      /* the host side's unix socket; -1: a free slot */
	uint32_t host_port, guest_port;
	enum { VSOCK_LINE, VSOCK_CONNECTING, VSOCK_OPEN } state;
	bool readable;               /* the host side may have bytes (edge-triggered) */
	bool host_done;              /* the host side sends no more */
	bool guest_done;             /* the guest sends no more */
	/* What the guest is owed, sent when it has a receive buffer. */
	bool need_request, need_response, need_credit, need_shutdown, need_rst;
	uint32_t peer_buf_alloc, peer_fwd_cnt;  /* the guest's receive window */
	uint32_t rx_cnt;             /* bytes given to the guest */
	uint32_t fwd_cnt;            /* guest bytes written to the host side */
	uint32_t fwd_cnt_told;
	uint8_t *pending;            /* guest bytes the host side has not taken yet */
	uint32_t pending_len;
	char line[32];               /* "CONNECT <port>\n" as it comes */
	unsigned line_len;
};

struct virtio_vsock {
	struct virtio_mmio transport;
	uint8_t config[8];           /* guest_cid */
	uint64_t guest_cid;
	char path[VSOCK_PATH_MAX];
	int listen_fd, rx_kick_fd, tx_kick_fd, event_kick_fd, irq_fd;
	struct io_thread *io;
	struct vsock_connection connections[VSOCK_CONNECTIONS_MAX];
	/* RSTs for packets that name no connection: guest port, host port. */
	struct { uint32_t guest_port, host_port; } resets[16];
	unsigned reset_count;
	uint32_t next_host_port;
	unsigned next_turn;          /* the connection the receive queue serves first */
	bool reset_pending;          /* the driver reset the device: drop every connection */
	bool transport_reset_pending;  /* restored from a snapshot: tell the guest its connections are gone */
	struct virtq_chain chain;
	uint8_t buffer[VSOCK_PACKET_MAX];
	uint8_t *pending_area;        /* VSOCK_CONNECTIONS_MAX x VSOCK_BUF_ALLOC, mapped at init */
};

/* Listen on `path` (a stale socket there is replaced, anything else is
 * refused): 0, or -errno with `why`. Before any filter. */
int virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem, uint64_t guest_cid,
		      const char *path, int irq_fd, char *why, size_t why_size);

int virtio_vsock_watch(struct virtio_vsock *v, struct io_thread *io);

/* The guest's packets, then what it is owed, while it has buffers. With
 * the transport's lock held and the device live; tests call it too. */
void virtio_vsock_serve(struct virtio_vsock *v);

/* Restored from a snapshot, connections cannot come along: the guest is
 * sent VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue (as
 * Firecracker does), so it drops its sockets and connects again. */

/* Every connection closed, the listening socket closed and removed. */
void virtio_vsock_close(struct virtio_vsock *v);

#endif
