/* Boot data as a guest reads it: hvm_start_info and its memory map, the
 * command line, the initrd, the GDT, ACPI (RSDP -> RSDT/XSDT -> MADT) and
 * the long-mode identity page tables. */
#include "helpers.h"

#include <errno.h>
#include <stdbool.h>

#include "../../boot/boot.h"
#include "../../boot/linux.h"
#include "../../boot/start_info.h"

#define PAGE 4096ull
#define KERNEL_START MEM_HIGH_RAM_START
#define KERNEL_FILL 0x4b
#define SDT_HEADER 36  /* every ACPI table's header */
#define MADT_ENTRIES (SDT_HEADER + 8)
#define LAPIC_GPA 0xfee00000u
#define IOAPIC_GPA 0xfec00000u

static struct guest_mem mem;
static char why[BOOT_WHY_SIZE];
static const struct boot_kernel pvh = { .protocol = BOOT_PVH, .entry = KERNEL_START, .image_end = 0x180000 };
static const struct boot_kernel elf64 = { .protocol = BOOT_ELF64, .entry = KERNEL_START, .image_end = 0x180000 };

/* RAM as boot_prepare finds it after a load: a kernel at 1 MiB. */
static void fresh(uint64_t size, const struct boot_kernel *kernel)
{
	guest_mem_free(&mem);
	if (guest_mem_init(&mem, size))
		fail_msg("guest_mem_init(%llu) failed", (unsigned long long)size);
	memset(mem.hva + KERNEL_START, KERNEL_FILL, kernel->image_end - KERNEL_START);
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static int prepare(const struct boot_kernel *kernel, const struct boot_setup *setup)
{
	memset(why, 0, sizeof(why));
	return boot_prepare(&mem, kernel, setup, why);
}

static void *at(uint64_t gpa, uint64_t len)
{
	void *p = guest_mem_ptr(&mem, gpa, len);
	if (!p)
		fail_msg("[0x%llx, +0x%llx) is not guest RAM", (unsigned long long)gpa,
			 (unsigned long long)len);
	return p;
}

static const struct hvm_start_info *start_info(void)
{
	return at(BOOT_START_INFO_GPA, sizeof(struct hvm_start_info));
}

static const struct hvm_memmap_entry *memmap(void)
{
	const struct hvm_start_info *si = start_info();
	return at(si->memmap_paddr, si->memmap_entries * sizeof(struct hvm_memmap_entry));
}

static uint8_t byte_sum(const void *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += ((const uint8_t *)p)[i];
	return sum;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* --- hvm_start_info and the memory map --- */

static void start_info_header(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	const struct hvm_start_info *si = start_info();
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->flags, 0);
	assert_int_equal(si->nr_modules, 0);
	assert_int_equal(si->modlist_paddr, 0);
	assert_int_equal(si->cmdline_paddr, 0);  /* no command line given */
	assert_int_equal(si->rsdp_paddr, BOOT_ACPI_GPA);
	assert_int_equal(si->reserved, 0);
	assert_true(si->memmap_paddr >= BOOT_START_INFO_GPA + sizeof(*si));
	assert_true(si->memmap_paddr + si->memmap_entries * sizeof(struct hvm_memmap_entry) <=
		    MEM_LOW_RAM_END);
}

struct memmap_case {
	const char *name;
	uint64_t size;
	uint32_t count;
	struct hvm_memmap_entry entries[5];
};

#define RAM HVM_MEMMAP_TYPE_RAM
#define RESERVED HVM_MEMMAP_TYPE_RESERVED
#define LOW_ENTRIES                                                   \
	{ 0, 0x9fc00, RAM, 0 }, { 0x9fc00, 0x400, RESERVED, 0 },      \
	{ 0xe0000, 0x20000, RESERVED, 0 }

static const struct memmap_case memmap_cases[] = {
	{ "memmap: 4 MiB", 4 * MEM_MiB, 4, { LOW_ENTRIES, { MEM_MiB, 3 * MEM_MiB, RAM, 0 } } },
	{ "memmap: 16 MiB", 16 * MEM_MiB, 4, { LOW_ENTRIES, { MEM_MiB, 15 * MEM_MiB, RAM, 0 } } },
	{ "memmap: exactly 3 GiB", 3 * MEM_GiB, 4,
	  { LOW_ENTRIES, { MEM_MiB, 3 * MEM_GiB - MEM_MiB, RAM, 0 } } },
	{ "memmap: 3 GiB + 4 KiB", 3 * MEM_GiB + 4096, 5,
	  { LOW_ENTRIES, { MEM_MiB, 3 * MEM_GiB - MEM_MiB, RAM, 0 }, { 4 * MEM_GiB, 4096, RAM, 0 } } },
	{ "memmap: 5 GiB", 5 * MEM_GiB, 5,
	  { LOW_ENTRIES, { MEM_MiB, 3 * MEM_GiB - MEM_MiB, RAM, 0 },
	    { 4 * MEM_GiB, 2 * MEM_GiB, RAM, 0 } } },
};

/* The map a PVH guest sizes its RAM from: exact, sorted, disjoint, its RAM
 * entries the ranges mem/ reports, and sprig's ACPI area reserved. */
static void memmap_is_exact(void **state)
{
	const struct memmap_case *c = *state;
	fresh(c->size, &pvh);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_int_equal(start_info()->memmap_entries, c->count);
	const struct hvm_memmap_entry *e = memmap();
	struct mem_range ram[MEM_MAX_RANGES];
	int nram = guest_mem_ranges(&mem, ram), seen_ram = 0;
	for (uint32_t i = 0; i < c->count; i++) {
		assert_int_equal(e[i].addr, c->entries[i].addr);
		assert_int_equal(e[i].size, c->entries[i].size);
		assert_int_equal(e[i].type, c->entries[i].type);
		assert_int_equal(e[i].reserved, 0);
		if (i)
			assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);
		if (e[i].type == RAM) {
			assert_true(seen_ram < nram);
			assert_int_equal(e[i].addr, ram[seen_ram].gpa);
			assert_int_equal(e[i].size, ram[seen_ram].size);
			seen_ram++;
		}
	}
	assert_int_equal(seen_ram, nram);
}

/* --- the command line --- */

/* Other callers than the config (which forbids it) may pass 0 vCPUs. */
static void zero_cpus_is_refused(void **state)
{
	(void)state;
	const struct boot_kernel kernel = { .protocol = BOOT_PVH, .entry = KERNEL_START, .image_end = KERNEL_START + 0x1000 };
	struct boot_setup setup = { .cpus = 0 };
	assert_int_equal(prepare(&kernel, &setup), -EINVAL);
	assert_string_equal(why, "a VM needs at least one vCPU");
}

static void cmdline_is_copied_and_terminated(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	memset(at(BOOT_CMDLINE_GPA, BOOT_CMDLINE_MAX), 0xff, BOOT_CMDLINE_MAX);
	struct boot_setup setup = { .cmdline = "console=ttyS0 quiet", .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_int_equal(start_info()->cmdline_paddr, BOOT_CMDLINE_GPA);
	assert_memory_equal(at(BOOT_CMDLINE_GPA, 20), "console=ttyS0 quiet", 20);  /* with its NUL */
}

static void empty_cmdline_is_still_handed_over(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	memset(at(BOOT_CMDLINE_GPA, 16), 0xff, 16);
	struct boot_setup setup = { .cmdline = "", .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_int_equal(start_info()->cmdline_paddr, BOOT_CMDLINE_GPA);
	assert_int_equal(*(const char *)at(BOOT_CMDLINE_GPA, 1), 0);
}

static void longest_cmdline_fits(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	static char longest[BOOT_CMDLINE_MAX];
	memset(longest, 'x', BOOT_CMDLINE_MAX - 1);
	struct boot_setup setup = { .cmdline = longest, .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	const char *copy = at(BOOT_CMDLINE_GPA, BOOT_CMDLINE_MAX);
	assert_memory_equal(copy, longest, BOOT_CMDLINE_MAX);
	assert_int_equal(copy[BOOT_CMDLINE_MAX - 1], 0);
}

static void over_long_cmdline_is_refused(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	static char too_long[BOOT_CMDLINE_MAX + 1];
	memset(too_long, 'y', BOOT_CMDLINE_MAX);
	struct boot_setup setup = { .cmdline = too_long, .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), -EINVAL);
	assert_string_equal(why, "command line longer than 4095 bytes");
	assert_int_equal(*(const char *)at(BOOT_CMDLINE_GPA, 1), 0);  /* nothing copied */
}

/* --- the initrd --- */

static const struct hvm_modlist_entry *module0(void)
{
	const struct hvm_start_info *si = start_info();
	assert_int_equal(si->nr_modules, 1);
	return at(si->modlist_paddr, sizeof(struct hvm_modlist_entry));
}

/* Page aligned, above the kernel, as high as it fits in low RAM, intact. */
static void assert_initrd_placed(const struct boot_kernel *kernel, const uint8_t *initrd,
				 size_t size)
{
	const struct hvm_modlist_entry *mod = module0();
	assert_int_equal(mod->size, size);
	assert_int_equal(mod->cmdline_paddr, 0);
	assert_int_equal(mod->reserved, 0);
	assert_int_equal(mod->paddr % PAGE, 0);
	assert_true(mod->paddr >= kernel->image_end);
	assert_true(mod->paddr + size <= mem.low_size);
	assert_int_equal(mod->paddr, (mem.low_size - size) & ~(PAGE - 1));
	assert_memory_equal(at(mod->paddr, size), initrd, size);
}

static void initrd_is_placed_high_and_aligned(void **state)
{
	(void)state;
	static uint8_t initrd[3 * PAGE + 5];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 7);
	fresh(64 * MEM_MiB, &pvh);
	struct boot_setup setup = { .initrd = initrd, .initrd_size = sizeof(initrd), .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_initrd_placed(&pvh, initrd, sizeof(initrd));
	assert_int_equal(module0()->paddr, 64 * MEM_MiB - 4 * PAGE);
	const struct hvm_start_info *si = start_info();
	/* The module list is boot data: below 1 MiB, clear of start_info. */
	assert_true(si->modlist_paddr >= BOOT_START_INFO_GPA + sizeof(*si));
	assert_true(si->modlist_paddr + sizeof(struct hvm_modlist_entry) <= MEM_LOW_RAM_END);
}

static void initrd_stays_below_the_mmio_gap(void **state)
{
	(void)state;
	static uint8_t initrd[PAGE + 1] = { 1, 2, 3 };
	fresh(5 * MEM_GiB, &pvh);
	struct boot_setup setup = { .initrd = initrd, .initrd_size = sizeof(initrd), .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_initrd_placed(&pvh, initrd, sizeof(initrd));
	assert_int_equal(module0()->paddr, MEM_MMIO_GAP_START - 2 * PAGE);
}

/* A kernel ending mid-page: the initrd may start at the next page and not
 * a byte lower, and one more byte no longer fits. */
static void initrd_filling_all_ram_above_the_kernel(void **state)
{
	(void)state;
	const struct boot_kernel kernel = { .protocol = BOOT_PVH, .entry = KERNEL_START, .image_end = 0x180001 };
	const size_t room = 16 * MEM_MiB - 0x181000;
	uint8_t *initrd = malloc(room + 1);
	assert_non_null(initrd);
	memset(initrd, 0x3c, room + 1);
	fresh(16 * MEM_MiB, &kernel);
	struct boot_setup setup = { .initrd = initrd, .initrd_size = room, .cpus = 1 };
	assert_int_equal(prepare(&kernel, &setup), 0);
	assert_initrd_placed(&kernel, initrd, room);
	assert_int_equal(module0()->paddr, 0x181000);
	setup.initrd_size = room + 1;
	assert_int_equal(prepare(&kernel, &setup), -EINVAL);
	assert_string_equal(why, "initrd of 15200257 bytes does not fit in guest RAM between the "
			    "kernel's end 0x180001 and 0x1000000");
	free(initrd);
}

static void initrd_larger_than_ram_is_refused(void **state)
{
	(void)state;
	static uint8_t initrd[1];
	fresh(4 * MEM_MiB, &pvh);
	struct boot_setup setup = { .initrd = initrd, .initrd_size = 5 * MEM_MiB, .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), -EINVAL);
	assert_string_equal(why, "initrd of 5242880 bytes does not fit in guest RAM between the "
			    "kernel's end 0x180000 and 0x400000");
	setup.initrd_size = SIZE_MAX;
	assert_int_equal(prepare(&pvh, &setup), -EINVAL);
	assert_contains(why, "does not fit in guest RAM");
}

static void initrd_with_no_room_above_the_kernel_is_refused(void **state)
{
	(void)state;
	static uint8_t initrd[1];
	const struct boot_kernel kernel = { .protocol = BOOT_PVH, .entry = KERNEL_START, .image_end = 16 * MEM_MiB };
	fresh(16 * MEM_MiB, &kernel);
	struct boot_setup setup = { .initrd = initrd, .initrd_size = 1, .cpus = 1 };
	assert_int_equal(prepare(&kernel, &setup), -EINVAL);
	assert_contains(why, "initrd of 1 bytes does not fit");
}

/* Writing boot data never touches the kernel loaded at 1 MiB. */
static void prepare_leaves_the_kernel_alone(void **state)
{
	(void)state;
	static uint8_t initrd[2 * PAGE];
	fresh(8 * MEM_MiB, &elf64);
	struct boot_setup setup = { .cmdline = "x", .initrd = initrd, .initrd_size = sizeof(initrd),
				    .cpus = 300 };
	assert_int_equal(prepare(&elf64, &setup), 0);
	const uint8_t *kernel = at(KERNEL_START, elf64.image_end - KERNEL_START);
	for (uint64_t i = 0; i < elf64.image_end - KERNEL_START; i++)
		if (kernel[i] != KERNEL_FILL)
			fail_msg("boot_prepare wrote kernel byte 0x%llx",
				 (unsigned long long)(KERNEL_START + i));
}

/* --- ACPI --- */

struct madt_census {
	unsigned cpus, x2apic, ioapics, overrides, nmis;
};

/* Walk the MADT's entries as a guest does, checking each one on the way. */
static struct madt_census walk_madt(const uint8_t *madt, uint32_t length)
{
	struct madt_census n = { 0 };
	uint32_t off = MADT_ENTRIES;
	while (off < length) {
		const uint8_t *e = madt + off;
		assert_true(length - off >= 2 && e[1] >= 2 && e[1] <= length - off);
		uint32_t id = 0;
		switch (e[0]) {
		case 0:  /* processor local APIC */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], e[3]);        /* ACPI uid = APIC id */
			assert_int_equal(le32(e + 4), 1);    /* enabled */
			id = e[3];
			assert_true(id <= 254);              /* 255 is the broadcast id */
			assert_int_equal(id, n.cpus++);
			break;
		case 9:  /* processor local x2APIC */
			assert_int_equal(e[1], 16);
			assert_int_equal(e[2] | e[3], 0);
			id = le32(e + 4);
			assert_int_equal(le32(e + 8), 1);
			assert_int_equal(le32(e + 12), id);
			assert_true(id > 254);
			assert_int_equal(id, n.cpus++);
			n.x2apic++;
			break;
		case 1:  /* IOAPIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(le32(e + 4), IOAPIC_GPA);
			assert_int_equal(le32(e + 8), 0);    /* GSI base */
			n.ioapics++;
			break;
		case 2:  /* interrupt source override: the PIT's IRQ 0 on GSI 2 */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);
			assert_int_equal(e[3], 0);
			assert_int_equal(le32(e + 4), 2);
			n.overrides++;
			break;
		case 4:  /* local APIC NMI */
			assert_int_equal(e[1], 6);
			n.nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u at offset %u", e[0], off);
		}
		off += e[1];
	}
	assert_int_equal(off, length);  /* the entries fill the table exactly */
	return n;
}

/* Where the XSDT says the MADT is. */
static uint64_t madt_gpa(void)
{
	const uint8_t *rsdp = at(BOOT_ACPI_GPA, 36);
	return le64(at(le64(rsdp + 24), SDT_HEADER + 16) + SDT_HEADER + 8);
}

/* RSDP -> RSDT and XSDT -> MADT, every checksum and length; the MADT. */
static void check_acpi(unsigned cpus)
{
	const uint8_t *rsdp = at(BOOT_ACPI_GPA, 36);
	assert_int_equal(BOOT_ACPI_GPA % 16, 0);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(byte_sum(rsdp, 20), 0);   /* ACPI 1.0 checksum */
	assert_int_equal(rsdp[15], 2);             /* revision: has an XSDT */
	assert_int_equal(le32(rsdp + 20), 36);
	assert_int_equal(byte_sum(rsdp, 36), 0);   /* extended checksum */

	/* Both roots list the same two tables: the FADT, then the MADT. */
	const uint8_t *rsdt = at(le32(rsdp + 16), SDT_HEADER + 8);
	assert_memory_equal(rsdt, "RSDT", 4);
	assert_int_equal(le32(rsdt + 4), SDT_HEADER + 8);
	assert_int_equal(byte_sum(rsdt, SDT_HEADER + 8), 0);
	const uint8_t *xsdt = at(le64(rsdp + 24), SDT_HEADER + 16);
	assert_memory_equal(xsdt, "XSDT", 4);
	assert_int_equal(le32(xsdt + 4), SDT_HEADER + 16);
	assert_int_equal(byte_sum(xsdt, SDT_HEADER + 16), 0);
	uint64_t fadt_gpa = le64(xsdt + SDT_HEADER), madt_gpa = le64(xsdt + SDT_HEADER + 8);
	assert_int_equal(le32(rsdt + SDT_HEADER), fadt_gpa);
	assert_int_equal(le32(rsdt + SDT_HEADER + 4), madt_gpa);
	assert_memory_equal(at(fadt_gpa, 4), "FACP", 4);

	const uint8_t *madt = at(madt_gpa, MADT_ENTRIES);
	assert_memory_equal(madt, "APIC", 4);
	uint32_t length = le32(madt + 4);
	assert_true(madt_gpa + length <= BOOT_ACPI_END);  /* in the reserved BIOS area */
	madt = at(madt_gpa, length);
	assert_int_equal(byte_sum(madt, length), 0);
	assert_int_equal(le32(madt + SDT_HEADER), LAPIC_GPA);
	assert_int_equal(le32(madt + SDT_HEADER + 4) & 1, 1);  /* PCAT_COMPAT: 8259s present */
	struct madt_census n = walk_madt(madt, length);
	assert_int_equal(n.cpus, cpus);
	assert_int_equal(n.x2apic, cpus > 255 ? cpus - 255 : 0);
	assert_int_equal(n.ioapics, 1);
	assert_int_equal(n.overrides, 1);
	assert_int_equal(n.nmis, 1);
}

struct cpus_case {
	const char *name;
	unsigned cpus;
};

/* 254 is the last xAPIC id; 6779 fills the MADT's room to the byte. */
static const struct cpus_case cpus_cases[] = {
	{ "acpi: 1 vCPU", 1 }, { "acpi: 2 vCPUs", 2 }, { "acpi: 8 vCPUs", 8 },
	{ "acpi: 254 vCPUs", 254 }, { "acpi: 255 vCPUs", 255 }, { "acpi: 256 vCPUs", 256 },
	{ "acpi: 1024 vCPUs", 1024 }, { "acpi: 4096 vCPUs", 4096 },
	{ "acpi: 6779 vCPUs, the MADT full", 6779 },
};

static void acpi_describes_every_cpu(void **state)
{
	const struct cpus_case *c = *state;
	fresh(16 * MEM_MiB, &pvh);
	struct boot_setup setup = { .cpus = c->cpus };
	assert_int_equal(prepare(&pvh, &setup), 0);
	assert_int_equal(start_info()->rsdp_paddr, BOOT_ACPI_GPA);
	check_acpi(c->cpus);
}

static void acpi_too_many_cpus_is_refused(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 6780 }), 0);
	struct boot_setup setup = { .cpus = 9000 };
	assert_int_equal(prepare(&pvh, &setup), -EINVAL);
	assert_string_equal(why, "ACPI tables for 9000 vCPUs do not fit");
}

/* Tables are rebuilt whole: fewer vCPUs leave no stale entries behind. */
static void acpi_rebuilt_for_fewer_cpus(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 1024 }), BOOT_ACPI_GPA);
	assert_int_equal(boot_acpi_build(&mem, &(struct boot_setup){ .cpus = 2 }), BOOT_ACPI_GPA);
	check_acpi(2);
}

/* --- GDT and page tables --- */

struct descriptor {
	bool present, code, writable, long_mode, big, granular_4k;
	unsigned type, limit;
};

static struct descriptor decode(uint64_t d)
{
	return (struct descriptor){
		.present = d >> 47 & 1, .code = d >> 43 & 1, .writable = d >> 41 & 1,
		.long_mode = d >> 53 & 1, .big = d >> 54 & 1, .granular_4k = d >> 55 & 1,
		.type = d >> 40 & 0xf, .limit = (unsigned)((d & 0xffff) | (d >> 32 & 0xf0000)),
	};
}

static void gdt_has_the_selectors_entry_code_uses(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	const uint64_t *gdt = at(BOOT_GDT_GPA, BOOT_SEL_TSS + 8);
	assert_int_equal(gdt[0], 0);
	struct descriptor code64 = decode(gdt[BOOT_SEL_CODE64 / 8]);
	assert_true(code64.present && code64.code && code64.long_mode && !code64.big);
	struct descriptor code32 = decode(gdt[BOOT_SEL_CODE32 / 8]);
	assert_true(code32.present && code32.code && !code32.long_mode && code32.big);
	assert_true(code32.granular_4k && code32.limit == 0xfffff);  /* flat 4 GiB */
	struct descriptor data = decode(gdt[BOOT_SEL_DATA / 8]);
	assert_true(data.present && !data.code && data.writable && data.big);
	assert_true(data.granular_4k && data.limit == 0xfffff);
	struct descriptor tss = decode(gdt[BOOT_SEL_TSS / 8]);
	assert_true(tss.present);
	assert_int_equal(tss.type, 0xb);  /* busy 64-bit TSS */
	assert_true(tss.limit >= 0x67);
}

/* Walk the tables the CPU would: PML4 -> PDPT -> PD with 2 MiB pages. */
static uint64_t translate(uint64_t va)
{
	const uint64_t *pml4 = at(BOOT_PML4_GPA, PAGE);
	uint64_t e4 = pml4[va >> 39 & 511];
	assert_int_equal(e4 & 3, 3);
	const uint64_t *pdpt = at(e4 & ~0xfffull, PAGE);
	uint64_t e3 = pdpt[va >> 30 & 511];
	assert_int_equal(e3 & 0x83, 3);  /* present, writable, not a 1 GiB page */
	const uint64_t *pd = at(e3 & ~0xfffull, PAGE);
	uint64_t e2 = pd[va >> 21 & 511];
	assert_int_equal(e2 & 0x83, 0x83);  /* present, writable, 2 MiB page */
	return (e2 & ~0x1fffffull & ((1ull << 52) - 1)) | (va & 0x1fffff);
}

static void elf64_page_tables_identity_map_4g(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &elf64);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(prepare(&elf64, &setup), 0);
	for (uint64_t va = 0; va < 4 * MEM_GiB; va += 2 * MEM_MiB)
		if (translate(va + 0x1234) != va + 0x1234)
			fail_msg("0x%llx is not identity mapped", (unsigned long long)va);
	assert_int_equal(translate(0xffffffff), 0xffffffff);
	const uint64_t *pml4 = at(BOOT_PML4_GPA, PAGE), *pdpt = at(pml4[0] & ~0xfffull, PAGE);
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(pml4[i], 0);  /* nothing above 512 GiB */
	for (unsigned i = 4; i < 512; i++)
		assert_int_equal(pdpt[i], 0);  /* nothing above 4 GiB */
}

/* A plain ELF64 may be a Linux vmlinux entered at startup_64, which reads
 * boot_params from %rsi: it gets a zero page with a made-up setup header,
 * saying what hvm_start_info says, besides hvm_start_info itself. */
static void elf64_gets_a_zero_page_too(void **state)
{
	(void)state;
	fresh(64 * MEM_MiB, &elf64);
	static char longest[BOOT_CMDLINE_MAX];
	memset(longest, 'x', BOOT_CMDLINE_MAX - 1);
	static const uint8_t initrd[5000] = { 7 };
	struct boot_setup setup = { .cmdline = longest, .initrd = initrd, .initrd_size = sizeof(initrd),
				    .cpus = 2 };
	assert_int_equal(prepare(&elf64, &setup), 0);
	const struct hvm_start_info *si = start_info();
	assert_int_equal(si->magic, HVM_START_MAGIC);
	const uint8_t *zp = at(BOOT_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
	assert_int_equal(le32(zp + LINUX_BOOT_FLAG) & 0xffff, 0xaa55);
	assert_memory_equal(zp + LINUX_HDR_MAGIC, "HdrS", 4);
	assert_int_equal(le32(zp + LINUX_HDR_VERSION) & 0xffff, 0x020f);
	assert_int_equal(zp[LINUX_HDR_TYPE_OF_LOADER], LINUX_LOADER_UNDEFINED);
	assert_int_equal(zp[LINUX_HDR_LOADFLAGS], LINUX_LOADED_HIGH);
	assert_int_equal(le32(zp + LINUX_HDR_XLOADFLAGS) & 0xffff, LINUX_XLF_KERNEL_64);
	assert_int_equal(le32(zp + LINUX_HDR_CMDLINE_SIZE), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(le32(zp + LINUX_HDR_CMD_LINE_PTR), si->cmdline_paddr);
	const struct hvm_modlist_entry *mod = at(si->modlist_paddr, sizeof(*mod));
	assert_int_equal(le32(zp + LINUX_HDR_RAMDISK_IMAGE), mod->paddr);
	assert_int_equal(le32(zp + LINUX_HDR_RAMDISK_SIZE), sizeof(initrd));
	assert_true(mod->paddr + sizeof(initrd) - 1 <= le32(zp + LINUX_HDR_INITRD_ADDR_MAX));
	assert_int_equal(le64(zp + LINUX_BP_ACPI_RSDP_ADDR), si->rsdp_paddr);
	assert_int_equal(zp[LINUX_BP_E820_ENTRIES], si->memmap_entries);
	const struct hvm_memmap_entry *map = memmap();
	for (unsigned i = 0; i < si->memmap_entries; i++) {
		const uint8_t *e = zp + LINUX_BP_E820_TABLE + i * LINUX_E820_ENTRY_SIZE;
		assert_int_equal(le64(e), map[i].addr);
		assert_int_equal(le64(e + 8), map[i].size);
		assert_int_equal(le32(e + 16), map[i].type);
	}
}

/* PVH kernels build their own tables: sprig leaves that memory alone. */
static void pvh_gets_no_page_tables(void **state)
{
	(void)state;
	fresh(16 * MEM_MiB, &pvh);
	memset(at(BOOT_PML4_GPA, 6 * PAGE), 0xcc, 6 * PAGE);
	struct boot_setup setup = { .cpus = 1 };
	assert_int_equal(prepare(&pvh, &setup), 0);
	const uint8_t *tables = at(BOOT_PML4_GPA, 6 * PAGE);
	for (unsigned i = 0; i < 6 * PAGE; i++)
		assert_int_equal(tables[i], 0xcc);
}

/* --- all of it together --- */

struct region {
	const char *what;
	uint64_t start, end;
};

static void boot_data_regions_are_disjoint(void **state)
{
	(void)state;
	static uint8_t initrd[5 * PAGE];
	static char cmdline[BOOT_CMDLINE_MAX];
	memset(cmdline, 'c', sizeof(cmdline) - 1);
	fresh(64 * MEM_MiB, &elf64);
	struct boot_setup setup = { .cmdline = cmdline, .initrd = initrd,
				    .initrd_size = sizeof(initrd), .cpus = 6779 };
	assert_int_equal(prepare(&elf64, &setup), 0);
	const struct hvm_start_info *si = start_info();
	const struct hvm_modlist_entry *mod = module0();
	uint64_t madt = madt_gpa(), madt_end = madt + le32(at(madt + 4, 4));
	const struct region regions[] = {
		{ "GDT", BOOT_GDT_GPA, BOOT_GDT_GPA + BOOT_SEL_TSS + 16 },
		{ "start_info", BOOT_START_INFO_GPA, BOOT_START_INFO_GPA + sizeof(*si) },
		{ "modlist", si->modlist_paddr, si->modlist_paddr + sizeof(*mod) },
		{ "memmap", si->memmap_paddr,
		  si->memmap_paddr + si->memmap_entries * sizeof(struct hvm_memmap_entry) },
		{ "boot stack page", BOOT_STACK_TOP_GPA - PAGE, BOOT_STACK_TOP_GPA },
		{ "page tables", BOOT_PML4_GPA, BOOT_PML4_GPA + 6 * PAGE },
		{ "zero page (Linux)", BOOT_ZERO_PAGE_GPA, BOOT_ZERO_PAGE_GPA + PAGE },
		{ "cmdline", si->cmdline_paddr, si->cmdline_paddr + BOOT_CMDLINE_MAX },
		{ "ACPI", BOOT_ACPI_GPA, madt_end },
		{ "MP table", madt_end, BOOT_ACPI_END },
		{ "kernel", elf64.entry, elf64.image_end },
		{ "initrd", mod->paddr, mod->paddr + mod->size },
	};
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(regions); j++)
			if (regions[i].start < regions[j].end && regions[j].start < regions[i].end)
				fail_msg("%s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)",
					 regions[i].what, (unsigned long long)regions[i].start,
					 (unsigned long long)regions[i].end, regions[j].what,
					 (unsigned long long)regions[j].start,
					 (unsigned long long)regions[j].end);
}

#define TEST(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		TEST(start_info_header),
		TEST(zero_cpus_is_refused),
		TEST(cmdline_is_copied_and_terminated),
		TEST(empty_cmdline_is_still_handed_over),
		TEST(longest_cmdline_fits),
		TEST(over_long_cmdline_is_refused),
		TEST(initrd_is_placed_high_and_aligned),
		TEST(initrd_stays_below_the_mmio_gap),
		TEST(initrd_filling_all_ram_above_the_kernel),
		TEST(initrd_larger_than_ram_is_refused),
		TEST(initrd_with_no_room_above_the_kernel_is_refused),
		TEST(prepare_leaves_the_kernel_alone),
		TEST(acpi_too_many_cpus_is_refused),
		TEST(acpi_rebuilt_for_fewer_cpus),
		TEST(gdt_has_the_selectors_entry_code_uses),
		TEST(elf64_page_tables_identity_map_4g),
		TEST(elf64_gets_a_zero_page_too),
		TEST(pvh_gets_no_page_tables),
		TEST(boot_data_regions_are_disjoint),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(memmap_cases) + ARRAY_SIZE(cpus_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, memmap_cases, memmap_is_exact, NULL, teardown);
	add_case_tests(tests, n, cpus_cases, acpi_describes_every_cpu, NULL, teardown);
	return run_group("test_boot", tests, n);
}
