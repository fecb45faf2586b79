/*
 * relay: the thread that publishes the transactional outbox.
 *
 * Rows are taken in id order under FOR UPDATE SKIP LOCKED (several hubs may
 * relay one database), published with QoS 1 on the relay's own broker
 * connection (relaylink.h), and deleted in the same transaction once the
 * broker has acknowledged every one of them. A crash
 * or a failed publish rolls back: the rows are published again later
 * (at-least-once; subscribers see an id to deduplicate on). A message the
 * broker refuses for good (Not authorized, Topic Name invalid, Packet too
 * large, Payload format invalid) is moved to outbox_refused in the same
 * transaction instead, so that it cannot hold up the messages behind it;
 * for 10 s after a Not authorized or Topic Name invalid, messages to that
 * topic are moved there without being sent (relay.c, DENIED_MS).
 */
#ifndef SIMPUL_RELAY_H
#define SIMPUL_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct mqtt_opts;
struct store;
struct relay;

struct relay_opts {
	struct store *store; /* its own connection, used by the relay only */
	const struct mqtt_opts *mqtt; /* the hub's session's; copied */
	size_t batch;
	int64_t poll_ms;
	int64_t reconnect_max_ms;
};

struct relay *relay_start(const struct relay_opts *o);
void relay_wake(void *relay); /* new outbox rows were committed */
/* Joins the thread. */
void relay_stop(struct relay *r);
void relay_free(struct relay *r);
/* Messages published and acknowledged, and messages the broker refused
 * for good (set aside in outbox_refused), since the start. */
void relay_counts(struct relay *r, uint64_t *published, uint64_t *refused);
/* 1 while the relay's broker connection is up (any thread). */
int relay_is_connected(struct relay *r);

#endif
