/* Shared by the unit tests: cmocka's headers in the order it needs them,
 * and the few helpers every test file wants. */
#ifndef SPRIG_TEST_HELPERS_H
#define SPRIG_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Like assert_string_equal for a substring, saying what both were. */
#define assert_contains(haystack, needle)                                              \
	do {                                                                           \
		const char *hay_ = (haystack), *needle_ = (needle);                    \
		if (!strstr(hay_, needle_))                                            \
			fail_msg("'%s' does not contain '%s'", hay_, needle_);         \
	} while (0)

/* Append one test per entry of a case table whose entries begin with
 * `const char *name`, the entry as its state: each case is then its own
 * TAP line ("ok 7 - error: unknown key") and one failure hides no other. */
#define add_case_tests(tests, n, cases, func, setup, teardown)                              \
	add_case_tests_((tests), ARRAY_SIZE(tests), &(n), (cases), ARRAY_SIZE(cases),         \
			sizeof((cases)[0]), (func), (setup), (teardown))

static inline void add_case_tests_(struct CMUnitTest *tests, size_t room, size_t *n,
				   const void *cases, size_t count, size_t stride,
				   CMUnitTestFunction func, CMFixtureFunction setup,
				   CMFixtureFunction teardown)
{
	for (size_t i = 0; i < count; i++) {
		const void *entry = (const char *)cases + i * stride;
		if (*n >= room) {
			fprintf(stderr, "tests[] is too small for the case tables\n");
			abort();
		}
		tests[(*n)++] = (struct CMUnitTest){
			.name = *(const char *const *)entry, .test_func = func,
			.setup_func = setup, .teardown_func = teardown, .initial_state = (void *)entry,
		};
	}
}

/* Run a group with stdout unbuffered: when a sanitizer aborts the process,
 * the TAP lines of the tests that ran before it must already be out. The
 * runner sets CMOCKA_MESSAGE_OUTPUT=TAP, which cmocka 1.1.5 honours itself.
 * _cmocka_run_group_tests is what cmocka_run_group_tests expands to; it
 * takes a count, so a group can be built at run time from case tables. */
static inline int run_group(const char *group, const struct CMUnitTest *tests, size_t n)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

/* Copy a fixed list of tests into the group being built. */
#define add_tests(tests, n, fixed) \
	add_tests_((tests), ARRAY_SIZE(tests), &(n), (fixed), ARRAY_SIZE(fixed))

static inline void add_tests_(struct CMUnitTest *tests, size_t room, size_t *n,
			      const struct CMUnitTest *fixed, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (*n >= room) {
			fprintf(stderr, "tests[] is too small for the fixed tests\n");
			abort();
		}
		tests[(*n)++] = fixed[i];
	}
}

#endif
