/*
 * relay: see relay.h.
 */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mqtt_protocol.h>

#include "cond.h"
#include "log.h"
#include "mqtt.h"
#include "relaylink.h"
#include "store.h"
#include "util.h"

#define ACK_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 10000

/* Refused messages remembered across rounds, at most. */
#define SKIP_MAX 4096

/*
 * Topics the broker refused (Not authorized, Topic Name invalid): for
 * DENIED_MS after a refusal, messages to them are set aside unsent.
 * Mosquitto 2.0 drops the connection after each refusal, so a round
 * learns one refused message at a time and cannot commit before it knows
 * them all: without this, a rule routing every event to such a topic
 * stalls the whole outbox, alerts too (docs/hub.md, step 6, has the
 * figures). After DENIED_MS the next message to the topic is sent again:
 * a fixed ACL lets it through, an unfixed one renews the memory.
 */
#define DENIED_MAX 64
#define DENIED_MS 10000

struct denied {
	char *topic;
	int code;
	const char *reason;
	int64_t until_ms;
};

struct relay {
	struct relay_opts o;
	struct relaylink *link; /* the relay thread's alone */
	/* Idle no longer than half the keepalive: relaylink_idle() pings. */
	int64_t idle_max_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakeups, stopping;
	uint64_t published, refused;
	/*
	 * The round's messages in the order they were handed over (row id,
	 * index in the bundle; code: the broker's refusal, 0 if none), and
	 * the messages the broker refused for good in an earlier round that
	 * rolled back (Mosquitto 2.0 closes the connection after refusing a
	 * publish, so the round cannot complete): these are not sent again
	 * but set aside with the next round that commits.
	 */
	struct store_outbox_refusal *round, *skip;
	size_t *pub;	/* the round's publishes: their place in round */
	size_t nround, npub, round_cap, nskip, skip_cap;
	struct denied denied[DENIED_MAX];
	size_t ndenied;
	int64_t round_ms; /* when the round started */
};

/*
 * Refusals that a retry will not change: the message is set aside rather
 * than holding up the outbox (migration 0009). Anything else (Quota
 * exceeded, Unspecified error, ...) rolls the round back for a retry.
 */
static const char *
final_refusal(int reason)
{
	switch (reason) {
	case MQTT_RC_NOT_AUTHORIZED:
		return "Not authorized";
	case MQTT_RC_TOPIC_NAME_INVALID:
		return "Topic Name invalid";
	case MQTT_RC_PACKET_TOO_LARGE:
		return "Packet too large";
	case MQTT_RC_PAYLOAD_FORMAT_INVALID:
		return "Payload format invalid";
	default:
		return NULL;
	}
}

static struct store_outbox_refusal *
skip_find(struct relay *r, int64_t id, int index)
{
	size_t i;

	for (i = 0; i < r->nskip; i++)
		if (r->skip[i].id == id && r->skip[i].index == index)
			return &r->skip[i];
	return NULL;
}

static void
skip_add(struct relay *r, const struct store_outbox_refusal *m)
{
	if (skip_find(r, m->id, m->index) != NULL || r->nskip == SKIP_MAX)
		return;
	if (r->nskip == r->skip_cap) {
		r->skip_cap = r->skip_cap ? r->skip_cap * 2 : 16;
		r->skip = xrealloc(r->skip, r->skip_cap * sizeof(*r->skip));
	}
	r->skip[r->nskip++] = *m;
}

static void
skip_remove(struct relay *r, int64_t id, int index)
{
	struct store_outbox_refusal *m = skip_find(r, id, index);

	if (m != NULL)
		*m = r->skip[--r->nskip];
}

static const struct denied *
denied_find(const struct relay *r, const char *topic)
{
	size_t i;

	for (i = 0; i < r->ndenied; i++)
		if (r->denied[i].until_ms > r->round_ms &&
		    strcmp(r->denied[i].topic, topic) == 0)
			return &r->denied[i];
	return NULL;
}

/*
 * Remembers topic as refused from now on; a full list forgets the oldest
 * refusal. Logged when the topic was not remembered already.
 */
static void
denied_add(struct relay *r, const char *topic, int code, const char *reason)
{
	struct denied *d = NULL;
	size_t i;

	for (i = 0; i < r->ndenied && d == NULL; i++)
		if (strcmp(r->denied[i].topic, topic) == 0)
			d = &r->denied[i];
	if (d == NULL || d->until_ms <= r->round_ms)
		log_warnx("relay: the broker refused topic=%s reason=\"%s\"; "
		    "messages to it are set aside unsent for %d s", topic,
		    reason, DENIED_MS / 1000);
	if (d == NULL) {
		if (r->ndenied < DENIED_MAX)
			d = &r->denied[r->ndenied++];
		else {
			for (d = &r->denied[0], i = 1; i < DENIED_MAX; i++)
				if (r->denied[i].until_ms < d->until_ms)
					d = &r->denied[i];
			free(d->topic);
		}
		d->topic = xstrdup(topic);
	}
	d->code = code;
	d->reason = reason;
	d->until_ms = r->round_ms + DENIED_MS;
}

static int
relay_row(void *arg, const struct store_outbox_row *row)
{
	struct relay *r = arg;
	const struct store_outbox_refusal *skip;
	const struct denied *d;
	struct store_outbox_refusal *m;

	if (r->nround == r->round_cap) {
		r->round_cap = r->round_cap ? r->round_cap * 2 : 512;
		r->round = xrealloc(r->round, r->round_cap * sizeof(*r->round));
		r->pub = xrealloc(r->pub, r->round_cap * sizeof(*r->pub));
	}
	m = &r->round[r->nround++];
	if ((skip = skip_find(r, row->id, row->index)) != NULL) {
		/*
		 * Refused in the round that rolled back: the rest of this
		 * round's messages to a topic refused as such are set
		 * aside unsent too.
		 */
		*m = *skip;
		if (skip->code == MQTT_RC_NOT_AUTHORIZED ||
		    skip->code == MQTT_RC_TOPIC_NAME_INVALID)
			denied_add(r, row->topic, skip->code, skip->reason);
		return 0;
	}
	m->id = row->id;
	m->index = row->index;
	if (r->ndenied > 0 && (d = denied_find(r, row->topic)) != NULL) {
		m->code = d->code;
		m->reason = d->reason;
		return 0;
	}
	m->code = 0;
	m->reason = NULL;
	r->pub[r->npub++] = r->nround - 1;
	return relaylink_publish(r->link, row->topic, row->payload, row->len,
	    row->qos, row->retain);
}

/*
 * Marks the round's messages the broker refused (a refusal names the
 * how-manieth publish) and remembers the final ones for a retry of the
 * round. Returns 1 when every refusal is final and placed, else 0.
 */
static int
mark_refusals(struct relay *r)
{
	const struct relaylink_refusal *ref;
	size_t i, n = relaylink_refusals(r->link, &ref);
	int all_final = 1;

	for (i = 0; i < n; i++) {
		const char *why = final_refusal(ref[i].reason);
		struct store_outbox_refusal *m;

		if (why == NULL || ref[i].pos >= r->npub) {
			all_final = 0;
			continue;
		}
		m = &r->round[r->pub[ref[i].pos]];
		m->code = ref[i].reason;
		m->reason = why;
		skip_add(r, m);
	}
	return all_final;
}

/*
 * One round: returns the number of messages relayed (set aside ones
 * included), -1, or -2 when it rolled back but learnt of messages the
 * broker refuses for good (the next round, at once, skips them).
 */
static int
relay_round(struct relay *r)
{
	size_t acked, failed, i, aside, skips;
	int n, ok, final;

	r->nround = r->npub = 0;
	r->round_ms = clock_mono_ms();
	skips = r->nskip;
	n = store_outbox_fetch(r->o.store, r->o.batch, relay_row, r);
	if (n <= 0) {
		if (n == 0)
			store_outbox_done(r->o.store, 1);
		else /* rolled back; what went out is still answered */
			(void)relaylink_wait(r->link, ACK_TIMEOUT_MS, &acked,
			    &failed);
		return n;
	}
	ok = relaylink_wait(r->link, ACK_TIMEOUT_MS, &acked, &failed) == 0;
	final = mark_refusals(r);
	ok = ok && final && acked + failed + (r->nround - r->npub) ==
	    (size_t)n;
	if (!ok) {
		log_warnx("relay: round of %d outbox messages not fully "
		    "acknowledged acked=%zu failed=%zu; rolled back, retrying%s",
		    n, acked, failed, r->nskip > skips ? " now without the "
		    "ones refused for good" : "");
		store_outbox_done(r->o.store, 0);
		return r->nskip > skips ? -2 : -1;
	}
	/* What is set aside, moved to the front of the round. */
	for (i = 0, aside = 0; i < r->nround; i++)
		if (r->round[i].code != 0)
			r->round[aside++] = r->round[i];
	if (aside > 0 && store_outbox_set_aside(r->o.store, r->round,
	    aside) == -1)
		return -1;
	if (store_outbox_done(r->o.store, 1) == -1)
		return -1;
	for (i = 0; i < aside; i++)
		skip_remove(r, r->round[i].id, r->round[i].index);
	pthread_mutex_lock(&r->lock);
	r->published += (uint64_t)n - (uint64_t)aside;
	r->refused += (uint64_t)aside;
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
		wait = n >= (int)r->o.batch || n == -2 ? 0 : n < 0 ? 500 :
		    r->o.poll_ms;
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
	free(r->round);
	free(r->pub);
	free(r->skip);
	while (r->ndenied > 0)
		free(r->denied[--r->ndenied].topic);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int
relay_is_connected(struct relay *r)
{
	return relaylink_is_connected(r->link);
}

void
relay_counts(struct relay *r, uint64_t *published, uint64_t *refused)
{
	pthread_mutex_lock(&r->lock);
	*published = r->published;
	*refused = r->refused;
	pthread_mutex_unlock(&r->lock);
}
