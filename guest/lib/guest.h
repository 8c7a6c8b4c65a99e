/* The guests' tiny runtime: port I/O, console, boot info, ACPI, SMP, IDT,
 * interrupts. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* console.c: COM1, one line at a time under a lock shared by all CPUs.
 * The lock is re-entrant per CPU: an exception handler's print that
 * interrupts its CPU's own print comes out whole after the interrupted
 * line. A handler that will never return calls console_abandon() first
 * (it ends an interrupted line and lets go of the lock). */
void console_lock(void);
void console_unlock(void);
void console_abandon(void);
void console_write(const char *s, size_t n);
void print(const char *format, ...);  /* %s %c %d %u %x %lx %lu %%, locked */

/* string.c: what the compiler may call, and a few helpers. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
const char *cmdline_value(const char *cmdline, const char *key);  /* "key=..." or NULL */
uint64_t parse_u64(const char *s);

/* cksum.c: what `cksum FILE` prints first. */
uint32_t posix_cksum(const uint8_t *data, uint64_t size);

/* boot_info.c: what the VMM handed over (PVH hvm_start_info, or the
 * Linux zero page in the bzImage build). */
struct boot_info {
	const char *cmdline;
	uint64_t rsdp;
	uint64_t ram_bytes;
	unsigned memmap_entries;
	uint64_t start_info;       /* or the zero page */
	uint64_t initrd, initrd_size;
	bool linux;                /* entered through the Linux boot protocol */
};
extern struct boot_info boot_info;
bool boot_info_read(uint64_t start_info);
bool boot_info_read_linux(uint64_t zero_page);
void boot_info_reset(void);
void boot_info_print_memmap(void);
bool boot_info_overlaps(uint64_t start, uint64_t end);

/* acpi.c: local APIC ids from the MADT (or the MP table); ACPI power. */
unsigned acpi_find_cpus(uint32_t *apic_ids, unsigned max, uint64_t *lapic_base);
unsigned acpi_mp_table_cpus(uint32_t *apic_ids, unsigned max);
/* Through the FADT's sleep control (with \_S5's type) and reset registers;
 * false if the tables offer no way, else they return only if the VMM
 * ignored the write. */
bool acpi_power_off(void);
bool acpi_reset(void);

/* smp.c: wake every AP through the local APIC; returns how many came up. */
unsigned smp_start_aps(const uint32_t *apic_ids, unsigned count, uint64_t lapic_base);
uint32_t this_apic_id(void);

/* idt.c, idt_stubs.S: one IDT (256 gates) for every CPU. idt_load()
 * builds it the first time and loads it on the calling CPU; guests that
 * never call it keep running without one (an exception triple-faults).
 * A vector with no handler prints `guest: exception V at rip 0x...` and
 * halts that CPU; a handler that returns resumes the interrupted code
 * with iretq (a #MC handler may, if MCG_STATUS.RIPV allows). Handlers run
 * with interrupts off, on the interrupted stack. */
#define IDT_VECTORS 256
#define VECTOR_MC 18
struct idt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;  /* error_code 0 where the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss;
};
typedef void (*idt_handler)(unsigned vector, uint64_t error_code, struct idt_frame *frame);
void idt_load(void);
void idt_set_handler(unsigned vector, idt_handler fn);  /* NULL: back to the default */

/* irq.c: route ISA interrupt `pin` through the IOAPIC to `vector` on this
 * CPU (8259s masked, local APIC on); handlers end with irq_eoi(). */
void irq_route_isa(unsigned pin, unsigned vector);
void irq_eoi(void);
static inline void irq_enable(void) { __asm__ volatile("sti"); }
static inline void irq_disable(void) { __asm__ volatile("cli"); }
/* Halt until `ready()` holds, with interrupts on only while halted. */
void halt_until(bool (*ready)(void));

/* uart_input.c: COM1 input by interrupt. start returns once a THR-empty
 * interrupt has come; line blocks (halted) for the next non-empty line. */
void uart_input_start(void);
unsigned uart_input_line(char *line, unsigned size);
void uart_input_counts(unsigned *rx_interrupts, unsigned *thre_interrupts);

/* virtio_mmio.c: sprig's virtio-mmio windows, 0xd0001000 + 4 KiB x n. */
#define VIRTIO_WINDOWS 8
enum {
	VIRTIO_MAGIC = 0x000, VIRTIO_VERSION = 0x004, VIRTIO_DEVICE_ID = 0x008,
	VIRTIO_DEVICE_FEATURES = 0x010, VIRTIO_DEVICE_FEATURES_SEL = 0x014,
	VIRTIO_DRIVER_FEATURES = 0x020, VIRTIO_DRIVER_FEATURES_SEL = 0x024,
	VIRTIO_QUEUE_SEL = 0x030, VIRTIO_QUEUE_NUM_MAX = 0x034, VIRTIO_QUEUE_NUM = 0x038,
	VIRTIO_QUEUE_READY = 0x044, VIRTIO_QUEUE_NOTIFY = 0x050, VIRTIO_INTERRUPT_STATUS = 0x060,
	VIRTIO_INTERRUPT_ACK = 0x064, VIRTIO_STATUS = 0x070, VIRTIO_QUEUE_DESC = 0x080,
	VIRTIO_QUEUE_DRIVER = 0x090, VIRTIO_QUEUE_DEVICE = 0x0a0, VIRTIO_CONFIG = 0x100,
};
uint32_t virtio_rd(uint64_t window, uint32_t reg);
void virtio_wr(uint64_t window, uint32_t reg, uint32_t value);
/* The window of the nth (from 0) device of type `device_id`, or 0. */
uint64_t virtio_find(uint32_t device_id, unsigned nth);
/* Reset, then VERSION_1 and those of `features` (bits 0-31) the device
 * offers; false when it offers no VERSION_1 or refuses FEATURES_OK. */
bool virtio_negotiate(uint64_t window, uint32_t features);
bool virtio_queue(uint64_t window, unsigned index, unsigned size, uint64_t desc, uint64_t avail,
		  uint64_t used);
/* DRIVER_OK; false if the device then says NEEDS_RESET. */
bool virtio_driver_ok(uint64_t window);

/* end.c: the microVM way to stop: i8042 reset, then isa-debug-exit. */
void reset_machine(void) __attribute__((noreturn));
void debug_exit(uint8_t value) __attribute__((noreturn));

/* Each guest provides these. */
void guest_main(void);
void ap_main(uint32_t apic_id);

#endif
