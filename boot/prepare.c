/* Boot data a kernel finds at entry: GDT, the command line, the initrd,
 * ACPI tables, then per protocol hvm_start_info (PVH, plain ELF64) or the
 * zero page (Linux, boot/zero_page.c) and, for long-mode entry, identity
 * page tables. Layout: docs/memory-map.md. */
#include "boot.h"
#include "layout.h"
#include "start_info.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096ull
#define MODLIST_GPA (BOOT_START_INFO_GPA + 0x40)
#define MEMMAP_GPA (BOOT_START_INFO_GPA + 0x80)

static int write_gdt(struct guest_mem *mem)
{
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffull,  /* 0x08: 32-bit code, 4 GiB flat */
		0x00af9b000000ffffull,  /* 0x10: 64-bit code (Linux's __BOOT_CS) */
		0x00cf93000000ffffull,  /* 0x18: data, 4 GiB flat (__BOOT_DS) */
		0x00008b0000000067ull,  /* 0x20: TSS (VMX wants a usable TR) */
	};
	void *dst = guest_mem_ptr(mem, BOOT_GDT_GPA, sizeof(gdt));
	if (!dst)
		return -EINVAL;
	memcpy(dst, gdt, sizeof(gdt));
	return 0;
}

/* Identity map the first 4 GiB with 2 MiB pages: RAM below the gap plus the
 * MMIO gap itself (LAPIC, IOAPIC, devices). */
static int write_page_tables(struct guest_mem *mem)
{
	uint64_t *pml4 = guest_mem_ptr(mem, BOOT_PML4_GPA, 6 * PAGE_SIZE);
	if (!pml4)
		return -EINVAL;
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
	memset(pml4, 0, 6 * PAGE_SIZE);
	pml4[0] = (BOOT_PML4_GPA + PAGE_SIZE) | 0x3;  /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4_GPA + (2 + i) * PAGE_SIZE) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;  /* present, writable, 2 MiB page */
	return 0;
}

/* The guest's memory map, sorted: RAM plus the reserved EBDA and BIOS area
 * (where the ACPI tables live). */
static unsigned memory_map(const struct guest_mem *mem, struct boot_range out[BOOT_RANGES_MAX])
{
	struct mem_range ram[MEM_MAX_RANGES];
	int n = guest_mem_ranges(mem, ram);
	unsigned count = 0;
	out[count++] = (struct boot_range){ ram[0].gpa, ram[0].size, BOOT_RANGE_RAM };
	out[count++] = (struct boot_range){ MEM_LOW_RAM_END, 0xa0000 - MEM_LOW_RAM_END, BOOT_RANGE_RESERVED };
	out[count++] = (struct boot_range){ BOOT_ACPI_GPA, BOOT_ACPI_END - BOOT_ACPI_GPA, BOOT_RANGE_RESERVED };
	for (int i = 1; i < n && count < BOOT_RANGES_MAX; i++)
		out[count++] = (struct boot_range){ ram[i].gpa, ram[i].size, BOOT_RANGE_RAM };
	return count;
}

/* The initrd as high as it fits, at most `highest` (its last byte), page
 * aligned and clear of the kernel, as boot loaders do. 0 if it cannot. */
static uint64_t place_initrd(const struct guest_mem *mem, uint64_t kernel_end, size_t size,
			     uint64_t highest)
{
	uint64_t top = mem->low_size;
	if (highest < UINT64_MAX && highest + 1 < top)
		top = highest + 1;
	uint64_t floor = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (size > top || top - size < floor)
		return 0;
	uint64_t gpa = (top - size) & ~(PAGE_SIZE - 1);
	return gpa < floor ? 0 : gpa;
}

static int write_start_info(struct guest_mem *mem, const struct boot_layout *l)
{
	struct hvm_start_info *info = guest_mem_ptr(mem, BOOT_START_INFO_GPA, sizeof(*info));
	struct hvm_memmap_entry *e = guest_mem_ptr(mem, MEMMAP_GPA, l->range_count * sizeof(*e));
	if (!info || !e)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->magic = HVM_START_MAGIC;
	info->version = 1;
	info->memmap_paddr = MEMMAP_GPA;
	info->memmap_entries = l->range_count;
	for (unsigned i = 0; i < l->range_count; i++)
		e[i] = (struct hvm_memmap_entry){ l->ranges[i].gpa, l->ranges[i].size, l->ranges[i].type, 0 };
	info->cmdline_paddr = l->cmdline_gpa;
	if (l->initrd_size) {
		struct hvm_modlist_entry *mod = guest_mem_ptr(mem, MODLIST_GPA, sizeof(*mod));
		if (!mod)
			return -EINVAL;
		*mod = (struct hvm_modlist_entry){ .paddr = l->initrd_gpa, .size = l->initrd_size };
		info->nr_modules = 1;
		info->modlist_paddr = MODLIST_GPA;
	}
	info->rsdp_paddr = l->rsdp_gpa;
	return 0;
}

/* Command line, initrd and ACPI tables, wherever the protocol finds them. */
static int write_common(struct guest_mem *mem, const struct boot_kernel *kernel,
			const struct boot_setup *setup, struct boot_layout *l, char *why)
{
	if (setup->cmdline) {
		size_t len = strlen(setup->cmdline);
		if (len >= BOOT_CMDLINE_MAX) {
			snprintf(why, BOOT_WHY_SIZE, "command line longer than %u bytes", BOOT_CMDLINE_MAX - 1);
			return -EINVAL;
		}
		memcpy(guest_mem_ptr(mem, BOOT_CMDLINE_GPA, len + 1), setup->cmdline, len + 1);
		l->cmdline_gpa = BOOT_CMDLINE_GPA;
		l->cmdline_len = len;
	}
	if (setup->initrd) {
		uint64_t gpa = place_initrd(mem, kernel->image_end, setup->initrd_size,
					    boot_initrd_highest(kernel));
		if (!gpa) {
			snprintf(why, BOOT_WHY_SIZE, "initrd of %zu bytes does not fit in guest RAM between the "
				 "kernel's end 0x%" PRIx64 " and 0x%" PRIx64, setup->initrd_size,
				 kernel->image_end, mem->low_size);
			return -EINVAL;
		}
		memcpy(guest_mem_ptr(mem, gpa, setup->initrd_size), setup->initrd, setup->initrd_size);
		l->initrd_gpa = gpa;
		l->initrd_size = setup->initrd_size;
	}
	l->rsdp_gpa = boot_acpi_build(mem, setup);
	if (!l->rsdp_gpa) {
		snprintf(why, BOOT_WHY_SIZE, "ACPI tables for %u vCPUs do not fit", setup->cpus);
		return -EINVAL;
	}
	l->range_count = memory_map(mem, l->ranges);
	return 0;
}

int boot_prepare(struct guest_mem *mem, const struct boot_kernel *kernel,
		 const struct boot_setup *setup, char *why)
{
	if (setup->cpus == 0) {
		snprintf(why, BOOT_WHY_SIZE, "a VM needs at least one vCPU");
		return -EINVAL;
	}
	struct boot_layout l;
	memset(&l, 0, sizeof(l));
	if (write_gdt(mem))
		return -EINVAL;
	int err = write_common(mem, kernel, setup, &l, why);
	if (err)
		return err;
	/* A plain ELF64 gets both: hvm_start_info for our ABI, the zero page
	 * for a Linux vmlinux entered at startup_64. */
	if (kernel->protocol != BOOT_LINUX64 && write_start_info(mem, &l))
		return -EINVAL;
	if (kernel->protocol != BOOT_PVH)
		err = boot_write_zero_page(mem, kernel, &l, why);
	if (err)
		return err;
	return kernel->protocol == BOOT_PVH ? 0 : write_page_tables(mem);
}
