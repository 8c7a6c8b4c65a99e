/* The container's terminal on the host side (monitor.h): as runc does,
 * the pty's master goes to the engine over the console socket
 * (SCM_RIGHTS); the monitor keeps the slave, in raw mode - the terminal
 * that interprets keys is the guest's - and as its controlling terminal,
 * so that the engine's resize of the master arrives here as SIGWINCH. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../agent/protocol.h"

static int send_master(const char *path, int master)
{
	int fd = oci_unix_connect(path);
	if (fd < 0)
		return fd;
	char name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof(name) - 1 };
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control = { 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
			      .msg_controllen = sizeof(control.space) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	int err = sendmsg(fd, &msg, 0) < 0 ? -errno : 0;
	close(fd);
	return err;
}

int monitor_open_terminal(struct monitor *m, char *why)
{
	const struct oci_process *p = &m->spec->process;
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *name = master >= 0 && !grantpt(master) && !unlockpt(master) ? ptsname(master) : NULL;
	m->terminal = name ? open(name, O_RDWR | O_CLOEXEC) : -1;
	int err = m->terminal < 0 ? -errno : 0;
	struct termios raw;
	if (!err && !tcgetattr(m->terminal, &raw)) {
		cfmakeraw(&raw);
		tcsetattr(m->terminal, TCSANOW, &raw);
	}
	if (!err && p->console_rows && p->console_columns) {
		struct winsize size = { .ws_row = p->console_rows, .ws_col = p->console_columns };
		ioctl(master, TIOCSWINSZ, &size);
	}
	/* Our own session with the slave as its terminal: resizes signal us. */
	if (!err && (setsid() < 0 || ioctl(m->terminal, TIOCSCTTY, 0)))
		err = -errno;
	if (!err)
		err = send_master(m->options->console_socket, master);
	if (master >= 0)
		close(master);
	if (err)
		snprintf(why, OCI_WHY_SIZE, "the terminal for --console-socket %.2000s: %s", m->options->console_socket,
			 strerror(-err));
	return err;
}

void monitor_resize_terminal(struct monitor *m)
{
	struct winsize size;
	if (m->terminal < 0 || ioctl(m->terminal, TIOCGWINSZ, &size))
		return;
	uint16_t rows_columns[2] = { size.ws_row, size.ws_col };
	agent_send(m->control, AGENT_RESIZE, rows_columns, sizeof(rows_columns));
}
