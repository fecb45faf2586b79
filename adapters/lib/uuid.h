/*
 * uuid: the two kinds of UUID an adapter needs for CloudEvent ids
 * (RFC 9562).
 *
 * Version 5 (§5.5) is a name-based id: SHA-1 over a namespace UUID and a
 * name. It is the idempotency key for events read from a source that can be
 * read twice (a database polled by watermark, a file inbox): the same record
 * in the same version always gets the same id, so the hub can drop the
 * duplicate. uuid_v5_event() fixes how Simpul builds the name.
 *
 * Version 7 (§5.7) is a time-ordered random id for live events that have no
 * stable record key (a GPS position, an HTTP submission). Ids from one
 * process are strictly increasing: when the millisecond has not advanced
 * since the last id, the 74 random bits of the last id are incremented
 * instead of drawn afresh (RFC 9562 §6.2, method 1 style counter).
 *
 * struct uuid is a small value type: copy it freely.
 */
#ifndef SIMPUL_UUID_H
#define SIMPUL_UUID_H

#include <stddef.h>
#include <stdint.h>

struct uuid {
	uint8_t b[16];
};

/* Text form: 36 characters, lower-case 8-4-4-4-12, plus the NUL. */
#define UUID_STR_LEN 37

/* RFC 9562 §6.6 namespace for DNS names (used by the test vectors). */
extern const struct uuid uuid_ns_dns;
/*
 * The Simpul namespace for event ids: UUIDv5(NameSpace_URL,
 * "urn:simpul:event") = 6c27b21f-9ef2-57ea-8d56-b8f1890c702c. It must never
 * change: every deterministic event id ever issued depends on it.
 */
extern const struct uuid uuid_ns_simpul;

/* UUIDv5 of name (len bytes, any content) in namespace ns. Cannot fail. */
void uuid_v5(struct uuid *out, const struct uuid *ns, const void *name,
    size_t len);

/*
 * The deterministic id of one version of one source record:
 * UUIDv5(uuid_ns_simpul, source "\n" record_key "\n" version), written in
 * text form into out. source is the CloudEvent source ("/karo/bpkad/sppidol"),
 * record_key the record's key in that source, version anything that changes
 * when the record changes (a revision counter, an updated-at timestamp).
 * Returns -1 (out untouched) when an argument is NULL or contains a newline,
 * which would make two different triples map to the same name.
 */
int uuid_v5_event(char out[UUID_STR_LEN], const char *source,
    const char *record_key, const char *version);

/*
 * A new UUIDv7 for the current wall-clock time, strictly greater than every
 * id this process made before (thread-safe). Calls fatal() if the kernel
 * cannot give random bytes (getrandom(2)), which a working system never does.
 */
void uuid_v7(struct uuid *out);
/* The same with the time given by the caller (ms since the epoch); tests. */
void uuid_v7_at(struct uuid *out, int64_t now_ms);
/*
 * Builds a UUIDv7 from a timestamp and 10 bytes of randomness without any
 * state: the first 4 bits of rnd[0] and rnd[1] are rand_a, the low 6 bits of
 * rnd[2] and rnd[3..9] are rand_b. For tests against RFC 9562 vectors.
 */
void uuid_v7_make(struct uuid *out, int64_t unix_ms, const uint8_t rnd[10]);

/* Writes the lower-case 8-4-4-4-12 text form. */
void uuid_format(const struct uuid *u, char out[UUID_STR_LEN]);
/* Parses the 8-4-4-4-12 form (either case). Returns 0 / -1. */
int uuid_parse(const char *s, struct uuid *out);
/* The version field (4 bits) and whether the variant is RFC 9562 (10xx). */
int uuid_version(const struct uuid *u);
int uuid_variant_ok(const struct uuid *u);
/* The 48-bit timestamp of a UUIDv7, in ms since the epoch. */
int64_t uuid_v7_time(const struct uuid *u);
/* memcmp order, which for UUIDv7 is time order. */
int uuid_cmp(const struct uuid *a, const struct uuid *b);

#endif
