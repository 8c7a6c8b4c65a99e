/* Private to mem/: a mapping made by one of the backings, as guest RAM. */
#ifndef SPRIG_MEM_BACKING_H
#define SPRIG_MEM_BACKING_H

#include "mem.h"

void guest_mem_adopt(struct guest_mem *mem, void *hva, uint64_t size, enum mem_backend backend, int fd);

#endif
