/* Where a container's cgroup is (oci/cgroup.c): linux.cgroupsPath read as
 * runc reads it - cgroupfs paths absolute or beside our cgroup, systemd's
 * slice:prefix:name - and never a folder outside the cgroup root. */
#include <errno.h>
#include <limits.h>

#include "helpers.h"
#include "../../oci/cgroup.h"

struct place {
	const char *path;  /* linux.cgroupsPath, or NULL */
	bool systemd;
	const char *own;   /* our cgroup */
	const char *want;  /* the folder, or the refusal's text */
	int err;
};

static const struct place places[] = {
	{ "/libpod_parent/libpod-c0ffee", false, "/", "/sys/fs/cgroup/libpod_parent/libpod-c0ffee", 0 },
	{ "/a//b/./c/", false, "/x", "/sys/fs/cgroup/a/b/c", 0 },
	/* relative: beside our own cgroup (in its parent), as runc's fs2 */
	{ "k8s/pod1/c1", false, "/user.slice/session-3.scope", "/sys/fs/cgroup/user.slice/k8s/pod1/c1", 0 },
	{ NULL, false, "/system.slice/containerd.service", "/sys/fs/cgroup/system.slice/ctr1", 0 },
	{ NULL, false, "/", "/sys/fs/cgroup/ctr1", 0 },
	/* systemd: the slice's parents, then prefix-name.scope */
	{ "machine.slice:libpod:c0ffee", true, "/", "/sys/fs/cgroup/machine.slice/libpod-c0ffee.scope", 0 },
	{ "user-1000.slice:crio:ab", true, "/", "/sys/fs/cgroup/user.slice/user-1000.slice/crio-ab.scope", 0 },
	{ "a-b-c.slice:p:n", true, "/", "/sys/fs/cgroup/a.slice/a-b.slice/a-b-c.slice/p-n.scope", 0 },
	{ ":runc:x", true, "/", "/sys/fs/cgroup/system.slice/runc-x.scope", 0 },
	{ "-.slice:p:n", true, "/", "/sys/fs/cgroup/p-n.scope", 0 },
	{ "system.slice:p:", true, "/", "/sys/fs/cgroup/system.slice/p-ctr1.scope", 0 },
	{ "system.slice::n", true, "/", "/sys/fs/cgroup/system.slice/n.scope", 0 },
	{ "machine.slice:p:pod.slice", true, "/", "/sys/fs/cgroup/machine.slice/pod.slice", 0 },
	/* refused: out of the root, the root itself, not systemd's form */
	{ "/a/../../etc", false, "/", "linux.cgroupsPath: a \"..\" component", -EINVAL },
	{ "../x", false, "/a/b", "linux.cgroupsPath: a \"..\" component", -EINVAL },
	{ "/", false, "/", "linux.cgroupsPath: names the root cgroup", -EINVAL },
	{ "machine.slice:libpod", true, "/", "not slice:prefix:name", -EINVAL },
	{ "a:b:c:d", true, "/", "not slice:prefix:name", -EINVAL },
	{ "machine:p:n", true, "/", "\"machine\" is not a slice", -EINVAL },
	{ "a--b.slice:p:n", true, "/", "\"a--b.slice\" is not a slice", -EINVAL },
	{ "-a.slice:p:n", true, "/", "is not a slice", -EINVAL },
	{ "a-.slice:p:n", true, "/", "is not a slice", -EINVAL },
	{ "machine.slice:p:../../x", true, "/", "a '/' in the unit", -EINVAL },
	{ "machine.slice:p:..", true, "/", "/sys/fs/cgroup/machine.slice/p-...scope", 0 },
};

static void resolved(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		const struct place *p = &places[i];
		char out[PATH_MAX], why[OCI_WHY_SIZE] = "";
		int err = oci_cgroup_resolve(p->path, p->systemd, "ctr1", p->own, out, sizeof(out), why);
		if (p->err) {
			assert_int_equal(err, p->err);
			assert_contains(why, p->want);
		} else {
			assert_int_equal(err, 0);
			assert_string_equal(out, p->want);
		}
	}
}

static void too_long(void **state)
{
	(void)state;
	char path[3000], out[PATH_MAX], why[OCI_WHY_SIZE] = "";
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/', path[sizeof(path) - 1] = 0;
	for (size_t i = 100; i < sizeof(path) - 1; i += 100)
		path[i] = '/';
	assert_int_equal(oci_cgroup_resolve(path, false, "c", "/", out, 1024, why), -EINVAL);
	assert_contains(why, "too long");
}

/* runc's shares-to-weight line: 2 -> 1, 1024 -> 39, 262144 -> 10000. */
static void weight_from_shares(void **state)
{
	(void)state;
	assert_int_equal(oci_cgroup_weight(2), 1);
	assert_int_equal(oci_cgroup_weight(0), 1);
	assert_int_equal(oci_cgroup_weight(1024), 39);
	assert_int_equal(oci_cgroup_weight(262144), 10000);
	assert_int_equal(oci_cgroup_weight(1ull << 40), 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolved),
		cmocka_unit_test(too_long),
		cmocka_unit_test(weight_from_shares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
