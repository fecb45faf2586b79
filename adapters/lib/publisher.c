/*
 * publisher: see publisher.h. The Paho MQTTAsync client, set up for "never
 * lose what was accepted":
 *
 *  - MQTTAsync_createWithOptions() with file persistence, sendWhileDisconnected
 *    and allowDisconnectedSendAtAnyTime (publishing works before the first
 *    connect), maxBufferedMessages from the config, deleteOldestMessages = 0
 *    (a full buffer is an error the caller sees, not a silent drop), and
 *    restoreMessages = 1 (messages persisted by a crashed run are queued
 *    again on create and sent after the connect).
 *  - Paho writes a QoS 1 publish command to persist_dir inside
 *    MQTTAsync_sendMessage(), before it returns, and removes it when the
 *    PUBACK arrives. Persistence is keyed by client id and server URI:
 *    changing either orphans what a crashed run left behind.
 *  - MQTT v5 with cleanstart = 0 and a Session Expiry Interval, so that the
 *    client keeps (and the broker accepts) the in-flight state across
 *    reconnects; automaticReconnect with a doubling backoff.
 *
 * Every accepted message has a small context (struct pub_msg) linked into
 * p->pending; Paho's onSuccess5/onFailure5 for that publish unlink it, call
 * on_done and free it. MQTTAsync_destroy() reports commands it discards
 * through onFailure5 as well; whatever is still linked after that gets
 * on_done(ok = 0) here, so on_done runs exactly once per accepted message.
 *
 * Locking: p->mtx guards pending, the counters and the condition variable.
 * Paho is never called with p->mtx held, because Paho calls back into this
 * module while holding its own locks.
 *
 * Two publishers must not share a persist_dir (Paho does not lock it); a
 * lock file taken with flock(2) turns that mistake into a start-up error.
 */
#include "publisher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "cond.h"
#include "log.h"
#include "mqttauth.h"
#include "util.h"

/* The MQTT limit on a PUBLISH packet's remaining length, less room for the
 * topic and properties. */
#define PUBLISHER_PAYLOAD_MAX (256u * 1024 * 1024 - 65536)
#define PUBLISHER_TOPIC_MAX 65535

struct pub_msg {
	struct publisher *p;
	publisher_done_fn on_done;
	void *arg;
	struct pub_msg *prev, *next;
};

struct publisher {
	MQTTAsync client;
	/* Paho keeps pointers to some connect options (user name, password)
	 * for automatic reconnects, so the strings live here. */
	char *uri;
	char *client_id;
	char *username;
	char *password;
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *persist_dir;
	char *status_topic;
	int keepalive_s;
	int max_buffered;
	int session_expiry_s;
	int retry_max_s;
	int lock_fd;
	int restored;

	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct pub_msg *pending;
	struct publisher_stats st;
	int reject_logged;
	int connect_failed_logged;
};

/* Paho's trace callback is global, not per client. */
static atomic_ulong publisher_paho_errors;

static void
publisher_trace(enum MQTTASYNC_TRACE_LEVELS level, char *message)
{
	/* Paho prints a banner at a lower level when tracing starts. */
	if (level < MQTTASYNC_TRACE_ERROR)
		return;
	atomic_fetch_add(&publisher_paho_errors, 1);
	log_warnx("publisher: paho: %s", message);
}

/* Publishes the retained status without tracking it: a lost status update
 * is repaired by the next connect, and it must not count as an event. */
static void
publisher_status(struct publisher *p, const char *state)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	if (p->status_topic == NULL)
		return;
	msg.payload = (void *)(uintptr_t)state;
	msg.payloadlen = (int)strlen(state);
	msg.qos = 1;
	msg.retained = 1;
	if ((rc = MQTTAsync_sendMessage(p->client, p->status_topic, &msg,
	    &ro)) != MQTTASYNC_SUCCESS)
		log_warnx("publisher: status %s not sent: %s", state,
		    MQTTAsync_strerror(rc));
}

static void
publisher_on_connected(void *ctx, char *cause)
{
	struct publisher *p = ctx;

	pthread_mutex_lock(&p->mtx);
	p->st.connected = 1;
	p->st.connects++;
	p->connect_failed_logged = 0;
	pthread_mutex_unlock(&p->mtx);
	log_info("publisher: connected uri=%s client_id=%s (%s)", p->uri,
	    p->client_id, cause != NULL ? cause : "connect");
	publisher_status(p, "online");
}

static void
publisher_on_lost(void *ctx, char *cause)
{
	struct publisher *p = ctx;

	pthread_mutex_lock(&p->mtx);
	p->st.connected = 0;
	p->st.lost++;
	pthread_mutex_unlock(&p->mtx);
	log_warnx("publisher: connection lost uri=%s (%s); reconnecting",
	    p->uri, cause != NULL ? cause : "no reason given");
}

static int
publisher_on_message(void *ctx, char *topic, int topiclen,
    MQTTAsync_message *m)
{
	/* A publisher subscribes to nothing; Paho requires the callback. */
	(void)ctx;
	(void)topiclen;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void
publisher_connect_ok(void *ctx, MQTTAsync_successData5 *r)
{
	(void)ctx;
	log_debug("publisher: connect done session_present=%d",
	    r != NULL ? r->alt.connect.sessionPresent : -1);
}

static void
publisher_connect_fail(void *ctx, MQTTAsync_failureData5 *r)
{
	struct publisher *p = ctx;
	int first;

	pthread_mutex_lock(&p->mtx);
	first = !p->connect_failed_logged;
	p->connect_failed_logged = 1;
	pthread_mutex_unlock(&p->mtx);
	/* Logged once per outage; Paho keeps retrying with backoff. */
	if (first)
		log_warnx("publisher: cannot connect uri=%s: %s (code %d, "
		    "reason %d); retrying", p->uri,
		    r != NULL && r->message != NULL ? r->message : "",
		    r != NULL ? r->code : 0, r != NULL ? (int)r->reasonCode : 0);
}

/* Unlinks m, runs its on_done, then lets publisher_flush() see the count
 * drop, so that a flush that returned 0 implies every on_done returned. */
static void
publisher_done(struct pub_msg *m, int ok)
{
	struct publisher *p = m->p;

	pthread_mutex_lock(&p->mtx);
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		p->pending = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	if (ok)
		p->st.acked++;
	else
		p->st.failed++;
	pthread_mutex_unlock(&p->mtx);

	if (m->on_done != NULL)
		m->on_done(m->arg, ok);

	pthread_mutex_lock(&p->mtx);
	p->st.inflight--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	free(m);
}

static void
publisher_pub_ok(void *ctx, MQTTAsync_successData5 *r)
{
	struct pub_msg *m = ctx;

	/* A PUBACK can carry a failure reason (0x80 and above, e.g.
	 * "not authorized" from the broker's ACL). */
	if (r != NULL && (int)r->reasonCode >= 0x80) {
		log_warnx("publisher: broker refused message reason=%d (%s)",
		    (int)r->reasonCode, MQTTReasonCode_toString(r->reasonCode));
		publisher_done(m, 0);
		return;
	}
	publisher_done(m, 1);
}

static void
publisher_pub_fail(void *ctx, MQTTAsync_failureData5 *r)
{
	struct pub_msg *m = ctx;

	/* MQTTAsync_destroy() fails what it discards with "operation
	 * incomplete"; publisher_free() has already said how many. */
	if (r != NULL && r->code == MQTTASYNC_OPERATION_INCOMPLETE) {
		publisher_done(m, 0);
		return;
	}
	log_warnx("publisher: message failed code=%d reason=%d (%s)",
	    r != NULL ? r->code : 0, r != NULL ? (int)r->reasonCode : 0,
	    r != NULL && r->message != NULL ? r->message :
	    r != NULL ? MQTTReasonCode_toString(r->reasonCode) : "");
	publisher_done(m, 0);
}

static int
publisher_pending_tokens(struct publisher *p)
{
	MQTTAsync_token *tokens = NULL;
	int n = 0;

	if (MQTTAsync_getPendingTokens(p->client, &tokens) !=
	    MQTTASYNC_SUCCESS)
		return -1;
	if (tokens != NULL) {
		while (tokens[n] != -1)
			n++;
		MQTTAsync_free(tokens);
	}
	return n;
}

static int
publisher_lock(struct publisher *p)
{
	char *lock = xasprintf("%s/.lock", p->persist_dir);
	int rv = -1;

	if ((p->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("publisher: open %s", lock);
		goto out;
	}
	if (flock(p->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_warnx("publisher: %s is in use by another process "
			    "(two adapters with one state_dir?)", p->persist_dir);
		else
			log_warn("publisher: flock %s", lock);
		goto out;
	}
	rv = 0;
out:
	free(lock);
	return rv;
}

static int
publisher_connect(struct publisher *p)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	MQTTProperties props = MQTTProperties_initializer;
	struct mqtt_auth auth;
	MQTTProperty prop;
	int rc;

	prop.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
	prop.value.integer4 = (unsigned int)p->session_expiry_s;
	if (MQTTProperties_add(&props, &prop) != 0)
		fatalx("publisher: cannot build connect properties");
	co.keepAliveInterval = p->keepalive_s;
	co.cleansession = 0; /* must stay 0 with MQTT v5 */
	co.cleanstart = 0;
	co.MQTTVersion = MQTTVERSION_5;
	co.connectProperties = &props;
	co.automaticReconnect = 1;
	co.minRetryInterval = 1;
	co.maxRetryInterval = p->retry_max_s;
	co.connectTimeout = 10;
	auth.uri = p->uri;
	auth.username = p->username;
	auth.password = p->password;
	auth.ca_file = p->ca_file;
	auth.cert_file = p->cert_file;
	auth.key_file = p->key_file;
	mqtt_auth_apply(&auth, &co, &ssl);
	co.onSuccess5 = publisher_connect_ok;
	co.onFailure5 = publisher_connect_fail;
	co.context = p;
	if (p->status_topic != NULL) {
		will.topicName = p->status_topic;
		will.message = "offline";
		will.retained = 1;
		will.qos = 1;
		co.will = &will;
	}
	rc = MQTTAsync_connect(p->client, &co);
	MQTTProperties_free(&props);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("publisher: connect %s: %s", p->uri,
		    MQTTAsync_strerror(rc));
		return -1;
	}
	return 0;
}

struct publisher *
publisher_new(const struct publisher_config *cfg)
{
	MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer5;
	struct publisher *p;
	int rc;

	if (cfg->uri == NULL || *cfg->uri == '\0' || cfg->client_id == NULL ||
	    *cfg->client_id == '\0' || strlen(cfg->client_id) > 128) {
		log_warnx("publisher: uri and client_id (up to 128 chars) are "
		    "required");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->lock_fd = -1;
	p->uri = xstrdup(cfg->uri);
	p->client_id = xstrdup(cfg->client_id);
	if (cfg->username != NULL && *cfg->username != '\0')
		p->username = xstrdup(cfg->username);
	if (cfg->password != NULL && *cfg->password != '\0')
		p->password = xstrdup(cfg->password);
	p->ca_file = xstrdup_or_null(cfg->ca_file);
	p->cert_file = xstrdup_or_null(cfg->cert_file);
	p->key_file = xstrdup_or_null(cfg->key_file);
	if (cfg->persist_dir != NULL && *cfg->persist_dir != '\0')
		p->persist_dir = xstrdup(cfg->persist_dir);
	if (cfg->status_topic != NULL)
		p->status_topic = xstrdup(cfg->status_topic);
	p->keepalive_s = cfg->keepalive_s > 0 ? cfg->keepalive_s : 30;
	p->max_buffered = cfg->max_buffered > 0 ? cfg->max_buffered : 10000;
	p->session_expiry_s = cfg->session_expiry_s > 0 ?
	    cfg->session_expiry_s : 86400;
	p->retry_max_s = cfg->retry_max_s > 0 ? cfg->retry_max_s : 30;
	pthread_mutex_init(&p->mtx, NULL);
	cond_init_mono(&p->cond);

	MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
	MQTTAsync_setTraceCallback(publisher_trace);

	/* All of the persistence directory's path: Paho creates only the
	 * last level, <client id>-<host>-<port>, inside it. */
	if (p->persist_dir != NULL &&
	    (mkdir_p(p->persist_dir, "publisher") == -1 ||
	    publisher_lock(p) == -1))
		goto fail;

	cr.sendWhileDisconnected = 1;
	cr.allowDisconnectedSendAtAnyTime = 1;
	cr.maxBufferedMessages = p->max_buffered;
	cr.deleteOldestMessages = 0;
	cr.restoreMessages = 1;
	cr.persistQoS0 = 0;
	cr.MQTTVersion = MQTTVERSION_5;
	rc = MQTTAsync_createWithOptions(&p->client, p->uri, p->client_id,
	    p->persist_dir != NULL ? MQTTCLIENT_PERSISTENCE_DEFAULT :
	    MQTTCLIENT_PERSISTENCE_NONE, p->persist_dir, &cr);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("publisher: cannot create client uri=%s "
		    "persist_dir=%s: %s", p->uri,
		    p->persist_dir ? p->persist_dir : "(none)",
		    MQTTAsync_strerror(rc));
		p->client = NULL;
		goto fail;
	}
	if (MQTTAsync_setCallbacks(p->client, p, publisher_on_lost,
	    publisher_on_message, NULL) != MQTTASYNC_SUCCESS ||
	    MQTTAsync_setConnected(p->client, p, publisher_on_connected) !=
	    MQTTASYNC_SUCCESS)
		fatalx("publisher: cannot set callbacks");
	if ((p->restored = publisher_pending_tokens(p)) > 0)
		log_info("publisher: %d message(s) from an earlier run restored "
		    "from %s; they are sent after connecting", p->restored,
		    p->persist_dir);
	if (p->restored < 0)
		p->restored = 0;
	if (publisher_connect(p) == -1)
		goto fail;
	return p;
fail:
	publisher_free(p, 0);
	return NULL;
}

int
publisher_publish(struct publisher *p, const char *topic, const void *payload,
    size_t len, int qos, publisher_done_fn on_done, void *arg)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	struct pub_msg *m;
	int rc, log_it;

	if (topic == NULL || *topic == '\0' ||
	    strnlen(topic, PUBLISHER_TOPIC_MAX + 1) > PUBLISHER_TOPIC_MAX ||
	    strpbrk(topic, "+#") != NULL || qos < 0 || qos > 2 ||
	    len > PUBLISHER_PAYLOAD_MAX || (payload == NULL && len > 0)) {
		log_warnx("publisher: refusing bad message topic=%s len=%zu "
		    "qos=%d", topic != NULL ? topic : "(null)", len, qos);
		pthread_mutex_lock(&p->mtx);
		p->st.rejected++;
		pthread_mutex_unlock(&p->mtx);
		return -1;
	}
	m = xcalloc(1, sizeof(*m));
	m->p = p;
	m->on_done = on_done;
	m->arg = arg;

	/* Linked and counted before Paho sees it: the callback can run on
	 * Paho's thread before MQTTAsync_sendMessage() returns here. */
	pthread_mutex_lock(&p->mtx);
	m->next = p->pending;
	if (p->pending != NULL)
		p->pending->prev = m;
	p->pending = m;
	p->st.inflight++;
	pthread_mutex_unlock(&p->mtx);

	msg.payload = (void *)(uintptr_t)payload;
	msg.payloadlen = (int)len;
	msg.qos = qos;
	msg.retained = 0;
	ro.onSuccess5 = publisher_pub_ok;
	ro.onFailure5 = publisher_pub_fail;
	ro.context = m;
	rc = MQTTAsync_sendMessage(p->client, topic, &msg, &ro);

	pthread_mutex_lock(&p->mtx);
	if (rc == MQTTASYNC_SUCCESS) {
		p->st.published++;
		p->reject_logged = 0;
		pthread_mutex_unlock(&p->mtx);
		return 0;
	}
	/* Not queued: Paho will not call back for it. */
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		p->pending = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	p->st.inflight--;
	p->st.rejected++;
	log_it = !p->reject_logged;
	p->reject_logged = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	free(m);
	if (log_it)
		log_warnx("publisher: message not accepted topic=%s: %s%s",
		    topic, MQTTAsync_strerror(rc),
		    rc == MQTTASYNC_MAX_BUFFERED_MESSAGES ?
		    " (buffer full: raise [mqtt] max_buffered or wait for the "
		    "broker)" : "");
	return -1;
}

int
publisher_flush(struct publisher *p, int64_t timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	uint64_t inflight;

	for (;;) {
		pthread_mutex_lock(&p->mtx);
		inflight = p->st.inflight;
		pthread_mutex_unlock(&p->mtx);
		/* Messages restored from an earlier run have no on_done
		 * context; only Paho knows whether they are done. */
		if (inflight == 0 && publisher_pending_tokens(p) == 0)
			return 0;
		if (clock_mono_ms() >= deadline)
			return -1;
		/* Woken by publisher_done(); the 20 ms cap is for the
		 * restored messages, which nobody signals. */
		pthread_mutex_lock(&p->mtx);
		if (p->st.inflight == inflight)
			cond_wait_ms(&p->cond, &p->mtx, 20);
		pthread_mutex_unlock(&p->mtx);
	}
}

int
publisher_restored(const struct publisher *p)
{
	return p->restored;
}

int
publisher_connected(const struct publisher *p)
{
	struct publisher *q = (struct publisher *)(uintptr_t)p;
	int c;

	pthread_mutex_lock(&q->mtx);
	c = q->st.connected;
	pthread_mutex_unlock(&q->mtx);
	return c;
}

void
publisher_stats(const struct publisher *p, struct publisher_stats *st)
{
	struct publisher *q = (struct publisher *)(uintptr_t)p;

	pthread_mutex_lock(&q->mtx);
	*st = q->st;
	pthread_mutex_unlock(&q->mtx);
	st->paho_errors = atomic_load(&publisher_paho_errors);
}

void
publisher_free(struct publisher *p, int64_t timeout_ms)
{
	MQTTAsync_disconnectOptions dc = MQTTAsync_disconnectOptions_initializer5;
	struct pub_msg *m;
	int64_t deadline;

	if (p == NULL)
		return;
	if (p->client != NULL) {
		if (publisher_flush(p, timeout_ms) == -1) {
			uint64_t n;

			pthread_mutex_lock(&p->mtx);
			n = p->st.inflight;
			pthread_mutex_unlock(&p->mtx);
			log_warnx("publisher: %llu message(s) unacknowledged at "
			    "shutdown; %s", (unsigned long long)n,
			    p->persist_dir != NULL ?
			    "they stay persisted and go out on the next start" :
			    "without persist_dir they are lost");
		}
		if (MQTTAsync_isConnected(p->client)) {
			publisher_status(p, "offline");
			/* Give the status message a moment to go out. */
			deadline = clock_mono_ms() + 1000;
			while (clock_mono_ms() < deadline &&
			    publisher_pending_tokens(p) > 0 &&
			    MQTTAsync_isConnected(p->client)) {
				struct timespec nap = { 0, 10 * 1000000L };

				nanosleep(&nap, NULL);
			}
			dc.timeout = 1000;
			if (MQTTAsync_disconnect(p->client, &dc) ==
			    MQTTASYNC_SUCCESS) {
				deadline = clock_mono_ms() + 2000;
				while (MQTTAsync_isConnected(p->client) &&
				    clock_mono_ms() < deadline) {
					struct timespec nap = { 0, 10000000L };

					nanosleep(&nap, NULL);
				}
			}
		}
		/* Reports discarded commands through onFailure5; their
		 * persisted copies stay on disk. */
		MQTTAsync_destroy(&p->client);
	}
	/* Anything Paho did not report gets its on_done now. */
	while ((m = p->pending) != NULL)
		publisher_done(m, 0);
	if (p->lock_fd != -1)
		close(p->lock_fd);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p->uri);
	free(p->client_id);
	free(p->username);
	free(p->password);
	free(p->ca_file);
	free(p->cert_file);
	free(p->key_file);
	free(p->persist_dir);
	free(p->status_topic);
	free(p);
}
