/*
 * osmand: see osmand.h.
 *
 * The query is walked once, pair by pair, without copying it: only the
 * values of known keys are percent-decoded, each into a bounded buffer, and
 * applied through a table of keys. Unknown keys cost nothing, so clients
 * that add parameters (cell, wifi, notificationToken, ...) keep working.
 *
 * Numbers must be plain decimals ("-88.23412", "6.0", "1e3"); strtod's
 * extras (hex floats, "inf", "nan", leading blanks) are refused, since no
 * client sends them and they only widen what a fuzzer can reach.
 *
 * The JSON body is parsed by cJSON within OSMAND_JSON_MAX bytes; only the
 * fields listed in osmand.h are read, everything else is ignored.
 */
#include "osmand.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "util.h"

/* Timestamps beyond 9999-12-31 are refused. */
#define OSMAND_TIME_MAX 253402300799999LL
/* traccar: a numeric timestamp below Integer.MAX_VALUE is in seconds. */
#define OSMAND_SECONDS_BELOW 2147483647LL

enum osmand_key {
	K_ID, K_LAT, K_LON, K_LOCATION, K_TIMESTAMP, K_SPEED, K_COURSE,
	K_ALTITUDE, K_ACCURACY, K_HDOP, K_BATT, K_ALARM, K_VALID, K_IGNITION
};

static const struct {
	const char *name;
	enum osmand_key key;
} osmand_keys[] = {
	{ "id", K_ID },
	{ "deviceid", K_ID },
	{ "lat", K_LAT },
	{ "lon", K_LON },
	{ "location", K_LOCATION },
	{ "timestamp", K_TIMESTAMP },
	{ "speed", K_SPEED },
	{ "bearing", K_COURSE },
	{ "heading", K_COURSE },
	{ "altitude", K_ALTITUDE },
	{ "accuracy", K_ACCURACY },
	{ "hdop", K_HDOP },
	{ "batt", K_BATT },
	{ "alarm", K_ALARM },
	{ "valid", K_VALID },
	{ "ignition", K_IGNITION },
};

/* traccar's alarm names and the gps.alarm schema's, to the enum. */
static const struct {
	const char *name;
	enum gps_alarm alarm;
} osmand_alarms[] = {
	{ "sos", GPS_ALARM_SOS },
	{ "powerCut", GPS_ALARM_POWER_CUT },
	{ "power_cut", GPS_ALARM_POWER_CUT },
	{ "vibration", GPS_ALARM_VIBRATION },
	{ "geofenceEnter", GPS_ALARM_GEOFENCE_ENTER },
	{ "geofence_enter", GPS_ALARM_GEOFENCE_ENTER },
	{ "geofenceExit", GPS_ALARM_GEOFENCE_EXIT },
	{ "geofence_exit", GPS_ALARM_GEOFENCE_EXIT },
	{ "overspeed", GPS_ALARM_OVERSPEED },
	{ "lowBattery", GPS_ALARM_LOW_BATTERY },
	{ "low_battery", GPS_ALARM_LOW_BATTERY },
	{ "tampering", GPS_ALARM_TAMPER },
	{ "tamper", GPS_ALARM_TAMPER },
};

/* What has been seen so far; the checks that span keys run at the end. */
struct osmand_report {
	struct gps_fix *fix;
	int has_id, has_lat, has_lon, has_time, valid;
};

static int
osmand_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
osmand_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Percent-decodes s[0..n) into out (size outlen, NUL-terminated). Control
 * characters, raw or escaped (%00 above all), are refused: no value we use
 * may contain them. Returns 0, or -1 on a bad escape or when out is too
 * small.
 */
static int
osmand_unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hex_value(s[i + 1])) < 0 ||
			    (lo = hex_value(s[i + 2])) < 0)
				return -1;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			ch = ' ';
		} else {
			ch = (unsigned char)s[i];
		}
		if (ch < 0x20 || ch == 0x7f)
			return -1;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* A plain decimal: [+-]digits[.digits][(e|E)[+-]digits], finite. */
static int
osmand_number(const char *s, double *out)
{
	const char *p = s;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	return parse_double(s, out);
}

/*
 * A timestamp value: digits (seconds, or ms from 2^31-1 up), RFC 3339, or
 * the same without a zone ("2014-06-04 09:10:11", taken as UTC).
 */
static int
osmand_time(const char *s, int64_t *ms)
{
	char tmp[OSMAND_VALUE_MAX + 2];
	uint64_t v;
	size_t n = strlen(s);

	if (n > 0 && n <= 19 && strspn(s, "0123456789") == n) {
		if (parse_u64(s, &v) == -1)
			return -1;
		if (v < (uint64_t)OSMAND_SECONDS_BELOW)
			v *= 1000;
		if (v > (uint64_t)OSMAND_TIME_MAX)
			return -1;
		*ms = (int64_t)v;
		return 0;
	}
	if (time_parse_rfc3339(s, ms) == 0)
		return *ms >= 0 && *ms <= OSMAND_TIME_MAX ? 0 : -1;
	/* No zone: UTC (traccar uses the server's zone; ours is UTC). */
	if (n + 2 > sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 'Z';
	tmp[n + 1] = '\0';
	if (time_parse_rfc3339(tmp, ms) == 0)
		return *ms >= 0 && *ms <= OSMAND_TIME_MAX ? 0 : -1;
	return -1;
}

static enum gps_alarm
osmand_alarm(const char *s)
{
	size_t i;

	for (i = 0; i < nitems(osmand_alarms); i++)
		if (strcmp(s, osmand_alarms[i].name) == 0)
			return osmand_alarms[i].alarm;
	return GPS_ALARM_NONE; /* an alarm we cannot name is not raised */
}

static int
osmand_set_id(struct osmand_report *r, const char *v, char *err,
    size_t errlen)
{
	size_t n = strlen(v);

	if (!gps_id_ok(v, n))
		return osmand_fail(err, errlen, "bad id");
	memcpy(r->fix->device_id, v, n + 1);
	r->has_id = 1;
	return 0;
}

/* Applies one decoded value of a known key. */
static int
osmand_apply(struct osmand_report *r, enum osmand_key key, const char *name,
    const char *v, char *err, size_t errlen)
{
	struct gps_fix *fix = r->fix;
	const char *comma;
	char tmp[OSMAND_VALUE_MAX];
	double d = 0;

	switch (key) {
	case K_ID:
		return osmand_set_id(r, v, err, errlen);
	case K_TIMESTAMP:
		if (osmand_time(v, &fix->fix_time_ms) == -1)
			return osmand_fail(err, errlen, "bad timestamp");
		r->has_time = 1;
		return 0;
	case K_LOCATION:
		if ((comma = strchr(v, ',')) == NULL)
			return osmand_fail(err, errlen, "bad location");
		memcpy(tmp, v, (size_t)(comma - v));
		tmp[comma - v] = '\0';
		if (osmand_number(tmp, &fix->lat) == -1 ||
		    osmand_number(comma + 1, &fix->lon) == -1)
			return osmand_fail(err, errlen, "bad location");
		r->has_lat = r->has_lon = 1;
		return 0;
	case K_ALARM:
		fix->alarm = osmand_alarm(v);
		return 0;
	case K_VALID:
		r->valid = strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
		return 0;
	case K_IGNITION:
		if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
			fix->ignition = 1;
		else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			fix->ignition = 0;
		return 0;
	default:
		break;
	}

	/* The rest are numbers. */
	if (osmand_number(v, &d) == -1)
		return osmand_fail(err, errlen, "bad number for %s", name);
	switch (key) {
	case K_LAT:
		fix->lat = d;
		r->has_lat = 1;
		break;
	case K_LON:
		fix->lon = d;
		r->has_lon = 1;
		break;
	case K_SPEED:
		/* Negative: the phone does not know. */
		fix->speed_kmh = d >= 0 ? d * 1.852 : 0;
		break;
	case K_COURSE:
		fix->course = d >= 0 && d <= 360 ? d : 0;
		break;
	case K_ALTITUDE:
		fix->altitude_m = d;
		fix->has_altitude = 1;
		break;
	case K_ACCURACY:
		fix->accuracy_m = d;
		fix->has_accuracy = d >= 0;
		break;
	case K_HDOP:
		fix->hdop = d;
		fix->has_hdop = d >= 0;
		break;
	case K_BATT:
		fix->battery_pct = d >= 0 && d <= 100 ? (int)lround(d) : -1;
		break;
	default:
		break;
	}
	return 0;
}

/* The checks that need every key: id, coordinates, kind, time. */
static int
osmand_finish(struct osmand_report *r, int64_t now_ms, char *err,
    size_t errlen)
{
	struct gps_fix *fix = r->fix;

	if (!r->has_id)
		return osmand_fail(err, errlen, "missing id");
	if (r->has_lat != r->has_lon)
		return osmand_fail(err, errlen, r->has_lat ? "missing lon" :
		    "missing lat");
	if (r->has_lat) {
		if (fix->lat < -90.0 || fix->lat > 90.0)
			return osmand_fail(err, errlen, "lat out of range");
		if (fix->lon < -180.0 || fix->lon > 180.0)
			return osmand_fail(err, errlen, "lon out of range");
		fix->valid = r->valid;
		fix->kind = GPS_POSITION;
	} else {
		fix->lat = fix->lon = 0;
		fix->valid = 0;
		fix->kind = GPS_HEARTBEAT;
	}
	if (fix->alarm != GPS_ALARM_NONE)
		fix->kind = GPS_ALARM;
	if (!r->has_time)
		fix->fix_time_ms = now_ms;
	return 0;
}

static void
osmand_report_init(struct osmand_report *r, struct gps_fix *fix)
{
	memset(r, 0, sizeof(*r));
	r->fix = fix;
	r->valid = 1; /* traccar: valid unless the client says otherwise */
	gps_fix_init(fix, "osmand");
}

int
osmand_decode_query(const char *query, size_t len, int64_t now_ms,
    struct gps_fix *fix, char *err, size_t errlen)
{
	struct osmand_report r;
	char name[32], value[OSMAND_VALUE_MAX];
	const char *p = query, *end = query + len, *amp, *eq;
	size_t i, pairs = 0;

	osmand_report_init(&r, fix);
	if (len > OSMAND_QUERY_MAX)
		return osmand_fail(err, errlen, "query too long");
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			p++; /* "a=1&&b=2", a trailing '&' */
			continue;
		}
		if (++pairs > OSMAND_PARAMS_MAX)
			return osmand_fail(err, errlen, "too many parameters");
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (osmand_unescape(p, (size_t)(eq - p), name,
		    sizeof(name)) == -1) {
			p = amp; /* a key we could not know: ignored */
			continue;
		}
		for (i = 0; i < nitems(osmand_keys); i++)
			if (strcmp(name, osmand_keys[i].name) == 0)
				break;
		if (i < nitems(osmand_keys)) {
			const char *v = eq < amp ? eq + 1 : amp;

			if (osmand_unescape(v, (size_t)(amp - v), value,
			    sizeof(value)) == -1)
				return osmand_fail(err, errlen,
				    "bad value for %s", name);
			if (osmand_apply(&r, osmand_keys[i].key, name, value,
			    err, errlen) == -1)
				return -1;
		}
		p = amp;
	}
	return osmand_finish(&r, now_ms, err, errlen);
}

/* A finite JSON number member of obj, or -1. */
static int
json_number(const cJSON *obj, const char *name, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return -1;
	*out = it->valuedouble;
	return 0;
}

static const char *
json_string(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int
osmand_json_location(struct osmand_report *r, const cJSON *loc, char *err,
    size_t errlen)
{
	struct gps_fix *fix = r->fix;
	const cJSON *coords, *battery, *extras;
	const char *s;
	double d;

	if (cJSON_GetObjectItemCaseSensitive(loc, "timestamp") != NULL) {
		s = json_string(loc, "timestamp");
		if (s == NULL || strlen(s) >= OSMAND_VALUE_MAX ||
		    osmand_time(s, &fix->fix_time_ms) == -1)
			return osmand_fail(err, errlen, "bad timestamp");
		r->has_time = 1;
	}
	coords = cJSON_GetObjectItemCaseSensitive(loc, "coords");
	if (coords != NULL) {
		if (!cJSON_IsObject(coords))
			return osmand_fail(err, errlen, "bad coords");
		if (json_number(coords, "latitude", &fix->lat) == -1)
			return osmand_fail(err, errlen, "bad number for lat");
		if (json_number(coords, "longitude", &fix->lon) == -1)
			return osmand_fail(err, errlen, "bad number for lon");
		r->has_lat = r->has_lon = 1;
		/* speed in m/s; -1 and friends: unknown. */
		if (json_number(coords, "speed", &d) == 0 && d >= 0)
			fix->speed_kmh = d * 3.6;
		if (json_number(coords, "heading", &d) == 0 && d >= 0 &&
		    d <= 360)
			fix->course = d;
		if (json_number(coords, "accuracy", &d) == 0 && d >= 0) {
			fix->accuracy_m = d;
			fix->has_accuracy = 1;
		}
		if (json_number(coords, "altitude", &d) == 0) {
			fix->altitude_m = d;
			fix->has_altitude = 1;
		}
	}
	battery = cJSON_GetObjectItemCaseSensitive(loc, "battery");
	if (cJSON_IsObject(battery) && json_number(battery, "level", &d) == 0 &&
	    d >= 0 && d <= 1)
		fix->battery_pct = (int)lround(d * 100);
	if ((s = json_string(loc, "alarm")) == NULL) {
		extras = cJSON_GetObjectItemCaseSensitive(loc, "extras");
		if (cJSON_IsObject(extras))
			s = json_string(extras, "alarm");
	}
	if (s != NULL)
		fix->alarm = osmand_alarm(s);
	return 0;
}

int
osmand_decode_json(const char *body, size_t len, int64_t now_ms,
    struct gps_fix *fix, char *err, size_t errlen)
{
	struct osmand_report r;
	cJSON *root = NULL;
	const cJSON *loc;
	const char *id;
	int rc = -1;

	osmand_report_init(&r, fix);
	if (len > OSMAND_JSON_MAX)
		return osmand_fail(err, errlen, "body too long");
	if ((root = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		osmand_fail(err, errlen, "bad json");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "device_id") != NULL) {
		if ((id = json_string(root, "device_id")) == NULL) {
			osmand_fail(err, errlen, "bad id");
			goto out;
		}
		if (osmand_set_id(&r, id, err, errlen) == -1)
			goto out;
	}
	loc = cJSON_GetObjectItemCaseSensitive(root, "location");
	if (cJSON_IsArray(loc)) {
		/* Batched uploads (batchSync) would need one fix each. */
		osmand_fail(err, errlen, "location array not supported");
		goto out;
	}
	if (loc != NULL) {
		if (!cJSON_IsObject(loc)) {
			osmand_fail(err, errlen, "bad location");
			goto out;
		}
		if (osmand_json_location(&r, loc, err, errlen) == -1)
			goto out;
	}
	rc = osmand_finish(&r, now_ms, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}
