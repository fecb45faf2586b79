/*
 * test_workcal: SLA durations and working-time deadlines (common/workcal.c).
 *
 * The worked examples of docs/cases.md, the edges of the working day (exact
 * start and end of hours, one millisecond before the end, before dawn, the
 * WIB date differing from the UTC date), the strict duration grammar, and a
 * comparison with a slow reference that walks time minute by minute on a few
 * thousand generated starts.
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "util.h"
#include "workcal.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)
#define WIB 420			/* minutes east of UTC */
#define WIB_MS (WIB * MIN_MS)

/* An instant given as a WIB wall-clock time. */
static int64_t
wib(int y, int mo, int d, int h, int mi)
{
	return workcal_day_from_ymd(y, mo, d) * DAY_MS + h * HOUR_MS +
	    mi * MIN_MS - WIB_MS;
}

/* Compares two instants as RFC 3339 text, which reads better on failure. */
#define CHECK_TIME(a, b)                                                      \
	do {                                                                  \
		char ta_[32], tb_[32];                                        \
		time_format_rfc3339((a), ta_);                                \
		time_format_rfc3339((b), tb_);                                \
		CHECK_STR(ta_, tb_);                                          \
	} while (0)

static int64_t
deadline(const struct workcal *c, int64_t start, const char *dur)
{
	struct sla_duration d;
	char err[128];

	if (sla_parse(dur, &d, err, sizeof(err)) == -1) {
		testlib_fail(__FILE__, __LINE__, "sla_parse(%s): %s", dur, err);
		return 0;
	}
	return workcal_deadline(c, start, &d);
}

/* The 2026 national holidays and cuti bersama (SKB 3 Menteri). */
static const char *const holidays_2026[] = {
	"2026-01-01", "2026-01-16", "2026-02-16", "2026-02-17", "2026-03-18",
	"2026-03-19", "2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23",
	"2026-03-24", "2026-04-03", "2026-04-05", "2026-05-01", "2026-05-14",
	"2026-05-15", "2026-05-27", "2026-05-28", "2026-05-31", "2026-06-01",
	"2026-06-16", "2026-08-17", "2026-08-25", "2026-12-24", "2026-12-25",
};

static struct workcal *
karo_2026(void)
{
	struct workcal *c = workcal_new(WIB);
	size_t i;

	for (i = 0; i < nitems(holidays_2026); i++)
		CHECK_INT(workcal_add_holiday_iso(c, holidays_2026[i]), 0);
	return c;
}

static void
test_parse(void)
{
	static const struct {
		const char *s;
		enum sla_unit unit;
		int64_t amount;
		const char *canon;
	} good[] = {
		{ "3wd", SLA_WORKDAYS, 3, "3wd" },
		{ "10wd", SLA_WORKDAYS, 10, "10wd" },
		{ "365wd", SLA_WORKDAYS, 365, "365wd" },
		{ "1wh", SLA_WORKHOURS, 1, "1wh" },
		{ "2920wh", SLA_WORKHOURS, 2920, "2920wh" },
		{ "4h", SLA_CALENDAR_MS, 4 * HOUR_MS, "4h" },
		{ "30m", SLA_CALENDAR_MS, 30 * MIN_MS, "30m" },
		{ "2d", SLA_CALENDAR_MS, 2 * DAY_MS, "2d" },
		{ "90s", SLA_CALENDAR_MS, 90000, "90s" },
		{ "60s", SLA_CALENDAR_MS, MIN_MS, "1m" },
		{ "120m", SLA_CALENDAR_MS, 2 * HOUR_MS, "2h" },
		{ "48h", SLA_CALENDAR_MS, 2 * DAY_MS, "2d" },
		{ "365d", SLA_CALENDAR_MS, 365 * DAY_MS, "365d" },
		{ "8760h", SLA_CALENDAR_MS, 365 * DAY_MS, "365d" },
		{ "525600m", SLA_CALENDAR_MS, 365 * DAY_MS, "365d" },
		{ "31536000s", SLA_CALENDAR_MS, 365 * DAY_MS, "365d" },
	};
	static const struct {
		const char *s;
		const char *msg;	/* a part of the error message */
	} bad[] = {
		{ "", "empty" },
		{ "0wd", "positive" },
		{ "03wd", "leading zeros" },
		{ "366wd", "out of range (1..365 working days)" },
		{ "2921wh", "out of range (1..2920 working hours)" },
		{ "366d", "out of range" },
		{ "8761h", "out of range" },
		{ "525601m", "out of range" },
		{ "31536001s", "out of range" },
		{ "99999999999999999999wd", "out of range" },
		{ "3", "unknown unit" },
		{ "wd", "expected a number" },
		{ "3WD", "unknown unit" },
		{ " 3wd", "expected a number" },
		{ "3wd ", "unknown unit" },
		{ "+3wd", "expected a number" },
		{ "-3wd", "expected a number" },
		{ "3.5wd", "unknown unit" },
		{ "3 wd", "unknown unit" },
		{ "3w", "unknown unit" },
		{ "3ms", "unknown unit" },
		{ "3wdx", "unknown unit" },
		{ "1y", "unknown unit" },
	};
	struct sla_duration d;
	char err[128], out[SLA_TEXT_MAX];
	size_t i;

	for (i = 0; i < nitems(good); i++) {
		memset(&d, 0, sizeof(d));
		CHECK_INT(sla_parse(good[i].s, &d, err, sizeof(err)), 0);
		CHECK_INT(d.unit, good[i].unit);
		CHECK_INT(d.amount, good[i].amount);
		CHECK_INT(sla_format(&d, out, sizeof(out)), 0);
		CHECK_STR(out, good[i].canon);
	}
	for (i = 0; i < nitems(bad); i++) {
		err[0] = '\0';
		CHECK_INT(sla_parse(bad[i].s, &d, err, sizeof(err)), -1);
		if (strstr(err, bad[i].msg) == NULL)
			testlib_fail(__FILE__, __LINE__, "sla_parse(\"%s\"): "
			    "\"%s\" lacks \"%s\"", bad[i].s, err, bad[i].msg);
		else
			testlib_passed++;
	}
	CHECK_INT(sla_parse(NULL, &d, err, sizeof(err)), -1);
	CHECK_INT(sla_parse("3x", &d, NULL, 0), -1);
	CHECK_STR(err, "empty SLA duration");

	/* Messages quote outside input without its control bytes. */
	CHECK_INT(sla_parse("3\033[2Jwd", &d, err, sizeof(err)), -1);
	CHECK(strchr(err, '\033') == NULL);
	CHECK_INT(sla_parse("1234567890123456789012345678901234567890wd", &d,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "...") != NULL);
	CHECK(strlen(err) < 100);

	/* A tiny buffer truncates but terminates. */
	CHECK_INT(sla_parse("9wx", &d, err, 8), -1);
	CHECK_INT(strlen(err), 7);

	/* sla_format refuses what sla_parse never makes. */
	d.unit = SLA_WORKDAYS;
	d.amount = 0;
	CHECK_INT(sla_format(&d, out, sizeof(out)), -1);
	d.amount = 366;
	CHECK_INT(sla_format(&d, out, sizeof(out)), -1);
	d.unit = SLA_CALENDAR_MS;
	d.amount = 1500;
	CHECK_INT(sla_format(&d, out, sizeof(out)), -1);
	d.unit = SLA_WORKHOURS;
	d.amount = 2920;
	CHECK_INT(sla_format(&d, out, 4), -1);
	CHECK_INT(sla_format(&d, out, 7), 0);
	CHECK_STR(out, "2920wh");
}

static void
test_calendar(void)
{
	struct workcal *c;
	int64_t fri = workcal_day_from_ymd(2026, 11, 27);

	CHECK(workcal_new(14 * 60 + 1) == NULL);
	CHECK(workcal_new(-14 * 60 - 1) == NULL);
	workcal_free(workcal_new(-14 * 60));
	workcal_free(NULL);

	CHECK_INT(workcal_day_from_ymd(1970, 1, 1), 0);
	CHECK_INT(workcal_day_from_ymd(2000, 3, 1), 11017);
	CHECK_INT(workcal_day_from_ymd(2026, 1, 1), 20454);

	c = workcal_new(WIB);
	CHECK_INT(workcal_is_workday(c, fri), 1);
	CHECK_INT(workcal_is_workday(c, fri + 1), 0);	/* Saturday */
	CHECK_INT(workcal_is_workday(c, fri + 2), 0);	/* Sunday */
	CHECK_INT(workcal_is_workday(c, fri + 3), 1);
	CHECK_INT(workcal_is_workday(c, 0), 1);		/* a Thursday */
	CHECK_INT(workcal_is_workday(c, -1), 1);	/* Wednesday */
	CHECK_INT(workcal_is_workday(c, -3), 1);	/* Monday */
	CHECK_INT(workcal_is_workday(c, -4), 0);	/* Sunday */

	/* The local day follows WIB, not UTC. */
	CHECK_INT(workcal_local_day(c, wib(2026, 11, 27, 0, 0)), fri);
	CHECK_INT(workcal_local_day(c, wib(2026, 11, 27, 23, 59)), fri);
	CHECK_INT(workcal_local_day(c, wib(2026, 11, 28, 0, 0)), fri + 1);
	CHECK_INT(workcal_local_day(c, 0), 0);

	/* Holidays: invalid dates, duplicates, any order. */
	CHECK_INT(workcal_add_holiday(c, 2026, 2, 29), -1);
	CHECK_INT(workcal_add_holiday(c, 2026, 4, 31), -1);
	CHECK_INT(workcal_add_holiday(c, 2026, 13, 1), -1);
	CHECK_INT(workcal_add_holiday(c, 2026, 0, 1), -1);
	CHECK_INT(workcal_add_holiday(c, 2026, 1, 0), -1);
	CHECK_INT(workcal_add_holiday(c, 1969, 12, 31), -1);
	CHECK_INT(workcal_add_holiday(c, 10000, 1, 1), -1);
	CHECK_INT(workcal_holiday_count(c), 0);
	CHECK_INT(workcal_add_holiday(c, 2028, 2, 29), 0);
	CHECK_INT(workcal_add_holiday(c, 2026, 12, 25), 0);
	CHECK_INT(workcal_add_holiday(c, 2026, 8, 17), 0);
	CHECK_INT(workcal_add_holiday(c, 2026, 12, 25), 0);
	CHECK_INT(workcal_add_holiday(c, 2026, 1, 1), 0);
	CHECK_INT(workcal_holiday_count(c), 4);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2026, 8, 17)), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2026, 8, 18)), 1);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2026, 1, 1)), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2026, 12, 25)), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2028, 2, 29)), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2028, 2, 28)), 1);

	CHECK_INT(workcal_add_holiday_iso(c, "2026-03-19"), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(2026, 3, 19)), 0);
	CHECK_INT(workcal_add_holiday_iso(c, "2026-3-19"), -1);
	CHECK_INT(workcal_add_holiday_iso(c, "2026-03-19 "), -1);
	CHECK_INT(workcal_add_holiday_iso(c, "2026-03-1x"), -1);
	CHECK_INT(workcal_add_holiday_iso(c, "2026/03/20"), -1);
	CHECK_INT(workcal_add_holiday_iso(c, "+026-03-20"), -1);
	CHECK_INT(workcal_add_holiday_iso(c, ""), -1);
	CHECK_INT(workcal_add_holiday_iso(c, NULL), -1);
	CHECK_INT(workcal_holiday_count(c), 5);

	/* The working week. */
	CHECK_INT(workcal_set_weekdays(c, 0), -1);
	CHECK_INT(workcal_set_weekdays(c, 0x80), -1);
	CHECK_INT(workcal_set_weekdays(c, WORKCAL_MON_FRI | 0x100), -1);
	CHECK_INT(workcal_is_workday(c, fri + 1), 0);
	CHECK_INT(workcal_set_weekdays(c, WORKCAL_MON_FRI | WORKCAL_SAT), 0);
	CHECK_INT(workcal_is_workday(c, fri + 1), 1);
	CHECK_INT(workcal_is_workday(c, fri + 2), 0);

	CHECK_INT(workcal_set_hours(c, 600, 600), -1);
	CHECK_INT(workcal_set_hours(c, -1, 600), -1);
	CHECK_INT(workcal_set_hours(c, 0, 24 * 60 + 1), -1);
	CHECK_INT(workcal_set_hours(c, 0, 24 * 60), 0);
	workcal_free(c);

	/* The holiday limit: 336 dates a year from 1970 fill it by 2000. */
	c = workcal_new(WIB);
	{
		int y, m, d, fails = 0;

		for (y = 1970; y < 2000; y++)
			for (m = 1; m <= 12; m++)
				for (d = 1; d <= 28; d++)
					if (workcal_holiday_count(c) <
					    WORKCAL_MAX_HOLIDAYS)
						fails += workcal_add_holiday(c,
						    y, m, d) == -1;
		CHECK_INT(fails, 0);
	}
	CHECK_INT(workcal_holiday_count(c), WORKCAL_MAX_HOLIDAYS);
	CHECK_INT(workcal_add_holiday(c, 9999, 12, 31), -1);
	CHECK_INT(workcal_holiday_count(c), WORKCAL_MAX_HOLIDAYS);
	/* Adding one it already has is still fine. */
	CHECK_INT(workcal_add_holiday(c, 1970, 1, 1), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(1975, 6, 13)), 0);
	CHECK_INT(workcal_is_workday(c, workcal_day_from_ymd(1975, 6, 30)), 1);
	workcal_free(c);
}

static void
test_workdays(void)
{
	struct workcal *c = workcal_new(WIB), *k = karo_2026();

	/* The worked example: Friday 10:00 + 3wd is Wednesday 10:00. */
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "3wd"),
	    wib(2026, 12, 2, 10, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "1wd"),
	    wib(2026, 11, 30, 10, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "5wd"),
	    wib(2026, 12, 4, 10, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "10wd"),
	    wib(2026, 12, 11, 10, 0));
	/* Milliseconds survive. */
	CHECK_INT(deadline(c, wib(2026, 11, 27, 10, 0) + 1234, "3wd"),
	    wib(2026, 12, 2, 10, 0) + 1234);

	/* A holiday inside the window moves it one working day. */
	CHECK_TIME(deadline(c, wib(2026, 8, 14, 10, 0), "3wd"),
	    wib(2026, 8, 19, 10, 0));
	CHECK_TIME(deadline(k, wib(2026, 8, 14, 10, 0), "3wd"),
	    wib(2026, 8, 20, 10, 0));
	/* Nyepi and Idul Fitri 2026 with cuti bersama: a week off. */
	CHECK_TIME(deadline(k, wib(2026, 3, 13, 10, 0), "3wd"),
	    wib(2026, 3, 25, 10, 0));
	/* Christmas Eve (cuti bersama) and Christmas. */
	CHECK_TIME(deadline(k, wib(2026, 12, 23, 9, 15), "1wd"),
	    wib(2026, 12, 28, 9, 15));
	/* A start on a holiday counts from the next working morning. */
	CHECK_TIME(deadline(k, wib(2026, 8, 17, 10, 0), "1wd"),
	    wib(2026, 8, 19, 8, 0));

	/* A weekend start counts from Monday 08:00. */
	CHECK_TIME(deadline(c, wib(2026, 11, 28, 14, 0), "3wd"),
	    wib(2026, 12, 3, 8, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 29, 23, 59), "1wd"),
	    wib(2026, 12, 1, 8, 0));
	/* The end of the working hours belongs to the next working day. */
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 16, 0), "1wd"),
	    wib(2026, 12, 1, 8, 0));
	CHECK_INT(deadline(c, wib(2026, 11, 27, 16, 0) - 1, "1wd"),
	    wib(2026, 11, 30, 16, 0) - 1);
	/* Before the working hours: from 08:00 the same day. */
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 6, 0), "1wd"),
	    wib(2026, 11, 30, 8, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 8, 0), "1wd"),
	    wib(2026, 11, 30, 8, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 8, 0) - 1, "1wd"),
	    wib(2026, 11, 30, 8, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 8, 0) + 1, "1wd"),
	    wib(2026, 11, 30, 8, 0) + 1);
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 0, 0), "1wd"),
	    wib(2026, 11, 30, 8, 0));
	/* Thursday 23:30 WIB: after hours, from Friday 08:00. */
	CHECK_TIME(deadline(c, wib(2026, 11, 26, 23, 30), "1wd"),
	    wib(2026, 11, 30, 8, 0));

	/*
	 * WIB, not UTC: Friday 20:00 UTC is Saturday 03:00 WIB (a weekend
	 * start), and Sunday 23:30 UTC is Monday 06:30 WIB (before hours).
	 */
	{
		int64_t t;

		CHECK_INT(time_parse_rfc3339("2026-11-27T20:00:00Z", &t), 0);
		CHECK_TIME(deadline(c, t, "1wd"), wib(2026, 12, 1, 8, 0));
		CHECK_INT(time_parse_rfc3339("2026-11-29T23:30:00Z", &t), 0);
		CHECK_TIME(deadline(c, t, "1wd"), wib(2026, 12, 1, 8, 0));
		CHECK_INT(time_parse_rfc3339("2026-11-27T03:00:00Z", &t), 0);
		CHECK_TIME(deadline(c, t, "3wd"), wib(2026, 12, 2, 10, 0));
	}

	/* Another offset: UTC-05:00 counts its own local dates. */
	{
		struct workcal *w = workcal_new(-300);
		int64_t t;

		/* Friday 2026-11-27 23:00 at -05:00 is Saturday 04:00 UTC. */
		CHECK_INT(time_parse_rfc3339("2026-11-28T04:00:00Z", &t), 0);
		CHECK_INT(workcal_local_day(w, t),
		    workcal_day_from_ymd(2026, 11, 27));
		CHECK_INT(time_parse_rfc3339("2026-11-27T15:00:00Z", &t), 0);
		CHECK_TIME(deadline(w, t, "3wd"),
		    t + 5 * DAY_MS);	/* Fri 10:00 -05 -> Wed 10:00 -05 */
		workcal_free(w);
	}

	/* A six-day week: Friday + 1wd is Saturday. */
	CHECK_INT(workcal_set_weekdays(c, WORKCAL_MON_FRI | WORKCAL_SAT), 0);
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "1wd"),
	    wib(2026, 11, 28, 10, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 28, 10, 0), "1wd"),
	    wib(2026, 11, 30, 10, 0));
	/* Wednesdays only: Monday counts from Wednesday 08:00. */
	CHECK_INT(workcal_set_weekdays(c, WORKCAL_WED), 0);
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 10, 0), "1wd"),
	    wib(2026, 12, 9, 8, 0));
	CHECK_INT(workcal_set_weekdays(c, WORKCAL_MON_FRI), 0);

	/* Other working hours. */
	CHECK_INT(workcal_set_hours(c, 9 * 60, 17 * 60), 0);
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 16, 30), "1wd"),
	    wib(2026, 11, 30, 16, 30));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 8, 30), "1wd"),
	    wib(2026, 11, 30, 9, 0));
	workcal_free(c);
	workcal_free(k);
}

static void
test_workhours(void)
{
	struct workcal *c = workcal_new(WIB), *k = karo_2026();

	CHECK_TIME(deadline(c, wib(2026, 11, 27, 15, 0), "4wh"),
	    wib(2026, 11, 30, 11, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "6wh"),
	    wib(2026, 11, 27, 16, 0));	/* ends at the end of hours */
	CHECK_TIME(deadline(c, wib(2026, 11, 27, 10, 0), "7wh"),
	    wib(2026, 11, 30, 9, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 8, 0), "8wh"),
	    wib(2026, 11, 30, 16, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 8, 0), "40wh"),
	    wib(2026, 12, 4, 16, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 8, 0), "41wh"),
	    wib(2026, 12, 7, 9, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 28, 12, 0), "1wh"),
	    wib(2026, 11, 30, 9, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 6, 0), "1wh"),
	    wib(2026, 11, 30, 9, 0));
	CHECK_TIME(deadline(c, wib(2026, 11, 30, 16, 0), "1wh"),
	    wib(2026, 12, 1, 9, 0));
	CHECK_INT(deadline(c, wib(2026, 11, 30, 16, 0) - 1, "1wh"),
	    wib(2026, 12, 1, 9, 0) - 1);
	/* A holiday Monday is skipped. */
	CHECK_TIME(deadline(k, wib(2026, 8, 14, 15, 0), "4wh"),
	    wib(2026, 8, 18, 11, 0));
	workcal_free(c);
	workcal_free(k);
}

static void
test_calendar_time(void)
{
	struct workcal *k = karo_2026();
	struct sla_duration d;

	CHECK_TIME(deadline(k, wib(2026, 11, 27, 10, 0), "4h"),
	    wib(2026, 11, 27, 14, 0));
	CHECK_TIME(deadline(k, wib(2026, 11, 28, 23, 50), "30m"),
	    wib(2026, 11, 29, 0, 20));
	CHECK_TIME(deadline(k, wib(2026, 12, 24, 10, 0), "2d"),
	    wib(2026, 12, 26, 10, 0));

	/* Refused input. */
	d.unit = SLA_WORKDAYS;
	d.amount = 3;
	CHECK(workcal_deadline(k, -1, &d) == WORKCAL_ERROR);
	CHECK(workcal_deadline(k, WORKCAL_MAX_START_MS + 1, &d) ==
	    WORKCAL_ERROR);
	CHECK(workcal_deadline(k, INT64_MAX, &d) == WORKCAL_ERROR);
	CHECK(workcal_deadline(k, INT64_MIN, &d) == WORKCAL_ERROR);
	CHECK(workcal_deadline(NULL, 0, &d) == WORKCAL_ERROR);
	CHECK(workcal_deadline(k, 0, NULL) == WORKCAL_ERROR);
	CHECK(workcal_deadline(k, 0, &d) != WORKCAL_ERROR);
	CHECK(workcal_deadline(k, WORKCAL_MAX_START_MS, &d) > 0);
	d.amount = 0;
	CHECK(workcal_deadline(k, 0, &d) == WORKCAL_ERROR);
	d.amount = SLA_MAX_WORKDAYS + 1;
	CHECK(workcal_deadline(k, 0, &d) == WORKCAL_ERROR);
	d.unit = SLA_WORKHOURS;
	d.amount = SLA_MAX_WORKHOURS + 1;
	CHECK(workcal_deadline(k, 0, &d) == WORKCAL_ERROR);
	d.unit = SLA_CALENDAR_MS;
	d.amount = 999;
	CHECK(workcal_deadline(k, 0, &d) == WORKCAL_ERROR);
	d.unit = (enum sla_unit)7;
	d.amount = 3;
	CHECK(workcal_deadline(k, 0, &d) == WORKCAL_ERROR);
	workcal_free(k);
}

/*
 * The reference: time advances minute by minute. A minute is working time
 * when its local day is a working day and it lies in 08:00-16:00.
 */
static int
ref_working_minute(const struct workcal *c, int64_t t)
{
	int64_t local = t + WIB_MS;
	int64_t day = local / DAY_MS, tod = local % DAY_MS;

	return workcal_is_workday(c, day) && tod >= 8 * HOUR_MS &&
	    tod < 16 * HOUR_MS;
}

/* Starts are whole minutes here, so the walk sees whole minutes only. */
static int64_t
ref_deadline(const struct workcal *c, int64_t start, const char *dur)
{
	int64_t t = start, rem, day, tod;
	int n;

	if (strcmp(dur + strlen(dur) - 2, "wh") == 0) {
		rem = 0;
		for (n = 0; dur[n] >= '0' && dur[n] <= '9'; n++)
			rem = rem * 10 + (dur[n] - '0');
		rem *= 60;
		for (; rem > 0; t += MIN_MS)
			if (ref_working_minute(c, t))
				rem--;
		return t;
	}
	/* Working days: find the first working minute, then count days. */
	while (!ref_working_minute(c, t))
		t += MIN_MS;
	day = (t + WIB_MS) / DAY_MS;
	tod = (t + WIB_MS) % DAY_MS;
	for (n = dur[0] - '0'; n > 0; n--)
		while (!workcal_is_workday(c, ++day))
			;
	return day * DAY_MS + tod - WIB_MS;
}

static void
test_reference(void)
{
	static const char *const durs[] = {
		"1wd", "2wd", "3wd", "5wd", "9wd", "1wh", "4wh", "8wh", "9wh",
		"17wh", "40wh",
	};
	struct workcal *k = karo_2026();
	uint64_t x = 0x9e3779b97f4a7c15u;
	int64_t lo = wib(2025, 12, 20, 0, 0), span = INT64_C(400) * 24 * 60, start;
	int i, bad = 0;

	for (i = 0; i < 3000; i++) {
		const char *dur = durs[i % nitems(durs)];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		start = lo + (int64_t)(x % (uint64_t)span) * MIN_MS;
		/* Every fourth on a whole hour: 08:00 and 16:00 come up. */
		if (i % 4 == 0)
			start -= start % HOUR_MS;
		if (deadline(k, start, dur) != ref_deadline(k, start, dur)) {
			char a[32];

			time_format_rfc3339(start, a);
			if (bad++ < 10)
				testlib_fail(__FILE__, __LINE__, "start %s "
				    "+ %s differs from the reference", a, dur);
		}
	}
	CHECK_INT(bad, 0);
	workcal_free(k);
}

int
main(void)
{
	test_parse();
	test_calendar();
	test_workdays();
	test_workhours();
	test_calendar_time();
	test_reference();
	return testlib_done();
}
