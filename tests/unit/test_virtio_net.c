/* virtio-net end to end without KVM or a tap: the device's "tap" is one
 * end of a datagram socketpair (one frame per read and write, as a tap),
 * the test holds the other; queues laid out in guest RAM as a driver
 * would, served as one kick serves them. */
#include "helpers.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../devices/virtio/net.h"

#define RX_DESC 0x0000ull
#define RX_AVAIL 0x1000ull
#define RX_USED 0x2000ull
#define TX_DESC 0x3000ull
#define TX_AVAIL 0x4000ull
#define TX_USED 0x5000ull
#define BUFFERS 0x10000ull
#define F_MAC 5
#define F_MRG_RXBUF 15

static struct guest_mem mem;
static struct virtio_net net;
static int host_end;
static uint16_t rx_offered, tx_offered;
static const uint8_t mac[6] = { 0x02, 0x00, 0x0a, 0x00, 0x02, 0x0f };

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&net.transport, offset, (const uint8_t *)&value, 4);
}

static uint8_t *at(uint64_t gpa) { return guest_mem_ptr(&mem, gpa, 1); }

static void queue(unsigned index, uint64_t desc, uint64_t avail, uint64_t used)
{
	reg(0x030, index), reg(0x038, 8);
	reg(0x080, (uint32_t)desc), reg(0x084, 0), reg(0x090, (uint32_t)avail), reg(0x094, 0);
	reg(0x0a0, (uint32_t)used), reg(0x0a4, 0), reg(0x044, 1);
}

static void open_device(uint32_t features, const struct virtio_net_limits *limits)
{
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
	host_end = pair[1];
	struct virtio_net_limits none = { 0 };
	assert_int_equal(virtio_net_init(&net, &mem, pair[0], mac, limits ? limits : &none,
					 eventfd(0, EFD_CLOEXEC)), 0);
	memset(mem.hva, 0, 0x20000);
	rx_offered = tx_offered = 0;
	reg(0x070, 0), reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 0), reg(0x020, features), reg(0x024, 1), reg(0x020, 1), reg(0x070, 11);
	queue(0, RX_DESC, RX_AVAIL, RX_USED);
	queue(1, TX_DESC, TX_AVAIL, TX_USED);
	reg(0x070, 15);
	assert_true(virtio_mmio_live(&net.transport));
}

static void close_device(void)
{
	close(net.irq_fd);
	close(host_end);
	virtio_net_close(&net);
}

static void serve(void)
{
	pthread_mutex_lock(&net.transport.lock);
	if (virtio_mmio_live(&net.transport))
		virtio_net_serve(&net);
	pthread_mutex_unlock(&net.transport.lock);
}

static void make_available(uint64_t avail, uint16_t *offered, uint16_t head)
{
	memcpy(at(avail + 4 + 2 * (*offered % 8)), &head, 2);
	++*offered;
	memcpy(at(avail + 2), offered, 2);
}

/* `count` receive buffers of `len` bytes, descriptors 0 up. */
static void offer_rx(unsigned count, uint32_t len)
{
	for (uint16_t i = 0; i < count; i++) {
		struct desc d = { BUFFERS + 0x1000ull * i, len, 2, 0 };
		memcpy(at(RX_DESC + 16 * i), &d, sizeof(d));
		make_available(RX_AVAIL, &rx_offered, i);
	}
}

static uint16_t used_idx(uint64_t used)
{
	uint16_t idx;
	memcpy(&idx, at(used + 2), 2);
	return idx;
}

static uint32_t used_len(uint64_t used, unsigned slot)
{
	uint32_t len;
	memcpy(&len, at(used + 4 + 8 * slot + 4), 4);
	return len;
}

static void host_sends(const uint8_t *frame, size_t len)
{
	assert_int_equal(send(host_end, frame, len, 0), (ssize_t)len);
}

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static void config_has_the_mac_and_link_up(void **state)
{
	(void)state;
	open_device(1u << F_MAC, NULL);
	uint8_t config[8];
	virtio_mmio_read(&net.transport, 0x100, config, 8);
	assert_memory_equal(config, mac, 6);
	assert_int_equal(config[6] & 1, 1);
	close_device();
}

/* Header and frame in two descriptors: one datagram, byte for byte. */
static void a_transmitted_frame_reaches_the_tap_whole(void **state)
{
	(void)state;
	open_device(0, NULL);
	pattern(at(BUFFERS), 12, 1);
	pattern(at(BUFFERS + 0x100), 600, 7);
	struct desc d[2] = { { BUFFERS, 12, 1, 1 }, { BUFFERS + 0x100, 600, 0, 0 } };
	memcpy(at(TX_DESC), d, sizeof(d));
	make_available(TX_AVAIL, &tx_offered, 0);
	serve();
	uint8_t got[1024], want[612];
	assert_int_equal(recv(host_end, got, sizeof(got), 0), 612);
	memcpy(want, at(BUFFERS), 12);
	memcpy(want + 12, at(BUFFERS + 0x100), 600);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(used_idx(TX_USED), 1);
	assert_int_equal(net.tx_frames_count, 1);
	close_device();
}

/* Without mergeable buffers: one buffer per frame, num_buffers 1. */
static void a_received_frame_fills_one_buffer(void **state)
{
	(void)state;
	open_device(0, NULL);
	offer_rx(2, 2048);
	uint8_t frame[112];
	memset(frame, 0, 12);
	pattern(frame + 12, 100, 3);
	host_sends(frame, sizeof(frame));
	serve();
	assert_int_equal(used_idx(RX_USED), 1);
	assert_int_equal(used_len(RX_USED, 0), 112);
	assert_memory_equal(at(BUFFERS + 12), frame + 12, 100);
	assert_int_equal(at(BUFFERS)[10], 1);  /* num_buffers */
	close_device();
}

/* With MRG_RXBUF a frame spreads over as many buffers as it needs, shown
 * to the driver at once, num_buffers saying how many. */
static void a_mergeable_frame_spans_buffers(void **state)
{
	(void)state;
	open_device(1u << F_MRG_RXBUF, NULL);
	offer_rx(8, 64);
	uint8_t frame[312];
	memset(frame, 0, 12);
	pattern(frame + 12, 300, 9);
	host_sends(frame, sizeof(frame));
	serve();
	assert_int_equal(used_idx(RX_USED), 5);
	uint8_t joined[320];
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(used_len(RX_USED, i), i < 4 ? 64 : 312 - 4 * 64);
		memcpy(joined + 64 * i, at(BUFFERS + 0x1000ull * i), 64);
	}
	assert_int_equal(joined[10] | joined[11] << 8, 5);
	assert_memory_equal(joined + 12, frame + 12, 300);
	close_device();
}

/* No buffers: the frame waits in the device, and goes when one comes. */
static void a_frame_waits_for_a_buffer(void **state)
{
	(void)state;
	open_device(0, NULL);
	uint8_t frame[80] = { 0 };
	pattern(frame + 12, 68, 5);
	host_sends(frame, sizeof(frame));
	serve();
	assert_int_equal(used_idx(RX_USED), 0);
	assert_true(net.frame_held);
	offer_rx(1, 2048);
	serve();
	assert_int_equal(used_idx(RX_USED), 1);
	assert_memory_equal(at(BUFFERS + 12), frame + 12, 68);
	close_device();
}

/* Too big for the driver's buffers: dropped, and the buffer stays for the
 * next frame; with mergeable buffers, a frame larger than the whole ring. */
static void frames_that_cannot_fit_are_dropped(void **state)
{
	(void)state;
	open_device(0, NULL);
	offer_rx(1, 256);
	static uint8_t big[1500], small[60];
	host_sends(big, sizeof(big));
	host_sends(small, sizeof(small));
	serve();
	assert_int_equal(net.rx_dropped, 1);
	assert_int_equal(used_idx(RX_USED), 1);
	assert_int_equal(used_len(RX_USED, 0), 60);
	close_device();
	open_device(1u << F_MRG_RXBUF, NULL);
	offer_rx(8, 64);
	host_sends(big, sizeof(big));
	host_sends(small, sizeof(small));
	serve();
	assert_int_equal(net.rx_dropped, 1);
	assert_int_equal(used_idx(RX_USED), 1);
	close_device();
}

static void a_transmit_chain_without_header_breaks_the_device(void **state)
{
	(void)state;
	open_device(0, NULL);
	struct desc d = { BUFFERS, 8, 0, 0 };
	memcpy(at(TX_DESC), &d, sizeof(d));
	make_available(TX_AVAIL, &tx_offered, 0);
	serve();
	uint32_t status;
	virtio_mmio_read(&net.transport, 0x070, (uint8_t *)&status, 4);
	assert_true(status & 0x40);
	uint8_t got[64];
	assert_int_equal(recv(host_end, got, sizeof(got), 0), -1);
	assert_int_equal(errno, EAGAIN);
	close_device();
}

/* One frame a second: the second waits in the ring, a timer set. */
static void the_transmit_limit_holds_frames_back(void **state)
{
	(void)state;
	struct virtio_net_limits limits = { .tx_frames = 1 };
	open_device(0, &limits);
	struct desc d[2] = { { BUFFERS, 72, 0, 0 }, { BUFFERS + 0x100, 72, 0, 0 } };
	memcpy(at(TX_DESC), d, sizeof(d));
	make_available(TX_AVAIL, &tx_offered, 0);
	make_available(TX_AVAIL, &tx_offered, 1);
	serve();
	uint8_t got[128];
	assert_int_equal(recv(host_end, got, sizeof(got), 0), 72);
	assert_int_equal(recv(host_end, got, sizeof(got), 0), -1);
	assert_int_equal(used_idx(TX_USED), 1);
	assert_true(net.timer_armed);
	close_device();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_has_the_mac_and_link_up),
		cmocka_unit_test(a_transmitted_frame_reaches_the_tap_whole),
		cmocka_unit_test(a_received_frame_fills_one_buffer),
		cmocka_unit_test(a_mergeable_frame_spans_buffers),
		cmocka_unit_test(a_frame_waits_for_a_buffer),
		cmocka_unit_test(frames_that_cannot_fit_are_dropped),
		cmocka_unit_test(a_transmit_chain_without_header_breaks_the_device),
		cmocka_unit_test(the_transmit_limit_holds_frames_back),
	};
	if (guest_mem_init(&mem, 4 * MEM_MiB))
		return 1;
	int failed = run_group("virtio-net", tests, ARRAY_SIZE(tests));
	guest_mem_free(&mem);
	return failed;
}
