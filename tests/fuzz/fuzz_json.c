/* libFuzzer target: the control socket's JSON (control/json.c) on
 * arbitrary bytes. Besides crashes and sanitizer reports it checks what
 * the reader promises: every token inside the text and inside its
 * parent, `next` links that skip exactly a subtree, child counts that
 * match, strings that unescape to UTF-8 the writer can write back, keys
 * that are found where they are, integers that agree with strtoll, and a
 * document written back out that parses to the same shape and strings. Refusals carry
 * a message naming a byte within the text. The stream splitter must cut
 * the same messages however the bytes are split across two feeds, and
 * each message goes through the parser as the QMP layer would. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../control/json.h"

#define INPUT_MAX (1024 * 1024)

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static struct json_token tokens[JSON_TOKENS_MAX], again_tokens[JSON_TOKENS_MAX];
static struct json_doc doc = JSON_DOC(tokens), again = JSON_DOC(again_tokens);
static char scratch[INPUT_MAX + 1], scratch2[INPUT_MAX + 1];
static char written[8 * INPUT_MAX + 64];

/* A refusal: the right code, nothing to walk, and a terminated message
 * naming a byte that exists (the end of the text counts). */
static void check_refusal(const struct json_doc *d, int rc, const char *error, size_t len)
{
	check(rc == -EINVAL || rc == -E2BIG);
	check(d->count == 0);
	size_t n = strnlen(error, JSON_ERROR_SIZE);
	check(n > 0 && n < JSON_ERROR_SIZE);
	const char *at = strstr(error, "at byte ");
	if (!at) {
		check(!strcmp(error, "text over 4 GiB"));
		return;
	}
	check(strtoull(at + 8, NULL, 10) <= len);
}

static bool is_utf8(const unsigned char *s, size_t n)
{
	/* Re-encoding through the writer must not replace anything: a
	 * replaced byte shows as U+FFFD that the input did not have. */
	struct json_out out;
	json_out_init(&out, written, sizeof(written));
	json_out_string(&out, (const char *)s);
	check(!out.overflow);
	size_t replacements = 0, had = 0;
	for (const char *p = written; (p = strstr(p, "\xef\xbf\xbd")); p += 3)
		replacements++;
	for (const unsigned char *p = s; p + 3 <= s + n; p++)
		had += p[0] == 0xef && p[1] == 0xbf && p[2] == 0xbd;
	return replacements == had;
}

static void check_string(const struct json_doc *d, unsigned i)
{
	const struct json_token *t = &d->tokens[i];
	check(t->start >= 1 && d->text[t->start - 1] == '"' && d->text[t->end] == '"');
	/* Unescaping never makes a string longer. */
	int n = json_string(d, i, scratch, sizeof(scratch));
	check(n >= 0 && (size_t)n <= t->end - t->start);
	check(strlen(scratch) == (size_t)n);  /* \u0000 is refused, so no NUL inside */
	check(json_string_is(d, i, scratch));
	check(is_utf8((const unsigned char *)scratch, (size_t)n));
	check(json_string(d, i, scratch2, (size_t)n) == -E2BIG);
	check(json_int64(d, i, &(int64_t){ 0 }) == -EINVAL);
	check(json_object_get(d, i, "") == -1);
}

static void check_number(const struct json_doc *d, unsigned i)
{
	const struct json_token *t = &d->tokens[i];
	size_t n = t->end - t->start;
	memcpy(scratch, d->text + t->start, n);
	scratch[n] = 0;
	int64_t v = 0;
	int rc = json_int64(d, i, &v);
	if (strpbrk(scratch, ".eE")) {
		check(rc == -EINVAL);
		return;
	}
	errno = 0;
	long long want = strtoll(scratch, NULL, 10);
	if (errno == ERANGE) {
		check(rc == -EINVAL);
		return;
	}
	check(rc == 0 && v == want);
}

static void check_literal(const struct json_doc *d, unsigned i)
{
	const struct json_token *t = &d->tokens[i];
	const char *word = t->type == JSON_TRUE ? "true" : t->type == JSON_FALSE ? "false" : "null";
	check(t->end - t->start == strlen(word) && !memcmp(d->text + t->start, word, strlen(word)));
}

/* The children walked by `next` lie inside the container, in order, and
 * end where it says; every key is a string found by json_object_get at
 * its own place (duplicates are refused, so the first match is it). */
static void check_container(const struct json_doc *d, unsigned i)
{
	const struct json_token *t = &d->tokens[i];
	bool object = t->type == JSON_OBJECT;
	check(d->text[t->start] == (object ? '{' : '['));
	check(d->text[t->end - 1] == (object ? '}' : ']'));
	unsigned j = i + 1, per = object ? 2 : 1;
	uint32_t after = t->start + 1;
	for (uint32_t k = 0; k < t->children * per; k++) {
		check(j < d->count);
		const struct json_token *c = &d->tokens[j];
		check(c->start >= after && c->end <= t->end - 1);
		after = c->end;
		if (object && k % 2 == 0) {
			check(c->type == JSON_STRING);
			int n = json_string(d, j, scratch2, sizeof(scratch2));
			check(n >= 0);
			check(json_object_get(d, i, scratch2) == (int)j + 1);
		}
		j = c->next;
	}
	check(j == t->next);
}

static void check_doc(const struct json_doc *d, const char *text, size_t len)
{
	check(d->text == text && d->len == len);
	check(d->count >= 1 && d->count <= JSON_TOKENS_MAX);
	check(d->tokens[0].next == d->count);
	for (unsigned i = 0; i < d->count; i++) {
		const struct json_token *t = &d->tokens[i];
		check(t->start <= t->end && t->end <= len);
		check(t->next > i && t->next <= d->count);
		switch (t->type) {
		case JSON_OBJECT:
		case JSON_ARRAY:
			check_container(d, i);
			break;
		case JSON_STRING:
			check(t->next == i + 1 && t->children == 0);
			check_string(d, i);
			break;
		case JSON_NUMBER:
			check(t->next == i + 1 && t->children == 0);
			check_number(d, i);
			break;
		case JSON_TRUE:
		case JSON_FALSE:
		case JSON_NULL:
			check(t->next == i + 1 && t->children == 0);
			check_literal(d, i);
			break;
		default:
			check(false);
		}
	}
}

/* Write the value at token i back out, compact; returns the next token. */
static unsigned write_value(const struct json_doc *d, unsigned i, struct json_out *out)
{
	const struct json_token *t = &d->tokens[i];
	if (t->type == JSON_STRING) {
		check(json_string(d, i, scratch, sizeof(scratch)) >= 0);
		json_out_string(out, scratch);
		return i + 1;
	}
	if (t->type != JSON_OBJECT && t->type != JSON_ARRAY) {
		json_out_raw(out, d->text + t->start, t->end - t->start);
		return i + 1;
	}
	bool object = t->type == JSON_OBJECT;
	unsigned j = i + 1;
	json_out_raw(out, object ? "{" : "[", 1);
	for (uint32_t k = 0; k < t->children; k++) {
		if (k)
			json_out_raw(out, ",", 1);
		if (object) {
			j = write_value(d, j, out);
			json_out_raw(out, ":", 1);
		}
		j = write_value(d, j, out);
	}
	json_out_raw(out, object ? "}" : "]", 1);
	return j;
}

/* Written back out, the document parses to the same shape. */
static void check_round_trip(const struct json_doc *d)
{
	static char text[8 * INPUT_MAX + 64];
	struct json_out out;
	char error[JSON_ERROR_SIZE];
	json_out_init(&out, text, sizeof(text));
	check(write_value(d, 0, &out) == d->count);
	check(!out.overflow);
	check(json_parse(&again, text, out.len, error) == 0);
	check(again.count == d->count);
	for (unsigned i = 0; i < d->count; i++) {
		check(again.tokens[i].type == d->tokens[i].type);
		check(again.tokens[i].children == d->tokens[i].children);
		check(again.tokens[i].next == d->tokens[i].next);
		if (d->tokens[i].type == JSON_STRING) {
			int n = json_string(d, i, scratch, sizeof(scratch));
			check(n >= 0 && json_string(&again, i, scratch2, sizeof(scratch2)) == n);
			check(!memcmp(scratch, scratch2, (size_t)n));
		}
	}
}

static void fuzz_parse(const char *text, size_t len, bool round_trip)
{
	char error[JSON_ERROR_SIZE];
	memset(error, 0, sizeof(error));
	int rc = json_parse(&doc, text, len, error);
	if (rc) {
		check_refusal(&doc, rc, error, len);
		return;
	}
	check(error[0] == 0);
	check_doc(&doc, text, len);
	if (round_trip)
		check_round_trip(&doc);
}

/* --- the stream splitter --- */

struct messages {
	unsigned count, errors;
	uint64_t hash;  /* of every message's length and bytes, in order */
	bool parse;
};

static void on_message(void *ctx, const char *text, size_t len)
{
	struct messages *m = ctx;
	check(len > 0 && len <= JSON_MESSAGE_MAX);
	check(text[0] != ' ' && text[0] != '\t' && text[0] != '\n' && text[0] != '\r');
	m->count++;
	m->hash = (m->hash ^ len) * 1099511628211u;
	for (size_t i = 0; i < len; i++)
		m->hash = (m->hash ^ (unsigned char)text[i]) * 1099511628211u;
	if (m->parse)
		fuzz_parse(text, len, false);
}

static void on_error(void *ctx, const char *problem)
{
	struct messages *m = ctx;
	check(!strcmp(problem, "message over 65536 bytes"));
	m->errors++;
}

static struct json_stream stream;

static void fuzz_stream(const uint8_t *data, size_t size)
{
	/* The split point comes from the input, so a run can be replayed. */
	size_t split = size ? ((size_t)data[0] << 8 | data[size - 1]) % (size + 1) : 0;
	struct messages whole = { .hash = 14695981039346656037u };
	struct messages parts = { .hash = 14695981039346656037u, .parse = true };

	json_stream_init(&stream);
	json_stream_feed(&stream, (const char *)data, size, on_message, on_error, &whole);
	json_stream_init(&stream);
	json_stream_feed(&stream, (const char *)data, split, on_message, on_error, &parts);
	json_stream_feed(&stream, (const char *)data + split, size - split, on_message, on_error, &parts);
	check(whole.count == parts.count && whole.errors == parts.errors && whole.hash == parts.hash);
}

/* The writer on the input as a C string, into a buffer that always fits
 * and into one cut short by the input itself. */
static void fuzz_writer(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1], out_buf[6 * INPUT_MAX + 3];
	struct json_out out;
	memcpy(text, data, size);
	text[size] = 0;
	json_out_init(&out, out_buf, sizeof(out_buf));
	json_out_string(&out, text);
	check(!out.overflow && out.len == strlen(out_buf));
	char error[JSON_ERROR_SIZE];
	check(json_parse(&again, out_buf, out.len, error) == 0);
	check(again.count == 1 && again.tokens[0].type == JSON_STRING);

	size_t room = size ? data[0] : 0;
	json_out_init(&out, out_buf, room);
	json_out_string(&out, text);
	check(room == 0 || (out.len < room && out_buf[out.len] == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	fuzz_parse(text, size, true);
	free(text);
	fuzz_stream(data, size);
	fuzz_writer(data, size);
	return 0;
}
