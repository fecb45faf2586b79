/*
 * mqttpub: see mqttpub.h.
 *
 * Paho's asynchronous client calls back on its own thread; each blocking
 * call here starts an operation and waits on a condition variable until
 * its callback has set the outcome, or the timeout has passed. A callback
 * that arrives after the timeout finds the operation abandoned (its
 * generation number moved on) and changes nothing. The contexts handed to
 * Paho live until mqttpub_close(), where MQTTAsync_destroy() runs first:
 * after it Paho calls nothing of ours.
 */
#include "mqttpub.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "cond.h"
#include "mqttauth.h"
#include "util.h"

#define MQTTPUB_ERR_MAX 256

enum op_state { OP_IDLE, OP_WAITING, OP_OK, OP_FAILED };

struct mqttpub {
	MQTTAsync client;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	int64_t timeout_ms;
	enum op_state state;
	unsigned gen;       /* operation the pending callback belongs to */
	int lost;           /* the connection dropped */
	char why[MQTTPUB_ERR_MAX];
	struct op *ops;     /* every context handed to Paho */
};

/* The context of one operation's callbacks. */
struct op {
	struct mqttpub *m;
	unsigned gen;
	struct op *next;
};

static void
op_finish(struct op *op, enum op_state st, int code, int reason,
    const char *msg)
{
	struct mqttpub *m = op->m;

	pthread_mutex_lock(&m->mtx);
	if (m->gen == op->gen && m->state == OP_WAITING) {
		m->state = st;
		if (st == OP_FAILED) {
			if (reason >= MQTTREASONCODE_UNSPECIFIED_ERROR)
				snprintf(m->why, sizeof(m->why), "%s "
				    "(reason code 0x%02x)",
				    MQTTReasonCode_toString(
				    (enum MQTTReasonCodes)reason), reason);
			else if (msg != NULL)
				snprintf(m->why, sizeof(m->why), "%s", msg);
			else
				snprintf(m->why, sizeof(m->why), "%s",
				    MQTTAsync_strerror(code));
		}
		pthread_cond_broadcast(&m->cv);
	}
	pthread_mutex_unlock(&m->mtx);
}

static void
on_success(void *context, MQTTAsync_successData5 *resp)
{
	(void)resp;
	op_finish(context, OP_OK, 0, 0, NULL);
}

static void
on_failure(void *context, MQTTAsync_failureData5 *resp)
{
	op_finish(context, OP_FAILED, resp != NULL ? resp->code : 0,
	    resp != NULL ? (int)resp->reasonCode : 0,
	    resp != NULL ? resp->message : NULL);
}

static void
on_lost(void *context, char *cause)
{
	struct mqttpub *m = context;

	pthread_mutex_lock(&m->mtx);
	m->lost = 1;
	if (m->state == OP_WAITING) {
		m->state = OP_FAILED;
		snprintf(m->why, sizeof(m->why), "connection lost%s%s",
		    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	}
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mtx);
	free(cause);
}

/* Paho wants an arrival callback even from a client that only sends. */
static int
on_message(void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
	(void)context;
	(void)topic_len;
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

/*
 * Opens a new operation and returns the context for its callbacks. Called
 * before the operation is started.
 */
static struct op *
op_begin(struct mqttpub *m)
{
	struct op *op = xcalloc(1, sizeof(*op));

	pthread_mutex_lock(&m->mtx);
	m->gen++;
	m->state = OP_WAITING;
	m->why[0] = '\0';
	op->m = m;
	op->gen = m->gen;
	op->next = m->ops;
	m->ops = op;
	pthread_mutex_unlock(&m->mtx);
	return op;
}

/* Abandons the open operation (it could not even be started). */
static void
op_abandon(struct mqttpub *m)
{
	pthread_mutex_lock(&m->mtx);
	m->state = OP_IDLE;
	m->gen++;
	pthread_mutex_unlock(&m->mtx);
}

/*
 * Waits for the operation's outcome. Returns 0 on success, -1 with err
 * filled (what: why). Afterwards the operation is over either way.
 */
static int
op_wait(struct mqttpub *m, const char *what, char *err, size_t errlen)
{
	struct timespec ts;
	enum op_state st;
	int rc;

	cond_deadline(&ts, m->timeout_ms);
	pthread_mutex_lock(&m->mtx);
	rc = 0;
	while (m->state == OP_WAITING && rc == 0)
		rc = pthread_cond_timedwait(&m->cv, &m->mtx, &ts);
	st = m->state;
	if (st == OP_WAITING)
		snprintf(err, errlen, "%s: no answer from the broker within "
		    "%lld ms", what, (long long)m->timeout_ms);
	else if (st == OP_FAILED)
		snprintf(err, errlen, "%s: %s", what, m->why);
	m->state = OP_IDLE;
	m->gen++; /* a late callback of this operation changes nothing */
	pthread_mutex_unlock(&m->mtx);
	return st == OP_OK ? 0 : -1;
}

struct mqttpub *
mqttpub_open(const struct mqttpub_config *cfg, char *err, size_t errlen)
{
	MQTTAsync_createOptions cro = MQTTAsync_createOptions_initializer5;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	struct mqttpub *m;
	char host[64], id[128];
	int rc;

	m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->mtx, NULL);
	cond_init_mono(&m->cv);
	m->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	if (gethostname(host, sizeof(host)) != 0)
		strlcpy_s(host, "host", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	snprintf(id, sizeof(id), "%s-%s-%ld", cfg->id_prefix, host,
	    (long)getpid());
	mqtt_trace_errors();
	rc = MQTTAsync_createWithOptions(&m->client, cfg->auth.uri, id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &cro);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "cannot use broker URI %s: %s",
		    cfg->auth.uri, MQTTAsync_strerror(rc));
		m->client = NULL;
		goto fail;
	}
	rc = MQTTAsync_setCallbacks(m->client, m, on_lost, on_message, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "cannot set MQTT callbacks: %s",
		    MQTTAsync_strerror(rc));
		goto fail;
	}
	co.keepAliveInterval = 30;
	co.cleanstart = 1;
	co.connectTimeout = (int)((m->timeout_ms + 999) / 1000);
	co.automaticReconnect = 0;
	co.onSuccess5 = on_success;
	co.onFailure5 = on_failure;
	mqtt_auth_apply(&cfg->auth, &co, &ssl);
	co.context = op_begin(m);
	rc = MQTTAsync_connect(m->client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		op_abandon(m);
		snprintf(err, errlen, "cannot connect to the broker at %s: %s",
		    cfg->auth.uri, MQTTAsync_strerror(rc));
		goto fail;
	}
	if (op_wait(m, "cannot connect to the broker", err, errlen) == -1) {
		size_t n = strlen(err);

		snprintf(err + n, errlen > n ? errlen - n : 0, " (%s)",
		    cfg->auth.uri);
		goto fail;
	}
	return m;
fail:
	mqttpub_close(m);
	return NULL;
}

int
mqttpub_publish(struct mqttpub *m, const char *topic, const void *payload,
    size_t len, char *err, size_t errlen)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	int rc, lost;

	if (len > INT_MAX) {
		snprintf(err, errlen, "a payload of %zu bytes is too large "
		    "for MQTT", len);
		return -1;
	}
	pthread_mutex_lock(&m->mtx);
	lost = m->lost;
	pthread_mutex_unlock(&m->mtx);
	if (lost) {
		snprintf(err, errlen, "the connection to the broker was lost");
		return -1;
	}
	msg.payload = (void *)(uintptr_t)payload;
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = 0;
	ro.onSuccess5 = on_success;
	ro.onFailure5 = on_failure;
	ro.context = op_begin(m);
	rc = MQTTAsync_sendMessage(m->client, topic, &msg, &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		op_abandon(m);
		snprintf(err, errlen, "cannot publish: %s",
		    MQTTAsync_strerror(rc));
		return -1;
	}
	return op_wait(m, "the broker did not acknowledge the message", err,
	    errlen);
}

static void
on_disconnected(void *context, MQTTAsync_successData5 *resp)
{
	(void)resp;
	op_finish(context, OP_OK, 0, 0, NULL);
}

static void
on_disconnect_failed(void *context, MQTTAsync_failureData5 *resp)
{
	(void)resp;
	op_finish(context, OP_OK, 0, 0, NULL);
}

void
mqttpub_close(struct mqttpub *m)
{
	MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
	struct op *op;
	char err[MQTTPUB_ERR_MAX];

	if (m == NULL)
		return;
	if (m->client != NULL) {
		if (MQTTAsync_isConnected(m->client)) {
			/* A polite DISCONNECT, so the broker sends no will. */
			d.timeout = 1000;
			d.onSuccess5 = on_disconnected;
			d.onFailure5 = on_disconnect_failed;
			d.context = op_begin(m);
			if (MQTTAsync_disconnect(m->client, &d) ==
			    MQTTASYNC_SUCCESS)
				(void)op_wait(m, "disconnect", err,
				    sizeof(err));
			else
				op_abandon(m);
		}
		MQTTAsync_destroy(&m->client);
	}
	while ((op = m->ops) != NULL) {
		m->ops = op->next;
		free(op);
	}
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

int
mqttpub_publish_once(void *arg, const char *topic, const void *payload,
    size_t len, char *err, size_t errlen)
{
	const struct mqttpub_config *cfg = arg;
	struct mqttpub *m;
	int rc;

	if ((m = mqttpub_open(cfg, err, errlen)) == NULL)
		return -1;
	rc = mqttpub_publish(m, topic, payload, len, err, errlen);
	mqttpub_close(m);
	return rc;
}
