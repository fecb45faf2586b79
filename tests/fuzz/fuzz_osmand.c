/*
 * fuzz_osmand: both OsmAnd decoders (query string and JSON body) on the
 * same arbitrary bytes, which are not NUL-terminated, checking what a
 * successful decode promises and that a failure always says why. Seeds:
 * real requests from traccar's and Traccar Client's tests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "osmand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int rc, const struct gps_fix *fix, const char *err)
{
	size_t n;

	if (rc == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	n = strnlen(fix->device_id, sizeof(fix->device_id));
	if (rc != 0 || n == sizeof(fix->device_id) ||
	    !gps_id_ok(fix->device_id, n))
		abort();
	if (fix->kind != GPS_HEARTBEAT && fix->kind != GPS_POSITION &&
	    fix->kind != GPS_ALARM)
		abort();
	if (fix->lat < -90 || fix->lat > 90 || fix->lon < -180 ||
	    fix->lon > 180 || fix->fix_time_ms < 0)
		abort();
	if (fix->battery_pct < -1 || fix->battery_pct > 100 ||
	    gps_alarm_name(fix->alarm) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now_ms = 1795773600000LL;
	struct gps_fix fix;
	char err[128];
	uint8_t *copy;
	int rc;

	/* An exact-size heap copy, so that ASan sees any read past len. */
	copy = malloc(size == 0 ? 1 : size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	err[0] = '\0';
	rc = osmand_decode_query((const char *)copy, size, now_ms, &fix, err,
	    sizeof(err));
	check(rc, &fix, err);
	err[0] = '\0';
	rc = osmand_decode_json((const char *)copy, size, now_ms, &fix, err,
	    sizeof(err));
	check(rc, &fix, err);
	free(copy);
	return 0;
}
