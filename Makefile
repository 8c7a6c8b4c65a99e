# sprig: `make run` builds everything and boots the built-in guest;
# `make test` runs the whole test suite. Both install what they need.
BUILD ?= build
SECCOMP_DIR := $(BUILD)/libseccomp
KERNEL_INCLUDE := $(SECCOMP_DIR)/kernel-include
DEPS_STAMP := $(BUILD)/.deps-installed

WARN := -Wall -Wextra -Werror
COMMON_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -fno-strict-aliasing
# seccomp/bpf_gen.c and context.c run at build time: they make the BPF
# tables (build/*/seccomp/bpf_tables.c) the binary carries.
SECCOMP_GEN_SRCS := seccomp/bpf_gen.c seccomp/context.c seccomp/rules.c
VMM_SRCS := vmm.c config.c config_file.c cpu_command.c guest_load.c timings.c virtio_setup.c agent/wire.c \
	$(filter-out seccomp/bpf_gen.c seccomp/context.c, \
	$(sort $(wildcard mem/*.c boot/*.c cpu/*.c devices/*.c devices/virtio/*.c control/*.c seccomp/*.c snapshot/*.c oci/*.c jail/*.c)))
HEADERS := $(wildcard *.h */*.h)

# Release: static musl, small and fast to exec.
MUSL_CC := musl-gcc
RELEASE_CFLAGS := $(COMMON_CFLAGS) -Os -ffunction-sections -fdata-sections \
	-isystem $(KERNEL_INCLUDE) -I$(SECCOMP_DIR)/include
RELEASE_OBJS := $(VMM_SRCS:%.c=$(BUILD)/release/%.o) $(BUILD)/release/seccomp/bpf_tables.o
# Sanitizer build for tests: host gcc and glibc (ASan/UBSan need them).
ASAN_CFLAGS := $(COMMON_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
ASAN_OBJS := $(VMM_SRCS:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/seccomp/bpf_tables.o

.PHONY: all run test bench fuzz clean deps
# Keep intermediate objects (the guests' chained pattern rules) between builds.
.SECONDARY:
all: $(BUILD)/sprig $(BUILD)/asan/sprig guests $(BUILD)/kvm-probe

include guest/guest.mk
guests: $(GUEST_ELFS)

$(DEPS_STAMP): tools/deps
	@mkdir -p $(BUILD)
	tools/deps
	@touch $@
deps: $(DEPS_STAMP)

$(SECCOMP_DIR)/lib/libseccomp.a: | $(DEPS_STAMP)
	tools/build-libseccomp $(SECCOMP_DIR)

$(BUILD)/release/%.o: %.c $(SECCOMP_DIR)/lib/libseccomp.a
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(RELEASE_CFLAGS) -MMD -MP -c $< -o $@

# The filters compiled once, by a generator built as the binary is.
$(BUILD)/release/bpf_gen: $(SECCOMP_GEN_SRCS) $(HEADERS) $(SECCOMP_DIR)/lib/libseccomp.a
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(RELEASE_CFLAGS) -static -o $@ $(SECCOMP_GEN_SRCS) $(SECCOMP_DIR)/lib/libseccomp.a

$(BUILD)/%/seccomp/bpf_tables.c: $(BUILD)/%/bpf_gen
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@

$(BUILD)/release/seccomp/bpf_tables.o: $(BUILD)/release/seccomp/bpf_tables.c
	$(MUSL_CC) $(RELEASE_CFLAGS) -I. -c $< -o $@

$(BUILD)/release/embed.o: guest/embed.S $(BUILD)/guest/hello.elf | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(MUSL_CC) -DHELLO_ELF='"$(BUILD)/guest/hello.elf"' -c $< -o $@

$(BUILD)/sprig: $(RELEASE_OBJS) $(BUILD)/release/embed.o $(SECCOMP_DIR)/lib/libseccomp.a
	$(MUSL_CC) -static -Wl,--gc-sections -s -o $@ $(RELEASE_OBJS) $(BUILD)/release/embed.o \
		$(SECCOMP_DIR)/lib/libseccomp.a -lpthread

$(BUILD)/asan/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/bpf_gen: $(SECCOMP_GEN_SRCS) $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -o $@ $(SECCOMP_GEN_SRCS) -lseccomp

$(BUILD)/asan/seccomp/bpf_tables.o: $(BUILD)/asan/seccomp/bpf_tables.c
	$(CC) $(ASAN_CFLAGS) -I. -c $< -o $@

$(BUILD)/asan/embed.o: guest/embed.S $(BUILD)/guest/hello.elf
	@mkdir -p $(dir $@)
	$(CC) -DHELLO_ELF='"$(BUILD)/guest/hello.elf"' -c $< -o $@

$(BUILD)/asan/sprig: $(ASAN_OBJS) $(BUILD)/asan/embed.o
	$(CC) -fsanitize=address,undefined -o $@ $^ -lseccomp -lpthread

# What this host's KVM offers (docs/host-notes.md); host gcc, not shipped.
$(BUILD)/kvm-probe: tools/kvm-probe.c | $(DEPS_STAMP)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

include tests/tests.mk
include bench/bench.mk

run: all
	tools/run-default $(BUILD)/sprig

clean:
	rm -rf $(BUILD)/release $(BUILD)/asan $(BUILD)/guest $(BUILD)/tests $(BUILD)/sprig

-include $(RELEASE_OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
