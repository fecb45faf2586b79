/*
 * gpsfix: the one result type of every GPS protocol decoder (gt06, h02,
 * osmand), so that the server around them handles a GT06 login, an H02
 * status line and an OsmAnd HTTP request the same way.
 *
 * Conventions, the same for every protocol:
 *   - device_id is the IMEI or tracker id, letters and digits only, at most
 *     31 characters; "" when the frame carries none (a GT06 position sent
 *     before the login on that connection). The server decides what to do
 *     with fixes that have no device.
 *   - fix_time_ms is UTC milliseconds since the epoch as reported by the
 *     device, or 0 when the device gave no usable time (the server then uses
 *     its receive time).
 *   - lat/lon are degrees, south and west negative. They are only meaningful
 *     for GPS_POSITION and GPS_ALARM; valid is the device's own "GPS fixed"
 *     flag (a device still reports its last position with valid = 0).
 *   - speed_kmh is km/h whatever the wire unit was (GT06 km/h, H02 and
 *     OsmAnd query knots, OsmAnd JSON m/s); course is degrees from north.
 *   - Fields the frame does not carry keep "unknown" values: satellites -1,
 *     battery_pct -1, ignition -1, has_altitude/has_hdop/has_accuracy 0.
 *
 * Everything here is pure: no I/O, no clock. The helpers are static inline
 * so that each decoder can be built and fuzzed on its own.
 */
#ifndef SIMPUL_GPSFIX_H
#define SIMPUL_GPSFIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GPS_DEVICE_ID_MAX 32 /* with the NUL */

enum gps_kind {
	GPS_NONE,
	GPS_LOGIN,     /* a device announced itself (GT06 login) */
	GPS_HEARTBEAT, /* alive/status, no position */
	GPS_POSITION,
	GPS_ALARM      /* a position (or status) that carries an alarm */
};

enum gps_alarm {
	GPS_ALARM_NONE,
	GPS_ALARM_SOS,
	GPS_ALARM_POWER_CUT,
	GPS_ALARM_VIBRATION,
	GPS_ALARM_GEOFENCE_ENTER,
	GPS_ALARM_GEOFENCE_EXIT,
	GPS_ALARM_OVERSPEED,
	GPS_ALARM_LOW_BATTERY,
	GPS_ALARM_TAMPER
};

struct gps_fix {
	enum gps_kind kind;
	char device_id[GPS_DEVICE_ID_MAX]; /* NUL-terminated, [0-9A-Za-z]* */
	int64_t fix_time_ms;	/* UTC ms since epoch; 0 when unknown */
	double lat, lon;	/* degrees, south/west negative */
	double speed_kmh;
	double course;
	int valid;		/* GPS fix flag */
	int satellites;		/* -1 unknown */
	double altitude_m;
	int has_altitude;
	int battery_pct;	/* -1 unknown */
	int ignition;		/* -1 unknown, 0, 1 */
	double hdop, accuracy_m;
	int has_hdop, has_accuracy;
	enum gps_alarm alarm;
	uint32_t status;	/* raw status word (H02); 0 when absent */
	const char *protocol;	/* "gt06", "h02", "osmand" (static string) */
};

/*
 * Called by the streaming decoders (gt06, h02) once per decoded message.
 * reply, when not NULL, is what the server should write back to the device
 * (already framed); both fix and reply live only for the duration of the
 * call. The callback must not free the connection it was called from.
 */
typedef void (*gps_emit_fn)(void *arg, const struct gps_fix *fix,
    const uint8_t *reply, size_t reply_len);

/*
 * The alarm names of the gps.alarm event schema; "none" for
 * GPS_ALARM_NONE, NULL for a value outside the enum.
 */
static inline const char *
gps_alarm_name(enum gps_alarm a)
{
	switch (a) {
	case GPS_ALARM_NONE:
		return "none";
	case GPS_ALARM_SOS:
		return "sos";
	case GPS_ALARM_POWER_CUT:
		return "power_cut";
	case GPS_ALARM_VIBRATION:
		return "vibration";
	case GPS_ALARM_GEOFENCE_ENTER:
		return "geofence_enter";
	case GPS_ALARM_GEOFENCE_EXIT:
		return "geofence_exit";
	case GPS_ALARM_OVERSPEED:
		return "overspeed";
	case GPS_ALARM_LOW_BATTERY:
		return "low_battery";
	case GPS_ALARM_TAMPER:
		return "tamper";
	}
	return NULL;
}

/* A fix with every optional field set to "unknown". */
static inline void
gps_fix_init(struct gps_fix *fix, const char *protocol)
{
	memset(fix, 0, sizeof(*fix));
	fix->kind = GPS_NONE;
	fix->satellites = -1;
	fix->battery_pct = -1;
	fix->ignition = -1;
	fix->alarm = GPS_ALARM_NONE;
	fix->protocol = protocol;
}

/*
 * UTC date and time to ms since the epoch, or -1 when a field is out of
 * range (month 13, 31 April, hour 24, ...). Devices without a fix often send
 * zeros; those must become "unknown", not 1999-11-30.
 */
static inline int64_t
gps_utc_ms(int year, int mon, int day, int hour, int min, int sec)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap, dim;
	int64_t y, era, yoe, doy, doe, days;

	if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 ||
	    sec > 59)
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	dim = mdays[mon - 1] + (mon == 2 && leap);
	if (day > dim)
		return -1;
	/* Days from civil (Howard Hinnant's algorithm). */
	y = year - (mon <= 2);
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	return ((days * 24 + hour) * 60 + min) * 60000 + (int64_t)sec * 1000;
}

/* 1 when s[0..n) is a usable device id: 1..31 letters or digits. */
static inline int
gps_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= GPS_DEVICE_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z')))
			return 0;
	}
	return 1;
}

#endif
