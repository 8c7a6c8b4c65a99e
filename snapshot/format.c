/* The state file's bytes (format.h). The reader trusts nothing: a state
 * file may be cut short, bit-flipped or written by someone else. */
#include "format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAILER 8u

static uint64_t pad8(uint64_t n)
{
	return (n + 7) & ~7ull;
}

uint64_t snapshot_crc64(const uint8_t *data, size_t len)
{
	static uint64_t table[256];
	static int ready;
	if (!ready) {  /* benign race: every thread computes the same table */
		for (unsigned i = 0; i < 256; i++) {
			uint64_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0xc96c5795d7870f42ull : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	uint64_t crc = ~0ull;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void snapshot_writer_init(struct snapshot_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->len = sizeof(struct snapshot_header);
}

static void reserve(struct snapshot_writer *w, uint64_t more)
{
	if (w->error)
		return;
	if (more > SNAPSHOT_STATE_MAX || w->len + more > SNAPSHOT_STATE_MAX) {
		w->error = -E2BIG;
		return;
	}
	if (w->len + more <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 65536;
	while (cap < w->len + more)
		cap *= 2;
	uint8_t *buf = realloc(w->buf, cap);
	if (!buf) {
		w->error = -ENOMEM;
		return;
	}
	memset(buf + w->cap, 0, cap - w->cap);  /* padding reads as zeros */
	w->buf = buf;
	w->cap = cap;
}

void snapshot_put(struct snapshot_writer *w, uint32_t type, uint32_t index, const void *data, uint64_t len)
{
	reserve(w, sizeof(struct snapshot_section_header) + pad8(len) + TRAILER);
	if (w->error)
		return;
	struct snapshot_section_header h = { type, index, len };
	memcpy(w->buf + w->len, &h, sizeof(h));
	if (len)
		memcpy(w->buf + w->len + sizeof(h), data, len);
	w->len += sizeof(h) + pad8(len);
	w->sections++;
}

int snapshot_writer_finish(struct snapshot_writer *w)
{
	reserve(w, TRAILER);
	if (w->error)
		return w->error;
	struct snapshot_header h = { .major = SNAPSHOT_VERSION_MAJOR, .minor = SNAPSHOT_VERSION_MINOR,
				     .section_count = w->sections, .length = w->len + TRAILER };
	memcpy(h.magic, SNAPSHOT_MAGIC, 8);
	memcpy(w->buf, &h, sizeof(h));
	uint64_t crc = snapshot_crc64(w->buf, w->len);
	memcpy(w->buf + w->len, &crc, TRAILER);
	w->len += TRAILER;
	return 0;
}

void snapshot_writer_free(struct snapshot_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool known_type(uint32_t type)
{
	switch (type) {
	case SNAP_CONFIG: case SNAP_MEMORY: case SNAP_CPU_FEATURES: case SNAP_VM_CLOCK: case SNAP_VM_PIT:
	case SNAP_VM_IRQCHIP: case SNAP_VCPU_CPUID: case SNAP_VCPU_REGS: case SNAP_VCPU_SREGS:
	case SNAP_VCPU_XSAVE: case SNAP_VCPU_XCRS: case SNAP_VCPU_DEBUGREGS: case SNAP_VCPU_LAPIC:
	case SNAP_VCPU_EVENTS: case SNAP_VCPU_MP_STATE: case SNAP_VCPU_MSRS: case SNAP_VCPU_TSC_KHZ:
	case SNAP_UART: case SNAP_I8042: case SNAP_VIRTIO:
		return true;
	}
	return false;
}

static int damaged(char *why, const char *what)
{
	snprintf(why, SNAPSHOT_WHY_SIZE, "damaged state file: %s", what);
	return -EINVAL;
}

static int check_header(const uint8_t *buf, size_t len, struct snapshot_header *h, char *why)
{
	if (len < sizeof(*h) || memcmp(buf, SNAPSHOT_MAGIC, 8))
		return damaged(why, "not a sprig snapshot (no SPRIGSNP header)");
	memcpy(h, buf, sizeof(*h));
	if (h->major != SNAPSHOT_VERSION_MAJOR || h->minor > SNAPSHOT_VERSION_MINOR) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "state file version %u.%u, this sprig reads %u.0 to %u.%u",
			 h->major, h->minor, SNAPSHOT_VERSION_MAJOR, SNAPSHOT_VERSION_MAJOR,
			 SNAPSHOT_VERSION_MINOR);
		return -EINVAL;
	}
	if (h->length != len)
		return damaged(why, h->length > len ? "truncated" : "longer than its header says");
	if (len < sizeof(*h) + TRAILER || len > SNAPSHOT_STATE_MAX)
		return damaged(why, "impossible length");
	uint64_t crc;
	memcpy(&crc, buf + len - TRAILER, TRAILER);
	if (crc != snapshot_crc64(buf, len - TRAILER))
		return damaged(why, "checksum mismatch");
	return 0;
}

int snapshot_read(const uint8_t *buf, size_t len, struct snapshot_view *view, char *why)
{
	struct snapshot_header h;
	memset(view, 0, sizeof(*view));
	int err = check_header(buf, len, &h, why);
	if (err)
		return err;
	size_t end = len - TRAILER, at = sizeof(h);
	/* Each section takes at least its header: a count beyond that lies. */
	if (h.section_count > (end - at) / sizeof(struct snapshot_section_header))
		return damaged(why, "more sections than fit");
	view->sections = calloc(h.section_count ? h.section_count : 1, sizeof(*view->sections));
	if (!view->sections)
		return -ENOMEM;
	view->major = h.major, view->minor = h.minor;
	for (uint32_t i = 0; i < h.section_count; i++) {
		struct snapshot_section_header s;
		if (end - at < sizeof(s))
			return snapshot_view_free(view), damaged(why, "a section header past the end");
		memcpy(&s, buf + at, sizeof(s));
		at += sizeof(s);
		if (s.length > end - at || pad8(s.length) > end - at)
			return snapshot_view_free(view), damaged(why, "a section past the end");
		if (!known_type(s.type)) {
			char what[64];
			snprintf(what, sizeof(what), "unknown section type %u", s.type);
			return snapshot_view_free(view), damaged(why, what);
		}
		view->sections[i] = (struct snapshot_section){ s.type, s.index, buf + at, s.length };
		at += pad8(s.length);
		view->count++;
	}
	if (at != end)
		return snapshot_view_free(view), damaged(why, "bytes after the last section");
	return 0;
}

void snapshot_view_free(struct snapshot_view *view)
{
	free(view->sections);
	view->sections = NULL;
	view->count = 0;
}

/* From where the last search ended, round once: in-order lookups (8192
 * vCPUs make some 100000 sections) cost one step each. */
const struct snapshot_section *snapshot_find(struct snapshot_view *view, uint32_t type, uint32_t index)
{
	for (uint32_t n = 0; n < view->count; n++) {
		uint32_t i = (view->cursor + n) % view->count;
		if (view->sections[i].type == type && view->sections[i].index == index) {
			view->cursor = i + 1;
			return &view->sections[i];
		}
	}
	return NULL;
}

const void *snapshot_find_exact(struct snapshot_view *view, uint32_t type, uint32_t index, uint64_t len)
{
	const struct snapshot_section *s = snapshot_find(view, type, index);
	return s && s->len == len ? s->data : NULL;
}
