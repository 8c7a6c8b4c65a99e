/* The control socket's JSON: a strict RFC 8259 reader that fills a flat
 * token array, a splitter that cuts a byte stream into top-level values,
 * and a writer into a fixed buffer. No malloc and no recursion: every
 * byte comes from a client we do not trust, and a deep document must not
 * be able to use up the stack. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* --- shared by reader and writer --- */

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the well-formed UTF-8 sequence at s (n bytes available),
 * or 0. Overlong forms, UTF-16 surrogates and code points past U+10FFFF
 * are not well formed (Unicode table 3-7), so each lead byte narrows the
 * range its first continuation byte may take. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		lo = c == 0xe0 ? 0xa0 : lo;  /* below is overlong */
		hi = c == 0xed ? 0x9f : hi;  /* above is a surrogate */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		lo = c == 0xf0 ? 0x90 : lo;  /* below is overlong */
		hi = c == 0xf4 ? 0x8f : hi;  /* above is past U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Four hex digits at s, or -1. */
static long hex4(const unsigned char *s, size_t n)
{
	long v = 0;
	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		int d;
		if (is_digit(c))
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static bool is_high_surrogate(long cp)
{
	return cp >= 0xd800 && cp <= 0xdbff;
}

static bool is_low_surrogate(long cp)
{
	return cp >= 0xdc00 && cp <= 0xdfff;
}

/* --- parsing --- */

struct parser {
	struct json_doc *doc;
	const unsigned char *s;
	size_t len, pos;
	char *error;
	unsigned depth;
	unsigned open[JSON_DEPTH_MAX];  /* token of each object or array not yet closed */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, int err, const char *format, ...)
{
	if (p->error) {
		va_list ap;
		va_start(ap, format);
		vsnprintf(p->error, JSON_ERROR_SIZE, format, ap);
		va_end(ap);
	}
	return err;
}

/* The byte at pos is not what the grammar allows there; say which byte it
 * is (quoted when printable) and what was expected. */
static int unexpected(struct parser *p, const char *expected)
{
	if (p->pos >= p->len)
		return fail(p, -EINVAL, "unexpected end of input at byte %zu (expected %s)", p->pos,
			    expected);
	unsigned char c = p->s[p->pos];
	if (c > ' ' && c < 0x7f)
		return fail(p, -EINVAL, "unexpected character '%c' at byte %zu (expected %s)", c,
			    p->pos, expected);
	return fail(p, -EINVAL, "unexpected byte 0x%02x at byte %zu (expected %s)", c, p->pos,
		    expected);
}

/* The byte at pos, or -1 at the end: lets the grammar compare without a
 * length check at every step. */
static int peek(const struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && is_ws(p->s[p->pos]))
		p->pos++;
}

static struct json_token *top(struct parser *p)
{
	return &p->doc->tokens[p->open[p->depth - 1]];
}

static int new_token(struct parser *p, enum json_type type, struct json_token **out)
{
	struct json_doc *doc = p->doc;
	if (doc->count == doc->capacity)
		return fail(p, -E2BIG, "more than %u values at byte %zu", doc->capacity, p->pos);
	struct json_token *t = &doc->tokens[doc->count++];
	*t = (struct json_token){ .type = type, .start = (uint32_t)p->pos, .end = (uint32_t)p->pos,
				  .next = doc->count };
	*out = t;
	return 0;
}

/* A \uXXXX escape at pos (the backslash), with its partner when it is the
 * first half of a surrogate pair; advances past it. */
static int unicode_escape(struct parser *p)
{
	size_t at = p->pos;
	long cp = hex4(p->s + at + 2, p->len - at - 2);
	if (cp < 0)
		return fail(p, -EINVAL, "bad \\u escape at byte %zu (expected 4 hex digits)", at);
	if (cp == 0)
		return fail(p, -EINVAL, "\\u0000 in a string at byte %zu", at);
	if (is_low_surrogate(cp))
		return fail(p, -EINVAL, "unpaired surrogate \\u%04lx at byte %zu", cp, at);
	p->pos += 6;
	if (!is_high_surrogate(cp))
		return 0;
	long lo = -1;
	if (p->len - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u')
		lo = hex4(p->s + p->pos + 2, 4);
	if (!is_low_surrogate(lo))
		return fail(p, -EINVAL, "unpaired surrogate \\u%04lx at byte %zu", cp, at);
	p->pos += 6;
	return 0;
}

static int escape(struct parser *p)
{
	if (p->pos + 1 >= p->len) {
		p->pos++;
		return unexpected(p, "an escaped character");
	}
	if (p->s[p->pos + 1] == 'u')
		return unicode_escape(p);
	/* A NUL would find strchr's own terminator. */
	if (!p->s[p->pos + 1] || !strchr("\"\\/bfnrt", p->s[p->pos + 1])) {
		p->pos++;
		return unexpected(p, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
	}
	p->pos += 2;
	return 0;
}

/* A string at pos (its opening quote): checked and made a token whose
 * range is the text between the quotes. */
static int string(struct parser *p, struct json_token **out)
{
	size_t opening = p->pos;
	p->pos++;
	int rc = new_token(p, JSON_STRING, out);
	if (rc)
		return rc;
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c == '"') {
			(*out)->end = (uint32_t)p->pos++;
			return 0;
		}
		if (c == '\\') {
			rc = escape(p);
			if (rc)
				return rc;
		} else if (c < 0x20) {
			return fail(p, -EINVAL, "control character 0x%02x in a string at byte %zu", c,
				    p->pos);
		} else {
			size_t n = utf8_length(p->s + p->pos, p->len - p->pos);
			if (!n)
				return fail(p, -EINVAL, "invalid UTF-8 in a string at byte %zu", p->pos);
			p->pos += n;
		}
	}
	return fail(p, -EINVAL, "unterminated string starting at byte %zu", opening);
}

static int digits(struct parser *p, const char *expected)
{
	if (!is_digit((unsigned char)peek(p)))
		return unexpected(p, expected);
	while (is_digit((unsigned char)peek(p)))
		p->pos++;
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing looser. */
static int number(struct parser *p)
{
	struct json_token *t;
	int rc = new_token(p, JSON_NUMBER, &t);
	if (rc)
		return rc;
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
		if (is_digit((unsigned char)peek(p)))
			return fail(p, -EINVAL, "leading zero in a number at byte %zu", p->pos - 1);
	} else if ((rc = digits(p, "a digit"))) {
		return rc;
	}
	if (peek(p) == '.') {
		p->pos++;
		if ((rc = digits(p, "a digit after '.'")))
			return rc;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if ((rc = digits(p, "a digit in the exponent")))
			return rc;
	}
	t->end = (uint32_t)p->pos;
	return 0;
}

static int literal(struct parser *p, const char *word, enum json_type type)
{
	struct json_token *t;
	int rc = new_token(p, type, &t);
	if (rc)
		return rc;
	for (const char *w = word; *w; w++, p->pos++)
		if (peek(p) != *w)
			return unexpected(p, word);
	t->end = (uint32_t)p->pos;
	return 0;
}

/* Unescaped bytes of a string token, a few at a time: how keys are
 * compared and strings copied out. Tokens come from json_parse, so their
 * escapes are well formed; the bounds are checked all the same, and a
 * malformed escape comes out as its raw bytes. */
struct unescape {
	const unsigned char *p, *end;
	unsigned char buf[4];
	unsigned n, i;
};

static unsigned put_utf8(unsigned char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode one escape (or one plain byte) at u->p into u->buf. */
static void unescape_step(struct unescape *u)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t left = (size_t)(u->end - u->p);
	const char *simple = left >= 2 && u->p[0] == '\\' && u->p[1] ? strchr(from, u->p[1]) : NULL;
	long cp = left >= 6 && u->p[0] == '\\' && u->p[1] == 'u' ? hex4(u->p + 2, 4) : -1;

	u->i = 0;
	if (simple) {
		u->buf[0] = (unsigned char)to[simple - from];
		u->n = 1;
		u->p += 2;
	} else if (cp >= 0) {
		u->p += 6;
		long lo = left >= 12 && u->p[0] == '\\' && u->p[1] == 'u' ? hex4(u->p + 2, 4) : -1;
		if (is_high_surrogate(cp) && is_low_surrogate(lo)) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			u->p += 6;
		}
		u->n = put_utf8(u->buf, (unsigned long)cp);
	} else {
		u->buf[0] = *u->p++;
		u->n = 1;
	}
}

static void unescape_init(struct unescape *u, const struct json_doc *doc, const struct json_token *t)
{
	u->p = (const unsigned char *)doc->text + t->start;
	u->end = (const unsigned char *)doc->text + t->end;
	u->n = u->i = 0;
}

/* The next unescaped byte, or -1 at the end of the string. */
static int unescape_next(struct unescape *u)
{
	if (u->i == u->n) {
		if (u->p >= u->end)
			return -1;
		unescape_step(u);
	}
	return u->buf[u->i++];
}

static bool same_key(const struct json_doc *doc, const struct json_token *a, const struct json_token *b)
{
	const char *ta = doc->text + a->start, *tb = doc->text + b->start;
	size_t la = a->end - a->start, lb = b->end - b->start;
	/* Without escapes the raw text is the string: the common case, fast. */
	if (!memchr(ta, '\\', la) && !memchr(tb, '\\', lb))
		return la == lb && !memcmp(ta, tb, la);
	struct unescape ua, ub;
	unescape_init(&ua, doc, a);
	unescape_init(&ub, doc, b);
	for (;;) {
		int ca = unescape_next(&ua), cb = unescape_next(&ub);
		if (ca != cb)
			return false;
		if (ca < 0)
			return true;
	}
}

/* The key's raw text for an error message when it is short and plain
 * ASCII, quotes included; otherwise nothing, rather than a cut or
 * odd-looking name. */
static void quoted_key(const struct parser *p, const struct json_token *key, char *buf, size_t size)
{
	size_t n = key->end - key->start;
	buf[0] = 0;
	if (n + 4 > size)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p->s[key->start + i];
		if (c < ' ' || c >= 0x7f || c == '\\')
			return;
	}
	snprintf(buf, size, "\"%.*s\" ", (int)n, (const char *)p->s + key->start);
}

/* FNV-1a over the unescaped key. */
static uint32_t hash_key(const struct json_doc *doc, const struct json_token *t)
{
	struct unescape u;
	uint32_t h = 2166136261u;
	unescape_init(&u, doc, t);
	for (int c; (c = unescape_next(&u)) >= 0;)
		h = (h ^ (uint32_t)c) * 16777619u;
	return h;
}

/* Refuse a key the open object already has. Its earlier members are all
 * complete, so their `next` links can be followed. Comparing every pair
 * is quadratic, and unescaping makes each comparison slow: 500 escaped
 * keys with a common prefix cost tens of milliseconds. A hash per key
 * leaves the full comparison to the rare pairs that might be equal. */
static int check_duplicate(struct parser *p, unsigned key)
{
	struct json_doc *doc = p->doc;
	struct json_token *k = &doc->tokens[key];
	uint32_t h = k->key_hash = hash_key(doc, k);
	for (unsigned i = p->open[p->depth - 1] + 1; i < key; i = doc->tokens[i + 1].next) {
		if (doc->tokens[i].key_hash != h || !same_key(doc, &doc->tokens[i], k))
			continue;
		char shown[40];  /* keys up to 36 bytes */
		quoted_key(p, k, shown, sizeof(shown));
		return fail(p, -EINVAL, "duplicate key %sat byte %zu", shown, (size_t)k->start - 1);
	}
	return 0;
}

/* Inside an object, at a member: its key, the colon, and the blanks up to
 * the value. */
static int member_key(struct parser *p)
{
	struct json_token *key;
	if (peek(p) != '"')
		return unexpected(p, "a member name");
	int rc = string(p, &key);
	if (rc)
		return rc;
	rc = check_duplicate(p, (unsigned)(key - p->doc->tokens));
	if (rc)
		return rc;
	top(p)->children++;
	skip_ws(p);
	if (peek(p) != ':')
		return unexpected(p, "':'");
	p->pos++;
	skip_ws(p);
	return 0;
}

static void close_container(struct parser *p)
{
	struct json_token *t = top(p);
	t->end = (uint32_t)++p->pos;
	t->next = p->doc->count;
	p->depth--;
}

/* An object or array at pos: opened, and closed at once when empty.
 * *complete says whether a whole value was read (empty) or items follow. */
static int open_container(struct parser *p, enum json_type type, bool *complete)
{
	struct json_token *t;
	if (p->depth == JSON_DEPTH_MAX)
		return fail(p, -E2BIG, "nested deeper than " STRINGIFY(JSON_DEPTH_MAX) " at byte %zu",
			    p->pos);
	int rc = new_token(p, type, &t);
	if (rc)
		return rc;
	p->open[p->depth++] = (unsigned)(t - p->doc->tokens);
	p->pos++;
	skip_ws(p);
	if (peek(p) == (type == JSON_OBJECT ? '}' : ']')) {
		close_container(p);
		*complete = true;
		return 0;
	}
	*complete = false;
	return type == JSON_OBJECT ? member_key(p) : 0;
}

/* One value at pos. Scalars are read whole; an object or array is only
 * opened (*complete false) and its items follow in json_parse's loop. */
static int value(struct parser *p, bool *complete)
{
	struct json_token *t;
	*complete = true;
	if (p->depth && top(p)->type == JSON_ARRAY)
		top(p)->children++;
	switch (peek(p)) {
	case '{':
		return open_container(p, JSON_OBJECT, complete);
	case '[':
		return open_container(p, JSON_ARRAY, complete);
	case '"':
		return string(p, &t);
	case 't':
		return literal(p, "true", JSON_TRUE);
	case 'f':
		return literal(p, "false", JSON_FALSE);
	case 'n':
		return literal(p, "null", JSON_NULL);
	default:
		if (peek(p) == '-' || is_digit((unsigned char)peek(p)))
			return number(p);
		return unexpected(p, "a value");
	}
}

/* After a complete value: close every object and array that ends here,
 * then step over the ',' (and in an object the next key) before the next
 * value. *done once the top-level value is complete. */
static int after_value(struct parser *p, bool *done)
{
	*done = false;
	while (p->depth) {
		enum json_type type = top(p)->type;
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			skip_ws(p);
			return type == JSON_OBJECT ? member_key(p) : 0;
		}
		if (peek(p) != (type == JSON_OBJECT ? '}' : ']'))
			return unexpected(p, type == JSON_OBJECT ? "',' or '}'" : "',' or ']'");
		close_container(p);
	}
	*done = true;
	return 0;
}

int json_parse(struct json_doc *doc, const char *text, size_t len, char *error)
{
	struct parser p = { .doc = doc, .s = (const unsigned char *)text, .len = len, .error = error };
	bool complete, done = false;
	int rc;

	doc->text = text;
	doc->len = len;
	doc->count = 0;
	if (error)
		error[0] = 0;
	/* Token offsets are 32 bits; messages are far smaller anyway. */
	if (len > UINT32_MAX)
		return fail(&p, -E2BIG, "text over 4 GiB");
	skip_ws(&p);
	while (!done) {
		rc = value(&p, &complete);
		if (!rc && complete)
			rc = after_value(&p, &done);
		if (rc) {
			doc->count = 0;
			return rc;
		}
	}
	skip_ws(&p);
	if (p.pos < len) {
		doc->count = 0;
		return unexpected(&p, "the end of input");
	}
	return 0;
}

/* --- reading values --- */

static const struct json_token *token_of(const struct json_doc *doc, unsigned token,
					 enum json_type type)
{
	if (token >= doc->count || doc->tokens[token].type != type)
		return NULL;
	return &doc->tokens[token];
}

static bool unescaped_is(const struct json_doc *doc, const struct json_token *t, const char *s)
{
	struct unescape u;
	unescape_init(&u, doc, t);
	for (const unsigned char *c = (const unsigned char *)s;; c++) {
		int b = unescape_next(&u);
		if (b < 0)
			return *c == 0;
		if (b != *c)
			return false;
	}
}

int json_object_get(const struct json_doc *doc, unsigned object, const char *key)
{
	const struct json_token *o = token_of(doc, object, JSON_OBJECT);
	if (!o)
		return -1;
	unsigned i = object + 1;
	for (uint32_t m = 0; m < o->children && i + 1 < doc->count; m++) {
		if (unescaped_is(doc, &doc->tokens[i], key))
			return (int)i + 1;
		i = doc->tokens[i + 1].next;
	}
	return -1;
}

int json_string(const struct json_doc *doc, unsigned token, char *out, size_t out_size)
{
	const struct json_token *t = token_of(doc, token, JSON_STRING);
	if (!t)
		return -EINVAL;
	struct unescape u;
	size_t n = 0;
	unescape_init(&u, doc, t);
	for (int c; (c = unescape_next(&u)) >= 0;) {
		if (n + 1 >= out_size || n >= INT_MAX)
			return -E2BIG;
		out[n++] = (char)c;
	}
	if (out_size == 0)
		return -E2BIG;
	out[n] = 0;
	return (int)n;
}

int json_int64(const struct json_doc *doc, unsigned token, int64_t *out)
{
	const struct json_token *t = token_of(doc, token, JSON_NUMBER);
	if (!t)
		return -EINVAL;
	const char *s = doc->text + t->start, *end = doc->text + t->end;
	bool negative = s < end && *s == '-';
	/* The magnitude in unsigned arithmetic, so INT64_MIN needs no care. */
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
	s += negative;
	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (!is_digit((unsigned char)*s))
			return -EINVAL;  /* fraction or exponent */
		unsigned d = (unsigned)(*s - '0');
		if (v > (limit - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (!negative)
		*out = (int64_t)v;
	else
		*out = v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
	return 0;
}

bool json_string_is(const struct json_doc *doc, unsigned token, const char *s)
{
	const struct json_token *t = token_of(doc, token, JSON_STRING);
	return t && unescaped_is(doc, t, s);
}

/* --- splitting a stream --- */

static bool is_structural(unsigned char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

void json_stream_init(struct json_stream *s)
{
	s->len = 0;
	s->depth = 0;
	s->in_string = s->escape = s->in_bare = s->overflow = false;
}

struct feed {
	json_message_fn *on_message;
	json_error_fn *on_error;
	void *ctx;
};

/* A value ended: hand it over unless it overflowed, and start afresh. */
static void emit(struct json_stream *s, const struct feed *f)
{
	if (!s->overflow && f->on_message)
		f->on_message(f->ctx, s->buf, s->len);
	s->len = 0;
	s->overflow = false;
}

/* Keep one byte of the current value. Past JSON_MESSAGE_MAX the value is
 * reported once and its remaining bytes dropped; the state machine keeps
 * running so that the stream recovers where the value ends. */
static void keep(struct json_stream *s, unsigned char c, const struct feed *f)
{
	if (s->overflow)
		return;
	if (s->len == JSON_MESSAGE_MAX) {
		s->overflow = true;
		s->len = 0;
		if (f->on_error)
			f->on_error(f->ctx, "message over " STRINGIFY(JSON_MESSAGE_MAX) " bytes");
		return;
	}
	s->buf[s->len++] = (char)c;
}

static void feed_string_byte(struct json_stream *s, unsigned char c, const struct feed *f)
{
	keep(s, c, f);
	if (s->escape) {
		s->escape = false;
	} else if (c == '\\') {
		s->escape = true;
	} else if (c == '"') {
		s->in_string = false;
		if (s->depth == 0)
			emit(s, f);
	}
}

/* One byte. Only brackets and strings matter for where a value ends; the
 * parser judges everything else. A bare word (number, literal or junk) at
 * the top level has no closing byte, so it ends at the first blank or
 * structural character: one still open when the feed ends waits for more. */
static void feed_byte(struct json_stream *s, unsigned char c, const struct feed *f)
{
	if (s->in_bare) {
		if (!is_ws(c) && !is_structural(c)) {
			keep(s, c, f);
			return;
		}
		s->in_bare = false;
		emit(s, f);  /* and c starts whatever comes next */
	}
	if (s->in_string) {
		feed_string_byte(s, c, f);
		return;
	}
	if (s->depth == 0 && is_ws(c))
		return;
	keep(s, c, f);
	switch (c) {
	case '"':
		s->in_string = true;
		break;
	case '{':
	case '[':
		if (s->depth < UINT_MAX)
			s->depth++;
		break;
	case '}':
	case ']':
		/* At the top level a stray one is a message of its own. */
		if (s->depth == 0 || --s->depth == 0)
			emit(s, f);
		break;
	case ',':
	case ':':
		if (s->depth == 0)
			emit(s, f);
		break;
	default:
		if (s->depth == 0)
			s->in_bare = true;
	}
}

void json_stream_feed(struct json_stream *s, const char *data, size_t len, json_message_fn *on_message,
		      json_error_fn *on_error, void *ctx)
{
	const struct feed f = { .on_message = on_message, .on_error = on_error, .ctx = ctx };
	for (size_t i = 0; i < len; i++)
		feed_byte(s, (unsigned char)data[i], &f);
}

/* --- writing --- */

void json_out_init(struct json_out *out, char *buf, size_t size)
{
	*out = (struct json_out){ .buf = buf, .size = size };
	if (size)
		buf[0] = 0;
}

/* One byte is always kept for the terminating NUL. */
void json_out_raw(struct json_out *out, const char *text, size_t len)
{
	if (out->overflow)
		return;
	if (out->size == 0 || len > out->size - 1 - out->len) {
		out->overflow = true;
		return;
	}
	memcpy(out->buf + out->len, text, len);
	out->len += len;
	out->buf[out->len] = 0;
}

void json_out_printf(struct json_out *out, const char *format, ...)
{
	if (out->overflow)
		return;
	if (out->size == 0) {
		out->overflow = true;
		return;
	}
	size_t room = out->size - out->len;
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(out->buf + out->len, room, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		out->overflow = true;
		out->buf[out->len] = 0;  /* drop the part that did fit */
		return;
	}
	out->len += (size_t)n;
}

/* The escape for a byte JSON does not allow raw in a string, or NULL. */
static const char *escape_for(unsigned char c, char *buf)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (c >= 0x20)
		return NULL;
	snprintf(buf, 7, "\\u%04x", c);
	return buf;
}

void json_out_string(struct json_out *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	char buf[8];

	json_out_raw(out, "\"", 1);
	while (left && !out->overflow) {
		/* Plain bytes go out in runs, not one call each. */
		size_t run = 0;
		while (run < left && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run) {
			json_out_raw(out, (const char *)p, run);
		} else if (*p < 0x80) {
			const char *e = escape_for(*p, buf);
			json_out_raw(out, e, strlen(e));
			run = 1;
		} else if ((run = utf8_length(p, left))) {
			json_out_raw(out, (const char *)p, run);
		} else {
			json_out_raw(out, "\xef\xbf\xbd", 3);  /* U+FFFD */
			run = 1;
		}
		p += run;
		left -= run;
	}
	json_out_raw(out, "\"", 1);
}
