/*
 * util: the small helpers every module needs.
 *
 * Memory: x*() allocators call fatal() on out-of-memory; a daemon that cannot
 * allocate a few bytes has no better move, and callers stay readable.
 *
 * Numbers from outside: parse_*() accept the whole string or nothing (no
 * trailing garbage, no silent overflow) and return 0 / -1. Never use atoi()
 * or sscanf() on outside input.
 *
 * Buffers: struct buf grows up to a hard limit that the owner sets; hitting it
 * is an error the caller sees, never a silent truncation.
 */
#ifndef SIMPUL_UTIL_H
#define SIMPUL_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of s, or NULL when s is NULL or empty (an optional setting). */
char *xstrdup_or_null(const char *s);
/* Formats into a fresh heap string; fatal on OOM. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int parse_long(const char *s, long min, long max, long *out);
int parse_u64(const char *s, uint64_t *out);
int parse_double(const char *s, double *out);
int parse_bool(const char *s, int *out); /* yes/no, true/false, on/off, 1/0 */
/*
 * Durations such as "250ms", "5s", "2m", "1h", "3d" (a bare number means
 * seconds) into milliseconds. Returns -1 on anything else.
 */
int parse_duration_ms(const char *s, int64_t *out);
/* Sizes such as "512", "64k", "16M", "2G" (powers of 1024) into bytes. */
int parse_size(const char *s, uint64_t *out);
/*
 * A UTC offset, "+07:00", "-03:30", "Z" or "UTC" (hours 0..14), into
 * minutes east of UTC. Returns 0 / -1.
 */
int parse_utc_offset(const char *s, int *minutes);
/* The value (0..15) of one hex digit, either case; -1 for any other c. */
int hex_value(int c);

/* Clocks, in milliseconds. */
int64_t clock_wall_ms(void);
int64_t clock_mono_ms(void);

/*
 * mkdir -p with mode 0700 (a daemon's state is nobody else's business):
 * creates dir and every missing parent; levels that exist are left as they
 * are. Returns 0, or -1 after log_warn("<who>: mkdir <the level that
 * failed>").
 */
int mkdir_p(const char *dir, const char *who);

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy_s(char *dst, const char *src, size_t size);

/* Formats a wall-clock time (ms since epoch) as RFC 3339 UTC with ms. */
void time_format_rfc3339(int64_t ms, char out[32]);
/*
 * Parses an RFC 3339 date-time ("2026-11-27T10:00:00Z",
 * "2026-11-27T17:00:00.5+07:00") into ms since epoch. Returns 0 / -1.
 */
int time_parse_rfc3339(const char *s, int64_t *ms);
/*
 * Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day
 * 1..31; Howard Hinnant's days_from_civil). Does not check the date.
 */
int64_t time_days_from_civil(int64_t y, int m, int d);

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit; /* 0: no limit (only for data we produce ourselves) */
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Returns 0, or -1 (and leaves b unchanged) when the limit would be passed. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Makes data a C string (appends a NUL not counted in len). */
int buf_terminate(struct buf *b);

/*
 * Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and puts the
 * previous mask into *old. Threads started before the mask is restored
 * (pthread_sigmask(SIG_SETMASK, old, NULL)) inherit it, so that those
 * signals keep going to the main thread, whose handlers stop the daemon.
 */
void signals_block_stop(sigset_t *old);

#endif
