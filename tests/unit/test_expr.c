/*
 * test_expr: the rule predicate language (hub/expr.c).
 *
 * Most checks compile an expression, evaluate it against a realistic
 * CloudEvent and compare expr_eval_debug()'s text with the expected result,
 * so a wrong value is visible in the failure message; each also checks that
 * expr_eval() agrees (1 only for "true"). Parse errors are checked for the
 * exact "line L, column C: message" text.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "expr.h"
#include "testlib.h"

static const char *event_gps =
    "{\"specversion\": \"1.0\","
    " \"id\": \"0190f3a2-7b1c-7d4e-9a2b-3c4d5e6f7a8b\","
    " \"source\": \"/karo/dishub/gps\","
    " \"type\": \"gps.position\","
    " \"time\": \"2026-11-27T10:00:00Z\","
    " \"datacontenttype\": \"application/json\","
    " \"subject\": \"BK 1234 KA\","
    " \"opd\": \"dishub\","
    " \"data\": {"
    "   \"device_id\": \"353419031234567\","
    "   \"speed_kmh\": 92.5,"
    "   \"location\": {\"lat\": 3.1052, \"lon\": 98.4913},"
    "   \"alarm\": \"sos\","
    "   \"list\": [10, \"dua\", true, null, {\"x\": 1}],"
    "   \"empty\": {},"
    "   \"nothing\": null,"
    "   \"name\": \"Kabanjahe \\u2013 Berastagi \\u00f1 \\u65e5\\u672c\","
    "   \"tags\": [\"jalan\", \"banjir\"],"
    "   \"flags\": {\"a\": 1, \"b\": 2},"
    "   \"zero\": 0,"
    "   \"n\": 7,"
    "   \"big\": 1e300,"
    "   \"long\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\","
    "   \"reporter\": {\"name\": \"Budi\", \"contact\": \"0812\"},"
    "   \"nilai\": 1500000000,"
    "   \"category\": \"jalan\","
    "   \"with space\": \"x\""
    " }}";

static struct expr_env env;

static void
check_eval(const char *file, int line, const struct expr_env *en,
    const char *src, const char *want)
{
	char err[256], out[512];
	struct expr *e;
	int r, r2;

	if ((e = expr_compile(src, err, sizeof(err))) == NULL) {
		testlib_fail(file, line, "compile \"%s\": %s", src, err);
		return;
	}
	r = expr_eval_debug(e, en, out, sizeof(out));
	r2 = expr_eval(e, en);
	if (strcmp(out, want) != 0)
		testlib_fail(file, line, "\"%s\" gave %s, want %s", src, out,
		    want);
	else if (r != r2 || r != (strcmp(want, "true") == 0))
		testlib_fail(file, line, "\"%s\": expr_eval %d, debug %d",
		    src, r2, r);
	else
		testlib_passed++;
	expr_free(e);
}

static void
check_perr(const char *file, int line, const char *src, const char *want)
{
	char err[256];
	struct expr *e;

	if ((e = expr_compile(src, err, sizeof(err))) != NULL) {
		testlib_fail(file, line, "\"%s\" compiled, want error %s", src,
		    want);
		expr_free(e);
		return;
	}
	if (strcmp(err, want) != 0)
		testlib_fail(file, line, "\"%s\": error \"%s\", want \"%s\"",
		    src, err, want);
	else
		testlib_passed++;
}

#define EV(src, want) check_eval(__FILE__, __LINE__, &env, src, want)
#define EV_ON(en, src, want) check_eval(__FILE__, __LINE__, en, src, want)
#define PERR(src, want) check_perr(__FILE__, __LINE__, src, want)

static void
test_arithmetic(void)
{
	EV("1 + 2", "3");
	EV("7 - 10", "-3");
	EV("6 * 7", "42");
	EV("7 / 2", "3");
	EV("-7 / 2", "-3");
	EV("7 % 3", "1");
	EV("-7 % 3", "-1");
	EV("1.5 + 1", "2.5");
	EV("7.0 / 2", "3.5");
	EV("data.speed_kmh * 2", "185.0");
	EV("data.n - 2", "5.0");
	EV("1u + 2u", "3u");
	EV("0x1F + 1", "32");
	EV("1e3", "1000.0");
	EV("1e15", "1e+15");
	EV("0.1 + 0.2", "0.30000000000000004");
	EV("string(1e3)", "\"1000\"");
	EV(".5 + .25", "0.75");
	EV("1 + 1u", "error: no matching overload for '_+_' applied to "
	    "(int, uint)");
	EV("0u - 1u", "error: integer overflow");
	EV("9223372036854775807 + 1", "error: integer overflow");
	EV("-9223372036854775807 - 2", "error: integer overflow");
	EV("4611686018427387904 * 2", "error: integer overflow");
	EV("-9223372036854775808", "-9223372036854775808");
	EV("-9223372036854775808 / -1", "error: integer overflow");
	EV("-(-9223372036854775808)", "error: integer overflow");
	EV("- -5", "5");
	EV("-data.n", "-7.0");
	EV("-'a'", "error: no matching overload for '-_' applied to "
	    "(string)");
	/* Division by zero, integer and double alike. */
	EV("1 / 0", "error: division by zero");
	EV("1 % 0", "error: modulus by zero");
	EV("1u / 0u", "error: division by zero");
	EV("data.speed_kmh / 0", "error: division by zero");
	EV("data.speed_kmh / data.zero", "error: division by zero");
	EV("1.5 % 1.0", "error: no matching overload for '_%_' applied to "
	    "(double, double)");
	EV("'a' + 'b'", "\"ab\"");
	EV("type + '/' + opd", "\"gps.position/dishub\"");
	EV("'a' - 'b'", "error: no matching overload for '_-_' applied to "
	    "(string, string)");
	EV("[1] + [2]", "error: no matching overload for '_+_' applied to "
	    "(list, list)");
}

static void
test_comparison(void)
{
	EV("1 < 2", "true");
	EV("2 <= 2", "true");
	EV("3 > 2", "true");
	EV("2 >= 3", "false");
	EV("1 == 1.0", "true");
	EV("1 != 1.0", "false");
	EV("1u == 1", "true");
	EV("-1 < 1u", "true");
	EV("2.5 > 2", "true");
	EV("'abc' < 'abd'", "true");
	EV("'ab' < 'abc'", "true");
	EV("'b' > 'abc'", "true");
	EV("true > false", "true");
	EV("null == null", "true");
	EV("1 == 'a'", "false");
	EV("1 != 'a'", "true");
	EV("null == 0", "false");
	EV("data.speed_kmh > 80", "true");
	EV("data.speed_kmh == 92.5", "true");
	EV("data.nilai == 1500000000", "true");
	/* Exact across types: 2^53 + 1 is not the double 2^53. */
	EV("9007199254740993 > 9007199254740992.0", "true");
	EV("9007199254740993 == 9007199254740992.0", "false");
	EV("data.big > 9223372036854775807", "true");
	EV("data.big > 18446744073709551615u", "true");
	EV("data.speed_kmh > '80'", "error: no matching overload for '_>_' "
	    "applied to (double, string)");
	EV("null < 1", "error: no matching overload for '_<_' applied to "
	    "(null_type, int)");
	EV("[1, 2] == [1, 2]", "true");
	EV("[1, 2] == [1, 2.0]", "true");
	EV("[1] == [1, 2]", "false");
	EV("[1, 'a'] != [1, 'b']", "true");
	EV("data.flags == data.flags", "true");
	EV("data.flags == data.location", "false");
	EV("data.tags == ['jalan', 'banjir']", "true");
	EV("data.tags == ['banjir', 'jalan']", "false");
	EV("data.list == [10, 'dua', true, null, data.list[4]]", "true");
	/* A false element pair decides over an error in another. */
	EV("[1, 1 / 0] == [2, 1]", "false");
	EV("[1, 1 / 0] == [1, 1]", "error: division by zero");
}

static void
test_precedence(void)
{
	EV("1 + 2 * 3", "7");
	EV("(1 + 2) * 3", "9");
	EV("10 - 2 - 3", "5");
	EV("100 / 10 / 5", "2");
	EV("-2 * 3", "-6");
	EV("2 * -3", "-6");
	EV("1 + 2 == 3", "true");
	EV("1 < 2 == true", "true");
	EV("1 + 1 in [2]", "true");
	EV("'a' in ['a'] == true", "true");
	EV("true || false && false", "true");
	EV("(true || false) && false", "false");
	EV("!true || true", "true");
	EV("!(true || true)", "false");
	EV("false ? 1 : 2", "2");
	EV("true ? 1 : false ? 2 : 3", "1");
	EV("false ? 1 : false ? 2 : 3", "3");
	EV("false ? 1 : true ? 2 : 3", "2");
	EV("1 < 2 && 2 < 3 ? 'ya' : 'tidak'", "\"ya\"");
	EV("// a comment\n  1 + // another\n 1", "2");
}

static void
test_logic(void)
{
	EV("true && true", "true");
	EV("true && false", "false");
	EV("false || false", "false");
	EV("!false", "true");
	EV("!!true", "true");
	EV("!1", "error: no matching overload for '!_' applied to (int)");
	/* Commutative about errors (langdef.md, "Logical Operators"). */
	EV("data.missing || true", "true");
	EV("true || data.missing", "true");
	EV("data.missing && false", "false");
	EV("false && data.missing", "false");
	EV("data.missing && true", "error: no such key 'missing'");
	EV("true && data.missing", "error: no such key 'missing'");
	EV("data.missing || false", "error: no such key 'missing'");
	EV("1 || true", "true");
	EV("1 && true", "error: no matching overload for '_&&_' applied to "
	    "(int)");
	EV("1 / 0 > 1 || type == 'gps.position'", "true");
	EV("1 / 0 > 1 && type == 'gps.position'", "error: division by zero");
	EV("true && true && data.x.y && false", "false");
	EV("data.a || data.b || true || data.c", "true");
	/* The conditional evaluates only the branch it takes. */
	EV("true ? true : data.missing", "true");
	EV("1 / 0 == 1 ? true : true", "error: division by zero");
	EV("1 ? true : false", "error: no matching overload for '_?_:_' "
	    "applied to (int)");
}

static void
test_in(void)
{
	EV("data.alarm in ['sos', 'power_cut']", "true");
	EV("'vibration' in ['sos', 'power_cut']", "false");
	EV("'x' in []", "false");
	EV("'a' in data.flags", "true");
	EV("'z' in data.flags", "false");
	EV("1 in data.flags", "false");
	EV("10 in data.list", "true");
	EV("'dua' in data.list", "true");
	EV("null in data.list", "true");
	EV("11 in data.list", "false");
	EV("'jalan' in data.tags", "true");
	EV("[1, 2] in [[1, 2], [3]]", "true");
	EV("'x' in 'xyz'", "error: no matching overload for '@in' applied "
	    "to (string, string)");
	EV("data.missing in [1]", "error: no such key 'missing'");
	EV("1 in [data.missing]", "error: no such key 'missing'");
	EV("2 in [1, 2, data.missing]", "error: no such key 'missing'");
	EV("data.missing in []", "error: no such key 'missing'");
}

static void
test_paths(void)
{
	EV("type", "\"gps.position\"");
	EV(".type", "\"gps.position\"");
	EV("specversion == '1.0'", "true");
	EV("id", "\"0190f3a2-7b1c-7d4e-9a2b-3c4d5e6f7a8b\"");
	EV("source", "\"/karo/dishub/gps\"");
	EV("time", "\"2026-11-27T10:00:00Z\"");
	EV("time >= '2026-11-27T00:00:00Z'", "true");
	EV("datacontenttype", "\"application/json\"");
	EV("opd == 'dishub'", "true");
	EV("subject", "\"BK 1234 KA\"");
	EV("dataschema", "error: no such key 'dataschema'");
	EV("data.location.lat", "3.1052");
	EV("data.location.lat > 3 && data.location.lon < 99", "true");
	EV("data['location']['lon']", "98.4913");
	EV("data.location['lat'] > 3", "true");
	EV("data['with space']", "\"x\"");
	EV("data.list[0]", "10.0");
	EV("data.list[1]", "\"dua\"");
	EV("data.list[4].x", "1.0");
	EV("data.list[4]['x'] == 1", "true");
	EV("data.list[10]", "error: index out of range");
	EV("data.list[-1]", "error: index out of range");
	EV("data.tags[data.n - 6]", "\"banjir\"");
	EV("data.tags[1u]", "\"banjir\"");
	EV("data.tags[1.5]", "error: no matching overload for '_[_]' "
	    "applied to (list, double)");
	EV("data.flags[1]", "error: no matching overload for '_[_]' "
	    "applied to (map, int)");
	EV("data.flags[data.alarm]", "error: no such key 'sos'");
	EV("data.flags['a' + '']", "1.0");
	EV("[1, 2, 3][1]", "2");
	EV("(data.location).lat > 3", "true");
	EV("(data).nope", "error: no such key 'nope'");
	EV("(data.alarm).x", "error: cannot select field 'x' from a string");
	EV("data.tags", "[\"jalan\",\"banjir\"]");
	EV("data.flags", "{\"a\":1,\"b\":2}");
	EV("[1, 'a', [true]]", "[1, \"a\", [true]]");
	/* Missing fields and type errors: no match, never a crash. */
	EV("data.missing > 1", "error: no such key 'missing'");
	EV("data.missing.deeper.still == 1", "error: no such key 'missing'");
	EV("data.speed_kmh.x", "error: cannot select field 'x' from a "
	    "double");
	EV("data.nothing == null", "true");
	EV("data.nothing.x", "error: cannot select field 'x' from a "
	    "null_type");
	EV("data.empty == data.empty", "true");
	EV("data.speed_kmh[0]", "error: no matching overload for '_[_]' "
	    "applied to (double, int)");
}

static void
test_has(void)
{
	EV("has(data.speed_kmh)", "true");
	EV("has(data.missing)", "false");
	EV("!has(data.missing)", "true");
	EV("has(data.reporter.contact)", "true");
	EV("!has(data.reporter.email)", "true");
	/* Missing or null on the way: false, not an error. */
	EV("has(data.nobody.contact)", "false");
	EV("has(data.nothing.x)", "false");
	EV("has(data.list[4].x)", "true");
	EV("has(data.list[9].x)", "false");
	EV("has(data.name.x)", "error: cannot select field 'x' from a "
	    "string");
	EV("has(subject)", "true");
	EV("has(dataschema)", "false");
	EV("has(topic)", "true");
	EV("has(data.nothing)", "true");
	EV("has((data.location).lat)", "true");
	EV("has((data.location).alt)", "false");
	EV("has((data.alarm).x)", "error: cannot select field 'x' from a "
	    "string");
}

static void
test_functions(void)
{
	EV("size('h\\u00e9llo')", "5");
	EV("'\\u65e5\\u672c'.size()", "2");
	EV("data.tags.size()", "2");
	EV("size(data.flags)", "2");
	EV("size(data.empty)", "0");
	EV("size([1, 2, 3])", "3");
	EV("size(data.list) == 5", "true");
	EV("size(1)", "error: no matching overload for 'size' applied to "
	    "(int)");
	EV("type.startsWith('gps.')", "true");
	EV("type.endsWith('.position')", "true");
	EV("type.contains('pos')", "true");
	EV("type.contains('')", "true");
	EV("type.contains('gps.position.x')", "false");
	EV("''.startsWith('a')", "false");
	EV("subject.startsWith('BK')", "true");
	EV("subject.endsWith('KB')", "false");
	EV("data.speed_kmh.startsWith('9')", "error: no matching overload "
	    "for 'startsWith' applied to (double, string)");
	EV("type.startsWith(1)", "error: no matching overload for "
	    "'startsWith' applied to (string, int)");
	EV("data.missing.startsWith('x')", "error: no such key 'missing'");
	/* Conversions. */
	EV("int('42') == 42", "true");
	EV("int(data.speed_kmh)", "92");
	EV("int(-2.9)", "-2");
	EV("int('4x')", "error: cannot convert '4x' to int");
	EV("int(' 4')", "error: cannot convert ' 4' to int");
	EV("int(1e300)", "error: integer overflow");
	EV("int(data.nilai) >= 1000000000", "true");
	EV("uint(5)", "5u");
	EV("uint(-1)", "error: integer overflow");
	EV("uint('18446744073709551615')", "18446744073709551615u");
	EV("double('1.5')", "1.5");
	EV("double(3)", "3.0");
	EV("string(42)", "\"42\"");
	EV("string(data.speed_kmh)", "\"92.5\"");
	EV("string(true)", "\"true\"");
	EV("string(7u)", "\"7\"");
	EV("string(null)", "error: no matching overload for 'string' "
	    "applied to (null_type)");
	EV("'n=' + string(data.n) == 'n=7'", "true");
}

static void
test_strings(void)
{
	EV("data.name == 'Kabanjahe \\u2013 Berastagi \\u00f1 \\u65e5\\u672c'",
	    "true");
	EV("data.name == 'Kabanjahe – Berastagi ñ 日本'", "true");
	EV("data.name.contains('日本')", "true");
	EV("data.name.size()", "26");
	EV("'\\u65e5\\u672c' == '日本'", "true");
	EV("'\\U0001F691'.size()", "1");
	EV("'\\uD83D\\uDE91' == '\\U0001F691'", "true");
	EV("'\\xe9' == 'é'", "true");
	EV("'\\303\\251' == '\\u00c3\\u00a9'", "true");
	EV("\"a\\\"b\" == 'a\"b'", "true");
	EV("'\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\`'.size()", "10");
	EV("r'\\d+' == '\\\\d+'", "true");
	EV("R\"\\n\".size()", "2");
	EV("'''a'b'''", "\"a'b\"");
	EV("\"\"\"line1\nline2\"\"\".contains('\\n')", "true");
	EV("'tab\\there'", "\"tab\\there\"");
	EV("'a\\x00b'.size()", "3");
	/* A key with a NUL byte does not match a shorter key. */
	EV("data['alarm\\x00x']", "error: no such key 'alarm'");
}

static void
test_matches(void)
{
	EV("subject.matches('^BK [0-9]+ [A-Z]+$')", "true");
	EV("subject.matches('^B[0-9]')", "false");
	EV("type.matches('^sp2d\\\\.')", "false");
	EV("type.matches(r'^gps\\.')", "true");
	EV("data.name.matches('日本$')", "true");
	EV("data.name.matches('^.{26}$')", "true");
	EV("matches(type, 'pos')", "true");
	EV("data.speed_kmh.matches('9')", "error: no matching overload for "
	    "'matches' applied to (double)");
	/* Catastrophic backtracking stops at the match limit. */
	EV("data.long.matches('^(a|aa)+$')", "error: regular expression: "
	    "match limit exceeded");
}

static void
test_topic_env(void)
{
	struct expr_env notopic = { env.event, NULL };
	struct expr_env noevent = { NULL, "karo/ev/dishub/gps/gps.position" };

	EV("topic == 'karo/ev/dishub/gps/gps.position'", "true");
	EV("topic.startsWith('karo/ev/dishub/')", "true");
	EV("topic.matches('^karo/ev/[^/]+/gps/')", "true");
	EV_ON(&notopic, "topic == 'x'", "error: no MQTT topic given");
	EV_ON(&notopic, "has(topic)", "false");
	EV_ON(&noevent, "type == 'x'", "error: no such key 'type'");
	EV_ON(&noevent, "topic.endsWith('gps.position')", "true");
	EV_ON(NULL, "1 == 1", "true");
}

static void
test_limits_eval(void)
{
	char src[EXPR_SCRATCH + 64];
	size_t i, n = EXPR_SCRATCH / 2 + 8;

	/* Built up below; src must hold the 20-level expression too. */

	/* '+' on strings uses a fixed scratch buffer: past it, an error. */
	src[0] = '\'';
	for (i = 1; i <= n; i++)
		src[i] = 'a';
	memcpy(src + i, "' + data.alarm + data.alarm", 28);
	EV(src, "error: strings built by this expression exceed 2048 bytes");
	memcpy(src + i, "'.size() > 1", 13);
	EV(src, "true");
	/*
	 * The evaluation budget: each level compares a one-element list
	 * literal with four others, so the innermost level would be
	 * evaluated 4^20 times without it.
	 */
	memcpy(src, "true", 5);
	for (i = 0; i < 20; i++) {
		static const char tail[] = "] in [[false], [false], [false], "
		    "[true]]";
		size_t len = strlen(src);

		if (len + sizeof(tail) + 1 > sizeof(src))
			break;
		memmove(src + 1, src, len);
		src[0] = '[';
		memcpy(src + 1 + len, tail, sizeof(tail));
	}
	CHECK_INT(i, 20);
	EV(src, "error: evaluation cost limit exceeded (100000 steps)");
	/* An ordinary rule stays far below it. */
	EV("[true] in [[false], [false], [false], [true]]", "true");
}

/* Equality descends at most EXPR_MAX_EQ_DEPTH (64) levels. */
static void
test_deep_json(void)
{
	char json[1024];
	struct expr_env en = { NULL, NULL };
	cJSON *ev;
	size_t i, n = 0;

	n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"data\": ");
	for (i = 0; i < 100; i++)
		json[n++] = '[';
	for (i = 0; i < 100; i++)
		json[n++] = ']';
	snprintf(json + n, sizeof(json) - n, "}");
	ev = cJSON_Parse(json);
	CHECK(ev != NULL);
	en.event = ev;
	EV_ON(&en, "data == data", "error: values nested too deeply to "
	    "compare");
	EV_ON(&en, "size(data) == 1", "true");
	cJSON_Delete(ev);
}

static void
test_parse_errors(void)
{
	char big[EXPR_MAX_SOURCE + 2], buf[4200], small[16];
	struct expr *e;
	size_t i, n;

	PERR("type == \"abc", "line 1, column 9: unterminated string literal");
	PERR("type == 'a\nb'", "line 1, column 9: unterminated string literal");
	PERR("'''abc''", "line 1, column 1: unterminated string literal");
	PERR("type == \"a\\qb\"",
	    "line 1, column 11: invalid escape sequence '\\q'");
	PERR("'\\u12'", "line 1, column 2: invalid escape sequence '\\u'");
	PERR("'\\uDC00'", "line 1, column 2: invalid escape sequence '\\u'");
	PERR("'ab\\uD800x'", "line 1, column 4: invalid escape sequence '\\u'");
	PERR("'\\U00110000'",
	    "line 1, column 2: invalid escape sequence '\\U'");
	PERR("'\\400'", "line 1, column 2: invalid escape sequence '\\4'");
	PERR("'\\x4'", "line 1, column 2: invalid escape sequence '\\x'");
	PERR("(type == \"a\"",
	    "line 1, column 13: expected ')' but found end of expression");
	PERR("((1 + 2) * 3", "line 1, column 13: expected ')' but found end "
	    "of expression");
	PERR("type == \"a\")",
	    "line 1, column 12: unexpected ')' after a complete expression");
	PERR("size(data.tags", "line 1, column 15: expected ')' after the "
	    "arguments but found end of expression");
	PERR("[1, 2", "line 1, column 6: expected ',' or ']' in the list but "
	    "found end of expression");
	PERR("data.tags[0", "line 1, column 12: expected ']' but found end "
	    "of expression");
	PERR("type == \"a\" opd", "line 1, column 13: unexpected 'opd' after "
	    "a complete expression");
	PERR("1 2", "line 1, column 3: unexpected '2' after a complete "
	    "expression");
	PERR("foo(1)", "line 1, column 1: unknown function 'foo'");
	PERR("type.lower()", "line 1, column 6: unknown function 'lower'");
	PERR("size(1, 2)", "line 1, column 1: wrong number of arguments to "
	    "'size' (expected 1, got 2)");
	PERR("size()", "line 1, column 1: wrong number of arguments to "
	    "'size' (expected 1, got 0)");
	PERR("type.startsWith()", "line 1, column 6: wrong number of "
	    "arguments to 'startsWith' (expected 1, got 0)");
	PERR("type.contains('a', 'b')", "line 1, column 6: wrong number of "
	    "arguments to 'contains' (expected 1, got 2)");
	PERR("type.size(1)", "line 1, column 6: wrong number of arguments to "
	    "'size' (expected 0, got 1)");
	PERR("has(data.a, data.b)", "line 1, column 1: wrong number of "
	    "arguments to 'has' (expected 1, got 2)");
	PERR("startsWith(type, 'a')", "line 1, column 1: 'startsWith' must "
	    "be called as a method, as in x.startsWith(...)");
	PERR("data.x.int()",
	    "line 1, column 8: 'int' cannot be called as a method");
	PERR("has(data['x'])", "line 1, column 5: invalid argument to has(): "
	    "expected a field selection such as data.x");
	PERR("has(1)", "line 1, column 5: invalid argument to has(): "
	    "expected a field selection such as data.x");
	PERR("has(data.list[0])", "line 1, column 5: invalid argument to "
	    "has(): expected a field selection such as data.x");
	PERR("", "line 1, column 1: empty expression");
	PERR("   ", "line 1, column 4: empty expression");
	PERR("// only a comment\n", "line 2, column 1: empty expression");
	PERR("speed > 80", "line 1, column 1: undeclared reference to "
	    "'speed'");
	PERR("data.x > 1 && tpye == 'a'", "line 1, column 15: undeclared "
	    "reference to 'tpye'");
	PERR("if", "line 1, column 1: reserved identifier 'if'");
	PERR("data.for", "line 1, column 6: reserved identifier 'for'");
	PERR("{'a': 1}", "line 1, column 1: map literals are not supported");
	PERR("b'abc' == type", "line 1, column 1: bytes literals are not "
	    "supported");
	PERR("true & false", "line 1, column 6: unexpected '&' (use '&&')");
	PERR("true | false", "line 1, column 6: unexpected '|' (use '||')");
	PERR("type = 'a'", "line 1, column 6: unexpected '=' (use '==' to "
	    "compare)");
	PERR("type == @", "line 1, column 9: unexpected character '@'");
	PERR("type ≠ 'x'", "line 1, column 6: unexpected character '≠'");
	PERR("type == '\xff'", "line 1, column 10: invalid UTF-8 in "
	    "expression");
	PERR("9223372036854775808 > 1", "line 1, column 1: integer literal "
	    "out of range");
	PERR("-9223372036854775809", "line 1, column 2: integer literal out "
	    "of range");
	PERR("99999999999999999999", "line 1, column 1: integer literal out "
	    "of range");
	PERR("1.5e999", "line 1, column 1: floating-point literal out of "
	    "range");
	PERR("topic.x", "line 1, column 7: 'topic' is a string and has no "
	    "fields");
	PERR("type.matches(opd)", "line 1, column 14: the pattern of "
	    "matches() must be a string literal");
	PERR("type.matches('(')", "line 1, column 14: invalid regular "
	    "expression: missing closing parenthesis (at offset 1 of the "
	    "pattern)");
	PERR("data.", "line 1, column 6: expected a field or method name "
	    "after '.' but found end of expression");
	/* ".1" is a number, as in CEL's lexer. */
	PERR("data.1", "line 1, column 5: unexpected '.1' after a complete "
	    "expression");
	PERR("1 +", "line 1, column 4: unexpected end of expression");
	PERR("!-1", "line 1, column 2: unexpected '-'");
	PERR("true ? 1", "line 1, column 9: expected ':' but found end of "
	    "expression");
	PERR("(,)", "line 1, column 2: unexpected ','");
	PERR("type == 'a' && 'this is a rather long string literal' 1",
	    "line 1, column 55: unexpected '1' after a complete expression");
	PERR("1 'this is a rather long string literal'",
	    "line 1, column 3: unexpected ''this is a rather long s...' "
	    "after a complete expression");

	/* Lines and columns in multi-line expressions (from YAML). */
	PERR("type == \"gps.position\" &&\n  data.speed_kmh >\n",
	    "line 3, column 1: unexpected end of expression");
	PERR("type == 'x' &&\r\n   data.speed_kmh > = 80",
	    "line 2, column 21: unexpected '=' (use '==' to compare)");
	PERR("type == 'x' &&\r   data.speed_kmh > = 80",
	    "line 2, column 21: unexpected '=' (use '==' to compare)");
	PERR("type == 'x'\n  // a comment\n  && foo(1)",
	    "line 3, column 6: unknown function 'foo'");
	PERR("\"\"\"one\ntwo\"\"\" == data.x &&\n\tfoo()",
	    "line 3, column 2: unknown function 'foo'");
	/* Columns count characters, not bytes. */
	PERR("data.name == 'é日本' &&",
	    "line 1, column 22: unexpected end of expression");

	/* Nesting: 63 parentheses compile, 64 do not. */
	n = 63;
	for (i = 0; i < n; i++)
		buf[i] = '(';
	buf[n] = '1';
	for (i = 0; i < n; i++)
		buf[n + 1 + i] = ')';
	buf[2 * n + 1] = '\0';
	EV(buf, "1");
	n = 64;
	for (i = 0; i < n; i++)
		buf[i] = '(';
	buf[n] = '1';
	for (i = 0; i < n; i++)
		buf[n + 1 + i] = ')';
	buf[2 * n + 1] = '\0';
	PERR(buf, "line 1, column 65: expression nested too deeply "
	    "(limit 64)");
	/* So does the height of the tree: a chain of 63 '+' is fine. */
	buf[0] = '1';
	for (i = 0; i < 63; i++)
		memcpy(buf + 1 + 4 * i, " + 1", 4);
	buf[1 + 4 * 63] = '\0';
	EV(buf, "64");
	memcpy(buf + 1 + 4 * 63, " + 1", 5);
	PERR(buf, "line 1, column 255: expression nested too deeply "
	    "(limit 64)");
	for (i = 0; i < 64; i++)
		buf[i] = '!';
	memcpy(buf + 64, "true", 5);
	PERR(buf, "line 1, column 1: expression nested too deeply "
	    "(limit 64)");
	memcpy(buf + 63, "true", 5);
	EV(buf, "false");
	/* '&&' chains are n-ary and do not count as nesting. */
	buf[0] = '\0';
	for (i = 0; i < 200; i++)
		memcpy(buf + 8 * i, i ? " && true" : "true    ", 9);
	EV(buf, "true");

	/* Length: 4096 bytes compile, 4097 do not. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "true", 4);
	big[EXPR_MAX_SOURCE] = '\0';
	EV(big, "true");
	big[EXPR_MAX_SOURCE] = ' ';
	big[EXPR_MAX_SOURCE + 1] = '\0';
	PERR(big, "line 1, column 4097: expression too long (limit 4096 "
	    "bytes)");

	/* Node count: a list of 1023 elements is 1024 nodes. */
	buf[0] = '[';
	for (i = 0; i < 1023; i++)
		memcpy(buf + 1 + 2 * i, "1,", 2);
	memcpy(buf + 1 + 2 * 1023, "]", 2);
	e = expr_compile(buf, NULL, 0);
	CHECK(e != NULL);
	expr_free(e);
	memcpy(buf + 1 + 2 * 1023, "1]", 3);
	PERR(buf, "line 1, column 2048: expression too complex (limit 1024 "
	    "nodes)");

	/* err may be NULL, or too short: the message is cut, not overrun. */
	CHECK(expr_compile("1 +", NULL, 0) == NULL);
	memset(small, 'x', sizeof(small));
	CHECK(expr_compile("1 +", small, 8) == NULL);
	CHECK_STR(small, "line 1,");
	CHECK(small[9] == 'x');
	expr_free(NULL);
}

/*
 * The rules from the Karo use cases, against events of their kind. Each
 * also runs against events where the rule must not match, including events
 * that lack the fields the rule reads.
 */
static void
check_rule(const char *file, int line, const char *rule, const char *event,
    int want)
{
	char err[256];
	struct expr_env en = { NULL, "karo/ev/x/y/z" };
	struct expr *e;
	cJSON *ev;

	if ((ev = cJSON_Parse(event)) == NULL) {
		testlib_fail(file, line, "event does not parse: %s", event);
		return;
	}
	if ((e = expr_compile(rule, err, sizeof(err))) == NULL) {
		testlib_fail(file, line, "rule \"%s\": %s", rule, err);
		cJSON_Delete(ev);
		return;
	}
	en.event = ev;
	if (expr_eval(e, &en) != want)
		testlib_fail(file, line, "rule \"%s\" on %s: want %d", rule,
		    event, want);
	else
		testlib_passed++;
	expr_free(e);
	cJSON_Delete(ev);
}

#define RULE(rule, event, want) check_rule(__FILE__, __LINE__, rule, event, \
	want)

static void
test_rules(void)
{
	const char *overspeed =
	    "type == \"gps.position\" && data.speed_kmh > 80";
	const char *sos = "data.alarm in [\"sos\", \"power_cut\"]";
	const char *sp2d =
	    "type.startsWith(\"sp2d.\") && data.nilai >= 1000000000";
	const char *complaint =
	    "has(data.reporter.contact) && data.category == \"jalan\"";
	const char *dishub_overspeed = "opd == 'dishub' && "
	    "type == 'gps.position' && data.speed_kmh > 80 && "
	    "!(data.device_id in ['353419031234567'])";

	RULE(overspeed, "{\"type\": \"gps.position\", "
	    "\"data\": {\"speed_kmh\": 92.5}}", 1);
	RULE(overspeed, "{\"type\": \"gps.position\", "
	    "\"data\": {\"speed_kmh\": 80}}", 0);
	RULE(overspeed, "{\"type\": \"gps.position\", \"data\": {}}", 0);
	RULE(overspeed, "{\"type\": \"gps.position\", "
	    "\"data\": {\"speed_kmh\": \"fast\"}}", 0);
	RULE(overspeed, "{\"type\": \"gps.alarm\", "
	    "\"data\": {\"speed_kmh\": 120}}", 0);
	RULE(overspeed, "{}", 0);
	RULE(overspeed, "[]", 0);
	RULE(sos, "{\"data\": {\"alarm\": \"sos\"}}", 1);
	RULE(sos, "{\"data\": {\"alarm\": \"power_cut\"}}", 1);
	RULE(sos, "{\"data\": {\"alarm\": \"vibration\"}}", 0);
	RULE(sos, "{\"data\": {\"alarm\": 1}}", 0);
	RULE(sos, "{\"data\": null}", 0);
	RULE(sp2d, "{\"type\": \"sp2d.rejected\", "
	    "\"data\": {\"nomor\": \"0123/SP2D/LS/2026\", "
	    "\"nilai\": 1250000000}}", 1);
	RULE(sp2d, "{\"type\": \"sp2d.rejected\", "
	    "\"data\": {\"nilai\": 999999999.99}}", 0);
	RULE(sp2d, "{\"type\": \"sp2d.rejected\", "
	    "\"data\": {\"nilai\": 1000000000}}", 1);
	RULE(sp2d, "{\"type\": \"spm.rejected\", "
	    "\"data\": {\"nilai\": 5000000000}}", 0);
	RULE(sp2d, "{\"type\": 42, \"data\": {\"nilai\": 5000000000}}", 0);
	RULE(complaint, "{\"type\": \"complaint.created\", \"data\": "
	    "{\"category\": \"jalan\", \"reporter\": "
	    "{\"name\": \"Budi\", \"contact\": \"+6281234567890\"}}}", 1);
	RULE(complaint, "{\"data\": {\"category\": \"jalan\", "
	    "\"reporter\": {\"name\": \"anonim\"}}}", 0);
	RULE(complaint, "{\"data\": {\"category\": \"jalan\"}}", 0);
	RULE(complaint, "{\"data\": {\"category\": \"air\", "
	    "\"reporter\": {\"contact\": \"x\"}}}", 0);
	RULE(dishub_overspeed, "{\"opd\": \"dishub\", "
	    "\"type\": \"gps.position\", \"data\": {\"speed_kmh\": 95, "
	    "\"device_id\": \"862104021234567\"}}", 1);
	RULE(dishub_overspeed, "{\"opd\": \"dishub\", "
	    "\"type\": \"gps.position\", \"data\": {\"speed_kmh\": 95, "
	    "\"device_id\": \"353419031234567\"}}", 0);
}

/* The examples of docs/expressions.md compile, and mean what it says. */
static void
test_doc_examples(void)
{
	static const char *const examples[] = {
		"opd == \"dishub\" && type == \"gps.position\" && "
		    "data.speed_kmh > 80\n  && !(data.device_id in "
		    "[\"353419031234567\"])",
		"type == \"gps.alarm\" && data.alarm in [\"sos\", "
		    "\"power_cut\"]",
		"type == \"sp2d.rejected\" && data.nilai >= 1000000000",
		"type.startsWith(\"sp2d.\") && "
		    "subject.matches(r'^\\d{4}/SP2D/LS/\\d{4}$')",
		"type == \"complaint.created\" && data.category in "
		    "[\"jalan\", \"jembatan\"]\n  && has(data.reporter.contact)",
		"data.channel == \"sms\" && "
		    "data.description.matches(\"(?i)berastagi\")",
		"topic.matches(\"^karo/ev/[^/]+/sppidol/\")",
		"type == \"gps.position\" && "
		    "time.matches(\"T(1[5-9]|2[0-2]):\")",
		"\"contact\" in data.reporter",
	};
	size_t i;
	char err[256];
	struct expr *e;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		e = expr_compile(examples[i], err, sizeof(err));
		if (e == NULL)
			testlib_fail(__FILE__, __LINE__, "example %zu: %s", i,
			    err);
		else
			testlib_passed++;
		expr_free(e);
	}
	RULE(examples[3], "{\"type\": \"sp2d.issued\", "
	    "\"subject\": \"0123/SP2D/LS/2026\"}", 1);
	RULE(examples[3], "{\"type\": \"sp2d.issued\", "
	    "\"subject\": \"0123/SP2D/UP/2026\"}", 0);
	RULE(examples[5], "{\"data\": {\"channel\": \"sms\", "
	    "\"description\": \"Lampu jalan mati di BERASTAGI\"}}", 1);
	RULE(examples[7], "{\"type\": \"gps.position\", "
	    "\"time\": \"2026-11-27T16:30:00Z\"}", 1);
	RULE(examples[7], "{\"type\": \"gps.position\", "
	    "\"time\": \"2026-11-27T03:30:00Z\"}", 0);
	EV(examples[8], "true");
}

/* A shared expr evaluated by several threads at once (matches() too). */
struct tharg {
	const struct expr *e;
	int bad;
};

static void *
thread_main(void *arg)
{
	struct tharg *t = arg;
	int i;

	for (i = 0; i < 2000; i++)
		if (expr_eval(t->e, &env) != 1)
			t->bad++;
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[4];
	struct tharg args[4];
	struct expr *e;
	int i;

	e = expr_compile("subject.matches('^BK [0-9]+') && "
	    "type + '!' == 'gps.position!'", NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	for (i = 0; i < 4; i++) {
		args[i].e = e;
		args[i].bad = 0;
		CHECK_INT(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(args[i].bad, 0);
	}
	expr_free(e);
}

int
main(void)
{
	cJSON *ev = cJSON_Parse(event_gps);

	if (ev == NULL) {
		fprintf(stderr, "test event does not parse\n");
		return 1;
	}
	env.event = ev;
	env.topic = "karo/ev/dishub/gps/gps.position";

	test_arithmetic();
	test_comparison();
	test_precedence();
	test_logic();
	test_in();
	test_paths();
	test_has();
	test_functions();
	test_strings();
	test_matches();
	test_topic_env();
	test_limits_eval();
	test_deep_json();
	test_parse_errors();
	test_rules();
	test_doc_examples();
	test_threads();
	cJSON_Delete(ev);
	return testlib_done();
}
