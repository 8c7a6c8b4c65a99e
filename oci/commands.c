/* state, list, start, kill and delete (oci.h): what a container engine
 * asks of a container after creating it, with runc's answers and wording
 * where an engine reads them. */
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../control/json.h"
#include "cgroup.h"

int oci_monitor_ask(const char *dir, const char *request, char *reply, size_t size)
{
	char path[PATH_MAX + 16];
	reply[0] = 0;
	if (snprintf(path, sizeof(path), "%s/" OCI_MONITOR_SOCKET, dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int fd = oci_unix_connect(path);
	if (fd < 0)
		return fd;
	int err = write(fd, request, strlen(request)) != (ssize_t)strlen(request) ? -errno : 0;
	size_t got = 0;
	while (!err && got + 1 < size && !memchr(reply, '\n', got)) {
		ssize_t n = read(fd, reply + got, size - got - 1);
		if (n <= 0) {
			err = n < 0 ? -errno : -EPIPE;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	reply[got] = 0;
	reply[strcspn(reply, "\n")] = 0;
	return err;
}

/* The record of o->id, with its status now; 1 after saying why not. */
static int load(const struct oci_options *o, char *dir, struct oci_state *s, enum oci_status *status)
{
	char why[OCI_WHY_SIZE];
	if (oci_state_dir(o->root, o->id, dir))
		return oci_fail(o, "%s/%s: path too long", o->root, o->id);
	int err = oci_state_read(dir, s, why);
	if (err == -ENOENT)
		return oci_fail(o, "container \"%s\" does not exist", o->id);
	if (err)
		return oci_fail(o, "%s", why);
	*status = oci_state_status(s);
	return 0;
}

int oci_state(const struct oci_options *o)
{
	char dir[PATH_MAX], text[3 * PATH_MAX + 512];
	struct oci_state s;
	enum oci_status status;
	if (load(o, dir, &s, &status))
		return 1;
	if (oci_state_format(&s, status, text, sizeof(text)) < 0)
		return oci_fail(o, "%s: state too large", o->id);
	fputs(text, stdout);
	return 0;
}

/* runc's names: "KILL", "SIGKILL" or a number. */
static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int number;
	} names[] = { { "HUP", SIGHUP },   { "INT", SIGINT },	{ "QUIT", SIGQUIT }, { "ILL", SIGILL },
		      { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS },   { "FPE", SIGFPE },
		      { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
		      { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
		      { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
		      { "TTOU", SIGTTOU }, { "URG", SIGURG },	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
		      { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
		      { "PWR", SIGPWR },   { "SYS", SIGSYS } };
	char *end;
	long n = strtol(name, &end, 10);
	if (*name && !*end)
		return n > 0 && n < 65 ? (int)n : -1;
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].number;
	return -1;
}

int oci_kill(const struct oci_options *o)
{
	char dir[PATH_MAX], request[32], reply[OCI_WHY_SIZE];
	struct oci_state s;
	enum oci_status status;
	int sig = signal_number(o->signal ? o->signal : "TERM");
	if (sig < 0)
		return oci_fail(o, "kill: %s: not a signal", o->signal);
	if (load(o, dir, &s, &status))
		return 1;
	if (status != OCI_CREATED && status != OCI_RUNNING)
		return oci_fail(o, "container \"%s\" is not running", o->id);
	snprintf(request, sizeof(request), "kill %d\n", sig);
	int err = oci_monitor_ask(dir, request, reply, sizeof(reply));
	if (err || strcmp(reply, "ok"))
		return oci_fail(o, "kill %s: %s", o->id, err ? strerror(-err) : reply);
	return 0;
}

int oci_start(const struct oci_options *o)
{
	char dir[PATH_MAX], reply[OCI_WHY_SIZE];
	struct oci_state s;
	enum oci_status status;
	if (load(o, dir, &s, &status))
		return 1;
	if (status == OCI_STOPPED)
		return oci_fail(o, "cannot start a container that has stopped");
	if (status == OCI_RUNNING)
		return oci_fail(o, "cannot start an already running container");
	if (status != OCI_CREATED)
		return oci_fail(o, "cannot start a container in the %s state", oci_status_name(status));
	int err = oci_monitor_ask(dir, "start\n", reply, sizeof(reply));
	if (err || strcmp(reply, "ok"))
		return oci_fail(o, "start %s: %s", o->id, err ? strerror(-err) : reply);
	return 0;
}

int oci_remove_container(const char *dir)
{
	oci_cgroup_remove_recorded(dir);
	return oci_remove_dir(dir);
}

/* SIGKILL to the monitor (its VM dies with it: PR_SET_PDEATHSIG), then
 * wait until the pid is gone, 10 s at most. */
static void kill_monitor(const struct oci_state *s)
{
	if (oci_pid_start_time(s->pid) != s->pid_start)
		return;
	kill(s->pid, SIGKILL);
	for (int i = 0; i < 1000 && oci_pid_start_time(s->pid) == s->pid_start; i++) {
		struct timespec t = { 0, 10 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
}

int oci_delete(const struct oci_options *o)
{
	char dir[PATH_MAX];
	struct oci_state s;
	enum oci_status status;
	if (oci_state_dir(o->root, o->id, dir))
		return oci_fail(o, "%s/%s: path too long", o->root, o->id);
	if (o->force && access(dir, F_OK))
		return 0;  /* runc: --force on a container that is not there is not an error */
	if (load(o, dir, &s, &status))
		return 1;
	if (status == OCI_RUNNING && !o->force)
		return oci_fail(o, "cannot delete container %s that is not stopped: running", o->id);
	if (status != OCI_STOPPED)
		kill_monitor(&s);
	int err = oci_remove_container(dir);
	if (err)
		return oci_fail(o, "delete %s: %s", dir, strerror(-err));
	return 0;
}

static void list_one(const struct oci_options *o, const char *id, bool *first)
{
	char dir[PATH_MAX], why[OCI_WHY_SIZE], text[3 * PATH_MAX + 512];
	struct oci_state s;
	if (oci_id_check(id, why) || oci_state_dir(o->root, id, dir) || oci_state_read(dir, &s, why))
		return;
	enum oci_status status = oci_state_status(&s);
	if (o->quiet) {
		printf("%s\n", s.id);
	} else if (o->format && !strcmp(o->format, "json")) {
		if (oci_state_format(&s, status, text, sizeof(text)) > 0)
			printf("%s%s", *first ? "" : ",", text);
	} else {
		printf("%-12s %-10d %-10s %-40s %-30s %s\n", s.id, status == OCI_STOPPED ? 0 : (int)s.pid,
		       oci_status_name(status), s.bundle, s.created, "root");
	}
	*first = false;
}

int oci_list(const struct oci_options *o)
{
	bool json = o->format && !strcmp(o->format, "json");
	if (o->format && !json && strcmp(o->format, "table"))
		return oci_fail(o, "list --format %s: table or json", o->format);
	struct dirent **names;
	int n = scandir(o->root, &names, NULL, alphasort);
	if (n < 0 && errno != ENOENT)
		return oci_fail(o, "%s: %s", o->root, strerror(errno));
	if (json)
		printf("[");
	else if (!o->quiet)
		printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	bool first = true;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			list_one(o, names[i]->d_name, &first);
		free(names[i]);
	}
	if (n > 0)
		free(names);
	if (json)
		printf("]\n");
	return 0;
}
