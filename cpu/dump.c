/* A register dump for when the guest or KVM goes wrong: enough to find the
 * faulting instruction and the mode the vCPU was in. */
#include "cpu.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "  %-3s sel %04x base %016llx limit %08x type %x p%u dpl%u db%u s%u l%u g%u%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type, s->present,
		s->dpl, s->db, s->s, s->l, s->g, s->unusable ? " unusable" : "");
}

static void dump_regs(FILE *out, const struct kvm_regs *r)
{
	fprintf(out,
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
		r->rip, r->rsp, r->rflags, r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
}

void vcpu_dump(struct vcpu *v, const char *what)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	FILE *out = stderr;
	bool have_regs = ioctl(v->fd, KVM_GET_REGS, &r) == 0;
	bool have_sregs = ioctl(v->fd, KVM_GET_SREGS, &s) == 0;
	flockfile(out);  /* one vCPU's dump stays in one piece */
	fprintf(out, "sprig: vCPU %u: %s\n", v->index, what);
	/* On AMD the VMCB is undefined after a shutdown intercept, so KVM
	 * resets the vCPU before telling us: say so rather than mislead. */
	if (v->run->exit_reason == KVM_EXIT_SHUTDOWN && have_regs && have_sregs && r.rip == 0xfff0 &&
	    s.cs.base == 0xffff0000)
		fprintf(out, "  (KVM reset this vCPU before reporting the triple fault, as it does on AMD:\n"
			     "   the registers below are the reset state, not the faulting state)\n");
	if (have_regs)
		dump_regs(out, &r);
	if (have_sregs) {
		fprintf(out, "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %016llx\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
		dump_segment(out, "cs", &s.cs);
		dump_segment(out, "ss", &s.ss);
		dump_segment(out, "ds", &s.ds);
		dump_segment(out, "tr", &s.tr);
		fprintf(out, "  gdt %016llx/%04x idt %016llx/%04x\n", s.gdt.base, s.gdt.limit,
			s.idt.base, s.idt.limit);
	}
	if (v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		for (unsigned i = 0; i < v->run->internal.ndata && i < 16; i++)
			fprintf(out, "  internal data[%u] %016llx\n", i,
				(unsigned long long)v->run->internal.data[i]);
	funlockfile(out);
}
