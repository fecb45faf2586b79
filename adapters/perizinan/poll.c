/*
 * poll: see poll.h.
 *
 * A failure is classified for the caller: "temporary" (the server or the
 * network will likely recover: timeouts, refused connections, 5xx, 429)
 * or "failed" (a person must look: 401 for a wrong token, 404 for a wrong
 * URL, a redirect, a certificate that does not verify, a body above the
 * limit). The caller retries both with backoff and never advances its
 * checkpoint; the difference is in what the log says.
 */
#include "poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"

struct poll {
	CURL *curl;
	char *url;
	char *auth;		/* "Authorization: Bearer ..." or NULL */
	char *user_agent;
	struct poll_config cfg;
	char errbuf[CURL_ERROR_SIZE];
};

/* Per-transfer state for the callbacks. */
struct poll_xfer {
	struct poll_response *rs;
	int too_big;
};

void
poll_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("poll: curl_global_init failed");
}

void
poll_global_cleanup(void)
{
	curl_global_cleanup();
}

void
poll_response_init(struct poll_response *rs, size_t max_bytes)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, max_bytes);
}

void
poll_response_free(struct poll_response *rs)
{
	buf_free(&rs->body);
}

static size_t
poll_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct poll_xfer *x = arg;
	size_t n = size * nmemb;

	if (buf_append(&x->rs->body, ptr, n) == -1) {
		x->too_big = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

/*
 * Keeps the value of a header we care about, if it is printable ASCII
 * (it goes back into a request header).
 */
static void
poll_keep(const char *v, size_t len, char *out, size_t outlen)
{
	size_t i;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= outlen)
		return;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return;
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t
poll_header(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct poll_xfer *x = arg;
	size_t n = size * nitems;

	if (n > 5 && strncasecmp(ptr, "ETag:", 5) == 0)
		poll_keep(ptr + 5, n - 5, x->rs->etag, sizeof(x->rs->etag));
	else if (n > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0)
		poll_keep(ptr + 14, n - 14, x->rs->last_modified,
		    sizeof(x->rs->last_modified));
	return n;
}

static int
poll_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

struct poll *
poll_new(const struct poll_config *cfg)
{
	struct poll *p;
	CURLcode e = CURLE_OK;

	if (cfg->url == NULL || (strncmp(cfg->url, "http://", 7) != 0 &&
	    strncmp(cfg->url, "https://", 8) != 0) ||
	    !poll_printable(cfg->url) || strchr(cfg->url, ' ') != NULL) {
		log_warnx("poll: api_url must be an http:// or https:// URL");
		return NULL;
	}
	if (cfg->token != NULL && !poll_printable(cfg->token)) {
		log_warnx("poll: api_token holds control characters");
		return NULL;
	}
	if (cfg->ca_file != NULL && access(cfg->ca_file, R_OK) == -1) {
		log_warn("poll: ca_file %s", cfg->ca_file);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->url = xstrdup(cfg->url);
	p->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent :
	    "simpul-perizinan");
	if (cfg->token != NULL && *cfg->token != '\0')
		p->auth = xasprintf("Authorization: Bearer %s", cfg->token);
	if ((p->curl = curl_easy_init()) == NULL) {
		log_warnx("poll: curl_easy_init failed");
		poll_free(p);
		return NULL;
	}

#define SET(opt, val) do { if (e == CURLE_OK) \
	e = curl_easy_setopt(p->curl, opt, val); } while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, p->errbuf);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_bytes);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, p->user_agent);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_WRITEFUNCTION, poll_write);
	SET(CURLOPT_HEADERFUNCTION, poll_header);
	if (cfg->ca_file != NULL)
		SET(CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
	}
#undef SET
	if (e != CURLE_OK) {
		log_warnx("poll: libcurl refused an option: %s",
		    curl_easy_strerror(e));
		poll_free(p);
		return NULL;
	}
	if (cfg->insecure)
		log_warnx("poll: WARNING: TLS verification is OFF "
		    "([sicantik] insecure = yes): anyone on the path can read "
		    "the API token and forge permits. Use ca_file instead.");
	else if (strncmp(cfg->url, "http://", 7) == 0 && p->auth != NULL)
		log_warnx("poll: WARNING: api_url is plain http: the API "
		    "token travels in clear text");
	return p;
}

void
poll_free(struct poll *p)
{
	if (p == NULL)
		return;
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	free(p->url);
	free(p->auth);
	free(p->user_agent);
	free(p);
}

char *
poll_url(struct poll *p, const struct poll_request *rq)
{
	struct buf b;
	char *esc, *url;
	char sep = strchr(p->url, '?') != NULL ? '&' : '?';

	buf_init(&b, 0);
	if (buf_appendf(&b, "%s", p->url) == -1)
		fatalx("poll: url");
	if (rq->since != NULL) {
		if ((esc = curl_easy_escape(p->curl, rq->since, 0)) == NULL)
			fatalx("poll: out of memory");
		if (buf_appendf(&b, "%cupdated_since=%s", sep, esc) == -1)
			fatalx("poll: url");
		curl_free(esc);
		sep = '&';
	}
	if (buf_appendf(&b, "%cpage=%ld&per_page=%ld", sep, rq->page,
	    rq->per_page) == -1 || buf_terminate(&b) == -1)
		fatalx("poll: url");
	url = xstrdup(b.data);
	buf_free(&b);
	return url;
}

static struct curl_slist *
poll_add(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);

	if (n == NULL)
		fatalx("poll: out of memory");
	return n;
}

enum poll_result
poll_get(struct poll *p, const struct poll_request *rq,
    struct poll_response *rs)
{
	struct curl_slist *hdr = NULL;
	struct poll_xfer x;
	enum poll_result r;
	char *url, *h;
	int64_t start = clock_mono_ms();
	long status = 0;
	CURLcode e;
	int conditional = 0;

	buf_reset(&rs->body);
	rs->status = 0;
	rs->etag[0] = rs->last_modified[0] = rs->reason[0] = '\0';
	p->errbuf[0] = '\0';
	x.rs = rs;
	x.too_big = 0;

	url = poll_url(p, rq);
	hdr = poll_add(hdr, "Accept: application/json");
	if (p->auth != NULL)
		hdr = poll_add(hdr, p->auth);
	if (rq->if_none_match != NULL && *rq->if_none_match != '\0' &&
	    poll_printable(rq->if_none_match)) {
		h = xasprintf("If-None-Match: %s", rq->if_none_match);
		hdr = poll_add(hdr, h);
		free(h);
		conditional = 1;
	}
	if (rq->if_modified_since != NULL && *rq->if_modified_since != '\0' &&
	    poll_printable(rq->if_modified_since)) {
		h = xasprintf("If-Modified-Since: %s", rq->if_modified_since);
		hdr = poll_add(hdr, h);
		free(h);
		conditional = 1;
	}
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(p->curl, CURLOPT_HEADERDATA, &x);

	e = curl_easy_perform(p->curl);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	rs->status = status;
	rs->elapsed_ms = clock_mono_ms() - start;

	if (e == CURLE_OK) {
		if (status == 200) {
			if (buf_terminate(&rs->body) == -1) {
				snprintf(rs->reason, sizeof(rs->reason),
				    "body larger than %zu bytes",
				    p->cfg.max_bytes);
				r = POLL_FAILED;
			} else
				r = POLL_OK;
		} else if (status == 304 && conditional) {
			r = POLL_NOT_MODIFIED;
		} else if (status >= 500 || status == 429 || status == 408) {
			snprintf(rs->reason, sizeof(rs->reason),
			    "HTTP %ld from the server", status);
			r = POLL_RETRY;
		} else {
			snprintf(rs->reason, sizeof(rs->reason), "HTTP %ld%s",
			    status, status == 401 || status == 403 ?
			    " (check api_token)" : status >= 300 &&
			    status < 400 ? " (redirects are not followed; "
			    "check api_url)" : "");
			r = POLL_FAILED;
		}
		goto out;
	}
	switch (e) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x.too_big || e == CURLE_FILESIZE_EXCEEDED) {
			snprintf(rs->reason, sizeof(rs->reason),
			    "body larger than max_page_bytes (%zu)",
			    p->cfg.max_bytes);
			r = POLL_FAILED;
			break;
		}
		/* FALLTHROUGH */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		snprintf(rs->reason, sizeof(rs->reason), "%s%.200s",
		    e == CURLE_OPERATION_TIMEDOUT ? "timeout: " : "",
		    p->errbuf[0] ? p->errbuf : curl_easy_strerror(e));
		r = POLL_RETRY;
		break;
	default:
		snprintf(rs->reason, sizeof(rs->reason), "%s",
		    p->errbuf[0] ? p->errbuf : curl_easy_strerror(e));
		r = POLL_FAILED;
	}
out:
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	free(url);
	return r;
}
