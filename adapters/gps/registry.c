/*
 * registry: see registry.h.
 *
 * Devices live in an open-addressing hash table (FNV-1a, linear probing,
 * at most half full), because every message from every tracker is looked
 * up and a fleet has thousands of devices. Nothing is ever removed: the
 * registry is built once from the config.
 *
 * The unknown-device limiter is a direct-mapped table of
 * REGISTRY_UNKNOWN_SLOTS (id, last logged) pairs under a mutex: constant
 * memory whatever a scanner on the internet sends, and a colliding id only
 * means an earlier log line.
 */
#include "registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "log.h"
#include "util.h"

#define REGISTRY_UNKNOWN_SLOTS 4096

struct registry_unknown {
	char id[GPS_DEVICE_ID_MAX];
	int64_t last_ms;
};

struct registry {
	struct registry_device **slots; /* NULL: empty */
	size_t cap;                     /* a power of two */
	size_t count;
	pthread_mutex_t mtx;            /* for unknown[] */
	struct registry_unknown *unknown;
};

static uint64_t
registry_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct registry *
registry_new(void)
{
	struct registry *r = xcalloc(1, sizeof(*r));

	r->cap = 64;
	r->slots = xcalloc(r->cap, sizeof(*r->slots));
	r->unknown = xcalloc(REGISTRY_UNKNOWN_SLOTS, sizeof(*r->unknown));
	pthread_mutex_init(&r->mtx, NULL);
	return r;
}

void
registry_free(struct registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->cap; i++) {
		struct registry_device *d = r->slots[i];

		if (d == NULL)
			continue;
		free(d->plate);
		free(d->opd);
		free(d->name);
		free(d);
	}
	free(r->slots);
	free(r->unknown);
	pthread_mutex_destroy(&r->mtx);
	free(r);
}

int
registry_normalize(const char *id, char out[GPS_DEVICE_ID_MAX])
{
	size_t n = strlen(id), i;
	int digits = 1;

	if (!gps_id_ok(id, n))
		return -1;
	for (i = 0; i < n; i++)
		if (id[i] < '0' || id[i] > '9')
			digits = 0;
	if (n == 16 && digits && id[0] == '0') {
		id++;
		n--;
	}
	memcpy(out, id, n);
	out[n] = '\0';
	return 0;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t
registry_slot(const struct registry *r, const char *id)
{
	size_t i = (size_t)registry_hash(id) & (r->cap - 1);

	while (r->slots[i] != NULL && strcmp(r->slots[i]->id, id) != 0)
		i = (i + 1) & (r->cap - 1);
	return i;
}

static void
registry_grow(struct registry *r)
{
	struct registry_device **old = r->slots;
	size_t oldcap = r->cap, i;

	r->cap *= 2;
	r->slots = xcalloc(r->cap, sizeof(*r->slots));
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			r->slots[registry_slot(r, old[i]->id)] = old[i];
	free(old);
}

/* The device with this normalised id, created when missing. */
static struct registry_device *
registry_get(struct registry *r, const char *id)
{
	struct registry_device *d;
	size_t i;

	i = registry_slot(r, id);
	if (r->slots[i] != NULL)
		return r->slots[i];
	if ((r->count + 1) * 2 > r->cap) {
		registry_grow(r);
		i = registry_slot(r, id);
	}
	d = xcalloc(1, sizeof(*d));
	strlcpy_s(d->id, id, sizeof(d->id));
	r->slots[i] = d;
	r->count++;
	return d;
}

const struct registry_device *
registry_find(const struct registry *r, const char *id)
{
	char norm[GPS_DEVICE_ID_MAX];

	if (registry_normalize(id, norm) == -1)
		return NULL;
	return r->slots[registry_slot(r, norm)];
}

size_t
registry_count(const struct registry *r)
{
	return r->count;
}

/* The gps.position schema's plate pattern: ^[A-Z0-9][A-Z0-9 -]{1,15}$. */
static int
registry_plate_ok(const char *s)
{
	size_t n;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (n = 1; s[n] != '\0'; n++)
		if (n >= 16 || !((s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == ' ' || s[n] == '-'))
			return 0;
	return n >= 2;
}

/*
 * 1 when s is 1..REGISTRY_NAME_MAX bytes of well-formed UTF-8 (shortest
 * form, no surrogates, at most U+10FFFF) without control characters: the
 * name goes into every event, and the hub refuses what jsonb refuses.
 */
static int
registry_name_ok(const char *str)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t n = strlen(str), i = 0, k, len;
	uint32_t cp, min;

	if (n == 0 || n > REGISTRY_NAME_MAX)
		return 0;
	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1fu;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0fu;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07u;
			min = 0x10000;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += len;
	}
	return 1;
}

int
registry_conf(struct registry *r, const char *section, const char *key,
    const char *value, char *err, size_t errlen)
{
	struct registry_device *d;
	char raw[GPS_DEVICE_ID_MAX + 1], norm[GPS_DEVICE_ID_MAX];
	const char *p;
	size_t n;
	char **field;

	if (strncmp(section, "device", 6) != 0 ||
	    (section[6] != ' ' && section[6] != '\t')) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	for (p = section + 6; *p == ' ' || *p == '\t'; p++)
		;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(raw)) {
		snprintf(err, errlen, "[%s]: expected [device <id>] with an id "
		    "of 1-%d letters or digits", section, GPS_DEVICE_ID_MAX - 1);
		return -1;
	}
	memcpy(raw, p, n);
	raw[n] = '\0';
	if (registry_normalize(raw, norm) == -1) {
		snprintf(err, errlen, "[%s]: device id '%s' is not 1-%d letters "
		    "or digits", section, raw, GPS_DEVICE_ID_MAX - 1);
		return -1;
	}

	if (strcmp(key, "plate") == 0) {
		if (!registry_plate_ok(value)) {
			snprintf(err, errlen, "plate: '%s' is not a plate as "
			    "printed (2-16 of A-Z 0-9 blank -, e.g. BK 1234 AB)",
			    value);
			return -1;
		}
	} else if (strcmp(key, "opd") == 0) {
		if (!cloudevent_opd_ok(value)) {
			snprintf(err, errlen, "opd: '%s' is not an OPD name "
			    "(2-32 of a-z 0-9 _ -, starting with a letter)",
			    value);
			return -1;
		}
	} else if (strcmp(key, "name") == 0) {
		if (!registry_name_ok(value)) {
			snprintf(err, errlen, "name: expected 1-%d bytes of "
			    "UTF-8 text without control characters",
			    REGISTRY_NAME_MAX);
			return -1;
		}
	} else {
		snprintf(err, errlen, "unknown key '%s' in [%s] (plate, opd, "
		    "name)", key, section);
		return -1;
	}
	d = registry_get(r, norm);
	if (strcmp(key, "plate") == 0)
		field = &d->plate;
	else if (strcmp(key, "opd") == 0)
		field = &d->opd;
	else
		field = &d->name;
	free(*field);
	*field = xstrdup(value);
	return 0;
}

int
registry_unknown_note(struct registry *r, const char *id, int64_t now_ms,
    int64_t interval_ms)
{
	struct registry_unknown *u;
	int log = 0;

	u = &r->unknown[registry_hash(id) % REGISTRY_UNKNOWN_SLOTS];
	pthread_mutex_lock(&r->mtx);
	if (strcmp(u->id, id) != 0 || now_ms - u->last_ms >= interval_ms ||
	    now_ms < u->last_ms) {
		strlcpy_s(u->id, id, sizeof(u->id));
		u->last_ms = now_ms;
		log = 1;
	}
	pthread_mutex_unlock(&r->mtx);
	return log;
}
