/*
 * colmap: see colmap.h.
 *
 * The map is a small array of targets, each with up to COLMAP_LIST_MAX
 * column references; a reference names a column by its index in the
 * distinct column list, and colmap_bind() translates those indices to
 * result columns once per result. colmap_apply() then walks the targets in
 * config order and builds the data object, so the same row always gives
 * the same JSON (and the same content digest).
 *
 * The parsers here are the exactness guard of the SQL adapters: amounts are
 * read digit by digit into an int64_t with an overflow check at 10^15, and
 * dates and timestamps are parsed by hand (no strptime: it depends on the
 * locale and accepts too much).
 */
#include "colmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

enum conv {
	CONV_TEXT,
	CONV_LOWER,
	CONV_UPPER,
	CONV_DIGITS,
	CONV_INT,
	CONV_DATE,
	CONV_TIMESTAMP,
	CONV_BOOL,
	CONV_LOOKUP,
	CONV_RAW, /* id parts: the value exactly as the driver gave it */
};

enum tkind {
	T_TYPE,
	T_RECORD,
	T_VERSION,
	T_TIME,
	T_SUBJECT,
	T_DATA,
};

struct ref {
	size_t col;     /* index into cm->cols */
	enum conv conv;
	size_t table;   /* CONV_LOOKUP: index into cm->tables (after check) */
	char *tname;    /* CONV_LOOKUP: the table's name as written */
};

struct target {
	enum tkind kind;
	char *name;                      /* as written: "data.nilai" */
	char *path[COLMAP_DEPTH_MAX];    /* T_DATA: the segments after data. */
	size_t depth;
	char *literal;                   /* a constant, or NULL */
	struct ref refs[COLMAP_LIST_MAX];
	size_t nrefs;
};

struct entry {
	char *key;
	char *value;
};

struct table {
	char *name;
	struct entry *e;
	size_t n, cap;
};

struct colmap {
	struct target t[COLMAP_TARGETS_MAX];
	size_t nt;
	char **cols;     /* distinct column names, in order of first use */
	size_t ncols;
	size_t *bound;   /* cols[i] -> result column index */
	unsigned char *uses;
	size_t nresult;
	int is_bound;
	struct entry types[COLMAP_TYPES_MAX];
	size_t ntypes;
	char **typenames; /* distinct types produced, for colmap_type_at() */
	size_t ntypenames;
	struct table *tables;
	size_t ntables;
	int tz;
};

/* --- small helpers ------------------------------------------------------ */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int
name_eq_nocase(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower(*a) != ascii_lower(*b))
			return 0;
	return *a == *b;
}

/* A copy of s without leading and trailing blanks. */
static char *
trim_dup(const char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* 1 when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int c;
	int n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			c = *p & 0x1fu;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			c = *p & 0x0fu;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			c = *p & 0x07u;
		} else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3fu);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* A SQL column name: a letter, _ # or @, then letters, digits, _ # @ $. */
static int
column_name_ok(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > COLMAP_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || c == '#' || c == '@')
			continue;
		if (i > 0 && (is_digit(c) || c == '$'))
			continue;
		return 0;
	}
	return 1;
}

/* A data field or lookup table name: [A-Za-z_][A-Za-z0-9_-]*, 1..64. */
static int
field_name_ok(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_')
			continue;
		if (i > 0 && (is_digit(c) || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* --- value parsers ------------------------------------------------------ */

int
colmap_parse_int(const char *s, int64_t *out)
{
	int64_t v = 0;
	int neg = 0, d;

	while (is_blank(*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) {
		d = *s - '0';
		if (v > (COLMAP_INT_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*s == '.') {
		/* "1500000.00" is exact; "12.50" is not an integer. */
		s++;
		if (!is_digit(*s))
			return -1;
		for (; *s == '0'; s++)
			;
		if (is_digit(*s))
			return -1;
	}
	while (is_blank(*s))
		s++;
	if (*s != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

int
colmap_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "t", "true", "y", "yes",
	    "on" };
	static const char *const no[] = { "0", "f", "false", "n", "no",
	    "off" };
	char *v = trim_dup(s);
	size_t i;
	int rv = -1;

	for (i = 0; i < nitems(yes); i++) {
		if (name_eq_nocase(v, yes[i])) {
			*out = 1;
			rv = 0;
		} else if (name_eq_nocase(v, no[i])) {
			*out = 0;
			rv = 0;
		}
	}
	free(v);
	return rv;
}

/* Exactly n digits at s into *out. */
static int
digits_n(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(*m <= 2 ? yy + 1 : yy);
}

struct tsparts {
	int y, mo, d, h, mi, s;
	int ms;            /* the fraction, truncated to ms */
	int has_zone;
	int zone_min;      /* minutes east */
	const char *zone;  /* where the offset text starts (for shift) */
	size_t zone_len;
};

/* "+07", "+0700", "+07:00", "Z"; *end after it. */
static int
parse_zone(const char *s, int *min, const char **end)
{
	int sign, h, m = 0;

	if (*s == 'Z' || *s == 'z') {
		*min = 0;
		*end = s + 1;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	s++;
	if (digits_n(s, 2, &h) == -1)
		return -1;
	s += 2;
	if (*s == ':') {
		if (digits_n(s + 1, 2, &m) == -1)
			return -1;
		s += 3;
	} else if (is_digit(*s)) {
		if (digits_n(s, 2, &m) == -1)
			return -1;
		s += 2;
	}
	if (h > 14 || m > 59)
		return -1;
	*min = sign * (h * 60 + m);
	*end = s;
	return 0;
}

static int
parse_ts(const char *s, struct tsparts *p)
{
	int frac_digits = 0;
	const char *z;

	memset(p, 0, sizeof(*p));
	while (is_blank(*s))
		s++;
	if (digits_n(s, 4, &p->y) == -1 || s[4] != '-' ||
	    digits_n(s + 5, 2, &p->mo) == -1 || s[7] != '-' ||
	    digits_n(s + 8, 2, &p->d) == -1)
		return -1;
	s += 10;
	if (p->y < 1 || p->mo < 1 || p->mo > 12 || p->d < 1 ||
	    p->d > month_days(p->y, p->mo))
		return -1;
	if ((*s == ' ' || *s == 'T' || *s == 't') && is_digit(s[1])) {
		s++;
		if (digits_n(s, 2, &p->h) == -1 || s[2] != ':' ||
		    digits_n(s + 3, 2, &p->mi) == -1)
			return -1;
		s += 5;
		if (*s == ':') {
			if (digits_n(s + 1, 2, &p->s) == -1)
				return -1;
			s += 3;
			if (*s == '.') {
				s++;
				if (!is_digit(*s))
					return -1;
				for (; is_digit(*s); s++, frac_digits++) {
					if (frac_digits >= 9)
						return -1;
					if (frac_digits < 3)
						p->ms = p->ms * 10 + (*s - '0');
				}
				for (; frac_digits < 3; frac_digits++)
					p->ms *= 10;
			}
		}
		if (p->h > 23 || p->mi > 59 || p->s > 59)
			return -1;
	}
	/* An offset, possibly after one blank (SQL Server's DATETIMEOFFSET
	 * prints "2026-01-05 10:00:00.0000000 +07:00"). */
	z = *s == ' ' && (s[1] == '+' || s[1] == '-') ? s + 1 : s;
	if (*z == 'Z' || *z == 'z' || *z == '+' || *z == '-') {
		p->zone = s;
		if (parse_zone(z, &p->zone_min, &s) == -1)
			return -1;
		p->zone_len = (size_t)(s - p->zone);
		p->has_zone = 1;
	}
	while (is_blank(*s))
		s++;
	return *s == '\0' ? 0 : -1;
}

/* ms since the epoch of the wall-clock reading, ignoring any offset. */
static int64_t
ts_naive_ms(const struct tsparts *p)
{
	return ((time_days_from_civil(p->y, p->mo, p->d) * 24 + p->h) * 60 +
	    p->mi) * 60000 + (int64_t)p->s * 1000 + p->ms;
}

int
colmap_parse_timestamp(const char *s, int offset_min, int64_t *out)
{
	struct tsparts p;

	if (parse_ts(s, &p) == -1)
		return -1;
	*out = ts_naive_ms(&p) -
	    (int64_t)(p.has_zone ? p.zone_min : offset_min) * 60000;
	return 0;
}

int
colmap_parse_date(const char *s, char *out, size_t outlen)
{
	struct tsparts p;

	if (outlen < 11 || parse_ts(s, &p) == -1)
		return -1;
	snprintf(out, outlen, "%04d-%02d-%02d", p.y, p.mo, p.d);
	return 0;
}

int
colmap_parse_offset(const char *s, int *out)
{
	const char *end;
	char *v = trim_dup(s);
	int rv = -1;

	if (strcmp(v, "UTC") == 0 || strcmp(v, "utc") == 0) {
		*out = 0;
		rv = 0;
	} else if (parse_zone(v, out, &end) == 0 && *end == '\0')
		rv = 0;
	free(v);
	return rv;
}

int
colmap_timestamp_shift(const char *s, int64_t delta_ms, char *out,
    size_t outlen)
{
	struct tsparts p;
	int64_t ms, days, rem;
	int y, mo, d, n;

	if (parse_ts(s, &p) == -1)
		return -1;
	ms = ts_naive_ms(&p) + delta_ms;
	days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	rem = ms - days * 86400000;
	civil_from_days(days, &y, &mo, &d);
	if (y < 1 || y > 9999)
		return -1;
	n = snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60));
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	if (rem % 1000 != 0) {
		if (snprintf(out + n, outlen - (size_t)n, ".%03d",
		    (int)(rem % 1000)) != 4)
			return -1;
		n += 4;
	}
	if (p.has_zone) {
		if ((size_t)n + p.zone_len >= outlen)
			return -1;
		memcpy(out + n, p.zone, p.zone_len);
		out[(size_t)n + p.zone_len] = '\0';
	}
	return 0;
}

/* --- config ------------------------------------------------------------- */

struct colmap *
colmap_new(void)
{
	return xcalloc(1, sizeof(struct colmap));
}

static void
target_clear(struct target *t)
{
	size_t i;

	free(t->name);
	free(t->literal);
	for (i = 0; i < t->depth; i++)
		free(t->path[i]);
	for (i = 0; i < t->nrefs; i++)
		free(t->refs[i].tname);
	memset(t, 0, sizeof(*t));
}

void
colmap_free(struct colmap *cm)
{
	size_t i, j;

	if (cm == NULL)
		return;
	for (i = 0; i < cm->nt; i++)
		target_clear(&cm->t[i]);
	for (i = 0; i < cm->ncols; i++)
		free(cm->cols[i]);
	free(cm->cols);
	free(cm->bound);
	free(cm->uses);
	for (i = 0; i < cm->ntypes; i++) {
		free(cm->types[i].key);
		free(cm->types[i].value);
	}
	for (i = 0; i < cm->ntypenames; i++)
		free(cm->typenames[i]);
	free(cm->typenames);
	for (i = 0; i < cm->ntables; i++) {
		for (j = 0; j < cm->tables[i].n; j++) {
			free(cm->tables[i].e[j].key);
			free(cm->tables[i].e[j].value);
		}
		free(cm->tables[i].e);
		free(cm->tables[i].name);
	}
	free(cm->tables);
	free(cm);
}

void
colmap_set_timezone(struct colmap *cm, int offset_min)
{
	cm->tz = offset_min;
}

static size_t
colmap_intern(struct colmap *cm, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cm->ncols; i++)
		if (strlen(cm->cols[i]) == len &&
		    strncmp(cm->cols[i], name, len) == 0)
			return i;
	cm->cols = xrealloc(cm->cols, (cm->ncols + 1) * sizeof(char *));
	cm->cols[cm->ncols] = xstrndup(name, len);
	cm->is_bound = 0;
	return cm->ncols++;
}

static const struct {
	const char *name;
	enum conv conv;
} conv_names[] = {
	{ "text", CONV_TEXT },
	{ "lower", CONV_LOWER },
	{ "upper", CONV_UPPER },
	{ "digits", CONV_DIGITS },
	{ "int", CONV_INT },
	{ "date", CONV_DATE },
	{ "timestamp", CONV_TIMESTAMP },
	{ "bool", CONV_BOOL },
};

/*
 * One "column[:conv[:arg]]" of [b, e) into r. Lists (id.*) take bare
 * columns only; the other targets their own subset of conversions.
 */
static int
parse_ref(struct colmap *cm, enum tkind kind, const char *b, const char *e,
    struct ref *r, char *err, size_t errlen)
{
	const char *colon, *conv, *arg = NULL;
	size_t clen, i;

	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	colon = memchr(b, ':', (size_t)(e - b));
	clen = (size_t)((colon ? colon : e) - b);
	if (!column_name_ok(b, clen)) {
		snprintf(err, errlen, "'%.*s' is not a column name (letters, "
		    "digits, _ # @ $; at most %d)", (int)(e - b), b,
		    COLMAP_NAME_MAX);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->conv = kind == T_RECORD || kind == T_VERSION ? CONV_RAW :
	    kind == T_TIME ? CONV_TIMESTAMP : CONV_TEXT;
	if (colon != NULL) {
		if (kind == T_RECORD || kind == T_VERSION || kind == T_TYPE ||
		    kind == T_TIME) {
			snprintf(err, errlen, "this target takes a bare column "
			    "name, without ':type'");
			return -1;
		}
		conv = colon + 1;
		if ((size_t)(e - conv) > 7 && strncmp(conv, "lookup:", 7) == 0) {
			arg = conv + 7;
			if (!field_name_ok(arg, (size_t)(e - arg))) {
				snprintf(err, errlen, "bad lookup table name "
				    "'%.*s'", (int)(e - arg), arg);
				return -1;
			}
			r->conv = CONV_LOOKUP;
			r->tname = xstrndup(arg, (size_t)(e - arg));
		} else {
			for (i = 0; i < nitems(conv_names); i++)
				if (strlen(conv_names[i].name) ==
				    (size_t)(e - conv) && strncmp(conv,
				    conv_names[i].name, (size_t)(e - conv)) == 0)
					break;
			if (i == nitems(conv_names)) {
				snprintf(err, errlen, "unknown type '%.*s' "
				    "(text, lower, upper, digits, int, date, "
				    "timestamp, bool, lookup:TABLE)",
				    (int)(e - conv), conv);
				return -1;
			}
			r->conv = conv_names[i].conv;
		}
		if (kind == T_SUBJECT && r->conv != CONV_TEXT &&
		    r->conv != CONV_LOWER && r->conv != CONV_UPPER &&
		    r->conv != CONV_DIGITS && r->conv != CONV_LOOKUP) {
			snprintf(err, errlen, "subject is text: use text, "
			    "lower, upper, digits or lookup:TABLE");
			free(r->tname);
			r->tname = NULL;
			return -1;
		}
	}
	r->col = colmap_intern(cm, b, clen);
	return 0;
}

/* Splits "data.a.b" into t->path; refuses a path that is a prefix of
 * another data target's path or has one as its prefix. */
static int
parse_data_path(struct colmap *cm, struct target *t, const char *path,
    char *err, size_t errlen)
{
	const char *p = path, *dot;
	size_t i, j, n;

	for (;;) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (!field_name_ok(p, n)) {
			snprintf(err, errlen, "bad field name in '%s' "
			    "(letters, digits, _ -; 1-64)", t->name);
			return -1;
		}
		if (t->depth == COLMAP_DEPTH_MAX) {
			snprintf(err, errlen, "'%s' is nested too deep (at "
			    "most %d levels)", t->name, COLMAP_DEPTH_MAX);
			return -1;
		}
		t->path[t->depth++] = xstrndup(p, n);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	for (i = 0; i < cm->nt; i++) {
		const struct target *o = &cm->t[i];

		if (o->kind != T_DATA)
			continue;
		n = o->depth < t->depth ? o->depth : t->depth;
		for (j = 0; j < n; j++)
			if (strcmp(o->path[j], t->path[j]) != 0)
				break;
		if (j == n) {
			snprintf(err, errlen, "'%s' and '%s' overlap: a field "
			    "is either a value or an object", o->name,
			    t->name);
			return -1;
		}
	}
	return 0;
}

int
colmap_set(struct colmap *cm, const char *target, const char *spec,
    char *err, size_t errlen)
{
	struct target t;
	const char *b, *e, *comma;
	size_t i, n, ncols0 = cm->ncols;

	memset(&t, 0, sizeof(t));
	if (cm->nt == COLMAP_TARGETS_MAX) {
		snprintf(err, errlen, "too many map lines (at most %d)",
		    COLMAP_TARGETS_MAX);
		return -1;
	}
	for (i = 0; i < cm->nt; i++)
		if (strcmp(cm->t[i].name, target) == 0) {
			snprintf(err, errlen, "'%s' is mapped twice", target);
			return -1;
		}
	t.name = xstrdup(target);
	if (strcmp(target, "type") == 0)
		t.kind = T_TYPE;
	else if (strcmp(target, "id.record") == 0)
		t.kind = T_RECORD;
	else if (strcmp(target, "id.version") == 0)
		t.kind = T_VERSION;
	else if (strcmp(target, "time") == 0)
		t.kind = T_TIME;
	else if (strcmp(target, "subject") == 0)
		t.kind = T_SUBJECT;
	else if (strncmp(target, "data.", 5) == 0) {
		t.kind = T_DATA;
		if (parse_data_path(cm, &t, target + 5, err, errlen) == -1)
			goto fail;
	} else {
		snprintf(err, errlen, "unknown target '%s' (type, id.record, "
		    "id.version, time, subject, data.FIELD)", target);
		goto fail;
	}

	b = spec;
	while (is_blank(*b))
		b++;
	n = strlen(b);
	while (n > 0 && is_blank(b[n - 1]))
		n--;
	if (n == 0) {
		snprintf(err, errlen, "'%s' maps to nothing", target);
		goto fail;
	}
	if (*b == '\'') {
		if (t.kind != T_DATA && t.kind != T_TYPE &&
		    t.kind != T_SUBJECT) {
			snprintf(err, errlen, "'%s' must come from columns, "
			    "not a constant", target);
			goto fail;
		}
		if (n < 2 || b[n - 1] != '\'' ||
		    memchr(b + 1, '\'', n - 2) != NULL) {
			snprintf(err, errlen, "a constant is one 'quoted' "
			    "string without quotes inside");
			goto fail;
		}
		t.literal = xstrndup(b + 1, n - 2);
		if (!utf8_ok(t.literal)) {
			snprintf(err, errlen, "constant is not UTF-8");
			goto fail;
		}
		if (t.kind == T_TYPE && !cloudevent_name_ok(t.literal)) {
			snprintf(err, errlen, "'%s' is not an event type "
			    "(1-64 of a-z 0-9 . _ -)", t.literal);
			goto fail;
		}
		cm->t[cm->nt++] = t;
		return 0;
	}
	e = b + n;
	for (;;) {
		comma = memchr(b, ',', (size_t)(e - b));
		if (comma != NULL && t.kind != T_RECORD &&
		    t.kind != T_VERSION) {
			snprintf(err, errlen, "only id.record and id.version "
			    "take a list of columns");
			goto fail;
		}
		if (t.nrefs == COLMAP_LIST_MAX) {
			snprintf(err, errlen, "at most %d columns",
			    COLMAP_LIST_MAX);
			goto fail;
		}
		if (parse_ref(cm, t.kind, b, comma ? comma : e,
		    &t.refs[t.nrefs], err, errlen) == -1)
			goto fail;
		t.nrefs++;
		if (comma == NULL)
			break;
		b = comma + 1;
	}
	cm->t[cm->nt++] = t;
	return 0;
fail:
	/* Columns named only by the refused line are forgotten again. */
	while (cm->ncols > ncols0)
		free(cm->cols[--cm->ncols]);
	target_clear(&t);
	return -1;
}

int
colmap_set_type(struct colmap *cm, const char *value, const char *type,
    char *err, size_t errlen)
{
	char *v, *ty;
	size_t i;

	if (cm->ntypes == COLMAP_TYPES_MAX) {
		snprintf(err, errlen, "too many [types] lines (at most %d)",
		    COLMAP_TYPES_MAX);
		return -1;
	}
	v = trim_dup(value);
	ty = trim_dup(type);
	if (*v == '\0' || strlen(v) > COLMAP_TEXT_MAX || !utf8_ok(v)) {
		snprintf(err, errlen, "bad [types] value");
		goto fail;
	}
	if (strcmp(ty, "-") != 0 && !cloudevent_name_ok(ty)) {
		snprintf(err, errlen, "'%s' is not an event type (1-64 of "
		    "a-z 0-9 . _ -) nor '-' (skip)", ty);
		goto fail;
	}
	for (i = 0; i < cm->ntypes; i++)
		if (strcmp(cm->types[i].key, v) == 0) {
			snprintf(err, errlen, "[types] value '%s' given twice",
			    v);
			goto fail;
		}
	cm->types[cm->ntypes].key = v;
	cm->types[cm->ntypes].value = ty;
	cm->ntypes++;
	return 0;
fail:
	free(v);
	free(ty);
	return -1;
}

int
colmap_set_lookup(struct colmap *cm, const char *table, const char *key,
    const char *value, char *err, size_t errlen)
{
	struct table *t = NULL;
	size_t i;

	if (!field_name_ok(table, strlen(table))) {
		snprintf(err, errlen, "bad lookup table name '%s'", table);
		return -1;
	}
	if (strlen(key) > COLMAP_TEXT_MAX || strlen(value) > COLMAP_TEXT_MAX ||
	    !utf8_ok(key) || !utf8_ok(value)) {
		snprintf(err, errlen, "lookup key or value too long or not "
		    "UTF-8");
		return -1;
	}
	for (i = 0; i < cm->ntables; i++)
		if (strcmp(cm->tables[i].name, table) == 0)
			t = &cm->tables[i];
	if (t == NULL) {
		cm->tables = xrealloc(cm->tables,
		    (cm->ntables + 1) * sizeof(*cm->tables));
		t = &cm->tables[cm->ntables++];
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(table);
	}
	if (t->n == COLMAP_LOOKUP_MAX) {
		snprintf(err, errlen, "[lookup %s] has too many entries (at "
		    "most %d)", table, COLMAP_LOOKUP_MAX);
		return -1;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
	}
	t->e[t->n].key = trim_dup(key);
	t->e[t->n].value = trim_dup(value);
	t->n++;
	return 0;
}

int
colmap_has(const struct colmap *cm, const char *target)
{
	size_t i;

	for (i = 0; i < cm->nt; i++)
		if (strcmp(cm->t[i].name, target) == 0)
			return 1;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
	    ((const struct entry *)b)->key);
}

static void
colmap_add_typename(struct colmap *cm, const char *type)
{
	size_t i;

	for (i = 0; i < cm->ntypenames; i++)
		if (strcmp(cm->typenames[i], type) == 0)
			return;
	cm->typenames = xrealloc(cm->typenames,
	    (cm->ntypenames + 1) * sizeof(char *));
	cm->typenames[cm->ntypenames++] = xstrdup(type);
}

int
colmap_check(struct colmap *cm, char *err, size_t errlen)
{
	static const char *const required[] = { "type", "id.record",
	    "id.version", "time" };
	struct target *t;
	size_t i, j, k;

	/* The types first: colmap_type_at() works even if a check fails. */
	for (i = 0; i < cm->ntypenames; i++)
		free(cm->typenames[i]);
	cm->ntypenames = 0;
	for (i = 0; i < cm->nt; i++)
		if (cm->t[i].kind == T_TYPE && cm->t[i].literal != NULL)
			colmap_add_typename(cm, cm->t[i].literal);
	for (i = 0; i < cm->ntypes; i++)
		if (strcmp(cm->types[i].value, "-") != 0)
			colmap_add_typename(cm, cm->types[i].value);

	for (i = 0; i < nitems(required); i++)
		if (!colmap_has(cm, required[i])) {
			snprintf(err, errlen, "[map] has no '%s'",
			    required[i]);
			return -1;
		}
	for (i = 0; i < cm->ntables; i++) {
		struct table *tb = &cm->tables[i];

		qsort(tb->e, tb->n, sizeof(*tb->e), entry_cmp);
		for (j = 1; j < tb->n; j++)
			if (strcmp(tb->e[j - 1].key, tb->e[j].key) == 0) {
				snprintf(err, errlen, "[lookup %s] has key "
				    "'%s' twice", tb->name, tb->e[j].key);
				return -1;
			}
	}
	for (i = 0; i < cm->nt; i++) {
		t = &cm->t[i];
		for (j = 0; j < t->nrefs; j++) {
			if (t->refs[j].conv != CONV_LOOKUP)
				continue;
			for (k = 0; k < cm->ntables; k++)
				if (strcmp(cm->tables[k].name,
				    t->refs[j].tname) == 0)
					break;
			if (k == cm->ntables) {
				snprintf(err, errlen, "'%s' uses [lookup %s], "
				    "which is not in the config", t->name,
				    t->refs[j].tname);
				return -1;
			}
			t->refs[j].table = k;
		}
		if (t->kind == T_TYPE && t->literal != NULL &&
		    cm->ntypes > 0) {
			snprintf(err, errlen, "type is a constant, so [types] "
			    "has nothing to do");
			return -1;
		}
	}
	return 0;
}

size_t
colmap_ntypes(const struct colmap *cm)
{
	return cm->ntypenames;
}

const char *
colmap_type_at(const struct colmap *cm, size_t i)
{
	return i < cm->ntypenames ? cm->typenames[i] : NULL;
}

size_t
colmap_ncolumns(const struct colmap *cm)
{
	return cm->ncols;
}

const char *
colmap_column(const struct colmap *cm, size_t i)
{
	return i < cm->ncols ? cm->cols[i] : NULL;
}

/* --- binding ------------------------------------------------------------ */

static const char *
sqlkind_name(enum colmap_sqlkind k)
{
	switch (k) {
	case COLMAP_SQL_CHAR:
		return "character";
	case COLMAP_SQL_EXACT:
		return "exact numeric";
	case COLMAP_SQL_FLOAT:
		return "floating point";
	case COLMAP_SQL_DATE:
		return "date";
	case COLMAP_SQL_TIMESTAMP:
		return "timestamp";
	case COLMAP_SQL_TIME:
		return "time";
	case COLMAP_SQL_BIT:
		return "bit";
	case COLMAP_SQL_BINARY:
		return "binary";
	case COLMAP_SQL_OTHER:
		break;
	}
	return "other";
}

/* 1 when a column of kind k can give conversion c. */
static int
conv_fits(enum conv c, enum colmap_sqlkind k)
{
	if (k == COLMAP_SQL_BINARY || k == COLMAP_SQL_FLOAT)
		return 0;
	switch (c) {
	case CONV_INT:
		return k == COLMAP_SQL_EXACT || k == COLMAP_SQL_CHAR ||
		    k == COLMAP_SQL_BIT;
	case CONV_DATE:
	case CONV_TIMESTAMP:
		return k == COLMAP_SQL_DATE || k == COLMAP_SQL_TIMESTAMP ||
		    k == COLMAP_SQL_CHAR;
	case CONV_BOOL:
		return k == COLMAP_SQL_BIT || k == COLMAP_SQL_EXACT ||
		    k == COLMAP_SQL_CHAR;
	case CONV_DIGITS:
		return k == COLMAP_SQL_CHAR || k == COLMAP_SQL_EXACT;
	default:
		return 1;
	}
}

int
colmap_bind(struct colmap *cm, const char *const *names,
    const enum colmap_sqlkind *kinds, size_t n, char *err, size_t errlen)
{
	size_t i, j, found;
	const struct target *t;
	const struct ref *r;

	cm->is_bound = 0;
	free(cm->bound);
	free(cm->uses);
	cm->bound = xcalloc(cm->ncols ? cm->ncols : 1, sizeof(size_t));
	cm->uses = xcalloc(n ? n : 1, 1);
	cm->nresult = n;
	for (i = 0; i < cm->ncols; i++) {
		found = n;
		for (j = 0; j < n; j++) {
			if (names[j] == NULL ||
			    !name_eq_nocase(names[j], cm->cols[i]))
				continue;
			if (found != n) {
				snprintf(err, errlen, "column %s appears twice "
				    "in the result: name it once (select ... "
				    "AS ...)", cm->cols[i]);
				return -1;
			}
			found = j;
		}
		if (found == n) {
			snprintf(err, errlen, "column %s is not in the result",
			    cm->cols[i]);
			return -1;
		}
		cm->bound[i] = found;
		cm->uses[found] = 1;
	}
	for (i = 0; i < cm->nt; i++) {
		t = &cm->t[i];
		for (j = 0; j < t->nrefs; j++) {
			r = &t->refs[j];
			if (conv_fits(r->conv, kinds[cm->bound[r->col]]))
				continue;
			snprintf(err, errlen, "column %s (%s) cannot give %s%s",
			    cm->cols[r->col],
			    sqlkind_name(kinds[cm->bound[r->col]]), t->name,
			    kinds[cm->bound[r->col]] == COLMAP_SQL_FLOAT ?
			    ": a floating-point value is not exact (cast it "
			    "in the select if it must be read)" :
			    r->conv == CONV_INT ? ": an exact integer needs "
			    "an exact numeric or character column" : "");
			return -1;
		}
	}
	cm->is_bound = 1;
	return 0;
}

int
colmap_uses(const struct colmap *cm, size_t i)
{
	return cm->is_bound && i < cm->nresult && cm->uses[i];
}

/* --- applying ------------------------------------------------------------ */

/* Appends v to b, escaped so that a list of parts joined by '|' is
 * unambiguous and has no newline (uuid_v5_event() refuses those). */
static int
buf_append_part(struct buf *b, const char *v)
{
	char esc[2] = { '\\', 0 };

	if (v == NULL)
		return buf_append(b, "\\N", 2);
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\':
		case '|':
			esc[1] = *v;
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			if (buf_append(b, v, 1) == -1)
				return -1;
			continue;
		}
		if (buf_append(b, esc, 2) == -1)
			return -1;
	}
	return 0;
}

static const char *
table_find(const struct table *tb, const char *key)
{
	struct entry k = { (char *)(uintptr_t)key, NULL }, *e;

	e = bsearch(&k, tb->e, tb->n, sizeof(*tb->e), entry_cmp);
	return e ? e->value : NULL;
}

/*
 * The value of reference r as a string (heap) for text-like conversions,
 * or a JSON item for data targets. Exactly one of *str / *item is set.
 */
static int
convert(const struct colmap *cm, const struct target *t, const struct ref *r,
    const char *v, char **str, cJSON **item, char *err, size_t errlen)
{
	const char *col = cm->cols[r->col], *hit;
	char date[11], ts[32];
	int64_t i64;
	size_t n, k;
	char *s;
	int b;

	*str = NULL;
	*item = NULL;
	if (!utf8_ok(v)) {
		snprintf(err, errlen, "%s: column %s is not valid UTF-8 (set "
		    "the driver's client character set to UTF-8)", t->name,
		    col);
		return -1;
	}
	switch (r->conv) {
	case CONV_RAW:
		*str = xstrdup(v);
		return 0;
	case CONV_TEXT:
	case CONV_LOWER:
	case CONV_UPPER:
		n = strlen(v);
		while (n > 0 && v[n - 1] == ' ')
			n--;
		s = xstrndup(v, n);
		for (k = 0; k < n; k++)
			s[k] = r->conv == CONV_LOWER ? ascii_lower(s[k]) :
			    r->conv == CONV_UPPER ? ascii_upper(s[k]) : s[k];
		*str = s;
		return 0;
	case CONV_DIGITS:
		s = xmalloc(strlen(v) + 1);
		for (n = 0; *v != '\0'; v++)
			if (is_digit(*v))
				s[n++] = *v;
		s[n] = '\0';
		*str = s;
		return 0;
	case CONV_LOOKUP:
		s = trim_dup(v);
		hit = table_find(&cm->tables[r->table], s);
		if (hit == NULL) {
			snprintf(err, errlen, "%s: '%.64s' (column %s) is not "
			    "in [lookup %s]", t->name, s, col, r->tname);
			free(s);
			return -1;
		}
		free(s);
		*str = xstrdup(hit);
		return 0;
	case CONV_INT:
		if (colmap_parse_int(v, &i64) == -1) {
			snprintf(err, errlen, "%s: '%.64s' (column %s) is not "
			    "an exact integer within +-10^15", t->name, v, col);
			return -1;
		}
		/* Exact: |i64| <= 10^15 < 2^53. */
		*item = cJSON_CreateNumber((double)i64);
		break;
	case CONV_DATE:
		if (colmap_parse_date(v, date, sizeof(date)) == -1) {
			snprintf(err, errlen, "%s: '%.64s' (column %s) is not "
			    "a date", t->name, v, col);
			return -1;
		}
		*item = cJSON_CreateString(date);
		break;
	case CONV_TIMESTAMP:
		if (colmap_parse_timestamp(v, cm->tz, &i64) == -1) {
			snprintf(err, errlen, "%s: '%.64s' (column %s) is not "
			    "a timestamp", t->name, v, col);
			return -1;
		}
		time_format_rfc3339(i64, ts);
		*item = cJSON_CreateString(ts);
		break;
	case CONV_BOOL:
		if (colmap_parse_bool(v, &b) == -1) {
			snprintf(err, errlen, "%s: '%.64s' (column %s) is not "
			    "a boolean", t->name, v, col);
			return -1;
		}
		*item = cJSON_CreateBool(b);
		break;
	}
	if (*item == NULL)
		fatalx("colmap: out of memory");
	return 0;
}

/* Puts item at t's path in data, creating the objects on the way. */
static void
data_put(cJSON *data, const struct target *t, cJSON *item)
{
	cJSON *o = data, *next;
	size_t i;

	for (i = 0; i + 1 < t->depth; i++) {
		next = cJSON_GetObjectItemCaseSensitive(o, t->path[i]);
		if (next == NULL) {
			next = cJSON_CreateObject();
			if (next == NULL)
				fatalx("colmap: out of memory");
			cJSON_AddItemToObject(o, t->path[i], next);
		}
		o = next;
	}
	cJSON_AddItemToObject(o, t->path[t->depth - 1], item);
}

int
colmap_apply(const struct colmap *cm, const char *const *values,
    struct colmap_row *out, char *err, size_t errlen)
{
	const struct target *t;
	const struct ref *r;
	const char *v;
	struct buf rec, ver, content;
	char *str, *json = NULL, digest[UUID_STR_LEN], tms[24];
	cJSON *item;
	struct uuid u;
	size_t i, j;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&rec, 0);
	buf_init(&ver, 0);
	buf_init(&content, 0);
	if (!cm->is_bound) {
		snprintf(err, errlen, "map is not bound to a result");
		goto out;
	}
	if ((out->data = cJSON_CreateObject()) == NULL)
		fatalx("colmap: out of memory");
	for (i = 0; i < cm->nt; i++) {
		t = &cm->t[i];
		if (t->literal != NULL) {
			if (t->kind == T_TYPE)
				out->type = xstrdup(t->literal);
			else if (t->kind == T_SUBJECT)
				out->subject = xstrdup(t->literal);
			else if ((item = cJSON_CreateString(t->literal)) ==
			    NULL)
				fatalx("colmap: out of memory");
			else
				data_put(out->data, t, item);
			continue;
		}
		for (j = 0; j < t->nrefs; j++) {
			r = &t->refs[j];
			v = values[cm->bound[r->col]];
			if (v == NULL) {
				if (t->kind == T_DATA || t->kind == T_SUBJECT)
					continue;
				snprintf(err, errlen, "%s: column %s is NULL",
				    t->name, cm->cols[r->col]);
				goto out;
			}
			if (t->kind == T_TYPE) {
				if (!utf8_ok(v)) {
					snprintf(err, errlen, "type: column %s "
					    "is not UTF-8", cm->cols[r->col]);
					goto out;
				}
				str = trim_dup(v);
				if (cm->ntypes > 0) {
					size_t k;

					for (k = 0; k < cm->ntypes; k++)
						if (strcmp(cm->types[k].key,
						    str) == 0)
							break;
					if (k == cm->ntypes) {
						snprintf(err, errlen, "type: "
						    "value '%.64s' of column "
						    "%s is not in [types]",
						    str, cm->cols[r->col]);
						free(str);
						goto out;
					}
					free(str);
					if (strcmp(cm->types[k].value,
					    "-") == 0) {
						rv = 1;
						goto out;
					}
					str = xstrdup(cm->types[k].value);
				} else if (!cloudevent_name_ok(str)) {
					snprintf(err, errlen, "type: '%.64s' "
					    "(column %s) is not an event type",
					    str, cm->cols[r->col]);
					free(str);
					goto out;
				}
				out->type = str;
				continue;
			}
			if (t->kind == T_TIME) {
				if (colmap_parse_timestamp(v, cm->tz,
				    &out->time_ms) == -1) {
					snprintf(err, errlen, "time: '%.64s' "
					    "(column %s) is not a timestamp",
					    v, cm->cols[r->col]);
					goto out;
				}
				continue;
			}
			if (convert(cm, t, r, v, &str, &item, err,
			    errlen) == -1)
				goto out;
			switch (t->kind) {
			case T_RECORD:
			case T_VERSION:
				if (j > 0)
					buf_append(t->kind == T_RECORD ? &rec :
					    &ver, "|", 1);
				buf_append_part(t->kind == T_RECORD ? &rec :
				    &ver, str);
				free(str);
				break;
			case T_SUBJECT:
				free(out->subject);
				out->subject = str;
				break;
			default:
				if (item == NULL &&
				    (item = cJSON_CreateString(str)) == NULL)
					fatalx("colmap: out of memory");
				free(str);
				data_put(out->data, t, item);
				break;
			}
		}
	}

	/* The content digest that makes the version cover the content. */
	if ((json = cJSON_PrintUnformatted(out->data)) == NULL)
		fatalx("colmap: out of memory");
	snprintf(tms, sizeof(tms), "%lld", (long long)out->time_ms);
	buf_appendf(&content, "%s\n", out->type);
	buf_append_part(&content, out->subject);
	buf_appendf(&content, "\n%s\n%s", tms, json);
	uuid_v5(&u, &uuid_ns_simpul, content.data, content.len);
	uuid_format(&u, digest);
	buf_append(&ver, "|#", 2);
	buf_append(&ver, digest, strlen(digest));
	buf_terminate(&rec);
	buf_terminate(&ver);
	out->record = rec.data;
	out->version = ver.data;
	rec.data = ver.data = NULL;
	rv = 0;
out:
	cJSON_free(json);
	buf_free(&rec);
	buf_free(&ver);
	buf_free(&content);
	if (rv != 0)
		colmap_row_clear(out);
	return rv;
}

void
colmap_row_clear(struct colmap_row *row)
{
	free(row->type);
	free(row->subject);
	free(row->record);
	free(row->version);
	cJSON_Delete(row->data);
	memset(row, 0, sizeof(*row));
}
