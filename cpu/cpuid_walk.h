/* Which CPUID leaves and subleaves exist, by the enumeration rules of
 * Intel's SDM and AMD's APM. Shared, header-only, by `sprig cpu show`
 * (asking its own table) and the cpuid test guest (asking the CPU), so
 * both list the same (leaf, subleaf) pairs and the test compares values.
 * Only <stdint.h>: the guest is freestanding. */
#ifndef SPRIG_CPUID_WALK_H
#define SPRIG_CPUID_WALK_H

#include <stdint.h>

/* Ranges are capped: a hostile or buggy table must not make us walk 4G. */
#define CPUID_WALK_LEAVES_MAX 0x100u
#define CPUID_WALK_SUBLEAVES_MAX 64u

typedef void cpuid_query_fn(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
typedef void cpuid_emit_fn(void *ctx, uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]);

enum cpuid_subleaf_rule {
	SUBLEAF_NONE,        /* ECX is ignored */
	SUBLEAF_UNTIL_TYPE0, /* cache leaves: until EAX[4:0] (type) is 0 */
	SUBLEAF_UNTIL_LEVEL0,/* topology leaves: until ECX[15:8] (level type) is 0 */
	SUBLEAF_EAX_MAX,     /* subleaf 0's EAX is the highest subleaf */
	SUBLEAF_NONZERO,     /* sparse: every subleaf that is not all zero */
};

/* Also the leaves whose entries need KVM_CPUID_FLAG_SIGNIFCANT_INDEX. */
static inline enum cpuid_subleaf_rule cpuid_subleaf_rule(uint32_t leaf)
{
	switch (leaf) {
	case 0x4: case 0x8000001d:
		return SUBLEAF_UNTIL_TYPE0;
	case 0xb: case 0x1f: case 0x80000026:
		return SUBLEAF_UNTIL_LEVEL0;
	case 0x7: case 0x14: case 0x17: case 0x18: case 0x1d: case 0x20: case 0x23: case 0x24:
		return SUBLEAF_EAX_MAX;
	case 0xd: case 0xf: case 0x10: case 0x12: case 0x1e: case 0x80000020:
		return SUBLEAF_NONZERO;
	default:
		return SUBLEAF_NONE;
	}
}

static inline int cpuid_regs_zero(const uint32_t r[4])
{
	return !(r[0] | r[1] | r[2] | r[3]);
}

static inline void cpuid_walk_leaf(cpuid_query_fn *query, cpuid_emit_fn *emit, void *ctx,
				   uint32_t leaf)
{
	uint32_t r[4], last = 0;
	enum cpuid_subleaf_rule rule = cpuid_subleaf_rule(leaf);
	query(ctx, leaf, 0, r);
	emit(ctx, leaf, 0, r);
	if (rule == SUBLEAF_NONE)
		return;
	if (rule == SUBLEAF_EAX_MAX)
		last = r[0] < CPUID_WALK_SUBLEAVES_MAX ? r[0] : CPUID_WALK_SUBLEAVES_MAX - 1;
	if (rule == SUBLEAF_UNTIL_TYPE0 && !(r[0] & 0x1f))
		return;
	if (rule == SUBLEAF_UNTIL_LEVEL0 && !(r[2] & 0xff00))
		return;
	for (uint32_t sub = 1; sub < CPUID_WALK_SUBLEAVES_MAX; sub++) {
		if (rule == SUBLEAF_EAX_MAX && sub > last)
			return;
		query(ctx, leaf, sub, r);
		if (rule == SUBLEAF_UNTIL_TYPE0 && !(r[0] & 0x1f))
			return;
		if (rule == SUBLEAF_UNTIL_LEVEL0 && !(r[2] & 0xff00))
			return;
		if (rule == SUBLEAF_NONZERO && cpuid_regs_zero(r))
			continue;
		emit(ctx, leaf, sub, r);
	}
}

/* Walk one range (0, 0x40000000, 0x80000000) from its base leaf, whose
 * EAX names the highest leaf of the range. */
static inline void cpuid_walk_range(cpuid_query_fn *query, cpuid_emit_fn *emit, void *ctx,
				    uint32_t base)
{
	uint32_t r[4];
	query(ctx, base, 0, r);
	if (r[0] < base || r[0] - base >= CPUID_WALK_LEAVES_MAX)
		return;
	for (uint32_t leaf = base; leaf <= r[0]; leaf++)
		cpuid_walk_leaf(query, emit, ctx, leaf);
}

static inline void cpuid_walk(cpuid_query_fn *query, cpuid_emit_fn *emit, void *ctx)
{
	cpuid_walk_range(query, emit, ctx, 0);
	cpuid_walk_range(query, emit, ctx, 0x40000000);
	cpuid_walk_range(query, emit, ctx, 0x80000000);
}

#endif
