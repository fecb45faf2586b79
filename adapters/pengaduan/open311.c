/*
 * open311: see open311.h.
 *
 * libmicrohttpd runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION
 * with its internal polling thread), at most max_connections of them. That
 * makes the "answer after the broker's acknowledgement" simple: the handler
 * thread blocks on its request's condition variable, in slices of 200 ms so
 * that a shutdown is noticed, until open311_done() runs on the publisher's
 * thread or ack_timeout_ms passes. The wait object is shared by the two
 * threads and counted (two references), so whichever of them comes last
 * frees it: a late acknowledgement after a 503 is harmless.
 *
 * Bodies are read into a buffer bounded by max_body; a Content-Length
 * above it is answered 413 before the body is read, a chunked body that
 * grows beyond it is drained and answered 413.
 *
 * The memory of recent POSTs (idempotency, and GET of a request the hub has
 * not stored yet) is a fixed array searched linearly under a mutex: a few
 * thousand string compares per request is nothing next to the broker round
 * trip, and it cannot grow.
 */
#include "open311.h"

#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "cond.h"
#include "httpd.h"
#include "log.h"
#include "text.h"
#include "util.h"
#include "uuid.h"
#include "webserver.h"

#define OPEN311_BASE "/open311/v2/"
#define OPEN311_WAIT_SLICE_MS 200
#define OPEN311_RETRY_AFTER "5"
#define OPEN311_DAYS_90_MS (90LL * 86400 * 1000)
#define OPEN311_RECENT_LINE_MAX 512
#define OPEN311_RECENT_FILE_MAX ((size_t)16 * 1024 * 1024)

enum route {
	R_NONE, R_XML, R_SERVICES, R_SERVICE, R_REQUESTS, R_REQUEST
};

struct recent {
	char client[OPEN311_CODE_MAX + 1];
	char digest[UUID_STR_LEN];
	int64_t first_ms;
	int64_t bucket;
	int acked;
	char id[OPEN311_ID_MAX + 1];
	char service_code[OPEN311_CODE_MAX + 1];
};

struct pending {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int refs;
	int done;
	int ok;
};

struct conn_ctx {
	enum route route;
	char arg[OPEN311_ID_MAX + 1];	/* <code> or <id> from the path */
	struct buf body;
	int too_big;
};

struct open311 {
	struct open311_config cfg;
	char *listen;
	char *jurisdiction_id;
	char *recent_path;
	int recent_fd;			/* appends; -1: memory only */
	size_t recent_lines;		/* in the file, for compaction */
	struct MHD_Daemon *d;
	int port;
	atomic_int stopping;
	pthread_mutex_t mtx;		/* recent, st */
	struct recent *recent;
	size_t nrecent;
	struct open311_stats st;
};

/* --- responses ------------------------------------------------------------ */

static enum MHD_Result
open311_send(struct open311 *o, struct MHD_Connection *c, unsigned status,
    const char *body, const char *allow)
{
	enum MHD_Result ret;

	ret = webserver_answer(c, status, "application/json; charset=utf-8",
	    body, allow, OPEN311_RETRY_AFTER);
	pthread_mutex_lock(&o->mtx);
	o->st.requests++;
	if (status >= 400 && status < 500)
		o->st.refused++;
	else if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		o->st.unavailable++;
	pthread_mutex_unlock(&o->mtx);
	return ret;
}

static enum MHD_Result
open311_send_json(struct open311 *o, struct MHD_Connection *c,
    unsigned status, cJSON *j)
{
	enum MHD_Result ret;
	char *s;

	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		fatalx("open311: out of memory");
	cJSON_Delete(j);
	ret = open311_send(o, c, status, s, NULL);
	cJSON_free(s);
	return ret;
}

/* The spec's error body: [{"code": status, "description": "..."}]. */
static enum MHD_Result
open311_error(struct open311 *o, struct MHD_Connection *c, unsigned status,
    const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result
open311_error(struct open311 *o, struct MHD_Connection *c, unsigned status,
    const char *allow, const char *fmt, ...)
{
	cJSON *arr, *e;
	enum MHD_Result ret;
	char desc[512], *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	/* A message may quote the client's input; keep it valid UTF-8. */
	desc[text_utf8_fit(desc, strlen(desc), sizeof(desc) - 1)] = '\0';
	if ((arr = cJSON_CreateArray()) == NULL ||
	    (e = cJSON_CreateObject()) == NULL)
		fatalx("open311: out of memory");
	cJSON_AddNumberToObject(e, "code", status);
	cJSON_AddStringToObject(e, "description", desc);
	cJSON_AddItemToArray(arr, e);
	if ((s = cJSON_PrintUnformatted(arr)) == NULL)
		fatalx("open311: out of memory");
	cJSON_Delete(arr);
	ret = open311_send(o, c, status, s, allow);
	cJSON_free(s);
	return ret;
}

/* --- routing -------------------------------------------------------------- */

static enum route
open311_route(const char *url, char *arg, size_t arglen)
{
	const char *rest, *dot, *slash;
	size_t n;

	arg[0] = '\0';
	if (strncmp(url, OPEN311_BASE, strlen(OPEN311_BASE)) != 0)
		return R_NONE;
	rest = url + strlen(OPEN311_BASE);
	if ((dot = strrchr(rest, '.')) == NULL)
		return R_NONE;
	if (strcmp(dot, ".xml") == 0)
		return R_XML;
	if (strcmp(dot, ".json") != 0)
		return R_NONE;
	n = (size_t)(dot - rest);
	if (n == 8 && strncmp(rest, "services", 8) == 0)
		return R_SERVICES;
	if (n == 8 && strncmp(rest, "requests", 8) == 0)
		return R_REQUESTS;
	if ((slash = memchr(rest, '/', n)) == NULL)
		return R_NONE;
	if (memchr(slash + 1, '/', (size_t)(dot - slash - 1)) != NULL ||
	    dot == slash + 1 || (size_t)(dot - slash - 1) >= arglen)
		return R_NONE;
	memcpy(arg, slash + 1, (size_t)(dot - slash - 1));
	arg[dot - slash - 1] = '\0';
	if (slash - rest == 8 && strncmp(rest, "services", 8) == 0)
		return R_SERVICE;
	if (slash - rest == 8 && strncmp(rest, "requests", 8) == 0)
		return R_REQUEST;
	return R_NONE;
}

/* --- recent requests ------------------------------------------------------ */

/* The entry for (client, digest) seen within the window, or NULL. Locked. */
static struct recent *
recent_find(struct open311 *o, const char *client, const char *digest,
    int64_t now)
{
	size_t i;

	for (i = 0; i < o->nrecent; i++)
		if (now - o->recent[i].first_ms < o->cfg.dedup_window_ms &&
		    strcmp(o->recent[i].digest, digest) == 0 &&
		    strcmp(o->recent[i].client, client) == 0)
			return &o->recent[i];
	return NULL;
}

/* A slot for a new entry: a free one, else the oldest. Locked. */
static struct recent *
recent_slot(struct open311 *o)
{
	struct recent *r;
	size_t i;

	if (o->nrecent < OPEN311_RECENT_MAX) {
		r = &o->recent[o->nrecent++];
		memset(r, 0, sizeof(*r));
		return r;
	}
	r = &o->recent[0];
	for (i = 1; i < o->nrecent; i++)
		if (o->recent[i].first_ms < r->first_ms)
			r = &o->recent[i];
	memset(r, 0, sizeof(*r));
	return r;
}

/* A request accepted within the window, by id; copied into *out. */
static int
recent_by_id(struct open311 *o, const char *id, int64_t now,
    struct recent *out)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&o->mtx);
	for (i = 0; i < o->nrecent && !found; i++)
		if (o->recent[i].acked && strcmp(o->recent[i].id, id) == 0 &&
		    now - o->recent[i].first_ms < o->cfg.dedup_window_ms) {
			*out = o->recent[i];
			found = 1;
		}
	pthread_mutex_unlock(&o->mtx);
	return found;
}

/*
 * The sightings file: one line per sighting or acknowledgement,
 *
 *	v1 <first_ms> <bucket> <acked 0|1> <client> <digest> <id|-> <code|->
 *
 * appended with write(2) (no fsync: it must survive a crash of this
 * process, which the page cache does; a power loss costs at most the
 * idempotency of the requests of that moment). A later line for the same
 * client and digest replaces an earlier one. At start the file is read
 * and rewritten with the live entries only; it is rewritten again when it
 * holds four times OPEN311_RECENT_MAX lines.
 */
static void
recent_format(const struct recent *r, char *line, size_t len)
{
	snprintf(line, len, "v1 %lld %lld %d %s %s %s %s\n",
	    (long long)r->first_ms, (long long)r->bucket, r->acked, r->client,
	    r->digest, r->id[0] ? r->id : "-",
	    r->service_code[0] ? r->service_code : "-");
}

/* Locked (or single-threaded at start). */
static void
recent_append(struct open311 *o, const struct recent *r)
{
	char line[OPEN311_RECENT_LINE_MAX];
	size_t len;

	if (o->recent_fd == -1)
		return;
	recent_format(r, line, sizeof(line));
	len = strlen(line);
	if (write(o->recent_fd, line, len) != (ssize_t)len) {
		log_warn("open311: cannot write %s; idempotency across "
		    "restarts is off", o->recent_path);
		close(o->recent_fd);
		o->recent_fd = -1;
		return;
	}
	o->recent_lines++;
}

static int
recent_word_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return i > 0;
}

/* Parses one line into r. Returns 0, or -1 for anything unexpected. */
static int
recent_parse(char *line, struct recent *r)
{
	char *f[8], *p = line, *sp;
	struct uuid u;
	long v;
	size_t n = 0;

	while (n < nitems(f)) {
		f[n++] = p;
		if ((sp = strchr(p, ' ')) == NULL)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	if (n != nitems(f) || strcmp(f[0], "v1") != 0)
		return -1;
	memset(r, 0, sizeof(*r));
	if (parse_long(f[1], 0, INT64_MAX / 2, &v) == -1)
		return -1;
	r->first_ms = v;
	if (parse_long(f[2], 0, INT64_MAX / 2, &v) == -1)
		return -1;
	r->bucket = v;
	if (parse_long(f[3], 0, 1, &v) == -1)
		return -1;
	r->acked = (int)v;
	if (!recent_word_ok(f[4], OPEN311_CODE_MAX) || uuid_parse(f[5], &u) ||
	    strlen(f[5]) != UUID_STR_LEN - 1 ||
	    !recent_word_ok(f[6], OPEN311_ID_MAX) ||
	    !recent_word_ok(f[7], OPEN311_CODE_MAX))
		return -1;
	strlcpy_s(r->client, f[4], sizeof(r->client));
	strlcpy_s(r->digest, f[5], sizeof(r->digest));
	if (strcmp(f[6], "-") != 0)
		strlcpy_s(r->id, f[6], sizeof(r->id));
	if (strcmp(f[7], "-") != 0)
		strlcpy_s(r->service_code, f[7], sizeof(r->service_code));
	return 0;
}

static struct recent *recent_find(struct open311 *, const char *,
    const char *, int64_t);
static struct recent *recent_slot(struct open311 *);

/*
 * Rewrites the file with the live entries (tmp, fsync, rename) and opens
 * it for appending. Locked (or at start). On failure the file is not
 * used any more (logged): idempotency then holds within this run only.
 */
static void
recent_rewrite(struct open311 *o, int64_t now)
{
	char line[OPEN311_RECENT_LINE_MAX], *tmp;
	size_t i, len;
	int fd;

	if (o->recent_fd != -1) {
		close(o->recent_fd);
		o->recent_fd = -1;
	}
	tmp = xasprintf("%s.tmp", o->recent_path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	o->recent_lines = 0;
	for (i = 0; i < o->nrecent; i++) {
		if (now - o->recent[i].first_ms >= o->cfg.dedup_window_ms)
			continue;
		recent_format(&o->recent[i], line, sizeof(line));
		len = strlen(line);
		if (write(fd, line, len) != (ssize_t)len) {
			close(fd);
			goto fail;
		}
		o->recent_lines++;
	}
	if (fsync(fd) == -1 || close(fd) == -1 ||
	    rename(tmp, o->recent_path) == -1)
		goto fail;
	if ((o->recent_fd = open(o->recent_path, O_WRONLY | O_APPEND |
	    O_CLOEXEC)) == -1)
		goto fail;
	free(tmp);
	return;
fail:
	log_warn("open311: cannot rewrite %s; idempotency across restarts "
	    "is off", o->recent_path);
	unlink(tmp);
	free(tmp);
}

static void
recent_load(struct open311 *o, int64_t now)
{
	struct buf b;
	struct recent r, *slot;
	char chunk[8192], *line, *nl;
	ssize_t n;
	size_t bad = 0;
	int fd;

	buf_init(&b, OPEN311_RECENT_FILE_MAX);
	if ((fd = open(o->recent_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("open311: %s", o->recent_path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) == -1)
			break; /* the tail is lost: only idempotency */
	close(fd);
	if (buf_terminate(&b) == -1 || b.data == NULL)
		goto out;
	for (line = b.data; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break; /* a line cut short by a crash */
		*nl = '\0';
		if (recent_parse(line, &r) == -1) {
			bad++;
			continue;
		}
		if (now - r.first_ms >= o->cfg.dedup_window_ms)
			continue;
		if ((slot = recent_find(o, r.client, r.digest, now)) == NULL)
			slot = recent_slot(o);
		*slot = r;
	}
	if (bad > 0)
		log_warnx("open311: %s: %zu unreadable line(s) skipped",
		    o->recent_path, bad);
	log_info("open311: %zu recent request(s) remembered from %s",
	    o->nrecent, o->recent_path);
out:
	buf_free(&b);
	recent_rewrite(o, now);
}

/* --- POST requests.json --------------------------------------------------- */

static struct pending *
pending_new(void)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mtx, NULL);
	cond_init_mono(&p->cond);
	p->refs = 2; /* the handler and the publisher */
	return p;
}

static void
pending_free(struct pending *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}

static void
pending_unref(struct pending *p)
{
	int last;

	pthread_mutex_lock(&p->mtx);
	last = --p->refs == 0;
	pthread_mutex_unlock(&p->mtx);
	if (last)
		pending_free(p);
}

void
open311_done(void *arg, int ok)
{
	struct pending *p = arg;

	pthread_mutex_lock(&p->mtx);
	p->done = 1;
	p->ok = ok;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	pending_unref(p);
}

/* Waits for open311_done(); returns 1 ok, 0 refused, -1 no answer. */
static int
pending_wait(struct open311 *o, struct pending *p)
{
	int64_t end = clock_mono_ms() + o->cfg.ack_timeout_ms, left;
	int rv;

	pthread_mutex_lock(&p->mtx);
	while (!p->done && !atomic_load(&o->stopping) &&
	    (left = end - clock_mono_ms()) > 0)
		cond_wait_ms(&p->cond, &p->mtx, left < OPEN311_WAIT_SLICE_MS ?
		    left : OPEN311_WAIT_SLICE_MS);
	rv = p->done ? (p->ok ? 1 : 0) : -1;
	pthread_mutex_unlock(&p->mtx);
	return rv;
}

/* The media type of a Content-Type header, lower case: "" when absent. */
static void
open311_media_type(const char *ct, char *out, size_t outlen)
{
	size_t i = 0;

	if (ct == NULL)
		ct = "";
	while (*ct == ' ')
		ct++;
	while (ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ' &&
	    i + 1 < outlen) {
		out[i] = (char)((ct[i] >= 'A' && ct[i] <= 'Z') ?
		    ct[i] - 'A' + 'a' : ct[i]);
		i++;
	}
	out[i] = '\0';
}

/* A charset parameter other than UTF-8 (the spec wants UTF-8 only). */
static int
open311_bad_charset(const char *ct)
{
	const char *cs;

	if (ct == NULL || (cs = strcasestr(ct, "charset=")) == NULL)
		return 0;
	cs += 8;
	if (*cs == '"')
		cs++;
	return strncasecmp(cs, "utf-8", 5) != 0 &&
	    strncasecmp(cs, "utf8", 4) != 0;
}

static enum MHD_Result
open311_post(struct open311 *o, struct MHD_Connection *c,
    struct conn_ctx *ctx)
{
	struct open311_form *form = NULL;
	struct open311_request *req = NULL;
	struct open311_submission sub;
	const struct services_client *client;
	const struct service *sv;
	struct recent *rc;
	struct pending *p;
	struct buf name;
	struct uuid u;
	cJSON *arr, *o1;
	const char *ct, *key, *jid;
	char mt[64], err[256], id[OPEN311_ID_MAX + 1], digest[UUID_STR_LEN];
	char record_key[256], version[32];
	int64_t now = clock_wall_ms(), bucket, first;
	int r, repeated = 0;
	enum open311_submit v;
	enum MHD_Result ret;

	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	open311_media_type(ct, mt, sizeof(mt));
	if (open311_bad_charset(ct)) {
		ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
		    "the body must be UTF-8");
		goto out;
	}
	if (strcmp(mt, "application/json") == 0)
		r = open311_form_parse_json(ctx->body.data ? ctx->body.data :
		    "", ctx->body.len, &form, err, sizeof(err));
	else if (strcmp(mt, "application/x-www-form-urlencoded") == 0 ||
	    mt[0] == '\0')
		r = open311_form_parse(ctx->body.data ? ctx->body.data : "",
		    ctx->body.len, &form, err, sizeof(err));
	else {
		ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
		    "Content-Type must be application/x-www-form-urlencoded "
		    "or application/json");
		goto out;
	}
	if (r == -1) {
		ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL, "%s",
		    err);
		goto out;
	}

	/* 403 before anything else is told about the request. */
	key = open311_form_get(form, "api_key");
	if (key == NULL)
		key = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "api_key");
	if (key == NULL || *key == '\0') {
		ret = open311_error(o, c, MHD_HTTP_FORBIDDEN, NULL,
		    "api_key missing");
		goto out;
	}
	if ((client = services_client_find(o->cfg.services, key)) == NULL) {
		log_warnx("open311: POST with an unknown api_key refused");
		ret = open311_error(o, c, MHD_HTTP_FORBIDDEN, NULL,
		    "api_key not valid");
		goto out;
	}
	jid = open311_form_get(form, "jurisdiction_id");
	if (jid != NULL && o->jurisdiction_id != NULL &&
	    strcmp(jid, o->jurisdiction_id) != 0) {
		ret = open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
		    "jurisdiction_id '%s' not found", jid);
		goto out;
	}
	if (open311_request_parse(form, &req, err, sizeof(err)) == -1) {
		ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL, "%s",
		    err);
		goto out;
	}
	if ((sv = services_find(o->cfg.services, req->service_code)) ==
	    NULL) {
		ret = open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
		    "service_code '%s' not found", req->service_code);
		goto out;
	}
	if (services_check_request(sv, req, err, sizeof(err)) == -1) {
		ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL, "%s",
		    err);
		goto out;
	}

	/* The request's digest: who sent what, exactly. */
	buf_init(&name, 0);
	if (buf_appendf(&name, "%s\n%s\n", client->name, mt) == -1 ||
	    buf_append(&name, ctx->body.data ? ctx->body.data : "",
	    ctx->body.len) == -1)
		fatalx("open311: digest buffer");
	uuid_v5(&u, &uuid_ns_simpul, name.data, name.len);
	buf_free(&name);
	uuid_format(&u, digest);

	pthread_mutex_lock(&o->mtx);
	if ((rc = recent_find(o, client->name, digest, now)) != NULL) {
		bucket = rc->bucket;
		first = rc->first_ms;
		repeated = 1;
	} else {
		bucket = now / o->cfg.dedup_window_ms;
		first = now;
		if (o->recent_lines >= (size_t)4 * OPEN311_RECENT_MAX)
			recent_rewrite(o, now);
		rc = recent_slot(o);
		strlcpy_s(rc->client, client->name, sizeof(rc->client));
		strlcpy_s(rc->digest, digest, sizeof(rc->digest));
		rc->first_ms = now;
		rc->bucket = bucket;
		recent_append(o, rc);
	}
	pthread_mutex_unlock(&o->mtx);
	snprintf(record_key, sizeof(record_key), "open311/%s/%s",
	    client->name, digest);
	snprintf(version, sizeof(version), "%lld", (long long)bucket);

	memset(&sub, 0, sizeof(sub));
	sub.req = req;
	sub.service = sv;
	sub.client = client;
	sub.record_key = record_key;
	sub.version = version;
	sub.submitted_ms = first;
	p = pending_new();
	id[0] = '\0';
	v = o->cfg.submit(o->cfg.arg, &sub, p, id, sizeof(id), err,
	    sizeof(err));
	if (v != OPEN311_SUBMIT_OK) {
		pending_free(p); /* no on_done will come: ours alone */
		if (v == OPEN311_SUBMIT_INVALID)
			ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
			    "complaint refused: %s", err);
		else
			ret = open311_error(o, c,
			    MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "too many "
			    "complaints waiting for the message broker; retry "
			    "later");
		goto out;
	}
	r = pending_wait(o, p);
	pending_unref(p);
	if (r != 1) {
		log_warnx("open311: complaint %s %s; answered 503", id,
		    r == 0 ? "refused by the broker" :
		    "not acknowledged in time");
		ret = open311_error(o, c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the complaint could not be confirmed; send the same "
		    "request again later (it will not be doubled)");
		goto out;
	}

	pthread_mutex_lock(&o->mtx);
	if ((rc = recent_find(o, client->name, digest, now)) != NULL &&
	    !rc->acked) {
		rc->acked = 1;
		strlcpy_s(rc->id, id, sizeof(rc->id));
		strlcpy_s(rc->service_code, services_code(sv),
		    sizeof(rc->service_code));
		recent_append(o, rc);
	}
	o->st.accepted++;
	if (repeated)
		o->st.repeated++;
	pthread_mutex_unlock(&o->mtx);
	log_info("open311: accepted id=%s client=%s service=%s%s", id,
	    client->name, services_code(sv), repeated ? " (repeated)" : "");

	if ((arr = cJSON_CreateArray()) == NULL ||
	    (o1 = cJSON_CreateObject()) == NULL)
		fatalx("open311: out of memory");
	cJSON_AddStringToObject(o1, "service_request_id", id);
	if (services_notice(sv) != NULL)
		cJSON_AddStringToObject(o1, "service_notice",
		    services_notice(sv));
	else
		cJSON_AddNullToObject(o1, "service_notice");
	cJSON_AddNullToObject(o1, "account_id");
	cJSON_AddItemToArray(arr, o1);
	ret = open311_send_json(o, c, MHD_HTTP_OK, arr);
out:
	open311_request_free(req);
	open311_form_free(form);
	return ret;
}

/* --- GET requests --------------------------------------------------------- */

struct rows {
	struct open311 *o;
	cJSON *arr;
	const char *const *ids;	/* asked for, to see which were found */
	size_t nids;
	int *found;
};

static void
open311_add_time(cJSON *obj, const char *name, int64_t ms)
{
	char t[32];

	if (ms < 0) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	time_format_rfc3339(ms, t);
	cJSON_AddStringToObject(obj, name, t);
}

static void
open311_add_str(cJSON *obj, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(obj, name, v);
	else
		cJSON_AddNullToObject(obj, name);
}

static void
open311_row(void *arg, const struct casedb_row *r)
{
	struct rows *rs = arg;
	const struct service *sv = r->service_code ?
	    services_find(rs->o->cfg.services, r->service_code) : NULL;
	cJSON *o;
	size_t i;

	for (i = 0; i < rs->nids; i++)
		if (r->id != NULL && strcmp(rs->ids[i], r->id) == 0)
			rs->found[i] = 1;
	if ((o = cJSON_CreateObject()) == NULL)
		fatalx("open311: out of memory");
	open311_add_str(o, "service_request_id", r->id);
	cJSON_AddStringToObject(o, "status", r->closed ? "closed" : "open");
	open311_add_str(o, "status_notes", r->status_notes);
	open311_add_str(o, "service_name", sv ? services_name(sv) :
	    r->category);
	open311_add_str(o, "service_code", r->service_code);
	open311_add_str(o, "description", r->description);
	open311_add_str(o, "agency_responsible", r->agency);
	open311_add_str(o, "service_notice", sv ? services_notice(sv) : NULL);
	open311_add_str(o, "requested_datetime", r->requested);
	open311_add_time(o, "updated_datetime", r->updated_ms);
	open311_add_time(o, "expected_datetime", r->expected_ms);
	open311_add_str(o, "address", r->address);
	cJSON_AddNullToObject(o, "address_id");
	cJSON_AddNullToObject(o, "zipcode");
	if (r->has_latlon) {
		cJSON_AddNumberToObject(o, "lat", r->lat);
		cJSON_AddNumberToObject(o, "long", r->lon);
	} else {
		cJSON_AddNullToObject(o, "lat");
		cJSON_AddNullToObject(o, "long");
	}
	open311_add_str(o, "media_url", r->media_url);
	cJSON_AddItemToArray(rs->arr, o);
}

/* A request accepted here that the hub has not stored (or no casedb). */
static void
open311_row_recent(struct rows *rs, const struct recent *rc)
{
	const struct service *sv = services_find(rs->o->cfg.services,
	    rc->service_code);
	struct casedb_row r;
	char when[32];

	memset(&r, 0, sizeof(r));
	time_format_rfc3339(rc->first_ms, when);
	r.id = rc->id;
	r.status_notes = "received";
	r.service_code = rc->service_code;
	r.category = sv ? services_category(sv) : NULL;
	r.requested = when;
	r.updated_ms = rc->first_ms;
	r.expected_ms = -1;
	open311_row(rs, &r);
}

/* Splits a comma list (in place) into at most max items. -1: too many. */
static int
open311_split(char *s, const char **items, size_t max, size_t *n)
{
	char *p = s, *comma;

	*n = 0;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		while (*p == ' ')
			p++;
		if (*p != '\0') {
			if (*n >= max)
				return -1;
			items[(*n)++] = p;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* An id as complaint ids are made (the schema's pattern). */
static int
open311_id_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= OPEN311_ID_MAX || !((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '/' || s[i] == '-'))
			return 0;
	return 1;
}

static enum MHD_Result
open311_get_requests(struct open311 *o, struct MHD_Connection *c,
    const char *one)
{
	struct casedb_filter f;
	struct rows rs;
	struct recent rc;
	const char *ids[CASEDB_IDS_MAX], *codes[SERVICES_MAX];
	const char *q, *sd, *ed;
	char *idbuf = NULL, *codebuf = NULL, *stbuf = NULL;
	const char *st[4];
	int found[CASEDB_IDS_MAX];
	size_t nids = 0, ncodes = 0, nst = 0, i;
	int64_t now = clock_wall_ms();
	int n = 0, want_open = 0, want_closed = 0;
	enum MHD_Result ret;

	memset(&f, 0, sizeof(f));
	memset(found, 0, sizeof(found));
	if (one != NULL) {
		ids[0] = one;
		nids = 1;
	} else if ((q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "service_request_id")) != NULL && *q != '\0') {
		idbuf = xstrdup(q);
		if (open311_split(idbuf, ids, CASEDB_IDS_MAX, &nids) == -1) {
			ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
			    "more than %d service_request_id values",
			    CASEDB_IDS_MAX);
			goto out;
		}
	}
	for (i = 0; i < nids; i++)
		if (!open311_id_ok(ids[i])) {
			if (one != NULL)
				ret = open311_error(o, c, MHD_HTTP_NOT_FOUND,
				    NULL, "service_request_id not found");
			else
				ret = open311_error(o, c,
				    MHD_HTTP_BAD_REQUEST, NULL,
				    "invalid service_request_id");
			goto out;
		}
	if (nids == 0) {
		if ((q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "service_code")) != NULL && *q != '\0') {
			codebuf = xstrdup(q);
			if (open311_split(codebuf, codes, SERVICES_MAX,
			    &ncodes) == -1) {
				ret = open311_error(o, c,
				    MHD_HTTP_BAD_REQUEST, NULL,
				    "too many service_code values");
				goto out;
			}
		}
		if ((q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "status")) != NULL && *q != '\0') {
			stbuf = xstrdup(q);
			if (open311_split(stbuf, st, nitems(st), &nst) == -1)
				nst = nitems(st) + 1;
			for (i = 0; i < nst && nst <= nitems(st); i++) {
				if (strcmp(st[i], "open") == 0)
					want_open = 1;
				else if (strcmp(st[i], "closed") == 0)
					want_closed = 1;
				else
					break;
			}
			if (i < nst) {
				ret = open311_error(o, c,
				    MHD_HTTP_BAD_REQUEST, NULL,
				    "status must be open, closed or both");
				goto out;
			}
		}
		sd = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "start_date");
		ed = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "end_date");
		f.end_ms = now + 1000;
		f.start_ms = f.end_ms - OPEN311_DAYS_90_MS;
		if (sd != NULL && *sd != '\0' &&
		    time_parse_rfc3339(sd, &f.start_ms) == -1) {
			ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
			    "start_date must be a w3c date-time with a zone, "
			    "e.g. 2026-11-01T00:00:00Z");
			goto out;
		}
		if (ed != NULL && *ed != '\0') {
			if (time_parse_rfc3339(ed, &f.end_ms) == -1) {
				ret = open311_error(o, c,
				    MHD_HTTP_BAD_REQUEST, NULL, "end_date must "
				    "be a w3c date-time with a zone, e.g. "
				    "2026-11-30T00:00:00Z");
				goto out;
			}
			if (sd == NULL || *sd == '\0')
				f.start_ms = f.end_ms - OPEN311_DAYS_90_MS;
		} else if (sd != NULL && *sd != '\0' &&
		    f.start_ms + OPEN311_DAYS_90_MS < f.end_ms)
			f.end_ms = f.start_ms + OPEN311_DAYS_90_MS;
		if (f.end_ms < f.start_ms ||
		    f.end_ms - f.start_ms > OPEN311_DAYS_90_MS) {
			ret = open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
			    "start_date and end_date must be in order and at "
			    "most 90 days apart");
			goto out;
		}
		f.service_codes = ncodes ? codes : NULL;
		f.ncodes = ncodes;
		f.status = want_open == want_closed ? CASEDB_ANY :
		    want_open ? CASEDB_OPEN : CASEDB_CLOSED;
	} else {
		f.ids = ids;
		f.nids = nids;
	}
	f.limit = CASEDB_ROWS_MAX;

	if ((rs.arr = cJSON_CreateArray()) == NULL)
		fatalx("open311: out of memory");
	rs.o = o;
	rs.ids = ids;
	rs.nids = nids;
	rs.found = found;
	if (o->cfg.casedb != NULL)
		n = casedb_query(o->cfg.casedb, &f, open311_row, &rs);
	else if (nids == 0)
		n = -1;
	if (n == -1) {
		cJSON_Delete(rs.arr);
		ret = open311_error(o, c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "request status is unavailable right now; try again "
		    "later");
		goto out;
	}
	/* Accepted here but not stored by the hub yet. */
	for (i = 0; i < nids; i++)
		if (!found[i] && recent_by_id(o, ids[i], now, &rc)) {
			open311_row_recent(&rs, &rc);
			found[i] = 1;
		}
	if (one != NULL && !found[0]) {
		cJSON_Delete(rs.arr);
		ret = open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
		    "service_request_id '%s' not found", one);
		goto out;
	}
	ret = open311_send_json(o, c, MHD_HTTP_OK, rs.arr);
out:
	free(idbuf);
	free(codebuf);
	free(stbuf);
	return ret;
}

/* --- the handler ---------------------------------------------------------- */

static int
open311_jurisdiction_bad(struct open311 *o, struct MHD_Connection *c,
    const char **jid)
{
	*jid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "jurisdiction_id");
	return *jid != NULL && **jid != '\0' && o->jurisdiction_id != NULL &&
	    strcmp(*jid, o->jurisdiction_id) != 0;
}

static enum MHD_Result
open311_get(struct open311 *o, struct MHD_Connection *c,
    struct conn_ctx *ctx)
{
	const struct service *sv;
	const char *jid;

	if (open311_jurisdiction_bad(o, c, &jid))
		return open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
		    "jurisdiction_id '%s' not found", jid);
	switch (ctx->route) {
	case R_SERVICES:
		return open311_send_json(o, c, MHD_HTTP_OK,
		    services_list_json(o->cfg.services));
	case R_SERVICE:
		if ((sv = services_find(o->cfg.services, ctx->arg)) == NULL)
			return open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
			    "service_code '%s' not found", ctx->arg);
		return open311_send_json(o, c, MHD_HTTP_OK,
		    services_definition_json(sv));
	case R_REQUESTS:
		return open311_get_requests(o, c, NULL);
	case R_REQUEST:
		return open311_get_requests(o, c, ctx->arg);
	default:
		return open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
		    "not found");
	}
}

static enum MHD_Result
open311_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct open311 *o = cls;
	struct conn_ctx *ctx = *con_cls;
	int is_get, is_post;

	(void)version;
	is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (ctx == NULL) {
		ctx = xcalloc(1, sizeof(*ctx));
		buf_init(&ctx->body, o->cfg.max_body);
		*con_cls = ctx;
		ctx->route = open311_route(url, ctx->arg, sizeof(ctx->arg));
		if (ctx->route == R_NONE)
			return open311_error(o, c, MHD_HTTP_NOT_FOUND, NULL,
			    "no such resource: %s (see %sservices.json)",
			    url, OPEN311_BASE);
		if (ctx->route == R_XML)
			return open311_error(o, c, MHD_HTTP_BAD_REQUEST, NULL,
			    "only the JSON format is served: use .json");
		if (ctx->route == R_REQUESTS && is_post) {
			if (webserver_body_too_large(c, o->cfg.max_body))
				return open311_error(o, c,
				    MHD_HTTP_CONTENT_TOO_LARGE, NULL,
				    "request body larger than %zu bytes",
				    o->cfg.max_body);
			return MHD_YES; /* read the body */
		}
		if (!is_get)
			return open311_error(o, c,
			    MHD_HTTP_METHOD_NOT_ALLOWED,
			    ctx->route == R_REQUESTS ? "GET, HEAD, POST" :
			    "GET, HEAD", "method %s not allowed here",
			    method);
		return open311_get(o, c, ctx);
	}
	if (*upload_size > 0) {
		if (!ctx->too_big &&
		    buf_append(&ctx->body, upload, *upload_size) == -1)
			ctx->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big)
		return open311_error(o, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		    "request body larger than %zu bytes", o->cfg.max_body);
	return open311_post(o, c, ctx);
}

static void
open311_completed(void *cls, struct MHD_Connection *c, void **con_cls,
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

struct open311 *
open311_new(const struct open311_config *cfg)
{
	struct open311 *o;
	struct sockaddr_storage ss;
	struct webserver_opts wo;

	if (cfg->listen == NULL || httpd_sockaddr(cfg->listen, &ss) == -1) {
		log_warnx("open311: listen '%s' is not host:port with a "
		    "numeric address", cfg->listen ? cfg->listen : "");
		return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	o->cfg = *cfg;
	o->listen = xstrdup(cfg->listen);
	o->jurisdiction_id = cfg->jurisdiction_id && *cfg->jurisdiction_id ?
	    xstrdup(cfg->jurisdiction_id) : NULL;
	o->cfg.listen = o->listen;
	o->cfg.jurisdiction_id = o->jurisdiction_id;
	if (o->cfg.max_body == 0 || o->cfg.max_body > OPEN311_BODY_MAX)
		o->cfg.max_body = OPEN311_BODY_MAX;
	if (o->cfg.dedup_window_ms <= 0)
		o->cfg.dedup_window_ms = 600000;
	o->recent = xcalloc(OPEN311_RECENT_MAX, sizeof(*o->recent));
	o->recent_fd = -1;
	pthread_mutex_init(&o->mtx, NULL);
	if (cfg->recent_path != NULL && *cfg->recent_path != '\0') {
		o->recent_path = xstrdup(cfg->recent_path);
		o->cfg.recent_path = o->recent_path;
		recent_load(o, clock_wall_ms());
	}

	memset(&wo, 0, sizeof(wo));
	wo.name = "open311";
	wo.listen = cfg->listen;
	wo.addr = &ss;
	wo.max_connections = cfg->max_connections;
	wo.idle_timeout_ms = cfg->connection_timeout_ms;
	wo.handler = open311_handler;
	wo.completed = open311_completed;
	wo.arg = o;
	if ((o->d = webserver_start(&wo, &o->port)) == NULL) {
		open311_free(o);
		return NULL;
	}
	log_info("open311: listening on %s port %d", cfg->listen, o->port);
	return o;
}

int
open311_port(const struct open311 *o)
{
	return o->port;
}

void
open311_stats(struct open311 *o, struct open311_stats *st)
{
	pthread_mutex_lock(&o->mtx);
	*st = o->st;
	pthread_mutex_unlock(&o->mtx);
}

void
open311_free(struct open311 *o)
{
	if (o == NULL)
		return;
	atomic_store(&o->stopping, 1);
	if (o->d != NULL)
		MHD_stop_daemon(o->d); /* joins the connection threads */
	pthread_mutex_destroy(&o->mtx);
	if (o->recent_fd != -1)
		close(o->recent_fd);
	free(o->recent_path);
	free(o->recent);
	free(o->listen);
	free(o->jurisdiction_id);
	free(o);
}
