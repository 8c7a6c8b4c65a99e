/* Interrupt-driven COM1 input, as Linux's 8250 driver takes it: FIFO on,
 * OUT2 set, receive and THR-empty interrupts on IRQ 4 through the IOAPIC.
 * The handler drains the FIFO into a ring the caller reads lines from;
 * it counts each kind of interrupt so a test can see they came. */
#include "guest.h"

#define COM1 0x3f8
#define COM1_VECTOR 0x24
#define RING 1024

static volatile uint8_t ring[RING];
static volatile unsigned ring_head, ring_tail;  /* head: the handler's, tail: the reader's */
static volatile unsigned rx_interrupts, thre_interrupts;

static void on_com1(unsigned vector, uint64_t error_code, struct idt_frame *frame)
{
	(void)vector, (void)error_code, (void)frame;
	for (uint8_t iir; !((iir = inb(COM1 + 2)) & 1);) {
		switch (iir & 0x0e) {
		case 0x04: case 0x0c:
			rx_interrupts++;
			while (ring_head - ring_tail < RING && (inb(COM1 + 5) & 1))
				ring[ring_head++ % RING] = inb(COM1);
			/* Full: leave the rest in the UART, which holds the host back,
			 * and stop its interrupt until the reader catches up. Input
			 * outranks THR-empty, so a fast host can fill the ring before
			 * that interrupt ever shows: keep it on until it has, and go
			 * on asking IIR, as the line stays up for it (no new edge). */
			if (ring_head - ring_tail == RING)
				outb(COM1 + 1, thre_interrupts ? 0 : 0x02);
			break;
		case 0x02: thre_interrupts++; break;
		case 0x06: inb(COM1 + 5); break;
		default: inb(COM1 + 6); break;
		}
	}
	irq_eoi();
}

static bool thre_seen(void) { return thre_interrupts > 0; }

/* Returns once the THR-empty interrupt has arrived; from then on only
 * received data interrupts. */
void uart_input_start(void)
{
	idt_load();
	idt_set_handler(COM1_VECTOR, on_com1);
	irq_route_isa(4, COM1_VECTOR);
	outb(COM1 + 2, 0x07);  /* FIFO on, both cleared */
	outb(COM1 + 4, 0x0b);  /* DTR, RTS, OUT2 */
	outb(COM1 + 1, 0x03);  /* RDI | THRI */
	halt_until(thre_seen);
	outb(COM1 + 1, 0x01);
}

static bool byte_ready(void)
{
	return ring_tail != ring_head;
}

/* One line (without its end) into `line`, NUL-terminated; a longer line
 * comes in pieces, empty lines (a CR LF pair's second half) are skipped.
 * Returns its length. */
unsigned uart_input_line(char *line, unsigned size)
{
	unsigned n = 0;
	while (n + 1 < size) {
		halt_until(byte_ready);
		uint8_t byte = ring[ring_tail++ % RING];
		if (ring_head - ring_tail == RING / 2)
			outb(COM1 + 1, 0x01);  /* room again: receive interrupts back on */
		if (byte != '\n' && byte != '\r')
			line[n++] = (char)byte;
		else if (n)
			break;
	}
	line[n] = 0;
	return n;
}

void uart_input_counts(unsigned *rx, unsigned *thre)
{
	*rx = rx_interrupts;
	*thre = thre_interrupts;
}
