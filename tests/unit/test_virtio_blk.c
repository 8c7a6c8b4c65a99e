/* virtio-blk requests end to end without KVM: the device on an image in
 * $TMPDIR (or /tmp), brought up through its registers, requests laid out
 * in guest RAM as a driver would, served as one kick serves them. */
#include "helpers.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../../devices/virtio/blk.h"

#define IMAGE_BYTES (64 * 1024)
#define HEADER_GPA 0x3000ull
#define DATA_GPA 0x5003ull   /* unaligned on purpose: O_DIRECT needs the bounce buffer */
#define STATUS_GPA 0x6000ull

static struct guest_mem mem;
static struct virtio_blk blk;
static char image[256];
static uint16_t offered;
static uint64_t limit_rate, limit_ops;   /* the next open_device's rate limiter */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&blk.transport, offset, (const uint8_t *)&value, 4);
}

static uint8_t *at(uint64_t gpa) { return guest_mem_ptr(&mem, gpa, 1); }

/* A fresh image of 0x5a bytes and a device on it, queue 0 live. */
static int open_device(bool read_only, bool direct)
{
	int fd = open(image, O_RDWR | O_CREAT | O_TRUNC, 0600);
	static uint8_t fill[IMAGE_BYTES];
	memset(fill, 0x5a, sizeof(fill));
	if (fd < 0 || write(fd, fill, sizeof(fill)) != (ssize_t)sizeof(fill) || close(fd))
		return -1;
	char why[256];
	struct virtio_blk_config c = { image, read_only, direct, "unit-serial", limit_rate, limit_ops };
	int err = virtio_blk_init(&blk, &mem, &c, eventfd(0, EFD_CLOEXEC), why, sizeof(why));
	if (err)
		return err;
	memset(mem.hva, 0, 0x10000);
	offered = 0;
	reg(0x070, 0), reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 1), reg(0x020, 1), reg(0x070, 11);
	reg(0x030, 0), reg(0x038, 8);
	reg(0x080, 0), reg(0x084, 0), reg(0x090, 0x1000), reg(0x094, 0), reg(0x0a0, 0x2000), reg(0x0a4, 0);
	reg(0x044, 1), reg(0x070, 15);
	return virtio_mmio_live(&blk.transport) ? 0 : -1;
}

static void close_device(void)
{
	close(blk.irq_fd);
	virtio_blk_close(&blk);
	limit_rate = limit_ops = 0;
}

static void serve(void)
{
	pthread_mutex_lock(&blk.transport.lock);
	if (virtio_mmio_live(&blk.transport))
		virtio_blk_serve(&blk);
	pthread_mutex_unlock(&blk.transport.lock);
}

static uint16_t used_index(void)
{
	uint16_t idx;
	memcpy(&idx, at(0x2000 + 2), 2);
	return idx;
}

static uint64_t timer_left_ns(void)
{
	struct itimerspec left;
	assert_int_equal(timerfd_gettime(blk.timer_fd, &left), 0);
	return (uint64_t)left.it_value.tv_sec * 1000000000u + (uint64_t)left.it_value.tv_nsec;
}

/* One request: header, `len` data bytes at DATA_GPA (device-writable for
 * reads), status. Returns the status byte, or -1 if none was written. */
static int request(uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	uint32_t header[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
	memcpy(at(HEADER_GPA), header, sizeof(header));
	*at(STATUS_GPA) = 0xff;
	struct desc d[3] = {
		{ HEADER_GPA, 16, 1, 1 },
		{ DATA_GPA, len, (uint16_t)(1 | (data_writable ? 2 : 0)), 2 },
		{ STATUS_GPA, 1, 2, 0 },
	};
	if (!len)
		d[0].next = 2;  /* no data buffer */
	memcpy(mem.hva, d, sizeof(d));
	uint16_t ring_slot = offered % 8, head = 0;
	memcpy(at(0x1000 + 4 + 2 * ring_slot), &head, 2);
	offered++;
	memcpy(at(0x1000 + 2), &offered, 2);
	serve();
	return *at(STATUS_GPA) == 0xff ? -1 : *at(STATUS_GPA);
}

static void file_bytes(uint64_t offset, uint8_t *out, size_t len)
{
	int fd = open(image, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, len, (off_t)offset), (ssize_t)len);
	close(fd);
}

static void write_then_read(bool direct)
{
	if (open_device(false, direct)) {
		if (direct) {
			print_message("skip: O_DIRECT: the file system under %s does not take it\n", image);
			return;
		}
		fail_msg("device did not come up");
	}
	for (unsigned i = 0; i < 1024; i++)
		at(DATA_GPA)[i] = (uint8_t)(i * 3);
	assert_int_equal(request(1, 4, 1024, false), 0);  /* OUT, sectors 4-5 */
	assert_int_equal(request(4, 0, 0, false), 0);     /* FLUSH */
	uint8_t in_file[1024], want[1024];
	memcpy(want, at(DATA_GPA), sizeof(want));
	file_bytes(4 * 512, in_file, sizeof(in_file));
	assert_memory_equal(in_file, want, sizeof(want));
	memset(at(DATA_GPA), 0, 1024);
	assert_int_equal(request(0, 4, 1024, true), 0);   /* IN */
	assert_memory_equal(at(DATA_GPA), want, sizeof(want));
	close_device();
}

static void writes_reach_the_file(void **state) { (void)state; write_then_read(false); }
static void writes_reach_the_file_with_o_direct(void **state) { (void)state; write_then_read(true); }

static void ranges_and_requests_are_checked(void **state)
{
	(void)state;
	assert_int_equal(open_device(false, false), 0);
	assert_int_equal(request(0, IMAGE_BYTES / 512, 512, true), 1);      /* past the end: IOERR */
	assert_int_equal(request(0, IMAGE_BYTES / 512 - 1, 1024, true), 1); /* runs past it */
	assert_int_equal(request(0, UINT64_MAX, 512, true), 1);             /* sector overflows */
	assert_int_equal(request(0, 0, 100, true), 1);                      /* not whole sectors */
	assert_int_equal(request(99, 0, 512, true), 2);                     /* UNSUPP */
	assert_int_equal(request(8, 0, 20, true), 0);                       /* GET_ID */
	assert_memory_equal(at(DATA_GPA), "unit-serial", 12);
	close_device();
}

static void discard_and_write_zeroes_read_as_zeros(void **state)
{
	(void)state;
	assert_int_equal(open_device(false, false), 0);
	for (uint32_t type = 11; type <= 13; type += 2) {
		uint32_t segment[4] = { 8, 0, 16, 0 };  /* sectors 8-23; write-zeroes without unmap */
		memcpy(at(DATA_GPA), segment, 16);
		assert_int_equal(request(type, 0, 16, false), 0);
		uint8_t in_file[16 * 512], zeros[16 * 512] = { 0 };
		file_bytes(8 * 512, in_file, sizeof(in_file));
		assert_memory_equal(in_file, zeros, sizeof(zeros));
		file_bytes(7 * 512, in_file, 512);
		assert_int_equal(in_file[0], 0x5a);   /* the sector before is untouched */
	}
	uint32_t beyond[4] = { IMAGE_BYTES / 512 - 1, 0, 2, 0 };
	memcpy(at(DATA_GPA), beyond, 16);
	assert_int_equal(request(11, 0, 16, false), 1);
	close_device();
}

static void a_read_only_disk_refuses_writes(void **state)
{
	(void)state;
	assert_int_equal(open_device(true, false), 0);
	uint32_t features;
	reg(0x014, 0);
	virtio_mmio_read(&blk.transport, 0x010, (uint8_t *)&features, 4);
	assert_true(features & (1u << 5));  /* VIRTIO_BLK_F_RO */
	memset(at(DATA_GPA), 0x11, 512);
	assert_int_equal(request(1, 0, 512, false), 1);
	uint8_t in_file[512];
	file_bytes(0, in_file, sizeof(in_file));
	assert_int_equal(in_file[0], 0x5a);
	assert_int_equal(request(0, 0, 512, true), 0);  /* reads still work */
	close_device();
}

static void a_request_without_header_breaks_the_device(void **state)
{
	(void)state;
	assert_int_equal(open_device(false, false), 0);
	struct desc d = { STATUS_GPA, 1, 2, 0 };  /* a status byte and nothing else */
	memcpy(mem.hva, &d, sizeof(d));
	uint16_t head = 0, idx = 1;
	memcpy(at(0x1000 + 4), &head, 2);
	memcpy(at(0x1000 + 2), &idx, 2);
	pthread_mutex_lock(&blk.transport.lock);
	virtio_blk_serve(&blk);
	bool live = virtio_mmio_live(&blk.transport);
	pthread_mutex_unlock(&blk.transport.lock);
	assert_false(live);
	assert_true(blk.transport.status & VIRTIO_STATUS_NEEDS_RESET);
	close_device();
}

/* ops = 20: a burst of 20 requests goes at once; the 21st stays in the
 * ring, the timer set for its token (1/20 s), and goes when it fires. */
static void the_request_limit_holds_requests_in_the_ring(void **state)
{
	(void)state;
	limit_ops = 20;
	assert_int_equal(open_device(false, false), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(request(0, 0, 512, true), 0);
	assert_int_equal(blk.throttled, 0);
	assert_int_equal(request(4, 0, 0, false), -1);  /* a flush: a request too */
	assert_int_equal(used_index(), 20);
	assert_int_equal(blk.throttled, 1);
	uint64_t left = timer_left_ns();
	assert_true(left > 0 && left <= 50000000);
	struct pollfd p = { blk.timer_fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 5000), 1);  /* generous: a loaded host is slow, never wrong */
	serve();
	assert_int_equal(*at(STATUS_GPA), 0);
	assert_int_equal(used_index(), 21);
	close_device();
}

/* rate = 1 KiB/s: a 3 KiB read is not split; it goes while the bucket is
 * full and leaves 2 KiB owed, so the next 512 bytes wait 2.5 s. */
static void the_byte_limit_charges_whole_requests(void **state)
{
	(void)state;
	limit_rate = 1024;
	assert_int_equal(open_device(false, false), 0);
	assert_int_equal(request(0, 0, 3072, true), 0);
	assert_int_equal(request(0, 0, 512, true), -1);
	assert_int_equal(blk.throttled, 1);
	assert_int_equal(used_index(), 1);
	uint64_t left = timer_left_ns();
	assert_true(left > 2400000000u && left <= 2500000000u);
	close_device();
}

int main(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(image, sizeof(image), "%s/sprig-virtio-blk-%d.img", dir, (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_reach_the_file),
		cmocka_unit_test(writes_reach_the_file_with_o_direct),
		cmocka_unit_test(ranges_and_requests_are_checked),
		cmocka_unit_test(discard_and_write_zeroes_read_as_zeros),
		cmocka_unit_test(a_read_only_disk_refuses_writes),
		cmocka_unit_test(a_request_without_header_breaks_the_device),
		cmocka_unit_test(the_request_limit_holds_requests_in_the_ring),
		cmocka_unit_test(the_byte_limit_charges_whole_requests),
	};
	if (guest_mem_init(&mem, 4 * MEM_MiB))
		return 1;
	int failed = run_group("virtio-blk", tests, ARRAY_SIZE(tests));
	unlink(image);
	guest_mem_free(&mem);
	return failed;
}
