/* libFuzzer target: virtio-blk requests from a hostile driver. The device
 * sits on a 64 KiB image (a memfd) and is brought up through its
 * registers as a driver would (features from the input: EVENT_IDX,
 * indirect descriptors); the input then lays out the start of guest RAM
 * (descriptor table at 0x0, avail ring at 0x1000, used ring at 0x2000,
 * headers, buffers and indirect tables wherever the input points) and one
 * kick is served. Besides crashes and sanitizer reports it checks that
 * the image keeps its size, the used index moves by at most the queue's
 * worth, and a device that needs a reset has stopped being live. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>

#include "../../devices/virtio/blk.h"

#define RAM_SIZE (4 * MEM_MiB)
#define LAYOUT_BYTES (64 * 1024)
#define IMAGE_BYTES (64 * 1024)

static struct guest_mem mem;
static struct virtio_blk blk;
static int irq_fd = -1;

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&blk.transport, offset, (const uint8_t *)&value, 4);
}

static void set_up(void)
{
	if (guest_mem_init(&mem, RAM_SIZE))
		abort();
	int image = memfd_create("fuzz-image", 0);
	if (image < 0 || ftruncate(image, IMAGE_BYTES))
		abort();
	char path[64], why[256];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", image);
	irq_fd = memfd_create("fuzz-irq", 0);  /* interrupts go nowhere */
	struct virtio_blk_config config = { path, false, false, "fuzz", 0, 0 };
	if (virtio_blk_init(&blk, &mem, &config, irq_fd, why, sizeof(why)))
		abort();
	close(image);
}

/* A driver's bring-up: reset, features, queue 0 of `size` at 0/0x1000/0x2000. */
static void bring_up(uint16_t size, uint32_t low_features)
{
	reg(0x070, 0);
	reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 0), reg(0x020, low_features);
	reg(0x024, 1), reg(0x020, 1);
	reg(0x070, 3 | 8);
	reg(0x030, 0), reg(0x038, size);
	reg(0x080, 0), reg(0x084, 0), reg(0x090, 0x1000), reg(0x094, 0), reg(0x0a0, 0x2000), reg(0x0a4, 0);
	reg(0x044, 1);
	reg(0x070, 3 | 8 | 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva)
		set_up();
	/* The head as fuzz_virtq reads it, so its seeds fit: queue size,
	 * features, and later avail indexes this target does not use. */
	if (size < 3 || size < 3 + 2u * (data[2] % 5))
		return 0;
	uint16_t queue_size = (uint16_t)(1u << (data[0] % 9));
	uint32_t features = (data[1] & 1 ? 1u << 29 : 0) | (data[1] & 2 ? 1u << 28 : 0);
	size_t skip = 3 + 2u * (data[2] % 5);
	data += skip, size -= skip;
	memset(mem.hva, 0, LAYOUT_BYTES);
	bring_up(queue_size, features);
	memcpy(mem.hva, data, size < LAYOUT_BYTES ? size : LAYOUT_BYTES);
	pthread_mutex_lock(&blk.transport.lock);
	uint16_t used_before = blk.transport.queues[0].used_idx;
	if (virtio_mmio_live(&blk.transport))
		virtio_blk_serve(&blk);
	uint16_t served = (uint16_t)(blk.transport.queues[0].used_idx - used_before);
	bool needs_reset = blk.transport.status & VIRTIO_STATUS_NEEDS_RESET;
	bool live = virtio_mmio_live(&blk.transport);
	pthread_mutex_unlock(&blk.transport.lock);
	if (served > queue_size || (needs_reset && live))
		abort();
	if (lseek(blk.fd, 0, SEEK_END) != IMAGE_BYTES)
		abort();  /* discard keeps the size; writes stay inside */
	return 0;
}
