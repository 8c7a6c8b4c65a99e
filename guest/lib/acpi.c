/* Find the CPUs as a kernel does: RSDP -> XSDT/RSDT -> MADT, else the MP
 * table, else just us; power off and reset as a hardware-reduced ACPI
 * kernel does, through the FADT's registers. Every length and checksum is
 * checked: a table that lies must not crash the guest. */
#include "guest.h"

struct __attribute__((packed)) sdt {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
};

static bool sum_ok(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s == 0;
}

static const uint8_t *scan(uint64_t start, uint64_t end, const char *sig, size_t len)
{
	for (uint64_t a = start; a + len <= end; a += 16)
		if (!strncmp((const char *)a, sig, len))
			return (const uint8_t *)a;
	return NULL;
}

static const struct sdt *checked_table(uint64_t addr)
{
	const struct sdt *t = (const void *)addr;
	if (!addr || addr >= 0x100000000ull || t->length < sizeof(*t) || t->length > 0x100000 ||
	    !sum_ok(t, t->length))
		return NULL;
	return t;
}

static const struct sdt *find_table(const char *signature)
{
	const uint8_t *rsdp = boot_info.rsdp ? (const uint8_t *)boot_info.rsdp
					     : scan(0xe0000, 0x100000, "RSD PTR ", 8);
	if (!rsdp || strncmp((const char *)rsdp, "RSD PTR ", 8) || !sum_ok(rsdp, 20))
		return NULL;
	uint32_t rsdt;
	uint64_t xsdt = 0;
	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2 && sum_ok(rsdp, 36))
		memcpy(&xsdt, rsdp + 24, 8);
	const struct sdt *root = checked_table(xsdt ? xsdt : rsdt);
	if (!root)
		return NULL;
	unsigned width = xsdt ? 8 : 4;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < (root->length - sizeof(*root)) / width; i++) {
		uint64_t addr = 0;
		memcpy(&addr, entries + i * width, width);
		const struct sdt *t = checked_table(addr);
		if (t && !strncmp(t->signature, signature, 4))
			return t;
	}
	return NULL;
}

static unsigned madt_cpus(const struct sdt *madt, uint32_t *ids, unsigned max, uint64_t *lapic)
{
	const uint8_t *p = (const uint8_t *)(madt + 1), *end = (const uint8_t *)madt + madt->length;
	uint32_t base;
	memcpy(&base, p, 4);
	*lapic = base;
	unsigned n = 0;
	for (p += 8; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		uint32_t flags, id;
		if (p[0] == 0 && p[1] >= 8) {
			memcpy(&flags, p + 4, 4);
			id = p[3];
		} else if (p[0] == 9 && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		} else {
			continue;
		}
		if ((flags & 1) && n < max)
			ids[n++] = id;
	}
	return n;
}

unsigned acpi_mp_table_cpus(uint32_t *ids, unsigned max)
{
	const uint8_t *fp = scan(0xf0000, 0x100000, "_MP_", 4);
	if (!fp || !sum_ok(fp, 16))
		return 0;
	uint32_t table;
	memcpy(&table, fp + 4, 4);
	const uint8_t *t = (const uint8_t *)(uint64_t)table;
	uint16_t length, count;
	if (!table || strncmp((const char *)t, "PCMP", 4))
		return 0;
	memcpy(&length, t + 4, 2);
	memcpy(&count, t + 34, 2);
	if (!sum_ok(t, length))
		return 0;
	unsigned n = 0;
	const uint8_t *p = t + 44, *end = t + length;
	for (unsigned i = 0; i < count && p < end; i++) {
		if (*p == 0) {
			if ((p[3] & 1) && n < max)
				ids[n++] = p[1];
			p += 20;
		} else {
			p += 8;
		}
	}
	return n;
}

unsigned acpi_find_cpus(uint32_t *ids, unsigned max, uint64_t *lapic_base)
{
	*lapic_base = 0xfee00000;
	const struct sdt *madt = find_table("APIC");
	unsigned n = madt ? madt_cpus(madt, ids, max, lapic_base) : acpi_mp_table_cpus(ids, max);
	if (n)
		return n;
	ids[0] = this_apic_id();
	return 1;
}

/* An I/O-space byte register from a FADT Generic Address Structure. */
static bool io_register(const struct sdt *fadt, unsigned offset, uint16_t *port)
{
	const uint8_t *gas = (const uint8_t *)fadt + offset;
	uint64_t address;
	if (fadt->length < offset + 12 || gas[0] != 1)
		return false;
	memcpy(&address, gas + 4, 8);
	*port = (uint16_t)address;
	return address && address <= 0xffff;
}

/* \_S5's first element, found the way a byte scan can: NameOp "\_S5_" or
 * "_S5_", PackageOp, a one-byte PkgLength, the count, then an integer. */
static bool s5_sleep_type(const struct sdt *dsdt, uint8_t *type)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;
	for (p += sizeof(*dsdt); p + 9 <= end; p++) {
		if (strncmp((const char *)p, "_S5_", 4) || p[4] != 0x12)
			continue;
		const uint8_t *v = p + 7;
		*type = v[0] == 0x0a ? v[1] : v[0] <= 1 ? v[0] : 0xff;
		return *type != 0xff;
	}
	return false;
}

bool acpi_power_off(void)
{
	const struct sdt *fadt = find_table("FACP");
	uint16_t port;
	uint8_t type;
	uint64_t dsdt = 0;
	if (!fadt || !io_register(fadt, 244, &port) || fadt->length < 148)
		return false;
	memcpy(&dsdt, (const uint8_t *)fadt + 140, 8);
	const struct sdt *d = checked_table(dsdt);
	if (!d || !s5_sleep_type(d, &type))
		return false;
	outb(port, (uint8_t)(((type & 7) << 2) | 0x20));  /* SLP_TYP, SLP_EN */
	return true;
}

bool acpi_reset(void)
{
	const struct sdt *fadt = find_table("FACP");
	uint16_t port;
	uint32_t flags;
	if (!fadt || fadt->length < 129 || !io_register(fadt, 116, &port))
		return false;
	memcpy(&flags, (const uint8_t *)fadt + 112, 4);
	if (!(flags & (1u << 10)))
		return false;  /* RESET_REG_SUP */
	outb(port, ((const uint8_t *)fadt)[128]);
	return true;
}
