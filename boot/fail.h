/* The loaders' one way to refuse an image: say why, return -ENOEXEC.
 * Private to boot/. */
#ifndef SPRIG_BOOT_FAIL_H
#define SPRIG_BOOT_FAIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "boot.h"

__attribute__((format(printf, 2, 3)))
static inline int boot_fail(char *why, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(why, BOOT_WHY_SIZE, format, ap);
	va_end(ap);
	return -ENOEXEC;
}

#endif
