# `make test`: build everything, then tests/run runs it all.
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

# The integration tests' QMP client (host gcc; it runs beside sprig).
QMP_DRIVE := $(BUILD)/tests/qmp_drive
$(QMP_DRIVE): tests/integration/qmp_drive.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

# Guest CPUID against cpu show, allowing for hosts that force some bits.
CPUID_DIFF := $(BUILD)/tests/cpuid_diff
$(CPUID_DIFF): tests/integration/cpuid_diff.c cpu/cpuid_walk.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

# The minimal kernel as a vmlinux without CONFIG_PVH (its PVH note retyped).
WITHOUT_PVH_NOTE := $(BUILD)/tests/without_pvh_note
$(WITHOUT_PVH_NOTE): tests/integration/without_pvh_note.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

# Damages snapshot state files for snapshot.sh (its own reading of the format).
SNAPSHOT_EDIT := $(BUILD)/tests/snapshot_edit
$(SNAPSHOT_EDIT): tests/integration/snapshot_edit.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

# make test: all but the Linux guests (under 10 minutes); make test-linux:
# the guest kernels and the Linux suite; make test-all (.ci/run): both,
# with one tally.
TEST_MAIN_NEEDS := $(BUILD)/sprig $(BUILD)/asan/sprig guests $(UNIT_TESTS) $(FUZZ_TARGETS) $(QMP_DRIVE) \
	$(CPUID_DIFF) $(SNAPSHOT_EDIT)
TEST_LINUX_NEEDS := $(BUILD)/sprig $(WITHOUT_PVH_NOTE)
.PHONY: test-linux test-all
test: $(TEST_MAIN_NEEDS) | $(DEPS_STAMP)
	@BUILD=$(BUILD) tests/run main
test-linux: $(TEST_LINUX_NEEDS) | $(DEPS_STAMP)
	@BUILD=$(BUILD) tests/run linux
test-all: $(TEST_MAIN_NEEDS) $(TEST_LINUX_NEEDS) | $(DEPS_STAMP)
	@BUILD=$(BUILD) tests/run all

# A longer fuzzing session than make test's: FUZZ_SECONDS per target (default 600).
fuzz: $(FUZZ_TARGETS)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} tests/fuzz/run-short $(BUILD)/tests/fuzz
