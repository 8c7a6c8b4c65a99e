# libFuzzer targets (clang), and the seeds they start from.
FUZZ_OUT := $(BUILD)/tests/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := $(FUZZ_OUT)/fuzz_config $(FUZZ_OUT)/fuzz_elf $(FUZZ_OUT)/seeds/elf/elf64.elf

$(FUZZ_OUT)/fuzz_config: tests/fuzz/fuzz_config.c config.c config_file.c mem/layout.c | $(DEPS_STAMP)
$(FUZZ_OUT)/fuzz_elf: tests/fuzz/fuzz_elf.c boot/elf.c boot/prepare.c boot/acpi.c mem/guest_mem.c \
	mem/layout.c | $(DEPS_STAMP)
$(FUZZ_OUT)/fuzz_config $(FUZZ_OUT)/fuzz_elf: $(wildcard *.h */*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_OUT)/seeds/elf/elf64.elf: tests/fuzz/make_elf_seeds.c tests/unit/elf_builder.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -o $(FUZZ_OUT)/make_elf_seeds $^
	$(FUZZ_OUT)/make_elf_seeds $(dir $@)
