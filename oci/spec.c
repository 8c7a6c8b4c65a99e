/* config.json into struct oci_spec (spec.h). */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../control/json.h"

struct reader {
	const struct json_doc *doc;
	char *why;
};

__attribute__((format(printf, 3, 4)))
static int refuse(const struct reader *r, int err, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(r->why, OCI_WHY_SIZE, format, ap);
	va_end(ap);
	return err;
}

static const char *type_name(enum json_type type)
{
	static const char *const names[] = { "an object", "an array", "a string", "a number",
					     "a boolean", "a boolean", "null" };
	return names[type];
}

/* Member `key` of the object at `object` when it has the type wanted; -1
 * when absent (or null, which the spec's optional fields may be). */
static int member(const struct reader *r, int object, const char *key, enum json_type want,
		  const char *field, int *out)
{
	*out = object < 0 ? -1 : json_object_get(r->doc, (unsigned)object, key);
	if (*out < 0 || r->doc->tokens[*out].type == JSON_NULL) {
		*out = -1;
		return 0;
	}
	enum json_type type = r->doc->tokens[*out].type;
	if (type == want || (want == JSON_TRUE && type == JSON_FALSE))
		return 0;
	return refuse(r, -EINVAL, "%s: %s, not %s", field, type_name(type), type_name(want));
}

/* The string at `token`, unescaped, in new memory (unescaping never makes
 * a string longer). */
static int copy_string(const struct reader *r, int token, const char *field, char **out)
{
	const struct json_token *t = &r->doc->tokens[token];
	size_t size = (size_t)(t->end - t->start) + 1;
	*out = malloc(size);
	if (!*out)
		return refuse(r, -ENOMEM, "%s: out of memory", field);
	if (json_string(r->doc, (unsigned)token, *out, size) < 0)
		return refuse(r, -EINVAL, "%s: not a string", field);
	return 0;
}

static int unsigned_value(const struct reader *r, int token, uint64_t max, const char *field, uint64_t *out)
{
	const struct json_token *t = &r->doc->tokens[token];
	const char *s = r->doc->text + t->start;
	size_t len = t->end - t->start;
	uint64_t v = 0;
	if (t->type != JSON_NUMBER || len == 0 || len > 20)
		return refuse(r, -EINVAL, "%s: not a whole number", field);
	for (size_t i = 0; i < len; i++) {
		unsigned digit = (unsigned)(s[i] - '0');
		if (digit > 9)
			return refuse(r, -EINVAL, "%s: not a whole number from 0 to %llu", field,
				      (unsigned long long)max);
		if (v > (UINT64_MAX - digit) / 10)
			return refuse(r, -EINVAL, "%s: over %llu", field, (unsigned long long)max);
		v = v * 10 + digit;
	}
	if (v > max)
		return refuse(r, -EINVAL, "%s: %llu is over %llu", field, (unsigned long long)v,
			      (unsigned long long)max);
	*out = v;
	return 0;
}

static int u32_member(const struct reader *r, int object, const char *key, const char *field, bool required,
		      uint32_t *out, bool *present)
{
	int t;
	uint64_t v = 0;
	int err = member(r, object, key, JSON_NUMBER, field, &t);
	if (!err && t < 0 && required)
		err = refuse(r, -EINVAL, "%s: missing", field);
	if (!err && t >= 0 && !(err = unsigned_value(r, t, UINT32_MAX, field, &v)))
		*out = (uint32_t)v;
	if (present)
		*present = t >= 0;
	return err;
}

/* ociVersion: 1.MINOR.PATCH with an optional -suffix; other majors have a
 * different meaning this runtime does not know. */
static int check_version(const struct reader *r, int root, struct oci_spec *spec)
{
	int t;
	int err = member(r, root, "ociVersion", JSON_STRING, "ociVersion", &t);
	if (err)
		return err;
	if (t < 0)
		return refuse(r, -EINVAL, "ociVersion: missing");
	if (json_string(r->doc, (unsigned)t, spec->version, sizeof(spec->version)) < 0)
		return refuse(r, -EINVAL, "ociVersion: too long");
	unsigned major, minor, patch;
	int used = 0;
	if (sscanf(spec->version, "%u.%u.%u%n", &major, &minor, &patch, &used) != 3 ||
	    (spec->version[used] && spec->version[used] != '-') || spec->version[0] < '0' || spec->version[0] > '9')
		return refuse(r, -EINVAL, "ociVersion \"%s\": not a version (MAJOR.MINOR.PATCH)", spec->version);
	if (major != 1)
		return refuse(r, -EINVAL, "ociVersion \"%s\": unsupported (this runtime implements 1.x)",
			      spec->version);
	return 0;
}

static int read_root(const struct reader *r, int root, const char *bundle, struct oci_spec *spec)
{
	int object, path, readonly;
	int err = member(r, root, "root", JSON_OBJECT, "root", &object);
	if (!err && object < 0)
		err = refuse(r, -EINVAL, "root: missing (a VM needs a root filesystem)");
	if (!err)
		err = member(r, object, "path", JSON_STRING, "root.path", &path);
	if (!err && path < 0)
		err = refuse(r, -EINVAL, "root.path: missing");
	char *given = NULL;
	if (!err)
		err = copy_string(r, path, "root.path", &given);
	if (!err && !given[0])
		err = refuse(r, -EINVAL, "root.path: empty");
	if (!err) {
		size_t size = strlen(bundle) + strlen(given) + 2;
		spec->root_path = malloc(size);
		if (!spec->root_path)
			err = refuse(r, -ENOMEM, "root.path: out of memory");
		else if (given[0] == '/')
			snprintf(spec->root_path, size, "%s", given);
		else
			snprintf(spec->root_path, size, "%s/%s", bundle, given);
	}
	free(given);
	if (!err && !(err = member(r, object, "readonly", JSON_TRUE, "root.readonly", &readonly)) && readonly >= 0)
		spec->root_readonly = r->doc->tokens[readonly].type == JSON_TRUE;
	return err;
}

/* An array of strings into a NULL-terminated vector; `env` entries must
 * be KEY=VALUE. */
static int read_strings(const struct reader *r, int array, const char *field, bool env, char ***out,
			unsigned *count)
{
	const struct json_token *a = &r->doc->tokens[array];
	if (a->children > OCI_ARGS_MAX)
		return refuse(r, -E2BIG, "%s: %u entries (at most %u)", field, a->children, OCI_ARGS_MAX);
	*out = calloc(a->children + 1, sizeof(char *));
	if (!*out)
		return refuse(r, -ENOMEM, "%s: out of memory", field);
	unsigned i = 0;
	for (unsigned t = (unsigned)array + 1; i < a->children; t = r->doc->tokens[t].next, i++) {
		if (r->doc->tokens[t].type != JSON_STRING)
			return refuse(r, -EINVAL, "%s[%u]: %s, not a string", field, i,
				      type_name(r->doc->tokens[t].type));
		int err = copy_string(r, (int)t, field, &(*out)[i]);
		*count = i + 1;
		if (err)
			return err;
		const char *eq = strchr((*out)[i], '=');
		if (env && (!eq || eq == (*out)[i]))
			return refuse(r, -EINVAL, "%s[%u]: not KEY=VALUE", field, i);
	}
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

/* The spec: a type the runtime cannot map, or one given twice, is an error. */
static int read_rlimit(const struct reader *r, int object, unsigned index, struct oci_process *p)
{
	char field[48];
	snprintf(field, sizeof(field), "process.rlimits[%u]", index);
	if (r->doc->tokens[object].type != JSON_OBJECT)
		return refuse(r, -EINVAL, "%s: not an object", field);
	int type, soft, hard;
	int err = member(r, object, "type", JSON_STRING, field, &type);
	if (!err && (type < 0 || (err = member(r, object, "soft", JSON_NUMBER, field, &soft)) || soft < 0 ||
		     (err = member(r, object, "hard", JSON_NUMBER, field, &hard)) || hard < 0))
		return err ? err : refuse(r, -EINVAL, "%s: type, soft and hard are required", field);
	if (err)
		return err;
	struct oci_rlimit *l = &p->rlimits[p->rlimit_count];
	l->resource = -1;
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (json_string_is(r->doc, (unsigned)type, rlimit_names[i].name))
			l->resource = rlimit_names[i].resource;
	if (l->resource < 0)
		return refuse(r, -EINVAL, "%s.type: not an rlimit this runtime knows", field);
	for (unsigned i = 0; i < p->rlimit_count; i++)
		if (p->rlimits[i].resource == l->resource)
			return refuse(r, -EINVAL, "%s.type: given twice", field);
	if ((err = unsigned_value(r, soft, UINT64_MAX, field, &l->soft)) ||
	    (err = unsigned_value(r, hard, UINT64_MAX, field, &l->hard)))
		return err;
	if (l->soft > l->hard)
		return refuse(r, -EINVAL, "%s: soft over hard", field);
	p->rlimit_count++;
	return 0;
}

static int read_rlimits(const struct reader *r, int process, struct oci_process *p)
{
	int array;
	int err = member(r, process, "rlimits", JSON_ARRAY, "process.rlimits", &array);
	if (err || array < 0)
		return err;
	const struct json_token *a = &r->doc->tokens[array];
	if (a->children > OCI_RLIMITS_MAX)
		return refuse(r, -E2BIG, "process.rlimits: %u entries (at most %u)", a->children, OCI_RLIMITS_MAX);
	unsigned i = 0;
	for (unsigned t = (unsigned)array + 1; i < a->children && !err; t = r->doc->tokens[t].next, i++)
		err = read_rlimit(r, (int)t, i, p);
	return err;
}

static int read_user(const struct reader *r, int process, struct oci_process *p)
{
	int user, gids;
	int err = member(r, process, "user", JSON_OBJECT, "process.user", &user);
	if (!err && user < 0)
		return refuse(r, -EINVAL, "process.user: missing");
	if (!err)
		err = u32_member(r, user, "uid", "process.user.uid", true, &p->uid, NULL);
	if (!err)
		err = u32_member(r, user, "gid", "process.user.gid", true, &p->gid, NULL);
	if (!err)
		err = u32_member(r, user, "umask", "process.user.umask", false, &p->umask, &p->has_umask);
	if (!err && p->has_umask && p->umask > 0777)
		err = refuse(r, -EINVAL, "process.user.umask: over 0777");
	if (!err)
		err = member(r, user, "additionalGids", JSON_ARRAY, "process.user.additionalGids", &gids);
	if (err || gids < 0)
		return err;
	unsigned n = r->doc->tokens[gids].children;
	if (n > OCI_ARGS_MAX)
		return refuse(r, -E2BIG, "process.user.additionalGids: %u entries (at most %u)", n, OCI_ARGS_MAX);
	p->additional_gids = calloc(n + 1, sizeof(uint32_t));
	if (!p->additional_gids)
		return refuse(r, -ENOMEM, "process.user.additionalGids: out of memory");
	unsigned i = 0;
	for (unsigned t = (unsigned)gids + 1; i < n; t = r->doc->tokens[t].next, i++) {
		uint64_t v;
		if ((err = unsigned_value(r, (int)t, UINT32_MAX, "process.user.additionalGids", &v)))
			return err;
		p->additional_gids[i] = (uint32_t)v;
		p->additional_gid_count = i + 1;
	}
	return 0;
}

static int read_flag(const struct reader *r, int object, const char *key, const char *field, bool *out)
{
	int t;
	int err = member(r, object, key, JSON_TRUE, field, &t);
	if (!err && t >= 0)
		*out = r->doc->tokens[t].type == JSON_TRUE;
	return err;
}

static int read_console_size(const struct reader *r, int process, struct oci_process *p)
{
	int size;
	uint32_t rows = 0, columns = 0;
	int err = member(r, process, "consoleSize", JSON_OBJECT, "process.consoleSize", &size);
	if (!err && size >= 0 &&
	    !(err = u32_member(r, size, "height", "process.consoleSize.height", true, &rows, NULL)) &&
	    !(err = u32_member(r, size, "width", "process.consoleSize.width", true, &columns, NULL)) &&
	    (rows > UINT16_MAX || columns > UINT16_MAX))
		err = refuse(r, -EINVAL, "process.consoleSize: over 65535");
	p->console_rows = (uint16_t)rows;
	p->console_columns = (uint16_t)columns;
	return err;
}

static int read_process(const struct reader *r, int root, struct oci_spec *spec)
{
	struct oci_process *p = &spec->process;
	int process, args, env, cwd;
	int err = member(r, root, "process", JSON_OBJECT, "process", &process);
	if (err || process < 0)
		return err;
	spec->has_process = true;
	if ((err = member(r, process, "args", JSON_ARRAY, "process.args", &args)))
		return err;
	if (args < 0 || r->doc->tokens[args].children == 0)
		return refuse(r, -EINVAL, "process.args: missing or empty");
	if ((err = read_strings(r, args, "process.args", false, &p->args, &p->arg_count)))
		return err;
	if ((err = member(r, process, "env", JSON_ARRAY, "process.env", &env)))
		return err;
	if (env >= 0 && (err = read_strings(r, env, "process.env", true, &p->env, &p->env_count)))
		return err;
	if ((err = member(r, process, "cwd", JSON_STRING, "process.cwd", &cwd)))
		return err;
	if (cwd < 0)
		return refuse(r, -EINVAL, "process.cwd: missing");
	if ((err = copy_string(r, cwd, "process.cwd", &p->cwd)))
		return err;
	if (p->cwd[0] != '/')
		return refuse(r, -EINVAL, "process.cwd \"%.64s\": not an absolute path", p->cwd);
	if ((err = read_flag(r, process, "terminal", "process.terminal", &p->terminal)) ||
	    (err = read_flag(r, process, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges)) ||
	    (err = read_user(r, process, p)) || (err = read_console_size(r, process, p)))
		return err;
	return read_rlimits(r, process, p);
}

static int read_hostname(const struct reader *r, int root, struct oci_spec *spec)
{
	int t;
	int err = member(r, root, "hostname", JSON_STRING, "hostname", &t);
	if (err || t < 0)
		return err;
	if (json_string(r->doc, (unsigned)t, spec->hostname, sizeof(spec->hostname)) < 0)
		return refuse(r, -EINVAL, "hostname: over %d bytes", OCI_HOSTNAME_MAX);
	if (strchr(spec->hostname, '/'))
		return refuse(r, -EINVAL, "hostname: has a '/'");
	return 0;
}

/* A mount's destination: absolute, and no ".." to climb out of the root
 * with. */
static int check_destination(const struct reader *r, unsigned i, const char *d)
{
	if (d[0] != '/')
		return refuse(r, -EINVAL, "mounts[%u].destination \"%.64s\": not an absolute path", i, d);
	if (strlen(d) > OCI_MOUNT_PATH_MAX)
		return refuse(r, -EINVAL, "mounts[%u].destination: over %u bytes", i, OCI_MOUNT_PATH_MAX);
	for (const char *p = d; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || !p[2]))
			return refuse(r, -EINVAL, "mounts[%u].destination \"%.64s\": a \"..\" component", i, d);
	return 0;
}

static int optional_string(const struct reader *r, int object, const char *key, const char *field, char **out)
{
	int t;
	int err = member(r, object, key, JSON_STRING, field, &t);
	if (err)
		return err;
	if (t >= 0)
		return copy_string(r, t, field, out);
	*out = strdup("");
	return *out ? 0 : refuse(r, -ENOMEM, "%s: out of memory", field);
}

bool oci_mount_has_option(const struct oci_mount *m, const char *name)
{
	for (unsigned i = 0; i < m->option_count; i++)
		if (!strcmp(m->options[i], name))
			return true;
	return false;
}

bool oci_mount_is_bind(const struct oci_mount *m)
{
	return !strcmp(m->type, "bind") || oci_mount_has_option(m, "bind") || oci_mount_has_option(m, "rbind");
}

/* A bind mount's relative source is the bundle's (runtime-spec). */
static int bundle_source(const struct reader *r, unsigned i, const char *bundle, struct oci_mount *m)
{
	if (!oci_mount_is_bind(m) || !m->source[0] || m->source[0] == '/')
		return 0;
	size_t size = strlen(bundle) + strlen(m->source) + 2;
	char *joined = malloc(size);
	if (!joined)
		return refuse(r, -ENOMEM, "mounts[%u].source: out of memory", i);
	snprintf(joined, size, "%s/%s", bundle, m->source);
	free(m->source);
	m->source = joined;
	return 0;
}

static int read_mount(const struct reader *r, int object, unsigned i, const char *bundle, struct oci_mount *m)
{
	char field[48];
	int t, err;
	snprintf(field, sizeof(field), "mounts[%u]", i);
	if (r->doc->tokens[object].type != JSON_OBJECT)
		return refuse(r, -EINVAL, "%s: %s, not an object", field, type_name(r->doc->tokens[object].type));
	snprintf(field, sizeof(field), "mounts[%u].destination", i);
	if ((err = member(r, object, "destination", JSON_STRING, field, &t)))
		return err;
	if (t < 0)
		return refuse(r, -EINVAL, "%s: missing", field);
	if ((err = copy_string(r, t, field, &m->destination)) || (err = check_destination(r, i, m->destination)))
		return err;
	snprintf(field, sizeof(field), "mounts[%u].type", i);
	if ((err = optional_string(r, object, "type", field, &m->type)))
		return err;
	snprintf(field, sizeof(field), "mounts[%u].source", i);
	if ((err = optional_string(r, object, "source", field, &m->source)))
		return err;
	snprintf(field, sizeof(field), "mounts[%u].options", i);
	if ((err = member(r, object, "options", JSON_ARRAY, field, &t)))
		return err;
	if (t >= 0 && r->doc->tokens[t].children > OCI_MOUNT_OPTIONS_MAX)
		return refuse(r, -E2BIG, "%s: %u entries (at most %u)", field, r->doc->tokens[t].children,
			      OCI_MOUNT_OPTIONS_MAX);
	if (t >= 0)
		err = read_strings(r, t, field, false, &m->options, &m->option_count);
	else if (!(m->options = calloc(1, sizeof(char *))))
		err = refuse(r, -ENOMEM, "%s: out of memory", field);
	return err ? err : bundle_source(r, i, bundle, m);
}

static int read_mounts(const struct reader *r, int root, const char *bundle, struct oci_spec *spec)
{
	int array;
	int err = member(r, root, "mounts", JSON_ARRAY, "mounts", &array);
	if (err || array < 0)
		return err;
	unsigned count = r->doc->tokens[array].children;
	if (count > OCI_MOUNTS_MAX)
		return refuse(r, -E2BIG, "mounts: %u entries (at most %u)", count, OCI_MOUNTS_MAX);
	if (count && !(spec->mounts = calloc(count, sizeof(*spec->mounts))))
		return refuse(r, -ENOMEM, "mounts: out of memory");
	unsigned i = 0;
	for (unsigned t = (unsigned)array + 1; i < count; t = r->doc->tokens[t].next, i++) {
		spec->mount_count = i + 1;
		if ((err = read_mount(r, (int)t, i, bundle, &spec->mounts[i])))
			return err;
	}
	return 0;
}

/* linux.resources.cpu.cpus: "0-3,8" names 5 CPUs. */
static int count_cpuset(const struct reader *r, int token, struct oci_spec *spec)
{
	char *list = spec->cpuset;
	unsigned *count = &spec->cpuset_count;
	if (json_string(r->doc, (unsigned)token, list, sizeof(spec->cpuset)) < 0)
		return refuse(r, -EINVAL, "linux.resources.cpu.cpus: too long");
	*count = 0;
	for (char *s = list; *s;) {
		char *end;
		unsigned long first = strtoul(s, &end, 10), last = first;
		if (end == s || first >= 8192)
			return refuse(r, -EINVAL, "linux.resources.cpu.cpus \"%s\": not a CPU list", list);
		if (*end == '-') {
			s = end + 1;
			last = strtoul(s, &end, 10);
			if (end == s || last >= 8192 || last < first)
				return refuse(r, -EINVAL, "linux.resources.cpu.cpus \"%s\": not a CPU list", list);
		}
		*count += (unsigned)(last - first + 1);
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return refuse(r, -EINVAL, "linux.resources.cpu.cpus \"%s\": not a CPU list", list);
		s = end;
	}
	return 0;
}

/* linux.cgroupsPath (cgroup.c resolves it) and linux.resources.pids. */
static int read_cgroup(const struct reader *r, int linux_, int resources, struct oci_spec *spec)
{
	int pids, t;
	int err = member(r, linux_, "cgroupsPath", JSON_STRING, "linux.cgroupsPath", &t);
	if (!err && t >= 0 && !(err = copy_string(r, t, "linux.cgroupsPath", &spec->cgroups_path)) &&
	    strlen(spec->cgroups_path) > 1024)
		err = refuse(r, -EINVAL, "linux.cgroupsPath: over 1024 bytes");
	if (!err)
		err = member(r, resources, "pids", JSON_OBJECT, "linux.resources.pids", &pids);
	if (!err && !(err = member(r, pids, "limit", JSON_NUMBER, "linux.resources.pids.limit", &t)) && t >= 0 &&
	    json_int64(r->doc, (unsigned)t, &spec->pids_limit))
		err = refuse(r, -EINVAL, "linux.resources.pids.limit: not a whole number");
	if (spec->pids_limit < 0)
		spec->pids_limit = 0;
	return err;
}

/* Limits of -1 (and 0) mean none, as runc reads them. */
static int read_resources(const struct reader *r, int root, struct oci_spec *spec)
{
	int linux_, resources = -1, memory = -1, cpu = -1, t;
	int err = member(r, root, "linux", JSON_OBJECT, "linux", &linux_);
	if (!err)
		err = member(r, linux_, "resources", JSON_OBJECT, "linux.resources", &resources);
	if (!err)
		err = member(r, resources, "memory", JSON_OBJECT, "linux.resources.memory", &memory);
	if (!err)
		err = member(r, resources, "cpu", JSON_OBJECT, "linux.resources.cpu", &cpu);
	if (!err && !(err = member(r, memory, "limit", JSON_NUMBER, "linux.resources.memory.limit", &t)) &&
	    t >= 0 && json_int64(r->doc, (unsigned)t, &spec->memory_limit))
		err = refuse(r, -EINVAL, "linux.resources.memory.limit: not a whole number");
	if (!err && !(err = member(r, cpu, "quota", JSON_NUMBER, "linux.resources.cpu.quota", &t)) && t >= 0 &&
	    json_int64(r->doc, (unsigned)t, &spec->cpu_quota))
		err = refuse(r, -EINVAL, "linux.resources.cpu.quota: not a whole number");
	if (!err && !(err = member(r, cpu, "period", JSON_NUMBER, "linux.resources.cpu.period", &t)) && t >= 0)
		err = unsigned_value(r, t, UINT64_MAX, "linux.resources.cpu.period", &spec->cpu_period);
	if (!err && !(err = member(r, cpu, "cpus", JSON_STRING, "linux.resources.cpu.cpus", &t)) && t >= 0)
		err = count_cpuset(r, t, spec);
	if (!err && !(err = member(r, cpu, "shares", JSON_NUMBER, "linux.resources.cpu.shares", &t)) && t >= 0)
		err = unsigned_value(r, t, 262144, "linux.resources.cpu.shares", &spec->cpu_shares);
	if (!err)
		err = read_cgroup(r, linux_, resources, spec);
	if (spec->memory_limit < 0)
		spec->memory_limit = 0;
	if (spec->cpu_quota < 0)
		spec->cpu_quota = 0;
	return err;
}

int oci_spec_parse(struct oci_spec *spec, const char *bundle, const char *text, size_t len, char *why)
{
	*spec = (struct oci_spec){ 0 };
	if (len > OCI_CONFIG_MAX)
		return snprintf(why, OCI_WHY_SIZE, "config.json: over %u bytes", OCI_CONFIG_MAX), -E2BIG;
	/* Every value takes at least one byte and a separator. */
	size_t capacity = len / 2 + 2;
	struct json_doc doc = { .capacity = (unsigned)capacity, .tokens = calloc(capacity, sizeof(struct json_token)) };
	if (!doc.tokens)
		return snprintf(why, OCI_WHY_SIZE, "config.json: out of memory"), -ENOMEM;
	char error[JSON_ERROR_SIZE];
	int err = json_parse(&doc, text, len, error);
	if (err)
		snprintf(why, OCI_WHY_SIZE, "config.json: %s", error);
	else if (doc.tokens[0].type != JSON_OBJECT)
		err = -EINVAL, snprintf(why, OCI_WHY_SIZE, "config.json: not a JSON object");
	struct reader r = { .doc = &doc, .why = why };
	if (!err && !(err = check_version(&r, 0, spec)) && !(err = read_root(&r, 0, bundle, spec)) &&
	    !(err = read_process(&r, 0, spec)) && !(err = read_hostname(&r, 0, spec)) &&
	    !(err = read_resources(&r, 0, spec)))
		err = read_mounts(&r, 0, bundle, spec);
	free(doc.tokens);
	return err;
}

int oci_spec_load(struct oci_spec *spec, const char *bundle, char *why)
{
	*spec = (struct oci_spec){ 0 };
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
		return snprintf(why, OCI_WHY_SIZE, "%s: path too long", bundle), -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int err = -errno;
		snprintf(why, OCI_WHY_SIZE, "%s: %s", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)OCI_CONFIG_MAX) {
		close(fd);
		snprintf(why, OCI_WHY_SIZE, "%s: %s", path, S_ISREG(st.st_mode) ? "too large" : "not a file");
		return -EINVAL;
	}
	char *text = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (text && got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	int err = !text ? -ENOMEM : got != (size_t)st.st_size ? -EIO : 0;
	if (err) {
		snprintf(why, OCI_WHY_SIZE, "%s: %s", path, strerror(-err));
	} else if ((err = oci_spec_parse(spec, bundle, text, got, why))) {
		/* Name the file, not just "config.json". */
		char field[OCI_WHY_SIZE];
		const char *what = strncmp(why, "config.json: ", 13) ? why : why + 13;
		snprintf(field, sizeof(field), "%s", what);
		snprintf(why, OCI_WHY_SIZE, "%.2000s: %.2000s", path, field);
	}
	free(text);
	return err;
}

static void free_strings(char **v, unsigned count)
{
	for (unsigned i = 0; v && i < count; i++)
		free(v[i]);
	free(v);
}

void oci_spec_free(struct oci_spec *spec)
{
	free_strings(spec->process.args, spec->process.arg_count);
	free_strings(spec->process.env, spec->process.env_count);
	free(spec->process.cwd);
	free(spec->process.additional_gids);
	free(spec->root_path);
	free(spec->cgroups_path);
	for (unsigned i = 0; i < spec->mount_count; i++) {
		struct oci_mount *m = &spec->mounts[i];
		free(m->destination), free(m->type), free(m->source);
		free_strings(m->options, m->option_count);
	}
	free(spec->mounts);
	*spec = (struct oci_spec){ 0 };
}

/* Linux and the agent boot in about 40 MiB; a VM smaller than this would
 * fail in ways that look like the container's fault. */
#define VM_MEM_MIN_MIB 128
#define VM_MEM_DEFAULT_MIB 256
#define VM_CPUS_MAX 64

unsigned oci_spec_vm_mem_mib(const struct oci_spec *spec)
{
	if (!spec->memory_limit)
		return VM_MEM_DEFAULT_MIB;
	uint64_t mib = ((uint64_t)spec->memory_limit + (1u << 20) - 1) >> 20;
	if (mib < VM_MEM_MIN_MIB)
		return VM_MEM_MIN_MIB;
	return mib > (1u << 20) ? 1u << 20 : (unsigned)mib;  /* 1 TiB: the config's own bound */
}

unsigned oci_spec_vm_cpus(const struct oci_spec *spec)
{
	uint64_t cpus = 1;
	if (spec->cpu_quota > 0 && spec->cpu_period > 0)
		cpus = ((uint64_t)spec->cpu_quota + spec->cpu_period - 1) / spec->cpu_period;
	else if (spec->cpuset_count)
		cpus = spec->cpuset_count;
	return cpus > VM_CPUS_MAX ? VM_CPUS_MAX : (unsigned)cpus;
}
