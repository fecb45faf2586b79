/*
 * colmap: how one row of a SQL result becomes one event, as described by
 * the [map], [types] and [lookup NAME] sections of a SQL adapter's config.
 *
 * The module is pure (no database, no network): sqlpoll hands it the names
 * and kinds of the result's columns once per result (colmap_bind()) and
 * then the text of each row's columns (colmap_apply()). Every value arrives
 * as text, the way ODBC's SQL_C_CHAR delivers it; nothing passes through a
 * double on the way in.
 *
 * A map line is "target = spec":
 *
 *   type        = status           event type: the column's value looked up
 *                                  in [types] (value = type, or value = -
 *                                  to skip such rows); without [types], the
 *                                  value is the type itself
 *   type        = 'sp2d.issued'    a constant type
 *   id.record   = no_sp2d          record key of the deterministic id; a
 *                                  list of columns: tahun, no_sp2d
 *   id.version  = status, updated_at   what changes when the record changes
 *   time        = updated_at       event time (a timestamp column)
 *   subject     = no_sp2d          optional
 *   data.nilai  = nilai:int        a data field; nested: data.a.b
 *   data.x      = 'text'           a constant string
 *
 * Column conversions (":type" after the column name):
 *
 *   text (default)  the value with trailing blanks removed (CHAR padding)
 *   lower, upper    the same, case-folded (ASCII)
 *   digits          only the digits ("123-45.6" -> "123456")
 *   int             an exact integer of at most 10^15 in magnitude, from
 *                   "123", "-5", "1500000.00" (a fraction of zeros only,
 *                   as NUMERIC(18,2) and MONEY columns print); "12.50",
 *                   "1e6", "" and larger magnitudes are refused. Written as
 *                   a JSON number: doubles hold every integer up to 2^53
 *                   (~9.0e15) exactly, so 10^15 is safe.
 *   date            "YYYY-MM-DD" from a DATE, a TIMESTAMP ("2026-01-05
 *                   00:00:00.000") or text; the date as written, no zone
 *                   conversion
 *   timestamp       RFC 3339 UTC with ms; a value without an offset is in
 *                   the feed's time zone (colmap_set_timezone())
 *   bool            true/false from 1/0, t/f, true/false, y/n, yes/no, on/off
 *   lookup:NAME     the value looked up in [lookup NAME]
 *
 * A SQL NULL leaves a data field out (the schema decides whether that is
 * allowed) and clears the subject; in type, id.* and time it is an error.
 *
 * The id version that colmap_apply() returns is the id.version columns
 * followed by a digest of the event's content (type, subject, time, data).
 * So a re-read of an unchanged row gives the same id, and a row whose
 * content changed without its version columns changing (a fix made behind
 * the application's back, a joined table that changed) gives a new event
 * instead of an id the hub would refuse as id_conflict.
 */
#ifndef SIMPUL_COLMAP_H
#define SIMPUL_COLMAP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Largest magnitude of an "int" value: 10^15 rupiah. */
#define COLMAP_INT_MAX 1000000000000000LL
#define COLMAP_NAME_MAX 128     /* column name, bytes */
#define COLMAP_TARGETS_MAX 64   /* map lines */
#define COLMAP_LIST_MAX 8       /* columns in id.record / id.version */
#define COLMAP_DEPTH_MAX 4      /* data.a.b.c.d */
#define COLMAP_TYPES_MAX 64     /* [types] lines */
#define COLMAP_LOOKUP_MAX 10000 /* entries in one [lookup] table */
#define COLMAP_TEXT_MAX 1024    /* a [types] or [lookup] key or value */

struct colmap;

/* What a result column holds, as the driver describes it. */
enum colmap_sqlkind {
	COLMAP_SQL_CHAR,      /* CHAR, VARCHAR, NVARCHAR, TEXT, GUID */
	COLMAP_SQL_EXACT,     /* NUMERIC, DECIMAL, INTEGER ... BIGINT, MONEY */
	COLMAP_SQL_FLOAT,     /* FLOAT, REAL, DOUBLE */
	COLMAP_SQL_DATE,
	COLMAP_SQL_TIMESTAMP, /* TIMESTAMP, DATETIME, DATETIMEOFFSET */
	COLMAP_SQL_TIME,
	COLMAP_SQL_BIT,
	COLMAP_SQL_BINARY,
	COLMAP_SQL_OTHER,
};

/* One mapped row; colmap_row_clear() frees the members. */
struct colmap_row {
	char *type;
	char *subject;  /* NULL: none */
	char *record;   /* record key of the id */
	char *version;  /* version of the id, with the content digest */
	int64_t time_ms;
	cJSON *data;    /* an object; take it with cloudevent_take_data() */
};

struct colmap *colmap_new(void);
void colmap_free(struct colmap *cm);

/*
 * Config lines. Each returns 0, or -1 with a message in err (the caller
 * prefixes file:line).
 *   colmap_set:        "[map] target = spec"
 *   colmap_set_type:   "[types] value = type" (type "-": skip the row)
 *   colmap_set_lookup: "[lookup table] key = value"
 */
int colmap_set(struct colmap *cm, const char *target, const char *spec,
    char *err, size_t errlen);
int colmap_set_type(struct colmap *cm, const char *value, const char *type,
    char *err, size_t errlen);
int colmap_set_lookup(struct colmap *cm, const char *table, const char *key,
    const char *value, char *err, size_t errlen);
/* UTC offset, minutes east, of timestamps that carry none (default 0). */
void colmap_set_timezone(struct colmap *cm, int offset_min);

/* 1 when the target ("time", "data.nilai") has a map line. */
int colmap_has(const struct colmap *cm, const char *target);

/*
 * After the config is read: type, id.record, id.version and time are
 * mapped, every lookup table named exists, constant types are valid event
 * types. Sorts the lookup tables. Returns 0, or -1 with the first problem
 * in err.
 */
int colmap_check(struct colmap *cm, char *err, size_t errlen);

/* The event types this map can produce ([types] values and constants). */
size_t colmap_ntypes(const struct colmap *cm);
const char *colmap_type_at(const struct colmap *cm, size_t i);

/* The distinct column names the map reads, in order of first use. */
size_t colmap_ncolumns(const struct colmap *cm);
const char *colmap_column(const struct colmap *cm, size_t i);

/*
 * Binds the map to a result of n columns (names as the driver reports
 * them, compared without regard to ASCII case, since PostgreSQL folds
 * unquoted names to lower case and SQL Server keeps them as declared).
 * Fails (-1, err) when a column is missing, appears twice, or its kind
 * cannot give the conversion (a FLOAT for an amount, a BINARY anywhere, a
 * DATE as an integer): a problem of the source's schema, not of one row.
 */
int colmap_bind(struct colmap *cm, const char *const *names,
    const enum colmap_sqlkind *kinds, size_t n, char *err, size_t errlen);
/* After colmap_bind(): 1 when result column i (0-based) is read. */
int colmap_uses(const struct colmap *cm, size_t i);

/*
 * Maps one row of the bound result: values[i] is the text of column i, or
 * NULL for SQL NULL (columns the map does not use may be anything).
 * Returns 0 with out filled, 1 when [types] says to skip the row (out
 * empty), -1 with err when a value cannot be converted (the record is bad
 * at its source: a fraction in an amount, an unknown status, a NULL key,
 * text that is not UTF-8). out is always safe to clear.
 */
int colmap_apply(const struct colmap *cm, const char *const *values,
    struct colmap_row *out, char *err, size_t errlen);
void colmap_row_clear(struct colmap_row *row);

/*
 * The value parsers, for sqlpoll and the tests. Each accepts the whole
 * string (surrounding blanks allowed) or fails with -1.
 *
 * colmap_parse_int: see "int" above; *out within +-COLMAP_INT_MAX.
 * colmap_parse_date: into "YYYY-MM-DD" (out has at least 11 bytes).
 * colmap_parse_timestamp: "YYYY-MM-DD[( |T)hh:mm[:ss[.f{1,9}]]][ ][Z|+hh|
 *   +hh:mm|+hhmm]" into ms since the epoch (fractions below a ms are
 *   dropped); without an offset, offset_min applies.
 * colmap_parse_offset: "+07:00", "-0330", "Z", "UTC" into minutes east.
 * colmap_parse_bool: see "bool" above.
 */
int colmap_parse_int(const char *s, int64_t *out);
int colmap_parse_date(const char *s, char *out, size_t outlen);
int colmap_parse_timestamp(const char *s, int offset_min, int64_t *out);
int colmap_parse_offset(const char *s, int *out);
int colmap_parse_bool(const char *s, int *out);

/*
 * Moves a timestamp in its text form by delta_ms, keeping its offset text,
 * as "YYYY-MM-DD hh:mm:ss[.fff]" + the offset it had: the lower bound of
 * sqlpoll's reconciliation window, compared by the database in the column's
 * own terms. Returns 0 / -1 (not a timestamp, out too small).
 */
int colmap_timestamp_shift(const char *s, int64_t delta_ms, char *out,
    size_t outlen);

#endif
