/* Damages a snapshot's state file the ways snapshot.sh needs, keeping it
 * well formed where a case must get past the format checks. Written from
 * docs/snapshot.md, not with sprig's parser: a test tool must not share
 * the code it tests.
 *   snapshot_edit STATE version MAJOR      the header's major version (CRC fixed)
 *   snapshot_edit STATE all-features       every CPU feature bit set (CRC fixed)
 *   snapshot_edit STATE flip OFFSET        one byte inverted, CRC left wrong
 *   snapshot_edit STATE drop-section TYPE  the first section of TYPE removed (CRC fixed) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 24
#define SECTION_HEADER 16
#define SECTION_CPU_FEATURES 3

static uint8_t state[256 << 20];
static size_t len;

static uint64_t crc64(const uint8_t *p, size_t n)
{
	uint64_t crc = ~0ull;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xc96c5795d7870f42ull : crc >> 1;
	}
	return ~crc;
}

static void fix_crc(void)
{
	uint64_t crc = crc64(state, len - 8);
	memcpy(state + len - 8, &crc, 8);
}

/* Offset of the first section of `type`, or 0. */
static size_t find(uint32_t type)
{
	for (size_t at = HEADER; at + SECTION_HEADER <= len - 8;) {
		uint32_t t;
		uint64_t n;
		memcpy(&t, state + at, 4);
		memcpy(&n, state + at + 8, 8);
		if (t == type)
			return at;
		at += SECTION_HEADER + ((n + 7) & ~7ull);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: snapshot_edit STATE OP [ARG]\n"), 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f || (len = fread(state, 1, sizeof(state), f)) < HEADER + 8)
		return fprintf(stderr, "snapshot_edit: cannot read %s\n", argv[1]), 1;
	fclose(f);
	const char *op = argv[2];
	if (!strcmp(op, "version") && argc == 4) {
		uint16_t major = (uint16_t)atoi(argv[3]);
		memcpy(state + 8, &major, 2);
		fix_crc();
	} else if (!strcmp(op, "all-features")) {
		size_t at = find(SECTION_CPU_FEATURES);
		uint64_t n;
		if (!at)
			return fprintf(stderr, "snapshot_edit: no CPU features section\n"), 1;
		memcpy(&n, state + at + 8, 8);
		memset(state + at + SECTION_HEADER, 0xff, n);
		fix_crc();
	} else if (!strcmp(op, "flip") && argc == 4) {
		size_t at = (size_t)strtoull(argv[3], NULL, 0);
		if (at >= len)
			return fprintf(stderr, "snapshot_edit: offset past the end\n"), 1;
		state[at] ^= 0xff;
	} else if (!strcmp(op, "drop-section") && argc == 4) {
		size_t at = find((uint32_t)atoi(argv[3]));
		uint64_t n;
		uint32_t count;
		if (!at)
			return fprintf(stderr, "snapshot_edit: no such section\n"), 1;
		memcpy(&n, state + at + 8, 8);
		size_t gone = SECTION_HEADER + ((n + 7) & ~7ull);
		memmove(state + at, state + at + gone, len - at - gone);
		len -= gone;
		memcpy(&count, state + 12, 4), count--, memcpy(state + 12, &count, 4);
		uint64_t total = len;
		memcpy(state + 16, &total, 8);
		fix_crc();
	} else {
		return fprintf(stderr, "snapshot_edit: unknown operation %s\n", op), 2;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(state, 1, len, f) != len || fclose(f))
		return fprintf(stderr, "snapshot_edit: cannot write %s\n", argv[1]), 1;
	return 0;
}
