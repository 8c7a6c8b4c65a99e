/* sprig as an OCI runtime (docs/oci.md): the command line runc and crun
 * accept, so container engines (podman, containerd's runc shim) drive
 * sprig unchanged. Each container is a VM; its "process" on the host is
 * sprig's monitor (monitor.c), which runs the VM and speaks to the guest
 * agent (agent/). */
#ifndef SPRIG_OCI_H
#define SPRIG_OCI_H

#include <limits.h>
#include <stdbool.h>
#include <sys/un.h>

#include "spec.h"
#include "state.h"

/* Everything a command needs from the command line. */
struct oci_options {
	/* global, before the command (runc's) */
	const char *root, *log, *log_format;
	bool systemd_cgroup;  /* linux.cgroupsPath is systemd's slice:prefix:name */
	/* sprig's own global ones: the guest kernel and the agent's initramfs */
	const char *kernel, *initrd;
	/* the command's */
	const char *command, *id, *bundle, *pid_file, *console_socket, *signal, *format;
	bool detach, force, all, quiet, keep;
};

/* Not root, or root only in a user namespace: no jail, the user's root. */
bool oci_rootless(void);

/* argv[1] is one of the OCI commands, or a runc global flag before one? */
bool oci_is_command(int argc, char **argv);

/* Run it: exit status 0, or 1 after one line on stderr (and in --log). */
int oci_main(int argc, char **argv);

/* One line naming what failed: stderr, and the --log file as runc writes
 * it (text, or JSON with --log-format json). Returns 1. */
int oci_fail(const struct oci_options *o, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* A warning: the command goes on. In the --log file; on stderr only
 * without one (runc's). */
void oci_warn(const struct oci_options *o, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* What runc leaves out of stderr, kept in the --log file only (level
 * info): engines take a runtime's stderr as its error message. */
void oci_note(const struct oci_options *o, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* ADDR for a unix socket at PATH however long it is (unix_address.c):
 * *dir_fd is an fd the address goes through, or -1; close it after the
 * bind or connect. 0 or -errno. */
int oci_unix_address(struct sockaddr_un *addr, const char *path, int *dir_fd);
/* A stream socket listening (backlog 4) or connected at PATH, however
 * long: its fd, or -errno. */
int oci_unix_listen(const char *path);
int oci_unix_connect(const char *path);

/* PATH's last non-empty line, printable ASCII only, in LINE ("" when
 * there is none): what a child that failed said last (last_line.c). */
void oci_last_line(const char *path, char *line, size_t size);

/* The commands (commands.c, create.c) */
int oci_create(const struct oci_options *o);
int oci_start(const struct oci_options *o);
int oci_run(const struct oci_options *o);
int oci_state(const struct oci_options *o);
int oci_kill(const struct oci_options *o);
int oci_delete(const struct oci_options *o);
int oci_list(const struct oci_options *o);

/* Ask the monitor of a container (its ROOT/ID/monitor.sock) one line; its
 * one-line answer in reply. 0, or -errno. */
int oci_monitor_ask(const char *dir, const char *request, char *reply, size_t size);

/* Remove a container whose monitor has ended: the cgroup it recorded in
 * ROOT/ID (first: the record goes with the folder), then the folder.
 * 0, or -errno of the folder's removal. */
int oci_remove_container(const char *dir);

#define OCI_MONITOR_SOCKET "monitor.sock"
/* ROOT/ID/vm: what the VM may see - its disk, kernel, initrd and vsock
 * sockets - and nothing of the monitor's; the jail's root when sprig runs
 * as root (docs/oci.md). */
#define OCI_VM_DIR "vm"

#endif
