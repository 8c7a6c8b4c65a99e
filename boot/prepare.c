/* Boot data a kernel finds at entry: GDT, hvm_start_info with its memory
 * map, module list and command line, the initrd, ACPI tables and, for
 * long-mode entry, identity page tables. Layout: docs/memory-map.md. */
#include "boot.h"
#include "start_info.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096ull
#define MODLIST_GPA (BOOT_START_INFO_GPA + 0x40)
#define MEMMAP_GPA (BOOT_START_INFO_GPA + 0x80)
#define MEMMAP_MAX 8

static int write_gdt(struct guest_mem *mem)
{
	static const uint64_t gdt[] = {
		0,
		0x00af9b000000ffffull,  /* 0x08: 64-bit code */
		0x00cf9b000000ffffull,  /* 0x10: 32-bit code, 4 GiB flat */
		0x00cf93000000ffffull,  /* 0x18: data, 4 GiB flat */
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

/* The memory map, sorted: RAM ranges plus the reserved EBDA and BIOS area
 * (where the ACPI tables live). */
static uint32_t write_memmap(struct guest_mem *mem)
{
	struct mem_range ram[MEM_MAX_RANGES];
	int n = guest_mem_ranges(mem, ram);
	struct hvm_memmap_entry *e = guest_mem_ptr(mem, MEMMAP_GPA, MEMMAP_MAX * sizeof(*e));
	uint32_t count = 0;
	e[count++] = (struct hvm_memmap_entry){ ram[0].gpa, ram[0].size, HVM_MEMMAP_TYPE_RAM, 0 };
	e[count++] = (struct hvm_memmap_entry){ MEM_LOW_RAM_END, 0xa0000 - MEM_LOW_RAM_END,
						HVM_MEMMAP_TYPE_RESERVED, 0 };
	e[count++] = (struct hvm_memmap_entry){ BOOT_ACPI_GPA, BOOT_ACPI_END - BOOT_ACPI_GPA,
						HVM_MEMMAP_TYPE_RESERVED, 0 };
	for (int i = 1; i < n; i++)
		e[count++] = (struct hvm_memmap_entry){ ram[i].gpa, ram[i].size, HVM_MEMMAP_TYPE_RAM, 0 };
	return count;
}

/* Put the initrd as high as it fits below the MMIO gap, page aligned and
 * clear of the kernel, as boot loaders do. Returns its address or 0. */
static uint64_t place_initrd(struct guest_mem *mem, uint64_t kernel_end, size_t size)
{
	uint64_t top = mem->low_size;
	uint64_t floor = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (size > top || top - size < floor)
		return 0;
	uint64_t gpa = (top - size) & ~(PAGE_SIZE - 1);
	return gpa < floor ? 0 : gpa;
}

int boot_prepare(struct guest_mem *mem, const struct boot_kernel *kernel,
		 const struct boot_setup *setup, char *why)
{
	if (setup->cpus == 0) {
		snprintf(why, BOOT_WHY_SIZE, "a VM needs at least one vCPU");
		return -EINVAL;
	}
	struct hvm_start_info *info = guest_mem_ptr(mem, BOOT_START_INFO_GPA, sizeof(*info));
	if (!info || write_gdt(mem))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->magic = HVM_START_MAGIC;
	info->version = 1;
	info->memmap_paddr = MEMMAP_GPA;
	info->memmap_entries = write_memmap(mem);
	if (setup->cmdline) {
		size_t len = strlen(setup->cmdline);
		if (len >= BOOT_CMDLINE_MAX) {
			snprintf(why, BOOT_WHY_SIZE, "command line longer than %u bytes", BOOT_CMDLINE_MAX - 1);
			return -EINVAL;
		}
		memcpy(guest_mem_ptr(mem, BOOT_CMDLINE_GPA, len + 1), setup->cmdline, len + 1);
		info->cmdline_paddr = BOOT_CMDLINE_GPA;
	}
	if (setup->initrd) {
		uint64_t gpa = place_initrd(mem, kernel->image_end, setup->initrd_size);
		if (!gpa) {
			snprintf(why, BOOT_WHY_SIZE, "initrd of %zu bytes does not fit in guest RAM below 0x%" PRIx64,
				 setup->initrd_size, mem->low_size);
			return -EINVAL;
		}
		memcpy(guest_mem_ptr(mem, gpa, setup->initrd_size), setup->initrd, setup->initrd_size);
		struct hvm_modlist_entry *mod = guest_mem_ptr(mem, MODLIST_GPA, sizeof(*mod));
		*mod = (struct hvm_modlist_entry){ .paddr = gpa, .size = setup->initrd_size };
		info->nr_modules = 1;
		info->modlist_paddr = MODLIST_GPA;
	}
	info->rsdp_paddr = boot_acpi_build(mem, setup->cpus, setup->apic_ids);
	if (!info->rsdp_paddr) {
		snprintf(why, BOOT_WHY_SIZE, "ACPI tables for %u vCPUs do not fit", setup->cpus);
		return -EINVAL;
	}
	return kernel->protocol == BOOT_ELF64 ? write_page_tables(mem) : 0;
}
