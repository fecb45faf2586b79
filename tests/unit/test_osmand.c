/*
 * test_osmand: the OsmAnd / Traccar Client decoder against real requests.
 *
 * Query strings come from traccar's OsmAndProtocolDecoderTest, Traccar
 * Client's ProtocolFormatterTest and tests/data/gps/osmand.tsv (every
 * key=value there is asserted from the file); the JSON bodies are the ones
 * traccar tests its JSON path with (Traccar Client 9, Transistorsoft
 * background-geolocation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osmand.h"
#include "gpsdata.h"
#include "testlib.h"
#include "util.h"

/* 2026-11-27T10:00:00Z, the "now" handed to the decoder. */
#define NOW_MS 1795773600000LL

static int
query(const char *q, struct gps_fix *fix, char *err, size_t errlen)
{
	err[0] = '\0';
	return osmand_decode_query(q, strlen(q), NOW_MS, fix, err, errlen);
}

static int
json(const char *j, struct gps_fix *fix, char *err, size_t errlen)
{
	err[0] = '\0';
	return osmand_decode_json(j, strlen(j), NOW_MS, fix, err, errlen);
}

static void
test_tsv(void)
{
	FILE *f = fopen(SIMPUL_SRCDIR "/tests/data/gps/osmand.tsv", "r");
	char line[4096], v[128] = "", err[128], *exp;
	struct gps_fix fx = { 0 };
	int rows = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (gpsdata_row(f, line, sizeof(line), &exp)) {
		char *q;

		rows++;
		q = strchr(line, '?');
		CHECK(q != NULL);
		if (q == NULL)
			continue;
		CHECK_INT(query(q + 1, &fx, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		CHECK_STR(fx.protocol, "osmand");
		CHECK_INT(fx.kind, GPS_POSITION);
		CHECK_INT(fx.valid, 1);
		CHECK(gpsdata_get(exp, "id", v, sizeof(v)));
		CHECK_STR(fx.device_id, v);
		CHECK(gpsdata_get(exp, "time", v, sizeof(v)));
		CHECK_INT(fx.fix_time_ms, v[0] == '(' ? NOW_MS : gpsdata_utc(v));
		CHECK(gpsdata_get(exp, "lat", v, sizeof(v)));
		CHECK_DBL(fx.lat, strtod(v, NULL), 1e-6);
		CHECK(gpsdata_get(exp, "lon", v, sizeof(v)));
		CHECK_DBL(fx.lon, strtod(v, NULL), 1e-6);
		if (gpsdata_get(exp, "speed", v, sizeof(v))) /* knots */
			CHECK_DBL(fx.speed_kmh, strtod(v, NULL) * 1.852, 1e-9);
		if (gpsdata_get(exp, "course", v, sizeof(v)))
			CHECK_DBL(fx.course, strtod(v, NULL), 1e-9);
		if (gpsdata_get(exp, "altitude", v, sizeof(v))) {
			CHECK_INT(fx.has_altitude, 1);
			CHECK_DBL(fx.altitude_m, strtod(v, NULL), 1e-9);
		} else {
			CHECK_INT(fx.has_altitude, 0);
		}
		if (gpsdata_get(exp, "hdop", v, sizeof(v))) {
			CHECK_INT(fx.has_hdop, 1);
			CHECK_DBL(fx.hdop, strtod(v, NULL), 1e-9);
		} else {
			CHECK_INT(fx.has_hdop, 0);
		}
		if (gpsdata_get(exp, "accuracy", v, sizeof(v))) {
			CHECK_INT(fx.has_accuracy, 1);
			CHECK_DBL(fx.accuracy_m, strtod(v, NULL), 1e-9);
		} else {
			CHECK_INT(fx.has_accuracy, 0);
		}
		if (gpsdata_get(exp, "batt", v, sizeof(v)))
			CHECK_INT(fx.battery_pct, strtol(v, NULL, 10));
		else
			CHECK_INT(fx.battery_pct, -1);
		CHECK_INT(fx.alarm, GPS_ALARM_NONE);
	}
	fclose(f);
	CHECK_INT(rows, 5);
}

static void
test_query(void)
{
	struct gps_fix fx = { 0 };
	char err[128];

	/* Epoch milliseconds (above 2^31-1). */
	CHECK_INT(query("id=902064&lat=42.06288&lon=-88.23412&timestamp="
	    "1442068686579&hdop=6.0&altitude=224.0&speed=0.0", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.fix_time_ms, 1442068686579LL);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2015-09-12T14:38:06.579Z"));
	/* Just below the threshold: seconds. */
	CHECK_INT(query("id=1&timestamp=2147483646&lat=1&lon=1", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.fix_time_ms, 2147483646000LL);
	CHECK_INT(query("id=1&timestamp=2147483647&lat=1&lon=1", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.fix_time_ms, 2147483647LL);

	/* "yyyy-MM-dd HH:mm:ss" with '+' and %3A (taken as UTC). */
	CHECK_INT(query("lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10"
	    "%3A11&altitude=384.7&speed=0.0&id=353861053849681", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2014-06-04T09:10:11Z"));
	CHECK_STR(fx.device_id, "353861053849681");
	CHECK_DBL(fx.altitude_m, 384.7, 1e-9);
	/* ISO with an offset. */
	CHECK_INT(query("id=1&lat=1&lon=1&timestamp=2016-01-28T01%3A55%3A47"
	    "%2B07%3A00", &fx, err, sizeof(err)), 0);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2016-01-27T18:55:47Z"));

	/* location=lat,lon. */
	CHECK_INT(query("id=123456&timestamp=1377177267&location=60.0,30.0",
	    &fx, err, sizeof(err)), 0);
	CHECK_DBL(fx.lat, 60.0, 1e-9);
	CHECK_DBL(fx.lon, 30.0, 1e-9);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2013-08-22T13:14:27Z"));

	/* deviceid, heading, unknown keys (vacc, hacc). */
	CHECK_INT(query("lat=60.0&lon=30.0&speed=0.0&heading=12.5&vacc=0&hacc=0"
	    "&altitude=0&deviceid=123456", &fx, err, sizeof(err)), 0);
	CHECK_STR(fx.device_id, "123456");
	CHECK_DBL(fx.course, 12.5, 1e-9);
	CHECK_INT(fx.fix_time_ms, NOW_MS);

	/* traccar's OBD-ish report: speed in knots, ignition. */
	CHECK_INT(query("id=123456789012345&timestamp=1504763810&lat="
	    "40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40"
	    "&ignition=true&rpm=933&fuel=24", &fx, err, sizeof(err)), 0);
	CHECK_DBL(fx.speed_kmh, 74.08, 1e-9);
	CHECK_DBL(fx.course, 7.19889788244, 1e-9);
	CHECK_INT(fx.ignition, 1);
	CHECK_DBL(fx.lat, 40.7232948571, 1e-9);
	CHECK_DBL(fx.lon, -74.0061408571, 1e-9);

	/* Alarms, validity, battery. */
	CHECK_INT(query("id=karo01&lat=3.1&lon=98.5&alarm=sos&batt=42.6&valid="
	    "false", &fx, err, sizeof(err)), 0);
	CHECK_INT(fx.kind, GPS_ALARM);
	CHECK_INT(fx.alarm, GPS_ALARM_SOS);
	CHECK_INT(fx.valid, 0);
	CHECK_INT(fx.battery_pct, 43);
	CHECK_INT(query("id=1&lat=3.1&lon=98.5&alarm=powerCut", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.alarm, GPS_ALARM_POWER_CUT);
	CHECK_INT(query("id=1&lat=3.1&lon=98.5&alarm=geofence_exit", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.alarm, GPS_ALARM_GEOFENCE_EXIT);
	CHECK_INT(query("id=1&lat=3.1&lon=98.5&alarm=meteor", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.alarm, GPS_ALARM_NONE);
	CHECK_INT(fx.kind, GPS_POSITION);
	CHECK_INT(query("id=1&lat=3.1&lon=98.5&valid=1&batt=150", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.valid, 1);
	CHECK_INT(fx.battery_pct, -1);

	/* Without coordinates: a heartbeat (or an alarm). */
	CHECK_INT(query("id=123456&timestamp=1377177267&cell=257,02,16,2224&"
	    "wifi=00-14-22-01-23-45,-80", &fx, err, sizeof(err)), 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
	CHECK_INT(fx.valid, 0);
	CHECK_INT(query("id=123456&alarm=sos", &fx, err, sizeof(err)), 0);
	CHECK_INT(fx.kind, GPS_ALARM);

	/* Last one wins; empty pairs and valueless keys are harmless. */
	CHECK_INT(query("id=1&&lat=1&lat=-2.5&lon=3&flag&", &fx, err,
	    sizeof(err)), 0);
	CHECK_DBL(fx.lat, -2.5, 1e-9);
	CHECK_INT(query("id=first&id=second&lat=1&lon=1", &fx, err,
	    sizeof(err)), 0);
	CHECK_STR(fx.device_id, "second");
	/* Unknown keys are not decoded, bad escapes and all. */
	CHECK_INT(query("id=1&lat=1&lon=1&token=%zz%00", &fx, err,
	    sizeof(err)), 0);
}

static void
test_query_errors(void)
{
	static const struct {
		const char *q, *err;
	} cases[] = {
		{ "timestamp=1377177267&lat=60.0&lon=30.0", "missing id" },
		{ "", "missing id" },
		{ "id=&lat=1&lon=1", "bad id" },
		{ "id=ab-12&lat=1&lon=1", "bad id" },
		{ "id=12345678901234567890123456789012&lat=1&lon=1", "bad id" },
		{ "id=1&lat=91&lon=1", "lat out of range" },
		{ "id=1&lat=-90.5&lon=1", "lat out of range" },
		{ "id=1&lat=1&lon=180.1", "lon out of range" },
		{ "id=1&lat=abc&lon=1", "bad number for lat" },
		{ "id=1&lat=0x10&lon=1", "bad number for lat" },
		{ "id=1&lat=nan&lon=1", "bad number for lat" },
		{ "id=1&lat=1e999&lon=1", "bad number for lat" },
		{ "id=1&lat=+&lon=1", "bad number for lat" },
		{ "id=1&lat=&lon=1", "bad number for lat" },
		{ "id=1&lat=1&lon=1.2.3", "bad number for lon" },
		{ "id=1&lat=1", "missing lon" },
		{ "id=1&lon=1", "missing lat" },
		{ "id=1&lat=%zz&lon=1", "bad value for lat" },
		{ "id=1&lat=1%0&lon=1", "bad value for lat" },
		{ "id=1%00&lat=1&lon=1", "bad value for id" },
		{ "id=1&location=60.0", "bad location" },
		{ "id=1&location=60.0,x", "bad location" },
		{ "id=1&lat=1&lon=1&timestamp=yesterday", "bad timestamp" },
		{ "id=1&lat=1&lon=1&timestamp=-5", "bad timestamp" },
		{ "id=1&lat=1&lon=1&timestamp=99999999999999999999",
		  "bad timestamp" },
		{ "id=1&lat=1&lon=1&timestamp=2016-02-30T00:00:00Z",
		  "bad timestamp" },
	};
	struct gps_fix fx = { 0 };
	char err[128], big[OSMAND_QUERY_MAX + 64];
	size_t i, n;

	for (i = 0; i < nitems(cases); i++) {
		CHECK_INT(query(cases[i].q, &fx, err, sizeof(err)), -1);
		CHECK_STR(err, cases[i].err);
	}
	/* Limits: query length, pairs, value length. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "id=1&lat=1&lon=1&x=", 19);
	CHECK_INT(query(big, &fx, err, sizeof(err)), -1);
	CHECK_STR(err, "query too long");
	n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "id=1&lat=1&lon=1");
	for (i = 0; i < OSMAND_PARAMS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "&k%zu=1", i);
	CHECK_INT(query(big, &fx, err, sizeof(err)), -1);
	CHECK_STR(err, "too many parameters");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "lat=1&lon=1&id=", 15);
	big[15 + OSMAND_VALUE_MAX] = '\0';
	CHECK_INT(query(big, &fx, err, sizeof(err)), -1);
	CHECK_STR(err, "bad value for id");
	/* err may be tiny or absent. */
	CHECK_INT(osmand_decode_query("lat=1", 5, NOW_MS, &fx, err, 4), -1);
	CHECK_STR(err, "mis");
	CHECK_INT(osmand_decode_query("lat=1", 5, NOW_MS, &fx, NULL, 0), -1);
	/* The length is honoured: no reading past it. */
	CHECK_INT(osmand_decode_query("id=1&lat=1&lon=1&lat=95", 16, NOW_MS,
	    &fx, err, sizeof(err)), 0);
	CHECK_DBL(fx.lat, 1, 0);
}

static void
test_json(void)
{
	struct gps_fix fx = { 0 };
	char err[128];

	/* Traccar Client 9 (traccar's test). */
	CHECK_INT(json("{\"location\":{\"timestamp\":\"2025-06-15T13:45:12.862Z\","
	    "\"coords\":{\"latitude\":37.4219983,\"longitude\":-122.084,"
	    "\"accuracy\":5,\"speed\":0,\"heading\":-1,\"altitude\":5},"
	    "\"is_moving\":false,\"odometer\":0,\"event\":\"motionchange\","
	    "\"battery\":{\"level\":1,\"is_charging\":false},\"activity\":"
	    "{\"type\":\"still\"},\"extras\":{},\"_\":\"&id=48241179&lat="
	    "37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&\"},"
	    "\"device_id\":\"48241179\"}", &fx, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(fx.kind, GPS_POSITION);
	CHECK_STR(fx.device_id, "48241179");
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2025-06-15T13:45:12.862Z"));
	CHECK_DBL(fx.lat, 37.4219983, 1e-9);
	CHECK_DBL(fx.lon, -122.084, 1e-9);
	CHECK_DBL(fx.speed_kmh, 0, 0);
	CHECK_DBL(fx.course, 0, 0);
	CHECK_INT(fx.has_accuracy, 1);
	CHECK_DBL(fx.accuracy_m, 5, 0);
	CHECK_INT(fx.has_altitude, 1);
	CHECK_DBL(fx.altitude_m, 5, 0);
	CHECK_INT(fx.battery_pct, 100);
	CHECK_INT(fx.valid, 1);
	CHECK_INT(fx.alarm, GPS_ALARM_NONE);

	/* Transistorsoft iOS, mock location, unknown speed/battery. */
	CHECK_INT(json("{\"location\":{\"extras\":{},\"mock\":true,\"coords\":"
	    "{\"speed_accuracy\":-1,\"speed\":-1,\"longitude\":-122.406417,"
	    "\"ellipsoidal_altitude\":0,\"floor\":null,\"heading_accuracy\":-1,"
	    "\"latitude\":37.785834000000001,\"accuracy\":5,"
	    "\"altitude_accuracy\":-1,\"altitude\":0,\"heading\":-1},"
	    "\"is_moving\":false,\"age\":188,\"odometer\":0,\"uuid\":"
	    "\"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8\",\"event\":\"motionchange\","
	    "\"battery\":{\"level\":-1,\"is_charging\":false},\"activity\":"
	    "{\"type\":\"unknown\",\"confidence\":100},\"timestamp\":"
	    "\"2025-05-09T04:11:30.579Z\"},\"device_id\":\"658765\"}", &fx, err,
	    sizeof(err)), 0);
	CHECK_STR(fx.device_id, "658765");
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2025-05-09T04:11:30.579Z"));
	CHECK_DBL(fx.lat, 37.785834, 1e-9);
	CHECK_DBL(fx.lon, -122.406417, 1e-9);
	CHECK_DBL(fx.speed_kmh, 0, 0);
	CHECK_INT(fx.battery_pct, -1);

	/* Jakarta: speed in m/s, battery as a fraction. */
	CHECK_INT(json("{\"location\":{\"event\":\"motionchange\",\"is_moving\":"
	    "false,\"uuid\":\"0e9a2473-a9a7-4c00-997b-fb97d2154e75\",\"timestamp\":"
	    "\"2021-07-21T08:06:34.444Z\",\"odometer\":0,\"coords\":{\"latitude\":"
	    "-6.1148096,\"longitude\":106.6837015,\"accuracy\":3.8,\"speed\":"
	    "18.67,\"speed_accuracy\":0.26,\"heading\":63,\"heading_accuracy\":"
	    "0.28,\"altitude\":35.7,\"altitude_accuracy\":3.8},\"activity\":"
	    "{\"type\":\"still\",\"confidence\":100},\"battery\":{\"is_charging\":"
	    "false,\"level\":0.79},\"extras\":{}},\"device_id\":\"8737767034\"}",
	    &fx, err, sizeof(err)), 0);
	CHECK_STR(fx.device_id, "8737767034");
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2021-07-21T08:06:34.444Z"));
	CHECK_DBL(fx.lat, -6.1148096, 1e-9);
	CHECK_DBL(fx.lon, 106.6837015, 1e-9);
	CHECK_DBL(fx.speed_kmh, 18.67 * 3.6, 1e-9);
	CHECK_DBL(fx.course, 63, 0);
	CHECK_DBL(fx.accuracy_m, 3.8, 1e-9);
	CHECK_DBL(fx.altitude_m, 35.7, 1e-9);
	CHECK_INT(fx.battery_pct, 79);

	/* Alarm in extras; no timestamp: now. */
	CHECK_INT(json("{\"device_id\":\"k1\",\"location\":{\"coords\":"
	    "{\"latitude\":3.1,\"longitude\":98.5},\"extras\":{\"alarm\":"
	    "\"sos\"},\"battery\":{\"level\":0.29}}}", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.battery_pct, 29); /* rounded: 0.29 * 100 is 28.99.. */
	CHECK_INT(fx.kind, GPS_ALARM);
	CHECK_INT(fx.alarm, GPS_ALARM_SOS);
	CHECK_INT(fx.fix_time_ms, NOW_MS);
	CHECK_INT(json("{\"device_id\":\"k1\",\"location\":{\"alarm\":"
	    "\"tampering\",\"extras\":{\"alarm\":\"sos\"}}}", &fx, err,
	    sizeof(err)), 0);
	CHECK_INT(fx.alarm, GPS_ALARM_TAMPER);
	CHECK_INT(fx.kind, GPS_ALARM);
	CHECK_INT(fx.valid, 0);
	/* No location: a heartbeat. */
	CHECK_INT(json("{\"device_id\":\"k1\"}", &fx, err, sizeof(err)), 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
}

static void
test_json_errors(void)
{
	static const struct {
		const char *j, *err;
	} cases[] = {
		{ "", "bad json" },
		{ "{", "bad json" },
		{ "[1,2]", "bad json" },
		{ "{\"location\":{}}", "missing id" },
		{ "{\"device_id\":5}", "bad id" },
		{ "{\"device_id\":\"a b\"}", "bad id" },
		{ "{\"device_id\":\"1\",\"location\":[{}]}",
		  "location array not supported" },
		{ "{\"device_id\":\"1\",\"location\":7}", "bad location" },
		{ "{\"device_id\":\"1\",\"location\":{\"coords\":{\"latitude\":"
		  "\"1\",\"longitude\":2}}}", "bad number for lat" },
		{ "{\"device_id\":\"1\",\"location\":{\"coords\":{\"latitude\":"
		  "1}}}", "bad number for lon" },
		{ "{\"device_id\":\"1\",\"location\":{\"coords\":{\"latitude\":"
		  "100,\"longitude\":2}}}", "lat out of range" },
		{ "{\"device_id\":\"1\",\"location\":{\"coords\":{\"latitude\":"
		  "1e999,\"longitude\":2}}}", "bad number for lat" },
		{ "{\"device_id\":\"1\",\"location\":{\"coords\":5}}",
		  "bad coords" },
		{ "{\"device_id\":\"1\",\"location\":{\"timestamp\":12}}",
		  "bad timestamp" },
		{ "{\"device_id\":\"1\",\"location\":{\"timestamp\":\"noon\"}}",
		  "bad timestamp" },
	};
	struct gps_fix fx = { 0 };
	char err[128];
	size_t i;
	char *big;

	for (i = 0; i < nitems(cases); i++) {
		CHECK_INT(json(cases[i].j, &fx, err, sizeof(err)), -1);
		CHECK_STR(err, cases[i].err);
	}
	/* A body that is not NUL-terminated is read only within len. */
	CHECK_INT(osmand_decode_json("{\"device_id\":\"1\"}xxxx", 17, NOW_MS,
	    &fx, err, sizeof(err)), 0);
	big = xcalloc(1, OSMAND_JSON_MAX + 2);
	memset(big, ' ', OSMAND_JSON_MAX + 1);
	CHECK_INT(json(big, &fx, err, sizeof(err)), -1);
	CHECK_STR(err, "body too long");
	free(big);
}

int
main(void)
{
	test_tsv();
	test_query();
	test_query_errors();
	test_json();
	test_json_errors();
	return testlib_done();
}
