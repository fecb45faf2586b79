/*
 * db: see db.h.
 */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "cond.h"
#include "log.h"
#include "util.h"

struct dbc {
	PGconn *conn;
	char *conninfo;
	int busy;
	char sqlstate[6];
	int64_t last_try_ms; /* when a failed connection was last retried */
};

struct dbres {
	PGresult *res;
};

struct dbpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct dbc *conns;
	int size;
};

/* A lost database is retried at most this often per connection. */
#define DB_RETRY_MS 1000

static int
dbc_connect(struct dbc *c)
{
	int64_t now = clock_mono_ms();

	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK)
		return 0;
	if (c->last_try_ms != 0 && now - c->last_try_ms < DB_RETRY_MS)
		return -1;
	c->last_try_ms = now;
	if (c->conn != NULL)
		PQfinish(c->conn);
	c->conn = PQconnectdb(c->conninfo);
	if (PQstatus(c->conn) != CONNECTION_OK) {
		log_warnx("db: cannot connect: %s",
		    PQerrorMessage(c->conn));
		return -1;
	}
	/* Times leave the database as UTC text whatever the server says. */
	PQclear(PQexec(c->conn, "SET TimeZone = 'UTC'"));
	/*
	 * Every console query answers a person within a second; compiling
	 * one with JIT costs about that much by itself (1.6 s of the shift
	 * handover's 1.7 s before its rewrite), and never pays back here.
	 */
	PQclear(PQexec(c->conn, "SET jit = off"));
	c->last_try_ms = 0;
	return 0;
}

struct dbpool *
dbpool_new(const char *conninfo, int size)
{
	struct dbpool *p = xcalloc(1, sizeof(*p));
	int i;

	pthread_mutex_init(&p->mu, NULL);
	cond_init_mono(&p->cv);
	p->size = size;
	p->conns = xcalloc((size_t)size, sizeof(*p->conns));
	for (i = 0; i < size; i++)
		p->conns[i].conninfo = xstrdup(conninfo);
	return p;
}

void
dbpool_free(struct dbpool *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->size; i++) {
		if (p->conns[i].conn != NULL)
			PQfinish(p->conns[i].conn);
		free(p->conns[i].conninfo);
	}
	free(p->conns);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct dbc *
dbpool_get(struct dbpool *p)
{
	struct timespec until;
	struct dbc *c = NULL;
	int i;

	cond_deadline(&until, DB_WAIT_MS);
	pthread_mutex_lock(&p->mu);
	while (c == NULL) {
		for (i = 0; i < p->size && c == NULL; i++)
			if (!p->conns[i].busy)
				c = &p->conns[i];
		if (c == NULL && pthread_cond_timedwait(&p->cv, &p->mu,
		    &until) == ETIMEDOUT) {
			log_warnx("db: all %d connections busy for %ds",
			    p->size, DB_WAIT_MS / 1000);
			break;
		}
	}
	if (c != NULL)
		c->busy = 1;
	pthread_mutex_unlock(&p->mu);
	if (c != NULL && dbc_connect(c) == -1) {
		dbpool_put(p, c);
		c = NULL;
	}
	return c;
}

void
dbpool_put(struct dbpool *p, struct dbc *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	c->busy = 0;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct dbc *
dbc_open(const char *conninfo)
{
	struct dbc *c = xcalloc(1, sizeof(*c));

	c->conninfo = xstrdup(conninfo);
	if (dbc_connect(c) == -1) {
		dbc_close(c);
		return NULL;
	}
	return c;
}

void
dbc_close(struct dbc *c)
{
	if (c == NULL)
		return;
	if (c->conn != NULL)
		PQfinish(c->conn);
	free(c->conninfo);
	free(c);
}

int
dbc_ok(const struct dbc *c)
{
	return c != NULL && c->conn != NULL &&
	    PQstatus(c->conn) == CONNECTION_OK;
}

const char *
dbc_sqlstate(const struct dbc *c)
{
	return c->sqlstate;
}

struct dbres *
dbc_query(struct dbc *c, const char *sql, int n, const char *const *params)
{
	struct dbres *r;
	PGresult *res;
	const char *st;
	ExecStatusType s;

	c->sqlstate[0] = '\0';
	res = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
	s = PQresultStatus(res);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		strlcpy_s(c->sqlstate, st != NULL ? st : "", sizeof(c->sqlstate));
		log_warnx("db: query failed sqlstate=%s: %s", c->sqlstate,
		    PQerrorMessage(c->conn));
		PQclear(res);
		/*
		 * A lost connection is made again by the next dbc_connect(),
		 * which applies the session settings and the retry interval.
		 */
		return NULL;
	}
	r = xmalloc(sizeof(*r));
	r->res = res;
	return r;
}

void
dbres_free(struct dbres *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	free(r);
}

int
dbres_rows(const struct dbres *r)
{
	return PQntuples(r->res);
}

const char *
dbres_value(const struct dbres *r, int row, int col)
{
	if (row >= PQntuples(r->res) || col >= PQnfields(r->res) ||
	    PQgetisnull(r->res, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

int
dbc_text(struct dbc *c, const char *sql, int n, const char *const *params,
    char **out)
{
	struct dbres *r;
	const char *v;

	*out = NULL;
	if ((r = dbc_query(c, sql, n, params)) == NULL)
		return -1;
	if ((v = dbres_value(r, 0, 0)) != NULL)
		*out = xstrdup(v);
	dbres_free(r);
	return 0;
}
