/*
 * signature: the webhook's signature scheme (ours: SiCantik's own scheme is
 * not public, see docs/perizinan.md).
 *
 * A delivery carries two headers (their names are configurable):
 *
 *	X-Sicantik-Timestamp: 1795687200
 *	X-Sicantik-Signature: sha256=<hex HMAC-SHA256(secret, ts "." body)>
 *
 * where ts is the timestamp header's exact text (Unix seconds) and body
 * the exact bytes of the request body. The prefix ("sha256=") is
 * configurable and may be empty; the hex may be in either case. Binding
 * the timestamp into the MAC makes a captured delivery useless after the
 * tolerance (+-5 minutes by default); within it, the replay cache
 * (replay.h) refuses a second use.
 */
#ifndef SIMPUL_PERIZINAN_SIGNATURE_H
#define SIMPUL_PERIZINAN_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "hmac.h"

#define SIGNATURE_TS_MAX 12	/* digits of the timestamp */
#define SIGNATURE_PREFIX_MAX 32

struct signature_scheme {
	const void *secret;
	size_t secretlen;
	const char *prefix;	/* before the hex MAC; NULL or "": none */
	int64_t tolerance_ms;	/* allowed distance of ts from now */
};

enum signature_verdict {
	SIGNATURE_OK = 0,
	SIGNATURE_MISSING,	/* a header is absent or empty */
	SIGNATURE_MALFORMED,	/* ts not digits, or not prefix + 64 hex */
	SIGNATURE_BAD,		/* the MAC does not match */
	SIGNATURE_STALE,	/* the MAC matches, ts is outside tolerance */
	SIGNATURE_ERROR,	/* libcrypto failed (logged) */
};

/*
 * Checks one delivery. The MAC is compared in constant time before the
 * timestamp is judged, so "stale" is only ever said about a delivery made
 * with the secret. On SIGNATURE_OK and SIGNATURE_STALE, mac holds the
 * delivery's MAC (the replay cache's key) and *ts_ms its time.
 */
enum signature_verdict signature_check(const struct signature_scheme *s,
    const char *timestamp, const char *signature, const void *body,
    size_t len, int64_t now_ms, uint8_t mac[HMAC_SHA256_LEN],
    int64_t *ts_ms);

/*
 * The signature header's value for a delivery (for tests and tools):
 * prefix + hex. Returns 0, or -1 when out is too small or libcrypto
 * failed.
 */
int signature_make(const struct signature_scheme *s, const char *timestamp,
    const void *body, size_t len, char *out, size_t outlen);

/* "ok", "missing", "malformed", "bad", "stale", "error". */
const char *signature_verdict_name(enum signature_verdict v);

#endif
