/* create and run (oci.h): check the bundle, make the root disk, fork the
 * monitor and wait until the guest agent holds the process ready to
 * exec; run then starts it and waits for it, as `runc run` does. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "monitor.h"
#include "mounts.h"
#include "rootfs.h"

static int write_pid_file(const char *path, pid_t pid)
{
	char tmp[PATH_MAX + 16], text[16];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int len = snprintf(text, sizeof(text), "%d", (int)pid);
	int err = write(fd, text, (size_t)len) == len ? 0 : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	return err;
}

/* The checks that need no VM: the bundle, the id, the paths. */
static int check_bundle(const struct oci_options *o, struct oci_spec *spec, char *bundle, char *dir)
{
	char why[OCI_WHY_SIZE];
	if (!realpath(o->bundle ? o->bundle : ".", bundle))
		return oci_fail(o, "bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
	if (oci_spec_load(spec, bundle, why))
		return oci_fail(o, "%s", why);
	if (!spec->has_process)
		return oci_fail(o, "%s/config.json: process: missing (a container needs one)", bundle);
	if (spec->process.terminal && !o->console_socket)
		return oci_fail(o, "process.terminal needs --console-socket (where the terminal's master goes)");
	if (!spec->process.terminal && o->console_socket)
		return oci_fail(o, "--console-socket without process.terminal: there is no terminal to send");
	if (oci_mounts_check(spec, why))
		return oci_fail(o, "%s/config.json: %s", bundle, why);
	if (oci_state_dir(o->root, o->id, dir))
		return oci_fail(o, "%s/%s: path too long", o->root, o->id);
	return 0;
}

/* The root with its parents, as runc makes it: containerd's shim names
 * /run/containerd/runc/NAMESPACE before anything has made it. */
static int make_root(const char *root)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(path, 0711) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

static int make_dirs(const struct oci_options *o, const char *dir)
{
	int err = make_root(o->root);
	if (err)
		return oci_fail(o, "%s: %s", o->root, strerror(-err));
	if (mkdir(dir, 0700)) {
		if (errno == EEXIST)
			return oci_fail(o, "container with id exists: %s", o->id);
		return oci_fail(o, "%s: %s", dir, strerror(errno));
	}
	return 0;
}

/* The cgroup the monitor will join, resolved now so a bad cgroupsPath is
 * refused before any VM. */
static int find_cgroup(const struct oci_options *o, const struct oci_spec *spec, struct monitor *m)
{
	char own[PATH_MAX] = "/", why[OCI_WHY_SIZE];
	cgroupfs_own(own, sizeof(own));
	if (oci_cgroup_resolve(spec->cgroups_path, o->systemd_cgroup, o->id, own, m->cgroup, sizeof(m->cgroup), why))
		return oci_fail(o, "%s", why);
	return 0;
}

/* Fork the monitor and wait for its word; its pid, or -1 after saying why
 * (the folder is gone again then). */
static pid_t launch(const struct oci_options *o, struct oci_spec *spec, const char *bundle, const char *dir)
{
	static struct monitor m;
	m = (struct monitor){ .options = o, .spec = spec };
	snprintf(m.dir, sizeof(m.dir), "%s", dir);
	snprintf(m.state.bundle, sizeof(m.state.bundle), "%s", bundle);
	if (find_cgroup(o, spec, &m))
		return oci_remove_dir(dir), -1;
	int ready[2];
	if (pipe2(ready, O_CLOEXEC))
		return oci_fail(o, "pipe: %s", strerror(errno)), -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return oci_fail(o, "fork: %s", strerror(errno)), -1;
	if (!pid) {
		close(ready[0]);
		monitor_main(&m, ready[1]);
	}
	close(ready[1]);
	char line[OCI_WHY_SIZE];
	ssize_t n = read(ready[0], line, sizeof(line) - 1);
	close(ready[0]);
	line[n > 0 ? n : 0] = 0;
	if (n > 0 && !strcmp(line, "ok"))
		return pid;
	waitpid(pid, NULL, 0);
	oci_remove_container(dir);
	return oci_fail(o, "create %s: %s", o->id, n > 0 ? line : "the monitor died"), -1;
}

static pid_t create_container(const struct oci_options *o)
{
	static struct oci_spec spec;
	char bundle[PATH_MAX], dir[PATH_MAX], image[PATH_MAX + 16], why[OCI_WHY_SIZE];
	if (check_bundle(o, &spec, bundle, dir) || make_dirs(o, dir))
		return -1;
	snprintf(image, sizeof(image), "%s/" OCI_VM_DIR, dir);
	if (mkdir(image, 0700)) {
		oci_remove_dir(dir);
		return oci_fail(o, "%s: %s", image, strerror(errno)), -1;
	}
	snprintf(image, sizeof(image), "%s/" OCI_VM_DIR "/rootfs.img", dir);
	if (rootfs_make_image(spec.root_path, image, why)) {
		oci_remove_dir(dir);
		return oci_fail(o, "%s", why), -1;
	}
	pid_t pid = launch(o, &spec, bundle, dir);
	int err = pid > 0 && o->pid_file ? write_pid_file(o->pid_file, pid) : 0;
	if (err)
		return oci_fail(o, "--pid-file %s: %s", o->pid_file, strerror(-err)), -1;
	return pid;
}

int oci_create(const struct oci_options *o)
{
	return create_container(o) > 0 ? 0 : 1;
}

static pid_t foreground;

static void forward(int sig)
{
	kill(foreground, sig);
}

/* As runc run: create, start, and unless --detach wait for the container
 * and end as it did; the container is deleted then unless --keep. */
int oci_run(const struct oci_options *o)
{
	pid_t pid = create_container(o);
	if (pid <= 0)
		return 1;
	/* A start that fails (the exec) ends the monitor too: wait for it
	 * below, then remove the container, as runc run does. */
	bool started = !oci_start(o);
	if (started && o->detach)
		return 0;
	foreground = pid;
	static const int signals[] = { SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		signal(signals[i], forward);
	signal(SIGINT, SIG_IGN);  /* a terminal's ^C reaches the monitor itself */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!o->keep || !started) {
		char dir[PATH_MAX];
		if (!oci_state_dir(o->root, o->id, dir))
			oci_remove_container(dir);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	if (!started && (!WIFEXITED(status) || !WEXITSTATUS(status)))
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
