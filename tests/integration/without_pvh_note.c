/* Copies a Linux vmlinux with its PVH entry note (Xen, type 18) retyped,
 * so the same kernel can be booted as a vmlinux without CONFIG_PVH is:
 * at its physical e_entry through the 64-bit boot protocol, as Firecracker
 * boots vmlinux. Test tool: a bad input is an error, not a crash.
 * usage: without_pvh_note IN OUT */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define RETYPED 0x7e57  /* a type no loader knows */

static unsigned char *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n == cap) {
			unsigned char *bigger = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
			if (!bigger) {
				free(buf), fclose(f);
				return NULL;
			}
			buf = bigger;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*size = n;
	return buf;
}

/* Retype every PVH note in the note segment [off, off + len); how many. */
static int retype_notes(unsigned char *p, size_t off, size_t len)
{
	int count = 0;
	while (len >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		size_t body = ((nh.n_namesz + 3ul) & ~3ul) + ((nh.n_descsz + 3ul) & ~3ul);
		if (body > len - sizeof(nh))
			break;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(p + off + sizeof(nh), "Xen", 4)) {
			nh.n_type = RETYPED;
			memcpy(p + off, &nh, sizeof(nh));
			count++;
		}
		off += sizeof(nh) + body;
		len -= sizeof(nh) + body;
	}
	return count;
}

int main(int argc, char **argv)
{
	size_t size;
	unsigned char *p = argc == 3 ? read_all(argv[1], &size) : NULL;
	if (!p) {
		fprintf(stderr, "usage: without_pvh_note IN OUT (IN readable)\n");
		return 1;
	}
	Elf64_Ehdr eh;
	if (size < sizeof(eh) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "without_pvh_note: %s: not an ELF64 file\n", argv[1]);
		return 1;
	}
	memcpy(&eh, p, sizeof(eh));
	int count = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		size_t at = eh.e_phoff + (size_t)i * sizeof(ph);
		if (at > size || sizeof(ph) > size - at)
			break;
		memcpy(&ph, p + at, sizeof(ph));
		if (ph.p_type == PT_NOTE && ph.p_offset <= size && ph.p_filesz <= size - ph.p_offset)
			count += retype_notes(p, ph.p_offset, ph.p_filesz);
	}
	if (!count) {
		fprintf(stderr, "without_pvh_note: %s: no PVH entry note\n", argv[1]);
		return 1;
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out || fwrite(p, 1, size, out) != size || fclose(out)) {
		fprintf(stderr, "without_pvh_note: cannot write %s\n", argv[2]);
		return 1;
	}
	free(p);
	return 0;
}
