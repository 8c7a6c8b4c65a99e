/* ACPI and MP table pieces shared inside boot/ (acpi.c, dsdt.c,
 * mptable.c). Private to boot/. */
#ifndef SPRIG_BOOT_ACPI_H
#define SPRIG_BOOT_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"

struct __attribute__((packed)) sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

/* The byte that makes `data` sum to zero. */
uint8_t acpi_checksum(const void *data, size_t len);

/* Append one entry at `len` of a table with `room` bytes; returns the new
 * length, or 0 when out of room or when `len` is already 0 (an earlier
 * append failed), so appends chain without a check between them. */
size_t acpi_table_put(uint8_t *table, size_t len, size_t room, const void *entry, size_t size);

/* Header fields, then the checksum over `length` bytes already written. */
void acpi_sdt_finish(struct sdt_header *h, const char *signature, uint32_t length, uint8_t revision);

/* The DSDT at `table` (room bytes): _S5 and \_SB's devices. Returns its
 * length, 0 if it does not fit. */
size_t acpi_build_dsdt(uint8_t *table, size_t room, const struct boot_setup *setup);

/* The MP table (floating pointer at `gpa`, the table after it) for the
 * vCPUs whose APIC ids fit its 8 bits. 0 if it does not fit `room`. */
size_t mptable_build(struct guest_mem *mem, uint64_t gpa, size_t room, const struct boot_setup *setup);

#endif
