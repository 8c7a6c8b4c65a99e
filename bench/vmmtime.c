/* Time several VMM commands side by side: each iteration runs every
 * command once (A B C, then C B A, so neither order nor drift favours
 * one), N iterations. Per command: exec to the first KVM_RUN (where the
 * program says when that was: a stderr line holding
 * "first KVM_RUN at CLOCK_MONOTONIC <ns> ns", as bench/floor -t and
 * sprig --timings print), exec to exit, and peak RSS; min / median / max.
 * Then each command against the first: the ratio of medians and the
 * median of the per-iteration ratios (run i of B over run i of A).
 *
 * usage: vmmtime N LABEL COMMAND [LABEL COMMAND]...
 * COMMAND is one argument, split at spaces (paths without spaces).
 * A run that exits with a status other than 0 or 1 (debug-exit 0) or that
 * lacks a first-run line where an earlier run of it had one fails. */
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

#define MAX_COMMANDS 8
#define MAX_ARGS 32
static const char first_run_tag[] = "first KVM_RUN at CLOCK_MONOTONIC ";

struct command {
	const char *label;
	char *argv[MAX_ARGS + 1];
	double *to_run, *to_exit;  /* ms per iteration; to_run < 0: not told */
	long peak_rss_kib;
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int split(char *line, char **argv)
{
	int n = 0;
	for (char *word = strtok(line, " "); word; word = strtok(NULL, " "))
		if (n < MAX_ARGS)
			argv[n++] = word;
	argv[n] = NULL;
	return n;
}

/* The program's own first-run stamp, or 0. */
static uint64_t find_first_run(const char *output)
{
	const char *at = strstr(output, first_run_tag);
	return at ? strtoull(at + sizeof(first_run_tag) - 1, NULL, 10) : 0;
}

static int run_once(struct command *c, int iteration)
{
	static char output[65536];
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	pid_t pid;
	uint64_t start = now_ns();
	int err = posix_spawnp(&pid, c->argv[0], &actions, NULL, c->argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	size_t used = 0;
	ssize_t got;
	while (!err && (got = read(pipe_fds[0], output + used, sizeof(output) - 1 - used)) > 0)
		used += (size_t)got;
	close(pipe_fds[0]);
	output[used] = 0;
	int status;
	struct rusage usage;
	if (err || wait4(pid, &status, 0, &usage) != pid)
		return -1;
	uint64_t end = now_ns(), first_run = find_first_run(output);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		fprintf(stderr, "vmmtime: %s: exit status %d:\n%s", c->label, WEXITSTATUS(status), output);
		return -1;
	}
	if (usage.ru_maxrss > c->peak_rss_kib)
		c->peak_rss_kib = usage.ru_maxrss;
	c->to_exit[iteration] = (double)(end - start) / 1e6;
	c->to_run[iteration] = first_run > start ? (double)(first_run - start) / 1e6 : -1;
	if (iteration > 0 && (c->to_run[iteration] < 0) != (c->to_run[0] < 0)) {
		fprintf(stderr, "vmmtime: %s: run %d did not say when it first ran the guest\n",
			c->label, iteration + 1);
		return -1;
	}
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts a copy; returns min, median, max in out[]. */
static void summarize(const double *values, int n, double out[3])
{
	double *sorted = malloc((size_t)n * sizeof(*sorted));
	memcpy(sorted, values, (size_t)n * sizeof(*sorted));
	qsort(sorted, (size_t)n, sizeof(*sorted), by_value);
	out[0] = sorted[0];
	out[1] = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	out[2] = sorted[n - 1];
	free(sorted);
}

static void print_row(const struct command *c, int n)
{
	double run[3], exit_ms[3];
	summarize(c->to_exit, n, exit_ms);
	printf("| %-16s | %4d | ", c->label, n);
	if (c->to_run[0] >= 0) {
		summarize(c->to_run, n, run);
		printf(" %7.2f / %7.2f / %7.2f", run[0], run[1], run[2]);
	} else {
		printf("%28s", "(not told)");
	}
	printf(" | %7.2f / %7.2f / %7.2f | %14ld |\n", exit_ms[0], exit_ms[1], exit_ms[2], c->peak_rss_kib);
}

static void print_ratio(const struct command *a, const struct command *b, int n)
{
	double *ratios = malloc((size_t)n * sizeof(*ratios)), ra[3], rb[3], per_run[3];
	for (int i = 0; i < n; i++)
		ratios[i] = b->to_exit[i] / a->to_exit[i];
	summarize(a->to_exit, n, ra);
	summarize(b->to_exit, n, rb);
	summarize(ratios, n, per_run);
	printf("| %-16s | %-16s | %8.2fx | %8.2fx |", b->label, a->label, rb[1] / ra[1], per_run[1]);
	if (a->to_run[0] >= 0 && b->to_run[0] >= 0) {
		summarize(a->to_run, n, ra);
		summarize(b->to_run, n, rb);
		printf(" %8.2fx |\n", rb[1] / ra[1]);
	} else {
		printf(" %9s |\n", "-");
	}
	free(ratios);
}

int main(int argc, char **argv)
{
	static struct command commands[MAX_COMMANDS];
	int n = argc > 1 ? atoi(argv[1]) : 0, count = (argc - 2) / 2;
	if (n < 1 || argc < 4 || argc % 2 || count > MAX_COMMANDS) {
		fprintf(stderr, "usage: vmmtime N LABEL COMMAND [LABEL COMMAND]...\n");
		return 2;
	}
	for (int j = 0; j < count; j++) {
		struct command *c = &commands[j];
		c->label = argv[2 + 2 * j];
		c->to_run = calloc((size_t)n, sizeof(double));
		c->to_exit = calloc((size_t)n, sizeof(double));
		if (!c->to_run || !c->to_exit || !split(argv[3 + 2 * j], c->argv))
			return fprintf(stderr, "vmmtime: %s: bad command\n", c->label), 2;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < count; k++) {
			struct command *c = &commands[i % 2 ? count - 1 - k : k];
			if (run_once(c, i))
				return fprintf(stderr, "vmmtime: %s: run %d failed\n", c->label, i + 1), 1;
		}
	printf("| %-16s | %4s | %-28s | %-27s | %14s |\n", "program", "N", "1st KVM_RUN (ms) min/med/max",
	       "exit (ms) min / med / max", "peak RSS (KiB)");
	printf("|---|---|---|---|---|\n");
	for (int j = 0; j < count; j++)
		print_row(&commands[j], n);
	printf("\n| %-16s | %-16s | %9s | %9s | %9s |\n", "program", "against", "exit, med",
	       "exit, run", "1st run");
	printf("|---|---|---|---|---|\n");
	for (int j = 1; j < count; j++)
		print_ratio(&commands[0], &commands[j], n);
	return 0;
}
