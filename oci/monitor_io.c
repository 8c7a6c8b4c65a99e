/* The container's stdio (monitor.h): the monitor's own fds 0-2 are what
 * the engine gave `create` (pipes, /dev/null, a file); one thread per
 * direction copies between them and the agent's vsock connections, with
 * blocking I/O, so a slow reader on one side never stalls the others or
 * the monitor's loop. */
#include "monitor.h"

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct pump {
	int from, to;
	bool to_socket;  /* stdin: say end of input with a half close */
	uint8_t buf[65536];
};

static struct pump pumps[3];

static bool write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n, len -= (size_t)n;
	}
	return true;
}

static void *run_pump(void *arg)
{
	struct pump *p = arg;
	for (;;) {
		ssize_t n = read(p->from, p->buf, sizeof(p->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !write_all(p->to, p->buf, (size_t)n))
			break;
	}
	if (p->to_socket)
		shutdown(p->to, SHUT_WR);
	return NULL;
}

void monitor_start_pumps(struct monitor *m)
{
	/* With a terminal, its slave is the process's stdin and stdout. */
	int in = m->terminal >= 0 ? m->terminal : 0, out = m->terminal >= 0 ? m->terminal : 1;
	/* Static: a 64 KiB thread-local buffer would grow every thread's
	 * static TLS, and glibc then refuses the vCPUs' small stacks. */
	pumps[0].from = in, pumps[0].to = m->stdio[0], pumps[0].to_socket = true;
	pumps[1].from = m->stdio[1], pumps[1].to = out, pumps[1].to_socket = false;
	pumps[2].from = m->stdio[2], pumps[2].to = 2, pumps[2].to_socket = false;
	for (int i = 0; i < 3; i++)
		m->pumping[i] = !pthread_create(&m->pumps[i], NULL, run_pump, &pumps[i]);
	if (m->pumping[0])
		pthread_detach(m->pumps[0]);  /* it may wait on our stdin forever */
}

/* The process has ended: its output is whole once the guest closes both
 * connections, which it does as the process's fds close. */
void monitor_finish_pumps(struct monitor *m, int seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	for (int i = 1; i < 3; i++)
		if (m->pumping[i] && pthread_timedjoin_np(m->pumps[i], NULL, &deadline))
			shutdown(m->stdio[i], SHUT_RDWR);
}
