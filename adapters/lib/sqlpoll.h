/*
 * sqlpoll: reads a SQL database over ODBC by watermark and publishes each
 * row as an event, for the SQL adapters (simpul-sp2d, simpul-simda). The
 * only module that includes sql.h.
 *
 * A feed ([feed NAME] with its [map NAME] and [types NAME], see colmap.h)
 * is one query:
 *
 *   SELECT <select> FROM <from>
 *    WHERE <watermark> >= ? AND (<watermark> > ? OR <key> > ?)
 *      AND (<where>)
 *    ORDER BY <watermark>, <key>  + a row limit (batch)
 *
 * with the last checkpointed (watermark, key) as parameters. The watermark
 * is a column that grows whenever a row changes (a last-modified timestamp,
 * a rowversion), the key breaks ties between rows with the same watermark.
 * The condition is the row-value comparison (watermark, key) > (?, ?)
 * written so that SQL Server (which has no row values) and an index on the
 * watermark serve it. Parameters are bound as text (SQL_C_CHAR as
 * SQL_VARCHAR) exactly as the driver printed them, so the database converts
 * them back to the column's own type: no precision is lost on the way
 * (a SQL Server DATETIME keeps its 1/300 s ticks).
 *
 * Contract, per batch: every row is mapped and published with a
 * deterministic id; the checkpoint (checkpoint.h, fsync'ed) moves to the
 * batch's last row only after the broker acknowledged EVERY event of the
 * batch. Any failure (a refused event, a source error, a stop) leaves the
 * checkpoint where it was, and the rows are read again later; their ids
 * repeat and the hub drops the duplicates. While the broker is away a
 * batch waits for its acknowledgements rather than being read again, so an
 * outage does not fill the publisher with copies.
 *
 * Reconciliation: every reconcile_interval, the rows of the last
 * reconcile_window before the checkpoint's watermark are read again and
 * published. A row changed "behind" the watermark (its last-modified value
 * set to an older time, a transaction that committed late) thus becomes an
 * event after all; unchanged rows repeat their ids and are dropped by the
 * hub. It never moves the checkpoint.
 *
 * Source errors (database down, a bad query, a missing column or one of a
 * type the map cannot use) are logged once per failure streak, with the
 * driver's SQLSTATE and message; the connection is dropped and the feed
 * retried with a backoff from retry_min doubling to retry_max; the
 * recovery is logged with the streak's length. A row whose values cannot
 * be mapped (a fraction in an amount, an unknown status) is bad at its
 * source: it is logged with its key and skipped (on_bad_row = skip, the
 * library's rule for invalid events), or stops the feed until it is fixed
 * (on_bad_row = stop).
 *
 * Threads: sqlpoll_run() runs on the caller's thread; acknowledgements
 * arrive on Paho's and only touch a small per-batch counter.
 */
#ifndef SIMPUL_SQLPOLL_H
#define SIMPUL_SQLPOLL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "adapter.h"
#include "conf.h"

/* The [source] section: the database and how it is polled. */
struct sqlpoll_source {
	char *dsn;             /* ODBC connection string or "DSN=name" */
	char *row_limit;       /* fetch | top | limit */
	int64_t poll;          /* ms between polls of a caught-up feed */
	int64_t login_timeout; /* ms */
	int64_t query_timeout; /* ms */
	int64_t retry_min;     /* ms, first wait after a source error */
	int64_t retry_max;     /* ms, longest wait */
};

/*
 * The [source] keys for an adapter's own key table: type is the adapter's
 * config struct, m the name of its struct sqlpoll_source member.
 */
#define SQLPOLL_SOURCE_KEYS(type, m)                                         \
	{ "source", "dsn", CONF_STR, NULL, 0, 0, offsetof(type, m.dsn),       \
	    "(required) ODBC connection string, DSN-less "                   \
	    "(Driver={FreeTDS};Server=...;Port=1433;Database=...;Uid=...;"   \
	    "Pwd=...) or DSN=name of an odbc.ini entry; see "                \
	    "deploy/odbc/README.md" },                                       \
	{ "source", "row_limit", CONF_STR, "fetch", 0, 0,                     \
	    offsetof(type, m.row_limit),                                     \
	    "how a batch is limited: fetch (OFFSET 0 ROWS FETCH NEXT n ROWS " \
	    "ONLY: SQL Server 2012+, PostgreSQL, Oracle 12c+), top (SELECT "  \
	    "TOP n: older SQL Server) or limit (LIMIT n: PostgreSQL, MySQL)" }, \
	{ "source", "poll", CONF_DURATION, "10s", 100, 86400000,              \
	    offsetof(type, m.poll),                                          \
	    "how often a caught-up feed asks for new rows" },                \
	{ "source", "login_timeout", CONF_DURATION, "10s", 1000, 600000,      \
	    offsetof(type, m.login_timeout), "connect timeout" },            \
	{ "source", "query_timeout", CONF_DURATION, "60s", 1000, 3600000,     \
	    offsetof(type, m.query_timeout), "statement timeout" },          \
	{ "source", "retry_min", CONF_DURATION, "1s", 100, 3600000,           \
	    offsetof(type, m.retry_min),                                     \
	    "first wait after a source error; doubles per failure" },        \
	{ "source", "retry_max", CONF_DURATION, "60s", 100, 3600000,          \
	    offsetof(type, m.retry_max),                                     \
	    "longest wait between attempts while the source fails" }

/* The feeds: [feed NAME], [map NAME], [types NAME] and [lookup NAME]. */
struct sqlpoll_feeds;

/* Empty feeds; system is the default [feed] system (e.g. "sppidol"). */
struct sqlpoll_feeds *sqlpoll_feeds_new(const char *system);
void sqlpoll_feeds_free(struct sqlpoll_feeds *fs);

/*
 * A conf_other_fn body: takes one line of a feed, map, types or lookup
 * section ("[feed]", "[map]" and "[types]" without a name are the feed
 * "main"). Returns 0, -1 with a message in err, or 1 when the section is
 * none of these (the caller reports it). The SQL keys (select, from,
 * where) continue on indented lines, which inih hands over as repeats of
 * the key: they are joined with a blank.
 */
int sqlpoll_feeds_conf(struct sqlpoll_feeds *fs, const char *section,
    const char *name, const char *value, char *err, size_t errlen);

/*
 * Checks the source keys and every feed after loading (required keys, the
 * map, its types against allowed: a NULL-terminated list, or NULL for
 * any). Logs each problem as "path: feed NAME: ..." and returns how many
 * there were (0: none). A config without any feed is an error.
 */
int sqlpoll_check(const struct sqlpoll_source *src,
    struct sqlpoll_feeds *fs, const char *path, const char *const *allowed);

/* Writes the feed keys with their defaults and help, commented, for -D. */
void sqlpoll_feeds_dump(FILE *out);

struct sqlpoll;

/*
 * A poller for the feeds (taken: freed with the poller) on the adapter's
 * publisher. Reads each feed's checkpoint from
 * "<state_dir>/sqlpoll-<feed>.checkpoint". Does not connect yet. Returns
 * NULL (logged) when a checkpoint is damaged or unreadable: the watermark
 * is unknown, and guessing would lose or repeat events.
 */
struct sqlpoll *sqlpoll_new(struct adapter *ad,
    const struct sqlpoll_source *src, struct sqlpoll_feeds *fs);

/*
 * Polls until adapter_running() returns 0, then waits up to the adapter's
 * flush_timeout for the acknowledgements of the batch in flight.
 */
void sqlpoll_run(struct sqlpoll *sp);

struct sqlpoll_stats {
	uint64_t rows;       /* rows read by the forward pass */
	uint64_t published;  /* events accepted by the publisher */
	uint64_t acked;      /* ... of which the broker acknowledged */
	uint64_t skipped;    /* bad rows skipped (mapping or schema) */
	uint64_t ignored;    /* rows whose [types] value is "-" */
	uint64_t batches;    /* checkpoints written */
	uint64_t errors;     /* source errors */
	uint64_t reconciled; /* rows re-read by reconciliation */
};

/* Totals over all feeds, since start. */
void sqlpoll_stats(const struct sqlpoll *sp, struct sqlpoll_stats *st);

/* Closes the connection, frees the feeds. Accepts NULL. */
void sqlpoll_free(struct sqlpoll *sp);

/*
 * An adapter that is only SQL feeds: its name ("simpul-sp2d"), the source
 * system (the <system> level of its topics), the types it may publish
 * (NULL-terminated) and the example feeds -D prints after the key table.
 * sqlpoll_daemon_main() is its whole main() (adapters/lib/sqldaemon.c).
 */
struct sqlpoll_daemon {
	const char *progname;
	const char *system;
	const char *const *types;
	const char *example;
};
int sqlpoll_daemon_main(int argc, char **argv, const struct sqlpoll_daemon *d);

#endif
