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
	} else if (!strncmp(action, "wild", 4)) {
		print("testguest: wild\n");
		wild_access();
	} else {
		print("testguest: unknown action\n");
		debug_exit(2);
	}
}
