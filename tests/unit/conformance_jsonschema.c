/*
 * conformance_jsonschema: runs the official JSON-Schema-Test-Suite (Debian
 * package json-schema-test-suite) for draft-07 against common/jsonschema.
 *
 *   conformance_jsonschema /usr/share/json-schema-test-suite/tests/draft7
 *
 * Required: every file of the directory except refRemote.json (remote refs
 * need an HTTP server, which Simpul does not use), plus the RFC 3339 formats
 * optional/format/{date-time,date,time}.json. Each case prints nothing when
 * it passes and "FAIL file: group: case" when it does not. The program
 * fails if any case fails, if the directory is missing, or if no case ran.
 *
 * Optional files (bignum, other formats, ...) can be given after the
 * directory as extra file names; their results are printed separately and
 * do not decide the exit status.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "util.h"

#define SUITE_FILE_MAX ((size_t)8 << 20)

struct tally {
	int passed, failed;
};

static char *
read_file(const char *path, size_t *len)
{
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf_init(&b, SUITE_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&b, chunk, n) == -1) {
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	}
	fclose(f);
	if (buf_terminate(&b) == -1) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* Runs one suite file; returns -1 if it cannot be read or parsed. */
static int
run_file(const char *path, const char *label, struct tally *t)
{
	const cJSON *group, *test;
	char err[512];
	size_t len;
	char *text;
	cJSON *doc;

	if ((text = read_file(path, &len)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		return -1;
	}
	doc = js_parse(text, len, err, sizeof(err));
	free(text);
	if (!cJSON_IsArray(doc)) {
		fprintf(stderr, "%s: not a test suite file: %s\n", path, err);
		cJSON_Delete(doc);
		return -1;
	}
	cJSON_ArrayForEach(group, doc) {
		const cJSON *gdesc = cJSON_GetObjectItem(group, "description");
		const cJSON *tests = cJSON_GetObjectItem(group, "tests");
		struct js_schema *s;

		s = js_compile(cJSON_GetObjectItem(group, "schema"), err,
		    sizeof(err));
		cJSON_ArrayForEach(test, tests) {
			const cJSON *tdesc = cJSON_GetObjectItem(test,
			    "description");
			int want = cJSON_IsTrue(cJSON_GetObjectItem(test,
			    "valid"));
			struct js_error errs[4];
			size_t n = 0;
			int got;

			if (s != NULL)
				n = js_validate(s, cJSON_GetObjectItem(test,
				    "data"), errs, nitems(errs));
			got = s != NULL && n == 0;
			if (s != NULL && got == want) {
				t->passed++;
				continue;
			}
			t->failed++;
			printf("FAIL %s: %s: %s: expected %s", label,
			    cJSON_GetStringValue(gdesc),
			    cJSON_GetStringValue(tdesc),
			    want ? "valid" : "invalid");
			if (s == NULL)
				printf(" (schema did not compile: %s)\n", err);
			else if (n > 0)
				printf(" (%s: %s at \"%s\")\n", errs[0].keyword,
				    errs[0].message, errs[0].pointer);
			else
				printf("\n");
		}
		js_free(s);
	}
	cJSON_Delete(doc);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	static const char *formats[] = { "optional/format/date-time.json",
		"optional/format/date.json", "optional/format/time.json" };
	struct tally req = { 0, 0 }, opt = { 0, 0 };
	char **names = NULL;
	size_t nnames = 0, i;
	struct dirent *de;
	char *path;
	DIR *d;
	int files = 0, broken = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SUITE_DRAFT7_DIR [OPTIONAL_FILE...]\n",
		    argv[0]);
		return 2;
	}
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		fprintf(stderr, "FAIL: the JSON Schema test suite is missing "
		    "(apt-get install json-schema-test-suite)\n");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0 &&
		    strcmp(de->d_name, "refRemote.json") != 0) {
			names = xrealloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (nnames > 0)
		qsort(names, nnames, sizeof(*names), name_cmp);
	for (i = 0; i < nnames; i++) {
		path = xasprintf("%s/%s", argv[1], names[i]);
		if (run_file(path, names[i], &req) == -1)
			broken++;
		else
			files++;
		free(path);
		free(names[i]);
	}
	free(names);
	for (i = 0; i < nitems(formats); i++) {
		path = xasprintf("%s/%s", argv[1], formats[i]);
		if (run_file(path, formats[i], &req) == -1)
			broken++;
		else
			files++;
		free(path);
	}
	for (i = 2; i < (size_t)argc; i++)
		if (run_file(argv[i], argv[i], &opt) == -1)
			broken++;
	if (argc > 2)
		printf("optional (informational): %d passed, %d failed\n",
		    opt.passed, opt.failed);
	printf("%d files, %d passed, %d failed\n", files, req.passed,
	    req.failed);
	if (broken > 0 || req.passed == 0) {
		printf("FAIL: %d unreadable files, %d cases ran\n", broken,
		    req.passed + req.failed);
		return 1;
	}
	return req.failed > 0 ? 1 : 0;
}
