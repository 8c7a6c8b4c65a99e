/* Per-thread seccomp filters (docs/security.md): one allow list per thread
 * class, compiled to BPF at build time (bpf_gen.c), loaded by each thread
 * itself before it handles anything the guest controls. */
#ifndef SPRIG_SECCOMP_FILTERS_H
#define SPRIG_SECCOMP_FILTERS_H

#include <stdbool.h>
#include <stdio.h>

enum filter_class { FILTER_VMM, FILTER_VCPU, FILTER_IO, FILTER_CLASSES };
enum filter_mode { FILTER_KILL, FILTER_TRAP, FILTER_LOG, FILTER_OFF };

#define FILTER_WHY_SIZE 256

/* The thread classes' names, as `sprig seccomp show` prints them. */
extern const char *const filter_class_names[FILTER_CLASSES];

/* Choose every class's built-in program for `mode` (and, for trap, the
 * SIGSYS handler); main thread, before any filter is loaded. FILTER_OFF
 * chooses none. Returns 0 or -errno with `why` (the kernel lacks the
 * mode's action). */
int filters_build(enum filter_mode mode, char *why);

/* Load `class`'s filter in the calling thread (and set no_new_privs).
 * Only system calls the filter itself allows; no allocation. */
int filter_install(enum filter_class class);

/* Test-only (QMP x-seccomp-violation): a system call no class allows,
 * socket(AF_INET) (the I/O thread may make AF_UNIX ones). 0 where no
 * filter stops it (seccomp = log or off), else it never returns (kill,
 * trap). */
int filter_forbidden_call(void);

/* `sprig seccomp show`: each class's allowed system calls and argument
 * rules; with a directory, the raw BPF of each class written there
 * (DIR/vmm.bpf, DIR/vcpu.bpf, DIR/io.bpf) for `mode`'s default action. */
int filters_show(FILE *out, const char *bpf_dir, enum filter_mode mode);

/* `sprig seccomp show [--mode kill|trap|log] [--bpf DIR]`. */
int seccomp_command(int argc, char **argv);

/* Parse "kill", "trap", "log", "off". */
int filter_mode_parse(const char *text, enum filter_mode *mode);

#endif
