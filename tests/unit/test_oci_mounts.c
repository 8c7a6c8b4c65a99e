/* The spec's mounts (oci/spec.c reads them, oci/mounts.c says what a VM
 * makes of each): destinations checked as read, and what cannot be given
 * without a shared filesystem refused with the mount's name. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "helpers.h"
#include "../../agent/protocol.h"
#include "../../oci/mounts.h"

static int parse(struct oci_spec *spec, const char *mounts, char *why)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"], "
		 "\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, \"mounts\": %s}", mounts);
	return oci_spec_parse(spec, "/b", text, strlen(text), why);
}

struct refused_case {
	const char *name, *mounts, *says;
};

static const struct refused_case refused_cases[] = {
	{ "a relative destination", "[{\"destination\": \"etc/x\"}]", "mounts[0].destination \"etc/x\": not an absolute path" },
	{ "a .. component", "[{\"destination\": \"/a/../../etc\"}]", "a \"..\" component" },
	{ "a trailing ..", "[{\"destination\": \"/a/..\"}]", "a \"..\" component" },
	{ "no destination", "[{\"type\": \"tmpfs\"}]", "mounts[0].destination: missing" },
	{ "not an object", "[\"/x\"]", "mounts[0]: a string, not an object" },
	{ "options not strings", "[{\"destination\": \"/x\", \"options\": [1]}]", "mounts[0].options[0]: a number" },
	{ "a type that is a number", "[{\"destination\": \"/x\", \"type\": 5}]", "mounts[0].type: a number" },
	{ "mounts not an array", "{}", "mounts: an object, not an array" },
};

static void refused_when_read(void **state)
{
	const struct refused_case *c = *state;
	struct oci_spec spec;
	char why[OCI_WHY_SIZE] = "";
	assert_int_not_equal(parse(&spec, c->mounts, why), 0);
	assert_contains(why, c->says);
	oci_spec_free(&spec);
}

static void dot_dot_in_names_is_fine(void **state)
{
	(void)state;
	struct oci_spec spec;
	char why[OCI_WHY_SIZE] = "";
	assert_int_equal(parse(&spec, "[{\"destination\": \"/a..b/..c\", \"type\": \"tmpfs\"}]", why), 0);
	assert_int_equal(spec.mount_count, 1);
	assert_string_equal(spec.mounts[0].source, "");
	assert_null(spec.mounts[0].options[0]);
	oci_spec_free(&spec);
}

/* A bind mount's relative source is the bundle's; a tmpfs's source is a
 * name, left as it is. */
static void relative_bind_source(void **state)
{
	(void)state;
	struct oci_spec spec;
	char why[OCI_WHY_SIZE] = "";
	assert_int_equal(parse(&spec, "[{\"destination\": \"/h\", \"source\": \"files/hosts\", \"options\": [\"rbind\"]},"
				      " {\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},"
				      " {\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/abs\"}]", why), 0);
	assert_string_equal(spec.mounts[0].source, "/b/files/hosts");
	assert_string_equal(spec.mounts[1].source, "tmpfs");
	assert_string_equal(spec.mounts[2].source, "/abs");
	oci_spec_free(&spec);
}

static void too_many(void **state)
{
	(void)state;
	static char mounts[OCI_MOUNTS_MAX * 40 + 64];
	size_t n = 0;
	n += (size_t)snprintf(mounts + n, sizeof(mounts) - n, "[");
	for (unsigned i = 0; i <= OCI_MOUNTS_MAX; i++)
		n += (size_t)snprintf(mounts + n, sizeof(mounts) - n, "%s{\"destination\": \"/m%u\"}", i ? "," : "", i);
	snprintf(mounts + n, sizeof(mounts) - n, "]");
	struct oci_spec spec;
	char why[OCI_WHY_SIZE] = "";
	char text[sizeof(mounts) + 256];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"], "
		 "\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, \"mounts\": %s}", mounts);
	assert_int_equal(oci_spec_parse(&spec, "/b", text, strlen(text), why), -E2BIG);
	assert_contains(why, "mounts: 129 entries");
	oci_spec_free(&spec);
}

/* What a VM makes of each kind, and the refusals naming the mount. */
static void uses(void **state)
{
	(void)state;
	char file[] = "/tmp/sprig-mounts-XXXXXX", big[] = "/tmp/sprig-mounts-big-XXXXXX";
	int fd = mkstemp(file);
	close(fd);
	fd = mkstemp(big);
	assert_int_equal(ftruncate(fd, AGENT_FILE_MAX + 1), 0);
	close(fd);
	char mounts[1024];
	snprintf(mounts, sizeof(mounts),
		 "[{\"destination\": \"/proc\", \"type\": \"proc\"}, {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\"},"
		 " {\"destination\": \"/dev/shm\", \"type\": \"bind\", \"source\": \"/tmp\"},"
		 " {\"destination\": \"/run\", \"type\": \"tmpfs\", \"options\": [\"size=65536k\", \"ro\", \"noexec\"]},"
		 " {\"destination\": \"/etc/hosts\", \"source\": \"%s\", \"options\": [\"rbind\"]},"
		 " {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/tmp\"},"
		 " {\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/no/such/file\"},"
		 " {\"destination\": \"/y\", \"type\": \"nfs\", \"source\": \"server:/e\"},"
		 " {\"destination\": \"/big\", \"type\": \"bind\", \"source\": \"%s\"},"
		 " {\"destination\": \"/null\", \"type\": \"bind\", \"source\": \"/dev/null\"}]",
		 file, big);
	struct oci_spec spec;
	char why[OCI_WHY_SIZE] = "";
	if (parse(&spec, mounts, why))
		fail_msg("%s", why);
	static const struct {
		int err;
		enum oci_mount_use use;
		const char *says;
	} want[] = {
		{ 0, OCI_MOUNT_GUEST, NULL }, { 0, OCI_MOUNT_GUEST, NULL }, { 0, OCI_MOUNT_GUEST, NULL },
		{ 0, OCI_MOUNT_TMPFS, NULL }, { 0, OCI_MOUNT_FILE, NULL },
		{ -EINVAL, 0, "mounts[5] /data: a bind mount of a directory (/tmp) needs a filesystem shared with the VM" },
		{ -ENOENT, 0, "mounts[6] /x: source /no/such/file: No such file or directory" },
		{ -EINVAL, 0, "mounts[7] /y: type \"nfs\": a VM makes tmpfs mounts and binds files" },
		{ -EFBIG, 0, "is over 128 KiB" },
		{ -EINVAL, 0, "mounts[9] /null: /dev/null is not a regular file" },
	};
	assert_int_equal(spec.mount_count, ARRAY_SIZE(want));
	for (unsigned i = 0; i < spec.mount_count; i++) {
		enum oci_mount_use use = OCI_MOUNT_GUEST;
		int err = oci_mount_use(&spec.mounts[i], i, &use, why);
		assert_int_equal(err, want[i].err);
		if (err)
			assert_contains(why, want[i].says);
		else
			assert_int_equal(use, want[i].use);
	}
	assert_int_equal(oci_mount_flags(&spec.mounts[3]), AGENT_MOUNT_READONLY | AGENT_MOUNT_NOEXEC);
	char data[64];
	assert_int_equal(oci_mount_tmpfs_data(&spec.mounts[3], data, sizeof(data)), 0);
	assert_string_equal(data, "size=65536k");
	assert_int_equal(oci_mount_tmpfs_data(&spec.mounts[3], data, 5), -E2BIG);
	assert_int_equal(oci_mounts_check(&spec, why), -EINVAL);
	assert_contains(why, "mounts[5] /data");
	oci_spec_free(&spec);
	unlink(file), unlink(big);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(dot_dot_in_names_is_fine),
		cmocka_unit_test(too_many),
		cmocka_unit_test(relative_bind_source),
		cmocka_unit_test(uses),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(refused_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, refused_cases, refused_when_read, NULL, NULL);
	return run_group("test_oci_mounts", tests, n);
}
