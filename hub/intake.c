/*
 * intake: see intake.h.
 *
 * The JSON text is checked strictly (jsoncheck) before cJSON sees it, so
 * that anything passed on to PostgreSQL as jsonb is known to be acceptable
 * there: one bad payload must never fail a whole database batch.
 */
#include "intake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "schemaset.h"
#include "util.h"

static const char *const reason_names[DLQ_NREASONS] = {
	[DLQ_NONE] = "none",
	[DLQ_INVALID_JSON] = "invalid_json",
	[DLQ_TOO_LARGE] = "too_large",
	[DLQ_ENVELOPE] = "envelope",
	[DLQ_SCHEMA] = "schema",
	[DLQ_OPD_MISMATCH] = "opd_mismatch",
	[DLQ_UNKNOWN_TYPE] = "unknown_type",
	[DLQ_ID_CONFLICT] = "id_conflict",
};

const char *
dlq_reason_name(enum dlq_reason r)
{
	if ((unsigned)r >= DLQ_NREASONS)
		return "unknown";
	return reason_names[r];
}

static const char *
str_member(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int
verdict_reject(struct intake_verdict *v, enum dlq_reason r, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Finds a key that appears twice in one object, anywhere in the document.
 * JSON allows it, but cJSON reads the first copy and PostgreSQL's jsonb
 * keeps the last: a payload with two "opd" keys could pass the
 * anti-spoofing check with one value and be stored with the other, and two
 * "lat" keys could be validated with one and stored with the other. Small
 * objects are checked pairwise; large ones sorted, so a hostile object with
 * many keys costs n log n, not n^2.
 */
static const char *
duplicate_key(const cJSON *node)
{
	const cJSON *a, *b;
	const char *dup = NULL;
	const char **names;
	size_t n = 0, i;

	for (a = node->child; a != NULL; a = a->next) {
		if ((dup = duplicate_key(a)) != NULL)
			return dup;
		n++;
	}
	if (!cJSON_IsObject(node) || n < 2)
		return NULL;
	if (n <= 16) {
		for (a = node->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return a->string;
		return NULL;
	}
	names = xcalloc(n, sizeof(*names));
	for (a = node->child, i = 0; a != NULL; a = a->next)
		names[i++] = a->string;
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			dup = names[i];
	free(names);
	return dup;
}

static int
verdict_reject(struct intake_verdict *v, enum dlq_reason r, const char *fmt,
    ...)
{
	va_list ap;

	v->reason = r;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* Is level i of the topic exactly s? */
static int
level_is(const char *topic, size_t start, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(topic + start, s, len) == 0;
}

int
intake_classify(const struct intake *in, const char *topic,
    const char *payload, size_t len, struct intake_verdict *v)
{
	struct json_check_error jerr;
	size_t starts[6], lens[6], nlevels = 0, i, begin = 0;
	enum event_check ec;
	const char *dup, *when;
	char diag[768];

	memset(v, 0, sizeof(*v));
	if (len > in->max_payload)
		return verdict_reject(v, DLQ_TOO_LARGE,
		    "payload of %zu bytes exceeds the limit of %zu bytes", len,
		    in->max_payload);
	if (json_check(payload, len, in->max_depth, &jerr) == -1)
		return verdict_reject(v, DLQ_INVALID_JSON,
		    "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.message);
	v->doc = cJSON_ParseWithLength(payload, len);
	if (v->doc == NULL)
		return verdict_reject(v, DLQ_INVALID_JSON,
		    "JSON parser refused the payload");
	if ((dup = duplicate_key(v->doc)) != NULL)
		return verdict_reject(v, DLQ_INVALID_JSON,
		    "key \"%.200s\" appears twice in one object", dup);
	v->id = str_member(v->doc, "id");
	if (!cJSON_IsObject(v->doc))
		return verdict_reject(v, DLQ_ENVELOPE,
		    "the payload is not a JSON object");

	ec = schemaset_check(in->schemas, v->doc, diag, sizeof(diag));
	if (ec == EVENT_ENVELOPE)
		return verdict_reject(v, DLQ_ENVELOPE, "%s", diag);
	v->opd = str_member(v->doc, "opd");
	v->type = str_member(v->doc, "type");
	v->source = str_member(v->doc, "source");
	v->subject = str_member(v->doc, "subject");
	if (v->opd == NULL || v->type == NULL || v->id == NULL ||
	    v->source == NULL)
		return verdict_reject(v, DLQ_ENVELOPE,
		    "id, source, type and opd are required");

	/* <site>/ev/<opd>/<system>/<type>: exactly five levels. */
	for (i = 0;; i++) {
		if (topic[i] == '/' || topic[i] == '\0') {
			if (nlevels < nitems(starts)) {
				starts[nlevels] = begin;
				lens[nlevels] = i - begin;
			}
			nlevels++;
			begin = i + 1;
			if (topic[i] == '\0')
				break;
		}
	}
	if (nlevels != 5 || !level_is(topic, starts[0], lens[0], in->site) ||
	    !level_is(topic, starts[1], lens[1], "ev"))
		return verdict_reject(v, DLQ_ENVELOPE,
		    "topic '%s' is not %s/ev/<opd>/<system>/<type>", topic,
		    in->site);
	if (!level_is(topic, starts[2], lens[2], v->opd))
		return verdict_reject(v, DLQ_OPD_MISMATCH,
		    "topic is under opd '%.*s' but the event says opd '%s'",
		    (int)lens[2], topic + starts[2], v->opd);
	if (!level_is(topic, starts[4], lens[4], v->type))
		return verdict_reject(v, DLQ_ENVELOPE,
		    "topic type level '%.*s' differs from the event type '%s'",
		    (int)lens[4], topic + starts[4], v->type);

	if (ec == EVENT_UNKNOWN_TYPE)
		return verdict_reject(v, DLQ_UNKNOWN_TYPE,
		    "no schema for type '%s'", v->type);
	if (ec == EVENT_SCHEMA)
		return verdict_reject(v, DLQ_SCHEMA, "%s", diag);
	if (ec != EVENT_OK)
		return verdict_reject(v, DLQ_ENVELOPE, "%s", diag);

	when = str_member(v->doc, "time");
	if (when == NULL || time_parse_rfc3339(when, &v->time_ms) == -1)
		return verdict_reject(v, DLQ_ENVELOPE,
		    "/time: not an RFC 3339 date-time");
	return 0;
}

void
intake_verdict_clear(struct intake_verdict *v)
{
	cJSON_Delete(v->doc);
	memset(v, 0, sizeof(*v));
}
