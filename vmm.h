/* What every part of sprig agrees on: how the process ends. */
#ifndef SPRIG_VMM_H
#define SPRIG_VMM_H

#define SPRIG_VERSION_MAJOR 0
#define SPRIG_VERSION_MINOR 1
#define SPRIG_VERSION_MICRO 0
#define SPRIG_VERSION "0.1.0"

/* Exit statuses (docs/exit-status.md). Odd statuses belong to the guest's
 * isa-debug-exit writes ((v << 1) | 1, as QEMU does), so sprig's own are
 * even, except 1 for bad input, which QEMU users expect. */
enum sprig_exit {
	SPRIG_EXIT_OK = 0,          /* guest reset (i8042) or sprig was told to stop */
	SPRIG_EXIT_BAD_INPUT = 1,   /* config, command line, kernel or initrd */
	SPRIG_EXIT_HOST = 2,        /* KVM or the host refused something */
	SPRIG_EXIT_TRIPLE_FAULT = 4,
	SPRIG_EXIT_KVM_ERROR = 6,   /* internal error, failed entry, unhandled exit */
	SPRIG_EXIT_MEMORY_ERROR = 8, /* host memory error sprig cannot hand to the guest */
	SPRIG_EXIT_SECCOMP = 10,    /* seccomp = trap: a forbidden system call */
};

#endif
