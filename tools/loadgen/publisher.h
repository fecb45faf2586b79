/*
 * publisher: an MQTT v5 QoS 1 publisher that loses nothing while its
 * process lives, for simpul-loadgen.
 *
 * It keeps a copy of every message until the broker's PUBACK for it
 * arrives, in a window of at most `inflight` unacknowledged messages.
 * When the connection drops it reconnects with backoff and sends again
 * every message of the window that has no PUBACK yet, so a broker restart
 * costs duplicates (the hub is idempotent on the event id), never a loss.
 * Only this module sees Paho.
 *
 * Threads: the caller's thread publishes; Paho's threads deliver acks and
 * connection events. The window is shared under one mutex, which is never
 * held across a Paho call.
 */
#ifndef SIMPUL_PUBLISHER_H
#define SIMPUL_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

#define PUBLISHER_INFLIGHT_MAX	65535	/* MQTT packet ids are 16 bits */

struct publisher_config {
	const char *uri;	/* tcp://host:port or ssl://host:port */
	const char *client_id;
	const char *username;	/* NULL: none */
	const char *password;
	const char *ca_file;	/* TLS: CA of the broker (NULL: system CAs) */
	const char *cert_file;	/* TLS client certificate (NULL: none) */
	const char *key_file;
	size_t inflight;	/* window, 1..PUBLISHER_INFLIGHT_MAX */
	int qos;		/* 1 (or 0/2 for experiments) */
	int64_t give_up_ms;	/* disconnected this long: fail */
};

struct publisher_stats {
	uint64_t published;	/* distinct messages handed to send */
	uint64_t acked;		/* distinct messages the broker acked */
	uint64_t rejected;	/* PUBACK with a failure reason code */
	uint64_t resent;	/* sends beyond the first of a message */
	uint64_t reconnects;	/* successful connects after the first */
};

struct publisher;

/*
 * Creates the client; does not connect yet (publisher_wait() does).
 * Returns NULL after logging when Paho refuses the URI or options.
 */
struct publisher *publisher_new(const struct publisher_config *cfg);
/* Disconnects and frees; unacknowledged messages are dropped. NULL is ok. */
void publisher_free(struct publisher *p);

/*
 * Blocks until the client is connected and the window has room for one
 * more message, (re)connecting and re-sending unacknowledged messages on
 * the way. Returns 0, or -1 after logging when the broker stayed
 * unreachable for give_up_ms.
 */
int publisher_wait(struct publisher *p);

/*
 * Copies topic and payload into the window and sends them. Call it only
 * after publisher_wait() returned 0 and before any other publisher call.
 * A send that fails is retried by later publisher_wait() and
 * publisher_drain() calls.
 */
void publisher_send(struct publisher *p, const char *topic,
    const void *payload, size_t len);

/*
 * Blocks until every message sent so far is acknowledged (or rejected).
 * Returns 0, or -1 when the broker stayed unreachable for give_up_ms.
 */
int publisher_drain(struct publisher *p);

void publisher_get_stats(struct publisher *p, struct publisher_stats *st);

#endif
