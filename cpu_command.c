/* `sprig cpu list` and `sprig cpu show [MODEL[,+f,-f]] [--KEY VALUE]...
 * [--vcpu N]`: inspect models without starting a VM. The flags are the
 * config keys (cpus, threads-per-core, cores, cpu, cpu-check), so what
 * `cpu show` prints is what `sprig` with the same flags would give. */
#include "cpu_command.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "cpu/host.h"
#include "cpu/show.h"
#include "vmm.h"

#define CPU_USAGE "usage: sprig cpu list | sprig cpu show [MODEL[,+F,-F]] [--KEY VALUE]... [--vcpu N]"

struct show_request {
	struct config config;
	unsigned vcpu;
};

static int bad_input(const char *message)
{
	fprintf(stderr, "sprig: %s\n", message);
	return SPRIG_EXIT_BAD_INPUT;
}

/* Takes MODEL and --vcpu out of argv; the rest are config flags. */
static int parse_show(int argc, char **argv, struct show_request *r, char *error)
{
	char **flags = calloc((size_t)argc + 1, sizeof(*flags));
	const char *model = NULL;
	int nflags = 1, err = 0;
	if (!flags) {
		snprintf(error, CONFIG_ERROR_SIZE, "out of memory");
		return -ENOMEM;
	}
	flags[0] = "sprig";
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--vcpu") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || !*argv[i] || argv[i][0] == '-' || v > CONFIG_CPUS_MAX) {
				snprintf(error, CONFIG_ERROR_SIZE, "--vcpu: bad number '%.64s'", argv[i]);
				err = -EINVAL;
			}
			r->vcpu = (unsigned)v;
		} else if (argv[i][0] != '-' && !model && nflags == 1) {
			model = argv[i];
		} else {
			flags[nflags++] = argv[i];
		}
	}
	enum config_action action;
	config_defaults(&r->config);
	if (!err && (err = config_parse_args(&r->config, nflags, flags, &action, error)) == 0 &&
	    action != CONFIG_RUN) {
		snprintf(error, CONFIG_ERROR_SIZE, CPU_USAGE);
		err = -EINVAL;
	}
	if (!err && model)
		err = config_set(&r->config, "", "cpu", 3, model, NULL, "cpu show", error, NULL);
	free(flags);
	return err;
}

static void print_warning(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "sprig: warning: %s\n", message);
}

static int probe_host(struct cpu_host *host)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		int err = cpu_host_probe(fd, host);
		/* A VM would learn more from its vCPU 0 (cpu/host.c); so does this
		 * one, which never runs. */
		int vm_fd = err ? -1 : ioctl(fd, KVM_CREATE_VM, 0ul);
		int vcpu_fd = vm_fd < 0 ? -1 : ioctl(vm_fd, KVM_CREATE_VCPU, 0ul);
		if (vcpu_fd >= 0)
			cpu_host_check_vcpu(host, vcpu_fd);
		int fds[] = { vcpu_fd, vm_fd, fd };
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return err;
	}
	fprintf(stderr, "sprig: warning: /dev/kvm: %s; filtering against this CPU's own CPUID "
		"instead of KVM's\n", strerror(errno));
	return cpu_host_probe_native(host);
}

static int show(const struct show_request *r)
{
	const struct config *c = &r->config;
	struct cpu_topology topology;
	struct cpu_spec spec;
	char error[CPUID_MODEL_ERROR_SIZE];
	if (cpu_topology_init(&topology, (unsigned)c->cpus, (unsigned)c->threads_per_core,
			      (unsigned)c->cores))
		return bad_input("cpus is not a whole number of packages of cores x threads");
	if (r->vcpu >= c->cpus)
		return bad_input("--vcpu: beyond the last vCPU (vCPUs count from 0)");
	if (cpu_spec_parse(&spec, c->cpu, error, sizeof(error)))
		return bad_input(error);
	struct cpu_host host;
	if (probe_host(&host))
		return fprintf(stderr, "sprig: cannot read the host's CPUID\n"), SPRIG_EXIT_HOST;
	struct cpu_template t;
	int err = cpuid_model_build(&t, &host, &spec, &topology, c->cpu_enforce, print_warning,
				    NULL, error);
	if (!err)
		err = cpu_show(stdout, &t, &host, &spec, &topology, r->vcpu);
	cpuid_model_free(&t);
	cpu_host_free(&host);
	if (err == -EINVAL)
		return bad_input(error);
	return err ? fprintf(stderr, "sprig: out of memory\n"), SPRIG_EXIT_HOST : 0;
}

int cpu_command(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[2], "list") && argc == 3) {
		cpu_list(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[2], "show")) {
		struct show_request *r = calloc(1, sizeof(*r));
		char error[CONFIG_ERROR_SIZE];
		if (!r)
			return SPRIG_EXIT_HOST;
		int status = parse_show(argc - 1, argv + 1, r, error) ? bad_input(error) : show(r);
		free(r);
		return status;
	}
	return bad_input(CPU_USAGE);
}
