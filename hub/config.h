/*
 * config: the hub's configuration, described once as a table (config.c)
 * from which loading, checking (-n), environment overrides and the
 * documented example file (deploy/hub.conf.example) all derive.
 */
#ifndef SIMPUL_HUB_CONFIG_H
#define SIMPUL_HUB_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct hub_config {
	/* [hub] */
	char *site;
	char *instance;
	char *group;
	char *schemas;
	uint64_t max_payload;
	long max_depth;
	char *log_level;
	/* [mqtt] */
	char *mqtt_uri;
	char *mqtt_client_id;
	char *mqtt_username;
	char *mqtt_password;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
	int64_t mqtt_keepalive_ms;
	int64_t mqtt_session_expiry_ms;
	long mqtt_receive_max;
	long mqtt_max_inflight;
	/* [postgres] */
	char *pg_conninfo;
	long batch_max;
	uint64_t batch_bytes;
	int64_t reconnect_max_ms;
	long retention_months;
	int pg_migrate;
	/* [journal] */
	char *journal_dir;
	int64_t fsync_interval_ms;
	uint64_t segment_size;
	uint64_t disk_budget;
	/* [cases] */
	int64_t escalation_interval_ms;
	long command_queue;
	uint64_t command_max_payload;
	/* [outbox] */
	long outbox_batch;
	int64_t outbox_poll_ms;
	/* [http] */
	char *http_listen;
	long http_max_connections;
	int64_t http_timeout_ms;
};

/*
 * Loads path (NULL: defaults only), then the SIMPUL_* environment
 * overrides, then derives defaults that depend on other keys. Returns the
 * number of errors (each logged as "file:line: message").
 */
int hub_config_load(struct hub_config *cfg, const char *path);
void hub_config_free(struct hub_config *cfg);
/* Writes the documented example configuration. */
void hub_config_dump(FILE *out);

#endif
