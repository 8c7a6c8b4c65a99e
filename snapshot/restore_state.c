/* The snapshot's CPU model checked against this host, then its KVM and
 * device state loaded into a VM made from its config (snapshot.h). Every
 * section's size is checked before its bytes are used. */
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CPUID_ENTRIES_MAX 256u
#define MSRS_MAX 4096u
#define XSAVE_MAX (1u << 20)

static int damaged(char *why, const char *what, unsigned index)
{
	snprintf(why, SNAPSHOT_WHY_SIZE, "damaged state file: %s %u", what, index);
	return -EINVAL;
}

int snapshot_check_cpu(struct snapshot_image *img, const struct cpu_template *t, char *why)
{
	const uint32_t *saved = snapshot_find_exact(&img->view, SNAP_CPU_FEATURES, 0, sizeof(feature_set));
	if (!saved)
		return damaged(why, "no CPU features section", 0);
	int n = snprintf(why, SNAPSHOT_WHY_SIZE, "the snapshot's CPU model needs");
	unsigned missing = 0;
	for (size_t i = 0; i < cpu_features_count; i++) {
		const struct cpu_feature *f = &cpu_features[i];
		if ((saved[f->word] >> f->bit & 1) && !feature_has(t->features, f) && n > 0 && n < SNAPSHOT_WHY_SIZE - 80) {
			n += snprintf(why + n, SNAPSHOT_WHY_SIZE - (size_t)n, " %s", f->name);
			missing++;
		}
	}
	if (!missing)
		return 0;
	snprintf(why + n, SNAPSHOT_WHY_SIZE - (size_t)n, ", which this host's KVM does not offer (checked as "
		 "cpu-check = enforce)");
	return -EINVAL;
}

static int load_vm_state(struct snapshot_image *img, struct vm *vm, char *why)
{
	struct vm_state s;
	const void *clock = snapshot_find_exact(&img->view, SNAP_VM_CLOCK, 0, sizeof(s.clock));
	const void *pit = snapshot_find_exact(&img->view, SNAP_VM_PIT, 0, sizeof(s.pit));
	if (!clock || !pit)
		return damaged(why, "no clock or PIT section", 0);
	memcpy(&s.clock, clock, sizeof(s.clock));
	memcpy(&s.pit, pit, sizeof(s.pit));
	for (uint32_t chip = 0; chip < VM_IRQCHIPS; chip++) {
		const void *c = snapshot_find_exact(&img->view, SNAP_VM_IRQCHIP, chip, sizeof(s.irqchips[chip]));
		if (!c)
			return damaged(why, "no section for irqchip", chip);
		memcpy(&s.irqchips[chip], c, sizeof(s.irqchips[chip]));
	}
	return vm_state_load(vm, &s, why);
}

/* A fixed-size vCPU section into `to`, or false. */
static bool fixed(struct snapshot_image *img, uint32_t type, unsigned i, void *to, size_t len)
{
	const void *p = snapshot_find_exact(&img->view, type, i, len);
	if (p)
		memcpy(to, p, len);
	return p != NULL;
}

/* An array section: whole elements, at least one, at most `max`. */
static const void *array(struct snapshot_image *img, uint32_t type, unsigned i, size_t element, unsigned max,
			 unsigned *count)
{
	const struct snapshot_section *s = snapshot_find(&img->view, type, i);
	if (!s || !s->len || s->len % element || s->len / element > max)
		return NULL;
	*count = (unsigned)(s->len / element);
	return s->data;
}

int snapshot_vcpu_sections(struct snapshot_image *img, unsigned i, struct vcpu_state *s, char *why)
{
	memset(s, 0, sizeof(*s));
	bool ok = fixed(img, SNAP_VCPU_MP_STATE, i, &s->mp_state, sizeof(s->mp_state)) &&
		  fixed(img, SNAP_VCPU_REGS, i, &s->regs, sizeof(s->regs)) &&
		  fixed(img, SNAP_VCPU_SREGS, i, &s->sregs, sizeof(s->sregs)) &&
		  fixed(img, SNAP_VCPU_XCRS, i, &s->xcrs, sizeof(s->xcrs)) &&
		  fixed(img, SNAP_VCPU_DEBUGREGS, i, &s->debugregs, sizeof(s->debugregs)) &&
		  fixed(img, SNAP_VCPU_LAPIC, i, &s->lapic, sizeof(s->lapic)) &&
		  fixed(img, SNAP_VCPU_EVENTS, i, &s->events, sizeof(s->events)) &&
		  fixed(img, SNAP_VCPU_TSC_KHZ, i, &s->tsc_khz, sizeof(s->tsc_khz));
	unsigned words = 0;
	/* The cast drops const: the loader only reads these. */
	s->cpuid = ok ? (void *)array(img, SNAP_VCPU_CPUID, i, sizeof(*s->cpuid), CPUID_ENTRIES_MAX, &s->cpuid_count) : NULL;
	s->msrs = s->cpuid ? (void *)array(img, SNAP_VCPU_MSRS, i, sizeof(*s->msrs), MSRS_MAX, &s->msr_count) : NULL;
	s->xsave = s->msrs ? (void *)array(img, SNAP_VCPU_XSAVE, i, 4, XSAVE_MAX / 4, &words) : NULL;
	s->xsave_size = words * 4;
	if (!s->xsave || s->xsave_size < sizeof(struct kvm_xsave))
		return damaged(why, "missing or malformed state for vCPU", i);
	return 0;
}

int snapshot_load_vm(struct snapshot_image *img, struct vm *vm, char *why)
{
	int err = load_vm_state(img, vm, why);
	if (err)
		return err;
	if (snapshot_find(&img->view, SNAP_VCPU_REGS, vm->nr_vcpus))
		return damaged(why, "more vCPUs than its config's cpus:", vm->nr_vcpus + 1);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_state s;
		if ((err = snapshot_vcpu_sections(img, i, &s, why)) || (err = vcpu_state_load(&vm->vcpus[i], &s, why)))
			return err;
	}
	return 0;
}

int snapshot_load_devices(struct snapshot_image *img, struct devices *d, char *why)
{
	struct uart_state uart;
	struct i8042_state i8042;
	if (!fixed(img, SNAP_UART, 0, &uart, sizeof(uart)) || !fixed(img, SNAP_I8042, 0, &i8042, sizeof(i8042)) ||
	    devices_state_load(d, &uart, &i8042))
		return damaged(why, "COM1 or i8042 state", 0);
	if (snapshot_find(&img->view, SNAP_VIRTIO, d->virtio_count))
		return damaged(why, "a virtio device beyond its config's, window", d->virtio_count);
	for (unsigned i = 0; i < d->virtio_count; i++) {
		struct virtio_mmio_state s;
		const char *what = "";
		if (!fixed(img, SNAP_VIRTIO, i, &s, sizeof(s)))
			return damaged(why, "no state for virtio window", i);
		if (virtio_mmio_state_load(d->virtio[i].transport, &s, &what)) {
			snprintf(why, SNAPSHOT_WHY_SIZE, "damaged state file: virtio window %u (virtio-%s): %s", i,
				 d->virtio[i].transport->ops->name, what);
			return -EINVAL;
		}
	}
	return 0;
}
