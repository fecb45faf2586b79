/*
 * fuzz_duration: SLA durations (sla_parse) and the deadlines computed from
 * them (workcal_deadline) in common/workcal.c.
 *
 * Input: the duration text; bytes after the first 64 are ignored (policies
 * are short, and sla_parse() reads a C string). Checks, aborting on any
 * violation:
 *
 * - a refused input gets a terminated, printable error message;
 * - an accepted one has its canonical text (sla_format), which parses back
 *   to the same value;
 * - from a handful of starts (a working morning, 16:00 sharp, a Saturday, a
 *   holiday, the last instant accepted) on a WIB calendar with the 2026
 *   holidays: the deadline exists and is later than the start; calendar
 *   time adds exactly; a working-day deadline falls on a working day, within
 *   the working hours, at the start's time of day once moved into working
 *   time; a working-hours deadline falls on a working day in (08:00, 16:00]
 *   and at least N hours after the start; one unit more never comes earlier.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workcal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS_HOUR INT64_C(3600000)
#define MS_DAY INT64_C(86400000)
#define OFF (7 * MS_HOUR)
#define WS (8 * MS_HOUR)
#define WE (16 * MS_HOUR)

static const char *const holidays[] = {
	"2026-01-01", "2026-03-18", "2026-03-19", "2026-03-20", "2026-03-23",
	"2026-03-24", "2026-08-17", "2026-12-24", "2026-12-25",
};

static const int64_t starts[] = {
	INT64_C(1795748400000),		/* Fri 2026-11-27 10:00 WIB */
	INT64_C(1795770000000),		/* Fri 2026-11-27 16:00 WIB */
	INT64_C(1795769999999),		/* ... one ms before */
	INT64_C(1795849200000),		/* Sat 2026-11-28 14:00 WIB */
	INT64_C(1786939200000),		/* Mon 2026-08-17 11:00, a holiday */
	INT64_C(1773370800000),		/* Fri 2026-03-13 10:00 WIB, Lebaran */
	0,				/* the epoch: Thursday 07:00 WIB */
	WORKCAL_MAX_START_MS,
};

static struct workcal *cal;

static void
setup(void)
{
	size_t i;

	if (cal != NULL)
		return;
	if ((cal = workcal_new(7 * 60)) == NULL)
		abort();
	for (i = 0; i < sizeof(holidays) / sizeof(holidays[0]); i++)
		if (workcal_add_holiday_iso(cal, holidays[i]) == -1)
			abort();
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && a < 0);
}

static void
check_deadline(int64_t start, const struct sla_duration *d)
{
	struct sla_duration more = *d;
	int64_t due, later, local, day, tod, slocal, stod;

	due = workcal_deadline(cal, start, d);
	if (due == WORKCAL_ERROR || due <= start)
		abort();
	if (d->unit == SLA_CALENDAR_MS) {
		if (due != start + d->amount)
			abort();
		return;
	}
	local = due + OFF;
	day = floordiv(local, MS_DAY);
	tod = local - day * MS_DAY;
	if (!workcal_is_workday(cal, day))
		abort();
	if (d->unit == SLA_WORKDAYS) {
		if (tod < WS || tod >= WE)
			abort();
		/* Same time of day as the start, once in working time. */
		slocal = start + OFF;
		stod = slocal - floordiv(slocal, MS_DAY) * MS_DAY;
		if (workcal_is_workday(cal, floordiv(slocal, MS_DAY)) &&
		    stod >= WS && stod < WE && tod != stod)
			abort();
		/* At least N calendar days later. */
		if (due - start < d->amount * MS_DAY)
			abort();
	} else {
		if (tod <= WS || tod > WE)
			abort();
		if (due - start < d->amount * MS_HOUR)
			abort();
	}
	more.amount++;
	if ((d->unit == SLA_WORKDAYS && more.amount <= SLA_MAX_WORKDAYS) ||
	    (d->unit == SLA_WORKHOURS && more.amount <= SLA_MAX_WORKHOURS)) {
		later = workcal_deadline(cal, start, &more);
		if (later == WORKCAL_ERROR || later <= due)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sla_duration d, again;
	char s[65], err[128], canon[SLA_TEXT_MAX];
	size_t i, n = size < 64 ? size : 64;

	setup();
	memcpy(s, data, n);
	s[n] = '\0';

	memset(err, 'x', sizeof(err));
	if (sla_parse(s, &d, err, sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		for (i = 0; err[i] != '\0'; i++)
			if (!isprint((unsigned char)err[i]))
				abort();
		return 0;
	}
	if (d.amount < 1)
		abort();
	if (sla_format(&d, canon, sizeof(canon)) == -1 ||
	    sla_parse(canon, &again, NULL, 0) == -1 ||
	    again.unit != d.unit || again.amount != d.amount)
		abort();
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		check_deadline(starts[i], &d);
	return 0;
}
