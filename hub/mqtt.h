/*
 * mqtt: the hub's MQTT v5 session. The only module of the hub that sees
 * Paho.
 *
 * One persistent session (clean start off, a session expiry interval, a
 * stable client id), so the broker keeps queuing for us while we are away.
 * Subscriptions are (re)issued on every connect; a retained "online"
 * message is published on every connect and a retained "offline" will is
 * left with the broker.
 *
 * Paho sends the PUBACK of a QoS 1 message when the message callback
 * returns, and has no manual-ack API. The callback given to mqtt_new() must
 * therefore make the message durable (the journal) before it returns, and
 * must return quickly: keepalive runs on the same thread.
 *
 * Backpressure: mqtt_pause() disconnects (the session stays, the broker
 * queues) and stops reconnecting until mqtt_resume(). We never unsubscribe:
 * that would end the broker's queuing for us.
 */
#ifndef SIMPUL_MQTT_H
#define SIMPUL_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct mqtt;

struct mqtt_opts {
	const char *uri;
	const char *client_id;
	const char *username; /* NULL: none */
	const char *password;
	int keepalive_s;
	int64_t session_expiry_s;
	int receive_max;      /* messages the broker may have in flight to us */
	int max_inflight;     /* our own unacknowledged publishes (also
				 * the outbox relay's, relaylink.h) */
	const char *status_topic; /* retained online/offline; NULL: none */
	/* TLS files (NULL: none; an ssl:// uri then uses the system CAs). */
	const char *ca_file, *cert_file, *key_file;
};

/*
 * The MQTT v5 request/response properties of a received PUBLISH (MQTT 5.0
 * section 4.10). Valid only during the message callback; copy what you
 * keep. A Response Topic that is not a usable topic name (empty, with a
 * NUL byte) is reported as absent.
 */
struct mqtt_msg_props {
	const char *response_topic;	/* NULL: none */
	const void *correlation;	/* NULL: none */
	size_t correlation_len;
};

/*
 * Called on Paho's thread for every message. The return value decides
 * nothing (Paho acks anyway): the function must have made the message
 * durable, or exit the process, before it returns. props is never NULL.
 */
typedef void (*mqtt_message_fn)(void *arg, const char *topic,
    const void *payload, size_t len, const struct mqtt_msg_props *props);
/* Called on Paho's thread when a publish is acknowledged (ok) or failed. */
typedef void (*mqtt_done_fn)(void *arg, int ok);

struct mqtt *mqtt_new(const struct mqtt_opts *o, mqtt_message_fn fn,
    void *arg);
void mqtt_free(struct mqtt *m);

/* Subscribes (QoS 1) now and on every later connect. */
int mqtt_subscribe(struct mqtt *m, const char *filter);
/*
 * Drives connecting: starts a connect attempt when we are neither
 * connected, connecting nor paused and the backoff has elapsed. Call it
 * from the main loop with the current monotonic time.
 */
void mqtt_tick(struct mqtt *m, int64_t now_ms);
int mqtt_is_connected(const struct mqtt *m);
int mqtt_pause(struct mqtt *m);
void mqtt_resume(struct mqtt *m);
int mqtt_is_paused(const struct mqtt *m);

/*
 * Publishes a response to a request (MQTT 5.0 section 4.10) with QoS 1,
 * not retained, and the request's Correlation Data (correlation_len bytes,
 * at most 65535; NULL: none) as a property; done is called once with the
 * outcome. Returns 0 if the publish was handed to Paho, -1 if not (not
 * connected, buffer full); done is then not called.
 */
int mqtt_publish_response(struct mqtt *m, const char *topic,
    const void *payload, size_t len, const void *correlation,
    size_t correlation_len, mqtt_done_fn done, void *arg);

/* Publishes the retained "offline" status and disconnects cleanly. */
void mqtt_stop(struct mqtt *m, int timeout_ms);

#endif
