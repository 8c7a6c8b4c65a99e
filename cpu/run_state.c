/* Pausing and resuming every vCPU, vm_stop and its notifiers, as QEMU's
 * cpus code does them. A vCPU parks on a condition variable at the top of
 * its loop, so a paused guest costs no CPU; the flag is set before the
 * kick, and a vCPU reads it after clearing immediate_exit, so no kick is
 * ever lost between the two. */
#include "cpu.h"

#include <errno.h>
#include <string.h>

static _Thread_local struct vcpu *thread_vcpu;

struct vcpu *vcpu_current(void)
{
	return thread_vcpu;
}

void vcpu_wait_while_paused(struct vcpu *v)
{
	struct vm *vm = v->vm;
	thread_vcpu = v;
	if (!atomic_load(&vm->pause_requested))
		return;
	pthread_mutex_lock(&vm->lock);
	if (atomic_load(&vm->pause_requested) && !atomic_load(&vm->stopping)) {
		vm->paused_count++;
		pthread_cond_broadcast(&vm->paused_cond);
		while (atomic_load(&vm->pause_requested) && !atomic_load(&vm->stopping))
			pthread_cond_wait(&vm->resume_cond, &vm->lock);
		vm->paused_count--;
	}
	pthread_mutex_unlock(&vm->lock);
}

void vcpu_thread_exiting(struct vcpu *v)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	vm->live_threads--;
	pthread_cond_broadcast(&vm->paused_cond);
	pthread_mutex_unlock(&vm->lock);
}

void vm_pause_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pause_requested, true);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			vcpu_kick(&vm->vcpus[i]);
	while (vm->paused_count < vm->live_threads)
		pthread_cond_wait(&vm->paused_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pause_requested, false);
	pthread_cond_broadcast(&vm->resume_cond);
	pthread_mutex_unlock(&vm->lock);
}

static void notify(struct vm *vm, bool running)
{
	/* Resume in registration order, stop in reverse, as layers nest. */
	for (unsigned i = 0; i < vm->notifier_count; i++) {
		unsigned k = running ? i : vm->notifier_count - 1 - i;
		vm->notifiers[k].fn(vm->notifiers[k].opaque, running);
	}
}

void vm_stop(struct vm *vm)
{
	if (vcpu_current()) {
		/* Park this vCPU at once; the main thread pauses the rest. */
		atomic_store(&vm->pause_requested, true);
		vm_post(vm, VM_MESSAGE_STOP, 0, 0);
		return;
	}
	if (vm->run_state != VM_RUNNING)
		return;
	vm_pause_all(vm);
	vm->run_state = VM_PAUSED;
	notify(vm, false);
	vm_emit(vm, &(struct vm_event){ .kind = VM_EVENT_STOP });
}

void vm_resume(struct vm *vm)
{
	if (vm->run_state != VM_PAUSED)
		return;
	notify(vm, true);
	vm->run_state = VM_RUNNING;
	vm_emit(vm, &(struct vm_event){ .kind = VM_EVENT_RESUME });
	vm_resume_all(vm);
}

enum vm_run_state vm_run_state(struct vm *vm)
{
	return vm->run_state;
}

int vm_add_state_notifier(struct vm *vm, vm_state_fn *fn, void *opaque)
{
	if (vm->notifier_count == VM_NOTIFIERS_MAX)
		return -ENOSPC;
	vm->notifiers[vm->notifier_count].fn = fn;
	vm->notifiers[vm->notifier_count].opaque = opaque;
	vm->notifier_count++;
	return 0;
}

void vm_set_event_handler(struct vm *vm, vm_event_fn *fn, void *opaque)
{
	vm->on_event = fn;
	vm->event_opaque = opaque;
}

void vm_emit(struct vm *vm, const struct vm_event *event)
{
	if (vm->on_event)
		vm->on_event(vm->event_opaque, event);
}

void vm_stop_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->resume_cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
}

void vm_shutdown(struct vm *vm)
{
	const char *reason = vm->stop_reason ? vm->stop_reason : "host-error";
	bool guest = !strncmp(reason, "guest-", 6);
	/* QMP has no word for isa-debug-exit: to a client it is a shutdown. */
	if (!strcmp(reason, "guest-debug-exit"))
		reason = "guest-shutdown";
	vm_emit(vm, &(struct vm_event){ .kind = VM_EVENT_SHUTDOWN, .reason = reason, .guest = guest });
	vm_stop_vcpus(vm);
	bool was_running = vm->run_state == VM_RUNNING;
	vm->run_state = VM_SHUTDOWN;
	if (was_running)
		notify(vm, false);
}
