/*
 * text: the character-level checks and conversions for what citizens write,
 * shared by the Open311 form parser and the SMS inbox. Pure; no locale.
 *
 * UTF-8 is checked strictly (RFC 3629): shortest form only, no UTF-16
 * surrogates, nothing above U+10FFFF. What passes here is accepted by cJSON,
 * the hub's strict JSON check and PostgreSQL's jsonb, except U+0000, which
 * the callers refuse or remove.
 *
 * Lengths that the schemas state in characters (description <= 4000) are
 * counted in code points, as JSON Schema's maxLength counts them.
 */
#ifndef SIMPUL_TEXT_H
#define SIMPUL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What text_utf8_chars() returns for invalid UTF-8. */
#define TEXT_INVALID ((size_t)-1)

/*
 * The number of code points in p[0..len) if it is valid UTF-8, else
 * TEXT_INVALID. NUL bytes are valid here (U+0000); callers decide.
 */
size_t text_utf8_chars(const char *p, size_t len);

/*
 * The length in bytes of the first max_chars code points of p[0..len),
 * which must be valid UTF-8 (never cuts a character in two).
 */
size_t text_utf8_prefix(const char *p, size_t len, size_t max_chars);

/*
 * The length in bytes of the longest prefix of valid UTF-8 p[0..len) that
 * is at most max_bytes long and ends on a character boundary.
 */
size_t text_utf8_fit(const char *p, size_t len, size_t max_bytes);

/*
 * Appends UTF-16 text (le: 1 little-endian, 0 big-endian; no BOM) to out as
 * UTF-8, joining surrogate pairs. Returns 0; -1 on an odd length or an
 * unpaired surrogate; -2 when out's limit is reached. After a failure out
 * holds the characters before the problem, whole.
 */
int text_utf16_to_utf8(const uint8_t *p, size_t len, int le, struct buf *out);

/* Appends ISO-8859-1 text to out as UTF-8. Returns 0, or -2 at out's limit. */
int text_latin1_to_utf8(const uint8_t *p, size_t len, struct buf *out);

/*
 * Makes text fit for an event in place: NUL bytes are removed, other C0
 * controls except tab, LF and CR become spaces, DEL becomes a space, CR LF
 * and lone CR become LF, and leading and trailing white space is trimmed.
 * s must be valid UTF-8 (bytes >= 0x80 are left alone) with room for
 * len + 1 bytes. Returns the new length; s is then NUL-terminated.
 */
size_t text_clean(char *s, size_t len);

#endif
