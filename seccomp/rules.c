/* What each sprig thread may do once its filter is loaded (docs/security.md
 * explains each rule). Lists are as short as the code allows: a vCPU thread
 * runs KVM_RUN, emulates devices into the console and the main thread's
 * mailbox, injects machine checks and parks; the main thread serves the
 * event loop, the control socket, guest resets and snapshot-save (the
 * only files opened after start: a snapshot's). Nothing here creates a
 * socket but vsock's unix ones, executes, or maps memory executable. */
#include "rules.h"

#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../cpu/cpu.h"

const char *const filter_class_names[FILTER_CLASSES] = { "vmm", "vcpu", "io" };

#define ALLOW(name, why) { name, 0, { { 0 } }, why }
/* ioctl request numbers are 32 bits: compare only those. */
#define IOCTL(request, why) { "ioctl", 1, { { 1, SCMP_CMP_MASKED_EQ, 0xffffffffu, (request) } }, #request ": " why }
#define NO_EXEC(name, arg, why) { name, 1, { { arg, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 } }, why }
#define ARG_EQ(name, arg, value, why) { name, 1, { { arg, SCMP_CMP_EQ, (value), 0 } }, why }

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

/* What sprig's own code needs, whatever the libc. Checked against strace
 * of the integration suites (docs/security.md: how the lists were made). */
static const struct rule common[] = {
	ALLOW("futex", "locks and condition variables (pause, console, mailbox)"),
	ALLOW("write", "console output, stderr, the mailbox pipe"),
	ALLOW("rt_sigreturn", "return from the kick, SIGBUS and SIGSYS handlers"),
	ALLOW("rt_sigprocmask", "libc blocks signals around thread start and exit"),
	ALLOW("clock_gettime", "timings and event timestamps, where the vDSO cannot serve the clock"),
	ALLOW("getpid", "a self-sent SIGBUS names the process; glibc's pthread_kill"),
	ARG_EQ("madvise", 2, MADV_DONTNEED, "libc returns freed memory and thread stacks"),
	ALLOW("munmap", "libc frees memory and thread stacks"),
	ALLOW("exit_group", "sprig ends (also from the SIGBUS and SIGSYS handlers)"),
	{ "ioctl", 2, { { 0, SCMP_CMP_EQ, STDIN_FILENO, 0 }, { 1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TCSETS } },
	  "TCSETS on stdin: the terminal leaves raw mode on every exit path" },
};

static const struct rule vmm[] = {
	ALLOW("epoll_ctl", "control clients come and go; console input waits for room"),
	ALLOW("read", "signalfd, the mailbox, console input (stdin)"),
	ALLOW("close", "control clients hang up"),
	ALLOW("accept4", "control clients connect"),
	ALLOW("recvfrom", "control requests"),
	ALLOW("sendto", "control replies and events"),
	ALLOW("poll", "the last replies before exit"),
	ALLOW("unlink", "the control socket is removed at exit"),
	NO_EXEC("mmap", 2, "malloc, fresh pages for poisoned ones at reset; never executable"),
	NO_EXEC("mprotect", 2, "malloc; never executable"),
	ALLOW("mremap", "realloc of large blocks"),
	ALLOW("madvise", "the allocator (any advice: the main thread owns memory)"),
	ALLOW("getrusage", "--timings: peak RSS"),
	ALLOW("mincore", "--timings: guest RAM actually backed"),
	/* Guest reset in place (cpu/reset.c). */
	IOCTL(KVM_GET_LAPIC, "reset"), IOCTL(KVM_SET_LAPIC, "reset"),
	IOCTL(KVM_SET_MSRS, "reset"), IOCTL(KVM_GET_VCPU_EVENTS, "reset"),
	IOCTL(KVM_SET_VCPU_EVENTS, "reset"), IOCTL(KVM_GET_SREGS, "reset"),
	IOCTL(KVM_SET_SREGS, "reset"), IOCTL(KVM_SET_REGS, "reset"), IOCTL(KVM_SET_FPU, "reset"),
	IOCTL(KVM_SET_MP_STATE, "reset"), IOCTL(KVM_GET_IRQCHIP, "reset"),
	IOCTL(KVM_SET_IRQCHIP, "reset"), IOCTL(KVM_SET_PIT2, "reset"),
	/* QMP snapshot-save (snapshot/save.c), with every vCPU parked: the
	 * folder, its files written under temporary names, synced, renamed. */
	ALLOW("mkdir", "snapshot-save: the snapshot's folder"),
	ALLOW("openat", "snapshot-save: the folder and its files (the control socket's client names it)"),
	ALLOW("pwrite64", "snapshot-save: guest memory, page runs at their offsets"),
	ALLOW("ftruncate", "snapshot-save: the memory file's size (zero pages stay holes)"),
	ALLOW("fsync", "snapshot-save: the files and the folder reach the disk"),
	ALLOW("renameat", "snapshot-save: each file takes its name only once whole"),
	ALLOW("unlinkat", "snapshot-save: the old state file first, a temporary file on error"),
	IOCTL(KVM_GET_MP_STATE, "snapshot"), IOCTL(KVM_GET_REGS, "snapshot"),
	IOCTL(KVM_GET_XSAVE, "snapshot"), IOCTL(KVM_GET_XSAVE2, "snapshot"), IOCTL(KVM_GET_XCRS, "snapshot"),
	IOCTL(KVM_GET_DEBUGREGS, "snapshot"), IOCTL(KVM_GET_TSC_KHZ, "snapshot"),
	IOCTL(KVM_GET_CPUID2, "snapshot"), IOCTL(KVM_GET_MSRS, "snapshot"), IOCTL(KVM_GET_CLOCK, "snapshot"),
	IOCTL(KVM_GET_PIT2, "snapshot"),
	/* Teardown (cpu/teardown.c), after every vCPU thread is joined. */
	IOCTL(KVM_REINJECT_CONTROL, "teardown: the PIT's interrupt hooks out first"),
	IOCTL(KVM_IRQFD, "teardown: each irqfd deassigned before the VM fd closes"),
};

static const struct rule vcpu[] = {
	IOCTL(KVM_RUN, "run the guest"),
	IOCTL(KVM_X86_SET_MCE, "inject a machine check"),
	IOCTL(KVM_GET_MSRS, "MCG_STATUS before injecting"),
	IOCTL(KVM_GET_SREGS, "CR4.MCE before injecting; the crash dump"),
	IOCTL(KVM_GET_REGS, "the crash dump"),
	ALLOW("exit", "the thread ends"),
	ALLOW("poll", "a bounded wait for a full console: the guest's last words before a fatal exit or a reset"),
	ARG_EQ("rt_tgsigqueueinfo", 2, SIGBUS, "test-only x-sigbus: a SIGBUS to itself"),
	ARG_EQ("madvise", 2, MADV_HWPOISON, "test-only x-hwpoison"),
};

/* The I/O thread (devices/virtio/io_thread.c): virtio queue work. */
static const struct rule io[] = {
	ALLOW("read", "the devices' kick eventfds (ioeventfd) and timers"),
	ALLOW("getrandom", "virtio-rng fills the guest's buffers"),
	ALLOW("pread64", "virtio-blk reads the image"),
	ALLOW("pwrite64", "virtio-blk writes the image"),
	ALLOW("fdatasync", "virtio-blk flush"),
	ALLOW("fallocate", "virtio-blk discard and write-zeroes"),
	ALLOW("timerfd_settime", "a rate limiter's wake-up"),
	ALLOW("writev", "virtio-net sends a frame to the tap from the guest's buffers"),
	IOCTL(TUNSETOFFLOAD, "virtio-net: the tap's offloads follow what the guest's driver took"),
	ALLOW("accept4", "virtio-vsock: a host program connects to the device's socket"),
	ARG_EQ("socket", 0, AF_UNIX, "virtio-vsock: the guest connects to a host port (path_PORT); unix sockets only"),
	ALLOW("connect", "virtio-vsock: the guest connects to a host port"),
	ALLOW("epoll_ctl", "virtio-vsock: connections come and go"),
	ALLOW("close", "virtio-vsock: connections end"),
	ALLOW("shutdown", "virtio-vsock: the guest sends no more on a connection"),
	ALLOW("exit", "the thread ends"),
};

/* What each libc makes of the same library calls. */
#if defined(__GLIBC__)
static const struct rule libc_common[] = {
	ARG_EQ("tgkill", 2, SIG_IPI, "kicks: SIG_IPI to a vCPU thread, nothing else"),
	{ "ioctl", 2, { { 0, SCMP_CMP_EQ, STDIN_FILENO, 0 }, { 1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TCGETS } },
	  "TCGETS on stdin: glibc's tcsetattr reads the settings first" },
};
#if defined(__SANITIZE_ADDRESS__)
/* glibc with ASan (the test build): the sanitizer's allocator, its
 * per-thread alternate signal stacks, and LeakSanitizer at exit, which
 * stops every thread with ptrace from a helper it clones, reading
 * /proc/self/task and /proc/self/maps. Never in the release binary. */
static const struct rule libc_vmm[] = {
	ALLOW("epoll_wait", "the event loop"),
	ALLOW("clock_nanosleep", "waiting for a vCPU's answer (test and bench commands)"),
	ALLOW("sigaltstack", "ASan"), ALLOW("sched_yield", "ASan spin locks"),
	ALLOW("sched_getaffinity", "ASan"), ALLOW("lseek", "ASan reads /proc"),
	ALLOW("readlink", "ASan reports"), ALLOW("newfstatat", "stdio"), ALLOW("fstat", "stdio"),
	ALLOW("open", "LeakSanitizer reads /proc/self"), ALLOW("openat", "LeakSanitizer reads /proc/self"),
	ALLOW("getdents", "LeakSanitizer lists /proc/self/task"),
	ALLOW("getdents64", "LeakSanitizer lists /proc/self/task"),
	ALLOW("clone", "LeakSanitizer's tracer"), ALLOW("ptrace", "LeakSanitizer stops threads"),
	ALLOW("wait4", "LeakSanitizer's tracer"), ALLOW("prctl", "LeakSanitizer's tracer"),
	ALLOW("getppid", "LeakSanitizer's tracer"), ALLOW("rt_sigaction", "LeakSanitizer's tracer"),
	ALLOW("pipe2", "LeakSanitizer"), ALLOW("gettid", "LeakSanitizer"),
};
static const struct rule libc_vcpu[] = {
	NO_EXEC("mmap", 2, "ASan allocator and fake stacks"), ALLOW("sigaltstack", "ASan at thread exit"),
	ALLOW("sched_yield", "ASan spin locks"), ALLOW("madvise", "ASan"),
};
static const struct rule libc_io[] = {
	ALLOW("epoll_wait", "the I/O thread's loop"),
	NO_EXEC("mmap", 2, "ASan allocator and fake stacks"), ALLOW("sigaltstack", "ASan at thread exit"),
	ALLOW("sched_yield", "ASan spin locks"), ALLOW("madvise", "ASan"),
};
#else
static const struct rule libc_vmm[] = {
	ALLOW("epoll_wait", "the event loop"),
	ALLOW("clock_nanosleep", "waiting for a vCPU's answer (test and bench commands)"),
	ALLOW("newfstatat", "stdio"), ALLOW("fstat", "stdio"),
};
static const struct rule libc_vcpu[] = {
	ALLOW("newfstatat", "stdio"),
};
static const struct rule libc_io[] = {
	ALLOW("epoll_wait", "the I/O thread's loop"),
};
#endif
#else
/* musl, static: the release binary. */
static const struct rule libc_common[] = {
	ARG_EQ("tkill", 1, SIG_IPI, "kicks: SIG_IPI to a vCPU thread, nothing else"),
	ALLOW("writev", "stdio on stderr"),
};
static const struct rule libc_io[] = {
	ALLOW("epoll_pwait", "the I/O thread's loop (musl's epoll_wait)"),
};
static const struct rule libc_vmm[] = {
	ALLOW("epoll_pwait", "the event loop (musl's epoll_wait)"),
	ALLOW("nanosleep", "waiting for a vCPU's answer (test and bench commands)"),
	ALLOW("brk", "the allocator's own bookkeeping (mallocng)"),
	ALLOW("stat", "at exit: the control socket's file is removed only if it is still ours"),
};
#endif

#define LIST(a) ((struct rule_list){ (a), sizeof(a) / sizeof((a)[0]) })

struct rule_list filter_rules(enum filter_class class, unsigned part)
{
	switch (part) {
	case 0:
		return LIST(common);
	case 1:
		return class == FILTER_VMM ? LIST(vmm) : class == FILTER_VCPU ? LIST(vcpu) : LIST(io);
	case 2:
		return LIST(libc_common);
	default:
#if defined(__GLIBC__)
		return class == FILTER_VMM ? LIST(libc_vmm) : class == FILTER_VCPU ? LIST(libc_vcpu) : LIST(libc_io);
#else
		return class == FILTER_VMM ? LIST(libc_vmm) : class == FILTER_VCPU ? (struct rule_list){ NULL, 0 }
			: LIST(libc_io);
#endif
	}
}
