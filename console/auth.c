/*
 * auth: see auth.h.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sodium.h>

#include "db.h"
#include "log.h"
#include "param.h"
#include "util.h"

#define TOKEN_BYTES 32

/* The session columns every lookup returns, in this order. */
#define SESSION_COLS "u.name, u.display, u.role, coalesce(u.opd, ''), s.csrf"

static const char sql_touch[] =
    "UPDATE console_session s SET last_seen = now() FROM console_user u"
    " WHERE s.id = $1::bytea AND u.name = s.user_name AND NOT u.disabled"
    " AND s.expires > now()"
    " AND s.last_seen > now() - $2::bigint * interval '1 millisecond'"
    " RETURNING " SESSION_COLS;

static const char sql_peek[] =
    "SELECT " SESSION_COLS " FROM console_session s JOIN console_user u"
    " ON u.name = s.user_name WHERE s.id = $1::bytea AND NOT u.disabled"
    " AND s.expires > now()"
    " AND s.last_seen > now() - $2::bigint * interval '1 millisecond'";

int
auth_init(struct console *c)
{
	if (sodium_init() < 0) {
		log_warnx("auth: libsodium failed to initialise");
		return -1;
	}
	/* The dummy is a real hash with the parameters simpulctl uses. */
	if (crypto_pwhash_str(c->dummy_hash, "not a password", 14,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_warnx("auth: cannot make the dummy hash (out of memory)");
		return -1;
	}
	return sem_init(&c->pwhash_slots, 0, AUTH_PWHASH_SLOTS);
}

void
auth_fini(struct console *c)
{
	sem_destroy(&c->pwhash_slots);
}

/* "\x<hex of sha256(token)>", bytea input text. */
static void
token_id(const char *token, char out[2 + 64 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof(h));
}

static void
random_token(char *out, size_t outlen)
{
	unsigned char b[TOKEN_BYTES];

	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, outlen, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
}

static int
session_fill(struct session *s, const struct dbres *res)
{
	const char *v;

	memset(s, 0, sizeof(*s));
	if (role_parse(dbres_value(res, 0, 2), &s->role) == -1)
		return -1;
	strlcpy_s(s->user, dbres_value(res, 0, 0), sizeof(s->user));
	v = dbres_value(res, 0, 1);
	strlcpy_s(s->display, v != NULL ? v : "", sizeof(s->display));
	strlcpy_s(s->opd, dbres_value(res, 0, 3), sizeof(s->opd));
	strlcpy_s(s->csrf, dbres_value(res, 0, 4), sizeof(s->csrf));
	s->valid = 1;
	return 0;
}

int
auth_session(struct req *r, struct answer *a, int touch)
{
	const char *cookie;
	char token[128], id[67], idle[24];
	const char *params[2] = { id, idle };
	struct dbc *db;
	struct dbres *res;
	int rc = -1;

	cookie = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_COOKIE);
	if (param_cookie(cookie, AUTH_COOKIE, token, sizeof(token)) == -1)
		return answer_error(a, 401, "unauthorized"), -1;
	token_id(token, id);
	sodium_memzero(token, sizeof(token));
	snprintf(idle, sizeof(idle), "%lld",
	    (long long)r->c->cfg->session_idle_ms);
	if ((db = dbpool_get(r->c->pool)) == NULL)
		return answer_error(a, 503, "database unavailable"), -1;
	res = dbc_query(db, touch ? sql_touch : sql_peek, 2, params);
	if (res == NULL)
		answer_error(a, 503, "database unavailable");
	else if (dbres_rows(res) == 0 || session_fill(&r->s, res) == -1)
		answer_error(a, 401, "session expired");
	else {
		strlcpy_s(r->s.id, id, sizeof(r->s.id));
		rc = 0;
	}
	dbres_free(res);
	dbpool_put(r->c->pool, db);
	return rc;
}

/* The answer of login and /api/me. */
static char *
user_json(const struct session *s)
{
	cJSON *j = cJSON_CreateObject();
	char *out;

	cJSON_AddStringToObject(j, "user", s->user);
	cJSON_AddStringToObject(j, "display", s->display);
	cJSON_AddStringToObject(j, "role", role_name(s->role));
	if (s->role == ROLE_OPD)
		cJSON_AddStringToObject(j, "opd", s->opd);
	else
		cJSON_AddNullToObject(j, "opd");
	cJSON_AddStringToObject(j, "csrf", s->csrf);
	out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

void
auth_audit(struct req *r, const char *user, const char *action,
    const char *target, const char *detail)
{
	const char *params[6];
	struct dbc *db;
	struct dbres *res;

	params[0] = user != NULL ? user : r->s.user;
	params[1] = r->s.valid ? role_name(r->s.role) : NULL;
	params[2] = action;
	params[3] = target;
	params[4] = detail != NULL ? detail : "{}";
	params[5] = r->remote;
	if ((db = dbpool_get(r->c->pool)) == NULL) {
		log_warnx("audit: lost: user=%s action=%s target=%s",
		    params[0], action, target != NULL ? target : "-");
		return;
	}
	res = dbc_query(db, "INSERT INTO console_audit (user_name, role,"
	    " action, target, detail, remote_addr) VALUES (left($1, 200), $2,"
	    " $3, left($4, 200), $5::jsonb, $6)", 6, params);
	if (res == NULL)
		log_warnx("audit: lost: user=%s action=%s", params[0], action);
	dbres_free(res);
	dbpool_put(r->c->pool, db);
}

/*
 * Checks the password of user. 1: right (session_fill'ed into s);
 * 0: wrong, unknown or disabled; -1: database failure.
 */
static int
check_password(struct req *r, const struct param_login *l)
{
	const char *params[1] = { l->user };
	const char *hash;
	struct dbc *db;
	struct dbres *res;
	int ok;

	if ((db = dbpool_get(r->c->pool)) == NULL)
		return -1;
	res = dbc_query(db, "SELECT name, display, role, coalesce(opd, ''),"
	    " '' AS csrf, pwhash, disabled FROM console_user WHERE name = $1",
	    1, params);
	dbpool_put(r->c->pool, db);
	if (res == NULL)
		return -1;
	hash = dbres_rows(res) == 1 ? dbres_value(res, 0, 5) : NULL;
	if (hash == NULL)
		hash = r->c->dummy_hash;
	sem_wait(&r->c->pwhash_slots);
	ok = crypto_pwhash_str_verify(hash, l->password,
	    strlen(l->password)) == 0;
	sem_post(&r->c->pwhash_slots);
	ok = ok && dbres_rows(res) == 1 &&
	    strcmp(dbres_value(res, 0, 6), "f") == 0 &&
	    session_fill(&r->s, res) == 0;
	dbres_free(res);
	return ok;
}

/*
 * The sign-in throttle: the failed sign-ins (console_audit, action
 * login_failed) within login_window, per name typed and per remote
 * address. Reaching login_failures in either: the seconds until the
 * failure that keeps it there leaves the window (> 0), which is
 * Retry-After. 0: not throttled; -1: database failure. Counted from the
 * audit so that every console process and restart sees the same count.
 */
static const char sql_throttle[] =
    "WITH f AS (SELECT a.user_name = $1 AS by_user,"
    "  a.remote_addr IS NOT DISTINCT FROM $2 AS by_addr, a.at"
    "  FROM console_audit a WHERE a.action = 'login_failed'"
    "  AND a.at > now() - $3::bigint * interval '1 millisecond'"
    "  AND (a.user_name = $1 OR a.remote_addr = $2)),"
    " k AS (SELECT (SELECT at FROM f WHERE by_user ORDER BY at DESC"
    "  OFFSET $4::int - 1 LIMIT 1) AS u, (SELECT at FROM f WHERE by_addr"
    "  ORDER BY at DESC OFFSET $4::int - 1 LIMIT 1) AS r)"
    " SELECT coalesce(ceil(extract(epoch FROM greatest(k.u, k.r)"
    "  + $3::bigint * interval '1 millisecond' - now())), 0)::bigint::text,"
    " CASE WHEN k.u IS NOT NULL AND k.r IS NOT NULL THEN 'user,address'"
    "  WHEN k.u IS NOT NULL THEN 'user' ELSE 'address' END FROM k";

static long
throttled(struct req *r, const char *user, char *by, size_t bylen)
{
	char window[24], max[24];
	const char *params[4] = { user, r->remote, window, max };
	struct dbc *db;
	struct dbres *res;
	long secs;

	if (r->c->cfg->login_failures == 0)
		return 0;
	snprintf(window, sizeof(window), "%lld",
	    (long long)r->c->cfg->login_window_ms);
	snprintf(max, sizeof(max), "%ld", r->c->cfg->login_failures);
	if ((db = dbpool_get(r->c->pool)) == NULL)
		return -1;
	res = dbc_query(db, sql_throttle, 4, params);
	dbpool_put(r->c->pool, db);
	if (res == NULL || dbres_rows(res) != 1) {
		dbres_free(res);
		return -1;
	}
	secs = strtol(dbres_value(res, 0, 0), NULL, 10);
	strlcpy_s(by, dbres_value(res, 0, 1), bylen);
	dbres_free(res);
	/* Rounding can leave 0 for a failure leaving the window now. */
	return secs > 0 ? secs : 0;
}

/*
 * 429 with Retry-After, audited. The password is not checked at all: the
 * answer is the same whether the user exists or the password is right,
 * and a guesser cannot make the console spend 64 MiB per try meanwhile.
 */
static int
login_throttled(struct req *r, struct answer *a, const char *user,
    long secs, const char *by)
{
	char detail[96];

	snprintf(detail, sizeof(detail),
	    "{\"by\": \"%s\", \"retry_after\": %ld}", by, secs);
	memset(&r->s, 0, sizeof(r->s));
	auth_audit(r, user, "login_throttled", NULL, detail);
	log_info("auth: sign-in throttled user=%s remote=%s by=%s "
	    "retry_after=%ld", user, r->remote, by, secs);
	a->retry_after = secs;
	return answer_error(a, 429, "too many failed sign-ins; try again later");
}

static int
session_create(struct req *r, char *token, size_t tokenlen)
{
	char id[67], max[24];
	const char *params[5] = { id, r->s.user, r->s.csrf, max, r->remote };
	struct dbc *db;
	struct dbres *res;

	random_token(token, tokenlen);
	random_token(r->s.csrf, sizeof(r->s.csrf));
	token_id(token, id);
	snprintf(max, sizeof(max), "%lld",
	    (long long)r->c->cfg->session_max_ms);
	if ((db = dbpool_get(r->c->pool)) == NULL)
		return -1;
	res = dbc_query(db, "INSERT INTO console_session (id, user_name,"
	    " csrf, expires, remote_addr) VALUES ($1::bytea, $2, $3,"
	    " now() + $4::bigint * interval '1 millisecond', $5)", 5, params);
	dbpool_put(r->c->pool, db);
	dbres_free(res);
	return res != NULL ? 0 : -1;
}

int
auth_login(struct req *r, struct answer *a)
{
	struct param_login l;
	char err[160], token[64], by[16];
	long wait;
	int ok;

	if (param_login_parse(r->body, r->body_len, &l, err,
	    sizeof(err)) == -1)
		return answer_error(a, 400, err);
	if ((wait = throttled(r, l.user, by, sizeof(by))) != 0) {
		sodium_memzero(l.password, sizeof(l.password));
		if (wait == -1)
			return answer_error(a, 503, "database unavailable");
		return login_throttled(r, a, l.user, wait, by);
	}
	ok = check_password(r, &l);
	sodium_memzero(l.password, sizeof(l.password));
	if (ok == -1)
		return answer_error(a, 503, "database unavailable");
	if (ok == 0) {
		memset(&r->s, 0, sizeof(r->s));
		auth_audit(r, l.user, "login_failed", NULL, NULL);
		log_info("auth: sign-in refused user=%s remote=%s", l.user,
		    r->remote);
		return answer_error(a, 401, "wrong user name or password");
	}
	if (session_create(r, token, sizeof(token)) == -1)
		return answer_error(a, 503, "database unavailable");
	a->cookie = xasprintf(AUTH_COOKIE "=%s; HttpOnly; SameSite=Strict; "
	    "Path=/%s", token, r->c->cfg->secure_cookies ? "; Secure" : "");
	sodium_memzero(token, sizeof(token));
	auth_audit(r, NULL, "login", NULL, NULL);
	log_info("auth: signed in user=%s role=%s remote=%s", r->s.user,
	    role_name(r->s.role), r->remote);
	return answer_take(a, user_json(&r->s));
}

int
auth_logout(struct req *r, struct answer *a)
{
	const char *params[1] = { r->s.id };
	struct dbc *db;
	struct dbres *res;

	if (!r->s.valid)
		return answer_error(a, 401, "unauthorized");
	if ((db = dbpool_get(r->c->pool)) == NULL)
		return answer_error(a, 503, "database unavailable");
	res = dbc_query(db, "DELETE FROM console_session WHERE id = $1::bytea",
	    1, params);
	dbpool_put(r->c->pool, db);
	if (res == NULL)
		return answer_error(a, 503, "database unavailable");
	dbres_free(res);
	auth_audit(r, NULL, "logout", NULL, NULL);
	a->cookie = xasprintf(AUTH_COOKIE "=; HttpOnly; SameSite=Strict; "
	    "Path=/; Max-Age=0%s", r->c->cfg->secure_cookies ? "; Secure" : "");
	return answer_take(a, xstrdup("{\"ok\":true}"));
}

int
auth_me(struct req *r, struct answer *a)
{
	return answer_take(a, user_json(&r->s));
}

void
auth_expire(struct console *c)
{
	char idle[24];
	const char *params[1] = { idle };
	struct dbc *db;

	snprintf(idle, sizeof(idle), "%lld",
	    (long long)c->cfg->session_idle_ms);
	if ((db = dbpool_get(c->pool)) == NULL)
		return;
	dbres_free(dbc_query(db, "DELETE FROM console_session WHERE"
	    " expires <= now() OR last_seen <= now() - $1::bigint *"
	    " interval '1 millisecond'", 1, params));
	dbpool_put(c->pool, db);
}

int
auth_session_valid(struct console *c, const char *id)
{
	char idle[24];
	const char *params[2] = { id, idle };
	struct dbc *db;
	struct dbres *res;
	int rc;

	snprintf(idle, sizeof(idle), "%lld",
	    (long long)c->cfg->session_idle_ms);
	if ((db = dbpool_get(c->pool)) == NULL)
		return -1;
	res = dbc_query(db, sql_peek, 2, params);
	dbpool_put(c->pool, db);
	if (res == NULL)
		return -1;
	rc = dbres_rows(res) > 0;
	dbres_free(res);
	return rc;
}
