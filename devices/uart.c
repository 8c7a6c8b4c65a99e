/* COM1, a 16550A as Linux's 8250 driver drives it: register file, divisor
 * latch, 16-byte receive FIFO fed from the host console, loopback (the
 * driver's probe), and interrupts on IRQ 4 (device_irq_level: edges on an
 * ISA line). The transmitter finishes each byte at once; output goes to
 * the console a line at a time. */
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
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IIR_MSI 0x00
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* Host input waits until the guest listens: its driver has enabled the
 * receive interrupt (and is not in loopback, which disconnects the line).
 * Linux's 8250 driver clears the FIFO and reads the data register before
 * it enables that interrupt, so anything delivered earlier would be lost;
 * held back, a pipe's input arrives whole. Polled-only guests, which never
 * enable it, get no input. */
static bool listening(const struct uart *uart)
{
	return (uart->ier & IER_RDI) && !(uart->mcr & MCR_LOOP);
}

/* Tell the host side there is room, if it is waiting and may send. */
static void wake_input(struct uart *uart)
{
	if (uart->rx_wanted && listening(uart)) {
		uart->rx_wanted = false;
		device_signal(uart->rx_ready_fd);
	}
}

static unsigned rx_capacity(const struct uart *uart)
{
	return (uart->fcr & FCR_ENABLE) ? UART_RX_FIFO : 1;
}

static uint8_t pending_iir(const struct uart *uart)
{
	if ((uart->ier & IER_RLSI) && (uart->lsr_errors & LSR_OE))
		return IIR_RLSI;
	if ((uart->ier & IER_RDI) && uart->rx_count)
		return IIR_RDI;
	if ((uart->ier & IER_THRI) && uart->thr_pending)
		return IIR_THRI;
	if ((uart->ier & IER_MSI) && (uart->msr_delta))
		return IIR_MSI;
	return IIR_NONE;
}

static void update_irq(struct uart *uart)
{
	device_irq_level(uart->irq_fd, &uart->irq_raised, pending_iir(uart) != IIR_NONE);
}

/* Modem status lines: in loopback they are the MCR outputs, else a modem
 * that is always there and ready (CTS, DSR, DCD). */
static uint8_t modem_status(const struct uart *uart)
{
	if (!(uart->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	uint8_t m = uart->mcr;
	return (uint8_t)(((m & MCR_RTS) ? MSR_CTS : 0) | ((m & MCR_DTR) ? MSR_DSR : 0) |
			 ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0));
}

static void set_mcr(struct uart *uart, uint8_t value)
{
	uint8_t before = modem_status(uart);
	uart->mcr = value & 0x1f;
	wake_input(uart);
	uint8_t after = modem_status(uart), changed = before ^ after;
	uart->msr_delta |= (uint8_t)(((changed & MSR_CTS) ? MSR_DCTS : 0) |
				     ((changed & MSR_DSR) ? MSR_DDSR : 0) |
				     ((changed & MSR_DCD) ? MSR_DDCD : 0) |
				     ((before & MSR_RI) && !(after & MSR_RI) ? MSR_TERI : 0));
}

/* Power-on register values; buffered output is sent first. Input waiting
 * on the host side is told there is room again. */
void uart_reset(struct uart *uart)
{
	uart_flush(uart);
	pthread_mutex_lock(&uart->lock);
	uart->ier = uart->lcr = uart->mcr = uart->scr = uart->fcr = uart->dll = uart->dlm = 0;
	uart->lsr_errors = uart->msr_delta = 0;
	uart->thr_pending = uart->irq_raised = false;
	uart->rx_head = uart->rx_count = 0;
	wake_input(uart);
	pthread_mutex_unlock(&uart->lock);
}

void uart_init(struct uart *uart, int out_fd, int irq_fd, int rx_ready_fd)
{
	memset(uart, 0, sizeof(*uart));
	pthread_mutex_init(&uart->lock, NULL);
	uart->out_fd = out_fd;
	uart->irq_fd = irq_fd;
	uart->rx_ready_fd = rx_ready_fd;
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

/* Line-buffered: one write per line, not per byte. A shell prompt has no
 * newline; interrupt-driven drivers read IIR after each burst, and that
 * flushes the rest (read_reg). */
static void to_console(struct uart *uart, uint8_t byte)
{
	if (uart->out_len == sizeof(uart->out))
		uart->out_len = 0;  /* the console is stuck: lose output, not the VM */
	uart->out[uart->out_len++] = (char)byte;
	if (byte == '\n' || uart->out_len == sizeof(uart->out))
		flush_locked(uart, -1);
}

static bool rx_push(struct uart *uart, uint8_t byte)
{
	if (uart->rx_count >= rx_capacity(uart))
		return false;
	uart->rx[(uart->rx_head + uart->rx_count++) % UART_RX_FIFO] = byte;
	return true;
}

static uint8_t rx_pop(struct uart *uart)
{
	if (!uart->rx_count)
		return 0;
	uint8_t byte = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_RX_FIFO;
	if (--uart->rx_count == 0)
		wake_input(uart);
	return byte;
}

/* The byte leaves the transmitter at once: the write clears the THR-empty
 * interrupt and the transmitter raises it again, a fresh edge. */
static void transmit(struct uart *uart, uint8_t byte)
{
	uart->thr_pending = false;
	update_irq(uart);
	if (!(uart->mcr & MCR_LOOP))
		to_console(uart, byte);
	else if (!rx_push(uart, byte))
		uart->lsr_errors |= LSR_OE;
	uart->thr_pending = true;
}

size_t uart_receive(struct uart *uart, const uint8_t *bytes, size_t count)
{
	size_t taken = 0;
	pthread_mutex_lock(&uart->lock);
	while (taken < count && listening(uart) && rx_push(uart, bytes[taken]))
		taken++;
	if (taken < count)
		uart->rx_wanted = true;
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return taken;
}

static uint8_t read_iir(struct uart *uart)
{
	if (uart->out_len)
		flush_locked(uart, -1);
	uint8_t iir = pending_iir(uart);
	if (iir == IIR_THRI)
		uart->thr_pending = false;  /* reading IIR acknowledges THR empty */
	return iir | ((uart->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

static uint8_t read_lsr(struct uart *uart)
{
	uint8_t lsr = LSR_THRE | LSR_TEMT | uart->lsr_errors | (uart->rx_count ? LSR_DR : 0);
	uart->lsr_errors = 0;
	return lsr;
}

static uint8_t read_msr(struct uart *uart)
{
	uint8_t msr = modem_status(uart) | uart->msr_delta;
	uart->msr_delta = 0;
	return msr;
}

static uint8_t read_reg(struct uart *uart, unsigned reg)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA: return dlab ? uart->dll : rx_pop(uart);
	case REG_IER: return dlab ? uart->dlm : uart->ier;
	case REG_IIR_FCR: return read_iir(uart);
	case REG_LCR: return uart->lcr;
	case REG_MCR: return uart->mcr;
	case REG_LSR: return read_lsr(uart);
	case REG_MSR: return read_msr(uart);
	default: return uart->scr;
	}
}

static void write_ier(struct uart *uart, uint8_t value)
{
	uint8_t changed = (uart->ier ^ value) & 0x0f;
	uart->ier = value & 0x0f;
	/* The transmitter is always empty: enabling its interrupt raises it. */
	if (changed & IER_THRI)
		uart->thr_pending = uart->ier & IER_THRI;
	wake_input(uart);
}

static void write_fcr(struct uart *uart, uint8_t value)
{
	/* Switching the FIFOs on or off, or the clear bit, empties them. */
	if (((uart->fcr ^ value) & FCR_ENABLE) || (value & FCR_CLEAR_RX)) {
		uart->rx_head = uart->rx_count = 0;
		wake_input(uart);
	}
	uart->fcr = value & 0xc9;
}

static void write_reg(struct uart *uart, unsigned reg, uint8_t v)
{
	bool dlab = uart->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA: if (dlab) uart->dll = v; else transmit(uart, v); break;
	case REG_IER: if (dlab) uart->dlm = v; else write_ier(uart, v); break;
	case REG_IIR_FCR: write_fcr(uart, v); break;
	case REG_LCR: uart->lcr = v; break;
	case REG_MCR: set_mcr(uart, v); break;
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
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}
