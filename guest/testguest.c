/* A guest that misbehaves on request (`action=...` on the command line),
 * so the VMM's handling of each case can be tested. */
#include "lib/guest.h"

static void triple_fault(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } empty = { 0, 0 };
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
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

void ap_main(uint32_t apic_id)
{
	(void)apic_id;
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
	} else if (!strncmp(action, "triplefault", 11)) {
		print("testguest: triple fault\n");
		triple_fault();
	} else if (!strncmp(action, "spin", 4)) {
		print("testguest: spinning\n");
		for (;;)
			cpu_relax();
	} else if (!strncmp(action, "flood", 5)) {
		for (uint64_t i = 0;; i++)
			print("testguest: flood line %lu, enough text to fill a pipe quickly\n", i);
	} else if (!strncmp(action, "halt", 4)) {
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
	} else if (!strncmp(action, "wild", 4)) {
		print("testguest: wild\n");
		wild_access();
	} else {
		print("testguest: unknown action\n");
		debug_exit(2);
	}
}
