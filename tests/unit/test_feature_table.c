/* The feature table: unique names and bits, lookups in both spellings,
 * well-known bits where the SDM and APM put them, and docs that list
 * every name. */
#include "helpers.h"

#include "../../cpu/features.h"

static void names_and_bits_are_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		assert_true(f->word < FW_COUNT);
		assert_true(f->bit < 32);
		assert_non_null(f->help);
		assert_null(strpbrk(f->name, ",+= "));
		for (size_t j = i + 1; j < cpu_features_count; j++) {
			const struct cpu_feature *g = &cpu_features[j];
			assert_true(cpu_feature_find(f->name, strlen(f->name)) == f);
			if (f->word == g->word && f->bit == g->bit)
				fail_msg("%s and %s share a bit", f->name, g->name);
		}
	}
}

static void words_are_sane(void **state)
{
	(void)state;
	for (unsigned w = 0; w < FW_COUNT; w++) {
		assert_non_null(feature_words[w].name);
		assert_int_equal(feature_words[w].msr != 0, w == FW_ARCH_CAP);
	}
	assert_int_equal(feature_words[FW_D_1_EAX].leaf, 0xd);
	assert_int_equal(feature_words[FW_D_1_EAX].subleaf, 1);
	assert_int_equal(feature_words[FW_7_1_EDX].subleaf, 1);
	assert_int_equal(feature_words[FW_KVM_EAX].leaf, 0x40000001);
}

static void expect_bit(const char *name, unsigned word, unsigned bit)
{
	const struct cpu_feature *f = cpu_feature_find(name, strlen(name));
	if (!f)
		fail_msg("%s missing", name);
	if (f->word != word || f->bit != bit)
		fail_msg("%s: word %u bit %u, expected word %u bit %u", name, f->word, f->bit, word, bit);
	assert_true(cpu_feature_at(word, bit) == f);
}

static void well_known_bits(void **state)
{
	(void)state;
	expect_bit("cx16", FW_1_ECX, 13);
	expect_bit("hypervisor", FW_1_ECX, 31);
	expect_bit("x2apic", FW_1_ECX, 21);
	expect_bit("xsave", FW_1_ECX, 26);
	expect_bit("sse2", FW_1_EDX, 26);
	expect_bit("mtrr", FW_1_EDX, 12);
	expect_bit("arat", FW_6_EAX, 2);
	expect_bit("avx2", FW_7_0_EBX, 5);
	expect_bit("avx512f", FW_7_0_EBX, 16);
	expect_bit("la57", FW_7_0_ECX, 16);
	expect_bit("arch_capabilities", FW_7_0_EDX, 29);
	expect_bit("avx_vnni", FW_7_1_EAX, 4);
	expect_bit("xsaveopt", FW_D_1_EAX, 0);
	expect_bit("lahf_lm", FW_80000001_ECX, 0);
	expect_bit("pdpe1gb", FW_80000001_EDX, 26);
	expect_bit("lm", FW_80000001_EDX, 29);
	expect_bit("invtsc", FW_80000007_EDX, 8);
	expect_bit("amd_ssbd", FW_80000008_EBX, 24);
	expect_bit("kvmclock", FW_KVM_EAX, 3);
	expect_bit("kvmclock-old", FW_KVM_EAX, 0);
	expect_bit("kvmclock-stable-bit", FW_KVM_EAX, 24);
	expect_bit("mds_no", FW_ARCH_CAP, 5);
}

static void lookups(void **state)
{
	(void)state;
	assert_non_null(cpu_feature_find("sse4-2", 6));
	assert_true(cpu_feature_find("sse4-2", 6) == cpu_feature_find("sse4_2", 6));
	assert_true(cpu_feature_find("kvm_pv_eoi", 10) == cpu_feature_find("kvm-pv-eoi", 10));
	assert_true(cpu_feature_find("avx2,+x", 4) == cpu_feature_find("avx2", 4));
	assert_true(cpu_feature_find("avx", 3) != cpu_feature_find("avx2", 4));
	assert_null(cpu_feature_find("av", 2));
	assert_null(cpu_feature_find("avx22", 5));
	assert_null(cpu_feature_find("", 0));
	assert_null(cpu_feature_find("AVX2", 4));
	assert_null(cpu_feature_find("osxsave", 7));
	assert_null(cpu_feature_find("ospke", 5));
	assert_null(cpu_feature_at(FW_1_ECX, 27));
	assert_null(cpu_feature_at(FW_7_0_ECX, 4));
}

static void docs_list_every_name(void **state)
{
	(void)state;
	FILE *f = fopen("docs/cpu-features.md", "r");
	if (!f)
		f = fopen("../../../docs/cpu-features.md", "r");
	assert_non_null(f);
	static char text[1 << 17];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	for (size_t i = 0; i < cpu_features_count; i++) {
		char cell[64];
		snprintf(cell, sizeof(cell), "| `%s` | %u |", cpu_features[i].name, cpu_features[i].bit);
		if (!strstr(text, cell))
			fail_msg("docs/cpu-features.md lacks %s", cell);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_and_bits_are_unique),
		cmocka_unit_test(words_are_sane),
		cmocka_unit_test(well_known_bits),
		cmocka_unit_test(lookups),
		cmocka_unit_test(docs_list_every_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
