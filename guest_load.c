/* Kernel and initrd: mapped from their files, copied into guest RAM, the
 * boot data written around them (guest_load.h). */
#include "guest_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timings.h"
#include "virtio_setup.h"

extern const uint8_t sprig_hello_elf[], sprig_hello_elf_end[];

/* Map a user's file read-only; lazily paged, so big kernels cost little. */
static int map_file(const char *path, uint64_t limit, struct image *img)
{
	/* O_NONBLOCK: a FIFO given by mistake is refused below, not waited on. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return fprintf(stderr, "sprig: %s: %s\n", path, strerror(errno)), -1;
	const char *problem = fstat(fd, &st) ? strerror(errno)
			      : !S_ISREG(st.st_mode) ? "not a regular file"
			      : st.st_size == 0 ? "empty file"
			      : (uint64_t)st.st_size > limit ? "larger than guest memory" : NULL;
	if (!problem) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			problem = strerror(errno);
		else
			*img = (struct image){ p, (size_t)st.st_size, true };
	}
	close(fd);
	if (problem)
		return fprintf(stderr, "sprig: %s: %s\n", path, problem), -1;
	return 0;
}

static void unmap_file(struct image *img)
{
	if (img->mapped)
		munmap((void *)img->data, img->size);
	img->mapped = false;
}

int guest_files_open(const struct config *c, struct guest_files *f)
{
	f->kernel = (struct image){ sprig_hello_elf, (size_t)(sprig_hello_elf_end - sprig_hello_elf), false };
	f->initrd = (struct image){ NULL, 0, false };
	f->kernel_name = c->kernel[0] ? c->kernel : "built-in hello guest";
	if (c->kernel[0] && map_file(c->kernel, c->mem, &f->kernel))
		return -1;
	return c->initrd[0] ? map_file(c->initrd, c->mem, &f->initrd) : 0;
}

void guest_files_close(struct guest_files *f)
{
	unmap_file(&f->kernel);
	unmap_file(&f->initrd);
}

static void *copy_kernel(void *arg)
{
	struct kernel_copy *copy = arg;
	copy->err = boot_kernel_load(copy->mem, copy->files->kernel.data, copy->files->kernel.size,
				     &copy->boot, copy->why);
	copy->done_ns = timings_now_ns();
	return NULL;
}

void kernel_copy_start(struct kernel_copy *copy, struct guest_mem *mem, const struct guest_files *f)
{
	*copy = (struct kernel_copy){ .mem = mem, .files = f };
	copy->started = pthread_create(&copy->thread, NULL, copy_kernel, copy) == 0;
	if (!copy->started)
		copy_kernel(copy);  /* the same work, only not overlapped */
}

int kernel_copy_finish(struct kernel_copy *copy, struct boot_kernel *boot)
{
	if (copy->started)
		pthread_join(copy->thread, NULL);
	copy->started = false;
	timings_mark_at("kernel", copy->done_ns);
	if (copy->err) {
		fprintf(stderr, "sprig: %s: %s\n", copy->files->kernel_name, copy->why);
		return -1;
	}
	*boot = copy->boot;
	return 0;
}

int guest_boot_data(struct vm *vm, const struct config *c, const struct guest_files *f,
		    struct boot_kernel *boot)
{
	char why[BOOT_WHY_SIZE] = "";
	uint32_t *apic_ids = calloc(vm->nr_vcpus, sizeof(*apic_ids));
	if (!apic_ids) {
		fprintf(stderr, "sprig: out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		apic_ids[i] = cpu_topology_apic_id(&vm->topology, i);
	struct boot_mmio_device windows[DEVICES_VIRTIO_MAX];
	static char cmdline[CONFIG_CMDLINE_MAX];
	if (virtio_setup_cmdline(c, cmdline, sizeof(cmdline))) {
		free(apic_ids);
		fprintf(stderr, "sprig: cmdline: no room for the virtio devices' virtio_mmio.device= "
			"(at most %d bytes)\n", CONFIG_CMDLINE_MAX - 1);
		return -1;
	}
	struct boot_setup setup = { .cmdline = cmdline[0] ? cmdline : NULL,
				    .initrd = f->initrd.data, .initrd_size = f->initrd.size,
				    .cpus = vm->nr_vcpus, .apic_ids = apic_ids, .mmio_devices = windows,
				    .mmio_count = virtio_setup_windows(c, windows) };
	int err = boot_prepare(&vm->mem, boot, &setup, why);
	free(apic_ids);
	if (err) {
		fprintf(stderr, "sprig: %s: %s\n", c->initrd[0] ? c->initrd : f->kernel_name, why);
		return -1;
	}
	timings_mark("boot data");
	return 0;
}

int guest_load(struct vm *vm, const struct config *c, const struct guest_files *f,
	       struct boot_kernel *boot)
{
	struct kernel_copy copy = { .mem = &vm->mem, .files = f };
	copy_kernel(&copy);
	if (kernel_copy_finish(&copy, boot))
		return -1;
	return guest_boot_data(vm, c, f, boot);
}
