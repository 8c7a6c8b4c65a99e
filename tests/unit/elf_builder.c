/* In-memory ELF images: valid ones, which the tests then corrupt. */
#include "elf_builder.h"

#include <stdlib.h>
#include <string.h>

uint8_t elf_pattern(uint64_t i)
{
	/* Never 0, so a segment's bytes are told apart from zeroed bss. */
	return (uint8_t)(i % 251 + 1);
}

Elf64_Ehdr *elf_header(struct elf_image *img)
{
	return (Elf64_Ehdr *)img->bytes;
}

Elf64_Phdr *elf_phdr(struct elf_image *img, unsigned index)
{
	return (Elf64_Phdr *)(img->bytes + sizeof(Elf64_Ehdr)) + index;
}

/* Room for `n` more bytes after aligning the end to `align`, or abort. */
static uint8_t *grow(struct elf_image *img, size_t align, size_t n)
{
	size_t start = (img->size + align - 1) & ~(align - 1);
	if (start > ELF_IMAGE_MAX || n > ELF_IMAGE_MAX - start)
		abort();
	memset(img->bytes + img->size, 0, start - img->size);
	img->size = start + n;
	return img->bytes + start;
}

static Elf64_Phdr *next_phdr(struct elf_image *img)
{
	if (img->phnum >= elf_header(img)->e_phnum)
		abort();
	return elf_phdr(img, img->phnum++);
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
	grow(img, 1, sizeof(*eh) + phnum * sizeof(Elf64_Phdr));
}

Elf64_Phdr *elf_add_load(struct elf_image *img, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	Elf64_Phdr *ph = next_phdr(img);
	uint8_t *data = grow(img, 16, filesz);
	for (uint64_t i = 0; i < filesz; i++)
		data[i] = elf_pattern(i);
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			    .p_offset = (uint64_t)(data - img->bytes), .p_vaddr = paddr,
			    .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = 16 };
	return ph;
}

Elf64_Phdr *elf_add_phdr(struct elf_image *img, uint32_t type)
{
	Elf64_Phdr *ph = next_phdr(img);
	*ph = (Elf64_Phdr){ .p_type = type, .p_flags = PF_R, .p_align = 8 };
	return ph;
}

Elf64_Phdr *elf_begin_notes(struct elf_image *img)
{
	Elf64_Phdr *ph = next_phdr(img);
	uint8_t *start = grow(img, 4, 0);
	*ph = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R,
			    .p_offset = (uint64_t)(start - img->bytes), .p_align = 4 };
	return ph;
}

void elf_add_note(struct elf_image *img, Elf64_Phdr *notes, uint32_t type, const char *name,
		  const void *desc, uint32_t desc_size)
{
	if (notes->p_offset + notes->p_filesz != img->size)
		abort();  /* a note segment must stay contiguous */
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, desc_size, type };
	size_t name_room = (nh.n_namesz + 3) & ~3u, desc_room = (desc_size + 3) & ~3u;
	uint8_t *p = grow(img, 1, sizeof(nh) + name_room + desc_room);
	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, nh.n_namesz);
	memcpy(p + sizeof(nh) + name_room, desc, desc_size);
	notes->p_filesz += sizeof(nh) + name_room + desc_room;
}

Elf64_Phdr *elf_add_pvh_notes(struct elf_image *img, uint64_t entry, uint32_t desc_size)
{
	static const uint8_t build_id[20] = { 0xb1, 0x1d };
	uint8_t desc[8];
	memcpy(desc, &entry, sizeof(desc));  /* little endian, like the target */
	if (desc_size > sizeof(desc))
		abort();
	Elf64_Phdr *ph = elf_begin_notes(img);
	elf_add_note(img, ph, NT_GNU_BUILD_ID, "GNU", build_id, sizeof(build_id));
	elf_add_note(img, ph, XEN_ELFNOTE_PHYS32_ENTRY, "Xen", desc, desc_size);
	return ph;
}

void elf_append(struct elf_image *img, const void *data, size_t size)
{
	memcpy(grow(img, 1, size), data, size);
}
