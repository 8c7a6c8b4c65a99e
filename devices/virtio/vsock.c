/* virtio-vsock (vsock.h). A packet is a 44-byte header (little endian:
 * src_cid, dst_cid, src_port, dst_port, len, type, op, flags, buf_alloc,
 * fwd_cnt) and `len` data bytes; the guest's come on the transmit queue,
 * sprig's go into the guest's buffers on the receive queue. Every header
 * field the guest wrote is checked before it is used; a guest that breaks
 * the protocol on one connection gets that connection reset, nothing
 * more. */
#include "vsock.h"
#include "../bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RX 0u
#define TX 1u
#define TYPE_STREAM 1u
enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };
#define SHUTDOWN_RCV 1u
#define SHUTDOWN_SEND 2u
#define FIRST_HOST_PORT (1u << 30)  /* host ports sprig hands out, as Firecracker's */

struct header {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

static void get_header(const uint8_t *p, struct header *h)
{
	memcpy(&h->src_cid, p, 8), memcpy(&h->dst_cid, p + 8, 8);
	memcpy(&h->src_port, p + 16, 4), memcpy(&h->dst_port, p + 20, 4), memcpy(&h->len, p + 24, 4);
	memcpy(&h->type, p + 28, 2), memcpy(&h->op, p + 30, 2);
	memcpy(&h->flags, p + 32, 4), memcpy(&h->buf_alloc, p + 36, 4), memcpy(&h->fwd_cnt, p + 40, 4);
}

static void put_header(uint8_t *p, const struct header *h)
{
	memcpy(p, &h->src_cid, 8), memcpy(p + 8, &h->dst_cid, 8);
	memcpy(p + 16, &h->src_port, 4), memcpy(p + 20, &h->dst_port, 4), memcpy(p + 24, &h->len, 4);
	memcpy(p + 28, &h->type, 2), memcpy(p + 30, &h->op, 2);
	memcpy(p + 32, &h->flags, 4), memcpy(p + 36, &h->buf_alloc, 4), memcpy(p + 40, &h->fwd_cnt, 4);
}


static void vsock_config_read(void *device, uint32_t offset, uint8_t *data, uint32_t size)
{
	memcpy(data, ((struct virtio_vsock *)device)->config + offset, size);  /* the transport bounded it */
}

static void vsock_activate(void *device)
{
	struct virtio_vsock *v = device;
	device_signal(v->rx_kick_fd);
	device_signal(v->tx_kick_fd);
}

static void vsock_notify(void *device, unsigned index)
{
	struct virtio_vsock *v = device;
	device_signal(index == RX ? v->rx_kick_fd : index == TX ? v->tx_kick_fd : v->event_kick_fd);
}

/* A vCPU thread may not close sockets: the I/O thread drops them. */
static void vsock_reset(void *device)
{
	struct virtio_vsock *v = device;
	v->reset_pending = true;
	v->transport_reset_pending = false;
	device_signal(v->rx_kick_fd);
}

/* --- connections --- */

static void drop(struct virtio_vsock *v, struct vsock_connection *c)
{
	io_thread_unwatch(v->io, c->fd);
	close(c->fd);
	madvise(c->pending, VSOCK_BUF_ALLOC, MADV_DONTNEED);  /* its pages back to the host */
	uint8_t *pending = c->pending;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->pending = pending;
}

static void drop_all(struct virtio_vsock *v)
{
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++)
		if (v->connections[i].fd >= 0)
			drop(v, &v->connections[i]);
	v->reset_count = 0;
	v->reset_pending = false;
}

static struct vsock_connection *find(struct virtio_vsock *v, uint32_t guest_port, uint32_t host_port)
{
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++) {
		struct vsock_connection *c = &v->connections[i];
		if (c->fd >= 0 && c->state != VSOCK_LINE && c->guest_port == guest_port && c->host_port == host_port)
			return c;
	}
	return NULL;
}

static void on_connection(void *opaque);

/* A free slot for `fd`, watched edge-triggered; NULL (fd closed) if none. */
static struct vsock_connection *adopt(struct virtio_vsock *v, int fd)
{
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++) {
		struct vsock_connection *c = &v->connections[i];
		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->readable = true;
		if (io_thread_watch_edge(v->io, fd, on_connection, v) == 0)
			return c;
		c->fd = -1;
		break;
	}
	close(fd);
	return NULL;
}

static void queue_reset(struct virtio_vsock *v, uint32_t guest_port, uint32_t host_port)
{
	if (v->reset_count < sizeof(v->resets) / sizeof(v->resets[0])) {
		v->resets[v->reset_count].guest_port = guest_port;
		v->resets[v->reset_count++].host_port = host_port;
	}
}

/* Tell the guest this connection is gone, and forget it. */
static void reset_connection(struct virtio_vsock *v, struct vsock_connection *c)
{
	if (c->state != VSOCK_LINE)
		queue_reset(v, c->guest_port, c->host_port);
	drop(v, c);
}

/* Guest bytes to the host side: what it takes now, the rest kept. */
static bool flush_pending(struct vsock_connection *c)
{
	while (c->pending_len) {
		ssize_t n = write(c->fd, c->pending, c->pending_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		memmove(c->pending, c->pending + n, c->pending_len - (size_t)n);
		c->pending_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	if (c->fwd_cnt - c->fwd_cnt_told >= VSOCK_BUF_ALLOC / 4)
		c->need_credit = true;
	if (c->guest_done)
		shutdown(c->fd, SHUT_WR);
	return true;
}

/* "CONNECT <port>\n" from a host program; then the guest is asked. */
static bool read_line(struct virtio_vsock *v, struct vsock_connection *c)
{
	for (;;) {
		char ch;
		ssize_t n = read(c->fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0 || c->line_len == sizeof(c->line) - 1)
			return false;
		if (ch != '\n') {
			c->line[c->line_len++] = ch;
			continue;
		}
		c->line[c->line_len] = 0;
		char *end;
		unsigned long port = strncmp(c->line, "CONNECT ", 8) ? 0 : strtoul(c->line + 8, &end, 10);
		if (!port || *end || port > UINT32_MAX || c->line[8] < '0' || c->line[8] > '9')
			return false;
		c->guest_port = (uint32_t)port;
		do
			c->host_port = v->next_host_port++;
		while (find(v, c->guest_port, c->host_port) || c->host_port < FIRST_HOST_PORT);
		c->state = VSOCK_CONNECTING;
		c->need_request = true;
		return true;
	}
}

static void on_connection(void *opaque)
{
	struct virtio_vsock *v = opaque;
	pthread_mutex_lock(&v->transport.lock);
	/* Which one it was does not matter: each connection that can make
	 * progress does (a call with nothing to do costs a few reads). */
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++) {
		struct vsock_connection *c = &v->connections[i];
		if (c->fd < 0)
			continue;
		if (c->state == VSOCK_LINE) {
			if (!read_line(v, c))
				drop(v, c);
			continue;
		}
		c->readable = true;
		if (!flush_pending(c))
			reset_connection(v, c);
	}
	if (virtio_mmio_live(&v->transport))
		virtio_vsock_serve(v);
	pthread_mutex_unlock(&v->transport.lock);
}

static void on_listen(void *opaque)
{
	struct virtio_vsock *v = opaque;
	int fd;
	pthread_mutex_lock(&v->transport.lock);
	while ((fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct vsock_connection *c = adopt(v, fd);
		if (c)
			c->state = VSOCK_LINE;
	}
	pthread_mutex_unlock(&v->transport.lock);
}

/* The guest connects to the host's port P: `path`_P, if a program listens. */
static void guest_connects(struct virtio_vsock *v, const struct header *h)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s_%u", v->path, h->dst_port);
	int fd = n < (int)sizeof(addr.sun_path) ? socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		if (fd >= 0)
			close(fd);
		queue_reset(v, h->src_port, h->dst_port);
		return;
	}
	struct vsock_connection *c = adopt(v, fd);
	if (!c) {
		queue_reset(v, h->src_port, h->dst_port);
		return;
	}
	c->state = VSOCK_OPEN;
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->need_response = true;
}

/* --- the guest's packets (transmit queue) --- */

/* Data into the host side; false: the guest sent more than it was offered. */
static bool take_data(struct vsock_connection *c, const struct virtq_chain *chain, uint32_t len)
{
	if (c->pending_len + len > VSOCK_BUF_ALLOC)
		return false;
	uint32_t skip = VSOCK_HEADER_BYTES, done = 0;
	for (unsigned i = 0; i < chain->count && done < len; i++) {
		const struct virtq_buffer *b = &chain->buffers[i];
		if (b->writable)
			break;
		uint32_t from = skip < b->len ? skip : b->len;
		skip -= from;
		uint32_t n = b->len - from < len - done ? b->len - from : len - done;
		memcpy(c->pending + c->pending_len + done, b->hva + from, n);
		done += n;
	}
	c->pending_len += done;
	return true;
}

static void guest_packet(struct virtio_vsock *v, const struct header *h, const struct virtq_chain *chain)
{
	if (h->src_cid != v->guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return;  /* not ours to answer: dropped, as Firecracker does */
	if (h->type != TYPE_STREAM) {
		queue_reset(v, h->src_port, h->dst_port);
		return;
	}
	struct vsock_connection *c = find(v, h->src_port, h->dst_port);
	if (!c) {
		if (h->op == OP_REQUEST)
			guest_connects(v, h);
		else if (h->op != OP_RST)
			queue_reset(v, h->src_port, h->dst_port);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case OP_RESPONSE:
		if (c->state != VSOCK_CONNECTING) {
			reset_connection(v, c);
			break;
		}
		c->state = VSOCK_OPEN;
		/* The host program learns its port, as from Firecracker. */
		int n = snprintf((char *)v->buffer, 32, "OK %u\n", c->host_port);
		if (c->pending_len + (uint32_t)n <= VSOCK_BUF_ALLOC) {
			memcpy(c->pending + c->pending_len, v->buffer, (size_t)n);
			c->pending_len += (uint32_t)n;
			c->fwd_cnt -= (uint32_t)n;  /* not the guest's bytes: no credit for them */
		}
		if (!flush_pending(c))
			reset_connection(v, c);
		break;
	case OP_RW:
		if (c->state != VSOCK_OPEN || c->guest_done || !take_data(c, chain, h->len) || !flush_pending(c))
			reset_connection(v, c);
		break;
	case OP_CREDIT_REQUEST:
		c->need_credit = true;
		break;
	case OP_SHUTDOWN:
		c->guest_done |= (h->flags & SHUTDOWN_SEND) != 0;
		if ((h->flags & (SHUTDOWN_RCV | SHUTDOWN_SEND)) == (SHUTDOWN_RCV | SHUTDOWN_SEND))
			reset_connection(v, c);  /* a full close waits for our RST */
		else if (!flush_pending(c))
			reset_connection(v, c);
		break;
	case OP_RST:
		drop(v, c);
		break;
	case OP_CREDIT_UPDATE:
		break;
	default:
		reset_connection(v, c);  /* REQUEST on a live connection, or no such op */
	}
}

static void transmit(struct virtio_vsock *v)
{
	struct virtio_mmio *t = &v->transport;
	struct virtq *q = &t->queues[TX];
	do {
		int got;
		while ((got = virtq_pop(q, t->mem, &v->chain)) > 0) {
			uint8_t raw[VSOCK_HEADER_BYTES];
			uint32_t have = 0;
			for (unsigned i = 0; i < v->chain.count && have < sizeof(raw); i++) {
				const struct virtq_buffer *b = &v->chain.buffers[i];
				if (b->writable)
					break;
				uint32_t n = b->len < sizeof(raw) - have ? b->len : (uint32_t)sizeof(raw) - have;
				memcpy(raw + have, b->hva, n);
				have += n;
			}
			struct header h;
			get_header(raw, &h);
			if (have < sizeof(raw) || h.len > VSOCK_PACKET_MAX ||
			    h.len > v->chain.readable_bytes - VSOCK_HEADER_BYTES) {
				virtio_mmio_needs_reset(t, "a transmit packet shorter than its header says");
				return;
			}
			guest_packet(v, &h, &v->chain);
			virtq_push(q, v->chain.head, 0);
		}
		if (got < 0) {
			virtio_mmio_needs_reset(t, q->error);
			return;
		}
	} while (virtq_arm_notify(q));
	virtio_mmio_used(t, TX);
}

/* --- what the guest is owed (receive queue) --- */

static struct header to_guest(const struct virtio_vsock *v, const struct vsock_connection *c, uint16_t op)
{
	return (struct header){ .src_cid = VSOCK_HOST_CID, .dst_cid = v->guest_cid,
				.src_port = c ? c->host_port : 0, .dst_port = c ? c->guest_port : 0,
				.type = TYPE_STREAM, .op = op, .buf_alloc = VSOCK_BUF_ALLOC,
				.fwd_cnt = c ? c->fwd_cnt : 0 };
}

/* Header and `len` bytes of v->buffer into the chain popped last (the
 * caller made sure its writable buffers hold them). */
static void fill(struct virtio_vsock *v, const struct header *h, uint32_t len)
{
	uint8_t raw[VSOCK_HEADER_BYTES];
	put_header(raw, h);
	const uint8_t *parts[2] = { raw, v->buffer };
	uint32_t sizes[2] = { VSOCK_HEADER_BYTES, len }, part = 0, from = 0;
	for (unsigned i = 0; i < v->chain.count && part < 2; i++) {
		const struct virtq_buffer *b = &v->chain.buffers[i];
		for (uint32_t at = 0; b->writable && at < b->len && part < 2;) {
			uint32_t n = b->len - at < sizes[part] - from ? b->len - at : sizes[part] - from;
			memcpy(b->hva + at, parts[part] + from, n);
			at += n, from += n;
			if (from == sizes[part])
				part++, from = 0;
		}
	}
	virtq_push(&v->transport.queues[RX], v->chain.head, VSOCK_HEADER_BYTES + len);
}

/* The next receive buffer: 1, 0 (none: wait for the driver), -1 broken. */
static int next_buffer(struct virtio_vsock *v)
{
	struct virtq *q = &v->transport.queues[RX];
	int got = virtq_pop(q, v->transport.mem, &v->chain);
	if (got < 0) {
		virtio_mmio_needs_reset(&v->transport, q->error);
		return -1;
	}
	if (got && v->chain.writable_bytes < VSOCK_HEADER_BYTES) {
		virtio_mmio_needs_reset(&v->transport, "a receive buffer without room for the 44-byte header");
		return -1;
	}
	return got;
}

/* One control packet the connection is owed, if any: true when sent. */
static bool owed_control(struct virtio_vsock *v, struct vsock_connection *c)
{
	uint16_t op = c->need_request ? OP_REQUEST : c->need_response ? OP_RESPONSE
		    : c->need_shutdown ? OP_SHUTDOWN : c->need_credit ? OP_CREDIT_UPDATE : 0;
	if (!op)
		return false;
	struct header h = to_guest(v, c, op);
	if (op == OP_SHUTDOWN)
		h.flags = SHUTDOWN_SEND;
	fill(v, &h, 0);
	c->fwd_cnt_told = c->fwd_cnt;
	if (op == OP_REQUEST)
		c->need_request = false;
	else if (op == OP_RESPONSE)
		c->need_response = false;
	else if (op == OP_SHUTDOWN)
		c->need_shutdown = false;
	c->need_credit = false;  /* every packet carries the credit */
	return true;
}

/* Host bytes for the guest, as many as its buffer and its credit take:
 * true when a packet went, false when this connection has nothing now. */
static bool owed_data(struct virtio_vsock *v, struct vsock_connection *c)
{
	if (c->state != VSOCK_OPEN || !c->readable || c->host_done)
		return false;
	uint32_t credit = c->peer_buf_alloc - (c->rx_cnt - c->peer_fwd_cnt);
	if (credit > c->peer_buf_alloc)
		credit = 0;  /* the guest's numbers do not add up: send nothing */
	uint64_t room = v->chain.writable_bytes - VSOCK_HEADER_BYTES;
	uint32_t want = credit < room ? credit : (uint32_t)room;
	if (want > VSOCK_PACKET_MAX)
		want = VSOCK_PACKET_MAX;
	if (!want)
		return false;
	ssize_t n;
	do
		n = read(c->fd, v->buffer, want);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		c->readable = false;
		if (n < 0 && errno == EAGAIN)
			return false;
		c->host_done = true;  /* the host side ended: SHUTDOWN, in this buffer */
		c->need_shutdown = true;
		return owed_control(v, c);
	}
	struct header h = to_guest(v, c, OP_RW);
	h.len = (uint32_t)n;
	fill(v, &h, (uint32_t)n);
	c->rx_cnt += (uint32_t)n;
	c->fwd_cnt_told = c->fwd_cnt;
	c->need_credit = false;
	return true;
}

static void receive(struct virtio_vsock *v)
{
	struct virtio_mmio *t = &v->transport;
	for (;;) {
		int got = next_buffer(v);
		if (got < 0)
			return;
		if (!got) {
			if (virtq_arm_notify_more(&t->queues[RX]))
				continue;
			break;
		}
		bool sent = false;
		if (v->reset_count) {
			struct header h = to_guest(v, NULL, OP_RST);
			h.src_port = v->resets[0].host_port, h.dst_port = v->resets[0].guest_port;
			fill(v, &h, 0);
			memmove(v->resets, v->resets + 1, --v->reset_count * sizeof(v->resets[0]));
			sent = true;
		}
		/* Round robin, so one busy connection cannot starve the rest. */
		for (unsigned k = 0; k < VSOCK_CONNECTIONS_MAX && !sent; k++) {
			struct vsock_connection *c = &v->connections[(v->next_turn + k) % VSOCK_CONNECTIONS_MAX];
			if (c->fd >= 0 && c->state != VSOCK_LINE && (owed_control(v, c) || owed_data(v, c))) {
				sent = true;
				v->next_turn = (v->next_turn + k + 1) % VSOCK_CONNECTIONS_MAX;
			}
		}
		if (!sent) {
			virtq_unpop(&t->queues[RX], 1);
			break;
		}
	}
	virtio_mmio_used(t, RX);
}

void virtio_vsock_serve(struct virtio_vsock *v)
{
	if (v->reset_pending)
		drop_all(v);
	transmit(v);
	if (virtio_mmio_live(&v->transport))
		receive(v);
}

static void on_kick(void *opaque, int fd)
{
	struct virtio_vsock *v = opaque;
	io_drain(fd);
	pthread_mutex_lock(&v->transport.lock);
	if (v->reset_pending)
		drop_all(v);
	if (virtio_mmio_live(&v->transport))
		virtio_vsock_serve(v);
	pthread_mutex_unlock(&v->transport.lock);
}

static void on_rx_kick(void *opaque) { on_kick(opaque, ((struct virtio_vsock *)opaque)->rx_kick_fd); }
static void on_tx_kick(void *opaque) { on_kick(opaque, ((struct virtio_vsock *)opaque)->tx_kick_fd); }
#define EVENT_QUEUE 2u
#define EVENT_TRANSPORT_RESET 0u

/* The event queue's one event: struct virtio_vsock_event { le32 id; }. It
 * waits for a buffer if the driver has given none yet. */
static void send_transport_reset(struct virtio_vsock *v)
{
	struct virtio_mmio *t = &v->transport;
	struct virtq *q = &t->queues[EVENT_QUEUE];
	if (!q->ready)
		return;
	int got = virtq_pop(q, t->mem, &v->chain);
	if (got < 0) {
		virtio_mmio_needs_reset(t, q->error);
		return;
	}
	if (!got)
		return;  /* the next kick of the event queue tries again */
	const struct virtq_buffer *b = &v->chain.buffers[0];
	uint32_t id = EVENT_TRANSPORT_RESET, written = 0;
	if (v->chain.count && b->writable && b->len >= sizeof(id)) {
		memcpy(b->hva, &id, sizeof(id));
		written = sizeof(id);
	}
	virtq_push(q, v->chain.head, written);
	v->transport_reset_pending = false;
	virtio_mmio_used(t, EVENT_QUEUE);
}

static void on_event_kick(void *opaque)
{
	struct virtio_vsock *v = opaque;
	io_drain(v->event_kick_fd);
	pthread_mutex_lock(&v->transport.lock);
	if (v->transport_reset_pending && virtio_mmio_live(&v->transport))
		send_transport_reset(v);
	pthread_mutex_unlock(&v->transport.lock);
}

static void vsock_restored(void *device)
{
	struct virtio_vsock *v = device;
	v->transport_reset_pending = true;
	device_signal(v->event_kick_fd);
}

static const struct virtio_device_ops vsock_ops = {
	.name = "vsock", .device_id = VIRTIO_ID_VSOCK, .queue_count = 3,
	.queue_size_max = VSOCK_QUEUE_SIZE, .config_size = 8, .config_read = vsock_config_read,
	.activate = vsock_activate, .notify = vsock_notify, .reset = vsock_reset, .restored = vsock_restored,
};

/* The listening socket; a socket file left by an earlier run goes. */
static int listen_on(const char *path, char *why, size_t why_size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	/* Room for "_<port>" after it: the guest's connections go there. */
	if (strlen(path) + 11 >= sizeof(addr.sun_path))
		return snprintf(why, why_size, "%s: longer than %zu bytes", path, sizeof(addr.sun_path) - 12),
		       -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	struct stat st;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return snprintf(why, why_size, "%s: exists and is not a socket", path), -EEXIST;
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 64)) {
		int err = -errno;
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem, uint64_t guest_cid,
		      const char *path, int irq_fd, char *why, size_t why_size)
{
	memset(v, 0, sizeof(*v));
	v->listen_fd = v->rx_kick_fd = v->tx_kick_fd = v->event_kick_fd = -1;
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++)
		v->connections[i].fd = -1;
	v->irq_fd = irq_fd;
	v->guest_cid = guest_cid;
	v->next_host_port = FIRST_HOST_PORT;
	snprintf(v->path, sizeof(v->path), "%s", path);
	memcpy(v->config, &guest_cid, 8);
	/* Untouched until a connection needs it; given back when it closes. */
	v->pending_area = mmap(NULL, (size_t)VSOCK_CONNECTIONS_MAX * VSOCK_BUF_ALLOC, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->pending_area == MAP_FAILED) {
		v->pending_area = NULL;
		return snprintf(why, why_size, "out of memory"), -ENOMEM;
	}
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++)
		v->connections[i].pending = v->pending_area + (size_t)i * VSOCK_BUF_ALLOC;
	v->rx_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->tx_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->event_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->rx_kick_fd < 0 || v->tx_kick_fd < 0 || v->event_kick_fd < 0)
		return snprintf(why, why_size, "eventfd: %s", strerror(errno)), -errno;
	int fd = listen_on(path, why, why_size);
	if (fd < 0)
		return fd;
	v->listen_fd = fd;
	virtio_mmio_init(&v->transport, &vsock_ops, v, mem, device_signal_irqfd, &v->irq_fd);
	return 0;
}

int virtio_vsock_watch(struct virtio_vsock *v, struct io_thread *io)
{
	v->io = io;
	int err = io_thread_watch(io, v->rx_kick_fd, on_rx_kick, v);
	if (!err)
		err = io_thread_watch(io, v->tx_kick_fd, on_tx_kick, v);
	if (!err)
		err = io_thread_watch(io, v->event_kick_fd, on_event_kick, v);
	if (!err)
		err = io_thread_watch(io, v->listen_fd, on_listen, v);
	return err;
}

void virtio_vsock_close(struct virtio_vsock *v)
{
	for (unsigned i = 0; i < VSOCK_CONNECTIONS_MAX; i++)
		if (v->connections[i].fd >= 0)
			close(v->connections[i].fd);
	if (v->listen_fd >= 0)
		unlink(v->path);  /* the socket this device made */
	int *fds[] = { &v->listen_fd, &v->rx_kick_fd, &v->tx_kick_fd, &v->event_kick_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (v->pending_area)
		munmap(v->pending_area, (size_t)VSOCK_CONNECTIONS_MAX * VSOCK_BUF_ALLOC);
	v->pending_area = NULL;
}
