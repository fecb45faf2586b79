/*
 * open311: the Open311 GeoReport v2 HTTP endpoint (JSON format), on
 * libmicrohttpd (the only module that includes microhttpd.h).
 *
 *   GET  /open311/v2/services.json            the service list
 *   GET  /open311/v2/services/<code>.json     a service definition
 *   POST /open311/v2/requests.json            a new service request
 *   GET  /open311/v2/requests.json            requests by id, code, date,
 *                                             status (casedb.h)
 *   GET  /open311/v2/requests/<id>.json       one request
 *
 * Errors follow the spec: the status code (400 bad request, 403 missing or
 * wrong api_key, 404 unknown service, request or path, 405 wrong method,
 * 413 body larger than max_body, 503 not confirmed in time or database
 * unreachable) and a body [{"code": <status>, "description": "..."}].
 * Only the .json format is served; .xml is answered 400.
 *
 * A POST is answered only once the broker has acknowledged the complaint's
 * event: the handler thread (one per connection, at most max_connections)
 * hands the checked request to the submit callback, which publishes the
 * event with open311_done() as its on_done, and then waits up to
 * ack_timeout_ms. ok: 200 with the service_request_id; broker refused or no
 * answer in time: 503 (the event may still go out; a retry of the same
 * request gets the same id, see below, so nothing is doubled).
 *
 * Idempotency: the event id is derived from the client's name, a digest of
 * the exact request (content type and body) and a time bucket of
 * dedup_window_ms. A request seen before within the window reuses the
 * bucket and the submission time of its first sighting, so a client that
 * retries the same POST gets the same service_request_id and an identical
 * event, which the hub stores once. The sightings (at most
 * OPEN311_RECENT_MAX) are kept in memory and appended to recent_path, which
 * is read back at start, so a restart in between changes nothing. Without
 * recent_path, a retry after a restart that also crosses a bucket boundary
 * makes a second complaint. docs/pengaduan.md has the details.
 */
#ifndef SIMPUL_OPEN311_H
#define SIMPUL_OPEN311_H

#include <stddef.h>
#include <stdint.h>

#include "casedb.h"
#include "open311_form.h"
#include "services.h"

#define OPEN311_RECENT_MAX 4096	/* remembered POSTs (idempotency) */
#define OPEN311_ID_MAX 64	/* service_request_id, bytes */

/* What the submit callback gets: a checked request of a known service. */
struct open311_submission {
	const struct open311_request *req;
	const struct service *service;
	const struct services_client *client;
	/* Record key and version for cloudevent_set_id_record(): the
	 * client, the request's digest, and the time bucket. */
	const char *record_key;
	const char *version;
	/* When the request was first seen: the complaint's submitted_at. */
	int64_t submitted_ms;
};

enum open311_submit {
	OPEN311_SUBMIT_OK,	/* published: open311_done(pending) follows */
	OPEN311_SUBMIT_INVALID,	/* refused by the schema: 400 with err */
	OPEN311_SUBMIT_BUSY,	/* publisher full: 503, retry later */
};

/*
 * Builds and publishes the complaint. On OPEN311_SUBMIT_OK it has written
 * the service_request_id into id and passed pending as the on_done
 * argument with open311_done() as on_done. Called on a handler thread.
 */
typedef enum open311_submit (*open311_submit_fn)(void *arg,
    const struct open311_submission *s, void *pending, char *id,
    size_t idlen, char *err, size_t errlen);

struct open311_config {
	const char *listen;		/* "127.0.0.1:8311", "[::1]:0", ":8311" */
	const char *jurisdiction_id;	/* NULL: not checked */
	size_t max_body;		/* <= OPEN311_BODY_MAX */
	int max_connections;
	int64_t ack_timeout_ms;
	int64_t dedup_window_ms;
	int64_t connection_timeout_ms;	/* idle or slow clients */
	const char *recent_path;	/* sightings file; NULL: memory only */
	const struct services *services;
	struct casedb *casedb;		/* NULL: GET requests answers 503 */
	open311_submit_fn submit;
	void *arg;
};

struct open311;

/*
 * Starts the server (its threads start with SIGTERM, SIGINT and SIGHUP
 * blocked, so signals reach the main thread). Returns NULL (logged) when
 * listen is invalid or the address cannot be bound.
 */
struct open311 *open311_new(const struct open311_config *cfg);

/* The port it listens on (useful with port 0). */
int open311_port(const struct open311 *o);

/*
 * The on_done of a submitted complaint (publisher_done_fn): wakes the
 * waiting handler. Thread-safe; exactly once per OPEN311_SUBMIT_OK.
 */
void open311_done(void *pending, int ok);

struct open311_stats {
	uint64_t requests;	/* HTTP requests answered */
	uint64_t accepted;	/* POSTs answered 200 */
	uint64_t repeated;	/* of those, repeats within the window */
	uint64_t refused;	/* 4xx */
	uint64_t unavailable;	/* 503 */
};
void open311_stats(struct open311 *o, struct open311_stats *st);

/*
 * Stops the server: waiting handlers answer 503 at once, then every
 * connection is closed. Complaints still in flight are the publisher's
 * (their open311_done() may come later and is harmless). Accepts NULL.
 */
void open311_free(struct open311 *o);

#endif
