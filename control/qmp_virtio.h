/* The virtio introspection commands, as QEMU 7.2+ shapes their replies
 * (QEMU marks them experimental, hence the x-): x-query-virtio lists every
 * virtio device by QOM-style path and name, x-query-virtio-status shows
 * one: features offered and accepted, status bits, ISR, and whether the
 * driver broke it (DEVICE_NEEDS_RESET), with sprig's x-error saying how. */
#ifndef SPRIG_QMP_VIRTIO_H
#define SPRIG_QMP_VIRTIO_H

#include "control.h"
#include "json.h"

void qmp_virtio_list(const struct control_ops *ops, void *vm, struct json_out *out);

/* 0, or -ENOENT when no device has that path. */
int qmp_virtio_status(const struct control_ops *ops, void *vm, const char *path, struct json_out *out);

#endif
