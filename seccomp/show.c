/* `sprig seccomp show`: what each thread class may do, from the same
 * tables the filters are built from, or the BPF the kernel gets. */
#include "seccomp_filters.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include "bpf_tables.h"
#include "rules.h"

int filter_mode_parse(const char *text, enum filter_mode *mode)
{
	static const char *const words[] = { "kill", "trap", "log", "off" };
	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(text, words[i])) {
			*mode = (enum filter_mode)i;
			return 0;
		}
	return -EINVAL;
}

static const char *op_text(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_EQ: return "==";
	case SCMP_CMP_NE: return "!=";
	case SCMP_CMP_LT: return "<";
	case SCMP_CMP_LE: return "<=";
	case SCMP_CMP_GT: return ">";
	case SCMP_CMP_GE: return ">=";
	default: return "masked";
	}
}

/* Distinct system calls in a class: the figure docs/security.md compares. */
static unsigned count_syscalls(enum filter_class class)
{
	const char *seen[256];
	unsigned n = 0;
	for (unsigned part = 0; part < FILTER_PARTS; part++) {
		struct rule_list list = filter_rules(class, part);
		for (size_t i = 0; i < list.count; i++) {
			unsigned k = 0;
			while (k < n && strcmp(seen[k], list.rules[i].syscall))
				k++;
			if (k == n && n < 256)
				seen[n++] = list.rules[i].syscall;
		}
	}
	return n;
}

static void show_rules(FILE *out, enum filter_class class, enum filter_mode mode)
{
	static const char *const actions[] = { "kill the process (SIGSYS)", "trap: name the call, exit 10",
					       "log and allow" };
	static const char *const part_names[FILTER_PARTS] = { "every thread", "this class",
							       "this libc, every thread", "this libc" };
	fprintf(out, "%s: %u system calls, anything else: %s\n", filter_class_names[class],
		count_syscalls(class), actions[mode]);
	for (unsigned part = 0; part < FILTER_PARTS; part++) {
		struct rule_list list = filter_rules(class, part);
		for (size_t i = 0; i < list.count; i++) {
			const struct rule *r = &list.rules[i];
			char args[96] = "";
			for (unsigned a = 0; a < r->nargs; a++) {
				const struct arg_rule *c = &r->args[a];
				size_t len = strlen(args);
				if (c->op == SCMP_CMP_MASKED_EQ)
					snprintf(args + len, sizeof(args) - len, "%sarg%u & %#llx == %#llx", a ? ", " : "",
						 c->arg, (unsigned long long)c->a, (unsigned long long)c->b);
				else
					snprintf(args + len, sizeof(args) - len, "%sarg%u %s %#llx", a ? ", " : "", c->arg,
						 op_text(c->op), (unsigned long long)c->a);
			}
			fprintf(out, "  %-18s %-34s %s (%s)\n", r->syscall, args, r->why ? r->why : "",
				part_names[part]);
		}
	}
}

/* The BPF the kernel gets (the built-in programs), one file per class:
 * DIR/vmm.bpf, DIR/vcpu.bpf, DIR/io.bpf. */
static int export_files(FILE *out, const char *dir, enum filter_mode mode)
{
	for (int class = 0; class < FILTER_CLASSES; class++) {
		char path[4096];
		const struct filter_program *p = &filter_programs[mode][class];
		size_t bytes = p->len * sizeof(p->code[0]);
		snprintf(path, sizeof(path), "%s/%s.bpf", dir, filter_class_names[class]);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int err = fd < 0 ? -errno : write(fd, p->code, bytes) == (ssize_t)bytes ? 0 : -EIO;
		if (fd >= 0 && close(fd) && !err)
			err = -errno;
		if (err) {
			fprintf(stderr, "sprig: %s: %s\n", path, strerror(-err));
			return err;
		}
		fprintf(out, "%s: %u BPF instructions\n", path, p->len);
	}
	return 0;
}

int filters_show(FILE *out, const char *bpf_dir, enum filter_mode mode)
{
	if (bpf_dir)
		return export_files(out, bpf_dir, mode);
	for (int class = 0; class < FILTER_CLASSES; class++)
		show_rules(out, class, mode);
	return 0;
}

int seccomp_command(int argc, char **argv)
{
	enum filter_mode mode = FILTER_KILL;
	const char *bpf_dir = NULL;
	bool ok = argc >= 3 && !strcmp(argv[2], "show");
	for (int i = 3; ok && i < argc; i += 2) {
		if (i + 1 >= argc)
			ok = false;
		else if (!strcmp(argv[i], "--bpf"))
			bpf_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--mode"))
			ok = !filter_mode_parse(argv[i + 1], &mode) && mode != FILTER_OFF;
		else
			ok = false;
	}
	if (!ok) {
		fprintf(stderr, "sprig: usage: sprig seccomp show [--mode kill|trap|log] [--bpf DIR]\n");
		return 1;
	}
	return filters_show(stdout, bpf_dir, mode) ? 2 : 0;
}
