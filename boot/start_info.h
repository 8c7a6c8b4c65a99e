/* The PVH boot ABI's structures (Xen public header hvm/start_info.h):
 * a fixed binary layout every PVH kernel reads. */
#ifndef SPRIG_BOOT_START_INFO_H
#define SPRIG_BOOT_START_INFO_H

#include <stdint.h>

#define HVM_START_MAGIC 0x336ec578u
#define HVM_MEMMAP_TYPE_RAM 1u
#define HVM_MEMMAP_TYPE_RESERVED 2u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;    /* version 1 */
	uint32_t memmap_entries;  /* version 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "PVH ABI");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "PVH ABI");
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "PVH ABI");

#endif
