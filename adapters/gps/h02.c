/*
 * h02: see h02.h.
 *
 * Framing. A message runs from '*' to the first '#'. Anything before a '*'
 * is junk (CR/LF between messages excepted); a second '*' before the '#'
 * means the first start was junk, so the message restarts there. Bytes wait
 * in a buffer of H02_MSG_MAX; a start that has not found its '#' within
 * that many bytes is dropped.
 *
 * Parsing. traccar matches one large regular expression with optional
 * groups; here the message is split at commas and the fields are checked in
 * place, which is easier to bound and to fuzz. The differences that matter:
 *   - after the date, a field of exactly 8 hex digits is the status word
 *     (traccar's optional "SIM info" group can swallow the status of a
 *     message that has a battery field, e.g. "...,4,080918,EEE7FBDF,..");
 *   - a V message whose latitude and longitude are both empty is reported
 *     as a heartbeat carrying its status (traccar drops it);
 *   - a missing date leaves fix_time_ms 0 (unknown), where traccar takes
 *     its own clock.
 * Fields are never copied except into small bounded buffers for numbers.
 */
#include "h02.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct h02_conn {
	uint8_t buf[H02_MSG_MAX];
	size_t len;
	size_t garbage; /* bytes skipped since the last good message */
	char id[GPS_DEVICE_ID_MAX];
	struct h02_stats st;
};

struct h02_field {
	const char *p;
	size_t n;
};

enum h02_result { H02_OK, H02_UNKNOWN, H02_BAD };

struct h02_conn *
h02_conn_new(void)
{
	return xcalloc(1, sizeof(struct h02_conn));
}

void
h02_conn_free(struct h02_conn *c)
{
	free(c);
}

void
h02_conn_stats(const struct h02_conn *c, struct h02_stats *out)
{
	*out = c->st;
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_hex(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

static int
f_is(const struct h02_field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* 1 when f is exactly n digits (n == 0: one or more digits). */
static int
f_digits(const struct h02_field *f, size_t n)
{
	size_t i;

	if (f->n == 0 || (n != 0 && f->n != n))
		return 0;
	for (i = 0; i < f->n; i++)
		if (!is_digit(f->p[i]))
			return 0;
	return 1;
}

static int
f_hex8(const struct h02_field *f)
{
	size_t i;

	if (f->n != 8)
		return 0;
	for (i = 0; i < 8; i++)
		if (!is_hex(f->p[i]))
			return 0;
	return 1;
}

static uint32_t
f_hex32(const struct h02_field *f)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < f->n; i++) {
		char ch = f->p[i];
		uint32_t d = is_digit(ch) ? (uint32_t)(ch - '0') :
		    (uint32_t)((ch | 0x20) - 'a' + 10);

		v = v << 4 | d;
	}
	return v;
}

/* Two digits at p (already checked) as a number. */
static int
two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * An unsigned decimal "123", "12.5", "0.": digits with at most one dot,
 * leading spaces allowed (some firmware pads the speed). Returns 0 / -1.
 */
static int
h02_decimal(const struct h02_field *f, double *out)
{
	char tmp[24];
	size_t i = 0, j, digits = 0, dots = 0;

	while (i < f->n && f->p[i] == ' ')
		i++;
	if (f->n - i == 0 || f->n - i >= sizeof(tmp))
		return -1;
	for (j = i; j < f->n; j++) {
		if (is_digit(f->p[j]))
			digits++;
		else if (f->p[j] == '.' && dots++ == 0)
			continue;
		else
			return -1;
	}
	if (digits == 0)
		return -1;
	memcpy(tmp, f->p + i, f->n - i);
	tmp[f->n - i] = '\0';
	return parse_double(tmp, out);
}

/*
 * A coordinate and its hemisphere field. Three layouts exist:
 *   DDMM.MMMM (any number of degree digits, two of minutes before the dot),
 *   DDMMMMMM  (no dot: the last four digits are the minutes' fraction),
 *   -D-M.MMMM (degrees and minutes each after a dash).
 * Returns 0, 1 when the value is empty (no position), -1 when bad.
 */
static int
h02_coord(const struct h02_field *v, const struct h02_field *h, int lon,
    double *out)
{
	struct h02_field deg, min;
	const char *dot, *dash;
	double d, m, frac;
	size_t i;
	char hemi;

	if (v->n == 0)
		return 1;
	if (h->n != 1)
		return -1;
	hemi = h->p[0];
	if (lon ? hemi != 'E' && hemi != 'W' : hemi != 'N' && hemi != 'S')
		return -1;
	if (v->p[0] == '-') {
		dash = memchr(v->p + 1, '-', v->n - 1);
		if (dash == NULL)
			return -1;
		deg.p = v->p + 1;
		deg.n = (size_t)(dash - deg.p);
		min.p = dash + 1;
		min.n = v->n - (size_t)(min.p - v->p);
		if (!f_digits(&deg, 0) || min.n == 0 || min.p[0] == ' ' ||
		    h02_decimal(&min, &m) == -1)
			return -1;
	} else if ((dot = memchr(v->p, '.', v->n)) != NULL) {
		if (dot - v->p < 3)
			return -1;
		deg.p = v->p;
		deg.n = (size_t)(dot - v->p) - 2;
		min.p = dot - 2;
		min.n = v->n - deg.n;
		if (!f_digits(&deg, 0) || min.p[0] == ' ' ||
		    h02_decimal(&min, &m) == -1)
			return -1;
	} else {
		if (v->n < 7 || !f_digits(v, 0))
			return -1;
		deg.p = v->p;
		deg.n = v->n - 6;
		min.p = v->p + deg.n;
		min.n = 6;
		m = two(min.p);
		frac = (two(min.p + 2) * 100 + two(min.p + 4)) / 10000.0;
		m += frac;
	}
	if (deg.n > 3)
		return -1;
	d = 0;
	for (i = 0; i < deg.n; i++)
		d = d * 10 + (deg.p[i] - '0');
	if (m >= 60.0)
		return -1;
	d += m / 60.0;
	if (d > (lon ? 180.0 : 90.0))
		return -1;
	*out = hemi == 'S' || hemi == 'W' ? -d : d;
	return 0;
}

/* Alarms of the active-low status word, in traccar's order of priority. */
static enum gps_alarm
h02_status_alarm(uint32_t st)
{
	if (!(st & (1u << 0)))
		return GPS_ALARM_VIBRATION;
	if (!(st & (1u << 1)) || !(st & (1u << 18)))
		return GPS_ALARM_SOS;
	if (!(st & (1u << 2)))
		return GPS_ALARM_OVERSPEED;
	if (!(st & (1u << 19)))
		return GPS_ALARM_POWER_CUT;
	return GPS_ALARM_NONE;
}

static void
h02_status(uint32_t st, struct gps_fix *fix)
{
	fix->status = st;
	fix->alarm = h02_status_alarm(st);
	fix->ignition = (int)((st >> 10) & 1u);
}

/* hhmmss and ddmmyy fields to ms; 0 (unknown) when absent or invalid. */
static int64_t
h02_time(const struct h02_field *hms, const struct h02_field *dmy)
{
	int64_t t;

	if (hms == NULL || dmy == NULL || !f_digits(hms, 6) ||
	    !f_digits(dmy, 6))
		return 0;
	t = gps_utc_ms(2000 + two(dmy->p + 4), two(dmy->p + 2), two(dmy->p),
	    two(hms->p), two(hms->p + 2), two(hms->p + 4));
	return t < 0 ? 0 : t;
}

/*
 * The V1 layout starting at field t (the time). Returns 0 and fills out,
 * or -1 (out untouched) when the fields do not have that layout.
 */
static int
h02_layout(const struct h02_field *f, size_t nf, size_t t,
    struct gps_fix *out)
{
	const struct h02_field *v, *date = NULL;
	struct gps_fix tmp = *out, *fix = &tmp;
	size_t c, next;
	double lat = 0, lon = 0;
	int rlat, rlon, valid;

	if (t + 8 > nf)
		return -1;
	if (f[t].n != 0 && !f_digits(&f[t], 6))
		return -1;
	v = &f[t + 1];
	if (v->n == 0 || f_is(v, "V") || f_is(v, "B"))
		valid = 0;
	else if (f_is(v, "A") || f_digits(v, 0))
		valid = 1; /* digits: a "coding scheme", valid per traccar */
	else
		return -1;
	rlat = h02_coord(&f[t + 2], &f[t + 3], 0, &lat);
	rlon = h02_coord(&f[t + 4], &f[t + 5], 1, &lon);
	if (rlat == -1 || rlon == -1 || rlat != rlon)
		return -1;
	if (f[t + 6].n != 0 && h02_decimal(&f[t + 6], &fix->speed_kmh) == -1)
		return -1;
	fix->speed_kmh *= 1.852; /* knots */
	if (f[t + 7].n != 0 && h02_decimal(&f[t + 7], &fix->course) == -1)
		return -1;

	/* Optional battery field, then the date, then the status. */
	c = t + 8;
	next = c;
	if (c < nf) {
		if (f_digits(&f[c], 6)) {
			date = &f[c];
			next = c + 1;
		} else if (f[c].n == 0) {
			next = c + 1;
		} else if (f_digits(&f[c], 0) && c + 1 < nf &&
		    (f_digits(&f[c + 1], 6) || f[c + 1].n == 0)) {
			date = f[c + 1].n != 0 ? &f[c + 1] : NULL;
			next = c + 2;
		}
	}
	if (next < nf && f_hex8(&f[next]))
		h02_status(f_hex32(&f[next]), fix);
	else if (next + 3 < nf && f_hex8(&f[next + 3]))
		h02_status(f_hex32(&f[next + 3]), fix); /* after SIM info */

	fix->fix_time_ms = h02_time(&f[t], date);
	if (rlat == 0) {
		fix->lat = lat;
		fix->lon = lon;
		fix->valid = valid;
		fix->kind = GPS_POSITION;
	} else {
		fix->kind = GPS_HEARTBEAT;
		fix->speed_kmh = 0;
		fix->course = 0;
	}
	if (fix->alarm != GPS_ALARM_NONE)
		fix->kind = GPS_ALARM;
	*out = tmp; /* only a complete match touches the caller's fix */
	return 0;
}

/* VP1,A|B,lat,NS,lon,EW,speed,course,ddmmyy (or VP1,V,mcc,mnc,cells). */
static int
h02_vp1(const struct h02_field *f, size_t nf, struct gps_fix *fix)
{
	double lat, lon;

	if (nf < 4)
		return -1;
	if (f_is(&f[3], "V")) {
		fix->kind = GPS_HEARTBEAT; /* cells only */
		return 0;
	}
	if ((!f_is(&f[3], "A") && !f_is(&f[3], "B")) || nf < 11)
		return -1;
	if (h02_coord(&f[4], &f[5], 0, &lat) != 0 ||
	    h02_coord(&f[6], &f[7], 1, &lon) != 0 ||
	    h02_decimal(&f[8], &fix->speed_kmh) == -1 ||
	    h02_decimal(&f[9], &fix->course) == -1 || !f_digits(&f[10], 6))
		return -1;
	fix->speed_kmh *= 1.852;
	fix->lat = lat;
	fix->lon = lon;
	fix->valid = 1;
	/* A date without a time of day is not a time: left unknown. */
	fix->kind = GPS_POSITION;
	return 0;
}

/*
 * NBR, LINK, V3: no position, but "...,<ddmmyy>,<status>[,...]" near the
 * end. The last such pair is taken.
 */
static int
h02_status_only(const struct h02_field *f, size_t nf, struct gps_fix *fix)
{
	size_t i, found = 0;
	long batt;
	char tmp[8];

	for (i = 4; i + 1 < nf; i++)
		if (f_digits(&f[i], 6) && f_hex8(&f[i + 1]))
			found = i;
	if (found == 0)
		return -1;
	h02_status(f_hex32(&f[found + 1]), fix);
	fix->fix_time_ms = h02_time(&f[3], &f[found]);
	if (f_is(&f[2], "LINK") && nf > 6 && f_digits(&f[5], 0) &&
	    f_digits(&f[6], 0) && f[5].n < 4 && f[6].n < 4) {
		/* LINK: time, rssi, satellites, battery, steps, ... */
		memcpy(tmp, f[5].p, f[5].n);
		tmp[f[5].n] = '\0';
		if (parse_long(tmp, 0, 99, &batt) == 0)
			fix->satellites = (int)batt;
		memcpy(tmp, f[6].p, f[6].n);
		tmp[f[6].n] = '\0';
		if (parse_long(tmp, 0, 100, &batt) == 0)
			fix->battery_pct = (int)batt;
	}
	fix->kind = fix->alarm != GPS_ALARM_NONE ? GPS_ALARM : GPS_HEARTBEAT;
	return 0;
}

/* HTBT,<battery %> (V0 carries nothing we use). */
static void
h02_heartbeat(const struct h02_field *f, size_t nf, struct gps_fix *fix)
{
	char tmp[8];
	long batt;

	fix->kind = GPS_HEARTBEAT;
	if (nf > 3 && f_digits(&f[3], 0) && f[3].n < 4) {
		memcpy(tmp, f[3].p, f[3].n);
		tmp[f[3].n] = '\0';
		if (parse_long(tmp, 0, 100, &batt) == 0)
			fix->battery_pct = (int)batt;
	}
}

/* "*HQ,<id>,V4,V1,<yyyyMMddHHmmss>#", as traccar answers a V1. */
static size_t
h02_reply_v1(char *out, size_t outlen, const struct h02_field *id,
    int64_t now_ms)
{
	char iso[32];
	int n;

	time_format_rfc3339(now_ms, iso); /* 2026-11-27T10:00:00.000Z */
	n = snprintf(out, outlen, "*HQ,%.*s,V4,V1,%.4s%.2s%.2s%.2s%.2s%.2s#",
	    (int)id->n, id->p, iso, iso + 5, iso + 8, iso + 11, iso + 14,
	    iso + 17);
	return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

/*
 * Decodes the message m[0..n) ('*' to '#') and reports it. Returns H02_OK
 * when reported, H02_UNKNOWN for a well-formed message of a type not
 * decoded, H02_BAD otherwise.
 */
static enum h02_result
h02_message(struct h02_conn *c, const char *m, size_t n, int64_t now_ms,
    gps_emit_fn cb, void *arg)
{
	struct h02_field f[H02_FIELDS_MAX];
	struct gps_fix fix;
	char reply[96];
	size_t nf = 0, i, start, t, reply_len = 0;
	const struct h02_field *type;
	int r = -1;

	/* Split the inside, m[1..n-1), at commas. */
	start = 1;
	for (i = 1; i < n - 1; i++) {
		if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] > 0x7e)
			return H02_BAD;
		if (m[i] != ',')
			continue;
		if (nf == H02_FIELDS_MAX - 1)
			return H02_BAD;
		f[nf].p = m + start;
		f[nf++].n = i - start;
		start = i + 1;
	}
	f[nf].p = m + start;
	f[nf++].n = n - 1 - start;
	if (nf < 3 || f[0].n != 2 || !gps_id_ok(f[0].p, f[0].n) ||
	    (f[1].n != 0 && !gps_id_ok(f[1].p, f[1].n)) || f[2].n == 0)
		return H02_BAD;

	gps_fix_init(&fix, "h02");
	type = &f[2];
	if (f_is(type, "HTBT") || f_is(type, "V0")) {
		h02_heartbeat(f, nf, &fix);
		/* traccar echoes the head: "*HQ,<id>,HTBT#". */
		reply_len = (size_t)(type->p + type->n - m);
		if (reply_len + 1 < sizeof(reply)) {
			memcpy(reply, m, reply_len);
			reply[reply_len++] = '#';
		} else {
			reply_len = 0;
		}
		r = 0;
	} else if (f_is(type, "NBR") || f_is(type, "LINK") ||
	    f_is(type, "V3")) {
		r = h02_status_only(f, nf, &fix);
	} else if (f_is(type, "VP1")) {
		r = h02_vp1(f, nf, &fix);
	} else if (type->p[0] == 'V') {
		if (f_is(type, "V4")) {
			/* V4 echoes a command before the layout (traccar:
			 * "V4,(.*),"): the latest start that fits wins. */
			for (t = nf >= 8 ? nf - 8 : 0; t >= 4 && r == -1; t--)
				r = h02_layout(f, nf, t, &fix);
		} else {
			r = h02_layout(f, nf, 3, &fix);
		}
		if (r == 0 && f_is(type, "V1") && f[1].n != 0)
			reply_len = h02_reply_v1(reply, sizeof(reply), &f[1],
			    now_ms);
	} else {
		return H02_UNKNOWN;
	}
	if (r == -1)
		return H02_BAD;

	if (f[1].n != 0) {
		memcpy(c->id, f[1].p, f[1].n);
		c->id[f[1].n] = '\0';
	}
	memcpy(fix.device_id, c->id, sizeof(fix.device_id));
	cb(arg, &fix, reply_len ? (const uint8_t *)reply : NULL, reply_len);
	return H02_OK;
}

static void
h02_skip(struct h02_conn *c, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (c->buf[i] == '\r' || c->buf[i] == '\n')
			continue;
		c->st.dropped_bytes++;
		c->garbage++;
	}
}

/* Decodes every complete message in the buffer; 0, or -1 (close). */
static int
h02_drain(struct h02_conn *c, int64_t now_ms, gps_emit_fn cb, void *arg)
{
	size_t pos = 0, s, k;
	const uint8_t *star;
	int rc = 0;

	while (pos < c->len) {
		star = memchr(c->buf + pos, '*', c->len - pos);
		s = star == NULL ? c->len : (size_t)(star - c->buf);
		h02_skip(c, pos, s);
		pos = s;
		if (pos == c->len)
			break;
		for (k = s + 1; k < c->len; k++)
			if (c->buf[k] == '#' || c->buf[k] == '*')
				break;
		if (k == c->len) {
			/* No end yet: wait, unless it can never fit. */
			if (c->len - s >= sizeof(c->buf)) {
				h02_skip(c, s, c->len);
				pos = c->len;
			}
			break;
		}
		if (c->buf[k] == '*') {
			h02_skip(c, s, k); /* a start without an end */
			pos = k;
		} else {
			switch (h02_message(c, (const char *)c->buf + s,
			    k + 1 - s, now_ms, cb, arg)) {
			case H02_OK:
				c->st.messages++;
				c->garbage = 0;
				break;
			case H02_UNKNOWN:
				c->st.unknown_type++;
				c->garbage = 0;
				break;
			case H02_BAD:
				c->st.malformed++;
				c->garbage += k + 1 - s;
				break;
			}
			pos = k + 1;
		}
		if (c->garbage > H02_GARBAGE_MAX) {
			rc = -1;
			break;
		}
	}
	if (c->garbage > H02_GARBAGE_MAX)
		rc = -1;
	memmove(c->buf, c->buf + pos, c->len - pos);
	c->len -= pos;
	return rc;
}

int
h02_conn_feed(struct h02_conn *c, const uint8_t *data, size_t len,
    int64_t now_ms, gps_emit_fn cb, void *arg)
{
	size_t room, n;

	while (len > 0) {
		/* h02_drain() never leaves a full buffer behind. */
		room = sizeof(c->buf) - c->len;
		n = len < room ? len : room;
		memcpy(c->buf + c->len, data, n);
		c->len += n;
		data += n;
		len -= n;
		if (h02_drain(c, now_ms, cb, arg) == -1)
			return -1;
	}
	return 0;
}
