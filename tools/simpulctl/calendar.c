/*
 * simpulctl calendar: the holidays working-day deadlines skip (table
 * holiday; docs/cases.md "The holiday calendar").
 *
 *   simpulctl calendar list [--year Y] [--json]
 *   simpulctl calendar add DATE NAME [--actor NAME]
 *   simpulctl calendar remove DATE [--actor NAME]
 *   simpulctl calendar import FILE [--actor NAME]
 *
 * An import file has one holiday per line, "YYYY-MM-DD<TAB or ,>name";
 * blank lines and lines starting with '#' are skipped. The whole file is
 * checked before anything is written, every bad line is reported as
 * "FILE:LINE: message", and then nothing changes; a good file is applied
 * in one transaction. Importing adds the dates that are missing and
 * renames the ones whose name differs; it removes nothing.
 *
 * Deadlines: in the same transaction as each change, the open cases whose
 * running clock spans a day that became or stopped being a holiday get
 * their due_at recomputed (simpul_recompute_due(), migration 0004) and are
 * published again with action "due_changed"; the command says how many.
 * Cases whose clock does not span the day keep their deadline, since it
 * cannot change. Escalations that already happened stay. Running hubs are
 * told through NOTIFY simpul_calendar (the holiday table's trigger).
 *
 * Exit status: 0 done; 1 the date is a holiday already (add) or is not
 * one (remove), or the file has bad lines (nothing changed); 2 usage; 3
 * PostgreSQL failed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#define HOLIDAY_NAME_MAX	200	/* bytes, the column's CHECK */
#define IMPORT_LINE_MAX		1024
#define IMPORT_LINES_MAX	10000
#define IMPORT_ERRORS_SHOWN	50
#define CAL_ACTOR_MAX		100

static void
calendar_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl calendar list [--year Y] [-c FILE] [--json]\n"
	    "       simpulctl calendar add DATE NAME [--actor NAME] [-c FILE]\n"
	    "       simpulctl calendar remove DATE [--actor NAME] [-c FILE]\n"
	    "       simpulctl calendar import FILE [--actor NAME] [-c FILE]\n"
	    "\n"
	    "The holidays that working-day deadlines skip (WIB dates).\n"
	    "list:   the holidays, by date.\n"
	    "add:    make DATE (YYYY-MM-DD) a holiday called NAME.\n"
	    "remove: DATE is a working day again (if it is a weekday).\n"
	    "import: add the holidays of FILE, one \"YYYY-MM-DD<TAB or ,>name\"\n"
	    "        per line ('#' starts a comment line); a bad line changes\n"
	    "        nothing. Dates already there get the file's name.\n"
	    "Each change recomputes the deadlines of the open cases whose clock\n"
	    "spans the day, in the same transaction.\n"
	    "\n"
	    "  --year Y        (list) only year Y\n"
	    "  --actor NAME    who (default $SUDO_USER, $USER)\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Exit status: 0 done; 1 already a holiday (add), not a holiday\n"
	    "(remove), or bad lines in FILE; 2 usage; 3 PostgreSQL failed.\n");
}

/*
 * 1 when s is exactly a real calendar date YYYY-MM-DD in 1970..9999 (the
 * column's CHECK); PostgreSQL gets nothing else to parse.
 */
static int
date_valid(const char *s)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int y, m, d, i, max;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/*
 * A holiday's name: valid UTF-8, no control characters, 1..200 bytes.
 * NULL when fine, else why not.
 */
static const char *
name_problem(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return "the name is empty";
	if (n > HOLIDAY_NAME_MAX)
		return "the name is longer than 200 bytes";
	if (!utf8_valid(s, n))
		return "the name is not valid UTF-8";
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "the name holds a control character";
	return NULL;
}

static void
rollback(struct db *db)
{
	if (db_connected(db))
		(void)db_command(db, "ROLLBACK", 0, NULL);
}

/*
 * Recomputes the deadlines around day; adds the cases moved to *moved.
 * 0 / -1 (reported by db).
 */
static int
recompute(struct db *db, const char *day, const char *site,
    const char *actor, long *moved)
{
	char *who = xasprintf("calendar:%s", actor);
	const char *params[3] = { day, site, who };
	struct db_res *r;
	long n;

	r = db_query(db, "SELECT simpul_recompute_due($1::date, $2, $3)", 3,
	    params);
	free(who);
	if (r == NULL)
		return -1;
	if (parse_long(db_value(r, 0, 0), 0, LONG_MAX, &n) == 0)
		*moved += n;
	db_res_free(r);
	return 0;
}

/* --- list ---------------------------------------------------------------- */

static int
calendar_list(struct ctl_opts *o, struct db *db, const char *year)
{
	struct db_sql q;
	struct db_res *r;
	char none[40];

	db_sql_init(&q, "SELECT to_char(day, 'YYYY-MM-DD') AS day,"
	    " trim(to_char(day, 'Day')) AS weekday, name, created_by,"
	    " " DB_RFC3339("created_at") " AS created_at FROM holiday");
	if (year != NULL) {
		db_sql_where(&q, "day >= make_date($?::int, 1, 1)", year);
		db_sql_where(&q, "day < make_date($?::int + 1, 1, 1)", year);
	}
	db_sql_add(&q, " ORDER BY day", NULL);
	if ((r = db_sql_run(db, &q)) == NULL)
		return CTL_FAIL;
	snprintf(none, sizeof(none), "no holidays%s%.16s",
	    year != NULL ? " in " : "", year != NULL ? year : "");
	db_print_list(r, o->json, none, 60);
	return CTL_OK;
}

/* --- add, remove --------------------------------------------------------- */

static int
calendar_add(struct ctl_opts *o, struct db *db, const char *site,
    const char *day, const char *name, const char *actor)
{
	const char *params[3] = { day, name, actor };
	struct db_res *r = NULL;
	long moved = 0;
	int rc = CTL_FAIL;

	if (db_command(db, "BEGIN", 0, NULL) == -1)
		return CTL_FAIL;
	r = db_query(db, "INSERT INTO holiday (day, name, created_by)"
	    " VALUES ($1::date, $2, $3) ON CONFLICT (day) DO NOTHING"
	    " RETURNING day", 3, params);
	if (r == NULL)
		goto out;
	if (db_rows(r) == 0) {
		db_res_free(r);
		r = db_query(db, "SELECT name FROM holiday WHERE day = "
		    "$1::date", 1, params);
		fprintf(stderr, "%s: %s is a holiday already", o->cmd, day);
		if (r != NULL && db_rows(r) == 1) {
			fprintf(stderr, ": ");
			text_put(stderr, db_value(r, 0, 0),
			    db_length(r, 0, 0), 0, 0);
		}
		fprintf(stderr, "\n");
		rc = CTL_NO;
		goto out;
	}
	if (recompute(db, day, site, actor, &moved) == -1 ||
	    db_command(db, "COMMIT", 0, NULL) == -1)
		goto out;
	if (o->json) {
		printf("{\"day\": \"%s\", \"name\": ", day);
		json_put_string(stdout, name, strlen(name));
		printf(", \"added\": true, \"cases_with_new_deadline\": "
		    "%ld}\n", moved);
	} else {
		printf("%s is a holiday now (", day);
		text_put(stdout, name, strlen(name), 0, 0);
		printf("); %ld open case%s got a new deadline\n", moved,
		    moved == 1 ? "" : "s");
	}
	db_res_free(r);
	return CTL_OK;
out:
	rollback(db);
	db_res_free(r);
	return rc;
}

static int
calendar_remove(struct ctl_opts *o, struct db *db, const char *site,
    const char *day, const char *actor)
{
	const char *params[1] = { day };
	struct db_res *r = NULL;
	long moved = 0;
	int rc = CTL_FAIL;

	if (db_command(db, "BEGIN", 0, NULL) == -1)
		return CTL_FAIL;
	r = db_query(db, "DELETE FROM holiday WHERE day = $1::date"
	    " RETURNING name", 1, params);
	if (r == NULL)
		goto out;
	if (db_rows(r) == 0) {
		fprintf(stderr, "%s: %s is not a holiday\n", o->cmd, day);
		rc = CTL_NO;
		goto out;
	}
	if (recompute(db, day, site, actor, &moved) == -1 ||
	    db_command(db, "COMMIT", 0, NULL) == -1)
		goto out;
	if (o->json) {
		printf("{\"day\": \"%s\", \"name\": ", day);
		json_put_string(stdout, db_value(r, 0, 0), db_length(r, 0, 0));
		printf(", \"removed\": true, \"cases_with_new_deadline\": "
		    "%ld}\n", moved);
	} else {
		printf("%s is no longer a holiday (was ", day);
		text_put(stdout, db_value(r, 0, 0), db_length(r, 0, 0), 0,
		    0);
		printf("); %ld open case%s got a new deadline\n", moved,
		    moved == 1 ? "" : "s");
	}
	db_res_free(r);
	return CTL_OK;
out:
	rollback(db);
	db_res_free(r);
	return rc;
}

/* --- import -------------------------------------------------------------- */

struct holiday_line {
	char day[11];
	char *name;
	long line;
};

struct holiday_file {
	struct holiday_line *v;
	size_t n, cap;
	long errors;
};

static void
file_error(struct holiday_file *f, const char *path, long line,
    const char *msg)
{
	if (f->errors++ < IMPORT_ERRORS_SHOWN)
		fprintf(stderr, "%s:%ld: %s\n", path, line, msg);
}

/* Trims spaces and tabs at both ends, in place. */
static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* One line of the file (without its newline) into f. */
static void
file_line(struct holiday_file *f, const char *path, long lineno, char *s)
{
	char *sep, *day, *name, msg[160];
	const char *why;
	size_t i;

	s = trim(s);
	if (*s == '\0' || *s == '#')
		return;
	if ((sep = strpbrk(s, "\t,")) == NULL) {
		file_error(f, path, lineno, "expected YYYY-MM-DD, a tab or a "
		    "comma, and the name");
		return;
	}
	*sep = '\0';
	day = trim(s);
	name = trim(sep + 1);
	if (!date_valid(day)) {
		snprintf(msg, sizeof(msg), "'%.20s' is not a date "
		    "YYYY-MM-DD (from 1970-01-01)", day);
		file_error(f, path, lineno, msg);
		return;
	}
	if ((why = name_problem(name)) != NULL) {
		file_error(f, path, lineno, why);
		return;
	}
	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].day, day) == 0) {
			snprintf(msg, sizeof(msg), "%s is on line %ld already",
			    day, f->v[i].line);
			file_error(f, path, lineno, msg);
			return;
		}
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 64 : f->cap * 2;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	memcpy(f->v[f->n].day, day, 11);
	f->v[f->n].name = xstrdup(name);
	f->v[f->n].line = lineno;
	f->n++;
}

/* Reads and checks the whole file. 0 / -1 (every problem reported). */
static int
file_read(const char *path, struct holiday_file *f)
{
	char line[IMPORT_LINE_MAX + 2];
	FILE *fp;
	long lineno = 0;
	size_t n;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(fp)) {
			int ch;

			file_error(f, path, lineno, "the line is longer than "
			    "1024 bytes");
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			continue;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strlen(line) != n) {
			file_error(f, path, lineno, "the line holds a NUL byte");
			continue;
		}
		if (lineno > IMPORT_LINES_MAX) {
			file_error(f, path, lineno, "more than 10000 lines");
			break;
		}
		file_line(f, path, lineno, line);
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (f->errors == 0 && f->n == 0) {
		fprintf(stderr, "%s: no holidays in the file\n", path);
		f->errors++;
	}
	rc = f->errors == 0 ? 0 : -1;
	if (f->errors > IMPORT_ERRORS_SHOWN)
		fprintf(stderr, "... and %ld more bad lines\n",
		    f->errors - IMPORT_ERRORS_SHOWN);
out:
	fclose(fp);
	return rc;
}

static void
file_free(struct holiday_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].name);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int
calendar_import(struct ctl_opts *o, struct db *db, const char *site,
    const char *path, const char *actor)
{
	struct holiday_file f;
	struct db_res *r;
	long added = 0, renamed = 0, same = 0, moved = 0;
	size_t i;
	int rc = CTL_FAIL;

	if (file_read(path, &f) == -1) {
		fprintf(stderr, "%s: %s refused: nothing changed\n", o->cmd,
		    path);
		file_free(&f);
		return CTL_NO;
	}
	if (db_command(db, "BEGIN", 0, NULL) == -1)
		goto out;
	for (i = 0; i < f.n; i++) {
		const char *params[3] = { f.v[i].day, f.v[i].name, actor };

		/* xmax = 0: the row was inserted, not updated. */
		r = db_query(db, "INSERT INTO holiday (day, name, created_by)"
		    " VALUES ($1::date, $2, $3) ON CONFLICT (day) DO UPDATE"
		    " SET name = EXCLUDED.name"
		    " WHERE holiday.name IS DISTINCT FROM EXCLUDED.name"
		    " RETURNING (xmax = 0) AS inserted", 3, params);
		if (r == NULL) {
			fprintf(stderr, "%s:%ld: not stored (see above); "
			    "nothing changed\n", path, f.v[i].line);
			goto out;
		}
		if (db_rows(r) == 0)
			same++;
		else if (strcmp(db_value(r, 0, 0), "t") == 0) {
			added++;
			if (recompute(db, f.v[i].day, site, actor,
			    &moved) == -1) {
				db_res_free(r);
				goto out;
			}
		} else
			renamed++;
		db_res_free(r);
	}
	if (db_command(db, "COMMIT", 0, NULL) == -1)
		goto out;
	if (o->json)
		printf("{\"added\": %ld, \"renamed\": %ld, \"unchanged\": %ld, "
		    "\"cases_with_new_deadline\": %ld}\n", added, renamed,
		    same, moved);
	else
		printf("%s: %ld added, %ld renamed, %ld unchanged; %ld open "
		    "case%s got a new deadline\n", path, added, renamed, same,
		    moved, moved == 1 ? "" : "s");
	rc = CTL_OK;
out:
	if (rc != CTL_OK)
		rollback(db);
	file_free(&f);
	return rc;
}

/* --- the command --------------------------------------------------------- */

int
cmd_calendar(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "year", required_argument, NULL, 'y' },
		{ "actor", required_argument, NULL, 'a' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct db *db;
	const char *sub, *cmd, *actor = NULL, *year = NULL, *why;
	long y;
	int ch, rc, want;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		calendar_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "list") == 0)
		cmd = "simpulctl calendar list", want = 0;
	else if (strcmp(sub, "add") == 0)
		cmd = "simpulctl calendar add", want = 2;
	else if (strcmp(sub, "remove") == 0)
		cmd = "simpulctl calendar remove", want = 1;
	else if (strcmp(sub, "import") == 0)
		cmd = "simpulctl calendar import", want = 1;
	else {
		fprintf(stderr, "simpulctl calendar: unknown subcommand '%s' "
		    "(list, add, remove or import)\n", sub);
		return CTL_USAGE;
	}
	argc--;
	argv++;
	opts_init(&o, cmd);
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'y':
			if (strcmp(sub, "list") != 0) {
				fprintf(stderr, "%s: --year belongs to calendar "
				    "list\n", cmd);
				return CTL_USAGE;
			}
			if (opts_long(&o, "--year", optarg, 1970, 9998, &y))
				return CTL_USAGE;
			year = optarg;
			break;
		case 'a':
			if (strcmp(sub, "list") == 0) {
				fprintf(stderr, "%s: --actor belongs to add, "
				    "remove and import\n", cmd);
				return CTL_USAGE;
			}
			if (opts_text(&o, "--actor", optarg, CAL_ACTOR_MAX))
				return CTL_USAGE;
			actor = optarg;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		calendar_usage(stdout);
		return CTL_OK;
	}
	if (argc - optind != want) {
		fprintf(stderr, "%s: wants %s\n", cmd, want == 0 ?
		    "no arguments" : strcmp(sub, "add") == 0 ? "DATE NAME" :
		    strcmp(sub, "remove") == 0 ? "DATE" : "FILE");
		return CTL_USAGE;
	}
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0) &&
	    !date_valid(argv[optind])) {
		fprintf(stderr, "%s: DATE wants YYYY-MM-DD (a real date from "
		    "1970), got '%s'\n", cmd, argv[optind]);
		return CTL_USAGE;
	}
	if (strcmp(sub, "add") == 0 &&
	    (why = name_problem(argv[optind + 1])) != NULL) {
		fprintf(stderr, "%s: NAME: %s\n", cmd, why);
		return CTL_USAGE;
	}
	if (strcmp(sub, "list") != 0 && opts_actor(&o, &actor,
	    CAL_ACTOR_MAX))
		return CTL_USAGE;
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	if ((db = db_open(conn.pg_conninfo, cmd)) == NULL) {
		opts_conn_free(&conn);
		return CTL_FAIL;
	}
	if (strcmp(sub, "list") == 0)
		rc = calendar_list(&o, db, year);
	else if (strcmp(sub, "add") == 0)
		rc = calendar_add(&o, db, conn.site, argv[optind],
		    argv[optind + 1], actor);
	else if (strcmp(sub, "remove") == 0)
		rc = calendar_remove(&o, db, conn.site, argv[optind], actor);
	else
		rc = calendar_import(&o, db, conn.site, argv[optind], actor);
	db_close(db);
	opts_conn_free(&conn);
	return rc;
}
