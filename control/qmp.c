/* QMP messages: one request in, one reply out, with QEMU's error classes
 * and wording so existing clients understand them. The request is hostile:
 * every member is checked against the command's parameter list first. */
#include "control.h"
#include "qmp_virtio.h"

#include "../vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DESC_SIZE 256

enum param_type { P_INT, P_STRING, P_ARRAY };

struct param {
	const char *name;
	enum param_type type;
	bool required;
};

struct request {
	struct qmp_session *s;
	const struct json_doc *doc;
	int args;  /* the arguments object, or -1 */
};

/* Returns 0 with the return value written to `ret`, or -1 with `desc`. */
typedef int command_fn(const struct request *r, struct json_out *ret, char *desc);

struct command {
	const char *name;
	command_fn *fn;
	struct param params[4];
};

static int error_desc(char *desc, const char *format, const char *detail)
{
	snprintf(desc, DESC_SIZE, format, detail);
	return -1;
}

static int64_t int_arg(const struct request *r, const char *name, int64_t fallback)
{
	int64_t v;
	int t = json_object_get(r->doc, (unsigned)r->args, name);
	return r->args >= 0 && t >= 0 && !json_int64(r->doc, (unsigned)t, &v) ? v : fallback;
}

static int run_capabilities(const struct request *r, struct json_out *ret, char *desc)
{
	int enable = r->args >= 0 ? json_object_get(r->doc, (unsigned)r->args, "enable") : -1;
	if (enable >= 0 && r->doc->tokens[enable].children > 0) {
		char name[64] = "?";
		json_string(r->doc, (unsigned)enable + 1, name, sizeof(name));
		return error_desc(desc, "Capability '%s' not available", name);
	}
	r->s->negotiated = true;
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_query_status(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	const char *status = r->s->ops->status(r->s->vm);
	json_out_printf(ret, "{\"status\": \"%s\", \"singlestep\": false, \"running\": %s}", status,
			strcmp(status, "running") ? "false" : "true");
	return 0;
}

static int run_stop(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	r->s->ops->stop(r->s->vm);
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_cont(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	r->s->ops->cont(r->s->vm);
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_quit(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	r->s->ops->quit(r->s->vm);
	r->s->quit = true;
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_query_cpus_fast(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	unsigned n = r->s->ops->cpu_count(r->s->vm);
	json_out_raw(ret, "[", 1);
	for (unsigned i = 0; i < n; i++) {
		struct control_cpu c;
		r->s->ops->cpu_info(r->s->vm, i, &c);
		json_out_printf(ret, "%s{\"thread-id\": %d, \"props\": {\"core-id\": %u, \"thread-id\": %u, "
				"\"socket-id\": %u}, \"qom-path\": \"/machine/unattached/device[%u]\", "
				"\"cpu-index\": %u, \"target\": \"x86_64\"}", i ? ", " : "", (int)c.thread_id,
				c.core_id, c.thread_in_core, c.socket_id, i, c.index);
	}
	json_out_raw(ret, "]", 1);
	return 0;
}

/* QEMU's shape for a raw image on a virtio-blk device; "qdev" names
 * sprig's window and "serial" is an addition (QEMU shows it only through
 * qom-get). */
static int run_query_block(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	unsigned n = r->s->ops->block_count(r->s->vm);
	json_out_raw(ret, "[", 1);
	for (unsigned i = 0; i < n; i++) {
		struct control_block b;
		r->s->ops->block_info(r->s->vm, i, &b);
		json_out_printf(ret, "%s{\"device\": \"%s\", \"qdev\": \"/machine/virtio-mmio/%s\", "
				"\"locked\": false, \"removable\": false, \"type\": \"unknown\", \"serial\": ",
				i ? ", " : "", b.device, b.device);
		json_out_string(ret, b.serial);
		json_out_printf(ret, ", \"inserted\": {\"file\": ");
		json_out_string(ret, b.file);
		json_out_printf(ret, ", \"ro\": %s, \"drv\": \"raw\", \"encrypted\": false, "
				"\"backing_file_depth\": 0, \"detect_zeroes\": \"off\", \"write_threshold\": 0, "
				"\"bps\": %llu, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": %llu, \"iops_rd\": 0, "
				"\"iops_wr\": 0, \"cache\": {\"writeback\": true, \"direct\": %s, \"no-flush\": false}, "
				"\"image\": {\"filename\": ", b.read_only ? "true" : "false", (unsigned long long)b.bps,
				(unsigned long long)b.iops, b.direct ? "true" : "false");
		json_out_string(ret, b.file);
		json_out_printf(ret, ", \"format\": \"raw\", \"virtual-size\": %llu}}}",
				(unsigned long long)b.size);
	}
	json_out_raw(ret, "]", 1);
	return 0;
}

static int run_query_version(const struct request *r, struct json_out *ret, char *desc)
{
	(void)r, (void)desc;
	json_out_printf(ret, "{\"qemu\": {\"major\": %d, \"minor\": %d, \"micro\": %d}, "
			"\"package\": \"sprig %s\"}", SPRIG_VERSION_MAJOR, SPRIG_VERSION_MINOR,
			SPRIG_VERSION_MICRO, SPRIG_VERSION);
	return 0;
}

static int run_system_reset(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	r->s->ops->reset(r->s->vm);
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int cpu_index_arg(const struct request *r, char *desc, unsigned *index)
{
	int64_t i = int_arg(r, "cpu-index", -1);
	if (i < 0 || (uint64_t)i >= r->s->ops->cpu_count(r->s->vm))
		return error_desc(desc, "CPU index out of range%s", "");
	*index = (unsigned)i;
	return 0;
}

/* x-sigbus and x-hwpoison: one vCPU raises a fault on itself. */
static int raise_fault(const struct request *r, struct json_out *ret, char *desc, enum control_fault kind)
{
	unsigned index;
	if (cpu_index_arg(r, desc, &index))
		return -1;
	const char *what = kind == CONTROL_HWPOISON ? "cannot poison: %s" : "cannot raise SIGBUS: %s";
	int err = r->s->ops->fault(r->s->vm, index, (uint64_t)int_arg(r, "gpa", 0), kind);
	if (err == -EFAULT && kind == CONTROL_HWPOISON)
		return error_desc(desc, what, "gpa is not guest RAM");
	if (err == -EINVAL && kind == CONTROL_HWPOISON)
		return error_desc(desc, what, "this host kernel has no MADV_HWPOISON (CONFIG_MEMORY_FAILURE)");
	if (err)
		return error_desc(desc, what, err == -EAGAIN ? "the VM is not running" : strerror(-err));
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_x_sigbus(const struct request *r, struct json_out *ret, char *desc)
{
	int code = json_object_get(r->doc, (unsigned)r->args, "code");
	bool ar = json_string_is(r->doc, (unsigned)code, "AR");
	if (!ar && !json_string_is(r->doc, (unsigned)code, "AO"))
		return error_desc(desc, "Parameter 'code' expects %s", "'AR' or 'AO'");
	return raise_fault(r, ret, desc, ar ? CONTROL_SIGBUS_AR : CONTROL_SIGBUS_AO);
}

static int run_x_hwpoison(const struct request *r, struct json_out *ret, char *desc)
{
	return raise_fault(r, ret, desc, CONTROL_HWPOISON);
}

/* Test-only: under seccomp = kill or trap sprig does not answer this. */
static int run_x_seccomp_violation(const struct request *r, struct json_out *ret, char *desc)
{
	int thread = json_object_get(r->doc, (unsigned)r->args, "thread");
	bool vcpu = json_string_is(r->doc, (unsigned)thread, "vcpu");
	bool io = json_string_is(r->doc, (unsigned)thread, "io");
	if (!vcpu && !io && !json_string_is(r->doc, (unsigned)thread, "vmm"))
		return error_desc(desc, "Parameter 'thread' expects %s", "'vmm', 'vcpu' or 'io'");
	unsigned index = 0;
	if (vcpu && cpu_index_arg(r, desc, &index))
		return -1;
	int err = r->s->ops->forbidden_syscall(r->s->vm, vcpu ? CONTROL_THREAD_VCPU
					       : io ? CONTROL_THREAD_IO : CONTROL_THREAD_VMM, index);
	if (err)
		return error_desc(desc, "the forbidden call failed: %s",
				  err == -EAGAIN ? "the VM is not running"
				  : err == -ENOENT && io ? "no I/O thread (no virtio device)" : strerror(-err));
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_x_kick_latency(const struct request *r, struct json_out *ret, char *desc)
{
	unsigned index;
	if (cpu_index_arg(r, desc, &index))
		return -1;
	int64_t count = int_arg(r, "count", 1000);
	if (count < 1 || count > 100000)
		return error_desc(desc, "Parameter 'count' expects %s", "1 to 100000");
	struct control_latency l;
	int err = r->s->ops->kick_latency(r->s->vm, index, (unsigned)count, &l);
	if (err)
		return error_desc(desc, "cannot measure: %s",
				  err == -EAGAIN ? "the VM is not running" : strerror(-err));
	json_out_printf(ret, "{\"count\": %u, \"min-ns\": %llu, \"median-ns\": %llu, \"p99-ns\": %llu, "
			"\"max-ns\": %llu}", l.count, (unsigned long long)l.min_ns,
			(unsigned long long)l.median_ns, (unsigned long long)l.p99_ns,
			(unsigned long long)l.max_ns);
	return 0;
}

/* send-key, as QEMU's, for the one chord a microVM needs: Ctrl-Alt-Del
 * (what Firecracker's SendCtrlAltDel does). keys: [{"type": "qcode",
 * "data": "ctrl"}, ... "alt" ..., ... "delete" ...], in any order. */
static int run_send_key(const struct request *r, struct json_out *ret, char *desc)
{
	int keys = json_object_get(r->doc, (unsigned)r->args, "keys");
	static const char *const names[][2] = { { "ctrl", "ctrl_r" }, { "alt", "alt_r" }, { "delete", "kp_delete" } };
	unsigned seen = 0, count = r->doc->tokens[keys].children;
	unsigned t = (unsigned)keys + 1;
	for (unsigned i = 0; i < count; i++, t = r->doc->tokens[t].next) {
		bool object = r->doc->tokens[t].type == JSON_OBJECT;
		int type = object ? json_object_get(r->doc, t, "type") : -1;
		int data = object ? json_object_get(r->doc, t, "data") : -1;
		if (type < 0 || data < 0 ||
		    !json_string_is(r->doc, (unsigned)type, "qcode"))
			return error_desc(desc, "Parameter 'keys' expects %s", "objects {\"type\": \"qcode\", \"data\": KEY}");
		unsigned before = seen;
		for (unsigned k = 0; k < 3; k++)
			if (json_string_is(r->doc, (unsigned)data, names[k][0]) ||
			    json_string_is(r->doc, (unsigned)data, names[k][1]))
				seen |= 1u << k;
		if (seen == before)
			return error_desc(desc, "send-key: only %s is supported", "ctrl-alt-delete");
	}
	if (seen != 7 || count != 3)
		return error_desc(desc, "send-key: only %s is supported", "ctrl-alt-delete");
	int err = r->s->ops->send_ctrl_alt_del(r->s->vm);
	if (err)
		return error_desc(desc, "send-key: %s", err == -EAGAIN ? "the guest has its keyboard disabled"
			: "the guest has not read the last keys yet");
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_x_query_virtio(const struct request *r, struct json_out *ret, char *desc)
{
	(void)desc;
	qmp_virtio_list(r->s->ops, r->s->vm, ret);
	return 0;
}

static int run_x_query_virtio_status(const struct request *r, struct json_out *ret, char *desc)
{
	char path[64];
	int token = json_object_get(r->doc, (unsigned)r->args, "path");
	if (json_string(r->doc, (unsigned)token, path, sizeof(path)) < 0 ||
	    qmp_virtio_status(r->s->ops, r->s->vm, path, ret))
		return error_desc(desc, "No such virtio device%s", "");
	return 0;
}

/* snapshot-save {"path": DIR}: sprig's own (QEMU's snapshot-save writes
 * into a disk image); the VM must be paused, as in Firecracker. */
static int run_snapshot_save(const struct request *r, struct json_out *ret, char *desc)
{
	static char path[4096];
	char why[CONTROL_WHY_SIZE];
	int token = json_object_get(r->doc, (unsigned)r->args, "path");
	int len = json_string(r->doc, (unsigned)token, path, sizeof(path));
	if (len <= 0 || (size_t)len != strlen(path))  /* no NUL inside a file name */
		return error_desc(desc, "Parameter 'path' expects %s", "a folder name");
	if (!r->s->ops->snapshot_save)
		return error_desc(desc, "snapshot-save: %s", "not available here");
	if (r->s->ops->snapshot_save(r->s->vm, path, why)) {
		snprintf(desc, DESC_SIZE, "snapshot-save: %.*s", DESC_SIZE - 16, why);
		return -1;
	}
	json_out_raw(ret, "{}", 2);
	return 0;
}

static int run_query_commands(const struct request *r, struct json_out *ret, char *desc);

static const struct command commands[] = {
	{ "qmp_capabilities", run_capabilities, { { "enable", P_ARRAY, false } } },
	{ "query-status", run_query_status, { { 0 } } },
	{ "stop", run_stop, { { 0 } } },
	{ "cont", run_cont, { { 0 } } },
	{ "quit", run_quit, { { 0 } } },
	{ "system_reset", run_system_reset, { { 0 } } },
	{ "send-key", run_send_key, { { "keys", P_ARRAY, true }, { "hold-time", P_INT, false } } },
	{ "query-cpus-fast", run_query_cpus_fast, { { 0 } } },
	{ "query-version", run_query_version, { { 0 } } },
	{ "query-block", run_query_block, { { 0 } } },
	{ "query-commands", run_query_commands, { { 0 } } },
	{ "snapshot-save", run_snapshot_save, { { "path", P_STRING, true } } },
	{ "x-query-virtio", run_x_query_virtio, { { 0 } } },
	{ "x-query-virtio-status", run_x_query_virtio_status, { { "path", P_STRING, true } } },
	{ "x-sigbus", run_x_sigbus,
	  { { "cpu-index", P_INT, true }, { "gpa", P_INT, true }, { "code", P_STRING, true } } },
	{ "x-hwpoison", run_x_hwpoison, { { "cpu-index", P_INT, true }, { "gpa", P_INT, true } } },
	{ "x-seccomp-violation", run_x_seccomp_violation,
	  { { "thread", P_STRING, true }, { "cpu-index", P_INT, false } } },
	{ "x-kick-latency", run_x_kick_latency, { { "cpu-index", P_INT, true }, { "count", P_INT, false } } },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int run_query_commands(const struct request *r, struct json_out *ret, char *desc)
{
	(void)r, (void)desc;
	json_out_raw(ret, "[", 1);
	for (size_t i = 0; i < NCOMMANDS; i++)
		json_out_printf(ret, "%s{\"name\": \"%s\"}", i ? ", " : "", commands[i].name);
	json_out_raw(ret, "]", 1);
	return 0;
}

static const struct command *find_command(const struct json_doc *doc, unsigned token)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (json_string_is(doc, token, commands[i].name))
			return &commands[i];
	return NULL;
}

static bool type_matches(const struct json_doc *doc, unsigned token, enum param_type type)
{
	int64_t v;
	switch (type) {
	case P_INT:
		return json_int64(doc, token, &v) == 0;
	case P_STRING:
		return doc->tokens[token].type == JSON_STRING;
	default:
		return doc->tokens[token].type == JSON_ARRAY;
	}
}

/* QEMU's wording for each way arguments can be wrong. */
static int check_args(const struct command *cmd, const struct json_doc *doc, int args, char *desc)
{
	static const char *const type_names[] = { "integer", "string", "array" };
	char key[64];
	if (args >= 0) {
		unsigned t = (unsigned)args + 1;
		for (uint32_t m = 0; m < doc->tokens[args].children; m++, t = doc->tokens[t + 1].next) {
			if (json_string(doc, t, key, sizeof(key)) < 0)
				return error_desc(desc, "Parameter '%s' is unexpected", "(too long)");
			const struct param *p = cmd->params;
			while (p->name && strcmp(p->name, key))
				p++;
			if (!p->name)
				return error_desc(desc, "Parameter '%s' is unexpected", key);
			if (!type_matches(doc, t + 1, p->type)) {
				snprintf(desc, DESC_SIZE, "Invalid parameter type for '%s', expected: %s", key,
					 type_names[p->type]);
				return -1;
			}
		}
	}
	for (const struct param *p = cmd->params; p->name; p++)
		if (p->required && (args < 0 || json_object_get(doc, (unsigned)args, p->name) < 0))
			return error_desc(desc, "Parameter '%s' is missing", p->name);
	return 0;
}

static void reply_end(struct json_out *out, const struct json_doc *doc, int id)
{
	if (id >= 0) {
		const struct json_token *t = &doc->tokens[id];
		bool quoted = t->type == JSON_STRING;  /* a string's token omits its quotes */
		json_out_raw(out, ", \"id\": ", 8);
		json_out_raw(out, doc->text + t->start - quoted, t->end - t->start + 2 * quoted);
	}
	json_out_raw(out, "}\r\n", 3);
}

static void reply_error(struct json_out *out, const char *klass, const char *desc,
			const struct json_doc *doc, int id)
{
	json_out_raw(out, "{\"error\": {\"class\": ", 20);
	json_out_string(out, klass);
	json_out_raw(out, ", \"desc\": ", 10);
	json_out_string(out, desc);
	json_out_raw(out, "}", 1);
	reply_end(out, doc, id);
}

/* The request's envelope: execute, arguments, id, and nothing else. */
static int check_envelope(const struct json_doc *doc, int *execute, int *args, char *desc)
{
	char key[64];
	if (doc->tokens[0].type != JSON_OBJECT)
		return error_desc(desc, "QMP input must be a JSON object%s", "");
	unsigned t = 1;
	for (uint32_t m = 0; m < doc->tokens[0].children; m++, t = doc->tokens[t + 1].next) {
		bool known = json_string(doc, t, key, sizeof(key)) >= 0 &&
			     (!strcmp(key, "execute") || !strcmp(key, "arguments") || !strcmp(key, "id"));
		if (!known)
			return error_desc(desc, "QMP input member '%s' is unexpected",
					  json_string(doc, t, key, sizeof(key)) < 0 ? "(too long)" : key);
	}
	*execute = json_object_get(doc, 0, "execute");
	*args = json_object_get(doc, 0, "arguments");
	if (*execute < 0)
		return error_desc(desc, "QMP input lacks member 'execute'%s", "");
	if (doc->tokens[*execute].type != JSON_STRING)
		return error_desc(desc, "QMP input member 'execute' must be a string%s", "");
	if (*args >= 0 && doc->tokens[*args].type != JSON_OBJECT)
		return error_desc(desc, "QMP input member 'arguments' must be an object%s", "");
	return 0;
}

static void run_command(struct qmp_session *s, const struct json_doc *doc, int execute, int args,
			int id, struct json_out *reply)
{
	char desc[DESC_SIZE], name[64];
	const struct command *cmd = find_command(doc, (unsigned)execute);
	bool capabilities = cmd && cmd->fn == run_capabilities;
	if (!s->negotiated && !capabilities)
		return reply_error(reply, "CommandNotFound",
				   "Expecting capabilities negotiation with 'qmp_capabilities'", doc, id);
	if (s->negotiated && capabilities)
		return reply_error(reply, "CommandNotFound",
				   "Capabilities negotiation is already complete, command ignored", doc, id);
	if (!cmd) {
		if (json_string(doc, (unsigned)execute, name, sizeof(name)) < 0)
			strcpy(name, "(too long)");
		snprintf(desc, sizeof(desc), "The command %s has not been found", name);
		return reply_error(reply, "CommandNotFound", desc, doc, id);
	}
	char value[1024];
	struct json_out ret;
	json_out_init(&ret, value, sizeof(value));
	if (check_args(cmd, doc, args, desc) || cmd->fn(&(struct request){ s, doc, args }, &ret, desc))
		return reply_error(reply, "GenericError", desc, doc, id);
	if (ret.overflow) {
		/* query-cpus-fast with many vCPUs: write straight into the reply. */
		json_out_raw(reply, "{\"return\": ", 11);
		json_out_init(&ret, reply->buf + reply->len, reply->size - reply->len);
		cmd->fn(&(struct request){ s, doc, args }, &ret, desc);
		reply->len += ret.len;
		reply->overflow |= ret.overflow;
	} else {
		json_out_raw(reply, "{\"return\": ", 11);
		json_out_raw(reply, value, ret.len);
	}
	reply_end(reply, doc, id);
}

void qmp_handle_message(struct qmp_session *s, const char *text, size_t len, struct json_out *reply)
{
	static struct json_token tokens[JSON_TOKENS_MAX];  /* 24 KiB: main thread only */
	static struct json_doc doc = JSON_DOC(tokens);
	char error[JSON_ERROR_SIZE], desc[DESC_SIZE];
	int err = json_parse(&doc, text, len, error);
	if (err) {
		snprintf(desc, sizeof(desc), "JSON parse error, %s",
			 err == -E2BIG ? "too many values or nested too deep" : error);
		return reply_error(reply, "GenericError", desc, &doc, -1);
	}
	int execute, args;
	int id = doc.tokens[0].type == JSON_OBJECT ? json_object_get(&doc, 0, "id") : -1;
	if (check_envelope(&doc, &execute, &args, desc))
		return reply_error(reply, "GenericError", desc, &doc, id);
	run_command(s, &doc, execute, args, id, reply);
}

void qmp_greeting(struct json_out *out)
{
	json_out_printf(out, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": %d, \"minor\": %d, \"major\": %d}, "
			"\"package\": \"sprig %s\"}, \"capabilities\": []}}\r\n", SPRIG_VERSION_MICRO,
			SPRIG_VERSION_MINOR, SPRIG_VERSION_MAJOR, SPRIG_VERSION);
}

void qmp_event(struct json_out *out, const char *name, const char *data)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	json_out_printf(out, "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %ld}, \"event\": ",
			(long long)now.tv_sec, now.tv_nsec / 1000);
	json_out_string(out, name);
	if (data) {
		json_out_raw(out, ", \"data\": ", 10);
		json_out_raw(out, data, strlen(data));
	}
	json_out_raw(out, "}\r\n", 3);
}
