/*
 * workcal: SLA durations and working-time deadlines; see workcal.h for the
 * semantics, which hub/migrations/0002_cases.sql (simpul_deadline) repeats
 * in SQL. The two must change together: tests/integration/test_cases_sql.sh
 * compares them on hundreds of generated starts.
 *
 * All arithmetic is on int64_t milliseconds and local days, with floor
 * division, so an offset west of UTC or an instant just after the epoch does
 * not round the wrong way. Holidays are a sorted array of local days: one
 * binary search finds the first holiday at or after the start, and from
 * there a cursor walks forward with the day being counted, so a deadline
 * costs O(N + non-working days passed) whatever the number of holidays.
 */
#include "workcal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MS_MINUTE INT64_C(60000)
#define MS_HOUR INT64_C(3600000)
#define MS_DAY INT64_C(86400000)

struct workcal {
	int offset_min;		/* east of UTC */
	unsigned weekdays;	/* bit 0 = Monday */
	int start_min, end_min;	/* working hours, minutes after midnight */
	int64_t *holidays;	/* local days, sorted, unique */
	size_t nholidays, cap;
};

/* A walk over increasing days that knows which of them are holidays. */
struct daywalk {
	const struct workcal *c;
	size_t next;		/* first holiday not before the current day */
};

static const struct sla_unit_def {
	const char *suffix;
	enum sla_unit unit;
	int64_t scale;		/* ms per unit for calendar units, else 1 */
	int64_t max;
	const char *name;
} sla_units[] = {
	{ "wd", SLA_WORKDAYS, 1, SLA_MAX_WORKDAYS, "working days" },
	{ "wh", SLA_WORKHOURS, 1, SLA_MAX_WORKHOURS, "working hours" },
	{ "d", SLA_CALENDAR_MS, MS_DAY, SLA_MAX_CALENDAR_MS / MS_DAY, "days" },
	{ "h", SLA_CALENDAR_MS, MS_HOUR, SLA_MAX_CALENDAR_MS / MS_HOUR,
	    "hours" },
	{ "m", SLA_CALENDAR_MS, MS_MINUTE, SLA_MAX_CALENDAR_MS / MS_MINUTE,
	    "minutes" },
	{ "s", SLA_CALENDAR_MS, 1000, SLA_MAX_CALENDAR_MS / 1000, "seconds" },
};

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* 0 = Monday ... 6 = Sunday; day 0 (1970-01-01) was a Thursday. */
static unsigned
weekday(int64_t day)
{
	return (unsigned)(((day % 7) + 7 + 3) % 7);
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

int64_t
workcal_day_from_ymd(int y, int m, int d)
{
	return time_days_from_civil(y, m, d);
}

/*
 * Copies up to 24 characters of outside input for an error message,
 * replacing anything unprintable, so an error never carries control bytes.
 */
static void
quote(const char *s, char out[32])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 24; i++)
		out[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int
sla_parse(const char *s, struct sla_duration *out, char *err, size_t errlen)
{
	const struct sla_unit_def *u = NULL;
	const char *p;
	char q[32];
	int64_t v = 0;
	size_t i, ndigits = 0;

	if (s == NULL || *s == '\0') {
		if (err != NULL)
			snprintf(err, errlen, "empty SLA duration");
		return -1;
	}
	quote(s, q);
	for (p = s; isdigit((unsigned char)*p); p++) {
		/* Ten digits pass every bound; count more, never overflow. */
		if (++ndigits <= 10)
			v = v * 10 + (*p - '0');
	}
	if (ndigits == 0) {
		if (err != NULL)
			snprintf(err, errlen, "'%s': expected a number and a "
			    "unit such as 3wd, 4wh, 4h or 30m", q);
		return -1;
	}
	if (*s == '0') {
		if (err != NULL)
			snprintf(err, errlen, "'%s': the amount must be a "
			    "positive number without leading zeros", q);
		return -1;
	}
	for (i = 0; i < nitems(sla_units); i++) {
		if (strcmp(p, sla_units[i].suffix) == 0) {
			u = &sla_units[i];
			break;
		}
	}
	if (u == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "'%s': unknown unit (use wd, wh, "
			    "d, h, m or s)", q);
		return -1;
	}
	if (ndigits > 10 || v > u->max) {
		if (err != NULL)
			snprintf(err, errlen, "'%s' is out of range (1..%lld "
			    "%s)", q, (long long)u->max, u->name);
		return -1;
	}
	out->unit = u->unit;
	out->amount = v * u->scale;
	return 0;
}

static int
sla_valid(const struct sla_duration *d)
{
	switch (d->unit) {
	case SLA_WORKDAYS:
		return d->amount >= 1 && d->amount <= SLA_MAX_WORKDAYS;
	case SLA_WORKHOURS:
		return d->amount >= 1 && d->amount <= SLA_MAX_WORKHOURS;
	case SLA_CALENDAR_MS:
		/* sla_parse() never makes less than a second. */
		return d->amount >= 1000 && d->amount <= SLA_MAX_CALENDAR_MS &&
		    d->amount % 1000 == 0;
	}
	return 0;
}

int
sla_format(const struct sla_duration *d, char *out, size_t outlen)
{
	const char *suffix;
	int64_t n;
	int r;

	if (d == NULL || !sla_valid(d))
		return -1;
	n = d->amount;
	switch (d->unit) {
	case SLA_WORKDAYS:
		suffix = "wd";
		break;
	case SLA_WORKHOURS:
		suffix = "wh";
		break;
	case SLA_CALENDAR_MS:
	default:
		if (n % MS_DAY == 0) {
			n /= MS_DAY;
			suffix = "d";
		} else if (n % MS_HOUR == 0) {
			n /= MS_HOUR;
			suffix = "h";
		} else if (n % MS_MINUTE == 0) {
			n /= MS_MINUTE;
			suffix = "m";
		} else {
			n /= 1000;
			suffix = "s";
		}
		break;
	}
	r = snprintf(out, outlen, "%lld%s", (long long)n, suffix);
	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}

struct workcal *
workcal_new(int utc_offset_min)
{
	struct workcal *c;

	if (utc_offset_min < -WORKCAL_MAX_OFFSET_MIN ||
	    utc_offset_min > WORKCAL_MAX_OFFSET_MIN)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->offset_min = utc_offset_min;
	c->weekdays = WORKCAL_MON_FRI;
	c->start_min = 8 * 60;
	c->end_min = 16 * 60;
	return c;
}

void
workcal_free(struct workcal *c)
{
	if (c == NULL)
		return;
	free(c->holidays);
	free(c);
}

/* Index of the first holiday >= day (nholidays if none). */
static size_t
holiday_lower_bound(const struct workcal *c, int64_t day)
{
	size_t lo = 0, hi = c->nholidays, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
workcal_add_holiday(struct workcal *c, int y, int m, int d)
{
	int64_t day;
	size_t i;

	if (!date_valid(y, m, d))
		return -1;
	day = workcal_day_from_ymd(y, m, d);
	i = holiday_lower_bound(c, day);
	if (i < c->nholidays && c->holidays[i] == day)
		return 0;
	if (c->nholidays >= WORKCAL_MAX_HOLIDAYS)
		return -1;
	if (c->nholidays == c->cap) {
		c->cap = c->cap == 0 ? 32 : c->cap * 2;
		c->holidays = xrealloc(c->holidays,
		    c->cap * sizeof(c->holidays[0]));
	}
	/* Dates usually arrive in order, so this moves nothing. */
	memmove(c->holidays + i + 1, c->holidays + i,
	    (c->nholidays - i) * sizeof(c->holidays[0]));
	c->holidays[i] = day;
	c->nholidays++;
	return 0;
}

static int
digits_n(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
workcal_add_holiday_iso(struct workcal *c, const char *s)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits_n(s, 4, &y) == -1 || digits_n(s + 5, 2, &m) == -1 ||
	    digits_n(s + 8, 2, &d) == -1)
		return -1;
	return workcal_add_holiday(c, y, m, d);
}

size_t
workcal_holiday_count(const struct workcal *c)
{
	return c->nholidays;
}

int
workcal_set_weekdays(struct workcal *c, unsigned mask)
{
	if ((mask & 0x7fu) == 0 || (mask & ~0x7fu) != 0)
		return -1;
	c->weekdays = mask;
	return 0;
}

int
workcal_set_hours(struct workcal *c, int start_min, int end_min)
{
	if (start_min < 0 || end_min > 24 * 60 || start_min >= end_min)
		return -1;
	c->start_min = start_min;
	c->end_min = end_min;
	return 0;
}

int64_t
workcal_local_day(const struct workcal *c, int64_t ms)
{
	return floordiv(ms + c->offset_min * MS_MINUTE, MS_DAY);
}

int
workcal_is_workday(const struct workcal *c, int64_t local_day)
{
	size_t i;

	if ((c->weekdays & (1u << weekday(local_day))) == 0)
		return 0;
	i = holiday_lower_bound(c, local_day);
	return !(i < c->nholidays && c->holidays[i] == local_day);
}

static void
daywalk_init(struct daywalk *w, const struct workcal *c, int64_t day)
{
	w->c = c;
	w->next = holiday_lower_bound(c, day);
}

/* Like workcal_is_workday(), for days that never decrease along a walk. */
static int
daywalk_is_workday(struct daywalk *w, int64_t day)
{
	const struct workcal *c = w->c;

	while (w->next < c->nholidays && c->holidays[w->next] < day)
		w->next++;
	if ((c->weekdays & (1u << weekday(day))) == 0)
		return 0;
	return !(w->next < c->nholidays && c->holidays[w->next] == day);
}

/*
 * The first working day after day. It exists within 7 days past the last
 * holiday, because the working week is never empty.
 */
static int64_t
daywalk_next(struct daywalk *w, int64_t day)
{
	do
		day++;
	while (!daywalk_is_workday(w, day));
	return day;
}

int64_t
workcal_deadline(const struct workcal *c, int64_t start_ms,
    const struct sla_duration *d)
{
	struct daywalk w;
	int64_t off, local, day, tod, ws, we, n, rem;

	if (c == NULL || d == NULL || start_ms < 0 ||
	    start_ms > WORKCAL_MAX_START_MS || !sla_valid(d))
		return WORKCAL_ERROR;
	if (d->unit == SLA_CALENDAR_MS)
		return start_ms + d->amount;

	off = c->offset_min * MS_MINUTE;
	ws = c->start_min * MS_MINUTE;
	we = c->end_min * MS_MINUTE;
	local = start_ms + off;
	day = floordiv(local, MS_DAY);
	tod = local - day * MS_DAY;

	/* Move the start into working time. */
	daywalk_init(&w, c, day);
	if (!daywalk_is_workday(&w, day) || tod >= we) {
		day = daywalk_next(&w, day);
		tod = ws;
	} else if (tod < ws)
		tod = ws;

	if (d->unit == SLA_WORKDAYS) {
		for (n = d->amount; n > 0; n--)
			day = daywalk_next(&w, day);
		return day * MS_DAY + tod - off;
	}

	rem = d->amount * MS_HOUR;
	for (;;) {
		if (rem <= we - tod)
			return day * MS_DAY + tod + rem - off;
		rem -= we - tod;
		day = daywalk_next(&w, day);
		tod = ws;
	}
}
