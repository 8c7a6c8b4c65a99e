# `make test`: build everything, then tests/run runs it all.
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

test: $(BUILD)/sprig $(BUILD)/asan/sprig guests $(UNIT_TESTS) $(FUZZ_TARGETS) | $(DEPS_STAMP)
	@BUILD=$(BUILD) tests/run

# A longer fuzzing session than make test's: FUZZ_SECONDS per target (default 600).
fuzz: $(FUZZ_TARGETS)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} tests/fuzz/run-short $(BUILD)/tests/fuzz
