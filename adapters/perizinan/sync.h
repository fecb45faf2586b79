/*
 * sync: the polling side of the adapter. One call of sync_round() reads
 * everything SiCantik changed since the watermark, page by page, publishes
 * one event per permit record, waits until the broker acknowledged every
 * one of them, and only then moves the watermark (a crash-safe checkpoint,
 * checkpoint.h) to the greatest (updated_at, id) of the round.
 *
 * The round, in the API's terms (docs/perizinan.md):
 *
 *	GET ?updated_since=<watermark time>&page=1..last_page&per_page=M
 *
 * updated_since is inclusive, so records at the watermark's time come back
 * and are skipped by (updated_at, id) <= watermark. Records must come in
 * updated_at order (checked). The result set may change while a round
 * pages through it (offset paging): a record updated after its page was
 * read moves to the end and shifts the others, one of which is then never
 * seen. So a round is trusted only when every page reported the same
 * total, no id was seen twice, and the records seen add up to the total;
 * otherwise its events (harmless: same ids) stay published but the
 * watermark stays, and the round is repeated.
 *
 * At most max_pages pages are read per round; a longer backlog (the first
 * start) moves the watermark to the time of the last record read, with no
 * id, so that records sharing that time are read again next round, and
 * sync_round() says SYNC_MORE.
 *
 * Nothing advances on a failure: a temporary HTTP failure (timeouts, 5xx),
 * any other HTTP failure, a malformed page, a full publisher buffer, or an
 * event the broker refused make the round SYNC_FAILED; the caller waits
 * (with backoff) and calls again, and the next round starts again from
 * page 1 at the same watermark.
 *
 * Conditional requests: when a round ended with nothing new on a single
 * page, its ETag and Last-Modified are kept with its URL; the next round
 * with the same URL sends If-None-Match / If-Modified-Since, and a 304
 * ends the round at once. (With several pages a 304 on page 1 would not
 * prove that the later pages are unchanged.)
 */
#ifndef SIMPUL_PERIZINAN_SYNC_H
#define SIMPUL_PERIZINAN_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"
#include "poll.h"
#include "publisher.h"

/*
 * Publishes the event of one permit with on_done(done_arg, ok) as its
 * completion; returns an enum adapter_publish value.
 */
typedef int (*sync_publish_fn)(void *arg, const struct permit *p,
    publisher_done_fn on_done, void *done_arg);

struct sync_config {
	struct poll *poll;
	const struct page_rules *rules;
	const char *checkpoint_path;
	const char *start_from;		/* first updated_since; NULL: all */
	long per_page;
	long max_pages;
	size_t max_page_bytes;
	sync_publish_fn publish;
	void *arg;
};

enum sync_result {
	SYNC_DONE,	/* up to date: wait the interval */
	SYNC_MORE,	/* progress, more to read: call again now */
	SYNC_FAILED,	/* nothing advanced: back off, call again */
};

struct sync_stats {
	uint64_t rounds;
	uint64_t failed;	/* rounds */
	uint64_t pages;
	uint64_t not_modified;
	uint64_t published;	/* events accepted by the publisher */
	uint64_t invalid;	/* refused by the schema check: skipped */
	uint64_t ignored;	/* statuses that are no event */
	uint64_t unstable;	/* rounds repeated: the result set moved */
};

struct sync;

/*
 * Reads the checkpoint. Returns NULL (logged) when it is damaged or holds
 * something that is not a watermark: a person must look rather than the
 * adapter silently starting over.
 */
struct sync *sync_new(const struct sync_config *cfg);

/* One round (see above). Returns early with SYNC_FAILED on shutdown. */
enum sync_result sync_round(struct sync *s);

void sync_stats(const struct sync *s, struct sync_stats *st);

/*
 * Frees s. Call it after adapter_free(): the publisher may still call the
 * on_done of events of an unfinished round until then.
 */
void sync_free(struct sync *s);

#endif
