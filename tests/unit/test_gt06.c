/*
 * test_gt06: the GT06/Concox decoder against real frames.
 *
 * Frames come from traccar's Gt06ProtocolDecoderTest and from
 * tests/data/gps/gt06.tsv (expected values worked out by hand there; every
 * key=value the decoder produces is asserted from the file itself). Where a
 * case has no real capture (north-west, south-east, some alarm bytes), the
 * frame is a real one with one field changed and its CRC recomputed; each
 * such frame says so. The CRC itself is checked against the published check
 * value and against every real frame first, so a recomputed CRC is not
 * circular.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gt06.h"
#include "gpsdata.h"
#include "testlib.h"
#include "util.h"

#define REC_MAX 64

struct rec {
	int n, overflow;
	struct gps_fix fix[REC_MAX];
	uint8_t reply[REC_MAX][16];
	size_t reply_len[REC_MAX];
};

static void
on_fix(void *arg, const struct gps_fix *fix, const uint8_t *reply,
    size_t len)
{
	struct rec *r = arg;

	if (r->n >= REC_MAX || len > sizeof(r->reply[0])) {
		r->overflow++;
		return;
	}
	r->fix[r->n] = *fix;
	r->reply_len[r->n] = reply != NULL ? len : 0;
	if (reply != NULL)
		memcpy(r->reply[r->n], reply, len);
	r->n++;
}

static size_t
unhex(const char *h, uint8_t *out, size_t outlen)
{
	size_t n = 0;

	while (hex_value(h[0]) >= 0 && hex_value(h[1]) >= 0 && n < outlen) {
		out[n++] = (uint8_t)(hex_value(h[0]) << 4 | hex_value(h[1]));
		h += 2;
	}
	return n;
}

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* Feeds a hex string in one piece to a fresh connection. */
static struct gt06_conn *
feed_hex(const char *hex, struct rec *r, int *rc)
{
	struct gt06_conn *c = gt06_conn_new();
	uint8_t b[2048];
	size_t n = unhex(hex, b, sizeof(b));

	memset(r, 0, sizeof(*r));
	*rc = gt06_conn_feed(c, b, n, on_fix, r);
	return c;
}

/*
 * feed_hex, then the connection's counters into *st; the connection is
 * freed. Returns what gt06_conn_feed returned.
 */
static int
feed_stats(const char *hex, struct rec *r, struct gt06_stats *st)
{
	struct gt06_conn *c;
	int rc;

	c = feed_hex(hex, r, &rc);
	gt06_conn_stats(c, st);
	gt06_conn_free(c);
	return rc;
}

static int
fix_equal(const struct gps_fix *a, const struct gps_fix *b)
{
	return a->kind == b->kind && strcmp(a->device_id, b->device_id) == 0 &&
	    a->fix_time_ms == b->fix_time_ms && a->lat == b->lat &&
	    a->lon == b->lon && a->speed_kmh == b->speed_kmh &&
	    a->course == b->course && a->valid == b->valid &&
	    a->satellites == b->satellites &&
	    a->battery_pct == b->battery_pct && a->ignition == b->ignition &&
	    a->alarm == b->alarm && a->status == b->status &&
	    strcmp(a->protocol, b->protocol) == 0;
}

static int
rec_equal(const struct rec *a, const struct rec *b)
{
	int i;

	if (a->n != b->n || a->overflow || b->overflow)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (!fix_equal(&a->fix[i], &b->fix[i]) ||
		    a->reply_len[i] != b->reply_len[i] ||
		    memcmp(a->reply[i], b->reply[i], a->reply_len[i]) != 0)
			return 0;
	}
	return 1;
}

static double
dbl(const char *s)
{
	return strtod(s, NULL);
}

static long
num(const char *s)
{
	return strtol(s, NULL, 10);
}

/* Every row of gt06.tsv: decode and assert each value the file lists. */
static void
test_tsv(void)
{
	FILE *f = fopen(SIMPUL_SRCDIR "/tests/data/gps/gt06.tsv", "r");
	char line[4096], v[128] = "", hex[64], *exp;
	int rows = 0, rc;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (gpsdata_row(f, line, sizeof(line), &exp)) {
		struct gps_fix *fx;
		struct gt06_stats st;
		struct rec r;
		unsigned type;

		rows++;
		rc = feed_stats(line, &r, &st);
		CHECK_INT(rc, 0);
		CHECK_INT(st.frames, 1); /* "crc=... OK", "len_byte=..=ok" */
		CHECK_INT(st.bad_crc, 0);
		CHECK_INT(st.dropped_bytes, 0);
		CHECK_INT(r.n, 1);
		if (r.n != 1) {
			fprintf(stderr, "row %d: %s\n", rows, line);
			continue;
		}
		fx = &r.fix[0];
		CHECK_STR(fx->protocol, "gt06");
		CHECK(gpsdata_get(exp, "type", v, sizeof(v)));
		type = (unsigned)strtoul(v, NULL, 16);
		if (type == 0x01)
			CHECK_INT(fx->kind, GPS_LOGIN);
		else if (type == 0x13)
			CHECK_INT(fx->kind, GPS_HEARTBEAT);
		else if (type == 0x16 || type == 0x26)
			CHECK_INT(fx->kind, GPS_ALARM);
		else
			CHECK_INT(fx->kind, GPS_POSITION);
		if (gpsdata_get(exp, "imei", v, sizeof(v)))
			CHECK_STR(fx->device_id, v);
		if (gpsdata_get(exp, "utc", v, sizeof(v)))
			CHECK_INT(fx->fix_time_ms, gpsdata_utc(v));
		if (gpsdata_get(exp, "sats", v, sizeof(v)))
			CHECK_INT(fx->satellites, num(v));
		if (gpsdata_get(exp, "lat", v, sizeof(v)))
			CHECK_DBL(fx->lat, dbl(v), 1e-6);
		if (gpsdata_get(exp, "lon", v, sizeof(v)))
			CHECK_DBL(fx->lon, dbl(v), 1e-6);
		if (gpsdata_get(exp, "speed_kmh", v, sizeof(v)))
			CHECK_DBL(fx->speed_kmh, dbl(v), 1e-9);
		if (gpsdata_get(exp, "course", v, sizeof(v)))
			CHECK_DBL(fx->course, dbl(v), 1e-9);
		if (gpsdata_get(exp, "valid", v, sizeof(v)))
			CHECK_INT(fx->valid, strcmp(v, "true") == 0);
		/* Ignition: terminal info "acc=", or the course word's bit 15
		 * when bit 14 says it is present. */
		if (gpsdata_get(exp, "acc", v, sizeof(v)) ||
		    gpsdata_get(exp, "acc(bit15)", v, sizeof(v)))
			CHECK_INT(fx->ignition, num(v));
		if (gpsdata_get(exp, "voltage_level", v, sizeof(v)))
			CHECK_INT(fx->battery_pct, num(v) * 100 / 6);
		if (gpsdata_get(exp, "alarm_byte", v, sizeof(v)))
			CHECK_STR(gps_alarm_name(fx->alarm), strchr(v, ':') + 1);
		else
			CHECK_INT(fx->alarm, GPS_ALARM_NONE);
		if (gpsdata_get(exp, "expected_reply", v, sizeof(v))) {
			CHECK_INT(r.reply_len[0], strlen(v) / 2);
			tohex(r.reply[0], r.reply_len[0], hex);
			CHECK_STR(hex, v);
		} else {
			CHECK_INT(r.reply_len[0], 0);
		}
	}
	fclose(f);
	CHECK_INT(rows, 6);
}

/* The values traccar itself asserts (CROSS-CHECK rows) and the battery. */
static void
test_traccar_crosscheck(void)
{
	struct gt06_conn *c;
	struct rec r;
	int rc;

	c = feed_hex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e00"
	    "55da00035f240d0a", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].fix_time_ms, gpsdata_utc("2015-10-20T14:21:11Z"));
	CHECK_INT(r.fix[0].valid, 1);
	CHECK_DBL(r.fix[0].lat, 54.94535, 5e-6);
	CHECK_DBL(r.fix[0].lon, 24.01762, 5e-6);
	gt06_conn_free(c);
	/* Status 0x13: voltage level 6 is traccar's batteryLevel 100. */
	c = feed_hex("78780a13440604000201baaf540d0a", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].battery_pct, 100);
	CHECK_INT(r.fix[0].alarm, GPS_ALARM_NONE);
	gt06_conn_free(c);
}

static void
test_crc(void)
{
	static const char *real[] = {
		"78780d0103534190360660610003c3df0d0a",
		"78780D01086471700328358100093F040D0A",
		"787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F72"
		"6506040101003656A40D0A",
		"79790020940a035985708236675805200502187214018966051912408052452f"
		"000355560d0a",
	};
	uint8_t b[256];
	size_t i, n, len;

	CHECK_INT(gt06_crc_itu((const uint8_t *)"123456789", 9), 0x906e);
	for (i = 0; i < nitems(real); i++) {
		n = unhex(real[i], b, sizeof(b));
		len = b[0] == 0x78 ? (size_t)b[2] + 5 : (size_t)(b[2] << 8 | b[3]) + 6;
		CHECK_INT(len, n);
		CHECK_INT(gt06_crc_itu(b + 2, n - 6), b[n - 4] << 8 | b[n - 3]);
	}
}

static void
test_login(void)
{
	struct gt06_conn *c;
	struct rec r;
	char hex[64];
	int rc;

	/* traccar: 78780D01 0864717003283581 0009 3F04 0D0A. */
	c = feed_hex("78780D01086471700328358100093F040D0A", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].kind, GPS_LOGIN);
	CHECK_STR(r.fix[0].device_id, "864717003283581");
	CHECK_STR(gt06_conn_device(c), "864717003283581");
	tohex(r.reply[0], r.reply_len[0], hex);
	CHECK_STR(hex, "78780501000955940d0a");
	gt06_conn_free(c);

	/* A longer login (type identifier and time zone after the IMEI). */
	c = feed_hex("787811010863586038760942a0010000010aa4000d0a", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.fix[0].device_id, "863586038760942");
	tohex(r.reply[0], r.reply_len[0], hex);
	CHECK_STR(hex, "78780501010a7ed70d0a");
	gt06_conn_free(c);

	/* A position before the login has no device; after it, the IMEI. */
	c = feed_hex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e00"
	    "55da00035f240d0a"
	    "78780d0103534190360660610003c3df0d0a"
	    "78781f120f0a140e150bc505e51e780293a9e800540000f601006e00"
	    "55da00035f240d0a", &r, &rc);
	CHECK_INT(r.n, 3);
	CHECK_STR(r.fix[0].device_id, "");
	CHECK_INT(r.fix[0].kind, GPS_POSITION);
	CHECK_STR(r.fix[1].device_id, "353419036066061");
	CHECK_STR(r.fix[2].device_id, "353419036066061");
	gt06_conn_free(c);

	/* A login whose IMEI is not BCD: counted as malformed, no answer.
	 * (The tsv login with its fourth byte changed to 0xAB, CRC redone by
	 * gt06_crc_itu below.) */
	{
		uint8_t b[32];
		size_t n = unhex("78780d0103534190360660610003c3df0d0a", b,
		    sizeof(b));
		uint16_t crc;
		struct gt06_stats st;

		b[6] = 0xab;
		crc = gt06_crc_itu(b + 2, n - 6);
		b[n - 4] = (uint8_t)(crc >> 8);
		b[n - 3] = (uint8_t)crc;
		c = gt06_conn_new();
		memset(&r, 0, sizeof(r));
		CHECK_INT(gt06_conn_feed(c, b, n, on_fix, &r), 0);
		gt06_conn_stats(c, &st);
		CHECK_INT(r.n, 0);
		CHECK_INT(st.frames, 1);
		CHECK_INT(st.malformed, 1);
		CHECK_STR(gt06_conn_device(c), "");
		gt06_conn_free(c);
	}
}

static void
test_heartbeat(void)
{
	struct gt06_conn *c;
	struct rec r;
	char hex[64];
	int rc;

	/* traccar: terminal info 0xC4 (oil cut, GPS on, charging), level 6. */
	c = feed_hex("78780a13c40604000201298f5b0d0a", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].kind, GPS_HEARTBEAT);
	CHECK_INT(r.fix[0].ignition, 0);
	CHECK_INT(r.fix[0].battery_pct, 100);
	CHECK_INT(r.fix[0].fix_time_ms, 0);
	tohex(r.reply[0], r.reply_len[0], hex);
	CHECK_STR(hex, "7878051301295d630d0a");
	gt06_conn_free(c);

	/* Constructed (no capture with ACC on): terminal info 0x46, level 4,
	 * CRC computed independently. */
	c = feed_hex("78780a13460404000201bb81300d0a", &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].ignition, 1);
	CHECK_INT(r.fix[0].battery_pct, 66);
	gt06_conn_free(c);

	/* traccar's 16-byte status variant: battery byte taken as percent. */
	c = feed_hex("7878151330802b00000642014f0008720000802b5ee4d4c90d0a",
	    &r, &rc);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].kind, GPS_HEARTBEAT);
	CHECK_INT(r.fix[0].battery_pct, 6);
	CHECK_INT(r.fix[0].ignition, -1);
	tohex(r.reply[0], r.reply_len[0], hex);
	CHECK_STR(hex, "787805135ee410b50d0a");
	gt06_conn_free(c);
}

struct hemi_case {
	const char *hex, *why;
	double lat, lon;
	int64_t t;
};

static void
test_hemispheres(void)
{
	const struct hemi_case cases[] = {
		{ "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da"
		  "00035f240d0a", "N/E real (Lithuania)", 54.945347, 24.017622,
		  gpsdata_utc("2015-10-20T14:21:11Z") },
		{ "7878241216040e102c22cf00915ffb04c6016300195a02d402283b00753f"
		  "400571040001dda4880d0a", "S/W real (Brazil, mcc 724)",
		  -5.292939, -44.491859, gpsdata_utc("2022-04-14T16:44:34Z") },
		{ "787822220e0914160f07c9021a362805090a7800d8b802d402c30e00a98a"
		  "0105010213f4bb0d0a", "S/W real 0x22 (Brazil)", -19.595684,
		  -46.932547, gpsdata_utc("2014-09-20T22:15:07Z") },
		/* Constructed: the N/E frame with bit 11 (west) set. */
		{ "78781f120f0a140e150bc505e51e780293a9e8005c0000f601006e0055da"
		  "000355c80d0a", "N/W constructed", 54.945347, -24.017622,
		  gpsdata_utc("2015-10-20T14:21:11Z") },
		/* Constructed: the N/E frame with bit 10 (north) cleared. */
		{ "78781f120f0a140e150bc505e51e780293a9e800500000f601006e0055da"
		  "00035a520d0a", "S/E constructed", -54.945347, 24.017622,
		  gpsdata_utc("2015-10-20T14:21:11Z") },
		/* Constructed: the N/E frame in the 79 79 long form. */
		{ "7979001f120f0a140e150bc505e51e780293a9e800540000f601006e0055"
		  "da0003e9730d0a", "N/E long form", 54.945347, 24.017622,
		  gpsdata_utc("2015-10-20T14:21:11Z") },
	};
	struct gt06_conn *c;
	struct rec r;
	size_t i;
	int rc;

	for (i = 0; i < nitems(cases); i++) {
		c = feed_hex(cases[i].hex, &r, &rc);
		CHECK_INT(r.n, 1);
		if (r.n != 1) {
			fprintf(stderr, "case %s\n", cases[i].why);
			gt06_conn_free(c);
			continue;
		}
		CHECK_INT(r.fix[0].kind, GPS_POSITION);
		CHECK_DBL(r.fix[0].lat, cases[i].lat, 1e-6);
		CHECK_DBL(r.fix[0].lon, cases[i].lon, 1e-6);
		CHECK_INT(r.fix[0].fix_time_ms, cases[i].t);
		CHECK_INT(r.reply_len[0], 0); /* locations are not answered */
		gt06_conn_free(c);
	}
	/* The Brazilian 0x12 also has course 346 and no ACC bit. */
	c = feed_hex(cases[1].hex, &r, &rc);
	CHECK_DBL(r.fix[0].course, 346, 0);
	CHECK_INT(r.fix[0].satellites, 15);
	CHECK_INT(r.fix[0].valid, 1);
	CHECK_INT(r.fix[0].ignition, -1);
	gt06_conn_free(c);
}

struct alarm_case {
	const char *hex, *reply, *why;
	enum gps_kind kind;
	enum gps_alarm alarm;
	int battery, ignition;
	double lat, lon, speed;
};

static void
test_alarms(void)
{
	const struct alarm_case cases[] = {
		{ "7878251610051b0f1c34c5022515d504b5dcd20738080902d4022bdf009c"
		  "ba5006640201006759680d0a", "787805160067d67c0d0a",
		  "power cut, S/W (Brazil)", GPS_ALARM, GPS_ALARM_POWER_CUT,
		  100, 0, -19.991585, -43.904117, 7 },
		{ "7878252612030C063816C3026C10540C38C9700144030901CC002866000E"
		  "EE0C06040302000DA2DB0D0A", "78780526000d9c8e0d0a",
		  "vibration 0x26", GPS_ALARM, GPS_ALARM_VIBRATION, 100, 0,
		  22.575833, 113.915653, 1 },
		{ "78782516110819110208d402f264dc08289a4058d4c70901944600d300c0"
		  "954606040600014057e90d0a", "7878051601409a190d0a",
		  "overspeed", GPS_ALARM, GPS_ALARM_OVERSPEED, 100, 1,
		  27.466647, 76.043698, 88 },
		{ "7878251613020C12141AC5027951430C2A16F60014000900000000001A00"
		  "007C550300020002F1E70D0A", "787805160002e2d70d0a",
		  "tamper from terminal info (traccar: removing)", GPS_ALARM,
		  GPS_ALARM_TAMPER, -1, 0, 23.058384, 113.380546, 0 },
		{ "78784A1614051C150204EC02777E560C2A2A2A5314AF0000000000000400"
		  "000000000000000000000000000000000000000000000000000000000000"
		  "00000000000000007E061B0982004B24C00D0A", "78780516004b3d120d0a",
		  "vibration 0x09, zeroed cell block", GPS_ALARM,
		  GPS_ALARM_VIBRATION, 100, 1, 22.991977, 113.383277, 83 },
		{ "787825160F0C1D0A2B21C8027AC8040C46581000146F0901CC00287D001F"
		  "714804040301001C84CF0D0A", "78780516001c1b280d0a",
		  "vibration, level 4", GPS_ALARM, GPS_ALARM_VIBRATION, 66, 0,
		  23.111682, 114.409253, 0 },
		{ "787825160B051B093523CF027AC8360C4657B30014000901CC00266A001E"
		  "1740050400020008D7B10D0A", "7878051600084d8d0d0a",
		  "alarm byte 0: a plain position, still answered",
		  GPS_POSITION, GPS_ALARM_NONE, 83, 0, 23.111710, 114.409202,
		  0 },
	};
	struct gt06_conn *c;
	struct rec r;
	char hex[64];
	size_t i;
	int rc;

	for (i = 0; i < nitems(cases); i++) {
		c = feed_hex(cases[i].hex, &r, &rc);
		CHECK_INT(r.n, 1);
		if (r.n != 1) {
			fprintf(stderr, "case %s\n", cases[i].why);
			gt06_conn_free(c);
			continue;
		}
		CHECK_INT(r.fix[0].kind, cases[i].kind);
		CHECK_INT(r.fix[0].alarm, cases[i].alarm);
		CHECK_INT(r.fix[0].battery_pct, cases[i].battery);
		CHECK_INT(r.fix[0].ignition, cases[i].ignition);
		CHECK_DBL(r.fix[0].lat, cases[i].lat, 1e-6);
		CHECK_DBL(r.fix[0].lon, cases[i].lon, 1e-6);
		CHECK_DBL(r.fix[0].speed_kmh, cases[i].speed, 0);
		tohex(r.reply[0], r.reply_len[0], hex);
		CHECK_STR(hex, cases[i].reply);
		gt06_conn_free(c);
	}
}

/*
 * The whole alarm byte map, on the tsv SOS frame with its alarm byte and
 * terminal info replaced (constructed; CRC recomputed with gt06_crc_itu,
 * which test_crc checked against real frames).
 */
static void
test_alarm_map(void)
{
	static const struct {
		uint8_t byte, term;
		enum gps_alarm alarm;
	} map[] = {
		{ 0x01, 0x00, GPS_ALARM_SOS },
		{ 0x02, 0x00, GPS_ALARM_POWER_CUT },
		{ 0x03, 0x00, GPS_ALARM_VIBRATION },
		{ 0x04, 0x00, GPS_ALARM_GEOFENCE_ENTER },
		{ 0x05, 0x00, GPS_ALARM_GEOFENCE_EXIT },
		{ 0x06, 0x00, GPS_ALARM_OVERSPEED },
		{ 0x09, 0x00, GPS_ALARM_VIBRATION },
		{ 0x0e, 0x00, GPS_ALARM_LOW_BATTERY },
		{ 0x0f, 0x00, GPS_ALARM_LOW_BATTERY },
		{ 0x13, 0x00, GPS_ALARM_TAMPER },
		{ 0x11, 0x00, GPS_ALARM_NONE },	/* power off: no such alarm */
		{ 0x00, 0x08, GPS_ALARM_VIBRATION }, /* terminal bits 3-5 = 1 */
		{ 0x00, 0x10, GPS_ALARM_POWER_CUT },
		{ 0x00, 0x18, GPS_ALARM_LOW_BATTERY },
		{ 0x00, 0x20, GPS_ALARM_SOS },
		{ 0x00, 0x30, GPS_ALARM_NONE },	/* geofence, no direction */
		{ 0x00, 0x38, GPS_ALARM_TAMPER },
		{ 0x05, 0x20, GPS_ALARM_GEOFENCE_EXIT }, /* the byte wins */
	};
	uint8_t base[64], b[64];
	size_t n, i;
	uint16_t crc;
	struct gt06_conn *c;
	struct rec r;

	n = unhex("787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D00"
	    "1F726506040101003656A40D0A", base, sizeof(base));
	CHECK_INT(n, 42);
	for (i = 0; i < nitems(map); i++) {
		memcpy(b, base, n);
		b[31] = map[i].term; /* terminal info */
		b[34] = map[i].byte; /* alarm byte */
		crc = gt06_crc_itu(b + 2, n - 6);
		b[n - 4] = (uint8_t)(crc >> 8);
		b[n - 3] = (uint8_t)crc;
		c = gt06_conn_new();
		memset(&r, 0, sizeof(r));
		CHECK_INT(gt06_conn_feed(c, b, n, on_fix, &r), 0);
		CHECK_INT(r.n, 1);
		CHECK_INT(r.fix[0].alarm, map[i].alarm);
		CHECK_INT(r.fix[0].kind, map[i].alarm == GPS_ALARM_NONE ?
		    GPS_POSITION : GPS_ALARM);
		CHECK_INT(r.reply_len[0], 10);
		gt06_conn_free(c);
	}
	CHECK_STR(gps_alarm_name(GPS_ALARM_SOS), "sos");
	CHECK_STR(gps_alarm_name(GPS_ALARM_POWER_CUT), "power_cut");
	CHECK_STR(gps_alarm_name(GPS_ALARM_VIBRATION), "vibration");
	CHECK_STR(gps_alarm_name(GPS_ALARM_GEOFENCE_ENTER), "geofence_enter");
	CHECK_STR(gps_alarm_name(GPS_ALARM_GEOFENCE_EXIT), "geofence_exit");
	CHECK_STR(gps_alarm_name(GPS_ALARM_OVERSPEED), "overspeed");
	CHECK_STR(gps_alarm_name(GPS_ALARM_LOW_BATTERY), "low_battery");
	CHECK_STR(gps_alarm_name(GPS_ALARM_TAMPER), "tamper");
}

static void
test_bad_crc(void)
{
	struct gt06_stats st;
	struct rec r;
	int rc;

	/* A real frame from traccar's suite whose CRC does not match (traccar
	 * does not check it), then a good frame: dropped, counted, the next
	 * one decoded. */
	rc = feed_stats("78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D00"
	    "1FB8000380810D0A"
	    "78780d0103534190360660610003c3df0d0a", &r, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(st.bad_crc, 1);
	CHECK_INT(st.frames, 1);
	CHECK_INT(st.dropped_bytes, 0);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].kind, GPS_LOGIN);

	/* One bit flipped in the latitude of the tsv 0x12 frame. */
	feed_stats("78781f120f0a140e150bc505e51e790293a9e800540000f601006e00"
	    "55da00035f240d0a"
	    "78780a13440604000201baaf540d0a", &r, &st);
	CHECK_INT(st.bad_crc, 1);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.fix[0].kind, GPS_HEARTBEAT);
}

/* Every split point of three concatenated frames decodes identically. */
static void
test_split_points(void)
{
	const char *hex =
	    "78780d0103534190360660610003c3df0d0a"
	    "787821121303120b2524c70138e363085b549003d43301940057d200cd52c000"
	    "006aa1ca0d0a"
	    "787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F7265"
	    "06040101003656A40D0A";
	uint8_t b[256];
	size_t n, k, i;
	struct gt06_conn *c;
	struct rec whole, part;
	int bad = 0;

	n = unhex(hex, b, sizeof(b));
	c = feed_hex(hex, &whole, &bad);
	CHECK_INT(whole.n, 3);
	CHECK_STR(whole.fix[2].device_id, "353419036066061");
	gt06_conn_free(c);
	bad = 0;
	for (k = 0; k <= n; k++) {
		c = gt06_conn_new();
		memset(&part, 0, sizeof(part));
		gt06_conn_feed(c, b, k, on_fix, &part);
		gt06_conn_feed(c, b + k, n - k, on_fix, &part);
		if (!rec_equal(&whole, &part))
			bad++;
		gt06_conn_free(c);
	}
	CHECK_INT(bad, 0);
	/* Byte by byte. */
	c = gt06_conn_new();
	memset(&part, 0, sizeof(part));
	for (i = 0; i < n; i++)
		CHECK_INT(gt06_conn_feed(c, b + i, 1, on_fix, &part), 0);
	CHECK(rec_equal(&whole, &part));
	gt06_conn_free(c);
}

static void
test_garbage(void)
{
	struct gt06_stats st;
	struct gt06_conn *c;
	struct rec r;
	uint8_t junk[512];
	size_t i;
	int rc;

	/* Junk, including a "78 78" that announces 255 bytes, before two
	 * frames: both are decoded at once, not after 255 more bytes. */
	rc = feed_stats("0d0a4745542f20787878ff0102"
	    "78780d0103534190360660610003c3df0d0a"
	    "78780a13440604000201baaf540d0a", &r, &st);
	CHECK_INT(rc, 0);
	CHECK_INT(r.n, 2);
	CHECK_INT(r.fix[0].kind, GPS_LOGIN);
	CHECK_INT(r.fix[1].kind, GPS_HEARTBEAT);
	CHECK_STR(r.fix[1].device_id, "353419036066061");
	CHECK_INT(st.dropped_bytes, 13);
	CHECK_INT(st.frames, 2);

	/* Junk between frames and a frame without its trailer. */
	feed_stats("78780a13440604000201baaf540d0a"
	    "787805010003face0d0b"
	    "78780a13440604000201baaf540d0a", &r, &st);
	CHECK_INT(r.n, 2);
	CHECK_INT(st.dropped_bytes, 10);

	/* Unknown types (79 79 info 0x94) are counted, not reported. */
	feed_stats("7979000894000000000338ba0d0a"
	    "79790020940a035985708236675805200502187214018966051912408052452f"
	    "000355560d0a", &r, &st);
	CHECK_INT(r.n, 0);
	CHECK_INT(st.frames, 2);
	CHECK_INT(st.unknown_type, 2);

	/* A flood of junk closes the connection. */
	c = gt06_conn_new();
	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 1);
	rc = 0;
	for (i = 0; i < 20 && rc == 0; i++)
		rc = gt06_conn_feed(c, junk, sizeof(junk), on_fix, &r);
	CHECK_INT(rc, -1);
	CHECK_INT(r.n, 0);
	gt06_conn_free(c);

	/* A good CRC on a location too short to hold one: malformed. */
	{
		uint8_t b[16] = { 0x78, 0x78, 0x07, 0x12, 0x01, 0x02, 0x00, 0x01 };
		uint16_t crc = gt06_crc_itu(b + 2, 6);

		b[8] = (uint8_t)(crc >> 8);
		b[9] = (uint8_t)crc;
		b[10] = 0x0d;
		b[11] = 0x0a;
		c = gt06_conn_new();
		memset(&r, 0, sizeof(r));
		CHECK_INT(gt06_conn_feed(c, b, 12, on_fix, &r), 0);
		gt06_conn_stats(c, &st);
		CHECK_INT(r.n, 0);
		CHECK_INT(st.malformed, 1);
		gt06_conn_free(c);
	}
	gt06_conn_free(NULL);
}

int
main(void)
{
	test_crc();
	test_tsv();
	test_traccar_crosscheck();
	test_login();
	test_heartbeat();
	test_hemispheres();
	test_alarms();
	test_alarm_map();
	test_bad_crc();
	test_split_points();
	test_garbage();
	return testlib_done();
}
