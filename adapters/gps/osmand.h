/*
 * osmand: decodes one OsmAnd / Traccar Client HTTP request into a gps_fix.
 * Pure: the HTTP server around it hands over the query string (or a
 * form-encoded POST body) or a JSON body, and "now" for reports without a
 * timestamp.
 *
 * Query parameters (names are case-sensitive, as in traccar):
 *   id | deviceid   device id, 1..31 letters/digits (required)
 *   lat, lon        degrees; or location=<lat>,<lon>
 *   timestamp       epoch seconds, epoch ms (values >= 2^31-1 are ms, as
 *                   traccar), RFC 3339 / ISO 8601, or "yyyy-MM-dd HH:mm:ss"
 *                   (UTC); absent: now_ms
 *   speed           knots (converted to km/h)
 *   bearing|heading degrees
 *   altitude (m), accuracy (m), hdop, batt (%), valid (true/1),
 *   ignition (true/false/1/0), alarm (sos, powerCut, vibration,
 *   geofenceEnter, geofenceExit, overspeed, lowBattery, tampering, or the
 *   gps.alarm schema names)
 * Percent-escapes and '+' are decoded; unknown keys are ignored (their
 * values are not even decoded); when a key repeats, the last one wins.
 * A request without lat/lon is a heartbeat (kind GPS_HEARTBEAT, or
 * GPS_ALARM with an alarm).
 *
 * JSON (newer Traccar Client, Transistorsoft background-geolocation):
 *   {"device_id": "...", "location": {"timestamp": "<ISO>",
 *    "coords": {"latitude", "longitude", "speed" (m/s), "heading",
 *    "altitude", "accuracy"}, "battery": {"level": 0..1},
 *    "alarm" | "extras": {"alarm"}, "is_moving", ...}}
 * Negative speed, heading, accuracy and battery level mean "unknown".
 */
#ifndef SIMPUL_OSMAND_H
#define SIMPUL_OSMAND_H

#include <stddef.h>
#include <stdint.h>

#include "gpsfix.h"

#define OSMAND_QUERY_MAX 4096	/* query string or form body, bytes */
#define OSMAND_JSON_MAX 65536	/* JSON body, bytes */
#define OSMAND_PARAMS_MAX 64	/* key=value pairs */
#define OSMAND_VALUE_MAX 256	/* decoded value of a known key, bytes */

/*
 * Decodes the query string (what follows '?', or a form-encoded body).
 * Returns 0 and fills fix, or -1 with a one-line reason in err (e.g.
 * "missing id", "bad number for lat", "lat out of range"); the server
 * answers 400 then. fix is undefined after a failure.
 */
int osmand_decode_query(const char *query, size_t len, int64_t now_ms,
    struct gps_fix *fix, char *err, size_t errlen);

/* The same for a JSON body. */
int osmand_decode_json(const char *body, size_t len, int64_t now_ms,
    struct gps_fix *fix, char *err, size_t errlen);

#endif
