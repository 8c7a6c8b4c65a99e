/* From the entry stub to the guest's main. */
#include "guest.h"

void guest_start(uint64_t start_info);
void guest_start_linux(uint64_t zero_page);
void guest_start_elf64(uint64_t start_info, uint64_t zero_page);

void guest_start(uint64_t start_info)
{
	if (!boot_info_read(start_info)) {
		print("guest: no hvm_start_info at 0x%lx\n", start_info);
		debug_exit(3);
	}
	guest_main();
	reset_machine();
}

/* The bzImage build (linux64_entry.S): %rsi held the zero page. */
void guest_start_linux(uint64_t zero_page)
{
	if (!boot_info_read_linux(zero_page)) {
		print("guest: no boot_params at 0x%lx\n", zero_page);
		debug_exit(3);
	}
	guest_main();
	reset_machine();
}

/* The plain ELF64 build (elf64_entry.S) gets both. With boot=linux on the
 * command line it goes by the zero page, as a Linux vmlinux does, so a
 * test can compare what the two say. */
void guest_start_elf64(uint64_t start_info, uint64_t zero_page)
{
	if (!boot_info_read(start_info)) {
		print("guest: no hvm_start_info at 0x%lx\n", start_info);
		debug_exit(3);
	}
	const char *how = boot_info.cmdline ? cmdline_value(boot_info.cmdline, "boot") : NULL;
	if (how && !strncmp(how, "linux", 5)) {
		boot_info_reset();
		guest_start_linux(zero_page);
	}
	guest_main();
	reset_machine();
}
