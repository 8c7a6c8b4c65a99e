/* The I/O thread: every virtio device's queue work, off the vCPU threads.
 * A guest's kick reaches it through an ioeventfd KVM signals in the
 * kernel, so the vCPU never leaves KVM_RUN for it; the thread waits on
 * those eventfds (and the devices' timers) with epoll and runs each
 * one's handler. It loads its own seccomp filter (class "io") before it
 * touches anything the guest wrote. */
#ifndef SPRIG_VIRTIO_IO_THREAD_H
#define SPRIG_VIRTIO_IO_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define IO_WATCHES_MAX 160  /* the devices' fds and vsock's connections */

typedef void io_handler_fn(void *opaque);

struct io_thread {
	int epoll_fd, stop_fd, call_fd;
	pthread_t thread;
	bool running;
	unsigned watch_count;
	struct io_watch { int fd; io_handler_fn *handler; void *opaque; } watches[IO_WATCHES_MAX];
	int (*install_filter)(void);  /* the thread's own seccomp filter, or NULL */
	int filter_error;             /* what loading it returned */
	int (*call)(void *opaque);    /* io_thread_call's, while asked */
	void *call_opaque;
	_Atomic unsigned call_seq, call_done;
	_Atomic int call_result;
};

/* Before start: 0 or -errno. */
int io_thread_init(struct io_thread *io, int (*install_filter)(void));

/* Run `handler(opaque)` whenever `fd` is readable; the handler drains
 * the fd. Before start, or from a handler on the I/O thread itself (a
 * connection accepted); a handler must take a call with nothing to do (a
 * slot reused within one batch of events). 0 or -errno (-ENOSPC: too many). */
int io_thread_watch(struct io_thread *io, int fd, io_handler_fn *handler, void *opaque);

/* The same, told only when `fd` becomes readable or writable again, or
 * its peer hangs up (EPOLLET): for a source the handler may leave unread
 * (a tap whose frames wait for the guest's buffers, a vsock connection
 * the guest has no credit for) without the thread spinning on it. */
int io_thread_watch_edge(struct io_thread *io, int fd, io_handler_fn *handler, void *opaque);

/* From a handler, before closing `fd`: no more calls for it. */
void io_thread_unwatch(struct io_thread *io, int fd);

/* Start the thread if anything is watched; 0 or -errno. */
int io_thread_start(struct io_thread *io);

/* For handlers: read a non-blocking eventfd or timerfd until it is empty. */
void io_drain(int fd);

/* Set a timerfd to fire once, `ns` from now (0: at once, as 1 ns: a zero
 * value would disarm it); 0 or -errno. The rate limiters' wake-ups. */
int io_timer_set(int fd, uint64_t ns);

/* Run `fn(opaque)` on the I/O thread, between two handlers, and return
 * what it returned: a snapshot's device state (nothing is half done
 * then), and the test-only x-seccomp-violation (the thread's own filter).
 * -ENOENT when there is no I/O thread, -ETIMEDOUT after 2 s. Main thread
 * only. */
int io_thread_call(struct io_thread *io, int (*fn)(void *opaque), void *opaque);

/* Stop and join it (main thread, at VM stop), then close its fds. */
void io_thread_stop(struct io_thread *io);

#endif
