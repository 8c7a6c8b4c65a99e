/* The port-I/O and MMIO buses and the devices on them: COM1 16550 UART,
 * i8042 (reset only), isa-debug-exit, Firecracker-style boot marker; and the
 * host side of the console (stdin into the UART). */
#ifndef SPRIG_DEVICES_H
#define SPRIG_DEVICES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#define COM1_IRQ 4
/* The hardware-reduced ACPI power device (the FADT points at it; the port
 * is Cloud Hypervisor's): sleep control/status and the reset register. */
#define ACPI_SLEEP_PORT 0x3c0
#define ACPI_RESET_PORT 0x3c1
#define ACPI_RESET_VALUE 1
#define ACPI_S5_TYPE 5          /* the DSDT's \_S5 sleep type: power off */
#define UART_OUT_BUFFER 4096
#define UART_RX_FIFO 16

struct uart {
	pthread_mutex_t lock;   /* vCPUs and the main thread (input) */
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uint8_t lsr_errors, msr_delta;
	bool thr_pending;       /* THR-empty interrupt not yet acknowledged */
	bool irq_raised;        /* the level last signalled on irq_fd */
	int irq_fd;             /* eventfd bound to IRQ 4 (KVM_IRQFD); -1: none */
	int rx_ready_fd;        /* eventfd: the guest emptied the FIFO host input waits for */
	bool rx_wanted;         /* host input is waiting for room */
	unsigned rx_head, rx_count;
	uint8_t rx[UART_RX_FIFO];
	int out_fd;
	unsigned out_len;
	char out[UART_OUT_BUFFER];  /* flushed per line: one write, not one per byte */
};

#define I8042_IRQ 1
#define I8042_QUEUE 16

struct i8042 {
	pthread_mutex_t lock;   /* vCPUs, and the main thread (Ctrl-Alt-Del) */
	uint8_t ctr;            /* the command byte */
	uint8_t queue[I8042_QUEUE];  /* bytes for the guest to read at 0x60 */
	unsigned head, count;
	uint8_t last_read;
	int next;               /* what the next data-port byte is for */
	bool last_was_command;
	bool irq_raised;
	int irq_fd;             /* eventfd bound to IRQ 1; -1: none */
};

/* virtio-mmio windows: 4 KiB each from 0xd0001000 (the page below holds
 * the boot marker), interrupt lines from 5 (docs/memory-map.md). */
#define VIRTIO_MMIO_BASE 0xd0001000ull
#define VIRTIO_MMIO_IRQ_BASE 5u
#define DEVICES_VIRTIO_MAX 8

struct virtio_mmio;

/* Ask the VM to stop: the first request wins. `reason` is a QMP
 * ShutdownCause word ("guest-reset", "guest-shutdown", ...). */
typedef void devices_stop_fn(void *opaque, int exit_status, const char *reason);

struct devices {
	struct uart com1;
	struct i8042 i8042;
	_Atomic uint64_t boot_marker_ns;   /* first boot-marker write, 0 if none */
	atomic_bool mmio_warned;
	struct { uint64_t base; struct virtio_mmio *transport; } virtio[DEVICES_VIRTIO_MAX];
	unsigned virtio_count;
	devices_stop_fn *stop;
	void *stop_opaque;
};

/* Where the devices' outside world is. An interrupt fd is pulsed (written)
 * on each rising edge of its ISA line; -1 leaves the line unconnected. */
struct devices_fds {
	int console_out;       /* what the guest writes to COM1 */
	int com1_irq;          /* eventfd bound to IRQ 4 */
	int com1_rx_ready;     /* eventfd written when COM1 has room for more input */
	int i8042_irq;         /* eventfd bound to IRQ 1 */
};

void devices_init(struct devices *devices, const struct devices_fds *fds, devices_stop_fn *stop,
		  void *opaque);

/* A virtio-mmio window at `base` (VIRTIO_MMIO_SIZE bytes), before any
 * vCPU runs. 0 or -ENOSPC. */
int devices_add_virtio(struct devices *devices, uint64_t base, struct virtio_mmio *transport);

/* Host console input for COM1: takes what fits in its receive FIFO and
 * returns how many bytes that was. When not all fit, com1_rx_ready is
 * written once the guest has read the FIFO empty. */
size_t devices_console_input(struct devices *devices, const uint8_t *bytes, size_t count);

/* Emulate one access from a vCPU. `data` holds `size` bytes (1, 2, 4 or 8);
 * reads fill it. Accesses nothing claims read as all ones and are dropped. */
void devices_pio(struct devices *devices, uint16_t port, uint8_t *data, unsigned size, bool write);
void devices_mmio(struct devices *devices, uint64_t gpa, uint8_t *data, unsigned size, bool write);

/* Ctrl-Alt-Del on the i8042 keyboard (QMP send-key): 0, -EAGAIN when
 * the guest has the keyboard disabled, -EBUSY when its queue is full. */
int devices_send_ctrl_alt_del(struct devices *devices);

/* Push out any console bytes still buffered (at VM stop). */
void devices_flush(struct devices *devices);

/* Power-on state for every device (guest reset in place). */
void devices_reset(struct devices *devices);

/* Snapshots (devices/state.c): COM1's registers and receive FIFO, the
 * i8042's command byte and output queue, in fixed layouts for the state
 * file. Save flushes COM1's output first; load checks every index and
 * returns -EINVAL for a state no device could have been in. */
struct uart_state {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, lsr_errors, msr_delta;
	uint8_t thr_pending, irq_raised, rx_head, rx_count, reserved[3];
	uint8_t rx[UART_RX_FIFO];
};
#define I8042_NEXT_MAX 5  /* the last "what the next data byte is for" */
struct i8042_state {
	uint8_t ctr, head, count, last_read, next, last_was_command, irq_raised, reserved;
	uint8_t queue[I8042_QUEUE];
};
void devices_state_save(struct devices *devices, struct uart_state *uart, struct i8042_state *i8042);
int devices_state_load(struct devices *devices, const struct uart_state *uart, const struct i8042_state *i8042);

/* Monotonic time in ns, the clock timings use. */
uint64_t devices_now_ns(void);

#endif
