/* POSIX cksum (the CRC-32 of `cksum FILE`), so a test can compare what
 * the guest found in memory with the file it gave sprig. */
#include "guest.h"

static uint32_t crc_byte(uint32_t crc, uint8_t byte)
{
	crc ^= (uint32_t)byte << 24;
	for (int bit = 0; bit < 8; bit++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

uint32_t posix_cksum(const uint8_t *data, uint64_t size)
{
	uint32_t crc = 0;
	for (uint64_t i = 0; i < size; i++)
		crc = crc_byte(crc, data[i]);
	for (uint64_t n = size; n; n >>= 8)
		crc = crc_byte(crc, (uint8_t)n);
	return ~crc;
}
