/*
 * fake_sicantik: a small stand-in for SiCantik's permit API, for
 * tests/integration/test_perizinan.sh (no Python on the test machines).
 *
 *	fake_sicantik -r records.json -P portfile [-l 127.0.0.1:0]
 *	    [-p /api/v1/permohonan] [-t token]
 *
 * The data set is a JSON array of permit records in the API's format,
 * read again on every request, so the test changes SiCantik's data by
 * rewriting the file (atomically, with mv). A request
 *
 *	GET <path>?updated_since=<RFC 3339>&page=N&per_page=M
 *	Authorization: Bearer <token>
 *
 * gets the records with updated_at >= updated_since, sorted by
 * (updated_at, id), page N of M: {"data":[...],"meta":{"page":N,
 * "last_page":L,"total":T,"per_page":M}}, with an ETag (a hash of the
 * body) and a Last-Modified (the newest updated_at of the result). A
 * matching If-None-Match, or an If-Modified-Since equal to the
 * Last-Modified, is answered 304. A wrong token gets 401. Times without a
 * zone are in WIB (+07:00), as in page.c.
 *
 * Scripted behaviours, set by the test through control requests (no
 * token), each for the next "count" data requests:
 *
 *	POST /_control/fail?count=3&status=500	answer that status
 *	POST /_control/slow?count=1&ms=4000	sleep, then answer normally
 *	POST /_control/malformed?count=1	a truncated page (200)
 *	POST /_control/reset			clear all of them
 *	GET  /_control/stats			counters as JSON
 *
 * Every data request is logged on stderr as one line when it is answered
 * (a slow one also when it starts, and its answer ends in " late", since
 * it comes after the client's retries):
 *
 *	fake_sicantik: GET since=<v|-> page=<n> per_page=<m> -> <status> <what>
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "util.h"

struct fake {
	const char *records;
	const char *path;
	const char *token;
	pthread_mutex_t mtx;
	/* scripted behaviours */
	long fail_count, fail_status;
	long slow_count, slow_ms;
	long malformed_count;
	/* counters */
	long requests, ok, not_modified, failed, slow, malformed,
	    unauthorized;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* RFC 3339 or zone-less (WIB) into microseconds; -1 on failure. */
static int
fake_time(const char *s, int64_t *us)
{
	char buf[96];
	int64_t ms, sub = 0;
	const char *t = s;
	int i, scale = 100;

	if (time_parse_rfc3339(s, &ms) == -1) {
		snprintf(buf, sizeof(buf), "%s+07:00", s);
		if (time_parse_rfc3339(buf, &ms) == -1)
			return -1;
		t = buf;
	}
	if (strlen(t) > 20 && t[19] == '.')
		for (i = 1; i <= 6 && t[19 + i] >= '0' && t[19 + i] <= '9';
		    i++)
			if (i >= 4) {
				sub += (t[19 + i] - '0') * scale;
				scale /= 10;
			}
	*us = ms * 1000 + sub;
	return 0;
}

struct rec {
	cJSON *j;
	int64_t us;
	long long id;
};

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->us != y->us)
		return x->us < y->us ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static cJSON *
fake_load(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[8192];
	size_t n;
	cJSON *j;

	if (f == NULL)
		return NULL;
	buf_init(&b, 64 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) == -1)
			break;
	fclose(f);
	j = b.len > 0 ? cJSON_ParseWithLength(b.data, b.len) : NULL;
	buf_free(&b);
	return j;
}

static enum MHD_Result
fake_reply(struct MHD_Connection *c, unsigned status, const char *body,
    const char *etag, const char *lm)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	if (etag != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (lm != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static long
fake_arg(struct MHD_Connection *c, const char *name, long def)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);
	long n;

	if (v == NULL || parse_long(v, 0, 1000000000L, &n) == -1)
		return def;
	return n;
}

static enum MHD_Result
fake_control(struct fake *fk, struct MHD_Connection *c, const char *url)
{
	char body[512];

	pthread_mutex_lock(&fk->mtx);
	if (strcmp(url, "/_control/fail") == 0) {
		fk->fail_count = fake_arg(c, "count", 1);
		fk->fail_status = fake_arg(c, "status", 500);
	} else if (strcmp(url, "/_control/slow") == 0) {
		fk->slow_count = fake_arg(c, "count", 1);
		fk->slow_ms = fake_arg(c, "ms", 5000);
	} else if (strcmp(url, "/_control/malformed") == 0) {
		fk->malformed_count = fake_arg(c, "count", 1);
	} else if (strcmp(url, "/_control/reset") == 0) {
		fk->fail_count = fk->slow_count = fk->malformed_count = 0;
	} else if (strcmp(url, "/_control/stats") != 0) {
		pthread_mutex_unlock(&fk->mtx);
		return fake_reply(c, MHD_HTTP_NOT_FOUND, "{}", NULL, NULL);
	}
	snprintf(body, sizeof(body), "{\"requests\":%ld,\"ok\":%ld,"
	    "\"not_modified\":%ld,\"failed\":%ld,\"slow\":%ld,"
	    "\"malformed\":%ld,\"unauthorized\":%ld}", fk->requests, fk->ok,
	    fk->not_modified, fk->failed, fk->slow, fk->malformed,
	    fk->unauthorized);
	pthread_mutex_unlock(&fk->mtx);
	fprintf(stderr, "fake_sicantik: control %s\n", url);
	return fake_reply(c, MHD_HTTP_OK, body, NULL, NULL);
}

static enum MHD_Result
fake_data(struct fake *fk, struct MHD_Connection *c)
{
	const char *since = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "updated_since");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	long page = fake_arg(c, "page", 1), per = fake_arg(c, "per_page", 10);
	long fail = 0, slow = 0, bad = 0, total, last, i, from;
	struct rec *recs = NULL;
	cJSON *all = NULL, *out = NULL, *arr, *meta, *it, *f;
	int64_t since_us = INT64_MIN, newest = 0;
	struct timespec ts;
	size_t n = 0;
	char etag[40], lm[64], *body = NULL, want[128];
	time_t t;
	struct tm tm;
	enum MHD_Result ret;

	pthread_mutex_lock(&fk->mtx);
	fk->requests++;
	if (fk->fail_count > 0) {
		fk->fail_count--;
		fail = fk->fail_status;
		fk->failed++;
	} else if (fk->slow_count > 0) {
		fk->slow_count--;
		slow = fk->slow_ms;
		fk->slow++;
	} else if (fk->malformed_count > 0) {
		fk->malformed_count--;
		bad = 1;
		fk->malformed++;
	}
	pthread_mutex_unlock(&fk->mtx);

	snprintf(want, sizeof(want), "Bearer %s", fk->token);
	if (fk->token[0] != '\0' && (auth == NULL || strcmp(auth, want) != 0)) {
		pthread_mutex_lock(&fk->mtx);
		fk->unauthorized++;
		pthread_mutex_unlock(&fk->mtx);
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld -> 401 bad token\n", since ? since : "-",
		    page, per);
		return fake_reply(c, MHD_HTTP_UNAUTHORIZED,
		    "{\"message\":\"Unauthenticated.\"}", NULL, NULL);
	}
	if (fail) {
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld -> %ld scripted\n", since ? since : "-",
		    page, per, fail);
		return fake_reply(c, (unsigned)fail,
		    "{\"message\":\"Server Error\"}", NULL, NULL);
	}
	if (slow) {
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld slow %ldms\n", since ? since : "-", page, per,
		    slow);
		ts.tv_sec = (time_t)(slow / 1000);
		ts.tv_nsec = (slow % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	if (bad) {
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld -> 200 malformed\n", since ? since : "-",
		    page, per);
		return fake_reply(c, MHD_HTTP_OK,
		    "{\"data\":[{\"id\":1,\"no_permohonan\":\"503/00", NULL,
		    NULL);
	}
	if (since != NULL && fake_time(since, &since_us) == -1) {
		fprintf(stderr, "fake_sicantik: GET since=%s -> 422 bad "
		    "updated_since\n", since);
		return fake_reply(c, 422, "{\"message\":\"updated_since\"}",
		    NULL, NULL);
	}
	if (per < 1)
		per = 10;
	if (page < 1)
		page = 1;

	if ((all = fake_load(fk->records)) == NULL || !cJSON_IsArray(all)) {
		cJSON_Delete(all);
		fprintf(stderr, "fake_sicantik: cannot read %s\n",
		    fk->records);
		return fake_reply(c, 500, "{\"message\":\"no data\"}", NULL,
		    NULL);
	}
	recs = calloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*recs));
	cJSON_ArrayForEach(it, all) {
		f = cJSON_GetObjectItem(it, "updated_at");
		if (!cJSON_IsString(f) || fake_time(f->valuestring,
		    &recs[n].us) == -1 || recs[n].us < since_us)
			continue;
		f = cJSON_GetObjectItem(it, "id");
		recs[n].id = cJSON_IsNumber(f) ? (long long)f->valuedouble : 0;
		recs[n].j = it;
		if (recs[n].us > newest)
			newest = recs[n].us;
		n++;
	}
	qsort(recs, n, sizeof(*recs), rec_cmp);
	total = (long)n;
	last = total == 0 ? 1 : (total + per - 1) / per;
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "data");
	from = (page - 1) * per;
	for (i = from; i < from + per && i < total; i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(recs[i].j, 1));
	meta = cJSON_AddObjectToObject(out, "meta");
	cJSON_AddNumberToObject(meta, "page", (double)page);
	cJSON_AddNumberToObject(meta, "last_page", (double)last);
	cJSON_AddNumberToObject(meta, "total", (double)total);
	cJSON_AddNumberToObject(meta, "per_page", (double)per);
	body = cJSON_PrintUnformatted(out);
	snprintf(etag, sizeof(etag), "\"%016llx\"",
	    (unsigned long long)fnv1a(body, strlen(body)));
	t = (time_t)(newest / 1000000);
	gmtime_r(&t, &tm);
	strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);

	if ((inm != NULL && strstr(inm, etag) != NULL) ||
	    (inm == NULL && ims != NULL && strcmp(ims, lm) == 0)) {
		pthread_mutex_lock(&fk->mtx);
		fk->not_modified++;
		pthread_mutex_unlock(&fk->mtx);
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld -> 304 not modified%s\n",
		    since ? since : "-", page, per, slow ? " late" : "");
		ret = fake_reply(c, MHD_HTTP_NOT_MODIFIED, "", etag, lm);
	} else {
		pthread_mutex_lock(&fk->mtx);
		fk->ok++;
		pthread_mutex_unlock(&fk->mtx);
		fprintf(stderr, "fake_sicantik: GET since=%s page=%ld "
		    "per_page=%ld -> 200 records=%d total=%ld last_page=%ld%s\n",
		    since ? since : "-", page, per, cJSON_GetArraySize(arr),
		    total, last, slow ? " late" : "");
		ret = fake_reply(c, MHD_HTTP_OK, body, etag, lm);
	}
	cJSON_free(body);
	cJSON_Delete(out);
	cJSON_Delete(all);
	free(recs);
	return ret;
}

static enum MHD_Result
fake_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct fake *fk = cls;

	(void)version;
	(void)upload;
	if (*con_cls == NULL) {
		*con_cls = fk;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/_control/", 10) == 0)
		return fake_control(fk, c, url);
	if (strcmp(url, fk->path) != 0 || strcmp(method, "GET") != 0)
		return fake_reply(c, MHD_HTTP_NOT_FOUND, "{}", NULL, NULL);
	return fake_data(fk, c);
}

int
main(int argc, char **argv)
{
	struct fake fk;
	struct MHD_Daemon *d;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;
	const char *listen = "127.0.0.1:0", *portfile = NULL, *colon;
	char host[64], tmp[4096];
	sigset_t block, old;
	long port;
	FILE *f;
	int ch;

	memset(&fk, 0, sizeof(fk));
	fk.path = "/api/v1/permohonan";
	fk.token = "";
	pthread_mutex_init(&fk.mtx, NULL);
	while ((ch = getopt(argc, argv, "l:p:P:r:t:")) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'p':
			fk.path = optarg;
			break;
		case 'P':
			portfile = optarg;
			break;
		case 'r':
			fk.records = optarg;
			break;
		case 't':
			fk.token = optarg;
			break;
		default:
			fprintf(stderr, "usage: fake_sicantik -r records.json "
			    "[-P portfile] [-l addr:port] [-p path] "
			    "[-t token]\n");
			return 2;
		}
	}
	if (fk.records == NULL || (colon = strrchr(listen, ':')) == NULL ||
	    (size_t)(colon - listen) >= sizeof(host) ||
	    parse_long(colon + 1, 0, 65535, &port) == -1) {
		fprintf(stderr, "fake_sicantik: need -r and -l addr:port\n");
		return 2;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "fake_sicantik: bad address %s\n", host);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* The library's threads must not take the signals from pause(). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_handler, &fk,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (d == NULL) {
		fprintf(stderr, "fake_sicantik: cannot listen on %s\n", listen);
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "fake_sicantik: listening on port %u\n",
	    di ? di->port : 0);
	/* Written aside and renamed: the test never reads half a port. */
	if (portfile != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		if ((f = fopen(tmp, "w")) != NULL) {
			fprintf(f, "%u\n", di ? di->port : 0);
			if (fclose(f) == 0)
				rename(tmp, portfile);
		}
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	pthread_mutex_destroy(&fk.mtx);
	return 0;
}
