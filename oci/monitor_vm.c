/* The container's VM and the agent's first words (monitor.h). */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agent/protocol.h"
#include "mounts.h"

/* The guest kernel and the agent's initramfs: --kernel/--initrd, else a
 * `sprig-guest` folder next to the binary, else /usr/local/lib/sprig or
 * /usr/lib/sprig (docs/oci.md). */
static int find_guest(const struct oci_options *o, char *kernel, char *initrd)
{
	static char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	char next_to[PATH_MAX + 16];
	snprintf(next_to, sizeof(next_to), "%s/sprig-guest", dirname(exe));
	const char *const dirs[] = { next_to, "/usr/local/lib/sprig", "/usr/lib/sprig" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(kernel, PATH_MAX, "%s/kernel", dirs[i]);
		snprintf(initrd, PATH_MAX, "%s/initrd", dirs[i]);
		if (o->kernel)
			snprintf(kernel, PATH_MAX, "%s", o->kernel);
		if (o->initrd)
			snprintf(initrd, PATH_MAX, "%s", o->initrd);
		if (!access(kernel, R_OK) && !access(initrd, R_OK))
			return 0;
	}
	return -ENOENT;
}

/* FROM linked (or copied) to DIR/NAME: the jailed VM sees only DIR. */
static int place_in_jail(const char *dir, const char *name, const char *from)
{
	char to[PATH_MAX + 16];
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	if (!link(from, to))
		return 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char buf[65536];
	ssize_t n = 0;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	int err = in < 0 || out < 0 || n < 0 ? -errno : 0;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return err;
}

/* As root, the VM runs in a jail (docs/security.md) in the state folder,
 * as the jail's ids: its files and sockets become theirs. */
static int prepare_jail(struct monitor *m, const char *kernel, const char *initrd, char *why)
{
	static const char *const owned[] = { "rootfs.img", "kernel", "initrd", "vsock_1024", "vsock_1025",
					     "vsock_1026", "vsock_1027" };
	char vm_dir[PATH_MAX + 8];
	snprintf(vm_dir, sizeof(vm_dir), "%s/" OCI_VM_DIR, m->dir);
	int err = place_in_jail(vm_dir, "kernel", kernel);
	if (!err)
		err = place_in_jail(vm_dir, "initrd", initrd);
	for (size_t i = 0; !err && i < sizeof(owned) / sizeof(owned[0]); i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/%s", vm_dir, owned[i]);
		if (chown(path, MONITOR_JAIL_ID, MONITOR_JAIL_ID))
			err = -errno;
	}
	if (err)
		snprintf(why, OCI_WHY_SIZE, "the VM's jail in %.2000s: %s", m->dir, strerror(-err));
	return err;
}

static void __attribute__((noreturn)) exec_vm(const struct monitor *m, const char *kernel, const char *initrd)
{
	static char console[PATH_MAX + 16], vm_dir[PATH_MAX + 8];
	char mem[16], cpus[16];
	snprintf(console, sizeof(console), "%s/console.log", m->dir);
	snprintf(mem, sizeof(mem), "%uM", oci_spec_vm_mem_mib(m->spec));
	snprintf(cpus, sizeof(cpus), "%u", oci_spec_vm_cpus(m->spec));
	bool jailed = m->jailed;
	snprintf(vm_dir, sizeof(vm_dir), "%s/" OCI_VM_DIR, m->dir);
	/* Unjailed, the VM works in its folder: the vsock socket's path, and
	 * SOCKET_PORT beside it, stay short however long --root is. */
	const char *image = jailed ? "/rootfs.img" : "rootfs.img", *vsock = jailed ? "/vsock" : "vsock";
	if (!jailed && chdir(vm_dir))
		_exit(127);
	/* The VM dies with its monitor, and terminal signals meant for the
	 * container reach the monitor, not the VM. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC),
	    log = open(console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	dup2(null, 0), dup2(log, 1), dup2(log, 2);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char jail_ids[16];
	snprintf(jail_ids, sizeof(jail_ids), "%d", MONITOR_JAIL_ID);
	const char *args[32] = { "sprig", "--kernel", jailed ? "/kernel" : kernel, "--initrd",
				 jailed ? "/initrd" : initrd, "--mem", mem, "--cpus", cpus, "--cmdline",
				 "console=ttyS0 quiet panic=-1 reboot=t", "--block.path", image, "--vsock.path", vsock,
				 "--vsock.cid", "3" };
	if (jailed) {
		const char *jail[] = { "--jail", vm_dir, "--jail-uid", jail_ids, "--jail-gid", jail_ids };
		memcpy(&args[17], jail, sizeof(jail));
	}
	execv("/proc/self/exe", (char **)args);
	_exit(127);
}

int monitor_spawn_vm(struct monitor *m, char *why)
{
	static char kernel[PATH_MAX], initrd[PATH_MAX];
	if (find_guest(m->options, kernel, initrd))
		return snprintf(why, OCI_WHY_SIZE, "the guest kernel or initrd is missing (last tried %.2000s)",
				kernel),
		       -ENOENT;
	m->jailed = !oci_rootless();
	int err = m->jailed ? prepare_jail(m, kernel, initrd, why) : 0;
	if (err)
		return err;
	m->vm = fork();
	if (m->vm < 0)
		return snprintf(why, OCI_WHY_SIZE, "fork: %s", strerror(errno)), -errno;
	if (!m->vm)
		exec_vm(m, kernel, initrd);
	return 0;
}

static int send_string(int fd, uint32_t type, const char *s)
{
	return agent_send(fd, type, s, (uint32_t)strlen(s));
}

static int send_identity(int fd, const struct oci_process *p)
{
	uint32_t user[3] = { p->uid, p->gid, p->has_umask ? p->umask : AGENT_NO_UMASK };
	int err = agent_send(fd, AGENT_USER, user, sizeof(user));
	for (unsigned i = 0; !err && i < p->additional_gid_count; i++)
		err = agent_send(fd, AGENT_GROUP, &p->additional_gids[i], 4);
	for (unsigned i = 0; !err && i < p->rlimit_count; i++) {
		uint8_t l[20];
		uint32_t resource = (uint32_t)p->rlimits[i].resource;
		memcpy(l, &resource, 4);
		memcpy(l + 4, &p->rlimits[i].soft, 8);
		memcpy(l + 12, &p->rlimits[i].hard, 8);
		err = agent_send(fd, AGENT_RLIMIT, l, sizeof(l));
	}
	return err;
}

int monitor_send_spec(struct monitor *m, char *why)
{
	const struct oci_process *p = &m->spec->process;
	int fd = m->control, err = 0;
	for (unsigned i = 0; !err && i < p->arg_count; i++)
		err = send_string(fd, AGENT_ARG, p->args[i]);
	for (unsigned i = 0; !err && i < p->env_count; i++)
		err = send_string(fd, AGENT_ENV, p->env[i]);
	if (!err)
		err = send_string(fd, AGENT_CWD, p->cwd);
	if (!err && m->spec->hostname[0])
		err = send_string(fd, AGENT_HOSTNAME, m->spec->hostname);
	if (!err)
		err = send_identity(fd, p);
	uint32_t flags = (p->no_new_privileges ? AGENT_FLAG_NO_NEW_PRIVILEGES : 0) |
			 (m->spec->root_readonly ? AGENT_FLAG_READONLY_ROOT : 0) |
			 (p->terminal ? AGENT_FLAG_TERMINAL : 0);
	if (!err)
		err = agent_send(fd, AGENT_FLAGS, &flags, 4);
	uint64_t pids = (uint64_t)m->spec->pids_limit;
	if (!err && pids)
		err = agent_send(fd, AGENT_PIDS_LIMIT, &pids, sizeof(pids));
	uint16_t size[2] = { p->console_rows, p->console_columns };
	if (!err && p->terminal && size[0] && size[1])
		err = agent_send(fd, AGENT_RESIZE, size, sizeof(size));
	if (err)
		return snprintf(why, OCI_WHY_SIZE, "sending the spec to the guest agent: %s", strerror(-err)), err;
	if ((err = oci_mounts_send(fd, m->spec, why)))
		return err;
	if ((err = agent_send(fd, AGENT_SPEC_END, NULL, 0)))
		snprintf(why, OCI_WHY_SIZE, "sending the spec to the guest agent: %s", strerror(-err));
	return err;
}

/* The console's last line (sprig's own error, or the guest's last
 * words), for a create that failed: the folder holding console.log goes
 * with the container. */
static void console_last_line(const char *dir, char *line, size_t size)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/console.log", dir);
	oci_last_line(path, line, size);
}

int monitor_accept(struct monitor *m, int i, int seconds, char *why)
{
	time_t deadline = time(NULL) + seconds;
	for (;;) {
		struct pollfd p = { m->listeners[i], POLLIN, 0 };
		int ready = poll(&p, 1, 200);
		if (ready > 0)
			return accept4(m->listeners[i], NULL, NULL, SOCK_CLOEXEC);
		int status;
		if (waitpid(m->vm, &status, WNOHANG) == m->vm) {
			m->vm = -1;
			char last[200];
			console_last_line(m->dir, last, sizeof(last));
			snprintf(why, OCI_WHY_SIZE, "the VM ended before its agent connected%s%s", last[0] ? ": " : "",
				 last);
			return -ECHILD;
		}
		if (time(NULL) >= deadline) {
			char last[200];
			console_last_line(m->dir, last, sizeof(last));
			snprintf(why, OCI_WHY_SIZE, "the guest agent did not connect in %d s%s%s", seconds,
				 last[0] ? "; the console's last line: " : "", last);
			return -ETIMEDOUT;
		}
	}
}
