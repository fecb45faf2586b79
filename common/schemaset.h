/*
 * schemaset: the JSON Schemas of the bus, loaded from one directory and
 * compiled once: "envelope.json" (CloudEvents 1.0 + Simpul's rules) and one
 * "<type>.json" per event type, which validates the event's "data" object.
 *
 * schemaset_check() is what the hub and the adapters call on every event:
 * envelope first, then the data against the schema of the event's type.
 * The result code is the dead-letter reason; the diagnostic text names every
 * failing value by its JSON pointer from the event root.
 *
 * Threads: a set may be used by one thread at a time (the compiled schemas
 * share their PCRE2 match data, see jsonschema.h). Give each thread its own
 * set if several threads validate.
 */
#ifndef SIMPUL_SCHEMASET_H
#define SIMPUL_SCHEMASET_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct js_schema;
struct schemaset;

enum event_check {
	EVENT_OK = 0,
	EVENT_ENVELOPE,		/* not a valid Simpul CloudEvent */
	EVENT_UNKNOWN_TYPE,	/* valid envelope, no schema for its type */
	EVENT_SCHEMA,		/* "data" does not match its type's schema */
};

/* Errors kept per check; the rest are counted in the diagnostic. */
#define SCHEMASET_MAX_ERRORS	16

/*
 * Loads and compiles envelope.json and every <type>.json in dir (files whose
 * name is not an event type name are skipped with a warning). Returns NULL
 * on any error, logged with the file name and the reason.
 */
struct schemaset *schemaset_load(const char *dir);

/*
 * Where the schemas are when the configuration does not say: the source
 * tree's schemas/ when running from a build tree, else the installed copy
 * (SIMPUL_DATADIR/schemas). The hub and every adapter use this default.
 */
const char *schemaset_default_dir(void);
void schemaset_free(struct schemaset *set); /* accepts NULL */

/*
 * Validates the envelope, then the data of its type. On failure writes the
 * errors, one per line "pointer: keyword: message" (pointers relative to the
 * event root, e.g. "/data/lat"; the root itself is shown as "(root)"), into
 * diag, which is always NUL-terminated (when diaglen > 0) and truncated to
 * diaglen. On EVENT_OK diag is "". A NULL event is EVENT_ENVELOPE.
 */
enum event_check schemaset_check(const struct schemaset *set,
    const cJSON *event, char *diag, size_t diaglen);

/* The compiled schema of one type, or NULL. O(log n). */
const struct js_schema *schemaset_find(const struct schemaset *set,
    const char *type);

/* The compiled envelope schema. */
const struct js_schema *schemaset_envelope(const struct schemaset *set);

/* Number of event types, and the name of the i-th (sorted), for listings. */
size_t schemaset_count(const struct schemaset *set);
const char *schemaset_type(const struct schemaset *set, size_t i);

/* "ok", "envelope", "unknown_type", "schema": the dead-letter reason. */
const char *event_check_name(enum event_check ec);

#endif
