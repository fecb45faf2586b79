/*
 * hmac: HMAC-SHA256 (RFC 2104, FIPS 198-1) through OpenSSL's libcrypto
 * (the EVP_MAC interface of OpenSSL 3; the only module that includes
 * OpenSSL's headers), a comparison whose time does not depend on where two
 * MACs differ, and the hex form of MACs.
 *
 * The message may be given in parts (hmac_sha256_parts()), so that
 * "timestamp.body" is authenticated without copying a large body.
 */
#ifndef SIMPUL_PERIZINAN_HMAC_H
#define SIMPUL_PERIZINAN_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define HMAC_SHA256_LEN 32
#define HMAC_SHA256_HEX (2 * HMAC_SHA256_LEN + 1)

struct hmac_part {
	const void *data;
	size_t len;
};

/*
 * out = HMAC-SHA256(key, the parts one after the other). Returns 0, or -1
 * (logged) when libcrypto fails, which a working installation does not.
 */
int hmac_sha256_parts(const void *key, size_t keylen,
    const struct hmac_part *parts, size_t nparts,
    uint8_t out[HMAC_SHA256_LEN]);
int hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t len, uint8_t out[HMAC_SHA256_LEN]);

/* 1 when the n bytes are equal, in time independent of their content. */
int hmac_equal(const void *a, const void *b, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hmac_hex(const uint8_t *p, size_t n, char *out);
/*
 * Decodes exactly 2n hex digits (either case) into out[n]. Returns 0, or
 * -1 when s is not exactly that.
 */
int hmac_unhex(const char *s, uint8_t *out, size_t n);

#endif
