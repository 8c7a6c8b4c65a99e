/* `sprig cpu ...`: CPU model inspection, without a VM. */
#ifndef SPRIG_CPU_COMMAND_H
#define SPRIG_CPU_COMMAND_H

/* argv[1] is "cpu". Returns the process exit status. */
int cpu_command(int argc, char **argv);

#endif
