/* COM1, a 16550A as guests probe it: the register file behaves (scratch,
 * divisor latch, loopback-free), the transmitter is always ready, and output
 * goes to the console a line at a time. Input and interrupts come later. */
#include "bus.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

enum {
	REG_DATA = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NONE 0x01
#define IIR_FIFO 0xc0
#define MSR_CTS_DSR_DCD 0xb0

/* Power-on register values; buffered output is sent first. */
void uart_reset(struct uart *uart)
{
	uart_flush(uart);
	pthread_mutex_lock(&uart->lock);
	uart->ier = uart->lcr = uart->mcr = uart->scr = uart->fcr = uart->dll = uart->dlm = 0;
	pthread_mutex_unlock(&uart->lock);
}

void uart_init(struct uart *uart, int out_fd)
{
	pthread_mutex_init(&uart->lock, NULL);
	uart->out_fd = out_fd;
	uart->out_len = 0;
}

/* Called with the lock held. A console nobody reads must not wedge sprig:
 * a kick (EINTR) ends the attempt with the bytes kept for later, a console
 * that went away (EPIPE) drops them, and `wait_ms` >= 0 bounds how long
 * a full pipe may stall the caller. */
static void flush_locked(struct uart *uart, int wait_ms)
{
	unsigned done = 0;
	bool drop = false;
	while (done < uart->out_len) {
		struct pollfd ready = { .fd = uart->out_fd, .events = POLLOUT };
		if (wait_ms >= 0 && poll(&ready, 1, wait_ms) <= 0) {
			drop = true;
			break;
		}
		ssize_t n = write(uart->out_fd, uart->out + done, uart->out_len - done);
		if (n <= 0) {
			drop = n == 0 || (errno != EINTR && errno != EAGAIN);
			break;
		}
		done += (unsigned)n;
	}
	if (drop)
		done = uart->out_len;
	memmove(uart->out, uart->out + done, uart->out_len - done);
	uart->out_len -= done;
}

void uart_flush(struct uart *uart)
{
	pthread_mutex_lock(&uart->lock);
	flush_locked(uart, 100);
	pthread_mutex_unlock(&uart->lock);
}

static void transmit(struct uart *uart, uint8_t byte)
{
	if (uart->out_len == sizeof(uart->out))
		uart->out_len = 0;  /* the console is stuck: lose output, not the VM */
	uart->out[uart->out_len++] = (char)byte;
	if (byte == '\n' || uart->out_len == sizeof(uart->out))
		flush_locked(uart, -1);
}

static uint8_t read_reg(struct uart *uart, unsigned reg)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA: return dlab ? uart->dll : 0;
	case REG_IER: return dlab ? uart->dlm : uart->ier;
	case REG_IIR_FCR: return IIR_NONE | ((uart->fcr & 1) ? IIR_FIFO : 0);
	case REG_LCR: return uart->lcr;
	case REG_MCR: return uart->mcr;
	case REG_LSR: return LSR_THRE | LSR_TEMT;
	case REG_MSR: return MSR_CTS_DSR_DCD;
	default: return uart->scr;
	}
}

static void write_reg(struct uart *uart, unsigned reg, uint8_t v)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA: if (dlab) uart->dll = v; else transmit(uart, v); break;
	case REG_IER: if (dlab) uart->dlm = v; else uart->ier = v & 0x0f; break;
	case REG_IIR_FCR: uart->fcr = v & 0xc9; break;
	case REG_LCR: uart->lcr = v; break;
	case REG_MCR: uart->mcr = v & 0x1f; break;
	case REG_SCR: uart->scr = v; break;
	default: break;  /* LSR and MSR are read-only */
	}
}

void uart_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	struct uart *uart = &d->com1;
	pthread_mutex_lock(&uart->lock);
	/* Wider accesses touch consecutive registers, as on the ISA bus. */
	for (unsigned i = 0; i < size; i++) {
		unsigned reg = (unsigned)(offset + i);
		if (reg > REG_SCR) {
			if (!write)
				data[i] = 0xff;
		} else if (write) {
			write_reg(uart, reg, data[i]);
		} else {
			data[i] = read_reg(uart, reg);
		}
	}
	pthread_mutex_unlock(&uart->lock);
}
