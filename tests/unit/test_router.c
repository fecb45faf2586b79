/*
 * test_router: the router's indexes (topic cache, predicate index) change
 * which rules are tried, never what comes out. Random rule sets meet random
 * events, and the indexed router must give exactly the outputs of the
 * linear one (ROUTER_LINEAR: every rule through rule_match(), in priority
 * order), in the same order; then a few fixed cases pin what is indexed.
 *
 * The rule sets mix indexable tests (==, in, <, <=, >, >= with a number,
 * either side, nested '&&') with ones that are not (||, !, !=, == with a
 * number, indexed or quoted paths, lists holding a non-string) over a small
 * vocabulary, so that events hit
 * and miss the index often, and fields are missing, null, numbers, lists
 * or objects as often as strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "rules.h"
#include "testlib.h"
#include "util.h"

#define SETS 60
#define RULES_PER_SET 80
#define EVENTS 400

static unsigned long rng_state = 12345;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng_state >> 33) % n);
}

static const char *const words[] = { "a", "b", "c", "sos", "" };
static const char *const keys[] = { "k", "m", "sub.x" };
static const char *const types[] = { "t.one", "t.two", "t.three" };
static const char *const opds[] = { "dishub", "bpkad" };

static const char *
word(void)
{
	return words[rnd(nitems(words))];
}

/* One operand of a predicate, indexable or not. */
static void
atom(struct buf *b)
{
	const char *k = keys[rnd(nitems(keys))];

	switch (rnd(19)) {
	case 0: buf_appendf(b, "data.%s == \"%s\"", k, word()); break;
	case 1: buf_appendf(b, "\"%s\" == data.%s", word(), k); break;
	case 2: buf_appendf(b, "data.%s in [\"%s\", \"%s\"]", k, word(),
	    word()); break;
	case 3: buf_appendf(b, "type == \"%s\"", types[rnd(3)]); break;
	case 4: buf_appendf(b, "opd == \"%s\"", opds[rnd(2)]); break;
	case 5: buf_appendf(b, "data.%s != \"%s\"", k, word()); break;
	case 6: buf_appendf(b, "data.n > %u", rnd(5)); break;
	case 7: buf_appendf(b, "has(data.%s)", k); break;
	case 8: buf_appendf(b, "data[\"%s\"] == \"%s\"", k, word()); break;
	case 9: buf_appendf(b, "data.%s in [\"%s\", 1]", k, word()); break;
	case 10: buf_appendf(b, "data.l[0] == \"%s\"", word()); break;
	case 11: buf_appendf(b, "!(data.%s == \"%s\")", k, word()); break;
	case 12: buf_appendf(b, "data.%s == %u", k, rnd(3)); break;
	case 13: buf_appendf(b, "data.%s in []", k); break;
	case 14: buf_appendf(b, "%u < data.n", rnd(5)); break;
	case 15: buf_appendf(b, "data.n >= %uu", rnd(5)); break;
	case 16: buf_appendf(b, "%u.5 >= data.n", rnd(5)); break;
	case 17: buf_appendf(b, "data.n <= -%u", rnd(2)); break;
	default: buf_appendf(b, "data.%s < %u", k, rnd(3)); break;
	}
}

static void
predicate(struct buf *b)
{
	unsigned i, n = 1 + rnd(3);

	switch (rnd(4)) {
	case 0:	/* a top-level chain */
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_appendf(b, " && ");
			atom(b);
		}
		break;
	case 1:
		atom(b);
		buf_appendf(b, " || ");
		atom(b);
		break;
	case 2:	/* a nested chain, and an '||' inside a chain */
		buf_appendf(b, "(");
		atom(b);
		buf_appendf(b, " && ");
		atom(b);
		buf_appendf(b, ") && (");
		atom(b);
		buf_appendf(b, " || ");
		atom(b);
		buf_appendf(b, ")");
		break;
	default:
		atom(b);
		break;
	}
}

static const char *const filters[] = {
	"#", "{site}/ev/#", "{site}/ev/+/+/+", "{site}/ev/dishub/#",
	"{site}/ev/dishub/gps/t.one", "{site}/ev/+/+/t.two", "{site}/ev/bpkad/+/+",
};

static char *
random_rules(void)
{
	struct buf b;
	unsigned i, j;

	buf_init(&b, 1 << 24);
	buf_appendf(&b, "version: 1\nrules:\n");
	for (i = 0; i < RULES_PER_SET; i++) {
		buf_appendf(&b, "  - name: r%u\n    priority: %u\n", i, rnd(6));
		if (rnd(10) == 0)
			buf_appendf(&b, "    enabled: false\n");
		buf_appendf(&b, "    topic: \"%s\"\n",
		    filters[rnd(nitems(filters))]);
		if (rnd(8) != 0) {
			buf_appendf(&b, "    when: '");
			predicate(&b);
			buf_appendf(&b, "'\n");
		}
		buf_appendf(&b, "    actions:\n");
		if (rnd(6) == 0)
			buf_appendf(&b, "      - redact: {fields: [data.k], mode: mask}\n");
		j = rnd(3);
		if (j == 0)
			buf_appendf(&b, "      - alert: {severity: minor, opd: \"{opd}\", "
			    "message: \"r%u {data.m}\"}\n", i);
		else
			buf_appendf(&b, "      - route: \"{site}/feed/r%u\"\n", i);
		if (rnd(12) == 0)
			buf_appendf(&b, "      - stop\n");
	}
	buf_terminate(&b);
	return b.data;
}

/* A data value: a vocabulary string mostly, else any other JSON kind. */
static cJSON *
random_value(void)
{
	switch (rnd(8)) {
	case 0: return cJSON_CreateNumber(rnd(3));
	case 1: return cJSON_CreateNull();
	case 2: return cJSON_CreateBool(rnd(2));
	case 3: return cJSON_CreateStringArray((const char *const[]){ "a" }, 1);
	default: return cJSON_CreateString(word());
	}
}

static cJSON *
random_event(unsigned n, char *topic, size_t topiclen)
{
	cJSON *ev = cJSON_CreateObject(), *data = cJSON_CreateObject(), *sub;
	const char *type = types[rnd(3)], *opd = opds[rnd(2)];
	char id[32];

	snprintf(id, sizeof(id), "e-%u", n);
	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddStringToObject(ev, "type", type);
	cJSON_AddStringToObject(ev, "opd", opd);
	if (rnd(4) != 0)
		cJSON_AddItemToObject(data, "k", random_value());
	if (rnd(2) != 0)
		cJSON_AddItemToObject(data, "m", random_value());
	if (rnd(3) == 0) {	/* a repeated key: the first one counts */
		cJSON_AddItemToObject(data, "k", random_value());
	}
	if (rnd(2) != 0) {
		sub = cJSON_CreateObject();
		cJSON_AddItemToObject(sub, "x", random_value());
		cJSON_AddItemToObject(data, "sub", sub);
	} else if (rnd(2) != 0) {
		cJSON_AddItemToObject(data, "sub", random_value());
	}
	switch (rnd(8)) {	/* mostly small whole numbers */
	case 0: cJSON_AddNumberToObject(data, "n", 2.5); break;
	case 1: cJSON_AddNumberToObject(data, "n", -1); break;
	case 2: cJSON_AddStringToObject(data, "n", "3"); break;
	case 3: cJSON_AddNumberToObject(data, "n", 1e20); break;
	default: cJSON_AddNumberToObject(data, "n", rnd(6)); break;
	}
	if (rnd(2) != 0)
		cJSON_AddItemToObject(data, "l",
		    cJSON_CreateStringArray((const char *const[]){ word() }, 1));
	cJSON_AddItemToObject(ev, "data", data);
	snprintf(topic, topiclen, "karo/ev/%s/%s/%s", opd,
	    rnd(2) ? "gps" : "sys", rnd(8) ? type : "other");
	return ev;
}

/* The sink writes every output into a buf, in order. */
static void
rec_publish(void *arg, const char *rule, const char *event_id,
    const char *topic, const char *payload, size_t len)
{
	(void)buf_appendf(arg, "P %s %s %s %.*s\n", rule, event_id, topic, (int)len,
	    payload);
}

static void
rec_alert(void *arg, const char *rule, const char *event_id,
    const char *severity, const char *opd, const char *message)
{
	(void)buf_appendf(arg, "A %s %s %s %s %s\n", rule, event_id, severity, opd,
	    message);
}

static void
rec_case(void *arg, const char *rule, const char *event_id,
    const char *key, const char *kind, const char *opd, const char *policy,
    const char *severity, const char *title, const char *channel)
{
	(void)buf_appendf(arg, "C %s %s %s %s %s %s %s %s %s\n", rule, event_id, key,
	    kind, opd, policy, severity, title, channel ? channel : "-");
}

static struct router *
load(const char *yaml, int flags)
{
	struct rule_errors errs;
	struct ruleset *rs;
	size_t i;

	rule_errors_init(&errs);
	rs = ruleset_parse_yaml(yaml, strlen(yaml), "random.yaml", "karo",
	    &errs);
	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	rule_errors_clear(&errs);
	if (rs == NULL)
		return NULL;
	return router_new_flags(rs, "karo", flags);
}

static void
test_differential(void)
{
	struct router_stats si, sl;
	unsigned s, e;
	uint64_t tried_indexed = 0, tried_linear = 0, outputs = 0;

	for (s = 0; s < SETS; s++) {
		char *yaml = random_rules();
		struct router *ri = load(yaml, 0), *rl = load(yaml,
		    ROUTER_LINEAR);
		struct buf oi, ol;
		struct router_sink ki = { rec_publish, rec_alert, rec_case,
		    &oi };
		struct router_sink kl = { rec_publish, rec_alert, rec_case,
		    &ol };

		CHECK(ri != NULL && rl != NULL);
		if (ri == NULL || rl == NULL) {
			fprintf(stderr, "%s", yaml);
			free(yaml);
			router_free(ri);
			router_free(rl);
			continue;
		}
		buf_init(&oi, 1 << 26);
		buf_init(&ol, 1 << 26);
		for (e = 0; e < EVENTS; e++) {
			char topic[128], *payload;
			cJSON *ev = random_event(e, topic, sizeof(topic));
			int ni, nl;

			payload = cJSON_PrintUnformatted(ev);
			ni = router_route_to(ri, &ki, topic, ev, payload,
			    strlen(payload));
			nl = router_route_to(rl, &kl, topic, ev, payload,
			    strlen(payload));
			CHECK_INT(ni, nl);
			cJSON_free(payload);
			cJSON_Delete(ev);
		}
		CHECK_INT(oi.len, ol.len);
		if (oi.len != ol.len || memcmp(oi.data, ol.data,
		    oi.len) != 0) {
			testlib_fail(__FILE__, __LINE__,
			    "set %u: indexed and linear outputs differ", s);
			fprintf(stderr, "%s", yaml);
		}
		router_get_stats(ri, &si);
		router_get_stats(rl, &sl);
		CHECK_INT(si.matched, sl.matched);
		tried_indexed += si.evaluated;
		tried_linear += sl.evaluated;
		outputs += si.routed + si.alerts;
		buf_free(&oi);
		buf_free(&ol);
		router_free(ri);
		router_free(rl);
		free(yaml);
	}
	/* The test means something only if outputs happen and rules are skipped. */
	CHECK(outputs > 1000);
	CHECK(tried_indexed * 2 < tried_linear);
	printf("differential: %u sets x %u events, %llu outputs, %llu rules "
	    "tried indexed vs %llu linear\n", SETS, EVENTS,
	    (unsigned long long)outputs, (unsigned long long)tried_indexed,
	    (unsigned long long)tried_linear);
}

/* Routes one event on a set and returns how many predicates ran. */
static uint64_t
tried(const char *yaml, const char *json, int *outputs)
{
	struct router *r = load(yaml, 0);
	struct router_stats st;
	struct buf o;
	struct router_sink k = { rec_publish, rec_alert, rec_case, &o };
	cJSON *ev = cJSON_Parse(json);

	buf_init(&o, 1 << 20);
	*outputs = router_route_to(r, &k, "karo/ev/dishub/gps/gps.alarm", ev,
	    json, strlen(json));
	router_get_stats(r, &st);
	buf_free(&o);
	cJSON_Delete(ev);
	router_free(r);
	return st.evaluated;
}

static void
test_fixed(void)
{
	const char *set =
	    "version: 1\nrules:\n"
	    "  - {name: sos, topic: '#', when: 'data.alarm in [\"sos\", \"tamper\"] && data.speed > 1', actions: [{route: '{site}/feed/a'}]}\n"
	    "  - {name: dev, topic: '#', when: 'type == \"gps.alarm\" && \"d1\" == data.device_id', actions: [{route: '{site}/feed/b'}]}\n"
	    "  - {name: dev2, topic: '#', when: 'data.device_id in [\"d3\", \"d4\"]', actions: [{route: '{site}/feed/e'}]}\n"
	    "  - {name: any, topic: '#', when: 'data.alarm == \"sos\" || data.alarm == \"x\"', actions: [{route: '{site}/feed/c'}]}\n"
	    "  - {name: none, topic: '#', actions: [{route: '{site}/feed/d'}]}\n";
	int n;

	/*
	 * dev is filed under its device_id test (3 constants in the set)
	 * rather than under type (1). sos is marked, dev and dev2 are not
	 * (device d2); any and none have no usable test.
	 */
	CHECK_INT(tried(set, "{\"id\":\"1\",\"type\":\"gps.alarm\","
	    "\"data\":{\"alarm\":\"sos\",\"speed\":2,\"device_id\":\"d2\"}}",
	    &n), 3);
	CHECK_INT(n, 3);
	/* A number is not the string "sos": sos is skipped, dev is tried. */
	CHECK_INT(tried(set, "{\"id\":\"1\",\"type\":\"gps.alarm\","
	    "\"data\":{\"alarm\":1,\"device_id\":\"d1\"}}", &n), 3);
	CHECK_INT(n, 2);
	/* Order tests: only the thresholds below 90 (or above, for <=). */
	CHECK_INT(tried("version: 1\nrules:\n"
	    "  - {name: a, topic: '#', when: 'data.speed > 80 && data.valid', actions: [{route: '{site}/feed/a'}]}\n"
	    "  - {name: b, topic: '#', when: 'data.speed > 100 && data.valid', actions: [{route: '{site}/feed/b'}]}\n"
	    "  - {name: c, topic: '#', when: '60u < data.speed', actions: [{route: '{site}/feed/c'}]}\n"
	    "  - {name: d, topic: '#', when: 'data.speed <= 90.0', actions: [{route: '{site}/feed/d'}]}\n"
	    "  - {name: e, topic: '#', when: 'data.speed <= 89.5', actions: [{route: '{site}/feed/e'}]}\n",
	    "{\"id\":\"1\",\"data\":{\"speed\":90,\"valid\":true}}", &n), 3);
	CHECK_INT(n, 3);
	/* dev is tried for d1 whatever the type, and fails on it. */
	CHECK_INT(tried(set, "{\"id\":\"1\",\"type\":\"x\","
	    "\"data\":{\"device_id\":\"d1\"}}", &n), 3);
	CHECK_INT(n, 1);
}

/* More distinct topics than the cache holds: it empties, results stay. */
static void
test_cache_resets(void)
{
	const char *set =
	    "version: 1\nrules:\n"
	    "  - {name: all, topic: '#', when: 'data.k == \"a\"', actions: [{route: '{site}/feed/a'}]}\n"
	    "  - {name: sys, topic: '{site}/ev/+/+/t.one', actions: [{route: '{site}/feed/{data.k}'}]}\n";
	struct router *ri = load(set, 0), *rl = load(set, ROUTER_LINEAR);
	struct buf oi, ol;
	struct router_sink ki = { rec_publish, rec_alert, rec_case, &oi };
	struct router_sink kl = { rec_publish, rec_alert, rec_case, &ol };
	struct router_stats st;
	unsigned e;

	buf_init(&oi, 1 << 26);
	buf_init(&ol, 1 << 26);
	for (e = 0; e < 3000; e++) {
		char topic[128], *payload;
		cJSON *ev = random_event(e, topic, sizeof(topic));

		/* A system name of its own for every event. */
		snprintf(topic, sizeof(topic), "karo/ev/dishub/s%u/%s", e,
		    e % 2 ? "t.one" : "t.two");
		payload = cJSON_PrintUnformatted(ev);
		router_route_to(ri, &ki, topic, ev, payload, strlen(payload));
		router_route_to(rl, &kl, topic, ev, payload, strlen(payload));
		cJSON_free(payload);
		cJSON_Delete(ev);
	}
	router_get_stats(ri, &st);
	CHECK(st.cache_resets >= 2);
	CHECK(oi.len > 0);
	CHECK(oi.len == ol.len && memcmp(oi.data, ol.data, oi.len) == 0);
	buf_free(&oi);
	buf_free(&ol);
	router_free(ri);
	router_free(rl);
}

int
main(void)
{
	test_fixed();
	test_cache_resets();
	test_differential();
	return testlib_done();
}
