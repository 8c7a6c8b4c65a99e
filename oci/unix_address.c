/* A unix socket address for a path of any length (oci.h). */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* sun_path holds 107 bytes, while --root is the engine's (containerd's
 * k8s.io root with a 64-character id already comes near): a longer path is
 * reached through its folder, opened O_PATH, as /proc/self/fd/N/NAME, the
 * way conmon reaches its attach socket. */
int oci_unix_address(struct sockaddr_un *addr, const char *path, int *dir_fd)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	*dir_fd = -1;
	if (strlen(path) < sizeof(addr->sun_path)) {
		memcpy(addr->sun_path, path, strlen(path) + 1);
		return 0;
	}
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	char dir[PATH_MAX];
	if (!slash || dir_len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, dir_len);
	dir[dir_len] = 0;
	int fd = open(dir_len ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", fd, slash + 1) >=
	    (int)sizeof(addr->sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	*dir_fd = fd;
	return 0;
}

/* A stream socket bound (listening) or connected at PATH, the folder's fd
 * closed again once the kernel has resolved it. */
static int unix_socket_at(const char *path, bool listening)
{
	struct sockaddr_un addr;
	int dir_fd, err = oci_unix_address(&addr, path, &dir_fd);
	if (err)
		return err;
	struct sockaddr *at = (struct sockaddr *)&addr;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = -errno;
	else if (listening ? bind(fd, at, sizeof(addr)) || listen(fd, 4) : connect(fd, at, sizeof(addr)))
		err = -errno, close(fd);
	if (dir_fd >= 0)
		close(dir_fd);
	return err ? err : fd;
}

int oci_unix_listen(const char *path)
{
	return unix_socket_at(path, true);
}

int oci_unix_connect(const char *path)
{
	return unix_socket_at(path, false);
}
