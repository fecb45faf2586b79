/*
 * webserver: what the adapters' own HTTP servers on libmicrohttpd have in
 * common: the Open311 endpoint of simpul-pengaduan and the permit webhook
 * of simpul-perizinan (both started here), and the OsmAnd endpoint of
 * simpul-gps (which shares the answer and the body limit check only: it
 * runs one epoll thread instead of a thread per connection).
 *
 * One thread per connection, at most max_connections of them, is what
 * lets a handler simply block until the broker has acknowledged the events
 * of its request before it answers. The library's threads block SIGTERM,
 * SIGINT and SIGHUP, so those keep going to the main thread (adapter.h).
 * Each connection's thread waits with poll(2), not select(2), which fails
 * once descriptors pass FD_SETSIZE (1,024).
 *
 * The only users of this header are modules that include <microhttpd.h>
 * themselves; everything else speaks the adapter's own types.
 */
#ifndef SIMPUL_ADAPTER_WEBSERVER_H
#define SIMPUL_ADAPTER_WEBSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct webserver_opts {
	const char *name;	/* "open311": the prefix of its log lines */
	const char *listen;	/* as configured, for the log */
	const struct sockaddr_storage *addr;	/* from httpd_sockaddr() */
	long max_connections;
	int64_t idle_timeout_ms;	/* rounded up to whole seconds */
	MHD_AccessHandlerCallback handler;
	void *arg;		/* of handler and completed */
	MHD_RequestCompletedCallback completed;
};

/*
 * Starts the daemon and puts the port it bound into *port. Returns NULL
 * after logging "<name>: cannot listen on <listen> (...)".
 */
struct MHD_Daemon *webserver_start(const struct webserver_opts *o,
    int *port);

/*
 * Queues an answer with body (a C string, copied) of the given
 * Content-Type, "Cache-Control: no-store", "Allow: <allow>" unless allow is
 * NULL, and on a 503 "Retry-After: <retry_after>" unless that is NULL.
 * Returns what MHD_queue_response() does (MHD_NO when out of memory).
 */
enum MHD_Result webserver_answer(struct MHD_Connection *c, unsigned status,
    const char *content_type, const char *body, const char *allow,
    const char *retry_after);

/*
 * 1 when the request declares a Content-Length above max (or one that is
 * not a number), so that it can be answered 413 before its body is read.
 */
int webserver_body_too_large(struct MHD_Connection *c, size_t max);

#endif
