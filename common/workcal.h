/*
 * workcal: SLA durations and the working-time calendar that case deadlines
 * are counted in.
 *
 * An SLA duration is written as a positive whole number and a unit:
 *
 *   "3wd"   3 working days          (1..365)
 *   "4wh"   4 working hours         (1..2920, i.e. 365 days of 8 hours)
 *   "2d" "4h" "30m" "90s"  calendar time, which simply adds (at most 365 d)
 *
 * Nothing else is accepted: no sign, no leading zero, no space, no fraction,
 * no upper case, no zero.
 *
 * A calendar (struct workcal) knows the working week (default Monday to
 * Friday), the working hours (default 08:00-16:00) and its fixed UTC offset
 * (Kabupaten Karo: WIB, +07:00, no daylight saving), and keeps its holidays
 * as a sorted array of local dates. Dates and days are "local days": whole
 * days since 1970-01-01 in the calendar's offset.
 *
 * Deadline semantics (hub/migrations/0002_cases.sql has the SQL twin,
 * simpul_deadline(), which must agree to the millisecond; docs/cases.md has
 * worked examples):
 *
 *   The start is first moved into working time: on a working day before the
 *   working hours it moves to the start of the working hours; at or after
 *   their end, or on a day that is not a working day, it moves to the start
 *   of the working hours of the next working day. Inside the working hours
 *   it stays where it is. Call the result (day D, time of day T).
 *
 *   N working days: the deadline is time T on the N-th working day after D.
 *   Friday 10:00 + 3wd is Wednesday 10:00; one holiday on the Monday or
 *   Tuesday makes it Thursday 10:00.
 *
 *   N working hours: N hours are counted from (D, T) through the working
 *   hours of working days only. A count that ends exactly at the end of the
 *   working hours ends there (16:00), not at the next day's start.
 *   Friday 15:00 + 4wh is Monday 11:00.
 *
 *   Calendar durations add to the start unchanged.
 *
 * Cost: O(N + non-working days in the range) steps after one binary search
 * in the holidays; no allocation. A calendar is read-only during
 * workcal_deadline() and workcal_is_workday(), so threads may share it once
 * it is built.
 */
#ifndef SIMPUL_WORKCAL_H
#define SIMPUL_WORKCAL_H

#include <stddef.h>
#include <stdint.h>

#define SLA_MAX_WORKDAYS 365
#define SLA_MAX_WORKHOURS 2920
#define SLA_MAX_CALENDAR_MS ((int64_t)365 * 86400000)
#define SLA_TEXT_MAX 16		/* room for any sla_format() result */

#define WORKCAL_MAX_HOLIDAYS 10000
#define WORKCAL_MAX_OFFSET_MIN (14 * 60)
/* Starts are accepted from 1970-01-01 up to the end of 9999 (UTC). */
#define WORKCAL_MAX_START_MS INT64_C(253402300799999)
/* What workcal_deadline() returns for input it refuses. */
#define WORKCAL_ERROR INT64_MIN

/* Weekday bits for workcal_set_weekdays(): bit 0 is Monday, bit 6 Sunday. */
#define WORKCAL_MON 0x01u
#define WORKCAL_TUE 0x02u
#define WORKCAL_WED 0x04u
#define WORKCAL_THU 0x08u
#define WORKCAL_FRI 0x10u
#define WORKCAL_SAT 0x20u
#define WORKCAL_SUN 0x40u
#define WORKCAL_MON_FRI 0x1fu

/*
 * An SLA duration: "3wd" (working days), "4wh" (working hours), or
 * "4h"/"30m"/"2d" (calendar time).
 */
enum sla_unit { SLA_WORKDAYS, SLA_WORKHOURS, SLA_CALENDAR_MS };
struct sla_duration {
	enum sla_unit unit;
	int64_t amount;		/* days, hours, or ms */
};

/*
 * Parses s strictly (see above). Returns 0, or -1 and, if err is not NULL,
 * a message such as "'400wd' is out of range (1..365 working days)".
 */
int sla_parse(const char *s, struct sla_duration *out, char *err,
    size_t errlen);
/*
 * Writes the canonical text of d ("3wd", "4wh"; calendar time in the largest
 * unit of d, s, h or m that divides it exactly), which sla_parse() reads back
 * to the same value. Returns 0, or -1 if d is out of range or out is too
 * small (SLA_TEXT_MAX is always enough).
 */
int sla_format(const struct sla_duration *d, char *out, size_t outlen);

struct workcal;

/*
 * A Monday-Friday, 08:00-16:00 calendar without holidays at the given UTC
 * offset in minutes (+420 for WIB). Returns NULL if the offset is beyond
 * +-14:00; out of memory is fatal.
 */
struct workcal *workcal_new(int utc_offset_min);
void workcal_free(struct workcal *c);

/*
 * Adds a holiday (a local date). Keeps the array sorted and unique: adding a
 * date twice is not an error. Returns -1 for a date that does not exist
 * (2026-02-30), a year outside 1970..9999, or a calendar that already holds
 * WORKCAL_MAX_HOLIDAYS dates.
 */
int workcal_add_holiday(struct workcal *c, int y, int m, int d);
/* The same from "YYYY-MM-DD" exactly (as PostgreSQL prints a date). */
int workcal_add_holiday_iso(struct workcal *c, const char *s);
size_t workcal_holiday_count(const struct workcal *c);

/*
 * Sets the working week: bit 0 = Monday ... bit 6 = Sunday; default Mon-Fri.
 * Returns -1 (and changes nothing) if no day is set or a bit above 6 is.
 */
int workcal_set_weekdays(struct workcal *c, unsigned mask);
/*
 * Sets the working hours as minutes after local midnight, start < end
 * (default 480-960, 08:00-16:00). Returns -1 and changes nothing otherwise.
 * The SQL twin knows only the defaults.
 */
int workcal_set_hours(struct workcal *c, int start_min, int end_min);

/* Local day (days since 1970-01-01 in the calendar's offset) of an instant. */
int64_t workcal_local_day(const struct workcal *c, int64_t ms);
/* Local day of a civil date; no range check. */
int64_t workcal_day_from_ymd(int y, int m, int d);
/* 1 if local_day is in the working week and not a holiday, else 0. */
int workcal_is_workday(const struct workcal *c, int64_t local_day);

/*
 * Deadline = start + duration, counted in working time (see the semantics
 * above). Returns the deadline in ms since the epoch, or WORKCAL_ERROR if
 * start_ms is outside 0..WORKCAL_MAX_START_MS or d is out of range.
 */
int64_t workcal_deadline(const struct workcal *c, int64_t start_ms,
    const struct sla_duration *d);

#endif
