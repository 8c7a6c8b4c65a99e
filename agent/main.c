/* sprig's guest agent: PID 1 of a container's VM (README.md). It mounts
 * the container's root (/dev/vda), takes the process spec from the host
 * over vsock, waits for START, runs the process with its stdio on three
 * vsock connections, passes signals on, reports how it ended and powers
 * the VM off. PID 1 must never return: every path ends in power_off. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "protocol.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

struct vsock_address {  /* struct sockaddr_vm */
	unsigned short family, reserved;
	unsigned int port, cid;
	unsigned char zero[4];
};

static int control = -1;
static int terminal_master = -1;    /* with AGENT_FLAG_TERMINAL */
static pid_t output_relay = -1;     /* terminal output to the host, until it drains */

static void power_off(void)
{
	sync();
	for (;;) {
		reboot(RB_POWER_OFF);
		pause();
	}
}

/* One line on the console, and to the host as ERROR when it listens. */
static void fatal(const char *why)
{
	fprintf(stderr, "sprig-agent: %s\n", why);
	if (control >= 0)
		agent_send(control, AGENT_ERROR, why, (uint32_t)strlen(why));
	power_off();
}

/* fatal() naming the step and errno. */
static void fatal_errno(const char *step)
{
	char why[AGENT_WHY_SIZE];
	snprintf(why, sizeof(why), "%s: %s", step, strerror(errno));
	fatal(why);
}

static int connect_to_host(unsigned port)
{
	struct vsock_address a = { .family = AF_VSOCK, .port = port, .cid = AGENT_HOST_CID };
	for (int attempt = 0; attempt < 50; attempt++) {
		int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		usleep(100 * 1000);
	}
	return -ECONNREFUSED;
}

static void mount_or_die(const char *source, const char *target, const char *type, unsigned long flags,
			 const char *data)
{
	char why[AGENT_WHY_SIZE];
	mkdir(target, 0755);
	if (mount(source, target, type, flags, data)) {
		snprintf(why, sizeof(why), "mount %s on %s: %s", type, target, strerror(errno));
		fatal(why);
	}
}

/* The root the container sees: its disk, with the kernel's filesystems
 * where a container expects them. */
/* linux.resources.pids: the container's processes live here, in the
 * guest, so their count is limited here (a cgroup v2 leaf the process
 * joins before its exec), not on the host where the VM's own threads are. */
static void limit_pids(struct agent_spec *spec)
{
	char value[32];
	if (!spec->pids_limit)
		return;
	mkdir("/cgroup", 0755);
	mount_or_die("cgroup2", "/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	int fd = open("/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "+pids", 5) != 5)
		fatal_errno("enabling the pids controller in the guest");
	close(fd);
	if (mkdir("/cgroup/container", 0755) && errno != EEXIST)
		fatal_errno("making the container's cgroup");
	snprintf(value, sizeof(value), "%llu", (unsigned long long)spec->pids_limit);
	fd = open("/cgroup/container/pids.max", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		fatal_errno("writing the container's pids.max");
	close(fd);
	if ((spec->cgroup_procs = open("/cgroup/container/cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0)
		fatal_errno("opening the container's cgroup.procs");
}

/* The guest's own proc, sys and dev, then the spec's mounts in its
 * order, inside the root (as runc resolves them), then a read-only root. */
static void prepare_root(struct agent_spec *spec)
{
	char why[AGENT_WHY_SIZE];
	limit_pids(spec);
	unsigned long nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	mount_or_die("proc", "/rootfs/proc", "proc", nodev, NULL);
	mount_or_die("sysfs", "/rootfs/sys", "sysfs", nodev | MS_RDONLY, NULL);
	mount_or_die("devtmpfs", "/rootfs/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mount_or_die("devpts", "/rootfs/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620");
	mount_or_die("shm", "/rootfs/dev/shm", "tmpfs", nodev, "mode=1777");
	mount_or_die("mqueue", "/rootfs/dev/mqueue", "mqueue", nodev, NULL);
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)))
		fatal("sethostname");
	if (agent_mounts_stage(spec, why))
		fatal(why);
	if (chroot("/rootfs") || chdir("/"))
		fatal("chroot into the container's root");
	if (agent_mounts_apply(spec, why))
		fatal(why);
	if (spec->flags & AGENT_FLAG_READONLY_ROOT)
		mount_or_die(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

static void connect_stdio(int stdio[3])
{
	static const unsigned ports[3] = { AGENT_PORT_STDIN, AGENT_PORT_STDOUT, AGENT_PORT_STDERR };
	for (int i = 0; i < 3; i++)
		if ((stdio[i] = connect_to_host(ports[i])) < 0)
			fatal("connecting the process's stdio to the host");
}

/* EXIT must reach the host before the VM goes: powering off at once can
 * end the VMM while the message still waits in the vsock queue. The host
 * answers EXIT_SEEN (or hangs up); 2 s at most. */
static void await_exit_seen(void)
{
	struct pollfd p = { control, POLLIN, 0 };
	static uint8_t buf[64];
	struct agent_header h;
	while (poll(&p, 1, 2000) == 1) {
		if (agent_receive(control, &h, buf, sizeof(buf)) || h.type == AGENT_EXIT_SEEN)
			return;
	}
}

/* Until START; a SIGNAL first ends the container before it ran. */
static void wait_for_start(void)
{
	static uint8_t buf[64];
	struct agent_header h;
	for (;;) {
		if (agent_receive(control, &h, buf, sizeof(buf)))
			power_off();  /* the host is gone */
		if (h.type == AGENT_START)
			return;
		if (h.type == AGENT_SIGNAL && h.len == 4) {
			uint32_t sig;
			memcpy(&sig, buf, 4);
			uint32_t status = sig & 0x7f;  /* as waitpid reports a kill */
			agent_send(control, AGENT_EXIT, &status, 4);
			await_exit_seen();
			power_off();
		}
	}
}

/* A SIGNAL from the host for the process; false when the host is gone. */
static bool take_control_message(pid_t pid)
{
	static uint8_t buf[64];
	struct agent_header h;
	if (agent_receive(control, &h, buf, sizeof(buf)))
		return false;
	if (h.type == AGENT_SIGNAL && h.len == 4) {
		uint32_t sig;
		memcpy(&sig, buf, 4);
		if (sig > 0 && sig < 65)
			kill(pid, (int)sig);
	}
	if (h.type == AGENT_RESIZE && h.len == 4) {
		uint16_t size[2];
		memcpy(size, buf, 4);
		agent_terminal_resize(terminal_master, size[0], size[1]);
	}
	return true;
}

/* Reap every child (PID 1 inherits orphans) until the process ends; its
 * wait status. */
static int supervise(pid_t pid, int signal_fd)
{
	struct pollfd fds[2] = { { signal_fd, POLLIN, 0 }, { control, POLLIN, 0 } };
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			fatal("poll");
		if (fds[1].revents && !take_control_message(pid)) {
			kill(pid, SIGKILL);  /* nobody to report to: end it */
			fds[1].fd = -1;
		}
		if (!fds[0].revents)
			continue;
		struct signalfd_siginfo info;
		while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		}
		int status;
		for (pid_t child; (child = waitpid(-1, &status, WNOHANG)) > 0;) {
			if (child == output_relay)
				output_relay = -1;
			if (child == pid)
				return status;
		}
	}
}

/* The process with its stdio on the connections, or on a terminal whose
 * master two relays join to them. */
static pid_t launch(const struct agent_spec *spec, int stdio[3], char *why)
{
	bool terminal = spec->flags & AGENT_FLAG_TERMINAL;
	int slave = -1;
	if (terminal && agent_terminal_open(spec, &terminal_master, &slave))
		return snprintf(why, AGENT_WHY_SIZE, "a terminal: %s", strerror(errno)), -errno;
	int fds[3] = { slave, slave, slave };
	pid_t pid = agent_launch(spec, terminal ? fds : stdio, terminal, why);
	if (terminal) {
		close(slave);  /* the relays must not hold it: the master's EIO ends them */
		if (pid > 0) {
			agent_relay(stdio[0], terminal_master);
			output_relay = agent_relay(terminal_master, stdio[1]);
		}
	}
	for (int i = 0; i < 3; i++)
		close(stdio[i]);
	return pid;
}

/* The terminal's last output reaches the host before anything is killed:
 * the relay ends when every holder of the terminal has closed it (3 s
 * at most, for a background child that keeps it). */
static void drain_terminal(void)
{
	for (int i = 0; output_relay > 0 && i < 300; i++) {
		if (waitpid(output_relay, NULL, WNOHANG) == output_relay)
			output_relay = -1;
		else
			usleep(10 * 1000);
	}
}

static void mount_basics(void)
{
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	/* The container's disk appears when virtio-blk has probed. */
	for (int i = 0; i < 100 && access("/dev/vda", F_OK); i++)
		usleep(20 * 1000);
	mkdir("/rootfs", 0755);
	if (mount("/dev/vda", "/rootfs", "ext4", 0, NULL))
		fatal("mount /dev/vda (the container's root) as ext4");
}

int main(void)
{
	char why[AGENT_WHY_SIZE];
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int signal_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	mount_basics();
	if ((control = connect_to_host(AGENT_PORT_CONTROL)) < 0)
		fatal("no host on vsock port 1024");
	static struct agent_spec spec;
	if (agent_spec_receive(control, &spec, why))
		fatal(why);
	prepare_root(&spec);
	if (agent_find_executable(&spec, why))
		fatal(why);
	int stdio[3];
	connect_stdio(stdio);
	agent_send(control, AGENT_READY, NULL, 0);
	wait_for_start();
	pid_t pid = launch(&spec, stdio, why);
	if (pid < 0)
		fatal(why);
	uint32_t guest_pid = (uint32_t)pid;
	agent_send(control, AGENT_STARTED, &guest_pid, 4);
	uint32_t status = (uint32_t)supervise(pid, signal_fd);
	drain_terminal();
	kill(-1, SIGKILL);  /* what the process left behind */
	agent_send(control, AGENT_EXIT, &status, 4);
	await_exit_seen();
	power_off();
}
