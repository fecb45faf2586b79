/*
 * uuid: see uuid.h.
 *
 * SHA-1 comes from OpenSSL's libcrypto (EVP interface) rather than a copy
 * written here: the digest is the part that has to be right, and libcrypto's
 * is the one the rest of the system trusts for TLS anyway.
 *
 * The UUIDv7 state (last timestamp and last id) is process-wide and guarded
 * by a mutex, because adapters make ids from several threads (an HTTP
 * server's workers, the main loop). Ordering is kept across a wall clock
 * that steps backwards: the last timestamp is reused and the counter bumped,
 * so ids stay increasing even when NTP corrects the clock.
 */
#include "uuid.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "util.h"

const struct uuid uuid_ns_dns = { {
	0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 } };

const struct uuid uuid_ns_simpul = { {
	0x6c, 0x27, 0xb2, 0x1f, 0x9e, 0xf2, 0x57, 0xea,
	0x8d, 0x56, 0xb8, 0xf1, 0x89, 0x0c, 0x70, 0x2c } };

static pthread_mutex_t uuid_v7_mutex = PTHREAD_MUTEX_INITIALIZER;
static int64_t uuid_v7_last_ms = -1;
static struct uuid uuid_v7_last;

static void
uuid_set_version(struct uuid *u, unsigned int version)
{
	u->b[6] = (uint8_t)((u->b[6] & 0x0f) | (version << 4));
	u->b[8] = (uint8_t)((u->b[8] & 0x3f) | 0x80);
}

void
uuid_v5(struct uuid *out, const struct uuid *ns, const void *name, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("uuid: out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, ns->b, sizeof(ns->b)) != 1 ||
	    EVP_DigestUpdate(ctx, name, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
		fatalx("uuid: libcrypto SHA-1 failed");
	EVP_MD_CTX_free(ctx);
	memcpy(out->b, md, sizeof(out->b));
	uuid_set_version(out, 5);
}

int
uuid_v5_event(char out[UUID_STR_LEN], const char *source,
    const char *record_key, const char *version)
{
	struct buf name;
	struct uuid u;

	if (source == NULL || record_key == NULL || version == NULL ||
	    strchr(source, '\n') != NULL || strchr(record_key, '\n') != NULL ||
	    strchr(version, '\n') != NULL)
		return -1;
	buf_init(&name, 0);
	if (buf_appendf(&name, "%s\n%s\n%s", source, record_key, version) == -1)
		fatalx("uuid: cannot build the event name");
	uuid_v5(&u, &uuid_ns_simpul, name.data, name.len);
	buf_free(&name);
	uuid_format(&u, out);
	return 0;
}

void
uuid_v7_make(struct uuid *out, int64_t unix_ms, const uint8_t rnd[10])
{
	uint64_t ms = (uint64_t)unix_ms & 0xffffffffffffULL;
	int i;

	for (i = 0; i < 6; i++)
		out->b[i] = (uint8_t)(ms >> (40 - 8 * i));
	memcpy(&out->b[6], rnd, 10);
	uuid_set_version(out, 7);
}

/*
 * Adds one to the 74 random bits (rand_a and rand_b, skipping the version
 * and variant bits). Returns -1 when they wrap around, which needs 2^74 ids
 * in one millisecond from a random start: practically only in tests.
 */
static int
uuid_v7_increment(struct uuid *u)
{
	int i;

	for (i = 15; i >= 9; i--)
		if (++u->b[i] != 0)
			return 0;
	if ((u->b[8] & 0x3f) != 0x3f) {
		u->b[8]++;
		return 0;
	}
	u->b[8] &= 0xc0;
	if (++u->b[7] != 0)
		return 0;
	if ((u->b[6] & 0x0f) != 0x0f) {
		u->b[6]++;
		return 0;
	}
	u->b[6] &= 0xf0;
	return -1;
}

static void
uuid_random(uint8_t *p, size_t n)
{
	ssize_t r;

	/* Up to 256 bytes, getrandom(2) neither blocks after boot nor
	 * returns short or EINTR; anything else is a broken system. */
	r = getrandom(p, n, 0);
	if (r < 0 || (size_t)r != n)
		fatal("uuid: getrandom");
}

void
uuid_v7_at(struct uuid *out, int64_t now_ms)
{
	uint8_t rnd[10];

	uuid_random(rnd, sizeof(rnd));
	pthread_mutex_lock(&uuid_v7_mutex);
	if (now_ms > uuid_v7_last_ms) {
		uuid_v7_make(out, now_ms, rnd);
		uuid_v7_last_ms = now_ms;
	} else {
		/* Same millisecond (or the clock stepped back): count on
		 * from the last id so the order stays strict. */
		*out = uuid_v7_last;
		if (uuid_v7_increment(out) == -1) {
			uuid_v7_last_ms++;
			uuid_v7_make(out, uuid_v7_last_ms, rnd);
		}
	}
	uuid_v7_last = *out;
	pthread_mutex_unlock(&uuid_v7_mutex);
}

void
uuid_v7(struct uuid *out)
{
	uuid_v7_at(out, clock_wall_ms());
}

void
uuid_format(const struct uuid *u, char out[UUID_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u->b[i] >> 4];
		out[o++] = hex[u->b[i] & 0x0f];
	}
	out[o] = '\0';
}

int
uuid_parse(const char *s, struct uuid *out)
{
	struct uuid u;
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if ((hi = hex_value(s[i])) == -1 ||
		    (lo = hex_value(s[i + 1])) == -1)
			return -1;
		u.b[o++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (s[36] != '\0')
		return -1;
	*out = u;
	return 0;
}

int
uuid_version(const struct uuid *u)
{
	return u->b[6] >> 4;
}

int
uuid_variant_ok(const struct uuid *u)
{
	return (u->b[8] & 0xc0) == 0x80;
}

int64_t
uuid_v7_time(const struct uuid *u)
{
	uint64_t ms = 0;
	int i;

	for (i = 0; i < 6; i++)
		ms = ms << 8 | u->b[i];
	return (int64_t)ms;
}

int
uuid_cmp(const struct uuid *a, const struct uuid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
