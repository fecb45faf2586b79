/*
 * jsoncheck: see jsoncheck.h. A hand-written recursive-descent recogniser:
 * no JSON library offers "is this exactly what PostgreSQL's jsonb accepts"
 * without building a tree, and this one runs before any allocation. The
 * recursion depth is bounded by max_depth, so hostile nesting cannot exhaust
 * the stack.
 */
#include "jsoncheck.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end, *start;
	int max_depth;
	struct json_check_error *err;
};

static int jc_value(struct jc *c, int depth);

static int
jc_fail(struct jc *c, const char *msg)
{
	const unsigned char *q;
	int line = 1, col = 1;

	for (q = c->start; q < c->p && q < c->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	c->err->offset = (size_t)(c->p - c->start);
	c->err->line = line;
	c->err->column = col;
	snprintf(c->err->message, sizeof(c->err->message), "%s", msg);
	return -1;
}

static void
jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
jc_literal(struct jc *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return jc_fail(c, "unexpected character");
	c->p += n;
	return 0;
}

static int
jc_hex4(struct jc *c, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (c->end - c->p < 4)
		return jc_fail(c, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char h = c->p[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (unsigned)(h - 'A' + 10);
		else
			return jc_fail(c, "bad hex digit in \\u escape");
	}
	c->p += 4;
	*out = v;
	return 0;
}

/* One UTF-8 sequence starting at c->p (which is >= 0x80). */
static int
jc_utf8(struct jc *c)
{
	const unsigned char *s = c->p;
	size_t avail = (size_t)(c->end - s);
	uint32_t cp;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
	} else {
		return jc_fail(c, "invalid UTF-8");
	}
	if (avail < n)
		return jc_fail(c, "truncated UTF-8 sequence");
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return jc_fail(c, "invalid UTF-8");
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return jc_fail(c, "invalid UTF-8 (overlong, surrogate or "
		    "out of range)");
	c->p += n;
	return 0;
}

static int
jc_string(struct jc *c)
{
	unsigned u, lo;

	c->p++; /* opening quote */
	while (c->p < c->end) {
		unsigned char ch = *c->p;

		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return jc_fail(c, "control character in string");
		if (ch >= 0x80) {
			if (jc_utf8(c) == -1)
				return -1;
			continue;
		}
		if (ch != '\\') {
			c->p++;
			continue;
		}
		c->p++;
		if (c->p >= c->end)
			return jc_fail(c, "truncated escape");
		switch (*c->p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			c->p++;
			break;
		case 'u':
			c->p++;
			if (jc_hex4(c, &u) == -1)
				return -1;
			if (u == 0)
				return jc_fail(c, "\\u0000 is not supported");
			if (u >= 0xdc00 && u <= 0xdfff)
				return jc_fail(c, "lone low surrogate escape");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (c->end - c->p < 2 || c->p[0] != '\\' ||
				    c->p[1] != 'u')
					return jc_fail(c,
					    "lone high surrogate escape");
				c->p += 2;
				if (jc_hex4(c, &lo) == -1)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jc_fail(c,
					    "bad surrogate pair escape");
			}
			break;
		default:
			return jc_fail(c, "invalid escape in string");
		}
	}
	return jc_fail(c, "unterminated string");
}

static int
jc_digits(struct jc *c)
{
	const unsigned char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : jc_fail(c, "digit expected");
}

static int
jc_number(struct jc *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p >= c->end)
		return jc_fail(c, "digit expected");
	if (*c->p == '0') {
		c->p++;
	} else if (jc_digits(c) == -1) {
		return -1;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (jc_digits(c) == -1)
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (jc_digits(c) == -1)
			return -1;
	}
	return 0;
}

static int
jc_container(struct jc *c, int depth, unsigned char close)
{
	int first = 1;

	if (depth >= c->max_depth)
		return jc_fail(c, "nesting too deep");
	c->p++;
	for (;;) {
		jc_ws(c);
		if (c->p >= c->end)
			return jc_fail(c, "unexpected end of input");
		if (*c->p == close && first) {
			c->p++;
			return 0;
		}
		if (close == '}') {
			if (*c->p != '"')
				return jc_fail(c, "object key expected");
			if (jc_string(c) == -1)
				return -1;
			jc_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return jc_fail(c, "':' expected");
			c->p++;
		}
		if (jc_value(c, depth + 1) == -1)
			return -1;
		jc_ws(c);
		if (c->p >= c->end)
			return jc_fail(c, "unexpected end of input");
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p != ',')
			return jc_fail(c, close == '}' ? "',' or '}' expected" :
			    "',' or ']' expected");
		c->p++;
		first = 0;
	}
}

static int
jc_value(struct jc *c, int depth)
{
	jc_ws(c);
	if (c->p >= c->end)
		return jc_fail(c, "unexpected end of input");
	switch (*c->p) {
	case '{':
		return jc_container(c, depth, '}');
	case '[':
		return jc_container(c, depth, ']');
	case '"':
		return jc_string(c);
	case 't':
		return jc_literal(c, "true");
	case 'f':
		return jc_literal(c, "false");
	case 'n':
		return jc_literal(c, "null");
	default:
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return jc_number(c);
		return jc_fail(c, "unexpected character");
	}
}

int
json_check(const char *p, size_t len, int max_depth,
    struct json_check_error *err)
{
	struct jc c;

	c.start = c.p = (const unsigned char *)p;
	c.end = c.p + len;
	c.max_depth = max_depth;
	c.err = err;
	if (len >= 3 && c.p[0] == 0xef && c.p[1] == 0xbb && c.p[2] == 0xbf)
		return jc_fail(&c, "byte order mark is not allowed");
	if (jc_value(&c, 0) == -1)
		return -1;
	jc_ws(&c);
	if (c.p != c.end)
		return jc_fail(&c, "trailing characters after the JSON value");
	return 0;
}
