# `make bench`: boot-time and kick-latency tables, sprig side by side with
# QEMU microvm.
bench: $(BUILD)/sprig guests $(QMP_DRIVE) $(BUILD)/kvm-probe | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/boot
	BUILD=$(BUILD) bench/kick
