/* libFuzzer target: the config file grammar and the command line parser
 * on arbitrary bytes. Any crash, leak or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../config.h"

static void parse_as_args(const uint8_t *data, size_t size)
{
	/* NUL and newline split the input into argv words. */
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
	/* `run FILE` would read files named by the input: keep the fuzzer off the disk. */
	if (argc < 2 || strcmp(argv[1], "run"))
		config_parse_args(&config, argc, argv, &action, error);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config config;
	char error[CONFIG_ERROR_SIZE];
	config_defaults(&config);
	if (config_parse_text(&config, "fuzz.conf", (const char *)data, size, error) == 0) {
		/* Whatever parses must respect every bound the table promises. */
		if (config.cpus < 1 || config.cpus > CONFIG_CPUS_MAX || config.mem % 4096 ||
		    strlen(config.cmdline) >= CONFIG_CMDLINE_MAX)
			abort();
	} else if (!memchr(error, 0, sizeof(error)) || !error[0]) {
		abort();  /* a failure always says why */
	}
	parse_as_args(data, size);
	return 0;
}
