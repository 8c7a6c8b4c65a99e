/* Run a command once with its stdout on a pipe; print the wall time from
 * just before the exec to the first stdout line equal to LINE, and to the
 * command's exit, in microseconds (CLOCK_MONOTONIC), then its exit status:
 *
 *     LINE_US EXIT_US STATUS
 *
 * LINE_US is -1 when the line never came. A trailing "\r" (a serial
 * console's "\r\n") does not count as part of a line. A line is timed when
 * its "\n" is read. stdin is /dev/null; stderr goes to /dev/null or, with
 * -e, to FILE; -o FILE keeps a copy of stdout. After -t SECS (default 300)
 * the command is killed (SIGKILL) and STATUS is "timeout". Dependency-free
 * C11, like boottime.c, so it runs inside the nested test VM.
 *
 * usage: linetime [-t SECS] [-e FILE] [-o FILE] LINE -- COMMAND [ARG...]
 * Exit status: 0 when the line came and the command exited 0, 1 otherwise
 * (the numbers are printed either way), 2 for bad usage or a failed spawn. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t timed_out;
static volatile pid_t child = -1;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (child > 0)
		kill(child, SIGKILL);
}

static int usage(void)
{
	fprintf(stderr, "usage: linetime [-t SECS] [-e FILE] [-o FILE] LINE -- COMMAND [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned limit = 300;
	const char *err_path = "/dev/null", *out_path = NULL;
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2] && argv[i][1] != '-'; i += 2) {
		switch (argv[i][1]) {
		case 't': limit = (unsigned)strtoul(argv[i + 1], NULL, 10); break;
		case 'e': err_path = argv[i + 1]; break;
		case 'o': out_path = argv[i + 1]; break;
		default: return usage();
		}
	}
	if (argc - i < 3 || strcmp(argv[i + 1], "--") != 0)
		return usage();
	const char *want = argv[i];
	char **command = argv + i + 2;
	size_t want_len = strlen(want);

	FILE *copy = NULL;
	if (out_path && !(copy = fopen(out_path, "w"))) {
		perror(out_path);
		return 2;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("pipe2");
		return 2;
	}
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
	posix_spawn_file_actions_addopen(&actions, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);

	pid_t pid;
	double start = now_us();
	int err = posix_spawnp(&pid, command[0], &actions, NULL, command, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (err) {
		fprintf(stderr, "linetime: %s: %s\n", command[0], strerror(err));
		return 2;
	}
	child = pid;
	alarm(limit);

	/* The current line, up to its first sizeof(line) bytes: enough for LINE. */
	char buf[65536], line[4096];
	size_t len = 0;
	int overlong = 0;
	double line_at = -1;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		double t = now_us();
		if (copy)
			fwrite(buf, 1, (size_t)n, copy);
		if (line_at >= 0)
			continue;
		for (ssize_t k = 0; k < n; k++) {
			char c = buf[k];
			if (c != '\n') {
				if (len < sizeof(line))
					line[len++] = c;
				else
					overlong = 1;
				continue;
			}
			size_t l = len;
			if (l && line[l - 1] == '\r')
				l--;
			if (!overlong && l == want_len && memcmp(line, want, l) == 0) {
				line_at = t - start;
				break;
			}
			len = 0;
			overlong = 0;
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double exit_at = now_us() - start;
	alarm(0);
	if (copy)
		fclose(copy);

	char what[32];
	if (timed_out)
		snprintf(what, sizeof(what), "timeout");
	else if (WIFEXITED(status))
		snprintf(what, sizeof(what), "%d", WEXITSTATUS(status));
	else
		snprintf(what, sizeof(what), "signal%d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	printf("%.0f %.0f %s\n", line_at, exit_at, what);
	return line_at >= 0 && !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
