/* The allow lists, as data: one table per thread class. Private to
 * seccomp/. */
#ifndef SPRIG_SECCOMP_RULES_H
#define SPRIG_SECCOMP_RULES_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "seccomp_filters.h"

struct arg_rule {
	unsigned arg;            /* 0-5 */
	enum scmp_compare op;
	uint64_t a, b;           /* SCMP_CMP_MASKED_EQ: mask a, value b */
};

/* One allowed call: the system call, and when `nargs` > 0 only with these
 * argument values. Several rules for one call are alternatives. */
struct rule {
	const char *syscall;
	unsigned nargs;
	struct arg_rule args[2];
	const char *why;
};

struct rule_list {
	const struct rule *rules;
	size_t count;
};

/* What `class` may do after its filter is loaded, for the libc this
 * binary was built with. */
struct rule_list filter_rules(enum filter_class class, unsigned part);
#define FILTER_PARTS 4  /* every thread, the class's own, libc's for every thread, libc's for the class */

/* A libseccomp context holding `class`'s rules; seccomp_release it. */
int filter_make_context(enum filter_class class, enum filter_mode mode, scmp_filter_ctx *out);

/* `class`'s filter for `mode` compiled by libseccomp: up to `capacity`
 * instructions into `code`, their number in `len`. 0 or -errno. */
struct sock_filter;
int filter_export(enum filter_class class, enum filter_mode mode, struct sock_filter *code,
		  size_t capacity, size_t *len);

#endif
