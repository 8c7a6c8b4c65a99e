/* What this host's /dev/kvm offers, for docs/host-notes.md: the facts
 * sprig depends on and some KVMs (kvm-pvm) answer unusually. Host gcc,
 * not part of sprig. Exit 0, or 2 when /dev/kvm cannot be opened. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MSR_IA32_ARCH_CAPABILITIES 0x10a

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void print_supported_cpuid(int kvm)
{
	static struct { struct kvm_cpuid2 head; struct kvm_cpuid_entry2 e[512]; } c;
	c.head.nent = 512;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c) < 0) {
		printf("KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		return;
	}
	for (unsigned i = 0; i < c.head.nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c.e[i];
		if (e->function == 1 || e->function == 7 || e->function == 0xd)
			printf("supported cpuid 0x%08x.%02x eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
			       e->function, e->index, e->eax, e->ebx, e->ecx, e->edx);
	}
}

static int read_feature_msr(int kvm, unsigned index, unsigned long long *value)
{
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } m;
	memset(&m, 0, sizeof(m));
	m.head.nmsrs = 1;
	m.entry.index = index;
	int n = ioctl(kvm, KVM_GET_MSRS, &m);
	*value = m.entry.data;
	return n;
}

/* The host's value on a vCPU that has the CPUID bit: taken or not? */
static void check_arch_capabilities(int kvm, int vcpu)
{
	unsigned long long host;
	if (read_feature_msr(kvm, MSR_IA32_ARCH_CAPABILITIES, &host) != 1) {
		printf("arch_capabilities: not a feature MSR here\n");
		return;
	}
	struct { struct kvm_cpuid2 head; struct kvm_cpuid_entry2 e[2]; } c;
	memset(&c, 0, sizeof(c));
	c.head.nent = 2;
	c.e[0].eax = 7;
	c.e[1].function = 7, c.e[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, c.e[1].edx = 1u << 29;
	int cpuid_ok = ioctl(vcpu, KVM_SET_CPUID2, &c) == 0;
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } m;
	memset(&m, 0, sizeof(m));
	m.head.nmsrs = 1;
	m.entry.index = MSR_IA32_ARCH_CAPABILITIES;
	m.entry.data = host;
	int taken = ioctl(vcpu, KVM_SET_MSRS, &m);
	m.entry.data = 0;
	int zero = ioctl(vcpu, KVM_SET_MSRS, &m);
	printf("arch_capabilities: feature MSR 0x%llx; a vCPU (CPUID bit %s) %s it; 0 %s\n", host,
	       cpuid_ok ? "set" : "refused", taken == 1 ? "takes" : "refuses",
	       zero == 1 ? "is taken" : "is refused");
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("/dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	printf("api version %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	unsigned long long mce_cap = 0;
	int r = ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &mce_cap);
	printf("mce cap supported: %s0x%llx (banks %d)\n", r < 0 ? "error, " : "", mce_cap,
	       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MCE));
	print_supported_cpuid(kvm);
	double t0 = now_us();
	int vm = ioctl(kvm, KVM_CREATE_VM, 0ul);
	double t1 = now_us();
	int vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0ul);
	double t2 = now_us();
	if (vcpu < 0) {
		printf("KVM_CREATE_VM/VCPU: %s\n", strerror(errno));
		return 2;
	}
	check_arch_capabilities(kvm, vcpu);
	double t3 = now_us();
	close(vcpu), close(vm);
	printf("cost: KVM_CREATE_VM %.0f us, KVM_CREATE_VCPU %.0f us, closing both %.0f us\n", t1 - t0,
	       t2 - t1, now_us() - t3);
	return 0;
}
