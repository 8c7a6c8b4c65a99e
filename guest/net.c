/* A virtio-net driver as small as it can be, for sprig's virtio-net on a
 * tap (`action=...` on the command line):
 *   net        the MAC from config space; ARP for the host (10.0.2.1)
 *              until it answers, then an ICMP echo to it and its reply,
 *              each frame sent as a header and a frame buffer (two
 *              descriptors) and received into one 2 KiB buffer
 *   net-bad    a transmit chain shorter than the 12-byte header: the
 *              device must say NEEDS_RESET, and after a reset ARP again
 * The guest is 10.0.2.15. Each ends with a `net: ... ok` line or a
 * `net: FAIL ...` line, then isa-debug-exit 0 (sprig exits 1) either way. */
#include "guest.h"

#define QSIZE 8
#define RX 0
#define TX 1
#define BUFFER 2048
#define HEADER 12  /* virtio_net_hdr_v1 */
#define F_MAC (1u << 5)

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 }, host_ip[4] = { 10, 0, 2, 1 };
static uint8_t guest_mac[6], host_mac[6];

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct queue {
	struct desc descs[QSIZE] __attribute__((aligned(16)));
	struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail __attribute__((aligned(4)));
	struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; }
		used __attribute__((aligned(8)));
	uint16_t seen;
};

static struct queue queues[2];
static uint8_t rx_buffers[QSIZE][BUFFER], tx_header[HEADER], tx_frame[BUFFER];
static uint64_t window;

static __attribute__((noreturn)) void finish(const char *line)
{
	print("net: %s\n", line);
	outb(0xf4, 0);
	halt_forever();
}

static void offer(unsigned q, uint16_t head)
{
	struct queue *Q = &queues[q];
	Q->avail.ring[Q->avail.idx % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	Q->avail.idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	virtio_wr(window, VIRTIO_QUEUE_NOTIFY, q);
}

static void bring_up(void)
{
	if (!virtio_negotiate(window, F_MAC))
		finish("FAIL no VERSION_1, or FEATURES_OK refused");
	memset(queues, 0, sizeof(queues));
	for (unsigned q = 0; q < 2; q++)
		if (!virtio_queue(window, q, QSIZE, (uint64_t)queues[q].descs, (uint64_t)&queues[q].avail,
				  (uint64_t)&queues[q].used))
			finish("FAIL a queue is too small");
	if (!virtio_driver_ok(window))
		finish("FAIL NEEDS_RESET right after setup");
	for (uint16_t i = 0; i < QSIZE; i++) {
		queues[RX].descs[i] = (struct desc){ (uint64_t)rx_buffers[i], BUFFER, 2, 0 };
		offer(RX, i);
	}
}

/* Header and frame as two readable descriptors; waits until it is used. */
static void send(unsigned len)
{
	struct queue *q = &queues[TX];
	memset(tx_header, 0, sizeof(tx_header));
	q->descs[0] = (struct desc){ (uint64_t)tx_header, HEADER, 1, 1 };
	q->descs[1] = (struct desc){ (uint64_t)tx_frame, len < 60 ? 60 : len, 0, 0 };
	offer(TX, 0);
	while (*(volatile uint16_t *)&q->used.idx == q->seen)
		if (virtio_rd(window, VIRTIO_STATUS) & 0x40)
			return;
		else
			cpu_relax();
	q->seen++;
}

/* The next received frame (past its header), or NULL after `cycles`. */
static const uint8_t *receive(uint64_t cycles, uint32_t *len)
{
	struct queue *q = &queues[RX];
	static int pending = -1;
	if (pending >= 0)
		offer(RX, (uint16_t)pending);  /* the last frame's buffer goes back */
	pending = -1;
	for (uint64_t start = rdtsc(); rdtsc() - start < cycles;) {
		if (*(volatile uint16_t *)&q->used.idx != q->seen) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			uint32_t id = q->used.ring[q->seen % QSIZE].id, got = q->used.ring[q->seen % QSIZE].len;
			q->seen++;
			if (id >= QSIZE || got < HEADER + 14 || got > BUFFER)
				finish("FAIL a used receive buffer out of bounds");
			pending = (int)id;
			*len = got - HEADER;
			return rx_buffers[id] + HEADER;
		}
		cpu_relax();
	}
	return NULL;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

static uint16_t checksum(const uint8_t *p, unsigned len)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ethernet(const uint8_t *to, uint16_t type)
{
	memcpy(tx_frame, to, 6);
	memcpy(tx_frame + 6, guest_mac, 6);
	put16(tx_frame + 12, type);
}

static void send_arp_request(void)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = tx_frame + 14;
	ethernet(broadcast, 0x0806);
	put16(a, 1), put16(a + 2, 0x0800), a[4] = 6, a[5] = 4, put16(a + 6, 1);
	memcpy(a + 8, guest_mac, 6), memcpy(a + 14, guest_ip, 4);
	memset(a + 18, 0, 6), memcpy(a + 24, host_ip, 4);
	send(14 + 28);
}

static bool is_arp_reply(const uint8_t *f, uint32_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       !strncmp((const char *)f + 28, (const char *)host_ip, 4);
}

static void send_echo_request(uint16_t id)
{
	static const char payload[] = "sprig-net-test";
	uint8_t *ip = tx_frame + 14, *icmp = ip + 20;
	unsigned icmp_len = 8 + sizeof(payload);
	ethernet(host_mac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45, put16(ip + 2, (uint16_t)(20 + icmp_len)), ip[8] = 64, ip[9] = 1;
	memcpy(ip + 12, guest_ip, 4), memcpy(ip + 16, host_ip, 4);
	put16(ip + 10, checksum(ip, 20));
	memset(icmp, 0, 8);
	icmp[0] = 8, put16(icmp + 4, id), put16(icmp + 6, 1);
	memcpy(icmp + 8, payload, sizeof(payload));
	put16(icmp + 2, checksum(icmp, icmp_len));
	send(14 + 20 + icmp_len);
}

static bool is_echo_reply(const uint8_t *f, uint32_t len, uint16_t id)
{
	const uint8_t *ip = f + 14, *icmp = ip + 20;
	return len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00 && ip[9] == 1 && icmp[0] == 0 &&
	       (uint16_t)(icmp[4] << 8 | icmp[5]) == id && checksum(ip, 20) == 0 &&
	       !strncmp((const char *)ip + 12, (const char *)host_ip, 4);
}

/* ARP for the host, again every `cycles`, until it answers. */
static void find_host(void)
{
	for (unsigned tries = 0; tries < 400; tries++) {
		send_arp_request();
		uint32_t len;
		for (const uint8_t *f; (f = receive(50000000, &len));)
			if (is_arp_reply(f, len)) {
				memcpy(host_mac, f + 22, 6);
				print("net: arp reply from 10.0.2.1 after %u requests\n", tries + 1);
				return;
			}
	}
	finish("FAIL the host never answered ARP");
}

static void ping_host(void)
{
	for (unsigned tries = 0; tries < 20; tries++) {
		send_echo_request(0x5350);
		uint32_t len;
		for (const uint8_t *f; (f = receive(200000000, &len));)
			if (is_echo_reply(f, len, 0x5350)) {
				print("net: echo reply from 10.0.2.1, %u bytes\n", len);
				return;
			}
	}
	finish("FAIL no echo reply");
}

void ap_main(uint32_t apic_id)
{
	(void)apic_id;
	halt_forever();
}

void guest_main(void)
{
	const char *action = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "action") : NULL;
	if (!action)
		action = "net";
	if (!(window = virtio_find(1, 0)))
		finish("FAIL no virtio-net device");
	bring_up();
	for (unsigned i = 0; i < 6; i++)
		guest_mac[i] = (uint8_t)(virtio_rd(window, VIRTIO_CONFIG + (i & ~3u)) >> (8 * (i & 3)));
	char mac[18];
	for (unsigned i = 0; i < 6; i++) {
		mac[3 * i] = "0123456789abcdef"[guest_mac[i] >> 4];
		mac[3 * i + 1] = "0123456789abcdef"[guest_mac[i] & 15];
		mac[3 * i + 2] = i < 5 ? ':' : 0;
	}
	print("net: mac %s, link %s\n", mac, (virtio_rd(window, VIRTIO_CONFIG + 4) >> 16) & 1 ? "up" : "down");
	if (!strncmp(action, "net-bad", 7)) {
		struct queue *q = &queues[TX];
		q->descs[0] = (struct desc){ (uint64_t)tx_header, 8, 0, 0 };
		offer(TX, 0);
		for (uint64_t spins = 0; !(virtio_rd(window, VIRTIO_STATUS) & 0x40); spins++)
			if (spins > 100000000ull)
				finish("FAIL a transmit chain without its header was taken");
		print("net: short header: status 0x%x, needs reset\n", virtio_rd(window, VIRTIO_STATUS));
		bring_up();
	}
	find_host();
	ping_host();
	finish(strncmp(action, "net-bad", 7) ? "net ok" : "net-bad ok");
}
