/* `sprig restore DIR [--copy-memory] [--KEY VALUE]...`: the
 * snapshot's config, with the few keys a restored VM may change (where
 * it meets the host) taken from the command line. Everything that shapes
 * the machine the guest saw is the snapshot's. */
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What may differ from the saved VM: names on the host, not the guest's
 * hardware. Lists of devices must keep their length. */
static int take_overrides(struct config *c, const struct config *o, char *why)
{
	if (o->block_count && o->block_count != c->block_count)
		return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: %u --block.path given, the snapshot has %u disks",
				o->block_count, c->block_count), -EINVAL;
	if (o->net_count && o->net_count != c->net_count)
		return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: %u --net.tap given, the snapshot has %u net devices",
				o->net_count, c->net_count), -EINVAL;
	if (o->vsock_path[0] && !c->vsock_path[0])
		return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: --vsock.path given, the snapshot has no vsock"), -EINVAL;
	for (unsigned i = 0; i < o->block_count; i++)
		memcpy(c->blocks[i].path, o->blocks[i].path, sizeof(c->blocks[i].path));
	for (unsigned i = 0; i < o->net_count; i++)
		memcpy(c->nets[i].tap, o->nets[i].tap, sizeof(c->nets[i].tap));
	if (o->vsock_path[0])
		memcpy(c->vsock_path, o->vsock_path, sizeof(c->vsock_path));
	memcpy(c->control, o->control, sizeof(c->control));
	c->timings = o->timings;
	c->paused = o->paused;
	if (o->seccomp)
		c->seccomp = o->seccomp;
	return 0;
}

/* Anything else on the command line is refused: compare with the
 * defaults once the allowed keys are cleared. */
static int check_fixed(const struct config *o, char *why)
{
	static struct config rest, defaults;
	rest = *o;
	config_defaults(&defaults);
	for (unsigned i = 0; i < rest.block_count; i++)
		memset(rest.blocks[i].path, 0, sizeof(rest.blocks[i].path));
	for (unsigned i = 0; i < rest.net_count; i++)
		memset(rest.nets[i].tap, 0, sizeof(rest.nets[i].tap));
	rest.block_count = rest.net_count = 0;
	memset(rest.vsock_path, 0, sizeof(rest.vsock_path));
	memset(rest.control, 0, sizeof(rest.control));
	rest.timings = rest.paused = false, rest.seccomp = 0;
	if (!memcmp(&rest, &defaults, sizeof(rest)))
		return 0;
	snprintf(why, SNAPSHOT_WHY_SIZE, "restore: only --control, --paused, --timings, --seccomp, --vsock.path, "
		 "--block.path and --net.tap may be given: the rest of the machine is the snapshot's");
	return -EINVAL;
}

int snapshot_restore_args(int argc, char **argv, struct config *config, struct snapshot_image *img,
			  bool *copy_memory, char *why)
{
	if (argc < 3 || !strncmp(argv[2], "--", 2)) {
		snprintf(why, SNAPSHOT_WHY_SIZE, "usage: sprig restore DIR [--copy-memory] [--KEY VALUE]...");
		return -EINVAL;
	}
	/* The flags after DIR, as config_parse_args takes them (argv[0] first). */
	static char *flags[256];
	int n = 0;
	flags[n++] = argv[0];
	*copy_memory = false;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--copy-memory"))
			*copy_memory = true;
		else if (n < 255)
			flags[n++] = argv[i];
		else
			return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: too many arguments"), -E2BIG;
	}
	static struct config overrides;
	char error[CONFIG_ERROR_SIZE];
	enum config_action action;
	config_defaults(&overrides);
	if (n > 1 && !strcmp(flags[1], "run"))
		return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: no config file: the snapshot has its own"), -EINVAL;
	if (config_parse_args(&overrides, n, flags, &action, error))
		return snprintf(why, SNAPSHOT_WHY_SIZE, "%s", error), -EINVAL;
	if (action != CONFIG_RUN)
		return snprintf(why, SNAPSHOT_WHY_SIZE, "restore: no --help or --version here"), -EINVAL;
	int err = check_fixed(&overrides, why);
	if (!err && !(err = snapshot_open(img, argv[2], why)) && !(err = snapshot_config(img, config, why)))
		err = take_overrides(config, &overrides, why);
	if (!err && (err = config_check(config, error)))
		snprintf(why, SNAPSHOT_WHY_SIZE, "restore: %.480s", error);
	return err;
}
