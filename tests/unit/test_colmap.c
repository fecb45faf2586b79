/*
 * test_colmap: the SQL adapters' row-to-event map (adapters/lib/colmap.c).
 *
 * The value parsers on their edges (exact integers up to 10^15 and the
 * refusal of anything above, of fractions and of exponents; calendar dates;
 * timestamps with and without offsets; booleans), config lines and their
 * errors, binding to a result (case-insensitive names, missing and doubled
 * columns, column kinds that cannot give a conversion), and mapping rows:
 * data fields of every type, NULLs, constants, nested fields, [types] with
 * skips, lookups, and the id parts, whose version carries a digest of the
 * content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colmap.h"
#include "testlib.h"

static char err[512];

static void
test_parse_int(void)
{
	int64_t v = 0;

	CHECK(colmap_parse_int("0", &v) == 0 && v == 0);
	CHECK(colmap_parse_int("250000000", &v) == 0 && v == 250000000);
	CHECK(colmap_parse_int("999999999999999", &v) == 0 &&
	    v == 999999999999999LL);
	CHECK(colmap_parse_int("1000000000000000", &v) == 0 &&
	    v == 1000000000000000LL);
	CHECK(colmap_parse_int("-1000000000000000", &v) == 0 &&
	    v == -1000000000000000LL);
	CHECK(colmap_parse_int("1000000000000001", &v) == -1);
	CHECK(colmap_parse_int("9999999999999999", &v) == -1);
	CHECK(colmap_parse_int("99999999999999999999999", &v) == -1);
	CHECK(colmap_parse_int("9223372036854775808", &v) == -1);
	/* NUMERIC(18,2) and MONEY print zeros after the point: exact. */
	CHECK(colmap_parse_int("1500000.00", &v) == 0 && v == 1500000);
	CHECK(colmap_parse_int("1500000.0000", &v) == 0 && v == 1500000);
	CHECK(colmap_parse_int("1000000000000000.00", &v) == 0 &&
	    v == 1000000000000000LL);
	CHECK(colmap_parse_int("  42 ", &v) == 0 && v == 42);
	CHECK(colmap_parse_int("007", &v) == 0 && v == 7);
	CHECK(colmap_parse_int("-0", &v) == 0 && v == 0);
	/* Not integers, or not exact. */
	CHECK(colmap_parse_int("12.50", &v) == -1);
	CHECK(colmap_parse_int("0.01", &v) == -1);
	CHECK(colmap_parse_int("1500000.0001", &v) == -1);
	CHECK(colmap_parse_int("1e6", &v) == -1);
	CHECK(colmap_parse_int("1E+15", &v) == -1);
	CHECK(colmap_parse_int("1.", &v) == -1);
	CHECK(colmap_parse_int(".5", &v) == -1);
	CHECK(colmap_parse_int("", &v) == -1);
	CHECK(colmap_parse_int(" ", &v) == -1);
	CHECK(colmap_parse_int("-", &v) == -1);
	CHECK(colmap_parse_int("1,500,000", &v) == -1);
	CHECK(colmap_parse_int("1.500.000", &v) == -1);
	CHECK(colmap_parse_int("0x10", &v) == -1);
	CHECK(colmap_parse_int("12abc", &v) == -1);
	CHECK(colmap_parse_int("NaN", &v) == -1);
	CHECK(colmap_parse_int("inf", &v) == -1);
}

static void
test_parse_time(void)
{
	char d[11];
	int64_t ms = 0;
	int b = -1, off = 0;

	CHECK(colmap_parse_date("2026-01-05", d, sizeof(d)) == 0);
	CHECK_STR(d, "2026-01-05");
	CHECK(colmap_parse_date("2026-01-05 00:00:00.000", d, sizeof(d)) ==
	    0);
	CHECK_STR(d, "2026-01-05");
	CHECK(colmap_parse_date("2024-02-29", d, sizeof(d)) == 0);
	CHECK(colmap_parse_date("2026-02-29", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2100-02-29", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2000-02-29", d, sizeof(d)) == 0);
	CHECK(colmap_parse_date("2026-13-01", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2026-04-31", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("26-01-05", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2026/01/05", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2026-01-05x", d, sizeof(d)) == -1);
	CHECK(colmap_parse_date("2026-01-05", d, 10) == -1);

	/* Naive times are in the given zone (WIB = +420 min). */
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00", 420, &ms) == 0);
	CHECK_INT(ms, 1767574800000LL); /* 2026-01-05T01:00:00Z */
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00.123456", 420,
	    &ms) == 0);
	CHECK_INT(ms, 1767574800123LL);
	CHECK(colmap_parse_timestamp("2026-01-05T08:00:00.5", 420, &ms) == 0);
	CHECK_INT(ms, 1767574800500LL);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00", 420, &ms) == 0);
	CHECK_INT(ms, 1767574800000LL);
	CHECK(colmap_parse_timestamp("2026-01-05", 420, &ms) == 0);
	CHECK_INT(ms, 1767574800000LL - 8 * 3600000LL);
	/* An offset in the text wins over the zone. */
	CHECK(colmap_parse_timestamp("2026-01-05 01:00:00Z", 420, &ms) == 0);
	CHECK_INT(ms, 1767574800000LL);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00+07", 0, &ms) == 0);
	CHECK_INT(ms, 1767574800000LL);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00.0000000 +07:00", 0,
	    &ms) == 0);
	CHECK_INT(ms, 1767574800000LL);
	CHECK(colmap_parse_timestamp("2026-01-04 21:30:00-0330", 0, &ms) ==
	    0);
	CHECK_INT(ms, 1767574800000LL);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00.1234567891", 0,
	    &ms) == -1);
	CHECK(colmap_parse_timestamp("2026-01-05 24:00:00", 0, &ms) == -1);
	CHECK(colmap_parse_timestamp("2026-01-05 08:60:00", 0, &ms) == -1);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00+15", 0, &ms) == -1);
	CHECK(colmap_parse_timestamp("2026-01-05 08:00:00 UTC", 0, &ms) ==
	    -1);
	CHECK(colmap_parse_timestamp("yesterday", 0, &ms) == -1);
	CHECK(colmap_parse_timestamp("1970-01-01 00:00:00", 0, &ms) == 0 &&
	    ms == 0);
	CHECK(colmap_parse_timestamp("1969-12-31 23:59:59.999", 0, &ms) == 0);
	CHECK_INT(ms, -1);

	CHECK(colmap_parse_offset("+07:00", &off) == 0 && off == 420);
	CHECK(colmap_parse_offset("-0330", &off) == 0 && off == -210);
	CHECK(colmap_parse_offset("Z", &off) == 0 && off == 0);
	CHECK(colmap_parse_offset("UTC", &off) == 0 && off == 0);
	CHECK(colmap_parse_offset("WIB", &off) == -1);
	CHECK(colmap_parse_offset("+7", &off) == -1);

	CHECK(colmap_parse_bool("1", &b) == 0 && b == 1);
	CHECK(colmap_parse_bool("f", &b) == 0 && b == 0);
	CHECK(colmap_parse_bool(" TRUE ", &b) == 0 && b == 1);
	CHECK(colmap_parse_bool("Y", &b) == 0 && b == 1);
	CHECK(colmap_parse_bool("no", &b) == 0 && b == 0);
	CHECK(colmap_parse_bool("2", &b) == -1);
	CHECK(colmap_parse_bool("", &b) == -1);
}

static void
test_shift(void)
{
	char out[64];

	CHECK(colmap_timestamp_shift("2026-01-05 08:00:00.123456",
	    -48 * 3600000LL, out, sizeof(out)) == 0);
	CHECK_STR(out, "2026-01-03 08:00:00.123");
	CHECK(colmap_timestamp_shift("2026-03-01 00:30:00", -3600000LL, out,
	    sizeof(out)) == 0);
	CHECK_STR(out, "2026-02-28 23:30:00");
	CHECK(colmap_timestamp_shift("2024-03-01 00:30:00", -3600000LL, out,
	    sizeof(out)) == 0);
	CHECK_STR(out, "2024-02-29 23:30:00");
	CHECK(colmap_timestamp_shift("2026-01-01 10:00:00+07", -86400000LL,
	    out, sizeof(out)) == 0);
	CHECK_STR(out, "2025-12-31 10:00:00+07");
	CHECK(colmap_timestamp_shift("2026-01-05", -1000, out, sizeof(out)) ==
	    0);
	CHECK_STR(out, "2026-01-04 23:59:59");
	CHECK(colmap_timestamp_shift("0001-01-01 00:00:00", -1000, out,
	    sizeof(out)) == -1);
	CHECK(colmap_timestamp_shift("2026-01-05 08:00:00", 0, out, 10) == -1);
	CHECK(colmap_timestamp_shift("12345", 0, out, sizeof(out)) == -1);
}

static void
test_config(void)
{
	struct colmap *cm = colmap_new();

	CHECK(colmap_set(cm, "data.nilai", "nilai:int", err,
	    sizeof(err)) == 0);
	CHECK(colmap_set(cm, "data.nilai", "nilai", err, sizeof(err)) == -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(colmap_set(cm, "data.nilai.x", "a", err, sizeof(err)) == -1);
	CHECK(strstr(err, "overlap") != NULL);
	CHECK(colmap_set(cm, "data", "a", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "nilai", "a", err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown target") != NULL);
	CHECK(colmap_set(cm, "data.x", "a:money", err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown type") != NULL);
	CHECK(colmap_set(cm, "data.x", "a b", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "data.x", "a, b", err, sizeof(err)) == -1);
	CHECK(strstr(err, "list") != NULL);
	CHECK(colmap_set(cm, "data.x", "", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "data.x", "'open", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "data.bad name", "a", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "data.a.b.c.d.e", "a", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "id.record", "'K'", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "id.version", "a:int", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "time", "t:date", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "subject", "a:int", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "type", "'Sp2d Issued'", err, sizeof(err)) ==
	    -1);
	CHECK(colmap_set(cm, "data.x", "a:lookup:", err, sizeof(err)) == -1);
	CHECK(colmap_set(cm, "id.version", "a,b,c,d,e,f,g,h,i", err,
	    sizeof(err)) == -1);

	/* colmap_check: required targets, lookups, types. */
	CHECK(colmap_check(cm, err, sizeof(err)) == -1);
	CHECK(strstr(err, "type") != NULL);
	CHECK(colmap_set(cm, "type", "status", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.record", "no_sp2d", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.version", "status , updated_at", err,
	    sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == -1);
	CHECK(strstr(err, "time") != NULL);
	CHECK(colmap_set(cm, "time", "updated_at", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "data.opd", "kd:lookup:opd", err,
	    sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == -1);
	CHECK(strstr(err, "[lookup opd]") != NULL);
	CHECK(colmap_set_lookup(cm, "opd", "1.02.01", "dinkes", err,
	    sizeof(err)) == 0);
	CHECK(colmap_set_lookup(cm, "bad name", "a", "b", err,
	    sizeof(err)) == -1);
	CHECK(colmap_set_type(cm, "1", "sp2d.submitted", err,
	    sizeof(err)) == 0);
	CHECK(colmap_set_type(cm, " 1 ", "sp2d.issued", err, sizeof(err)) ==
	    -1);
	CHECK(colmap_set_type(cm, "2", "Sp2d", err, sizeof(err)) == -1);
	CHECK(colmap_set_type(cm, "0", "-", err, sizeof(err)) == 0);
	CHECK(colmap_set_type(cm, "3", "sp2d.disbursed", err,
	    sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == 0);
	CHECK_INT(colmap_ntypes(cm), 2);
	CHECK_STR(colmap_type_at(cm, 0), "sp2d.submitted");
	CHECK_STR(colmap_type_at(cm, 1), "sp2d.disbursed");
	CHECK(colmap_type_at(cm, 2) == NULL);
	CHECK_INT(colmap_ncolumns(cm), 5);
	CHECK_STR(colmap_column(cm, 4), "kd");
	CHECK(colmap_column(cm, 5) == NULL);
	CHECK_STR(colmap_column(cm, 0), "nilai");
	CHECK_STR(colmap_column(cm, 1), "status");
	CHECK_STR(colmap_column(cm, 3), "updated_at");
	CHECK(colmap_has(cm, "time"));
	CHECK(!colmap_has(cm, "subject"));
	colmap_free(cm);

	/* A constant type leaves nothing for [types] to do. */
	cm = colmap_new();
	CHECK(colmap_set(cm, "type", "'simda.realization'", err,
	    sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.record", "k", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.version", "v", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "time", "t", err, sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == 0);
	CHECK_STR(colmap_type_at(cm, 0), "simda.realization");
	CHECK(colmap_set_type(cm, "1", "sp2d.issued", err, sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == -1);
	colmap_free(cm);

	/* Duplicate lookup keys are found at check time. */
	cm = colmap_new();
	CHECK(colmap_set(cm, "type", "'x.y'", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.record", "k", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "id.version", "v", err, sizeof(err)) == 0);
	CHECK(colmap_set(cm, "time", "t", err, sizeof(err)) == 0);
	CHECK(colmap_set_lookup(cm, "opd", "1", "a", err, sizeof(err)) == 0);
	CHECK(colmap_set_lookup(cm, "opd", "1", "b", err, sizeof(err)) == 0);
	CHECK(colmap_check(cm, err, sizeof(err)) == -1);
	CHECK(strstr(err, "twice") != NULL);
	colmap_free(cm);
}

/* The SP2D map of deploy/sp2d.conf.example (row mode). */
static struct colmap *
sp2d_map(void)
{
	static const char *const lines[][2] = {
		{ "type", "status" },
		{ "id.record", "no_sp2d" },
		{ "id.version", "status, updated_at" },
		{ "time", "updated_at" },
		{ "subject", "no_sp2d" },
		{ "data.nomor_sp2d", "no_sp2d" },
		{ "data.tanggal", "tgl_sp2d:date" },
		{ "data.opd_pemohon", "opd_pemohon:lower" },
		{ "data.jenis", "jns_sp2d:upper" },
		{ "data.nilai", "nilai:int" },
		{ "data.penerima", "nm_penerima" },
		{ "data.alasan_penolakan", "alasan_tolak" },
		{ "data.rekening_penerima", "rek:digits" },
		{ "data.meta.cair", "cair:bool" },
		{ "data.meta.sumber", "'SPPiDOL'" },
		{ "data.meta.waktu", "updated_at:timestamp" },
	};
	struct colmap *cm = colmap_new();
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (colmap_set(cm, lines[i][0], lines[i][1], err,
		    sizeof(err)) == -1)
			printf("map line %s: %s\n", lines[i][0], err);
	colmap_set_type(cm, "0", "-", err, sizeof(err));
	colmap_set_type(cm, "1", "sp2d.submitted", err, sizeof(err));
	colmap_set_type(cm, "2", "sp2d.issued", err, sizeof(err));
	colmap_set_timezone(cm, 420);
	if (colmap_check(cm, err, sizeof(err)) == -1)
		printf("check: %s\n", err);
	return cm;
}

enum {
	C_EXTRA, C_NO, C_TGL, C_OPD, C_JNS, C_NILAI, C_NAMA, C_ALASAN, C_REK,
	C_CAIR, C_STATUS, C_UPD, NCOLS
};

static const char *const names[NCOLS] = { "extra", "NO_SP2D", "tgl_sp2d",
	"opd_pemohon", "jns_sp2d", "Nilai", "nm_penerima", "alasan_tolak",
	"rek", "cair", "status", "updated_at" };

static enum colmap_sqlkind kinds[NCOLS] = { COLMAP_SQL_BINARY,
	COLMAP_SQL_CHAR, COLMAP_SQL_DATE, COLMAP_SQL_CHAR, COLMAP_SQL_CHAR,
	COLMAP_SQL_EXACT, COLMAP_SQL_CHAR, COLMAP_SQL_CHAR, COLMAP_SQL_CHAR,
	COLMAP_SQL_BIT, COLMAP_SQL_EXACT, COLMAP_SQL_TIMESTAMP };

static void
test_bind(void)
{
	struct colmap *cm = sp2d_map();
	const char *n2[NCOLS];
	enum colmap_sqlkind k2[NCOLS];

	/* Case-insensitive names; an unused binary column is fine. */
	CHECK(colmap_bind(cm, names, kinds, NCOLS, err, sizeof(err)) == 0);
	CHECK(!colmap_uses(cm, C_EXTRA));
	CHECK(colmap_uses(cm, C_NILAI));
	CHECK(colmap_uses(cm, C_UPD));
	CHECK(!colmap_uses(cm, NCOLS));

	/* A missing column. */
	memcpy(n2, names, sizeof(n2));
	n2[C_NILAI] = "jumlah";
	CHECK(colmap_bind(cm, n2, kinds, NCOLS, err, sizeof(err)) == -1);
	CHECK(strstr(err, "nilai is not in the result") != NULL);
	/* A row cannot be mapped while unbound. */
	{
		struct colmap_row row;
		const char *v[NCOLS] = { 0 };

		CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
		colmap_row_clear(&row);
	}
	/* A column twice (select * over a join). */
	n2[C_NILAI] = "no_sp2d";
	CHECK(colmap_bind(cm, n2, kinds, NCOLS, err, sizeof(err)) == -1);
	CHECK(strstr(err, "twice") != NULL);

	/* Kinds: an amount in a FLOAT column is refused, and says why. */
	memcpy(k2, kinds, sizeof(k2));
	k2[C_NILAI] = COLMAP_SQL_FLOAT;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	CHECK(strstr(err, "floating") != NULL);
	k2[C_NILAI] = COLMAP_SQL_DATE;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	CHECK(strstr(err, "exact integer") != NULL);
	k2[C_NILAI] = COLMAP_SQL_CHAR; /* a legacy varchar amount: parsed */
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == 0);
	memcpy(k2, kinds, sizeof(k2));
	k2[C_TGL] = COLMAP_SQL_EXACT;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	memcpy(k2, kinds, sizeof(k2));
	k2[C_UPD] = COLMAP_SQL_TIME;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	memcpy(k2, kinds, sizeof(k2));
	k2[C_NO] = COLMAP_SQL_BINARY;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	memcpy(k2, kinds, sizeof(k2));
	k2[C_CAIR] = COLMAP_SQL_DATE;
	CHECK(colmap_bind(cm, names, k2, NCOLS, err, sizeof(err)) == -1);
	colmap_free(cm);
}

static void
row_values(const char *v[NCOLS])
{
	memset(v, 0, NCOLS * sizeof(char *));
	v[C_EXTRA] = "\x01\x02";
	v[C_NO] = "0002/SP2D/LS/1.03.01/2026";
	v[C_TGL] = "2026-01-05";
	v[C_OPD] = "DPUPR";
	v[C_JNS] = "ls";
	v[C_NILAI] = "999999999999999";
	v[C_NAMA] = "PT. Karya Bangun Sinabung   ";
	v[C_ALASAN] = NULL;
	v[C_REK] = "2100-5566-77";
	v[C_CAIR] = "0";
	v[C_STATUS] = "2";
	v[C_UPD] = "2026-01-05 08:05:00.25";
}

static void
test_apply(void)
{
	struct colmap *cm = sp2d_map();
	struct colmap_row row, row2;
	const char *v[NCOLS];
	char *json, *version;
	cJSON *n;

	CHECK(colmap_bind(cm, names, kinds, NCOLS, err, sizeof(err)) == 0);
	row_values(v);
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	CHECK_STR(row.type, "sp2d.issued");
	CHECK_STR(row.subject, "0002/SP2D/LS/1.03.01/2026");
	CHECK_STR(row.record, "0002/SP2D/LS/1.03.01/2026");
	CHECK(strncmp(row.version, "2|2026-01-05 08:05:00.25|#", 26) == 0);
	CHECK_INT(strlen(row.version), 26 + 36);
	CHECK_INT(row.time_ms, 1767575100250LL); /* 01:05:00.25Z */
	json = cJSON_PrintUnformatted(row.data);
	CHECK_STR(json, "{\"nomor_sp2d\":\"0002/SP2D/LS/1.03.01/2026\","
	    "\"tanggal\":\"2026-01-05\",\"opd_pemohon\":\"dpupr\","
	    "\"jenis\":\"LS\",\"nilai\":999999999999999,"
	    "\"penerima\":\"PT. Karya Bangun Sinabung\","
	    "\"rekening_penerima\":\"2100556677\","
	    "\"meta\":{\"cair\":false,\"sumber\":\"SPPiDOL\","
	    "\"waktu\":\"2026-01-05T01:05:00.250Z\"}}");
	cJSON_free(json);
	/* The amount is exact in the tree too. */
	n = cJSON_GetObjectItemCaseSensitive(row.data, "nilai");
	CHECK(cJSON_IsNumber(n) && n->valuedouble == 999999999999999.0);
	version = row.version;
	row.version = NULL;
	colmap_row_clear(&row);
	CHECK(row.data == NULL && row.type == NULL);

	/* The same row again: the same version (the id repeats). */
	CHECK(colmap_apply(cm, v, &row2, err, sizeof(err)) == 0);
	CHECK_STR(row2.version, version);
	colmap_row_clear(&row2);
	/* Other content, same version columns: another version. */
	v[C_NAMA] = "PT. Karya Bangun Sinabung (koreksi)";
	CHECK(colmap_apply(cm, v, &row2, err, sizeof(err)) == 0);
	CHECK(strcmp(row2.version, version) != 0);
	CHECK(strncmp(row2.version, "2|2026-01-05 08:05:00.25|#", 26) == 0);
	colmap_row_clear(&row2);
	free(version);

	/* 10^15 is the largest amount; one more is refused. */
	row_values(v);
	v[C_NILAI] = "1000000000000000";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	n = cJSON_GetObjectItemCaseSensitive(row.data, "nilai");
	CHECK(n != NULL && n->valuedouble == 1e15);
	colmap_row_clear(&row);
	v[C_NILAI] = "1000000000000001";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	CHECK(strstr(err, "data.nilai") != NULL &&
	    strstr(err, "1000000000000001") != NULL);
	CHECK(row.data == NULL);
	v[C_NILAI] = "1500.50";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	CHECK(strstr(err, "exact integer") != NULL);
	v[C_NILAI] = "1500.00";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	n = cJSON_GetObjectItemCaseSensitive(row.data, "nilai");
	CHECK(n != NULL && n->valuedouble == 1500.0);
	colmap_row_clear(&row);

	/* NULLs: a data field is left out, id parts are errors. */
	row_values(v);
	v[C_NILAI] = NULL;
	v[C_CAIR] = NULL;
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	CHECK(cJSON_GetObjectItemCaseSensitive(row.data, "nilai") == NULL);
	colmap_row_clear(&row);
	row_values(v);
	v[C_UPD] = NULL;
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	CHECK(strstr(err, "NULL") != NULL);
	row_values(v);
	v[C_NO] = NULL;
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);

	/* [types]: a skipped status, an unknown one. */
	row_values(v);
	v[C_STATUS] = "0";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 1);
	CHECK(row.data == NULL && row.type == NULL);
	v[C_STATUS] = " 1 ";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	CHECK_STR(row.type, "sp2d.submitted");
	colmap_row_clear(&row);
	v[C_STATUS] = "7";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not in [types]") != NULL);

	/* Bad values. */
	row_values(v);
	v[C_TGL] = "2026-02-30";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	row_values(v);
	v[C_CAIR] = "maybe";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	row_values(v);
	v[C_NAMA] = "PT. \xc3\x28";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == -1);
	CHECK(strstr(err, "UTF-8") != NULL);
	row_values(v);
	v[C_NAMA] = "CV. Sibayak \xe2\x80\x93 Berastagi";
	CHECK(colmap_apply(cm, v, &row, err, sizeof(err)) == 0);
	colmap_row_clear(&row);
	colmap_free(cm);
}

/* id parts are escaped: different rows never share a version text. */
static void
test_id_parts(void)
{
	static const char *const n[] = { "a", "b", "t" };
	static const enum colmap_sqlkind k[] = { COLMAP_SQL_CHAR,
		COLMAP_SQL_CHAR, COLMAP_SQL_TIMESTAMP };
	struct colmap *cm = colmap_new();
	struct colmap_row r1, r2;
	const char *v1[] = { "x|y", "z", "2026-01-05 08:00:00" };
	const char *v2[] = { "x", "y|z", "2026-01-05 08:00:00" };
	const char *v3[] = { "line\nbreak", NULL, "2026-01-05 08:00:00" };

	colmap_set(cm, "type", "'simda.realization'", err, sizeof(err));
	colmap_set(cm, "id.record", "a, b", err, sizeof(err));
	colmap_set(cm, "id.version", "t", err, sizeof(err));
	colmap_set(cm, "time", "t", err, sizeof(err));
	colmap_set(cm, "data.b", "b", err, sizeof(err));
	CHECK(colmap_check(cm, err, sizeof(err)) == 0);
	CHECK(colmap_bind(cm, n, k, 3, err, sizeof(err)) == 0);
	CHECK(colmap_apply(cm, v1, &r1, err, sizeof(err)) == 0);
	CHECK(colmap_apply(cm, v2, &r2, err, sizeof(err)) == 0);
	CHECK_STR(r1.record, "x\\|y|z");
	CHECK_STR(r2.record, "x|y\\|z");
	colmap_row_clear(&r1);
	colmap_row_clear(&r2);
	/* A NULL in id.record is an error; a newline is escaped. */
	CHECK(colmap_apply(cm, v3, &r1, err, sizeof(err)) == -1);
	v3[1] = "";
	CHECK(colmap_apply(cm, v3, &r1, err, sizeof(err)) == 0);
	CHECK_STR(r1.record, "line\\nbreak|");
	CHECK(strchr(r1.version, '\n') == NULL);
	colmap_row_clear(&r1);
	colmap_free(cm);
}

/* Lookups and a type taken straight from a column. */
static void
test_lookup(void)
{
	static const char *const n[] = { "kd", "jn", "tipe", "t" };
	static const enum colmap_sqlkind k[] = { COLMAP_SQL_CHAR,
		COLMAP_SQL_EXACT, COLMAP_SQL_CHAR, COLMAP_SQL_TIMESTAMP };
	struct colmap *cm = colmap_new();
	struct colmap_row r;
	const char *v[] = { "1.2.1.1 ", "4", "sp2d.issued",
	    "2026-01-05 08:00:00.000" };
	char key[16];
	int i;

	colmap_set(cm, "type", "tipe", err, sizeof(err));
	colmap_set(cm, "id.record", "kd", err, sizeof(err));
	colmap_set(cm, "id.version", "t", err, sizeof(err));
	colmap_set(cm, "time", "t", err, sizeof(err));
	colmap_set(cm, "subject", "kd:lookup:opd", err, sizeof(err));
	colmap_set(cm, "data.jenis", "jn:lookup:jenis", err, sizeof(err));
	/* Many entries, given out of order: found by binary search. */
	for (i = 999; i >= 0; i--) {
		snprintf(key, sizeof(key), "9.%d", i);
		colmap_set_lookup(cm, "opd", key, "x", err, sizeof(err));
	}
	CHECK(colmap_set_lookup(cm, "opd", "1.2.1.1", "dinkes", err,
	    sizeof(err)) == 0);
	CHECK(colmap_set_lookup(cm, "jenis", "4", "LS", err, sizeof(err)) ==
	    0);
	CHECK(colmap_check(cm, err, sizeof(err)) == 0);
	CHECK_INT(colmap_ntypes(cm), 0);
	CHECK(colmap_bind(cm, n, k, 4, err, sizeof(err)) == 0);
	CHECK(colmap_apply(cm, v, &r, err, sizeof(err)) == 0);
	CHECK_STR(r.subject, "dinkes");
	CHECK_STR(r.type, "sp2d.issued");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(r.data,
	    "jenis")->valuestring, "LS");
	colmap_row_clear(&r);
	v[1] = "6";
	CHECK(colmap_apply(cm, v, &r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "[lookup jenis]") != NULL);
	v[1] = "4";
	v[2] = "Not A Type";
	CHECK(colmap_apply(cm, v, &r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not an event type") != NULL);
	colmap_free(cm);
}

int
main(void)
{
	test_parse_int();
	test_parse_time();
	test_shift();
	test_config();
	test_bind();
	test_apply();
	test_id_parts();
	test_lookup();
	return testlib_done();
}
