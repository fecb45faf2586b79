/*
 * test_services: the pengaduan catalogue (adapters/pengaduan/services):
 * sections as conf_load() hands them over, the checks that span keys, the
 * Open311 JSON of GET services and a service definition, attribute checks
 * of a request, the SMS keyword match and api_key lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "open311_form.h"
#include "services.h"
#include "testlib.h"

static char err[256];

static int
conf(struct services *s, const char *section, const char *name,
    const char *value)
{
	err[0] = '\0';
	return services_conf(s, section, name, value, err, sizeof(err));
}

static struct services *
catalogue(void)
{
	struct services *s = services_new();

	/* An attribute before its service: order does not matter. */
	conf(s, "attribute jalan kerusakan", "datatype", "singlevaluelist");
	conf(s, "attribute jalan kerusakan", "required", "yes");
	conf(s, "attribute jalan kerusakan", "description", "Tingkat");
	conf(s, "attribute jalan kerusakan", "value", "ringan Rusak ringan");
	conf(s, "attribute jalan kerusakan", "value", "berat  Rusak berat");
	conf(s, "attribute jalan lebar", "datatype", "number");
	conf(s, "attribute jalan lebar", "description", "Lebar lubang (cm)");
	conf(s, "attribute jalan jenis", "datatype", "multivaluelist");
	conf(s, "attribute jalan jenis", "description", "Jenis");
	conf(s, "attribute jalan jenis", "value", "aspal Aspal");
	conf(s, "attribute jalan jenis", "value", "beton Beton");
	conf(s, "attribute jalan info", "variable", "no");
	conf(s, "attribute jalan info", "description", "Dilayani PUPR");
	conf(s, "service jalan", "name", "Jalan rusak");
	conf(s, "service jalan", "group", "infrastruktur");
	conf(s, "service jalan", "keywords", "lubang, aspal,jembatan");
	conf(s, "service jalan", "category", "jalan_rusak");
	conf(s, "service jalan", "notice", "5 hari kerja");
	conf(s, "service air_bersih", "name", "Air bersih");
	conf(s, "service air_bersih", "keywords", "air, pdam");
	conf(s, "service sampah", "name", "Sampah");
	conf(s, "client web", "key", "0123456789abcdef");
	conf(s, "client web", "channel", "web");
	conf(s, "client mobile", "key", "fedcba9876543210x");
	return s;
}

static void
test_conf(void)
{
	struct services *s = catalogue();

	CHECK_INT(services_check(s, "test.conf"), 0);
	CHECK_INT(services_count(s), 3);
	CHECK_INT(services_client_count(s), 2);
	CHECK_INT(conf(s, "adapter x", "name", "y"), 1);
	CHECK_INT(conf(s, "adapter", "name", "y"), 1);
	CHECK_INT(conf(s, "service jalan", "colour", "red"), -1);
	CHECK(strstr(err, "unknown key 'colour'") != NULL);
	CHECK_INT(conf(s, "service a/b", "name", "x"), -1);
	CHECK_INT(conf(s, "service a b", "name", "x"), -1);
	CHECK_INT(conf(s, "attribute jalan", "datatype", "string"), -1);
	CHECK_INT(conf(s, "attribute jalan x", "datatype", "colour"), -1);
	CHECK_INT(conf(s, "attribute jalan x", "required", "perhaps"), -1);
	CHECK_INT(conf(s, "attribute jalan x", "value", "nospace"), -1);
	CHECK_INT(conf(s, "attribute jalan x", "value", "a,b Name"), -1);
	CHECK_INT(conf(s, "client c", "key", "short"), -1);
	CHECK_INT(conf(s, "client c", "key", "has a space in it!!"), -1);
	CHECK_INT(conf(s, "client c", "channel", "sms"), -1);
	CHECK_INT(conf(s, "service x", "name", "\xc3\x28"), -1);
	services_free(s);

	/* Cross-key checks: each is reported. */
	s = services_new();
	conf(s, "attribute nameless a", "datatype", "singlevaluelist");
	conf(s, "service ok", "name", "OK");
	conf(s, "attribute ok b", "datatype", "string");
	conf(s, "attribute ok b", "value", "k Value");
	conf(s, "client a", "key", "0123456789abcdef");
	conf(s, "client b", "key", "0123456789abcdef");
	conf(s, "client c", "channel", "web");
	/* nameless: no name, attribute a: no description and no values;
	 * ok.b: no description, values on a string; a/b: same key; c: no
	 * key. */
	CHECK_INT(services_check(s, "test.conf"), 7);
	services_free(s);
}

static void
test_json(void)
{
	struct services *s = catalogue();
	cJSON *list, *def, *e, *a;
	const struct service *sv;

	services_check(s, "test.conf");
	list = services_list_json(s);
	CHECK_INT(cJSON_GetArraySize(list), 3);
	e = cJSON_GetArrayItem(list, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "service_code")), "jalan");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "service_name")), "Jalan rusak");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "metadata")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "type")),
	    "realtime");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "group")),
	    "infrastruktur");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(e, "description")));
	e = cJSON_GetArrayItem(list, 2);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e, "metadata")));
	cJSON_Delete(list);

	sv = services_find(s, "jalan");
	CHECK(sv != NULL);
	CHECK_STR(services_category(sv), "jalan_rusak");
	CHECK_STR(services_category(services_find(s, "sampah")), "sampah");
	CHECK_STR(services_notice(sv), "5 hari kerja");
	CHECK(services_find(s, "JALAN") == NULL);
	def = services_definition_json(sv);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(def,
	    "service_code")), "jalan");
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(def, "attributes"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "code")),
	    "kerusakan");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, "datatype")),
	    "singlevaluelist");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(a, "required")));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(a, "variable")));
	CHECK_INT(cJSON_GetObjectItem(a, "order")->valueint, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(a, "values"), 1), "name")),
	    "Rusak berat");
	cJSON_Delete(def);
	services_free(s);
}

static int
check_req(const struct services *s, const char *body)
{
	struct open311_form *f = NULL;
	struct open311_request *r = NULL;
	int rv = -2;

	err[0] = '\0';
	if (open311_form_parse(body, strlen(body), &f, err, sizeof(err)) ==
	    0 && open311_request_parse(f, &r, err, sizeof(err)) == 0)
		rv = services_check_request(services_find(s, r->service_code),
		    r, err, sizeof(err));
	open311_request_free(r);
	open311_form_free(f);
	return rv;
}

static void
test_check_request(void)
{
	struct services *s = catalogue();

	services_check(s, "test.conf");
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=berat&attribute[lebar]=-1.5e1&"
	    "attribute[jenis][]=aspal&attribute[jenis][]=beton"), 0);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98"), -1);
	CHECK(strstr(err, "'kerusakan' required") != NULL);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=parah"), -1);
	CHECK(strstr(err, "listed keys") != NULL ||
	    strstr(err, "one of the listed keys") != NULL);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan][]=berat"), -1);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=berat&attribute[lebar]=lebar"), -1);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=berat&attribute[jenis][]=kayu"), -1);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=berat&attribute[warna]=merah"), -1);
	CHECK(strstr(err, "not an input") != NULL);
	CHECK_INT(check_req(s, "service_code=jalan&lat=3&long=98&"
	    "attribute[kerusakan]=berat&attribute[info]=x"), -1);
	CHECK_INT(check_req(s, "service_code=sampah&lat=3&long=98"), 0);
	services_free(s);
}

static void
test_match_and_clients(void)
{
	struct services *s = catalogue();
	const struct services_client *c;

	services_check(s, "test.conf");
	CHECK_STR(services_code(services_match(s, "JALAN rusak di "
	    "Kabanjahe")), "jalan");
	CHECK_STR(services_code(services_match(s, "  lapor#Air-Bersih#mati "
	    "3 hari")), "air_bersih");
	CHECK_STR(services_code(services_match(s, "ADU SAMPAH menumpuk")),
	    "sampah");
	CHECK_STR(services_code(services_match(s, "Lubang besar di jalan")),
	    "jalan");
	CHECK_STR(services_code(services_match(s, "PDAM: air mati")),
	    "air_bersih");
	CHECK(services_match(s, "Tolong bantu kami") == NULL);
	CHECK(services_match(s, "") == NULL);
	CHECK(services_match(s, "lapor") == NULL);
	CHECK(services_match(s, "jalanan rusak") == NULL);

	c = services_client_find(s, "0123456789abcdef");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_STR(c->name, "web");
		CHECK_STR(c->channel, "web");
	}
	c = services_client_find(s, "fedcba9876543210x");
	CHECK(c != NULL && strcmp(c->channel, "open311") == 0);
	CHECK(services_client_find(s, "0123456789abcdeF") == NULL);
	CHECK(services_client_find(s, "0123456789abcde") == NULL);
	CHECK(services_client_find(s, "") == NULL);
	CHECK(services_client_find(s, NULL) == NULL);
	services_free(s);
}

int
main(void)
{
	log_init("test_services", LOG_LEVEL_WARN);
	test_conf();
	test_json();
	test_check_request();
	test_match_and_clients();
	return testlib_done();
}
