/*
 * workcal_cli: prints what the C side of cases computes, for
 * test_cases_sql.sh to compare with the SQL twins in
 * hub/migrations/0002_cases.sql.
 *
 *   workcal_cli [-H YYYY-MM-DD]... -d   lines "START_MS DURATION" on stdin;
 *                                       prints "START_MS DURATION DEADLINE_MS"
 *                                       ("error" for WORKCAL_ERROR)
 *   workcal_cli -p                      lines "DURATION" on stdin; prints
 *                                       "DURATION UNIT AMOUNT" with unit wd,
 *                                       wh or ms, or "DURATION invalid"
 *   workcal_cli -t                      prints the legal transitions of
 *                                       hub/casefsm.c, "FROM ACTION TO"
 *
 * The calendar is the default one (Monday-Friday, 08:00-16:00, +07:00) with
 * the holidays given by -H. Input lines longer than 255 bytes are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casefsm.h"
#include "util.h"
#include "workcal.h"

static void
usage(void)
{
	fprintf(stderr, "usage: workcal_cli [-H YYYY-MM-DD]... -d | -p | -t\n");
	exit(2);
}

/* Reads one line without its newline; 0 at EOF; exits on overlong lines. */
static int
read_line(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL)
		return 0;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin)) {
		fprintf(stderr, "workcal_cli: line too long\n");
		exit(1);
	}
	return 1;
}

static int
deadlines(const struct workcal *c)
{
	char line[256], *dur;
	struct sla_duration d;
	long start;
	int64_t due;

	while (read_line(line, sizeof(line))) {
		if ((dur = strchr(line, ' ')) == NULL) {
			fprintf(stderr, "workcal_cli: bad line: %s\n", line);
			return 1;
		}
		*dur++ = '\0';
		if (parse_long(line, 0, WORKCAL_MAX_START_MS, &start) == -1 ||
		    sla_parse(dur, &d, NULL, 0) == -1) {
			fprintf(stderr, "workcal_cli: bad line: %s %s\n", line,
			    dur);
			return 1;
		}
		due = workcal_deadline(c, start, &d);
		if (due == WORKCAL_ERROR)
			printf("%ld %s error\n", start, dur);
		else
			printf("%ld %s %lld\n", start, dur, (long long)due);
	}
	return 0;
}

static int
durations(void)
{
	static const char *const units[] = { "wd", "wh", "ms" };
	struct sla_duration d;
	char line[256];

	while (read_line(line, sizeof(line))) {
		if (sla_parse(line, &d, NULL, 0) == -1)
			printf("%s invalid\n", line);
		else
			printf("%s %s %lld\n", line, units[d.unit],
			    (long long)d.amount);
	}
	return 0;
}

/* As a supervisor, who may take every legal step, with good arguments. */
static int
transitions(void)
{
	struct case_actor sup = { CASE_ACTOR_SUPERVISOR, NULL };
	enum case_status to;
	int s, a;

	for (s = 0; s < CASE_STATUS_COUNT; s++) {
		for (a = 0; a < CASE_ACTION_COUNT; a++) {
			const char *arg = a == CASE_ACTION_REJECT ?
			    "duplicate" : a == CASE_ACTION_ASSIGN ? "pupr" :
			    "a note";

			if (case_transition((enum case_status)s,
			    (enum case_action)a, &sup, "dishub", arg, NULL, 0,
			    &to) == 0)
				printf("%s %s %s\n",
				    case_status_name((enum case_status)s),
				    case_action_name((enum case_action)a),
				    case_status_name(to));
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct workcal *c = workcal_new(7 * 60);
	int ch, mode = 0, rc;

	while ((ch = getopt(argc, argv, "H:dpt")) != -1) {
		switch (ch) {
		case 'H':
			if (workcal_add_holiday_iso(c, optarg) == -1) {
				fprintf(stderr, "workcal_cli: bad date %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'd':
		case 'p':
		case 't':
			mode = ch;
			break;
		default:
			usage();
		}
	}
	if (mode == 0 || optind != argc)
		usage();
	rc = mode == 'd' ? deadlines(c) : mode == 'p' ? durations() :
	    transitions();
	workcal_free(c);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
