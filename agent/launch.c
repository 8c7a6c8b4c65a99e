/* The container's process (agent.h): found, forked, its identity and
 * limits set, exec'd. A failure after the fork travels back through a
 * close-on-exec pipe, so the host hears it as an error, not an exit. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *path_of(const struct agent_spec *spec)
{
	for (unsigned i = 0; i < spec->env_count; i++)
		if (!strncmp(spec->env[i], "PATH=", 5))
			return spec->env[i] + 5;
	return DEFAULT_PATH;
}

static bool executable_file(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int agent_find_executable(struct agent_spec *spec, char *why)
{
	const char *name = spec->args[0];
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st)) {
			int err = -errno;
			snprintf(why, AGENT_WHY_SIZE, "exec: \"%s\": stat %s: %s", name, name, strerror(-err));
			return err;
		}
		snprintf(spec->executable, sizeof(spec->executable), "%s", name);
		return 0;
	}
	const char *path = path_of(spec);
	while (*path) {
		size_t len = strcspn(path, ":");
		int n = snprintf(spec->executable, sizeof(spec->executable), "%.*s/%s", (int)len,
				 len ? path : ".", name);
		if (n > 0 && (size_t)n < sizeof(spec->executable) && executable_file(spec->executable))
			return 0;
		path += len + (path[len] == ':');
	}
	snprintf(why, AGENT_WHY_SIZE, "exec: \"%s\": executable file not found in $PATH", name);
	return -ENOENT;
}

static int set_limits(const struct agent_spec *spec)
{
	for (unsigned i = 0; i < spec->rlimit_count; i++) {
		struct rlimit l = { spec->rlimits[i].soft, spec->rlimits[i].hard };
		if (setrlimit((int)spec->rlimits[i].resource, &l))
			return -errno;
	}
	return 0;
}

int agent_make_path(const char *path, mode_t mode)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	for (char *p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(dir, mode) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

/* In the child: everything up to exec; returns only with what failed. */
static const char *become(const struct agent_spec *spec, const int stdio[3], bool terminal)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);  /* the agent blocks SIGCHLD for its signalfd */
	if (setsid() < 0)
		return "setsid";
	/* Into the pids-limited cgroup before anything can fork. */
	if (spec->cgroup_procs >= 0 && write(spec->cgroup_procs, "0", 1) != 1)
		return "joining the container's cgroup";
	if (terminal && ioctl(stdio[0], TIOCSCTTY, 0))
		return "the terminal as controlling terminal";
	for (int fd = 0; fd < 3; fd++)
		if (dup2(stdio[fd], fd) < 0)
			return "stdio";
	if (agent_make_path(spec->cwd, 0755))
		return "making cwd";
	if (chdir(spec->cwd))
		return "chdir to cwd";
	if (set_limits(spec))
		return "setrlimit";
	gid_t groups[AGENT_GROUPS_MAX];
	for (unsigned i = 0; i < spec->group_count; i++)
		groups[i] = spec->groups[i];
	if (setgroups(spec->group_count, groups) || setgid(spec->gid) || setuid(spec->uid))
		return "setting the user";
	if (spec->umask != AGENT_NO_UMASK)
		umask(spec->umask);
	if ((spec->flags & AGENT_FLAG_NO_NEW_PRIVILEGES) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return "no_new_privs";
	execve(spec->executable, spec->args, spec->env);
	return "exec";
}

pid_t agent_launch(const struct agent_spec *spec, const int stdio[3], bool terminal, char *why)
{
	int report[2];
	if (pipe2(report, O_CLOEXEC))
		return snprintf(why, AGENT_WHY_SIZE, "pipe: %s", strerror(errno)), -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(report[0]), close(report[1]);
		return snprintf(why, AGENT_WHY_SIZE, "fork: %s", strerror(-err)), err;
	}
	if (!pid) {
		close(report[0]);
		const char *step = become(spec, stdio, terminal);
		char line[AGENT_WHY_SIZE];
		int n = snprintf(line, sizeof(line), "%s: %s", step, strerror(errno));
		if (write(report[1], line, (size_t)n) < 0) {
			/* The parent is gone: nobody left to tell. */
		}
		_exit(127);
	}
	close(report[1]);
	ssize_t n = read(report[0], why, AGENT_WHY_SIZE - 1);
	close(report[0]);
	if (n > 0) {
		why[n] = 0;
		return -ENOEXEC;  /* the child has exited with 127 */
	}
	return pid;
}
