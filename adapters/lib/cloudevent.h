/*
 * cloudevent: builds one Simpul CloudEvent (CloudEvents 1.0, JSON structured
 * mode) and the MQTT topic it is published on.
 *
 * cloudevent_new() fills what every event needs: specversion "1.0", source
 * "/<site>/<opd>/<system>", type, the "opd" extension, datacontenttype
 * "application/json", time = now (RFC 3339 UTC with ms) and a fresh UUIDv7
 * id. Adapters that read a source which can be read twice must replace the
 * id with a deterministic one (cloudevent_set_id_record()), or the hub
 * cannot recognise the duplicate.
 *
 * Names that become topic levels (site, opd, system, type) are checked here,
 * so that a wrong config cannot produce a topic with "/", "+" or "#" in a
 * level: 1..64 characters of [a-z0-9._-] (type may not start with '.').
 * The envelope and the data are validated against the JSON Schemas before
 * publishing (adapter_publish_event()), not here.
 */
#ifndef SIMPUL_CLOUDEVENT_H
#define SIMPUL_CLOUDEVENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct cloudevent;

#define CLOUDEVENT_NAME_MAX 64     /* site, opd, system, type */
#define CLOUDEVENT_ATTR_MAX 1024   /* id, subject, dataschema */

/*
 * A new event; NULL (after log_warnx) when a name is not a valid topic
 * level. Free with cloudevent_free().
 */
struct cloudevent *cloudevent_new(const char *site, const char *opd,
    const char *system, const char *type);
void cloudevent_free(struct cloudevent *ev);

/* Returns 1 when s is a valid site/opd/system/type name, else 0. */
int cloudevent_name_ok(const char *s);
/*
 * Returns 1 when s is what the envelope schema allows for "opd"
 * (^[a-z][a-z0-9_-]{1,31}$, narrower than cloudevent_name_ok()), else 0.
 * The adapters check it when they read a config, so that a wrong OPD stops
 * them at start-up instead of making every event invalid.
 */
int cloudevent_opd_ok(const char *s);

/*
 * id setters. set_id takes any non-empty string up to CLOUDEVENT_ATTR_MAX;
 * set_id_record sets UUIDv5(source, record_key, version) (uuid_v5_event());
 * set_id_v7 draws a new time-ordered id. Return 0 / -1 (id unchanged).
 */
int cloudevent_set_id(struct cloudevent *ev, const char *id);
int cloudevent_set_id_record(struct cloudevent *ev, const char *record_key,
    const char *version);
void cloudevent_set_id_v7(struct cloudevent *ev);

/* Optional attributes; NULL removes. Return 0 / -1 (too long, empty). */
int cloudevent_set_subject(struct cloudevent *ev, const char *subject);
int cloudevent_set_dataschema(struct cloudevent *ev, const char *uri);
/* Event time in ms since the epoch (the source's own time if it has one). */
void cloudevent_set_time(struct cloudevent *ev, int64_t unix_ms);

/*
 * Takes ownership of data (a JSON object) as the event's "data", replacing
 * any earlier data. data is freed even on failure. Returns -1 if data is not
 * an object.
 */
int cloudevent_take_data(struct cloudevent *ev, cJSON *data);
/* The data object, for adding members in place; created empty if none. */
cJSON *cloudevent_data(struct cloudevent *ev);

/* The whole event as JSON (owned by ev), e.g. for the schema check. */
const cJSON *cloudevent_json(const struct cloudevent *ev);
const char *cloudevent_id(const struct cloudevent *ev);
const char *cloudevent_type(const struct cloudevent *ev);
const char *cloudevent_source(const struct cloudevent *ev);
/* "<site>/ev/<opd>/<system>/<type>" (owned by ev). */
const char *cloudevent_topic(const struct cloudevent *ev);

/*
 * Serialises the event compactly into a heap string (free with cJSON_free());
 * *len gets its length. Returns NULL when it would be longer than max bytes
 * (max 0: no limit) or on a cJSON failure.
 */
char *cloudevent_serialize(const struct cloudevent *ev, size_t max,
    size_t *len);

#endif
