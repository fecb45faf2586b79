/*
 * publisher: the adapters' MQTT v5 publisher (the only module that sees
 * Paho). It hands messages to the broker without losing any it accepted.
 *
 * What "accepted" means: publisher_publish() returned 0. From then on the
 * message is
 *   - written to Paho's file persistence (persist_dir) before the call
 *     returns, so it survives a crash of the adapter (SIGKILL, abort) and is
 *     re-sent when the adapter starts again with the same client id, URI
 *     and persist_dir, until the broker acknowledges it;
 *   - buffered while the broker is unreachable (up to max_buffered
 *     messages; Paho counts messages waiting to be sent while connected
 *     too), and sent after the automatic reconnect;
 *   - reported exactly once through on_done(arg, ok): ok = 1 when the
 *     broker acknowledged it (PUBACK with a success reason code), ok = 0
 *     when it was refused (e.g. a PUBACK with "not authorized") or is still
 *     unacknowledged when the publisher is freed (then it stays persisted
 *     and goes out on the next start).
 * When the buffer is full, publisher_publish() returns -1 and on_done is not
 * called: the caller still owns the event and must not acknowledge its
 * source. Nothing is ever dropped to make room.
 *
 * Paho's persistence writes files without fsync(2): an accepted message
 * survives a crash of the adapter process, not a crash of the kernel or a
 * power loss. Sources that can be re-read close that window with a
 * checkpoint written only after on_done(ok=1) (see docs/adapters.md).
 *
 * Threads: Paho runs its own threads. on_done and all internal callbacks run
 * on Paho's thread, one at a time; keep on_done short (no blocking I/O that
 * can take seconds: keepalive runs on the same thread) and do not call
 * publisher_flush() or publisher_free() from it. publisher_publish() may be
 * called from any thread, including from on_done.
 *
 * Status: when status_topic is set, the publisher publishes "online"
 * (retained, QoS 1) on every connect, registers "offline" (retained) as the
 * will for a lost connection, and publishes "offline" on publisher_free().
 */
#ifndef SIMPUL_PUBLISHER_H
#define SIMPUL_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

struct publisher;

struct publisher_config {
	const char *uri;          /* tcp://host:port or ssl://host:port */
	const char *client_id;    /* stable per adapter instance */
	const char *username;     /* NULL: none */
	const char *password;     /* NULL: none */
	const char *ca_file;      /* TLS: CA of the broker (NULL: system CAs) */
	const char *cert_file;    /* TLS client certificate (NULL: none) */
	const char *key_file;     /* its private key */
	const char *persist_dir;  /* NULL: memory only (no crash safety) */
	const char *status_topic; /* NULL: no status messages */
	int keepalive_s;          /* 0: 30 */
	int max_buffered;         /* 0: 10000 */
	int session_expiry_s;     /* 0: 1 day */
	int retry_max_s;          /* longest reconnect backoff; 0: 30 */
};

/* Called once per accepted message, on Paho's thread (see above). */
typedef void (*publisher_done_fn)(void *arg, int ok);

struct publisher_stats {
	uint64_t published; /* accepted by publisher_publish() */
	uint64_t acked;     /* on_done(ok = 1) */
	uint64_t failed;    /* on_done(ok = 0) */
	uint64_t rejected;  /* publisher_publish() returned -1 */
	uint64_t inflight;  /* accepted, on_done not yet called */
	uint64_t connects;  /* successful (re)connects */
	uint64_t lost;      /* connections lost */
	uint64_t paho_errors; /* errors Paho logged (persistence, protocol) */
	int connected;
};

/*
 * Creates the client, restoring messages left in persist_dir by an earlier
 * run, and starts connecting in the background (a broker that is down is
 * retried with backoff; publishing works meanwhile). Returns NULL (logged)
 * on a bad config or when the persistence cannot be opened.
 */
struct publisher *publisher_new(const struct publisher_config *cfg);

/*
 * Hands one message to the publisher; payload is copied. qos is 0, 1 or 2
 * (adapters use 1; a QoS 0 message is neither persisted nor acknowledged:
 * on_done(ok = 1) once it was written to the socket). on_done may be NULL.
 * Returns 0 (accepted: see above) or -1 (logged at most once per burst;
 * nothing was queued and on_done will not be called): buffer full, bad
 * topic, payload too large.
 */
int publisher_publish(struct publisher *p, const char *topic,
    const void *payload, size_t len, int qos, publisher_done_fn on_done,
    void *arg);

/*
 * Waits until every accepted message (and every message restored from an
 * earlier run) has been acknowledged or failed and its on_done has returned.
 * Returns 0 when nothing is in flight, -1 after timeout_ms.
 */
int publisher_flush(struct publisher *p, int64_t timeout_ms);

/* Messages restored from persist_dir at publisher_new(). */
int publisher_restored(const struct publisher *p);

int publisher_connected(const struct publisher *p);
void publisher_stats(const struct publisher *p, struct publisher_stats *st);

/*
 * Publishes "offline" (if connected and status_topic is set), disconnects
 * waiting up to timeout_ms for messages in flight, and frees everything.
 * Messages still unacknowledged get on_done(ok = 0) and remain in
 * persist_dir for the next start. Accepts NULL.
 */
void publisher_free(struct publisher *p, int64_t timeout_ms);

#endif
