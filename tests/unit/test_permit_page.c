/*
 * test_permit_page: SiCantik's records as the perizinan adapter reads them
 * (adapters/perizinan/page): a realistic page with every field and status
 * kind, the time formats (RFC 3339 with microseconds, Laravel's zone-less
 * "Y-m-d H:i:s" in WIB, bare dates for deadlines), numeric and string ids,
 * the status table (defaults, normalisation, overrides, unknown statuses),
 * each way a page is malformed with the reason it gives, the limits,
 * webhook bodies, the event data checked against the real schemas in
 * schemas/ (as the hub would check them), and the watermark (order,
 * format, parse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cloudevent.h"
#include "log.h"
#include "page.h"
#include "schemaset.h"
#include "testlib.h"
#include "util.h"

static struct page_statuses *statuses;
static struct page_rules rules;

#define REC_ISSUED \
	"{\"id\":8812,\"no_permohonan\":\"503/0123/DPMPTSP/2026\"," \
	"\"jenis_izin\":\"Persetujuan Bangunan Gedung (PBG)\"," \
	"\"nama_pemohon\":\"  CV Sinar Karo \",\"status\":\"Izin Terbit\"," \
	"\"tgl_pengajuan\":\"2026-11-20 09:15:00\"," \
	"\"batas_waktu_sla\":\"2026-12-04\"," \
	"\"no_izin\":\"PBG-1207-0042-2026\",\"alasan_tolak\":null," \
	"\"updated_at\":\"2026-11-27T03:00:00.123456Z\",\"nik\":\"x\"}"
#define REC_REJECTED \
	"{\"id\":\"a-77\",\"no_permohonan\":\"503/0124/DPMPTSP/2026\"," \
	"\"jenis_izin\":\"Izin Praktik Dokter\",\"nama_pemohon\":\"dr. Rina " \
	"Br Ginting\",\"status\":\"DITOLAK\"," \
	"\"tgl_pengajuan\":\"2026-11-21T08:00:00+07:00\"," \
	"\"batas_waktu_sla\":\"2026-11-28 16:00:00\"," \
	"\"alasan_tolak\":\"Surat Tanda Registrasi sudah tidak berlaku\"," \
	"\"updated_at\":\"2026-11-27 10:00:00\"}"
#define REC_DRAFT \
	"{\"id\":8813,\"no_permohonan\":\"503/0125/DPMPTSP/2026\"," \
	"\"status\":\"draft\",\"updated_at\":\"2026-11-27T03:00:00.5Z\"}"
#define REC_ODD \
	"{\"id\":8814,\"no_permohonan\":\"503/0126/DPMPTSP/2026\"," \
	"\"status\":\"Menunggu Tanda Tangan Kadis\"," \
	"\"updated_at\":\"2026-11-27T03:00:01Z\"}"

static struct page *
parse_ok(const char *body)
{
	struct page *pg = NULL;
	char err[256] = "";

	if (page_parse(body, strlen(body), &rules, &pg, err, sizeof(err)) ==
	    -1)
		testlib_fail(__FILE__, __LINE__, "page_parse: %s", err);
	else
		testlib_passed++;
	return pg;
}

/* The page fails with a reason containing want. */
static void
parse_bad(int line, const char *body, size_t len, const char *want)
{
	struct page *pg = (struct page *)1;
	char err[256] = "";

	if (page_parse(body, len, &rules, &pg, err, sizeof(err)) != -1 ||
	    pg != NULL || strstr(err, want) == NULL)
		testlib_fail(__FILE__, line, "want failure with '%s', got "
		    "'%s'", want, err);
	else
		testlib_passed++;
}
#define BAD(body, want) parse_bad(__LINE__, body, strlen(body), want)

static void
test_page(void)
{
	struct page *pg;
	const struct permit *p;

	pg = parse_ok("{\"data\":[" REC_ISSUED "," REC_REJECTED "," REC_DRAFT
	    "," REC_ODD "],\"meta\":{\"page\":2,\"last_page\":3,"
	    "\"total\":25,\"per_page\":4}}");
	if (pg == NULL)
		return;
	CHECK_INT(pg->npermits, 4);
	CHECK_INT(pg->page, 2);
	CHECK_INT(pg->last_page, 3);
	CHECK_INT(pg->total, 25);

	p = &pg->permits[0];
	CHECK_STR(p->id, "8812");
	CHECK_STR(p->no_permohonan, "503/0123/DPMPTSP/2026");
	CHECK_STR(p->jenis_izin, "Persetujuan Bangunan Gedung (PBG)");
	CHECK_STR(p->nama_pemohon, "CV Sinar Karo"); /* trimmed */
	CHECK_STR(p->status_raw, "Izin Terbit");
	CHECK_STR(p->status_key, "izin_terbit");
	CHECK_INT(p->status, PERMIT_ISSUED);
	/* WIB 09:15 is 02:15 UTC. */
	CHECK_STR(p->submitted_at, "2026-11-20T02:15:00.000Z");
	/* A bare date deadline is the end of that day in WIB. */
	CHECK_STR(p->sla_deadline, "2026-12-04T16:59:59.000Z");
	CHECK_STR(p->no_izin, "PBG-1207-0042-2026");
	CHECK(p->alasan == NULL);
	CHECK_STR(p->updated_at, "2026-11-27T03:00:00.123456Z");
	CHECK_INT(p->updated_us, 1795748400123456LL);

	p = &pg->permits[1];
	CHECK_STR(p->id, "a-77");
	CHECK_INT(p->status, PERMIT_REJECTED);
	CHECK_STR(p->submitted_at, "2026-11-21T01:00:00.000Z");
	CHECK_STR(p->sla_deadline, "2026-11-28T09:00:00.000Z");
	CHECK_STR(p->alasan, "Surat Tanda Registrasi sudah tidak berlaku");
	CHECK(p->no_izin == NULL);
	CHECK_STR(p->updated_at, "2026-11-27T03:00:00.000000Z");

	CHECK_INT(pg->permits[2].status, PERMIT_IGNORE);
	CHECK_STR(pg->permits[2].updated_at, "2026-11-27T03:00:00.500000Z");
	CHECK(pg->permits[2].jenis_izin == NULL);
	CHECK_INT(pg->permits[3].status, PERMIT_UNKNOWN);
	CHECK_STR(pg->permits[3].status_key, "menunggu_tanda_tangan_kadis");
	CHECK(page_permit_data(&pg->permits[2]) == NULL);
	CHECK(page_permit_data(&pg->permits[3]) == NULL);
	page_free(pg);

	/* Laravel's paginator: meta.current_page; an empty result. */
	pg = parse_ok("{\"data\":[],\"meta\":{\"current_page\":1,"
	    "\"last_page\":1,\"total\":0},\"links\":{}}");
	if (pg != NULL) {
		CHECK_INT(pg->npermits, 0);
		CHECK_INT(pg->page, 1);
	}
	page_free(pg);
	pg = parse_ok("  {\"meta\":{\"page\":1,\"last_page\":0,\"total\":0},"
	    "\"data\":[]}\r\n");
	page_free(pg);

	/* A numeric status code, mapped through [status]. */
	pg = parse_ok("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-001\","
	    "\"status\":4,\"updated_at\":\"2026-11-27T03:00:00Z\"}],"
	    "\"meta\":{\"page\":1,\"last_page\":1,\"total\":1}}");
	if (pg != NULL) {
		CHECK_STR(pg->permits[0].status_raw, "4");
		CHECK_INT(pg->permits[0].status, PERMIT_UNKNOWN);
	}
	page_free(pg);

	/* Unreadable dates of content stay as they are (the schema decides). */
	pg = parse_ok("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-001\","
	    "\"status\":\"baru\",\"tgl_pengajuan\":\"20/11/2026\","
	    "\"batas_waktu_sla\":\"2026-02-30\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"}],"
	    "\"meta\":{\"page\":1,\"last_page\":1,\"total\":1}}");
	if (pg != NULL) {
		CHECK_STR(pg->permits[0].submitted_at, "20/11/2026");
		CHECK_STR(pg->permits[0].sla_deadline, "2026-02-30");
	}
	page_free(pg);
}

static void
test_malformed(void)
{
	char big[PAGE_TEXT_MAX + 200], *many;
	struct buf b;
	size_t i;
	struct page_rules small = rules;
	struct page *pg = NULL;
	char err[256];

	BAD("", "empty body");
	BAD("<html>502 Bad Gateway</html>", "not JSON");
	BAD("{\"data\":[],\"meta\":{\"page\":1,\"last_page\":1,\"total\":0}"
	    "} x", "trailing bytes");
	parse_bad(__LINE__, "{\"data\":[]}\0{}", 14, "NUL byte");
	BAD("[]", "not a JSON object");
	BAD("{\"meta\":{\"page\":1,\"last_page\":1,\"total\":0}}",
	    "no \"data\" array");
	BAD("{\"data\":{},\"meta\":{\"page\":1,\"last_page\":1,\"total\":0}}",
	    "no \"data\" array");
	BAD("{\"data\":[]}", "no \"meta\" object");
	BAD("{\"data\":[],\"meta\":{\"last_page\":1,\"total\":0}}",
	    "meta.page");
	BAD("{\"data\":[],\"meta\":{\"page\":0,\"last_page\":1,\"total\":0}}",
	    "meta.page");
	BAD("{\"data\":[],\"meta\":{\"page\":1,\"total\":0}}",
	    "meta.last_page");
	BAD("{\"data\":[],\"meta\":{\"page\":1,\"last_page\":1.5,"
	    "\"total\":0}}", "meta.last_page");
	BAD("{\"data\":[],\"meta\":{\"page\":1,\"last_page\":1}}",
	    "meta.total");
	BAD("{\"data\":[" REC_DRAFT "],\"meta\":{\"page\":1,\"last_page\":1,"
	    "\"total\":0}}", "less than the 1 records");
	BAD("{\"data\":[" REC_DRAFT "],\"meta\":{\"page\":3,\"last_page\":2,"
	    "\"total\":9}}", "after last_page");
#define META ",\"meta\":{\"page\":1,\"last_page\":1,\"total\":9}}"
	BAD("{\"data\":[1]" META, "data[0]: not an object");
	BAD("{\"data\":[" REC_DRAFT ",{\"no_permohonan\":\"P-1\","
	    "\"status\":\"baru\",\"updated_at\":\"2026-11-27T03:00:00Z\"}]"
	    META, "data[1].id: missing");
	BAD("{\"data\":[{\"id\":1.5,\"no_permohonan\":\"P-1\"}]" META,
	    "data[0].id: not an integer");
	BAD("{\"data\":[{\"id\":-1,\"no_permohonan\":\"P-1\"}]" META,
	    "data[0].id: not an integer");
	BAD("{\"data\":[{\"id\":\"a b\",\"no_permohonan\":\"P-1\"}]" META,
	    "data[0].id: must be");
	BAD("{\"data\":[{\"id\":\"\",\"no_permohonan\":\"P-1\"}]" META,
	    "data[0].id: must be");
	BAD("{\"data\":[{\"id\":true}]" META, "data[0].id: missing");
	BAD("{\"data\":[{\"id\":1,\"status\":\"baru\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"}]" META,
	    "no_permohonan missing");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"   \","
	    "\"status\":\"baru\"}]" META, "no_permohonan missing");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-1\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"}]" META,
	    "status missing");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-1\","
	    "\"status\":\"baru\"}]" META, "updated_at missing");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-1\","
	    "\"status\":\"baru\",\"updated_at\":\"kemarin\"}]" META,
	    "updated_at 'kemarin' is not a date-time");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-1\","
	    "\"status\":\"baru\",\"updated_at\":\"2026-11-27T03:00:00Z\","
	    "\"jenis_izin\":12}]" META, "data[0].jenis_izin: not a string");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":[\"P-1\"]}]" META,
	    "data[0].no_permohonan: not a string");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-1\","
	    "\"status\":-3}]" META, "data[0].status: a number");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-\xc3\x28\"}]" META,
	    "not valid UTF-8");
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-\xed\xa0\x80\"}]" META,
	    "not valid UTF-8");	/* a surrogate */
	BAD("{\"data\":[{\"id\":1,\"no_permohonan\":\"P-\xc0\xaf\"}]" META,
	    "not valid UTF-8");	/* overlong */

	/* A string longer than PAGE_TEXT_MAX. */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "{\"data\":[{\"id\":1,\"no_permohonan\":"
	    "\"P-1\",\"alasan_tolak\":\"");
	i = strlen(big);
	memset(big + i, 'x', PAGE_TEXT_MAX + 1);
	strlcpy_s(big + i + PAGE_TEXT_MAX + 1, "\"}]" META,
	    sizeof(big) - i - PAGE_TEXT_MAX - 1);
	BAD(big, "longer than 8192 bytes");

	/* More records than max_records. */
	small.max_records = 3;
	buf_init(&b, 0);
	buf_appendf(&b, "{\"data\":[");
	for (i = 0; i < 4; i++)
		buf_appendf(&b, "%s" REC_DRAFT, i ? "," : "");
	buf_appendf(&b, "]" META);
	buf_terminate(&b);
	many = b.data;
	CHECK_INT(page_parse(many, b.len, &small, &pg, err, sizeof(err)), -1);
	CHECK(strstr(err, "4 records, more than the limit of 3") != NULL);
	CHECK(pg == NULL);
	small.max_records = 4;
	CHECK_INT(page_parse(many, b.len, &small, &pg, err, sizeof(err)), 0);
	page_free(pg);
	buf_free(&b);

	/* Deep nesting is refused by cJSON's limit, not by a crash. */
	buf_init(&b, 0);
	buf_appendf(&b, "{\"data\":[],\"x\":");
	for (i = 0; i < 5000; i++)
		buf_append(&b, "[", 1);
	for (i = 0; i < 5000; i++)
		buf_append(&b, "]", 1);
	buf_appendf(&b, "}");
	parse_bad(__LINE__, b.data, b.len, "not JSON");
	buf_free(&b);
#undef META
}

static void
test_push(void)
{
	struct page *pg = NULL;
	char err[256];
	const char *one = REC_ISSUED;
	const char *arr = "[" REC_ISSUED "," REC_REJECTED "]";
	const char *wrapped = "{\"data\":" REC_REJECTED "}";

	CHECK_INT(page_parse_push(one, strlen(one), &rules, &pg, err,
	    sizeof(err)), 0);
	if (pg != NULL) {
		CHECK_INT(pg->npermits, 1);
		CHECK_STR(pg->permits[0].no_permohonan,
		    "503/0123/DPMPTSP/2026");
	}
	page_free(pg);
	CHECK_INT(page_parse_push(arr, strlen(arr), &rules, &pg, err,
	    sizeof(err)), 0);
	if (pg != NULL)
		CHECK_INT(pg->npermits, 2);
	page_free(pg);
	CHECK_INT(page_parse_push(wrapped, strlen(wrapped), &rules, &pg, err,
	    sizeof(err)), 0);
	if (pg != NULL)
		CHECK_STR(pg->permits[0].id, "a-77");
	page_free(pg);

	CHECK_INT(page_parse_push("[]", 2, &rules, &pg, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "no records");
	CHECK_INT(page_parse_push("\"x\"", 3, &rules, &pg, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "not a record") != NULL);
	CHECK_INT(page_parse_push("[1]", 3, &rules, &pg, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "data[0]: not an object");
	CHECK_INT(page_parse_push("{}", 2, &rules, &pg, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "data[0].id: missing (a number or a string)");
	CHECK(pg == NULL);
}

/* Builds the event of p and checks it against the schemas. */
static enum event_check
check_event(const struct schemaset *set, const struct permit *p,
    char *diag, size_t diaglen)
{
	struct cloudevent *ev;
	char type[32];
	enum event_check ec;
	cJSON *data = page_permit_data(p);

	snprintf(type, sizeof(type), "permit.%s", page_status_name(p->status));
	ev = cloudevent_new("karo", "dpmptsp", "sicantik", type);
	cloudevent_set_id_record(ev, p->no_permohonan, p->updated_at);
	cloudevent_set_subject(ev, p->no_permohonan);
	cloudevent_take_data(ev, data);
	ec = schemaset_check(set, cloudevent_json(ev), diag, diaglen);
	cloudevent_free(ev);
	return ec;
}

static void
test_events(void)
{
	struct schemaset *set = schemaset_load("schemas");
	struct page *pg = NULL;
	char diag[1024], err[256];
	cJSON *d;
	const char *body = "[" REC_ISSUED "," REC_REJECTED ","
	    "{\"id\":9,\"no_permohonan\":\"503/0127/DPMPTSP/2026\","
	    "\"jenis_izin\":\"Izin Usaha\",\"nama_pemohon\":\"Budi\","
	    "\"status\":\"terbit\",\"tgl_pengajuan\":\"2026-11-20\","
	    "\"batas_waktu_sla\":\"2026-12-04\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"},"
	    "{\"id\":10,\"no_permohonan\":\"503/0128/DPMPTSP/2026\","
	    "\"jenis_izin\":\"Izin Usaha\",\"nama_pemohon\":\"Budi\","
	    "\"status\":\"baru\",\"tgl_pengajuan\":\"20/11/2026\","
	    "\"batas_waktu_sla\":\"2026-12-04\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"},"
	    "{\"id\":11,\"no_permohonan\":\"503/0129/DPMPTSP/2026\","
	    "\"status\":\"Terverifikasi\",\"nama_pemohon\":\"Budi\","
	    "\"tgl_pengajuan\":\"2026-11-20\",\"batas_waktu_sla\":\"2026-12-04\","
	    "\"updated_at\":\"2026-11-27T03:00:00Z\"}]";

	CHECK(set != NULL);
	if (set == NULL)
		return;
	CHECK_INT(page_parse_push(body, strlen(body), &rules, &pg, err,
	    sizeof(err)), 0);
	if (pg == NULL) {
		schemaset_free(set);
		return;
	}

	d = page_permit_data(&pg->permits[0]);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "status")),
	    "issued");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "pemohon")),
	    "CV Sinar Karo");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "nomor_izin")),
	    "PBG-1207-0042-2026");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "sicantik_id")),
	    "8812");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d,
	    "sicantik_status")), "Izin Terbit");
	CHECK(cJSON_GetObjectItem(d, "alasan") == NULL);
	/* SiCantik's extra fields (a NIK) never reach the bus. */
	CHECK(cJSON_GetObjectItem(d, "nik") == NULL);
	cJSON_Delete(d);

	CHECK_INT(check_event(set, &pg->permits[0], diag, sizeof(diag)),
	    EVENT_OK);
	CHECK_INT(check_event(set, &pg->permits[1], diag, sizeof(diag)),
	    EVENT_OK);
	/* Issued without no_izin: the schema refuses it, naming the field. */
	CHECK_INT(check_event(set, &pg->permits[2], diag, sizeof(diag)),
	    EVENT_SCHEMA);
	CHECK(strstr(diag, "nomor_izin") != NULL);
	/* An unreadable submission date. */
	CHECK_INT(check_event(set, &pg->permits[3], diag, sizeof(diag)),
	    EVENT_SCHEMA);
	CHECK(strstr(diag, "submitted_at") != NULL);
	/* No jenis_izin. */
	CHECK_INT(check_event(set, &pg->permits[4], diag, sizeof(diag)),
	    EVENT_SCHEMA);
	CHECK(strstr(diag, "jenis_izin") != NULL);
	page_free(pg);
	schemaset_free(set);
}

static void
test_statuses(void)
{
	struct page_statuses *st = page_statuses_new();
	char key[PAGE_STATUS_MAX + 1], err[256], dump[8192];
	char longname[PAGE_STATUS_MAX + 10];
	int i;

	CHECK_INT(page_status_normalise("  Izin  Terbit ", key), 0);
	CHECK_STR(key, "izin_terbit");
	CHECK_INT(page_status_normalise("Verifikasi-Selesai", key), 0);
	CHECK_STR(key, "verifikasi_selesai");
	CHECK_INT(page_status_normalise("Ditolak/Dibatalkan", key), 0);
	CHECK_STR(key, "ditolak_dibatalkan");
	CHECK_INT(page_status_normalise("v2.0", key), 0);
	CHECK_STR(key, "v2.0");
	CHECK_INT(page_status_normalise("   ", key), -1);
	CHECK_INT(page_status_normalise("terbit!", key), -1);
	CHECK_INT(page_status_normalise("t\xc3\xa9rbit", key), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(page_status_normalise(longname, key), -1);
	longname[PAGE_STATUS_MAX] = '\0';
	CHECK_INT(page_status_normalise(longname, key), 0);

	CHECK_INT(page_status_of(st, "terbit"), PERMIT_ISSUED);
	CHECK_INT(page_status_of(st, "baru"), PERMIT_SUBMITTED);
	CHECK_INT(page_status_of(st, "terverifikasi"), PERMIT_VERIFIED);
	CHECK_INT(page_status_of(st, "ditolak"), PERMIT_REJECTED);
	CHECK_INT(page_status_of(st, "draft"), PERMIT_IGNORE);
	CHECK_INT(page_status_of(st, "selesai_ttd"), PERMIT_UNKNOWN);

	/* Overrides and additions from [status]. */
	CHECK_INT(page_statuses_set(st, "Selesai", "ignore", err,
	    sizeof(err)), 0);
	CHECK_INT(page_status_of(st, "selesai"), PERMIT_IGNORE);
	CHECK_INT(page_statuses_set(st, "4", "issued", err, sizeof(err)), 0);
	CHECK_INT(page_status_of(st, "4"), PERMIT_ISSUED);
	CHECK_INT(page_statuses_set(st, "x", "terbit", err, sizeof(err)), -1);
	CHECK(strstr(err, "must map to") != NULL);
	CHECK_INT(page_statuses_set(st, "x", "unknown", err, sizeof(err)),
	    -1);
	CHECK_INT(page_statuses_set(st, "a;b", "issued", err, sizeof(err)),
	    -1);
	page_statuses_dump(st, dump, sizeof(dump));
	CHECK(strstr(dump, "terbit = issued\n") != NULL);
	CHECK(strstr(dump, "selesai = ignore\n") != NULL);
	CHECK(strstr(dump, "4 = issued\n") != NULL);
	/* The table is bounded. */
	for (i = 0; i < PAGE_STATUSES_MAX; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		if (page_statuses_set(st, key, "ignore", err, sizeof(err)) ==
		    -1)
			break;
	}
	CHECK(i < PAGE_STATUSES_MAX);
	CHECK(strstr(err, "more than") != NULL);
	page_statuses_free(st);

	CHECK_STR(page_status_name(PERMIT_REJECTED), "rejected");
	CHECK_STR(page_status_name((enum permit_status)42), "unknown");
}

static void
test_times(void)
{
	char out[PAGE_TIME_LEN];
	int64_t us;
	int tz;

	CHECK_INT(parse_utc_offset("+07:00", &tz), 0);
	CHECK_INT(tz, 420);
	CHECK_INT(parse_utc_offset("-03:30", &tz), 0);
	CHECK_INT(tz, -210);
	CHECK_INT(parse_utc_offset("Z", &tz), 0);
	CHECK_INT(tz, 0);
	CHECK_INT(parse_utc_offset("+7", &tz), -1);
	CHECK_INT(parse_utc_offset("+15:00", &tz), -1);
	CHECK_INT(parse_utc_offset("WIB", &tz), -1);
	/* A sign where a digit belongs (strtol would take it). */
	CHECK_INT(parse_utc_offset("++7:00", &tz), -1);
	CHECK_INT(parse_utc_offset("+-0:30", &tz), -1);
	CHECK_INT(parse_utc_offset("+07:+5", &tz), -1);

	CHECK_INT(page_time_parse("2026-11-27T03:00:00Z", 420, 0, &us), 0);
	CHECK_INT(us, 1795748400000000LL);
	CHECK_INT(page_time_parse("2026-11-27 10:00:00", 420, 0, &us), 0);
	CHECK_INT(us, 1795748400000000LL);
	CHECK_INT(page_time_parse("2026-11-27 10:00:00.000001", 420, 0, &us),
	    0);
	CHECK_INT(us, 1795748400000001LL);
	CHECK_INT(page_time_parse("2026-11-26 23:30:00", -210, 0, &us), 0);
	CHECK_INT(us, 1795748400000000LL);
	CHECK_INT(page_time_parse("2026-11-27", 420, 0, &us), 0);
	page_time_format_us(us, out);
	CHECK_STR(out, "2026-11-26T17:00:00.000000Z");
	CHECK_INT(page_time_parse("2026-11-27", 420, 1, &us), 0);
	page_time_format_us(us, out);
	CHECK_STR(out, "2026-11-27T16:59:59.000000Z");
	CHECK_INT(page_time_parse("2026-11-27T10:00:00+07:00", 0, 0, &us), 0);
	CHECK_INT(us, 1795748400000000LL);
	CHECK_INT(page_time_parse("2026-11-27T10:00:00+07:00", 420, 1, &us),
	    0);
	CHECK_INT(us, 1795748400000000LL);
	CHECK_INT(page_time_parse("", 420, 0, &us), -1);
	CHECK_INT(page_time_parse("2026-11-27 10:00", 420, 0, &us), -1);
	CHECK_INT(page_time_parse("27-11-2026", 420, 0, &us), -1);
	CHECK_INT(page_time_parse("2026-11-27T10:00:00+07:00Z", 420, 0, &us),
	    -1);
	CHECK_INT(page_time_parse("2026-13-01", 420, 0, &us), -1);

	page_time_format_us(1795748400123456LL, out);
	CHECK_STR(out, "2026-11-27T03:00:00.123456Z");
	page_time_format_us(0, out);
	CHECK_STR(out, "1970-01-01T00:00:00.000000Z");
	page_time_format_us(-1, out);
	CHECK_STR(out, "1969-12-31T23:59:59.999999Z");
}

static void
test_marks(void)
{
	struct page_mark a, b, none, m;
	char s[PAGE_MARK_LEN];

	CHECK(page_id_cmp("9", "10") < 0);
	CHECK(page_id_cmp("10", "9") > 0);
	CHECK(page_id_cmp("0010", "10") == 0);
	CHECK(page_id_cmp("0", "00") == 0);
	CHECK(page_id_cmp("99", "a") < 0);	/* numbers first */
	CHECK(page_id_cmp("a", "99") > 0);
	CHECK(page_id_cmp("a-10", "a-9") < 0);	/* bytes */
	CHECK(page_id_cmp("", "0") < 0);	/* "" first of all */
	CHECK(page_id_cmp("", "a") < 0);
	CHECK(page_id_cmp("", "") == 0);

	page_mark_none(&none);
	a.us = 1795748400123456LL;
	strlcpy_s(a.id, "8812", sizeof(a.id));
	b = a;
	CHECK_INT(page_mark_cmp(&a, &b), 0);
	strlcpy_s(b.id, "8813", sizeof(b.id));
	CHECK(page_mark_cmp(&a, &b) < 0);
	b.us--;
	CHECK(page_mark_cmp(&a, &b) > 0);
	CHECK(page_mark_cmp(&none, &a) < 0);
	b = a;
	b.id[0] = '\0';
	CHECK(page_mark_cmp(&b, &a) < 0);

	page_mark_format(&a, s);
	CHECK_STR(s, "2026-11-27T03:00:00.123456Z|8812");
	CHECK_INT(page_mark_parse(s, &m), 0);
	CHECK_INT(page_mark_cmp(&m, &a), 0);
	CHECK_INT(m.us, a.us);
	CHECK_INT(page_mark_parse("2026-11-27T03:00:00.123456Z|", &m), 0);
	CHECK_STR(m.id, "");
	CHECK_INT(page_mark_parse("2026-11-27T03:00:00Z|a-77", &m), 0);
	CHECK_INT(m.us, 1795748400000000LL);
	CHECK_INT(page_mark_parse("2026-11-27T03:00:00Z", &m), -1);
	CHECK_INT(page_mark_parse("|8812", &m), -1);
	CHECK_INT(page_mark_parse("yesterday|8812", &m), -1);
	CHECK_INT(page_mark_parse("2026-11-27T03:00:00Z|a b", &m), -1);
	CHECK_INT(page_mark_parse("2026-11-27T03:00:00Z|a|b", &m), -1);
}

int
main(void)
{
	log_init("test_permit_page", LOG_LEVEL_WARN);
	statuses = page_statuses_new();
	rules.statuses = statuses;
	rules.tz_offset_min = 420;
	rules.max_records = 1000;
	test_page();
	test_malformed();
	test_push();
	test_events();
	test_statuses();
	test_times();
	test_marks();
	page_statuses_free(statuses);
	return testlib_done();
}
