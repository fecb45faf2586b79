/*
 * httpd: the operational HTTP endpoint of a daemon: GET /metrics (the
 * Prometheus text format) and GET /healthz. The hub and every adapter serve
 * it; each provides two callbacks that write the text, this module does the
 * HTTP. The only module in common/ that sees libmicrohttpd.
 *
 *   /metrics  200, Content-Type "text/plain; version=0.0.4; charset=utf-8":
 *             what the metrics callback wrote, then the endpoint's own
 *             counters (simpul_http_*).
 *   /healthz  200 "ok" when the health callback returns 1; otherwise 503
 *             with the reason(s) the callback wrote, one per line.
 *   other     404. Methods other than GET and HEAD: 405 (with "Allow").
 *
 * Exposure: it binds to the address given (loopback by default in every
 * config) and serves read-only text: no request body is ever read, a
 * request's headers are limited to 8 KiB of memory, at most
 * max_connections are open at once (more wait in the listen queue), each
 * connection carries one request (no keep-alive) and gets timeout_ms from
 * its start to deliver it and take the answer: a client that trickles a
 * byte at a time (slow loris) is cut off then. One thread polls every
 * connection with epoll, so a slow client never delays another; it costs a
 * connection slot until its deadline.
 *
 * Threads: the endpoint runs one thread of its own; both callbacks run on
 * it, one request at a time, so they need no lock of their own against
 * each other but must read the daemon's state thread-safely. The thread
 * blocks SIGTERM, SIGINT and SIGHUP so those keep going to the main thread.
 */
#ifndef SIMPUL_HTTPD_H
#define SIMPUL_HTTPD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

#define HTTPD_MAX_CONNECTIONS_DEFAULT 16
#define HTTPD_TIMEOUT_MS_DEFAULT 5000

struct httpd;

/* Appends the metrics to out (an unlimited buffer). */
typedef void (*httpd_metrics_fn)(void *arg, struct buf *out);
/*
 * Returns 1 when healthy; 0 when not, after appending the reason(s) to out
 * as lines of text ("postgres: down\n").
 */
typedef int (*httpd_health_fn)(void *arg, struct buf *out);

struct httpd_opts {
	const char *listen;   /* "127.0.0.1:9180", "[::1]:9180"; port 0: any */
	const char *name;     /* for the logs: "hub", "adapter" */
	long max_connections; /* 0: HTTPD_MAX_CONNECTIONS_DEFAULT */
	int64_t timeout_ms;   /* per connection; 0: HTTPD_TIMEOUT_MS_DEFAULT */
	httpd_metrics_fn metrics;
	httpd_health_fn health;
	void *arg;
};

/*
 * Splits "host:port" or "[v6addr]:port" into its parts. The host must be
 * a numeric address (a name could resolve differently later, or to several
 * addresses); the port 0..65535. Returns 0, or -1 with a message in err.
 */
int httpd_parse_listen(const char *addr, char *host, size_t hostlen,
    int *port, char *err, size_t errlen);

/*
 * Binds and starts serving. Returns NULL (logged with the reason) when the
 * address is bad or cannot be bound.
 */
struct httpd *httpd_start(const struct httpd_opts *o);
/* The bound port (useful with port 0). */
int httpd_port(const struct httpd *h);
/* Stops the thread, closes every connection and frees. Accepts NULL. */
void httpd_stop(struct httpd *h);

/*
 * Helpers for the daemons that run libmicrohttpd servers of their own
 * (Open311, the permit webhook):
 * httpd_sockaddr() turns "host:port", "[v6]:port" or ":port" (any address)
 * with a numeric host into a socket address for MHD_OPTION_SOCK_ADDR
 * (0 / -1); httpd_mhd_logger() is an MHD_OPTION_EXTERNAL_LOGGER callback that
 * logs microhttpd's own messages as warnings, prefixed with the C string
 * given as its cls.
 */
int httpd_sockaddr(const char *listen, struct sockaddr_storage *ss);
void httpd_mhd_logger(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
