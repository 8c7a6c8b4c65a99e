/* Build ELF64 x86-64 images in memory: for the loader's unit tests, which
 * then corrupt them, and for the fuzzer's seeds. No cmocka here, so the
 * seed generator can use it too; misuse (an image too big) aborts. */
#ifndef SPRIG_TEST_ELF_BUILDER_H
#define SPRIG_TEST_ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_IMAGE_MAX 65536
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_ENTRY 1  /* a Xen note the PVH loader must skip */

struct elf_image {
	/* Aligned as the loader requires of its input (it reads headers in place). */
	uint8_t bytes[ELF_IMAGE_MAX] __attribute__((aligned(8)));
	size_t size;
	unsigned phnum;  /* program headers filled in so far */
};

/* An ELF header with `phnum` program header slots right after it. */
void elf_begin(struct elf_image *img, unsigned phnum, uint64_t entry);
Elf64_Ehdr *elf_header(struct elf_image *img);
Elf64_Phdr *elf_phdr(struct elf_image *img, unsigned index);

/* A PT_LOAD at paddr (= vaddr) with `filesz` bytes of elf_pattern() in the
 * file, 16-byte aligned there, and `memsz` bytes in memory. */
Elf64_Phdr *elf_add_load(struct elf_image *img, uint64_t paddr, uint64_t filesz, uint64_t memsz);
/* A program header of another type, with nothing in the file. */
Elf64_Phdr *elf_add_phdr(struct elf_image *img, uint32_t type);

/* A PT_NOTE segment; the notes added next (and nothing else) make it up. */
Elf64_Phdr *elf_begin_notes(struct elf_image *img);
void elf_add_note(struct elf_image *img, Elf64_Phdr *notes, uint32_t type, const char *name,
		  const void *desc, uint32_t desc_size);
/* A PT_NOTE holding a GNU build-id note and then the Xen PVH entry note with
 * a `desc_size`-byte descriptor (4 or 8 as linkers write it; fewer to test). */
Elf64_Phdr *elf_add_pvh_notes(struct elf_image *img, uint64_t entry, uint32_t desc_size);

/* Bytes after everything else that no header points at (a section table). */
void elf_append(struct elf_image *img, const void *data, size_t size);

/* The byte the pattern puts at offset `i` of a segment's file contents. */
uint8_t elf_pattern(uint64_t i);

#endif
