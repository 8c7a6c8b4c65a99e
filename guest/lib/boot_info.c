/* Read the PVH hvm_start_info the VMM left us. Values are checked before
 * use: a guest that trusts garbage is a bad test of a VMM. */
#include "guest.h"

#define HVM_START_MAGIC 0x336ec578u
#define MAX_MEMMAP 128

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct boot_info boot_info;
static const struct hvm_memmap_entry *memmap;

bool boot_info_read(uint64_t start_info)
{
	const struct hvm_start_info *si = (const void *)start_info;
	if (!si || si->magic != HVM_START_MAGIC)
		return false;
	boot_info.start_info = start_info;
	boot_info.cmdline = si->cmdline_paddr ? (const char *)si->cmdline_paddr : NULL;
	boot_info.rsdp = si->rsdp_paddr;
	if (si->version >= 1 && si->memmap_paddr && si->memmap_entries <= MAX_MEMMAP) {
		memmap = (const void *)si->memmap_paddr;
		boot_info.memmap_entries = si->memmap_entries;
	}
	for (unsigned i = 0; i < boot_info.memmap_entries; i++)
		if (memmap[i].type == 1)
			boot_info.ram_bytes += memmap[i].size;
	return true;
}

void boot_info_print_memmap(void)
{
	static const char *const types[] = { "?", "ram", "reserved", "acpi", "nvs", "unusable" };
	print("memmap:");
	const char *separator = "";
	for (unsigned i = 0; i < boot_info.memmap_entries; i++) {
		uint32_t t = memmap[i].type;
		if (!memmap[i].size)
			continue;  /* QEMU's PVH ROM ends its map with an empty entry */
		print("%s 0x%lx-0x%lx %s", separator, memmap[i].addr, memmap[i].addr + memmap[i].size,
		      t < 6 ? types[t] : "?");
		separator = ",";
	}
	print("\n");
}

/* Does [start, end) overlap what the VMM handed over? */
bool boot_info_overlaps(uint64_t start, uint64_t end)
{
	uint64_t si = boot_info.start_info;
	uint64_t cl = (uint64_t)(uintptr_t)boot_info.cmdline, mm = (uint64_t)(uintptr_t)memmap;
	uint64_t mm_end = mm + boot_info.memmap_entries * sizeof(*memmap);
	return (si < end && si + sizeof(struct hvm_start_info) > start) ||
	       (cl && cl < end && cl + strlen(boot_info.cmdline) + 1 > start) ||
	       (mm && mm < end && mm_end > start);
}
