/*
 * jsonschema: JSON Schema draft-07 validation over cJSON.
 *
 * A schema is compiled once (js_compile) and then validates any number of
 * instances (js_validate). Validation does not allocate: the instance path
 * is kept on a fixed stack, errors go into the caller's array, and the PCRE2
 * match data is allocated at compile time.
 *
 * Threads: a compiled schema may be used by ONE thread at a time, because
 * all its patterns share one PCRE2 match data block. Compile one copy per
 * thread if several threads validate.
 *
 * Limits (so hostile instances cannot exhaust the stack or the CPU):
 * instances deeper than JS_MAX_INSTANCE_DEPTH, more than JS_MAX_REF_DEPTH
 * "$ref" hops without descending into the instance (a $ref loop), and deep
 * comparisons (enum, const, uniqueItems) costing more than a fixed budget
 * fail validation with an error instead.
 *
 * Supported: every draft-07 keyword; "$ref" to JSON pointers (~0 ~1 and
 * %-escapes), to "$id" resources and "#name" anchors of the same document,
 * and to the draft-07 metaschema (embedded, no network). Not supported:
 * references to other documents (remote refs). "format" asserts date-time,
 * date, time (RFC 3339), uri and uri-reference (characters and scheme only);
 * other formats are accepted as-is. Patterns are PCRE2 in UTF mode, close
 * to but not exactly ECMA-262 (see docs/validation.md).
 */
#ifndef SIMPUL_JSONSCHEMA_H
#define SIMPUL_JSONSCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JS_MAX_INSTANCE_DEPTH	64
#define JS_MAX_REF_DEPTH	128
#define JS_POINTER_MAX		256
#define JS_MESSAGE_MAX		160

struct js_schema;

struct js_error {
	/* RFC 6901 pointer of the failing value; "" is the root. */
	char pointer[JS_POINTER_MAX];
	/* The schema keyword that failed ("minimum", "required", ...). */
	const char *keyword;
	/* A short human message, e.g. "-3 is less than 0". */
	char message[JS_MESSAGE_MAX];
};

/*
 * Compiles a schema (the tree is copied; the caller keeps its own). Returns
 * NULL if the schema is not valid draft-07 or a "$ref" cannot be resolved,
 * with the reason and the schema location in err (if errlen > 0).
 */
struct js_schema *js_compile(const cJSON *schema, char *err, size_t errlen);
void js_free(struct js_schema *s); /* accepts NULL */

/*
 * Validates instance. Returns the number of errors found (0: valid); the
 * first nerrs of them are written to errs. Never allocates.
 */
size_t js_validate(const struct js_schema *s, const cJSON *instance,
    struct js_error *errs, size_t nerrs);

/*
 * Formats an error as one line "pointer: keyword: message" into buf (always
 * NUL-terminated when len > 0); prefix is prepended to the pointer (e.g.
 * "/data"), an empty pointer shows as "(root)". Returns the length that the
 * full line would have (like snprintf).
 */
size_t js_error_format(const struct js_error *e, const char *prefix,
    char *buf, size_t len);

/*
 * Parses len bytes of JSON text (no NUL needed) as one JSON value with
 * nothing but whitespace after it, and checks that it is valid UTF-8.
 * On error returns NULL and writes "line L column C: reason" into err.
 */
cJSON *js_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
