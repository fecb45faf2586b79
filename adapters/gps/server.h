/*
 * server: the TCP side of simpul-gps. One thread, one epoll set, any
 * number of tracker connections (GT06 on one listener, H02 on another),
 * non-blocking sockets, level-triggered.
 *
 * What the server does with the bytes: it feeds them to the connection's
 * decoder (gt06.h, h02.h) and hands every decoded message to a handler
 * (main.c: registry lookup, event, publish). The handler's verdict decides
 * whether the decoder's reply is written back:
 *
 *   GPS_ACCEPT   handled; what had to be published was accepted by the
 *                publisher (persisted): the reply is written.
 *   GPS_INVALID  the message is bad at its source (fails its schema):
 *                answered anyway, so that the device does not resend it
 *                forever; counted by the adapter.
 *   GPS_DROP     nothing to do and nothing to answer (a position before
 *                the GT06 login).
 *   GPS_REFUSE   a device this adapter does not serve: no reply, and the
 *                connection is closed.
 *   GPS_BUSY     the publisher's buffer is full: no reply yet. The message
 *                (with its reply and the handler's progress) is kept, the
 *                connection stops being read (backpressure: the kernel's
 *                receive window fills and the tracker waits), and the
 *                message is offered to the handler again every
 *                SERVER_RETRY_MS until it is taken; then the reply goes
 *                out and reading resumes. Nothing received is dropped.
 *
 * Limits: max_connections (over it, a new connection is accepted and
 * closed at once, counted), idle_timeout (no byte received for that long:
 * closed; a connection held back by a full publisher is not idle),
 * conn_buffer (bytes read per wake-up and the most a held-back connection
 * keeps unfed), out_max (unsent reply bytes: a peer that does not read its
 * replies is closed when they exceed it, or when they have waited longer
 * than write_timeout). The decoders bound their own buffers (1 KiB).
 *
 * Time: the monotonic and wall clocks are read once per loop iteration.
 */
#ifndef SIMPUL_GPS_SERVER_H
#define SIMPUL_GPS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "gpsfix.h"

/* How often a connection held back by a full publisher is retried. */
#define SERVER_RETRY_MS 100

enum gps_verdict {
	GPS_ACCEPT,
	GPS_INVALID,
	GPS_DROP,
	GPS_REFUSE,
	GPS_BUSY
};

/*
 * Handles one decoded message (see above). now_ms is the wall-clock time
 * the message was received (for fixes without a time of their own). *done
 * is the handler's progress through the events of this message: 0 on the
 * first call; on GPS_BUSY the handler leaves there how many it already
 * published, and the retry passes it back, so that nothing is published
 * twice. Also used by the OsmAnd HTTP server, from its own thread.
 */
typedef enum gps_verdict (*gps_handler_fn)(void *arg,
    const struct gps_fix *fix, int64_t now_ms, int *done);

struct server_config {
	const char *gt06_listen;  /* "host:port"; NULL or "": no listener */
	const char *h02_listen;
	long max_connections;
	int64_t idle_timeout_ms;
	int64_t write_timeout_ms;
	size_t conn_buffer;
	size_t out_max;
	int send_replies;
};

struct server_stats {
	uint64_t connections;   /* open now */
	uint64_t accepted;      /* connections taken */
	uint64_t over_cap;      /* accepted and closed: max_connections */
	uint64_t accept_errors; /* accept(2) failed (EMFILE, ENOBUFS, ...) */
	uint64_t closed_idle;
	uint64_t closed_slow;   /* did not read its replies */
	uint64_t closed_garbage; /* the decoder gave up on the stream */
	uint64_t closed_refused; /* unknown device */
	uint64_t messages;      /* decoded messages handed to the handler */
	uint64_t replies;       /* replies queued for writing */
	uint64_t busy;          /* GPS_BUSY verdicts */
	uint64_t held;          /* connections held back now */
	uint64_t lost;          /* received, never taken: still held back at
				 * server_free() (the publisher stayed full) */
};

struct server;

/*
 * Binds the listeners (SO_REUSEADDR; port 0 picks a free port, which is
 * logged) and creates the epoll set. Returns NULL (logged) when an address
 * does not parse or cannot be bound.
 */
struct server *server_new(const struct server_config *cfg,
    gps_handler_fn handler, void *arg);

/*
 * One loop iteration: waits up to timeout_ms for events (less when a timer
 * is due), handles them, closes idle connections and retries held-back
 * ones. Returns 0, or -1 when epoll_wait(2) failed with something other
 * than EINTR (logged).
 */
int server_poll(struct server *s, int timeout_ms);

/*
 * Stops accepting (closes the listeners) and closes every connection that
 * holds nothing back; the others stop being read and are closed once their
 * messages are taken. Call server_poll() until server_held() is 0.
 */
void server_shutdown(struct server *s);

/* Messages received and not yet taken by the handler (GPS_BUSY). */
size_t server_held(const struct server *s);

/* The bound port of a listener ("gt06" or "h02"), or 0 when off. */
int server_port(const struct server *s, const char *proto);

void server_stats(const struct server *s, struct server_stats *st);

/* Closes everything; messages still held back are counted and logged. */
void server_free(struct server *s);

/*
 * Parses "host:port" or "[v6addr]:port" into host and port strings
 * (numeric host or name; port 0-65535). Returns 0 / -1. Shared with the
 * HTTP listener's config check.
 */
int server_parse_addr(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen);

#endif
