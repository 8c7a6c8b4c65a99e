/* The bus and its devices, driven as a vCPU thread would drive them. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../devices/devices.h"

static struct devices devices;
static int stops, last_status;
static const char *last_reason;
static int console[2];

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
	if (pipe(console))
		return -1;
	devices_init(&devices, console[1], on_stop, &devices);
	stops = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(console[0]);
	close(console[1]);
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
	assert_int_equal(in8(0x64), 0);
	out8(0x64, 0xd1);  /* another command: ignored */
	out8(0x60, 0xfe);  /* 0xfe on the data port is not the reset command */
	assert_int_equal(stops, 0);
	out8(0x64, 0xfe);
	assert_int_equal(stops, 1);
	assert_int_equal(last_status, 0);
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
		cmocka_unit_test_setup_teardown(unassigned_reads_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(i8042_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(debug_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_marker, setup, teardown),
	};
	return run_group("test_devices", tests, ARRAY_SIZE(tests));
}
