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
#include "store.h"
#include "util.h"

#define ACK_TIMEOUT_MS 10000

struct relay {
	struct relay_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakeups, stopping;
	/* The round in flight: publishes handed to the broker and answers. */
	size_t sent, acked, failed;
	/*
	 * While the thread waits for answers: how many it needs (0 when it
	 * does not wait). relay_done() runs on Paho's thread for every
	 * acknowledgement and signals only when that count is reached: a
	 * wake-up per acknowledgement cost a context switch per message.
	 */
	size_t need;
	size_t quota; /* the broker's window, read once per round */
	uint64_t round; /* answers from an abandoned round are ignored */
	uint64_t published;
};

struct relay_ack {
	struct relay *r;
	uint64_t round;
};

static void
relay_done(void *arg, int ok)
{
	struct relay_ack *a = arg;
	struct relay *r = a->r;

	pthread_mutex_lock(&r->lock);
	if (a->round == r->round) {
		if (ok)
			r->acked++;
		else
			r->failed++;
		if (r->need > 0 && r->acked + r->failed >= r->need)
			pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	free(a);
}

static int
relay_row(void *arg, const struct store_outbox_row *row)
{
	struct relay *r = arg;
	struct relay_ack *a = xmalloc(sizeof(*a));

	a->r = r;
	size_t quota = r->quota;

	pthread_mutex_lock(&r->lock);
	a->round = r->round;
	/* Stay within the broker's window (see mqtt_send_quota()). */
	if (r->sent - r->acked - r->failed >= quota) {
		struct timespec ts;

		/* Wait for a quarter of the window, not for every answer. */
		r->need = r->sent - quota + 1 + (quota - 1) / 4;
		cond_deadline(&ts, ACK_TIMEOUT_MS);
		while (r->acked + r->failed < r->need)
			if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) ==
			    ETIMEDOUT)
				break;
		r->need = 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (mqtt_publish(r->o.mqtt, row->topic, row->payload, row->len,
	    row->qos, row->retain, relay_done, a) == -1) {
		free(a);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	r->sent++;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* One round: returns the number of messages relayed, or -1. */
static int
relay_round(struct relay *r)
{
	struct timespec ts;
	int n, ok;

	pthread_mutex_lock(&r->lock);
	r->sent = r->acked = r->failed = 0;
	r->round++;
	pthread_mutex_unlock(&r->lock);
	/* It changes only with a new connection, which ends the round. */
	r->quota = (size_t)mqtt_send_quota(r->o.mqtt);
	n = store_outbox_fetch(r->o.store, r->o.batch, relay_row, r);
	if (n <= 0) {
		if (n == 0)
			store_outbox_done(r->o.store, 1);
		return n;
	}
	cond_deadline(&ts, ACK_TIMEOUT_MS);
	pthread_mutex_lock(&r->lock);
	r->need = r->sent;
	while (r->acked + r->failed < r->sent)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) ==
		    ETIMEDOUT)
			break;
	r->need = 0;
	ok = r->acked == r->sent && r->sent == (size_t)n;
	if (!ok)
		log_warnx("relay: round of %d outbox messages not fully "
		    "acknowledged sent=%zu acked=%zu failed=%zu; rolled back, "
		    "retrying", n, r->sent, r->acked, r->failed);
	pthread_mutex_unlock(&r->lock);
	if (store_outbox_done(r->o.store, ok) == -1 || !ok)
		return -1;
	pthread_mutex_lock(&r->lock);
	r->published += (uint64_t)n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	int64_t wait = r->o.poll_ms, backoff = 100;
	struct timespec ts;
	int n;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		cond_deadline(&ts, wait);
		while (r->wakeups == 0 && !r->stopping)
			if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) ==
			    ETIMEDOUT)
				break;
		r->wakeups = 0;
		if (r->stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);

		if (!store_is_connected(r->o.store) &&
		    store_connect(r->o.store) == -1) {
			wait = backoff;
			backoff = backoff * 2 > r->o.reconnect_max_ms ?
			    r->o.reconnect_max_ms : backoff * 2;
			continue;
		}
		backoff = 100;
		if (!mqtt_is_connected(r->o.mqtt)) {
			wait = 200;
			continue;
		}
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
	pthread_mutex_init(&r->lock, NULL);
	cond_init_mono(&r->cond);
	r->wakeups = 1; /* relay what a previous run left behind */
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
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
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
