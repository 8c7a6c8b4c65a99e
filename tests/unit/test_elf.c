/* The ELF/PVH loader on valid images and on every corruption we can name. */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#include "../../boot/boot.h"
#include "elf_builder.h"

#define KERNEL 0x100000ull

static struct guest_mem mem;
static struct elf_image img;
static struct boot_kernel kernel;
static char why[BOOT_WHY_SIZE];

static int setup(void **state)
{
	(void)state;
	return guest_mem_init(&mem, 16 * MEM_MiB);
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static int load(void)
{
	why[0] = 0;
	return boot_elf_load(&mem, img.bytes, img.size, &kernel, why);
}

static void pvh_image(unsigned desc_size)
{
	elf_begin(&img, 3, 0);
	elf_add_load(&img, KERNEL, 0x300, 0x2000);
	elf_add_notes(&img, KERNEL + 0x10, desc_size);
	elf_add_load(&img, KERNEL + 0x4000, 0x100, 0x100);
}

static void expect_reject(const char *why_contains)
{
	assert_int_equal(load(), -ENOEXEC);
	if (!strstr(why, why_contains))
		fail_msg("why is '%s', expected it to contain '%s'", why, why_contains);
}

static void loads_pvh(void **state)
{
	(void)state;
	unsigned sizes[] = { 4, 8 };
	for (int s = 0; s < 2; s++) {
		memset(mem.hva + KERNEL, 0xee, 0x5000);
		pvh_image(sizes[s]);
		assert_int_equal(load(), 0);
		assert_int_equal(kernel.protocol, BOOT_PVH);
		assert_int_equal(kernel.entry, KERNEL + 0x10);
		assert_int_equal(kernel.image_end, KERNEL + 0x4100);
		const uint8_t *p = guest_mem_ptr(&mem, KERNEL, 0x2000);
		for (unsigned i = 0; i < 0x300; i++)
			assert_int_equal(p[i], elf_pattern(i));
		for (unsigned i = 0x300; i < 0x2000; i++)
			assert_int_equal(p[i], 0);  /* bss zeroed */
		assert_int_equal(p[0x2000], 0xee);  /* nothing past memsz */
	}
}

static void loads_plain_elf64(void **state)
{
	(void)state;
	elf_begin(&img, 1, 0xffffffff80000000ull + 0x20);
	Elf64_Phdr *ph = elf_add_load(&img, 0x200000, 0x100, 0x100);
	ph->p_vaddr = 0xffffffff80000000ull;  /* a higher-half kernel: entry is virtual */
	assert_int_equal(load(), 0);
	assert_int_equal(kernel.protocol, BOOT_ELF64);
	assert_int_equal(kernel.entry, 0x200020);
}

static void rejects_bad_headers(void **state)
{
	(void)state;
	pvh_image(4);
	Elf64_Ehdr *eh = elf_header(&img);
	eh->e_ident[0] = 0x7e;
	expect_reject("not an ELF image");
	pvh_image(4);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject("not a 64-bit little-endian ELF");
	pvh_image(4);
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_reject("not a 64-bit little-endian ELF");
	pvh_image(4);
	eh->e_machine = EM_AARCH64;
	expect_reject("is not x86-64");
	pvh_image(4);
	eh->e_type = ET_DYN;
	expect_reject("is not an executable");
	pvh_image(4);
	eh->e_phentsize = 32;
	expect_reject("bad ELF program header table");
	pvh_image(4);
	eh->e_phnum = 0;
	expect_reject("bad ELF program header table");
	pvh_image(4);
	eh->e_phoff = img.size + 8;
	expect_reject("run past the end");
	pvh_image(4);
	eh->e_phoff = 0xfffffffffffffff8ull;
	expect_reject("run past the end");
	pvh_image(4);
	eh->e_phoff = 65;
	expect_reject("misaligned");
	pvh_image(4);
	eh->e_phnum = 0xffff;
	expect_reject("run past the end");
}

/* The first PT_LOAD of a fresh PVH image, to corrupt. */
static Elf64_Phdr *first_load(void)
{
	pvh_image(4);
	return (Elf64_Phdr *)(img.bytes + sizeof(Elf64_Ehdr));
}

static void rejects_bad_segments(void **state)
{
	(void)state;
	first_load()->p_offset = img.size;
	expect_reject("runs past the end of the file");
	first_load()->p_offset = UINT64_MAX - 8;
	expect_reject("runs past the end of the file");
	first_load()->p_filesz = 0x3000;  /* more than memsz */
	expect_reject("runs past the end of the file");
	first_load()->p_paddr = 0x9000;
	expect_reject("below 1 MiB");
	first_load()->p_paddr = 16 * MEM_MiB - 0x100;
	expect_reject("does not fit in guest RAM");
	first_load()->p_paddr = MEM_MMIO_GAP_START;
	expect_reject("does not fit in guest RAM");
	first_load()->p_paddr = UINT64_MAX - 0x100;  /* paddr + memsz wraps */
	expect_reject("does not fit in guest RAM");
	Elf64_Phdr *ph = first_load();
	ph->p_memsz = UINT64_MAX;
	expect_reject("does not fit in guest RAM");
}

static Elf64_Phdr *note_phdr(void)
{
	pvh_image(4);
	return (Elf64_Phdr *)(img.bytes + sizeof(Elf64_Ehdr)) + 1;
}

static void rejects_bad_notes(void **state)
{
	(void)state;
	note_phdr()->p_offset = img.size;
	expect_reject("note segment");
	Elf64_Phdr *ph = note_phdr();
	ph->p_filesz -= 4;  /* cut the PVH descriptor */
	expect_reject("truncated ELF note");
	ph = note_phdr();
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(img.bytes + ph->p_offset);
	nh->n_namesz = 0xfffffff0u;  /* would wrap a 32-bit sum */
	expect_reject("truncated ELF note");
	ph = note_phdr();
	nh = (Elf64_Nhdr *)(img.bytes + ph->p_offset);
	nh->n_descsz = 0xffffffffu;
	expect_reject("truncated ELF note");
	/* The PVH note with a 2-byte descriptor. */
	elf_begin(&img, 2, 0);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	elf_add_notes(&img, KERNEL, 2);
	expect_reject("PVH entry note too short");
}

static void rejects_bad_entries(void **state)
{
	(void)state;
	pvh_image(4);
	elf_begin(&img, 2, 0);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	elf_add_notes(&img, KERNEL + 0x100, 4);  /* just past the segment */
	expect_reject("PVH entry 0x100100 is outside the loaded image");
	elf_begin(&img, 1, 0x500000);
	elf_add_load(&img, KERNEL, 0x100, 0x100);
	expect_reject("ELF entry 0x500000 is outside the loaded image");
	elf_begin(&img, 1, 0);
	Elf64_Phdr *ph = (Elf64_Phdr *)(img.bytes + sizeof(Elf64_Ehdr));
	*ph = (Elf64_Phdr){ .p_type = PT_NOTE };
	img.phnum = 1;
	expect_reject("no loadable segment");
}

/* Every prefix of a valid image: fails cleanly, never crashes or overruns. */
static void truncated_at_every_length(void **state)
{
	(void)state;
	pvh_image(8);
	size_t full = img.size;
	for (size_t len = 0; len < full; len++) {
		/* A heap-exact copy lets ASan catch any read past `len`. */
		uint8_t *exact = test_malloc(len ? len : 1);
		memcpy(exact, img.bytes, len);
		int err = boot_elf_load(&mem, len ? exact : NULL, len, &kernel, why);
		assert_int_equal(err, -ENOEXEC);
		test_free(exact);
	}
	assert_int_equal(boot_elf_load(&mem, img.bytes, full, &kernel, why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_pvh),
		cmocka_unit_test(loads_plain_elf64),
		cmocka_unit_test(rejects_bad_headers),
		cmocka_unit_test(rejects_bad_segments),
		cmocka_unit_test(rejects_bad_notes),
		cmocka_unit_test(rejects_bad_entries),
		cmocka_unit_test(truncated_at_every_length),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
