/* Private to devices/: each device's access function, called by the bus. */
#ifndef SPRIG_DEVICES_BUS_H
#define SPRIG_DEVICES_BUS_H

#include "devices.h"

#define COM1_PORT 0x3f8
#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64
#define DEBUG_EXIT_PORT 0xf4
#define BOOT_MARKER_PORT 0x3f0
#define BOOT_MARKER_MMIO 0xd0000000ull      /* Firecracker until 2025 */
#define BOOT_MARKER_MMIO_NEW 0xc0000000ull  /* Firecracker now */
#define BOOT_MARKER_VALUE 123
#define RESET_CONTROL_PORT 0xcf9
#define RESET_CONTROL_RESET 0x04
#define ACPI_SLEEP_ENABLE 0x20   /* SLP_EN; SLP_TYP is bits 2-4 */

/* `value` is the access's bytes, little-endian as the guest wrote them. */
typedef void device_access_fn(struct devices *d, uint64_t offset, uint8_t *data, unsigned size,
			      bool write);

device_access_fn uart_access, i8042_data_access, i8042_command_access, debug_exit_access,
	boot_marker_access, acpi_sleep_access, acpi_reset_access, reset_control_access;

/* Write 1 to an eventfd (fd < 0: nothing is connected). */
void device_signal(int fd);

/* The same as a virtio transport's interrupt callback: `irq_fd` points at
 * the device's irqfd (virtio_mmio_init's opaque). */
void device_signal_irqfd(void *irq_fd);

/* An ISA interrupt line, modelled as a level the device computes: the
 * irqfd is pulsed on each rising edge, because ISA lines are
 * edge-triggered; a source that stays pending raises no second interrupt,
 * as on a PC. `raised` is the level last seen. */
void device_irq_level(int irq_fd, bool *raised, bool pending);

void i8042_init(struct i8042 *k, int irq_fd);
void i8042_reset(struct i8042 *k);
void uart_init(struct uart *uart, int out_fd, int irq_fd, int rx_ready_fd);
size_t uart_receive(struct uart *uart, const uint8_t *bytes, size_t count);
void uart_flush(struct uart *uart);
void uart_reset(struct uart *uart);

#endif
