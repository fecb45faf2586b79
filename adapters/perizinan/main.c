/*
 * simpul-perizinan: the permit (perizinan) adapter. DPMPTSP's SiCantik
 * (e-perizinan) is read two ways, and every change of a permit application
 * becomes one event, permit.submitted, permit.verified, permit.issued or
 * permit.rejected (schemas/permit.*.json), on the bus:
 *
 *   - polling (sync.c over poll.c, libcurl): every interval, the records
 *     changed since the watermark, page by page; the watermark moves only
 *     once the broker acknowledged every event of the round;
 *   - a webhook (webhook.c, libmicrohttpd): SiCantik pushes a changed
 *     record at once, signed with HMAC-SHA256 (signature.c, hmac.c); it is
 *     answered 200 once the broker has the events.
 *
 * Either may be turned off; with both, the webhook brings changes within
 * seconds and polling repairs whatever a lost push missed. Both produce the
 * same deterministic event id for the same change, UUIDv5 over the source,
 * no_permohonan, and the status with updated_at (cloudevent_set_id_record()),
 * so a change seen both ways is stored once by the hub.
 *
 * This file is the glue: the config table and its checks, the event of a
 * permit, and the main loop with its backoff. See docs/perizinan.md.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "log.h"
#include "page.h"
#include "poll.h"
#include "replay.h"
#include "sync.h"
#include "util.h"
#include "webhook.h"

#define PROGNAME "simpul-perizinan"
#define SECRET_MIN 16

struct perizinan_config {
	struct adapter_config ac;
	/* [sicantik] */
	char *system;
	char *timezone;
	long max_records;
	char *api_url;
	char *api_token;
	long page_size;
	long max_pages;
	int64_t interval;
	int64_t connect_timeout;
	int64_t timeout;
	char *ca_file;
	int insecure;
	uint64_t max_page_bytes;
	int64_t retry_min;
	int64_t retry_max;
	char *start_from;
	/* [webhook] */
	char *listen;
	char *path;
	char *secret;
	char *signature_header;
	char *timestamp_header;
	char *signature_prefix;
	int64_t tolerance;
	uint64_t max_body;
	long max_connections;
	int64_t connection_timeout;
	int64_t request_timeout;
	int64_t ack_timeout;
	long replay_cache;

	/* Not keys: [status] and what the checks derive. */
	struct page_statuses *statuses;
	int tz_offset_min;
};

#define PC(f) offsetof(struct perizinan_config, f)

static const struct conf_key perizinan_keys[] = {
	{ "sicantik", "system", CONF_STR, "sicantik", 0, 0, PC(system),
	    "last level of the event source and topic: "
	    "/<site>/<opd>/<system>" },
	{ "sicantik", "timezone", CONF_STR, "+07:00", 0, 0, PC(timezone),
	    "UTC offset of SiCantik's times that carry no zone (WIB: +07:00)" },
	{ "sicantik", "max_records", CONF_INT, "1000", 1, PAGE_RECORDS_MAX,
	    PC(max_records),
	    "most records in one page or one webhook delivery; more is "
	    "malformed" },
	{ "sicantik", "api_url", CONF_STR, NULL, 0, 0, PC(api_url),
	    "permit list of SiCantik's API, e.g. "
	    "https://sicantik.karokab.go.id/api/v1/permohonan (empty: no "
	    "polling)" },
	{ "sicantik", "api_token", CONF_STR, NULL, 0, 0, PC(api_token),
	    "sent as 'Authorization: Bearer <api_token>'; keep this file "
	    "readable by the adapter only" },
	{ "sicantik", "page_size", CONF_INT, "100", 1, 1000, PC(page_size),
	    "per_page of each request" },
	{ "sicantik", "max_pages", CONF_INT, "50", 1, 10000, PC(max_pages),
	    "pages per round; a longer backlog is read over several rounds" },
	{ "sicantik", "interval", CONF_DURATION, "1m", 200, 86400000,
	    PC(interval), "time between polling rounds" },
	{ "sicantik", "connect_timeout", CONF_DURATION, "10s", 100, 600000,
	    PC(connect_timeout), "TCP and TLS connect timeout" },
	{ "sicantik", "timeout", CONF_DURATION, "30s", 100, 3600000,
	    PC(timeout), "whole-request timeout (connect included)" },
	{ "sicantik", "ca_file", CONF_STR, NULL, 0, 0, PC(ca_file),
	    "PEM file of the CA(s) that sign SiCantik's certificate "
	    "(default: the system's store)" },
	{ "sicantik", "insecure", CONF_BOOL, "no", 0, 0, PC(insecure),
	    "yes turns TLS verification OFF (never in production; use "
	    "ca_file)" },
	{ "sicantik", "max_page_bytes", CONF_SIZE, "4M", 1024,
	    256 * 1024 * 1024, PC(max_page_bytes),
	    "largest page body (after decompression); larger fails the "
	    "round" },
	{ "sicantik", "retry_min", CONF_DURATION, "1s", 100, 3600000,
	    PC(retry_min), "first wait after a failed round (doubles)" },
	{ "sicantik", "retry_max", CONF_DURATION, "5m", 100, 86400000,
	    PC(retry_max), "longest wait after failed rounds" },
	{ "sicantik", "start_from", CONF_STR, NULL, 0, 0, PC(start_from),
	    "updated_since of the very first round, RFC 3339, e.g. "
	    "2026-01-01T00:00:00+07:00 (empty: everything)" },
	{ "webhook", "listen", CONF_STR, NULL, 0, 0, PC(listen),
	    "address:port of the webhook receiver, e.g. 127.0.0.1:8320 "
	    "behind a TLS reverse proxy (empty: no webhook)" },
	{ "webhook", "path", CONF_STR, "/webhook/sicantik", 0, 0, PC(path),
	    "the one path that takes deliveries" },
	{ "webhook", "secret", CONF_STR, NULL, 0, 0, PC(secret),
	    "shared HMAC-SHA256 secret, at least 16 bytes (e.g. openssl "
	    "rand -hex 32)" },
	{ "webhook", "signature_header", CONF_STR, "X-Sicantik-Signature", 0,
	    0, PC(signature_header),
	    "header with <signature_prefix><hex HMAC-SHA256(secret, "
	    "timestamp \".\" body)>" },
	{ "webhook", "timestamp_header", CONF_STR, "X-Sicantik-Timestamp", 0,
	    0, PC(timestamp_header), "header with the Unix time in seconds" },
	{ "webhook", "signature_prefix", CONF_STR, "sha256=", 0, 0,
	    PC(signature_prefix), "text before the hex MAC (may be empty)" },
	{ "webhook", "tolerance", CONF_DURATION, "5m", 1000, 3600000,
	    PC(tolerance),
	    "timestamps further than this from now are refused (stale)" },
	{ "webhook", "max_body", CONF_SIZE, "256k", 1024, 16 * 1024 * 1024,
	    PC(max_body), "largest delivery; larger is answered 413" },
	{ "webhook", "max_connections", CONF_INT, "32", 1, 1024,
	    PC(max_connections), "concurrent connections (one thread each)" },
	{ "webhook", "connection_timeout", CONF_DURATION, "10s", 1000,
	    600000, PC(connection_timeout),
	    "idle connections are closed after this" },
	{ "webhook", "request_timeout", CONF_DURATION, "30s", 1000, 600000,
	    PC(request_timeout),
	    "a body still arriving after this is cut (slow senders)" },
	{ "webhook", "ack_timeout", CONF_DURATION, "10s", 100, 600000,
	    PC(ack_timeout),
	    "how long a delivery waits for the broker before 503" },
	{ "webhook", "replay_cache", CONF_INT, "16384", 16, REPLAY_MAX,
	    PC(replay_cache),
	    "deliveries remembered within the tolerance (replay refusal); "
	    "when full, new deliveries get 503" },
};

struct perizinan {
	struct perizinan_config *cfg;
	struct adapter *ad;
};

/* --- config --------------------------------------------------------------- */

static int
perizinan_other(void *cfgp, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct perizinan_config *cfg = cfgp;

	if (strcmp(section, "status") != 0) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	return page_statuses_set(cfg->statuses, name, value, err, errlen);
}

static int
perizinan_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/* An HTTP header name: 1-64 of A-Z a-z 0-9 '-'. */
static int
perizinan_header_ok(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0;
}

static int
perizinan_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
perizinan_check(void *cfgp, const char *path)
{
	struct perizinan_config *cfg = cfgp;
	int errors = 0;
	int64_t ms;

	if (!perizinan_set(cfg->api_url) && !perizinan_set(cfg->listen)) {
		log_warnx("%s: set [sicantik] api_url, [webhook] listen or "
		    "both; otherwise there is nothing to do", path);
		errors++;
	}
	if (cfg->system == NULL || !cloudevent_name_ok(cfg->system)) {
		log_warnx("%s: [sicantik] system must be 1-64 of a-z 0-9 . _ -",
		    path);
		errors++;
	}
	if (cfg->timezone == NULL ||
	    parse_utc_offset(cfg->timezone, &cfg->tz_offset_min) == -1) {
		log_warnx("%s: [sicantik] timezone must be like +07:00", path);
		errors++;
	}
	if (perizinan_set(cfg->api_url) &&
	    strncmp(cfg->api_url, "https://", 8) != 0 &&
	    strncmp(cfg->api_url, "http://", 7) != 0) {
		log_warnx("%s: [sicantik] api_url must start with https:// "
		    "(or http://)", path);
		errors++;
	}
	if (perizinan_set(cfg->api_token) &&
	    !perizinan_printable(cfg->api_token, 4096)) {
		log_warnx("%s: [sicantik] api_token must be printable ASCII "
		    "without spaces", path);
		errors++;
	}
	if (perizinan_set(cfg->start_from) &&
	    time_parse_rfc3339(cfg->start_from, &ms) == -1) {
		log_warnx("%s: [sicantik] start_from must be an RFC 3339 "
		    "date-time with a zone", path);
		errors++;
	}
	if (cfg->retry_min > cfg->retry_max) {
		log_warnx("%s: [sicantik] retry_min is larger than retry_max",
		    path);
		errors++;
	}
	if (!perizinan_set(cfg->listen))
		return errors;
	if (!perizinan_set(cfg->secret) || strlen(cfg->secret) < SECRET_MIN) {
		log_warnx("%s: [webhook] listen is set: secret must be at "
		    "least %d bytes", path, SECRET_MIN);
		errors++;
	}
	if (cfg->path == NULL || cfg->path[0] != '/' ||
	    !perizinan_printable(cfg->path, 256)) {
		log_warnx("%s: [webhook] path must start with '/'", path);
		errors++;
	}
	if (!perizinan_header_ok(cfg->signature_header) ||
	    !perizinan_header_ok(cfg->timestamp_header)) {
		log_warnx("%s: [webhook] signature_header and timestamp_header "
		    "must be header names (A-Z a-z 0-9 -)", path);
		errors++;
	}
	if (cfg->signature_prefix != NULL &&
	    !perizinan_printable(cfg->signature_prefix, 32)) {
		log_warnx("%s: [webhook] signature_prefix must be at most 32 "
		    "printable characters", path);
		errors++;
	}
	return errors;
}

/* --- events --------------------------------------------------------------- */

/*
 * Builds and publishes the event of one permit (sync_publish_fn and
 * webhook_publish_fn). A record that cannot become an event here (a key
 * with a newline, a subject too long) is invalid, like a schema refusal.
 */
static int
perizinan_publish(void *arg, const struct permit *p,
    publisher_done_fn on_done, void *done_arg)
{
	struct perizinan *pz = arg;
	struct cloudevent *ev;
	const char *status = page_status_name(p->status);
	char type[32], version[PAGE_TIME_LEN + 32];
	cJSON *data;
	int r;

	if ((data = page_permit_data(p)) == NULL)
		return ADAPTER_PUBLISH_INVALID;
	snprintf(type, sizeof(type), "permit.%s", status);
	snprintf(version, sizeof(version), "%s|%s", status, p->updated_at);
	if ((ev = adapter_event_new(pz->ad, pz->cfg->system, type)) == NULL) {
		cJSON_Delete(data);
		return ADAPTER_PUBLISH_INVALID;
	}
	if (cloudevent_set_id_record(ev, p->no_permohonan, version) == -1 ||
	    cloudevent_set_subject(ev, p->no_permohonan) == -1) {
		log_warnx("perizinan: %.80s (id %s): no_permohonan cannot be "
		    "an event key; skipped", p->no_permohonan, p->id);
		cJSON_Delete(data);
		cloudevent_free(ev);
		return ADAPTER_PUBLISH_INVALID;
	}
	cloudevent_set_time(ev, p->updated_us / 1000);
	cloudevent_take_data(ev, data);
	r = adapter_publish_event(pz->ad, ev, on_done, done_arg);
	if (r == ADAPTER_PUBLISH_OK)
		log_debug("perizinan: published %s %s id=%s", type,
		    p->no_permohonan, cloudevent_id(ev));
	cloudevent_free(ev);
	return r;
}

/* --- main ----------------------------------------------------------------- */

/*
 * -D prints the key table from adapter_new(), which then exits; the
 * [status] table is printed after it from an exit handler, so that the
 * generated deploy/perizinan.conf.example shows the defaults too.
 */
static void
perizinan_dump_statuses(void)
{
	struct page_statuses *st = page_statuses_new();
	char buf[8192], *line, *nl;

	page_statuses_dump(st, buf, sizeof(buf));
	page_statuses_free(st);
	printf("\n[status]\n"
	    "; SiCantik's status (compared in lower case, with spaces and '-'\n"
	    "; as '_') = submitted | verified | issued | rejected | ignore.\n"
	    "; These are the built-in defaults; a line here adds or replaces "
	    "one.\n");
	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		printf(";%.*s\n", (int)(nl - line), line);
	}
}

/* retry_min doubled per failure, up to retry_max. */
static int64_t
perizinan_backoff(const struct perizinan_config *cfg, int failures)
{
	int64_t wait = cfg->retry_min;
	int i;

	for (i = 1; i < failures && wait < cfg->retry_max; i++)
		wait *= 2;
	return wait < cfg->retry_max ? wait : cfg->retry_max;
}

int
main(int argc, char **argv)
{
	struct perizinan_config cfg;
	struct adapter_spec spec;
	struct perizinan pz;
	struct page_rules rules;
	struct poll_config pc;
	struct sync_config sc;
	struct webhook_config wc;
	struct poll *poll = NULL;
	struct sync *sync = NULL;
	struct webhook *hook = NULL;
	struct page_statuses *statuses;
	char *cp_path = NULL;
	int i, rv = 1, failures = 0;
	int64_t wait;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-D") == 0)
			atexit(perizinan_dump_statuses);
	memset(&cfg, 0, sizeof(cfg));
	statuses = cfg.statuses = page_statuses_new();
	memset(&spec, 0, sizeof(spec));
	spec.progname = PROGNAME;
	spec.cfg = &cfg;
	spec.common_offset = offsetof(struct perizinan_config, ac);
	spec.keys = perizinan_keys;
	spec.nkeys = nitems(perizinan_keys);
	spec.other = perizinan_other;
	spec.check = perizinan_check;
	pz.cfg = &cfg;
	pz.ad = adapter_new(argc, argv, &spec);

	memset(&rules, 0, sizeof(rules));
	rules.statuses = statuses;
	rules.tz_offset_min = cfg.tz_offset_min;
	rules.max_records = (size_t)cfg.max_records;

	/* libcurl's global state, before any thread exists. */
	poll_global_init();
	if (adapter_start(pz.ad) == -1)
		goto out;

	if (perizinan_set(cfg.api_url)) {
		memset(&pc, 0, sizeof(pc));
		pc.url = cfg.api_url;
		pc.token = cfg.api_token;
		pc.ca_file = perizinan_set(cfg.ca_file) ? cfg.ca_file : NULL;
		pc.insecure = cfg.insecure;
		pc.connect_timeout_ms = cfg.connect_timeout;
		pc.timeout_ms = cfg.timeout;
		pc.max_bytes = (size_t)cfg.max_page_bytes;
		pc.user_agent = PROGNAME "/" SIMPUL_VERSION;
		if ((poll = poll_new(&pc)) == NULL)
			goto out;
		cp_path = adapter_state_path(pz.ad, "sicantik.checkpoint");
		memset(&sc, 0, sizeof(sc));
		sc.poll = poll;
		sc.rules = &rules;
		sc.checkpoint_path = cp_path;
		sc.start_from = cfg.start_from;
		sc.per_page = cfg.page_size;
		sc.max_pages = cfg.max_pages;
		sc.max_page_bytes = (size_t)cfg.max_page_bytes;
		sc.publish = perizinan_publish;
		sc.arg = &pz;
		if ((sync = sync_new(&sc)) == NULL)
			goto out;
		log_info("sync: polling %s every %llds", cfg.api_url,
		    (long long)(cfg.interval / 1000));
	}
	if (perizinan_set(cfg.listen)) {
		memset(&wc, 0, sizeof(wc));
		wc.listen = cfg.listen;
		wc.path = cfg.path;
		wc.secret = cfg.secret;
		wc.secretlen = strlen(cfg.secret);
		wc.signature_header = cfg.signature_header;
		wc.timestamp_header = cfg.timestamp_header;
		wc.signature_prefix = cfg.signature_prefix;
		wc.tolerance_ms = cfg.tolerance;
		wc.max_body = (size_t)cfg.max_body;
		wc.replay_max = (size_t)cfg.replay_cache;
		wc.max_connections = (int)cfg.max_connections;
		wc.connection_timeout_ms = cfg.connection_timeout;
		wc.request_timeout_ms = cfg.request_timeout;
		wc.ack_timeout_ms = cfg.ack_timeout;
		wc.rules = &rules;
		wc.publish = perizinan_publish;
		wc.arg = &pz;
		if ((hook = webhook_new(&wc)) == NULL)
			goto out;
	}

	while (adapter_running()) {
		if (sync == NULL) {
			adapter_sleep(1000);
			continue;
		}
		switch (sync_round(sync)) {
		case SYNC_DONE:
			failures = 0;
			wait = cfg.interval;
			break;
		case SYNC_MORE:
			failures = 0;
			wait = 0;
			break;
		default:
			failures++;
			wait = perizinan_backoff(&cfg, failures);
			if (adapter_running())
				log_info("sync: round failed (%d in a row); "
				    "next try in %lldms", failures,
				    (long long)wait);
		}
		if (wait > 0)
			adapter_sleep(wait);
	}
	log_info("perizinan: stopping");
	rv = 0;
out:
	/* The webhook first (no new deliveries), then the publisher, whose
	 * last on_done calls may still reach the sync's counters. */
	webhook_free(hook);
	adapter_free(pz.ad);
	sync_free(sync);
	poll_free(poll);
	page_statuses_free(statuses);
	free(cp_path);
	poll_global_cleanup();
	return rv;
}
