/* The spec from the host, message by message (agent.h). The host is
 * trusted more than the guest is by sprig, but the agent still checks
 * every count and length: a confused host must not corrupt PID 1. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static int take_string(const uint8_t *buf, uint32_t len, char **out)
{
	if (memchr(buf, 0, len))
		return -EPROTO;
	*out = strndup((const char *)buf, len);
	return *out ? 0 : -ENOMEM;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* flags [mode] destination NUL rest: an absolute destination, a tmpfs's
 * options without a NUL, a file's content of at most AGENT_FILE_MAX. */
static int take_mount(struct agent_spec *s, const struct agent_header *h, const uint8_t *buf)
{
	uint32_t head = h->type == AGENT_FILE ? 8 : 4;
	if (s->mount_count == AGENT_MOUNTS_MAX || h->len <= head)
		return -EPROTO;
	const uint8_t *end = memchr(buf + head, 0, h->len - head);
	if (!end || buf[head] != '/')
		return -EPROTO;
	uint32_t rest = h->len - (uint32_t)(end + 1 - buf);
	if (h->type == AGENT_FILE ? rest > AGENT_FILE_MAX : memchr(end + 1, 0, rest) != NULL)
		return -EPROTO;
	struct agent_mount *m = &s->mounts[s->mount_count];
	*m = (struct agent_mount){ h->type, u32_at(buf), h->type == AGENT_FILE ? u32_at(buf + 4) & 07777 : 0,
				   strdup((const char *)buf + head), malloc(rest + 1), rest, -1 };
	if (!m->destination || !m->data) {
		free(m->destination), free(m->data);
		return -ENOMEM;
	}
	memcpy(m->data, end + 1, rest);
	m->data[rest] = 0;
	s->mount_count++;
	return 0;
}

static int take(struct agent_spec *s, const struct agent_header *h, const uint8_t *buf)
{
	switch (h->type) {
	case AGENT_ARG:
		return s->arg_count == AGENT_ARGS_MAX ? -E2BIG : take_string(buf, h->len, &s->args[s->arg_count++]);
	case AGENT_ENV:
		return s->env_count == AGENT_ARGS_MAX ? -E2BIG : take_string(buf, h->len, &s->env[s->env_count++]);
	case AGENT_CWD:
		free(s->cwd);
		return take_string(buf, h->len, &s->cwd);
	case AGENT_HOSTNAME:
		free(s->hostname);
		return take_string(buf, h->len, &s->hostname);
	case AGENT_USER:
		if (h->len != 12)
			return -EPROTO;
		s->uid = u32_at(buf), s->gid = u32_at(buf + 4), s->umask = u32_at(buf + 8);
		return 0;
	case AGENT_GROUP:
		if (h->len != 4 || s->group_count == AGENT_GROUPS_MAX)
			return -EPROTO;
		s->groups[s->group_count++] = u32_at(buf);
		return 0;
	case AGENT_RLIMIT:
		if (h->len != 20 || s->rlimit_count == AGENT_RLIMITS_MAX)
			return -EPROTO;
		s->rlimits[s->rlimit_count++] =
			(struct agent_rlimit){ u32_at(buf), u64_at(buf + 4), u64_at(buf + 12) };
		return 0;
	case AGENT_FLAGS:
		if (h->len != 4)
			return -EPROTO;
		s->flags = u32_at(buf);
		return 0;
	case AGENT_RESIZE:
		if (h->len != 4)
			return -EPROTO;
		memcpy(&s->rows, buf, 2);
		memcpy(&s->columns, buf + 2, 2);
		return 0;
	case AGENT_TMPFS:
	case AGENT_FILE:
		return take_mount(s, h, buf);
	case AGENT_PIDS_LIMIT:
		if (h->len != 8)
			return -EPROTO;
		s->pids_limit = u64_at(buf);
		return 0;
	default:
		return -EPROTO;
	}
}

void agent_spec_free(struct agent_spec *spec)
{
	for (unsigned i = 0; i < spec->arg_count; i++)
		free(spec->args[i]);
	for (unsigned i = 0; i < spec->env_count; i++)
		free(spec->env[i]);
	free(spec->cwd);
	free(spec->hostname);
	for (unsigned i = 0; i < spec->mount_count; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].data);
	}
	*spec = (struct agent_spec){ .umask = AGENT_NO_UMASK, .cgroup_procs = -1 };
}

int agent_spec_receive(int control, struct agent_spec *spec, char *why)
{
	static uint8_t buf[AGENT_PAYLOAD_MAX + 1];
	*spec = (struct agent_spec){ .umask = AGENT_NO_UMASK, .cgroup_procs = -1 };
	for (;;) {
		struct agent_header h;
		int err = agent_receive(control, &h, buf, sizeof(buf));
		if (!err && h.type == AGENT_SPEC_END)
			break;
		if (!err)
			err = take(spec, &h, buf);
		if (err) {
			snprintf(why, AGENT_WHY_SIZE, "receiving the spec: %s", strerror(-err));
			agent_spec_free(spec);
			return err;
		}
	}
	if (!spec->arg_count || !spec->cwd || spec->cwd[0] != '/') {
		snprintf(why, AGENT_WHY_SIZE, "the spec has no args or no absolute cwd");
		agent_spec_free(spec);
		return -EINVAL;
	}
	return 0;
}
