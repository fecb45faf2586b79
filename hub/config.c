/*
 * config: see config.h. Every key is one row below; nothing else in the hub
 * parses configuration.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "httpd.h"
#include "log.h"
#include "mqttconf.h"
#include "schemaset.h"
#include "util.h"

#define F(field) offsetof(struct hub_config, field)
#define MS_DAY (86400LL * 1000)

static const struct conf_key hub_keys[] = {
	{ "hub", "site", CONF_STR, "karo", 0, 0, F(site),
	    "Site prefix of every topic: <site>/ev/..., <site>/hub/..." },
	{ "hub", "instance", CONF_STR, NULL, 0, 0, F(instance),
	    "Name of this hub instance, stable across restarts (required); "
	    "names its journal checkpoint, client id and status topic" },
	{ "hub", "group", CONF_STR, "", 0, 0, F(group),
	    "Shared subscription group for several hubs ($share/<group>/...); "
	    "empty: a plain subscription. Mosquitto 2.0 does not restore "
	    "shared subscriptions after a broker restart (messages published "
	    "before the hubs reconnect are lost), so a single hub should "
	    "leave this empty; see docs/hub.md" },
	{ "hub", "schemas", CONF_STR, NULL, 0, 0, F(schemas),
	    "Directory of JSON Schemas (envelope.json, <type>.json); default: "
	    "the source tree's schemas/ if present, else the installed ones" },
	{ "hub", "max_payload", CONF_SIZE, "256k", 64, 16 << 20,
	    F(max_payload),
	    "Largest payload accepted as an event; larger ones are dead "
	    "letters (too_large), kept whole" },
	{ "hub", "max_depth", CONF_INT, "32", 2, 256, F(max_depth),
	    "Deepest JSON nesting accepted; deeper is invalid_json" },
	{ "hub", "log_level", CONF_STR, "info", 0, 0, F(log_level),
	    "debug, info or warn" },

	MQTT_AUTH_CONF_KEYS(F),
	{ "mqtt", "client_id", CONF_STR, NULL, 0, 0, F(mqtt_client_id),
	    "Client id; default simpul-hub-<instance>. Must be stable: the "
	    "broker keeps this hub's share of the queue under it" },
	{ "mqtt", "keepalive", CONF_DURATION, "30s", 5000, 3600000,
	    F(mqtt_keepalive_ms), "MQTT keepalive interval" },
	{ "mqtt", "session_expiry", CONF_DURATION, "7d", 60000, 365 * MS_DAY,
	    F(mqtt_session_expiry_ms),
	    "How long the broker keeps queuing for this hub while it is away" },
	{ "mqtt", "receive_max", CONF_INT, "1000", 1, 65535,
	    F(mqtt_receive_max),
	    "QoS 1 messages the broker may have in flight to us at once" },
	{ "mqtt", "max_inflight", CONF_INT, "1000", 1, 65535,
	    F(mqtt_max_inflight),
	    "Our own unacknowledged publishes (outbox relay) at once" },

	{ "postgres", "conninfo", CONF_STR, "dbname=simpul", 0, 0,
	    F(pg_conninfo),
	    "libpq connection string; env SIMPUL_PG overrides" },
	{ "postgres", "batch_max", CONF_INT, "2000", 1, 100000, F(batch_max),
	    "Most journal records committed in one transaction" },
	{ "postgres", "batch_bytes", CONF_SIZE, "8M", 1024, 1 << 30,
	    F(batch_bytes), "Most payload bytes in one transaction" },
	{ "postgres", "reconnect_max", CONF_DURATION, "10s", 100, 600000,
	    F(reconnect_max_ms),
	    "Longest wait between reconnect attempts (backoff doubles up to "
	    "this)" },
	{ "postgres", "retention_months", CONF_INT, "0", 0, 1200,
	    F(retention_months),
	    "Drop event partitions older than this many months; 0 keeps all" },
	{ "postgres", "migrate", CONF_BOOL, "on", 0, 0, F(pg_migrate),
	    "Apply pending schema migrations at start, when the role owns "
	    "the schema; off: only check, and refuse to start if any is "
	    "pending (run simpulctl migrate as simpul_admin)" },

	{ "journal", "dir", CONF_STR, "/var/lib/simpul/journal", 0, 0,
	    F(journal_dir),
	    "Directory of this instance's journal (local disk, not shared)" },
	{ "journal", "fsync_interval", CONF_DURATION, "200ms", 0, 60000,
	    F(fsync_interval_ms),
	    "0: fdatasync before acknowledging each message (survives power "
	    "loss); N: sync at most every N, a power loss may lose the last N "
	    "of acknowledged messages (a crash of the hub loses nothing)" },
	{ "journal", "segment_size", CONF_SIZE, "64M", 1 << 20, 1ULL << 32,
	    F(segment_size), "Journal segment file size" },
	{ "journal", "disk_budget", CONF_SIZE, "1G", 1 << 20, 1ULL << 40,
	    F(disk_budget),
	    "Unstored journal bytes above which the hub stops consuming (the "
	    "broker queues) until PostgreSQL catches up" },

	{ "cases", "escalation_interval", CONF_DURATION, "5s", 50, 3600000,
	    F(escalation_interval_ms),
	    "How often due cases are looked for (each scan costs O(due))" },
	{ "cases", "command_queue", CONF_INT, "1000", 1, 100000,
	    F(command_queue),
	    "Case commands (<site>/cmd/<who>/case/<action>) waiting for the "
	    "database; beyond this a request is answered \"busy\" at once" },
	{ "cases", "command_max_payload", CONF_SIZE, "16k", 256, 1 << 20,
	    F(command_max_payload),
	    "Largest case command payload; larger ones are answered with an "
	    "error and not executed" },

	{ "outbox", "batch", CONF_INT, "500", 1, 10000, F(outbox_batch),
	    "Outbox messages published per round (a bundle of routed copies "
	    "is taken whole, so a round may hold up to 255 more)" },
	{ "outbox", "poll", CONF_DURATION, "1s", 10, 60000, F(outbox_poll_ms),
	    "How often the outbox is checked when nothing signals new rows" },

	{ "http", "listen", CONF_STR, "127.0.0.1:9180", 0, 0, F(http_listen),
	    "Address:port of /metrics (Prometheus) and /healthz, e.g. "
	    "127.0.0.1:9180 or [::1]:9180; empty disables. Keep it on "
	    "loopback or a management network: it needs no credentials" },
	{ "http", "max_connections", CONF_INT, "16", 1, 1024,
	    F(http_max_connections),
	    "HTTP connections open at once; more are refused" },
	{ "http", "timeout", CONF_DURATION, "5s", 100, 60000,
	    F(http_timeout_ms),
	    "Time an HTTP client has to send its request and take the answer; "
	    "slower ones are cut off" },
};

static const struct conf_env hub_env[] = {
	MQTT_AUTH_ENV_ROWS,
	{ "SIMPUL_PG", "postgres", "conninfo" },
};

int
hub_config_load(struct hub_config *cfg, const char *path)
{
	char host[64], mqtt_host[256], err[256];
	int errors, mqtt_errors, port;

	memset(cfg, 0, sizeof(*cfg));
	errors = conf_load(hub_keys, nitems(hub_keys), cfg, path, NULL);
	errors += conf_apply_env(hub_keys, nitems(hub_keys), cfg, hub_env,
	    nitems(hub_env));
	if (cfg->instance == NULL) {
		log_warnx("%s: [hub] instance is required",
		    path != NULL ? path : "config");
		errors++;
	} else if (strspn(cfg->instance, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(cfg->instance) || *cfg->instance == '\0') {
		log_warnx("%s: [hub] instance '%s' may hold only letters, "
		    "digits, '-' and '_'", path != NULL ? path : "config",
		    cfg->instance);
		errors++;
	}
	if (strchr(cfg->site, '/') != NULL || strpbrk(cfg->site, "+#$") ||
	    *cfg->site == '\0') {
		log_warnx("%s: [hub] site '%s' must be one topic level",
		    path != NULL ? path : "config", cfg->site);
		errors++;
	}
	if (strpbrk(cfg->group, "/+#") != NULL) {
		log_warnx("%s: [hub] group '%s' must be one topic level",
		    path != NULL ? path : "config", cfg->group);
		errors++;
	}
	if (strcmp(cfg->log_level, "debug") != 0 &&
	    strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "warn") != 0) {
		log_warnx("%s: [hub] log_level must be debug, info or warn",
		    path != NULL ? path : "config");
		errors++;
	}
	if (*cfg->http_listen != '\0' && httpd_parse_listen(cfg->http_listen,
	    host, sizeof(host), &port, err, sizeof(err)) == -1) {
		log_warnx("%s: [http] listen %s", path != NULL ? path :
		    "config", err);
		errors++;
	}
	mqtt_errors = MQTT_CONF_RESOLVE(cfg);
	errors += mqtt_errors;
	if (mqtt_errors == 0 && mqtt_conf_split_uri(cfg->mqtt_uri, mqtt_host,
	    sizeof(mqtt_host), &port) == -1) {
		/* The outbox relay's libmosquitto link (relaylink.h). */
		log_warnx("%s: [mqtt] uri %s: the hub needs tcp://HOST:PORT or "
		    "ssl://HOST:PORT (no websockets)", path != NULL ? path :
		    "config", cfg->mqtt_uri);
		errors++;
	}
	if (errors == 0 && cfg->mqtt_client_id == NULL)
		cfg->mqtt_client_id = xasprintf("simpul-hub-%s",
		    cfg->instance);
	if (cfg->schemas == NULL)
		cfg->schemas = xstrdup(schemaset_default_dir());
	return errors;
}

void
hub_config_free(struct hub_config *cfg)
{
	conf_free(hub_keys, nitems(hub_keys), cfg);
}

void
hub_config_dump(FILE *out)
{
	fprintf(out, "; simpul-hub configuration (INI). Every key with its "
	    "default;\n; remove the ';' to set one. Generated by "
	    "simpul-hub -D.\n\n");
	conf_dump(hub_keys, nitems(hub_keys), out);
}
