/* Seeds for fuzz_snapshot: state files as sprig writes them (a config,
 * the memory section, one or two vCPUs' sections of the right sizes, COM1,
 * the i8042, a virtio-rng transport with a ready queue), built with the
 * same writer. usage: make_snapshot_seeds DIR */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../devices/devices.h"
#include "../../devices/virtio/mmio.h"
#include "../../snapshot/format.h"

static void vcpu(struct snapshot_writer *w, unsigned i)
{
	static struct kvm_cpuid_entry2 cpuid[4];
	static struct kvm_msr_entry msrs[3] = { { .index = 0x10 }, { .index = 0x6e0 }, { .index = 0x1b } };
	static uint8_t xsave[4096], lapic[1024];
	struct kvm_regs regs = { .rip = 0x100000 };
	struct kvm_sregs sregs = { .cr0 = 1 };
	struct kvm_mp_state mp = { 0 };
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	struct kvm_debugregs dr = { .dr7 = 0x400 };
	struct kvm_vcpu_events events = { 0 };
	uint32_t khz = 2000000;
	snapshot_put(w, SNAP_VCPU_CPUID, i, cpuid, sizeof(cpuid));
	snapshot_put(w, SNAP_VCPU_MP_STATE, i, &mp, sizeof(mp));
	snapshot_put(w, SNAP_VCPU_REGS, i, &regs, sizeof(regs));
	snapshot_put(w, SNAP_VCPU_SREGS, i, &sregs, sizeof(sregs));
	snapshot_put(w, SNAP_VCPU_XSAVE, i, xsave, sizeof(xsave));
	snapshot_put(w, SNAP_VCPU_XCRS, i, &xcrs, sizeof(xcrs));
	snapshot_put(w, SNAP_VCPU_DEBUGREGS, i, &dr, sizeof(dr));
	snapshot_put(w, SNAP_VCPU_LAPIC, i, lapic, sizeof(lapic));
	snapshot_put(w, SNAP_VCPU_MSRS, i, msrs, sizeof(msrs));
	snapshot_put(w, SNAP_VCPU_TSC_KHZ, i, &khz, sizeof(khz));
	snapshot_put(w, SNAP_VCPU_EVENTS, i, &events, sizeof(events));
}

static void seed(const char *dir, const char *name, unsigned cpus, bool ready)
{
	struct snapshot_writer w;
	snapshot_writer_init(&w);
	const char *config = "mem = 4194304\ncpus = 2\ncpu = \"host\"\nrng = on\n[vsock]\npath = \"/v\"\n";
	snapshot_put(&w, SNAP_CONFIG, 0, config, strlen(config));
	uint64_t memory[2] = { 4u << 20, 1ull << 32 };
	snapshot_put(&w, SNAP_MEMORY, 0, memory, sizeof(memory));
	for (unsigned i = 0; i < cpus; i++)
		vcpu(&w, i);
	struct uart_state uart = { .ier = 1, .fcr = 1, .rx_head = 15, .rx_count = 2, .rx = "ab" };
	struct i8042_state kbd = { .ctr = 0x45, .count = 1, .queue = { 0xfa } };
	snapshot_put(&w, SNAP_UART, 0, &uart, sizeof(uart));
	snapshot_put(&w, SNAP_I8042, 0, &kbd, sizeof(kbd));
	struct virtio_mmio_state v = { .device_id = 4, .queue_count = 1, .status = ready ? 0xf : 3,
				       .driver_features = 1ull << 32 };
	v.queues[0] = (struct virtio_queue_state){ .size = 16, .ready = ready, .desc = 0x10000, .avail = 0x11000,
						   .used = 0x12000, .last_avail = 3, .used_idx = 3,
						   .signalled_used = 2, .pending_size = 16 };
	snapshot_put(&w, SNAP_VIRTIO, 0, &v, sizeof(v));
	if (snapshot_writer_finish(&w))
		exit(1);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(w.buf, 1, w.len, f) != w.len || fclose(f))
		exit(1);
	snapshot_writer_free(&w);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	seed(argv[1], "one-vcpu", 1, true);
	seed(argv[1], "two-vcpus", 2, false);
	return 0;
}
