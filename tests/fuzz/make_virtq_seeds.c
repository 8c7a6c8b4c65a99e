/* Seeds for fuzz_virtq: well-formed queues a driver could offer, so the
 * fuzzer starts from chains that walk (direct, indirect, with EVENT_IDX,
 * a full ring) and mutates them into the ones that must not.
 * usage: make_virtq_seeds DIR */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HEAD 7  /* size, flags, move count, two moves */
#define SEED_BYTES (HEAD + 0x3000 + 0x100)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint8_t seed[SEED_BYTES];

static void set_desc(uint32_t table, unsigned i, struct desc d)
{
	memcpy(seed + HEAD + table + 16 * i, &d, 16);
}

static void set16(uint32_t gpa, uint16_t v)
{
	memcpy(seed + HEAD + gpa, &v, 2);
}

/* Every seed says two later avail indexes (bytes 2-6), so the layout
 * starts at HEAD as fuzz_virtq and fuzz_virtio_blk read it; unless set
 * otherwise both are the ring's own index, moving nothing. */
static void keep_avail_index(void)
{
	uint16_t idx;
	memcpy(&idx, seed + HEAD + 0x1000 + 2, 2);
	seed[2] = 2;
	memcpy(seed + 3, &idx, 2);
	memcpy(seed + 5, &idx, 2);
}

static int write_seed(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, sizeof(seed), f) != sizeof(seed) || fclose(f))
		return perror(path), 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return fprintf(stderr, "usage: make_virtq_seeds DIR\n"), 2;
	int err = 0;
	/* Size 8, a three-buffer chain: readable, readable, writable. */
	seed[0] = 3, seed[1] = 0;
	set_desc(0, 0, (struct desc){ 0x4000, 64, 1, 1 });
	set_desc(0, 1, (struct desc){ 0x5000, 16, 1, 2 });
	set_desc(0, 2, (struct desc){ 0x6000, 512, 2, 0 });
	set16(0x1000 + 4, 0), set16(0x1000 + 2, 1);
	keep_avail_index();
	err |= write_seed(argv[1], "direct");
	/* The same as one indirect table at 0x3000, EVENT_IDX on. */
	seed[1] = 3;
	set_desc(0x3000, 0, (struct desc){ 0x4000, 64, 1, 1 });
	set_desc(0x3000, 1, (struct desc){ 0x6000, 512, 2, 0 });
	set_desc(0, 0, (struct desc){ 0x3000, 32, 4, 0 });
	set16(0x1000 + 4 + 2 * 8, 0);  /* used_event */
	keep_avail_index();
	err |= write_seed(argv[1], "indirect");
	/* Every slot of the ring offered, one buffer each; the tail moves
	 * avail->idx twice. */
	seed[1] = 0;
	for (unsigned i = 0; i < 8; i++) {
		set_desc(0, i, (struct desc){ 0x4000 + 0x100 * i, 32, i & 1 ? 2 : 0, 0 });
		set16(0x1000 + 4 + 2 * i, (uint16_t)i);
	}
	set16(0x1000 + 2, 8);
	uint16_t moves[2] = { 12, 16 };
	seed[2] = 2;
	memcpy(seed + 3, moves, sizeof(moves));
	err |= write_seed(argv[1], "full-ring");
	/* virtio-blk requests (fuzz_virtio_blk shares these seeds): a header
	 * at 0x3000 (type, reserved, sector), 512 bytes of data, a status
	 * byte; a read of sector 2, then a write of sector 3. */
	memset(seed, 0, sizeof(seed));
	seed[0] = 3;
	set_desc(0, 0, (struct desc){ 0x3000, 16, 1, 1 });
	set_desc(0, 1, (struct desc){ 0x4000, 512, 1 | 2, 2 });
	set_desc(0, 2, (struct desc){ 0x5000, 1, 2, 0 });
	uint32_t read_header[4] = { 0, 0, 2, 0 };
	memcpy(seed + HEAD + 0x3000, read_header, sizeof(read_header));
	set16(0x1000 + 4, 0), set16(0x1000 + 2, 1);
	keep_avail_index();
	err |= write_seed(argv[1], "blk-read");
	uint32_t write_header[4] = { 1, 0, 3, 0 };
	memcpy(seed + HEAD + 0x3000, write_header, sizeof(write_header));
	set_desc(0, 1, (struct desc){ 0x4000, 512, 1, 2 });
	err |= write_seed(argv[1], "blk-write");
	return err;
}
