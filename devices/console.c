/* Console input: stdin -> COM1. See console.h. */
#include "console.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "../vmm.h"

static struct termios saved_termios;
static volatile int saved_fd = -1;

void console_restore_terminal(void)
{
	int fd = saved_fd;
	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &saved_termios);
}

static void restore_at_exit(void)
{
	console_restore_terminal();
}

/* Raw input, so the guest sees every key (Ctrl-C included); output
 * processing stays on, as QEMU keeps it, so sprig's own messages still
 * start at the left margin. */
static int enter_raw_mode(int fd)
{
	struct termios raw;
	if (tcgetattr(fd, &saved_termios))
		return -errno;
	raw = saved_termios;
	raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	saved_fd = fd;
	atexit(restore_at_exit);
	if (tcsetattr(fd, TCSANOW, &raw)) {
		saved_fd = -1;
		return -errno;
	}
	return 0;
}

static void watch(struct console *c, bool on)
{
	if (!c->pollable || c->in_fd < 0 || c->watching == on)
		return;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->in_fd };
	if (!epoll_ctl(c->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->in_fd, on ? &ev : NULL))
		c->watching = on;
}

static void end_input(struct console *c)
{
	watch(c, false);
	c->in_fd = -1;
}

/* Terminal escapes, as QEMU's: Ctrl-A x ends sprig, Ctrl-A Ctrl-A sends
 * one Ctrl-A; Ctrl-A anything else sends both. Returns false to stop. */
static bool take_input(struct console *c, const uint8_t *bytes, size_t n)
{
	c->pending_off = c->pending_len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = bytes[i];
		if (!c->tty) {
			c->pending[c->pending_len++] = b;
		} else if (c->escape_seen) {
			c->escape_seen = false;
			if (b == 'x') {
				c->devices->stop(c->devices->stop_opaque, SPRIG_EXIT_OK, "host-ui");
				return false;
			}
			if (b != CONSOLE_ESCAPE)
				c->pending[c->pending_len++] = CONSOLE_ESCAPE;
			c->pending[c->pending_len++] = b;
		} else if (b == CONSOLE_ESCAPE) {
			c->escape_seen = true;
		} else {
			c->pending[c->pending_len++] = b;
		}
	}
	return true;
}

/* Hand over what is pending; true when all of it went in. */
static bool deliver(struct console *c)
{
	c->pending_off += devices_console_input(c->devices, c->pending + c->pending_off,
						c->pending_len - c->pending_off);
	return c->pending_off == c->pending_len;
}

/* Read more only while the guest keeps up; a pollable fd is read once per
 * readiness report (`readable`) so that the main thread never blocks on it:
 * stdin may be a blocking pipe whose writer pauses, and a blocked main
 * thread answers neither QMP nor signals. */
static void pump(struct console *c, bool readable)
{
	for (;;) {
		if (!deliver(c)) {
			watch(c, false);  /* com1_rx_ready brings us back */
			return;
		}
		if (c->in_fd < 0)
			return;
		if (c->pollable && !readable) {
			watch(c, true);  /* the guest took it all: wait for more */
			return;
		}
		uint8_t buf[sizeof(c->pending) / 2];  /* an escape may double a byte */
		ssize_t n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			end_input(c);
			return;
		}
		if (!take_input(c, buf, (size_t)n)) {
			end_input(c);
			return;
		}
		if (c->pollable) {
			if (deliver(c))
				watch(c, true);
			else
				watch(c, false);
			return;
		}
	}
}

int console_start(struct console *c, int in_fd, int ready_fd, int epoll_fd, struct devices *devices)
{
	*c = (struct console){ .devices = devices, .in_fd = in_fd, .ready_fd = ready_fd,
			       .epoll_fd = epoll_fd };
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ready_fd };
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ready_fd, &ev)) {
		c->in_fd = -1;
		return -errno;
	}
	if (isatty(in_fd)) {
		/* A background job reading its terminal would be stopped (SIGTTIN). */
		if (tcgetpgrp(in_fd) != getpgrp()) {
			c->in_fd = -1;
			return 0;
		}
		int err = enter_raw_mode(in_fd);
		if (err) {
			c->in_fd = -1;
			return err;
		}
		c->tty = true;
	}
	c->pollable = true;
	watch(c, true);
	if (!c->watching) {
		if (errno != EPERM) {
			c->in_fd = -1;  /* no stdin at all (closed): no input */
			return 0;
		}
		c->pollable = false;  /* a regular file or /dev/null: reads never block */
		pump(c, true);
	}
	return 0;
}

bool console_on_event(struct console *c, int fd)
{
	if (fd == c->ready_fd) {
		uint64_t count;
		if (read(fd, &count, sizeof(count)) < 0) {
			/* Spurious: nothing was owed. */
		}
		pump(c, false);
		return true;
	}
	if (c->in_fd >= 0 && fd == c->in_fd) {
		pump(c, true);
		return true;
	}
	return false;
}
