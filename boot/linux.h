/* The Linux x86 boot protocol's numbers: setup header offsets (in the
 * image and in the zero page alike) and boot_params fields. Private to
 * boot/. */
#ifndef SPRIG_BOOT_LINUX_H
#define SPRIG_BOOT_LINUX_H

#define LINUX_SETUP_HEADER 0x1f1        /* the header starts here ... */
#define LINUX_SETUP_HEADER_MAX 0x290    /* ... and, in any version, ends by here */
#define LINUX_HDR_SETUP_SECTS 0x1f1
#define LINUX_HDR_SYSSIZE 0x1f4
#define LINUX_HDR_VID_MODE 0x1fa
#define LINUX_BOOT_FLAG 0x1fe           /* 0xaa55 */
#define LINUX_HDR_JUMP 0x200            /* a short jump over the header */
#define LINUX_HDR_MAGIC 0x202           /* "HdrS" */
#define LINUX_HDR_VERSION 0x206
#define LINUX_HDR_TYPE_OF_LOADER 0x210
#define LINUX_HDR_LOADFLAGS 0x211
#define LINUX_HDR_RAMDISK_IMAGE 0x218
#define LINUX_HDR_RAMDISK_SIZE 0x21c
#define LINUX_HDR_CMD_LINE_PTR 0x228
#define LINUX_HDR_INITRD_ADDR_MAX 0x22c
#define LINUX_HDR_KERNEL_ALIGNMENT 0x230
#define LINUX_HDR_RELOCATABLE 0x234
#define LINUX_HDR_XLOADFLAGS 0x236
#define LINUX_HDR_CMDLINE_SIZE 0x238
#define LINUX_HDR_HARDWARE_SUBARCH 0x23c
#define LINUX_HDR_SETUP_DATA 0x250
#define LINUX_HDR_PREF_ADDRESS 0x258
#define LINUX_HDR_INIT_SIZE 0x260

#define LINUX_HDRS 0x53726448u          /* "HdrS" */
#define LINUX_MIN_VERSION 0x020c        /* 2.12: xloadflags, XLF_KERNEL_64 */
#define LINUX_RSDP_VERSION 0x020e       /* 2.14: acpi_rsdp_addr */
#define LINUX_DEFAULT_VERSION 0x020f    /* 2.15: the header given to a plain ELF64 */
#define LINUX_LOADED_HIGH 0x01
#define LINUX_XLF_KERNEL_64 0x0001
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002
#define LINUX_LOADER_UNDEFINED 0xff
#define LINUX_LOAD_MIN 0x100000ull      /* 1 MiB */
#define LINUX_ENTRY_64_OFFSET 0x200

/* boot_params (the zero page), beyond the setup header. */
#define LINUX_BP_ACPI_RSDP_ADDR 0x070
#define LINUX_BP_EXT_RAMDISK_IMAGE 0x0c0
#define LINUX_BP_EXT_RAMDISK_SIZE 0x0c4
#define LINUX_BP_EXT_CMD_LINE_PTR 0x0c8
#define LINUX_BP_E820_ENTRIES 0x1e8
#define LINUX_BP_E820_TABLE 0x2d0
#define LINUX_E820_MAX 128
#define LINUX_E820_ENTRY_SIZE 20        /* u64 addr, u64 size, u32 type, packed */
#define LINUX_E820_RAM 1
#define LINUX_E820_RESERVED 2
#define LINUX_ZERO_PAGE_SIZE 4096

#endif
