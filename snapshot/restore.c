/* Reading a snapshot back (snapshot.h): the state file checked whole
 * before anything is made from it, then the config, the memory, the CPU
 * model check, the KVM state and the devices, each refusing what it
 * cannot honour with one line. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(char *why, int err, const char *format, const char *detail)
{
	snprintf(why, SNAPSHOT_WHY_SIZE, format, detail);
	return err;
}

/* `path` opened for reading (never blocking on a FIFO) and its stat: the
 * fd, or -errno with `why`. */
static int open_file(const char *path, struct stat *st, char *why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && !fstat(fd, st))
		return fd;
	int err = -errno;
	if (fd >= 0)
		close(fd);
	snprintf(why, SNAPSHOT_WHY_SIZE, "%.300s: %s", path, strerror(-err));
	return err;
}

static int read_state(const char *path, uint8_t **out, size_t *len, char *why)
{
	struct stat st;
	int fd = open_file(path, &st, why);
	if (fd < 0)
		return fd;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SNAPSHOT_STATE_MAX) {
		close(fd);
		return refuse(why, -EINVAL, "%.300s: not a state file (not a regular file, or too large)", path);
	}
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return refuse(why, -EIO, "%.300s: could not be read whole", path);
	}
	*out = buf;
	*len = got;
	return 0;
}

int snapshot_open(struct snapshot_image *img, const char *dir, char *why)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->dir, sizeof(img->dir), "%s", dir);
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_STATE_FILE);
	int err = read_state(path, &img->bytes, &img->len, why);
	if (err)
		return err;
	char detail[SNAPSHOT_WHY_SIZE];
	if ((err = snapshot_read(img->bytes, img->len, &img->view, detail))) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "%.200s: %.300s", path, detail);
		snapshot_close(img);
		return err;
	}
	const struct snapshot_memory *m = snapshot_find_exact(&img->view, SNAP_MEMORY, 0, sizeof(*m));
	if (!m || m->backend > MEM_BACKEND_FILE || m->in_folder > 1 || !snapshot_find(&img->view, SNAP_CONFIG, 0)) {
		snapshot_close(img);
		return refuse(why, -EINVAL, "%.300s: damaged state file: no config or memory section", path);
	}
	img->memory = *m;
	return 0;
}

void snapshot_close(struct snapshot_image *img)
{
	snapshot_view_free(&img->view);
	free(img->bytes);
	img->bytes = NULL;
}

int snapshot_config(struct snapshot_image *img, struct config *c, char *why)
{
	const struct snapshot_section *s = snapshot_find(&img->view, SNAP_CONFIG, 0);
	char error[CONFIG_ERROR_SIZE], name[CONFIG_PATH_MAX + 16];
	if (!s)
		return refuse(why, -EINVAL, "damaged state file: %s", "no config section");
	snprintf(name, sizeof(name), "%s/%s", img->dir, SNAPSHOT_STATE_FILE);
	config_defaults(c);
	if (config_parse_text(c, name, (const char *)s->data, (size_t)s->len, error) || config_check(c, error))
		return refuse(why, -EINVAL, "damaged state file: its config: %.400s", error);
	if (c->mem != img->memory.size)
		return refuse(why, -EINVAL, "damaged state file: %s", "its config and memory sections disagree");
	return 0;
}

int snapshot_memory_map(struct snapshot_image *img, const struct config *c, struct guest_mem *mem, bool copy,
			char *why)
{
	char path[CONFIG_PATH_MAX + 16];
	if (img->memory.in_folder)
		snprintf(path, sizeof(path), "%s/%s", img->dir, SNAPSHOT_MEMORY_FILE);
	else
		snprintf(path, sizeof(path), "%s", c->mem_path);
	struct stat st;
	int fd = open_file(path, &st, why);
	if (fd < 0)
		return fd;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != img->memory.size) {
		close(fd);
		snprintf(why, SNAPSHOT_WHY_SIZE, "%.300s: %llu bytes, the snapshot's memory is %llu", path,
			 (unsigned long long)st.st_size, (unsigned long long)img->memory.size);
		return -EINVAL;
	}
	int err = guest_mem_init_snapshot(mem, fd, img->memory.size, copy);
	if (err)
		snprintf(why, SNAPSHOT_WHY_SIZE, "%.300s: %s", path, strerror(-err));
	return err;
}
