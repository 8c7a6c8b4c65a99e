/* The OCI runtime command line (oci.h), as runc takes it:
 *   sprig [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID
 * Flags as `--name value` or `--name=value`; runc's flags that mean
 * nothing for a VM (--debug, --no-pivot...) are accepted and
 * ignored, anything else is refused. */
#include "oci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../control/json.h"

static const char *const commands[] = { "create", "start", "state", "kill", "delete", "run", "list" };

static bool is_command(const char *s)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(s, commands[i]))
			return true;
	return false;
}

/* Global flags that take a value, and those that do not. */
static const char *const global_valued[] = { "--root", "--log", "--log-format", "--kernel", "--initrd",
					     "--rootless", "--criu" };
static const char *const global_bare[] = { "--debug", "--systemd-cgroup" };

static bool in(const char *const *list, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && !strncmp(list[i], name, len))
			return true;
	return false;
}
#define IN(list, name, len) in((list), sizeof(list) / sizeof((list)[0]), (name), (len))

/* `sprig run FILE` is also the VM's own config-file form (docs/config.md).
 * It is the OCI run when a runc flag comes first or among its arguments,
 * or when its first argument is no file: a container id has no '/'. */
static bool is_oci_run(int argc, char **argv, int at, bool after_global_flag)
{
	static const char *const run_flags[] = { "--bundle", "-b", "--pid-file", "--console-socket", "--detach", "-d",
						 "--keep", "--no-pivot", "--no-new-keyring", "--preserve-fds" };
	if (after_global_flag)
		return true;
	const char *first = NULL;
	for (int i = at + 1; i < argc; i++) {
		size_t len = strcspn(argv[i], "=");
		if (IN(run_flags, argv[i], len))
			return true;
		if (argv[i][0] != '-' && !first)
			first = argv[i];
	}
	return first && !strchr(first, '/') && access(first, F_OK);
}

bool oci_is_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t len = strcspn(a, "=");
		if (is_command(a))
			return strcmp(a, "run") || is_oci_run(argc, argv, i, i > 1);
		if (IN(global_valued, a, len))
			i += a[len] ? 0 : 1;
		else if (!IN(global_bare, a, len))
			return false;
	}
	return false;
}

/* The line in the --log file as runc writes it; an error on stderr too,
 * a warning only without a log, as runc's; a note never. Engines read
 * our stderr as the error and sort it by its words (podman: "permission
 * denied" before "executable file not found", 126 before 127), so more
 * there would change what the engine reports. */
static void log_line(const struct oci_options *o, const char *level, const char *line)
{
	bool error = !strcmp(level, "error"), note = !strcmp(level, "info");
	FILE *log = o->log ? fopen(o->log, "ae") : NULL;
	if (error || (!log && !note))
		fprintf(stderr, "sprig: %s%s\n", error ? "" : "warning: ", line);
	if (!log)
		return;
	char now[40];
	time_t t = time(NULL);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (o->log_format && !strcmp(o->log_format, "json")) {
		static char escaped[OCI_WHY_SIZE * 6 + 8];
		struct json_out out;
		json_out_init(&out, escaped, sizeof(escaped));
		json_out_string(&out, line);
		fprintf(log, "{\"level\":\"%s\",\"msg\":%.*s,\"time\":\"%s\"}\n", level, (int)out.len, escaped, now);
	} else {
		fprintf(log, "time=\"%s\" level=%s msg=\"%s\"\n", now, level, line);
	}
	fclose(log);
}

static void log_formatted(const struct oci_options *o, const char *level, const char *format, va_list ap)
{
	char line[OCI_WHY_SIZE];
	vsnprintf(line, sizeof(line), format, ap);
	log_line(o, level, line);
}

int oci_fail(const struct oci_options *o, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	log_formatted(o, "error", format, ap);
	va_end(ap);
	return 1;
}

void oci_warn(const struct oci_options *o, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	log_formatted(o, "warning", format, ap);
	va_end(ap);
}

void oci_note(const struct oci_options *o, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	log_formatted(o, "info", format, ap);
	va_end(ap);
}

/* A command's flag: its names, and where its value (or true) goes. */
struct flag {
	const char *name, *short_name;
	const char **value;  /* NULL: a bare flag */
	bool *set;           /* for bare flags; NULL: accepted and ignored */
};

static int parse_flag(const struct flag *flags, size_t n, int argc, char **argv, int *i, struct oci_options *o)
{
	const char *a = argv[*i];
	size_t len = strcspn(a, "=");
	for (size_t k = 0; k < n; k++) {
		const struct flag *f = &flags[k];
		bool long_match = strlen(f->name) == len && !strncmp(a, f->name, len);
		bool short_match = f->short_name && !strcmp(a, f->short_name);
		if (!long_match && !short_match)
			continue;
		if (!f->value) {
			if (a[len])
				return oci_fail(o, "%s takes no value", f->name);
			if (f->set)
				*f->set = true;
			return 0;
		}
		if (a[len]) {
			*f->value = a + len + 1;
		} else {
			if (*i + 1 >= argc)
				return oci_fail(o, "%s needs a value", f->name);
			*f->value = argv[++*i];
		}
		return 0;
	}
	return oci_fail(o, "%s: unknown flag for %s", a, o->command);
}

static int parse_command(int argc, char **argv, int i, struct oci_options *o)
{
	static const char *ignored;
	const struct flag flags[] = {
		{ "--bundle", "-b", &o->bundle, NULL },	      { "--pid-file", NULL, &o->pid_file, NULL },
		{ "--console-socket", NULL, &o->console_socket, NULL },
		{ "--preserve-fds", NULL, &ignored, NULL },   { "--no-pivot", NULL, NULL, NULL },
		{ "--no-new-keyring", NULL, NULL, NULL },     { "--detach", "-d", NULL, &o->detach },
		{ "--keep", NULL, NULL, &o->keep },		      { "--force", "-f", NULL, &o->force },
		{ "--all", "-a", NULL, &o->all },	      { "--format", "-f", &o->format, NULL },
		{ "--quiet", "-q", NULL, &o->quiet },
	};
	/* Which flags each command has: a bit per entry above. */
	static const struct {
		const char *command;
		unsigned mask;
	} allowed[] = { { "create", 0x3f }, { "run", 0xff }, { "start", 0 }, { "state", 0 },
			{ "kill", 0x200 }, { "delete", 0x100 }, { "list", 0xc00 } };
	struct flag mine[sizeof(flags) / sizeof(flags[0])];
	size_t n = 0;
	for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
		if (!strcmp(allowed[k].command, o->command))
			for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
				if (allowed[k].mask & (1u << f))
					mine[n++] = flags[f];
	const char *positional[2] = { NULL, NULL };
	unsigned count = 0;
	for (; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			if (parse_flag(mine, n, argc, argv, &i, o))
				return 1;
		} else if (count < 2) {
			positional[count++] = argv[i];
		} else {
			return oci_fail(o, "%s: too many arguments", o->command);
		}
	}
	bool is_list = !strcmp(o->command, "list"), is_kill = !strcmp(o->command, "kill");
	if (!is_list && !count)
		return oci_fail(o, "%s: the container id is missing", o->command);
	if (count > (is_kill ? 2u : is_list ? 0u : 1u))
		return oci_fail(o, "%s: too many arguments", o->command);
	o->id = positional[0];
	o->signal = positional[1];
	return 0;
}

static int parse(int argc, char **argv, struct oci_options *o)
{
	int i = 1;
	for (; i < argc && !is_command(argv[i]); i++) {
		const char *a = argv[i];
		size_t len = strcspn(a, "=");
		const char *value = a[len] ? a + len + 1 : i + 1 < argc ? argv[i + 1] : NULL;
		if (IN(global_bare, a, len)) {
			o->systemd_cgroup |= !strncmp(a, "--systemd-cgroup", len);
			continue;
		}
		if (!IN(global_valued, a, len) || !value)
			return oci_fail(o, "%s: unknown global flag or no value", a);
		if (!a[len])
			i++;
		if (!strncmp(a, "--root", len))
			o->root = value;
		else if (!strncmp(a, "--log", len))
			o->log = value;
		else if (!strncmp(a, "--log-format", len))
			o->log_format = value;
		else if (!strncmp(a, "--kernel", len))
			o->kernel = value;
		else if (!strncmp(a, "--initrd", len))
			o->initrd = value;
	}
	o->command = argv[i];
	return parse_command(argc, argv, i + 1, o);
}

/* runc's default root: /run/sprig, or when rootless $XDG_RUNTIME_DIR/sprig
 * (which is the user's) when it is set. */
static const char *default_root(void)
{
	static char path[PATH_MAX];
	const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
	if (!oci_rootless() || !runtime_dir || runtime_dir[0] != '/' ||
	    snprintf(path, sizeof(path), "%s/sprig", runtime_dir) >= (int)sizeof(path))
		return OCI_DEFAULT_ROOT;
	return path;
}

int oci_main(int argc, char **argv)
{
	struct oci_options o = { .root = default_root() };
	if (parse(argc, argv, &o))
		return 1;
	if (o.log_format && strcmp(o.log_format, "json") && strcmp(o.log_format, "text"))
		return oci_fail(&o, "--log-format %s: text or json", o.log_format);
	char why[OCI_WHY_SIZE];
	if (o.id && oci_id_check(o.id, why))
		return oci_fail(&o, "%s", why);
	if (!strcmp(o.command, "create"))
		return oci_create(&o);
	if (!strcmp(o.command, "run"))
		return oci_run(&o);
	if (!strcmp(o.command, "start"))
		return oci_start(&o);
	if (!strcmp(o.command, "state"))
		return oci_state(&o);
	if (!strcmp(o.command, "kill"))
		return oci_kill(&o);
	if (!strcmp(o.command, "delete"))
		return oci_delete(&o);
	return oci_list(&o);
}
