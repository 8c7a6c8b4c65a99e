/* From the entry stub to the guest's main. */
#include "guest.h"

void guest_start(uint64_t start_info);
void guest_start_linux(uint64_t zero_page);
void guest_start_elf64(uint64_t start_info, uint64_t zero_page);

/* Run the guest on what the VMM handed over, or say what was missing. */
static void run_guest(bool handed_over, const char *what, uint64_t gpa)
{
	if (!handed_over) {
		print("guest: no %s at 0x%lx\n", what, gpa);
		debug_exit(3);
	}
	guest_main();
	reset_machine();
}

void guest_start(uint64_t start_info)
{
	run_guest(boot_info_read(start_info), "hvm_start_info", start_info);
}

/* The bzImage build (linux64_entry.S): %rsi held the zero page. */
void guest_start_linux(uint64_t zero_page)
{
	run_guest(boot_info_read_linux(zero_page), "boot_params", zero_page);
}

/* The plain ELF64 build (elf64_entry.S) gets both. With boot=linux on the
 * command line it goes by the zero page, as a Linux vmlinux does, so a
 * test can compare what the two say. */
void guest_start_elf64(uint64_t start_info, uint64_t zero_page)
{
	bool found = boot_info_read(start_info);
	const char *how = found && boot_info.cmdline ? cmdline_value(boot_info.cmdline, "boot") : NULL;
	if (how && !strncmp(how, "linux", 5)) {
		boot_info_reset();
		guest_start_linux(zero_page);
	}
	run_guest(found, "hvm_start_info", start_info);
}
