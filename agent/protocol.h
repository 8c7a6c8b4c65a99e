/* What sprig's OCI monitor (host) and the guest agent say to each other
 * over vsock. Every connection is the guest's (the host side is a unix
 * socket listening at <vsock path>_<port>, docs/vsock.md), so the agent
 * never waits for the host to find it:
 *
 *   port 1024  control: the spec in, then START and SIGNAL in; READY,
 *              STARTED, ERROR and EXIT out
 *   port 1025  the process's stdin (host writes)
 *   port 1026  its stdout, port 1027 its stderr (host reads)
 *
 * With FLAG_TERMINAL the process gets a pseudo-terminal in the guest
 * instead: 1025 carries the keys in, 1026 the terminal's output, 1027
 * nothing; RESIZE sets its window size.
 *
 * A message is a header (type, payload length; little-endian, as both
 * ends are x86) and the payload. Both ends treat the other as hostile:
 * lengths are bounded, types checked, strings must hold no NUL. */
#ifndef SPRIG_AGENT_PROTOCOL_H
#define SPRIG_AGENT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_PORT_CONTROL 1024
#define AGENT_PORT_STDIN 1025
#define AGENT_PORT_STDOUT 1026
#define AGENT_PORT_STDERR 1027
#define AGENT_HOST_CID 2

#define AGENT_PAYLOAD_MAX (256u << 10)

enum agent_message {
	/* host to agent: the spec, in this order; ARG and ENV repeat */
	AGENT_ARG = 1,        /* string */
	AGENT_ENV,            /* string KEY=VALUE */
	AGENT_CWD,            /* string */
	AGENT_USER,           /* u32 uid, u32 gid, u32 umask (AGENT_NO_UMASK: leave it) */
	AGENT_GROUP,          /* u32 gid, one per additional group */
	AGENT_RLIMIT,         /* u32 resource, u64 soft, u64 hard */
	AGENT_HOSTNAME,       /* string */
	AGENT_FLAGS,          /* u32 AGENT_FLAG_* */
	AGENT_SPEC_END,       /* empty: the agent prepares, then says READY or ERROR */
	AGENT_START,          /* empty: exec the process */
	AGENT_SIGNAL,         /* u32 signal: to the process (or, before START, ends it) */
	AGENT_RESIZE,         /* u16 rows, u16 columns: the terminal's size (FLAG_TERMINAL) */
	AGENT_EXIT_SEEN,      /* empty: the host has the EXIT; the agent may power off */
	AGENT_PIDS_LIMIT,     /* u64: at most this many tasks for the process and its children */
	AGENT_TMPFS,          /* u32 AGENT_MOUNT_*, destination NUL tmpfs options ("size=1m,mode=755") */
	AGENT_FILE,           /* u32 AGENT_MOUNT_*, u32 mode, destination NUL content: bound there */
	/* agent to host */
	AGENT_READY = 64,     /* empty: root mounted, executable found, stdio connected */
	AGENT_STARTED,        /* u32 the process's pid in the guest */
	AGENT_ERROR,          /* string: what failed, as one line */
	AGENT_EXIT,           /* u32 wait status (as waitpid gives it) */
};

#define AGENT_NO_UMASK 0xffffffffu
#define AGENT_FLAG_TERMINAL 1u
#define AGENT_FLAG_NO_NEW_PRIVILEGES 2u
#define AGENT_FLAG_READONLY_ROOT 4u

/* A mount's flags (TMPFS, FILE), in the spec's order after the guest's
 * own proc, sys and dev; at most AGENT_MOUNTS_MAX. */
#define AGENT_MOUNT_READONLY 1u
#define AGENT_MOUNT_NOSUID 2u
#define AGENT_MOUNT_NODEV 4u
#define AGENT_MOUNT_NOEXEC 8u
#define AGENT_MOUNTS_MAX 64
#define AGENT_FILE_MAX (128u << 10)  /* a bound file's content */

struct agent_header {
	uint32_t type, len;
};

/* All of data to a blocking fd, through short writes and EINTR: 0 or
 * -errno (-EPIPE when the other end is gone). */
int agent_write_all(int fd, const void *data, size_t len);

/* Send one message on a blocking fd: 0 or -errno. */
int agent_send(int fd, uint32_t type, const void *payload, uint32_t len);

/* Receive one message on a blocking fd into buf (size bytes, a NUL is
 * added after the payload): 0, -EPIPE at end of stream, -EPROTO for a
 * length over the bound or over size - 1, or -errno. */
int agent_receive(int fd, struct agent_header *h, uint8_t *buf, size_t size);

#endif
