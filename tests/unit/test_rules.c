/*
 * test_rules: the rule model and the YAML loader (hub/rules.c).
 *
 * - deploy/rules/karo.yaml loads without errors, and its rules send real
 *   events (tests/data/events/valid) where the command centre expects;
 * - every tests/data/rules/bad-*.yaml gives exactly the errors listed in
 *   its leading "# expect: LINE:COL: message" comments, in that order;
 *   every good-*.yaml loads;
 * - the JSON form of every karo.yaml rule survives text and back;
 * - the limits (size, rule count, nesting, values, aliases) hold;
 * - rulesets built rule by rule keep the order; redaction works.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules.h"
#include "template.h"
#include "testlib.h"
#include "util.h"

#define SRC SIMPUL_SRCDIR
#define KARO SRC "/deploy/rules/karo.yaml"
#define RULEDIR SRC "/tests/data/rules"
#define EVENTDIR SRC "/tests/data/events/valid"

static char *
read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = xmalloc((size_t)n + 1);
	*len = fread(s, 1, (size_t)n, f);
	s[*len] = '\0';
	fclose(f);
	return s;
}

static cJSON *
read_event(const char *type)
{
	char path[512];
	size_t len;
	char *s;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/%s.json", EVENTDIR, type);
	if ((s = read_text(path, &len)) == NULL)
		return NULL;
	j = cJSON_Parse(s);
	free(s);
	return j;
}

static void
print_errors(const struct rule_errors *e)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		fprintf(stderr, "  | %s\n", e->msg[i]);
}

/*
 * What a router does with a ruleset, reduced to the names of the rules
 * that run for the event, in order, as "a,b,c".
 */
static void
matching(const struct ruleset *rs, const char *topic, const cJSON *ev,
    char *out, size_t outlen)
{
	struct expr_env env = { ev, topic };
	size_t i;

	out[0] = '\0';
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule *r = ruleset_get(rs, i);

		if (!rule_match(r, topic, &env))
			continue;
		if (out[0] != '\0')
			strncat(out, ",", outlen - strlen(out) - 1);
		strncat(out, rule_name(r), outlen - strlen(out) - 1);
		if (rule_stops(r))
			break;
	}
}

static const struct rule_action *
find_action(const struct rule *r, enum rule_action_kind kind, size_t nth)
{
	size_t i;

	for (i = 0; i < rule_action_count(r); i++)
		if (rule_action(r, i)->kind == kind && nth-- == 0)
			return rule_action(r, i);
	return NULL;
}

static void
test_karo(void)
{
	struct rule_errors errs;
	struct ruleset *rs;
	const struct rule *r;
	const struct rule_action *a;
	struct expr_env env;
	char names[512], out[512];
	cJSON *ev, *copy, *rep;
	size_t i;

	rule_errors_init(&errs);
	rs = ruleset_load_yaml(KARO, "karo", &errs);
	CHECK(rs != NULL);
	CHECK_INT(errs.total, 0);
	print_errors(&errs);
	rule_errors_clear(&errs);
	if (rs == NULL)
		return;
	CHECK_INT(ruleset_count(rs), 22);
	/* Sorted by priority, highest first, then by name. */
	for (i = 1; i < ruleset_count(rs); i++) {
		const struct rule *p = ruleset_get(rs, i - 1);

		r = ruleset_get(rs, i);
		CHECK(rule_priority(p) > rule_priority(r) ||
		    (rule_priority(p) == rule_priority(r) &&
		    strcmp(rule_name(p), rule_name(r)) < 0));
	}
	CHECK_STR(rule_name(ruleset_get(rs, 0)), "alarm-sos-putus-daya");
	CHECK(ruleset_get(rs, ruleset_count(rs)) == NULL);

	/* A complaint about a road: feed (masked), then Dinas PUPR. */
	ev = read_event("complaint.created");
	CHECK(ev != NULL);
	matching(rs, "karo/ev/diskominfo/pengaduan/complaint.created", ev,
	    names, sizeof(names));
	CHECK_STR(names, "pengaduan-feed,pengaduan-jalan");
	r = ruleset_find(rs, "pengaduan-jalan");
	CHECK(r != NULL && rule_redacts(r) && rule_stops(r));
	if (r != NULL) {
		env.event = ev;
		env.topic = "karo/ev/diskominfo/pengaduan/complaint.created";
		a = find_action(r, RULE_ROUTE, 0);
		CHECK(a != NULL);
		CHECK_INT(template_render_topic(a->topic, &env, "karo", out,
		    sizeof(out)), 38);
		CHECK_STR(out, "karo/opd/dpupr/inbox/complaint.created");
		a = find_action(r, RULE_CASE, 0);
		CHECK(a != NULL && a->severity == RULE_SEV_MINOR);
		CHECK_STR(a->policy, "complaint");
		CHECK(template_render(a->key, &env, "karo", out,
		    sizeof(out)) > 0);
		CHECK_STR(out, "pengaduan:PGD-2026-000412");
		copy = cJSON_Duplicate(ev, 1);
		CHECK_INT(rule_redact(r, copy), 1);
		rep = cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "data"),
		    "reporter");
		CHECK(cJSON_GetObjectItem(rep, "contact") == NULL);
		CHECK(cJSON_GetObjectItem(rep, "name") != NULL);
		cJSON_Delete(copy);
	}
	r = ruleset_find(rs, "pengaduan-feed");
	if (r != NULL) {
		copy = cJSON_Duplicate(ev, 1);
		CHECK_INT(rule_redact(r, copy), 1);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "data"),
		    "reporter"), "contact")), "+628******1234");
		cJSON_Delete(copy);
	}
	/* An unknown category goes to the catch-all; a flood to BPBD. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "category",
	    cJSON_CreateString("anjing_liar"));
	matching(rs, "karo/ev/diskominfo/pengaduan/complaint.created", ev,
	    names, sizeof(names));
	CHECK_STR(names, "pengaduan-feed,pengaduan-lainnya");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "category",
	    cJSON_CreateString("longsor"));
	matching(rs, "karo/ev/diskominfo/pengaduan/complaint.created", ev,
	    names, sizeof(names));
	CHECK_STR(names, "pengaduan-feed,pengaduan-bencana");
	cJSON_Delete(ev);

	/* SP2D rejected: inbox of the applicant; minor below 1 billion. */
	ev = read_event("sp2d.rejected");
	CHECK(ev != NULL);
	matching(rs, "karo/ev/bpkad/sppidol/sp2d.rejected", ev, names,
	    sizeof(names));
	CHECK_STR(names, "sp2d-ditolak-kirim,sp2d-ditolak");
	r = ruleset_find(rs, "sp2d-ditolak-kirim");
	if (r != NULL) {
		env.event = ev;
		env.topic = "karo/ev/bpkad/sppidol/sp2d.rejected";
		a = find_action(r, RULE_ROUTE, 0);
		CHECK(template_render_topic(a->topic, &env, "karo", out,
		    sizeof(out)) > 0);
		CHECK_STR(out, "karo/opd/disdik/inbox/sp2d.rejected");
		/* A crafted applicant cannot reach another subtree. */
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"),
		    "opd_pemohon", cJSON_CreateString("x/../y"));
		CHECK_INT(template_render_topic(a->topic, &env, "karo", out,
		    sizeof(out)), TEMPLATE_EUNSAFE);
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"),
		    "opd_pemohon", cJSON_CreateString("disdik"));
	}
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "nilai",
	    cJSON_CreateNumber(1500000000));
	matching(rs, "karo/ev/bpkad/sppidol/sp2d.rejected", ev, names,
	    sizeof(names));
	CHECK_STR(names, "sp2d-ditolak-kirim,sp2d-ditolak-besar");
	r = ruleset_find(rs, "sp2d-ditolak-besar");
	if (r != NULL) {
		a = find_action(r, RULE_ALERT, 0);
		CHECK(a != NULL && a->severity == RULE_SEV_MAJOR);
		CHECK(template_render(a->message, &env, "karo", out,
		    sizeof(out)) > 0);
		CHECK_STR(out, "SP2D 0124/SP2D/GU/1.01.01/2026 senilai "
		    "Rp1500000000 ditolak: SPJ GU bulan Januari belum "
		    "disahkan; lampiran kuitansi tidak lengkap.");
	}
	/* The same event published by another agency: no rule. */
	matching(rs, "karo/ev/disdik/sppidol/sp2d.rejected", ev, names,
	    sizeof(names));
	CHECK_STR(names, "");
	cJSON_Delete(ev);

	ev = read_event("sp2d.issued");
	matching(rs, "karo/ev/bpkad/sppidol/sp2d.issued", ev, names,
	    sizeof(names));
	CHECK_STR(names, "sp2d-terbit-cair");
	cJSON_Delete(ev);

	/* Realisation at 25%: quiet in March, an alert from July. */
	ev = read_event("simda.realization");
	matching(rs, "karo/ev/bpkad/simda/simda.realization", ev, names,
	    sizeof(names));
	CHECK_STR(names, "");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "as_of",
	    cJSON_CreateString("2026-08-31"));
	matching(rs, "karo/ev/bpkad/simda/simda.realization", ev, names,
	    sizeof(names));
	CHECK_STR(names, "realisasi-anggaran-rendah");
	cJSON_Delete(ev);

	ev = read_event("gps.alarm");
	matching(rs, "karo/ev/dishub/gps/gps.alarm", ev, names, sizeof(names));
	CHECK(strcmp(names, "alarm-sos-putus-daya") == 0 ||
	    strcmp(names, "") == 0);	/* depends on the sample's alarm */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "alarm",
	    cJSON_CreateString("sos"));
	matching(rs, "karo/ev/dishub/gps/gps.alarm", ev, names, sizeof(names));
	CHECK_STR(names, "alarm-sos-putus-daya");
	cJSON_Delete(ev);

	ev = read_event("gps.position");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "speed_kmh",
	    cJSON_CreateNumber(92.5));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ev, "data"), "valid",
	    cJSON_CreateTrue());
	matching(rs, "karo/ev/dishub/gps/gps.position", ev, names,
	    sizeof(names));
	CHECK_STR(names, "posisi-kendaraan,kendaraan-overspeed");
	cJSON_Delete(ev);

	ev = read_event("permit.submitted");
	matching(rs, "karo/ev/dpmptsp/sicantik/permit.submitted", ev, names,
	    sizeof(names));
	CHECK_STR(names, "perizinan-feed,perizinan-kasus");
	cJSON_Delete(ev);

	/* The same file with another site. */
	rs = (ruleset_free(rs), ruleset_load_yaml(KARO, "demo", NULL));
	CHECK(rs != NULL);
	if (rs != NULL)
		CHECK_STR(rule_filter(ruleset_find(rs, "sp2d-ditolak")),
		    "demo/ev/bpkad/+/sp2d.rejected");
	ruleset_free(rs);
}

/* Compares two rules part by part (what the JSON form must carry). */
static void
check_same_rule(const struct rule *a, const struct rule *b)
{
	size_t i, k;

	CHECK_STR(rule_name(a), rule_name(b));
	CHECK((rule_description(a) == NULL) == (rule_description(b) == NULL));
	if (rule_description(a) != NULL && rule_description(b) != NULL)
		CHECK_STR(rule_description(a), rule_description(b));
	CHECK_INT(rule_enabled(a), rule_enabled(b));
	CHECK_INT(rule_priority(a), rule_priority(b));
	CHECK_STR(rule_topic(a), rule_topic(b));
	CHECK_STR(rule_filter(a), rule_filter(b));
	CHECK((rule_when(a) == NULL) == (rule_when(b) == NULL));
	if (rule_when(a) != NULL && rule_when(b) != NULL)
		CHECK_STR(rule_when(a), rule_when(b));
	CHECK_INT(rule_action_count(a), rule_action_count(b));
	for (i = 0; i < rule_action_count(a) && i < rule_action_count(b); i++) {
		const struct rule_action *x = rule_action(a, i);
		const struct rule_action *y = rule_action(b, i);
		const struct template *tx[5] = { x->topic, x->key, x->opd,
		    x->title, x->message };
		const struct template *ty[5] = { y->topic, y->key, y->opd,
		    y->title, y->message };

		CHECK_INT(x->kind, y->kind);
		CHECK_INT(x->severity, y->severity);
		CHECK_INT(x->mode, y->mode);
		CHECK_INT(x->nfields, y->nfields);
		for (k = 0; k < 5; k++) {
			CHECK((tx[k] == NULL) == (ty[k] == NULL));
			if (tx[k] != NULL && ty[k] != NULL)
				CHECK_STR(template_source(tx[k]),
				    template_source(ty[k]));
		}
		CHECK((x->policy == NULL) == (y->policy == NULL));
		if (x->policy != NULL && y->policy != NULL)
			CHECK_STR(x->policy, y->policy);
		for (k = 0; k < x->nfields && k < y->nfields; k++)
			CHECK_STR(x->fields[k], y->fields[k]);
	}
}

static void
test_json_roundtrip(void)
{
	struct ruleset *rs, *rs2;
	struct rule *r2;
	cJSON *j1, *j2, *parsed;
	char err[512], *text;
	size_t i;

	rs = ruleset_load_yaml(KARO, "karo", NULL);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	rs2 = ruleset_new();
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule *r = ruleset_get(rs, i);

		j1 = rule_to_json(r);
		/* As PostgreSQL stores it: text, then parsed again. */
		text = cJSON_PrintUnformatted(j1);
		parsed = cJSON_Parse(text);
		CHECK(parsed != NULL);
		r2 = rule_from_json(parsed, "karo", err, sizeof(err));
		CHECK(r2 != NULL);
		if (r2 == NULL) {
			fprintf(stderr, "  | %s: %s\n", rule_name(r), err);
		} else {
			check_same_rule(r, r2);
			j2 = rule_to_json(r2);
			CHECK(cJSON_Compare(j1, j2, 1));
			cJSON_Delete(j2);
			CHECK_INT(ruleset_add_take(rs2, r2), 0);
		}
		cJSON_free(text);
		cJSON_Delete(parsed);
		cJSON_Delete(j1);
	}
	/* Rebuilt rule by rule, the set has the same order. */
	CHECK_INT(ruleset_count(rs2), ruleset_count(rs));
	for (i = 0; i < ruleset_count(rs) && i < ruleset_count(rs2); i++)
		CHECK_STR(rule_name(ruleset_get(rs, i)),
		    rule_name(ruleset_get(rs2, i)));
	/* A second rule of the same name is refused (and freed). */
	j1 = rule_to_json(ruleset_get(rs, 3));
	r2 = rule_from_json(j1, "karo", err, sizeof(err));
	CHECK(r2 != NULL);
	if (r2 != NULL)
		CHECK_INT(ruleset_add_take(rs2, r2), -1);
	CHECK_INT(ruleset_count(rs2), ruleset_count(rs));
	cJSON_Delete(j1);
	ruleset_free(rs);
	ruleset_free(rs2);
}

/* Rules in JSON with mistakes, and the message for each. */
static void
test_json_errors(void)
{
	static const struct {
		const char *json;
		const char *err;
	} cases[] = {
		{ "[]", "a rule is a JSON object" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"actions\":"
		  "[\"stop\"],\"priorty\":1}",
		  "rule 'a': unknown key 'priorty' (did you mean "
		  "'priority'?)" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"actions\":"
		  "[\"stop\"],\"priority\":\"1\"}",
		  "rule 'a': priority: expected a whole number from "
		  "-2147483648 to 2147483647, found the quoted string '1'" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"actions\":"
		  "[\"stop\"],\"priority\":1.5}",
		  "rule 'a': priority: expected a whole number from "
		  "-2147483648 to 2147483647, found '1.5'" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"actions\":"
		  "[\"stop\"],\"enabled\":1}",
		  "rule 'a': enabled: expected true or false, found '1'" },
		{ "{\"name\":\"a\",\"name\":\"b\",\"topic\":\"{site}/ev/#\","
		  "\"actions\":[\"stop\"]}",
		  "rule 'a': duplicate key 'name'" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"when\":"
		  "\"data.x >\",\"actions\":[\"stop\"]}",
		  "rule 'a': predicate: line 1, column 9: unexpected end of "
		  "expression" },
		{ "{\"name\":\"a\",\"topic\":\"{site}/ev/#\",\"actions\":"
		  "[{\"alert\":{\"severity\":\"high\",\"opd\":\"x\"}}]}",
		  "rule 'a': alert: missing key 'message' (and 2 more "
		  "errors)" },
		{ "{\"topic\":\"{site}/ev/#\",\"actions\":[\"stop\"]}",
		  "rule #1: missing key 'name'" },
	};
	char err[512];
	struct rule *r;
	cJSON *j;
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		j = cJSON_Parse(cases[i].json);
		CHECK(j != NULL);
		r = rule_from_json(j, "karo", err, sizeof(err));
		CHECK(r == NULL);
		CHECK_STR(err, cases[i].err);
		rule_free(r);
		cJSON_Delete(j);
	}
	/* A minimal rule, with the defaults written out. */
	j = cJSON_Parse("{\"name\":\"a\",\"topic\":\"{site}/ev/#\","
	    "\"actions\":[\"stop\"]}");
	r = rule_from_json(j, "karo", err, sizeof(err));
	CHECK(r != NULL);
	cJSON_Delete(j);
	if (r != NULL) {
		char *s;

		j = rule_to_json(r);
		s = cJSON_PrintUnformatted(j);
		CHECK_STR(s, "{\"name\":\"a\",\"enabled\":true,\"priority\":0,"
		    "\"topic\":\"{site}/ev/#\",\"actions\":[\"stop\"]}");
		cJSON_free(s);
		cJSON_Delete(j);
		CHECK_INT(rule_match(r, "karo/ev/x/y/z", NULL), 1);
		CHECK_INT(rule_match(r, "karo/opd/x", NULL), 0);
	}
	rule_free(r);
}

/*
 * Loads one example file. A bad file starts with its expected errors, one
 * "# expect: LINE:COL: message" line each; the loader must give exactly
 * those, in that order, prefixed by the path.
 */
static void
check_example(const char *dir, const char *file)
{
	struct rule_errors errs;
	struct ruleset *rs;
	char path[1024], want[100][512], *text, *line, *nl;
	size_t len, nwant = 0, i, plen;
	int bad = strncmp(file, "bad-", 4) == 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = read_text(path, &len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (line = text; strncmp(line, "# expect: ", 10) == 0 && nwant < 100;
	    line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		snprintf(want[nwant++], sizeof(want[0]), "%.*s",
		    (int)(nl - line - 10), line + 10);
	}
	free(text);
	rule_errors_init(&errs);
	rs = ruleset_load_yaml(path, "karo", &errs);
	if (bad) {
		CHECK(nwant > 0);
		CHECK(rs == NULL);
	} else {
		CHECK(rs != NULL);
	}
	CHECK_INT(errs.total, nwant);
	plen = strlen(path);
	for (i = 0; i < errs.count || i < nwant; i++) {
		const char *got = i < errs.count ? errs.msg[i] : "(none)";

		if (i < errs.count && strncmp(got, path, plen) == 0 &&
		    got[plen] == ':')
			got += plen + 1;
		else if (i < errs.count)
			fprintf(stderr, "  | %s: no path prefix\n", file);
		if (i >= nwant || strcmp(got, want[i]) != 0)
			fprintf(stderr, "  | %s: expected \"%s\"\n  |   got "
			    "\"%s\"\n", file, i < nwant ? want[i] : "(none)",
			    got);
		CHECK_STR(got, i < nwant ? want[i] : "(none)");
	}
	rule_errors_clear(&errs);
	ruleset_free(rs);
}

static void
test_examples(void)
{
	struct dirent *de;
	DIR *d;
	int nbad = 0, ngood = 0;

	d = opendir(RULEDIR);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		if (strncmp(de->d_name, "bad-", 4) == 0)
			nbad++;
		else if (strncmp(de->d_name, "good-", 5) == 0)
			ngood++;
		else
			continue;
		check_example(RULEDIR, de->d_name);
	}
	closedir(d);
	CHECK(nbad >= 15);
	CHECK(ngood >= 2);
}

/* Parses text and returns the first error ("" if it loaded). */
static void
first_error(const char *text, size_t len, char *out, size_t outlen)
{
	struct rule_errors errs;
	struct ruleset *rs;

	rule_errors_init(&errs);
	rs = ruleset_parse_yaml(text, len, "t.yaml", "karo", &errs);
	snprintf(out, outlen, "%s", errs.count > 0 ? errs.msg[0] : "");
	if (rs != NULL && errs.count > 0)
		snprintf(out, outlen, "loaded with errors?");
	ruleset_free(rs);
	rule_errors_clear(&errs);
}

static void
test_limits(void)
{
	struct rule_errors errs;
	struct ruleset *rs;
	struct buf b;
	const char *text;
	char err[512];
	size_t i;

	/* A file just over 1 MiB, even if it is only a comment. */
	buf_init(&b, 0);
	buf_append(&b, "version: 1\nrules: []\n", 21);
	while (b.len <= RULES_MAX_FILE)
		buf_append(&b, "# padding padding padding padding padding\n",
		    42);
	first_error(b.data, b.len, err, sizeof(err));
	CHECK(strstr(err, "t.yaml: too large") == err);
	buf_free(&b);

	/* 10,001 rules. */
	buf_init(&b, 0);
	buf_append(&b, "version: 1\nrules:\n", 18);
	for (i = 0; i <= RULES_MAX_RULES; i++)
		buf_appendf(&b, "- {name: r%zu, topic: '#', actions: [stop]}\n",
		    i);
	first_error(b.data, b.len, err, sizeof(err));
	CHECK_STR(err, "t.yaml:3:1: rules: too many rules (10001, at most "
	    "10000)");
	/* 10,000 load, sorted by name within one priority. */
	b.len -= strlen("- {name: r10000, topic: '#', actions: [stop]}\n");
	rule_errors_init(&errs);
	rs = ruleset_parse_yaml(b.data, b.len, "t.yaml", "karo", &errs);
	CHECK(rs != NULL);
	CHECK_INT(errs.total, 0);
	if (rs != NULL) {
		CHECK_INT(ruleset_count(rs), RULES_MAX_RULES);
		CHECK_STR(rule_name(ruleset_get(rs, 0)), "r0");
		CHECK_STR(rule_name(ruleset_get(rs, 1)), "r1");
		CHECK_STR(rule_name(ruleset_get(rs, 2)), "r10");
	}
	ruleset_free(rs);
	rule_errors_clear(&errs);
	buf_free(&b);

	/* Too many values: a flat list of 300,000 zeros (600 kB). */
	buf_init(&b, 0);
	buf_append(&b, "version: 1\nrules: [", 19);
	for (i = 0; i < 300000; i++)
		buf_append(&b, "0,", 2);
	buf_append(&b, "0]\n", 3);
	first_error(b.data, b.len, err, sizeof(err));
	CHECK(strstr(err, ": too many values (more than 200000)") != NULL);
	buf_free(&b);

	/* Nesting. */
	buf_init(&b, 0);
	buf_append(&b, "version: 1\nrules: ", 18);
	for (i = 0; i < 1000; i++)
		buf_append(&b, "[", 1);
	first_error(b.data, b.len, err, sizeof(err));
	CHECK_STR(err, "t.yaml:2:23: nested too deeply (more than 16 "
	    "levels)");
	buf_free(&b);

	/* The billion laughs stop at the first alias, and are all reported. */
	text = "version: 1\nrules: []\na: &a [x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n";
	first_error(text, strlen(text), err, sizeof(err));
	CHECK_STR(err, "t.yaml:3:1: unknown key 'a' (version, rules)");
	rule_errors_init(&errs);
	text = "version: 1\nrules: []\na: &a [x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n";
	rs = ruleset_parse_yaml(text, strlen(text), "t.yaml", "karo", &errs);
	CHECK(rs == NULL);
	/* 2 anchors, 8 aliases, 2 unknown keys. */
	CHECK_INT(errs.total, 12);
	CHECK_STR(errs.count > 1 ? errs.msg[1] : "", "t.yaml:3:4: YAML "
	    "anchors and aliases are not supported (&a)");
	CHECK_STR(errs.count > 11 ? errs.msg[11] : "", "t.yaml:4:36: YAML "
	    "anchors and aliases are not supported (*a)");
	rule_errors_clear(&errs);

	/* Errors past RULE_ERRORS_MAX are counted, not kept. */
	buf_init(&b, 0);
	buf_append(&b, "version: 1\nrules:\n", 18);
	for (i = 0; i < 150; i++)
		buf_appendf(&b, "- {name: r%zu, topic: '#', actions: "
		    "[stopp]}\n", i);
	rule_errors_init(&errs);
	rs = ruleset_parse_yaml(b.data, b.len, "t.yaml", "karo", &errs);
	CHECK(rs == NULL);
	CHECK_INT(errs.count, RULE_ERRORS_MAX);
	CHECK_INT(errs.total, 150);
	rule_errors_clear(&errs);
	buf_free(&b);

	/* Odd inputs. */
	first_error("", 0, err, sizeof(err));
	CHECK_STR(err, "t.yaml:1:1: empty rule file (expected 'version: 1' "
	    "and 'rules:')");
	first_error("version: 1\nrules: [\"a\0b\"]\n", 25, err, sizeof(err));
	CHECK(strstr(err, "t.yaml:2:11: YAML: control characters are not "
	    "allowed") == err);
	first_error("version: 1\nrules: [\"a\\0b\"]\n", 26, err, sizeof(err));
	CHECK_STR(err, "t.yaml:2:9: NUL character in a value");
	first_error("version: 1\nrules: []\n", 21, err, sizeof(err));
	CHECK_STR(err, "");
	rule_errors_init(&errs);
	CHECK(ruleset_parse_yaml("version: 1\nrules: []\n", 21, "t.yaml",
	    "a/b", &errs) == NULL);
	CHECK_STR(errs.count > 0 ? errs.msg[0] : "",
	    "t.yaml: invalid site 'a/b' (one topic level)");
	rule_errors_clear(&errs);
	rule_errors_init(&errs);
	CHECK(ruleset_load_yaml(RULEDIR "/no-such-file.yaml", "karo", &errs) ==
	    NULL);
	CHECK_STR(errs.count > 0 ? errs.msg[0] : "",
	    RULEDIR "/no-such-file.yaml: No such file or directory");
	rule_errors_clear(&errs);
}

static void
test_redact(void)
{
	static const char yaml[] =
	    "version: 1\n"
	    "rules:\n"
	    "  - name: r\n"
	    "    topic: '{site}/ev/#'\n"
	    "    actions:\n"
	    "      - route: '{site}/feed/x'\n"
	    "      - redact: {fields: [data.a, data.b.c, data.n, data.o, "
	    "data.u, data.s, data.missing.x], mode: mask}\n"
	    "      - redact: {fields: [data.gone, data.t]}\n";
	struct ruleset *rs;
	const struct rule *r;
	cJSON *ev;
	char *s;

	rs = ruleset_parse_yaml(yaml, sizeof(yaml) - 1, "t.yaml", "karo",
	    NULL);
	CHECK(rs != NULL);
	if (rs == NULL)
		return;
	r = ruleset_get(rs, 0);
	ev = cJSON_Parse("{\"data\":{\"a\":\"081234567890\",\"b\":{\"c\":"
	    "\"Rudi Sembiring\"},\"n\":42,\"o\":{\"k\":1},\"u\":\"Ñañé\","
	    "\"s\":\"ab\",\"gone\":\"x\",\"t\":null,\"keep\":\"y\"}}");
	CHECK_INT(rule_redact(r, ev), 7);
	s = cJSON_PrintUnformatted(ev);
	CHECK_STR(s, "{\"data\":{\"a\":\"0812****7890\",\"b\":{\"c\":"
	    "\"Rudi******ring\"},\"n\":\"****\",\"o\":\"****\",\"u\":"
	    "\"Ñ**é\",\"s\":\"**\",\"t\":null,\"keep\":\"y\"}}");
	cJSON_free(s);
	/* Again: masked values are masked again, removed ones are gone. */
	CHECK_INT(rule_redact(r, ev), 6);
	cJSON_Delete(ev);
	/* No data at all. */
	ev = cJSON_Parse("{\"id\":\"x\"}");
	CHECK_INT(rule_redact(r, ev), 0);
	cJSON_Delete(ev);
	ruleset_free(rs);
}

int
main(void)
{
	test_karo();
	test_json_roundtrip();
	test_json_errors();
	test_examples();
	test_limits();
	test_redact();
	return testlib_done();
}
