/* A small, allocation-free JSON reader and writer for the control socket.
 * The reader splits a byte stream into top-level values and parses one
 * value into a flat token array (no tree, no malloc); the writer escapes
 * strings into a fixed buffer. Everything here takes hostile input. */
#ifndef SPRIG_JSON_H
#define SPRIG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MESSAGE_MAX 65536  /* one top-level value, bytes */
#define JSON_TOKENS_MAX 1024    /* values in one QMP message */
#define JSON_DEPTH_MAX 64       /* nesting of objects and arrays */
#define JSON_ERROR_SIZE 128

enum json_type { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL };

/* One value. Its text is text[start, end): for strings the part inside the
 * quotes (still escaped), for objects and arrays the brackets included.
 * An object's children are key, value, key, value...; `next` is the index
 * of the first token after this value and everything inside it. */
struct json_token {
	enum json_type type;
	uint32_t start, end;
	uint32_t children;  /* object: members; array: elements */
	uint32_t next;
	uint32_t key_hash;  /* keys: for the duplicate check while parsing */
};

/* The tokens are the caller's: a QMP message needs JSON_TOKENS_MAX, an OCI
 * config.json (a seccomp profile, hundreds of mounts) far more. */
struct json_doc {
	const char *text;
	size_t len;
	unsigned count, capacity;
	struct json_token *tokens;
};
#define JSON_DOC(storage) { .capacity = sizeof(storage) / sizeof((storage)[0]), .tokens = (storage) }

/* Parse text[0, len) as exactly one JSON value (RFC 8259, whitespace around
 * it allowed) into doc's tokens (doc->capacity of them). Strings must be valid UTF-8 without raw control characters;
 * \u0000 and duplicate keys in one object are refused. Returns 0, -EINVAL with `error` saying what is wrong and
 * at which byte, or -E2BIG when the value has too many tokens or is nested
 * too deep. The doc keeps pointing at `text`. */
int json_parse(struct json_doc *doc, const char *text, size_t len, char *error);

/* The token index of the value of member `key` in the object at `object`,
 * or -1 (also when `object` is not an object). Keys are compared after
 * unescaping. */
int json_object_get(const struct json_doc *doc, unsigned object, const char *key);

/* Copy the unescaped string at `token` into out (NUL-terminated). Returns
 * its length, -EINVAL if the token is not a string, -E2BIG if it does not
 * fit in out_size bytes. */
int json_string(const struct json_doc *doc, unsigned token, char *out, size_t out_size);

/* An integer (no fraction, no exponent) that fits in int64_t; -EINVAL
 * otherwise. */
int json_int64(const struct json_doc *doc, unsigned token, int64_t *out);

/* Is the string at `token` exactly `s` after unescaping? */
bool json_string_is(const struct json_doc *doc, unsigned token, const char *s);

/* Splitting a byte stream into top-level values, as QMP needs: values may
 * be glued together or split across reads. Every complete top-level value
 * (or stray token: the parser reports it) is handed to on_message; a value
 * over JSON_MESSAGE_MAX is skipped with one on_error call, and the stream
 * recovers at the next top-level value. */
typedef void json_message_fn(void *ctx, const char *text, size_t len);
typedef void json_error_fn(void *ctx, const char *problem);

struct json_stream {
	size_t len;
	unsigned depth;
	bool in_string, escape, in_bare, overflow;
	char buf[JSON_MESSAGE_MAX];
};

void json_stream_init(struct json_stream *s);
void json_stream_feed(struct json_stream *s, const char *data, size_t len, json_message_fn *on_message,
		      json_error_fn *on_error, void *ctx);

/* Writing: append to a fixed buffer; once something does not fit, the
 * buffer is marked overflowed and later appends do nothing. */
struct json_out {
	char *buf;
	size_t len, size;
	bool overflow;
};

void json_out_init(struct json_out *out, char *buf, size_t size);
void json_out_raw(struct json_out *out, const char *text, size_t len);
void json_out_printf(struct json_out *out, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
/* A C string as a JSON string, quotes included; bytes that are not valid
 * UTF-8 are written as U+FFFD. */
void json_out_string(struct json_out *out, const char *s);

#endif
