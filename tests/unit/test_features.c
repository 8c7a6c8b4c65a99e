/* The feature table (cpu/features.c): every name and bit unique, the table
 * in word-then-bit order, the word descriptions sane, lookups by either
 * spelling and by length, and well-known bits where the SDM and APM put
 * them. */
#include "helpers.h"

#include "../../cpu/features.h"

static const struct cpu_feature *find(const char *name)
{
	return cpu_feature_find(name, strlen(name));
}

/* The name a length-limited lookup found, for assert_string_equal. */
static const char *found(const char *name, size_t len)
{
	const struct cpu_feature *f = cpu_feature_find(name, len);
	return f ? f->name : "(nothing)";
}

/* --- the table --- */

/* Names go into `cpu = MODEL,+name,name=on`, so they must survive that
 * syntax, and each must find itself: a second name equal up to '-' and
 * '_' would be unreachable. */
static void names_are_unique_and_usable(void **state)
{
	(void)state;
	assert_true(cpu_features_count > 250);  /* a table cut short passes the rest */
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		assert_non_null(f->name);
		assert_true(f->name[0] != 0);
		if (strpbrk(f->name, ",+= "))
			fail_msg("'%s' has a character the cpu key gives meaning to", f->name);
		assert_non_null(f->help);
		assert_true(f->help[0] != 0);
		if (find(f->name) != f)
			fail_msg("'%s' finds '%s'", f->name, found(f->name, strlen(f->name)));
	}
}

/* Strictly increasing (word, bit) means sorted and no bit named twice. */
static void bits_are_in_range_unique_and_ordered(void **state)
{
	(void)state;
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		assert_in_range(f->word, 0, FW_COUNT - 1);
		assert_in_range(f->bit, 0, 31);
		assert_true(cpu_feature_at(f->word, f->bit) == f);
		if (i == 0)
			continue;
		const struct cpu_feature *prev = &cpu_features[i - 1];
		unsigned a = prev->word * 32u + prev->bit, b = f->word * 32u + f->bit;
		if (a >= b)
			fail_msg("'%s' (%s bit %u) comes after '%s' (%s bit %u)", f->name,
				 feature_words[f->word].name, f->bit, prev->name,
				 feature_words[prev->word].name, prev->bit);
	}
}

static void every_word_has_names(void **state)
{
	(void)state;
	size_t per_word[FW_COUNT] = { 0 };
	for (size_t i = 0; i < cpu_features_count; i++)
		per_word[cpu_features[i].word]++;
	for (unsigned w = 0; w < FW_COUNT; w++)
		if (!per_word[w])
			fail_msg("word %s has no features", feature_words[w].name);
}

/* A CPUID word names a real register of a leaf; only the arch-capabilities
 * word is an MSR; and each word is a different register. */
static void words_are_sane(void **state)
{
	(void)state;
	for (unsigned w = 0; w < FW_COUNT; w++) {
		const struct feature_word_info *info = &feature_words[w];
		assert_non_null(info->name);
		assert_int_equal(info->msr != 0, w == FW_ARCH_CAP);
		if (!info->msr) {
			assert_true(info->leaf != 0);
			assert_in_range(info->reg, CPUID_EAX, CPUID_EDX);
			assert_true(info->subleaf <= 1);
		}
		for (unsigned v = 0; v < w; v++) {
			const struct feature_word_info *other = &feature_words[v];
			assert_string_not_equal(info->name, other->name);
			if (!info->msr && info->leaf == other->leaf && info->subleaf == other->subleaf &&
			    info->reg == other->reg)
				fail_msg("%s and %s are the same register", info->name, other->name);
		}
	}
	assert_int_equal(feature_words[FW_ARCH_CAP].msr, 0x10a);
	assert_string_equal(feature_words[FW_ARCH_CAP].name, "msr 0x10a");
	assert_string_equal(feature_words[FW_1_ECX].name, "1.ecx");
	assert_string_equal(feature_words[FW_7_0_EBX].name, "7.0.ebx");
	assert_string_equal(feature_words[FW_80000001_EDX].name, "0x80000001.edx");
	assert_string_equal(feature_words[FW_KVM_EAX].name, "0x40000001.eax");
	assert_int_equal(feature_words[FW_D_1_EAX].leaf, 0xd);
	assert_int_equal(feature_words[FW_D_1_EAX].subleaf, 1);
	assert_int_equal(feature_words[FW_D_1_EAX].reg, CPUID_EAX);
	assert_int_equal(feature_words[FW_7_1_EDX].leaf, 7);
	assert_int_equal(feature_words[FW_7_1_EDX].subleaf, 1);
	assert_int_equal(feature_words[FW_7_1_EDX].reg, CPUID_EDX);
	assert_int_equal(feature_words[FW_80000008_EBX].leaf, 0x80000008);
	assert_int_equal(feature_words[FW_80000008_EBX].reg, CPUID_EBX);
	assert_int_equal(feature_words[FW_KVM_EDX].leaf, 0x40000001);
	assert_int_equal(feature_words[FW_KVM_EDX].reg, CPUID_EDX);
}

/* --- lookups --- */

static void dash_and_underscore_are_the_same(void **state)
{
	(void)state;
	assert_non_null(find("sse4_2"));
	assert_ptr_equal(find("sse4-2"), find("sse4_2"));
	assert_ptr_equal(find("avx512-vnni"), find("avx512_vnni"));
	assert_ptr_equal(find("kvm_pv_eoi"), find("kvm-pv-eoi"));
	assert_ptr_equal(find("kvmclock_stable_bit"), find("kvmclock-stable-bit"));
	assert_ptr_equal(find("tsc-deadline-timer"), cpu_feature_at(FW_1_ECX, 24));
	assert_ptr_equal(find("kvm-hint_dedicated"), cpu_feature_at(FW_KVM_EDX, 0));
}

/* Only len bytes count: spec parsing hands in a slice of a longer list. */
static void only_the_given_length_counts(void **state)
{
	(void)state;
	assert_string_equal(found("avx", 3), "avx");
	assert_string_equal(found("avx2", 3), "avx");
	assert_string_equal(found("avx2,+aes", 4), "avx2");
	assert_string_equal(found("sse4_2=on", 6), "sse4_2");
	assert_string_equal(found("kvmclock-old", 8), "kvmclock");
	assert_null(cpu_feature_find("av", 2));
	assert_null(cpu_feature_find("avx2", 0));
	assert_null(cpu_feature_find("", 0));
	assert_null(cpu_feature_find("avx22", 5));
	assert_null(cpu_feature_find("sse4_", 5));
}

static void unknown_names_are_null(void **state)
{
	(void)state;
	assert_null(find("avx3"));
	assert_null(find("AVX2"));        /* names are case-sensitive */
	assert_null(find("sse4.2"));
	assert_null(find("avx2 "));
	assert_null(find("-avx2"));
	/* CR4 mirrors, not features: no model may set them. */
	assert_null(find("osxsave"));
	assert_null(find("ospke"));
	assert_null(cpu_feature_at(FW_1_ECX, 27));
	assert_null(cpu_feature_at(FW_7_0_ECX, 4));
	/* Reserved bits and words past the end. */
	assert_null(cpu_feature_at(FW_1_EDX, 10));
	assert_null(cpu_feature_at(FW_1_ECX, 32));
	assert_null(cpu_feature_at(FW_COUNT, 0));
}

/* --- well-known bits, each its own TAP line --- */

struct known_bit {
	const char *name;
	const char *feature;
	unsigned word, bit;
};

static const struct known_bit known_bits[] = {
	{ "cx16 is 1.ecx bit 13", "cx16", FW_1_ECX, 13 },
	{ "x2apic is 1.ecx bit 21", "x2apic", FW_1_ECX, 21 },
	{ "hypervisor is 1.ecx bit 31", "hypervisor", FW_1_ECX, 31 },
	{ "sse2 is 1.edx bit 26", "sse2", FW_1_EDX, 26 },
	{ "arat is 6.eax bit 2", "arat", FW_6_EAX, 2 },
	{ "avx2 is 7.0.ebx bit 5", "avx2", FW_7_0_EBX, 5 },
	{ "avx512f is 7.0.ebx bit 16", "avx512f", FW_7_0_EBX, 16 },
	{ "la57 is 7.0.ecx bit 16", "la57", FW_7_0_ECX, 16 },
	{ "arch_capabilities is 7.0.edx bit 29", "arch_capabilities", FW_7_0_EDX, 29 },
	{ "avx_vnni is 7.1.eax bit 4", "avx_vnni", FW_7_1_EAX, 4 },
	{ "amx_complex is 7.1.edx bit 8", "amx_complex", FW_7_1_EDX, 8 },
	{ "xsaveopt is 0xd.1.eax bit 0", "xsaveopt", FW_D_1_EAX, 0 },
	{ "lahf_lm is 0x80000001.ecx bit 0", "lahf_lm", FW_80000001_ECX, 0 },
	{ "pdpe1gb is 0x80000001.edx bit 26", "pdpe1gb", FW_80000001_EDX, 26 },
	{ "lm is 0x80000001.edx bit 29", "lm", FW_80000001_EDX, 29 },
	{ "invtsc is 0x80000007.edx bit 8", "invtsc", FW_80000007_EDX, 8 },
	{ "amd_ssbd is 0x80000008.ebx bit 24", "amd_ssbd", FW_80000008_EBX, 24 },
	{ "kvmclock-old is kvm eax bit 0", "kvmclock-old", FW_KVM_EAX, 0 },
	{ "kvmclock is kvm eax bit 3", "kvmclock", FW_KVM_EAX, 3 },
	{ "kvmclock-stable-bit is kvm eax bit 24", "kvmclock-stable-bit", FW_KVM_EAX, 24 },
	{ "kvm-hint-dedicated is kvm edx bit 0", "kvm-hint-dedicated", FW_KVM_EDX, 0 },
	{ "rdcl_no is arch cap bit 0", "rdcl_no", FW_ARCH_CAP, 0 },
	{ "mds_no is arch cap bit 5", "mds_no", FW_ARCH_CAP, 5 },
};

static void known_bit_is_there(void **state)
{
	const struct known_bit *k = *state;
	const struct cpu_feature *f = find(k->feature);
	if (!f)
		fail_msg("%s is missing", k->feature);
	if (f->word != k->word || f->bit != k->bit)
		fail_msg("%s is %s bit %u", k->feature, feature_words[f->word].name, f->bit);
	assert_ptr_equal(cpu_feature_at(k->word, k->bit), f);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(names_are_unique_and_usable),
		cmocka_unit_test(bits_are_in_range_unique_and_ordered),
		cmocka_unit_test(every_word_has_names),
		cmocka_unit_test(words_are_sane),
		cmocka_unit_test(dash_and_underscore_are_the_same),
		cmocka_unit_test(only_the_given_length_counts),
		cmocka_unit_test(unknown_names_are_null),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(known_bits)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, known_bits, known_bit_is_there, NULL, NULL);
	return run_group("test_features", tests, n);
}
