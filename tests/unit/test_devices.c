/* The bus and its devices, driven as a vCPU thread would drive them. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../devices/devices.h"

static struct devices devices;
static int stops, last_status;
static const char *last_reason;
static int console[2];
static int irq_fd, rx_ready_fd, kbd_irq_fd;

static void on_stop(void *opaque, int status, const char *reason)
{
	assert_ptr_equal(opaque, &devices);
	stops++;
	last_status = status;
	last_reason = reason;
}

static int setup(void **state)
{
	(void)state;
	if (pipe2(console, O_NONBLOCK))
		return -1;
	irq_fd = eventfd(0, EFD_NONBLOCK);
	rx_ready_fd = eventfd(0, EFD_NONBLOCK);
	if (irq_fd < 0 || rx_ready_fd < 0)
		return -1;
	kbd_irq_fd = eventfd(0, EFD_NONBLOCK);
	struct devices_fds fds = { console[1], irq_fd, rx_ready_fd, kbd_irq_fd };
	devices_init(&devices, &fds, on_stop, &devices);
	stops = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(console[0]);
	close(console[1]);
	close(irq_fd);
	close(rx_ready_fd);
	close(kbd_irq_fd);
	return 0;
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0;
	devices_pio(&devices, port, &v, 1, false);
	return v;
}

static void out8(uint16_t port, uint8_t v)
{
	devices_pio(&devices, port, &v, 1, true);
}

static void uart_registers(void **state)
{
	(void)state;
	assert_int_equal(in8(0x3fd) & 0x60, 0x60);  /* transmitter always ready */
	out8(0x3ff, 0xa5);
	assert_int_equal(in8(0x3ff), 0xa5);  /* scratch register: how guests probe */
	out8(0x3fb, 0x80);                   /* DLAB */
	out8(0x3f8, 0x01);
	out8(0x3f9, 0x02);
	assert_int_equal(in8(0x3f8), 0x01);
	assert_int_equal(in8(0x3f9), 0x02);
	out8(0x3fb, 0x03);
	assert_int_equal(in8(0x3fb), 0x03);
	assert_int_equal(in8(0x3fa) & 0x01, 0x01);  /* no interrupt pending */
}

static void uart_output_is_line_buffered(void **state)
{
	(void)state;
	const char *text = "hello\npartial";
	for (const char *p = text; *p; p++)
		out8(0x3f8, (uint8_t)*p);
	char buf[64] = "";
	ssize_t n = read(console[0], buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	devices_flush(&devices);
	n = read(console[0], buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "partial", 7);
}

static void uart_wide_access(void **state)
{
	(void)state;
	uint8_t data[4] = { 0x11, 0x22, 0x33, 0x44 };
	devices_pio(&devices, 0x3fe, data, 4, false);  /* MSR, SCR, then beyond the UART */
	assert_int_equal(data[2], 0xff);
	assert_int_equal(data[3], 0xff);
}

/* How many times an eventfd was written since the last look. */
static uint64_t taken(int fd)
{
	uint64_t count = 0;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

enum { DATA = 0x3f8, IER = 0x3f9, IIR = 0x3fa, LCR = 0x3fb, MCR = 0x3fc, LSR = 0x3fd, MSR = 0x3fe };

/* Linux's 8250 THRE test: enabling the interrupt with the transmitter
 * empty raises it, reading IIR acknowledges it, a write raises it again. */
static void uart_thr_empty_interrupt(void **state)
{
	(void)state;
	assert_int_equal(in8(IIR), 0x01);
	out8(IER, 0x02);
	assert_int_equal(taken(irq_fd), 1);
	assert_int_equal(in8(IIR), 0x02);
	assert_int_equal(in8(IIR), 0x01);  /* acknowledged */
	out8(IER, 0x00);
	out8(IER, 0x02);
	assert_int_equal(in8(IIR), 0x02);  /* re-enabling re-asserts it */
	assert_int_equal(taken(irq_fd), 1);
	out8(DATA, 'a');
	assert_int_equal(taken(irq_fd), 1);  /* a fresh edge per byte sent */
	out8(DATA, 'b');
	assert_int_equal(taken(irq_fd), 1);
	out8(IER, 0x00);
	out8(DATA, 'c');
	assert_int_equal(taken(irq_fd), 0);
	assert_int_equal(in8(IIR), 0x01);
	out8(0x3fa, 0x01);                   /* FIFO on: IIR says so */
	assert_int_equal(in8(IIR), 0xc1);
}

static void uart_receive_waits_for_the_guest(void **state)
{
	(void)state;
	const uint8_t text[] = "hello, sprig!!\n";  /* 15 bytes */
	/* Nobody listening yet (receive interrupt off): nothing is taken. */
	assert_int_equal(devices_console_input(&devices, text, sizeof(text) - 1), 0);
	assert_int_equal(taken(irq_fd), 0);
	out8(0x3fa, 0x07);                   /* FIFO on and cleared, as drivers start */
	assert_int_equal(taken(rx_ready_fd), 0);
	out8(IER, 0x01);
	assert_int_equal(taken(rx_ready_fd), 1);  /* now it listens: the host may send */
	assert_int_equal(devices_console_input(&devices, text, sizeof(text) - 1), sizeof(text) - 1);
	assert_int_equal(taken(irq_fd), 1);
	assert_int_equal(devices_console_input(&devices, text, 3), 1);  /* 16 bytes fill the FIFO */
	assert_int_equal(taken(irq_fd), 0);  /* still pending: no second edge */
	assert_int_equal(in8(IIR), 0xc4);
	assert_int_equal(in8(LSR) & 0x61, 0x61);
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		assert_int_equal(in8(DATA), text[i]);
	assert_int_equal(taken(rx_ready_fd), 0);
	assert_int_equal(in8(DATA), 'h');
	assert_int_equal(taken(rx_ready_fd), 1);  /* empty: the rest may come */
	assert_int_equal(in8(LSR) & 0x01, 0);
	assert_int_equal(in8(IIR), 0xc1);
}

static void uart_receive_without_fifo(void **state)
{
	(void)state;
	out8(IER, 0x01);
	assert_int_equal(devices_console_input(&devices, (const uint8_t *)"xy", 2), 1);
	assert_int_equal(in8(IIR), 0x04);
	assert_int_equal(in8(DATA), 'x');
	assert_int_equal(taken(rx_ready_fd), 1);
	out8(LCR, 0x80);                     /* the divisor latch hides the data */
	assert_int_equal(devices_console_input(&devices, (const uint8_t *)"y", 1), 1);
	assert_int_equal(in8(DATA), 0);      /* DLL */
	out8(LCR, 0x03);
	assert_int_equal(in8(DATA), 'y');
}

/* The 8250 probe: in loopback the modem lines follow MCR and sent bytes
 * come back as received ones, not out to the console. */
static void uart_loopback(void **state)
{
	(void)state;
	out8(MCR, 0x1a);                     /* LOOP | OUT2 | RTS */
	assert_int_equal(in8(MSR) & 0xf0, 0x90);
	out8(MCR, 0x1f);
	uint8_t msr = in8(MSR);
	assert_int_equal(msr & 0xf0, 0xf0);
	assert_int_equal(msr & 0x0f, 0x02);  /* DSR changed (and DCTS/DDCD did not) */
	assert_int_equal(in8(MSR) & 0x0f, 0);  /* deltas clear on read */
	out8(0x3fa, 0x01);
	out8(DATA, 'L');
	assert_int_equal(in8(LSR) & 0x01, 1);
	assert_int_equal(in8(DATA), 'L');
	out8(IER, 0x01);
	assert_int_equal(devices_console_input(&devices, (const uint8_t *)"z", 1), 0);
	out8(MCR, 0x0b);
	assert_int_equal(in8(MSR) & 0xf0, 0xb0);
	assert_int_equal(taken(rx_ready_fd), 1);  /* out of loopback: input flows */
	devices_flush(&devices);
	char buf[8];
	assert_int_equal(read(console[0], buf, sizeof(buf)), -1);  /* nothing reached the console */
}

static void uart_reset_clears(void **state)
{
	(void)state;
	out8(0x3fa, 0x01);
	out8(IER, 0x03);
	assert_int_equal(devices_console_input(&devices, (const uint8_t *)"abc", 3), 3);
	devices_reset(&devices);
	assert_int_equal(in8(IER), 0);
	assert_int_equal(in8(LSR) & 0x01, 0);
	assert_int_equal(in8(IIR), 0x01);
	assert_int_equal(devices_console_input(&devices, (const uint8_t *)"abc", 3), 0);
}

static void unassigned_reads_all_ones(void **state)
{
	(void)state;
	uint8_t data[8];
	memset(data, 0, sizeof(data));
	devices_pio(&devices, 0x1234, data, 4, false);
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	memset(data, 0, sizeof(data));
	devices_mmio(&devices, 0xe0000000, data, 8, false);
	assert_memory_equal(data, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	assert_true(devices.mmio_warned);
	assert_int_equal(stops, 0);
}

static void i8042_reset(void **state)
{
	(void)state;
	assert_int_equal(in8(0x64) & 0x01, 0);  /* nothing to read */
	out8(0x64, 0xd1);                       /* write output port: bit 0 high, no reset */
	out8(0x60, 0x01);
	out8(0x60, 0xfe);                       /* 0xfe on the data port is a keyboard byte */
	assert_int_equal(in8(0x60), 0xfa);
	assert_int_equal(stops, 0);
	out8(0x64, 0xfe);
	assert_int_equal(stops, 1);
	assert_int_equal(last_status, 0);
	assert_string_equal(last_reason, "guest-reset");
	out8(0x64, 0xd1);
	out8(0x60, 0x00);                       /* the reset line through the output port */
	assert_int_equal(stops, 2);
}

/* What Linux's i8042 and atkbd drivers do at boot. */
static void i8042_probe(void **state)
{
	(void)state;
	out8(0x64, 0xaa);
	assert_int_equal(in8(0x64) & 0x01, 1);
	assert_int_equal(in8(0x60), 0x55);      /* self test */
	out8(0x64, 0x20);
	uint8_t ctr = in8(0x60);
	assert_int_equal(ctr, 0x45);            /* kbd interrupt, system flag, translation */
	assert_int_equal(taken(kbd_irq_fd), 2);  /* self test and command byte: an edge each */
	out8(0x64, 0x60);
	out8(0x60, ctr & ~0x01);                /* interrupts off while probing */
	out8(0x64, 0xab);
	assert_int_equal(in8(0x60), 0x00);      /* port test */
	assert_int_equal(taken(kbd_irq_fd), 0);
	out8(0x64, 0x60);
	out8(0x60, ctr);
	out8(0x60, 0xf2);                       /* identify: ACK, 0xab, 0x41 translated */
	assert_int_equal(taken(kbd_irq_fd), 1);
	assert_int_equal(in8(0x60), 0xfa);
	assert_int_equal(taken(kbd_irq_fd), 1);  /* each byte its own edge */
	assert_int_equal(in8(0x60), 0xab);
	assert_int_equal(in8(0x60), 0x41);
	out8(0x60, 0xed);                       /* LEDs, with an argument */
	out8(0x60, 0x07);
	assert_int_equal(in8(0x60), 0xfa);
	assert_int_equal(in8(0x60), 0xfa);
	assert_int_equal(in8(0x64) & 0x01, 0);
	assert_int_equal(in8(0x64) & 0x04, 0x04);  /* system flag */
}

static void i8042_ctrl_alt_del(void **state)
{
	(void)state;
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
	assert_int_equal(devices_send_ctrl_alt_del(&devices), 0);
	for (size_t i = 0; i < sizeof(set1); i++)
		assert_int_equal(in8(0x60), set1[i]);
	assert_int_equal(devices_send_ctrl_alt_del(&devices), 0);
	assert_int_equal(devices_send_ctrl_alt_del(&devices), 0);
	assert_int_equal(devices_send_ctrl_alt_del(&devices), -EBUSY);  /* 16 bytes queued at most */
	devices_reset(&devices);
	out8(0x64, 0x60);
	out8(0x60, 0x01);                       /* no translation: set 2 */
	assert_int_equal(devices_send_ctrl_alt_del(&devices), 0);
	assert_int_equal(in8(0x60), 0x14);
	out8(0x64, 0xad);                       /* keyboard disabled: nobody listens */
	devices_reset(&devices);
	out8(0x64, 0xad);
	assert_int_equal(devices_send_ctrl_alt_del(&devices), -EAGAIN);
}

static void acpi_power_registers(void **state)
{
	(void)state;
	assert_int_equal(in8(0x3c0), 0);       /* sleep status: never woken */
	out8(0x3c0, 5 << 2);                   /* S5 without SLP_EN: nothing */
	out8(0x3c0, (3 << 2) | 0x20);          /* S3 is not offered */
	out8(0x3c1, 0xfe);                     /* not the reset value */
	assert_int_equal(stops, 0);
	out8(0x3c0, (5 << 2) | 0x20);
	assert_int_equal(stops, 1);
	assert_int_equal(last_status, 0);
	assert_string_equal(last_reason, "guest-shutdown");
	out8(0x3c1, 1);
	assert_int_equal(stops, 2);
	assert_string_equal(last_reason, "guest-reset");
	assert_int_equal(in8(0xcf9), 0);
	out8(0xcf9, 0x02);                     /* Linux: "request hard reset" first */
	assert_int_equal(stops, 2);
	out8(0xcf9, 0x0e);                     /* then the reset itself */
	assert_int_equal(stops, 3);
	assert_string_equal(last_reason, "guest-reset");
}

static void debug_exit(void **state)
{
	(void)state;
	uint32_t values[] = { 0, 1, 21, 127, 128, 255 };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		devices_pio(&devices, 0xf4, (uint8_t *)&values[i], 4, true);
		assert_int_equal(last_status, ((values[i] << 1) | 1) & 0xff);
		assert_string_equal(last_reason, "guest-debug-exit");
	}
	uint8_t byte = 3;
	devices_pio(&devices, 0xf4, &byte, 1, true);
	assert_int_equal(last_status, 7);
}

static void boot_marker(void **state)
{
	(void)state;
	out8(0x3f0, 122);
	assert_int_equal(devices.boot_marker_ns, 0);
	out8(0x3f0, 123);
	uint64_t first = devices.boot_marker_ns;
	assert_true(first > 0);
	out8(0x3f0, 123);
	assert_int_equal(devices.boot_marker_ns, first);  /* the first one counts */
	devices.boot_marker_ns = 0;
	uint8_t v = 123;
	devices_mmio(&devices, 0xd0000000, &v, 1, true);
	assert_true(devices.boot_marker_ns > 0);
	devices.boot_marker_ns = 0;
	devices_mmio(&devices, 0xc0000000, &v, 1, true);
	assert_true(devices.boot_marker_ns > 0);
	assert_false(devices.mmio_warned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(uart_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_output_is_line_buffered, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_wide_access, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_thr_empty_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_receive_waits_for_the_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_receive_without_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(uart_reset_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(acpi_power_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(unassigned_reads_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(i8042_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(i8042_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(i8042_ctrl_alt_del, setup, teardown),
		cmocka_unit_test_setup_teardown(debug_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_marker, setup, teardown),
	};
	return run_group("test_devices", tests, ARRAY_SIZE(tests));
}
