/* sprig: config -> vm -> devices -> boot -> run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/boot.h"
#include "config.h"
#include "control/control.h"
#include "control/vm_ops.h"
#include "cpu_command.h"
#include "cpu/cpu.h"
#include "devices/console.h"
#include "devices/devices.h"
#include "mem/mem.h"
#include "seccomp/seccomp_filters.h"
#include "timings.h"
#include "vmm.h"

extern const uint8_t sprig_hello_elf[], sprig_hello_elf_end[];

/* Peak RSS against guest RAM actually backed: what sprig itself costs. */
static void print_memory(const struct guest_mem *mem)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	uint64_t peak = (uint64_t)usage.ru_maxrss, guest = guest_mem_resident(mem) / 1024;
	fprintf(stderr, "sprig: memory (KiB): peak RSS %llu, guest RAM resident %llu, VMM %lld\n",
		(unsigned long long)peak, (unsigned long long)guest, (long long)peak - (long long)guest);
}

struct image {
	const uint8_t *data;
	size_t size;
	bool mapped;
};

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
}

/* The user's kernel and initrd, mapped before KVM is touched so that bad
 * input is reported as such on any host. */
struct guest_files {
	struct image kernel, initrd;
	const char *kernel_name;
};

static int open_guest_files(const struct config *c, struct guest_files *f)
{
	f->kernel = (struct image){ sprig_hello_elf, (size_t)(sprig_hello_elf_end - sprig_hello_elf), false };
	f->initrd = (struct image){ NULL, 0, false };
	f->kernel_name = c->kernel[0] ? c->kernel : "built-in hello guest";
	if (c->kernel[0] && map_file(c->kernel, c->mem, &f->kernel))
		return -1;
	return c->initrd[0] ? map_file(c->initrd, c->mem, &f->initrd) : 0;
}

static void close_guest_files(struct guest_files *f)
{
	unmap_file(&f->kernel);
	unmap_file(&f->initrd);
}

/* Load the kernel and write the boot data; failures are the user's input. */
static int load_guest(struct vm *vm, const struct config *c, const struct guest_files *f,
		      struct boot_kernel *boot)
{
	char why[BOOT_WHY_SIZE] = "";
	if (boot_kernel_load(&vm->mem, f->kernel.data, f->kernel.size, boot, why)) {
		fprintf(stderr, "sprig: %s: %s\n", f->kernel_name, why);
		return -1;
	}
	timings_mark("kernel");
	uint32_t *apic_ids = calloc(vm->nr_vcpus, sizeof(*apic_ids));
	if (!apic_ids) {
		fprintf(stderr, "sprig: out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		apic_ids[i] = cpu_topology_apic_id(&vm->topology, i);
	struct boot_setup setup = { .cmdline = c->cmdline[0] ? c->cmdline : NULL,
				    .initrd = f->initrd.data, .initrd_size = f->initrd.size,
				    .cpus = vm->nr_vcpus, .apic_ids = apic_ids };
	int err = boot_prepare(&vm->mem, boot, &setup, why);
	free(apic_ids);
	if (err) {
		fprintf(stderr, "sprig: %s: %s\n", c->initrd[0] ? c->initrd : f->kernel_name, why);
		return -1;
	}
	timings_mark("boot data");
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP arrive through a signalfd in the main loop;
 * blocking them here, before any thread exists, keeps them off vCPUs. */
static int block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIG_IPI);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, SIG_IPI);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void on_signal(struct vm *vm, int signal_fd)
{
	struct signalfd_siginfo info;
	while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		int signo = (int)info.ssi_signo;
		fprintf(stderr, "sprig: terminating on %s\n", signo == SIGTERM ? "SIGTERM"
			: signo == SIGINT ? "SIGINT" : "SIGHUP");
		vm_request_stop(vm, SPRIG_EXIT_OK, "host-signal");
	}
}

/* The main thread's event loop: signals, the mailbox from vCPU threads and
 * signal handlers, and the control socket, until someone asks to stop. */
/* The loop's epoll set, made before the main thread's filter is loaded. */
static int open_loop(struct vm *vm, int signal_fd, struct control *control)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	int fds[] = { signal_fd, vm->mailbox[0], control ? control_fd(control) : -1 };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (fds[i] >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) {
			int err = -errno;
			close(ep);
			return err;
		}
	}
	return ep;
}

static void run_until_stop(struct vm *vm, int ep, int signal_fd, struct control *control,
			   struct console *console)
{
	while (!atomic_load(&vm->stop_requested)) {
		struct epoll_event got[8];
		int n = epoll_wait(ep, got, 8, -1);
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == signal_fd)
				on_signal(vm, signal_fd);
			else if (got[i].data.fd == vm->mailbox[0])
				vm_mailbox_drain(vm);
			else if (!console_on_event(console, got[i].data.fd))
				control_dispatch(control);
		}
	}
	/* Events posted just before the stop (MEMORY_FAILURE) go out first. */
	vm_mailbox_drain(vm);
}

/* On stop, the console's last bytes go out before anyone looks at it. */
static void flush_on_stop(void *opaque, bool running)
{
	if (!running)
		devices_flush(opaque);
}

/* A guest reset in place: on-reboot = restart, or QMP system_reset. */
struct restart {
	struct vm *vm;
	const struct config *config;
	const struct guest_files *files;
	struct devices *devices;
};

static void restart_guest(void *opaque, bool guest)
{
	struct restart *r = opaque;
	struct vm *vm = r->vm;
	struct boot_kernel boot;
	vm_pause_all(vm);
	int err = mce_replace_poisoned(vm);
	if (err)
		fprintf(stderr, "sprig: reset: replacing poisoned pages: %s\n", strerror(-err));
	else if (load_guest(vm, r->config, r->files, &boot))
		err = -EINVAL;  /* load_guest said why */
	else if ((err = vm_reset(vm, &boot)))
		fprintf(stderr, "sprig: reset: %s\n", strerror(-err));
	if (err) {
		vm_request_stop(vm, SPRIG_EXIT_HOST, "host-error");
		return;
	}
	devices_reset(r->devices);
	vm_emit(vm, &(struct vm_event){ .kind = VM_EVENT_RESET, .guest = guest,
					.reason = guest ? "guest-reset" : "host-qmp-system-reset" });
	if (vm_run_state(vm) == VM_RUNNING)
		vm_resume_all(vm);
}

static struct control *open_control(const struct config *c, struct vm *vm)
{
	struct control *control = NULL;
	char why[CONTROL_WHY_SIZE];
	if (!c->control[0])
		return NULL;
	if (control_open(&control, c->control, &control_vm_ops, vm, why)) {
		fprintf(stderr, "sprig: control socket %s\n", why);
		return NULL;
	}
	vm_set_event_handler(vm, control_on_vm_event, control);
	return control;
}

static int fail(int status, const char *format, const char *detail)
{
	fprintf(stderr, "sprig: ");
	fprintf(stderr, format, detail);
	fputc('\n', stderr);
	return status;
}

static int run_vm(const struct config *c)
{
	static struct vm vm;
	static struct devices devices;
	char why[CPU_WHY_SIZE];
	struct guest_files files;
	if (open_guest_files(c, &files))
		return SPRIG_EXIT_BAD_INPUT;
	int signal_fd = block_signals();
	if (signal_fd < 0 || cpu_signals_init() || mce_process_init(&vm))
		return fail(SPRIG_EXIT_HOST, "signal setup: %s", strerror(errno));
	struct vm_cpu_config cpu = { (unsigned)c->cpus, (unsigned)c->threads_per_core,
				     (unsigned)c->cores, c->cpu, c->cpu_enforce };
	/* Mapped (not yet backed) first: vm_create registers it before the
	 * irqchip exists, which is the cheap order. */
	int err = guest_mem_init(&vm.mem, c->mem);
	if (err)
		return fail(SPRIG_EXIT_HOST, "guest memory: %s", strerror(-err));
	if ((err = vm_create(&vm, &cpu, why)))
		return fail(err == -ERANGE || err == -EINVAL ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST,
			    "%s", why);
	struct boot_kernel boot;
	if (load_guest(&vm, c, &files, &boot)) {
		close_guest_files(&files);
		return SPRIG_EXIT_BAD_INPUT;
	}
	/* The files stay mapped (lazily paged): a reset loads them again. */
	static struct restart restart;
	restart = (struct restart){ &vm, c, &files, &devices };
	vm.restart_on_reset = c->on_reboot_restart;
	vm.on_reset = restart_guest;
	vm.reset_opaque = &restart;
	struct devices_fds device_fds = { STDOUT_FILENO, vm_irqfd(&vm, COM1_IRQ),
					  eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), vm_irqfd(&vm, I8042_IRQ) };
	if (device_fds.com1_rx_ready < 0)
		return fail(SPRIG_EXIT_HOST, "eventfd: %s", strerror(errno));
	if (device_fds.com1_irq < 0 || device_fds.i8042_irq < 0)
		return fail(SPRIG_EXIT_HOST, "KVM_IRQFD: %s", strerror(device_fds.com1_irq < 0 ?
			    -device_fds.com1_irq : -device_fds.i8042_irq));
	devices_init(&devices, &device_fds, vm_request_stop, &vm);
	vm.devices = &devices;
	vm_add_state_notifier(&vm, flush_on_stop, &devices);
	timings_mark("devices");
	if (vm_create_vcpus(&vm, &boot, why))
		return fail(SPRIG_EXIT_HOST, "%s", why);
	vm_close_kvm(&vm);
	timings_mark("vCPU setup");
	if ((err = filters_build((enum filter_mode)c->seccomp, why)))
		return fail(SPRIG_EXIT_HOST, "%s", why);
	timings_mark("seccomp");
	if (c->seccomp == FILTER_OFF)
		fprintf(stderr, "sprig: warning: seccomp = off: no system call filter, every sprig thread "
			"may make any system call\n");
	struct control *control = open_control(c, &vm);
	if (c->control[0] && !control)
		return SPRIG_EXIT_BAD_INPUT;
	if ((err = vm_start_vcpus(&vm)))
		vm_request_stop(&vm, SPRIG_EXIT_HOST, "host-error");
	/* The main thread's filter, once its vCPUs run and before it reads
	 * anything they or a control client send. */
	static struct console console;
	int ep = open_loop(&vm, signal_fd, control);
	int input_err = ep < 0 ? 0 : console_start(&console, STDIN_FILENO, device_fds.com1_rx_ready,
						   ep, &devices);
	if (input_err)
		fprintf(stderr, "sprig: warning: console input off: %s\n", strerror(-input_err));
	timings_mark("vCPU threads");
	int filtered = ep < 0 ? ep : filter_install(FILTER_VMM);
	if (filtered) {
		fprintf(stderr, "sprig: %s: %s\n", ep < 0 ? "epoll" : "loading the main thread's seccomp filter",
			strerror(-filtered));
		vm_request_stop(&vm, SPRIG_EXIT_HOST, "host-error");
	}
	run_until_stop(&vm, ep, signal_fd, control, &console);
	vm_shutdown(&vm);
	devices_flush(&devices);
	console_restore_terminal();
	control_close(control, 1000);
	close_guest_files(&files);
	if (ep >= 0)
		close(ep);
	timings_mark_at("first KVM_RUN", vm.first_run_ns);
	timings_mark_at("boot marker", devices.boot_marker_ns);
	timings_mark("exit");
	if (err)
		fprintf(stderr, "sprig: starting vCPU threads: %s\n", strerror(-err));
	if (c->timings) {
		timings_print(stderr, vm.first_run_ns);
		print_memory(&vm.mem);
	}
	int status = vm.exit_status;
	vm_destroy(&vm);
	close(device_fds.com1_irq);
	close(device_fds.com1_rx_ready);
	close(device_fds.i8042_irq);
	close(signal_fd);
	return status;
}

/* Whatever the parent left open beyond stdio is not the guest's business:
 * a compromised sprig must find nothing there to use. */
static void close_inherited_fds(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
	for (int fd = 3; fd < 1024; fd++)  /* kernels before 5.9 */
		close(fd);
}

int main(int argc, char **argv)
{
	static struct config config;
	char error[CONFIG_ERROR_SIZE];
	enum config_action action;
	close_inherited_fds();
	if (argc >= 2 && !strcmp(argv[1], "cpu"))
		return cpu_command(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "seccomp"))
		return seccomp_command(argc, argv);
	config_defaults(&config);
	if (config_parse_args(&config, argc, argv, &action, error))
		return fail(SPRIG_EXIT_BAD_INPUT, "%s", error);
	if (action == CONFIG_HELP) {
		config_print_help(stdout);
		return 0;
	}
	if (action == CONFIG_VERSION) {
		const struct scmp_version *seccomp = seccomp_version();
		printf("sprig %s (libseccomp %u.%u.%u, static)\n", SPRIG_VERSION, seccomp->major,
		       seccomp->minor, seccomp->micro);
		return 0;
	}
	return run_vm(&config);
}
