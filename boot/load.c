/* Which loader an image takes: ELF (PVH or plain ELF64) or a Linux
 * bzImage, by its magic; anything else is refused with one line. */
#include "boot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int boot_kernel_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		     struct boot_kernel *kernel, char *why)
{
	if (size >= 4 && !memcmp(image, "\x7f" "ELF", 4))
		return boot_elf_load(mem, image, size, kernel, why);
	if (boot_is_bzimage(image, size))
		return boot_bzimage_load(mem, image, size, kernel, why);
	snprintf(why, BOOT_WHY_SIZE, "not an ELF or bzImage");
	return -ENOEXEC;
}
