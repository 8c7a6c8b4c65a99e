/* libFuzzer target: the ELF/PVH loader and the boot data built after it.
 * Guest memory is small so that out-of-RAM segments are common. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../boot/boot.h"

static struct guest_mem mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.hva && guest_mem_init(&mem, 8 * MEM_MiB))
		abort();
	/* An exact-size, 8-aligned heap copy: ASan sees any read past the end. */
	uint8_t *image = malloc(size ? size : 1);
	memcpy(image, data, size);
	struct boot_kernel kernel;
	char why[BOOT_WHY_SIZE] = "";
	if (boot_elf_load(&mem, image, size, &kernel, why) == 0) {
		if (!guest_mem_ptr(&mem, kernel.entry, 1) && kernel.protocol == BOOT_PVH)
			abort();  /* a PVH entry is always inside loaded RAM */
		struct boot_setup setup = { .cmdline = "console=ttyS0", .initrd = data,
					    .initrd_size = size, .cpus = 1 + size % 300 };
		boot_prepare(&mem, &kernel, &setup, why);
	} else if (!why[0]) {
		abort();  /* a rejection always says why */
	}
	free(image);
	return 0;
}
