/*
 * test_jsonschema: what the conformance suite does not pin down: the error
 * pointers and keywords we report (with ~0/~1 escaping), the limits that
 * protect us from hostile instances and broken schemas (depth, $ref loops,
 * comparison budget), Unicode string lengths, floating-point multipleOf,
 * compile errors, and js_parse's positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "testlib.h"
#include "util.h"

static cJSON *
parse(const char *text)
{
	char err[256];
	cJSON *v = js_parse(text, strlen(text), err, sizeof(err));

	if (v == NULL)
		testlib_fail(__FILE__, __LINE__, "parse %s: %s", text, err);
	return v;
}

static struct js_schema *
compile(const char *text)
{
	char err[512];
	cJSON *j = parse(text);
	struct js_schema *s;

	s = js_compile(j, err, sizeof(err));
	if (s == NULL)
		testlib_fail(__FILE__, __LINE__, "compile %s: %s", text, err);
	cJSON_Delete(j);
	return s;
}

/* Number of errors of schema on instance (both JSON text). */
static size_t
run(const char *schema, const char *instance, struct js_error *errs,
    size_t nerrs)
{
	struct js_schema *s = compile(schema);
	cJSON *v = parse(instance);
	size_t n = (size_t)-1;

	if (nerrs > 0)
		memset(errs, 0, nerrs * sizeof(*errs));
	if (s != NULL && v != NULL)
		n = js_validate(s, v, errs, nerrs);
	js_free(s);
	cJSON_Delete(v);
	return n;
}

static int
valid(const char *schema, const char *instance)
{
	return run(schema, instance, NULL, 0) == 0;
}

/* The first error formatted as "pointer: keyword: message". */
static const char *
first_error(const char *schema, const char *instance)
{
	static char line[512];
	struct js_error e[1];
	size_t n = run(schema, instance, e, 1);

	if (n == 0 || n == (size_t)-1)
		return "(valid)";
	js_error_format(&e[0], "", line, sizeof(line));
	return line;
}

static void
test_pointers(void)
{
	struct js_error e[8];

	CHECK_STR(first_error("{\"properties\": {\"data\": {\"properties\": "
	    "{\"speed_kmh\": {\"minimum\": 0}}}}}",
	    "{\"data\": {\"speed_kmh\": -3}}"),
	    "/data/speed_kmh: minimum: -3 is less than 0");
	/* RFC 6901: "~" is "~0" and "/" is "~1". */
	CHECK_STR(first_error("{\"properties\": {\"a/b\": {\"properties\": "
	    "{\"c~d\": {\"type\": \"integer\"}}}}}",
	    "{\"a/b\": {\"c~d\": \"x\"}}"),
	    "/a~1b/c~0d: type: expected integer, got string");
	CHECK_STR(first_error("{\"items\": {\"type\": \"string\"}}",
	    "[\"a\", \"b\", 3]"), "/2: type: expected string, got integer");
	CHECK_STR(first_error("{\"patternProperties\": {\"^x\": {\"items\": "
	    "[true, {\"maximum\": 1}]}}}", "{\"xy\": [0, 1.5]}"),
	    "/xy/1: maximum: 1.5 is greater than 1");
	CHECK_STR(first_error("{\"additionalProperties\": {\"type\": "
	    "\"null\"}}", "{\"\": 1}"), "/: type: expected null, got integer");
	CHECK_STR(first_error("{\"required\": [\"id\"]}", "{}"),
	    "(root): required: property \"id\" is missing");
	CHECK_STR(first_error("{\"additionalProperties\": false}",
	    "{\"a\\nb\": 1}"),
	    "(root): additionalProperties: property \"a\\u000ab\" is not "
	    "allowed");
	/* A control character in a key stays on one line in the pointer. */
	CHECK_STR(first_error("{\"additionalProperties\": {\"type\": "
	    "\"string\"}}", "{\"a\\tb\": 1}"),
	    "/a\\u0009b: type: expected string, got integer");
	CHECK_STR(first_error("{\"$ref\": \"#/definitions/pos\", "
	    "\"definitions\": {\"pos\": {\"properties\": {\"lat\": {\"maximum\":"
	    " 90}}}}}", "{\"lat\": 91}"), "/lat: maximum: 91 is greater than 90");
	CHECK_STR(first_error("{\"not\": {\"type\": \"string\"}}", "\"x\""),
	    "(root): not: value matches a schema it must not match");
	CHECK_STR(first_error("{\"oneOf\": [{\"type\": \"integer\"}, "
	    "{\"minimum\": 0}]}", "5"),
	    "(root): oneOf: value matches alternatives 0 and 1, not exactly "
	    "one");
	CHECK_STR(first_error("{\"uniqueItems\": true}", "[1, {\"a\": 1}, "
	    "1.0]"), "(root): uniqueItems: items 0 and 2 are equal");
	CHECK_STR(first_error("{\"dependencies\": {\"lat\": [\"lon\"]}}",
	    "{\"lat\": 3.1}"), "(root): dependencies: property \"lon\" is "
	    "required when \"lat\" is present");
	CHECK_STR(first_error("{\"items\": false}", "[1]"),
	    "/0: false: no value is allowed here");
	CHECK_STR(first_error("{\"const\": {\"a\": [1, 2]}}",
	    "{\"a\": [1, 2.5]}"), "(root): const: value must be an object");
	CHECK_STR(first_error("{\"exclusiveMinimum\": 0}", "0"),
	    "(root): exclusiveMinimum: 0 is not greater than 0");
	CHECK_STR(first_error("{\"format\": \"date-time\"}",
	    "\"2026-03-12 08:15\""),
	    "(root): format: \"2026-03-12 08:15\" is not a valid date-time");
	/* A prefix joins the pointers of a sub-document to its parent's. */
	CHECK_INT(run("{\"properties\": {\"lat\": {\"maximum\": 90}}}",
	    "{\"lat\": 91}", e, 1), 1);
	{
		char line[256];

		js_error_format(&e[0], "/data", line, sizeof(line));
		CHECK_STR(line, "/data/lat: maximum: 91 is greater than 90");
		e[0].pointer[0] = '\0';
		js_error_format(&e[0], "/data", line, sizeof(line));
		CHECK_STR(line, "/data: maximum: 91 is greater than 90");
	}
}

/* Long pointers are cut with "...", never overrun, at any length. */
static void
test_long_pointer(void)
{
	struct js_schema *s = compile("{\"additionalProperties\": {\"type\": "
	    "\"string\"}}");
	struct js_error e[1];
	char key[400];
	size_t klen, plen;
	cJSON *o;

	for (klen = 240; klen < 260; klen++) {
		memset(key, 'k', klen);
		key[klen] = '\0';
		key[0] = '/';
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, key, 1);
		memset(e[0].pointer, 'x', sizeof(e[0].pointer));
		CHECK_INT(js_validate(s, o, e, 1), 1);
		plen = strnlen(e[0].pointer, sizeof(e[0].pointer));
		CHECK(plen < JS_POINTER_MAX);
		if (klen + 2 < JS_POINTER_MAX - 4)
			CHECK_INT(plen, klen + 2);
		else
			CHECK(strcmp(e[0].pointer + plen - 3, "...") == 0);
		CHECK(strncmp(e[0].pointer, "/~1kk", 5) == 0);
		cJSON_Delete(o);
	}
	js_free(s);
}

/* Every error is reported, in order, and the count includes the overflow. */
static void
test_all_errors(void)
{
	struct js_error e[2];
	const char *schema = "{\"type\": \"object\", \"required\": [\"a\", "
	    "\"b\", \"c\"], \"properties\": {\"x\": {\"type\": \"string\"}}}";

	CHECK_INT(run(schema, "{\"x\": 1}", e, 2), 4);
	CHECK_STR(e[0].keyword, "required");
	CHECK_STR(e[0].message, "property \"a\" is missing");
	CHECK_STR(e[1].message, "property \"b\" is missing");
	CHECK_INT(run(schema, "{\"a\": 1, \"b\": 2, \"c\": 3}", e, 2), 0);
	CHECK_INT(run(schema, "[]", e, 2), 1);
	CHECK_STR(e[0].keyword, "type");
	/* anyOf reports one error for the whole, not its branches' errors. */
	CHECK_INT(run("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 5}]}",
	    "3", e, 2), 1);
	CHECK_STR(e[0].keyword, "anyOf");
	/* if/then reports the errors of the branch taken. */
	CHECK_INT(run("{\"if\": {\"properties\": {\"anonymous\": {\"const\": "
	    "false}}}, \"then\": {\"required\": [\"name\"]}}",
	    "{\"anonymous\": false}", e, 2), 1);
	CHECK_STR(e[0].keyword, "required");
	CHECK_INT(run("{\"if\": {\"properties\": {\"anonymous\": {\"const\": "
	    "false}}}, \"then\": {\"required\": [\"name\"]}}",
	    "{\"anonymous\": true}", e, 2), 0);
}

/* Nested arrays "[[[...1...]]]" of the given depth. */
static char *
nested(int depth)
{
	char *s = xmalloc((size_t)depth * 2 + 2);
	int i;

	for (i = 0; i < depth; i++)
		s[i] = '[';
	s[depth] = '1';
	for (i = 0; i < depth; i++)
		s[depth + 1 + i] = ']';
	s[depth * 2 + 1] = '\0';
	return s;
}

static void
test_depth(void)
{
	const char *schema = "{\"items\": {\"$ref\": \"#\"}, \"type\": "
	    "[\"array\", \"integer\"]}";
	struct js_error e[4];
	char *deep;

	deep = nested(JS_MAX_INSTANCE_DEPTH);
	CHECK_INT(run(schema, deep, e, 4), 0);
	free(deep);
	deep = nested(JS_MAX_INSTANCE_DEPTH + 1);
	CHECK_INT(run(schema, deep, e, 4), 1);
	CHECK_STR(e[0].keyword, "depth");
	/* The pointer of the deepest value reached: 64 times "/0". */
	CHECK_INT(strlen(e[0].pointer), JS_MAX_INSTANCE_DEPTH * 2);
	free(deep);
	/* Far deeper than the limit (cJSON itself stops at 1000). */
	deep = nested(900);
	CHECK_INT(run(schema, deep, e, 4), 1);
	CHECK_STR(e[0].keyword, "depth");
	/* In a speculative branch the limit fails the branch quietly. */
	CHECK_INT(run("{\"anyOf\": [{\"items\": {\"$ref\": \"#\"}}]}", deep, e,
	    4), 1);
	CHECK_STR(e[0].keyword, "anyOf");
	free(deep);
	/* Values the schema does not descend into may be as deep as cJSON
	 * allows: nothing walks them. */
	deep = nested(900);
	CHECK(valid("{\"type\": \"array\"}", deep));
	free(deep);
}

static void
test_ref_loops(void)
{
	char err[256];
	struct js_error e[4];
	struct js_schema *s;
	cJSON *j;

	/* Pure $ref cycles are refused at compile time. */
	j = parse("{\"$ref\": \"#\"}");
	CHECK((s = js_compile(j, err, sizeof(err))) == NULL);
	CHECK(strstr(err, "$ref loop") != NULL);
	cJSON_Delete(j);
	j = parse("{\"definitions\": {\"a\": {\"$ref\": \"#/definitions/b\"}, "
	    "\"b\": {\"$ref\": \"#/definitions/a\"}}, \"properties\": {\"x\": "
	    "{\"$ref\": \"#/definitions/a\"}}}");
	CHECK((s = js_compile(j, err, sizeof(err))) == NULL);
	cJSON_Delete(j);
	/* A cycle through allOf is a legal schema: caught at run time. */
	CHECK_INT(run("{\"definitions\": {\"a\": {\"allOf\": [{\"$ref\": "
	    "\"#/definitions/a\"}]}}, \"$ref\": \"#/definitions/a\"}", "1", e,
	    4), 1);
	CHECK_STR(e[0].keyword, "$ref");
	/* So is a cycle that does consume the instance: it ends with it. */
	CHECK(valid("{\"properties\": {\"next\": {\"$ref\": \"#\"}}}",
	    "{\"next\": {\"next\": {\"next\": {}}}}"));
	CHECK(!valid("{\"properties\": {\"next\": {\"$ref\": \"#\"}}, "
	    "\"additionalProperties\": false}",
	    "{\"next\": {\"next\": {\"x\": 1}}}"));
	/* Unresolvable references fail compilation with their URI. */
	j = parse("{\"$ref\": \"#/definitions/missing\"}");
	CHECK(js_compile(j, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "#/definitions/missing") != NULL);
	cJSON_Delete(j);
	j = parse("{\"$ref\": \"http://example.com/other.json\"}");
	CHECK(js_compile(j, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "remote") != NULL);
	cJSON_Delete(j);
}

static void
test_refs(void)
{
	/* Location-independent identifier. */
	CHECK(valid("{\"$ref\": \"#pos\", \"definitions\": {\"p\": {\"$id\": "
	    "\"#pos\", \"type\": \"number\"}}}", "3"));
	CHECK(!valid("{\"$ref\": \"#pos\", \"definitions\": {\"p\": {\"$id\": "
	    "\"#pos\", \"type\": \"number\"}}}", "\"x\""));
	/* Relative refs against a changed base URI. */
	CHECK(!valid("{\"$id\": \"https://simpul.example/schemas/a.json\", "
	    "\"properties\": {\"b\": {\"$ref\": \"b.json\"}}, \"definitions\": "
	    "{\"b\": {\"$id\": \"b.json\", \"type\": \"string\"}}}",
	    "{\"b\": 1}"));
	CHECK(valid("{\"$id\": \"https://simpul.example/schemas/a.json\", "
	    "\"properties\": {\"b\": {\"$ref\": \"./sub/../b.json#/definitions/"
	    "s\"}}, \"definitions\": {\"b\": {\"$id\": \"b.json\", "
	    "\"definitions\": {\"s\": {\"type\": \"string\"}}}}}",
	    "{\"b\": \"x\"}"));
	/* The embedded draft-07 metaschema. */
	CHECK(valid("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}",
	    "{\"type\": \"integer\", \"minimum\": 0}"));
	CHECK(!valid("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}",
	    "{\"type\": \"integr\"}"));
	CHECK(!valid("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}",
	    "{\"minLength\": -1}"));
	/* %-escapes in pointers. */
	CHECK(!valid("{\"a b\": {\"type\": \"string\"}, \"$ref\": "
	    "\"#/a%20b\"}", "1"));
}

static void
test_unicode(void)
{
	/* Code points, not bytes: "é" is 2 bytes, "日本語" 9, "𝄞" 4. */
	CHECK(valid("{\"maxLength\": 5}", "\"h\\u00e9llo\""));
	CHECK(valid("{\"maxLength\": 5}", "\"héllo\""));
	CHECK(!valid("{\"maxLength\": 4}", "\"héllo\""));
	CHECK(valid("{\"minLength\": 3, \"maxLength\": 3}", "\"日本語\""));
	CHECK(!valid("{\"maxLength\": 2}", "\"日本語\""));
	CHECK(valid("{\"maxLength\": 1}", "\"\\ud834\\udd1e\""));
	CHECK(valid("{\"maxLength\": 1}", "\"𝄞\""));
	CHECK_STR(first_error("{\"maxLength\": 2}", "\"日本語\""),
	    "(root): maxLength: string of 3 characters is longer than 2");
	/* Patterns match characters too (UTF mode). */
	CHECK(valid("{\"pattern\": \"^.{3}$\"}", "\"日本語\""));
	CHECK(valid("{\"pattern\": \"^[a-z ]+ br [A-Z][a-z]+$\"}",
	    "\"rosmawati br Ginting\""));
	/* ECMA-262: "$" does not match before a final newline. */
	CHECK(!valid("{\"pattern\": \"^abc$\"}", "\"abc\\n\""));
}

static void
test_multiple_of(void)
{
	CHECK(valid("{\"multipleOf\": 0.0001}", "0.0075"));
	CHECK(!valid("{\"multipleOf\": 0.0001}", "0.00751"));
	CHECK(valid("{\"multipleOf\": 0.01}", "19.99"));
	CHECK(valid("{\"multipleOf\": 0.1}", "0.3"));
	CHECK(valid("{\"multipleOf\": 0.01}", "1234567.89"));
	CHECK(!valid("{\"multipleOf\": 0.01}", "12345678.905"));
	CHECK(valid("{\"multipleOf\": 1.5}", "4.5"));
	CHECK(!valid("{\"multipleOf\": 1.5}", "35"));
	CHECK(!valid("{\"multipleOf\": 3}", "10"));
	CHECK(valid("{\"multipleOf\": 1000}", "487500000"));
	/* Integer divisors are exact, even past 2^53 / 1e12. */
	CHECK(!valid("{\"multipleOf\": 1}", "1000000000000.5"));
	CHECK(valid("{\"multipleOf\": 2}", "9007199254740994"));
	/* A quotient that overflows is not a multiple (and no crash). */
	CHECK(!valid("{\"multipleOf\": 0.123456789}", "1e308"));
	CHECK(valid("{\"multipleOf\": 0.5}", "0"));
	CHECK(valid("{\"multipleOf\": 0.5}", "-2.5"));
	CHECK_STR(first_error("{\"multipleOf\": 0.0001}", "0.00751"),
	    "(root): multipleOf: 0.00751 is not a multiple of 0.0001");
}

static void
test_numbers(void)
{
	/* 1.0 is an integer in draft-07; big integral doubles too. */
	CHECK(valid("{\"type\": \"integer\"}", "1.0"));
	CHECK(valid("{\"type\": \"integer\"}", "1e15"));
	CHECK(!valid("{\"type\": \"integer\"}", "1.5"));
	CHECK(valid("{\"type\": \"integer\"}", "-0"));
	CHECK(valid("{\"enum\": [1]}", "1.0"));
	CHECK(valid("{\"const\": {\"a\": 1, \"b\": [true, null]}}",
	    "{\"b\": [true, null], \"a\": 1.0}"));
	CHECK(!valid("{\"const\": {\"a\": 1}}", "{\"a\": 1, \"b\": 2}"));
	CHECK(!valid("{\"uniqueItems\": true}", "[{\"a\": 1, \"b\": 2}, "
	    "{\"b\": 2, \"a\": 1}]"));
	CHECK(valid("{\"uniqueItems\": true}", "[[1], [true], [\"1\"]]"));
	CHECK(valid("{\"maximum\": 1000000000000000}", "1000000000000000"));
	CHECK(!valid("{\"maximum\": 1000000000000000}", "1000000000000001"));
	/* Beyond double range: cJSON gives inf, which is not an integer. */
	CHECK(!valid("{\"type\": \"integer\"}", "1e400"));
}

/* Deep comparisons have a budget, so uniqueItems cannot take forever. */
static void
test_budget(void)
{
	struct js_schema *s = compile("{\"uniqueItems\": true}");
	struct js_error e[1];
	cJSON *a = cJSON_CreateArray();
	size_t i;

	/* 6000 distinct numbers: 18M comparisons, over the budget. */
	for (i = 0; i < 6000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)i));
	CHECK_INT(js_validate(s, a, e, 1), 1);
	CHECK_STR(e[0].keyword, "uniqueItems");
	CHECK_STR(e[0].message, "array too large to compare its items");
	cJSON_Delete(a);
	/* 1000 is fine (500k comparisons). */
	a = cJSON_CreateArray();
	for (i = 0; i < 1000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)i));
	CHECK_INT(js_validate(s, a, e, 1), 0);
	cJSON_Delete(a);
	js_free(s);
}

static void
test_compile_errors(void)
{
	static const struct {
		const char *schema, *err;
	} cases[] = {
		{ "{\"type\": \"integr\"}", "/type: unknown type \"integr\"" },
		{ "{\"minLength\": -1}", "/minLength: must be a non-negative "
		  "integer" },
		{ "{\"multipleOf\": 0}", "/multipleOf: must be greater than 0" },
		{ "{\"properties\": {\"a\": {\"pattern\": \"(\"}}}",
		  "/properties/a/pattern: invalid regular expression at offset "
		  "1: missing closing parenthesis" },
		{ "{\"allOf\": []}", "/allOf: must be a non-empty array of "
		  "schemas" },
		{ "{\"items\": [true, 3]}", "/items/1: a schema must be an "
		  "object or a boolean" },
		{ "{\"required\": [\"a\", 1]}", "/required: must be an array "
		  "of strings" },
		{ "3", "(root): a schema must be an object or a boolean" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		cJSON *j = parse(cases[i].schema);
		struct js_schema *s = js_compile(j, err, sizeof(err));

		CHECK(s == NULL);
		CHECK_STR(err, cases[i].err);
		js_free(s);
		cJSON_Delete(j);
	}
	CHECK(js_compile(NULL, err, sizeof(err)) == NULL);
	js_free(NULL);
}

static void
test_parse(void)
{
	char err[128];
	cJSON *v;

	v = js_parse("{\n  \"a\": 1,\n  \"b\": tru\n}", 24, err, sizeof(err));
	CHECK(v == NULL);
	CHECK_STR(err, "line 3 column 8: syntax error");
	v = js_parse("{} x", 4, err, sizeof(err));
	CHECK(v == NULL);
	CHECK_STR(err, "line 1 column 4: unexpected data after the JSON "
	    "value");
	v = js_parse("", 0, err, sizeof(err));
	CHECK(v == NULL);
	CHECK_STR(err, "line 1 column 1: empty input");
	v = js_parse("[\"a\xff\"]", 5, err, sizeof(err));
	CHECK(v == NULL);
	CHECK_STR(err, "line 1 column 4: invalid UTF-8");
	/* Overlong encoding of "/" and a UTF-16 surrogate in UTF-8. */
	CHECK(js_parse("\"\xc0\xaf\"", 4, err, sizeof(err)) == NULL);
	CHECK(js_parse("\"\xed\xa0\x80\"", 5, err, sizeof(err)) == NULL);
	/* Not NUL-terminated: only len bytes are read. */
	v = js_parse("[1, 2]garbage", 6, err, sizeof(err));
	CHECK(cJSON_IsArray(v));
	cJSON_Delete(v);
	v = js_parse(" {\"k\": \"Kabanjahe\"}\r\n", 21, err, sizeof(err));
	CHECK(cJSON_IsObject(v));
	cJSON_Delete(v);
}

int
main(void)
{
	test_pointers();
	test_long_pointer();
	test_all_errors();
	test_depth();
	test_ref_loops();
	test_refs();
	test_unicode();
	test_multiple_of();
	test_numbers();
	test_budget();
	test_compile_errors();
	test_parse();
	return testlib_done();
}
