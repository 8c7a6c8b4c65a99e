/* The virtio-mmio transport as a driver (or a hostile guest) programs it,
 * against a fake device; and the token bucket the devices' rate limits
 * use. */
#include "helpers.h"

#include "../../devices/virtio/mmio.h"
#include "../../devices/virtio/rate_limit.h"

#define RAM (4 * MEM_MiB)

static struct guest_mem mem;
static struct virtio_mmio t;
static unsigned activations, resets, interrupts, notified = 99;
static uint8_t config_space[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void fake_config_read(void *device, uint32_t offset, uint8_t *data, uint32_t size)
{
	(void)device;
	memcpy(data, config_space + offset, size);
}

static void fake_activate(void *device) { (void)device; activations++; }
static void fake_reset(void *device) { (void)device; resets++; }
static void fake_notify(void *device, unsigned index) { (void)device; notified = index; }
static void fake_interrupt(void *opaque) { (void)opaque; interrupts++; }

static const struct virtio_device_ops fake = {
	.name = "fake", .device_id = 4, .features = 1ull << 3, .queue_count = 2, .queue_size_max = 64,
	.config_size = sizeof(config_space), .config_read = fake_config_read, .activate = fake_activate,
	.notify = fake_notify, .reset = fake_reset,
};

static uint32_t rd(uint64_t offset)
{
	uint32_t v;
	virtio_mmio_read(&t, offset, (uint8_t *)&v, 4);
	return v;
}

static void wr(uint64_t offset, uint32_t v)
{
	virtio_mmio_write(&t, offset, (const uint8_t *)&v, 4);
}

static int fresh(void **state)
{
	(void)state;
	virtio_mmio_init(&t, &fake, NULL, &mem, fake_interrupt, NULL);
	activations = resets = interrupts = 0;
	notified = 99;
	return 0;
}

static void negotiate(uint32_t low, uint32_t high)
{
	wr(0x070, 1);
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, low);
	wr(0x024, 1);
	wr(0x020, high);
	wr(0x070, 3 | 8);
}

/* Queue `index` of 8 entries at 64 KiB; ready. */
static void set_up_queue(unsigned index, uint64_t desc)
{
	wr(0x030, index);
	wr(0x038, 8);
	wr(0x080, (uint32_t)desc);
	wr(0x084, (uint32_t)(desc >> 32));
	wr(0x090, 0x11000);
	wr(0x094, 0);
	wr(0x0a0, 0x12000);
	wr(0x0a4, 0);
	wr(0x044, 1);
}

static void identifies_itself(void **state)
{
	(void)state;
	assert_int_equal(rd(0x000), 0x74726976);
	assert_int_equal(rd(0x004), 2);
	assert_int_equal(rd(0x008), 4);
	assert_int_equal(rd(0x0b0), 0xffffffffu);  /* no shared memory regions */
	uint16_t narrow = 0xffff;
	virtio_mmio_read(&t, 0x000, (uint8_t *)&narrow, 2);
	assert_int_equal(narrow, 0);               /* registers are 32-bit only */
	assert_int_equal(rd(0x002), 0);            /* misaligned */
}

static void offers_version_1_and_the_ring_features(void **state)
{
	(void)state;
	wr(0x014, 0);
	assert_int_equal(rd(0x010), (1u << 3) | (1u << 28) | (1u << 29));
	wr(0x014, 1);
	assert_int_equal(rd(0x010), 1);
	wr(0x014, 7);
	assert_int_equal(rd(0x010), 0);
}

static void features_ok_needs_version_1_and_nothing_unoffered(void **state)
{
	(void)state;
	negotiate(1u << 3, 0);  /* no VERSION_1: a legacy driver */
	assert_false(rd(0x070) & 8);
	wr(0x070, 0);
	negotiate(1u << 5, 1);  /* bit 5 was not offered */
	assert_false(rd(0x070) & 8);
	wr(0x070, 0);
	negotiate((1u << 3) | (1u << 29), 1);
	assert_true(rd(0x070) & 8);
	wr(0x020, 0);  /* features are fixed once FEATURES_OK is set */
	assert_int_equal(t.driver_features, (1ull << 32) | (1u << 3) | (1u << 29));
}

static void driver_ok_activates_once_and_status_only_grows(void **state)
{
	(void)state;
	wr(0x070, 1 | 2 | 4);  /* DRIVER_OK without FEATURES_OK */
	assert_int_equal(rd(0x070), 3);
	assert_int_equal(activations, 0);
	wr(0x070, 0);
	negotiate(0, 1);
	wr(0x070, 3 | 8 | 4);
	assert_int_equal(activations, 1);
	assert_true(virtio_mmio_live(&t));
	wr(0x070, 1);  /* clearing bits is not how a driver resets */
	assert_int_equal(rd(0x070), 15);
	wr(0x070, 15);
	assert_int_equal(activations, 1);
	wr(0x070, 0);
	assert_int_equal(rd(0x070), 0);
	assert_int_equal(resets, 2);
}

static void queues_start_checked_and_stay_fixed_while_ready(void **state)
{
	(void)state;
	negotiate(0, 1);
	wr(0x030, 0);
	assert_int_equal(rd(0x034), 64);
	wr(0x030, 2);
	assert_int_equal(rd(0x034), 0);  /* the device has two queues */
	wr(0x044, 1);                    /* ignored for a queue it lacks */
	set_up_queue(0, 0x10000);
	assert_true(rd(0x044));
	assert_true(t.queues[0].ready);
	wr(0x038, 4);                    /* ignored: the queue is live */
	assert_int_equal(t.pending[0].size, 8);
	wr(0x044, 0);
	assert_false(t.queues[0].ready);
	/* Rings outside RAM: the device needs a reset, the queue is not ready. */
	set_up_queue(1, RAM - 64);
	assert_false(t.queues[1].ready);
	assert_true(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(interrupts, 0);  /* not yet DRIVER_OK: nobody to tell */
	wr(0x070, 3 | 8 | 4);
	assert_int_equal(activations, 0); /* never activated while it needs a reset */
	wr(0x070, 0);
	assert_false(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

static void a_broken_live_device_interrupts_once(void **state)
{
	(void)state;
	negotiate(0, 1);
	set_up_queue(0, 0x10000);
	wr(0x070, 15);
	virtio_mmio_needs_reset(&t, "test");
	virtio_mmio_needs_reset(&t, "test again");
	assert_int_equal(interrupts, 1);
	assert_int_equal(rd(0x060), VIRTIO_INT_CONFIG_CHANGE);
	assert_false(virtio_mmio_live(&t));
	wr(0x064, VIRTIO_INT_CONFIG_CHANGE);
	assert_int_equal(rd(0x060), 0);
}

static void notify_reaches_the_device_for_its_queues_only(void **state)
{
	(void)state;
	wr(0x050, 1);
	assert_int_equal(notified, 1);
	wr(0x050, 2);
	assert_int_equal(notified, 1);
	uint8_t one = 0;
	virtio_mmio_write(&t, 0x050, &one, 1);  /* not a 32-bit write */
	assert_int_equal(notified, 1);
}

static void config_space_is_bounded(void **state)
{
	(void)state;
	uint8_t b[8];
	virtio_mmio_read(&t, 0x100 + 6, b, 2);
	assert_int_equal(b[0], 7);
	assert_int_equal(b[1], 8);
	memset(b, 0xaa, sizeof(b));
	virtio_mmio_read(&t, 0x100 + 6, b, 4);  /* runs past the end: nothing */
	assert_int_equal(b[0], 0);
	virtio_mmio_read(&t, 0xfff, b, 1);
	assert_int_equal(b[0], 0);
	virtio_mmio_write(&t, 0x100, b, 1);     /* no config_write: ignored */
}

static void rate_limit_bucket(void **state)
{
	(void)state;
	struct rate_limit r;
	rate_limit_init(&r, 0, 0, 0);
	assert_int_equal(rate_limit_take(&r, 1ull << 40, 0), 1ull << 40);  /* no limit */
	assert_int_equal(rate_limit_wait_ns(&r, 1ull << 40, 0), 0);
	rate_limit_init(&r, 1000, 1000, 0);
	assert_int_equal(rate_limit_take(&r, 600, 0), 600);
	assert_int_equal(rate_limit_take(&r, 600, 0), 400);  /* what is left of the burst */
	assert_int_equal(rate_limit_take(&r, 1, 0), 0);
	assert_int_equal(rate_limit_wait_ns(&r, 10, 0), 10000000);  /* 10 bytes at 1000/s */
	assert_int_equal(rate_limit_take(&r, 100, 50000000), 50);   /* 50 ms: 50 bytes */
	assert_int_equal(rate_limit_wait_ns(&r, 5000, 50000000), 1000000000);  /* capped at a burst */
	assert_int_equal(rate_limit_take(&r, 5000, UINT64_MAX), 1000);  /* years later: one burst */
	assert_int_equal(rate_limit_take(&r, 5, 1), 0);  /* the clock never runs back */
	rate_limit_init(&r, 3, 3, 0);
	uint64_t got = 0;
	for (uint64_t ns = 0; ns <= 10000000000ull; ns += 1000000)
		got += rate_limit_take(&r, 1, ns);
	assert_int_equal(got, 3 + 30);  /* fractions add up: 3/s over 10 s plus the burst */
	rate_limit_init(&r, 1000, 1000, 0);
	rate_limit_spend(&r, 3000, 0);   /* one request of three bursts: 2000 owed */
	assert_int_equal(rate_limit_wait_ns(&r, 0, 0), 2000000000);
	assert_int_equal(rate_limit_wait_ns(&r, 1, 0), 2001000000);
	assert_int_equal(rate_limit_wait_ns(&r, 1, 1000000000), 1001000000);  /* half repaid */
	assert_int_equal(rate_limit_take(&r, 1, 2000000000), 0);  /* repaid, nothing more yet */
	assert_int_equal(rate_limit_take(&r, 1, 2001000000), 1);
	rate_limit_spend(&r, 500, 3001000000u);  /* within the credit: no debt */
	assert_int_equal(rate_limit_wait_ns(&r, 500, 3001000000u), 0);
	rate_limit_init(&r, 0, 0, 0);
	rate_limit_spend(&r, UINT64_MAX, 0);  /* no limit: spending is free */
	assert_int_equal(rate_limit_wait_ns(&r, 1, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(identifies_itself, fresh),
		cmocka_unit_test_setup(offers_version_1_and_the_ring_features, fresh),
		cmocka_unit_test_setup(features_ok_needs_version_1_and_nothing_unoffered, fresh),
		cmocka_unit_test_setup(driver_ok_activates_once_and_status_only_grows, fresh),
		cmocka_unit_test_setup(queues_start_checked_and_stay_fixed_while_ready, fresh),
		cmocka_unit_test_setup(a_broken_live_device_interrupts_once, fresh),
		cmocka_unit_test_setup(notify_reaches_the_device_for_its_queues_only, fresh),
		cmocka_unit_test_setup(config_space_is_bounded, fresh),
		cmocka_unit_test(rate_limit_bucket),
	};
	if (guest_mem_init(&mem, RAM))
		return 1;
	int failed = run_group("virtio-mmio", tests, ARRAY_SIZE(tests));
	guest_mem_free(&mem);
	return failed;
}
