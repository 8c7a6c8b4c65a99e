/* A hostile virtio driver: every virtio-rng, virtio-blk, virtio-net and
 * virtio-vsock device found is driven with random and adversarial rings for `rounds=`
 * rounds (default 2000): descriptors outside RAM, straddling its end or
 * wrapping the address space, huge and zero lengths, looping and
 * out-of-range `next`, indirect tables of the same, avail indexes that
 * jump past the ring or wrap, notifications of queues that do not exist,
 * and now and then a stray register write. After each device error the
 * device is reset and brought back. Every 64 rounds, and at the end for
 * every device, a clean bring-up and one good request must be answered;
 * meanwhile the second vCPU counts and must keep counting. `seed=` repeats
 * a run (the seed is printed first). Ends with `hostile: ok` or
 * `hostile: FAIL ...`, then isa-debug-exit 0 (sprig exits 1).
 *
 * The device may write only where the descriptors say, and this guest
 * makes every writable buffer in RAM point into the upper half of
 * `scratch`: whatever the device does with the guest's garbage, it can
 * corrupt nothing but garbage. */
#include "guest.h"

#define QSIZE 16
#define QUEUES_MAX 3
#define DEVICES_MAX 8
#define SCRATCH (64 * 1024)
#define RING_SLOT 512  /* one queue's desc (256), avail (38), used (134) */
#define INDIRECT_AREA (DEVICES_MAX * QUEUES_MAX * RING_SLOT)
#define WRITABLE_FROM (SCRATCH / 2)
#define ID_RNG 4
#define ID_BLK 2
#define ID_NET 1
#define ID_VSOCK 19
#define F_INDIRECT (1u << 28)
#define F_EVENT_IDX (1u << 29)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct ring {
	struct desc *desc;
	volatile uint16_t *avail;  /* flags, idx, ring[QSIZE], used_event */
	volatile uint16_t *used;   /* flags, idx, then { u32 id, len }[QSIZE], avail_event */
};

struct device {
	uint64_t window;
	uint32_t id;
	unsigned queues;
	unsigned resets;           /* device errors seen and reset */
};

static uint8_t scratch[SCRATCH] __attribute__((aligned(4096)));
static struct device devices[DEVICES_MAX];
static unsigned device_count;
static uint64_t state;
static volatile uint64_t ap_count;

/* The well-behaved side: rings and buffers no hostile descriptor reaches. */
static struct desc clean_desc[QUEUES_MAX][QSIZE] __attribute__((aligned(16)));
static uint16_t clean_avail[QUEUES_MAX][QSIZE + 3] __attribute__((aligned(4)));
static uint16_t clean_used[QUEUES_MAX][2 + 4 * QSIZE + 2] __attribute__((aligned(8)));  /* rows 4-aligned */
static uint8_t clean_buffer[QSIZE][512] __attribute__((aligned(64)));

static __attribute__((noreturn)) void finish(const char *line)
{
	print("hostile: %s\n", line);
	outb(0xf4, 0);
	halt_forever();
}

static uint64_t next_random(void)
{
	state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n) { return n ? next_random() % n : 0; }

static struct ring hostile_ring(unsigned device, unsigned queue)
{
	uint8_t *slot = scratch + (device * QUEUES_MAX + queue) * RING_SLOT;
	return (struct ring){ (struct desc *)slot, (volatile uint16_t *)(slot + 256),
			      (volatile uint16_t *)(slot + 320) };
}

/* A buffer address and length, of one of the kinds a broken or hostile
 * driver offers. Writable ones that land in RAM land in scratch's upper
 * half; readable ones anywhere in scratch; `outside` ones never in RAM
 * (an indirect table the device would read from what it wrote itself
 * could send it anywhere). RAM is below 2 GiB (guest_main checks). */
static void wild_buffer(struct desc *d, uint64_t window, bool outside)
{
	bool writable = d->flags & 2;
	uint64_t ram = boot_info.ram_bytes, from = writable ? WRITABLE_FROM : 0;
	switch (outside ? 2 + below(6) : below(8)) {
	case 0:
	case 1: {
		uint64_t off = from + below(SCRATCH - from);
		d->addr = (uint64_t)scratch + off;
		d->len = (uint32_t)below(SCRATCH - off + 1);
		break;
	}
	case 2: d->addr = ram - 1 - below(64), d->len = (uint32_t)(65 + below(8192)); break;  /* straddles */
	case 3: d->addr = ram + below(1ull << 40), d->len = (uint32_t)below(1u << 16); break;
	case 4: d->addr = ~0ull - below(4096), d->len = (uint32_t)(4097 + below(4096)); break;  /* wraps */
	case 5: d->addr = window + below(4096), d->len = (uint32_t)below(512); break;   /* MMIO */
	case 6: d->addr = 1ull << (32 + below(32)), d->len = 0xffffffffu >> below(32); break;
	default: d->addr = (uint64_t)scratch + from, d->len = 0xffffffffu - (uint32_t)below(4096);  /* past RAM */
	}
}

/* One descriptor of any shape; an indirect one points at a table of
 * `count` more in the indirect area, each as wild (nested ones too). */
static void wild_descriptor(struct desc *d, uint64_t window, unsigned depth)
{
	d->flags = (uint16_t)(below(8) | (below(16) ? 0 : next_random() & 0xfff8));
	d->next = (uint16_t)(below(8) ? below(QSIZE) : next_random());
	if (!(d->flags & 4)) {
		wild_buffer(d, window, false);
		return;
	}
	/* Nested tables are rarer: each costs dozens of descriptors to
	 * write, and a guest under emulation (kvm-pvm) pays for every one. */
	if (depth >= 2 || !below(4) || (depth == 1 && below(8))) {
		wild_buffer(d, window, true);
		return;
	}
	unsigned count = 1 + (unsigned)below(32);
	uint64_t off = below(WRITABLE_FROM - INDIRECT_AREA - count * sizeof(struct desc));
	struct desc *table = (struct desc *)(scratch + INDIRECT_AREA + (off & ~15ull));
	for (unsigned i = 0; i < count; i++)
		wild_descriptor(&table[i], window, depth + 1);
	d->addr = (uint64_t)table;
	uint64_t room = WRITABLE_FROM - (uint64_t)((uint8_t *)table - scratch);  /* never into written data */
	switch (below(4)) {
	case 0: d->len = (uint32_t)below(room + 1); break;
	case 1: d->len = (uint32_t)next_random() | 0x80000000u; break;  /* past RAM */
	default: d->len = count * (uint32_t)sizeof(struct desc);
	}
}

/* By the TSC, not by counting pauses: a guest whose instructions are
 * emulated (kvm-pvm) would otherwise wait thousands of times longer. */
static void wait_cycles(uint64_t cycles)
{
	uint64_t start = rdtsc();
	while (rdtsc() - start < cycles)
		cpu_relax();
}

/* Reset and set every queue up on `rings` (hostile or clean); the
 * features the device offers of INDIRECT and EVENT_IDX are taken. */
static bool bring_up(struct device *dev, bool clean, unsigned index)
{
	if (!virtio_negotiate(dev->window, F_INDIRECT | F_EVENT_IDX))
		finish("FAIL no VERSION_1, or FEATURES_OK refused");
	for (unsigned q = 0; q < dev->queues; q++) {
		uint64_t desc, avail, used;
		if (clean) {
			memset(clean_desc[q], 0, sizeof(clean_desc[q]));
			memset(clean_avail[q], 0, sizeof(clean_avail[q]));
			memset(clean_used[q], 0, sizeof(clean_used[q]));
			desc = (uint64_t)clean_desc[q], avail = (uint64_t)clean_avail[q], used = (uint64_t)clean_used[q];
		} else {
			struct ring r = hostile_ring(index, q);
			memset(r.desc, 0, RING_SLOT);
			desc = (uint64_t)r.desc, avail = (uint64_t)r.avail, used = (uint64_t)r.used;
		}
		if (!virtio_queue(dev->window, q, QSIZE, desc, avail, used))
			finish("FAIL a queue of 16 refused");
	}
	return virtio_driver_ok(dev->window);
}

/* One round against one device: some descriptors rewritten, the avail
 * ring moved in a hostile way, a notification. */
static void hostile_round(struct device *dev, unsigned index)
{
	unsigned q = (unsigned)below(dev->queues);
	struct ring r = hostile_ring(index, q);
	for (unsigned i = 0; i < QSIZE; i++)
		if (below(2))
			wild_descriptor(&r.desc[i], dev->window, 0);
	unsigned offered = 1 + (unsigned)below(4);
	for (unsigned i = 0; i < offered; i++)
		r.avail[2 + (r.avail[1] + i) % QSIZE] = (uint16_t)(below(8) ? below(QSIZE) : next_random());
	r.avail[2 + QSIZE] = (uint16_t)next_random();  /* used_event */
	r.avail[0] = (uint16_t)below(2);               /* NO_INTERRUPT or not */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	switch (below(8)) {
	case 0: r.avail[1] = (uint16_t)(r.avail[1] + QSIZE + 1 + below(0x8000)); break;  /* past the ring */
	case 1: r.avail[1] = (uint16_t)(r.avail[1] - 1 - below(QSIZE)); break;           /* backwards */
	default: r.avail[1] = (uint16_t)(r.avail[1] + offered);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	unsigned storm = below(16) ? 1 : 200;
	for (unsigned i = 0; i < storm; i++)
		virtio_wr(dev->window, VIRTIO_QUEUE_NOTIFY, below(8) ? q : (uint32_t)next_random());
	if (!below(32)) {  /* a stray register write, live */
		static const uint32_t regs[] = { VIRTIO_QUEUE_SEL, VIRTIO_QUEUE_NUM, VIRTIO_QUEUE_READY,
						 VIRTIO_QUEUE_DESC, VIRTIO_STATUS, VIRTIO_DRIVER_FEATURES,
						 VIRTIO_INTERRUPT_ACK, VIRTIO_CONFIG + 8 };
		virtio_wr(dev->window, regs[below(8)], (uint32_t)next_random());
	}
	wait_cycles(below(2000) * 128);  /* about what 2000 pauses take */
	uint32_t status = virtio_rd(dev->window, VIRTIO_STATUS);
	if ((status & 0x40) || !(status & 4)) {
		dev->resets += (status & 0x40) != 0;
		bring_up(dev, false, index);
	}
}

/* --- one good request per kind, on the clean rings */

static bool wait_used(struct device *dev, unsigned q, uint16_t want)
{
	for (uint64_t spins = 0; spins < 50000000ull; spins++) {
		if (*(volatile uint16_t *)&clean_used[q][1] == want)
			return true;
		if (virtio_rd(dev->window, VIRTIO_STATUS) & 0x40)
			return false;
		cpu_relax();
	}
	return false;
}

static void offer(struct device *dev, unsigned q, uint16_t head)
{
	uint16_t idx = clean_avail[q][1];
	clean_avail[q][2 + idx % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*(volatile uint16_t *)&clean_avail[q][1] = (uint16_t)(idx + 1);
	clean_avail[q][2 + QSIZE] = (uint16_t)(idx + 1);  /* used_event: at once */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	virtio_wr(dev->window, VIRTIO_QUEUE_NOTIFY, q);
}

static bool rng_answers(struct device *dev)
{
	clean_desc[0][0] = (struct desc){ (uint64_t)clean_buffer[0], 64, 2, 0 };
	offer(dev, 0, 0);
	return wait_used(dev, 0, 1);
}

static bool blk_answers(struct device *dev)
{
	static struct { uint32_t type, reserved; uint64_t sector; } header;
	static uint8_t status;
	header.type = 0, header.sector = 0, status = 0xff;
	clean_desc[0][0] = (struct desc){ (uint64_t)&header, 16, 1, 1 };
	clean_desc[0][1] = (struct desc){ (uint64_t)clean_buffer[0], 512, 1 | 2, 2 };
	clean_desc[0][2] = (struct desc){ (uint64_t)&status, 1, 2, 0 };
	offer(dev, 0, 0);
	return wait_used(dev, 0, 1) && status == 0;
}

/* A broadcast frame (zero vnet header, zero ARP body) on the transmit
 * queue: the device must take it, whatever the tap then does with it. */
static bool net_answers(struct device *dev)
{
	uint8_t *frame = clean_buffer[2];
	memset(frame, 0, 12 + 60);
	memset(frame + 12, 0xff, 6);
	frame[12 + 12] = 0x08, frame[12 + 13] = 0x06;
	clean_desc[1][0] = (struct desc){ (uint64_t)frame, 12 + 60, 0, 0 };
	offer(dev, 1, 0);
	return wait_used(dev, 1, 1);
}

/* A connection request to a host port nobody listens on: the device must
 * answer with a reset (op 3) in the receive queue. */
static bool vsock_answers(struct device *dev)
{
	struct __attribute__((packed)) vsock_header {
		uint64_t src_cid, dst_cid;
		uint32_t src_port, dst_port, len;
		uint16_t type, op;
		uint32_t flags, buf_alloc, fwd_cnt;
	};
	static struct vsock_header request;
	uint64_t cid = virtio_rd(dev->window, VIRTIO_CONFIG) | (uint64_t)virtio_rd(dev->window, VIRTIO_CONFIG + 4) << 32;
	memset(clean_buffer[1], 0, 512);
	clean_desc[0][0] = (struct desc){ (uint64_t)clean_buffer[1], 512, 2, 0 };
	offer(dev, 0, 0);
	request = (struct vsock_header){ cid, 2, 50000, 59999, 0, 1, 1, 0, 65536, 0 };
	clean_desc[1][0] = (struct desc){ (uint64_t)&request, sizeof(request), 0, 0 };
	offer(dev, 1, 0);
	if (!wait_used(dev, 1, 1) || !wait_used(dev, 0, 1))
		return false;
	struct vsock_header answer;
	memcpy(&answer, clean_buffer[1], sizeof(answer));
	return answer.op == 3 && answer.dst_port == 50000 && answer.src_port == 59999;
}

static bool answers(struct device *dev)
{
	if (!bring_up(dev, true, 0))
		return false;
	bool ok = dev->id == ID_RNG ? rng_answers(dev) : dev->id == ID_BLK ? blk_answers(dev)
		: dev->id == ID_NET ? net_answers(dev) : vsock_answers(dev);
	virtio_wr(dev->window, VIRTIO_STATUS, 0);  /* nothing of the clean rings stays in use */
	return ok;
}

static void check_answers(struct device *dev, unsigned index, unsigned round)
{
	if (answers(dev))
		return;
	print("hostile: device %u (type %u at 0x%lx) did not answer a good request after round %u, status 0x%x\n",
	      index, dev->id, dev->window, round, virtio_rd(dev->window, VIRTIO_STATUS));
	finish("FAIL a device stopped serving");
}

/* --- the second vCPU counts; the first checks it never stopped */

void ap_main(uint32_t apic_id)
{
	(void)apic_id;
	for (;;)
		__atomic_add_fetch(&ap_count, 1, __ATOMIC_RELAXED);
}

static bool start_counting_cpu(void)
{
	static uint32_t ids[8];
	uint64_t lapic;
	unsigned cpus = acpi_find_cpus(ids, 8, &lapic);
	if (cpus < 2 || !smp_start_aps(ids, 2, lapic))
		return false;
	uint64_t start = rdtsc();
	while (!__atomic_load_n(&ap_count, __ATOMIC_RELAXED) && rdtsc() - start < (1ull << 34))
		cpu_relax();
	return __atomic_load_n(&ap_count, __ATOMIC_RELAXED) != 0;
}

static void find_devices(void)
{
	static const uint32_t kinds[] = { ID_RNG, ID_BLK, ID_NET, ID_VSOCK };
	static const unsigned queues[] = { 1, 1, 2, 3 };
	for (unsigned k = 0; k < 4; k++) {
		uint64_t window;
		for (unsigned n = 0; device_count < DEVICES_MAX && (window = virtio_find(kinds[k], n)); n++)
			devices[device_count++] = (struct device){ window, kinds[k], queues[k], 0 };
	}
	if (!device_count)
		finish("FAIL no virtio-rng, virtio-blk, virtio-net or virtio-vsock device");
}

void guest_main(void)
{
	const char *cmdline = boot_info.cmdline;
	const char *seed = cmdline ? cmdline_value(cmdline, "seed") : NULL;
	const char *rounds_text = cmdline ? cmdline_value(cmdline, "rounds") : NULL;
	uint64_t rounds = rounds_text ? parse_u64(rounds_text) : 2000;
	state = seed ? parse_u64(seed) : rdtsc();
	state = state ? state : 1;
	print("hostile: seed %lu\n", state);
	if (boot_info.ram_bytes >= (2ull << 30))
		finish("FAIL run with less than 2 GiB of RAM: the wild addresses must miss it");
	find_devices();
	bool counting = start_counting_cpu();
	print("hostile: %u devices, %lu rounds, second vCPU %s\n", device_count, rounds,
	      counting ? "counting" : "absent");
	for (unsigned i = 0; i < device_count; i++)
		check_answers(&devices[i], i, 0);
	for (unsigned i = 0; i < device_count; i++)
		bring_up(&devices[i], false, i);
	uint64_t ap_before = ap_count;
	for (unsigned round = 1; round <= rounds; round++) {
		unsigned i = (unsigned)below(device_count);
		hostile_round(&devices[i], i);
		if (round % 64 == 0) {
			unsigned j = (unsigned)below(device_count);
			check_answers(&devices[j], j, round);
			bring_up(&devices[j], false, j);
		}
	}
	if (counting && ap_count == ap_before)
		finish("FAIL the second vCPU stopped counting");
	for (unsigned i = 0; i < device_count; i++) {
		check_answers(&devices[i], i, (unsigned)rounds);
		print("hostile: device %u (type %u): %u device errors, each reset; serves\n", i, devices[i].id,
		      devices[i].resets);
	}
	finish("ok");
}
