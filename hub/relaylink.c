/*
 * relaylink: see relaylink.h.
 *
 * libmosquitto runs without its own thread: mosquitto_publish_v5() writes
 * the packet at once, mosquitto_loop() reads the answers and runs our
 * callbacks, on the relay's thread, which then owns all of the state
 * below except `up'.
 */
#include "relaylink.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "log.h"
#include "mqtt.h"
#include "mqttconf.h"
#include "util.h"

/* The longest mosquitto_loop() sleeps while we wait for answers. */
#define LOOP_SLICE_MS 100
/* Unanswered publishes at most (fewer if [mqtt] max_inflight says so),
 * and how long a publish waits for room. */
#define WINDOW 64
#define WINDOW_WAIT_MS 10000

struct relaylink {
	char *uri, *client_id, *username, *password;
	char *ca_file, *cert_file, *key_file;
	char host[256];
	int port, tls, keepalive_s, max_inflight;
	size_t window;

	struct mosquitto *mq; /* NULL: not connected */
	atomic_int up;
	int connack;	/* the CONNACK arrived; conn_rc is its reason */
	int conn_rc;
	int lost;	/* the connection ended under us */
	int failures;	/* consecutive failed connects, for logging once */
	size_t sent, acked, failed;
	int corked;	/* TCP_CORK is set on the socket */
	int *mids;	/* the round's message ids, in publish order */
	size_t mids_cap;
	struct relaylink_refusal *ref; /* the round's failed answers */
	size_t nref, ref_cap;
};

/* Records a failed answer (or a message libmosquitto would not send). */
static void
refusal_add(struct relaylink *l, size_t pos, int reason)
{
	l->failed++;
	if (l->nref == l->ref_cap) {
		l->ref_cap = l->ref_cap ? l->ref_cap * 2 : 8;
		l->ref = xrealloc(l->ref, l->ref_cap * sizeof(*l->ref));
	}
	l->ref[l->nref].pos = pos;
	l->ref[l->nref].reason = reason;
	l->nref++;
}

/*
 * libmosquitto's own messages while connecting: its TLS errors say most
 * about a refusal. Only then: with a log callback set, libmosquitto formats
 * a debug line (malloc, vsnprintf, free) for every packet it sends or
 * receives, whatever our callback then does with it.
 */
static void
on_log(struct mosquitto *mq, void *arg, int level, const char *str)
{
	struct relaylink *l = arg;

	(void)mq;
	if ((level & MOSQ_LOG_ERR) != 0 && l->failures == 0)
		log_warnx("relay: mqtt uri=%s error=\"%s\"", l->uri, str);
}

static void
on_connect(struct mosquitto *mq, void *arg, int rc, int flags,
    const mosquitto_property *props)
{
	struct relaylink *l = arg;

	(void)mq;
	(void)flags;
	(void)props;
	l->connack = 1;
	l->conn_rc = rc;
}

static void
on_publish(struct mosquitto *mq, void *arg, int mid, int reason,
    const mosquitto_property *props)
{
	struct relaylink *l = arg;
	size_t pos;

	(void)mq;
	(void)props;
	if (reason < MQTT_RC_UNSPECIFIED) {
		l->acked++;
		return;
	}
	/* Rare: a linear search for the message is fine. */
	for (pos = 0; pos < l->sent && l->mids[pos] != mid; pos++)
		;
	refusal_add(l, pos < l->sent ? pos : SIZE_MAX, reason);
}

static void
on_disconnect(struct mosquitto *mq, void *arg, int rc,
    const mosquitto_property *props)
{
	struct relaylink *l = arg;

	(void)mq;
	(void)rc;
	(void)props;
	l->lost = 1;
}

struct relaylink *
relaylink_new(const struct mqtt_opts *o)
{
	struct relaylink *l = xcalloc(1, sizeof(*l));

	/* Not thread-safe; the relay's link is the only user. */
	mosquitto_lib_init();
	l->uri = xstrdup(o->uri);
	l->client_id = xasprintf("%s-relay", o->client_id);
	l->username = xstrdup_or_null(o->username);
	l->password = xstrdup_or_null(o->password);
	l->ca_file = xstrdup_or_null(o->ca_file);
	l->cert_file = xstrdup_or_null(o->cert_file);
	/* A certificate without key_file carries its key (mqttconf.h). */
	l->key_file = xstrdup_or_null(o->key_file != NULL ? o->key_file :
	    o->cert_file);
	l->keepalive_s = o->keepalive_s;
	l->max_inflight = o->max_inflight > 0 ? o->max_inflight : 1000;
	l->window = l->max_inflight < WINDOW ? (size_t)l->max_inflight : WINDOW;
	l->tls = mqtt_conf_is_tls(o->uri) || l->ca_file != NULL;
	/* hub_config_load() refused what does not split. */
	if (mqtt_conf_split_uri(o->uri, l->host, sizeof(l->host),
	    &l->port) == -1)
		fatalx("relay: cannot use uri=%s (want tcp://HOST:PORT or "
		    "ssl://HOST:PORT)", o->uri);
	atomic_init(&l->up, 0);
	return l;
}

static void
link_close(struct relaylink *l)
{
	if (l->mq == NULL)
		return;
	if (!l->lost && atomic_load(&l->up))
		mosquitto_disconnect_v5(l->mq, MQTT_RC_NORMAL_DISCONNECTION,
		    NULL);
	mosquitto_destroy(l->mq);
	l->mq = NULL;
	atomic_store(&l->up, 0);
	l->lost = 0;
	l->corked = 0;
}

void
relaylink_free(struct relaylink *l)
{
	if (l == NULL)
		return;
	link_close(l);
	mosquitto_lib_cleanup();
	free(l->uri);
	free(l->client_id);
	free(l->username);
	free(l->password);
	free(l->ca_file);
	free(l->cert_file);
	free(l->key_file);
	free(l->mids);
	free(l->ref);
	free(l);
}

/* A new client with our settings, or NULL (logged). */
static struct mosquitto *
link_client(struct relaylink *l)
{
	struct mosquitto *mq;
	int rc;

	if ((mq = mosquitto_new(l->client_id, true, l)) == NULL) {
		log_warn("relay: mosquitto_new");
		return NULL;
	}
	mosquitto_int_option(mq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	/* The broker's Receive Maximum lowers it further; beyond it,
	 * libmosquitto queues and sends as acknowledgements come back. */
	mosquitto_int_option(mq, MOSQ_OPT_SEND_MAXIMUM, l->max_inflight);
	/* Each publish is one write: do not hold it back for the last
	 * one's TCP acknowledgement. */
	mosquitto_int_option(mq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_log_callback_set(mq, on_log);
	mosquitto_connect_v5_callback_set(mq, on_connect);
	mosquitto_publish_v5_callback_set(mq, on_publish);
	mosquitto_disconnect_v5_callback_set(mq, on_disconnect);
	rc = mosquitto_username_pw_set(mq, l->username, l->password);
	if (rc == MOSQ_ERR_SUCCESS && l->tls) {
		/* The broker's certificate and host name are verified (TLS
		 * 1.2 or later), against ca_file or the system's CAs. */
		rc = mosquitto_tls_set(mq, l->ca_file, l->ca_file == NULL ?
		    "/etc/ssl/certs" : NULL, l->cert_file, l->key_file, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(mq, 1, NULL, NULL);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warnx("relay: mqtt uri=%s settings refused: %s", l->uri,
		    mosquitto_strerror(rc));
		mosquitto_destroy(mq);
		return NULL;
	}
	return mq;
}

static const char *
loop_error(int rc)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

int
relaylink_connect(struct relaylink *l, int timeout_ms)
{
	int64_t until = clock_mono_ms() + timeout_ms;
	const char *why = "no answer from the broker";
	int rc;

	if (l->mq != NULL)
		return 0;
	if ((l->mq = link_client(l)) == NULL)
		return -1;
	l->connack = l->lost = 0;
	l->sent = l->acked = l->failed = 0;
	l->nref = 0;
	rc = mosquitto_connect_async(l->mq, l->host, l->port, l->keepalive_s);
	if (rc != MOSQ_ERR_SUCCESS)
		why = loop_error(rc);
	while (rc == MOSQ_ERR_SUCCESS && !l->connack && !l->lost &&
	    clock_mono_ms() < until)
		rc = mosquitto_loop(l->mq, LOOP_SLICE_MS, 1);
	/* A refusal (Not authorized) says more than the protocol error
	 * libmosquitto makes of the closed connection after it. */
	if (l->connack && l->conn_rc != 0)
		why = mosquitto_reason_string(l->conn_rc);
	else if (rc != MOSQ_ERR_SUCCESS)
		why = loop_error(rc);
	else if (l->lost)
		why = "connection closed";
	if (rc == MOSQ_ERR_SUCCESS && l->connack && l->conn_rc == 0) {
		mosquitto_log_callback_set(l->mq, NULL);
		atomic_store(&l->up, 1);
		l->failures = 0;
		log_info("relay: connected uri=%s client_id=%s", l->uri,
		    l->client_id);
		return 0;
	}
	if (l->failures++ == 0)
		log_warnx("relay: cannot connect uri=%s client_id=%s reason=%s "
		    "(retrying with backoff)", l->uri, l->client_id, why);
	l->lost = 1;
	link_close(l);
	return -1;
}

int
relaylink_is_connected(const struct relaylink *l)
{
	return atomic_load(&l->up);
}

/* After mosquitto_loop() returned rc: closes a connection that ended. */
static int
link_check(struct relaylink *l, int rc)
{
	if (l->mq == NULL)
		return -1;
	if (rc == MOSQ_ERR_SUCCESS && !l->lost)
		return 0;
	log_warnx("relay: connection lost uri=%s: %s", l->uri,
	    rc != MOSQ_ERR_SUCCESS ? loop_error(rc) : "closed by the broker");
	l->lost = 1;
	link_close(l);
	return -1;
}

/*
 * TCP_CORK while a burst of publishes is written, so that the kernel sends
 * them as a few full segments rather than one small segment each (the
 * socket has TCP_NODELAY for the last publish of a round): sending a
 * segment over loopback, and waking the broker for it, costs several times
 * what the write itself does. Uncorking sends what is held at once.
 */
static void
link_cork(struct relaylink *l, int on)
{
	int fd;

	if (l->corked == on || l->mq == NULL)
		return;
	if ((fd = mosquitto_socket(l->mq)) != -1 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == -1)
		log_warn("relay: setsockopt TCP_CORK");
	l->corked = on;
}

static size_t
unanswered(const struct relaylink *l)
{
	return l->sent - l->acked - l->failed;
}

/*
 * Runs the loop until at most `most' publishes are unanswered, for up to
 * timeout_ms. Returns 0, or -1 when the connection ended or the broker did
 * not answer in time. The link is then closed, so that no late answer is
 * counted for a later round; the counts stay until relaylink_connect().
 */
static int
link_drain(struct relaylink *l, size_t most, int timeout_ms)
{
	int64_t now = clock_mono_ms(), until = now + timeout_ms;
	int rc = MOSQ_ERR_SUCCESS;

	link_cork(l, 0);
	while (l->mq != NULL && !l->lost && unanswered(l) > most &&
	    now < until) {
		rc = mosquitto_loop(l->mq, (int)(until - now < LOOP_SLICE_MS ?
		    until - now : LOOP_SLICE_MS), 1);
		if (rc != MOSQ_ERR_SUCCESS)
			break;
		now = clock_mono_ms();
	}
	if (link_check(l, rc) == -1)
		return -1;
	if (unanswered(l) > most) {
		log_warnx("relay: no answer from the broker uri=%s within %d "
		    "ms; reconnecting", l->uri, timeout_ms);
		link_close(l);
		return -1;
	}
	return 0;
}

int
relaylink_publish(struct relaylink *l, const char *topic,
    const void *payload, size_t len, int qos, int retain)
{
	int rc, mid = 0;

	if (l->mq == NULL || l->lost)
		return -1;
	if (l->sent == 0)
		l->nref = 0; /* a new round */
	/* Keep libmosquitto's list of unanswered messages short: it walks
	 * that list for every answer (twice, in 2.0.11). Half of it is
	 * answered before more go out, so they go out as a burst. */
	if (unanswered(l) >= l->window &&
	    link_drain(l, l->window / 2, WINDOW_WAIT_MS) == -1)
		return -1;
	link_cork(l, 1);
	if (len > INT32_MAX)
		rc = MOSQ_ERR_PAYLOAD_SIZE;
	else
		rc = mosquitto_publish_v5(l->mq, &mid, topic, (int)len,
		    payload, qos, retain != 0, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warnx("relay: cannot publish topic=%s bytes=%zu: %s", topic,
		    len, loop_error(rc));
	/* What the broker would refuse, unsent, counts as its refusal: it
	 * will not pass later either. */
	if (rc == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_PAYLOAD_SIZE)
		refusal_add(l, l->sent, MQTT_RC_PACKET_TOO_LARGE);
	else if (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_MALFORMED_UTF8)
		refusal_add(l, l->sent, MQTT_RC_TOPIC_NAME_INVALID);
	else if (rc != MOSQ_ERR_SUCCESS)
		return -1;
	if (l->sent == l->mids_cap) {
		l->mids_cap = l->mids_cap ? l->mids_cap * 2 : 512;
		l->mids = xrealloc(l->mids, l->mids_cap * sizeof(*l->mids));
	}
	l->mids[l->sent++] = rc == MOSQ_ERR_SUCCESS ? mid : -1;
	return 0;
}

int
relaylink_wait(struct relaylink *l, int timeout_ms, size_t *acked,
    size_t *failed)
{
	int rv = link_drain(l, 0, timeout_ms);

	*acked = l->acked;
	*failed = l->failed;
	if (l->failed > 0)
		log_warnx("relay: broker refused %zu of %zu messages, the first "
		    "with: %s", l->failed, l->sent,
		    mosquitto_reason_string(l->ref[0].reason));
	l->sent = l->acked = l->failed = 0;
	return rv;
}

size_t
relaylink_refusals(const struct relaylink *l,
    const struct relaylink_refusal **r)
{
	*r = l->ref;
	return l->nref;
}

void
relaylink_idle(struct relaylink *l)
{
	if (l->mq != NULL)
		(void)link_check(l, mosquitto_loop(l->mq, 0, 1));
}
