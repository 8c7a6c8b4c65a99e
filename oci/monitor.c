/* The container's process on the host (monitor.h). */
#include "monitor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agent/protocol.h"
#include "cgroup.h"

/* Signals sent to the container's pid are meant for the container's
 * process: they travel on to the guest. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };

static int listen_at(const char *path)
{
	unlink(path);
	return oci_unix_listen(path);
}

static int open_sockets(struct monitor *m, char *why)
{
	char path[PATH_MAX + 32];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/" OCI_VM_DIR "/vsock_%d", m->dir, AGENT_PORT_CONTROL + i);
		if ((m->listeners[i] = listen_at(path)) < 0)
			return snprintf(why, OCI_WHY_SIZE, "%s: %s", path, strerror(-m->listeners[i])),
			       m->listeners[i];
	}
	snprintf(path, sizeof(path), "%s/" OCI_MONITOR_SOCKET, m->dir);
	if ((m->commands = listen_at(path)) < 0)
		return snprintf(why, OCI_WHY_SIZE, "%s: %s", path, strerror(-m->commands)), m->commands;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->signal_fd < 0 ? -errno : 0;
}

/* After the spec: the three stdio connections and READY, or ERROR. */
static int await_ready(struct monitor *m, char *why)
{
	static uint8_t buf[AGENT_PAYLOAD_MAX + 1];
	bool ready = false;
	time_t deadline = time(NULL) + MONITOR_BOOT_SECONDS;
	while (!ready || m->stdio[0] < 0 || m->stdio[1] < 0 || m->stdio[2] < 0) {
		struct pollfd p[4] = { { m->control, POLLIN, 0 } };
		for (int i = 0; i < 3; i++)
			p[i + 1] = (struct pollfd){ m->stdio[i] < 0 ? m->listeners[i + 1] : -1, POLLIN, 0 };
		if (poll(p, 4, 1000) < 0 && errno != EINTR)
			return -errno;
		if (time(NULL) > deadline)
			return snprintf(why, OCI_WHY_SIZE, "the guest agent did not get ready"), -ETIMEDOUT;
		for (int i = 0; i < 3; i++)
			if (p[i + 1].revents)
				m->stdio[i] = accept4(m->listeners[i + 1], NULL, NULL, SOCK_CLOEXEC);
		if (!p[0].revents)
			continue;
		struct agent_header h;
		int err = agent_receive(m->control, &h, buf, sizeof(buf));
		if (err || h.type == AGENT_ERROR)
			return snprintf(why, OCI_WHY_SIZE, "%.1000s", err ? "the guest agent hung up" : (char *)buf),
			       err ? err : -EINVAL;
		ready = h.type == AGENT_READY;
	}
	return 0;
}

static void now_rfc3339(char *out, size_t size)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	struct tm tm;
	gmtime_r(&t.tv_sec, &tm);
	size_t len = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + len, size - len, ".%09uZ", (unsigned)t.tv_nsec % 1000000000u);
}

/* Into the container's cgroup before the VM starts, so it and all its
 * threads are counted. A host without cgroup v2 is warned of. A user who
 * may not write there (rootless, no delegation) while no host limit is
 * asked goes on with a note in the log only: runc's rootless rule, and
 * as quiet as runc, whose stderr engines read as the error. Recorded
 * only once joined: delete removes it, killing what is in it. */
static int join_cgroup(struct monitor *m, char *why)
{
	int err = oci_cgroup_join(m->cgroup, m->spec, why);
	bool denied = err == -EACCES || err == -EPERM || err == -EROFS;
	if (err == -ENOTSUP) {
		oci_warn(m->options, "%s", why);
		return 0;
	}
	if (denied && !oci_cgroup_has_limits(m->spec)) {
		oci_note(m->options, "%s", why);
		return 0;
	}
	if (!err && (err = oci_cgroup_record(m->dir, m->cgroup)))
		snprintf(why, OCI_WHY_SIZE, "%s/" OCI_CGROUP_FILE ": %s", m->dir, strerror(-err));
	return err;
}

static int set_up(struct monitor *m, char *why)
{
	int err = join_cgroup(m, why);
	if (err)
		return err;
	m->control = m->stdio[0] = m->stdio[1] = m->stdio[2] = m->terminal = -1;
	if ((err = open_sockets(m, why)) || (m->spec->process.terminal && (err = monitor_open_terminal(m, why))) ||
	    (err = monitor_spawn_vm(m, why)))
		return err;
	if ((m->control = monitor_accept(m, 0, MONITOR_BOOT_SECONDS, why)) < 0)
		return m->control;
	if ((err = monitor_send_spec(m, why)) || (err = await_ready(m, why)))
		return err;
	struct oci_state *s = &m->state;
	snprintf(s->id, sizeof(s->id), "%s", m->options->id);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s", m->spec->root_path);
	now_rfc3339(s->created, sizeof(s->created));
	s->pid = getpid();
	s->pid_start = oci_pid_start_time(s->pid);
	s->status = OCI_CREATED;
	if ((err = oci_state_write(m->dir, s)))
		snprintf(why, OCI_WHY_SIZE, "%s/" OCI_STATE_FILE ": %s", m->dir, strerror(-err));
	return err;
}

static void send_signal(struct monitor *m, int sig)
{
	uint32_t s = (uint32_t)sig;
	agent_send(m->control, AGENT_SIGNAL, &s, 4);
}

/* A message from the agent: STARTED, EXIT or ERROR (a process that could
 * not be exec'd: 127, as a shell says). False once the container ended. */
static bool take_agent_message(struct monitor *m, char *error, size_t size)
{
	static uint8_t buf[AGENT_PAYLOAD_MAX + 1];
	struct agent_header h;
	if (agent_receive(m->control, &h, buf, sizeof(buf))) {
		m->exited = true;  /* the VM went away without a word */
		m->wait_status = 255 << 8;
		return false;
	}
	if (h.type == AGENT_STARTED) {
		m->started = true;
		return true;
	}
	if (h.type == AGENT_EXIT && h.len == 4) {
		uint32_t status;
		memcpy(&status, buf, 4);
		m->exited = true;
		m->wait_status = (int)status;
		agent_send(m->control, AGENT_EXIT_SEEN, NULL, 0);
		return false;
	}
	if (h.type == AGENT_ERROR) {
		snprintf(error, size, "%.1000s", (char *)buf);  /* start says it */
		m->exited = true;
		m->wait_status = 127 << 8;
		return false;
	}
	return true;
}

/* start: START to the agent, then its STARTED (or how it failed). */
static void start(struct monitor *m, char *reply, size_t size)
{
	if (m->started) {
		snprintf(reply, size, "already started");
		return;
	}
	agent_send(m->control, AGENT_START, NULL, 0);
	char error[OCI_WHY_SIZE] = "the container ended as it started";
	while (!m->started && take_agent_message(m, error, sizeof(error))) {
	}
	if (!m->started) {
		snprintf(reply, size, "%s", error);
		return;
	}
	m->state.status = OCI_RUNNING;
	oci_state_write(m->dir, &m->state);
	snprintf(reply, size, "ok");
}

/* One request from `sprig start` or `sprig kill` on monitor.sock. */
static void serve_command(struct monitor *m)
{
	int fd = accept4(m->commands, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	char line[64] = "", reply[OCI_WHY_SIZE];
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n = poll(&p, 1, 2000) == 1 ? read(fd, line, sizeof(line) - 1) : -1;
	line[n > 0 ? n : 0] = 0;
	int sig;
	if (!strcmp(line, "start\n"))
		start(m, reply, sizeof(reply));
	else if (sscanf(line, "kill %d", &sig) == 1 && sig > 0 && sig < 65)
		send_signal(m, sig), snprintf(reply, sizeof(reply), "ok");
	else
		snprintf(reply, sizeof(reply), "unknown request");
	strcat(reply, "\n");
	if (write(fd, reply, strlen(reply)) < 0) {
		/* The asker left: nothing to tell. */
	}
	close(fd);
}

/* Signals to this process: forwarded; SIGCHLD: the VM ended. */
static void take_signals(struct monitor *m)
{
	struct signalfd_siginfo info;
	while (read(m->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGWINCH && m->terminal >= 0) {
			monitor_resize_terminal(m);
			continue;
		}
		if (info.ssi_signo != SIGCHLD) {
			send_signal(m, (int)info.ssi_signo);
			continue;
		}
		int status;
		if (m->vm > 0 && waitpid(m->vm, &status, WNOHANG) == m->vm) {
			m->vm = -1;
			/* The agent's last words may still be in the socket. */
			char ignored[8];
			struct pollfd p = { m->control, POLLIN, 0 };
			while (!m->exited && poll(&p, 1, 0) == 1 && take_agent_message(m, ignored, sizeof(ignored))) {
			}
			if (!m->exited)
				m->exited = true, m->wait_status = 255 << 8;
		}
	}
}

static void serve(struct monitor *m)
{
	while (!m->exited) {
		struct pollfd p[3] = { { m->commands, POLLIN, 0 }, { m->control, POLLIN, 0 },
				       { m->signal_fd, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		char ignored[8];
		if (p[1].revents && !take_agent_message(m, ignored, sizeof(ignored)))
			break;
		if (p[0].revents)
			serve_command(m);
		if (p[2].revents)
			take_signals(m);
	}
}

/* The agent powers the VM off after EXIT; a VM that lingers is killed. */
static void stop_vm(struct monitor *m)
{
	for (int i = 0; m->vm > 0 && i < 100; i++) {
		if (waitpid(m->vm, NULL, WNOHANG) == m->vm)
			m->vm = -1;
		else
			usleep(100 * 1000);
	}
	if (m->vm > 0) {
		kill(m->vm, SIGKILL);
		waitpid(m->vm, NULL, 0);
		m->vm = -1;
	}
}

static void remove_sockets(const struct monitor *m)
{
	char path[PATH_MAX + 32];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/" OCI_VM_DIR "/vsock_%d", m->dir, AGENT_PORT_CONTROL + i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/" OCI_MONITOR_SOCKET, m->dir);
	unlink(path);
}

/* End as the container's process did: its exit code, or its signal (with
 * no core dump of our own), so an engine waiting on this pid sees what a
 * runc container would show. */
static void __attribute__((noreturn)) end_like(int wait_status)
{
	if (WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 255);
}

static void report(int fd, const char *line)
{
	if (write(fd, line, strlen(line)) < 0) {
		/* create is gone: it will find the state file, or not */
	}
	close(fd);
}

void monitor_main(struct monitor *m, int ready_fd)
{
	char why[OCI_WHY_SIZE];
	if (set_up(m, why)) {
		report(ready_fd, why);
		if (m->vm > 0)
			kill(m->vm, SIGKILL), waitpid(m->vm, NULL, 0);
		remove_sockets(m);
		_exit(1);
	}
	report(ready_fd, "ok");
	monitor_start_pumps(m);
	serve(m);
	monitor_finish_pumps(m, 5);
	stop_vm(m);
	m->state.status = OCI_STOPPED;
	m->state.exit_status = WIFSIGNALED(m->wait_status) ? 128 + WTERMSIG(m->wait_status)
							   : WEXITSTATUS(m->wait_status);
	oci_state_write(m->dir, &m->state);
	remove_sockets(m);
	end_like(m->wait_status);
}
