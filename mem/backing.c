/* Guest RAM on a memfd or a file, a snapshot's memory file mapped
 * copy-on-write, and RAM written out as a sparse file (mem.h). */
#include "backing.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u

static int map_shared(struct guest_mem *mem, uint64_t size, enum mem_backend backend, int fd)
{
	if (ftruncate(fd, 0) || ftruncate(fd, (off_t)size)) {
		int err = -errno;
		close(fd);
		return err;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	guest_mem_adopt(mem, p, size, backend, fd);
	return 0;
}

int guest_mem_init_backend(struct guest_mem *mem, uint64_t size, enum mem_backend backend, const char *path)
{
	if (backend == MEM_BACKEND_ANON)
		return guest_mem_init(mem, size);
	if (size < MEM_MIN_SIZE || size > MEM_MAX_SIZE || size % PAGE)
		return -EINVAL;
	int fd = backend == MEM_BACKEND_MEMFD ? memfd_create("sprig-guest-ram", MFD_CLOEXEC)
		: open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (backend == MEM_BACKEND_FILE && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -EINVAL;  /* a device or a FIFO is no place for RAM */
	}
	return map_shared(mem, size, backend, fd);
}

static int read_whole(int fd, uint8_t *to, uint64_t size)
{
	for (uint64_t at = 0; at < size;) {
		ssize_t n = pread(fd, to + at, size - at > (1u << 30) ? 1u << 30 : size - at, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		at += (uint64_t)n;
	}
	return 0;
}

int guest_mem_init_snapshot(struct guest_mem *mem, int fd, uint64_t size, bool copy)
{
	struct stat st;
	int err = fstat(fd, &st) ? -errno : 0;
	if (!err && (size < MEM_MIN_SIZE || size > MEM_MAX_SIZE || size % PAGE || (uint64_t)st.st_size != size))
		err = -EINVAL;
	if (err || copy) {
		if (!err && !(err = guest_mem_init(mem, size)) && (err = read_whole(fd, mem->hva, size)))
			guest_mem_free(mem);
		close(fd);
		return err;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	guest_mem_adopt(mem, p, size, MEM_BACKEND_ANON, fd);
	mem->private_file = true;
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (unsigned i = 0; i < PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

static bool skipped(const struct guest_mem *mem, uint64_t offset, const uint64_t *skip, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *p = guest_mem_ptr(mem, skip[i] & ~(uint64_t)(PAGE - 1), PAGE);
		if (p && (uint64_t)(p - mem->hva) == offset)
			return true;
	}
	return false;
}

static int write_run(int out, const uint8_t *from, uint64_t offset, uint64_t len)
{
	while (len) {
		ssize_t n = pwrite(out, from, len > (1u << 30) ? 1u << 30 : len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		from += n, offset += (uint64_t)n, len -= (uint64_t)n;
	}
	return 0;
}

int guest_mem_save(const struct guest_mem *mem, int out, const uint64_t *skip, unsigned skip_count)
{
	if (ftruncate(out, (off_t)mem->size))
		return -errno;
	uint64_t run = 0, run_len = 0;
	for (uint64_t at = 0; at < mem->size; at += PAGE) {
		bool keep = !skipped(mem, at, skip, skip_count) && !page_is_zero(mem->hva + at);
		if (keep && run_len && run + run_len == at) {
			run_len += PAGE;
			continue;
		}
		if (run_len) {
			int err = write_run(out, mem->hva + run, run, run_len);
			if (err)
				return err;
		}
		run = at, run_len = keep ? PAGE : 0;
	}
	return run_len ? write_run(out, mem->hva + run, run, run_len) : 0;
}
