# `make test`: build everything, then tests/run runs it all.
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

test: $(BUILD)/sprig $(BUILD)/asan/sprig guests $(UNIT_TESTS) $(FUZZ_TARGETS) | $(DEPS_STAMP)
	@BUILD=$(BUILD) tests/run
