/* The control socket: a QMP-compatible subset over a unix socket
 * (docs/control.md). It knows the VM only through struct control_ops, so
 * the protocol is tested without KVM; everything runs on the main thread. */
#ifndef SPRIG_CONTROL_H
#define SPRIG_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

#define CONTROL_CLIENTS_MAX 16
#define CONTROL_WHY_SIZE 256

struct control_cpu {
	unsigned index;
	pid_t thread_id;
	unsigned socket_id, core_id, thread_in_core;
};

struct control_latency {
	unsigned count;
	uint64_t min_ns, median_ns, p99_ns, max_ns;
};

/* A disk, for query-block. */
struct control_block {
	char device[24];           /* "virtio0", ... in window order */
	const char *file;
	const char *serial;        /* "" for none */
	bool read_only, direct;    /* direct: cache = none */
	uint64_t size;             /* bytes the guest sees */
	uint64_t bps, iops;        /* the rate limits, reads and writes together; 0: none */
};

/* A virtio device as its transport has it at the moment asked, for
 * x-query-virtio and x-query-virtio-status. */
struct control_virtio {
	char path[64];             /* "/machine/virtio-mmio@d0001000/virtio-backend" */
	char name[24];             /* "virtio-blk", ... */
	uint32_t device_id;
	uint64_t host_features;    /* what the device offers */
	uint64_t guest_features;   /* what the driver accepted (so far) */
	uint32_t status, isr, queue_sel;
	unsigned queues;
	bool broken;               /* DEVICE_NEEDS_RESET: the driver broke the rules */
	const char *error;         /* how, or NULL */
};

enum control_fault { CONTROL_SIGBUS_AR, CONTROL_SIGBUS_AO, CONTROL_HWPOISON };
enum control_thread { CONTROL_THREAD_VMM, CONTROL_THREAD_VCPU, CONTROL_THREAD_IO };

/* What a QMP command may do to the VM. Errors are -errno; `why` (when
 * given) says more, for the client. */
struct control_ops {
	const char *(*status)(void *vm);           /* "running", "paused", "shutdown" */
	void (*stop)(void *vm);
	void (*cont)(void *vm);
	void (*quit)(void *vm);
	void (*reset)(void *vm);                    /* system_reset */
	unsigned (*cpu_count)(void *vm);
	void (*cpu_info)(void *vm, unsigned index, struct control_cpu *out);
	/* Test-only: a real SIGBUS with machine-check siginfo in a vCPU thread,
	 * or a real hardware-poisoned page (MADV_HWPOISON) touched by it. */
	int (*fault)(void *vm, unsigned index, uint64_t gpa, enum control_fault kind);
	/* Test-only: that thread makes a system call its seccomp filter
	 * forbids (the vmm thread is the one answering; io: -ENOENT without
	 * an I/O thread). */
	int (*forbidden_syscall)(void *vm, enum control_thread thread, unsigned index);
	/* Bench: kick a vCPU `count` times, time each until KVM_RUN returned. */
	int (*kick_latency)(void *vm, unsigned index, unsigned count, struct control_latency *out);
	/* send-key: press and release Ctrl-Alt-Del on the guest's keyboard;
	 * 0, -EAGAIN (keyboard disabled by the guest), -EBUSY (keys pending). */
	int (*send_ctrl_alt_del)(void *vm);
	/* query-block: the disks, in the guest's order. */
	unsigned (*block_count)(void *vm);
	void (*block_info)(void *vm, unsigned index, struct control_block *out);
	/* x-query-virtio: every virtio device, in window order. */
	unsigned (*virtio_count)(void *vm);
	void (*virtio_info)(void *vm, unsigned index, struct control_virtio *out);
	/* snapshot-save: the paused VM into folder `path`; 0 or -errno with
	 * `why` (CONTROL_WHY_SIZE). */
	int (*snapshot_save)(void *vm, const char *path, char *why);
};

/* One QMP conversation, independent of the transport. */
struct qmp_session {
	bool negotiated;
	bool quit;  /* quit was answered: read no further */
	const struct control_ops *ops;
	void *vm;
};

/* Answer one complete message (a top-level JSON value). Writes the reply,
 * if any, into `reply`. */
void qmp_handle_message(struct qmp_session *s, const char *text, size_t len, struct json_out *reply);

/* The greeting every client gets on connect. */
void qmp_greeting(struct json_out *out);

/* An event as QMP sends it, timestamp included. `data` is a JSON object's
 * text or NULL. */
void qmp_event(struct json_out *out, const char *name, const char *data);

/* The server. control_open listens on `path` (a stale socket there is
 * replaced; anything else there is an error). control_fd is one fd for
 * the main loop to poll (an epoll fd of its own); control_dispatch
 * handles whatever is ready, without blocking. */
struct control;
int control_open(struct control **out, const char *path, const struct control_ops *ops, void *vm,
		 char *why);
int control_fd(const struct control *c);
void control_dispatch(struct control *c);
/* Send an event to every client past capabilities negotiation. */
void control_broadcast_event(struct control *c, const char *name, const char *data);
/* At exit: give clients up to `ms` to take what is queued for them, close
 * everything and remove the socket. */
void control_close(struct control *c, int ms);

#endif
