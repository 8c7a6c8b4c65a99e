/* The guest's files (kernel, initrd) and their way into guest RAM. */
#ifndef SPRIG_GUEST_LOAD_H
#define SPRIG_GUEST_LOAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "config.h"
#include "cpu/cpu.h"

struct image {
	const uint8_t *data;
	size_t size;
	bool mapped;
};

/* The user's kernel and initrd, mapped before KVM is touched so that bad
 * input is reported as such on any host. */
struct guest_files {
	struct image kernel, initrd;
	const char *kernel_name;
};

/* 0, or -1 once one line on stderr said what is wrong with which file. */
int guest_files_open(const struct config *c, struct guest_files *f);
void guest_files_close(struct guest_files *f);

/* The kernel copied into guest RAM on a thread of its own, while the main
 * thread makes the VM: the copy touches only guest RAM, which KVM does not
 * read before the first KVM_RUN. A Linux kernel is megabytes, and every
 * page of guest RAM it lands in is faulted in on the way. */
struct kernel_copy {
	pthread_t thread;
	bool started;
	struct guest_mem *mem;
	const struct guest_files *files;
	struct boot_kernel boot;
	uint64_t done_ns;
	int err;
	char why[BOOT_WHY_SIZE];
};

/* Starts the copy (or, where no thread can be made, does it at once). */
void kernel_copy_start(struct kernel_copy *copy, struct guest_mem *mem, const struct guest_files *f);
/* Waits for it: 0, or -1 once stderr said why the kernel was refused. */
int kernel_copy_finish(struct kernel_copy *copy, struct boot_kernel *boot);

/* The boot data (page tables, start info or zero page, command line,
 * initrd, ACPI/MP tables) for a kernel already in guest RAM. 0 or -1 once
 * stderr said why. */
int guest_boot_data(struct vm *vm, const struct config *c, const struct guest_files *f,
		    struct boot_kernel *boot);

/* Both, one after the other: a reset in place loads the guest again. */
int guest_load(struct vm *vm, const struct config *c, const struct guest_files *f,
	       struct boot_kernel *boot);

#endif
