/* Split virtqueues: what a well-behaved driver gets, and every way a
 * hostile one can break the rules ending in a broken queue, not a hang or
 * a read outside guest RAM. The rings are laid out in guest RAM by hand,
 * as a driver would. */
#include "helpers.h"

#include <errno.h>

#include "../../devices/virtio/queue.h"

#define SIZE 8
#define DESC_GPA 0x10000ull
#define AVAIL_GPA 0x11000ull
#define USED_GPA 0x12000ull
#define INDIRECT_GPA 0x13000ull
#define DATA_GPA 0x20000ull

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain chain;

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void *at(uint64_t gpa, uint64_t len)
{
	void *p = guest_mem_ptr(&mem, gpa, len);
	assert_non_null(p);
	return p;
}

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct desc d = { addr, len, flags, next };
	memcpy(at(table + 16ull * i, 16), &d, 16);
}

static void set16(uint64_t gpa, uint16_t v)
{
	memcpy(at(gpa, 2), &v, 2);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, at(gpa, 2), 2);
	return v;
}

/* Offer head `head` in avail slot `slot` and bump avail->idx to `idx`. */
static void offer(unsigned slot, uint16_t head, uint16_t idx)
{
	set16(AVAIL_GPA + 4 + 2 * (slot % SIZE), head);
	set16(AVAIL_GPA + 2, idx);
}

static void start(bool event_idx, bool indirect)
{
	memset(at(0, 4 * MEM_MiB), 0, 4 * MEM_MiB);
	struct virtq_config c = { SIZE, DESC_GPA, AVAIL_GPA, USED_GPA, event_idx, indirect };
	assert_int_equal(virtq_start(&q, &mem, &c, 256), 0);
}

static void refused(const char *why_part)
{
	assert_int_equal(virtq_pop(&q, &mem, &chain), -EINVAL);
	assert_true(q.broken);
	assert_non_null(q.error);
	assert_contains(q.error, why_part);
	assert_int_equal(virtq_pop(&q, &mem, &chain), -EINVAL);  /* stays broken */
}

static void a_chain_comes_out_in_order_and_goes_back(void **state)
{
	(void)state;
	start(false, false);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 0);  /* nothing yet */
	set_desc(DESC_GPA, 3, DATA_GPA, 100, VIRTQ_DESC_F_NEXT, 5);
	set_desc(DESC_GPA, 5, DATA_GPA + 0x1000, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA + 0x2000, 512, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 3, 1);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
	assert_int_equal(chain.head, 3);
	assert_int_equal(chain.count, 3);
	assert_int_equal(chain.readable_bytes, 116);
	assert_int_equal(chain.writable_bytes, 512);
	assert_ptr_equal(chain.buffers[0].hva, at(DATA_GPA, 100));
	assert_false(chain.buffers[1].writable);
	assert_true(chain.buffers[2].writable);
	assert_int_equal(chain.buffers[2].len, 512);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 0);
	virtq_push(&q, 3, 42);
	assert_int_equal(get16(USED_GPA + 2), 1);
	uint32_t element[2];
	memcpy(element, at(USED_GPA + 4, 8), 8);
	assert_int_equal(element[0], 3);
	assert_int_equal(element[1], 42);
	assert_true(virtq_should_interrupt(&q));
	assert_false(virtq_should_interrupt(&q));  /* nothing new since */
}

static void the_avail_index_wraps(void **state)
{
	(void)state;
	start(false, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
	/* 70000 buffers, one at a time: the 16-bit indexes wrap. */
	for (unsigned n = 1; n <= 70000; n++) {
		offer(n - 1, 0, (uint16_t)n);
		assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
		virtq_push(&q, 0, 0);
	}
	assert_int_equal(get16(USED_GPA + 2), (uint16_t)70000);
	assert_false(q.broken);
}

static void no_interrupt_flag_and_used_event_are_honoured(void **state)
{
	(void)state;
	start(false, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
	set16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer(0, 0, 1);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
	virtq_push(&q, 0, 0);
	assert_false(virtq_should_interrupt(&q));

	start(true, false);
	set_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
	set16(AVAIL_GPA + 4 + 2 * SIZE, 1);  /* used_event: interrupt when used passes 1 */
	for (unsigned n = 1; n <= 3; n++) {
		offer(n - 1, 0, (uint16_t)n);
		assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
		virtq_push(&q, 0, 0);
		/* used idx 1: not past the event; 2: past it; 3: already told */
		assert_int_equal(virtq_should_interrupt(&q), n == 2);
	}
	/* The device asks to be notified at the next buffer. */
	assert_false(virtq_arm_notify(&q));
	assert_int_equal(get16(USED_GPA + 4 + 8 * SIZE), 3);
	offer(3, 0, 4);
	assert_true(virtq_arm_notify(&q));
}

static void indirect_tables_are_walked(void **state)
{
	(void)state;
	start(false, true);
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	set_desc(INDIRECT_GPA, 2, DATA_GPA + 0x100, 20, VIRTQ_DESC_F_WRITE, 0);
	set_desc(DESC_GPA, 4, INDIRECT_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 4, 1);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
	assert_int_equal(chain.head, 4);
	assert_int_equal(chain.count, 2);
	assert_int_equal(chain.readable_bytes, 10);
	assert_int_equal(chain.writable_bytes, 20);
}

static void zero_length_buffers_are_skipped(void **state)
{
	(void)state;
	start(false, false);
	set_desc(DESC_GPA, 0, 0xffffffffffff0000ull, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 4, 0, 0);
	offer(0, 0, 1);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 1);
	assert_int_equal(chain.count, 1);
}

struct bad_driver {
	const char *name;
	void (*arrange)(void);
	const char *why;
};

static void loop(void)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0, 0, 1);
}

static void self_loop(void)
{
	set_desc(DESC_GPA, 2, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	offer(0, 2, 1);
}

static void indirect_loop(void)
{
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(INDIRECT_GPA, 1, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static void head_beyond_queue(void) { offer(0, SIZE, 1); }
static void avail_far_ahead(void) { offer(0, 0, SIZE + 1); }

static void next_beyond_queue(void)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, SIZE);
	offer(0, 0, 1);
}

static void buffer_outside_ram(void)
{
	set_desc(DESC_GPA, 0, 4 * MEM_MiB - 4, 8, 0, 0);
	offer(0, 0, 1);
}

static void buffer_length_wraps(void)
{
	set_desc(DESC_GPA, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
	offer(0, 0, 1);
}

static void readable_after_writable(void)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 8, 0, 0);
	offer(0, 0, 1);
}

static void nested_indirect(void)
{
	set_desc(INDIRECT_GPA, 0, INDIRECT_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static void indirect_with_next(void)
{
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 8, 0, 0);
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0, 0, 1);
}

static void indirect_after_direct(void)
{
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 8, 0, 0);
	set_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, INDIRECT_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static void indirect_odd_length(void)
{
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 20, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static void indirect_table_outside_ram(void)
{
	set_desc(DESC_GPA, 0, 4 * MEM_MiB - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static void indirect_next_beyond_table(void)
{
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
}

static const struct bad_driver bad_drivers[] = {
	{ "error: a two-descriptor loop", loop, "loops" },
	{ "error: a descriptor that is its own next", self_loop, "loops" },
	{ "error: a loop inside an indirect table", indirect_loop, "loops" },
	{ "error: head beyond the queue", head_beyond_queue, "beyond the queue" },
	{ "error: avail index more than a queue ahead", avail_far_ahead, "more buffers" },
	{ "error: next beyond the queue", next_beyond_queue, "runs past its table" },
	{ "error: buffer past the end of RAM", buffer_outside_ram, "not in guest RAM" },
	{ "error: buffer whose end wraps", buffer_length_wraps, "not in guest RAM" },
	{ "error: readable after writable", readable_after_writable, "readable buffer follows" },
	{ "error: indirect inside indirect", nested_indirect, "inside an indirect" },
	{ "error: indirect with NEXT", indirect_with_next, "NEXT set" },
	{ "error: indirect after direct descriptors", indirect_after_direct, "after direct" },
	{ "error: indirect table of 20 bytes", indirect_odd_length, "whole number" },
	{ "error: indirect table past RAM", indirect_table_outside_ram, "not in guest RAM" },
	{ "error: next beyond the indirect table", indirect_next_beyond_table, "runs past its table" },
};

static void a_bad_driver_breaks_the_queue(void **state)
{
	const struct bad_driver *c = *state;
	start(false, true);
	c->arrange();
	refused(c->why);
}

static void indirect_needs_the_feature(void **state)
{
	(void)state;
	start(false, false);
	set_desc(INDIRECT_GPA, 0, DATA_GPA, 8, 0, 0);
	set_desc(DESC_GPA, 0, INDIRECT_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
	refused("without VIRTIO_F_INDIRECT_DESC");
}

static void bad_configurations_are_refused(void **state)
{
	(void)state;
	static const struct virtq_config bad[] = {
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA, false, false },       /* size 0 */
		{ 6, DESC_GPA, AVAIL_GPA, USED_GPA, false, false },       /* not a power of 2 */
		{ 512, DESC_GPA, AVAIL_GPA, USED_GPA, false, false },     /* beyond the maximum */
		{ SIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA, false, false }, /* desc misaligned */
		{ SIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA, false, false }, /* avail misaligned */
		{ SIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2, false, false }, /* used misaligned */
		{ SIZE, 4 * MEM_MiB - 64, AVAIL_GPA, USED_GPA, false, false }, /* past RAM */
		{ SIZE, DESC_GPA, 0xfffffffffffffffeull, USED_GPA, false, false }, /* wraps */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(virtq_start(&q, &mem, &bad[i], 256), -EINVAL);
		assert_false(q.ready);
		assert_int_equal(virtq_pop(&q, &mem, &chain), -EINVAL);
	}
	virtq_reset(&q);
	assert_int_equal(virtq_pop(&q, &mem, &chain), 0);  /* not ready: nothing */
}

int main(void)
{
	struct CMUnitTest tests[32] = {
		cmocka_unit_test(a_chain_comes_out_in_order_and_goes_back),
		cmocka_unit_test(the_avail_index_wraps),
		cmocka_unit_test(no_interrupt_flag_and_used_event_are_honoured),
		cmocka_unit_test(indirect_tables_are_walked),
		cmocka_unit_test(zero_length_buffers_are_skipped),
		cmocka_unit_test(indirect_needs_the_feature),
		cmocka_unit_test(bad_configurations_are_refused),
	};
	size_t n = 7;
	add_case_tests(tests, n, bad_drivers, a_bad_driver_breaks_the_queue, NULL, NULL);
	if (guest_mem_init(&mem, 4 * MEM_MiB))
		return 1;
	int failed = run_group("virtq", tests, n);
	guest_mem_free(&mem);
	return failed;
}
