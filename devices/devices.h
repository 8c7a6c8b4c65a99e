/* The port-I/O and MMIO buses and the devices on them: COM1 16550 UART,
 * i8042 (reset only), isa-debug-exit, Firecracker-style boot marker. */
#ifndef SPRIG_DEVICES_H
#define SPRIG_DEVICES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define UART_OUT_BUFFER 4096

struct uart {
	pthread_mutex_t lock;   /* every vCPU may write the console */
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	int out_fd;
	unsigned out_len;
	char out[UART_OUT_BUFFER];  /* flushed per line: one write, not one per byte */
};

/* Ask the VM to stop: the first request wins. `reason` is a QMP
 * ShutdownCause word ("guest-reset", "guest-shutdown", ...). */
typedef void devices_stop_fn(void *opaque, int exit_status, const char *reason);

struct devices {
	struct uart com1;
	_Atomic uint64_t boot_marker_ns;   /* first boot-marker write, 0 if none */
	atomic_bool mmio_warned;
	devices_stop_fn *stop;
	void *stop_opaque;
};

void devices_init(struct devices *devices, int console_fd, devices_stop_fn *stop, void *opaque);

/* Emulate one access from a vCPU. `data` holds `size` bytes (1, 2, 4 or 8);
 * reads fill it. Accesses nothing claims read as all ones and are dropped. */
void devices_pio(struct devices *devices, uint16_t port, uint8_t *data, unsigned size, bool write);
void devices_mmio(struct devices *devices, uint64_t gpa, uint8_t *data, unsigned size, bool write);

/* Push out any console bytes still buffered (at VM stop). */
void devices_flush(struct devices *devices);

/* Power-on state for every device (guest reset in place). */
void devices_reset(struct devices *devices);

/* Monotonic time in ns, the clock timings use. */
uint64_t devices_now_ns(void);

#endif
