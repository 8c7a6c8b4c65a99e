/* A TCP sender for bench/io (the guest's transmit side; iperf3 would need
 * a libc and a server of its own): static, so the initramfs needs none.
 *   tcp-blast ADDRESS PORT BYTES
 * connects to the IPv4 ADDRESS, sends BYTES zeros in 64 KiB writes, ends
 * its side and waits for the receiver to close, so the time it takes
 * covers delivery, not just the guest's socket buffer. busybox nc moves
 * about 1 KiB per read and write, which measures nc, not the device.
 * Exit status 0, or 1 with one line on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int fail(const char *what)
{
	fprintf(stderr, "tcp-blast: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	if (argc != 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: tcp-blast ADDRESS PORT BYTES\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	unsigned long long left = strtoull(argv[3], NULL, 10);
	static char chunk[CHUNK];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)))
		return fail("connect");
	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		ssize_t sent = write(fd, chunk, n);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return fail("write");
		left -= (unsigned long long)sent;
	}
	if (shutdown(fd, SHUT_WR))
		return fail("shutdown");
	while (read(fd, chunk, sizeof(chunk)) > 0) {
	}
	close(fd);
	return 0;
}
