/* What the VMM handed over: a PVH hvm_start_info, or a Linux zero page
 * (boot_params) for the bzImage build. Values are checked before use: a
 * guest that trusts garbage is a bad test of a VMM. */
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

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct memmap_entry {
	uint64_t addr, size;
	uint32_t type;
};

struct boot_info boot_info;
static struct memmap_entry memmap[MAX_MEMMAP];
/* Where the handed-over data lies, so the guest does not overwrite it. */
static struct { uint64_t start, end; } handover[3];

static void add_range(uint64_t addr, uint64_t size, uint32_t type)
{
	if (boot_info.memmap_entries >= MAX_MEMMAP)
		return;
	memmap[boot_info.memmap_entries++] = (struct memmap_entry){ addr, size, type };
	if (type == 1)
		boot_info.ram_bytes += size;
}

static void set_cmdline(uint64_t gpa)
{
	boot_info.cmdline = gpa ? (const char *)gpa : NULL;
	if (gpa)
		handover[1].start = gpa, handover[1].end = gpa + strlen(boot_info.cmdline) + 1;
}

bool boot_info_read(uint64_t start_info)
{
	const struct hvm_start_info *si = (const void *)start_info;
	if (!si || si->magic != HVM_START_MAGIC)
		return false;
	boot_info.start_info = start_info;
	handover[0].start = start_info, handover[0].end = start_info + sizeof(*si);
	set_cmdline(si->cmdline_paddr);
	boot_info.rsdp = si->rsdp_paddr;
	if (si->version >= 1 && si->memmap_paddr && si->memmap_entries <= MAX_MEMMAP) {
		const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
		for (unsigned i = 0; i < si->memmap_entries; i++)
			add_range(e[i].addr, e[i].size, e[i].type);
		handover[2].start = si->memmap_paddr;
		handover[2].end = si->memmap_paddr + si->memmap_entries * sizeof(*e);
	}
	if (si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
		boot_info.initrd = m->paddr, boot_info.initrd_size = m->size;
	}
	return true;
}

void boot_info_reset(void)
{
	memset(&boot_info, 0, sizeof(boot_info));
	memset(handover, 0, sizeof(handover));
}

/* The zero page: offsets from the kernel's boot protocol. */
bool boot_info_read_linux(uint64_t zero_page)
{
	const uint8_t *zp = (const void *)zero_page;
	uint32_t hdrs, cmdline, ramdisk, ramdisk_size;
	if (!zp)
		return false;
	memcpy(&hdrs, zp + 0x202, 4);
	if (hdrs != 0x53726448u)  /* "HdrS" */
		return false;
	boot_info.start_info = zero_page;
	handover[0].start = zero_page, handover[0].end = zero_page + 4096;
	memcpy(&cmdline, zp + 0x228, 4);
	set_cmdline(cmdline);
	memcpy(&boot_info.rsdp, zp + 0x070, 8);
	unsigned entries = zp[0x1e8];
	for (unsigned i = 0; i < entries && i < 128; i++) {
		const uint8_t *e = zp + 0x2d0 + 20 * i;
		uint64_t addr, size;
		uint32_t type;
		memcpy(&addr, e, 8), memcpy(&size, e + 8, 8), memcpy(&type, e + 16, 4);
		add_range(addr, size, type);
	}
	memcpy(&ramdisk, zp + 0x218, 4), memcpy(&ramdisk_size, zp + 0x21c, 4);
	boot_info.initrd = ramdisk, boot_info.initrd_size = ramdisk_size;
	boot_info.linux = true;
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
	for (unsigned i = 0; i < sizeof(handover) / sizeof(handover[0]); i++)
		if (handover[i].start < end && handover[i].end > start)
			return true;
	return false;
}
