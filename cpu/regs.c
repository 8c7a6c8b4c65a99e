/* The state a vCPU starts in: the registers its boot protocol promises,
 * the local APIC wired as firmware leaves it, an initialised FPU. */
#include "cpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, bool long_mode)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = long_mode && (type & 8) ? 0 : 1,
		.s = 1, .l = long_mode && (type & 8), .g = 1,
	};
}

static void set_segments(struct kvm_sregs *s, bool long_mode)
{
	s->cs = flat_segment(long_mode ? BOOT_SEL_CODE64 : BOOT_SEL_CODE32, 0xb, long_mode);
	s->ds = s->es = s->fs = s->gs = s->ss = flat_segment(BOOT_SEL_DATA, 0x3, long_mode);
	s->tr = (struct kvm_segment){ .selector = BOOT_SEL_TSS, .limit = 0x67, .type = 0xb,
				      .present = 1 };
	s->ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .unusable = 1 };
	s->gdt.base = BOOT_GDT_GPA;
	s->gdt.limit = 5 * 8 - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
}

int vcpu_set_boot_regs(struct vcpu *v, const struct boot_kernel *kernel)
{
	bool long_mode = kernel->protocol != BOOT_PVH;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	set_segments(&s, long_mode);
	s.cr0 = CR0_PE | CR0_ET | CR0_NE;
	s.cr4 = 0;
	s.efer = 0;
	if (long_mode) {
		s.cr0 |= CR0_PG;
		s.cr3 = BOOT_PML4_GPA;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;  /* bit 1 is always set; interrupts off */
	r.rip = kernel->entry;
	if (kernel->protocol == BOOT_LINUX64) {
		r.rsi = BOOT_ZERO_PAGE_GPA;  /* the 64-bit boot protocol: %rsi = boot_params */
	} else {
		r.rbx = BOOT_START_INFO_GPA;  /* PVH: %ebx = hvm_start_info */
		if (long_mode) {
			r.rdi = BOOT_START_INFO_GPA;
			r.rsi = BOOT_ZERO_PAGE_GPA;  /* for a Linux vmlinux's startup_64 */
			r.rsp = BOOT_STACK_TOP_GPA;
		}
	}
	return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

/* Firmware leaves LINT0 as ExtINT (the 8259 reaches the BSP through it) and
 * LINT1 as NMI; Linux and others expect that "virtual wire" setup. */
int vcpu_set_lapic_lint(struct vcpu *v)
{
	enum { LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, MODE_EXTINT = 0x700, MODE_NMI = 0x400 };
	struct kvm_lapic_state lapic;
	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	uint32_t lint0, lint1;
	memcpy(&lint0, lapic.regs + LVT_LINT0, 4);
	memcpy(&lint1, lapic.regs + LVT_LINT1, 4);
	lint0 = (lint0 & ~0x700u) | MODE_EXTINT;
	lint1 = (lint1 & ~0x700u) | MODE_NMI;
	memcpy(lapic.regs + LVT_LINT0, &lint0, 4);
	memcpy(lapic.regs + LVT_LINT1, &lint1, 4);
	return ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0 ? -errno : 0;
}

/* The FPU state after FNINIT, with SSE exceptions masked, as after reset. */
int vcpu_set_fpu(struct vcpu *v)
{
	struct kvm_fpu fpu;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}
