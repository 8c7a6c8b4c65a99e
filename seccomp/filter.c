/* Choosing the filters at setup and loading them (per thread, with nothing
 * but prctl and seccomp). The BPF was compiled at build time from the
 * allow lists (bpf_gen.c): no libseccomp work while a VM starts. */
#include "seccomp_filters.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_tables.h"
#include "trap.h"

static const struct filter_program *chosen;  /* [FILTER_CLASSES], NULL: off */

static uint32_t default_return(enum filter_mode mode)
{
	return mode == FILTER_TRAP ? SECCOMP_RET_TRAP : mode == FILTER_LOG ? SECCOMP_RET_LOG
									   : SECCOMP_RET_KILL_PROCESS;
}

/* The built-in programs end in their mode's action; a kernel that does not
 * know it (LOG and KILL_PROCESS are Linux 4.14) would kill instead of
 * logging, so ask first, as libseccomp does. */
static int check_action(enum filter_mode mode)
{
	uint32_t action = default_return(mode);
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		return 0;
	return errno == EINVAL || errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
}

int filters_build(enum filter_mode mode, char *why)
{
	if (mode == FILTER_OFF)
		return 0;
	int err = check_action(mode);
	if (err) {
		snprintf(why, FILTER_WHY_SIZE, "seccomp: this kernel cannot %s a forbidden call: %s",
			 mode == FILTER_TRAP ? "trap" : mode == FILTER_LOG ? "log" : "kill the process for",
			 strerror(-err));
		return err;
	}
	if (mode == FILTER_TRAP && (err = trap_init())) {
		snprintf(why, FILTER_WHY_SIZE, "seccomp: SIGSYS handler: %s", strerror(-err));
		return err;
	}
	chosen = filter_programs[mode];
	return 0;
}

int filter_forbidden_call(void)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

int filter_install(enum filter_class class)
{
	if (!chosen)
		return 0;  /* seccomp = off */
	trap_set_thread_class(filter_class_names[class]);
	/* Required to load a filter without CAP_SYS_ADMIN; harmless with it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	struct sock_fprog prog = { chosen[class].len, (struct sock_filter *)chosen[class].code };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -errno : 0;
}
