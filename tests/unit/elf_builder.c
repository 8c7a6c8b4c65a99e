/* In-memory ELF images: valid ones, which tests then corrupt. */
#include "elf_builder.h"

#include <string.h>

uint8_t elf_pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + 1);
}

Elf64_Ehdr *elf_header(struct elf_image *img)
{
	return (Elf64_Ehdr *)img->bytes;
}

void elf_begin(struct elf_image *img, unsigned phnum, uint64_t entry)
{
	memset(img, 0, sizeof(*img));
	Elf64_Ehdr *eh = elf_header(img);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)phnum;
	img->size = sizeof(*eh) + phnum * sizeof(Elf64_Phdr);
	img->phnum = 0;
}

static Elf64_Phdr *next_phdr(struct elf_image *img)
{
	return (Elf64_Phdr *)(img->bytes + sizeof(Elf64_Ehdr)) + img->phnum++;
}

Elf64_Phdr *elf_add_load(struct elf_image *img, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	Elf64_Phdr *ph = next_phdr(img);
	img->size = (img->size + 15) & ~(size_t)15;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = img->size,
			    .p_vaddr = paddr, .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz,
			    .p_align = 16 };
	for (uint64_t i = 0; i < filesz; i++)
		img->bytes[img->size + i] = elf_pattern(i);
	img->size += filesz;
	return ph;
}

static void put_note(struct elf_image *img, uint32_t type, const char *name, const void *desc,
		     uint32_t desc_size)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, desc_size, type };
	memcpy(img->bytes + img->size, &nh, sizeof(nh));
	img->size += sizeof(nh);
	memcpy(img->bytes + img->size, name, nh.n_namesz);
	img->size += (nh.n_namesz + 3) & ~3u;
	memcpy(img->bytes + img->size, desc, desc_size);
	img->size += (desc_size + 3) & ~3u;
}

Elf64_Phdr *elf_add_notes(struct elf_image *img, uint64_t pvh_entry, unsigned desc_size)
{
	Elf64_Phdr *ph = next_phdr(img);
	img->size = (img->size + 3) & ~(size_t)3;
	size_t start = img->size;
	static const uint8_t build_id[20] = { 1, 2, 3 };
	put_note(img, 3, "GNU", build_id, sizeof(build_id));  /* NT_GNU_BUILD_ID, skipped */
	if (pvh_entry)
		put_note(img, 18, "Xen", &pvh_entry, desc_size);
	*ph = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = start, .p_filesz = img->size - start,
			    .p_align = 4 };
	return ph;
}
