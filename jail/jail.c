/* Confinement of sprig itself (jail.h), the steps of Firecracker's jailer
 * done in-process before anything of the VM is opened: a cgroup v2 leaf
 * with the limits, new namespaces, a waiter outside and sprig as PID 1
 * inside, DIR as the root with the device nodes the VM needs, the open
 * file limit, and the drop to an unprivileged uid and gid. */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define JAIL_ID_DEFAULT 65534   /* nobody */
#define JAIL_NOFILE_DEFAULT 2048

static pid_t jailed;

static void forward(int sig)
{
	kill(jailed, sig);
}

/* Outside: wait for the jailed sprig and end as it did. */
static void __attribute__((noreturn)) wait_outside(pid_t child)
{
	jailed = child;
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		signal(signals[i], forward);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
	}
	jail_cgroup_remove();
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		raise(WTERMSIG(status));
		_exit(128 + WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
}

/* DIR/dev/NAME as the device MAJOR:MINOR, usable by the jail's ids only. */
static int make_node(const char *name, unsigned major, unsigned minor, uid_t uid, gid_t gid)
{
	char path[64];
	snprintf(path, sizeof(path), "dev/%s", name);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(major, minor)) || chown(path, uid, gid))
		return -errno;
	return 0;
}

/* pivot_root(".", "."): the old root ends up on top, then goes. A root
 * that is the initial ramfs (an initramfs-only system, the nested test
 * VM) cannot be pivoted: there the jail's mount moves over / and chroot
 * enters it, as runc's --no-pivot does; with root gone and chroot
 * forbidden by seccomp, sprig cannot climb out of either. */
static int leave_old_root(void)
{
	if (!syscall(SYS_pivot_root, ".", "."))
		return umount2(".", MNT_DETACH);
	if (errno != EINVAL)
		return -1;
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		return -1;
	return chroot(".");
}

/* Inside, still root: DIR becomes /, with dev/kvm (and dev/net/tun). */
static int enter_root(const struct config *c, uid_t uid, gid_t gid, char *why)
{
	const char *step = "mount propagation";
	int err = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (!err && (step = "bind mount of the jail"))
		err = mount(c->jail, c->jail, NULL, MS_BIND | MS_REC, NULL);
	if (!err && (step = "chdir into the jail"))
		err = chdir(c->jail);
	/* The jail's root is the jail's, as the jailer's own root folder is:
	 * sprig makes its sockets and snapshot folders there. */
	if (!err && (step = "chown of the jail to its ids"))
		err = chown(".", uid, gid);
	if (!err && (step = "dev/ in the jail") && mkdir("dev", 0755) && errno != EEXIST)
		err = -1;
	if (!err && (step = "dev/kvm in the jail"))
		err = make_node("kvm", 10, 232, uid, gid);
	if (!err && c->net_count && (step = "dev/net/tun in the jail")) {
		if (mkdir("dev/net", 0755) && errno != EEXIST)
			err = -1;
		else
			err = make_node("net/tun", 10, 200, uid, gid);
	}
	if (!err && (step = "pivot_root"))
		err = leave_old_root();
	if (!err && (step = "chdir /"))
		err = chdir("/");
	if (err)
		snprintf(why, JAIL_WHY_SIZE, "jail %s: %s: %s", c->jail, step, strerror(errno));
	return err ? -errno : 0;
}

static int drop_privileges(const struct config *c, uid_t uid, gid_t gid, char *why)
{
	rlim_t files = c->jail_nofile ? c->jail_nofile : JAIL_NOFILE_DEFAULT;
	struct rlimit nofile;
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_max < files)
		files = nofile.rlim_max;  /* a lower hard limit stays: raising it is not ours to do */
	nofile = (struct rlimit){ files, files };
	const char *step = "RLIMIT_NOFILE";
	int err = setrlimit(RLIMIT_NOFILE, &nofile);
	if (!err && (step = "setgroups"))
		err = setgroups(0, NULL);
	if (!err && (step = "setresgid"))
		err = setresgid(gid, gid, gid);
	if (!err && (step = "setresuid"))
		err = setresuid(uid, uid, uid);
	if (err)
		snprintf(why, JAIL_WHY_SIZE, "jail: %s: %s", step, strerror(errno));
	return err ? -errno : 0;
}

int jail_enter(const struct config *c, char *why)
{
	uid_t uid = c->jail_uid ? (uid_t)c->jail_uid : JAIL_ID_DEFAULT;
	gid_t gid = c->jail_gid ? (gid_t)c->jail_gid : JAIL_ID_DEFAULT;
	struct stat st;
	if (stat(c->jail, &st) || !S_ISDIR(st.st_mode))
		return snprintf(why, JAIL_WHY_SIZE, "jail %s: not a directory", c->jail), -ENOTDIR;
	int err = jail_cgroup(c, why);
	if (err)
		return err;
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
		    (c->jail_netns ? CLONE_NEWNET : 0);
	if (unshare(flags))
		return snprintf(why, JAIL_WHY_SIZE, "jail: new namespaces: %s", strerror(errno)), -errno;
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		return snprintf(why, JAIL_WHY_SIZE, "jail: fork: %s", strerror(errno)), -errno;
	if (child)
		wait_outside(child);
	prctl(PR_SET_PDEATHSIG, SIGKILL);  /* the waiter's end is ours */
	if ((err = enter_root(c, uid, gid, why)))
		return err;
	return drop_privileges(c, uid, gid, why);
}
