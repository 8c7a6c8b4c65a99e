/* The DSDT: how the guest learns what is not on a PC's fixed list. The
 * console and the i8042 are described so that ACPI-only kernels bind them
 * (PNP0501, PNP0303); virtio-mmio windows as LNRO0005 devices, the name
 * Linux's virtio_mmio driver matches; \_S5 gives the sleep type that the
 * FADT's sleep control register turns into power off. */
#include "acpi.h"
#include "aml.h"

#include <stdio.h>
#include <string.h>

#include "../devices/devices.h"

/* Resource descriptors (ACPI 6.5, 6.4): small I/O and IRQ, large
 * Memory32Fixed and Extended Interrupt, then the end tag. */
static void io_port(struct aml *a, uint16_t base, uint8_t length)
{
	uint8_t d[8] = { 0x47, 1, (uint8_t)base, (uint8_t)(base >> 8), (uint8_t)base,
			 (uint8_t)(base >> 8), 1, length };
	aml_bytes(a, d, sizeof(d));
}

static void isa_irq(struct aml *a, unsigned irq)
{
	uint16_t mask = (uint16_t)(1u << irq);
	uint8_t d[3] = { 0x22, (uint8_t)mask, (uint8_t)(mask >> 8) };  /* edge, active high */
	aml_bytes(a, d, sizeof(d));
}

static void memory32_fixed(struct aml *a, uint32_t base, uint32_t size)
{
	uint8_t d[12] = { 0x86, 9, 0, 1 };  /* read/write */
	memcpy(d + 4, &base, 4);
	memcpy(d + 8, &size, 4);
	aml_bytes(a, d, sizeof(d));
}

static void extended_irq(struct aml *a, uint32_t irq)
{
	uint8_t d[9] = { 0x89, 6, 0, 0x03, 1 };  /* consumer, edge, active high, exclusive */
	memcpy(d + 5, &irq, 4);
	aml_bytes(a, d, sizeof(d));
}

static void end_tag(struct aml *a)
{
	uint8_t d[2] = { 0x79, 0 };  /* checksum 0: "treat as correct" */
	aml_bytes(a, d, sizeof(d));
}

static void legacy_device(struct aml *a, const char *name, const char *hid, const uint16_t *ports,
			  const uint8_t *lengths, unsigned count, unsigned irq)
{
	size_t dev = aml_device_open(a, name);
	aml_name(a, "_HID");
	aml_eisa_id(a, hid);
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	size_t crs = aml_buffer_open(a);
	for (unsigned i = 0; i < count; i++)
		io_port(a, ports[i], lengths[i]);
	isa_irq(a, irq);
	end_tag(a);
	aml_buffer_close(a, crs);
	aml_close(a, dev);
}

static void virtio_mmio_device(struct aml *a, unsigned index, const struct boot_mmio_device *d)
{
	char name[5];
	snprintf(name, sizeof(name), "VR%02X", index & 0xff);
	size_t dev = aml_device_open(a, name);
	aml_name(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name(a, "_UID");
	aml_integer(a, index);
	aml_name(a, "_CCA");
	aml_integer(a, 1);  /* DMA is cache coherent */
	aml_name(a, "_CRS");
	size_t crs = aml_buffer_open(a);
	memory32_fixed(a, (uint32_t)d->base, (uint32_t)d->size);
	extended_irq(a, d->irq);
	end_tag(a);
	aml_buffer_close(a, crs);
	aml_close(a, dev);
}

size_t acpi_build_dsdt(uint8_t *table, size_t room, const struct boot_setup *setup)
{
	if (room < sizeof(struct sdt_header))
		return 0;
	struct aml a = { table + sizeof(struct sdt_header), 0, room - sizeof(struct sdt_header), false };
	aml_name(&a, "\\_S5_");
	size_t s5 = aml_package_open(&a, 2);
	aml_integer(&a, ACPI_S5_TYPE);
	aml_integer(&a, 0);
	aml_close(&a, s5);

	size_t sb = aml_scope_open(&a, "\\_SB_");
	static const uint16_t com1_ports[] = { 0x3f8 }, i8042_ports[] = { 0x60, 0x64 };
	static const uint8_t com1_lengths[] = { 8 }, i8042_lengths[] = { 1, 1 };
	legacy_device(&a, "COM1", "PNP0501", com1_ports, com1_lengths, 1, COM1_IRQ);
	legacy_device(&a, "PS2K", "PNP0303", i8042_ports, i8042_lengths, 2, 1);
	for (unsigned i = 0; i < setup->mmio_count; i++)
		virtio_mmio_device(&a, i, &setup->mmio_devices[i]);
	aml_close(&a, sb);
	if (a.overflow)
		return 0;
	size_t length = sizeof(struct sdt_header) + a.len;
	acpi_sdt_finish((struct sdt_header *)table, "DSDT", (uint32_t)length, 2);
	return length;
}
