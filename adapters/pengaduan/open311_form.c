/*
 * open311_form: see open311_form.h.
 *
 * The form decoder walks the body once. Each name and value is decoded into
 * a bounded buffer (struct buf with a limit), checked for UTF-8 and NUL, and
 * copied into the list; nothing is decoded beyond the limits, so a 64 KiB
 * body costs at most a few copies of 64 KiB.
 *
 * The request parser reads the list through a table of the spec's fields
 * (name, limit in characters, where it lands), so that adding a field is a
 * line, and every field gets the same duplicate, empty and length rules.
 */
#include "open311_form.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsoncheck.h"
#include "log.h"
#include "text.h"
#include "util.h"

struct open311_form {
	char **names;
	char **values;
	size_t n;
};

static void
form_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
form_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct open311_form *
form_new(void)
{
	struct open311_form *f = xcalloc(1, sizeof(*f));

	f->names = xcalloc(OPEN311_PARAMS_MAX, sizeof(*f->names));
	f->values = xcalloc(OPEN311_PARAMS_MAX, sizeof(*f->values));
	return f;
}

void
open311_form_free(struct open311_form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->values[i]);
	}
	free(f->names);
	free(f->values);
	free(f);
}

size_t
open311_form_count(const struct open311_form *f)
{
	return f->n;
}

const char *
open311_form_name(const struct open311_form *f, size_t i)
{
	return i < f->n ? f->names[i] : NULL;
}

const char *
open311_form_value(const struct open311_form *f, size_t i)
{
	return i < f->n ? f->values[i] : NULL;
}

const char *
open311_form_get(const struct open311_form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0 && f->values[i][0] != '\0')
			return f->values[i];
	return NULL;
}

/* A printable form of a name for messages (names are short and UTF-8). */
static const char *
form_shown(const char *name)
{
	return name[0] != '\0' ? name : "(empty)";
}

/*
 * Checks one decoded name or value: valid UTF-8, no NUL. Names are also
 * refused when they contain control characters, which no client sends.
 */
static int
form_check_text(const char *s, size_t len, int is_name, const char *name,
    char *err, size_t errlen)
{
	size_t i;

	if (text_utf8_chars(s, len) == TEXT_INVALID) {
		if (is_name)
			form_err(err, errlen, "invalid UTF-8 in a parameter "
			    "name");
		else
			form_err(err, errlen, "invalid UTF-8 in '%s'",
			    form_shown(name));
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || (is_name && (unsigned char)s[i] < 0x20)) {
			if (is_name)
				form_err(err, errlen, "control character in a "
				    "parameter name");
			else
				form_err(err, errlen, "NUL character in '%s'",
				    form_shown(name));
			return -1;
		}
	}
	return 0;
}

static int
form_add(struct open311_form *f, const char *name, size_t nlen,
    const char *value, size_t vlen, char *err, size_t errlen)
{
	if (f->n >= OPEN311_PARAMS_MAX) {
		form_err(err, errlen, "too many parameters (limit %d)",
		    OPEN311_PARAMS_MAX);
		return -1;
	}
	f->names[f->n] = xstrndup(name, nlen);
	f->values[f->n] = xstrndup(value, vlen);
	f->n++;
	return 0;
}

/* Decodes p[0..len) ('+' is a space, %XX a byte) into out (bounded). */
static int
form_decode(const char *p, size_t len, struct buf *out)
{
	size_t i;
	int hi, lo;
	char c;

	buf_reset(out);
	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= len)
				return -2;
			hi = hex_value(p[i + 1]);
			lo = hex_value(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -2;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	return 0;
}

int
open311_form_parse(const char *body, size_t len, struct open311_form **out,
    char *err, size_t errlen)
{
	struct open311_form *f = NULL;
	struct buf nb, vb;
	const char *seg, *end, *eq, *amp;
	size_t seglen;
	int rv = -1, r;

	*out = NULL;
	buf_init(&nb, OPEN311_NAME_MAX);
	buf_init(&vb, OPEN311_VALUE_MAX);
	if (len > OPEN311_BODY_MAX) {
		form_err(err, errlen, "request body too large (limit %d "
		    "bytes)", OPEN311_BODY_MAX);
		goto out;
	}
	f = form_new();
	end = body + len;
	for (seg = body; seg < end; seg = amp + 1) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if (amp == NULL)
			amp = end;
		seglen = (size_t)(amp - seg);
		if (seglen == 0)
			continue;
		eq = memchr(seg, '=', seglen);
		if (eq == NULL)
			eq = amp;
		if ((r = form_decode(seg, (size_t)(eq - seg), &nb)) != 0) {
			form_err(err, errlen, r == -2 ? "bad %%-escape in a "
			    "parameter name" : "parameter name too long "
			    "(limit %d bytes)", OPEN311_NAME_MAX);
			goto out;
		}
		if (form_check_text(nb.data ? nb.data : "", nb.len, 1, NULL,
		    err, errlen) == -1)
			goto out;
		if (buf_terminate(&nb) == -1) {
			form_err(err, errlen, "parameter name too long (limit "
			    "%d bytes)", OPEN311_NAME_MAX);
			goto out;
		}
		if (nb.len == 0)
			continue; /* "=value": no name, nothing to read */
		r = eq < amp ? form_decode(eq + 1, (size_t)(amp - eq - 1),
		    &vb) : (buf_reset(&vb), 0);
		if (r != 0) {
			form_err(err, errlen, r == -2 ? "bad %%-escape in '%s'" :
			    "value of '%s' too long", nb.data);
			goto out;
		}
		if (form_check_text(vb.data ? vb.data : "", vb.len, 0,
		    nb.data, err, errlen) == -1)
			goto out;
		if (form_add(f, nb.data, nb.len, vb.data ? vb.data : "",
		    vb.len, err, errlen) == -1)
			goto out;
	}
	*out = f;
	f = NULL;
	rv = 0;
out:
	open311_form_free(f);
	buf_free(&nb);
	buf_free(&vb);
	return rv;
}

/* Adds one JSON scalar as a pair; arrays and objects are the caller's. */
static int
form_add_json(struct open311_form *f, const char *name, const cJSON *v,
    char *err, size_t errlen)
{
	char *num = NULL;
	const char *s;
	size_t nlen = strlen(name), vlen;
	int rv;

	if (nlen > OPEN311_NAME_MAX) {
		form_err(err, errlen, "parameter name too long (limit %d "
		    "bytes)", OPEN311_NAME_MAX);
		return -1;
	}
	if (cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		s = v->valuestring;
	else if (cJSON_IsBool(v))
		s = cJSON_IsTrue(v) ? "true" : "false";
	else if (cJSON_IsNumber(v)) {
		if ((num = cJSON_PrintUnformatted(v)) == NULL)
			fatalx("open311_form: out of memory");
		s = num;
	} else {
		form_err(err, errlen, "'%s' must be a string, a number or a "
		    "boolean", name);
		return -1;
	}
	vlen = strlen(s);
	if (vlen > OPEN311_VALUE_MAX) {
		form_err(err, errlen, "value of '%s' too long", name);
		rv = -1;
	} else
		rv = form_add(f, name, nlen, s, vlen, err, errlen);
	cJSON_free(num);
	return rv;
}

/*
 * At most OPEN311_PARAMS_MAX members and no key twice (cJSON keeps both,
 * and which one a reader sees would be a guess). Counting first bounds the
 * quadratic duplicate search.
 */
static int
json_members_check(const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *m, *p;
	int n = cJSON_GetArraySize(obj);

	if (n > OPEN311_PARAMS_MAX) {
		form_err(err, errlen, "too many parameters (limit %d)",
		    OPEN311_PARAMS_MAX);
		return -1;
	}
	for (m = obj->child; m != NULL; m = m->next)
		for (p = obj->child; p != m; p = p->next)
			if (strcmp(p->string, m->string) == 0) {
				form_err(err, errlen, "key '%s' given more "
				    "than once", m->string);
				return -1;
			}
	return 0;
}

int
open311_form_parse_json(const char *body, size_t len,
    struct open311_form **out, char *err, size_t errlen)
{
	struct open311_form *f = NULL;
	struct json_check_error je;
	cJSON *root = NULL, *m, *a, *e;
	char name[OPEN311_NAME_MAX + 64];
	int rv = -1;

	*out = NULL;
	if (len > OPEN311_BODY_MAX) {
		form_err(err, errlen, "request body too large (limit %d "
		    "bytes)", OPEN311_BODY_MAX);
		goto out;
	}
	/* Strict first: cJSON alone takes invalid UTF-8 and cuts at \u0000. */
	if (json_check(body, len, OPEN311_JSON_DEPTH, &je) == -1) {
		form_err(err, errlen, "invalid JSON at line %d column %d: %s",
		    je.line, je.column, je.message);
		goto out;
	}
	if ((root = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		form_err(err, errlen, "the JSON body must be an object");
		goto out;
	}
	if (json_members_check(root, err, errlen) == -1)
		goto out;
	f = form_new();
	cJSON_ArrayForEach(m, root) {
		if (strcmp(m->string, "attribute") == 0 && cJSON_IsObject(m)) {
			if (json_members_check(m, err, errlen) == -1)
				goto out;
			cJSON_ArrayForEach(a, m) {
				if (strlen(a->string) > OPEN311_NAME_MAX) {
					form_err(err, errlen, "attribute code "
					    "too long");
					goto out;
				}
				if (cJSON_IsArray(a)) {
					snprintf(name, sizeof(name),
					    "attribute[%s][]", a->string);
					cJSON_ArrayForEach(e, a)
						if (form_add_json(f, name, e,
						    err, errlen) == -1)
							goto out;
				} else {
					snprintf(name, sizeof(name),
					    "attribute[%s]", a->string);
					if (form_add_json(f, name, a, err,
					    errlen) == -1)
						goto out;
				}
			}
		} else if (form_add_json(f, m->string, m, err, errlen) == -1)
			goto out;
	}
	*out = f;
	f = NULL;
	rv = 0;
out:
	open311_form_free(f);
	cJSON_Delete(root);
	return rv;
}

/* --- the request ---------------------------------------------------------- */

enum field_kind { F_TEXT, F_LINE, F_NUMBER, F_IGNORED };

#define RQ(f) offsetof(struct open311_request, f)
/* Fields read into locals first (lat, long, the names) or not kept. */
#define RQ_LOCAL ((size_t)-1)

/* The spec's scalar fields; limits in characters. */
static const struct field {
	const char *name;
	enum field_kind kind;
	size_t max;
	size_t offset; /* of the char * in struct open311_request */
} fields[] = {
	{ "api_key", F_LINE, 128, RQ(api_key) },
	{ "jurisdiction_id", F_LINE, 128, RQ(jurisdiction_id) },
	{ "service_code", F_LINE, OPEN311_CODE_MAX, RQ(service_code) },
	{ "lat", F_NUMBER, 32, RQ_LOCAL },
	{ "long", F_NUMBER, 32, RQ_LOCAL },
	{ "address_string", F_TEXT, OPEN311_ADDRESS_MAX,
	    RQ(address_string) },
	{ "address_id", F_LINE, 128, RQ(address_id) },
	{ "email", F_LINE, OPEN311_EMAIL_MAX, RQ(email) },
	{ "phone", F_LINE, OPEN311_PHONE_MAX, RQ(phone) },
	{ "first_name", F_LINE, OPEN311_NAME_CHARS_MAX, RQ_LOCAL },
	{ "last_name", F_LINE, OPEN311_NAME_CHARS_MAX, RQ_LOCAL },
	{ "description", F_TEXT, OPEN311_DESCRIPTION_MAX, RQ(description) },
	{ "media_url", F_LINE, OPEN311_URL_MAX, RQ(media_url) },
	/* Identify the reporter's device or account: not kept (privacy). */
	{ "device_id", F_IGNORED, 128, RQ_LOCAL },
	{ "account_id", F_IGNORED, 128, RQ_LOCAL },
};

void
open311_request_free(struct open311_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < nitems(fields); i++)
		if (fields[i].offset != RQ_LOCAL)
			free(*(char **)(void *)((char *)r + fields[i].offset));
	free(r->name);
	for (i = 0; i < r->nattrs; i++) {
		free(r->attrs[i].code);
		free(r->attrs[i].value);
	}
	free(r);
}

const struct open311_attr *
open311_request_attr(const struct open311_request *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nattrs; i++)
		if (strcmp(r->attrs[i].code, code) == 0)
			return &r->attrs[i];
	return NULL;
}

/*
 * A plain decimal ("3.1186", "-0.5", "98.5e0"): strtod also takes hex
 * floats, "inf" and leading blanks, none of which a client means.
 */
static int
request_decimal(const char *s, double *out)
{
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	return parse_double(s, out);
}

/* An attribute code: 1..64 of A-Z a-z 0-9 _ - . */
static int
request_code_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > OPEN311_CODE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* http:// or https:// and no white space or control characters. */
static int
request_url_ok(const char *s)
{
	size_t i, skip;

	if (strncmp(s, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(s, "http://", 7) == 0)
		skip = 7;
	else
		return 0;
	if (s[skip] == '\0' || s[skip] == '/')
		return 0;
	for (i = skip; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '<' || s[i] == '>' || s[i] == '\\')
			return 0;
	return 1;
}

/* A phone number as people write it: + digits spaces - ( ) . */
static int
request_phone_ok(const char *s)
{
	size_t i, digits = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!(s[i] == '+' || s[i] == ' ' || s[i] == '-' ||
		    s[i] == '(' || s[i] == ')' || s[i] == '.'))
			return 0;
	}
	return digits >= 3;
}

/* Enough of an address to reach someone: x@y, no white space. */
static int
request_email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Adds attribute[code] or attribute[code][] (name) with value v. Repeated
 * [] values are joined with ","; a repeated plain attribute is refused.
 */
static int
request_attr(struct open311_request *r, const char *name, const char *v,
    char *err, size_t errlen)
{
	const char *code = name + strlen("attribute["), *close;
	struct open311_attr *a;
	size_t clen, chars, i;
	int multi;
	char *joined;

	close = strchr(code, ']');
	if (close == NULL)
		goto bad;
	clen = (size_t)(close - code);
	if (close[1] == '\0')
		multi = 0;
	else if (strcmp(close + 1, "[]") == 0)
		multi = 1;
	else
		goto bad;
	if (!request_code_ok(code, clen))
		goto bad;
	if (v[0] == '\0')
		return 0;
	chars = text_utf8_chars(v, strlen(v));
	a = NULL;
	for (i = 0; i < r->nattrs && a == NULL; i++)
		if (strlen(r->attrs[i].code) == clen &&
		    memcmp(r->attrs[i].code, code, clen) == 0)
			a = &r->attrs[i];
	if (a == NULL) {
		if (r->nattrs >= OPEN311_ATTRS_MAX) {
			form_err(err, errlen, "too many attributes (limit %d)",
			    OPEN311_ATTRS_MAX);
			return -1;
		}
		if (chars > OPEN311_ATTR_VALUE_MAX)
			goto toolong;
		a = &r->attrs[r->nattrs++];
		a->code = xstrndup(code, clen);
		a->value = xstrdup(v);
		a->multi = multi;
		return 0;
	}
	if (!multi || !a->multi) {
		form_err(err, errlen, "attribute '%s' given more than once "
		    "(use attribute[%s][] for several values)", a->code,
		    a->code);
		return -1;
	}
	if (text_utf8_chars(a->value, strlen(a->value)) + 1 + chars >
	    OPEN311_ATTR_VALUE_MAX)
		goto toolong;
	joined = xasprintf("%s,%s", a->value, v);
	free(a->value);
	a->value = joined;
	return 0;
toolong:
	form_err(err, errlen, "attribute '%.*s' longer than %d characters",
	    (int)clen, code, OPEN311_ATTR_VALUE_MAX);
	return -1;
bad:
	form_err(err, errlen, "bad attribute parameter '%s' (want "
	    "attribute[code] or attribute[code][])", name);
	return -1;
}

/* Reads one scalar field into *dst after the common checks. */
static int
request_field(const struct field *fd, const char *v, char **dst, char *err,
    size_t errlen)
{
	size_t len = strlen(v), chars;
	char *copy;

	chars = text_utf8_chars(v, len);
	if (chars > fd->max) {
		form_err(err, errlen, "%s longer than %zu characters",
		    fd->name, fd->max);
		return -1;
	}
	if (fd->kind == F_LINE && (strchr(v, '\n') || strchr(v, '\r'))) {
		form_err(err, errlen, "%s must be one line", fd->name);
		return -1;
	}
	copy = xstrdup(v);
	len = text_clean(copy, len);
	if (len == 0) {
		free(copy);
		return 0; /* white space only: absent */
	}
	*dst = copy;
	return 0;
}

int
open311_request_parse(const struct open311_form *f,
    struct open311_request **out, char *err, size_t errlen)
{
	struct open311_request *r = xcalloc(1, sizeof(*r));
	char *lat = NULL, *lon = NULL, *first = NULL, *last = NULL;
	char **dst;
	const struct field *fd;
	const char *name, *v;
	size_t i, j, seen[nitems(fields)];
	int rv = -1;

	*out = NULL;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < f->n; i++) {
		name = f->names[i];
		v = f->values[i];
		if (strncmp(name, "attribute[", 10) == 0) {
			if (request_attr(r, name, v, err, errlen) == -1)
				goto out;
			continue;
		}
		for (j = 0; j < nitems(fields); j++)
			if (strcmp(fields[j].name, name) == 0)
				break;
		if (j == nitems(fields) || v[0] == '\0')
			continue; /* unknown, or empty: the same as absent */
		fd = &fields[j];
		if (seen[j]++ > 0) {
			form_err(err, errlen, "parameter '%s' given more than "
			    "once", fd->name);
			goto out;
		}
		if (fd->kind == F_IGNORED)
			continue;
		if (strcmp(fd->name, "lat") == 0)
			dst = &lat;
		else if (strcmp(fd->name, "long") == 0)
			dst = &lon;
		else if (strcmp(fd->name, "first_name") == 0)
			dst = &first;
		else if (strcmp(fd->name, "last_name") == 0)
			dst = &last;
		else
			dst = (char **)(void *)((char *)r + fd->offset);
		if (request_field(fd, v, dst, err, errlen) == -1)
			goto out;
	}

	if (r->service_code == NULL) {
		form_err(err, errlen, "service_code required");
		goto out;
	}
	if ((lat == NULL) != (lon == NULL)) {
		form_err(err, errlen, "lat and long must be given together");
		goto out;
	}
	if (lat != NULL) {
		if (request_decimal(lat, &r->lat) == -1 || r->lat < -90 ||
		    r->lat > 90) {
			form_err(err, errlen, "lat must be a decimal number of "
			    "degrees in -90..90");
			goto out;
		}
		if (request_decimal(lon, &r->lon) == -1 || r->lon < -180 ||
		    r->lon > 180) {
			form_err(err, errlen, "long must be a decimal number "
			    "of degrees in -180..180");
			goto out;
		}
		r->has_latlon = 1;
	}
	if (!r->has_latlon && r->address_string == NULL) {
		form_err(err, errlen, "location required: lat and long, or "
		    "address_string");
		goto out;
	}
	if (r->email != NULL && !request_email_ok(r->email)) {
		form_err(err, errlen, "email is not an e-mail address");
		goto out;
	}
	if (r->phone != NULL && !request_phone_ok(r->phone)) {
		form_err(err, errlen, "phone may hold digits, spaces and "
		    "+ - ( ) . only");
		goto out;
	}
	if (r->media_url != NULL && !request_url_ok(r->media_url)) {
		form_err(err, errlen, "media_url must be an http or https "
		    "URL");
		goto out;
	}
	if (first != NULL || last != NULL) {
		r->name = xasprintf("%s%s%s", first ? first : "",
		    first && last ? " " : "", last ? last : "");
		if (text_utf8_chars(r->name, strlen(r->name)) >
		    OPEN311_NAME_CHARS_MAX) {
			form_err(err, errlen, "first_name and last_name "
			    "together longer than %d characters",
			    OPEN311_NAME_CHARS_MAX);
			goto out;
		}
	}
	*out = r;
	r = NULL;
	rv = 0;
out:
	open311_request_free(r);
	free(lat);
	free(lon);
	free(first);
	free(last);
	return rv;
}
