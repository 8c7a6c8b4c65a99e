/* A tiny AML (ACPI Machine Language) writer: just what sprig's DSDT says
 * (names, integers, strings, packages, buffers, scopes, devices). Private
 * to boot/. Writes into a caller's buffer; running out of room sets
 * `overflow` and keeps the length honest. */
#ifndef SPRIG_BOOT_AML_H
#define SPRIG_BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, room;
	bool overflow;
};

void aml_bytes(struct aml *a, const void *bytes, size_t n);
void aml_byte(struct aml *a, uint8_t byte);
/* A name path: "\\_SB_", "COM1", "_HID" (segments of four characters). */
void aml_name_string(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t value);
void aml_string(struct aml *a, const char *s);
/* "PNP0501" as the compressed 32-bit EISA id, as an integer. */
void aml_eisa_id(struct aml *a, const char *id);

/* Name(path, <the value the caller writes next>) */
void aml_name(struct aml *a, const char *path);

/* Objects with a PkgLength: open returns a mark, close fills the length
 * in once the contents are written. */
size_t aml_scope_open(struct aml *a, const char *path);
size_t aml_device_open(struct aml *a, const char *path);
size_t aml_package_open(struct aml *a, uint8_t elements);
size_t aml_buffer_open(struct aml *a);       /* the size is set at close */
void aml_close(struct aml *a, size_t mark);
void aml_buffer_close(struct aml *a, size_t mark);

#endif
