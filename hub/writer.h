/*
 * writer: the thread that moves journaled messages into PostgreSQL.
 *
 * It reads the journal from the checkpoint on, classifies each record
 * (intake), fills a batch of events and dead letters, and commits it with
 * the new checkpoint in one transaction (store). Only then is the journal
 * released up to that seq. There is no timer: a batch is committed as soon
 * as the journal has nothing more to give or the batch is full, so under
 * load batches grow by themselves while a commit is in flight (group
 * commit), and at low rates every message is committed at once.
 *
 * PostgreSQL down: the batch is kept and retried after reconnecting with
 * backoff; the journal meanwhile keeps growing (main.c turns the disk
 * budget into backpressure on the broker).
 */
#ifndef SIMPUL_WRITER_H
#define SIMPUL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "intake.h"

struct journal;
struct router;
struct store;
struct writer;

struct writer_opts {
	struct journal *journal;
	struct store *store; /* connected; used by the writer thread only */
	struct intake intake;
	uint64_t after_seq;  /* the checkpoint */
	size_t batch_max;
	size_t batch_bytes;
	int64_t reconnect_max_ms;
	long retention_months;
	struct router *router; /* taken; NULL: store only */
	void (*committed)(void *arg); /* after each commit (wake the relay) */
	void *committed_arg;
};

struct writer_stats {
	uint64_t events, duplicates, dead, batches, records;
	uint64_t published, cases; /* rule outputs committed */
	uint64_t router_swaps;
	uint64_t dead_by_reason[DLQ_NREASONS];
	uint64_t committed_seq;
	int db_up;
	/*
	 * Per committed batch, for /metrics (metrics.c): its records (events
	 * and dead letters), and how long store_commit() took, in seconds.
	 */
	struct histogram batch_records;
	struct histogram commit_seconds;
};

struct writer *writer_start(const struct writer_opts *o);
/* Tells the writer the journal has grown; cheap, any thread. */
void writer_wake(struct writer *w);
/*
 * Stops the thread: first commits everything journaled so far if the
 * database allows within timeout_ms. Returns 1 if fully drained.
 */
int writer_stop(struct writer *w, int timeout_ms);
void writer_get_stats(struct writer *w, struct writer_stats *out);
/*
 * Hands over a new router (rules changed). The writer takes it between two
 * batches, so every event meets exactly one rule set, and frees the old.
 */
void writer_set_router(struct writer *w, struct router *r);

#endif
