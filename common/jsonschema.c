/*
 * jsonschema: a JSON Schema draft-07 validator over cJSON.
 *
 * Compilation turns the schema document into a graph of nodes, one per
 * schema (object or boolean). Every keyword argument is checked once and
 * converted: numbers to doubles, lengths to longs, patterns to PCRE2 code,
 * "properties" to an array sorted by name (bsearch per instance member),
 * "$ref" to a direct pointer to the target node. A node that has "$ref"
 * keeps only the reference: draft-07 says its sibling keywords are ignored.
 *
 * References are resolved in a second pass, after the whole document has
 * been walked, so forward references work. Every "$id" is resolved against
 * the base URI in effect (RFC 3986 section 5.2) and registered: a plain-name
 * fragment ("#foo") as an anchor, anything else as a resource whose URI
 * becomes the base of the subschemas below it. A reference "U#/a/b" finds
 * the resource U and walks the JSON pointer from there through the schema
 * document; a target that was not compiled yet (it sits under an unknown
 * keyword) is compiled then. The draft-07 metaschema is embedded below and
 * loaded into a compiled schema only when one of its refs points to it.
 * Cycles made only of "$ref" (A -> B -> A) are compile errors; cycles that
 * pass through other keywords are legal schemas and are caught at run time
 * by the $ref hop limit.
 *
 * Validation walks nodes and instance together and never allocates. The
 * instance path is a fixed stack of (key | index) segments, formatted into
 * an RFC 6901 pointer only when an error is recorded. Branches whose errors
 * do not matter (anyOf, oneOf, not, if, contains, propertyNames) run in
 * "quiet" mode: nothing is recorded and the first failure ends the branch.
 * In normal mode every keyword is checked so one run reports every error.
 */
#include "jsonschema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/*
 * Backstop on nested validate() calls, whatever their cause: bounds the C
 * stack at roughly this many small frames.
 */
#define JS_MAX_EVAL_DEPTH	1024
/* Schemas come from us, but a runaway generator should not crash us. */
#define JS_MAX_COMPILE_DEPTH	256
/* JSON values compared per validation by enum, const and uniqueItems. */
#define JS_EQUAL_BUDGET		(1UL << 22)
#define JS_EQUAL_MAX_DEPTH	512
/* PCRE2 backtracking limit per match: stops catastrophic patterns. */
#define JS_MATCH_LIMIT		1000000
/* Relative tolerance on the quotient of multipleOf with a fractional divisor. */
#define JS_MULTIPLE_EPSILON	1e-12

#define METASCHEMA_URI	"http://json-schema.org/draft-07/schema"

/* The draft-07 metaschema, as published at METASCHEMA_URI. */
static const char metaschema_text[] =
	"{\n"
	"  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"
	"  \"$id\": \"http://json-schema.org/draft-07/schema#\",\n"
	"  \"title\": \"Core schema meta-schema\",\n"
	"  \"definitions\": {\n"
	"    \"schemaArray\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"$ref\": \"#\"}},\n"
	"    \"nonNegativeInteger\": {\"type\": \"integer\", \"minimum\": 0},\n"
	"    \"nonNegativeIntegerDefault0\": {\n"
	"      \"allOf\": [\n"
	"        {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
	"        {\"default\": 0}\n"
	"      ]\n"
	"    },\n"
	"    \"simpleTypes\": {\n"
	"      \"enum\": [\n"
	"        \"array\",\n"
	"        \"boolean\",\n"
	"        \"integer\",\n"
	"        \"null\",\n"
	"        \"number\",\n"
	"        \"object\",\n"
	"        \"string\"\n"
	"      ]\n"
	"    },\n"
	"    \"stringArray\": {\n"
	"      \"type\": \"array\",\n"
	"      \"items\": {\"type\": \"string\"},\n"
	"      \"uniqueItems\": true,\n"
	"      \"default\": []\n"
	"    }\n"
	"  },\n"
	"  \"type\": [\"object\", \"boolean\"],\n"
	"  \"properties\": {\n"
	"    \"$id\": {\"type\": \"string\", \"format\": \"uri-reference\"},\n"
	"    \"$schema\": {\"type\": \"string\", \"format\": \"uri\"},\n"
	"    \"$ref\": {\"type\": \"string\", \"format\": \"uri-reference\"},\n"
	"    \"$comment\": {\"type\": \"string\"},\n"
	"    \"title\": {\"type\": \"string\"},\n"
	"    \"description\": {\"type\": \"string\"},\n"
	"    \"default\": true,\n"
	"    \"readOnly\": {\"type\": \"boolean\", \"default\": false},\n"
	"    \"examples\": {\"type\": \"array\", \"items\": true},\n"
	"    \"multipleOf\": {\"type\": \"number\", \"exclusiveMinimum\": 0},\n"
	"    \"maximum\": {\"type\": \"number\"},\n"
	"    \"exclusiveMaximum\": {\"type\": \"number\"},\n"
	"    \"minimum\": {\"type\": \"number\"},\n"
	"    \"exclusiveMinimum\": {\"type\": \"number\"},\n"
	"    \"maxLength\": {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
	"    \"minLength\": {\"$ref\": \"#/definitions/nonNegativeIntegerDefault0\"},\n"
	"    \"pattern\": {\"type\": \"string\", \"format\": \"regex\"},\n"
	"    \"additionalItems\": {\"$ref\": \"#\"},\n"
	"    \"items\": {\n"
	"      \"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#/definitions/schemaArray\"}],\n"
	"      \"default\": true\n"
	"    },\n"
	"    \"maxItems\": {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
	"    \"minItems\": {\"$ref\": \"#/definitions/nonNegativeIntegerDefault0\"},\n"
	"    \"uniqueItems\": {\"type\": \"boolean\", \"default\": false},\n"
	"    \"contains\": {\"$ref\": \"#\"},\n"
	"    \"maxProperties\": {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
	"    \"minProperties\": {\"$ref\": \"#/definitions/nonNegativeIntegerDefault0\"},\n"
	"    \"required\": {\"$ref\": \"#/definitions/stringArray\"},\n"
	"    \"additionalProperties\": {\"$ref\": \"#\"},\n"
	"    \"definitions\": {\n"
	"      \"type\": \"object\",\n"
	"      \"additionalProperties\": {\"$ref\": \"#\"},\n"
	"      \"default\": {}\n"
	"    },\n"
	"    \"properties\": {\n"
	"      \"type\": \"object\",\n"
	"      \"additionalProperties\": {\"$ref\": \"#\"},\n"
	"      \"default\": {}\n"
	"    },\n"
	"    \"patternProperties\": {\n"
	"      \"type\": \"object\",\n"
	"      \"additionalProperties\": {\"$ref\": \"#\"},\n"
	"      \"propertyNames\": {\"format\": \"regex\"},\n"
	"      \"default\": {}\n"
	"    },\n"
	"    \"dependencies\": {\n"
	"      \"type\": \"object\",\n"
	"      \"additionalProperties\": {\n"
	"        \"anyOf\": [\n"
	"          {\"$ref\": \"#\"},\n"
	"          {\"$ref\": \"#/definitions/stringArray\"}\n"
	"        ]\n"
	"      }\n"
	"    },\n"
	"    \"propertyNames\": {\"$ref\": \"#\"},\n"
	"    \"const\": true,\n"
	"    \"enum\": {\"type\": \"array\", \"items\": true},\n"
	"    \"type\": {\n"
	"      \"anyOf\": [\n"
	"        {\"$ref\": \"#/definitions/simpleTypes\"},\n"
	"        {\n"
	"          \"type\": \"array\",\n"
	"          \"items\": {\"$ref\": \"#/definitions/simpleTypes\"},\n"
	"          \"minItems\": 1,\n"
	"          \"uniqueItems\": true\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    \"format\": {\"type\": \"string\"},\n"
	"    \"contentMediaType\": {\"type\": \"string\"},\n"
	"    \"contentEncoding\": {\"type\": \"string\"},\n"
	"    \"if\": {\"$ref\": \"#\"},\n"
	"    \"then\": {\"$ref\": \"#\"},\n"
	"    \"else\": {\"$ref\": \"#\"},\n"
	"    \"allOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
	"    \"anyOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
	"    \"oneOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
	"    \"not\": {\"$ref\": \"#\"}\n"
	"  },\n"
	"  \"default\": true\n"
	"}\n";

enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
	{ "null", T_NULL }, { "boolean", T_BOOLEAN }, { "object", T_OBJECT },
	{ "array", T_ARRAY }, { "number", T_NUMBER }, { "string", T_STRING },
	{ "integer", T_INTEGER },
};

enum js_format {
	FMT_NONE,
	FMT_DATE_TIME,
	FMT_DATE,
	FMT_TIME,
	FMT_URI,
	FMT_URI_REFERENCE,
};

static const struct {
	const char *name;
	enum js_format fmt;
} format_names[] = {
	{ "date-time", FMT_DATE_TIME }, { "date", FMT_DATE },
	{ "time", FMT_TIME }, { "uri", FMT_URI },
	{ "uri-reference", FMT_URI_REFERENCE },
};

/* Numeric keywords present on a node. */
enum {
	HAS_MULTIPLE_OF = 1 << 0,
	HAS_MAXIMUM = 1 << 1,
	HAS_EXCL_MAXIMUM = 1 << 2,
	HAS_MINIMUM = 1 << 3,
	HAS_EXCL_MINIMUM = 1 << 4,
};

struct js_node;

struct js_list {
	struct js_node **v;
	size_t n;
};

struct js_prop {
	const char *name;
	struct js_node *node;
};

struct js_patprop {
	pcre2_code *re;
	const char *src;
	struct js_node *node;
};

struct js_dep {
	const char *name;
	const cJSON *required;	/* array form, or NULL */
	struct js_node *node;	/* schema form, or NULL */
};

struct js_node {
	const cJSON *json;	/* the schema value, in a document we own */
	const char *base;	/* base URI (no fragment) in effect here */
	int boolean;		/* -1: object schema; 0/1: boolean schema */

	const char *ref_uri;	/* absolute "$ref", resolved into ref */
	struct js_node *ref;

	unsigned types;		/* T_* bits; 0: no "type" keyword */
	const cJSON *enum_values;
	const cJSON *const_value;

	unsigned numflags;	/* HAS_* bits */
	double multiple_of, maximum, excl_maximum, minimum, excl_minimum;

	long max_length, min_length;	/* -1: absent */
	pcre2_code *pattern;
	const char *pattern_src;
	enum js_format format;

	struct js_node *items;		/* "items" as one schema */
	struct js_list items_list;	/* "items" as an array of schemas */
	int items_is_list;
	struct js_node *additional_items;
	long max_items, min_items;
	int unique_items;
	struct js_node *contains;

	long max_props, min_props;
	const cJSON *required;
	struct js_prop *props;		/* sorted by name */
	size_t nprops;
	struct js_patprop *patprops;
	size_t npatprops;
	struct js_node *additional_props;
	struct js_dep *deps;
	size_t ndeps;
	struct js_node *property_names;

	struct js_node *if_, *then_, *else_;
	struct js_list all_of, any_of, one_of;
	struct js_node *not_;
};

/* A registered "$id": a resource URI or an anchor URI ("...#name"). */
struct js_name {
	char *uri;
	struct js_node *node;
};

struct js_schema {
	struct js_node *root;
	struct js_node **nodes;
	size_t nnodes, capnodes;
	struct js_name *names;
	size_t nnames, capnames;
	cJSON *docs[2];		/* the schema, and the metaschema if needed */
	size_t ndocs;
	char **strs;		/* base and $ref URIs */
	size_t nstrs, capstrs;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

struct compiler {
	struct js_schema *s;
	char *err;
	size_t errlen;
	int failed;
	int depth;
	char path[512];		/* schema location, for error messages */
	size_t pathlen;
};

/* One step of the instance path. */
struct js_seg {
	const char *key;	/* NULL: array element idx */
	size_t idx;
	unsigned saved_ref_depth;
};

struct js_ctx {
	const struct js_schema *s;
	struct js_error *errs;
	size_t nerrs;
	size_t count;
	int quiet;		/* > 0: speculative branch, record nothing */
	unsigned ref_depth;	/* $ref hops at this instance location */
	unsigned eval_depth;
	unsigned long budget;	/* JSON values left for deep comparison */
	size_t depth;
	struct js_seg path[JS_MAX_INSTANCE_DEPTH];
};

static int validate(struct js_ctx *, const struct js_node *, const cJSON *);

/*
 * Small helpers
 */

static void *
grow(void *v, size_t *cap, size_t need, size_t elsize)
{
	size_t n;

	if (need <= *cap)
		return v;
	n = *cap == 0 ? 8 : *cap * 2;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(v, n * elsize);
}

static const char *
str_of(const cJSON *v)
{
	return v->valuestring != NULL ? v->valuestring : "";
}

static int
is_integral(double d)
{
	return isfinite(d) && d == floor(d);
}

/* Number of Unicode code points of UTF-8 text: bytes that do not continue. */
static size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Shortest of %.15g / %.17g that reads back as the same double. */
static void
fmt_num(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

/*
 * Quotes s for a message: at most max bytes of it (cut at a character
 * boundary, then "..."), quotes and backslashes escaped, control characters
 * as \u00XX so one error always stays on one line.
 */
static void
fmt_str(const char *s, size_t max, char *buf, size_t len)
{
	size_t o = 0, i;

	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];
		size_t n;

		if (i >= max && (ch & 0xC0) != 0x80) {
			if (o + 4 < len) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (ch < 0x20 || ch == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", ch);
		else if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			n = 2;
		} else {
			esc[0] = (char)ch;
			n = 1;
		}
		if (o + n + 2 > len)
			break;
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* A scalar for a message; containers by their kind. */
static void
fmt_value(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v))
		fmt_str(str_of(v), 40, buf, len);
	else if (cJSON_IsNumber(v))
		fmt_num(v->valuedouble, buf, len);
	else if (cJSON_IsTrue(v))
		snprintf(buf, len, "true");
	else if (cJSON_IsFalse(v))
		snprintf(buf, len, "false");
	else if (cJSON_IsNull(v))
		snprintf(buf, len, "null");
	else if (cJSON_IsArray(v))
		snprintf(buf, len, "an array");
	else if (cJSON_IsObject(v))
		snprintf(buf, len, "an object");
	else
		snprintf(buf, len, "an invalid value");
}

static unsigned
instance_types(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return T_NULL;
	if (cJSON_IsBool(v))
		return T_BOOLEAN;
	if (cJSON_IsNumber(v))
		return is_integral(v->valuedouble) ? T_NUMBER | T_INTEGER :
		    T_NUMBER;
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsArray(v))
		return T_ARRAY;
	if (cJSON_IsObject(v))
		return T_OBJECT;
	return 0;
}

static const char *
instance_type_name(const cJSON *v)
{
	unsigned t = instance_types(v);

	if (t & T_INTEGER)
		return "integer";
	if (t & T_NUMBER)
		return "number";
	if (t & T_STRING)
		return "string";
	if (t & T_OBJECT)
		return "object";
	if (t & T_ARRAY)
		return "array";
	if (t & T_BOOLEAN)
		return "boolean";
	if (t & T_NULL)
		return "null";
	return "invalid";
}

/*
 * URIs (RFC 3986), only as far as "$id" and "$ref" need them
 */

struct uri_parts {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
	int has_scheme, has_auth, has_query, has_frag;
};

/* Appendix B: ^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))? */
static void
uri_split(const char *u, struct uri_parts *p)
{
	const char *s = u;
	size_t n;

	memset(p, 0, sizeof(*p));
	n = strcspn(s, ":/?#");
	if (n > 0 && s[n] == ':') {
		p->has_scheme = 1;
		p->scheme = s;
		p->scheme_len = n;
		s += n + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		s += 2;
		p->has_auth = 1;
		p->auth = s;
		p->auth_len = strcspn(s, "/?#");
		s += p->auth_len;
	}
	p->path = s;
	p->path_len = strcspn(s, "?#");
	s += p->path_len;
	if (*s == '?') {
		s++;
		p->has_query = 1;
		p->query = s;
		p->query_len = strcspn(s, "#");
		s += p->query_len;
	}
	if (*s == '#') {
		s++;
		p->has_frag = 1;
		p->frag = s;
		p->frag_len = strlen(s);
	}
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path. */
static void
remove_dot_segments(char *path)
{
	char *in = path, *out = path;

	while (*in != '\0') {
		if (strncmp(in, "../", 3) == 0)
			in += 3;
		else if (strncmp(in, "./", 2) == 0 || strncmp(in, "/./", 3) == 0)
			in += 2;
		else if (strcmp(in, "/.") == 0)
			in[1] = '\0';
		else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
			if (in[3] == '\0')
				in[2] = '/';
			in += 3;
			while (out > path && *--out != '/')
				;
			*out = '\0';
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
			*in = '\0';
		} else {
			size_t n = strcspn(in + 1, "/") + 1;

			memmove(out, in, n);
			out += n;
			in += n;
		}
	}
	*out = '\0';
}

/* Resolves ref against base (RFC 3986 5.2.2). Returns a fresh string. */
static char *
uri_resolve(const char *base, const char *ref)
{
	struct uri_parts b, r;
	struct buf out, path;
	int has_query;
	const char *q;
	size_t qlen;

	uri_split(base, &b);
	uri_split(ref, &r);
	buf_init(&out, 0);
	buf_init(&path, 0);
	if (r.has_scheme) {
		b = r;
	} else if (r.has_auth) {
		b.has_auth = 1;
		b.auth = r.auth;
		b.auth_len = r.auth_len;
		b.path = r.path;
		b.path_len = r.path_len;
		b.has_query = r.has_query;
		b.query = r.query;
		b.query_len = r.query_len;
	} else if (r.path_len == 0) {
		if (r.has_query) {
			b.has_query = 1;
			b.query = r.query;
			b.query_len = r.query_len;
		}
	} else {
		if (r.path[0] == '/') {
			buf_append(&path, r.path, r.path_len);
		} else if (b.has_auth && b.path_len == 0) {
			buf_append(&path, "/", 1);
			buf_append(&path, r.path, r.path_len);
		} else {
			size_t keep = b.path_len;

			while (keep > 0 && b.path[keep - 1] != '/')
				keep--;
			buf_append(&path, b.path, keep);
			buf_append(&path, r.path, r.path_len);
		}
		b.has_query = r.has_query;
		b.query = r.query;
		b.query_len = r.query_len;
	}
	if (path.len == 0)
		buf_append(&path, b.path, b.path_len);
	buf_terminate(&path);
	/* Dot segments only mean something in hierarchical URIs. */
	if (b.has_scheme || b.has_auth || path.data[0] == '/')
		remove_dot_segments(path.data);
	has_query = b.has_query;
	q = b.query;
	qlen = b.query_len;
	if (b.has_scheme) {
		buf_append(&out, b.scheme, b.scheme_len);
		buf_append(&out, ":", 1);
	}
	if (b.has_auth) {
		buf_append(&out, "//", 2);
		buf_append(&out, b.auth, b.auth_len);
	}
	buf_append(&out, path.data, strlen(path.data));
	if (has_query) {
		buf_append(&out, "?", 1);
		buf_append(&out, q, qlen);
	}
	if (r.has_frag) {
		buf_append(&out, "#", 1);
		buf_append(&out, r.frag, r.frag_len);
	}
	buf_terminate(&out);
	buf_free(&path);
	return out.data;
}

/* Decodes %XX escapes of a URI fragment; -1 on a broken escape. */
static int
percent_decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hi < 0 ? -1 : hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return 0;
}

/*
 * Compilation
 */

static int
compile_error(struct compiler *cc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
compile_error(struct compiler *cc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (cc->failed)
		return -1;
	cc->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cc->errlen > 0)
		snprintf(cc->err, cc->errlen, "%s: %s",
		    cc->pathlen > 0 ? cc->path : "(root)", msg);
	return -1;
}

/* Appends "/seg" (RFC 6901 escaped) to the schema location; returns the
 * previous length for path_restore(). */
static size_t
path_push_str(struct compiler *cc, const char *seg)
{
	size_t old = cc->pathlen;
	const char *p;

	if (cc->pathlen + 2 < sizeof(cc->path))
		cc->path[cc->pathlen++] = '/';
	for (p = seg; *p != '\0'; p++) {
		const char *e = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
		size_t n = e != NULL ? 2 : 1;

		if (cc->pathlen + n + 1 >= sizeof(cc->path))
			break;
		memcpy(cc->path + cc->pathlen, e != NULL ? e : p, n);
		cc->pathlen += n;
	}
	cc->path[cc->pathlen] = '\0';
	return old;
}

static size_t
path_push_idx(struct compiler *cc, size_t idx)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", idx);
	return path_push_str(cc, num);
}

static void
path_restore(struct compiler *cc, size_t len)
{
	cc->pathlen = len;
	cc->path[len] = '\0';
}

static const char *
schema_strdup_take(struct js_schema *s, char *p)
{
	s->strs = grow(s->strs, &s->capstrs, s->nstrs + 1, sizeof(*s->strs));
	s->strs[s->nstrs++] = p;
	return p;
}

static struct js_node *
node_find(const struct js_schema *s, const cJSON *json)
{
	size_t i;

	/* Compile time only; schemas have hundreds of nodes, not millions. */
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i]->json == json)
			return s->nodes[i];
	return NULL;
}

static struct js_node *
name_find(const struct js_schema *s, const char *uri, size_t len)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (strlen(s->names[i].uri) == len &&
		    memcmp(s->names[i].uri, uri, len) == 0)
			return s->names[i].node;
	return NULL;
}

static int
name_add(struct compiler *cc, const char *uri, size_t len,
    struct js_node *node)
{
	struct js_schema *s = cc->s;
	struct js_node *old = name_find(s, uri, len);

	if (old == node)
		return 0;
	if (old != NULL)
		return compile_error(cc, "$id: duplicate identifier \"%.*s\"",
		    (int)len, uri);
	s->names = grow(s->names, &s->capnames, s->nnames + 1,
	    sizeof(*s->names));
	s->names[s->nnames].uri = xstrndup(uri, len);
	s->names[s->nnames].node = node;
	s->nnames++;
	return 0;
}

static struct js_node *compile_node(struct compiler *, const cJSON *,
    const char *);

/* Compiles a keyword whose value is one schema. */
static int
compile_sub(struct compiler *cc, struct js_node *n, const char *kw,
    struct js_node **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(n->json, kw);
	size_t saved;

	*out = NULL;
	if (v == NULL)
		return 0;
	saved = path_push_str(cc, kw);
	*out = compile_node(cc, v, n->base);
	path_restore(cc, saved);
	return *out != NULL ? 0 : -1;
}

/* Compiles a keyword whose value is a non-empty array of schemas. */
static int
compile_list(struct compiler *cc, struct js_node *n, const char *kw,
    struct js_list *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(n->json, kw);
	const cJSON *e;
	size_t saved, i = 0;

	if (v == NULL)
		return 0;
	saved = path_push_str(cc, kw);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
		return compile_error(cc, "must be a non-empty array of schemas");
	out->n = (size_t)cJSON_GetArraySize(v);
	out->v = xcalloc(out->n, sizeof(struct js_node *));
	cJSON_ArrayForEach(e, v) {
		size_t s2 = path_push_idx(cc, i);

		if ((out->v[i] = compile_node(cc, e, n->base)) == NULL)
			return -1;
		path_restore(cc, s2);
		i++;
	}
	path_restore(cc, saved);
	return 0;
}

static int
compile_number(struct compiler *cc, struct js_node *n, const char *kw,
    unsigned flag, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(n->json, kw);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
		path_push_str(cc, kw);
		return compile_error(cc, "must be a number");
	}
	n->numflags |= flag;
	*out = v->valuedouble;
	return 0;
}

static int
compile_count(struct compiler *cc, struct js_node *n, const char *kw,
    long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(n->json, kw);

	*out = -1;
	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !is_integral(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > (double)LONG_MAX / 2) {
		path_push_str(cc, kw);
		return compile_error(cc, "must be a non-negative integer");
	}
	*out = (long)v->valuedouble;
	return 0;
}

static pcre2_code *
compile_regex(struct compiler *cc, const char *src)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off;
	pcre2_code *re;
	int rc;

	/*
	 * UTF mode (subjects are UTF-8 JSON strings). DOLLAR_ENDONLY: in
	 * ECMA-262 "$" matches only at the very end, not before a final
	 * newline as in Perl. \d \w stay ASCII as in ECMA-262 (no UCP).
	 */
	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &rc,
	    &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		compile_error(cc, "invalid regular expression at offset %zu: %s",
		    (size_t)off, (const char *)msg);
		return NULL;
	}
	/* JIT is only faster; without it (unsupported CPU) PCRE2 interprets. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static int
prop_cmp(const void *a, const void *b)
{
	return strcmp(((const struct js_prop *)a)->name,
	    ((const struct js_prop *)b)->name);
}

static int
compile_types(struct compiler *cc, struct js_node *n, const cJSON *v)
{
	const cJSON *e;
	size_t i;

	if (cJSON_IsString(v)) {
		for (i = 0; i < nitems(type_names); i++)
			if (strcmp(str_of(v), type_names[i].name) == 0)
				n->types |= type_names[i].bit;
		if (n->types == 0)
			return compile_error(cc, "unknown type \"%s\"",
			    str_of(v));
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
		return compile_error(cc, "must be a type name or a non-empty "
		    "array of type names");
	cJSON_ArrayForEach(e, v) {
		unsigned bit = 0;

		if (cJSON_IsString(e))
			for (i = 0; i < nitems(type_names); i++)
				if (strcmp(str_of(e), type_names[i].name) == 0)
					bit = type_names[i].bit;
		if (bit == 0)
			return compile_error(cc, "unknown type in the list");
		n->types |= bit;
	}
	return 0;
}

static int
compile_string_array(struct compiler *cc, const cJSON *v)
{
	const cJSON *e;

	if (!cJSON_IsArray(v))
		return compile_error(cc, "must be an array of strings");
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			return compile_error(cc, "must be an array of strings");
	return 0;
}

/* The keywords of objects: properties, patternProperties, dependencies. */
static int
compile_object_keywords(struct compiler *cc, struct js_node *n)
{
	const cJSON *v, *e;
	size_t saved, s2, i;

	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "properties")) != NULL) {
		saved = path_push_str(cc, "properties");
		if (!cJSON_IsObject(v))
			return compile_error(cc, "must be an object");
		n->nprops = (size_t)cJSON_GetArraySize(v);
		n->props = xcalloc(n->nprops, sizeof(*n->props));
		i = 0;
		cJSON_ArrayForEach(e, v) {
			s2 = path_push_str(cc, e->string);
			n->props[i].name = e->string;
			if ((n->props[i].node = compile_node(cc, e,
			    n->base)) == NULL)
				return -1;
			path_restore(cc, s2);
			i++;
		}
		qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
		path_restore(cc, saved);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "patternProperties")) != NULL) {
		saved = path_push_str(cc, "patternProperties");
		if (!cJSON_IsObject(v))
			return compile_error(cc, "must be an object");
		n->npatprops = (size_t)cJSON_GetArraySize(v);
		n->patprops = xcalloc(n->npatprops, sizeof(*n->patprops));
		i = 0;
		cJSON_ArrayForEach(e, v) {
			s2 = path_push_str(cc, e->string);
			n->patprops[i].src = e->string;
			if ((n->patprops[i].re = compile_regex(cc,
			    e->string)) == NULL)
				return -1;
			if ((n->patprops[i].node = compile_node(cc, e,
			    n->base)) == NULL)
				return -1;
			path_restore(cc, s2);
			i++;
		}
		path_restore(cc, saved);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "dependencies")) != NULL) {
		saved = path_push_str(cc, "dependencies");
		if (!cJSON_IsObject(v))
			return compile_error(cc, "must be an object");
		n->ndeps = (size_t)cJSON_GetArraySize(v);
		n->deps = xcalloc(n->ndeps, sizeof(*n->deps));
		i = 0;
		cJSON_ArrayForEach(e, v) {
			s2 = path_push_str(cc, e->string);
			n->deps[i].name = e->string;
			if (cJSON_IsArray(e)) {
				if (compile_string_array(cc, e) == -1)
					return -1;
				n->deps[i].required = e;
			} else if ((n->deps[i].node = compile_node(cc, e,
			    n->base)) == NULL) {
				return -1;
			}
			path_restore(cc, s2);
			i++;
		}
		path_restore(cc, saved);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "required")) != NULL) {
		saved = path_push_str(cc, "required");
		if (compile_string_array(cc, v) == -1)
			return -1;
		n->required = v;
		path_restore(cc, saved);
	}
	if (compile_count(cc, n, "maxProperties", &n->max_props) == -1 ||
	    compile_count(cc, n, "minProperties", &n->min_props) == -1 ||
	    compile_sub(cc, n, "additionalProperties",
	    &n->additional_props) == -1 ||
	    compile_sub(cc, n, "propertyNames", &n->property_names) == -1)
		return -1;
	return 0;
}

static int
compile_array_keywords(struct compiler *cc, struct js_node *n)
{
	const cJSON *v;

	v = cJSON_GetObjectItemCaseSensitive(n->json, "items");
	if (cJSON_IsArray(v)) {
		n->items_is_list = 1;
		/* An empty list is legal here: every item is "additional". */
		if (cJSON_GetArraySize(v) > 0 &&
		    compile_list(cc, n, "items", &n->items_list) == -1)
			return -1;
	} else if (compile_sub(cc, n, "items", &n->items) == -1) {
		return -1;
	}
	if (compile_sub(cc, n, "additionalItems", &n->additional_items) ==
	    -1 || compile_sub(cc, n, "contains", &n->contains) == -1 ||
	    compile_count(cc, n, "maxItems", &n->max_items) == -1 ||
	    compile_count(cc, n, "minItems", &n->min_items) == -1)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "uniqueItems")) != NULL) {
		if (!cJSON_IsBool(v)) {
			path_push_str(cc, "uniqueItems");
			return compile_error(cc, "must be a boolean");
		}
		n->unique_items = cJSON_IsTrue(v);
	}
	return 0;
}

static int
compile_scalar_keywords(struct compiler *cc, struct js_node *n)
{
	const cJSON *v;
	size_t saved, i;

	if (compile_number(cc, n, "multipleOf", HAS_MULTIPLE_OF,
	    &n->multiple_of) == -1 ||
	    compile_number(cc, n, "maximum", HAS_MAXIMUM, &n->maximum) == -1 ||
	    compile_number(cc, n, "exclusiveMaximum", HAS_EXCL_MAXIMUM,
	    &n->excl_maximum) == -1 ||
	    compile_number(cc, n, "minimum", HAS_MINIMUM, &n->minimum) == -1 ||
	    compile_number(cc, n, "exclusiveMinimum", HAS_EXCL_MINIMUM,
	    &n->excl_minimum) == -1 ||
	    compile_count(cc, n, "maxLength", &n->max_length) == -1 ||
	    compile_count(cc, n, "minLength", &n->min_length) == -1)
		return -1;
	if ((n->numflags & HAS_MULTIPLE_OF) && n->multiple_of <= 0) {
		path_push_str(cc, "multipleOf");
		return compile_error(cc, "must be greater than 0");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json, "type")) != NULL) {
		saved = path_push_str(cc, "type");
		if (compile_types(cc, n, v) == -1)
			return -1;
		path_restore(cc, saved);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json, "enum")) != NULL) {
		if (!cJSON_IsArray(v)) {
			path_push_str(cc, "enum");
			return compile_error(cc, "must be an array");
		}
		n->enum_values = v;
	}
	n->const_value = cJSON_GetObjectItemCaseSensitive(n->json, "const");
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "pattern")) != NULL) {
		saved = path_push_str(cc, "pattern");
		if (!cJSON_IsString(v) || v->valuestring == NULL)
			return compile_error(cc, "must be a string");
		if ((n->pattern = compile_regex(cc, v->valuestring)) == NULL)
			return -1;
		n->pattern_src = v->valuestring;
		path_restore(cc, saved);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(n->json,
	    "format")) != NULL) {
		if (!cJSON_IsString(v)) {
			path_push_str(cc, "format");
			return compile_error(cc, "must be a string");
		}
		for (i = 0; i < nitems(format_names); i++)
			if (strcmp(str_of(v), format_names[i].name) == 0)
				n->format = format_names[i].fmt;
	}
	return 0;
}

/* "definitions": compiled so their "$id"s register and refs find them. */
static int
compile_definitions(struct compiler *cc, struct js_node *n)
{
	const cJSON *v, *e;
	size_t saved, s2;

	v = cJSON_GetObjectItemCaseSensitive(n->json, "definitions");
	if (v == NULL)
		return 0;
	saved = path_push_str(cc, "definitions");
	if (!cJSON_IsObject(v))
		return compile_error(cc, "must be an object");
	cJSON_ArrayForEach(e, v) {
		s2 = path_push_str(cc, e->string);
		if (compile_node(cc, e, n->base) == NULL)
			return -1;
		path_restore(cc, s2);
	}
	path_restore(cc, saved);
	return 0;
}

/*
 * "$id": a new base URI for this subschema (registered as a resource), or a
 * location-independent name "#foo" (registered as an anchor).
 */
static int
compile_id(struct compiler *cc, struct js_node *n, const char *id)
{
	char *uri = uri_resolve(n->base, id);
	const char *hash = strchr(uri, '#');
	size_t doclen = hash != NULL ? (size_t)(hash - uri) : strlen(uri);

	schema_strdup_take(cc->s, uri);
	if (hash != NULL && hash[1] != '\0' && hash[1] != '/') {
		if (name_add(cc, uri, strlen(uri), n) == -1)
			return -1;
	} else if (name_add(cc, uri, doclen, n) == -1) {
		return -1;
	}
	n->base = schema_strdup_take(cc->s, xstrndup(uri, doclen));
	return 0;
}

static struct js_node *
compile_node(struct compiler *cc, const cJSON *json, const char *base)
{
	struct js_schema *s = cc->s;
	struct js_node *n;
	const cJSON *v;
	int rc = -1;

	if ((n = node_find(s, json)) != NULL)
		return n;
	if (cc->depth >= JS_MAX_COMPILE_DEPTH) {
		compile_error(cc, "schema nested deeper than %d levels",
		    JS_MAX_COMPILE_DEPTH);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->json = json;
	n->base = base;
	s->nodes = grow(s->nodes, &s->capnodes, s->nnodes + 1,
	    sizeof(struct js_node *));
	s->nodes[s->nnodes++] = n;
	if (cJSON_IsBool(json)) {
		n->boolean = cJSON_IsTrue(json);
		return n;
	}
	if (!cJSON_IsObject(json)) {
		compile_error(cc, "a schema must be an object or a boolean");
		return NULL;
	}
	n->boolean = -1;
	n->max_length = n->min_length = -1;
	n->max_items = n->min_items = -1;
	n->max_props = n->min_props = -1;
	cc->depth++;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "$ref")) != NULL) {
		/* All other keywords, "$id" included, are ignored (8.3). */
		if (!cJSON_IsString(v) || v->valuestring == NULL) {
			path_push_str(cc, "$ref");
			compile_error(cc, "must be a string");
			goto out;
		}
		n->ref_uri = schema_strdup_take(s, uri_resolve(n->base,
		    v->valuestring));
		rc = compile_definitions(cc, n);
		goto out;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "$id")) != NULL) {
		if (!cJSON_IsString(v) || v->valuestring == NULL) {
			path_push_str(cc, "$id");
			compile_error(cc, "must be a string");
			goto out;
		}
		if (compile_id(cc, n, v->valuestring) == -1)
			goto out;
	}
	if (compile_scalar_keywords(cc, n) == -1 ||
	    compile_array_keywords(cc, n) == -1 ||
	    compile_object_keywords(cc, n) == -1 ||
	    compile_sub(cc, n, "if", &n->if_) == -1 ||
	    compile_sub(cc, n, "then", &n->then_) == -1 ||
	    compile_sub(cc, n, "else", &n->else_) == -1 ||
	    compile_list(cc, n, "allOf", &n->all_of) == -1 ||
	    compile_list(cc, n, "anyOf", &n->any_of) == -1 ||
	    compile_list(cc, n, "oneOf", &n->one_of) == -1 ||
	    compile_sub(cc, n, "not", &n->not_) == -1 ||
	    compile_definitions(cc, n) == -1)
		goto out;
	rc = 0;
out:
	cc->depth--;
	return rc == 0 ? n : NULL;
}

/* Adds a document and compiles it as a resource named uri. */
static struct js_node *
compile_document(struct compiler *cc, cJSON *doc, const char *uri)
{
	struct js_schema *s = cc->s;
	struct js_node *root;

	if (s->ndocs >= nitems(s->docs))
		fatalx("jsonschema: too many documents");
	s->docs[s->ndocs++] = doc;
	if ((root = compile_node(cc, doc, uri)) == NULL)
		return NULL;
	/* The root answers to the document URI even if its $id differs. */
	if (name_find(s, uri, strlen(uri)) == NULL &&
	    name_add(cc, uri, strlen(uri), root) == -1)
		return NULL;
	return root;
}

/*
 * Walks a JSON pointer (already %-decoded) from a resource and returns the
 * compiled node there, compiling it now if no keyword led to it before.
 */
static struct js_node *
resolve_pointer(struct compiler *cc, struct js_node *res, const char *ptr)
{
	const cJSON *cur = res->json;
	const char *base = res->base;
	struct js_node *n;
	char seg[512];

	while (*ptr == '/') {
		size_t i = 0;

		ptr++;
		while (*ptr != '\0' && *ptr != '/') {
			char ch = *ptr++;

			if (ch == '~') {
				if (*ptr == '0')
					ch = '~';
				else if (*ptr == '1')
					ch = '/';
				else
					return NULL;
				ptr++;
			}
			if (i + 1 >= sizeof(seg))
				return NULL;
			seg[i++] = ch;
		}
		seg[i] = '\0';
		if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		} else if (cJSON_IsArray(cur)) {
			long idx;

			if (parse_long(seg, 0, INT_MAX, &idx) == -1)
				return NULL;
			cur = cJSON_GetArrayItem(cur, (int)idx);
		} else {
			return NULL;
		}
		if (cur == NULL)
			return NULL;
		if ((n = node_find(cc->s, cur)) != NULL)
			base = n->base;
	}
	if (*ptr != '\0')
		return NULL;
	return compile_node(cc, cur, base);
}

static int
resolve_ref(struct compiler *cc, struct js_node *n)
{
	const char *uri = n->ref_uri;
	const char *hash = strchr(uri, '#');
	size_t doclen = hash != NULL ? (size_t)(hash - uri) : strlen(uri);
	const char *frag = hash != NULL ? hash + 1 : "";
	struct js_node *res;
	char *ptr;

	if (*frag != '\0' && *frag != '/') {
		if ((n->ref = name_find(cc->s, uri, strlen(uri))) == NULL)
			return compile_error(cc, "$ref: no schema has $id "
			    "\"%s\"", uri);
		return 0;
	}
	res = name_find(cc->s, uri, doclen);
	if (res == NULL && doclen == strlen(METASCHEMA_URI) &&
	    strncmp(uri, METASCHEMA_URI, doclen) == 0) {
		cJSON *meta = cJSON_Parse(metaschema_text);

		if (meta == NULL)
			fatalx("jsonschema: embedded metaschema is broken");
		res = compile_document(cc, meta, METASCHEMA_URI);
		if (res == NULL)
			return -1;
	}
	if (res == NULL)
		return compile_error(cc, "$ref: cannot resolve \"%s\" (remote "
		    "references are not supported)", uri);
	ptr = xmalloc(strlen(frag) + 1);
	if (percent_decode(frag, strlen(frag), ptr) == -1) {
		free(ptr);
		return compile_error(cc, "$ref: bad %%-escape in \"%s\"", uri);
	}
	n->ref = resolve_pointer(cc, res, ptr);
	free(ptr);
	if (n->ref == NULL)
		return compile_error(cc, "$ref: \"%s\" points to no schema",
		    uri);
	return 0;
}

/* A cycle of nodes that are nothing but "$ref" can never terminate. */
static int
check_ref_cycles(struct compiler *cc)
{
	struct js_schema *s = cc->s;
	size_t i, hops;

	for (i = 0; i < s->nnodes; i++) {
		const struct js_node *p = s->nodes[i];

		for (hops = 0; p != NULL && p->ref != NULL; hops++) {
			if (hops > s->nnodes)
				return compile_error(cc, "$ref loop through "
				    "\"%s\"", s->nodes[i]->ref_uri);
			p = p->ref;
		}
	}
	return 0;
}

struct js_schema *
js_compile(const cJSON *schema, char *err, size_t errlen)
{
	struct compiler cc;
	struct js_schema *s;
	cJSON *doc;
	size_t i;

	memset(&cc, 0, sizeof(cc));
	cc.err = err;
	cc.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (schema == NULL) {
		compile_error(&cc, "no schema");
		return NULL;
	}
	if ((doc = cJSON_Duplicate(schema, 1)) == NULL)
		fatalx("jsonschema: out of memory copying a schema");
	s = xcalloc(1, sizeof(*s));
	cc.s = s;
	if ((s->root = compile_document(&cc, doc, "")) == NULL)
		goto fail;
	/* Resolving may compile more nodes (and refs): loop until done. */
	for (i = 0; i < s->nnodes; i++) {
		struct js_node *n = s->nodes[i];

		if (n->ref_uri == NULL || n->ref != NULL)
			continue;
		path_restore(&cc, 0);
		if (resolve_ref(&cc, n) == -1)
			goto fail;
	}
	path_restore(&cc, 0);
	if (check_ref_cycles(&cc) == -1)
		goto fail;
	s->md = pcre2_match_data_create(1, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	if (s->md == NULL || s->mctx == NULL)
		fatalx("jsonschema: out of memory (pcre2)");
	pcre2_set_match_limit(s->mctx, JS_MATCH_LIMIT);
	return s;
fail:
	js_free(s);
	return NULL;
}

void
js_free(struct js_schema *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnodes; i++) {
		struct js_node *n = s->nodes[i];

		pcre2_code_free(n->pattern);
		for (j = 0; j < n->npatprops; j++)
			pcre2_code_free(n->patprops[j].re);
		free(n->patprops);
		free(n->props);
		free(n->deps);
		free(n->items_list.v);
		free(n->all_of.v);
		free(n->any_of.v);
		free(n->one_of.v);
		free(n);
	}
	free(s->nodes);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i].uri);
	free(s->names);
	for (i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	for (i = 0; i < s->ndocs; i++)
		cJSON_Delete(s->docs[i]);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	free(s);
}

/*
 * Validation
 */

/* The instance path as an RFC 6901 pointer (control characters as \u00XX
 * so that an error stays on one line). */
static void
pointer_format(const struct js_ctx *c, char *out, size_t len)
{
	size_t o = 0, d;

	/* Invariant: o + 4 < len, so "..." and the NUL always fit. */
	for (d = 0; d < c->depth; d++) {
		const struct js_seg *sg = &c->path[d];
		char tmp[24];
		const char *p;

		if (sg->key == NULL) {
			snprintf(tmp, sizeof(tmp), "%zu", sg->idx);
			p = tmp;
		} else {
			p = sg->key;
		}
		if (o + 5 >= len)
			goto truncated;
		out[o++] = '/';
		for (; *p != '\0'; p++) {
			unsigned char ch = (unsigned char)*p;
			char esc[8];
			size_t n = 1;

			if (ch == '~' || ch == '/') {
				esc[0] = '~';
				esc[1] = ch == '~' ? '0' : '1';
				n = 2;
			} else if (ch < 0x20 || ch == 0x7f) {
				n = (size_t)snprintf(esc, sizeof(esc),
				    "\\u%04x", ch);
			} else {
				esc[0] = (char)ch;
			}
			if (o + n + 4 >= len)
				goto truncated;
			memcpy(out + o, esc, n);
			o += n;
		}
	}
	out[o] = '\0';
	return;
truncated:
	memcpy(out + o, "...", 3);
	out[o + 3] = '\0';
}

static void
js_fail(struct js_ctx *c, const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
js_fail(struct js_ctx *c, const char *keyword, const char *fmt, ...)
{
	struct js_error *e;
	va_list ap;

	if (c->quiet)
		return;
	if (c->count++ >= c->nerrs)
		return;
	e = &c->errs[c->count - 1];
	pointer_format(c, e->pointer, sizeof(e->pointer));
	e->keyword = keyword;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Validates a child value (array element or member) under its own path. */
static int
validate_child(struct js_ctx *c, const struct js_node *n, const cJSON *v,
    const char *key, size_t idx)
{
	struct js_seg *sg;
	int ok;

	if (n->boolean == 1)
		return 1;
	if (c->depth >= JS_MAX_INSTANCE_DEPTH) {
		js_fail(c, "depth", "value nested deeper than %d levels",
		    JS_MAX_INSTANCE_DEPTH);
		return 0;
	}
	sg = &c->path[c->depth++];
	sg->key = key;
	sg->idx = idx;
	sg->saved_ref_depth = c->ref_depth;
	c->ref_depth = 0;
	ok = validate(c, n, v);
	c->ref_depth = sg->saved_ref_depth;
	c->depth--;
	return ok;
}

/* Runs a branch whose errors are not reported; returns its verdict. */
static int
validate_quiet(struct js_ctx *c, const struct js_node *n, const cJSON *v)
{
	int ok;

	c->quiet++;
	ok = validate(c, n, v);
	c->quiet--;
	return ok;
}

/*
 * Deep equality as JSON Schema defines it: numbers by value (1 == 1.0),
 * objects regardless of member order. Returns 1 equal, 0 different, -1 when
 * the comparison budget of this validation is spent.
 */
static int
json_equal(struct js_ctx *c, const cJSON *a, const cJSON *b, int depth)
{
	const cJSON *x, *y;
	int r;

	if (c->budget == 0 || depth > JS_EQUAL_MAX_DEPTH)
		return -1;
	c->budget--;
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	if ((a->type & 0xFF) != (b->type & 0xFF))
		return 0;
	if (cJSON_IsString(a))
		return strcmp(str_of(a), str_of(b)) == 0;
	if (cJSON_IsArray(a)) {
		for (x = a->child, y = b->child; x != NULL && y != NULL;
		    x = x->next, y = y->next)
			if ((r = json_equal(c, x, y, depth + 1)) != 1)
				return r;
		return x == NULL && y == NULL;
	}
	if (cJSON_IsObject(a)) {
		size_t na = 0, nb = 0;

		for (x = a->child; x != NULL; x = x->next)
			na++;
		for (y = b->child; y != NULL; y = y->next)
			nb++;
		if (na != nb)
			return 0;
		for (x = a->child; x != NULL; x = x->next) {
			for (y = b->child; y != NULL; y = y->next) {
				if (c->budget == 0)
					return -1;
				c->budget--;
				if (strcmp(x->string, y->string) == 0)
					break;
			}
			if (y == NULL)
				return 0;
			if ((r = json_equal(c, x, y, depth + 1)) != 1)
				return r;
		}
		return 1;
	}
	return 1;	/* null, true, false: the type says it all */
}

/* 1 match, 0 no match, -1 error (reported in quiet mode too). */
static int
regex_match(struct js_ctx *c, pcre2_code *re, const char *s,
    const char **why)
{
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0,
	    c->s->md, c->s->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
		*why = "string is not valid UTF-8";
	else if (rc == PCRE2_ERROR_MATCHLIMIT)
		*why = "pattern too costly to match";
	else
		*why = "pattern matching failed";
	return -1;
}

static int
digits(const char *p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339 full-date; returns the end or NULL. */
static const char *
parse_full_date(const char *p)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d, leap;

	if (digits(p, 4, &y) == -1 || p[4] != '-' ||
	    digits(p + 5, 2, &m) == -1 || p[7] != '-' ||
	    digits(p + 8, 2, &d) == -1)
		return NULL;
	if (m < 1 || m > 12 || d < 1)
		return NULL;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return NULL;
	return p + 10;
}

/*
 * RFC 3339 full-time (partial-time time-offset); returns the end or NULL.
 * A leap second (:60) is only valid at 23:59 UTC.
 */
static const char *
parse_full_time(const char *p)
{
	int h, mi, s, oh = 0, om = 0, sign = 0, utc;

	if (digits(p, 2, &h) == -1 || p[2] != ':' ||
	    digits(p + 3, 2, &mi) == -1 || p[5] != ':' ||
	    digits(p + 6, 2, &s) == -1)
		return NULL;
	if (h > 23 || mi > 59 || s > 60)
		return NULL;
	p += 8;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) == -1 || p[3] != ':' ||
		    digits(p + 4, 2, &om) == -1 || oh > 23 || om > 59)
			return NULL;
		p += 6;
	} else {
		return NULL;
	}
	if (s == 60) {
		utc = ((h * 60 + mi - sign * (oh * 60 + om)) % 1440 + 1440) %
		    1440;
		if (utc != 23 * 60 + 59)
			return NULL;
	}
	return p;
}

/* RFC 3986 characters, with %XX escapes well formed. */
static int
uri_chars_ok(const char *s)
{
	static const char other[] = "-._~:/?#[]@!$&'()*+,;=";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '%') {
			if (hex_value((unsigned char)s[1]) < 0 ||
			    hex_value((unsigned char)s[2]) < 0)
				return 0;
			s += 2;
		} else if (!((ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr(other, ch) != NULL)) {
			return 0;
		}
	}
	return 1;
}

static int
uri_has_scheme(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (s++; *s != '\0' && *s != ':'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' ||
		    *s == '.'))
			return 0;
	return *s == ':';
}

static int
format_ok(enum js_format f, const char *s)
{
	const char *p;

	switch (f) {
	case FMT_DATE:
		return (p = parse_full_date(s)) != NULL && *p == '\0';
	case FMT_TIME:
		return (p = parse_full_time(s)) != NULL && *p == '\0';
	case FMT_DATE_TIME:
		return (p = parse_full_date(s)) != NULL &&
		    (*p == 'T' || *p == 't') &&
		    (p = parse_full_time(p + 1)) != NULL && *p == '\0';
	case FMT_URI:
		return uri_has_scheme(s) && uri_chars_ok(s);
	case FMT_URI_REFERENCE:
		return uri_chars_ok(s);
	case FMT_NONE:
		break;
	}
	return 1;
}

static const char *
format_name(enum js_format f)
{
	size_t i;

	for (i = 0; i < nitems(format_names); i++)
		if (format_names[i].fmt == f)
			return format_names[i].name;
	return "?";
}

/*
 * multipleOf: exact for integer divisors; for fractional ones the quotient
 * is compared with its nearest integer under a relative tolerance, since
 * 0.0075 / 0.0001 is 74.99999999999999 in binary floating point.
 */
static int
is_multiple(double v, double m)
{
	double q, r;

	if (is_integral(m))
		return is_integral(v) && fmod(v, m) == 0;
	q = v / m;
	if (!isfinite(q))
		return 0;
	r = nearbyint(q);
	return fabs(q - r) <= fabs(q) * JS_MULTIPLE_EPSILON;
}

/* Records a numeric keyword's failure: "<value> <relation> <limit>". */
static void
number_fail(struct js_ctx *c, const char *keyword, double v,
    const char *relation, double limit)
{
	char a[40], b[40];

	if (c->quiet)
		return;
	fmt_num(v, a, sizeof(a));
	fmt_num(limit, b, sizeof(b));
	js_fail(c, keyword, "%s %s %s", a, relation, b);
}

static int
check_number(struct js_ctx *c, const struct js_node *n, double v)
{
	int ok = 1;

	if (n->numflags == 0)
		return 1;
	if ((n->numflags & HAS_MULTIPLE_OF) && !is_multiple(v,
	    n->multiple_of)) {
		number_fail(c, "multipleOf", v, "is not a multiple of",
		    n->multiple_of);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if ((n->numflags & HAS_MAXIMUM) && v > n->maximum) {
		number_fail(c, "maximum", v, "is greater than", n->maximum);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if ((n->numflags & HAS_EXCL_MAXIMUM) && v >= n->excl_maximum) {
		number_fail(c, "exclusiveMaximum", v, "is not less than",
		    n->excl_maximum);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if ((n->numflags & HAS_MINIMUM) && v < n->minimum) {
		number_fail(c, "minimum", v, "is less than", n->minimum);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if ((n->numflags & HAS_EXCL_MINIMUM) && v <= n->excl_minimum) {
		number_fail(c, "exclusiveMinimum", v, "is not greater than",
		    n->excl_minimum);
		ok = 0;
	}
	return ok;
}

static int
check_string(struct js_ctx *c, const struct js_node *n, const char *s)
{
	char q[128];
	const char *why = NULL;
	size_t len;
	int ok = 1, r;

	if (n->max_length >= 0 || n->min_length >= 0) {
		len = utf8_length(s);
		if (n->max_length >= 0 && len > (size_t)n->max_length) {
			js_fail(c, "maxLength", "string of %zu characters is "
			    "longer than %ld", len, n->max_length);
			if (c->quiet)
				return 0;
			ok = 0;
		}
		if (n->min_length >= 0 && len < (size_t)n->min_length) {
			js_fail(c, "minLength", "string of %zu characters is "
			    "shorter than %ld", len, n->min_length);
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->pattern != NULL &&
	    (r = regex_match(c, n->pattern, s, &why)) != 1) {
		fmt_str(s, 40, q, sizeof(q));
		if (r == 0)
			js_fail(c, "pattern", "%s does not match %s", q,
			    n->pattern_src);
		else
			js_fail(c, "pattern", "%s: %s", q, why);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->format != FMT_NONE && !format_ok(n->format, s)) {
		fmt_str(s, 40, q, sizeof(q));
		js_fail(c, "format", "%s is not a valid %s", q,
		    format_name(n->format));
		ok = 0;
	}
	return ok;
}

static int
check_array(struct js_ctx *c, const struct js_node *n, const cJSON *a)
{
	const cJSON *x, *y;
	size_t count = 0, i, j;
	int ok = 1, r;

	for (x = a->child; x != NULL; x = x->next)
		count++;
	if (n->max_items >= 0 && count > (size_t)n->max_items) {
		js_fail(c, "maxItems", "array of %zu items has more than %ld",
		    count, n->max_items);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->min_items >= 0 && count < (size_t)n->min_items) {
		js_fail(c, "minItems", "array of %zu items has fewer than %ld",
		    count, n->min_items);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->unique_items) {
		for (x = a->child, i = 0; x != NULL; x = x->next, i++) {
			for (y = x->next, j = i + 1; y != NULL;
			    y = y->next, j++) {
				if ((r = json_equal(c, x, y, 0)) == 0)
					continue;
				if (r == 1)
					js_fail(c, "uniqueItems", "items %zu "
					    "and %zu are equal", i, j);
				else
					js_fail(c, "uniqueItems", "array too "
					    "large to compare its items");
				if (c->quiet)
					return 0;
				ok = 0;
				goto unique_done;
			}
		}
	}
unique_done:
	for (x = a->child, i = 0; x != NULL; x = x->next, i++) {
		const struct js_node *sub;

		if (n->items != NULL)
			sub = n->items;
		else if (n->items_is_list && i < n->items_list.n)
			sub = n->items_list.v[i];
		else if (n->items_is_list)
			sub = n->additional_items;
		else
			sub = NULL;
		if (sub != NULL && !validate_child(c, sub, x, NULL, i)) {
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->contains != NULL) {
		for (x = a->child; x != NULL; x = x->next)
			if (validate_quiet(c, n->contains, x))
				break;
		if (x == NULL) {
			js_fail(c, "contains", "no item matches");
			ok = 0;
		}
	}
	return ok;
}

static const struct js_prop *
prop_find(const struct js_node *n, const char *name)
{
	struct js_prop key;

	if (n->nprops == 0)
		return NULL;
	key.name = name;
	key.node = NULL;
	return bsearch(&key, n->props, n->nprops, sizeof(*n->props),
	    prop_cmp);
}

static int
check_required(struct js_ctx *c, const cJSON *names, const cJSON *o,
    const char *keyword, const char *because)
{
	const cJSON *e;
	char q[128];
	int ok = 1;

	cJSON_ArrayForEach(e, names) {
		if (cJSON_GetObjectItemCaseSensitive(o, str_of(e)) != NULL)
			continue;
		fmt_str(str_of(e), 60, q, sizeof(q));
		if (because != NULL)
			js_fail(c, keyword, "property %s is required when "
			    "\"%s\" is present", q, because);
		else
			js_fail(c, keyword, "property %s is missing", q);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	return ok;
}

static int
check_object(struct js_ctx *c, const struct js_node *n, const cJSON *o)
{
	const cJSON *m;
	char q[128];
	size_t count = 0, i;
	int ok = 1;

	for (m = o->child; m != NULL; m = m->next)
		count++;
	if (n->max_props >= 0 && count > (size_t)n->max_props) {
		js_fail(c, "maxProperties", "object of %zu properties has more "
		    "than %ld", count, n->max_props);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->min_props >= 0 && count < (size_t)n->min_props) {
		js_fail(c, "minProperties", "object of %zu properties has "
		    "fewer than %ld", count, n->min_props);
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->required != NULL &&
	    !check_required(c, n->required, o, "required", NULL)) {
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->nprops > 0 || n->npatprops > 0 || n->additional_props != NULL) {
		for (m = o->child; m != NULL; m = m->next) {
			const struct js_prop *p;
			const char *key = m->string != NULL ? m->string : "";
			int matched = 0;

			if ((p = prop_find(n, key)) != NULL) {
				matched = 1;
				if (!validate_child(c, p->node, m, key, 0)) {
					if (c->quiet)
						return 0;
					ok = 0;
				}
			}
			for (i = 0; i < n->npatprops; i++) {
				const char *why = NULL;
				int r;

				r = regex_match(c, n->patprops[i].re, key, &why);
				if (r == -1) {
					fmt_str(key, 60, q, sizeof(q));
					js_fail(c, "patternProperties",
					    "property %s: %s", q, why);
					if (c->quiet)
						return 0;
					ok = 0;
					continue;
				}
				if (r == 0)
					continue;
				matched = 1;
				if (!validate_child(c, n->patprops[i].node, m,
				    key, 0)) {
					if (c->quiet)
						return 0;
					ok = 0;
				}
			}
			if (matched || n->additional_props == NULL)
				continue;
			if (n->additional_props->boolean == 0) {
				fmt_str(key, 60, q, sizeof(q));
				js_fail(c, "additionalProperties", "property "
				    "%s is not allowed", q);
				if (c->quiet)
					return 0;
				ok = 0;
			} else if (!validate_child(c, n->additional_props, m,
			    key, 0)) {
				if (c->quiet)
					return 0;
				ok = 0;
			}
		}
	}
	for (i = 0; i < n->ndeps; i++) {
		const struct js_dep *d = &n->deps[i];

		if (cJSON_GetObjectItemCaseSensitive(o, d->name) == NULL)
			continue;
		if (d->required != NULL ? !check_required(c, d->required, o,
		    "dependencies", d->name) : !validate(c, d->node, o)) {
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->property_names != NULL) {
		for (m = o->child; m != NULL; m = m->next) {
			cJSON name;

			/* A stack string node: no allocation per key. */
			memset(&name, 0, sizeof(name));
			name.type = cJSON_String;
			name.valuestring = m->string != NULL ? m->string : "";
			if (validate_quiet(c, n->property_names, &name))
				continue;
			fmt_str(name.valuestring, 60, q, sizeof(q));
			js_fail(c, "propertyNames", "property name %s is not "
			    "allowed", q);
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	return ok;
}

static int
check_type(struct js_ctx *c, const struct js_node *n, const cJSON *v)
{
	char want[80];
	size_t i, o = 0;

	if (n->types == 0 || (n->types & instance_types(v)) != 0)
		return 1;
	want[0] = '\0';
	for (i = 0; i < nitems(type_names); i++) {
		if (!(n->types & type_names[i].bit))
			continue;
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s",
		    o > 0 ? " or " : "", type_names[i].name);
		if (o >= sizeof(want))
			break;
	}
	js_fail(c, "type", "expected %s, got %s", want, instance_type_name(v));
	return 0;
}

static int
check_enum_const(struct js_ctx *c, const struct js_node *n, const cJSON *v)
{
	const cJSON *e;
	char got[128], list[JS_MESSAGE_MAX];
	size_t o = 0;
	int r = 0, ok = 1;

	if (n->const_value != NULL &&
	    (r = json_equal(c, n->const_value, v, 0)) != 1) {
		fmt_value(n->const_value, list, sizeof(list));
		if (r == 0)
			js_fail(c, "const", "value must be %s", list);
		else
			js_fail(c, "const", "value too large to compare");
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->enum_values == NULL)
		return ok;
	cJSON_ArrayForEach(e, n->enum_values)
		if ((r = json_equal(c, e, v, 0)) != 0)
			break;
	if (e != NULL && r == 1)
		return ok;
	if (c->quiet)
		return 0;
	if (e != NULL) {
		js_fail(c, "enum", "value too large to compare");
		return 0;
	}
	list[0] = '\0';
	cJSON_ArrayForEach(e, n->enum_values) {
		char one[64];

		fmt_value(e, one, sizeof(one));
		if (o + strlen(one) + 8 >= 100) {
			snprintf(list + o, sizeof(list) - o, "%s...",
			    o > 0 ? ", " : "");
			break;
		}
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    o > 0 ? ", " : "", one);
	}
	fmt_value(v, got, sizeof(got));
	js_fail(c, "enum", "%s is not one of %s", got, list);
	return 0;
}

static int
check_combinators(struct js_ctx *c, const struct js_node *n, const cJSON *v)
{
	size_t i, matched;
	int ok = 1;

	for (i = 0; i < n->all_of.n; i++) {
		if (!validate(c, n->all_of.v[i], v)) {
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->any_of.n > 0) {
		for (i = 0; i < n->any_of.n; i++)
			if (validate_quiet(c, n->any_of.v[i], v))
				break;
		if (i == n->any_of.n) {
			js_fail(c, "anyOf", "value matches none of the %zu "
			    "alternatives", n->any_of.n);
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->one_of.n > 0) {
		size_t first = 0;

		matched = 0;
		for (i = 0; i < n->one_of.n && matched < 2; i++) {
			if (validate_quiet(c, n->one_of.v[i], v)) {
				if (matched++ == 0)
					first = i;
			}
		}
		if (matched == 0)
			js_fail(c, "oneOf", "value matches none of the %zu "
			    "alternatives", n->one_of.n);
		else if (matched > 1)
			js_fail(c, "oneOf", "value matches alternatives %zu "
			    "and %zu, not exactly one", first, i - 1);
		if (matched != 1) {
			if (c->quiet)
				return 0;
			ok = 0;
		}
	}
	if (n->not_ != NULL && validate_quiet(c, n->not_, v)) {
		js_fail(c, "not", "value matches a schema it must not match");
		if (c->quiet)
			return 0;
		ok = 0;
	}
	if (n->if_ != NULL) {
		const struct js_node *branch;

		branch = validate_quiet(c, n->if_, v) ? n->then_ : n->else_;
		if (branch != NULL && !validate(c, branch, v))
			ok = 0;
	}
	return ok;
}

static int
validate(struct js_ctx *c, const struct js_node *n, const cJSON *v)
{
	unsigned t;
	int ok = 1;

	if (n->boolean == 1)
		return 1;
	if (n->boolean == 0) {
		js_fail(c, "false", "no value is allowed here");
		return 0;
	}
	if (c->eval_depth >= JS_MAX_EVAL_DEPTH) {
		js_fail(c, "depth", "schema evaluation deeper than %d levels",
		    JS_MAX_EVAL_DEPTH);
		return 0;
	}
	c->eval_depth++;
	if (n->ref != NULL) {
		if (c->ref_depth >= JS_MAX_REF_DEPTH) {
			js_fail(c, "$ref", "more than %d references without "
			    "progress (a $ref loop?)", JS_MAX_REF_DEPTH);
			ok = 0;
		} else {
			c->ref_depth++;
			ok = validate(c, n->ref, v);
			c->ref_depth--;
		}
		goto out;
	}
	/*
	 * Every keyword is checked, so that one run reports every error; in
	 * a quiet branch the first failure decides and the rest is skipped.
	 */
	t = instance_types(v);
	if (!check_type(c, n, v)) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if (!check_enum_const(c, n, v)) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if ((t & T_NUMBER) && !check_number(c, n, v->valuedouble)) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if ((t & T_STRING) && !check_string(c, n, str_of(v))) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if ((t & T_ARRAY) && !check_array(c, n, v)) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if ((t & T_OBJECT) && !check_object(c, n, v)) {
		ok = 0;
		if (c->quiet)
			goto out;
	}
	if (!check_combinators(c, n, v))
		ok = 0;
out:
	c->eval_depth--;
	return ok;
}

size_t
js_validate(const struct js_schema *s, const cJSON *instance,
    struct js_error *errs, size_t nerrs)
{
	struct js_ctx c;
	int ok;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.errs = errs;
	c.nerrs = errs != NULL ? nerrs : 0;
	c.budget = JS_EQUAL_BUDGET;
	if (instance == NULL) {
		js_fail(&c, "type", "no value");
		return c.count;
	}
	ok = validate(&c, s->root, instance);
	/* Every failure records an error; this only guards that promise. */
	if (!ok && c.count == 0)
		js_fail(&c, "schema", "value is not valid");
	return c.count;
}

size_t
js_error_format(const struct js_error *e, const char *prefix, char *buf,
    size_t len)
{
	const char *ptr = e->pointer;
	int n;

	if (prefix == NULL)
		prefix = "";
	if (*prefix == '\0' && *ptr == '\0')
		ptr = "(root)";
	n = snprintf(buf, len, "%s%s: %s: %s", prefix, ptr,
	    e->keyword != NULL ? e->keyword : "?", e->message);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * Parsing with positions
 */

/* Offset of the first invalid UTF-8 sequence, or len if all is valid. */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char ch = s[i];
		size_t n, k;
		uint32_t cp;

		if (ch < 0x80) {
			i++;
			continue;
		}
		if (ch >= 0xC2 && ch <= 0xDF) {
			n = 1;
			cp = ch & 0x1F;
		} else if (ch >= 0xE0 && ch <= 0xEF) {
			n = 2;
			cp = ch & 0x0F;
		} else if (ch >= 0xF0 && ch <= 0xF4) {
			n = 3;
			cp = ch & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return i;
		i += n + 1;
	}
	return len;
}

static void
position(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

cJSON *
js_parse(const char *text, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	size_t off, line, col;
	cJSON *v;

	if (errlen > 0)
		err[0] = '\0';
	if ((off = utf8_check((const unsigned char *)text, len)) < len) {
		position(text, off, &line, &col);
		snprintf(err, errlen, "line %zu column %zu: invalid UTF-8",
		    line, col);
		return NULL;
	}
	v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (v == NULL) {
		off = end != NULL && end >= text && end <= text + len ?
		    (size_t)(end - text) : 0;
		position(text, off, &line, &col);
		snprintf(err, errlen, "line %zu column %zu: %s", line, col,
		    len == 0 ? "empty input" : "syntax error");
		return NULL;
	}
	off = (size_t)(end - text);
	while (off < len && (text[off] == ' ' || text[off] == '\t' ||
	    text[off] == '\n' || text[off] == '\r'))
		off++;
	if (off < len) {
		position(text, off, &line, &col);
		snprintf(err, errlen, "line %zu column %zu: unexpected data "
		    "after the JSON value", line, col);
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}
