/* Guest reset in place (on-reboot = restart, QMP system_reset): every vCPU
 * back to the state it was created in, the in-kernel interrupt chips as
 * after power-on, paravirtual MSRs off so the old kernel's kvmclock and
 * steal-time pages are no longer written, machine-check state cleared and
 * poisoned pages replaced. Main thread, with every vCPU paused. */
#include "cpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mce_bits.h"

#define APIC_BASE_DEFAULT 0xfee00000ull
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_BSP (1ull << 8)

/* The local APIC as after RESET (SDM 11.4.7.1): LVTs masked, SVR 0xff,
 * DFR all ones, nothing pending; the id and version kept. */
static int reset_lapic(struct vcpu *v)
{
	struct kvm_lapic_state lapic;
	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	char id[4], version[4];
	memcpy(id, lapic.regs + 0x20, 4);
	memcpy(version, lapic.regs + 0x30, 4);
	memset(lapic.regs, 0, sizeof(lapic.regs));
	memcpy(lapic.regs + 0x20, id, 4);
	memcpy(lapic.regs + 0x30, version, 4);
	uint32_t masked = 0x10000, ones = 0xffffffff, svr = 0xff;
	for (unsigned lvt = 0x320; lvt <= 0x370; lvt += 0x10)
		memcpy(lapic.regs + lvt, &masked, 4);
	memcpy(lapic.regs + 0x2f0, &masked, 4);  /* LVT CMCI */
	memcpy(lapic.regs + 0xe0, &ones, 4);
	memcpy(lapic.regs + 0xf0, &svr, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return vcpu_set_lapic_lint(v);
}

/* Best effort, one at a time: KVM refuses PV MSRs the model lacks. */
static void reset_msrs(struct vcpu *v)
{
	static const uint32_t zeroed[] = {
		0x4b564d01, 0x12,  /* kvmclock system time (new, old) */
		0x4b564d02,        /* async page faults */
		0x4b564d03,        /* steal time */
		0x4b564d04,        /* PV EOI */
		MSR_IA32_MCG_STATUS,
	};
	struct { struct kvm_msrs head; struct kvm_msr_entry entry; } m;
	for (size_t i = 0; i < sizeof(zeroed) / sizeof(zeroed[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.head.nmsrs = 1;
		m.entry.index = zeroed[i];
		ioctl(v->fd, KVM_SET_MSRS, &m);
	}
	for (unsigned bank = 0; bank < (v->vm->mcg_cap & 0xff); bank++) {
		memset(&m, 0, sizeof(m));
		m.head.nmsrs = 1;
		m.entry.index = 0x401 + 4 * bank;  /* MCi_STATUS */
		ioctl(v->fd, KVM_SET_MSRS, &m);
	}
}

static int reset_vcpu(struct vcpu *v, const struct boot_kernel *kernel)
{
	struct kvm_vcpu_events events;
	struct kvm_sregs s;
	uint32_t refused;
	reset_msrs(v);
	int err = vcpu_set_boot_msrs(v, &refused);
	if (!err && ioctl(v->fd, KVM_GET_VCPU_EVENTS, &events) == 0) {
		/* Nothing the old guest left pending may reach the new one. */
		memset(&events.exception, 0, sizeof(events.exception));
		memset(&events.interrupt, 0, sizeof(events.interrupt));
		memset(&events.nmi, 0, sizeof(events.nmi));
		events.flags = 0;
		if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &events) < 0)
			err = -errno;
	}
	if (!err && ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		err = -errno;
	if (!err) {
		s.apic_base = APIC_BASE_DEFAULT | APIC_BASE_ENABLE | (v->index == 0 ? APIC_BASE_BSP : 0);
		if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
			err = -errno;
	}
	if (!err)
		err = reset_lapic(v);
	if (!err)
		err = vcpu_set_fpu(v);
	if (!err && v->index == 0)
		err = vcpu_set_boot_regs(v, kernel);
	/* APs wait for INIT/SIPI again; INIT resets the rest of their state. */
	struct kvm_mp_state mp = { v->index == 0 ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED };
	if (!err && ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		err = -errno;
	return err;
}

/* The 8259s and the IOAPIC as after power-on (edge/level settings kept). */
static int reset_irqchips(struct vm *vm)
{
	for (uint32_t chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_IOAPIC; chip++) {
		struct kvm_irqchip c = { .chip_id = chip };
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
			return -errno;
		if (chip == KVM_IRQCHIP_IOAPIC) {
			struct kvm_ioapic_state *io = &c.chip.ioapic;
			io->id = 0;
			io->ioregsel = 0;
			io->irr = 0;
			for (unsigned i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
				io->redirtbl[i].bits = 1ull << 16;  /* masked */
		} else {
			struct kvm_pic_state *pic = &c.chip.pic;
			uint8_t elcr = pic->elcr, elcr_mask = pic->elcr_mask;
			memset(pic, 0, sizeof(*pic));
			pic->elcr = elcr;
			pic->elcr_mask = elcr_mask;
		}
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &c) < 0)
			return -errno;
	}
	return 0;
}

int vm_reset(struct vm *vm, const struct boot_kernel *kernel)
{
	int err = reset_irqchips(vm);
	if (!err && ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->pit_at_power_on) < 0)
		err = -errno;
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++) {
		struct vcpu *v = &vm->vcpus[i];
		err = reset_vcpu(v, kernel);
		pthread_mutex_lock(&v->mce.lock);
		v->mce.ao_count = 0;
		v->mce.broadcast = 0;
		atomic_store(&v->mce.queued, 0);
		pthread_mutex_unlock(&v->mce.lock);
		v->mce.ar_pending = 0;
	}
	return err;
}
