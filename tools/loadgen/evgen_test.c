/*
 * Unit test of evgen: every generated event is a well-formed CloudEvent on
 * the right topic with data inside the contract's ranges, generation is
 * deterministic, the mix is honoured, and each bad kind is bad in exactly
 * the intended way.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evgen.h"
#include "testlib.h"
#include "util.h"

#define NOW_MS	1795774800123LL	/* 2026-11-27T10:20:00.123Z */

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int
is_int(const cJSON *o, const char *key)
{
	double d = num(o, key);

	return !isnan(d) && floor(d) == d;
}

static int
is_bool(const cJSON *o, const char *key)
{
	return cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int
is_time(const char *s)
{
	int64_t ms;

	return s != NULL && time_parse_rfc3339(s, &ms) == 0;
}

static int
is_date(const char *s)
{
	int64_t ms;
	char buf[40];

	if (s == NULL || strlen(s) != 10)
		return 0;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return time_parse_rfc3339(buf, &ms) == 0;
}

static int
one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static int
luhn_ok(const char *s)
{
	int sum = 0, i, v, n = (int)strlen(s);

	for (i = n - 1; i >= 0; i--) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = s[i] - '0';
		if ((n - 1 - i) % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static void
check_gps(const cJSON *d, int alarm)
{
	static const char *const alarms[] = { "sos", "power_cut", "vibration",
		"overspeed", "geofence_enter", "geofence_exit", "low_battery",
		"tamper", NULL };
	const char *dev = str(d, "device_id");

	CHECK(dev != NULL && strlen(dev) == 15 && luhn_ok(dev));
	CHECK(num(d, "lat") >= 3.0 && num(d, "lat") <= 3.3);
	CHECK(num(d, "lon") >= 98.2 && num(d, "lon") <= 98.6);
	CHECK(is_time(str(d, "fix_time")));
	CHECK(str(d, "plate") != NULL &&
	    strncmp(str(d, "plate"), "BK ", 3) == 0);
	if (alarm) {
		CHECK(one_of(str(d, "alarm"), alarms));
		return;
	}
	CHECK(num(d, "speed_kmh") >= 0);
	CHECK(num(d, "course") >= 0 && num(d, "course") <= 360);
	CHECK(is_bool(d, "valid"));
	CHECK_STR(str(d, "protocol"), "gt06");
}

static void
check_complaint(const cJSON *d)
{
	static const char *const channels[] = { "web", "open311", "sms",
		"whatsapp", "lapor", "phone", NULL };
	const cJSON *loc = cJSON_GetObjectItemCaseSensitive(d, "location");
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(d, "reporter");
	const char *desc = str(d, "description");

	CHECK(str(d, "complaint_id") != NULL);
	CHECK(one_of(str(d, "channel"), channels));
	CHECK(str(d, "category") != NULL);
	CHECK(desc != NULL && strlen(desc) > 0 && strlen(desc) <= 4000);
	CHECK(num(loc, "lat") >= 3.0 && num(loc, "lat") <= 3.3);
	CHECK(num(loc, "lon") >= 98.2 && num(loc, "lon") <= 98.6);
	CHECK(str(loc, "address") != NULL);
	CHECK(str(rep, "name") != NULL && str(rep, "contact") != NULL);
	CHECK(is_bool(rep, "anonymous"));
	CHECK(is_time(str(d, "submitted_at")));
}

static void
check_sp2d(const cJSON *d, const char *type)
{
	static const char *const jenis[] = { "LS", "UP", "GU", "TU", NULL };
	const char *nomor = str(d, "nomor_sp2d");

	CHECK(nomor != NULL && strstr(nomor, "/SP2D/") != NULL);
	CHECK(is_date(str(d, "tanggal")));
	CHECK_STR(str(d, "tanggal"), "2026-11-27");
	CHECK(str(d, "opd_pemohon") != NULL);
	CHECK(one_of(str(d, "jenis"), jenis));
	CHECK(is_int(d, "nilai") && num(d, "nilai") > 0);
	CHECK(str(d, "penerima") != NULL && str(d, "keterangan") != NULL);
	CHECK((str(d, "alasan_penolakan") != NULL) ==
	    (strcmp(type, "sp2d.rejected") == 0));
}

static void
check_simda(const cJSON *d)
{
	CHECK_INT(num(d, "tahun"), 2026);
	CHECK(str(d, "kode_opd") != NULL && str(d, "kode_rekening") != NULL);
	CHECK(str(d, "uraian") != NULL);
	CHECK(is_int(d, "anggaran") && is_int(d, "realisasi"));
	CHECK(num(d, "realisasi") >= 0 &&
	    num(d, "realisasi") <= num(d, "anggaran"));
	CHECK(is_date(str(d, "as_of")));
}

static void
check_permit(const cJSON *d, const char *type)
{
	int64_t sub = 0, sla = 0;

	CHECK(str(d, "nomor_permohonan") != NULL);
	CHECK(str(d, "jenis_izin") != NULL && str(d, "pemohon") != NULL);
	CHECK_STR(str(d, "status"), strchr(type, '.') + 1);
	CHECK(is_time(str(d, "submitted_at")));
	CHECK(is_time(str(d, "sla_deadline")));
	if (str(d, "submitted_at") != NULL && str(d, "sla_deadline") != NULL) {
		time_parse_rfc3339(str(d, "submitted_at"), &sub);
		time_parse_rfc3339(str(d, "sla_deadline"), &sla);
	}
	CHECK(sla > sub);
	CHECK((str(d, "nomor_izin") != NULL) ==
	    (strcmp(type, "permit.issued") == 0));
	CHECK((str(d, "alasan") != NULL) ==
	    (strcmp(type, "permit.rejected") == 0));
}

/* Checks one event and returns its type (static storage) or NULL. */
static const char *
check_event(const char *payload, const char *topic, const char *want_id,
    int64_t want_time)
{
	static const char *const known[] = { "gps.position", "gps.alarm",
		"complaint.created", "sp2d.issued", "sp2d.submitted",
		"sp2d.disbursed", "sp2d.rejected", "simda.realization",
		"permit.submitted", "permit.verified", "permit.issued",
		"permit.rejected", NULL };
	static char type[64];
	cJSON *ev = cJSON_Parse(payload);
	const cJSON *data;
	const char *t, *opd, *source;
	char want[256];
	int64_t ms = 0;

	CHECK(ev != NULL);
	if (ev == NULL)
		return NULL;
	CHECK_STR(str(ev, "specversion"), "1.0");
	CHECK_STR(str(ev, "id"), want_id);
	CHECK_STR(str(ev, "datacontenttype"), "application/json");
	CHECK(str(ev, "subject") != NULL);
	CHECK(str(ev, "time") != NULL &&
	    time_parse_rfc3339(str(ev, "time"), &ms) == 0);
	CHECK_INT(ms, want_time);
	t = str(ev, "type");
	opd = str(ev, "opd");
	source = str(ev, "source");
	CHECK(one_of(t, known));
	if (t == NULL || opd == NULL || source == NULL) {
		CHECK(0);
		cJSON_Delete(ev);
		return NULL;
	}
	/* source is /karo/<opd>/<system>; the topic repeats opd and system. */
	snprintf(want, sizeof(want), "karo/ev%s/%s", source + 5, t);
	CHECK(strncmp(source, "/karo/", 6) == 0);
	CHECK_STR(topic, want);
	snprintf(want, sizeof(want), "/karo/%s/", opd);
	CHECK(strncmp(source, want, strlen(want)) == 0);
	data = cJSON_GetObjectItemCaseSensitive(ev, "data");
	CHECK(cJSON_IsObject(data));
	if (strncmp(t, "gps.", 4) == 0)
		check_gps(data, strcmp(t, "gps.alarm") == 0);
	else if (strcmp(t, "complaint.created") == 0)
		check_complaint(data);
	else if (strncmp(t, "sp2d.", 5) == 0)
		check_sp2d(data, t);
	else if (strcmp(t, "simda.realization") == 0)
		check_simda(data);
	else if (strncmp(t, "permit.", 7) == 0)
		check_permit(data, t);
	strlcpy_s(type, t, sizeof(type));
	cJSON_Delete(ev);
	return type;
}

static struct evgen *
gen(const char *prefix, uint64_t seed, int64_t offset_ms)
{
	struct evgen_config c = { "karo", prefix, seed, offset_ms, 1 << 20 };

	return evgen_new(&c);
}

static void
test_default_mix(void)
{
	struct evgen *g = gen("t", 7, 0);
	struct buf p, t;
	const char *type;
	char id[32];
	int gps = 0, other = 0, i;

	buf_init(&p, 1 << 22);
	buf_init(&t, 512);
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "t-%d", 100 + i);
		CHECK(evgen_event(g, (uint64_t)(100 + i), NOW_MS, &p, &t) == 0);
		CHECK_INT(strlen(p.data), p.len);
		type = check_event(p.data, t.data, id, NOW_MS);
		if (type != NULL && strcmp(type, "gps.position") == 0)
			gps++;
		else if (type != NULL)
			other++;
	}
	/* 70% of 2000 with room for chance. */
	CHECK(gps > 1300 && gps < 1500);
	CHECK_INT(gps + other, 2000);
	buf_free(&p);
	buf_free(&t);
	evgen_free(g);
}

static void
test_every_type(void)
{
	static const char *const types[] = { "gps.position", "gps.alarm",
		"complaint.created", "sp2d.issued", "sp2d.submitted",
		"sp2d.disbursed", "sp2d.rejected", "simda.realization",
		"permit.submitted", "permit.verified", "permit.issued",
		"permit.rejected" };
	struct evgen *g = gen("x", 1, 0);
	struct buf p, t;
	char mix[64], id[32];
	const char *type;
	size_t k;
	int i;

	buf_init(&p, 1 << 22);
	buf_init(&t, 512);
	for (k = 0; k < nitems(types); k++) {
		snprintf(mix, sizeof(mix), "%s=1", types[k]);
		CHECK(evgen_set_mix(g, mix) == 0);
		for (i = 0; i < 50; i++) {
			snprintf(id, sizeof(id), "x-%d", i);
			CHECK(evgen_event(g, (uint64_t)i, NOW_MS, &p, &t) == 0);
			type = check_event(p.data, t.data, id, NOW_MS);
			CHECK_STR(type, types[k]);
		}
	}
	buf_free(&p);
	buf_free(&t);
	evgen_free(g);
}

static void
test_determinism(void)
{
	struct evgen *a = gen("d", 5, 0), *b = gen("d", 5, 0);
	struct evgen *c = gen("d", 6, 0), *off = gen("d", 5, 2 * 86400000LL);
	struct buf pa, pb, t;
	char *first;
	int differ = 0, i;

	buf_init(&pa, 1 << 22);
	buf_init(&pb, 1 << 22);
	buf_init(&t, 512);
	for (i = 0; i < 200; i++) {
		evgen_event(a, (uint64_t)i, NOW_MS, &pa, &t);
		evgen_event(b, (uint64_t)i, NOW_MS, &pb, &t);
		CHECK_STR(pa.data, pb.data);
		evgen_event(c, (uint64_t)i, NOW_MS, &pb, &t);
		differ += strcmp(pa.data, pb.data) != 0;
	}
	CHECK_INT(differ, 200);
	/* Order does not matter: event 3 is event 3. */
	evgen_event(a, 3, NOW_MS, &pa, &t);
	first = xstrdup(pa.data);
	evgen_event(a, 99, NOW_MS, &pa, &t);
	evgen_event(a, 3, NOW_MS, &pa, &t);
	CHECK_STR(first, pa.data);
	free(first);
	/* --time-offset-days moves the event time back. */
	evgen_event(off, 0, NOW_MS, &pa, &t);
	check_event(pa.data, t.data, "d-0", NOW_MS - 2 * 86400000LL);
	buf_free(&pa);
	buf_free(&pb);
	buf_free(&t);
	evgen_free(a);
	evgen_free(b);
	evgen_free(c);
	evgen_free(off);
}

static void
test_config_errors(void)
{
	struct evgen_config c = { "karo", "ok", 1, 0, 1024 };
	struct evgen *g;
	unsigned mask = 0;

	c.site = "ka/ro";
	CHECK(evgen_new(&c) == NULL);
	c.site = "karo";
	c.prefix = "a\"b";
	CHECK(evgen_new(&c) == NULL);
	c.prefix = "";
	CHECK(evgen_new(&c) == NULL);
	c.prefix = "ok";
	c.large_bytes = EVGEN_LARGE_MAX + 1;
	CHECK(evgen_new(&c) == NULL);
	c.large_bytes = 1024;
	g = evgen_new(&c);
	CHECK(g != NULL);
	CHECK(evgen_set_mix(g, "foo.bar=1") == -1);
	CHECK(evgen_set_mix(g, "gps.position=x") == -1);
	CHECK(evgen_set_mix(g, "gps.position=0") == -1);
	CHECK(evgen_set_mix(g, "gps.position") == -1);
	CHECK(evgen_set_mix(g, "gps.position=-1") == -1);
	CHECK(evgen_set_mix(g, "gps.alarm=3,sp2d.issued=1") == 0);
	evgen_free(g);
	evgen_free(NULL);

	CHECK(evgen_bad_parse("schema", &mask) == 0);
	CHECK_INT(mask, 1U << EVGEN_BAD_SCHEMA);
	CHECK(evgen_bad_parse("nope", &mask) == -1);
	CHECK(evgen_bad_parse("all", &mask) == 0);
	CHECK_INT(mask, (1U << EVGEN_BAD_COUNT) - 1);
	CHECK_STR(evgen_bad_name(EVGEN_BAD_ID_CONFLICT), "id_conflict");
}

static void
test_bad(void)
{
	struct evgen *g = gen("b", 3, 0);
	struct buf p, t, orig, otopic;
	cJSON *ev, *o;
	char *d1, *d2;

	buf_init(&p, EVGEN_LARGE_MAX + 65536);
	buf_init(&t, 512);
	buf_init(&orig, 1 << 20);
	buf_init(&otopic, 512);

	CHECK(evgen_bad(g, EVGEN_BAD_INVALID_JSON, 10, NOW_MS, &p, &t) == 0);
	CHECK(cJSON_Parse(p.data) == NULL);
	CHECK(strstr(p.data, "\"id\":\"b-bad-invalid_json\"") != NULL);

	CHECK(evgen_bad(g, EVGEN_BAD_TOO_LARGE, 10, NOW_MS, &p, &t) == 0);
	CHECK(p.len > (size_t)1 << 20);
	ev = cJSON_Parse(p.data);
	CHECK(ev != NULL);
	CHECK_STR(str(ev, "id"), "b-bad-too_large");
	CHECK_STR(str(ev, "type"), "complaint.created");
	CHECK_STR(t.data, "karo/ev/diskominfo/pengaduan/complaint.created");
	cJSON_Delete(ev);

	CHECK(evgen_bad(g, EVGEN_BAD_ENVELOPE, 10, NOW_MS, &p, &t) == 0);
	ev = cJSON_Parse(p.data);
	CHECK(ev != NULL && cJSON_GetObjectItem(ev, "id") == NULL);
	CHECK_STR(str(ev, "type"), "gps.position");
	cJSON_Delete(ev);

	CHECK(evgen_bad(g, EVGEN_BAD_SCHEMA, 10, NOW_MS, &p, &t) == 0);
	ev = cJSON_Parse(p.data);
	CHECK_STR(str(ev, "id"), "b-bad-schema");
	CHECK_DBL(num(cJSON_GetObjectItem(ev, "data"), "lat"), 123.0, 1e-9);
	CHECK_STR(t.data, "karo/ev/dishub/gps/gps.position");
	cJSON_Delete(ev);

	CHECK(evgen_bad(g, EVGEN_BAD_OPD_MISMATCH, 10, NOW_MS, &p, &t) == 0);
	ev = cJSON_Parse(p.data);
	CHECK_STR(str(ev, "opd"), "dishub");
	CHECK_STR(str(ev, "id"), "b-bad-opd_mismatch");
	CHECK_STR(t.data, "karo/ev/bpkad/gps/gps.position");
	cJSON_Delete(ev);

	CHECK(evgen_bad(g, EVGEN_BAD_UNKNOWN_TYPE, 10, NOW_MS, &p, &t) == 0);
	ev = cJSON_Parse(p.data);
	CHECK_STR(str(ev, "type"), "foo.bar");
	CHECK_STR(str(ev, "id"), "b-bad-unknown_type");
	CHECK_STR(t.data, "karo/ev/dishub/gps/foo.bar");
	cJSON_Delete(ev);

	/* Same id, type and topic as event 10, other data. */
	CHECK(evgen_event(g, 10, NOW_MS, &orig, &otopic) == 0);
	CHECK(evgen_bad(g, EVGEN_BAD_ID_CONFLICT, 10, NOW_MS, &p, &t) == 0);
	CHECK_STR(t.data, otopic.data);
	ev = cJSON_Parse(p.data);
	o = cJSON_Parse(orig.data);
	CHECK_STR(str(ev, "id"), "b-10");
	CHECK_STR(str(ev, "type"), str(o, "type"));
	d1 = cJSON_PrintUnformatted(cJSON_GetObjectItem(ev, "data"));
	d2 = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "data"));
	CHECK(d1 != NULL && d2 != NULL && strcmp(d1, d2) != 0);
	free(d1);
	free(d2);
	cJSON_Delete(ev);
	cJSON_Delete(o);

	CHECK(evgen_bad(g, EVGEN_BAD_COUNT, 10, NOW_MS, &p, &t) == -1);
	buf_free(&p);
	buf_free(&t);
	buf_free(&orig);
	buf_free(&otopic);
	evgen_free(g);
}

static void
test_buffer_limit(void)
{
	struct evgen *g = gen("l", 1, 0);
	struct buf p, t;

	buf_init(&p, 64);
	buf_init(&t, 512);
	CHECK(evgen_event(g, 1, NOW_MS, &p, &t) == -1);
	buf_free(&p);
	buf_free(&t);
	evgen_free(g);
}

int
main(void)
{
	test_default_mix();
	test_every_type();
	test_determinism();
	test_config_errors();
	test_bad();
	test_buffer_limit();
	return testlib_done();
}
