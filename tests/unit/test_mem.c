/* Guest memory: sizes, the checked gpa->hva helper at every edge, ranges. */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#include "../../mem/mem.h"

static void sizes(void **state)
{
	(void)state;
	struct { const char *text; uint64_t bytes; } good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 }, { "64M", 64ull << 20 },
		{ "64MiB", 64ull << 20 }, { "64MB", 64ull << 20 }, { "2G", 2ull << 30 }, { "1T", 1ull << 40 },
		{ "16777215T", 16777215ull << 40 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t bytes = 1;
		assert_int_equal(mem_parse_size(good[i].text, &bytes), 0);
		assert_int_equal(bytes, good[i].bytes);
	}
	const char *bad[] = { "", "M", "-1M", " 64M", "64M ", "64X", "64MM", "1.5G", "16777216T",
			      "99999999999999999999G", "18446744073709551616", "0x10", "64iB", "64B" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t bytes = 7;
		assert_int_equal(mem_parse_size(bad[i], &bytes), -EINVAL);
		assert_int_equal(bytes, 7);  /* untouched on error */
	}
	assert_int_equal(mem_parse_size(NULL, NULL), -EINVAL);
}

static void init_limits(void **state)
{
	(void)state;
	struct guest_mem mem;
	assert_int_equal(guest_mem_init(&mem, MEM_MIN_SIZE - 4096), -EINVAL);
	assert_int_equal(guest_mem_init(&mem, MEM_MAX_SIZE + 4096), -EINVAL);
	assert_int_equal(guest_mem_init(&mem, 16 * MEM_MiB + 1), -EINVAL);
}

static void pointer_bounds_low(void **state)
{
	(void)state;
	struct guest_mem mem;
	assert_int_equal(guest_mem_init(&mem, 16 * MEM_MiB), 0);
	uint64_t size = 16 * MEM_MiB;
	assert_ptr_equal(guest_mem_ptr(&mem, 0, size), mem.hva);
	assert_ptr_equal(guest_mem_ptr(&mem, size - 1, 1), mem.hva + size - 1);
	assert_ptr_equal(guest_mem_ptr(&mem, size, 0), mem.hva + size);  /* empty range at the end */
	assert_null(guest_mem_ptr(&mem, size, 1));
	assert_null(guest_mem_ptr(&mem, size - 1, 2));
	assert_null(guest_mem_ptr(&mem, 0, size + 1));
	assert_null(guest_mem_ptr(&mem, 1, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));          /* gpa + len wraps */
	assert_null(guest_mem_ptr(&mem, UINT64_MAX - 4095, 4096));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START, 4));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 4));   /* no high RAM at 16 MiB */
	memset(guest_mem_ptr(&mem, size - 4096, 4096), 0xab, 4096);  /* really writable */
	guest_mem_free(&mem);
	assert_null(guest_mem_ptr(&mem, 0, 1));
}

static void pointer_bounds_high(void **state)
{
	(void)state;
	struct guest_mem mem;
	assert_int_equal(guest_mem_init(&mem, 5 * MEM_GiB), 0);  /* NORESERVE: costs nothing */
	assert_int_equal(mem.low_size, 3 * MEM_GiB);
	assert_int_equal(mem.high_size, 2 * MEM_GiB);
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 1), mem.hva + MEM_MMIO_GAP_START - 1);
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_START - 1, 2));  /* runs into the gap */
	assert_null(guest_mem_ptr(&mem, 0xfee00000, 4));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END - 4, 8));    /* straddles the gap's end */
	assert_ptr_equal(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, 1), mem.hva + 3 * MEM_GiB);
	assert_ptr_equal(guest_mem_ptr(&mem, 6 * MEM_GiB - 1, 1), mem.hva + 5 * MEM_GiB - 1);
	assert_null(guest_mem_ptr(&mem, 6 * MEM_GiB - 1, 2));
	assert_null(guest_mem_ptr(&mem, 6 * MEM_GiB, 1));
	assert_null(guest_mem_ptr(&mem, MEM_MMIO_GAP_END, UINT64_MAX));
	/* One range may not span low and high RAM: they are not contiguous. */
	assert_null(guest_mem_ptr(&mem, 0, 4 * MEM_GiB));
	guest_mem_free(&mem);
}

static void gpa_round_trip(void **state)
{
	(void)state;
	struct guest_mem mem;
	assert_int_equal(guest_mem_init(&mem, 4 * MEM_GiB), 0);
	uint64_t gpas[] = { 0, 4095, MEM_MMIO_GAP_START - 1, MEM_MMIO_GAP_END, 5 * MEM_GiB - 1 };
	for (size_t i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++)
		assert_int_equal(guest_mem_gpa(&mem, guest_mem_ptr(&mem, gpas[i], 1)), (int64_t)gpas[i]);
	assert_int_equal(guest_mem_gpa(&mem, mem.hva - 1), -1);
	assert_int_equal(guest_mem_gpa(&mem, mem.hva + mem.size), -1);
	assert_int_equal(guest_mem_gpa(&mem, &mem), -1);
	guest_mem_free(&mem);
}

static void ranges(void **state)
{
	(void)state;
	struct { uint64_t size; int n; struct mem_range r[3]; } cases[] = {
		{ 16 * MEM_MiB, 2, { { 0, 0x9fc00 }, { MEM_MiB, 15 * MEM_MiB } } },
		{ 3 * MEM_GiB, 2, { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB } } },
		{ 3 * MEM_GiB + 4096, 3,
		  { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB }, { 4 * MEM_GiB, 4096 } } },
		{ 5 * MEM_GiB, 3,
		  { { 0, 0x9fc00 }, { MEM_MiB, 3 * MEM_GiB - MEM_MiB }, { 4 * MEM_GiB, 2 * MEM_GiB } } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guest_mem mem;
		struct mem_range got[MEM_MAX_RANGES];
		assert_int_equal(guest_mem_init(&mem, cases[i].size), 0);
		assert_int_equal(guest_mem_ranges(&mem, got), cases[i].n);
		for (int j = 0; j < cases[i].n; j++) {
			assert_int_equal(got[j].gpa, cases[i].r[j].gpa);
			assert_int_equal(got[j].size, cases[i].r[j].size);
			assert_non_null(guest_mem_ptr(&mem, got[j].gpa, got[j].size));  /* all backed */
		}
		guest_mem_free(&mem);
	}
}

static void residency(void **state)
{
	(void)state;
	struct guest_mem mem;
	assert_int_equal(guest_mem_init(&mem, 64 * MEM_MiB), 0);
	uint64_t before = guest_mem_resident(&mem);
	memset(guest_mem_ptr(&mem, 32 * MEM_MiB, 8 * 4096), 1, 8 * 4096);
	assert_true(guest_mem_resident(&mem) >= before + 8 * 4096);
	guest_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes),
		cmocka_unit_test(init_limits),
		cmocka_unit_test(pointer_bounds_low),
		cmocka_unit_test(pointer_bounds_high),
		cmocka_unit_test(gpa_round_trip),
		cmocka_unit_test(ranges),
		cmocka_unit_test(residency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
