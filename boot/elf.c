/* ELF64 loader: PVH (XEN_ELFNOTE_PHYS32_ENTRY) and plain long-mode images.
 * The image comes from the user and may be hostile or truncated: every
 * offset, size and count is checked before it is used. */
#include "boot.h"
#include "fail.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Does [offset, offset + len) lie within a buffer of `size` bytes? */
static int fits(uint64_t offset, uint64_t len, uint64_t size)
{
	return offset <= size && len <= size - offset;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *why)
{
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return boot_fail(why, "not an ELF image");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return boot_fail(why, "not a 64-bit little-endian ELF");
	if (eh->e_machine != EM_X86_64)
		return boot_fail(why, "ELF machine %u is not x86-64", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_fail(why, "ELF type %u is not an executable", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return boot_fail(why, "bad ELF program header table (entry size %u)", eh->e_phentsize);
	if (eh->e_phoff % 8)  /* the ELF spec's alignment; a sign of a damaged file */
		return boot_fail(why, "ELF program headers are misaligned");
	if (!fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
		return boot_fail(why, "ELF program headers run past the end of the file");
	return 0;
}

/* Find the PVH entry in one PT_NOTE segment; 0 if it has none. */
static int find_pvh_note(const uint8_t *image, size_t size, const Elf64_Phdr *ph,
			 uint64_t *entry, char *why)
{
	if (!fits(ph->p_offset, ph->p_filesz, size))
		return boot_fail(why, "ELF note segment at offset 0x%" PRIx64 " runs past the end of the file",
			    ph->p_offset);
	const uint8_t *p = image + ph->p_offset;
	uint64_t left = ph->p_filesz;
	while (left >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p, sizeof(nh));
		uint64_t name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		uint64_t desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (!fits(sizeof(nh), name_len + desc_len, left))
			return boot_fail(why, "truncated ELF note");
		const uint8_t *name = p + sizeof(nh), *desc = name + name_len;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(name, "Xen", 4)) {
			uint32_t value = 0;
			if (nh.n_descsz < 4)
				return boot_fail(why, "PVH entry note too short");
			memcpy(&value, desc, 4);  /* 4 or 8 bytes; the entry is 32-bit */
			*entry = value;
			return 1;
		}
		p += sizeof(nh) + name_len + desc_len;
		left -= sizeof(nh) + name_len + desc_len;
	}
	return 0;
}

static int load_segment(struct guest_mem *mem, const uint8_t *image, size_t size,
			const Elf64_Phdr *ph, char *why)
{
	if (ph->p_filesz > ph->p_memsz)
		return boot_fail(why, "ELF segment at offset 0x%" PRIx64 " has more file bytes than memory bytes",
			    ph->p_offset);
	if (!fits(ph->p_offset, ph->p_filesz, size))
		return boot_fail(why, "ELF segment at offset 0x%" PRIx64 " runs past the end of the file",
			    ph->p_offset);
	if (ph->p_paddr < MEM_HIGH_RAM_START)
		return boot_fail(why, "ELF segment at 0x%" PRIx64 " is below 1 MiB (sprig's boot area)",
			    ph->p_paddr);
	uint8_t *dst = guest_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
	if (!dst)
		return boot_fail(why, "ELF segment at 0x%" PRIx64 " does not fit in guest RAM", ph->p_paddr);
	memcpy(dst, image + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

/* Program header i, copied out: callers need not align the image. */
static Elf64_Phdr read_phdr(const uint8_t *image, const Elf64_Ehdr *eh, unsigned i)
{
	Elf64_Phdr ph;
	memcpy(&ph, image + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

/* The loaded segment holding `addr` (a p_vaddr if `virtual`, else a
 * p_paddr); returns the physical address in *paddr. */
static int find_loaded(const uint8_t *image, const Elf64_Ehdr *eh, uint64_t addr, int virtual,
		       uint64_t *paddr)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = read_phdr(image, eh, i);
		uint64_t base = virtual ? ph.p_vaddr : ph.p_paddr;
		if (ph.p_type == PT_LOAD && addr >= base && addr - base < ph.p_memsz) {
			*paddr = ph.p_paddr + (addr - base);
			return 1;
		}
	}
	return 0;
}

int boot_elf_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		  struct boot_kernel *kernel, char *why)
{
	Elf64_Ehdr eh;
	if (size >= sizeof(eh))
		memcpy(&eh, image, sizeof(eh));
	int err = check_header(&eh, size, why);
	if (err)
		return err;
	uint64_t pvh_entry = 0, end = MEM_HIGH_RAM_START, paddr;
	int has_pvh = 0, loaded = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = read_phdr(image, &eh, i);
		if (ph.p_type == PT_NOTE && !has_pvh) {
			has_pvh = find_pvh_note(image, size, &ph, &pvh_entry, why);
			if (has_pvh < 0)
				return has_pvh;
		} else if (ph.p_type == PT_LOAD && ph.p_memsz) {
			if ((err = load_segment(mem, image, size, &ph, why)))
				return err;
			/* Only low RAM matters: the initrd goes above this. */
			if (ph.p_paddr < MEM_MMIO_GAP_START && ph.p_paddr + ph.p_memsz > end)
				end = ph.p_paddr + ph.p_memsz;
			loaded++;
		}
	}
	if (!loaded)
		return boot_fail(why, "ELF image has no loadable segment");
	kernel->image_end = end;
	if (has_pvh) {
		if (!find_loaded(image, &eh, pvh_entry, 0, &paddr))
			return boot_fail(why, "PVH entry 0x%" PRIx64 " is outside the loaded image", pvh_entry);
		kernel->protocol = BOOT_PVH;
		kernel->entry = pvh_entry;
		return 0;
	}
	/* e_entry is virtual, as the ELF spec has it; Linux's vmlinux links it
	 * to the physical startup_64 instead, which is where loaders enter it. */
	if (!find_loaded(image, &eh, eh.e_entry, 1, &kernel->entry) &&
	    !find_loaded(image, &eh, eh.e_entry, 0, &kernel->entry))
		return boot_fail(why, "ELF entry 0x%" PRIx64 " is outside the loaded image", eh.e_entry);
	if (kernel->entry >= MEM_MMIO_GAP_START)
		return boot_fail(why, "ELF entry 0x%" PRIx64 " is not identity mapped (above 3 GiB)", kernel->entry);
	kernel->protocol = BOOT_ELF64;
	return 0;
}
