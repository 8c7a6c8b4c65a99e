/* `sprig snapshot --control SOCKET DIR [--paused|--quit]` (snapshot.h): a
 * QMP client of a running sprig. Stop, snapshot-save, then the VM goes
 * back to what it was doing, stays paused, or ends. */
#include "snapshot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../control/json.h"
#include "../vmm.h"

struct client {
	int fd;
	char buf[JSON_MESSAGE_MAX];
	size_t len;
};

/* The next line the server sent, NUL-terminated; NULL when it hung up. */
static char *next_line(struct client *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			static char line[JSON_MESSAGE_MAX];
			size_t n = (size_t)(nl - c->buf);
			memcpy(line, c->buf, n);
			line[n] = 0;
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		if (c->len == sizeof(c->buf))
			return NULL;
		ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		c->len += (size_t)got;
	}
}

/* Send `request`, skip events, and return the reply's "return" member (its
 * text in `out`), or -1 with the error's "desc" in `out`. */
static int ask(struct client *c, const char *request, char *out, size_t size)
{
	if (write(c->fd, request, strlen(request)) != (ssize_t)strlen(request))
		return snprintf(out, size, "the control socket hung up"), -1;
	static struct json_token tokens[JSON_TOKENS_MAX];
	static struct json_doc doc = JSON_DOC(tokens);
	char error[JSON_ERROR_SIZE];
	for (char *line; (line = next_line(c));) {
		if (json_parse(&doc, line, strlen(line), error) || doc.tokens[0].type != JSON_OBJECT)
			continue;
		int value = json_object_get(&doc, 0, "return");
		if (value >= 0) {
			const struct json_token *t = &doc.tokens[value];
			snprintf(out, size, "%.*s", (int)(t->end - t->start), line + t->start);
			return 0;
		}
		int err = json_object_get(&doc, 0, "error");
		int desc = err >= 0 ? json_object_get(&doc, (unsigned)err, "desc") : -1;
		if (err >= 0) {
			if (desc < 0 || json_string(&doc, (unsigned)desc, out, size) < 0)
				snprintf(out, size, "an error without a description");
			return -1;
		}
	}
	return snprintf(out, size, "the control socket hung up"), -1;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return errno = ENAMETOOLONG, -1;
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int err = errno;
		close(fd);
		return errno = err, -1;
	}
	return fd;
}

static int usage(void)
{
	fprintf(stderr, "usage: sprig snapshot --control SOCKET DIR [--paused|--quit]\n");
	return SPRIG_EXIT_BAD_INPUT;
}

/* The request, the folder made absolute: the server's working folder is
 * not ours. */
static int save_request(const char *dir, char *request, size_t size)
{
	char absolute[PATH_MAX * 2];
	char cwd[PATH_MAX];
	if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(absolute, sizeof(absolute), "%s%s%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir);
	struct json_out out;
	json_out_init(&out, request, size);
	json_out_printf(&out, "{\"execute\": \"snapshot-save\", \"arguments\": {\"path\": ");
	json_out_string(&out, absolute);
	json_out_printf(&out, "}}\n");
	return out.overflow ? -1 : 0;
}

int snapshot_command(int argc, char **argv)
{
	const char *socket_path = NULL, *dir = NULL;
	bool paused = false, quit = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc)
			socket_path = argv[++i];
		else if (!strcmp(argv[i], "--paused"))
			paused = true;
		else if (!strcmp(argv[i], "--quit"))
			quit = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return usage();
	}
	static char request[PATH_MAX * 3];
	if (!socket_path || !dir || (paused && quit) || save_request(dir, request, sizeof(request)))
		return usage();
	static struct client c;
	c.fd = connect_to(socket_path);
	if (c.fd < 0) {
		fprintf(stderr, "sprig: snapshot: %s: %s\n", socket_path, strerror(errno));
		return SPRIG_EXIT_BAD_INPUT;
	}
	char reply[1024];
	int err = next_line(&c) ? 0 : -1;  /* the greeting */
	bool was_running = false;
	if (!err)
		err = ask(&c, "{\"execute\": \"qmp_capabilities\"}\n", reply, sizeof(reply));
	if (!err && !(err = ask(&c, "{\"execute\": \"query-status\"}\n", reply, sizeof(reply))))
		was_running = strstr(reply, "\"running\"") != NULL;
	if (!err && was_running)
		err = ask(&c, "{\"execute\": \"stop\"}\n", reply, sizeof(reply));
	if (!err)
		err = ask(&c, request, reply, sizeof(reply));
	if (!err && quit)
		err = ask(&c, "{\"execute\": \"quit\"}\n", reply, sizeof(reply));
	else if (!err && was_running && !paused)
		err = ask(&c, "{\"execute\": \"cont\"}\n", reply, sizeof(reply));
	close(c.fd);
	if (err) {
		fprintf(stderr, "sprig: snapshot: %s\n", reply);
		return SPRIG_EXIT_HOST;
	}
	return 0;
}
