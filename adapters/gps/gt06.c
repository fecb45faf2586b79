/*
 * gt06: see gt06.h.
 *
 * Framing. Bytes accumulate in a fixed buffer of GT06_FRAME_MAX bytes. At
 * the head of the buffer there is either a candidate frame (78 78 or 79 79
 * and a plausible length) or garbage, which is skipped up to the next 0x78
 * or 0x79 and counted. A complete candidate is accepted only when its
 * 0D 0A trailer sits where its length says and its CRC matches:
 *   - trailer in place, CRC wrong: a damaged frame; it is dropped whole and
 *     counted in bad_crc (its length was evidently right).
 *   - trailer missing: the "78 78" was garbage that looked like a start;
 *     one byte is skipped and the scan goes on, so a real frame hidden
 *     behind it is still found.
 * An incomplete candidate normally means "wait for more bytes". But a
 * spurious 78 78 in garbage can announce up to 255 bytes (79 79: up to the
 * buffer) and would then hold back the real frames behind it until that
 * many bytes had arrived, which on a tracker reporting every minute is a
 * long stall. So when the head is incomplete, the rest of the buffer is
 * searched for a complete frame with a good CRC; if one exists, the head
 * was garbage and is skipped. A real partial frame is never followed by
 * anything in the buffer, so this cannot throw one away. The decode is the
 * same however the bytes are split across reads, with one contrived
 * exception: a CRC-valid frame nested inside another CRC-valid frame is
 * taken whole when both arrive in one read, and the inner one wins when the
 * outer one is still incomplete.
 *
 * Since a candidate is never longer than the buffer, a full buffer always
 * holds a decidable head: the buffer cannot overflow, only garbage can be
 * dropped. A peer that sends more than GT06_GARBAGE_MAX bytes without one
 * good frame is not a tracker we understand, and the server is told to
 * close the connection.
 *
 * Decoding follows traccar's Gt06ProtocolDecoder (the reference most of
 * these devices are tested against); where it differs it says so here and
 * in docs/gps-protocols.md.
 */
#include "gt06.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define GT06_GPS_LEN 18 /* date(6) sats(1) lat(4) lon(4) speed(1) flags(2) */

struct gt06_conn {
	uint8_t buf[GT06_FRAME_MAX];
	size_t len;
	size_t garbage; /* bytes skipped since the last good frame */
	char imei[GPS_DEVICE_ID_MAX];
	struct gt06_stats st;
};

enum gt06_verdict {
	GT06_FRAME,	/* complete frame, good CRC */
	GT06_MORE,	/* plausible start, not complete yet */
	GT06_SKIP,	/* not a frame start: skip a byte */
	GT06_BAD_CRC	/* framed correctly, CRC mismatch: skip the frame */
};

uint16_t
gt06_crc_itu(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (uint16_t)((crc >> 1) ^ (0x8408u & (0u - (crc & 1u))));
	}
	return (uint16_t)~crc;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

struct gt06_conn *
gt06_conn_new(void)
{
	return xcalloc(1, sizeof(struct gt06_conn));
}

void
gt06_conn_free(struct gt06_conn *c)
{
	free(c);
}

void
gt06_conn_stats(const struct gt06_conn *c, struct gt06_stats *out)
{
	*out = c->st;
}

const char *
gt06_conn_device(const struct gt06_conn *c)
{
	return c->imei;
}

/*
 * Classifies the bytes at p[0..n). On GT06_FRAME and GT06_BAD_CRC *total is
 * the frame's length.
 */
static enum gt06_verdict
gt06_frame_check(const uint8_t *p, size_t n, size_t *total)
{
	size_t len, t;

	if (p[0] != 0x78 && p[0] != 0x79)
		return GT06_SKIP;
	if (n < 2)
		return GT06_MORE;
	if (p[1] != p[0])
		return GT06_SKIP;
	if (p[0] == 0x78) {
		if (n < 3)
			return GT06_MORE;
		len = p[2];
		t = len + 5;
	} else {
		if (n < 4)
			return GT06_MORE;
		len = be16(p + 2);
		t = len + 6;
	}
	/* len counts protocol, content, serial and CRC: at least 5. */
	if (len < 5 || t > GT06_FRAME_MAX)
		return GT06_SKIP;
	if (n < t)
		return GT06_MORE;
	if (p[t - 2] != 0x0d || p[t - 1] != 0x0a)
		return GT06_SKIP;
	*total = t;
	if (gt06_crc_itu(p + 2, t - 6) != be16(p + t - 4))
		return GT06_BAD_CRC;
	return GT06_FRAME;
}

/*
 * Decodes the common GPS block (GT06_GPS_LEN bytes). Returns -1 when the
 * coordinates are impossible.
 */
static int
gt06_gps(const uint8_t *p, struct gps_fix *fix)
{
	int64_t t;
	double lat, lon;
	uint16_t flags;

	/* Date and time are binary YY MM DD hh mm ss, UTC. Devices without a
	 * fix may send zeros: that is "unknown", not an error. */
	t = gps_utc_ms(2000 + p[0], p[1], p[2], p[3], p[4], p[5]);
	fix->fix_time_ms = t < 0 ? 0 : t;
	/* High nibble: length of the GPS info; low nibble: satellites. */
	fix->satellites = p[6] & 0x0f;
	lat = be32(p + 7) / 1800000.0;
	lon = be32(p + 11) / 1800000.0;
	fix->speed_kmh = p[15];
	flags = be16(p + 16);
	fix->course = flags & 0x3ff;
	fix->valid = (flags >> 12) & 1;
	/* As traccar: bit 10 set = north, bit 11 set = west. */
	if (!(flags & 0x0400))
		lat = -lat;
	if (flags & 0x0800)
		lon = -lon;
	/* Bit 14 says whether bit 15 carries the ACC (ignition) line. */
	if (flags & 0x4000)
		fix->ignition = (flags >> 15) & 1;
	if (lat > 90.0 || lat < -90.0 || lon > 180.0 || lon < -180.0)
		return -1;
	fix->lat = lat;
	fix->lon = lon;
	return 0;
}

/* Login 0x01: the IMEI as 8 BCD bytes, the first nibble a padding 0. */
static int
gt06_login(struct gt06_conn *c, const uint8_t *p, size_t n,
    struct gps_fix *fix)
{
	char imei[16];
	size_t i;

	if (n < 8)
		return -1;
	for (i = 0; i < 16; i++) {
		unsigned nib = i % 2 == 0 ? p[i / 2] >> 4 : p[i / 2] & 0x0fu;

		if (nib > 9)
			return -1;
		if (i > 0)
			imei[i - 1] = (char)('0' + nib);
	}
	imei[15] = '\0';
	/* A second login on the same connection replaces the first. */
	memcpy(c->imei, imei, sizeof(imei));
	fix->kind = GPS_LOGIN;
	return 0;
}

/* Voltage level 0..6 (none .. very high), to percent as traccar does. */
static int
gt06_battery(uint8_t level)
{
	return level <= 6 ? level * 100 / 6 : -1;
}

/* Status 0x13: terminal info, voltage level, GSM signal, alarm/language. */
static int
gt06_status(const uint8_t *p, size_t n, struct gps_fix *fix)
{
	fix->kind = GPS_HEARTBEAT;
	if (n == 16) {
		/* A longer variant (info, satellites(2), alarm, language,
		 * battery, mode, voltage(2), ...): traccar takes byte 5 as
		 * the battery level in percent. No terminal info here. */
		fix->battery_pct = p[5] <= 100 ? p[5] : -1;
		return 0;
	}
	if (n < 3)
		return -1;
	/* Terminal info bit 1 is ACC. Bits 3-5 hold a latched alarm state;
	 * the alarm itself arrives as a 0x16/0x26 packet, so a heartbeat
	 * does not repeat it (traccar does; see docs). */
	fix->ignition = (p[0] >> 1) & 1;
	fix->battery_pct = gt06_battery(p[1]);
	return 0;
}

/* The alarm byte of 0x16/0x26, mapped as traccar's decodeAlarm(). */
static enum gps_alarm
gt06_alarm_byte(uint8_t b)
{
	switch (b) {
	case 0x01:
		return GPS_ALARM_SOS;
	case 0x02:
		return GPS_ALARM_POWER_CUT;
	case 0x03:
	case 0x09:
		return GPS_ALARM_VIBRATION;
	case 0x04:
		return GPS_ALARM_GEOFENCE_ENTER;
	case 0x05:
		return GPS_ALARM_GEOFENCE_EXIT;
	case 0x06:
		return GPS_ALARM_OVERSPEED;
	case 0x0e:
	case 0x0f:
		return GPS_ALARM_LOW_BATTERY;
	case 0x13:
		return GPS_ALARM_TAMPER;
	default:
		return GPS_ALARM_NONE;
	}
}

/*
 * Terminal info bits 3-5, which traccar uses when the alarm byte says
 * nothing it knows. 6 is "geofence" without a direction: not mapped.
 */
static enum gps_alarm
gt06_alarm_terminal(uint8_t term)
{
	switch ((term >> 3) & 7) {
	case 1:
		return GPS_ALARM_VIBRATION;
	case 2:
		return GPS_ALARM_POWER_CUT;
	case 3:
		return GPS_ALARM_LOW_BATTERY;
	case 4:
		return GPS_ALARM_SOS;
	case 7:
		return GPS_ALARM_TAMPER;
	default:
		return GPS_ALARM_NONE;
	}
}

/*
 * Skips the cell (LBS) block after the GPS block; returns the offset after
 * it, or 0 when the content is too short. With a length byte (alarm frames)
 * the block is as long as that byte says; a length of 0 is followed by 45
 * zero bytes on some firmware (traccar skips them).
 */
static size_t
gt06_lbs_skip(const uint8_t *p, size_t n, size_t off, int has_length)
{
	size_t lbs_len = 0, i, end, mnc;

	if (has_length) {
		if (off >= n)
			return 0;
		lbs_len = p[off++];
		if (lbs_len == 0) {
			end = off + 45 < n ? off + 45 : n;
			for (i = off + 9; i < end; i++)
				if (p[i] != 0)
					return off;
			return end;
		}
	}
	if (off + 2 > n)
		return 0;
	/* mcc bit 15 announces a 2-byte mnc. */
	mnc = (p[off] & 0x80) ? 2 : 1;
	off += 2 + mnc + 2 + 3;
	if (lbs_len > 9)
		off += lbs_len - 9;
	return off <= n ? off : 0;
}

/* Location 0x12 and 0x22: GPS block, cell block, (0x22) ACC byte. */
static int
gt06_location(uint8_t proto, const uint8_t *p, size_t n,
    struct gps_fix *fix)
{
	size_t off;

	if (n < GT06_GPS_LEN || gt06_gps(p, fix) == -1)
		return -1;
	fix->kind = GPS_POSITION;
	if (proto == 0x22 &&
	    (off = gt06_lbs_skip(p, n, GT06_GPS_LEN, 0)) != 0 && off + 3 <= n)
		fix->ignition = p[off] != 0; /* then upload mode, re-upload */
	return 0;
}

/*
 * Alarm 0x16 and 0x26: GPS block, cell block with a length byte, terminal
 * info, voltage level, GSM signal, alarm byte, language.
 */
static int
gt06_alarm(const uint8_t *p, size_t n, struct gps_fix *fix)
{
	size_t off;
	uint8_t term;

	if (n < GT06_GPS_LEN || gt06_gps(p, fix) == -1)
		return -1;
	if ((off = gt06_lbs_skip(p, n, GT06_GPS_LEN, 1)) == 0 || off + 4 > n)
		return -1;
	term = p[off];
	fix->ignition = (term >> 1) & 1;
	fix->battery_pct = gt06_battery(p[off + 1]);
	fix->alarm = gt06_alarm_byte(p[off + 3]);
	if (fix->alarm == GPS_ALARM_NONE)
		fix->alarm = gt06_alarm_terminal(term);
	fix->kind = fix->alarm != GPS_ALARM_NONE ? GPS_ALARM : GPS_POSITION;
	return 0;
}

/* Decodes one good frame f[0..total) and reports it. */
static void
gt06_frame(struct gt06_conn *c, const uint8_t *f, size_t total,
    gps_emit_fn cb, void *arg)
{
	size_t hdr = f[0] == 0x78 ? 4 : 5;
	uint8_t proto = f[hdr - 1];
	const uint8_t *p = f + hdr;
	size_t n = total - hdr - 6;
	uint16_t serial = be16(f + total - 6), crc;
	struct gps_fix fix;
	uint8_t reply[10];
	int r, answer = 0;

	gps_fix_init(&fix, "gt06");
	switch (proto) {
	case 0x01:
		r = gt06_login(c, p, n, &fix);
		answer = 1;
		break;
	case 0x13:
		r = gt06_status(p, n, &fix);
		answer = 1;
		break;
	case 0x12:
	case 0x22:
		r = gt06_location(proto, p, n, &fix);
		break;
	case 0x16:
	case 0x26:
		r = gt06_alarm(p, n, &fix);
		answer = 1;
		break;
	default:
		c->st.unknown_type++;
		return;
	}
	if (r == -1) {
		c->st.malformed++;
		return;
	}
	memcpy(fix.device_id, c->imei, sizeof(fix.device_id));
	if (answer) {
		reply[0] = 0x78;
		reply[1] = 0x78;
		reply[2] = 0x05;
		reply[3] = proto;
		reply[4] = (uint8_t)(serial >> 8);
		reply[5] = (uint8_t)serial;
		crc = gt06_crc_itu(reply + 2, 4);
		reply[6] = (uint8_t)(crc >> 8);
		reply[7] = (uint8_t)crc;
		reply[8] = 0x0d;
		reply[9] = 0x0a;
	}
	cb(arg, &fix, answer ? reply : NULL, answer ? sizeof(reply) : 0);
}

/*
 * The head at pos is an incomplete candidate. Returns the offset of a later
 * complete frame with a good CRC, or 0 when there is none.
 */
static size_t
gt06_lookahead(const struct gt06_conn *c, size_t pos)
{
	size_t q, total;

	for (q = pos + 1; q + 1 < c->len; q++) {
		if ((c->buf[q] == 0x78 || c->buf[q] == 0x79) &&
		    c->buf[q + 1] == c->buf[q] &&
		    gt06_frame_check(c->buf + q, c->len - q, &total) ==
		    GT06_FRAME)
			return q;
	}
	return 0;
}

/* Skips from pos to the next byte that may start a frame. */
static size_t
gt06_next_start(const struct gt06_conn *c, size_t pos)
{
	for (pos++; pos < c->len; pos++)
		if (c->buf[pos] == 0x78 || c->buf[pos] == 0x79)
			break;
	return pos;
}

/* Decodes every complete frame in the buffer; returns 0 or -1 (close). */
static int
gt06_drain(struct gt06_conn *c, gps_emit_fn cb, void *arg)
{
	size_t pos = 0, total = 0, next;
	int rc = 0;

	while (pos < c->len) {
		switch (gt06_frame_check(c->buf + pos, c->len - pos, &total)) {
		case GT06_FRAME:
			c->st.frames++;
			c->garbage = 0;
			gt06_frame(c, c->buf + pos, total, cb, arg);
			pos += total;
			continue;
		case GT06_BAD_CRC:
			c->st.bad_crc++;
			c->garbage += total;
			pos += total;
			break;
		case GT06_SKIP:
			next = gt06_next_start(c, pos);
			c->st.dropped_bytes += next - pos;
			c->garbage += next - pos;
			pos = next;
			break;
		case GT06_MORE:
			if ((next = gt06_lookahead(c, pos)) == 0)
				goto out;
			c->st.dropped_bytes += next - pos;
			c->garbage += next - pos;
			pos = next;
			break;
		}
		if (c->garbage > GT06_GARBAGE_MAX) {
			rc = -1;
			break;
		}
	}
out:
	memmove(c->buf, c->buf + pos, c->len - pos);
	c->len -= pos;
	return rc;
}

int
gt06_conn_feed(struct gt06_conn *c, const uint8_t *data, size_t len,
    gps_emit_fn cb, void *arg)
{
	size_t room, n;

	while (len > 0) {
		room = sizeof(c->buf) - c->len;
		/* gt06_drain() leaves at most an incomplete candidate, which
		 * is shorter than the buffer. */
		if (room == 0)
			fatalx("gt06: buffer full after drain");
		n = len < room ? len : room;
		memcpy(c->buf + c->len, data, n);
		c->len += n;
		data += n;
		len -= n;
		if (gt06_drain(c, cb, arg) == -1)
			return -1;
	}
	return 0;
}
