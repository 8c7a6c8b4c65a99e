/* The one-register devices microVM guests use to end and to time a boot,
 * and the ACPI power registers. */
#include "bus.h"

#include <string.h>

#include "../vmm.h"

/* isa-debug-exit, as QEMU's: a write of v ends sprig with (v << 1) | 1. */
void debug_exit_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	if (!write) {
		memset(data, 0xff, size);
		return;
	}
	uint32_t value = 0;
	memcpy(&value, data, size < 4 ? size : 4);
	(void)offset;  /* QEMU's iosize=4 device answers on all four ports alike */
	d->stop(d->stop_opaque, (int)(((value << 1) | 1) & 0xff), "guest-debug-exit");
}

/* Firecracker's boot timer: the guest writes 123 when it is up. */
void boot_marker_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	(void)offset;
	if (!write) {
		memset(data, 0xff, size);
		return;
	}
	uint64_t none = 0;
	if (data[0] == BOOT_MARKER_VALUE)
		atomic_compare_exchange_strong(&d->boot_marker_ns, &none, devices_now_ns());
}

/* The FADT's sleep control register: SLP_EN with the \_S5 sleep type is
 * power off. Other sleep types are not offered (the DSDT has only \_S5)
 * and are ignored. Read, it is the sleep status register: never woken. */
void acpi_sleep_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	(void)offset;
	if (!write) {
		memset(data, 0, size);
		return;
	}
	unsigned sleep_type = (data[0] >> 2) & 7;
	if ((data[0] & ACPI_SLEEP_ENABLE) && sleep_type == ACPI_S5_TYPE)
		d->stop(d->stop_opaque, SPRIG_EXIT_OK, "guest-shutdown");
}

/* The FADT's reset register: Linux's first reboot method (reboot=acpi). */
void acpi_reset_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	(void)offset;
	if (!write)
		memset(data, 0, size);
	else if (data[0] == ACPI_RESET_VALUE)
		d->stop(d->stop_opaque, SPRIG_EXIT_OK, "guest-reset");
}

/* The PC's reset control register (port 0xcf9): bit 2 set resets. Linux
 * comes here when the FADT is hardware-reduced and it was built with EFI
 * (Debian's kernels): it then prefers EFI reboot, has no EFI runtime, and
 * falls to this register before a triple fault. */
void reset_control_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size,
			  bool write)
{
	(void)offset;
	if (!write)
		memset(data, 0, size);
	else if (data[0] & RESET_CONTROL_RESET)
		d->stop(d->stop_opaque, SPRIG_EXIT_OK, "guest-reset");
}
