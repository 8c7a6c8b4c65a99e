/* Linux bzImage, through the 64-bit boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst, protocol 2.12 and later): the setup
 * header is checked, the protected-mode kernel is loaded where it prefers
 * to run, and entered in long mode at load + 0x200 with %rsi pointing at
 * the zero page (boot/zero_page.c). The image is the user's and may be
 * hostile or truncated: every field is checked before it is used. */
#include "boot.h"
#include "fail.h"
#include "linux.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint32_t get32(const uint8_t *p, size_t offset)
{
	uint32_t v;
	memcpy(&v, p + offset, 4);
	return v;
}

static uint16_t get16(const uint8_t *p, size_t offset)
{
	uint16_t v;
	memcpy(&v, p + offset, 2);
	return v;
}

bool boot_is_bzimage(const uint8_t *image, size_t size)
{
	return size >= LINUX_HDR_MAGIC + 4 && get16(image, LINUX_BOOT_FLAG) == 0xaa55 &&
	       get32(image, LINUX_HDR_MAGIC) == LINUX_HDRS;
}

/* The header's own length: the jump at 0x200 skips over it. */
static size_t header_end(const uint8_t *image)
{
	return LINUX_HDR_MAGIC + image[LINUX_HDR_JUMP + 1];
}

static int check_header(const uint8_t *image, size_t size, char *why)
{
	if (!boot_is_bzimage(image, size))
		return boot_fail(why, "not a bzImage (no boot flag and HdrS signature)");
	if (size < LINUX_HDR_VERSION + 2)
		return boot_fail(why, "truncated: the file ends at %zu bytes, inside the setup header", size);
	uint16_t version = get16(image, LINUX_HDR_VERSION);
	if (version < LINUX_MIN_VERSION)
		return boot_fail(why, "Linux boot protocol %u.%02u is too old: the 64-bit entry needs 2.12",
			    version >> 8, version & 0xff);
	size_t end = header_end(image);
	if (end < LINUX_HDR_INIT_SIZE + 4 || end > LINUX_SETUP_HEADER_MAX || end > size)
		return boot_fail(why, "setup header of %zu bytes is malformed or runs past the file", end);
	if (!(get16(image, LINUX_HDR_XLOADFLAGS) & LINUX_XLF_KERNEL_64))
		return boot_fail(why, "this kernel has no 64-bit entry point (XLF_KERNEL_64)");
	if (!(image[LINUX_HDR_LOADFLAGS] & LINUX_LOADED_HIGH))
		return boot_fail(why, "this kernel wants to be loaded low (zImage), which sprig does not do");
	return 0;
}

/* (start + size) in MiB, rounded up; saturates for a hostile start. */
static uint64_t mib_rounded_up(uint64_t start, uint64_t size)
{
	uint64_t mib = 1 << 20;
	if (start > UINT64_MAX - size - (mib - 1))
		return UINT64_MAX >> 20;
	return (start + size + mib - 1) >> 20;
}

/* Where the protected-mode kernel goes: its preferred address. A
 * relocatable kernel runs at max(load, LOAD_PHYSICAL_ADDR = pref_address)
 * anyway, and one that is not relocatable must be there; either needs
 * init_size bytes from there in low RAM. */
static int place_kernel(const struct guest_mem *mem, const uint8_t *image, uint64_t payload,
			uint64_t *load, uint64_t *end, char *why)
{
	uint64_t pref;
	memcpy(&pref, image + LINUX_HDR_PREF_ADDRESS, 8);
	uint64_t init_size = get32(image, LINUX_HDR_INIT_SIZE);
	uint32_t align = get32(image, LINUX_HDR_KERNEL_ALIGNMENT);
	if (pref < LINUX_LOAD_MIN)
		pref = LINUX_LOAD_MIN;
	uint64_t need = init_size > payload ? init_size : payload;
	/* Rounding up is only done below the end of RAM (< 3 GiB, alignment at
	 * most 1 GiB), so a hostile pref_address cannot wrap it to 0. */
	if (pref < mem->low_size && image[LINUX_HDR_RELOCATABLE] && align && (align & (align - 1)) == 0 &&
	    align <= (1u << 30))
		pref = (pref + align - 1) & ~(uint64_t)(align - 1);
	if (pref >= mem->low_size || need > mem->low_size - pref)
		return boot_fail(why, "the kernel needs RAM up to %" PRIu64 " MiB (0x%" PRIx64 " + init_size %"
			    PRIu64 " KiB); the guest has %" PRIu64 " MiB below 3 GiB",
			    mib_rounded_up(pref, need), pref, need >> 10, mem->low_size >> 20);
	*load = pref;
	*end = pref + need;
	return 0;
}

int boot_bzimage_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		      struct boot_kernel *kernel, char *why)
{
	int err = check_header(image, size, why);
	if (err)
		return err;
	uint64_t setup_sects = image[LINUX_HDR_SETUP_SECTS] ? image[LINUX_HDR_SETUP_SECTS] : 4;
	uint64_t setup_size = (setup_sects + 1) * 512;
	if (setup_size >= size)
		return boot_fail(why, "truncated: %" PRIu64 " bytes of setup code, the file has %zu", setup_size,
			    size);
	uint64_t payload = size - setup_size;
	if (payload <= LINUX_ENTRY_64_OFFSET)
		return boot_fail(why, "truncated: %" PRIu64 " bytes of kernel do not reach its 64-bit entry at "
				 "+0x%x", payload, LINUX_ENTRY_64_OFFSET);
	/* syssize counts 16-byte paragraphs, the last one maybe partly filled
	 * (memtest86+'s is): only a whole missing paragraph is a cut file. */
	uint64_t declared = (uint64_t)get32(image, LINUX_HDR_SYSSIZE) * 16;
	if (declared > payload + 15)
		return boot_fail(why, "truncated: the setup header says %" PRIu64 " bytes of kernel, the file has %"
			    PRIu64, declared, payload);
	uint64_t load = 0, end = 0;
	if ((err = place_kernel(mem, image, payload, &load, &end, why)))
		return err;
	uint8_t *dst = guest_mem_ptr(mem, load, payload);
	if (!dst)
		return boot_fail(why, "the kernel does not fit at 0x%" PRIx64, load);
	memcpy(dst, image + setup_size, payload);
	memset(kernel, 0, sizeof(*kernel));
	kernel->protocol = BOOT_LINUX64;
	kernel->entry = load + LINUX_ENTRY_64_OFFSET;
	kernel->image_end = end;
	kernel->linux_header_size = header_end(image) - LINUX_SETUP_HEADER;
	memcpy(kernel->linux_header, image + LINUX_SETUP_HEADER, kernel->linux_header_size);
	return 0;
}
