/*
 * test_open311_form: the Open311 POST body (adapters/pengaduan/open311_form)
 * and the text helpers under it: percent-decoding and '+', attribute[x] and
 * attribute[x][], duplicates, every limit, UTF-8 (invalid, overlong,
 * surrogates, NUL), the location rule, the 4000-character description,
 * the JSON body. The first request is the spec's own example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "open311_form.h"
#include "testlib.h"
#include "text.h"
#include "util.h"

static char err[256];

/* Parses a form body and the request in it; -1 at either step. */
static int
req(const char *body, struct open311_request **r)
{
	struct open311_form *f = NULL;
	int rv;

	err[0] = '\0';
	*r = NULL;
	if (open311_form_parse(body, strlen(body), &f, err, sizeof(err)) == -1)
		return -1;
	rv = open311_request_parse(f, r, err, sizeof(err));
	open311_form_free(f);
	return rv;
}

static int
form(const char *body, struct open311_form **f)
{
	err[0] = '\0';
	return open311_form_parse(body, strlen(body), f, err, sizeof(err));
}

static int
err_has(const char *s)
{
	return strstr(err, s) != NULL;
}

static void
test_spec_example(void)
{
	struct open311_request *r;

	/* GeoReport v2, POST Service Request, "Example Request". */
	CHECK_INT(req("api_key=xyz&jurisdiction_id=city.gov&service_code=001&"
	    "lat=37.76524078&long=-122.4212043&address_string=1234+5th+street&"
	    "email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456&"
	    "first_name=john&last_name=smith&phone=111111111&description=A+"
	    "large+sinkhole+is+destroying+the+street&media_url=http%3A%2F%2F"
	    "farm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg&"
	    "attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001", &r), 0);
	if (r == NULL)
		return;
	CHECK_STR(r->api_key, "xyz");
	CHECK_STR(r->jurisdiction_id, "city.gov");
	CHECK_STR(r->service_code, "001");
	CHECK(r->has_latlon);
	CHECK_DBL(r->lat, 37.76524078, 1e-9);
	CHECK_DBL(r->lon, -122.4212043, 1e-9);
	CHECK_STR(r->address_string, "1234 5th street");
	CHECK_STR(r->email, "smit333@sfgov.edu");
	CHECK_STR(r->name, "john smith");
	CHECK_STR(r->phone, "111111111");
	CHECK_STR(r->description, "A large sinkhole is destroying the street");
	CHECK_STR(r->media_url,
	    "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg");
	CHECK_INT(r->nattrs, 2);
	CHECK_STR(open311_request_attr(r, "WHISPAWN")->value, "123456");
	CHECK_STR(open311_request_attr(r, "WHISDORN")->value, "COISL001");
	CHECK(open311_request_attr(r, "nope") == NULL);
	open311_request_free(r);
}

static void
test_decoding(void)
{
	struct open311_form *f;

	CHECK_INT(form("a=Jalan%20rusak%21&b=x+y+%2B+z&c=%e2%82%ac&d&=skip&&"
	    "e=%3D%26", &f), 0);
	CHECK_INT(open311_form_count(f), 5);
	CHECK_STR(open311_form_get(f, "a"), "Jalan rusak!");
	CHECK_STR(open311_form_get(f, "b"), "x y + z");
	CHECK_STR(open311_form_get(f, "c"), "\xe2\x82\xac");
	CHECK(open311_form_get(f, "d") == NULL); /* empty: absent */
	CHECK_STR(open311_form_name(f, 3), "d");
	CHECK_STR(open311_form_value(f, 3), "");
	CHECK_STR(open311_form_get(f, "e"), "=&");
	open311_form_free(f);

	/* Names are decoded too: attribute%5Bx%5D is attribute[x]. */
	CHECK_INT(form("attribute%5Bkerusakan%5D=berat&first+name=x", &f), 0);
	CHECK_STR(open311_form_name(f, 0), "attribute[kerusakan]");
	CHECK_STR(open311_form_name(f, 1), "first name");
	open311_form_free(f);

	/* Bad escapes. */
	CHECK_INT(form("a=%G1", &f), -1);
	CHECK(err_has("%-escape in 'a'"));
	CHECK_INT(form("a=%4", &f), -1);
	CHECK_INT(form("a=%", &f), -1);
	CHECK_INT(form("a%=1", &f), -1);
	CHECK(err_has("parameter name"));
	CHECK_INT(form("", &f), 0);
	CHECK_INT(open311_form_count(f), 0);
	open311_form_free(f);
}

static void
test_utf8(void)
{
	struct open311_form *f;

	CHECK_INT(form("description=%C3%28", &f), -1);
	CHECK(err_has("invalid UTF-8 in 'description'"));
	CHECK_INT(form("description=%C0%AF", &f), -1);	/* overlong '/' */
	CHECK_INT(form("description=%ED%A0%80", &f), -1); /* surrogate */
	CHECK_INT(form("description=%F4%90%80%80", &f), -1); /* > U+10FFFF */
	CHECK_INT(form("description=%E2%82", &f), -1);	/* cut short */
	CHECK_INT(form("description=a%00b", &f), -1);
	CHECK(err_has("NUL"));
	CHECK_INT(form("%FF=1", &f), -1);
	CHECK(err_has("parameter name"));
	CHECK_INT(form("a%01b=1", &f), -1);
	/* Four-byte characters are fine. */
	CHECK_INT(form("d=%F0%9F%98%80", &f), 0);
	CHECK_STR(open311_form_get(f, "d"), "\xf0\x9f\x98\x80");
	open311_form_free(f);

	CHECK_INT(text_utf8_chars("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10),
	    4);
	CHECK(text_utf8_chars("\xc3", 1) == TEXT_INVALID);
	CHECK_INT(text_utf8_prefix("a\xc3\xa9" "b", 4, 2), 3);
	CHECK_INT(text_utf8_fit("a\xc3\xa9" "b", 4, 2), 1);
}

static void
test_limits(void)
{
	struct open311_form *f;
	struct buf b;
	char *big;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < OPEN311_PARAMS_MAX; i++)
		buf_appendf(&b, "%sp%d=1", i ? "&" : "", i);
	buf_terminate(&b);
	CHECK_INT(form(b.data, &f), 0);
	CHECK_INT(open311_form_count(f), OPEN311_PARAMS_MAX);
	open311_form_free(f);
	buf_appendf(&b, "&one=more");
	CHECK_INT(form(b.data, &f), -1);
	CHECK(err_has("too many parameters"));
	buf_free(&b);

	/* A name of 128 bytes is fine, 129 is not. */
	big = xmalloc(OPEN311_BODY_MAX + 2);
	memset(big, 'n', OPEN311_NAME_MAX);
	memcpy(big + OPEN311_NAME_MAX, "=1", 3);
	CHECK_INT(form(big, &f), 0);
	open311_form_free(f);
	memset(big, 'n', OPEN311_NAME_MAX + 1);
	memcpy(big + OPEN311_NAME_MAX + 1, "=1", 3);
	CHECK_INT(form(big, &f), -1);
	CHECK(err_has("name too long"));

	/* A value of 16384 bytes is fine, one more is not. */
	memcpy(big, "v=", 2);
	memset(big + 2, 'x', OPEN311_VALUE_MAX);
	big[2 + OPEN311_VALUE_MAX] = '\0';
	CHECK_INT(form(big, &f), 0);
	open311_form_free(f);
	big[2 + OPEN311_VALUE_MAX] = 'x';
	big[3 + OPEN311_VALUE_MAX] = '\0';
	CHECK_INT(form(big, &f), -1);
	CHECK(err_has("value of 'v' too long"));

	/* The body limit itself. */
	memset(big, 'x', OPEN311_BODY_MAX + 1);
	CHECK_INT(open311_form_parse(big, OPEN311_BODY_MAX + 1, &f, err,
	    sizeof(err)), -1);
	CHECK(err_has("too large"));
	free(big);
}

static void
test_request_rules(void)
{
	struct open311_request *r;
	struct buf b;
	int i;

	/* Location: lat + long, or address_string. */
	CHECK_INT(req("service_code=jalan&description=x", &r), -1);
	CHECK(err_has("location required"));
	CHECK_INT(req("service_code=jalan&lat=3.1&description=x", &r), -1);
	CHECK(err_has("together"));
	CHECK_INT(req("service_code=jalan&address_string=+++", &r), -1);
	CHECK(err_has("location required"));
	CHECK_INT(req("service_code=jalan&address_string=Kabanjahe", &r), 0);
	CHECK(!r->has_latlon);
	CHECK(r->description == NULL);
	open311_request_free(r);
	CHECK_INT(req("service_code=jalan&lat=3.1&long=98.5&lat=", &r), 0);
	CHECK(r->has_latlon);
	open311_request_free(r);

	/* Numbers: plain decimals in range only. */
	CHECK_INT(req("service_code=j&lat=91&long=98", &r), -1);
	CHECK(err_has("lat must be"));
	CHECK_INT(req("service_code=j&lat=3&long=-180.5", &r), -1);
	CHECK_INT(req("service_code=j&lat=0x1p1&long=98", &r), -1);
	CHECK_INT(req("service_code=j&lat=nan&long=98", &r), -1);
	CHECK_INT(req("service_code=j&lat=+3.&long=98", &r), -1);
	CHECK_INT(req("service_code=j&lat=3.0e1&long=-9.85E1", &r), 0);
	CHECK_DBL(r->lat, 30, 1e-9);
	CHECK_DBL(r->lon, -98.5, 1e-9);
	open311_request_free(r);

	/* service_code is required. */
	CHECK_INT(req("lat=3&long=98", &r), -1);
	CHECK(err_has("service_code required"));

	/* Duplicates: refused, unless one of them is empty. */
	CHECK_INT(req("service_code=a&service_code=b&lat=3&long=98", &r), -1);
	CHECK(err_has("'service_code' given more than once"));
	CHECK_INT(req("service_code=a&description=&description=x&lat=3&"
	    "long=98", &r), 0);
	CHECK_STR(r->description, "x");
	open311_request_free(r);
	CHECK_INT(req("service_code=a&lat=3&long=98&attribute[k]=1&"
	    "attribute[k]=2", &r), -1);
	CHECK(err_has("attribute 'k' given more than once"));
	/* Unknown parameters are ignored, twice or not. */
	CHECK_INT(req("service_code=a&lat=3&long=98&x=1&x=2", &r), 0);
	open311_request_free(r);

	/* attribute[x][] collects several values. */
	CHECK_INT(req("service_code=a&lat=3&long=98&attribute[w][]=air&"
	    "attribute[w][]=listrik&attribute[w][]=", &r), 0);
	CHECK_STR(open311_request_attr(r, "w")->value, "air,listrik");
	CHECK(open311_request_attr(r, "w")->multi);
	open311_request_free(r);
	CHECK_INT(req("service_code=a&lat=3&long=98&attribute[]=1", &r), -1);
	CHECK(err_has("bad attribute"));
	CHECK_INT(req("service_code=a&lat=3&long=98&attribute[x]y=1", &r), -1);
	CHECK_INT(req("service_code=a&lat=3&long=98&attribute[a%20b]=1", &r),
	    -1);

	/* Description: 4000 characters (not bytes) at most. */
	buf_init(&b, 0);
	buf_appendf(&b, "service_code=a&lat=3&long=98&description=");
	for (i = 0; i < OPEN311_DESCRIPTION_MAX; i++)
		buf_appendf(&b, "%%C3%%A9");	/* é, two bytes */
	buf_terminate(&b);
	CHECK_INT(req(b.data, &r), 0);
	CHECK_INT(text_utf8_chars(r->description, strlen(r->description)),
	    OPEN311_DESCRIPTION_MAX);
	open311_request_free(r);
	buf_appendf(&b, "x");
	CHECK_INT(req(b.data, &r), -1);
	CHECK(err_has("description longer than 4000 characters"));
	buf_free(&b);

	/* Line breaks are kept in the description, cleaned at the ends. */
	CHECK_INT(req("service_code=a&lat=3&long=98&description=%0D%0A+"
	    "baris+1%0D%0Abaris+2%09%0A", &r), 0);
	CHECK_STR(r->description, "baris 1\nbaris 2");
	open311_request_free(r);
	CHECK_INT(req("service_code=a%0Ab&lat=3&long=98", &r), -1);
	CHECK(err_has("one line"));

	/* Contacts. */
	CHECK_INT(req("service_code=a&lat=3&long=98&email=budi", &r), -1);
	CHECK(err_has("email"));
	CHECK_INT(req("service_code=a&lat=3&long=98&phone=0812-abc", &r), -1);
	CHECK(err_has("phone"));
	CHECK_INT(req("service_code=a&lat=3&long=98&phone=%2B62+812+3456+7890&"
	    "last_name=Sembiring", &r), 0);
	CHECK_STR(r->phone, "+62 812 3456 7890");
	CHECK_STR(r->name, "Sembiring");
	open311_request_free(r);
	CHECK_INT(req("service_code=a&lat=3&long=98&media_url=javascript:x",
	    &r), -1);
	CHECK(err_has("media_url"));
	CHECK_INT(req("service_code=a&lat=3&long=98&media_url=https://x/a+b",
	    &r), -1);
}

static void
test_json(void)
{
	struct open311_form *f;
	struct open311_request *r;
	const char *j;

	j = "{\"api_key\":\"k\",\"service_code\":\"jalan\",\"lat\":3.1,"
	    "\"long\":98.5,\"description\":\"Jalan rusak\",\"email\":null,"
	    "\"attribute\":{\"kerusakan\":\"berat\",\"jenis\":[\"a\",\"b\"],"
	    "\"ada\":true,\"kedalaman\":12}}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    0);
	CHECK_STR(open311_form_get(f, "api_key"), "k");
	CHECK(open311_form_get(f, "email") == NULL);
	CHECK_INT(open311_request_parse(f, &r, err, sizeof(err)), 0);
	open311_form_free(f);
	if (r != NULL) {
		CHECK_DBL(r->lat, 3.1, 1e-9);
		CHECK_STR(open311_request_attr(r, "kerusakan")->value, "berat");
		CHECK_STR(open311_request_attr(r, "jenis")->value, "a,b");
		CHECK_STR(open311_request_attr(r, "ada")->value, "true");
		CHECK_STR(open311_request_attr(r, "kedalaman")->value, "12");
		open311_request_free(r);
	}

	j = "[1]";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	j = "{\"a\":1,\"a\":2}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	j = "{\"description\":{\"x\":1}}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	CHECK(err_has("string, a number"));
	j = "{\"description\":\"a\\u0000b\"}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	j = "{\"description\":\"\xc3\x28\"}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	j = "{\"a\":[[[[[1]]]]]}";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
	j = "{\"service_code\":\"x\"} trailing";
	CHECK_INT(open311_form_parse_json(j, strlen(j), &f, err, sizeof(err)),
	    -1);
}

static void
test_text(void)
{
	struct buf b;
	char s[64];
	const uint8_t le[] = { 'J', 0, 'a', 0, 0x3d, 0xd8, 0x00, 0xde };
	const uint8_t lone[] = { 0x00, 0xdc, 'a', 0 };

	snprintf(s, sizeof(s), "%s", " \r\n a\r\nb\rc\x01" "d\x7f\t \n");
	CHECK_INT(text_clean(s, strlen(s)), 7);
	CHECK_STR(s, "a\nb\nc d");
	memcpy(s, "x\0y", 4);
	CHECK_INT(text_clean(s, 3), 2);
	CHECK_STR(s, "xy");

	buf_init(&b, 0);
	CHECK_INT(text_utf16_to_utf8(le, sizeof(le), 1, &b), 0);
	buf_terminate(&b);
	CHECK_STR(b.data, "Ja\xf0\x9f\x98\x80");
	buf_reset(&b);
	CHECK_INT(text_utf16_to_utf8(lone, sizeof(lone), 1, &b), -1);
	buf_reset(&b);
	CHECK_INT(text_utf16_to_utf8(le, 3, 1, &b), -1);
	buf_reset(&b);
	CHECK_INT(text_latin1_to_utf8((const uint8_t *)"caf\xe9", 4, &b), 0);
	buf_terminate(&b);
	CHECK_STR(b.data, "caf\xc3\xa9");
	buf_free(&b);
	buf_init(&b, 3);
	CHECK_INT(text_utf16_to_utf8(le, sizeof(le), 1, &b), -2);
	CHECK_INT(b.len, 2);
	buf_free(&b);
}

int
main(void)
{
	test_spec_example();
	test_decoding();
	test_utf8();
	test_limits();
	test_request_rules();
	test_json();
	test_text();
	return testlib_done();
}
