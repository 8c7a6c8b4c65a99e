# The floor (bench/floor.c) is built as sprig is: static musl, so neither
# pays for a dynamic loader the other does not.
$(BUILD)/bench/floor $(BUILD)/bench/teardown: $(BUILD)/bench/%: bench/%.c | $(SECCOMP_DIR)/lib/libseccomp.a
	@mkdir -p $(dir $@)
	$(MUSL_CC) -std=c11 $(WARN) -O2 -static -isystem $(KERNEL_INCLUDE) -o $@ $<

# The launchers too: a child's peak RSS, as wait4 reports it, is at least
# the launcher's own image before exec (bench/README.md).
$(BUILD)/bench/vmmtime $(BUILD)/bench/launchrate $(BUILD)/bench/linetime: $(BUILD)/bench/%: bench/%.c | $(SECCOMP_DIR)/lib/libseccomp.a
	@mkdir -p $(dir $@)
	$(MUSL_CC) -std=c11 $(WARN) -O2 -static -o $@ $<

BENCH_VMM_NEEDS := $(BUILD)/sprig $(BUILD)/bench/floor $(BUILD)/bench/vmmtime $(BUILD)/bench/teardown \
	guests $(BUILD)/kvm-probe

# `make bench-vmm`: VMM time on the null guest, sprig against the floor and
# QEMU microvm (bench/vmm-time; BENCH_RUNS iterations, default 50).
BENCH_RUNS ?= 50
.PHONY: bench-vmm
bench-vmm: $(BENCH_VMM_NEEDS) | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/vmm-time $(BENCH_RUNS)

# `make bench-launch`: VMs started and ended per second (bench/launch-rate;
# LAUNCH_SECONDS per row, default 10).
LAUNCH_SECONDS ?= 10
.PHONY: bench-launch
bench-launch: $(BUILD)/sprig $(BUILD)/bench/launchrate guests $(BUILD)/kvm-probe | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/launch-rate $(LAUNCH_SECONDS)

# `make bench`: VMM time, boot-time and kick-latency tables, sprig side by
# side with QEMU microvm, then the Linux boot table (bench-linux).
bench: $(BENCH_VMM_NEEDS) $(BUILD)/bench/launchrate $(QMP_DRIVE) | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/vmm-time $(BENCH_RUNS)
	BUILD=$(BUILD) bench/launch-rate $(LAUNCH_SECONDS)
	BUILD=$(BUILD) bench/boot
	BUILD=$(BUILD) bench/kick
	BUILD=$(BUILD) bench/linux-boot $(LINUX_RUNS)

# `make bench-linux`: Linux (tools/guest-kernel's kernels and initramfs)
# booted to /init and powered off, sprig against QEMU microvm, LINUX_RUNS
# runs each (bench/linux-boot builds or checks the kernels itself).
LINUX_RUNS ?= 10
.PHONY: bench-linux
bench-linux: $(BUILD)/sprig $(BUILD)/kvm-probe | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/linux-boot $(LINUX_RUNS)

# `make bench-restore`: sprig restore against a cold boot of the same
# guest, 128 MiB to 8 GiB, and clones per second (bench/restore).
.PHONY: bench-restore
bench-restore: $(BUILD)/sprig $(BUILD)/bench/vmmtime $(BUILD)/bench/launchrate $(BUILD)/bench/linetime guests \
	| $(DEPS_STAMP)
	BUILD=$(BUILD) bench/restore $(BENCH_RUNS)

# `make bench-io`: block and net throughput and host CPU per GiB in a Linux
# guest, sprig against QEMU microvm (bench/io; IO_RUNS runs each, default 3).
IO_RUNS ?= 3
.PHONY: bench-io
bench-io: $(BUILD)/sprig | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/io $(IO_RUNS)

# `make bench-oci`: podman run --rm of a one-line busybox container with
# crun and with sprig, and sprig run without podman (bench/oci-run;
# OCI_RUNS runs each, default 10).
OCI_RUNS ?= 10
.PHONY: bench-oci
bench-oci: $(BUILD)/sprig $(BUILD)/bench/linetime | $(DEPS_STAMP)
	tools/guest-kernel agent
	BUILD=$(BUILD) bench/oci-run $(OCI_RUNS)
