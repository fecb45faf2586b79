/*
 * registry: the GPS devices this adapter serves, from the config file.
 *
 * Each device is a section of its own:
 *
 *	[device 353419036066061]
 *	plate = BK 1234 AB
 *	opd = dishub
 *	name = Ambulans Puskesmas Kabanjahe
 *
 * The id is what the tracker reports (IMEI for GT06 and H02, the
 * identifier typed into Traccar Client for OsmAnd). A 16-digit id with a
 * leading zero is the GT06 login's BCD form of a 15-digit IMEI
 * ("0353419036066061"); it is stored, and looked up, without that zero,
 * which is how the GT06 decoder reports it. All keys are optional, but a
 * section needs at least one key to exist (inih reports keys, not empty
 * sections). opd defaults to the adapter's own [adapter] opd.
 *
 * The registry is filled while the config is read (registry_conf(), the
 * conf "other sections" hook) and read-only afterwards, so lookups need no
 * lock. The one mutable part is the rate limiter for "unknown device"
 * log lines, which has its own lock.
 */
#ifndef SIMPUL_GPS_REGISTRY_H
#define SIMPUL_GPS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "gpsfix.h"

#define REGISTRY_NAME_MAX 128 /* bytes of a device's display name */

struct registry;

/* One device: a small read-only value, owned by the registry. */
struct registry_device {
	char id[GPS_DEVICE_ID_MAX]; /* normalised (see above) */
	char *plate;                /* NULL: none */
	char *opd;                  /* NULL: the adapter's opd */
	char *name;                 /* NULL: none */
};

/* Never fails (out of memory is fatal). */
struct registry *registry_new(void);
/* Accepts NULL. */
void registry_free(struct registry *r);

/*
 * The config hook for a key in a section not in the key table. Sections
 * named "device <id>" are devices; their keys are plate (the gps.position
 * schema's pattern: upper case, digits, blanks, '-', 2..16 characters),
 * opd (an OPD short name) and name (1..REGISTRY_NAME_MAX bytes of UTF-8
 * without control characters). Returns 0, or -1 with a message in err for
 * any other section, an invalid id, an unknown key or a bad value.
 */
int registry_conf(struct registry *r, const char *section, const char *key,
    const char *value, char *err, size_t errlen);

/* The device with this id (normalised first), or NULL. */
const struct registry_device *registry_find(const struct registry *r,
    const char *id);

size_t registry_count(const struct registry *r);

/*
 * Writes the normalised form of id into out: a 16-digit all-digit id with a
 * leading zero loses it. Returns 0, or -1 when id is not a device id
 * (gps_id_ok()).
 */
int registry_normalize(const char *id, char out[GPS_DEVICE_ID_MAX]);

/*
 * The "log once per device per interval" limiter for unknown devices:
 * returns 1 when id was not noted within interval_ms before now_ms (and
 * notes it now), else 0. A fixed-size table, so a flood of made-up ids
 * costs no memory; an id evicted by a colliding one is logged again early,
 * which is harmless. Thread-safe.
 */
int registry_unknown_note(struct registry *r, const char *id, int64_t now_ms,
    int64_t interval_ms);

#endif
