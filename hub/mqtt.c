/*
 * mqtt: see mqtt.h.
 *
 * State shared between Paho's threads and ours is a few flags behind one
 * mutex. Connect attempts are started only from mqtt_tick(), so backoff and
 * pausing live in one place; Paho's own automatic reconnect is off because
 * it would fight mqtt_pause().
 */
#include "mqtt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "log.h"
#include "mqttauth.h"
#include "util.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 4000

struct mqtt {
	MQTTAsync client;
	struct mqtt_opts o; /* strings are our own copies */
	mqtt_message_fn on_message;
	void *arg;
	char **filters;
	size_t nfilters;

	pthread_mutex_t lock;
	int connected, connecting, paused, stopping;
	int64_t next_attempt_ms, backoff_ms;
	int failures; /* consecutive failed connects, for logging once */
};

struct publish_ctx {
	mqtt_done_fn done;
	void *arg;
};

static void
mqtt_set(struct mqtt *m, int *field, int value)
{
	pthread_mutex_lock(&m->lock);
	*field = value;
	pthread_mutex_unlock(&m->lock);
}

/*
 * The request/response properties of msg. Paho keeps strings with a
 * length and without a NUL, so the response topic is copied into *rt
 * (freed by the caller).
 */
static void
msg_props(MQTTAsync_message *msg, struct mqtt_msg_props *p, char **rt)
{
	MQTTProperty *q;

	memset(p, 0, sizeof(*p));
	*rt = NULL;
	q = MQTTProperties_getProperty(&msg->properties,
	    MQTTPROPERTY_CODE_RESPONSE_TOPIC);
	if (q != NULL && q->value.data.len > 0 && q->value.data.data != NULL &&
	    memchr(q->value.data.data, '\0', (size_t)q->value.data.len) ==
	    NULL) {
		*rt = xstrndup(q->value.data.data, (size_t)q->value.data.len);
		p->response_topic = *rt;
	}
	q = MQTTProperties_getProperty(&msg->properties,
	    MQTTPROPERTY_CODE_CORRELATION_DATA);
	if (q != NULL && q->value.data.data != NULL) {
		p->correlation = q->value.data.data;
		p->correlation_len = (size_t)q->value.data.len;
	}
}

static int
on_arrived(void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct mqtt *m = context;
	struct mqtt_msg_props props;
	char *t = topic, *rt;

	if (topic_len > 0 && topic[topic_len - 1] != '\0' &&
	    strlen(topic) != (size_t)topic_len) {
		/* Paho gives a length when the topic has embedded NULs. */
		t = xstrndup(topic, (size_t)topic_len);
	}
	msg_props(msg, &props, &rt);
	m->on_message(m->arg, t, msg->payload, (size_t)msg->payloadlen,
	    &props);
	free(rt);
	if (t != topic)
		free(t);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1; /* always: see mqtt.h and DESIGN.md "Paho C acks on return" */
}

static void
on_lost(void *context, char *cause)
{
	struct mqtt *m = context;

	pthread_mutex_lock(&m->lock);
	m->connected = 0;
	m->connecting = 0;
	m->next_attempt_ms = clock_mono_ms() + BACKOFF_MIN_MS;
	pthread_mutex_unlock(&m->lock);
	if (!m->stopping)
		log_warnx("mqtt: connection lost uri=%s cause=\"%s\"",
		    m->o.uri, cause != NULL ? cause : "unknown");
}

static void
on_subscribed(void *context, MQTTAsync_successData5 *r)
{
	(void)context;
	if (r->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR)
		log_warnx("mqtt: subscription refused reason=%s",
		    MQTTReasonCode_toString(r->reasonCode));
}

static void
on_subscribe_failed(void *context, MQTTAsync_failureData5 *r)
{
	(void)context;
	log_warnx("mqtt: subscribe failed reason=%s",
	    r != NULL ? MQTTReasonCode_toString(r->reasonCode) : "unknown");
}

static void
publish_status(struct mqtt *m, const char *status)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	if (m->o.status_topic == NULL)
		return;
	msg.payload = (void *)(uintptr_t)status;
	msg.payloadlen = (int)strlen(status);
	msg.qos = 1;
	msg.retained = 1;
	MQTTAsync_sendMessage(m->client, m->o.status_topic, &msg, &ro);
}

static void
on_connect_ok(void *context, MQTTAsync_successData5 *r)
{
	struct mqtt *m = context;
	size_t i;

	pthread_mutex_lock(&m->lock);
	m->connected = 1;
	m->connecting = 0;
	m->backoff_ms = BACKOFF_MIN_MS;
	pthread_mutex_unlock(&m->lock);
	log_info("mqtt: connected uri=%s client_id=%s session_present=%d",
	    m->o.uri, m->o.client_id, r != NULL ? r->alt.connect.sessionPresent
	    : -1);
	m->failures = 0;
	for (i = 0; i < m->nfilters; i++) {
		MQTTAsync_responseOptions ro =
		    MQTTAsync_responseOptions_initializer;
		MQTTSubscribe_options so = MQTTSubscribe_options_initializer;
		int rc;

		ro.onSuccess5 = on_subscribed;
		ro.onFailure5 = on_subscribe_failed;
		ro.context = m;
		ro.subscribeOptions = so;
		rc = MQTTAsync_subscribe(m->client, m->filters[i], 1, &ro);
		if (rc != MQTTASYNC_SUCCESS)
			log_warnx("mqtt: subscribe %s failed rc=%d",
			    m->filters[i], rc);
	}
	publish_status(m, "online");
}

static void
on_connect_failed(void *context, MQTTAsync_failureData5 *r)
{
	struct mqtt *m = context;
	int refusal;

	pthread_mutex_lock(&m->lock);
	m->connecting = 0;
	m->next_attempt_ms = clock_mono_ms() + m->backoff_ms;
	m->backoff_ms = m->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    m->backoff_ms * 2;
	pthread_mutex_unlock(&m->lock);
	/* The broker's refusal (e.g. Not authorized) says more than Paho's
	 * message ("CONNACK return code"); Paho passes it as a positive code
	 * (its own errors are negative). */
	refusal = r == NULL ? 0 : r->reasonCode != 0 ? (int)r->reasonCode :
	    r->code > 0 ? r->code : 0;
	if (m->failures++ == 0)
		log_warnx("mqtt: cannot connect uri=%s reason=%s%s%s (retrying "
		    "with backoff)", m->o.uri, r != NULL && r->message != NULL ?
		    r->message : "unknown", refusal != 0 ? ": " : "",
		    refusal != 0 ? MQTTReasonCode_toString(
		    (enum MQTTReasonCodes)refusal) : "");
}

struct mqtt *
mqtt_new(const struct mqtt_opts *o, mqtt_message_fn fn, void *arg)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	struct mqtt *m = xcalloc(1, sizeof(*m));
	int rc;

	m->o = *o;
	m->o.uri = xstrdup(o->uri);
	m->o.client_id = xstrdup(o->client_id);
	m->o.username = xstrdup_or_null(o->username);
	m->o.password = xstrdup_or_null(o->password);
	m->o.status_topic = xstrdup_or_null(o->status_topic);
	m->o.ca_file = xstrdup_or_null(o->ca_file);
	m->o.cert_file = xstrdup_or_null(o->cert_file);
	m->o.key_file = xstrdup_or_null(o->key_file);
	m->on_message = fn;
	m->arg = arg;
	m->backoff_ms = BACKOFF_MIN_MS;
	pthread_mutex_init(&m->lock, NULL);

	/*
	 * The hub needs no Paho persistence: what it receives is journaled
	 * by us, what it publishes (its status, answers to case commands)
	 * is answered again if lost; the outbox has its own connection
	 * (relaylink.h). maxBufferedMessages applies while connected too.
	 */
	co.sendWhileDisconnected = 0;
	co.maxBufferedMessages = o->max_inflight > 0 ? o->max_inflight * 2 :
	    10000;
	mqtt_trace_errors();
	rc = MQTTAsync_createWithOptions(&m->client, m->o.uri, m->o.client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS)
		fatalx("mqtt: cannot create client uri=%s rc=%d", m->o.uri,
		    rc);
	rc = MQTTAsync_setCallbacks(m->client, m, on_lost, on_arrived, NULL);
	if (rc != MQTTASYNC_SUCCESS)
		fatalx("mqtt: cannot set callbacks rc=%d", rc);
	return m;
}

void
mqtt_free(struct mqtt *m)
{
	size_t i;

	if (m == NULL)
		return;
	MQTTAsync_destroy(&m->client);
	for (i = 0; i < m->nfilters; i++)
		free(m->filters[i]);
	free(m->filters);
	free((char *)(uintptr_t)m->o.uri);
	free((char *)(uintptr_t)m->o.client_id);
	free((char *)(uintptr_t)m->o.username);
	free((char *)(uintptr_t)m->o.password);
	free((char *)(uintptr_t)m->o.status_topic);
	free((char *)(uintptr_t)m->o.ca_file);
	free((char *)(uintptr_t)m->o.cert_file);
	free((char *)(uintptr_t)m->o.key_file);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int
mqtt_subscribe(struct mqtt *m, const char *filter)
{
	m->filters = xrealloc(m->filters, (m->nfilters + 1) *
	    sizeof(*m->filters));
	m->filters[m->nfilters++] = xstrdup(filter);
	return 0;
}

static void
mqtt_connect(struct mqtt *m)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	struct mqtt_auth auth;
	MQTTProperties props = MQTTProperties_initializer;
	MQTTProperty p;
	int rc;

	co.keepAliveInterval = m->o.keepalive_s;
	co.cleansession = 0; /* must stay 0 with v5 */
	co.cleanstart = 0;   /* keep the session: the broker queues for us */
	co.maxInflight = m->o.max_inflight > 0 ? m->o.max_inflight : 1000;
	co.connectTimeout = 10;
	co.automaticReconnect = 0;
	co.onSuccess5 = on_connect_ok;
	co.onFailure5 = on_connect_failed;
	co.context = m;
	p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
	p.value.integer4 = (unsigned int)m->o.session_expiry_s;
	MQTTProperties_add(&props, &p);
	if (m->o.receive_max > 0) {
		p.identifier = MQTTPROPERTY_CODE_RECEIVE_MAXIMUM;
		p.value.integer2 = (unsigned short)m->o.receive_max;
		MQTTProperties_add(&props, &p);
	}
	co.connectProperties = &props;
	if (m->o.status_topic != NULL) {
		will.topicName = m->o.status_topic;
		will.message = "offline";
		will.retained = 1;
		will.qos = 1;
		co.will = &will;
	}
	auth.uri = m->o.uri;
	auth.username = m->o.username;
	auth.password = m->o.password;
	auth.ca_file = m->o.ca_file;
	auth.cert_file = m->o.cert_file;
	auth.key_file = m->o.key_file;
	mqtt_auth_apply(&auth, &co, &ssl);
	rc = MQTTAsync_connect(m->client, &co);
	MQTTProperties_free(&props);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("mqtt: connect could not start uri=%s rc=%d",
		    m->o.uri, rc);
		pthread_mutex_lock(&m->lock);
		m->connecting = 0;
		m->next_attempt_ms = clock_mono_ms() + BACKOFF_MAX_MS;
		pthread_mutex_unlock(&m->lock);
	}
}

void
mqtt_tick(struct mqtt *m, int64_t now_ms)
{
	int go;

	pthread_mutex_lock(&m->lock);
	go = !m->connected && !m->connecting && !m->paused && !m->stopping &&
	    now_ms >= m->next_attempt_ms;
	if (go)
		m->connecting = 1;
	pthread_mutex_unlock(&m->lock);
	if (go)
		mqtt_connect(m);
}

int
mqtt_is_connected(const struct mqtt *m)
{
	int c;

	pthread_mutex_lock((pthread_mutex_t *)(uintptr_t)&m->lock);
	c = m->connected;
	pthread_mutex_unlock((pthread_mutex_t *)(uintptr_t)&m->lock);
	return c;
}

int
mqtt_is_paused(const struct mqtt *m)
{
	int p;

	pthread_mutex_lock((pthread_mutex_t *)(uintptr_t)&m->lock);
	p = m->paused;
	pthread_mutex_unlock((pthread_mutex_t *)(uintptr_t)&m->lock);
	return p;
}

int
mqtt_pause(struct mqtt *m)
{
	MQTTAsync_disconnectOptions dopts =
	    MQTTAsync_disconnectOptions_initializer5;
	int was;

	pthread_mutex_lock(&m->lock);
	was = m->connected;
	m->paused = 1;
	pthread_mutex_unlock(&m->lock);
	if (!was)
		return 0;
	dopts.timeout = 1000;
	if (MQTTAsync_disconnect(m->client, &dopts) != MQTTASYNC_SUCCESS)
		return -1;
	mqtt_set(m, &m->connected, 0);
	return 0;
}

void
mqtt_resume(struct mqtt *m)
{
	pthread_mutex_lock(&m->lock);
	m->paused = 0;
	m->next_attempt_ms = 0;
	pthread_mutex_unlock(&m->lock);
}

static void
on_published(void *context, MQTTAsync_successData5 *r)
{
	struct publish_ctx *pc = context;
	int ok = r == NULL || r->reasonCode < MQTTREASONCODE_UNSPECIFIED_ERROR;

	pc->done(pc->arg, ok);
	free(pc);
}

static void
on_publish_failed(void *context, MQTTAsync_failureData5 *r)
{
	struct publish_ctx *pc = context;

	(void)r;
	pc->done(pc->arg, 0);
	free(pc);
}

int
mqtt_publish_response(struct mqtt *m, const char *topic, const void *payload,
    size_t len, const void *correlation, size_t correlation_len,
    mqtt_done_fn done, void *arg)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTProperties props = MQTTProperties_initializer;
	MQTTProperty p;
	struct publish_ctx *pc;
	int rc;

	if (!mqtt_is_connected(m) || len > INT32_MAX ||
	    correlation_len > 65535)
		return -1;
	if (correlation != NULL) {
		memset(&p, 0, sizeof(p));
		p.identifier = MQTTPROPERTY_CODE_CORRELATION_DATA;
		p.value.data.data = (char *)(uintptr_t)correlation;
		p.value.data.len = (int)correlation_len;
		/* Paho copies the bytes; props owns the copy. */
		if (MQTTProperties_add(&props, &p) != 0) {
			MQTTProperties_free(&props);
			return -1;
		}
	}
	pc = xmalloc(sizeof(*pc));
	pc->done = done;
	pc->arg = arg;
	msg.payload = (void *)(uintptr_t)payload;
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = 0;
	msg.properties = props;
	ro.onSuccess5 = on_published;
	ro.onFailure5 = on_publish_failed;
	ro.context = pc;
	/* MQTTAsync_sendMessage() takes a copy of the properties. */
	rc = MQTTAsync_sendMessage(m->client, topic, &msg, &ro);
	MQTTProperties_free(&props);
	if (rc != MQTTASYNC_SUCCESS) {
		free(pc);
		return -1;
	}
	return 0;
}

void
mqtt_stop(struct mqtt *m, int timeout_ms)
{
	MQTTAsync_disconnectOptions dopts =
	    MQTTAsync_disconnectOptions_initializer5;
	int64_t until = clock_mono_ms() + timeout_ms;

	mqtt_set(m, &m->stopping, 1);
	if (!mqtt_is_connected(m))
		return;
	publish_status(m, "offline");
	dopts.timeout = timeout_ms;
	MQTTAsync_disconnect(m->client, &dopts);
	while (MQTTAsync_isConnected(m->client) && clock_mono_ms() < until)
		usleep(10000);
	mqtt_set(m, &m->connected, 0);
}
