/* QMP conversations against a fake VM: every command, every way a request
 * can be malformed, with QEMU's error classes and wording. */
#include "helpers.h"

#include <errno.h>

#include "../../control/control.h"

struct fake_vm {
	const char *state;
	unsigned stops, conts, quits, resets, cpus;
	unsigned sigbus_cpu;
	uint64_t sigbus_gpa;
	bool sigbus_ar;
	int sigbus_result;
	bool hwpoison;
	int violation_thread;
	unsigned violation_cpu;
	char snapshot_path[64];
	int snapshot_result;
};

static const char *fake_status(void *vm) { return ((struct fake_vm *)vm)->state; }
static void fake_stop(void *vm) { ((struct fake_vm *)vm)->stops++, ((struct fake_vm *)vm)->state = "paused"; }
static void fake_cont(void *vm) { ((struct fake_vm *)vm)->conts++, ((struct fake_vm *)vm)->state = "running"; }
static void fake_quit(void *vm) { ((struct fake_vm *)vm)->quits++; }
static void fake_reset(void *vm) { ((struct fake_vm *)vm)->resets++; }
static unsigned fake_cpu_count(void *vm) { return ((struct fake_vm *)vm)->cpus; }
static void fake_cpu_info(void *vm, unsigned index, struct control_cpu *out)
{
	(void)vm;
	*out = (struct control_cpu){ index, (pid_t)(1000 + index), index / 4, index / 2 % 2, index % 2 };
}
static int fake_fault(void *opaque, unsigned index, uint64_t gpa, enum control_fault kind)
{
	struct fake_vm *vm = opaque;
	vm->sigbus_cpu = index, vm->sigbus_gpa = gpa, vm->sigbus_ar = kind == CONTROL_SIGBUS_AR;
	vm->hwpoison = kind == CONTROL_HWPOISON;
	return vm->sigbus_result;
}
static int fake_forbidden_syscall(void *opaque, enum control_thread thread, unsigned index)
{
	struct fake_vm *vm = opaque;
	vm->violation_thread = (int)thread, vm->violation_cpu = index;
	return vm->sigbus_result;
}
static int fake_kick_latency(void *vm, unsigned index, unsigned count, struct control_latency *out)
{
	(void)vm, (void)index;
	*out = (struct control_latency){ count, 1000, 2000, 3000, 4000 };
	return 0;
}

static int fake_cad_result, fake_cad_count;
static int fake_send_ctrl_alt_del(void *vm)
{
	(void)vm;
	fake_cad_count++;
	return fake_cad_result;
}

static unsigned fake_block_count(void *vm)
{
	(void)vm;
	return 2;
}

static void fake_block_info(void *vm, unsigned index, struct control_block *out)
{
	(void)vm;
	*out = (struct control_block){ .file = index ? "/srv/b \"quoted\".img" : "/srv/a.img",
				       .serial = index ? "" : "root", .read_only = index, .direct = !index,
				       .size = index ? 512 : 1 << 20,
				       .bps = index ? 10485760 : 0, .iops = index ? 1000 : 0 };
	snprintf(out->device, sizeof(out->device), "virtio%u", index);
}

static unsigned fake_virtio_count(void *vm)
{
	(void)vm;
	return 2;
}

/* A live virtio-blk, and a virtio-rng its driver broke. */
static void fake_virtio_info(void *vm, unsigned index, struct control_virtio *out)
{
	(void)vm;
	*out = index ? (struct control_virtio){ .name = "virtio-rng", .device_id = 4,
						.host_features = 3ull << 28 | 1ull << 40, .guest_features = 1ull << 32,
						.status = 0x4f, .isr = 2, .queues = 1, .broken = true,
						.error = "descriptor chain loops" }
		     : (struct control_virtio){ .name = "virtio-blk", .device_id = 2,
						.host_features = 1ull << 32 | 1ull << 29 | 1ull << 9 | 1ull << 2,
						.guest_features = 1ull << 32 | 1ull << 9, .status = 0x0f, .queues = 1 };
	snprintf(out->path, sizeof(out->path), "/machine/virtio-mmio@d000%u000/virtio-backend", index + 1);
}

static int fake_snapshot_save(void *opaque, const char *path, char *why)
{
	struct fake_vm *v = opaque;
	snprintf(v->snapshot_path, sizeof(v->snapshot_path), "%s", path);
	if (v->snapshot_result)
		snprintf(why, CONTROL_WHY_SIZE, "the VM must be paused first (stop)");
	return v->snapshot_result;
}

static const struct control_ops fake_ops = {
	fake_status, fake_stop, fake_cont, fake_quit, fake_reset, fake_cpu_count, fake_cpu_info, fake_fault,
	fake_forbidden_syscall, fake_kick_latency, fake_send_ctrl_alt_del, fake_block_count, fake_block_info,
	fake_virtio_count, fake_virtio_info, fake_snapshot_save,
};

static struct fake_vm vm;
static struct qmp_session session;
static char reply_buf[4096 + 1000 * 256];  /* what the server gives 1000 vCPUs */

static int setup(void **state)
{
	(void)state;
	vm = (struct fake_vm){ .state = "running", .cpus = 2 };
	session = (struct qmp_session){ .ops = &fake_ops, .vm = &vm };
	return 0;
}

static const char *ask(const char *request)
{
	struct json_out out;
	json_out_init(&out, reply_buf, sizeof(reply_buf));
	qmp_handle_message(&session, request, strlen(request), &out);
	assert_false(out.overflow);
	reply_buf[out.len] = 0;
	return reply_buf;
}

static void negotiate(void)
{
	assert_string_equal(ask("{\"execute\": \"qmp_capabilities\"}"), "{\"return\": {}}\r\n");
}

static void test_send_key(void **state)
{
	(void)state;
	ask("{\"execute\": \"qmp_capabilities\"}");
	fake_cad_count = fake_cad_result = 0;
	assert_contains(ask("{\"execute\": \"send-key\", \"arguments\": {\"keys\": [{\"type\": \"qcode\", "
			    "\"data\": \"ctrl\"}, {\"type\": \"qcode\", \"data\": \"alt\"}, {\"type\": \"qcode\", "
			    "\"data\": \"delete\"}]}}"), "{\"return\": {}}");
	assert_int_equal(fake_cad_count, 1);
	static const char *const refused[] = {
		"[{\"type\": \"qcode\", \"data\": \"a\"}]",
		"[{\"type\": \"qcode\", \"data\": \"ctrl\"}, {\"type\": \"qcode\", \"data\": \"alt\"}]",
		"[{\"type\": \"number\", \"data\": 29}, {\"type\": \"qcode\", \"data\": \"alt\"}, "
		"{\"type\": \"qcode\", \"data\": \"delete\"}]",
		"[1, 2, 3]", "[]",
	};
	char request[512];
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		snprintf(request, sizeof(request), "{\"execute\": \"send-key\", \"arguments\": {\"keys\": %s}}",
			 refused[i]);
		assert_contains(ask(request), "\"class\": \"GenericError\"");
	}
	assert_int_equal(fake_cad_count, 1);
	fake_cad_result = -EAGAIN;
	assert_contains(ask("{\"execute\": \"send-key\", \"arguments\": {\"keys\": [{\"type\": \"qcode\", "
			    "\"data\": \"delete\"}, {\"type\": \"qcode\", \"data\": \"alt_r\"}, {\"type\": \"qcode\", "
			    "\"data\": \"ctrl\"}]}}"), "keyboard disabled");
	assert_contains(ask("{\"execute\": \"send-key\"}"), "Parameter 'keys' is missing");
}

static void test_greeting(void **state)
{
	(void)state;
	char buf[512];
	struct json_out out;
	json_out_init(&out, buf, sizeof(buf));
	qmp_greeting(&out);
	buf[out.len] = 0;
	assert_contains(buf, "{\"QMP\": {\"version\": {\"qemu\": {");
	assert_contains(buf, "\"capabilities\": []}}\r\n");
	assert_contains(buf, "\"package\": \"sprig ");
}

static void test_needs_negotiation(void **state)
{
	(void)state;
	assert_string_equal(ask("{\"execute\": \"query-status\", \"id\": 7}"),
			    "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities "
			    "negotiation with 'qmp_capabilities'\"}, \"id\": 7}\r\n");
	assert_int_equal(vm.stops, 0);
	negotiate();
	assert_contains(ask("{\"execute\": \"qmp_capabilities\"}"),
			"Capabilities negotiation is already complete, command ignored");
}

static void test_status_stop_cont(void **state)
{
	(void)state;
	negotiate();
	assert_string_equal(ask("{\"execute\": \"query-status\"}"),
			    "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");
	assert_string_equal(ask("{\"execute\": \"stop\", \"id\": \"s1\"}"), "{\"return\": {}, \"id\": \"s1\"}\r\n");
	assert_int_equal(vm.stops, 1);
	assert_contains(ask("{\"execute\": \"query-status\"}"), "\"status\": \"paused\"");
	assert_contains(ask("{\"execute\": \"query-status\"}"), "\"running\": false");
	assert_string_equal(ask("{\"execute\": \"cont\"}"), "{\"return\": {}}\r\n");
	assert_int_equal(vm.conts, 1);
	assert_string_equal(ask("{\"execute\":\"quit\",\"id\":{\"a\":[1,2]}}"),
			    "{\"return\": {}, \"id\": {\"a\":[1,2]}}\r\n");
	assert_int_equal(vm.quits, 1);
	assert_string_equal(ask("{\"execute\": \"system_reset\"}"), "{\"return\": {}}\r\n");
	assert_int_equal(vm.resets, 1);
}

static void test_cpus_version_commands(void **state)
{
	(void)state;
	negotiate();
	const char *r = ask("{\"execute\": \"query-cpus-fast\"}");
	assert_contains(r, "{\"thread-id\": 1000, \"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, "
			   "\"qom-path\": \"/machine/unattached/device[0]\", \"cpu-index\": 0, \"target\": \"x86_64\"}");
	assert_contains(r, "\"thread-id\": 1001, \"props\": {\"core-id\": 0, \"thread-id\": 1,");
	assert_contains(ask("{\"execute\": \"query-version\"}"), "{\"return\": {\"qemu\": {\"major\": ");
	r = ask("{\"execute\": \"query-commands\"}");
	assert_contains(r, "{\"name\": \"query-cpus-fast\"}");
	assert_contains(r, "{\"name\": \"x-sigbus\"}");
}

static void test_query_block(void **state)
{
	(void)state;
	negotiate();
	const char *r = ask("{\"execute\": \"query-block\"}");
	assert_contains(r, "{\"return\": [{\"device\": \"virtio0\", \"qdev\": \"/machine/virtio-mmio/virtio0\", "
			   "\"locked\": false, \"removable\": false, \"type\": \"unknown\", \"serial\": \"root\", "
			   "\"inserted\": {\"file\": \"/srv/a.img\", \"ro\": false, \"drv\": \"raw\"");
	assert_contains(r, "\"cache\": {\"writeback\": true, \"direct\": true, \"no-flush\": false}");
	assert_contains(r, "\"image\": {\"filename\": \"/srv/a.img\", \"format\": \"raw\", \"virtual-size\": 1048576}}}");
	assert_contains(r, "\"device\": \"virtio1\"");
	assert_contains(r, "\"file\": \"/srv/b \\\"quoted\\\".img\", \"ro\": true");
	assert_contains(r, "\"virtual-size\": 512}}}]}");
	assert_contains(r, "\"bps\": 0, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": 0, \"iops_rd\": 0");
	assert_contains(r, "\"bps\": 10485760, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": 1000, \"iops_rd\": 0, "
			   "\"iops_wr\": 0");
}

static void test_snapshot_save(void **state)
{
	(void)state;
	negotiate();
	assert_string_equal(ask("{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": \"/srv/snap \\\"1\\\"\"}}"),
			    "{\"return\": {}}\r\n");
	assert_string_equal(vm.snapshot_path, "/srv/snap \"1\"");
	vm.snapshot_result = -EBUSY;
	assert_contains(ask("{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": \"/srv/snap\"}}"),
			"\"desc\": \"snapshot-save: the VM must be paused first (stop)\"");
	assert_contains(ask("{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": \"\"}}"),
			"Parameter 'path' expects a folder name");
	assert_contains(ask("{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": 7}}"),
			"\"class\": \"GenericError\"");
	assert_contains(ask("{\"execute\": \"snapshot-save\"}"), "\"class\": \"GenericError\"");
}

static void test_virtio(void **state)
{
	(void)state;
	negotiate();
	assert_contains(ask("{\"execute\": \"x-query-virtio\"}"),
			"{\"return\": [{\"path\": \"/machine/virtio-mmio@d0001000/virtio-backend\", \"name\": "
			"\"virtio-blk\"}, {\"path\": \"/machine/virtio-mmio@d0002000/virtio-backend\", \"name\": "
			"\"virtio-rng\"}]}");
	const char *r = ask("{\"execute\": \"x-query-virtio-status\", \"arguments\": "
			    "{\"path\": \"/machine/virtio-mmio@d0001000/virtio-backend\"}}");
	assert_contains(r, "{\"return\": {\"name\": \"virtio-blk\", \"device-id\": 2, ");
	assert_contains(r, "\"guest-features\": {\"transports\": [\"VIRTIO_F_VERSION_1\"], \"dev-features\": "
			   "[\"VIRTIO_BLK_F_FLUSH\"]}");
	assert_contains(r, "\"host-features\": {\"transports\": [\"VIRTIO_RING_F_EVENT_IDX\", \"VIRTIO_F_VERSION_1\"], "
			   "\"dev-features\": [\"VIRTIO_BLK_F_SEG_MAX\", \"VIRTIO_BLK_F_FLUSH\"]}");
	assert_contains(r, "\"status\": {\"statuses\": [\"VIRTIO_CONFIG_S_ACKNOWLEDGE\", \"VIRTIO_CONFIG_S_DRIVER\", "
			   "\"VIRTIO_CONFIG_S_DRIVER_OK\", \"VIRTIO_CONFIG_S_FEATURES_OK\"]}");
	assert_contains(r, "\"broken\": false");
	assert_contains(r, "\"started\": true");
	assert_false(strstr(r, "x-error"));
	r = ask("{\"execute\": \"x-query-virtio-status\", \"arguments\": "
		"{\"path\": \"/machine/virtio-mmio@d0002000/virtio-backend\"}}");
	assert_contains(r, "\"dev-features\": [], \"unknown-dev-features\": 1099511627776}");  /* bit 40 */
	assert_contains(r, "\"VIRTIO_CONFIG_S_NEEDS_RESET\"]}, \"isr\": 2");
	assert_contains(r, "\"broken\": true");
	assert_contains(r, "\"started\": false");
	assert_contains(r, "\"x-error\": \"descriptor chain loops\"}}");
	assert_contains(ask("{\"execute\": \"x-query-virtio-status\", \"arguments\": {\"path\": \"/nowhere\"}}"),
			"\"class\": \"GenericError\", \"desc\": \"No such virtio device\"");
	assert_contains(ask("{\"execute\": \"x-query-virtio-status\"}"), "\"class\": \"GenericError\"");
}

static void test_many_cpus(void **state)
{
	(void)state;
	negotiate();
	vm.cpus = 1000;  /* far beyond one small reply buffer */
	const char *r = ask("{\"execute\": \"query-cpus-fast\", \"id\": 3}");
	assert_contains(r, "\"cpu-index\": 999, \"target\": \"x86_64\"}], \"id\": 3}\r\n");
}

static void test_x_sigbus(void **state)
{
	(void)state;
	negotiate();
	assert_string_equal(ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 1, "
				"\"gpa\": 2097152, \"code\": \"AR\"}}"), "{\"return\": {}}\r\n");
	assert_int_equal(vm.sigbus_cpu, 1);
	assert_int_equal(vm.sigbus_gpa, 2097152);
	assert_true(vm.sigbus_ar);
	ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0, \"gpa\": 4096, \"code\": \"AO\"}}");
	assert_false(vm.sigbus_ar);
	assert_contains(ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 2, \"gpa\": 0, "
			    "\"code\": \"AR\"}}"), "CPU index out of range");
	assert_contains(ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0, \"gpa\": 0, "
			    "\"code\": \"XX\"}}"), "Parameter 'code' expects 'AR' or 'AO'");
	vm.sigbus_result = -ESRCH;
	assert_contains(ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0, \"gpa\": 0, "
			    "\"code\": \"AR\"}}"), "cannot raise SIGBUS: No such process");
	vm.sigbus_result = -EAGAIN;
	assert_contains(ask("{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0, \"gpa\": 0, "
			    "\"code\": \"AR\"}}"), "cannot raise SIGBUS: the VM is not running");
	vm.sigbus_result = 0;
	assert_string_equal(ask("{\"execute\": \"x-hwpoison\", \"arguments\": {\"cpu-index\": 1, \"gpa\": 8192}}"),
			    "{\"return\": {}}\r\n");
	assert_true(vm.hwpoison);
	assert_int_equal(vm.sigbus_gpa, 8192);
	vm.sigbus_result = -EFAULT;
	assert_contains(ask("{\"execute\": \"x-hwpoison\", \"arguments\": {\"cpu-index\": 1, \"gpa\": 8192}}"),
			"cannot poison: gpa is not guest RAM");
	vm.sigbus_result = -EINVAL;
	assert_contains(ask("{\"execute\": \"x-hwpoison\", \"arguments\": {\"cpu-index\": 1, \"gpa\": 8192}}"),
			"cannot poison: this host kernel has no MADV_HWPOISON");
	vm.sigbus_result = 0;
	assert_string_equal(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"vcpu\", "
				"\"cpu-index\": 1}}"), "{\"return\": {}}\r\n");
	assert_int_equal(vm.violation_thread, CONTROL_THREAD_VCPU);
	assert_int_equal(vm.violation_cpu, 1);
	assert_string_equal(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"vmm\"}}"),
			    "{\"return\": {}}\r\n");
	assert_int_equal(vm.violation_thread, CONTROL_THREAD_VMM);
	assert_string_equal(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"io\"}}"),
			    "{\"return\": {}}\r\n");
	assert_int_equal(vm.violation_thread, CONTROL_THREAD_IO);
	assert_contains(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"api\"}}"),
			"Parameter 'thread' expects 'vmm', 'vcpu' or 'io'");
	vm.sigbus_result = -ENOENT;
	assert_contains(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"io\"}}"),
			"the forbidden call failed: no I/O thread (no virtio device)");
	vm.sigbus_result = 0;
	assert_contains(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"vcpu\"}}"),
			"CPU index out of range");
	vm.sigbus_result = -EAGAIN;
	assert_contains(ask("{\"execute\": \"x-seccomp-violation\", \"arguments\": {\"thread\": \"vcpu\", "
			    "\"cpu-index\": 0}}"), "the VM is not running");
	vm.sigbus_result = 0;
	assert_contains(ask("{\"execute\": \"x-kick-latency\", \"arguments\": {\"cpu-index\": 0, \"count\": 5}}"),
			"{\"return\": {\"count\": 5, \"min-ns\": 1000, \"median-ns\": 2000, \"p99-ns\": 3000, "
			"\"max-ns\": 4000}}");
}

struct bad_case {
	const char *name, *request, *reply;
};

static const struct bad_case bad_cases[] = {
	{ "not JSON", "{\"execute\": }", "\"class\": \"GenericError\", \"desc\": \"JSON parse error, " },
	{ "bare word", "nonsense", "JSON parse error, " },
	{ "stray bracket", "}", "JSON parse error, " },
	{ "array", "[1, 2]", "\"desc\": \"QMP input must be a JSON object\"" },
	{ "string", "\"stop\"", "QMP input must be a JSON object" },
	{ "number", "42", "QMP input must be a JSON object" },
	{ "no execute", "{\"id\": 5}", "\"desc\": \"QMP input lacks member 'execute'\"}, \"id\": 5}" },
	{ "execute not a string", "{\"execute\": 1}", "QMP input member 'execute' must be a string" },
	{ "arguments not an object", "{\"execute\": \"stop\", \"arguments\": []}",
	  "QMP input member 'arguments' must be an object" },
	{ "unexpected member", "{\"execute\": \"stop\", \"foo\": 1}", "QMP input member 'foo' is unexpected" },
	{ "duplicate key", "{\"execute\": \"stop\", \"execute\": \"cont\"}", "JSON parse error, " },
	{ "unknown command", "{\"execute\": \"system_powerdown\", \"id\": \"x\"}",
	  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command system_powerdown has not been "
	  "found\"}, \"id\": \"x\"}\r\n" },
	{ "unexpected parameter", "{\"execute\": \"stop\", \"arguments\": {\"now\": true}}",
	  "\"desc\": \"Parameter 'now' is unexpected\"" },
	{ "missing parameter", "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0, \"code\": \"AR\"}}",
	  "Parameter 'gpa' is missing" },
	{ "no arguments at all", "{\"execute\": \"x-sigbus\"}", "Parameter 'cpu-index' is missing" },
	{ "wrong type", "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": \"0\", \"gpa\": 0, \"code\": \"AR\"}}",
	  "Invalid parameter type for 'cpu-index', expected: integer" },
	{ "fraction", "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 0.5, \"gpa\": 0, \"code\": \"AR\"}}",
	  "Invalid parameter type for 'cpu-index', expected: integer" },
	{ "huge number", "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": 1e999, \"gpa\": 0, \"code\": \"AR\"}}",
	  "Invalid parameter type for 'cpu-index'" },
	{ "negative index", "{\"execute\": \"x-sigbus\", \"arguments\": {\"cpu-index\": -1, \"gpa\": 0, \"code\": \"AR\"}}",
	  "CPU index out of range" },
	{ "capability asked", "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
	  "Capability 'oob' not available" },
	{ "escaped command name", "{\"execute\": \"\\u0071uit\", \"id\": \"\\\"q\\\"\"}",
	  "{\"return\": {}, \"id\": \"\\\"q\\\"\"}\r\n" },
	{ "deep nesting", "{\"execute\": \"stop\", \"id\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	  "JSON parse error, too many values or nested too deep" },
};

static void test_bad_request(void **state)
{
	const struct bad_case *c = *state;
	/* Negotiated, except for the capability case itself. */
	session = (struct qmp_session){ .negotiated = !strstr(c->request, "qmp_capabilities"),
					.ops = &fake_ops, .vm = &vm };
	vm = (struct fake_vm){ .state = "running", .cpus = 2 };
	assert_contains(ask(c->request), c->reply);
	if (strcmp(c->name, "escaped command name"))
		assert_int_equal(vm.stops + vm.conts + vm.quits, 0);
}

static void test_event(void **state)
{
	(void)state;
	char buf[512];
	struct json_out out;
	json_out_init(&out, buf, sizeof(buf));
	qmp_event(&out, "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
	buf[out.len] = 0;
	assert_contains(buf, "{\"timestamp\": {\"seconds\": ");
	assert_contains(buf, "\"microseconds\": ");
	assert_contains(buf, "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n");
	json_out_init(&out, buf, sizeof(buf));
	qmp_event(&out, "STOP", NULL);
	buf[out.len] = 0;
	assert_contains(buf, "\"event\": \"STOP\"}\r\n");
}

int main(void)
{
	struct CMUnitTest tests[64] = {
		cmocka_unit_test_setup_teardown(test_send_key, setup, NULL),
		cmocka_unit_test_setup(test_greeting, setup),
		cmocka_unit_test_setup(test_needs_negotiation, setup),
		cmocka_unit_test_setup(test_status_stop_cont, setup),
		cmocka_unit_test_setup(test_cpus_version_commands, setup),
		cmocka_unit_test_setup(test_query_block, setup),
		cmocka_unit_test_setup(test_virtio, setup),
		cmocka_unit_test_setup(test_snapshot_save, setup),
		cmocka_unit_test_setup(test_many_cpus, setup),
		cmocka_unit_test_setup(test_x_sigbus, setup),
		cmocka_unit_test_setup(test_event, setup),
	};
	/* The case tables go after the fixed tests, however many those are. */
	size_t n = 0;
	while (tests[n].test_func)
		n++;
	add_case_tests(tests, n, bad_cases, test_bad_request, NULL, NULL);
	return run_group("qmp", tests, n);
}
