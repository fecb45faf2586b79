/*
 * poll: one HTTP GET of one page of SiCantik's permit API, on libcurl (the
 * only module that includes curl.h).
 *
 *	GET <api_url>?updated_since=<RFC 3339>&page=<n>&per_page=<m>
 *	Authorization: Bearer <api_token>
 *	Accept: application/json
 *	[If-None-Match: <etag>] [If-Modified-Since: <date>]
 *
 * TLS certificates and host names are verified unless the config turns it
 * off explicitly (insecure; poll_new() then warns loudly). Only http and
 * https are spoken, redirects are not followed (a 3xx is a failure: the
 * bearer token must not wander), the connect and the whole transfer have
 * timeouts, and the body (after decompression) is limited to max_bytes.
 *
 * One struct poll is used by one thread at a time (the main loop); it
 * keeps its curl handle, so connections are reused between pages.
 * Call poll_global_init() once, before any thread is started.
 */
#ifndef SIMPUL_PERIZINAN_POLL_H
#define SIMPUL_PERIZINAN_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define POLL_VALIDATOR_MAX 256	/* ETag and Last-Modified, bytes */
#define POLL_REASON_MAX 256

struct poll_config {
	const char *url;		/* without a query */
	const char *token;		/* NULL or "": no Authorization */
	const char *ca_file;		/* NULL: the system's CA store */
	int insecure;			/* 1: no TLS verification (warned) */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;		/* the whole transfer */
	size_t max_bytes;		/* largest body */
	const char *user_agent;
};

struct poll_request {
	const char *since;		/* updated_since; NULL: none */
	long page;
	long per_page;
	const char *if_none_match;	/* NULL: none */
	const char *if_modified_since;	/* NULL: none */
};

enum poll_result {
	POLL_OK,		/* 200: body, validators */
	POLL_NOT_MODIFIED,	/* 304 (only when validators were sent) */
	POLL_RETRY,		/* timeout, network, 5xx, 429: temporary */
	POLL_FAILED,		/* anything else (4xx, 3xx, too large) */
};

struct poll_response {
	long status;			/* HTTP status, 0 if none */
	struct buf body;		/* NUL-terminated after POLL_OK */
	char etag[POLL_VALIDATOR_MAX];	/* "" when none */
	char last_modified[POLL_VALIDATOR_MAX];
	char reason[POLL_REASON_MAX];	/* why, for the log */
	int64_t elapsed_ms;
};

struct poll;

/* curl_global_init(); fatal if it fails. Once, before threads. */
void poll_global_init(void);
void poll_global_cleanup(void);

/*
 * A client for cfg->url (copied). Returns NULL (logged) when the URL is not
 * http(s) or libcurl refuses an option (e.g. a missing ca_file).
 */
struct poll *poll_new(const struct poll_config *cfg);
void poll_free(struct poll *p);

/* Initialises / frees a response (body limited to max_bytes). */
void poll_response_init(struct poll_response *rs, size_t max_bytes);
void poll_response_free(struct poll_response *rs);

/*
 * Fetches one page into rs (reset first). Never logs: the reason is in
 * rs->reason and the caller decides how loudly to say it.
 */
enum poll_result poll_get(struct poll *p, const struct poll_request *rq,
    struct poll_response *rs);

/* The full URL of a request (heap), for logs and conditional requests. */
char *poll_url(struct poll *p, const struct poll_request *rq);

#endif
