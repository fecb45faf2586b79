/*
 * webhook: see webhook.h.
 *
 * libmicrohttpd runs one thread per connection (at most max_connections),
 * which makes "answer after the broker's acknowledgement" a plain wait:
 * the handler publishes the delivery's events with webhook_event_done() as
 * their on_done and blocks on the delivery's condition variable, in slices
 * so that a shutdown is noticed, until every event was acknowledged or
 * ack_timeout passed. The wait object is counted (the handler plus one
 * reference per published event), so whoever comes last frees it: a late
 * acknowledgement after a 503 is harmless.
 *
 * The signature is checked over the exact bytes received, before the body
 * is parsed: nothing of an unauthenticated body reaches the JSON parser.
 */
#include "webhook.h"

#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "adapter.h"
#include "cond.h"
#include "httpd.h"
#include "log.h"
#include "replay.h"
#include "signature.h"
#include "util.h"
#include "webserver.h"

#define WEBHOOK_WAIT_SLICE_MS 200
#define WEBHOOK_RETRY_AFTER "10"
#define WEBHOOK_ADDR_MAX 64

/* What one delivery waits for. */
struct delivery {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int refs;
	size_t outstanding;
	size_t refused;
};

struct conn_ctx {
	struct buf body;
	int too_big;
	int cut;
	int64_t start_ms;	/* monotonic: the headers were complete */
};

struct webhook {
	struct webhook_config cfg;
	char *listen;
	char *path;
	char *secret;
	char *signature_header;
	char *timestamp_header;
	char *signature_prefix;
	struct signature_scheme scheme;
	struct replay *replay;
	struct MHD_Daemon *d;
	int port;
	atomic_int stopping;
	pthread_mutex_t mtx;	/* st */
	struct webhook_stats st;
};

/* --- responses ------------------------------------------------------------ */

static enum MHD_Result
webhook_send(struct webhook *w, struct MHD_Connection *c, unsigned status,
    cJSON *j)
{
	enum MHD_Result ret;
	char *s;

	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("webhook: out of memory");
	cJSON_Delete(j);
	ret = webserver_answer(c, status, "application/json; charset=utf-8",
	    s, status == MHD_HTTP_METHOD_NOT_ALLOWED ? "POST" : NULL,
	    WEBHOOK_RETRY_AFTER);
	cJSON_free(s);
	pthread_mutex_lock(&w->mtx);
	w->st.requests++;
	if (status == MHD_HTTP_OK)
		w->st.accepted++;
	else if (status == MHD_HTTP_UNAUTHORIZED)
		w->st.unauthorized++;
	else if (status == MHD_HTTP_CONFLICT)
		w->st.replayed++;
	else if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		w->st.unavailable++;
	else if (status >= 400 && status < 500)
		w->st.refused++;
	pthread_mutex_unlock(&w->mtx);
	return ret;
}

static enum MHD_Result
webhook_error(struct webhook *w, struct MHD_Connection *c, unsigned status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result
webhook_error(struct webhook *w, struct MHD_Connection *c, unsigned status,
    const char *fmt, ...)
{
	char msg[512];
	cJSON *j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((j = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(j, "error", msg) == NULL)
		fatalx("webhook: out of memory");
	return webhook_send(w, c, status, j);
}

/* The client's address, for the log. */
static void
webhook_peer(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	socklen_t len;

	strlcpy_s(out, "?", outlen);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	len = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, len, out, (socklen_t)outlen, NULL, 0,
	    NI_NUMERICHOST) != 0)
		strlcpy_s(out, "?", outlen);
}

/* --- deliveries ----------------------------------------------------------- */

static struct delivery *
delivery_new(void)
{
	struct delivery *d = xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->mtx, NULL);
	cond_init_mono(&d->cond);
	d->refs = 1; /* the handler */
	return d;
}

/* Drops one reference (the lock is not held); the last one frees. */
static void
delivery_unref(struct delivery *d)
{
	int last;

	pthread_mutex_lock(&d->mtx);
	last = --d->refs == 0;
	pthread_mutex_unlock(&d->mtx);
	if (!last)
		return;
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->mtx);
	free(d);
}

/* The on_done of a webhook event (publisher_done_fn). */
static void
webhook_event_done(void *arg, int ok)
{
	struct delivery *d = arg;

	pthread_mutex_lock(&d->mtx);
	d->outstanding--;
	if (!ok)
		d->refused++;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->mtx);
	delivery_unref(d);
}

/* Waits for the events; 1 all acknowledged, 0 some refused, -1 late. */
static int
delivery_wait(struct webhook *w, struct delivery *d)
{
	int64_t end = clock_mono_ms() + w->cfg.ack_timeout_ms, left;
	int rv;

	pthread_mutex_lock(&d->mtx);
	while (d->outstanding > 0 && !atomic_load(&w->stopping) &&
	    (left = end - clock_mono_ms()) > 0)
		cond_wait_ms(&d->cond, &d->mtx, left < WEBHOOK_WAIT_SLICE_MS ?
		    left : WEBHOOK_WAIT_SLICE_MS);
	rv = d->outstanding > 0 ? -1 : d->refused > 0 ? 0 : 1;
	pthread_mutex_unlock(&d->mtx);
	return rv;
}

/* application/json, with no charset or UTF-8. */
static int
webhook_json_type(const char *ct)
{
	const char *p, *cs;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "application/json", 16) != 0)
		return 0;
	p = ct + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	if ((cs = strcasestr(p, "charset=")) == NULL)
		return 1;
	cs += 8;
	if (*cs == '"')
		cs++;
	return strncasecmp(cs, "utf-8", 5) == 0 ||
	    strncasecmp(cs, "utf8", 4) == 0;
}

/* Publishes a checked, authenticated delivery and answers it. */
static enum MHD_Result
webhook_deliver(struct webhook *w, struct MHD_Connection *c,
    const struct page *pg, const char *peer, int *accepted)
{
	struct delivery *d = delivery_new();
	const struct permit *p;
	cJSON *j, *refused = NULL;
	size_t i, published = 0, ignored = 0, invalid = 0;
	int busy = 0, r;
	enum MHD_Result ret;

	*accepted = 0;
	for (i = 0; i < pg->npermits && !busy; i++) {
		p = &pg->permits[i];
		if (p->status == PERMIT_IGNORE || p->status == PERMIT_UNKNOWN) {
			if (p->status == PERMIT_UNKNOWN)
				log_warnx("webhook: %s (id %s): status '%s' is "
				    "not mapped, no event (map it in "
				    "[status])", p->no_permohonan, p->id,
				    p->status_raw);
			ignored++;
			continue;
		}
		pthread_mutex_lock(&d->mtx);
		d->refs++;
		d->outstanding++;
		pthread_mutex_unlock(&d->mtx);
		r = w->cfg.publish(w->cfg.arg, p, webhook_event_done, d);
		if (r == ADAPTER_PUBLISH_OK) {
			published++;
			continue;
		}
		pthread_mutex_lock(&d->mtx);
		d->refs--;
		d->outstanding--;
		pthread_mutex_unlock(&d->mtx);
		if (r == ADAPTER_PUBLISH_INVALID) {
			invalid++;
			if (refused == NULL &&
			    (refused = cJSON_CreateArray()) == NULL)
				fatalx("webhook: out of memory");
			cJSON_AddItemToArray(refused,
			    cJSON_CreateString(p->no_permohonan));
		} else
			busy = 1;
	}
	r = delivery_wait(w, d);
	delivery_unref(d);
	if (busy) {
		log_warnx("webhook: delivery from %s: publisher buffer full; "
		    "503", peer);
		ret = webhook_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "too many events waiting for the message broker; retry "
		    "later");
	} else if (r != 1) {
		log_warnx("webhook: delivery from %s: the broker %s; 503",
		    peer, r == 0 ? "refused an event" :
		    "did not acknowledge in time");
		ret = webhook_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the message broker did not confirm the events; retry "
		    "later");
	} else if (invalid > 0) {
		if ((j = cJSON_CreateObject()) == NULL)
			fatalx("webhook: out of memory");
		cJSON_AddStringToObject(j, "error", "records refused by the "
		    "event schema (the others were accepted)");
		cJSON_AddItemToObject(j, "refused", refused);
		refused = NULL;
		cJSON_AddNumberToObject(j, "accepted", (double)published);
		ret = webhook_send(w, c, MHD_HTTP_UNPROCESSABLE_CONTENT, j);
	} else {
		if ((j = cJSON_CreateObject()) == NULL)
			fatalx("webhook: out of memory");
		cJSON_AddNumberToObject(j, "accepted", (double)published);
		cJSON_AddNumberToObject(j, "ignored", (double)ignored);
		log_info("webhook: delivery from %s: %zu event(s) "
		    "acknowledged, %zu ignored", peer, published, ignored);
		pthread_mutex_lock(&w->mtx);
		w->st.events += published;
		pthread_mutex_unlock(&w->mtx);
		ret = webhook_send(w, c, MHD_HTTP_OK, j);
		*accepted = 1;
	}
	cJSON_Delete(refused);
	return ret;
}

static enum MHD_Result
webhook_post(struct webhook *w, struct MHD_Connection *c,
    struct conn_ctx *ctx)
{
	uint8_t mac[HMAC_SHA256_LEN];
	struct page *pg = NULL;
	const char *ts, *sig, *body;
	char peer[WEBHOOK_ADDR_MAX], err[512];
	int64_t now = clock_wall_ms(), ts_ms = 0;
	enum signature_verdict v;
	enum MHD_Result ret;
	int accepted = 0;

	webhook_peer(c, peer, sizeof(peer));
	body = ctx->body.data != NULL ? ctx->body.data : "";
	ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    w->timestamp_header);
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    w->signature_header);
	v = signature_check(&w->scheme, ts, sig, body, ctx->body.len, now,
	    mac, &ts_ms);
	if (v != SIGNATURE_OK) {
		log_warnx("webhook: delivery from %s refused: signature %s",
		    peer, signature_verdict_name(v));
		if (v == SIGNATURE_ERROR)
			return webhook_error(w, c,
			    MHD_HTTP_SERVICE_UNAVAILABLE,
			    "cannot check signatures right now");
		return webhook_error(w, c, MHD_HTTP_UNAUTHORIZED, "%s",
		    v == SIGNATURE_MISSING ? "signature or timestamp header "
		    "missing" : v == SIGNATURE_MALFORMED ? "signature or "
		    "timestamp header malformed" : v == SIGNATURE_STALE ?
		    "timestamp outside the allowed window (check the "
		    "clock)" : "signature does not match");
	}
	switch (replay_claim(w->replay, mac, now,
	    ts_ms + w->cfg.tolerance_ms)) {
	case REPLAY_NEW:
		break;
	case REPLAY_SEEN:
		log_warnx("webhook: delivery from %s refused: a replay of a "
		    "delivery already accepted or in progress", peer);
		return webhook_error(w, c, MHD_HTTP_CONFLICT, "this delivery "
		    "was already accepted (replay); do not retry it");
	case REPLAY_FULL:
		log_warnx("webhook: replay cache full (%zu deliveries within "
		    "the window); 503", w->cfg.replay_max);
		return webhook_error(w, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "too many deliveries; retry later");
	}
	if (page_parse_push(body, ctx->body.len, w->cfg.rules, &pg, err,
	    sizeof(err)) == -1) {
		log_warnx("webhook: delivery from %s refused: %s", peer, err);
		ret = webhook_error(w, c, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto out;
	}
	ret = webhook_deliver(w, c, pg, peer, &accepted);
out:
	replay_release(w->replay, mac, accepted);
	page_free(pg);
	return ret;
}

static enum MHD_Result
webhook_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct webhook *w = cls;
	struct conn_ctx *ctx = *con_cls;

	(void)version;
	if (ctx == NULL) {
		ctx = xcalloc(1, sizeof(*ctx));
		buf_init(&ctx->body, w->cfg.max_body);
		ctx->start_ms = clock_mono_ms();
		*con_cls = ctx;
		if (strcmp(url, w->path) != 0)
			return webhook_error(w, c, MHD_HTTP_NOT_FOUND,
			    "not found");
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return webhook_error(w, c,
			    MHD_HTTP_METHOD_NOT_ALLOWED, "method %.16s not "
			    "allowed; POST", method);
		if (!webhook_json_type(MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
			return webhook_error(w, c,
			    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type "
			    "must be application/json");
		if (webserver_body_too_large(c, w->cfg.max_body))
			return webhook_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "body larger than %zu bytes", w->cfg.max_body);
		return MHD_YES; /* read the body */
	}
	if (*upload_size > 0) {
		if (clock_mono_ms() - ctx->start_ms >
		    w->cfg.request_timeout_ms) {
			if (!ctx->cut)
				log_warnx("webhook: body still arriving after "
				    "%llds; connection closed",
				    (long long)(w->cfg.request_timeout_ms /
				    1000));
			ctx->cut = 1;
			return MHD_NO;
		}
		if (!ctx->too_big &&
		    buf_append(&ctx->body, upload, *upload_size) == -1)
			ctx->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big)
		return webhook_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "body larger than %zu bytes", w->cfg.max_body);
	return webhook_post(w, c, ctx);
}

static void
webhook_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (ctx == NULL)
		return;
	buf_free(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

/* --- life ----------------------------------------------------------------- */

struct webhook *
webhook_new(const struct webhook_config *cfg)
{
	struct webhook *w;
	struct sockaddr_storage ss;
	struct webserver_opts wo;

	if (cfg->listen == NULL || httpd_sockaddr(cfg->listen, &ss) == -1) {
		log_warnx("webhook: listen '%s' is not host:port with a "
		    "numeric address", cfg->listen ? cfg->listen : "");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	w->listen = xstrdup(cfg->listen);
	w->path = xstrdup(cfg->path);
	w->secret = xstrndup(cfg->secret, cfg->secretlen);
	w->signature_header = xstrdup(cfg->signature_header);
	w->timestamp_header = xstrdup(cfg->timestamp_header);
	w->signature_prefix = xstrdup(cfg->signature_prefix ?
	    cfg->signature_prefix : "");
	w->cfg.listen = w->listen;
	w->cfg.path = w->path;
	w->cfg.secret = w->secret;
	w->cfg.signature_header = w->signature_header;
	w->cfg.timestamp_header = w->timestamp_header;
	w->cfg.signature_prefix = w->signature_prefix;
	w->scheme.secret = w->secret;
	w->scheme.secretlen = cfg->secretlen;
	w->scheme.prefix = w->signature_prefix;
	w->scheme.tolerance_ms = cfg->tolerance_ms;
	w->replay = replay_new(cfg->replay_max);
	pthread_mutex_init(&w->mtx, NULL);

	memset(&wo, 0, sizeof(wo));
	wo.name = "webhook";
	wo.listen = cfg->listen;
	wo.addr = &ss;
	wo.max_connections = cfg->max_connections;
	wo.idle_timeout_ms = cfg->connection_timeout_ms;
	wo.handler = webhook_handler;
	wo.completed = webhook_completed;
	wo.arg = w;
	if ((w->d = webserver_start(&wo, &w->port)) == NULL) {
		webhook_free(w);
		return NULL;
	}
	log_info("webhook: listening on %s port %d path %s", cfg->listen,
	    w->port, cfg->path);
	return w;
}

int
webhook_port(const struct webhook *w)
{
	return w->port;
}

void
webhook_stats(struct webhook *w, struct webhook_stats *st)
{
	pthread_mutex_lock(&w->mtx);
	*st = w->st;
	pthread_mutex_unlock(&w->mtx);
}

void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stopping, 1);
	if (w->d != NULL)
		MHD_stop_daemon(w->d); /* joins the connection threads */
	pthread_mutex_destroy(&w->mtx);
	replay_free(w->replay);
	if (w->secret != NULL)
		explicit_bzero(w->secret, w->cfg.secretlen);
	free(w->secret);
	free(w->listen);
	free(w->path);
	free(w->signature_header);
	free(w->timestamp_header);
	free(w->signature_prefix);
	free(w);
}
