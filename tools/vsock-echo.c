/* A vsock client and echo server for the test guest's /init
 * (tools/guest-init), static so the initramfs needs no libc:
 *   vsock-echo send CID PORT TEXT   connect, send TEXT and a newline, close
 *   vsock-echo send-stdin CID PORT  connect, send all of stdin, close
 *   vsock-echo serve PORT           accept one connection, send back what
 *                                   it sends until it ends, then exit
 * Exit status 0, or 1 with one line on stderr naming what failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

struct vsock_address {   /* struct sockaddr_vm */
	unsigned short family, reserved;
	unsigned int port, cid;
	unsigned char zero[4];
};

static int fail(const char *what)
{
	fprintf(stderr, "vsock-echo: %s: %s\n", what, strerror(errno));
	return 1;
}

/* All of `len` bytes: a stream socket may take part of a write. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* Connect to CID:PORT and send `text` and a newline, or (text NULL) all
 * of stdin; then close. */
static int send_to(unsigned cid, unsigned port, const char *text)
{
	struct vsock_address a = { AF_VSOCK, 0, port, cid, { 0 } };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	if (text) {
		if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1))
			return fail("write");
		close(fd);
		return 0;
	}
	static char buf[65536];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n))
			return fail("write");
	if (n < 0)
		return fail("read stdin");
	close(fd);
	return 0;
}

static int serve(unsigned port)
{
	struct vsock_address a = { AF_VSOCK, 0, port, 0xffffffffu, { 0 } };  /* any CID */
	int listener = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 1))
		return fail("listen");
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n))
			return fail("write");
	if (n < 0)
		return fail("read");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_to((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "send-stdin"))
		return send_to((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), NULL);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((unsigned)strtoul(argv[2], NULL, 10));
	fprintf(stderr, "usage: vsock-echo send CID PORT TEXT | send-stdin CID PORT | serve PORT\n");
	return 2;
}
