# Unit tests (a make fragment: tests/tests.mk includes it; BUILD and CC come
# from the top-level Makefile). Host gcc with ASan and UBSan; each binary is
# one test file compiled together with the real sources it tests.
UNIT_OUT := $(BUILD)/tests/unit
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
UNIT_LDLIBS := -lcmocka -lpthread
UNIT_NAMES := test_config test_config_file test_mem test_elf test_boot test_bzimage test_devices test_feature_table test_cpuid_model \
	test_cpu_model test_features test_qmp test_mce test_json test_run_state \
	test_acpi test_seccomp_bpf test_virtq test_virtio_mmio test_virtio_blk test_virtio_net test_virtio_vsock test_snapshot test_oci_spec test_oci_state test_oci_cgroup test_oci_files test_oci_mounts test_agent_wire
UNIT_TESTS := $(addprefix $(UNIT_OUT)/,$(UNIT_NAMES))

UNIT_CONFIG_SRCS := config.c config_file.c mem/layout.c cpu/spec.c cpu/models.c cpu/features.c
UNIT_MEM_SRCS := mem/guest_mem.c mem/layout.c mem/backing.c
UNIT_BOOT_SRCS := $(wildcard boot/*.c) $(UNIT_MEM_SRCS)

# What each test binary is built from besides its own test_NAME.c.
$(UNIT_OUT)/test_config: $(UNIT_CONFIG_SRCS)
$(UNIT_OUT)/test_config_file: $(UNIT_CONFIG_SRCS)
$(UNIT_OUT)/test_mem: $(UNIT_MEM_SRCS)
$(UNIT_OUT)/test_elf: tests/unit/elf_builder.c $(UNIT_BOOT_SRCS)
$(UNIT_OUT)/test_boot: $(UNIT_BOOT_SRCS)
$(UNIT_OUT)/test_bzimage: $(UNIT_BOOT_SRCS)
$(UNIT_OUT)/test_acpi: $(UNIT_BOOT_SRCS)
$(UNIT_OUT)/test_devices: $(wildcard devices/*.c) devices/virtio/mmio.c devices/virtio/queue.c mem/guest_mem.c mem/layout.c
$(UNIT_OUT)/test_snapshot: snapshot/format.c $(UNIT_CONFIG_SRCS)
$(UNIT_OUT)/test_feature_table: cpu/features.c
$(UNIT_OUT)/test_features: cpu/features.c
$(UNIT_OUT)/test_qmp: control/qmp.c control/qmp_virtio.c control/json.c
$(UNIT_OUT)/test_mce: cpu/mce_encode.c cpu/cpuid_table.c
$(UNIT_OUT)/test_run_state: cpu/run_state.c cpu/mailbox.c cpu/kick.c
$(UNIT_OUT)/test_json: control/json.c
$(UNIT_OUT)/test_oci_spec: oci/spec.c control/json.c
$(UNIT_OUT)/test_oci_state: oci/state.c control/json.c
$(UNIT_OUT)/test_oci_cgroup: oci/cgroup.c jail/cgroupfs.c
$(UNIT_OUT)/test_oci_files: oci/last_line.c oci/unix_address.c
$(UNIT_OUT)/test_oci_mounts: oci/mounts.c oci/spec.c agent/wire.c control/json.c
$(UNIT_OUT)/test_agent_wire: agent/spec.c agent/wire.c oci/monitor_vm.c oci/mounts.c oci/last_line.c oci/rootless.c oci/spec.c oci/state.c control/json.c
$(UNIT_OUT)/test_virtq: devices/virtio/queue.c mem/guest_mem.c mem/layout.c
$(UNIT_OUT)/test_virtio_blk: $(wildcard devices/*.c) devices/virtio/blk.c devices/virtio/mmio.c devices/virtio/queue.c \
	devices/virtio/io_thread.c devices/virtio/rate_limit.c mem/guest_mem.c mem/layout.c
$(UNIT_OUT)/test_virtio_net: $(wildcard devices/*.c) devices/virtio/net.c devices/virtio/mmio.c devices/virtio/queue.c \
	devices/virtio/io_thread.c devices/virtio/rate_limit.c mem/guest_mem.c mem/layout.c
$(UNIT_OUT)/test_virtio_vsock: $(wildcard devices/*.c) devices/virtio/vsock.c devices/virtio/mmio.c \
	devices/virtio/queue.c devices/virtio/io_thread.c mem/guest_mem.c mem/layout.c
$(UNIT_OUT)/test_virtio_mmio: devices/virtio/mmio.c devices/virtio/queue.c devices/virtio/rate_limit.c \
	mem/guest_mem.c mem/layout.c
# The ASan build's generated table, against libseccomp here and now.
$(UNIT_OUT)/test_seccomp_bpf: seccomp/context.c seccomp/rules.c $(BUILD)/asan/seccomp/bpf_tables.c
$(UNIT_OUT)/test_seccomp_bpf: UNIT_LDLIBS += -lseccomp
$(UNIT_OUT)/test_seccomp_bpf: UNIT_CFLAGS += -I.
$(UNIT_OUT)/test_cpuid_model: cpu/features.c cpu/models.c cpu/spec.c cpu/topology.c cpu/cpuid_model.c \
	cpu/cpuid_leaves.c cpu/cpuid_topology.c cpu/cpuid_table.c cpu/msr.c
$(UNIT_OUT)/test_cpu_model: cpu/features.c cpu/models.c cpu/spec.c cpu/topology.c cpu/cpuid_model.c \
	cpu/cpuid_leaves.c cpu/cpuid_topology.c cpu/cpuid_table.c cpu/msr.c

# Every header as a prerequisite: coarse, but never stale.
$(UNIT_TESTS): $(UNIT_OUT)/%: tests/unit/%.c $(wildcard *.h */*.h */*/*.h tests/unit/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(UNIT_LDLIBS)
