/*
 * simpul-gps: the GPS tracker adapter. GT06/Concox and H02 trackers over
 * TCP (server.c), OsmAnd / Traccar Client phones over HTTP
 * (osmand_http.c); every position becomes a gps.position event, every
 * alarm a gps.alarm event, published through the adapter library.
 *
 * This file is the daemon: config, the device registry hook, the one
 * handler both servers call for every decoded message (gps_handle()), the
 * main loop and the shutdown. See docs/gps-adapter.md.
 *
 * The order that makes replies honest: decode -> registry -> event ->
 * adapter_publish_event() (schema check, then Paho writes the message to
 * its file persistence before returning) -> only then the reply to the
 * tracker (GT06 login/status/alarm ack, H02 V4, HTTP 200). A full
 * publisher buffer gets no reply (GPS_BUSY): the TCP server holds the
 * message and stops reading that connection, the HTTP client gets 503.
 *
 * Event ids: a fix that carries the device's own time gets a deterministic
 * UUIDv5 over (source, device id, type [+ alarm], fix time), so a tracker
 * that sends the same fix again after a reconnect (GT06 and H02 devices
 * re-send what they think was not delivered; Traccar Client re-sends after
 * an error) produces the same id and the hub stores it once. A fix without
 * a device time is stamped with the receive time and gets a UUIDv7: there
 * is no way to recognise its re-sending.
 *
 * Threads: the main thread runs the TCP server; libmicrohttpd calls the
 * handler on its own thread. The handler only reads the registry (built
 * before either starts), counts with atomics and publishes through the
 * thread-safe adapter_publish_event().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/resource.h>

#include "adapter.h"
#include "gpsfix.h"
#include "log.h"
#include "osmand.h"
#include "osmand_http.h"
#include "registry.h"
#include "server.h"
#include "util.h"

#define GPS_SYSTEM "gps"                  /* <site>/ev/<opd>/gps/<type> */
#define GPS_UNKNOWN_LOG_MS (3600 * 1000)  /* unknown device: log hourly */
#define GPS_POLL_MS 1000                  /* longest main-loop wait */

struct gps_config {
	struct adapter_config ac;
	char *gt06_listen;
	char *h02_listen;
	char *osmand_listen;
	long max_connections;
	int64_t idle_timeout;
	int64_t write_timeout;
	uint64_t conn_buffer;
	uint64_t reply_buffer;
	int send_replies;
	char *unknown_devices;
	char *unknown_opd;
	long osmand_max_connections;
	int64_t osmand_timeout;
	int64_t osmand_request_timeout;
	uint64_t osmand_max_body;
	int64_t stats_interval;
	struct registry *registry; /* filled by gps_conf_other() */
};

#define GC(f) offsetof(struct gps_config, f)

static const struct conf_key gps_keys[] = {
	{ "gps", "gt06_listen", CONF_STR, "127.0.0.1:5023", 0, 0,
	    GC(gt06_listen), "address:port of the GT06/Concox TCP listener "
	    "([v6addr]:port for IPv6; port 0 picks a free one; empty: off)" },
	{ "gps", "h02_listen", CONF_STR, "127.0.0.1:5013", 0, 0,
	    GC(h02_listen), "address:port of the H02 TCP listener (empty: "
	    "off)" },
	{ "gps", "osmand_listen", CONF_STR, "127.0.0.1:5055", 0, 0,
	    GC(osmand_listen), "address:port of the OsmAnd / Traccar Client "
	    "HTTP listener (empty: off)" },
	{ "gps", "max_connections", CONF_INT, "10000", 1, 1000000,
	    GC(max_connections), "open tracker TCP connections (GT06 and "
	    "H02 together); more are accepted and closed at once. The "
	    "descriptor limit is raised to its hard limit at start" },
	{ "gps", "idle_timeout", CONF_DURATION, "10m", 1000, 86400000,
	    GC(idle_timeout), "close a tracker connection that sent nothing "
	    "for this long (trackers send heartbeats every few minutes)" },
	{ "gps", "write_timeout", CONF_DURATION, "30s", 1000, 3600000,
	    GC(write_timeout), "close a tracker connection whose replies have "
	    "waited unread for this long" },
	{ "gps", "conn_buffer", CONF_SIZE, "4k", 256, 1048576,
	    GC(conn_buffer), "bytes read from a connection at a time; also "
	    "what a connection held back by a full publisher keeps unread" },
	{ "gps", "reply_buffer", CONF_SIZE, "4k", 64, 1048576,
	    GC(reply_buffer), "unsent reply bytes per connection; a tracker "
	    "that does not read its replies is closed beyond this" },
	{ "gps", "send_replies", CONF_BOOL, "yes", 0, 0, GC(send_replies),
	    "answer trackers (GT06 login/status/alarm acks, H02 V4/HTBT); "
	    "GT06 trackers need the login ack" },
	{ "gps", "unknown_devices", CONF_STR, "reject", 0, 0,
	    GC(unknown_devices), "devices without a [device <id>] section "
	    "(keys plate, opd, name): reject (no reply, connection closed, "
	    "HTTP 403, logged once an hour per device) or publish (under "
	    "unknown_opd)" },
	{ "gps", "unknown_opd", CONF_STR, NULL, 0, 0, GC(unknown_opd),
	    "the OPD unknown devices are published under (default: [adapter] "
	    "opd)" },
	{ "gps", "osmand_max_connections", CONF_INT, "1000", 1, 100000,
	    GC(osmand_max_connections), "open HTTP connections" },
	{ "gps", "osmand_timeout", CONF_DURATION, "15s", 1000, 3600000,
	    GC(osmand_timeout), "close an HTTP connection idle this long "
	    "(whole seconds)" },
	{ "gps", "osmand_request_timeout", CONF_DURATION, "60s", 1000,
	    3600000, GC(osmand_request_timeout), "cut an HTTP connection whose "
	    "request has taken longer than this (slow clients, slow-loris)" },
	{ "gps", "osmand_max_body", CONF_SIZE, "64k", 1024, OSMAND_JSON_MAX,
	    GC(osmand_max_body), "largest HTTP request body" },
	{ "gps", "stats_interval", CONF_DURATION, "5m", 0, 86400000,
	    GC(stats_interval), "log the counters this often (0: only at "
	    "exit)" },
};

struct gps {
	struct adapter *ad;
	const struct gps_config *cfg;
	const struct registry *reg;
	struct registry *reg_mut; /* for the unknown-device limiter only */
	const char *site;
	const char *opd;          /* the adapter's */
	const char *unknown_opd;
	int publish_unknown;
	atomic_ullong positions, alarms, logins, heartbeats, no_device;
	atomic_ullong unknown_refused, unknown_published, invalid, busy;
};

static int
gps_conf_other(void *cfg, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct gps_config *gc = cfg;

	return registry_conf(gc->registry, section, name, value, err, errlen);
}

static int
gps_check_listen(const char *path, const char *key, const char *v)
{
	char host[256], port[16];

	if (v == NULL || *v == '\0')
		return 0;
	if (server_parse_addr(v, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		log_warnx("%s: [gps] %s: expected host:port or [v6addr]:port, "
		    "got '%s'", path, key, v);
		return 1;
	}
	return 0;
}

static int
gps_check(void *cfg, const char *path)
{
	struct gps_config *gc = cfg;
	int errors = 0;

	errors += gps_check_listen(path, "gt06_listen", gc->gt06_listen);
	errors += gps_check_listen(path, "h02_listen", gc->h02_listen);
	errors += gps_check_listen(path, "osmand_listen", gc->osmand_listen);
	if ((gc->gt06_listen == NULL || *gc->gt06_listen == '\0') &&
	    (gc->h02_listen == NULL || *gc->h02_listen == '\0') &&
	    (gc->osmand_listen == NULL || *gc->osmand_listen == '\0')) {
		log_warnx("%s: [gps] every listener is off", path);
		errors++;
	}
	if (gc->unknown_devices == NULL ||
	    (strcmp(gc->unknown_devices, "reject") != 0 &&
	    strcmp(gc->unknown_devices, "publish") != 0)) {
		log_warnx("%s: [gps] unknown_devices: expected reject or "
		    "publish", path);
		errors++;
	}
	if (gc->unknown_opd != NULL && *gc->unknown_opd != '\0' &&
	    !cloudevent_opd_ok(gc->unknown_opd)) {
		log_warnx("%s: [gps] unknown_opd: '%s' is not an OPD name (2-32 "
		    "of a-z 0-9 _ -, starting with a letter)", path,
		    gc->unknown_opd);
		errors++;
	}
	return errors;
}

/* Rounds to a number of decimals, so that events carry 54.9453467 and
 * not 54.945346666666666. */
static double
gps_round(double v, double scale)
{
	return round(v * scale) / scale;
}

/*
 * Whether the fix has a position. Alarms raised without a GPS fix (H02
 * NBR/LINK status, OsmAnd alarm without lat/lon) come with 0/0 and
 * valid = 0; a real fix at 0/0 is in the Gulf of Guinea.
 */
static int
gps_has_position(const struct gps_fix *fix)
{
	return !(fix->lat == 0.0 && fix->lon == 0.0 && !fix->valid);
}

static void
gps_add_number(cJSON *o, const char *key, double v)
{
	if (cJSON_AddNumberToObject(o, key, v) == NULL)
		fatalx("gps: out of memory");
}

static void
gps_add_string(cJSON *o, const char *key, const char *v)
{
	if (cJSON_AddStringToObject(o, key, v) == NULL)
		fatalx("gps: out of memory");
}

static void
gps_add_bool(cJSON *o, const char *key, int v)
{
	if (cJSON_AddBoolToObject(o, key, v ? 1 : 0) == NULL)
		fatalx("gps: out of memory");
}

/*
 * The gps.position (alarm = 0) or gps.alarm (alarm = 1) event of a fix, or
 * NULL when opd is not a usable name (logged; the config check makes that
 * impossible).
 */
static struct cloudevent *
gps_event(const struct gps *g, const struct gps_fix *fix,
    const struct registry_device *dev, const char *opd, int alarm,
    int64_t recv_ms)
{
	struct cloudevent *ev;
	const char *type = alarm ? "gps.alarm" : "gps.position";
	const char *aname = gps_alarm_name(fix->alarm);
	int64_t t = fix->fix_time_ms != 0 ? fix->fix_time_ms : recv_ms;
	char ts[32], version[96];
	cJSON *d;

	if ((ev = cloudevent_new(g->site, opd, GPS_SYSTEM, type)) == NULL)
		return NULL;
	cloudevent_set_time(ev, t);
	cloudevent_set_subject(ev, fix->device_id);
	if (fix->fix_time_ms != 0) {
		if (alarm)
			snprintf(version, sizeof(version), "%s/%s@%lld", type,
			    aname, (long long)fix->fix_time_ms);
		else
			snprintf(version, sizeof(version), "%s@%lld", type,
			    (long long)fix->fix_time_ms);
		cloudevent_set_id_record(ev, fix->device_id, version);
	}
	time_format_rfc3339(t, ts);
	d = cloudevent_data(ev);
	gps_add_string(d, "device_id", fix->device_id);
	if (alarm)
		gps_add_string(d, "alarm", aname);
	gps_add_number(d, "lat", gps_round(fix->lat, 1e7));
	gps_add_number(d, "lon", gps_round(fix->lon, 1e7));
	gps_add_string(d, "fix_time", ts);
	gps_add_number(d, "speed_kmh", gps_round(fix->speed_kmh, 1e2));
	if (!alarm)
		gps_add_number(d, "course", gps_round(fix->course, 1e1));
	gps_add_bool(d, "valid", fix->valid);
	if (dev != NULL && dev->plate != NULL)
		gps_add_string(d, "plate", dev->plate);
	if (dev != NULL && dev->name != NULL)
		gps_add_string(d, "name", dev->name);
	gps_add_string(d, "protocol", fix->protocol);
	if (!alarm) {
		if (fix->has_altitude)
			gps_add_number(d, "altitude_m",
			    gps_round(fix->altitude_m, 1e1));
		if (fix->satellites >= 0)
			gps_add_number(d, "satellites", fix->satellites);
		if (fix->ignition >= 0)
			gps_add_bool(d, "ignition", fix->ignition);
		if (fix->battery_pct >= 0)
			gps_add_number(d, "battery_pct", fix->battery_pct);
		if (fix->has_hdop)
			gps_add_number(d, "hdop", gps_round(fix->hdop, 1e2));
		if (fix->has_accuracy)
			gps_add_number(d, "accuracy_m",
			    gps_round(fix->accuracy_m, 1e1));
	}
	return ev;
}

/* The handler of both servers: see server.h for the verdicts. */
static enum gps_verdict
gps_handle(void *arg, const struct gps_fix *fix, int64_t now_ms, int *done)
{
	struct gps *g = arg;
	const struct registry_device *dev;
	struct cloudevent *ev;
	const char *opd;
	int want[2], step, published = 0, invalid = 0, r;

	if (fix->device_id[0] == '\0') {
		/* A GT06 position or heartbeat before the login. */
		atomic_fetch_add(&g->no_device, 1);
		return GPS_DROP;
	}
	if ((dev = registry_find(g->reg, fix->device_id)) != NULL)
		opd = dev->opd != NULL ? dev->opd : g->opd;
	else if (g->publish_unknown) {
		opd = g->unknown_opd;
		if (registry_unknown_note(g->reg_mut, fix->device_id, now_ms,
		    GPS_UNKNOWN_LOG_MS))
			log_info("gps: unknown device %s (%s) published under "
			    "opd %s", fix->device_id, fix->protocol, opd);
	} else {
		atomic_fetch_add(&g->unknown_refused, 1);
		if (registry_unknown_note(g->reg_mut, fix->device_id, now_ms,
		    GPS_UNKNOWN_LOG_MS))
			log_warnx("gps: unknown device %s (%s) refused; register "
			    "it in a [device %s] section or set "
			    "unknown_devices = publish", fix->device_id,
			    fix->protocol, fix->device_id);
		return GPS_REFUSE;
	}

	switch (fix->kind) {
	case GPS_LOGIN:
		atomic_fetch_add(&g->logins, 1);
		return GPS_ACCEPT;
	case GPS_HEARTBEAT:
		atomic_fetch_add(&g->heartbeats, 1);
		return GPS_ACCEPT;
	case GPS_POSITION:
	case GPS_ALARM:
		break;
	default:
		return GPS_DROP;
	}

	/* Step 0: the position; step 1: the alarm. *done skips those
	 * already published before a GPS_BUSY. */
	want[0] = gps_has_position(fix);
	want[1] = fix->kind == GPS_ALARM && fix->alarm != GPS_ALARM_NONE &&
	    gps_alarm_name(fix->alarm) != NULL;
	for (step = *done; step < 2; step++) {
		if (!want[step])
			continue;
		if ((ev = gps_event(g, fix, dev, opd, step == 1,
		    now_ms)) == NULL) {
			invalid++;
			*done = step + 1;
			continue;
		}
		r = adapter_publish_event(g->ad, ev, NULL, NULL);
		cloudevent_free(ev);
		if (r == ADAPTER_PUBLISH_FULL) {
			atomic_fetch_add(&g->busy, 1);
			*done = step;
			return GPS_BUSY;
		}
		if (r == ADAPTER_PUBLISH_INVALID) {
			atomic_fetch_add(&g->invalid, 1);
			invalid++;
		} else {
			atomic_fetch_add(step == 0 ? &g->positions : &g->alarms,
			    1);
			if (dev == NULL)
				atomic_fetch_add(&g->unknown_published, 1);
			published++;
		}
		*done = step + 1;
	}
	return invalid > 0 && published == 0 ? GPS_INVALID : GPS_ACCEPT;
}

/*
 * Raises the soft descriptor limit to the hard one: every tracker is a
 * descriptor, and the default soft limit (1024) would cap the server far
 * below max_connections. Warns when the hard limit is still too low.
 */
static void
gps_raise_nofile(const struct gps_config *gc)
{
	struct rlimit rl;
	rlim_t need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("gps: getrlimit");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("gps: setrlimit RLIMIT_NOFILE");
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	need = (rlim_t)gc->max_connections +
	    (rlim_t)(gc->osmand_listen && *gc->osmand_listen ?
	    gc->osmand_max_connections : 0) + 64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warnx("gps: descriptor limit %llu is below what "
		    "max_connections and osmand_max_connections need (%llu); "
		    "raise LimitNOFILE", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)need);
	else
		log_info("gps: descriptor limit %llu",
		    (unsigned long long)rl.rlim_cur);
}

static void
gps_log_stats(struct gps *g, struct adapter *ad, const struct server *srv,
    struct osmand_http *http)
{
	struct adapter_stats as;
	struct server_stats ss;
	struct osmand_http_stats hs;

	adapter_stats(ad, &as);
	memset(&ss, 0, sizeof(ss));
	memset(&hs, 0, sizeof(hs));
	if (srv != NULL)
		server_stats(srv, &ss);
	if (http != NULL)
		osmand_http_stats(http, &hs);
	log_info("gps: stats positions=%llu alarms=%llu logins=%llu "
	    "heartbeats=%llu no_device=%llu unknown_refused=%llu "
	    "unknown_published=%llu invalid=%llu busy=%llu",
	    (unsigned long long)atomic_load(&g->positions),
	    (unsigned long long)atomic_load(&g->alarms),
	    (unsigned long long)atomic_load(&g->logins),
	    (unsigned long long)atomic_load(&g->heartbeats),
	    (unsigned long long)atomic_load(&g->no_device),
	    (unsigned long long)atomic_load(&g->unknown_refused),
	    (unsigned long long)atomic_load(&g->unknown_published),
	    (unsigned long long)atomic_load(&g->invalid),
	    (unsigned long long)atomic_load(&g->busy));
	log_info("gps: stats tcp connections=%llu accepted=%llu over_cap=%llu "
	    "accept_errors=%llu closed_idle=%llu closed_slow=%llu "
	    "closed_garbage=%llu closed_refused=%llu messages=%llu "
	    "replies=%llu held=%llu lost=%llu",
	    (unsigned long long)ss.connections,
	    (unsigned long long)ss.accepted, (unsigned long long)ss.over_cap,
	    (unsigned long long)ss.accept_errors,
	    (unsigned long long)ss.closed_idle,
	    (unsigned long long)ss.closed_slow,
	    (unsigned long long)ss.closed_garbage,
	    (unsigned long long)ss.closed_refused,
	    (unsigned long long)ss.messages, (unsigned long long)ss.replies,
	    (unsigned long long)ss.held, (unsigned long long)ss.lost);
	if (http != NULL)
		log_info("gps: stats http requests=%llu ok=%llu bad=%llu "
		    "refused=%llu busy=%llu cut=%llu connections=%llu",
		    (unsigned long long)hs.requests, (unsigned long long)hs.ok,
		    (unsigned long long)hs.bad, (unsigned long long)hs.refused,
		    (unsigned long long)hs.busy, (unsigned long long)hs.cut,
		    (unsigned long long)hs.connections);
	log_info("gps: stats mqtt published=%llu acked=%llu failed=%llu "
	    "rejected=%llu invalid=%llu inflight=%llu connected=%d",
	    (unsigned long long)as.published, (unsigned long long)as.acked,
	    (unsigned long long)as.failed, (unsigned long long)as.rejected,
	    (unsigned long long)as.invalid, (unsigned long long)as.inflight,
	    as.connected);
}

int
main(int argc, char **argv)
{
	struct gps_config gc;
	struct adapter_spec spec;
	struct adapter *ad;
	struct server_config sc;
	struct osmand_http_config hc;
	struct server *srv = NULL;
	struct osmand_http *http = NULL;
	struct gps g;
	int64_t now, next_tick, next_stats, deadline;
	int rv = 1;

	memset(&gc, 0, sizeof(gc));
	gc.registry = registry_new();
	memset(&spec, 0, sizeof(spec));
	spec.progname = "simpul-gps";
	spec.cfg = &gc;
	spec.common_offset = offsetof(struct gps_config, ac);
	spec.keys = gps_keys;
	spec.nkeys = nitems(gps_keys);
	spec.other = gps_conf_other;
	spec.check = gps_check;
	ad = adapter_new(argc, argv, &spec);

	memset(&g, 0, sizeof(g));
	g.ad = ad;
	g.cfg = &gc;
	g.reg = gc.registry;
	g.reg_mut = gc.registry;
	g.site = adapter_config(ad)->site;
	g.opd = adapter_config(ad)->opd;
	g.unknown_opd = gc.unknown_opd != NULL && *gc.unknown_opd != '\0' ?
	    gc.unknown_opd : g.opd;
	g.publish_unknown = strcmp(gc.unknown_devices, "publish") == 0;
	log_info("gps: %zu registered devices; unknown devices are %s",
	    registry_count(gc.registry), g.publish_unknown ?
	    "published" : "rejected");

	gps_raise_nofile(&gc);
	if (adapter_start(ad) == -1)
		goto out;

	memset(&sc, 0, sizeof(sc));
	sc.gt06_listen = gc.gt06_listen;
	sc.h02_listen = gc.h02_listen;
	sc.max_connections = gc.max_connections;
	sc.idle_timeout_ms = gc.idle_timeout;
	sc.write_timeout_ms = gc.write_timeout;
	sc.conn_buffer = (size_t)gc.conn_buffer;
	sc.out_max = (size_t)gc.reply_buffer;
	sc.send_replies = gc.send_replies;
	if ((srv = server_new(&sc, gps_handle, &g)) == NULL)
		goto out;
	if (gc.osmand_listen != NULL && *gc.osmand_listen != '\0') {
		memset(&hc, 0, sizeof(hc));
		hc.listen = gc.osmand_listen;
		hc.max_connections = gc.osmand_max_connections;
		hc.timeout_ms = gc.osmand_timeout;
		hc.request_timeout_ms = gc.osmand_request_timeout;
		hc.max_body = (size_t)gc.osmand_max_body;
		if ((http = osmand_http_start(&hc, gps_handle, &g)) == NULL)
			goto out;
	}
	log_info("gps: running");

	now = clock_mono_ms();
	next_tick = now + 1000;
	next_stats = gc.stats_interval > 0 ? now + gc.stats_interval :
	    INT64_MAX;
	while (adapter_running()) {
		if (server_poll(srv, GPS_POLL_MS) == -1)
			goto out;
		now = clock_mono_ms();
		if (now >= next_tick) {
			if (http != NULL)
				osmand_http_tick(http, now);
			next_tick = now + 1000;
		}
		if (now >= next_stats) {
			gps_log_stats(&g, ad, srv, http);
			next_stats = now + gc.stats_interval;
		}
		if (adapter_reload_requested())
			log_warnx("gps: SIGHUP ignored: restart to change the "
			    "config or the device registry");
	}

	/*
	 * Stop taking new work, give what is held back a bounded chance to
	 * reach the publisher, then adapter_free() waits up to
	 * flush_timeout for the broker's acknowledgements. Unacknowledged
	 * events stay in Paho's persistence for the next start.
	 */
	log_info("gps: stopping");
	gps_log_stats(&g, ad, srv, http);
	osmand_http_stop(http);
	http = NULL;
	server_shutdown(srv);
	deadline = clock_mono_ms() + adapter_config(ad)->flush_timeout;
	while (server_held(srv) > 0 && clock_mono_ms() < deadline)
		if (server_poll(srv, 100) == -1)
			break;
	rv = 0;
out:
	osmand_http_stop(http);
	gps_log_stats(&g, ad, srv, NULL); /* the final TCP and MQTT counts */
	server_free(srv);
	adapter_free(ad);
	registry_free(gc.registry);
	if (rv == 0)
		log_info("gps: stopped");
	return rv;
}
