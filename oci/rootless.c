/* Is sprig rootless (oci.h)? */
#include "oci.h"

#include <stdio.h>
#include <unistd.h>

/* runc's reading: not root, or root only inside a user namespace (podman
 * rootless runs its runtime so), where mknod, the host's cgroups and a
 * jail's ids are not ours. The initial namespace maps all ids to
 * themselves: "0 0 4294967295". */
bool oci_rootless(void)
{
	if (geteuid() != 0)
		return true;
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	bool got = f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3;
	if (f)
		fclose(f);
	if (!got)
		return false;  /* no /proc: take the namespace for the initial one */
	return inside != 0 || outside != 0 || count != 4294967295ul;
}
