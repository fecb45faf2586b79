/*
 * schemaset: the envelope schema plus one schema per event type, loaded from
 * a directory at start and kept compiled (see schemaset.h).
 *
 * The types are a sorted array searched with bsearch: a handful to a few
 * hundred entries, read on every event, written once. Each type schema
 * validates the event's "data" object; its errors are reported with the
 * "/data" prefix so that every pointer in the diagnostic starts at the event
 * root, which is what an integrator looks at.
 */
#include "schemaset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "jsonschema.h"
#include "log.h"
#include "util.h"

/* A schema file is hand-written; anything bigger is a mistake. */
#define SCHEMA_FILE_MAX		((size_t)4 << 20)
#define TYPE_NAME_MAX		128

struct schema_type {
	char *type;
	struct js_schema *schema;
};

struct schemaset {
	struct js_schema *envelope;
	struct schema_type *types;	/* sorted by type */
	size_t ntypes;
};

/*
 * Reads and compiles one schema file. Returns NULL with the reason logged
 * (file name, and line/column or schema location).
 */
static struct js_schema *
schema_load_file(const char *path)
{
	struct js_schema *s = NULL;
	char err[512];
	struct buf b;
	cJSON *json = NULL;
	FILE *f;
	size_t n;
	char chunk[8192];

	buf_init(&b, SCHEMA_FILE_MAX);
	if ((f = fopen(path, "rb")) == NULL) {
		log_warn("schemaset: %s", path);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&b, chunk, n) == -1) {
			log_warnx("schemaset: %s: larger than %zu bytes", path,
			    SCHEMA_FILE_MAX);
			goto out;
		}
	}
	if (ferror(f)) {
		log_warn("schemaset: %s: read", path);
		goto out;
	}
	if ((json = js_parse(b.data != NULL ? b.data : "", b.len, err,
	    sizeof(err))) == NULL) {
		log_warnx("schemaset: %s: invalid JSON at %s", path, err);
		goto out;
	}
	if ((s = js_compile(json, err, sizeof(err))) == NULL)
		log_warnx("schemaset: %s: invalid schema: %s", path, err);
out:
	cJSON_Delete(json);
	buf_free(&b);
	fclose(f);
	return s;
}

/* Event type names as the envelope allows them: "gps.position". */
static int
type_name_ok(const char *s, size_t len)
{
	size_t i;
	int dots = 0, start = 1;

	if (len == 0 || len > TYPE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (start) {
			if (ch < 'a' || ch > 'z')
				return 0;
			start = 0;
		} else if (ch == '.') {
			dots++;
			start = 1;
		} else if (!((ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_')) {
			return 0;
		}
	}
	return dots > 0 && !start;
}

static int
type_cmp(const void *a, const void *b)
{
	return strcmp(((const struct schema_type *)a)->type,
	    ((const struct schema_type *)b)->type);
}

struct schemaset *
schemaset_load(const char *dir)
{
	struct schemaset *set;
	struct dirent *de;
	size_t cap = 0;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		log_warn("schemaset: %s", dir);
		return NULL;
	}
	set = xcalloc(1, sizeof(*set));
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		struct js_schema *s;

		if (name[0] == '.' || len <= 5 ||
		    strcmp(name + len - 5, ".json") != 0)
			continue;
		if (strcmp(name, "envelope.json") != 0 &&
		    !type_name_ok(name, len - 5)) {
			log_warnx("schemaset: %s/%s: not an event type name, "
			    "skipped", dir, name);
			continue;
		}
		path = xasprintf("%s/%s", dir, name);
		s = schema_load_file(path);
		free(path);
		if (s == NULL)
			goto fail;
		if (strcmp(name, "envelope.json") == 0) {
			set->envelope = s;
			continue;
		}
		set->types = (cap == set->ntypes) ? xrealloc(set->types,
		    (cap = cap == 0 ? 16 : cap * 2) * sizeof(*set->types)) :
		    set->types;
		set->types[set->ntypes].type = xstrndup(name, len - 5);
		set->types[set->ntypes].schema = s;
		set->ntypes++;
	}
	if (errno != 0) {
		log_warn("schemaset: %s: readdir", dir);
		goto fail;
	}
	if (set->envelope == NULL) {
		log_warnx("schemaset: %s/envelope.json: missing", dir);
		goto fail;
	}
	if (set->ntypes > 0)
		qsort(set->types, set->ntypes, sizeof(*set->types), type_cmp);
	closedir(d);
	log_debug("schemaset: loaded envelope and %zu event types from %s",
	    set->ntypes, dir);
	return set;
fail:
	closedir(d);
	schemaset_free(set);
	return NULL;
}

void
schemaset_free(struct schemaset *set)
{
	size_t i;

	if (set == NULL)
		return;
	js_free(set->envelope);
	for (i = 0; i < set->ntypes; i++) {
		free(set->types[i].type);
		js_free(set->types[i].schema);
	}
	free(set->types);
	free(set);
}

const struct js_schema *
schemaset_find(const struct schemaset *set, const char *type)
{
	struct schema_type key, *t;

	if (set == NULL || type == NULL || set->ntypes == 0)
		return NULL;
	key.type = (char *)(uintptr_t)type;
	key.schema = NULL;
	t = bsearch(&key, set->types, set->ntypes, sizeof(*set->types),
	    type_cmp);
	return t != NULL ? t->schema : NULL;
}

const struct js_schema *
schemaset_envelope(const struct schemaset *set)
{
	return set->envelope;
}

size_t
schemaset_count(const struct schemaset *set)
{
	return set->ntypes;
}

const char *
schemaset_type(const struct schemaset *set, size_t i)
{
	return i < set->ntypes ? set->types[i].type : NULL;
}

const char *
event_check_name(enum event_check ec)
{
	switch (ec) {
	case EVENT_OK:
		return "ok";
	case EVENT_ENVELOPE:
		return "envelope";
	case EVENT_UNKNOWN_TYPE:
		return "unknown_type";
	case EVENT_SCHEMA:
		return "schema";
	}
	return "unknown";
}

/* Appends to diag without ever passing diaglen; keeps it terminated. */
struct diag {
	char *p;
	size_t len, used;
};

static void
diag_add(struct diag *d, const char *s)
{
	size_t n = strlen(s);

	if (d->len == 0 || d->used + 1 >= d->len)
		return;
	if (d->used > 0) {
		d->p[d->used++] = '\n';
		if (d->used + 1 >= d->len) {
			d->p[d->used - 1] = '\0';
			return;
		}
	}
	if (n > d->len - d->used - 1)
		n = d->len - d->used - 1;
	memcpy(d->p + d->used, s, n);
	d->used += n;
	d->p[d->used] = '\0';
}

static void
diag_errors(struct diag *d, const struct js_error *errs, size_t n,
    const char *prefix)
{
	char line[JS_POINTER_MAX + JS_MESSAGE_MAX + 64];
	size_t i, kept = n < SCHEMASET_MAX_ERRORS ? n : SCHEMASET_MAX_ERRORS;

	for (i = 0; i < kept; i++) {
		js_error_format(&errs[i], prefix, line, sizeof(line));
		diag_add(d, line);
	}
	if (n > kept) {
		snprintf(line, sizeof(line), "... and %zu more errors",
		    n - kept);
		diag_add(d, line);
	}
}

enum event_check
schemaset_check(const struct schemaset *set, const cJSON *event, char *diag,
    size_t diaglen)
{
	struct js_error errs[SCHEMASET_MAX_ERRORS];
	const struct js_schema *schema;
	const cJSON *type;
	struct diag d;
	char q[TYPE_NAME_MAX + 64];
	size_t n;

	d.p = diag;
	d.len = diaglen;
	d.used = 0;
	if (diaglen > 0)
		diag[0] = '\0';
	if (event == NULL) {
		diag_add(&d, "(root): type: no JSON value");
		return EVENT_ENVELOPE;
	}
	if ((n = js_validate(set->envelope, event, errs, nitems(errs))) > 0) {
		diag_errors(&d, errs, n, "");
		return EVENT_ENVELOPE;
	}
	/* The envelope schema guarantees a type string of bounded length. */
	type = cJSON_GetObjectItemCaseSensitive(event, "type");
	if (!cJSON_IsString(type) || type->valuestring == NULL) {
		diag_add(&d, "/type: type: expected string");
		return EVENT_ENVELOPE;
	}
	if ((schema = schemaset_find(set, type->valuestring)) == NULL) {
		snprintf(q, sizeof(q), "/type: unknown_type: no schema for "
		    "event type \"%.*s\"", TYPE_NAME_MAX, type->valuestring);
		diag_add(&d, q);
		return EVENT_UNKNOWN_TYPE;
	}
	n = js_validate(schema, cJSON_GetObjectItemCaseSensitive(event,
	    "data"), errs, nitems(errs));
	if (n > 0) {
		diag_errors(&d, errs, n, "/data");
		return EVENT_SCHEMA;
	}
	return EVENT_OK;
}

const char *
schemaset_default_dir(void)
{
	if (access(SIMPUL_SRCDIR "/schemas/envelope.json", R_OK) == 0)
		return SIMPUL_SRCDIR "/schemas";
	return SIMPUL_DATADIR "/schemas";
}
