/*
 * Unit tests of simpul-console's pure modules: console/param.c (query
 * values, API paths, the Cookie header, JSON bodies), console/policy.c
 * (the role matrix, the actions a role may take, the CSRF and Origin
 * decision) and console/filecache.c (the GeoJSON files, read again when
 * they change).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "param.h"
#include "policy.h"
#include "testlib.h"

static void
test_text(void)
{
	CHECK_INT(param_text(NULL, 10), 0);
	CHECK_INT(param_text("abc", 10), 0);
	CHECK_INT(param_text("Jalan Kabanjahe", 200), 0);
	CHECK_INT(param_text("\xc3\xa9t\xc3\xa9", 10), 0);
	CHECK_INT(param_text("'; DROP TABLE event; --", 200), 0);
	CHECK_INT(param_text("abcdefghijk", 10), -1);
	CHECK_INT(param_text("a\nb", 10), -1);
	CHECK_INT(param_text("a\x7f", 10), -1);
	CHECK_INT(param_text("\xff\xfe", 10), -1);
	CHECK_INT(param_text("\xc0\xaf", 10), -1);          /* overlong */
	CHECK_INT(param_text("\xed\xa0\x80", 10), -1);      /* surrogate */
	CHECK_INT(param_text("\xf4\x90\x80\x80", 10), -1);  /* > U+10FFFF */
	CHECK_INT(param_text("\xe2\x82", 10), -1);          /* cut short */
}

static void
test_numbers(void)
{
	long n;

	CHECK_INT(param_long(NULL, 50, 1, 500, &n), 0);
	CHECK_INT(n, 50);
	CHECK_INT(param_long("100", 50, 1, 500, &n), 0);
	CHECK_INT(n, 100);
	CHECK_INT(param_long("0", 50, 1, 500, &n), -1);
	CHECK_INT(param_long("501", 50, 1, 500, &n), -1);
	CHECK_INT(param_long("1e3", 50, 1, 500, &n), -1);
	CHECK_INT(param_long(" 5", 50, 1, 500, &n), -1);
	CHECK_INT(param_long("99999999999999999999", 50, 1, 500, &n), -1);
	CHECK_INT(param_id("42"), 0);
	CHECK_INT(param_id("042"), -1);
	CHECK_INT(param_id("0"), -1);
	CHECK_INT(param_id("1;"), -1);
	CHECK_INT(param_id(NULL), -1);
	CHECK_INT(param_id("1234567890123456789"), -1);
	CHECK_INT(param_case_ref("KRO-2026-000123"), 0);
	CHECK_INT(param_case_ref("17"), 0);
	CHECK_INT(param_case_ref("kro-1"), -1);
	CHECK_INT(param_case_ref("KRO'1"), -1);
	CHECK_INT(param_case_ref(""), -1);
}

static void
test_words(void)
{
	static const char *const sorts[] = { "due", "opened", NULL };
	char t[32];

	CHECK_INT(param_opd(NULL), 0);
	CHECK_INT(param_opd("dishub"), 0);
	CHECK_INT(param_opd("Dishub"), -1);
	CHECK_INT(param_opd("x' OR '1'='1"), -1);
	CHECK_INT(param_oneof("due", sorts), 0);
	CHECK_INT(param_oneof(NULL, sorts), 0);
	CHECK_INT(param_oneof("id;drop", sorts), -1);
	CHECK_INT(param_time(NULL, t), 0);
	CHECK_STR(t, "");
	CHECK_INT(param_time("2026-11-28T08:00:00+07:00", t), 0);
	CHECK_STR(t, "2026-11-28T01:00:00.000Z");
	CHECK_INT(param_time("yesterday", t), -1);
	CHECK_INT(param_time("2026-13-01T00:00:00Z", t), -1);
}

static void
test_cursor(void)
{
	char us[24], id[PARAM_CURSOR_ID_MAX + 1];

	CHECK_INT(param_event_cursor(NULL, us, id, sizeof(id)), 0);
	CHECK_STR(us, "");
	CHECK_INT(param_event_cursor("1764300000000000|ev-1", us, id,
	    sizeof(id)), 0);
	CHECK_STR(us, "1764300000000000");
	CHECK_STR(id, "ev-1");
	CHECK_INT(param_event_cursor("1|a|b", us, id, sizeof(id)), 0);
	CHECK_STR(id, "a|b");
	CHECK_INT(param_event_cursor("123", us, id, sizeof(id)), -1);
	CHECK_INT(param_event_cursor("|x", us, id, sizeof(id)), -1);
	CHECK_INT(param_event_cursor("12a|x", us, id, sizeof(id)), -1);
	CHECK_INT(param_event_cursor("1|", us, id, sizeof(id)), -1);
	CHECK_INT(param_event_cursor("123456789012345678|x", us, id,
	    sizeof(id)), -1);
	CHECK_INT(param_event_cursor("1|\x01", us, id, sizeof(id)), -1);
}

/* Route patterns; "**" takes the rest of the path, '/'s and all. */
static void
test_path(void)
{
	char buf[64], *seg[4];

	CHECK_INT(param_path_match("cases", "cases", buf, sizeof(buf), seg,
	    4), 1);
	CHECK_STR(seg[0], "cases");
	CHECK_INT(param_path_match("cases/*/*", "cases/17/verify", buf,
	    sizeof(buf), seg, 4), 3);
	CHECK_STR(seg[1], "17");
	CHECK_STR(seg[2], "verify");
	CHECK_INT(param_path_match("deadletters/*/replay",
	    "deadletters/5/replay", buf, sizeof(buf), seg, 4), 3);
	CHECK_INT(param_path_match("deadletters/*/replay",
	    "deadletters/5/other", buf, sizeof(buf), seg, 4), -1);
	CHECK_INT(param_path_match("cases/*", "cases/17/verify", buf,
	    sizeof(buf), seg, 4), -1);
	CHECK_INT(param_path_match("cases/*/*", "cases/17", buf, sizeof(buf),
	    seg, 4), -1);
	CHECK_INT(param_path_match("cases/*", "cases/", buf, sizeof(buf),
	    seg, 4), -1);
	CHECK_INT(param_path_match("cases/*/*", "cases//verify", buf,
	    sizeof(buf), seg, 4), -1);
	CHECK_INT(param_path_match("cases", "casesx", buf, sizeof(buf), seg,
	    4), -1);
	CHECK_INT(param_path_match("cases", "case", buf, sizeof(buf), seg, 4),
	    -1);
	/* An event id with '/' (sent as %2F, decoded by libmicrohttpd). */
	CHECK_INT(param_path_match("events/**", "events/gps/dev-1/42", buf,
	    sizeof(buf), seg, 4), 2);
	CHECK_STR(seg[0], "events");
	CHECK_STR(seg[1], "gps/dev-1/42");
	CHECK_INT(param_path_match("events/**", "events/a//b/", buf,
	    sizeof(buf), seg, 4), 2);
	CHECK_STR(seg[1], "a//b/");
	CHECK_INT(param_path_match("events/**", "events/x", buf, sizeof(buf),
	    seg, 4), 2);
	CHECK_STR(seg[1], "x");
	CHECK_INT(param_path_match("events/**", "events/", buf, sizeof(buf),
	    seg, 4), -1);
	CHECK_INT(param_path_match("events/**", "events", buf, sizeof(buf),
	    seg, 4), -1);
	CHECK_INT(param_path_match("events", "events/x", buf, sizeof(buf),
	    seg, 4), -1);
	/* Limits: the buffer and the number of segments. */
	CHECK_INT(param_path_match("events/**", "events/"
	    "0123456789012345678901234567890123456789012345678901234567",
	    buf, sizeof(buf), seg, 4), -1);
	CHECK_INT(param_path_match("a/*/*/*/*", "a/b/c/d/e", buf, sizeof(buf),
	    seg, 4), -1);
}

static void
test_cookie(void)
{
	char v[64];

	CHECK_INT(param_cookie("simpul_session=abc_DEF-1", "simpul_session",
	    v, sizeof(v)), 0);
	CHECK_STR(v, "abc_DEF-1");
	CHECK_INT(param_cookie("a=1; simpul_session=xyz; b=2",
	    "simpul_session", v, sizeof(v)), 0);
	CHECK_STR(v, "xyz");
	CHECK_INT(param_cookie("xsimpul_session=1", "simpul_session", v,
	    sizeof(v)), -1);
	CHECK_INT(param_cookie("simpul_session=", "simpul_session", v,
	    sizeof(v)), -1);
	CHECK_INT(param_cookie("simpul_session=a; simpul_session=b",
	    "simpul_session", v, sizeof(v)), -1);
	CHECK_INT(param_cookie("simpul_session=a\"b", "simpul_session", v,
	    sizeof(v)), -1);
	CHECK_INT(param_cookie("simpul_session=a,b", "simpul_session", v,
	    sizeof(v)), -1);
	CHECK_INT(param_cookie(NULL, "simpul_session", v, sizeof(v)), -1);
	CHECK_INT(param_cookie("simpul_session=0123456789", "simpul_session",
	    v, 8), -1);
	CHECK_INT(param_cookie(";;  ; ", "simpul_session", v, sizeof(v)), -1);
}

static void
test_bodies(void)
{
	struct param_login l;
	struct param_act a;
	char err[128];
	const char nul[] = "{\"user\":\"a\",\"password\":\"b\"}\0x";
	const char *full = "{\"reason\":\"duplicate\",\"note\":\"x\","
	    "\"opd\":\"dishub\",\"extra\":[1]}";

	CHECK_INT(param_login_parse("{\"user\":\"op1\",\"password\":\"pw\"}",
	    30, &l, err, sizeof(err)), 0);
	CHECK_STR(l.user, "op1");
	CHECK_STR(l.password, "pw");
	CHECK_INT(param_login_parse("{\"user\":\"op1\"}", 14, &l, err,
	    sizeof(err)), -1);
	CHECK_INT(param_login_parse("{\"user\":1,\"password\":\"x\"}", 26, &l,
	    err, sizeof(err)), -1);
	CHECK_INT(param_login_parse("[]", 2, &l, err, sizeof(err)), -1);
	CHECK_INT(param_login_parse("{\"user\":", 8, &l, err, sizeof(err)),
	    -1);
	CHECK_INT(param_login_parse(nul, sizeof(nul) - 1, &l, err,
	    sizeof(err)), -1);
	CHECK_INT(param_login_parse("{\"user\":\"\xff\",\"password\":\"x\"}",
	    27, &l, err, sizeof(err)), -1);
	CHECK_INT(param_login_parse("{\"user\":\"a\\u0000b\",\"password\":"
	    "\"x\"}", 34, &l, err, sizeof(err)) == 0 ?
	    (int)strlen(l.user) : -1, 1);

	CHECK_INT(param_act_parse("", 0, &a, err, sizeof(err)), 0);
	CHECK_INT(a.has_note + a.has_opd + a.has_reason, 0);
	CHECK_INT(param_act_parse(full, strlen(full), &a, err, sizeof(err)), 0);
	CHECK_STR(a.reason, "duplicate");
	CHECK_STR(a.opd, "dishub");
	CHECK_STR(a.note, "x");
	CHECK_INT(param_act_parse("{\"reason\":\"because\"}", 20, &a, err,
	    sizeof(err)), -1);
	CHECK_INT(param_act_parse("{\"opd\":\"Dishub\"}", 16, &a, err,
	    sizeof(err)), -1);
	CHECK_INT(param_act_parse("{\"note\":5}", 10, &a, err, sizeof(err)),
	    -1);
	CHECK_INT(param_act_parse("{\"note\":null}", 13, &a, err,
	    sizeof(err)), 0);
	CHECK_INT(a.has_note, 0);
}

static void
test_roles(void)
{
	static const struct {
		enum role r;
		int g[6]; /* READ CASE_ACT REPLAY DEADLETTERS RULES USERS */
	} m[] = {
		{ ROLE_OPERATOR,   { 1, 1, 1, 1, 0, 0 } },
		{ ROLE_SUPERVISOR, { 1, 1, 1, 1, 1, 0 } },
		{ ROLE_OPD,        { 1, 1, 0, 0, 0, 0 } },
		{ ROLE_ADMIN,      { 1, 0, 1, 1, 1, 1 } },
	};
	enum role r;
	size_t i;
	int g;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		for (g = 0; g < 6; g++)
			CHECK_INT(policy_allows(m[i].r, (enum grant)g),
			    m[i].g[g]);
	CHECK_INT(role_parse("opd", &r), 0);
	CHECK_INT(r, ROLE_OPD);
	CHECK_INT(role_parse("root", &r), -1);
	CHECK_INT(policy_sees(ROLE_OPERATOR, NULL, "dishub"), 1);
	CHECK_INT(policy_sees(ROLE_OPERATOR, NULL, NULL), 1);
	CHECK_INT(policy_sees(ROLE_OPD, "dishub", "dishub"), 1);
	CHECK_INT(policy_sees(ROLE_OPD, "dishub", "dinkes"), 0);
	CHECK_INT(policy_sees(ROLE_OPD, "dishub", NULL), 0);
}

static void
test_actions(void)
{
	char out[256], name[64];

	CHECK_INT(policy_may_act(ROLE_OPERATOR, NULL, "verify"), 1);
	CHECK_INT(policy_may_act(ROLE_OPERATOR, NULL, "acknowledge"), 0);
	CHECK_INT(policy_may_act(ROLE_OPD, "dishub", "acknowledge"), 1);
	CHECK_INT(policy_may_act(ROLE_OPD, "dishub", "resolve"), 1);
	CHECK_INT(policy_may_act(ROLE_OPD, "dishub", "verify"), 0);
	CHECK_INT(policy_may_act(ROLE_OPD, "dishub", "assign"), 0);
	CHECK_INT(policy_may_act(ROLE_SUPERVISOR, NULL, "reopen"), 1);
	CHECK_INT(policy_may_act(ROLE_ADMIN, NULL, "verify"), 0);
	CHECK_INT(policy_may_act(ROLE_SUPERVISOR, NULL, "escalate"), 0);
	CHECK_INT(policy_may_act(ROLE_OPERATOR, NULL, "delete"), 0);
	CHECK_INT(policy_console_action("verify"), 1);
	CHECK_INT(policy_console_action("reopen"), 1);
	CHECK_INT(policy_console_action("escalate"), 0);
	CHECK_INT(policy_console_action("delete"), 0);
	CHECK_INT(policy_console_action(NULL), 0);

	CHECK_INT(policy_allowed_json(ROLE_OPERATOR, NULL, "new", NULL, out,
	    sizeof(out)), 0);
	CHECK_STR(out, "[\"verify\",\"reject\"]");
	CHECK_INT(policy_allowed_json(ROLE_OPERATOR, NULL, "verified",
	    NULL, out, sizeof(out)), 0);
	CHECK_STR(out, "[\"reject\",\"assign\"]");
	CHECK_INT(policy_allowed_json(ROLE_OPD, "dishub", "assigned",
	    "dishub", out, sizeof(out)), 0);
	CHECK_STR(out, "[\"acknowledge\"]");
	CHECK_INT(policy_allowed_json(ROLE_OPD, "dishub", "assigned",
	    "dinkes", out, sizeof(out)), 0);
	CHECK_STR(out, "[]");
	CHECK_INT(policy_allowed_json(ROLE_ADMIN, NULL, "new", NULL, out,
	    sizeof(out)), 0);
	CHECK_STR(out, "[]");
	CHECK_INT(policy_allowed_json(ROLE_OPERATOR, NULL, "closed", "x1",
	    out, sizeof(out)), 0);
	CHECK_STR(out, "[]");
	CHECK_INT(policy_allowed_json(ROLE_SUPERVISOR, NULL, "closed", "x1",
	    out, sizeof(out)), 0);
	CHECK_STR(out, "[\"reopen\"]");
	CHECK_INT(policy_allowed_json(ROLE_OPERATOR, NULL, "bogus", NULL,
	    out, sizeof(out)), -1);

	CHECK_INT(policy_actor_name(ROLE_OPERATOR, NULL, "budi", name,
	    sizeof(name)), 0);
	CHECK_STR(name, "operator:budi");
	CHECK_INT(policy_actor_name(ROLE_OPD, "dishub", "sinta", name,
	    sizeof(name)), 0);
	CHECK_STR(name, "opd:dishub:sinta");
	CHECK_INT(policy_actor_name(ROLE_SUPERVISOR, NULL, "ani", name, 8),
	    -1);
}

static void
test_csrf(void)
{
	const char *self = "http://127.0.0.1:8480 https://console.example";
	const char *tok = "Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4eHh4eHh4eA";

	CHECK_INT(policy_csrf_ok(tok, tok, NULL, self), 1);
	CHECK_INT(policy_csrf_ok(tok, tok, "http://127.0.0.1:8480", self), 1);
	CHECK_INT(policy_csrf_ok(tok, tok, "https://console.example", self),
	    1);
	CHECK_INT(policy_csrf_ok(NULL, tok, NULL, self), 0);
	CHECK_INT(policy_csrf_ok("", tok, NULL, self), 0);
	CHECK_INT(policy_csrf_ok("wrong", tok, NULL, self), 0);
	CHECK_INT(policy_csrf_ok(tok, "", NULL, self), 0);
	CHECK_INT(policy_csrf_ok(tok, tok, "http://evil.example", self), 0);
	CHECK_INT(policy_csrf_ok(tok, tok, "http://127.0.0.1:848", self), 0);
	CHECK_INT(policy_csrf_ok(tok, tok, "http://127.0.0.1:84800", self),
	    0);
	CHECK_INT(policy_csrf_ok(tok, tok, "null", self), 0);
	CHECK_INT(policy_csrf_ok(tok, tok, "", self), 0);
	CHECK_INT(policy_origin_ok(NULL, self), 1);
	CHECK_INT(policy_origin_ok("https://console.example", self), 1);
	CHECK_INT(policy_origin_ok("https://console.example.evil", self), 0);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* 1 when fc serves want (NULL: fails with rc). */
static int
serves(struct filecache *fc, const char *want, int rc)
{
	char *got;
	int r = filecache_get(fc, &got), ok;

	ok = want != NULL ? r == 0 && got != NULL && strcmp(got, want) == 0 :
	    r == rc && got == NULL;
	free(got);
	return ok;
}

/*
 * The GeoJSON cache: served from memory while the file stays as it was,
 * read again when it is written in place or replaced, gone when removed.
 */
static void
test_filecache(void)
{
	char dir[] = "/tmp/test_console.XXXXXX", path[64], other[64];
	struct timespec later[2];
	struct filecache *fc;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/boundary.geojson", dir);
	snprintf(other, sizeof(other), "%s/new.geojson", dir);
	fc = filecache_new(NULL, 64);
	CHECK(serves(fc, NULL, -1));
	filecache_free(fc);
	filecache_free(NULL);

	fc = filecache_new(path, 64);
	CHECK(serves(fc, NULL, -1));              /* not there (yet) */
	put(path, "{\"a\": 1}");
	CHECK(serves(fc, "{\"a\": 1}", 0));
	CHECK(serves(fc, "{\"a\": 1}", 0));
	/* Written in place, same size: its modification time moved. */
	put(path, "{\"a\": 2}");
	clock_gettime(CLOCK_REALTIME, &later[0]);
	later[0].tv_sec += 10;
	later[1] = later[0];
	CHECK(utimensat(AT_FDCWD, path, later, 0) == 0);
	CHECK(serves(fc, "{\"a\": 2}", 0));
	/* Replaced by another file moved over it. */
	put(other, "{\"b\": 3}");
	CHECK(rename(other, path) == 0);
	CHECK(serves(fc, "{\"b\": 3}", 0));
	/* Too large, empty, removed. */
	put(path, "0123456789012345678901234567890123456789012345678901234567"
	    "890123456789");
	CHECK(serves(fc, NULL, -2));
	put(path, "");
	CHECK(serves(fc, NULL, -2));
	put(path, "{}");
	CHECK(serves(fc, "{}", 0));
	CHECK(unlink(path) == 0);
	CHECK(serves(fc, NULL, -1));
	filecache_free(fc);
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	test_text();
	test_numbers();
	test_words();
	test_cursor();
	test_path();
	test_cookie();
	test_bodies();
	test_roles();
	test_actions();
	test_csrf();
	test_filecache();
	return testlib_done();
}
