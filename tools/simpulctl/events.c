/*
 * simpulctl events: the stored events, as a query or as a live feed.
 *
 *   simpulctl events query [--type T] [--opd O] [--subject S] [--since W]
 *                          [--until W] [--limit N] [--local] [--json]
 *   simpulctl events tail  [--type T] [--opd O] [--interval 1s]
 *                          [--overlap 10s] [--local] [--json]
 *
 * query lists events newest first (by the CloudEvents time, which the
 * indexes and the monthly partitions are built on). Human output is one
 * line per event with the first ~80 characters of its data as compact
 * JSON; --json prints an array of objects with the data as JSON.
 *
 * tail prints events as they are stored until SIGINT or SIGTERM, with a
 * one-line summary per known type ("BK 2628 YB  19.4 km/h ..."), or JSON
 * Lines with --json. Only events committed after it started are shown.
 *
 * How tail cannot miss a row: the hub stamps stored_at when a row is
 * inserted, but the row becomes visible only when its transaction commits,
 * and transactions of several hubs (or one big batch) commit in any order.
 * So "stored_at > the last one printed" would skip a row inserted earlier
 * and committed later. Each poll instead reads every row stored after
 * (newest stored_at seen - overlap), and the ids already printed within
 * that window go along as a parameter so the server leaves them out. A row
 * is missed only if its transaction took longer than the overlap window
 * minus the poll interval from insert to commit (the hub commits a batch
 * in milliseconds; --overlap defaults to 10 s). The cost is that each poll
 * re-reads the window's ids; the window's rows are never printed twice.
 *
 * Times print in RFC 3339 UTC unless --local asks for the machine's time
 * zone (TZ; WIB is Asia/Jakarta).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#define EVENTS_LIMIT_DEFAULT	50
#define EVENTS_LIMIT_MAX	10000
#define TAIL_BATCH		1000	/* rows per poll; more: poll again */
#define TAIL_SEEN_MAX		200000	/* ids remembered in the window */
#define SUMMARY_MAX		512
#define DATA_COLS		80

/* The columns both commands print; stored_us (tail) comes after them. */
#define EVENT_COLUMNS \
	"id, " DB_RFC3339("time") " AS time, type, opd, subject, source," \
	" topic, " DB_RFC3339("received_at") " AS received_at, " \
	DB_RFC3339("stored_at") " AS stored_at, instance, data"
#define EVENT_NCOLS 11

enum { C_ID, C_TIME, C_TYPE, C_OPD, C_SUBJECT, C_SOURCE, C_TOPIC,
	C_RECEIVED, C_STORED, C_INSTANCE, C_DATA, C_STORED_US };

struct filters {
	const char *type, *opd, *subject;
	struct ctl_time since, until;
	char since_ms[24], until_ms[24];
	long limit;
	int local;
};

static volatile sig_atomic_t tail_stop;

/* A whole signed 64-bit number (the server's microsecond values). */
static int
parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

static void
events_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl events query [--type T] [--opd O] [--subject S]\n"
	    "                              [--since W] [--until W] [--limit N]\n"
	    "                              [--local] [-c FILE] [--json]\n"
	    "       simpulctl events tail [--type T] [--opd O] [--interval DUR]\n"
	    "                             [--overlap DUR] [--local] [-c FILE]\n"
	    "                             [--json]\n"
	    "\n"
	    "query: stored events, newest first (by event time).\n"
	    "tail:  events as they are stored, until Ctrl-C.\n"
	    "\n"
	    "  --type T        only this event type (e.g. gps.position)\n"
	    "  --opd O         only this agency (e.g. dishub)\n"
	    "  --subject S     only this subject (query)\n"
	    "  --since W       event time at or after W: a duration before now\n"
	    "                  (90s, 15m, 24h, 7d) or RFC 3339 (query)\n"
	    "  --until W       event time before W, same forms (query)\n"
	    "  --limit N       at most N events, 1..%d (query; default %d)\n"
	    "  --interval DUR  how often tail polls (default 1s)\n"
	    "  --overlap DUR   how far back each poll looks again for rows of\n"
	    "                  late-committing transactions (default 10s)\n"
	    "  --local         times in the local time zone (TZ) instead of UTC\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Times print in RFC 3339 UTC (tail: HH:MM:SS UTC) unless --local.\n"
	    "Exit status: 0 done (also when nothing matched), 2 usage, 3\n"
	    "PostgreSQL unreachable or failing.\n",
	    EVENTS_LIMIT_MAX, EVENTS_LIMIT_DEFAULT);
}

/*
 * The event time for humans: "YYYY-MM-DDTHH:MM:SS.mmmZ" as stored, or in
 * the local zone with its offset; only "HH:MM:SS" when hms is set.
 */
static void
time_show(const char *utc, int local, int hms, char out[40])
{
	struct tm tm;
	time_t t;
	int64_t ms;
	char off[8];
	size_t n;

	if (utc == NULL || time_parse_rfc3339(utc, &ms) == -1) {
		strlcpy_s(out, utc != NULL ? utc : "-", 40);
		return;
	}
	if (!local) {
		if (hms)
			snprintf(out, 40, "%.8s", utc + 11);
		else
			strlcpy_s(out, utc, 40);
		return;
	}
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL) {
		strlcpy_s(out, utc, 40);
		return;
	}
	if (hms) {
		strftime(out, 40, "%H:%M:%S", &tm);
		return;
	}
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(off, sizeof(off), "%z", &tm); /* "+0700" */
	snprintf(out + n, 40 - n, ".%03d%.3s:%.2s", (int)(ms % 1000), off,
	    off + 3);
}

/*
 * Copies JSON text without the white space between tokens (PostgreSQL
 * prints jsonb as {"a": 1, "b": 2}), up to outmax-1 bytes.
 */
static void
json_compact(const char *in, size_t len, char *out, size_t outmax)
{
	size_t i, o = 0;
	int instr = 0, esc = 0;

	for (i = 0; i < len && o + 1 < outmax; i++) {
		char c = in[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		out[o++] = c;
	}
	out[o] = '\0';
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
jnum(const cJSON *o, const char *key, double *d)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return -1;
	*d = v->valuedouble;
	return 0;
}

/* "Rp 1.234.567" (Indonesian thousands separators; whole rupiah). */
static void
rupiah(double v, char out[40])
{
	char digits[32], *p;
	long long n;
	size_t len, i, o = 0;

	if (v > 1e17 || v < -1e17) {
		snprintf(out, 40, "Rp %.3g", v);
		return;
	}
	n = (long long)(v < 0 ? -v : v);
	snprintf(digits, sizeof(digits), "%lld", n);
	len = strlen(digits);
	p = out;
	o = (size_t)snprintf(p, 40, "%sRp ", v < 0 ? "-" : "");
	for (i = 0; i < len && o + 2 < 40; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = '.';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * One line about an event's data, by type. Unknown types, and known ones
 * whose data lacks what the summary needs, get their data as compact JSON.
 */
static void
summarize(const char *type, const char *data, size_t len, char *out,
    size_t outmax)
{
	cJSON *d = cJSON_ParseWithLength(data, len);
	const char *who, *s1, *s2, *s3;
	double a, b, lat, lon;
	char r1[40], r2[40];
	int done = 1;

	if (d == NULL || !cJSON_IsObject(d))
		done = 0;
	else if (strcmp(type, "gps.position") == 0) {
		who = jstr(d, "plate") != NULL ? jstr(d, "plate") :
		    jstr(d, "device_id");
		if (who != NULL && jnum(d, "speed_kmh", &a) == 0 &&
		    jnum(d, "lat", &lat) == 0 && jnum(d, "lon", &lon) == 0)
			snprintf(out, outmax, "%-12s %5.1f km/h  %.5f,%.5f%s",
			    who, a, lat, lon, cJSON_IsFalse(
			    cJSON_GetObjectItemCaseSensitive(d, "valid")) ?
			    "  (no fix)" : "");
		else
			done = 0;
	} else if (strcmp(type, "gps.alarm") == 0) {
		who = jstr(d, "plate") != NULL ? jstr(d, "plate") :
		    jstr(d, "device_id");
		if ((s1 = jstr(d, "alarm")) != NULL && who != NULL)
			snprintf(out, outmax, "ALARM %s  %s", s1, who);
		else
			done = 0;
	} else if (strcmp(type, "complaint.created") == 0) {
		if ((s1 = jstr(d, "category")) != NULL &&
		    (s2 = jstr(d, "description")) != NULL)
			snprintf(out, outmax, "%s: %s", s1, s2);
		else
			done = 0;
	} else if (strcmp(type, "complaint.updated") == 0) {
		if ((s1 = jstr(d, "complaint_id")) != NULL &&
		    (s2 = jstr(d, "status")) != NULL)
			snprintf(out, outmax, "%s -> %s%s%s", s1, s2,
			    jstr(d, "assigned_opd") != NULL ? " " : "",
			    jstr(d, "assigned_opd") != NULL ?
			    jstr(d, "assigned_opd") : "");
		else
			done = 0;
	} else if (has_prefix(type, "sp2d.")) {
		if ((s1 = jstr(d, "nomor_sp2d")) != NULL &&
		    jnum(d, "nilai", &a) == 0 &&
		    (s2 = jstr(d, "penerima")) != NULL) {
			rupiah(a, r1);
			snprintf(out, outmax, "%s  %s  %s", s1, r1, s2);
		} else
			done = 0;
	} else if (strcmp(type, "simda.realization") == 0) {
		if ((s1 = jstr(d, "kode_rekening")) != NULL &&
		    jnum(d, "realisasi", &a) == 0 &&
		    jnum(d, "anggaran", &b) == 0) {
			rupiah(a, r1);
			rupiah(b, r2);
			if (b > 0)
				snprintf(out, outmax, "%s  %.1f%% (%s of %s)",
				    s1, 100.0 * a / b, r1, r2);
			else
				snprintf(out, outmax, "%s  %s (no budget)",
				    s1, r1);
		} else
			done = 0;
	} else if (has_prefix(type, "permit.")) {
		if ((s1 = jstr(d, "nomor_permohonan")) != NULL &&
		    (s2 = jstr(d, "jenis_izin")) != NULL &&
		    (s3 = jstr(d, "status")) != NULL)
			snprintf(out, outmax, "%s  %s  %s", s1, s2, s3);
		else
			done = 0;
	} else
		done = 0;
	if (!done)
		json_compact(data, len, out, outmax);
	cJSON_Delete(d);
}

/* Adds the filters both commands share to the statement. */
static void
where_common(struct db_sql *q, struct filters *f)
{
	if (f->type != NULL)
		db_sql_where(q, "type = $?", f->type);
	if (f->opd != NULL)
		db_sql_where(q, "opd = $?", f->opd);
	if (f->subject != NULL)
		db_sql_where(q, "subject = $?", f->subject);
	/* Relative bounds use the server's clock, like stored_at does. */
	if (f->since.set && f->since.relative) {
		snprintf(f->since_ms, sizeof(f->since_ms), "%lld",
		    (long long)f->since.ago_ms);
		db_sql_where(q, "time >= now() - $?::bigint * "
		    "interval '1 millisecond'", f->since_ms);
	} else if (f->since.set)
		db_sql_where(q, "time >= $?::timestamptz", f->since.at);
	if (f->until.set && f->until.relative) {
		snprintf(f->until_ms, sizeof(f->until_ms), "%lld",
		    (long long)f->until.ago_ms);
		db_sql_where(q, "time < now() - $?::bigint * "
		    "interval '1 millisecond'", f->until_ms);
	} else if (f->until.set)
		db_sql_where(q, "time < $?::timestamptz", f->until.at);
}

static void
print_query_text(const struct db_res *r, int local)
{
	static const int cols[] = { C_TYPE, C_OPD, C_SUBJECT, C_ID };
	static const size_t caps[] = { 24, 12, 28, 40 };
	size_t width[4], w;
	char t[40], data[SUMMARY_MAX];
	const char *v;
	int i, k, rows = db_rows(r);

	for (k = 0; k < 4; k++) {
		width[k] = k == 0 ? 4 : k == 1 ? 3 : k == 2 ? 7 : 2;
		for (i = 0; i < rows; i++) {
			v = db_value(r, i, cols[k]);
			w = v != NULL ? text_width(v, db_length(r, i,
			    cols[k])) : 1;
			if (w > width[k])
				width[k] = w > caps[k] ? caps[k] : w;
		}
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  DATA\n", local ? 29 : 24,
	    local ? "TIME (local)" : "TIME (UTC)", (int)width[0], "TYPE",
	    (int)width[1], "OPD", (int)width[2], "SUBJECT", (int)width[3],
	    "ID");
	for (i = 0; i < rows; i++) {
		time_show(db_value(r, i, C_TIME), local, 0, t);
		printf("%-*s  ", local ? 29 : 24, t);
		for (k = 0; k < 4; k++) {
			v = db_value(r, i, cols[k]);
			if (v == NULL)
				v = "-";
			text_put(stdout, v, strlen(v), caps[k], width[k] + 2);
		}
		v = db_value(r, i, C_DATA);
		json_compact(v, db_length(r, i, C_DATA), data, sizeof(data));
		text_put(stdout, data, strlen(data), DATA_COLS, 0);
		printf("\n");
	}
}

static int
events_query(struct ctl_opts *o, struct filters *f, struct ctl_conn *c)
{
	struct db_sql q;
	struct db *db;
	struct db_res *r;
	char limit[24];

	if ((db = db_open(c->pg_conninfo, o->cmd)) == NULL)
		return CTL_FAIL;
	db_sql_init(&q, "SELECT " EVENT_COLUMNS " FROM event");
	where_common(&q, f);
	snprintf(limit, sizeof(limit), "%ld", f->limit);
	db_sql_add(&q, " ORDER BY time DESC, id DESC LIMIT $?::int", limit);
	if ((r = db_sql_run(db, &q)) == NULL) {
		db_close(db);
		return CTL_FAIL;
	}
	if (o->json)
		db_print_json(r, stdout);
	else if (db_rows(r) == 0)
		fprintf(stderr, "no events match\n");
	else
		print_query_text(r, f->local);
	db_res_free(r);
	db_close(db);
	return CTL_OK;
}

/* --- tail ---------------------------------------------------------------- */

struct seen {
	char *id;
	int64_t us;
};

struct seen_set {
	struct seen *v;
	size_t n, cap;
	int warned;
};

static void
seen_add(struct seen_set *s, const char *id, int64_t us)
{
	size_t i, drop;

	if (s->n == TAIL_SEEN_MAX) {
		/*
		 * Forgetting risks a repeat, never a miss. The oldest quarter
		 * goes at once, so a flood does not cost a move per row.
		 */
		if (!s->warned)
			fprintf(stderr, "simpulctl events tail: more than %d "
			    "events within the overlap window; some may print "
			    "twice (lower --overlap)\n", TAIL_SEEN_MAX);
		s->warned = 1;
		drop = s->n / 4;
		for (i = 0; i < drop; i++)
			free(s->v[i].id);
		memmove(&s->v[0], &s->v[drop], (s->n - drop) *
		    sizeof(s->v[0]));
		s->n -= drop;
	}
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 1024 : s->cap * 2;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n].id = xstrdup(id);
	s->v[s->n].us = us;
	s->n++;
}

/* Forgets the ids a poll from lower_us on cannot return any more. */
static void
seen_prune(struct seen_set *s, int64_t lower_us)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].us > lower_us)
			s->v[k++] = s->v[i];
		else
			free(s->v[i].id);
	}
	s->n = k;
}

static void
seen_free(struct seen_set *s)
{
	seen_prune(s, INT64_MAX);
	free(s->v);
}

/* The ids as a text[] literal: {"a","b"} with " and \ escaped. */
static void
seen_literal(const struct seen_set *s, struct buf *b)
{
	size_t i;
	const char *p;

	buf_reset(b);
	buf_append(b, "{", 1);
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_append(b, ",", 1);
		buf_append(b, "\"", 1);
		for (p = s->v[i].id; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(b, "\\", 1);
			buf_append(b, p, 1);
		}
		buf_append(b, "\"", 1);
	}
	buf_append(b, "}", 1);
	buf_terminate(b);
}

static void
on_stop(int sig)
{
	(void)sig;
	tail_stop = 1;
}

/* Sleeps up to ms, returning early when a stop signal arrives. */
static void
tail_sleep(int64_t ms)
{
	struct timespec ts;
	int64_t until = clock_mono_ms() + ms, left;

	while (!tail_stop && (left = until - clock_mono_ms()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
			break;
	}
}

static void
tail_print(const struct db_res *r, int i, int json, int local)
{
	char t[40], sum[SUMMARY_MAX];
	const char *type = db_value(r, i, C_TYPE), *opd = db_value(r, i,
	    C_OPD), *id = db_value(r, i, C_ID);

	if (json) {
		db_print_json_row_n(r, i, EVENT_NCOLS, stdout);
		printf("\n");
		return;
	}
	time_show(db_value(r, i, C_TIME), local, 1, t);
	summarize(type, db_value(r, i, C_DATA), db_length(r, i, C_DATA), sum,
	    sizeof(sum));
	printf("%-8s  ", t);
	text_put(stdout, type, strlen(type), 20, 20);
	printf(" ");
	text_put(stdout, opd, strlen(opd), 10, 10);
	printf(" ");
	text_put(stdout, sum, strlen(sum), 64, 64);
	printf("  ");
	text_put(stdout, id, strlen(id), 0, 0);
	printf("\n");
}

/*
 * One poll: rows stored after lower_us that are not in seen, printed (or,
 * while priming, only remembered). Returns the rows read, or -1.
 */
static int
tail_poll(struct db *db, struct filters *f, struct seen_set *seen,
    struct buf *lit, int64_t *hwm_us, int64_t overlap_us, int print,
    int json)
{
	struct db_sql q;
	struct db_res *r;
	char lower[24], batch[24];
	int64_t us;
	int i, n;

	seen_prune(seen, *hwm_us - overlap_us);
	seen_literal(seen, lit);
	snprintf(lower, sizeof(lower), "%lld",
	    (long long)(*hwm_us - overlap_us));
	snprintf(batch, sizeof(batch), "%d", TAIL_BATCH);
	db_sql_init(&q, "SELECT " EVENT_COLUMNS ", (extract(epoch FROM"
	    " stored_at) * 1000000)::int8 AS stored_us FROM event");
	db_sql_where(&q, "stored_at > timestamptz 'epoch' + $?::bigint * "
	    "interval '1 microsecond'", lower);
	where_common(&q, f);
	db_sql_where(&q, "NOT (id = ANY($?::text[]))", lit->data);
	db_sql_add(&q, " ORDER BY stored_at, id LIMIT $?::int", batch);
	if ((r = db_sql_run(db, &q)) == NULL)
		return -1;
	n = db_rows(r);
	for (i = 0; i < n; i++) {
		if (parse_i64(db_value(r, i, C_STORED_US), &us) == -1)
			continue;
		seen_add(seen, db_value(r, i, C_ID), us);
		if (us > *hwm_us)
			*hwm_us = us;
		if (print)
			tail_print(r, i, json, f->local);
	}
	db_res_free(r);
	fflush(stdout);
	return n;
}

static int
events_tail(struct ctl_opts *o, struct filters *f, struct ctl_conn *c,
    int64_t interval_ms, int64_t overlap_ms)
{
	struct sigaction sa;
	struct seen_set seen;
	struct buf lit;
	struct db *db;
	struct db_res *r;
	int64_t hwm_us;
	int n, lost = 0, rc = CTL_FAIL;

	memset(&seen, 0, sizeof(seen));
	buf_init(&lit, 0);
	if ((db = db_open(c->pg_conninfo, o->cmd)) == NULL)
		goto out;
	if ((r = db_query(db, "SELECT (extract(epoch FROM clock_timestamp())"
	    " * 1000000)::int8", 0, NULL)) == NULL)
		goto out;
	if (parse_i64(db_value(r, 0, 0), &hwm_us) == -1)
		fatalx("events tail: unexpected clock value");
	db_res_free(r);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: sleeps end at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* What is visible already is the past: remember it, print nothing. */
	do {
		n = tail_poll(db, f, &seen, &lit, &hwm_us, overlap_ms * 1000,
		    0, o->json);
		if (n == -1)
			goto out;
	} while (n == TAIL_BATCH && !tail_stop);
	if (!o->json)
		printf("%-8s  %-20s %-10s %-64s  %s\n", f->local ? "TIME" :
		    "TIME UTC", "TYPE", "OPD", "SUMMARY", "ID");
	fflush(stdout);
	fprintf(stderr, "%s: following new events (Ctrl-C stops)\n", o->cmd);
	while (!tail_stop) {
		tail_sleep(interval_ms);
		if (tail_stop)
			break;
		if (lost) {
			if (db_reset(db) == -1)
				continue;
			fprintf(stderr, "%s: connected to PostgreSQL again\n",
			    o->cmd);
			lost = 0;
		}
		do {
			n = tail_poll(db, f, &seen, &lit, &hwm_us,
			    overlap_ms * 1000, 1, o->json);
		} while (n == TAIL_BATCH && !tail_stop);
		if (n == -1) {
			if (db_connected(db))
				goto out; /* the server refused: reported */
			fprintf(stderr, "%s: lost the connection to "
			    "PostgreSQL; retrying every %lld ms\n", o->cmd,
			    (long long)interval_ms);
			lost = 1;
		}
	}
	rc = CTL_OK;
out:
	seen_free(&seen);
	buf_free(&lit);
	db_close(db);
	return rc;
}

/* --- the command --------------------------------------------------------- */

int
cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "opd", required_argument, NULL, 'o' },
		{ "subject", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "overlap", required_argument, NULL, 'O' },
		{ "local", no_argument, NULL, 'l' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct filters f;
	const char *sub;
	int64_t interval_ms = 1000, overlap_ms = 10000;
	int ch, tail, query_only = 0, tail_only = 0, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		events_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "query") == 0)
		tail = 0;
	else if (strcmp(sub, "tail") == 0)
		tail = 1;
	else {
		fprintf(stderr, "simpulctl events: unknown subcommand '%s' "
		    "(query or tail)\n", sub);
		return CTL_USAGE;
	}
	argc--;
	argv++;
	memset(&f, 0, sizeof(f));
	f.limit = EVENTS_LIMIT_DEFAULT;
	opts_init(&o, tail ? "simpulctl events tail" :
	    "simpulctl events query");
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		switch (ch) {
		case 't':
			if (opts_text(&o, "--type", optarg, OPTS_TEXT_MAX))
				return CTL_USAGE;
			f.type = optarg;
			break;
		case 'o':
			if (opts_text(&o, "--opd", optarg, OPTS_TEXT_MAX))
				return CTL_USAGE;
			f.opd = optarg;
			break;
		case 's':
			if (opts_text(&o, "--subject", optarg, OPTS_TEXT_MAX))
				return CTL_USAGE;
			f.subject = optarg;
			query_only = ch;
			break;
		case 'S':
			if (opts_time(&o, "--since", optarg, &f.since))
				return CTL_USAGE;
			query_only = ch;
			break;
		case 'U':
			if (opts_time(&o, "--until", optarg, &f.until))
				return CTL_USAGE;
			query_only = ch;
			break;
		case 'n':
			if (opts_long(&o, "--limit", optarg, 1,
			    EVENTS_LIMIT_MAX, &f.limit))
				return CTL_USAGE;
			query_only = ch;
			break;
		case 'i':
			if (opts_duration(&o, "--interval", optarg, 100,
			    3600000, &interval_ms))
				return CTL_USAGE;
			tail_only = ch;
			break;
		case 'O':
			if (opts_duration(&o, "--overlap", optarg, 1000,
			    86400000, &overlap_ms))
				return CTL_USAGE;
			tail_only = ch;
			break;
		case 'l':
			f.local = 1;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		events_usage(stdout);
		return CTL_OK;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", o.cmd,
		    argv[optind]);
		return CTL_USAGE;
	}
	if ((tail && query_only) || (!tail && tail_only)) {
		fprintf(stderr, "%s: that option belongs to events %s\n",
		    o.cmd, tail ? "query" : "tail");
		return CTL_USAGE;
	}
	if (tail && overlap_ms <= interval_ms) {
		fprintf(stderr, "%s: --overlap must be longer than --interval "
		    "(rows of transactions that commit late are looked for "
		    "that far back)\n", o.cmd);
		return CTL_USAGE;
	}
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	if (tail)
		rc = events_tail(&o, &f, &conn, interval_ms, overlap_ms);
	else
		rc = events_query(&o, &f, &conn);
	opts_conn_free(&conn);
	return rc;
}
