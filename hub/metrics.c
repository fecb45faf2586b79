/*
 * metrics: see metrics.h. This file only turns the modules' counters into
 * text; the HTTP side is common/httpd.c.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "httpd.h"
#include "intake.h"
#include "journal.h"
#include "log.h"
#include "maint.h"
#include "mqtt.h"
#include "prom.h"
#include "relay.h"
#include "writer.h"

#ifndef SIMPUL_VERSION
#define SIMPUL_VERSION "unknown"
#endif

struct metrics {
	struct metrics_opts o;
	char *instance, *site;
	double started; /* wall clock, seconds */
	struct httpd *httpd;
};

/*
 * The database is up when both connections that watch it think so: the
 * writer finds out only when a commit fails, the maintenance thread within
 * a second, because it waits on its socket for notifications.
 */
static int
metrics_db_up(const struct metrics_opts *o, const struct writer_stats *ws)
{
	return ws->db_up && maint_db_up(o->maint);
}

void
metrics_write(const struct metrics_opts *o, struct buf *b)
{
	struct writer_stats ws;
	uint64_t published, refused;
	const char *labels[] = { "version", SIMPUL_VERSION, "instance",
	    o->instance, "site", o->site, NULL };
	const char *reason[] = { "reason", NULL, NULL };
	int r;

	writer_get_stats(o->writer, &ws);
	relay_counts(o->relay, &published, &refused);
	prom_family(b, "simpul_build_info", PROM_GAUGE,
	    "Always 1; the labels tell the version, instance and site");
	prom_sample_u64(b, "simpul_build_info", labels, 1);

	prom_counter(b, "simpul_events_received_total",
	    "Messages received on the ingest subscription and journaled "
	    "(acknowledged to the broker) since the hub started",
	    atomic_load(o->received));
	prom_counter(b, "simpul_events_stored_total",
	    "Valid events committed to PostgreSQL (new ids only)", ws.events);
	prom_counter(b, "simpul_events_duplicate_total",
	    "Events whose id was already stored with the same content "
	    "(redeliveries, replays); not stored again", ws.duplicates);
	prom_family(b, "simpul_dead_letters_total", PROM_COUNTER,
	    "Messages stored as dead letters, by reason");
	for (r = DLQ_NONE + 1; r < DLQ_NREASONS; r++) {
		reason[1] = dlq_reason_name((enum dlq_reason)r);
		prom_sample_u64(b, "simpul_dead_letters_total", reason,
		    ws.dead_by_reason[r]);
	}
	prom_histogram(b, "simpul_batch_records",
	    "Journal records (events and dead letters) per committed batch; "
	    "_count is the number of batches", &ws.batch_records);
	prom_histogram(b, "simpul_commit_duration_seconds",
	    "Time of one batch commit to PostgreSQL (the whole transaction)",
	    &ws.commit_seconds);

	prom_gauge(b, "simpul_journal_unreleased_bytes",
	    "Journal bytes not yet stored in PostgreSQL (whole segments)",
	    (double)journal_unreleased_bytes(o->journal));
	prom_gauge(b, "simpul_journal_disk_budget_bytes",
	    "Unreleased journal bytes above which ingest pauses",
	    (double)o->disk_budget);
	prom_gauge(b, "simpul_journal_next_seq",
	    "The seq the next journaled message gets (never restarts)",
	    (double)journal_next_seq(o->journal));
	prom_gauge(b, "simpul_journal_committed_seq",
	    "The highest journal seq committed to PostgreSQL (the checkpoint)",
	    (double)ws.committed_seq);

	prom_counter(b, "simpul_outbox_queued_total",
	    "Messages the rules queued in the outbox (routed copies, alerts)",
	    ws.published);
	prom_counter(b, "simpul_outbox_published_total",
	    "Outbox messages published and acknowledged by the broker",
	    published);
	prom_counter(b, "simpul_outbox_refused_total",
	    "Outbox messages the broker refused for good (Not authorized, "
	    "...), set aside in outbox_refused",
	    refused);
	prom_counter(b, "simpul_cases_total",
	    "Case openings and updates committed by the rules", ws.cases);
	prom_counter(b, "simpul_escalations_total",
	    "Cases escalated by the SLA scan", maint_escalations(o->maint));
	prom_counter(b, "simpul_rule_reloads_total",
	    "Rule sets loaded from PostgreSQL after a change or a reconnect",
	    maint_reloads(o->maint));

	prom_gauge(b, "simpul_postgres_up",
	    "1 when PostgreSQL is reachable", metrics_db_up(o, &ws));
	prom_gauge(b, "simpul_broker_connected",
	    "1 when the hub is connected to the MQTT broker",
	    mqtt_is_connected(o->mqtt));
	prom_gauge(b, "simpul_relay_connected",
	    "1 when the outbox relay's own broker connection is up",
	    relay_is_connected(o->relay));
	prom_gauge(b, "simpul_ingest_paused",
	    "1 while ingest is paused (journal over its disk budget)",
	    mqtt_is_paused(o->mqtt));
}

int
metrics_health(const struct metrics_opts *o, struct buf *b)
{
	struct writer_stats ws;
	int healthy = 1;

	writer_get_stats(o->writer, &ws);
	if (mqtt_is_paused(o->mqtt)) {
		buf_appendf(b, "broker: ingest paused, journal over its disk "
		    "budget (unstored_bytes=%llu budget=%llu)\n",
		    (unsigned long long)journal_unreleased_bytes(o->journal),
		    (unsigned long long)o->disk_budget);
		healthy = 0;
	} else if (!mqtt_is_connected(o->mqtt)) {
		buf_appendf(b, "broker: not connected\n");
		healthy = 0;
	}
	if (!relay_is_connected(o->relay)) {
		buf_appendf(b, "relay: not connected to the broker; routed "
		    "copies, case changes and alerts wait in the outbox\n");
		healthy = 0;
	}
	if (!metrics_db_up(o, &ws)) {
		buf_appendf(b, "postgres: unreachable; events wait in the "
		    "journal (unstored_bytes=%llu)\n",
		    (unsigned long long)journal_unreleased_bytes(o->journal));
		healthy = 0;
	}
	return healthy;
}

static void
metrics_http_write(void *arg, struct buf *out)
{
	struct metrics *m = arg;

	metrics_write(&m->o, out);
	prom_gauge(out, "simpul_start_time_seconds",
	    "When the hub started serving, seconds since the epoch",
	    m->started);
}

static int
metrics_http_health(void *arg, struct buf *out)
{
	struct metrics *m = arg;

	return metrics_health(&m->o, out);
}

struct metrics *
metrics_start(const struct metrics_opts *o)
{
	struct metrics *m;
	struct httpd_opts ho;

	if (o->listen == NULL || *o->listen == '\0') {
		log_info("metrics: [http] listen is empty; no /metrics");
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->o = *o;
	/* Our copies: label values must outlive the caller's strings. */
	m->instance = xstrdup(o->instance);
	m->site = xstrdup(o->site);
	m->o.instance = m->instance;
	m->o.site = m->site;
	m->o.listen = NULL;
	m->started = (double)clock_wall_ms() / 1000.0;
	memset(&ho, 0, sizeof(ho));
	ho.listen = o->listen;
	ho.name = "hub";
	ho.max_connections = o->max_connections;
	ho.timeout_ms = o->timeout_ms;
	ho.metrics = metrics_http_write;
	ho.health = metrics_http_health;
	ho.arg = m;
	if ((m->httpd = httpd_start(&ho)) == NULL) {
		log_warnx("metrics: no /metrics and /healthz; the hub runs "
		    "without them");
		metrics_stop(m);
		return NULL;
	}
	return m;
}

int
metrics_port(const struct metrics *m)
{
	return m != NULL ? httpd_port(m->httpd) : 0;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	httpd_stop(m->httpd);
	free(m->instance);
	free(m->site);
	free(m);
}
