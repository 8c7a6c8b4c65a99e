/* A QMP client for the integration tests and the kick bench, where a shell
 * and socat are too slow or too loose:
 *   qmp_drive cycles SOCK N PID CONSOLE  N stop/cont cycles, each checked:
 *       STOP and RESUME events, query-status, and (every 100th cycle)
 *       that a paused guest's console does not grow and its vCPU threads
 *       use no CPU. Prints the stop round trip (median, p99).
 *   qmp_drive latency SOCK CPU COUNT     x-kick-latency, one table row.
 *   qmp_drive clients SOCK N             N clients at once, each negotiates
 *       and asks query-status; one hangs up mid-command.
 * Exits 0 when every check held; otherwise one line saying which failed. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static void die(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	fprintf(stdout, "qmp_drive: ");
	vfprintf(stdout, format, ap);
	fputc('\n', stdout);
	va_end(ap);
	exit(1);
}

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* One line (QMP ends each message with \r\n), within 10 s. */
static char *read_line(struct conn *c, char *line, size_t size)
{
	uint64_t deadline = now_us() + 10000000;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;
			if (n >= size)
				die("a line of %zu bytes", n);
			memcpy(line, c->buf, n);
			line[n] = 0;
			memmove(c->buf, nl + 1, c->len - n);
			c->len -= n;
			return line;
		}
		struct pollfd p = { c->fd, POLLIN, 0 };
		if (now_us() > deadline || poll(&p, 1, 1000) < 0)
			die("no complete line from sprig within 10 s (have: %.*s)", (int)c->len, c->buf);
		if (!p.revents)
			continue;
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			die("sprig closed the connection");
		c->len += (size_t)n;
	}
}

static void send_text(struct conn *c, const char *text)
{
	size_t len = strlen(text);
	if (write(c->fd, text, len) != (ssize_t)len)
		die("write: %s", strerror(errno));
}

/* Send a command; return its reply, remembering events seen meanwhile. */
static char seen_events[4096];
static char *command(struct conn *c, const char *json, char *reply, size_t size)
{
	send_text(c, json);
	for (;;) {
		read_line(c, reply, size);
		if (strstr(reply, "\"event\": ")) {
			if (strlen(seen_events) + strlen(reply) < sizeof(seen_events))
				strcat(seen_events, reply);
			continue;
		}
		return reply;
	}
}

static void expect(const char *what, const char *text, const char *needle)
{
	if (!strstr(text, needle))
		die("%s: expected '%s' in: %s", what, needle, text);
}

static void connect_qmp(struct conn *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect %s: %s", path, strerror(errno));
	char line[4096];
	expect("greeting", read_line(c, line, sizeof(line)), "{\"QMP\": {\"version\": ");
	expect("qmp_capabilities", command(c, "{\"execute\": \"qmp_capabilities\"}\n", line, sizeof(line)),
	       "{\"return\": {}}");
}

/* utime + stime of one thread, in clock ticks; its state letter too. */
static unsigned long long thread_cpu(const char *pid, long tid, char *state)
{
	char path[96], text[1024];
	snprintf(path, sizeof(path), "/proc/%s/task/%ld/stat", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	char *p = strrchr(text, ')');
	unsigned long long utime = 0, stime = 0;
	/* After "pid (comm)": state is field 3, utime 14 and stime 15. */
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", state, &utime,
			 &stime) != 3)
		die("cannot parse %s", path);
	return utime + stime;
}

/* The vCPU thread ids in a query-cpus-fast reply: every "thread-id" but
 * the topology one inside "props" (QEMU and sprig order members apart). */
static unsigned vcpu_threads(struct conn *c, long *tids, unsigned max)
{
	static char reply[1 << 16];
	command(c, "{\"execute\": \"query-cpus-fast\"}\n", reply, sizeof(reply));
	unsigned n = 0;
	for (char *p = reply; (p = strstr(p, "\"thread-id\": ")) && n < max; p++) {
		int depth = 0;
		char *q = p;
		while (q > reply && !(*q == '{' && depth == 0))
			depth += *q == '}' ? 1 : *q == '{' ? -1 : 0, q--;
		if (q - reply >= 9 && !strncmp(q - 9, "\"props\": ", 9))
			continue;
		tids[n++] = strtol(p + 13, NULL, 10);
	}
	if (!n)
		die("query-cpus-fast lists no vCPU: %s", reply);
	return n;
}

static long long file_size(const char *path)
{
	struct stat st;
	return strcmp(path, "-") && !stat(path, &st) ? (long long)st.st_size : -1;
}

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* While paused: the console stays put and no vCPU thread burns CPU. */
static void check_quiet(const char *pid, const char *console, const long *tids, unsigned n, unsigned cycle)
{
	unsigned long long before[256];
	char state;
	long long size = file_size(console);
	/* stop returns once every vCPU has said it parks; give each thread
	 * the moment it needs to reach its futex wait, then start counting. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t deadline = now_us() + 2000000;
		while (thread_cpu(pid, tids[i], &state), state != 'S' && now_us() < deadline)
			nap_ms(1);
		if (state != 'S')
			die("cycle %u: paused vCPU thread %ld is in state %c, not sleeping", cycle, tids[i], state);
	}
	for (unsigned i = 0; i < n; i++)
		before[i] = thread_cpu(pid, tids[i], &state);
	nap_ms(400);
	for (unsigned i = 0; i < n; i++) {
		unsigned long long after = thread_cpu(pid, tids[i], &state);
		/* One tick of slack: the last one may land as the thread parks. */
		if (after > before[i] + 1)
			die("cycle %u: paused vCPU thread %ld used %llu ticks in 400 ms", cycle, tids[i],
			    after - before[i]);
	}
	if (file_size(console) != size)
		die("cycle %u: the console grew while paused (%lld -> %lld bytes)", cycle, size,
		    file_size(console));
}

/* After cont the guest prints again. If it does not, say whether the vCPU
 * threads are parked (a lost wakeup: sprig's bug) or running (the nested
 * VM stalled: docs/host-notes.md). */
static void check_grows(const char *console, unsigned cycle, const char *pid, const long *tids,
			unsigned n)
{
	long long size = file_size(console);
	uint64_t deadline = now_us() + 60000000;
	while (file_size(console) == size) {
		if (now_us() > deadline) {
			char threads[1024] = "", state;
			for (unsigned i = 0; i < n && strlen(threads) < sizeof(threads) - 64; i++) {
				unsigned long long ticks = thread_cpu(pid, tids[i], &state);
				snprintf(threads + strlen(threads), 64, " %ld:%c/%llu", tids[i], state, ticks);
			}
			die("cycle %u: the console did not grow within 60 s of cont (vCPU threads "
			    "tid:state/ticks%s)", cycle, threads);
		}
		nap_ms(20);
	}
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int run_cycles(const char *path, unsigned cycles, const char *pid, const char *console)
{
	struct conn *c = calloc(1, sizeof(*c));
	char reply[4096];
	long tids[256];
	connect_qmp(c, path);
	unsigned n = vcpu_threads(c, tids, 256);
	uint64_t *stop_us = calloc(cycles, sizeof(*stop_us));
	for (unsigned i = 0; i < cycles; i++) {
		seen_events[0] = 0;
		uint64_t t0 = now_us();
		expect("stop", command(c, "{\"execute\": \"stop\", \"id\": 1}\n", reply, sizeof(reply)),
		       "{\"return\": {}, \"id\": 1}");
		stop_us[i] = now_us() - t0;
		expect("STOP event", seen_events, "\"event\": \"STOP\"");
		expect("query-status when paused", command(c, "{\"execute\": \"query-status\"}\n", reply,
							    sizeof(reply)), "\"status\": \"paused\"");
		bool sample = i % 100 == 0 || i == cycles - 1;
		if (sample)
			check_quiet(pid, console, tids, n, i);
		seen_events[0] = 0;
		expect("cont", command(c, "{\"execute\": \"cont\"}\n", reply, sizeof(reply)), "{\"return\": {}}");
		expect("RESUME event", seen_events, "\"event\": \"RESUME\"");
		expect("query-status when running", command(c, "{\"execute\": \"query-status\"}\n", reply,
							     sizeof(reply)), "\"status\": \"running\"");
		if (sample && strcmp(console, "-"))
			check_grows(console, i, pid, tids, n);
	}
	qsort(stop_us, cycles, sizeof(*stop_us), compare_u64);
	printf("qmp_drive: %u stop/cont cycles with %u vCPUs: stop round trip median %llu us, p99 %llu us\n",
	       cycles, n, (unsigned long long)stop_us[cycles / 2],
	       (unsigned long long)stop_us[cycles * 99 / 100]);
	free(stop_us);
	return 0;
}

static int run_latency(const char *path, const char *cpu, const char *count)
{
	struct conn *c = calloc(1, sizeof(*c));
	char request[256], reply[4096];
	connect_qmp(c, path);
	snprintf(request, sizeof(request), "{\"execute\": \"x-kick-latency\", \"arguments\": "
		 "{\"cpu-index\": %s, \"count\": %s}}\n", cpu, count);
	command(c, request, reply, sizeof(reply));
	unsigned long long v[4];
	const char *keys[] = { "\"min-ns\": ", "\"median-ns\": ", "\"p99-ns\": ", "\"max-ns\": " };
	for (int i = 0; i < 4; i++) {
		const char *p = strstr(reply, keys[i]);
		if (!p)
			die("x-kick-latency: %s", reply);
		v[i] = strtoull(p + strlen(keys[i]), NULL, 10);
	}
	printf("%s %.1f %.1f %.1f %.1f\n", count, v[0] / 1e3, v[1] / 1e3, v[2] / 1e3, v[3] / 1e3);
	return 0;
}

static int run_clients(const char *path, unsigned n)
{
	struct conn *c = calloc(n, sizeof(*c));
	char reply[4096];
	for (unsigned i = 0; i < n; i++)
		connect_qmp(&c[i], path);
	/* One hangs up in the middle of a command. */
	send_text(&c[0], "{\"execute\": \"query-st");
	close(c[0].fd);
	for (unsigned i = 1; i < n; i++)
		expect("query-status", command(&c[i], "{\"execute\": \"query-status\"}\n", reply, sizeof(reply)),
		       "\"status\": \"running\"");
	for (unsigned i = 1; i < n; i++)
		close(c[i].fd);
	printf("qmp_drive: %u clients answered, one hung up mid-command\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "cycles"))
		return run_cycles(argv[2], (unsigned)atoi(argv[3]), argv[4], argv[5]);
	if (argc == 5 && !strcmp(argv[1], "latency"))
		return run_latency(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "clients"))
		return run_clients(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: qmp_drive cycles SOCK N PID CONSOLE | latency SOCK CPU COUNT | clients SOCK N\n");
	return 2;
}
