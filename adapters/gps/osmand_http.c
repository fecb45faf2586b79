/*
 * osmand_http: see osmand_http.h.
 *
 * libmicrohttpd runs with one internal thread on epoll, so thousands of
 * phones cost descriptors, not threads. Per request:
 *
 *   - the URI-log callback (called once per request, before the library
 *     unescapes or splits the URI) allocates the request state and keeps
 *     the raw query string, which is what osmand_decode_query() wants;
 *     the completed-request callback frees it;
 *   - the access handler collects a POST body up to max_body (a
 *     Content-Length above it is answered 413 before the body is read; a
 *     chunked body that grows past it makes us drop the connection), then
 *     decodes, calls the handler and answers.
 *
 * The whole-request watchdog: every connection is in a list (connection
 * notifications) with the time its current request began: when the
 * connection was opened, then when the previous request completed. The
 * main thread's osmand_http_tick() shuts down (shutdown(2), not close(2))
 * the socket of a connection past request_timeout; the library sees the
 * socket fail and closes it, freeing the slot. The list and the
 * descriptor are only touched under the mutex, and the library notifies
 * "closed" before it closes the descriptor, so the watchdog never shuts
 * down a descriptor number that was reused by another connection.
 *
 * SIGTERM, SIGINT and SIGHUP are blocked while the library starts its
 * thread, so that they keep going to the main thread (adapter.h).
 */
#include "osmand_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "osmand.h"
#include "util.h"
#include "webserver.h"

#define OSMAND_LOG_BURST 20

struct osmand_conn {
	int fd;
	int64_t since_ms; /* monotonic: start of the current request */
	int cut;
	struct osmand_conn *prev, *next;
};

struct osmand_req {
	char *query;    /* raw query string (after '?'), or NULL */
	size_t qlen;
	int query_too_long;
	int started;    /* the access handler ran once */
	int too_large;
	struct buf body;
};

struct osmand_http {
	struct MHD_Daemon *d;
	struct osmand_http_config cfg;
	gps_handler_fn handler;
	void *arg;
	int port;
	pthread_mutex_t mtx; /* conns, log_* */
	struct osmand_conn *conns;
	int64_t log_window;
	unsigned int log_count, log_suppressed;
	atomic_ullong requests, ok, bad, refused, busy, cut, connections;
};

/*
 * The library's messages, at most OSMAND_LOG_BURST a minute: it logs one
 * line per refused connection, which a flood would turn into a log flood.
 */
__attribute__((format(printf, 2, 0)))
static void
osmand_http_log(void *cls, const char *fmt, va_list ap)
{
	struct osmand_http *h = cls;
	char msg[512];
	size_t n;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&h->mtx);
	if (now - h->log_window >= 60000) {
		if (h->log_suppressed > 0)
			log_warnx("osmand_http: %u library messages suppressed",
			    h->log_suppressed);
		h->log_window = now;
		h->log_count = 0;
		h->log_suppressed = 0;
	}
	if (h->log_count >= OSMAND_LOG_BURST) {
		h->log_suppressed++;
		pthread_mutex_unlock(&h->mtx);
		return;
	}
	h->log_count++;
	pthread_mutex_unlock(&h->mtx);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warnx("osmand_http: %s", msg);
}

static void *
osmand_http_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct osmand_http *h = cls;
	struct osmand_req *rq;
	const char *q;
	size_t n;

	(void)conn;
	rq = xcalloc(1, sizeof(*rq));
	buf_init(&rq->body, h->cfg.max_body);
	if ((q = strchr(uri, '?')) != NULL) {
		q++;
		n = strlen(q);
		if (n > OSMAND_QUERY_MAX)
			rq->query_too_long = 1;
		else {
			rq->query = xstrndup(q, n);
			rq->qlen = n;
		}
	}
	return rq;
}

static void
osmand_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct osmand_http *h = cls;
	struct osmand_req *rq = *con_cls;
	const union MHD_ConnectionInfo *ci;
	struct osmand_conn *oc;

	(void)toe;
	if (rq != NULL) {
		free(rq->query);
		buf_free(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && (oc = ci->socket_context) != NULL) {
		pthread_mutex_lock(&h->mtx);
		oc->since_ms = clock_mono_ms();
		pthread_mutex_unlock(&h->mtx);
	}
}

static void
osmand_http_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct osmand_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct osmand_conn *oc;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		oc = xcalloc(1, sizeof(*oc));
		oc->fd = ci != NULL ? ci->connect_fd : -1;
		oc->since_ms = clock_mono_ms();
		pthread_mutex_lock(&h->mtx);
		oc->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = oc;
		h->conns = oc;
		pthread_mutex_unlock(&h->mtx);
		*socket_context = oc;
		atomic_fetch_add(&h->connections, 1);
		return;
	}
	if ((oc = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&h->mtx);
	if (oc->prev != NULL)
		oc->prev->next = oc->next;
	else
		h->conns = oc->next;
	if (oc->next != NULL)
		oc->next->prev = oc->prev;
	pthread_mutex_unlock(&h->mtx);
	free(oc);
	*socket_context = NULL;
	atomic_fetch_sub(&h->connections, 1);
}

/* A plain-text answer; a 405 names the methods (RFC 9110 wants Allow). */
static enum MHD_Result
osmand_http_answer(struct MHD_Connection *conn, unsigned int status,
    const char *text)
{
	return webserver_answer(conn, status, "text/plain; charset=utf-8",
	    text, status == MHD_HTTP_METHOD_NOT_ALLOWED ? "GET, POST" : NULL,
	    "5");
}

/* 1 when the body is JSON: by its Content-Type, or by its first byte. */
static int
osmand_http_is_json(struct MHD_Connection *conn, const struct buf *body)
{
	const char *ct;
	size_t i;

	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && strcasestr(ct, "json") != NULL)
		return 1;
	if (ct != NULL && strcasestr(ct, "form-urlencoded") != NULL)
		return 0;
	for (i = 0; i < body->len; i++)
		if (body->data[i] != ' ' && body->data[i] != '\t' &&
		    body->data[i] != '\r' && body->data[i] != '\n')
			return body->data[i] == '{';
	return 0;
}

/* Decodes the finished request, hands it over, answers. */
static enum MHD_Result
osmand_http_process(struct osmand_http *h, struct MHD_Connection *conn,
    struct osmand_req *rq, int post)
{
	struct gps_fix fix;
	char err[256], msg[300];
	int64_t now = clock_wall_ms();
	enum gps_verdict v;
	int r, done = 0;

	atomic_fetch_add(&h->requests, 1);
	if (rq->query_too_long) {
		atomic_fetch_add(&h->bad, 1);
		return osmand_http_answer(conn, MHD_HTTP_URI_TOO_LONG,
		    "query too long\n");
	}
	if (post && rq->body.len > 0) {
		if (osmand_http_is_json(conn, &rq->body))
			r = osmand_decode_json(rq->body.data, rq->body.len, now,
			    &fix, err, sizeof(err));
		else
			r = osmand_decode_query(rq->body.data, rq->body.len,
			    now, &fix, err, sizeof(err));
	} else
		r = osmand_decode_query(rq->query ? rq->query : "", rq->qlen,
		    now, &fix, err, sizeof(err));
	if (r == -1) {
		atomic_fetch_add(&h->bad, 1);
		snprintf(msg, sizeof(msg), "%s\n", err);
		return osmand_http_answer(conn, MHD_HTTP_BAD_REQUEST, msg);
	}
	v = h->handler(h->arg, &fix, now, &done);
	switch (v) {
	case GPS_ACCEPT:
	case GPS_DROP:
		atomic_fetch_add(&h->ok, 1);
		return osmand_http_answer(conn, MHD_HTTP_OK, "");
	case GPS_INVALID:
		atomic_fetch_add(&h->bad, 1);
		return osmand_http_answer(conn, MHD_HTTP_BAD_REQUEST,
		    "the report fails the event schema (see the adapter's "
		    "log)\n");
	case GPS_REFUSE:
		atomic_fetch_add(&h->refused, 1);
		return osmand_http_answer(conn, MHD_HTTP_FORBIDDEN,
		    "unknown device\n");
	case GPS_BUSY:
		atomic_fetch_add(&h->busy, 1);
		return osmand_http_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "busy, retry later\n");
	}
	return MHD_NO;
}

static enum MHD_Result
osmand_http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct osmand_http *h = cls;
	struct osmand_req *rq = *con_cls;
	int post;

	(void)url;
	(void)version;
	if (rq == NULL)
		return MHD_NO; /* the URI callback always sets it */
	post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		atomic_fetch_add(&h->requests, 1);
		atomic_fetch_add(&h->bad, 1);
		return osmand_http_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "use GET or POST\n");
	}
	if (!rq->started) {
		rq->started = 1;
		if (!post)
			return osmand_http_process(h, conn, rq, 0);
		if (webserver_body_too_large(conn, h->cfg.max_body)) {
			atomic_fetch_add(&h->requests, 1);
			atomic_fetch_add(&h->bad, 1);
			return osmand_http_answer(conn,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n");
		}
		return MHD_YES; /* the body, if any, comes next */
	}
	if (*upload_data_size > 0) {
		if (buf_append(&rq->body, upload_data, *upload_data_size) ==
		    -1) {
			atomic_fetch_add(&h->bad, 1);
			return MHD_NO; /* chunked past max_body: drop it */
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return osmand_http_process(h, conn, rq, 1);
}

struct osmand_http *
osmand_http_start(const struct osmand_http_config *cfg,
    gps_handler_fn handler, void *arg)
{
	struct osmand_http *h;
	struct addrinfo hints, *res = NULL;
	const union MHD_DaemonInfo *di;
	sigset_t old;
	char host[256], port[16];
	unsigned int flags;
	int r;

	h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	h->cfg.listen = NULL; /* the caller's string */
	h->handler = handler;
	h->arg = arg;
	pthread_mutex_init(&h->mtx, NULL);
	if (server_parse_addr(cfg->listen, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		log_warnx("osmand_http: osmand_listen '%s': expected host:port",
		    cfg->listen);
		goto fail;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("osmand_http: osmand_listen '%s': %s", cfg->listen,
		    gai_strerror(r));
		goto fail;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	if (res->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	signals_block_stop(&old);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL,
	    osmand_http_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, osmand_http_log, h,
	    MHD_OPTION_SOCK_ADDR, res->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->timeout_ms / 1000),
	    MHD_OPTION_URI_LOG_CALLBACK, osmand_http_uri, h,
	    MHD_OPTION_NOTIFY_COMPLETED, osmand_http_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, osmand_http_notify, h,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		log_warnx("osmand_http: cannot listen on %s", cfg->listen);
		goto fail;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : 0;
	log_info("osmand_http: listening on %s port %d", host, h->port);
	freeaddrinfo(res);
	return h;
fail:
	if (res != NULL)
		freeaddrinfo(res);
	pthread_mutex_destroy(&h->mtx);
	free(h);
	return NULL;
}

int
osmand_http_port(const struct osmand_http *h)
{
	return h->port;
}

void
osmand_http_tick(struct osmand_http *h, int64_t now_ms)
{
	struct osmand_conn *oc;

	pthread_mutex_lock(&h->mtx);
	for (oc = h->conns; oc != NULL; oc = oc->next) {
		if (oc->cut || oc->fd < 0 ||
		    now_ms - oc->since_ms <= h->cfg.request_timeout_ms)
			continue;
		shutdown(oc->fd, SHUT_RDWR);
		oc->cut = 1;
		atomic_fetch_add(&h->cut, 1);
	}
	pthread_mutex_unlock(&h->mtx);
}

void
osmand_http_stats(struct osmand_http *h, struct osmand_http_stats *st)
{
	st->requests = atomic_load(&h->requests);
	st->ok = atomic_load(&h->ok);
	st->bad = atomic_load(&h->bad);
	st->refused = atomic_load(&h->refused);
	st->busy = atomic_load(&h->busy);
	st->cut = atomic_load(&h->cut);
	st->connections = atomic_load(&h->connections);
}

void
osmand_http_stop(struct osmand_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->mtx);
	free(h);
}
