/* libFuzzer target: virtio-net queues from a hostile driver. The device's
 * tap is one end of a datagram socketpair; a driver's bring-up (features
 * from the input: EVENT_IDX, indirect descriptors, mergeable receive
 * buffers) puts the receive queue at 0x0/0x1000/0x2000 and the transmit
 * queue at 0x3000/0x4000/0x5000; the input lays out the start of guest
 * RAM and its first bytes are also sent as a frame from the "tap"; then
 * one kick is served. Besides crashes and sanitizer reports it checks
 * that neither used index moves by more than the queue's worth, that a
 * device that needs a reset has stopped being live, and that every frame
 * that reaches the tap has its header and fits the largest frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../devices/virtio/net.h"

#define RAM_SIZE (4 * MEM_MiB)
#define LAYOUT_BYTES (64 * 1024)

static struct guest_mem mem;
static struct virtio_net net;
static int host_end = -1;

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&net.transport, offset, (const uint8_t *)&value, 4);
}

static void set_up(void)
{
	int pair[2];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct virtio_net_limits none = { 0 };
	if (guest_mem_init(&mem, RAM_SIZE) || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, pair))
		abort();
	host_end = pair[1];
	int irq_fd = memfd_create("fuzz-irq", 0);  /* interrupts go nowhere */
	if (virtio_net_init(&net, &mem, pair[0], mac, &none, irq_fd))
		abort();
}

static void queue(unsigned index, uint16_t size, uint32_t desc)
{
	reg(0x030, index), reg(0x038, size);
	reg(0x080, desc), reg(0x084, 0), reg(0x090, desc + 0x1000), reg(0x094, 0);
	reg(0x0a0, desc + 0x2000), reg(0x0a4, 0), reg(0x044, 1);
}

static void bring_up(uint16_t size, uint32_t low_features)
{
	reg(0x070, 0);
	reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 0), reg(0x020, low_features);
	reg(0x024, 1), reg(0x020, 1);
	reg(0x070, 3 | 8);
	queue(0, size, 0);
	queue(1, size, 0x3000);
	reg(0x070, 3 | 8 | 4);
}

/* What reached the "tap": each frame with a header, none too large. */
static void check_sent(void)
{
	static uint8_t frame[2 * (VIRTIO_NET_HDR_BYTES + VIRTIO_NET_FRAME_MAX)];
	ssize_t n;
	while ((n = recv(host_end, frame, sizeof(frame), 0)) >= 0)
		if (n < (ssize_t)VIRTIO_NET_HDR_BYTES || n > (ssize_t)(VIRTIO_NET_HDR_BYTES + VIRTIO_NET_FRAME_MAX))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva)
		set_up();
	/* The head as fuzz_virtq reads it, so its seeds fit. */
	if (size < 3 || size < 3 + 2u * (data[2] % 5))
		return 0;
	uint16_t queue_size = (uint16_t)(1u << (data[0] % 9));
	uint32_t features = (data[1] & 1 ? 1u << 29 : 0) | (data[1] & 2 ? 1u << 28 : 0) |
			    (data[1] & 4 ? 1u << 15 : 0) | (data[1] & 8 ? 1u << 1 : 0);
	size_t skip = 3 + 2u * (data[2] % 5);
	data += skip, size -= skip;
	memset(mem.hva, 0, LAYOUT_BYTES);
	bring_up(queue_size, features);
	memcpy(mem.hva, data, size < LAYOUT_BYTES ? size : LAYOUT_BYTES);
	if (size)
		send(host_end, data, size < 9000 ? size : 9000, 0);
	pthread_mutex_lock(&net.transport.lock);
	uint16_t rx_before = net.transport.queues[0].used_idx, tx_before = net.transport.queues[1].used_idx;
	if (virtio_mmio_live(&net.transport))
		virtio_net_serve(&net);
	uint16_t rx = (uint16_t)(net.transport.queues[0].used_idx - rx_before);
	uint16_t tx = (uint16_t)(net.transport.queues[1].used_idx - tx_before);
	bool needs_reset = net.transport.status & VIRTIO_STATUS_NEEDS_RESET;
	bool live = virtio_mmio_live(&net.transport);
	pthread_mutex_unlock(&net.transport.lock);
	if (rx > queue_size || tx > queue_size || (needs_reset && live))
		abort();
	check_sent();
	/* Frames the driver had no room for stay in the "tap" for the next input. */
	return 0;
}
