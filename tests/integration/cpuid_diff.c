/* Compares a guest's CPUID lines with `sprig cpu show`'s, allowing for
 * hosts whose KVM answers some CPUID bits from the host CPU itself,
 * whatever the VMM set (kvm-pvm: docs/host-notes.md).
 *
 *   cpuid_diff native
 *       this CPU's own CPUID, in the guest's line format
 *   cpuid_diff learn SHOW GUEST NATIVE
 *       every difference between SHOW and GUEST must be the host's own
 *       value (NATIVE): prints them as "mask LEAF.SUB REG HEX" lines, or
 *       "leaf LEAF" when the subleaves themselves differ; exit 1 otherwise
 *   cpuid_diff compare SHOW GUEST NATIVE FORCED
 *       SHOW and GUEST agree outside FORCED (learn's lines), and inside
 *       it the guest saw the host's value; exit 1 with the differences
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
	struct leaf_line masks[MAX_LINES];  /* regs: the forced bits */
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

static uint32_t forced_mask(const struct forced *f, uint32_t leaf, uint32_t subleaf, int reg)
{
	for (unsigned i = 0; i < f->count; i++)
		if (f->masks[i].leaf == leaf && f->masks[i].subleaf == subleaf)
			return f->masks[i].regs[reg];
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

/* A leaf whose subleaves differ is the host's if every subleaf the guest
 * saw is one the host has, with the host's sizes and offsets (EAX, EBX
 * of the state components; EAX of subleaf 0): the rest may vary (current
 * sizes, subleaf 1's instructions the host keeps to itself). */
static int host_leaf(const struct table *guest, const struct table *native, uint32_t leaf)
{
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

static int learn(const struct table *show, const struct table *guest, const struct table *native,
		 struct forced *out)
{
	int bad = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct table *x = pass ? guest : show, *y = pass ? show : guest;
		for (unsigned i = 0; i < x->count; i++) {
			const struct leaf_line *l = &x->lines[i];
			if (!find(y, l->leaf, l->subleaf) &&
			    learn_leaf(guest, native, l->leaf, out))
				bad = 1;
		}
	}
	for (unsigned i = 0; i < show->count; i++) {
		const struct leaf_line *s = &show->lines[i];
		const struct leaf_line *g = find(guest, s->leaf, s->subleaf);
		const struct leaf_line *n = find(native, s->leaf, s->subleaf);
		if (!g || whole_leaf_forced(out, s->leaf))
			continue;
		for (int r = 0; r < 4; r++) {
			uint32_t diff = s->regs[r] ^ g->regs[r];
			if (!diff)
				continue;
			if (!n || ((g->regs[r] ^ n->regs[r]) & diff)) {
				fprintf(stderr, "cpuid 0x%08x.%02x %s: sprig set %08x, the guest saw %08x, "
					"the host has %08x\n", s->leaf, s->subleaf, reg_names[r],
					s->regs[r], g->regs[r], n ? n->regs[r] : 0);
				bad = 1;
				continue;
			}
			printf("mask 0x%08x.%02x %s %08x\n", s->leaf, s->subleaf, reg_names[r], diff);
		}
	}
	return bad;
}

static int load_forced(const char *path, struct forced *f)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return perror(path), -1;
	char line[256], reg[8];
	uint32_t leaf, subleaf, mask;
	memset(f, 0, sizeof(*f));
	while (fgets(line, sizeof(line), file)) {
		if (sscanf(line, "leaf 0x%x", &leaf) == 1 && !whole_leaf_forced(f, leaf) &&
		    f->leaf_count < 256) {
			f->whole_leaves[f->leaf_count++] = leaf;
		} else if (sscanf(line, "mask 0x%x.%x %3s %x", &leaf, &subleaf, reg, &mask) == 4) {
			int r = 0;
			while (r < 4 && strcmp(reg, reg_names[r]))
				r++;
			if (r == 4)
				continue;
			struct leaf_line *m = NULL;
			for (unsigned i = 0; i < f->count && !m; i++)
				if (f->masks[i].leaf == leaf && f->masks[i].subleaf == subleaf)
					m = &f->masks[i];
			if (!m && f->count < MAX_LINES) {
				m = &f->masks[f->count++];
				m->leaf = leaf, m->subleaf = subleaf;
			}
			if (m)
				m->regs[r] |= mask;
		}
	}
	fclose(file);
	return 0;
}

static int compare_line(const struct leaf_line *s, const struct leaf_line *g,
			const struct leaf_line *n, const struct forced *f, unsigned *masked_bits)
{
	int bad = 0;
	for (int r = 0; r < 4; r++) {
		uint32_t mask = forced_mask(f, s->leaf, s->subleaf, r);
		uint32_t host = n ? n->regs[r] : 0;
		if (((s->regs[r] ^ g->regs[r]) & ~mask) || ((g->regs[r] ^ host) & mask)) {
			printf("cpuid 0x%08x.%02x %s: sprig set %08x, the guest saw %08x (host-forced "
			       "bits %08x, host %08x)\n", s->leaf, s->subleaf, reg_names[r], s->regs[r],
			       g->regs[r], mask, host);
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
			     (forced_mask(f, gates[g].leaf, 0, gates[g].reg) >> gates[g].bit & 1)))
				excused = 1;
		if (!excused)
			printf("msr: the guest read %s     which cpu show does not list\n", guest->msrs[i]), bad = 1;
	}
	return bad;
}

static int compare(const struct table *show, const struct table *guest,
		   const struct table *native, const struct forced *f)
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
		if (g && compare_line(s, g, find(native, s->leaf, s->subleaf), f, &masked_bits))
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
	static struct table show, guest, native;
	static struct forced forced;
	if (argc == 2 && !strcmp(argv[1], "native")) {
		cpuid_walk(native_query, native_emit, NULL);
		return 0;
	}
	int is_learn = argc == 5 && !strcmp(argv[1], "learn");
	int is_compare = argc == 6 && !strcmp(argv[1], "compare");
	if (!is_learn && !is_compare) {
		fprintf(stderr, "usage: cpuid_diff native | learn SHOW GUEST NATIVE | "
			"compare SHOW GUEST NATIVE FORCED\n");
		return 2;
	}
	if (load(argv[2], &show) || load(argv[3], &guest) || load(argv[4], &native))
		return 2;
	if (is_learn)
		return learn(&show, &guest, &native, &forced);
	if (load_forced(argv[5], &forced))
		return 2;
	return compare(&show, &guest, &native, &forced);
}
