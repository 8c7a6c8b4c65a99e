/* The config grammar and the command line: good input and every error. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config.h"

static struct config config;
static char error[CONFIG_ERROR_SIZE];

static int parse(const char *text)
{
	config_defaults(&config);
	error[0] = 0;
	return config_parse_text(&config, "vm.conf", text, strlen(text), error);
}

static void expect_error(const char *text, const char *message)
{
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, message);
}

static void defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(config.mem, 128ull << 20);
	assert_int_equal(config.cpus, 1);
	assert_string_equal(config.kernel, "");
	assert_false(config.timings);
}

static void every_key(void **state)
{
	(void)state;
	assert_int_equal(parse("kernel = /k.elf\ninitrd=/i.img\ncmdline = console=ttyS0 quiet\n"
			       "mem = 2G\ncpus = 8\ntimings = on\n"), 0);
	assert_string_equal(config.kernel, "/k.elf");
	assert_string_equal(config.initrd, "/i.img");
	assert_string_equal(config.cmdline, "console=ttyS0 quiet");
	assert_int_equal(config.mem, 2ull << 30);
	assert_int_equal(config.cpus, 8);
	assert_true(config.timings);
}

static void comments_blanks_crlf(void **state)
{
	(void)state;
	assert_int_equal(parse("# a comment\r\n\r\n   \t\r\n  mem = 64M   # trailing\r\ncpus=2\r\n"), 0);
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 2);
}

static void hash_inside_a_value(void **state)
{
	(void)state;
	assert_int_equal(parse("cmdline = path=/a#b x # comment\n"), 0);
	assert_string_equal(config.cmdline, "path=/a#b x");
}

static void quoted_values(void **state)
{
	(void)state;
	assert_int_equal(parse("cmdline = \"a # b \\\"q\\\" \\\\ end\"   # comment\n"), 0);
	assert_string_equal(config.cmdline, "a # b \"q\" \\ end");
	assert_int_equal(parse("cmdline = \"\"\n"), 0);
	assert_string_equal(config.cmdline, "");
}

static void relative_paths_follow_the_file(void **state)
{
	(void)state;
	config_defaults(&config);
	const char *text = "kernel = guest.elf\ninitrd = /abs/initrd\n";
	assert_int_equal(config_parse_text(&config, "/etc/vms/a.conf", text, strlen(text), error), 0);
	assert_string_equal(config.kernel, "/etc/vms/guest.elf");
	assert_string_equal(config.initrd, "/abs/initrd");
	config_defaults(&config);
	assert_int_equal(config_parse_text(&config, "a.conf", text, strlen(text), error), 0);
	assert_string_equal(config.kernel, "guest.elf");
}

static void booleans(void **state)
{
	(void)state;
	const char *yes[] = { "on", "yes", "true", "1" }, *no[] = { "off", "no", "false", "0" };
	char line[64];
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "timings = %s\n", yes[i]);
		assert_int_equal(parse(line), 0);
		assert_true(config.timings);
		snprintf(line, sizeof(line), "timings = %s\n", no[i]);
		assert_int_equal(parse(line), 0);
		assert_false(config.timings);
	}
	expect_error("timings = maybe\n", "vm.conf:1: timings: expected on or off, not 'maybe'");
}

static void errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("mem = 64M\nmemory = 1G\n", "vm.conf:2: unknown key 'memory'");
	expect_error("mem = 64X\n", "vm.conf:1: mem: bad size '64X' (try 64M or 2G)");
	expect_error("mem = 1M\n", "vm.conf:1: mem: '1M' is out of range");
	expect_error("mem = 2T\n", "vm.conf:1: mem: '2T' is out of range");
	expect_error("mem = 4097K\n", "vm.conf:1: mem: '4097K' is not a multiple of 4 KiB");
	expect_error("cpus = 0\n", "vm.conf:1: cpus: '0' is out of range");
	expect_error("cpus = 8193\n", "vm.conf:1: cpus: '8193' is out of range");
	expect_error("cpus = two\n", "vm.conf:1: cpus: bad number 'two'");
	expect_error("cpus = -1\n", "vm.conf:1: cpus: bad number '-1'");
	expect_error("cpus = 99999999999999999999999\n", "vm.conf:1: cpus: bad number '99999999999999999999999'");
	expect_error("\n\ncpus = 2\ncpus = 3\n", "vm.conf:4: duplicate key 'cpus' (already set on line 3)");
	expect_error("mem 64M\n", "vm.conf:1: expected 'key = value'");
	expect_error("= 64M\n", "vm.conf:1: expected 'key = value'");
	expect_error("Mem = 64M\n", "vm.conf:1: expected 'key = value'");
	expect_error("[net\n", "vm.conf:1: malformed section header");
	expect_error("[]\n", "vm.conf:1: malformed section header");
	expect_error("[net] junk\n", "vm.conf:1: malformed section header");
	expect_error("[net]\n", "vm.conf:1: unknown section [net]");
	expect_error("cmdline = \"open\n", "vm.conf:1: unterminated quoted value");
	expect_error("cmdline = \"a\" b\n", "vm.conf:1: text after the closing quote");
	expect_error("kernel =\n", "vm.conf:1: kernel needs a file name");
}

static void nul_and_long_lines(void **state)
{
	(void)state;
	config_defaults(&config);
	const char text[] = "mem = 64M\ncpus = 1\0\n";
	assert_int_equal(config_parse_text(&config, "vm.conf", text, sizeof(text) - 1, error), -EINVAL);
	assert_string_equal(error, "vm.conf:2: NUL byte in the file");
	char *long_line = malloc(20000);
	memset(long_line, 'a', 19999);
	long_line[19999] = 0;
	expect_error(long_line, "vm.conf:1: line longer than 16383 bytes");
	free(long_line);
}

static void cmdline_length_limit(void **state)
{
	(void)state;
	char *text = malloc(CONFIG_CMDLINE_MAX + 32);
	strcpy(text, "cmdline = ");
	memset(text + 10, 'x', CONFIG_CMDLINE_MAX - 1);
	text[10 + CONFIG_CMDLINE_MAX - 1] = 0;
	assert_int_equal(parse(text), 0);
	assert_int_equal(strlen(config.cmdline), CONFIG_CMDLINE_MAX - 1);
	strcat(text, "y");
	expect_error(text, "vm.conf:1: cmdline: longer than 4095 bytes");
	free(text);
}

static void files(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, "/nonexistent/vm.conf", error), -EINVAL);
	assert_string_equal(error, "/nonexistent/vm.conf: No such file or directory");
	assert_int_equal(config_parse_file(&config, "/", error), -EINVAL);
	assert_string_equal(error, "/: not a regular file");
	char path[] = "/tmp/sprig-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "mem = 32M\n", 10), 10);
	close(fd);
	assert_int_equal(config_parse_file(&config, path, error), 0);
	assert_int_equal(config.mem, 32ull << 20);
	unlink(path);
}

static int args(enum config_action *action, int argc, ...)
{
	char *argv[16] = { "sprig" };
	va_list ap;
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	config_defaults(&config);
	error[0] = 0;
	return config_parse_args(&config, argc, argv, action, error);
}

static void command_line(void **state)
{
	(void)state;
	enum config_action action;
	assert_int_equal(args(&action, 1), 0);
	assert_int_equal(action, CONFIG_RUN);
	assert_int_equal(args(&action, 6, "--mem", "64M", "--cpus=3", "--timings", "--cmdline=a=b c"), 0);
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 3);
	assert_true(config.timings);
	assert_string_equal(config.cmdline, "a=b c");
	assert_int_equal(args(&action, 2, "--timings=off"), 0);
	assert_false(config.timings);
	assert_int_equal(args(&action, 2, "--help"), 0);
	assert_int_equal(action, CONFIG_HELP);
	assert_int_equal(args(&action, 2, "--version"), 0);
	assert_int_equal(action, CONFIG_VERSION);
	assert_int_equal(args(&action, 2, "--frob"), -EINVAL);
	assert_string_equal(error, "unknown option '--frob' (see sprig --help)");
	assert_int_equal(args(&action, 2, "--mem"), -EINVAL);
	assert_string_equal(error, "--mem needs a value");
	assert_int_equal(args(&action, 3, "--cpus", "0"), -EINVAL);
	assert_string_equal(error, "--cpus: cpus: '0' is out of range");
	assert_int_equal(args(&action, 2, "kernel.elf"), -EINVAL);
	assert_string_equal(error, "unexpected argument 'kernel.elf' (see sprig --help)");
	assert_int_equal(args(&action, 2, "run"), -EINVAL);
	assert_string_equal(error, "run needs a config file");
	assert_int_equal(args(&action, 2, "--x.mem=1"), -EINVAL);
	assert_string_equal(error, "unknown option '--x.mem=1' (see sprig --help)");
}

static void flags_override_the_file(void **state)
{
	(void)state;
	char path[] = "/tmp/sprig-config-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "mem = 32M\ncpus = 2\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	enum config_action action;
	assert_int_equal(args(&action, 5, "run", path, "--cpus", "4"), 0);
	assert_int_equal(config.cpus, 4);
	assert_int_equal(config.mem, 32ull << 20);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(comments_blanks_crlf),
		cmocka_unit_test(hash_inside_a_value),
		cmocka_unit_test(quoted_values),
		cmocka_unit_test(relative_paths_follow_the_file),
		cmocka_unit_test(booleans),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(nul_and_long_lines),
		cmocka_unit_test(cmdline_length_limit),
		cmocka_unit_test(files),
		cmocka_unit_test(command_line),
		cmocka_unit_test(flags_override_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
