/* libFuzzer target: a snapshot's state file as sprig restore reads it,
 * everything short of KVM. The input is the file; when it passes the
 * format's checks, every section is decoded as the restore would: the
 * config text parsed and checked, each vCPU's sections gathered, COM1's
 * and the i8042's state loaded into real devices, and each virtio
 * section loaded into a virtio-rng transport over 4 MiB of guest RAM
 * (its queues checked against that RAM). A restore's sections come from a
 * file anyone may have written: besides crashes and sanitizer reports,
 * a loaded device must hold only in-range indexes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../devices/virtio/rng.h"
#include "../../snapshot/snapshot.h"

#define RAM_SIZE (4 * MEM_MiB)

static struct guest_mem mem;
static struct virtio_rng rng;
static struct devices devices;

static void no_stop(void *opaque, int status, const char *reason)
{
	(void)opaque, (void)status, (void)reason;
}

static void set_up(void)
{
	if (guest_mem_init(&mem, RAM_SIZE))
		abort();
	int irq = memfd_create("fuzz-irq", 0);  /* interrupts go nowhere */
	if (virtio_rng_init(&rng, &mem, irq, 0))
		abort();
	struct devices_fds fds = { -1, -1, -1, -1 };
	devices_init(&devices, &fds, no_stop, NULL);
	devices_add_virtio(&devices, VIRTIO_MMIO_BASE, &rng.transport);
}

static void decode_config(struct snapshot_image *img)
{
	static struct config config;
	char why[SNAPSHOT_WHY_SIZE];
	snapshot_config(img, &config, why);
}

static void decode_vcpus(struct snapshot_image *img)
{
	char why[SNAPSHOT_WHY_SIZE];
	for (unsigned i = 0; i < 4; i++) {
		struct vcpu_state s;
		if (snapshot_vcpu_sections(img, i, &s, why))
			break;
		if (s.xsave_size < 4096 || (s.cpuid_count && !s.cpuid) || (s.msr_count && !s.msrs))
			abort();
	}
}

static void decode_devices(struct snapshot_image *img)
{
	char why[SNAPSHOT_WHY_SIZE];
	if (snapshot_load_devices(img, &devices, why))
		return;
	if (devices.com1.rx_head >= UART_RX_FIFO || devices.com1.rx_count > UART_RX_FIFO ||
	    devices.i8042.head >= I8042_QUEUE || devices.i8042.count > I8042_QUEUE)
		abort();
	const struct virtq *q = &rng.transport.queues[0];
	if (q->ready && (!q->desc || !q->avail || !q->used))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		set_up();
		ready = 1;
	}
	/* The CRC made right: the fuzzer's mutations would otherwise never
	 * get past it (its refusal is what the unit tests check). */
	static uint8_t file[SNAPSHOT_STATE_MAX / 64];
	if (size < 32 || size > sizeof(file))
		return 0;
	memcpy(file, data, size);
	uint64_t crc = snapshot_crc64(file, size - 8);
	memcpy(file + size - 8, &crc, 8);
	static struct snapshot_image img;
	char why[SNAPSHOT_WHY_SIZE];
	memset(&img, 0, sizeof(img));
	if (snapshot_read(file, size, &img.view, why))
		return 0;
	decode_config(&img);
	decode_vcpus(&img);
	decode_devices(&img);
	snapshot_view_free(&img.view);
	virtio_mmio_reset(&rng.transport);
	devices_reset(&devices);
	return 0;
}
