/* ACPI tables: RSDP -> RSDT/XSDT -> FADT (hardware-reduced, with the DSDT)
 * and MADT; and the MP table for kernels built without ACPI. Distribution
 * kernels have no MP-table parser, so the MADT is how they (and our
 * guests) find vCPUs; the FADT's sleep control and reset registers are how
 * `poweroff` and `reboot` reach sprig. Layout: docs/memory-map.md. */
#include "acpi.h"

#include <stddef.h>
#include <string.h>

#include "../devices/devices.h"

#define LAPIC_GPA 0xfee00000u
#define IOAPIC_GPA 0xfec00000u
#define RSDP_GPA BOOT_ACPI_GPA
#define RSDT_GPA (BOOT_ACPI_GPA + 0x40)
#define XSDT_GPA (BOOT_ACPI_GPA + 0x80)
#define FADT_GPA (BOOT_ACPI_GPA + 0x100)
#define DSDT_GPA (BOOT_ACPI_GPA + 0x400)
#define MADT_GPA (BOOT_ACPI_GPA + 0x2000)
#define MPTABLE_GPA 0xfc000ull           /* where Linux scans: 0xf0000 - 0xfffff */
#define RESET_VECTOR_GPA 0xffff0ull      /* F000:FFF0, where a CPU reset starts */
#define XAPIC_MAX_ID 254u  /* 255 is the xAPIC broadcast id */
#define ROOT_ENTRIES 2     /* FADT, MADT */

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

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;
	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

void acpi_sdt_finish(struct sdt_header *h, const char *signature, uint32_t length, uint8_t revision)
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
	h->checksum = acpi_checksum(h, length);
}

size_t acpi_table_put(uint8_t *table, size_t len, size_t room, const void *entry, size_t size)
{
	if (!len || size > room - len)
		return 0;
	memcpy(table + len, entry, size);
	return len + size;
}

static size_t madt_cpu(uint8_t *t, size_t len, size_t room, unsigned id)
{
	if (id <= XAPIC_MAX_ID) {
		uint8_t lapic[8] = { 0, 8, (uint8_t)id, (uint8_t)id, 1, 0, 0, 0 };
		return acpi_table_put(t, len, room, lapic, sizeof(lapic));
	}
	uint8_t x2apic[16] = { 9, 16 };
	uint32_t enabled = 1;
	memcpy(x2apic + 4, &id, 4);
	memcpy(x2apic + 8, &enabled, 4);
	memcpy(x2apic + 12, &id, 4);
	return acpi_table_put(t, len, room, x2apic, sizeof(x2apic));
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
	len = acpi_table_put(t, len, room, ioapic, sizeof(ioapic));
	len = acpi_table_put(t, len, room, irq0_override, sizeof(irq0_override));
	len = acpi_table_put(t, len, room, lint1_nmi, sizeof(lint1_nmi));
	if (len)
		acpi_sdt_finish((struct sdt_header *)t, "APIC", (uint32_t)len, 4);
	return len;
}

/* FADT (ACPI 6.5, 5.2.9), revision 6: hardware-reduced, so no PM timer,
 * SCI, GPEs or FACS; sleep control/status and reset as I/O registers. */
#define FADT_LENGTH 276
#define FADT_DSDT 40
#define FADT_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL 244
#define FADT_SLEEP_STATUS 256
#define FADT_HYPERVISOR_ID 268

#define BOOT_ARCH_8042 (1u << 1)
#define BOOT_ARCH_NO_VGA (1u << 2)
#define BOOT_ARCH_NO_MSI (1u << 3)
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5)
#define FLAG_WBINVD (1u << 0)
#define FLAG_PWR_BUTTON (1u << 4)   /* no fixed-feature power button */
#define FLAG_SLP_BUTTON (1u << 5)
#define FLAG_RESET_REG_SUP (1u << 10)
#define FLAG_HW_REDUCED_ACPI (1u << 20)

/* Generic Address Structure: one byte in system I/O space. */
static void io_register(uint8_t *gas, uint16_t port)
{
	gas[0] = 1;   /* system I/O */
	gas[1] = 8;   /* bit width */
	gas[2] = 0;   /* bit offset */
	gas[3] = 1;   /* byte access */
	uint64_t address = port;
	memcpy(gas + 4, &address, 8);
}

static void build_fadt(uint8_t *t)
{
	memset(t, 0, FADT_LENGTH);
	uint32_t dsdt32 = (uint32_t)DSDT_GPA;
	uint64_t dsdt64 = DSDT_GPA;
	memcpy(t + FADT_DSDT, &dsdt32, 4);
	memcpy(t + FADT_X_DSDT, &dsdt64, 8);
	/* An i8042 for reboot=k and the keyboard; no VGA, MSI or CMOS clock
	 * to probe (each costs a guest boot time it would spend failing). */
	uint16_t boot_arch = BOOT_ARCH_8042 | BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_MSI | BOOT_ARCH_NO_CMOS_RTC;
	memcpy(t + FADT_BOOT_ARCH, &boot_arch, 2);
	uint32_t flags = FLAG_WBINVD | FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_RESET_REG_SUP |
			 FLAG_HW_REDUCED_ACPI;
	memcpy(t + FADT_FLAGS, &flags, 4);
	io_register(t + FADT_RESET_REG, ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	t[FADT_MINOR_VERSION] = 5;
	io_register(t + FADT_SLEEP_CONTROL, ACPI_SLEEP_PORT);
	io_register(t + FADT_SLEEP_STATUS, ACPI_SLEEP_PORT);
	memcpy(t + FADT_HYPERVISOR_ID, "SPRIG   ", 8);
	acpi_sdt_finish((struct sdt_header *)t, "FACP", FADT_LENGTH, 6);
}

static void build_root_tables(struct guest_mem *mem)
{
	size_t rsdt_len = sizeof(struct sdt_header) + 4 * ROOT_ENTRIES;
	size_t xsdt_len = sizeof(struct sdt_header) + 8 * ROOT_ENTRIES;
	uint8_t *rsdt = guest_mem_ptr(mem, RSDT_GPA, rsdt_len);
	uint8_t *xsdt = guest_mem_ptr(mem, XSDT_GPA, xsdt_len);
	const uint64_t tables[ROOT_ENTRIES] = { FADT_GPA, MADT_GPA };
	for (int i = 0; i < ROOT_ENTRIES; i++) {
		uint32_t gpa32 = (uint32_t)tables[i];
		memcpy(rsdt + sizeof(struct sdt_header) + 4 * i, &gpa32, 4);
		memcpy(xsdt + sizeof(struct sdt_header) + 8 * i, &tables[i], 8);
	}
	acpi_sdt_finish((struct sdt_header *)rsdt, "RSDT", (uint32_t)rsdt_len, 1);
	acpi_sdt_finish((struct sdt_header *)xsdt, "XSDT", (uint32_t)xsdt_len, 1);

	struct rsdp r = { .revision = 2, .rsdt_address = (uint32_t)RSDT_GPA,
			  .length = sizeof(r), .xsdt_address = XSDT_GPA };
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, "SPRIG ", 6);
	r.checksum = acpi_checksum(&r, offsetof(struct rsdp, length));
	r.extended_checksum = acpi_checksum(&r, sizeof(r));
	memcpy(guest_mem_ptr(mem, RSDP_GPA, sizeof(r)), &r, sizeof(r));
}

/* There is no firmware, but a kernel's last way to reboot jumps to the
 * BIOS at F000:FFF0 in real mode (Linux's BOOT_BIOS, after EFI reboot
 * found no EFI). Instead of zeros to run forever, it finds a reset by
 * the i8042: mov al, 0xfe; out 0x64, al; then hlt in a loop. */
static void write_reset_stub(uint8_t *at)
{
	static const uint8_t stub[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd };
	memcpy(at, stub, sizeof(stub));
}

uint64_t boot_acpi_build(struct guest_mem *mem, const struct boot_setup *setup)
{
	uint8_t *area = guest_mem_ptr(mem, BOOT_ACPI_GPA, BOOT_ACPI_END - BOOT_ACPI_GPA);
	if (!area)
		return 0;
	memset(area, 0, BOOT_ACPI_END - BOOT_ACPI_GPA);
	if (!build_madt(area + (MADT_GPA - BOOT_ACPI_GPA), MPTABLE_GPA - MADT_GPA, setup->cpus,
			setup->apic_ids))
		return 0;
	if (!acpi_build_dsdt(area + (DSDT_GPA - BOOT_ACPI_GPA), MADT_GPA - DSDT_GPA, setup))
		return 0;
	build_fadt(area + (FADT_GPA - BOOT_ACPI_GPA));
	build_root_tables(mem);
	if (!mptable_build(mem, MPTABLE_GPA, RESET_VECTOR_GPA - MPTABLE_GPA, setup))
		return 0;
	write_reset_stub(area + (RESET_VECTOR_GPA - BOOT_ACPI_GPA));
	return RSDP_GPA;
}
