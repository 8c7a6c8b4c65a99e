/* Random block I/O for bench/io (the guest's fio): static, so the
 * initramfs needs no libc.
 *   blk-random read|write DEVICE BYTES BLOCK
 * moves BYTES in BLOCK-sized O_DIRECT reads or writes at random
 * BLOCK-aligned offsets of DEVICE, one at a time (queue depth 1, as dd),
 * and fsyncs after writing. The offsets come from a fixed seed, so every
 * VMM gets the same pattern. Exit status 0, or 1 with one line on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "blk-random: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "write"))) {
		fprintf(stderr, "usage: blk-random read|write DEVICE BYTES BLOCK\n");
		return 2;
	}
	int write_mode = !strcmp(argv[1], "write");
	unsigned long long bytes = strtoull(argv[3], NULL, 10), block = strtoull(argv[4], NULL, 10);
	if (!block || block % 512 || block > (1u << 20))
		return fprintf(stderr, "blk-random: BLOCK must be a multiple of 512 up to 1 MiB\n"), 2;
	int fd = open(argv[2], (write_mode ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return fail(argv[2]);
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)block)
		return errno = EINVAL, fail("device smaller than one block");
	void *buffer;
	if (posix_memalign(&buffer, 4096, block))
		return fail("memory");
	memset(buffer, 0x5a, block);
	uint64_t state = 0x9e3779b97f4a7c15ull, blocks = (uint64_t)size / block;
	for (unsigned long long done = 0; done < bytes; done += block) {
		state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
		off_t at = (off_t)((state * 0x2545f4914f6cdd1dull) % blocks * block);
		ssize_t n = write_mode ? pwrite(fd, buffer, block, at) : pread(fd, buffer, block, at);
		if (n != (ssize_t)block)
			return fail(write_mode ? "pwrite" : "pread");
	}
	if (write_mode && fsync(fd))
		return fail("fsync");
	close(fd);
	return 0;
}
