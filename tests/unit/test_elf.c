/* The ELF64/PVH loader: valid images land where their headers say, and
 * every corruption we can name is refused with -ENOEXEC and a reason,
 * without writing a byte of the boot area below 1 MiB. */
#include "helpers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../../boot/boot.h"
#include "elf_builder.h"

#define KERNEL 0x100000ull
#define RAM_SIZE (16 * MEM_MiB)
#define BOOT_AREA_FILL 0xb5
#define KERNEL_AREA_FILL 0xee

static struct guest_mem mem;
static struct elf_image img;
static struct boot_kernel kernel;
static char why[BOOT_WHY_SIZE];

/* Guest RAM with known bytes, so that writes outside segments show. The
 * mapping is reused while the size stays: faulting in 16 MiB afresh for
 * every test would cost more than all the tests. */
static int fresh_ram(uint64_t size)
{
	if (mem.hva && mem.size != size)
		guest_mem_free(&mem);
	if (!mem.hva && guest_mem_init(&mem, size))
		return -1;
	memset(mem.hva, BOOT_AREA_FILL, MEM_HIGH_RAM_START);
	memset(mem.hva + MEM_HIGH_RAM_START, KERNEL_AREA_FILL, RAM_SIZE - MEM_HIGH_RAM_START);
	return 0;
}

static int setup_16m(void **state)
{
	(void)state;
	return fresh_ram(RAM_SIZE);
}

static int setup_5g(void **state)
{
	(void)state;
	return fresh_ram(5 * MEM_GiB);  /* NORESERVE: only touched pages cost */
}

static int load(void)
{
	memset(why, 0, sizeof(why));
	memset(&kernel, 0xa5, sizeof(kernel));
	return boot_elf_load(&mem, img.bytes, img.size, &kernel, why);
}

/* The loader never writes below 1 MiB: that is sprig's boot data. */
static void assert_boot_area_untouched(void)
{
	for (uint64_t i = 0; i < MEM_HIGH_RAM_START; i++)
		if (mem.hva[i] != BOOT_AREA_FILL)
			fail_msg("the loader wrote guest byte 0x%llx", (unsigned long long)i);
}

/* A segment's file bytes at paddr, zeros up to memsz, nothing after. */
static void assert_segment_loaded(uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	const uint8_t *p = guest_mem_ptr(&mem, paddr, memsz + 1);
	assert_non_null(p);
	for (uint64_t i = 0; i < filesz; i++)
		if (p[i] != elf_pattern(i))
			fail_msg("byte %llu of the segment at 0x%llx is 0x%x", (unsigned long long)i,
				 (unsigned long long)paddr, p[i]);
	for (uint64_t i = filesz; i < memsz; i++)
		if (p[i])
			fail_msg("bss byte %llu at 0x%llx is not zeroed", (unsigned long long)i,
				 (unsigned long long)paddr);
	assert_int_equal(p[memsz], KERNEL_AREA_FILL);
}

/* Two PT_LOADs around a PT_NOTE whose PVH entry is 0x10 into the first. */
static void pvh_image(struct elf_image *out, uint32_t desc_size)
{
	elf_begin(out, 3, 0);
	elf_add_load(out, KERNEL, 0x300, 0x2000);
	elf_add_pvh_notes(out, KERNEL + 0x10, desc_size);
	elf_add_load(out, KERNEL + 0x4000, 0x100, 0x100);
}

static void pvh4_image(struct elf_image *out)
{
	pvh_image(out, 4);
}

static void pvh8_image(struct elf_image *out)
{
	pvh_image(out, 8);
}

/* A higher-half kernel: virtual entry, loaded at 2 MiB physical. */
#define ELF64_VBASE 0xffffffff80000000ull
static void elf64_image(struct elf_image *out)
{
	elf_begin(out, 1, ELF64_VBASE + 0x20);
	elf_add_load(out, 0x200000, 0x60, 0x1000)->p_vaddr = ELF64_VBASE;
}

/* As linkers leave it: a section header table after every segment. */
static void elf64_with_trailer(struct elf_image *out)
{
	static const uint8_t section_table[3 * sizeof(Elf64_Shdr)] = { 1, 2, 3 };
	elf64_image(out);
	elf_append(out, section_table, sizeof(section_table));
}

static void check_pvh(uint32_t desc_size)
{
	pvh_image(&img, desc_size);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_PVH);
	assert_int_equal(kernel.entry, KERNEL + 0x10);
	assert_int_equal(kernel.image_end, KERNEL + 0x4100);
	assert_segment_loaded(KERNEL, 0x300, 0x2000);
	assert_segment_loaded(KERNEL + 0x4000, 0x100, 0x100);
	assert_boot_area_untouched();
}

static void pvh_note_with_4_byte_entry_loads(void **state)
{
	(void)state;
	check_pvh(4);
}

static void pvh_note_with_8_byte_entry_loads(void **state)
{
	(void)state;
	check_pvh(8);
}

/* PVH kernels are loaded by physical address whatever their p_vaddr. */
static void segments_load_at_paddr_not_vaddr(void **state)
{
	(void)state;
	elf_begin(&img, 2, 0);
	elf_add_load(&img, 0x300000, 0x123, 0x4567)->p_vaddr = ELF64_VBASE;
	elf_add_pvh_notes(&img, 0x300000, 4);
	assert_int_equal(load(), 0);
	assert_segment_loaded(0x300000, 0x123, 0x4567);
	assert_int_equal(kernel.entry, 0x300000);
}

static void image_end_is_the_highest_segment_end(void **state)
{
	(void)state;
	elf_begin(&img, 4, 0);
	elf_add_load(&img, 0x800000, 0x10, 0x3000);  /* highest, listed first */
	elf_add_load(&img, KERNEL, 0x40, 0x40);
	elf_add_load(&img, 0x400000, 0x20, 0x20);
	elf_add_pvh_notes(&img, KERNEL, 8);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.image_end, 0x803000);
	assert_segment_loaded(0x800000, 0x10, 0x3000);
	assert_segment_loaded(KERNEL, 0x40, 0x40);
	assert_segment_loaded(0x400000, 0x20, 0x20);
}

/* The PVH note may follow other notes, other Xen notes, and sit in a
 * second PT_NOTE segment listed before the loads. */
static void pvh_note_found_among_other_notes(void **state)
{
	(void)state;
	static const uint8_t abi[16] = { 0 };
	uint32_t entry = KERNEL + 0x20, xen_entry = 0xdead0000;
	elf_begin(&img, 3, 0);
	Elf64_Phdr *first = elf_begin_notes(&img);
	elf_add_note(&img, first, NT_GNU_ABI_TAG, "GNU", abi, sizeof(abi));
	Elf64_Phdr *second = elf_begin_notes(&img);
	elf_add_note(&img, second, XEN_ELFNOTE_ENTRY, "Xen", &xen_entry, 4);
	elf_add_note(&img, second, XEN_ELFNOTE_PHYS32_ENTRY, "Xenish", &xen_entry, 4);
	elf_add_note(&img, second, XEN_ELFNOTE_PHYS32_ENTRY, "Xen", &entry, 4);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_PVH);
	assert_int_equal(kernel.entry, KERNEL + 0x20);
}

/* A type-18 note whose name is not exactly "Xen" is someone else's. */
static void foreign_type_18_note_means_plain_elf64(void **state)
{
	(void)state;
	uint32_t entry = KERNEL;
	elf_begin(&img, 2, KERNEL + 0x8);
	Elf64_Phdr *notes = elf_begin_notes(&img);
	elf_add_note(&img, notes, XEN_ELFNOTE_PHYS32_ENTRY, "Xe", &entry, 4);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_ELF64);
	assert_int_equal(kernel.entry, KERNEL + 0x8);
}

static void first_pvh_note_wins(void **state)
{
	(void)state;
	elf_begin(&img, 3, 0);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	elf_add_pvh_notes(&img, KERNEL + 0x4, 4);
	elf_add_pvh_notes(&img, KERNEL + 0x8, 4);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.entry, KERNEL + 0x4);
}

static void plain_elf64_entry_is_translated_to_paddr(void **state)
{
	(void)state;
	elf64_image(&img);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_ELF64);
	assert_int_equal(kernel.entry, 0x200020);
	assert_int_equal(kernel.image_end, 0x201000);
	assert_segment_loaded(0x200000, 0x60, 0x1000);
	assert_boot_area_untouched();
}

/* Linux's vmlinux: e_entry is the physical startup_64, in no segment's
 * virtual range; that is where it is entered. */
static void plain_elf64_physical_entry_as_in_vmlinux(void **state)
{
	(void)state;
	elf_begin(&img, 1, 0x200020);
	elf_add_load(&img, 0x200000, 0x60, 0x1000)->p_vaddr = ELF64_VBASE;
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_ELF64);
	assert_int_equal(kernel.entry, 0x200020);
}

/* The entry may be in a segment's bss: that is still loaded memory. */
static void plain_elf64_entry_in_bss(void **state)
{
	(void)state;
	elf_begin(&img, 1, KERNEL + 0xfff);
	elf_add_load(&img, KERNEL, 0x10, 0x1000);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.entry, KERNEL + 0xfff);
}

/* Headers the loader has no use for: skipped, not checked, not loaded. */
static void empty_loads_and_other_headers_are_ignored(void **state)
{
	(void)state;
	elf_begin(&img, 4, KERNEL);
	elf_add_phdr(&img, PT_GNU_STACK);
	Elf64_Phdr *empty = elf_add_phdr(&img, PT_LOAD);
	empty->p_paddr = 0x1000;        /* below 1 MiB, but it has no bytes */
	empty->p_offset = UINT64_MAX;
	elf_add_phdr(&img, PT_DYNAMIC)->p_offset = UINT64_MAX;
	elf_add_load(&img, KERNEL, 0x80, 0x80);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.image_end, KERNEL + 0x80);
	assert_boot_area_untouched();
}

static void segment_ending_at_the_end_of_ram_loads(void **state)
{
	(void)state;
	elf_begin(&img, 1, RAM_SIZE - 0x1000);
	elf_add_load(&img, RAM_SIZE - 0x1000, 0x100, 0x1000);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.image_end, RAM_SIZE);
	const uint8_t *last = guest_mem_ptr(&mem, RAM_SIZE - 1, 1);
	assert_int_equal(*last, 0);
}

/* With more than 3 GiB, RAM continues at 4 GiB: loadable, but a long-mode
 * entry there is beyond the identity map. */
/* Callers need not align the image: headers are copied out, not cast. */
static void unaligned_image_loads(void **state)
{
	(void)state;
	pvh4_image(&img);
	uint8_t *shifted = test_malloc(img.size + 1);
	memcpy(shifted + 1, img.bytes, img.size);
	assert_int_equal(boot_elf_load(&mem, shifted + 1, img.size, &kernel, why), 0);
	assert_int_equal(kernel.protocol, BOOT_PVH);
	test_free(shifted);
}

static void segment_in_high_ram_loads(void **state)
{
	(void)state;
	elf_begin(&img, 3, 0);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	elf_add_pvh_notes(&img, KERNEL, 4);
	elf_add_load(&img, MEM_MMIO_GAP_END + 0x1000, 0x200, 0x200);
	assert_int_equal(load(), 0);
	/* image_end is where low RAM is free for the initrd: high RAM does not count. */
	assert_int_equal(kernel.image_end, KERNEL + 0x100);
	const uint8_t *p = guest_mem_ptr(&mem, MEM_MMIO_GAP_END + 0x1000, 0x200);
	for (unsigned i = 0; i < 0x200; i++)
		assert_int_equal(p[i], elf_pattern(i));
}

static void segment_ending_at_the_mmio_gap_loads(void **state)
{
	(void)state;
	elf_begin(&img, 1, MEM_MMIO_GAP_START - 0x10);
	elf_add_load(&img, MEM_MMIO_GAP_START - 0x1000, 0x100, 0x1000);
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.entry, MEM_MMIO_GAP_START - 0x10);
}

static void segment_across_the_mmio_gap_is_refused(void **state)
{
	(void)state;
	elf_begin(&img, 1, MEM_MMIO_GAP_START - 0x1000);
	elf_add_load(&img, MEM_MMIO_GAP_START - 0x1000, 0x100, 0x2000);
	assert_int_equal(load(), -ENOEXEC);
	assert_string_equal(why, "ELF segment at 0xbffff000 does not fit in guest RAM");
}

static void long_mode_entry_in_high_ram_is_refused(void **state)
{
	(void)state;
	elf_begin(&img, 1, MEM_MMIO_GAP_END + 0x10);
	elf_add_load(&img, MEM_MMIO_GAP_END, 0x100, 0x100);
	assert_int_equal(load(), -ENOEXEC);
	assert_string_equal(why, "ELF entry 0x100000010 is not identity mapped (above 3 GiB)");
}

/* One corruption of a valid image: a field of one of its parts is set
 * (or reduced), and the load must fail saying `why`. */
enum part { EHDR, LOAD_PHDR, NOTE_PHDR, FIRST_NOTE, PVH_NOTE, PVH_DESC };

struct corruption {
	const char *name;
	void (*build)(struct elf_image *);  /* NULL: pvh4_image */
	enum part part;
	size_t offset, width;
	bool subtract;
	uint64_t value;
	const char *why;  /* a substring of the reason */
};

#define AT(part_, type_, field_) \
	.part = (part_), .offset = offsetof(type_, field_), .width = sizeof(((type_ *)0)->field_)
#define EH(field_) AT(EHDR, Elf64_Ehdr, field_)
#define LOAD(field_) AT(LOAD_PHDR, Elf64_Phdr, field_)
#define NOTES(field_) AT(NOTE_PHDR, Elf64_Phdr, field_)
#define NOTE(part_, field_) AT(part_, Elf64_Nhdr, field_)

static uint8_t *find_phdr(uint32_t type)
{
	for (unsigned i = 0; i < img.phnum; i++)
		if (elf_phdr(&img, i)->p_type == type)
			return (uint8_t *)elf_phdr(&img, i);
	fail_msg("the base image has no program header of type %u", type);
	return NULL;
}

static uint8_t *part_address(enum part part)
{
	const Elf64_Phdr *notes;
	switch (part) {
	case EHDR:
		return img.bytes;
	case LOAD_PHDR:
		return find_phdr(PT_LOAD);
	case NOTE_PHDR:
		return find_phdr(PT_NOTE);
	case FIRST_NOTE:
	case PVH_NOTE:
	case PVH_DESC:
		notes = (const Elf64_Phdr *)find_phdr(PT_NOTE);
		/* elf_add_pvh_notes: a 20-byte GNU build-id note, then Xen's. */
		return img.bytes + notes->p_offset +
		       (part == FIRST_NOTE ? 0 : sizeof(Elf64_Nhdr) + 4 + 20) +
		       (part == PVH_DESC ? sizeof(Elf64_Nhdr) + 4 : 0);
	}
	return NULL;
}

static void corrupt(const struct corruption *c)
{
	uint8_t *field = part_address(c->part) + c->offset;
	uint64_t value = 0;
	memcpy(&value, field, c->width);
	value = c->subtract ? value - c->value : c->value;
	memcpy(field, &value, c->width);  /* little endian: the low bytes */
}

static void corrupted_image_is_refused(void **state)
{
	const struct corruption *c = *state;
	(c->build ? c->build : pvh4_image)(&img);
	assert_int_equal(load(), 0);  /* the base image is valid */
	fresh_ram(RAM_SIZE);  /* forget the base image's bytes */
	corrupt(c);
	assert_int_equal(load(), -ENOEXEC);
	assert_contains(why, c->why);
	assert_boot_area_untouched();
}

static const struct corruption corruptions[] = {
	/* The ELF header. */
	{ "refused: bad magic", NULL, EH(e_ident[EI_MAG0]), false, 0x7e, "not an ELF image" },
	{ "refused: bad magic, last byte", NULL, EH(e_ident[EI_MAG3]), false, 'g', "not an ELF image" },
	{ "refused: 32-bit class", NULL, EH(e_ident[EI_CLASS]), false, ELFCLASS32,
	  "not a 64-bit little-endian ELF" },
	{ "refused: no class", NULL, EH(e_ident[EI_CLASS]), false, ELFCLASSNONE,
	  "not a 64-bit little-endian ELF" },
	{ "refused: big-endian", NULL, EH(e_ident[EI_DATA]), false, ELFDATA2MSB,
	  "not a 64-bit little-endian ELF" },
	{ "refused: machine i386", NULL, EH(e_machine), false, EM_386, "ELF machine 3 is not x86-64" },
	{ "refused: machine aarch64", NULL, EH(e_machine), false, EM_AARCH64,
	  "ELF machine 183 is not x86-64" },
	{ "refused: ET_DYN", NULL, EH(e_type), false, ET_DYN, "ELF type 3 is not an executable" },
	{ "refused: ET_REL", NULL, EH(e_type), false, ET_REL, "ELF type 1 is not an executable" },
	{ "refused: ET_CORE", NULL, EH(e_type), false, ET_CORE, "ELF type 4 is not an executable" },
	{ "refused: e_phentsize of ELF32", NULL, EH(e_phentsize), false, sizeof(Elf32_Phdr),
	  "bad ELF program header table (entry size 32)" },
	{ "refused: e_phentsize too big", NULL, EH(e_phentsize), false, 64,
	  "bad ELF program header table (entry size 64)" },
	{ "refused: zero e_phnum", NULL, EH(e_phnum), false, 0, "bad ELF program header table" },
	{ "refused: e_phoff past the end", NULL, EH(e_phoff), false, 0x10000,
	  "ELF program headers run past the end of the file" },
	{ "refused: e_phoff + table wraps", NULL, EH(e_phoff), false, 0xfffffffffffffff8ull,
	  "ELF program headers run past the end of the file" },
	{ "refused: e_phoff misaligned by 1", NULL, EH(e_phoff), false, 65,
	  "ELF program headers are misaligned" },
	{ "refused: e_phoff misaligned by 4", NULL, EH(e_phoff), false, 68,
	  "ELF program headers are misaligned" },
	{ "refused: e_phnum 65535, table past the end", NULL, EH(e_phnum), false, 0xffff,
	  "ELF program headers run past the end of the file" },
	/* A PT_LOAD. */
	{ "refused: p_offset past the end", NULL, LOAD(p_offset), false, 0x10000,
	  "ELF segment at offset 0x10000 runs past the end of the file" },
	{ "refused: p_offset + p_filesz wraps", NULL, LOAD(p_offset), false, UINT64_MAX - 8,
	  "runs past the end of the file" },
	{ "refused: p_filesz past the end", NULL, LOAD(p_filesz), false, 0x1000,
	  "runs past the end of the file" },
	{ "refused: p_filesz > p_memsz", NULL, LOAD(p_memsz), false, 0x100, "ELF segment" },
	{ "refused: segment at 36 KiB", NULL, LOAD(p_paddr), false, 0x9000,
	  "ELF segment at 0x9000 is below 1 MiB" },
	{ "refused: segment starting 4 KiB below 1 MiB", NULL, LOAD(p_paddr), false, 0xff000,
	  "ELF segment at 0xff000 is below 1 MiB" },
	{ "refused: segment at 0", NULL, LOAD(p_paddr), false, 0, "is below 1 MiB" },
	{ "refused: segment running past the end of RAM", NULL, LOAD(p_paddr), false,
	  RAM_SIZE - 0x1000, "ELF segment at 0xfff000 does not fit in guest RAM" },
	{ "refused: segment just past the end of RAM", NULL, LOAD(p_paddr), false, RAM_SIZE,
	  "does not fit in guest RAM" },
	{ "refused: segment in the MMIO gap", NULL, LOAD(p_paddr), false, MEM_MMIO_GAP_START,
	  "ELF segment at 0xc0000000 does not fit in guest RAM" },
	{ "refused: segment at 4 GiB without high RAM", NULL, LOAD(p_paddr), false, MEM_MMIO_GAP_END,
	  "does not fit in guest RAM" },
	{ "refused: p_paddr + p_memsz wraps", NULL, LOAD(p_paddr), false, UINT64_MAX - 0xfff,
	  "does not fit in guest RAM" },
	{ "refused: p_memsz 2^64-1", NULL, LOAD(p_memsz), false, UINT64_MAX,
	  "does not fit in guest RAM" },
	/* The PT_NOTE and its notes. */
	{ "refused: note segment past the end", NULL, NOTES(p_offset), false, 0x10000,
	  "ELF note segment at offset 0x10000 runs past the end of the file" },
	{ "refused: note p_filesz past the end", NULL, NOTES(p_filesz), false, 0x10000,
	  "runs past the end of the file" },
	{ "refused: note p_offset + p_filesz wraps", NULL, NOTES(p_offset), false, UINT64_MAX - 3,
	  "runs past the end of the file" },
	{ "refused: truncated PVH note", NULL, NOTES(p_filesz), true, 4, "truncated ELF note" },
	{ "refused: note n_namesz 0xfffffff0", NULL, NOTE(FIRST_NOTE, n_namesz), false, 0xfffffff0u,
	  "truncated ELF note" },
	{ "refused: note n_namesz 2^32-1", NULL, NOTE(FIRST_NOTE, n_namesz), false, 0xffffffffu,
	  "truncated ELF note" },
	{ "refused: note n_descsz 2^32-1", NULL, NOTE(FIRST_NOTE, n_descsz), false, 0xffffffffu,
	  "truncated ELF note" },
	{ "refused: PVH n_descsz past the segment", NULL, NOTE(PVH_NOTE, n_descsz), false, 64,
	  "truncated ELF note" },
	{ "refused: PVH note of 3 bytes", NULL, NOTE(PVH_NOTE, n_descsz), false, 3,
	  "PVH entry note too short" },
	{ "refused: PVH note of 0 bytes", NULL, NOTE(PVH_NOTE, n_descsz), false, 0,
	  "PVH entry note too short" },
	/* Entry points. */
	{ "refused: PVH entry just past a segment", NULL, PVH_DESC, 0, 4, false, KERNEL + 0x2000,
	  "PVH entry 0x102000 is outside the loaded image" },
	{ "refused: PVH entry between segments", NULL, PVH_DESC, 0, 4, false, KERNEL + 0x3000,
	  "PVH entry 0x103000 is outside the loaded image" },
	{ "refused: PVH entry 0", NULL, PVH_DESC, 0, 4, false, 0,
	  "PVH entry 0x0 is outside the loaded image" },
	{ "refused: ELF64 e_entry outside", elf64_image, EH(e_entry), false, ELF64_VBASE + 0x1000,
	  "ELF entry 0xffffffff80001000 is outside the loaded image" },
};

static void image_without_a_load_is_refused(void **state)
{
	(void)state;
	elf_begin(&img, 1, KERNEL);
	elf_add_pvh_notes(&img, KERNEL, 4);
	assert_int_equal(load(), -ENOEXEC);
	assert_string_equal(why, "ELF image has no loadable segment");
}

static void image_with_only_an_empty_load_is_refused(void **state)
{
	(void)state;
	elf_begin(&img, 2, KERNEL);
	elf_add_load(&img, KERNEL, 0, 0);
	elf_add_pvh_notes(&img, KERNEL, 4);
	assert_int_equal(load(), -ENOEXEC);
	assert_string_equal(why, "ELF image has no loadable segment");
}

/* Every prefix of a valid image must fail cleanly, or (when only bytes no
 * header points at are cut) load exactly as the whole image does. Each
 * prefix is an exact-size heap copy so that ASan sees any read past it. */
static void check_every_truncation(void (*build)(struct elf_image *), size_t *prefixes_that_load)
{
	build(&img);
	assert_int_equal(load(), 0);
	const struct boot_kernel whole = kernel;  /* fields compared: it has padding */
	*prefixes_that_load = 0;
	for (size_t len = 0; len < img.size; len++) {
		uint8_t *prefix = malloc(len ? len : 1);
		assert_non_null(prefix);
		memcpy(prefix, img.bytes, len);
		memset(why, 0, sizeof(why));
		int err = boot_elf_load(&mem, len ? prefix : NULL, len, &kernel, why);
		free(prefix);
		if (err) {
			assert_int_equal(err, -ENOEXEC);
			if (!why[0])
				fail_msg("the %zu-byte prefix was refused without a reason", len);
			continue;
		}
		assert_int_equal(kernel.protocol, whole.protocol);
		assert_int_equal(kernel.entry, whole.entry);
		assert_int_equal(kernel.image_end, whole.image_end);
		(*prefixes_that_load)++;
	}
	assert_boot_area_untouched();
}

static void every_truncation_of_pvh4(void **state)
{
	(void)state;
	size_t loaded;
	check_every_truncation(pvh4_image, &loaded);
	assert_int_equal(loaded, 0);  /* its last segment ends the file */
}

static void every_truncation_of_pvh8(void **state)
{
	(void)state;
	size_t loaded;
	check_every_truncation(pvh8_image, &loaded);
	assert_int_equal(loaded, 0);
}

static void every_truncation_of_elf64(void **state)
{
	(void)state;
	size_t loaded;
	check_every_truncation(elf64_image, &loaded);
	assert_int_equal(loaded, 0);
}

static void every_truncation_of_elf64_with_trailer(void **state)
{
	(void)state;
	size_t loaded;
	check_every_truncation(elf64_with_trailer, &loaded);
	assert_int_equal(loaded, 3 * sizeof(Elf64_Shdr));  /* cuts into the trailer only */
}

#define TEST_16M(f) cmocka_unit_test_setup(f, setup_16m)
#define TEST_5G(f) cmocka_unit_test_setup(f, setup_5g)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		TEST_16M(pvh_note_with_4_byte_entry_loads),
		TEST_16M(pvh_note_with_8_byte_entry_loads),
		TEST_16M(segments_load_at_paddr_not_vaddr),
		TEST_16M(image_end_is_the_highest_segment_end),
		TEST_16M(pvh_note_found_among_other_notes),
		TEST_16M(foreign_type_18_note_means_plain_elf64),
		TEST_16M(first_pvh_note_wins),
		TEST_16M(plain_elf64_entry_is_translated_to_paddr),
		TEST_16M(plain_elf64_physical_entry_as_in_vmlinux),
		TEST_16M(plain_elf64_entry_in_bss),
		TEST_16M(empty_loads_and_other_headers_are_ignored),
		TEST_16M(segment_ending_at_the_end_of_ram_loads),
		TEST_16M(unaligned_image_loads),
		TEST_5G(segment_in_high_ram_loads),
		TEST_5G(segment_ending_at_the_mmio_gap_loads),
		TEST_5G(segment_across_the_mmio_gap_is_refused),
		TEST_5G(long_mode_entry_in_high_ram_is_refused),
		TEST_16M(image_without_a_load_is_refused),
		TEST_16M(image_with_only_an_empty_load_is_refused),
		TEST_16M(every_truncation_of_pvh4),
		TEST_16M(every_truncation_of_pvh8),
		TEST_16M(every_truncation_of_elf64),
		TEST_16M(every_truncation_of_elf64_with_trailer),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(corruptions)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, corruptions, corrupted_image_is_refused, setup_16m, NULL);
	int failed = run_group("test_elf", tests, n);
	guest_mem_free(&mem);
	return failed;
}
