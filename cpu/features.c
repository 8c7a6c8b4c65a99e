/* The feature table, ordered by word then bit. Names are Linux's: the
 * /proc/cpuinfo name from arch/x86/include/asm/cpufeatures.h, or the
 * lowercased macro suffix where cpuinfo hides the bit (and for the bits
 * only scattered.c or KVM's reverse_cpuid.h name); ARCH_CAP_* suffixes
 * from msr-index.h for IA32_ARCH_CAPABILITIES. The KVM leaf uses QEMU's
 * names, because that is what people type for it. docs/cpu-features.md
 * is the readable form.
 *
 * Left out on purpose: OSXSAVE (1 ECX bit 27) and OSPKE (7.0 ECX bit 4)
 * mirror the guest's CR4, so no model may claim them. */
#include "features.h"

#include <string.h>

const struct feature_word_info feature_words[FW_COUNT] = {
	[FW_1_ECX] = { "1.ecx", 0x1, 0, CPUID_ECX, 0 },
	[FW_1_EDX] = { "1.edx", 0x1, 0, CPUID_EDX, 0 },
	[FW_6_EAX] = { "6.eax", 0x6, 0, CPUID_EAX, 0 },
	[FW_7_0_EBX] = { "7.0.ebx", 0x7, 0, CPUID_EBX, 0 },
	[FW_7_0_ECX] = { "7.0.ecx", 0x7, 0, CPUID_ECX, 0 },
	[FW_7_0_EDX] = { "7.0.edx", 0x7, 0, CPUID_EDX, 0 },
	[FW_7_1_EAX] = { "7.1.eax", 0x7, 1, CPUID_EAX, 0 },
	[FW_7_1_EDX] = { "7.1.edx", 0x7, 1, CPUID_EDX, 0 },
	[FW_D_1_EAX] = { "0xd.1.eax", 0xd, 1, CPUID_EAX, 0 },
	[FW_80000001_ECX] = { "0x80000001.ecx", 0x80000001, 0, CPUID_ECX, 0 },
	[FW_80000001_EDX] = { "0x80000001.edx", 0x80000001, 0, CPUID_EDX, 0 },
	[FW_80000007_EDX] = { "0x80000007.edx", 0x80000007, 0, CPUID_EDX, 0 },
	[FW_80000008_EBX] = { "0x80000008.ebx", 0x80000008, 0, CPUID_EBX, 0 },
	[FW_KVM_EAX] = { "0x40000001.eax", 0x40000001, 0, CPUID_EAX, 0 },
	[FW_KVM_EDX] = { "0x40000001.edx", 0x40000001, 0, CPUID_EDX, 0 },
	/* An MSR word: leaf and register mean nothing here. */
	[FW_ARCH_CAP] = { "msr 0x10a", 0, 0, CPUID_EAX, 0x10a },
};

#define F(name, word, bit, help) { name, word, bit, help }

const struct cpu_feature cpu_features[] = {
	/* 1.ecx */
	F("pni", FW_1_ECX, 0, "SSE3"),
	F("pclmulqdq", FW_1_ECX, 1, "carry-less multiply"),
	F("dtes64", FW_1_ECX, 2, "64-bit debug store"),
	F("monitor", FW_1_ECX, 3, "MONITOR/MWAIT"),
	F("ds_cpl", FW_1_ECX, 4, "CPL-qualified debug store"),
	F("vmx", FW_1_ECX, 5, "Intel VT-x"),
	F("smx", FW_1_ECX, 6, "safer mode (TXT)"),
	F("est", FW_1_ECX, 7, "SpeedStep"),
	F("tm2", FW_1_ECX, 8, "thermal monitor 2"),
	F("ssse3", FW_1_ECX, 9, "supplemental SSE3"),
	F("cid", FW_1_ECX, 10, "L1 context id"),
	F("sdbg", FW_1_ECX, 11, "silicon debug"),
	F("fma", FW_1_ECX, 12, "fused multiply-add (FMA3)"),
	F("cx16", FW_1_ECX, 13, "CMPXCHG16B"),
	F("xtpr", FW_1_ECX, 14, "xTPR update control"),
	F("pdcm", FW_1_ECX, 15, "perfmon and debug capability MSR"),
	F("pcid", FW_1_ECX, 17, "process context ids"),
	F("dca", FW_1_ECX, 18, "direct cache access"),
	F("sse4_1", FW_1_ECX, 19, "SSE4.1"),
	F("sse4_2", FW_1_ECX, 20, "SSE4.2"),
	F("x2apic", FW_1_ECX, 21, "x2APIC"),
	F("movbe", FW_1_ECX, 22, "MOVBE"),
	F("popcnt", FW_1_ECX, 23, "POPCNT"),
	F("tsc_deadline_timer", FW_1_ECX, 24, "APIC TSC-deadline timer"),
	F("aes", FW_1_ECX, 25, "AES-NI"),
	F("xsave", FW_1_ECX, 26, "XSAVE/XRSTOR, XCR0"),
	F("avx", FW_1_ECX, 28, "AVX"),
	F("f16c", FW_1_ECX, 29, "half-precision conversion"),
	F("rdrand", FW_1_ECX, 30, "RDRAND"),
	F("hypervisor", FW_1_ECX, 31, "running under a hypervisor"),

	/* 1.edx */
	F("fpu", FW_1_EDX, 0, "x87 FPU"),
	F("vme", FW_1_EDX, 1, "virtual-8086 mode extensions"),
	F("de", FW_1_EDX, 2, "debugging extensions"),
	F("pse", FW_1_EDX, 3, "4 MiB pages"),
	F("tsc", FW_1_EDX, 4, "time stamp counter"),
	F("msr", FW_1_EDX, 5, "RDMSR/WRMSR"),
	F("pae", FW_1_EDX, 6, "physical address extension"),
	F("mce", FW_1_EDX, 7, "machine check exception"),
	F("cx8", FW_1_EDX, 8, "CMPXCHG8B"),
	F("apic", FW_1_EDX, 9, "local APIC"),
	F("sep", FW_1_EDX, 11, "SYSENTER/SYSEXIT"),
	F("mtrr", FW_1_EDX, 12, "memory type range registers"),
	F("pge", FW_1_EDX, 13, "global pages"),
	F("mca", FW_1_EDX, 14, "machine check architecture"),
	F("cmov", FW_1_EDX, 15, "CMOVcc"),
	F("pat", FW_1_EDX, 16, "page attribute table"),
	F("pse36", FW_1_EDX, 17, "36-bit 4 MiB pages"),
	F("pn", FW_1_EDX, 18, "processor serial number"),
	F("clflush", FW_1_EDX, 19, "CLFLUSH"),
	F("dts", FW_1_EDX, 21, "debug store"),
	F("acpi", FW_1_EDX, 22, "ACPI thermal MSRs"),
	F("mmx", FW_1_EDX, 23, "MMX"),
	F("fxsr", FW_1_EDX, 24, "FXSAVE/FXRSTOR"),
	F("sse", FW_1_EDX, 25, "SSE"),
	F("sse2", FW_1_EDX, 26, "SSE2"),
	F("ss", FW_1_EDX, 27, "self snoop"),
	F("ht", FW_1_EDX, 28, "more than one logical CPU per package (set by topology)"),
	F("tm", FW_1_EDX, 29, "thermal monitor"),
	F("ia64", FW_1_EDX, 30, "IA-64"),
	F("pbe", FW_1_EDX, 31, "pending break enable"),

	/* 6.eax */
	F("dtherm", FW_6_EAX, 0, "digital thermal sensor"),
	F("ida", FW_6_EAX, 1, "turbo boost"),
	F("arat", FW_6_EAX, 2, "APIC timer always running"),
	F("pln", FW_6_EAX, 4, "power limit notification"),
	F("pts", FW_6_EAX, 6, "package thermal status"),
	F("hwp", FW_6_EAX, 7, "hardware P-states"),
	F("hwp_notify", FW_6_EAX, 8, "HWP notification"),
	F("hwp_act_window", FW_6_EAX, 9, "HWP activity window"),
	F("hwp_epp", FW_6_EAX, 10, "HWP energy preference"),
	F("hwp_pkg_req", FW_6_EAX, 11, "HWP package request"),
	F("hwp_highest_perf_change", FW_6_EAX, 15, "HWP highest performance change"),
	F("hfi", FW_6_EAX, 19, "hardware feedback interface"),

	/* 7.0.ebx */
	F("fsgsbase", FW_7_0_EBX, 0, "RD/WRFSBASE, RD/WRGSBASE"),
	F("tsc_adjust", FW_7_0_EBX, 1, "TSC_ADJUST MSR"),
	F("sgx", FW_7_0_EBX, 2, "software guard extensions"),
	F("bmi1", FW_7_0_EBX, 3, "bit manipulation 1"),
	F("hle", FW_7_0_EBX, 4, "TSX hardware lock elision"),
	F("avx2", FW_7_0_EBX, 5, "AVX2"),
	F("fdp_excptn_only", FW_7_0_EBX, 6, "FPU data pointer on exceptions only"),
	F("smep", FW_7_0_EBX, 7, "supervisor mode execution prevention"),
	F("bmi2", FW_7_0_EBX, 8, "bit manipulation 2"),
	F("erms", FW_7_0_EBX, 9, "enhanced REP MOVSB/STOSB"),
	F("invpcid", FW_7_0_EBX, 10, "INVPCID"),
	F("rtm", FW_7_0_EBX, 11, "TSX restricted transactional memory"),
	F("cqm", FW_7_0_EBX, 12, "cache QoS monitoring"),
	F("zero_fcs_fds", FW_7_0_EBX, 13, "FPU CS/DS deprecated"),
	F("mpx", FW_7_0_EBX, 14, "memory protection extensions"),
	F("rdt_a", FW_7_0_EBX, 15, "resource director allocation"),
	F("avx512f", FW_7_0_EBX, 16, "AVX-512 foundation"),
	F("avx512dq", FW_7_0_EBX, 17, "AVX-512 dword/qword"),
	F("rdseed", FW_7_0_EBX, 18, "RDSEED"),
	F("adx", FW_7_0_EBX, 19, "ADCX/ADOX"),
	F("smap", FW_7_0_EBX, 20, "supervisor mode access prevention"),
	F("avx512ifma", FW_7_0_EBX, 21, "AVX-512 integer FMA"),
	F("clflushopt", FW_7_0_EBX, 23, "CLFLUSHOPT"),
	F("clwb", FW_7_0_EBX, 24, "CLWB"),
	F("intel_pt", FW_7_0_EBX, 25, "processor trace"),
	F("avx512pf", FW_7_0_EBX, 26, "AVX-512 prefetch"),
	F("avx512er", FW_7_0_EBX, 27, "AVX-512 exponential/reciprocal"),
	F("avx512cd", FW_7_0_EBX, 28, "AVX-512 conflict detection"),
	F("sha_ni", FW_7_0_EBX, 29, "SHA-1/SHA-256 instructions"),
	F("avx512bw", FW_7_0_EBX, 30, "AVX-512 byte/word"),
	F("avx512vl", FW_7_0_EBX, 31, "AVX-512 vector length"),

	/* 7.0.ecx (bit 4, OSPKE, left out: see the top) */
	F("avx512vbmi", FW_7_0_ECX, 1, "AVX-512 vector bit manipulation"),
	F("umip", FW_7_0_ECX, 2, "user-mode instruction prevention"),
	F("pku", FW_7_0_ECX, 3, "protection keys for user pages"),
	F("waitpkg", FW_7_0_ECX, 5, "UMONITOR/UMWAIT/TPAUSE"),
	F("avx512_vbmi2", FW_7_0_ECX, 6, "AVX-512 VBMI2"),
	F("shstk", FW_7_0_ECX, 7, "CET shadow stack"),
	F("gfni", FW_7_0_ECX, 8, "Galois field instructions"),
	F("vaes", FW_7_0_ECX, 9, "vector AES"),
	F("vpclmulqdq", FW_7_0_ECX, 10, "vector carry-less multiply"),
	F("avx512_vnni", FW_7_0_ECX, 11, "AVX-512 VNNI"),
	F("avx512_bitalg", FW_7_0_ECX, 12, "AVX-512 BITALG"),
	F("tme", FW_7_0_ECX, 13, "total memory encryption"),
	F("avx512_vpopcntdq", FW_7_0_ECX, 14, "AVX-512 VPOPCNTD/Q"),
	F("la57", FW_7_0_ECX, 16, "5-level paging"),
	F("rdpid", FW_7_0_ECX, 22, "RDPID"),
	F("bus_lock_detect", FW_7_0_ECX, 24, "bus lock debug exception"),
	F("cldemote", FW_7_0_ECX, 25, "CLDEMOTE"),
	F("movdiri", FW_7_0_ECX, 27, "MOVDIRI"),
	F("movdir64b", FW_7_0_ECX, 28, "MOVDIR64B"),
	F("enqcmd", FW_7_0_ECX, 29, "ENQCMD"),
	F("sgx_lc", FW_7_0_ECX, 30, "SGX launch control"),

	/* 7.0.edx */
	F("avx512_4vnniw", FW_7_0_EDX, 2, "AVX-512 4VNNIW"),
	F("avx512_4fmaps", FW_7_0_EDX, 3, "AVX-512 4FMAPS"),
	F("fsrm", FW_7_0_EDX, 4, "fast short REP MOV"),
	F("avx512_vp2intersect", FW_7_0_EDX, 8, "AVX-512 VP2INTERSECT"),
	F("srbds_ctrl", FW_7_0_EDX, 9, "SRBDS mitigation MSR"),
	F("md_clear", FW_7_0_EDX, 10, "VERW clears CPU buffers"),
	F("rtm_always_abort", FW_7_0_EDX, 11, "RTM always aborts"),
	F("tsx_force_abort", FW_7_0_EDX, 13, "TSX_FORCE_ABORT MSR"),
	F("serialize", FW_7_0_EDX, 14, "SERIALIZE"),
	F("hybrid_cpu", FW_7_0_EDX, 15, "hybrid part"),
	F("tsxldtrk", FW_7_0_EDX, 16, "TSX suspend load tracking"),
	F("pconfig", FW_7_0_EDX, 18, "PCONFIG"),
	F("arch_lbr", FW_7_0_EDX, 19, "architectural LBR"),
	F("ibt", FW_7_0_EDX, 20, "CET indirect branch tracking"),
	F("amx_bf16", FW_7_0_EDX, 22, "AMX bfloat16"),
	F("avx512_fp16", FW_7_0_EDX, 23, "AVX-512 FP16"),
	F("amx_tile", FW_7_0_EDX, 24, "AMX tiles"),
	F("amx_int8", FW_7_0_EDX, 25, "AMX int8"),
	F("spec_ctrl", FW_7_0_EDX, 26, "IBRS and IBPB"),
	F("intel_stibp", FW_7_0_EDX, 27, "STIBP"),
	F("flush_l1d", FW_7_0_EDX, 28, "L1D flush MSR"),
	F("arch_capabilities", FW_7_0_EDX, 29, "IA32_ARCH_CAPABILITIES MSR"),
	F("core_capabilities", FW_7_0_EDX, 30, "IA32_CORE_CAPABILITIES MSR"),
	F("spec_ctrl_ssbd", FW_7_0_EDX, 31, "speculative store bypass disable"),

	/* 7.1.eax */
	F("sha512", FW_7_1_EAX, 0, "SHA-512 instructions"),
	F("sm3", FW_7_1_EAX, 1, "SM3 hash instructions"),
	F("sm4", FW_7_1_EAX, 2, "SM4 cipher instructions"),
	F("avx_vnni", FW_7_1_EAX, 4, "AVX VNNI"),
	F("avx512_bf16", FW_7_1_EAX, 5, "AVX-512 bfloat16"),
	F("lass", FW_7_1_EAX, 6, "linear address space separation"),
	F("cmpccxadd", FW_7_1_EAX, 7, "CMPccXADD"),
	F("arch_perfmon_ext", FW_7_1_EAX, 8, "perfmon leaf 0x23"),
	F("fzrm", FW_7_1_EAX, 10, "fast zero-length REP MOVSB"),
	F("fsrs", FW_7_1_EAX, 11, "fast short REP STOSB"),
	F("fsrc", FW_7_1_EAX, 12, "fast short REP CMPSB/SCASB"),
	F("fred", FW_7_1_EAX, 17, "flexible return and event delivery"),
	F("lkgs", FW_7_1_EAX, 18, "LKGS"),
	F("wrmsrns", FW_7_1_EAX, 19, "non-serializing WRMSR"),
	F("amx_fp16", FW_7_1_EAX, 21, "AMX FP16"),
	F("avx_ifma", FW_7_1_EAX, 23, "AVX IFMA"),
	F("lam", FW_7_1_EAX, 26, "linear address masking"),
	F("movrs", FW_7_1_EAX, 31, "MOVRS read-shared loads"),

	/* 7.1.edx: named by KVM (reverse_cpuid.h) and scattered.c, not cpuinfo */
	F("avx_vnni_int8", FW_7_1_EDX, 4, "AVX VNNI int8"),
	F("avx_ne_convert", FW_7_1_EDX, 5, "AVX NE convert"),
	F("amx_complex", FW_7_1_EDX, 8, "AMX complex"),
	F("avx_vnni_int16", FW_7_1_EDX, 10, "AVX VNNI int16"),
	F("prefetchiti", FW_7_1_EDX, 14, "PREFETCHIT0/1"),
	F("avx10", FW_7_1_EDX, 19, "AVX10 (version in leaf 0x24)"),
	F("apx", FW_7_1_EDX, 21, "advanced performance extensions"),

	/* 0xd.1.eax */
	F("xsaveopt", FW_D_1_EAX, 0, "XSAVEOPT"),
	F("xsavec", FW_D_1_EAX, 1, "XSAVEC"),
	F("xgetbv1", FW_D_1_EAX, 2, "XGETBV with ECX=1"),
	F("xsaves", FW_D_1_EAX, 3, "XSAVES/XRSTORS, supervisor state"),
	F("xfd", FW_D_1_EAX, 4, "extended feature disable"),

	/* 0x80000001.ecx */
	F("lahf_lm", FW_80000001_ECX, 0, "LAHF/SAHF in long mode"),
	F("cmp_legacy", FW_80000001_ECX, 1, "AMD core multiprocessing legacy"),
	F("svm", FW_80000001_ECX, 2, "AMD-V"),
	F("extapic", FW_80000001_ECX, 3, "extended APIC space"),
	F("cr8_legacy", FW_80000001_ECX, 4, "CR8 in 32-bit mode"),
	F("abm", FW_80000001_ECX, 5, "LZCNT (advanced bit manipulation)"),
	F("sse4a", FW_80000001_ECX, 6, "SSE4a"),
	F("misalignsse", FW_80000001_ECX, 7, "misaligned SSE"),
	F("3dnowprefetch", FW_80000001_ECX, 8, "PREFETCH/PREFETCHW"),
	F("osvw", FW_80000001_ECX, 9, "OS visible workarounds"),
	F("ibs", FW_80000001_ECX, 10, "instruction based sampling"),
	F("xop", FW_80000001_ECX, 11, "XOP"),
	F("skinit", FW_80000001_ECX, 12, "SKINIT/STGI"),
	F("wdt", FW_80000001_ECX, 13, "watchdog timer"),
	F("lwp", FW_80000001_ECX, 15, "lightweight profiling"),
	F("fma4", FW_80000001_ECX, 16, "FMA4"),
	F("tce", FW_80000001_ECX, 17, "translation cache extension"),
	F("nodeid_msr", FW_80000001_ECX, 19, "NodeId MSR"),
	F("tbm", FW_80000001_ECX, 21, "trailing bit manipulation"),
	F("topoext", FW_80000001_ECX, 22, "topology extensions"),
	F("perfctr_core", FW_80000001_ECX, 23, "core performance counters"),
	F("perfctr_nb", FW_80000001_ECX, 24, "northbridge performance counters"),
	F("bpext", FW_80000001_ECX, 26, "data breakpoint extension"),
	F("ptsc", FW_80000001_ECX, 27, "performance TSC"),
	F("perfctr_llc", FW_80000001_ECX, 28, "last-level cache performance counters"),
	F("mwaitx", FW_80000001_ECX, 29, "MONITORX/MWAITX"),

	/* 0x80000001.edx: only what 1.edx does not already say */
	F("syscall", FW_80000001_EDX, 11, "SYSCALL/SYSRET"),
	F("mp", FW_80000001_EDX, 19, "MP capable"),
	F("nx", FW_80000001_EDX, 20, "no-execute pages"),
	F("mmxext", FW_80000001_EDX, 22, "AMD MMX extensions"),
	F("fxsr_opt", FW_80000001_EDX, 25, "FXSAVE/FXRSTOR optimizations"),
	F("pdpe1gb", FW_80000001_EDX, 26, "1 GiB pages"),
	F("rdtscp", FW_80000001_EDX, 27, "RDTSCP"),
	F("lm", FW_80000001_EDX, 29, "long mode (x86-64)"),
	F("3dnowext", FW_80000001_EDX, 30, "3DNow! extensions"),
	F("3dnow", FW_80000001_EDX, 31, "3DNow!"),

	/* 0x80000007.edx: scattered.c's bits, and bit 8 by QEMU's name because
	 * Linux has only the constant_tsc and nonstop_tsc it derives from it */
	F("hw_pstate", FW_80000007_EDX, 7, "AMD hardware P-states"),
	F("invtsc", FW_80000007_EDX, 8, "invariant TSC (constant_tsc, nonstop_tsc)"),
	F("cpb", FW_80000007_EDX, 9, "AMD core performance boost"),
	F("proc_feedback", FW_80000007_EDX, 11, "AMD processor feedback interface"),
	F("amd_fast_cppc", FW_80000007_EDX, 15, "AMD fast CPPC"),
	F("cppc_perf_prio", FW_80000007_EDX, 16, "AMD CPPC performance priority"),

	/* 0x80000008.ebx (bit 6 from scattered.c) */
	F("clzero", FW_80000008_EBX, 0, "CLZERO"),
	F("irperf", FW_80000008_EBX, 1, "instructions retired counter"),
	F("xsaveerptr", FW_80000008_EBX, 2, "XSAVE saves FP error pointers"),
	F("invlpgb", FW_80000008_EBX, 3, "INVLPGB/TLBSYNC broadcast TLB flush"),
	F("rdpru", FW_80000008_EBX, 4, "RDPRU"),
	F("mba", FW_80000008_EBX, 6, "AMD memory bandwidth allocation"),
	F("wbnoinvd", FW_80000008_EBX, 9, "WBNOINVD"),
	F("amd_ibpb", FW_80000008_EBX, 12, "AMD IBPB"),
	F("amd_ibrs", FW_80000008_EBX, 14, "AMD IBRS"),
	F("amd_stibp", FW_80000008_EBX, 15, "AMD STIBP"),
	F("amd_stibp_always_on", FW_80000008_EBX, 17, "STIBP always on"),
	F("amd_ibrs_same_mode", FW_80000008_EBX, 19, "IBRS protects within one mode"),
	F("efer_lmsle_mbz", FW_80000008_EBX, 20, "EFER.LMSLE unsupported"),
	F("amd_ppin", FW_80000008_EBX, 23, "protected processor inventory number"),
	F("amd_ssbd", FW_80000008_EBX, 24, "AMD SSBD"),
	F("virt_ssbd", FW_80000008_EBX, 25, "VIRT_SPEC_CTRL SSBD"),
	F("amd_ssb_no", FW_80000008_EBX, 26, "not vulnerable to speculative store bypass"),
	F("cppc", FW_80000008_EBX, 27, "collaborative processor performance control"),
	F("amd_psfd", FW_80000008_EBX, 28, "predictive store forwarding disable"),
	F("btc_no", FW_80000008_EBX, 29, "not vulnerable to branch type confusion"),
	F("amd_ibpb_ret", FW_80000008_EBX, 30, "IBPB clears return predictions"),
	F("brs", FW_80000008_EBX, 31, "branch sampling"),

	/* 0x40000001.eax: QEMU's names, except that QEMU calls bits 0 and 3
	 * both "kvmclock"; 16 and 17, which QEMU leaves unnamed, in its style */
	F("kvmclock-old", FW_KVM_EAX, 0, "kvmclock at the old MSRs"),
	F("kvm-nopiodelay", FW_KVM_EAX, 1, "no delay on port 0x80"),
	F("kvm-mmu", FW_KVM_EAX, 2, "paravirtual MMU (obsolete)"),
	F("kvmclock", FW_KVM_EAX, 3, "kvmclock"),
	F("kvm-asyncpf", FW_KVM_EAX, 4, "asynchronous page faults"),
	F("kvm-steal-time", FW_KVM_EAX, 5, "steal time"),
	F("kvm-pv-eoi", FW_KVM_EAX, 6, "paravirtual end of interrupt"),
	F("kvm-pv-unhalt", FW_KVM_EAX, 7, "paravirtual spinlock kick"),
	F("kvm-pv-tlb-flush", FW_KVM_EAX, 9, "paravirtual TLB flush"),
	F("kvm-asyncpf-vmexit", FW_KVM_EAX, 10, "async PF on nested exits"),
	F("kvm-pv-ipi", FW_KVM_EAX, 11, "paravirtual IPIs"),
	F("kvm-poll-control", FW_KVM_EAX, 12, "host halt-poll control"),
	F("kvm-pv-sched-yield", FW_KVM_EAX, 13, "paravirtual yield"),
	F("kvm-asyncpf-int", FW_KVM_EAX, 14, "async PF by interrupt"),
	F("kvm-msi-ext-dest-id", FW_KVM_EAX, 15, "MSI extended destination id"),
	F("kvm-hc-map-gpa-range", FW_KVM_EAX, 16, "MAP_GPA_RANGE hypercall"),
	F("kvm-migration-control", FW_KVM_EAX, 17, "migration control MSR"),
	F("kvmclock-stable-bit", FW_KVM_EAX, 24, "kvmclock is stable"),

	/* 0x40000001.edx */
	F("kvm-hint-dedicated", FW_KVM_EDX, 0, "vCPUs have dedicated host CPUs"),

	/* msr 0x10a: Linux defines no ARCH_CAP_ bits 9-12, 22, 23 or 29-31 */
	F("rdcl_no", FW_ARCH_CAP, 0, "not vulnerable to Meltdown"),
	F("ibrs_all", FW_ARCH_CAP, 1, "enhanced IBRS"),
	F("rsba", FW_ARCH_CAP, 2, "RET may use alternate predictors"),
	F("skip_vmentry_l1dflush", FW_ARCH_CAP, 3, "no L1D flush needed on VM entry"),
	F("ssb_no", FW_ARCH_CAP, 4, "not vulnerable to speculative store bypass"),
	F("mds_no", FW_ARCH_CAP, 5, "not vulnerable to MDS"),
	F("pschange_mc_no", FW_ARCH_CAP, 6, "no machine check on page size change"),
	F("tsx_ctrl_msr", FW_ARCH_CAP, 7, "TSX_CTRL MSR"),
	F("taa_no", FW_ARCH_CAP, 8, "not vulnerable to TSX async abort"),
	F("sbdr_ssdp_no", FW_ARCH_CAP, 13, "not vulnerable to SBDR/SSDP"),
	F("fbsdp_no", FW_ARCH_CAP, 14, "not vulnerable to FBSDP"),
	F("psdp_no", FW_ARCH_CAP, 15, "not vulnerable to PSDP"),
	F("mcu_enum", FW_ARCH_CAP, 16, "microcode update enumeration MSRs"),
	F("fb_clear", FW_ARCH_CAP, 17, "VERW clears fill buffers"),
	F("fb_clear_ctrl", FW_ARCH_CAP, 18, "fill buffer clear control"),
	F("rrsba", FW_ARCH_CAP, 19, "restricted RSB alternate"),
	F("bhi_no", FW_ARCH_CAP, 20, "not vulnerable to branch history injection"),
	F("xapic_disable", FW_ARCH_CAP, 21, "xAPIC disable status"),
	F("pbrsb_no", FW_ARCH_CAP, 24, "not vulnerable to post-barrier RSB"),
	F("gds_ctrl", FW_ARCH_CAP, 25, "GDS mitigation control"),
	F("gds_no", FW_ARCH_CAP, 26, "not vulnerable to GDS"),
	F("rfds_no", FW_ARCH_CAP, 27, "not vulnerable to RFDS"),
	F("rfds_clear", FW_ARCH_CAP, 28, "VERW clears register files"),
};
const size_t cpu_features_count = sizeof(cpu_features) / sizeof(cpu_features[0]);

/* Whether the len bytes at given spell name, '-' and '_' alike: Linux
 * writes sse4_2, QEMU sse4-2, and a user should not have to know which. */
static bool same_name(const char *given, size_t len, const char *name)
{
	for (size_t i = 0; i < len; i++) {
		char a = given[i] == '-' ? '_' : given[i];
		char b = name[i] == '-' ? '_' : name[i];
		if (!name[i] || a != b)
			return false;
	}
	return name[len] == 0;
}

const struct cpu_feature *cpu_feature_find(const char *name, size_t len)
{
	for (size_t i = 0; i < cpu_features_count; i++)
		if (same_name(name, len, cpu_features[i].name))
			return &cpu_features[i];
	return NULL;
}

const struct cpu_feature *cpu_feature_at(unsigned word, unsigned bit)
{
	for (size_t i = 0; i < cpu_features_count; i++)
		if (cpu_features[i].word == word && cpu_features[i].bit == bit)
			return &cpu_features[i];
	return NULL;
}
