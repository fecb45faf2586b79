/*
 * cloudevent: see cloudevent.h.
 *
 * The event is kept as a cJSON object from the start, so the schema check
 * sees exactly what will be serialised; the few attributes that other code
 * asks for (id, type, source, topic) are read back from the object or kept
 * next to it. cJSON allocation failures are out-of-memory and fatal, like
 * xmalloc().
 */
#include "cloudevent.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "uuid.h"

struct cloudevent {
	cJSON *root;
	char *source; /* "/<site>/<opd>/<system>" */
	char *topic;  /* "<site>/ev/<opd>/<system>/<type>" */
};

int
cloudevent_name_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0' || *s == '.')
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= CLOUDEVENT_NAME_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
cloudevent_opd_ok(const char *s)
{
	size_t n;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (n = 1; s[n] != '\0'; n++)
		if (n >= 32 || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return 0;
	return n >= 2;
}

static int
cloudevent_attr_ok(const char *s)
{
	return s != NULL && *s != '\0' &&
	    strnlen(s, CLOUDEVENT_ATTR_MAX + 1) <= CLOUDEVENT_ATTR_MAX;
}

/* Sets (adds or replaces) a string member; fatal on out-of-memory. */
static void
cloudevent_put(cJSON *obj, const char *key, const char *value)
{
	cJSON *s;

	if ((s = cJSON_CreateString(value)) == NULL)
		fatalx("cloudevent: out of memory");
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s))
			fatalx("cloudevent: cannot replace %s", key);
	} else if (!cJSON_AddItemToObject(obj, key, s))
		fatalx("cloudevent: out of memory");
}

struct cloudevent *
cloudevent_new(const char *site, const char *opd, const char *system,
    const char *type)
{
	struct cloudevent *ev;

	if (!cloudevent_name_ok(site) || !cloudevent_name_ok(opd) ||
	    !cloudevent_name_ok(system) || !cloudevent_name_ok(type)) {
		log_warnx("cloudevent: invalid name site=%s opd=%s system=%s "
		    "type=%s (want 1-%d chars of a-z 0-9 . _ -)",
		    site ? site : "(null)", opd ? opd : "(null)",
		    system ? system : "(null)", type ? type : "(null)",
		    CLOUDEVENT_NAME_MAX);
		return NULL;
	}
	ev = xcalloc(1, sizeof(*ev));
	ev->source = xasprintf("/%s/%s/%s", site, opd, system);
	ev->topic = xasprintf("%s/ev/%s/%s/%s", site, opd, system, type);
	if ((ev->root = cJSON_CreateObject()) == NULL)
		fatalx("cloudevent: out of memory");
	cloudevent_put(ev->root, "specversion", "1.0");
	cloudevent_set_id_v7(ev);
	cloudevent_put(ev->root, "source", ev->source);
	cloudevent_put(ev->root, "type", type);
	cloudevent_put(ev->root, "opd", opd);
	cloudevent_set_time(ev, clock_wall_ms());
	cloudevent_put(ev->root, "datacontenttype", "application/json");
	return ev;
}

void
cloudevent_free(struct cloudevent *ev)
{
	if (ev == NULL)
		return;
	cJSON_Delete(ev->root);
	free(ev->source);
	free(ev->topic);
	free(ev);
}

int
cloudevent_set_id(struct cloudevent *ev, const char *id)
{
	if (!cloudevent_attr_ok(id))
		return -1;
	cloudevent_put(ev->root, "id", id);
	return 0;
}

int
cloudevent_set_id_record(struct cloudevent *ev, const char *record_key,
    const char *version)
{
	char id[UUID_STR_LEN];

	if (uuid_v5_event(id, ev->source, record_key, version) == -1)
		return -1;
	cloudevent_put(ev->root, "id", id);
	return 0;
}

void
cloudevent_set_id_v7(struct cloudevent *ev)
{
	char id[UUID_STR_LEN];
	struct uuid u;

	uuid_v7(&u);
	uuid_format(&u, id);
	cloudevent_put(ev->root, "id", id);
}

static int
cloudevent_set_optional(struct cloudevent *ev, const char *key,
    const char *value)
{
	if (value == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(ev->root, key);
		return 0;
	}
	if (!cloudevent_attr_ok(value))
		return -1;
	cloudevent_put(ev->root, key, value);
	return 0;
}

int
cloudevent_set_subject(struct cloudevent *ev, const char *subject)
{
	return cloudevent_set_optional(ev, "subject", subject);
}

int
cloudevent_set_dataschema(struct cloudevent *ev, const char *uri)
{
	return cloudevent_set_optional(ev, "dataschema", uri);
}

void
cloudevent_set_time(struct cloudevent *ev, int64_t unix_ms)
{
	char t[32];

	time_format_rfc3339(unix_ms, t);
	cloudevent_put(ev->root, "time", t);
}

int
cloudevent_take_data(struct cloudevent *ev, cJSON *data)
{
	if (data == NULL || !cJSON_IsObject(data)) {
		cJSON_Delete(data);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(ev->root, "data");
	if (!cJSON_AddItemToObject(ev->root, "data", data))
		fatalx("cloudevent: out of memory");
	return 0;
}

cJSON *
cloudevent_data(struct cloudevent *ev)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(ev->root, "data");

	if (data == NULL && (data = cJSON_AddObjectToObject(ev->root,
	    "data")) == NULL)
		fatalx("cloudevent: out of memory");
	return data;
}

const cJSON *
cloudevent_json(const struct cloudevent *ev)
{
	return ev->root;
}

static const char *
cloudevent_get(const struct cloudevent *ev, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(ev->root, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

const char *
cloudevent_id(const struct cloudevent *ev)
{
	return cloudevent_get(ev, "id");
}

const char *
cloudevent_type(const struct cloudevent *ev)
{
	return cloudevent_get(ev, "type");
}

const char *
cloudevent_source(const struct cloudevent *ev)
{
	return ev->source;
}

const char *
cloudevent_topic(const struct cloudevent *ev)
{
	return ev->topic;
}

char *
cloudevent_serialize(const struct cloudevent *ev, size_t max, size_t *len)
{
	char *s;
	size_t n;

	if ((s = cJSON_PrintUnformatted(ev->root)) == NULL)
		return NULL;
	n = strlen(s);
	if (max != 0 && n > max) {
		cJSON_free(s);
		return NULL;
	}
	*len = n;
	return s;
}
