/*
 * page: see page.h.
 *
 * cJSON parses the whole body (its nesting limit bounds the recursion;
 * the caller bounds the size), then each record is checked field by field
 * into a struct permit of heap strings, so that nothing the caller keeps
 * points into the cJSON tree. Every failure names the record's index and
 * the field, because the person reading the log has to find it in
 * SiCantik.
 */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define PAGE_ID_NUMBER_MAX 9007199254740991.0 /* 2^53 - 1: exact in JSON */
/* 9999-12-31T23:59:59.999999Z: times stay four-digit years in UTC. */
#define PAGE_TIME_US_MAX INT64_C(253402300799999999)

struct status_entry {
	char key[PAGE_STATUS_MAX + 1];
	enum permit_status status;
};

struct page_statuses {
	struct status_entry e[PAGE_STATUSES_MAX];
	size_t n;
};

static const struct {
	const char *key;
	enum permit_status status;
} page_default_statuses[] = {
	{ "baru", PERMIT_SUBMITTED },
	{ "diajukan", PERMIT_SUBMITTED },
	{ "pengajuan", PERMIT_SUBMITTED },
	{ "permohonan_baru", PERMIT_SUBMITTED },
	{ "terdaftar", PERMIT_SUBMITTED },
	{ "submitted", PERMIT_SUBMITTED },
	{ "verifikasi_selesai", PERMIT_VERIFIED },
	{ "terverifikasi", PERMIT_VERIFIED },
	{ "diverifikasi", PERMIT_VERIFIED },
	{ "berkas_lengkap", PERMIT_VERIFIED },
	{ "verified", PERMIT_VERIFIED },
	{ "terbit", PERMIT_ISSUED },
	{ "izin_terbit", PERMIT_ISSUED },
	{ "selesai", PERMIT_ISSUED },
	{ "issued", PERMIT_ISSUED },
	{ "ditolak", PERMIT_REJECTED },
	{ "tolak", PERMIT_REJECTED },
	{ "rejected", PERMIT_REJECTED },
	{ "draft", PERMIT_IGNORE },
	{ "proses", PERMIT_IGNORE },
	{ "diproses", PERMIT_IGNORE },
	{ "menunggu_pembayaran", PERMIT_IGNORE },
	{ "dibatalkan", PERMIT_IGNORE },
};

static const char *const page_status_names[] = {
	[PERMIT_IGNORE] = "ignore",
	[PERMIT_SUBMITTED] = "submitted",
	[PERMIT_VERIFIED] = "verified",
	[PERMIT_ISSUED] = "issued",
	[PERMIT_REJECTED] = "rejected",
	[PERMIT_UNKNOWN] = "unknown",
};

/* --- statuses ------------------------------------------------------------- */

const char *
page_status_name(enum permit_status s)
{
	if ((size_t)s >= nitems(page_status_names))
		return "unknown";
	return page_status_names[s];
}

int
page_status_normalise(const char *s, char out[PAGE_STATUS_MAX + 1])
{
	size_t n = 0;
	int sep = 0;
	char c;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0'; s++) {
		c = *s;
		if (c == ' ' || c == '\t' || c == '-' || c == '/' ||
		    c == '_') {
			sep = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.'))
			return -1;
		if (sep && n > 0) {
			if (n >= PAGE_STATUS_MAX)
				return -1;
			out[n++] = '_';
		}
		sep = 0;
		if (n >= PAGE_STATUS_MAX)
			return -1;
		out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static struct status_entry *
statuses_find(const struct page_statuses *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->e[i].key, key) == 0)
			return (struct status_entry *)&st->e[i];
	return NULL;
}

struct page_statuses *
page_statuses_new(void)
{
	struct page_statuses *st = xcalloc(1, sizeof(*st));
	size_t i;

	for (i = 0; i < nitems(page_default_statuses); i++) {
		strlcpy_s(st->e[i].key, page_default_statuses[i].key,
		    sizeof(st->e[i].key));
		st->e[i].status = page_default_statuses[i].status;
	}
	st->n = i;
	return st;
}

void
page_statuses_free(struct page_statuses *st)
{
	free(st);
}

int
page_statuses_set(struct page_statuses *st, const char *name,
    const char *target, char *err, size_t errlen)
{
	char key[PAGE_STATUS_MAX + 1];
	struct status_entry *e;
	size_t i;

	if (page_status_normalise(name, key) == -1) {
		snprintf(err, errlen, "status name '%s' must be 1-%d of "
		    "A-Z a-z 0-9 . _ - / and spaces", name, PAGE_STATUS_MAX);
		return -1;
	}
	for (i = 0; i < nitems(page_status_names); i++)
		if (i != PERMIT_UNKNOWN &&
		    strcmp(target, page_status_names[i]) == 0)
			break;
	if (i == nitems(page_status_names)) {
		snprintf(err, errlen, "status '%s' must map to submitted, "
		    "verified, issued, rejected or ignore, not '%s'", name,
		    target);
		return -1;
	}
	if ((e = statuses_find(st, key)) == NULL) {
		if (st->n >= PAGE_STATUSES_MAX) {
			snprintf(err, errlen, "more than %d statuses",
			    PAGE_STATUSES_MAX);
			return -1;
		}
		e = &st->e[st->n++];
		strlcpy_s(e->key, key, sizeof(e->key));
	}
	e->status = (enum permit_status)i;
	return 0;
}

enum permit_status
page_status_of(const struct page_statuses *st, const char *key)
{
	const struct status_entry *e = statuses_find(st, key);

	return e != NULL ? e->status : PERMIT_UNKNOWN;
}

void
page_statuses_dump(const struct page_statuses *st, char *out, size_t outlen)
{
	size_t i, n = 0;
	int w;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < st->n; i++) {
		w = snprintf(out + n, outlen - n, "%s = %s\n", st->e[i].key,
		    page_status_name(st->e[i].status));
		if (w < 0 || (size_t)w >= outlen - n)
			break;
		n += (size_t)w;
	}
}

/* --- times ---------------------------------------------------------------- */

/* The microseconds below the millisecond: fraction digits 4-6. */
static int64_t
page_sub_ms(const char *s)
{
	const char *dot;
	int64_t us = 0;
	int i, scale = 100;

	/* The fraction follows the seconds at offset 19. */
	if (strlen(s) < 20 || s[19] != '.')
		return 0;
	dot = s + 19;
	for (i = 1; i <= 6 && dot[i] >= '0' && dot[i] <= '9'; i++)
		if (i >= 4) {
			us += (dot[i] - '0') * scale;
			scale /= 10;
		}
	return us;
}

static int
page_date_only(const char *s)
{
	size_t i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return 1;
}

int
page_time_parse(const char *s, int tz_offset_min, int end_of_day,
    int64_t *us)
{
	char buf[96], tz[8];
	int64_t ms;
	int off = tz_offset_min < 0 ? -tz_offset_min : tz_offset_min;
	size_t len = strlen(s);

	if (len == 0 || len > 64)
		return -1;
	if (time_parse_rfc3339(s, &ms) == 0) {
		*us = ms * 1000 + page_sub_ms(s);
		return *us >= 0 && *us <= PAGE_TIME_US_MAX ? 0 : -1;
	}
	snprintf(tz, sizeof(tz), "%c%02d:%02d", tz_offset_min < 0 ? '-' : '+',
	    (off / 60) % 100, off % 60);
	if (page_date_only(s))
		snprintf(buf, sizeof(buf), "%sT%s%s", s, end_of_day ?
		    "23:59:59" : "00:00:00", tz);
	else
		snprintf(buf, sizeof(buf), "%s%s", s, tz);
	if (time_parse_rfc3339(buf, &ms) == -1)
		return -1;
	*us = ms * 1000 + page_sub_ms(buf);
	return *us >= 0 && *us <= PAGE_TIME_US_MAX ? 0 : -1;
}

void
page_time_format_us(int64_t us, char out[PAGE_TIME_LEN])
{
	int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	long frac = (long)(us - secs * 1000000);
	time_t t = (time_t)secs;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	snprintf(out, PAGE_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, frac % 1000000);
}

/* --- marks ---------------------------------------------------------------- */

void
page_mark_none(struct page_mark *m)
{
	m->us = INT64_MIN;
	m->id[0] = '\0';
}

void
page_mark_of(const struct permit *p, struct page_mark *m)
{
	m->us = p->updated_us;
	strlcpy_s(m->id, p->id, sizeof(m->id));
}

static int
page_all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
page_id_cmp(const char *a, const char *b)
{
	int da = page_all_digits(a), db = page_all_digits(b);
	size_t la, lb;
	int c;

	if (da && db) {
		while (*a == '0' && a[1] != '\0')
			a++;
		while (*b == '0' && b[1] != '\0')
			b++;
		la = strlen(a);
		lb = strlen(b);
		if (la != lb)
			return la < lb ? -1 : 1;
		c = strcmp(a, b);
		return c < 0 ? -1 : c > 0;
	}
	/* "" first, then numbers, then the rest. */
	if (*a == '\0' || *b == '\0')
		return (*a != '\0') - (*b != '\0');
	if (da != db)
		return da ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

int
page_mark_cmp(const struct page_mark *a, const struct page_mark *b)
{
	if (a->us != b->us)
		return a->us < b->us ? -1 : 1;
	return page_id_cmp(a->id, b->id);
}

void
page_mark_format(const struct page_mark *m, char out[PAGE_MARK_LEN])
{
	char t[PAGE_TIME_LEN];

	page_time_format_us(m->us, t);
	snprintf(out, PAGE_MARK_LEN, "%s|%s", t, m->id);
}

static int
page_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= PAGE_ID_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
page_mark_parse(const char *s, struct page_mark *m)
{
	char t[PAGE_TIME_LEN];
	const char *bar = strrchr(s, '|');
	int64_t ms;
	size_t tl;

	if (bar == NULL || (tl = (size_t)(bar - s)) == 0 || tl >= sizeof(t))
		return -1;
	memcpy(t, s, tl);
	t[tl] = '\0';
	/* Strict RFC 3339 (a zone), and within the years we format. */
	if (!page_id_ok(bar + 1) || time_parse_rfc3339(t, &ms) == -1 ||
	    page_time_parse(t, 0, 0, &m->us) == -1)
		return -1;
	strlcpy_s(m->id, bar + 1, sizeof(m->id));
	return 0;
}

/* --- records -------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static int
page_utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1fu;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0fu;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07u;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static void
page_permit_clear(struct permit *p)
{
	free(p->id);
	free(p->no_permohonan);
	free(p->jenis_izin);
	free(p->nama_pemohon);
	free(p->status_raw);
	free(p->submitted_at);
	free(p->sla_deadline);
	free(p->no_izin);
	free(p->alasan);
	memset(p, 0, sizeof(*p));
}

void
page_free(struct page *pg)
{
	size_t i;

	if (pg == NULL)
		return;
	for (i = 0; i < pg->npermits; i++)
		page_permit_clear(&pg->permits[i]);
	free(pg->permits);
	free(pg);
}

/*
 * A string field: absent, null or (after trimming) empty gives *out NULL.
 * Returns 0, or -1 with the reason in err.
 */
static int
page_str(const cJSON *rec, const char *name, size_t idx, char **out,
    char *err, size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, name);
	const char *s, *e;
	size_t len;

	*out = NULL;
	if (f == NULL || cJSON_IsNull(f))
		return 0;
	if (!cJSON_IsString(f) || f->valuestring == NULL) {
		snprintf(err, errlen, "data[%zu].%s: not a string", idx, name);
		return -1;
	}
	s = f->valuestring;
	len = strlen(s);
	if (len > PAGE_TEXT_MAX) {
		snprintf(err, errlen, "data[%zu].%s: longer than %d bytes",
		    idx, name, PAGE_TEXT_MAX);
		return -1;
	}
	if (!page_utf8_ok((const unsigned char *)s, len)) {
		snprintf(err, errlen, "data[%zu].%s: not valid UTF-8", idx,
		    name);
		return -1;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	if (e > s)
		*out = xstrndup(s, (size_t)(e - s));
	return 0;
}

/* status: a string, or a numeric status code (kept as its digits). */
static int
page_status_field(const cJSON *rec, size_t idx, char **out, char *err,
    size_t errlen)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, "status");
	char num[32];

	if (cJSON_IsNumber(f)) {
		*out = NULL;
		if (!(f->valuedouble >= 0 && f->valuedouble <= 1e9) ||
		    f->valuedouble != (double)(long)f->valuedouble) {
			snprintf(err, errlen, "data[%zu].status: a number that "
			    "is not a status code", idx);
			return -1;
		}
		snprintf(num, sizeof(num), "%ld", (long)f->valuedouble);
		*out = xstrdup(num);
		return 0;
	}
	return page_str(rec, "status", idx, out, err, errlen);
}

/* tgl_pengajuan, batas_waktu_sla: normalised when readable, else raw. */
static int
page_time_field(const cJSON *rec, const char *name, size_t idx,
    int tz_offset_min, int end_of_day, char **out, char *err, size_t errlen)
{
	char t[PAGE_TIME_LEN];
	int64_t us;

	if (page_str(rec, name, idx, out, err, errlen) == -1)
		return -1;
	if (*out == NULL ||
	    page_time_parse(*out, tz_offset_min, end_of_day, &us) == -1)
		return 0;
	/* Milliseconds are plenty for a submission or a deadline. */
	us -= ((us % 1000) + 1000) % 1000;
	page_time_format_us(us, t);
	free(*out);
	/* "....mmm000Z" -> "....mmmZ" */
	t[23] = 'Z';
	t[24] = '\0';
	*out = xstrdup(t);
	return 0;
}

static int
page_record(const cJSON *rec, size_t idx, const struct page_rules *rules,
    struct permit *p, char *err, size_t errlen)
{
	const cJSON *id;
	char num[32], *updated = NULL;
	int rv = -1;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(rec)) {
		snprintf(err, errlen, "data[%zu]: not an object", idx);
		return -1;
	}
	id = cJSON_GetObjectItemCaseSensitive(rec, "id");
	if (cJSON_IsNumber(id)) {
		if (!(id->valuedouble >= 0 &&
		    id->valuedouble <= PAGE_ID_NUMBER_MAX) ||
		    id->valuedouble != (double)(long long)id->valuedouble) {
			snprintf(err, errlen, "data[%zu].id: not an integer "
			    "from 0 to 2^53-1", idx);
			goto out;
		}
		snprintf(num, sizeof(num), "%lld",
		    (long long)id->valuedouble);
		p->id = xstrdup(num);
	} else if (cJSON_IsString(id) && id->valuestring != NULL) {
		if (id->valuestring[0] == '\0' ||
		    !page_id_ok(id->valuestring)) {
			snprintf(err, errlen, "data[%zu].id: must be 1-%d of "
			    "A-Z a-z 0-9 . _ -", idx, PAGE_ID_MAX);
			goto out;
		}
		p->id = xstrdup(id->valuestring);
	} else {
		snprintf(err, errlen, "data[%zu].id: missing (a number or a "
		    "string)", idx);
		goto out;
	}
	if (page_str(rec, "no_permohonan", idx, &p->no_permohonan, err,
	    errlen) == -1 ||
	    page_str(rec, "jenis_izin", idx, &p->jenis_izin, err,
	    errlen) == -1 ||
	    page_str(rec, "nama_pemohon", idx, &p->nama_pemohon, err,
	    errlen) == -1 ||
	    page_status_field(rec, idx, &p->status_raw, err, errlen) == -1 ||
	    page_time_field(rec, "tgl_pengajuan", idx, rules->tz_offset_min,
	    0, &p->submitted_at, err, errlen) == -1 ||
	    page_time_field(rec, "batas_waktu_sla", idx,
	    rules->tz_offset_min, 1, &p->sla_deadline, err, errlen) == -1 ||
	    page_str(rec, "no_izin", idx, &p->no_izin, err, errlen) == -1 ||
	    page_str(rec, "alasan_tolak", idx, &p->alasan, err,
	    errlen) == -1 ||
	    page_str(rec, "updated_at", idx, &updated, err, errlen) == -1)
		goto out;
	if (p->no_permohonan == NULL) {
		snprintf(err, errlen, "data[%zu] (id %s): no_permohonan "
		    "missing", idx, p->id);
		goto out;
	}
	if (p->status_raw == NULL) {
		snprintf(err, errlen, "data[%zu] (id %s): status missing",
		    idx, p->id);
		goto out;
	}
	if (page_status_normalise(p->status_raw, p->status_key) == -1) {
		/* Still a record: an odd status is only no event. */
		strlcpy_s(p->status_key, "?", sizeof(p->status_key));
		p->status = PERMIT_UNKNOWN;
	} else
		p->status = page_status_of(rules->statuses, p->status_key);
	if (updated == NULL) {
		snprintf(err, errlen, "data[%zu] (id %s): updated_at missing",
		    idx, p->id);
		goto out;
	}
	if (page_time_parse(updated, rules->tz_offset_min, 0,
	    &p->updated_us) == -1) {
		snprintf(err, errlen, "data[%zu] (id %s): updated_at '%.64s' "
		    "is not a date-time", idx, p->id, updated);
		goto out;
	}
	page_time_format_us(p->updated_us, p->updated_at);
	rv = 0;
out:
	free(updated);
	if (rv == -1)
		page_permit_clear(p);
	return rv;
}

/* Parses the body into a tree; -1 with err on bad JSON. */
static cJSON *
page_json(const char *body, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root;
	size_t off;

	if (len == 0) {
		snprintf(err, errlen, "empty body");
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in the body");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL) {
		off = end != NULL && end >= body ? (size_t)(end - body) : 0;
		snprintf(err, errlen, "not JSON (error near byte %zu)", off);
		return NULL;
	}
	for (; end != NULL && end < body + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' &&
		    *end != '\n') {
			snprintf(err, errlen, "trailing bytes after the JSON "
			    "value at byte %zu", (size_t)(end - body));
			cJSON_Delete(root);
			return NULL;
		}
	return root;
}

/* Reads the records of arr (an array, or one object when single). */
static int
page_records(const cJSON *arr, int single, const struct page_rules *rules,
    struct page *pg, char *err, size_t errlen)
{
	size_t max = rules->max_records, n, i;
	const cJSON *rec;

	if (max == 0 || max > PAGE_RECORDS_MAX)
		max = PAGE_RECORDS_MAX;
	n = single ? 1 : (size_t)cJSON_GetArraySize(arr);
	if (n > max) {
		snprintf(err, errlen, "%zu records, more than the limit of %zu",
		    n, max);
		return -1;
	}
	pg->permits = n > 0 ? xcalloc(n, sizeof(*pg->permits)) : NULL;
	i = 0;
	for (rec = single ? arr : arr->child; rec != NULL && i < n;
	    rec = rec->next, i++) {
		if (page_record(rec, i, rules, &pg->permits[i], err,
		    errlen) == -1)
			return -1;
		pg->npermits++;
	}
	return 0;
}

static int
page_meta_long(const cJSON *meta, const char *name, const char *alt,
    long min, long *out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(meta, name);

	if (f == NULL && alt != NULL)
		f = cJSON_GetObjectItemCaseSensitive(meta, alt);
	if (!cJSON_IsNumber(f) || !(f->valuedouble >= (double)min &&
	    f->valuedouble <= 1e9) ||
	    f->valuedouble != (double)(long)f->valuedouble)
		return -1;
	*out = (long)f->valuedouble;
	return 0;
}

int
page_parse(const char *body, size_t len, const struct page_rules *rules,
    struct page **out, char *err, size_t errlen)
{
	struct page *pg = NULL;
	const cJSON *data, *meta;
	cJSON *root;
	int rv = -1;

	*out = NULL;
	if ((root = page_json(body, len, err, errlen)) == NULL)
		return -1;
	pg = xcalloc(1, sizeof(*pg));
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!cJSON_IsArray(data)) {
		snprintf(err, errlen, "no \"data\" array");
		goto out;
	}
	meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
	if (!cJSON_IsObject(meta)) {
		snprintf(err, errlen, "no \"meta\" object");
		goto out;
	}
	if (page_meta_long(meta, "page", "current_page", 1, &pg->page) ==
	    -1) {
		snprintf(err, errlen, "meta.page: missing or not a positive "
		    "integer");
		goto out;
	}
	if (page_meta_long(meta, "last_page", NULL, 0, &pg->last_page) ==
	    -1) {
		snprintf(err, errlen, "meta.last_page: missing or not an "
		    "integer >= 0");
		goto out;
	}
	if (page_meta_long(meta, "total", NULL, 0, &pg->total) == -1) {
		snprintf(err, errlen, "meta.total: missing or not an integer "
		    ">= 0");
		goto out;
	}
	if (page_records(data, 0, rules, pg, err, errlen) == -1)
		goto out;
	if ((size_t)pg->total < pg->npermits) {
		snprintf(err, errlen, "meta.total %ld is less than the %zu "
		    "records of this page", pg->total, pg->npermits);
		goto out;
	}
	if (pg->npermits > 0 && pg->page > pg->last_page) {
		snprintf(err, errlen, "records on page %ld after last_page "
		    "%ld", pg->page, pg->last_page);
		goto out;
	}
	rv = 0;
out:
	cJSON_Delete(root);
	if (rv == -1)
		page_free(pg);
	else
		*out = pg;
	return rv;
}

int
page_parse_push(const char *body, size_t len,
    const struct page_rules *rules, struct page **out, char *err,
    size_t errlen)
{
	struct page *pg = NULL;
	const cJSON *v;
	cJSON *root;
	int rv = -1;

	*out = NULL;
	if ((root = page_json(body, len, err, errlen)) == NULL)
		return -1;
	pg = xcalloc(1, sizeof(*pg));
	v = root;
	if (cJSON_IsObject(v) &&
	    cJSON_GetObjectItemCaseSensitive(v, "data") != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, "data");
	if (cJSON_IsArray(v)) {
		if (cJSON_GetArraySize(v) == 0) {
			snprintf(err, errlen, "no records");
			goto out;
		}
		if (page_records(v, 0, rules, pg, err, errlen) == -1)
			goto out;
	} else if (cJSON_IsObject(v)) {
		if (page_records(v, 1, rules, pg, err, errlen) == -1)
			goto out;
	} else {
		snprintf(err, errlen, "not a record object or an array of "
		    "records");
		goto out;
	}
	rv = 0;
out:
	cJSON_Delete(root);
	if (rv == -1)
		page_free(pg);
	else
		*out = pg;
	return rv;
}

/* --- events --------------------------------------------------------------- */

static void
page_add(cJSON *o, const char *name, const char *value)
{
	if (value != NULL && cJSON_AddStringToObject(o, name, value) == NULL)
		fatalx("page: out of memory");
}

cJSON *
page_permit_data(const struct permit *p)
{
	cJSON *d;

	if (p->status == PERMIT_IGNORE || p->status == PERMIT_UNKNOWN)
		return NULL;
	if ((d = cJSON_CreateObject()) == NULL)
		fatalx("page: out of memory");
	page_add(d, "nomor_permohonan", p->no_permohonan);
	page_add(d, "jenis_izin", p->jenis_izin);
	page_add(d, "pemohon", p->nama_pemohon);
	page_add(d, "status", page_status_name(p->status));
	page_add(d, "submitted_at", p->submitted_at);
	page_add(d, "sla_deadline", p->sla_deadline);
	page_add(d, "nomor_izin", p->no_izin);
	page_add(d, "alasan", p->alasan);
	page_add(d, "sicantik_id", p->id);
	page_add(d, "sicantik_status", p->status_raw);
	page_add(d, "updated_at", p->updated_at);
	return d;
}
