/*
 * gpsdata: reading the real captures in tests/data/gps (gt06.tsv,
 * h02.tsv, osmand.tsv) for the GPS decoder tests.
 *
 * A row is a frame (hex, a message or a request), a tab, then what the
 * frame must decode to as "key=value" tokens; lines starting with '#' are
 * comments. The tests assert every value a row lists.
 */
#ifndef SIMPUL_GPSDATA_H
#define SIMPUL_GPSDATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Reads the next row of f into line (len bytes), cuts it at the tab and
 * points *expect at what follows. Returns 1, or 0 at the end of the file.
 */
int gpsdata_row(FILE *f, char *line, size_t len, char **expect);

/*
 * Finds "key=" at the start of a token in expect and copies its value (up
 * to a blank, ';', ',' or ')', cut to outlen - 1 bytes) into out. Returns
 * 1 when found, 0 otherwise.
 */
int gpsdata_get(const char *expect, const char *key, char *out,
    size_t outlen);

/* Milliseconds since the epoch of an RFC 3339 time; -1 if it is not one. */
int64_t gpsdata_utc(const char *s);

#endif
