/*
 * adapter: see adapter.h.
 *
 * The joined key table: the common keys are copied with their offsets moved
 * by spec->common_offset, so that every offset in the joined table is an
 * offset into the adapter's own struct; the adapter's keys follow unchanged.
 * conf_load(), conf_set() and conf_free() then work on one table and one
 * struct, and nothing in conf.c needs to know about two tables.
 *
 * Paho starts its threads inside adapter_start(); SIGTERM, SIGINT and SIGHUP
 * are blocked around that call so that those threads inherit a mask without
 * them and every signal is taken by the main thread, where it interrupts
 * adapter_sleep().
 */
#include "adapter.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter_metrics.h"
#include "httpd.h"
#include "log.h"
#include "mqttconf.h"
#include "schemaset.h"
#include "util.h"

#ifndef SIMPUL_DATADIR
#define SIMPUL_DATADIR "/usr/local/share/simpul"
#endif
#ifndef SIMPUL_VERSION
#define SIMPUL_VERSION "unknown"
#endif

#define AC(f) offsetof(struct adapter_config, f)

static const struct conf_key adapter_common_keys[] = {
	{ "adapter", "name", CONF_STR, NULL, 0, 0, AC(name),
	    "name of this adapter instance (a-z 0-9 . _ -), e.g. sp2d" },
	{ "adapter", "site", CONF_STR, "karo", 0, 0, AC(site),
	    "site prefix of every topic and event source" },
	{ "adapter", "opd", CONF_STR, NULL, 0, 0, AC(opd),
	    "the publishing agency (OPD), lower case, e.g. bpkad" },
	{ "adapter", "state_dir", CONF_STR, NULL, 0, 0, AC(state_dir),
	    "checkpoint and MQTT persistence (default /var/lib/simpul/<name>)" },
	{ "adapter", "schemas", CONF_STR, NULL, 0, 0,
	    AC(schemas), "directory of the JSON Schemas (envelope + types); "
	    "default: the source tree's schemas/ when run from a build tree, "
	    "else the installed ones" },
	{ "adapter", "max_event_size", CONF_SIZE, "256k", 1024,
	    16 * 1024 * 1024, AC(max_event_size),
	    "largest serialised event; larger ones are refused as invalid" },
	{ "adapter", "flush_timeout", CONF_DURATION, "10s", 0, 3600000,
	    AC(flush_timeout),
	    "how long shutdown waits for the broker to acknowledge" },
	MQTT_AUTH_CONF_KEYS(AC),
	{ "mqtt", "client_id", CONF_STR, NULL, 0, 0, AC(mqtt_client_id),
	    "stable client id (default simpul-adapter-<name>); the MQTT "
	    "persistence is keyed by it" },
	{ "mqtt", "qos", CONF_INT, "1", 0, 2, AC(mqtt_qos),
	    "QoS of events; 0 gives up the delivery guarantee" },
	{ "mqtt", "keepalive", CONF_DURATION, "30s", 1000, 3600000,
	    AC(mqtt_keepalive), "MQTT keepalive interval" },
	{ "mqtt", "max_buffered", CONF_INT, "10000", 1, 10000000,
	    AC(mqtt_max_buffered),
	    "events held while the broker is away or slow; beyond it "
	    "publishing fails and the source is not acknowledged" },
	{ "mqtt", "session_expiry", CONF_DURATION, "1d", 1000,
	    INT64_C(4294967295000), AC(mqtt_session_expiry),
	    "how long the broker keeps this client's session" },
	{ "mqtt", "retry_max", CONF_DURATION, "30s", 1000, 3600000,
	    AC(mqtt_retry_max), "longest wait between reconnect attempts" },
	{ "http", "listen", CONF_STR, "", 0, 0, AC(http_listen),
	    "address:port of /metrics (Prometheus) and /healthz, e.g. "
	    "127.0.0.1:9181; empty: off. No credentials: keep it on loopback "
	    "or a management network" },
	{ "http", "max_connections", CONF_INT, "16", 1, 1024,
	    AC(http_max_connections), "HTTP connections open at once" },
	{ "http", "timeout", CONF_DURATION, "5s", 100, 60000, AC(http_timeout),
	    "time an HTTP client has to send its request and take the answer" },
};

static const struct conf_env adapter_envs[] = {
	MQTT_AUTH_ENV_ROWS,
};

struct adapter {
	const char *progname;
	char *config_path;
	void *cfg;
	struct adapter_config *ac; /* inside cfg */
	struct conf_key *keys;     /* joined table */
	size_t nkeys;
	struct schemaset *schemas;
	pthread_mutex_t schema_mtx; /* a schema set is single-threaded */
	struct publisher *pub;
	atomic_ullong invalid;
	struct adapter_metrics *metrics; /* /metrics, /healthz; may be NULL */
};

static volatile sig_atomic_t adapter_stop;
static volatile sig_atomic_t adapter_hup;

static void
adapter_signal(int sig)
{
	if (sig == SIGHUP)
		adapter_hup = 1;
	else
		adapter_stop = 1;
}

static void
adapter_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking call in the main loop returns EINTR. */
	sa.sa_handler = adapter_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		fatal("adapter: sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("adapter: sigaction");
}

static void
adapter_usage(const char *progname, int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-dDhn] [-c file]\n"
	    "  -c file  configuration (default /etc/simpul/%s.conf)\n"
	    "  -n       check the configuration and the schemas, then exit\n"
	    "  -d       debug logging (logs always go to stderr)\n"
	    "  -D       print an example configuration with every key\n"
	    "  -h       this help\n", progname, progname);
	exit(status);
}

static void
adapter_join_keys(struct adapter *ad, const struct adapter_spec *spec)
{
	size_t nc = nitems(adapter_common_keys), i, j;

	ad->nkeys = nc + spec->nkeys;
	ad->keys = xcalloc(ad->nkeys, sizeof(*ad->keys));
	for (i = 0; i < nc; i++) {
		ad->keys[i] = adapter_common_keys[i];
		ad->keys[i].offset += spec->common_offset;
	}
	for (i = 0; i < spec->nkeys; i++)
		ad->keys[nc + i] = spec->keys[i];
	for (i = 0; i < ad->nkeys; i++)
		for (j = i + 1; j < ad->nkeys; j++)
			if (strcmp(ad->keys[i].section, ad->keys[j].section) ==
			    0 && strcmp(ad->keys[i].name, ad->keys[j].name) == 0)
				fatalx("adapter: key [%s] %s defined twice",
				    ad->keys[i].section, ad->keys[i].name);
}

/* Checks and defaults that span keys; returns the number of errors. */
static int
adapter_check(struct adapter *ad, const char *path)
{
	struct adapter_config *ac = ad->ac;
	char host[64], err[256];
	int errors = 0, port;

	if (ac->name == NULL || !cloudevent_name_ok(ac->name)) {
		log_warnx("%s: [adapter] name is %s (want 1-%d chars of "
		    "a-z 0-9 . _ -)", path, ac->name ? "invalid" : "missing",
		    CLOUDEVENT_NAME_MAX);
		errors++;
	}
	if (ac->opd == NULL || !cloudevent_opd_ok(ac->opd)) {
		log_warnx("%s: [adapter] opd is %s (want the agency's short "
		    "name: 2-32 chars of a-z 0-9 _ -, starting with a letter, "
		    "e.g. bpkad)", path,
		    ac->opd ? "invalid" : "missing");
		errors++;
	}
	if (ac->site == NULL || !cloudevent_name_ok(ac->site)) {
		log_warnx("%s: [adapter] site is invalid", path);
		errors++;
	}
	if (ac->mqtt_uri == NULL || *ac->mqtt_uri == '\0') {
		log_warnx("%s: [mqtt] uri is empty", path);
		errors++;
	} else
		errors += MQTT_CONF_RESOLVE(ac);
	if (ac->schemas == NULL)
		ac->schemas = xstrdup(schemaset_default_dir());
	if (*ac->schemas == '\0') {
		log_warnx("%s: [adapter] schemas is empty", path);
		errors++;
	}
	if (ac->mqtt_qos == 0)
		log_warnx("%s: [mqtt] qos = 0: events can be lost", path);
	if (ac->http_listen != NULL && *ac->http_listen != '\0' &&
	    httpd_parse_listen(ac->http_listen, host, sizeof(host), &port,
	    err, sizeof(err)) == -1) {
		log_warnx("%s: [http] listen %s", path, err);
		errors++;
	}
	if (errors > 0)
		return errors;
	if (ac->state_dir == NULL || *ac->state_dir == '\0') {
		free(ac->state_dir);
		ac->state_dir = xasprintf("/var/lib/simpul/%s", ac->name);
	}
	if (ac->mqtt_client_id == NULL || *ac->mqtt_client_id == '\0') {
		free(ac->mqtt_client_id);
		ac->mqtt_client_id = xasprintf("simpul-adapter-%s", ac->name);
	}
	return 0;
}

struct adapter *
adapter_new(int argc, char **argv, const struct adapter_spec *spec)
{
	struct adapter *ad;
	const char *path = NULL;
	int ch, check_only = 0, debug = 0, dump = 0, errors;

	ad = xcalloc(1, sizeof(*ad));
	ad->progname = spec->progname;
	ad->cfg = spec->cfg;
	ad->ac = (struct adapter_config *)(void *)((char *)spec->cfg +
	    spec->common_offset);
	pthread_mutex_init(&ad->schema_mtx, NULL);
	adapter_join_keys(ad, spec);

	optind = 1;
	while ((ch = getopt(argc, argv, "c:dDhn")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'D':
			dump = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			adapter_usage(spec->progname, 0);
			break;
		default:
			adapter_usage(spec->progname, 2);
		}
	}
	if (optind != argc)
		adapter_usage(spec->progname, 2);
	if (dump) {
		conf_dump(ad->keys, ad->nkeys, stdout);
		exit(0);
	}
	log_init(spec->progname, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (path != NULL)
		ad->config_path = xstrdup(path);
	else
		ad->config_path = xasprintf("/etc/simpul/%s.conf",
		    spec->progname);

	errors = conf_load(ad->keys, ad->nkeys, ad->cfg, ad->config_path,
	    spec->other);
	errors += conf_apply_env(ad->keys, ad->nkeys, ad->cfg, adapter_envs,
	    nitems(adapter_envs));
	errors += adapter_check(ad, ad->config_path);
	if (spec->check != NULL)
		errors += spec->check(ad->cfg, ad->config_path);
	if (errors == 0 &&
	    (ad->schemas = schemaset_load(ad->ac->schemas)) == NULL) {
		log_warnx("%s: [adapter] schemas: cannot load the schemas in "
		    "%s", ad->config_path, ad->ac->schemas);
		errors++;
	}
	if (check_only) {
		if (errors == 0)
			fprintf(stderr, "%s: configuration OK\n",
			    ad->config_path);
		else
			fprintf(stderr, "%s: %d error(s)\n", ad->config_path,
			    errors);
		exit(errors == 0 ? 0 : 1);
	}
	if (errors > 0) {
		log_warnx("%s: %d configuration error(s); not starting",
		    ad->config_path, errors);
		exit(1);
	}
	adapter_signals();
	log_info("adapter: simpul %s name=%s opd=%s site=%s state_dir=%s",
	    SIMPUL_VERSION,
	    ad->ac->name, ad->ac->opd, ad->ac->site, ad->ac->state_dir);
	return ad;
}

int
adapter_start(struct adapter *ad)
{
	struct adapter_config *ac = ad->ac;
	struct publisher_config pc;
	sigset_t old;
	char *persist = NULL, *status = NULL;
	int rv = -1;

	if (mkdir_p(ac->state_dir, "adapter") == -1)
		goto out;
	persist = xasprintf("%s/mqtt", ac->state_dir);
	status = xasprintf("%s/adapter/status/%s", ac->site, ac->name);
	memset(&pc, 0, sizeof(pc));
	pc.uri = ac->mqtt_uri;
	pc.client_id = ac->mqtt_client_id;
	pc.username = ac->mqtt_username;
	pc.password = ac->mqtt_password;
	pc.ca_file = ac->mqtt_ca_file;
	pc.cert_file = ac->mqtt_cert_file;
	pc.key_file = ac->mqtt_key_file;
	pc.persist_dir = persist;
	pc.status_topic = status;
	pc.keepalive_s = (int)(ac->mqtt_keepalive / 1000);
	pc.max_buffered = (int)ac->mqtt_max_buffered;
	pc.session_expiry_s = (int)(ac->mqtt_session_expiry / 1000 > INT32_MAX ?
	    INT32_MAX : ac->mqtt_session_expiry / 1000);
	pc.retry_max_s = (int)(ac->mqtt_retry_max / 1000);

	signals_block_stop(&old);
	ad->pub = publisher_new(&pc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ad->pub == NULL)
		goto out;
	ad->metrics = adapter_metrics_start(ad);
	rv = 0;
out:
	free(persist);
	free(status);
	return rv;
}

int
adapter_running(void)
{
	return !adapter_stop;
}

int
adapter_reload_requested(void)
{
	if (!adapter_hup)
		return 0;
	adapter_hup = 0;
	return 1;
}

int
adapter_sleep(int64_t ms)
{
	int64_t end = clock_mono_ms() + ms, left;
	struct timespec ts;

	/* In slices, in case a signal lands on a thread that did not block
	 * it (an adapter's own worker) and does not interrupt this one. */
	while (!adapter_stop && (left = end - clock_mono_ms()) > 0) {
		if (left > 200)
			left = 200;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	return !adapter_stop;
}

const struct adapter_config *
adapter_config(const struct adapter *ad)
{
	return ad->ac;
}

char *
adapter_state_path(const struct adapter *ad, const char *file)
{
	return xasprintf("%s/%s", ad->ac->state_dir, file);
}

struct cloudevent *
adapter_event_new(const struct adapter *ad, const char *system,
    const char *type)
{
	return cloudevent_new(ad->ac->site, ad->ac->opd, system, type);
}

/* The diagnostic on one log line: its lines joined with "; ". */
static void
adapter_one_line(const char *diag, char *out, size_t outlen)
{
	size_t o = 0;
	const char *in;

	for (in = diag; *in != '\0' && o + 3 < outlen; in++) {
		if (*in != '\n')
			out[o++] = *in;
		else if (in[1] != '\0') {
			out[o++] = ';';
			out[o++] = ' ';
		}
	}
	out[o] = '\0';
}

int
adapter_publish_event(struct adapter *ad, const struct cloudevent *ev,
    publisher_done_fn on_done, void *arg)
{
	enum event_check ec;
	char diag[1024], line[1100];
	char *payload;
	size_t len = 0;
	const char *id = cloudevent_id(ev), *type = cloudevent_type(ev);

	pthread_mutex_lock(&ad->schema_mtx);
	ec = schemaset_check(ad->schemas, cloudevent_json(ev), diag,
	    sizeof(diag));
	pthread_mutex_unlock(&ad->schema_mtx);
	if (ec != EVENT_OK) {
		atomic_fetch_add(&ad->invalid, 1);
		adapter_one_line(diag, line, sizeof(line));
		log_warnx("adapter: invalid event not published type=%s id=%s "
		    "reason=%s: %s", type ? type : "?", id ? id : "?",
		    event_check_name(ec), line);
		return ADAPTER_PUBLISH_INVALID;
	}
	if ((payload = cloudevent_serialize(ev, ad->ac->max_event_size,
	    &len)) == NULL) {
		atomic_fetch_add(&ad->invalid, 1);
		log_warnx("adapter: event not published type=%s id=%s: larger "
		    "than max_event_size=%llu", type ? type : "?",
		    id ? id : "?", (unsigned long long)ad->ac->max_event_size);
		return ADAPTER_PUBLISH_INVALID;
	}
	if (publisher_publish(ad->pub, cloudevent_topic(ev), payload, len,
	    (int)ad->ac->mqtt_qos, on_done, arg) == -1) {
		cJSON_free(payload);
		return ADAPTER_PUBLISH_FULL;
	}
	cJSON_free(payload);
	return ADAPTER_PUBLISH_OK;
}

int
adapter_flush(struct adapter *ad, int64_t timeout_ms)
{
	return publisher_flush(ad->pub, timeout_ms);
}

void
adapter_stats(const struct adapter *ad, struct adapter_stats *st)
{
	struct publisher_stats ps;

	memset(st, 0, sizeof(*st));
	if (ad->pub != NULL) {
		publisher_stats(ad->pub, &ps);
		st->published = ps.published;
		st->acked = ps.acked;
		st->failed = ps.failed;
		st->rejected = ps.rejected;
		st->inflight = ps.inflight;
		st->connects = ps.connects;
		st->connected = ps.connected;
	}
	st->invalid = atomic_load(&ad->invalid);
}

void
adapter_free(struct adapter *ad)
{
	if (ad == NULL)
		return;
	adapter_metrics_stop(ad->metrics); /* first: it reads the publisher */
	publisher_free(ad->pub, ad->ac->flush_timeout);
	schemaset_free(ad->schemas);
	pthread_mutex_destroy(&ad->schema_mtx);
	conf_free(ad->keys, ad->nkeys, ad->cfg);
	free(ad->keys);
	free(ad->config_path);
	free(ad);
}
