/* Machine checks: which models take them and the exact bank values each
 * memory error becomes (QEMU's kvm_mce_inject encoding, bit by bit). */
#include "helpers.h"

#include "../../cpu/mce_bits.h"

/* A two-leaf CPUID table: vendor and leaf 1 signature and EDX. */
static struct kvm_cpuid2 *table(const char *vendor, uint32_t signature, uint32_t edx)
{
	static struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[2];
	} t;
	memset(&t, 0, sizeof(t));
	t.head.nent = 2;
	t.entries[0].function = 0;
	t.entries[0].eax = 1;
	memcpy(&t.entries[0].ebx, vendor, 4);
	memcpy(&t.entries[0].edx, vendor + 4, 4);
	memcpy(&t.entries[0].ecx, vendor + 8, 4);
	t.entries[1].function = 1;
	t.entries[1].eax = signature;
	t.entries[1].edx = edx;
	return &t.head;
}

#define MCE_MCA ((1u << 7) | (1u << 14))

static void test_models(void **state)
{
	(void)state;
	/* Skylake: family 6, model 0x55 (extended model 5). */
	struct mce_model m = mce_model_of(table("GenuineIntel", 0x50654, MCE_MCA));
	assert_true(m.usable);
	assert_false(m.amd);
	assert_true(m.broadcast);
	/* Family 6 model 13 (Dothan) predates broadcast. */
	m = mce_model_of(table("GenuineIntel", 0x6d8, MCE_MCA));
	assert_true(m.usable);
	assert_false(m.broadcast);
	/* EPYC: family 0x17, no broadcast, AMD encoding. */
	m = mce_model_of(table("AuthenticAMD", 0x800f12, MCE_MCA));
	assert_true(m.usable && m.amd && !m.broadcast);
	assert_true(mce_model_of(table("HygonGenuine", 0x900f01, MCE_MCA)).amd);
	/* Without either bit, or before family 6, no machine checks. */
	assert_false(mce_model_of(table("GenuineIntel", 0x50654, 1u << 7)).usable);
	assert_false(mce_model_of(table("GenuineIntel", 0x50654, 1u << 14)).usable);
	assert_false(mce_model_of(table("GenuineIntel", 0x543, MCE_MCA)).usable);
}

static void test_intel_action_required(void **state)
{
	(void)state;
	struct kvm_x86_mce e = mce_memory_error(false, true, 0x12345678);
	assert_int_equal(e.bank, 9);
	assert_int_equal(e.addr, 0x12345000);
	assert_int_equal(e.misc, 0x8c);
	/* VAL UC EN MISCV ADDRV S AR, MCA code 0x134 (data load). */
	assert_int_equal(e.status, 0xbd80000000000134ull);
	assert_int_equal(e.mcg_status, 7);  /* MCIP RIPV EIPV */
}

static void test_intel_action_optional(void **state)
{
	(void)state;
	struct kvm_x86_mce e = mce_memory_error(false, false, 0x2000);
	assert_int_equal(e.addr, 0x2000);
	/* VAL UC EN MISCV ADDRV S, MCA code 0xc0 (memory scrubbing). */
	assert_int_equal(e.status, 0xbd000000000000c0ull);
	assert_int_equal(e.mcg_status, 5);  /* MCIP RIPV */
}

static void test_amd(void **state)
{
	(void)state;
	struct kvm_x86_mce ar = mce_memory_error(true, true, 0x3fff);
	assert_int_equal(ar.addr, 0x3000);
	assert_int_equal(ar.status, 0xbc00080000000000ull);  /* VAL UC EN MISCV ADDRV POISON */
	assert_int_equal(ar.mcg_status, 7);
	struct kvm_x86_mce ao = mce_memory_error(true, false, 0x3000);
	/* Deferred, not UC: KVM records it without raising #MC. */
	assert_int_equal(ao.status, 0x9c00180000000000ull);  /* VAL EN MISCV ADDRV DEFERRED POISON */
	assert_int_equal(ao.status & MCI_STATUS_UC, 0);
}

static void test_broadcast(void **state)
{
	(void)state;
	struct kvm_x86_mce e = mce_broadcast_error();
	assert_int_equal(e.bank, 1);
	assert_int_equal(e.status, MCI_STATUS_VAL | MCI_STATUS_UC);
	assert_int_equal(e.mcg_status, MCG_STATUS_MCIP | MCG_STATUS_RIPV);
	assert_int_equal(e.addr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_intel_action_required),
		cmocka_unit_test(test_intel_action_optional),
		cmocka_unit_test(test_amd),
		cmocka_unit_test(test_broadcast),
	};
	return run_group("mce", tests, ARRAY_SIZE(tests));
}
