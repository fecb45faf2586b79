/*
 * param: the console's parsers of what a browser sends: query-string
 * values, the Cookie header, and the JSON request bodies. Pure functions
 * without I/O, so that they can be unit-tested and fuzzed
 * (tests/unit/test_console_param.c, tests/fuzz/fuzz_console_*.c).
 *
 * Every value is checked before it goes near SQL (where it travels as a
 * parameter anyway): its length, valid UTF-8, no control characters, and
 * the syntax of its kind. A function returns 0 when the value is fine (or
 * absent, where absence is allowed) and -1 when it is not; the API then
 * answers 400 naming the parameter. Nothing here logs.
 */
#ifndef SIMPUL_CONSOLE_PARAM_H
#define SIMPUL_CONSOLE_PARAM_H

#include <stddef.h>

#define PARAM_TEXT_MAX     200  /* bytes of a free-text filter (q=) */
#define PARAM_USER_MAX     64   /* bytes of a user name */
#define PARAM_PASSWORD_MAX 1024 /* bytes of a password */
#define PARAM_NOTE_MAX     4000 /* bytes of a note (CASE_NOTE_MAX) */
#define PARAM_OPD_MAX      32
#define PARAM_TOKEN_LEN    43   /* base64url of 32 random bytes, no '=' */
#define PARAM_CURSOR_ID_MAX 256 /* bytes of the id part of an event cursor */

/* 1 when p[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int param_utf8(const char *p, size_t len);
/* Text: NULL is fine; else at most max bytes of UTF-8 without controls. */
int param_text(const char *v, size_t max);
/* A whole number in [min, max]; NULL gives def. */
int param_long(const char *v, long def, long min, long max, long *out);
/* An OPD short name (^[a-z][a-z0-9_-]{1,31}$); NULL is fine. */
int param_opd(const char *v);
/* A word of a closed set (e.g. sort=due|opened|severity); NULL is fine. */
int param_oneof(const char *v, const char *const *set);
/* An RFC 3339 date-time, canonicalised to UTC into out; NULL is fine
 * (out becomes ""). */
int param_time(const char *v, char out[32]);
/* A positive whole number of at most 18 digits (a row id); NULL is not. */
int param_id(const char *v);
/* A case reference: a numeric id or a case number ([A-Z0-9-], 1..64). */
int param_case_ref(const char *v);
/*
 * An event cursor "<microseconds since 1970>|<event id>" as the console
 * hands out in next: us gets the number (digits), id the rest. NULL is
 * fine (us and id become "").
 */
int param_event_cursor(const char *v, char us[24], char *id, size_t idlen);

/*
 * Matches an API path (what follows "/api/", e.g. "cases/17/verify")
 * against a route pattern of '/'-separated segments: a word matches
 * itself, "*" one non-empty segment, and "**", as the pattern's last
 * segment, the non-empty rest of the path with its '/'s (an event id may
 * hold '/', and libmicrohttpd hands the path over with %2F decoded). The
 * path is copied into buf (buflen bytes) and cut into its segments, which
 * seg points to (at most segmax). Returns their number, or -1 when the
 * path does not match or does not fit.
 */
int param_path_match(const char *pattern, const char *path, char *buf,
    size_t buflen, char **seg, int segmax);

/*
 * The value of cookie name in a Cookie header ("a=1; simpul_session=x").
 * Returns 0 and the value in out (NUL-terminated) when the cookie is there
 * once with a value of 1..outlen-1 token characters; -1 when it is
 * missing, empty, repeated or malformed.
 */
int param_cookie(const char *header, const char *name, char *out,
    size_t outlen);

struct param_login {
	char user[PARAM_USER_MAX + 1];
	char password[PARAM_PASSWORD_MAX + 1];
};

/* {"user": "...", "password": "..."}. 0, or -1 with a message in err. */
int param_login_parse(const char *body, size_t len, struct param_login *out,
    char *err, size_t errlen);

struct param_act {
	char reason[32];
	char opd[PARAM_OPD_MAX + 1];
	char note[PARAM_NOTE_MAX + 1];
	int has_reason, has_opd, has_note;
};

/*
 * The body of a case action: {"reason"?, "note"?, "opd"?}; an empty body
 * is an empty object. 0, or -1 with a message in err.
 */
int param_act_parse(const char *body, size_t len, struct param_act *out,
    char *err, size_t errlen);

#endif
