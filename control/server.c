/* The control socket's transport: a listening unix socket and up to
 * CONTROL_CLIENTS_MAX clients, all non-blocking, on an epoll set of their
 * own that the main loop polls as one fd. A client that stops reading is
 * disconnected once its queue is full, so no client can stall the VM or
 * the others. */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_EXTRA (64 * 1024)  /* room for events beyond one reply */
#define READ_BUDGET (256 * 1024) /* per client per dispatch: others get a turn */

struct client {
	int fd;  /* -1: a free slot */
	struct qmp_session session;
	struct json_stream *stream;
	char *queue;
	size_t queued, capacity;
	bool doomed;  /* dropped while its own input was being parsed */
};

struct control {
	int listen_fd, epoll_fd;
	struct sockaddr_un addr;
	dev_t socket_dev;  /* the socket file we bound, so close removes */
	ino_t socket_ino;  /* only ours, not a successor's at the same path */
	const struct control_ops *ops;
	void *vm;
	char *reply;
	size_t reply_size;
	struct client *current;  /* whose message is being answered */
	bool feeding;            /* inside json_stream_feed for `current` */
	struct client clients[CONTROL_CLIENTS_MAX];
};

static void drop_client(struct control *c, struct client *cl)
{
	if (c->feeding && cl == c->current) {
		cl->doomed = true;  /* the stream is still in use: drop it after */
		return;
	}
	epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl->stream);
	free(cl->queue);
	*cl = (struct client){ .fd = -1 };
}

static void watch(struct control *c, struct client *cl)
{
	struct epoll_event ev = { .events = EPOLLIN | (cl->queued ? EPOLLOUT : 0),
				  .data.u32 = (uint32_t)(cl - c->clients) + 1 };
	epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, cl->fd, &ev);
}

/* Write what the socket takes now; false when the client is gone. */
static bool flush_client(struct client *cl)
{
	size_t done = 0;
	while (done < cl->queued) {
		ssize_t n = send(cl->fd, cl->queue + done, cl->queued - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	memmove(cl->queue, cl->queue + done, cl->queued - done);
	cl->queued -= done;
	return true;
}

/* Queue `len` bytes for a client and try to send them at once. A client
 * whose queue would overflow has stopped reading: it is dropped. */
static void send_to(struct control *c, struct client *cl, const char *data, size_t len)
{
	if (cl->fd < 0 || cl->doomed)
		return;
	if (len > cl->capacity - cl->queued) {
		drop_client(c, cl);
		return;
	}
	memcpy(cl->queue + cl->queued, data, len);
	cl->queued += len;
	if (!flush_client(cl)) {
		drop_client(c, cl);
		return;
	}
	watch(c, cl);
}

static void on_message(void *ctx, const char *text, size_t len)
{
	struct control *c = ctx;
	struct client *cl = c->current;
	if (cl->fd < 0 || cl->doomed)
		return;
	struct json_out reply;
	json_out_init(&reply, c->reply, c->reply_size);
	qmp_handle_message(&cl->session, text, len, &reply);
	if (!reply.overflow)
		send_to(c, cl, reply.buf, reply.len);
	else
		drop_client(c, cl);  /* cannot happen: reply_size fits the largest */
}

static void on_stream_error(void *ctx, const char *problem)
{
	struct control *c = ctx;
	char text[JSON_ERROR_SIZE + 96];
	struct json_out out;
	json_out_init(&out, text, sizeof(text));
	static const char head[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": ";
	json_out_raw(&out, head, sizeof(head) - 1);
	char desc[JSON_ERROR_SIZE + 32];
	snprintf(desc, sizeof(desc), "JSON parse error, %s", problem);
	json_out_string(&out, desc);
	json_out_raw(&out, "}}\r\n", 4);
	send_to(c, c->current, out.buf, out.len);
}

static void read_client(struct control *c, struct client *cl)
{
	char buf[4096];
	size_t budget = READ_BUDGET;
	/* After quit, the rest of the input does not matter, and reading on
	 * could find the client's EOF and drop it before SHUTDOWN is sent. */
	while (cl->fd >= 0 && budget && !cl->session.quit) {
		ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			drop_client(c, cl);  /* hung up, perhaps mid-command: nothing to undo */
			return;
		}
		c->current = cl;
		c->feeding = true;
		json_stream_feed(cl->stream, buf, (size_t)n, on_message, on_stream_error, c);
		c->feeding = false;
		if (cl->doomed) {
			drop_client(c, cl);
			return;
		}
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
}

static void accept_clients(struct control *c)
{
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct client *cl = NULL;
		for (unsigned i = 0; i < CONTROL_CLIENTS_MAX && !cl; i++)
			if (c->clients[i].fd < 0)
				cl = &c->clients[i];
		static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
					   "\"too many control clients\"}}\r\n";
		size_t capacity = c->reply_size + QUEUE_EXTRA;
		char *queue = cl ? malloc(capacity) : NULL;
		struct json_stream *stream = queue ? malloc(sizeof(*stream)) : NULL;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = cl ? (uint32_t)(cl - c->clients) + 1 : 0 };
		if (!stream || epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* It is being turned away either way. */
			}
			close(fd);
			free(queue);
			free(stream);
			continue;
		}
		json_stream_init(stream);
		*cl = (struct client){ .fd = fd, .session = { .ops = c->ops, .vm = c->vm }, .stream = stream,
				       .queue = queue, .capacity = capacity };
		char greeting[256];
		struct json_out out;
		json_out_init(&out, greeting, sizeof(greeting));
		qmp_greeting(&out);
		send_to(c, cl, out.buf, out.len);
	}
}

static int listen_on(struct control *c, const char *path, char *why)
{
	struct stat st;
	if (strlen(path) >= sizeof(c->addr.sun_path)) {
		snprintf(why, CONTROL_WHY_SIZE, "%s: path too long for a unix socket (%zu bytes at most)", path,
			 sizeof(c->addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	/* A socket left by an earlier run is replaced, as QEMU does; anything
	 * else at the path is the user's and stays. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(why, CONTROL_WHY_SIZE, "%s: exists and is not a socket", path);
		return -EEXIST;
	}
	unlink(path);
	c->addr.sun_family = AF_UNIX;
	strcpy(c->addr.sun_path, path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int bound = c->listen_fd >= 0 && bind(c->listen_fd, (struct sockaddr *)&c->addr, sizeof(c->addr)) == 0;
	if (bound && stat(path, &st) == 0) {
		c->socket_dev = st.st_dev;
		c->socket_ino = st.st_ino;
	}
	if (!bound || listen(c->listen_fd, CONTROL_CLIENTS_MAX)) {
		int err = errno;
		snprintf(why, CONTROL_WHY_SIZE, "%s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

/* A VM started with the same path while this one shuts down has replaced
 * the file with its own socket; removing that would leave it unreachable. */
static void remove_socket_file(const struct control *c)
{
	struct stat st;
	if (stat(c->addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->socket_dev &&
	    st.st_ino == c->socket_ino)
		unlink(c->addr.sun_path);
}

int control_open(struct control **out, const char *path, const struct control_ops *ops, void *vm,
		 char *why)
{
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return snprintf(why, CONTROL_WHY_SIZE, "out of memory"), -ENOMEM;
	c->listen_fd = c->epoll_fd = -1;
	c->ops = ops;
	c->vm = vm;
	for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
		c->clients[i].fd = -1;
	/* The largest reply is query-cpus-fast: about 200 bytes per vCPU. */
	c->reply_size = 4096 + (size_t)ops->cpu_count(vm) * 256;
	c->reply = malloc(c->reply_size);
	int err = c->reply ? listen_on(c, path, why) : -ENOMEM;
	if (!err) {
		c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
		if (c->epoll_fd < 0 || epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->listen_fd, &ev)) {
			err = -errno;
			snprintf(why, CONTROL_WHY_SIZE, "epoll: %s", strerror(errno));
		}
	} else if (err == -ENOMEM) {
		snprintf(why, CONTROL_WHY_SIZE, "out of memory");
	}
	if (err) {
		control_close(c, 0);
		return err;
	}
	*out = c;
	return 0;
}

int control_fd(const struct control *c)
{
	return c->epoll_fd;
}

void control_dispatch(struct control *c)
{
	struct epoll_event ready[CONTROL_CLIENTS_MAX + 1];
	int n = epoll_wait(c->epoll_fd, ready, CONTROL_CLIENTS_MAX + 1, 0);
	for (int i = 0; i < n; i++) {
		uint32_t slot = ready[i].data.u32;
		if (slot == 0) {
			accept_clients(c);
			continue;
		}
		struct client *cl = &c->clients[slot - 1];
		if (cl->fd < 0)
			continue;
		if ((ready[i].events & EPOLLOUT) && !flush_client(cl)) {
			drop_client(c, cl);
			continue;
		}
		if (ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			read_client(c, cl);
		if (cl->fd >= 0)
			watch(c, cl);
	}
}

void control_broadcast_event(struct control *c, const char *name, const char *data)
{
	char text[1024];
	struct json_out out;
	json_out_init(&out, text, sizeof(text));
	qmp_event(&out, name, data);
	for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i].fd >= 0 && c->clients[i].session.negotiated)
			send_to(c, &c->clients[i], out.buf, out.len);
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void control_close(struct control *c, int ms)
{
	if (!c)
		return;
	int64_t deadline = now_ms() + ms;
	for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct client *cl = &c->clients[i];
		while (cl->fd >= 0 && cl->queued && flush_client(cl) && cl->queued && now_ms() < deadline) {
			struct pollfd p = { cl->fd, POLLOUT, 0 };
			poll(&p, 1, (int)(deadline - now_ms()));
		}
		if (cl->fd >= 0)
			drop_client(c, cl);
	}
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		remove_socket_file(c);
	}
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	free(c->reply);
	free(c);
}
