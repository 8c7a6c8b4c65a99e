/* The ACPI tables beyond the MADT (test_boot checks that one): the FADT,
 * the DSDT and its AML, and the MP table. With ACPI_DUMP_DIR set, the
 * tables are also written there for tests/run to disassemble with iasl. */
#include "helpers.h"

#include <errno.h>

#include "../../boot/acpi.h"
#include "../../boot/aml.h"
#include "../../boot/boot.h"
#include "../../devices/devices.h"

#define SDT 36
static struct guest_mem mem;

static int setup(void **state)
{
	(void)state;
	return guest_mem_init(&mem, 16 * MEM_MiB) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_mem_ptr(&mem, gpa, len);
	assert_non_null(p);
	return p;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static uint8_t sum(const uint8_t *p, size_t n) { uint8_t s = 0; while (n--) s += *p++; return s; }

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

static void dump(const char *name, const uint8_t *table)
{
	const char *dir = getenv("ACPI_DUMP_DIR");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.aml", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(table, le32(table + 4), 1, f), 1);
	fclose(f);
}

static const uint8_t *table(unsigned index)
{
	const uint8_t *rsdp = at(BOOT_ACPI_GPA, 36);
	const uint8_t *xsdt = at(le64(rsdp + 24), SDT + 16);
	const uint8_t *t = at(le64(xsdt + SDT + 8 * index), SDT);
	return at(le64(xsdt + SDT + 8 * index), le32(t + 4));
}

static const struct boot_mmio_device virtio[] = {
	{ 0xd0001000, 0x1000, 5 }, { 0xd0002000, 0x1000, 6 },
};

static void fadt_is_hardware_reduced(void **state)
{
	(void)state;
	struct boot_setup s = { .cpus = 2, .mmio_devices = virtio, .mmio_count = 2 };
	assert_int_equal(boot_acpi_build(&mem, &s), BOOT_ACPI_GPA);
	const uint8_t *fadt = table(0);
	assert_memory_equal(fadt, "FACP", 4);
	assert_int_equal(le32(fadt + 4), 276);
	assert_int_equal(fadt[8], 6);
	assert_int_equal(sum(fadt, 276), 0);
	uint32_t flags = le32(fadt + 112);
	assert_true(flags & (1u << 20));            /* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10));            /* RESET_REG_SUP */
	assert_int_equal(fadt[109] & 2, 2);         /* an 8042 */
	assert_int_equal(le32(fadt + 36), 0);       /* no FACS */
	/* reset, sleep control and status: byte registers in I/O space */
	static const struct { unsigned offset; uint16_t port; } regs[] = {
		{ 116, ACPI_RESET_PORT }, { 244, ACPI_SLEEP_PORT }, { 256, ACPI_SLEEP_PORT },
	};
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		const uint8_t *gas = fadt + regs[i].offset;
		assert_int_equal(gas[0], 1);
		assert_int_equal(gas[1], 8);
		assert_int_equal(le64(gas + 4), regs[i].port);
	}
	assert_int_equal(fadt[128], ACPI_RESET_VALUE);
	uint64_t dsdt = le64(fadt + 140);
	assert_int_equal(le32(fadt + 40), dsdt);
	const uint8_t *d = at(dsdt, SDT);
	assert_memory_equal(d, "DSDT", 4);
	dump("facp", fadt);
	dump("dsdt", at(dsdt, le32(d + 4)));
	dump("apic", table(1));
}

static void dsdt_describes_devices(void **state)
{
	(void)state;
	struct boot_setup s = { .cpus = 1, .mmio_devices = virtio, .mmio_count = 2 };
	assert_int_equal(boot_acpi_build(&mem, &s), BOOT_ACPI_GPA);
	const uint8_t *fadt = table(0);
	const uint8_t *d = at(le64(fadt + 140), SDT);
	uint32_t n = le32(d + 4);
	d = at(le64(fadt + 140), n);
	assert_int_equal(sum(d, n), 0);
	/* Name(\_S5_, Package(2) { 5, 0 }) */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00 };
	assert_true(contains(d, n, s5, sizeof(s5)));
	static const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 }, pnp0303[] = { 0x0c, 0x41, 0xd0, 0x03, 0x03 };
	assert_true(contains(d, n, pnp0501, sizeof(pnp0501)));
	assert_true(contains(d, n, pnp0303, sizeof(pnp0303)));
	static const uint8_t com1_io[] = { 0x47, 1, 0xf8, 0x03, 0xf8, 0x03, 1, 8 }, irq4[] = { 0x22, 0x10, 0x00 };
	assert_true(contains(d, n, com1_io, sizeof(com1_io)));
	assert_true(contains(d, n, irq4, sizeof(irq4)));
	assert_true(contains(d, n, "VR00", 4) && contains(d, n, "VR01", 4));
	assert_true(contains(d, n, "LNRO0005", 9));
	static const uint8_t window[] = { 0x86, 9, 0, 1, 0x00, 0x20, 0x00, 0xd0, 0x00, 0x10, 0, 0 };
	static const uint8_t irq6[] = { 0x89, 6, 0, 0x03, 1, 6, 0, 0, 0 };
	assert_true(contains(d, n, window, sizeof(window)));
	assert_true(contains(d, n, irq6, sizeof(irq6)));
}

/* PkgLength: 1 byte up to 63 in all, then 2, 3 bytes, counting itself. */
static void aml_package_lengths(void **state)
{
	(void)state;
	static uint8_t buf[1 << 21];
	static const struct { size_t body; uint8_t bytes[3]; size_t n; } cases[] = {
		{ 62, { 63 }, 1 }, { 63, { 0x41, 0x04 }, 2 }, { 4093, { 0x4f, 0xff }, 2 },
		{ 4094, { 0x81, 0x00, 0x01 }, 3 }, { 1048572, { 0x8f, 0xff, 0xff }, 3 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct aml a = { buf, 0, sizeof(buf), false };
		size_t mark = aml_scope_open(&a, "ABCD");
		uint8_t zeros[4096] = { 0 };
		for (size_t left = cases[i].body - 4; left;) {
			size_t chunk = left < sizeof(zeros) ? left : sizeof(zeros);
			aml_bytes(&a, zeros, chunk);
			left -= chunk;
		}
		aml_close(&a, mark);
		assert_false(a.overflow);
		assert_int_equal(a.len, 1 + cases[i].n + cases[i].body);
		assert_memory_equal(buf + 1, cases[i].bytes, cases[i].n);
	}
	struct aml small = { buf, 0, 8, false };
	aml_string(&small, "too long for eight");
	assert_true(small.overflow);
	assert_true(small.len <= 8);
}

static void aml_values(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct aml a = { buf, 0, sizeof(buf), false };
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0x12);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x123456789ull);
	static const uint8_t want[] = { 0, 1, 0x0a, 0x12, 0x0b, 0x34, 0x12, 0x0c, 0x78, 0x56, 0x34, 0x12,
					0x0e, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0 };
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	a.len = 0;
	aml_name_string(&a, "\\_SB_.COM1");
	assert_memory_equal(buf, "\\\x2e_SB_COM1", 10);
	a.len = 0;
	size_t b = aml_buffer_open(&a);
	aml_bytes(&a, "\x79\x00", 2);
	aml_buffer_close(&a, b);
	assert_int_equal(a.len, 6);
	assert_memory_equal(buf, "\x11\x05\x0a\x02\x79\x00", 6);  /* Buffer(2) { 0x79, 0 } */
}

static void check_mptable(unsigned cpus, const uint32_t *ids, unsigned want_cpus)
{
	const uint8_t *fp = NULL;
	for (uint64_t gpa = 0xf0000; gpa < 0x100000 && !fp; gpa += 16)
		if (!memcmp(at(gpa, 4), "_MP_", 4))
			fp = at(gpa, 16);
	assert_non_null(fp);
	assert_int_equal(sum(fp, 16), 0);
	assert_int_equal(fp[8], 1);
	const uint8_t *t = at(le32(fp + 4), 44);
	assert_memory_equal(t, "PCMP", 4);
	unsigned length = t[4] | t[5] << 8, count = t[34] | t[35] << 8;
	t = at(le32(fp + 4), length);
	assert_int_equal(sum(t, length), 0);
	unsigned off = 44, seen = 0, processors = 0, routes = 0, bsp = 0;
	for (; off < length; seen++) {
		unsigned size = t[off] == 0 ? 20 : 8;
		if (t[off] == 0) {
			processors++;
			bsp += (t[off + 3] & 2) != 0;
			if (ids)
				assert_int_equal(t[off + 1], ids[processors - 1]);
		}
		if (t[off] == 3 && t[off + 5] == 0)
			assert_int_equal(t[off + 7], 2);  /* IRQ 0 at pin 2 */
		routes += t[off] == 3;
		off += size;
	}
	assert_int_equal(off, length);
	assert_int_equal(seen, count);
	assert_int_equal(processors, want_cpus);
	assert_int_equal(bsp, 1);
	assert_int_equal(routes, 16);
	(void)cpus;
}

/* A jump to the BIOS reset vector finds an i8042 reset, not zeros. */
static void reset_vector_resets(void **state)
{
	(void)state;
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 300 }), BOOT_ACPI_GPA);
	assert_memory_equal(at(0xffff0, 7), "\xb0\xfe\xe6\x64\xf4\xeb\xfd", 7);
}

static void mptable_lists_cpus(void **state)
{
	(void)state;
	static const uint32_t sparse[] = { 0, 1, 2, 4, 5, 6 };
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 6, .apic_ids = sparse }),
			 BOOT_ACPI_GPA);
	check_mptable(6, sparse, 6);
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 1 }), BOOT_ACPI_GPA);
	check_mptable(1, NULL, 1);
	/* x2APIC ids (255 and up) are the MADT's alone */
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 300 }), BOOT_ACPI_GPA);
	check_mptable(300, NULL, 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fadt_is_hardware_reduced, setup, teardown),
		cmocka_unit_test_setup_teardown(dsdt_describes_devices, setup, teardown),
		cmocka_unit_test(aml_package_lengths),
		cmocka_unit_test(aml_values),
		cmocka_unit_test_setup_teardown(mptable_lists_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_vector_resets, setup, teardown),
	};
	return run_group("acpi", tests, ARRAY_SIZE(tests));
}
