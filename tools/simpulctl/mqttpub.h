/*
 * mqttpub: a small synchronous MQTT v5 publisher for simpulctl (dlq replay,
 * and the broker check of health). The only simpulctl module that sees
 * Paho.
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
#ifndef SIMPUL_CTL_MQTTPUB_H
#define SIMPUL_CTL_MQTTPUB_H

#include <stddef.h>
#include <stdint.h>

struct mqttpub_config {
	const char *uri;        /* tcp://host:port or ssl://host:port */
	const char *client_id;  /* NULL: simpulctl-<host>-<pid> */
	const char *username;   /* NULL: none */
	const char *password;
	const char *ca_file;    /* TLS: CA that signed the broker (NULL: none) */
	const char *cert_file;  /* TLS client certificate (optional) */
	const char *key_file;
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

#endif
