/*
 * adapter: the daemon skeleton every Simpul adapter is built on.
 *
 * It owns what all adapters share: the command line, the common part of the
 * config, logging, signals, the schema set, the MQTT publisher and the
 * counters. An adapter's main() looks like this:
 *
 *	struct sp2d_config { struct adapter_config ac; char *dsn; ... } cfg;
 *	static const struct conf_key sp2d_keys[] = {
 *		{ "sp2d", "dsn", CONF_STR, NULL, 0, 0,
 *		    offsetof(struct sp2d_config, dsn), "database" }, ...
 *	};
 *	struct adapter_spec spec = { "simpul-adapter-sp2d", &cfg,
 *	    offsetof(struct sp2d_config, ac), sp2d_keys, nitems(sp2d_keys),
 *	    NULL, sp2d_check };
 *	ad = adapter_new(argc, argv, &spec);   exits on -h, -n, bad config
 *	if (adapter_start(ad) == -1) exit(1);
 *	while (adapter_running()) {
 *		ev = adapter_event_new(ad, "sppidol", "sp2d.issued");
 *		... cloudevent_set_id_record(), cloudevent_take_data() ...
 *		adapter_publish_event(ad, ev, on_done, arg);
 *		cloudevent_free(ev);
 *		adapter_sleep(ad, poll_interval);
 *	}
 *	adapter_free(ad);
 *
 * Config: the adapter's own key table (offsets into its struct) and the
 * common table below (offsets into struct adapter_config, shifted by
 * common_offset) are joined into one table at start-up, so conf_load()
 * reports every error of both, with file:line, in one pass, and -n checks
 * everything. A key both tables define is a programming error (fatal).
 *
 *   [adapter] name (required), site (karo), opd (required), state_dir
 *             (/var/lib/simpul/<name>), schemas (<datadir>/schemas),
 *             max_event_size (256k), flush_timeout (10s)
 *   [mqtt]    uri (tcp://127.0.0.1:1883; env SIMPUL_MQTT_URI overrides),
 *             client_id (simpul-adapter-<name>), username, password,
 *             qos (1), keepalive (30s), max_buffered (10000),
 *             session_expiry (1d), retry_max (30s)
 *   [http]    listen (empty: off; e.g. 127.0.0.1:9181), max_connections
 *             (16), timeout (5s): /metrics and /healthz, adapter_metrics.h
 *
 * Command line: -c FILE config; -n check the config (and the schemas) and
 * exit 0/1; -d debug logging; -D print an example config; -h help. Logs go
 * to stderr either way (journald under systemd); the daemon never forks.
 *
 * Signals: SIGTERM and SIGINT make adapter_running() return 0; SIGHUP sets
 * a flag that adapter_reload_requested() reads (adapters that cannot reload
 * just ignore it); SIGPIPE is ignored. The handlers only set flags.
 */
#ifndef SIMPUL_ADAPTER_H
#define SIMPUL_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "cloudevent.h"
#include "conf.h"
#include "publisher.h"

struct adapter;

/* The common config; embed it in the adapter's own config struct. */
struct adapter_config {
	/* [adapter] */
	char *name;
	char *site;
	char *opd;
	char *state_dir;
	char *schemas;
	uint64_t max_event_size;
	int64_t flush_timeout; /* ms */
	/* [mqtt] */
	char *mqtt_uri;
	char *mqtt_client_id;
	char *mqtt_username;
	char *mqtt_password;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
	long mqtt_qos;
	int64_t mqtt_keepalive;      /* ms */
	long mqtt_max_buffered;
	int64_t mqtt_session_expiry; /* ms */
	int64_t mqtt_retry_max;      /* ms */
	/* [http] */
	char *http_listen;           /* "": no /metrics and /healthz */
	long http_max_connections;
	int64_t http_timeout;        /* ms */
};

struct adapter_spec {
	const char *progname;         /* for logs and usage */
	void *cfg;                    /* the adapter's config struct, zeroed */
	size_t common_offset;         /* offsetof(its struct, adapter_config) */
	const struct conf_key *keys;  /* the adapter's own keys (may be NULL) */
	size_t nkeys;
	conf_other_fn other;          /* sections in no table, or NULL */
	/*
	 * Checks across keys after loading (NULL: none). Logs each problem as
	 * "path: message" and returns how many there were.
	 */
	int (*check)(void *cfg, const char *path);
};

struct adapter_stats {
	uint64_t published; /* handed to the publisher */
	uint64_t acked;     /* acknowledged by the broker */
	uint64_t failed;    /* refused by the broker or unacked at shutdown */
	uint64_t rejected;  /* publisher buffer full: the caller kept it */
	uint64_t invalid;   /* failed the schema check or too large */
	uint64_t inflight;
	uint64_t connects;
	int connected;
};

/*
 * Parses the command line, loads and checks the config and the schemas.
 * Exits the process for -h (0), -D (0), -n (0 or 1), a usage error (2) and
 * a bad config (1). Installs the signal handlers. Does not touch the state
 * directory or the network: that is adapter_start().
 */
struct adapter *adapter_new(int argc, char **argv,
    const struct adapter_spec *spec);

/*
 * Creates the state directory and starts the publisher (connecting in the
 * background; the broker may be down), then /metrics and /healthz if
 * [http] listen is set (an address that cannot be bound is logged and the
 * adapter goes on without them). Returns 0 / -1 (logged).
 */
int adapter_start(struct adapter *ad);

/* 1 until SIGTERM or SIGINT arrived. */
int adapter_running(void);
/* 1 once per SIGHUP since the last call. */
int adapter_reload_requested(void);
/* Sleeps up to ms, less when a signal arrives. Returns adapter_running(). */
int adapter_sleep(int64_t ms);

const struct adapter_config *adapter_config(const struct adapter *ad);
/* "<state_dir>/<file>" on the heap, e.g. for a checkpoint. */
char *adapter_state_path(const struct adapter *ad, const char *file);

/* A new event with this adapter's site and opd (NULL on a bad name). */
struct cloudevent *adapter_event_new(const struct adapter *ad,
    const char *system, const char *type);

/* What adapter_publish_event() returns. */
enum adapter_publish {
	ADAPTER_PUBLISH_OK = 0,
	ADAPTER_PUBLISH_INVALID = -1, /* fails its schema or too large */
	ADAPTER_PUBLISH_FULL = -2,    /* publisher buffer full: retry later */
};

/*
 * Validates ev against the schema set, then publishes it on
 * cloudevent_topic(ev) with the configured QoS. ev stays the caller's.
 *
 * ADAPTER_PUBLISH_OK: the publisher accepted it; on_done(arg, ok) follows
 * exactly once, on Paho's thread (see publisher.h).
 * ADAPTER_PUBLISH_INVALID: the event fails the schema check (the diagnostic
 * is logged once, here) or is larger than max_event_size; it was counted as
 * invalid and not published. Sending it again will not help: the record is
 * bad at its source.
 * ADAPTER_PUBLISH_FULL: the publisher's buffer is full (counted as
 * rejected); keep the record unacknowledged at its source and retry later.
 * on_done is not called for either failure. Thread-safe.
 */
int adapter_publish_event(struct adapter *ad, const struct cloudevent *ev,
    publisher_done_fn on_done, void *arg);

/* Waits until nothing is in flight (publisher_flush()). 0 / -1 timeout. */
int adapter_flush(struct adapter *ad, int64_t timeout_ms);

void adapter_stats(const struct adapter *ad, struct adapter_stats *st);

/*
 * Waits up to flush_timeout for messages in flight, publishes "offline",
 * disconnects and frees everything, including the config strings in the
 * adapter's struct. Accepts NULL.
 */
void adapter_free(struct adapter *ad);

#endif
