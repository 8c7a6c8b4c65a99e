# libFuzzer targets (a make fragment: tests/tests.mk includes it; BUILD,
# CC, DEPS_STAMP and, when defined, GUEST_ELFS come from the top level).
# clang with the fuzzer runtime, ASan and UBSan; each target is compiled
# together with the real sources it fuzzes. FUZZ_TARGETS also names the
# generated ELF seed corpus, so that `make test` builds it too.
FUZZ_OUT := $(BUILD)/tests/fuzz
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS := $(FUZZ_OUT)/fuzz_config $(FUZZ_OUT)/fuzz_elf $(FUZZ_OUT)/fuzz_json $(FUZZ_OUT)/fuzz_bzimage \
	$(FUZZ_OUT)/fuzz_devices $(FUZZ_OUT)/fuzz_virtq $(FUZZ_OUT)/fuzz_virtio_blk \
	$(FUZZ_OUT)/fuzz_virtio_net $(FUZZ_OUT)/fuzz_virtio_vsock $(FUZZ_OUT)/fuzz_snapshot $(FUZZ_OUT)/fuzz_oci_spec
FUZZ_ELF_SEEDS := $(FUZZ_OUT)/seeds/elf.stamp
FUZZ_BZIMAGE_SEEDS := $(FUZZ_OUT)/seeds/bzimage.stamp
FUZZ_VIRTQ_SEEDS := $(FUZZ_OUT)/seeds/virtq.stamp
FUZZ_SNAPSHOT_SEEDS := $(FUZZ_OUT)/seeds/snapshot.stamp
FUZZ_TARGETS := $(FUZZ_BINS) $(FUZZ_ELF_SEEDS) $(FUZZ_BZIMAGE_SEEDS) $(FUZZ_VIRTQ_SEEDS) $(FUZZ_SNAPSHOT_SEEDS)

# What each target is built from besides its own fuzz_NAME.c.
$(FUZZ_OUT)/fuzz_config: config.c config_file.c mem/layout.c cpu/spec.c cpu/models.c cpu/features.c
$(FUZZ_OUT)/fuzz_elf: $(wildcard boot/*.c) mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_json: control/json.c
$(FUZZ_OUT)/fuzz_oci_spec: oci/spec.c oci/cgroup.c oci/mounts.c agent/wire.c control/json.c
$(FUZZ_OUT)/fuzz_devices: $(wildcard devices/*.c) devices/virtio/mmio.c devices/virtio/queue.c \
	mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_virtq: devices/virtio/queue.c mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_virtio_blk: $(wildcard devices/*.c) devices/virtio/blk.c devices/virtio/mmio.c devices/virtio/queue.c \
	devices/virtio/io_thread.c devices/virtio/rate_limit.c mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_virtio_net: $(wildcard devices/*.c) devices/virtio/net.c devices/virtio/mmio.c devices/virtio/queue.c \
	devices/virtio/io_thread.c devices/virtio/rate_limit.c mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_virtio_vsock: $(wildcard devices/*.c) devices/virtio/vsock.c devices/virtio/mmio.c \
	devices/virtio/queue.c devices/virtio/io_thread.c mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_bzimage: $(wildcard boot/*.c) mem/guest_mem.c mem/layout.c
$(FUZZ_OUT)/fuzz_snapshot: snapshot/format.c snapshot/restore.c snapshot/restore_state.c cpu/state_load.c \
	cpu/features.c config.c config_file.c cpu/spec.c cpu/models.c $(wildcard devices/*.c) devices/virtio/rng.c \
	devices/virtio/mmio.c devices/virtio/mmio_state.c devices/virtio/queue.c devices/virtio/io_thread.c \
	devices/virtio/rate_limit.c mem/guest_mem.c mem/layout.c mem/backing.c

$(FUZZ_BINS): $(FUZZ_OUT)/%: tests/fuzz/%.c $(wildcard *.h */*.h */*/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# Seeds for fuzz_elf: small valid images from the unit tests' builder, and
# the real test guests when the top level builds them.
$(FUZZ_ELF_SEEDS): tests/fuzz/make_elf_seeds.c tests/unit/elf_builder.c tests/unit/elf_builder.h \
		$(GUEST_ELFS) | $(DEPS_STAMP)
	@rm -rf $(FUZZ_OUT)/seeds/elf && mkdir -p $(FUZZ_OUT)/seeds/elf
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $(FUZZ_OUT)/make_elf_seeds \
		$(filter %.c,$^)
	$(FUZZ_OUT)/make_elf_seeds $(FUZZ_OUT)/seeds/elf
	$(if $(GUEST_ELFS),cp $(GUEST_ELFS) $(FUZZ_OUT)/seeds/elf/)
	@touch $@

# Seeds for fuzz_bzimage: the bzImage test guests.
$(FUZZ_BZIMAGE_SEEDS): $(GUEST_BZIMAGES)
	@rm -rf $(FUZZ_OUT)/seeds/bzimage && mkdir -p $(FUZZ_OUT)/seeds/bzimage
	cp $(GUEST_BZIMAGES) $(FUZZ_OUT)/seeds/bzimage/
	@touch $@

# Seeds for fuzz_virtq: well-formed queues (direct, indirect, a full ring).
$(FUZZ_VIRTQ_SEEDS): tests/fuzz/make_virtq_seeds.c | $(DEPS_STAMP)
	@rm -rf $(FUZZ_OUT)/seeds/virtq && mkdir -p $(FUZZ_OUT)/seeds/virtq
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $(FUZZ_OUT)/make_virtq_seeds $<
	$(FUZZ_OUT)/make_virtq_seeds $(FUZZ_OUT)/seeds/virtq
	@touch $@

# Seeds for fuzz_snapshot: state files with every section sprig writes.
$(FUZZ_SNAPSHOT_SEEDS): tests/fuzz/make_snapshot_seeds.c snapshot/format.c | $(DEPS_STAMP)
	@rm -rf $(FUZZ_OUT)/seeds/snapshot && mkdir -p $(FUZZ_OUT)/seeds/snapshot
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $(FUZZ_OUT)/make_snapshot_seeds $^
	$(FUZZ_OUT)/make_snapshot_seeds $(FUZZ_OUT)/seeds/snapshot
	@touch $@
