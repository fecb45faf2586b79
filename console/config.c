/*
 * config: see config.h. Every key is one row below.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "httpd.h"
#include "log.h"
#include "mqttconf.h"
#include "util.h"

#define F(field) offsetof(struct console_config, field)

#ifndef SIMPUL_CONSOLE_WEB_DIR
#define SIMPUL_CONSOLE_WEB_DIR SIMPUL_DATADIR "/console/web"
#endif

static const struct conf_key console_keys[] = {
	{ "console", "site", CONF_STR, "karo", 0, 0, F(site),
	    "Topic prefix of the site; the hub status is read from "
	    "<site>/hub/status/+" },
	{ "console", "listen", CONF_STR, "127.0.0.1:8480", 0, 0, F(listen),
	    "HTTP address: numeric host:port or [v6]:port. Put a TLS proxy "
	    "in front for anything but loopback" },
	{ "console", "public_origin", CONF_STR, "", 0, 0, F(public_origin),
	    "The origin browsers use (https://console.example), when behind "
	    "a proxy; requests whose Origin is neither this nor the listen "
	    "address are refused" },
	{ "console", "web_dir", CONF_STR, "", 0, 0, F(web_dir),
	    "Directory of the static assets (index.html, assets/); empty: "
	    "the installed ones, <prefix>/share/simpul/console/web" },
	{ "console", "session_idle", CONF_DURATION, "30m", 1000,
	    86400000LL, F(session_idle_ms),
	    "A session ends after this long without a request" },
	{ "console", "session_max", CONF_DURATION, "12h", 1000,
	    7 * 86400000LL, F(session_max_ms),
	    "A session ends this long after sign-in, whatever happens" },
	{ "console", "login_failures", CONF_INT, "5", 0, 1000,
	    F(login_failures), "Failed sign-ins per user name, and per "
	    "remote address, within login_window; more get 429 until the "
	    "oldest leaves the window (0: no limit)" },
	{ "console", "login_window", CONF_DURATION, "15m", 1000,
	    86400000LL, F(login_window_ms),
	    "The window login_failures counts in" },
	{ "console", "secure_cookies", CONF_BOOL, "off", 0, 0,
	    F(secure_cookies), "Mark the session cookie Secure (on when "
	    "served behind TLS)" },
	{ "console", "boundary_geojson", CONF_STR, NULL, 0, 0,
	    F(boundary_geojson), "GeoJSON of the regency boundary for the "
	    "vehicles map (optional)" },
	{ "console", "geofences_geojson", CONF_STR, NULL, 0, 0,
	    F(geofences_geojson), "GeoJSON of the geofences (optional)" },
	{ "console", "max_connections", CONF_INT, "64", 4, 1024,
	    F(max_connections), "Open HTTP connections at most; each has a "
	    "thread" },
	{ "console", "max_sse", CONF_INT, "32", 1, 1000, F(max_sse),
	    "Live streams (/api/live) at most; more get 503" },
	{ "console", "max_body", CONF_SIZE, "64k", 1024, 1 << 20,
	    F(max_body), "Largest request body; larger get 413" },
	{ "console", "db_pool", CONF_INT, "4", 1, 64, F(db_pool),
	    "PostgreSQL connections for requests" },
	{ "console", "poll", CONF_DURATION, "300ms", 50, 5000, F(poll_ms),
	    "How often the live tail reads new events, cases and alerts" },
	{ "console", "ring", CONF_INT, "2048", 16, 100000, F(ring),
	    "Live messages kept for resuming streams (Last-Event-ID)" },
	{ "console", "overspeed_kmh", CONF_DOUBLE, "80", 0, 0,
	    F(overspeed_kmh), "Vehicles faster than this show as overspeed" },
	{ "console", "log_level", CONF_STR, "info", 0, 0, F(log_level),
	    "debug, info or warn" },
	{ "postgres", "conninfo", CONF_STR, "dbname=simpul", 0, 0,
	    F(pg_conninfo), "libpq connection string; env SIMPUL_PG "
	    "overrides" },
	MQTT_AUTH_CONF_KEYS(F),
};

static const struct conf_env console_env[] = {
	{ "SIMPUL_PG", "postgres", "conninfo" },
	MQTT_AUTH_ENV_ROWS,
};

static int
check_listen(const struct console_config *cfg, const char *path)
{
	char host[64], err[256];
	int port;

	if (httpd_parse_listen(cfg->listen, host, sizeof(host), &port, err,
	    sizeof(err)) == 0)
		return 0;
	log_warnx("%s: [console] listen %s", path, err);
	return 1;
}

int
console_config_load(struct console_config *cfg, const char *path)
{
	const char *p = path != NULL ? path : "config";
	int errors;

	memset(cfg, 0, sizeof(*cfg));
	errors = conf_load(console_keys, nitems(console_keys), cfg, path,
	    NULL);
	errors += conf_apply_env(console_keys, nitems(console_keys), cfg,
	    console_env, nitems(console_env));
	if (*cfg->web_dir == '\0') {
		free(cfg->web_dir);
		cfg->web_dir = xstrdup(SIMPUL_CONSOLE_WEB_DIR);
	}
	if (*cfg->site == '\0' || strpbrk(cfg->site, "/+#") != NULL) {
		log_warnx("%s: [console] site '%s' must be one topic level",
		    p, cfg->site);
		errors++;
	}
	if (strcmp(cfg->log_level, "debug") != 0 &&
	    strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "warn") != 0) {
		log_warnx("%s: [console] log_level must be debug, info or "
		    "warn", p);
		errors++;
	}
	if (cfg->session_max_ms < cfg->session_idle_ms) {
		log_warnx("%s: [console] session_max is shorter than "
		    "session_idle", p);
		errors++;
	}
	if (strpbrk(cfg->public_origin, " \t\r\n;,") != NULL) {
		log_warnx("%s: [console] public_origin is one origin such as "
		    "https://console.example", p);
		errors++;
	}
	errors += check_listen(cfg, p);
	errors += MQTT_CONF_RESOLVE(cfg);
	return errors;
}

void
console_config_free(struct console_config *cfg)
{
	conf_free(console_keys, nitems(console_keys), cfg);
}

void
console_config_dump(FILE *out)
{
	conf_dump(console_keys, nitems(console_keys), out);
}
