/* A pseudo-terminal for a process that asked for one (process.terminal):
 * made in the container's devpts, its size from the host, and two relay
 * processes between its master and the vsock connections. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int agent_terminal_open(const struct agent_spec *spec, int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -errno;
	char *name = ptsname(*master);
	*slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (*slave < 0)
		return -errno;
	agent_terminal_resize(*master, spec->rows, spec->columns);
	return 0;
}

void agent_terminal_resize(int master, uint16_t rows, uint16_t columns)
{
	if (master < 0 || !rows || !columns)
		return;
	struct winsize size = { .ws_row = rows, .ws_col = columns };
	ioctl(master, TIOCSWINSZ, &size);
}

/* A child that copies `from` to `to` until either ends (a terminal's master
 * reads EIO once every slave is closed); its pid. */
pid_t agent_relay(int from, int to)
{
	pid_t pid = fork();
	if (pid)
		return pid;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char buf[16384];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(0);
			done += w;
		}
	}
	_exit(0);
}
