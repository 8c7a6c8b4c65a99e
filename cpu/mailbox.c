/* The main thread's mailbox: a non-blocking pipe of fixed-size records.
 * vCPU threads and the SIGBUS handler post; the main thread's event loop
 * drains. A record is far below PIPE_BUF, so each write is atomic; a full
 * pipe drops the record, which is safe for every kind: a stop is also in
 * stop_requested, and the pipe only fills when the main thread is stuck. */
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

_Static_assert(sizeof(struct vm_message) <= PIPE_BUF, "mailbox records must be written atomically");

int vm_mailbox_init(struct vm *vm)
{
	return pipe2(vm->mailbox, O_CLOEXEC | O_NONBLOCK) ? -errno : 0;
}

/* Async-signal-safe: one write(2), errno preserved. */
void vm_post(struct vm *vm, uint32_t kind, uint32_t flags, uint64_t addr)
{
	int saved = errno;
	struct vm_message m = { kind, flags, addr };
	if (write(vm->mailbox[1], &m, sizeof(m)) < 0) {
		/* Full or closed: see above. */
	}
	errno = saved;
}

static void emit_memory_failure(struct vm *vm, uint32_t flags)
{
	static const char *const actions[] = { "inject", "ignore", "fatal", "reset" };
	struct vm_event e = {
		.kind = VM_EVENT_MEMORY_FAILURE,
		.recipient = flags & VM_MF_GUEST ? "guest" : "hypervisor",
		.action = actions[(flags >> VM_MF_ACTION_SHIFT) & 3],
		.action_required = flags & VM_MF_REQUIRED,
		.recursive = flags & VM_MF_RECURSIVE,
	};
	vm_emit(vm, &e);
}

void vm_mailbox_drain(struct vm *vm)
{
	struct vm_message m;
	while (read(vm->mailbox[0], &m, sizeof(m)) == sizeof(m)) {
		switch (m.kind) {
		case VM_MESSAGE_STOP:
			vm_stop(vm);
			break;
		case VM_MESSAGE_MEMORY_FAILURE:
			emit_memory_failure(vm, m.flags);
			break;
		case VM_MESSAGE_SIGBUS_AO:
			mce_handle_ao(vm, m.addr);
			break;
		case VM_MESSAGE_RESET:
			if (vm->on_reset && !atomic_load(&vm->stop_requested))
				vm->on_reset(vm->reset_opaque, true);
			break;
		default:
			break;  /* a wake-up: the loop looks at stop_requested */
		}
	}
}
