/*
 * simpul-hub: validates, persists and routes the events of the bus.
 *
 * Threads: Paho's (the MQTT callback journals each event before it
 * returns, which is when Paho acknowledges it, and queues case commands
 * for the case-command thread), the writer (journal -> PostgreSQL), the
 * relay (outbox -> broker), maintenance (rule reloads, escalation), case
 * commands (casecmd.h), and this main thread, which only keeps time:
 * connect attempts, journal syncs, backpressure, signals.
 *
 * Start-up order matters: the hub first reaches PostgreSQL (migrations,
 * the journal checkpoint) and only then subscribes, so every record it
 * journals has a seq above the checkpoint.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casecmd.h"
#include "config.h"
#include "intake.h"
#include "journal.h"
#include "log.h"
#include "maint.h"
#include "metrics.h"
#include "mqtt.h"
#include "relay.h"
#include "router.h"
#include "schemaset.h"
#include "store.h"
#include "util.h"
#include "writer.h"

#define TICK_MS 50
#define DRAIN_TIMEOUT_MS 10000

static volatile sig_atomic_t got_stop;

struct hub {
	struct hub_config cfg;
	struct journal *journal;
	struct writer *writer;
	struct mqtt *mqtt;
	struct relay *relay;
	struct maint *maint;
	struct casecmd *casecmd;
	char *cmd_prefix; /* "<site>/cmd/": commands, not events */
	struct store *store, *relay_store;
	struct schemaset *schemas;
	atomic_ullong received; /* read by /metrics */
	struct metrics *metrics;
};

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: simpul-hub [-dn] -c FILE\n"
	    "       simpul-hub -D   (print a documented example config)\n"
	    "  -c FILE  configuration file (INI)\n"
	    "  -n       check the configuration and exit\n"
	    "  -d       debug logging (the hub always logs to stderr)\n");
	exit(2);
}

/*
 * Paho's thread: make the message durable, then return (Paho acks on
 * return). If it cannot be made durable we must not return at all: an
 * acknowledged message that is not in the journal would be lost. Exiting
 * leaves it unacknowledged with the broker, which redelivers it to our
 * persistent session when we are back.
 *
 * Commands (<site>/cmd/...) are not events: they go to the case-command
 * thread's bounded queue, never into the journal (casecmd.h says why
 * losing one in a crash is acceptable).
 */
static void
on_message(void *arg, const char *topic, const void *payload, size_t len,
    const struct mqtt_msg_props *props)
{
	struct hub *h = arg;
	uint64_t seq;
	int rc;

	if (strncmp(topic, h->cmd_prefix, strlen(h->cmd_prefix)) == 0) {
		casecmd_submit(h->casecmd, topic, payload, len, props);
		return;
	}
	rc = journal_append(h->journal, clock_wall_ms(), 0, topic,
	    strlen(topic), payload, len, &seq);
	if (rc == -1) {
		log_warnx("hub: cannot journal a message topic=%s bytes=%zu; "
		    "exiting without acknowledging it", topic, len);
		_exit(75);
	}
	h->received++;
	writer_wake(h->writer);
}

static struct store *
connect_store(struct hub *h)
{
	struct store *s = store_new(h->cfg.pg_conninfo, h->cfg.instance,
	    h->cfg.site);
	int64_t backoff = 200;

	while (!got_stop && store_connect(s) == -1) {
		usleep((useconds_t)backoff * 1000);
		backoff = backoff * 2 > h->cfg.reconnect_max_ms ?
		    h->cfg.reconnect_max_ms : backoff * 2;
	}
	if (got_stop) {
		store_free(s);
		return NULL;
	}
	return s;
}

/*
 * Brings the schema up to date, or checks that it is: with separate roles
 * (docs/security.md) the hub's role does not own the schema and may not
 * migrate, so pending migrations stop it with what to run instead.
 */
static int
prepare_schema(struct hub *h)
{
	const char *first;
	int pending, may_migrate;

	if (store_migration_check(h->store, &pending, &first,
	    &may_migrate) == -1)
		return -1;
	if (pending == 0)
		return 0;
	if (h->cfg.pg_migrate && may_migrate)
		return store_migrate(h->store) == -1 ? -1 : 0;
	log_warnx("hub: %d database migration%s pending (first: %s) and this "
	    "hub may not apply them (%s); run `simpulctl migrate` as the "
	    "schema owner (simpul_admin), then start the hub again", pending,
	    pending == 1 ? " is" : "s are", first, h->cfg.pg_migrate ?
	    "its PostgreSQL role does not own the schema" :
	    "[postgres] migrate = off");
	return -1;
}

int
main(int argc, char **argv)
{
	struct hub h;
	struct journal_opts jo;
	struct writer_opts wo;
	struct relay_opts ro;
	struct maint_opts mto;
	struct router *router;
	struct mqtt_opts mo;
	struct sigaction sa;
	const char *conf = NULL;
	struct casecmd_opts cco;
	struct metrics_opts meo;
	char *filter, *cmd_filter, *status_topic;
	uint64_t checkpoint;
	int ch, check_only = 0, debug = 0, paused_for_budget = 0, drained;

	memset(&h, 0, sizeof(h));
	log_init(argv[0], LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:dDnh")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'D':
			hub_config_dump(stdout);
			return 0;
		case 'n':
			check_only = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (hub_config_load(&h.cfg, conf) != 0) {
		log_warnx("hub: configuration has errors");
		return 1;
	}
	h.schemas = schemaset_load(h.cfg.schemas);
	if (h.schemas == NULL)
		return 1;
	if (check_only) {
		printf("%s: configuration OK\n", conf != NULL ? conf :
		    "(defaults)");
		return 0;
	}
	log_set_level(debug ? LOG_LEVEL_DEBUG :
	    strcmp(h.cfg.log_level, "debug") == 0 ? LOG_LEVEL_DEBUG :
	    strcmp(h.cfg.log_level, "warn") == 0 ? LOG_LEVEL_WARN :
	    LOG_LEVEL_INFO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	memset(&jo, 0, sizeof(jo));
	jo.segment_size = h.cfg.segment_size;
	jo.fsync_interval_ms = h.cfg.fsync_interval_ms;
	jo.disk_budget = h.cfg.disk_budget;
	/* Oversized payloads are journaled whole, to become dead letters. */
	jo.max_record = 16u << 20;
	if ((h.journal = journal_open(h.cfg.journal_dir, &jo)) == NULL)
		return 1;

	log_info("hub: starting instance=%s site=%s journal=%s",
	    h.cfg.instance, h.cfg.site, h.cfg.journal_dir);
	if ((h.store = connect_store(&h)) == NULL)
		return 0;
	if (prepare_schema(&h) == -1 ||
	    store_checkpoint_get(h.store, &checkpoint) == -1 ||
	    store_ensure_partitions(h.store, clock_wall_ms()) == -1) {
		log_warnx("hub: cannot prepare the database");
		return 1;
	}
	/*
	 * Segments a crash left between a commit and its release are
	 * released now, so they do not count against the disk budget.
	 */
	if (journal_advance_seq(h.journal, checkpoint + 1) == -1 ||
	    journal_release(h.journal, checkpoint) == -1)
		return 1;
	log_info("hub: journal checkpoint=%llu next_seq=%llu",
	    (unsigned long long)checkpoint,
	    (unsigned long long)journal_next_seq(h.journal));

	if ((h.relay_store = connect_store(&h)) == NULL)
		return 0;
	/* The rules in force from the first event on. */
	if ((router = maint_load_router(h.store, h.cfg.site)) == NULL) {
		log_warnx("hub: cannot load the routing rules");
		return 1;
	}

	status_topic = xasprintf("%s/hub/status/%s", h.cfg.site,
	    h.cfg.instance);
	h.cmd_prefix = xasprintf("%s/cmd/", h.cfg.site);
	memset(&mo, 0, sizeof(mo));
	mo.uri = h.cfg.mqtt_uri;
	mo.client_id = h.cfg.mqtt_client_id;
	mo.username = h.cfg.mqtt_username;
	mo.password = h.cfg.mqtt_password;
	mo.ca_file = h.cfg.mqtt_ca_file;
	mo.cert_file = h.cfg.mqtt_cert_file;
	mo.key_file = h.cfg.mqtt_key_file;
	mo.keepalive_s = (int)(h.cfg.mqtt_keepalive_ms / 1000);
	mo.session_expiry_s = h.cfg.mqtt_session_expiry_ms / 1000;
	mo.receive_max = (int)h.cfg.mqtt_receive_max;
	mo.max_inflight = (int)h.cfg.mqtt_max_inflight;
	mo.status_topic = status_topic;
	h.mqtt = mqtt_new(&mo, on_message, &h);

	memset(&ro, 0, sizeof(ro));
	ro.store = h.relay_store;
	ro.mqtt = &mo;
	ro.batch = (size_t)h.cfg.outbox_batch;
	ro.poll_ms = h.cfg.outbox_poll_ms;
	ro.reconnect_max_ms = h.cfg.reconnect_max_ms;
	h.relay = relay_start(&ro);

	memset(&wo, 0, sizeof(wo));
	wo.journal = h.journal;
	wo.store = h.store;
	wo.intake.schemas = h.schemas;
	wo.intake.site = h.cfg.site;
	wo.intake.max_payload = (size_t)h.cfg.max_payload;
	wo.intake.max_depth = (int)h.cfg.max_depth;
	wo.after_seq = checkpoint;
	wo.batch_max = (size_t)h.cfg.batch_max;
	wo.batch_bytes = (size_t)h.cfg.batch_bytes;
	wo.reconnect_max_ms = h.cfg.reconnect_max_ms;
	wo.retention_months = h.cfg.retention_months;
	wo.router = router;
	wo.committed = relay_wake;
	wo.committed_arg = h.relay;
	h.writer = writer_start(&wo);

	memset(&mto, 0, sizeof(mto));
	mto.store = connect_store(&h);
	if (mto.store == NULL)
		return 0;
	mto.writer = h.writer;
	mto.site = h.cfg.site;
	mto.escalation_interval_ms = h.cfg.escalation_interval_ms;
	mto.reconnect_max_ms = h.cfg.reconnect_max_ms;
	mto.published = relay_wake;
	mto.published_arg = h.relay;
	h.maint = maint_start(&mto);

	memset(&cco, 0, sizeof(cco));
	cco.store = connect_store(&h);
	if (cco.store == NULL)
		return 0;
	cco.mqtt = h.mqtt;
	cco.site = h.cfg.site;
	cco.queue_max = (size_t)h.cfg.command_queue;
	cco.max_payload = (size_t)h.cfg.command_max_payload;
	cco.reconnect_max_ms = h.cfg.reconnect_max_ms;
	cco.published = relay_wake;
	cco.published_arg = h.relay;
	h.casecmd = casecmd_start(&cco);

	/* Only now: every record journaled from here has seq > checkpoint. */
	if (*h.cfg.group != '\0')
		filter = xasprintf("$share/%s/%s/ev/#", h.cfg.group,
		    h.cfg.site);
	else
		filter = xasprintf("%s/ev/#", h.cfg.site);
	mqtt_subscribe(h.mqtt, filter);
	/* Commands too share the group: one hub executes each. */
	if (*h.cfg.group != '\0')
		cmd_filter = xasprintf("$share/%s/%s/cmd/+/case/+",
		    h.cfg.group, h.cfg.site);
	else
		cmd_filter = xasprintf("%s/cmd/+/case/+", h.cfg.site);
	mqtt_subscribe(h.mqtt, cmd_filter);
	log_info("hub: ready subscription=%s commands=%s client_id=%s",
	    filter, cmd_filter, h.cfg.mqtt_client_id);

	/* /metrics and /healthz, once everything they read exists. */
	memset(&meo, 0, sizeof(meo));
	meo.listen = h.cfg.http_listen;
	meo.max_connections = h.cfg.http_max_connections;
	meo.timeout_ms = h.cfg.http_timeout_ms;
	meo.instance = h.cfg.instance;
	meo.site = h.cfg.site;
	meo.disk_budget = h.cfg.disk_budget;
	meo.journal = h.journal;
	meo.writer = h.writer;
	meo.mqtt = h.mqtt;
	meo.relay = h.relay;
	meo.maint = h.maint;
	meo.received = &h.received;
	h.metrics = metrics_start(&meo);

	while (!got_stop) {
		int64_t now = clock_mono_ms();

		mqtt_tick(h.mqtt, now);
		/* The journal syncs under its own lock: appends go on. */
		journal_tick(h.journal, now);
		/*
		 * Backpressure: past the disk budget, stop consuming (the
		 * broker queues for our session); resume at half of it.
		 */
		if (!paused_for_budget && journal_over_budget(h.journal)) {
			log_warnx("hub: journal over its disk budget "
			    "unstored_bytes=%llu; pausing ingest",
			    (unsigned long long)
			    journal_unreleased_bytes(h.journal));
			mqtt_pause(h.mqtt);
			paused_for_budget = 1;
		} else if (paused_for_budget &&
		    journal_unreleased_bytes(h.journal) <
		    h.cfg.disk_budget / 2) {
			log_info("hub: journal below half its budget; "
			    "resuming ingest");
			mqtt_resume(h.mqtt);
			paused_for_budget = 0;
		}
		usleep(TICK_MS * 1000);
	}

	log_info("hub: stopping; draining the journal into PostgreSQL");
	metrics_stop(h.metrics); /* first: it reads everything below */
	/* Commands in hand are answered while the broker is still there. */
	casecmd_stop(h.casecmd);
	/* Retained "offline" first, then no more messages come in. */
	mqtt_stop(h.mqtt, 2000);
	maint_stop(h.maint);
	drained = writer_stop(h.writer, DRAIN_TIMEOUT_MS);
	relay_stop(h.relay);
	journal_sync(h.journal);
	log_info("hub: stopped received=%llu drained=%s",
	    (unsigned long long)h.received, drained ? "yes" :
	    "no (replayed at next start)");
	mqtt_free(h.mqtt);
	casecmd_free(h.casecmd);
	relay_free(h.relay);
	journal_close(h.journal);
	store_free(h.store);
	store_free(h.relay_store);
	schemaset_free(h.schemas);
	free(filter);
	free(cmd_filter);
	free(status_topic);
	free(h.cmd_prefix);
	hub_config_free(&h.cfg);
	return 0;
}
