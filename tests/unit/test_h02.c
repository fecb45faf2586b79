/*
 * test_h02: the H02 text decoder against real messages.
 *
 * Messages come from traccar's H02ProtocolDecoderTest and from
 * tests/data/gps/h02.tsv (every key=value the decoder produces is asserted
 * from the file). Expected coordinates were worked out by hand as
 * degrees + minutes / 60. Status words that no capture has (vibration,
 * overspeed) are real messages with the status field edited; they say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h02.h"
#include "gpsdata.h"
#include "testlib.h"
#include "util.h"

#define REC_MAX 32

/* 2026-11-27T10:00:00Z, the "now" handed to the decoder. */
#define NOW_MS 1795773600000LL

struct rec {
	int n, overflow;
	struct gps_fix fix[REC_MAX];
	char reply[REC_MAX][128];
};

static void
on_fix(void *arg, const struct gps_fix *fix, const uint8_t *reply,
    size_t len)
{
	struct rec *r = arg;

	if (r->n >= REC_MAX || len >= sizeof(r->reply[0])) {
		r->overflow++;
		return;
	}
	r->fix[r->n] = *fix;
	if (reply != NULL)
		memcpy(r->reply[r->n], reply, len);
	r->reply[r->n][reply != NULL ? len : 0] = '\0';
	r->n++;
}

static struct h02_conn *
feed(const char *s, struct rec *r, int *rc)
{
	struct h02_conn *c = h02_conn_new();

	memset(r, 0, sizeof(*r));
	*rc = h02_conn_feed(c, (const uint8_t *)s, strlen(s), NOW_MS, on_fix,
	    r);
	return c;
}

/* Decodes one message that must yield exactly one fix; copies it out. */
static int
one(const char *s, struct gps_fix *out, char *reply, size_t replylen)
{
	struct h02_conn *c;
	struct rec r;
	int rc;

	c = feed(s, &r, &rc);
	h02_conn_free(c);
	if (rc != 0 || r.n != 1) {
		fprintf(stderr, "no fix from %s\n", s);
		return -1;
	}
	*out = r.fix[0];
	if (reply != NULL)
		snprintf(reply, replylen, "%s", r.reply[0]);
	return 0;
}

static int
fix_equal(const struct gps_fix *a, const struct gps_fix *b)
{
	return a->kind == b->kind && strcmp(a->device_id, b->device_id) == 0 &&
	    a->fix_time_ms == b->fix_time_ms && a->lat == b->lat &&
	    a->lon == b->lon && a->speed_kmh == b->speed_kmh &&
	    a->course == b->course && a->valid == b->valid &&
	    a->battery_pct == b->battery_pct && a->ignition == b->ignition &&
	    a->alarm == b->alarm && a->status == b->status;
}

static int
rec_equal(const struct rec *a, const struct rec *b)
{
	int i;

	if (a->n != b->n || a->overflow || b->overflow)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!fix_equal(&a->fix[i], &b->fix[i]) ||
		    strcmp(a->reply[i], b->reply[i]) != 0)
			return 0;
	return 1;
}

static void
test_tsv(void)
{
	FILE *f = fopen(SIMPUL_SRCDIR "/tests/data/gps/h02.tsv", "r");
	char line[4096], v[128] = "", *q, *exp;
	struct gps_fix fx = { 0 };
	int rows = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (gpsdata_row(f, line, sizeof(line), &exp)) {
		rows++;
		if (one(line, &fx, NULL, 0) == -1) {
			CHECK(0);
			continue;
		}
		CHECK_STR(fx.protocol, "h02");
		CHECK(gpsdata_get(exp, "id", v, sizeof(v)));
		CHECK_STR(fx.device_id, v);
		CHECK(gpsdata_get(exp, "utc", v, sizeof(v)));
		CHECK_INT(fx.fix_time_ms, gpsdata_utc(v));
		CHECK(gpsdata_get(exp, "valid", v, sizeof(v)));
		CHECK_INT(fx.valid, strcmp(v, "true") == 0);
		CHECK(gpsdata_get(exp, "lat", v, sizeof(v)));
		CHECK_DBL(fx.lat, strtod(v, NULL), 1e-6);
		CHECK(gpsdata_get(exp, "lon", v, sizeof(v)));
		CHECK_DBL(fx.lon, strtod(v, NULL), 1e-6);
		CHECK(gpsdata_get(exp, "speed", v, sizeof(v))); /* knots */
		CHECK_DBL(fx.speed_kmh, strtod(v, NULL) * 1.852, 1e-9);
		CHECK(gpsdata_get(exp, "course", v, sizeof(v)));
		CHECK_DBL(fx.course, strtod(v, NULL), 1e-9);
		CHECK(gpsdata_get(exp, "status", v, sizeof(v)));
		CHECK_INT(fx.status, strtoul(v, NULL, 16));
		CHECK(gpsdata_get(exp, "alarm", v, sizeof(v)));
		for (q = v; *q != '\0'; q++)
			if (*q == '-')
				*q = '_'; /* traccar's "power-cut" */
		CHECK_STR(gps_alarm_name(fx.alarm), v);
		CHECK_INT(fx.kind, fx.alarm == GPS_ALARM_NONE ? GPS_POSITION :
		    GPS_ALARM);
		CHECK(gpsdata_get(exp, "ignition(bit10)", v, sizeof(v)));
		CHECK_INT(fx.ignition, strcmp(v, "true") == 0);
	}
	fclose(f);
	CHECK_INT(rows, 5);
}

struct pos_case {
	const char *msg, *why;
	double lat, lon, speed_kmh, course;
	int valid;
	int64_t t;
	uint32_t status;
	enum gps_alarm alarm;
};

static void
test_positions(void)
{
	const struct pos_case cases[] = {
		/* CROSS-CHECK rows: traccar asserts these values. */
		{ "*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,"
		  "000,221215,FFFFFBFF,712,01,0,0,6#", "traccar N/W",
		  9.93978, -84.11178, 0, 0, 1, gpsdata_utc("2015-12-22T16:45:49Z"),
		  0xFFFFFBFF, GPS_ALARM_NONE },
		{ "*HQ,1451316409,V1,030149,A,-23-29.0095,S,-46-51.5852,W,2.4,"
		  "065,070315,FFFFFFFF#", "traccar S/W, -D-M layout",
		  -23.48349, -46.85975, 2.4 * 1.852, 65, 1,
		  gpsdata_utc("2015-03-07T03:01:49Z"), 0xFFFFFFFF, GPS_ALARM_NONE },
		/* S/E, no dot in the coordinates (Melbourne). */
		{ "*HQ,5905101893,V1,105759,A,37573392,S,145037022,E,000.00,173,"
		  "280122,FF7FFBFF,,,9059e2c,8232,4#", "S/E DDMMmmmm",
		  -37.955653, 145.061703, 0, 173, 1,
		  gpsdata_utc("2022-01-28T10:57:59Z"), 0xFF7FFBFF, GPS_ALARM_NONE },
		/* S/W, four-digit degrees+minutes of longitude (Brazil). */
		{ "*HQ,353588010001689,V1,221116,A,1548.8220,S,4753.1679,W,0.00,"
		  "0.00,300413,ffffffff,0002d4,000004,0001cd,000047#", "S/W",
		  -15.8137, -47.886132, 0, 0, 1, gpsdata_utc("2013-04-30T22:11:16Z"),
		  0xFFFFFFFF, GPS_ALARM_NONE },
		{ "*HQ,354188045498669,V1,195200,A,701.8915,S,3450.3399,W,0.00,"
		  "205.70,050213,ffffffff,000243,000000,000000#",
		  "one-digit degrees", -7.031525, -34.838998, 0, 205.7, 1,
		  gpsdata_utc("2013-02-05T19:52:00Z"), 0xFFFFFFFF, GPS_ALARM_NONE },
		{ "*HQ,1451316485,V1,121557,A,-23-3.3408,S,-48-2.8926,W,0.1,158,"
		  "241115,FFFFFFFF#", "-D-M with one-digit minutes",
		  -23.05568, -48.04821, 0.1 * 1.852, 158, 1,
		  gpsdata_utc("2015-11-24T12:15:57Z"), 0xFFFFFFFF, GPS_ALARM_NONE },
		/* V19: three SIM fields before the status. */
		{ "*HQ,4109179024,V19,181519,V,3853.2587,S,06205.9175,W,000.00,"
		  "000,090217,,5492932630888,8954315265044716555?,FFFFFBFF#",
		  "V19", -38.887645, -62.098625, 0, 0, 0,
		  gpsdata_utc("2017-02-09T18:15:19Z"), 0xFFFFFBFF, GPS_ALARM_NONE },
		/* A battery field before the date; status with power cut. */
		{ "*HQ,4210209006,V1,054048,A,2828.2297,N,07733.4332,E,000.5,"
		  "047,4,080918,EEE7FBDF,4261193,0#", "battery field",
		  28.470495, 77.55722, 0.5 * 1.852, 47, 1,
		  gpsdata_utc("2018-09-08T05:40:48Z"), 0xEEE7FBDF,
		  GPS_ALARM_POWER_CUT },
		/* Speed padded with blanks. */
		{ "*HQ,865205035331981,V1,132926,A,1935.3933,N,07920.4134,E,  "
		  "3.34,342,280519,FFFFFFFF#", "padded speed", 19.589888,
		  79.340223, 3.34 * 1.852, 342, 1,
		  gpsdata_utc("2019-05-28T13:29:26Z"), 0xFFFFFFFF, GPS_ALARM_NONE },
		/* V4 echoing command S17 before the layout; "*TH" maker. */
		{ "*TH,2020916012,V4,S17,130305,050316,A,2212.8745,N,"
		  "11346.6574,E,14.28,028,220902,FFFFFBFF#", "V4 S17",
		  22.214575, 113.777623, 14.28 * 1.852, 28, 1,
		  gpsdata_utc("2002-09-22T05:03:16Z"), 0xFFFFFBFF, GPS_ALARM_NONE },
		{ "*TH,2020916012,V4,S14,100,10,1,3,130305,050316,A,2212.8745,N,"
		  "11346.6574,E,14.28,028,220902,FFFFFBFF#", "V4 S14",
		  22.214575, 113.777623, 14.28 * 1.852, 28, 1,
		  gpsdata_utc("2002-09-22T05:03:16Z"), 0xFFFFFBFF, GPS_ALARM_NONE },
		/* SOS: status bit 18 clear (real capture). */
		{ "*HQ,353505220903211,V1,075228,A,5227.5039,N,01032.8443,E,"
		  "0.00,0,231013,FFFBFFFF,106,14, 201,2173#", "SOS bit 18",
		  52.458398, 10.547405, 0, 0, 1, gpsdata_utc("2013-10-23T07:52:28Z"),
		  0xFFFBFFFF, GPS_ALARM_SOS },
		/* SOS: status bit 1 clear (real capture, V4 S1). */
		{ "*TH,2020916012,V4,S1,OK,pass_word,130305,050316,A,2212.8745,N,"
		  "11346.6574,E,14.28,028,220902,FFFFFBFD#", "SOS bit 1",
		  22.214575, 113.777623, 14.28 * 1.852, 28, 1,
		  gpsdata_utc("2002-09-22T05:03:16Z"), 0xFFFFFBFD, GPS_ALARM_SOS },
		/* Edited status (no capture): bit 0 clear = vibration. */
		{ "*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,"
		  "140613,FFFFFFFE#", "vibration (edited)", 50.043082,
		  14.563037, 0, 0, 1, gpsdata_utc("2013-06-14T21:33:24Z"), 0xFFFFFFFE,
		  GPS_ALARM_VIBRATION },
		/* Edited status (no capture): bit 2 clear = overspeed. */
		{ "*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,"
		  "140613,FFFFFFFB#", "overspeed (edited)", 50.043082,
		  14.563037, 0, 0, 1, gpsdata_utc("2013-06-14T21:33:24Z"), 0xFFFFFFFB,
		  GPS_ALARM_OVERSPEED },
		/* V2 with a digit "coding scheme" instead of A/V: valid. */
		{ "*HQ,353505221264507,V2,100220,0,5238.26259,N,00507.33983,E,"
		  "0.25,0,280917,FFFFFFFF,cc,28,  db,d75b#", "V2 scheme",
		  52.637710, 5.122331, 0.25 * 1.852, 0, 1,
		  gpsdata_utc("2017-09-28T10:02:20Z"), 0xFFFFFFFF, GPS_ALARM_NONE },
	};
	struct gps_fix fx = { 0 };
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		if (one(cases[i].msg, &fx, NULL, 0) == -1) {
			CHECK(0);
			continue;
		}
		CHECK_INT(fx.kind, cases[i].alarm == GPS_ALARM_NONE ?
		    GPS_POSITION : GPS_ALARM);
		CHECK_DBL(fx.lat, cases[i].lat, 1e-5);
		CHECK_DBL(fx.lon, cases[i].lon, 1e-5);
		CHECK_DBL(fx.speed_kmh, cases[i].speed_kmh, 1e-9);
		CHECK_DBL(fx.course, cases[i].course, 1e-9);
		CHECK_INT(fx.valid, cases[i].valid);
		CHECK_INT(fx.fix_time_ms, cases[i].t);
		CHECK_INT(fx.status, cases[i].status);
		CHECK_INT(fx.alarm, cases[i].alarm);
		if (fx.alarm != cases[i].alarm)
			fprintf(stderr, "case %s\n", cases[i].why);
	}
	/* The tighter tolerance on the hand-computed values. */
	CHECK(one(cases[2].msg, &fx, NULL, 0) == 0);
	CHECK_DBL(fx.lat, -37.955653333, 1e-6);
	CHECK_DBL(fx.lon, 145.061703333, 1e-6);
	CHECK_INT(fx.ignition, 0);
	CHECK(one(cases[4].msg, &fx, NULL, 0) == 0);
	CHECK_DBL(fx.lat, -7.031525, 1e-6);
	CHECK_DBL(fx.lon, -34.838998333, 1e-6);
}

static void
test_other_types(void)
{
	struct gps_fix fx = { 0 };
	char reply[128];
	struct h02_conn *c;
	struct h02_stats st;
	struct rec r;
	int rc;

	/* VP1, S/E, no time of day. */
	CHECK(one("*hq,356327080425330,VP1,A,2702.7245,S,15251.9311,E,0.48,"
	    "0.0000,080917#", &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_POSITION);
	CHECK_DBL(fx.lat, -27.045408333, 1e-6);
	CHECK_DBL(fx.lon, 152.865518333, 1e-6);
	CHECK_DBL(fx.speed_kmh, 0.48 * 1.852, 1e-9);
	CHECK_INT(fx.fix_time_ms, 0);
	CHECK_STR(fx.device_id, "356327080425330");
	CHECK(one("*hq,356327081001239,VP1,V,470,002,92,3565,0Y92,19433,30Y92,"
	    "1340,29#", &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);

	/* HTBT with battery, and its echoed head as the reply. */
	CHECK(one("*HQ,135790246811220,HTBT,100#", &fx, reply,
	    sizeof(reply)) == 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
	CHECK_INT(fx.battery_pct, 100);
	CHECK_STR(fx.device_id, "135790246811220");
	CHECK_STR(reply, "*HQ,135790246811220,HTBT#");
	CHECK(one("*HQ,135790246811220,HTBT#", &fx, reply,
	    sizeof(reply)) == 0);
	CHECK_INT(fx.battery_pct, -1);
	CHECK_STR(reply, "*HQ,135790246811220,HTBT#");

	/* V1 is answered with V4 and the server's time. */
	CHECK(one("*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,"
	    "000,140613,FFFFFFFF#", &fx, reply, sizeof(reply)) == 0);
	CHECK_STR(reply, "*HQ,2705171109,V4,V1,20261127100000#");
	CHECK_INT(fx.ignition, 1);
	/* Other V types are not. */
	CHECK(one("*HQ,4109179024,V19,181519,V,3853.2587,S,06205.9175,W,"
	    "000.00,000,090217,,5492932630888,8954315265044716555?,FFFFFBFF#",
	    &fx, reply, sizeof(reply)) == 0);
	CHECK_STR(reply, "");

	/* No coordinates at all: a heartbeat with the status. */
	CHECK(one("*HQ,353505510948929,V1,,V,,N,,E,0.00,0,,FFFFF7FF,f0,a,"
	    "11a0,c0c6#", &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
	CHECK_INT(fx.status, 0xFFFFF7FF);
	CHECK_INT(fx.ignition, 1);
	CHECK_INT(fx.valid, 0);
	CHECK_INT(fx.fix_time_ms, 0);
	/* No time or date but coordinates: a position of unknown time. */
	CHECK(one("*HQ,353505220873067,V1,,V,4605.75732,N,01430.73863,E,0.00,"
	    "0,,FFFFFFEF,125,194,  64,d3#", &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_POSITION);
	CHECK_INT(fx.fix_time_ms, 0);
	CHECK_DBL(fx.lat, 46.095955333, 1e-6);
	CHECK_DBL(fx.lon, 14.5123105, 1e-6);
	CHECK_INT(fx.status, 0xFFFFFFEF);

	/* NBR, LINK, V3: status only. */
	CHECK(one("*HQ,4109179024,NBR,103732,722,310,0,6,8106,32010,23,8101,"
	    "22007,25,8106,12010,23,8106,22105,22,8101,22012,16,8106,42010,5,"
	    "100217,FFFFFBFF,5#", &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2017-02-10T10:37:32Z"));
	CHECK_INT(fx.status, 0xFFFFFBFF);
	CHECK_INT(fx.ignition, 0);
	CHECK(one("*HQ,1700086468,LINK,180902,15,0,84,0,0,240517,FFFFFBFF#",
	    &fx, NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_HEARTBEAT);
	CHECK_INT(fx.battery_pct, 84);
	CHECK_INT(fx.satellites, 0);
	CHECK_INT(fx.fix_time_ms, gpsdata_utc("2017-05-24T18:09:02Z"));
	CHECK(one("*HQ,355488020930796,V3,002339,62160,06,024852,035421,148,0,"
	    "024852,035425,143,,022251,036482,137,,024852,000335,133,,024852,"
	    "031751,133,,024852,035423,133,,02A1,0,X,010104,EFE7FBFF#", &fx,
	    NULL, 0) == 0);
	CHECK_INT(fx.kind, GPS_ALARM);
	CHECK_INT(fx.alarm, GPS_ALARM_POWER_CUT);

	/* Unknown and malformed messages are counted, not reported. */
	c = feed("*HQ,356327080425330,XT,1,100#"
	    "*HQ,8401016597,BASE,152609,0,0,0,0,211014,FFFFFFFF#"
	    "*HQ,4109198974,#"
	    "*HQ,353588020068342,V1,000000,V,0.0000,0,0.0000,0,0.00,0.00,"
	    "000000,ffffffff,000106,000002,000203,004c87,16#"
	    "*HQ,1,V1,213324,A,9102.5849,N,01433.7822,E,0.00,000,140613,"
	    "FFFFFFFF#"
	    "*HQ,1,V1,213324,A,5072.5849,N,01433.7822,E,0.00,000,140613,"
	    "FFFFFFFF#", &r, &rc);
	h02_conn_stats(c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(r.n, 0);
	CHECK_INT(st.unknown_type, 2);
	CHECK_INT(st.malformed, 4);
	h02_conn_free(c);
}

static void
test_stream(void)
{
	const char *three =
	    "*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,"
	    "221215,FFFFFBFF,712,01,0,0,6#\r\n"
	    "*HQ,4210209006,V1,201812,A,2608.9437,N,08016.2521,W,000.80,000,"
	    "150317,EFE7F9FF,310,260,0,0,6#\r\n"
	    "*HQ,135790246811220,HTBT,100#";
	struct h02_conn *c;
	struct h02_stats st;
	struct rec whole, part, r2;
	size_t n = strlen(three), k, i;
	int rc, bad = 0;
	char big[1200];

	c = feed(three, &whole, &rc);
	h02_conn_stats(c, &st);
	CHECK_INT(whole.n, 3);
	CHECK_INT(whole.fix[1].alarm, GPS_ALARM_POWER_CUT);
	CHECK_INT(st.messages, 3);
	CHECK_INT(st.dropped_bytes, 0);
	h02_conn_free(c);
	for (k = 0; k <= n; k++) {
		c = h02_conn_new();
		memset(&part, 0, sizeof(part));
		h02_conn_feed(c, (const uint8_t *)three, k, NOW_MS, on_fix,
		    &part);
		h02_conn_feed(c, (const uint8_t *)three + k, n - k, NOW_MS,
		    on_fix, &part);
		if (!rec_equal(&whole, &part))
			bad++;
		h02_conn_free(c);
	}
	CHECK_INT(bad, 0);
	c = h02_conn_new();
	memset(&part, 0, sizeof(part));
	for (i = 0; i < n; i++)
		h02_conn_feed(c, (const uint8_t *)three + i, 1, NOW_MS, on_fix,
		    &part);
	CHECK(rec_equal(&whole, &part));
	h02_conn_free(c);

	/* Junk before, a start that never ends, junk between. */
	c = feed("GET / HTTP/1.1\r\n*HQ,123,V1,12*HQ,4210051415,V1,164549,A,"
	    "0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#xx\r\n"
	    "*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,"
	    "FFFFFBFF#", &r2, &rc);
	h02_conn_stats(c, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(r2.n, 2);
	CHECK_DBL(r2.fix[0].lon, -84.11178, 1e-5);
	/* The empty id takes the connection's last id. */
	CHECK_STR(r2.fix[1].device_id, "4210051415");
	CHECK_DBL(r2.fix[1].lat, -22.429813167, 1e-6);
	CHECK_INT(st.dropped_bytes, 14 + 13 + 2);
	h02_conn_free(c);

	/* An empty id first on a connection: no device. */
	c = feed("*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,"
	    "FFFFFBFF#", &r2, &rc);
	CHECK_INT(r2.n, 1);
	CHECK_STR(r2.fix[0].device_id, "");
	CHECK_STR(r2.reply[0], ""); /* no id, no answer */
	h02_conn_free(c);

	/* A start without '#' within H02_MSG_MAX is dropped; the next
	 * message still decodes. */
	memset(big, 'A', sizeof(big));
	big[0] = '*';
	c = h02_conn_new();
	memset(&part, 0, sizeof(part));
	CHECK_INT(h02_conn_feed(c, (const uint8_t *)big, sizeof(big), NOW_MS,
	    on_fix, &part), 0);
	CHECK_INT(h02_conn_feed(c, (const uint8_t *)three, n, NOW_MS, on_fix,
	    &part), 0);
	CHECK_INT(part.n, 3);
	h02_conn_free(c);

	/* A flood of junk closes the connection. */
	memset(big, 0x24, sizeof(big)); /* '$' binary frames, unsupported */
	c = h02_conn_new();
	memset(&part, 0, sizeof(part));
	rc = 0;
	for (i = 0; i < 10 && rc == 0; i++)
		rc = h02_conn_feed(c, (const uint8_t *)big, sizeof(big), NOW_MS,
		    on_fix, &part);
	CHECK_INT(rc, -1);
	h02_conn_free(NULL);
	h02_conn_free(c);
}

int
main(void)
{
	test_tsv();
	test_positions();
	test_other_types();
	test_stream();
	return testlib_done();
}
