/* A container's process on the host (monitor.c): what `sprig create`
 * forks and an engine sees as the container's pid. It runs the VM (a
 * child sprig), gives the guest agent the spec, relays stdio, serves
 * start and kill on ROOT/ID/monitor.sock, and ends as the container's
 * process ended: the same exit code, or killed by the same signal. */
#ifndef SPRIG_OCI_MONITOR_H
#define SPRIG_OCI_MONITOR_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci.h"

#define MONITOR_BOOT_SECONDS 120  /* for the agent to speak: nested VMs are slow */
#define MONITOR_JAIL_ID 65534     /* the jailed VM's uid and gid (nobody) */

struct monitor {
	const struct oci_options *options;
	const struct oci_spec *spec;
	char dir[PATH_MAX];
	char cgroup[PATH_MAX];  /* the cgroup v2 folder to join (cgroup.h) */
	struct oci_state state;
	int listeners[4];       /* <dir>/vsock_1024.._1027: the agent's connections land here */
	int control, stdio[3];  /* the agent's connections */
	int commands;           /* monitor.sock */
	int terminal;           /* the slave of the host's pty (process.terminal), else -1 */
	int signal_fd;
	pid_t vm;
	pthread_t pumps[3];
	bool pumping[3];
	bool started, exited;
	bool jailed;            /* the VM runs in a jail in dir (when we are root) */
	int wait_status;        /* the process's, as the agent reported it */
};

/* In the forked monitor: set up, report "ok" or the error on ready_fd,
 * then serve until the container ends. Never returns. */
void monitor_main(struct monitor *m, int ready_fd) __attribute__((noreturn));

/* monitor_vm.c: the VM as a child process, and the spec to the agent. */
int monitor_spawn_vm(struct monitor *m, char *why);
int monitor_send_spec(struct monitor *m, char *why);
/* Accept one connection on listener i within `seconds`, watching the VM:
 * the fd, or -errno with `why`. */
int monitor_accept(struct monitor *m, int i, int seconds, char *why);

/* monitor_terminal.c: with process.terminal, a pty whose master goes to
 * the engine through --console-socket and whose slave the monitor relays;
 * its size changes (SIGWINCH) go to the guest's terminal. */
int monitor_open_terminal(struct monitor *m, char *why);
void monitor_resize_terminal(struct monitor *m);

/* monitor_io.c: stdin to the guest, its stdout and stderr back. */
void monitor_start_pumps(struct monitor *m);
void monitor_finish_pumps(struct monitor *m, int seconds);

#endif
