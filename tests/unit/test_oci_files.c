/* Small file helpers of oci/: a child's last line for an error
 * (last_line.c), and unix socket addresses for paths of any length
 * (unix_address.c), bound and connected for real. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "../../oci/oci.h"

static char folder[PATH_MAX];

static int make_folder(void **state)
{
	(void)state;
	snprintf(folder, sizeof(folder), "/tmp/sprig-oci-files-XXXXXX");
	return mkdtemp(folder) ? 0 : -1;
}

static int remove_folder(void **state)
{
	(void)state;
	char command[PATH_MAX + 16];
	snprintf(command, sizeof(command), "rm -rf '%s'", folder);
	return system(command) == 0 ? 0 : -1;
}

static const char *write_file_n(const char *name, const char *text, size_t len)
{
	static char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", folder, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static const char *write_file(const char *name, const char *text)
{
	return write_file_n(name, text, strlen(text));
}

static void last_lines(void **state)
{
	(void)state;
	char line[64];
	oci_last_line("/nonexistent/sprig/file", line, sizeof(line));
	assert_string_equal(line, "");
	oci_last_line(write_file("empty", ""), line, sizeof(line));
	assert_string_equal(line, "");
	oci_last_line(write_file("two", "first\nsprig: the reason\n\n \r\n"), line, sizeof(line));
	assert_string_equal(line, "sprig: the reason");
	oci_last_line(write_file("one", "no newline"), line, sizeof(line));
	assert_string_equal(line, "no newline");
	/* What the guest wrote: escapes and bytes above ASCII are dropped. */
	oci_last_line(write_file("hostile", "a\n\033[2Jx\xff\xfey\x07z"), line, sizeof(line));
	assert_string_equal(line, "[2Jxyz");
	char line4[4];
	oci_last_line(write_file("short", "abcdef\n"), line4, sizeof(line4));
	assert_string_equal(line4, "abc");
}

/* A long file: only its tail is read, and a last line longer than that
 * tail comes back as the tail's part of it. */
static void long_files(void **state)
{
	(void)state;
	static char text[8192];
	memset(text, 'x', sizeof(text));
	memcpy(text + 4000, "\nend line\n", 10);
	char line[64];
	oci_last_line(write_file_n("long", text, 4010), line, sizeof(line));
	assert_string_equal(line, "end line");
	char big[1024];
	oci_last_line(write_file_n("oneline", text, 3000), big, sizeof(big));
	assert_int_equal(strlen(big), 511);
}

/* PATH's address (through its folder when it is long), then a socket
 * listening there and one connected to it. */
static void bind_and_connect(const char *path, bool through_folder)
{
	struct sockaddr_un addr;
	int dir_fd;
	assert_int_equal(oci_unix_address(&addr, path, &dir_fd), 0);
	assert_true(through_folder ? dir_fd >= 0 : dir_fd == -1);
	if (dir_fd >= 0)
		close(dir_fd);
	int server = oci_unix_listen(path);
	assert_true(server >= 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	int client = oci_unix_connect(path);
	assert_true(client >= 0);
	close(client);
	close(server);
	unlink(path);
}

static void socket_paths(void **state)
{
	(void)state;
	char path[PATH_MAX + 512];
	snprintf(path, sizeof(path), "%s/s", folder);
	bind_and_connect(path, false);
	/* 200 bytes of folders: past sun_path, reached through the folder. */
	snprintf(path, sizeof(path), "%s/%0100d/%0100d", folder, 1, 2);
	char command[sizeof(path) + 16];
	snprintf(command, sizeof(command), "mkdir -p '%s'", path);
	assert_int_equal(system(command), 0);
	strcat(path, "/monitor.sock");
	assert_true(strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path));
	bind_and_connect(path, true);
	/* A name that alone passes sun_path, a path with no folder. */
	char name[PATH_MAX + 256];
	snprintf(name, sizeof(name), "%s/%0150d", folder, 3);
	struct sockaddr_un addr;
	int dir_fd;
	assert_int_equal(oci_unix_address(&addr, name, &dir_fd), -ENAMETOOLONG);
	assert_int_equal(dir_fd, -1);
	snprintf(name, sizeof(name), "%s/no-such-folder/%0120d/x.sock", folder, 4);
	assert_int_equal(oci_unix_address(&addr, name, &dir_fd), -ENOENT);
	assert_int_equal(dir_fd, -1);
	assert_int_equal(oci_unix_connect(name), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(last_lines, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(long_files, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(socket_paths, make_folder, remove_folder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
