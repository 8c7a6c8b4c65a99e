/* virtio-net (net.h). The header the driver writes before each frame is
 * the tap's vnet header byte for byte (both are virtio_net_hdr_v1,
 * little endian, and TUNSETVNETHDRSZ says 12), so transmit is one writev
 * of the chain's readable buffers and receive one read into a bounce
 * buffer, copied into as many of the driver's buffers as the frame needs. */
#include "net.h"
#include "../bus.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define F_CSUM (1ull << 0)
#define F_GUEST_CSUM (1ull << 1)
#define F_MAC (1ull << 5)
#define F_GUEST_TSO4 (1ull << 7)
#define F_GUEST_TSO6 (1ull << 8)
#define F_HOST_TSO4 (1ull << 11)
#define F_HOST_TSO6 (1ull << 12)
#define F_MRG_RXBUF (1ull << 15)
#define F_STATUS (1ull << 16)

#define S_LINK_UP 1u
#define NUM_BUFFERS_AT 10u  /* in the header */

static void net_config_read(void *device, uint32_t offset, uint8_t *data, uint32_t size)
{
	memcpy(data, ((struct virtio_net *)device)->config + offset, size);  /* the transport bounded it */
}

/* The tap may hand over only what the driver can take: checksums left to
 * it (GUEST_CSUM) and large segments (GUEST_TSO4/6, which need it). */
static unsigned offloads_for(uint64_t features)
{
	if (!(features & F_GUEST_CSUM))
		return 0;
	return TUN_F_CSUM | ((features & F_GUEST_TSO4) ? TUN_F_TSO4 : 0) |
	       ((features & F_GUEST_TSO6) ? TUN_F_TSO6 : 0);
}

static void net_activate(void *device)
{
	struct virtio_net *net = device;
	net->offloads = offloads_for(net->transport.driver_features);
	net->offloads_pending = true;
	device_signal(net->rx_kick_fd);  /* frames may wait in the tap, buffers in the rings */
	device_signal(net->tx_kick_fd);
}

static void net_notify(void *device, unsigned index)
{
	struct virtio_net *net = device;
	device_signal(index == VIRTIO_NET_RX ? net->rx_kick_fd : net->tx_kick_fd);
}

/* A new driver starts without offloads; a frame read for the old one is
 * dropped with it. */
static void net_reset(void *device)
{
	struct virtio_net *net = device;
	net->offloads = 0;
	net->offloads_pending = true;
	net->frame_held = false;
}

static void take(struct rate_limit *bytes, struct rate_limit *frames, uint64_t len, uint64_t now)
{
	rate_limit_take(bytes, len, now);
	rate_limit_take(frames, 1, now);
}

static void arm_timer(struct virtio_net *net, uint64_t ns)
{
	if (!net->timer_armed && !io_timer_set(net->timer_fd, ns))
		net->timer_armed = true;
}

/* Copy `len` bytes of `from` into the chain's writable buffers, skipping
 * the first `skip` writable bytes; notes where header byte NUM_BUFFERS_AT
 * (and the one after it) landed when the copy starts at the header. */
static void copy_out(const struct virtq_chain *c, const uint8_t *from, uint32_t len, uint8_t **num_at)
{
	uint32_t done = 0;
	for (unsigned i = 0; i < c->count && done < len; i++) {
		const struct virtq_buffer *b = &c->buffers[i];
		if (!b->writable)
			continue;
		uint32_t n = b->len < len - done ? b->len : len - done;
		for (unsigned k = 0; num_at && k < 2; k++)
			if (NUM_BUFFERS_AT + k >= done && NUM_BUFFERS_AT + k < done + n)
				num_at[k] = b->hva + (NUM_BUFFERS_AT + k - done);
		memcpy(b->hva, from + done, n);
		done += n;
	}
}

/* The held frame into the receive queue: 1 done (or dropped: too big for
 * a driver without mergeable buffers), 0 not enough buffers (they stay in
 * the ring), -1 the driver broke the queue. */
static int deliver(struct virtio_net *net)
{
	struct virtio_mmio *t = &net->transport;
	struct virtq *q = &t->queues[VIRTIO_NET_RX];
	bool mergeable = t->driver_features & F_MRG_RXBUF;
	uint8_t *num_at[2] = { NULL, NULL };
	uint32_t done = 0;
	unsigned used = 0;
	while (done < net->frame_len) {
		int got = used < q->config.size ? virtq_pop(q, t->mem, &net->chain) : 0;
		if (got < 0) {
			virtio_mmio_needs_reset(t, q->error);
			return -1;
		}
		if (!got) {
			virtq_unpop(q, used);
			if (used < q->config.size)
				return 0;
			net->rx_dropped++;  /* a full ring of buffers too small for it */
			return 1;
		}
		uint64_t room = net->chain.writable_bytes;
		if (!room || (used == 0 && room < VIRTIO_NET_HDR_BYTES)) {
			virtio_mmio_needs_reset(t, "a receive buffer without room for the 12-byte header");
			return -1;
		}
		if (!mergeable && room < net->frame_len) {
			virtq_unpop(q, 1);  /* the buffer waits for a frame that fits */
			net->rx_dropped++;
			return 1;
		}
		uint32_t n = room < net->frame_len - done ? (uint32_t)room : net->frame_len - done;
		copy_out(&net->chain, net->frame + done, n, used ? NULL : num_at);
		virtq_fill(q, used++, net->chain.head, n);
		done += n;
	}
	uint8_t count[2] = { (uint8_t)used, (uint8_t)(used >> 8) };
	for (unsigned k = 0; k < 2; k++)
		*num_at[k] = count[k];  /* the first buffer held the whole header */
	virtq_flush(q, used);
	net->rx_frames_count++;
	return 1;
}

/* The next frame from the tap into the bounce buffer: false when the tap
 * has none (the edge-triggered watch calls again when one comes). */
static bool read_frame(struct virtio_net *net)
{
	for (;;) {
		ssize_t n = read(net->tap_fd, net->frame, VIRTIO_NET_HDR_BYTES + VIRTIO_NET_FRAME_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if ((size_t)n <= VIRTIO_NET_HDR_BYTES)
			continue;  /* no frame behind the header: nothing to give */
		net->frame_len = (uint32_t)n;
		net->frame_held = true;
		return true;
	}
}

static void receive(struct virtio_net *net, uint64_t now)
{
	struct virtio_mmio *t = &net->transport;
	struct virtq *q = &t->queues[VIRTIO_NET_RX];
	if (net->offloads_pending) {
		/* A refusal leaves them off, which every driver can take. */
		if (ioctl(net->tap_fd, TUNSETOFFLOAD, (unsigned long)net->offloads))
			ioctl(net->tap_fd, TUNSETOFFLOAD, 0ul);
		net->offloads_pending = false;
	}
	for (;;) {
		if (!net->frame_held && !read_frame(net))
			break;
		uint64_t ns = rate_limit_pair_wait_ns(&net->rx_bytes, &net->rx_frames, net->frame_len - VIRTIO_NET_HDR_BYTES, now);
		if (ns) {
			arm_timer(net, ns);
			break;
		}
		int done = deliver(net);
		if (done < 0)
			break;
		if (!done) {
			if (virtq_arm_notify_more(q))
				continue;  /* buffers came meanwhile */
			break;
		}
		take(&net->rx_bytes, &net->rx_frames, net->frame_len - VIRTIO_NET_HDR_BYTES, now);
		net->frame_held = false;
	}
	virtio_mmio_used(t, VIRTIO_NET_RX);
}

/* One transmit chain: its readable buffers are the header and the frame. */
static bool send_chain(struct virtio_net *net)
{
	const struct virtq_chain *c = &net->chain;
	if (c->readable_bytes < VIRTIO_NET_HDR_BYTES) {
		virtio_mmio_needs_reset(&net->transport, "a transmit chain shorter than the 12-byte header");
		return false;
	}
	if (c->readable_bytes > VIRTIO_NET_HDR_BYTES + VIRTIO_NET_FRAME_MAX) {
		net->tx_dropped++;
		return true;
	}
	int n = 0;
	for (unsigned i = 0; i < c->count; i++)
		if (!c->buffers[i].writable)
			net->iov[n++] = (struct iovec){ c->buffers[i].hva, c->buffers[i].len };
	/* A tap that refuses a frame (bad offload fields, link down) drops it,
	 * as a wire would. */
	ssize_t sent;
	do
		sent = writev(net->tap_fd, net->iov, n);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		net->tx_dropped++;
	else
		net->tx_frames_count++;
	return true;
}

static void transmit(struct virtio_net *net, uint64_t now)
{
	struct virtio_mmio *t = &net->transport;
	struct virtq *q = &t->queues[VIRTIO_NET_TX];
	do {
		for (;;) {
			int got = virtq_pop(q, t->mem, &net->chain);
			if (got < 0) {
				virtio_mmio_needs_reset(t, q->error);
				goto done;
			}
			if (!got)
				break;
			uint64_t len = net->chain.readable_bytes;
			uint64_t ns = rate_limit_pair_wait_ns(&net->tx_bytes, &net->tx_frames, len, now);
			if (ns) {
				virtq_unpop(q, 1);
				arm_timer(net, ns);
				goto done;
			}
			if (!send_chain(net))
				goto done;
			take(&net->tx_bytes, &net->tx_frames, len, now);
			virtq_push(q, net->chain.head, 0);
		}
	} while (virtq_arm_notify(q));
done:
	virtio_mmio_used(t, VIRTIO_NET_TX);
}

void virtio_net_serve(struct virtio_net *net)
{
	uint64_t now = devices_now_ns();
	receive(net, now);
	if (virtio_mmio_live(&net->transport))
		transmit(net, now);
}

static void on_event(void *opaque, int fd)
{
	struct virtio_net *net = opaque;
	if (fd >= 0)
		io_drain(fd);
	pthread_mutex_lock(&net->transport.lock);
	if (virtio_mmio_live(&net->transport))
		virtio_net_serve(net);
	pthread_mutex_unlock(&net->transport.lock);
}

static void on_rx_kick(void *opaque) { on_event(opaque, ((struct virtio_net *)opaque)->rx_kick_fd); }
static void on_tx_kick(void *opaque) { on_event(opaque, ((struct virtio_net *)opaque)->tx_kick_fd); }
static void on_tap(void *opaque) { on_event(opaque, -1); }

static void on_timer(void *opaque)
{
	struct virtio_net *net = opaque;
	net->timer_armed = false;
	on_event(opaque, net->timer_fd);
}

static const struct virtio_device_ops net_ops = {
	.name = "net", .device_id = VIRTIO_ID_NET, .queue_count = 2,
	.queue_size_max = VIRTIO_NET_QUEUE_SIZE, .config_size = VIRTIO_NET_CONFIG_BYTES,
	.features = F_CSUM | F_GUEST_CSUM | F_MAC | F_GUEST_TSO4 | F_GUEST_TSO6 | F_HOST_TSO4 |
		    F_HOST_TSO6 | F_MRG_RXBUF | F_STATUS,
	.config_read = net_config_read, .activate = net_activate, .notify = net_notify,
	.reset = net_reset,
};

static void limits_init(struct virtio_net *net, const struct virtio_net_limits *l)
{
	uint64_t now = devices_now_ns();
	rate_limit_init(&net->rx_bytes, l->rx_bytes, l->rx_bytes, now);
	rate_limit_init(&net->rx_frames, l->rx_frames, l->rx_frames, now);
	rate_limit_init(&net->tx_bytes, l->tx_bytes, l->tx_bytes, now);
	rate_limit_init(&net->tx_frames, l->tx_frames, l->tx_frames, now);
}

int virtio_net_init(struct virtio_net *net, const struct guest_mem *mem, int tap_fd,
		    const uint8_t mac[6], const struct virtio_net_limits *limits, int irq_fd)
{
	memset(net, 0, sizeof(*net));
	net->tap_fd = tap_fd;
	net->irq_fd = irq_fd;
	net->rx_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	net->tx_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	net->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	net->frame = malloc(VIRTIO_NET_HDR_BYTES + VIRTIO_NET_FRAME_MAX);
	if (net->rx_kick_fd < 0 || net->tx_kick_fd < 0 || net->timer_fd < 0 || !net->frame) {
		int err = net->frame ? -errno : -ENOMEM;
		virtio_net_close(net);
		return err;
	}
	memcpy(net->config, mac, 6);
	net->config[6] = S_LINK_UP;
	net->config[8] = 1;  /* max_virtqueue_pairs: one (without F_MQ the driver does not read it) */
	limits_init(net, limits);
	virtio_mmio_init(&net->transport, &net_ops, net, mem, device_signal_irqfd, &net->irq_fd);
	return 0;
}

int virtio_net_watch(struct virtio_net *net, struct io_thread *io)
{
	int err = io_thread_watch(io, net->rx_kick_fd, on_rx_kick, net);
	if (!err)
		err = io_thread_watch(io, net->tx_kick_fd, on_tx_kick, net);
	if (!err)
		err = io_thread_watch(io, net->timer_fd, on_timer, net);
	if (!err)
		err = io_thread_watch_edge(io, net->tap_fd, on_tap, net);
	return err;
}

void virtio_net_close(struct virtio_net *net)
{
	int *fds[] = { &net->tap_fd, &net->rx_kick_fd, &net->tx_kick_fd, &net->timer_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(net->frame);
	net->frame = NULL;
}
