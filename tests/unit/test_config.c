/* The key table and the command line: defaults, config_set, --help, and
 * `sprig [run FILE] [--key value|--key=value|--bool-flag]`. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../config.h"

static struct config config;
static char error[CONFIG_ERROR_SIZE];
static enum config_action action;

/* Parse `sprig ARGS...` (NULL-terminated) from the defaults. */
static int args_(char *first, ...)
{
	char *argv[32] = { "sprig" };
	int argc = 1;
	va_list ap;
	va_start(ap, first);
	for (char *arg = first; arg; arg = va_arg(ap, char *)) {
		assert_true(argc < 31);
		argv[argc++] = arg;
	}
	va_end(ap);
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	action = (enum config_action)-1;
	return config_parse_args(&config, argc, argv, &action, error);
}

#define args(...) args_(__VA_ARGS__, (char *)NULL)

static void refused(int result, const char *message)
{
	assert_int_equal(result, -EINVAL);
	assert_string_equal(error, message);
}

/* --- the table --- */

static void defaults(void **state)
{
	(void)state;
	memset(&config, 0x5a, sizeof(config));
	config_defaults(&config);
	assert_string_equal(config.kernel, "");
	assert_string_equal(config.initrd, "");
	assert_string_equal(config.cmdline, "");
	assert_int_equal(config.mem, 128ull << 20);
	assert_int_equal(config.cpus, 1);
	assert_false(config.timings);
}

static int set(const char *section, const char *name, const char *value, const char *base,
	       int *index)
{
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	return config_set(&config, section, name, strlen(name), value, base, "here", error, index);
}

/* Every key has its own table slot, which duplicate detection relies on. */
static void config_set_reports_distinct_key_indexes(void **state)
{
	(void)state;
	static const char *const names[] = { "kernel", "initrd", "cmdline", "mem", "cpus", "timings" };
	static const char *const values[] = { "/k", "/i", "c", "8M", "2", "on" };
	int seen[ARRAY_SIZE(names)];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		seen[i] = -1;
		assert_int_equal(set("", names[i], values[i], NULL, &seen[i]), 0);
		assert_in_range(seen[i], 0, CONFIG_KEYS_MAX - 1);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(set("", "cpus", "3", NULL, NULL), 0);  /* no index wanted */
	assert_int_equal(config.cpus, 3);
}

/* Only as many bytes of the name as its length say count. */
static void config_set_uses_the_name_length(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_int_equal(config_set(&config, "", "cpus = 4", 4, "4", NULL, "here", error, NULL), 0);
	assert_int_equal(config.cpus, 4);
	assert_int_equal(config_set(&config, "", "cpusx", 5, "4", NULL, "here", error, NULL), -EINVAL);
	assert_string_equal(error, "here: unknown key 'cpusx'");
	assert_int_equal(config_set(&config, "", "cpusx", 2, "4", NULL, "here", error, NULL), -EINVAL);
	assert_string_equal(error, "here: unknown key 'cp'");
	/* "cpu" is a key of its own: a prefix must not reach "cpus". */
	assert_int_equal(config_set(&config, "", "cpusx", 3, "base", NULL, "here", error, NULL), 0);
	assert_string_equal(config.cpu, "base");
	assert_int_equal(config.cpus, 4);
}

static void config_set_errors(void **state)
{
	(void)state;
	refused(set("net", "mem", "64M", NULL, NULL), "here: unknown key 'net.mem'");
	refused(set("", "mem", "64M\n", NULL, NULL), "here: mem: value spans lines");
	refused(set("", "cmdline", "a\nb", NULL, NULL), "here: cmdline: value spans lines");
	refused(set("", "kernel", "", NULL, NULL), "here: kernel needs a file name");
}

static void cpu_keys(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_string_equal(config.cpu, "host");
	assert_false(config.cpu_enforce);
	assert_int_equal(set("", "cpu", "x86-64-v3,+aes,-avx2,pmu=on", NULL, NULL), 0);
	assert_string_equal(config.cpu, "x86-64-v3,+aes,-avx2,pmu=on");
	assert_int_equal(set("", "cpu-check", "enforce", NULL, NULL), 0);
	assert_true(config.cpu_enforce);
	assert_int_equal(config_set(&config, "", "cpu-check", 9, "warn", NULL, "here", error, NULL), 0);
	assert_false(config.cpu_enforce);
	assert_int_equal(set("", "threads-per-core", "2", NULL, NULL), 0);
	assert_int_equal(config.threads_per_core, 2);
	assert_int_equal(set("", "cores", "3", NULL, NULL), 0);
	assert_int_equal(config.cores, 3);
	refused(set("", "cpu", "x86-64-v9", NULL, NULL),
		"here: cpu: unknown model 'x86-64-v9' (`sprig cpu list` shows them)");
	refused(set("", "cpu", "host,+avx3", NULL, NULL),
		"here: cpu: unknown feature 'avx3' (docs/cpu-features.md lists them)");
	refused(set("", "cpu", "host,avx2", NULL, NULL),
		"here: cpu: 'avx2': write +feature, -feature, feature=on or feature=off");
	refused(set("", "cpu-check", "strict", NULL, NULL),
		"here: cpu-check: expected warn or enforce, not 'strict'");
	refused(set("", "threads-per-core", "0", NULL, NULL), "here: threads-per-core: '0' is out of range");
}

static void seccomp_key(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_int_equal(config.seccomp, 0);  /* kill: the default */
	const char *words[] = { "kill", "trap", "log", "off" };
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(set("", "seccomp", words[i], NULL, NULL), 0);
		assert_int_equal(config.seccomp, i);
	}
	refused(set("", "seccomp", "strict", NULL, NULL),
		"here: seccomp: expected one of kill|trap|log|off, not 'strict'");
	refused(set("", "seccomp", "kil", NULL, NULL), "here: seccomp: expected one of kill|trap|log|off, not 'kil'");
	refused(set("", "seccomp", "killx", NULL, NULL),
		"here: seccomp: expected one of kill|trap|log|off, not 'killx'");
	refused(set("", "seccomp", "", NULL, NULL), "here: seccomp: expected one of kill|trap|log|off, not ''");
	/* A refused value changes nothing. */
	config_defaults(&config);
	assert_int_equal(config_set(&config, "", "seccomp", 7, "log", NULL, "here", error, NULL), 0);
	assert_int_equal(config_set(&config, "", "seccomp", 7, "none", NULL, "here", error, NULL), -EINVAL);
	assert_int_equal(config.seccomp, 2);
}

static void lifecycle_keys(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_false(config.on_reboot_restart);
	assert_string_equal(config.control, "");
	assert_int_equal(set("", "on-reboot", "restart", NULL, NULL), 0);
	assert_true(config.on_reboot_restart);
	assert_int_equal(set("", "on-reboot", "exit", NULL, NULL), 0);
	assert_false(config.on_reboot_restart);
	refused(set("", "on-reboot", "reboot", NULL, NULL),
		"here: on-reboot: expected exit or restart, not 'reboot'");
	refused(set("", "on-reboot", "exi", NULL, NULL), "here: on-reboot: expected exit or restart, not 'exi'");
	refused(set("", "on-reboot", "exitx", NULL, NULL),
		"here: on-reboot: expected exit or restart, not 'exitx'");
	assert_int_equal(set("", "control", "/run/vm.sock", NULL, NULL), 0);
	assert_string_equal(config.control, "/run/vm.sock");
	refused(set("", "threads-per-core", "257", NULL, NULL),
		"here: threads-per-core: '257' is out of range");
	refused(set("", "cores", "0", NULL, NULL), "here: cores: '0' is out of range");
	/* A refused model leaves the previous one in place. */
	config_defaults(&config);
	assert_int_equal(config_set(&config, "", "cpu", 3, "microvm", NULL, "here", error, NULL), 0);
	assert_int_equal(config_set(&config, "", "cpu", 3, "microvm,+", NULL, "here", error, NULL),
			 -EINVAL);
	assert_string_equal(config.cpu, "microvm");
}

/* A value is checked whole before it is stored: an error leaves the key. */
static void refused_values_leave_the_key_alone(void **state)
{
	(void)state;
	static const struct { const char *name, *value; } bad[] = {
		{ "mem", "1M" }, { "mem", "4097K" }, { "mem", "x" }, { "cpus", "0" },
		{ "cpus", "x" }, { "timings", "x" },
	};
	config_defaults(&config);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(config_set(&config, "", bad[i].name, strlen(bad[i].name), bad[i].value,
					    NULL, "here", error, NULL), -EINVAL);
		assert_int_equal(config.mem, 128ull << 20);
		assert_int_equal(config.cpus, 1);
		assert_false(config.timings);
	}
}

static void sections_known(void **state)
{
	(void)state;
	assert_true(config_section_known("net", 3));
	assert_false(config_section_known("mem", 3));  /* a key, not a section */
	assert_false(config_section_known("x", 1));
}

static void help_lists_every_key(void **state)
{
	(void)state;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	config_print_help(out);
	fclose(out);
	static const char *const flags[] = {
		"usage: sprig [run FILE]", "--kernel FILE", "--initrd FILE", "--cmdline TEXT",
		"--mem SIZE", "--cpus N", "--timings on|off", "--cpu MODEL[,+F,-F]",
		"--cpu-check warn|enforce", "--cores N", "--threads-per-core N", "--on-reboot exit|restart",
		"--control SOCKET",
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		assert_contains(text, flags[i]);
	free(text);
}

/* --- flags --- */

static void no_arguments_runs_the_defaults(void **state)
{
	(void)state;
	assert_int_equal(args_(NULL), 0);
	assert_int_equal(action, CONFIG_RUN);
	struct config defaults;
	config_defaults(&defaults);
	assert_memory_equal(&config, &defaults, sizeof(config));
}

static void value_as_the_next_argument(void **state)
{
	(void)state;
	assert_int_equal(args("--mem", "64M", "--cpus", "3", "--kernel", "/k.elf", "--initrd",
			      "/i.img", "--cmdline", "console=ttyS0 quiet"), 0);
	assert_int_equal(action, CONFIG_RUN);
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 3);
	assert_string_equal(config.kernel, "/k.elf");
	assert_string_equal(config.initrd, "/i.img");
	assert_string_equal(config.cmdline, "console=ttyS0 quiet");
}

static void value_after_an_equals_sign(void **state)
{
	(void)state;
	assert_int_equal(args("--mem=64M", "--cpus=3", "--kernel=/k.elf", "--initrd=/i.img",
			      "--cmdline=a=b c"), 0);
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 3);
	assert_string_equal(config.kernel, "/k.elf");
	assert_string_equal(config.initrd, "/i.img");
	assert_string_equal(config.cmdline, "a=b c");  /* split at the first '=' only */
	assert_int_equal(args("--cmdline="), 0);
	assert_string_equal(config.cmdline, "");
	assert_int_equal(args("--cmdline", ""), 0);
	assert_string_equal(config.cmdline, "");
}

static void bare_boolean_flag_means_on(void **state)
{
	(void)state;
	assert_int_equal(args("--timings"), 0);
	assert_true(config.timings);
	assert_int_equal(args("--timings", "--cpus", "2"), 0);  /* takes no value */
	assert_true(config.timings);
	assert_int_equal(config.cpus, 2);
	assert_int_equal(args("--timings=off"), 0);
	assert_false(config.timings);
	assert_int_equal(args("--timings", "--timings=no"), 0);
	assert_false(config.timings);
	assert_int_equal(args("--timings=yes"), 0);
	assert_true(config.timings);
	/* A boolean's value goes after '=': a following word is not its value. */
	refused(args("--timings", "off"), "unexpected argument 'off' (see sprig --help)");
	refused(args("--timings=maybe"), "--timings: timings: expected on or off, not 'maybe'");
}

/* Flags may repeat (a wrapper script adds to a user's flags): the last wins. */
static void last_flag_wins(void **state)
{
	(void)state;
	assert_int_equal(args("--cpus", "2", "--cpus=5"), 0);
	assert_int_equal(config.cpus, 5);
}

/* The word after a flag is its value even if it looks like a flag. */
static void value_that_looks_like_a_flag(void **state)
{
	(void)state;
	assert_int_equal(args("--cmdline", "--help"), 0);
	assert_int_equal(action, CONFIG_RUN);
	assert_string_equal(config.cmdline, "--help");
}

/* On the command line, relative paths are relative to the current folder. */
static void relative_path_flags_are_kept(void **state)
{
	(void)state;
	assert_int_equal(args("--kernel", "guest.elf", "--initrd=../initrd"), 0);
	assert_string_equal(config.kernel, "guest.elf");
	assert_string_equal(config.initrd, "../initrd");
}

static void help_and_version(void **state)
{
	(void)state;
	assert_int_equal(args("--help"), 0);
	assert_int_equal(action, CONFIG_HELP);
	assert_int_equal(args("-h"), 0);
	assert_int_equal(action, CONFIG_HELP);
	assert_int_equal(args("--version"), 0);
	assert_int_equal(action, CONFIG_VERSION);
	assert_int_equal(args("--cpus", "2", "--help", "--bogus"), 0);  /* stops at --help */
	assert_int_equal(action, CONFIG_HELP);
	assert_int_equal(args("--version", "--help"), 0);
	assert_int_equal(action, CONFIG_VERSION);
	refused(args("--bogus", "--help"), "unknown option '--bogus' (see sprig --help)");
}

struct args_error {
	const char *name;
	char *argv[4];
	const char *message;
};

static const struct args_error args_errors[] = {
	{ "flag error: unknown option", { "--frob" }, "unknown option '--frob' (see sprig --help)" },
	{ "flag error: empty section", { "--.mem=64M" }, "unknown option '--.mem=64M' (see sprig --help)" },
	{ "flag error: unknown option with a value", { "--memory=1G" },
	  "unknown option '--memory=1G' (see sprig --help)" },
	{ "flag error: option in capitals", { "--MEM", "64M" },
	  "unknown option '--MEM' (see sprig --help)" },
	{ "flag error: unknown section", { "--net.mem=1" },
	  "unknown option '--net.mem=1' (see sprig --help)" },
	{ "flag error: missing value", { "--mem" }, "--mem needs a value" },
	{ "flag error: missing value at the end", { "--cpus", "2", "--kernel" },
	  "--kernel needs a value" },
	{ "flag error: bad size", { "--mem=64X" }, "--mem: mem: bad size '64X' (try 64M or 2G)" },
	{ "flag error: size out of range", { "--mem", "2T" }, "--mem: mem: '2T' is out of range" },
	{ "flag error: size not a multiple of 4 KiB", { "--mem=4097K" },
	  "--mem: mem: '4097K' is not a multiple of 4 KiB" },
	{ "flag error: cpus out of range", { "--cpus", "0" }, "--cpus: cpus: '0' is out of range" },
	{ "flag error: cpus with a blank", { "--cpus", "2 " }, "--cpus: cpus: bad number '2 '" },
	{ "flag error: empty kernel", { "--kernel=" }, "--kernel: kernel needs a file name" },
	{ "flag error: cmdline spanning lines", { "--cmdline=a\nb" },
	  "--cmdline: cmdline: value spans lines" },
	{ "flag error: positional argument", { "kernel.elf" },
	  "unexpected argument 'kernel.elf' (see sprig --help)" },
	{ "flag error: single dash", { "-m", "64M" }, "unexpected argument '-m' (see sprig --help)" },
	{ "flag error: bare --", { "--" }, "unexpected argument '--' (see sprig --help)" },
	{ "flag error: empty argument", { "" }, "unexpected argument '' (see sprig --help)" },
	{ "flag error: run without a file", { "run" }, "run needs a config file" },
	{ "flag error: run after a flag", { "--cpus", "2", "run", "vm.conf" },
	  "unexpected argument 'run' (see sprig --help)" },
	{ "flag error: run of a missing file", { "run", "/nonexistent/vm.conf" },
	  "/nonexistent/vm.conf: No such file or directory" },
};

static void args_error_is_exact(void **state)
{
	const struct args_error *c = *state;
	char *argv[6] = { "sprig" };
	int argc = 1;
	while (argc < 5 && c->argv[argc - 1])
		argv[argc] = c->argv[argc - 1], argc++;
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	refused(config_parse_args(&config, argc, argv, &action, error), c->message);
}

/* Each --block.path starts a disk; the --block.* flags after it are its. */
static void several_disks_on_the_command_line(void **state)
{
	(void)state;
	assert_int_equal(args("--block.path", "a.img", "--block.serial", "one", "--block.path=b.img",
			      "--block.read-only", "--block.cache", "none"), 0);
	assert_int_equal(config.block_count, 2);
	assert_string_equal(config.blocks[0].path, "a.img");
	assert_string_equal(config.blocks[0].serial, "one");
	assert_false(config.blocks[0].read_only);
	assert_string_equal(config.blocks[1].path, "b.img");
	assert_true(config.blocks[1].read_only);
	assert_true(config.blocks[1].cache_none);
	assert_string_equal(config.blocks[1].serial, "");
	refused(args("--block.read-only"), "--block.read-only: no [block] yet: --block.path starts one");
	refused(args("--block.serial=x", "--block.path", "a.img"),
		"--block.serial: no [block] yet: --block.path starts one");
}

/* Nine disks do not fit; eight and the rng would want nine windows. */
static void virtio_device_limit(void **state)
{
	(void)state;
	char *argv[32] = { "sprig" };
	int argc = 1;
	for (unsigned i = 0; i <= CONFIG_BLOCKS_MAX; i++)
		argv[argc++] = "--block.path", argv[argc++] = "d.img";
	config_defaults(&config);
	refused(config_parse_args(&config, argc, argv, &action, error),
		"--block.path: at most 8 [block] sections");
	argc -= 2;
	config_defaults(&config);
	assert_int_equal(config_parse_args(&config, argc, argv, &action, error), 0);
	assert_int_equal(config.block_count, CONFIG_BLOCKS_MAX);
	argv[argc++] = "--rng";
	config_defaults(&config);
	refused(config_parse_args(&config, argc, argv, &action, error),
		"9 virtio devices asked for, at most 8 fit (docs/virtio.md)");
}

/* A section name longer than any section could be is just unknown. */
static void over_long_section_flag(void **state)
{
	(void)state;
	char section[70], flag[128], message[CONFIG_ERROR_SIZE];
	memset(section, 's', sizeof(section) - 1);
	section[sizeof(section) - 1] = 0;
	snprintf(flag, sizeof(flag), "--%s.mem=64M", section);
	snprintf(message, sizeof(message), "unknown option '%s' (see sprig --help)", flag);
	refused(args(flag), message);
}

static void over_long_flag_value(void **state)
{
	(void)state;
	char *value = malloc(CONFIG_CMDLINE_MAX + 1);
	memset(value, 'x', CONFIG_CMDLINE_MAX);
	value[CONFIG_CMDLINE_MAX - 1] = 0;
	assert_int_equal(args("--cmdline", value), 0);
	assert_int_equal(strlen(config.cmdline), CONFIG_CMDLINE_MAX - 1);
	value[CONFIG_CMDLINE_MAX - 1] = 'x';
	value[CONFIG_CMDLINE_MAX] = 0;
	refused(args("--cmdline", value), "--cmdline: cmdline: longer than 4095 bytes");
	free(value);
}

/* --- run FILE --- */

static char dir[64], conf[96];

static int write_conf(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sprig-test-args-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/vm.conf", dir);
	const char *text = "kernel = guest.elf\nmem = 32M\ncpus = 2\ncmdline = from-file\n"
			   "[block]\npath = disk.img\n";
	int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int remove_conf(void **state)
{
	(void)state;
	unlink(conf);
	return rmdir(dir);
}

static void run_file_applies_the_file(void **state)
{
	(void)state;
	assert_int_equal(args("run", conf), 0);
	assert_int_equal(action, CONFIG_RUN);
	assert_int_equal(config.mem, 32ull << 20);
	assert_int_equal(config.cpus, 2);
	assert_string_equal(config.cmdline, "from-file");
	char kernel[128];
	snprintf(kernel, sizeof(kernel), "%s/guest.elf", dir);  /* next to the file */
	assert_string_equal(config.kernel, kernel);
}

/* The file is applied first, so flags after it win, key by key; a flag may
 * set a key the file set (file-level duplicate checks do not apply). */
static void flags_override_the_file(void **state)
{
	(void)state;
	assert_int_equal(args("run", conf, "--cpus", "4", "--kernel=other.elf", "--timings"), 0);
	assert_int_equal(config.cpus, 4);
	assert_string_equal(config.kernel, "other.elf");  /* relative to the current folder */
	assert_true(config.timings);
	assert_int_equal(config.mem, 32ull << 20);       /* from the file */
	assert_string_equal(config.cmdline, "from-file");
}

/* Disk flags after the file are the file's last disk's, until a
 * --block.path adds another. */
static void flags_extend_the_file_disks(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	assert_int_equal(args("run", conf, "--block.read-only"), 0);
	assert_int_equal(config.block_count, 1);
	assert_string_equal(config.blocks[0].path, path);
	assert_true(config.blocks[0].read_only);
	assert_int_equal(args("run", conf, "--block.path", "more.img", "--block.serial", "m"), 0);
	assert_int_equal(config.block_count, 2);
	assert_string_equal(config.blocks[0].serial, "");
	assert_string_equal(config.blocks[1].path, "more.img");
	assert_string_equal(config.blocks[1].serial, "m");
}

static void run_file_then_help(void **state)
{
	(void)state;
	assert_int_equal(args("run", conf, "--help"), 0);
	assert_int_equal(action, CONFIG_HELP);
}

static void run_file_then_bad_flag(void **state)
{
	(void)state;
	refused(args("run", conf, "--cpus", "0"), "--cpus: cpus: '0' is out of range");
}

#define WITH_CONF(f) cmocka_unit_test_setup_teardown(f, write_conf, remove_conf)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(config_set_reports_distinct_key_indexes),
		cmocka_unit_test(config_set_uses_the_name_length),
		cmocka_unit_test(config_set_errors),
		cmocka_unit_test(cpu_keys),
		cmocka_unit_test(lifecycle_keys),
		cmocka_unit_test(refused_values_leave_the_key_alone),
		cmocka_unit_test(sections_known),
		cmocka_unit_test(help_lists_every_key),
		cmocka_unit_test(no_arguments_runs_the_defaults),
		cmocka_unit_test(value_as_the_next_argument),
		cmocka_unit_test(value_after_an_equals_sign),
		cmocka_unit_test(bare_boolean_flag_means_on),
		cmocka_unit_test(last_flag_wins),
		cmocka_unit_test(value_that_looks_like_a_flag),
		cmocka_unit_test(relative_path_flags_are_kept),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(seccomp_key),
		cmocka_unit_test(over_long_section_flag),
		cmocka_unit_test(several_disks_on_the_command_line),
		cmocka_unit_test(virtio_device_limit),
		cmocka_unit_test(over_long_flag_value),
		WITH_CONF(run_file_applies_the_file),
		WITH_CONF(flags_override_the_file),
		WITH_CONF(flags_extend_the_file_disks),
		WITH_CONF(run_file_then_help),
		WITH_CONF(run_file_then_bad_flag),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(args_errors)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, args_errors, args_error_is_exact, NULL, NULL);
	return run_group("test_config", tests, n);
}
