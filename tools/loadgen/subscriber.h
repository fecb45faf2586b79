/*
 * subscriber: a plain MQTT v5 subscriber that counts and discards, for
 * measuring what the broker alone can carry and for checking that every
 * published event arrived.
 *
 * It subscribes to one filter, counts messages (and, on request, distinct
 * CloudEvents ids, read from the payload's "id" member without a full JSON
 * parse) and returns when the expected count is reached or nothing arrived
 * for the idle timeout. Only this module (and publisher) sees Paho.
 */
#ifndef SIMPUL_SUBSCRIBER_H
#define SIMPUL_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>

struct subscriber_config {
	const char *uri;
	const char *client_id;
	const char *username;	/* NULL: none */
	const char *password;
	const char *ca_file;	/* TLS: CA of the broker (NULL: system CAs) */
	const char *cert_file;	/* TLS client certificate (NULL: none) */
	const char *key_file;
	const char *topic;	/* filter */
	int qos;
	uint64_t count;		/* stop after this many; 0: until idle */
	int distinct;		/* count distinct ids, stop on those */
	int64_t idle_ms;	/* nothing arrived for this long: stop */
	uint32_t session_expiry_s; /* > 0: persistent session */
	int receive_max;	/* unacked QoS 1 messages the broker may send */
	const char *ready_file;	/* created once the subscription holds */
};

struct subscriber_result {
	uint64_t received;	/* messages, duplicates included */
	uint64_t distinct;	/* distinct ids (when asked for) */
	uint64_t no_id;		/* messages without a readable id */
	int64_t first_us;	/* monotonic time of the first message */
	int64_t last_us;	/* and of the last */
};

/*
 * Runs until done. Returns 0 when the count was reached (or no count was
 * set and the idle timeout ended the run), 1 when the idle timeout came
 * first, -1 after logging when the broker could not be reached or refused
 * the subscription.
 */
int subscriber_run(const struct subscriber_config *cfg,
    struct subscriber_result *res);

#endif
