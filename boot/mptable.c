/* The Intel MultiProcessor table (MP spec 1.4): how kernels built without
 * ACPI find their CPUs, IOAPIC and ISA interrupt routing. A floating
 * pointer ("_MP_") where Linux scans for it, then the configuration table:
 * processors, the ISA bus, the IOAPIC, ISA IRQs 0-15 to its pins (IRQ 0 at
 * pin 2, as the MADT says), ExtINT on LINT0, NMI on LINT1. APIC ids above
 * 254 do not fit its 8-bit fields: those vCPUs are the MADT's alone. */
#include "acpi.h"

#include <string.h>

#define MP_SPEC_REVISION 4
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define IOAPIC_ID 0      /* KVM's IOAPIC says 0, and the MADT does */
#define IOAPIC_GPA 0xfec00000u
#define LAPIC_GPA 0xfee00000u
#define ISA_BUS 0
#define MP_HEADER 44

static size_t processors(uint8_t *t, size_t len, size_t room, const struct boot_setup *s,
			 uint16_t *count)
{
	for (unsigned i = 0; i < s->cpus && len; i++) {
		uint32_t id = s->apic_ids ? s->apic_ids[i] : i;
		if (id > 254)
			continue;
		uint8_t cpu[20] = { 0, (uint8_t)id, LAPIC_VERSION, (uint8_t)(1 | (i == 0 ? 2 : 0)) };
		uint32_t signature = 0x600, features = 0x201;  /* family 6; FPU, APIC */
		memcpy(cpu + 4, &signature, 4);
		memcpy(cpu + 8, &features, 4);
		len = acpi_table_put(t, len, room, cpu, sizeof(cpu));
		(*count)++;
	}
	return len;
}

static size_t isa_routing(uint8_t *t, size_t len, size_t room, uint16_t *count)
{
	uint8_t bus[8] = { 1, ISA_BUS, 'I', 'S', 'A', ' ', ' ', ' ' };
	uint8_t ioapic[8] = { 2, IOAPIC_ID, IOAPIC_VERSION, 1 };
	uint32_t ioapic_gpa = IOAPIC_GPA;
	memcpy(ioapic + 4, &ioapic_gpa, 4);
	len = acpi_table_put(t, len, room, bus, sizeof(bus));
	len = acpi_table_put(t, len, room, ioapic, sizeof(ioapic));
	*count += 2;
	for (uint8_t irq = 0; irq < 16; irq++) {
		/* type 3: I/O interrupt, INT, conforming polarity and trigger */
		uint8_t route[8] = { 3, 0, 0, 0, ISA_BUS, irq, IOAPIC_ID, irq == 0 ? 2 : irq };
		len = acpi_table_put(t, len, room, route, sizeof(route));
		(*count)++;
	}
	uint8_t extint[8] = { 4, 3, 0, 0, ISA_BUS, 0, 0xff, 0 };  /* LINT0 of every CPU */
	uint8_t nmi[8] = { 4, 1, 0, 0, ISA_BUS, 0, 0xff, 1 };     /* LINT1 */
	len = acpi_table_put(t, len, room, extint, sizeof(extint));
	len = acpi_table_put(t, len, room, nmi, sizeof(nmi));
	*count += 2;
	return len;
}

size_t mptable_build(struct guest_mem *mem, uint64_t gpa, size_t room, const struct boot_setup *s)
{
	uint8_t *area = guest_mem_ptr(mem, gpa, room);
	if (!area || room < 16 + MP_HEADER)
		return 0;
	uint8_t *t = area + 16;
	size_t table_room = room - 16;
	uint16_t count = 0;
	memset(area, 0, room);
	size_t len = processors(t, MP_HEADER, table_room, s, &count);
	len = isa_routing(t, len, table_room, &count);
	if (!len)
		return 0;
	memcpy(t, "PCMP", 4);
	uint16_t length = (uint16_t)len;
	uint32_t lapic = LAPIC_GPA;
	memcpy(t + 4, &length, 2);
	t[6] = MP_SPEC_REVISION;
	memcpy(t + 8, "SPRIG   ", 8);
	memcpy(t + 16, "SPRIG VM    ", 12);
	memcpy(t + 34, &count, 2);
	memcpy(t + 36, &lapic, 4);
	t[7] = acpi_checksum(t, len);

	uint32_t table_gpa = (uint32_t)(gpa + 16);
	memcpy(area, "_MP_", 4);
	memcpy(area + 4, &table_gpa, 4);
	area[8] = 1;                 /* length in 16-byte units */
	area[9] = MP_SPEC_REVISION;
	area[10] = acpi_checksum(area, 16);
	return 16 + len;
}
