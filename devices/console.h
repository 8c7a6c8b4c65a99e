/* The host side of the guest console: stdin into COM1's receive FIFO,
 * with flow control (no more is read while the guest has no room) and,
 * when stdin is a terminal, raw mode and QEMU's Ctrl-A x escape. Runs on
 * the main thread. */
#ifndef SPRIG_DEVICES_CONSOLE_H
#define SPRIG_DEVICES_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"

#define CONSOLE_ESCAPE 0x01  /* Ctrl-A */

struct console {
	struct devices *devices;
	int in_fd;          /* -1: no input */
	int ready_fd;       /* the devices' com1_rx_ready eventfd */
	int epoll_fd;
	bool pollable;      /* pipes, terminals, sockets; files and /dev/null are not */
	bool watching;      /* in_fd is in the epoll set */
	bool tty;           /* raw mode set: the escape is live */
	bool escape_seen;
	uint8_t pending[256];
	size_t pending_off, pending_len;
};

/* Start reading `in_fd` (stdin) into the guest; `ready_fd` and `in_fd` go
 * into `epoll_fd`'s set with themselves as data.fd. A terminal not in
 * the foreground, or no stdin at all, leaves input off. */
int console_start(struct console *console, int in_fd, int ready_fd, int epoll_fd,
		  struct devices *devices);

/* Main loop: `fd` was reported ready; false if it is not the console's. */
bool console_on_event(struct console *console, int fd);

/* Put the terminal back as sprig found it. Async-signal-safe, idempotent:
 * every exit path calls it (normal end, the SIGBUS and SIGSYS handlers). */
void console_restore_terminal(void);

#endif
