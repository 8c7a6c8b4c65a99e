/* The end of a VM, ordered for speed: the hooks the PIT and the irqfds
 * keep in KVM's interrupt path come out first, then the fds close.
 *
 * Closing the VM fd with them in place makes the kernel remove each hook
 * itself (kvm_irqfd_release, kvm_free_pit), and each removal waits for an
 * SRCU grace period on the VM's interrupt routing. There they follow each
 * other at once, so SRCU's idle heuristic no longer expedites them and
 * every one waits a full normal grace period. Removed one ioctl at a time
 * from here, the PIT's first, the same work took half the time in the
 * nested test VM (docs/host-notes.md, "VM teardown"), and the guest can
 * no longer notice: every vCPU thread has been joined. */
#include "cpu.h"
#include "host.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static void unhook_interrupts(struct vm *vm)
{
	if (vm->vm_fd < 0)
		return;
	/* Off reinjection, the PIT drops its ack and mask notifiers; a VM
	 * without a PIT refuses with ENXIO, which is fine. */
	struct kvm_reinject_control reinject = { .pit_reinject = 0 };
	(void)ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &reinject);
	for (unsigned i = 0; i < vm->irqfd_count; i++) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)vm->irqfds[i].fd, .gsi = vm->irqfds[i].gsi,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };
		(void)ioctl(vm->vm_fd, KVM_IRQFD, &irqfd);
	}
	vm->irqfd_count = 0;
}

void vm_destroy(struct vm *vm)
{
	unhook_interrupts(vm);
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	free(vm->msr_indices);
	cpuid_model_free(&vm->cpu);
	cpu_host_free(&vm->host);
	int fds[] = { vm->kvm_fd, vm->vm_fd, vm->mailbox[0], vm->mailbox[1] };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	guest_mem_free(&vm->mem);
}
