/*
 * evgen: the event generator of simpul-loadgen. It writes realistic Karo
 * CloudEvents (GPS positions and alarms, complaints, SP2D, Simda
 * realisation, permits) as JSON text and the ingest topic each goes to.
 *
 * Everything about event n except its time is a pure function of (seed, n):
 * the type is drawn from the mix, the data from a small PRNG seeded with
 * (seed, n). Its id is "<prefix>-<n>". A test can therefore say exactly
 * which events it expects, and two runs with the same seed produce the same
 * data.
 *
 * The JSON is written with fixed templates and snprintf, not built as cJSON
 * trees: generation has to outrun the broker by a wide margin.
 */
#ifndef SIMPUL_EVGEN_H
#define SIMPUL_EVGEN_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*
 * The malformed messages the hub must turn into dead letters, one per
 * reason code it knows.
 */
enum evgen_bad {
	EVGEN_BAD_INVALID_JSON,	/* a valid event cut in half */
	EVGEN_BAD_TOO_LARGE,	/* a complaint with a huge description */
	EVGEN_BAD_ENVELOPE,	/* no "id" */
	EVGEN_BAD_SCHEMA,	/* gps.position with lat 123 */
	EVGEN_BAD_OPD_MISMATCH,	/* topic says bpkad, envelope says dishub */
	EVGEN_BAD_UNKNOWN_TYPE,	/* type "foo.bar" */
	EVGEN_BAD_ID_CONFLICT,	/* the id of the first event, other data */
	EVGEN_BAD_COUNT
};

/* Limits on what the command line may set. */
#define EVGEN_SITE_MAX		64
#define EVGEN_PREFIX_MAX	64
#define EVGEN_LARGE_MAX		((size_t)64 << 20)

struct evgen_config {
	const char *site;	/* topic and source prefix, e.g. "karo" */
	const char *prefix;	/* event ids are "<prefix>-<n>" */
	uint64_t seed;
	int64_t time_offset_ms;	/* event time = now - offset */
	size_t large_bytes;	/* description size of the too_large message */
};

struct evgen;

/*
 * Returns a generator with the default mix, or NULL (and a message on
 * stderr) when site or prefix are not safe to put in a topic level and a
 * JSON string unescaped ([A-Za-z0-9._-], bounded length) or large_bytes is
 * above EVGEN_LARGE_MAX.
 */
struct evgen *evgen_new(const struct evgen_config *cfg);
void evgen_free(struct evgen *g);

/*
 * Replaces the mix with "type=weight,type=weight,..." (weights are
 * non-negative integers, at least one positive). Returns 0, or -1 with a
 * message on stderr on an unknown type or a bad weight; the old mix stays.
 */
int evgen_set_mix(struct evgen *g, const char *spec);

/*
 * Writes event n, stamped with time now_ms - offset, into payload and its
 * topic into topic (both are reset first). Returns 0, or -1 when a buffer's
 * limit is hit.
 */
int evgen_event(struct evgen *g, uint64_t n, int64_t now_ms,
    struct buf *payload, struct buf *topic);

/*
 * Writes one bad message of the given kind. first_n is the number of the
 * first valid event, whose id EVGEN_BAD_ID_CONFLICT reuses. The other kinds
 * carry the id "<prefix>-bad-<kind>" where they have an id at all.
 * Returns 0 / -1 like evgen_event().
 */
int evgen_bad(struct evgen *g, enum evgen_bad kind, uint64_t first_n,
    int64_t now_ms, struct buf *payload, struct buf *topic);

/* "invalid_json", ...; the dead-letter reason code the kind should get. */
const char *evgen_bad_name(enum evgen_bad kind);
/*
 * Adds the kinds named by name ("all" or one kind name) to *mask
 * (bit 1 << kind). Returns 0, or -1 on an unknown name.
 */
int evgen_bad_parse(const char *name, unsigned *mask);

#endif
