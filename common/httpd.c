/*
 * httpd: see httpd.h.
 *
 * libmicrohttpd runs in "external polling" mode on epoll, driven by a
 * thread of ours (httpd_main) that calls MHD_run_wait() in slices of
 * HTTPD_SLICE_MS. Every library callback therefore runs on that one thread,
 * which is what lets the request handler and the watchdog below share the
 * connection table and the counters without a lock.
 *
 * The library's own connection timeout is an idle timeout: it restarts
 * with every byte received, so a client sending one byte every few seconds
 * would hold a slot for hours. The watchdog adds a deadline: each
 * connection is in the table (connection notifications) with the time it
 * was opened. After each slice, a connection open longer than timeout_ms
 * has its socket shut down (shutdown(2), not close(2): the library still
 * owns the descriptor, notices the failure, closes it and frees the slot).
 *
 * There is no keep-alive: the answer is queued on the first call of the
 * access handler, before any request body would be read, and the library
 * then closes the connection after sending it. That keeps a body from ever
 * being read, and one connection from ever carrying more than one request
 * (a Prometheus scrape every few seconds does not miss the reuse).
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "prom.h"

#define HTTPD_SLICE_MS 200
#define HTTPD_MEMORY_LIMIT (16 * 1024) /* per connection: request headers */
#define HTTPD_LOG_BURST 10             /* library messages per minute */
#define HTTPD_MAX_CONNECTIONS_LIMIT 1024

#define HTTPD_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define HTTPD_CT_TEXT "text/plain; charset=utf-8"

struct httpd_conn {
	int fd;           /* -1: a free slot */
	int64_t since_ms; /* monotonic: when it was opened */
	int cut;
};

/* The answers we count, by status code. */
enum httpd_code { HTTPD_200, HTTPD_404, HTTPD_405, HTTPD_503, HTTPD_NCODES };

struct httpd {
	char *name;
	httpd_metrics_fn metrics;
	httpd_health_fn health;
	void *arg;
	int64_t timeout_ms;
	struct MHD_Daemon *d;
	pthread_t thread;
	atomic_int stopping;
	int port;
	struct httpd_conn *conns;
	size_t nconns;
	struct buf body;
	/* Written and read on the httpd thread only (see the top). */
	uint64_t answers[HTTPD_NCODES], timeouts;
	int64_t log_window;
	unsigned int log_count, log_suppressed;
};

/*
 * Rate-limited warnings: the library logs one line per refused connection
 * and the watchdog one per cut, which a flood would turn into a log flood.
 * Called on the httpd thread, or on the caller's thread while the httpd
 * thread does not run (in httpd_start() and httpd_stop()).
 */
__attribute__((format(printf, 2, 0)))
static void
httpd_vlog(struct httpd *h, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;
	int64_t now = clock_mono_ms();

	if (now - h->log_window >= 60000) {
		if (h->log_suppressed > 0)
			log_warnx("httpd: %s: %u messages suppressed", h->name,
			    h->log_suppressed);
		h->log_window = now;
		h->log_count = 0;
		h->log_suppressed = 0;
	}
	if (h->log_count >= HTTPD_LOG_BURST) {
		h->log_suppressed++;
		return;
	}
	h->log_count++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warnx("httpd: %s: %s", h->name, msg);
}

__attribute__((format(printf, 2, 3)))
static void
httpd_logx(struct httpd *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	httpd_vlog(h, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 0)))
static void
httpd_mhd_log(void *cls, const char *fmt, va_list ap)
{
	httpd_vlog(cls, fmt, ap);
}

int
httpd_parse_listen(const char *addr, char *host, size_t hostlen, int *port,
    char *err, size_t errlen)
{
	const char *colon, *h0, *h1;
	struct in6_addr a6;
	struct in_addr a4;
	char portstr[8];
	size_t n;
	long p;

	if (addr[0] == '[') {
		h0 = addr + 1;
		if ((h1 = strchr(h0, ']')) == NULL || h1[1] != ':') {
			snprintf(err, errlen, "'%s': want [address]:port",
			    addr);
			return -1;
		}
		colon = h1 + 1;
	} else {
		h0 = addr;
		if ((colon = strrchr(addr, ':')) == NULL ||
		    memchr(addr, ':', (size_t)(colon - addr)) != NULL) {
			snprintf(err, errlen, "'%s': want address:port "
			    "(an IPv6 address in brackets)", addr);
			return -1;
		}
		h1 = colon;
	}
	n = (size_t)(h1 - h0);
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "'%s': the address is %s", addr,
		    n == 0 ? "missing" : "too long");
		return -1;
	}
	memcpy(host, h0, n);
	host[n] = '\0';
	if (inet_pton(addr[0] == '[' ? AF_INET6 : AF_INET, host,
	    addr[0] == '[' ? (void *)&a6 : (void *)&a4) != 1) {
		snprintf(err, errlen, "'%s': '%s' is not a numeric IP%s "
		    "address", addr, host, addr[0] == '[' ? "v6" : "v4");
		return -1;
	}
	if (strlen(colon + 1) >= sizeof(portstr) ||
	    parse_long(colon + 1, 0, 65535, &p) == -1) {
		snprintf(err, errlen, "'%s': the port must be 0..65535",
		    addr);
		return -1;
	}
	*port = (int)p;
	return 0;
}

static enum MHD_Result
httpd_answer(struct MHD_Connection *conn, unsigned int status,
    const char *type, const char *text, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* The endpoint's own counters, after the daemon's. */
static void
httpd_own_metrics(struct httpd *h, struct buf *b)
{
	static const char *const codes[HTTPD_NCODES] = { "200", "404",
	    "405", "503" };
	const char *labels[] = { "code", NULL, NULL };
	int i;

	prom_family(b, "simpul_http_requests_total", PROM_COUNTER,
	    "HTTP requests answered by the /metrics and /healthz endpoint, by "
	    "status code (this one included)");
	for (i = 0; i < HTTPD_NCODES; i++) {
		labels[1] = codes[i];
		prom_sample_u64(b, "simpul_http_requests_total", labels,
		    h->answers[i]);
	}
	prom_counter(b, "simpul_http_timeouts_total",
	    "HTTP connections cut because they did not complete a request "
	    "in time (slow or idle clients)", h->timeouts);
}

/*
 * The whole request is answered on the first call, before any body is
 * read: nothing we serve takes one (see the top on what that means for
 * keep-alive).
 */
static enum MHD_Result
httpd_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static const char not_allowed[] = "method not allowed: use GET\n";
	static const char not_found[] = "not found: try /metrics or /healthz\n";
	struct httpd *h = cls;
	int healthy;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		h->answers[HTTPD_405]++;
		return httpd_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    HTTPD_CT_TEXT, not_allowed, sizeof(not_allowed) - 1);
	}
	buf_reset(&h->body);
	if (strcmp(url, "/metrics") == 0) {
		h->answers[HTTPD_200]++;
		h->metrics(h->arg, &h->body);
		httpd_own_metrics(h, &h->body);
		return httpd_answer(conn, MHD_HTTP_OK, HTTPD_CT_METRICS,
		    h->body.data, h->body.len);
	}
	if (strcmp(url, "/healthz") == 0) {
		healthy = h->health(h->arg, &h->body);
		h->answers[healthy ? HTTPD_200 : HTTPD_503]++;
		if (healthy) {
			buf_reset(&h->body);
			buf_append(&h->body, "ok\n", 3);
		} else if (h->body.len == 0)
			buf_append(&h->body, "unhealthy\n", 10);
		return httpd_answer(conn, healthy ? MHD_HTTP_OK :
		    MHD_HTTP_SERVICE_UNAVAILABLE, HTTPD_CT_TEXT,
		    h->body.data, h->body.len);
	}
	h->answers[HTTPD_404]++;
	return httpd_answer(conn, MHD_HTTP_NOT_FOUND, HTTPD_CT_TEXT,
	    not_found, sizeof(not_found) - 1);
}

static void
httpd_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	struct httpd_conn *c;
	const union MHD_ConnectionInfo *ci;
	size_t i;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = NULL;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL)
			return;
		/* The library keeps to the limit, so a slot is free. */
		for (i = 0; i < h->nconns; i++) {
			c = &h->conns[i];
			if (c->fd != -1)
				continue;
			c->fd = ci->connect_fd;
			c->since_ms = clock_mono_ms();
			c->cut = 0;
			*socket_context = c;
			return;
		}
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((c = *socket_context) != NULL)
			c->fd = -1;
		*socket_context = NULL;
	}
}

static void
httpd_watchdog(struct httpd *h, int64_t now_ms)
{
	struct httpd_conn *c;
	size_t i;

	for (i = 0; i < h->nconns; i++) {
		c = &h->conns[i];
		if (c->fd == -1 || c->cut ||
		    now_ms - c->since_ms <= h->timeout_ms)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = 1;
		h->timeouts++;
		httpd_logx(h, "connection cut: no complete request within "
		    "%lld ms", (long long)h->timeout_ms);
	}
}

static void *
httpd_main(void *arg)
{
	struct httpd *h = arg;
	struct timespec ts = { 0, HTTPD_SLICE_MS * 1000000L };

	while (!atomic_load(&h->stopping)) {
		if (MHD_run_wait(h->d, HTTPD_SLICE_MS) != MHD_YES) {
			/* Logged by the library; do not spin. */
			nanosleep(&ts, NULL);
		}
		httpd_watchdog(h, clock_mono_ms());
	}
	return NULL;
}

static void
httpd_free(struct httpd *h)
{
	free(h->name);
	free(h->conns);
	buf_free(&h->body);
	free(h);
}

struct httpd *
httpd_start(const struct httpd_opts *o)
{
	struct httpd *h;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	const union MHD_DaemonInfo *di;
	sigset_t old;
	char host[INET6_ADDRSTRLEN], err[256];
	unsigned int flags;
	int port, rc;
	size_t i;

	h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(o->name != NULL ? o->name : "http");
	h->metrics = o->metrics;
	h->health = o->health;
	h->arg = o->arg;
	h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    HTTPD_TIMEOUT_MS_DEFAULT;
	h->nconns = o->max_connections > 0 ? (size_t)o->max_connections :
	    HTTPD_MAX_CONNECTIONS_DEFAULT;
	if (h->nconns > HTTPD_MAX_CONNECTIONS_LIMIT)
		h->nconns = HTTPD_MAX_CONNECTIONS_LIMIT;
	h->conns = xcalloc(h->nconns, sizeof(*h->conns));
	for (i = 0; i < h->nconns; i++)
		h->conns[i].fd = -1;
	buf_init(&h->body, 0);

	if (httpd_parse_listen(o->listen, host, sizeof(host), &port, err,
	    sizeof(err)) == -1) {
		log_warnx("httpd: %s: listen %s", h->name, err);
		goto fail;
	}
	flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (o->listen[0] == '[') {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &sin6.sin6_addr);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &sin.sin_addr);
		sa = (struct sockaddr *)&sin;
	}
	/*
	 * Not MHD_OPTION_LISTENING_ADDRESS_REUSE: on Linux that is
	 * SO_REUSEPORT, which would let a second daemon bind the same port
	 * and silently take half of the scrapes. (The library sets
	 * SO_REUSEADDR by itself, so a restart can rebind at once.)
	 */
	h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL,
	    httpd_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_log, h,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)h->nconns,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)((h->timeout_ms + 999) / 1000),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_CONNECTION, httpd_notify, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_warnx("httpd: %s: cannot listen on %s", h->name,
		    o->listen);
		goto fail;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : port;

	signals_block_stop(&old);
	rc = pthread_create(&h->thread, NULL, httpd_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		fatal("httpd: cannot start thread");
	}
	log_info("httpd: %s: serving /metrics and /healthz on %s port %d",
	    h->name, host, h->port);
	return h;
fail:
	httpd_free(h);
	return NULL;
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stopping, 1);
	pthread_join(h->thread, NULL);
	MHD_stop_daemon(h->d);
	httpd_free(h);
}

int
httpd_sockaddr(const char *listen, struct sockaddr_storage *ss)
{
	char host[128], port[16];
	const char *colon, *h = listen;
	struct addrinfo hints, *res = NULL;
	size_t hl;

	if ((colon = strrchr(listen, ':')) == NULL)
		return -1;
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h = listen + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port) ||
	    colon[1] == '\0')
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strlcpy_s(port, colon + 1, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(hl > 0 ? host : NULL, port, &hints, &res) != 0 ||
	    res == NULL)
		return -1;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

void
httpd_mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warnx("%s: microhttpd: %s", (const char *)cls, line);
}
