/* A guest that misbehaves on request (`action=...` on the command line),
 * so the VMM's handling of each case can be tested. `halt`, `spin` and
 * `count` keep every vCPU busy that way; the other actions leave the APs
 * waiting for their SIPI. */
#include "lib/guest.h"

/* With no IDT any exception becomes #DF, then a shutdown. The trigger
 * is selectable because emulating hosts differ in what they can deliver
 * (docs/host-notes.md): ud2 by default, int3 or a #GP on request. */
static void triple_fault(const char *how)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } empty = { 0, 0 };
	if (!strncmp(how, "int3", 4))
		__asm__ volatile("lidt %0; int3" ::"m"(empty));
	else if (!strncmp(how, "gp", 2))
		__asm__ volatile("lidt %0; movq (%1), %%rax" ::"m"(empty), "r"(0x8000000000000000ull) : "rax");
	else
		__asm__ volatile("lidt %0; ud2" ::"m"(empty));
}

static void bad_ports(void)
{
	uint16_t w;
	uint32_t l;
	__asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"((uint16_t)0x5678));
	__asm__ volatile("inl %1, %0" : "=a"(l) : "Nd"((uint16_t)0x9abc));
	outb(0x1234, 0x55);
	print("testguest: port 0x1234 reads 0x%x, 0x5678 reads 0x%x, 0x9abc reads 0x%x\n",
	      inb(0x1234), w, l);
}

static void wild_access(void)
{
	/* Inside the MMIO gap, where no device lives. */
	volatile uint32_t *nowhere = (volatile uint32_t *)0xe0001000ull;
	*nowhere = 0xdeadbeef;
	print("testguest: wild read 0x%x\n", *nowhere);
}

/* Reproducers for instructions a host's emulator may not handle
 * (docs/host-notes.md): each runs only where CPUID offers it. */
static void try_cmpxchg16b(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 13))) {
		print("testguest: cx16 not offered\n");
		return;
	}
	static uint64_t pair[2] __attribute__((aligned(16))) = { 1, 2 };
	uint64_t lo = 1, hi = 2;
	uint8_t swapped;
	__asm__ volatile("lock cmpxchg16b %1; sete %0"
			 : "=q"(swapped), "+m"(pair), "+a"(lo), "+d"(hi)
			 : "b"(3ull), "c"(4ull)
			 : "memory", "cc");
	print("testguest: cmpxchg16b %s\n", swapped && pair[0] == 3 && pair[1] == 4 ? "ok" : "wrong");
}

static void try_xsave(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 26))) {
		print("testguest: xsave not offered\n");
		return;
	}
	static uint8_t area[4096] __attribute__((aligned(64)));
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1ull << 18) | (1ull << 9)));  /* OSXSAVE, OSFXSR */
	__asm__ volatile("xsetbv" ::"c"(0), "a"(3), "d"(0));                     /* x87 | SSE */
	__asm__ volatile("xsave %0" : "+m"(area) : "a"(3), "d"(0) : "memory");
	__asm__ volatile("xrstor %0" ::"m"(area), "a"(3), "d"(0) : "memory");
	cpuid(1, 0, r);
	print("testguest: xsave/xrstor ok, osxsave %u\n", (r[2] >> 27) & 1);
}

/* What the APs do: nothing (they are not started) unless the action
 * asks for every vCPU, for `halt`, `spin` and `count`. */
enum ap_mode { AP_HALT = 1, AP_SPIN, AP_COUNT };
static int ap_mode;
static uint32_t aps_in_place;
/* One counter per vCPU, each on its own cache line; the BSP's is [0]. */
static struct {
	volatile uint64_t n;
} __attribute__((aligned(64))) counters[MAX_CPUS];
static uint32_t next_counter = 1;

void ap_main(uint32_t apic_id)
{
	(void)apic_id;
	switch (__atomic_load_n(&ap_mode, __ATOMIC_ACQUIRE)) {
	case AP_HALT:
		__atomic_add_fetch(&aps_in_place, 1, __ATOMIC_SEQ_CST);
		halt_forever();
	case AP_SPIN:
		__atomic_add_fetch(&aps_in_place, 1, __ATOMIC_SEQ_CST);
		for (;;)
			cpu_relax();
	case AP_COUNT: {
		uint32_t i = __atomic_fetch_add(&next_counter, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&aps_in_place, 1, __ATOMIC_SEQ_CST);
		if (i >= MAX_CPUS)
			halt_forever();
		for (;;)
			counters[i].n++;
	}
	}
}

/* Start every AP in `mode`, wait (bounded) until each is in its loop and
 * say how many vCPUs there are. */
static void all_cpus(enum ap_mode mode)
{
	__atomic_store_n(&ap_mode, mode, __ATOMIC_RELEASE);
	static uint32_t ids[MAX_CPUS];
	uint64_t lapic;
	unsigned cpus = acpi_find_cpus(ids, MAX_CPUS, &lapic);
	unsigned up = smp_start_aps(ids, cpus, lapic);
	uint64_t start = rdtsc();
	while (__atomic_load_n(&aps_in_place, __ATOMIC_SEQ_CST) < up && rdtsc() - start < (1ull << 34))
		cpu_relax();
	print("testguest: cpus %u\n", 1 + __atomic_load_n(&aps_in_place, __ATOMIC_SEQ_CST));
}

/* How many APs counted since the last look. */
static unsigned aps_moving(void)
{
	static uint64_t seen[MAX_CPUS];
	unsigned moving = 0, aps = __atomic_load_n(&aps_in_place, __ATOMIC_SEQ_CST);
	for (unsigned i = 1; i <= aps && i < MAX_CPUS; i++) {
		uint64_t now = counters[i].n;
		moving += now != seen[i];
		seen[i] = now;
	}
	return moving;
}

/* The BSP counts too, and prints its count every 2^every iterations, or
 * after 2^26 TSC ticks (some 25 ms) without a line: hosts that emulate
 * the guest run the loop thousands of times slower (docs/host-notes.md),
 * and a test waiting for the console to move must not wait for minutes.
 * Each line says how many APs counted since the one before (a snapshot
 * restored must bring every vCPU back). */
static void count(void)
{
	const char *every = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "every") : NULL;
	uint64_t k = every ? parse_u64(every) : 20;
	uint64_t mask = (1ull << (k < 63 ? k : 63)) - 1;
	all_cpus(AP_COUNT);
	uint64_t last = rdtsc();
	aps_moving();
	for (uint64_t n = 1;; n++) {
		counters[0].n = n;
		if (!(n & mask) || (!(n & 255) && rdtsc() - last > (1ull << 26))) {
			unsigned moving = aps_moving();
			print("testguest: count %lu, %u of %u APs counting\n", n, moving,
			      __atomic_load_n(&aps_in_place, __ATOMIC_SEQ_CST));
			last = rdtsc();
		}
	}
}

/* `latch wait=K`: say so, wait 2^K TSC ticks (default 32) without
 * looking at COM1, then print what its receive FIFO holds: bytes that
 * arrived meanwhile wait in the UART (a snapshot must keep them). */
static void latch(void)
{
	const char *wait = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "wait") : NULL;
	uint64_t k = wait ? parse_u64(wait) : 32;
	/* FIFO on and the receive interrupt enabled (sprig's COM1 takes host
	 * input only for a listening driver); this CPU's interrupts stay off. */
	outb(0x3f8 + 2, 0x07);
	outb(0x3f8 + 1, 0x01);
	print("testguest: latch waiting\n");
	uint64_t start = rdtsc();
	while (rdtsc() - start < (1ull << (k < 62 ? k : 62)))
		cpu_relax();
	char got[17];
	unsigned n = 0;
	while (n < 16 && (inb(0x3f8 + 5) & 1))
		got[n++] = (char)inb(0x3f8);
	got[n] = 0;
	print("testguest: latched %u bytes: '%s'\n", n, got);
	debug_exit(0);
}

/* Boots counted in RAM that survives a reset in place (on-reboot =
 * restart keeps RAM, as a PC does), at 8 MiB, clear of the guest image. A
 * page the VMM replaced (it was poisoned) starts the count again. */
#define BOOTS_MAGIC 0x73746f6f62677073ull  /* "spgboots" */
static void count_boots(const char *cmdline)
{
	volatile uint64_t *page = (volatile uint64_t *)0x800000ull;
	if (page[0] != BOOTS_MAGIC) {
		page[0] = BOOTS_MAGIC;
		page[1] = 0;
	}
	uint64_t boots = ++page[1];
	print("testguest: boot %lu\n", boots);
	const char *until = cmdline_value(cmdline, "until");
	if (until && boots >= parse_u64(until))
		debug_exit((uint8_t)boots);
	const char *then = cmdline_value(cmdline, "then");
	if (then && !strncmp(then, "spin", 4))
		for (;;)
			cpu_relax();
	/* Returning resets the machine. */
}

/* The i8042 keyboard by interrupt (IRQ 1): print the first 8 bytes it
 * sends, as the host's Ctrl-Alt-Del (QMP send-key) makes them. */
static volatile uint8_t keys[8];
static volatile unsigned key_count;

static void on_keyboard(unsigned vector, uint64_t error_code, struct idt_frame *frame)
{
	(void)vector, (void)error_code, (void)frame;
	while (inb(0x64) & 1) {
		uint8_t byte = inb(0x60);
		if (key_count < 8)
			keys[key_count++] = byte;
	}
	irq_eoi();
}

static bool all_keys_in(void)
{
	return key_count == 8;
}

static void keyboard(void)
{
	idt_load();
	idt_set_handler(0x21, on_keyboard);
	irq_route_isa(1, 0x21);
	outb(0x64, 0xaa);
	while (!(inb(0x64) & 1))
		cpu_relax();
	print("testguest: i8042 self test 0x%x\n", inb(0x60));
	print("testguest: keyboard ready\n");
	halt_until(all_keys_in);
	print("testguest: keys %x %x %x %x %x %x %x %x\n", keys[0], keys[1], keys[2], keys[3], keys[4],
	      keys[5], keys[6], keys[7]);
	debug_exit(0);
}

/* Console input: each line comes back as "echo: LINE" until "quit". */
static void echo_input(void)
{
	char line[128];
	/* Said first, so a run that never sees THRE shows it got this far. */
	print("testguest: echo: waiting for the THR-empty interrupt\n");
	uart_input_start();
	print("testguest: thre interrupt\n");
	print("testguest: type lines, quit ends\n");
	while (uart_input_line(line, sizeof(line)) && strncmp(line, "quit", 5))
		print("echo: %s\n", line);
	unsigned rx, thre;
	uart_input_counts(&rx, &thre);
	print("testguest: rx interrupts %s\n", rx ? "seen" : "none");
	debug_exit(0);
}

void guest_main(void)
{
	const char *action = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "action") : NULL;
	if (!action)
		action = "";
	if (!strncmp(action, "exit:", 5)) {
		uint64_t n = parse_u64(action + 5);
		print("testguest: exit %lu\n", n);
		debug_exit((uint8_t)n);
	} else if (!strncmp(action, "boots", 5)) {
		count_boots(boot_info.cmdline);
	} else if (!strncmp(action, "triplefault", 11)) {
		/* A line without its newline: still buffered when the vCPU dies. */
		print("testguest: triple fault\ntestguest: last words");
		triple_fault(action[11] == ':' ? action + 12 : "ud2");
	} else if (!strncmp(action, "spin", 4)) {
		all_cpus(AP_SPIN);
		print("testguest: spinning\n");
		for (;;)
			cpu_relax();
	} else if (!strncmp(action, "flood", 5)) {
		for (uint64_t i = 0;; i++)
			print("testguest: flood line %lu, enough text to fill a pipe quickly\n", i);
	} else if (!strncmp(action, "halt", 4)) {
		all_cpus(AP_HALT);
		print("testguest: halting\n");
		halt_forever();
	} else if (!strncmp(action, "marker", 6)) {
		outb(0x3f0, 123);
		print("testguest: marker\n");
	} else if (!strncmp(action, "mmio-marker", 11)) {
		*(volatile uint8_t *)0xd0000000ull = 123;
		*(volatile uint8_t *)0xc0000000ull = 123;
		print("testguest: mmio marker\n");
	} else if (!strncmp(action, "reset", 5)) {
		print("testguest: reset\n");
	} else if (!strncmp(action, "badport", 7)) {
		bad_ports();
	} else if (!strncmp(action, "cx16", 4)) {
		try_cmpxchg16b();
	} else if (!strncmp(action, "xsave", 5)) {
		try_xsave();
	} else if (!strncmp(action, "count", 5)) {
		count();
	} else if (!strncmp(action, "latch", 5)) {
		latch();
	} else if (!strncmp(action, "poweroff", 8)) {
		print("testguest: acpi power off\n");
		print("testguest: acpi power off %s\n", acpi_power_off() ? "ignored" : "not offered");
		debug_exit(3);
	} else if (!strncmp(action, "acpi-reset", 10)) {
		print("testguest: acpi reset\n");
		print("testguest: acpi reset %s\n", acpi_reset() ? "ignored" : "not offered");
		debug_exit(3);
	} else if (!strncmp(action, "mptable", 7)) {
		uint32_t ids[256];
		unsigned n = acpi_mp_table_cpus(ids, 256);
		print("testguest: mp table cpus %u:", n);
		for (unsigned i = 0; i < n; i++)
			print(" %u", ids[i]);
		print("\n");
	} else if (!strncmp(action, "keyboard", 8)) {
		keyboard();
	} else if (!strncmp(action, "echo", 4)) {
		echo_input();
	} else if (!strncmp(action, "wild", 4)) {
		print("testguest: wild\n");
		wild_access();
	} else {
		print("testguest: unknown action\n");
		debug_exit(2);
	}
}
