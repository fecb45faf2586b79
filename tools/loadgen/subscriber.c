/*
 * subscriber: see subscriber.h.
 *
 * Paho delivers messages on its receive thread; the callback counts under
 * a mutex and returns 1 at once (Paho then sends the PUBACK), so the
 * broker, not this process, is what a measurement sees. The clock is read
 * in the callback to time the first and the last message exactly.
 *
 * Distinct ids are kept as 64-bit FNV-1a hashes in an open-addressing set:
 * eight bytes per id, and a collision between two of a few million ids is
 * about as likely as a cosmic ray in the counter. Duplicates are expected
 * after broker restarts (QoS 1 is at least once); the distinct count is
 * what says nothing was lost.
 *
 * Paho's automatic reconnect keeps the connection; every (re)connect
 * subscribes again, which is harmless on a resumed session and needed on a
 * clean one.
 */
#include "subscriber.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "cond.h"
#include "log.h"
#include "mqttauth.h"
#include "util.h"

#define ID_SCAN_MAX	1024	/* the id is near the start of an event */
#define ID_MAX		256
#define SET_MAX		((size_t)1 << 28)

struct idset {
	uint64_t *slot;		/* 0 means empty */
	size_t cap;		/* power of two */
	size_t len;
};

struct sub {
	const struct subscriber_config *cfg;
	MQTTAsync client;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	int connecting;
	int connected_once;	/* Paho reconnects from then on */
	int subscribed;
	int failed;		/* the broker refused the subscription */
	int disconnecting;
	int64_t retry_at;
	int64_t backoff_ms;
	int64_t activity_ms;	/* monotonic ms of the last sign of life */
	struct idset ids;
	struct subscriber_result res;
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

/* Returns 1 when h was new, 0 when it was there already. */
static int
idset_add(struct idset *set, uint64_t h)
{
	uint64_t *old;
	size_t oldcap, i, j;

	if (set->len * 2 >= set->cap) {
		if (set->cap >= SET_MAX)
			fatalx("subscriber: more than %zu distinct ids",
			    SET_MAX / 2);
		old = set->slot;
		oldcap = set->cap;
		set->cap = oldcap == 0 ? 1024 : oldcap * 2;
		set->slot = xcalloc(set->cap, sizeof(*set->slot));
		set->len = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				idset_add(set, old[i]);
		free(old);
	}
	for (j = (size_t)h & (set->cap - 1);; j = (j + 1) & (set->cap - 1)) {
		if (set->slot[j] == h)
			return 0;
		if (set->slot[j] == 0) {
			set->slot[j] = h;
			set->len++;
			return 1;
		}
	}
}

/* Finds the top-level "id" string of a CloudEvent without parsing it. */
static int
find_id(const char *p, size_t len, const char **id, size_t *idlen)
{
	static const char key[] = "\"id\":\"";
	const char *at, *end;

	if (len > ID_SCAN_MAX)
		len = ID_SCAN_MAX;
	at = memmem(p, len, key, sizeof(key) - 1);
	if (at == NULL)
		return -1;
	at += sizeof(key) - 1;
	end = memchr(at, '"', len - (size_t)(at - p));
	if (end == NULL || end - at > ID_MAX)
		return -1;
	*id = at;
	*idlen = (size_t)(end - at);
	return 0;
}

static int
on_message(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct sub *s = context;
	int64_t now = mono_us();
	const char *id;
	size_t idlen;

	(void)topic_len;
	pthread_mutex_lock(&s->mtx);
	if (s->res.received == 0)
		s->res.first_us = now;
	s->res.last_us = now;
	s->res.received++;
	s->activity_ms = now / 1000;
	if (s->cfg->distinct) {
		if (find_id(m->payload, (size_t)m->payloadlen, &id,
		    &idlen) == 0)
			s->res.distinct += (uint64_t)idset_add(&s->ids,
			    fnv1a(id, idlen));
		else
			s->res.no_id++;
	}
	/*
	 * Wake the main thread only when the count is reached: it polls for
	 * the idle timeout anyway, and a wake-up per message would cost a
	 * context switch per message on the machine being measured.
	 */
	if (s->cfg->count > 0 && (s->cfg->distinct ? s->res.distinct :
	    s->res.received) >= s->cfg->count)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void
on_subscribed(void *context, MQTTAsync_successData5 *resp)
{
	struct sub *s = context;

	(void)resp;
	pthread_mutex_lock(&s->mtx);
	s->subscribed = 1;
	s->activity_ms = clock_mono_ms();
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

static void
on_subscribe_failed(void *context, MQTTAsync_failureData5 *resp)
{
	struct sub *s = context;

	log_warnx("subscriber: subscribe refused topic=%s code=%d reason=%d",
	    s->cfg->topic, resp != NULL ? resp->code : 0,
	    resp != NULL ? resp->reasonCode : 0);
	pthread_mutex_lock(&s->mtx);
	s->failed = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

/* Every connection, first or automatic reconnect, subscribes. */
static void
on_connected(void *context, char *cause)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTSubscribe_options so = MQTTSubscribe_options_initializer;
	struct sub *s = context;
	int rc;

	(void)cause;
	ro.onSuccess5 = on_subscribed;
	ro.onFailure5 = on_subscribe_failed;
	ro.context = s;
	ro.subscribeOptions = so;
	rc = MQTTAsync_subscribe(s->client, s->cfg->topic, s->cfg->qos, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_warnx("subscriber: subscribe rc=%d (%s)", rc,
		    MQTTAsync_strerror(rc));
}

static void
on_connect_success(void *context, MQTTAsync_successData5 *resp)
{
	struct sub *s = context;

	(void)resp;
	pthread_mutex_lock(&s->mtx);
	s->connecting = 0;
	s->connected_once = 1;
	pthread_mutex_unlock(&s->mtx);
}

static void
on_connect_failure(void *context, MQTTAsync_failureData5 *resp)
{
	struct sub *s = context;

	pthread_mutex_lock(&s->mtx);
	log_warnx("subscriber: connect failed uri=%s code=%d reason=%d "
	    "retry_ms=%lld", s->cfg->uri, resp != NULL ? resp->code : 0,
	    resp != NULL ? resp->reasonCode : 0, (long long)s->backoff_ms);
	s->connecting = 0;
	s->retry_at = clock_mono_ms() + s->backoff_ms;
	if (s->backoff_ms < 5000)
		s->backoff_ms *= 2;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

static void
on_connection_lost(void *context, char *cause)
{
	struct sub *s = context;

	log_warnx("subscriber: connection lost uri=%s cause=%s "
	    "(reconnecting)", s->cfg->uri, cause != NULL ? cause : "unknown");
	free(cause);
}

/* Starts the first connect; Paho reconnects by itself after that. */
static void
connect_start(struct sub *s, MQTTProperties *props)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	struct mqtt_auth auth;
	int rc;

	o.keepAliveInterval = 20;
	o.cleanstart = s->cfg->session_expiry_s == 0;
	o.connectTimeout = 5;
	o.automaticReconnect = 1;
	o.minRetryInterval = 1;
	o.maxRetryInterval = 5;
	auth.uri = s->cfg->uri;
	auth.username = s->cfg->username;
	auth.password = s->cfg->password;
	auth.ca_file = s->cfg->ca_file;
	auth.cert_file = s->cfg->cert_file;
	auth.key_file = s->cfg->key_file;
	mqtt_auth_apply(&auth, &o, &ssl);
	o.connectProperties = props;
	o.onSuccess5 = on_connect_success;
	o.onFailure5 = on_connect_failure;
	o.context = s;
	s->connecting = 1;
	pthread_mutex_unlock(&s->mtx);
	rc = MQTTAsync_connect(s->client, &o);
	pthread_mutex_lock(&s->mtx);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("subscriber: connect rc=%d (%s)", rc,
		    MQTTAsync_strerror(rc));
		s->connecting = 0;
		s->retry_at = clock_mono_ms() + s->backoff_ms;
	}
}

static void
on_disconnected(void *context, MQTTAsync_successData5 *resp)
{
	struct sub *s = context;

	(void)resp;
	pthread_mutex_lock(&s->mtx);
	s->disconnecting = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

static void
on_disconnect_failed(void *context, MQTTAsync_failureData5 *resp)
{
	(void)resp;
	on_disconnected(context, NULL);
}

static void
disconnect_wait(struct sub *s)
{
	int64_t until = clock_mono_ms() + 2000;

	pthread_mutex_lock(&s->mtx);
	while (s->disconnecting && clock_mono_ms() < until)
		cond_wait_ms(&s->cv, &s->mtx, 50);
	pthread_mutex_unlock(&s->mtx);
}

static int
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd == -1) {
		log_warn("subscriber: cannot create %s", path);
		return -1;
	}
	close(fd);
	return 0;
}

int
subscriber_run(const struct subscriber_config *cfg,
    struct subscriber_result *res)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	MQTTAsync_disconnectOptions dopts =
	    MQTTAsync_disconnectOptions_initializer5;
	MQTTProperties props = MQTTProperties_initializer;
	MQTTProperty prop;
	struct sub s;
	int rc = -1, ready_done = 0;
	uint64_t have;
	int64_t now;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.backoff_ms = 250;
	s.activity_ms = clock_mono_ms();
	pthread_mutex_init(&s.mtx, NULL);
	cond_init_mono(&s.cv);

	mqtt_trace_errors();
	if (MQTTAsync_createWithOptions(&s.client, cfg->uri, cfg->client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co) != MQTTASYNC_SUCCESS) {
		log_warnx("subscriber: cannot create client uri=%s", cfg->uri);
		s.client = NULL;
		goto out;
	}
	if (MQTTAsync_setCallbacks(s.client, &s, on_connection_lost,
	    on_message, NULL) != MQTTASYNC_SUCCESS ||
	    MQTTAsync_setConnected(s.client, &s, on_connected) !=
	    MQTTASYNC_SUCCESS) {
		log_warnx("subscriber: cannot set callbacks");
		goto out;
	}
	/*
	 * Properties are allocated through Paho's heap tracking, which the
	 * first client creation (re)initialises: build them only after it.
	 */
	memset(&prop, 0, sizeof(prop));
	prop.identifier = MQTTPROPERTY_CODE_RECEIVE_MAXIMUM;
	prop.value.integer2 = (unsigned short)cfg->receive_max;
	MQTTProperties_add(&props, &prop);
	if (cfg->session_expiry_s > 0) {
		prop.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
		prop.value.integer4 = cfg->session_expiry_s;
		MQTTProperties_add(&props, &prop);
	}

	pthread_mutex_lock(&s.mtx);
	for (;;) {
		now = clock_mono_ms();
		if (s.failed)
			break;
		have = cfg->distinct ? s.res.distinct : s.res.received;
		if (cfg->count > 0 && have >= cfg->count) {
			rc = 0;
			break;
		}
		if (now - s.activity_ms >= cfg->idle_ms) {
			if (!s.subscribed && s.res.received == 0)
				log_warnx("subscriber: no subscription after "
				    "%lld ms uri=%s", (long long)cfg->idle_ms,
				    cfg->uri);
			else
				rc = cfg->count > 0 ? 1 : 0;
			break;
		}
		if (!s.connected_once && !s.connecting && now >= s.retry_at) {
			connect_start(&s, &props);
			continue;
		}
		if (s.subscribed && !ready_done && cfg->ready_file != NULL) {
			ready_done = 1;
			pthread_mutex_unlock(&s.mtx);
			touch(cfg->ready_file);
			pthread_mutex_lock(&s.mtx);
			continue;
		}
		cond_wait_ms(&s.cv, &s.mtx, 100);
	}
	*res = s.res;
	pthread_mutex_unlock(&s.mtx);
out:
	if (s.client != NULL) {
		if (MQTTAsync_isConnected(s.client)) {
			/*
			 * Waited for (up to 2 s) because Paho leaks a
			 * DISCONNECT still queued when the client is
			 * destroyed.
			 */
			dopts.timeout = 1000;
			dopts.onSuccess5 = on_disconnected;
			dopts.onFailure5 = on_disconnect_failed;
			dopts.context = &s;
			pthread_mutex_lock(&s.mtx);
			s.disconnecting = 1;
			pthread_mutex_unlock(&s.mtx);
			if (MQTTAsync_disconnect(s.client, &dopts) ==
			    MQTTASYNC_SUCCESS)
				disconnect_wait(&s);
		}
	}
	/*
	 * Before the destroy: destroying the last client ends Paho's heap
	 * tracking, after which its free() ignores what it allocated.
	 */
	MQTTProperties_free(&props);
	if (s.client != NULL)
		MQTTAsync_destroy(&s.client);
	free(s.ids.slot);
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mtx);
	return rc;
}
