/* The allow lists (rules.c) as a libseccomp context: what the build-time
 * generator (bpf_gen.c) compiles to BPF, and what the unit test compiles
 * again to check the built-in programs are the lists' own. Not linked into
 * the path that starts a VM: that loads the built-in programs. */
#include <errno.h>
#include <linux/filter.h>

#include "rules.h"

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

int filter_export(enum filter_class class, enum filter_mode mode, struct sock_filter *code,
		  size_t capacity, size_t *len)
{
	scmp_filter_ctx ctx;
	int err = filter_make_context(class, mode, &ctx);
	if (err)
		return err;
	FILE *f = tmpfile();
	err = !f ? -errno : seccomp_export_bpf(ctx, fileno(f));
	seccomp_release(ctx);
	long size = err ? 0 : (fflush(f), fseek(f, 0, SEEK_END), ftell(f));
	if (!err && (size <= 0 || size % (long)sizeof(*code) || (size_t)size > capacity * sizeof(*code)))
		err = -E2BIG;
	if (!err) {
		rewind(f);
		*len = (size_t)size / sizeof(*code);
		if (fread(code, sizeof(*code), *len, f) != *len)
			err = -EIO;
	}
	if (f)
		fclose(f);
	return err;
}
