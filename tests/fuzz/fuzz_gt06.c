/*
 * fuzz_gt06: the GT06 stream decoder on arbitrary bytes, fed in one piece,
 * in one piece with every well-framed frame's CRC repaired (so that mutated
 * frames reach the decoders), and in chunks of varying size; every reported
 * fix is checked for what it promises (a clean device id, coordinates in
 * range, a correct 10-byte reply or none). Seeds: real frames from
 * traccar's tests and tests/data/gps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gt06.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fix(void *arg, const struct gps_fix *fix, const uint8_t *reply,
    size_t len)
{
	size_t n = strnlen(fix->device_id, sizeof(fix->device_id)), i;

	(void)arg;
	if (n == sizeof(fix->device_id))
		abort();
	for (i = 0; i < n; i++)
		if (fix->device_id[i] < '0' || fix->device_id[i] > '9')
			abort(); /* an IMEI is digits */
	if (fix->kind != GPS_LOGIN && fix->kind != GPS_HEARTBEAT &&
	    fix->kind != GPS_POSITION && fix->kind != GPS_ALARM)
		abort();
	if (fix->lat < -90 || fix->lat > 90 || fix->lon < -180 ||
	    fix->lon > 180 || fix->fix_time_ms < 0)
		abort();
	if (gps_alarm_name(fix->alarm) == NULL)
		abort();
	if ((reply == NULL) != (len == 0) || (reply != NULL && len != 10))
		abort();
	if (reply != NULL && gt06_crc_itu(reply + 2, 4) !=
	    (uint16_t)(reply[6] << 8 | reply[7]))
		abort();
}

/*
 * A copy of the input in which every well-framed frame (start, length,
 * trailer) gets a correct CRC: a mutated frame almost never keeps a valid
 * CRC, so without this the fuzzer would hardly ever reach the decoders
 * behind the CRC check.
 */
static uint8_t *
fix_crcs(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size == 0 ? 1 : size);
	size_t i, t;
	uint16_t crc;

	if (p == NULL)
		return NULL;
	memcpy(p, data, size);
	for (i = 0; i + 4 < size; i++) {
		if (p[i] == 0x78 && p[i + 1] == 0x78)
			t = (size_t)p[i + 2] + 5;
		else if (p[i] == 0x79 && p[i + 1] == 0x79)
			t = (size_t)(p[i + 2] << 8 | p[i + 3]) + 6;
		else
			continue;
		if (t < 10 || i + t > size || p[i + t - 2] != 0x0d ||
		    p[i + t - 1] != 0x0a)
			continue;
		crc = gt06_crc_itu(p + i + 2, t - 6);
		p[i + t - 4] = (uint8_t)(crc >> 8);
		p[i + t - 3] = (uint8_t)crc;
	}
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55 };
	struct gt06_conn *c;
	size_t off = 0, i = 0, n;
	uint8_t *fixed;

	c = gt06_conn_new();
	gt06_conn_feed(c, data, size, check_fix, NULL);
	gt06_conn_free(c);

	if ((fixed = fix_crcs(data, size)) != NULL) {
		c = gt06_conn_new();
		gt06_conn_feed(c, fixed, size, check_fix, NULL);
		gt06_conn_free(c);
		free(fixed);
	}

	c = gt06_conn_new();
	while (off < size) {
		n = steps[i++ % (sizeof(steps) / sizeof(steps[0]))];
		if (n > size - off)
			n = size - off;
		if (gt06_conn_feed(c, data + off, n, check_fix, NULL) == -1)
			break;
		off += n;
	}
	gt06_conn_free(c);
	return 0;
}
