/*
 * test_schemaset: the project's schemas (the schemas/ directory) against
 * the sample events in tests/data/events/.
 *
 *   valid/<type>.json         must be EVENT_OK, one file per schema type
 *   invalid/<reason>__*.json  must fail with that reason: "envelope",
 *                             "unknown_type" or "schema"
 *
 * Every sample is also checked for a diagnostic that names a JSON pointer
 * from the event root, and a few diagnostics are checked word for word so
 * that the format integrators read ("pointer: keyword: message") is pinned.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonschema.h"
#include "schemaset.h"
#include "testlib.h"
#include "util.h"

#define SRC SIMPUL_SRCDIR
#define EVENTS SRC "/tests/data/events"

static cJSON *
load(const char *path)
{
	char chunk[8192], err[256];
	struct buf b;
	size_t n;
	FILE *f;
	cJSON *v;

	if ((f = fopen(path, "rb")) == NULL) {
		testlib_fail(__FILE__, __LINE__, "cannot open %s", path);
		return NULL;
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) == -1)
			break;
	fclose(f);
	v = js_parse(b.data != NULL ? b.data : "", b.len, err, sizeof(err));
	if (v == NULL)
		testlib_fail(__FILE__, __LINE__, "%s: %s", path, err);
	buf_free(&b);
	return v;
}

static enum event_check
check_file(const struct schemaset *set, const char *path, char *diag,
    size_t len)
{
	cJSON *ev = load(path);
	enum event_check ec;

	ec = schemaset_check(set, ev, diag, len);
	cJSON_Delete(ev);
	return ec;
}

static int
reason_of(const char *name, enum event_check *ec)
{
	static const struct {
		const char *prefix;
		enum event_check ec;
	} reasons[] = {
		{ "envelope__", EVENT_ENVELOPE },
		{ "unknown_type__", EVENT_UNKNOWN_TYPE },
		{ "schema__", EVENT_SCHEMA },
	};
	size_t i;

	for (i = 0; i < nitems(reasons); i++) {
		if (strncmp(name, reasons[i].prefix,
		    strlen(reasons[i].prefix)) == 0) {
			*ec = reasons[i].ec;
			return 0;
		}
	}
	return -1;
}

/* Every type has a valid sample, and every sample passes. */
static void
test_valid(const struct schemaset *set)
{
	char path[512], diag[4096];
	size_t i;

	CHECK(schemaset_count(set) >= 13);
	for (i = 0; i < schemaset_count(set); i++) {
		const char *type = schemaset_type(set, i);
		enum event_check ec;

		snprintf(path, sizeof(path), EVENTS "/valid/%s.json", type);
		ec = check_file(set, path, diag, sizeof(diag));
		if (ec != EVENT_OK)
			testlib_fail(__FILE__, __LINE__, "%s: %s: %s", path,
			    event_check_name(ec), diag);
		else
			testlib_passed++;
		CHECK_STR(diag, "");
	}
}

static void
test_invalid(const struct schemaset *set)
{
	char path[512], diag[4096];
	struct dirent *de;
	int files = 0;
	DIR *d;

	if ((d = opendir(EVENTS "/invalid")) == NULL) {
		testlib_fail(__FILE__, __LINE__, "no invalid samples");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		enum event_check want, got;

		if (de->d_name[0] == '.')
			continue;
		if (reason_of(de->d_name, &want) == -1) {
			testlib_fail(__FILE__, __LINE__, "%s: name does not "
			    "start with a reason", de->d_name);
			continue;
		}
		snprintf(path, sizeof(path), EVENTS "/invalid/%s", de->d_name);
		got = check_file(set, path, diag, sizeof(diag));
		files++;
		if (got != want)
			testlib_fail(__FILE__, __LINE__, "%s: got %s, want %s: "
			    "%s", de->d_name, event_check_name(got),
			    event_check_name(want), diag);
		else
			testlib_passed++;
		/* Each diagnostic line starts with a pointer or "(root)". */
		CHECK(diag[0] == '/' || strncmp(diag, "(root)", 6) == 0);
		if (want == EVENT_SCHEMA)
			CHECK(strncmp(diag, "/data", 5) == 0);
	}
	closedir(d);
	CHECK(files >= 30);
}

/* The exact text integrators see for a few typical mistakes. */
static void
test_diagnostics(const struct schemaset *set)
{
	static const struct {
		const char *file, *diag;
	} cases[] = {
		{ "schema__gps-negative-speed.json",
		  "/data/speed_kmh: minimum: -3 is less than 0" },
		{ "schema__gps-lat-out-of-range.json",
		  "/data/lat: maximum: 93.10512 is greater than 90" },
		{ "schema__gps-lat-as-string.json",
		  "/data/lat: type: expected number, got string" },
		{ "envelope__missing-id.json",
		  "(root): required: property \"id\" is missing" },
		{ "envelope__data-base64.json",
		  "(root): required: property \"data\" is missing\n"
		  "(root): propertyNames: property name \"data_base64\" is not "
		  "allowed" },
		{ "unknown_type__foo.json",
		  "/type: unknown_type: no schema for event type \"foo.bar\"" },
		{ "schema__sp2d-nilai-fractional.json",
		  "/data/nilai: type: expected integer, got number" },
		{ "schema__sp2d-unmapped-field.json",
		  "/data: additionalProperties: property \"KD_URUSAN\" is not "
		  "allowed" },
		{ "schema__complaint-named-without-name.json",
		  "/data/reporter: required: property \"name\" is missing" },
		{ "schema__permit-issued-status-mismatch.json",
		  "/data/status: const: value must be \"issued\"" },
		{ "schema__simda-bad-as-of.json",
		  "/data/as_of: format: \"2026-13-01\" is not a valid date" },
		{ "schema__complaint-unknown-channel.json",
		  "/data/channel: enum: \"fax\" is not one of \"web\", "
		  "\"open311\", \"sms\", \"whatsapp\", \"lapor\", \"phone\"" },
	};
	char path[512], diag[4096];
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		snprintf(path, sizeof(path), EVENTS "/invalid/%s",
		    cases[i].file);
		check_file(set, path, diag, sizeof(diag));
		CHECK_STR(diag, cases[i].diag);
	}
}

/* diag is always terminated and never overrun, however small. */
static void
test_truncation(const struct schemaset *set)
{
	char diag[40];
	cJSON *ev;
	size_t len;

	ev = load(EVENTS "/invalid/envelope__data-base64.json");
	memset(diag, 'x', sizeof(diag));
	CHECK_INT(schemaset_check(set, ev, diag, 16), EVENT_ENVELOPE);
	CHECK_INT(strlen(diag), 15);
	CHECK(diag[16] == 'x');
	CHECK_INT(schemaset_check(set, ev, diag, 1), EVENT_ENVELOPE);
	CHECK_STR(diag, "");
	CHECK_INT(schemaset_check(set, ev, NULL, 0), EVENT_ENVELOPE);
	len = sizeof(diag);
	CHECK_INT(schemaset_check(set, NULL, diag, len), EVENT_ENVELOPE);
	CHECK(strlen(diag) > 0);
	cJSON_Delete(ev);
}

/* Many errors: the first SCHEMASET_MAX_ERRORS and a count of the rest. */
static void
test_many_errors(const struct schemaset *set)
{
	char diag[8192];
	cJSON *ev;
	const char *p;
	int i, lines = 1;

	ev = load(EVENTS "/valid/gps.position.json");
	for (i = 0; i < 40; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x%d", i);
		cJSON_AddItemToObject(ev, name, cJSON_CreateObject());
	}
	CHECK_INT(schemaset_check(set, ev, diag, sizeof(diag)),
	    EVENT_ENVELOPE);
	for (p = diag; *p != '\0'; p++)
		lines += *p == '\n';
	CHECK_INT(lines, SCHEMASET_MAX_ERRORS + 1);
	CHECK(strstr(diag, "... and 24 more errors") != NULL);
	cJSON_Delete(ev);
}

static void
test_lookup(const struct schemaset *set)
{
	CHECK(schemaset_find(set, "gps.position") != NULL);
	CHECK(schemaset_find(set, "sp2d.rejected") != NULL);
	CHECK(schemaset_find(set, "envelope") == NULL);
	CHECK(schemaset_find(set, "gps") == NULL);
	CHECK(schemaset_find(set, "") == NULL);
	CHECK(schemaset_find(set, NULL) == NULL);
	CHECK(schemaset_envelope(set) != NULL);
	CHECK(schemaset_type(set, schemaset_count(set)) == NULL);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		testlib_fail(__FILE__, __LINE__, "cannot create %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	remove(path);
}

static void
test_load_errors(void)
{
	char dir[] = "/tmp/test_schemaset.XXXXXX";
	struct schemaset *set;

	CHECK(schemaset_load(SRC "/no/such/dir") == NULL);
	schemaset_free(NULL);
	if (mkdtemp(dir) == NULL) {
		testlib_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	/* No envelope.json: not a schema set. */
	CHECK(schemaset_load(dir) == NULL);
	/* Files that are not named like a type are skipped. */
	write_file(dir, "envelope.json", "{\"type\": \"object\"}");
	write_file(dir, "README.json", "not json");
	write_file(dir, "notes.txt", "hello");
	set = schemaset_load(dir);
	CHECK(set != NULL);
	if (set != NULL)
		CHECK_INT(schemaset_count(set), 0);
	schemaset_free(set);
	/* One broken schema fails the whole set. */
	write_file(dir, "a.b.json", "{\"type\": 12}");
	CHECK(schemaset_load(dir) == NULL);
	write_file(dir, "a.b.json", "{\"type\": \"object\",}");
	CHECK(schemaset_load(dir) == NULL);
	write_file(dir, "a.b.json", "{\"$ref\": \"other.json#/x\"}");
	CHECK(schemaset_load(dir) == NULL);
	write_file(dir, "a.b.json", "{\"required\": [\"x\"]}");
	set = schemaset_load(dir);
	CHECK(set != NULL && schemaset_find(set, "a.b") != NULL);
	schemaset_free(set);
	remove_file(dir, "envelope.json");
	remove_file(dir, "README.json");
	remove_file(dir, "notes.txt");
	remove_file(dir, "a.b.json");
	rmdir(dir);
}

int
main(void)
{
	struct schemaset *set;

	set = schemaset_load(SRC "/schemas");
	CHECK(set != NULL);
	if (set == NULL)
		return testlib_done();
	test_valid(set);
	test_invalid(set);
	test_diagnostics(set);
	test_truncation(set);
	test_many_errors(set);
	test_lookup(set);
	test_load_errors();
	schemaset_free(set);
	return testlib_done();
}
