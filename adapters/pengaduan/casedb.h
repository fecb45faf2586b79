/*
 * casedb: what Open311 "GET requests" answers, read from the hub's
 * PostgreSQL (the only module that sees libpq). Read-only: the session is
 * set to default_transaction_read_only and a statement_timeout, and should
 * log in as a read-only role (docs/pengaduan.md shows the GRANTs).
 *
 * A service request is a complaint.created event in the hub's table event
 * (subject = the complaint_id = the service_request_id), joined to the
 * newest case the hub's rules opened for it (hub/migrations/0002_cases.sql:
 * case_record whose case_key is "complaint.created:<complaint_id>" or whose
 * source_event_ids hold the event's id) and that case's last history row.
 * Statuses map to Open311's two: new, verified, assigned, acknowledged are
 * "open"; resolved, closed, rejected are "closed". A complaint without a
 * case is "open" with status_notes "received". Until the case tables exist
 * (an older hub schema), every request reads that way; the tables are
 * looked for again at each reconnect and once a minute.
 *
 * Threads: one connection, serialised by a mutex; queries are short and
 * bounded by the statement timeout. A lost connection is re-opened at the
 * next query, at most once per second.
 */
#ifndef SIMPUL_CASEDB_H
#define SIMPUL_CASEDB_H

#include <stddef.h>
#include <stdint.h>

#define CASEDB_IDS_MAX 200	/* service_request_id values per query */
#define CASEDB_ROWS_MAX 1000	/* the spec's "first 1000 requests" */

struct casedb;

struct casedb_config {
	const char *dsn;	/* libpq connection string */
	int64_t timeout_ms;	/* connect and statement timeout */
};

/* One request; strings valid during the callback only, NULL if absent. */
struct casedb_row {
	const char *id;
	int closed;		/* Open311 status: 0 open, 1 closed */
	const char *status_notes;
	const char *service_code;
	const char *category;
	const char *description;
	const char *agency;	/* the case's OPD */
	const char *address;
	const char *media_url;
	const char *requested;	/* submitted_at, RFC 3339 as submitted */
	int has_latlon;
	double lat, lon;
	int64_t updated_ms;	/* the case's last change, else the event */
	int64_t expected_ms;	/* the running SLA deadline; -1 none */
};

typedef void (*casedb_row_fn)(void *arg, const struct casedb_row *r);

enum casedb_status { CASEDB_ANY, CASEDB_OPEN, CASEDB_CLOSED };

struct casedb_filter {
	/* Exact ids (NULL: none); when set, the rest is ignored. */
	const char *const *ids;
	size_t nids;
	const char *const *service_codes; /* NULL: any */
	size_t ncodes;
	int64_t start_ms, end_ms;	/* requested in [start, end) */
	enum casedb_status status;
	int limit;			/* 1..CASEDB_ROWS_MAX */
};

/* Never fails: the connection is made at the first query. */
struct casedb *casedb_new(const struct casedb_config *cfg);
void casedb_free(struct casedb *db);

/*
 * Calls fn for each request matching f, newest first. Returns the number
 * of rows, or -1 (logged) when the database cannot be reached or the query
 * failed: the caller answers 503.
 */
int casedb_query(struct casedb *db, const struct casedb_filter *f,
    casedb_row_fn fn, void *arg);

#endif
