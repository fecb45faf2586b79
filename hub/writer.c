/*
 * writer: see writer.h.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cond.h"
#include "journal.h"
#include "log.h"
#include "router.h"
#include "store.h"
#include "util.h"

#define IDSET_BITS 14 /* 16384 slots: > 2 x the largest sensible batch */

/* Bucket bounds of the two histograms in writer_stats. */
static const double batch_records_bounds[] = { 1, 2, 5, 10, 20, 50, 100, 200,
    500, 1000, 2000, 5000, 10000 };
static const double commit_seconds_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

struct writer {
	struct writer_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakeups;   /* writer_wake() calls since the thread last looked */
	/*
	 * Set while the thread waits. writer_wake() runs on Paho's thread
	 * for every message; it takes the lock and signals only when the
	 * writer sleeps, which saves a futex call and a context switch per
	 * message under load. The writer re-checks the journal after setting
	 * it, so a message appended just before cannot be missed.
	 */
	atomic_int sleeping;
	uint64_t seen_seq; /* the last seq taken from the journal */
	int stopping;  /* drain, then exit */
	int64_t stop_deadline_ms;
	int drained;
	struct writer_stats stats;

	struct router *router;
	struct router *pending_router; /* under lock */
	struct journal_reader *reader;
	struct store_batch *batch;
	uint64_t batch_last_seq;
	uint64_t batch_reasons[DLQ_NREASONS]; /* dead letters in the batch */
	/* Ids in the current batch (hashes; a collision only ends the batch
	 * early). A batch must not carry one id twice: the statement would
	 * insert both. */
	uint64_t *idset;
	size_t idset_size, idset_used;
	/* A record that could not join the batch, kept for the next one. */
	struct {
		int held;
		uint64_t seq;
		int64_t received_ms;
		struct buf topic, payload;
	} carry;
	int64_t next_maintenance_ms;
};

static uint64_t
id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h == 0 ? 1 : h;
}

/* Returns 1 if added, 0 if (probably) present or the set is too full. */
static int
idset_add(struct writer *w, const char *id)
{
	uint64_t h = id_hash(id);
	size_t mask = w->idset_size - 1, i = (size_t)h & mask;

	if (w->idset_used * 2 >= w->idset_size)
		return 0;
	while (w->idset[i] != 0) {
		if (w->idset[i] == h)
			return 0;
		i = (i + 1) & mask;
	}
	w->idset[i] = h;
	w->idset_used++;
	return 1;
}

static void
idset_clear(struct writer *w)
{
	memset(w->idset, 0, w->idset_size * sizeof(*w->idset));
	w->idset_used = 0;
}

/*
 * Puts one record into the batch. Returns 1 if it joined, 0 if it must
 * wait for the next batch (its id is already in this one).
 */
static int
writer_add(struct writer *w, uint64_t seq, int64_t received_ms,
    const char *topic, const char *payload, size_t len)
{
	struct intake_verdict v;

	if (intake_classify(&w->o.intake, topic, payload, len, &v) == 0) {
		if (!idset_add(w, v.id)) {
			intake_verdict_clear(&v);
			return 0;
		}
		store_batch_add_event(w->batch, seq, v.id, topic, v.opd,
		    v.source, v.type, v.subject, v.time_ms, received_ms,
		    payload, len);
		if (w->router != NULL)
			router_route(w->router, w->batch, topic, v.doc,
			    payload, len);
	} else {
		log_info("dead letter reason=%s topic=%s id=%s detail=\"%s\"",
		    dlq_reason_name(v.reason), topic, v.id != NULL ? v.id : "-",
		    v.detail);
		store_batch_add_dead(w->batch, seq, received_ms, topic,
		    dlq_reason_name(v.reason), v.detail, v.id, payload, len);
		w->batch_reasons[v.reason]++;
	}
	intake_verdict_clear(&v);
	w->batch_last_seq = seq;
	return 1;
}

static void
carry_keep(struct writer *w, const struct journal_rec *r)
{
	w->carry.held = 1;
	w->carry.seq = r->seq;
	w->carry.received_ms = r->received_ms;
	buf_reset(&w->carry.topic);
	buf_reset(&w->carry.payload);
	if (buf_append(&w->carry.topic, r->topic, r->topic_len) == -1 ||
	    buf_terminate(&w->carry.topic) == -1 ||
	    buf_append(&w->carry.payload, r->payload, r->payload_len) == -1)
		fatalx("writer: cannot hold a record");
}

/*
 * Fills the batch from the journal. Returns the number of records taken,
 * or -1 on a journal read error.
 */
static int
writer_fill(struct writer *w)
{
	struct journal_rec r;
	char topic[JOURNAL_TOPIC_MAX + 1];
	int n = 0, rc;

	/* Between batches: a new rule set takes over here, never within. */
	pthread_mutex_lock(&w->lock);
	if (w->pending_router != NULL) {
		router_free(w->router);
		w->router = w->pending_router;
		w->pending_router = NULL;
		w->stats.router_swaps++;
	}
	pthread_mutex_unlock(&w->lock);
	if (w->carry.held) {
		if (!writer_add(w, w->carry.seq, w->carry.received_ms,
		    w->carry.topic.data, w->carry.payload.data,
		    w->carry.payload.len))
			return 0; /* cannot happen in an empty batch */
		w->carry.held = 0;
		n++;
	}
	while (store_batch_events(w->batch) + store_batch_dead(w->batch) <
	    w->o.batch_max && store_batch_bytes(w->batch) < w->o.batch_bytes) {
		rc = journal_reader_next(w->reader, &r);
		if (rc == 0)
			break;
		if (rc == -1)
			return -1;
		w->seen_seq = r.seq;
		memcpy(topic, r.topic, r.topic_len);
		topic[r.topic_len] = '\0';
		if (!writer_add(w, r.seq, r.received_ms, topic, r.payload,
		    r.payload_len)) {
			carry_keep(w, &r);
			break;
		}
		n++;
	}
	return n;
}

/* Waits for a wakeup or the timeout; returns 1 if asked to stop. */
static int
writer_wait(struct writer *w, int64_t timeout_ms)
{
	struct timespec ts;
	int stopping;

	cond_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->sleeping, 1);
	/* Appended since we last looked (and so maybe not signalled)? */
	if (journal_next_seq(w->o.journal) > w->seen_seq + 1)
		w->wakeups++;
	while (w->wakeups == 0 && !w->stopping)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
		    ETIMEDOUT)
			break;
	atomic_store(&w->sleeping, 0);
	w->wakeups = 0;
	stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return stopping;
}

static int
writer_stopping(struct writer *w, int64_t *deadline)
{
	int s;

	pthread_mutex_lock(&w->lock);
	s = w->stopping;
	*deadline = w->stop_deadline_ms;
	pthread_mutex_unlock(&w->lock);
	return s;
}

static void
writer_maintain(struct writer *w, int64_t now_mono)
{
	int64_t now = clock_wall_ms();

	if (now_mono < w->next_maintenance_ms)
		return;
	/* Hourly: partitions ahead of time, and retention if configured. */
	if (store_ensure_partitions(w->o.store, now) == 0 &&
	    (w->o.retention_months == 0 ||
	    store_apply_retention(w->o.store, w->o.retention_months) == 0))
		w->next_maintenance_ms = now_mono + 3600 * 1000;
}

/* Monotonic seconds with the clock's resolution: a commit can take 100 us. */
static double
writer_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
writer_commit(struct writer *w)
{
	struct store_result res;
	double t0 = writer_seconds(), took;
	int r;

	if (store_commit(w->o.store, w->batch, w->batch_last_seq, &res) !=
	    STORE_OK)
		return -1;
	/* Only commits that happened are timed: a failure says "down". */
	took = writer_seconds() - t0;
	if (journal_release(w->o.journal, w->batch_last_seq) == -1)
		log_warnx("writer: journal release failed upto=%llu",
		    (unsigned long long)w->batch_last_seq);
	pthread_mutex_lock(&w->lock);
	w->stats.events += (uint64_t)res.events;
	w->stats.duplicates += (uint64_t)res.duplicates;
	w->stats.dead += (uint64_t)res.dead;
	for (r = 0; r < DLQ_NREASONS; r++)
		w->stats.dead_by_reason[r] += w->batch_reasons[r];
	w->stats.dead_by_reason[DLQ_ID_CONFLICT] += (uint64_t)res.conflicts;
	w->stats.published += (uint64_t)res.published;
	w->stats.cases += (uint64_t)res.cases;
	w->stats.batches++;
	w->stats.records += store_batch_events(w->batch) +
	    store_batch_dead(w->batch);
	w->stats.committed_seq = w->batch_last_seq;
	histogram_observe(&w->stats.batch_records, (double)(
	    store_batch_events(w->batch) + store_batch_dead(w->batch)));
	histogram_observe(&w->stats.commit_seconds, took);
	pthread_mutex_unlock(&w->lock);
	store_batch_reset(w->batch);
	memset(w->batch_reasons, 0, sizeof(w->batch_reasons));
	idset_clear(w);
	if ((res.dead > 0 || res.published > 0 || res.cases > 0) &&
	    w->o.committed != NULL)
		w->o.committed(w->o.committed_arg);
	return 0;
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	int64_t backoff = 100, deadline;
	int n;

	for (;;) {
		int64_t now = clock_mono_ms();
		int stopping = writer_stopping(w, &deadline);

		if (stopping && now >= deadline)
			break;
		if (!store_is_connected(w->o.store)) {
			pthread_mutex_lock(&w->lock);
			w->stats.db_up = 0;
			pthread_mutex_unlock(&w->lock);
			if (store_connect(w->o.store) == -1) {
				writer_wait(w, backoff);
				backoff = backoff * 2 > w->o.reconnect_max_ms ?
				    w->o.reconnect_max_ms : backoff * 2;
				continue;
			}
			backoff = 100;
		}
		pthread_mutex_lock(&w->lock);
		w->stats.db_up = 1;
		pthread_mutex_unlock(&w->lock);
		writer_maintain(w, now);

		if (store_batch_events(w->batch) + store_batch_dead(w->batch)
		    == 0) {
			n = writer_fill(w);
			if (n == -1) {
				/* The reader stays put; try again later. */
				writer_wait(w, 1000);
				continue;
			}
			if (n == 0) {
				if (stopping) {
					w->drained = 1;
					break;
				}
				writer_wait(w, 100);
				continue;
			}
		}
		if (writer_commit(w) == -1) {
			/* Keep the batch; reconnect on the next round. */
			if (store_is_connected(w->o.store))
				writer_wait(w, backoff);
		}
	}
	return NULL;
}

struct writer *
writer_start(const struct writer_opts *o)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	int rc;

	w->o = *o;
	w->router = o->router;
	pthread_mutex_init(&w->lock, NULL);
	cond_init_mono(&w->cond);
	w->batch = store_batch_new();
	w->idset_size = (size_t)1 << IDSET_BITS;
	while (w->idset_size < o->batch_max * 4)
		w->idset_size *= 2;
	w->idset = xcalloc(w->idset_size, sizeof(*w->idset));
	buf_init(&w->carry.topic, 0);
	buf_init(&w->carry.payload, 0);
	w->reader = journal_reader_open(o->journal, o->after_seq);
	if (w->reader == NULL)
		fatalx("writer: cannot open a journal reader");
	w->stats.committed_seq = o->after_seq;
	w->seen_seq = o->after_seq;
	w->stats.db_up = 1;
	histogram_init(&w->stats.batch_records, batch_records_bounds,
	    nitems(batch_records_bounds));
	histogram_init(&w->stats.commit_seconds, commit_seconds_bounds,
	    nitems(commit_seconds_bounds));
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		errno = rc;
		fatal("writer: cannot start thread");
	}
	return w;
}

void
writer_wake(struct writer *w)
{
	if (!atomic_load(&w->sleeping))
		return; /* awake: it reads the journal until it is empty */
	pthread_mutex_lock(&w->lock);
	w->wakeups++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int
writer_stop(struct writer *w, int timeout_ms)
{
	int drained;

	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	w->stop_deadline_ms = clock_mono_ms() + timeout_ms;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	drained = w->drained;
	journal_reader_free(w->reader);
	router_free(w->router);
	router_free(w->pending_router);
	store_batch_free(w->batch);
	buf_free(&w->carry.topic);
	buf_free(&w->carry.payload);
	free(w->idset);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return drained;
}

void
writer_set_router(struct writer *w, struct router *r)
{
	struct router *old;

	pthread_mutex_lock(&w->lock);
	old = w->pending_router;
	w->pending_router = r;
	w->wakeups++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	router_free(old); /* never taken: superseded */
}

void
writer_get_stats(struct writer *w, struct writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}
