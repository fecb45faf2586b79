/*
 * test_signature: the webhook's cryptography (adapters/perizinan): HMAC-
 * SHA256 against the seven test cases of RFC 4231 section 4 (case 5 is
 * truncated to 128 bits there), the same MAC fed in parts, the hex
 * helpers, the constant-time comparison, and the delivery scheme
 * (signature.h): a signature computed with the openssl command line (as
 * docs/perizinan.md shows it) is accepted, and each way to get it wrong
 * gets its own verdict, including the tolerance window at its edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "log.h"
#include "signature.h"
#include "testlib.h"
#include "util.h"

static void
fill(uint8_t *p, uint8_t v, size_t n)
{
	memset(p, v, n);
}

static void
check_mac(const void *key, size_t keylen, const void *msg, size_t len,
    const char *want_hex, size_t want_bytes)
{
	uint8_t mac[HMAC_SHA256_LEN];
	char hex[HMAC_SHA256_HEX];

	CHECK_INT(hmac_sha256(key, keylen, msg, len, mac), 0);
	hmac_hex(mac, sizeof(mac), hex);
	hex[2 * want_bytes] = '\0';
	CHECK_STR(hex, want_hex);
}

static void
test_rfc4231(void)
{
	uint8_t key[131], data[50];
	size_t i;

	/* Test Case 1 */
	fill(key, 0x0b, 20);
	check_mac(key, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7", 32);
	/* Test Case 2: a key shorter than the output */
	check_mac("Jefe", 4, "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    32);
	/* Test Case 3 */
	fill(key, 0xaa, 20);
	fill(data, 0xdd, 50);
	check_mac(key, 20, data, 50, "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe", 32);
	/* Test Case 4 */
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	fill(data, 0xcd, 50);
	check_mac(key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b", 32);
	/* Test Case 5: truncation to 128 bits */
	fill(key, 0x0c, 20);
	check_mac(key, 20, "Test With Truncation", 20,
	    "a3b6167473100ee06e0c796c2955552b", 16);
	/* Test Case 6: a key larger than the block */
	fill(key, 0xaa, 131);
	check_mac(key, 131, "Test Using Larger Than Block-Size Key - Hash Key "
	    "First", 54, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54", 32);
	/* Test Case 7: key and data larger than the block */
	check_mac(key, 131, "This is a test using a larger than block-size "
	    "key and a larger than block-size data. The key needs to be hashed "
	    "before being used by the HMAC algorithm.", 152,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	    32);
}

static void
test_parts_and_hex(void)
{
	static const char msg[] = "what do ya want for nothing?";
	struct hmac_part parts[4] = {
		{ msg, 4 }, { msg + 4, 0 }, { msg + 4, 10 }, { msg + 14, 14 },
	};
	uint8_t a[HMAC_SHA256_LEN], b[HMAC_SHA256_LEN], raw[4];
	char hex[HMAC_SHA256_HEX];

	CHECK_INT(hmac_sha256("Jefe", 4, msg, strlen(msg), a), 0);
	CHECK_INT(hmac_sha256_parts("Jefe", 4, parts, 4, b), 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	CHECK(hmac_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	CHECK(!hmac_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	b[0] ^= 0x80;
	CHECK(!hmac_equal(a, b, sizeof(a)));

	/* An empty key and an empty message are still a MAC. */
	CHECK_INT(hmac_sha256("", 0, "", 0, a), 0);
	hmac_hex(a, sizeof(a), hex);
	CHECK_STR(hex, "b613679a0814d9ec772f95d778c35fc5"
	    "ff1697c493715653c6c712144292c5ad");

	CHECK_INT(hmac_unhex("00fFa5", raw, 3), 0);
	CHECK_INT(raw[0], 0x00);
	CHECK_INT(raw[1], 0xff);
	CHECK_INT(raw[2], 0xa5);
	CHECK_INT(hmac_unhex("00ff", raw, 3), -1);	/* short */
	CHECK_INT(hmac_unhex("00ffa5b", raw, 3), -1);	/* long */
	CHECK_INT(hmac_unhex("00fg", raw, 2), -1);	/* not hex */
	CHECK_INT(hmac_unhex("", raw, 0), 0);
}

#define SECRET "karo-sicantik-webhook-2026"
#define BODY "{\"id\":8812,\"no_permohonan\":\"503/0123/DPMPTSP/2026\"}"
#define TS "1795687200"
/* printf '%s' 'TS.BODY' | openssl dgst -sha256 -hmac SECRET -hex */
#define SIG_HEX "ef6d0cecd473f1611d53f231b42e542859ce8ab8f2145c52bc37c2bed0587d44"
#define TS_MS (1795687200LL * 1000)

static void
test_scheme(void)
{
	struct signature_scheme s = { SECRET, strlen(SECRET), "sha256=",
	    5 * 60 * 1000 };
	uint8_t mac[HMAC_SHA256_LEN], mac2[HMAC_SHA256_LEN];
	char hex[HMAC_SHA256_HEX], out[128], upper[128];
	int64_t ts = 0;
	size_t i, blen = strlen(BODY);

	/* The openssl command line agrees with us. */
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS + 1000, mac, &ts), SIGNATURE_OK);
	CHECK_INT(ts, TS_MS);
	hmac_hex(mac, sizeof(mac), hex);
	CHECK_STR(hex, SIG_HEX);
	CHECK_INT(signature_make(&s, TS, BODY, blen, out, sizeof(out)), 0);
	CHECK_STR(out, "sha256=" SIG_HEX);
	CHECK_INT(signature_make(&s, TS, BODY, blen, out, 20), -1);

	/* Upper-case hex is the same signature. */
	strlcpy_s(upper, "sha256=" SIG_HEX, sizeof(upper));
	for (i = 7; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	CHECK_INT(signature_check(&s, TS, upper, BODY, blen, TS_MS, mac2,
	    &ts), SIGNATURE_OK);
	CHECK(memcmp(mac, mac2, sizeof(mac)) == 0);

	/* Missing pieces. */
	CHECK_INT(signature_check(&s, NULL, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS, mac, &ts), SIGNATURE_MISSING);
	CHECK_INT(signature_check(&s, TS, NULL, BODY, blen, TS_MS, mac, &ts),
	    SIGNATURE_MISSING);
	CHECK_INT(signature_check(&s, "", "sha256=" SIG_HEX, BODY, blen,
	    TS_MS, mac, &ts), SIGNATURE_MISSING);

	/* Malformed headers. */
	CHECK_INT(signature_check(&s, TS, SIG_HEX, BODY, blen, TS_MS, mac,
	    &ts), SIGNATURE_MALFORMED);	/* no prefix */
	CHECK_INT(signature_check(&s, TS, "sha1=" SIG_HEX, BODY, blen, TS_MS,
	    mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX "00", BODY, blen,
	    TS_MS, mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, TS, "sha256=abc", BODY, blen, TS_MS,
	    mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, "1795687200.5", "sha256=" SIG_HEX, BODY,
	    blen, TS_MS, mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, "-1795687200", "sha256=" SIG_HEX, BODY,
	    blen, TS_MS, mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, "1795687200000000", "sha256=" SIG_HEX,
	    BODY, blen, TS_MS, mac, &ts), SIGNATURE_MALFORMED);
	CHECK_INT(signature_check(&s, " 1795687200", "sha256=" SIG_HEX, BODY,
	    blen, TS_MS, mac, &ts), SIGNATURE_MALFORMED);

	/* Wrong MACs: another body, timestamp, secret; one byte less. */
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY " ",
	    blen + 1, TS_MS, mac, &ts), SIGNATURE_BAD);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen - 1,
	    TS_MS, mac, &ts), SIGNATURE_BAD);
	CHECK_INT(signature_check(&s, "1795687201", "sha256=" SIG_HEX, BODY,
	    blen, TS_MS, mac, &ts), SIGNATURE_BAD);
	s.secretlen--;
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS, mac, &ts), SIGNATURE_BAD);
	s.secretlen++;
	/* A stale timestamp with a wrong MAC is "bad", not "stale". */
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, "x", 1,
	    TS_MS + 3600 * 1000, mac, &ts), SIGNATURE_BAD);

	/* The window: +-5 minutes inclusive, either side. */
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS + 300000, mac, &ts), SIGNATURE_OK);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS + 300001, mac, &ts), SIGNATURE_STALE);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS - 300000, mac, &ts), SIGNATURE_OK);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS - 300001, mac, &ts), SIGNATURE_STALE);
	CHECK_INT(ts, TS_MS);

	/* An empty prefix (a sender that sends bare hex). */
	s.prefix = "";
	CHECK_INT(signature_check(&s, TS, SIG_HEX, BODY, blen, TS_MS, mac,
	    &ts), SIGNATURE_OK);
	s.prefix = NULL;
	CHECK_INT(signature_check(&s, TS, SIG_HEX, BODY, blen, TS_MS, mac,
	    &ts), SIGNATURE_OK);
	CHECK_INT(signature_check(&s, TS, "sha256=" SIG_HEX, BODY, blen,
	    TS_MS, mac, &ts), SIGNATURE_MALFORMED);

	/* An empty body is signed too. */
	s.prefix = "sha256=";
	CHECK_INT(signature_make(&s, TS, "", 0, out, sizeof(out)), 0);
	CHECK_INT(signature_check(&s, TS, out, "", 0, TS_MS, mac, &ts),
	    SIGNATURE_OK);

	CHECK_STR(signature_verdict_name(SIGNATURE_STALE), "stale");
	CHECK_STR(signature_verdict_name(SIGNATURE_BAD), "bad");
	CHECK_STR(signature_verdict_name((enum signature_verdict)99), "?");
}

int
main(void)
{
	log_init("test_signature", LOG_LEVEL_WARN);
	test_rfc4231();
	test_parts_and_hex();
	test_scheme();
	return testlib_done();
}
