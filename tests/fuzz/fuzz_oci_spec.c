/* libFuzzer target: an OCI bundle's config.json (oci/spec.c) on arbitrary
 * bytes. Besides crashes, leaks and sanitizer reports it checks what the
 * reader promises: a refusal says why; an accepted spec has an absolute
 * root, a process with at least one argument, KEY=VALUE environment,
 * an absolute cwd, rlimits with soft <= hard, a VM size in bounds, and a
 * cgroup (oci/cgroup.c) strictly under the cgroup root with no ".." in
 * it, however the cgroupsPath is read, and mounts whose destinations are
 * absolute with no ".." component, whose tmpfs options (oci/mounts.c)
 * hold no NUL and no option from outside the kept set. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../oci/cgroup.h"
#include "../../oci/mounts.h"
#include "../../oci/spec.h"

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_process(const struct oci_process *p)
{
	check(p->arg_count >= 1 && p->args[p->arg_count] == NULL);
	for (unsigned i = 0; i < p->arg_count; i++)
		check(p->args[i] != NULL);
	for (unsigned i = 0; i < p->env_count; i++)
		check(strchr(p->env[i], '=') > p->env[i]);
	check(!p->env || p->env[p->env_count] == NULL);
	check(p->cwd && p->cwd[0] == '/');
	check(p->rlimit_count <= OCI_RLIMITS_MAX);
	for (unsigned i = 0; i < p->rlimit_count; i++)
		check(p->rlimits[i].soft <= p->rlimits[i].hard);
	check(!p->has_umask || p->umask <= 0777);
}

static void check_cgroup(const struct oci_spec *spec)
{
	for (int systemd = 0; systemd < 2; systemd++) {
		char out[4096], why[OCI_WHY_SIZE];
		why[0] = 0;
		int err = oci_cgroup_resolve(spec->cgroups_path, systemd, "id", "/a/b", out, sizeof(out), why);
		if (err) {
			check(err == -EINVAL && why[0]);
			continue;
		}
		size_t root = strlen(OCI_CGROUP_ROOT);
		check(!strncmp(out, OCI_CGROUP_ROOT "/", root + 1) && out[root + 1]);
		check(!strstr(out, "/../") && strcmp(out + strlen(out) - 3, "/..") && !strstr(out, "//"));
	}
}

static void check_mounts(const struct oci_spec *spec)
{
	check(spec->mount_count <= OCI_MOUNTS_MAX);
	for (unsigned i = 0; i < spec->mount_count; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		const char *d = m->destination;
		check(d && d[0] == '/' && strlen(d) <= OCI_MOUNT_PATH_MAX && m->type && m->source);
		check(!strstr(d, "/../") && (strlen(d) < 3 || strcmp(d + strlen(d) - 3, "/..")));
		check(m->option_count <= OCI_MOUNT_OPTIONS_MAX && m->options[m->option_count] == NULL);
		char data[512];
		if (oci_mount_tmpfs_data(m, data, sizeof(data)) == 0) {
			for (char *o = data; *o; o += strcspn(o, ","), o += *o == ',') {
				bool kept = !strncmp(o, "size=", 5) || !strncmp(o, "mode=", 5) || !strncmp(o, "nr_inodes=", 10) ||
					    !strncmp(o, "nr_blocks=", 10) || !strncmp(o, "uid=", 4) || !strncmp(o, "gid=", 4);
				check(kept);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec spec;
	char why[OCI_WHY_SIZE];
	why[0] = 0;
	int err = oci_spec_parse(&spec, "/bundle", (const char *)data, size, why);
	if (err) {
		check(err < 0 && why[0]);
	} else {
		check(spec.root_path && spec.root_path[0] == '/');
		check(strlen(spec.hostname) <= OCI_HOSTNAME_MAX);
		if (spec.has_process)
			check_process(&spec.process);
		check(spec.memory_limit >= 0 && spec.cpu_quota >= 0);
		unsigned mib = oci_spec_vm_mem_mib(&spec), cpus = oci_spec_vm_cpus(&spec);
		check(mib >= 128 && mib <= (1u << 20));
		check(cpus >= 1 && cpus <= 64);
		check_cgroup(&spec);
		check_mounts(&spec);
	}
	oci_spec_free(&spec);
	return 0;
}
