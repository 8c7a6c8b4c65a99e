/* The zero page (struct boot_params) a bzImage kernel finds in %rsi: the
 * image's own setup header with the loader's fields filled in, the e820
 * map, the command line, the initrd and the ACPI RSDP, as the boot
 * protocol's "64-bit boot protocol" section says. */
#include "layout.h"
#include "linux.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put32(uint8_t *zp, size_t offset, uint32_t v)
{
	memcpy(zp + offset, &v, 4);
}

static uint32_t header32(const struct boot_kernel *k, size_t offset)
{
	uint32_t v = 0;
	if (offset >= LINUX_SETUP_HEADER && offset + 4 <= LINUX_SETUP_HEADER + k->linux_header_size)
		memcpy(&v, k->linux_header + (offset - LINUX_SETUP_HEADER), 4);
	return v;
}

static uint16_t header_version(const struct boot_kernel *k)
{
	return (uint16_t)header32(k, LINUX_HDR_VERSION);
}

uint64_t boot_initrd_highest(const struct boot_kernel *k)
{
	if (k->protocol != BOOT_LINUX64)
		return UINT64_MAX;
	/* Below 4 GiB whatever the kernel says: ext_ramdisk_image stays 0. */
	uint32_t max = header32(k, LINUX_HDR_INITRD_ADDR_MAX);
	return max ? max : 0x37ffffff;  /* the protocol's default before 2.03 */
}

static void header_put(struct boot_kernel *k, size_t offset, uint32_t v, size_t bytes)
{
	memcpy(k->linux_header + (offset - LINUX_SETUP_HEADER), &v, bytes);
}

/* A plain ELF64 has no setup header: the one a boot loader would give a
 * Linux vmlinux entered at startup_64 (as Firecracker boots vmlinux). */
static void default_header(struct boot_kernel *k)
{
	memset(k->linux_header, 0, sizeof(k->linux_header));
	k->linux_header_size = LINUX_SETUP_HEADER_MAX - LINUX_SETUP_HEADER;
	header_put(k, LINUX_BOOT_FLAG, 0xaa55, 2);
	header_put(k, LINUX_HDR_MAGIC, LINUX_HDRS, 4);
	header_put(k, LINUX_HDR_VERSION, LINUX_DEFAULT_VERSION, 2);
	header_put(k, LINUX_HDR_LOADFLAGS, LINUX_LOADED_HIGH, 1);
	header_put(k, LINUX_HDR_INITRD_ADDR_MAX, MEM_MMIO_GAP_START - 1, 4);  /* where prepare.c puts it */
	header_put(k, LINUX_HDR_KERNEL_ALIGNMENT, 0x200000, 4);
	header_put(k, LINUX_HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64, 2);
	header_put(k, LINUX_HDR_CMDLINE_SIZE, BOOT_CMDLINE_MAX - 1, 4);
}

static void write_e820(uint8_t *zp, const struct boot_layout *l)
{
	unsigned n = l->range_count < LINUX_E820_MAX ? l->range_count : LINUX_E820_MAX;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = zp + LINUX_BP_E820_TABLE + i * LINUX_E820_ENTRY_SIZE;
		memcpy(e, &l->ranges[i].gpa, 8);
		memcpy(e + 8, &l->ranges[i].size, 8);
		memcpy(e + 16, &l->ranges[i].type, 4);
	}
	zp[LINUX_BP_E820_ENTRIES] = (uint8_t)n;
}

int boot_write_zero_page(struct guest_mem *mem, const struct boot_kernel *k,
			 const struct boot_layout *l, char *why)
{
	uint8_t *zp = guest_mem_ptr(mem, BOOT_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
	if (!zp)
		return -EINVAL;
	struct boot_kernel elf64;
	if (k->protocol == BOOT_ELF64) {
		elf64 = *k;
		default_header(&elf64);
		k = &elf64;
	}
	uint32_t cmdline_size = header32(k, LINUX_HDR_CMDLINE_SIZE);
	if (l->cmdline_len > cmdline_size) {
		snprintf(why, BOOT_WHY_SIZE, "command line of %zu bytes; this kernel takes at most %" PRIu32,
			 l->cmdline_len, cmdline_size);
		return -EINVAL;
	}
	memset(zp, 0, LINUX_ZERO_PAGE_SIZE);
	memcpy(zp + LINUX_SETUP_HEADER, k->linux_header, k->linux_header_size);
	zp[LINUX_HDR_TYPE_OF_LOADER] = LINUX_LOADER_UNDEFINED;
	/* cmd_line_ptr 0 with an empty line: the kernel reads "", as it should. */
	put32(zp, LINUX_HDR_CMD_LINE_PTR, (uint32_t)l->cmdline_gpa);
	put32(zp, LINUX_HDR_RAMDISK_IMAGE, (uint32_t)l->initrd_gpa);
	put32(zp, LINUX_HDR_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	put32(zp, LINUX_HDR_HARDWARE_SUBARCH, 0);  /* a PC */
	memset(zp + LINUX_HDR_SETUP_DATA, 0, 8);   /* no setup_data chain */
	if (header_version(k) >= LINUX_RSDP_VERSION)
		memcpy(zp + LINUX_BP_ACPI_RSDP_ADDR, &l->rsdp_gpa, 8);
	write_e820(zp, l);
	return 0;
}
