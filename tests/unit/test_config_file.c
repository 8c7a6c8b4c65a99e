/* The config file grammar: `key = value`, comments, blank lines, CRLF,
 * quoted values, and every error with its exact "file:line: problem". */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../config.h"

static struct config config;
static char error[CONFIG_ERROR_SIZE];

static int parse_bytes(const char *name, const char *text, size_t len)
{
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	return config_parse_text(&config, name, text, len, error);
}

static int parse(const char *text)
{
	return parse_bytes("vm.conf", text, strlen(text));
}

static void parses(const char *text)
{
	if (parse(text))
		fail_msg("'%s' was refused: %s", text, error);
}

/* A text of `len` bytes: `prefix`, then `fill` repeated, then `suffix`. */
static char *made_of(const char *prefix, char fill, size_t len, const char *suffix)
{
	char *text = malloc(len + 1);
	assert_non_null(text);
	size_t head = strlen(prefix), tail = strlen(suffix);
	assert_true(head + tail <= len);
	memcpy(text, prefix, head);
	memset(text + head, fill, len - head - tail);
	memcpy(text + len - tail, suffix, tail);
	text[len] = 0;
	return text;
}

/* --- good files --- */

/* Each [block] header is a disk of its own; its keys may repeat per disk. */
static void several_disks(void **state)
{
	(void)state;
	parses("mem = 64M\n"
	       "[block]\npath = root.img\nserial = root\n"
	       "[block]\n# the data disk\npath = /srv/data.img\nread-only = on\ncache = none\n"
	       "[block]\npath = \"scratch disk.img\"\nrate = 10M\nops = 1000\n");
	assert_int_equal(config.block_count, 3);
	assert_string_equal(config.blocks[0].path, "root.img");
	assert_string_equal(config.blocks[0].serial, "root");
	assert_false(config.blocks[0].read_only);
	assert_string_equal(config.blocks[1].path, "/srv/data.img");
	assert_true(config.blocks[1].read_only);
	assert_true(config.blocks[1].cache_none);
	assert_string_equal(config.blocks[1].serial, "");
	assert_string_equal(config.blocks[2].path, "scratch disk.img");
	assert_false(config.blocks[2].cache_none);
	assert_int_equal(config.blocks[2].rate, 10 * 1024 * 1024);
	assert_int_equal(config.blocks[2].ops, 1000);
	assert_int_equal(config.blocks[0].rate, 0);   /* no limit unless asked */
	assert_int_equal(config.blocks[1].ops, 0);
}

static void net_devices(void **state)
{
	(void)state;
	parses("[net]\ntap = sprig0\nmac = 02:00:0A:00:02:0f\nrx-rate = 10M\ntx-ops = 1000\n"
	       "[net]\ntap = fd:3\n");
	assert_int_equal(config.net_count, 2);
	assert_string_equal(config.nets[0].tap, "sprig0");
	static const uint8_t mac[6] = { 0x02, 0x00, 0x0a, 0x00, 0x02, 0x0f };
	assert_memory_equal(config.nets[0].mac, mac, 6);
	assert_int_equal(config.nets[0].rx_rate, 10 * 1024 * 1024);
	assert_int_equal(config.nets[0].tx_ops, 1000);
	assert_int_equal(config.nets[0].tx_rate, 0);
	assert_string_equal(config.nets[1].tap, "fd:3");
	static const uint8_t none[6];
	assert_memory_equal(config.nets[1].mac, none, 6);
}

/* Eight fit; the ninth header is refused where it stands. */
static void disk_limit(void **state)
{
	(void)state;
	char text[1024] = "";
	size_t n = 0;
	for (unsigned i = 0; i < CONFIG_BLOCKS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[block]\npath = d%u.img\n", i);
	parses(text);
	assert_int_equal(config.block_count, CONFIG_BLOCKS_MAX);
	assert_string_equal(config.blocks[CONFIG_BLOCKS_MAX - 1].path, "d7.img");
	snprintf(text + n, sizeof(text) - n, "[block]\npath = d8.img\n");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:17: at most 8 [block] sections");
}

static void empty_file_keeps_the_defaults(void **state)
{
	(void)state;
	parses("");
	struct config defaults;
	config_defaults(&defaults);
	assert_memory_equal(&config, &defaults, sizeof(config));
	parses("\n\n# nothing but a comment\n   \n");
	assert_memory_equal(&config, &defaults, sizeof(config));
}

static void every_key(void **state)
{
	(void)state;
	parses("kernel = /boot/k.elf\n"
	       "initrd = /boot/initrd.img\n"
	       "cmdline = console=ttyS0 quiet\n"
	       "mem = 2G\n"
	       "cpus = 8\n"
	       "timings = on\n");
	assert_string_equal(config.kernel, "/boot/k.elf");
	assert_string_equal(config.initrd, "/boot/initrd.img");
	assert_string_equal(config.cmdline, "console=ttyS0 quiet");
	assert_int_equal(config.mem, 2 * 1024ull * 1024 * 1024);
	assert_int_equal(config.cpus, 8);
	assert_true(config.timings);
}

static void comments_and_blank_lines(void **state)
{
	(void)state;
	parses("# a comment\n"
	       "\n"
	       "   \t \n"
	       "   # an indented comment with = in it\n"
	       "#mem = 1G\n"
	       "mem = 64M   # a trailing comment\n"
	       "cpus = 2\t# after a tab\n"
	       "cmdline = quiet #\n");
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 2);
	assert_string_equal(config.cmdline, "quiet");
}

static void blanks_around_the_equals_sign(void **state)
{
	(void)state;
	static const char *const spellings[] = { "cpus=3", "cpus =3", "cpus= 3", "  cpus \t=\t 3  ",
						 "\tcpus = 3\t", "cpus = 3 \t " };
	for (size_t i = 0; i < ARRAY_SIZE(spellings); i++) {
		parses(spellings[i]);
		assert_int_equal(config.cpus, 3);
	}
}

static void crlf_line_endings(void **state)
{
	(void)state;
	parses("# comment\r\n"
	       "\r\n"
	       "mem = 64M\r\n"
	       "cpus = 2   # trailing\r\n"
	       "cmdline = \"quoted\"\r\n"
	       "kernel = /k.elf\r\n"
	       "timings = yes\r\n");
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 2);
	assert_string_equal(config.cmdline, "quoted");
	assert_string_equal(config.kernel, "/k.elf");  /* no \r kept in the value */
	assert_true(config.timings);
}

static void last_line_without_a_newline(void **state)
{
	(void)state;
	parses("mem = 64M\ncpus = 4");
	assert_int_equal(config.cpus, 4);
	parses("cpus = 5\r");
	assert_int_equal(config.cpus, 5);
}

/* `#` starts a comment only at the start of a value or after a blank. */
static void hash_inside_a_bare_value(void **state)
{
	(void)state;
	parses("cmdline = a#b\n");
	assert_string_equal(config.cmdline, "a#b");
	parses("cmdline = path=/a#b x # comment\n");
	assert_string_equal(config.cmdline, "path=/a#b x");
	parses("cmdline = x\t#tab comment\n");
	assert_string_equal(config.cmdline, "x");
	parses("cmdline = # all comment\n");
	assert_string_equal(config.cmdline, "");
	parses("kernel = /dir#1/k.elf\n");
	assert_string_equal(config.kernel, "/dir#1/k.elf");
}

static void quoted_values_keep_everything(void **state)
{
	(void)state;
	parses("cmdline = \"  a # b  \"\n");
	assert_string_equal(config.cmdline, "  a # b  ");
	parses("cmdline = \"\"\n");
	assert_string_equal(config.cmdline, "");
	parses("cmdline = \"a=b\"   # comment\n");
	assert_string_equal(config.cmdline, "a=b");
	parses("cmdline = \"a\"\t\n");
	assert_string_equal(config.cmdline, "a");
	parses("kernel = \"/path with spaces/k.elf\"\n");
	assert_string_equal(config.kernel, "/path with spaces/k.elf");
	parses("mem = \"64M\"\ncpus = \"2\"\ntimings = \"on\"\n");  /* any key may be quoted */
	assert_int_equal(config.mem, 64ull << 20);
	assert_int_equal(config.cpus, 2);
	assert_true(config.timings);
}

/* \" and \\ are the only escapes; any other backslash is itself. */
static void quoted_value_escapes(void **state)
{
	(void)state;
	parses("cmdline = \"say \\\"hi\\\"\"\n");
	assert_string_equal(config.cmdline, "say \"hi\"");
	parses("cmdline = \"back\\\\slash\"\n");
	assert_string_equal(config.cmdline, "back\\slash");
	parses("cmdline = \"ends in \\\\\"\n");
	assert_string_equal(config.cmdline, "ends in \\");
	parses("cmdline = \"\\n\\t\\x41\"\n");
	assert_string_equal(config.cmdline, "\\n\\t\\x41");
	parses("cmdline = \"\\\\\\\"\"\n");
	assert_string_equal(config.cmdline, "\\\"");
}

static void booleans_in_every_spelling(void **state)
{
	(void)state;
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	char line[32];
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		snprintf(line, sizeof(line), "timings = %s\n", yes[i]);
		parses(line);
		assert_true(config.timings);
		snprintf(line, sizeof(line), "timings = %s\n", no[i]);
		parses(line);
		assert_false(config.timings);
	}
}

static void limits_are_inclusive(void **state)
{
	(void)state;
	parses("mem = 4M\ncpus = 1\n");
	assert_int_equal(config.mem, 4ull << 20);
	assert_int_equal(config.cpus, 1);
	parses("mem = 1T\ncpus = 8192\n");
	assert_int_equal(config.mem, 1ull << 40);
	assert_int_equal(config.cpus, CONFIG_CPUS_MAX);
	parses("mem = 4100K\n");  /* 4 MiB + 4 KiB: a multiple of 4 KiB */
	assert_int_equal(config.mem, 4100ull << 10);
}

static void longest_cmdline_fits(void **state)
{
	(void)state;
	char *text = made_of("cmdline = ", 'x', 10 + CONFIG_CMDLINE_MAX - 1, "");
	parses(text);
	assert_int_equal(strlen(config.cmdline), CONFIG_CMDLINE_MAX - 1);
	free(text);
}

/* 16383 bytes is the longest line; its CR does not count. */
static void longest_line_fits(void **state)
{
	(void)state;
	char *text = made_of("#", '-', 16383, "");
	parses(text);
	free(text);
	text = made_of("#", '-', 16384, "\r");
	parses(text);
	free(text);
}

/* Relative paths are relative to the config file's folder. */
static void relative_paths_follow_the_file(void **state)
{
	(void)state;
	static const struct { const char *file, *value, *path; } cases[] = {
		{ "/etc/vms/a.conf", "guest.elf", "/etc/vms/guest.elf" },
		{ "/etc/vms/a.conf", "sub/guest.elf", "/etc/vms/sub/guest.elf" },
		{ "/etc/vms/a.conf", "../guest.elf", "/etc/vms/../guest.elf" },
		{ "/etc/vms/a.conf", "/abs/guest.elf", "/abs/guest.elf" },
		{ "vms/a.conf", "guest.elf", "vms/guest.elf" },
		{ "a.conf", "guest.elf", "guest.elf" },
		{ "/a.conf", "guest.elf", "/guest.elf" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[128];
		snprintf(text, sizeof(text), "kernel = %s\ninitrd = %s\n", cases[i].value, cases[i].value);
		assert_int_equal(parse_bytes(cases[i].file, text, strlen(text)), 0);
		assert_string_equal(config.kernel, cases[i].path);
		assert_string_equal(config.initrd, cases[i].path);
	}
}

static void longest_path_fits(void **state)
{
	(void)state;
	/* "/d/" + name + NUL = CONFIG_PATH_MAX */
	char *text = made_of("kernel = ", 'k', 9 + CONFIG_PATH_MAX - 4, "");
	assert_int_equal(parse_bytes("/d/vm.conf", text, strlen(text)), 0);
	assert_int_equal(strlen(config.kernel), CONFIG_PATH_MAX - 1);
	assert_memory_equal(config.kernel, "/d/kkk", 6);
	free(text);
}

/* Parsing stops at the first error; what came before it stays applied. */
static void first_error_stops_the_parse(void **state)
{
	(void)state;
	assert_int_equal(parse("cpus = 2\nbogus\ncpus = 4\n"), -EINVAL);
	assert_string_equal(error, "vm.conf:2: expected 'key = value'");
	assert_int_equal(config.cpus, 2);
}

/* --- errors: each with its exact message --- */

struct error_case {
	const char *name;
	const char *text;
	size_t len;  /* 0: strlen(text) */
	const char *message;
};

static const struct error_case error_cases[] = {
	{ "error: unknown key", "mem = 64M\nmemory = 1G\n", 0, "vm.conf:2: unknown key 'memory'" },
	{ "error: unknown key with digits", "cpus2 = 1\n", 0, "vm.conf:1: unknown key 'cpus2'" },
	{ "error: bad size", "mem = 64X\n", 0, "vm.conf:1: mem: bad size '64X' (try 64M or 2G)" },
	{ "error: empty size", "mem =\n", 0, "vm.conf:1: mem: bad size '' (try 64M or 2G)" },
	{ "error: negative size", "mem = -64M\n", 0, "vm.conf:1: mem: bad size '-64M' (try 64M or 2G)" },
	{ "error: size overflow", "mem = 99999999999999999999G\n", 0,
	  "vm.conf:1: mem: bad size '99999999999999999999G' (try 64M or 2G)" },
	{ "error: size with a blank", "mem = 64 M\n", 0,
	  "vm.conf:1: mem: bad size '64 M' (try 64M or 2G)" },
	{ "error: size below the range", "mem = 1M\n", 0, "vm.conf:1: mem: '1M' is out of range" },
	{ "error: size 4 KiB below the range", "mem = 4092K\n", 0,
	  "vm.conf:1: mem: '4092K' is out of range" },
	{ "error: size zero", "mem = 0\n", 0, "vm.conf:1: mem: '0' is out of range" },
	{ "error: size above the range", "mem = 2T\n", 0, "vm.conf:1: mem: '2T' is out of range" },
	{ "error: size 4 KiB above the range", "mem = 1073741828K\n", 0,
	  "vm.conf:1: mem: '1073741828K' is out of range" },
	{ "error: size not a multiple of 4 KiB", "mem = 4097K\n", 0,
	  "vm.conf:1: mem: '4097K' is not a multiple of 4 KiB" },
	{ "error: size in odd bytes", "mem = 67108865\n", 0,
	  "vm.conf:1: mem: '67108865' is not a multiple of 4 KiB" },
	{ "error: cpus zero", "cpus = 0\n", 0, "vm.conf:1: cpus: '0' is out of range" },
	{ "error: cpus above the range", "cpus = 8193\n", 0, "vm.conf:1: cpus: '8193' is out of range" },
	{ "error: cpus not a number", "cpus = two\n", 0, "vm.conf:1: cpus: bad number 'two'" },
	{ "error: cpus negative", "cpus = -1\n", 0, "vm.conf:1: cpus: bad number '-1'" },
	{ "error: cpus with a sign", "cpus = +1\n", 0, "vm.conf:1: cpus: bad number '+1'" },
	{ "error: cpus with a unit", "cpus = 4K\n", 0, "vm.conf:1: cpus: bad number '4K'" },
	{ "error: cpus with words after", "cpus = 4 cpus\n", 0, "vm.conf:1: cpus: bad number '4 cpus'" },
	{ "error: cpus overflow", "cpus = 99999999999999999999999\n", 0,
	  "vm.conf:1: cpus: bad number '99999999999999999999999'" },
	{ "error: cpus empty", "cpus =\n", 0, "vm.conf:1: cpus: bad number ''" },
	{ "error: boolean", "timings = maybe\n", 0,
	  "vm.conf:1: timings: expected on or off, not 'maybe'" },
	{ "error: boolean in capitals", "timings = ON\n", 0,
	  "vm.conf:1: timings: expected on or off, not 'ON'" },
	{ "error: empty kernel", "kernel =\n", 0, "vm.conf:1: kernel needs a file name" },
	{ "error: empty quoted initrd", "initrd = \"\"\n", 0, "vm.conf:1: initrd needs a file name" },
	{ "error: duplicate key", "\n\ncpus = 2\ncpus = 3\n", 0,
	  "vm.conf:4: duplicate key 'cpus' (already set on line 3)" },
	{ "error: duplicate key across comments and CRLF", "# x\r\nmem = 64M\r\n\r\n# y\r\nmem = 64M\r\n",
	  0, "vm.conf:5: duplicate key 'mem' (already set on line 2)" },
	{ "error: duplicate key, second quoted", "cmdline = a\ncmdline = \"a\"\n", 0,
	  "vm.conf:2: duplicate key 'cmdline' (already set on line 1)" },
	{ "error: missing '='", "mem 64M\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: key alone", "timings\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: missing key", "= 64M\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: key in capitals", "Mem = 64M\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: dotted key", "machine.mem = 64M\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: ':' for '='", "mem: 64M\n", 0, "vm.conf:1: expected 'key = value'" },
	{ "error: unclosed section", "[net\n", 0, "vm.conf:1: malformed section header" },
	{ "error: empty section", "[]\n", 0, "vm.conf:1: malformed section header" },
	{ "error: text after a section", "[net] junk\n", 0, "vm.conf:1: malformed section header" },
	{ "error: blanks in a section", "[ net ]\n", 0, "vm.conf:1: malformed section header" },
	{ "error: section in capitals", "[Net]\n", 0, "vm.conf:1: malformed section header" },
	{ "error: unknown section", "mem = 64M\n[drive]\n", 0, "vm.conf:2: unknown section [drive]" },
	{ "error: unknown section with a comment", "[drive]   # devices\n", 0,
	  "vm.conf:1: unknown section [drive]" },
	{ "error: unknown indented section", "  [drive-0]\r\n", 0,
	  "vm.conf:1: unknown section [drive-0]" },
	{ "error: unterminated quote", "cmdline = \"open\n", 0, "vm.conf:1: unterminated quoted value" },
	{ "error: quote closed by an escaped quote", "cmdline = \"open\\\"\n", 0,
	  "vm.conf:1: unterminated quoted value" },
	{ "error: quote continued on the next line", "cmdline = \"a\nb\"\n", 0,
	  "vm.conf:1: unterminated quoted value" },
	{ "error: text after the closing quote", "cmdline = \"a\" b\n", 0,
	  "vm.conf:1: text after the closing quote" },
	{ "error: comment glued to the closing quote", "cmdline = \"a\"#c\n", 0,
	  "vm.conf:1: text after the closing quote" },
	{ "error: two quoted strings", "cmdline = \"a\"\"b\"\n", 0,
	  "vm.conf:1: text after the closing quote" },
	{ "error: NUL byte", "mem = 64M\ncpus = 1\0\n", 20, "vm.conf:2: NUL byte in the file" },
	{ "error: NUL byte in a comment", "# \0\n", 4, "vm.conf:1: NUL byte in the file" },
	{ "error: NUL byte on a last line", "mem = 64M\n\0", 11, "vm.conf:2: NUL byte in the file" },
	{ "error: a disk without its image", "[block]\nread-only = on\n", 0,
	  "vm.conf:1: [block] without path" },
	{ "error: the second disk without its image", "[block]\npath = a\n[block]\nserial = x\n", 0,
	  "vm.conf:3: [block] without path" },
	{ "error: an empty [block] at the end", "[block]\npath = a\n\n[block]\n", 0,
	  "vm.conf:4: [block] without path" },
	{ "error: one disk, two images", "[block]\npath = a\npath = b\n", 0,
	  "vm.conf:3: duplicate key 'path' (already set on line 2)" },
	{ "error: a disk's serial twice", "[block]\npath = a\nserial = s\n[block]\npath = b\nserial = t\nserial = u\n",
	  0, "vm.conf:7: duplicate key 'serial' (already set on line 6)" },
	{ "error: a net device without its tap", "[net]\nmac = 02:00:00:00:00:01\n", 0,
	  "vm.conf:1: [net] without tap" },
	{ "error: a multicast MAC", "[net]\ntap = t0\nmac = 01:00:5e:00:00:01\n", 0,
	  "vm.conf:3: mac: expected a unicast address like 02:00:00:00:00:01, not '01:00:5e:00:00:01'" },
	{ "error: a MAC of zeros", "[net]\ntap = t0\nmac = 00:00:00:00:00:00\n", 0,
	  "vm.conf:3: mac: expected a unicast address like 02:00:00:00:00:01, not '00:00:00:00:00:00'" },
	{ "error: a MAC with a short byte", "[net]\ntap = t0\nmac = 02:0:00:00:00:011\n", 0,
	  "vm.conf:3: mac: expected a unicast address like 02:00:00:00:00:01, not '02:0:00:00:00:011'" },
	{ "error: a tap name with a slash", "[net]\ntap = a/b\n", 0,
	  "vm.conf:2: tap: expected an interface name (1 to 15 bytes, no '/', ':' or blanks) or fd:N, not 'a/b'" },
	{ "error: a tap name too long", "[net]\ntap = abcdefghijklmnop\n", 0,
	  "vm.conf:2: tap: expected an interface name (1 to 15 bytes, no '/', ':' or blanks) or fd:N, not 'abcdefghijklmnop'" },
	{ "error: a tap fd that is no number", "[net]\ntap = fd:x\n", 0,
	  "vm.conf:2: tap: expected an interface name (1 to 15 bytes, no '/', ':' or blanks) or fd:N, not 'fd:x'" },
	{ "error: line number after CRLF lines", "#\r\n\r\n#\r\n\r\nfrob = 1\r\n", 0,
	  "vm.conf:5: unknown key 'frob'" },
};

static void error_is_exact(void **state)
{
	const struct error_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	assert_int_equal(parse_bytes("vm.conf", c->text, len), -EINVAL);
	assert_string_equal(error, c->message);
}

static void over_long_line_is_refused(void **state)
{
	(void)state;
	char *text = made_of("mem = 64M\n#", '-', 10 + 16384 + 1, "\n");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:2: line longer than 16383 bytes");
	free(text);
	text = made_of("cmdline = ", 'x', 20000, "");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:1: line longer than 16383 bytes");
	free(text);
}

static void over_long_cmdline_is_refused(void **state)
{
	(void)state;
	char *text = made_of("\ncmdline = ", 'x', 11 + CONFIG_CMDLINE_MAX, "");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:2: cmdline: longer than 4095 bytes");
	free(text);
	text = made_of("cmdline = \"", 'x', 11 + CONFIG_CMDLINE_MAX + 1, "\"");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:1: cmdline: longer than 4095 bytes");
	free(text);
}

static void over_long_path_is_refused(void **state)
{
	(void)state;
	char *text = made_of("kernel = ", 'k', 9 + CONFIG_PATH_MAX - 3, "");
	assert_int_equal(parse_bytes("/d/vm.conf", text, strlen(text)), -EINVAL);
	assert_string_equal(error, "/d/vm.conf:1: kernel: path too long");
	free(text);
	text = made_of("initrd = /", 'i', 10 + CONFIG_PATH_MAX, "");
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(error, "vm.conf:1: initrd: path too long");
	free(text);
}

/* Even a long file name leaves room for the line and the problem. */
static void messages_fit_the_error_buffer(void **state)
{
	(void)state;
	char *name = made_of("/", 'n', 1000, ".conf");
	assert_int_equal(parse_bytes(name, "mem 1G\n", 7), -EINVAL);
	assert_true(strlen(error) < CONFIG_ERROR_SIZE);
	assert_contains(error, ":1: expected 'key = value'");
	char *value = made_of("cmdline = \"", 'v', 12000, "\" junk");
	assert_int_equal(parse_bytes("vm.conf", value, strlen(value)), -EINVAL);
	assert_string_equal(error, "vm.conf:1: text after the closing quote");
	free(value);
	free(name);
}

/* --- files --- */

/* A fresh folder per test, and the files written in it, removed after. */
static char dir[64];
static char written[4][256];
static unsigned nwritten;

static int make_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sprig-test-config-XXXXXX");
	nwritten = 0;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	for (unsigned i = 0; i < nwritten; i++)
		unlink(written[i]);
	return rmdir(dir);
}

/* Write `len` bytes to dir/name and return its path. */
static const char *write_file(const char *name, const void *data, size_t len)
{
	assert_true(nwritten < ARRAY_SIZE(written));
	char *path = written[nwritten];
	snprintf(path, sizeof(written[0]), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	nwritten++;
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void file_is_read_and_paths_resolved(void **state)
{
	(void)state;
	const char *text = "kernel = guest.elf\nmem = 32M\n";
	const char *path = write_file("vm.conf", text, strlen(text));
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, path, error), 0);
	assert_int_equal(config.mem, 32ull << 20);
	char expected[256];
	snprintf(expected, sizeof(expected), "%s/guest.elf", dir);
	assert_string_equal(config.kernel, expected);
}

static void file_errors_name_the_path_and_line(void **state)
{
	(void)state;
	const char *text = "mem = 32M\ncpus = many\n";
	const char *path = write_file("bad.conf", text, strlen(text));
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, path, error), -EINVAL);
	char expected[CONFIG_ERROR_SIZE];
	snprintf(expected, sizeof(expected), "%s:2: cpus: bad number 'many'", path);
	assert_string_equal(error, expected);
}

static void empty_file_is_fine(void **state)
{
	(void)state;
	const char *path = write_file("empty.conf", "", 0);
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, path, error), 0);
	assert_int_equal(config.cpus, 1);
}

static void missing_file(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, "/nonexistent/vm.conf", error), -EINVAL);
	assert_string_equal(error, "/nonexistent/vm.conf: No such file or directory");
}

static void directory_is_not_a_config(void **state)
{
	(void)state;
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, dir, error), -EINVAL);
	char expected[CONFIG_ERROR_SIZE];
	snprintf(expected, sizeof(expected), "%s: not a regular file", dir);
	assert_string_equal(error, expected);
	assert_int_equal(config_parse_file(&config, "/dev/null", error), -EINVAL);
	assert_string_equal(error, "/dev/null: not a regular file");
}

static void empty_path(void **state)
{
	(void)state;
	config_defaults(&config);
	error[0] = 0;
	assert_int_equal(config_parse_file(&config, "", error), -EINVAL);
	assert_string_equal(error, "empty config file name");
}

/* 1 MiB of blank lines is the most a config file may hold. */
static void file_size_limit(void **state)
{
	(void)state;
	char *text = made_of("", '\n', 1024 * 1024 + 1, "");
	const char *path = write_file("huge.conf", text, 1024 * 1024);
	config_defaults(&config);
	assert_int_equal(config_parse_file(&config, path, error), 0);
	path = write_file("huge.conf", text, 1024 * 1024 + 1);
	assert_int_equal(config_parse_file(&config, path, error), -EINVAL);
	char expected[CONFIG_ERROR_SIZE];
	snprintf(expected, sizeof(expected), "%s: larger than 1 MiB", path);
	assert_string_equal(error, expected);
	free(text);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(empty_file_keeps_the_defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(several_disks),
		cmocka_unit_test(disk_limit),
		cmocka_unit_test(net_devices),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(blanks_around_the_equals_sign),
		cmocka_unit_test(crlf_line_endings),
		cmocka_unit_test(last_line_without_a_newline),
		cmocka_unit_test(hash_inside_a_bare_value),
		cmocka_unit_test(quoted_values_keep_everything),
		cmocka_unit_test(quoted_value_escapes),
		cmocka_unit_test(booleans_in_every_spelling),
		cmocka_unit_test(limits_are_inclusive),
		cmocka_unit_test(longest_cmdline_fits),
		cmocka_unit_test(longest_line_fits),
		cmocka_unit_test(relative_paths_follow_the_file),
		cmocka_unit_test(longest_path_fits),
		cmocka_unit_test(first_error_stops_the_parse),
		cmocka_unit_test(over_long_line_is_refused),
		cmocka_unit_test(over_long_cmdline_is_refused),
		cmocka_unit_test(over_long_path_is_refused),
		cmocka_unit_test(messages_fit_the_error_buffer),
		cmocka_unit_test_setup_teardown(file_is_read_and_paths_resolved, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(file_errors_name_the_path_and_line, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(empty_file_is_fine, make_dir, remove_dir),
		cmocka_unit_test(missing_file),
		cmocka_unit_test_setup_teardown(directory_is_not_a_config, make_dir, remove_dir),
		cmocka_unit_test(empty_path),
		cmocka_unit_test_setup_teardown(file_size_limit, make_dir, remove_dir),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(error_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, error_cases, error_is_exact, NULL, NULL);
	return run_group("test_config_file", tests, n);
}
