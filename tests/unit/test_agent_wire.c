/* The monitor-agent protocol (agent/protocol.h): a spec the monitor sends
 * (oci/monitor_vm.c) is the spec the agent receives (agent/spec.c), and
 * malformed messages are refused rather than believed. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "../../agent/agent.h"
#include "../../agent/protocol.h"
#include "../../oci/monitor.h"

static const char config[] =
	"{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true}, \"hostname\": \"h1\","
	" \"process\": {\"args\": [\"sh\", \"-c\", \"echo a\\nb\"], \"env\": [\"A=1\", \"B=\"], \"cwd\": \"/srv\","
	" \"noNewPrivileges\": true, \"terminal\": true, \"consoleSize\": {\"height\": 40, \"width\": 132}, \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 63, \"additionalGids\": [5, 6]},"
	" \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 123, \"hard\": 456}]},"
	" \"linux\": {\"resources\": {\"pids\": {\"limit\": 77}}}}";

static void spec_round_trip(void **state)
{
	(void)state;
	struct oci_spec spec;
	char why[OCI_WHY_SIZE], agent_why[AGENT_WHY_SIZE];
	assert_int_equal(oci_spec_parse(&spec, "/b", config, strlen(config), why), 0);
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	struct monitor m = { .spec = &spec, .control = fds[0] };
	assert_int_equal(monitor_send_spec(&m, why), 0);
	static struct agent_spec got;
	assert_int_equal(agent_spec_receive(fds[1], &got, agent_why), 0);
	assert_int_equal(got.arg_count, 3);
	assert_string_equal(got.args[2], "echo a\nb");
	assert_null(got.args[3]);
	assert_int_equal(got.env_count, 2);
	assert_string_equal(got.env[1], "B=");
	assert_string_equal(got.cwd, "/srv");
	assert_string_equal(got.hostname, "h1");
	assert_int_equal(got.uid, 1000);
	assert_int_equal(got.gid, 1001);
	assert_int_equal(got.umask, 63);
	assert_int_equal(got.group_count, 2);
	assert_int_equal(got.groups[1], 6);
	assert_int_equal(got.rlimit_count, 1);
	assert_int_equal(got.rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(got.rlimits[0].soft == 123 && got.rlimits[0].hard == 456);
	assert_int_equal(got.flags, AGENT_FLAG_NO_NEW_PRIVILEGES | AGENT_FLAG_READONLY_ROOT | AGENT_FLAG_TERMINAL);
	assert_int_equal(got.rows, 40);
	assert_int_equal(got.columns, 132);
	assert_int_equal(got.pids_limit, 77);
	assert_int_equal(got.cgroup_procs, -1);
	agent_spec_free(&got);
	close(fds[0]), close(fds[1]);
	oci_spec_free(&spec);
}

/* mounts: a tmpfs and a bound file reach the agent, in order, with their
 * flags, tmpfs options and the file's bytes and mode; the kernel's own
 * filesystems (proc, the engine's /dev/shm folder) are the guest's. */
static void mounts_round_trip(void **state)
{
	(void)state;
	char file[] = "/tmp/sprig-wire-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "127.0.0.1 c1\n", 13), 13);
	assert_int_equal(fchmod(fd, 0640), 0);
	close(fd);
	char text[2048];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}},"
		 " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
		 " {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
		 "  \"options\": [\"rw\", \"nosuid\", \"size=1m\", \"tmpcopyup\", \"mode=1777\", \"uid=0,gid=0\"]},"
		 " {\"destination\": \"/dev/shm\", \"type\": \"bind\", \"source\": \"/tmp\", \"options\": [\"bind\"]},"
		 " {\"destination\": \"/etc/hosts\", \"type\": \"bind\", \"source\": \"%s\", \"options\": [\"rbind\", \"ro\", \"nodev\"]}]}",
		 file);
	struct oci_spec spec;
	char why[OCI_WHY_SIZE], agent_why[AGENT_WHY_SIZE];
	if (oci_spec_parse(&spec, "/b", text, strlen(text), why))
		fail_msg("%s", why);
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	struct monitor m = { .spec = &spec, .control = fds[0] };
	if (monitor_send_spec(&m, why))
		fail_msg("%s", why);
	static struct agent_spec got;
	assert_int_equal(agent_spec_receive(fds[1], &got, agent_why), 0);
	assert_int_equal(got.mount_count, 2);
	assert_int_equal(got.mounts[0].kind, AGENT_TMPFS);
	assert_string_equal(got.mounts[0].destination, "/scratch");
	assert_int_equal(got.mounts[0].flags, AGENT_MOUNT_NOSUID);
	assert_string_equal(got.mounts[0].data, "size=1m,mode=1777");
	assert_int_equal(got.mounts[1].kind, AGENT_FILE);
	assert_string_equal(got.mounts[1].destination, "/etc/hosts");
	assert_int_equal(got.mounts[1].flags, AGENT_MOUNT_READONLY | AGENT_MOUNT_NODEV);
	assert_int_equal(got.mounts[1].mode, 0640);
	assert_int_equal(got.mounts[1].data_len, 13);
	assert_memory_equal(got.mounts[1].data, "127.0.0.1 c1\n", 13);
	assert_int_equal(got.mounts[1].fd, -1);
	agent_spec_free(&got);
	close(fds[0]), close(fds[1]);
	oci_spec_free(&spec);
	unlink(file);
}

/* A bound file swapped for a fifo after create looked: refused when the
 * spec is sent, at once, not read (which would wait for a writer). */
static void mount_swapped_for_a_fifo(void **state)
{
	(void)state;
	char file[] = "/tmp/sprig-wire-fifo-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\","
		 " \"user\": {\"uid\": 0, \"gid\": 0}}, \"mounts\": [{\"destination\": \"/etc/hosts\", \"type\": \"bind\","
		 " \"source\": \"%s\"}]}", file);
	struct oci_spec spec;
	char why[OCI_WHY_SIZE];
	assert_int_equal(oci_spec_parse(&spec, "/b", text, strlen(text), why), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(mkfifo(file, 0600), 0);
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	struct monitor m = { .spec = &spec, .control = fds[0] };
	assert_int_equal(monitor_send_spec(&m, why), -EINVAL);
	assert_contains(why, "mounts[0] /etc/hosts");
	assert_contains(why, "is not a regular file");
	close(fds[0]), close(fds[1]);
	oci_spec_free(&spec);
	unlink(file);
}

/* Each case: the messages before SPEC_END, and whether the agent takes them. */
static int receive(const void *bytes, size_t len)
{
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_true(write(fds[0], bytes, len) == (ssize_t)len);
	close(fds[0]);
	static struct agent_spec got;
	char why[AGENT_WHY_SIZE];
	int err = agent_spec_receive(fds[1], &got, why);
	close(fds[1]);
	agent_spec_free(&got);
	return err;
}

static void malformed_refused(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
#define PUT(type, data, len)                                                   \
	do {                                                                   \
		struct agent_header h_ = { (type), (uint32_t)(len) };          \
		memcpy(buf + n, &h_, sizeof(h_));                              \
		memcpy(buf + n + sizeof(h_), (data), (len));                   \
		n += sizeof(h_) + (len);                                       \
	} while (0)
	/* A string with a NUL in it. */
	PUT(AGENT_ARG, "a\0b", 3);
	PUT(AGENT_SPEC_END, "", 0);
	assert_int_equal(receive(buf, n), -EPROTO);
	/* A pids limit that is not a u64. */
	n = 0;
	PUT(AGENT_ARG, "a", 1);
	PUT(AGENT_PIDS_LIMIT, "1234", 4);
	assert_int_equal(receive(buf, n), -EPROTO);
	/* A USER message of the wrong size. */
	n = 0;
	PUT(AGENT_ARG, "a", 1);
	PUT(AGENT_USER, "12345678", 8);
	assert_int_equal(receive(buf, n), -EPROTO);
	/* An unknown type. */
	n = 0;
	PUT(999, "x", 1);
	assert_int_equal(receive(buf, n), -EPROTO);
	/* A length over the bound. */
	n = 0;
	struct agent_header huge = { AGENT_ARG, AGENT_PAYLOAD_MAX + 1 };
	memcpy(buf, &huge, sizeof(huge));
	n = sizeof(huge);
	assert_int_equal(receive(buf, n), -EPROTO);
	/* Cut short: the host went away. */
	n = 0;
	PUT(AGENT_ARG, "abc", 3);
	assert_int_equal(receive(buf, n - 1), -EPIPE);
	/* Mounts: a relative destination, no NUL after it, a NUL in a tmpfs's
	 * options, a file over the bound, no room for the flags. */
	n = 0;
	PUT(AGENT_TMPFS, "\0\0\0\0tmp\0size=1m", 15);
	assert_int_equal(receive(buf, n), -EPROTO);
	n = 0;
	PUT(AGENT_TMPFS, "\0\0\0\0/tmp", 8);
	assert_int_equal(receive(buf, n), -EPROTO);
	n = 0;
	PUT(AGENT_TMPFS, "\0\0\0\0/tmp\0a\0b", 12);
	assert_int_equal(receive(buf, n), -EPROTO);
	n = 0;
	PUT(AGENT_FILE, "\0\0\0", 3);
	assert_int_equal(receive(buf, n), -EPROTO);
	n = 0;
	struct agent_header big = { AGENT_FILE, 8 + 3 + AGENT_FILE_MAX + 1 };
	static uint8_t big_buf[sizeof(big) + 8 + 3 + AGENT_FILE_MAX + 1];
	memcpy(big_buf, &big, sizeof(big));
	memcpy(big_buf + sizeof(big) + 8, "/f", 3);
	assert_int_equal(receive(big_buf, sizeof(big_buf)), -EPROTO);
	n = 0;
	PUT(AGENT_ARG, "a", 1);
	PUT(AGENT_CWD, "/", 1);
	PUT(AGENT_FILE, "\0\0\0\0\xa4\x01\0\0/f\0hi", 13);
	PUT(AGENT_TMPFS, "\2\0\0\0/t\0", 7);
	PUT(AGENT_SPEC_END, "", 0);
	assert_int_equal(receive(buf, n), 0);
	/* No args, or a relative cwd. */
	n = 0;
	PUT(AGENT_CWD, "/", 1);
	PUT(AGENT_SPEC_END, "", 0);
	assert_int_equal(receive(buf, n), -EINVAL);
	n = 0;
	PUT(AGENT_ARG, "a", 1);
	PUT(AGENT_CWD, "srv", 3);
	PUT(AGENT_SPEC_END, "", 0);
	assert_int_equal(receive(buf, n), -EINVAL);
	n = 0;
	PUT(AGENT_ARG, "a", 1);
	PUT(AGENT_CWD, "/srv", 4);
	PUT(AGENT_SPEC_END, "", 0);
	assert_int_equal(receive(buf, n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_round_trip),
		cmocka_unit_test(mounts_round_trip),
		cmocka_unit_test(mount_swapped_for_a_fifo),
		cmocka_unit_test(malformed_refused),
	};
	return run_group("agent wire", tests, ARRAY_SIZE(tests));
}
