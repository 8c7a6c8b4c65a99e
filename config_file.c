/* The config file grammar: `key = value` lines, `# comments`, `[section]`
 * headers, optional double quotes around a value (then `#` is literal and
 * \" and \\ escape). Every error names file:line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1024 * 1024)
#define LINE_MAX_BYTES 16384

struct cursor {
	const char *name;
	unsigned line;
	char section[64];
	unsigned item_line;  /* the header of the current [block]-like item, else 0 */
	unsigned set_on_line[CONFIG_KEYS_MAX];  /* duplicate detection */
};

__attribute__((format(printf, 3, 4)))
static int fail(char *error, const struct cursor *c, const char *format, ...)
{
	char text[CONFIG_ERROR_SIZE / 2];
	va_list ap;
	va_start(ap, format);
	vsnprintf(text, sizeof(text), format, ap);
	va_end(ap);
	snprintf(error, CONFIG_ERROR_SIZE, "%.200s:%u: %s", c->name, c->line, text);
	return -EINVAL;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* Strip an unquoted value's trailing comment and blanks. A `#` starts a
 * comment only at the start or after a blank, so `a#b` stays whole. */
static size_t bare_value_len(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] == '#' && (i == 0 || is_blank(v[i - 1]))) {
			len = i;
			break;
		}
	while (len && is_blank(v[len - 1]))
		len--;
	return len;
}

/* Unquote "..." into out; the rest of the line may hold only a comment. */
static int quoted_value(struct cursor *c, const char *v, size_t len, char *out, char *error)
{
	size_t n = 0, i = 1;
	for (; i < len && v[i] != '"'; i++) {
		if (v[i] == '\\' && i + 1 < len && (v[i + 1] == '"' || v[i + 1] == '\\'))
			i++;
		out[n++] = v[i];
	}
	out[n] = 0;
	if (i >= len)
		return fail(error, c, "unterminated quoted value");
	size_t after = ++i;
	while (i < len && is_blank(v[i]))
		i++;
	/* As for bare values, a comment needs a blank before its `#`. */
	if (i < len && (v[i] != '#' || i == after))
		return fail(error, c, "text after the closing quote");
	return 0;
}

/* An item of a repeatable section that ends must have its required key
 * (a [block] its path); the message names the item's header line. */
static int end_item(struct cursor *c, char *error)
{
	const char *key;
	int required = config_section_required_key(c->section, &key);
	if (!c->item_line || required < 0 || c->set_on_line[required] > c->item_line)
		return 0;
	c->line = c->item_line;
	return fail(error, c, "[%s] without %s", c->section, key);
}

static int parse_section(struct config *config, struct cursor *c, const char *p, size_t len,
			 char *error)
{
	size_t end = 1;
	while (end < len && is_key_char(p[end]))
		end++;
	if (end >= len || p[end] != ']' || end == 1 || bare_value_len(p + end + 1, len - end - 1))
		return fail(error, c, "malformed section header");
	if (!config_section_known(p + 1, end - 1) || end - 1 >= sizeof(c->section))
		return fail(error, c, "unknown section [%.*s]", (int)(end - 1), p + 1);
	if (end_item(c, error))
		return -EINVAL;
	memcpy(c->section, p + 1, end - 1);
	c->section[end - 1] = 0;
	char where[CONFIG_ERROR_SIZE / 2];
	snprintf(where, sizeof(where), "%.200s:%u", c->name, c->line);
	int opened = config_section_open(config, c->section, where, error);
	if (opened < 0)
		return -EINVAL;
	/* Keys set before this header belong to another item: no duplicates. */
	c->item_line = opened ? c->line : 0;
	return 0;
}

static int parse_assignment(struct config *config, struct cursor *c, const char *p, size_t len,
			    char *error)
{
	size_t key_len = 0;
	while (key_len < len && is_key_char(p[key_len]))
		key_len++;
	size_t i = key_len;
	while (i < len && is_blank(p[i]))
		i++;
	if (!key_len || i >= len || p[i] != '=')
		return fail(error, c, "expected 'key = value'");
	for (i++; i < len && is_blank(p[i]); i++)
		;
	char value[LINE_MAX_BYTES];
	if (i < len && p[i] == '"') {
		if (quoted_value(c, p + i, len - i, value, error))
			return -EINVAL;
	} else {
		size_t n = bare_value_len(p + i, len - i);
		memcpy(value, p + i, n);
		value[n] = 0;
	}
	char where[CONFIG_ERROR_SIZE / 2];
	snprintf(where, sizeof(where), "%.200s:%u", c->name, c->line);
	int index = -1;
	if (config_set(config, c->section, p, key_len, value, c->name, where, error, &index))
		return -EINVAL;
	if (c->set_on_line[index] > c->item_line)
		return fail(error, c, "duplicate key '%.*s' (already set on line %u)", (int)key_len, p,
			    c->set_on_line[index]);
	c->set_on_line[index] = c->line;
	return 0;
}

static int parse_line(struct config *config, struct cursor *c, const char *p, size_t len,
		      char *error)
{
	if (len && p[len - 1] == '\r')
		len--;
	if (len >= LINE_MAX_BYTES)
		return fail(error, c, "line longer than %d bytes", LINE_MAX_BYTES - 1);
	if (memchr(p, 0, len))
		return fail(error, c, "NUL byte in the file");
	while (len && is_blank(*p))
		p++, len--;
	if (!len || *p == '#')
		return 0;
	if (*p == '[')
		return parse_section(config, c, p, len, error);
	return parse_assignment(config, c, p, len, error);
}

int config_parse_text(struct config *config, const char *name, const char *text, size_t len,
		      char *error)
{
	struct cursor c = { .name = name };
	const char *end = text + len;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t line_len = nl ? (size_t)(nl - text) : (size_t)(end - text);
		c.line++;
		if (parse_line(config, &c, text, line_len, error))
			return -EINVAL;
		text += line_len + (nl ? 1 : 0);
	}
	return end_item(&c, error);
}

static int read_file(const char *path, char **text, size_t *len, char *error)
{
	/* O_NONBLOCK: a FIFO given by mistake is refused below, not waited on. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(error, CONFIG_ERROR_SIZE, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	const char *problem = !S_ISREG(st.st_mode) ? "not a regular file"
			      : st.st_size > FILE_MAX ? "larger than 1 MiB" : NULL;
	char *buf = problem ? NULL : malloc((size_t)st.st_size + 1);
	ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	if (!problem && got != st.st_size)
		problem = got < 0 ? strerror(errno) : "changed while being read";
	close(fd);
	if (problem) {
		free(buf);
		snprintf(error, CONFIG_ERROR_SIZE, "%s: %s", path, problem);
		return -EINVAL;
	}
	*text = buf;
	*len = (size_t)got;
	return 0;
}

int config_parse_file(struct config *config, const char *path, char *error)
{
	if (!*path) {
		snprintf(error, CONFIG_ERROR_SIZE, "empty config file name");
		return -EINVAL;
	}
	char *text;
	size_t len;
	if (read_file(path, &text, &len, error))
		return -EINVAL;
	int err = config_parse_text(config, path, text, len, error);
	free(text);
	return err;
}
