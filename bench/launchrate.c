/* Launch rate: how many VMs start and end per second when WORKERS of them
 * run at once, each replaced by a new one as soon as it exits, for SECONDS.
 * Prints one table row: VMs ended inside the window, VMs per second and per
 * host CPU, exec-to-exit latency under that load (min / median / max), and
 * the largest peak RSS of any one VM.
 *
 * Built static (musl), small: a child's peak RSS as wait4 reports it is
 * the larger of the launcher's image before exec and its own, so a small
 * launcher leaves the figure the child's own (bench/README.md).
 *
 * usage: launchrate SECONDS WORKERS LABEL COMMAND
 * COMMAND is one argument, split at spaces. A VM that exits with a status
 * other than 0 or 1 (debug-exit 0) fails the run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_WORKERS 256
#define MAX_ARGS 32
#define MAX_SAMPLES 1000000

static char *command[MAX_ARGS + 1];
static struct { pid_t pid; uint64_t start; } running[MAX_WORKERS];
static double latency_ms[MAX_SAMPLES];

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int spawn(int slot)
{
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	for (int fd = 0; fd <= 2; fd++)
		posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
	running[slot].start = now_ns();
	int err = posix_spawnp(&running[slot].pid, command[0], &actions, NULL, command, environ);
	posix_spawn_file_actions_destroy(&actions);
	return err;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int find_slot(pid_t pid, int workers)
{
	for (int i = 0; i < workers; i++)
		if (running[i].pid == pid)
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	int seconds = argc == 5 ? atoi(argv[1]) : 0, workers = argc == 5 ? atoi(argv[2]) : 0;
	if (seconds < 1 || workers < 1 || workers > MAX_WORKERS) {
		fprintf(stderr, "usage: launchrate SECONDS WORKERS(1-%d) LABEL COMMAND\n", MAX_WORKERS);
		return 2;
	}
	const char *label = argv[3];
	int n = 0;
	for (char *word = strtok(argv[4], " "); word && n < MAX_ARGS; word = strtok(NULL, " "))
		command[n++] = word;
	if (!n)
		return fprintf(stderr, "launchrate: empty command\n"), 2;
	uint64_t start = now_ns(), deadline = start + (uint64_t)seconds * 1000000000u;
	for (int i = 0; i < workers; i++)
		if (spawn(i))
			return fprintf(stderr, "launchrate: %s: cannot start %s\n", label, command[0]), 1;
	size_t ended = 0;
	long peak_kib = 0;
	int live = workers, failed = 0;
	while (live > 0) {
		int status;
		struct rusage usage;
		pid_t pid = wait4(-1, &status, 0, &usage);
		int slot = pid > 0 ? find_slot(pid, workers) : -1;
		if (slot < 0)
			return fprintf(stderr, "launchrate: wait4 lost a child\n"), 1;
		uint64_t end = now_ns();
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			failed++;
		if (usage.ru_maxrss > peak_kib)
			peak_kib = usage.ru_maxrss;
		if (end <= deadline && ended < MAX_SAMPLES)
			latency_ms[ended++] = (double)(end - running[slot].start) / 1e6;
		running[slot].pid = 0;
		live--;
		if (end < deadline && !failed) {
			if (spawn(slot))
				return fprintf(stderr, "launchrate: %s: cannot start %s\n", label, command[0]), 1;
			live++;
		}
	}
	if (failed || !ended) {
		fprintf(stderr, "launchrate: %s: %d VMs failed, %zu ended in time\n", label, failed, ended);
		return 1;
	}
	qsort(latency_ms, ended, sizeof(latency_ms[0]), by_value);
	double rate = (double)ended / seconds, cpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
	printf("| %-22s | %7d | %7zu | %8.1f | %8.1f | %7.2f / %7.2f / %7.2f | %9ld |\n", label, workers,
	       ended, rate, rate / cpus, latency_ms[0], latency_ms[ended / 2], latency_ms[ended - 1], peak_kib);
	return 0;
}
