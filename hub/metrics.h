/*
 * metrics: the hub's /metrics and /healthz (HTTP, see common/httpd.h).
 *
 * /metrics reads the counters the hub's threads keep anyway (the writer's
 * stats, the journal, the relay, the maintenance thread, the MQTT session)
 * at the moment of the scrape; nothing is counted twice and no thread is
 * slowed down beyond one short lock per module. The families are listed in
 * deploy/INSTALL.md ("Monitoring").
 *
 * /healthz is 200 "ok" when the hub is connected to the broker and
 * PostgreSQL is reachable (by both the writer and the maintenance thread,
 * which notices a lost server within a second even when no event
 * arrives); otherwise 503 with one line per reason, e.g.
 * "postgres: unreachable; events wait in the journal (unstored_bytes=...)".
 *
 * The endpoint starts once everything it reads exists (after start-up has
 * reached PostgreSQL); before that, a probe gets "connection refused".
 */
#ifndef SIMPUL_METRICS_H
#define SIMPUL_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "util.h"

struct journal;
struct maint;
struct metrics;
struct mqtt;
struct relay;
struct writer;

struct metrics_opts {
	const char *listen;        /* [http] listen; "" disables */
	long max_connections;      /* [http] max_connections */
	int64_t timeout_ms;        /* [http] timeout */
	const char *instance, *site;
	uint64_t disk_budget;      /* [journal] disk_budget */
	/* Read at every scrape; all must outlive metrics_stop(). */
	struct journal *journal;
	struct writer *writer;
	struct mqtt *mqtt;
	struct relay *relay;
	struct maint *maint;
	const atomic_ullong *received; /* messages journaled by on_message */
};

/*
 * Starts serving. Returns NULL when listen is empty (disabled: not an
 * error) or when the endpoint cannot start (logged: the hub goes on
 * without it, since events matter more than their metrics).
 */
struct metrics *metrics_start(const struct metrics_opts *o);
/* Stops serving; call before stopping what it reads. Accepts NULL. */
void metrics_stop(struct metrics *m);
/* The bound port (tests that listen on port 0). */
int metrics_port(const struct metrics *m);

/* The two texts the endpoint serves (also usable without HTTP). */
void metrics_write(const struct metrics_opts *o, struct buf *out);
int metrics_health(const struct metrics_opts *o, struct buf *out);

#endif
