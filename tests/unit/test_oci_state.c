/* Container records (oci/state.c): ids as runc allows them, state.json
 * written and read back, a dead or reused pid seen as stopped, and the
 * `state` output's shape. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "../../oci/state.h"

static void ids(void **state)
{
	(void)state;
	char why[OCI_WHY_SIZE];
	assert_int_equal(oci_id_check("abc_DEF-1.2+3", why), 0);
	assert_int_equal(oci_id_check("a", why), 0);
	assert_int_equal(oci_id_check("", why), -EINVAL);
	assert_int_equal(oci_id_check(".", why), -EINVAL);
	assert_int_equal(oci_id_check("..", why), -EINVAL);
	assert_int_equal(oci_id_check("a/b", why), -EINVAL);
	assert_string_equal(why, "container id \"a/b\": only letters, digits and _ + - . are allowed");
	assert_int_equal(oci_id_check("a b", why), -EINVAL);
	assert_int_equal(oci_id_check("\xc3\xa9", why), -EINVAL);
	char long_id[OCI_ID_MAX + 2];
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[OCI_ID_MAX + 1] = 0;
	assert_int_equal(oci_id_check(long_id, why), -EINVAL);
	long_id[OCI_ID_MAX] = 0;
	assert_int_equal(oci_id_check(long_id, why), 0);
}

static struct oci_state sample(void)
{
	struct oci_state s = { .status = OCI_RUNNING, .pid = getpid(), .exit_status = 0 };
	snprintf(s.id, sizeof(s.id), "web-1");
	snprintf(s.bundle, sizeof(s.bundle), "/b/\"quoted\"\\dir");
	snprintf(s.rootfs, sizeof(s.rootfs), "/b/rootfs");
	snprintf(s.created, sizeof(s.created), "2026-12-06T11:00:00.000000001Z");
	s.pid_start = oci_pid_start_time(s.pid);
	return s;
}

static void round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/oci-state-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct oci_state s = sample(), back;
	char why[OCI_WHY_SIZE];
	assert_true(s.pid_start > 0);
	assert_int_equal(oci_state_write(dir, &s), 0);
	assert_int_equal(oci_state_read(dir, &back, why), 0);
	assert_string_equal(back.id, s.id);
	assert_string_equal(back.bundle, s.bundle);
	assert_string_equal(back.rootfs, s.rootfs);
	assert_string_equal(back.created, s.created);
	assert_int_equal(back.status, OCI_RUNNING);
	assert_int_equal(back.pid, s.pid);
	assert_true(back.pid_start == s.pid_start);
	/* This process is alive and is the one recorded. */
	assert_int_equal(oci_state_status(&back), OCI_RUNNING);
	char path[64];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
	assert_int_equal(oci_state_read(dir, &back, why), -ENOENT);
	rmdir(dir);
}

static void gone_or_reused_pid_is_stopped(void **state)
{
	(void)state;
	struct oci_state s = sample();
	s.pid_start += 1;  /* the pid now names another process */
	assert_int_equal(oci_state_status(&s), OCI_STOPPED);
	pid_t child = fork();
	if (!child)
		_exit(0);
	waitpid(child, NULL, 0);
	s = sample();
	s.pid = child;
	assert_int_equal(oci_state_status(&s), OCI_STOPPED);
	/* A zombie is not running either: its start time reads 0 once it has
	 * exited (waited for up to 5 s, for a loaded machine). */
	child = fork();
	if (!child)
		_exit(0);
	int tries = 0;
	while (oci_pid_start_time(child) && tries++ < 5000)
		usleep(1000);
	assert_true(oci_pid_start_time(child) == 0);
	assert_int_equal(kill(child, 0), 0);  /* still there, unreaped */
	waitpid(child, NULL, 0);
	/* Created and stopped are as recorded. */
	s = sample();
	s.status = OCI_CREATED;
	assert_int_equal(oci_state_status(&s), OCI_CREATED);
	s.status = OCI_STOPPED;
	assert_int_equal(oci_state_status(&s), OCI_STOPPED);
}

static void state_output(void **state)
{
	(void)state;
	struct oci_state s = sample();
	char buf[4096], want[4096];
	assert_true(oci_state_format(&s, OCI_RUNNING, buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want),
		 "{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": \"web-1\",\n  \"pid\": %d,\n  \"status\": \"running\",\n"
		 "  \"bundle\": \"/b/\\\"quoted\\\"\\\\dir\",\n  \"rootfs\": \"/b/rootfs\",\n"
		 "  \"created\": \"2026-12-06T11:00:00.000000001Z\",\n  \"owner\": \"\"\n}\n",
		 (int)getpid());
	assert_string_equal(buf, want);
	/* Stopped: pid 0, as runc prints it. */
	assert_true(oci_state_format(&s, OCI_STOPPED, buf, sizeof(buf)) > 0);
	assert_contains(buf, "\"pid\": 0,\n  \"status\": \"stopped\"");
	assert_int_equal(oci_state_format(&s, OCI_RUNNING, buf, 40), -E2BIG);
}

static void damaged_records_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "[]", "{\"id\": \"x\"}",
		"{\"id\": \"x\", \"bundle\": \"/b\", \"rootfs\": \"/r\", \"created\": \"t\", \"status\": \"paused\","
		" \"sprigPid\": 1, \"sprigPidStart\": 1, \"sprigExitStatus\": 0}",
		"{\"id\": \"x\", \"bundle\": \"/b\", \"rootfs\": \"/r\", \"created\": \"t\", \"status\": \"running\","
		" \"sprigPid\": -1, \"sprigPidStart\": 1, \"sprigExitStatus\": 0}",
		"{\"id\": \"x\", \"bundle\": \"/b\", \"rootfs\": \"/r\", \"created\": \"t\", \"status\": \"running\","
		" \"sprigPid\": 1, \"sprigPidStart\": 1, \"sprigExitStatus\": 256}",
	};
	char dir[] = "/tmp/oci-state-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64], why[OCI_WHY_SIZE];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(write(fd, bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]));
		close(fd);
		struct oci_state s;
		assert_int_equal(oci_state_read(dir, &s, why), -EINVAL);
		assert_contains(why, "damaged");
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(gone_or_reused_pid_is_stopped),
		cmocka_unit_test(state_output),
		cmocka_unit_test(damaged_records_refused),
	};
	return run_group("oci state", tests, ARRAY_SIZE(tests));
}
