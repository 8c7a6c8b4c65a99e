/* ACPI tables that tell a guest how many CPUs it has and where its
 * interrupt controllers are: RSDP -> RSDT/XSDT -> MADT. Distribution kernels
 * have no MP-table parser, so this is how they (and our guests) find vCPUs. */
#include "boot.h"

#include <stddef.h>
#include <string.h>

#define LAPIC_GPA 0xfee00000u
#define IOAPIC_GPA 0xfec00000u
#define RSDP_GPA BOOT_ACPI_GPA
#define RSDT_GPA (BOOT_ACPI_GPA + 0x40)
#define XSDT_GPA (BOOT_ACPI_GPA + 0x80)
#define MADT_GPA (BOOT_ACPI_GPA + 0x100)
#define XAPIC_MAX_ID 254u  /* 255 is the xAPIC broadcast id */

struct __attribute__((packed)) sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

struct __attribute__((packed)) rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
};

static uint8_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;
	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void sdt_init(struct sdt_header *h, const char *signature, uint32_t length, uint8_t revision)
{
	memcpy(h->signature, signature, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, "SPRIG ", 6);
	memcpy(h->oem_table_id, "SPRIGVM ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "SPRG", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = checksum(h, length);
}

/* Append one MADT entry; returns the new length or 0 when out of room. */
static size_t put(uint8_t *table, size_t len, size_t room, const void *entry, size_t size)
{
	if (size > room - len)
		return 0;
	memcpy(table + len, entry, size);
	return len + size;
}

static size_t madt_cpu(uint8_t *t, size_t len, size_t room, unsigned id)
{
	if (id <= XAPIC_MAX_ID) {
		uint8_t lapic[8] = { 0, 8, (uint8_t)id, (uint8_t)id, 1, 0, 0, 0 };
		return put(t, len, room, lapic, sizeof(lapic));
	}
	uint8_t x2apic[16] = { 9, 16 };
	uint32_t enabled = 1;
	memcpy(x2apic + 4, &id, 4);
	memcpy(x2apic + 8, &enabled, 4);
	memcpy(x2apic + 12, &id, 4);
	return put(t, len, room, x2apic, sizeof(x2apic));
}

static size_t build_madt(uint8_t *t, size_t room, unsigned cpus, const uint32_t *apic_ids)
{
	size_t len = sizeof(struct sdt_header) + 8;
	uint32_t lapic = LAPIC_GPA, flags = 1;  /* PCAT_COMPAT: there are 8259s */
	memcpy(t + sizeof(struct sdt_header), &lapic, 4);
	memcpy(t + sizeof(struct sdt_header) + 4, &flags, 4);
	for (unsigned i = 0; i < cpus && len; i++)
		len = madt_cpu(t, len, room, apic_ids ? apic_ids[i] : i);
	uint8_t ioapic[12] = { 1, 12, 0, 0 };
	uint32_t ioapic_gpa = IOAPIC_GPA;
	memcpy(ioapic + 4, &ioapic_gpa, 4);
	/* The PIT's IRQ 0 arrives at IOAPIC pin 2, as on every PC. */
	uint8_t irq0_override[10] = { 2, 10, 0, 0, 2, 0, 0, 0, 0, 0 };
	uint8_t lint1_nmi[6] = { 4, 6, 0xff, 0, 0, 1 };
	if (len)
		len = put(t, len, room, ioapic, sizeof(ioapic));
	if (len)
		len = put(t, len, room, irq0_override, sizeof(irq0_override));
	if (len)
		len = put(t, len, room, lint1_nmi, sizeof(lint1_nmi));
	if (len)
		sdt_init((struct sdt_header *)t, "APIC", (uint32_t)len, 4);
	return len;
}

static void build_root_tables(struct guest_mem *mem)
{
	uint8_t *rsdt = guest_mem_ptr(mem, RSDT_GPA, sizeof(struct sdt_header) + 4);
	uint8_t *xsdt = guest_mem_ptr(mem, XSDT_GPA, sizeof(struct sdt_header) + 8);
	uint32_t madt32 = (uint32_t)MADT_GPA;
	uint64_t madt64 = MADT_GPA;
	memcpy(rsdt + sizeof(struct sdt_header), &madt32, 4);
	sdt_init((struct sdt_header *)rsdt, "RSDT", sizeof(struct sdt_header) + 4, 1);
	memcpy(xsdt + sizeof(struct sdt_header), &madt64, 8);
	sdt_init((struct sdt_header *)xsdt, "XSDT", sizeof(struct sdt_header) + 8, 1);

	struct rsdp r = { .revision = 2, .rsdt_address = (uint32_t)RSDT_GPA,
			  .length = sizeof(r), .xsdt_address = XSDT_GPA };
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, "SPRIG ", 6);
	r.checksum = checksum(&r, offsetof(struct rsdp, length));
	r.extended_checksum = checksum(&r, sizeof(r));
	memcpy(guest_mem_ptr(mem, RSDP_GPA, sizeof(r)), &r, sizeof(r));
}

uint64_t boot_acpi_build(struct guest_mem *mem, unsigned cpus, const uint32_t *apic_ids)
{
	size_t room = BOOT_ACPI_END - MADT_GPA;
	uint8_t *madt = guest_mem_ptr(mem, MADT_GPA, room);
	if (!madt || !guest_mem_ptr(mem, BOOT_ACPI_GPA, MADT_GPA - BOOT_ACPI_GPA))
		return 0;
	memset(madt, 0, room);
	if (!build_madt(madt, room, cpus, apic_ids))
		return 0;
	build_root_tables(mem);
	return RSDP_GPA;
}
