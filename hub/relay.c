/*
 * relay: see relay.h.
 */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "cond.h"
#include "log.h"
#include "mqtt.h"
#include "relaylink.h"
#include "store.h"
#include "util.h"

#define ACK_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 10000

struct relay {
	struct relay_opts o;
	struct relaylink *link; /* the relay thread's alone */
	/* Idle no longer than half the keepalive: relaylink_idle() pings. */
	int64_t idle_max_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakeups, stopping;
	uint64_t published;
};

static int
relay_row(void *arg, const struct store_outbox_row *row)
{
	struct relay *r = arg;

	return relaylink_publish(r->link, row->topic, row->payload, row->len,
	    row->qos, row->retain);
}

/* One round: returns the number of messages relayed, or -1. */
static int
relay_round(struct relay *r)
{
	size_t acked, failed;
	int n, ok;

	n = store_outbox_fetch(r->o.store, r->o.batch, relay_row, r);
	if (n <= 0) {
		if (n == 0)
			store_outbox_done(r->o.store, 1);
		else /* rolled back; what went out is still answered */
			(void)relaylink_wait(r->link, ACK_TIMEOUT_MS, &acked,
			    &failed);
		return n;
	}
	ok = relaylink_wait(r->link, ACK_TIMEOUT_MS, &acked, &failed) == 0 &&
	    acked == (size_t)n;
	if (!ok)
		log_warnx("relay: round of %d outbox messages not fully "
		    "acknowledged acked=%zu failed=%zu; rolled back, retrying",
		    n, acked, failed);
	if (store_outbox_done(r->o.store, ok) == -1 || !ok)
		return -1;
	pthread_mutex_lock(&r->lock);
	r->published += (uint64_t)n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Waits for a wake-up or wait_ms; returns 1 when stopping. */
static int
relay_sleep(struct relay *r, int64_t wait_ms)
{
	struct timespec ts;
	int stopping;

	pthread_mutex_lock(&r->lock);
	cond_deadline(&ts, wait_ms);
	while (r->wakeups == 0 && !r->stopping)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) ==
		    ETIMEDOUT)
			break;
	r->wakeups = 0;
	stopping = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return stopping;
}

static int64_t
next_backoff(int64_t backoff, int64_t max)
{
	return backoff * 2 > max ? max : backoff * 2;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	int64_t wait = 0, db_backoff = 100, mq_backoff = 100;
	int n;

	while (!relay_sleep(r, wait < r->idle_max_ms ? wait :
	    r->idle_max_ms)) {
		/* Keepalive, and noticing a broker that went away. */
		relaylink_idle(r->link);
		if (!store_is_connected(r->o.store) &&
		    store_connect(r->o.store) == -1) {
			wait = db_backoff;
			db_backoff = next_backoff(db_backoff,
			    r->o.reconnect_max_ms);
			continue;
		}
		db_backoff = 100;
		if (relaylink_connect(r->link, CONNECT_TIMEOUT_MS) == -1) {
			wait = mq_backoff;
			mq_backoff = next_backoff(mq_backoff,
			    r->o.reconnect_max_ms);
			continue;
		}
		mq_backoff = 100;
		n = relay_round(r);
		/* A full round means more may be waiting: go again now. */
		wait = n >= (int)r->o.batch ? 0 : n < 0 ? 500 : r->o.poll_ms;
	}
	return NULL;
}

struct relay *
relay_start(const struct relay_opts *o)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	int rc;

	r->o = *o;
	r->link = relaylink_new(o->mqtt);
	r->idle_max_ms = (int64_t)o->mqtt->keepalive_s * 500;
	r->o.mqtt = NULL; /* copied */
	pthread_mutex_init(&r->lock, NULL);
	cond_init_mono(&r->cond);
	if ((rc = pthread_create(&r->thread, NULL, relay_main, r)) != 0) {
		errno = rc;
		fatal("relay: cannot start thread");
	}
	return r;
}

void
relay_wake(void *arg)
{
	struct relay *r = arg;

	pthread_mutex_lock(&r->lock);
	r->wakeups++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void
relay_stop(struct relay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	relaylink_free(r->link);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int
relay_is_connected(struct relay *r)
{
	return relaylink_is_connected(r->link);
}

uint64_t
relay_published(struct relay *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->published;
	pthread_mutex_unlock(&r->lock);
	return n;
}
