/* The config file and the command line share one table of keys, so a key
 * and its flag can never drift apart. Input comes from users and scripts:
 * every path through the parser ends in a value or one clear message. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/spec.h"
#include "mem/mem.h"

/* KEY_SIZE: memory, whole pages; KEY_BYTES: any byte count, same suffixes. */
enum key_type { KEY_PATH, KEY_STRING, KEY_SIZE, KEY_BYTES, KEY_COUNT, KEY_BOOL, KEY_CPU, KEY_CHOICE, KEY_WORD,
		KEY_MAC, KEY_TAP };

struct key {
	const char *section;  /* "" for the top level, else the [section] name */
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;          /* buffer size for strings and paths */
	uint64_t min, max;    /* bounds for sizes and counts */
	const char *arg;      /* placeholder in --help */
	const char *help;
};

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
/* A key of a repeatable section: its place in one item. */
#define ITEM_FIELD(type, f) offsetof(type, f), sizeof(((type *)0)->f)

/* A section that may come more than once: each item is one element of an
 * array in struct config. A [name] header starts an item in a file; on
 * the command line the opener key does (`--block.path` starts a disk, the
 * other --block.* flags after it are that disk's). */
struct item_section {
	const char *name;
	const char *opener;
	size_t offset, stride, count_offset;
	unsigned max;
};

static const struct item_section item_sections[] = {
	{ "block", "path", offsetof(struct config, blocks), sizeof(struct config_block),
	  offsetof(struct config, block_count), CONFIG_BLOCKS_MAX },
	{ "net", "tap", offsetof(struct config, nets), sizeof(struct config_net),
	  offsetof(struct config, net_count), CONFIG_NETS_MAX },
};

static const struct key keys[] = {
	{ "", "kernel", KEY_PATH, FIELD(kernel), 0, 0, "FILE",
	  "guest kernel: Linux bzImage, ELF with a PVH note (vmlinux), or plain ELF64 (default: built-in hello)" },
	{ "", "initrd", KEY_PATH, FIELD(initrd), 0, 0, "FILE", "initial ramdisk, handed to the kernel" },
	{ "", "cmdline", KEY_STRING, FIELD(cmdline), 0, 0, "TEXT", "kernel command line" },
	{ "", "mem", KEY_SIZE, FIELD(mem), MEM_MIN_SIZE, MEM_MAX_SIZE, "SIZE",
	  "guest RAM, e.g. 64M, 2G (K/M/G/T suffixes, 4 MiB to 1 TiB; default 128M)" },
	{ "", "mem-backend", KEY_WORD, FIELD(mem_backend), 0, 0, "anon|memfd|file",
	  "what backs guest RAM: anonymous memory (default), a memfd, or the file mem-path (a snapshot "
	  "of a file-backed VM writes only its state; docs/snapshot.md)" },
	{ "", "mem-path", KEY_PATH, FIELD(mem_path), 0, 0, "FILE",
	  "mem-backend = file: the file guest RAM lives in (made, or emptied, at start)" },
	{ "", "cpus", KEY_COUNT, FIELD(cpus), 1, CONFIG_CPUS_MAX, "N", "number of vCPUs (default 1)" },
	{ "", "threads-per-core", KEY_COUNT, FIELD(threads_per_core), 1, 256, "N",
	  "SMT threads per core (default 1)" },
	{ "", "cores", KEY_COUNT, FIELD(cores), 1, CONFIG_CPUS_MAX, "N",
	  "cores per package (default: cpus / threads-per-core, one package)" },
	{ "", "cpu", KEY_CPU, FIELD(cpu), 0, 0, "MODEL[,+F,-F]",
	  "CPU model and feature changes (default host; `sprig cpu list`)" },
	{ "", "cpu-check", KEY_CHOICE, FIELD(cpu_enforce), 0, 0, "warn|enforce",
	  "features KVM cannot give: warn and remove them, or refuse to start" },
	{ "", "timings", KEY_BOOL, FIELD(timings), 0, 0, "on|off",
	  "print boot phase timings on exit (a bare --timings means on)" },
	{ "", "paused", KEY_BOOL, FIELD(paused), 0, 0, "on|off",
	  "start with every vCPU paused until QMP cont, as QEMU's -S (a bare --paused means on)" },
	{ "", "on-reboot", KEY_CHOICE, FIELD(on_reboot_restart), 0, 0, "exit|restart",
	  "when the guest resets: sprig exits 0 (default), or the guest boots again in place" },
	{ "", "seccomp", KEY_WORD, FIELD(seccomp), 0, 0, "kill|trap|log|off",
	  "system call filter on every thread: a forbidden call kills sprig (default), is reported "
	  "(trap), only logged, or there is no filter (docs/security.md)" },
	{ "", "control", KEY_PATH, FIELD(control), 0, 0, "SOCKET",
	  "QMP control socket to listen on (docs/control.md)" },
	{ "", "rng", KEY_BOOL, FIELD(rng), 0, 0, "on|off",
	  "a virtio-rng device fed from the host's getrandom (a bare --rng means on; docs/virtio.md)" },
	{ "", "jail", KEY_PATH, FIELD(jail), 0, 0, "DIR",
	  "run confined: new mount, pid, ipc and uts namespaces, DIR as / (every path given is then "
	  "inside it), ids dropped before the guest runs (docs/security.md)" },
	{ "", "jail-uid", KEY_COUNT, FIELD(jail_uid), 1, 4294967294u, "N",
	  "the uid sprig runs as in the jail (default 65534; never root)" },
	{ "", "jail-gid", KEY_COUNT, FIELD(jail_gid), 1, 4294967294u, "N",
	  "the gid sprig runs as in the jail (default 65534; never root)" },
	{ "", "jail-netns", KEY_BOOL, FIELD(jail_netns), 0, 0, "on|off",
	  "the jail has a network namespace of its own (no network but what is passed in)" },
	{ "", "jail-memory", KEY_BYTES, FIELD(jail_memory), 0, MEM_MAX_SIZE * 2, "BYTES",
	  "cgroup v2 memory.max of the jailed sprig, guest RAM included (default: none)" },
	{ "", "jail-cpus", KEY_COUNT, FIELD(jail_cpus), 0, CONFIG_CPUS_MAX, "N",
	  "cgroup v2 cpu.max of the jailed sprig, in whole CPUs (default: none)" },
	{ "", "jail-pids", KEY_COUNT, FIELD(jail_pids), 0, 4194304, "N",
	  "cgroup v2 pids.max of the jailed sprig: its threads count (default: none)" },
	{ "", "jail-nofile", KEY_COUNT, FIELD(jail_nofile), 0, 1048576, "N",
	  "open files the jailed sprig may have (RLIMIT_NOFILE; default 2048, as Firecracker's jailer)" },
	{ "block", "path", KEY_PATH, ITEM_FIELD(struct config_block, path), 0, 0, "FILE",
	  "a virtio-blk disk on this raw image file or block device; each --block.path adds one "
	  "(docs/virtio.md)" },
	{ "block", "read-only", KEY_BOOL, ITEM_FIELD(struct config_block, read_only), 0, 0, "on|off",
	  "the guest may not write the disk (default off)" },
	{ "block", "cache", KEY_CHOICE, ITEM_FIELD(struct config_block, cache_none), 0, 0,
	  "writeback|none", "writeback: through the host's page cache (default); none: O_DIRECT" },
	{ "block", "serial", KEY_STRING, ITEM_FIELD(struct config_block, serial), 0, 0, "TEXT",
	  "the disk's serial number, at most 20 bytes (/dev/disk/by-id/virtio-TEXT)" },
	{ "block", "rate", KEY_BYTES, ITEM_FIELD(struct config_block, rate), 0, MEM_MAX_SIZE, "BYTES",
	  "most data bytes per second the guest reads and writes, e.g. 10M (default 0: no limit)" },
	{ "block", "ops", KEY_COUNT, ITEM_FIELD(struct config_block, ops), 0, 1000000000, "N",
	  "most requests per second (default 0: no limit)" },
	{ "net", "tap", KEY_TAP, ITEM_FIELD(struct config_net, tap), 0, 0, "NAME|fd:N",
	  "a virtio-net device on this tap (made if missing), or on tap fd N passed by a shim; each "
	  "--net.tap adds one (docs/virtio.md)" },
	{ "net", "mac", KEY_MAC, ITEM_FIELD(struct config_net, mac), 0, 0, "XX:XX:XX:XX:XX:XX",
	  "the guest's MAC address (default: a random locally administered one)" },
	{ "net", "rx-rate", KEY_BYTES, ITEM_FIELD(struct config_net, rx_rate), 0, MEM_MAX_SIZE, "BYTES",
	  "most bytes per second the guest receives, e.g. 10M (default 0: no limit)" },
	{ "net", "rx-ops", KEY_COUNT, ITEM_FIELD(struct config_net, rx_ops), 0, 1000000000, "N",
	  "most frames per second the guest receives (default 0: no limit)" },
	{ "net", "tx-rate", KEY_BYTES, ITEM_FIELD(struct config_net, tx_rate), 0, MEM_MAX_SIZE, "BYTES",
	  "most bytes per second the guest sends (default 0: no limit)" },
	{ "net", "tx-ops", KEY_COUNT, ITEM_FIELD(struct config_net, tx_ops), 0, 1000000000, "N",
	  "most frames per second the guest sends (default 0: no limit)" },
	{ "vsock", "path", KEY_PATH, FIELD(vsock_path), 0, 0, "SOCKET",
	  "a virtio-vsock device: host programs connect to this unix socket (CONNECT PORT), the guest's "
	  "connections to host port P go to SOCKET_P, as Firecracker's (docs/virtio.md)" },
	{ "vsock", "cid", KEY_COUNT, FIELD(vsock_cid), 3, 0xfffffffeu, "N",
	  "the guest's vsock context id (default 3)" },
	{ "", "rng-rate", KEY_BYTES, FIELD(rng_rate), 0, MEM_MAX_SIZE, "BYTES",
	  "most bytes per second the guest may draw from virtio-rng, e.g. 4K (default 0: no limit)" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(MEM_BACKEND_ANON == 0 && MEM_BACKEND_MEMFD == 1 && MEM_BACKEND_FILE == 2,
	       "mem-backend's words are the enum's order");
_Static_assert(NKEYS <= CONFIG_KEYS_MAX, "config_file.c tracks at most CONFIG_KEYS_MAX keys");

__attribute__((format(printf, 2, 3)))
static int fail(char *error, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(error, CONFIG_ERROR_SIZE, format, ap);
	va_end(ap);
	return -EINVAL;
}

void config_defaults(struct config *config)
{
	memset(config, 0, sizeof(*config));
	config->mem = 128 * MEM_MiB;
	config->cpus = 1;
	strcpy(config->cpu, CONFIG_CPU_DEFAULT);
}

static bool same(const char *word, const char *text, size_t len)
{
	return strlen(word) == len && !memcmp(word, text, len);
}

static const struct key *find_key(const char *section, const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && same(keys[i].name, name, len))
			return &keys[i];
	return NULL;
}

bool config_section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (same(keys[i].section, name, len))
			return true;
	return false;
}

static const struct item_section *find_item_section(const char *name)
{
	for (size_t i = 0; i < sizeof(item_sections) / sizeof(item_sections[0]); i++)
		if (!strcmp(item_sections[i].name, name))
			return &item_sections[i];
	return NULL;
}

static unsigned *item_count(struct config *config, const struct item_section *s)
{
	return (unsigned *)((char *)config + s->count_offset);
}

int config_section_open(struct config *config, const char *name, const char *where, char *error)
{
	const struct item_section *s = find_item_section(name);
	if (!s)
		return 0;
	unsigned *count = item_count(config, s);
	if (*count >= s->max)
		return fail(error, "%s: at most %u [%s] sections", where, s->max, name);
	memset((char *)config + s->offset + *count * s->stride, 0, s->stride);
	++*count;
	return 1;
}

int config_section_required_key(const char *name, const char **key_name)
{
	const struct item_section *s = find_item_section(name);
	const struct key *k = s ? find_key(name, s->opener, strlen(s->opener)) : NULL;
	*key_name = k ? k->name : NULL;
	return k ? (int)(k - keys) : -1;
}

/* Where a key's value lives: in struct config, or in the last item of its
 * repeatable section; NULL when that section has no item yet. */
static char *key_field(struct config *config, const struct key *k)
{
	const struct item_section *s = find_item_section(k->section);
	if (!s)
		return (char *)config + k->offset;
	unsigned count = *item_count(config, s);
	if (!count)
		return NULL;
	return (char *)config + s->offset + (count - 1) * s->stride + k->offset;
}

int config_check(const struct config *config, char *error)
{
	unsigned devices = (config->rng ? 1u : 0u) + config->block_count + config->net_count +
			   (config->vsock_path[0] ? 1u : 0u);
	if (config->vsock_cid && !config->vsock_path[0])
		return fail(error, "vsock.cid without vsock.path: the device needs its socket");
	if ((config->mem_backend == MEM_BACKEND_FILE) != (config->mem_path[0] != 0))
		return fail(error, config->mem_path[0] ? "mem-path needs mem-backend = file"
			    : "mem-backend = file needs mem-path, the file to keep guest RAM in");
	if (devices > CONFIG_VIRTIO_MAX)
		return fail(error, "%u virtio devices asked for, at most %u fit (docs/virtio.md)", devices,
			    CONFIG_VIRTIO_MAX);
	if (!config->jail[0] && (config->jail_uid || config->jail_gid || config->jail_netns || config->jail_memory ||
				 config->jail_cpus || config->jail_pids || config->jail_nofile))
		return fail(error, "a jail-* key without jail = DIR");
	if (config->jail[0] && config->jail[0] != '/')
		return fail(error, "jail = %s: an absolute path, please", config->jail);
	return 0;
}

static int parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(text, yes[i]))
			return *value = true, 0;
		if (!strcmp(text, no[i]))
			return *value = false, 0;
	}
	return -EINVAL;
}

static int parse_count(const char *text, uint64_t *value)
{
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*value = v;
	return 0;
}

/* Six hex pairs with colons; a unicast address other than zero. */
static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned bytes[6];
	char end;
	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &bytes[0], &bytes[1], &bytes[2],
					 &bytes[3], &bytes[4], &bytes[5], &end) != 6)
		return -EINVAL;
	for (unsigned i = 0; i < 17; i++)
		if (i % 3 == 2 ? text[i] != ':' : !strchr("0123456789abcdefABCDEF", text[i]))
			return -EINVAL;
	unsigned any = 0;
	for (unsigned i = 0; i < 6; i++)
		any |= bytes[i], mac[i] = (uint8_t)bytes[i];
	return any && !(mac[0] & 1) ? 0 : -EINVAL;
}

/* An interface name (what Linux's dev_valid_name takes) or fd:N. */
static bool valid_tap(const char *text)
{
	if (strlen(text) >= CONFIG_TAP_MAX)
		return false;
	if (!strncmp(text, "fd:", 3)) {
		uint64_t fd;
		return !parse_count(text + 3, &fd) && fd <= INT32_MAX;
	}
	size_t len = strlen(text);
	if (!len || len >= 16 || !strcmp(text, ".") || !strcmp(text, ".."))
		return false;
	for (const char *p = text; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* Paths in a config file are relative to the file's folder. */
static int set_path(char *dst, size_t size, const char *value, const char *base)
{
	const char *slash = base ? strrchr(base, '/') : NULL;
	int n;
	if (value[0] == '/' || !slash)
		n = snprintf(dst, size, "%s", value);
	else
		n = snprintf(dst, size, "%.*s/%s", (int)(slash - base), base, value);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Set one key from its text. `base` is the config file for relative paths
 * (NULL on the command line). `where` prefixes messages. */
static int set_value(struct config *config, const struct key *k, const char *value,
		     const char *base, const char *where, char *error)
{
	if (memchr(value, '\n', strlen(value)))
		return fail(error, "%s: %s: value spans lines", where, k->name);
	char *field = key_field(config, k);
	if (!field)
		return fail(error, "%s: no [%s] yet: --%s.%s starts one", where, k->section, k->section,
			    find_item_section(k->section)->opener);
	uint64_t number = 0;
	switch (k->type) {
	case KEY_MAC:
		if (parse_mac(value, (uint8_t *)field))
			return fail(error, "%s: %s: expected a unicast address like 02:00:00:00:00:01, not '%s'",
				    where, k->name, value);
		return 0;
	case KEY_TAP:
		if (!valid_tap(value))
			return fail(error, "%s: %s: expected an interface name (1 to 15 bytes, no '/', ':' or "
				    "blanks) or fd:N, not '%s'", where, k->name, value);
		strcpy(field, value);
		return 0;
	case KEY_PATH:
		if (!*value)
			return fail(error, "%s: %s needs a file name", where, k->name);
		if (set_path(field, k->size, value, base))
			return fail(error, "%s: %s: path too long", where, k->name);
		return 0;
	case KEY_STRING:
		if (strlen(value) >= k->size)
			return fail(error, "%s: %s: longer than %zu bytes", where, k->name, k->size - 1);
		strcpy(field, value);
		return 0;
	case KEY_CPU: {
		struct cpu_spec spec;
		char why[256];
		if (strlen(value) >= k->size)
			return fail(error, "%s: %s: longer than %zu bytes", where, k->name, k->size - 1);
		if (cpu_spec_parse(&spec, value, why, sizeof(why)))
			return fail(error, "%s: %s", where, why);
		strcpy(field, value);
		return 0;
	}
	case KEY_WORD: {
		/* One of the words in "a|b|c": the field is its index. */
		unsigned index = 0;
		for (const char *w = k->arg;; index++) {
			size_t len = strcspn(w, "|");
			if (strlen(value) == len && !strncmp(value, w, len)) {
				*(unsigned *)field = index;
				return 0;
			}
			if (!w[len])
				break;
			w += len + 1;
		}
		return fail(error, "%s: %s: expected one of %s, not '%s'", where, k->name, k->arg, value);
	}
	case KEY_CHOICE: {
		/* Two words, "first|second": the bool says whether it is the second. */
		const char *bar = strchr(k->arg, '|');
		size_t first = (size_t)(bar - k->arg);
		bool is_first = strlen(value) == first && !strncmp(value, k->arg, first);
		if (!is_first && strcmp(value, bar + 1))
			return fail(error, "%s: %s: expected %.*s or %s, not '%s'", where, k->name, (int)first,
				    k->arg, bar + 1, value);
		*(bool *)field = !is_first;
		return 0;
	}
	case KEY_SIZE:
	case KEY_BYTES:
		if (mem_parse_size(value, &number))
			return fail(error, "%s: %s: bad size '%s' (try 64M or 2G)", where, k->name, value);
		break;
	case KEY_COUNT:
		if (parse_count(value, &number))
			return fail(error, "%s: %s: bad number '%s'", where, k->name, value);
		break;
	case KEY_BOOL:
		if (parse_bool(value, (bool *)field))
			return fail(error, "%s: %s: expected on or off, not '%s'", where, k->name, value);
		return 0;
	}
	if (number < k->min || number > k->max)
		return fail(error, "%s: %s: '%s' is out of range", where, k->name, value);
	if (k->type == KEY_SIZE && number % 4096)
		return fail(error, "%s: %s: '%s' is not a multiple of 4 KiB", where, k->name, value);
	*(uint64_t *)field = number;
	return 0;
}

int config_set(struct config *config, const char *section, const char *name, size_t name_len,
	       const char *value, const char *base, const char *where, char *error, int *key_index)
{
	const struct key *k = find_key(section, name, name_len);
	if (!k)
		return fail(error, "%s: unknown key '%s%s%.*s'", where, section, *section ? "." : "",
			    (int)name_len, name);
	if (key_index)
		*key_index = (int)(k - keys);
	return set_value(config, k, value, base, where, error);
}

/* --- the config back as config-file text (a snapshot keeps it so) --- */

struct text_out {
	char *buf;
	size_t size, len;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void out(struct text_out *o, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(o->buf + o->len, o->size - o->len, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

static void out_quoted(struct text_out *o, const char *s)
{
	out(o, "\"");
	for (; *s; s++)
		out(o, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
	out(o, "\"");
}

/* One key's line, or nothing when it holds its default (zero, empty,
 * off, the first word): the parser starts from the defaults again. */
static void write_key(struct text_out *o, const struct key *k, const char *field)
{
	uint64_t number = 0;
	switch (k->type) {
	case KEY_PATH: case KEY_STRING: case KEY_CPU: case KEY_TAP:
		if (*field)
			out(o, "%s = ", k->name), out_quoted(o, field), out(o, "\n");
		return;
	case KEY_MAC: {
		const uint8_t *m = (const uint8_t *)field;
		if (m[0] | m[1] | m[2] | m[3] | m[4] | m[5])
			out(o, "%s = %02x:%02x:%02x:%02x:%02x:%02x\n", k->name, m[0], m[1], m[2], m[3], m[4], m[5]);
		return;
	}
	case KEY_BOOL:
		if (*(const bool *)field)
			out(o, "%s = on\n", k->name);
		return;
	case KEY_CHOICE:
		if (*(const bool *)field)
			out(o, "%s = %s\n", k->name, strchr(k->arg, '|') + 1);
		return;
	case KEY_WORD: {
		unsigned index = *(const unsigned *)field;
		const char *w = k->arg;
		for (unsigned i = 0; i < index && strchr(w, '|'); i++)
			w = strchr(w, '|') + 1;
		if (index)
			out(o, "%s = %.*s\n", k->name, (int)strcspn(w, "|"), w);
		return;
	}
	case KEY_SIZE: case KEY_BYTES: case KEY_COUNT:
		memcpy(&number, field, sizeof(number));
		if (number)
			out(o, "%s = %llu\n", k->name, (unsigned long long)number);
		return;
	}
}

static void write_section(struct text_out *o, const char *section, const char *base)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section))
			write_key(o, &keys[i], base + keys[i].offset);
}

int config_write(const struct config *config, char *buf, size_t size)
{
	struct text_out o = { buf, size, 0, size == 0 };
	if (size)
		buf[0] = 0;
	write_section(&o, "", (const char *)config);
	for (size_t s = 0; s < sizeof(item_sections) / sizeof(item_sections[0]); s++) {
		const struct item_section *item = &item_sections[s];
		unsigned count = *(const unsigned *)((const char *)config + item->count_offset);
		for (unsigned i = 0; i < count; i++) {
			out(&o, "[%s]\n", item->name);
			write_section(&o, item->name, (const char *)config + item->offset + i * item->stride);
		}
	}
	/* Sections of one: written when any key there is set. */
	for (size_t i = 0; i < NKEYS; i++) {
		const char *section = keys[i].section;
		if (!*section || find_item_section(section) || (i && !strcmp(keys[i - 1].section, section)))
			continue;
		struct text_out probe = { o.buf + o.len, o.size - o.len, 0, false };
		out(&probe, "[%s]\n", section);
		size_t header = probe.len;
		write_section(&probe, section, (const char *)config);
		if (probe.len > header)
			o.len += probe.len;
		o.overflow |= probe.overflow;
		if (o.len < o.size)
			o.buf[o.len] = 0;
	}
	return o.overflow ? -E2BIG : (int)o.len;
}

static const char *const usage =
	"usage: sprig [run FILE] [--KEY VALUE | --KEY=VALUE]...\n"
	"       sprig --help | --version\n"
	"\n"
	"Boots a KVM microVM. With no arguments, boots the built-in hello guest.\n"
	"FILE holds `key = value` lines with the same keys; flags override it.\n"
	"Exit status: 0 guest reset/stopped, 1 bad input, 2 host error, 4 triple\n"
	"fault, 6 KVM error, 8 host memory error, 10 forbidden system call (seccomp\n"
	"= trap); an isa-debug-exit write of v exits with (v<<1)|1.\n"
	"Also: sprig cpu list|show ..., sprig seccomp show [--mode M] [--bpf DIR],\n"
	"      sprig snapshot --control SOCK DIR, sprig restore DIR [--KEY VALUE]...\n"
	"\nkeys:\n";

void config_print_help(FILE *out)
{
	fputs(usage, out);
	for (size_t i = 0; i < NKEYS; i++) {
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s%s%s %s", keys[i].section, *keys[i].section ? "." : "",
			 keys[i].name, keys[i].arg);
		fprintf(out, "  %-22s %s\n", flag, keys[i].help);
	}
	fputs("\nsee docs/config.md\n", out);
}

/* One flag: `--key value`, `--key=value`, or a bare boolean `--key`.
 * Returns how many argv entries it used, or -EINVAL. */
static int parse_flag(struct config *config, int argc, char **argv, int i, char *error)
{
	const char *name = argv[i] + 2, *eq = strchr(name, '=');
	size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
	const char *dot = memchr(name, '.', name_len);
	char section[64] = "";
	if (dot) {
		if (dot == name || (size_t)(dot - name) >= sizeof(section))
			return fail(error, "unknown option '%s' (see sprig --help)", argv[i]);
		memcpy(section, name, (size_t)(dot - name));
		name_len -= (size_t)(dot - name) + 1;
		name = dot + 1;
	}
	const struct key *k = find_key(section, name, name_len);
	if (!k)
		return fail(error, "unknown option '%s' (see sprig --help)", argv[i]);
	char where[80];
	snprintf(where, sizeof(where), "--%.*s", (int)(eq ? eq - (argv[i] + 2) : 60), argv[i] + 2);
	const struct item_section *item = find_item_section(section);
	if (item && !strcmp(k->name, item->opener) && config_section_open(config, section, where, error) < 0)
		return -EINVAL;
	if (eq)
		return set_value(config, k, eq + 1, NULL, where, error) ? -EINVAL : 1;
	if (k->type == KEY_BOOL)
		return set_value(config, k, "on", NULL, where, error) ? -EINVAL : 1;
	if (i + 1 >= argc)
		return fail(error, "%s needs a value", where);
	return set_value(config, k, argv[i + 1], NULL, where, error) ? -EINVAL : 2;
}

int config_parse_args(struct config *config, int argc, char **argv,
		      enum config_action *action, char *error)
{
	*action = CONFIG_RUN;
	int i = 1;
	if (i < argc && !strcmp(argv[i], "run")) {
		if (i + 1 >= argc)
			return fail(error, "run needs a config file");
		if (config_parse_file(config, argv[i + 1], error))
			return -EINVAL;
		i += 2;
	}
	while (i < argc) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
			return *action = CONFIG_HELP, 0;
		if (!strcmp(arg, "--version"))
			return *action = CONFIG_VERSION, 0;
		if (strncmp(arg, "--", 2) || !arg[2])
			return fail(error, "unexpected argument '%s' (see sprig --help)", arg);
		int used = parse_flag(config, argc, argv, i, error);
		if (used < 0)
			return used;
		i += used;
	}
	return config_check(config, error);
}
