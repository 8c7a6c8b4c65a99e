/* The monitor-agent protocol (agent/protocol.h): a spec the monitor sends
 * (oci/monitor_vm.c) is the spec the agent receives (agent/spec.c), and
 * malformed messages are refused rather than believed. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
		cmocka_unit_test(malformed_refused),
	};
	return run_group("agent wire", tests, ARRAY_SIZE(tests));
}
