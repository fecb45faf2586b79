/*
 * page: SiCantik's permit records as this adapter reads them, from one page
 * of the polling API or from one webhook delivery. Pure code: no network,
 * no clock, no adapter, so the unit tests and the fuzzer link it alone.
 *
 * SiCantik's API is not published; docs/perizinan.md describes the shape
 * assumed here (a Laravel-style paginated resource):
 *
 *	{"data": [{"id": 8812, "no_permohonan": "503/0123/DPMPTSP/2026",
 *	           "jenis_izin": "Persetujuan Bangunan Gedung (PBG)",
 *	           "nama_pemohon": "CV Sinar Karo", "status": "Terbit",
 *	           "tgl_pengajuan": "2026-11-20 09:15:00",
 *	           "batas_waktu_sla": "2026-12-04",
 *	           "no_izin": "PBG-1207-0042-2026", "alasan_tolak": null,
 *	           "updated_at": "2026-11-27T03:00:00.000000Z"}, ...],
 *	 "meta": {"page": 1, "last_page": 3, "total": 25}}
 *
 * The parser is strict about structure and lenient about content:
 *   - structure (the page is "malformed", page_parse() fails with the
 *     reason): not JSON, trailing bytes, no "data" array, a record that is
 *     not an object, a known field of the wrong JSON type, a missing or
 *     unusable id, no_permohonan, status or updated_at, invalid UTF-8, a
 *     string longer than PAGE_TEXT_MAX, more records than max_records, a
 *     missing or inconsistent "meta";
 *   - content (a record SiCantik holds wrongly: no jenis_izin, an issued
 *     permit without no_izin, an unreadable tgl_pengajuan) is passed on as
 *     it is, and the schema check before publishing refuses that one event
 *     (logged and counted) without stopping the others.
 *
 * Times: RFC 3339 with a zone is taken as it is; a time without a zone
 * ("2026-11-20 09:15:00", Laravel's database format) is in the configured
 * local zone (WIB, +07:00, by default); a bare date means the start of that
 * day for tgl_pengajuan and its end (23:59:59) for batas_waktu_sla. Times
 * are normalised to UTC; updated_at keeps microseconds, because it orders
 * records and two updates may share a millisecond.
 *
 * Statuses: SiCantik's status text is normalised (ASCII lower case, spaces
 * and '-' become '_': "Izin Terbit" -> "izin_terbit") and mapped through a
 * table (built-in defaults, overridden by the [status] section of the
 * config) to one of the four event types or to "ignore" (no event).
 */
#ifndef SIMPUL_PERIZINAN_PAGE_H
#define SIMPUL_PERIZINAN_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define PAGE_ID_MAX 64		/* SiCantik's record id, as text */
#define PAGE_STATUS_MAX 64	/* a status name */
#define PAGE_TEXT_MAX 8192	/* any string field, in bytes */
#define PAGE_RECORDS_MAX 10000	/* hard cap on records per page */
#define PAGE_STATUSES_MAX 128	/* entries in a status table */
#define PAGE_TIME_LEN 40	/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" + NUL */
#define PAGE_MARK_LEN (PAGE_TIME_LEN + 1 + PAGE_ID_MAX + 1)

enum permit_status {
	PERMIT_IGNORE = 0,	/* a status that is no event (draft, ...) */
	PERMIT_SUBMITTED,
	PERMIT_VERIFIED,
	PERMIT_ISSUED,
	PERMIT_REJECTED,
	PERMIT_UNKNOWN,		/* not in the table: no event, warned */
};

/* One record. Strings are heap copies, trimmed; NULL when absent. */
struct permit {
	char *id;		/* never NULL: [A-Za-z0-9._-]{1,64} */
	char *no_permohonan;	/* never NULL */
	char *jenis_izin;
	char *nama_pemohon;
	char *status_raw;	/* never NULL: as SiCantik wrote it */
	char status_key[PAGE_STATUS_MAX + 1];	/* normalised */
	enum permit_status status;
	char *submitted_at;	/* RFC 3339 UTC, or the raw text if unreadable */
	char *sla_deadline;	/* idem */
	char *no_izin;
	char *alasan;
	int64_t updated_us;	/* microseconds since the epoch */
	char updated_at[PAGE_TIME_LEN];	/* RFC 3339 UTC, microseconds */
};

struct page {
	struct permit *permits;
	size_t npermits;
	long page;		/* meta.page (or meta.current_page) */
	long last_page;		/* meta.last_page; 0 for an empty result */
	long total;		/* meta.total */
};

/* The status table (built-in defaults plus the config's [status]). */
struct page_statuses;

/* How to read records. */
struct page_rules {
	const struct page_statuses *statuses;
	int tz_offset_min;	/* zone of times without one, e.g. 420 (WIB) */
	size_t max_records;	/* per page or delivery; 0: PAGE_RECORDS_MAX */
};

/*
 * A table with the built-in mapping (see docs/perizinan.md). Cannot fail
 * (allocation failures are fatal).
 */
struct page_statuses *page_statuses_new(void);
void page_statuses_free(struct page_statuses *st);
/*
 * Maps SiCantik's status name (normalised here) to "submitted",
 * "verified", "issued", "rejected" or "ignore", replacing a default.
 * Returns 0, or -1 with a message in err (bad name or target, table full).
 */
int page_statuses_set(struct page_statuses *st, const char *name,
    const char *target, char *err, size_t errlen);
/* The mapping of a normalised status; PERMIT_UNKNOWN if none. */
enum permit_status page_status_of(const struct page_statuses *st,
    const char *key);
/* Writes the table as INI lines ("terbit = issued"), e.g. for -D. */
void page_statuses_dump(const struct page_statuses *st, char *out,
    size_t outlen);
/*
 * Normalises a status text into out (at most PAGE_STATUS_MAX bytes):
 * trimmed, ASCII lower case, runs of spaces, '-' and '/' as one '_'.
 * Returns 0, or -1 when it is empty, too long or holds other than
 * [A-Za-z0-9 _./-] (so a status name can never be a path or a key).
 */
int page_status_normalise(const char *s, char out[PAGE_STATUS_MAX + 1]);

/* "submitted", ..., "ignore", "unknown". */
const char *page_status_name(enum permit_status s);

/*
 * Parses one page of the polling API (len bytes, need not be
 * NUL-terminated). Returns 0 with *out set (free with page_free()), or -1
 * with *out NULL and the reason in err ("data[3].updated_at: not a
 * date-time").
 */
int page_parse(const char *body, size_t len, const struct page_rules *rules,
    struct page **out, char *err, size_t errlen);

/*
 * Parses a webhook body: one record object, an array of records, or an
 * object {"data": <record or array>}. meta is not read (page, last_page
 * and total are 0). An empty array is an error. Same contract as
 * page_parse().
 */
int page_parse_push(const char *body, size_t len,
    const struct page_rules *rules, struct page **out, char *err,
    size_t errlen);

void page_free(struct page *pg);

/*
 * The data of the permit's event (schemas/permit.<status>.json):
 * nomor_permohonan, jenis_izin, pemohon, status, submitted_at,
 * sla_deadline, nomor_izin and alasan when present, and SiCantik's own
 * sicantik_id, sicantik_status and updated_at. Fields that are absent in
 * the record are left out, so the schema check names what is missing.
 * For a status that is no event it returns NULL.
 */
cJSON *page_permit_data(const struct permit *p);

/*
 * Parses a time as described above: RFC 3339 with a zone, or without a
 * zone in tz_offset_min, or a bare date (the day's start, or its end when
 * end_of_day). Returns 0 with microseconds since the epoch, or -1 (also
 * for instants before 1970 or after 9999 UTC, which no permit has).
 */
int page_time_parse(const char *s, int tz_offset_min, int end_of_day,
    int64_t *us);
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
void page_time_format_us(int64_t us, char out[PAGE_TIME_LEN]);

/*
 * The polling watermark: the greatest (updated_at, id) whose event the
 * broker has acknowledged. A small value type.
 */
struct page_mark {
	int64_t us;			/* INT64_MIN: no mark (start) */
	char id[PAGE_ID_MAX + 1];	/* "" sorts before every id */
};

void page_mark_none(struct page_mark *m);
void page_mark_of(const struct permit *p, struct page_mark *m);
/*
 * Order of (updated_at, id): time first, then the id, where ids of digits
 * only compare as numbers and come before other ids, which compare as
 * bytes. Returns <0, 0, >0.
 */
int page_mark_cmp(const struct page_mark *a, const struct page_mark *b);
int page_id_cmp(const char *a, const char *b);
/* "2026-11-27T03:00:00.000000Z|8812" (checkpoint text). */
void page_mark_format(const struct page_mark *m, char out[PAGE_MARK_LEN]);
/* The reverse; the id may be empty. Returns 0 / -1. */
int page_mark_parse(const char *s, struct page_mark *m);

#endif
