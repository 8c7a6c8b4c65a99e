/* Building the filters with libseccomp (once, at setup) and loading them
 * (per thread, with nothing but prctl and seccomp). The BPF is exported
 * through a memfd, because libseccomp 2.5 can only export to a file. */
#include "seccomp_filters.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../vmm.h"
#include "rules.h"
#include "trap.h"

const char *const filter_class_names[FILTER_CLASSES] = { "vmm", "vcpu" };

#define BPF_MAX 4096  /* instructions per filter: the kernel's own limit */

static struct sock_filter programs[FILTER_CLASSES][BPF_MAX];
static unsigned short program_len[FILTER_CLASSES];
static bool built;

static uint32_t default_action(enum filter_mode mode)
{
	return mode == FILTER_TRAP ? SCMP_ACT_TRAP : mode == FILTER_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->syscall);
	if (nr == __NR_SCMP_ERROR)
		return -ENOSYS;
	struct scmp_arg_cmp cmp[2];
	for (unsigned i = 0; i < r->nargs; i++)
		cmp[i] = (struct scmp_arg_cmp){ r->args[i].arg, r->args[i].op, r->args[i].a, r->args[i].b };
	int err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->nargs, cmp);
	return err == -EEXIST ? 0 : err;  /* the same rule from two lists */
}

int filter_make_context(enum filter_class class, enum filter_mode mode, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = seccomp_init(default_action(mode));
	if (!ctx)
		return -ENOMEM;
	int err = 0;
	for (unsigned part = 0; part < FILTER_PARTS && !err; part++) {
		struct rule_list list = filter_rules(class, part);
		for (size_t i = 0; i < list.count && !err; i++)
			err = add_rule(ctx, &list.rules[i]);
	}
	if (err) {
		seccomp_release(ctx);
		return err;
	}
	*out = ctx;
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, enum filter_class class)
{
	int fd = (int)syscall(SYS_memfd_create, "sprig-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = seccomp_export_bpf(ctx, fd);
	off_t size = err ? 0 : lseek(fd, 0, SEEK_END);
	if (!err && (size <= 0 || size % sizeof(struct sock_filter) || size > (off_t)sizeof(programs[0])))
		err = -E2BIG;
	if (!err && pread(fd, programs[class], (size_t)size, 0) != size)
		err = -EIO;
	if (!err)
		program_len[class] = (unsigned short)(size / sizeof(struct sock_filter));
	close(fd);
	return err;
}

int filters_build(enum filter_mode mode, char *why)
{
	if (mode == FILTER_OFF)
		return 0;
	int err = mode == FILTER_TRAP ? trap_init() : 0;
	if (err) {
		snprintf(why, FILTER_WHY_SIZE, "seccomp: SIGSYS handler: %s", strerror(-err));
		return err;
	}
	for (int class = 0; class < FILTER_CLASSES; class++) {
		scmp_filter_ctx ctx;
		int err = filter_make_context(class, mode, &ctx);
		if (!err) {
			err = export_bpf(ctx, class);
			seccomp_release(ctx);
		}
		if (err) {
			snprintf(why, FILTER_WHY_SIZE, "seccomp: building the %s filter: %s",
				 filter_class_names[class], strerror(-err));
			return err;
		}
	}
	built = true;
	return 0;
}

int filter_install(enum filter_class class)
{
	if (!built)
		return 0;  /* seccomp = off */
	trap_set_thread_class(filter_class_names[class]);
	/* Required to load a filter without CAP_SYS_ADMIN; harmless with it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	struct sock_fprog prog = { program_len[class], programs[class] };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -errno : 0;
}
