/* Boot data: hvm_start_info, memory map, command line, initrd placement,
 * ACPI tables and the long-mode page tables. */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#include "../../boot/boot.h"
#include "../../boot/start_info.h"

static struct guest_mem mem;
static char why[BOOT_WHY_SIZE];
static const struct boot_kernel pvh = { BOOT_PVH, 0x100000, 0x180000 };

static int fresh(uint64_t size)
{
	guest_mem_free(&mem);
	return guest_mem_init(&mem, size);
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static struct hvm_start_info *start_info(void)
{
	return guest_mem_ptr(&mem, BOOT_START_INFO_GPA, sizeof(struct hvm_start_info));
}

static uint8_t sum(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s;
}

static void start_info_and_memmap(void **state)
{
	(void)state;
	assert_int_equal(fresh(5 * MEM_GiB), 0);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), 0);
	const struct hvm_start_info *si = start_info();
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, 0);
	assert_int_equal(si->nr_modules, 0);
	const struct hvm_memmap_entry *e =
		guest_mem_ptr(&mem, si->memmap_paddr, si->memmap_entries * sizeof(*e));
	assert_non_null(e);
	assert_int_equal(si->memmap_entries, 5);
	uint64_t ram = 0;
	for (unsigned i = 0; i < si->memmap_entries; i++) {
		if (i)
			assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);  /* sorted, disjoint */
		if (e[i].type == HVM_MEMMAP_TYPE_RAM)
			ram += e[i].size;
	}
	assert_int_equal(ram, 5 * MEM_GiB - (MEM_HIGH_RAM_START - MEM_LOW_RAM_END));
	assert_int_equal(e[4].addr, MEM_MMIO_GAP_END);
	assert_int_equal(e[4].size, 2 * MEM_GiB);
}

static void command_line(void **state)
{
	(void)state;
	assert_int_equal(fresh(16 * MEM_MiB), 0);
	struct boot_setup setup = { .cmdline = "console=ttyS0 quiet", .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), 0);
	assert_int_equal(start_info()->cmdline_paddr, BOOT_CMDLINE_GPA);
	assert_string_equal(guest_mem_ptr(&mem, BOOT_CMDLINE_GPA, 20), "console=ttyS0 quiet");
	static char longest[BOOT_CMDLINE_MAX + 1];
	memset(longest, 'x', BOOT_CMDLINE_MAX - 1);
	setup.cmdline = longest;
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), 0);
	longest[BOOT_CMDLINE_MAX - 1] = 'y';
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), -EINVAL);
	assert_string_equal(why, "command line longer than 4095 bytes");
}

static void initrd_placement(void **state)
{
	(void)state;
	assert_int_equal(fresh(64 * MEM_MiB), 0);
	static uint8_t initrd[3 * 4096 + 5];
	memset(initrd, 0x5a, sizeof(initrd));
	struct boot_setup setup = { .initrd = initrd, .initrd_size = sizeof(initrd), .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), 0);
	const struct hvm_start_info *si = start_info();
	assert_int_equal(si->nr_modules, 1);
	const struct hvm_modlist_entry *mod = guest_mem_ptr(&mem, si->modlist_paddr, sizeof(*mod));
	assert_int_equal(mod->paddr % 4096, 0);
	assert_int_equal(mod->size, sizeof(initrd));
	assert_true(mod->paddr >= pvh.image_end);
	assert_true(mod->paddr + mod->size <= 64 * MEM_MiB);
	assert_true(mod->paddr + mod->size > 64 * MEM_MiB - 4096);  /* as high as it fits */
	assert_memory_equal(guest_mem_ptr(&mem, mod->paddr, mod->size), initrd, sizeof(initrd));
}

static void initrd_that_does_not_fit(void **state)
{
	(void)state;
	assert_int_equal(fresh(4 * MEM_MiB), 0);
	static uint8_t big[3 * MEM_MiB];
	struct boot_setup setup = { .initrd = big, .initrd_size = sizeof(big), .cpus = 1 };
	/* 4 MiB of RAM, kernel ends at 1.5 MiB: 3 MiB cannot fit above it. */
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), -EINVAL);
	assert_non_null(strstr(why, "does not fit"));
	setup.initrd_size = 2 * MEM_MiB;
	assert_int_equal(boot_prepare(&mem, &pvh, &setup, why), 0);
}

/* The MADT's processor entries, as a guest would read them. */
static unsigned madt_cpus(const uint8_t *madt, unsigned *x2apic, unsigned *ioapics)
{
	uint32_t length;
	memcpy(&length, madt + 4, 4);
	unsigned cpus = 0;
	*x2apic = *ioapics = 0;
	for (uint32_t off = 44; off < length; off += madt[off + 1]) {
		assert_true(madt[off + 1] >= 2);
		if (madt[off] == 0 || madt[off] == 9) {
			uint32_t id;
			if (madt[off] == 0)
				id = madt[off + 3];
			else
				memcpy(&id, madt + off + 4, 4), (*x2apic)++;
			assert_int_equal(id, cpus);  /* APIC ids are 0..N-1 in order */
			cpus++;
		}
		if (madt[off] == 1)
			(*ioapics)++;
	}
	return cpus;
}

static void acpi_tables(void **state)
{
	(void)state;
	unsigned counts[] = { 1, 2, 8, 254, 255, 256, 1024, 8192 /* the config's maximum */ };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		assert_int_equal(fresh(16 * MEM_MiB), 0);
		uint64_t rsdp_gpa = boot_acpi_build(&mem, counts[i]);
		assert_int_equal(rsdp_gpa, BOOT_ACPI_GPA);
		const uint8_t *rsdp = guest_mem_ptr(&mem, rsdp_gpa, 36);
		assert_memory_equal(rsdp, "RSD PTR ", 8);
		assert_int_equal(sum(rsdp, 20), 0);
		assert_int_equal(sum(rsdp, 36), 0);
		uint64_t xsdt_gpa;
		uint32_t rsdt_gpa, length;
		memcpy(&xsdt_gpa, rsdp + 24, 8);
		memcpy(&rsdt_gpa, rsdp + 16, 4);
		const uint8_t *xsdt = guest_mem_ptr(&mem, xsdt_gpa, 44);
		const uint8_t *rsdt = guest_mem_ptr(&mem, rsdt_gpa, 40);
		assert_memory_equal(xsdt, "XSDT", 4);
		assert_int_equal(sum(xsdt, 44), 0);
		assert_memory_equal(rsdt, "RSDT", 4);
		assert_int_equal(sum(rsdt, 40), 0);
		uint64_t madt_gpa;
		memcpy(&madt_gpa, xsdt + 36, 8);
		const uint8_t *madt = guest_mem_ptr(&mem, madt_gpa, 44);
		assert_memory_equal(madt, "APIC", 4);
		memcpy(&length, madt + 4, 4);
		assert_non_null(guest_mem_ptr(&mem, madt_gpa, length));
		assert_true(madt_gpa + length <= BOOT_ACPI_END);
		assert_int_equal(sum(madt, length), 0);
		unsigned x2apic, ioapics;
		assert_int_equal(madt_cpus(madt, &x2apic, &ioapics), counts[i]);
		assert_int_equal(x2apic, counts[i] > 255 ? counts[i] - 255 : 0);
		assert_int_equal(ioapics, 1);
	}
	/* So many CPUs that the tables cannot fit below 1 MiB: refused. */
	assert_int_equal(boot_acpi_build(&mem, 9000), 0);
}

static void long_mode_page_tables(void **state)
{
	(void)state;
	assert_int_equal(fresh(16 * MEM_MiB), 0);
	const struct boot_kernel elf64 = { BOOT_ELF64, 0x100000, 0x101000 };
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &elf64, &setup, why), 0);
	const uint64_t *pml4 = guest_mem_ptr(&mem, BOOT_PML4_GPA, 4096);
	/* Walk the tables for a few addresses: each must map to itself. */
	uint64_t addrs[] = { 0, 0x100000, 0x3fffffff, 0xc0000000, 0xfee00000, 0xffffffff };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint64_t a = addrs[i];
		uint64_t e4 = pml4[(a >> 39) & 511];
		assert_true(e4 & 1);
		const uint64_t *pdpt = guest_mem_ptr(&mem, e4 & ~0xfffull, 4096);
		uint64_t e3 = pdpt[(a >> 30) & 511];
		assert_true(e3 & 1);
		const uint64_t *pd = guest_mem_ptr(&mem, e3 & ~0xfffull, 4096);
		uint64_t e2 = pd[(a >> 21) & 511];
		assert_int_equal(e2 & 0x83, 0x83);  /* present, writable, 2 MiB */
		assert_int_equal((e2 & ~0x1fffffull) | (a & 0x1fffff), a);
	}
	assert_int_equal(((const uint64_t *)guest_mem_ptr(&mem, BOOT_PML4_GPA + 4096, 4096))[4], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_info_and_memmap),
		cmocka_unit_test(command_line),
		cmocka_unit_test(initrd_placement),
		cmocka_unit_test(initrd_that_does_not_fit),
		cmocka_unit_test(acpi_tables),
		cmocka_unit_test(long_mode_page_tables),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
