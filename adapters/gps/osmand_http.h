/*
 * osmand_http: the OsmAnd / Traccar Client HTTP endpoint of simpul-gps,
 * on libmicrohttpd (the only module that includes microhttpd.h).
 *
 * Requests, on any path:
 *   GET  /?id=...&lat=...            the query string
 *   POST /?id=...  (empty body)      the query string
 *   POST  id=...&lat=...             a form body (application/x-www-form-
 *                                    urlencoded, or any body not JSON)
 *   POST  {"device_id": ...}         a JSON body (Content-Type with "json",
 *                                    or a body starting with '{')
 * decoded by osmand.h and handed to the same handler as the TCP trackers
 * (server.h), on libmicrohttpd's thread. The answer says what happened:
 *
 *   200  handed to the publisher (persisted), or a heartbeat (nothing to
 *        publish); empty body
 *   400  the request does not decode ("missing id", "lat out of range")
 *        or the fix fails its schema; text/plain reason
 *   403  unknown device (unknown_devices = reject)
 *   405  a method other than GET or POST
 *   413  body larger than max_body; 414: query longer than
 *        OSMAND_QUERY_MAX
 *   503  the publisher's buffer is full; Retry-After: 5. Traccar Client
 *        keeps the position and sends it again.
 *
 * A re-sent position is not a duplicate event when it has a timestamp (the
 * event id is derived from it, see main.c).
 *
 * Limits: max_connections (libmicrohttpd refuses more), an inactivity
 * timeout per connection (timeout), and a whole-request bound
 * (request_timeout): a client that trickles its headers or body one byte
 * at a time, staying under the inactivity timeout, is cut off when the
 * request has taken longer than request_timeout. osmand_http_tick(), called
 * from the main loop, enforces that by shutting the socket down; the
 * library then sees the connection fail and frees its slot.
 */
#ifndef SIMPUL_GPS_OSMAND_HTTP_H
#define SIMPUL_GPS_OSMAND_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

struct osmand_http;

struct osmand_http_config {
	const char *listen;          /* "host:port"; port 0 picks one */
	long max_connections;
	int64_t timeout_ms;          /* inactivity, whole seconds (>= 1s) */
	int64_t request_timeout_ms;  /* a request from its first byte */
	size_t max_body;
};

struct osmand_http_stats {
	uint64_t requests;     /* requests answered */
	uint64_t ok;           /* 200 */
	uint64_t bad;          /* 400, 405, 413, 414 */
	uint64_t refused;      /* 403 */
	uint64_t busy;         /* 503 */
	uint64_t cut;          /* connections cut by request_timeout */
	uint64_t connections;  /* open now */
};

/*
 * Starts the server on its own thread. Returns NULL (logged) when the
 * address does not parse or cannot be bound.
 */
struct osmand_http *osmand_http_start(const struct osmand_http_config *cfg,
    gps_handler_fn handler, void *arg);

/* The bound port. */
int osmand_http_port(const struct osmand_http *h);

/*
 * Cuts connections whose current request is older than request_timeout.
 * now_ms is the monotonic clock (clock_mono_ms()). Cheap: O(connections),
 * meant for about once a second.
 */
void osmand_http_tick(struct osmand_http *h, int64_t now_ms);

void osmand_http_stats(struct osmand_http *h, struct osmand_http_stats *st);

/* Stops the thread, closes every connection, frees. Accepts NULL. */
void osmand_http_stop(struct osmand_http *h);

#endif
