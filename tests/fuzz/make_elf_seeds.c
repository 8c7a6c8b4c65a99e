/* Writes valid ELF images (PVH with 4- and 8-byte notes, plain ELF64) as
 * seeds for fuzz_elf, so the fuzzer starts from images that load. */
#include <stdio.h>

#include "../unit/elf_builder.h"

static void save(const char *dir, const char *name, const struct elf_image *img)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img->bytes, 1, img->size, f) != img->size)
		perror(path);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	static struct elf_image img;
	if (argc != 2)
		return 2;
	elf_begin(&img, 2, 0);
	elf_add_load(&img, 0x100000, 0x80, 0x1000);
	elf_add_notes(&img, 0x100010, 4);
	save(argv[1], "pvh4.elf", &img);
	elf_begin(&img, 3, 0);
	elf_add_load(&img, 0x100000, 0x40, 0x40);
	elf_add_notes(&img, 0x100000, 8);
	elf_add_load(&img, 0x200000, 0x20, 0x2000);
	save(argv[1], "pvh8.elf", &img);
	elf_begin(&img, 1, 0x100020);
	elf_add_load(&img, 0x100000, 0x60, 0x60);
	save(argv[1], "elf64.elf", &img);
	return 0;
}
