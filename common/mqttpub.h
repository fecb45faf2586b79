/*
 * mqttpub: a small synchronous MQTT v5 publisher, for the programs that
 * publish now and then and must know the outcome before they go on:
 * simpulctl (dlq replay, and the broker check of health) and
 * simpul-console (dead-letter replay). With mqttauth.c it forms
 * simpul_mqttauth, the one library that sees Paho.
 *
 * mqttpub_open() connects and waits for the CONNACK; mqttpub_publish()
 * sends one QoS 1 message and waits for its PUBACK. A PUBACK with a failure
 * reason code (MQTT v5: not authorised, topic invalid, too large, ...) is a
 * failure, which is why this is v5: an MQTT 3.1.1 broker acknowledges a
 * publish its ACL dropped as if it had taken it. Each wait is bounded by
 * the timeout of the config. The session is clean and nothing is
 * persisted: the caller learns the outcome before it goes on.
 *
 * Failures fill err with a sentence for the operator and return NULL/-1.
 */
#ifndef SIMPUL_MQTTPUB_H
#define SIMPUL_MQTTPUB_H

#include <stddef.h>
#include <stdint.h>

#include "mqttconf.h"

struct mqttpub_config {
	struct mqtt_auth auth;  /* URI, credentials, TLS files (borrowed) */
	/*
	 * The client id is <id_prefix>-<host>-<pid> ("simpulctl",
	 * "simpul-console-replay"), which names the program in the broker's
	 * log. The broker drops the older of two connections with one id, so
	 * a process that holds another connection under <something>-<host>-
	 * <pid> gives this one a prefix of its own.
	 */
	const char *id_prefix;
	int64_t timeout_ms;     /* for the CONNACK, and for each PUBACK */
};

struct mqttpub;

struct mqttpub *mqttpub_open(const struct mqttpub_config *cfg, char *err,
    size_t errlen);
/* Publishes with QoS 1, not retained, and waits for the PUBACK. 0 / -1. */
int mqttpub_publish(struct mqttpub *m, const char *topic, const void *payload,
    size_t len, char *err, size_t errlen);
/* Disconnects (briefly waiting for it) and frees. NULL is fine. */
void mqttpub_close(struct mqttpub *m);

/*
 * Connects, publishes one message as mqttpub_publish() does, and
 * disconnects: for a dead-letter replay, which publishes too rarely to
 * keep a connection. arg is the const struct mqttpub_config *; it is a
 * void * so that this is a store_publish_fn (hub/store.h), the publisher
 * store_dead_letter_replay() calls. 0 / -1 with err filled.
 */
int mqttpub_publish_once(void *arg, const char *topic, const void *payload,
    size_t len, char *err, size_t errlen);

#endif
