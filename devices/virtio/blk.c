/* virtio-blk (blk.h). A request is a readable 16-byte header (type,
 * reserved, sector), data, and a writable status byte at the very end.
 * The chain's readable and writable bytes are two streams; the header,
 * data and status are ranges in them. Every range is checked against the
 * image before the file is touched. */
#include "blk.h"
#include "../bus.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define SECTOR 512u
#define T_IN 0u
#define T_OUT 1u
#define T_FLUSH 4u
#define T_GET_ID 8u
#define T_DISCARD 11u
#define T_WRITE_ZEROES 13u
#define S_OK 0u
#define S_IOERR 1u
#define S_UNSUPP 2u

#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define F_DISCARD (1ull << 13)
#define F_WRITE_ZEROES (1ull << 14)

#define SEGMENTS_MAX 64u   /* discard / write-zeroes ranges per request */

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void blk_activate(void *device) { device_signal(((struct virtio_blk *)device)->kick_fd); }
static void blk_notify(void *device, unsigned index) { (void)index; blk_activate(device); }
static void blk_reset(void *device) { (void)device; }

static void blk_config_read(void *device, uint32_t offset, uint8_t *data, uint32_t size)
{
	memcpy(data, ((struct virtio_blk *)device)->config + offset, size);  /* the transport bounded it */
}

/* Walk [offset, offset + len) of the chain's readable or writable stream,
 * calling `step` on each piece; false if the range is not all there or a
 * step failed. */
typedef bool piece_fn(void *ctx, uint8_t *hva, uint32_t len, uint64_t stream_offset);

static bool each_piece(const struct virtq_chain *c, bool writable, uint64_t offset, uint64_t len,
		       piece_fn *step, void *ctx)
{
	uint64_t at = 0, done = 0;
	for (unsigned i = 0; i < c->count && done < len; i++) {
		const struct virtq_buffer *b = &c->buffers[i];
		if (b->writable != writable)
			continue;
		uint64_t start = at, end = at + b->len;
		at = end;
		if (end <= offset + done)
			continue;
		uint64_t from = offset + done - start, n = b->len - from;
		if (n > len - done)
			n = len - done;
		if (!step(ctx, b->hva + from, (uint32_t)n, offset + done))
			return false;
		done += n;
	}
	return done == len;
}

struct copy { uint8_t *buf; uint64_t base; bool to_guest; };

static bool copy_piece(void *ctx, uint8_t *hva, uint32_t len, uint64_t stream_offset)
{
	struct copy *c = ctx;
	uint8_t *mine = c->buf + (stream_offset - c->base);
	if (c->to_guest)
		memcpy(hva, mine, len);
	else
		memcpy(mine, hva, len);
	return true;
}

static bool copy_stream(const struct virtq_chain *chain, bool writable, uint64_t offset, void *buf,
			uint64_t len, bool to_guest)
{
	struct copy c = { buf, offset, to_guest };
	return each_piece(chain, writable, offset, len, copy_piece, &c);
}

/* File I/O for a piece: the image offset follows the stream offset. */
struct file_io { struct virtio_blk *blk; uint64_t image_base, stream_base; bool write; };

static bool full_io(int fd, uint8_t *p, size_t len, uint64_t off, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;  /* an error, or the image shrank under us */
		p += n, len -= (size_t)n, off += (uint64_t)n;
	}
	return true;
}

static bool direct_io(struct virtio_blk *blk, uint8_t *hva, uint32_t len, uint64_t off, bool write)
{
	/* O_DIRECT wants aligned memory, offsets and lengths: guest buffers
	 * go through the aligned bounce buffer, whole sectors at a time. */
	if (off % SECTOR || len % SECTOR)
		return false;
	while (len) {
		uint32_t n = len < VIRTIO_BLK_BOUNCE_BYTES ? len : VIRTIO_BLK_BOUNCE_BYTES;
		if (write)
			memcpy(blk->bounce, hva, n);
		if (!full_io(blk->fd, blk->bounce, n, off, write))
			return false;
		if (!write)
			memcpy(hva, blk->bounce, n);
		hva += n, len -= n, off += n;
	}
	return true;
}

static bool file_piece(void *ctx, uint8_t *hva, uint32_t len, uint64_t stream_offset)
{
	struct file_io *io = ctx;
	uint64_t off = io->image_base + (stream_offset - io->stream_base);
	return io->blk->direct ? direct_io(io->blk, hva, len, off, io->write)
			       : full_io(io->blk->fd, hva, len, off, io->write);
}

/* Is [sector, sector + bytes / 512) inside the image, in whole sectors? */
static bool in_image(const struct virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
	return bytes % SECTOR == 0 && sector <= blk->sectors && bytes / SECTOR <= blk->sectors - sector;
}

static uint8_t read_write(struct virtio_blk *blk, uint32_t type, uint64_t sector)
{
	const struct virtq_chain *c = &blk->chain;
	bool write = type == T_OUT;
	/* Reads land in the writable stream before the status byte; writes
	 * come from the readable stream after the header. */
	uint64_t start = write ? 16 : 0;
	uint64_t len = write ? c->readable_bytes - 16 : c->writable_bytes - 1;
	if (write && blk->read_only)
		return S_IOERR;
	if (!in_image(blk, sector, len))
		return S_IOERR;
	struct file_io io = { blk, sector * SECTOR, start, write };
	return each_piece(c, !write, start, len, file_piece, &io) ? S_OK : S_IOERR;
}

static uint8_t get_id(struct virtio_blk *blk)
{
	uint64_t room = blk->chain.writable_bytes - 1;
	uint64_t n = room < VIRTIO_BLK_SERIAL_MAX ? room : VIRTIO_BLK_SERIAL_MAX;
	return copy_stream(&blk->chain, true, 0, blk->serial, n, true) ? S_OK : S_IOERR;
}

/* Zeros written the slow way, where the file system has no fallocate
 * mode for it: through the bounce buffer (aligned, for O_DIRECT). */
static bool write_zeros(struct virtio_blk *blk, uint64_t off, uint64_t len)
{
	static uint8_t zeros[VIRTIO_BLK_BOUNCE_BYTES] __attribute__((aligned(4096)));
	while (len) {
		uint32_t n = len < sizeof(zeros) ? (uint32_t)len : (uint32_t)sizeof(zeros);
		if (!full_io(blk->fd, zeros, n, off, true))
			return false;
		off += n, len -= n;
	}
	return true;
}

/* A punched hole reads as zeros. A write-zeroes that may not unmap is
 * zeroed in place (FALLOC_FL_ZERO_RANGE); where the file system cannot,
 * a hole, and where it cannot punch either, zeros written. A discard is
 * a hint: where the file system punches no holes, doing nothing does it. */
static bool clear(struct virtio_blk *blk, uint32_t type, bool may_unmap, uint64_t off, uint64_t len)
{
	int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	if (type == T_DISCARD)
		return fallocate(blk->fd, punch, (off_t)off, (off_t)len) == 0 || errno == EOPNOTSUPP;
	if (fallocate(blk->fd, may_unmap ? punch : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return true;
	if (errno != EOPNOTSUPP)
		return false;
	return fallocate(blk->fd, punch, (off_t)off, (off_t)len) == 0 || write_zeros(blk, off, len);
}

/* Discard and write-zeroes: 16-byte ranges after the header. */
static uint8_t discard(struct virtio_blk *blk, uint32_t type)
{
	const struct virtq_chain *c = &blk->chain;
	uint64_t bytes = c->readable_bytes - 16;
	if (!blk->discard)
		return S_UNSUPP;
	if (bytes == 0 || bytes % 16 || bytes / 16 > SEGMENTS_MAX)
		return S_IOERR;
	for (uint64_t at = 16; at < c->readable_bytes; at += 16) {
		struct { uint64_t sector; uint32_t count, flags; } seg;
		if (!copy_stream(c, false, at, &seg, sizeof(seg), false))
			return S_IOERR;
		if (!in_image(blk, seg.sector, (uint64_t)seg.count * SECTOR))
			return S_IOERR;
		if (seg.count && !clear(blk, type, seg.flags & 1, seg.sector * SECTOR,
					(uint64_t)seg.count * SECTOR))
			return S_IOERR;
	}
	return S_OK;
}

/* One request: false when the chain is not a request at all (a driver
 * error); else the status byte written and *written set. */
static bool handle(struct virtio_blk *blk, uint32_t *written)
{
	const struct virtq_chain *c = &blk->chain;
	struct { uint32_t type, reserved; uint64_t sector; } header;
	if (c->readable_bytes < sizeof(header) || c->writable_bytes < 1 ||
	    !copy_stream(c, false, 0, &header, sizeof(header), false))
		return false;
	uint8_t status;
	bool data_in = header.type == T_IN || header.type == T_GET_ID;
	switch (header.type) {
	case T_IN:
	case T_OUT: status = read_write(blk, header.type, header.sector); break;
	case T_FLUSH: status = fdatasync(blk->fd) ? S_IOERR : S_OK; break;
	case T_GET_ID: status = get_id(blk); break;
	case T_DISCARD:
	case T_WRITE_ZEROES: status = discard(blk, header.type); break;
	default: status = S_UNSUPP;
	}
	copy_stream(c, true, c->writable_bytes - 1, &status, 1, true);
	*written = data_in && status == S_OK ? (uint32_t)c->writable_bytes : 1;
	return true;
}

/* The data bytes a request moves, as the rate limiter counts them: what
 * a read fills or a write carries; other requests move none. */
static uint64_t data_bytes(const struct virtq_chain *c)
{
	uint32_t type;
	if (c->readable_bytes < 16 || c->writable_bytes < 1 || !copy_stream(c, false, 0, &type, 4, false))
		return 0;  /* handle() calls it a driver error */
	return type == T_IN ? c->writable_bytes - 1 : type == T_OUT ? c->readable_bytes - 16 : 0;
}

/* May the popped request go now? If not, the timer is set for when both
 * buckets will allow it. A request is not split: one larger than a
 * bucket goes once the bucket is full, and what it costs beyond that is
 * debt the next requests wait for, so the average holds. */
static bool allowed(struct virtio_blk *blk, uint64_t bytes, uint64_t now)
{
	uint64_t ns = rate_limit_pair_wait_ns(&blk->bytes, &blk->requests, bytes, now);
	if (!ns) {
		rate_limit_spend(&blk->bytes, bytes, now);
		rate_limit_spend(&blk->requests, 1, now);
		return true;
	}
	io_timer_set(blk->timer_fd, ns);
	blk->throttled++;
	return false;
}

void virtio_blk_serve(struct virtio_blk *blk)
{
	struct virtio_mmio *t = &blk->transport;
	struct virtq *q = &t->queues[0];
	bool limited = blk->bytes.rate || blk->requests.rate;
	do {
		for (;;) {
			int got = virtq_pop(q, t->mem, &blk->chain);
			uint32_t written = 0;
			if (got == 0)
				break;
			if (got > 0 && limited && !allowed(blk, data_bytes(&blk->chain), devices_now_ns())) {
				virtq_unpop(q, 1);  /* it and those after it wait in the ring */
				goto done;
			}
			if (got < 0 || !handle(blk, &written)) {
				virtio_mmio_needs_reset(t, got < 0 ? q->error : "a request without header or status byte");
				goto done;
			}
			virtq_push(q, blk->chain.head, written);
		}
	} while (virtq_arm_notify(q));
done:
	virtio_mmio_used(t, 0);
}

static void on_kick(void *opaque)
{
	struct virtio_blk *blk = opaque;
	io_drain(blk->kick_fd);
	pthread_mutex_lock(&blk->transport.lock);
	if (virtio_mmio_live(&blk->transport))
		virtio_blk_serve(blk);
	pthread_mutex_unlock(&blk->transport.lock);
}

static void on_timer(void *opaque)
{
	struct virtio_blk *blk = opaque;
	io_drain(blk->timer_fd);
	device_signal(blk->kick_fd);
}

/* The config space, little endian as the spec lays it out. */
static void build_config(struct virtio_blk *blk)
{
	uint8_t *c = blk->config;
	memset(c, 0, VIRTIO_BLK_CONFIG_BYTES);
	memcpy(c, &blk->sectors, 8);                 /* capacity */
	put32(c + 12, VIRTQ_CHAIN_MAX - 2);          /* seg_max: less header and status */
	put32(c + 20, SECTOR);                       /* blk_size */
	put32(c + 36, UINT32_MAX);                   /* max_discard_sectors */
	put32(c + 40, SEGMENTS_MAX);                 /* max_discard_seg */
	put32(c + 44, 1);                            /* discard_sector_alignment */
	put32(c + 48, UINT32_MAX);                   /* max_write_zeroes_sectors */
	put32(c + 52, SEGMENTS_MAX);                 /* max_write_zeroes_seg */
	c[56] = 1;                                   /* write_zeroes_may_unmap */
}

static int open_image(struct virtio_blk *blk, const struct virtio_blk_config *config, char *why,
		      size_t why_size)
{
	int flags = (config->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (config->direct ? O_DIRECT : 0);
	blk->fd = open(config->path, flags);
	struct stat st;
	if (blk->fd < 0 && errno == EINVAL && config->direct)
		return snprintf(why, why_size, "%s: cache = none: its file system does not take O_DIRECT",
				config->path), -EINVAL;
	if (blk->fd < 0 || fstat(blk->fd, &st))
		return snprintf(why, why_size, "%s: %s", config->path, strerror(errno)), -errno;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return snprintf(why, why_size, "%s: not a regular file or block device", config->path), -EINVAL;
	/* Two writers, or a writer and a reader, of one image corrupt what the
	 * other sees: a whole-file OFD lock, shared when read-only, exclusive
	 * otherwise. QEMU locks bytes of the same files the same way, so the
	 * two also keep out of each other's images. */
	struct flock lock = { .l_type = config->read_only ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(blk->fd, F_OFD_SETLK, &lock))
		return snprintf(why, why_size, "%s: %s", config->path,
				errno == EAGAIN || errno == EACCES ? "in use (locked by another VM or program)"
								   : strerror(errno)), -EBUSY;
	off_t size = lseek(blk->fd, 0, SEEK_END);
	if (size < (off_t)SECTOR)
		return snprintf(why, why_size, "%s: %s", config->path,
				size < 0 ? strerror(errno) : "smaller than one 512-byte sector"), -EINVAL;
	blk->sectors = (uint64_t)size / SECTOR;
	blk->discard = !config->read_only && S_ISREG(st.st_mode);
	return 0;
}

int virtio_blk_init(struct virtio_blk *blk, const struct guest_mem *mem,
		    const struct virtio_blk_config *config, int irq_fd, char *why, size_t why_size)
{
	memset(blk, 0, sizeof(*blk));
	blk->fd = blk->kick_fd = blk->timer_fd = -1;
	blk->irq_fd = irq_fd;
	blk->read_only = config->read_only;
	blk->direct = config->direct;
	if (strlen(config->serial) > VIRTIO_BLK_SERIAL_MAX)
		return snprintf(why, why_size, "serial '%s' is longer than 20 bytes", config->serial), -EINVAL;
	strncpy(blk->serial, config->serial, sizeof(blk->serial));
	int err = open_image(blk, config, why, why_size);
	if (err)
		return err;
	if (config->direct && posix_memalign((void **)&blk->bounce, 4096, VIRTIO_BLK_BOUNCE_BYTES))
		return snprintf(why, why_size, "out of memory"), -ENOMEM;
	if ((blk->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (blk->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
		return snprintf(why, why_size, "%s: %s", blk->kick_fd < 0 ? "eventfd" : "timerfd", strerror(errno)), -errno;
	uint64_t now = devices_now_ns();
	rate_limit_init(&blk->bytes, config->rate, config->rate, now);
	rate_limit_init(&blk->requests, config->ops, config->ops, now);
	blk->ops = (struct virtio_device_ops){
		.name = "blk", .device_id = VIRTIO_ID_BLOCK, .queue_count = 1,
		.queue_size_max = VIRTIO_BLK_QUEUE_SIZE, .config_size = VIRTIO_BLK_CONFIG_BYTES,
		.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (blk->read_only ? F_RO : 0) |
			    (blk->discard ? F_DISCARD | F_WRITE_ZEROES : 0),
		.config_read = blk_config_read, .activate = blk_activate, .notify = blk_notify,
		.reset = blk_reset,
	};
	build_config(blk);
	virtio_mmio_init(&blk->transport, &blk->ops, blk, mem, device_signal_irqfd, &blk->irq_fd);
	return 0;
}

int virtio_blk_watch(struct virtio_blk *blk, struct io_thread *io)
{
	int err = io_thread_watch(io, blk->kick_fd, on_kick, blk);
	return err ? err : io_thread_watch(io, blk->timer_fd, on_timer, blk);
}

void virtio_blk_close(struct virtio_blk *blk)
{
	if (blk->fd >= 0)
		close(blk->fd);
	if (blk->kick_fd >= 0)
		close(blk->kick_fd);
	if (blk->timer_fd >= 0)
		close(blk->timer_fd);
	free(blk->bounce);
	blk->fd = blk->kick_fd = blk->timer_fd = -1;
	blk->bounce = NULL;
}
