# The freestanding test guests (make fragment; the top-level Makefile
# includes it). Host gcc, no libc, general registers only: this project's
# hosts cannot emulate SSE/XSAVE-heavy guests (docs/host-notes.md).
GUEST_OUT := $(BUILD)/guest
GUEST_CFLAGS := -std=c11 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-builtin -fno-asynchronous-unwind-tables \
	-O2 -Wall -Wextra -Werror -Iguest/lib
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest/lib/guest.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments
GUEST_LIB := $(patsubst guest/lib/%.c,$(GUEST_OUT)/obj/%.o,$(wildcard guest/lib/*.c)) \
	$(GUEST_OUT)/obj/trampoline.o $(GUEST_OUT)/obj/gdt.o $(GUEST_OUT)/obj/idt_stubs.o
GUEST_ELFS := $(GUEST_OUT)/hello.elf $(GUEST_OUT)/hello64.elf $(GUEST_OUT)/testguest.elf \
	$(GUEST_OUT)/cpuid.elf $(GUEST_OUT)/mce.elf $(GUEST_OUT)/null.elf $(GUEST_OUT)/virtio.elf \
	$(GUEST_OUT)/net.elf $(GUEST_OUT)/hostile.elf

$(GUEST_OUT)/obj/%.o: guest/lib/%.c guest/lib/guest.h guest/lib/layout.h
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/obj/%.o: guest/lib/%.S guest/lib/layout.h
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -c $< -o $@

# cpuid.c shares the leaf walk with `sprig cpu show`.
$(GUEST_OUT)/obj/cpuid.o: cpu/cpuid_walk.h

$(GUEST_OUT)/obj/%.o: guest/%.c guest/lib/guest.h guest/lib/layout.h
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -c $< -o $@

# PVH guests: 32-bit entry through the Xen ELF note (QEMU boots them too).
$(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/pvh_entry.o $(GUEST_OUT)/obj/%.o $(GUEST_LIB) guest/lib/guest.ld
	gcc $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# The null guest: one page, its own entry, no runtime (bench/vmm-time).
$(GUEST_OUT)/obj/null.o: guest/null.S
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/null.elf: $(GUEST_OUT)/obj/null.o guest/lib/guest.ld
	gcc $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# The same hello, entered in long mode as a plain ELF64.
$(GUEST_OUT)/hello64.elf: $(GUEST_OUT)/obj/elf64_entry.o $(GUEST_OUT)/obj/hello.o $(GUEST_LIB) guest/lib/guest.ld
	gcc $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# The same hello as a Linux bzImage (64-bit boot protocol): the payload is
# linked at 2 MiB and wrapped in a setup header by the host tool mkbzimage.
GUEST_LINUX_LDFLAGS := $(subst guest/lib/guest.ld,guest/lib/guest-linux.ld,$(GUEST_LDFLAGS))
GUEST_BZIMAGES := $(GUEST_OUT)/hello.bzimage $(GUEST_OUT)/testguest.bzimage
guests: $(GUEST_BZIMAGES)

$(GUEST_OUT)/mkbzimage: guest/mkbzimage.c
	@mkdir -p $(dir $@)
	gcc -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(GUEST_OUT)/%-payload.elf: $(GUEST_OUT)/obj/linux64_entry.o $(GUEST_OUT)/obj/%.o $(GUEST_LIB) guest/lib/guest-linux.ld
	gcc $(GUEST_LINUX_LDFLAGS) -o $@ $(filter %.o,$^)

$(GUEST_OUT)/%.bzimage: $(GUEST_OUT)/%-payload.elf $(GUEST_OUT)/mkbzimage
	objcopy -O binary $< $@.bin
	$(GUEST_OUT)/mkbzimage $@.bin 0x200000 0x$$(nm $< | awk '$$3 == "_end" { print $$1 }') $@
	rm -f $@.bin
