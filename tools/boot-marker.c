/*
 * boot-marker: the guest initramfs's "userspace is up" signal.
 *
 * Firecracker's boot-time tests run a tiny init that writes the byte 123 to
 * I/O port 0x3f0 (older releases) or to MMIO 0xd0000000 (newer ones); the
 * VMM timestamps the first such write. sprig's --timings does the same, so
 * the guest kernels built by tools/guest-kernel run this as soon as /init
 * has mounted /dev. It is static so the initramfs needs no libc.
 *
 *   boot-marker        write 123 to port 0x3f0 (needs ioperm: root)
 *   boot-marker mmio   write 123 to physical 0xd0000000 through /dev/mem
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

#define MARKER_VALUE 123
#define MARKER_PORT 0x3f0
#define MARKER_MMIO 0xd0000000UL

static int fail(const char *what)
{
	fprintf(stderr, "boot-marker: %s: %s\n", what, strerror(errno));
	return 1;
}

static int mark_port(void)
{
	if (ioperm(MARKER_PORT, 1, 1) != 0)
		return fail("ioperm 0x3f0");
	outb(MARKER_VALUE, MARKER_PORT);
	return 0;
}

static int mark_mmio(void)
{
	/* O_SYNC: an uncached mapping, so the store reaches the bus now. */
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return fail("open /dev/mem");
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_WRITE, MAP_SHARED, fd, (off_t)MARKER_MMIO);
	if (p == MAP_FAILED) {
		int r = fail("mmap /dev/mem at 0xd0000000");
		close(fd);
		return r;
	}
	*(volatile uint8_t *)p = MARKER_VALUE;
	munmap(p, (size_t)page);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return mark_port();
	if (argc == 2 && strcmp(argv[1], "mmio") == 0)
		return mark_mmio();
	fprintf(stderr, "boot-marker: usage: boot-marker [mmio]\n");
	return 1;
}
