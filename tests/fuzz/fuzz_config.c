/* libFuzzer target: the config file grammar and the command line on
 * arbitrary bytes. Besides crashes, leaks and sanitizer reports, it checks
 * what the parser promises: every accepted value within its key's bounds,
 * every refusal with a message, and that an accepted config written back
 * out as a file (values quoted and escaped) parses to the same config. */
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../config.h"
#include "../../mem/mem.h"

#define NAME "fuzz.conf"

/* A string field: terminated inside its buffer, no line break in it. */
static void check_string(const char *field, size_t size)
{
	size_t len = strnlen(field, size);
	if (len == size || memchr(field, '\n', len))
		abort();
}

/* Everything a config can hold once parsing succeeded. */
static void check_config(const struct config *c)
{
	check_string(c->kernel, sizeof(c->kernel));
	check_string(c->initrd, sizeof(c->initrd));
	check_string(c->cmdline, sizeof(c->cmdline));
	if (c->cpus < 1 || c->cpus > CONFIG_CPUS_MAX)
		abort();
	if (c->mem < MEM_MIN_SIZE || c->mem > MEM_MAX_SIZE || c->mem % 4096)
		abort();
	/* Every disk has its image: a [block] without path is refused. */
	if (c->block_count > CONFIG_BLOCKS_MAX)
		abort();
	for (unsigned i = 0; i < c->block_count; i++) {
		check_string(c->blocks[i].path, sizeof(c->blocks[i].path));
		check_string(c->blocks[i].serial, sizeof(c->blocks[i].serial));
		if (!c->blocks[i].path[0])
			abort();
	}
	/* Every net device has its tap; a MAC given is unicast. */
	if (c->net_count > CONFIG_NETS_MAX)
		abort();
	for (unsigned i = 0; i < c->net_count; i++) {
		check_string(c->nets[i].tap, sizeof(c->nets[i].tap));
		if (!c->nets[i].tap[0] || (c->nets[i].mac[0] & 1))
			abort();
	}
}

/* A refusal always says why, in one terminated message. */
static void check_error(const char *error, const char *prefix)
{
	size_t len = strnlen(error, CONFIG_ERROR_SIZE);
	if (len == 0 || len == CONFIG_ERROR_SIZE || memchr(error, '\n', len))
		abort();
	if (prefix && strncmp(error, prefix, strlen(prefix)))
		abort();
}

/* `key = "value"` with \" and \\ escaped: the one quoting the grammar has. */
static size_t put_quoted(char *out, const char *key, const char *value)
{
	size_t n = (size_t)sprintf(out, "%s = \"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n++] = '\n';
	return n;
}

/* Write the config back out as a file and parse that: same config. The
 * name has no folder, so relative paths come back unchanged. */
static void check_round_trip(const struct config *c)
{
	static char text[4 * (CONFIG_PATH_MAX * 2 + 64) + CONFIG_CMDLINE_MAX * 2];
	size_t n = 0;
	if (c->kernel[0])
		n += put_quoted(text + n, "kernel", c->kernel);
	if (c->initrd[0])
		n += put_quoted(text + n, "initrd", c->initrd);
	n += put_quoted(text + n, "cmdline", c->cmdline);
	n += (size_t)sprintf(text + n, "mem = %llu\ncpus = %llu\ntimings = %s\n",
			     (unsigned long long)c->mem, (unsigned long long)c->cpus,
			     c->timings ? "on" : "off");
	struct config again;
	char error[CONFIG_ERROR_SIZE];
	config_defaults(&again);
	if (config_parse_text(&again, NAME, text, n, error))
		abort();
	if (strcmp(again.kernel, c->kernel) || strcmp(again.initrd, c->initrd) ||
	    strcmp(again.cmdline, c->cmdline) || again.mem != c->mem || again.cpus != c->cpus ||
	    again.timings != c->timings)
		abort();
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	struct config config;
	char error[CONFIG_ERROR_SIZE];
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	if (config_parse_text(&config, NAME, (const char *)data, size, error) == 0) {
		check_config(&config);
		check_round_trip(&config);
	} else {
		check_error(error, NAME ":");
	}
}

/* The same bytes as argv: words split at newlines and NULs. `run FILE`
 * is left out so that the fuzzer never reads files the input names. */
static void fuzz_args(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	char *argv[64] = { "sprig" };
	int argc = 1;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (char *p = copy; argc < 63 && p < copy + size;) {
		argv[argc++] = p;
		p += strcspn(p, "\n") + 1;
		p[-1] = 0;
	}
	struct config config;
	enum config_action action;
	char error[CONFIG_ERROR_SIZE];
	config_defaults(&config);
	memset(error, 0, sizeof(error));
	if (argc < 2 || strcmp(argv[1], "run")) {
		if (config_parse_args(&config, argc, argv, &action, error) == 0) {
			check_config(&config);
			if (action != CONFIG_RUN && action != CONFIG_HELP && action != CONFIG_VERSION)
				abort();
		} else {
			check_error(error, NULL);
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size);
	fuzz_args(data, size);
	return 0;
}
