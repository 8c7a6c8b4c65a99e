/* A virtio-mmio driver as small as it can be, for sprig's virtio devices
 * (`action=...` on the command line picks what it does):
 *   rng        negotiate, set up queue 0, read 64 random bytes three times
 *              and check they are neither constant nor repeated
 *   rng-irq    the same, waiting for the device's interrupt instead of
 *              polling the used ring
 *   rng-loop   offer a descriptor chain that loops: the device must set
 *              DEVICE_NEEDS_RESET and stop, not hang; then reset it and
 *              read again
 *   rng-wild   offer buffers outside RAM, then a queue whose rings are not
 *              in RAM, each followed by a reset and a good read
 *   storm      20000 notifications with nothing in the ring, then a read
 *   rng-later  `virtio: rng ready, waiting`, 2^32 TSC ticks, then 16
 *              random bytes printed (clones restored from a snapshot
 *              taken in the wait must print different ones)
 *   blk        the first virtio-blk disk: capacity, sector 0 as text, a
 *              sector written, flushed and read back, the serial, a read
 *              past the end (IOERR), an unknown request (UNSUPP); on a
 *              read-only disk the write must fail (IOERR): blk-ro ok
 *   blk-hold   as blk up to the flush, then `virtio: blk flushed, holding`
 *              and a halt: the host ends sprig (SIGTERM) and reads the image
 *   blk-bad    a request whose header is 8 bytes: NEEDS_RESET, then a
 *              reset and a good read
 *   blk-all    every virtio-blk disk in window order: its serial, size and
 *              sector 0 as text; with blk-all-break the first disk is
 *              broken (a short header) first and must stay so while the
 *              others serve, then come back after its reset
 * Each ends with a `virtio: ... ok` line or a `virtio: FAIL ...` line, then
 * isa-debug-exit 0 (sprig exits 1) either way. */
#include "guest.h"

#define FIRST_WINDOW 0xd0001000ull  /* sprig's virtio-mmio windows, 4 KiB apart, IRQ 5 up */
#define IRQ_PIN 5
#define IRQ_VECTOR 0x35
#define QSIZE 8


struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail __attribute__((aligned(4)));
static struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; }
	used __attribute__((aligned(8)));
static uint8_t buffers[3][64];
static uint16_t seen_used;
static volatile unsigned interrupts;

static bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned n)
{
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

static uint64_t window = FIRST_WINDOW;
static uint32_t rd(uint32_t reg) { return virtio_rd(window, reg); }
static void wr(uint32_t reg, uint32_t v) { virtio_wr(window, reg, v); }

/* The window of the first device of type `id`; false if there is none. */
static bool find_device(uint32_t id)
{
	window = virtio_find(id, 0);
	if (window)
		return true;
	window = FIRST_WINDOW;
	return false;
}

static __attribute__((noreturn)) void finish(const char *line)
{
	print("virtio: %s\n", line);
	outb(0xf4, 0);
	halt_forever();
}

/* Reset, negotiate VERSION_1 only, queue 0 at `rings` (0: ours). */
static bool bring_up(uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa)
{
	if (!virtio_negotiate(window, 0))
		finish("FAIL no VERSION_1, or FEATURES_OK refused");
	memset(descs, 0, sizeof(descs));
	memset(&avail, 0, sizeof(avail));
	memset(&used, 0, sizeof(used));
	seen_used = 0;
	if (!virtio_queue(window, 0, QSIZE, desc_gpa ? desc_gpa : (uint64_t)descs,
			  avail_gpa ? avail_gpa : (uint64_t)&avail, used_gpa ? used_gpa : (uint64_t)&used))
		finish("FAIL queue too small");
	return virtio_driver_ok(window);
}

static void offer(uint16_t head)
{
	avail.ring[avail.idx % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail.idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(VIRTIO_QUEUE_NOTIFY, 0);
}

/* Until the device used one more buffer (true) or said NEEDS_RESET. */
static bool wait_used(bool irq)
{
	for (uint64_t spins = 0; spins < 2000000000ull; spins++) {
		if (*(volatile uint16_t *)&used.idx != seen_used) {
			seen_used++;
			return true;
		}
		if (rd(VIRTIO_STATUS) & 0x40)
			return false;
		if (irq)
			__asm__ volatile("sti; hlt; cli");
		else
			cpu_relax();
	}
	finish("FAIL the device never answered");
}

static uint32_t read_random(unsigned which, bool irq)
{
	descs[0] = (struct desc){ (uint64_t)buffers[which], 64, 2, 0 };
	offer(0);
	if (!wait_used(irq))
		finish("FAIL a good request got NEEDS_RESET");
	return used.ring[(seen_used - 1) % QSIZE].len;
}

static void check_random(bool irq)
{
	for (unsigned i = 0; i < 3; i++)
		if (read_random(i, irq) != 64)
			finish("FAIL short read");
	unsigned same = 0;
	for (unsigned i = 1; i < 64; i++)
		same += buffers[0][i] == buffers[0][0];
	if (same == 63 || same_bytes(buffers[0], buffers[1], 64) || same_bytes(buffers[1], buffers[2], 64))
		finish("FAIL the bytes are not random");
	print("virtio: random %x %x %x %x\n", buffers[0][0], buffers[0][1], buffers[1][0], buffers[2][0]);
}

/* A request the device must refuse with NEEDS_RESET, then a good one. */
static void refused_then_good(const char *what)
{
	if (wait_used(false))
		finish("FAIL a bad chain was answered");
	print("virtio: %s: status 0x%x, needs reset\n", what, rd(VIRTIO_STATUS));
	if (!bring_up(0, 0, 0))
		finish("FAIL needs reset after a reset");
	check_random(false);
}

/* --- virtio-blk: a request is header, 512 bytes of data, status. */
static uint8_t sector[512], status_byte;
static struct { uint32_t type, reserved; uint64_t sector; } header;

static uint8_t blk_request(uint32_t type, uint64_t at, bool data_writable, uint32_t header_len)
{
	header.type = type, header.reserved = 0, header.sector = at;
	status_byte = 0xff;
	descs[0] = (struct desc){ (uint64_t)&header, header_len, 1, 1 };
	descs[1] = (struct desc){ (uint64_t)sector, sizeof(sector), (uint16_t)(1 | (data_writable ? 2 : 0)), 2 };
	descs[2] = (struct desc){ (uint64_t)&status_byte, 1, 2, 0 };
	offer(0);
	if (!wait_used(false))
		return 0xee;  /* NEEDS_RESET */
	return status_byte;
}

static void fill(uint8_t *p, unsigned n, uint8_t seed)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void blk_test(const char *action)
{
	if (!find_device(2))
		finish("FAIL no virtio-blk device");
	if (!bring_up(0, 0, 0))
		finish("FAIL blk needs reset right after setup");
	uint64_t capacity = rd(0x100) | (uint64_t)rd(0x104) << 32;
	wr(VIRTIO_DEVICE_FEATURES_SEL, 0);
	bool read_only = rd(VIRTIO_DEVICE_FEATURES) & (1u << 5);
	print("virtio: blk capacity %lu sectors%s\n", capacity, read_only ? ", read-only" : "");
	if (blk_request(0, 0, true, 16) != 0)
		finish("FAIL reading sector 0");
	sector[15] = 0;
	print("virtio: blk sector 0: %s\n", (const char *)sector);
	if (!strncmp(action, "blk-bad", 7)) {
		if (blk_request(0, 0, true, 8) != 0xee)
			finish("FAIL a request with an 8-byte header was served");
		print("virtio: short header: status 0x%x, needs reset\n", rd(VIRTIO_STATUS));
		if (!bring_up(0, 0, 0) || blk_request(0, 0, true, 16) != 0)
			finish("FAIL no good read after the reset");
		finish("blk-bad ok");
	}
	fill(sector, sizeof(sector), 42);
	uint8_t wrote = blk_request(1, 1, false, 16);
	if (read_only) {
		if (wrote != 1)
			finish("FAIL a write to a read-only disk was not refused with IOERR");
		finish("blk-ro ok");
	}
	if (wrote != 0 || blk_request(4, 0, false, 16) != 0)
		finish("FAIL write or flush");
	if (!strncmp(action, "blk-hold", 8)) {  /* the host ends sprig now */
		print("virtio: blk flushed, holding\n");
		halt_forever();
	}
	memset(sector, 0, sizeof(sector));
	if (blk_request(0, 1, true, 16) != 0)
		finish("FAIL reading sector 1 back");
	uint8_t want[512];
	fill(want, sizeof(want), 42);
	if (!same_bytes(sector, want, sizeof(want)))
		finish("FAIL sector 1 read back differs");
	memset(sector, 0, sizeof(sector));
	if (blk_request(8, 0, true, 16) != 0)
		finish("FAIL get-id");
	sector[20] = 0;
	print("virtio: blk serial '%s'\n", (const char *)sector);
	if (blk_request(0, capacity, true, 16) != 1)
		finish("FAIL a read past the end was not refused with IOERR");
	if (blk_request(99, 0, true, 16) != 2)
		finish("FAIL an unknown request was not UNSUPP");
	finish("blk ok");
}

/* Bring the disk in the current window up and print what it holds. */
static void blk_show(unsigned index)
{
	if (!bring_up(0, 0, 0))
		finish("FAIL a disk needs reset right after setup");
	memset(sector, 0, sizeof(sector));
	if (blk_request(8, 0, true, 16) != 0)
		finish("FAIL get-id");
	char serial[21];
	memcpy(serial, sector, 20);
	serial[20] = 0;
	if (blk_request(0, 0, true, 16) != 0)
		finish("FAIL reading sector 0");
	sector[15] = 0;
	print("virtio: disk %u at 0x%lx: serial '%s', %lu sectors, sector 0 '%s'\n", index, window, serial,
	      rd(0x100) | (uint64_t)rd(0x104) << 32, (const char *)sector);
}

static void blk_all(const char *action)
{
	uint64_t first = 0;
	unsigned disks = 0;
	for (unsigned i = 0; (window = virtio_find(2, i)); i++) {
		if (!first) {
			first = window;
			if (!strncmp(action, "blk-all-break", 13)) {
				if (!bring_up(0, 0, 0) || blk_request(0, 0, true, 8) != 0xee)
					finish("FAIL a request with an 8-byte header was served");
				print("virtio: disk 0 broken: status 0x%x\n", rd(VIRTIO_STATUS));
				disks++;
				continue;
			}
		}
		blk_show(disks++);
	}
	if (!disks)
		finish("FAIL no virtio-blk device");
	if (!strncmp(action, "blk-all-break", 13)) {
		window = first;
		if (!(rd(VIRTIO_STATUS) & 0x40))
			finish("FAIL the broken disk healed by itself");
		blk_show(0);
	}
	print("virtio: %u disks\n", disks);
	finish("blk-all ok");
}

static void on_irq(unsigned vector, uint64_t error_code, struct idt_frame *frame)
{
	(void)vector, (void)error_code, (void)frame;
	wr(VIRTIO_INTERRUPT_ACK, rd(VIRTIO_INTERRUPT_STATUS));
	interrupts++;
	irq_eoi();
}

/* One CPU does everything; APs are never started. */
void ap_main(uint32_t apic_id)
{
	(void)apic_id;
	halt_forever();
}

void guest_main(void)
{
	const char *action = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "action") : NULL;
	if (!action)
		action = "rng";
	if (!strncmp(action, "blk-all", 7))
		blk_all(action);
	if (!strncmp(action, "blk", 3))
		blk_test(action);
	if (rd(VIRTIO_MAGIC) != 0x74726976 || rd(VIRTIO_VERSION) != 2)
		finish("FAIL no virtio-mmio device at 0xd0001000");
	if (rd(VIRTIO_DEVICE_ID) != 4)
		finish("FAIL the device is not an entropy device");
	if (!bring_up(0, 0, 0))
		finish("FAIL needs reset right after setup");
	if (!strncmp(action, "rng-irq", 7)) {
		idt_load();
		idt_set_handler(IRQ_VECTOR, on_irq);
		irq_route_isa(IRQ_PIN, IRQ_VECTOR);
		check_random(true);
		/* An answer seen before the guest halted leaves its interrupt
		 * pending behind cli: let it in. */
		for (uint64_t spins = 0; !interrupts && spins < 100000000ull; spins++)
			__asm__ volatile("sti; pause; cli");
		if (!interrupts) {
			print("virtio: interrupt status 0x%x\n", rd(VIRTIO_INTERRUPT_STATUS));
			finish("FAIL no interrupt came");
		}
		print("virtio: %u interrupts\n", interrupts);
		finish("rng-irq ok");
	} else if (!strncmp(action, "rng-loop", 8)) {
		descs[0] = (struct desc){ (uint64_t)buffers[0], 64, 1 | 2, 1 };
		descs[1] = (struct desc){ (uint64_t)buffers[1], 64, 1 | 2, 0 };
		offer(0);
		refused_then_good("looping chain");
		finish("rng-loop ok");
	} else if (!strncmp(action, "rng-wild", 8)) {
		descs[0] = (struct desc){ 0xfffffffff000ull, 64, 2, 0 };
		offer(0);
		refused_then_good("buffer outside RAM");
		if (bring_up(0xc0000000ull, 0, 0))
			finish("FAIL rings outside RAM were accepted");
		print("virtio: rings outside RAM: status 0x%x, needs reset\n", rd(VIRTIO_STATUS));
		if (!bring_up(0, 0, 0))
			finish("FAIL needs reset after a reset");
		check_random(false);
		finish("rng-wild ok");
	} else if (!strncmp(action, "rng-later", 9)) {
		/* A snapshot taken in the wait, restored twice: each clone
		 * draws from its own host's getrandom, so they must differ. */
		print("virtio: rng ready, waiting\n");
		uint64_t start = rdtsc();
		while (rdtsc() - start < (1ull << 32))
			cpu_relax();
		if (read_random(0, false) != 64)
			finish("FAIL short read");
		print("virtio: drew");
		for (unsigned i = 0; i < 16; i++)
			print(" %x", buffers[0][i]);
		print("\n");
		finish("rng-later ok");
	} else if (!strncmp(action, "storm", 5)) {
		for (unsigned i = 0; i < 20000; i++)
			wr(VIRTIO_QUEUE_NOTIFY, 0);
		check_random(false);
		finish("storm ok");
	}
	check_random(false);
	finish("rng ok");
}
