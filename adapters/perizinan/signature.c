/*
 * signature: see signature.h.
 */
#include "signature.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const signature_names[] = {
	[SIGNATURE_OK] = "ok",
	[SIGNATURE_MISSING] = "missing",
	[SIGNATURE_MALFORMED] = "malformed",
	[SIGNATURE_BAD] = "bad",
	[SIGNATURE_STALE] = "stale",
	[SIGNATURE_ERROR] = "error",
};

const char *
signature_verdict_name(enum signature_verdict v)
{
	if ((size_t)v >= nitems(signature_names))
		return "?";
	return signature_names[v];
}

/* Digits only, 1..SIGNATURE_TS_MAX of them. */
static int
signature_ts(const char *s, int64_t *secs)
{
	long v;
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SIGNATURE_TS_MAX || s[i] < '0' || s[i] > '9')
			return -1;
	if (i == 0 || parse_long(s, 0, 99999999999L, &v) == -1)
		return -1;
	*secs = v;
	return 0;
}

static int
signature_mac(const struct signature_scheme *s, const char *timestamp,
    const void *body, size_t len, uint8_t mac[HMAC_SHA256_LEN])
{
	struct hmac_part parts[3];

	parts[0].data = timestamp;
	parts[0].len = strlen(timestamp);
	parts[1].data = ".";
	parts[1].len = 1;
	parts[2].data = body;
	parts[2].len = len;
	return hmac_sha256_parts(s->secret, s->secretlen, parts, 3, mac);
}

enum signature_verdict
signature_check(const struct signature_scheme *s, const char *timestamp,
    const char *signature, const void *body, size_t len, int64_t now_ms,
    uint8_t mac[HMAC_SHA256_LEN], int64_t *ts_ms)
{
	uint8_t given[HMAC_SHA256_LEN];
	const char *prefix = s->prefix != NULL ? s->prefix : "";
	size_t plen = strlen(prefix);
	int64_t secs, d;

	if (timestamp == NULL || *timestamp == '\0' || signature == NULL ||
	    *signature == '\0')
		return SIGNATURE_MISSING;
	if (signature_ts(timestamp, &secs) == -1 ||
	    strncmp(signature, prefix, plen) != 0 ||
	    hmac_unhex(signature + plen, given, sizeof(given)) == -1)
		return SIGNATURE_MALFORMED;
	if (signature_mac(s, timestamp, body, len, mac) == -1)
		return SIGNATURE_ERROR;
	if (!hmac_equal(mac, given, sizeof(given)))
		return SIGNATURE_BAD;
	*ts_ms = secs * 1000;
	d = now_ms - *ts_ms;
	if (d > s->tolerance_ms || -d > s->tolerance_ms)
		return SIGNATURE_STALE;
	return SIGNATURE_OK;
}

int
signature_make(const struct signature_scheme *s, const char *timestamp,
    const void *body, size_t len, char *out, size_t outlen)
{
	uint8_t mac[HMAC_SHA256_LEN];
	char hex[HMAC_SHA256_HEX];
	int n;

	if (signature_mac(s, timestamp, body, len, mac) == -1)
		return -1;
	hmac_hex(mac, sizeof(mac), hex);
	n = snprintf(out, outlen, "%s%s", s->prefix ? s->prefix : "", hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
