/*
 * template: the text templates of routing rules, such as the topic
 * "{site}/opd/{data.opd_pemohon}/inbox/{type}" or the alert message
 * "Kendaraan {data.plate|tanpa plat} melaju {data.speed_kmh} km/jam".
 *
 * Syntax (docs/rules.md is the reference for rule authors):
 *   {site}                the hub's site prefix (given when rendering)
 *   {type} {opd} {subject} {id} {source} {time}
 *                         CloudEvents attributes of the event
 *   {topic}               the MQTT topic the event arrived on
 *   {data.a.b}            a field inside the event's data; keys are
 *                         [A-Za-z0-9_-]+, at most TEMPLATE_MAX_KEYS deep
 *   {field|text}          the same, with text used when the field is
 *                         missing (text may be empty; no braces inside)
 *   {{ and }}             a literal '{' or '}'
 *
 * Values are inserted as follows: strings as they are; numbers as JSON
 * numbers without trailing zeros ("80", "92.5", "1500000000"; integral
 * values below 10^15 never use an exponent); booleans as true/false. A
 * field that is absent, null, an object or an array is "missing".
 *
 * A template is compiled once, when its rule is loaded, into a list of
 * segments; rendering walks the segments into the caller's buffer and
 * allocates nothing. A compiled template is read-only, so threads may share
 * it.
 */
#ifndef SIMPUL_TEMPLATE_H
#define SIMPUL_TEMPLATE_H

#include <stddef.h>

#include "expr.h"	/* struct expr_env: the event and its topic */

#define TEMPLATE_MAX_SOURCE 1024	/* bytes of template text */
#define TEMPLATE_MAX_SEGMENTS 64	/* literal runs and fields */
#define TEMPLATE_MAX_KEYS 16		/* depth of {data.a.b...} */

/* What template_render*() return on failure (all negative). */
#define TEMPLATE_EMISSING -1	/* a field is missing and has no default */
#define TEMPLATE_ETOOLONG -2	/* the result does not fit the buffer */
#define TEMPLATE_EUNSAFE -3	/* topic only: a value would change levels */

struct template;

/*
 * Compiles src (NUL-terminated, UTF-8). Returns NULL on error and, if err is
 * not NULL, writes "column C: message" into it, or "line L, column C:
 * message" when src spans lines (L and C are 1-based, C counts characters
 * like an editor, lines end at \n, \r\n or \r; a caller that took src
 * from a file adds its own offset). Never returns NULL for another reason.
 */
struct template *template_compile(const char *src, char *err, size_t errlen);
void template_free(struct template *t);

/* The text the template was compiled from. */
const char *template_source(const struct template *t);
/* 1 if the template has no fields ("dishub", "{{x}}"), else 0. */
int template_is_literal(const struct template *t);

/*
 * Checks at load time that rendering t can only produce topic levels that
 * the template's own text shows: its literal text has no '+' or '#' (and
 * no '/' when one_level is set: an OPD name is one level), no default text
 * contains '/', '+' or '#' or is empty, and it uses neither {topic} nor
 * {source}, whose values always contain '/', and no control character.
 * Returns 0, or -1 with the position and message in err as for
 * template_compile().
 */
int template_check_topic(const struct template *t, int one_level, char *err,
    size_t errlen);

/*
 * If t reads the data field at path ("data.reporter") or a field under it
 * ("data.reporter.contact") without a default, returns the first such
 * field as written in t; else NULL. The rule loader uses it to refuse a
 * text that reads a field the same rule removes.
 */
const char *template_reads(const struct template *t, const char *path);

/*
 * Renders t for the event in env into out (always NUL-terminated when
 * outlen > 0). site is the value of {site}; NULL makes {site} missing.
 * Returns the length of the result (without the NUL), or
 * TEMPLATE_EMISSING or TEMPLATE_ETOOLONG (the result needs outlen bytes or
 * more); out then holds an empty string.
 */
int template_render(const struct template *t, const struct expr_env *env,
    const char *site, char *out, size_t outlen);

/*
 * Like template_render(), for a topic name: a substituted value (or a
 * default) that is empty or contains '/', '+', '#' or a control character
 * could add, remove or widen topic levels ("x/../y" in data.opd_pemohon),
 * so it fails with TEMPLATE_EUNSAFE; so does a result that is not a valid
 * MQTT topic name or that starts with '$'. The caller skips the action and
 * counts it.
 */
int template_render_topic(const struct template *t,
    const struct expr_env *env, const char *site, char *out, size_t outlen);

#endif
