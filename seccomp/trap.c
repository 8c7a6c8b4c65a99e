/* seccomp = trap: a forbidden call raises SIGSYS instead of killing, and
 * this handler names the call and the thread class before sprig exits, so
 * a missing rule is found in one run. Names are looked up at setup; the
 * handler only formats and writes. */
#include "seccomp_filters.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../devices/console.h"
#include "../vmm.h"
#include "trap.h"

#define NAMES_MAX 512

static const char *names[NAMES_MAX];
static _Thread_local const char *thread_class = "setup";

void trap_set_thread_class(const char *name)
{
	thread_class = name;
}

static size_t append(char *line, size_t n, size_t size, const char *s)
{
	while (*s && n < size)
		line[n++] = *s++;
	return n;
}

static size_t append_number(char *line, size_t n, size_t size, long v)
{
	char digits[24];
	int d = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
	do
		digits[d++] = (char)('0' + u % 10);
	while ((u /= 10) && d < 23);
	if (v < 0 && n < size)
		line[n++] = '-';
	while (d && n < size)
		line[n++] = digits[--d];
	return n;
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	(void)sig, (void)context;
	char line[256];
	size_t n = 0, size = sizeof(line);
	int nr = info->si_syscall;
	n = append(line, n, size, "sprig: seccomp: the ");
	n = append(line, n, size, thread_class);
	n = append(line, n, size, " thread made a forbidden system call: ");
	n = append(line, n, size, nr >= 0 && nr < NAMES_MAX && names[nr] ? names[nr] : "?");
	n = append(line, n, size, " (");
	n = append_number(line, n, size, nr);
	n = append(line, n, size, ")\n");
	console_restore_terminal();
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Exiting either way. */
	}
	_exit(SPRIG_EXIT_SECCOMP);
}

int trap_init(void)
{
	for (int nr = 0; nr < NAMES_MAX; nr++)
		names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);  /* kept for life */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}
