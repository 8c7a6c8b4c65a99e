/* Pause, resume and vm_stop with real threads standing in for vCPUs (no
 * KVM): they loop through the same park point a vCPU thread uses, and are
 * kicked with the same signal. */
#include "helpers.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "../../cpu/cpu.h"

#define THREADS 4

void mce_handle_ao(struct vm *vm, uint64_t addr)
{
	(void)vm, (void)addr;
	fail_msg("no AO record was posted");
}

static struct vm vm;
static struct vcpu vcpus[THREADS];
static _Atomic uint64_t counters[THREADS];
static atomic_int stop_from_vcpu = -1;
static char events[4096];  /* 200 cycles of "STOP RESUME " fit */
static unsigned notified_stop, notified_resume;

static void on_event(void *opaque, const struct vm_event *e)
{
	(void)opaque;
	strcat(events, e->kind == VM_EVENT_STOP ? "STOP " : e->kind == VM_EVENT_RESUME ? "RESUME "
		       : e->kind == VM_EVENT_SHUTDOWN ? "SHUTDOWN " : "MF ");
}

static void on_state(void *opaque, bool running)
{
	(void)opaque;
	/* Notifiers run with every vCPU parked, before any runs again. */
	if (!running)
		assert_int_equal(vm.paused_count, vm.live_threads);
	running ? notified_resume++ : notified_stop++;
}

static void *fake_vcpu(void *arg)
{
	struct vcpu *v = arg;
	vcpu_kick_arm(v);
	while (!atomic_load(&vm.stopping)) {
		vcpu_wait_while_paused(v);
		atomic_fetch_add(&counters[v->index], 1);
		if (atomic_load(&stop_from_vcpu) == (int)v->index) {
			atomic_store(&stop_from_vcpu, -1);
			vm_stop(&vm);  /* a request: the main thread completes it */
		}
		v->run->immediate_exit = 0;
	}
	vcpu_thread_exiting(v);
	return NULL;
}

static struct kvm_run runs[THREADS];

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.paused_cond, NULL);
	pthread_cond_init(&vm.resume_cond, NULL);
	assert_int_equal(vm_mailbox_init(&vm), 0);
	assert_int_equal(cpu_signals_init(), 0);
	vm_set_event_handler(&vm, on_event, NULL);
	vm_add_state_notifier(&vm, on_state, NULL);
	events[0] = 0;
	notified_stop = notified_resume = 0;
	vm.nr_vcpus = THREADS;
	vm.vcpus = vcpus;
	for (unsigned i = 0; i < THREADS; i++) {
		vcpus[i] = (struct vcpu){ .vm = &vm, .index = i, .run = &runs[i] };
		vm.live_threads++;
		assert_int_equal(pthread_create(&vcpus[i].thread, NULL, fake_vcpu, &vcpus[i]), 0);
		vcpus[i].thread_started = true;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_stop_vcpus(&vm);
	assert_int_equal(vm.live_threads, 0);
	close(vm.mailbox[0]);
	close(vm.mailbox[1]);
	return 0;
}

static void nap(void)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };
	nanosleep(&t, NULL);
}

static uint64_t total(void)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < THREADS; i++)
		sum += atomic_load(&counters[i]);
	return sum;
}

static void pause_stops_every_thread(void **state)
{
	(void)state;
	for (int cycle = 0; cycle < 200; cycle++) {
		vm_stop(&vm);
		assert_int_equal(vm_run_state(&vm), VM_PAUSED);
		uint64_t before = total();
		if (cycle % 50 == 0) {
			nap();
			assert_int_equal(total(), before);
		}
		vm_resume(&vm);
		assert_int_equal(vm_run_state(&vm), VM_RUNNING);
	}
	assert_int_equal(notified_stop, 200);
	assert_int_equal(notified_resume, 200);
	uint64_t before = total();
	while (total() == before)
		nap();  /* running again */
}

static void stop_and_cont_are_idempotent(void **state)
{
	(void)state;
	vm_resume(&vm);
	vm_stop(&vm);
	vm_stop(&vm);
	vm_resume(&vm);
	vm_resume(&vm);
	assert_string_equal(events, "STOP RESUME ");
	assert_int_equal(notified_stop, 1);
}

static void vm_stop_from_a_vcpu_is_completed_by_the_main_thread(void **state)
{
	(void)state;
	atomic_store(&stop_from_vcpu, 2);
	struct vm_message m;
	/* The request arrives as a mailbox record... */
	for (int tries = 0; read(vm.mailbox[0], &m, sizeof(m)) != sizeof(m); tries++) {
		assert_true(tries < 500);
		nap();
	}
	assert_int_equal(m.kind, VM_MESSAGE_STOP);
	assert_int_equal(vm_run_state(&vm), VM_RUNNING);
	/* ...and the main thread does the stop: pause, notifiers, event. */
	assert_int_equal(write(vm.mailbox[1], &m, sizeof(m)), sizeof(m));
	vm_mailbox_drain(&vm);
	assert_int_equal(vm_run_state(&vm), VM_PAUSED);
	assert_string_equal(events, "STOP ");
	uint64_t before = total();
	nap();
	assert_int_equal(total(), before);
	vm_resume(&vm);
	assert_string_equal(events, "STOP RESUME ");
}

static void shutdown_while_paused_releases_every_thread(void **state)
{
	(void)state;
	vm_stop(&vm);
	vm.stop_reason = "host-signal";
	vm_shutdown(&vm);  /* joins: would hang if a parked thread stayed */
	assert_int_equal(vm_run_state(&vm), VM_SHUTDOWN);
	assert_string_equal(events, "STOP SHUTDOWN ");
	assert_int_equal(notified_stop, 1);  /* already told at the pause */
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIG_IPI);
	pthread_sigmask(SIG_BLOCK, &set, NULL);  /* as sprig's main thread */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pause_stops_every_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_and_cont_are_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(vm_stop_from_a_vcpu_is_completed_by_the_main_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(shutdown_while_paused_releases_every_thread, setup, teardown),
	};
	return run_group("run_state", tests, ARRAY_SIZE(tests));
}
