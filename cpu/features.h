/* CPU feature names and where they live: one table mapping each Linux
 * /proc/cpuinfo name to a (leaf, subleaf, register, bit), or to a bit of
 * a feature MSR. Models, filtering and `sprig cpu show` all read it. */
#ifndef SPRIG_CPU_FEATURES_H
#define SPRIG_CPU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* A feature word: 32 feature bits in one CPUID register or one MSR. */
enum feature_word {
	FW_1_ECX,
	FW_1_EDX,
	FW_6_EAX,
	FW_7_0_EBX,
	FW_7_0_ECX,
	FW_7_0_EDX,
	FW_7_1_EAX,
	FW_7_1_EDX,
	FW_D_1_EAX,
	FW_80000001_ECX,
	FW_80000001_EDX,
	FW_80000007_EDX,
	FW_80000008_EBX,
	FW_KVM_EAX,         /* 0x40000001 EAX: KVM paravirtual features */
	FW_KVM_EDX,         /* 0x40000001 EDX: KVM hints */
	FW_ARCH_CAP,        /* MSR IA32_ARCH_CAPABILITIES (0x10a), bits 0-31 */
	FW_COUNT
};

struct feature_word_info {
	const char *name;   /* "1.ecx", "msr 0x10a" */
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	uint32_t msr;       /* nonzero: the word is this MSR's low half, not CPUID */
};

struct cpu_feature {
	const char *name;   /* /proc/cpuinfo name; Linux's macro name where cpuinfo hides it */
	uint8_t word;       /* enum feature_word */
	uint8_t bit;
	const char *help;   /* a few words, for docs and `sprig cpu show` */
};

typedef uint32_t feature_set[FW_COUNT];

extern const struct feature_word_info feature_words[FW_COUNT];
extern const struct cpu_feature cpu_features[];
extern const size_t cpu_features_count;

/* The feature called `name` (len bytes), or NULL. Case-sensitive; '-' and
 * '_' are the same, so both Linux and QEMU spellings work. */
const struct cpu_feature *cpu_feature_find(const char *name, size_t len);

/* The feature at (word, bit), or NULL when the table has no name for it. */
const struct cpu_feature *cpu_feature_at(unsigned word, unsigned bit);

static inline bool feature_has(const feature_set s, const struct cpu_feature *f)
{
	return s[f->word] >> f->bit & 1;
}
static inline void feature_add(feature_set s, const struct cpu_feature *f)
{
	s[f->word] |= 1u << f->bit;
}
static inline void feature_del(feature_set s, const struct cpu_feature *f)
{
	s[f->word] &= ~(1u << f->bit);
}

#endif
