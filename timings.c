/* Start-up moments (timings.h). Only the main thread marks, during setup
 * and after the VM stopped, so the table needs no lock. */
#include "timings.h"

#include <time.h>

#define TIMINGS_MAX 32

struct mark {
	const char *phase;
	uint64_t ns;
};

static struct mark marks[TIMINGS_MAX];
static unsigned mark_count;

uint64_t timings_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* As early as sprig's own code can run: what exec cost is before it. */
__attribute__((constructor(101))) static void mark_start(void)
{
	timings_mark("process start");
}

void timings_mark_at(const char *phase, uint64_t ns)
{
	if (mark_count < TIMINGS_MAX)
		marks[mark_count++] = (struct mark){ phase, ns };
}

void timings_mark(const char *phase)
{
	timings_mark_at(phase, timings_now_ns());
}

/* Insertion sort by time, stable: the vCPU thread's first run lands among
 * the main thread's moments; phases not reached go last. */
static void sort_marks(void)
{
	for (unsigned i = 1; i < mark_count; i++) {
		struct mark m = marks[i];
		uint64_t key = m.ns ? m.ns : UINT64_MAX;
		unsigned j = i;
		for (; j > 0 && (marks[j - 1].ns ? marks[j - 1].ns : UINT64_MAX) > key; j--)
			marks[j] = marks[j - 1];
		marks[j] = m;
	}
}

void timings_print(FILE *out, uint64_t first_run_ns)
{
	sort_marks();
	uint64_t start = marks[0].ns, previous = start;
	fprintf(out, "sprig: timings (microseconds)\n  %-14s %12s %15s\n", "phase", "since start",
		"since previous");
	for (unsigned i = 0; i < mark_count; i++) {
		if (!marks[i].ns) {
			fprintf(out, "  %-14s %12s %15s\n", marks[i].phase, "-", "(not reached)");
			continue;
		}
		fprintf(out, "  %-14s %12.1f %15.1f\n", marks[i].phase, (double)(marks[i].ns - start) / 1e3,
			(double)(marks[i].ns - previous) / 1e3);
		previous = marks[i].ns;
	}
	if (first_run_ns)
		fprintf(out, "sprig: first KVM_RUN at CLOCK_MONOTONIC %llu ns\n",
			(unsigned long long)first_run_ns);
}
