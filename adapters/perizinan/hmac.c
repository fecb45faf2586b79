/*
 * hmac: see hmac.h.
 *
 * EVP_MAC_fetch() looks the algorithm up in OpenSSL's provider tables on
 * every call; a webhook delivery costs one of them, which is nothing next
 * to the HTTP round trip, and keeps this module free of shared state
 * (handler threads call it concurrently).
 */
#include "hmac.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "util.h"

int
hmac_sha256_parts(const void *key, size_t keylen,
    const struct hmac_part *parts, size_t nparts,
    uint8_t out[HMAC_SHA256_LEN])
{
	static const unsigned char empty[1];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	size_t i, outlen = 0;
	int rv = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A NULL key would mean "keep the previous key": pass a real one. */
	if (!EVP_MAC_init(ctx, keylen > 0 ? key : empty, keylen, params))
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    !EVP_MAC_update(ctx, parts[i].data, parts[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &outlen, HMAC_SHA256_LEN) ||
	    outlen != HMAC_SHA256_LEN)
		goto out;
	rv = 0;
out:
	if (rv == -1)
		log_warnx("hmac: libcrypto failed: %s",
		    ERR_error_string(ERR_get_error(), NULL));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rv;
}

int
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    uint8_t out[HMAC_SHA256_LEN])
{
	struct hmac_part part = { msg, len };

	return hmac_sha256_parts(key, keylen, &part, 1, out);
}

int
hmac_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
hmac_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
hmac_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hex_value(s[2 * i])) == -1 ||
		    (lo = hex_value(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] == '\0' ? 0 : -1;
}
