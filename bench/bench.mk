# `make bench`: boot-time tables, sprig side by side with QEMU microvm.
bench: $(BUILD)/sprig guests | $(DEPS_STAMP)
	BUILD=$(BUILD) bench/boot
