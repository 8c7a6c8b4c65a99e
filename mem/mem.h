/* Guest memory: the x86_64 memory map, its anonymous backing, and the one
 * checked helper that turns a guest-physical range into a host pointer. */
#ifndef SPRIG_MEM_H
#define SPRIG_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_KiB 1024ull
#define MEM_MiB (1024ull * MEM_KiB)
#define MEM_GiB (1024ull * MEM_MiB)

/* The map every guest sees (docs/memory-map.md). */
#define MEM_LOW_RAM_END 0x9fc00ull        /* conventional RAM, below the EBDA */
#define MEM_HIGH_RAM_START 0x100000ull    /* 1 MiB: kernels load here */
#define MEM_MMIO_GAP_START 0xc0000000ull  /* 3 GiB: devices, IOAPIC, LAPIC */
#define MEM_MMIO_GAP_END 0x100000000ull   /* RAM resumes at 4 GiB */
#define MEM_MIN_SIZE (4 * MEM_MiB)
#define MEM_MAX_SIZE (1024 * MEM_GiB)

/* One range of guest RAM as the guest's memory map (e820) reports it. */
struct mem_range {
	uint64_t gpa;
	uint64_t size;
};

#define MEM_MAX_RANGES 3

/* What backs guest RAM (`mem-backend`): anonymous memory, a memfd, or a
 * file the user names (both shared, so the RAM is that file's pages). */
enum mem_backend { MEM_BACKEND_ANON, MEM_BACKEND_MEMFD, MEM_BACKEND_FILE };

struct guest_mem {
	uint8_t *hva;        /* one mapping: low RAM then high RAM */
	uint64_t size;       /* RAM the user asked for */
	uint64_t low_size;   /* RAM in [0, MEM_MMIO_GAP_START) */
	uint64_t high_size;  /* RAM from MEM_MMIO_GAP_END on */
	enum mem_backend backend;
	int fd;              /* the memfd or file; -1 for anonymous memory */
	bool private_file;   /* a snapshot's memory file, copy-on-write */
};

/* Map `size` bytes of anonymous memory and split it around the MMIO gap. */
int guest_mem_init(struct guest_mem *mem, uint64_t size);
/* The same on a memfd, or on the file `path` (created, or cut to `size`
 * and emptied: the guest's RAM starts as zeros either way). */
int guest_mem_init_backend(struct guest_mem *mem, uint64_t size, enum mem_backend backend, const char *path);
/* A snapshot's memory file `fd` (exactly `size` bytes) as guest RAM:
 * mapped copy-on-write, so pages come in as the guest touches them and
 * the file is never written; with `copy`, read whole into anonymous
 * memory instead. Takes `fd`: kept for the mapping (guest_mem_free
 * closes it), or closed at once. */
int guest_mem_init_snapshot(struct guest_mem *mem, int fd, uint64_t size, bool copy);
void guest_mem_free(struct guest_mem *mem);

/* Guest RAM into `out` (a new file): every 4 KiB page that is not all
 * zeros, at its offset in RAM; zero pages stay holes, so an 8 GiB guest
 * that touched 100 MiB writes about 100 MiB. The `skip_count` pages at
 * guest-physical `skip` (poisoned: reading them would raise SIGBUS) are
 * left as holes. 0 or -errno. */
int guest_mem_save(const struct guest_mem *mem, int out, const uint64_t *skip, unsigned skip_count);

/* Register the RAM with a KVM VM as memory slots. */
int guest_mem_register(const struct guest_mem *mem, int vm_fd);

/* The host address of guest-physical [gpa, gpa + len), or NULL unless the
 * whole range is guest RAM. Every guest address sprig touches goes through
 * here; nothing else turns a guest address into a pointer. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Guest-physical address of a host pointer into guest RAM, or -1 when the
 * pointer is outside it (for faults reported against host addresses). */
int64_t guest_mem_gpa(const struct guest_mem *mem, const void *hva);

/* Replace the guest RAM page holding `gpa` with a fresh zero page (a
 * poisoned page, at guest reset). -EINVAL outside guest RAM. */
int guest_mem_replace_page(struct guest_mem *mem, uint64_t gpa);

/* The RAM ranges the guest's memory map reports (usable RAM only: the legacy
 * hole at 640 KiB - 1 MiB and the MMIO gap are left out). Returns the count. */
int guest_mem_ranges(const struct guest_mem *mem, struct mem_range *out);

/* Bytes of guest RAM the host has actually backed so far (for --timings:
 * sprig's own overhead is peak RSS minus this). */
uint64_t guest_mem_resident(const struct guest_mem *mem);

/* Parse "64M", "2G", "4096K", "1048576" into bytes; -EINVAL on junk or
 * overflow. Suffixes are binary (K = 1024), upper or lower case. */
int mem_parse_size(const char *text, uint64_t *bytes);

#endif
