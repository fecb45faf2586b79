/*
 * relaylink: the outbox relay's own connection to the broker, through
 * libmosquitto, used by the relay thread alone and driven by it: no
 * library thread, no callbacks on other threads, no locks on the path.
 *
 * Why a second connection and a second MQTT library: the hub's session
 * (mqtt.c) needs Paho, whose QoS 1 PUBACK goes out only when our message
 * callback returns, after the journal write; libmosquitto 2.0 acknowledges
 * before its callback and cannot ingest for us. For publishing the
 * opposite holds: a QoS 1 publish through Paho's asynchronous client cost
 * 30-43 us of CPU (a command queued to its send thread, the answer matched
 * on its receive thread, its heap tracking and stack tracing around every
 * call) where libmosquitto, driven from the publishing thread, costs about
 * 9 us (docs/bench.md, "The relay's connection"). Routed copies are most
 * of what the hub publishes.
 *
 * Clean start, no will, client id "<hub client id>-relay". Nothing
 * survives a lost connection: the relay's round is then not acknowledged,
 * rolls back and is published again from the outbox on the next
 * connection (at-least-once, as before).
 */
#ifndef SIMPUL_RELAYLINK_H
#define SIMPUL_RELAYLINK_H

#include <stddef.h>

struct mqtt_opts;
struct relaylink;

/* Takes what it needs from the hub's session settings. */
struct relaylink *relaylink_new(const struct mqtt_opts *o);
void relaylink_free(struct relaylink *l);

/*
 * Connects, waiting up to timeout_ms for the broker's CONNACK. Returns 0
 * (also when already connected) or -1; the first failure of a run of
 * failures is logged with the broker's reason or the TLS error.
 */
int relaylink_connect(struct relaylink *l, int timeout_ms);
/* Any thread (metrics). */
int relaylink_is_connected(const struct relaylink *l);

/*
 * Hands one message to the broker (written at once when the socket
 * takes it). With 64 publishes unanswered (or [mqtt] max_inflight, if
 * lower) it first reads answers until there is room, for up to 10 s.
 * Returns -1, logged, when not connected or when no room came (the link
 * is then closed, like relaylink_wait() does). A message libmosquitto
 * will not send at all (larger than the broker's maximum packet size, a
 * topic that is not a valid topic name) is not sent and counts as refused
 * by the broker (Packet too large, Topic Name invalid): 0 is returned.
 */
int relaylink_publish(struct relaylink *l, const char *topic,
    const void *payload, size_t len, int qos, int retain);

/*
 * Waits up to timeout_ms until the broker has answered every publish made
 * since the last wait, and starts a new count. *acked and *failed get the
 * answers (a QoS 0 message counts as acked once written). Returns 0 when
 * every publish was answered, -1 on a timeout or a lost connection. The
 * link is then closed, so that no late answer is counted for the next
 * round; relaylink_connect() opens a new one.
 */
int relaylink_wait(struct relaylink *l, int timeout_ms, size_t *acked,
    size_t *failed);

/*
 * The failed answers of the round relaylink_wait() just ended: pos counts
 * the round's relaylink_publish() calls from 0 (SIZE_MAX if the broker
 * answered for a message we cannot place), reason is the MQTT v5 reason
 * code (0x80 or more). Valid until the next relaylink_publish() or
 * relaylink_connect().
 */
struct relaylink_refusal {
	size_t pos;
	int reason;
};
size_t relaylink_refusals(const struct relaylink *l,
    const struct relaylink_refusal **r);

/*
 * Between rounds: keepalive, and reading what the broker sent (a ping's
 * answer, its DISCONNECT), without blocking. Call at least twice per
 * keepalive interval.
 */
void relaylink_idle(struct relaylink *l);

#endif
