/* A file's last line, for an error that names what a child wrote (oci.h). */
#include "oci.h"

#include <fcntl.h>
#include <unistd.h>

/* The guest, or a tool given the bundle's files, wrote it: only printable
 * ASCII is kept, and only the last 511 bytes are read. */
void oci_last_line(const char *path, char *line, size_t size)
{
	char tail[512];
	line[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END), from = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
	ssize_t n = pread(fd, tail, sizeof(tail) - 1, from);
	close(fd);
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' '))
		n--;
	ssize_t start = n;
	while (start > 0 && tail[start - 1] != '\n')
		start--;
	size_t out = 0;
	for (ssize_t k = start; k < n && out + 1 < size; k++)
		if (tail[k] >= 0x20 && tail[k] < 0x7f)
			line[out++] = tail[k];
	line[out] = 0;
}
