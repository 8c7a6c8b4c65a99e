/* What boot_prepare worked out, for the protocol writers (start_info in
 * prepare.c, the Linux zero page in zero_page.c). Private to boot/. */
#ifndef SPRIG_BOOT_LAYOUT_H
#define SPRIG_BOOT_LAYOUT_H

#include "boot.h"

#define BOOT_RANGES_MAX 8
#define BOOT_RANGE_RAM 1       /* the same numbers in e820 and the PVH memmap */
#define BOOT_RANGE_RESERVED 2

struct boot_range {
	uint64_t gpa, size;
	uint32_t type;
};

struct boot_layout {
	uint64_t cmdline_gpa;      /* 0: none */
	size_t cmdline_len;
	uint64_t initrd_gpa;
	size_t initrd_size;        /* 0: none */
	uint64_t rsdp_gpa;
	struct boot_range ranges[BOOT_RANGES_MAX];
	unsigned range_count;
};

/* The highest address the kernel lets its initrd reach. */
uint64_t boot_initrd_highest(const struct boot_kernel *kernel);

/* The zero page for a bzImage, and for a plain ELF64 (with a setup header
 * made up by sprig), which a Linux vmlinux entered at startup_64 reads. */
int boot_write_zero_page(struct guest_mem *mem, const struct boot_kernel *kernel,
			 const struct boot_layout *layout, char *why);

#endif
