/*
 * text: see text.h.
 *
 * The UTF-8 decoder follows the table of well-formed byte sequences in
 * Unicode 15, §3.9 (Table 3-7): the second byte's range depends on the
 * first byte, which rules out overlong forms, surrogates and code points
 * above U+10FFFF without computing the code point.
 */
#include "text.h"

#include <string.h>

/* Length of the well-formed sequence at p (at most len bytes), or 0. */
static size_t
text_utf8_seq(const unsigned char *p, size_t len)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

size_t
text_utf8_chars(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, chars = 0, n;

	while (i < len) {
		if ((n = text_utf8_seq(u + i, len - i)) == 0)
			return TEXT_INVALID;
		i += n;
		chars++;
	}
	return chars;
}

size_t
text_utf8_prefix(const char *p, size_t len, size_t max_chars)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, chars = 0, n;

	while (i < len && chars < max_chars) {
		if ((n = text_utf8_seq(u + i, len - i)) == 0)
			break;
		i += n;
		chars++;
	}
	return i;
}

size_t
text_utf8_fit(const char *p, size_t len, size_t max_bytes)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, n;

	while (i < len) {
		if ((n = text_utf8_seq(u + i, len - i)) == 0 ||
		    i + n > max_bytes)
			break;
		i += n;
	}
	return i;
}

static int
text_put_cp(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

int
text_utf16_to_utf8(const uint8_t *p, size_t len, int le, struct buf *out)
{
	size_t i;
	uint32_t u, v;

	for (i = 0; i + 1 < len; i += 2) {
		u = le ? (uint32_t)(p[i] | (p[i + 1] << 8)) :
		    (uint32_t)((p[i] << 8) | p[i + 1]);
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 3 >= len)
				return -1;
			v = le ? (uint32_t)(p[i + 2] | (p[i + 3] << 8)) :
			    (uint32_t)((p[i + 2] << 8) | p[i + 3]);
			if (v < 0xdc00 || v > 0xdfff)
				return -1;
			u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
			i += 2;
		} else if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		if (text_put_cp(out, u) == -1)
			return -2;
	}
	return len % 2 == 0 ? 0 : -1;
}

int
text_latin1_to_utf8(const uint8_t *p, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (text_put_cp(out, p[i]) == -1)
			return -2;
	return 0;
}

static int
text_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t
text_clean(char *s, size_t len)
{
	size_t i, o = 0, start = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			continue;
		if (c == '\r') {
			if (i + 1 < len && s[i + 1] == '\n')
				continue;
			c = '\n';
		} else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			c = ' ';
		s[o++] = (char)c;
	}
	while (o > 0 && text_space(s[o - 1]))
		o--;
	while (start < o && text_space(s[start]))
		start++;
	memmove(s, s + start, o - start);
	o -= start;
	s[o] = '\0';
	return o;
}
