/*
 * intake: one message in, one verdict out. Each dead-letter reason is
 * reached by the message that should reach it, and a good event yields the
 * fields the store needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "schemaset.h"
#include "testlib.h"
#include "util.h"

static struct intake in;

#define POSITION_DATA                                                        \
	"{\"device_id\":\"353419036066061\",\"lat\":3.1,\"lon\":98.5,"      \
	"\"fix_time\":\"2026-11-27T10:00:00Z\",\"speed_kmh\":42.5,"          \
	"\"course\":90,\"valid\":true}"

static char *
event(const char *id, const char *opd, const char *type, const char *data)
{
	return xasprintf("{\"specversion\":\"1.0\",\"id\":\"%s\","
	    "\"source\":\"/karo/%s/gps\",\"type\":\"%s\","
	    "\"time\":\"2026-11-27T17:00:00+07:00\","
	    "\"datacontenttype\":\"application/json\",\"opd\":\"%s\","
	    "\"subject\":\"353419036066061\",\"data\":%s}", id, opd, type, opd,
	    data);
}

static enum dlq_reason
classify(const char *topic, const char *payload, struct intake_verdict *v)
{
	intake_classify(&in, topic, payload, strlen(payload), v);
	return v->reason;
}

static void
expect(const char *topic, const char *payload, enum dlq_reason want,
    const char *detail_part, int line)
{
	struct intake_verdict v;
	enum dlq_reason got = classify(topic, payload, &v);

	if (got != want)
		testlib_fail(__FILE__, line, "reason %s, want %s (detail: %s)",
		    dlq_reason_name(got), dlq_reason_name(want), v.detail);
	else if (detail_part != NULL && strstr(v.detail, detail_part) == NULL)
		testlib_fail(__FILE__, line, "detail '%s' lacks '%s'", v.detail,
		    detail_part);
	else
		testlib_passed++;
	intake_verdict_clear(&v);
}

int
main(void)
{
	struct intake_verdict v;
	struct schemaset *set;
	char *ev, *big;
	const char *t = "karo/ev/dishub/gps/gps.position";

	set = schemaset_load(SIMPUL_SRCDIR "/schemas");
	if (set == NULL) {
		fprintf(stderr, "cannot load schemas\n");
		return 1;
	}
	in.schemas = set;
	in.site = "karo";
	in.max_payload = 4096;
	in.max_depth = 8;

	/* A good event, with the fields the store takes. */
	ev = event("e-1", "dishub", "gps.position", POSITION_DATA);
	CHECK_INT(classify(t, ev, &v), DLQ_NONE);
	CHECK_STR(v.id, "e-1");
	CHECK_STR(v.opd, "dishub");
	CHECK_STR(v.type, "gps.position");
	CHECK_STR(v.source, "/karo/dishub/gps");
	CHECK_STR(v.subject, "353419036066061");
	CHECK_INT(v.time_ms, 1795773600000LL); /* 10:00Z = 17:00+07:00 */
	intake_verdict_clear(&v);

	/* Each reason. */
	big = xmalloc(5000);
	memset(big, ' ', 4999);
	big[4999] = '\0';
	memcpy(big, "{}", 2);
	expect(t, big, DLQ_TOO_LARGE, "exceeds the limit of 4096", __LINE__);
	expect(t, "{\"id\":", DLQ_INVALID_JSON, "line 1 column 7", __LINE__);
	expect(t, "{\"a\":\"\\u0000\"}", DLQ_INVALID_JSON, "\\u0000", __LINE__);
	expect(t, "[[[[[[[[[[1]]]]]]]]]]", DLQ_INVALID_JSON, "deep", __LINE__);
	/* Two "opd" keys: cJSON would check one, jsonb would store the other. */
	expect(t, "{\"opd\":\"dishub\",\"x\":1,\"opd\":\"bpkad\"}",
	    DLQ_INVALID_JSON, "key \"opd\" appears twice", __LINE__);
	expect(t, "{\"data\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
	    "\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"k\":11,\"l\":12,"
	    "\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"lat\":3,"
	    "\"lat\":999}}", DLQ_INVALID_JSON, "key \"lat\" appears twice",
	    __LINE__);
	expect(t, "[1,2]", DLQ_ENVELOPE, "not a JSON object", __LINE__);
	expect(t, "{\"specversion\":\"1.0\"}", DLQ_ENVELOPE, NULL, __LINE__);
	expect("karo/ev/bpkad/gps/gps.position", ev, DLQ_OPD_MISMATCH,
	    "topic is under opd 'bpkad' but the event says opd 'dishub'",
	    __LINE__);
	expect("karo/ev/dishub/gps.position", ev, DLQ_ENVELOPE,
	    "is not karo/ev/<opd>/<system>/<type>", __LINE__);
	expect("karo/ev/dishub/gps/gps.position/extra", ev, DLQ_ENVELOPE,
	    NULL, __LINE__);
	expect("medan/ev/dishub/gps/gps.position", ev, DLQ_ENVELOPE, NULL,
	    __LINE__);
	expect("karo/ev/dishub/gps/gps.alarm", ev, DLQ_ENVELOPE,
	    "differs from the event type", __LINE__);
	free(ev);

	ev = event("e-2", "dishub", "foo.bar", "{}");
	expect("karo/ev/dishub/gps/foo.bar", ev, DLQ_UNKNOWN_TYPE,
	    "no schema for type 'foo.bar'", __LINE__);
	free(ev);

	ev = event("e-3", "dishub", "gps.position",
	    "{\"device_id\":\"1\",\"lat\":123,\"lon\":98.5,"
	    "\"fix_time\":\"2026-11-27T10:00:00Z\",\"speed_kmh\":1,"
	    "\"course\":1,\"valid\":true}");
	expect(t, ev, DLQ_SCHEMA, "/data/lat", __LINE__);
	/* The id of a dead letter is kept when there is one. */
	classify(t, ev, &v);
	CHECK_STR(v.id, "e-3");
	intake_verdict_clear(&v);
	free(ev);

	/* The reason names are the dead_letter.reason values. */
	CHECK_STR(dlq_reason_name(DLQ_INVALID_JSON), "invalid_json");
	CHECK_STR(dlq_reason_name(DLQ_ID_CONFLICT), "id_conflict");
	CHECK_STR(dlq_reason_name((enum dlq_reason)99), "unknown");

	free(big);
	schemaset_free(set);
	return testlib_done();
}
