/* libFuzzer target: the ELF/PVH loader, then the boot data written after
 * a successful load. Guest RAM is small (8 MiB) so that segments outside
 * it are common. Besides crashes and sanitizer reports, it checks what the
 * loader promises about an image it accepts, and what boot_prepare writes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../boot/boot.h"
#include "../../boot/linux.h"
#include "../../boot/start_info.h"

#define RAM_SIZE (8 * MEM_MiB)

static struct guest_mem mem;

static void check_kernel(const struct boot_kernel *k)
{
	if (k->protocol != BOOT_PVH && k->protocol != BOOT_ELF64)
		abort();
	/* Entered at loaded RAM, which starts at 1 MiB and ends in RAM. */
	if (!guest_mem_ptr(&mem, k->entry, 1) || k->entry < MEM_HIGH_RAM_START)
		abort();
	if (k->protocol == BOOT_ELF64 && k->entry >= MEM_MMIO_GAP_START)
		abort();
	if (k->image_end <= k->entry || !guest_mem_ptr(&mem, k->image_end - 1, 1))
		abort();
}

static void check_boot_data(const struct boot_kernel *k, size_t initrd_size)
{
	const struct hvm_start_info *si =
		guest_mem_ptr(&mem, BOOT_START_INFO_GPA, sizeof(struct hvm_start_info));
	if (!si || si->magic != HVM_START_MAGIC || si->rsdp_paddr != BOOT_ACPI_GPA)
		abort();
	if (si->nr_modules != 1)
		abort();
	const struct hvm_modlist_entry *mod =
		guest_mem_ptr(&mem, si->modlist_paddr, sizeof(struct hvm_modlist_entry));
	if (!mod || mod->size != initrd_size || mod->paddr % 4096 || mod->paddr < k->image_end ||
	    !guest_mem_ptr(&mem, mod->paddr, mod->size))
		abort();
	if (k->protocol != BOOT_ELF64)
		return;
	/* A plain ELF64 also gets the zero page a Linux vmlinux reads. */
	const uint8_t *zp = guest_mem_ptr(&mem, BOOT_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
	uint32_t ramdisk, ramdisk_size;
	memcpy(&ramdisk, zp + LINUX_HDR_RAMDISK_IMAGE, 4);
	memcpy(&ramdisk_size, zp + LINUX_HDR_RAMDISK_SIZE, 4);
	if (memcmp(zp + LINUX_HDR_MAGIC, "HdrS", 4) || ramdisk != mod->paddr || ramdisk_size != mod->size ||
	    zp[LINUX_BP_E820_ENTRIES] != si->memmap_entries)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva && guest_mem_init(&mem, RAM_SIZE))
		abort();
	/* An exact-size heap copy: ASan sees any read past the end. */
	uint8_t *image = malloc(size ? size : 1);
	memcpy(image, data, size);
	struct boot_kernel kernel;
	char why[BOOT_WHY_SIZE] = "";
	int err = boot_elf_load(&mem, image, size, &kernel, why);
	if (err) {
		if (err != -ENOEXEC || !why[0] || strnlen(why, sizeof(why)) == sizeof(why))
			abort();  /* a refusal always says why */
	} else {
		check_kernel(&kernel);
		/* The image doubles as the initrd: sometimes it fits, sometimes not. */
		struct boot_setup setup = { .cmdline = "console=ttyS0", .initrd = data,
					    .initrd_size = size, .cpus = 1 + size % 1024 };
		if (boot_prepare(&mem, &kernel, &setup, why) == 0)
			check_boot_data(&kernel, size);
		else if (!why[0])
			abort();
	}
	free(image);
	return 0;
}
