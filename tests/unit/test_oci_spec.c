/* An OCI bundle's config.json (oci/spec.c): what an engine writes is read
 * whole, the rest of the document is read past, and every bad field is
 * refused with a line that names it. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "../../oci/spec.h"

/* Shaped like what podman 4 writes for `podman run -m 300m --cpus 1.5
 * --ulimit nofile=1024:2048 -w /srv -u 1000:1000 busybox sh -c 'echo hi'`,
 * trimmed: mounts, namespaces, capabilities and a seccomp profile that
 * the VM runtime reads past. */
static const char podman_like[] =
	"{\"ociVersion\": \"1.0.2-dev\",\n"
	" \"process\": {\"user\": {\"uid\": 1000, \"gid\": 1000, \"umask\": 18, \"additionalGids\": [10, 20]},\n"
	"  \"args\": [\"sh\", \"-c\", \"echo \\\"hi\\\" \\u00e9\"],\n"
	"  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\",\n"
	"           \"container=podman\", \"EMPTY=\"],\n"
	"  \"cwd\": \"/srv\", \"terminal\": false, \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
	"  \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\"], \"effective\": [\"CAP_CHOWN\"]},\n"
	"  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 2048, \"soft\": 1024},\n"
	"              {\"type\": \"RLIMIT_NPROC\", \"hard\": 18446744073709551615, \"soft\": 4194304}],\n"
	"  \"noNewPrivileges\": true, \"oomScoreAdj\": 0},\n"
	" \"root\": {\"path\": \"rootfs\", \"readonly\": false},\n"
	" \"hostname\": \"c0ffee\",\n"
	" \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\", \"options\": [\"nosuid\"]},\n"
	"             {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"mode=755\"]}],\n"
	" \"annotations\": {\"io.podman.annotations.autoremove\": \"TRUE\"},\n"
	" \"linux\": {\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],\n"
	"   \"memory\": {\"limit\": 314572800, \"swap\": 629145600},\n"
	"   \"cpu\": {\"quota\": 150000, \"period\": 100000, \"cpus\": \"0-3,8\"}, \"pids\": {\"limit\": 2048}},\n"
	"  \"cgroupsPath\": \"machine.slice:libpod:c0ffee\",\n"
	"  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/run/netns/x\"}],\n"
	"  \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\", \"write\"],\n"
	"   \"action\": \"SCMP_ACT_ALLOW\"}]}, \"maskedPaths\": [\"/proc/kcore\"]}}\n";

static void reads_what_podman_writes(void **state)
{
	(void)state;
	struct oci_spec s;
	char why[OCI_WHY_SIZE] = "";
	assert_int_equal(oci_spec_parse(&s, "/b/c0ffee", podman_like, strlen(podman_like), why), 0);
	assert_string_equal(s.version, "1.0.2-dev");
	assert_string_equal(s.root_path, "/b/c0ffee/rootfs");
	assert_false(s.root_readonly);
	assert_string_equal(s.hostname, "c0ffee");
	assert_true(s.has_process);
	assert_int_equal(s.process.arg_count, 3);
	assert_string_equal(s.process.args[2], "echo \"hi\" \xc3\xa9");
	assert_null(s.process.args[3]);
	assert_int_equal(s.process.env_count, 4);
	assert_string_equal(s.process.env[3], "EMPTY=");
	assert_null(s.process.env[4]);
	assert_string_equal(s.process.cwd, "/srv");
	assert_int_equal(s.process.uid, 1000);
	assert_int_equal(s.process.gid, 1000);
	assert_true(s.process.has_umask);
	assert_int_equal(s.process.umask, 022);
	assert_int_equal(s.process.additional_gid_count, 2);
	assert_int_equal(s.process.additional_gids[1], 20);
	assert_false(s.process.terminal);
	assert_int_equal(s.process.console_rows, 24);
	assert_int_equal(s.process.console_columns, 80);
	assert_true(s.process.no_new_privileges);
	assert_int_equal(s.process.rlimit_count, 2);
	assert_int_equal(s.process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s.process.rlimits[0].soft, 1024);
	assert_int_equal(s.process.rlimits[0].hard, 2048);
	assert_int_equal(s.process.rlimits[1].resource, RLIMIT_NPROC);
	assert_true(s.process.rlimits[1].hard == UINT64_MAX);
	assert_int_equal(s.memory_limit, 314572800);
	assert_int_equal(s.cpu_quota, 150000);
	assert_int_equal(s.cpu_period, 100000);
	assert_int_equal(s.cpuset_count, 5);
	assert_string_equal(s.cpuset, "0-3,8");
	assert_int_equal(s.pids_limit, 2048);
	assert_int_equal(s.cpu_shares, 0);
	assert_string_equal(s.cgroups_path, "machine.slice:libpod:c0ffee");
	/* 300 MiB; 1.5 CPUs of quota make 2 vCPUs (the quota wins over the set). */
	assert_int_equal(oci_spec_vm_mem_mib(&s), 300);
	assert_int_equal(oci_spec_vm_cpus(&s), 2);
	oci_spec_free(&s);
}

static void minimal_bundle_and_defaults(void **state)
{
	(void)state;
	static const char text[] = "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"/abs/root\"},"
				   " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\","
				   " \"user\": {\"uid\": 0, \"gid\": 0}}}";
	struct oci_spec s;
	char why[OCI_WHY_SIZE];
	assert_int_equal(oci_spec_parse(&s, "/b", text, strlen(text), why), 0);
	assert_string_equal(s.root_path, "/abs/root");
	assert_int_equal(s.process.env_count, 0);
	assert_false(s.process.has_umask);
	assert_string_equal(s.hostname, "");
	assert_int_equal(oci_spec_vm_mem_mib(&s), 256);
	assert_int_equal(oci_spec_vm_cpus(&s), 1);
	oci_spec_free(&s);
	/* No process: a bundle may leave it out until start. */
	static const char bare[] = "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}}";
	assert_int_equal(oci_spec_parse(&s, "/b", bare, strlen(bare), why), 0);
	assert_false(s.has_process);
	oci_spec_free(&s);
}

static void vm_size_from_limits(void **state)
{
	(void)state;
	struct oci_spec s = { .memory_limit = 6 << 20 };
	assert_int_equal(oci_spec_vm_mem_mib(&s), 128);  /* the floor */
	s.memory_limit = (1 << 30) + 1;
	assert_int_equal(oci_spec_vm_mem_mib(&s), 1025);
	s.cpuset_count = 3;
	assert_int_equal(oci_spec_vm_cpus(&s), 3);
	s.cpu_quota = 50000, s.cpu_period = 100000;
	assert_int_equal(oci_spec_vm_cpus(&s), 1);
	s.cpu_quota = 100000000, s.cpu_period = 1000;
	assert_int_equal(oci_spec_vm_cpus(&s), 64);  /* the cap */
}

struct refusal {
	const char *name;
	const char *text;
	int err;
	const char *why;
};

#define PROC(x) "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {" x "}}"
#define OK_PROC "\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}"
static const struct refusal refusals[] = {
	{ "refused: not JSON", "{\"ociVersion\": ", -EINVAL, "config.json: unexpected end of input" },
	{ "refused: not an object", "[1]", -EINVAL, "config.json: not a JSON object" },
	{ "refused: no ociVersion", "{\"root\": {\"path\": \"r\"}}", -EINVAL, "ociVersion: missing" },
	{ "refused: ociVersion a number", "{\"ociVersion\": 1}", -EINVAL, "ociVersion: a number, not a string" },
	{ "refused: ociVersion 2.0.0", "{\"ociVersion\": \"2.0.0\"}", -EINVAL,
	  "ociVersion \"2.0.0\": unsupported (this runtime implements 1.x)" },
	{ "refused: ociVersion not a version", "{\"ociVersion\": \"one\"}", -EINVAL,
	  "ociVersion \"one\": not a version" },
	{ "refused: ociVersion with junk", "{\"ociVersion\": \"1.0.0x\"}", -EINVAL, "not a version" },
	{ "refused: no root", "{\"ociVersion\": \"1.0.0\"}", -EINVAL, "root: missing" },
	{ "refused: empty root.path", "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"\"}}", -EINVAL,
	  "root.path: empty" },
	{ "refused: no args", PROC("\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}"), -EINVAL,
	  "process.args: missing or empty" },
	{ "refused: empty args", PROC("\"args\": [], \"cwd\": \"/\""), -EINVAL, "process.args: missing or empty" },
	{ "refused: an arg not a string", PROC("\"args\": [\"a\", 7], \"cwd\": \"/\""), -EINVAL,
	  "process.args[1]: a number, not a string" },
	{ "refused: env without =", PROC(OK_PROC ", \"env\": [\"A=1\", \"B\"]"), -EINVAL,
	  "process.env[1]: not KEY=VALUE" },
	{ "refused: env =value", PROC(OK_PROC ", \"env\": [\"=1\"]"), -EINVAL, "process.env[0]: not KEY=VALUE" },
	{ "refused: relative cwd", PROC("\"args\": [\"a\"], \"cwd\": \"srv\", \"user\": {\"uid\": 0, \"gid\": 0}"),
	  -EINVAL, "process.cwd \"srv\": not an absolute path" },
	{ "refused: no cwd", PROC("\"args\": [\"a\"], \"user\": {\"uid\": 0, \"gid\": 0}"), -EINVAL,
	  "process.cwd: missing" },
	{ "refused: no user", PROC("\"args\": [\"a\"], \"cwd\": \"/\""), -EINVAL, "process.user: missing" },
	{ "refused: uid over 32 bits", PROC("\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 4294967296, \"gid\": 0}"),
	  -EINVAL, "process.user.uid: 4294967296 is over 4294967295" },
	{ "refused: negative gid", PROC("\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": -1}"),
	  -EINVAL, "process.user.gid: not a whole number" },
	{ "refused: fractional uid", PROC("\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 1.5, \"gid\": 0}"),
	  -EINVAL, "process.user.uid: not a whole number" },
	{ "refused: umask over 0777",
	  PROC("\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0, \"umask\": 512}"), -EINVAL,
	  "process.user.umask: over 0777" },
	{ "refused: console size over 16 bits",
	  PROC(OK_PROC ", \"consoleSize\": {\"height\": 70000, \"width\": 80}"), -EINVAL,
	  "process.consoleSize: over 65535" },
	{ "refused: console size without width", PROC(OK_PROC ", \"consoleSize\": {\"height\": 24}"), -EINVAL,
	  "process.consoleSize.width: missing" },
	{ "refused: terminal not a boolean", PROC(OK_PROC ", \"terminal\": \"yes\""), -EINVAL,
	  "process.terminal: a string, not a boolean" },
	{ "refused: unknown rlimit", PROC(OK_PROC ", \"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]"),
	  -EINVAL, "process.rlimits[0].type: not an rlimit this runtime knows" },
	{ "refused: rlimit twice",
	  PROC(OK_PROC ", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": 1},"
		       " {\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": 1}]"),
	  -EINVAL, "process.rlimits[1].type: given twice" },
	{ "refused: rlimit soft over hard",
	  PROC(OK_PROC ", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 2, \"hard\": 1}]"), -EINVAL,
	  "process.rlimits[0]: soft over hard" },
	{ "refused: rlimit without hard", PROC(OK_PROC ", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 2}]"),
	  -EINVAL, "process.rlimits[0]: type, soft and hard are required" },
	{ "refused: rlimit over 64 bits",
	  PROC(OK_PROC ", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": 18446744073709551616}]"),
	  -EINVAL, "process.rlimits[0]: over 18446744073709551615" },
	{ "refused: hostname too long",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"hostname\": "
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	  -EINVAL, "hostname: over 64 bytes" },
	{ "refused: bad cpuset",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {\"cpu\": {\"cpus\": \"3-1\"}}}}",
	  -EINVAL, "linux.resources.cpu.cpus \"3-1\": not a CPU list" },
	{ "refused: memory limit a string",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
	  -EINVAL, "linux.resources.memory.limit: a string, not a number" },
	{ "refused: cgroupsPath a number",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"cgroupsPath\": 5}}",
	  -EINVAL, "linux.cgroupsPath: a number, not a string" },
	{ "refused: shares over 262144",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {\"cpu\": {\"shares\": 262145}}}}",
	  -EINVAL, "linux.resources.cpu.shares: 262145 is over 262144" },
	{ "refused: pids limit fractional",
	  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {\"pids\": {\"limit\": 1.5}}}}",
	  -EINVAL, "linux.resources.pids.limit: not a whole number" },
	{ "refused: duplicate key", "{\"ociVersion\": \"1.0.0\", \"ociVersion\": \"1.0.0\"}", -EINVAL,
	  "config.json: duplicate key" },
};

static void refused(void **state)
{
	const struct refusal *c = *state;
	struct oci_spec s;
	char why[OCI_WHY_SIZE] = "";
	assert_int_equal(oci_spec_parse(&s, "/b", c->text, strlen(c->text), why), c->err);
	assert_contains(why, c->why);
	oci_spec_free(&s);
}

static void limits_of_none(void **state)
{
	(void)state;
	static const char text[] = "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\":"
				   " {\"memory\": {\"limit\": -1}, \"cpu\": {\"quota\": -1, \"period\": 100000},"
				   " \"pids\": {\"limit\": -1}}}}";
	struct oci_spec s;
	char why[OCI_WHY_SIZE];
	assert_int_equal(oci_spec_parse(&s, "/b", text, strlen(text), why), 0);
	assert_int_equal(s.memory_limit, 0);
	assert_int_equal(s.cpu_quota, 0);
	assert_int_equal(s.pids_limit, 0);
	assert_null(s.cgroups_path);
	assert_int_equal(oci_spec_vm_mem_mib(&s), 256);
	assert_int_equal(oci_spec_vm_cpus(&s), 1);
	oci_spec_free(&s);
}

/* A profile with thousands of values: more than QMP's 1024 tokens. */
static void large_documents(void **state)
{
	(void)state;
	size_t size = 200000, len = 0;
	char *text = malloc(size);
	len += (size_t)snprintf(text + len, size - len,
				"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"x\": [");
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(text + len, size - len, "%s\"syscall%d\"", i ? "," : "", i);
	len += (size_t)snprintf(text + len, size - len, "]}");
	struct oci_spec s;
	char why[OCI_WHY_SIZE] = "";
	assert_int_equal(oci_spec_parse(&s, "/b", text, len, why), 0);
	oci_spec_free(&s);
	free(text);
}

static void load_refuses_missing_and_odd_files(void **state)
{
	(void)state;
	struct oci_spec s;
	char why[OCI_WHY_SIZE];
	assert_int_equal(oci_spec_load(&s, "/nonexistent-bundle", why), -ENOENT);
	assert_string_equal(why, "/nonexistent-bundle/config.json: No such file or directory");
	char dir[] = "/tmp/oci-spec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(oci_spec_load(&s, dir, why), -EINVAL);
	assert_contains(why, "config.json: not a file");
	rmdir(path);
	FILE *f = fopen(path, "w");
	fputs("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}", f);
	fclose(f);
	assert_int_equal(oci_spec_load(&s, dir, why), 0);
	assert_true(strstr(s.root_path, "/rootfs") != NULL);
	oci_spec_free(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct CMUnitTest tests[64] = {
		cmocka_unit_test(reads_what_podman_writes),
		cmocka_unit_test(minimal_bundle_and_defaults),
		cmocka_unit_test(vm_size_from_limits),
		cmocka_unit_test(limits_of_none),
		cmocka_unit_test(large_documents),
		cmocka_unit_test(load_refuses_missing_and_odd_files),
	};
	size_t n = 6;
	add_case_tests(tests, n, refusals, refused, NULL, NULL);
	return run_group("oci spec", tests, n);
}
