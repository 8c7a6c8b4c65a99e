/* The snapshot state file (docs/snapshot.md): a header, typed sections,
 * a CRC-64 over both. Pure byte handling, no KVM and no files, so the
 * unit tests and the fuzz target drive it directly. Little-endian, as the
 * only architecture sprig runs on. */
#ifndef SPRIG_SNAPSHOT_FORMAT_H
#define SPRIG_SNAPSHOT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MAGIC "SPRIGSNP"
/* A reader takes its own major version and any minor up to its own: a
 * minor adds section types older readers must refuse to ignore silently
 * (they do: an unknown type is an error). */
#define SNAPSHOT_VERSION_MAJOR 1u
#define SNAPSHOT_VERSION_MINOR 0u
#define SNAPSHOT_STATE_MAX (256u << 20)   /* a state file larger is damaged */
#define SNAPSHOT_WHY_SIZE 512

struct snapshot_header {
	char magic[8];
	uint16_t major, minor;
	uint32_t section_count;
	uint64_t length;          /* the whole file, trailer included */
};

struct snapshot_section_header {
	uint32_t type;
	uint32_t index;           /* which vCPU, irqchip or virtio window */
	uint64_t length;          /* payload bytes; the payload is padded to 8 */
};

/* Section types. Each has one payload layout (snapshot/sections.h). */
enum snapshot_section_type {
	SNAP_CONFIG = 1,          /* the config, as config-file text */
	SNAP_MEMORY = 2,          /* struct snapshot_memory */
	SNAP_CPU_FEATURES = 3,    /* the CPU model's features: feature_set */
	SNAP_VM_CLOCK = 8,        /* struct kvm_clock_data */
	SNAP_VM_PIT = 9,          /* struct kvm_pit_state2 */
	SNAP_VM_IRQCHIP = 10,     /* struct kvm_irqchip; index = chip id */
	SNAP_VCPU_CPUID = 16,     /* kvm_cpuid_entry2[]; index = vCPU */
	SNAP_VCPU_REGS = 17,
	SNAP_VCPU_SREGS = 18,
	SNAP_VCPU_XSAVE = 19,     /* the XSAVE area, 4 KiB or KVM_CAP_XSAVE2's size */
	SNAP_VCPU_XCRS = 20,
	SNAP_VCPU_DEBUGREGS = 21,
	SNAP_VCPU_LAPIC = 22,
	SNAP_VCPU_EVENTS = 23,
	SNAP_VCPU_MP_STATE = 24,
	SNAP_VCPU_MSRS = 25,      /* kvm_msr_entry[] */
	SNAP_VCPU_TSC_KHZ = 26,   /* uint32_t */
	SNAP_UART = 32,           /* struct uart_state */
	SNAP_I8042 = 33,          /* struct i8042_state */
	SNAP_VIRTIO = 40,         /* struct virtio_mmio_state; index = window */
};

/* Building a state file in memory. Errors stick: check once at the end. */
struct snapshot_writer {
	uint8_t *buf;
	size_t len, cap;
	uint32_t sections;
	int error;                /* 0 or -ENOMEM / -E2BIG */
};

void snapshot_writer_init(struct snapshot_writer *w);
void snapshot_put(struct snapshot_writer *w, uint32_t type, uint32_t index, const void *data,
		  uint64_t len);
/* Header and trailer filled in: the file is buf[0..len). 0 or -errno. */
int snapshot_writer_finish(struct snapshot_writer *w);
void snapshot_writer_free(struct snapshot_writer *w);

/* A checked state file: every section lies inside it. */
struct snapshot_section {
	uint32_t type, index;
	const uint8_t *data;
	uint64_t len;
};
struct snapshot_view {
	uint16_t major, minor;
	uint32_t count;
	uint32_t cursor;          /* where the last find ended: restore asks in file order */
	struct snapshot_section *sections;  /* malloc'd: snapshot_view_free */
};

/* Check `len` bytes: magic, version, lengths, CRC, every section inside
 * the file and of a known type. 0, or -EINVAL with `why` ("damaged: ...",
 * "version 2.0, this sprig reads 1.x"), -ENOMEM. */
int snapshot_read(const uint8_t *buf, size_t len, struct snapshot_view *view, char *why);
void snapshot_view_free(struct snapshot_view *view);

/* The section (type, index), or NULL. */
const struct snapshot_section *snapshot_find(struct snapshot_view *view, uint32_t type, uint32_t index);
/* Its payload when it is exactly `len` bytes, else NULL. */
const void *snapshot_find_exact(struct snapshot_view *view, uint32_t type, uint32_t index, uint64_t len);

/* CRC-64/XZ (ECMA-182 polynomial, reflected), as xz uses. */
uint64_t snapshot_crc64(const uint8_t *data, size_t len);

#endif
