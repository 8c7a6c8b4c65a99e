/* Run a command N times; print min / median / max wall time from exec to
 * exit and the children's peak RSS. Dependency-free so `make bench` needs
 * nothing beyond the compiler.
 *
 * usage: boottime N LABEL -- COMMAND [ARG...]
 * Output: one table row; a run that exits non-zero fails the benchmark. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One run, output to /dev/null; returns wall ms or -1 on failure. */
static double run_once(char **command, long *peak_rss_kib)
{
	/* posix_spawn (vfork-like) so the benchmark's own fork cost stays out
	 * of the figure as far as it can. */
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	for (int fd = 0; fd <= 2; fd++)
		posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
	pid_t pid;
	double start = now_ms();
	int err = posix_spawnp(&pid, command[0], &actions, NULL, command, environ);
	posix_spawn_file_actions_destroy(&actions);
	int status;
	struct rusage usage;
	if (err || wait4(pid, &status, 0, &usage) != pid)
		return -1;
	double elapsed = now_ms() - start;
	if (usage.ru_maxrss > *peak_rss_kib)
		*peak_rss_kib = usage.ru_maxrss;
	return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)
		       ? elapsed : -1;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argv[3][0] != '-' || argv[3][1] != '-') {
		fprintf(stderr, "usage: boottime N LABEL -- COMMAND [ARG...]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	if (n < 1)
		n = 1;
	double *ms = calloc((size_t)n, sizeof(*ms));
	long peak = 0;
	for (int i = 0; i < n; i++)
		if ((ms[i] = run_once(argv + 4, &peak)) < 0) {
			fprintf(stderr, "boottime: %s: run %d failed\n", argv[2], i + 1);
			return 1;
		}
	qsort(ms, (size_t)n, sizeof(*ms), by_value);
	double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
	printf("| %-28s | %4d | %9.2f | %9.2f | %9.2f | %14ld |\n", argv[2], n, ms[0], median,
	       ms[n - 1], peak);
	free(ms);
	return 0;
}
