/*
 * casedb: see casedb.h.
 *
 * Every name of the hub's schema that this module relies on is in the
 * macros below, so that a change of the schema is a change here only. The
 * two queries share one select list; without the case tables, the case
 * columns are NULL constants and the joins are left out. All values from
 * outside travel as parameters ($n); ids and codes as one text[] each.
 *
 * The case is found by its key ("complaint.created:" + the complaint id,
 * what the complaint rule's key template makes) or, for a rule with
 * another template, by the event id in source_event_ids. If a complaint was
 * reopened as a new case after closing, the newest case counts.
 */
#include "casedb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "util.h"

/* --- the hub's schema (hub/migrations/0001_core.sql, 0002_cases.sql) ---- */
/*
 * Events through the reporting view (migration 0007): it lacks reporters'
 * names and contacts, which Open311 does not publish anyway, so the
 * [casedb] dsn can be the read-only simpul_read.
 */
#define T_EVENT		"report_event"
#define T_CASE		"case_record"
#define T_HISTORY	"case_history"
#define EV_TYPE		"complaint.created"
#define CASE_KEY_PREFIX	EV_TYPE ":"
/* Case statuses Open311 calls "closed". */
#define CASE_CLOSED_IN	"('resolved', 'closed', 'rejected')"

#define SELECT_LIST \
	"SELECT e.subject, e.data->>'service_code', e.data->>'category', " \
	"e.data->>'description', e.data#>>'{location,address}', " \
	"e.data#>>'{location,lat}', e.data#>>'{location,lon}', " \
	"e.data->>'media_url', e.data->>'submitted_at', " \
	"(extract(epoch FROM e.time) * 1000)::bigint, "

/* The last step's note and reason, if that step led to the status. */
#define CASE_COLUMNS \
	"c.status::text, c.opd, " \
	"(extract(epoch FROM c.due_at) * 1000)::bigint, " \
	"(extract(epoch FROM c.updated_at) * 1000)::bigint, " \
	"CASE WHEN h.to_status = c.status THEN h.note END, " \
	"CASE WHEN h.to_status = c.status THEN h.reason END "
#define NO_CASE_COLUMNS \
	"NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, " \
	"NULL::text "
#define CASE_JOINS \
	"LEFT JOIN LATERAL (SELECT c.id, c.status, c.opd, c.due_at, " \
	"c.updated_at FROM " T_CASE " c WHERE c.case_key = '" \
	CASE_KEY_PREFIX "' || e.subject OR e.id = ANY (c.source_event_ids) " \
	"ORDER BY c.opened_at DESC, c.id DESC LIMIT 1) c ON true " \
	"LEFT JOIN LATERAL (SELECT h.note, h.reason, h.to_status FROM " \
	T_HISTORY " h " \
	"WHERE h.case_id = c.id ORDER BY h.at DESC, h.id DESC LIMIT 1) h " \
	"ON true "
#define CASE_CLOSED "coalesce(c.status::text IN " CASE_CLOSED_IN ", false)"
#define NO_CASE_CLOSED "false"

#define FROM_EVENT \
	"FROM " T_EVENT " e "
#define WHERE_IDS \
	"WHERE e.type = '" EV_TYPE "' AND e.subject = ANY ($1::text[]) " \
	"ORDER BY e.time DESC LIMIT $2"
/* $1 start, $2 end (ms), $3 codes (NULL: any), $4 status, $5 limit */
#define WHERE_FILTER(closed) \
	"WHERE e.type = '" EV_TYPE "' AND e.subject IS NOT NULL " \
	"AND e.time >= to_timestamp($1::bigint / 1000.0) " \
	"AND e.time < to_timestamp($2::bigint / 1000.0) " \
	"AND ($3::text[] IS NULL OR e.data->>'service_code' = ANY ($3)) " \
	"AND ($4 = 'any' OR ($4 = 'closed') = " closed ") " \
	"ORDER BY e.time DESC LIMIT $5"

static const char *const q_ids[2] = {
	SELECT_LIST NO_CASE_COLUMNS FROM_EVENT WHERE_IDS,
	SELECT_LIST CASE_COLUMNS FROM_EVENT CASE_JOINS WHERE_IDS,
};
static const char *const q_filter[2] = {
	SELECT_LIST NO_CASE_COLUMNS FROM_EVENT WHERE_FILTER(NO_CASE_CLOSED),
	SELECT_LIST CASE_COLUMNS FROM_EVENT CASE_JOINS
	    WHERE_FILTER(CASE_CLOSED),
};

/* Column numbers of the select list. */
enum {
	C_ID, C_CODE, C_CATEGORY, C_DESCRIPTION, C_ADDRESS, C_LAT, C_LON,
	C_MEDIA, C_SUBMITTED, C_TIME, C_STATUS, C_OPD, C_DUE, C_UPDATED,
	C_NOTE, C_REASON, C_COUNT
};

#define CASEDB_PROBE_MS 60000
#define CASEDB_RECONNECT_MS 1000

struct casedb {
	char *dsn;
	int64_t timeout_ms;
	pthread_mutex_t mtx;
	PGconn *conn;
	int has_cases;
	int64_t probed_ms;	/* monotonic */
	int64_t failed_ms;	/* last failed connect, monotonic */
	int failing;		/* log a lost database once */
};

struct casedb *
casedb_new(const struct casedb_config *cfg)
{
	struct casedb *db = xcalloc(1, sizeof(*db));

	db->dsn = xstrdup(cfg->dsn);
	db->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	db->failed_ms = INT64_MIN / 2;
	pthread_mutex_init(&db->mtx, NULL);
	return db;
}

void
casedb_free(struct casedb *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	pthread_mutex_destroy(&db->mtx);
	free(db->dsn);
	free(db);
}

/*
 * Looks for the case tables (they arrive with a later hub migration) and
 * for the right to read them: a role without SELECT on them reads every
 * request as "received" rather than failing every query.
 */
static int
casedb_probe(struct casedb *db, int64_t now)
{
	PGresult *res;
	const char *v;
	int ok, had = db->has_cases;

	res = PQexec(db->conn, "SELECT CASE WHEN to_regclass('" T_CASE "') "
	    "IS NULL OR to_regclass('" T_HISTORY "') IS NULL THEN 'missing' "
	    "WHEN has_table_privilege('" T_CASE "', 'SELECT') AND "
	    "has_table_privilege('" T_HISTORY "', 'SELECT') THEN 'ok' "
	    "ELSE 'denied' END");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (!ok) {
		log_warnx("casedb: probing the case tables: %s",
		    PQerrorMessage(db->conn));
		PQclear(res);
		return -1;
	}
	v = PQgetvalue(res, 0, 0);
	db->has_cases = strcmp(v, "ok") == 0;
	if (db->has_cases != had || db->probed_ms == 0) {
		if (db->has_cases)
			log_info("casedb: case tables found: statuses come "
			    "from cases");
		else if (strcmp(v, "denied") == 0)
			log_warnx("casedb: no SELECT on " T_CASE " and "
			    T_HISTORY " for this role: every request reads "
			    "as open, \"received\"");
		else
			log_info("casedb: case tables not found: every "
			    "request reads as open, \"received\"");
	}
	db->probed_ms = now;
	PQclear(res);
	return 0;
}

static int
casedb_connect(struct casedb *db, int64_t now)
{
	const char *keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[3];
	const char *params[1];
	char timeout_s[24], timeout_ms[24];
	PGresult *res;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn != NULL) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	if (now - db->failed_ms < CASEDB_RECONNECT_MS)
		return -1;
	snprintf(timeout_s, sizeof(timeout_s), "%lld",
	    (long long)((db->timeout_ms + 999) / 1000));
	vals[0] = timeout_s;
	vals[1] = db->dsn;
	vals[2] = NULL;
	/* The dsn comes after connect_timeout, so its own setting wins. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		if (!db->failing)
			log_warnx("casedb: cannot connect: %s",
			    PQerrorMessage(db->conn));
		db->failing = 1;
		goto fail;
	}
	snprintf(timeout_ms, sizeof(timeout_ms), "%lld",
	    (long long)db->timeout_ms);
	params[0] = timeout_ms;
	res = PQexecParams(db->conn, "SELECT set_config("
	    "'default_transaction_read_only', 'on', false), "
	    "set_config('statement_timeout', $1, false)", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("casedb: session settings: %s",
		    PQerrorMessage(db->conn));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (casedb_probe(db, now) == -1)
		goto fail;
	if (db->failing)
		log_info("casedb: connected again");
	db->failing = 0;
	return 0;
fail:
	PQfinish(db->conn);
	db->conn = NULL;
	db->failed_ms = now;
	return -1;
}

/* A text[] literal: {"a","b"} with " and \ escaped. NULL for no items. */
static char *
casedb_array(const char *const *v, size_t n)
{
	struct buf b;
	size_t i;
	const char *p;

	if (v == NULL || n == 0)
		return NULL;
	buf_init(&b, 0);
	buf_append(&b, "{", 1);
	for (i = 0; i < n; i++) {
		buf_append(&b, i ? ",\"" : "\"", i ? 2 : 1);
		for (p = v[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(&b, "\\", 1);
			buf_append(&b, p, 1);
		}
		buf_append(&b, "\"", 1);
	}
	buf_append(&b, "}", 1);
	buf_terminate(&b);
	return b.data;
}

static const char *
casedb_val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t
casedb_ms(const PGresult *res, int row, int col, int64_t def)
{
	const char *s = casedb_val(res, row, col);
	long v;

	if (s == NULL || parse_long(s, INT64_MIN / 2, INT64_MAX / 2, &v) == -1)
		return def;
	return (int64_t)v;
}

static int
casedb_is_closed(const char *status)
{
	return status != NULL && (strcmp(status, "resolved") == 0 ||
	    strcmp(status, "closed") == 0 || strcmp(status, "rejected") == 0);
}

static void
casedb_emit(const PGresult *res, int row, casedb_row_fn fn, void *arg)
{
	struct casedb_row r;
	const char *status, *note, *reason, *lat, *lon;
	char notes[160];
	int64_t due;

	memset(&r, 0, sizeof(r));
	r.id = casedb_val(res, row, C_ID);
	r.service_code = casedb_val(res, row, C_CODE);
	r.category = casedb_val(res, row, C_CATEGORY);
	r.description = casedb_val(res, row, C_DESCRIPTION);
	r.address = casedb_val(res, row, C_ADDRESS);
	r.media_url = casedb_val(res, row, C_MEDIA);
	r.requested = casedb_val(res, row, C_SUBMITTED);
	lat = casedb_val(res, row, C_LAT);
	lon = casedb_val(res, row, C_LON);
	if (lat != NULL && lon != NULL && parse_double(lat, &r.lat) == 0 &&
	    parse_double(lon, &r.lon) == 0)
		r.has_latlon = 1;
	status = casedb_val(res, row, C_STATUS);
	note = casedb_val(res, row, C_NOTE);
	reason = casedb_val(res, row, C_REASON);
	r.agency = casedb_val(res, row, C_OPD);
	r.closed = casedb_is_closed(status);
	r.updated_ms = casedb_ms(res, row, C_UPDATED,
	    casedb_ms(res, row, C_TIME, 0));
	due = casedb_ms(res, row, C_DUE, -1);
	r.expected_ms = r.closed ? -1 : due;
	if (status == NULL)
		r.status_notes = "received";
	else if (note != NULL && *note != '\0')
		r.status_notes = note;
	else {
		if (reason != NULL)
			snprintf(notes, sizeof(notes), "%s: %s", status,
			    reason);
		else
			snprintf(notes, sizeof(notes), "%s", status);
		r.status_notes = notes;
	}
	fn(arg, &r);
}

int
casedb_query(struct casedb *db, const struct casedb_filter *f,
    casedb_row_fn fn, void *arg)
{
	const char *params[5];
	char *arr = NULL, start[24], end[24], limit[24];
	PGresult *res = NULL;
	int64_t now = clock_mono_ms();
	int n = -1, i, nparams;
	const char *sql;

	pthread_mutex_lock(&db->mtx);
	if (casedb_connect(db, now) == -1)
		goto out;
	if (!db->has_cases && now - db->probed_ms >= CASEDB_PROBE_MS)
		casedb_probe(db, now);
	snprintf(limit, sizeof(limit), "%d", f->limit < 1 ? 1 :
	    f->limit > CASEDB_ROWS_MAX ? CASEDB_ROWS_MAX : f->limit);
	if (f->ids != NULL) {
		arr = casedb_array(f->ids, f->nids);
		params[0] = arr != NULL ? arr : "{}";
		params[1] = limit;
		nparams = 2;
		sql = q_ids[db->has_cases];
	} else {
		snprintf(start, sizeof(start), "%lld", (long long)f->start_ms);
		snprintf(end, sizeof(end), "%lld", (long long)f->end_ms);
		arr = casedb_array(f->service_codes, f->ncodes);
		params[0] = start;
		params[1] = end;
		params[2] = arr;
		params[3] = f->status == CASEDB_OPEN ? "open" :
		    f->status == CASEDB_CLOSED ? "closed" : "any";
		params[4] = limit;
		nparams = 5;
		sql = q_filter[db->has_cases];
	}
	res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) !=
	    C_COUNT) {
		log_warnx("casedb: query failed: %s", PQerrorMessage(db->conn));
		if (PQstatus(db->conn) != CONNECTION_OK)
			db->failing = 1;
		goto out;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		casedb_emit(res, i, fn, arg);
out:
	PQclear(res);
	pthread_mutex_unlock(&db->mtx);
	free(arr);
	return n;
}
