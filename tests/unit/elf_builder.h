/* Build ELF64 images in memory for loader tests and fuzz seeds. */
#ifndef SPRIG_TEST_ELF_BUILDER_H
#define SPRIG_TEST_ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_BUILDER_MAX 65536

struct elf_image {
	uint8_t bytes[ELF_BUILDER_MAX] __attribute__((aligned(8)));
	size_t size;
	unsigned phnum;
};

/* A header with room for `phnum` program headers right after it. */
void elf_begin(struct elf_image *img, unsigned phnum, uint64_t entry);
/* Append a PT_LOAD with `filesz` bytes of a pattern, `memsz` in memory. */
Elf64_Phdr *elf_add_load(struct elf_image *img, uint64_t paddr, uint64_t filesz, uint64_t memsz);
/* Append a PT_NOTE holding an unrelated note, then (if pvh_entry) the Xen
 * PVH entry note with a `desc_size`-byte (4 or 8) descriptor. */
Elf64_Phdr *elf_add_notes(struct elf_image *img, uint64_t pvh_entry, unsigned desc_size);
Elf64_Ehdr *elf_header(struct elf_image *img);
/* The byte the pattern puts at file offset `i` of a segment. */
uint8_t elf_pattern(uint64_t i);

#endif
