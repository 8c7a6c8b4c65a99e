/* virtio-vsock end to end without KVM: the device on a real I/O thread
 * and real unix sockets in a temporary folder, this test the guest's
 * driver (queues in guest RAM, packets laid out as Linux's) and the host
 * programs at once: Firecracker's CONNECT/OK handshake, data both ways,
 * a guest connecting to a host port, refusals and resets. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../devices/virtio/vsock.h"

#define RX_DESC 0x0000ull
#define TX_DESC 0x3000ull
#define EVENT_DESC 0x6000ull
#define RX_BUFFERS 0x10000ull
#define TX_BUFFER 0x30000ull
#define RX_BUFFER_BYTES 4096u
#define CID 3u

static struct guest_mem mem;
static struct virtio_vsock vsock;
static struct io_thread io;
static char dir[32], path[64];
static uint16_t rx_offered, tx_offered, rx_seen, tx_seen;
static uint32_t guest_fwd_cnt;  /* what the guest says it consumed */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct packet {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
	char data[256];
};

static void reg(uint32_t offset, uint32_t value)
{
	virtio_mmio_write(&vsock.transport, offset, (const uint8_t *)&value, 4);
}

static uint32_t reg_read(uint32_t offset)
{
	uint32_t value;
	virtio_mmio_read(&vsock.transport, offset, (uint8_t *)&value, 4);
	return value;
}

static uint8_t *at(uint64_t gpa) { return guest_mem_ptr(&mem, gpa, 1); }

static void queue(unsigned index, uint64_t desc)
{
	reg(0x030, index), reg(0x038, 8);
	reg(0x080, (uint32_t)desc), reg(0x084, 0), reg(0x090, (uint32_t)desc + 0x1000), reg(0x094, 0);
	reg(0x0a0, (uint32_t)desc + 0x2000), reg(0x0a4, 0), reg(0x044, 1);
}

static void make_available(uint64_t desc, uint16_t *offered, uint16_t head)
{
	memcpy(at(desc + 0x1000 + 4 + 2 * (*offered % 8)), &head, 2);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	++*offered;
	__atomic_store_n((uint16_t *)at(desc + 0x1000 + 2), *offered, __ATOMIC_RELEASE);
}

static void offer_rx(uint16_t i)
{
	struct desc d = { RX_BUFFERS + 0x1000ull * i, RX_BUFFER_BYTES, 2, 0 };
	memcpy(at(RX_DESC + 16 * i), &d, sizeof(d));
	make_available(RX_DESC, &rx_offered, i);
	reg(0x050, 0);
}

/* Until the device used one more buffer of the queue at `desc`. */
static bool wait_used(uint64_t desc, uint16_t *seen)
{
	for (int i = 0; i < 4000; i++) {
		if (__atomic_load_n((uint16_t *)at(desc + 0x2000 + 2), __ATOMIC_ACQUIRE) != *seen) {
			++*seen;
			return true;
		}
		nanosleep(&(struct timespec){ 0, 500000 }, NULL);
	}
	return false;
}

/* The next packet the device gave the guest; its buffer goes back. */
static struct packet guest_receives(void)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	if (!wait_used(RX_DESC, &rx_seen))
		fail_msg("the device gave the guest no packet");
	uint32_t id;
	memcpy(&id, at(RX_DESC + 0x2000 + 4 + 8 * ((rx_seen - 1) % 8)), 4);
	assert_true(id < 8);
	memcpy(&p, at(RX_BUFFERS + 0x1000ull * id), VSOCK_HEADER_BYTES);
	assert_true(p.len < sizeof(p.data));
	memcpy(p.data, at(RX_BUFFERS + 0x1000ull * id + VSOCK_HEADER_BYTES), p.len);
	offer_rx((uint16_t)id);
	return p;
}

static void guest_sends(uint32_t src_port, uint32_t dst_port, uint16_t op, const char *data)
{
	struct packet p = { CID, VSOCK_HOST_CID, src_port, dst_port, data ? (uint32_t)strlen(data) : 0, 1, op,
			    0, 65536, guest_fwd_cnt, { 0 } };
	memcpy(at(TX_BUFFER), &p, VSOCK_HEADER_BYTES);
	if (data)
		memcpy(at(TX_BUFFER + VSOCK_HEADER_BYTES), data, p.len);
	struct desc d = { TX_BUFFER, VSOCK_HEADER_BYTES + p.len, 0, 0 };
	memcpy(at(TX_DESC), &d, sizeof(d));
	make_available(TX_DESC, &tx_offered, 0);
	reg(0x050, 1);
	assert_true(wait_used(TX_DESC, &tx_seen));
}

static int host_connect(const char *to)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", to);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	struct timeval limit = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	return fd;
}

static void host_reads(int fd, const char *want)
{
	char got[128] = { 0 };
	size_t n = 0;
	while (n < strlen(want)) {
		ssize_t r = read(fd, got + n, strlen(want) - n);
		if (r <= 0)
			fail_msg("the host program read '%s', then %s", got, r ? strerror(errno) : "end of stream");
		n += (size_t)r;
	}
	assert_string_equal(got, want);
}

static int set_up(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sprig-vsock-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	char why[256];
	if (virtio_vsock_init(&vsock, &mem, CID, path, eventfd(0, EFD_CLOEXEC), why, sizeof(why)) ||
	    io_thread_init(&io, NULL) || virtio_vsock_watch(&vsock, &io) || io_thread_start(&io))
		return -1;
	memset(mem.hva, 0, 0x40000);
	rx_offered = tx_offered = rx_seen = tx_seen = 0;
	guest_fwd_cnt = 0;
	reg(0x070, 0), reg(0x070, 1), reg(0x070, 3);
	reg(0x024, 1), reg(0x020, 1), reg(0x070, 11);
	queue(0, RX_DESC), queue(1, TX_DESC), queue(2, EVENT_DESC);
	reg(0x070, 15);
	for (uint16_t i = 0; i < 8; i++)
		offer_rx(i);
	return virtio_mmio_live(&vsock.transport) ? 0 : -1;
}

static int tear_down(void **state)
{
	(void)state;
	io_thread_stop(&io);
	close(vsock.irq_fd);
	virtio_vsock_close(&vsock);
	return rmdir(dir);
}

static void config_holds_the_cid(void **state)
{
	(void)state;
	assert_int_equal(reg_read(0x100), CID);
	assert_int_equal(reg_read(0x104), 0);
}

/* Firecracker's handshake: CONNECT, the guest's RESPONSE, OK <port>. */
static void a_host_program_connects_to_a_guest_port(void **state)
{
	(void)state;
	int host = host_connect(path);
	assert_int_equal(write(host, "CONNECT 5000\n", 13), 13);
	struct packet p = guest_receives();
	assert_int_equal(p.op, 1);  /* REQUEST */
	assert_int_equal(p.src_cid, VSOCK_HOST_CID);
	assert_int_equal(p.dst_cid, CID);
	assert_int_equal(p.dst_port, 5000);
	assert_true(p.src_port >= 1u << 30);
	uint32_t host_port = p.src_port;
	guest_sends(5000, host_port, 2, NULL);  /* RESPONSE */
	char ok[32];
	snprintf(ok, sizeof(ok), "OK %u\n", host_port);
	host_reads(host, ok);
	assert_int_equal(write(host, "hello", 5), 5);
	p = guest_receives();
	assert_int_equal(p.op, 5);  /* RW */
	assert_int_equal(p.len, 5);
	assert_memory_equal(p.data, "hello", 5);
	guest_sends(5000, host_port, 5, "world");
	host_reads(host, "world");
	close(host);
	p = guest_receives();
	assert_int_equal(p.op, 4);  /* SHUTDOWN: the host sends no more */
	guest_sends(5000, host_port, 3, NULL);  /* RST: the guest lets go */
}

/* 200000 bytes from a host program: no more in flight than the guest's
 * 64 KiB window, more after each credit update, all in order. */
static void a_large_stream_follows_the_guest_credit(void **state)
{
	(void)state;
	int host = host_connect(path);
	assert_int_equal(write(host, "CONNECT 5001\n", 13), 13);
	struct packet p = guest_receives();
	uint32_t host_port = p.src_port;
	guest_sends(5001, host_port, 2, NULL);
	char ok[32];
	snprintf(ok, sizeof(ok), "OK %u\n", host_port);
	host_reads(host, ok);
	static uint8_t sent[200000], got[200000];
	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = (uint8_t)(i * 7 + i / 251);
	uint32_t received = 0, in_window = 0;
	size_t written = 0;
	while (received < sizeof(sent)) {
		if (written < sizeof(sent)) {
			ssize_t n = send(host, sent + written, sizeof(sent) - written, MSG_DONTWAIT);
			if (n > 0)
				written += (size_t)n;
		}
		if (in_window >= 65536 - 4096) {  /* the window is (nearly) used: the guest reads and says so */
			guest_fwd_cnt = received;
			guest_sends(5001, host_port, 6, NULL);  /* CREDIT_UPDATE */
			in_window = 0;
		}
		if (!wait_used(RX_DESC, &rx_seen))
			fail_msg("stalled after %u bytes (%zu written)", received, written);
		uint32_t id, len;
		memcpy(&id, at(RX_DESC + 0x2000 + 4 + 8 * ((rx_seen - 1) % 8)), 4);
		memcpy(&len, at(RX_BUFFERS + 0x1000ull * id + 24), 4);
		uint16_t op;
		memcpy(&op, at(RX_BUFFERS + 0x1000ull * id + 30), 2);
		if (op == 5) {
			assert_true(len <= RX_BUFFER_BYTES - VSOCK_HEADER_BYTES && received + len <= sizeof(got));
			memcpy(got + received, at(RX_BUFFERS + 0x1000ull * id + VSOCK_HEADER_BYTES), len);
			received += len, in_window += len;
			assert_true(received - guest_fwd_cnt <= 65536);  /* never past the window */
		}
		offer_rx((uint16_t)id);
	}
	assert_memory_equal(got, sent, sizeof(sent));
	close(host);
}

/* The guest connects to host port 6000: path_6000. */
static void the_guest_connects_to_a_host_port(void **state)
{
	(void)state;
	char to[100];
	snprintf(to, sizeof(to), "%s_6000", path);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	memcpy(addr.sun_path, to, strlen(to) + 1);
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	guest_sends(7000, 6000, 1, NULL);  /* REQUEST */
	struct packet p = guest_receives();
	assert_int_equal(p.op, 2);  /* RESPONSE */
	assert_int_equal(p.src_port, 6000);
	assert_int_equal(p.dst_port, 7000);
	int host = accept(listener, NULL, NULL);
	assert_true(host >= 0);
	guest_sends(7000, 6000, 5, "ping");
	host_reads(host, "ping");
	guest_sends(7000, 6000, 3, NULL);  /* RST: the host program sees the end */
	char c;
	assert_int_equal(read(host, &c, 1), 0);
	close(host);
	close(listener);
	unlink(to);
}

/* No program on the port, no such connection, not a stream: RST. */
static void what_names_no_connection_is_reset(void **state)
{
	(void)state;
	guest_sends(7001, 6001, 1, NULL);
	struct packet p = guest_receives();
	assert_int_equal(p.op, 3);
	assert_int_equal(p.dst_port, 7001);
	assert_int_equal(p.src_port, 6001);
	guest_sends(7002, 6002, 5, "stray");
	p = guest_receives();
	assert_int_equal(p.op, 3);
	assert_int_equal(p.dst_port, 7002);
}

/* A CONNECT line that is not one: the host program is hung up on. */
static void a_bad_connect_line_is_hung_up_on(void **state)
{
	(void)state;
	int host = host_connect(path);
	assert_int_equal(write(host, "CONNECT x\n", 10), 10);
	char c;
	assert_int_equal(read(host, &c, 1), 0);
	close(host);
}

/* A header whose len is more than the chain holds breaks the device. */
static void a_short_packet_breaks_the_device(void **state)
{
	(void)state;
	struct packet p = { CID, VSOCK_HOST_CID, 1, 2, 1000, 1, 5, 0, 65536, 0, { 0 } };
	memcpy(at(TX_BUFFER), &p, VSOCK_HEADER_BYTES);
	struct desc d = { TX_BUFFER, VSOCK_HEADER_BYTES + 10, 0, 0 };
	memcpy(at(TX_DESC), &d, sizeof(d));
	make_available(TX_DESC, &tx_offered, 0);
	reg(0x050, 1);
	for (int i = 0; i < 4000 && !(reg_read(0x070) & 0x40); i++)
		nanosleep(&(struct timespec){ 0, 500000 }, NULL);
	assert_true(reg_read(0x070) & 0x40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(config_holds_the_cid, set_up, tear_down),
		cmocka_unit_test_setup_teardown(a_host_program_connects_to_a_guest_port, set_up, tear_down),
		cmocka_unit_test_setup_teardown(a_large_stream_follows_the_guest_credit, set_up, tear_down),
		cmocka_unit_test_setup_teardown(the_guest_connects_to_a_host_port, set_up, tear_down),
		cmocka_unit_test_setup_teardown(what_names_no_connection_is_reset, set_up, tear_down),
		cmocka_unit_test_setup_teardown(a_bad_connect_line_is_hung_up_on, set_up, tear_down),
		cmocka_unit_test_setup_teardown(a_short_packet_breaks_the_device, set_up, tear_down),
	};
	if (guest_mem_init(&mem, 4 * MEM_MiB))
		return 1;
	int failed = run_group("virtio-vsock", tests, ARRAY_SIZE(tests));
	guest_mem_free(&mem);
	return failed;
}
