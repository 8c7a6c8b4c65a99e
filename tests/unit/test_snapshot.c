/* The snapshot state file's format (snapshot/format.c) and the config as
 * text (config_write), which a snapshot keeps and a restore reads back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "../../config.h"
#include "../../snapshot/format.h"

static uint8_t *build(size_t *len)
{
	struct snapshot_writer w;
	snapshot_writer_init(&w);
	snapshot_put(&w, SNAP_CONFIG, 0, "mem = 64M\n", 10);
	uint64_t regs[18] = { 1, 2, 3 };
	snapshot_put(&w, SNAP_VCPU_REGS, 0, regs, sizeof(regs));
	snapshot_put(&w, SNAP_VCPU_REGS, 1, regs, sizeof(regs));
	snapshot_put(&w, SNAP_UART, 0, "abc", 3);  /* padded to 8 */
	snapshot_put(&w, SNAP_I8042, 0, NULL, 0);
	assert_int_equal(snapshot_writer_finish(&w), 0);
	*len = w.len;
	return w.buf;  /* the caller frees it */
}

static void round_trip(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = build(&len);
	struct snapshot_view view;
	char why[SNAPSHOT_WHY_SIZE];
	assert_int_equal(snapshot_read(buf, len, &view, why), 0);
	assert_int_equal(view.count, 5);
	assert_int_equal(view.major, SNAPSHOT_VERSION_MAJOR);
	const struct snapshot_section *s = snapshot_find(&view, SNAP_CONFIG, 0);
	assert_non_null(s);
	assert_int_equal(s->len, 10);
	assert_memory_equal(s->data, "mem = 64M\n", 10);
	assert_non_null(snapshot_find_exact(&view, SNAP_VCPU_REGS, 1, 18 * 8));
	assert_null(snapshot_find_exact(&view, SNAP_VCPU_REGS, 1, 17 * 8));
	assert_null(snapshot_find(&view, SNAP_VCPU_REGS, 2));
	assert_memory_equal(snapshot_find_exact(&view, SNAP_UART, 0, 3), "abc", 3);
	assert_non_null(snapshot_find(&view, SNAP_I8042, 0));
	/* Out of order too: the cursor wraps. */
	assert_non_null(snapshot_find(&view, SNAP_CONFIG, 0));
	snapshot_view_free(&view);
	free(buf);
}

static void every_truncation_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = build(&len);
	struct snapshot_view view;
	char why[SNAPSHOT_WHY_SIZE];
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut + 1);
		memcpy(copy, buf, cut);
		assert_int_equal(snapshot_read(copy, cut, &view, why), -EINVAL);
		assert_non_null(strstr(why, "damaged state file"));
		free(copy);
	}
	free(buf);
}

static void every_flipped_byte_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = build(&len);
	struct snapshot_view view;
	char why[SNAPSHOT_WHY_SIZE];
	for (size_t at = 0; at < len; at++) {
		buf[at] ^= 0x5a;
		assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
		buf[at] ^= 0x5a;
	}
	assert_int_equal(snapshot_read(buf, len, &view, why), 0);
	snapshot_view_free(&view);
	free(buf);
}

/* Rewrite a header field and fix the CRC, as a newer or hostile writer would. */
static void patch(uint8_t *buf, size_t len, size_t at, const void *value, size_t size)
{
	memcpy(buf + at, value, size);
	uint64_t crc = snapshot_crc64(buf, len - 8);
	memcpy(buf + len - 8, &crc, 8);
}

static void versions_and_lies(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = build(&len);
	struct snapshot_view view;
	char why[SNAPSHOT_WHY_SIZE];
	uint16_t v = 2;
	patch(buf, len, 8, &v, 2);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	assert_string_equal(why, "state file version 2.0, this sprig reads 1.0 to 1.0");
	v = 1;
	patch(buf, len, 8, &v, 2);
	v = SNAPSHOT_VERSION_MINOR + 1;
	patch(buf, len, 10, &v, 2);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	v = SNAPSHOT_VERSION_MINOR;
	patch(buf, len, 10, &v, 2);
	uint32_t count = 1000000;  /* more sections than fit */
	patch(buf, len, 12, &count, 4);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	assert_non_null(strstr(why, "more sections than fit"));
	count = 4;  /* fewer: bytes left after the last */
	patch(buf, len, 12, &count, 4);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	count = 5;
	patch(buf, len, 12, &count, 4);
	uint32_t type = 999;  /* the first section's type */
	patch(buf, len, 24, &type, 4);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	assert_non_null(strstr(why, "unknown section type 999"));
	type = SNAP_CONFIG;
	patch(buf, len, 24, &type, 4);
	uint64_t huge = ~0ull;  /* its length past the end, and wrapping */
	patch(buf, len, 32, &huge, 8);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	huge = ~0ull - 3;
	patch(buf, len, 32, &huge, 8);
	assert_int_equal(snapshot_read(buf, len, &view, why), -EINVAL);
	free(buf);
}

static void crc_known_value(void **state)
{
	(void)state;
	/* CRC-64/XZ's check value. */
	assert_true(snapshot_crc64((const uint8_t *)"123456789", 9) == 0x995dc9bbdf1939faull);
}

static struct config config, back;

static void config_text_round_trip(void **state)
{
	(void)state;
	char error[CONFIG_ERROR_SIZE];
	static char text[128 * 1024];
	config_defaults(&config);
	config.mem = 512ull << 20, config.cpus = 4, config.cores = 2, config.threads_per_core = 2;
	strcpy(config.cpu, "x86-64-v2,-sse4_2");
	strcpy(config.cmdline, "console=ttyS0 a=\"b c\" back\\slash");
	strcpy(config.kernel, "/srv/k \"1\".elf");
	config.mem_backend = 2, strcpy(config.mem_path, "/dev/shm/ram");
	config.on_reboot_restart = true, config.rng = true, config.rng_rate = 4096;
	config.block_count = 2;
	strcpy(config.blocks[0].path, "/srv/a.img"), strcpy(config.blocks[0].serial, "root");
	config.blocks[0].read_only = true, config.blocks[0].rate = 1 << 20;
	strcpy(config.blocks[1].path, "/srv/b.img"), config.blocks[1].cache_none = true, config.blocks[1].ops = 10;
	config.net_count = 1;
	strcpy(config.nets[0].tap, "tap0");
	memcpy(config.nets[0].mac, "\x02\x00\x0a\x00\x02\x0f", 6);
	config.nets[0].tx_rate = 1000;
	strcpy(config.vsock_path, "/run/v.sock"), config.vsock_cid = 7;
	int len = config_write(&config, text, sizeof(text));
	assert_true(len > 0);
	config_defaults(&back);
	assert_int_equal(config_parse_text(&back, "state", text, (size_t)len, error), 0);
	assert_memory_equal(&back, &config, sizeof(config));
	/* Too small a buffer says so. */
	assert_int_equal(config_write(&config, text, 40), -E2BIG);
	/* The defaults write nothing at all but the keys that have none. */
	config_defaults(&config);
	len = config_write(&config, text, sizeof(text));
	assert_string_equal(text, "mem = 134217728\ncpus = 1\ncpu = \"host\"\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(every_truncation_refused),
		cmocka_unit_test(every_flipped_byte_refused),
		cmocka_unit_test(versions_and_lies),
		cmocka_unit_test(crc_known_value),
		cmocka_unit_test(config_text_round_trip),
	};
	return run_group("snapshot", tests, sizeof(tests) / sizeof(tests[0]));
}
