/* AML encoding (ACPI 6.5, chapter 20): see aml.h. */
#include "aml.h"

#include <string.h>

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT_PREFIX 0x5b
#define AML_DEVICE 0x82
#define AML_ROOT '\\'
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f

void aml_bytes(struct aml *a, const void *bytes, size_t n)
{
	if (a->overflow || n > a->room - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, bytes, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t byte)
{
	aml_bytes(a, &byte, 1);
}

/* Segments are four characters each; shorter ones are padded with '_'. */
void aml_name_string(struct aml *a, const char *path)
{
	if (*path == AML_ROOT)
		aml_byte(a, (uint8_t)*path++);
	size_t segments = (strlen(path) + 4) / 5;  /* "ABCD.EFGH" */
	if (segments == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (segments > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)segments);
	}
	for (size_t s = 0; s < segments; s++, path += 5) {
		char seg[4] = { '_', '_', '_', '_' };
		for (size_t i = 0; i < 4 && path[i] && path[i] != '.'; i++)
			seg[i] = path[i];
		aml_bytes(a, seg, 4);
		if (!path[0] || !path[1] || !path[2] || !path[3])
			break;
	}
	if (segments == 0)
		aml_byte(a, 0);  /* NullName: the root itself */
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	if (v <= 1) {
		aml_byte(a, v ? AML_ONE : AML_ZERO);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_bytes(a, le, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_bytes(a, le, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_bytes(a, le, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, le, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/* Three letters of five bits each, then four hex digits, big-endian. */
void aml_eisa_id(struct aml *a, const char *id)
{
	uint32_t v = (uint32_t)((id[0] & 0x1f) << 26 | (id[1] & 0x1f) << 21 | (id[2] & 0x1f) << 16);
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t digit = (uint32_t)(c >= 'A' ? c - 'A' + 10 : c - '0');
		v |= (digit & 0xf) << (4 * (6 - i));
	}
	aml_integer(a, __builtin_bswap32(v));
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_name_string(a, path);
}

static size_t open_object(struct aml *a)
{
	return a->len;
}

size_t aml_scope_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE);
	size_t mark = open_object(a);
	aml_name_string(a, path);
	return mark;
}

size_t aml_device_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE);
	size_t mark = open_object(a);
	aml_name_string(a, path);
	return mark;
}

size_t aml_package_open(struct aml *a, uint8_t elements)
{
	aml_byte(a, AML_PACKAGE);
	size_t mark = open_object(a);
	aml_byte(a, elements);
	return mark;
}

size_t aml_buffer_open(struct aml *a)
{
	aml_byte(a, AML_BUFFER);
	return open_object(a);
}

/* PkgLength counts itself: one byte up to 63, else a lead byte holding
 * the low nibble and the count of the bytes that follow. */
static void insert(struct aml *a, size_t at, const uint8_t *bytes, size_t n)
{
	if (a->overflow || n > a->room - a->len) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + at + n, a->buf + at, a->len - at);
	memcpy(a->buf + at, bytes, n);
	a->len += n;
}

void aml_close(struct aml *a, size_t mark)
{
	if (a->overflow)
		return;
	size_t body = a->len - mark, n = body + 1 <= 63 ? 1 : body + 2 < (1u << 12) ? 2
				    : body + 3 < (1u << 20) ? 3 : 4;
	size_t total = body + n;
	uint8_t length[4];
	if (n == 1) {
		length[0] = (uint8_t)total;
	} else {
		length[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			length[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	insert(a, mark, length, n);
}

/* Buffer: PkgLength, then the size as an integer, then the bytes. */
void aml_buffer_close(struct aml *a, size_t mark)
{
	if (a->overflow)
		return;
	size_t bytes = a->len - mark;
	uint8_t size[5];
	struct aml tmp = { size, 0, sizeof(size), false };
	aml_integer(&tmp, bytes);
	insert(a, mark, size, tmp.len);
	aml_close(a, mark);
}
