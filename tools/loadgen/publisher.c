/*
 * publisher: see publisher.h.
 *
 * The window is a ring of slots indexed by a 64-bit sequence number:
 * messages [base, next) are unacknowledged and message s lives in slot
 * s % window. A slot is PENDING (to be sent, again or for the first time),
 * INFLIGHT (handed to Paho) or DONE (acked or rejected). base advances over
 * DONE slots, which frees room for new messages.
 *
 * Every send carries a ticket, the context Paho hands back to the success
 * or failure callback. The ticket names the sequence number it was sent
 * for, so a callback that arrives late (for a message already acked through
 * another send, or sent again after a reconnect) is recognised and does no
 * harm: a late success is still a real PUBACK and counts, a late failure of
 * a superseded send is ignored. Tickets come from a free list that grows in
 * chunks and is freed as a whole, because Paho does not promise a callback
 * for every send it drops on a lost connection.
 *
 * Reconnecting is done here rather than by Paho's automaticReconnect so that
 * the first connection and later ones share one code path with one backoff,
 * and so that the re-send sweep happens exactly when the connection is
 * known to be gone. The session is clean: the window, not the broker's
 * session state, is what guarantees delivery.
 *
 * The window in use is the smaller of --inflight and the Receive Maximum
 * the broker announces in its CONNACK (Mosquitto: max_inflight_messages,
 * 20 by default). Messages beyond it would only wait in Paho's command
 * queue, which Paho scans linearly for every send and every ack: measured
 * on loopback, a 1000-message window against a broker that takes 20 at a
 * time ran at a tenth of the speed of a 20-message one. Paho's
 * maxBufferedMessages (100 by default, counted while connected too) is
 * sized above the window, and maxInflight equals it.
 *
 * A connection that stays up but stops acknowledging for STALL_MS is
 * treated like a lost one: the window is sent again. It costs duplicates in
 * a case that should not happen, and rules out a hang if Paho ever drops a
 * send without calling back.
 */
#include "publisher.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

#include "cond.h"
#include "log.h"
#include "mqttauth.h"
#include "util.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define STALL_MS	15000
#define TICKET_CHUNK	1024

enum slot_state { SLOT_PENDING, SLOT_INFLIGHT, SLOT_DONE };

struct ticket {
	struct publisher *p;
	uint64_t seq;
	struct ticket *next;	/* free list */
};

struct ticket_chunk {
	struct ticket_chunk *next;
	struct ticket t[TICKET_CHUNK];
};

struct slot {
	uint64_t seq;
	enum slot_state state;
	int sends;
	struct ticket *ticket;	/* of the current send, while INFLIGHT */
	struct buf topic;
	struct buf payload;
};

struct publisher {
	MQTTAsync client;
	char *uri;
	char *client_id;
	char *username;
	char *password;
	/* Points at the strings above and at the caller's TLS file names. */
	struct mqtt_auth auth;
	int qos;
	int64_t give_up_ms;

	pthread_mutex_t mtx;
	pthread_cond_t cv;

	struct slot *slots;
	size_t window;		/* slots, --inflight */
	size_t limit;		/* window in use, <= broker's receive max */
	uint64_t base;		/* oldest message not DONE */
	uint64_t next;		/* sequence number of the next new message */
	uint64_t resend;	/* no PENDING slot below this one */

	int connected;
	int connecting;
	int disconnecting;
	int ever_connected;
	int64_t retry_at;	/* monotonic ms of the next connect attempt */
	int64_t backoff_ms;
	int64_t down_since;	/* monotonic ms the connection was lost */
	int64_t progress_at;	/* monotonic ms of the last ack */

	struct ticket *free_tickets;
	struct ticket_chunk *chunks;

	struct publisher_stats st;
};

static struct slot *
slot_of(struct publisher *p, uint64_t seq)
{
	return &p->slots[seq % p->window];
}

/* Called with the lock held. */
static struct ticket *
ticket_get(struct publisher *p, uint64_t seq)
{
	struct ticket_chunk *c;
	struct ticket *t;
	size_t i;

	if (p->free_tickets == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->next = p->chunks;
		p->chunks = c;
		for (i = 0; i < TICKET_CHUNK; i++) {
			c->t[i].next = p->free_tickets;
			p->free_tickets = &c->t[i];
		}
	}
	t = p->free_tickets;
	p->free_tickets = t->next;
	t->p = p;
	t->seq = seq;
	t->next = NULL;
	return t;
}

/* Called with the lock held. */
static void
ticket_put(struct publisher *p, struct ticket *t)
{
	t->next = p->free_tickets;
	p->free_tickets = t;
}

/* Marks message seq DONE and moves base past finished messages. Locked. */
static void
window_done(struct publisher *p, struct slot *s)
{
	s->state = SLOT_DONE;
	s->ticket = NULL;
	while (p->base < p->next && slot_of(p, p->base)->state == SLOT_DONE)
		p->base++;
	if (p->resend < p->base)
		p->resend = p->base;
	pthread_cond_broadcast(&p->cv);
}

/* Every message handed to Paho and not acked is to be sent again. Locked. */
static void
window_sweep(struct publisher *p)
{
	uint64_t seq;
	struct slot *s;

	for (seq = p->base; seq < p->next; seq++) {
		s = slot_of(p, seq);
		if (s->state == SLOT_INFLIGHT) {
			s->state = SLOT_PENDING;
			s->ticket = NULL;
		}
	}
	p->resend = p->base;
}

/*
 * Looks up the slot a callback's ticket speaks of; NULL when that message
 * is no longer in the window. Locked.
 */
static struct slot *
ticket_slot(struct publisher *p, const struct ticket *t)
{
	struct slot *s;

	if (t->seq < p->base || t->seq >= p->next)
		return NULL;
	s = slot_of(p, t->seq);
	return s->seq == t->seq ? s : NULL;
}

static void
on_publish_success(void *context, MQTTAsync_successData5 *resp)
{
	struct ticket *t = context;
	struct publisher *p = t->p;
	struct slot *s;

	(void)resp;
	pthread_mutex_lock(&p->mtx);
	if ((s = ticket_slot(p, t)) != NULL && s->state != SLOT_DONE) {
		p->st.acked++;
		window_done(p, s);
	}
	p->progress_at = clock_mono_ms();
	ticket_put(p, t);
	pthread_mutex_unlock(&p->mtx);
}

/*
 * PUBACK reason codes that mean the broker will never take this message
 * (not authorised, bad topic, too large, ...). Anything else that fails a
 * send (a lost connection, a busy broker) is worth sending again.
 */
static int
reason_permanent(int rc)
{
	switch (rc) {
	case MQTTREASONCODE_UNSPECIFIED_ERROR:
	case MQTTREASONCODE_IMPLEMENTATION_SPECIFIC_ERROR:
	case MQTTREASONCODE_NOT_AUTHORIZED:
	case MQTTREASONCODE_TOPIC_NAME_INVALID:
	case MQTTREASONCODE_PACKET_TOO_LARGE:
	case MQTTREASONCODE_PAYLOAD_FORMAT_INVALID:
	case MQTTREASONCODE_RETAIN_NOT_SUPPORTED:
	case MQTTREASONCODE_QOS_NOT_SUPPORTED:
		return 1;
	default:
		return 0;
	}
}

static void
on_publish_failure(void *context, MQTTAsync_failureData5 *resp)
{
	struct ticket *t = context;
	struct publisher *p = t->p;
	struct slot *s;

	pthread_mutex_lock(&p->mtx);
	s = ticket_slot(p, t);
	if (s != NULL && s->state == SLOT_INFLIGHT && s->ticket == t) {
		if (resp != NULL && reason_permanent(resp->reasonCode)) {
			/* The first few say why; the count says how many. */
			if (p->st.rejected < 5)
				log_warnx("publisher: broker rejected message "
				    "topic=%s reason=%d (%s)", s->topic.data,
				    resp->reasonCode, MQTTReasonCode_toString(
				    (enum MQTTReasonCodes)resp->reasonCode));
			p->st.rejected++;
			window_done(p, s);
		} else {
			s->state = SLOT_PENDING;
			s->ticket = NULL;
			if (t->seq < p->resend)
				p->resend = t->seq;
			pthread_cond_broadcast(&p->cv);
		}
	}
	ticket_put(p, t);
	pthread_mutex_unlock(&p->mtx);
}

static void
on_connection_lost(void *context, char *cause)
{
	struct publisher *p = context;

	log_warnx("publisher: connection lost uri=%s cause=%s", p->uri,
	    cause != NULL ? cause : "unknown");
	pthread_mutex_lock(&p->mtx);
	p->connected = 0;
	p->down_since = clock_mono_ms();
	p->retry_at = p->down_since + BACKOFF_MIN_MS;
	p->backoff_ms = BACKOFF_MIN_MS;
	window_sweep(p);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
	free(cause);
}

static void
on_connect_success(void *context, MQTTAsync_successData5 *resp)
{
	struct publisher *p = context;
	int rm = -1;

	if (resp != NULL)
		rm = MQTTProperties_getNumericValue(&resp->properties,
		    MQTTPROPERTY_CODE_RECEIVE_MAXIMUM);
	pthread_mutex_lock(&p->mtx);
	p->limit = rm > 0 && (size_t)rm < p->window ? (size_t)rm : p->window;
	if (!p->ever_connected)
		log_info("publisher: connected uri=%s window=%zu "
		    "broker_receive_maximum=%d", p->uri, p->limit, rm);
	if (p->ever_connected)
		p->st.reconnects++;
	p->ever_connected = 1;
	p->connected = 1;
	p->connecting = 0;
	p->backoff_ms = BACKOFF_MIN_MS;
	p->progress_at = clock_mono_ms();
	/* A clean session knows nothing of what was in flight before. */
	window_sweep(p);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
}

static void
on_connect_failure(void *context, MQTTAsync_failureData5 *resp)
{
	struct publisher *p = context;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&p->mtx);
	log_warnx("publisher: connect failed uri=%s code=%d reason=%d%s%s "
	    "retry_ms=%lld", p->uri, resp != NULL ? resp->code : 0,
	    resp != NULL ? resp->reasonCode : 0,
	    resp != NULL && resp->message != NULL ? " msg=" : "",
	    resp != NULL && resp->message != NULL ? resp->message : "",
	    (long long)p->backoff_ms);
	p->connecting = 0;
	p->retry_at = now + p->backoff_ms;
	p->backoff_ms *= 2;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
}

/* Paho insists on an arrival callback even for a client that only sends. */
static int
on_message(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
	(void)context;
	(void)topic_len;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void
on_disconnected(void *context, MQTTAsync_successData5 *resp)
{
	struct publisher *p = context;

	(void)resp;
	pthread_mutex_lock(&p->mtx);
	p->disconnecting = 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mtx);
}

static void
on_disconnect_failed(void *context, MQTTAsync_failureData5 *resp)
{
	(void)resp;
	on_disconnected(context, NULL);
}

/* A polite DISCONNECT, waited for up to two seconds. */
static void
disconnect_wait(struct publisher *p)
{
	int64_t until = clock_mono_ms() + 2000;

	pthread_mutex_lock(&p->mtx);
	while (p->disconnecting && clock_mono_ms() < until)
		cond_wait_ms(&p->cv, &p->mtx, 50);
	pthread_mutex_unlock(&p->mtx);
}

struct publisher *
publisher_new(const struct publisher_config *cfg)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	struct publisher *p;
	size_t i;
	int rc;

	if (cfg->inflight < 1 || cfg->inflight > PUBLISHER_INFLIGHT_MAX)
		fatalx("publisher: inflight %zu out of range", cfg->inflight);
	p = xcalloc(1, sizeof(*p));
	p->uri = xstrdup(cfg->uri);
	p->client_id = xstrdup(cfg->client_id);
	p->username = cfg->username != NULL ? xstrdup(cfg->username) : NULL;
	p->password = cfg->password != NULL ? xstrdup(cfg->password) : NULL;
	p->auth.uri = p->uri;
	p->auth.username = p->username;
	p->auth.password = p->password;
	p->auth.ca_file = cfg->ca_file;
	p->auth.cert_file = cfg->cert_file;
	p->auth.key_file = cfg->key_file;
	p->qos = cfg->qos;
	p->give_up_ms = cfg->give_up_ms;
	p->window = cfg->inflight;
	p->limit = cfg->inflight;
	p->slots = xcalloc(p->window, sizeof(*p->slots));
	for (i = 0; i < p->window; i++) {
		p->slots[i].state = SLOT_DONE;
		buf_init(&p->slots[i].topic, 0);
		buf_init(&p->slots[i].payload, 0);
	}
	p->backoff_ms = BACKOFF_MIN_MS;
	p->down_since = clock_mono_ms();
	pthread_mutex_init(&p->mtx, NULL);
	cond_init_mono(&p->cv);

	co.sendWhileDisconnected = 0;
	/* Stale sends of a previous connection may still sit in Paho. */
	co.maxBufferedMessages = (int)(2 * p->window + 64);
	co.deleteOldestMessages = 0;
	co.restoreMessages = 0;
	co.persistQoS0 = 0;
	mqtt_trace_errors();
	rc = MQTTAsync_createWithOptions(&p->client, p->uri, p->client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("publisher: cannot create client uri=%s rc=%d (%s)",
		    p->uri, rc, MQTTAsync_strerror(rc));
		p->client = NULL;
		goto fail;
	}
	rc = MQTTAsync_setCallbacks(p->client, p, on_connection_lost,
	    on_message, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("publisher: cannot set callbacks rc=%d", rc);
		goto fail;
	}
	return p;
fail:
	publisher_free(p);
	return NULL;
}

void
publisher_free(struct publisher *p)
{
	MQTTAsync_disconnectOptions dopts =
	    MQTTAsync_disconnectOptions_initializer5;
	struct ticket_chunk *c;
	size_t i;

	if (p == NULL)
		return;
	if (p->client != NULL) {
		if (MQTTAsync_isConnected(p->client)) {
			dopts.timeout = 1000;
			dopts.onSuccess5 = on_disconnected;
			dopts.onFailure5 = on_disconnect_failed;
			dopts.context = p;
			pthread_mutex_lock(&p->mtx);
			p->disconnecting = 1;
			pthread_mutex_unlock(&p->mtx);
			if (MQTTAsync_disconnect(p->client, &dopts) ==
			    MQTTASYNC_SUCCESS)
				disconnect_wait(p);
		}
		/* After this Paho calls none of our callbacks. */
		MQTTAsync_destroy(&p->client);
	}
	while ((c = p->chunks) != NULL) {
		p->chunks = c->next;
		free(c);
	}
	for (i = 0; i < p->window; i++) {
		buf_free(&p->slots[i].topic);
		buf_free(&p->slots[i].payload);
	}
	free(p->slots);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mtx);
	free(p->uri);
	free(p->client_id);
	free(p->username);
	free(p->password);
	free(p);
}

/* Starts a connect attempt. Locked; drops the lock around Paho. */
static void
connect_start(struct publisher *p)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	int rc;

	o.keepAliveInterval = 20;
	o.cleanstart = 1;
	o.maxInflight = (int)p->window;
	o.connectTimeout = 5;
	o.automaticReconnect = 0;
	mqtt_auth_apply(&p->auth, &o, &ssl);
	o.onSuccess5 = on_connect_success;
	o.onFailure5 = on_connect_failure;
	o.context = p;
	p->connecting = 1;
	pthread_mutex_unlock(&p->mtx);
	rc = MQTTAsync_connect(p->client, &o);
	pthread_mutex_lock(&p->mtx);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("publisher: connect rc=%d (%s)", rc,
		    MQTTAsync_strerror(rc));
		p->connecting = 0;
		p->retry_at = clock_mono_ms() + p->backoff_ms;
	}
}

/*
 * Hands message seq to Paho. Locked; drops the lock around Paho. A send
 * Paho refuses puts the message back to PENDING and returns -1.
 */
static int
send_slot(struct publisher *p, uint64_t seq)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message m = MQTTAsync_message_initializer;
	struct slot *s = slot_of(p, seq);
	struct ticket *t;
	int rc;

	t = ticket_get(p, seq);
	s->state = SLOT_INFLIGHT;
	s->ticket = t;
	if (s->sends++ > 0)
		p->st.resent++;
	m.payload = s->payload.data;
	m.payloadlen = (int)s->payload.len;
	m.qos = p->qos;
	m.retained = 0;
	ro.onSuccess5 = on_publish_success;
	ro.onFailure5 = on_publish_failure;
	ro.context = t;
	/*
	 * The slot's buffers stay put while it is not DONE, and only this
	 * thread refills slots, so Paho may read them without the lock.
	 */
	pthread_mutex_unlock(&p->mtx);
	rc = MQTTAsync_sendMessage(p->client, s->topic.data, &m, &ro);
	pthread_mutex_lock(&p->mtx);
	if (rc == MQTTASYNC_SUCCESS)
		return 0;
	if (s->seq == seq && s->state == SLOT_INFLIGHT && s->ticket == t) {
		s->state = SLOT_PENDING;
		s->ticket = NULL;
		if (seq < p->resend)
			p->resend = seq;
	}
	ticket_put(p, t);	/* Paho calls back only for accepted sends */
	if (rc != MQTTASYNC_DISCONNECTED &&
	    rc != MQTTASYNC_MAX_BUFFERED_MESSAGES)
		log_warnx("publisher: send rc=%d (%s)", rc,
		    MQTTAsync_strerror(rc));
	return -1;
}

enum pump_goal { PUMP_ROOM, PUMP_DRAIN };

/*
 * The one loop behind publisher_wait() and publisher_drain(): keeps the
 * connection up, re-sends what needs it, and returns 0 once the goal is
 * met, -1 when the broker has been unreachable for give_up_ms. Locked.
 */
static int
pump(struct publisher *p, enum pump_goal goal)
{
	int64_t now;
	struct slot *s;

	for (;;) {
		now = clock_mono_ms();
		if (!p->connected) {
			if (now - p->down_since >= p->give_up_ms) {
				log_warnx("publisher: broker unreachable for "
				    "%lld ms, giving up uri=%s",
				    (long long)(now - p->down_since), p->uri);
				return -1;
			}
			if (!p->connecting && now >= p->retry_at)
				connect_start(p);
			else
				cond_wait_ms(&p->cv, &p->mtx, 50);
			continue;
		}
		if (p->base < p->next && now - p->progress_at >= STALL_MS) {
			log_warnx("publisher: no PUBACK for %d ms, sending the "
			    "window again unacked=%llu", STALL_MS,
			    (unsigned long long)(p->next - p->base));
			window_sweep(p);
			p->progress_at = now;
		}
		while (p->resend < p->next &&
		    slot_of(p, p->resend)->state != SLOT_PENDING)
			p->resend++;
		if (p->resend < p->next) {
			s = slot_of(p, p->resend);
			if (send_slot(p, s->seq) == -1)
				cond_wait_ms(&p->cv, &p->mtx, 10);
			continue;
		}
		if (goal == PUMP_ROOM && p->next - p->base < p->limit)
			return 0;
		if (goal == PUMP_DRAIN && p->base == p->next)
			return 0;
		cond_wait_ms(&p->cv, &p->mtx, 100);
	}
}

int
publisher_wait(struct publisher *p)
{
	int rc;

	pthread_mutex_lock(&p->mtx);
	rc = pump(p, PUMP_ROOM);
	pthread_mutex_unlock(&p->mtx);
	return rc;
}

void
publisher_send(struct publisher *p, const char *topic, const void *payload,
    size_t len)
{
	struct slot *s;
	uint64_t seq;

	pthread_mutex_lock(&p->mtx);
	if (p->next - p->base >= p->window)
		fatalx("publisher: send without room in the window");
	seq = p->next++;
	s = slot_of(p, seq);
	s->seq = seq;
	s->sends = 0;
	s->ticket = NULL;
	buf_reset(&s->topic);
	buf_reset(&s->payload);
	if (buf_append(&s->topic, topic, strlen(topic)) == -1 ||
	    buf_terminate(&s->topic) == -1 ||
	    buf_append(&s->payload, payload, len) == -1)
		fatalx("publisher: slot buffer");
	s->state = SLOT_PENDING;
	p->st.published++;
	/* Sends right away when nothing older is waiting to go again. */
	if (p->connected && p->resend == seq)
		send_slot(p, seq);
	pthread_mutex_unlock(&p->mtx);
}

int
publisher_drain(struct publisher *p)
{
	int rc;

	pthread_mutex_lock(&p->mtx);
	rc = pump(p, PUMP_DRAIN);
	pthread_mutex_unlock(&p->mtx);
	return rc;
}

void
publisher_get_stats(struct publisher *p, struct publisher_stats *st)
{
	pthread_mutex_lock(&p->mtx);
	*st = p->st;
	pthread_mutex_unlock(&p->mtx);
}
