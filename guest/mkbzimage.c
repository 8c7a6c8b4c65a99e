/* Wraps a flat 64-bit payload in a Linux bzImage setup header (boot
 * protocol 2.15), so a test guest boots the way a Linux kernel does.
 * Only the fields a 64-bit loader reads are filled; the setup sectors
 * hold no real-mode code (no 16-bit entry is offered).
 *   mkbzimage PAYLOAD.bin LOAD_ADDRESS END_ADDRESS OUT
 * END_ADDRESS is the payload's _end (init_size = END - LOAD). Host tool. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETUP_SECTS 1
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)

static void put(uint8_t *p, size_t offset, uint64_t value, size_t bytes)
{
	memcpy(p + offset, &value, bytes);  /* x86-64 host: little-endian */
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: mkbzimage PAYLOAD LOAD END OUT\n");
		return 2;
	}
	uint64_t load = strtoull(argv[2], NULL, 0), end = strtoull(argv[3], NULL, 0);
	FILE *in = fopen(argv[1], "rb");
	static uint8_t image[SETUP_SIZE + (16u << 20)];
	size_t payload = in ? fread(image + SETUP_SIZE, 1, sizeof(image) - SETUP_SIZE, in) : 0;
	if (!in || !payload || end <= load || end - load < payload) {
		fprintf(stderr, "mkbzimage: %s: unreadable, empty, or END before its end\n", argv[1]);
		return 1;
	}
	fclose(in);
	payload = (payload + 15) & ~(size_t)15;
	image[0x1f1] = SETUP_SECTS;
	put(image, 0x1f4, payload / 16, 4);        /* syssize */
	put(image, 0x1fa, 0xffff, 2);              /* vid_mode: normal */
	put(image, 0x1fe, 0xaa55, 2);              /* boot_flag */
	image[0x200] = 0xeb, image[0x201] = 0x6a;  /* jmp over the header, to 0x26c */
	memcpy(image + 0x202, "HdrS", 4);
	put(image, 0x206, 0x020f, 2);              /* version 2.15 */
	put(image, 0x20e, 0x100, 2);               /* kernel_version: the string at 0x300 */
	strcpy((char *)image + 0x300, "sprig test guest");
	image[0x211] = 0x01;                       /* loadflags: LOADED_HIGH */
	put(image, 0x214, load, 4);                /* code32_start */
	put(image, 0x22c, 0x7fffffff, 4);          /* initrd_addr_max */
	put(image, 0x230, 0x200000, 4);            /* kernel_alignment */
	image[0x234] = 0;                          /* not relocatable: runs at LOAD */
	put(image, 0x236, 0x0001, 2);              /* xloadflags: XLF_KERNEL_64 */
	put(image, 0x238, 2047, 4);                /* cmdline_size */
	put(image, 0x258, load, 8);                /* pref_address */
	put(image, 0x260, end - load, 4);          /* init_size */
	FILE *out = fopen(argv[4], "wb");
	if (!out || fwrite(image, 1, SETUP_SIZE + payload, out) != SETUP_SIZE + payload || fclose(out)) {
		fprintf(stderr, "mkbzimage: %s: cannot write\n", argv[4]);
		return 1;
	}
	return 0;
}
