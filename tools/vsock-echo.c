/* A vsock client and echo server for the test guest's /init
 * (tools/guest-init), static so the initramfs needs no libc:
 *   vsock-echo send CID PORT TEXT   connect, send TEXT and a newline, close
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

static int send_text(unsigned cid, unsigned port, const char *text)
{
	struct vsock_address a = { AF_VSOCK, 0, port, cid, { 0 } };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return fail("write");
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
		if (write(fd, buf, (size_t)n) != n)
			return fail("write");
	if (n < 0)
		return fail("read");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_text((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((unsigned)strtoul(argv[2], NULL, 10));
	fprintf(stderr, "usage: vsock-echo send CID PORT TEXT | serve PORT\n");
	return 2;
}
