/* The built-in BPF programs (made at build time by seccomp/bpf_gen.c) are
 * exactly what libseccomp makes of today's allow lists, for every mode and
 * thread class: a stale table, or a generator built unlike the binary,
 * fails here. This binary is built as the ASan sprig is, so it holds that
 * build's table (build/asan/seccomp/bpf_tables.c) and its libc's lists.
 * Then what the programs say: x86_64 only, and the mode's own action for
 * anything not allowed. */
#include "helpers.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "../../seccomp/bpf_tables.h"
#include "../../seccomp/rules.h"

static const char *const mode_names[FILTER_MODES] = { "kill", "trap", "log" };

static void table_is_libseccomps(void **state)
{
	(void)state;
	static struct sock_filter fresh[FILTER_BPF_MAX];
	for (int mode = 0; mode < FILTER_MODES; mode++)
		for (int class = 0; class < FILTER_CLASSES; class++) {
			const struct filter_program *p = &filter_programs[mode][class];
			size_t len = 0;
			assert_int_equal(filter_export(class, mode, fresh, FILTER_BPF_MAX, &len), 0);
			if (len != p->len || memcmp(fresh, p->code, len * sizeof(fresh[0])))
				fail_msg("%s %s: built-in program (%u instructions) is not libseccomp's (%zu)",
					 mode_names[mode], filter_class_names[class], p->len, len);
		}
}

/* libseccomp's programs open by checking the architecture; whatever else
 * they return, it is ALLOW or the mode's action. */
static void programs_check_arch_and_end_in_the_mode(void **state)
{
	(void)state;
	static const uint32_t actions[FILTER_MODES] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP,
							SECCOMP_RET_LOG };
	for (int mode = 0; mode < FILTER_MODES; mode++)
		for (int class = 0; class < FILTER_CLASSES; class++) {
			const struct filter_program *p = &filter_programs[mode][class];
			assert_true(p->len > 3 && p->len <= FILTER_BPF_MAX);
			assert_int_equal(p->code[0].code, BPF_LD | BPF_W | BPF_ABS);
			assert_int_equal(p->code[0].k, offsetof(struct seccomp_data, arch));
			assert_int_equal(p->code[1].k, AUDIT_ARCH_X86_64);
			unsigned returns_action = 0;
			for (unsigned i = 0; i < p->len; i++) {
				if (p->code[i].code != (BPF_RET | BPF_K))
					continue;
				uint32_t k = p->code[i].k & SECCOMP_RET_ACTION_FULL;
				if (k != SECCOMP_RET_ALLOW && k != actions[mode] && k != SECCOMP_RET_KILL_THREAD &&
				    k != SECCOMP_RET_KILL_PROCESS)
					fail_msg("%s %s: instruction %u returns %#x", mode_names[mode],
						 filter_class_names[class], i, p->code[i].k);
				returns_action += k == actions[mode];
			}
			assert_true(returns_action > 0);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_is_libseccomps),
		cmocka_unit_test(programs_check_arch_and_end_in_the_mode),
	};
	return run_group("test_seccomp_bpf", tests, ARRAY_SIZE(tests));
}
