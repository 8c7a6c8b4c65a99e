/* Shared by the unit tests: cmocka's headers in the order it needs. */
#ifndef SPRIG_TEST_HELPERS_H
#define SPRIG_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#endif
