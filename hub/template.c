/*
 * template: see template.h for the syntax and the contracts.
 *
 * Compiling splits the source into segments: literal runs (with "{{" and
 * "}}" already unescaped) and fields. A field of the event's data keeps its
 * keys as separate NUL-terminated strings, because cJSON looks keys up by C
 * string; rendering then only follows pointers and copies bytes into the
 * caller's buffer. Numbers are formatted into a small stack buffer.
 *
 * Errors carry the column of the offending character in characters, not
 * bytes, so that the rule loader can add the column where the template
 * starts in the YAML file and point an editor at the right spot.
 */
#include "template.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "topic.h"
#include "util.h"

enum seg_kind {
	SEG_TEXT,	/* literal text */
	SEG_SITE,	/* {site} */
	SEG_TOPIC,	/* {topic} */
	SEG_ATTR,	/* {type}, {opd}, ...: an envelope attribute */
	SEG_DATA	/* {data.a.b} */
};

struct seg {
	enum seg_kind kind;
	char *text;		/* SEG_TEXT: literal; SEG_ATTR: attribute */
	size_t len;		/* of text */
	char *path;		/* SEG_DATA: "data.a.b" as written */
	char **keys;		/* SEG_DATA: "a", "b" */
	size_t nkeys;
	char *def;		/* default text, or NULL when there is none */
	size_t deflen;
};

struct template {
	char *src;
	struct seg *segs;
	size_t nsegs;
};

/* The envelope attributes a template may name, besides site and topic. */
static const char *const template_attrs[] = {
	"type", "opd", "subject", "id", "source", "time",
};

/* Length of the well-formed UTF-8 sequence at p (NUL-terminated), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* Characters (code points) in s[0..n), for error columns. */
static size_t
chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/*
 * Writes an error at the character number pos (1-based, counting every
 * character of src) as "column C: message", or as "line L, column C:
 * message" when src spans lines (a message written as a YAML block), with
 * lines ending at \n, \r\n or \r as in hub/expr.c.
 */
static void __attribute__((format(printf, 5, 6)))
terr(char *err, size_t errlen, const char *src, size_t pos,
    const char *fmt, ...)
{
	const char *p = src;
	char msg[256];
	size_t line = 1, col = 1, k, n;
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (k = 1; k < pos && *p != '\0'; k++) {
		if (*p == '\n' || (*p == '\r' && p[1] != '\n')) {
			line++;
			col = 1;
		} else if (*p != '\r') {
			col++;
		}
		n = utf8_len((const unsigned char *)p);
		p += n > 0 ? n : 1;
	}
	if (strpbrk(src, "\r\n") != NULL)
		snprintf(err, errlen, "line %zu, column %zu: %s", line, col,
		    msg);
	else
		snprintf(err, errlen, "column %zu: %s", col, msg);
}

static int
key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Fills sg from the field name name[0..n) ("type", "data.a.b"). Returns 0,
 * or -1 with the message in err (col is the name's column).
 */
static int
field_parse(struct seg *sg, const char *src, const char *name, size_t n,
    size_t col, char *err, size_t errlen)
{
	size_t i, start;

	if (n == 0) {
		terr(err, errlen, src, col, "empty field name");
		return -1;
	}
	if (n == 4 && memcmp(name, "site", 4) == 0) {
		sg->kind = SEG_SITE;
		return 0;
	}
	if (n == 5 && memcmp(name, "topic", 5) == 0) {
		sg->kind = SEG_TOPIC;
		return 0;
	}
	for (i = 0; i < nitems(template_attrs); i++) {
		if (strlen(template_attrs[i]) == n &&
		    memcmp(name, template_attrs[i], n) == 0) {
			sg->kind = SEG_ATTR;
			sg->text = xstrndup(name, n);
			sg->len = n;
			return 0;
		}
	}
	if (n == 4 && memcmp(name, "data", 4) == 0) {
		terr(err, errlen, src, col,
		    "{data} needs a key, e.g. {data.category}");
		return -1;
	}
	if (n < 5 || memcmp(name, "data.", 5) != 0) {
		terr(err, errlen, src, col, "unknown field '%.*s' (site, "
		    "type, opd, subject, id, source, time, topic, data.KEY)",
		    (int)(n > 64 ? 64 : n), name);
		return -1;
	}
	sg->kind = SEG_DATA;
	sg->path = xstrndup(name, n);
	sg->keys = xcalloc(TEMPLATE_MAX_KEYS, sizeof(*sg->keys));
	for (start = i = 5; i <= n; i++) {
		if (i < n && key_char((unsigned char)name[i]))
			continue;
		if (i < n && name[i] != '.') {
			terr(err, errlen, src, col + chars(name, i),
			    "invalid character in field name (keys are "
			    "letters, digits, '_' and '-')");
			return -1;
		}
		if (i == start) {
			terr(err, errlen, src, col + chars(name, i),
			    "empty key in field name");
			return -1;
		}
		if (sg->nkeys == TEMPLATE_MAX_KEYS) {
			terr(err, errlen, src, col, "field name has more "
			    "than %d keys", TEMPLATE_MAX_KEYS);
			return -1;
		}
		sg->keys[sg->nkeys++] = xstrndup(name + start, i - start);
		start = i + 1;
	}
	return 0;
}

static struct seg *
seg_add(struct template *t, char *err, size_t errlen, size_t col)
{
	if (t->nsegs == TEMPLATE_MAX_SEGMENTS) {
		terr(err, errlen, t->src, col, "too many parts (at most %d "
		    "literal runs and fields)", TEMPLATE_MAX_SEGMENTS);
		return NULL;
	}
	return &t->segs[t->nsegs++];
}

/* Ends the literal run lit[0..*litlen), if any, as a segment. */
static int
lit_flush(struct template *t, char *lit, size_t *litlen, char *err,
    size_t errlen, size_t col)
{
	struct seg *sg;

	if (*litlen == 0)
		return 0;
	if ((sg = seg_add(t, err, errlen, col)) == NULL)
		return -1;
	sg->kind = SEG_TEXT;
	sg->text = xstrndup(lit, *litlen);
	sg->len = *litlen;
	*litlen = 0;
	return 0;
}

struct template *
template_compile(const char *src, char *err, size_t errlen)
{
	struct template *t;
	char *lit = NULL;
	size_t i = 0, col = 1, litlen = 0, n, len;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	len = strlen(src);
	if (len > TEMPLATE_MAX_SOURCE) {
		terr(err, errlen, src, 1, "template too long (%zu bytes, at "
		    "most %d)", len, TEMPLATE_MAX_SOURCE);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->src = xstrdup(src);
	t->segs = xcalloc(TEMPLATE_MAX_SEGMENTS, sizeof(*t->segs));
	lit = xmalloc(len + 1);
	while (src[i] != '\0') {
		if ((src[i] == '{' && src[i + 1] == '{') ||
		    (src[i] == '}' && src[i + 1] == '}')) {
			lit[litlen++] = src[i];
			i += 2;
			col += 2;
		} else if (src[i] == '{') {
			const char *close, *bar;
			struct seg *sg;
			size_t namelen;

			close = strpbrk(src + i + 1, "{}");
			if (close == NULL || *close == '{') {
				terr(err, errlen, src, col, "unbalanced '{' "
				    "(write '{{' for a literal '{')");
				goto fail;
			}
			if (lit_flush(t, lit, &litlen, err, errlen, col) ==
			    -1 || (sg = seg_add(t, err, errlen, col)) == NULL)
				goto fail;
			n = (size_t)(close - (src + i + 1));
			bar = memchr(src + i + 1, '|', n);
			namelen = bar != NULL ?
			    (size_t)(bar - (src + i + 1)) : n;
			if (field_parse(sg, src, src + i + 1, namelen, col + 1,
			    err, errlen) == -1)
				goto fail;
			if (bar != NULL) {
				sg->deflen = n - namelen - 1;
				sg->def = xstrndup(bar + 1, sg->deflen);
			}
			col += chars(src + i, n + 2);
			i += n + 2;
		} else if (src[i] == '}') {
			terr(err, errlen, src, col, "unmatched '}' (write "
			    "'}}' for a literal '}')");
			goto fail;
		} else {
			n = utf8_len((const unsigned char *)src + i);
			if (n == 0) {
				terr(err, errlen, src, col, "invalid UTF-8");
				goto fail;
			}
			memcpy(lit + litlen, src + i, n);
			litlen += n;
			i += n;
			col++;
		}
	}
	if (lit_flush(t, lit, &litlen, err, errlen, col) == -1)
		goto fail;
	free(lit);
	return t;
fail:
	free(lit);
	template_free(t);
	return NULL;
}

void
template_free(struct template *t)
{
	size_t i, k;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsegs; i++) {
		free(t->segs[i].text);
		free(t->segs[i].path);
		free(t->segs[i].def);
		if (t->segs[i].keys != NULL) {
			for (k = 0; k < t->segs[i].nkeys; k++)
				free(t->segs[i].keys[k]);
			free(t->segs[i].keys);
		}
	}
	free(t->segs);
	free(t->src);
	free(t);
}

const char *
template_source(const struct template *t)
{
	return t->src;
}

int
template_is_literal(const struct template *t)
{
	size_t i;

	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].kind != SEG_TEXT)
			return 0;
	return 1;
}

/*
 * Works on the source rather than the segments so that the column it
 * reports is the one the author sees. The source compiled, so every '{'
 * that is not "{{" has its '}'.
 */
int
template_check_topic(const struct template *t, int one_level, char *err,
    size_t errlen)
{
	const char *s = t->src;
	size_t i = 0, col = 1, n;

	while (s[i] != '\0') {
		if ((s[i] == '{' && s[i + 1] == '{') ||
		    (s[i] == '}' && s[i + 1] == '}')) {
			i += 2;
			col += 2;
		} else if (s[i] == '{') {
			const char *close = strchr(s + i, '}'), *bar;
			size_t deflen;

			n = (size_t)(close - (s + i)) + 1;
			bar = memchr(s + i, '|', n);
			if (strncmp(s + i, "{topic", 6) == 0 &&
			    (s[i + 6] == '}' || s[i + 6] == '|')) {
				terr(err, errlen, s, col + 1, "{topic} cannot "
				    "be used in a topic: its value contains "
				    "'/'");
				return -1;
			}
			if (strncmp(s + i, "{source", 7) == 0 &&
			    (s[i + 7] == '}' || s[i + 7] == '|')) {
				terr(err, errlen, s, col + 1, "{source} cannot "
				    "be used in a topic: its value contains "
				    "'/'");
				return -1;
			}
			deflen = bar != NULL ? (size_t)(close - bar - 1) : 0;
			if (bar != NULL && (deflen == 0 ||
			    strcspn(bar + 1, "/+#") < deflen)) {
				terr(err, errlen, s, col + chars(s + i,
				    (size_t)(bar - (s + i))) + 1,
				    "the default text of a field in a topic "
				    "must be one non-empty level (no '/', '+', "
				    "'#')");
				return -1;
			}
			col += chars(s + i, n);
			i += n;
		} else if (s[i] == '+' || s[i] == '#') {
			terr(err, errlen, s, col, "a topic to publish to "
			    "cannot contain the wildcard '%c'", s[i]);
			return -1;
		} else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			terr(err, errlen, s, col, "a topic cannot contain a "
			    "control character or a line break");
			return -1;
		} else if (s[i] == '/' && one_level) {
			terr(err, errlen, s, col, "must be a single topic "
			    "level (no '/')");
			return -1;
		} else {
			n = utf8_len((const unsigned char *)s + i);
			i += n > 0 ? n : 1;
			col++;
		}
	}
	return 0;
}

const char *
template_reads(const struct template *t, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < t->nsegs; i++) {
		const struct seg *sg = &t->segs[i];

		if (sg->kind != SEG_DATA || sg->def != NULL)
			continue;
		if (strncmp(sg->path, path, n) == 0 &&
		    (sg->path[n] == '\0' || sg->path[n] == '.'))
			return sg->path;
	}
	return NULL;
}

/*
 * Shortest text that reads back as the same double; integral values below
 * 1e15 without an exponent, as hub/expr.c's string() writes them, so that a
 * predicate and a template show a number the same way.
 */
static void
format_double(double d, char *out, size_t outlen)
{
	int prec;

	if (d == trunc(d) && fabs(d) < 1e15) {
		snprintf(out, outlen, "%.0f", d == 0 ? 0.0 : d);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* The text of a JSON scalar, or NULL for null, objects, arrays, NaN/inf. */
static const char *
value_text(const cJSON *j, char *num, size_t numlen)
{
	if (cJSON_IsString(j))
		return j->valuestring;
	if (cJSON_IsNumber(j)) {
		if (!isfinite(j->valuedouble))
			return NULL;
		format_double(j->valuedouble, num, numlen);
		return num;
	}
	if (cJSON_IsTrue(j))
		return "true";
	if (cJSON_IsFalse(j))
		return "false";
	return NULL;
}

static const char *
seg_value(const struct seg *sg, const struct expr_env *env, const char *site,
    char *num, size_t numlen)
{
	const cJSON *j;
	size_t k;

	switch (sg->kind) {
	case SEG_TEXT:
		return sg->text;
	case SEG_SITE:
		return site;
	case SEG_TOPIC:
		return env->topic;
	case SEG_ATTR:
		if (!cJSON_IsObject(env->event))
			return NULL;
		j = cJSON_GetObjectItemCaseSensitive(env->event, sg->text);
		return value_text(j, num, numlen);
	case SEG_DATA:
		if (!cJSON_IsObject(env->event))
			return NULL;
		j = cJSON_GetObjectItemCaseSensitive(env->event, "data");
		for (k = 0; k < sg->nkeys; k++) {
			if (!cJSON_IsObject(j))
				return NULL;
			j = cJSON_GetObjectItemCaseSensitive(j, sg->keys[k]);
		}
		return value_text(j, num, numlen);
	}
	return NULL;
}

/*
 * 1 if v can stand in one topic level without changing the topic's shape:
 * non-empty, no '/', '+', '#', no C0 or C1 control character and no DEL
 * (MQTT §4.7.3 discourages them; they only hide the real topic in logs).
 */
static int
level_safe(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '/' || *p == '+' || *p == '#' || *p < 0x20 ||
		    *p == 0x7f)
			return 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	}
	return 1;
}

static int
render(const struct template *t, const struct expr_env *env, const char *site,
    char *out, size_t outlen, int topic)
{
	char num[64];
	size_t i, n = 0, vlen;
	const char *v;
	int rc;

	if (outlen > (size_t)INT_MAX)
		outlen = (size_t)INT_MAX;
	for (i = 0; i < t->nsegs; i++) {
		const struct seg *sg = &t->segs[i];

		v = seg_value(sg, env, site, num, sizeof(num));
		if (v == NULL)
			v = sg->def;
		if (v == NULL) {
			rc = TEMPLATE_EMISSING;
			goto fail;
		}
		if (topic && sg->kind != SEG_TEXT && !level_safe(v)) {
			rc = TEMPLATE_EUNSAFE;
			goto fail;
		}
		vlen = strlen(v);
		if (vlen >= outlen || n >= outlen - vlen) {
			rc = TEMPLATE_ETOOLONG;
			goto fail;
		}
		memcpy(out + n, v, vlen);
		n += vlen;
	}
	if (outlen == 0) {
		rc = TEMPLATE_ETOOLONG;
		goto fail;
	}
	out[n] = '\0';
	if (topic && (!topic_name_valid(out) || out[0] == '$')) {
		rc = TEMPLATE_EUNSAFE;
		goto fail;
	}
	return (int)n;
fail:
	if (outlen > 0)
		out[0] = '\0';
	return rc;
}

int
template_render(const struct template *t, const struct expr_env *env,
    const char *site, char *out, size_t outlen)
{
	return render(t, env, site, out, outlen, 0);
}

int
template_render_topic(const struct template *t, const struct expr_env *env,
    const char *site, char *out, size_t outlen)
{
	return render(t, env, site, out, outlen, 1);
}
