/*
 * api: see api.h.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "auth.h"
#include "casefsm.h"
#include "db.h"
#include "filecache.h"
#include "intake.h"
#include "log.h"
#include "mqttpub.h"
#include "param.h"
#include "store.h"
#include "util.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define GEOJSON_MAX ((size_t)16 << 20)
#define REPLAY_PAYLOAD_MAX ((size_t)16 << 20)

struct route {
	const char *method;
	const char *pattern;  /* for param_path_match(): "*", "**" */
	enum grant grant;
	int (*fn)(struct req *r, struct answer *a, char **seg);
};

int
answer_error(struct answer *a, unsigned int status, const char *msg)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "error", msg);
	free(a->body);
	a->body = cJSON_PrintUnformatted(j);
	a->status = status;
	cJSON_Delete(j);
	return 0;
}

int
answer_take(struct answer *a, char *body)
{
	if (body == NULL)
		return answer_error(a, 404, "not found");
	free(a->body);
	a->body = body;
	a->status = 200;
	return 0;
}

static const char *
qv(const struct req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
bad_param(struct answer *a, const char *name)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "invalid parameter %s", name);
	return answer_error(a, 400, msg);
}

/* The OPD an opd user's queries are limited to; NULL for other roles. */
static const char *
scope(const struct req *r)
{
	return r->s.role == ROLE_OPD ? r->s.opd : NULL;
}

/* Runs a statement answering one JSON text; 200, 404 without a row. */
static int
json_answer(struct req *r, struct answer *a, const char *sql, int n,
    const char *const *params)
{
	struct dbc *db;
	char *out;
	int rc;

	if ((db = dbpool_get(r->c->pool)) == NULL)
		return answer_error(a, 503, "database unavailable");
	rc = dbc_text(db, sql, n, params, &out);
	dbpool_put(r->c->pool, db);
	if (rc == -1)
		return answer_error(a, 503, "database failed");
	return answer_take(a, out);
}

/* --- events ------------------------------------------------------------ */

static int
h_events(struct req *r, struct answer *a, char **seg)
{
	const char *opd = qv(r, "opd"), *type = qv(r, "type"), *q = qv(r, "q");
	char us[24], id[PARAM_CURSOR_ID_MAX + 1], limit[24];
	const char *params[7];
	long n;

	(void)seg;
	if (param_opd(opd) == -1)
		return bad_param(a, "opd");
	if (param_text(type, 64) == -1)
		return bad_param(a, "type");
	if (param_text(q, PARAM_TEXT_MAX) == -1)
		return bad_param(a, "q");
	if (param_event_cursor(qv(r, "before"), us, id, sizeof(id)) == -1)
		return bad_param(a, "before");
	if (param_long(qv(r, "limit"), LIMIT_DEFAULT, 1, LIMIT_MAX, &n) == -1)
		return bad_param(a, "limit");
	snprintf(limit, sizeof(limit), "%ld", n);
	params[0] = scope(r);
	params[1] = opd;
	params[2] = type;
	params[3] = q;
	params[4] = us[0] != '\0' ? us : NULL;
	params[5] = us[0] != '\0' ? id : NULL;
	params[6] = limit;
	return json_answer(r, a,
	    "WITH page AS (SELECT e AS ev, e.time, e.id FROM event e"
	    " WHERE ($1::text IS NULL OR e.opd = $1)"
	    " AND ($2::text IS NULL OR e.opd = $2)"
	    " AND ($3::text IS NULL OR e.type = $3)"
	    " AND ($4::text IS NULL OR e.id = $4 OR e.subject = $4"
	    "  OR e.data::text ILIKE '%' || simpul_like_escape($4) || '%')"
	    " AND ($5::bigint IS NULL OR (e.time, e.id) < (timestamptz 'epoch'"
	    "  + $5::bigint * interval '1 microsecond', $6::text))"
	    " ORDER BY e.time DESC, e.id DESC LIMIT $7::int)"
	    " SELECT json_build_object('items', coalesce((SELECT"
	    "  json_agg(simpul_console_event_json(p.ev) ORDER BY p.time DESC,"
	    "  p.id DESC) FROM page p), '[]'::json),"
	    " 'next', CASE WHEN (SELECT count(*) FROM page) = $7::int THEN"
	    "  (SELECT simpul_console_event_json(p.ev)->>'cursor' FROM page p"
	    "  ORDER BY p.time, p.id LIMIT 1) END)::text", 7, params);
}

static int
h_event(struct req *r, struct answer *a, char **seg)
{
	const char *params[2] = { seg[1], scope(r) };

	if (param_text(seg[1], PARAM_CURSOR_ID_MAX) == -1)
		return bad_param(a, "id");
	return json_answer(r, a,
	    "SELECT (e.attrs || jsonb_build_object('data', e.data))::text"
	    " FROM event_id i JOIN event e ON e.id = i.id AND e.time = i.time"
	    " WHERE i.id = $1 AND ($2::text IS NULL OR e.opd = $2)", 2, params);
}

/* --- cases ------------------------------------------------------------- */

static const char *const sorts[] = { "due", "opened", "severity", NULL };
static const char *const severities[] = { "critical", "major", "minor",
	"warning", NULL };

/*
 * The sorts, on case rows r: the table's ("c.") inside, the page's
 * ("(p.r).") outside.
 */
#define SORT_DUE(r) " ORDER BY " r "due_at NULLS LAST, " r "id"
#define SORT_OPENED(r) " ORDER BY " r "opened_at DESC, " r "id DESC"
#define SORT_SEVERITY(r) " ORDER BY CASE " r "severity WHEN 'critical'" \
	" THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END, " \
	r "due_at NULLS LAST, " r "id"

/*
 * The filter of /api/cases, written out twice (page and total) rather
 * than shared through a CTE, which PostgreSQL would materialise: this
 * way the page is an index scan in due order that stops at the limit.
 * open is CASES_OPEN for status=open (the default: the condition of the
 * queue's partial index, so it must stand in the text) or "".
 */
#define CASES_OPEN " AND c.status NOT IN ('closed', 'rejected')"
#define CASES_WHERE(open) \
	" WHERE ($1::text IS NULL OR c.opd = $1)" \
	" AND ($2::text IS NULL OR c.opd = $2)" \
	" AND ($3::text IS NULL OR c.status = $3)" open \
	" AND ($4::text IS NULL OR c.severity = $4)" \
	" AND ($5::text IS NULL OR c.channel = $5)" \
	" AND ($6::text IS NULL OR c.human_id = $6" \
	"  OR c.title ILIKE '%' || simpul_like_escape($6) || '%')"
#define CASES_SQL(sort, open) \
	"SELECT json_build_object('items', coalesce((SELECT" \
	"  json_agg(simpul_console_case_json(p.r)" sort("(p.r).") ")" \
	"  FROM (SELECT c AS r FROM case_record c" CASES_WHERE(open) \
	"  " sort("c.") " LIMIT $7::int OFFSET $8::int) p), '[]'::json)," \
	" 'total', t.n, 'next', CASE WHEN $8::bigint + $7::bigint < t.n" \
	"  THEN ($8::bigint + $7::bigint)::text END)::text" \
	" FROM (SELECT count(*) AS n FROM case_record c" CASES_WHERE(open) ") t"

/* The statements of /api/cases, by sort (as sorts[]) and open or not. */
static const char *const cases_sql[][2] = {
	{ CASES_SQL(SORT_DUE, CASES_OPEN), CASES_SQL(SORT_DUE, "") },
	{ CASES_SQL(SORT_OPENED, CASES_OPEN), CASES_SQL(SORT_OPENED, "") },
	{ CASES_SQL(SORT_SEVERITY, CASES_OPEN), CASES_SQL(SORT_SEVERITY, "") },
};
_Static_assert(nitems(cases_sql) == nitems(sorts) - 1,
    "a statement for each sort");

static int
h_cases(struct req *r, struct answer *a, char **seg)
{
	const char *opd = qv(r, "opd"), *status = qv(r, "status");
	const char *sev = qv(r, "severity"), *chan = qv(r, "channel");
	const char *q = qv(r, "q"), *sort = qv(r, "sort");
	char limit[24], offset[24];
	const char *params[8];
	enum case_status st;
	long n, off;
	size_t si = 0;
	int open;

	(void)seg;
	if (param_opd(opd) == -1)
		return bad_param(a, "opd");
	if (status != NULL && strcmp(status, "open") != 0 &&
	    strcmp(status, "all") != 0 && case_status_parse(status, &st) == -1)
		return bad_param(a, "status");
	if (param_oneof(sev, severities) == -1)
		return bad_param(a, "severity");
	if (param_text(chan, 64) == -1)
		return bad_param(a, "channel");
	if (param_text(q, PARAM_TEXT_MAX) == -1)
		return bad_param(a, "q");
	if (param_oneof(sort, sorts) == -1)
		return bad_param(a, "sort");
	while (sort != NULL && strcmp(sorts[si], sort) != 0)
		si++;
	if (param_long(qv(r, "limit"), LIMIT_DEFAULT, 1, LIMIT_MAX, &n) == -1)
		return bad_param(a, "limit");
	if (param_long(qv(r, "offset"), 0, 0, 1000000, &off) == -1)
		return bad_param(a, "offset");
	snprintf(limit, sizeof(limit), "%ld", n);
	snprintf(offset, sizeof(offset), "%ld", off);
	params[0] = scope(r);
	params[1] = opd;
	/* status=: open (the default), all, or one status ($3). */
	open = status == NULL || strcmp(status, "open") == 0;
	params[2] = !open && strcmp(status, "all") != 0 ? status : NULL;
	params[3] = sev;
	params[4] = chan;
	params[5] = q;
	params[6] = limit;
	params[7] = offset;
	return json_answer(r, a, cases_sql[si][open ? 0 : 1], 8, params);
}

/*
 * A statement that finds a case by reference $1 is written twice, ending
 * in [0] CASE_BY_NUMBER (human_id) and [1] CASE_BY_ID: case_ref_sql()
 * picks the one for a reference, by case_ref_is_id().
 */
#define CASE_BY_NUMBER "c.human_id = $1"
#define CASE_BY_ID "c.id = $1::bigint"

static const char *
case_ref_sql(const char *ref, const char *const sql[2])
{
	return sql[case_ref_is_id(ref) ? 1 : 0];
}

#define CASE_DETAIL_SQL(by) \
    "SELECT json_build_object('case', simpul_console_case_json(c)," \
    " 'history', (SELECT coalesce(json_agg(json_build_object('at', h.at," \
    "  'actor', h.actor, 'actor_kind', h.actor_kind, 'action', h.action," \
    "  'from_status', h.from_status, 'to_status', h.to_status," \
    "  'opd', h.opd, 'reason', h.reason, 'note', h.note)" \
    "  ORDER BY h.at, h.id), '[]'::json)" \
    "  FROM case_history h WHERE h.case_id = c.id)," \
    " 'escalations', (SELECT coalesce(json_agg(json_build_object(" \
    "  'level', x.level, 'deadline_kind', x.deadline_kind," \
    "  'clock_started_at', x.clock_started_at, 'due_at', x.due_at," \
    "  'escalated_at', x.escalated_at, 'escalated_by', x.escalated_by)" \
    "  ORDER BY x.escalated_at, x.level), '[]'::json)" \
    "  FROM case_escalation x WHERE x.case_id = c.id)," \
    " 'events', (SELECT coalesce(json_agg(e.attrs ||" \
    "  jsonb_build_object('data', e.data) ORDER BY e.time), '[]'::json)" \
    "  FROM event_id i JOIN event e ON e.id = i.id AND e.time = i.time" \
    "  WHERE i.id = ANY (c.source_event_ids)))::text, c.status, c.opd" \
    " FROM case_record c WHERE ($2::text IS NULL OR c.opd = $2) AND " by

static const char *const sql_case_detail[2] = {
	CASE_DETAIL_SQL(CASE_BY_NUMBER), CASE_DETAIL_SQL(CASE_BY_ID),
};

static int
h_case(struct req *r, struct answer *a, char **seg)
{
	const char *params[2] = { seg[1], scope(r) };
	char allowed[256], *body;
	struct dbres *res = NULL;
	struct dbc *db;
	const char *j;
	size_t n;

	if (param_case_ref(seg[1]) == -1)
		return answer_error(a, 404, "not found");
	if ((db = dbpool_get(r->c->pool)) == NULL)
		return answer_error(a, 503, "database unavailable");
	res = dbc_query(db, case_ref_sql(seg[1], sql_case_detail), 2, params);
	dbpool_put(r->c->pool, db);
	if (res == NULL)
		return answer_error(a, 503, "database failed");
	if (dbres_rows(res) == 0 || (j = dbres_value(res, 0, 0)) == NULL) {
		dbres_free(res);
		return answer_error(a, 404, "not found");
	}
	if (policy_allowed_json(r->s.role, scope(r) != NULL ? r->s.opd : NULL,
	    dbres_value(res, 0, 1), dbres_value(res, 0, 2), allowed,
	    sizeof(allowed)) == -1)
		strlcpy_s(allowed, "[]", sizeof(allowed));
	n = strlen(j);
	/* j is an object: "{...}"; allowed goes in before its last brace. */
	body = xasprintf("%.*s, \"allowed\": %s}", (int)(n - 1), j, allowed);
	dbres_free(res);
	return answer_take(a, body);
}

#define CASE_VISIBLE_SQL(by) "SELECT c.id::text FROM case_record c WHERE" \
    " ($2::text IS NULL OR c.opd = $2) AND " by

static const char *const sql_case_visible[2] = {
	CASE_VISIBLE_SQL(CASE_BY_NUMBER), CASE_VISIBLE_SQL(CASE_BY_ID),
};

/* The case's id if the user sees it; 0 if not (404); -1 on failure. */
static long long
case_visible(struct req *r, const char *ref)
{
	const char *params[2] = { ref, scope(r) };
	struct dbc *db;
	char *out;
	long long id = 0;
	int rc;

	if ((db = dbpool_get(r->c->pool)) == NULL)
		return -1;
	rc = dbc_text(db, case_ref_sql(ref, sql_case_visible), 2, params,
	    &out);
	dbpool_put(r->c->pool, db);
	if (rc == -1)
		return -1;
	if (out != NULL)
		id = strtoll(out, NULL, 10);
	free(out);
	return id;
}

/* store_case_act() under the store's lock, reconnecting if needed. */
static int
case_act_locked(struct console *c, const struct case_act *act, char **json,
    char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&c->store_mu);
	if (store_ping(c->store) == -1)
		(void)store_connect(c->store);
	rc = store_case_act(c->store, act, json, err, errlen);
	pthread_mutex_unlock(&c->store_mu);
	return rc;
}

static char *
act_detail(const char *action, const struct param_act *p, const char *err)
{
	cJSON *j = cJSON_CreateObject();
	char *out;

	cJSON_AddStringToObject(j, "action", action);
	if (p->has_reason)
		cJSON_AddStringToObject(j, "reason", p->reason);
	if (p->has_opd)
		cJSON_AddStringToObject(j, "opd", p->opd);
	if (p->has_note)
		cJSON_AddStringToObject(j, "note", p->note);
	if (err != NULL)
		cJSON_AddStringToObject(j, "refused", err);
	out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

static int
h_case_act(struct req *r, struct answer *a, char **seg)
{
	struct param_act p;
	struct case_actor who;
	struct case_act act;
	char err[512], name[256], idtext[24], *json = NULL, *detail;
	const char *params[1] = { idtext };
	long long id;
	int rc;

	if (param_case_ref(seg[1]) == -1)
		return answer_error(a, 404, "not found");
	if (!policy_console_action(seg[2]))
		return answer_error(a, 404, "no such action");
	if (!policy_may_act(r->s.role, scope(r), seg[2]))
		return answer_error(a, 403, "forbidden");
	if (param_act_parse(r->body, r->body_len, &p, err, sizeof(err)) == -1)
		return answer_error(a, 400, err);
	if ((id = case_visible(r, seg[1])) == -1)
		return answer_error(a, 503, "database unavailable");
	if (id == 0)
		return answer_error(a, 404, "not found");
	if (policy_case_actor(r->s.role, r->s.opd, &who) == -1 ||
	    policy_actor_name(r->s.role, r->s.opd, r->s.user, name,
	    sizeof(name)) == -1)
		return answer_error(a, 403, "forbidden");
	snprintf(idtext, sizeof(idtext), "%lld", id);
	memset(&act, 0, sizeof(act));
	act.case_ref = idtext;
	act.action = seg[2];
	act.actor = &who;
	act.actor_name = name;
	act.arg = strcmp(seg[2], "reject") == 0 ? (p.has_reason ? p.reason :
	    NULL) : strcmp(seg[2], "assign") == 0 ? (p.has_opd ? p.opd :
	    NULL) : NULL;
	act.note = p.has_note ? p.note : NULL;
	rc = case_act_locked(r->c, &act, &json, err, sizeof(err));
	free(json);
	detail = act_detail(seg[2], &p, rc == 1 ? err : NULL);
	if (rc != -1)
		auth_audit(r, NULL, rc == 0 ? "case_action" :
		    "case_action_refused", seg[1], detail);
	free(detail);
	if (rc == -1)
		return answer_error(a, 503, err);
	if (rc == 1)
		return answer_error(a, 409, err);
	log_info("api: case action user=%s case=%s action=%s", r->s.user,
	    seg[1], seg[2]);
	return json_answer(r, a, "SELECT json_build_object('case',"
	    " simpul_console_case_json(c))::text FROM case_record c"
	    " WHERE c.id = $1::bigint", 1, params);
}

/* --- dead letters ------------------------------------------------------ */

/* reason=: one of the hub's dead-letter reasons (hub/intake.c), or none. */
static int
dl_reason_ok(const char *v)
{
	int i;

	for (i = DLQ_NONE + 1; v != NULL && i < DLQ_NREASONS; i++)
		if (strcmp(v, dlq_reason_name((enum dlq_reason)i)) == 0)
			return 1;
	return v == NULL;
}

static int
h_deadletters(struct req *r, struct answer *a, char **seg)
{
	const char *reason = qv(r, "reason"), *before = qv(r, "before");
	const char *params[3];
	char limit[24];
	long n;

	(void)seg;
	if (!dl_reason_ok(reason))
		return bad_param(a, "reason");
	if (before != NULL && param_id(before) == -1)
		return bad_param(a, "before");
	if (param_long(qv(r, "limit"), LIMIT_DEFAULT, 1, LIMIT_MAX, &n) == -1)
		return bad_param(a, "limit");
	snprintf(limit, sizeof(limit), "%ld", n);
	params[0] = reason;
	params[1] = before;
	params[2] = limit;
	return json_answer(r, a,
	    "WITH page AS (SELECT d.id, d.received_at, d.reason, d.detail,"
	    " d.topic, d.event_id, d.replayed_at, d.replayed_by,"
	    " octet_length(d.payload) AS bytes,"
	    " left(simpul_bytea_text(substring(d.payload FROM 1 FOR 400)), 200)"
	    " AS preview FROM dead_letter d"
	    " WHERE ($1::text IS NULL OR d.reason = $1)"
	    " AND ($2::bigint IS NULL OR d.id < $2::bigint)"
	    " ORDER BY d.id DESC LIMIT $3::int)"
	    " SELECT json_build_object('items', coalesce((SELECT json_agg("
	    "  json_build_object('id', p.id, 'received_at', p.received_at,"
	    "  'reason', p.reason, 'detail', p.detail, 'topic', p.topic,"
	    "  'event_id', p.event_id, 'bytes', p.bytes,"
	    "  'replayed_at', p.replayed_at, 'replayed_by', p.replayed_by,"
	    "  'payload_preview', p.preview) ORDER BY p.id DESC) FROM page p),"
	    "  '[]'::json),"
	    " 'next', CASE WHEN (SELECT count(*) FROM page) = $3::int THEN"
	    "  (SELECT min(id)::text FROM page) END)::text", 3, params);
}

static int
h_deadletter(struct req *r, struct answer *a, char **seg)
{
	const char *params[1] = { seg[1] };

	if (param_id(seg[1]) == -1)
		return answer_error(a, 404, "not found");
	return json_answer(r, a,
	    "SELECT json_build_object('id', d.id, 'received_at', d.received_at,"
	    " 'reason', d.reason, 'detail', d.detail, 'topic', d.topic,"
	    " 'event_id', d.event_id, 'instance', d.instance,"
	    " 'bytes', octet_length(d.payload), 'replayed_at', d.replayed_at,"
	    " 'replayed_by', d.replayed_by,"
	    " 'payload', simpul_bytea_text(d.payload))::text"
	    " FROM dead_letter d WHERE d.id = $1::bigint", 1, params);
}

static int
h_replay(struct req *r, struct answer *a, char **seg)
{
	/*
	 * Published through a short-lived MQTT v5 connection, as simpulctl
	 * does. Not simpul-console-<host>-<pid>: that is hubwatch's client
	 * id, and the broker would drop hubwatch's connection for this one.
	 */
	struct mqttpub_config mc = {
		.auth = MQTT_AUTH_OF(r->c->cfg),
		.id_prefix = "simpul-console-replay",
		.timeout_ms = 10000,
	};
	struct store_replay rp;
	enum store_replay_result rc;
	char err[512], actor[256], *detail;

	if (param_id(seg[1]) == -1)
		return answer_error(a, 404, "not found");
	memset(&rp, 0, sizeof(rp));
	snprintf(actor, sizeof(actor), "console:%s", r->s.user);
	rp.id = seg[1];
	rp.actor = actor;
	rp.force = 1; /* the console shows replayed_at; replaying again is a
		       * deliberate click */
	rp.max = REPLAY_PAYLOAD_MAX;
	rp.publish = mqttpub_publish_once;
	rp.arg = &mc;
	err[0] = '\0';
	pthread_mutex_lock(&r->c->replay_mu);
	if (store_ping(r->c->replay_store) == -1)
		(void)store_connect(r->c->replay_store);
	rc = store_dead_letter_replay(r->c->replay_store, &rp, err,
	    sizeof(err));
	pthread_mutex_unlock(&r->c->replay_mu);
	detail = xasprintf("{\"result\": %d}", (int)rc);
	if (rc != STORE_REPLAY_NONE)
		auth_audit(r, NULL, "deadletter_replay", seg[1], detail);
	free(detail);
	switch (rc) {
	case STORE_REPLAY_OK:
		log_info("api: dead letter replayed user=%s id=%s", r->s.user,
		    seg[1]);
		return answer_take(a, xasprintf("{\"replayed\": true, "
		    "\"replayed_at\": \"%s\", \"bytes\": %zu}", rp.replayed_at,
		    rp.bytes));
	case STORE_REPLAY_NONE:
		return answer_error(a, 404, "not found");
	case STORE_REPLAY_BUSY:
		return answer_error(a, 409, "being replayed by another session");
	case STORE_REPLAY_DONE:
		return answer_error(a, 409, "replayed before");
	case STORE_REPLAY_TOO_LARGE:
		return answer_error(a, 409, err);
	case STORE_REPLAY_PUBLISH:
		return answer_error(a, 502, err);
	case STORE_REPLAY_UNMARKED:
		return answer_take(a, xstrdup("{\"replayed\": true, "
		    "\"marked\": false}"));
	case STORE_REPLAY_DB:
		break;
	}
	return answer_error(a, 503, err[0] != '\0' ? err : "database failed");
}

/* --- vehicles, geo, alerts, escalations -------------------------------- */

static int
h_vehicles(struct req *r, struct answer *a, char **seg)
{
	char speed[32];
	const char *params[2] = { scope(r), speed };

	(void)seg;
	snprintf(speed, sizeof(speed), "%g", r->c->cfg->overspeed_kmh);
	return json_answer(r, a,
	    "WITH v AS (SELECT DISTINCT ON (e.data->>'device_id') e.data, e.opd,"
	    " e.time FROM event e WHERE e.type = 'gps.position'"
	    " AND e.time > now() - interval '7 days'"
	    " AND ($1::text IS NULL OR e.opd = $1)"
	    " ORDER BY e.data->>'device_id', e.time DESC)"
	    " SELECT json_build_object('items', coalesce(json_agg("
	    " json_build_object('device_id', v.data->>'device_id',"
	    " 'plate', v.data->>'plate', 'name', v.data->>'name', 'opd', v.opd,"
	    " 'lat', (v.data->>'lat')::float8, 'lon', (v.data->>'lon')::float8,"
	    " 'fix_time', v.data->>'fix_time',"
	    " 'speed_kmh', (v.data->>'speed_kmh')::float8,"
	    " 'course', (v.data->>'course')::float8,"
	    " 'valid', (v.data->>'valid')::boolean,"
	    " 'overspeed', coalesce((v.data->>'speed_kmh')::float8 > $2::float8"
	    "  OR al.alarm = 'overspeed', false),"
	    " 'alarm', CASE WHEN al.alarm IS NOT NULL THEN json_build_object("
	    "  'alarm', al.alarm, 'time', al.time) END)"
	    " ORDER BY v.data->>'device_id'), '[]'::json), 'next', NULL)::text"
	    " FROM v LEFT JOIN LATERAL (SELECT x.data->>'alarm' AS alarm, x.time"
	    "  FROM event x WHERE x.type = 'gps.alarm'"
	    "  AND x.time > now() - interval '1 day'"
	    "  AND x.data->>'device_id' = v.data->>'device_id'"
	    "  ORDER BY x.time DESC LIMIT 1) al ON true", 2, params);
}

/*
 * A configured GeoJSON file, as it is (it is the operator's own file),
 * from its cache: read again only when it changed (filecache.h).
 */
static int
geo_file(struct answer *a, struct filecache *fc)
{
	char *body;

	switch (filecache_get(fc, &body)) {
	case 0:
		return answer_take(a, body);
	case -1:
		return answer_error(a, 404, "not configured");
	default:
		return answer_error(a, 500, "GeoJSON file unreadable");
	}
}

static int
h_boundary(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return geo_file(a, r->c->boundary);
}

static int
h_geofences(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return geo_file(a, r->c->geofences);
}

static int
h_alerts(struct req *r, struct answer *a, char **seg)
{
	const char *opd = qv(r, "opd"), *before = qv(r, "before");
	const char *params[4];
	char limit[24];
	long n;

	(void)seg;
	if (param_opd(opd) == -1)
		return bad_param(a, "opd");
	if (before != NULL && param_id(before) == -1)
		return bad_param(a, "before");
	if (param_long(qv(r, "limit"), LIMIT_DEFAULT, 1, LIMIT_MAX, &n) == -1)
		return bad_param(a, "limit");
	snprintf(limit, sizeof(limit), "%ld", n);
	params[0] = scope(r);
	params[1] = opd;
	params[2] = before;
	params[3] = limit;
	return json_answer(r, a,
	    "WITH page AS (SELECT x FROM alert x"
	    " WHERE ($1::text IS NULL OR x.opd = $1)"
	    " AND ($2::text IS NULL OR x.opd = $2)"
	    " AND ($3::bigint IS NULL OR x.id < $3::bigint)"
	    " ORDER BY x.id DESC LIMIT $4::int)"
	    " SELECT json_build_object('items', coalesce((SELECT json_agg("
	    "  simpul_console_alert_json(p.x) ORDER BY (p.x).id DESC)"
	    "  FROM page p), '[]'::json),"
	    " 'next', CASE WHEN (SELECT count(*) FROM page) = $4::int THEN"
	    "  (SELECT min((p.x).id)::text FROM page p) END)::text", 4, params);
}

/*
 * A report over a period: the parameters $1 (the user's OPD scope), $2
 * and $3 (from= and to=, RFC 3339, NULL when not given: each report's SQL
 * has its own default period). The strings live in p.
 */
struct period {
	char from[32], to[32];
	const char *params[3];
};

static int
period(struct req *r, struct answer *a, struct period *p)
{
	if (param_time(qv(r, "from"), p->from) == -1)
		return bad_param(a, "from"), -1;
	if (param_time(qv(r, "to"), p->to) == -1)
		return bad_param(a, "to"), -1;
	p->params[0] = scope(r);
	p->params[1] = p->from[0] != '\0' ? p->from : NULL;
	p->params[2] = p->to[0] != '\0' ? p->to : NULL;
	return 0;
}

/* Answers the report sql over the request's period (400 for a bad one). */
static int
report(struct req *r, struct answer *a, const char *sql)
{
	struct period p;

	if (period(r, a, &p) == -1)
		return 0;
	return json_answer(r, a, sql, 3, p.params);
}

/*
 * The period w (lo, hi) of the handover and leadership reports: from=
 * ($2), else dflt before now, to to= ($3), else now; their answers begin
 * with it, as from and to.
 */
#define REPORT_WINDOW(dflt) \
    "WITH w AS (SELECT coalesce($2::timestamptz, now() - interval '" dflt \
    "') AS lo, coalesce($3::timestamptz, now()) AS hi),"
#define REPORT_FROM_TO \
    " SELECT json_build_object('from', (SELECT lo FROM w)," \
    " 'to', (SELECT hi FROM w),"

static const char sql_escalations[] =
    "SELECT json_build_object('items', coalesce(json_agg("
    " json_build_object('case_id', c.id, 'human_id', c.human_id,"
    " 'opd', c.opd, 'title', c.title, 'severity', c.severity,"
    " 'status', c.status, 'level', x.level,"
    " 'deadline_kind', x.deadline_kind, 'due_at', x.due_at,"
    " 'escalated_at', x.escalated_at, 'escalated_by', x.escalated_by)"
    " ORDER BY x.escalated_at DESC), '[]'::json), 'next', NULL)::text"
    " FROM (SELECT * FROM case_escalation x"
    "  WHERE x.escalated_at >= coalesce($2::timestamptz,"
    "   now() - interval '30 days')"
    "  AND x.escalated_at < coalesce($3::timestamptz, 'infinity')"
    "  ORDER BY x.escalated_at DESC LIMIT 1000) x"
    " JOIN case_record c ON c.id = x.case_id"
    " WHERE ($1::text IS NULL OR c.opd = $1)";

static int
h_escalations(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return report(r, a, sql_escalations);
}

/* --- reports ----------------------------------------------------------- */

/*
 * Each count is one grouped pass (no subquery per OPD, which made the
 * planner expect a huge cost and spend a second compiling it with
 * JIT); the open list is the queue index read in due order up to
 * its limit.
 */
static const char sql_handover[] =
    REPORT_WINDOW("8 hours")
    " breached AS MATERIALIZED (SELECT c FROM (SELECT DISTINCT x.case_id"
    "  FROM case_escalation x, w WHERE x.escalated_at >= w.lo"
    "  AND x.escalated_at < w.hi) k JOIN case_record c ON c.id = k.case_id"
    "  WHERE ($1::text IS NULL OR c.opd = $1)),"
    " counts AS (SELECT c.opd, 1 AS arrived, 0 AS closed, 0 AS breached,"
    "  0 AS open FROM case_record c, w WHERE c.opened_at >= w.lo"
    "  AND c.opened_at < w.hi AND ($1::text IS NULL OR c.opd = $1)"
    " UNION ALL SELECT c.opd, 0, 1, 0, 0 FROM (SELECT DISTINCT h.case_id"
    "  FROM case_history h, w WHERE h.action = 'close' AND h.at >= w.lo"
    "  AND h.at < w.hi) k JOIN case_record c ON c.id = k.case_id"
    "  WHERE ($1::text IS NULL OR c.opd = $1)"
    " UNION ALL SELECT (b.c).opd, 0, 0, 1, 0 FROM breached b"
    " UNION ALL SELECT c.opd, 0, 0, 0, 1 FROM case_record c"
    "  WHERE c.status NOT IN ('closed', 'rejected')"
    "  AND ($1::text IS NULL OR c.opd = $1)),"
    " per AS (SELECT opd, sum(arrived) AS arrived, sum(closed) AS closed,"
    "  sum(breached) AS breached, sum(open) AS open FROM counts"
    "  GROUP BY opd)"
    REPORT_FROM_TO
    " 'per_opd', coalesce((SELECT json_agg(json_build_object("
    "  'opd', p.opd, 'arrived', p.arrived, 'closed', p.closed,"
    "  'breached', p.breached, 'open', p.open)"
    "  ORDER BY p.opd NULLS FIRST) FROM per p), '[]'::json),"
    " 'breached', coalesce((SELECT json_agg(simpul_console_case_json(b.c)"
    "  ORDER BY (b.c).due_at, (b.c).id) FROM (SELECT c FROM breached"
    "  ORDER BY (c).due_at, (c).id LIMIT 1000) b), '[]'::json),"
    " 'open', coalesce((SELECT json_agg(simpul_console_case_json(p.c)"
    "  ORDER BY (p.c).due_at NULLS LAST, (p.c).id) FROM (SELECT c"
    "  FROM case_record c WHERE c.status NOT IN ('closed', 'rejected')"
    "  AND ($1::text IS NULL OR c.opd = $1)"
    "  ORDER BY c.due_at NULLS LAST, c.id LIMIT 1000) p), '[]'::json),"
    " 'open_total', (SELECT coalesce(sum(open), 0) FROM per))::text";

static int
h_handover(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return report(r, a, sql_handover);
}

/*
 * On time: the case was assigned (forwarded to its OPD) by the
 * verify deadline counted from its opening, and resolved by the
 * follow-up deadline counted from its first assignment, by the
 * policy's durations and today's calendar. A step not taken yet
 * counts late once its deadline passed and not at all before.
 * d is materialised, and the history read once per case: inlined,
 * every FILTER below re-ran the history look-ups and the deadlines.
 * A deadline is computed (~40 us each) only when it decides
 * something: a step taken before, or not yet due at, the earliest
 * its deadline can be (simpul_sla_min()) is on time, or not late
 * yet, whatever the calendar says. p is materialised: inlined, the
 * two durations were parsed again for every case.
 */
static const char sql_leadership[] =
    REPORT_WINDOW("30 days")
    " p AS MATERIALIZED (SELECT name, simpul_sla_min(verify) AS v,"
    "  simpul_sla_min(follow_up) AS f FROM sla_policy),"
    " d AS MATERIALIZED (SELECT c.opd, h.assigned_at, h.resolved_at,"
    "  x.escalations, c.opened_at + p.v AS verify_min,"
    "  CASE WHEN h.assigned_at <= c.opened_at + p.v OR"
    "   (h.assigned_at IS NULL AND c.opened_at + p.v > now()) THEN NULL"
    "  ELSE simpul_policy_deadline(c.policy, 'verify', c.opened_at)"
    "  END AS verify_due, h.assigned_at + p.f AS follow_min,"
    "  CASE WHEN h.assigned_at IS NULL OR h.resolved_at <="
    "   h.assigned_at + p.f OR (h.resolved_at IS NULL AND"
    "   h.assigned_at + p.f > now()) THEN NULL"
    "  ELSE simpul_policy_deadline(c.policy, 'follow_up',"
    "  h.assigned_at) END AS follow_due"
    "  FROM w, case_record c LEFT JOIN p ON p.name = c.policy"
    "  CROSS JOIN LATERAL (SELECT"
    "   min(h.at) FILTER (WHERE h.action = 'assign') AS assigned_at,"
    "   min(h.at) FILTER (WHERE h.action = 'resolve') AS resolved_at"
    "   FROM case_history h WHERE h.case_id = c.id) h"
    "  CROSS JOIN LATERAL (SELECT count(*) AS escalations"
    "   FROM case_escalation x WHERE x.case_id = c.id) x"
    "  WHERE c.opened_at >= w.lo AND c.opened_at < w.hi"
    "  AND ($1::text IS NULL OR c.opd = $1)),"
    " s AS (SELECT coalesce(d.opd, 'unassigned') AS opd,"
    "  count(*) AS cases,"
    "  count(*) FILTER (WHERE d.assigned_at <= d.verify_min"
    "   OR d.assigned_at <= d.verify_due) AS verified_on_time,"
    "  count(*) FILTER (WHERE d.assigned_at > d.verify_due OR"
    "   (d.assigned_at IS NULL AND d.verify_due < now()))"
    "   AS verified_late,"
    "  count(*) FILTER (WHERE d.resolved_at <= d.follow_min"
    "   OR d.resolved_at <= d.follow_due) AS followup_on_time,"
    "  count(*) FILTER (WHERE d.resolved_at > d.follow_due OR"
    "   (d.resolved_at IS NULL AND d.follow_due < now()))"
    "   AS followup_late,"
    "  sum(d.escalations) AS escalations FROM d GROUP BY 1)"
    REPORT_FROM_TO " 'items', coalesce(json_agg("
    " json_build_object('opd', s.opd, 'cases', s.cases,"
    " 'verified_on_time', s.verified_on_time,"
    " 'verified_late', s.verified_late,"
    " 'followup_on_time', s.followup_on_time,"
    " 'followup_late', s.followup_late, 'escalations', s.escalations,"
    " 'compliance_pct', round(100.0 * (s.verified_on_time +"
    "  s.followup_on_time) / nullif(s.verified_on_time + s.verified_late"
    "  + s.followup_on_time + s.followup_late, 0), 1))"
    " ORDER BY s.opd), '[]'::json), 'next', NULL)::text FROM s";

static int
h_leadership(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return report(r, a, sql_leadership);
}

static int
h_rules(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return json_answer(r, a,
	    "SELECT json_build_object('items', coalesce(json_agg("
	    " json_build_object('name', name, 'enabled', enabled,"
	    " 'priority', priority, 'definition', definition,"
	    " 'version', version, 'updated_at', updated_at,"
	    " 'updated_by', updated_by) ORDER BY priority DESC, name),"
	    " '[]'::json), 'next', NULL)::text FROM rule", 0, NULL);
}

static int
h_calendar(struct req *r, struct answer *a, char **seg)
{
	char year[16];
	const char *params[1] = { year };
	long y;

	(void)seg;
	if (param_long(qv(r, "year"), 0, 1970, 9999, &y) == -1)
		return bad_param(a, "year");
	snprintf(year, sizeof(year), "%ld", y);
	if (y == 0)
		params[0] = NULL;
	return json_answer(r, a,
	    "WITH y AS (SELECT coalesce($1::int, extract(year FROM"
	    "  now() AT TIME ZONE 'UTC' + interval '7 hours')::int) AS y)"
	    " SELECT json_build_object('year', (SELECT y FROM y),"
	    " 'workdays', 'Monday-Friday', 'hours', '08:00-16:00',"
	    " 'utc_offset', '+07:00', 'items', coalesce((SELECT json_agg("
	    " json_build_object('day', h.day, 'name', h.name) ORDER BY h.day)"
	    " FROM holiday h, y WHERE extract(year FROM h.day) = y.y),"
	    " '[]'::json), 'next', NULL)::text", 1, params);
}

static int
h_users(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return json_answer(r, a,
	    "SELECT json_build_object('items', coalesce(json_agg("
	    " json_build_object('name', name, 'display', display,"
	    " 'role', role, 'opd', opd, 'disabled', disabled,"
	    " 'created_at', created_at) ORDER BY name), '[]'::json),"
	    " 'next', NULL)::text FROM console_user", 0, NULL);
}

static int
h_me(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return auth_me(r, a);
}

static int
h_logout(struct req *r, struct answer *a, char **seg)
{
	(void)seg;
	return auth_logout(r, a);
}

/* Every endpoint but login and live; the table the tests go through. */
static const struct route routes[] = {
	{ "GET", "me", GRANT_READ, h_me },
	{ "POST", "logout", GRANT_READ, h_logout },
	{ "GET", "events", GRANT_READ, h_events },
	{ "GET", "events/**", GRANT_READ, h_event },
	{ "GET", "cases", GRANT_READ, h_cases },
	{ "GET", "cases/*", GRANT_READ, h_case },
	{ "POST", "cases/*/*", GRANT_CASE_ACT, h_case_act },
	{ "GET", "deadletters", GRANT_DEADLETTERS, h_deadletters },
	{ "GET", "deadletters/*", GRANT_DEADLETTERS, h_deadletter },
	{ "POST", "deadletters/*/replay", GRANT_REPLAY, h_replay },
	{ "GET", "vehicles", GRANT_READ, h_vehicles },
	{ "GET", "geo/boundary", GRANT_READ, h_boundary },
	{ "GET", "geo/geofences", GRANT_READ, h_geofences },
	{ "GET", "alerts", GRANT_READ, h_alerts },
	{ "GET", "escalations", GRANT_READ, h_escalations },
	{ "GET", "handover", GRANT_READ, h_handover },
	{ "GET", "leadership", GRANT_READ, h_leadership },
	{ "GET", "rules", GRANT_RULES, h_rules },
	{ "GET", "calendar", GRANT_READ, h_calendar },
	{ "GET", "users", GRANT_USERS, h_users },
};

#define SEG_MAX 4

void
api_init(struct console *c)
{
	c->boundary = filecache_new(c->cfg->boundary_geojson, GEOJSON_MAX);
	c->geofences = filecache_new(c->cfg->geofences_geojson, GEOJSON_MAX);
}

void
api_fini(struct console *c)
{
	filecache_free(c->boundary);
	filecache_free(c->geofences);
	c->boundary = c->geofences = NULL;
}

void
api_handle(struct req *r, struct answer *a)
{
	const char *csrf, *origin;
	const struct route *rt = NULL;
	char path[512], *seg[SEG_MAX];
	int path_known = 0;
	size_t i;

	if (strcmp(r->path, "login") == 0) {
		if (strcmp(r->method, "POST") != 0) {
			answer_error(a, 405, "method not allowed");
			return;
		}
		origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    "Origin");
		if (!policy_origin_ok(origin, r->c->self_origins)) {
			answer_error(a, 403, "csrf");
			return;
		}
		auth_login(r, a);
		return;
	}
	if (strlen(r->path) >= sizeof(path) ||
	    param_text(r->path, sizeof(path)) == -1) {
		answer_error(a, 404, "not found");
		return;
	}
	/* The loop ends at the route found: path and seg hold its segments. */
	for (i = 0; i < nitems(routes) && rt == NULL; i++) {
		if (param_path_match(routes[i].pattern, r->path, path,
		    sizeof(path), seg, SEG_MAX) == -1)
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, r->method) == 0)
			rt = &routes[i];
	}
	if (rt == NULL) {
		answer_error(a, path_known ? 405 : 404, path_known ?
		    "method not allowed" : "not found");
		return;
	}
	if (auth_session(r, a, 1) == -1)
		return;
	if (strcmp(r->method, "GET") != 0) {
		csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    "X-CSRF-Token");
		origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    "Origin");
		if (!policy_csrf_ok(csrf, r->s.csrf, origin,
		    r->c->self_origins)) {
			log_info("api: csrf refused user=%s path=%s", r->s.user,
			    r->path);
			answer_error(a, 403, "csrf");
			return;
		}
	}
	if (!policy_allows(r->s.role, rt->grant)) {
		answer_error(a, 403, "forbidden");
		return;
	}
	rt->fn(r, a, seg);
}
