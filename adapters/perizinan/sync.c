/*
 * sync: see sync.h.
 *
 * Acknowledgements: every event of a round is published with sync_done()
 * as its on_done and counted in "outstanding" before it is handed over
 * (the broker may answer before adapter_publish_event() returns). The
 * round ends by waiting, in slices so that a shutdown is noticed, until
 * outstanding is back to 0: while the broker is away the poller simply
 * waits for it instead of reading (and buffering) the same records again.
 *
 * The ids seen in a round are kept (bounded by max_pages * per_page) and
 * sorted at its end to find duplicates; that is the cheapest exact test of
 * "the result set moved under us".
 */
#include "sync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter.h"
#include "checkpoint.h"
#include "cond.h"
#include "log.h"
#include "util.h"

#define SYNC_WAIT_SLICE_MS 200
#define SYNC_WAIT_LOG_MS 30000
#define SYNC_UNSTABLE_MAX 3	/* repeats in a row before backing off */

struct sync {
	struct sync_config cfg;
	struct checkpoint *cp;
	struct page_mark mark;
	char *start_from;

	/* Validators of the last single-page round with nothing new. */
	char *val_url;
	char val_etag[POLL_VALIDATOR_MAX];
	char val_lm[POLL_VALIDATOR_MAX];

	int unstable_run;
	struct sync_stats st;

	/* Acknowledgements of the current round. */
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	uint64_t outstanding;
	uint64_t refused;
};

/* The ids of one round. */
struct idlist {
	char **v;
	size_t n, cap;
};

static void
sync_done(void *arg, int ok)
{
	struct sync *s = arg;

	pthread_mutex_lock(&s->mtx);
	s->outstanding--;
	if (!ok)
		s->refused++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

struct sync *
sync_new(const struct sync_config *cfg)
{
	struct sync *s;
	char value[CHECKPOINT_VALUE_MAX + 1];
	int64_t ms;
	int r;

	if (cfg->start_from != NULL && *cfg->start_from != '\0' &&
	    time_parse_rfc3339(cfg->start_from, &ms) == -1) {
		log_warnx("sync: start_from '%s' is not an RFC 3339 date-time",
		    cfg->start_from);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	if (cfg->start_from != NULL && *cfg->start_from != '\0')
		s->start_from = xstrdup(cfg->start_from);
	page_mark_none(&s->mark);
	pthread_mutex_init(&s->mtx, NULL);
	cond_init_mono(&s->cond);
	if ((s->cp = checkpoint_new(cfg->checkpoint_path)) == NULL)
		goto fail;
	if ((r = checkpoint_read(s->cp, value, sizeof(value))) == -1)
		goto fail;
	if (r == 1 && page_mark_parse(value, &s->mark) == -1) {
		log_warnx("sync: checkpoint %s holds '%.80s', which is not a "
		    "watermark; remove it to read everything again",
		    cfg->checkpoint_path, value);
		goto fail;
	}
	if (r == 1)
		log_info("sync: watermark %s (from %s)", value,
		    cfg->checkpoint_path);
	else
		log_info("sync: no checkpoint yet; reading from %s",
		    s->start_from ? s->start_from : "the beginning");
	return s;
fail:
	sync_free(s);
	return NULL;
}

void
sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	checkpoint_free(s->cp);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mtx);
	free(s->start_from);
	free(s->val_url);
	free(s);
}

void
sync_stats(const struct sync *s, struct sync_stats *st)
{
	*st = s->st;
}

static void
idlist_add(struct idlist *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(id);
}

static int
idlist_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when some id occurs twice. Sorts the list. */
static int
idlist_dup(struct idlist *l)
{
	size_t i;

	if (l->n < 2)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), idlist_cmp);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1], l->v[i]) == 0)
			return 1;
	return 0;
}

static void
idlist_free(struct idlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * Waits until every event of the round was acknowledged or refused.
 * Returns 0, or -1 when the adapter is stopping.
 */
static int
sync_wait_acks(struct sync *s)
{
	int64_t start = clock_mono_ms(), next_log = start + SYNC_WAIT_LOG_MS;
	int rv = 0;

	pthread_mutex_lock(&s->mtx);
	while (s->outstanding > 0) {
		if (!adapter_running()) {
			rv = -1;
			break;
		}
		if (clock_mono_ms() >= next_log) {
			log_warnx("sync: still waiting for the broker to "
			    "acknowledge %llu event(s) after %llds",
			    (unsigned long long)s->outstanding,
			    (long long)((clock_mono_ms() - start) / 1000));
			next_log += SYNC_WAIT_LOG_MS;
		}
		cond_wait_ms(&s->cond, &s->mtx, SYNC_WAIT_SLICE_MS);
	}
	pthread_mutex_unlock(&s->mtx);
	return rv;
}

/* Counts of one round, for its log line. */
struct round {
	long pages;
	size_t seen;
	size_t skipped;		/* at or below the watermark */
	size_t published;
	size_t invalid;
	size_t ignored;
	long total;		/* meta.total of page 1 */
	int total_moved;	/* a later page said otherwise */
	int64_t last_us;	/* updated_at of the last record */
	struct page_mark top;	/* greatest new record */
};

/* Publishes the new records of one page. -1: the publisher is full. */
static int
sync_page(struct sync *s, const struct page *pg, struct round *rd,
    struct idlist *ids, char *err, size_t errlen)
{
	const struct permit *p;
	struct page_mark m;
	size_t i;
	int r;

	for (i = 0; i < pg->npermits; i++) {
		p = &pg->permits[i];
		if (p->updated_us < rd->last_us) {
			snprintf(err, errlen, "data[%zu] (id %s): updated_at "
			    "%s is earlier than the record before it: the API "
			    "must sort by updated_at", i, p->id,
			    p->updated_at);
			return -2;
		}
		rd->last_us = p->updated_us;
		rd->seen++;
		idlist_add(ids, p->id);
		page_mark_of(p, &m);
		if (page_mark_cmp(&m, &s->mark) <= 0) {
			rd->skipped++;
			continue;
		}
		if (page_mark_cmp(&m, &rd->top) > 0)
			rd->top = m;
		if (p->status == PERMIT_UNKNOWN) {
			log_warnx("sync: %s (id %s): status '%s' is not "
			    "mapped, no event (map it in [status])",
			    p->no_permohonan, p->id, p->status_raw);
			rd->ignored++;
			continue;
		}
		if (p->status == PERMIT_IGNORE) {
			log_debug("sync: %s (id %s): status '%s' is ignored",
			    p->no_permohonan, p->id, p->status_raw);
			rd->ignored++;
			continue;
		}
		pthread_mutex_lock(&s->mtx);
		s->outstanding++;
		pthread_mutex_unlock(&s->mtx);
		r = s->cfg.publish(s->cfg.arg, p, sync_done, s);
		if (r == ADAPTER_PUBLISH_OK) {
			rd->published++;
			continue;
		}
		pthread_mutex_lock(&s->mtx);
		s->outstanding--;
		pthread_mutex_unlock(&s->mtx);
		if (r == ADAPTER_PUBLISH_INVALID) {
			/* Logged by the adapter; bad at the source: skip. */
			rd->invalid++;
			continue;
		}
		snprintf(err, errlen, "the publisher's buffer is full "
		    "(broker away or slow)");
		return -1;
	}
	return 0;
}

static void
sync_forget_validators(struct sync *s)
{
	free(s->val_url);
	s->val_url = NULL;
	s->val_etag[0] = s->val_lm[0] = '\0';
}

static void
sync_keep_validators(struct sync *s, const char *url,
    const struct poll_response *rs)
{
	sync_forget_validators(s);
	if (rs->etag[0] == '\0' && rs->last_modified[0] == '\0')
		return;
	s->val_url = xstrdup(url);
	strlcpy_s(s->val_etag, rs->etag, sizeof(s->val_etag));
	strlcpy_s(s->val_lm, rs->last_modified, sizeof(s->val_lm));
}

static int
sync_write_mark(struct sync *s, const struct page_mark *m)
{
	char value[PAGE_MARK_LEN];

	page_mark_format(m, value);
	if (checkpoint_write(s->cp, value) == -1)
		return -1;
	s->mark = *m;
	return 0;
}

enum sync_result
sync_round(struct sync *s)
{
	struct poll_response rs, first;
	struct poll_request rq;
	struct page *pg = NULL;
	struct idlist ids;
	struct round rd;
	struct page_mark next;
	enum sync_result res = SYNC_FAILED;
	enum poll_result pr;
	char since[PAGE_TIME_LEN], err[512], *url = NULL, *url1 = NULL;
	char markbuf[PAGE_MARK_LEN];
	int complete = 0, single = 0, r, consistent;

	memset(&rd, 0, sizeof(rd));
	memset(&ids, 0, sizeof(ids));
	page_mark_none(&rd.top);
	rd.last_us = INT64_MIN;
	rd.total = -1;
	poll_response_init(&rs, s->cfg.max_page_bytes);
	poll_response_init(&first, 0);
	pthread_mutex_lock(&s->mtx);
	s->refused = 0;
	pthread_mutex_unlock(&s->mtx);
	s->st.rounds++;

	memset(&rq, 0, sizeof(rq));
	if (s->mark.us != INT64_MIN) {
		page_time_format_us(s->mark.us, since);
		rq.since = since;
	} else
		rq.since = s->start_from;
	rq.per_page = s->cfg.per_page;

	for (rq.page = 1;; rq.page++) {
		free(url);
		url = poll_url(s->cfg.poll, &rq);
		rq.if_none_match = rq.if_modified_since = NULL;
		if (rq.page == 1 && s->val_url != NULL &&
		    strcmp(s->val_url, url) == 0) {
			rq.if_none_match = s->val_etag;
			rq.if_modified_since = s->val_lm;
		}
		pr = poll_get(s->cfg.poll, &rq, &rs);
		if (pr == POLL_NOT_MODIFIED) {
			log_debug("sync: not modified (304) %s", url);
			s->st.not_modified++;
			res = SYNC_DONE;
			goto wait;
		}
		if (pr != POLL_OK) {
			log_warnx("sync: GET %s failed%s: %s", url,
			    pr == POLL_RETRY ? " (temporary)" : "", rs.reason);
			goto wait;
		}
		s->st.pages++;
		rd.pages++;
		if (page_parse(rs.body.data, rs.body.len, s->cfg.rules, &pg,
		    err, sizeof(err)) == -1) {
			log_warnx("sync: malformed page %ld from %s: %s; the "
			    "round fails, the watermark stays", rq.page, url,
			    err);
			goto wait;
		}
		if (pg->page != rq.page) {
			log_warnx("sync: malformed page %ld from %s: meta.page "
			    "says %ld; the round fails, the watermark stays",
			    rq.page, url, pg->page);
			goto wait;
		}
		if (rq.page == 1) {
			url1 = xstrdup(url);
			strlcpy_s(first.etag, rs.etag, sizeof(first.etag));
			strlcpy_s(first.last_modified, rs.last_modified,
			    sizeof(first.last_modified));
			rd.total = pg->total;
			single = pg->last_page <= 1;
		} else if (pg->total != rd.total)
			rd.total_moved = 1;
		if ((r = sync_page(s, pg, &rd, &ids, err, sizeof(err))) < 0) {
			log_warnx("sync: %s page %ld from %s: %s; the round "
			    "fails, the watermark stays", r == -2 ?
			    "malformed" : "stopped at", rq.page, url, err);
			goto wait;
		}
		if (rq.page >= pg->last_page) {
			complete = 1;
			break;
		}
		if (rq.page >= s->cfg.max_pages)
			break;
		page_free(pg);
		pg = NULL;
		if (!adapter_running())
			goto wait;
	}
	res = SYNC_DONE;

wait:
	page_free(pg);
	pg = NULL;
	if (sync_wait_acks(s) == -1) {
		log_info("sync: stopping with events unacknowledged; the "
		    "watermark stays");
		res = SYNC_FAILED;
		goto out;
	}
	s->st.published += rd.published;
	s->st.invalid += rd.invalid;
	s->st.ignored += rd.ignored;
	if (res != SYNC_DONE)
		goto out;
	if (rd.pages == 0)
		goto out; /* 304 */
	if (s->refused > 0) {
		log_warnx("sync: the broker refused %llu event(s); the "
		    "watermark stays", (unsigned long long)s->refused);
		res = SYNC_FAILED;
		goto out;
	}

	consistent = !rd.total_moved && !idlist_dup(&ids) &&
	    (!complete || rd.seen == (size_t)rd.total);
	if (!consistent) {
		s->st.unstable++;
		log_warnx("sync: the result set changed during the round "
		    "(total %ld, %zu records seen%s); the watermark stays and "
		    "the round is repeated", rd.total, rd.seen,
		    rd.total_moved ? ", total moved" : "");
		res = ++s->unstable_run < SYNC_UNSTABLE_MAX ? SYNC_MORE :
		    SYNC_DONE;
		if (res == SYNC_DONE)
			s->unstable_run = 0;
		goto out;
	}
	s->unstable_run = 0;

	if (!complete) {
		/* A backlog: up to the last time read, its ties again. */
		next.us = rd.last_us;
		next.id[0] = '\0';
		if (page_mark_cmp(&next, &s->mark) <= 0) {
			page_time_format_us(next.us, since);
			log_warnx("sync: more than %ld pages of records share "
			    "updated_at %s; raise max_pages", s->cfg.max_pages,
			    since);
			res = SYNC_FAILED;
			goto out;
		}
		res = SYNC_MORE;
	} else if (page_mark_cmp(&rd.top, &s->mark) > 0)
		next = rd.top;
	else
		next = s->mark;

	if (page_mark_cmp(&next, &s->mark) != 0) {
		if (sync_write_mark(s, &next) == -1) {
			res = SYNC_FAILED;
			goto out;
		}
		page_mark_format(&next, markbuf);
		log_info("sync: round done pages=%ld records=%zu new=%zu "
		    "published=%zu invalid=%zu ignored=%zu watermark=%s%s",
		    rd.pages, rd.seen, rd.seen - rd.skipped, rd.published,
		    rd.invalid, rd.ignored, markbuf,
		    res == SYNC_MORE ? " (more to read)" : "");
	} else
		log_debug("sync: round done pages=%ld records=%zu, nothing new",
		    rd.pages, rd.seen);
	/* Nothing new on one page: the next identical request may be
	 * answered 304. */
	if (complete && single && rd.seen == rd.skipped && url1 != NULL)
		sync_keep_validators(s, url1, &first);
	else
		sync_forget_validators(s);
out:
	if (res == SYNC_FAILED)
		s->st.failed++;
	idlist_free(&ids);
	poll_response_free(&rs);
	poll_response_free(&first);
	free(url);
	free(url1);
	return res;
}
