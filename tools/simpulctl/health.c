/*
 * simpulctl health: is the bus working, seen from the outside?
 *
 *   simpulctl health [-c FILE] [--json] [--max-outbox-age 60s]
 *                    [--timeout 5s]
 *
 * Connects to PostgreSQL and to the broker, then reports per hub instance
 * its journal checkpoint (hub_journal: seq and how long since it moved),
 * the outbox backlog (rows waiting to be published and the age of the
 * oldest), dead letters of the last 24 hours by reason and the events
 * dated within the last hour.
 *
 * Healthy (exit 0) means: PostgreSQL answers, the hub's tables can be
 * read, the broker accepts a connection, and the outbox's oldest row is
 * younger than --max-outbox-age (an outbox that does not drain means no
 * hub is relaying: routed copies, alerts and dead-letter notices are not
 * going out). Otherwise exit 1, with every reason found. A checkpoint that
 * does not move is shown but is not a failure by itself: an idle bus has
 * nothing to checkpoint.
 *
 * Cost: a handful of small queries; "events in the last hour" is counted
 * on the event time, which the time index and partition pruning serve.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "mqttpub.h"
#include "opts.h"
#include "util.h"

#define HEALTH_PROBLEMS 8
#define HEALTH_WHY_MAX 512

static const char sql_instances[] =
    "SELECT instance, seq, " DB_RFC3339("updated_at") " AS updated_at,"
    " round(extract(epoch FROM now() - updated_at)::numeric, 1) AS age_s"
    " FROM hub_journal ORDER BY instance";

static const char sql_outbox[] =
    "SELECT coalesce(sum(messages), 0) AS count,"
    " round(extract(epoch FROM now() - min(created_at))::numeric, 1)"
    " AS oldest_age_s FROM outbox";

static const char sql_dead[] =
    "SELECT reason, count(*) AS count FROM dead_letter"
    " WHERE received_at > now() - interval '24 hours'"
    " GROUP BY reason ORDER BY reason";

static const char sql_events[] =
    "SELECT count(*) AS count FROM event"
    " WHERE time > now() - interval '1 hour'";

struct health {
	int pg_ok, broker_ok, tables_ok;
	char pg_why[HEALTH_WHY_MAX], broker_why[HEALTH_WHY_MAX];
	struct db_res *instances, *outbox, *dead, *events;
	double outbox_age_s; /* -1: empty */
	char problem[HEALTH_PROBLEMS][HEALTH_WHY_MAX];
	int nproblems;
};

static void
health_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl health [-c FILE] [--json] [--max-outbox-age DUR]\n"
	    "                        [--timeout DUR]\n"
	    "\n"
	    "Checks PostgreSQL and the broker and shows, per hub instance, its\n"
	    "journal checkpoint; the outbox backlog; dead letters of the last\n"
	    "24 h by reason; events dated within the last hour.\n"
	    "\n"
	    "  --max-outbox-age DUR  oldest outbox row allowed (default 60s)\n"
	    "  --timeout DUR         wait for the broker at most this (5s)\n"
	    OPTS_COMMON_HELP
	    "\n"
	    "Exit status: 0 healthy; 1 not (every reason is printed): PostgreSQL\n"
	    "or the broker unreachable, the hub's tables unreadable, or the\n"
	    "outbox not draining; 2 usage.\n");
}

static void
health_problem(struct health *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
health_problem(struct health *h, const char *fmt, ...)
{
	va_list ap;

	if (h->nproblems >= HEALTH_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(h->problem[h->nproblems++], HEALTH_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* First line only: libpq's messages continue with hints. */
static void
first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

static void
check_postgres(struct health *h, const struct ctl_conn *c, const char *who,
    int64_t max_age_ms)
{
	struct db *db;
	const char *v;

	if ((db = db_open_quiet(c->pg_conninfo, who, h->pg_why,
	    sizeof(h->pg_why))) == NULL) {
		first_line(h->pg_why);
		health_problem(h, "PostgreSQL unreachable: %s", h->pg_why);
		return;
	}
	h->pg_ok = 1;
	if ((h->instances = db_query_quiet(db, sql_instances, 0, NULL)) ==
	    NULL || (h->outbox = db_query_quiet(db, sql_outbox, 0, NULL)) ==
	    NULL || (h->dead = db_query_quiet(db, sql_dead, 0, NULL)) ==
	    NULL || (h->events = db_query_quiet(db, sql_events, 0, NULL)) ==
	    NULL) {
		strlcpy_s(h->pg_why, db_error(db), sizeof(h->pg_why));
		first_line(h->pg_why);
		health_problem(h, "cannot read the hub's tables (not migrated? "
		    "try simpulctl migrate --status): %s", h->pg_why);
		goto out;
	}
	h->tables_ok = 1;
	h->outbox_age_s = -1;
	v = db_value(h->outbox, 0, db_col(h->outbox, "oldest_age_s"));
	if (v != NULL && parse_double(v, &h->outbox_age_s) == -1)
		h->outbox_age_s = -1;
	if (h->outbox_age_s * 1000.0 > (double)max_age_ms)
		health_problem(h, "the outbox is not draining: its oldest row "
		    "is %.1f s old (limit %.1f s); is a hub running and "
		    "connected to the broker?", h->outbox_age_s,
		    (double)max_age_ms / 1000.0);
out:
	db_close(db);
}

static void
check_broker(struct health *h, const struct ctl_conn *c, int64_t timeout_ms)
{
	struct mqttpub_config mc = {
		.auth = MQTT_AUTH_OF(c),
		.id_prefix = "simpulctl",
		.timeout_ms = timeout_ms,
	};
	struct mqttpub *m;

	if ((m = mqttpub_open(&mc, h->broker_why, sizeof(h->broker_why))) ==
	    NULL) {
		health_problem(h, "broker unreachable: %s", h->broker_why);
		return;
	}
	h->broker_ok = 1;
	mqttpub_close(m);
}

static void
print_json(const struct health *h, const struct ctl_conn *c)
{
	int i;

	printf("{\"healthy\": %s,\n \"problems\": [", h->nproblems == 0 ?
	    "true" : "false");
	for (i = 0; i < h->nproblems; i++) {
		if (i > 0)
			printf(", ");
		json_put_string(stdout, h->problem[i], strlen(h->problem[i]));
	}
	printf("],\n \"postgres\": {\"reachable\": %s, \"error\": ",
	    h->pg_ok ? "true" : "false");
	if (h->pg_ok && h->tables_ok)
		printf("null");
	else
		json_put_string(stdout, h->pg_why, strlen(h->pg_why));
	printf("},\n \"broker\": {\"reachable\": %s, \"uri\": ",
	    h->broker_ok ? "true" : "false");
	json_put_string(stdout, c->mqtt_uri, strlen(c->mqtt_uri));
	printf(", \"error\": ");
	if (h->broker_ok)
		printf("null");
	else
		json_put_string(stdout, h->broker_why, strlen(h->broker_why));
	printf("}");
	if (!h->tables_ok) {
		printf("}\n");
		return;
	}
	printf(",\n \"instances\": [");
	for (i = 0; i < db_rows(h->instances); i++) {
		printf("%s", i > 0 ? ", " : "");
		db_print_json_row(h->instances, i, stdout);
	}
	printf("],\n \"outbox\": ");
	db_print_json_row(h->outbox, 0, stdout);
	printf(",\n \"dead_letters_24h\": {");
	for (i = 0; i < db_rows(h->dead); i++) {
		if (i > 0)
			printf(", ");
		json_put_string(stdout, db_value(h->dead, i, 0),
		    db_length(h->dead, i, 0));
		printf(": %s", db_value(h->dead, i, 1));
	}
	printf("},\n \"events_last_hour\": %s}\n", db_value(h->events, 0, 0));
}

static void
print_text(const struct health *h, const struct ctl_conn *c)
{
	long total = 0, n;
	int i;

	printf("PostgreSQL     %s\n", h->pg_ok ? (h->tables_ok ? "ok" :
	    "reachable, tables unreadable") : "UNREACHABLE");
	printf("broker         %s  %s\n", h->broker_ok ? "ok" : "UNREACHABLE",
	    c->mqtt_uri);
	if (h->tables_ok) {
		printf("\nhub instances (journal checkpoints; age = since the "
		    "last commit):\n");
		if (db_rows(h->instances) == 0)
			printf("  (none: no hub has started on this "
			    "database)\n");
		else
			db_print_table(h->instances, stdout, 2, 40);
		printf("\noutbox         %s waiting", db_value(h->outbox, 0, 0));
		if (h->outbox_age_s >= 0)
			printf(", oldest %.1f s", h->outbox_age_s);
		printf("\n");
		for (i = 0; i < db_rows(h->dead); i++)
			if (parse_long(db_value(h->dead, i, 1), 0, LONG_MAX,
			    &n) == 0)
				total += n;
		printf("dead letters   %ld in the last 24 h", total);
		for (i = 0; i < db_rows(h->dead); i++) {
			printf("%s", i == 0 ? ": " : ", ");
			text_put(stdout, db_value(h->dead, i, 0),
			    db_length(h->dead, i, 0), 40, 0);
			printf(" %s", db_value(h->dead, i, 1));
		}
		printf("\nevents         %s dated within the last hour\n",
		    db_value(h->events, 0, 0));
	}
	printf("\n");
	if (h->nproblems == 0) {
		printf("healthy\n");
		return;
	}
	printf("UNHEALTHY\n");
	for (i = 0; i < h->nproblems; i++)
		printf("  - %s\n", h->problem[i]);
}

int
cmd_health(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-outbox-age", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		OPTS_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o;
	struct ctl_conn conn;
	struct health h;
	int64_t max_age_ms = 60000, timeout_ms = 5000;
	int ch;

	opts_init(&o, "simpulctl health");
	while ((ch = getopt_long(argc, argv, OPTS_COMMON_SHORT, longopts,
	    NULL)) != -1) {
		if (opts_common(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'a':
			if (opts_duration(&o, "--max-outbox-age", optarg, 0,
			    365LL * 86400 * 1000, &max_age_ms) == -1)
				return CTL_USAGE;
			break;
		case 't':
			if (opts_duration(&o, "--timeout", optarg, 100,
			    600000, &timeout_ms) == -1)
				return CTL_USAGE;
			break;
		default:
			return opts_bad(&o, argv);
		}
	}
	if (o.help) {
		health_usage(stdout);
		return CTL_OK;
	}
	if (optind != argc) {
		health_usage(stderr);
		return CTL_USAGE;
	}
	if (opts_conn_load(&o, &conn) == -1)
		return CTL_USAGE;
	memset(&h, 0, sizeof(h));
	h.outbox_age_s = -1;
	check_postgres(&h, &conn, o.cmd, max_age_ms);
	check_broker(&h, &conn, timeout_ms);
	if (o.json)
		print_json(&h, &conn);
	else
		print_text(&h, &conn);
	db_res_free(h.instances);
	db_res_free(h.outbox);
	db_res_free(h.dead);
	db_res_free(h.events);
	opts_conn_free(&conn);
	return h.nproblems == 0 ? CTL_OK : CTL_NO;
}
