/* CPU models: what a guest is offered, as data. A model either lists its
 * features (fixed models, the same on every host that can give them) or
 * starts from what this host's KVM offers and removes some (host-derived). */
#ifndef SPRIG_CPU_MODELS_H
#define SPRIG_CPU_MODELS_H

#include <stdbool.h>
#include <stddef.h>

#include "features.h"

enum model_base {
	MODEL_FIXED,    /* exactly `features` (after `parent`'s) */
	MODEL_HOST,     /* KVM_GET_SUPPORTED_CPUID */
	MODEL_MAX,      /* host plus KVM_GET_EMULATED_CPUID */
};

struct cpu_model {
	const char *name;
	const char *summary;       /* one line, for `sprig cpu list` */
	enum model_base base;
	const char *parent;        /* fixed models: start from this model */
	const char *features;      /* names, space-separated: added */
	const char *removed;       /* names, space-separated: taken away */
	const char *brand;         /* NULL: the host's brand string */
	bool pmu;                  /* expose the PMU (leaf 0xa, pdcm, perfctr_*) */
};

extern const struct cpu_model cpu_models[];
extern const size_t cpu_models_count;

/* A feature the model itself requires (`needs`) for `feature` to work:
 * removing the need removes the feature too, with a warning. */
struct feature_dependency {
	const char *feature, *needs;
};
extern const struct feature_dependency feature_dependencies[];
extern const size_t feature_dependencies_count;

/* Features that only make sense with a PMU, hidden with it. */
extern const char *const pmu_features;

const struct cpu_model *cpu_model_find(const char *name, size_t len);

/* The model's own additions and removals, parents included. Returns 0, or
 * -ENOENT with *bad set to the unknown name (a table bug, unit-tested). */
int cpu_model_resolve(const struct cpu_model *model, feature_set add, feature_set remove,
		      const char **bad);

/* Call `fn` for each space-separated name in `list`; stops at the first
 * unknown name, returning -ENOENT and pointing *bad at it. */
int feature_list_each(const char *list, void (*fn)(void *ctx, const struct cpu_feature *f),
		      void *ctx, const char **bad);

#endif
