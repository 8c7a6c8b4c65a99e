/* Route a vCPU's port or MMIO access to the device that claims it. */
#include "bus.h"
#include "virtio/mmio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct region {
	uint64_t base, size;
	device_access_fn *access;
};

static const struct region pio_map[] = {
	{ COM1_PORT, 8, uart_access },
	{ I8042_DATA_PORT, 1, i8042_data_access },
	{ I8042_COMMAND_PORT, 1, i8042_command_access },
	{ DEBUG_EXIT_PORT, 4, debug_exit_access },
	{ BOOT_MARKER_PORT, 1, boot_marker_access },
	{ ACPI_SLEEP_PORT, 1, acpi_sleep_access },
	{ ACPI_RESET_PORT, 1, acpi_reset_access },
	{ RESET_CONTROL_PORT, 1, reset_control_access },
};

static const struct region mmio_map[] = {
	{ BOOT_MARKER_MMIO_NEW, 1, boot_marker_access },
	{ BOOT_MARKER_MMIO, 1, boot_marker_access },
};

static const struct region *lookup(const struct region *map, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr >= map[i].base && addr - map[i].base < map[i].size)
			return &map[i];
	return NULL;
}

void devices_init(struct devices *d, const struct devices_fds *fds, devices_stop_fn *stop,
		  void *opaque)
{
	memset(d, 0, sizeof(*d));
	uart_init(&d->com1, fds->console_out, fds->com1_irq, fds->com1_rx_ready);
	i8042_init(&d->i8042, fds->i8042_irq);
	d->stop = stop;
	d->stop_opaque = opaque;
}

void devices_pio(struct devices *d, uint16_t port, uint8_t *data, unsigned size, bool write)
{
	const struct region *r = lookup(pio_map, sizeof(pio_map) / sizeof(pio_map[0]), port);
	if (r) {
		r->access(d, port - r->base, data, size, write);
		return;
	}
	/* Kernels probe ports that nothing answers; a floating bus reads ones. */
	if (!write)
		memset(data, 0xff, size);
}

int devices_add_virtio(struct devices *d, uint64_t base, struct virtio_mmio *transport)
{
	if (d->virtio_count == DEVICES_VIRTIO_MAX)
		return -ENOSPC;
	d->virtio[d->virtio_count].base = base;
	d->virtio[d->virtio_count++].transport = transport;
	return 0;
}

static bool virtio_access(struct devices *d, uint64_t gpa, uint8_t *data, unsigned size, bool write)
{
	for (unsigned i = 0; i < d->virtio_count; i++) {
		uint64_t offset = gpa - d->virtio[i].base;
		if (gpa < d->virtio[i].base || offset >= VIRTIO_MMIO_SIZE)
			continue;
		if (write)
			virtio_mmio_write(d->virtio[i].transport, offset, data, size);
		else
			virtio_mmio_read(d->virtio[i].transport, offset, data, size);
		return true;
	}
	return false;
}

void devices_mmio(struct devices *d, uint64_t gpa, uint8_t *data, unsigned size, bool write)
{
	if (virtio_access(d, gpa, data, size, write))
		return;
	const struct region *r = lookup(mmio_map, sizeof(mmio_map) / sizeof(mmio_map[0]), gpa);
	if (r) {
		r->access(d, gpa - r->base, data, size, write);
		return;
	}
	if (!write)
		memset(data, 0xff, size);
	/* Once per VM: enough to notice a stray guest, not enough to flood. */
	if (!atomic_exchange(&d->mmio_warned, true))
		fprintf(stderr, "sprig: guest %s unassigned MMIO at 0x%llx (%u bytes), ignored\n",
			write ? "wrote" : "read", (unsigned long long)gpa, size);
}

size_t devices_console_input(struct devices *d, const uint8_t *bytes, size_t count)
{
	return uart_receive(&d->com1, bytes, count);
}

void devices_flush(struct devices *d)
{
	uart_flush(&d->com1);
}

void devices_reset(struct devices *d)
{
	uart_reset(&d->com1);
	i8042_reset(&d->i8042);
	for (unsigned i = 0; i < d->virtio_count; i++)
		virtio_mmio_reset(d->virtio[i].transport);
}

void device_signal(int fd)
{
	uint64_t one = 1;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* An eventfd only refuses when its counter is saturated: the
		 * other side is already told. */
	}
}

void device_signal_irqfd(void *irq_fd)
{
	device_signal(*(int *)irq_fd);
}

void device_irq_level(int irq_fd, bool *raised, bool pending)
{
	if (pending && !*raised)
		device_signal(irq_fd);
	*raised = pending;
}

uint64_t devices_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
