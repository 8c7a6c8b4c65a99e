/* Message framing (protocol.h), shared by the agent and the host monitor. */
#include "protocol.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int agent_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n, len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *data, size_t len)
{
	uint8_t *p = data;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n, len -= (size_t)n;
	}
	return 0;
}

int agent_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	if (len > AGENT_PAYLOAD_MAX)
		return -E2BIG;
	struct agent_header h = { type, len };
	int err = agent_write_all(fd, &h, sizeof(h));
	return err || !len ? err : agent_write_all(fd, payload, len);
}

int agent_receive(int fd, struct agent_header *h, uint8_t *buf, size_t size)
{
	int err = read_all(fd, h, sizeof(*h));
	if (err)
		return err;
	if (h->len > AGENT_PAYLOAD_MAX || h->len >= size)
		return -EPROTO;
	err = read_all(fd, buf, h->len);
	if (!err)
		buf[h->len] = 0;
	return err;
}
