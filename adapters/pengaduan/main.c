/*
 * simpul-pengaduan: the complaint (pengaduan) adapter. Citizens' complaints
 * arrive through the Open311 GeoReport v2 API (open311.c: apps, the web
 * form, WhatsApp and call-centre tools as API clients) and as SMS through
 * Gammu SMSD's files backend (sms.c); each becomes one complaint.created
 * event (schemas/complaint.created.json) on the bus. GET requests reads the
 * status back from the hub's cases (casedb.c).
 *
 * This file is the glue: the config table, the event for each channel,
 * and the main loop, which polls the SMS inbox; the HTTP server runs on
 * its own threads. See docs/pengaduan.md.
 *
 * Ids: both channels use deterministic event ids (UUIDv5, see
 * cloudevent_set_id_record()): for Open311 over the client, the request's
 * digest and a time bucket (open311.h), for SMS over the inbox file names
 * and the text's digest (sms.h). The complaint id, which is also the
 * Open311 service_request_id and the event's subject, is the id prefix and
 * the first 12 hex digits of the event id in upper case: "KRO-3F2A9C1B7D4E".
 * So the same submission always gets the same complaint id, and the hub
 * finds the complaint by subject.
 *
 * Personal data: the reporter's phone number or e-mail address is in
 * data.reporter.contact and nowhere else (not in the subject, the id or
 * the attributes), so one redact action on data.reporter.contact in the
 * routing rules removes it from every copy the hub sends on.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "casedb.h"
#include "log.h"
#include "open311.h"
#include "services.h"
#include "sms.h"
#include "text.h"
#include "util.h"

#define PROGNAME "simpul-pengaduan"
#define ID_HEX 12

struct pengaduan_config {
	struct adapter_config ac;
	/* [pengaduan] */
	char *id_prefix;
	char *unnamed_reporter;
	char *default_category;
	/* [open311] */
	char *listen;
	char *jurisdiction_id;
	uint64_t max_body;
	long max_connections;
	int64_t ack_timeout;
	int64_t dedup_window;
	int64_t connection_timeout;
	/* [sms] */
	char *sms_inbox;
	char *sms_done;
	char *sms_error;
	int64_t sms_poll;
	int64_t sms_settle;
	int64_t sms_part_timeout;
	int64_t sms_retry;
	char *sms_timezone;
	char *sms_address;
	uint64_t sms_max_file;
	long sms_batch;
	/* [casedb] */
	char *casedb_dsn;
	int64_t casedb_timeout;

	/* Not keys: the catalogue ([service], [attribute], [client]) and
	 * what the checks derive. */
	struct services *services;
	int tz_offset_min;
};

#define PC(f) offsetof(struct pengaduan_config, f)

static const struct conf_key pengaduan_keys[] = {
	{ "pengaduan", "id_prefix", CONF_STR, "KRO", 0, 0, PC(id_prefix),
	    "prefix of complaint ids and Open311 service_request_ids "
	    "(1-16 of A-Z 0-9), e.g. KRO for Kabupaten Karo" },
	{ "pengaduan", "unnamed_reporter", CONF_STR, "(tanpa nama)", 0, 0,
	    PC(unnamed_reporter),
	    "reporter name when a contact is known but no name (SMS, or a "
	    "request with phone or email only)" },
	{ "pengaduan", "default_category", CONF_STR, "lainnya", 0, 0,
	    PC(default_category),
	    "category of an SMS whose first word names no service" },
	{ "open311", "listen", CONF_STR, NULL, 0, 0, PC(listen),
	    "address:port of the Open311 GeoReport v2 endpoint, e.g. "
	    "127.0.0.1:8311 or [::]:8311 (empty: no HTTP endpoint)" },
	{ "open311", "jurisdiction_id", CONF_STR, NULL, 0, 0,
	    PC(jurisdiction_id),
	    "if set, requests naming another jurisdiction_id get 404, e.g. "
	    "karokab.go.id" },
	{ "open311", "max_body", CONF_SIZE, "64k", 1024, OPEN311_BODY_MAX,
	    PC(max_body), "largest POST body; larger is answered 413" },
	{ "open311", "max_connections", CONF_INT, "64", 1, 1024,
	    PC(max_connections),
	    "concurrent HTTP connections (one thread each)" },
	{ "open311", "ack_timeout", CONF_DURATION, "10s", 100, 600000,
	    PC(ack_timeout),
	    "how long a POST waits for the broker's acknowledgement before "
	    "answering 503" },
	{ "open311", "dedup_window", CONF_DURATION, "10m", 1000, 86400000,
	    PC(dedup_window),
	    "a repeat of the same POST by the same client within this time "
	    "gets the same service_request_id (no second complaint)" },
	{ "open311", "connection_timeout", CONF_DURATION, "30s", 1000,
	    3600000, PC(connection_timeout),
	    "idle or slow HTTP connections are closed after this" },
	{ "sms", "inbox", CONF_STR, NULL, 0, 0, PC(sms_inbox),
	    "Gammu SMSD files backend inbox (its InboxPath); empty: no SMS" },
	{ "sms", "done", CONF_STR, NULL, 0, 0, PC(sms_done),
	    "processed SMS files are moved here once the broker has the "
	    "complaint (same filesystem as inbox)" },
	{ "sms", "error", CONF_STR, NULL, 0, 0, PC(sms_error),
	    "SMS files that cannot become complaints (8-bit, undecodable, "
	    "empty) are moved here (same filesystem as inbox)" },
	{ "sms", "poll", CONF_DURATION, "2s", 100, 3600000, PC(sms_poll),
	    "how often the inbox is scanned" },
	{ "sms", "settle", CONF_DURATION, "2s", 0, 3600000, PC(sms_settle),
	    "a file is read once it is this old (Gammu writes in place)" },
	{ "sms", "part_timeout", CONF_DURATION, "10m", 1000, 86400000,
	    PC(sms_part_timeout),
	    "a long message with a part missing is published without it "
	    "after this" },
	{ "sms", "retry", CONF_DURATION, "30s", 1000, 86400000,
	    PC(sms_retry), "wait after the broker refused an SMS complaint" },
	{ "sms", "timezone", CONF_STR, "+07:00", 0, 0, PC(sms_timezone),
	    "UTC offset of the times in Gammu's file names (WIB: +07:00)" },
	{ "sms", "address", CONF_STR, "Kabupaten Karo", 0, 0,
	    PC(sms_address),
	    "location.address of SMS complaints (an SMS has no coordinates; "
	    "operators complete it)" },
	{ "sms", "max_file", CONF_SIZE, "16k", 64, 1048576, PC(sms_max_file),
	    "largest inbox file; larger ones are moved to error" },
	{ "sms", "batch", CONF_INT, "100", 1, 100000, PC(sms_batch),
	    "messages published per scan" },
	{ "casedb", "dsn", CONF_STR, NULL, 0, 0, PC(casedb_dsn),
	    "libpq connection string to the hub's PostgreSQL, read-only role "
	    "(empty: GET requests only knows requests accepted in the last "
	    "dedup_window)" },
	{ "casedb", "timeout", CONF_DURATION, "5s", 100, 600000,
	    PC(casedb_timeout), "connect and statement timeout" },
};

struct pengaduan {
	struct pengaduan_config *cfg;
	struct adapter *ad;
};

/* --- config --------------------------------------------------------------- */

static int
pengaduan_other(void *cfgp, const char *section, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct pengaduan_config *cfg = cfgp;
	int r;

	r = services_conf(cfg->services, section, name, value, err, errlen);
	if (r == 1) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	return r;
}

static int
pengaduan_text_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = text_utf8_chars(s, strlen(s));
	return n != TEXT_INVALID && n >= 1 && n <= max;
}

static int
pengaduan_check(void *cfgp, const char *path)
{
	struct pengaduan_config *cfg = cfgp;
	int errors = 0, has_http, has_sms;
	size_t i;

	has_http = cfg->listen != NULL && *cfg->listen != '\0';
	has_sms = cfg->sms_inbox != NULL && *cfg->sms_inbox != '\0';
	errors += services_check(cfg->services, path);
	if (!has_http && !has_sms) {
		log_warnx("%s: set [open311] listen, [sms] inbox or both; "
		    "otherwise there is nothing to do", path);
		errors++;
	}
	for (i = 0; cfg->id_prefix != NULL && cfg->id_prefix[i] != '\0'; i++)
		if (!((cfg->id_prefix[i] >= 'A' && cfg->id_prefix[i] <= 'Z') ||
		    (cfg->id_prefix[i] >= '0' && cfg->id_prefix[i] <= '9')))
			break;
	if (cfg->id_prefix == NULL || i == 0 || i > 16 ||
	    cfg->id_prefix[i] != '\0') {
		log_warnx("%s: [pengaduan] id_prefix must be 1-16 of A-Z 0-9",
		    path);
		errors++;
	}
	if (!pengaduan_text_ok(cfg->unnamed_reporter, 120)) {
		log_warnx("%s: [pengaduan] unnamed_reporter must be 1-120 "
		    "characters", path);
		errors++;
	}
	if (!pengaduan_text_ok(cfg->default_category, 100)) {
		log_warnx("%s: [pengaduan] default_category must be 1-100 "
		    "characters", path);
		errors++;
	}
	if (has_http) {
		if (services_count(cfg->services) == 0) {
			log_warnx("%s: [open311] listen is set but there is no "
			    "[service <code>] section", path);
			errors++;
		}
		if (services_client_count(cfg->services) == 0) {
			log_warnx("%s: [open311] listen is set but there is no "
			    "[client <name>] section: no api_key would be "
			    "accepted", path);
			errors++;
		}
	}
	if (has_sms) {
		if (cfg->sms_done == NULL || *cfg->sms_done == '\0' ||
		    cfg->sms_error == NULL || *cfg->sms_error == '\0') {
			log_warnx("%s: [sms] inbox is set: set done and error "
			    "too", path);
			errors++;
		}
		if (cfg->sms_timezone == NULL ||
		    parse_utc_offset(cfg->sms_timezone, &cfg->tz_offset_min) ==
		    -1) {
			log_warnx("%s: [sms] timezone must be like +07:00", path);
			errors++;
		}
		if (!pengaduan_text_ok(cfg->sms_address, 500)) {
			log_warnx("%s: [sms] address must be 1-500 characters",
			    path);
			errors++;
		}
	}
	return errors;
}

/* --- events --------------------------------------------------------------- */

/* "<prefix>-" and the first ID_HEX hex digits of the event id, upper. */
static void
pengaduan_complaint_id(const struct pengaduan *pg, const char *event_id,
    char *out, size_t outlen)
{
	char hex[ID_HEX + 1];
	size_t i, n = 0;
	char c;

	for (i = 0; event_id[i] != '\0' && n < ID_HEX; i++) {
		c = event_id[i];
		if (c == '-')
			continue;
		hex[n++] = (char)(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
	}
	hex[n] = '\0';
	snprintf(out, outlen, "%s-%s", pg->cfg->id_prefix, hex);
}

static cJSON *
pengaduan_obj(cJSON *parent, const char *name)
{
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (o == NULL)
		fatalx("pengaduan: out of memory");
	return o;
}

/*
 * A new complaint.created event with the common fields; NULL on a bad
 * name in the config (already checked at start, so not expected).
 */
static struct cloudevent *
pengaduan_event(struct pengaduan *pg, const char *system,
    const char *record_key, const char *version, int64_t submitted_ms,
    char *id, size_t idlen, cJSON **data)
{
	struct cloudevent *ev;

	if ((ev = adapter_event_new(pg->ad, system, "complaint.created")) ==
	    NULL)
		return NULL;
	if (cloudevent_set_id_record(ev, record_key, version) == -1) {
		cloudevent_free(ev);
		return NULL;
	}
	pengaduan_complaint_id(pg, cloudevent_id(ev), id, idlen);
	cloudevent_set_subject(ev, id);
	cloudevent_set_time(ev, submitted_ms);
	*data = cloudevent_data(ev);
	cJSON_AddStringToObject(*data, "complaint_id", id);
	return ev;
}

static enum open311_submit
pengaduan_open311(void *arg, const struct open311_submission *s,
    void *pending, char *id, size_t idlen, char *err, size_t errlen)
{
	struct pengaduan *pg = arg;
	const struct open311_request *r = s->req;
	struct cloudevent *ev;
	cJSON *data, *loc, *rep, *attrs;
	char when[32], *contact = NULL;
	const char *name;
	size_t i;
	enum open311_submit rv;

	ev = pengaduan_event(pg, "open311", s->record_key, s->version,
	    s->submitted_ms, id, idlen, &data);
	if (ev == NULL) {
		snprintf(err, errlen, "cannot build the event");
		return OPEN311_SUBMIT_INVALID;
	}
	cJSON_AddStringToObject(data, "channel", s->client->channel);
	cJSON_AddStringToObject(data, "category",
	    services_category(s->service));
	/* The spec makes description optional; the schema does not. */
	cJSON_AddStringToObject(data, "description", r->description ?
	    r->description : services_name(s->service));
	loc = pengaduan_obj(data, "location");
	if (r->has_latlon) {
		cJSON_AddNumberToObject(loc, "lat", r->lat);
		cJSON_AddNumberToObject(loc, "lon", r->lon);
	}
	if (r->address_string != NULL)
		cJSON_AddStringToObject(loc, "address", r->address_string);
	rep = pengaduan_obj(data, "reporter");
	if (r->phone != NULL && r->email != NULL)
		contact = xasprintf("%s, %s", r->phone, r->email);
	else if (r->phone != NULL || r->email != NULL)
		contact = xstrdup(r->phone ? r->phone : r->email);
	name = r->name != NULL ? r->name :
	    contact != NULL ? pg->cfg->unnamed_reporter : NULL;
	if (name != NULL)
		cJSON_AddStringToObject(rep, "name", name);
	if (contact != NULL)
		cJSON_AddStringToObject(rep, "contact", contact);
	cJSON_AddBoolToObject(rep, "anonymous", name == NULL &&
	    contact == NULL);
	time_format_rfc3339(s->submitted_ms, when);
	cJSON_AddStringToObject(data, "submitted_at", when);
	cJSON_AddStringToObject(data, "service_code",
	    services_code(s->service));
	if (r->media_url != NULL)
		cJSON_AddStringToObject(data, "media_url", r->media_url);
	if (r->nattrs > 0) {
		attrs = pengaduan_obj(data, "attributes");
		for (i = 0; i < r->nattrs; i++)
			cJSON_AddStringToObject(attrs, r->attrs[i].code,
			    r->attrs[i].value);
	}
	free(contact);

	switch (adapter_publish_event(pg->ad, ev, open311_done, pending)) {
	case ADAPTER_PUBLISH_OK:
		rv = OPEN311_SUBMIT_OK;
		break;
	case ADAPTER_PUBLISH_FULL:
		rv = OPEN311_SUBMIT_BUSY;
		break;
	default:
		snprintf(err, errlen, "it does not fit the complaint schema "
		    "(see the adapter's log)");
		rv = OPEN311_SUBMIT_INVALID;
	}
	cloudevent_free(ev);
	return rv;
}

static enum sms_verdict
pengaduan_sms(void *arg, const struct sms_message *m, void *ticket)
{
	struct pengaduan *pg = arg;
	const struct service *sv;
	struct cloudevent *ev;
	cJSON *data, *loc, *rep, *attrs;
	char id[OPEN311_ID_MAX + 1], when[32], *desc;
	size_t len = strlen(m->text), cut;
	int truncated = m->truncated;
	enum sms_verdict v;

	if (len == 0) {
		log_warnx("sms: empty message from %s (%s)", m->number,
		    m->key);
		return SMS_REFUSED;
	}
	ev = pengaduan_event(pg, "sms", m->key, m->digest, m->received_ms, id,
	    sizeof(id), &data);
	if (ev == NULL)
		return SMS_REFUSED;
	sv = services_match(pg->cfg->services, m->text);
	cJSON_AddStringToObject(data, "channel", "sms");
	cJSON_AddStringToObject(data, "category", sv ?
	    services_category(sv) : pg->cfg->default_category);
	if (text_utf8_chars(m->text, len) > OPEN311_DESCRIPTION_MAX) {
		/* The whole text stays in the done folder. */
		cut = text_utf8_prefix(m->text, len,
		    OPEN311_DESCRIPTION_MAX - 1);
		desc = xasprintf("%.*s\xe2\x80\xa6", (int)cut, m->text);
		cJSON_AddStringToObject(data, "description", desc);
		free(desc);
		truncated = 1;
	} else
		cJSON_AddStringToObject(data, "description", m->text);
	loc = pengaduan_obj(data, "location");
	cJSON_AddStringToObject(loc, "address", pg->cfg->sms_address);
	rep = pengaduan_obj(data, "reporter");
	cJSON_AddStringToObject(rep, "name", pg->cfg->unnamed_reporter);
	cJSON_AddStringToObject(rep, "contact", m->number);
	cJSON_AddBoolToObject(rep, "anonymous", 0);
	time_format_rfc3339(m->received_ms, when);
	cJSON_AddStringToObject(data, "submitted_at", when);
	if (sv != NULL)
		cJSON_AddStringToObject(data, "service_code",
		    services_code(sv));
	attrs = pengaduan_obj(data, "attributes");
	cJSON_AddNumberToObject(attrs, "sms_parts", m->nparts);
	if (m->missing > 0)
		cJSON_AddNumberToObject(attrs, "sms_parts_missing",
		    m->missing);
	if (truncated)
		cJSON_AddBoolToObject(attrs, "truncated", 1);

	switch (adapter_publish_event(pg->ad, ev, sms_inbox_done, ticket)) {
	case ADAPTER_PUBLISH_OK:
		log_info("sms: published id=%s from %s parts=%d", id, m->number,
		    m->nparts);
		v = SMS_PUBLISHED;
		break;
	case ADAPTER_PUBLISH_FULL:
		v = SMS_BUSY;
		break;
	default:
		v = SMS_REFUSED;
	}
	cloudevent_free(ev);
	return v;
}

/* --- main ----------------------------------------------------------------- */

/*
 * -D prints the key table from adapter_new(), which then exits; the
 * catalogue's example sections are printed after it from an exit handler,
 * so that the generated deploy/pengaduan.conf.example shows them too.
 */
static void
pengaduan_dump_catalogue(void)
{
	fputs(services_example, stdout);
}

int
main(int argc, char **argv)
{
	struct pengaduan_config cfg;
	struct adapter_spec spec;
	struct pengaduan pg;
	struct open311_config oc;
	struct sms_config sc;
	struct casedb_config dc;
	struct open311 *http = NULL;
	struct sms_inbox *sms = NULL;
	struct casedb *db = NULL;
	struct services *services;
	char *recent = NULL;
	int i, rv = 1;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-D") == 0)
			atexit(pengaduan_dump_catalogue);
	memset(&cfg, 0, sizeof(cfg));
	services = cfg.services = services_new();
	memset(&spec, 0, sizeof(spec));
	spec.progname = PROGNAME;
	spec.cfg = &cfg;
	spec.common_offset = offsetof(struct pengaduan_config, ac);
	spec.keys = pengaduan_keys;
	spec.nkeys = nitems(pengaduan_keys);
	spec.other = pengaduan_other;
	spec.check = pengaduan_check;
	pg.cfg = &cfg;
	pg.ad = adapter_new(argc, argv, &spec);
	if (adapter_start(pg.ad) == -1)
		goto out;

	if (cfg.casedb_dsn != NULL && *cfg.casedb_dsn != '\0') {
		memset(&dc, 0, sizeof(dc));
		dc.dsn = cfg.casedb_dsn;
		dc.timeout_ms = cfg.casedb_timeout;
		db = casedb_new(&dc);
	}
	if (cfg.sms_inbox != NULL && *cfg.sms_inbox != '\0') {
		memset(&sc, 0, sizeof(sc));
		sc.inbox = cfg.sms_inbox;
		sc.done = cfg.sms_done;
		sc.error = cfg.sms_error;
		sc.settle_ms = cfg.sms_settle;
		sc.part_timeout_ms = cfg.sms_part_timeout;
		sc.retry_ms = cfg.sms_retry;
		sc.tz_offset_min = cfg.tz_offset_min;
		sc.max_file = (size_t)cfg.sms_max_file;
		if ((sms = sms_inbox_new(&sc)) == NULL)
			goto out;
		log_info("sms: watching %s (done %s, error %s)", cfg.sms_inbox,
		    cfg.sms_done, cfg.sms_error);
	}
	if (cfg.listen != NULL && *cfg.listen != '\0') {
		recent = adapter_state_path(pg.ad, "open311-recent");
		memset(&oc, 0, sizeof(oc));
		oc.listen = cfg.listen;
		oc.jurisdiction_id = cfg.jurisdiction_id;
		oc.max_body = (size_t)cfg.max_body;
		oc.max_connections = (int)cfg.max_connections;
		oc.ack_timeout_ms = cfg.ack_timeout;
		oc.dedup_window_ms = cfg.dedup_window;
		oc.connection_timeout_ms = cfg.connection_timeout;
		oc.recent_path = recent;
		oc.services = services;
		oc.casedb = db;
		oc.submit = pengaduan_open311;
		oc.arg = &pg;
		if ((http = open311_new(&oc)) == NULL)
			goto out;
	}

	while (adapter_running()) {
		if (sms != NULL)
			sms_inbox_poll(sms, clock_wall_ms(),
			    (size_t)cfg.sms_batch, pengaduan_sms, &pg);
		adapter_sleep(sms != NULL ? cfg.sms_poll : 1000);
	}
	log_info("pengaduan: stopping");
	rv = 0;
out:
	/* HTTP first (no new complaints), then the publisher, whose
	 * remaining on_done calls still reach the SMS tickets. */
	open311_free(http);
	adapter_free(pg.ad);
	sms_inbox_free(sms);
	casedb_free(db);
	services_free(services);
	free(recent);
	return rv;
}
