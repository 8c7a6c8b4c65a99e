# `make bench`: boot-time and kick-latency tables, sprig side by side with
# QEMU microvm, then the Linux boot table (bench-linux).
bench: $(BUILD)/sprig guests $(QMP_DRIVE) $(BUILD)/kvm-probe | $(DEPS_STAMP)
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
