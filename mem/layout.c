/* The guest's view of its RAM, and memory sizes as users write them. */
#include "mem.h"

#include <errno.h>
#include <stdlib.h>

int guest_mem_ranges(const struct guest_mem *mem, struct mem_range *out)
{
	int n = 0;
	out[n++] = (struct mem_range){ 0, MEM_LOW_RAM_END };
	if (mem->low_size > MEM_HIGH_RAM_START)
		out[n++] = (struct mem_range){ MEM_HIGH_RAM_START, mem->low_size - MEM_HIGH_RAM_START };
	if (mem->high_size)
		out[n++] = (struct mem_range){ MEM_MMIO_GAP_END, mem->high_size };
	return n;
}

int mem_parse_size(const char *text, uint64_t *bytes)
{
	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)  /* accept "64MiB"-style spelling too */
		end++;
	if ((*end == 'b' || *end == 'B') && shift)
		end++;
	if (*end || (shift && value > (UINT64_MAX >> shift)))
		return -EINVAL;
	*bytes = (uint64_t)value << shift;
	return 0;
}
