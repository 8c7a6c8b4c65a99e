/* libFuzzer target: the bzImage setup header parser and loader, then the
 * zero page written after a successful load. Guest RAM is 32 MiB, so that
 * preferred addresses and init_size beyond it are common. Besides crashes
 * and sanitizer reports, it checks what the loader promises about an image
 * it accepts, and what the kernel would read from the zero page. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../boot/boot.h"
#include "../../boot/linux.h"

#define RAM_SIZE (32 * MEM_MiB)

static struct guest_mem mem;

static uint64_t get(const uint8_t *p, size_t offset, size_t bytes)
{
	uint64_t v = 0;
	memcpy(&v, p + offset, bytes);
	return v;
}

static void check_kernel(const struct boot_kernel *k, const uint8_t *image)
{
	uint64_t load = k->entry - LINUX_ENTRY_64_OFFSET;
	if (load < LINUX_LOAD_MIN || k->image_end <= k->entry || k->image_end > mem.low_size)
		abort();
	if (k->linux_header_size < LINUX_HDR_INIT_SIZE + 4 - LINUX_SETUP_HEADER ||
	    k->linux_header_size > BOOT_LINUX_HEADER_MAX ||
	    memcmp(k->linux_header, image + LINUX_SETUP_HEADER, k->linux_header_size))
		abort();
}

static void check_zero_page(const struct boot_kernel *k, size_t initrd_size)
{
	const uint8_t *zp = guest_mem_ptr(&mem, BOOT_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
	if (!zp || get(zp, LINUX_HDR_MAGIC, 4) != LINUX_HDRS || zp[LINUX_HDR_TYPE_OF_LOADER] != 0xff)
		abort();
	if (zp[LINUX_BP_E820_ENTRIES] == 0 || zp[LINUX_BP_E820_ENTRIES] > LINUX_E820_MAX)
		abort();
	uint64_t ramdisk = get(zp, LINUX_HDR_RAMDISK_IMAGE, 4), size = get(zp, LINUX_HDR_RAMDISK_SIZE, 4);
	uint64_t max = get(zp, LINUX_HDR_INITRD_ADDR_MAX, 4);
	if (size != initrd_size || ramdisk % 4096 || ramdisk < k->image_end ||
	    !guest_mem_ptr(&mem, ramdisk, size) || (max && ramdisk + size - 1 > max))
		abort();
	uint64_t cmdline = get(zp, LINUX_HDR_CMD_LINE_PTR, 4);
	if (cmdline != BOOT_CMDLINE_GPA)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva && guest_mem_init(&mem, RAM_SIZE))
		abort();
	uint8_t *image = malloc(size ? size : 1);  /* exact size: ASan sees any overread */
	memcpy(image, data, size);
	struct boot_kernel kernel;
	char why[BOOT_WHY_SIZE] = "";
	int err = boot_kernel_load(&mem, image, size, &kernel, why);
	if (err) {
		if (err != -ENOEXEC || !why[0] || strnlen(why, sizeof(why)) == sizeof(why))
			abort();  /* a refusal always says why */
	} else if (kernel.protocol == BOOT_LINUX64) {
		check_kernel(&kernel, image);
		/* A slice of the image as the initrd: sometimes it fits, sometimes not. */
		size_t initrd_size = size / 3 + 1;
		struct boot_setup setup = { .cmdline = "console=ttyS0", .initrd = data,
					    .initrd_size = initrd_size, .cpus = 1 + size % 64 };
		if (boot_prepare(&mem, &kernel, &setup, why) == 0)
			check_zero_page(&kernel, initrd_size);
		else if (!why[0])
			abort();
	}
	free(image);
	return 0;
}
