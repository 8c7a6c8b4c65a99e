/* x-query-virtio and x-query-virtio-status in QEMU's shapes (qmp_virtio.h).
 * Feature and status bits are named as the virtio spec names them; a
 * bit this file has no name for is counted in unknown-dev-features, as
 * QEMU does. */
#include "qmp_virtio.h"

#include <errno.h>
#include <string.h>

struct bit_name {
	unsigned bit;
	const char *name;
};

static const struct bit_name transport_bits[] = {
	{ 28, "VIRTIO_RING_F_INDIRECT_DESC" }, { 29, "VIRTIO_RING_F_EVENT_IDX" }, { 32, "VIRTIO_F_VERSION_1" },
	{ 0, NULL },
};

static const struct bit_name net_bits[] = {
	{ 0, "VIRTIO_NET_F_CSUM" }, { 1, "VIRTIO_NET_F_GUEST_CSUM" }, { 5, "VIRTIO_NET_F_MAC" },
	{ 7, "VIRTIO_NET_F_GUEST_TSO4" }, { 8, "VIRTIO_NET_F_GUEST_TSO6" }, { 11, "VIRTIO_NET_F_HOST_TSO4" },
	{ 12, "VIRTIO_NET_F_HOST_TSO6" }, { 15, "VIRTIO_NET_F_MRG_RXBUF" }, { 16, "VIRTIO_NET_F_STATUS" },
	{ 0, NULL },
};

static const struct bit_name blk_bits[] = {
	{ 2, "VIRTIO_BLK_F_SEG_MAX" }, { 5, "VIRTIO_BLK_F_RO" }, { 6, "VIRTIO_BLK_F_BLK_SIZE" },
	{ 9, "VIRTIO_BLK_F_FLUSH" }, { 13, "VIRTIO_BLK_F_DISCARD" }, { 14, "VIRTIO_BLK_F_WRITE_ZEROES" },
	{ 0, NULL },
};

static const struct bit_name none[] = { { 0, NULL } };

static const struct bit_name status_bits[] = {
	{ 0, "VIRTIO_CONFIG_S_ACKNOWLEDGE" }, { 1, "VIRTIO_CONFIG_S_DRIVER" }, { 2, "VIRTIO_CONFIG_S_DRIVER_OK" },
	{ 3, "VIRTIO_CONFIG_S_FEATURES_OK" }, { 6, "VIRTIO_CONFIG_S_NEEDS_RESET" }, { 7, "VIRTIO_CONFIG_S_FAILED" },
	{ 0, NULL },
};

/* The names of the bits of `value` the table knows, as a JSON array;
 * returns the bits it does not know. */
static uint64_t named_bits(struct json_out *out, const struct bit_name *names, uint64_t value)
{
	json_out_raw(out, "[", 1);
	bool first = true;
	for (const struct bit_name *n = names; n->name; n++) {
		if (!(value & (1ull << n->bit)))
			continue;
		json_out_printf(out, "%s\"%s\"", first ? "" : ", ", n->name);
		first = false;
		value &= ~(1ull << n->bit);
	}
	json_out_raw(out, "]", 1);
	return value;
}

static void features(struct json_out *out, uint32_t device_id, uint64_t value)
{
	const struct bit_name *device = device_id == 1 ? net_bits : device_id == 2 ? blk_bits : none;
	json_out_printf(out, "{\"transports\": ");
	uint64_t rest = named_bits(out, transport_bits, value);
	json_out_printf(out, ", \"dev-features\": ");
	rest = named_bits(out, device, rest);
	if (rest)
		json_out_printf(out, ", \"unknown-dev-features\": %llu", (unsigned long long)rest);
	json_out_raw(out, "}", 1);
}

void qmp_virtio_list(const struct control_ops *ops, void *vm, struct json_out *out)
{
	json_out_raw(out, "[", 1);
	for (unsigned i = 0, n = ops->virtio_count(vm); i < n; i++) {
		struct control_virtio v;
		ops->virtio_info(vm, i, &v);
		json_out_printf(out, "%s{\"path\": \"%s\", \"name\": \"%s\"}", i ? ", " : "", v.path, v.name);
	}
	json_out_raw(out, "]", 1);
}

static void status(struct json_out *out, const struct control_virtio *v, bool vm_running)
{
	bool started = (v->status & 4) && !v->broken;
	json_out_printf(out, "{\"name\": \"%s\", \"device-id\": %u, \"vhost-started\": false, "
			"\"device-endian\": \"little\", \"guest-features\": ", v->name, v->device_id);
	features(out, v->device_id, v->guest_features);
	json_out_printf(out, ", \"host-features\": ");
	features(out, v->device_id, v->host_features);
	json_out_printf(out, ", \"backend-features\": ");
	features(out, v->device_id, v->host_features);
	json_out_printf(out, ", \"num-vqs\": %u, \"status\": {\"statuses\": ", v->queues);
	uint64_t unknown = named_bits(out, status_bits, v->status);
	if (unknown)
		json_out_printf(out, ", \"unknown-statuses\": %llu", (unsigned long long)unknown);
	json_out_printf(out, "}, \"isr\": %u, \"queue-sel\": %u, \"vm-running\": %s, \"broken\": %s, "
			"\"disabled\": false, \"use-started\": true, \"started\": %s, \"start-on-kick\": false, "
			"\"disable-legacy-check\": false, \"bus-name\": \"virtio-mmio-bus\", "
			"\"use-guest-notifier-mask\": false", v->isr, v->queue_sel, vm_running ? "true" : "false",
			v->broken ? "true" : "false", started ? "true" : "false");
	if (v->error) {
		json_out_printf(out, ", \"x-error\": ");
		json_out_string(out, v->error);
	}
	json_out_raw(out, "}", 1);
}

int qmp_virtio_status(const struct control_ops *ops, void *vm, const char *path, struct json_out *out)
{
	for (unsigned i = 0, n = ops->virtio_count(vm); i < n; i++) {
		struct control_virtio v;
		ops->virtio_info(vm, i, &v);
		if (!strcmp(v.path, path)) {
			status(out, &v, !strcmp(ops->status(vm), "running"));
			return 0;
		}
	}
	return -ENOENT;
}
