/*
 * intake: decides what one message from an ingest topic is — a valid event
 * to store, or a dead letter with a reason — without any I/O.
 *
 * Checks, in order: size limit (too_large); strict JSON syntax, UTF-8,
 * nesting depth and no key twice in one object (invalid_json); the CloudEvents envelope (envelope); the
 * topic shape "<site>/ev/<opd>/<system>/<type>" and that its <opd> level is
 * the envelope's opd (opd_mismatch — anti-spoofing) and its <type> level the
 * envelope's type (envelope); a schema for the type (unknown_type); the
 * type's schema on data (schema). id_conflict is decided later, by the store,
 * which alone knows what was stored before.
 */
#ifndef SIMPUL_INTAKE_H
#define SIMPUL_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct schemaset;

enum dlq_reason {
	DLQ_NONE = 0,
	DLQ_INVALID_JSON,
	DLQ_TOO_LARGE,
	DLQ_ENVELOPE,
	DLQ_SCHEMA,
	DLQ_OPD_MISMATCH,
	DLQ_UNKNOWN_TYPE,
	DLQ_ID_CONFLICT,
	DLQ_NREASONS
};

/* "invalid_json", "too_large", ... (the dead_letter.reason values). */
const char *dlq_reason_name(enum dlq_reason r);

struct intake {
	const struct schemaset *schemas;
	const char *site;
	size_t max_payload; /* bytes */
	int max_depth;
};

struct intake_verdict {
	enum dlq_reason reason;    /* DLQ_NONE: a valid event */
	char detail[1024];         /* why, for dead letters */
	cJSON *doc;                /* the parsed event, or NULL */
	/* Valid events: point into doc. Dead letters: id may be set. */
	const char *id, *opd, *source, *type, *subject;
	int64_t time_ms;
};

/*
 * Classifies one message. Always fills *v (the caller releases it with
 * intake_verdict_clear()); returns 0 for a valid event, -1 for a dead letter.
 */
int intake_classify(const struct intake *in, const char *topic,
    const char *payload, size_t len, struct intake_verdict *v);
void intake_verdict_clear(struct intake_verdict *v);

#endif
