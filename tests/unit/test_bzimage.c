/* The bzImage loader and the zero page: images built here field by field,
 * loaded into guest memory, and the boot_params a kernel would read. */
#include "helpers.h"

#include <errno.h>
#include <stdbool.h>

#include "../../boot/boot.h"
#include "../../boot/linux.h"

#define MiB (1024ull * 1024)
#define PAYLOAD 0x3000u
#define SETUP 1024u  /* setup_sects 1 */

static struct guest_mem mem;
static char why[BOOT_WHY_SIZE];
static uint8_t image[SETUP + PAYLOAD];
static struct boot_kernel kernel;

static void put(size_t offset, uint64_t value, size_t bytes)
{
	memcpy(image + offset, &value, bytes);
}

static uint64_t get(const uint8_t *p, size_t offset, size_t bytes)
{
	uint64_t v = 0;
	memcpy(&v, p + offset, bytes);
	return v;
}

/* A well-formed protocol 2.15 image: 64-bit entry, loaded high, not
 * relocatable, preferring 16 MiB, needing 1 MiB from there. */
static void build(void)
{
	memset(image, 0, sizeof(image));
	image[LINUX_HDR_SETUP_SECTS] = 1;
	put(LINUX_HDR_SYSSIZE, PAYLOAD / 16, 4);
	put(LINUX_BOOT_FLAG, 0xaa55, 2);
	image[LINUX_HDR_JUMP] = 0xeb, image[LINUX_HDR_JUMP + 1] = 0x6a;  /* header ends at 0x26c */
	memcpy(image + LINUX_HDR_MAGIC, "HdrS", 4);
	put(LINUX_HDR_VERSION, 0x020f, 2);
	image[LINUX_HDR_LOADFLAGS] = LINUX_LOADED_HIGH;
	put(LINUX_HDR_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put(LINUX_HDR_KERNEL_ALIGNMENT, 0x200000, 4);
	put(LINUX_HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64, 2);
	put(LINUX_HDR_CMDLINE_SIZE, 255, 4);
	put(LINUX_HDR_PREF_ADDRESS, 16 * MiB, 8);
	put(LINUX_HDR_INIT_SIZE, MiB, 4);
	for (size_t i = 0; i < PAYLOAD; i++)
		image[SETUP + i] = (uint8_t)(i * 7 + 1);
}

static int setup(void **state)
{
	(void)state;
	build();
	memset(&kernel, 0, sizeof(kernel));
	memset(why, 0, sizeof(why));
	return guest_mem_init(&mem, 64 * MiB);
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static int load(size_t size)
{
	memset(why, 0, sizeof(why));
	return boot_kernel_load(&mem, image, size, &kernel, why);
}

static void good_image_loads_at_its_preferred_address(void **state)
{
	(void)state;
	assert_true(boot_is_bzimage(image, sizeof(image)));
	assert_int_equal(load(sizeof(image)), 0);
	assert_int_equal(kernel.protocol, BOOT_LINUX64);
	assert_int_equal(kernel.entry, 16 * MiB + 0x200);
	assert_int_equal(kernel.image_end, 17 * MiB);  /* init_size counts, not just the file */
	assert_memory_equal(guest_mem_ptr(&mem, 16 * MiB, PAYLOAD), image + SETUP, PAYLOAD);
	assert_int_equal(kernel.linux_header_size, 0x26c - LINUX_SETUP_HEADER);
	assert_memory_equal(kernel.linux_header, image + LINUX_SETUP_HEADER, kernel.linux_header_size);
}

static void placement_follows_the_header(void **state)
{
	(void)state;
	put(LINUX_HDR_PREF_ADDRESS, 0, 8);  /* none: 1 MiB */
	assert_int_equal(load(sizeof(image)), 0);
	assert_int_equal(kernel.entry, MiB + 0x200);
	image[LINUX_HDR_RELOCATABLE] = 1;   /* relocatable: aligned up to kernel_alignment */
	put(LINUX_HDR_PREF_ADDRESS, 3 * MiB + 4096, 8);
	assert_int_equal(load(sizeof(image)), 0);
	assert_int_equal(kernel.entry, 4 * MiB + 0x200);
	put(LINUX_HDR_INIT_SIZE, 16, 4);    /* init_size below the file: the file counts */
	assert_int_equal(load(sizeof(image)), 0);
	assert_int_equal(kernel.image_end, 4 * MiB + PAYLOAD);
}

/* syssize rounds the kernel up to whole paragraphs: a last one partly
 * filled is not a cut file (memtest86+ 6.10's is 8 bytes short). */
static void syssize_counts_a_partial_last_paragraph(void **state)
{
	(void)state;
	assert_int_equal(load(sizeof(image) - 8), 0);
	assert_int_equal(load(sizeof(image) - 15), 0);
	assert_int_equal(load(sizeof(image) - 16), -ENOEXEC);
	assert_string_equal(why, "truncated: the setup header says 12288 bytes of kernel, the file has 12272");
}

static void plain_elf_and_junk_are_told_apart(void **state)
{
	(void)state;
	static const uint8_t junk[600] = { 1, 2, 3 };
	assert_int_equal(boot_kernel_load(&mem, junk, sizeof(junk), &kernel, why), -ENOEXEC);
	assert_string_equal(why, "not an ELF or bzImage");
	assert_int_equal(boot_kernel_load(&mem, junk, 3, &kernel, why), -ENOEXEC);
	assert_string_equal(why, "not an ELF or bzImage");
	static const uint8_t elf_magic_only[64] = { 0x7f, 'E', 'L', 'F' };
	assert_int_equal(boot_kernel_load(&mem, elf_magic_only, sizeof(elf_magic_only), &kernel, why),
			 -ENOEXEC);
	assert_string_equal(why, "not a 64-bit little-endian ELF");
	/* Called directly, the bzImage loader says what it looked for. */
	assert_int_equal(boot_bzimage_load(&mem, junk, sizeof(junk), &kernel, why), -ENOEXEC);
	assert_string_equal(why, "not a bzImage (no boot flag and HdrS signature)");
}

struct bad_case {
	const char *name;
	void (*edit)(void);
	size_t size;          /* 0: the whole image */
	const char *message;
};

static void no_boot_flag(void) { put(LINUX_BOOT_FLAG, 0x55aa, 2); }
static void no_hdrs(void) { memcpy(image + LINUX_HDR_MAGIC, "HdrX", 4); }
static void old_protocol(void) { put(LINUX_HDR_VERSION, 0x020b, 2); }
static void short_header(void) { image[LINUX_HDR_JUMP + 1] = 0x20; }
static void huge_header(void) { image[LINUX_HDR_JUMP + 1] = 0xff; }
static void no_64bit_entry(void) { put(LINUX_HDR_XLOADFLAGS, 0, 2); }
static void loaded_low(void) { image[LINUX_HDR_LOADFLAGS] = 0; }
static void many_setup_sects(void) { image[LINUX_HDR_SETUP_SECTS] = 200; }
static void syssize_too_big(void) { put(LINUX_HDR_SYSSIZE, PAYLOAD / 16 + 1, 4); }
static void init_size_too_big(void) { put(LINUX_HDR_INIT_SIZE, 60 * MiB, 4); }
static void pref_beyond_ram(void) { put(LINUX_HDR_PREF_ADDRESS, 0xfffffffffffff000ull, 8); }
/* Rounded up to kernel_alignment, this pref_address would wrap to 0. */
static void pref_wraps_when_aligned(void)
{
	put(LINUX_HDR_PREF_ADDRESS, UINT64_MAX, 8);
	image[LINUX_HDR_RELOCATABLE] = 1;
}
static void nothing(void) {}

static const struct bad_case bad_cases[] = {
	{ "refused: no boot flag", no_boot_flag, 0, "not an ELF or bzImage" },
	{ "refused: no HdrS", no_hdrs, 0, "not an ELF or bzImage" },
	{ "refused: protocol 2.11", old_protocol, 0, "Linux boot protocol 2.11 is too old" },
	{ "refused: header shorter than 2.12's", short_header, 0, "setup header of 546 bytes is malformed" },
	{ "refused: header past 0x290", huge_header, 0, "setup header of 769 bytes is malformed" },
	{ "refused: no 64-bit entry", no_64bit_entry, 0, "no 64-bit entry point (XLF_KERNEL_64)" },
	{ "refused: zImage loaded low", loaded_low, 0, "wants to be loaded low" },
	{ "refused: setup beyond the file", many_setup_sects, 0, "truncated: 102912 bytes of setup code" },
	{ "refused: syssize beyond the file", syssize_too_big, 0, "truncated: the setup header says 12304" },
	{ "refused: init_size beyond RAM", init_size_too_big, 0, "the kernel needs RAM up to 76 MiB" },
	{ "refused: pref_address beyond RAM", pref_beyond_ram, 0, "the kernel needs RAM up to" },
	{ "refused: relocatable, pref_address wrapping when aligned", pref_wraps_when_aligned, 0,
	  "the kernel needs RAM up to 17592186044415 MiB (0xffffffffffffffff" },
	{ "refused: cut inside the header", nothing, 0x230, "setup header of 620 bytes is malformed or runs past" },
	{ "refused: cut before the magic", nothing, 0x203, "not an ELF or bzImage" },
	{ "refused: cut after the magic, before the version", nothing, LINUX_HDR_VERSION + 1,
	  "truncated: the file ends at 519 bytes, inside the setup header" },
	{ "refused: only the setup sectors", nothing, SETUP, "truncated: 1024 bytes of setup code" },
	{ "refused: cut in the kernel", nothing, SETUP + 0x300, "truncated: the setup header says 12288" },
	{ "refused: kernel short of its 64-bit entry", nothing, SETUP + 0x200,
	  "truncated: 512 bytes of kernel do not reach its 64-bit entry at +0x200" },
};

static void bad_image_is_refused(void **state)
{
	const struct bad_case *c = *state;
	setup(NULL);
	c->edit();
	assert_int_equal(load(c->size ? c->size : sizeof(image)), -ENOEXEC);
	assert_contains(why, c->message);
	teardown(NULL);
}

/* boot_prepare on a loaded image: the zero page as the kernel reads it. */
static const uint8_t *zero_page(void)
{
	return guest_mem_ptr(&mem, BOOT_ZERO_PAGE_GPA, LINUX_ZERO_PAGE_SIZE);
}

static void zero_page_carries_everything(void **state)
{
	(void)state;
	static uint8_t initrd[10000];
	memset(initrd, 0x5a, sizeof(initrd));
	assert_int_equal(load(sizeof(image)), 0);
	struct boot_setup s = { .cmdline = "console=ttyS0 quiet", .initrd = initrd, .initrd_size = sizeof(initrd), .cpus = 2 };
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), 0);
	const uint8_t *zp = zero_page();
	assert_memory_equal(zp + LINUX_HDR_MAGIC, "HdrS", 4);
	assert_int_equal(zp[LINUX_HDR_TYPE_OF_LOADER], LINUX_LOADER_UNDEFINED);
	assert_int_equal(get(zp, LINUX_HDR_VERSION, 2), 0x020f);
	uint32_t cmdline = (uint32_t)get(zp, LINUX_HDR_CMD_LINE_PTR, 4);
	assert_int_equal(cmdline, BOOT_CMDLINE_GPA);
	assert_string_equal((const char *)guest_mem_ptr(&mem, cmdline, 20), "console=ttyS0 quiet");
	uint64_t ramdisk = get(zp, LINUX_HDR_RAMDISK_IMAGE, 4), size = get(zp, LINUX_HDR_RAMDISK_SIZE, 4);
	assert_int_equal(size, sizeof(initrd));
	assert_int_equal(ramdisk % 4096, 0);
	assert_true(ramdisk >= kernel.image_end && ramdisk + size <= mem.low_size);
	assert_memory_equal(guest_mem_ptr(&mem, ramdisk, size), initrd, size);
	assert_int_equal(get(zp, LINUX_BP_EXT_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(get(zp, LINUX_BP_ACPI_RSDP_ADDR, 8), BOOT_ACPI_GPA);
	assert_int_equal(get(zp, LINUX_HDR_SETUP_DATA, 8), 0);
}

static void e820_is_the_memory_map(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	assert_int_equal(guest_mem_init(&mem, 5 * 1024 * MiB), 0);  /* RAM above 4 GiB too */
	assert_int_equal(load(sizeof(image)), 0);
	struct boot_setup s = { .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), 0);
	const uint8_t *zp = zero_page();
	static const struct { uint64_t addr, size; uint32_t type; } want[] = {
		{ 0, 0x9fc00, LINUX_E820_RAM },
		{ 0x9fc00, 0x400, LINUX_E820_RESERVED },
		{ 0xe0000, 0x20000, LINUX_E820_RESERVED },
		{ MiB, 3 * 1024 * MiB - MiB, LINUX_E820_RAM },
		{ 4 * 1024 * MiB, 2 * 1024 * MiB, LINUX_E820_RAM },
	};
	assert_int_equal(zp[LINUX_BP_E820_ENTRIES], ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const uint8_t *e = zp + LINUX_BP_E820_TABLE + i * LINUX_E820_ENTRY_SIZE;
		assert_int_equal(get(e, 0, 8), want[i].addr);
		assert_int_equal(get(e, 8, 8), want[i].size);
		assert_int_equal(get(e, 16, 4), want[i].type);
	}
	assert_int_equal(get(zp, LINUX_HDR_CMD_LINE_PTR, 4), 0);  /* no command line */
	assert_int_equal(get(zp, LINUX_HDR_RAMDISK_SIZE, 4), 0);
}

static void older_protocols_get_no_rsdp_field(void **state)
{
	(void)state;
	put(LINUX_HDR_VERSION, 0x020c, 2);
	image[LINUX_HDR_JUMP + 1] = 0x62;  /* 2.12's header ends at 0x264 */
	assert_int_equal(load(sizeof(image)), 0);
	struct boot_setup s = { .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), 0);
	assert_int_equal(get(zero_page(), LINUX_BP_ACPI_RSDP_ADDR, 8), 0);  /* it scans 0xe0000 */
}

static void cmdline_longer_than_the_kernel_takes_is_refused(void **state)
{
	(void)state;
	static char line[300];
	memset(line, 'x', 256);
	assert_int_equal(load(sizeof(image)), 0);
	struct boot_setup s = { .cmdline = line, .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), -EINVAL);
	assert_string_equal(why, "command line of 256 bytes; this kernel takes at most 255");
	line[255] = 0;
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), 0);
}

static void initrd_respects_initrd_addr_max(void **state)
{
	(void)state;
	static uint8_t initrd[8192];
	put(LINUX_HDR_INITRD_ADDR_MAX, 40 * MiB - 1, 4);
	assert_int_equal(load(sizeof(image)), 0);
	struct boot_setup s = { .initrd = initrd, .initrd_size = sizeof(initrd), .cpus = 1 };
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), 0);
	const uint8_t *zp = zero_page();
	assert_int_equal(get(zp, LINUX_HDR_RAMDISK_IMAGE, 4) + sizeof(initrd), 40 * MiB);
	put(LINUX_HDR_INITRD_ADDR_MAX, 17 * MiB + 4095, 4);  /* no room above the kernel */
	assert_int_equal(load(sizeof(image)), 0);
	assert_int_equal(boot_prepare(&mem, &kernel, &s, why), -EINVAL);
	assert_contains(why, "initrd of 8192 bytes does not fit");
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		TEST(good_image_loads_at_its_preferred_address),
		TEST(placement_follows_the_header),
		TEST(syssize_counts_a_partial_last_paragraph),
		TEST(plain_elf_and_junk_are_told_apart),
		TEST(zero_page_carries_everything),
		TEST(e820_is_the_memory_map),
		TEST(older_protocols_get_no_rsdp_field),
		TEST(cmdline_longer_than_the_kernel_takes_is_refused),
		TEST(initrd_respects_initrd_addr_max),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(bad_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, bad_cases, bad_image_is_refused, NULL, NULL);
	return run_group("test_bzimage", tests, n);
}
