/* The floor: the least a KVM program does to run guest code. It opens
 * /dev/kvm, makes a VM with 128 MiB of memory (as sprig's default) and one
 * vCPU already in 64-bit long mode, runs three instructions that write 0
 * to isa-debug-exit (port 0xf4), and exits as QEMU and sprig do for that
 * write: status (0 << 1) | 1 = 1. No irqchip, no CPUID, no devices, no
 * seccomp: what is left is the host's own cost, the reference bench/vmm-time
 * holds sprig against on the same machine.
 *
 * usage: floor [-t]    -t prints the CLOCK_MONOTONIC time of the first
 *                      KVM_RUN to stderr, in the format bench/vmm-time reads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (128ul << 20)
#define PML4_GPA 0x1000ul  /* PML4, PDPT, PD: the first GiB in 2 MiB pages */
#define CODE_GPA 0x100000ul

static int die(const char *what)
{
	perror(what);
	return 2;
}

static void write_page_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + PML4_GPA), *pdpt = pml4 + 512, *pd = pdpt + 512;
	pml4[0] = (PML4_GPA + 0x1000) | 3;  /* present, writable */
	pdpt[0] = (PML4_GPA + 0x2000) | 3;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83;  /* present, writable, 2 MiB page */
}

static void set_long_mode(struct kvm_sregs *s)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 8, .type = 11,
				    .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = code;
	data.selector = 16, data.type = 3, data.l = 0, data.db = 1;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->cr3 = PML4_GPA;
	s->cr4 = 1u << 5;                       /* PAE */
	s->cr0 = 1u | (1u << 4) | (1u << 31);   /* PE, ET, PG */
	s->efer = (1u << 8) | (1u << 10);       /* LME, LMA */
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv)
{
	/* mov $0xf4, %dx; xor %eax, %eax; out %al, %dx; hlt */
	static const uint8_t code[] = { 0x66, 0xba, 0xf4, 0x00, 0x31, 0xc0, 0xee, 0xf4 };
	int timed = argc > 1 && !strcmp(argv[1], "-t");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return die(vm < 0 ? "KVM_CREATE_VM" : "mmap");
	struct kvm_userspace_memory_region region = { .slot = 0, .memory_size = MEM_SIZE,
						      .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	write_page_tables(mem);
	memcpy(mem + CODE_GPA, code, sizeof(code));
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		return die(vcpu < 0 ? "KVM_CREATE_VCPU" : "KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	struct kvm_sregs sregs;
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die(run == MAP_FAILED ? "mmap kvm_run" : "KVM_GET_SREGS");
	set_long_mode(&sregs);
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2, .rsp = CODE_GPA };
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_SREGS/REGS");
	uint64_t first_run = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf4 && run->io.direction == KVM_EXIT_IO_OUT)
			break;
		if (run->exit_reason != KVM_EXIT_INTR) {
			fprintf(stderr, "floor: unexpected exit %u\n", run->exit_reason);
			return 2;
		}
	}
	if (timed)
		fprintf(stderr, "first KVM_RUN at CLOCK_MONOTONIC %llu ns\n", (unsigned long long)first_run);
	uint8_t value = *((uint8_t *)run + run->io.data_offset);
	return (value << 1) | 1;
}
