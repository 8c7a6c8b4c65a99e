/* The filters as BPF, made at build time by bpf_gen.c (the generated
 * bpf_tables.c lives in build/). Private to seccomp/. */
#ifndef SPRIG_SECCOMP_BPF_TABLES_H
#define SPRIG_SECCOMP_BPF_TABLES_H

#include <linux/filter.h>
#include <stddef.h>

#include "seccomp_filters.h"

#define FILTER_MODES 3     /* kill, trap, log: FILTER_OFF has no program */
#define FILTER_BPF_MAX 4096 /* instructions per filter: the kernel's own limit */

struct filter_program {
	const struct sock_filter *code;
	unsigned short len;
};

extern const struct filter_program filter_programs[FILTER_MODES][FILTER_CLASSES];

#endif
