/*
 * simpulctl validate: checks a CloudEvent (or, with --schema, any JSON
 * document) the way the hub will, so that an integrator can test a payload
 * before publishing it.
 *
 *   simpulctl validate [--schemas DIR] [FILE|-]    a Simpul CloudEvent
 *   simpulctl validate --schema FILE [FILE|-]       any JSON, one schema
 *
 * Exit status: 0 valid; 1 invalid (every error on stdout, one per line with
 * its JSON pointer), also for input that is not JSON, reported with its
 * line and column; 2 usage errors, unreadable files, unusable schemas.
 *
 * Schemas directory: --schemas, else $SIMPUL_SCHEMAS, else the source
 * tree's schemas/ when it exists (running from a build), else the installed
 * SIMPUL_DATADIR/schemas.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "jsonschema.h"
#include "log.h"
#include "schemaset.h"
#include "util.h"

#define VALIDATE_INPUT_MAX	((size_t)16 << 20)
#define VALIDATE_MAX_ERRORS	256

static void
validate_usage(FILE *out)
{
	fprintf(out,
	    "usage: simpulctl validate [--schemas DIR] [FILE|-]\n"
	    "       simpulctl validate --schema SCHEMA.json [FILE|-]\n"
	    "\n"
	    "Checks a CloudEvent against Simpul's envelope schema and the schema\n"
	    "of its type (or, with --schema, any JSON against one schema).\n"
	    "Reads standard input when FILE is - or missing. Input is limited\n"
	    "to 16 MiB.\n"
	    "\n"
	    "  --schemas DIR   schemas directory (default: $SIMPUL_SCHEMAS, else\n"
	    "                  the source tree's schemas/, else %s/schemas)\n"
	    "  --schema FILE   validate against this JSON Schema (draft-07)\n"
	    "  -h, --help      this text\n"
	    "\n"
	    "Exit status: 0 valid, 1 invalid (errors on stdout, one per line:\n"
	    "\"pointer: keyword: message\"), 2 usage or file errors.\n",
	    SIMPUL_DATADIR);
}

/* Reads a whole file (or stdin for "-") up to max bytes. -1: reported. */
static int
read_input(const char *path, size_t max, struct buf *b)
{
	FILE *f;
	char chunk[65536];
	size_t n;
	int rc = -1;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "simpulctl validate: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	buf_init(b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) == -1) {
			fprintf(stderr, "simpulctl validate: %s: larger than "
			    "%zu bytes\n", path, max);
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "simpulctl validate: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != stdin)
		fclose(f);
	if (rc == -1)
		buf_free(b);
	return rc;
}

/*
 * Reads and parses; 1 on a JSON error, 2 on a file error. JSON errors of
 * the input go to stdout with the other findings; those of a schema file
 * are the user's setup problem and go to stderr.
 */
static int
load_json(const char *path, size_t max, int is_schema, cJSON **out)
{
	struct buf b;
	char err[256];

	*out = NULL;
	if (read_input(path, max, &b) == -1)
		return 2;
	*out = js_parse(b.data != NULL ? b.data : "", b.len, err, sizeof(err));
	buf_free(&b);
	if (*out == NULL) {
		if (is_schema)
			fprintf(stderr, "simpulctl validate: %s: invalid JSON "
			    "at %s\n", path, err);
		else
			printf("invalid JSON at %s\n", err);
		return 1;
	}
	return 0;
}

static const char *
default_schemas_dir(void)
{
	const char *env = getenv("SIMPUL_SCHEMAS");
	struct stat st;

	if (env != NULL && *env != '\0')
		return env;
#ifdef SIMPUL_SRCDIR
	if (stat(SIMPUL_SRCDIR "/schemas", &st) == 0 && S_ISDIR(st.st_mode))
		return SIMPUL_SRCDIR "/schemas";
#else
	(void)st;
#endif
	return SIMPUL_DATADIR "/schemas";
}

static int
validate_with_schema(const char *schema_path, const cJSON *doc)
{
	static struct js_error errs[VALIDATE_MAX_ERRORS];
	struct js_schema *s;
	cJSON *sdoc;
	char err[512], line[JS_POINTER_MAX + JS_MESSAGE_MAX + 64];
	size_t n, i;

	if (load_json(schema_path, VALIDATE_INPUT_MAX, 1, &sdoc) != 0)
		return 2;
	s = js_compile(sdoc, err, sizeof(err));
	cJSON_Delete(sdoc);
	if (s == NULL) {
		fprintf(stderr, "simpulctl validate: %s: invalid schema: %s\n",
		    schema_path, err);
		return 2;
	}
	n = js_validate(s, doc, errs, nitems(errs));
	for (i = 0; i < n && i < nitems(errs); i++) {
		js_error_format(&errs[i], "", line, sizeof(line));
		printf("%s\n", line);
	}
	if (n > nitems(errs))
		printf("... and %zu more errors\n", n - nitems(errs));
	js_free(s);
	if (n == 0)
		printf("valid\n");
	return n == 0 ? 0 : 1;
}

static int
validate_event(const char *dir, const cJSON *doc)
{
	static char diag[65536];
	struct schemaset *set;
	enum event_check ec;
	const cJSON *type;

	if ((set = schemaset_load(dir)) == NULL) {
		fprintf(stderr, "simpulctl validate: cannot load the schemas "
		    "from %s (use --schemas DIR or SIMPUL_SCHEMAS)\n", dir);
		return 2;
	}
	ec = schemaset_check(set, doc, diag, sizeof(diag));
	schemaset_free(set);
	if (ec == EVENT_OK) {
		type = cJSON_GetObjectItemCaseSensitive(doc, "type");
		printf("valid %s event\n", cJSON_GetStringValue(type));
		return 0;
	}
	printf("%s\n", diag);
	fprintf(stderr, "simpulctl validate: invalid event (%s)\n",
	    event_check_name(ec));
	return 1;
}

int
cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "schemas", required_argument, NULL, 'd' },
		{ "schema", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *schema = NULL, *input = "-";
	cJSON *doc = NULL;
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			schema = optarg;
			break;
		case 'h':
			validate_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "simpulctl validate: bad option %s\n",
			    argv[optind - 1]);
			validate_usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		validate_usage(stderr);
		return 2;
	}
	if (argc - optind == 1)
		input = argv[optind];
	if (schema != NULL && dir != NULL) {
		fprintf(stderr, "simpulctl validate: --schema and --schemas "
		    "exclude each other\n");
		return 2;
	}
	if ((rc = load_json(input, VALIDATE_INPUT_MAX, 0, &doc)) != 0)
		return rc;
	if (schema != NULL)
		rc = validate_with_schema(schema, doc);
	else
		rc = validate_event(dir != NULL ? dir : default_schemas_dir(),
		    doc);
	cJSON_Delete(doc);
	return rc;
}
