/* The I/O thread (io_thread.h). Handlers run one at a time, in the order
 * epoll reports their fds; each takes its device's lock itself. */
#include "io_thread.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int io_thread_init(struct io_thread *io, int (*install_filter)(void))
{
	memset(io, 0, sizeof(*io));
	io->install_filter = install_filter;
	io->epoll_fd = io->stop_fd = io->call_fd = -1;
	io->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->epoll_fd < 0 || io->stop_fd < 0 || io->call_fd < 0) {
		int err = -errno;
		io_thread_stop(io);
		return err;
	}
	struct epoll_event stop = { .events = EPOLLIN, .data.ptr = NULL };  /* NULL: stop */
	struct epoll_event call = { .events = EPOLLIN, .data.ptr = &io->call_fd };
	if (epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, io->stop_fd, &stop) ||
	    epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, io->call_fd, &call))
		return -errno;
	return 0;
}

/* A free slot (fd -1) first, so connections that come and go reuse them. */
static int watch(struct io_thread *io, int fd, io_handler_fn *handler, void *opaque, uint32_t events)
{
	unsigned slot = 0;
	while (slot < io->watch_count && io->watches[slot].fd >= 0)
		slot++;
	if (slot == IO_WATCHES_MAX)
		return -ENOSPC;
	struct io_watch *w = &io->watches[slot];
	*w = (struct io_watch){ fd, handler, opaque };
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		w->fd = -1;
		return -errno;
	}
	if (slot == io->watch_count)
		io->watch_count++;
	return 0;
}

void io_thread_unwatch(struct io_thread *io, int fd)
{
	for (unsigned i = 0; i < io->watch_count; i++)
		if (io->watches[i].fd == fd) {
			epoll_ctl(io->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
			io->watches[i].fd = -1;
		}
}

int io_thread_watch(struct io_thread *io, int fd, io_handler_fn *handler, void *opaque)
{
	return watch(io, fd, handler, opaque, EPOLLIN);
}

int io_thread_watch_edge(struct io_thread *io, int fd, io_handler_fn *handler, void *opaque)
{
	return watch(io, fd, handler, opaque, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

void io_drain(int fd)
{
	uint64_t count;
	while (read(fd, &count, sizeof(count)) == sizeof(count)) {
	}
}

int io_timer_set(int fd, uint64_t ns)
{
	struct itimerspec when = { .it_value = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) } };
	if (!ns)
		when.it_value.tv_nsec = 1;
	return timerfd_settime(fd, 0, &when, NULL) ? -errno : 0;
}

static void run_call(struct io_thread *io)
{
	io_drain(io->call_fd);
	unsigned seq = atomic_load(&io->call_seq);
	if (seq == atomic_load(&io->call_done))
		return;
	atomic_store(&io->call_result, io->call(io->call_opaque));
	atomic_store(&io->call_done, seq);
}

int io_thread_call(struct io_thread *io, int (*fn)(void *opaque), void *opaque)
{
	if (!io->running)
		return -ENOENT;
	io->call = fn;
	io->call_opaque = opaque;
	unsigned seq = atomic_load(&io->call_seq) + 1;
	atomic_store(&io->call_seq, seq);
	uint64_t one = 1;
	if (write(io->call_fd, &one, sizeof(one)) < 0)
		return -errno;
	for (int waited = 0; atomic_load(&io->call_done) != seq; waited++) {
		if (waited == 2000)
			return -ETIMEDOUT;
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	return atomic_load(&io->call_result);
}

static void *io_main(void *arg)
{
	struct io_thread *io = arg;
	if (io->install_filter && (io->filter_error = io->install_filter()))
		return NULL;
	for (;;) {
		struct epoll_event got[8];
		int n = epoll_wait(io->epoll_fd, got, 8, -1);
		if (n < 0 && errno != EINTR)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct io_watch *w = got[i].data.ptr;
			if (!w)
				return NULL;
			if (got[i].data.ptr == &io->call_fd) {
				run_call(io);
				continue;
			}
			if (w->fd >= 0)  /* not unwatched by an earlier handler of this batch */
				w->handler(w->opaque);
		}
	}
}

int io_thread_start(struct io_thread *io)
{
	if (!io->watch_count)
		return 0;
	int err = pthread_create(&io->thread, NULL, io_main, io);
	if (err)
		return -err;
	io->running = true;
	return 0;
}

void io_thread_stop(struct io_thread *io)
{
	if (io->running) {
		uint64_t one = 1;
		if (write(io->stop_fd, &one, sizeof(one)) < 0) {
			/* cannot fail: the counter is nowhere near its maximum */
		}
		pthread_join(io->thread, NULL);
		io->running = false;
	}
	if (io->epoll_fd >= 0)
		close(io->epoll_fd);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	if (io->call_fd >= 0)
		close(io->call_fd);
	io->epoll_fd = io->stop_fd = io->call_fd = -1;
}
