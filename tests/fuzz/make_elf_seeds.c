/* Writes the seed corpus of fuzz_elf into a folder: small valid images of
 * every shape the loader accepts, so the fuzzer starts from images that
 * load and mutates its way to the checks. Run by fuzz.mk. */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/elf_builder.h"

static struct elf_image img;

static void save(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img.bytes, 1, img.size, f) != img.size || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_elf_seeds DIR\n");
		return 2;
	}
	const char *dir = argv[1];

	elf_begin(&img, 2, 0);  /* PVH, 4-byte entry note, with bss */
	elf_add_load(&img, 0x100000, 0x80, 0x1000);
	elf_add_pvh_notes(&img, 0x100010, 4);
	save(dir, "pvh4.elf");

	elf_begin(&img, 3, 0);  /* PVH, 8-byte note between two segments */
	elf_add_load(&img, 0x100000, 0x40, 0x40);
	elf_add_pvh_notes(&img, 0x100000, 8);
	elf_add_load(&img, 0x200000, 0x20, 0x2000);
	save(dir, "pvh8.elf");

	elf_begin(&img, 4, 0);  /* notes in two segments, an ignored header */
	Elf64_Phdr *notes = elf_begin_notes(&img);
	static const uint8_t abi[16];
	elf_add_note(&img, notes, NT_GNU_ABI_TAG, "GNU", abi, sizeof(abi));
	elf_add_phdr(&img, PT_GNU_STACK);
	elf_add_pvh_notes(&img, 0x180000, 4);
	elf_add_load(&img, 0x180000, 0x30, 0x30);
	save(dir, "pvh-notes.elf");

	elf_begin(&img, 1, 0xffffffff80000020ull);  /* long mode, higher half */
	elf_add_load(&img, 0x100000, 0x60, 0x60)->p_vaddr = 0xffffffff80000000ull;
	save(dir, "elf64-higher-half.elf");

	static const uint8_t section_table[2 * sizeof(Elf64_Shdr)] = { 1 };
	elf_begin(&img, 2, 0x300000);  /* long mode, identity, trailing sections */
	elf_add_load(&img, 0x300000, 0x40, 0x800);
	elf_add_load(&img, 0x100000, 0x10, 0x10);
	elf_append(&img, section_table, sizeof(section_table));
	save(dir, "elf64-identity.elf");
	return 0;
}
