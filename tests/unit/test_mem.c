/* Guest memory: sizes as users write them, the one checked gpa->hva
 * helper at every edge, the reverse lookup, and the e820 RAM ranges. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../mem/mem.h"

static struct guest_mem mem;

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static void init(uint64_t size)
{
	guest_mem_free(&mem);
	int err = guest_mem_init(&mem, size);
	if (err)
		fail_msg("guest_mem_init(%llu) = %d", (unsigned long long)size, err);
}

/* --- mem_parse_size --- */

struct good_size {
	const char *text;
	uint64_t bytes;
};

static void sizes_with_every_suffix_parse(void **state)
{
	(void)state;
	static const struct good_size good[] = {
		{ "0", 0 }, { "1", 1 }, { "4096", 4096 }, { "1048576", MEM_MiB },
		{ "4K", 4 * MEM_KiB }, { "4k", 4 * MEM_KiB }, { "4096K", 4 * MEM_MiB },
		{ "4KiB", 4 * MEM_KiB }, { "4KB", 4 * MEM_KiB }, { "4kib", 4 * MEM_KiB },
		{ "64M", 64 * MEM_MiB }, { "64m", 64 * MEM_MiB }, { "64MiB", 64 * MEM_MiB },
		{ "64MB", 64 * MEM_MiB }, { "64Mi", 64 * MEM_MiB }, { "64mb", 64 * MEM_MiB },
		{ "2G", 2 * MEM_GiB }, { "2g", 2 * MEM_GiB }, { "2GiB", 2 * MEM_GiB },
		{ "1T", 1024 * MEM_GiB }, { "1t", 1024 * MEM_GiB }, { "1TiB", 1024 * MEM_GiB },
		{ "007M", 7 * MEM_MiB }, { "0G", 0 },
		/* The largest of each unit that still fits in 64 bits. */
		{ "18446744073709551615", UINT64_MAX },
		{ "18014398509481983K", UINT64_MAX & ~1023ull },
		{ "17592186044415M", UINT64_MAX & ~(MEM_MiB - 1) },
		{ "17179869183G", UINT64_MAX & ~(MEM_GiB - 1) },
		{ "16777215T", 16777215ull << 40 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t bytes = 12345;
		int err = mem_parse_size(good[i].text, &bytes);
		if (err || bytes != good[i].bytes)
			fail_msg("'%s': err %d, %llu bytes; expected %llu", good[i].text, err,
				 (unsigned long long)bytes, (unsigned long long)good[i].bytes);
	}
}

static void bad_sizes_are_refused_untouched(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "M", "K", "iB", "-1", "-1M", "+1M", " 64M", "64M ", "\t64M", "64 M", "64X",
		"64MM", "64MiBB", "64BM", "64B", "64b", "64i", "64iB", "64Mx", "1.5G", "0x10",
		"0x10M", "1e6", "64M\n",
		/* Overflow: of strtoull, and of the shift. */
		"18446744073709551616", "99999999999999999999G", "18014398509481984K",
		"17592186044416M", "17179869184G", "16777216T", "99999999999999999999999999999999",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t bytes = 7;
		int err = mem_parse_size(bad[i], &bytes);
		if (err != -EINVAL || bytes != 7)
			fail_msg("'%s' gave %d and %llu bytes", bad[i], err, (unsigned long long)bytes);
	}
	uint64_t bytes = 7;
	assert_int_equal(mem_parse_size(NULL, &bytes), -EINVAL);
	assert_int_equal(bytes, 7);
}

/* --- guest_mem_init --- */

static void init_refuses_bad_sizes(void **state)
{
	(void)state;
	struct guest_mem m = { 0 };
	assert_int_equal(guest_mem_init(&m, 0), -EINVAL);
	assert_int_equal(guest_mem_init(&m, MEM_MIN_SIZE - 4096), -EINVAL);
	assert_int_equal(guest_mem_init(&m, MEM_MAX_SIZE + 4096), -EINVAL);
	assert_int_equal(guest_mem_init(&m, 16 * MEM_MiB + 1), -EINVAL);
	assert_int_equal(guest_mem_init(&m, 16 * MEM_MiB + 2048), -EINVAL);
	assert_int_equal(guest_mem_init(&m, UINT64_MAX), -EINVAL);
	assert_null(m.hva);
}

static void init_splits_around_the_mmio_gap(void **state)
{
	(void)state;
	static const struct { uint64_t size, low, high; } cases[] = {
		{ MEM_MIN_SIZE, MEM_MIN_SIZE, 0 },
		{ 16 * MEM_MiB, 16 * MEM_MiB, 0 },
		{ 3 * MEM_GiB, 3 * MEM_GiB, 0 },
		{ 3 * MEM_GiB + 4096, 3 * MEM_GiB, 4096 },
		{ 5 * MEM_GiB, 3 * MEM_GiB, 2 * MEM_GiB },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		init(cases[i].size);
		assert_non_null(mem.hva);
		assert_int_equal(mem.size, cases[i].size);
		assert_int_equal(mem.low_size, cases[i].low);
		assert_int_equal(mem.high_size, cases[i].high);
	}
}

static void ram_starts_zeroed_and_writable(void **state)
{
	(void)state;
	init(16 * MEM_MiB);
	uint8_t *last_page = guest_mem_ptr(&mem, 16 * MEM_MiB - 4096, 4096);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(last_page[i], 0);
	memset(last_page, 0xab, 4096);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 16 * MEM_MiB - 1, 1), 0xab);
}

/* --- guest_mem_ptr --- */

static void ptr_low_ram_edges(void **state)
{
	(void)state;
	const uint64_t size = 16 * MEM_MiB;
	init(size);
	assert_ptr_equal(guest_mem_ptr(&mem, 0, 1), mem.hva);
	assert_ptr_equal(guest_mem_ptr(&mem, 0, size), mem.hva);             /* all of it */
	assert_ptr_equal(guest_mem_ptr(&mem, size - 1, 1), mem.hva + size - 1);  /* last byte */
	assert_ptr_equal(guest_mem_ptr(&mem, 0x1234, 0x100), mem.hva + 0x1234);
	assert_null(guest_mem_ptr(&mem, size, 1));       /* one past the end */
	assert_null(guest_mem_ptr(&mem, size - 1, 2));   /* last byte and one past */
	assert_null(guest_mem_ptr(&mem, 0, size + 1));
	assert_null(guest_mem_ptr(&mem, 4096, size));
	assert_null(guest_mem_ptr(&mem, 32 * MEM_MiB, 1));
}

/* An empty range is inside RAM up to and including its end, not after. */
static void ptr_zero_length(void **state)
{
	(void)state;
	const uint64_t size = 16 * MEM_MiB;
	init(size);
	assert_ptr_equal(guest_mem_ptr(&mem, 0, 0), mem.hva);
	assert_ptr_equal(guest_mem_ptr(&mem, size - 1, 0), mem.hva + size - 1);
	assert_ptr_equal(guest_mem_ptr(&mem, size, 0), mem.hva + size);
	assert_null(guest_mem_ptr(&mem, size + 1, 0));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START, 0));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 0));
}

/* gpa and len come from the guest: no sum of them may wrap into RAM. */
static void ptr_huge_and_wrapping_ranges(void **state)
{
	(void)state;
	init(16 * MEM_MiB);
	assert_null(guest_mem_ptr(&mem, 0, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, 1, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, 4096, UINT64_MAX - 4095));  /* gpa + len = 2^64 + 1 */
	assert_null(guest_mem_ptr(&mem, 4096, UINT64_MAX - 4096 + 1)); /* gpa + len = 2^64 exactly */
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 1));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));                /* wraps to 0 */
	assert_null(guest_mem_ptr(&mem, UINT64_MAX - 4095, 4096));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX - 4095, 8192));      /* wraps to 4096 */
	assert_null(guest_mem_ptr(&mem, 1ull << 63, 1ull << 63));
	assert_null(guest_mem_ptr(&mem, (1ull << 63) + 1, 1ull << 63)); /* wraps to 1 */
}

static void ptr_exactly_3g_has_no_high_ram(void **state)
{
	(void)state;
	init(3 * MEM_GiB);
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 1),
			 mem.hva + MEM_MMIO_GAP_START - 1);
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 2));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 0));
}

static void ptr_3g_plus_one_page(void **state)
{
	(void)state;
	init(3 * MEM_GiB + 4096);
	uint8_t *high = mem.hva + 3 * MEM_GiB;  /* high RAM follows low RAM in the mapping */
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 4096), high);
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END + 4095, 1), high + 4095);
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END + 4096, 0), high + 4096);
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END + 4096, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 4097));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START, 1));  /* the gap is not the 4 KiB */
}

/* 5 GiB: 3 GiB below the gap, 2 GiB from 4 GiB on. */
static void ptr_high_ram_and_the_mmio_gap(void **state)
{
	(void)state;
	init(5 * MEM_GiB);
	const uint64_t high_end = MEM_MMIO_GAP_END + 2 * MEM_GiB;
	uint8_t *high = mem.hva + 3 * MEM_GiB;
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 1),
			 mem.hva + MEM_MMIO_GAP_START - 1);
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 2));  /* runs into the gap */
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START, 1));
	assert_null(guest_mem_ptr(&mem, 0xfec00000, 4));              /* IOAPIC */
	assert_null(guest_mem_ptr(&mem, 0xfee00000, 4));              /* LAPIC */
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END - 1, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END - 4, 8));    /* straddles the gap's end */
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 1), high);
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 2 * MEM_GiB), high);
	assert_ptr_equal(guest_mem_ptr(&mem, high_end - 1, 1), high + 2 * MEM_GiB - 1);
	assert_ptr_equal(guest_mem_ptr(&mem, high_end, 0), high + 2 * MEM_GiB);
	assert_null(guest_mem_ptr(&mem, high_end - 1, 2));
	assert_null(guest_mem_ptr(&mem, high_end, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 2 * MEM_GiB + 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END + 1, UINT64_MAX));
	/* Low and high RAM are not contiguous in the guest: no range spans both. */
	assert_null(guest_mem_ptr(&mem, 0, 5 * MEM_GiB));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 4096, 8192));
	/* The host offset of high RAM is not a guest address. */
	assert_null(guest_mem_ptr(&mem, 3 * MEM_GiB + 4096, 1));
	*(uint32_t *)guest_mem_ptr(&mem, high_end - 4, 4) = 0xfeedface;  /* really backed */
	assert_int_equal(*(uint32_t *)(high + 2 * MEM_GiB - 4), 0xfeedface);
}

/* 1 TiB, the largest guest. NORESERVE makes it free where the host allows
 * overcommit; where it does not, mmap's ENOMEM is the honest answer. */
static void ptr_largest_guest(void **state)
{
	(void)state;
	struct guest_mem big = { 0 };
	int err = guest_mem_init(&big, MEM_MAX_SIZE);
	if (err) {
		assert_int_equal(err, -ENOMEM);
		return;
	}
	const uint64_t high_end = MEM_MMIO_GAP_END + MEM_MAX_SIZE - 3 * MEM_GiB;
	assert_ptr_equal(guest_mem_ptr(&big, high_end - 1, 1), big.hva + MEM_MAX_SIZE - 1);
	assert_null(guest_mem_ptr(&big, high_end, 1));
	assert_null(guest_mem_ptr(&big, high_end - 1, UINT64_MAX));
	guest_mem_free(&big);
}

static void ptr_without_ram_is_null(void **state)
{
	(void)state;
	struct guest_mem none = { 0 };
	assert_null(guest_mem_ptr(&none, 0, 0));
	assert_null(guest_mem_ptr(&none, 0, 1));
	init(16 * MEM_MiB);
	guest_mem_free(&mem);
	assert_null(mem.hva);
	assert_null(guest_mem_ptr(&mem, 0, 1));
	guest_mem_free(&mem);  /* twice is harmless */
}

/* --- guest_mem_gpa --- */

static void gpa_round_trips(void **state)
{
	(void)state;
	init(5 * MEM_GiB);
	static const uint64_t gpas[] = {
		0, 1, 4095, MEM_LOW_RAM_END, MEM_HIGH_RAM_START, MEM_MMIO_GAP_START - 1,
		MEM_MMIO_GAP_END, MEM_MMIO_GAP_END + 12345, 6 * MEM_GiB - 1,
	};
	for (size_t i = 0; i < ARRAY_SIZE(gpas); i++) {
		void *hva = guest_mem_ptr(&mem, gpas[i], 1);
		assert_non_null(hva);
		assert_int_equal(guest_mem_gpa(&mem, hva), (int64_t)gpas[i]);
	}
}

static void gpa_of_a_pointer_outside_ram(void **state)
{
	(void)state;
	init(16 * MEM_MiB);
	int local;
	assert_int_equal(guest_mem_gpa(&mem, mem.hva - 1), -1);
	assert_int_equal(guest_mem_gpa(&mem, mem.hva + mem.size), -1);
	assert_int_equal(guest_mem_gpa(&mem, &local), -1);
	assert_int_equal(guest_mem_gpa(&mem, NULL), -1);
	assert_int_equal(guest_mem_gpa(&mem, mem.hva + mem.size - 1), (int64_t)(mem.size - 1));
	struct guest_mem none = { 0 };
	assert_int_equal(guest_mem_gpa(&none, NULL), -1);
	assert_int_equal(guest_mem_gpa(&none, &local), -1);
}

/* --- guest_mem_ranges --- */

struct ranges_case {
	const char *name;
	uint64_t size;
	int count;
	struct mem_range ranges[MEM_MAX_RANGES];
};

static const struct ranges_case ranges_cases[] = {
	{ "ranges: 4 MiB", MEM_MIN_SIZE, 2,
	  { { 0, MEM_LOW_RAM_END }, { MEM_MiB, 3 * MEM_MiB } } },
	{ "ranges: 16 MiB", 16 * MEM_MiB, 2,
	  { { 0, 0x9fc00 }, { MEM_MiB, 15 * MEM_MiB } } },
	{ "ranges: exactly 3 GiB", 3 * MEM_GiB, 2,
	  { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB } } },
	{ "ranges: 3 GiB + 4 KiB", 3 * MEM_GiB + 4096, 3,
	  { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB }, { 4 * MEM_GiB, 4096 } } },
	{ "ranges: 5 GiB", 5 * MEM_GiB, 3,
	  { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB }, { 4 * MEM_GiB, 2 * MEM_GiB } } },
};

static void ranges_are_the_e820_ram(void **state)
{
	const struct ranges_case *c = *state;
	struct mem_range got[MEM_MAX_RANGES + 1];
	memset(got, 0xff, sizeof(got));
	init(c->size);
	assert_int_equal(guest_mem_ranges(&mem, got), c->count);
	for (int i = 0; i < c->count; i++) {
		assert_int_equal(got[i].gpa, c->ranges[i].gpa);
		assert_int_equal(got[i].size, c->ranges[i].size);
		/* Every byte of every range is backed, and the ranges miss the gap. */
		assert_non_null(guest_mem_ptr(&mem, got[i].gpa, got[i].size));
		assert_false(got[i].gpa < MEM_MMIO_GAP_END &&
			     got[i].gpa + got[i].size > MEM_MMIO_GAP_START);
	}
	assert_int_equal(got[c->count].gpa, UINT64_MAX);  /* nothing written past the count */
}

/* --- guest_mem_resident --- */

static void resident_counts_touched_pages(void **state)
{
	(void)state;
	init(64 * MEM_MiB);
	uint64_t before = guest_mem_resident(&mem);
	assert_true(before <= 64 * MEM_MiB);
	memset(guest_mem_ptr(&mem, 32 * MEM_MiB, 8 * 4096), 1, 8 * 4096);
	uint64_t after = guest_mem_resident(&mem);
	assert_true(after >= before + 8 * 4096);
	assert_true(after <= 64 * MEM_MiB);
	struct guest_mem none = { 0 };
	assert_int_equal(guest_mem_resident(&none), 0);
}

/* --- guest_mem_replace_page: a poisoned page, at guest reset --- */

static void replace_page_gives_a_fresh_zero_page(void **state)
{
	(void)state;
	init(3 * MEM_GiB + 64 * MEM_MiB);  /* a page in high RAM too */
	uint64_t pages[] = { 0x5000, MEM_MMIO_GAP_END + 0x10000 };
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		uint8_t *page = guest_mem_ptr(&mem, pages[i], 4096);
		uint8_t *next = guest_mem_ptr(&mem, pages[i] + 4096, 1);
		uint8_t *prev = guest_mem_ptr(&mem, pages[i] - 1, 1);
		memset(page, 0xaa, 4096);
		*next = 0x55, *prev = 0x66;
		/* Any address inside the page names it. */
		assert_int_equal(guest_mem_replace_page(&mem, pages[i] + 123), 0);
		assert_ptr_equal(guest_mem_ptr(&mem, pages[i], 4096), page);
		for (size_t b = 0; b < 4096; b++)
			assert_int_equal(page[b], 0);
		page[0] = 1;  /* still writable */
		assert_int_equal(*next, 0x55);  /* neighbours untouched */
		assert_int_equal(*prev, 0x66);
	}
	assert_int_equal(guest_mem_replace_page(&mem, MEM_MMIO_GAP_START), -EINVAL);
	assert_int_equal(guest_mem_replace_page(&mem, UINT64_MAX), -EINVAL);
}

/* --- backings and snapshots (mem/backing.c) --- */

static int temp_file(char *path)
{
	strcpy(path, "/tmp/sprig-test-mem-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static void memfd_and_file_backings(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	assert_int_equal(guest_mem_init_backend(&mem, 16 * MEM_MiB, MEM_BACKEND_MEMFD, NULL), 0);
	assert_true(mem.fd >= 0);
	uint8_t *p = guest_mem_ptr(&mem, 8192, 1);
	*p = 7;
	uint8_t b = 0;
	assert_int_equal(pread(mem.fd, &b, 1, 8192), 1);  /* RAM is the memfd's pages */
	assert_int_equal(b, 7);
	guest_mem_free(&mem);
	char path[64];
	int fd = temp_file(path);
	assert_int_equal(write(fd, "old", 3), 3);  /* emptied: RAM starts as zeros */
	close(fd);
	assert_int_equal(guest_mem_init_backend(&mem, 16 * MEM_MiB, MEM_BACKEND_FILE, path), 0);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 0, 1), 0);
	*(uint8_t *)guest_mem_ptr(&mem, 4096, 1) = 9;
	guest_mem_free(&mem);
	fd = open(path, O_RDONLY);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 16 * MEM_MiB);
	assert_int_equal(pread(fd, &b, 1, 4096), 1);
	assert_int_equal(b, 9);
	close(fd);
	unlink(path);
	assert_int_equal(guest_mem_init_backend(&mem, 16 * MEM_MiB, MEM_BACKEND_FILE, "/dev/null"), -EINVAL);
	assert_int_equal(guest_mem_init_backend(&mem, 1000, MEM_BACKEND_MEMFD, NULL), -EINVAL);
}

/* Saved sparse, poisoned pages left out; mapped back copy-on-write, the
 * file untouched by the guest's writes; or copied. */
static void save_and_map_back(void **state)
{
	(void)state;
	init(64 * MEM_MiB);
	memset(guest_mem_ptr(&mem, 0x100000, 4096), 0xaa, 4096);
	*(uint8_t *)guest_mem_ptr(&mem, 0x200000, 1) = 1;
	*(uint8_t *)guest_mem_ptr(&mem, 0x300000, 1) = 3;  /* "poisoned" */
	char path[64];
	int fd = temp_file(path);
	uint64_t skip = 0x300123;
	assert_int_equal(guest_mem_save(&mem, fd, &skip, 1), 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 64 * MEM_MiB);
	assert_true(st.st_blocks * 512 <= 64 * 1024);  /* two pages, not 64 MiB */
	guest_mem_free(&mem);
	assert_int_equal(guest_mem_init_snapshot(&mem, fd, 64 * MEM_MiB, false), 0);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 0x100fff, 1), 0xaa);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 0x200000, 1), 1);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 0x300000, 1), 0);
	*(uint8_t *)guest_mem_ptr(&mem, 0x200000, 1) = 2;
	guest_mem_free(&mem);
	fd = open(path, O_RDONLY);
	uint8_t b = 0;
	assert_int_equal(pread(fd, &b, 1, 0x200000), 1);
	assert_int_equal(b, 1);  /* private: the file kept the snapshot's byte */
	assert_int_equal(guest_mem_init_snapshot(&mem, fd, 64 * MEM_MiB, true), 0);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&mem, 0x200000, 1), 1);
	guest_mem_free(&mem);
	fd = open(path, O_RDONLY);
	assert_int_equal(guest_mem_init_snapshot(&mem, fd, 32 * MEM_MiB, false), -EINVAL);  /* wrong size */
	unlink(path);
}

#define TEST(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		TEST(sizes_with_every_suffix_parse),
		TEST(bad_sizes_are_refused_untouched),
		TEST(init_refuses_bad_sizes),
		TEST(init_splits_around_the_mmio_gap),
		TEST(ram_starts_zeroed_and_writable),
		TEST(ptr_low_ram_edges),
		TEST(ptr_zero_length),
		TEST(ptr_huge_and_wrapping_ranges),
		TEST(ptr_exactly_3g_has_no_high_ram),
		TEST(ptr_3g_plus_one_page),
		TEST(ptr_high_ram_and_the_mmio_gap),
		TEST(ptr_largest_guest),
		TEST(ptr_without_ram_is_null),
		TEST(gpa_round_trips),
		TEST(gpa_of_a_pointer_outside_ram),
		TEST(resident_counts_touched_pages),
		TEST(replace_page_gives_a_fresh_zero_page),
		TEST(memfd_and_file_backings),
		TEST(save_and_map_back),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(ranges_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, ranges_cases, ranges_are_the_e820_ram, NULL, teardown);
	return run_group("test_mem", tests, n);
}
