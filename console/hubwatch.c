/*
 * hubwatch: see hubwatch.h.
 */
#include "hubwatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "cond.h"
#include "live.h"
#include "log.h"
#include "mqttauth.h"
#include "util.h"

#define HUBS_MAX 64

struct hubwatch {
	struct console *c;
	MQTTAsync client;
	char *filter;
	pthread_mutex_t mu;
	char names[HUBS_MAX][64];
	int online[HUBS_MAX];
	int n;
	int connected;
	/*
	 * Paho reconnects by itself only after a first successful connect;
	 * until then the retry thread starts each attempt.
	 */
	MQTTAsync_connectOptions co;
	MQTTAsync_SSLOptions ssl;
	pthread_t retry;
	int ever_connected, connecting, stopping;
	pthread_cond_t cv;
};

#define HUBWATCH_RETRY_S 2

static void
publish_state(struct hubwatch *w)
{
	enum live_hub h = LIVE_HUB_UNKNOWN;
	int i;

	if (w->connected && w->n > 0) {
		h = LIVE_HUB_OFFLINE;
		for (i = 0; i < w->n; i++)
			if (w->online[i])
				h = LIVE_HUB_ONLINE;
	}
	live_set_hub(w->c->live, h);
}

static int
on_arrived(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
	struct hubwatch *w = ctx;
	const char *inst = strrchr(topic, '/');
	int i, on;

	(void)tlen;
	on = m->payloadlen >= 6 && memcmp(m->payload, "online", 6) == 0;
	pthread_mutex_lock(&w->mu);
	inst = inst != NULL ? inst + 1 : topic;
	for (i = 0; i < w->n && strcmp(w->names[i], inst) != 0; i++)
		;
	if (i == w->n && w->n < HUBS_MAX)
		strlcpy_s(w->names[w->n++], inst, sizeof(w->names[0]));
	if (i < w->n)
		w->online[i] = on;
	publish_state(w);
	pthread_mutex_unlock(&w->mu);
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void
on_lost(void *ctx, char *cause)
{
	struct hubwatch *w = ctx;

	(void)cause;
	log_warnx("hubwatch: lost the broker; reconnecting");
	pthread_mutex_lock(&w->mu);
	w->connected = 0;
	w->n = 0;
	publish_state(w);
	pthread_mutex_unlock(&w->mu);
}

static void
on_connected(void *ctx, char *cause)
{
	struct hubwatch *w = ctx;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	(void)cause;
	log_info("hubwatch: connected; watching %s", w->filter);
	pthread_mutex_lock(&w->mu);
	w->connected = 1;
	w->ever_connected = 1;
	w->connecting = 0;
	w->n = 0;
	publish_state(w);
	pthread_mutex_unlock(&w->mu);
	if (MQTTAsync_subscribe(w->client, w->filter, 1, &ro) !=
	    MQTTASYNC_SUCCESS)
		log_warnx("hubwatch: subscribe %s failed", w->filter);
}

static void
on_connect_failed(void *ctx, MQTTAsync_failureData *f)
{
	struct hubwatch *w = ctx;

	pthread_mutex_lock(&w->mu);
	if (!w->ever_connected)
		log_warnx("hubwatch: cannot connect to %s (rc=%d); retrying",
		    w->c->cfg->mqtt_uri, f != NULL ? f->code : 0);
	w->connecting = 0;
	pthread_mutex_unlock(&w->mu);
}

/* Starts a connection attempt unless one runs or we were connected once. */
static void *
retry_main(void *arg)
{
	struct hubwatch *w = arg;
	int go;

	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		go = !w->ever_connected && !w->connecting;
		if (go)
			w->connecting = 1;
		pthread_mutex_unlock(&w->mu);
		if (go && MQTTAsync_connect(w->client, &w->co) !=
		    MQTTASYNC_SUCCESS) {
			pthread_mutex_lock(&w->mu);
			w->connecting = 0;
			pthread_mutex_unlock(&w->mu);
		}
		pthread_mutex_lock(&w->mu);
		if (!w->stopping)
			cond_wait_ms(&w->cv, &w->mu, HUBWATCH_RETRY_S * 1000);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct hubwatch *
hubwatch_start(struct console *c)
{
	const struct console_config *cfg = c->cfg;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	struct mqtt_auth a;
	struct hubwatch *w = xcalloc(1, sizeof(*w));
	char host[64], *id;
	int rc;

	w->c = c;
	pthread_mutex_init(&w->mu, NULL);
	cond_init_mono(&w->cv);
	w->filter = xasprintf("%s/hub/status/+", cfg->site);
	if (gethostname(host, sizeof(host)) != 0)
		strlcpy_s(host, "host", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	id = xasprintf("simpul-console-%s-%ld", host, (long)getpid());
	mqtt_trace_errors();
	rc = MQTTAsync_create(&w->client, cfg->mqtt_uri, id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL);
	free(id);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warnx("hubwatch: bad broker uri %s", cfg->mqtt_uri);
		goto fail;
	}
	MQTTAsync_setCallbacks(w->client, w, on_lost, on_arrived, NULL);
	MQTTAsync_setConnected(w->client, w, on_connected);
	memset(&a, 0, sizeof(a));
	a.uri = cfg->mqtt_uri;
	a.username = cfg->mqtt_username;
	a.password = cfg->mqtt_password;
	a.ca_file = cfg->mqtt_ca_file;
	a.cert_file = cfg->mqtt_cert_file;
	a.key_file = cfg->mqtt_key_file;
	co.cleansession = 1;
	co.keepAliveInterval = 30;
	co.automaticReconnect = 1;
	co.minRetryInterval = 1;
	co.maxRetryInterval = 30;
	co.onFailure = on_connect_failed;
	co.context = w;
	w->co = co;
	w->ssl = ssl;
	mqtt_auth_apply(&a, &w->co, &w->ssl);
	if (pthread_create(&w->retry, NULL, retry_main, w) != 0) {
		log_warnx("hubwatch: cannot start a thread");
		MQTTAsync_destroy(&w->client);
		goto fail;
	}
	return w;
fail:
	free(w->filter);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return NULL;
}

void
hubwatch_stop(struct hubwatch *w)
{
	MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->retry, NULL);
	d.timeout = 1000;
	MQTTAsync_disconnect(w->client, &d);
	usleep(100000);
	MQTTAsync_destroy(&w->client);
	free(w->filter);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
