/*
 * config: simpul-console's settings, from an INI file (docs/console.md;
 * deploy/console.conf.example). One table in config.c; nothing else in the
 * console parses configuration. Errors read "file:line: message", all of
 * them are logged, and -n checks a file without starting.
 */
#ifndef SIMPUL_CONSOLE_CONFIG_H
#define SIMPUL_CONSOLE_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct console_config {
	char *site;
	char *listen;
	char *public_origin;
	char *web_dir;
	int64_t session_idle_ms;
	int64_t session_max_ms;
	long login_failures;
	int64_t login_window_ms;
	int secure_cookies;
	char *boundary_geojson;
	char *geofences_geojson;
	long max_connections;
	long max_sse;
	uint64_t max_body;
	long db_pool;
	int64_t poll_ms;
	long ring;
	double overspeed_kmh;
	char *log_level;
	char *pg_conninfo;
	char *mqtt_uri;
	char *mqtt_username;
	char *mqtt_password;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
};

/* Loads path (NULL: defaults only) and the environment. Returns the
 * number of errors (each logged). */
int console_config_load(struct console_config *cfg, const char *path);
void console_config_free(struct console_config *cfg);
/* Writes every key with its default and help (the example file). */
void console_config_dump(FILE *out);

#endif
