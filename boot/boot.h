/* Kernel loaders and the boot-time data a guest finds in memory. */
#ifndef SPRIG_BOOT_H
#define SPRIG_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../mem/mem.h"

/* Where sprig puts its boot data (docs/memory-map.md). [0x1000, 0x5000) is
 * left to the guest (its real-mode AP trampoline, as Linux does). */
#define BOOT_GDT_GPA 0x5000ull
#define BOOT_START_INFO_GPA 0x6000ull
#define BOOT_STACK_TOP_GPA 0x8000ull
#define BOOT_PML4_GPA 0x9000ull
#define BOOT_ZERO_PAGE_GPA 0xf000ull    /* Linux boot_params */
#define BOOT_CMDLINE_GPA 0x20000ull
#define BOOT_CMDLINE_MAX 4096u          /* including the terminating NUL */
#define BOOT_ACPI_GPA 0xe0000ull
#define BOOT_ACPI_END 0x100000ull

/* Selectors of the boot GDT (BOOT_GDT_GPA): Linux's 64-bit boot protocol
 * wants __BOOT_CS = 0x10 and __BOOT_DS = 0x18. */
#define BOOT_SEL_CODE32 0x08
#define BOOT_SEL_CODE64 0x10
#define BOOT_SEL_DATA 0x18
#define BOOT_SEL_TSS 0x20

enum boot_protocol {
	BOOT_PVH,      /* 32-bit protected mode, %ebx = hvm_start_info */
	BOOT_ELF64,    /* long mode, identity mapped, %rdi = hvm_start_info, %rsi = boot_params */
	BOOT_LINUX64,  /* bzImage: long mode, identity mapped, %rsi = boot_params */
};

#define BOOT_LINUX_HEADER_MAX 0x9f     /* the setup header, 0x1f1 .. 0x290 */

struct boot_kernel {
	enum boot_protocol protocol;
	uint64_t entry;       /* guest-physical entry point */
	uint64_t image_end;   /* first byte after the highest segment below the MMIO gap */
	/* BOOT_LINUX64: the image's setup header, copied into the zero page. */
	uint8_t linux_header[BOOT_LINUX_HEADER_MAX];
	size_t linux_header_size;
};

#define BOOT_WHY_SIZE 160

/* Load an ELF64 x86-64 image into guest memory. A XEN_ELFNOTE_PHYS32_ENTRY
 * note selects PVH; otherwise e_entry (virtual, or else physical as in
 * Linux's vmlinux) is entered in long mode. On failure,
 * returns -ENOEXEC (or -EINVAL) and says why in `why`. */
int boot_elf_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		  struct boot_kernel *kernel, char *why);

/* Load a Linux bzImage (boot protocol 2.12 or later, 64-bit entry) at its
 * preferred address. -ENOEXEC with `why` on a bad or truncated image, or
 * one that does not fit in guest RAM. */
bool boot_is_bzimage(const uint8_t *image, size_t size);
int boot_bzimage_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		      struct boot_kernel *kernel, char *why);

/* Either of the above, by the image's magic; anything else: -ENOEXEC,
 * "not an ELF or bzImage". */
int boot_kernel_load(struct guest_mem *mem, const uint8_t *image, size_t size,
		     struct boot_kernel *kernel, char *why);

/* A virtio-mmio window, described to the guest in the DSDT. */
struct boot_mmio_device {
	uint64_t base, size;
	uint32_t irq;
};

struct boot_setup {
	const char *cmdline;       /* may be NULL */
	const uint8_t *initrd;     /* may be NULL */
	size_t initrd_size;
	unsigned cpus;
	const uint32_t *apic_ids;  /* one per vCPU; NULL: 0 .. cpus-1 */
	const struct boot_mmio_device *mmio_devices;
	unsigned mmio_count;
};

/* Write everything the entry code expects to find: GDT, hvm_start_info,
 * memory map, command line, initrd, ACPI tables and, for long mode, the
 * identity page tables. */
int boot_prepare(struct guest_mem *mem, const struct boot_kernel *kernel,
		 const struct boot_setup *setup, char *why);

/* ACPI tables (RSDP, RSDT, XSDT, a hardware-reduced FADT, DSDT, MADT) and
 * the MP table, for setup's vCPUs and devices. Returns the RSDP's address,
 * or 0 if the tables do not fit. */
uint64_t boot_acpi_build(struct guest_mem *mem, const struct boot_setup *setup);

#endif
