/* Snapshots of a virtio-mmio transport (mmio.h). A loaded state comes
 * from a file: its queues go through the same checks as a driver's
 * (virtq_restore), and nothing in guest RAM is written. */
#include "mmio.h"

#include <errno.h>
#include <string.h>

#define STATUS_KNOWN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

static void save_queue(const struct virtq *q, const struct virtq_config *pending, struct virtio_queue_state *s)
{
	*s = (struct virtio_queue_state){
		.size = q->config.size, .ready = q->ready, .broken = q->broken, .event_idx = q->config.event_idx,
		.indirect = q->config.indirect, .desc = q->config.desc_gpa, .avail = q->config.avail_gpa,
		.used = q->config.used_gpa, .last_avail = q->last_avail, .used_idx = q->used_idx,
		.signalled_used = q->signalled_used, .pending_size = pending->size,
		.pending_event_idx = pending->event_idx, .pending_indirect = pending->indirect,
		.pending_desc = pending->desc_gpa, .pending_avail = pending->avail_gpa,
		.pending_used = pending->used_gpa,
	};
}

void virtio_mmio_state_save(struct virtio_mmio *t, struct virtio_mmio_state *s)
{
	pthread_mutex_lock(&t->lock);
	if (t->ops->quiesce)
		t->ops->quiesce(t->device);
	memset(s, 0, sizeof(*s));
	*s = (struct virtio_mmio_state){ t->ops->device_id, t->ops->queue_count, t->status, t->device_features_sel,
					 t->driver_features_sel, t->queue_sel, t->config_generation,
					 atomic_load(&t->interrupt_status), t->driver_features, { { 0 } } };
	for (unsigned i = 0; i < t->ops->queue_count && i < VIRTIO_QUEUES_MAX; i++)
		save_queue(&t->queues[i], &t->pending[i], &s->queues[i]);
	pthread_mutex_unlock(&t->lock);
}

static bool flag(uint8_t v) { return v <= 1; }

static int load_queue(struct virtio_mmio *t, unsigned i, const struct virtio_queue_state *s, const char **why)
{
	struct virtq *q = &t->queues[i];
	if (!flag(s->ready) || !flag(s->broken) || !flag(s->event_idx) || !flag(s->indirect) ||
	    !flag(s->pending_event_idx) || !flag(s->pending_indirect))
		return *why = "a queue flag that is neither 0 nor 1", -EINVAL;
	t->pending[i] = (struct virtq_config){ s->pending_size, s->pending_desc, s->pending_avail, s->pending_used,
					       s->pending_event_idx, s->pending_indirect };
	virtq_reset(q);
	if (!s->ready)
		return 0;
	struct virtq_config config = { s->size, s->desc, s->avail, s->used, s->event_idx, s->indirect };
	if (virtq_restore(q, t->mem, &config, t->ops->queue_size_max, s->last_avail, s->used_idx,
			  s->signalled_used))
		return *why = q->error, -EINVAL;
	if (s->broken)
		q->broken = true, q->error = "broken before the snapshot";
	return 0;
}

static int load_registers(struct virtio_mmio *t, const struct virtio_mmio_state *s, const char **why)
{
	if (s->device_id != t->ops->device_id || s->queue_count != t->ops->queue_count)
		return *why = "another device type in this window", -EINVAL;
	if (s->status & ~STATUS_KNOWN)
		return *why = "unknown status bits", -EINVAL;
	if (s->interrupt_status & ~(uint32_t)(VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE))
		return *why = "unknown interrupt status bits", -EINVAL;
	if (s->driver_features & ~virtio_mmio_offered(t))
		return *why = "features the device does not offer", -EINVAL;
	t->status = s->status;
	t->device_features_sel = s->device_features_sel;
	t->driver_features_sel = s->driver_features_sel;
	t->queue_sel = s->queue_sel;
	t->config_generation = s->config_generation;
	atomic_store(&t->interrupt_status, s->interrupt_status);
	t->driver_features = s->driver_features;
	return 0;
}

int virtio_mmio_state_load(struct virtio_mmio *t, const struct virtio_mmio_state *s, const char **why)
{
	pthread_mutex_lock(&t->lock);
	int err = load_registers(t, s, why);
	for (unsigned i = 0; !err && i < t->ops->queue_count; i++)
		err = load_queue(t, i, &s->queues[i], why);
	if (!err && (t->status & VIRTIO_STATUS_NEEDS_RESET))
		t->error = "needed a reset before the snapshot";
	bool live = !err && virtio_mmio_live(t);
	if (live)
		t->ops->activate(t->device);
	if (live && t->ops->restored)
		t->ops->restored(t->device);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = 0; live && i < t->ops->queue_count; i++)
		if (t->queues[i].ready)
			t->ops->notify(t->device, i);
	return err;
}
