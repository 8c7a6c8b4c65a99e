/* libFuzzer target: the devices as a hostile guest drives them. Each
 * input is a program of port accesses (COM1, the i8042, the ACPI power
 * registers, the boot marker, isa-debug-exit, unclaimed ports), MMIO
 * accesses, host console input, Ctrl-Alt-Del and resets, in any order and
 * width. Besides sanitizer reports it checks the devices' own promises:
 * the receive FIFO and the keyboard queue never exceed their room, output
 * never overruns its buffer, unclaimed reads are all ones, and a stop
 * always carries a reason. */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../devices/devices.h"

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static struct devices devices;
static int stops;

static void on_stop(void *opaque, int status, const char *reason)
{
	(void)opaque;
	check(reason && reason[0] && status >= 0 && status <= 255);
	stops++;
}

static const uint16_t ports[] = { 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,
				  0x60, 0x64, 0x3c0, 0x3c1, 0x3f0, 0xf4, 0x1234, 0x3f7 };

static void check_invariants(void)
{
	check(devices.com1.rx_count <= UART_RX_FIFO);
	check(devices.com1.rx_head < UART_RX_FIFO);
	check(devices.com1.out_len <= UART_OUT_BUFFER);
	check(devices.i8042.count <= I8042_QUEUE);
	check(devices.i8042.head < I8042_QUEUE);
}

static void drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds[4] = { -1, -1, -1, -1 };
	if (fds[0] < 0) {
		fds[0] = open("/dev/null", O_WRONLY);
		for (int i = 1; i < 4; i++)
			fds[i] = eventfd(0, EFD_NONBLOCK);
	}
	struct devices_fds f = { fds[0], fds[1], fds[2], fds[3] };
	devices_init(&devices, &f, on_stop, NULL);
	for (size_t i = 0; i + 1 < size;) {
		uint8_t op = data[i++], arg = data[i++];
		unsigned width = 1u << ((op >> 5) & 3);  /* 1, 2, 4, 8 */
		uint8_t bytes[8] = { arg, arg, arg, arg, arg, arg, arg, arg };
		switch (op & 7) {
		case 0: case 1: case 2:  /* port write or read */
			if (width > 4)
				width = 4;
			devices_pio(&devices, ports[(op >> 3) & 3 ? arg & 15 : (op >> 1) & 15], bytes, width,
				    op & 1);
			break;
		case 3:  /* MMIO */
			devices_mmio(&devices, (arg & 1) ? 0xd0000000ull : 0xfeb00000ull + arg, bytes, width,
				     op & 8);
			if (!(op & 8) && !(arg & 1))
				for (unsigned b = 0; b < width; b++)
					check(bytes[b] == 0xff);
			break;
		case 4: {  /* host console input: up to `arg & 31` bytes of what follows */
			size_t n = arg & 31;
			if (n > size - i)
				n = size - i;
			check(devices_console_input(&devices, data + i, n) <= n);
			i += n;
			break;
		}
		case 5:
			devices_send_ctrl_alt_del(&devices);
			break;
		case 6:
			devices_reset(&devices);
			break;
		default: {
			uint8_t v = 0;
			devices_pio(&devices, 0x1234, &v, 1, false);
			check(v == 0xff);
			break;
		}
		}
		check_invariants();
	}
	devices_flush(&devices);
	for (int i = 1; i < 4; i++)
		drain(fds[i]);
	return 0;
}
