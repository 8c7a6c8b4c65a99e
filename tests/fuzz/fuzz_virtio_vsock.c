/* libFuzzer target: virtio-vsock packets from a hostile driver. The device
 * listens on a socket in a temporary folder (no host program connects, so
 * every guest connection is refused with RST); a driver's bring-up puts
 * the receive queue at 0x0/0x1000/0x2000, transmit at 0x3000/0x4000/0x5000
 * and the event queue at 0x6000 (features from the input: EVENT_IDX,
 * indirect descriptors); the input lays out the start of guest RAM, and
 * one kick is served. Besides crashes and sanitizer reports it checks that
 * neither used index moves by more than the queue's worth and that a
 * device that needs a reset has stopped being live. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../devices/virtio/vsock.h"

#define RAM_SIZE (4 * MEM_MiB)
#define LAYOUT_BYTES (64 * 1024)

static struct guest_mem mem;
static struct virtio_vsock vsock;

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&vsock.transport, offset, (const uint8_t *)&value, 4);
}

static char dir[] = "/tmp/sprig-fuzz-vsock-XXXXXX";

/* The socket and its folder go when the fuzzer exits. */
static void clean_up(void)
{
	virtio_vsock_close(&vsock);
	rmdir(dir);
}

static void set_up(void)
{
	char path[64], why[256];
	if (guest_mem_init(&mem, RAM_SIZE) || !mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	int irq_fd = memfd_create("fuzz-irq", 0);  /* interrupts go nowhere */
	if (virtio_vsock_init(&vsock, &mem, 3, path, irq_fd, why, sizeof(why)))
		abort();
	atexit(clean_up);
}

static void queue(unsigned index, uint16_t size, uint32_t desc)
{
	reg(0x030, index), reg(0x038, size);
	reg(0x080, desc), reg(0x084, 0), reg(0x090, desc + 0x1000), reg(0x094, 0);
	reg(0x0a0, desc + 0x2000), reg(0x0a4, 0), reg(0x044, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva)
		set_up();
	/* The head as fuzz_virtq reads it, so its seeds fit. */
	if (size < 3 || size < 3 + 2u * (data[2] % 5))
		return 0;
	uint16_t queue_size = (uint16_t)(1u << (data[0] % 9));
	uint32_t features = (data[1] & 1 ? 1u << 29 : 0) | (data[1] & 2 ? 1u << 28 : 0);
	size_t skip = 3 + 2u * (data[2] % 5);
	data += skip, size -= skip;
	memset(mem.hva, 0, LAYOUT_BYTES);
	reg(0x070, 0), reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 0), reg(0x020, features), reg(0x024, 1), reg(0x020, 1), reg(0x070, 3 | 8);
	queue(0, queue_size, 0), queue(1, queue_size, 0x3000), queue(2, queue_size, 0x6000);
	reg(0x070, 3 | 8 | 4);
	memcpy(mem.hva, data, size < LAYOUT_BYTES ? size : LAYOUT_BYTES);
	pthread_mutex_lock(&vsock.transport.lock);
	uint16_t rx_before = vsock.transport.queues[0].used_idx, tx_before = vsock.transport.queues[1].used_idx;
	if (vsock.reset_pending)
		vsock.reset_pending = false;  /* no connection can exist: nothing to drop */
	if (virtio_mmio_live(&vsock.transport))
		virtio_vsock_serve(&vsock);
	uint16_t rx = (uint16_t)(vsock.transport.queues[0].used_idx - rx_before);
	uint16_t tx = (uint16_t)(vsock.transport.queues[1].used_idx - tx_before);
	bool needs_reset = vsock.transport.status & VIRTIO_STATUS_NEEDS_RESET;
	bool live = virtio_mmio_live(&vsock.transport);
	pthread_mutex_unlock(&vsock.transport.lock);
	if (rx > queue_size || tx > queue_size || (needs_reset && live))
		abort();
	return 0;
}
