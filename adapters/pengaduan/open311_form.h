/*
 * open311_form: the body of an Open311 GeoReport v2 "POST Service Request"
 * turned into a checked request. Pure (no I/O, no clock), so it is unit
 * tested and fuzzed on its own (tests/fuzz/fuzz_open311_form.c).
 *
 * Two steps. open311_form_parse() decodes application/x-www-form-urlencoded
 * (what the spec prescribes: '&'-separated name=value pairs, '+' is a space,
 * %XX escapes) into a list of pairs; open311_form_parse_json() maps a JSON
 * object onto the same list, for clients that post JSON. Every name and
 * value must be valid UTF-8 without NUL (the spec: "UTF-8 is required
 * everywhere"); limits below bound everything.
 *
 * open311_request_parse() then reads the spec's fields from the list:
 * service_code, lat + long or address_string (one of them: "location
 * required"), address_id, email, first_name, last_name, phone, description
 * (<= 4000 characters), media_url (http or https), device_id, account_id,
 * jurisdiction_id, api_key, and attribute[code]=value or, for a
 * multivaluelist, attribute[code][]=value (repeated; joined with ","). An
 * empty value is the same as an absent one (the spec's "Optional
 * Arguments"). A field given twice is refused rather than guessed at.
 * Unknown parameters are ignored. Whether service_code and the attributes
 * exist is the catalogue's business (services.h), not this module's.
 *
 * Errors are one line meant for the client (it becomes the description of
 * an Open311 error: [{"code":400,"description":"..."}]).
 */
#ifndef SIMPUL_OPEN311_FORM_H
#define SIMPUL_OPEN311_FORM_H

#include <stddef.h>

#define OPEN311_BODY_MAX 65536		/* bytes of a form or JSON body */
#define OPEN311_PARAMS_MAX 128		/* name=value pairs */
#define OPEN311_NAME_MAX 128		/* bytes of a decoded name */
#define OPEN311_VALUE_MAX 16384		/* bytes of a decoded value */
#define OPEN311_DESCRIPTION_MAX 4000	/* characters, as the spec says */
#define OPEN311_ADDRESS_MAX 500		/* characters (the event schema) */
#define OPEN311_NAME_CHARS_MAX 120	/* first + last name, characters */
#define OPEN311_EMAIL_MAX 85		/* phone + ", " + email fit in 120 */
#define OPEN311_PHONE_MAX 32
#define OPEN311_URL_MAX 2048
#define OPEN311_CODE_MAX 64		/* service_code, attribute code */
#define OPEN311_ATTRS_MAX 64		/* attribute codes per request */
#define OPEN311_ATTR_VALUE_MAX 1000	/* characters of one attribute */
#define OPEN311_JSON_DEPTH 4

struct open311_form;

/*
 * Parses a form-encoded body. Returns 0 and a new list in *out, or -1 with
 * the reason in err (bad %-escape, invalid UTF-8, NUL, a name or value too
 * long, too many pairs, body longer than OPEN311_BODY_MAX).
 */
int open311_form_parse(const char *body, size_t len,
    struct open311_form **out, char *err, size_t errlen);

/*
 * Parses a JSON object body into the same list: strings as they are,
 * numbers as JSON writes them, booleans as "true"/"false", null as absent;
 * "attribute": {"code": value or [values]} becomes attribute[code] or
 * attribute[code][] pairs. Duplicate keys, nesting deeper than
 * OPEN311_JSON_DEPTH and anything but an object are refused.
 */
int open311_form_parse_json(const char *body, size_t len,
    struct open311_form **out, char *err, size_t errlen);

void open311_form_free(struct open311_form *f);
size_t open311_form_count(const struct open311_form *f);
const char *open311_form_name(const struct open311_form *f, size_t i);
const char *open311_form_value(const struct open311_form *f, size_t i);
/* The first non-empty value of name, or NULL. */
const char *open311_form_get(const struct open311_form *f, const char *name);

struct open311_attr {
	char *code;
	char *value;	/* values of attribute[code][] joined with "," */
	int multi;	/* given as attribute[code][] */
};

/* A checked request; every string is its own copy, NULL when absent. */
struct open311_request {
	char *api_key;
	char *jurisdiction_id;
	char *service_code;
	int has_latlon;
	double lat, lon;
	char *address_string;
	char *address_id;
	char *email;
	char *phone;
	char *name;		/* first_name + " " + last_name, trimmed */
	char *description;	/* cleaned (see text_clean()) */
	char *media_url;
	struct open311_attr attrs[OPEN311_ATTRS_MAX];
	size_t nattrs;
};

/*
 * Reads and checks the fields (see above). Returns 0 and a new request in
 * *out, or -1 with the reason in err, e.g. "service_code required",
 * "location required: lat and long, or address_string", "description
 * longer than 4000 characters", "parameter 'phone' given more than once".
 * api_key is copied but not required here: the caller checks it first and
 * answers 403.
 */
int open311_request_parse(const struct open311_form *f,
    struct open311_request **out, char *err, size_t errlen);
void open311_request_free(struct open311_request *r);

/* The attribute with this code, or NULL. */
const struct open311_attr *open311_request_attr(
    const struct open311_request *r, const char *code);

#endif
