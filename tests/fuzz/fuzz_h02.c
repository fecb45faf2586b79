/*
 * fuzz_h02: the H02 stream decoder on arbitrary bytes, fed once in one
 * piece and once in chunks of varying size, checking what every reported
 * fix promises (a clean device id, coordinates in range, a text reply
 * ending in '#' or none). Seeds: real messages from traccar's tests and
 * tests/data/gps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h02.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fix(void *arg, const struct gps_fix *fix, const uint8_t *reply,
    size_t len)
{
	size_t n = strnlen(fix->device_id, sizeof(fix->device_id));

	(void)arg;
	if (n == sizeof(fix->device_id) || (n > 0 &&
	    !gps_id_ok(fix->device_id, n)))
		abort();
	if (fix->kind != GPS_HEARTBEAT && fix->kind != GPS_POSITION &&
	    fix->kind != GPS_ALARM)
		abort();
	if (fix->lat < -90 || fix->lat > 90 || fix->lon < -180 ||
	    fix->lon > 180 || fix->fix_time_ms < 0 || fix->speed_kmh < 0)
		abort();
	if (gps_alarm_name(fix->alarm) == NULL)
		abort();
	if ((reply == NULL) != (len == 0))
		abort();
	if (reply != NULL && (reply[0] != '*' || reply[len - 1] != '#'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55 };
	const int64_t now_ms = 1795773600000LL;
	struct h02_conn *c;
	size_t off = 0, i = 0, n;

	c = h02_conn_new();
	h02_conn_feed(c, data, size, now_ms, check_fix, NULL);
	h02_conn_free(c);

	c = h02_conn_new();
	while (off < size) {
		n = steps[i++ % (sizeof(steps) / sizeof(steps[0]))];
		if (n > size - off)
			n = size - off;
		if (h02_conn_feed(c, data + off, n, now_ms, check_fix,
		    NULL) == -1)
			break;
		off += n;
	}
	h02_conn_free(c);
	return 0;
}
