/*
 * The hub's configuration table: required keys, derived defaults,
 * environment overrides and typos with their line numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "testlib.h"
#include "util.h"

static char *
write_file(const char *text)
{
	char *path = xstrdup("/tmp/simpul-test-hubconf.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

int
main(void)
{
	struct hub_config cfg;
	struct capture cap;
	char *path, needle[512];
	const char *log;
	FILE *dump;
	char *text;
	size_t len;

	unsetenv("SIMPUL_MQTT_URI");
	unsetenv("SIMPUL_PG");
	path = write_file("[hub]\ninstance = hub1\n[journal]\n"
	    "fsync_interval = 0\n");
	CHECK_INT(hub_config_load(&cfg, path), 0);
	CHECK_STR(cfg.instance, "hub1");
	CHECK_STR(cfg.site, "karo");
	CHECK_STR(cfg.mqtt_client_id, "simpul-hub-hub1");
	CHECK_INT(cfg.fsync_interval_ms, 0);
	CHECK_INT(cfg.max_payload, 256 * 1024);
	hub_config_free(&cfg);

	/* The environment wins over the file. */
	setenv("SIMPUL_MQTT_URI", "tcp://127.0.0.1:18830", 1);
	setenv("SIMPUL_PG", "host=127.0.0.1 port=15432", 1);
	CHECK_INT(hub_config_load(&cfg, path), 0);
	CHECK_STR(cfg.mqtt_uri, "tcp://127.0.0.1:18830");
	CHECK_STR(cfg.pg_conninfo, "host=127.0.0.1 port=15432");
	hub_config_free(&cfg);
	unsetenv("SIMPUL_MQTT_URI");
	unsetenv("SIMPUL_PG");
	unlink(path);
	free(path);

	/* Typos and bad values, all reported with their lines. */
	path = write_file("[hub]\ninstnce = hub1\nsite = karo/ev\n"
	    "[mqtt]\nkeepalive = 1s\n[postgre]\nconninfo = x\n");
	capture_start(&cap);
	CHECK(hub_config_load(&cfg, path) >= 5);
	log = capture_end(&cap);
	snprintf(needle, sizeof(needle), "%s:2: unknown key 'instnce' in "
	    "section [hub]", path);
	CHECK(strstr(log, needle) != NULL);
	snprintf(needle, sizeof(needle), "%s:5: keepalive: expected a duration",
	    path);
	CHECK(strstr(log, needle) != NULL);
	snprintf(needle, sizeof(needle), "%s:7: unknown section [postgre]",
	    path);
	CHECK(strstr(log, needle) != NULL);
	CHECK(strstr(log, "[hub] instance is required") != NULL);
	CHECK(strstr(log, "site 'karo/ev' must be one topic level") != NULL);
	hub_config_free(&cfg);
	unlink(path);
	free(path);

	/* Websockets are for clients behind proxies; the relay's link
	 * (libmosquitto) has none, and the hub says so at -n. */
	path = write_file("[hub]\ninstance = hub1\n[mqtt]\n"
	    "uri = ws://127.0.0.1:8080\n");
	capture_start(&cap);
	CHECK_INT(hub_config_load(&cfg, path), 1);
	log = capture_end(&cap);
	CHECK(strstr(log, "[mqtt] uri ws://127.0.0.1:8080: the hub needs "
	    "tcp://HOST:PORT or ssl://HOST:PORT (no websockets)") != NULL);
	hub_config_free(&cfg);
	unlink(path);
	free(path);

	/* The example file documents every key and loads as it is. */
	dump = open_memstream(&text, &len);
	hub_config_dump(dump);
	fclose(dump);
	CHECK(strstr(text, ";fsync_interval = 200ms") != NULL);
	CHECK(strstr(text, "[postgres]") != NULL);
	path = write_file(text);
	capture_start(&cap);
	/* Only the required instance is missing from an all-default file. */
	CHECK_INT(hub_config_load(&cfg, path), 1);
	capture_end(&cap);
	hub_config_free(&cfg);
	unlink(path);
	free(path);
	free(text);

	return testlib_done();
}
