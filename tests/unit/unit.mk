# Unit tests: host gcc with ASan+UBSan, each linked with the real sources
# it tests (no mocks of the code under test).
UNIT_OUT := $(BUILD)/tests/unit
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
UNIT_TESTS := $(UNIT_OUT)/test_config $(UNIT_OUT)/test_mem $(UNIT_OUT)/test_elf $(UNIT_OUT)/test_boot \
	$(UNIT_OUT)/test_devices

UNIT_CONFIG_SRCS := config.c config_file.c mem/layout.c
UNIT_MEM_SRCS := mem/guest_mem.c mem/layout.c
UNIT_BOOT_SRCS := boot/elf.c boot/prepare.c boot/acpi.c $(UNIT_MEM_SRCS)

$(UNIT_OUT)/test_config: tests/unit/test_config.c $(UNIT_CONFIG_SRCS) | $(DEPS_STAMP)
$(UNIT_OUT)/test_mem: tests/unit/test_mem.c $(UNIT_MEM_SRCS) | $(DEPS_STAMP)
$(UNIT_OUT)/test_elf: tests/unit/test_elf.c tests/unit/elf_builder.c $(UNIT_BOOT_SRCS) | $(DEPS_STAMP)
$(UNIT_OUT)/test_boot: tests/unit/test_boot.c $(UNIT_BOOT_SRCS) | $(DEPS_STAMP)
$(UNIT_OUT)/test_devices: tests/unit/test_devices.c $(wildcard devices/*.c) | $(DEPS_STAMP)

$(UNIT_TESTS): tests/unit/helpers.h $(wildcard *.h */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka -lpthread
