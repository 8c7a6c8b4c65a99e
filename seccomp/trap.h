/* seccomp = trap: the SIGSYS handler. Private to seccomp/. */
#ifndef SPRIG_SECCOMP_TRAP_H
#define SPRIG_SECCOMP_TRAP_H

int trap_init(void);
void trap_set_thread_class(const char *name);

#endif
