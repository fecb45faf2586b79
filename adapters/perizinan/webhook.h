/*
 * webhook: the receiver of SiCantik's pushes, on libmicrohttpd (the only
 * module that includes microhttpd.h).
 *
 *	POST <path> (default /webhook/sicantik)
 *	Content-Type: application/json
 *	X-Sicantik-Timestamp: <unix seconds>
 *	X-Sicantik-Signature: sha256=<hex HMAC-SHA256(secret, ts "." body)>
 *
 *	body: one permit record, an array of them, or {"data": ...}, in the
 *	      polling API's record format (page.h)
 *
 * Answers, in the order they are checked (bodies are JSON
 * {"error": "..."} or, for 200, {"accepted": n, "ignored": m}):
 *
 *	404  another path
 *	405  another method (Allow: POST)
 *	415  a Content-Type other than application/json
 *	413  a body larger than max_body (by Content-Length before reading,
 *	     or while reading a chunked body)
 *	401  signature or timestamp header missing, malformed or wrong, or a
 *	     timestamp further than tolerance from now (stale)
 *	409  the same delivery (same signature) was already accepted within
 *	     the tolerance, or is being processed right now: a replay; not
 *	     processed again (a sender that lost our 200 and retries the same
 *	     bytes gets 409, which means "already have it": do not retry)
 *	400  not a record or records (the reason is in the body)
 *	422  a record the event schema refuses (the others of the delivery
 *	     were published; see the adapter's log for the schema's reason)
 *	503  the publisher's buffer is full, the broker did not acknowledge
 *	     within ack_timeout, or the replay cache is full (Retry-After)
 *	200  every event of the delivery was acknowledged by the broker
 *
 * A delivery is answered 200 only after the broker acknowledged its
 * events (docs/adapters.md, push sources): the handler thread waits for
 * the on_done of each. A delivery answered anything else is not
 * remembered by the replay cache, so the sender may retry it as it is;
 * its events carry deterministic ids, so a retry never doubles an event.
 *
 * Resources: one thread per connection, at most max_connections; an idle
 * connection is closed after connection_timeout; a request whose body is
 * still arriving after request_timeout is cut (slow senders); headers are
 * bounded by the library's per-connection memory limit.
 */
#ifndef SIMPUL_PERIZINAN_WEBHOOK_H
#define SIMPUL_PERIZINAN_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"
#include "publisher.h"

/*
 * Publishes the event of one permit with on_done(done_arg, ok); returns an
 * enum adapter_publish value. Called on a handler thread.
 */
typedef int (*webhook_publish_fn)(void *arg, const struct permit *p,
    publisher_done_fn on_done, void *done_arg);

struct webhook_config {
	const char *listen;		/* "127.0.0.1:8320", "[::]:8320" */
	const char *path;		/* "/webhook/sicantik" */
	const void *secret;
	size_t secretlen;
	const char *signature_header;	/* "X-Sicantik-Signature" */
	const char *timestamp_header;	/* "X-Sicantik-Timestamp" */
	const char *signature_prefix;	/* "sha256=" */
	int64_t tolerance_ms;
	size_t max_body;
	size_t replay_max;
	int max_connections;
	int64_t connection_timeout_ms;	/* idle */
	int64_t request_timeout_ms;	/* whole body */
	int64_t ack_timeout_ms;
	const struct page_rules *rules;
	webhook_publish_fn publish;
	void *arg;
};

struct webhook_stats {
	uint64_t requests;
	uint64_t accepted;	/* 200 */
	uint64_t unauthorized;	/* 401 */
	uint64_t replayed;	/* 409 */
	uint64_t refused;	/* other 4xx */
	uint64_t unavailable;	/* 503 */
	uint64_t events;	/* events acknowledged */
};

struct webhook;

/*
 * Starts listening (threads start with SIGTERM, SIGINT and SIGHUP
 * blocked). Returns NULL (logged) when listen is not a numeric
 * address:port or cannot be bound.
 */
struct webhook *webhook_new(const struct webhook_config *cfg);
int webhook_port(const struct webhook *w);
void webhook_stats(struct webhook *w, struct webhook_stats *st);
/*
 * Stops: waiting handlers answer 503 at once, connections are closed.
 * Events still in flight are the publisher's; their late on_done is
 * harmless. Accepts NULL.
 */
void webhook_free(struct webhook *w);

#endif
