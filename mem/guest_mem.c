/* Guest RAM backing and the checked guest-physical access helper. */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backing.h"

int guest_mem_init(struct guest_mem *mem, uint64_t size)
{
	if (size < MEM_MIN_SIZE || size > MEM_MAX_SIZE || size % (4 * MEM_KiB))
		return -EINVAL;
	/* NORESERVE: a guest's memory costs only what it touches. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	guest_mem_adopt(mem, p, size, MEM_BACKEND_ANON, -1);
	return 0;
}

void guest_mem_adopt(struct guest_mem *mem, void *hva, uint64_t size, enum mem_backend backend, int fd)
{
	*mem = (struct guest_mem){ .hva = hva, .size = size, .backend = backend, .fd = fd };
	mem->low_size = size < MEM_MMIO_GAP_START ? size : MEM_MMIO_GAP_START;
	mem->high_size = size - mem->low_size;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->hva)
		munmap(mem->hva, mem->size);
	/* Only a backing that has one owns an fd: a zeroed struct has none. */
	if ((mem->backend != MEM_BACKEND_ANON || mem->private_file) && mem->fd >= 0)
		close(mem->fd);
	mem->hva = NULL;
	mem->fd = -1;
}

static int set_slot(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

int guest_mem_register(const struct guest_mem *mem, int vm_fd)
{
	int err = set_slot(vm_fd, 0, 0, mem->low_size, mem->hva);
	if (err || !mem->high_size)
		return err;
	return set_slot(vm_fd, 1, MEM_MMIO_GAP_END, mem->high_size, mem->hva + mem->low_size);
}

/* Is [gpa, gpa + len) inside [start, start + size)? Written so that no sum
 * can overflow: the guest picks gpa and len. */
static int range_inside(uint64_t gpa, uint64_t len, uint64_t start, uint64_t size)
{
	return gpa >= start && gpa - start <= size && len <= size - (gpa - start);
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (!mem->hva)
		return NULL;
	if (range_inside(gpa, len, 0, mem->low_size))
		return mem->hva + gpa;
	if (mem->high_size && range_inside(gpa, len, MEM_MMIO_GAP_END, mem->high_size))
		return mem->hva + mem->low_size + (gpa - MEM_MMIO_GAP_END);
	return NULL;
}

int64_t guest_mem_gpa(const struct guest_mem *mem, const void *hva)
{
	uintptr_t p = (uintptr_t)hva, base = (uintptr_t)mem->hva;
	if (!mem->hva || p < base || p - base >= mem->size)
		return -1;
	uint64_t off = p - base;
	return (int64_t)(off < mem->low_size ? off : MEM_MMIO_GAP_END + (off - mem->low_size));
}

uint64_t guest_mem_resident(const struct guest_mem *mem)
{
	enum { CHUNK_PAGES = 65536 };
	static unsigned char vec[CHUNK_PAGES];
	uint64_t resident = 0, page = 4096;
	for (uint64_t off = 0; mem->hva && off < mem->size; off += CHUNK_PAGES * page) {
		uint64_t len = mem->size - off < CHUNK_PAGES * page ? mem->size - off : CHUNK_PAGES * page;
		if (mincore(mem->hva + off, len, vec))
			return 0;
		for (uint64_t i = 0; i < len / page; i++)
			resident += (vec[i] & 1) * page;
	}
	return resident;
}

int guest_mem_replace_page(struct guest_mem *mem, uint64_t gpa)
{
	uint64_t page = gpa & ~(4 * MEM_KiB - 1);
	uint8_t *hva = guest_mem_ptr(mem, page, 4 * MEM_KiB);
	if (!hva)
		return -EINVAL;
	/* MAP_FIXED swaps the page in one step; KVM's memory slot follows the
	 * mapping (its MMU notifier drops the old page). */
	void *p = mmap(hva, 4 * MEM_KiB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? -errno : 0;
}
