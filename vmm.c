/* sprig: config -> vm -> devices -> boot -> run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/boot.h"
#include "config.h"
#include "control/control.h"
#include "control/vm_ops.h"
#include "jail/jail.h"
#include "oci/oci.h"
#include "cpu_command.h"
#include "cpu/cpu.h"
#include "devices/console.h"
#include "devices/devices.h"
#include "guest_load.h"
#include "mem/mem.h"
#include "seccomp/seccomp_filters.h"
#include "snapshot/snapshot.h"
#include "timings.h"
#include "virtio_setup.h"
#include "vmm.h"

/* Peak RSS against guest RAM actually backed: what sprig itself costs.
 * mincore is cheap on anonymous memory (page tables only) but looks up
 * every page of a file mapping in the page cache: 0.5 s for an 8 GiB
 * restored snapshot in the nested test VM (docs/host-notes.md), so RAM on
 * a file is not counted. */
static void print_memory(const struct guest_mem *mem)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	if (mem->backend != MEM_BACKEND_ANON || mem->private_file) {
		fprintf(stderr, "sprig: memory (KiB): peak RSS %llu (guest RAM is on a file: not counted apart)\n",
			(unsigned long long)usage.ru_maxrss);
		return;
	}
	uint64_t peak = (uint64_t)usage.ru_maxrss, guest = guest_mem_resident(mem) / 1024;
	fprintf(stderr, "sprig: memory (KiB): peak RSS %llu, guest RAM resident %llu, VMM %lld\n",
		(unsigned long long)peak, (unsigned long long)guest, (long long)peak - (long long)guest);
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
	else if (guest_load(vm, r->config, r->files, &boot))
		err = -EINVAL;  /* guest_load said why */
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

/* QMP snapshot-save, on the main thread. */
static int save_snapshot(void *opaque, const char *path, char *why)
{
	char text[SNAPSHOT_WHY_SIZE];
	int err = snapshot_save(opaque, path, text);
	if (err)
		snprintf(why, CONTROL_WHY_SIZE, "%.*s", CONTROL_WHY_SIZE - 1, text);
	return err;
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

/* A snapshot that is not there or not whole is the user's input. */
static bool restore_input_error(int err)
{
	return err == -EINVAL || err == -E2BIG || err == -ENOENT || err == -ENOTDIR || err == -EACCES ||
	       err == -EISDIR || err == -ENAMETOOLONG || err == -ELOOP;
}

/* How this run starts its guest: a kernel booted, or a snapshot restored. */
struct start {
	struct snapshot_image *snapshot;  /* NULL: boot the config's kernel */
	bool copy_memory;                 /* restore: read the memory file whole */
};

/* Guest RAM, the VM and, for a boot, the kernel in RAM and its boot
 * data; for a restore, the snapshot's memory and its CPU model checked. */
static int make_vm(struct vm *vm, const struct config *c, const struct start *start,
		   const struct guest_files *files, struct boot_kernel *boot)
{
	char why[CPU_WHY_SIZE > SNAPSHOT_WHY_SIZE ? CPU_WHY_SIZE : SNAPSHOT_WHY_SIZE];
	struct vm_cpu_config cpu = { (unsigned)c->cpus, (unsigned)c->threads_per_core, (unsigned)c->cores,
				     c->cpu, c->cpu_enforce && !start->snapshot, start->snapshot != NULL };
	/* Mapped (not yet backed) first: vm_create registers it before the
	 * irqchip exists, which is the cheap order. */
	int err = start->snapshot ? snapshot_memory_map(start->snapshot, c, &vm->mem, start->copy_memory, why)
		: guest_mem_init_backend(&vm->mem, c->mem, (enum mem_backend)c->mem_backend, c->mem_path);
	if (err && start->snapshot)
		return fail(restore_input_error(err) ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST, "restore: %s", why);
	if (err && c->mem_backend == MEM_BACKEND_FILE)
		return fail(SPRIG_EXIT_BAD_INPUT, "mem-path: %s", err == -EINVAL ? "not a regular file" : strerror(-err));
	if (err)
		return fail(SPRIG_EXIT_HOST, "guest memory: %s", strerror(-err));
	static struct kernel_copy copy;
	if (!start->snapshot)
		kernel_copy_start(&copy, &vm->mem, files);
	err = vm_create(vm, &cpu, why);
	/* A kernel that is not one is the user's to fix, whatever the host. */
	if (!start->snapshot && kernel_copy_finish(&copy, boot))
		return SPRIG_EXIT_BAD_INPUT;
	if (err)
		return fail(err == -ERANGE || err == -EINVAL ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST, "%s", why);
	if (start->snapshot && (err = snapshot_check_cpu(start->snapshot, &vm->cpu, why)))
		return fail(SPRIG_EXIT_BAD_INPUT, "restore: %s", why);
	if (!start->snapshot && guest_boot_data(vm, c, files, boot))
		return SPRIG_EXIT_BAD_INPUT;
	return 0;
}

/* The vCPUs: at the kernel's entry, or as the snapshot left them, with
 * the devices' state loaded too. */
static int make_vcpus(struct vm *vm, struct devices *devices, const struct start *start,
		      const struct boot_kernel *boot)
{
	char why[CPU_WHY_SIZE > SNAPSHOT_WHY_SIZE ? CPU_WHY_SIZE : SNAPSHOT_WHY_SIZE];
	if (vm_create_vcpus(vm, boot, why))
		return fail(SPRIG_EXIT_HOST, "%s", why);
	if (!start->snapshot)
		return 0;
	int err = snapshot_load_vm(start->snapshot, vm, why);
	if (!err)
		err = snapshot_load_devices(start->snapshot, devices, why);
	if (err)
		return fail(err == -EINVAL ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST, "restore: %s", why);
	timings_mark("snapshot state");
	return 0;
}

/* A restored VM can boot again (on-reboot = restart, system_reset) when
 * its kernel is where it was; without it a guest reset ends sprig. */
static int restored_guest_files(const struct config *c, struct guest_files *files)
{
	if ((c->kernel[0] && access(c->kernel, R_OK)) || (c->initrd[0] && access(c->initrd, R_OK))) {
		fprintf(stderr, "sprig: warning: restore: %s is gone: a guest reset will end sprig\n",
			c->kernel[0] && access(c->kernel, R_OK) ? c->kernel : c->initrd);
		return 1;
	}
	return guest_files_open(c, files) ? 1 : 0;
}

static void end_on_reset(void *opaque, bool guest)
{
	struct restart *r = opaque;
	vm_request_stop(r->vm, SPRIG_EXIT_OK, guest ? "guest-reset" : "host-qmp-system-reset");
}

static int run_vm(const struct config *c, const struct start *start)
{
	static struct vm vm;
	static struct devices devices;
	char why[CPU_WHY_SIZE];
	static struct guest_files files;
	char jail_why[JAIL_WHY_SIZE];
	/* First: every path of the config is the jail's. */
	if (c->jail[0] && jail_enter(c, jail_why))
		return fail(SPRIG_EXIT_HOST, "%s", jail_why);
	bool no_files = start->snapshot ? restored_guest_files(c, &files) : false;
	if (!start->snapshot && guest_files_open(c, &files))
		return SPRIG_EXIT_BAD_INPUT;
	int signal_fd = block_signals();
	if (signal_fd < 0 || cpu_signals_init() || mce_process_init(&vm))
		return fail(SPRIG_EXIT_HOST, "signal setup: %s", strerror(errno));
	struct boot_kernel boot;
	memset(&boot, 0, sizeof(boot));
	int err = make_vm(&vm, c, start, &files, &boot);
	if (err)
		return err;
	/* The files stay mapped (lazily paged): a reset loads them again. */
	static struct restart restart;
	restart = (struct restart){ &vm, c, &files, &devices };
	vm.restart_on_reset = c->on_reboot_restart && !no_files;
	vm.on_reset = no_files ? end_on_reset : restart_guest;
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
	static struct virtio_setup virtio;
	if ((err = virtio_setup_create(&virtio, c, &vm, &devices, why, sizeof(why))))
		return fail(err == VIRTIO_SETUP_BAD_INPUT ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST, "%s", why);
	static struct control_block disks[CONFIG_BLOCKS_MAX];
	control_vm_set_blocks(disks, virtio_setup_blocks(&virtio, c, disks));
	control_vm_set_virtio(devices.virtio_count, virtio_setup_describe, &devices);
	control_vm_set_io_thread(&virtio.io);
	static struct snapshot_source snapshot;
	snapshot = (struct snapshot_source){ &vm, &devices, &virtio, c };
	control_vm_set_snapshot(save_snapshot, &snapshot);
	timings_mark("devices");
	if ((err = make_vcpus(&vm, &devices, start, &boot)))
		return err;
	if (start->snapshot)
		snapshot_close(start->snapshot);
	/* paused = on (QEMU's -S): every vCPU parks before its first KVM_RUN. */
	if (c->paused)
		vm.run_state = VM_PAUSED, atomic_store(&vm.pause_requested, true);
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
	if ((err = virtio_setup_start(&virtio)) || (err = vm_start_vcpus(&vm)))
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
	virtio_setup_stop(&virtio);
	devices_flush(&devices);
	console_restore_terminal();
	control_close(control, 1000);
	if (!no_files)
		guest_files_close(&files);
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
	virtio_setup_close(&virtio);
	close(device_fds.com1_irq);
	close(device_fds.com1_rx_ready);
	close(device_fds.i8042_irq);
	close(signal_fd);
	return status;
}

/* `sprig restore DIR ...`: the snapshot's VM, running again. */
static int restore(int argc, char **argv, struct config *config)
{
	static struct snapshot_image img;
	struct start start = { &img, false };
	char why[SNAPSHOT_WHY_SIZE];
	int err = snapshot_restore_args(argc, argv, config, &img, &start.copy_memory, why);
	if (err)
		return fail(restore_input_error(err) ? SPRIG_EXIT_BAD_INPUT : SPRIG_EXIT_HOST, "%s", why);
	timings_mark("snapshot read");
	return run_vm(config, &start);
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
	snapshot_init();
	if (oci_is_command(argc, argv))
		return oci_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cpu"))
		return cpu_command(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "seccomp"))
		return seccomp_command(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "snapshot"))
		return snapshot_command(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "restore"))
		return restore(argc, argv, &config);
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
	static const struct start boot;
	return run_vm(&config, &boot);
}
