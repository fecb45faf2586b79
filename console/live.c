/*
 * live: see live.h.
 */
#include "live.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "cond.h"
#include "db.h"
#include "log.h"
#include "util.h"

/*
 * Rows per kind and poll: the look-back window's (~4,000 at 2,000
 * events/s) and the new ones.
 */
#define LIVE_BATCH "20000"
#define LIVE_BATCH_N 20000
#define SEEN_SLOTS 65536    /* de-duplication table (power of two) */

struct msg {
	uint64_t seq;
	const char *kind;   /* "event", "case", "alert", "status", "resync" */
	char opd[33];       /* "" for everybody */
	char *data;
	size_t len;
};

struct seen {
	uint64_t key;       /* 0: free */
	int64_t at_us;
};

struct live {
	struct console *c;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	struct msg *ring;   /* ring[seq % cap] */
	size_t cap, bytes;
	uint64_t next_seq;  /* the seq the next message gets */
	uint64_t oldest;    /* the oldest seq still in the ring */
	long clients;
	enum live_hub hub;
	int db_up;
	char status[160];   /* the status JSON now */
	uint64_t status_gen;
	/* The tail's own state (its thread only). */
	struct dbc *db;
	int64_t cursor_us[3];
	struct seen *seen;
	size_t nseen;
	int64_t last_expire_ms;
};

struct live_client {
	struct live *l;
	struct session s;      /* s.id: the session, checked at each ping */
	uint64_t cursor;       /* the last seq sent */
	uint64_t status_gen;   /* the status last sent */
	int resync;
	int64_t next_ping_ms;
	struct buf out;
	size_t off;
};

/* --- the ring (under mu) ------------------------------------------------ */

static void
ring_drop_oldest(struct live *l)
{
	struct msg *m = &l->ring[l->oldest % l->cap];

	l->bytes -= m->len;
	free(m->data);
	m->data = NULL;
	m->len = 0;
	l->oldest++;
}

static void
ring_push(struct live *l, const char *kind, const char *opd, const char *data)
{
	struct msg *m;
	size_t len = strlen(data);

	while (l->next_seq > l->oldest && (l->next_seq - l->oldest >= l->cap ||
	    l->bytes + len > LIVE_RING_BYTES))
		ring_drop_oldest(l);
	m = &l->ring[l->next_seq % l->cap];
	m->seq = l->next_seq++;
	m->kind = kind;
	strlcpy_s(m->opd, opd != NULL ? opd : "", sizeof(m->opd));
	m->data = xstrdup(data);
	m->len = len;
	l->bytes += len;
	pthread_cond_broadcast(&l->cv);
}

static void
status_update(struct live *l)
{
	static const char *const hub[] = { "unknown", "online", "offline" };
	char at[32], s[160];

	time_format_rfc3339(clock_wall_ms(), at);
	snprintf(s, sizeof(s), "{\"hub\":\"%s\",\"db\":\"%s\",\"at\":\"%s\"}",
	    hub[l->hub], l->db_up ? "up" : "down", at);
	strlcpy_s(l->status, s, sizeof(l->status));
	l->status_gen++;
	ring_push(l, "status", NULL, s);
}

void
live_set_hub(struct live *l, enum live_hub h)
{
	pthread_mutex_lock(&l->mu);
	if (l->hub != h) {
		l->hub = h;
		status_update(l);
	}
	pthread_mutex_unlock(&l->mu);
}

static void
set_db(struct live *l, int up)
{
	pthread_mutex_lock(&l->mu);
	if (l->db_up != up) {
		l->db_up = up;
		status_update(l);
	}
	pthread_mutex_unlock(&l->mu);
}

/* --- de-duplication (tail thread) --------------------------------------- */

static uint64_t
fnv1a(const char *kind, const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[3] = { kind, a, b };
	const unsigned char *p;
	size_t i;

	for (i = 0; i < 3; i++) {
		for (p = (const unsigned char *)parts[i]; *p != '\0'; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

/* Drops entries older than cutoff (a rebuild: cheap, and rare). */
static void
seen_prune(struct live *l, int64_t cutoff)
{
	struct seen *old = l->seen;
	size_t i, j;

	l->seen = xcalloc(SEEN_SLOTS, sizeof(*l->seen));
	l->nseen = 0;
	for (i = 0; i < SEEN_SLOTS; i++) {
		if (old[i].key == 0 || old[i].at_us < cutoff)
			continue;
		for (j = old[i].key & (SEEN_SLOTS - 1); l->seen[j].key != 0;
		    j = (j + 1) & (SEEN_SLOTS - 1))
			;
		l->seen[j] = old[i];
		l->nseen++;
	}
	free(old);
}

/* The slot of key, or the free slot where it would go. */
static size_t
seen_slot(const struct live *l, uint64_t key)
{
	size_t j;

	for (j = key & (SEEN_SLOTS - 1); l->seen[j].key != 0 &&
	    l->seen[j].key != key; j = (j + 1) & (SEEN_SLOTS - 1))
		;
	return j;
}

/* 1 if key was seen (and not pruned yet). */
static int
seen_has(const struct live *l, uint64_t key)
{
	return l->seen[seen_slot(l, key)].key == key;
}

/* 1 if key was seen; else records it and returns 0. */
static int
seen_check(struct live *l, uint64_t key, int64_t at_us, int64_t cutoff)
{
	size_t j;

	if (l->nseen >= SEEN_SLOTS / 2)
		seen_prune(l, cutoff);
	if (l->nseen >= SEEN_SLOTS / 2)
		return 0; /* a burst beyond the table: may repeat, never lose */
	j = seen_slot(l, key);
	if (l->seen[j].key == key)
		return 1;
	l->seen[j].key = key;
	l->seen[j].at_us = at_us;
	l->nseen++;
	return 0;
}

/* --- the tail ----------------------------------------------------------- */

/*
 * One read per kind and poll, from the start of the look-back window on
 * ($1 = cursor - LIVE_LOOKBACK_MS): at_us, key, id, opd, and the JSON only
 * for the rows after the cursor ($2), the new ones. The window's rows were
 * almost all seen already; the few that were not (committed late) are
 * read again by id (back_rows_sql, $3).
 */
#define TAIL_FROM(col) " WHERE " col " > timestamptz 'epoch' + $1::bigint *" \
	" interval '1 microsecond'"
#define TAIL_NEW(col) col " > timestamptz 'epoch' + $2::bigint *" \
	" interval '1 microsecond'"
#define TAIL_UPTO(col) " AND " col " <= timestamptz 'epoch' + $2::bigint *" \
	" interval '1 microsecond'"
#define EV_US "(extract(epoch FROM e.stored_at) * 1000000)::bigint"
#define CASE_US "(extract(epoch FROM c.updated_at) * 1000000)::bigint"
#define AL_US "(extract(epoch FROM a.raised_at) * 1000000)::bigint"
#define CASE_KEY "c.id::text || '@' || " CASE_US "::text"

static const char *const tail_sql[3] = {
	"SELECT " EV_US ", e.id, e.id, e.opd, CASE WHEN " TAIL_NEW("e.stored_at")
	" THEN simpul_console_event_json(e)::text END FROM event e"
	TAIL_FROM("e.stored_at") " ORDER BY e.stored_at LIMIT " LIVE_BATCH,
	"SELECT " CASE_US ", " CASE_KEY ", c.id::text, c.opd, CASE WHEN "
	TAIL_NEW("c.updated_at") " THEN simpul_console_case_json(c)::text END"
	" FROM case_record c" TAIL_FROM("c.updated_at")
	" ORDER BY c.updated_at LIMIT " LIVE_BATCH,
	"SELECT " AL_US ", a.id::text, a.id::text, a.opd, CASE WHEN "
	TAIL_NEW("a.raised_at") " THEN simpul_console_alert_json(a)::text END"
	" FROM alert a" TAIL_FROM("a.raised_at")
	" ORDER BY a.raised_at LIMIT " LIVE_BATCH,
};
static const char *const back_rows_sql[3] = {
	"SELECT " EV_US ", e.id, e.id, e.opd, simpul_console_event_json(e)::text"
	" FROM event e" TAIL_FROM("e.stored_at") TAIL_UPTO("e.stored_at")
	" AND e.id = ANY ($3::text[]) ORDER BY e.stored_at",
	"SELECT " CASE_US ", " CASE_KEY ", c.id::text, c.opd,"
	" simpul_console_case_json(c)::text FROM case_record c"
	TAIL_FROM("c.updated_at") TAIL_UPTO("c.updated_at")
	" AND c.id = ANY ($3::bigint[]) ORDER BY c.updated_at",
	"SELECT " AL_US ", a.id::text, a.id::text, a.opd,"
	" simpul_console_alert_json(a)::text FROM alert a"
	TAIL_FROM("a.raised_at") TAIL_UPTO("a.raised_at")
	" AND a.id = ANY ($3::bigint[]) ORDER BY a.raised_at",
};
static const char *const tail_kind[3] = { "event", "case", "alert" };

/*
 * Pushes the rows of res (at_us, key, id, opd, json) after time from that
 * were not seen yet. The highest time read goes to *maxat. The rows are
 * chosen first (the de-duplication table is the tail thread's own, no
 * lock needed), then pushed under one lock: streams wait for the ring
 * once per batch instead of once per row. A batch larger than the ring
 * overruns it either way; a stream that falls behind gets a resync.
 */
static void
tail_push(struct live *l, int k, struct dbres *res, int64_t from,
    int64_t *maxat)
{
	int64_t cutoff = l->cursor_us[k] - 2 * LIVE_LOOKBACK_MS * 1000LL;
	int i, n = dbres_rows(res), npush = 0, *push;
	const char *key;
	int64_t at;

	if (n <= 0)
		return;
	push = xcalloc((size_t)n, sizeof(*push));
	for (i = 0; i < n; i++) {
		at = strtoll(dbres_value(res, i, 0), NULL, 10);
		key = dbres_value(res, i, 1);
		if (at <= from)
			continue;
		if (at > *maxat)
			*maxat = at;
		if (!seen_check(l, fnv1a(tail_kind[k], key, ""), at, cutoff))
			push[npush++] = i;
	}
	if (npush > 0) {
		pthread_mutex_lock(&l->mu);
		for (i = 0; i < npush; i++)
			ring_push(l, tail_kind[k], dbres_value(res, push[i], 3),
			    dbres_value(res, push[i], 4));
		pthread_mutex_unlock(&l->mu);
	}
	free(push);
}

/* Appends s to the PostgreSQL array literal in b, quoted. */
static void
array_add(struct buf *b, const char *s)
{
	buf_append(b, b->len == 1 ? "\"" : ",\"", b->len == 1 ? 1 : 2);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_append(b, "\\", 1);
		buf_append(b, s, 1);
	}
	buf_append(b, "\"", 1);
}

/*
 * The rows of res in the look-back window (at or before the cursor cur)
 * not seen yet, committed after the cursor passed their time stamp: read
 * again with their JSON and pushed. Usually there are none. 0 / -1.
 */
static int
tail_late(struct live *l, int k, const struct dbres *res,
    const char *const *params, int64_t cur)
{
	const char *p3[3] = { params[0], params[1], NULL };
	struct dbres *late;
	struct buf ids;
	int64_t ignored = cur;
	int i, n = 0, rc = 0;

	buf_init(&ids, 0);
	buf_append(&ids, "{", 1);
	for (i = 0; i < dbres_rows(res); i++)
		if (strtoll(dbres_value(res, i, 0), NULL, 10) <= cur &&
		    !seen_has(l, fnv1a(tail_kind[k], dbres_value(res, i, 1),
		    ""))) {
			array_add(&ids, dbres_value(res, i, 2));
			n++;
		}
	buf_append(&ids, "}", 1);
	buf_terminate(&ids);
	if (n > 0) {
		p3[2] = ids.data;
		if ((late = dbc_query(l->db, back_rows_sql[k], 3, p3)) == NULL)
			rc = -1;
		else
			tail_push(l, k, late, INT64_MIN, &ignored);
		dbres_free(late);
	}
	buf_free(&ids);
	return rc;
}

/*
 * One poll of kind k: one read from the start of the look-back window
 * (rows committed after we passed their time stamp) on; first the late
 * ones, then what is new after the cursor. The cursor only moves forward,
 * by the new rows, so a busy look-back window can never hold it back.
 */
static int
tail_one(struct live *l, int k)
{
	int64_t cur = l->cursor_us[k], maxat = cur;
	char los[24], curs[24];
	const char *params[2] = { los, curs };
	struct dbres *res;
	int rc;

	snprintf(los, sizeof(los), "%lld",
	    (long long)(cur - LIVE_LOOKBACK_MS * 1000LL));
	snprintf(curs, sizeof(curs), "%lld", (long long)cur);
	if ((res = dbc_query(l->db, tail_sql[k], 2, params)) == NULL)
		return -1;
	rc = tail_late(l, k, res, params, cur);
	if (rc == 0)
		tail_push(l, k, res, cur, &maxat);
	/* A window so busy that the batch ended in it: read on from cur. */
	if (rc == 0 && maxat == cur && dbres_rows(res) == LIVE_BATCH_N) {
		dbres_free(res);
		params[0] = curs;
		if ((res = dbc_query(l->db, tail_sql[k], 2, params)) == NULL)
			return -1;
		tail_push(l, k, res, cur, &maxat);
	}
	l->cursor_us[k] = maxat;
	dbres_free(res);
	return rc;
}

static int
tail_connect(struct live *l)
{
	char *now = NULL;
	int k;

	if (dbc_ok(l->db))
		return 0;
	dbc_close(l->db);
	if ((l->db = dbc_open(l->c->cfg->pg_conninfo)) == NULL)
		return -1;
	if (l->cursor_us[0] == 0) {
		if (dbc_text(l->db, "SELECT (extract(epoch FROM now()) *"
		    " 1000000)::bigint::text", 0, NULL, &now) == -1 ||
		    now == NULL) {
			free(now);
			return -1;
		}
		for (k = 0; k < 3; k++)
			l->cursor_us[k] = strtoll(now, NULL, 10);
		free(now);
	}
	return 0;
}

static void *
live_main(void *arg)
{
	struct live *l = arg;
	struct timespec ts;
	int64_t now;
	int k, ok;

	for (;;) {
		pthread_mutex_lock(&l->mu);
		if (l->stopping) {
			pthread_mutex_unlock(&l->mu);
			break;
		}
		pthread_mutex_unlock(&l->mu);
		ok = tail_connect(l) == 0;
		for (k = 0; ok && k < 3; k++)
			ok = tail_one(l, k) == 0;
		set_db(l, ok);
		now = clock_mono_ms();
		if (ok && now - l->last_expire_ms > 60000) {
			auth_expire(l->c);
			l->last_expire_ms = now;
		}
		ts.tv_sec = l->c->cfg->poll_ms / 1000;
		ts.tv_nsec = (long)(l->c->cfg->poll_ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct live *
live_start(struct console *c)
{
	struct live *l = xcalloc(1, sizeof(*l));

	l->c = c;
	l->cap = (size_t)c->cfg->ring;
	l->ring = xcalloc(l->cap, sizeof(*l->ring));
	l->seen = xcalloc(SEEN_SLOTS, sizeof(*l->seen));
	/*
	 * Numbered from the start time in microseconds, not from 1: a
	 * browser resuming after a restart then sends an id below the ring
	 * (resync), never one the new process also gave to another message.
	 */
	l->next_seq = l->oldest = (uint64_t)clock_wall_ms() * 1000;
	pthread_mutex_init(&l->mu, NULL);
	cond_init_mono(&l->cv);
	pthread_mutex_lock(&l->mu);
	l->db_up = 0;
	status_update(l);
	pthread_mutex_unlock(&l->mu);
	if (pthread_create(&l->thread, NULL, live_main, l) != 0) {
		log_warnx("live: cannot start the tail thread");
		free(l->ring);
		free(l->seen);
		free(l);
		return NULL;
	}
	return l;
}

void
live_end(struct live *l)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void
live_stop(struct live *l)
{
	if (l == NULL)
		return;
	live_end(l);
	pthread_join(l->thread, NULL);
	while (l->oldest < l->next_seq)
		ring_drop_oldest(l);
	dbc_close(l->db);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->ring);
	free(l->seen);
	free(l);
}

/* --- streams ------------------------------------------------------------ */

struct live_client *
live_client_new(struct live *l, const struct session *s, const char *last_id)
{
	struct live_client *cl;
	uint64_t id = 0;
	int have_id = last_id != NULL && parse_u64(last_id, &id) == 0;

	pthread_mutex_lock(&l->mu);
	if (l->clients >= l->c->cfg->max_sse) {
		pthread_mutex_unlock(&l->mu);
		return NULL;
	}
	l->clients++;
	cl = xcalloc(1, sizeof(*cl));
	cl->l = l;
	cl->s = *s;
	cl->cursor = l->next_seq - 1;
	if (have_id && id + 1 >= l->oldest && id < l->next_seq)
		cl->cursor = id;
	else if (last_id != NULL)
		cl->resync = 1;
	cl->status_gen = 0; /* the status goes first */
	cl->next_ping_ms = clock_mono_ms() + LIVE_PING_MS;
	buf_init(&cl->out, 0);
	pthread_mutex_unlock(&l->mu);
	return cl;
}

void
live_client_free(struct live_client *cl)
{
	if (cl == NULL)
		return;
	pthread_mutex_lock(&cl->l->mu);
	cl->l->clients--;
	pthread_mutex_unlock(&cl->l->mu);
	buf_free(&cl->out);
	free(cl);
}

static void
client_put(struct live_client *cl, uint64_t seq, const char *kind,
    const char *data)
{
	buf_reset(&cl->out);
	cl->off = 0;
	if (seq != 0)
		buf_appendf(&cl->out, "id: %llu\n", (unsigned long long)seq);
	buf_appendf(&cl->out, "event: %s\ndata: %s\n\n", kind, data);
}

static int
client_sees(const struct live_client *cl, const struct msg *m)
{
	if (m->opd[0] == '\0')
		return strcmp(m->kind, "status") == 0 || cl->s.role != ROLE_OPD;
	return policy_sees(cl->s.role, cl->s.opd, m->opd);
}

/*
 * Fills cl->out with the next thing to send (under mu). 1 when it did,
 * 0 when there is nothing yet.
 */
static int
client_next(struct live_client *cl)
{
	struct live *l = cl->l;
	const struct msg *m;

	if (cl->status_gen != l->status_gen) {
		cl->status_gen = l->status_gen;
		client_put(cl, 0, "status", l->status);
		return 1;
	}
	if (cl->resync || cl->cursor + 1 < l->oldest) {
		cl->resync = 0;
		cl->cursor = l->next_seq - 1;
		client_put(cl, cl->cursor, "resync", "{}");
		return 1;
	}
	while (cl->cursor + 1 < l->next_seq) {
		m = &l->ring[(cl->cursor + 1) % l->cap];
		cl->cursor++;
		if (strcmp(m->kind, "status") == 0 || !client_sees(cl, m))
			continue;
		client_put(cl, m->seq, m->kind, m->data);
		return 1;
	}
	return 0;
}

ssize_t
live_client_read(struct live_client *cl, char *buf, size_t max)
{
	struct live *l = cl->l;
	int64_t now;
	size_t n;

	pthread_mutex_lock(&l->mu);
	while (cl->off >= cl->out.len) {
		if (l->stopping) {
			pthread_mutex_unlock(&l->mu);
			return -1;
		}
		if (client_next(cl))
			break;
		now = clock_mono_ms();
		if (now >= cl->next_ping_ms) {
			cl->next_ping_ms = now + LIVE_PING_MS;
			pthread_mutex_unlock(&l->mu);
			if (auth_session_valid(l->c, cl->s.id) == 0)
				return -1;
			pthread_mutex_lock(&l->mu);
			buf_reset(&cl->out);
			cl->off = 0;
			buf_appendf(&cl->out, ": ping\n\n");
			break;
		}
		cond_wait_ms(&l->cv, &l->mu, 1000);
	}
	n = cl->out.len - cl->off;
	if (n > max)
		n = max;
	memcpy(buf, cl->out.data + cl->off, n);
	cl->off += n;
	pthread_mutex_unlock(&l->mu);
	return (ssize_t)n;
}
