/* Container records (state.h). */
#include "state.h"

#include <ctype.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../control/json.h"

static const char *const status_names[] = { "creating", "created", "running", "stopped" };

const char *oci_status_name(enum oci_status status)
{
	return status_names[status];
}

int oci_id_check(const char *id, char *why)
{
	size_t len = strlen(id);
	if (!len || len > OCI_ID_MAX)
		return snprintf(why, OCI_WHY_SIZE, "container id: 1 to %d characters", OCI_ID_MAX), -EINVAL;
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return snprintf(why, OCI_WHY_SIZE, "container id \"%s\": invalid", id), -EINVAL;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_+-.", *c))
			return snprintf(why, OCI_WHY_SIZE,
					"container id \"%.*s\": only letters, digits and _ + - . are allowed",
					OCI_ID_MAX, id),
			       -EINVAL;
	return 0;
}

int oci_state_dir(const char *root, const char *id, char *out)
{
	return snprintf(out, PATH_MAX, "%s/%s", root, id) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

uint64_t oci_pid_start_time(pid_t pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	char *p = strrchr(text, ')');
	if (!p)
		return 0;
	/* Fields 3 (state) to 22 (starttime) follow it. */
	char state = 0;
	unsigned long long start = 0;
	if (sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &state, &start) != 2 || state == 'Z' || state == 'X')
		return 0;
	return start;
}

enum oci_status oci_state_status(const struct oci_state *state)
{
	if (state->status == OCI_STOPPED || state->pid <= 0)
		return state->status == OCI_CREATING ? OCI_CREATING : OCI_STOPPED;
	uint64_t start = oci_pid_start_time(state->pid);
	if (!start || start != state->pid_start)
		return OCI_STOPPED;
	return state->status;
}

static void format(struct json_out *out, const struct oci_state *state, enum oci_status status, bool private)
{
	json_out_printf(out, "{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": ");
	json_out_string(out, state->id);
	json_out_printf(out, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ",
			status == OCI_STOPPED ? 0 : (int)state->pid, oci_status_name(status));
	json_out_string(out, state->bundle);
	json_out_printf(out, ",\n  \"rootfs\": ");
	json_out_string(out, state->rootfs);
	json_out_printf(out, ",\n  \"created\": ");
	json_out_string(out, state->created);
	json_out_printf(out, ",\n  \"owner\": \"\"");
	if (private)
		json_out_printf(out, ",\n  \"sprigPid\": %d,\n  \"sprigPidStart\": %llu,\n  \"sprigExitStatus\": %d",
				(int)state->pid, (unsigned long long)state->pid_start, state->exit_status);
	json_out_printf(out, "\n}\n");
}

int oci_state_format(const struct oci_state *state, enum oci_status status, char *buf, size_t size)
{
	struct json_out out;
	json_out_init(&out, buf, size);
	format(&out, state, status, false);
	return out.overflow ? -E2BIG : (int)out.len;
}

int oci_state_write(const char *dir, const struct oci_state *state)
{
	static char text[3 * PATH_MAX + 1024];
	struct json_out out;
	json_out_init(&out, text, sizeof(text));
	format(&out, state, state->status, true);
	if (out.overflow)
		return -E2BIG;
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/" OCI_STATE_FILE, dir);
	snprintf(tmp, sizeof(tmp), "%s/." OCI_STATE_FILE ".%d", dir, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int err = write(fd, text, out.len) == (ssize_t)out.len ? 0 : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int read_text(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	*len = 0;
	for (ssize_t n; *len < size && (n = read(fd, buf + *len, size - *len)) > 0;)
		*len += (size_t)n;
	close(fd);
	return *len == size ? -E2BIG : 0;
}

static int get_string(const struct json_doc *doc, const char *key, char *out, size_t size)
{
	int t = json_object_get(doc, 0, key);
	return t < 0 || json_string(doc, (unsigned)t, out, size) < 0 ? -EINVAL : 0;
}

static int get_int(const struct json_doc *doc, const char *key, int64_t *out)
{
	int t = json_object_get(doc, 0, key);
	return t < 0 ? -EINVAL : json_int64(doc, (unsigned)t, out);
}

int oci_state_read(const char *dir, struct oci_state *state, char *why)
{
	static char text[3 * PATH_MAX + 1024];
	static struct json_token tokens[64];
	struct json_doc doc = JSON_DOC(tokens);
	char path[PATH_MAX + 32], status[16], error[JSON_ERROR_SIZE];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/" OCI_STATE_FILE, dir);
	*state = (struct oci_state){ 0 };
	int err = read_text(path, text, sizeof(text), &len);
	if (err)
		return snprintf(why, OCI_WHY_SIZE, "%s: %s", path, strerror(-err)), err;
	int64_t pid, start, exit_status;
	if (json_parse(&doc, text, len, error) || doc.tokens[0].type != JSON_OBJECT ||
	    get_string(&doc, "id", state->id, sizeof(state->id)) ||
	    get_string(&doc, "bundle", state->bundle, sizeof(state->bundle)) ||
	    get_string(&doc, "rootfs", state->rootfs, sizeof(state->rootfs)) ||
	    get_string(&doc, "created", state->created, sizeof(state->created)) ||
	    get_string(&doc, "status", status, sizeof(status)) || get_int(&doc, "sprigPid", &pid) ||
	    get_int(&doc, "sprigPidStart", &start) || get_int(&doc, "sprigExitStatus", &exit_status) ||
	    pid < 0 || pid > INT32_MAX || start < 0 || exit_status < 0 || exit_status > 255)
		return snprintf(why, OCI_WHY_SIZE, "%s: damaged", path), -EINVAL;
	state->status = OCI_STOPPED + 1;
	for (int i = OCI_CREATING; i <= OCI_STOPPED; i++)
		if (!strcmp(status, status_names[i]))
			state->status = (enum oci_status)i;
	if (state->status > OCI_STOPPED)
		return snprintf(why, OCI_WHY_SIZE, "%s: damaged (status \"%s\")", path, status), -EINVAL;
	state->pid = (pid_t)pid;
	state->pid_start = (uint64_t)start;
	state->exit_status = (int)exit_status;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int oci_remove_dir(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT ? -errno : 0;
}
