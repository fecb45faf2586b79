/*
 * test_cloudevent: the CloudEvents builder (adapters/lib/cloudevent.c):
 * required attributes, source and topic, id setters (deterministic v5 and
 * v7), optional attributes, data ownership, serialisation and its size
 * limit, and the checks on names that become topic levels.
 */
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "testlib.h"
#include "util.h"
#include "uuid.h"

static const char *
str_member(const cJSON *obj, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

static void
test_new(void)
{
	struct cloudevent *ev;
	const cJSON *j;
	struct uuid u;
	int64_t before, t;

	before = clock_wall_ms();
	ev = cloudevent_new("karo", "bpkad", "sppidol", "sp2d.issued");
	CHECK(ev != NULL);
	if (ev == NULL)
		return;
	j = cloudevent_json(ev);
	CHECK_STR(str_member(j, "specversion"), "1.0");
	CHECK_STR(str_member(j, "source"), "/karo/bpkad/sppidol");
	CHECK_STR(str_member(j, "type"), "sp2d.issued");
	CHECK_STR(str_member(j, "opd"), "bpkad");
	CHECK_STR(str_member(j, "datacontenttype"), "application/json");
	CHECK_STR(cloudevent_topic(ev), "karo/ev/bpkad/sppidol/sp2d.issued");
	CHECK_STR(cloudevent_source(ev), "/karo/bpkad/sppidol");
	CHECK_STR(cloudevent_type(ev), "sp2d.issued");
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "subject") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "data") == NULL);

	/* Default id: a fresh UUIDv7. */
	CHECK(cloudevent_id(ev) != NULL);
	CHECK_INT(uuid_parse(cloudevent_id(ev), &u), 0);
	CHECK_INT(uuid_version(&u), 7);

	/* time: now, RFC 3339 UTC with milliseconds. */
	CHECK(str_member(j, "time") != NULL);
	CHECK_INT(strlen(str_member(j, "time")), 24);
	CHECK(str_member(j, "time")[23] == 'Z');
	CHECK_INT(time_parse_rfc3339(str_member(j, "time"), &t), 0);
	CHECK(t >= before - 1 && t <= clock_wall_ms() + 1);
	cloudevent_free(ev);
}

static void
test_ids(void)
{
	struct cloudevent *ev, *ev2;
	char want[UUID_STR_LEN], first[UUID_STR_LEN];

	ev = cloudevent_new("karo", "bpkad", "sppidol", "sp2d.issued");
	ev2 = cloudevent_new("karo", "bpkad", "sppidol", "sp2d.issued");
	CHECK(ev != NULL && ev2 != NULL);
	if (ev == NULL || ev2 == NULL)
		return;
	/* Two events never share a v7 id, and the order follows creation. */
	CHECK(strcmp(cloudevent_id(ev), cloudevent_id(ev2)) < 0);

	CHECK_INT(cloudevent_set_id_record(ev, "SP2D-0001/2026", "3"), 0);
	CHECK_INT(uuid_v5_event(want, "/karo/bpkad/sppidol", "SP2D-0001/2026",
	    "3"), 0);
	CHECK_STR(cloudevent_id(ev), want);
	CHECK_STR(cloudevent_id(ev), "6c083d67-b6de-59a2-9c79-3ba48ad25c2a");
	/* The same record in another event object: the same id. */
	CHECK_INT(cloudevent_set_id_record(ev2, "SP2D-0001/2026", "3"), 0);
	CHECK_STR(cloudevent_id(ev2), cloudevent_id(ev));
	/* A bad record key leaves the id alone. */
	CHECK_INT(cloudevent_set_id_record(ev, "bad\nkey", "3"), -1);
	CHECK_STR(cloudevent_id(ev), want);

	CHECK_INT(cloudevent_set_id(ev, "custom-1"), 0);
	CHECK_STR(cloudevent_id(ev), "custom-1");
	CHECK_INT(cloudevent_set_id(ev, ""), -1);
	CHECK_STR(cloudevent_id(ev), "custom-1");

	memcpy(first, "x", 2);
	cloudevent_set_id_v7(ev);
	CHECK(strcmp(cloudevent_id(ev), "custom-1") != 0);
	CHECK_INT(strlen(cloudevent_id(ev)), 36);
	/* Exactly one "id" member after all the replacing. */
	{
		const cJSON *it;
		int n = 0;

		cJSON_ArrayForEach(it, cloudevent_json(ev))
			if (strcmp(it->string, "id") == 0)
				n++;
		CHECK_INT(n, 1);
	}
	cloudevent_free(ev);
	cloudevent_free(ev2);
}

static void
test_attributes_and_data(void)
{
	struct cloudevent *ev;
	const cJSON *j;
	cJSON *data;
	char *s, big[CLOUDEVENT_ATTR_MAX + 2];
	size_t len = 0;
	int64_t t;

	ev = cloudevent_new("karo", "dishub", "gt06", "gps.position");
	CHECK(ev != NULL);
	if (ev == NULL)
		return;
	j = cloudevent_json(ev);

	CHECK_INT(cloudevent_set_subject(ev, "353419031234567"), 0);
	CHECK_STR(str_member(j, "subject"), "353419031234567");
	CHECK_INT(cloudevent_set_subject(ev, "353419031234568"), 0);
	CHECK_STR(str_member(j, "subject"), "353419031234568");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(cloudevent_set_subject(ev, big), -1);
	CHECK_STR(str_member(j, "subject"), "353419031234568");
	CHECK_INT(cloudevent_set_dataschema(ev,
	    "https://simpul.example/schemas/gps.position.json"), 0);
	CHECK_INT(cloudevent_set_dataschema(ev, NULL), 0);
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "dataschema") == NULL);

	CHECK_INT(time_parse_rfc3339("2026-11-27T10:00:00.250Z", &t), 0);
	cloudevent_set_time(ev, t);
	CHECK_STR(str_member(j, "time"), "2026-11-27T10:00:00.250Z");

	/* data: a non-object is refused (and freed: ASan would see a leak). */
	CHECK_INT(cloudevent_take_data(ev, cJSON_CreateArray()), -1);
	CHECK_INT(cloudevent_take_data(ev, NULL), -1);
	data = cJSON_CreateObject();
	cJSON_AddNumberToObject(data, "lat", 3.1);
	CHECK_INT(cloudevent_take_data(ev, data), 0);
	/* Replacing data frees the old object. */
	data = cJSON_CreateObject();
	cJSON_AddNumberToObject(data, "lat", 3.1019);
	cJSON_AddNumberToObject(data, "lon", 98.5083);
	CHECK_INT(cloudevent_take_data(ev, data), 0);
	cJSON_AddNumberToObject(cloudevent_data(ev), "speed_kmh", 42);
	CHECK(cloudevent_data(ev) == data);

	s = cloudevent_serialize(ev, 0, &len);
	CHECK(s != NULL);
	if (s != NULL) {
		cJSON *back = cJSON_Parse(s);

		CHECK_INT(len, strlen(s));
		CHECK(strchr(s, '\n') == NULL); /* compact */
		CHECK(back != NULL);
		CHECK(cJSON_Compare(back, cloudevent_json(ev), 1));
		cJSON_Delete(back);
		/* The limit: exactly len fits, len - 1 does not. */
		{
			char *s2 = cloudevent_serialize(ev, len, &len);

			CHECK(s2 != NULL);
			cJSON_free(s2);
			CHECK(cloudevent_serialize(ev, len - 1, &len) == NULL);
		}
		cJSON_free(s);
	}
	cloudevent_free(ev);

	/* cloudevent_data() creates an empty object when there is none. */
	ev = cloudevent_new("karo", "dishub", "gt06", "gps.position");
	CHECK(ev != NULL);
	if (ev != NULL) {
		CHECK(cJSON_IsObject(cloudevent_data(ev)));
		CHECK(cJSON_GetObjectItemCaseSensitive(cloudevent_json(ev),
		    "data") != NULL);
		cloudevent_free(ev);
	}
	cloudevent_free(NULL);
}

static void
test_names(void)
{
	char long_name[CLOUDEVENT_NAME_MAX + 2];

	CHECK(cloudevent_name_ok("sp2d.issued"));
	CHECK(cloudevent_name_ok("complaint-created_v2"));
	CHECK(!cloudevent_name_ok(""));
	CHECK(!cloudevent_name_ok(NULL));
	CHECK(!cloudevent_name_ok(".hidden"));
	CHECK(!cloudevent_name_ok("a/b"));
	CHECK(!cloudevent_name_ok("a+b"));
	CHECK(!cloudevent_name_ok("a#"));
	CHECK(!cloudevent_name_ok("BPKAD"));
	CHECK(!cloudevent_name_ok("a b"));
	memset(long_name, 'a', CLOUDEVENT_NAME_MAX);
	long_name[CLOUDEVENT_NAME_MAX] = '\0';
	CHECK(cloudevent_name_ok(long_name));
	long_name[CLOUDEVENT_NAME_MAX] = 'a';
	long_name[CLOUDEVENT_NAME_MAX + 1] = '\0';
	CHECK(!cloudevent_name_ok(long_name));

	CHECK(cloudevent_opd_ok("bpkad"));
	CHECK(cloudevent_opd_ok("dinas_kominfo-2"));
	CHECK(!cloudevent_opd_ok(""));
	CHECK(!cloudevent_opd_ok("b"));		/* 2 at the least */
	CHECK(!cloudevent_opd_ok("2bpkad"));	/* a letter first */
	CHECK(!cloudevent_opd_ok("bp.kad"));	/* a name, not an opd */
	CHECK(!cloudevent_opd_ok("BPKAD"));
	CHECK(cloudevent_opd_ok("abcdefghijklmnopqrstuvwxyz012345"));
	CHECK(!cloudevent_opd_ok("abcdefghijklmnopqrstuvwxyz0123456"));

	CHECK(cloudevent_new("karo", "bpkad/x", "sppidol", "t") == NULL);
	CHECK(cloudevent_new("karo", "bpkad", "#", "t") == NULL);
	CHECK(cloudevent_new("karo", "bpkad", "s", "a+") == NULL);
	CHECK(cloudevent_new(NULL, "bpkad", "s", "t") == NULL);
}

int
main(void)
{
	test_new();
	test_ids();
	test_attributes_and_data();
	test_names();
	return testlib_done();
}
