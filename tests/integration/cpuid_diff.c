/* Compares a guest's CPUID lines with `sprig cpu show`'s, allowing for
 * hosts whose KVM answers some CPUID bits from the host CPU itself,
 * whatever the VMM set (kvm-pvm: docs/host-notes.md).
 *
 *   cpuid_diff native
 *       this CPU's own CPUID, in the guest's line format
 *   cpuid_diff learn NATIVE SHOW GUEST [SHOW GUEST]...
 *       for models as unlike each other as possible (base, max): every
 *       difference between a model's SHOW and GUEST must be the host
 *       KVM's doing, a bit the guest sees as NATIVE has it or one it sees
 *       the same whatever sprig set; prints them as "mask LEAF.SUB REG
 *       MASK VALUE" lines, or "leaf LEAF" when the subleaves themselves
 *       are the host's; exit 1 otherwise
 *   cpuid_diff compare SHOW GUEST FORCED
 *       SHOW and GUEST agree outside FORCED (learn's lines), and inside
 *       it the guest saw what learn saw; exit 1 with the differences
 *
 * "msr" lines are compared exactly. Host gcc; runs beside sprig. */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cpu/cpuid_walk.h"

#define MAX_LINES 4096

struct leaf_line {
	uint32_t leaf, subleaf, regs[4];
};

struct table {
	unsigned count;
	struct leaf_line lines[MAX_LINES];
	char *msrs[64];
	unsigned msr_count;
};

struct forced {
	unsigned count, leaf_count;
	struct leaf_line masks[MAX_LINES];  /* regs: the host KVM's bits */
	struct leaf_line values[MAX_LINES]; /* regs: what the guest sees in them */
	uint32_t whole_leaves[256];
};

static const char *const reg_names[4] = { "eax", "ebx", "ecx", "edx" };

static int load(const char *path, struct table *t)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return perror(path), -1;
	char line[512];
	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		struct leaf_line *l = &t->lines[t->count];
		if (t->count < MAX_LINES &&
		    sscanf(line, "cpuid 0x%x.%x eax=%x ebx=%x ecx=%x edx=%x", &l->leaf, &l->subleaf,
			   &l->regs[0], &l->regs[1], &l->regs[2], &l->regs[3]) == 6)
			t->count++;
		else if (!strncmp(line, "msr ", 4) && t->msr_count < 64)
			t->msrs[t->msr_count++] = strdup(line);
	}
	fclose(f);
	return 0;
}

static const struct leaf_line *find(const struct table *t, uint32_t leaf, uint32_t subleaf)
{
	for (unsigned i = 0; i < t->count; i++)
		if (t->lines[i].leaf == leaf && t->lines[i].subleaf == subleaf)
			return &t->lines[i];
	return NULL;
}

static int whole_leaf_forced(const struct forced *f, uint32_t leaf)
{
	for (unsigned i = 0; i < f->leaf_count; i++)
		if (f->whole_leaves[i] == leaf)
			return 1;
	return 0;
}

static uint32_t forced_mask(const struct forced *f, uint32_t leaf, uint32_t subleaf, int reg,
			    uint32_t *value)
{
	for (unsigned i = 0; i < f->count; i++)
		if (f->masks[i].leaf == leaf && f->masks[i].subleaf == subleaf) {
			if (value)
				*value = f->values[i].regs[reg];
			return f->masks[i].regs[reg];
		}
	return 0;
}

static void native_query(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	(void)ctx;
	__cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static void native_emit(void *ctx, uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	(void)ctx;
	printf("cpuid 0x%08x.%02x eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, subleaf, r[0], r[1],
	       r[2], r[3]);
}

/* The XSAVE leaf a host KVM writes itself (kvm-pvm) need not be the host
 * CPU's: it may offer fewer state components (kvm-pvm on a CPU with AMX
 * offers x87..AVX-512 and no AMX or PKRU). It is the host's if every
 * component it offers is one the host has, each with the host's size,
 * offset and flags, and its sizes add up: ECX is where the furthest
 * offered component ends, EBX (XCR0's current size) at least the legacy
 * area and at most ECX. Subleaf 1's instructions and XSS bits are the
 * host's or fewer. */
#define XSAVE_LEGACY_SIZE 576u

static int subset(uint32_t part, uint32_t whole)
{
	return !(part & ~whole);
}

static int host_xsave_leaf(const struct table *guest, const struct table *native)
{
	const struct leaf_line *g0 = find(guest, 0xd, 0), *n0 = find(native, 0xd, 0);
	const struct leaf_line *g1 = find(guest, 0xd, 1), *n1 = find(native, 0xd, 1);
	if (!g0 || !n0 || !subset(g0->regs[0], n0->regs[0]) || !subset(g0->regs[3], n0->regs[3]) ||
	    (g0->regs[0] & 3) != 3)
		return 0;
	uint64_t xcr0 = (uint64_t)g0->regs[3] << 32 | g0->regs[0], xss = 0;
	if (g1) {
		if (!n1 || !subset(g1->regs[0], n1->regs[0]) || !subset(g1->regs[2], n1->regs[2]) ||
		    !subset(g1->regs[3], n1->regs[3]))
			return 0;
		xss = (uint64_t)g1->regs[3] << 32 | g1->regs[2];
	}
	uint32_t end = XSAVE_LEGACY_SIZE;
	for (unsigned i = 0; i < guest->count; i++) {
		const struct leaf_line *g = &guest->lines[i];
		if (g->leaf != 0xd || g->subleaf < 2)
			continue;
		const struct leaf_line *n = find(native, 0xd, g->subleaf);
		if (g->subleaf >= 64 || !((xcr0 | xss) >> g->subleaf & 1) || !n ||
		    memcmp(g->regs, n->regs, sizeof(g->regs)))
			return 0;
		if ((xcr0 >> g->subleaf & 1) && g->regs[0] + g->regs[1] > end)
			end = g->regs[0] + g->regs[1];
	}
	for (uint32_t c = 2; c < 64; c++)
		if (((xcr0 | xss) >> c & 1) && !find(guest, 0xd, c))
			return 0;
	return g0->regs[2] == end && g0->regs[1] >= XSAVE_LEGACY_SIZE && g0->regs[1] <= end;
}

/* A leaf whose subleaves differ is the host's if every subleaf the guest
 * saw is one the host has, with the host's sizes and offsets (EAX, EBX
 * of the state components; EAX of subleaf 0): the rest may vary (current
 * sizes, subleaf 1's instructions the host keeps to itself). */
static int host_leaf(const struct table *guest, const struct table *native, uint32_t leaf)
{
	if (leaf == 0xd)
		return host_xsave_leaf(guest, native);
	for (unsigned i = 0; i < guest->count; i++) {
		const struct leaf_line *g = &guest->lines[i];
		const struct leaf_line *n = find(native, leaf, g->subleaf);
		if (g->leaf != leaf)
			continue;
		if (!n || (g->subleaf != 1 && g->regs[0] != n->regs[0]) ||
		    (g->subleaf >= 2 && g->regs[1] != n->regs[1]))
			return 0;
	}
	return 1;
}

static int learn_leaf(const struct table *guest, const struct table *native, uint32_t leaf,
		      struct forced *out)
{
	if (whole_leaf_forced(out, leaf))
		return 0;
	if (!host_leaf(guest, native, leaf)) {
		fprintf(stderr, "leaf 0x%08x: the guest's subleaves are neither sprig's nor the host's\n",
			leaf);
		return -1;
	}
	if (out->leaf_count < 256)
		out->whole_leaves[out->leaf_count++] = leaf;
	printf("leaf 0x%08x\n", leaf);
	return 0;
}

#define MAX_MODELS 4

/* bit_learned: is BIT of (LEAF.SUB, R) the host KVM's rather than sprig's,
 * judged over every model whose CPU show and guest both list the line?
 * Forced: the guest saw this CPU's own value in each. Pinned: the guest
 * saw one value in all although sprig set it differently between models
 * (kvm-pvm offers la57 in KVM_GET_SUPPORTED_CPUID and then hides it).
 * Sets *value to what the guest sees. */
static int bit_learned(const struct table *shows, const struct table *guests, unsigned models,
		       const struct leaf_line *n, const struct leaf_line *at, int r, uint32_t bit,
		       uint32_t *value)
{
	int forced = n != NULL, pinned = 1, seen = -1, set_differs = 0, sprig = -1;
	for (unsigned m = 0; m < models; m++) {
		const struct leaf_line *s = find(&shows[m], at->leaf, at->subleaf);
		const struct leaf_line *g = find(&guests[m], at->leaf, at->subleaf);
		if (!s || !g)
			continue;
		int gb = !!(g->regs[r] & bit), sb = !!(s->regs[r] & bit);
		if (n && gb != !!(n->regs[r] & bit))
			forced = 0;
		if (seen >= 0 && gb != seen)
			pinned = 0;
		if (sprig >= 0 && sb != sprig)
			set_differs = 1;
		seen = gb, sprig = sb;
	}
	*value = seen > 0 ? bit : 0;
	return forced || (pinned && set_differs);
}

static void learn_line(const struct table *shows, const struct table *guests, unsigned models,
		       const struct table *native, const struct leaf_line *at, uint32_t learned[4],
		       uint32_t values[4], int *bad)
{
	const struct leaf_line *n = find(native, at->leaf, at->subleaf);
	for (int r = 0; r < 4; r++) {
		uint32_t diff = 0;
		for (unsigned m = 0; m < models; m++) {
			const struct leaf_line *s = find(&shows[m], at->leaf, at->subleaf);
			const struct leaf_line *g = find(&guests[m], at->leaf, at->subleaf);
			if (s && g)
				diff |= s->regs[r] ^ g->regs[r];
		}
		for (uint32_t bit = 1; diff; bit <<= 1) {
			if (!(diff & bit))
				continue;
			diff &= ~bit;
			uint32_t value;
			if (bit_learned(shows, guests, models, n, at, r, bit, &value)) {
				learned[r] |= bit, values[r] |= value;
				continue;
			}
			fprintf(stderr, "cpuid 0x%08x.%02x %s bit %d: the guest's value follows neither "
				"sprig's table nor this host (host has %08x)\n", at->leaf, at->subleaf,
				reg_names[r], __builtin_ctz(bit), n ? n->regs[r] : 0);
			*bad = 1;
		}
	}
}

static int learn(const struct table *shows, const struct table *guests, unsigned models,
		 const struct table *native, struct forced *out)
{
	int bad = 0;
	for (unsigned m = 0; m < models; m++)
		for (int pass = 0; pass < 2; pass++) {
			const struct table *x = pass ? &guests[m] : &shows[m];
			const struct table *y = pass ? &shows[m] : &guests[m];
			for (unsigned i = 0; i < x->count; i++) {
				const struct leaf_line *l = &x->lines[i];
				if (!find(y, l->leaf, l->subleaf) &&
				    learn_leaf(&guests[m], native, l->leaf, out))
					bad = 1;
			}
		}
	static struct table done;
	done.count = 0;
	for (unsigned m = 0; m < models; m++)
		for (unsigned i = 0; i < shows[m].count; i++) {
			const struct leaf_line *at = &shows[m].lines[i];
			if (whole_leaf_forced(out, at->leaf) || find(&done, at->leaf, at->subleaf) ||
			    done.count == MAX_LINES)
				continue;
			done.lines[done.count++] = *at;
			uint32_t learned[4] = { 0 }, values[4] = { 0 };
			learn_line(shows, guests, models, native, at, learned, values, &bad);
			for (int r = 0; r < 4; r++)
				if (learned[r])
					printf("mask 0x%08x.%02x %s %08x %08x\n", at->leaf, at->subleaf,
					       reg_names[r], learned[r], values[r]);
		}
	return bad;
}

static int load_forced(const char *path, struct forced *f)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return perror(path), -1;
	char line[256], reg[8];
	uint32_t leaf, subleaf, mask, value;
	memset(f, 0, sizeof(*f));
	while (fgets(line, sizeof(line), file)) {
		if (sscanf(line, "leaf 0x%x", &leaf) == 1 && !whole_leaf_forced(f, leaf) &&
		    f->leaf_count < 256) {
			f->whole_leaves[f->leaf_count++] = leaf;
		} else if (sscanf(line, "mask 0x%x.%x %3s %x %x", &leaf, &subleaf, reg, &mask,
				  &value) == 5) {
			int r = 0;
			while (r < 4 && strcmp(reg, reg_names[r]))
				r++;
			if (r == 4)
				continue;
			unsigned i = 0;
			while (i < f->count && (f->masks[i].leaf != leaf || f->masks[i].subleaf != subleaf))
				i++;
			if (i == MAX_LINES)
				continue;
			if (i == f->count++) {
				f->masks[i].leaf = f->values[i].leaf = leaf;
				f->masks[i].subleaf = f->values[i].subleaf = subleaf;
			}
			f->masks[i].regs[r] |= mask;
			f->values[i].regs[r] |= value & mask;
		}
	}
	fclose(file);
	return 0;
}

static int compare_line(const struct leaf_line *s, const struct leaf_line *g,
			const struct forced *f, unsigned *masked_bits)
{
	int bad = 0;
	for (int r = 0; r < 4; r++) {
		uint32_t value = 0, mask = forced_mask(f, s->leaf, s->subleaf, r, &value);
		if (((s->regs[r] ^ g->regs[r]) & ~mask) || ((g->regs[r] ^ value) & mask)) {
			printf("cpuid 0x%08x.%02x %s: sprig set %08x, the guest saw %08x (host-forced "
			       "bits %08x, there %08x)\n", s->leaf, s->subleaf, reg_names[r], s->regs[r],
			       g->regs[r], mask, value & mask);
			bad = 1;
		}
		*masked_bits += (unsigned)__builtin_popcount(mask);
	}
	return bad;
}

static int listed(const struct table *t, const char *line)
{
	for (unsigned i = 0; i < t->msr_count; i++)
		if (!strcmp(t->msrs[i], line))
			return 1;
	return 0;
}

/* The guest reads an MSR where its CPUID says it exists (guest/cpuid.c):
 * one sprig does not set is fine if the CPUID bit that gates it is the
 * host's. Every MSR sprig sets must read back as set. */
static int compare_msrs(const struct table *show, const struct table *guest, const struct forced *f)
{
	static const struct { uint32_t msr, leaf; int reg, bit; } gates[] = {
		{ 0x2ff, 1, 3, 12 },   /* MTRRdefType: mtrr */
		{ 0x10a, 7, 3, 29 },   /* IA32_ARCH_CAPABILITIES: arch_capabilities */
	};
	int bad = 0;
	for (unsigned i = 0; i < show->msr_count; i++)
		if (!listed(guest, show->msrs[i]))
			printf("msr: cpu show says %s     the guest did not read that\n", show->msrs[i]), bad = 1;
	for (unsigned i = 0; i < guest->msr_count; i++) {
		uint32_t msr = 0;
		int excused = 0;
		if (listed(show, guest->msrs[i]) || sscanf(guest->msrs[i], "msr 0x%x", &msr) != 1)
			continue;
		for (size_t g = 0; g < sizeof(gates) / sizeof(gates[0]); g++)
			if (gates[g].msr == msr &&
			    (whole_leaf_forced(f, gates[g].leaf) ||
			     (forced_mask(f, gates[g].leaf, 0, gates[g].reg, NULL) >> gates[g].bit & 1)))
				excused = 1;
		if (!excused)
			printf("msr: the guest read %s     which cpu show does not list\n", guest->msrs[i]), bad = 1;
	}
	return bad;
}

static int compare(const struct table *show, const struct table *guest, const struct forced *f)
{
	int bad = 0;
	unsigned masked_bits = 0, skipped_lines = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct table *x = pass ? guest : show, *y = pass ? show : guest;
		for (unsigned i = 0; i < x->count; i++) {
			const struct leaf_line *l = &x->lines[i];
			if (!whole_leaf_forced(f, l->leaf) && !find(y, l->leaf, l->subleaf)) {
				printf("cpuid 0x%08x.%02x: only %s lists it\n", l->leaf, l->subleaf,
				       pass ? "the guest" : "cpu show");
				bad = 1;
			}
		}
	}
	for (unsigned i = 0; i < show->count; i++) {
		const struct leaf_line *s = &show->lines[i];
		const struct leaf_line *g = find(guest, s->leaf, s->subleaf);
		if (whole_leaf_forced(f, s->leaf)) {
			skipped_lines++;
			continue;
		}
		if (g && compare_line(s, g, f, &masked_bits))
			bad = 1;
	}
	if (compare_msrs(show, guest, f))
		bad = 1;
	if (!bad && (masked_bits || skipped_lines))
		printf("not compared: %u host-forced bits, %u lines of host-forced leaves\n", masked_bits,
		       skipped_lines);
	return bad;
}

int main(int argc, char **argv)
{
	static struct table shows[MAX_MODELS], guests[MAX_MODELS], native, show, guest;
	static struct forced forced;
	if (argc == 2 && !strcmp(argv[1], "native")) {
		cpuid_walk(native_query, native_emit, NULL);
		return 0;
	}
	if (argc >= 5 && argc % 2 == 1 && argc <= 3 + 2 * MAX_MODELS && !strcmp(argv[1], "learn")) {
		unsigned models = (unsigned)(argc - 3) / 2;
		if (load(argv[2], &native))
			return 2;
		for (unsigned m = 0; m < models; m++)
			if (load(argv[3 + 2 * m], &shows[m]) || load(argv[4 + 2 * m], &guests[m]))
				return 2;
		return learn(shows, guests, models, &native, &forced);
	}
	if (argc == 5 && !strcmp(argv[1], "compare")) {
		if (load(argv[2], &show) || load(argv[3], &guest) || load_forced(argv[4], &forced))
			return 2;
		return compare(&show, &guest, &forced);
	}
	fprintf(stderr, "usage: cpuid_diff native | learn NATIVE SHOW GUEST [SHOW GUEST]... | "
		"compare SHOW GUEST FORCED\n");
	return 2;
}
