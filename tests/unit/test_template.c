/*
 * test_template: rule templates (hub/template.c): compile errors with
 * their columns, rendering of every kind of field and value, missing
 * fields and defaults, topic injection, number formatting, output limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "template.h"
#include "testlib.h"
#include "util.h"

static const char event_json[] =
    "{\"specversion\":\"1.0\",\"id\":\"0190f3a2-7b1c\","
    "\"source\":\"/karo/bpkad/sppidol\",\"type\":\"sp2d.rejected\","
    "\"opd\":\"bpkad\",\"time\":\"2026-03-10T16:45:00+07:00\","
    "\"subject\":\"0124/SP2D/GU/1.01.01/2026\","
    "\"data\":{\"opd_pemohon\":\"disdik\",\"nilai\":1500000000,"
    "\"speed\":92.5,\"zero\":0,\"neg\":-3,\"tiny\":0.1,\"big\":1e20,"
    "\"third\":0.3333333333333333,\"ok\":true,\"no\":false,"
    "\"nil\":null,\"obj\":{\"a\":{\"b\":\"deep\"}},\"list\":[1],"
    "\"empty\":\"\",\"evil\":\"x/../y\",\"plus\":\"a+b\",\"hash\":\"#\","
    "\"ctl\":\"a\\u0001b\",\"c1\":\"a\\u0085b\",\"dollar\":\"$SYS\","
    "\"utf\":\"Kabanjahe \\u00e9\",\"key-with_dash\":\"k\"}}";

static cJSON *ev;

/* Renders src (which must compile) and returns the result code. */
static int
render(const char *src, int topic, char *out, size_t outlen)
{
	struct expr_env env = { ev, "karo/ev/bpkad/sppidol/sp2d.rejected" };
	struct template *t;
	char err[256];
	int rc;

	t = template_compile(src, err, sizeof(err));
	if (t == NULL) {
		fprintf(stderr, "  | %s: %s\n", src, err);
		snprintf(out, outlen, "(compile error)");
		return -100;
	}
	rc = topic ? template_render_topic(t, &env, "karo", out, outlen) :
	    template_render(t, &env, "karo", out, outlen);
	template_free(t);
	return rc;
}

#define RENDER(src, want)                                                     \
	do {                                                                  \
		char out_[512];                                               \
		int rc_ = render((src), 0, out_, sizeof(out_));               \
		CHECK_STR(out_, (want));                                      \
		CHECK_INT(rc_, (int)strlen(want));                            \
	} while (0)

#define RENDER_FAIL(src, topic, code)                                         \
	do {                                                                  \
		char out_[512];                                               \
		CHECK_INT(render((src), (topic), out_, sizeof(out_)), (code));\
		CHECK_STR(out_, "");                                          \
	} while (0)

static void
test_render(void)
{
	RENDER("plain text", "plain text");
	RENDER("", "");
	RENDER("{site}/feed/x", "karo/feed/x");
	RENDER("{type}|{opd}|{id}|{source}", "sp2d.rejected|bpkad|"
	    "0190f3a2-7b1c|/karo/bpkad/sppidol");
	RENDER("{subject} @ {time}", "0124/SP2D/GU/1.01.01/2026 @ "
	    "2026-03-10T16:45:00+07:00");
	RENDER("{topic}", "karo/ev/bpkad/sppidol/sp2d.rejected");
	RENDER("{site}/opd/{data.opd_pemohon}/inbox/{type}",
	    "karo/opd/disdik/inbox/sp2d.rejected");
	RENDER("{data.obj.a.b}", "deep");
	RENDER("{data.utf}!", "Kabanjahe é!");
	RENDER("{data.key-with_dash}", "k");
	RENDER("{{literal}} {{{type}}}", "{literal} {sp2d.rejected}");
	RENDER("a}}b", "a}b");
	/* Numbers as JSON writes them, without trailing zeros. */
	RENDER("{data.nilai}", "1500000000");
	RENDER("{data.speed}", "92.5");
	RENDER("{data.zero} {data.neg} {data.tiny}", "0 -3 0.1");
	RENDER("{data.big}", "1e+20");
	RENDER("{data.third}", "0.3333333333333333");
	RENDER("{data.ok}/{data.no}", "true/false");
	/* Defaults. */
	RENDER("{data.plate|tanpa plat}", "tanpa plat");
	RENDER("[{data.plate|}]", "[]");
	RENDER("{data.nil|kosong}", "kosong");
	RENDER("{data.obj|objek}", "objek");
	RENDER("{data.opd_pemohon|x}", "disdik");
	RENDER("{data.a|b|c}", "b|c");
	/* Missing fields. */
	RENDER_FAIL("{data.plate}", 0, TEMPLATE_EMISSING);
	RENDER_FAIL("x {data.nil}", 0, TEMPLATE_EMISSING);
	RENDER_FAIL("{data.obj}", 0, TEMPLATE_EMISSING);
	RENDER_FAIL("{data.list}", 0, TEMPLATE_EMISSING);
	RENDER_FAIL("{data.obj.a.b.c}", 0, TEMPLATE_EMISSING);
	RENDER_FAIL("{data.utf.x}", 0, TEMPLATE_EMISSING);
	RENDER("{data.empty}", "");
}

static void
test_missing_env(void)
{
	struct expr_env env = { NULL, NULL };
	struct template *t;
	char out[64];

	t = template_compile("{site}/{type}", NULL, 0);
	CHECK(t != NULL);
	CHECK_INT(template_render(t, &env, "karo", out, sizeof(out)),
	    TEMPLATE_EMISSING);
	template_free(t);
	t = template_compile("{site}", NULL, 0);
	CHECK_INT(template_render(t, &env, NULL, out, sizeof(out)),
	    TEMPLATE_EMISSING);
	CHECK_INT(template_render(t, &env, "karo", out, sizeof(out)), 4);
	template_free(t);
	t = template_compile("{topic|none}", NULL, 0);
	CHECK_INT(template_render(t, &env, "karo", out, sizeof(out)), 4);
	CHECK_STR(out, "none");
	template_free(t);
	/* The event is not an object. */
	env.event = cJSON_GetObjectItem(ev, "id");
	t = template_compile("{data.x|d}{type|t}", NULL, 0);
	CHECK_INT(template_render(t, &env, "karo", out, sizeof(out)), 2);
	CHECK_STR(out, "dt");
	template_free(t);
}

static void
test_topic(void)
{
	char out[512];

	CHECK_INT(render("{site}/opd/{data.opd_pemohon}/inbox/{type}", 1, out,
	    sizeof(out)), 35);
	CHECK_STR(out, "karo/opd/disdik/inbox/sp2d.rejected");
	/* Values that would change the shape of the topic. */
	RENDER_FAIL("{site}/opd/{data.evil}/inbox", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/opd/{data.plus}/inbox", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/opd/{data.hash}", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/opd/{data.empty}/inbox", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/opd/{data.ctl}", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/opd/{data.c1}", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/feed/{subject}", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{data.dollar}/x", 1, TEMPLATE_EUNSAFE);
	RENDER_FAIL("{site}/feed/{data.x|a/b}", 1, TEMPLATE_EUNSAFE);
	/* The same values are fine in plain text. */
	RENDER("{data.evil} {data.plus} {data.hash}", "x/../y a+b #");
	/* Literal text of a topic template is the author's, checked at load. */
	CHECK_INT(render("$x/{type}", 1, out, sizeof(out)), TEMPLATE_EUNSAFE);
	CHECK_INT(render("a/{data.utf}", 1, out, sizeof(out)), 14);
	CHECK_INT(render("{data.nilai}/{data.ok}", 1, out, sizeof(out)), 15);
	CHECK_STR(out, "1500000000/true");
}

static void
test_long(void)
{
	struct expr_env env = { ev, NULL };
	struct template *t;
	char out[16], big[2048];
	int rc;

	t = template_compile("{site}/{data.opd_pemohon}", NULL, 0);
	CHECK(t != NULL);
	/* "karo/disdik" is 11 bytes: needs 12 with the NUL. */
	CHECK_INT(template_render(t, &env, "karo", out, 12), 11);
	CHECK_STR(out, "karo/disdik");
	CHECK_INT(template_render(t, &env, "karo", out, 11), TEMPLATE_ETOOLONG);
	CHECK_STR(out, "");
	CHECK_INT(template_render(t, &env, "karo", out, 5), TEMPLATE_ETOOLONG);
	CHECK_INT(template_render(t, &env, "karo", out, 0), TEMPLATE_ETOOLONG);
	CHECK_INT(template_render_topic(t, &env, "karo", out, 11),
	    TEMPLATE_ETOOLONG);
	template_free(t);
	t = template_compile("", NULL, 0);
	CHECK_INT(template_render(t, &env, "karo", out, 0), TEMPLATE_ETOOLONG);
	CHECK_INT(template_render(t, &env, "karo", out, 1), 0);
	template_free(t);
	/* A template at the size limit compiles; one byte more does not. */
	memset(big, 'a', TEMPLATE_MAX_SOURCE);
	big[TEMPLATE_MAX_SOURCE] = '\0';
	t = template_compile(big, NULL, 0);
	CHECK(t != NULL);
	rc = template_render(t, &env, "karo", big, sizeof(big));
	CHECK_INT(rc, TEMPLATE_MAX_SOURCE);
	template_free(t);
	memset(big, 'a', TEMPLATE_MAX_SOURCE + 1);
	big[TEMPLATE_MAX_SOURCE + 1] = '\0';
	CHECK(template_compile(big, NULL, 0) == NULL);
}

#define COMPILE_ERR(src, want)                                                \
	do {                                                                  \
		char err_[256];                                               \
		struct template *t_ = template_compile((src), err_,           \
		    sizeof(err_));                                            \
		CHECK(t_ == NULL);                                            \
		CHECK_STR(err_, (want));                                      \
		template_free(t_);                                            \
	} while (0)

static void
test_compile_errors(void)
{
	char big[512];
	size_t i;

	COMPILE_ERR("{site}/feed/{type", "column 13: unbalanced '{' (write "
	    "'{{' for a literal '{')");
	COMPILE_ERR("a {b {type}", "column 3: unbalanced '{' (write '{{' "
	    "for a literal '{')");
	COMPILE_ERR("ab}c", "column 3: unmatched '}' (write '}}' for a "
	    "literal '}')");
	COMPILE_ERR("é日本 {typ}", "column 6: unknown field 'typ' (site, "
	    "type, opd, subject, id, source, time, topic, data.KEY)");
	COMPILE_ERR("{}", "column 2: empty field name");
	COMPILE_ERR("x{|default}", "column 3: empty field name");
	COMPILE_ERR("{data}", "column 2: {data} needs a key, e.g. "
	    "{data.category}");
	COMPILE_ERR("{data.}", "column 7: empty key in field name");
	COMPILE_ERR("{data..a}", "column 7: empty key in field name");
	COMPILE_ERR("{data.a b}", "column 8: invalid character in field name "
	    "(keys are letters, digits, '_' and '-')");
	COMPILE_ERR("{ type }", "column 2: unknown field ' type ' (site, type, "
	    "opd, subject, id, source, time, topic, data.KEY)");
	COMPILE_ERR("ok \xff", "column 4: invalid UTF-8");
	/* Templates written as YAML blocks span lines. */
	COMPILE_ERR("Baris satu\nbaris {dua}\n", "line 2, column 8: unknown "
	    "field 'dua' (site, type, opd, subject, id, source, time, topic, "
	    "data.KEY)");
	COMPILE_ERR("a\r\nb\rc {x", "line 3, column 3: unbalanced '{' "
	    "(write '{{' for a literal '{')");
	snprintf(big, sizeof(big), "{data");
	for (i = 0; i < TEMPLATE_MAX_KEYS + 1; i++)
		strncat(big, ".k", sizeof(big) - strlen(big) - 1);
	strncat(big, "}", sizeof(big) - strlen(big) - 1);
	COMPILE_ERR(big, "column 2: field name has more than 16 keys");
	big[0] = '\0';
	for (i = 0; i < TEMPLATE_MAX_SEGMENTS / 2 + 1; i++)
		strncat(big, "a{id}", sizeof(big) - strlen(big) - 1);
	COMPILE_ERR(big, "column 162: too many parts (at most 64 literal runs "
	    "and fields)");
}

#define TOPIC_ERR(src, one, want)                                             \
	do {                                                                  \
		char err_[256] = "";                                          \
		struct template *t_ = template_compile((src), NULL, 0);       \
		CHECK(t_ != NULL);                                            \
		if (t_ != NULL)                                               \
			CHECK_INT(template_check_topic(t_, (one), err_,       \
			    sizeof(err_)), (want)[0] ? -1 : 0);               \
		CHECK_STR(err_, (want));                                      \
		template_free(t_);                                            \
	} while (0)

static void
test_check_topic(void)
{
	struct template *t;

	TOPIC_ERR("{site}/opd/{data.opd_pemohon}/inbox/{type}", 0, "");
	TOPIC_ERR("{site}/feed/+", 0, "column 13: a topic to publish to "
	    "cannot contain the wildcard '+'");
	TOPIC_ERR("{site}/#", 0, "column 8: a topic to publish to cannot "
	    "contain the wildcard '#'");
	TOPIC_ERR("{site}/x/{topic}", 0, "column 11: {topic} cannot be used in "
	    "a topic: its value contains '/'");
	TOPIC_ERR("{site}/x/{source|s}", 0, "column 11: {source} cannot be "
	    "used in a topic: its value contains '/'");
	TOPIC_ERR("é/{data.x|a/b}", 0, "column 11: the default text of a "
	    "field in a topic must be one non-empty level (no '/', '+', "
	    "'#')");
	TOPIC_ERR("{site}/{data.x|}", 0, "column 16: the default text of a "
	    "field in a topic must be one non-empty level (no '/', '+', '#')");
	TOPIC_ERR("{{+}}", 0, "column 3: a topic to publish to cannot "
	    "contain the wildcard '+'");
	TOPIC_ERR("{data.opd_pemohon}", 1, "");
	TOPIC_ERR("dinas/pupr", 1, "column 6: must be a single topic level "
	    "(no '/')");
	TOPIC_ERR("{data.x|a}/{{b}}", 0, "");
	TOPIC_ERR("{site}/a\tb", 0, "column 9: a topic cannot contain a "
	    "control character or a line break");
	TOPIC_ERR("{site}/a\nb", 0, "line 1, column 9: a topic cannot "
	    "contain a control character or a line break");

	t = template_compile("{type}-{data.reporter.contact}", NULL, 0);
	CHECK_STR(template_reads(t, "data.reporter.contact"),
	    "data.reporter.contact");
	CHECK_STR(template_reads(t, "data.reporter"), "data.reporter.contact");
	CHECK(template_reads(t, "data.report") == NULL);
	CHECK(template_reads(t, "data.reporter.contact.x") == NULL);
	CHECK_INT(template_is_literal(t), 0);
	CHECK_STR(template_source(t), "{type}-{data.reporter.contact}");
	template_free(t);
	t = template_compile("{data.reporter.contact|-}", NULL, 0);
	CHECK(template_reads(t, "data.reporter.contact") == NULL);
	template_free(t);
	t = template_compile("dishub{{}}", NULL, 0);
	CHECK_INT(template_is_literal(t), 1);
	template_free(t);
}

int
main(void)
{
	ev = cJSON_Parse(event_json);
	CHECK(ev != NULL);
	test_render();
	test_missing_env();
	test_topic();
	test_long();
	test_compile_errors();
	test_check_topic();
	cJSON_Delete(ev);
	return testlib_done();
}
