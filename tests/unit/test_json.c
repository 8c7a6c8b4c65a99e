/* The control socket's JSON (control/json.c): strict parsing with every
 * error's exact message, the token layout, duplicate keys, the depth and
 * token limits, unescaping, integers at their edges, splitting a byte
 * stream into messages however it is cut, and the writer's escaping and
 * overflow. Every parse reads an exact-size heap copy, so ASan sees any
 * read past the end. */
#include "helpers.h"

#include <errno.h>

#include "../../control/json.h"

static struct json_token tokens[JSON_TOKENS_MAX];
static struct json_doc doc = JSON_DOC(tokens);
static char error[JSON_ERROR_SIZE];
static char *copy;  /* the text the doc points at, freed by the next parse */

static int parse_n(const char *text, size_t len)
{
	free(copy);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(error, 'x', sizeof(error));
	return json_parse(&doc, copy, len, error);
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void parses(const char *text)
{
	if (parse(text))
		fail_msg("'%s' was refused: %s", text, error);
	assert_string_equal(error, "");
}

/* `prefix`, `fill` repeated `times`, `suffix`, in a malloc'd string. */
static char *repeat(const char *prefix, const char *fill, size_t times, const char *suffix)
{
	size_t head = strlen(prefix), each = strlen(fill), tail = strlen(suffix);
	char *s = malloc(head + each * times + tail + 1), *p = s;
	assert_non_null(s);
	memcpy(p, prefix, head);
	p += head;
	for (size_t i = 0; i < times; i++, p += each)
		memcpy(p, fill, each);
	memcpy(p, suffix, tail + 1);
	return s;
}

static int teardown_copy(void **state)
{
	(void)state;
	free(copy);
	copy = NULL;
	return 0;
}

/* --- valid documents --- */

struct valid_case {
	const char *name;
	const char *text;
	enum json_type type;  /* of the top-level value */
};

static const struct valid_case valid_cases[] = {
	{ "valid: empty object", "{}", JSON_OBJECT },
	{ "valid: empty array", "[]", JSON_ARRAY },
	{ "valid: blanks everywhere", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\n ", JSON_OBJECT },
	{ "valid: QMP command", "{\"execute\":\"qmp_capabilities\"}", JSON_OBJECT },
	{ "valid: QMP command with id", "{\"execute\":\"stop\",\"id\":1}", JSON_OBJECT },
	{ "valid: bare string", "\"hello\"", JSON_STRING },
	{ "valid: empty string", "\"\"", JSON_STRING },
	{ "valid: true", "true", JSON_TRUE },
	{ "valid: false", " false ", JSON_FALSE },
	{ "valid: null", "null", JSON_NULL },
	{ "valid: zero", "0", JSON_NUMBER },
	{ "valid: minus zero", "-0", JSON_NUMBER },
	{ "valid: minus zero point zero", "-0.0", JSON_NUMBER },
	{ "valid: fraction", "3.25", JSON_NUMBER },
	{ "valid: exponent", "1e10", JSON_NUMBER },
	{ "valid: exponent upper plus", "1E+2", JSON_NUMBER },
	{ "valid: exponent minus", "-12.5e-3", JSON_NUMBER },
	{ "valid: exponent leading zeros", "1e007", JSON_NUMBER },
	{ "valid: zero exponent", "0e0", JSON_NUMBER },
	{ "valid: huge number", "123456789012345678901234567890e999", JSON_NUMBER },
	{ "valid: every escape", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00E9\"", JSON_STRING },
	{ "valid: surrogate pair", "\"\\ud83d\\ude00\"", JSON_STRING },
	{ "valid: highest pair", "\"\\uDBFF\\uDFFF\"", JSON_STRING },
	{ "valid: BMP edge escapes", "\"\\u0001\\uffff\\ud7ff\\ue000\"", JSON_STRING },
	{ "valid: UTF-8 two bytes", "\"\xc2\x80 \xdf\xbf\"", JSON_STRING },
	{ "valid: UTF-8 three bytes", "\"\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\"", JSON_STRING },
	{ "valid: UTF-8 four bytes", "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"", JSON_STRING },
	{ "valid: DEL is not a control character", "\"\x7f\"", JSON_STRING },
	{ "valid: braces inside strings", "{\"}\":\"{[\",\"]\":\"\\\"}\"}", JSON_OBJECT },
	{ "valid: same key in different objects", "{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}",
	  JSON_OBJECT },
	{ "valid: keys differing by case", "{\"a\":1,\"A\":2}", JSON_OBJECT },
	{ "valid: key prefix of another", "{\"ab\":1,\"a\":2,\"abc\":3}", JSON_OBJECT },
	{ "valid: escaped keys that differ", "{\"\\u0061b\":1,\"a\\u0062c\":2}", JSON_OBJECT },
	{ "valid: nested arrays", "[[[]],[[1],[2,[3]]]]", JSON_ARRAY },
	{ "valid: mixed array", "[1,\"a\",true,false,null,{},[],-2.5e3]", JSON_ARRAY },
};

static void valid_document(void **state)
{
	const struct valid_case *c = *state;
	parses(c->text);
	assert_true(doc.count >= 1);
	assert_int_equal(doc.tokens[0].type, c->type);
	assert_int_equal(doc.tokens[0].next, doc.count);
	assert_ptr_equal(doc.text, copy);
	assert_int_equal(doc.len, strlen(c->text));
}

/* --- errors: each class, with its exact message --- */

struct error_case {
	const char *name;
	const char *text;
	size_t len;  /* 0: strlen(text) */
	int rc;
	const char *error;
};

static const struct error_case error_cases[] = {
	{ "error: empty", "", 0, -EINVAL, "unexpected end of input at byte 0 (expected a value)" },
	{ "error: only blanks", " \n\t ", 0, -EINVAL,
	  "unexpected end of input at byte 4 (expected a value)" },
	{ "error: a bare word", "x", 0, -EINVAL, "unexpected character 'x' at byte 0 (expected a value)" },
	{ "error: text after the value", "{\"a\":1} x", 0, -EINVAL,
	  "unexpected character 'x' at byte 8 (expected the end of input)" },
	{ "error: two values", "1 2", 0, -EINVAL,
	  "unexpected character '2' at byte 2 (expected the end of input)" },
	{ "error: two objects", "{}{}", 0, -EINVAL,
	  "unexpected character '{' at byte 2 (expected the end of input)" },
	{ "error: NUL after the value", "{}\0", 3, -EINVAL,
	  "unexpected byte 0x00 at byte 2 (expected the end of input)" },
	{ "error: byte order mark", "\xef\xbb\xbf{}", 0, -EINVAL,
	  "unexpected byte 0xef at byte 0 (expected a value)" },
	{ "error: vertical tab is no blank", "\v1", 0, -EINVAL,
	  "unexpected byte 0x0b at byte 0 (expected a value)" },
	{ "error: stray closing brace", "}", 0, -EINVAL,
	  "unexpected character '}' at byte 0 (expected a value)" },
	{ "error: trailing comma in array", "[1,]", 0, -EINVAL,
	  "unexpected character ']' at byte 3 (expected a value)" },
	{ "error: trailing comma in object", "{\"a\":1,}", 0, -EINVAL,
	  "unexpected character '}' at byte 7 (expected a member name)" },
	{ "error: leading comma", "[,1]", 0, -EINVAL,
	  "unexpected character ',' at byte 1 (expected a value)" },
	{ "error: unquoted key", "{a:1}", 0, -EINVAL,
	  "unexpected character 'a' at byte 1 (expected a member name)" },
	{ "error: number as key", "{1:1}", 0, -EINVAL,
	  "unexpected character '1' at byte 1 (expected a member name)" },
	{ "error: missing colon", "{\"a\" 1}", 0, -EINVAL,
	  "unexpected character '1' at byte 5 (expected ':')" },
	{ "error: missing value", "{\"a\":}", 0, -EINVAL,
	  "unexpected character '}' at byte 5 (expected a value)" },
	{ "error: object closed by bracket", "{\"a\":1]", 0, -EINVAL,
	  "unexpected character ']' at byte 6 (expected ',' or '}')" },
	{ "error: array closed by brace", "[1}", 0, -EINVAL,
	  "unexpected character '}' at byte 2 (expected ',' or ']')" },
	{ "error: missing comma", "[1 2]", 0, -EINVAL,
	  "unexpected character '2' at byte 3 (expected ',' or ']')" },
	{ "error: open array", "[", 0, -EINVAL, "unexpected end of input at byte 1 (expected a value)" },
	{ "error: open object", "{", 0, -EINVAL,
	  "unexpected end of input at byte 1 (expected a member name)" },
	{ "error: array cut after item", "[1", 0, -EINVAL,
	  "unexpected end of input at byte 2 (expected ',' or ']')" },
	{ "error: object cut after colon", "{\"a\":", 0, -EINVAL,
	  "unexpected end of input at byte 5 (expected a value)" },
	{ "error: object cut after key", "{\"a\"", 0, -EINVAL,
	  "unexpected end of input at byte 4 (expected ':')" },
	{ "error: deep cut", "[[{\"a\":[1]}", 0, -EINVAL,
	  "unexpected end of input at byte 11 (expected ',' or ']')" },
	{ "error: comment", "// hi\n{}", 0, -EINVAL,
	  "unexpected character '/' at byte 0 (expected a value)" },
	{ "error: single quotes", "'a'", 0, -EINVAL,
	  "unexpected character ''' at byte 0 (expected a value)" },
	/* numbers */
	{ "error: leading zero", "01", 0, -EINVAL, "leading zero in a number at byte 0" },
	{ "error: negative leading zero", "[-007]", 0, -EINVAL, "leading zero in a number at byte 2" },
	{ "error: plus sign", "+1", 0, -EINVAL, "unexpected character '+' at byte 0 (expected a value)" },
	{ "error: bare dot", ".5", 0, -EINVAL, "unexpected character '.' at byte 0 (expected a value)" },
	{ "error: minus alone", "-", 0, -EINVAL, "unexpected end of input at byte 1 (expected a digit)" },
	{ "error: minus dot", "-.5", 0, -EINVAL,
	  "unexpected character '.' at byte 1 (expected a digit)" },
	{ "error: trailing dot", "1.", 0, -EINVAL,
	  "unexpected end of input at byte 2 (expected a digit after '.')" },
	{ "error: dot then exponent", "1.e5", 0, -EINVAL,
	  "unexpected character 'e' at byte 2 (expected a digit after '.')" },
	{ "error: empty exponent", "1e", 0, -EINVAL,
	  "unexpected end of input at byte 2 (expected a digit in the exponent)" },
	{ "error: signed empty exponent", "[1E+]", 0, -EINVAL,
	  "unexpected character ']' at byte 4 (expected a digit in the exponent)" },
	{ "error: hex", "0x10", 0, -EINVAL,
	  "unexpected character 'x' at byte 1 (expected the end of input)" },
	{ "error: NaN", "NaN", 0, -EINVAL, "unexpected character 'N' at byte 0 (expected a value)" },
	{ "error: minus Infinity", "-Infinity", 0, -EINVAL,
	  "unexpected character 'I' at byte 1 (expected a digit)" },
	{ "error: two dots", "1.2.3", 0, -EINVAL,
	  "unexpected character '.' at byte 3 (expected the end of input)" },
	/* literals */
	{ "error: cut literal", "tru", 0, -EINVAL, "unexpected end of input at byte 3 (expected true)" },
	{ "error: wrong literal", "[nul1]", 0, -EINVAL,
	  "unexpected character '1' at byte 4 (expected null)" },
	{ "error: capital literal", "True", 0, -EINVAL,
	  "unexpected character 'T' at byte 0 (expected a value)" },
	{ "error: literal glued to more", "falsey", 0, -EINVAL,
	  "unexpected character 'y' at byte 5 (expected the end of input)" },
	/* strings */
	{ "error: unterminated string", "[\"abc", 0, -EINVAL, "unterminated string starting at byte 1" },
	{ "error: control character", "\"a\x01\"", 0, -EINVAL,
	  "control character 0x01 in a string at byte 2" },
	{ "error: raw tab", "\"a\tb\"", 0, -EINVAL, "control character 0x09 in a string at byte 2" },
	{ "error: raw newline", "\"a\nb\"", 0, -EINVAL, "control character 0x0a in a string at byte 2" },
	{ "error: raw NUL", "\"a\0b\"", 5, -EINVAL, "control character 0x00 in a string at byte 2" },
	{ "error: unknown escape", "\"\\x\"", 0, -EINVAL,
	  "unexpected character 'x' at byte 2 (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)" },
	{ "error: escaped quote mark", "\"\\'\"", 0, -EINVAL,
	  "unexpected character ''' at byte 2 (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)" },
	{ "error: escaped NUL byte", "\"\\\0\"", 4, -EINVAL,
	  "unexpected byte 0x00 at byte 2 (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)" },
	{ "error: backslash at the end", "\"\\", 0, -EINVAL,
	  "unexpected end of input at byte 2 (expected an escaped character)" },
	{ "error: short \\u", "\"\\u12\"", 0, -EINVAL, "bad \\u escape at byte 1 (expected 4 hex digits)" },
	{ "error: \\u cut by the end", "\"\\u12", 0, -EINVAL,
	  "bad \\u escape at byte 1 (expected 4 hex digits)" },
	{ "error: \\u not hex", "\"\\u12g4\"", 0, -EINVAL,
	  "bad \\u escape at byte 1 (expected 4 hex digits)" },
	{ "error: \\u0000", "\"ab\\u0000\"", 0, -EINVAL, "\\u0000 in a string at byte 3" },
	{ "error: lone low surrogate", "\"\\udc00\"", 0, -EINVAL, "unpaired surrogate \\udc00 at byte 1" },
	{ "error: lone high surrogate", "\"\\uD800\"", 0, -EINVAL, "unpaired surrogate \\ud800 at byte 1" },
	{ "error: high surrogate then letter", "\"\\ud800\\u0041\"", 0, -EINVAL,
	  "unpaired surrogate \\ud800 at byte 1" },
	{ "error: two high surrogates", "\"\\ud800\\ud800\"", 0, -EINVAL,
	  "unpaired surrogate \\ud800 at byte 1" },
	{ "error: high surrogate then other escape", "\"\\ud83d\\n\"", 0, -EINVAL,
	  "unpaired surrogate \\ud83d at byte 1" },
	{ "error: high surrogate cut", "\"\\ud83d\\ude0", 0, -EINVAL,
	  "unpaired surrogate \\ud83d at byte 1" },
	{ "error: swapped surrogates", "\"\\ude00\\ud83d\"", 0, -EINVAL,
	  "unpaired surrogate \\ude00 at byte 1" },
	{ "error: UTF-8 lone continuation", "\"\x80\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 overlong NUL", "\"\xc0\x80\"", 0, -EINVAL, "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 overlong two bytes", "\"a\xc1\xbf\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 2" },
	{ "error: UTF-8 overlong three bytes", "\"\xe0\x9f\xbf\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 overlong four bytes", "\"\xf0\x8f\xbf\xbf\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 high surrogate", "\"\xed\xa0\x80\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 low surrogate", "\"\xed\xbf\xbf\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 past U+10FFFF", "\"\xf4\x90\x80\x80\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 lead 0xf5", "\"\xf5\x80\x80\x80\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 byte 0xff", "\"\xff\"", 0, -EINVAL, "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 cut by the quote", "\"\xe2\x82\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 cut by the end", "\"\xf0\x9f\x98", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	{ "error: UTF-8 bad third byte", "\"\xe2\x82\x41\"", 0, -EINVAL,
	  "invalid UTF-8 in a string at byte 1" },
	/* duplicate keys */
	{ "error: duplicate key", "{\"a\":1,\"a\":2}", 0, -EINVAL, "duplicate key \"a\" at byte 7" },
	{ "error: duplicate key after a container", "{\"id\":{\"x\":[1]},\"b\":2,\"id\":3}", 0,
	  -EINVAL, "duplicate key \"id\" at byte 22" },
	{ "error: duplicate key escaped", "{\"a\":1,\"\\u0061\":2}", 0, -EINVAL, "duplicate key at byte 7" },
	{ "error: duplicate key escaped both ways", "{\"\\/\":1,\"/\":2}", 0, -EINVAL,
	  "duplicate key \"/\" at byte 8" },
	{ "error: duplicate empty key", "{\"\":1,\"\":2}", 0, -EINVAL, "duplicate key \"\" at byte 6" },
	{ "error: duplicate key nested", "[{\"b\":{\"c\":1,\"c\":1}}]", 0, -EINVAL,
	  "duplicate key \"c\" at byte 13" },
	{ "error: duplicate long key not shown",
	  "{\"0123456789012345678901234567890123456789\":1,"
	  "\"0123456789012345678901234567890123456789\":2}",
	  0, -EINVAL, "duplicate key at byte 46" },
	/* limits */
	{ "error: nested too deep",
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0, -E2BIG,
	  "nested deeper than 64 at byte 64" },
	{ "error: deep nesting beats a later syntax error",
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{x", 0, -E2BIG,
	  "nested deeper than 64 at byte 64" },
};

static void error_is_exact(void **state)
{
	const struct error_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	int rc = parse_n(c->text, len);
	if (rc != c->rc)
		fail_msg("'%s': rc %d, expected %d (%s)", c->name, rc, c->rc, rc ? error : "accepted");
	assert_string_equal(error, c->error);
	assert_int_equal(doc.count, 0);  /* nothing half-parsed to walk */
}

/* --- token layout --- */

static void expect_token(unsigned i, enum json_type type, uint32_t start, uint32_t end,
			 uint32_t children, uint32_t next)
{
	const struct json_token *t = &doc.tokens[i];
	if (t->type != type || t->start != start || t->end != end || t->children != children ||
	    t->next != next)
		fail_msg("token %u: type %d [%u, %u) children %u next %u; expected type %d [%u, %u) "
			 "children %u next %u",
			 i, t->type, t->start, t->end, t->children, t->next, type, start, end,
			 children, next);
}

static void token_layout(void **state)
{
	(void)state;
	/*        0         1         2
	 *        012345678901234567890123456789 */
	parses("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}");
	assert_int_equal(doc.count, 10);
	expect_token(0, JSON_OBJECT, 0, 30, 2, 10);
	expect_token(1, JSON_STRING, 2, 3, 0, 2);
	expect_token(2, JSON_ARRAY, 5, 21, 3, 8);
	expect_token(3, JSON_NUMBER, 6, 7, 0, 4);
	expect_token(4, JSON_NUMBER, 8, 9, 0, 5);
	expect_token(5, JSON_OBJECT, 10, 20, 1, 8);
	expect_token(6, JSON_STRING, 12, 13, 0, 7);
	expect_token(7, JSON_NULL, 15, 19, 0, 8);
	expect_token(8, JSON_STRING, 23, 24, 0, 9);
	expect_token(9, JSON_STRING, 27, 28, 0, 10);
}

static void token_layout_of_scalars_and_empties(void **state)
{
	(void)state;
	parses("  -1.5e3 \n");
	assert_int_equal(doc.count, 1);
	expect_token(0, JSON_NUMBER, 2, 8, 0, 1);
	parses("\"a\\nb\"");
	expect_token(0, JSON_STRING, 1, 5, 0, 1);
	parses("{ }");
	expect_token(0, JSON_OBJECT, 0, 3, 0, 1);
	parses("[[],{}, true ,false]");
	assert_int_equal(doc.count, 5);
	expect_token(0, JSON_ARRAY, 0, 20, 4, 5);
	expect_token(1, JSON_ARRAY, 1, 3, 0, 2);
	expect_token(2, JSON_OBJECT, 4, 6, 0, 3);
	expect_token(3, JSON_TRUE, 8, 12, 0, 4);
	expect_token(4, JSON_FALSE, 14, 19, 0, 5);
}

/* Every token's children, walked by `next`, end exactly where it does. */
static void next_links_walk_every_subtree(void **state)
{
	(void)state;
	parses("[{\"a\":[[1,2],{\"x\":{}}],\"b\":\"s\"},[[[]]],3,{\"k\":[null,{\"z\":[]}]}]");
	for (unsigned i = 0; i < doc.count; i++) {
		const struct json_token *t = &doc.tokens[i];
		assert_true(t->next > i && t->next <= doc.count);
		if (t->type != JSON_OBJECT && t->type != JSON_ARRAY) {
			assert_int_equal(t->next, i + 1);
			continue;
		}
		unsigned per = t->type == JSON_OBJECT ? 2 : 1, j = i + 1;
		for (unsigned k = 0; k < t->children * per; k++) {
			assert_true(doc.tokens[j].start > t->start && doc.tokens[j].end < t->end);
			j = doc.tokens[j].next;
		}
		assert_int_equal(j, t->next);
	}
}

/* --- limits --- */

static void depth_limit_is_inclusive(void **state)
{
	(void)state;
	char *text = repeat("", "[", JSON_DEPTH_MAX, "");
	char *close = repeat(text, "]", JSON_DEPTH_MAX, "");
	parses(close);
	assert_int_equal(doc.count, JSON_DEPTH_MAX);
	free(close);
	free(text);

	text = repeat("", "{\"a\":", JSON_DEPTH_MAX, "1");
	close = repeat(text, "}", JSON_DEPTH_MAX, "");
	parses(close);
	free(close);
	free(text);

	text = repeat("", "{\"a\":", JSON_DEPTH_MAX + 1, "1");
	close = repeat(text, "}", JSON_DEPTH_MAX + 1, "");
	assert_int_equal(parse(close), -E2BIG);
	assert_string_equal(error, "nested deeper than 64 at byte 320");
	free(close);
	free(text);
}

/* {"0":0,"1":1,...} with `members` members, malloc'd. */
static char *object_of(int members)
{
	char *text = malloc(32 * (size_t)members + 3), *p = text;
	assert_non_null(text);
	*p++ = '{';
	for (int i = 0; i < members; i++)
		p += sprintf(p, "%s\"%d\":%d", i ? "," : "", i, i);
	strcpy(p, "}");
	return text;
}

/* The capacity is the caller's: a bigger store takes a bigger document. */
static void capacity_is_the_callers(void **state)
{
	(void)state;
	static struct json_token big_tokens[8192];
	struct json_doc big = JSON_DOC(big_tokens);
	char *text = repeat("[", "0,", 4999, "0]");
	assert_int_equal(json_parse(&big, text, strlen(text), error), 0);
	assert_int_equal(big.count, 5001);
	assert_int_equal(json_parse(&doc, text, strlen(text), error), -E2BIG);
	free(text);
}

static void token_limit_is_inclusive(void **state)
{
	(void)state;
	/* The array and its elements: exactly JSON_TOKENS_MAX. */
	char *text = repeat("[", "0,", JSON_TOKENS_MAX - 2, "0]");
	parses(text);
	assert_int_equal(doc.count, JSON_TOKENS_MAX);
	assert_int_equal(doc.tokens[0].children, JSON_TOKENS_MAX - 1);
	free(text);

	text = repeat("[", "0,", JSON_TOKENS_MAX - 1, "0]");
	assert_int_equal(parse(text), -E2BIG);
	assert_string_equal(error, "more than 1024 values at byte 2047");
	assert_int_equal(doc.count, 0);
	free(text);

	/* Keys are tokens too: 511 members and the object make 1023. */
	text = object_of(512);
	assert_int_equal(parse(text), -E2BIG);
	free(text);
	text = object_of(511);
	parses(text);
	assert_int_equal(doc.count, 1023);
	assert_int_equal(doc.tokens[0].children, 511);
	assert_int_equal(json_object_get(&doc, 0, "510"), 1022);
	free(text);
}

/* Past 4 GiB offsets would not fit a token; the text is never read. */
static void text_over_4_gib(void **state)
{
	(void)state;
	assert_int_equal(json_parse(&doc, "", (size_t)UINT32_MAX + 1, error), -E2BIG);
	assert_string_equal(error, "text over 4 GiB");
	assert_int_equal(json_parse(&doc, "1", 1, NULL), 0);  /* no error buffer is fine */
	assert_int_equal(json_parse(&doc, "x", 1, NULL), -EINVAL);
}

/* --- reading values --- */

static void object_get(void **state)
{
	(void)state;
	parses("{\"execute\":\"stop\",\"arguments\":{\"id\":[1,{\"x\":2}],\"y\":3},\"id\":7,"
	       "\"caf\\u00e9\":true,\"\\\"q\\\"\":null}");
	int args = json_object_get(&doc, 0, "arguments");
	assert_int_equal(json_object_get(&doc, 0, "execute"), 2);
	assert_int_equal(args, 4);
	assert_int_equal(doc.tokens[args].type, JSON_OBJECT);
	int id = json_object_get(&doc, 0, "id");
	assert_true(id > 0);
	int64_t v;
	assert_int_equal(json_int64(&doc, (unsigned)id, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(doc.tokens[json_object_get(&doc, (unsigned)args, "id")].type, JSON_ARRAY);
	assert_int_equal(json_int64(&doc, (unsigned)json_object_get(&doc, (unsigned)args, "y"), &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(doc.tokens[json_object_get(&doc, 0, "caf\xc3\xa9")].type, JSON_TRUE);
	assert_int_equal(doc.tokens[json_object_get(&doc, 0, "\"q\"")].type, JSON_NULL);
	/* Not there, a nested key, a prefix, not an object, out of range. */
	assert_int_equal(json_object_get(&doc, 0, "x"), -1);
	assert_int_equal(json_object_get(&doc, 0, "y"), -1);
	assert_int_equal(json_object_get(&doc, 0, "exec"), -1);
	assert_int_equal(json_object_get(&doc, 0, "executes"), -1);
	assert_int_equal(json_object_get(&doc, 0, ""), -1);
	assert_int_equal(json_object_get(&doc, 1, "execute"), -1);
	assert_int_equal(json_object_get(&doc, 5, "id"), -1);
	assert_int_equal(json_object_get(&doc, doc.count, "id"), -1);
	assert_int_equal(json_object_get(&doc, 1000000, "id"), -1);
	parses("{}");
	assert_int_equal(json_object_get(&doc, 0, ""), -1);
	parses("{\"\":0}");
	assert_int_equal(json_object_get(&doc, 0, ""), 2);
}

static void string_unescapes(void **state)
{
	(void)state;
	char out[64];
	parses("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\", \"plain\", "
	       "\"\", 1]");
	const char expected[] = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
	assert_int_equal(json_string(&doc, 1, out, sizeof(out)), (int)strlen(expected));
	assert_string_equal(out, expected);
	assert_true(json_string_is(&doc, 1, expected));
	assert_int_equal(json_string(&doc, 2, out, sizeof(out)), 5);
	assert_string_equal(out, "plain");
	assert_int_equal(json_string(&doc, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_true(json_string_is(&doc, 3, ""));
	/* Not strings, or not tokens. */
	assert_int_equal(json_string(&doc, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(json_string(&doc, 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(json_string(&doc, 5, out, sizeof(out)), -EINVAL);
	assert_false(json_string_is(&doc, 4, "1"));
	assert_false(json_string_is(&doc, 0, ""));
	assert_false(json_string_is(&doc, 99, ""));
}

static void string_size_edges(void **state)
{
	(void)state;
	char out[16];
	parses("[\"abcdefg\", \"\\u00e9\\u00e9\\u00e9\\u00e9\", \"\"]");
	assert_int_equal(json_string(&doc, 1, out, 8), 7);  /* 7 bytes and the NUL */
	assert_string_equal(out, "abcdefg");
	assert_int_equal(json_string(&doc, 1, out, 7), -E2BIG);
	/* Four escapes of 6 bytes, 8 bytes once unescaped. */
	assert_int_equal(json_string(&doc, 2, out, 9), 8);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_int_equal(json_string(&doc, 2, out, 8), -E2BIG);
	assert_int_equal(json_string(&doc, 3, out, 1), 0);
	assert_int_equal(json_string(&doc, 3, out, 0), -E2BIG);
}

static void string_is_compares_whole_strings(void **state)
{
	(void)state;
	parses("[\"stop\", \"st\\u006fp\", \"sto\", \"stopp\"]");
	assert_true(json_string_is(&doc, 1, "stop"));
	assert_true(json_string_is(&doc, 2, "stop"));
	assert_false(json_string_is(&doc, 3, "stop"));
	assert_false(json_string_is(&doc, 4, "stop"));
	assert_false(json_string_is(&doc, 1, "Stop"));
	assert_false(json_string_is(&doc, 1, "sto"));
	assert_false(json_string_is(&doc, 1, ""));
}

struct int_case {
	const char *name;
	const char *text;
	int rc;
	int64_t value;
};

static const struct int_case int_cases[] = {
	{ "int64: zero", "0", 0, 0 },
	{ "int64: minus zero", "-0", 0, 0 },
	{ "int64: one", "1", 0, 1 },
	{ "int64: minus one", "-1", 0, -1 },
	{ "int64: INT64_MAX", "9223372036854775807", 0, INT64_MAX },
	{ "int64: INT64_MIN", "-9223372036854775808", 0, INT64_MIN },
	{ "int64: INT64_MAX + 1", "9223372036854775808", -EINVAL, 0 },
	{ "int64: INT64_MIN - 1", "-9223372036854775809", -EINVAL, 0 },
	{ "int64: UINT64_MAX", "18446744073709551615", -EINVAL, 0 },
	{ "int64: 2^64 wraps to nothing", "18446744073709551616", -EINVAL, 0 },
	{ "int64: ten times INT64_MAX", "92233720368547758070", -EINVAL, 0 },
	{ "int64: far too long", "100000000000000000000000000000000000000", -EINVAL, 0 },
	{ "int64: fraction", "1.0", -EINVAL, 0 },
	{ "int64: zero fraction", "-0.0", -EINVAL, 0 },
	{ "int64: exponent", "1e3", -EINVAL, 0 },
	{ "int64: upper exponent", "1E0", -EINVAL, 0 },
	{ "int64: string", "\"1\"", -EINVAL, 0 },
	{ "int64: true", "true", -EINVAL, 0 },
	{ "int64: null", "null", -EINVAL, 0 },
	{ "int64: array", "[1]", -EINVAL, 0 },
};

static void int64_case(void **state)
{
	const struct int_case *c = *state;
	parses(c->text);
	int64_t v = 12345;
	assert_int_equal(json_int64(&doc, 0, &v), c->rc);
	if (c->rc == 0)
		assert_true(v == c->value);
	else
		assert_true(v == 12345);  /* untouched on refusal */
}

static void int64_bad_index(void **state)
{
	(void)state;
	int64_t v;
	parses("[1]");
	assert_int_equal(json_int64(&doc, 1, &v), 0);
	assert_int_equal(json_int64(&doc, 2, &v), -EINVAL);
	assert_int_equal(json_int64(&doc, UINT32_MAX, &v), -EINVAL);
}

/* --- the stream splitter --- */

#define MESSAGES_MAX 64

struct collected {
	char pool[4 * JSON_MESSAGE_MAX];
	size_t used;
	size_t start[MESSAGES_MAX], len[MESSAGES_MAX];
	unsigned count, errors;
	const char *error;
};

static struct collected got, first;
static struct json_stream stream;

static void on_message(void *ctx, const char *text, size_t len)
{
	struct collected *c = ctx;
	assert_true(c->count < MESSAGES_MAX);
	assert_true(len > 0 && len <= JSON_MESSAGE_MAX);
	assert_true(c->used + len <= sizeof(c->pool));
	memcpy(c->pool + c->used, text, len);
	c->start[c->count] = c->used;
	c->len[c->count++] = len;
	c->used += len;
}

static void on_error(void *ctx, const char *problem)
{
	struct collected *c = ctx;
	c->errors++;
	c->error = problem;
}

static void reset(void)
{
	memset(&got, 0, sizeof(got));
	json_stream_init(&stream);
}

static void feed(const char *data, size_t len)
{
	json_stream_feed(&stream, data, len, on_message, on_error, &got);
}

static void feed_str(const char *data)
{
	feed(data, strlen(data));
}

static void expect_message(unsigned i, const char *text)
{
	if (i >= got.count)
		fail_msg("message %u missing ('%s' expected): %u messages", i, text, got.count);
	if (got.len[i] != strlen(text) || memcmp(got.pool + got.start[i], text, got.len[i]))
		fail_msg("message %u is '%.*s', expected '%s'", i, (int)got.len[i],
			 got.pool + got.start[i], text);
}

static void same_as_first(const char *how)
{
	if (got.count != first.count || got.errors != first.errors)
		fail_msg("%s: %u messages and %u errors, one-shot had %u and %u", how, got.count,
			 got.errors, first.count, first.errors);
	for (unsigned i = 0; i < got.count; i++)
		if (got.len[i] != first.len[i] ||
		    memcmp(got.pool + got.start[i], first.pool + first.start[i], got.len[i]))
			fail_msg("%s: message %u differs", how, i);
}

/* Glued values, blanks between them, brackets and escaped quotes inside
 * strings, bare scalars, stray brackets and separators. */
static const char sample[] =
	"{\"execute\":\"qmp_capabilities\"}{\"execute\":\"stop\",\"id\":1}\r\n"
	"  [1,[2,{\"a\":\"}]\\\"{\"}]]\t\"str}\\\"ing\" 42 true,null:}] -1.5e3{\"x\":\"\\\\\"}\n";
static const char *const sample_messages[] = {
	"{\"execute\":\"qmp_capabilities\"}",
	"{\"execute\":\"stop\",\"id\":1}",
	"[1,[2,{\"a\":\"}]\\\"{\"}]]",
	"\"str}\\\"ing\"",
	"42",
	"true",
	",",
	"null",
	":",
	"}",
	"]",
	"-1.5e3",
	"{\"x\":\"\\\\\"}",
};

static void stream_splits_glued_values(void **state)
{
	(void)state;
	reset();
	feed(sample, sizeof(sample) - 1);
	assert_int_equal(got.errors, 0);
	assert_int_equal(got.count, ARRAY_SIZE(sample_messages));
	for (unsigned i = 0; i < ARRAY_SIZE(sample_messages); i++)
		expect_message(i, sample_messages[i]);
}

static void stream_byte_by_byte_equals_one_shot(void **state)
{
	(void)state;
	reset();
	feed(sample, sizeof(sample) - 1);
	first = got;
	reset();
	for (size_t i = 0; i < sizeof(sample) - 1; i++)
		feed(sample + i, 1);
	same_as_first("byte by byte");
}

static void stream_every_split_equals_one_shot(void **state)
{
	(void)state;
	size_t n = sizeof(sample) - 1;
	reset();
	feed(sample, n);
	first = got;
	char how[64];
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i; j <= n; j += 7) {
			reset();
			feed(sample, i);
			feed(sample + i, j - i);
			feed(sample + j, 0);
			feed(sample + j, n - j);
			snprintf(how, sizeof(how), "split at %zu and %zu", i, j);
			same_as_first(how);
		}
	}
}

/* What the QMP layer does with each message: the parser judges it. */
static void stream_messages_parse_as_expected(void **state)
{
	(void)state;
	reset();
	feed(sample, sizeof(sample) - 1);
	for (unsigned i = 0; i < got.count; i++) {
		int rc = parse_n(got.pool + got.start[i], got.len[i]);
		bool stray = got.len[i] == 1 && strchr(",:}]", got.pool[got.start[i]]);
		if (stray) {
			assert_int_equal(rc, -EINVAL);
			assert_contains(error, "at byte 0 (expected a value)");
		} else if (rc) {
			fail_msg("message %u refused: %s", i, error);
		}
	}
}

/* A number or literal has no closing byte: it waits for what ends it. */
static void stream_bare_word_waits_for_its_end(void **state)
{
	(void)state;
	reset();
	feed_str("12");
	feed_str("34");
	assert_int_equal(got.count, 0);
	feed_str(" ");
	assert_int_equal(got.count, 1);
	expect_message(0, "1234");
	feed_str("tru");
	feed_str("e{}");
	assert_int_equal(got.count, 3);
	expect_message(1, "true");
	expect_message(2, "{}");
	feed_str("nul\"x\"");
	expect_message(3, "nul");
	expect_message(4, "\"x\"");
	/* Junk is a word too; the parser says what is wrong with it. */
	feed_str("\x01\xff\n");
	expect_message(5, "\x01\xff");
	assert_int_equal(got.errors, 0);
}

static void stream_strings_hide_brackets(void **state)
{
	(void)state;
	reset();
	feed_str("{\"a\":\"}}}]]]\\\\\",\"b\":\"\\\"}\\\"\"");
	assert_int_equal(got.count, 0);
	feed_str("}");
	expect_message(0, "{\"a\":\"}}}]]]\\\\\",\"b\":\"\\\"}\\\"\"}");
	/* A backslash split from what it escapes. */
	feed_str("[\"\\");
	feed_str("\"]\"");
	assert_int_equal(got.count, 1);
	feed_str("]");
	expect_message(1, "[\"\\\"]\"]");
}

static void stream_stray_closers(void **state)
{
	(void)state;
	reset();
	feed_str("}]{}]");
	assert_int_equal(got.count, 4);
	expect_message(0, "}");
	expect_message(1, "]");
	expect_message(2, "{}");
	expect_message(3, "]");
	/* Mismatched brackets still end the value: the parser refuses it. */
	feed_str("[}");
	expect_message(4, "[}");
	assert_int_equal(got.errors, 0);
}

static void stream_blanks_only(void **state)
{
	(void)state;
	reset();
	feed_str(" \r\n\t \n");
	feed(NULL, 0);
	assert_int_equal(got.count, 0);
	assert_int_equal(got.errors, 0);
}

/* A value of exactly JSON_MESSAGE_MAX bytes is a message. */
static void stream_largest_message(void **state)
{
	(void)state;
	char *text = repeat("[\"", "x", JSON_MESSAGE_MAX - 4, "\"]");
	assert_int_equal(strlen(text), JSON_MESSAGE_MAX);
	reset();
	feed_str(text);
	assert_int_equal(got.errors, 0);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.len[0], JSON_MESSAGE_MAX);
	assert_memory_equal(got.pool, text, JSON_MESSAGE_MAX);
	free(text);
}

static void oversize_recovers(const char *head, const char *fill, const char *tail, bool bytewise)
{
	char *text = repeat(head, fill, JSON_MESSAGE_MAX + 1, tail);
	char *all = repeat(text, "", 0, "{\"ok\":1}");
	reset();
	if (bytewise)
		for (size_t i = 0; all[i]; i++)
			feed(all + i, 1);
	else
		feed_str(all);
	assert_int_equal(got.errors, 1);
	assert_string_equal(got.error, "message over 65536 bytes");
	assert_int_equal(got.count, 1);
	expect_message(0, "{\"ok\":1}");
	free(all);
	free(text);
}

static void stream_oversize_object_is_skipped(void **state)
{
	(void)state;
	oversize_recovers("{\"a\":\"", "x", "\"}", false);
	oversize_recovers("{\"a\":\"", "x", "\"}", true);
}

/* Past the limit the bytes are dropped, but strings and brackets in them
 * are still followed, so the end is found where it really is. */
static void stream_oversize_keeps_tracking(void **state)
{
	(void)state;
	oversize_recovers("[", "[\"}]\\\"\"],", "[{\"z\":\"]}\"}]]", false);
	oversize_recovers("", "x", " ", false);        /* a bare word */
	oversize_recovers("\"", "}", "\"", false);     /* a top-level string */
}

static void stream_two_oversize_values(void **state)
{
	(void)state;
	char *big = repeat("[", "1,", JSON_MESSAGE_MAX, "1]");
	reset();
	feed_str(big);
	feed_str("{}");
	feed_str(big);
	feed_str("[2]");
	assert_int_equal(got.errors, 2);
	assert_int_equal(got.count, 2);
	expect_message(0, "{}");
	expect_message(1, "[2]");
	free(big);
}

/* --- the writer --- */

struct escape_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct escape_case escape_cases[] = {
	{ "write: plain", "plain text", "\"plain text\"" },
	{ "write: empty", "", "\"\"" },
	{ "write: quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "write: named controls", "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	{ "write: other controls", "\x01\x1f\x0b", "\"\\u0001\\u001f\\u000b\"" },
	{ "write: slash and DEL stay", "/\x7f", "\"/\x7f\"" },
	{ "write: valid UTF-8 stays", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"" },
	{ "write: byte 0xff", "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },
	{ "write: lone continuation", "\x80", "\"\xef\xbf\xbd\"" },
	{ "write: overlong", "\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "write: surrogate", "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "write: past U+10FFFF", "\xf4\x90\x80\x80",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "write: cut sequence", "a\xe2\x82", "\"a\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "write: cut sequence then text", "\xe2\x82z\n", "\"\xef\xbf\xbd\xef\xbf\xbdz\\n\"" },
};

static void escape_case(void **state)
{
	const struct escape_case *c = *state;
	char buf[128];
	struct json_out out;
	json_out_init(&out, buf, sizeof(buf));
	json_out_string(&out, c->in);
	assert_false(out.overflow);
	assert_string_equal(buf, c->out);
	assert_int_equal(out.len, strlen(c->out));
}

static void writer_builds_a_reply(void **state)
{
	(void)state;
	char buf[128];
	struct json_out out;
	json_out_init(&out, buf, sizeof(buf));
	assert_string_equal(buf, "");
	json_out_raw(&out, "{\"return\":{\"status\":", 20);
	json_out_string(&out, "running");
	json_out_printf(&out, ",\"running\":%s,\"n\":%d}", "true", -3);
	json_out_raw(&out, ",\"id\":", 6);
	json_out_string(&out, "x\"1");
	json_out_raw(&out, "}", 1);
	assert_false(out.overflow);
	assert_string_equal(buf, "{\"return\":{\"status\":\"running\",\"running\":true,\"n\":-3},"
				 "\"id\":\"x\\\"1\"}");
	assert_int_equal(out.len, strlen(buf));
	parses(buf);
}

static void writer_overflow_sticks(void **state)
{
	(void)state;
	char buf[8];
	struct json_out out;
	json_out_init(&out, buf, sizeof(buf));
	json_out_raw(&out, "1234567", 7);  /* 7 bytes and the NUL: full */
	assert_false(out.overflow);
	assert_string_equal(buf, "1234567");
	json_out_raw(&out, "", 0);
	assert_false(out.overflow);
	json_out_raw(&out, "8", 1);
	assert_true(out.overflow);
	assert_string_equal(buf, "1234567");
	assert_int_equal(out.len, 7);

	json_out_init(&out, buf, sizeof(buf));
	json_out_raw(&out, "12", 2);
	json_out_printf(&out, "%d", 123456);  /* 8 bytes with its NUL: one too many */
	assert_true(out.overflow);
	assert_string_equal(buf, "12");
	json_out_raw(&out, "3", 1);  /* would fit, but the reply is already broken */
	json_out_printf(&out, "x");
	json_out_string(&out, "");
	assert_true(out.overflow);
	assert_string_equal(buf, "12");

	json_out_init(&out, buf, sizeof(buf));
	json_out_printf(&out, "%s", "1234567");
	assert_false(out.overflow);
	assert_string_equal(buf, "1234567");

	json_out_init(&out, buf, sizeof(buf));
	json_out_string(&out, "abcdefgh");
	assert_true(out.overflow);
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(out.len, strlen(buf));

	json_out_init(&out, buf, sizeof(buf));
	json_out_string(&out, "\n\n\n");  /* "\n\n\n" escaped is 8 bytes */
	assert_true(out.overflow);
	json_out_init(&out, buf, sizeof(buf));
	json_out_string(&out, "\n\n");
	assert_false(out.overflow);
	assert_string_equal(buf, "\"\\n\\n\"");
}

static void writer_zero_size(void **state)
{
	(void)state;
	char buf[1] = { 'x' };
	struct json_out out;
	json_out_init(&out, buf, 0);
	assert_int_equal(buf[0], 'x');
	json_out_printf(&out, "%s", "");
	assert_true(out.overflow);
	assert_int_equal(buf[0], 'x');
	json_out_init(&out, buf, 1);
	assert_int_equal(buf[0], 0);
	json_out_raw(&out, "", 0);
	assert_false(out.overflow);
	json_out_raw(&out, "a", 1);
	assert_true(out.overflow);
	assert_int_equal(buf[0], 0);
}

static size_t encode_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Whatever bytes go in, the writer's output parses; and text that is
 * valid UTF-8 comes back out of json_string unchanged. */
static void writer_output_always_parses(void **state)
{
	(void)state;
	static char in[1024], buf[8192], back[1024];
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		bool valid = round % 2 == 0;
		size_t n = 0, count = 1 + (size_t)round % 200;
		for (size_t i = 0; i < count; i++) {
			uint32_t r = next_random(&seed);
			if (!valid) {
				in[n++] = (char)(1 + r % 255);
				continue;
			}
			/* Code points of every length, surrogates excluded. */
			uint32_t cp = r % 4 == 0 ? 1 + r % 0x7f : r % 0x110000;
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 'a';
			n += encode_utf8(in + n, cp);
		}
		in[n] = 0;
		struct json_out out;
		json_out_init(&out, buf, sizeof(buf));
		json_out_string(&out, in);
		assert_false(out.overflow);
		if (parse_n(buf, out.len))
			fail_msg("round %d: output refused: %s", round, error);
		assert_int_equal(doc.count, 1);
		assert_true(json_string(&doc, 0, back, sizeof(back)) >= 0);
		if (valid)
			assert_string_equal(back, in);
	}
}

static void writer_round_trips(void **state)
{
	(void)state;
	static const char *const strings[] = {
		"", "a", "\"", "\\", "\x01\x02\x1f", "{\"execute\":\"stop\"}", "\xc3\xa9t\xc3\xa9",
		"\xf0\x9f\x98\x80\n\t", "\\u0000", "/", "\x7f",
	};
	char buf[256], back[256];
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		struct json_out out;
		json_out_init(&out, buf, sizeof(buf));
		json_out_string(&out, strings[i]);
		parses(buf);
		assert_int_equal(json_string(&doc, 0, back, sizeof(back)), (int)strlen(strings[i]));
		assert_string_equal(back, strings[i]);
		assert_true(json_string_is(&doc, 0, strings[i]));
	}
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(token_layout),
		cmocka_unit_test(token_layout_of_scalars_and_empties),
		cmocka_unit_test(next_links_walk_every_subtree),
		cmocka_unit_test(depth_limit_is_inclusive),
		cmocka_unit_test(token_limit_is_inclusive),
		cmocka_unit_test(capacity_is_the_callers),
		cmocka_unit_test(text_over_4_gib),
		cmocka_unit_test(object_get),
		cmocka_unit_test(string_unescapes),
		cmocka_unit_test(string_size_edges),
		cmocka_unit_test(string_is_compares_whole_strings),
		cmocka_unit_test(int64_bad_index),
		cmocka_unit_test(stream_splits_glued_values),
		cmocka_unit_test(stream_byte_by_byte_equals_one_shot),
		cmocka_unit_test(stream_every_split_equals_one_shot),
		cmocka_unit_test(stream_messages_parse_as_expected),
		cmocka_unit_test(stream_bare_word_waits_for_its_end),
		cmocka_unit_test(stream_strings_hide_brackets),
		cmocka_unit_test(stream_stray_closers),
		cmocka_unit_test(stream_blanks_only),
		cmocka_unit_test(stream_largest_message),
		cmocka_unit_test(stream_oversize_object_is_skipped),
		cmocka_unit_test(stream_oversize_keeps_tracking),
		cmocka_unit_test(stream_two_oversize_values),
		cmocka_unit_test(writer_builds_a_reply),
		cmocka_unit_test(writer_overflow_sticks),
		cmocka_unit_test(writer_zero_size),
		cmocka_unit_test(writer_output_always_parses),
		cmocka_unit_test(writer_round_trips),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(valid_cases) + ARRAY_SIZE(error_cases) +
				ARRAY_SIZE(int_cases) + ARRAY_SIZE(escape_cases)];
	size_t n = 0;
	add_tests(tests, n, fixed);
	add_case_tests(tests, n, valid_cases, valid_document, NULL, teardown_copy);
	add_case_tests(tests, n, error_cases, error_is_exact, NULL, teardown_copy);
	add_case_tests(tests, n, int_cases, int64_case, NULL, teardown_copy);
	add_case_tests(tests, n, escape_cases, escape_case, NULL, NULL);
	int failed = run_group("test_json", tests, n);
	free(copy);
	return failed;
}
