/* Which features a guest gets: the model's (or the host's), the user's
 * +/- changes, filtered against what KVM can give, then closed under the
 * dependencies (QEMU's realize: expand, filter, check). */
#include "cpuid_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct selection {
	feature_set requested;      /* what the guest would get on a perfect host */
	feature_set asked;          /* named by the model or the user: worth a warning */
	feature_set available;      /* what KVM can give */
};

struct reporter {
	const struct cpu_spec *spec;
	bool enforce;
	cpu_warn_fn *warn;
	void *ctx;
	char *error;
	size_t error_len;
};

static const struct cpu_feature *feature(const char *name)
{
	return cpu_feature_find(name, strlen(name));
}

static void host_available(const struct cpu_host *h, bool with_emulated, feature_set avail)
{
	for (unsigned w = 0; w < FW_COUNT; w++) {
		const struct feature_word_info *info = &feature_words[w];
		uint32_t r[4], e[4] = { 0 };
		if (info->msr) {
			avail[w] = h->arch_cap_msr ? (uint32_t)h->arch_cap : 0;
			continue;
		}
		cpuid_table_lookup(h->supported, info->leaf, info->subleaf, r);
		if (with_emulated && h->emulated)
			cpuid_table_lookup(h->emulated, info->leaf, info->subleaf, e);
		avail[w] = r[info->reg] | e[info->reg];
	}
	/* Ours to set, not KVM's: the hypervisor bit and KVM's hints. */
	feature_add(avail, feature("hypervisor"));
	/* The CPUID bit promises the MSR: without it a guest's RDMSR faults. */
	if (h->from_kvm && !h->arch_cap_msr)
		feature_del(avail, feature("arch_capabilities"));
	avail[FW_KVM_EDX] = ~0u;
	if (h->tsc_deadline)
		feature_add(avail, feature("tsc_deadline_timer"));
}

/* Report one feature that cannot be given. Returns -EINVAL under enforce. */
static int report(struct reporter *r, const struct cpu_feature *f, const char *why)
{
	char line[256];
	if (!r->enforce) {
		snprintf(line, sizeof(line), "cpu %s: %s %s; removed", r->spec->model->name,
			 f->name, why);
		r->warn(r->ctx, line);
		return 0;
	}
	if (!r->error_len)
		r->error_len = (size_t)snprintf(r->error, CPUID_MODEL_ERROR_SIZE,
						"cpu %s (cpu-check = enforce):", r->spec->model->name);
	if (r->error_len < CPUID_MODEL_ERROR_SIZE)
		r->error_len += (size_t)snprintf(r->error + r->error_len,
						 CPUID_MODEL_ERROR_SIZE - r->error_len, " %s %s;",
						 f->name, why);
	return -EINVAL;
}

static void select_requested(struct selection *s, const struct cpu_spec *spec,
			     const feature_set model_add, const feature_set model_remove)
{
	const struct cpu_model *m = spec->model;
	for (unsigned w = 0; w < FW_COUNT; w++) {
		/* KVM hints are sprig's to give (all "available"), never the host's. */
		uint32_t from_host = m->base == MODEL_FIXED || w == FW_KVM_EDX ? 0 :
				     s->available[w] & ~model_remove[w];
		s->requested[w] = (from_host | model_add[w] | spec->plus[w]) & ~spec->minus[w];
		s->asked[w] = (model_add[w] | spec->plus[w]) & ~spec->minus[w];
	}
}

static void hide_pmu(struct selection *s, const struct cpu_spec *spec, struct reporter *r,
		     int *err)
{
	for (const char *p = pmu_features; *p;) {
		size_t len = strcspn(p, " ");
		const struct cpu_feature *f = cpu_feature_find(p, len);
		if (f && feature_has(s->requested, f)) {
			if (feature_has(spec->plus, f) && report(r, f, "needs the PMU (+pmu)"))
				*err = -EINVAL;
			feature_del(s->requested, f);
		}
		p += len + (p[len] == ' ');
	}
}

static int filter_available(struct selection *s, struct reporter *r, feature_set filtered)
{
	int err = 0;
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		if (!feature_has(s->requested, f) || feature_has(s->available, f))
			continue;
		if (feature_has(s->asked, f)) {
			feature_add(filtered, f);
			if (report(r, f, "is not offered by this host's KVM"))
				err = -EINVAL;
		}
	}
	for (unsigned w = 0; w < FW_COUNT; w++)
		s->requested[w] &= s->available[w];
	return err;
}

/* Remove what lost its prerequisite, until nothing changes. */
static int close_dependencies(struct selection *s, struct reporter *r, feature_set filtered)
{
	int err = 0;
	const struct cpu_feature *arch_cap = feature("arch_capabilities");
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < feature_dependencies_count; i++) {
			const struct cpu_feature *f = feature(feature_dependencies[i].feature);
			const struct cpu_feature *need = feature(feature_dependencies[i].needs);
			if (!f || !need || !feature_has(s->requested, f) || feature_has(s->requested, need))
				continue;
			char why[96];
			snprintf(why, sizeof(why), "needs %s, which is not offered", need->name);
			if (feature_has(s->asked, f)) {
				feature_add(filtered, f);
				if (report(r, f, why))
					err = -EINVAL;
			}
			feature_del(s->requested, f);
			changed = true;
		}
	}
	if (!feature_has(s->requested, arch_cap))
		s->requested[FW_ARCH_CAP] = 0;
	return err;
}

static void ignore_warning(void *ctx, const char *message)
{
	(void)ctx, (void)message;
}

static int select_features(struct cpu_template *t, const struct cpu_host *host,
			   const struct cpu_spec *spec, struct reporter *r)
{
	feature_set model_add, model_remove;
	const char *bad = NULL;
	if (cpu_model_resolve(spec->model, model_add, model_remove, &bad)) {
		snprintf(r->error, CPUID_MODEL_ERROR_SIZE, "cpu %s: model table names an unknown "
			 "feature near '%.32s'", spec->model->name, bad);
		return -EINVAL;
	}
	struct selection s;
	memset(&s, 0, sizeof(s));
	host_available(host, spec->model->base == MODEL_MAX, s.available);
	select_requested(&s, spec, model_add, model_remove);
	t->pmu = cpu_spec_pmu(spec);
	int err = 0;
	if (!t->pmu)
		hide_pmu(&s, spec, r, &err);
	int filter_err = filter_available(&s, r, t->filtered);
	int dependency_err = close_dependencies(&s, r, t->filtered);
	memcpy(t->features, s.requested, sizeof(feature_set));
	return err ? err : filter_err ? filter_err : dependency_err;
}

int cpuid_model_build(struct cpu_template *t, const struct cpu_host *host,
		      const struct cpu_spec *spec, const struct cpu_topology *topology,
		      bool enforce, cpu_warn_fn *warn, void *ctx, char *error)
{
	memset(t, 0, sizeof(*t));
	struct reporter r = { spec, enforce, warn ? warn : ignore_warning, ctx, error, 0 };
	int err = select_features(t, host, spec, &r);
	if (err)
		return err;
	/* Room for every host entry, emulated ones, and what sprig adds
	 * (7.1, 0xb/0x1f levels, hypervisor leaves, brand, 0xd subleaves). */
	size_t capacity = host->supported->nent + (host->emulated ? host->emulated->nent : 0) + 96;
	t->cpuid = calloc(1, sizeof(*t->cpuid) + capacity * sizeof(t->cpuid->entries[0]));
	if (!t->cpuid)
		return -ENOMEM;
	memcpy(t->cpuid->entries, host->supported->entries,
	       host->supported->nent * sizeof(t->cpuid->entries[0]));
	t->cpuid->nent = host->supported->nent;
	if ((err = cpuid_model_set_leaves(t, capacity, host, spec))) {
		cpuid_model_free(t);
		return err;
	}
	cpuid_model_set_topology(t->cpuid, capacity, topology);
	/* HTT follows the topology, not the model: keep the list honest. */
	const struct cpu_feature *htt = feature("ht");
	if (topology->smt_bits + topology->core_bits)
		feature_add(t->features, htt);
	else
		feature_del(t->features, htt);
	return 0;
}

void cpuid_model_free(struct cpu_template *t)
{
	free(t->cpuid);
	t->cpuid = NULL;
}
