/*
 * jsoncheck: the strict JSON gate in front of PostgreSQL's jsonb. Every
 * case here is something cJSON alone would let through (or refuse) that
 * jsonb treats differently.
 */
#include <stdio.h>
#include <string.h>

#include "jsoncheck.h"
#include "testlib.h"

static int
ok(const char *s)
{
	struct json_check_error e;

	return json_check(s, strlen(s), 32, &e) == 0;
}

static void
bad_at(const char *s, int line, int col, const char *msg_part)
{
	struct json_check_error e;

	memset(&e, 0, sizeof(e));
	CHECK_INT(json_check(s, strlen(s), 32, &e), -1);
	CHECK_INT(e.line, line);
	CHECK_INT(e.column, col);
	if (strstr(e.message, msg_part) == NULL)
		testlib_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'",
		    s, e.message, msg_part);
	else
		testlib_passed++;
}

int
main(void)
{
	struct json_check_error e;
	char deep[200];
	int i;

	CHECK(ok("{}"));
	CHECK(ok("[]"));
	CHECK(ok(" {\"a\": [1, -2.5e+3, 0, 0.1, true, false, null, \"x\"]} "));
	CHECK(ok("\"\\u00e9\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\""));
	CHECK(ok("\"Kabanjahe – Berastagi 😀\""));
	CHECK(ok("12"));

	bad_at("", 1, 1, "end of input");
	bad_at("{\"a\":", 1, 6, "end of input");
	bad_at("{\"a\" 1}", 1, 6, "':'");
	bad_at("{a:1}", 1, 2, "key");
	bad_at("[1,]", 1, 4, "unexpected");
	bad_at("[1 2]", 1, 4, "','");
	bad_at("01", 1, 2, "trailing");
	bad_at("1.", 1, 3, "digit");
	bad_at("-", 1, 2, "digit");
	bad_at("+1", 1, 1, "unexpected");
	bad_at("1e", 1, 3, "digit");
	bad_at("tru", 1, 1, "unexpected");
	bad_at("NaN", 1, 1, "unexpected");
	bad_at("{}\n{}", 2, 1, "trailing");
	bad_at("\"a\tb\"", 1, 3, "control");
	bad_at("\"\\x\"", 1, 3, "escape");
	bad_at("\"\\u0000\"", 1, 8, "\\u0000");
	bad_at("\"\\ud800\"", 1, 8, "surrogate");
	bad_at("\"\\udc00\"", 1, 8, "surrogate");
	bad_at("\"\\ud800\\u0041\"", 1, 14, "surrogate");
	bad_at("\"\\u12G4\"", 1, 4, "hex");
	bad_at("\"abc", 1, 5, "unterminated");
	bad_at("\"\xff\"", 1, 2, "UTF-8");
	bad_at("\"\xc0\xaf\"", 1, 2, "UTF-8");       /* overlong '/' */
	bad_at("\"\xed\xa0\x80\"", 1, 2, "UTF-8");   /* encoded surrogate */
	bad_at("\"\xf4\x90\x80\x80\"", 1, 2, "UTF-8"); /* > U+10FFFF */
	bad_at("\"\xe2\x82\"", 1, 2, "UTF-8");       /* truncated */
	bad_at("\xef\xbb\xbf{}", 1, 1, "byte order mark");

	/* A NUL byte is not JSON, wherever it is. */
	CHECK_INT(json_check("{}\0", 3, 32, &e), -1);
	CHECK_INT(json_check("\"a\0b\"", 5, 32, &e), -1);

	/* Depth: 32 levels pass, 33 do not. */
	for (i = 0; i < 32; i++)
		deep[i] = '[';
	for (i = 0; i < 32; i++)
		deep[32 + i] = ']';
	deep[64] = '\0';
	CHECK(ok(deep));
	memmove(deep + 1, deep, 65);
	deep[0] = '[';
	strcat(deep, "]");
	bad_at(deep, 1, 33, "deep");

	return testlib_done();
}
