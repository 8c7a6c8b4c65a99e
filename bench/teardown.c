/* What KVM's in-kernel devices cost to make and to tear down, and what
 * the order of teardown does to it (cpu/teardown.c, docs/host-notes.md).
 * Each configuration makes a VM with 128 MiB and one vCPU, adds devices,
 * then ends it: either by closing the fds (the kernel removes each
 * device's hooks itself) or, "sprig's order", by first switching PIT
 * reinjection off and deassigning the irqfds one ioctl at a time.
 * Between the two, 20 ms pass, as a short guest would run. N runs each,
 * the configurations taking turns; min / median / max ms.
 *
 * usage: teardown [N]     (default 20) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (128ul << 20)
#define IRQFDS 2
#define MAX_RUNS 1000

struct config {
	const char *name;
	int irqchip, pit, irqfds, unhook_first;
	double make_ms[MAX_RUNS], end_ms[MAX_RUNS];
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int fail(const char *what)
{
	perror(what);
	return -1;
}

static void unhook(int vm, const int *fds, int count)
{
	struct kvm_reinject_control reinject = { .pit_reinject = 0 };
	ioctl(vm, KVM_REINJECT_CONTROL, &reinject);
	for (int i = 0; i < count; i++) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)fds[i], .gsi = 4 + (uint32_t)i,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(vm, KVM_IRQFD, &irqfd);
	}
}

static int add_devices(int vm, const struct config *c, int *fds)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (c->irqchip && (ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000ul) || ioctl(vm, KVM_CREATE_IRQCHIP, 0)))
		return fail("KVM_CREATE_IRQCHIP");
	if (c->pit && ioctl(vm, KVM_CREATE_PIT2, &pit))
		return fail("KVM_CREATE_PIT2");
	for (int i = 0; i < c->irqfds; i++) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)(fds[i] = eventfd(0, EFD_CLOEXEC)),
					   .gsi = 4 + (uint32_t)i };
		if (fds[i] < 0 || ioctl(vm, KVM_IRQFD, &irqfd))
			return fail("KVM_IRQFD");
	}
	return 0;
}

static int run_once(int kvm, struct config *c, int i)
{
	int fds[IRQFDS];
	double start = now_ms();
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	void *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return fail("KVM_CREATE_VM / mmap");
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE,
						      .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) || add_devices(vm, c, fds))
		return fail("setting up");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	double made = now_ms();
	/* As long as a short guest would run: what KVM does right after the
	 * VM is made (SRCU grace periods of its own) is over, as in sprig. */
	usleep(20000);
	double ending = now_ms();
	if (c->unhook_first)
		unhook(vm, fds, c->irqfds);
	close(vcpu);
	close(vm);
	double ended = now_ms();
	for (int k = 0; k < c->irqfds; k++)
		close(fds[k]);
	munmap(mem, MEM_SIZE);
	c->make_ms[i] = made - start;
	c->end_ms[i] = ended - ending;
	return 0;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void print_spread(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare);
	printf(" %7.2f / %7.2f / %7.2f |", v[0], v[n / 2], v[n - 1]);
}

int main(int argc, char **argv)
{
	static struct config configs[] = {
		{ .name = "VM and vCPU only" },
		{ .name = "+ irqchip", .irqchip = 1 },
		{ .name = "+ irqchip, PIT", .irqchip = 1, .pit = 1 },
		{ .name = "+ irqchip, PIT, 2 irqfds", .irqchip = 1, .pit = 1, .irqfds = IRQFDS },
		{ .name = "the same, sprig's order", .irqchip = 1, .pit = 1, .irqfds = IRQFDS,
		  .unhook_first = 1 },
	};
	int count = sizeof(configs) / sizeof(configs[0]);
	int n = argc > 1 ? atoi(argv[1]) : 20;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (n < 1 || n > MAX_RUNS)
		return fprintf(stderr, "usage: teardown [N]   (1 to %d)\n", MAX_RUNS), 2;
	if (kvm < 0)
		return fail("/dev/kvm"), 2;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < count; k++)
			if (run_once(kvm, &configs[i % 2 ? count - 1 - k : k], i))
				return 1;
	printf("| %-26s | make (ms) min / med / max | end (ms) min / med / max  |\n|---|---|---|\n",
	       "VM with");
	for (int k = 0; k < count; k++) {
		printf("| %-26s |", configs[k].name);
		print_spread(configs[k].make_ms, n);
		print_spread(configs[k].end_ms, n);
		printf("\n");
	}
	return 0;
}
