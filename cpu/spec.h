/* `cpu = MODEL[,+feature][,-feature]...`: which model, and the user's
 * changes to it. Parsed once, at config time, so errors name file:line. */
#ifndef SPRIG_CPU_SPEC_H
#define SPRIG_CPU_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "features.h"
#include "models.h"

#define CPU_SPEC_MAX 1024

struct cpu_spec {
	const struct cpu_model *model;
	feature_set plus, minus;
	int pmu;                /* -1: the model's choice, 0: hidden, 1: exposed */
};

/* Returns 0, or -EINVAL with `error` (size bytes) saying what is wrong
 * and how to find the valid names. Accepts +f, -f, f=on and f=off; the
 * pseudo-feature `pmu` switches the PMU. */
int cpu_spec_parse(struct cpu_spec *spec, const char *text, char *error, size_t size);

/* Whether the guest sees the PMU: the user's word, else the model's. */
bool cpu_spec_pmu(const struct cpu_spec *spec);

#endif
